"""Faults on the wire for each DynamoDB call the API makes, through a fault-injecting proxy in
front of moto's server (tests/faults.py). Each ends in a clean 503 ``service_unavailable`` with
Retry-After, after exactly the SDK's bounded attempts and within the request's time budget:
never a 500, never a checklist with a failed check reported as an incomplete step. The same
handler, client and composition then recover as soon as the fault goes."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pytest

import composition
from handlers.status_api import lambda_handler
from tests.factories import LambdaContextStub, OuData, body_of, header, http_api_event
from tests.factories import lambda_authorizer as authorizer
from tests.faults import (
    CloseConnection,
    Delay,
    Fault,
    FaultProxy,
    Garbage,
    LoseResponse,
    Rule,
    ServiceError,
    Truncated,
)
from tests.integration.conftest import Store, closed_port, use_environment

pytestmark = pytest.mark.integration

GET_ITEM: Final = "DynamoDB_20120810.GetItem"
QUERY: Final = "DynamoDB_20120810.Query"
# The template's values (template.yaml, StatusFunction): the budget these tests hold it to.
MAX_ATTEMPTS: Final = 3
DEADLINE_SECONDS: Final = 6.0
RETRY_AFTER: Final = "2"
# The template's read timeout; the proxy's delay is well past it.
READ_TIMEOUT_SECONDS: Final = 1.0
DELAY: Final = Delay(seconds=3.0)
# Time the handler itself may add to the deadline: generous, for a loaded 2-core machine.
HANDLER_SLACK_SECONDS: Final = 1.5


@dataclass(frozen=True)
class Call:
    target: str
    table_variable: str


CALLS: Final = {
    "membership-GetItem": Call(GET_ITEM, "MEMBERSHIPS_TABLE"),
    "integrations-Query": Call(QUERY, "INTEGRATIONS_TABLE"),
    "rules-Query": Call(QUERY, "SCORING_RULES_TABLE"),
    "levels-Query": Call(QUERY, "ENGAGEMENT_LEVELS_TABLE"),
}


@dataclass(frozen=True)
class FaultCase:
    fault: Fault
    retried: bool  # does the SDK's standard retry mode retry it?


FAULTS: Final = {
    "throughput-exceeded": FaultCase(
        ServiceError(400, "ProvisionedThroughputExceededException"), True
    ),
    "throttling": FaultCase(ServiceError(400, "ThrottlingException"), True),
    "http-500": FaultCase(ServiceError(500, "InternalServerError"), True),
    "http-503": FaultCase(ServiceError(503, "ServiceUnavailable"), True),
    "connection-closed": FaultCase(CloseConnection(), True),
    "response-lost": FaultCase(LoseResponse(), True),
    "read-timeout": FaultCase(DELAY, True),
    "garbage-body": FaultCase(Garbage(), False),
    "json-of-another-shape": FaultCase(Garbage(body=b'{"Count": "many", "Item": []}'), False),
    "truncated-body": FaultCase(Truncated(), False),
}


# Every fault kind on one call (a Query of the concurrent checks), and one fault on every other
# call: which call fails changes nothing in how a fault is mapped, only where it surfaces.
EVERY_KIND_ON: Final = "integrations-Query"
ONE_KIND: Final = "http-500"
CASES: Final = [
    *(
        pytest.param(CALLS[EVERY_KIND_ON], case, id=f"{EVERY_KIND_ON}-{name}")
        for name, case in FAULTS.items()
    ),
    *(
        pytest.param(call, FAULTS[ONE_KIND], id=f"{name}-{ONE_KIND}")
        for name, call in CALLS.items()
        if name != EVERY_KIND_ON
    ),
]


@pytest.fixture
def dynamodb_endpoint(moto_endpoint: str) -> str:
    """Faults are injected in front of moto's server only: what is under test is our side."""
    return moto_endpoint


@pytest.fixture
def proxy(
    store: Store, dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    """alice is a member of ou-1, which has completed every step; the handler reaches the
    store through the proxy."""
    store.member("ou-1", "alice")
    store.seed(OuData("ou-1").complete())
    with FaultProxy(dynamodb_endpoint) as running:
        use_environment(
            monkeypatch,
            {
                "AWS_ENDPOINT_URL_DYNAMODB": running.url,
                "AWS_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT_SECONDS),
            },
        )
        yield running


def get_status() -> dict[str, Any]:
    event = http_api_event(authorizer=authorizer("alice", "ou-1"))
    return lambda_handler(event, LambdaContextStub())


def timed_status() -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    response = get_status()
    return response, time.monotonic() - started


def assert_service_unavailable(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 503, response
    body = body_of(response)
    assert body == {"code": "service_unavailable", "message": body["message"]}
    assert header(response, "Retry-After") == RETRY_AFTER
    assert "steps" not in response["body"]


@pytest.mark.parametrize(("call", "case"), CASES)
def test_a_failing_call_is_a_503_after_bounded_attempts_then_recovers(
    proxy: FaultProxy, store: Store, call: Call, case: FaultCase
) -> None:
    table = store.tables[call.table_variable]
    proxy.inject(Rule(call.target, case.fault, table=table))
    service = composition.status_service()

    response, elapsed = timed_status()

    assert_service_unavailable(response)
    attempts = proxy.attempts(call.target, table)
    assert attempts == (MAX_ATTEMPTS if case.retried else 1), proxy.requests()
    # The request's budget: the SDK's bounded attempts, cut short by the deadline.
    assert elapsed < DEADLINE_SECONDS + HANDLER_SLACK_SECONDS

    proxy.heal()
    recovered = get_status()
    assert recovered["statusCode"] == 200, recovered
    assert [step["completed"] for step in body_of(recovered)["steps"]] == [True, True, True]
    assert composition.status_service() is service  # no restart, no new client


@pytest.mark.parametrize("max_attempts", [1, 2])
def test_the_attempts_follow_aws_max_attempts(
    proxy: FaultProxy, store: Store, monkeypatch: pytest.MonkeyPatch, max_attempts: int
) -> None:
    use_environment(monkeypatch, {"AWS_MAX_ATTEMPTS": str(max_attempts)})
    table = store.tables["SCORING_RULES_TABLE"]
    # Not a throttling error: its backoff (about a second per retry) would only cost time.
    proxy.inject(Rule(QUERY, ServiceError(500, "InternalServerError"), table=table))
    assert_service_unavailable(get_status())
    assert proxy.attempts(QUERY, table) == max_attempts


def test_a_fault_that_clears_between_attempts_is_invisible(proxy: FaultProxy, store: Store) -> None:
    """The SDK's retries absorb a short fault: the caller gets the right answer."""
    table = store.tables["INTEGRATIONS_TABLE"]
    proxy.inject(Rule(QUERY, ServiceError(400, "ThrottlingException"), table=table, times=2))
    response = get_status()
    assert response["statusCode"] == 200
    assert body_of(response)["all_complete"] is True
    assert proxy.attempts(QUERY, table) == 3


def test_the_request_deadline_cuts_a_slow_call_short(
    proxy: FaultProxy, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attempts that would outlast the deadline are abandoned at the deadline with a 503."""
    deadline = 1.0
    use_environment(
        monkeypatch, {"REQUEST_DEADLINE_SECONDS": str(deadline), "AWS_READ_TIMEOUT_SECONDS": "2"}
    )
    table = store.tables["ENGAGEMENT_LEVELS_TABLE"]
    proxy.inject(Rule(QUERY, Delay(seconds=5.0), table=table))
    response, elapsed = timed_status()
    assert_service_unavailable(response)
    assert elapsed < deadline + HANDLER_SLACK_SECONDS
    proxy.heal()
    assert get_status()["statusCode"] == 200


def test_a_refused_connection_is_a_503_within_the_budget(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.member("ou-1", "alice")
    use_environment(monkeypatch, {"AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{closed_port()}"})
    response, elapsed = timed_status()
    assert_service_unavailable(response)
    assert elapsed < DEADLINE_SECONDS + HANDLER_SLACK_SECONDS
