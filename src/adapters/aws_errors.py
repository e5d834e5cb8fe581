"""Map AWS SDK failures to domain errors, by error code and exception type, never by message.

Transient failures (throttling, 5xx, timeouts, dropped or garbled responses) become
StoreUnavailable, which callers may retry. Failures retrying cannot fix (missing table, denied
access, invalid request, missing credentials) become StoreMisconfigured. Either way the AWS
message stays in our logs and never reaches a caller.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    IncompleteReadError,
)
from botocore.parsers import ResponseParserError

from domain.errors import StoreMisconfigured, StoreUnavailable

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
_SERVER_ERROR_STATUS: Final = 500


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
            raise StoreUnavailable(f"{operation} failed: {code}") from error
        raise StoreMisconfigured(f"{operation} failed: {code}") from error
    except _TRANSIENT_SDK_ERRORS as error:
        raise StoreUnavailable(f"{operation} failed: {type(error).__name__}") from error
    except BotoCoreError as error:
        raise StoreMisconfigured(f"{operation} failed: {type(error).__name__}") from error
