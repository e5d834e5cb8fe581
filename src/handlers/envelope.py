"""Is this an event API Gateway could have sent? Checked before Powertools routes it.

Powertools reads the routing fields of an event without checking their types, and raises
(KeyError, TypeError, AttributeError) on an event that lacks them or holds the wrong types:
before routing, where no exception handler of ours is in place. API Gateway never sends such
an event, so one can only come from a misconfigured integration or a direct invocation. It is
not the caller's fault, and not a question of identity either: it is answered 500
``internal_error``, like any other fault of the deployment, with the usual JSON error body.

Only the envelope is checked here: the fields the resolvers read, with the types API Gateway
gives them. Whatever a caller controls inside them (header and cookie text, the path, the
method) stays the routes' and identity's business.
"""

from collections.abc import Callable
from typing import Any, Final, Literal

from handlers.identity import HTTP_API_PAYLOAD_VERSION
from handlers.responses import INTERNAL_ERROR, json_error

REST_API_PAYLOAD_VERSION: Final = "1.0"

PayloadVersion = Literal["2.0", "1.0"]


def payload_version(event: object) -> PayloadVersion | None:
    """The API Gateway payload format of a usable event, or None for an unusable one.

    Field names are API Gateway's; a field that may be absent may also be null, except where
    API Gateway gives it a default. Other fields are left alone."""
    if not isinstance(event, dict) or not _common_fields_usable(event):
        return None
    if event.get("version") == HTTP_API_PAYLOAD_VERSION:
        return HTTP_API_PAYLOAD_VERSION if _http_api_fields_usable(event) else None
    return REST_API_PAYLOAD_VERSION if _rest_api_fields_usable(event) else None


def _common_fields_usable(event: dict[str, Any]) -> bool:
    return (
        _optional_string(event.get("body"))
        and isinstance(event.get("isBase64Encoded", False), bool)
        and _optional_map(event.get("headers"), _is_string)
        and _optional_map(event.get("queryStringParameters"), _is_string)
    )


def _http_api_fields_usable(event: dict[str, Any]) -> bool:
    """Payload format 2.0 (HTTP APIs)."""
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    return (
        _is_string(event.get("rawPath"))
        and _is_string(event.get("rawQueryString", ""))
        and (event.get("cookies") is None or _is_string_list(event["cookies"]))
        and isinstance(context, dict)
        and _is_string(context.get("stage"))
        and isinstance(http, dict)
        and _is_string(http.get("method"))
    )


def _rest_api_fields_usable(event: dict[str, Any]) -> bool:
    """Payload format 1.0 (REST APIs, and HTTP APIs configured for 1.0)."""
    context = event.get("requestContext")
    return (
        _is_string(event.get("httpMethod"))
        and _is_string(event.get("path"))
        and _optional_map(event.get("multiValueHeaders"), _is_string_list)
        and _optional_map(event.get("multiValueQueryStringParameters"), _is_string_list)
        and (
            context is None
            or (isinstance(context, dict) and _optional_string(context.get("stage")))
        )
    )


def _optional_map(value: object, usable: Callable[[object], bool]) -> bool:
    """None, or a mapping of strings to values ``usable`` accepts."""
    return value is None or (
        isinstance(value, dict)
        and all(_is_string(name) and usable(item) for name, item in value.items())
    )


def _is_string(value: object) -> bool:
    return isinstance(value, str)


def _optional_string(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def unusable_event_response() -> dict[str, Any]:
    """500 ``internal_error`` in a shape both payload formats accept."""
    error = json_error(INTERNAL_ERROR)
    return {
        "statusCode": error.status_code,
        "headers": {**error.headers, "Content-Type": "application/json"},
        "body": error.body,
        "isBase64Encoded": False,
    }
