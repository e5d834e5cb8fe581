"""Lambda entry point of the provisioning check.

It answers four triggers with the same checklist the API serves:
- an EventBridge event whose ``detail`` holds ``ou_id``;
- a direct invocation ``{"ou_id": "...", "require_complete": true}`` (Step Functions, CLI);
  with ``require_complete`` an incomplete OU raises ``OnboardingIncomplete``;
- an SQS batch of ``{"ou_id": "..."}`` messages, reporting partial batch failures;
- a DynamoDB Streams batch from the evidence tables: one check per distinct ``ou_id`` key,
  publishing only news, and reporting the records of the OUs whose check failed.
"""

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError
from pydantic_core import ErrorDetails

import composition
from domain.errors import InvalidRequest
from domain.identifiers import is_valid_id, parse_requested_ou_id
from domain.provisioning import CheckResult, OnboardingIncomplete

logger = Logger()
# A batch whose every message fails is reported message by message, like any other batch,
# rather than raised: the outcome for the queue is the same, and the invocation's only
# exception types stay InvalidRequest, OnboardingIncomplete and the store's own.
batch = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
# Failures are reported by SequenceNumber; Lambda resumes the shard from the lowest one.
stream_batch = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)


# A check is started in a batch only with this much of the invocation left: its reads (6 s
# deadline) and writes fit, so the batch never times out mid-check and fails as a whole; the
# records not started are reported and retried instead.
MIN_MILLIS_FOR_A_CHECK: Final = 15_000


# The shapes of the identifiers copied from a record into a log line. Anything else is logged as
# a placeholder with its length: a hostile record may carry a 100,000-character id, newlines or
# bidi controls, and none of that may reach an operator's logs.
SQS_MESSAGE_ID: Final = re.compile(r"[A-Za-z0-9-]{1,128}")
SEQUENCE_NUMBER: Final = re.compile(r"[0-9]{1,40}")
STREAM_EVENT_ID: Final = re.compile(r"[A-Za-z0-9-]{1,128}")
STREAM_ARN: Final = re.compile(
    r"arn:aws[a-z-]{0,16}:dynamodb:[a-z0-9-]{1,32}:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}"
    r"/stream/[A-Za-z0-9:._-]{1,64}"
)


def loggable(value: object, shape: re.Pattern[str]) -> str:
    """An identifier from an event as it may appear in a log: itself if it has its expected
    shape (which bounds its length), else a fixed placeholder with its length or type."""
    if not isinstance(value, str):
        return f"<not a string: {type(value).__name__}>"
    if shape.fullmatch(value) is None:
        return f"<unexpected shape: {len(value)} characters>"
    return value


@contextmanager
def logged_if_rejected(**identifiers: str) -> Iterator[None]:
    """One warning line per message or record reported as a batch item failure: which one
    and the error's class name, its code. Never the body, nor the error's text, which could
    quote it (the batch library's own message, with the traceback, is not logged)."""
    try:
        yield
    except Exception as error:
        logger.warning(
            "rejected; reported as a batch item failure",
            extra={**identifiers, "error": type(error).__name__},
        )
        raise


class NoTimeForACheck(Exception):
    """Too little of the invocation is left to start another check: retry the record."""


class CheckFailedEarlierInBatch(Exception):
    """Another record of the batch named the same OU and its check failed: this record is
    reported too, so a retry starting at any of them redoes the check."""


class DirectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ou_id: object
    require_complete: StrictBool = False


class QueuedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ou_id: object


class EventDetail(BaseModel):
    """Other fields of the detail are the publisher's business and are ignored."""

    ou_id: object


# What is wrong with one of our fields, by pydantic's error type. Errors name our fields only,
# never the caller's field names or values: a payload may carry secrets, and an error lands in
# the invocation's response and in the logs.
_FIELD_PROBLEMS: Final = {"missing": "missing", "bool_type": "must be a boolean"}


def parse(model: type[BaseModel], payload: object, what: str) -> Any:
    """The payload as ``model``, or InvalidRequest saying what is wrong with ``what``."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        problems = sorted({problem(model, issue) for issue in error.errors()})
        raise InvalidRequest(f"invalid {what}: {'; '.join(problems)}") from None


def problem(model: type[BaseModel], issue: ErrorDetails) -> str:
    location = issue["loc"]
    if issue["type"] == "extra_forbidden":
        return f"unexpected fields (allowed: {', '.join(model.model_fields)})"
    if not location or location[0] not in model.model_fields:
        return "must be a JSON object"
    return f"{location[0]}: {_FIELD_PROBLEMS.get(issue['type'], 'invalid')}"


def check(raw_ou_id: object, *, news_only: bool = False) -> CheckResult:
    ou_id = parse_requested_ou_id(raw_ou_id)  # bad input is InvalidRequest, however wired
    result = composition.provisioning_check().run(ou_id, news_only=news_only)
    logger.info("checked", extra={"ou_id": result.ou_id, "all_complete": result.all_complete})
    return result


def ensure_time_for_a_check(context: LambdaContext) -> None:
    if context.get_remaining_time_in_millis() < MIN_MILLIS_FOR_A_CHECK:
        raise NoTimeForACheck


def check_queued(record: SQSRecord, lambda_context: LambdaContext) -> None:
    with logged_if_rejected(message_id=loggable(record.message_id, SQS_MESSAGE_ID)):
        ensure_time_for_a_check(lambda_context)
        try:
            payload = json.loads(record.body)
        except json.JSONDecodeError:
            raise InvalidRequest("message body is not JSON") from None
        check(parse(QueuedRequest, payload, "message body").ou_id)


def is_batch_of(event: dict[str, Any], is_record: Callable[[object], bool]) -> bool:
    records = event.get("Records")
    # Lambda never delivers an empty batch; an empty list is some other, malformed event.
    return isinstance(records, list) and bool(records) and all(map(is_record, records))


def is_sqs_record(record: object) -> bool:
    # Failures are reported by message id: a record without one is no SQS message.
    return (
        isinstance(record, dict)
        and record.get("eventSource") == "aws:sqs"
        and isinstance(record.get("messageId"), str)
    )


def check_changed_ous(event: dict[str, Any], context: LambdaContext) -> Mapping[str, Any]:
    """One check per distinct OU of the batch, however many of its records name it; every
    record of an OU whose check failed is reported, so Lambda retries from the first of them."""
    succeeded: dict[str, bool] = {}  # ou_id -> whether its check succeeded

    def check_record(record: DynamoDBRecord) -> None:
        sequence_number = loggable(record.raw_event["dynamodb"]["SequenceNumber"], SEQUENCE_NUMBER)
        ou_id = changed_ou_id(record)
        if ou_id is None:
            # Another writer's item shape: retrying would block the shard for nothing.
            logger.warning(
                "skipped a stream record without a valid ou_id key",
                extra={
                    "sequence_number": sequence_number,
                    "event_id": loggable(record.raw_event.get("eventID"), STREAM_EVENT_ID),
                    "event_source_arn": loggable(
                        record.raw_event.get("eventSourceARN"), STREAM_ARN
                    ),
                },
            )
            return
        with logged_if_rejected(sequence_number=sequence_number, ou_id=ou_id):
            check_once(ou_id)

    def check_once(ou_id: str) -> None:
        if ou_id in succeeded:
            if not succeeded[ou_id]:
                raise CheckFailedEarlierInBatch(ou_id)
            return
        ensure_time_for_a_check(context)
        succeeded[ou_id] = False
        check(ou_id, news_only=True)
        succeeded[ou_id] = True

    return process_partial_response(event, check_record, stream_batch, context)


def changed_ou_id(record: DynamoDBRecord) -> str | None:
    """The valid string ``ou_id`` key of the changed item (any stream view type has Keys)."""
    stream_record = record.raw_event.get("dynamodb")
    keys = stream_record.get("Keys") if isinstance(stream_record, dict) else None
    value = keys.get("ou_id") if isinstance(keys, dict) else None
    ou_id = value.get("S") if isinstance(value, dict) else None
    return ou_id if is_valid_id(ou_id) else None


def is_stream_record(record: object) -> bool:
    # Failures are reported by sequence number: a record without one is no stream record.
    return (
        isinstance(record, dict)
        and record.get("eventSource") == "aws:dynamodb"
        and isinstance(record.get("dynamodb"), dict)
        and isinstance(record["dynamodb"].get("SequenceNumber"), str)
    )


@logger.inject_lambda_context
def lambda_handler(event: object, context: LambdaContext) -> Mapping[str, Any]:
    if not isinstance(event, dict):
        raise InvalidRequest("the event must be a JSON object")
    if is_batch_of(event, is_sqs_record):
        return process_partial_response(event, check_queued, batch, context)
    if is_batch_of(event, is_stream_record):
        return check_changed_ous(event, context)
    if "detail-type" in event:
        detail = parse(EventDetail, event.get("detail"), "detail")
        return check(detail.ou_id).to_dict()
    request = parse(DirectRequest, event, "request")
    result = check(request.ou_id)
    if request.require_complete and not result.all_complete:
        missing = [step.id for step in result.steps if not step.completed]
        raise OnboardingIncomplete(f"OU {result.ou_id} has not completed: {', '.join(missing)}")
    return result.to_dict()
