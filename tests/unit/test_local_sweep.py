"""make sweep's own logic, on a fake function: each segment loops on its cursor as the state
machine does, the segments run at once, one merge follows; and the funnel chart."""

import threading
from pathlib import Path
from typing import Any

import pytest

from local.serve_state import START_HINT, STATE_FILE_VARIABLE
from local.sweep import bar, main, render_funnel, run_segment, sweep

# A merged answer as the sweep function gives it (domain.fleet.merge_answers).
REPORT = {
    "mode": "report",
    "segments": 8,
    "cursor": None,
    "ous": 200,
    "complete": 50,
    "steps": {"connect_integration": 150, "create_scoring_rules": 100, "set_engagement_levels": 1},
    "published": 0,
    "failed": 0,
    "adopted": 0,
    "stalled": 1234,
    "unrecorded": 12,
    "furthest": {"none": 50, "connect_integration": 50, "create_scoring_rules": 50},
    "time_to_complete": {"le_24h": 25, "le_168h": 20, "more": 5},
    "time_to_complete_percentiles": {"p50": 24, "p90": 168, "p99": None},
}


def test_the_chart_has_a_line_per_step_and_for_complete_ous_with_count_share_and_bar() -> None:
    lines = render_funnel(REPORT, stalled_after_days=14).splitlines()
    assert lines[:5] == [
        "Fleet report: 200 OUs in 8 segments",
        "  connect_integration    150   75.0%  " + "█" * 30,
        "  create_scoring_rules   100   50.0%  " + "█" * 20,
        "  set_engagement_levels    1    0.5%  ▎",
        "  all steps complete      50   25.0%  " + "█" * 10,
    ]
    assert lines[5:] == [
        # None: above the last bucket (2,160 hours).
        "Time to complete (first step to last): p50 ≤ 24 h, p90 ≤ 7 d, p99 > 90 d",
        "Stalled (not complete, no step completed for 14 days): 1,234",
        "No progress record: 12",
    ]


def test_adopt_and_reconcile_also_say_what_they_changed_and_failures_show() -> None:
    answer = {**REPORT, "mode": "reconcile", "adopted": 3, "published": 7, "failed": 2}
    text = render_funnel(answer, stalled_after_days=14)
    assert text.startswith("Fleet reconcile: 200 OUs in 8 segments\n")
    assert "\nAdopted: 3 OUs. Published: 7 events.\n" in text
    assert text.endswith("FAILED: 2 OUs (see the function's logs: --verbose)")
    assert "Adopted" not in render_funnel(REPORT, stalled_after_days=14)


def test_an_empty_fleet_is_no_division_by_zero_and_no_percentile() -> None:
    empty = {
        **REPORT,
        "ous": 0,
        "complete": 0,
        "steps": {"connect_integration": 0},
        "time_to_complete": {"le_24h": 0, "more": 0},
        "time_to_complete_percentiles": {"p50": None, "p90": None, "p99": None},
    }
    text = render_funnel(empty, stalled_after_days=3)
    assert "  connect_integration  0    0.0%  \n" in text
    assert (
        "Time to complete (first step to last): no OU completed with every step's time known"
        in text
    )


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (0.0, ""),
        (1.0, "█" * 8),
        (0.5, "████"),
        (1 / 64, "▏"),
        (3 / 64, "▍"),
        (1.5, "█" * 8),
        (0.001, "▏"),
    ],
)
def test_a_bar_is_drawn_to_an_eighth_of_a_cell(share: float, expected: str) -> None:
    assert bar(share, width=8) == expected


def test_a_segment_is_invoked_again_with_its_answer_until_the_cursor_is_null() -> None:
    received: list[dict[str, Any]] = []
    cursors = iter(["after-ou-3", "after-ou-7", None])

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        received.append(event)
        return {"mode": "report", "segment": 2, "total_segments": 4, "cursor": next(cursors)}

    answer = run_segment(invoke, "report", 2, 4)
    assert answer["cursor"] is None
    assert received[0] == {"mode": "report", "segment": 2, "total_segments": 4}
    assert [event["cursor"] for event in received[1:]] == ["after-ou-3", "after-ou-7"]


def test_a_cursor_that_never_ends_is_an_error_not_a_hang() -> None:
    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        return {**event, "cursor": "again"}

    with pytest.raises(RuntimeError, match="segment 0 still had a cursor"):
        run_segment(invoke, "report", 0, 1)


def test_every_segment_runs_at_once_then_one_merge_gets_their_answers_in_order() -> None:
    segments = 5
    # Each segment waits for all the others: a run one at a time would break the barrier.
    all_started = threading.Barrier(segments, timeout=5)
    merges: list[list[dict[str, Any]]] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        if "merge" in event:
            merges.append(event["merge"])
            return {"merged": len(event["merge"])}
        all_started.wait()
        return {**event, "cursor": None, "ous": event["segment"] * 10}

    assert sweep(invoke, "adopt", segments) == {"merged": segments}
    (merged,) = merges
    assert [answer["ous"] for answer in merged] == [0, 10, 20, 30, 40]
    assert {answer["mode"] for answer in merged} == {"adopt"}
    assert {answer["total_segments"] for answer in merged} == {segments}


@pytest.mark.parametrize("segments", ["0", "65", "x", "-1"])
def test_a_bad_segment_count_is_a_usage_error(
    segments: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--store", "http://127.0.0.1:9", "--segments", segments])
    assert exit_.value.code == 2
    assert "a whole number from 1 to 64" in capsys.readouterr().err


def test_without_make_serve_running_it_says_how_to_start_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_FILE_VARIABLE, str(tmp_path / "no-serve-state.json"))
    with pytest.raises(SystemExit) as exit_:
        main(["report"])
    assert exit_.value.code == f"make serve is not running: {START_HINT}"
