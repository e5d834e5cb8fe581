"""The completion bookkeeping of ProvisioningCheck, on in-memory ports."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest

from domain.errors import StoreUnavailable
from domain.identifiers import OuId
from domain.provisioning import (
    COMPLETED,
    STATUS_CHECKED,
    OnboardingEvent,
    ProgressState,
    ProvisioningCheck,
)
from domain.service import ChecklistEvaluator
from tests.factories import OuData
from tests.unit.fakes import InMemoryEvidence

OU = OuId("ou-1")


@dataclass
class InMemoryProgress:
    states: dict[str, ProgressState] = field(default_factory=dict)
    rival_claims_first: str | None = None  # another check's id that wins the race

    def get(self, ou_id: OuId) -> ProgressState:
        return self.states.get(ou_id, ProgressState())

    def claim_completion(self, ou_id: OuId, completion_id: str, completed_at: str) -> ProgressState:
        winner = self.rival_claims_first or completion_id
        if self.get(ou_id).completion_id is None:
            self.states[ou_id] = ProgressState(winner, completed_at)
        return self.get(ou_id)

    def mark_completion_published(self, ou_id: OuId, completion_id: str) -> None:
        if self.get(ou_id).completion_id == completion_id:
            self.states[ou_id] = replace(self.get(ou_id), completion_published=True)

    def set_regressed(self, ou_id: OuId, regressed: bool, at: str) -> None:
        self.states[ou_id] = replace(self.get(ou_id), regressed=regressed)


@dataclass
class RecordingBus:
    published: list[OnboardingEvent] = field(default_factory=list)
    failures: int = 0

    def publish(self, events: Sequence[OnboardingEvent]) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("bus throttled")
        self.published.extend(events)

    def types(self) -> list[str]:
        return [event.detail_type for event in self.published]


def world(
    *data: OuData,
) -> tuple[ProvisioningCheck, InMemoryEvidence, InMemoryProgress, RecordingBus]:
    evidence = InMemoryEvidence()
    for ou in data:
        evidence.add(ou)
    progress, bus = InMemoryProgress(), RecordingBus()
    check = ProvisioningCheck(
        ChecklistEvaluator(evidence),
        progress,
        bus,
        clock=lambda: datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        new_id=lambda: "completion-1",
    )
    return check, evidence, progress, bus


def test_the_result_carries_ou_and_utc_time() -> None:
    check, *_ = world()
    result = check.run(OU)
    assert (result.ou_id, result.checked_at) == ("ou-1", "2026-11-28T12:00:00.000Z")


def test_a_race_publishes_the_winners_completion_id() -> None:
    check, _, progress, bus = world(OuData("ou-1").complete())
    progress.rival_claims_first = "rival-id"
    check.run(OU)
    completed = [e for e in bus.published if e.detail_type == COMPLETED]
    assert [e.detail["completion_id"] for e in completed] == ["rival-id"]


def test_an_owed_completion_is_published_even_if_the_ou_regressed_meanwhile() -> None:
    check, evidence, progress, bus = world(OuData("ou-1").complete())
    bus.failures = 1
    with pytest.raises(StoreUnavailable):
        check.run(OU)
    assert progress.get(OU) == ProgressState("completion-1", "2026-11-28T12:00:00.000Z")
    evidence.items = {source: [] for source in evidence.items}  # the OU lost every step
    check.run(OU)
    assert bus.types() == [STATUS_CHECKED, COMPLETED]
    assert progress.get(OU).completion_published
    assert progress.get(OU).regressed


def test_a_failed_bookkeeping_write_leads_to_a_duplicate_with_the_same_id() -> None:
    check, _, progress, bus = world(OuData("ou-1").complete())

    def failing_mark(ou_id: OuId, completion_id: str) -> None:
        raise StoreUnavailable("throttled")

    progress.mark_completion_published = failing_mark  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable):
        check.run(OU)
    del progress.mark_completion_published
    check.run(OU)
    check.run(OU)
    ids = [e.detail["completion_id"] for e in bus.published if e.detail_type == COMPLETED]
    assert ids == ["completion-1", "completion-1"]  # at least once, same id: consumers dedupe
