"""Demo OUs for the local server and the invoke command.

demo-user belongs to ou-empty, ou-partial (the product page's example response) and
ou-complete; its membership of ou-suspended is suspended; ou-restricted belongs to someone else.

Beside them, a generated fleet (``fleet_ous``): a few hundred OUs at assorted stages of setup,
with their own members, so that the fleet sweep's funnel means something. Most have a progress
record with step times spread over past weeks; some have none yet (adopt records them); some
have a record the stream left behind (reconcile announces what it missed).
"""

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from adapters.progress import STEP_TIME_PREFIX
from domain.checklist import CHECKLIST, CONNECTABLE_INTEGRATION_KINDS
from domain.provisioning import rfc3339

DEMO_PRINCIPAL: Final = "demo-user"
OTHER_PRINCIPAL: Final = "other-user"

MEMBERSHIPS: Final = [
    {"ou_id": "ou-empty", "principal_id": DEMO_PRINCIPAL, "status": "active"},
    {"ou_id": "ou-partial", "principal_id": DEMO_PRINCIPAL},
    {"ou_id": "ou-complete", "principal_id": DEMO_PRINCIPAL, "status": "active"},
    {"ou_id": "ou-suspended", "principal_id": DEMO_PRINCIPAL, "status": "suspended"},
    {"ou_id": "ou-restricted", "principal_id": OTHER_PRINCIPAL, "status": "active"},
]

INTEGRATIONS: Final = [
    # ou-empty: only what never counts.
    {"ou_id": "ou-empty", "integration_id": "int-1", "kind": "hubspot", "status": "pending"},
    {"ou_id": "ou-partial", "integration_id": "int-1", "kind": "slack", "status": "disconnected"},
    {"ou_id": "ou-partial", "integration_id": "int-2", "kind": "hubspot", "status": "connected"},
    {
        "ou_id": "ou-complete",
        "integration_id": "int-1",
        "kind": "web_beacon",
        "status": "connected",
    },
    {"ou_id": "ou-restricted", "integration_id": "int-1", "kind": "teams", "status": "connected"},
]

# Seeded by the product into every new OU: does not complete the step.
SYSTEM_DEFAULT_RULE: Final = {
    "rule_id": "default-engagement",
    "surface": "engagement",
    "active": True,
    "origin": "system_default",
}

SCORING_RULES: Final = [
    {"ou_id": "ou-empty", **SYSTEM_DEFAULT_RULE},
    {"ou_id": "ou-partial", **SYSTEM_DEFAULT_RULE},
    {"ou_id": "ou-complete", "rule_id": "rule-1", "surface": "engagement", "active": False},
    {"ou_id": "ou-restricted", "rule_id": "rule-1", "surface": "deal", "active": True},
]

ENGAGEMENT_LEVELS: Final = [
    {"ou_id": "ou-complete", "level_id": "lvl-1", "name": "Warm", "min_score": 10, "max_score": 49},
    {"ou_id": "ou-complete", "level_id": "lvl-2", "name": "Hot", "min_score": 50, "max_score": 100},
    {
        "ou_id": "ou-restricted",
        "level_id": "lvl-1",
        "name": "Hot",
        "min_score": 50,
        "max_score": 100,
    },
]

# Items per table, by the environment variable that names the table.
DEMO_ITEMS: Final[Mapping[str, Sequence[Mapping[str, object]]]] = {
    "MEMBERSHIPS_TABLE": MEMBERSHIPS,
    "INTEGRATIONS_TABLE": INTEGRATIONS,
    "SCORING_RULES_TABLE": SCORING_RULES,
    "ENGAGEMENT_LEVELS_TABLE": ENGAGEMENT_LEVELS,
}

# Bearer tokens the local HTTP front accepts, and the Lambda authorizer context each yields,
# as API Gateway would pass it under requestContext.authorizer.lambda.
DEMO_TOKENS: Final[dict[str, dict[str, str]]] = {
    "demo-user-token": {"principal_id": DEMO_PRINCIPAL},
    "demo-partial-token": {"principal_id": DEMO_PRINCIPAL, "ou_id": "ou-partial"},
    "other-user-token": {"principal_id": OTHER_PRINCIPAL},
}

# One item that completes each step, for local.complete_step (as the product's own services
# would write it when the user finishes the step), by the table variable of its evidence.
COMPLETING_ITEMS: Final[Mapping[str, Mapping[str, object]]] = {
    "INTEGRATIONS_TABLE": {"integration_id": "int-demo", "kind": "slack", "status": "connected"},
    "SCORING_RULES_TABLE": {"rule_id": "rule-demo", "surface": "engagement", "active": True},
    "ENGAGEMENT_LEVELS_TABLE": {
        "level_id": "lvl-demo",
        "name": "Hot",
        "min_score": 50,
        "max_score": 100,
    },
}


# --- the generated fleet, for the fleet sweep (make sweep) -----------------------------------

FLEET_SIZE: Final = 300
FLEET_SEED: Final = 16
_C, _R, _L = (step.id for step in CHECKLIST)
# Steps done (in the order they were done) and how many OUs in 24 are at that stage: mostly a
# funnel in the checklist's order, plus a few that did a later step first.
FLEET_STAGES: Final[tuple[tuple[tuple[str, ...], int], ...]] = (
    ((), 5),
    ((_C,), 5),
    ((_C, _R), 4),
    ((_C, _R, _L), 6),
    ((_R,), 1),
    ((_L,), 1),
    ((_C, _L), 1),
    ((_R, _L), 1),
)
CURRENT, UNRECORDED, STALE = "current", "unrecorded", "stale"
# How a generated OU's progress record stands: as the checks left it (current), missing (an OU
# from before the service: adopt records it) or one step behind (the stream missed the last).
FLEET_RECORDS: Final[tuple[tuple[str, int], ...]] = ((CURRENT, 7), (UNRECORDED, 2), (STALE, 1))
MEAN_HOURS_TO_FINISH: Final = 72.0


@dataclass(frozen=True)
class FleetOu:
    """One generated OU: its members, the steps its evidence completes, its progress record."""

    ou_id: str
    members: int
    done: tuple[str, ...]
    record: str
    # When each step of ``done`` was completed, as hours before the fleet was generated.
    hours_ago: tuple[float, ...]

    @property
    def complete(self) -> bool:
        return len(self.done) == len(CHECKLIST)

    @property
    def recorded(self) -> tuple[str, ...]:
        """The steps its progress record holds (none: no record is written)."""
        if self.record == UNRECORDED:
            return ()
        return self.done[:-1] if self.record == STALE else self.done


def fleet_ous(size: int = FLEET_SIZE, seed: int = FLEET_SEED) -> list[FleetOu]:
    """The same fleet for the same size and seed."""
    rng = random.Random(seed)  # noqa: S311 - demo data, the same every run
    stages, stage_weights = zip(*FLEET_STAGES, strict=True)
    records, record_weights = zip(*FLEET_RECORDS, strict=True)
    ous = []
    for index in range(size):
        done = rng.choices(stages, stage_weights)[0]
        record = rng.choices(records, record_weights)[0]
        if record == STALE and len(done) < 2:  # one step behind must leave a step recorded
            record = CURRENT
        started = rng.uniform(24.0, 70 * 24.0)
        span = min(rng.expovariate(1 / MEAN_HOURS_TO_FINISH), started - 1.0)
        later = sorted(rng.uniform(0, span) for _ in done[1:-1])
        offsets = [0.0, *later, span][: len(done)]
        hours_ago = tuple(started - offset for offset in offsets)
        ous.append(FleetOu(f"ou-fleet-{index:05d}", 1 + index % 3, done, record, hours_ago))
    return ous


def fleet_items(ous: Sequence[FleetOu], now: datetime) -> dict[str, list[dict[str, object]]]:
    """The fleet's items per table variable, progress records included, as of ``now``."""
    items: dict[str, list[dict[str, object]]] = {
        variable: [] for variable in (*DEMO_ITEMS, "PROGRESS_TABLE")
    }
    for index, ou in enumerate(ous):
        key = {"ou_id": ou.ou_id}
        for member in range(ou.members):
            principal = f"user-{ou.ou_id.removeprefix('ou-')}-{member}"
            items["MEMBERSHIPS_TABLE"].append({**key, "principal_id": principal})
        kind = sorted(CONNECTABLE_INTEGRATION_KINDS)[index % len(CONNECTABLE_INTEGRATION_KINDS)]
        status = "connected" if _C in ou.done else "pending"
        items["INTEGRATIONS_TABLE"].append(
            {**key, "integration_id": "int-1", "kind": kind, "status": status}
        )
        items["SCORING_RULES_TABLE"].append({**key, **SYSTEM_DEFAULT_RULE})
        if _R in ou.done:
            items["SCORING_RULES_TABLE"].append({**key, **COMPLETING_ITEMS["SCORING_RULES_TABLE"]})
        if _L in ou.done:
            items["ENGAGEMENT_LEVELS_TABLE"].append(
                {**key, **COMPLETING_ITEMS["ENGAGEMENT_LEVELS_TABLE"]}
            )
        if ou.recorded:
            items["PROGRESS_TABLE"].append(progress_item(ou, now))
    return items


def progress_item(ou: FleetOu, now: datetime) -> dict[str, object]:
    """The record the provisioning checks would have left, in the progress table's format
    (src/adapters/progress.py)."""
    times = [rfc3339(now - timedelta(hours=hours)) for hours in ou.hours_ago]
    item: dict[str, object] = {
        "ou_id": ou.ou_id,
        **{STEP_TIME_PREFIX + step: at for step, at in zip(ou.recorded, times, strict=False)},
        "last_outcome": sorted(ou.recorded),
        "last_checked_at": times[len(ou.recorded) - 1],
        # One check per step, each news: the sequence grew once per step.
        "sequence": len(ou.recorded),
        "sequence_checked_at": times[len(ou.recorded) - 1],
    }
    if len(ou.recorded) == len(CHECKLIST):
        item |= {
            "completion_id": str(uuid.uuid5(uuid.NAMESPACE_URL, ou.ou_id)),
            "completed_at": times[-1],
            "completion_published": True,
            "completion_sequence": len(ou.recorded),
        }
    return item


def demo_items(now: datetime) -> dict[str, list[Mapping[str, object]]]:
    """What make serve seeds: the hand-written OUs and the generated fleet, per table variable."""
    fleet = fleet_items(fleet_ous(), now)
    return {variable: [*DEMO_ITEMS.get(variable, ()), *fleet[variable]] for variable in fleet}
