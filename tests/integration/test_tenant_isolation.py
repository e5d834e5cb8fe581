"""The tenant-isolation property of tests/unit/test_tenant_isolation.py, over real
DynamoDB-compatible servers (moto and dynalite), with a modest number of examples: the
tables hold many OUs at once, each example in OUs of its own."""

import itertools
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.status_api import lambda_handler
from local.embedded_store import put_items
from tests.factories import LambdaContextStub, body_of
from tests.integration.conftest import Store
from tests.tenancy import World, expected_steps, is_member, others_changed, request_event, worlds

pytestmark = pytest.mark.integration

PRINCIPALS: Final = ("alice", "bob", "carol")
OU_NAMES: Final = tuple(f"ou-{n}" for n in range(6))
KEYS: Final = {
    "MEMBERSHIPS_TABLE": "principal_id",
    "INTEGRATIONS_TABLE": "integration_id",
    "SCORING_RULES_TABLE": "rule_id",
    "ENGAGEMENT_LEVELS_TABLE": "level_id",
}
_example_numbers = itertools.count()


def namespaced(world: World, prefix: str) -> World:
    """The world with its OU ids made unique to one example, so examples never meet."""
    return World(
        {f"{prefix}-{ou_id}": tenant for ou_id, tenant in world.tenants.items()},
        world.principal,
        f"{prefix}-{world.ou_id}",
        world.shape,
    )


def seed(store: Store, world: World) -> None:
    for ou_id, tenant in world.tenants.items():
        put_items(store.client, store.tables["MEMBERSHIPS_TABLE"], tenant.membership_items(ou_id))
        store.seed(tenant.items(ou_id))


def remove_ou(store: Store, ou_id: str) -> None:
    """Delete every item of an OU from every table."""
    for variable, sort_key in KEYS.items():
        table = store.tables[variable]
        items = store.client.query(
            TableName=table,
            KeyConditionExpression="ou_id = :ou",
            ExpressionAttributeValues={":ou": {"S": ou_id}},
            ConsistentRead=True,
        )["Items"]
        for item in items:
            key = {"ou_id": item["ou_id"], sort_key: item[sort_key]}
            store.client.delete_item(TableName=table, Key=key)


def answer(world: World, ou_id: str | None = None) -> dict[str, Any]:
    event = request_event(world.principal, ou_id or world.ou_id, world.shape)
    return lambda_handler(event, LambdaContextStub())


@st.composite
def world_and_its_variant(draw: st.DrawFn) -> tuple[World, World]:
    world = draw(worlds(OU_NAMES, PRINCIPALS))
    return world, others_changed(world, draw, PRINCIPALS)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(worlds_pair=world_and_its_variant())
def test_an_answer_depends_only_on_the_asked_ous_data_and_membership(
    store: Store, worlds_pair: tuple[World, World]
) -> None:
    prefix = f"x{next(_example_numbers)}"
    world, variant = (namespaced(w, prefix) for w in worlds_pair)
    seed(store, world)

    response = answer(world)
    if is_member(world):
        assert response["statusCode"] == 200, response
        completed = [step["completed"] for step in body_of(response)["steps"]]
        assert completed == expected_steps(world.tenants.get(world.ou_id))
    else:
        assert response["statusCode"] == 403, response
        assert response == answer(world, f"{prefix}-ou-that-exists-nowhere")

    for ou_id in world.tenants:
        if ou_id != world.ou_id:
            remove_ou(store, ou_id)
    seed(
        store,
        World(
            {ou: t for ou, t in variant.tenants.items() if ou != world.ou_id},
            world.principal,
            world.ou_id,
            world.shape,
        ),
    )
    assert answer(variant) == response
