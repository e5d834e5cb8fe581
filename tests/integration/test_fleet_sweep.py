"""The fleet sweep's Lambda entry point over the wire: the memberships table scanned in
parallel segments on moto and dynalite, the progress table, and moto's EventBridge observed.
The branches are unit tests (tests/unit/test_fleet.py); here is what only the wire proves."""

import json
import logging
from typing import Any

import pytest

from domain.fleet import InvalidSweepRequest
from handlers import fleet_sweep, provisioning_check
from tests.factories import LambdaContextStub, OuData, stream_event, stream_record
from tests.integration.conftest import Provisioning

pytestmark = pytest.mark.integration


class CountdownContext(LambdaContextStub):
    """A context whose remaining time drops by a step at each look: a long segment must stop
    between OUs and answer with a cursor."""

    def __init__(self, start_millis: int, step_millis: int) -> None:
        super().__init__()
        self.remaining_millis = start_millis
        self._step = step_millis

    def get_remaining_time_in_millis(self) -> int:
        self.remaining_millis -= self._step
        return self.remaining_millis


def sweep(mode: str, total_segments: int = 1, context: Any = None) -> dict[str, Any]:
    """Every segment to its end, resuming on cursors as the state machine does, then merged."""
    answers = []
    for segment in range(total_segments):
        answer = {"mode": mode, "segment": segment, "total_segments": total_segments}
        while True:
            answer = dict(fleet_sweep.lambda_handler(answer, context or LambdaContextStub()))
            if answer["cursor"] is None:
                break
        answers.append(answer)
    return dict(fleet_sweep.lambda_handler({"merge": answers}, LambdaContextStub()))


def add_ou(provisioning: Provisioning, data: OuData, members: int = 1) -> None:
    provisioning.store.seed(data)
    for n in range(members):
        provisioning.store.member(data.ou_id, f"user-{n}")


def detail_types(events: list[dict[str, Any]]) -> list[str]:
    return [event["detail-type"] for event in events]


def test_adopt_then_a_stream_check_of_an_old_complete_ou_publishes_no_completed(
    provisioning: Provisioning,
) -> None:
    add_ou(provisioning, OuData("ou-old").complete(), members=3)
    add_ou(provisioning, OuData("ou-new").integration())
    answer = sweep("adopt", total_segments=2)
    assert (answer["adopted"], answer["complete"], answer["published"]) == (2, 1, 0)
    assert provisioning.published() == []
    provisioning.store.seed(OuData("ou-old").scoring_rule())  # any later write to its evidence
    provisioning_check.lambda_handler(stream_event(stream_record("ou-old", 1)), LambdaContextStub())
    assert "Onboarding Completed" not in detail_types(provisioning.published())
    progress = provisioning.progress("ou-old")
    assert "completed_at" not in progress
    assert progress["completion_published"] is True
    assert progress["sequence"] == "1"


def test_reconcile_publishes_each_missed_completion_once_then_nothing(
    provisioning: Provisioning,
) -> None:
    for n in range(3):
        add_ou(provisioning, OuData(f"ou-{n}").integration(), members=2)
    sweep("adopt")
    # Completed while the stream trigger was off: nobody has announced them.
    provisioning.store.seed(OuData("ou-0").complete(), OuData("ou-2").complete())
    first = sweep("reconcile", total_segments=3)
    events = provisioning.published()
    completed = [e["detail"] for e in events if e["detail-type"] == "Onboarding Completed"]
    assert sorted(c["ou_id"] for c in completed) == ["ou-0", "ou-2"]
    assert all(c["sequence"] == 2 for c in completed)
    assert (first["published"], first["complete"]) == (len(events), 2)
    second = sweep("reconcile", total_segments=3)
    assert (second["published"], provisioning.published()) == (0, [])


def test_report_follows_the_evidence_and_writes_nothing(provisioning: Provisioning) -> None:
    add_ou(provisioning, OuData("ou-a").complete(), members=4)
    add_ou(provisioning, OuData("ou-b").integration())
    add_ou(provisioning, OuData("ou-c"))
    answer = sweep("report", total_segments=2)
    assert (answer["ous"], answer["complete"], answer["unrecorded"]) == (3, 1, 3)
    assert answer["steps"] == {
        "connect_integration": 2,
        "create_scoring_rules": 1,
        "set_engagement_levels": 1,
    }
    assert answer["furthest"]["none"] == 1
    assert provisioning.published() == []
    assert [provisioning.progress(ou) for ou in ("ou-a", "ou-b", "ou-c")] == [{}, {}, {}]


def test_segments_cover_every_ou_once_and_a_long_segment_resumes_on_its_cursor(
    provisioning: Provisioning,
) -> None:
    for n in range(24):
        add_ou(provisioning, OuData(f"ou-{n:02d}").integration(), members=1 + n % 3)
    # 20 s left, 2 s less at each look: the sweep stops between OUs with about 15 s left.
    answer = sweep("report", total_segments=4, context=CountdownContext(20_000, 2_000))
    assert (answer["ous"], answer["steps"]["connect_integration"]) == (24, 24)


def test_a_bad_request_is_refused_before_anything_is_read_or_written(
    provisioning: Provisioning,
) -> None:
    add_ou(provisioning, OuData("ou-1").complete())
    with pytest.raises(InvalidSweepRequest):
        fleet_sweep.lambda_handler(
            {"mode": "adopt", "segment": 2, "total_segments": 2}, LambdaContextStub()
        )
    assert (provisioning.progress("ou-1"), provisioning.published()) == ({}, [])


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_reconcile_logs_and_counts_each_ou_it_adopts_instead_of_announcing(
    provisioning: Provisioning, capsys: pytest.CaptureFixture[str]
) -> None:
    add_ou(provisioning, OuData("ou-missed").complete())
    logs, logger = Records(), logging.getLogger(fleet_sweep.logger.name)
    logger.addHandler(logs)
    capsys.readouterr()
    try:
        answer = fleet_sweep.lambda_handler(
            {"mode": "reconcile", "segment": 0, "total_segments": 1}, LambdaContextStub()
        )
    finally:
        logger.removeHandler(logs)
    assert (answer["adopted"], answer["published"], provisioning.published()) == (1, 0, [])
    adopted = [r for r in logs.records if r.getMessage() == "reconcile adopted an unrecorded OU"]
    assert [record.__dict__["ou_id"] for record in adopted] == ["ou-missed"]
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert [metrics["FleetOusAdoptedByReconcile"] for metrics in emitted] == [[1.0]]
