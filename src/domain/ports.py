"""What the domain needs from the outside world, as protocols the adapters implement."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.checklist import EvidenceCriteria
from domain.identifiers import OuId, PrincipalId


class MembershipsRepository(Protocol):
    """Who belongs to which OU."""

    def is_active_member(self, ou_id: OuId, principal_id: PrincipalId) -> bool:
        """True when the membership exists and is active. Raises DependencyUnavailable on
        failure."""
        ...


@dataclass(frozen=True)
class FirstLook:
    """What one small, bounded read of an OU's evidence found.

    ``found`` is final when true. When false, ``read_on`` (if any) continues the search where
    the first read stopped; None means the first read saw the OU's whole partition.
    """

    found: bool
    read_on: Callable[[], bool] | None = None

    @property
    def decided(self) -> bool:
        return self.found or self.read_on is None

    def outcome(self) -> bool:
        """The step's outcome, reading on only when the first look could not decide."""
        if self.decided or self.read_on is None:
            return self.found
        return self.read_on()


class EvidenceRepository(Protocol):
    """The OU's configuration data that steps look for."""

    def first_look(self, ou_id: OuId, criteria: EvidenceCriteria) -> FirstLook:
        """One small read (a bounded first page) of the OU's items for ``criteria``: cheap
        enough to start before the caller's membership is known. Raises DependencyUnavailable."""
        ...


class CheckRunner(Protocol):
    """Runs each step's first look, and reads on where one could not decide.

    If any read raises, the run raises (never a partial result), so a failed check is never
    mistaken for an incomplete step.
    """

    def run(self, first_looks: Sequence[Callable[[], FirstLook]]) -> list[bool]:
        """Every step's outcome, in order."""
        ...

    def run_gated(
        self, gate: Callable[[], bool], first_looks: Sequence[Callable[[], FirstLook]]
    ) -> list[bool] | None:
        """Like ``run``, behind a gate (the membership check). The gate and the first looks
        may run together, but nothing past a first look is read before the gate allows it.
        When the gate says no, the answer is None at once, and the first looks' outcomes
        (results, errors, delays) are discarded. If the gate raises, so does the run."""
        ...


class InOrderCheckRunner:
    """Runs the gate, then each check, one after another: the reference behaviour."""

    def run(self, first_looks: Sequence[Callable[[], FirstLook]]) -> list[bool]:
        return [first_look().outcome() for first_look in first_looks]

    def run_gated(
        self, gate: Callable[[], bool], first_looks: Sequence[Callable[[], FirstLook]]
    ) -> list[bool] | None:
        return self.run(first_looks) if gate() else None
