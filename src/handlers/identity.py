"""Who is calling and which OU they ask about, read only from the authorizer context.

Accepted places (anything else in the request, such as the query string, the body or ordinary
headers, is ignored):

- HTTP API (payload 2.0) Lambda authorizer: ``requestContext.authorizer.lambda`` with
  ``principal_id`` and ``ou_id``;
- HTTP API JWT authorizer: ``requestContext.authorizer.jwt.claims`` with ``sub`` and
  ``ou_id``, else ``custom:ou_id`` (Cognito's name for a custom attribute: only tokens carry
  it, so the authorizers' own contexts, which their authors name, do not accept it);
- REST API (payload 1.0) authorizer: ``requestContext.authorizer`` with ``principalId`` and
  ``ou_id``.

An OU claim that is absent, null or empty names nothing, so the next place decides: for a JWT
``custom:ou_id``, then the ``activeOu`` cookie (set by the product's web app). Either way the
OU is only a claim until the domain confirms the membership.
"""

from collections.abc import Iterator, Mapping
from typing import Any, Final

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from domain.identifiers import OuId, parse_ou_id, parse_principal_id
from domain.service import Caller
from handlers.conditional import request_field_values

ACTIVE_OU_COOKIE: Final = "activeOu"
HTTP_API_PAYLOAD_VERSION: Final = "2.0"

# Where each authorizer shape keeps the principal, and the OU claims in order of precedence.
_LAMBDA_AUTHORIZER: Final = ("principal_id", ("ou_id",))
_JWT_AUTHORIZER: Final = ("sub", ("ou_id", "custom:ou_id"))
_REST_AUTHORIZER: Final = ("principalId", ("ou_id",))
_NO_CLAIMS: Final[Mapping[str, Any]] = {}


def caller_from_event(event: BaseProxyEvent) -> Caller:
    """The validated caller, or NotAuthenticated / AccessDenied for unusable ids."""
    (principal_key, ou_keys), claims = _authorizer_claims(event.raw_event)
    principal_id = parse_principal_id(claims.get(principal_key))
    ou_claim = next((claims[key] for key in ou_keys if claims.get(key) not in (None, "")), None)
    if ou_claim is None:
        ou_claim = first_cookie(event.raw_event, ACTIVE_OU_COOKIE)
    ou_id: OuId | None = None if ou_claim is None else parse_ou_id(ou_claim)
    return Caller(principal_id=principal_id, ou_id=ou_id)


def first_cookie(raw_event: Mapping[str, Any], name: str) -> str | None:
    """The value of the first cookie called ``name``, or None.

    Of two cookies with one name, browsers send the one with the longer (more specific) path
    first, then the older (RFC 6265, 5.4), so the first is the closest to this API. Either
    pick could only name an OU the caller belongs to: the membership check still decides.
    """
    for pair in _cookie_pairs(raw_event):
        key, separator, value = pair.partition("=")
        if separator and key.strip() == name:
            return value.strip()
    return None


def _cookie_pairs(raw_event: Mapping[str, Any]) -> Iterator[str]:
    """``name=value`` texts in the order sent: HTTP API's ``cookies`` list, or REST's Cookie
    header lines. Anything that is not text is skipped."""
    if raw_event.get("version") == HTTP_API_PAYLOAD_VERSION:
        listed = raw_event.get("cookies")
        entries = listed if isinstance(listed, list) else []
    else:
        entries = request_field_values(raw_event, "Cookie")
    for entry in entries:
        if isinstance(entry, str):
            yield from entry.split(";")


def _authorizer_claims(
    raw_event: Mapping[str, Any],
) -> tuple[tuple[str, tuple[str, ...]], Mapping[str, Any]]:
    """Where the event's shape keeps the principal and the OU, and the mapping holding them."""
    authorizer = _mapping(_mapping(raw_event.get("requestContext")).get("authorizer"))
    if raw_event.get("version") != HTTP_API_PAYLOAD_VERSION:
        return _REST_AUTHORIZER, authorizer
    if "lambda" in authorizer:
        return _LAMBDA_AUTHORIZER, _mapping(authorizer["lambda"])
    return _JWT_AUTHORIZER, _mapping(_mapping(authorizer.get("jwt")).get("claims"))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _NO_CLAIMS
