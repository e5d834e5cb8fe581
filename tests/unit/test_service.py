"""The status use case against in-memory ports."""

from collections.abc import Iterator

import pytest

from adapters.concurrency import ThreadPoolCheckRunner
from domain.checklist import EvidenceSource
from domain.errors import AccessDenied, DependencyUnavailable
from domain.identifiers import OuId, PrincipalId
from domain.ports import InOrderCheckRunner
from domain.service import Caller, ChecklistEvaluator, OnboardingStatusService
from tests.factories import OuData
from tests.unit.fakes import InMemoryEvidence, InMemoryMemberships

ALICE = Caller(PrincipalId("alice"), OuId("ou-1"))


def service_with(*data: OuData, members: tuple[tuple[str, str], ...] = (("ou-1", "alice"),)):
    memberships = InMemoryMemberships()
    for ou_id, principal in members:
        memberships.add(ou_id, principal)
    evidence = InMemoryEvidence()
    for ou in data:
        evidence.add(ou)
    service = OnboardingStatusService(memberships, ChecklistEvaluator(evidence))
    return service, evidence


def completed(service: OnboardingStatusService, caller: Caller = ALICE) -> list[bool]:
    return [step.completed for step in service.status_for(caller).steps]


def test_an_empty_ou_has_nothing_completed() -> None:
    service, _ = service_with()
    assert completed(service) == [False, False, False]


def test_each_step_is_completed_by_its_own_evidence() -> None:
    service, _ = service_with(OuData("ou-1").scoring_rule())
    assert completed(service) == [False, True, False]
    service, _ = service_with(OuData("ou-1").engagement_level().integration(kind="teams"))
    assert completed(service) == [True, False, True]


def test_another_ous_data_does_not_complete_a_step() -> None:
    service, _ = service_with(OuData("ou-2").complete())
    assert completed(service) == [False, False, False]


def test_a_non_member_is_denied() -> None:
    service, _ = service_with(OuData("ou-1").complete(), members=(("ou-1", "bob"),))
    with pytest.raises(AccessDenied, match="not an active member"):
        service.status_for(ALICE)


def test_an_inactive_membership_is_denied() -> None:
    service, _ = service_with()
    service.memberships.add("ou-1", "alice", status="suspended")  # type: ignore[attr-defined]
    with pytest.raises(AccessDenied):
        service.status_for(ALICE)


def test_a_caller_without_an_active_ou_is_denied() -> None:
    service, _ = service_with()
    with pytest.raises(AccessDenied, match="no active OU"):
        service.status_for(Caller(PrincipalId("alice"), None))


def test_a_failed_check_fails_the_request_instead_of_reporting_incomplete() -> None:
    service, evidence = service_with(OuData("ou-1").complete())
    evidence.failures[EvidenceSource.SCORING_RULES] = DependencyUnavailable("throttled")
    with pytest.raises(DependencyUnavailable):
        service.status_for(ALICE)


def test_checklist_for_needs_no_membership() -> None:
    service, _ = service_with(OuData("ou-9").complete(), members=())
    assert service.checklist.checklist_for(OuId("ou-9")).all_complete


def test_membership_goes_out_with_every_steps_first_look() -> None:
    seen: list[tuple[bool, int]] = []

    class RecordingRunner(InOrderCheckRunner):
        def run_gated(self, gate, first_looks):  # type: ignore[no-untyped-def]
            seen.append((gate is not None, len(first_looks)))
            return super().run_gated(gate, first_looks)

    service, _ = service_with(OuData("ou-1").complete())
    service = OnboardingStatusService(
        service.memberships, ChecklistEvaluator(service.checklist.evidence, RecordingRunner())
    )
    assert service.status_for(ALICE).all_complete
    assert seen == [(True, 3)]


def huge_ou(ou_id: str = "ou-1", disconnected: int = 3_000) -> OuData:
    """Thousands of integrations that do not count, then one that does."""
    data = OuData(ou_id)
    for _ in range(disconnected):
        data.integration(status="disconnected")
    return data.integration()


@pytest.fixture
def pool_runner() -> Iterator[ThreadPoolCheckRunner]:
    runner = ThreadPoolCheckRunner(max_workers=4, deadline_seconds=2.0)
    yield runner
    runner.shutdown()


def test_a_member_gets_evidence_found_past_the_first_look(
    pool_runner: ThreadPoolCheckRunner,
) -> None:
    service, evidence = service_with(huge_ou())
    service = OnboardingStatusService(
        service.memberships, ChecklistEvaluator(evidence, pool_runner)
    )
    assert completed(service) == [True, False, False]
    assert evidence.read_on == [("ou-1", EvidenceSource.INTEGRATIONS)]


@pytest.mark.parametrize("runner_kind", ["in order", "thread pool"])
@pytest.mark.parametrize("state", ["missing", "empty", "huge", "failing"])
def test_a_non_member_gets_the_same_denial_and_nothing_is_read_on(
    state: str, runner_kind: str, pool_runner: ThreadPoolCheckRunner
) -> None:
    data = {"missing": [], "empty": [OuData("ou-1")], "huge": [huge_ou()], "failing": []}[state]
    service, evidence = service_with(*data, members=(("ou-1", "bob"),))
    if state == "failing":
        evidence.failures[EvidenceSource.SCORING_RULES] = DependencyUnavailable("throttled")
    runner = pool_runner if runner_kind == "thread pool" else InOrderCheckRunner()
    service = OnboardingStatusService(service.memberships, ChecklistEvaluator(evidence, runner))
    with pytest.raises(AccessDenied) as denied:
        service.status_for(ALICE)
    assert str(denied.value) == "principal is not an active member of the OU"
    assert evidence.read_on == []
