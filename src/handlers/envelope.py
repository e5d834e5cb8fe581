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

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError

from handlers.identity import HTTP_API_PAYLOAD_VERSION
from handlers.responses import INTERNAL_ERROR, json_error

REST_API_PAYLOAD_VERSION: Final = "1.0"

PayloadVersion = Literal["2.0", "1.0"]


class _Envelope(BaseModel):
    # Field names are API Gateway's. Other fields are left alone; the ones the resolvers read
    # must have API Gateway's types, without coercion.
    model_config = ConfigDict(extra="allow", frozen=True)

    body: StrictStr | None = None
    isBase64Encoded: StrictBool = False
    headers: dict[StrictStr, StrictStr] | None = None
    queryStringParameters: dict[StrictStr, StrictStr] | None = None


class _HttpDescription(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    method: StrictStr


class _HttpApiRequestContext(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    http: _HttpDescription
    stage: StrictStr


class HttpApiEnvelope(_Envelope):
    """Payload format 2.0 (HTTP APIs)."""

    version: Literal["2.0"]
    rawPath: StrictStr
    rawQueryString: StrictStr = ""
    cookies: list[StrictStr] | None = None
    requestContext: _HttpApiRequestContext


class _RestRequestContext(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    stage: StrictStr | None = None


class RestApiEnvelope(_Envelope):
    """Payload format 1.0 (REST APIs, and HTTP APIs configured for 1.0)."""

    httpMethod: StrictStr
    path: StrictStr
    multiValueHeaders: dict[StrictStr, list[StrictStr]] | None = None
    multiValueQueryStringParameters: dict[StrictStr, list[StrictStr]] | None = None
    requestContext: _RestRequestContext | None = None


def payload_version(event: object) -> PayloadVersion | None:
    """The API Gateway payload format of a usable event, or None for an unusable one."""
    if not isinstance(event, dict):
        return None
    http_api = event.get("version") == HTTP_API_PAYLOAD_VERSION
    envelope = HttpApiEnvelope if http_api else RestApiEnvelope
    try:
        envelope.model_validate(event)
    except ValidationError:
        return None
    return HTTP_API_PAYLOAD_VERSION if http_api else REST_API_PAYLOAD_VERSION


def unusable_event_response() -> dict[str, Any]:
    """500 ``internal_error`` in a shape both payload formats accept."""
    error = json_error(INTERNAL_ERROR)
    return {
        "statusCode": error.status_code,
        "headers": {**error.headers, "Content-Type": "application/json"},
        "body": error.body,
        "isBase64Encoded": False,
    }
