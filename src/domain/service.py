"""The use cases: the checklist of any OU, and the status of the caller's active OU."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from domain.checklist import CHECKLIST, ChecklistStep
from domain.errors import AccessDenied
from domain.identifiers import OuId, PrincipalId
from domain.ports import CheckRunner, EvidenceRepository, InOrderCheckRunner, MembershipsRepository
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
        return self.evaluate(self.runner.run_all(self.checks_for(ou_id)))

    def checks_for(self, ou_id: OuId) -> list[Callable[[], bool]]:
        has_evidence = self.evidence.has_evidence
        return [partial(has_evidence, ou_id, step.evidence) for step in self.checklist]

    def evaluate(self, completed: Sequence[bool]) -> OnboardingStatus:
        return evaluate_checklist(self.checklist, completed)


@dataclass(frozen=True)
class OnboardingStatusService:
    memberships: MembershipsRepository
    checklist: ChecklistEvaluator

    def status_for(self, caller: Caller) -> OnboardingStatus:
        """The checklist of the caller's active OU, once its membership is confirmed.

        The membership check and the step checks are independent reads, so they are handed
        to the runner together (one round trip when it runs them concurrently). Step results
        are used only after membership is confirmed; a non-member learns nothing from them.
        """
        ou_id = caller.ou_id
        if ou_id is None:
            raise AccessDenied("no active OU selected")
        membership = partial(self.memberships.is_active_member, ou_id, caller.principal_id)
        checks: list[Callable[[], bool]] = [membership, *self.checklist.checks_for(ou_id)]
        is_member, *completed = self.checklist.runner.run_all(checks)
        if not is_member:
            raise AccessDenied("principal is not an active member of the OU")
        return self.checklist.evaluate(completed)
