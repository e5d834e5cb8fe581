"""Validated principal and OU identifiers.

Ids arrive from authorizer contexts and cookies, so they are untrusted text until parsed here.
The character set is conservative on purpose: it admits Cognito subs (UUIDs), OIDC subjects such
as ``auth0|abc``, e-mail-like ids and slugs, and rejects whitespace, control characters, path
separators and expression syntax, so nothing odd ever reaches a store.
"""

import re
from typing import NewType

from domain.errors import AccessDenied, InvalidRequest, NotAuthenticated

PrincipalId = NewType("PrincipalId", str)
OuId = NewType("OuId", str)

MAX_ID_LENGTH = 128
# A letter or digit, then at most 127 more from the conservative set. The API's description
# (handlers.api_docs) states the same regular expression.
ID_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9_.:@|+=-]{{0,{MAX_ID_LENGTH - 1}}}"
_ID = re.compile(ID_PATTERN)


def is_valid_id(raw: object) -> bool:
    """True for a non-empty string of at most 128 characters from the conservative set."""
    return isinstance(raw, str) and _ID.fullmatch(raw) is not None


def parse_principal_id(raw: object) -> PrincipalId:
    """A principal id, or NotAuthenticated: an unusable principal is no principal at all."""
    if not is_valid_id(raw):
        raise NotAuthenticated("no valid principal id")
    return PrincipalId(str(raw))


def parse_ou_id(raw: object) -> OuId:
    """An OU id from a caller, or AccessDenied: a caller may not name an OU it cannot have."""
    if not is_valid_id(raw):
        raise AccessDenied("active OU id is malformed")
    return OuId(str(raw))


def parse_requested_ou_id(raw: object) -> OuId:
    """An OU id in a workflow's request, or InvalidRequest: there a bad id is bad input."""
    if not is_valid_id(raw):
        raise InvalidRequest(
            f"ou_id: must be a string of 1-{MAX_ID_LENGTH} characters from"
            " A-Z a-z 0-9 _ . : @ | + = -, starting with a letter or digit"
        )
    return OuId(str(raw))
