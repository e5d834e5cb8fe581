"""The guided setup checklist, as data.

Each step names the evidence that completes it: items of one source (table) that match some
attribute values. Adding a step is one entry in ``CHECKLIST`` (plus a table in the adapters
if it reads a new source); the counts and the API follow.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# Defaults the product seeds into every new OU; they are not the customer's own setup.
SYSTEM_DEFAULT_ORIGIN: Final = "system_default"
ORIGIN_ATTRIBUTE: Final = "origin"


class EvidenceSource(StrEnum):
    """Where the evidence for a step lives: one DynamoDB table each, keyed by ``ou_id``."""

    INTEGRATIONS = "integrations"
    SCORING_RULES = "scoring_rules"
    ENGAGEMENT_LEVELS = "engagement_levels"


@dataclass(frozen=True)
class EvidenceCriteria:
    """Which items of a source complete a step.

    An item qualifies when every attribute in ``required`` holds one of its accepted values
    and the item was not seeded by the product (``origin = system_default``).
    """

    source: EvidenceSource
    required: tuple[tuple[str, frozenset[str]], ...] = ()

    def accepts(self, item: Mapping[str, object]) -> bool:
        """The same rule the store adapters express as a filter, for in-memory use and tests."""
        if item.get(ORIGIN_ATTRIBUTE) == SYSTEM_DEFAULT_ORIGIN:
            return False
        return all(item.get(name) in accepted for name, accepted in self.required)


@dataclass(frozen=True)
class ChecklistStep:
    """One guided setup step as the dashboard shows it, and the evidence that completes it."""

    id: str
    label: str
    action_path: str
    evidence: EvidenceCriteria


CONNECTABLE_INTEGRATION_KINDS: Final = frozenset(
    {"hubspot", "slack", "teams", "sfmc", "web_beacon"}
)

CHECKLIST: Final[tuple[ChecklistStep, ...]] = (
    ChecklistStep(
        id="connect_integration",
        label="Connect an integration",
        action_path="/settings/integrations",
        evidence=EvidenceCriteria(
            EvidenceSource.INTEGRATIONS,
            required=(
                ("kind", CONNECTABLE_INTEGRATION_KINDS),
                ("status", frozenset({"connected"})),
            ),
        ),
    ),
    ChecklistStep(
        id="create_scoring_rules",
        label="Create your first scoring rule",
        action_path="/configure/scoring/engagement",
        # Any surface, active or not: creating a rule is the step, not switching it on.
        evidence=EvidenceCriteria(EvidenceSource.SCORING_RULES),
    ),
    ChecklistStep(
        id="set_engagement_levels",
        label="Set up engagement levels",
        action_path="/configure/levels/engagement",
        evidence=EvidenceCriteria(EvidenceSource.ENGAGEMENT_LEVELS),
    ),
)
