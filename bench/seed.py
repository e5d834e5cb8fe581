"""The benchmark's OUs, written with BatchWriteItem in parallel, and what each item weighs.

| OU            | integrations                          | scoring rules | engagement levels |
|---------------|---------------------------------------|---------------|-------------------|
| ou-1          | 1, connected                          | 1             | 1                 |
| ou-1k         | 1,000, only the last-written connected | 1,000         | 1,000             |
| ou-100k       | 10,000, only the last-written connected | 100,000     | 100,000           |
| ou-over-limit | 25,000, none connected                | 1             | 1                 |

They go to the large tables; the small tables hold ou-1 alone, for latency measurements.

Ids sort in the order items were written, so the one connected integration is the last item of
its partition that a query reaches: the worst case for a filtered check.
"""

import bisect
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from bench.capacity import item_size
from bench.events import PRINCIPAL
from local.embedded_store import create_tables, put_items
from tests.factories import OuData

WRITERS: Final = 4
CHUNK: Final = 2_500
LATENCY_OU: Final = "ou-1"
SORT_KEYS: Final = {
    "INTEGRATIONS_TABLE": "integration_id",
    "SCORING_RULES_TABLE": "rule_id",
    "ENGAGEMENT_LEVELS_TABLE": "level_id",
    "MEMBERSHIPS_TABLE": "principal_id",
}


def benchmark_ous() -> list[OuData]:
    return [
        _latency_ou(),
        _ou("ou-1k", disconnected=999, connected=1, rules=1_000, levels=1_000),
        _ou("ou-100k", disconnected=9_999, connected=1, rules=100_000, levels=100_000),
        _ou("ou-over-limit", disconnected=25_000, connected=0, rules=1, levels=1),
    ]


def _latency_ou() -> OuData:
    return _ou(LATENCY_OU, disconnected=0, connected=1, rules=1, levels=1)


def _ou(ou_id: str, *, disconnected: int, connected: int, rules: int, levels: int) -> OuData:
    ou = OuData(ou_id)
    for _ in range(disconnected):
        ou.integration(kind="hubspot", status="disconnected")
    for _ in range(connected):
        ou.integration(kind="slack", status="connected")
    for _ in range(rules):
        ou.scoring_rule()
    for _ in range(levels):
        ou.engagement_level()
    return ou


@dataclass
class Partition:
    """One OU's items in one table, in sort-key order, with their sizes."""

    keys: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def sizes_after(self, start_key: str | None, count: int) -> list[int]:
        """Sizes of the ``count`` items a query reads after ``start_key`` (from the start)."""
        first = 0 if start_key is None else bisect.bisect_right(self.keys, start_key)
        return self.sizes[first : first + count]


@dataclass
class Catalog:
    """Every seeded item's size, by table name and OU: what read units are computed from."""

    partitions: dict[tuple[str, str], Partition] = field(default_factory=dict)

    def add(self, table: str, sort_key: str, items: Sequence[Mapping[str, Any]]) -> None:
        for item in sorted(items, key=lambda item: str(item[sort_key])):
            partition = self.partitions.setdefault((table, str(item["ou_id"])), Partition())
            partition.keys.append(str(item[sort_key]))
            partition.sizes.append(item_size(item))

    def partition(self, table: str, ou_id: str) -> Partition:
        return self.partitions.get((table, ou_id), Partition())


def seed(
    client: Any,
    large: Mapping[str, str],
    small: Mapping[str, str],
    deadline_seconds: float,
) -> tuple[Catalog, str]:
    """Create both sets of tables and write their OUs and memberships; return the catalog of
    the large tables and a line saying how long it took. TimeoutError past the deadline."""
    started = time.monotonic()
    ous = benchmark_ous()
    catalog = Catalog()
    batches = _batches(large, ous, catalog) + _batches(small, [_latency_ou()], Catalog())
    for tables in (large, small):
        create_tables(client, tables)
    with ThreadPoolExecutor(max_workers=WRITERS) as writers:
        pending = [writers.submit(put_items, client, table, chunk) for table, chunk in batches]
        for future in pending:
            future.result(timeout=max(1.0, deadline_seconds - (time.monotonic() - started)))
    total = sum(len(chunk) for _, chunk in batches)
    elapsed = time.monotonic() - started
    return catalog, f"seeded {total:,} items in {elapsed:.0f} s ({total / elapsed:,.0f} items/s)"


def seed_latency_tables(client: Any, small: Mapping[str, str]) -> None:
    """Only the small tables and their one OU: enough for latency and cold start."""
    create_tables(client, small)
    for table, chunk in _batches(small, [_latency_ou()], Catalog()):
        put_items(client, table, chunk)


def _batches(
    tables: Mapping[str, str], ous: Sequence[OuData], catalog: Catalog
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Chunks of items to write per table, recorded in the catalog."""
    batches: list[tuple[str, list[dict[str, Any]]]] = []
    contents = {
        "INTEGRATIONS_TABLE": [item for ou in ous for item in ou.integrations],
        "SCORING_RULES_TABLE": [item for ou in ous for item in ou.scoring_rules],
        "ENGAGEMENT_LEVELS_TABLE": [item for ou in ous for item in ou.engagement_levels],
        "MEMBERSHIPS_TABLE": [{"ou_id": ou.ou_id, "principal_id": PRINCIPAL} for ou in ous],
    }
    for variable, items in contents.items():
        catalog.add(tables[variable], SORT_KEYS[variable], items)
        batches += [(tables[variable], items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]
    return batches
