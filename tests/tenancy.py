"""Random multi-tenant worlds for the tenant-isolation property: many OUs, each with its own
members and step items, and a request by one principal for one OU in one of the accepted
identity shapes. ``expected_answer`` says what the README promises for it, computed here from
the documented rules alone, without the service's code."""

from dataclasses import dataclass, field
from typing import Any, Final

from hypothesis import strategies as st

from tests.factories import (
    OuData,
    http_api_event,
    jwt_authorizer,
    lambda_authorizer,
    rest_authorizer,
    rest_event,
)

STEP_IDS: Final = ("connect_integration", "create_scoring_rules", "set_engagement_levels")
CONNECTABLE_KINDS: Final = frozenset({"hubspot", "slack", "teams", "sfmc", "web_beacon"})
MEMBERSHIP_STATUSES: Final = (None, "active", "suspended", "invited", "removed")
IDENTITY_SHAPES: Final = ("lambda", "jwt", "jwt-custom", "lambda-cookie", "rest", "rest-cookie")

origin = st.sampled_from([None, None, "system_default", "template_gallery"])


@dataclass(frozen=True)
class Integration:
    kind: str
    status: str | None
    origin: str | None


@dataclass
class Tenant:
    """One OU's data: who belongs (principal -> membership status, None meaning no status
    attribute) and the origins of its items in each step table."""

    members: dict[str, str | None] = field(default_factory=dict)
    integrations: list[Integration] = field(default_factory=list)
    rule_origins: list[str | None] = field(default_factory=list)
    level_origins: list[str | None] = field(default_factory=list)

    def items(self, ou_id: str) -> OuData:
        data = OuData(ou_id)
        for integration in self.integrations:
            data.integration(
                kind=integration.kind, status="connected", **_origin(integration.origin)
            )
            if integration.status is None:
                del data.integrations[-1]["status"]
            else:
                data.integrations[-1]["status"] = integration.status
        for rule_origin in self.rule_origins:
            data.scoring_rule(**_origin(rule_origin))
        for level_origin in self.level_origins:
            data.engagement_level(**_origin(level_origin))
        return data

    def membership_items(self, ou_id: str) -> list[dict[str, Any]]:
        items = []
        for principal_id, status in self.members.items():
            item: dict[str, Any] = {"ou_id": ou_id, "principal_id": principal_id}
            if status is not None:
                item["status"] = status
            items.append(item)
        return items


def _origin(value: str | None) -> dict[str, str]:
    return {} if value is None else {"origin": value}


def tenants(principals: tuple[str, ...]) -> st.SearchStrategy[Tenant]:
    integration = st.builds(
        Integration,
        kind=st.sampled_from([*sorted(CONNECTABLE_KINDS), "salesforce"]),
        status=st.sampled_from(["connected", "connected", "pending", "disconnected", None]),
        origin=origin,
    )
    return st.builds(
        Tenant,
        members=st.dictionaries(
            st.sampled_from(principals), st.sampled_from(MEMBERSHIP_STATUSES), max_size=3
        ),
        integrations=st.lists(integration, max_size=3),
        rule_origins=st.lists(origin, max_size=3),
        level_origins=st.lists(origin, max_size=3),
    )


@dataclass(frozen=True)
class World:
    tenants: dict[str, Tenant]  # OU id -> its data
    principal: str  # who asks
    ou_id: str  # for which OU (perhaps one that has no data at all)
    shape: str  # which identity shape carries the request


@st.composite
def worlds(draw: st.DrawFn, ous: tuple[str, ...], principals: tuple[str, ...]) -> World:
    """Between two and all of ``ous`` hold data; the request names any of them, or an OU that
    exists nowhere (the last of ``ous`` never holds data)."""
    holders = draw(st.lists(st.sampled_from(ous[:-1]), min_size=2, unique=True))
    data = {ou_id: draw(tenants(principals)) for ou_id in holders}
    return World(
        tenants=data,
        principal=draw(st.sampled_from(principals)),
        ou_id=draw(st.sampled_from(ous)),
        shape=draw(st.sampled_from(IDENTITY_SHAPES)),
    )


def others_changed(world: World, draw: st.DrawFn, principals: tuple[str, ...]) -> World:
    """The same world with every other OU's data replaced by new data (and, at times, an OU
    holding data that held none), the asked-about OU's data untouched."""
    changed = {ou_id: draw(tenants(principals)) for ou_id in world.tenants if ou_id != world.ou_id}
    if world.ou_id in world.tenants:
        changed[world.ou_id] = world.tenants[world.ou_id]
    return World(changed, world.principal, world.ou_id, world.shape)


def request_event(principal: str, ou_id: str, shape: str) -> dict[str, Any]:
    cookie = [f"activeOu={ou_id}"]
    match shape:
        case "lambda":
            return http_api_event(authorizer=lambda_authorizer(principal, ou_id))
        case "jwt":
            return http_api_event(authorizer=jwt_authorizer(principal, ou_id=ou_id))
        case "jwt-custom":
            return http_api_event(authorizer=jwt_authorizer(principal, **{"custom:ou_id": ou_id}))
        case "lambda-cookie":
            return http_api_event(authorizer=lambda_authorizer(principal), cookies=cookie)
        case "rest":
            return rest_event(authorizer=rest_authorizer(principal, ou_id))
        case "rest-cookie":
            return rest_event(authorizer=rest_authorizer(principal), cookie_header=cookie[0])
    raise AssertionError(shape)


def is_member(world: World) -> bool:
    tenant = world.tenants.get(world.ou_id)
    if tenant is None or world.principal not in tenant.members:
        return False
    return tenant.members[world.principal] in (None, "active")


def expected_steps(tenant: Tenant | None) -> list[bool]:
    """The README's data contract, restated."""
    if tenant is None:
        return [False, False, False]
    return [
        any(
            i.kind in CONNECTABLE_KINDS and i.status == "connected" and i.origin != "system_default"
            for i in tenant.integrations
        ),
        any(o != "system_default" for o in tenant.rule_origins),
        any(o != "system_default" for o in tenant.level_origins),
    ]
