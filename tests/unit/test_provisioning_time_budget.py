"""A provisioning batch never starts a check it may not have time to finish: the records it
would have needed are reported for retry instead of the whole invocation timing out."""

import json

import pytest

import composition
from handlers.provisioning_check import MIN_MILLIS_FOR_A_CHECK, lambda_handler
from tests.factories import LambdaContextStub, sqs_event, stream_event, stream_record


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each check started (the batch reports a failing one, so it is counted here)."""
    checks: list[str] = []

    def start() -> None:
        checks.append("started")
        raise AssertionError("a check was started without the time to finish it")

    monkeypatch.setattr(composition, "provisioning_check", start)
    return checks


def failures(response: object) -> list[str]:
    assert isinstance(response, dict)
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def test_stream_records_are_reported_when_too_little_time_is_left(started: list[str]) -> None:
    event = stream_event(stream_record("ou-a", 101), stream_record("ou-b", 102))
    context = LambdaContextStub(remaining_millis=MIN_MILLIS_FOR_A_CHECK - 1)
    assert failures(lambda_handler(event, context)) == ["101", "102"]
    assert started == []


def test_queued_messages_are_reported_when_too_little_time_is_left(started: list[str]) -> None:
    event = sqs_event(json.dumps({"ou_id": "ou-a"}))
    context = LambdaContextStub(remaining_millis=MIN_MILLIS_FOR_A_CHECK - 1)
    assert failures(lambda_handler(event, context)) == [event["Records"][0]["messageId"]]
    assert started == []


def test_with_time_left_the_check_starts(started: list[str]) -> None:
    event = stream_event(stream_record("ou-a", 101))
    lambda_handler(event, LambdaContextStub(remaining_millis=MIN_MILLIS_FOR_A_CHECK))
    assert started == ["started"]
