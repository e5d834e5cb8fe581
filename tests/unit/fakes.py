"""In-memory implementations of the domain's ports, applying the domain's own criteria."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from adapters.dynamodb import FIRST_PAGE_SIZE
from domain.checklist import EvidenceCriteria, EvidenceSource
from domain.identifiers import OuId, PrincipalId
from domain.ports import FirstLook
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


def ids(steps: Sequence[Any]) -> list[str]:
    return [step.id for step in steps]
