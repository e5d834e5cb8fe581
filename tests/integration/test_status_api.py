"""GET /onboarding/status end to end: Lambda entry point -> domain -> DynamoDB over HTTP."""

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from handlers.status_api import lambda_handler
from tests.factories import (
    ALIAS_PATH,
    LambdaContextStub,
    OuData,
    body_of,
    header,
    http_api_event,
    jwt_authorizer,
    lambda_authorizer,
    rest_authorizer,
    rest_event,
)
from tests.integration.conftest import Store, use_environment

pytestmark = pytest.mark.integration

DOCUMENTED_EXAMPLE = json.loads(
    (Path(__file__).parents[1] / "data" / "documented_example.json").read_text()
)


def get_status(ou_id: str = "ou-1", principal: str = "alice", **kwargs: Any) -> dict[str, Any]:
    event = http_api_event(authorizer=lambda_authorizer(principal, ou_id), **kwargs)
    return lambda_handler_call(event)


def lambda_handler_call(event: dict[str, Any]) -> dict[str, Any]:
    return lambda_handler(event, LambdaContextStub())


def completed(response: dict[str, Any]) -> list[bool]:
    assert response["statusCode"] == 200, response
    return [step["completed"] for step in body_of(response)["steps"]]


@pytest.fixture
def alice(store: Store) -> Store:
    store.member("ou-1", "alice")
    return store


def test_documented_example_response(alice: Store) -> None:
    """Contract: the data behind the product page's example gives exactly its body."""
    alice.seed(OuData("ou-1").integration(kind="hubspot", status="connected"))
    response = get_status()
    assert response["statusCode"] == 200
    assert header(response, "Content-Type") == "application/json"
    assert body_of(response) == DOCUMENTED_EXAMPLE


def test_both_paths_and_both_payload_formats_agree(alice: Store) -> None:
    alice.seed(OuData("ou-1").complete())
    main = get_status()
    alias = get_status(path=ALIAS_PATH)
    rest = lambda_handler_call(rest_event(authorizer=rest_authorizer("alice", "ou-1")))
    assert main == alias
    assert body_of(rest) == body_of(main)
    assert body_of(main)["all_complete"] is True


def test_an_ou_with_no_data_is_an_empty_checklist(alice: Store) -> None:
    assert completed(get_status()) == [False, False, False]


def test_a_complete_ou(alice: Store) -> None:
    alice.seed(OuData("ou-1").complete())
    body = body_of(get_status())
    assert (body["all_complete"], body["completed_count"], body["total_count"]) == (True, 3, 3)


@pytest.mark.parametrize("kind", ["hubspot", "slack", "teams", "sfmc", "web_beacon"])
def test_each_supported_integration_kind_connected_counts(alice: Store, kind: str) -> None:
    alice.seed(OuData("ou-1").integration(kind=kind))
    assert completed(get_status())[0] is True


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("hubspot", "pending"),
        ("slack", "disconnected"),
        ("teams", "error"),
        ("salesforce", "connected"),
    ],
)
def test_integrations_that_do_not_count(alice: Store, kind: str, status: str) -> None:
    alice.seed(OuData("ou-1").integration(kind=kind, status=status))
    assert completed(get_status())[0] is False


def test_an_integration_without_status_does_not_count(alice: Store) -> None:
    ou = OuData("ou-1").integration()
    del ou.integrations[0]["status"]
    alice.seed(ou)
    assert completed(get_status())[0] is False


def test_inactive_rules_of_any_surface_count(alice: Store) -> None:
    alice.seed(OuData("ou-1").scoring_rule(surface="deal", active=False))
    assert completed(get_status()) == [False, True, False]


def test_system_defaults_never_count(alice: Store) -> None:
    seeded = {"origin": "system_default"}
    alice.seed(
        OuData("ou-1").integration(**seeded).scoring_rule(**seeded).engagement_level(**seeded)
    )
    assert completed(get_status()) == [False, False, False]


def test_other_origins_count(alice: Store) -> None:
    alice.seed(OuData("ou-1").complete())
    ou = OuData("ou-1")
    ou.scoring_rule(origin="template_gallery")
    alice.seed(ou)
    assert completed(get_status()) == [True, True, True]


def test_filtered_items_do_not_hide_a_later_qualifying_one(alice: Store) -> None:
    """Limit applies before the filter: the check must page past rejected items."""
    ou = OuData("ou-1")
    for _ in range(150):
        ou.integration(kind="slack", status="disconnected")
        ou.scoring_rule(origin="system_default")
        ou.engagement_level(origin="system_default")
    ou.integration(kind="sfmc", status="connected").scoring_rule().engagement_level()
    alice.seed(ou)
    assert completed(get_status()) == [True, True, True]


def test_only_rejected_items_is_incomplete(alice: Store) -> None:
    ou = OuData("ou-1")
    for _ in range(70):
        ou.integration(kind="slack", status="error")
    alice.seed(ou)
    assert completed(get_status())[0] is False


def test_a_change_shows_on_the_next_request(alice: Store) -> None:
    assert completed(get_status())[1] is False
    alice.seed(OuData("ou-1").scoring_rule())
    assert completed(get_status())[1] is True


def test_other_ous_data_never_leaks_in(alice: Store) -> None:
    alice.member("ou-2", "alice")
    alice.seed(OuData("ou-2").complete(), OuData("ou-10").complete(), OuData("ou").complete())
    assert completed(get_status()) == [False, False, False]


# --- identity and membership -------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        http_api_event(authorizer=jwt_authorizer("alice", ou_id="ou-1")),
        http_api_event(authorizer=jwt_authorizer("alice", **{"custom:ou_id": "ou-1"})),
        http_api_event(authorizer=lambda_authorizer("alice"), cookies=["activeOu=ou-1"]),
        rest_event(authorizer=rest_authorizer("alice", "ou-1")),
        rest_event(authorizer=rest_authorizer("alice"), cookie_header="activeOu=ou-1"),
    ],
)
def test_each_identity_shape_reads_the_members_ou(alice: Store, event: dict[str, Any]) -> None:
    alice.seed(OuData("ou-1").scoring_rule())
    assert completed(lambda_handler_call(event)) == [False, True, False]


@pytest.mark.parametrize("status", [None, "active"])
def test_active_memberships_are_accepted(store: Store, status: str | None) -> None:
    store.member("ou-1", "alice", **({"status": status} if status else {}))
    assert get_status()["statusCode"] == 200


@pytest.mark.parametrize("status", ["suspended", "invited", "removed"])
def test_inactive_memberships_are_forbidden(store: Store, status: str) -> None:
    store.member("ou-1", "alice", status=status)
    store.seed(OuData("ou-1").complete())
    response = get_status()
    assert response["statusCode"] == 403
    assert body_of(response)["code"] == "forbidden"


def test_a_non_member_learns_nothing_about_the_ou(store: Store) -> None:
    store.member("ou-1", "bob")
    store.seed(OuData("ou-1").complete())
    existing = get_status("ou-1")
    missing = get_status("ou-never-created")
    assert existing["statusCode"] == missing["statusCode"] == 403
    assert existing["body"] == missing["body"]
    assert "steps" not in existing["body"]


def test_the_authorizers_ou_wins_over_the_cookie(store: Store) -> None:
    store.member("ou-2", "alice")
    event = http_api_event(authorizer=lambda_authorizer("alice", "ou-1"), cookies=["activeOu=ou-2"])
    assert lambda_handler_call(event)["statusCode"] == 403


def test_no_principal_is_401(store: Store) -> None:
    response = lambda_handler_call(http_api_event())
    assert response["statusCode"] == 401
    assert body_of(response) == {
        "code": "unauthorized",
        "message": body_of(response)["message"],
    }


def test_a_long_or_odd_ou_id_is_403_not_a_store_error(store: Store) -> None:
    for ou_id in ["x" * 129, "ou#1 OR 1=1", ":ou", "ou\u202e"]:
        response = get_status(ou_id)
        assert response["statusCode"] == 403, ou_id
        assert body_of(response)["code"] == "forbidden"


def test_a_128_character_id_is_accepted(store: Store) -> None:
    ou_id, principal = "o" * 128, "p" * 128
    store.member(ou_id, principal)
    assert get_status(ou_id, principal)["statusCode"] == 200


# --- failures of the store ---------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_store_is_503_with_retry_after_within_the_budget(
    alice: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice.seed(OuData("ou-1").complete())
    use_environment(monkeypatch, {"AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{closed_port()}"})
    started = time.monotonic()
    response = get_status()
    elapsed = time.monotonic() - started
    assert response["statusCode"] == 503
    assert body_of(response)["code"] == "service_unavailable"
    assert header(response, "Retry-After") == "2"
    assert "127.0.0.1" not in response["body"]
    # Not a timing assertion on speed: the bound is the configured request deadline.
    assert elapsed < 6.0


def test_a_missing_table_is_500_without_aws_text(store: Store) -> None:
    store.member("ou-1", "alice")
    store.client.delete_table(TableName=store.tables["ENGAGEMENT_LEVELS_TABLE"])
    response = get_status()
    assert response["statusCode"] == 500
    assert body_of(response)["code"] == "internal_error"
    assert "ResourceNotFound" not in response["body"]
    assert "test-" not in response["body"]


def test_a_missing_table_variable_is_a_500_and_names_it_in_the_log(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("SCORING_RULES_TABLE")
    use_environment(monkeypatch, {})
    response = get_status()
    assert response["statusCode"] == 500
    assert body_of(response)["code"] == "internal_error"
    reasons = [str(getattr(record, "reason", "")) for record in caplog.records]
    assert any("SCORING_RULES_TABLE" in reason for reason in reasons), reasons
    assert "SCORING_RULES_TABLE" not in response["body"]
