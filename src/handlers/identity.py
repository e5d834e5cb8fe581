"""Who is calling and which OU they ask about, read only from the authorizer context.

Accepted places (anything else in the request, such as the query string, the body or ordinary
headers, is ignored):

- HTTP API (payload 2.0) Lambda authorizer: ``requestContext.authorizer.lambda`` with
  ``principal_id`` and ``ou_id``;
- HTTP API JWT authorizer: ``requestContext.authorizer.jwt.claims`` with ``sub`` and
  ``ou_id`` or ``custom:ou_id``;
- REST API (payload 1.0) authorizer: ``requestContext.authorizer`` with ``principalId`` and
  ``ou_id``.

When the authorizer names no OU, the ``activeOu`` cookie (set by the product's web app) names
it. Either way the OU is only a claim until the domain confirms the membership.
"""

from collections.abc import Mapping
from typing import Any, Final

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from domain.identifiers import OuId, parse_ou_id, parse_principal_id
from domain.service import Caller

ACTIVE_OU_COOKIE: Final = "activeOu"
HTTP_API_PAYLOAD_VERSION: Final = "2.0"

_NO_CLAIMS: Final[Mapping[str, Any]] = {}


def caller_from_event(event: BaseProxyEvent) -> Caller:
    """The validated caller, or NotAuthenticated / AccessDenied for unusable ids."""
    principal_key, claims = _authorizer_claims(event.raw_event)
    principal_id = parse_principal_id(claims.get(principal_key))
    ou_claim = claims.get("ou_id", claims.get("custom:ou_id"))
    if ou_claim is None or ou_claim == "":
        ou_claim = event.resolved_cookies_field.get(ACTIVE_OU_COOKIE)
    ou_id: OuId | None = None if ou_claim is None else parse_ou_id(ou_claim)
    return Caller(principal_id=principal_id, ou_id=ou_id)


def _authorizer_claims(raw_event: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The principal's key and the mapping that holds it and the OU, for the event's shape."""
    authorizer = _mapping(_mapping(raw_event.get("requestContext")).get("authorizer"))
    if raw_event.get("version") != HTTP_API_PAYLOAD_VERSION:
        return "principalId", authorizer
    if "lambda" in authorizer:
        return "principal_id", _mapping(authorizer["lambda"])
    return "sub", _mapping(_mapping(authorizer.get("jwt")).get("claims"))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _NO_CLAIMS
