"""Target 2: what one request reads, from an OU with one item per table to one with 210,000.

Each design answers the same member of each seeded OU once, checks in order on one client (so
every call is observed in turn), straight to moto with generous timeouts: the numbers here are
items and read units, which do not depend on latency. moto's own time is not reported: it
scans and sorts a whole table on every Query, which DynamoDB does not.
"""

from collections.abc import Mapping
from typing import Any, Final

import boto3
from botocore.config import Config

from adapters.dynamodb import (
    FIRST_PAGE_SIZE,
    MAX_ITEMS_PER_CHECK,
    DynamoDbEvidence,
    DynamoDbMemberships,
)
from bench.events import PRINCIPAL
from bench.reads import ReadLog
from bench.report import Table
from bench.seed import Catalog
from bench.variants import CountingEvidence
from domain.checklist import EvidenceSource
from domain.errors import EvidenceReadLimitExceeded
from domain.identifiers import OuId, PrincipalId
from domain.ports import EvidenceRepository, InOrderCheckRunner
from domain.service import Caller, ChecklistEvaluator, OnboardingStatusService
from local.embedded_store import LOCAL_REGION

OUS: Final = ("ou-1", "ou-1k", "ou-100k", "ou-over-limit")
UNFILTERED: Final = ("MEMBERSHIPS_TABLE", "SCORING_RULES_TABLE", "ENGAGEMENT_LEVELS_TABLE")
SOURCE_VARIABLES: Final = {
    EvidenceSource.INTEGRATIONS: "INTEGRATIONS_TABLE",
    EvidenceSource.SCORING_RULES: "SCORING_RULES_TABLE",
    EvidenceSource.ENGAGEMENT_LEVELS: "ENGAGEMENT_LEVELS_TABLE",
}


def patient_client(endpoint: str) -> Any:
    config = Config(
        read_timeout=600,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint, region_name=LOCAL_REGION, config=config
    )


def run(
    endpoint: str, tables: Mapping[str, str], catalog: Catalog
) -> tuple[Table, dict[str, int], bool]:
    """The table; the read units of one request by this service per OU (for the cost
    arithmetic of scale.py); whether its unfiltered reads (membership, scoring rules,
    engagement levels) cost the same calls and read units at every size, within one page."""
    log = ReadLog(catalog)
    client = log.attach(patient_client(endpoint))
    evidence_tables = {source: tables[variable] for source, variable in SOURCE_VARIABLES.items()}
    designs: dict[str, EvidenceRepository] = {
        "this service (first qualifying page)": DynamoDbEvidence(client, evidence_tables),
        "naive (Select=COUNT of the partition)": CountingEvidence(client, evidence_tables),
    }
    memberships = DynamoDbMemberships(client, tables["MEMBERSHIPS_TABLE"])
    table = Table(
        "Target 2: cost per request at any OU size (moto; read units computed)",
        [
            "OU",
            "design",
            "answer",
            "DynamoDB requests",
            "items read",
            "read units",
            "integrations check: queries / items",
        ],
    )
    units_by_ou: dict[str, int] = {}
    unfiltered_reads: set[tuple[tuple[int, int], ...]] = set()
    within_first_page = True
    for ou_id in OUS:
        for name, evidence in designs.items():
            service = OnboardingStatusService(
                memberships, ChecklistEvaluator(evidence, runner=InOrderCheckRunner())
            )
            log.clear()
            answer = _answer(service, ou_id)
            calls, items, units = log.summary()
            queries, integration_items, _ = log.reads_of(tables["INTEGRATIONS_TABLE"])
            table.add(
                ou_id,
                name,
                answer,
                calls,
                f"{items:,}",
                f"{units:,}",
                f"{queries} / {integration_items:,}",
            )
            if evidence is designs["this service (first qualifying page)"]:
                units_by_ou[ou_id] = units
                if ou_id != "ou-over-limit":
                    reads = [log.reads_of(tables[variable]) for variable in UNFILTERED]
                    unfiltered_reads.add(tuple((calls, units) for calls, _, units in reads))
                    within_first_page &= all(items <= FIRST_PAGE_SIZE for _, items, _ in reads)
    table.notes += [
        "Read units are computed per DynamoDB's rules from the items each request read "
        "(ScannedCount, before the filter) and their sizes (bench/capacity.py): moto reports a "
        "fixed ConsumedCapacity. Strongly consistent reads: 1 unit per 4 KB per request, "
        "at least 1.",
        "Scoring rules and engagement levels cost one 16-item page at any size: their first "
        "item qualifies. The integrations check reads until the first connected integration: "
        "pages grow 16, 64, 256, then 1,024 items, and the check gives up after "
        f"{MAX_ITEMS_PER_CHECK:,} items (500, EvidenceReadLimitExceeded) rather than read on.",
    ]
    return table, units_by_ou, len(unfiltered_reads) == 1 and within_first_page


def _answer(service: OnboardingStatusService, ou_id: str) -> str:
    try:
        status = service.status_for(Caller(PrincipalId(PRINCIPAL), OuId(ou_id)))
    except EvidenceReadLimitExceeded:
        return "500: read limit"
    return f"200: {status.completed_count}/{status.total_count} done"
