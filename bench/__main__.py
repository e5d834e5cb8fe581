"""``python -m bench`` (``make bench``): every measurement side by side, in one run.

Prints each table as it is measured, then writes them all to docs/benchmarks.md with the
machine they ran on, keeping its hand-written sections. Bounded: the store process ends with
the run (or after its own lifetime), and each phase checks the run's overall deadline.

``python -m bench cold-start [--compare CHECKOUT ...] [--repeats N]``: the cold-start table
alone, in a couple of minutes, printed and not written; each ``--compare`` adds the first
request as another checkout's src/ answers it (e.g. ``git worktree add /tmp/before main``):
a comparison in one run.
"""

import argparse
import sys
import time
from pathlib import Path
from typing import Final

from bench.report import Table, keep_hand_written, machine, verdict
from bench.wiring import LARGE_TABLES, SMALL_TABLES, configure_process

configure_process()  # before the handler is imported: Powertools reads its settings then

from bench import cold_start, cost, round_trips, scale, stream_latency, warm  # noqa: E402
from bench.seed import seed, seed_latency_tables  # noqa: E402
from bench.store import store_process  # noqa: E402
from local.embedded_store import local_client  # noqa: E402

RUN_DEADLINE_SECONDS: Final = 15 * 60
SEEDING_DEADLINE_SECONDS: Final = 6 * 60
COLD_START_ONLY_SECONDS: Final = 10 * 60
OUTPUT: Final = Path("docs/benchmarks.md")


class Run:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.tables: list[Table] = []
        self.targets = Table("Targets", ["target", "result"])

    def check_deadline(self, phase: str) -> None:
        if time.monotonic() - self.started > RUN_DEADLINE_SECONDS:
            raise TimeoutError(f"the benchmark ran out of time before {phase}")

    def add(self, table: Table) -> None:
        print(table.markdown(), flush=True)
        self.tables.append(table)

    def target(self, name: str, met: bool) -> None:
        self.targets.add(name, verdict(met))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("part", nargs="?", choices=["all", "cold-start"], default="all")
    parser.add_argument(
        "--compare", type=Path, action="append", default=[], help="another checkout's root"
    )
    parser.add_argument("--repeats", type=int, default=11, help="runs per cold-start case")
    arguments = parser.parse_args()
    if arguments.part == "cold-start":
        return cold_start_only(arguments.compare, arguments.repeats)
    return everything()


def cold_start_only(compare: list[Path], repeats: int) -> int:
    print(f"Machine: {machine()}\n", flush=True)
    with store_process([0], COLD_START_ONLY_SECONDS) as store:
        seed_latency_tables(local_client(store.store), SMALL_TABLES)
        table, _, _ = cold_start.run(store.store, repeats, tracer=False, compare=compare)
    print(table.markdown(), flush=True)
    return 0


def everything() -> int:
    run = Run()
    print(f"Machine: {machine()}\n", flush=True)
    warm_table, warm_met = warm.run()
    run.add(warm_table)
    run.check_deadline("seeding")
    with store_process(list(round_trips.DELAYS_MS), RUN_DEADLINE_SECONDS) as store:
        catalog, seeded = seed(
            local_client(store.store), LARGE_TABLES, SMALL_TABLES, SEEDING_DEADLINE_SECONDS
        )
        print(seeded + "\n", flush=True)
        run.check_deadline("cold start")
        cold_table, cold_met, _ = cold_start.run(store.store)
        run.add(cold_table)
        run.check_deadline("round trips")
        trips_table, trips_met = round_trips.run(store.proxies)
        run.add(trips_table)
        run.check_deadline("cost")
        cost_table, units, flat = cost.run(store.store, LARGE_TABLES, catalog)
        run.add(cost_table)
    run.add(scale.run(units["ou-1"], units["ou-100k"]))
    run.check_deadline("stream latency")
    run.add(stream_latency.run())
    run.target("1. one round trip (at most 1.5 x D over the request's own overhead)", trips_met)
    run.target("2. cost flat in OU size: membership, scoring rules, engagement levels", flat)
    run.target(
        "2. cost flat in OU size: integrations (10,000, last-written connected)",
        units["ou-100k"] == units["ou-1"],
    )
    run.target("3. warm overhead (at most 1.5x minimal, under 1 ms)", warm_met)
    run.target(
        "4. cold start (INIT + first request at most 1.3x the floor's, under 100 MB)", cold_met
    )
    print(run.targets.markdown(), flush=True)
    previous = OUTPUT.read_text() if OUTPUT.exists() else ""
    OUTPUT.write_text(keep_hand_written(document(run, seeded), previous))
    print(f"Written to {OUTPUT} in {time.monotonic() - run.started:.0f} s.")
    return 0


def document(run: Run, seeded: str) -> str:
    header = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand, except the sections "
        "marked hand-written at the end, which it keeps. Medians and ratios "
        "from one run on the machine below, a shared and noisy one: compare rows of one run, "
        "not runs. Nothing here is asserted by the tests. The README and the hand-written "
        "sections quote none of these figures but refer to them (tests/docs/test_figures.py).",
        "",
        f"Machine: {machine()}. The run took {(time.monotonic() - run.started) / 60:.0f} min.",
        f"Store: moto's server on 127.0.0.1, in a process of its own; {seeded}.",
        "",
    ]
    sections = [run.targets.markdown(), *(table.markdown() for table in run.tables)]
    return "\n".join(header) + "\n" + "\n".join(sections)


if __name__ == "__main__":
    sys.exit(main())
