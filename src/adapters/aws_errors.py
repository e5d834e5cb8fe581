"""Map AWS SDK failures to domain errors, by error code and exception type, never by message.

Transient failures (throttling, 5xx, timeouts, dropped or garbled responses) become
DependencyUnavailable, which callers may retry. Failures retrying cannot fix (missing table, denied
access, invalid request, missing credentials) become DependencyMisconfigured. Either way the AWS
message stays in our logs and never reaches a caller.

A garbled response needs two guards. botocore parses a 2xx body that is not JSON (a proxy's
error page, a body cut short) as an empty result, which for GetItem reads as "no such item":
``reject_unparsable_responses`` refuses such bodies before botocore parses them. And JSON of
the wrong shape makes botocore's parser, or our reading of its result, raise built-in errors
(AttributeError, TypeError, KeyError, ValueError): inside ``translated_aws_errors`` blocks,
which only call the SDK and read its response, those mean a malformed response too.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    IncompleteReadError,
)
from botocore.parsers import ResponseParserError

from domain.errors import DependencyMisconfigured, DependencyUnavailable

TRANSIENT_ERROR_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "LimitExceededException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)

MISCONFIGURATION_ERROR_CODES: Final = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "ValidationException",
        "UnrecognizedClientException",
        "MissingAuthenticationTokenException",
        "InvalidSignatureException",
        "ExpiredTokenException",
    }
)

_TRANSIENT_SDK_ERRORS: Final = (
    ConnectionError,
    HTTPClientError,
    IncompleteReadError,
    ResponseParserError,
)
_MALFORMED_RESPONSE_ERRORS: Final = (AttributeError, TypeError, KeyError, ValueError)
_SERVER_ERROR_STATUS: Final = 500
_FIRST_ERROR_STATUS: Final = 300
_UNPARSABLE_GUARD_ID: Final = "onboarding-reject-unparsable-responses"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_transient(error: ClientError) -> bool:
    code = error_code(error)
    if code in TRANSIENT_ERROR_CODES:
        return True
    if code in MISCONFIGURATION_ERROR_CODES:
        return False
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return int(status) >= _SERVER_ERROR_STATUS


@contextmanager
def translated_aws_errors(operation: str) -> Iterator[None]:
    """Re-raise SDK failures inside the block as domain errors naming the operation."""
    try:
        yield
    except ClientError as error:
        code = error_code(error) or "unknown"
        if is_transient(error):
            raise DependencyUnavailable(f"{operation} failed: {code}") from error
        raise DependencyMisconfigured(f"{operation} failed: {code}") from error
    except _TRANSIENT_SDK_ERRORS as error:
        raise DependencyUnavailable(f"{operation} failed: {type(error).__name__}") from error
    except BotoCoreError as error:
        raise DependencyMisconfigured(f"{operation} failed: {type(error).__name__}") from error
    except _MALFORMED_RESPONSE_ERRORS as error:
        raise DependencyUnavailable(f"{operation} failed: malformed response") from error


def reject_unparsable_responses(client: Any) -> None:
    """Make ``client`` raise ResponseParserError (so DependencyUnavailable) for a successful
    response whose body is not a JSON object, instead of parsing it as an empty result.
    Registering it again on the same client changes nothing."""
    client.meta.events.register(
        "before-parse", _require_json_object_body, unique_id=_UNPARSABLE_GUARD_ID
    )


def _require_json_object_body(response_dict: dict[str, Any], **_: Any) -> None:
    if response_dict.get("status_code", 0) >= _FIRST_ERROR_STATUS:
        return  # error responses: botocore reads any body, and the status decides
    try:
        parsed = json.loads(response_dict.get("body") or b"")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ResponseParserError("a successful response whose body is not a JSON object")
