"""``python -m local.sweep MODE [--store URL] [--segments 8]`` (``make sweep MODE=report``): the
fleet sweep over the running make serve's store (local.serve_state), run as the state machine
runs it in AWS.

Every segment goes through the sweep function's own handler, all segments at once (threads, as
the Distributed Map's iterations), each invoked again with its previous answer until its cursor
is null; one more invocation merges the answers. Then it prints what was published and the
funnel as a text chart. MODE: ``report`` reads only; ``adopt`` records the OUs that have no
progress record; ``reconcile`` announces what the stream triggers missed (docs/fleet.md).
Exit status 1 when the store cannot be swept or an OU failed (the chart says how many).
"""

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from botocore.exceptions import ClientError

from domain.fleet import TIME_TO_COMPLETE_BUCKETS
from local import serve_state
from local.cfn_template import FLEET_SWEEP_FUNCTION
from local.lambda_runtime import load_handler, new_context
from local.stack import use_store
from local.stream_poller import print_published_events

MODES: Final = ("report", "adopt", "reconcile")
DEFAULT_SEGMENTS: Final = 8
MAX_LOCAL_SEGMENTS: Final = 64
DEFAULT_STALLED_AFTER_DAYS: Final = 14
# A segment whose cursor never comes back null is a bug to report, not a long segment.
MAX_INVOCATIONS_PER_SEGMENT: Final = 10_000
BAR_WIDTH: Final = 40
FULL_BLOCK: Final = "█"
# A bar's last cell, by eighths of a cell: a short bar still shows.
PARTIAL_BLOCKS: Final = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
COMPLETE_LABEL: Final = "all steps complete"
LAST_BOUND: Final = TIME_TO_COMPLETE_BUCKETS[-1]
HOURS_SHOWN_AS_DAYS: Final = 48

Answer = dict[str, Any]
Invoke = Callable[[Answer], Answer]


def run_segment(invoke: Invoke, mode: str, segment: int, total_segments: int) -> Answer:
    """One segment to its end: invoke, then invoke again with the answer while it has a cursor."""
    answer = invoke({"mode": mode, "segment": segment, "total_segments": total_segments})
    for _ in range(MAX_INVOCATIONS_PER_SEGMENT):
        if answer.get("cursor") is None:
            return answer
        answer = invoke(answer)
    raise RuntimeError(f"segment {segment} still had a cursor after {MAX_INVOCATIONS_PER_SEGMENT}")


def sweep(invoke: Invoke, mode: str, segments: int) -> Answer:
    """Every segment concurrently, then one merge of their answers: the fleet's answer."""
    with ThreadPoolExecutor(max_workers=segments, thread_name_prefix="segment") as pool:
        answers = list(pool.map(lambda i: run_segment(invoke, mode, i, segments), range(segments)))
    return invoke({"merge": answers})


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``share`` (0 to 1) of ``width`` cells, to an eighth of a cell; any
    share above zero shows."""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    if share > 0:
        eighths = max(1, eighths)
    return FULL_BLOCK * (eighths // 8) + PARTIAL_BLOCKS[eighths % 8]


def render_funnel(answer: Mapping[str, Any], stalled_after_days: int) -> str:
    """The merged answer as text: one line per step and one for complete OUs (count, share of
    the OUs visited, bar), then time to complete, stalled OUs and what the sweep changed."""
    ous = int(answer["ous"])
    rows = [*answer["steps"].items(), (COMPLETE_LABEL, answer["complete"])]
    label_width = max(len(label) for label, _ in rows)
    count_width = len(f"{ous:,}")
    lines = [f"Fleet {answer['mode']}: {ous:,} OUs in {answer['segments']} segments"]
    for label, count in rows:
        share = count / ous if ous else 0.0
        lines.append(
            f"  {label:<{label_width}}  {count:>{count_width},}  {share:6.1%}  {bar(share)}"
        )
    percentiles = answer["time_to_complete_percentiles"]
    if any(answer["time_to_complete"].values()):
        # None: above the last bucket's bound.
        times = ", ".join(
            f"{name} ≤ {duration(hours)}"
            if hours is not None
            else f"{name} > {duration(LAST_BOUND)}"
            for name, hours in percentiles.items()
        )
    else:
        times = "no OU completed with every step's time known"
    lines += [
        f"Time to complete (first step to last): {times}",
        f"Stalled (not complete, no step completed for {stalled_after_days} days): "
        f"{answer['stalled']:,}",
        f"No progress record: {answer['unrecorded']:,}",
    ]
    if answer["mode"] != "report":
        lines.append(
            f"Adopted: {answer['adopted']:,} OUs. Published: {answer['published']:,} events."
        )
    if answer["failed"]:
        lines.append(f"FAILED: {answer['failed']:,} OUs (see the function's logs: --verbose)")
    return "\n".join(lines)


def duration(hours: float) -> str:
    if hours < HOURS_SHOWN_AS_DAYS:
        return f"{hours:g} h"
    return f"{hours / 24:g} d"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sweep", description=__doc__)
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--store", help="a DynamoDB URL (default: the running make serve's)")
    parser.add_argument(
        "--segments", type=_segments, default=DEFAULT_SEGMENTS, help="1 to 64 (default: 8)"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="also print the function's JSON logs and metrics"
    )
    args = parser.parse_args(argv)
    store = serve_state.store_url(args.store)
    use_store(store)
    try:
        with contextlib.redirect_stdout(sys.stdout if args.verbose else _Discarded()):
            answer = sweep(_local_function(), args.mode, args.segments)
    except Exception as error:  # one line: a wrong URL, a store that stopped
        print(f"Cannot sweep {store}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    with contextlib.suppress(ClientError):  # a store without make serve's event observer
        print_published_events(store, sys.stdout)()
    days = int(os.environ.get("STALLED_AFTER_DAYS", DEFAULT_STALLED_AFTER_DAYS))
    print(render_funnel(answer, days))
    return 1 if answer["failed"] else 0


def _segments(text: str) -> int:
    """A thread per segment: a few dozen at most."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_LOCAL_SEGMENTS:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_LOCAL_SEGMENTS}")
    return int(text)


def _local_function() -> Invoke:
    """The sweep function's handler, each invocation with a fresh context as Lambda gives it.
    Loaded once the environment is set, as the runtime does."""
    handler = load_handler(FLEET_SWEEP_FUNCTION)
    return lambda event: handler(event, new_context(FLEET_SWEEP_FUNCTION))


class _Discarded(io.TextIOBase):
    """Where the function's JSON logs and EMF metrics (for CloudWatch) go unless --verbose:
    they would bury the chart. Never closed: the function's logger keeps the stream it found
    when it was imported."""

    def write(self, text: str) -> int:
        return len(text)


if __name__ == "__main__":
    sys.exit(main())
