"""How outcomes look on the wire: JSON bodies, status codes and the headers that go with them."""

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Final

from aws_lambda_powertools.event_handler import Response, content_types

from domain.errors import (
    AccessDenied,
    ConfigurationError,
    DependencyMisconfigured,
    DependencyUnavailable,
    EvidenceReadLimitExceeded,
    NotAuthenticated,
    OnboardingError,
)
from handlers.conditional import entity_tag, is_not_modified

# A caller-facing answer per domain error: status, stable machine code, human message.
# Messages are fixed text: nothing from the exception (AWS codes, ids) reaches a caller.
ERROR_RESPONSES: Final[dict[type[OnboardingError], tuple[HTTPStatus, str, str]]] = {
    NotAuthenticated: (
        HTTPStatus.UNAUTHORIZED,
        "unauthorized",
        "Authentication is required. Check your authentication token or session.",
    ),
    AccessDenied: (
        HTTPStatus.FORBIDDEN,
        "forbidden",
        "Your account does not have access to the selected Organizational Unit.",
    ),
    DependencyUnavailable: (
        HTTPStatus.SERVICE_UNAVAILABLE,
        "service_unavailable",
        "Onboarding status is temporarily unavailable. Retry shortly.",
    ),
    DependencyMisconfigured: (
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        "An internal error occurred.",
    ),
    # Retrying cannot help: the OU's data needs an index (README, Performance).
    EvidenceReadLimitExceeded: (
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        "An internal error occurred.",
    ),
    ConfigurationError: (
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        "An internal error occurred.",
    ),
}
INTERNAL_ERROR: Final = ERROR_RESPONSES[ConfigurationError]
NOT_FOUND: Final = (HTTPStatus.NOT_FOUND, "not_found", "No such resource.")
METHOD_NOT_ALLOWED: Final = (
    HTTPStatus.METHOD_NOT_ALLOWED,
    "method_not_allowed",
    "Only GET is supported on this resource.",
)

# The body depends on who asks (principal and active OU), so shared caches must not keep it;
# no-cache lets the caller's own cache keep it, but only to revalidate it with its ETag.
SUCCESS_HEADERS: Final = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
ERROR_HEADERS: Final = {"Cache-Control": "no-store"}


def conditional_json(body: str, if_none_match: Sequence[str]) -> Response[str]:
    """200 with the body and the ETag of exactly its bytes, or 304 when If-None-Match names
    that ETag (or "*").

    Callers build the body only for a caller entitled to it, so a 304 never answers someone
    who could not have had the 200.
    """
    etag = entity_tag(body.encode())
    if is_not_modified(if_none_match, etag):
        return not_modified(etag)
    return Response(
        status_code=int(HTTPStatus.OK),
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers={**SUCCESS_HEADERS, "ETag": etag},
    )


def not_modified(etag: str) -> Response[str]:
    """304: no body, and the headers the 200 would carry that describe caching (RFC 9110)."""
    return Response(
        status_code=int(HTTPStatus.NOT_MODIFIED),
        body="",
        headers={**SUCCESS_HEADERS, "ETag": etag},
    )


def error_for(error: OnboardingError) -> tuple[HTTPStatus, str, str]:
    for error_type in type(error).__mro__:
        if error_type in ERROR_RESPONSES:
            return ERROR_RESPONSES[error_type]
    return INTERNAL_ERROR


def json_error(
    answer: tuple[HTTPStatus, str, str], extra_headers: dict[str, str] | None = None
) -> Response[str]:
    status, code, message = answer
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"code": code, "message": message}, separators=(",", ":")),
        headers={**ERROR_HEADERS, **(extra_headers or {})},
    )
