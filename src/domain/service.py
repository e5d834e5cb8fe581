"""The use cases: the checklist of any OU, and the status of the caller's active OU."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from domain.checklist import CHECKLIST, ChecklistStep
from domain.errors import AccessDenied
from domain.identifiers import OuId, PrincipalId
from domain.ports import (
    CheckRunner,
    EvidenceRepository,
    FirstLook,
    InOrderCheckRunner,
    MembershipsRepository,
)
from domain.status import OnboardingStatus, evaluate_checklist


@dataclass(frozen=True)
class Caller:
    """An authenticated principal and the OU it asks about (None when it selected none)."""

    principal_id: PrincipalId
    ou_id: OuId | None


@dataclass(frozen=True)
class ChecklistEvaluator:
    """Runs each step's check against the OU's data and builds its status."""

    evidence: EvidenceRepository
    runner: CheckRunner = field(default_factory=InOrderCheckRunner)
    checklist: Sequence[ChecklistStep] = CHECKLIST

    def checklist_for(self, ou_id: OuId) -> OnboardingStatus:
        """The checklist of any OU, for trusted callers (provisioning workflows)."""
        return self.evaluate(self.runner.run(self.first_looks(ou_id)))

    def first_looks(self, ou_id: OuId) -> list[Callable[[], FirstLook]]:
        first_look = self.evidence.first_look
        return [partial(first_look, ou_id, step.evidence) for step in self.checklist]

    def evaluate(self, completed: Sequence[bool]) -> OnboardingStatus:
        return evaluate_checklist(self.checklist, completed)


@dataclass(frozen=True)
class OnboardingStatusService:
    memberships: MembershipsRepository
    checklist: ChecklistEvaluator

    def status_for(self, caller: Caller) -> OnboardingStatus:
        """The checklist of the caller's active OU, once its membership is confirmed.

        Members get their answer in one round trip: the membership read goes out with each
        step's first look (one small page). Anything more is read only once membership is
        confirmed, and a non-member's answer waits for nothing but the membership read, so it
        is the same, and costs the same, whatever state the OU is in.
        """
        ou_id = caller.ou_id
        if ou_id is None:
            raise AccessDenied("no active OU selected")
        membership = partial(self.memberships.is_active_member, ou_id, caller.principal_id)
        completed = self.checklist.runner.run_gated(membership, self.checklist.first_looks(ou_id))
        if completed is None:
            raise AccessDenied("principal is not an active member of the OU")
        return self.checklist.evaluate(completed)
