"""No token, cookie or authorizer secret reaches the logs, whatever the outcome: everything both
handlers log is captured, at DEBUG, formatted as Powertools writes it (with extra keys and
tracebacks), together with every record of any other logger and the exceptions the
provisioning handler raises (which the Lambda runtime logs)."""

import json
import logging
from collections.abc import Iterator
from typing import Any, Final

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

import composition
from domain.checklist import EvidenceSource
from domain.errors import DependencyUnavailable, InvalidRequest
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
    # Powertools' own loggers (the batch processor's, which logs each failed message) do not
    # propagate to the root; POWERTOOLS_DEBUG gives them a handler of their own, as here.
    library = logging.getLogger("aws_lambda_powertools")
    loggers = (root, library, logging.getLogger(status_api.logger.name))
    saved_levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root.addHandler(captured)
    library.addHandler(captured)
    try:
        yield captured
    finally:
        root.removeHandler(captured)
        library.removeHandler(captured)
        for logger, level in zip(loggers, saved_levels, strict=True):
            logger.setLevel(level)


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
    "503": (http_event_with_secrets, DependencyUnavailable("ThrottlingException"), 503),
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
    "direct-secret-field-name": {"ou_id": "ou-1", f"token={PAYLOAD}": 1},
    "direct-bad-id": {"ou_id": PAYLOAD + "/.."},
    "direct-bad-flag": {"ou_id": "ou-1", "require_complete": PAYLOAD},
    "eventbridge-ok": eventbridge_event({"ou_id": "ou-1", "authorization": PAYLOAD}),
    "eventbridge-bad-id": eventbridge_event({"ou_id": {"token": PAYLOAD}}),
    "eventbridge-secret-detail": eventbridge_event(f"token={PAYLOAD}"),
    "eventbridge-secret-field-name": eventbridge_event({f"token={PAYLOAD}": 1}),
    "sqs-mixed": sqs_event(
        json.dumps({"ou_id": "ou-1"}),
        json.dumps({"ou_id": "ou-1", "token": PAYLOAD}),
        f"not json {PAYLOAD}",
        json.dumps({"ou_id": f"../{PAYLOAD}"}),
    ),
    "sqs-secret-field-names": sqs_event(
        json.dumps({"ou_id": "ou-1", f"token={PAYLOAD}": 1}),
        json.dumps({f"token={PAYLOAD}": "ou-1"}),
        json.dumps([f"token={PAYLOAD}"]),
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


# What each path says instead: our own field names and fixed words, never the payload's.
ERROR_MESSAGES: Final = {
    "direct-secret-field-name": (
        {"ou_id": "ou-1", f"token={PAYLOAD}": 1},
        "invalid request: unexpected fields (allowed: ou_id, require_complete)",
    ),
    "direct-missing": ({f"token={PAYLOAD}": "ou-1"}, "invalid request: ou_id: missing; unexpected"),
    "direct-bad-flag": (
        {"ou_id": "ou-1", "require_complete": PAYLOAD},
        "invalid request: require_complete: must be a boolean",
    ),
    "direct-bad-id": ({"ou_id": [PAYLOAD]}, "ou_id: must be a string of 1-128 characters"),
    "eventbridge-not-object": (
        eventbridge_event(f"token={PAYLOAD}"),
        "invalid detail: must be a JSON object",
    ),
    "eventbridge-missing": (
        eventbridge_event({f"token={PAYLOAD}": "ou-1"}),
        "invalid detail: ou_id: missing",
    ),
    "sqs-secret-field-name": (
        json.dumps({"ou_id": "ou-1", f"token={PAYLOAD}": 1}),
        "invalid message body: unexpected fields (allowed: ou_id)",
    ),
    "sqs-not-object": (json.dumps([PAYLOAD]), "invalid message body: must be a JSON object"),
    "sqs-not-json": (f"token={PAYLOAD}", "message body is not JSON"),
}


def process(payload: Any) -> None:
    """An SQS message body (text) as the batch processor hands it over, or an event."""
    if isinstance(payload, str):
        provisioning_check.check_queued(
            SQSRecord(sqs_event(payload)["Records"][0]), LambdaContextStub()
        )
    else:
        provisioning_check.lambda_handler(payload, LambdaContextStub())


@pytest.mark.parametrize(("payload", "message"), ERROR_MESSAGES.values(), ids=ERROR_MESSAGES.keys())
def test_provisioning_errors_say_what_is_wrong_in_their_own_words(
    provisioning: RecordingBus, payload: Any, message: str
) -> None:
    """Direct and EventBridge errors are the invocation's error; an SQS message's is logged."""
    with pytest.raises(InvalidRequest) as raised:
        process(payload)
    assert str(raised.value).startswith(message)
    assert_no_secret(f"{raised.value!s} {raised.value!r}")
