"""``python -m bench.fleet`` (``make bench-fleet``): the fleet sweep at scale, measured.

Seeds 50,000 generated OUs (local.demo_data's fleet: assorted stages, 1-3 members, most with a
progress record, some unrecorded, some a step behind) and 20 large ones (50 members, 2,000 items
in each evidence table) in dynalite, then runs ``report`` and ``reconcile`` over 8 segments at
once through the sweep function's handler, as ``make sweep`` does. Every DynamoDB request the
handler's client sends is counted, with the capacity the store says it consumed
(ReturnConsumedCapacity, added by a hook on that client: the function's code is unchanged).
Writes its section of docs/benchmarks.md with a projection for 10 million OUs.

dynalite, not moto: it computes ConsumedCapacity from the items read, as DynamoDB does (moto
returns a constant), and scans and queries without reading whole tables. EventBridge is moto's
server (bench.store), in a process of its own.
"""

import os
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from bench.report import Table, verdict
from local.cfn_template import PROVISIONING_FUNCTION, STATUS_FUNCTION
from local.demo_data import FleetOu, fleet_items, fleet_ous
from local.embedded_store import create_tables, put_items
from local.stack import function_settings, local_table_names

FLEET_SIZE: Final = 50_000
LARGE_OUS: Final = 20
LARGE_MEMBERS: Final = 50
LARGE_ITEMS: Final = 2_000
SEGMENTS: Final = 8
WRITERS: Final = 4
CHUNK: Final = 1_000
RUN_DEADLINE_SECONDS: Final = 25 * 60
OUTPUT: Final = Path("docs/benchmarks.md")
SECTION: Final = "## Fleet sweep at scale (written by `make bench-fleet`)"

# The projection's assumptions: list prices, us-east-1, December 2026.
PROJECTED_OUS: Final = 10_000_000
DEFAULT_SEGMENTS: Final = 64  # the state machine's default segments and MaxConcurrency
READ_UNIT_PRICE: Final = 0.125 / 1_000_000  # DynamoDB on-demand, per read request unit
WRITE_UNIT_PRICE: Final = 0.625 / 1_000_000  # per write request unit
LAMBDA_GB_SECOND_PRICE: Final = 0.0000133334  # arm64
LAMBDA_MEMORY_GB: Final = 0.25  # the sweep function's 256 MB
GOAL_READS: Final = 4
GOAL_UNITS: Final = 5
GOAL_DOLLARS: Final = 10
GOAL_HOURS: Final = 1
SCAN: Final = "(memberships scan)"
READS: Final = frozenset({"GetItem", "Query", "Scan", "BatchGetItem"})


@dataclass
class Tally:
    requests: int = 0
    units: float = 0.0


@dataclass
class RequestCounter:
    """Requests and consumed capacity per OU (and for the memberships scan), reads and writes
    apart, from a hook on the client: thread-safe, as segments share the client."""

    reads: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    writes: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)
        return client

    def reset(self) -> None:
        with self._lock:
            self.reads.clear()
            self.writes.clear()

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"
        context["bench_ou"] = ou_of(params)

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        units = sum(
            float(entry.get("CapacityUnits", 0))
            for entry in _as_list(parsed.get("ConsumedCapacity"))
        )
        tallies = self.reads if model.name in READS else self.writes
        with self._lock:
            tally = tallies[context.get("bench_ou") or SCAN]
            tally.requests += 1
            tally.units += units


def _as_list(consumed: Any) -> list[dict[str, Any]]:
    if consumed is None:
        return []
    return consumed if isinstance(consumed, list) else [consumed]


def ou_of(params: Mapping[str, Any]) -> str | None:
    """The OU a request is about: its key, or its key condition's value."""
    key = params.get("Key", {}).get("ou_id", {}).get("S")
    if key is not None:
        return str(key)
    value = params.get("ExpressionAttributeValues", {}).get(":ou", {}).get("S")
    return None if value is None else str(value)


# --- seeding ---------------------------------------------------------------------------------


def large_ou_items(index: int) -> dict[str, list[dict[str, object]]]:
    """A complete OU with many members and thousands of items per evidence table, every item
    qualifying: what a check reads must not grow with them."""
    ou_id = f"ou-large-{index:03d}"
    key = {"ou_id": ou_id}
    return {
        "MEMBERSHIPS_TABLE": [
            {**key, "principal_id": f"user-large-{index:03d}-{m}"} for m in range(LARGE_MEMBERS)
        ],
        "INTEGRATIONS_TABLE": [
            {**key, "integration_id": f"int-{i:05d}", "kind": "slack", "status": "connected"}
            for i in range(LARGE_ITEMS)
        ],
        "SCORING_RULES_TABLE": [
            {**key, "rule_id": f"rule-{i:05d}", "surface": "engagement", "active": True}
            for i in range(LARGE_ITEMS)
        ],
        "ENGAGEMENT_LEVELS_TABLE": [
            {**key, "level_id": f"lvl-{i:05d}", "name": "Hot", "min_score": 50, "max_score": 99}
            for i in range(LARGE_ITEMS)
        ],
    }


def seed_fleet(client: Any, tables: Mapping[str, str], now: datetime) -> tuple[list[FleetOu], str]:
    """Create the tables and write the fleet with parallel BatchWriteItem; return the typical
    OUs and a line saying what was written and how fast."""
    started = time.monotonic()
    for function in (STATUS_FUNCTION, PROVISIONING_FUNCTION):
        create_tables(client, tables, function)
    ous = fleet_ous(FLEET_SIZE)
    contents = fleet_items(ous, now)
    for index in range(LARGE_OUS):
        for variable, items in large_ou_items(index).items():
            contents[variable] += items
    chunks = [
        (tables[variable], items[start : start + CHUNK])
        for variable, items in contents.items()
        for start in range(0, len(items), CHUNK)
    ]
    with ThreadPoolExecutor(max_workers=WRITERS) as writers:
        for future in [writers.submit(put_items, client, table, chunk) for table, chunk in chunks]:
            future.result(timeout=RUN_DEADLINE_SECONDS)
    total = sum(len(items) for items in contents.values())
    elapsed = time.monotonic() - started
    line = (
        f"{len(ous) + LARGE_OUS:,} OUs, {total:,} items seeded in {elapsed:.0f} s "
        f"({total / elapsed:,.0f} items/s)"
    )
    return ous, line


# --- what a run measured, and what it projects ----------------------------------------------


@dataclass(frozen=True)
class PerOu:
    """Requests and units per OU of a group of OUs: mean and worst."""

    requests: float
    units: float
    max_requests: int
    max_units: float

    @classmethod
    def of(cls, tallies: Sequence[Tally]) -> "PerOu":
        count = max(1, len(tallies))
        return cls(
            requests=sum(t.requests for t in tallies) / count,
            units=sum(t.units for t in tallies) / count,
            max_requests=max((t.requests for t in tallies), default=0),
            max_units=max((t.units for t in tallies), default=0.0),
        )


@dataclass(frozen=True)
class Measured:
    mode: str
    ous: int
    seconds: float
    typical: PerOu
    large: PerOu
    scan_requests: float  # per OU
    scan_units: float  # per OU
    write_units: float  # per OU
    published: int
    adopted: int

    @property
    def ous_per_second(self) -> float:
        return self.ous / self.seconds

    @property
    def read_units_per_ou(self) -> float:
        return self.typical.units + self.scan_units


def measured(
    mode: str, answer: Mapping[str, Any], seconds: float, counter: RequestCounter
) -> Measured:
    ous = int(answer["ous"])
    typical = [t for ou, t in counter.reads.items() if ou.startswith("ou-fleet-")]
    large = [t for ou, t in counter.reads.items() if ou.startswith("ou-large-")]
    scan = counter.reads.get(SCAN, Tally())
    return Measured(
        mode=mode,
        ous=ous,
        seconds=seconds,
        typical=PerOu.of(typical),
        large=PerOu.of(large),
        scan_requests=scan.requests / max(1, ous),
        scan_units=scan.units / max(1, ous),
        write_units=sum(t.units for t in counter.writes.values()) / max(1, ous),
        published=int(answer["published"]),
        adopted=int(answer["adopted"]),
    )


def results_table(runs: Sequence[Measured], seeded: str) -> Table:
    table = Table(
        f"Fleet sweep: {SEGMENTS} segments at once ({seeded})",
        [
            "mode",
            "OUs",
            "wall time",
            "OUs/s",
            "reads per typical OU (mean / max)",
            "read units per typical OU (mean / max)",
            "reads / units per large OU (max)",
            "scan per OU (requests / units)",
            "write units per OU",
            "adopted",
            "events published",
        ],
    )
    for run in runs:
        table.add(
            run.mode,
            f"{run.ous:,}",
            f"{run.seconds:.0f} s",
            f"{run.ous_per_second:,.0f}",
            f"{run.typical.requests:.2f} / {run.typical.max_requests}",
            f"{run.typical.units:.2f} / {run.typical.max_units:g}",
            f"{run.large.max_requests} / {run.large.max_units:g}",
            f"{run.scan_requests:.4f} / {run.scan_units:.4f}",
            f"{run.write_units:.3f}",
            f"{run.adopted:,}",
            f"{run.published:,}",
        )
    table.notes += [
        "Typical OU: the generated fleet's (1-3 members, at most a few items per table); large: "
        f"{LARGE_MEMBERS} members and {LARGE_ITEMS:,} qualifying items in each evidence table.",
        "Requests and units as the store reported them for each request the sweep function's "
        "client sent (ReturnConsumedCapacity added by a client hook); the memberships scan is "
        "shared out over the OUs it found.",
        "OUs/s on this 2-core machine, the store and all segments sharing it: a floor, not "
        "Lambda's rate.",
    ]
    return table


@dataclass(frozen=True)
class Projection:
    read_units: float
    write_units: float
    lambda_seconds: float
    hours: float

    @property
    def dollars(self) -> float:
        lambda_dollars = self.lambda_seconds * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_PRICE
        return (
            self.read_units * READ_UNIT_PRICE + self.write_units * WRITE_UNIT_PRICE + lambda_dollars
        )


def project(run: Measured) -> Projection:
    """A nightly sweep of PROJECTED_OUS at the measured per-OU figures. Wall time: each of the
    DEFAULT_SEGMENTS segments at the rate one segment kept here (its share of the measured
    rate), so Lambda's time is the OUs over that rate."""
    per_segment_rate = run.ous_per_second / SEGMENTS
    lambda_seconds = PROJECTED_OUS / per_segment_rate
    return Projection(
        read_units=PROJECTED_OUS * run.read_units_per_ou,
        write_units=PROJECTED_OUS * run.write_units,
        lambda_seconds=lambda_seconds,
        hours=lambda_seconds / DEFAULT_SEGMENTS / 3600,
    )


def projection_table(runs: Sequence[Measured]) -> Table:
    table = Table(
        f"Fleet sweep: projection for {PROJECTED_OUS:,} OUs, nightly",
        ["mode", "read units", "write units", "Lambda GB-s", "dollars per sweep", "wall time"],
    )
    for run in runs:
        p = project(run)
        table.add(
            run.mode,
            f"{p.read_units / 1e6:,.1f} M",
            f"{p.write_units / 1e6:,.2f} M",
            f"{p.lambda_seconds * LAMBDA_MEMORY_GB:,.0f}",
            f"${p.dollars:,.2f}",
            f"{p.hours * 60:,.0f} min at {DEFAULT_SEGMENTS} segments",
        )
    table.notes += [
        "Prices (us-east-1, on-demand list prices): $0.125 per million read request units, "
        "$0.625 per million write request units, Lambda arm64 $0.0000133334 per GB-s at "
        "256 MB; Step Functions (a few state transitions per segment) and EventBridge (news "
        "only) add cents.",
        "Wall time: the default 64 segments with MaxConcurrency 64, each as fast as one of the "
        "8 segments here; DynamoDB in AWS answers in single-digit milliseconds, so this is an "
        "upper bound.",
    ]
    return table


def targets_table(runs: Sequence[Measured]) -> Table:
    table = Table("Fleet sweep: targets", ["target", "result"])
    for run in runs:
        p = project(run)
        table.add(
            f"{run.mode}: at most {GOAL_READS} reads per typical OU "
            f"({run.typical.requests:.2f} mean, {run.typical.max_requests} max)",
            verdict(run.typical.max_requests <= GOAL_READS),
        )
        table.add(
            f"{run.mode}: at most {GOAL_UNITS} read units per typical OU "
            f"({run.read_units_per_ou:.2f} with the scan's share)",
            verdict(run.read_units_per_ou <= GOAL_UNITS),
        )
        table.add(
            f"{run.mode}: flat in OU size (large OU at most the typical OU's worst)",
            verdict(
                run.large.max_requests <= run.typical.max_requests
                and run.large.max_units <= run.typical.max_units
            ),
        )
        table.add(
            f"{run.mode}: 10M OUs under ${GOAL_DOLLARS} (${p.dollars:.2f}) and "
            f"{GOAL_HOURS} hour ({p.hours * 60:.0f} min)",
            verdict(p.dollars < GOAL_DOLLARS and p.hours < GOAL_HOURS),
        )
    return table


def replace_section(document: str, section: str) -> str:
    """``document`` with its SECTION replaced by ``section`` (up to the next ``## `` heading),
    or with ``section`` appended."""
    start = document.find(SECTION)
    if start < 0:
        return document.rstrip("\n") + "\n\n" + section
    following = re.compile(r"^## ", re.MULTILINE).search(document, start + len(SECTION))
    end = len(document) if following is None else following.start()
    return document[:start] + section + ("\n" if following else "") + document[end:]


def environment(tables: Mapping[str, str], dynamodb: str, events: str) -> dict[str, str]:
    """The sweep function's environment in this process: its tables and settings, both stores."""
    return {
        **function_settings(),
        **tables,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": events,
        "POWERTOOLS_METRICS_NAMESPACE": "Kenbun/Onboarding/Bench",
    }


@contextmanager
def environment_set(values: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def bench_tables() -> dict[str, str]:
    """The stack's tables under names of the benchmark's own."""
    return {
        variable: name.replace("local-", "fleet-bench-", 1)
        for variable, name in local_table_names().items()
    }
