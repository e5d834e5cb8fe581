"""ProvisioningCheck's completion bookkeeping, branch by branch, on in-memory ports: claim the
completion id, publish, mark it published, record regressions. A few of these run over the
wire as well (tests/integration/test_provisioning_check.py, test_faults_provisioning.py)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.errors import DependencyUnavailable
from domain.identifiers import OuId
from domain.provisioning import COMPLETED, STATUS_CHECKED, ProgressState, ProvisioningCheck
from tests.factories import OuData
from tests.unit.fakes import (
    InMemoryEvidence,
    InMemoryProgress,
    RecordingBus,
    provisioning_world,
)

OU = OuId("ou-1")
CHECKED_AT = "2026-11-28T12:00:00.000Z"
EVERY_STEP_AT = dict.fromkeys(
    ["connect_integration", "create_scoring_rules", "set_engagement_levels"], CHECKED_AT
)


def completion(state: ProgressState) -> tuple[str | None, str | None, bool]:
    """The completion bookkeeping of a progress state (id, when, published)."""
    return state.completion_id, state.completed_at, state.completion_published


@dataclass
class World:
    check: ProvisioningCheck
    evidence: InMemoryEvidence
    progress: InMemoryProgress
    bus: RecordingBus

    def completions(self) -> list[dict[str, Any]]:
        return [e.detail for e in self.bus.published if e.detail_type == COMPLETED]

    def lose_every_step(self) -> None:
        self.evidence.items = {source: [] for source in self.evidence.items}

    def regain_every_step(self) -> None:
        self.evidence.add(OuData("ou-1").complete())


def world(*data: OuData) -> World:
    return World(*provisioning_world(*data, clock=lambda: datetime(2026, 11, 28, 12, tzinfo=UTC)))


@pytest.fixture
def complete() -> World:
    return world(OuData("ou-1").complete())


def test_the_result_carries_ou_and_utc_time() -> None:
    result = world().check.run(OU)
    assert (result.ou_id, result.checked_at) == ("ou-1", CHECKED_AT)


def test_an_incomplete_ou_gets_a_status_event_and_no_completion() -> None:
    w = world(OuData("ou-1").integration())
    w.check.run(OU)
    assert w.bus.types() == [STATUS_CHECKED]
    assert w.bus.published[0].detail["regressed"] is False
    assert completion(w.progress.get(OU)) == (None, None, False)


def test_a_complete_ou_is_claimed_published_then_marked(complete: World) -> None:
    complete.check.run(OU)
    assert complete.bus.types() == [STATUS_CHECKED, COMPLETED]
    assert complete.completions() == [
        {
            "ou_id": "ou-1",
            "completion_id": "completion-1",
            "completed_at": CHECKED_AT,
            "steps_completed_at": EVERY_STEP_AT,
            "sequence": 1,
        }
    ]
    assert completion(complete.progress.get(OU)) == ("completion-1", CHECKED_AT, True)


def test_later_checks_never_publish_a_second_completion(complete: World) -> None:
    for _ in range(3):
        complete.check.run(OU)
    assert complete.bus.types() == [STATUS_CHECKED, COMPLETED, STATUS_CHECKED, STATUS_CHECKED]


def test_a_race_publishes_the_winners_completion_id(complete: World) -> None:
    complete.progress.rival_claims_first = "rival-id"
    complete.check.run(OU)
    assert [c["completion_id"] for c in complete.completions()] == ["rival-id"]


@pytest.mark.parametrize("failing", ["get", "claim_completion"])
def test_a_failure_before_the_claim_is_recorded_publishes_nothing(
    complete: World, failing: str
) -> None:
    complete.progress.failures[failing] = [DependencyUnavailable("throttled")]
    with pytest.raises(DependencyUnavailable):
        complete.check.run(OU)
    assert complete.bus.published == []
    assert completion(complete.progress.get(OU)) == (None, None, False)
    complete.check.run(OU)  # the trigger's retry
    assert [c["completion_id"] for c in complete.completions()] == ["completion-1"]


def test_a_failing_checklist_records_and_publishes_nothing(complete: World) -> None:
    complete.evidence.failures = {
        source: DependencyUnavailable("down") for source in complete.evidence.items
    }
    with pytest.raises(DependencyUnavailable):
        complete.check.run(OU)
    assert (complete.bus.published, complete.progress.states) == ([], {})


def test_a_failed_publish_leaves_the_completion_recorded_and_owed(complete: World) -> None:
    complete.bus.failures = 1
    with pytest.raises(DependencyUnavailable):
        complete.check.run(OU)
    # Recorded, not claimed as published.
    assert completion(complete.progress.get(OU)) == ("completion-1", CHECKED_AT, False)
    complete.check.run(OU)
    assert [c["completion_id"] for c in complete.completions()] == ["completion-1"]
    assert complete.progress.get(OU).completion_published


def test_an_owed_completion_is_published_even_if_the_ou_regressed_meanwhile(
    complete: World,
) -> None:
    complete.bus.failures = 1
    with pytest.raises(DependencyUnavailable):
        complete.check.run(OU)
    complete.lose_every_step()
    complete.check.run(OU)
    assert complete.bus.types() == [STATUS_CHECKED, COMPLETED]
    assert complete.progress.get(OU).completion_published
    assert complete.progress.get(OU).regressed


def test_a_failed_mark_leads_to_a_duplicate_with_the_same_id(complete: World) -> None:
    complete.progress.failures["mark_completion_published"] = [DependencyUnavailable("throttled")]
    with pytest.raises(DependencyUnavailable):
        complete.check.run(OU)
    complete.check.run(OU)
    complete.check.run(OU)
    # At least once, under one id: consumers drop the duplicate.
    assert [c["completion_id"] for c in complete.completions()] == ["completion-1"] * 2


def test_a_regression_is_recorded_once_and_cleared_when_the_step_returns(complete: World) -> None:
    complete.check.run(OU)
    complete.lose_every_step()
    complete.check.run(OU)
    complete.check.run(OU)
    assert complete.progress.get(OU).regressed
    complete.regain_every_step()
    complete.check.run(OU)
    assert not complete.progress.get(OU).regressed
    regressed = [
        e.detail["regressed"] for e in complete.bus.published if e.detail_type == STATUS_CHECKED
    ]
    assert regressed == [False, True, True, False]
    assert len(complete.completions()) == 1  # never a second completion


def test_a_failed_regression_write_is_retried_by_the_next_check(complete: World) -> None:
    complete.check.run(OU)
    complete.lose_every_step()
    complete.progress.failures["set_regressed"] = [DependencyUnavailable("throttled")]
    with pytest.raises(DependencyUnavailable):
        complete.check.run(OU)
    assert not complete.progress.get(OU).regressed
    complete.check.run(OU)
    assert complete.progress.get(OU).regressed


def test_an_incomplete_ou_that_never_completed_is_never_regressed() -> None:
    w = world(OuData("ou-1").integration())
    w.check.run(OU)
    w.lose_every_step()
    w.check.run(OU)
    assert completion(w.progress.get(OU)) == (None, None, False)
    assert not w.progress.get(OU).regressed
    assert [e.detail["regressed"] for e in w.bus.published] == [False, False]
