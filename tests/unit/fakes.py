"""In-memory implementations of the domain's ports, applying the domain's own criteria."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from domain.checklist import EvidenceCriteria, EvidenceSource
from domain.errors import StoreUnavailable
from domain.identifiers import OuId, PrincipalId
from domain.provisioning import OnboardingEvent, ProgressState
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

    def add(self, data: OuData) -> None:
        self.items[EvidenceSource.INTEGRATIONS].extend(data.integrations)
        self.items[EvidenceSource.SCORING_RULES].extend(data.scoring_rules)
        self.items[EvidenceSource.ENGAGEMENT_LEVELS].extend(data.engagement_levels)

    def has_evidence(self, ou_id: OuId, criteria: EvidenceCriteria) -> bool:
        self.asked.append((ou_id, criteria.source))
        if criteria.source in self.failures:
            raise self.failures[criteria.source]
        return any(
            item["ou_id"] == ou_id and criteria.accepts(item)
            for item in self.items[criteria.source]
        )


@dataclass
class InMemoryProgress:
    """The progress table, with its conditional writes. ``failures`` makes the named
    method raise (once per listed error) before it changes anything."""

    states: dict[str, ProgressState] = field(default_factory=dict)
    rival_claims_first: str | None = None  # another check's id that wins the race
    failures: dict[str, list[Exception]] = field(default_factory=dict)

    def _maybe_fail(self, method: str) -> None:
        if self.failures.get(method):
            raise self.failures[method].pop(0)

    def get(self, ou_id: OuId) -> ProgressState:
        self._maybe_fail("get")
        return self.states.get(ou_id, ProgressState())

    def claim_completion(self, ou_id: OuId, completion_id: str, completed_at: str) -> ProgressState:
        self._maybe_fail("claim_completion")
        if self.states.get(ou_id, ProgressState()).completion_id is None:
            self.states[ou_id] = ProgressState(
                self.rival_claims_first or completion_id, completed_at
            )
        return self.states[ou_id]

    def mark_completion_published(self, ou_id: OuId, completion_id: str) -> None:
        self._maybe_fail("mark_completion_published")
        state = self.states.get(ou_id, ProgressState())
        if state.completion_id == completion_id:
            self.states[ou_id] = replace(state, completion_published=True)

    def set_regressed(self, ou_id: OuId, regressed: bool, at: str) -> None:
        self._maybe_fail("set_regressed")
        state = self.states.get(ou_id, ProgressState())
        if state.completion_id is not None:
            self.states[ou_id] = replace(state, regressed=regressed)


@dataclass
class RecordingBus:
    """The event bus: everything published, or ``failures`` more failed publishes first."""

    published: list[OnboardingEvent] = field(default_factory=list)
    failures: int = 0

    def publish(self, events: Sequence[OnboardingEvent]) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("bus throttled")
        self.published.extend(events)

    def types(self) -> list[str]:
        return [event.detail_type for event in self.published]


def ids(steps: Sequence[Any]) -> list[str]:
    return [step.id for step in steps]
