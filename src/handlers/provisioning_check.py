"""Lambda entry point of the provisioning check.

It answers three triggers with the same checklist the API serves:
- an EventBridge event whose ``detail`` holds ``ou_id``;
- a direct invocation ``{"ou_id": "...", "require_complete": true}`` (Step Functions, CLI);
  with ``require_complete`` an incomplete OU raises ``OnboardingIncomplete``;
- an SQS batch of ``{"ou_id": "..."}`` messages, reporting partial batch failures.
"""

import json
from collections.abc import Mapping
from typing import Any, Final

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError
from pydantic_core import ErrorDetails

import composition
from domain.errors import InvalidRequest
from domain.identifiers import parse_requested_ou_id
from domain.provisioning import CheckResult, OnboardingIncomplete

logger = Logger()
# A batch whose every message fails is reported message by message, like any other batch,
# rather than raised: the outcome for the queue is the same, and the invocation's only
# exception types stay InvalidRequest, OnboardingIncomplete and the store's own.
batch = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


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


def check(raw_ou_id: object) -> CheckResult:
    ou_id = parse_requested_ou_id(raw_ou_id)  # bad input is InvalidRequest, however wired
    result = composition.provisioning_check().run(ou_id)
    logger.info("checked", extra={"ou_id": result.ou_id, "all_complete": result.all_complete})
    return result


def check_queued(record: SQSRecord) -> None:
    try:
        payload = json.loads(record.body)
    except json.JSONDecodeError:
        raise InvalidRequest("message body is not JSON") from None
    check(parse(QueuedRequest, payload, "message body").ou_id)


def is_sqs_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    # Lambda never delivers an empty batch; an empty list is some other, malformed event.
    return isinstance(records, list) and bool(records) and all(map(is_sqs_record, records))


def is_sqs_record(record: object) -> bool:
    # Failures are reported by message id: a record without one is no SQS message.
    return (
        isinstance(record, dict)
        and record.get("eventSource") == "aws:sqs"
        and isinstance(record.get("messageId"), str)
    )


@logger.inject_lambda_context
def lambda_handler(event: object, context: LambdaContext) -> Mapping[str, Any]:
    if not isinstance(event, dict):
        raise InvalidRequest("the event must be a JSON object")
    if is_sqs_batch(event):
        return process_partial_response(event, check_queued, batch, context)
    if "detail-type" in event:
        detail = parse(EventDetail, event.get("detail"), "detail")
        return check(detail.ou_id).model_dump(mode="json")
    request = parse(DirectRequest, event, "request")
    result = check(request.ou_id)
    if request.require_complete and not result.all_complete:
        missing = [step.id for step in result.steps if not step.completed]
        raise OnboardingIncomplete(f"OU {result.ou_id} has not completed: {', '.join(missing)}")
    return result.model_dump(mode="json")
