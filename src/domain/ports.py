"""What the domain needs from the outside world, as protocols the adapters implement."""

from collections.abc import Callable, Sequence
from typing import Protocol

from domain.checklist import EvidenceCriteria
from domain.identifiers import OuId, PrincipalId


class MembershipsRepository(Protocol):
    """Who belongs to which OU."""

    def is_active_member(self, ou_id: OuId, principal_id: PrincipalId) -> bool:
        """True when the membership exists and is active. Raises StoreUnavailable on failure."""
        ...


class EvidenceRepository(Protocol):
    """The OU's configuration data that steps look for."""

    def has_evidence(self, ou_id: OuId, criteria: EvidenceCriteria) -> bool:
        """True when at least one item of the OU matches. Raises StoreUnavailable on failure."""
        ...


class CheckRunner(Protocol):
    """Runs independent checks and returns their results in order.

    An implementation may run them concurrently; if any check raises, ``run_all`` raises
    (never a partial result), so a failed check is never mistaken for an incomplete step.
    """

    def run_all(self, checks: Sequence[Callable[[], bool]]) -> list[bool]: ...


class InOrderCheckRunner:
    """Runs checks one after another: the reference behaviour for any CheckRunner."""

    def run_all(self, checks: Sequence[Callable[[], bool]]) -> list[bool]:
        return [check() for check in checks]
