"""Lambda entry point of the provisioning check.

It answers three triggers with the same checklist the API serves:
- an EventBridge event whose ``detail`` holds ``ou_id``;
- a direct invocation ``{"ou_id": "...", "require_complete": true}`` (Step Functions, CLI);
  with ``require_complete`` an incomplete OU raises ``OnboardingIncomplete``;
- an SQS batch of ``{"ou_id": "..."}`` messages, reporting partial batch failures.
"""

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError

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


def parse(model: type[BaseModel], payload: object) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        fields = ", ".join(
            f"{'.'.join(str(p) for p in issue['loc']) or 'event'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise InvalidRequest(f"invalid request: {fields}") from None


def check(ou_id: object) -> CheckResult:
    result = composition.provisioning_check().run(parse_requested_ou_id(ou_id))
    logger.info("checked", extra={"ou_id": result.ou_id, "all_complete": result.all_complete})
    return result


def check_queued(record: SQSRecord) -> None:
    try:
        payload = json.loads(record.body)
    except json.JSONDecodeError:
        raise InvalidRequest("message body is not JSON") from None
    check(parse(QueuedRequest, payload).ou_id)


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
        return check(parse(EventDetail, event.get("detail")).ou_id).model_dump(mode="json")
    request = parse(DirectRequest, event)
    result = check(request.ou_id)
    if request.require_complete and not result.all_complete:
        missing = [step.id for step in result.steps if not step.completed]
        raise OnboardingIncomplete(f"OU {result.ou_id} has not completed: {', '.join(missing)}")
    return result.model_dump(mode="json")
