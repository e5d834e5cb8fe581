"""Property tests: whatever event arrives, the API handler answers with a documented status and
body, never raises, and hands the store only ids that satisfy the documented contract. The same
for the provisioning handler: a result or InvalidRequest, never another exception."""

import json
from dataclasses import dataclass, field
from typing import Any, Final

import pytest
from hypothesis import event as note
from hypothesis import given
from hypothesis import strategies as st

import composition
from domain.errors import InvalidRequest
from domain.provisioning import OnboardingIncomplete, ProvisioningCheck
from domain.service import ChecklistEvaluator, OnboardingStatusService
from handlers import provisioning_check, status_api
from tests.factories import (
    LambdaContextStub,
    OuData,
    eventbridge_event,
    header,
    http_api_event,
    lambda_authorizer,
    sqs_event,
)
from tests.hostile_events import (
    KNOWN_OUS,
    KNOWN_PRINCIPALS,
    any_events,
    any_json,
    claim,
    hostile_text,
    id_like,
    is_documented_id,
    well_formed_events,
)
from tests.unit.fakes import InMemoryEvidence, InMemoryMemberships, InMemoryProgress, RecordingBus

# Every status the API documents, and the error code each non-2xx status carries.
ERROR_CODES: Final = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    500: "internal_error",
    503: "service_unavailable",
}
SUCCESS_STATUSES: Final = frozenset({200, 304})
MEMBERS: Final = frozenset(
    {("ou-1", "alice"), ("ou-2", "alice"), ("ou-1", "auth0|carol"), ("ou-3", "dave@example.com")}
)
SUSPENDED: Final = frozenset({("ou-2", "bob")})


@dataclass
class Stores:
    memberships: InMemoryMemberships = field(default_factory=InMemoryMemberships)
    evidence: InMemoryEvidence = field(default_factory=InMemoryEvidence)

    def forget_calls(self) -> None:
        self.memberships.asked.clear()
        self.evidence.asked.clear()


@pytest.fixture
def stores(monkeypatch: pytest.MonkeyPatch) -> Stores:
    """The real handler and domain over in-memory stores that record every id they are asked
    about; known principals are members of some known OUs."""
    wired = Stores()
    for ou_id, principal_id in MEMBERS:
        wired.memberships.add(ou_id, principal_id)
    for ou_id, principal_id in SUSPENDED:
        wired.memberships.add(ou_id, principal_id, status="suspended")
    wired.evidence.add(OuData("ou-1").integration())
    wired.evidence.add(OuData("ou-2").complete())
    service = OnboardingStatusService(wired.memberships, ChecklistEvaluator(wired.evidence))
    monkeypatch.setattr(composition, "status_service", lambda: service)
    monkeypatch.setattr(composition, "app_settings", _RetryAfter)
    return wired


class _RetryAfter:
    retry_after_seconds = 2


def answer(event: Any) -> dict[str, Any]:
    response = status_api.lambda_handler(event, LambdaContextStub())
    assert isinstance(response, dict), response
    return response


def assert_documented(response: dict[str, Any]) -> None:
    status = response["statusCode"]
    assert status in SUCCESS_STATUSES or status in ERROR_CODES, status
    if status in SUCCESS_STATUSES:
        return
    assert header(response, "Content-Type") == "application/json"
    body = json.loads(response["body"])
    assert body == {"code": ERROR_CODES[status], "message": body["message"]}
    assert isinstance(body["message"], str)
    assert body["message"]
    if status == 405:
        assert header(response, "Allow") == "GET"


def assert_store_saw_only_documented_ids(stores: Stores) -> None:
    for ou_id, principal_id in stores.memberships.asked:
        assert is_documented_id(ou_id), ou_id
        assert is_documented_id(principal_id), principal_id
    for ou_id, _ in stores.evidence.asked:
        assert is_documented_id(ou_id), ou_id


def assert_success_only_for_members(response: dict[str, Any], stores: Stores) -> None:
    if response["statusCode"] in SUCCESS_STATUSES:
        asked = set(stores.memberships.asked)
        assert asked, "a success without a membership check"
        assert asked <= MEMBERS, asked


@given(event=well_formed_events)
def test_well_formed_events_never_get_a_500_whatever_they_hold(stores: Stores, event: Any) -> None:
    """Whatever the caller or the authorizer put in a real envelope is bad input at worst:
    401, 403, 404 or 405, never 500."""
    stores.forget_calls()
    response = answer(event)
    note(f"status {response['statusCode']}")
    assert_documented(response)
    assert response["statusCode"] not in (500, 503)
    assert_store_saw_only_documented_ids(stores)
    assert_success_only_for_members(response, stores)


@given(event=any_events)
def test_any_event_gets_a_documented_answer(stores: Stores, event: Any) -> None:
    stores.forget_calls()
    response = answer(event)
    note(f"status {response['statusCode']}")
    assert_documented(response)
    assert_store_saw_only_documented_ids(stores)
    assert_success_only_for_members(response, stores)


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "GET /onboarding/status",
        42,
        {},
        {"version": "2.0"},
        {**http_api_event(authorizer=lambda_authorizer("alice", "ou-1")), "requestContext": []},
        {**http_api_event(authorizer=lambda_authorizer("alice", "ou-1")), "rawPath": None},
        {**http_api_event(authorizer=lambda_authorizer("alice", "ou-1")), "cookies": "a=b"},
        {**http_api_event(authorizer=lambda_authorizer("alice", "ou-1")), "headers": {"a": 1}},
    ],
    ids=[
        "null",
        "list",
        "string",
        "number",
        "empty",
        "no-context",
        "context-list",
        "path-null",
        "cookies-string",
        "header-number",
    ],
)
def test_an_unusable_envelope_is_a_500_and_never_reaches_the_store(
    stores: Stores, event: Any
) -> None:
    """API Gateway never sends these; only a misconfigured integration or a direct invoke
    could. That is the deployment's fault, not the caller's: 500 internal_error."""
    response = answer(event)
    assert response["statusCode"] == 500
    assert_documented(response)
    assert stores.memberships.asked == []
    assert stores.evidence.asked == []


def test_a_usable_event_with_its_envelope_checked_still_gets_its_status(stores: Stores) -> None:
    response = answer(http_api_event(authorizer=lambda_authorizer("alice", "ou-2")))
    assert response["statusCode"] == 200
    assert stores.memberships.asked == [("ou-2", "alice")]


# --- the provisioning handler ------------------------------------------------------------


@pytest.fixture
def provisioning(monkeypatch: pytest.MonkeyPatch) -> tuple[InMemoryProgress, RecordingBus]:
    evidence = InMemoryEvidence()
    evidence.add(OuData("ou-1").complete())
    progress, bus = InMemoryProgress(), RecordingBus()
    check = ProvisioningCheck(ChecklistEvaluator(evidence), progress, bus)
    monkeypatch.setattr(composition, "provisioning_check", lambda: check)
    return progress, bus


def sqs_bodies() -> st.SearchStrategy[str]:
    payloads = st.one_of(
        st.fixed_dictionaries({}, optional={"ou_id": claim, "extra": any_json}), any_json
    )
    return st.one_of(payloads.map(json.dumps), hostile_text)


def raw_sqs_records() -> st.SearchStrategy[Any]:
    """SQS batches whose records themselves are damaged: fields missing or mistyped."""
    record = st.fixed_dictionaries(
        {"eventSource": st.just("aws:sqs")},
        optional={"messageId": any_json, "body": any_json, "receiptHandle": any_json},
    )
    return st.lists(record, max_size=3).map(lambda records: {"Records": records})


provisioning_events = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"ou_id": claim, "require_complete": any_json, "other": any_json}
    ),
    any_json.map(eventbridge_event),
    st.fixed_dictionaries({}, optional={"ou_id": claim, "requested_by": any_json}).map(
        eventbridge_event
    ),
    st.lists(sqs_bodies(), min_size=1, max_size=4).map(lambda bodies: sqs_event(*bodies)),
    raw_sqs_records(),
    st.fixed_dictionaries({"detail-type": any_json}, optional={"detail": any_json}),
    any_json,
)


@given(event=provisioning_events)
def test_the_provisioning_handler_answers_garbage_with_invalid_request_only(
    provisioning: tuple[InMemoryProgress, RecordingBus], event: Any
) -> None:
    progress, bus = provisioning
    try:
        result = provisioning_check.lambda_handler(event, LambdaContextStub())
    except (InvalidRequest, OnboardingIncomplete):
        return
    assert isinstance(result, dict)
    if "batchItemFailures" in result:
        failed = [item["itemIdentifier"] for item in result["batchItemFailures"]]
        assert len(failed) <= len(event["Records"])
    else:
        assert is_documented_id(result["ou_id"])
    for event_published in bus.published:
        assert is_documented_id(event_published.detail["ou_id"])
    assert all(is_documented_id(ou_id) for ou_id in progress.states)


@given(ou_id=id_like)
def test_a_direct_check_runs_exactly_for_documented_ids(
    provisioning: tuple[InMemoryProgress, RecordingBus], ou_id: str
) -> None:
    _, bus = provisioning
    bus.published.clear()
    if is_documented_id(ou_id):
        assert provisioning_check.lambda_handler({"ou_id": ou_id}, LambdaContextStub())
        assert bus.published
    else:
        with pytest.raises(InvalidRequest):
            provisioning_check.lambda_handler({"ou_id": ou_id}, LambdaContextStub())
        assert bus.published == []


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"ou_id": ""},
        {"ou_id": "x" * 129},
        {"ou_id": "ou 1"},
        {"ou_id": 42},
        {"ou_id": None},
        {"ou_id": "ou-1", "require_complete": "yes"},
        {"ou_id": "ou-1", "unexpected": 1},
        {"something": "else"},
        eventbridge_event({}),
        eventbridge_event("ou-1"),
        eventbridge_event({"ou_id": ":x"}),
        [],
        "ou-1",
    ],
)
def test_bad_input_is_a_typed_error_and_writes_nothing(
    provisioning: tuple[InMemoryProgress, RecordingBus], event: Any
) -> None:
    progress, bus = provisioning
    with pytest.raises(InvalidRequest):
        provisioning_check.lambda_handler(event, LambdaContextStub())
    assert (progress.states, bus.published) == ({}, [])


def test_an_sqs_batch_of_only_bad_messages_reports_each_instead_of_raising(
    provisioning: tuple[InMemoryProgress, RecordingBus],
) -> None:
    result = provisioning_check.lambda_handler(
        sqs_event("not json", json.dumps({"ou_id": "../x"})), LambdaContextStub()
    )
    assert sorted(item["itemIdentifier"] for item in result["batchItemFailures"]) == [
        "msg-0",
        "msg-1",
    ]


def test_known_ids_are_documented_ids() -> None:
    """The strategies' known ids must pass the contract, or no example would reach a 200."""
    assert all(is_documented_id(value) for value in KNOWN_PRINCIPALS + KNOWN_OUS)
    assert not is_documented_id("../ou-1")


@pytest.mark.parametrize("method", ["TRACE", "PURGE", "CONNECT", "get-ish"])
@pytest.mark.parametrize("path", ["/onboarding/status", "/onboarding-status"])
def test_a_method_no_route_names_is_405_on_the_status_paths(
    stores: Stores, method: str, path: str
) -> None:
    """Found by Schemathesis: TRACE answered 404. Any method but GET on these paths is 405."""
    response = answer(http_api_event(method=method, path=path, authorizer=lambda_authorizer()))
    assert response["statusCode"] == 405
    assert_documented(response)
    assert answer(http_api_event(method=method, path="/elsewhere"))["statusCode"] == 404
