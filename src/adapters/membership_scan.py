"""The memberships table as the fleet sweep walks it: one parallel-scan segment at a time."""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from adapters.aws_errors import translated_aws_errors
from adapters.dynamodb import PARTITION_KEY
from domain.fleet import MembershipKey

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SORT_KEY: Final = "principal_id"
# Keys only, about 60 bytes a row: a page of 1,000 is far below a Scan's 1 MB.
SCAN_PAGE_SIZE: Final = 1000


class DynamoDbMembershipScan:
    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def rows(
        self, segment: int, total_segments: int, after: MembershipKey | None
    ) -> Iterator[MembershipKey]:
        """DynamoDB keeps an OU's rows (one partition key) in one segment and returns them
        together. Eventually consistent: a sweep needs no newer view than a second ago."""
        request: dict[str, Any] = {
            "TableName": self._table_name,
            "Segment": segment,
            "TotalSegments": total_segments,
            "ProjectionExpression": "#ou, #principal",
            "ExpressionAttributeNames": {"#ou": PARTITION_KEY, "#principal": SORT_KEY},
            "Limit": SCAN_PAGE_SIZE,
        }
        if after is not None:
            request["ExclusiveStartKey"] = _key(after)
        while True:
            with translated_aws_errors("memberships Scan"):
                page = self._client.scan(**request)
                rows = [_row(item) for item in page["Items"]]
                last_key = page.get("LastEvaluatedKey")
            yield from rows
            # A last page may still carry a LastEvaluatedKey (then the next page is empty).
            if not last_key:
                return
            request["ExclusiveStartKey"] = last_key


def _key(row: MembershipKey) -> dict[str, Any]:
    return {PARTITION_KEY: {"S": row.ou_id}, SORT_KEY: {"S": row.principal_id}}


def _row(item: dict[str, Any]) -> MembershipKey:
    return MembershipKey(item[PARTITION_KEY]["S"], item[SORT_KEY]["S"])
