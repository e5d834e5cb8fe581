"""No token, cookie or authorizer secret reaches the logs, whatever the outcome: everything both
handlers log is captured, at DEBUG, formatted as Powertools writes it (with extra keys and
tracebacks), together with every record of any other logger and the exceptions the
provisioning handler raises (which the Lambda runtime logs)."""

import json
import logging
from collections.abc import Iterator
from typing import Any, Final

import pytest

import composition
from domain.checklist import EvidenceSource
from domain.errors import InvalidRequest, StoreUnavailable
from domain.provisioning import ProvisioningCheck
from domain.service import ChecklistEvaluator, OnboardingStatusService
from handlers import provisioning_check, status_api
from tests.factories import (
    LambdaContextStub,
    OuData,
    eventbridge_event,
    http_api_event,
    jwt_authorizer,
    rest_event,
    sqs_event,
)
from tests.unit.fakes import InMemoryEvidence, InMemoryMemberships, InMemoryProgress, RecordingBus

SECRETS: Final = (
    "tok-SECRET-bearer",
    "ck-SECRET-session",
    "az-SECRET-api-key",
    "jwt-SECRET-access-token",
    "hdr-SECRET-x-api-key",
    "msg-SECRET-payload",
)
BEARER, SESSION, API_KEY, ACCESS_TOKEN, HEADER_KEY, PAYLOAD = SECRETS


class CapturedLogs(logging.Handler):
    """Every record of every logger, formatted as Powertools formats it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        formatted = status_api.logger.registered_formatter.format(record)
        self.lines.append(f"{formatted} {record.getMessage()} {record.__dict__!r}")

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    captured = CapturedLogs()
    root = logging.getLogger()
    service_logger = logging.getLogger(status_api.logger.name)
    saved_levels = root.level, service_logger.level
    root.addHandler(captured)
    root.setLevel(logging.DEBUG)
    service_logger.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.removeHandler(captured)
        root.setLevel(saved_levels[0])
        service_logger.setLevel(saved_levels[1])


def assert_no_secret(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"{leaked} in: {text[:2000]}"


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def evidence(monkeypatch: pytest.MonkeyPatch) -> InMemoryEvidence:
    memberships = InMemoryMemberships()
    memberships.add("ou-1", "alice")
    fake = InMemoryEvidence()
    fake.add(OuData("ou-1").integration())
    service = OnboardingStatusService(memberships, ChecklistEvaluator(fake))
    monkeypatch.setattr(composition, "status_service", lambda: service)
    monkeypatch.setattr(composition, "app_settings", _RetryAfter)
    return fake


class _RetryAfter:
    retry_after_seconds = 2


def http_event_with_secrets(
    principal: Any = "alice", ou_id: str = "ou-1", **overrides: Any
) -> dict[str, Any]:
    context = {"principal_id": principal, "ou_id": ou_id, "api_key": API_KEY}
    return http_api_event(
        authorizer={"lambda": context},
        headers={
            "authorization": f"Bearer {BEARER}",
            "x-api-key": HEADER_KEY,
            **overrides.pop("headers", {}),
        },
        cookies=[f"session={SESSION}", f"activeOu={ou_id}"],
        **overrides,
    )


def rest_event_with_secrets() -> dict[str, Any]:
    event = rest_event(
        authorizer={"principalId": "alice", "ou_id": "ou-1", "token": API_KEY},
        cookie_header=f"session={SESSION}; activeOu=ou-1",
    )
    event["headers"]["Authorization"] = f"Bearer {BEARER}"
    event["multiValueHeaders"]["Authorization"] = [f"Bearer {BEARER}"]
    return event


# Refusals and failures are logged; 2xx, 304, 404 and 405 are only counted in metrics.
LOGGED_STATUSES: Final = frozenset({401, 403, 500, 503})
API_CASES: Final = {
    "200": (http_event_with_secrets, None, 200),
    "304": (lambda: http_event_with_secrets(headers={"if-none-match": "*"}), None, 304),
    "200-rest": (rest_event_with_secrets, None, 200),
    "200-jwt": (
        lambda: http_api_event(
            authorizer=jwt_authorizer("alice", ou_id="ou-1", access_token=ACCESS_TOKEN),
            headers={"authorization": f"Bearer {BEARER}"},
        ),
        None,
        200,
    ),
    "401": (lambda: http_event_with_secrets(principal=f"../{API_KEY}"), None, 401),
    "403": (lambda: http_event_with_secrets(ou_id="ou-2"), None, 403),
    "404": (lambda: http_event_with_secrets(path="/elsewhere"), None, 404),
    "405": (lambda: http_event_with_secrets(method="POST"), None, 405),
    "503": (http_event_with_secrets, StoreUnavailable("ThrottlingException"), 503),
    "500-unexpected": (http_event_with_secrets, KeyError("boom"), 500),
    "500-unusable-event": (
        lambda: {**http_event_with_secrets(), "requestContext": f"Bearer {BEARER}"},
        None,
        500,
    ),
}


@pytest.mark.parametrize(("build", "failure", "status"), API_CASES.values(), ids=API_CASES.keys())
def test_the_api_logs_no_secret_whatever_the_outcome(
    logs: CapturedLogs,
    evidence: InMemoryEvidence,
    capsys: pytest.CaptureFixture[str],
    build: Any,
    failure: Exception | None,
    status: int,
) -> None:
    if failure is not None:
        evidence.failures[EvidenceSource.SCORING_RULES] = failure
    response = status_api.lambda_handler(build(), LambdaContextStub())
    assert response["statusCode"] == status
    if status in LOGGED_STATUSES:
        assert logs.lines, "nothing was logged: the capture would prove nothing"
    assert_no_secret(logs.text())
    assert_no_secret(capsys.readouterr().out)  # metrics, and anything printed


# --- the provisioning handler ---------------------------------------------------------------


@pytest.fixture
def provisioning(monkeypatch: pytest.MonkeyPatch) -> RecordingBus:
    evidence = InMemoryEvidence()
    evidence.add(OuData("ou-1").complete())
    bus = RecordingBus()
    check = ProvisioningCheck(ChecklistEvaluator(evidence), InMemoryProgress(), bus)
    monkeypatch.setattr(composition, "provisioning_check", lambda: check)
    return bus


PROVISIONING_CASES: Final = {
    "direct-extra-field": {"ou_id": "ou-1", "token": PAYLOAD},
    "direct-bad-id": {"ou_id": PAYLOAD + "/.."},
    "direct-bad-flag": {"ou_id": "ou-1", "require_complete": PAYLOAD},
    "eventbridge-ok": eventbridge_event({"ou_id": "ou-1", "authorization": PAYLOAD}),
    "eventbridge-bad-id": eventbridge_event({"ou_id": {"token": PAYLOAD}}),
    "sqs-mixed": sqs_event(
        json.dumps({"ou_id": "ou-1"}),
        json.dumps({"ou_id": "ou-1", "token": PAYLOAD}),
        f"not json {PAYLOAD}",
        json.dumps({"ou_id": f"../{PAYLOAD}"}),
    ),
}


@pytest.mark.parametrize("event", PROVISIONING_CASES.values(), ids=PROVISIONING_CASES.keys())
def test_the_provisioning_handler_logs_no_secret(
    logs: CapturedLogs,
    provisioning: RecordingBus,
    capsys: pytest.CaptureFixture[str],
    event: dict[str, Any],
) -> None:
    raised = ""
    try:
        provisioning_check.lambda_handler(event, LambdaContextStub())
    except InvalidRequest as error:
        raised = f"{error!s} {error!r}"  # what the runtime logs
    assert logs.lines or raised, "nothing was logged or raised: the test would prove nothing"
    assert_no_secret(logs.text())
    assert_no_secret(raised)
    assert_no_secret(capsys.readouterr().out)
