"""The fleet sweep: every OU of the memberships table, one parallel-scan segment at a time.

Three modes share one walk over the OUs:
- ``adopt`` records a baseline progress item for each OU that has none, publishing nothing, so
  OUs that finished their setup before the service was deployed are never announced;
- ``reconcile`` runs the provisioning check (news only) for each recorded OU, publishing what
  the stream triggers missed, and adopts an unrecorded one instead of announcing it;
- ``report`` only reads.
Each also counts the funnel (OUs, complete, per step, furthest step, time to complete,
stalled) in a ``SweepTally`` that segments merge by addition.

A segment stops between OUs when its invocation runs low on time and answers with a cursor;
the answer, given back as the next request, resumes the segment with the counts so far.
"""

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol

from domain.checklist import CHECKLIST
from domain.errors import OnboardingError
from domain.identifiers import OuId, is_valid_id
from domain.provisioning import (
    Adoption,
    ProgressState,
    ProvisioningCheck,
    rfc3339,
)
from domain.status import OnboardingStatus

# DynamoDB's own limit on TotalSegments.
MAX_TOTAL_SEGMENTS: Final = 1_000_000
# A segment starts another OU only with this much of its invocation left: one OU's check is
# bounded by the request deadline (6 s) plus a few writes.
MIN_SECONDS_FOR_AN_OU: Final = 15.0
# Time to complete (first step to last), in hours: fixed upper bounds, so segments add up.
TIME_TO_COMPLETE_BUCKETS: Final = (1, 6, 24, 72, 168, 336, 720, 2160)
OVERFLOW_BUCKET: Final = "more"
NO_STEP: Final = "none"


class InvalidSweepRequest(OnboardingError):
    """A sweep request is malformed. The class name is the error a Step Functions task sees,
    so it must not change."""


class SweepMode(StrEnum):
    ADOPT = "adopt"
    RECONCILE = "reconcile"
    REPORT = "report"


@dataclass(frozen=True)
class MembershipKey:
    """A row of the memberships table: where a segment's scan stopped."""

    ou_id: str
    principal_id: str


class MembershipScan(Protocol):
    def rows(
        self, segment: int, total_segments: int, after: MembershipKey | None
    ) -> Iterator[MembershipKey]:
        """The keys of one parallel-scan segment, in scan order (an OU's rows together),
        starting after ``after``. Raises DependencyUnavailable."""
        ...


class SweepObserver(Protocol):
    """What the sweep reports about single OUs as it goes (logs and metrics)."""

    def adopted_unrecorded(self, ou_id: OuId) -> None: ...

    def ou_failed(self, ou_id: OuId, error: Exception) -> None: ...


def bucket_names() -> list[str]:
    return [f"le_{hours}h" for hours in TIME_TO_COMPLETE_BUCKETS] + [OVERFLOW_BUCKET]


def step_names() -> list[str]:
    return [step.id for step in CHECKLIST]


def _zeros(names: Iterable[str]) -> dict[str, int]:
    return dict.fromkeys(names, 0)


@dataclass(frozen=True)
class SweepTally:
    """What a segment (or the whole fleet) counted. Every field adds up across segments."""

    ous: int = 0
    complete: int = 0
    steps: Mapping[str, int] = field(default_factory=lambda: _zeros(step_names()))
    # Furthest step reached: the last step of the completed prefix, in checklist order.
    furthest: Mapping[str, int] = field(default_factory=lambda: _zeros([NO_STEP, *step_names()]))
    time_to_complete: Mapping[str, int] = field(default_factory=lambda: _zeros(bucket_names()))
    stalled: int = 0
    unrecorded: int = 0
    adopted: int = 0
    published: int = 0
    failed: int = 0

    def __add__(self, other: "SweepTally") -> "SweepTally":
        values: dict[str, Any] = {}
        for tally_field in fields(self):
            mine, theirs = getattr(self, tally_field.name), getattr(other, tally_field.name)
            values[tally_field.name] = (
                {key: mine[key] + theirs[key] for key in mine}
                if isinstance(mine, Mapping)
                else mine + theirs
            )
        return SweepTally(**values)

    def to_dict(self) -> dict[str, Any]:
        return {
            tally_field.name: dict(value) if isinstance(value, Mapping) else value
            for tally_field in fields(self)
            for value in [getattr(self, tally_field.name)]
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "SweepTally":
        """Counts given back with a cursor (absent ones are zero), or InvalidSweepRequest."""
        values: dict[str, Any] = {}
        for tally_field in fields(cls):
            if tally_field.name not in raw:
                continue
            value, default = raw[tally_field.name], getattr(cls(), tally_field.name)
            if isinstance(default, Mapping):
                if not isinstance(value, dict) or set(value) != set(default):
                    raise InvalidSweepRequest(f"{tally_field.name}: must have keys {list(default)}")
                values[tally_field.name] = {
                    key: _count(tally_field.name, value[key]) for key in default
                }
            else:
                values[tally_field.name] = _count(tally_field.name, value)
        return cls(**values)

    def percentiles(self) -> dict[str, int | None]:
        """p50, p90 and p99 of time to complete, as bucket upper bounds in hours (None: above
        the last bound, or no OU to measure)."""
        total = sum(self.time_to_complete.values())
        answer: dict[str, int | None] = {}
        for name, share in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
            answer[name] = _bucket_bound(self.time_to_complete, share * total) if total else None
        return answer


def _bucket_bound(histogram: Mapping[str, int], rank: float) -> int | None:
    seen = 0
    for hours, name in zip(TIME_TO_COMPLETE_BUCKETS, bucket_names(), strict=False):
        seen += histogram[name]
        if seen >= rank:
            return hours
    return None


def _count(name: str, value: object) -> int:
    if type(value) is not int or value < 0:
        raise InvalidSweepRequest(f"{name}: counts must be whole numbers of at least 0")
    return value


def encode_cursor(after: MembershipKey, segment: int, total_segments: int) -> str:
    """Opaque to callers: the row a segment stopped after, bound to that segment."""
    where = {"ou_id": after.ou_id, "principal_id": after.principal_id}
    text = json.dumps({**where, "segment": segment, "total_segments": total_segments})
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str, segment: int, total_segments: int) -> MembershipKey:
    """The row a cursor names, or InvalidSweepRequest for anything this segment did not
    return (a key outside the segment would fail the scan itself)."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raw = None
    expected = {"segment": segment, "total_segments": total_segments}
    if (
        not isinstance(raw, dict)
        or set(raw) != {"ou_id", "principal_id", *expected}
        or any(raw[name] != value for name, value in expected.items())
        or not is_valid_id(raw["ou_id"])
        or not isinstance(raw["principal_id"], str)
    ):
        raise InvalidSweepRequest("cursor: not a cursor this segment returned")
    return MembershipKey(raw["ou_id"], raw["principal_id"])


@dataclass(frozen=True)
class SweepRequest:
    mode: SweepMode
    segment: int
    total_segments: int
    after: MembershipKey | None = None
    carried: SweepTally = field(default_factory=SweepTally)


# Keys of a request; an answer (which may be given back) has the tally's too.
REQUEST_KEYS: Final = frozenset({"mode", "segment", "total_segments", "cursor"})


def parse_sweep_request(raw: object) -> SweepRequest:
    """A segment's request (or a previous answer, to resume), or InvalidSweepRequest."""
    request = _parse(raw)
    if request.after is None and request.carried != SweepTally():
        raise InvalidSweepRequest("counts may only be given back with a cursor")
    return request


def _parse(raw: object) -> SweepRequest:
    """A request or an answer, whichever: the fields of both, checked."""
    if not isinstance(raw, dict):
        raise InvalidSweepRequest("the request must be a JSON object")
    tally_keys = {tally_field.name for tally_field in fields(SweepTally)}
    if unknown := set(raw) - REQUEST_KEYS - tally_keys:
        raise InvalidSweepRequest(
            f"unexpected fields ({len(unknown)}); allowed: {sorted(REQUEST_KEYS)} and counts"
        )
    try:
        mode = SweepMode(str(raw.get("mode")))
    except ValueError:
        raise InvalidSweepRequest("mode: must be one of adopt, reconcile, report") from None
    total = raw.get("total_segments")
    if type(total) is not int or not 1 <= total <= MAX_TOTAL_SEGMENTS:
        raise InvalidSweepRequest(
            f"total_segments: must be a whole number from 1 to {MAX_TOTAL_SEGMENTS}"
        )
    segment = raw.get("segment")
    if type(segment) is not int or not 0 <= segment < total:
        raise InvalidSweepRequest("segment: must be a whole number from 0 to total_segments - 1")
    cursor = raw.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise InvalidSweepRequest("cursor: must be a string or null")
    after = None if cursor is None else decode_cursor(cursor, segment, total)
    carried = SweepTally.from_dict({key: raw[key] for key in tally_keys & set(raw)})
    return SweepRequest(mode, segment, total, after, carried)


@dataclass(frozen=True)
class SweepAnswer:
    request: SweepRequest
    tally: SweepTally
    after: MembershipKey | None  # None: the segment is finished

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": str(self.request.mode),
            "segment": self.request.segment,
            "total_segments": self.request.total_segments,
            "cursor": None
            if self.after is None
            else encode_cursor(self.after, self.request.segment, self.request.total_segments),
            **self.tally.to_dict(),
        }


def merge_answers(answers: object) -> dict[str, Any]:
    """The fleet's answer from its segments' final answers (one mode, none with a cursor)."""
    if not isinstance(answers, list) or not answers:
        raise InvalidSweepRequest("merge: must be a non-empty list of segment answers")
    requests = [_parse(answer) for answer in answers]
    if len({request.mode for request in requests}) != 1:
        raise InvalidSweepRequest("merge: every answer must be of the same mode")
    if any(request.after is not None for request in requests):
        raise InvalidSweepRequest("merge: a segment answer still has a cursor")
    tally = sum((request.carried for request in requests), SweepTally())
    return {
        "mode": str(requests[0].mode),
        "segments": len(requests),
        "cursor": None,
        **tally.to_dict(),
        "time_to_complete_percentiles": tally.percentiles(),
    }


def furthest_step(status: OnboardingStatus) -> str:
    furthest = NO_STEP
    for step in status.steps:
        if not step.completed:
            break
        furthest = step.id
    return furthest


def time_to_complete_bucket(state: ProgressState) -> str | None:
    """From the first step's completion to the OU's, when every time is known (an OU adopted
    with some steps complete has no first time)."""
    if state.adopted_steps or not state.steps_completed_at:
        return None
    completed = _moment(state.completed_at)
    firsts = [_moment(at) for at in state.steps_completed_at.values()]
    if completed is None or None in firsts:
        return None
    hours = completed - min(first for first in firsts if first is not None)
    for bound, name in zip(TIME_TO_COMPLETE_BUCKETS, bucket_names(), strict=False):
        if hours <= timedelta(hours=bound):
            return name
    return OVERFLOW_BUCKET


def _moment(rfc3339: str | None) -> datetime | None:
    """A recorded time; None when there is none or it is unreadable (another writer's), which
    leaves the OU out of what needs it rather than failing the segment."""
    try:
        moment = datetime.fromisoformat(str(rfc3339).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True)
class FleetSweep:
    """The sweep reads, writes and publishes with the provisioning check's own parts (its
    checklist, progress table, event bus, clock and ids), so both apply the same rules."""

    memberships: MembershipScan
    check: ProvisioningCheck
    stalled_after: timedelta

    def run(
        self,
        request: SweepRequest,
        seconds_left: Callable[[], float],
        observer: SweepObserver,
    ) -> SweepAnswer:
        """Visit the segment's OUs (each once) until it ends or time runs low."""
        tally, last_row = request.carried, request.after
        done_ou = None if last_row is None else last_row.ou_id
        rows = self.memberships.rows(request.segment, request.total_segments, last_row)
        visited = False
        for row in rows:
            if row.ou_id != done_ou:
                # At least one OU per invocation, so every answer with a cursor is progress.
                if visited and seconds_left() < MIN_SECONDS_FOR_AN_OU:
                    return SweepAnswer(request, tally, last_row)
                visited = True
                tally += self._visit(request.mode, OuId(row.ou_id), observer)
                done_ou = row.ou_id
            last_row = row
        return SweepAnswer(request, tally, None)

    def _visit(self, mode: SweepMode, ou_id: OuId, observer: SweepObserver) -> SweepTally:
        try:
            if mode is SweepMode.REPORT:
                return self._count(
                    self.check.checklist.checklist_for(ou_id), self.check.progress.get(ou_id)
                )
            state = self.check.progress.get(ou_id)
            if not state.recorded:
                return self._adopt(mode, ou_id, observer)
            if mode is SweepMode.ADOPT:
                return self._count(self.check.checklist.checklist_for(ou_id), state)
            outcome = self.check.check(ou_id, news_only=True, state=state)
            return replace(self._count(outcome.result, outcome.state), published=outcome.published)
        except OnboardingError as error:
            observer.ou_failed(ou_id, error)
            return SweepTally(failed=1)

    def _adopt(self, mode: SweepMode, ou_id: OuId, observer: SweepObserver) -> SweepTally:
        status = self.check.checklist.checklist_for(ou_id)
        adoption = Adoption(
            outcome=frozenset(step.id for step in status.steps if step.completed),
            completion_id=self.check.new_id() if status.all_complete else None,
            adopted_at=rfc3339(self.check.clock()),
        )
        if not self.check.progress.adopt(ou_id, adoption):
            # Recorded meanwhile by a check: count what is stored now.
            return self._count(status, self.check.progress.get(ou_id))
        if mode is SweepMode.RECONCILE:
            observer.adopted_unrecorded(ou_id)
        state = ProgressState(
            recorded=True, adopted_at=adoption.adopted_at, adopted_steps=adoption.outcome
        )
        return replace(self._count(status, state), adopted=1)

    def _count(self, status: OnboardingStatus, state: ProgressState) -> SweepTally:
        steps = {step.id: int(step.completed) for step in status.steps}
        furthest = _zeros([NO_STEP, *step_names()])
        furthest[furthest_step(status)] = 1
        histogram = _zeros(bucket_names())
        if status.all_complete and (bucket := time_to_complete_bucket(state)) is not None:
            histogram[bucket] = 1
        return SweepTally(
            ous=1,
            complete=int(status.all_complete),
            steps=steps,
            furthest=furthest,
            time_to_complete=histogram,
            stalled=int(not status.all_complete and self._stalled(state)),
            unrecorded=int(not state.recorded),
        )

    def _stalled(self, state: ProgressState) -> bool:
        """No step newly completed for ``stalled_after`` (since adoption, for an OU adopted
        with none since). An unrecorded OU has no time to judge by."""
        recorded = [*state.steps_completed_at.values(), state.adopted_at]
        moments = [moment for moment in map(_moment, recorded) if moment is not None]
        if not moments:
            return False
        return self.check.clock() - max(moments) > self.stalled_after
