"""The fleet sweep (domain.fleet) on in-memory ports: adopt, reconcile, report, the cursor, the
merge and bad requests. The same flows run over the wire in tests/integration/test_fleet_sweep.py.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import DependencyUnavailable
from domain.fleet import (
    MAX_TOTAL_SEGMENTS,
    FleetSweep,
    InvalidSweepRequest,
    MembershipKey,
    SweepMode,
    SweepRequest,
    SweepTally,
    encode_cursor,
    merge_answers,
    parse_sweep_request,
)
from domain.identifiers import OuId
from domain.provisioning import COMPLETED, STATUS_CHECKED, ProgressState, ProvisioningCheck
from domain.service import ChecklistEvaluator
from tests.factories import OuData
from tests.unit.fakes import (
    InMemoryEvidence,
    InMemoryMembershipScan,
    InMemoryProgress,
    RecordingBus,
    RecordingObserver,
)

START = datetime(2026, 11, 1, tzinfo=UTC)
STEPS = ["connect_integration", "create_scoring_rules", "set_engagement_levels"]


@dataclass
class Fleet:
    evidence: InMemoryEvidence = field(default_factory=InMemoryEvidence)
    progress: InMemoryProgress = field(default_factory=InMemoryProgress)
    bus: RecordingBus = field(default_factory=RecordingBus)
    scan: InMemoryMembershipScan = field(default_factory=InMemoryMembershipScan)
    observer: RecordingObserver = field(default_factory=RecordingObserver)
    now: datetime = START
    ids: int = 0

    def clock(self) -> datetime:
        return self.now

    def new_id(self) -> str:
        self.ids += 1
        return f"id-{self.ids}"

    @property
    def check(self) -> ProvisioningCheck:
        return ProvisioningCheck(
            ChecklistEvaluator(self.evidence), self.progress, self.bus, self.clock, self.new_id
        )

    @property
    def sweep(self) -> FleetSweep:
        return FleetSweep(self.scan, self.check, stalled_after=timedelta(days=14))

    def ou(self, data: OuData, members: int = 1) -> None:
        self.evidence.add(data)
        self.scan.add(data.ou_id, *(f"user-{n}" for n in range(members)))

    def run(self, mode: str, total_segments: int = 1, **answer: Any) -> dict[str, Any]:
        """Every segment to its end (resuming on cursors), merged."""
        answers = []
        for segment in range(total_segments):
            request: dict[str, Any] = {
                "mode": mode,
                "segment": segment,
                "total_segments": total_segments,
            }
            while True:
                parsed = parse_sweep_request({**request, **answer})
                request = self.sweep.run(parsed, lambda: 900.0, self.observer).to_dict()
                answer = {}
                if request["cursor"] is None:
                    break
            answers.append(request)
        return merge_answers(answers)


def complete(ou_id: str) -> OuData:
    return OuData(ou_id).complete()


def test_adopt_records_every_ou_and_publishes_nothing() -> None:
    fleet = Fleet()
    fleet.ou(complete("ou-old"), members=3)
    fleet.ou(OuData("ou-new").integration())
    answer = fleet.run("adopt", total_segments=2)
    assert (answer["ous"], answer["adopted"], answer["complete"], answer["published"]) == (
        2,
        2,
        1,
        0,
    )
    assert fleet.bus.published == []
    old = fleet.progress.get(OuId("ou-old"))
    assert (old.completion_published, old.completed_at, old.adopted_at) == (
        True,
        None,
        "2026-11-01T00:00:00.000Z",
    )
    assert old.adopted_steps == frozenset(STEPS)


def test_after_adoption_no_check_announces_an_old_completion() -> None:
    fleet = Fleet()
    fleet.ou(complete("ou-old"))
    fleet.run("adopt")
    fleet.now += timedelta(days=1)
    fleet.check.run(OuId("ou-old"), news_only=True)  # a stream trigger
    fleet.check.run(OuId("ou-old"))  # a workflow's direct check
    assert COMPLETED not in fleet.bus.types()
    # The direct check's status event carries no invented step times.
    assert fleet.bus.published[-1].detail["steps_completed_at"] == {}


def test_an_ou_completing_after_adoption_is_announced_once_with_its_true_times() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-1").integration())
    fleet.run("adopt")
    fleet.now += timedelta(days=2)
    fleet.evidence.add(OuData("ou-1").scoring_rule().engagement_level())
    fleet.check.run(OuId("ou-1"), news_only=True)
    fleet.check.run(OuId("ou-1"), news_only=True)
    completed = [e.detail for e in fleet.bus.published if e.detail_type == COMPLETED]
    assert len(completed) == 1
    assert completed[0]["completed_at"] == "2026-11-03T00:00:00.000Z"
    # The step complete at adoption has no time: its completion predates the record.
    assert set(completed[0]["steps_completed_at"]) == {
        "create_scoring_rules",
        "set_engagement_levels",
    }
    assert completed[0]["sequence"] == 2


def test_rerunning_adopt_changes_nothing() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-1").integration())
    fleet.run("adopt")
    before = dict(fleet.progress.states)
    fleet.evidence.add(complete("ou-1"))
    fleet.now += timedelta(days=1)
    answer = fleet.run("adopt")
    assert (fleet.progress.states, answer["adopted"], answer["published"]) == (before, 0, 0)


def test_reconcile_publishes_a_missed_completion_once_then_nothing() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-1").integration())
    fleet.ou(complete("ou-current"))
    fleet.run("adopt")
    fleet.evidence.add(complete("ou-1"))  # the stream trigger missed this
    fleet.now += timedelta(hours=30)
    first = fleet.run("reconcile")
    assert fleet.bus.types() == [STATUS_CHECKED, COMPLETED]
    assert {e.detail["ou_id"] for e in fleet.bus.published} == {"ou-1"}
    assert (first["published"], first["complete"]) == (2, 2)
    second = fleet.run("reconcile")
    assert (second["published"], len(fleet.bus.published)) == (0, 2)


def test_reconcile_announces_a_missed_regression() -> None:
    fleet = Fleet()
    fleet.ou(complete("ou-1"))
    fleet.run("adopt")
    fleet.evidence.items = {source: [] for source in fleet.evidence.items}
    fleet.now += timedelta(hours=1)
    fleet.run("reconcile")
    assert [(e.detail_type, e.detail["regressed"]) for e in fleet.bus.published] == [
        (STATUS_CHECKED, True)
    ]


def test_reconcile_adopts_an_unrecorded_ou_instead_of_announcing_it() -> None:
    fleet = Fleet()
    fleet.ou(complete("ou-missed"))
    answer = fleet.run("reconcile")
    assert (fleet.bus.published, answer["adopted"], fleet.observer.adopted) == (
        [],
        1,
        ["ou-missed"],
    )
    assert fleet.progress.get(OuId("ou-missed")).completion_published


def test_a_failed_ou_is_counted_and_the_segment_goes_on() -> None:
    fleet = Fleet()
    fleet.ou(complete("ou-1"))
    fleet.ou(complete("ou-2"))
    fleet.progress.failures["get"] = [DependencyUnavailable("throttled")]
    answer = fleet.run("adopt")
    assert (answer["failed"], answer["adopted"]) == (1, 1)
    assert [name for _, name in fleet.observer.failed] == ["DependencyUnavailable"]


def test_a_failed_publish_leaves_the_completion_owed_to_the_next_reconcile() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-1").integration())
    fleet.run("adopt")
    fleet.evidence.add(complete("ou-1"))
    fleet.bus.failures = 1
    assert fleet.run("reconcile")["failed"] == 1
    fleet.now += timedelta(minutes=1)
    fleet.run("reconcile")
    fleet.run("reconcile")
    assert fleet.bus.types().count(COMPLETED) == 1


def test_report_counts_the_funnel_and_writes_nothing() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-none"))
    fleet.ou(OuData("ou-first").integration())
    fleet.ou(OuData("ou-second-only").scoring_rule())
    fleet.ou(complete("ou-done"), members=5)
    # ou-done completed its last step 30 hours after its first, through the checks.
    fleet.check.run(OuId("ou-done"))
    fleet.bus.published.clear()
    states = dict(fleet.progress.states)
    answer = fleet.run("report", total_segments=3)
    assert (fleet.bus.published, fleet.progress.states) == ([], states)
    assert answer["ous"] == 4
    assert answer["complete"] == 1
    assert answer["steps"] == {
        "connect_integration": 2,
        "create_scoring_rules": 2,
        "set_engagement_levels": 1,
    }
    assert answer["furthest"] == {
        "none": 2,
        "connect_integration": 1,
        "create_scoring_rules": 0,
        "set_engagement_levels": 1,
    }
    assert answer["unrecorded"] == 3


def test_report_histograms_time_to_complete_and_counts_stalled_ous() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-fast").integration())
    fleet.ou(OuData("ou-stuck").integration())
    fleet.check.run(OuId("ou-fast"))
    fleet.check.run(OuId("ou-stuck"))
    fleet.now += timedelta(hours=30)
    fleet.evidence.add(OuData("ou-fast").scoring_rule().engagement_level())
    fleet.check.run(OuId("ou-fast"))
    fleet.now += timedelta(days=14)
    answer = fleet.run("report")
    assert answer["time_to_complete"]["le_72h"] == 1
    assert sum(answer["time_to_complete"].values()) == 1
    assert answer["time_to_complete_percentiles"] == {"p50": 72, "p90": 72, "p99": 72}
    assert answer["stalled"] == 1  # ou-stuck: 14 days and 30 hours since its last step


def test_an_ou_is_visited_once_whatever_its_members_and_segments() -> None:
    fleet = Fleet()
    for n in range(40):
        fleet.ou(OuData(f"ou-{n}").integration(), members=1 + n % 4)
    answer = fleet.run("report", total_segments=7)
    assert (answer["ous"], answer["segments"], answer["steps"]["connect_integration"]) == (
        40,
        7,
        40,
    )


def test_a_segment_stops_between_ous_when_time_runs_low_and_resumes() -> None:
    fleet = Fleet()
    for n in range(5):
        fleet.ou(OuData(f"ou-{n}").integration(), members=3)
    times = iter([900.0, 900.0, 10.0])
    request = SweepRequest(SweepMode.REPORT, 0, 1)
    first = fleet.sweep.run(request, lambda: next(times), fleet.observer).to_dict()
    assert (first["ous"], first["cursor"] is not None) == (3, True)
    rest = fleet.sweep.run(parse_sweep_request(first), lambda: 900.0, fleet.observer).to_dict()
    assert (rest["ous"], rest["cursor"]) == (5, None)
    assert rest["steps"]["connect_integration"] == 5


def test_an_invocation_visits_at_least_one_ou() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-1"))
    fleet.ou(OuData("ou-2"))
    answer = fleet.sweep.run(SweepRequest(SweepMode.REPORT, 0, 1), lambda: 0.0, fleet.observer)
    assert (answer.tally.ous, answer.after is not None) == (1, True)


@pytest.mark.parametrize(
    "request_",
    [
        None,
        [],
        {"mode": "sweep", "segment": 0, "total_segments": 1},
        {"segment": 0, "total_segments": 1},
        {"mode": "report", "segment": 1, "total_segments": 1},
        {"mode": "report", "segment": -1, "total_segments": 1},
        {"mode": "report", "segment": 0, "total_segments": 0},
        {"mode": "report", "segment": 0, "total_segments": MAX_TOTAL_SEGMENTS + 1},
        {"mode": "report", "segment": 0.0, "total_segments": 1},
        {"mode": "report", "segment": True, "total_segments": 2},
        {"mode": "report", "segment": "0", "total_segments": 1},
        {"mode": "report", "segment": 0, "total_segments": 1, "cursor": "not-a-cursor"},
        {"mode": "report", "segment": 0, "total_segments": 1, "cursor": 7},
        {"mode": "report", "segment": 0, "total_segments": 1, "ou_id": "ou-1"},
        {"mode": "report", "segment": 0, "total_segments": 1, "ous": 3},  # counts, no cursor
        {
            "mode": "report",
            "segment": 0,
            "total_segments": 1,
            "cursor": encode_cursor(MembershipKey("ou-1", "u"), 0, 1),
            "ous": -1,
        },
        {
            "mode": "report",
            "segment": 0,
            "total_segments": 1,
            "cursor": encode_cursor(MembershipKey("ou-1", "u"), 0, 1),
            "steps": {"connect_integration": 1},
        },
        {
            "mode": "report",
            "segment": 0,
            "total_segments": 1,
            "cursor": encode_cursor(MembershipKey("bad id", "u"), 0, 1),
        },
        {
            "mode": "report",
            "segment": 0,
            "total_segments": 2,
            "cursor": encode_cursor(MembershipKey("ou-1", "u"), 1, 2),  # another segment's
        },
    ],
)
def test_a_bad_request_is_refused_before_anything_is_read(request_: Any) -> None:
    fleet = Fleet()
    fleet.ou(complete("ou-1"))
    with pytest.raises(InvalidSweepRequest):
        fleet.sweep.run(parse_sweep_request(request_), lambda: 900.0, fleet.observer)
    assert (fleet.scan.scans, fleet.evidence.asked, fleet.progress.states) == (0, [], {})


def test_an_answer_is_a_valid_request() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-1").integration())
    answer = fleet.sweep.run(SweepRequest(SweepMode.ADOPT, 0, 1), lambda: 900.0, fleet.observer)
    resumed = parse_sweep_request(
        {**answer.to_dict(), "cursor": encode_cursor(MembershipKey("ou-1", "x"), 0, 1)}
    )
    assert resumed.carried == answer.tally


@pytest.mark.parametrize(
    "answers",
    [
        [],
        "x",
        [
            {"mode": "report", "segment": 0, "total_segments": 2, "cursor": None},
            {"mode": "adopt", "segment": 1, "total_segments": 2, "cursor": None},
        ],
        [
            {
                "mode": "report",
                "segment": 0,
                "total_segments": 1,
                "cursor": encode_cursor(MembershipKey("ou-1", "u"), 0, 1),
            }
        ],
    ],
)
def test_merge_refuses_what_is_not_one_finished_sweep(answers: Any) -> None:
    with pytest.raises(InvalidSweepRequest):
        merge_answers(answers)


def test_merge_adds_segments() -> None:
    one = {
        "mode": "report",
        "segment": 0,
        "total_segments": 2,
        "cursor": None,
        "ous": 2,
        "stalled": 1,
    }
    two = {"mode": "report", "segment": 1, "total_segments": 2, "cursor": None, "ous": 3}
    merged = merge_answers([one, two])
    assert (merged["ous"], merged["stalled"], merged["segments"]) == (5, 1, 2)
    assert merged["time_to_complete_percentiles"] == {"p50": None, "p90": None, "p99": None}


def test_percentiles_are_bucket_bounds() -> None:
    tally = SweepTally(
        time_to_complete={**SweepTally().time_to_complete, "le_1h": 50, "le_24h": 40, "more": 10}
    )
    assert tally.percentiles() == {"p50": 1, "p90": 24, "p99": None}


def test_every_change_of_recorded_state_advances_the_sequence() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-1").integration())
    fleet.run("adopt")  # sequence 1
    for step in (OuData("ou-1").scoring_rule(), OuData("ou-1").engagement_level()):
        fleet.now += timedelta(minutes=1)
        fleet.evidence.add(step)
        fleet.check.run(OuId("ou-1"), news_only=True)
    fleet.now += timedelta(minutes=1)
    fleet.check.run(OuId("ou-1"))  # no news: the current sequence again
    sequences = [(e.detail_type, e.detail["sequence"]) for e in fleet.bus.published]
    assert sequences == [
        (STATUS_CHECKED, 2),
        (STATUS_CHECKED, 3),
        (COMPLETED, 3),
        (STATUS_CHECKED, 3),
    ]


def test_a_check_that_read_before_the_last_recorded_one_publishes_no_status() -> None:
    fleet = Fleet()
    fleet.ou(OuData("ou-1").integration())
    fleet.now += timedelta(minutes=5)
    fleet.check.run(OuId("ou-1"))  # read at 00:05, sequence 1
    fleet.now -= timedelta(minutes=1)  # a slower check that read at 00:04
    fleet.evidence.add(OuData("ou-1").scoring_rule())
    fleet.check.run(OuId("ou-1"))
    assert [e.detail["sequence"] for e in fleet.bus.published] == [1]


def test_an_unreadable_recorded_time_leaves_the_ou_out_of_times_not_the_sweep() -> None:
    fleet = Fleet()
    fleet.ou(complete("ou-odd"))
    fleet.ou(OuData("ou-stuck").integration())
    fleet.progress.states["ou-odd"] = ProgressState(
        recorded=True, completed_at="yesterday", steps_completed_at={"connect_integration": "?"}
    )
    fleet.progress.states["ou-stuck"] = ProgressState(
        recorded=True, steps_completed_at={"connect_integration": "2026-10-01T00:00:00"}
    )
    answer = fleet.run("report")
    assert (answer["ous"], answer["failed"], answer["complete"]) == (2, 0, 1)
    assert (sum(answer["time_to_complete"].values()), answer["stalled"]) == (0, 0)
