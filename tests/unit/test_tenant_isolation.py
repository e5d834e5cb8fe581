"""Tenant isolation, as a property over random worlds of many OUs and principals (tests/tenancy.py),
on in-memory stores: a 200 goes only to a member of the OU, its body is a function of that OU's
data alone (replacing every other OU's data never changes it), and a non-member gets a 403 that
is the same whether or not the OU exists."""

from dataclasses import dataclass
from typing import Any, Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

import composition
from domain.service import ChecklistEvaluator, OnboardingStatusService
from handlers.status_api import lambda_handler
from tests.factories import LambdaContextStub, body_of
from tests.tenancy import (
    STEP_IDS,
    World,
    expected_steps,
    is_member,
    others_changed,
    request_event,
    worlds,
)
from tests.unit.fakes import InMemoryEvidence, InMemoryMemberships

OUS: Final = tuple(f"ou-{n}" for n in range(8))
PRINCIPALS: Final = ("alice", "bob", "carol", "auth0|dave")
NOWHERE: Final = "ou-that-exists-nowhere"


@dataclass
class Wiring:
    service: OnboardingStatusService | None = None


@pytest.fixture
def wiring(monkeypatch: pytest.MonkeyPatch) -> Wiring:
    wired = Wiring()

    def current_service() -> OnboardingStatusService:
        assert wired.service is not None
        return wired.service

    monkeypatch.setattr(composition, "status_service", current_service)
    return wired


def serve(wiring: Wiring, world: World, ou_id: str | None = None) -> dict[str, Any]:
    """The handler's answer to the world's request (for ``ou_id`` instead, if given), with
    the stores holding exactly the world's data."""
    memberships, evidence = InMemoryMemberships(), InMemoryEvidence()
    for tenant_ou, tenant in world.tenants.items():
        for item in tenant.membership_items(tenant_ou):
            memberships.add(item["ou_id"], item["principal_id"], **_status_of(item))
        evidence.add(tenant.items(tenant_ou))
    wiring.service = OnboardingStatusService(memberships, ChecklistEvaluator(evidence))
    event = request_event(world.principal, ou_id or world.ou_id, world.shape)
    return lambda_handler(event, LambdaContextStub())


def _status_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"status": item["status"]} if "status" in item else {}


@st.composite
def world_and_its_variant(draw: st.DrawFn) -> tuple[World, World]:
    world = draw(worlds(OUS, PRINCIPALS))
    return world, others_changed(world, draw, PRINCIPALS)


@given(worlds_pair=world_and_its_variant())
def test_an_answer_depends_only_on_the_asked_ous_data_and_membership(
    wiring: Wiring, worlds_pair: tuple[World, World]
) -> None:
    world, variant = worlds_pair
    response = serve(wiring, world)

    if is_member(world):
        assert response["statusCode"] == 200, response
        body = body_of(response)
        assert [step["id"] for step in body["steps"]] == list(STEP_IDS)
        assert [step["completed"] for step in body["steps"]] == expected_steps(
            world.tenants.get(world.ou_id)
        )
    else:
        assert response["statusCode"] == 403, response
        assert body_of(response)["code"] == "forbidden"
        # The same answer as for an OU that exists nowhere: nothing tells the two apart.
        assert response == serve(wiring, world, NOWHERE)

    assert serve(wiring, variant) == response
