"""The checklist as data and the rules of each step, with no AWS at all."""

import json
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from domain.checklist import (
    CHECKLIST,
    CONNECTABLE_INTEGRATION_KINDS,
    ChecklistStep,
    EvidenceCriteria,
    EvidenceSource,
)
from domain.status import OnboardingStatus, evaluate_checklist

DOCUMENTED_EXAMPLE = json.loads(
    (Path(__file__).parents[1] / "data" / "documented_example.json").read_text()
)
STEP = {step.id: step for step in CHECKLIST}


def test_steps_are_the_documented_ones_in_order() -> None:
    documented = [(s["id"], s["label"], s["action_path"]) for s in DOCUMENTED_EXAMPLE["steps"]]
    assert [(s.id, s.label, s.action_path) for s in CHECKLIST] == documented


# What pydantic's model_dump_json() wrote for [True, False, True] when the status was a pydantic
# model: the body, and so its ETag, must not change with the model's implementation.
PYDANTIC_BODY = (
    '{"steps":[{"id":"connect_integration","label":"Connect an integration","completed":true,'
    '"action_path":"/settings/integrations"},{"id":"create_scoring_rules","label":"Create your '
    'first scoring rule","completed":false,"action_path":"/configure/scoring/engagement"},'
    '{"id":"set_engagement_levels","label":"Set up engagement levels","completed":true,'
    '"action_path":"/configure/levels/engagement"}],"all_complete":false,"completed_count":2,'
    '"total_count":3}'
)


def test_the_body_is_byte_for_byte_what_pydantic_wrote() -> None:
    assert evaluate_checklist(CHECKLIST, [True, False, True]).to_json() == PYDANTIC_BODY


def test_text_beyond_ascii_is_written_as_is_like_pydantic() -> None:
    step = ChecklistStep(
        id="é",
        label="Añadir",
        action_path="/ü",
        evidence=EvidenceCriteria(EvidenceSource.SCORING_RULES),
    )
    body = evaluate_checklist([step], [True]).to_json()
    assert '"label":"Añadir"' in body


def test_status_serialises_to_the_documented_shape_and_order() -> None:
    status = evaluate_checklist(CHECKLIST, [True, False, False])
    assert json.loads(status.to_json()) == DOCUMENTED_EXAMPLE
    assert list(json.loads(status.to_json())) == [
        "steps",
        "all_complete",
        "completed_count",
        "total_count",
    ]
    assert list(json.loads(status.to_json())["steps"][0]) == [
        "id",
        "label",
        "completed",
        "action_path",
    ]


@pytest.mark.parametrize(
    ("completed", "all_complete", "count"),
    [([False] * 3, False, 0), ([True, True, False], False, 2), ([True] * 3, True, 3)],
)
def test_counts_follow_the_steps(completed: list[bool], all_complete: bool, count: int) -> None:
    status = evaluate_checklist(CHECKLIST, completed)
    assert (status.all_complete, status.completed_count, status.total_count) == (
        all_complete,
        count,
        3,
    )


def test_a_fourth_step_is_one_entry_and_the_counts_follow() -> None:
    extra = ChecklistStep(
        id="invite_teammate",
        label="Invite a teammate",
        action_path="/settings/users",
        evidence=EvidenceCriteria(EvidenceSource.SCORING_RULES),
    )
    status = evaluate_checklist((*CHECKLIST, extra), [True, True, True, False])
    assert status.total_count == 4
    assert status.completed_count == 3
    assert status.all_complete is False
    assert status.steps[-1].id == "invite_teammate"


def test_one_outcome_is_needed_per_step() -> None:
    with pytest.raises(ValueError, match="one check outcome"):
        evaluate_checklist(CHECKLIST, [True, True])


def test_status_cannot_claim_counts_that_disagree_with_its_steps() -> None:
    status = evaluate_checklist(CHECKLIST, [True, False, False])
    with pytest.raises(TypeError, match="completed_count"):
        OnboardingStatus(steps=status.steps, completed_count=3)  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        status.completed_count = 3  # type: ignore[misc]
    assert status.completed_count == 1


def test_status_is_immutable() -> None:
    status = evaluate_checklist(CHECKLIST, [True, False, False])
    with pytest.raises(FrozenInstanceError):
        status.steps = ()  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        status.steps[0].completed = False  # type: ignore[misc]


@pytest.mark.parametrize("kind", sorted(CONNECTABLE_INTEGRATION_KINDS))
def test_each_supported_kind_connected_completes_connect_integration(kind: str) -> None:
    assert STEP["connect_integration"].evidence.accepts({"kind": kind, "status": "connected"})


def test_supported_kinds_are_the_documented_five() -> None:
    assert {"hubspot", "slack", "teams", "sfmc", "web_beacon"} == CONNECTABLE_INTEGRATION_KINDS


@pytest.mark.parametrize("status", ["pending", "disconnected", "error", None])
def test_an_integration_that_is_not_connected_does_not_count(status: str | None) -> None:
    assert not STEP["connect_integration"].evidence.accepts({"kind": "slack", "status": status})


def test_an_unsupported_kind_does_not_count() -> None:
    assert not STEP["connect_integration"].evidence.accepts(
        {"kind": "salesforce", "status": "connected"}
    )


@pytest.mark.parametrize(
    ("step_id", "item"),
    [
        ("connect_integration", {"kind": "hubspot", "status": "connected"}),
        ("create_scoring_rules", {"surface": "engagement", "active": True}),
        ("set_engagement_levels", {"name": "Hot"}),
    ],
)
def test_system_defaults_never_count(step_id: str, item: dict[str, object]) -> None:
    criteria = STEP[step_id].evidence
    assert criteria.accepts(item)
    assert criteria.accepts({**item, "origin": "customer"})
    assert not criteria.accepts({**item, "origin": "system_default"})


@pytest.mark.parametrize("surface", ["engagement", "profile", "account", "deal"])
@pytest.mark.parametrize("active", [True, False])
def test_any_scoring_rule_counts_whatever_its_surface_or_state(surface: str, active: bool) -> None:
    assert STEP["create_scoring_rules"].evidence.accepts({"surface": surface, "active": active})


def test_each_step_reads_its_own_source() -> None:
    assert [s.evidence.source for s in CHECKLIST] == [
        EvidenceSource.INTEGRATIONS,
        EvidenceSource.SCORING_RULES,
        EvidenceSource.ENGAGEMENT_LEVELS,
    ]
