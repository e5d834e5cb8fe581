"""DynamoDB implementations of the memberships and evidence repositories.

Every read is strongly consistent, so a step a user has just completed shows as completed on
their next visit. Every query is bounded to one OU's partition and stops at the first qualifying
item.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from adapters.aws_errors import error_code, translated_aws_errors
from domain.checklist import (
    ORIGIN_ATTRIBUTE,
    SYSTEM_DEFAULT_ORIGIN,
    EvidenceCriteria,
    EvidenceSource,
)
from domain.identifiers import OuId, PrincipalId
from domain.provisioning import ProgressState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

PARTITION_KEY: Final = "ou_id"
CONDITION_FAILED: Final = "ConditionalCheckFailedException"
ACTIVE_MEMBERSHIP_STATUS: Final = "active"

# Limit counts items *read*, before the filter. Small first pages answer the common case (the
# first item qualifies) cheaply; growing pages bound the number of round trips when many items
# are filtered out (for example thousands of disconnected integrations).
FIRST_PAGE_SIZE: Final = 16
PAGE_GROWTH: Final = 4
MAX_PAGE_SIZE: Final = 1024


class DynamoDbMemberships:
    """Memberships table: partition ``ou_id``, sort ``principal_id``, optional ``status``."""

    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def is_active_member(self, ou_id: OuId, principal_id: PrincipalId) -> bool:
        with translated_aws_errors("memberships GetItem"):
            response = self._client.get_item(
                TableName=self._table_name,
                Key={PARTITION_KEY: {"S": ou_id}, "principal_id": {"S": principal_id}},
                ConsistentRead=True,
                ProjectionExpression="#status",
                ExpressionAttributeNames={"#status": "status"},
            )
        if "Item" not in response:
            return False
        status = response["Item"].get("status")
        # No status means an active membership; any other status (invited, suspended...) not.
        return status is None or status == {"S": ACTIVE_MEMBERSHIP_STATUS}


@dataclass(frozen=True)
class EvidenceFilter:
    """A DynamoDB FilterExpression equivalent to ``EvidenceCriteria.accepts``."""

    expression: str
    names: dict[str, str]
    values: dict[str, dict[str, str]]

    @classmethod
    def for_criteria(cls, criteria: EvidenceCriteria) -> "EvidenceFilter":
        names = {"#origin": ORIGIN_ATTRIBUTE}
        values = {":system_default": {"S": SYSTEM_DEFAULT_ORIGIN}}
        clauses = ["(attribute_not_exists(#origin) OR #origin <> :system_default)"]
        for index, (attribute, accepted) in enumerate(criteria.required):
            names[f"#a{index}"] = attribute
            placeholders = []
            for value_index, value in enumerate(sorted(accepted)):
                placeholder = f":a{index}v{value_index}"
                values[placeholder] = {"S": value}
                placeholders.append(placeholder)
            clauses.append(f"#a{index} IN ({', '.join(placeholders)})")
        return cls(" AND ".join(clauses), names, values)


@cache
def evidence_filter(criteria: EvidenceCriteria) -> EvidenceFilter:
    """Built once per criteria: the checklist is fixed for the life of the process."""
    return EvidenceFilter.for_criteria(criteria)


class DynamoDbEvidence:
    """Step evidence tables, all with partition key ``ou_id``."""

    def __init__(self, client: "DynamoDBClient", tables: Mapping[EvidenceSource, str]) -> None:
        self._client = client
        self._tables = dict(tables)

    def has_evidence(self, ou_id: OuId, criteria: EvidenceCriteria) -> bool:
        table = self._tables[criteria.source]
        with translated_aws_errors(f"{criteria.source} Query"):
            return any(count > 0 for count in self._matching_counts(table, ou_id, criteria))

    def _matching_counts(
        self, table: str, ou_id: OuId, criteria: EvidenceCriteria
    ) -> Iterator[int]:
        """Yield the number of qualifying items per page, fetching pages only as consumed."""
        query_filter = evidence_filter(criteria)
        request: QueryInputTypeDef = {
            "TableName": table,
            "KeyConditionExpression": f"{PARTITION_KEY} = :ou",
            "FilterExpression": query_filter.expression,
            "ExpressionAttributeNames": query_filter.names,
            "ExpressionAttributeValues": {":ou": {"S": ou_id}, **query_filter.values},
            "ProjectionExpression": PARTITION_KEY,
            "ConsistentRead": True,
            "Limit": FIRST_PAGE_SIZE,
        }
        while True:
            response = self._client.query(**request)
            yield response["Count"]
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return
            request["ExclusiveStartKey"] = last_key
            request["Limit"] = min(request["Limit"] * PAGE_GROWTH, MAX_PAGE_SIZE)


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
        item = response.get("Item", {})
        return ProgressState(
            completion_id=item.get("completion_id", {}).get("S"),
            completed_at=item.get("completed_at", {}).get("S"),
            completion_published=item.get("completion_published", {}).get("BOOL", False),
            regressed=item.get("regressed", {}).get("BOOL", False),
        )

    def claim_completion(self, ou_id: OuId, completion_id: str, completed_at: str) -> ProgressState:
        self._update(
            ou_id,
            "SET completion_id = :id, completed_at = :at, completion_published = :false",
            "attribute_not_exists(completion_id)",
            {":id": {"S": completion_id}, ":at": {"S": completed_at}, ":false": {"BOOL": False}},
        )
        # Whoever won the race, the stored completion is the one to publish.
        return self.get(ou_id)

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
