"""The evidence adapter against moto's server over HTTP: how much each check reads.

botocore's event hooks only observe the parsed responses; nothing is patched.
"""

from typing import Any

import pytest

from adapters.dynamodb import FIRST_PAGE_SIZE, MAX_PAGE_SIZE, DynamoDbEvidence
from domain.checklist import CHECKLIST, EvidenceSource
from domain.errors import EvidenceReadLimitExceeded
from domain.identifiers import OuId
from local.embedded_store import local_client
from tests.factories import OuData
from tests.integration.conftest import Store

pytestmark = pytest.mark.integration

CONNECT, RULES, LEVELS = (step.evidence for step in CHECKLIST)
SOURCE_VARIABLE = {
    EvidenceSource.INTEGRATIONS: "INTEGRATIONS_TABLE",
    EvidenceSource.SCORING_RULES: "SCORING_RULES_TABLE",
    EvidenceSource.ENGAGEMENT_LEVELS: "ENGAGEMENT_LEVELS_TABLE",
}


class QueryLog:
    """Records ScannedCount and Count of every Query response the client parses."""

    def __init__(self) -> None:
        self.pages: list[tuple[int, int]] = []

    def __call__(self, parsed: dict[str, Any], **_: Any) -> None:
        self.pages.append((parsed["ScannedCount"], parsed["Count"]))


def observed_evidence(
    store: Store, endpoint: str, **options: Any
) -> tuple[DynamoDbEvidence, QueryLog]:
    client = local_client(endpoint)
    log = QueryLog()
    client.meta.events.register("after-call.dynamodb.Query", log)
    tables = {source: store.tables[variable] for source, variable in SOURCE_VARIABLE.items()}
    return DynamoDbEvidence(client, tables, **options), log


@pytest.fixture
def observed(store: Store, dynamodb_endpoint: str) -> tuple[DynamoDbEvidence, QueryLog]:
    return observed_evidence(store, dynamodb_endpoint)


@pytest.fixture
def limited(store: Store, dynamodb_endpoint: str) -> tuple[DynamoDbEvidence, QueryLog]:
    """An adapter that may read 40 items per check."""
    return observed_evidence(store, dynamodb_endpoint, max_items_per_check=40)


def test_a_check_stops_at_the_first_page_with_a_qualifying_item(
    store: Store, observed: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    ou = OuData("ou-1")
    for _ in range(300):
        ou.scoring_rule()
    store.seed(ou)
    evidence, log = observed
    assert evidence.first_look(OuId("ou-1"), RULES).outcome()
    assert log.pages == [(FIRST_PAGE_SIZE, FIRST_PAGE_SIZE)]


def test_filtered_pages_grow_so_round_trips_stay_few(
    store: Store, observed: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    ou = OuData("ou-1")
    for _ in range(1000):
        ou.integration(status="disconnected")
    ou.integration(kind="teams", status="connected")  # written last, sorts last
    store.seed(ou)
    evidence, log = observed
    assert evidence.first_look(OuId("ou-1"), CONNECT).outcome()
    assert sum(scanned for scanned, _ in log.pages) == 1001
    assert len(log.pages) <= 5  # 16 + 64 + 256 + 1024 pages cover 1,360 items
    assert all(scanned <= MAX_PAGE_SIZE for scanned, _ in log.pages)


def test_an_ou_without_items_costs_one_query(
    store: Store, observed: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    store.seed(OuData("ou-2").complete())
    evidence, log = observed
    assert not evidence.first_look(OuId("ou-1"), LEVELS).outcome()
    assert log.pages == [(0, 0)]


def test_a_check_gives_up_at_its_read_limit_without_reading_past_it(
    store: Store, limited: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    ou = OuData("ou-1")
    for _ in range(100):
        ou.integration(status="disconnected")
    ou.integration(kind="slack", status="connected")  # past the limit: never reached
    store.seed(ou)
    evidence, log = limited
    with pytest.raises(EvidenceReadLimitExceeded, match="read 40 items"):
        evidence.first_look(OuId("ou-1"), CONNECT).outcome()
    assert [scanned for scanned, _ in log.pages] == [FIRST_PAGE_SIZE, 40 - FIRST_PAGE_SIZE]


def test_a_partition_smaller_than_the_limit_is_answered(
    store: Store, limited: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    ou = OuData("ou-1")
    for _ in range(30):
        ou.integration(status="disconnected")
    store.seed(ou)
    evidence, log = limited
    assert not evidence.first_look(OuId("ou-1"), CONNECT).outcome()
    assert sum(scanned for scanned, _ in log.pages) == 30


def test_evidence_found_before_the_limit_is_found(
    store: Store, limited: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    ou = OuData("ou-1")
    for _ in range(30):
        ou.integration(status="disconnected")
    ou.integration(kind="teams", status="connected")
    store.seed(ou)
    evidence, log = limited
    assert evidence.first_look(OuId("ou-1"), CONNECT).outcome()
    assert sum(scanned for scanned, _ in log.pages) == 31


def test_a_partition_ending_exactly_at_a_page_boundary_is_read_once(
    store: Store, observed: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    """When Limit lands exactly on the partition's last item, dynalite (like DynamoDB) still
    returns a LastEvaluatedKey, and the next page is empty; moto stops at once. Either way the
    check reads each item once and answers no."""
    ou = OuData("ou-1")
    for _ in range(FIRST_PAGE_SIZE):
        ou.integration(status="disconnected")
    store.seed(ou)
    evidence, log = observed
    assert not evidence.first_look(OuId("ou-1"), CONNECT).outcome()
    assert log.pages[0] == (FIRST_PAGE_SIZE, 0)
    assert log.pages[1:] in ([], [(0, 0)])
