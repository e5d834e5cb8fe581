"""In-memory implementations of the domain's ports, applying the domain's own criteria."""

import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from adapters.dynamodb import FIRST_PAGE_SIZE
from domain.checklist import EvidenceCriteria, EvidenceSource
from domain.errors import DependencyUnavailable
from domain.fleet import MembershipKey
from domain.identifiers import OuId, PrincipalId
from domain.ports import FirstLook
from domain.provisioning import Adoption, OnboardingEvent, ProgressState, ProvisioningCheck
from domain.service import ChecklistEvaluator
from tests.factories import OuData


@dataclass
class InMemoryMemberships:
    members: dict[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    calls: int = 0
    asked: list[tuple[str, str]] = field(default_factory=list)  # (ou_id, principal_id) per call

    def add(self, ou_id: str, principal_id: str, **attributes: Any) -> None:
        self.members[(ou_id, principal_id)] = attributes

    def is_active_member(self, ou_id: OuId, principal_id: PrincipalId) -> bool:
        self.calls += 1
        self.asked.append((ou_id, principal_id))
        item = self.members.get((ou_id, principal_id))
        return item is not None and item.get("status", "active") == "active"


@dataclass
class InMemoryEvidence:
    items: dict[EvidenceSource, list[Mapping[str, Any]]] = field(
        default_factory=lambda: {source: [] for source in EvidenceSource}
    )
    failures: dict[EvidenceSource, Exception] = field(default_factory=dict)
    asked: list[tuple[str, EvidenceSource]] = field(default_factory=list)  # (ou_id, source)
    read_on: list[tuple[str, EvidenceSource]] = field(default_factory=list)  # past a first look

    def add(self, data: OuData) -> None:
        self.items[EvidenceSource.INTEGRATIONS].extend(data.integrations)
        self.items[EvidenceSource.SCORING_RULES].extend(data.scoring_rules)
        self.items[EvidenceSource.ENGAGEMENT_LEVELS].extend(data.engagement_levels)

    def first_look(self, ou_id: OuId, criteria: EvidenceCriteria) -> FirstLook:
        """Looks at the OU's first ``FIRST_PAGE_SIZE`` items, as the DynamoDB adapter does."""
        self.asked.append((ou_id, criteria.source))
        if criteria.source in self.failures:
            raise self.failures[criteria.source]
        partition = [item for item in self.items[criteria.source] if item["ou_id"] == ou_id]
        first_page, rest = partition[:FIRST_PAGE_SIZE], partition[FIRST_PAGE_SIZE:]
        if any(map(criteria.accepts, first_page)) or not rest:
            return FirstLook(any(map(criteria.accepts, first_page)))
        return FirstLook(False, partial(self._read_on, ou_id, criteria, rest))

    def _read_on(
        self, ou_id: OuId, criteria: EvidenceCriteria, rest: list[Mapping[str, Any]]
    ) -> bool:
        self.read_on.append((ou_id, criteria.source))
        return any(map(criteria.accepts, rest))


@dataclass
class InMemoryProgress:
    """The progress table, with its conditional writes. ``failures`` makes the named method
    raise (once per listed error) before it changes anything."""

    states: dict[str, ProgressState] = field(default_factory=dict)
    rival_claims_first: str | None = None  # another check's id that wins the race
    last_checked_at: dict[str, str] = field(default_factory=dict)
    failures: dict[str, list[Exception]] = field(default_factory=dict)

    sequence_checked_at: dict[str, str] = field(default_factory=dict)

    def _maybe_fail(self, method: str) -> None:
        if self.failures.get(method):
            raise self.failures[method].pop(0)

    def _stored(self, ou_id: str) -> ProgressState:
        return self.states.get(ou_id, ProgressState(recorded=True))

    def get(self, ou_id: OuId) -> ProgressState:
        self._maybe_fail("get")
        return self.states.get(ou_id, ProgressState())

    def claim_completion(
        self, ou_id: OuId, completion_id: str, completed_at: str, sequence: int
    ) -> ProgressState:
        self._maybe_fail("claim_completion")
        state = self._stored(ou_id)
        if state.completion_id is None:
            winner = self.rival_claims_first or completion_id
            self.states[ou_id] = replace(
                state,
                completion_id=winner,
                completed_at=completed_at,
                completion_sequence=sequence,
            )
        return self.states[ou_id]

    def advance_sequence(self, ou_id: OuId, checked_at: str) -> int | None:
        self._maybe_fail("advance_sequence")
        if self.sequence_checked_at.get(ou_id, "") > checked_at:
            return None
        self.sequence_checked_at[ou_id] = checked_at
        state = self._stored(ou_id)
        self.states[ou_id] = replace(state, sequence=state.sequence + 1)
        return state.sequence + 1

    def adopt(self, ou_id: OuId, adoption: Adoption) -> bool:
        self._maybe_fail("adopt")
        if ou_id in self.states:
            return False
        self.states[ou_id] = ProgressState(
            recorded=True,
            completion_id=adoption.completion_id,
            completion_published=adoption.completion_id is not None,
            completion_sequence=1 if adoption.completion_id else None,
            last_outcome=adoption.outcome,
            sequence=1,
            adopted_at=adoption.adopted_at,
            adopted_steps=adoption.outcome,
        )
        self.last_checked_at[ou_id] = self.sequence_checked_at[ou_id] = adoption.adopted_at
        return True

    def mark_completion_published(self, ou_id: OuId, completion_id: str) -> None:
        self._maybe_fail("mark_completion_published")
        state = self._stored(ou_id)
        if state.completion_id == completion_id:
            self.states[ou_id] = replace(state, completion_published=True)

    def set_regressed(self, ou_id: OuId, regressed: bool, at: str) -> None:
        self._maybe_fail("set_regressed")
        state = self._stored(ou_id)
        if state.completion_id is not None:
            self.states[ou_id] = replace(state, regressed=regressed)

    def record_steps_completed(
        self, ou_id: OuId, step_ids: frozenset[str], at: str
    ) -> ProgressState:
        self._maybe_fail("record_steps_completed")
        state = self._stored(ou_id)
        times = {**dict.fromkeys(step_ids, at), **state.steps_completed_at}
        self.states[ou_id] = replace(state, steps_completed_at=times)
        return self.states[ou_id]

    def record_outcome(self, ou_id: OuId, outcome: frozenset[str], checked_at: str) -> None:
        self._maybe_fail("record_outcome")
        if self.last_checked_at.get(ou_id, "") < checked_at:
            self.last_checked_at[ou_id] = checked_at
            state = self._stored(ou_id)
            self.states[ou_id] = replace(state, last_outcome=outcome)


@dataclass
class RecordingBus:
    """The event bus: everything published, or ``failures`` more failed publishes first."""

    published: list[OnboardingEvent] = field(default_factory=list)
    failures: int = 0
    attempts: int = 0

    def publish(self, events: Sequence[OnboardingEvent]) -> None:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            raise DependencyUnavailable("bus throttled")
        self.published.extend(events)

    def types(self) -> list[str]:
        return [event.detail_type for event in self.published]


def provisioning_world(
    *data: OuData, clock: Callable[[], datetime]
) -> tuple[ProvisioningCheck, InMemoryEvidence, InMemoryProgress, RecordingBus]:
    """A provisioning check over in-memory ports holding ``data``; every new completion id
    is "completion-1"."""
    evidence = InMemoryEvidence()
    for ou in data:
        evidence.add(ou)
    progress, bus = InMemoryProgress(), RecordingBus()
    check = ProvisioningCheck(
        ChecklistEvaluator(evidence), progress, bus, clock=clock, new_id=lambda: "completion-1"
    )
    return check, evidence, progress, bus


def ids(steps: Sequence[Any]) -> list[str]:
    return [step.id for step in steps]


@dataclass
class InMemoryMembershipScan:
    """The memberships table's keys, split into parallel-scan segments by OU as DynamoDB does
    (every row of an OU in one segment, an OU's rows together, in key order)."""

    keys: list[MembershipKey] = field(default_factory=list)
    scans: int = 0

    def add(self, ou_id: str, *principal_ids: str) -> None:
        self.keys.extend(MembershipKey(ou_id, principal) for principal in principal_ids)

    def rows(
        self, segment: int, total_segments: int, after: MembershipKey | None
    ) -> Iterator[MembershipKey]:
        self.scans += 1
        mine = sorted(
            (
                key
                for key in self.keys
                if zlib.crc32(key.ou_id.encode()) % total_segments == segment
            ),
            key=lambda key: (zlib.crc32(key.ou_id.encode()), key.ou_id, key.principal_id),
        )
        start = 0 if after is None else mine.index(after) + 1
        yield from mine[start:]


@dataclass
class RecordingObserver:
    adopted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def adopted_unrecorded(self, ou_id: OuId) -> None:
        self.adopted.append(ou_id)

    def ou_failed(self, ou_id: OuId, error: Exception) -> None:
        self.failed.append((ou_id, type(error).__name__))
