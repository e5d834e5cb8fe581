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

import argparse
import math
import os
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bench.report import Table, machine, verdict
from bench.store import store_process
from bench.wiring import clients_made_by, output_discarded
from local.cfn_template import (
    FLEET_SWEEP_FUNCTION,
    PROVISIONING_FUNCTION,
    STATUS_FUNCTION,
    function_properties,
    load_template,
    parameter_default,
)
from local.demo_data import FleetOu, fleet_items, fleet_ous
from local.embedded_store import create_tables, local_client, put_items
from local.lambda_runtime import load_handler, new_context
from local.stack import function_settings, local_table_names
from local.sweep import sweep
from tests.dynalite import DynaliteServer

FLEET_SIZE: Final = 50_000
LARGE_OUS: Final = 20
LARGE_MEMBERS: Final = 50
LARGE_ITEMS: Final = 2_000
SEGMENTS: Final = 8
WRITERS: Final = 4
CHUNK: Final = 1_000
RUN_DEADLINE_SECONDS: Final = 40 * 60
OUTPUT: Final = Path("docs/benchmarks.md")
# Its heading, dated: the section sits among the hand-written ones, which `make bench` keeps,
# and a dated record keeps its own figures (tests/docs/test_figures.py).
SECTION: Final = "## Fleet sweep at scale (written by `make bench-fleet`"

# The projection's assumptions: list prices, us-east-1, December 2026.
PROJECTED_OUS: Final = 10_000_000
# The template's defaults: segments (as many run at once) and the sweep function's memory.
DEFAULT_SEGMENTS: Final = int(parameter_default(load_template(), "FleetSweepSegments"))
SWEEP_MEMORY_MB: Final = int(
    function_properties(load_template(), FLEET_SWEEP_FUNCTION)["MemorySize"]
)
READ_UNIT_PRICE: Final = 0.125 / 1_000_000  # DynamoDB on-demand, per read request unit
WRITE_UNIT_PRICE: Final = 0.625 / 1_000_000  # per write request unit
LAMBDA_GB_SECOND_PRICE: Final = 0.0000133334  # arm64
LAMBDA_MEMORY_GB: Final = SWEEP_MEMORY_MB / 1024
LAMBDA_VCPU: Final = SWEEP_MEMORY_MB / 1769  # a full vCPU at 1,769 MB, in proportion below
ROUND_TRIPS_PER_OU: Final = 2
AWS_ROUND_TRIP_SECONDS: Final = 0.010  # in-region DynamoDB from Lambda, conservatively
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
    """The OU a request is about: its key or item, or its key condition's value."""
    for keyed in ("Key", "Item"):
        key = params.get(keyed, {}).get("ou_id", {}).get("S")
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


def seed_fleet(
    client: Any, tables: Mapping[str, str], now: datetime, size: int = FLEET_SIZE
) -> tuple[list[FleetOu], str]:
    """Create the tables and write the fleet with parallel BatchWriteItem; return the typical
    OUs and a line saying what was written and how fast."""
    started = time.monotonic()
    for function in (STATUS_FUNCTION, PROVISIONING_FUNCTION):
        create_tables(client, tables, function)
    ous = fleet_ous(size)
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
    """Read requests and units per OU of a group of OUs."""

    median_requests: float
    max_requests: int
    units: float  # mean
    max_units: float

    @classmethod
    def of(cls, tallies: Sequence[Tally]) -> "PerOu":
        requests = [t.requests for t in tallies] or [0]
        return cls(
            median_requests=statistics.median(requests),
            max_requests=max(requests),
            units=sum(t.units for t in tallies) / max(1, len(tallies)),
            max_units=max((t.units for t in tallies), default=0.0),
        )


@dataclass(frozen=True)
class Measured:
    mode: str
    ous: int
    seconds: float
    cpu_seconds: float  # this process's, every thread: the handler's work, not the store's
    typical: PerOu
    large: PerOu
    scan_units: float  # per OU
    write_units: float  # per OU
    published: int
    adopted: int

    @property
    def read_units_per_ou(self) -> float:
        return self.typical.units + self.scan_units

    @property
    def lambda_seconds_per_ou(self) -> float:
        """One OU's time in a segment on Lambda: this process's CPU time per OU at the share
        of a vCPU the function's memory buys, plus its sequential round trips to DynamoDB."""
        cpu = self.cpu_seconds / self.ous / LAMBDA_VCPU
        return cpu + ROUND_TRIPS_PER_OU * AWS_ROUND_TRIP_SECONDS


def measured(
    mode: str, answer: Mapping[str, Any], clocks: tuple[float, float], counter: RequestCounter
) -> Measured:
    ous = int(answer["ous"])
    typical = [t for ou, t in counter.reads.items() if ou.startswith("ou-fleet-")]
    large = [t for ou, t in counter.reads.items() if ou.startswith("ou-large-")]
    return Measured(
        mode=mode,
        ous=ous,
        seconds=clocks[0],
        cpu_seconds=clocks[1],
        typical=PerOu.of(typical),
        large=PerOu.of(large),
        scan_units=counter.reads.get(SCAN, Tally()).units / max(1, ous),
        write_units=sum(t.units for t in counter.writes.values()) / max(1, ous),
        published=int(answer["published"]),
        adopted=int(answer["adopted"]),
    )


def results_table(runs: Sequence[Measured], seeded: str) -> Table:
    table = Table(
        f"Fleet sweep: {SEGMENTS} segments at once ({seeded})",
        [
            "run",
            "wall time",
            "OUs/s",
            "CPU ms per OU",
            "reads per typical OU (median / max)",
            "read units per typical OU (mean / max)",
            "reads / units per large OU (max)",
            "scan units per OU",
            "write units per OU",
            "adopted",
            "events published",
        ],
    )
    for run in runs:
        table.add(
            run.mode,
            f"{run.seconds:.0f} s",
            f"{run.ous / run.seconds:,.0f}",
            f"{run.cpu_seconds / run.ous * 1000:.1f}",
            f"{run.typical.median_requests:g} / {run.typical.max_requests}",
            f"{run.typical.units:.2f} / {run.typical.max_units:g}",
            f"{run.large.max_requests} / {run.large.max_units:g}",
            f"{run.scan_units:.4f}",
            f"{run.write_units:.3f}",
            f"{run.adopted:,}",
            f"{run.published:,}",
        )
    table.notes += [
        "Runs in order on one store: report; reconcile right after seeding (it adopts the "
        "unrecorded OUs and announces what the seeded records missed); reconcile again, as "
        "every night after (news only).",
        "Typical OU: the generated fleet's (1-3 members, a few items per table); large: "
        f"{LARGE_MEMBERS} members and {LARGE_ITEMS:,} qualifying items in each evidence table. "
        "A typical OU with news reads one GetItem more (the claimed completion read back).",
        "Requests and units as dynalite reported them for each request of the sweep "
        "function's client (ReturnConsumedCapacity added by a client hook); the memberships "
        "scan (eventually consistent, keys only) shared out over the OUs it found.",
        "OUs/s: all segments, the store and this process on this 2-core machine: not "
        "Lambda's rate (the projection below derives that from CPU time per OU).",
    ]
    return table


@dataclass(frozen=True)
class Projection:
    read_units: float
    write_units: float
    lambda_seconds: float

    @property
    def hours(self) -> float:
        return self.lambda_seconds / DEFAULT_SEGMENTS / 3600

    @property
    def segments_for_an_hour(self) -> int:
        return math.ceil(self.lambda_seconds / 3600)

    @property
    def dollars(self) -> float:
        return (
            self.read_units * READ_UNIT_PRICE
            + self.write_units * WRITE_UNIT_PRICE
            + self.lambda_seconds * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND_PRICE
        )


def project(run: Measured) -> Projection:
    """A sweep of PROJECTED_OUS at the measured per-OU figures."""
    return Projection(
        read_units=PROJECTED_OUS * run.read_units_per_ou,
        write_units=PROJECTED_OUS * run.write_units,
        lambda_seconds=PROJECTED_OUS * run.lambda_seconds_per_ou,
    )


def projection_table(runs: Sequence[Measured]) -> Table:
    table = Table(
        f"Fleet sweep: projection for {PROJECTED_OUS:,} OUs",
        [
            "run",
            "read units",
            "write units",
            "Lambda GB-s",
            "dollars per sweep",
            f"wall time at {DEFAULT_SEGMENTS} segments",
            "segments for one hour",
        ],
    )
    for run in runs:
        p = project(run)
        table.add(
            run.mode,
            f"{p.read_units / 1e6:,.1f} M",
            f"{p.write_units / 1e6:,.2f} M",
            f"{p.lambda_seconds * LAMBDA_MEMORY_GB:,.0f}",
            f"${p.dollars:,.2f}",
            f"{p.hours * 60:,.0f} min",
            f"{p.segments_for_an_hour:,}",
        )
    table.notes += [
        "Prices (us-east-1, on-demand list prices): $0.125 per million read request units, "
        "$0.625 per million write request units, Lambda arm64 $0.0000133334 per GB-s at "
        f"{SWEEP_MEMORY_MB:,} MB. Step Functions (a few state transitions per segment) and "
        "EventBridge (news only) add cents.",
        f"Lambda time per OU: the CPU time per OU measured here at {LAMBDA_VCPU:.3f} vCPU "
        f"({SWEEP_MEMORY_MB:,} MB of 1,769 MB per vCPU) plus {ROUND_TRIPS_PER_OU} sequential "
        f"DynamoDB round trips of {AWS_ROUND_TRIP_SECONDS * 1000:.0f} ms (progress GetItem, "
        "then the three step queries at once). Wall time: that over the segments running at once "
        f"(default {DEFAULT_SEGMENTS}, MaxConcurrency {DEFAULT_SEGMENTS}).",
    ]
    return table


def targets_table(runs: Sequence[Measured]) -> Table:
    table = Table("Fleet sweep: targets", ["target", "result"])
    for run in runs:
        p = project(run)
        table.add(
            f"{run.mode}: at most {GOAL_READS} reads and {GOAL_UNITS} read units for a "
            f"typical OU ({run.typical.median_requests:g} reads, "
            f"{run.read_units_per_ou:.2f} units with the scan's share)",
            verdict(
                run.typical.median_requests <= GOAL_READS and run.read_units_per_ou <= GOAL_UNITS
            ),
        )
        table.add(
            f"{run.mode}: flat in OU size (a large OU reads no more than a typical one's most)",
            verdict(
                run.large.max_requests <= run.typical.max_requests
                and run.large.max_units <= run.typical.max_units
            ),
        )
        table.add(
            f"{run.mode}: {PROJECTED_OUS // 1_000_000}M OUs under ${GOAL_DOLLARS} "
            f"(${p.dollars:.2f})",
            verdict(p.dollars < GOAL_DOLLARS),
        )
        table.add(
            f"{run.mode}: {PROJECTED_OUS // 1_000_000}M OUs under {GOAL_HOURS} hour at "
            f"{DEFAULT_SEGMENTS} segments ({p.hours * 60:.0f} min)",
            verdict(p.hours < GOAL_HOURS),
        )
    return table


def replace_section(document: str, section: str) -> str:
    """``document`` with the section whose heading starts with SECTION replaced by ``section``
    (up to the next ``## `` heading), or with ``section`` appended."""
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


RUNS: Final = (
    ("report", "report"),
    ("reconcile", "reconcile, first"),
    ("reconcile", "reconcile, nightly"),
)


def run_modes(counter: RequestCounter) -> list[Measured]:
    """Each run over every segment at once, through the handler."""
    handler = load_handler(FLEET_SWEEP_FUNCTION)
    runs = []
    for mode, name in RUNS:
        counter.reset()
        started, cpu_started = time.monotonic(), time.process_time()
        answer = sweep(lambda e: handler(e, new_context(FLEET_SWEEP_FUNCTION)), mode, SEGMENTS)
        clocks = (time.monotonic() - started, time.process_time() - cpu_started)
        runs.append(measured(name, answer, clocks, counter))
        print(f"{name}: {answer['ous']:,} OUs in {clocks[0]:.0f} s", file=sys.stderr, flush=True)
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.add_argument("--ous", type=int, default=FLEET_SIZE, help="generated OUs to seed")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    tables = bench_tables()
    counter = RequestCounter()
    with DynaliteServer() as dynalite, store_process([0], RUN_DEADLINE_SECONDS) as events:
        _, seeded = seed_fleet(local_client(dynalite.url), tables, datetime.now(UTC), args.ous)
        print(seeded, file=sys.stderr, flush=True)
        with (
            environment_set(environment(tables, dynalite.url, events.store)),
            clients_made_by(counter.attach),
            output_discarded(),
        ):
            runs = run_modes(counter)
    section = "\n".join(
        [
            f"{SECTION}, measured {datetime.now(UTC):%Y-%m-%d})",
            "",
            f"Machine: {machine()}. Store: dynalite on 127.0.0.1 (its own process); events: "
            "moto's server. Nothing here is asserted by the tests.",
            "",
            targets_table(runs).markdown(),
            results_table(runs, seeded).markdown(),
            projection_table(runs).markdown(),
        ]
    )
    print(section)
    if not args.no_write:
        OUTPUT.write_text(replace_section(OUTPUT.read_text(), section))
        print(f"Written to {OUTPUT}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
