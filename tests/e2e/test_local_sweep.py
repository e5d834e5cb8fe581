"""``make sweep`` over the demo store (``python -m local.sweep MODE --store URL``, in-process):
the chart's numbers are the seeded fleet's; adopt announces nothing; reconcile announces each
completion the stream missed."""

import re
from collections.abc import Iterator

import pytest

from domain.checklist import CHECKLIST
from domain.fleet import OVERFLOW_BUCKET, TIME_TO_COMPLETE_BUCKETS, SweepTally, bucket_names
from local import sweep
from local.demo_data import STALE, UNRECORDED, FleetOu, fleet_ous
from local.stack import local_stack
from tests.seeded_local_stack import forget_settings, restored_environment

pytestmark = pytest.mark.e2e

C, R, L = (step.id for step in CHECKLIST)
# The hand-written demo OUs (local/demo_data.py): the steps their evidence completes. None of
# them has a progress record.
HAND_WRITTEN = {
    "ou-empty": (),
    "ou-partial": (C,),
    "ou-complete": (C, R, L),
    "ou-suspended": (),
    "ou-restricted": (C, R, L),
}
STALLED_AFTER_HOURS = 14 * 24
FLEET = fleet_ous()
DONE = {**HAND_WRITTEN, **{ou.ou_id: ou.done for ou in FLEET}}


@pytest.fixture
def store() -> Iterator[str]:
    with restored_environment(), local_stack() as endpoint:
        forget_settings()
        yield endpoint


def run(mode: str, store: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert sweep.main([mode, "--store", store]) == 0
    return capsys.readouterr().out


def count(pattern: str, text: str) -> int:
    found = re.search(pattern, text, re.MULTILINE)
    assert found is not None, f"{pattern!r} not in:\n{text}"
    return int(found.group(1).replace(",", ""))


def announced(text: str, detail_type: str) -> list[str]:
    return re.findall(rf"^\[event bus\] {detail_type}: (\S+)", text, re.MULTILINE)


def stalled(ou: FleetOu) -> bool:
    """Incomplete, and its last recorded step is older than the stall limit."""
    times = ou.hours_ago[: len(ou.recorded)]
    return not ou.complete and bool(times) and min(times) > STALLED_AFTER_HOURS


def expected_time_to_complete() -> str:
    """The chart's percentiles, from the seeded times of the OUs recorded complete."""
    histogram = dict.fromkeys(bucket_names(), 0)
    for ou in FLEET:
        if ou.complete and ou.record != STALE and ou.record != UNRECORDED:
            hours = ou.hours_ago[0] - ou.hours_ago[-1]
            bounds = [b for b in TIME_TO_COMPLETE_BUCKETS if hours <= b]
            histogram[f"le_{bounds[0]}h" if bounds else OVERFLOW_BUCKET] += 1
    percentiles = SweepTally(time_to_complete=histogram).percentiles()
    return ", ".join(f"{name} ≤ {sweep.duration(hours)}" for name, hours in percentiles.items())


def test_the_report_chart_counts_the_seeded_fleet(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = run("report", store, capsys)
    ous = len(DONE)
    assert count(r"^Fleet report: (\d+) OUs in 8 segments$", chart) == ous
    for step in (C, R, L):
        done = sum(step in steps for steps in DONE.values())
        assert count(rf"^  {step} +(\d+) ", chart) == done
        assert f" {done / ous:6.1%}  {sweep.bar(done / ous)}\n" in chart
    complete = sum(len(steps) == len(CHECKLIST) for steps in DONE.values())
    assert count(r"^  all steps complete +(\d+) ", chart) == complete
    assert f"Time to complete (first step to last): {expected_time_to_complete()}\n" in chart
    assert count(r"^Stalled .*: (\d+)$", chart) == sum(map(stalled, FLEET))
    unrecorded = len(HAND_WRITTEN) + sum(not ou.recorded for ou in FLEET)
    assert count(r"^No progress record: (\d+)$", chart) == unrecorded
    assert "Adopted" not in chart
    assert "[event bus]" not in chart


def test_adopt_announces_nothing_then_reconcile_announces_each_missed_completion_once(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    unrecorded = len(HAND_WRITTEN) + sum(not ou.recorded for ou in FLEET)
    adopted = run("adopt", store, capsys)
    assert count(r"^Adopted: (\d+) OUs", adopted) == unrecorded
    assert count(r"Published: (\d+) events", adopted) == 0
    assert "[event bus]" not in adopted
    assert count(r"^No progress record: (\d+)$", adopted) == 0

    # The stream missed the last step of each stale OU: reconcile announces it, and a
    # completion when that step completed the OU; the adopted old completions stay silent.
    stale = [ou for ou in FLEET if ou.record == STALE]
    reconciled = run("reconcile", store, capsys)
    assert sorted(announced(reconciled, "Onboarding Completed")) == sorted(
        ou.ou_id for ou in stale if ou.complete
    )
    assert sorted(announced(reconciled, "Onboarding Status Checked")) == sorted(
        ou.ou_id for ou in stale
    )
    assert count(r"Published: (\d+) events", reconciled) == len(announced(reconciled, r"[^:]+"))
    assert count(r"^Adopted: (\d+) OUs", reconciled) == 0
    # "Then nothing" (a second reconcile) is proven over the wire on both stores, faster:
    # tests/integration/test_fleet_sweep.py.


def test_a_store_that_is_not_there_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with restored_environment():
        forget_settings()
        assert sweep.main(["report", "--store", "http://127.0.0.1:9"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("Cannot sweep http://127.0.0.1:9: ")
    assert "Traceback" not in error
