"""ProvisioningCheck's first completion times per step, and news: what a stream-triggered check
publishes (only a changed outcome, or an owed completion) and records, on in-memory ports.
The completion bookkeeping itself is in test_provisioning.py."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DependencyUnavailable
from domain.identifiers import OuId
from domain.provisioning import (
    COMPLETED,
    STATUS_CHECKED,
    ProgressState,
    ProvisioningCheck,
)
from tests.factories import OuData
from tests.unit.fakes import (
    InMemoryEvidence,
    InMemoryProgress,
    RecordingBus,
    provisioning_world,
)

OU = OuId("ou-1")
NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CONNECT, RULES, LEVELS = "connect_integration", "create_scoring_rules", "set_engagement_levels"


@dataclass
class Clock:
    """Each check a minute after the previous one, from noon."""

    now: datetime = NOON - timedelta(minutes=1)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def at(minute: int) -> str:
    return f"2026-11-28T12:{minute:02d}:00.000Z"


def world(
    *data: OuData,
) -> tuple[ProvisioningCheck, InMemoryEvidence, InMemoryProgress, RecordingBus]:
    return provisioning_world(*data, clock=Clock())


def test_a_failed_bookkeeping_write_leads_to_a_duplicate_with_the_same_id() -> None:
    check, _, progress, bus = world(OuData("ou-1").complete())

    def failing_mark(ou_id: OuId, completion_id: str) -> None:
        raise DependencyUnavailable("throttled")

    progress.mark_completion_published = failing_mark  # type: ignore[method-assign]
    with pytest.raises(DependencyUnavailable):
        check.run(OU)
    del progress.mark_completion_published
    check.run(OU)
    check.run(OU)
    ids = [e.detail["completion_id"] for e in bus.published if e.detail_type == COMPLETED]
    assert ids == ["completion-1", "completion-1"]  # at least once, same id: consumers dedupe


# --- first completion times ------------------------------------------------------------------


def test_each_step_keeps_the_time_it_was_first_seen_complete() -> None:
    check, evidence, progress, bus = world(OuData("ou-1").integration())
    check.run(OU)  # 12:00: connect
    check.run(OU)  # 12:01: nothing new
    evidence.add(OuData("ou-1").scoring_rule().engagement_level())
    check.run(OU)  # 12:02: the rest
    assert progress.get(OU).steps_completed_at == {CONNECT: at(0), RULES: at(2), LEVELS: at(2)}
    details = [event.detail["steps_completed_at"] for event in bus.published]
    assert details == [
        {CONNECT: at(0)},
        {CONNECT: at(0)},
        {CONNECT: at(0), RULES: at(2), LEVELS: at(2)},  # Status Checked
        {CONNECT: at(0), RULES: at(2), LEVELS: at(2)},  # Completed
    ]
    assert bus.types()[-1] == COMPLETED


def test_a_retry_after_a_failed_publish_keeps_the_first_times() -> None:
    check, _, progress, bus = world(OuData("ou-1").complete())
    bus.failures = 1
    with pytest.raises(DependencyUnavailable):
        check.run(OU)  # 12:00, recorded, not published
    check.run(OU)  # 12:01
    [completed] = [e for e in bus.published if e.detail_type == COMPLETED]
    assert completed.detail["steps_completed_at"] == {CONNECT: at(0), RULES: at(0), LEVELS: at(0)}
    assert progress.get(OU).steps_completed_at[CONNECT] == at(0)


def test_a_regressed_step_leaves_status_checked_and_returns_with_its_first_time() -> None:
    ou = OuData("ou-1").complete()
    check, evidence, _, bus = world(ou)
    check.run(OU)  # 12:00: all complete
    evidence.items = {source: [] for source in evidence.items}
    evidence.add(
        OuData("ou-1", scoring_rules=ou.scoring_rules, engagement_levels=ou.engagement_levels)
    )
    check.run(OU)  # 12:01: the integration is gone
    evidence.add(ou)
    check.run(OU)  # 12:02: back
    checked = [e.detail for e in bus.published if e.detail_type == STATUS_CHECKED]
    assert [sorted(d["steps_completed_at"]) for d in checked] == [
        [CONNECT, RULES, LEVELS],
        [RULES, LEVELS],
        [CONNECT, RULES, LEVELS],
    ]
    assert checked[2]["steps_completed_at"][CONNECT] == at(0)
    assert checked[1]["regressed"] is True


# --- news only (stream-triggered checks) -------------------------------------------------------


def test_an_unchanged_outcome_publishes_nothing_when_only_news_is_wanted() -> None:
    check, _, progress, bus = world(OuData("ou-1").integration())
    check.run(OU, news_only=True)  # the first step done is news
    check.run(OU, news_only=True)
    assert bus.types() == [STATUS_CHECKED]
    assert bus.attempts == 1  # no empty publish either
    assert progress.get(OU).last_outcome == {CONNECT}


def test_a_changed_outcome_is_news() -> None:
    check, evidence, _, bus = world(OuData("ou-1").integration())
    check.run(OU, news_only=True)
    evidence.add(OuData("ou-1").scoring_rule())
    check.run(OU, news_only=True)
    assert bus.types() == [STATUS_CHECKED, STATUS_CHECKED]
    assert [e.detail["completed_count"] for e in bus.published] == [1, 2]


def test_other_triggers_publish_every_check_and_record_the_outcome() -> None:
    check, _, progress, bus = world(OuData("ou-1").integration())
    check.run(OU)
    check.run(OU)
    assert bus.types() == [STATUS_CHECKED, STATUS_CHECKED]
    check.run(OU, news_only=True)  # what they published is not news any more
    assert len(bus.published) == 2
    assert progress.get(OU).last_outcome == {CONNECT}


def test_an_owed_completion_is_published_alone_when_the_outcome_is_unchanged() -> None:
    check, _, progress, bus = world(OuData("ou-1").complete())
    progress.states["ou-1"] = ProgressState(
        "completion-0", at(0), last_outcome=frozenset({CONNECT, RULES, LEVELS})
    )  # recorded before a publish failed, then a check of another trigger recorded the outcome
    check.run(OU, news_only=True)
    assert bus.types() == [COMPLETED]
    assert bus.published[0].detail["completion_id"] == "completion-0"
    assert progress.get(OU).completion_published


def test_a_failed_publish_leaves_the_outcome_news_for_the_retry() -> None:
    check, _, progress, bus = world(OuData("ou-1").complete())
    bus.failures = 1
    with pytest.raises(DependencyUnavailable):
        check.run(OU, news_only=True)
    assert progress.get(OU).last_outcome == frozenset()
    check.run(OU, news_only=True)
    check.run(OU, news_only=True)  # the replay of a batch already handled
    assert bus.types() == [STATUS_CHECKED, COMPLETED]


def test_a_failure_after_the_publish_republishes_under_the_same_ids() -> None:
    check, _, progress, bus = world(OuData("ou-1").complete())

    def failing_record(ou_id: OuId, outcome: frozenset[str], checked_at: str) -> None:
        raise DependencyUnavailable("throttled")

    progress.record_outcome = failing_record  # type: ignore[method-assign]
    with pytest.raises(DependencyUnavailable):
        check.run(OU, news_only=True)
    del progress.record_outcome
    check.run(OU, news_only=True)
    # The completion was marked published before the failure: only the status is repeated.
    assert bus.types() == [STATUS_CHECKED, COMPLETED, STATUS_CHECKED]
    assert progress.get(OU).last_outcome == {CONNECT, RULES, LEVELS}


def test_a_change_that_completes_nothing_is_no_news_and_records_nothing() -> None:
    check, _, progress, bus = world(OuData("ou-1").scoring_rule(origin="system_default"))
    check.run(OU, news_only=True)
    assert bus.published == []
    assert "ou-1" not in progress.states
