"""Target 1: one round trip. The handler against moto through a proxy that delays every
DynamoDB call by D ms, for this service and the two alternatives, on the small tables.

A request's own overhead (the handler, moto's work, loopback HTTP) is its median at D = 0; what
a design adds at D, divided by D, counts its round trips.
"""

import os
import threading
import time
from typing import Any, Final

import composition
from adapters.dynamodb import DynamoDbEvidence, DynamoDbMemberships
from bench.events import STRANGER, lambda_context, status_event
from bench.report import Table, median, ms, verdict
from bench.variants import MembershipFirstService
from bench.wiring import output_discarded, serving
from domain.checklist import EvidenceSource
from domain.ports import InOrderCheckRunner
from domain.service import ChecklistEvaluator, OnboardingStatusService
from handlers.status_api import lambda_handler

DELAYS_MS: Final = (0, 20, 50)
REQUESTS: Final = 21
OU: Final = "ou-1"
CONCURRENT: Final = "concurrent (this service)"
SEQUENTIAL: Final = "sequential (InOrderCheckRunner)"
MEMBERSHIP_FIRST: Final = "membership first, then steps concurrently"
TARGET_ROUND_TRIPS: Final = 1.5


class CallCounter:
    """Counts DynamoDB calls; they complete on the runner's threads, hence the lock."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, **_: Any) -> None:
        with self._lock:
            self.calls += 1


def designs(client: Any) -> dict[str, Any]:
    settings = composition.app_settings()
    memberships = DynamoDbMemberships(client, settings.memberships_table)
    tables = {source: settings.table_for(source) for source in EvidenceSource}
    in_order = ChecklistEvaluator(DynamoDbEvidence(client, tables), runner=InOrderCheckRunner())
    return {
        CONCURRENT: OnboardingStatusService(
            memberships, composition.checklist_evaluator(settings, client)
        ),
        SEQUENTIAL: OnboardingStatusService(memberships, in_order),
        MEMBERSHIP_FIRST: MembershipFirstService(
            memberships, composition.checklist_evaluator(settings, client)
        ),
    }


def timed(service: Any, event: dict[str, Any], expected_status: int) -> float:
    with serving(service):
        started = time.perf_counter()
        response = lambda_handler(event, lambda_context())
        elapsed = time.perf_counter() - started
    if response["statusCode"] != expected_status:
        raise RuntimeError(f"expected {expected_status}, got {response['statusCode']}")
    return elapsed


def measure(proxy: str) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Median per design for a member; (median, DynamoDB calls) per design for a non-member."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = proxy
    client = composition.dynamodb_client(composition.app_settings())
    counter = CallCounter()
    client.meta.events.register("after-call.dynamodb", counter)
    services = designs(client)
    member, stranger = status_event(OU), status_event(OU, STRANGER)
    samples: dict[str, list[float]] = {name: [] for name in services}
    strangers: dict[str, list[float]] = {name: [] for name in services}
    calls: dict[str, int] = {}
    with output_discarded():
        for service in services.values():  # connections opened, caches warm
            timed(service, member, 200)
        for _ in range(REQUESTS):
            for name, service in services.items():
                samples[name].append(timed(service, member, 200))
                counter.calls = 0
                strangers[name].append(timed(service, stranger, 403))
                calls[name] = counter.calls
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB")
    members = {name: median(values) for name, values in samples.items()}
    return members, {name: (median(strangers[name]), calls[name]) for name in services}


def run(proxies: dict[int, str]) -> tuple[Table, bool]:
    results = {delay: measure(proxies[delay]) for delay in DELAYS_MS}
    baseline = results[0][0]
    table = Table(
        "Target 1: round trips (moto behind a proxy adding D ms to every DynamoDB call)",
        [
            "design",
            "D",
            "member: median",
            "minus median at D=0",
            "÷ D",
            "non-member (403): median",
            "non-member: DynamoDB reads",
        ],
    )
    met = True
    for delay in DELAYS_MS:
        members, strangers = results[delay]
        for name, value in members.items():
            added = value - baseline[name]
            per_delay = f"{added * 1000 / delay:.2f}" if delay else "-"
            if delay and name == CONCURRENT:
                met = met and added * 1000 / delay <= TARGET_ROUND_TRIPS
            stranger_median, stranger_calls = strangers[name]
            table.add(
                name,
                f"{delay} ms",
                ms(value),
                ms(added),
                per_delay,
                ms(stranger_median),
                int(stranger_calls),
            )
    table.notes += [
        f"{REQUESTS} requests per design and delay, interleaved; medians. The target: this "
        f"service adds at most {TARGET_ROUND_TRIPS} x D to its own overhead (its median at "
        f"D = 0): {verdict(met)}.",
        "A non-member's request costs this service four reads (the step reads run alongside "
        "the membership read and are discarded; each is 1 read unit on these one-item tables) "
        "and one round trip; membership-first costs one read but makes every member wait two "
        "round trips.",
    ]
    return table, met
