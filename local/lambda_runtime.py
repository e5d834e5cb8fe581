"""What the Lambda runtime does for the function, done locally: load the handler template.yaml
names, and give each invocation a context."""

import importlib
import time
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any, Final, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from local.cfn_template import STATUS_FUNCTION, function_properties, load_template

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

LOCAL_FUNCTION_NAME: Final = "onboarding-status-local"


def load_handler(function: str = STATUS_FUNCTION) -> LambdaHandler:
    """Import the function's handler (``Handler: module.attribute``) by name.

    Call it once the environment is set, as the runtime does: Powertools reads its service name
    and metrics namespace when the module is imported, and without a namespace every invocation
    fails when it flushes its metrics.
    """
    handler_name: str = function_properties(load_template(), function)["Handler"]
    module_name, _, attribute = handler_name.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    if not callable(handler):
        raise TypeError(f"{module_name}.{attribute} is not callable")
    return cast(LambdaHandler, handler)


class LocalLambdaContext(LambdaContext):
    """A Lambda context for one local invocation, with the function's memory and timeout."""

    def __init__(self, memory_limit_in_mb: int, timeout_seconds: float) -> None:
        request_id = str(uuid.uuid4())
        self._function_name = LOCAL_FUNCTION_NAME
        self._function_version = "$LATEST"
        self._invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{LOCAL_FUNCTION_NAME}"
        )
        self._memory_limit_in_mb = memory_limit_in_mb
        self._aws_request_id = request_id
        self._log_group_name = f"/aws/lambda/{LOCAL_FUNCTION_NAME}"
        self._log_stream_name = f"local/{request_id}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        # The base class declares a static method returning 0; a real context counts down.
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def new_context(function: str = STATUS_FUNCTION) -> LambdaContext:
    """A fresh context per invocation, sized like the deployed function (MemorySize, Timeout)."""
    return LocalLambdaContext(*_function_limits(function))


@cache
def _function_limits(function: str) -> tuple[int, float]:
    """Read once: the template does not change while a local server runs."""
    properties = function_properties(load_template(), function)
    return int(properties["MemorySize"]), float(properties["Timeout"])
