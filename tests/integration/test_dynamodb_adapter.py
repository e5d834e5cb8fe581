"""The evidence adapter against moto's server over HTTP: how much each check reads.

botocore's event hooks only observe the parsed responses; nothing is patched.
"""

from typing import Any

import pytest

from adapters.dynamodb import FIRST_PAGE_SIZE, MAX_PAGE_SIZE, DynamoDbEvidence
from domain.checklist import CHECKLIST, EvidenceSource
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


@pytest.fixture
def observed(store: Store, dynamodb_endpoint: str) -> tuple[DynamoDbEvidence, QueryLog]:
    client = local_client(dynamodb_endpoint)
    log = QueryLog()
    client.meta.events.register("after-call.dynamodb.Query", log)
    tables = {source: store.tables[variable] for source, variable in SOURCE_VARIABLE.items()}
    return DynamoDbEvidence(client, tables), log


def test_a_check_stops_at_the_first_page_with_a_qualifying_item(
    store: Store, observed: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    ou = OuData("ou-1")
    for _ in range(300):
        ou.scoring_rule()
    store.seed(ou)
    evidence, log = observed
    assert evidence.has_evidence(OuId("ou-1"), RULES)
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
    assert evidence.has_evidence(OuId("ou-1"), CONNECT)
    assert sum(scanned for scanned, _ in log.pages) == 1001
    assert len(log.pages) <= 5  # 16 + 64 + 256 + 1024 pages cover 1,360 items
    assert all(scanned <= MAX_PAGE_SIZE for scanned, _ in log.pages)


def test_an_ou_without_items_costs_one_query(
    store: Store, observed: tuple[DynamoDbEvidence, QueryLog]
) -> None:
    store.seed(OuData("ou-2").complete())
    evidence, log = observed
    assert not evidence.has_evidence(OuId("ou-1"), LEVELS)
    assert log.pages == [(0, 0)]
