"""``python -m bench.cold_phases service|floor``: where a cold start's CPU time goes, in a fresh
process: the CPU seconds of each phase of INIT + first request (this service) or of the floor,
printed as one JSON object. Run by bench.cold_start, whose notes list the phases."""

import json
import os
import sys
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any

from bench.cold_request import CONTEXT, EVENT_VARIABLE

Phases = list[tuple[str, Callable[[], object]]]


def service_phases(event: dict[str, Any]) -> Phases:
    powertools = ("aws_lambda_powertools", "aws_lambda_powertools.event_handler")
    return [
        ("import botocore", lambda: import_module("botocore.session")),
        ("import Powertools", lambda: [import_module(name) for name in powertools]),
        ("import the rest of the API", lambda: import_module("handlers.status_api")),
        ("settings", lambda: import_module("composition").app_settings()),
        ("client and use case", lambda: import_module("composition").status_service()),
        (
            "first request",
            lambda: import_module("handlers.status_api").lambda_handler(event, CONTEXT),
        ),
    ]


def floor_phases(event: dict[str, Any]) -> Phases:
    caller = event["requestContext"]["authorizer"]["lambda"]
    key = {"ou_id": {"S": caller["ou_id"]}, "principal_id": {"S": caller["principal_id"]}}
    clients: list[Any] = []
    return [
        ("import botocore", lambda: import_module("botocore.session")),
        ("import the rest of boto3", lambda: import_module("boto3")),
        ("client", lambda: clients.append(import_module("boto3").client("dynamodb"))),
        (
            "GetItem",
            lambda: clients[0].get_item(
                TableName=os.environ["MEMBERSHIPS_TABLE"], Key=key, ConsistentRead=True
            ),
        ),
    ]


def main() -> None:
    event = json.loads(os.environ[EVENT_VARIABLE])
    phases = service_phases(event) if sys.argv[1] == "service" else floor_phases(event)
    seconds: dict[str, float] = {}
    for name, phase in phases:
        started = time.process_time()
        phase()
        seconds[name] = time.process_time() - started
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
