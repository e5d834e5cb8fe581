"""What a non-member's request costs and learns, over the wire (issue 9): only a small first
page of each step table is read before membership is confirmed, and the answer is the same
403 whatever state the OU is in. Items read are counted by a proxy in front of the store, from
the store's own ScannedCount, so the numbers are what DynamoDB would bill."""

import time
import uuid
from collections.abc import Iterator
from typing import Any, Final

import pytest

from adapters.dynamodb import FIRST_PAGE_SIZE
from handlers.status_api import lambda_handler
from tests.factories import LambdaContextStub, OuData, http_api_event
from tests.factories import lambda_authorizer as authorizer
from tests.faults import Delay, FaultProxy, Rule, ServiceError
from tests.integration.conftest import Store, use_environment

pytestmark = pytest.mark.integration

QUERY: Final = "DynamoDB_20120810.Query"
STEP_TABLES: Final = ("INTEGRATIONS_TABLE", "SCORING_RULES_TABLE", "ENGAGEMENT_LEVELS_TABLE")
DISCONNECTED: Final = 3_000


@pytest.fixture
def proxy(
    store: Store, dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    with FaultProxy(dynamodb_endpoint) as running:
        use_environment(monkeypatch, {"AWS_ENDPOINT_URL_DYNAMODB": running.url})
        yield running


def new_ou() -> str:
    return f"ou-{uuid.uuid4().hex[:12]}"


def huge_ou(store: Store) -> str:
    """An OU with 3,000 disconnected integrations and nothing else; alice is its member."""
    ou_id = new_ou()
    data = OuData(ou_id)
    for _ in range(DISCONNECTED):
        data.integration(status="disconnected")
    store.seed(data)
    store.member(ou_id, "alice")
    return ou_id


def status_of(principal: str, ou_id: str) -> dict[str, Any]:
    event = http_api_event(authorizer=authorizer(principal, ou_id))
    return lambda_handler(event, LambdaContextStub())


def items_read(proxy: FaultProxy, store: Store, ou_id: str) -> int:
    return sum(proxy.items_read(store.tables[table], ou_id) for table in STEP_TABLES)


def test_a_non_member_reads_one_small_page_per_step_table_where_a_member_reads_them_all(
    proxy: FaultProxy, store: Store
) -> None:
    ou_id = huge_ou(store)

    denied = status_of("mallory", ou_id)
    non_member_reads = items_read(proxy, store, ou_id)
    proxy.forget_requests()
    answered = status_of("alice", ou_id)
    member_reads = items_read(proxy, store, ou_id)

    assert denied["statusCode"] == 403
    assert non_member_reads <= FIRST_PAGE_SIZE * len(STEP_TABLES)
    # What a non-member's request cost before membership came first: the member's reads.
    assert answered["statusCode"] == 200
    assert member_reads >= DISCONNECTED


@pytest.mark.parametrize("state", ["missing", "empty", "huge", "failing", "slow"])
def test_a_non_member_gets_the_same_answer_whatever_the_ous_state(
    proxy: FaultProxy, store: Store, state: str
) -> None:
    reference = status_of("mallory", new_ou())  # an OU that does not exist
    ou_id = new_ou()
    if state == "empty":
        store.member(ou_id, "alice")
    elif state == "huge":
        ou_id = huge_ou(store)
    elif state in ("failing", "slow"):
        store.member(ou_id, "alice")
        store.seed(OuData(ou_id).complete())
        fault = Delay(seconds=5.0) if state == "slow" else ServiceError(500, "InternalServerError")
        table = store.tables["INTEGRATIONS_TABLE"]
        proxy.inject(Rule(QUERY, fault, table=table, body_contains=ou_id))

    started = time.monotonic()
    response = status_of("mallory", ou_id)
    elapsed = time.monotonic() - started

    assert response == reference
    assert response["statusCode"] == 403
    # The answer waits for the membership read only, never for the OU's slow table.
    assert elapsed < 2.0
