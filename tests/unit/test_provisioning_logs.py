"""What the provisioning handler's batches write to the logs: fields copied from a record are
bounded (identifiers only in their expected shape), and every message or record reported as a
batch item failure gets one line with its id and the error's code, never its body. Lines are
formatted exactly as Powertools writes them."""

import json
import logging
from collections.abc import Iterator
from typing import Any, Final

import pytest

import composition
from domain.checklist import EvidenceSource
from domain.errors import DependencyUnavailable
from domain.provisioning import ProvisioningCheck
from domain.service import ChecklistEvaluator
from handlers import provisioning_check
from handlers.provisioning_check import (
    MIN_MILLIS_FOR_A_CHECK,
    SEQUENCE_NUMBER,
    SQS_MESSAGE_ID,
    STREAM_ARN,
    lambda_handler,
    loggable,
)
from tests.factories import LambdaContextStub, OuData, sqs_event, stream_event, stream_record
from tests.unit.fakes import InMemoryEvidence, InMemoryProgress, RecordingBus

REJECTED: Final = "rejected; reported as a batch item failure"
SKIPPED: Final = "skipped a stream record without a valid ou_id key"
BODY_SECRET: Final = "body-SECRET-text"
BIDI_OVERRIDE: Final = "\u202e"


class LogLines(logging.Handler):
    """The handler's log lines, each as Powertools formats it (one JSON object)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(provisioning_check.logger.registered_formatter.format(record))

    def with_message(self, message: str) -> list[dict[str, Any]]:
        entries = [json.loads(line) for line in self.lines]
        return [entry for entry in entries if entry["message"] == message]


@pytest.fixture
def logs() -> Iterator[LogLines]:
    captured = LogLines()
    logger = logging.getLogger(provisioning_check.logger.name)
    logger.addHandler(captured)
    try:
        yield captured
    finally:
        logger.removeHandler(captured)


@pytest.fixture
def evidence(monkeypatch: pytest.MonkeyPatch) -> InMemoryEvidence:
    fake = InMemoryEvidence()
    fake.add(OuData("ou-1").complete())
    fake.add(OuData("ou-2").integration())
    check = ProvisioningCheck(ChecklistEvaluator(fake), InMemoryProgress(), RecordingBus())
    monkeypatch.setattr(composition, "provisioning_check", lambda: check)
    return fake


def failures(response: object) -> list[str]:
    assert isinstance(response, dict)
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


# --- bounded fields ---------------------------------------------------------------------------


def test_a_100_kb_stream_record_writes_one_short_line(logs: LogLines, evidence: Any) -> None:
    """The operator's report: a 100,000-character eventID and a 50,000-character ARN, with
    newlines and bidi overrides, on a record whose ou_id key is invalid, wrote about 150 KB."""
    record = stream_record("../not-an-ou", 101)
    record["eventID"] = ("x\n" + BIDI_OVERRIDE) * 33_333 + "x"
    record["eventSourceARN"] = "arn:" + ("\n" + BIDI_OVERRIDE + "a") * 16_665 + "z"
    assert len(record["eventID"]) == 100_000
    assert len(record["eventSourceARN"]) == 50_000

    assert failures(lambda_handler(stream_event(record), LambdaContextStub())) == []
    [skipped] = logs.with_message(SKIPPED)
    assert skipped["event_id"] == "<unexpected shape: 100000 characters>"
    assert skipped["event_source_arn"] == "<unexpected shape: 50000 characters>"
    assert skipped["sequence_number"] == "101"
    written = "\n".join(logs.lines)
    assert len(written) < 1_000
    assert BIDI_OVERRIDE not in written
    assert "\\u202e" not in written


def test_identifiers_of_their_expected_shape_are_logged_as_they_are(
    logs: LogLines, evidence: Any
) -> None:
    record = stream_record(None, 102)  # another writer's item: no ou_id key
    lambda_handler(stream_event(record), LambdaContextStub())
    [skipped] = logs.with_message(SKIPPED)
    assert skipped["event_id"] == record["eventID"]
    assert skipped["event_source_arn"] == record["eventSourceARN"]


@pytest.mark.parametrize(
    ("value", "shape", "logged"),
    [
        (
            "4c9e6c5e-0d5f-4a3e-9d56-3f1c2a7b8e90",
            SQS_MESSAGE_ID,
            "4c9e6c5e-0d5f-4a3e-9d56-3f1c2a7b8e90",
        ),
        ("1" * 40, SEQUENCE_NUMBER, "1" * 40),
        ("1" * 41, SEQUENCE_NUMBER, "<unexpected shape: 41 characters>"),
        ("١٢٣", SEQUENCE_NUMBER, "<unexpected shape: 3 characters>"),  # digits, not ASCII ones
        ("", SQS_MESSAGE_ID, "<unexpected shape: 0 characters>"),
        ("id\nforged log line", SQS_MESSAGE_ID, "<unexpected shape: 18 characters>"),
        ({"S": "x" * 1000}, STREAM_ARN, "<not a string: dict>"),
        (None, STREAM_ARN, "<not a string: NoneType>"),
        (
            "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-11-28T12:00:00.000",
            STREAM_ARN,
            "<unexpected shape: 78 characters>",  # a table name is at least 3 characters
        ),
    ],
)
def test_loggable_keeps_only_the_expected_shape(value: object, shape: Any, logged: str) -> None:
    assert loggable(value, shape) == logged


# --- one line per rejected message or record ----------------------------------------------------


def test_each_rejected_sqs_message_is_logged_once_by_id_and_error_code(
    logs: LogLines, evidence: Any
) -> None:
    event = sqs_event(
        f"not json {BODY_SECRET}",
        json.dumps({"ou_id": f"../{BODY_SECRET}"}),
        json.dumps({"ou_id": "ou-1", "token": BODY_SECRET}),
        json.dumps({"ou_id": "ou-1"}),
    )
    assert failures(lambda_handler(event, LambdaContextStub())) == ["msg-0", "msg-1", "msg-2"]
    rejected = logs.with_message(REJECTED)
    assert [(line["message_id"], line["error"]) for line in rejected] == [
        ("msg-0", "InvalidRequest"),
        ("msg-1", "InvalidRequest"),
        ("msg-2", "InvalidRequest"),
    ]
    assert BODY_SECRET not in "\n".join(logs.lines)


def test_a_message_out_of_time_is_logged_with_its_reason(logs: LogLines, evidence: Any) -> None:
    event = sqs_event(json.dumps({"ou_id": "ou-1"}))
    context = LambdaContextStub(remaining_millis=MIN_MILLIS_FOR_A_CHECK - 1)
    assert failures(lambda_handler(event, context)) == ["msg-0"]
    [rejected] = logs.with_message(REJECTED)
    assert (rejected["message_id"], rejected["error"]) == ("msg-0", "NoTimeForACheck")


def test_a_hostile_message_id_is_reported_but_logged_bounded(logs: LogLines, evidence: Any) -> None:
    event = sqs_event("not json")
    hostile_id = f"{BIDI_OVERRIDE}\n" * 50_000
    event["Records"][0]["messageId"] = hostile_id
    assert failures(lambda_handler(event, LambdaContextStub())) == [hostile_id]
    [rejected] = logs.with_message(REJECTED)
    assert rejected["message_id"] == "<unexpected shape: 100000 characters>"
    assert len("\n".join(logs.lines)) < 1_000


def test_each_rejected_stream_record_is_logged_once_by_sequence_number(
    logs: LogLines, evidence: InMemoryEvidence
) -> None:
    evidence.failures[EvidenceSource.SCORING_RULES] = DependencyUnavailable("throttled")
    event = stream_event(stream_record("ou-1", 101), stream_record("ou-1", 102))
    assert failures(lambda_handler(event, LambdaContextStub())) == ["101", "102"]
    rejected = logs.with_message(REJECTED)
    assert [(line["sequence_number"], line["ou_id"], line["error"]) for line in rejected] == [
        ("101", "ou-1", "DependencyUnavailable"),
        ("102", "ou-1", "CheckFailedEarlierInBatch"),
    ]


def test_records_checked_successfully_log_no_rejection(logs: LogLines, evidence: Any) -> None:
    event = stream_event(stream_record("ou-1", 101), stream_record("ou-2", 102))
    assert failures(lambda_handler(event, LambdaContextStub())) == []
    assert logs.with_message(REJECTED) == []
    assert len(logs.with_message("checked")) == 2
