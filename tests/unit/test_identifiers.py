import pytest

from domain.errors import AccessDenied, NotAuthenticated
from domain.identifiers import MAX_ID_LENGTH, is_valid_id, parse_ou_id, parse_principal_id

VALID = [
    "ou-1",
    "a",
    "3f2b9a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    "auth0|abc123",
    "user@example.com",
    "google-oauth2|1234",
    "x" * MAX_ID_LENGTH,
]
INVALID = [
    "",
    "x" * (MAX_ID_LENGTH + 1),
    " ou-1",
    "ou 1",
    "ou-1\n",
    "../etc",
    ":x",
    "#n",
    "-ou",
    "ou/1",
    "ou\x00",
    "öu",
    None,
    42,
    ["ou-1"],
    {"S": "ou-1"},
    True,
]


@pytest.mark.parametrize("raw", VALID)
def test_valid_ids_are_accepted(raw: str) -> None:
    assert is_valid_id(raw)
    assert parse_ou_id(raw) == raw
    assert parse_principal_id(raw) == raw


@pytest.mark.parametrize("raw", INVALID)
def test_invalid_principal_is_not_authenticated(raw: object) -> None:
    with pytest.raises(NotAuthenticated):
        parse_principal_id(raw)


@pytest.mark.parametrize("raw", INVALID)
def test_invalid_ou_is_access_denied(raw: object) -> None:
    with pytest.raises(AccessDenied):
        parse_ou_id(raw)
