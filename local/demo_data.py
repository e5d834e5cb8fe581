"""Demo OUs for the local server and the invoke command.

demo-user belongs to ou-empty, ou-partial (the product page's example response) and
ou-complete; its membership of ou-suspended is suspended; ou-restricted belongs to someone else.
"""

from collections.abc import Mapping, Sequence
from typing import Final

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

SCORING_RULES: Final = [
    # Seeded by the product into every new OU: does not complete the step.
    {
        "ou_id": "ou-empty",
        "rule_id": "default-engagement",
        "surface": "engagement",
        "active": True,
        "origin": "system_default",
    },
    {
        "ou_id": "ou-partial",
        "rule_id": "default-engagement",
        "surface": "engagement",
        "active": True,
        "origin": "system_default",
    },
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
