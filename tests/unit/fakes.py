"""In-memory implementations of the domain's ports, applying the domain's own criteria."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.checklist import EvidenceCriteria, EvidenceSource
from domain.identifiers import OuId, PrincipalId
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


def ids(steps: Sequence[Any]) -> list[str]:
    return [step.id for step in steps]
