"""What the OpenAPI description says about the status routes, declared beside the routes.

Powertools builds the document from these declarations and the messages in handlers.responses,
so it cannot drift from the code (docs/openapi.json is checked against it). The declarations
are plain data: nothing here runs per request, and the document is only built by local tooling
(local/openapi.py), never in the deployed function. The bodies are named here by their schema
(a reference): the pydantic models behind those schemas (local.api_schema) are imported
only when the document is built, so the function never loads pydantic.
"""

from http import HTTPStatus
from typing import Any, Final

from domain.checklist import CHECKLIST
from domain.identifiers import ID_PATTERN
from domain.status import evaluate_checklist
from handlers.conditional import IF_NONE_MATCH
from handlers.identity import ACTIVE_OU_COOKIE
from handlers.responses import (
    ERROR_HEADERS,
    ERROR_RESPONSES,
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    SUCCESS_HEADERS,
)

JSON: Final = "application/json"
TAG: Final = "Onboarding"
# Component schemas, generated from the models of the same names in local.api_schema.
STATUS_SCHEMA: Final = {"$ref": "#/components/schemas/OnboardingStatus"}
ERROR_SCHEMA: Final = {"$ref": "#/components/schemas/ErrorBody"}


# The product page's example response: the first step done, the other two not.
DOCUMENTED_EXAMPLE: Final = evaluate_checklist(
    CHECKLIST, [index == 0 for index in range(len(CHECKLIST))]
).to_dict()

_CACHING_HEADERS: Final = {
    "ETag": {
        "description": "Strong validator: the quoted SHA-256 of the body. Send it back in "
        "If-None-Match to get 304 while nothing changed. Equal on both paths.",
        "schema": {"type": "string", "pattern": '^"[0-9a-f]{64}"$'},
    },
    "Cache-Control": {
        "description": "The answer depends on the caller: private caches only, revalidated "
        "before each use.",
        "schema": {"type": "string", "const": SUCCESS_HEADERS["Cache-Control"]},
    },
    "Vary": {
        "description": "What identifies the caller.",
        "schema": {"type": "string", "const": SUCCESS_HEADERS["Vary"]},
    },
}

_ERROR_DESCRIPTIONS: Final = {
    HTTPStatus.UNAUTHORIZED: "No authenticated principal in the authorizer context.",
    HTTPStatus.FORBIDDEN: "No active OU, a malformed one, or the caller is not an active member "
    "of it. The same body whether or not the OU exists.",
    HTTPStatus.NOT_FOUND: "Unknown path.",
    HTTPStatus.METHOD_NOT_ALLOWED: "A method other than GET on this path.",
    HTTPStatus.SERVICE_UNAVAILABLE: "The data store is throttled, failing or too slow; retry "
    "after Retry-After seconds. A failed check is never reported as incomplete.",
    HTTPStatus.INTERNAL_SERVER_ERROR: "A misconfiguration or an unexpected error; details go "
    "to the logs only.",
}

_EVERY_ERROR_HEADERS: Final = {
    "Cache-Control": {
        "description": "An error is never stored by any cache.",
        "schema": {"type": "string", "const": ERROR_HEADERS["Cache-Control"]},
    },
}

_ERROR_HEADERS: Final = {
    HTTPStatus.METHOD_NOT_ALLOWED: {
        "Allow": {"description": "The one method allowed.", "schema": {"type": "string"}},
    },
    HTTPStatus.SERVICE_UNAVAILABLE: {
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {"type": "integer", "minimum": 1},
        },
    },
}

_REQUEST_PARAMETERS: Final = [
    {
        "name": IF_NONE_MATCH,
        "in": "header",
        "required": False,
        "description": "ETags from earlier answers (a list, W/ allowed, or *). When one "
        "matches the current answer, the response is 304 with no body.",
        "schema": {"type": "string"},
    },
    {
        "name": ACTIVE_OU_COOKIE,
        "in": "cookie",
        "required": False,
        "description": "The active OU, read only when the authorizer context names none.",
        "schema": {"type": "string", "pattern": f"^{ID_PATTERN}$"},
    },
]


def _error_response(answer: tuple[HTTPStatus, str, str]) -> dict[str, Any]:
    status, code, message = answer
    response: dict[str, Any] = {"description": _ERROR_DESCRIPTIONS[status]}
    response["headers"] = {**_EVERY_ERROR_HEADERS, **_ERROR_HEADERS.get(status, {})}
    response["content"] = {
        JSON: {
            "schema": ERROR_SCHEMA,
            "examples": {code: {"value": {"code": code, "message": message}}},
        }
    }
    return response


def _responses() -> dict[int, Any]:
    answers = [*ERROR_RESPONSES.values(), NOT_FOUND, METHOD_NOT_ALLOWED, INTERNAL_ERROR]
    errors = {int(answer[0]): _error_response(answer) for answer in answers}
    return {
        int(HTTPStatus.OK): {
            "description": "The checklist of the caller's active OU, steps in a fixed order.",
            "headers": _CACHING_HEADERS,
            "content": {
                JSON: {
                    "schema": STATUS_SCHEMA,
                    "examples": {
                        "partial": {
                            "summary": "One of three steps complete",
                            "value": DOCUMENTED_EXAMPLE,
                        }
                    },
                }
            },
        },
        int(HTTPStatus.NOT_MODIFIED): {
            "description": "If-None-Match names the current ETag (or is *): nothing changed "
            "since the caller's copy. No body.",
            "headers": _CACHING_HEADERS,
            "content": {},
        },
        **dict(sorted(errors.items())),
    }


def status_route_docs(*, alias_of: str | None = None) -> dict[str, Any]:
    """Keyword arguments for a status route's decorator (besides its path and operation id)."""
    extensions: dict[str, Any] = {"parameters": _REQUEST_PARAMETERS}
    summary = "Setup checklist of the caller's active OU"
    description = (
        "Which guided setup steps the caller's active Organizational Unit has completed. "
        "The principal and the OU come from the authorizer context (the activeOu cookie "
        "names the OU when the authorizer does not); the caller must be an active member."
    )
    if alias_of is not None:
        extensions["x-alias-of"] = alias_of
        summary = f"{summary} (alias of {alias_of})"
        description = f"Alias of GET {alias_of}: the same answer, byte for byte. {description}"
    return {
        "summary": summary,
        "description": description,
        "tags": [TAG],
        "responses": _responses(),
        "openapi_extensions": extensions,
    }
