"""The provisioning check's own table in DynamoDB: what it remembers about each OU.

Apart from the evidence adapters so that the status API never imports the provisioning domain.
"""

from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated_aws_errors
from adapters.dynamodb import PARTITION_KEY
from domain.identifiers import OuId
from domain.provisioning import Adoption, ProgressState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONDITION_FAILED: Final = "ConditionalCheckFailedException"
# One top-level attribute per step, so one UpdateItem sets any of them with if_not_exists,
# whether or not the item exists yet (a map attribute would have to exist first).
STEP_TIME_PREFIX: Final = "step_completed_at:"
# A reserved word in DynamoDB expressions: always written through a name placeholder.
SEQUENCE: Final = "sequence"


class DynamoDbProgress:
    """The provisioning check's own table: one item per OU, changed only by conditional
    writes, so concurrent checks of one OU agree on a single completion id."""

    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def get(self, ou_id: OuId) -> ProgressState:
        with translated_aws_errors("progress GetItem"):
            response = self._client.get_item(
                TableName=self._table_name, Key=self._key(ou_id), ConsistentRead=True
            )
            return _state(response.get("Item", {}))

    def claim_completion(
        self, ou_id: OuId, completion_id: str, completed_at: str, sequence: int
    ) -> ProgressState:
        self._update(
            ou_id,
            "SET completion_id = :id, completed_at = :at, completion_published = :false,"
            " completion_sequence = :seq",
            "attribute_not_exists(completion_id)",
            {
                ":id": {"S": completion_id},
                ":at": {"S": completed_at},
                ":false": {"BOOL": False},
                ":seq": {"N": str(sequence)},
            },
        )
        # Whoever won the race, the stored completion is the one to publish.
        return self.get(ou_id)

    def advance_sequence(self, ou_id: OuId, checked_at: str) -> int | None:
        with translated_aws_errors("progress UpdateItem"):
            try:
                response = self._client.update_item(
                    TableName=self._table_name,
                    Key=self._key(ou_id),
                    UpdateExpression="ADD #sequence :one SET sequence_checked_at = :at",
                    # Only a check that read the evidence later than the last one to advance.
                    ConditionExpression=(
                        "attribute_not_exists(sequence_checked_at) OR sequence_checked_at <= :at"
                    ),
                    ExpressionAttributeNames={"#sequence": SEQUENCE},
                    ExpressionAttributeValues={":one": {"N": "1"}, ":at": {"S": checked_at}},
                    ReturnValues="UPDATED_NEW",
                )
            except ClientError as error:
                if error_code(error) == CONDITION_FAILED:
                    return None
                raise
            return int(response["Attributes"][SEQUENCE]["N"])

    def adopt(self, ou_id: OuId, adoption: Adoption) -> bool:
        outcome: list[Any] = [{"S": step} for step in sorted(adoption.outcome)]
        item: dict[str, Any] = {
            **self._key(ou_id),
            "adopted_at": {"S": adoption.adopted_at},
            "adopted_steps": {"L": outcome},
            "last_outcome": {"L": outcome},
            "last_checked_at": {"S": adoption.adopted_at},
            SEQUENCE: {"N": "1"},
            "sequence_checked_at": {"S": adoption.adopted_at},
        }
        if adoption.completion_id is not None:
            # Complete before adoption: recorded as published, so no check ever announces it.
            item |= {
                "completion_id": {"S": adoption.completion_id},
                "completion_published": {"BOOL": True},
                "completion_sequence": {"N": "1"},
            }
        with translated_aws_errors("progress PutItem"):
            try:
                self._client.put_item(
                    TableName=self._table_name,
                    Item=item,
                    ConditionExpression=f"attribute_not_exists({PARTITION_KEY})",
                )
            except ClientError as error:
                if error_code(error) == CONDITION_FAILED:
                    return False
                raise
        return True

    def mark_completion_published(self, ou_id: OuId, completion_id: str) -> None:
        self._update(
            ou_id,
            "SET completion_published = :true",
            "completion_id = :id",
            {":true": {"BOOL": True}, ":id": {"S": completion_id}},
        )

    def set_regressed(self, ou_id: OuId, regressed: bool, at: str) -> None:
        self._update(
            ou_id,
            "SET regressed = :regressed, regression_changed_at = :at",
            "attribute_exists(completion_id)",
            {":regressed": {"BOOL": regressed}, ":at": {"S": at}},
        )

    def record_steps_completed(
        self, ou_id: OuId, step_ids: frozenset[str], at: str
    ) -> ProgressState:
        names = {f"#step{index}": STEP_TIME_PREFIX + step for index, step in enumerate(step_ids)}
        with translated_aws_errors("progress UpdateItem"):
            response = self._client.update_item(
                TableName=self._table_name,
                Key=self._key(ou_id),
                # if_not_exists: the first check to see a step complete sets its time for good.
                UpdateExpression="SET "
                + ", ".join(f"{name} = if_not_exists({name}, :at)" for name in names),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":at": {"S": at}},
                ReturnValues="ALL_NEW",
            )
            return _state(response.get("Attributes", {}))

    def record_outcome(self, ou_id: OuId, outcome: frozenset[str], checked_at: str) -> None:
        self._update(
            ou_id,
            "SET last_outcome = :outcome, last_checked_at = :at",
            # A slower check that started earlier must not overwrite a later one's outcome.
            "attribute_not_exists(last_checked_at) OR last_checked_at < :at",
            {
                ":outcome": {"L": [{"S": step} for step in sorted(outcome)]},
                ":at": {"S": checked_at},
            },
        )

    def _update(self, ou_id: OuId, update: str, condition: str, values: dict[str, Any]) -> bool:
        """Apply a conditional update; False when its condition did not hold."""
        with translated_aws_errors("progress UpdateItem"):
            try:
                self._client.update_item(
                    TableName=self._table_name,
                    Key=self._key(ou_id),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if error_code(error) == CONDITION_FAILED:
                    return False
                raise
        return True

    @staticmethod
    def _key(ou_id: OuId) -> dict[str, Any]:
        return {PARTITION_KEY: {"S": ou_id}}


def _strings(attribute: dict[str, Any] | None) -> frozenset[str]:
    return frozenset(value["S"] for value in (attribute or {}).get("L", []) if "S" in value)


def _number(attribute: dict[str, Any] | None) -> int | None:
    text = (attribute or {}).get("N")
    return None if text is None else int(text)


def _state(item: dict[str, Any]) -> ProgressState:
    return ProgressState(
        completion_id=item.get("completion_id", {}).get("S"),
        completed_at=item.get("completed_at", {}).get("S"),
        # Only a stored true counts: anything else means the event is still owed.
        completion_published=item.get("completion_published", {}).get("BOOL") is True,
        regressed=item.get("regressed", {}).get("BOOL") is True,
        steps_completed_at={
            name.removeprefix(STEP_TIME_PREFIX): value["S"]
            for name, value in item.items()
            if name.startswith(STEP_TIME_PREFIX) and "S" in value
        },
        last_outcome=_strings(item.get("last_outcome")),
        recorded=bool(item),
        sequence=_number(item.get(SEQUENCE)) or 0,
        completion_sequence=_number(item.get("completion_sequence")),
        adopted_at=item.get("adopted_at", {}).get("S"),
        adopted_steps=_strings(item.get("adopted_steps")),
    )
