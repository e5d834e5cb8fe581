"""The onboarding status model and the pure function that computes it.

Plain frozen dataclasses, not pydantic: the status API serves them on every request, and
importing pydantic is a measurable part of its cold start (docs/benchmarks.md). The OpenAPI
document describes the same body with pydantic models (local.api_schema), which a test
holds to what ``to_json`` writes.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.checklist import ChecklistStep


@dataclass(frozen=True)
class StepStatus:
    """One step of the setup checklist and whether the OU has completed it."""

    id: str
    label: str
    completed: bool
    action_path: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "completed": self.completed,
            "action_path": self.action_path,
        }


@dataclass(frozen=True)
class OnboardingStatus:
    """Completion of every guided setup step for one OU. The counts derive from the steps."""

    steps: tuple[StepStatus, ...]

    @property
    def all_complete(self) -> bool:
        return all(step.completed for step in self.steps)

    @property
    def completed_count(self) -> int:
        return sum(step.completed for step in self.steps)

    @property
    def total_count(self) -> int:
        return len(self.steps)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, fields in the documented order, the counts after the steps."""
        return {
            "steps": [step.to_dict() for step in self.steps],
            "all_complete": self.all_complete,
            "completed_count": self.completed_count,
            "total_count": self.total_count,
        }

    def to_json(self) -> str:
        """The response body: compact, UTF-8 text as is (what pydantic wrote before)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)


def evaluate_checklist(
    checklist: Sequence[ChecklistStep], completed: Sequence[bool]
) -> OnboardingStatus:
    """Pair each step with the outcome of its check, in checklist order."""
    if len(checklist) != len(completed):
        raise ValueError("one check outcome is needed per checklist step")
    return OnboardingStatus(
        steps=tuple(
            StepStatus(id=step.id, label=step.label, completed=done, action_path=step.action_path)
            for step, done in zip(checklist, completed, strict=True)
        )
    )
