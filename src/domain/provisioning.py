"""Provisioning checks: the same checklist for workflows, and a completion event never lost.

For every check the use case publishes "Onboarding Status Checked". The first time an OU is
seen complete it also publishes "Onboarding Completed", at least once, under a completion id
that stays the same across retries so consumers can drop a rare duplicate:

1. the completion id is recorded (conditionally, once per OU) before anything is published;
2. the events are published; a failure fails the check, so its trigger retries it;
3. only after a successful publish is the completion marked published.

A check that finds a recorded but unpublished completion publishes it, whatever the OU's
current state, so a failed publish is repaired by the next check. An OU that loses a step after
completing is recorded as regressed; it never gets a second completion event.

Each step's first completion time is recorded once (a retry never moves it later) before any
event carries it. After a successful publish the check records its outcome (the steps found
complete), so a check triggered by a data change (``news_only``) can tell news from no news:
an unchanged outcome publishes nothing but an owed completion.

Every event carries the OU's ``sequence``, which grows whenever its recorded state changes (a
step completes or regresses, the OU completes, it is adopted), so a consumer can drop an event
older than the last it applied. It is advanced before publishing, only by a check whose
evidence was read after that of the check that advanced it last: a slower, older check
publishes no status event (the newer one describes the newer state).

An OU adopted by the fleet sweep (domain.fleet) keeps what it had at adoption as a baseline:
its steps complete then have no time, and a completion recorded then is never announced.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, Protocol
from uuid import uuid4

from domain.errors import OnboardingError
from domain.identifiers import OuId
from domain.service import ChecklistEvaluator
from domain.status import OnboardingStatus

STATUS_CHECKED: Final = "Onboarding Status Checked"
COMPLETED: Final = "Onboarding Completed"


class OnboardingIncomplete(OnboardingError):
    """A workflow required a complete OU and it is not. The class name is the error name a
    Step Functions Retry/Catch matches, so it must not change."""


class PublishFailed(OnboardingError):
    """The event bus did not accept every event; the check must be retried."""


@dataclass(frozen=True)
class ProgressState:
    """What the provisioning check remembers about one OU."""

    completion_id: str | None = None
    completed_at: str | None = None
    completion_published: bool = False
    regressed: bool = False
    # Step id -> when a check first saw the step complete (RFC 3339 UTC); never moved later.
    steps_completed_at: Mapping[str, str] = field(default_factory=dict)
    # The steps complete at the last published check. Every OU starts with none complete,
    # so a change that completes nothing is no news, and an unknown OU leaves no item.
    last_outcome: frozenset[str] = frozenset()
    # Whether the OU has a progress item at all (an unknown OU has none).
    recorded: bool = False
    # Grows with every change of the recorded state; events carry it (see module docs).
    sequence: int = 0
    # The sequence of the state in which the OU completed, carried by Onboarding Completed.
    completion_sequence: int | None = None
    # When the fleet sweep adopted the OU (not when it completed anything), and the steps
    # complete then, whose completion times are unknown.
    adopted_at: str | None = None
    adopted_steps: frozenset[str] = frozenset()

    @property
    def known_steps(self) -> frozenset[str]:
        """Steps whose first completion is already recorded, with a time or as adopted."""
        return frozenset(self.steps_completed_at) | self.adopted_steps


@dataclass(frozen=True)
class Adoption:
    """An OU's state when the fleet sweep adopted it: the baseline later checks compare with."""

    outcome: frozenset[str]
    # A completion id when the OU was complete at adoption: recorded as published, never sent.
    completion_id: str | None
    adopted_at: str


@dataclass(frozen=True)
class OnboardingEvent:
    detail_type: str
    detail: dict[str, Any]


class ProgressRepository(Protocol):
    def get(self, ou_id: OuId) -> ProgressState: ...

    def claim_completion(
        self, ou_id: OuId, completion_id: str, completed_at: str, sequence: int
    ) -> ProgressState:
        """Record a completion (in state ``sequence``) unless one exists; return the state as
        stored either way."""
        ...

    def advance_sequence(self, ou_id: OuId, checked_at: str) -> int | None:
        """Add one to the OU's sequence and return it, unless a check whose evidence was read
        after ``checked_at`` advanced it already (then None)."""
        ...

    def adopt(self, ou_id: OuId, adoption: Adoption) -> bool:
        """Record ``adoption`` as the OU's first state (sequence 1) unless the OU has a
        progress item; True when it was recorded."""
        ...

    def mark_completion_published(self, ou_id: OuId, completion_id: str) -> None: ...

    def set_regressed(self, ou_id: OuId, regressed: bool, at: str) -> None:
        """Record that a completed OU lost (True) or regained (False) a step."""
        ...

    def record_steps_completed(
        self, ou_id: OuId, step_ids: frozenset[str], at: str
    ) -> ProgressState:
        """Record ``at`` for each step that has no time yet; return the state as stored."""
        ...

    def record_outcome(self, ou_id: OuId, outcome: frozenset[str], checked_at: str) -> None:
        """Record the steps a published check found complete, unless a later check's
        outcome is already recorded."""
        ...


class EventPublisher(Protocol):
    def publish(self, events: Sequence[OnboardingEvent]) -> None:
        """Publish every event or raise (PublishFailed, DependencyUnavailable...)."""
        ...


@dataclass(frozen=True)
class CheckResult(OnboardingStatus):
    """The API's status object plus the OU that was checked and when (UTC, RFC 3339)."""

    ou_id: str
    checked_at: str

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "ou_id": self.ou_id, "checked_at": self.checked_at}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ProvisioningCheck:
    checklist: ChecklistEvaluator
    progress: ProgressRepository
    publisher: EventPublisher
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    new_id: Callable[[], str] = field(default=lambda: str(uuid4()))

    def run(self, ou_id: OuId, *, news_only: bool = False) -> CheckResult:
        """Check the OU and publish what it found. With ``news_only`` (a data change triggered
        the check) an outcome equal to the last one recorded is not published again."""
        return self.check(ou_id, news_only=news_only).result

    def check(
        self, ou_id: OuId, *, news_only: bool = False, state: ProgressState | None = None
    ) -> "CheckOutcome":
        """``run``, with the progress state as it stands after the check and the number of
        events published. ``state``: the OU's progress, when the caller has just read it."""
        status = self.checklist.checklist_for(ou_id)
        checked_at = rfc3339(self.clock())
        result = CheckResult(ou_id=ou_id, checked_at=checked_at, steps=status.steps)
        outcome = frozenset(step.id for step in status.steps if step.completed)
        if state is None:
            state = self.progress.get(ou_id)
        news = outcome != state.last_outcome
        sequence: int | None = state.sequence
        if news:
            sequence = self.progress.advance_sequence(ou_id, checked_at)
        state = self._record_before_publishing(
            ou_id,
            state,
            outcome=outcome,
            all_complete=status.all_complete,
            checked_at=checked_at,
            sequence=state.sequence if sequence is None else sequence,
        )
        regressed = state.completion_id is not None and not status.all_complete
        owed = state.completion_id is not None and not state.completion_published
        events: list[OnboardingEvent] = []
        # A None sequence: a check that read later has recorded a newer state; it publishes.
        if sequence is not None and (news or not news_only):
            detail = _checked_detail(result, regressed, state, outcome, sequence)
            events.append(OnboardingEvent(STATUS_CHECKED, detail))
        if owed:
            events.append(OnboardingEvent(COMPLETED, _completed_detail(ou_id, state)))
        if events:
            self.publisher.publish(events)
        if owed and state.completion_id is not None:
            self.progress.mark_completion_published(ou_id, state.completion_id)
            state = replace(state, completion_published=True)
        if state.completion_id is not None and regressed != state.regressed:
            self.progress.set_regressed(ou_id, regressed, checked_at)
            state = replace(state, regressed=regressed)
        if news:
            # Only after the publish: a failed one leaves the outcome news for the retry.
            self.progress.record_outcome(ou_id, outcome, checked_at)
            state = replace(state, last_outcome=outcome)
        return CheckOutcome(result, state, len(events))

    def _record_before_publishing(
        self,
        ou_id: OuId,
        state: ProgressState,
        *,
        outcome: frozenset[str],
        all_complete: bool,
        checked_at: str,
        sequence: int,
    ) -> ProgressState:
        """Record what the events will carry: new step times, and a first completion."""
        if new_steps := outcome - state.known_steps:
            state = self.progress.record_steps_completed(ou_id, new_steps, checked_at)
        if all_complete and state.completion_id is None:
            state = self.progress.claim_completion(ou_id, self.new_id(), checked_at, sequence)
        return state


@dataclass(frozen=True)
class CheckOutcome:
    result: CheckResult
    state: ProgressState  # as recorded after the check
    published: int  # events published


def _checked_detail(
    result: CheckResult,
    regressed: bool,
    state: ProgressState,
    outcome: frozenset[str],
    sequence: int,
) -> dict[str, Any]:
    return {
        **result.to_dict(),
        "regressed": regressed,
        # Only the steps complete now; a step that regressed keeps its time for when it returns.
        "steps_completed_at": {
            step: at for step, at in state.steps_completed_at.items() if step in outcome
        },
        "sequence": sequence,
    }


def _completed_detail(ou_id: OuId, state: ProgressState) -> dict[str, Any]:
    """Every step was complete when the completion was claimed, so every time is there, but
    for steps already complete when the OU was adopted (their times are unknown)."""
    return {
        "ou_id": ou_id,
        "completion_id": state.completion_id,
        "completed_at": state.completed_at,
        "steps_completed_at": dict(state.steps_completed_at),
        "sequence": state.completion_sequence,
    }
