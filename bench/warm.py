"""Target 3: a warm request's own cost. DynamoDB answers in-process at zero latency
(bench.stub); the handler is compared with a minimal hand-written one making the same four
calls through the same stub.

Designs run interleaved, in batches, so the machine's drifts hit every one alike.
"""

import time
from collections.abc import Callable
from typing import Any, Final

import boto3

import composition
from bench.events import PRINCIPAL, lambda_context, status_event
from bench.minimal import minimal_handler
from bench.report import Table, median, ratio, us, verdict
from bench.stub import Boundary, ZeroLatencyDynamoDb
from bench.wiring import clients_made_by, output_discarded, serving
from domain.checklist import EvidenceSource
from domain.identifiers import OuId, PrincipalId
from domain.ports import InOrderCheckRunner
from domain.service import Caller, ChecklistEvaluator, OnboardingStatusService
from handlers.status_api import lambda_handler
from local.embedded_store import LOCAL_REGION

ROUNDS: Final = 30
BATCH: Final = 50
WARM_UP: Final = 200
TARGET_RATIO: Final = 1.5
TARGET_SECONDS: Final = 0.001

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def interleaved(handlers: dict[str, Handler]) -> dict[str, float]:
    """Median seconds per request of each handler over ROUNDS batches of BATCH requests."""
    event, context = status_event("ou-bench"), lambda_context()
    for handler in handlers.values():
        for _ in range(WARM_UP):
            handler(event, context)
    samples: dict[str, list[float]] = {name: [] for name in handlers}
    for _ in range(ROUNDS):
        for name, handler in handlers.items():
            started = time.perf_counter()
            for _ in range(BATCH):
                handler(event, context)
            samples[name].append((time.perf_counter() - started) / BATCH)
    return {name: median(values) for name, values in samples.items()}


def in_order(handler: Handler) -> Handler:
    """This service's handler with the step checks run one after another."""
    wired = composition.status_service()
    evaluator = ChecklistEvaluator(wired.checklist.evidence, runner=InOrderCheckRunner())
    service = OnboardingStatusService(wired.memberships, evaluator)

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with serving(service):
            return handler(event, context)

    return handle


def use_case_alone() -> Handler:
    """The service's use case and its JSON, without the entry point (Powertools' routing,
    logging and metrics, identity parsing, ETag): what the handler adds is the difference."""
    caller = Caller(PrincipalId(PRINCIPAL), OuId("ou-bench"))

    def handle(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
        body = composition.status_service().status_for(caller).to_json()
        return {"statusCode": 200, "body": body}

    return handle


def measure(boundary: Boundary) -> dict[str, float]:
    stub = ZeroLatencyDynamoDb(boundary)
    settings = composition.app_settings()
    tables = {source: settings.table_for(source) for source in EvidenceSource}
    default_client = stub.attach(boto3.session.Session().client("dynamodb", LOCAL_REGION))
    with clients_made_by(stub.attach), output_discarded():
        our_client = composition.dynamodb_client(settings)  # the stub attached, as below
        handlers: dict[str, Handler] = {
            "minimal, boto3's default client": minimal_handler(
                default_client, settings.memberships_table, tables
            ),
            "minimal, this service's client settings": minimal_handler(
                our_client, settings.memberships_table, tables
            ),
            "this service": lambda_handler,
            "this service, checks in order": in_order(lambda_handler),
            "this service's use case alone (no entry point)": use_case_alone(),
        }
        return interleaved(handlers)


def run() -> tuple[Table, bool]:
    table = Table(
        "Target 3: warm overhead (DynamoDB stubbed in-process, zero latency)",
        [
            "handler",
            "stub answers at",
            "median per request",
            "÷ minimal (default client)",
            "÷ minimal (same client settings)",
        ],
    )
    met = True
    for boundary in ("before-call", "before-send"):
        results = measure(boundary)
        reference = results["minimal, boto3's default client"]
        same_settings = results["minimal, this service's client settings"]
        for name, seconds in results.items():
            table.add(
                name,
                boundary,
                us(seconds),
                ratio(seconds, reference),
                ratio(seconds, same_settings),
            )
        if boundary == "before-call":
            ours = results["this service"]
            met = ours <= TARGET_RATIO * reference and ours < TARGET_SECONDS
    table.notes += [
        f"{ROUNDS} interleaved batches of {BATCH} requests per handler; the median batch's "
        "time per request. Stdout (Powertools' metrics) goes to /dev/null through real writes.",
        f"Target: this service at most {TARGET_RATIO}x the minimal handler and under 1 ms, "
        f"with the stub where botocore's Stubber answers (before-call): {verdict(met)}.",
        "'before-send' also signs each request and parses a JSON answer, as against DynamoDB.",
    ]
    return table, met
