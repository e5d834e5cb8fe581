"""The provisioning check end to end: its Lambda entry point against moto's DynamoDB,
EventBridge and SQS over HTTP. Faults are real: a missing bus, an unreachable endpoint."""

import json
import re
import socket
from typing import Any

import pytest

from domain.errors import DependencyMisconfigured, DependencyUnavailable, InvalidRequest
from domain.provisioning import OnboardingIncomplete
from handlers.provisioning_check import lambda_handler
from tests.factories import LambdaContextStub, OuData, eventbridge_event, sqs_event
from tests.integration.conftest import Provisioning, use_environment

pytestmark = pytest.mark.integration

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def invoke(event: Any) -> Any:
    return lambda_handler(event, LambdaContextStub())


def types_of(events: list[dict[str, Any]]) -> list[str]:
    return [event["detail-type"] for event in events]


def completions(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["detail"] for e in events if e["detail-type"] == "Onboarding Completed"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- triggers ------------------------------------------------------------------------------


def test_a_direct_invocation_returns_the_api_status_plus_ou_and_time(
    provisioning: Provisioning,
) -> None:
    provisioning.store.seed(OuData("ou-1").integration())
    result = invoke({"ou_id": "ou-1"})
    assert [s["completed"] for s in result["steps"]] == [True, False, False]
    assert [s["id"] for s in result["steps"]] == [
        "connect_integration",
        "create_scoring_rules",
        "set_engagement_levels",
    ]
    assert (result["all_complete"], result["completed_count"], result["total_count"]) == (
        False,
        1,
        3,
    )
    assert result["ou_id"] == "ou-1"
    assert RFC3339_UTC.match(result["checked_at"])


def test_an_eventbridge_event_is_checked_and_reported(provisioning: Provisioning) -> None:
    provisioning.store.seed(OuData("ou-1").complete())
    result = invoke(eventbridge_event({"ou_id": "ou-1", "requested_by": "workflow-7"}))
    assert result["all_complete"] is True
    checked = [
        e for e in provisioning.published() if e["detail-type"] == "Onboarding Status Checked"
    ]
    assert len(checked) == 1
    assert checked[0]["detail"]["ou_id"] == "ou-1"
    assert checked[0]["detail"]["steps"] == result["steps"]


def test_an_sqs_batch_reports_only_its_bad_messages(provisioning: Provisioning) -> None:
    provisioning.store.seed(OuData("ou-1").complete())
    response = invoke(
        sqs_event(
            json.dumps({"ou_id": "ou-1"}),
            "not json",
            json.dumps({"ou_id": "../etc"}),
            json.dumps({"ou_id": "ou-2"}),
            json.dumps({"ou": "ou-1"}),
        )
    )
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    assert failed == {"msg-1", "msg-2", "msg-4"}
    checked = {e["detail"]["ou_id"] for e in provisioning.published()}
    assert checked == {"ou-1", "ou-2"}


def test_require_complete_raises_the_named_error_for_step_functions(
    provisioning: Provisioning,
) -> None:
    provisioning.store.seed(OuData("ou-1").integration().scoring_rule())
    with pytest.raises(OnboardingIncomplete, match="set_engagement_levels") as raised:
        invoke({"ou_id": "ou-1", "require_complete": True})
    # Step Functions matches the error name Lambda reports: the exception's class name.
    assert type(raised.value).__name__ == "OnboardingIncomplete"
    provisioning.store.seed(OuData("ou-1").engagement_level())
    assert invoke({"ou_id": "ou-1", "require_complete": True})["all_complete"] is True


def test_an_unknown_ou_is_an_empty_checklist(provisioning: Provisioning) -> None:
    result = invoke({"ou_id": "ou-never-seen"})
    assert result["completed_count"] == 0
    assert provisioning.progress("ou-never-seen") == {}


# --- the completion event --------------------------------------------------------------------


def test_completion_is_published_exactly_once_across_checks(provisioning: Provisioning) -> None:
    provisioning.store.seed(OuData("ou-1").integration().scoring_rule())
    invoke({"ou_id": "ou-1"})
    assert types_of(provisioning.published()) == ["Onboarding Status Checked"]
    provisioning.store.seed(OuData("ou-1").engagement_level())
    for _ in range(3):
        invoke({"ou_id": "ou-1"})
    events = provisioning.published()
    assert types_of(events).count("Onboarding Status Checked") == 3
    [completed] = completions(events)
    state = provisioning.progress("ou-1")
    assert completed["completion_id"] == state["completion_id"]
    assert completed["ou_id"] == "ou-1"
    assert RFC3339_UTC.match(completed["completed_at"])
    assert state["completion_published"] is True


def test_a_failed_publish_is_repaired_by_a_later_check(
    provisioning: Provisioning, monkeypatch: pytest.MonkeyPatch
) -> None:
    provisioning.store.seed(OuData("ou-1").complete())
    use_environment(monkeypatch, {"EVENT_BUS_NAME": "bus-not-created-yet"})
    with pytest.raises(DependencyMisconfigured):
        invoke({"ou_id": "ou-1"})
    state = provisioning.progress("ou-1")
    assert state["completion_published"] is False  # recorded, not claimed as published
    assert provisioning.published() == []

    use_environment(monkeypatch, {"EVENT_BUS_NAME": "default"})
    invoke({"ou_id": "ou-1"})
    invoke({"ou_id": "ou-1"})
    [completed] = completions(provisioning.published())
    assert completed["completion_id"] == state["completion_id"]


def test_an_unreachable_bus_fails_the_check_and_a_later_one_publishes(
    provisioning: Provisioning, monkeypatch: pytest.MonkeyPatch, moto_endpoint: str
) -> None:
    provisioning.store.seed(OuData("ou-1").complete())
    unreachable = f"http://127.0.0.1:{closed_port()}"
    use_environment(monkeypatch, {"AWS_ENDPOINT_URL_EVENTBRIDGE": unreachable})
    with pytest.raises(DependencyUnavailable):
        invoke({"ou_id": "ou-1"})
    assert provisioning.progress("ou-1")["completion_published"] is False

    use_environment(monkeypatch, {"AWS_ENDPOINT_URL_EVENTBRIDGE": moto_endpoint})
    invoke({"ou_id": "ou-1"})
    [completed] = completions(provisioning.published())
    assert completed["completion_id"] == provisioning.progress("ou-1")["completion_id"]


def test_a_regression_is_recorded_without_a_second_completion(provisioning: Provisioning) -> None:
    ou = OuData("ou-1").complete()
    provisioning.store.seed(ou)
    invoke({"ou_id": "ou-1"})
    [first] = completions(provisioning.published())

    disconnected = dict(ou.integrations[0], status="disconnected")
    provisioning.store.seed(OuData("ou-1", integrations=[disconnected]))
    result = invoke({"ou_id": "ou-1"})
    events = provisioning.published()
    assert result["all_complete"] is False
    assert types_of(events) == ["Onboarding Status Checked"]
    assert events[0]["detail"]["regressed"] is True
    assert provisioning.progress("ou-1")["regressed"] is True

    provisioning.store.seed(OuData("ou-1", integrations=[ou.integrations[0]]))
    invoke({"ou_id": "ou-1"})
    events = provisioning.published()
    assert types_of(events) == ["Onboarding Status Checked"]
    assert events[0]["detail"]["regressed"] is False
    state = provisioning.progress("ou-1")
    assert (state["regressed"], state["completion_id"]) == (False, first["completion_id"])


# --- bad input and failures --------------------------------------------------------------------


def test_bad_input_is_a_typed_error_and_writes_nothing(provisioning: Provisioning) -> None:
    """Every kind of bad input is a unit test (tests/unit/test_hostile_input.py); one here
    proves that nothing reaches the real table or bus."""
    provisioning.store.seed(OuData("ou-1").complete())
    with pytest.raises(InvalidRequest):
        invoke({"ou_id": "ou 1"})
    assert provisioning.published() == []
    scan = provisioning.store.client.scan(TableName=provisioning.progress_table)
    assert scan["Count"] == 0


def test_a_store_failure_fails_the_check_and_publishes_nothing(
    provisioning: Provisioning, monkeypatch: pytest.MonkeyPatch
) -> None:
    provisioning.store.seed(OuData("ou-1").complete())
    use_environment(monkeypatch, {"AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{closed_port()}"})
    with pytest.raises(DependencyUnavailable):
        invoke({"ou_id": "ou-1"})
    assert provisioning.published() == []
