"""The onboarding status model and the pure function that computes it."""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, computed_field

from domain.checklist import ChecklistStep


class StepStatus(BaseModel):
    """One step of the setup checklist and whether the OU has completed it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Unique identifier for the step", examples=["connect_integration"])
    label: str = Field(description="Human-readable step name", examples=["Connect an integration"])
    completed: bool = Field(description="Whether this step has been completed")
    action_path: str = Field(
        description="URL path to the relevant configuration page",
        examples=["/settings/integrations"],
    )


class OnboardingStatus(BaseModel):
    """Completion of every guided setup step for one OU. The counts derive from the steps."""

    model_config = ConfigDict(frozen=True)

    steps: tuple[StepStatus, ...] = Field(description="Ordered list of setup steps")

    @computed_field(description="true when every step is complete")  # type: ignore[prop-decorator]
    @property
    def all_complete(self) -> bool:
        return all(step.completed for step in self.steps)

    @computed_field(description="Number of steps currently marked complete")  # type: ignore[prop-decorator]
    @property
    def completed_count(self) -> int:
        return sum(step.completed for step in self.steps)

    @computed_field(description="Total number of steps")  # type: ignore[prop-decorator]
    @property
    def total_count(self) -> int:
        return len(self.steps)


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
