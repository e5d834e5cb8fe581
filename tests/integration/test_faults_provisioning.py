"""Faults on the wire for the provisioning check: each DynamoDB call it makes and EventBridge
PutEvents, through the fault-injecting proxy in front of moto (tests/faults.py).

Whatever fails, the invocation fails (so its trigger retries it), and the completion event is
never published without its id recorded first, nor recorded as published when it was not. Once
the fault is gone, a retry publishes the completion under the one recorded id."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pytest

from domain.errors import DependencyUnavailable
from domain.provisioning import PublishFailed
from handlers.provisioning_check import lambda_handler
from tests.factories import LambdaContextStub, OuData
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
from tests.integration.conftest import Provisioning, use_environment

pytestmark = pytest.mark.integration

COMPLETED: Final = "Onboarding Completed"
# Two attempts rather than the template's three keep the backoff short; test_faults_api.py
# holds the template's value to its count.
MAX_ATTEMPTS: Final = 2
READ_TIMEOUT_SECONDS: Final = 1.0  # the template's: a loaded machine's moto stays inside it
DELAY: Final = Delay(seconds=2.5)
PROGRESS_TABLE: Final = "test-ProgressTable"
GET_ITEM: Final = "DynamoDB_20120810.GetItem"
QUERY: Final = "DynamoDB_20120810.Query"
UPDATE_ITEM: Final = "DynamoDB_20120810.UpdateItem"
PUT_EVENTS: Final = "AWSEvents.PutEvents"


@dataclass(frozen=True)
class Call:
    target: str
    table: str | None = None
    body_contains: str | None = None

    def rule(self, fault: Fault) -> Rule:
        return Rule(self.target, fault, table=self.table, body_contains=self.body_contains)


# The three step tables' Queries come before anything is recorded and fail alike (each is
# covered by test_faults_api.py); one stands for them.
CALLS: Final = {
    "integrations-Query": Call(QUERY, "test-IntegrationsTable"),
    "progress-GetItem": Call(GET_ITEM, PROGRESS_TABLE),
    "claim-UpdateItem": Call(UPDATE_ITEM, PROGRESS_TABLE, "attribute_not_exists(completion_id)"),
    "PutEvents": Call(PUT_EVENTS),
    "mark-published-UpdateItem": Call(UPDATE_ITEM, PROGRESS_TABLE, "completion_published = :true"),
}


@dataclass(frozen=True)
class FaultCase:
    fault: Fault
    retried: bool


# How each fault kind maps to an error is proven call by call in test_faults_api.py (DynamoDB)
# and here on PutEvents (EventBridge, its own adapter). For the bookkeeping, what matters is
# where in the sequence a call fails; the hardest fault there is a lost response, as the
# store has acted on the request. The branches of the sequence itself are unit tests
# (tests/unit/test_provisioning.py).
LOST_RESPONSE: Final = FaultCase(LoseResponse(), True)
EVENTBRIDGE_FAULTS: Final = {
    "throttling": FaultCase(ServiceError(400, "ThrottlingException"), True),
    "http-500": FaultCase(ServiceError(500, "InternalException"), True),
    "http-503": FaultCase(ServiceError(503, "ServiceUnavailable"), True),
    "connection-closed": FaultCase(CloseConnection(), True),
    "response-lost": LOST_RESPONSE,
    "read-timeout": FaultCase(DELAY, True),
    "garbage-body": FaultCase(Garbage(), False),
    "empty-json": FaultCase(Garbage(body=b"{}"), False),
    "truncated-body": FaultCase(Truncated(), False),
    "entry-rejected": FaultCase(
        Garbage(
            body=b'{"FailedEntryCount": 1, "Entries": [{"EventId": "e-1"},'
            b' {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}]}'
        ),
        False,
    ),
}
CASES: Final = [
    *(
        pytest.param(CALLS["PutEvents"], case, id=f"PutEvents-{fault_name}")
        for fault_name, case in EVENTBRIDGE_FAULTS.items()
    ),
    *(
        pytest.param(call, LOST_RESPONSE, id=f"{call_name}-response-lost")
        for call_name, call in CALLS.items()
        if call.target != PUT_EVENTS
    ),
]


@pytest.fixture
def dynamodb_endpoint(moto_endpoint: str) -> str:
    return moto_endpoint


@pytest.fixture
def proxy(
    provisioning: Provisioning, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    """ou-1 has completed every step and was never checked; DynamoDB and EventBridge are
    reached through the proxy, while the tests read the progress table and the published
    events directly."""
    provisioning.store.seed(OuData("ou-1").complete())
    with FaultProxy(moto_endpoint) as running:
        use_environment(
            monkeypatch,
            {
                "AWS_ENDPOINT_URL_DYNAMODB": running.url,
                "AWS_ENDPOINT_URL_EVENTBRIDGE": running.url,
                "AWS_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT_SECONDS),
                "AWS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            },
        )
        yield running


def check() -> dict[str, Any]:
    result: dict[str, Any] = lambda_handler({"ou_id": "ou-1"}, LambdaContextStub())
    return result


def completion_ids(events: list[dict[str, Any]]) -> list[str]:
    return [
        event["detail"]["completion_id"] for event in events if event["detail-type"] == COMPLETED
    ]


def assert_completion_bookkeeping(state: dict[str, Any], published: list[dict[str, Any]]) -> None:
    """Never published-but-unrecorded, never recorded-as-published-but-unpublished."""
    for completion_id in completion_ids(published):
        assert completion_id == state.get("completion_id"), (completion_id, state)
    if state.get("completion_published") is True:
        assert state["completion_id"] in completion_ids(published), (state, published)


@pytest.mark.parametrize(("call", "case"), CASES)
def test_a_fault_fails_the_check_and_a_retry_completes_it_once(
    provisioning: Provisioning, proxy: FaultProxy, call: Call, case: FaultCase
) -> None:
    proxy.inject(call.rule(case.fault))

    with pytest.raises((DependencyUnavailable, PublishFailed)):
        check()

    attempts = len(
        [seen for seen in proxy.requests(call.target, call.table) if seen.fault is not None]
    )
    assert attempts == (MAX_ATTEMPTS if case.retried else 1), proxy.requests()
    published = provisioning.published()
    assert_completion_bookkeeping(provisioning.progress("ou-1"), published)

    proxy.heal()
    assert check()["all_complete"] is True
    published += provisioning.published()
    state = provisioning.progress("ou-1")
    assert_completion_bookkeeping(state, published)
    assert state["completion_published"] is True
    # One completion, under one id (a lost response may have delivered it more than once).
    assert set(completion_ids(published)) == {state["completion_id"]}


def test_a_fault_before_anything_is_recorded_publishes_nothing(
    provisioning: Provisioning, proxy: FaultProxy
) -> None:
    proxy.inject(Call(QUERY, "test-EngagementLevelsTable").rule(ServiceError(500, "Internal")))
    with pytest.raises(DependencyUnavailable):
        check()
    assert provisioning.published() == []
    assert provisioning.progress("ou-1") == {}
