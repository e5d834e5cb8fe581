"""``python -m local.invoke events/<file>.json``: invoke a function once with an event file,
against the local store seeded with the demo data (the stand-in for ``sam local invoke``).

API Gateway events go to the status API; anything else (events/provisioning/: EventBridge,
direct and SQS events) to the provisioning check, whose published events are read back from
the local event bus (moto's EventBridge) and printed with its result.

As with ``sam local invoke``, the function's own output (Powertools logs and metrics) goes to
stderr and the response alone to stdout, as JSON with the body parsed, ready for ``jq``.
"""

import argparse
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

from local.cfn_template import PROVISIONING_FUNCTION, STATUS_FUNCTION
from local.event_bus import published_events
from local.lambda_runtime import load_handler, new_context
from local.stack import local_stack


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """The status API's response to one event, with the local stack up for the call."""
    with local_stack():
        return load_handler()(event, new_context())


def invoke_provisioning(event: object) -> dict[str, Any]:
    """The provisioning check's result, or the error Lambda would report, and what it
    published, with the local stack up for the call."""
    with local_stack() as endpoint:
        outcome: dict[str, Any]
        try:
            handler = load_handler(PROVISIONING_FUNCTION)
            outcome = {"result": handler(event, new_context(PROVISIONING_FUNCTION))}  # type: ignore[arg-type]
        except Exception as error:  # reported like the Lambda runtime reports it
            outcome = {"errorType": type(error).__name__, "errorMessage": str(error)}
        outcome["publishedEvents"] = published_events(endpoint)
        return outcome


def function_for(event: object) -> str:
    """API Gateway events carry a requestContext; provisioning triggers do not."""
    is_api_event = isinstance(event, dict) and "requestContext" in event
    return STATUS_FUNCTION if is_api_event else PROVISIONING_FUNCTION


def readable(response: Mapping[str, Any]) -> dict[str, Any]:
    """Status, headers (from either payload format) and the body, parsed when it is JSON."""
    headers = {
        name: ", ".join(str(value) for value in values)
        for name, values in (response.get("multiValueHeaders") or {}).items()
    }
    headers.update(response.get("headers") or {})
    readable_response: dict[str, Any] = {"statusCode": response["statusCode"], "headers": headers}
    if response.get("cookies"):
        readable_response["cookies"] = response["cookies"]
    readable_response["body"] = _parsed(response.get("body"))
    return readable_response


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.invoke", description=__doc__)
    parser.add_argument("event", type=Path, help="an event file, e.g. events/*.json")
    args = parser.parse_args(argv)
    try:
        event = json.loads(args.event.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        parser.error(f"cannot read {args.event}: {error}")
    if function_for(event) == PROVISIONING_FUNCTION:
        with _stdout_to_stderr():
            outcome = invoke_provisioning(event)
        print(json.dumps(outcome, indent=2))
        return 1 if "errorType" in outcome else 0
    with _stdout_to_stderr():
        response = invoke(event)
    print(json.dumps(readable(response), indent=2))
    return 0


def _parsed(body: str | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Both sys.stdout (Powertools prints its metrics to whatever it is at the time) and file
    descriptor 1 (its logger holds on to the stream it found at import, usually fd 1)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


if __name__ == "__main__":
    sys.exit(main())
