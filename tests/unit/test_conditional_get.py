"""Conditional GET through the API entry point (domain wired to in-memory ports): ETags on
every 200, 304 for a matching If-None-Match, never a 304 for someone who may not see the OU;
and the per-step IncompleteStep metric on 200 answers."""

import hashlib
import json
from typing import Any

import pytest

import composition
from domain.service import ChecklistEvaluator, OnboardingStatusService
from handlers.status_api import lambda_handler
from tests.factories import (
    ALIAS_PATH,
    LambdaContextStub,
    OuData,
    header,
    http_api_event,
    lambda_authorizer,
    rest_authorizer,
    rest_event,
)
from tests.unit.fakes import InMemoryEvidence, InMemoryMemberships

ALICE_OU_1 = lambda_authorizer("alice", "ou-1")
CACHING = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}


@pytest.fixture
def evidence() -> InMemoryEvidence:
    fake = InMemoryEvidence()
    fake.add(OuData("ou-1").integration())
    fake.add(OuData("ou-2").integration())  # the same state as ou-1
    return fake


@pytest.fixture(autouse=True)
def wired(monkeypatch: pytest.MonkeyPatch, evidence: InMemoryEvidence) -> None:
    memberships = InMemoryMemberships()
    memberships.add("ou-1", "alice")
    memberships.add("ou-2", "alice")
    memberships.add("ou-2", "bob")
    service = OnboardingStatusService(memberships, ChecklistEvaluator(evidence))
    monkeypatch.setattr(composition, "status_service", lambda: service)


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return lambda_handler(event, LambdaContextStub())


def get(
    authorizer: dict[str, Any] | None = ALICE_OU_1,
    if_none_match: str | None = None,
    path: str = "/onboarding/status",
) -> dict[str, Any]:
    headers = {} if if_none_match is None else {"if-none-match": if_none_match}
    return invoke(http_api_event(path=path, authorizer=authorizer, headers=headers))


def etag_of(response: dict[str, Any]) -> str:
    etag = header(response, "ETag")
    assert etag is not None, f"no ETag on {response['statusCode']}"
    return etag


# --- ETag on 200 --------------------------------------------------------------------------


def test_every_200_carries_the_sha256_of_its_body_as_a_strong_etag() -> None:
    response = get()
    assert response["statusCode"] == 200
    digest = hashlib.sha256(response["body"].encode()).hexdigest()
    assert etag_of(response) == f'"{digest}"'
    for name, value in CACHING.items():
        assert header(response, name) == value


def test_both_paths_give_the_same_etag_for_the_same_state() -> None:
    assert etag_of(get()) == etag_of(get(path=ALIAS_PATH))


def test_the_etag_changes_when_a_step_is_completed(evidence: InMemoryEvidence) -> None:
    before = etag_of(get())
    evidence.add(OuData("ou-1").scoring_rule())
    after = get(if_none_match=before)
    assert after["statusCode"] == 200
    assert etag_of(after) != before
    assert json.loads(after["body"])["completed_count"] == 2


# --- 304 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    ["{etag}", "W/{etag}", '"stale", {etag}', "*"],
    ids=["exact", "weak", "in-a-list", "wildcard"],
)
@pytest.mark.parametrize("path", ["/onboarding/status", ALIAS_PATH])
def test_a_matching_if_none_match_gets_304_without_a_body(field: str, path: str) -> None:
    etag = etag_of(get())
    response = get(if_none_match=field.format(etag=etag), path=path)
    assert response["statusCode"] == 304
    assert not response["body"]
    assert header(response, "ETag") == etag
    for name, value in CACHING.items():
        assert header(response, name) == value
    assert header(response, "Content-Type") is None


def test_a_stale_etag_gets_the_full_answer() -> None:
    response = get(if_none_match='"0000"')
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["total_count"] == 3


def test_rest_api_requests_get_304_too() -> None:
    rest = rest_event(authorizer=rest_authorizer("alice", "ou-1"))
    etag = etag_of(invoke(rest))
    conditional = rest_event(authorizer=rest_authorizer("alice", "ou-1"))
    conditional["headers"]["If-None-Match"] = etag
    conditional["multiValueHeaders"]["If-None-Match"] = ['"stale"', etag]
    response = invoke(conditional)
    assert response["statusCode"] == 304
    assert etag_of(response) == etag


# --- never a 304 for someone who may not see the OU ---------------------------------------


@pytest.mark.parametrize(
    ("authorizer", "status"),
    [
        (lambda_authorizer("bob", "ou-1"), 403),  # not a member of ou-1
        (lambda_authorizer("alice", "ou-9"), 403),  # no such OU
        (lambda_authorizer("alice"), 403),  # no active OU
        (None, 401),  # nobody
    ],
    ids=["non-member", "unknown-ou", "no-ou", "anonymous"],
)
@pytest.mark.parametrize("field", ["*", "member's etag"])
def test_membership_is_checked_before_any_304(
    authorizer: dict[str, Any] | None, status: int, field: str
) -> None:
    etag = etag_of(get())
    response = get(authorizer=authorizer, if_none_match="*" if field == "*" else etag)
    assert response["statusCode"] == status
    assert header(response, "ETag") is None
    assert set(json.loads(response["body"])) == {"code", "message"}


def test_a_member_of_another_ou_in_the_same_state_gets_only_its_own_answer() -> None:
    """Bob (ou-2) sends the ETag of Alice's ou-1, whose state equals ou-2's: the 304 he gets
    is about ou-2, which he may see; the tag tells him nothing about ou-1."""
    alices = etag_of(get())
    response = get(authorizer=lambda_authorizer("bob", "ou-2"), if_none_match=alices)
    assert response["statusCode"] == 304
    bob_denied = get(authorizer=lambda_authorizer("bob", "ou-1"), if_none_match=alices)
    assert bob_denied["statusCode"] == 403


# --- the IncompleteStep metric ----------------------------------------------------------------


def emf_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def incomplete_steps(lines: list[dict[str, Any]]) -> list[str]:
    found = []
    for line in lines:
        if "IncompleteStep" not in line:
            continue
        (definition,) = line["_aws"]["CloudWatchMetrics"]
        assert definition["Metrics"] == [{"Name": "IncompleteStep", "Unit": "Count"}]
        assert ["step", "service"] in definition["Dimensions"]
        assert line["IncompleteStep"] == [1.0]
        found.append(line["step"])
    return found


def test_a_200_counts_each_incomplete_step_by_id(capsys: pytest.CaptureFixture[str]) -> None:
    get()
    assert incomplete_steps(emf_lines(capsys)) == ["create_scoring_rules", "set_engagement_levels"]


def test_a_complete_ou_counts_no_incomplete_step(
    capsys: pytest.CaptureFixture[str], evidence: InMemoryEvidence
) -> None:
    evidence.add(OuData("ou-1").scoring_rule().engagement_level())
    get()
    lines = emf_lines(capsys)
    assert incomplete_steps(lines) == []
    assert any(line.get("Requests") == [1.0] for line in lines), "the request itself counts"


@pytest.mark.parametrize(
    ("authorizer", "if_none_match"),
    [(ALICE_OU_1, "*"), (lambda_authorizer("bob", "ou-1"), None)],
    ids=["304", "403"],
)
def test_only_200_answers_count_incomplete_steps(
    capsys: pytest.CaptureFixture[str], authorizer: dict[str, Any], if_none_match: str | None
) -> None:
    response = get(authorizer=authorizer, if_none_match=if_none_match)
    assert response["statusCode"] != 200
    assert incomplete_steps(emf_lines(capsys)) == []
