"""DynamoDB implementations of the memberships and evidence repositories.

Every read is strongly consistent, so a step a user has just completed shows as completed on
their next visit. Every query is bounded to one OU's partition, stops at the first qualifying
item, and gives up after reading ``MAX_ITEMS_PER_CHECK`` items.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING, Final

from aws_lambda_powertools import Logger

from adapters.aws_errors import translated_aws_errors
from domain.checklist import (
    ORIGIN_ATTRIBUTE,
    SYSTEM_DEFAULT_ORIGIN,
    EvidenceCriteria,
    EvidenceSource,
)
from domain.errors import EvidenceReadLimitExceeded
from domain.identifiers import OuId, PrincipalId
from domain.ports import FirstLook

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef

PARTITION_KEY: Final = "ou_id"
ACTIVE_MEMBERSHIP_STATUS: Final = "active"
KNOWN_MEMBERSHIP_STATUSES: Final = frozenset({ACTIVE_MEMBERSHIP_STATUS, "invited", "suspended"})

logger = Logger(child=True)

# Limit counts items *read*, before the filter. Small first pages answer the common case (the
# first item qualifies) cheaply; growing pages bound the number of round trips when many items
# are filtered out (for example thousands of disconnected integrations).
FIRST_PAGE_SIZE: Final = 16
PAGE_GROWTH: Final = 4
MAX_PAGE_SIZE: Final = 1024
# What one check may read before it gives up: 20,000 items of 70 to 100 bytes are 350 to 500
# read units and 23 round trips (16 + 64 + 256 + 19 x 1,024 + 208). Only an OU with more items
# that do not count (disconnected integrations, product-seeded defaults) ahead of its first one
# that does gets there. Answering it needs an index the tables' writers maintain (the README's
# Performance section).
MAX_ITEMS_PER_CHECK: Final = 20_000


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
        # No status means an active membership (the data contract); any other status not.
        if status is not None and status.get("S") not in KNOWN_MEMBERSHIP_STATUSES:
            # Most likely a writer's mistake ("Active", a number): it denies, so say so.
            logger.warning("membership has an unknown status", extra={"ou_id": ou_id})
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

    def __init__(
        self,
        client: "DynamoDBClient",
        tables: Mapping[EvidenceSource, str],
        max_items_per_check: int = MAX_ITEMS_PER_CHECK,
    ) -> None:
        self._client = client
        self._tables = dict(tables)
        self._max_items = max_items_per_check

    def first_look(self, ou_id: OuId, criteria: EvidenceCriteria) -> FirstLook:
        """One page of at most FIRST_PAGE_SIZE items; reading on, if needed, is deferred."""
        table = self._tables[criteria.source]
        request = self._query(table, ou_id, criteria)
        with translated_aws_errors(f"{criteria.source} Query"):
            response = self._client.query(**request)
            found = response["Count"] > 0
            last_key = response.get("LastEvaluatedKey")
            items_read = response["ScannedCount"]
        if found or not last_key:
            return FirstLook(found)
        request["ExclusiveStartKey"] = last_key
        return FirstLook(False, partial(self._read_on, request, items_read, ou_id, criteria))

    def _query(self, table: str, ou_id: OuId, criteria: EvidenceCriteria) -> "QueryInputTypeDef":
        query_filter = evidence_filter(criteria)
        return {
            "TableName": table,
            "KeyConditionExpression": f"{PARTITION_KEY} = :ou",
            "FilterExpression": query_filter.expression,
            "ExpressionAttributeNames": query_filter.names,
            "ExpressionAttributeValues": {":ou": {"S": ou_id}, **query_filter.values},
            "ProjectionExpression": PARTITION_KEY,
            "ConsistentRead": True,
            "Limit": FIRST_PAGE_SIZE,
        }

    def _read_on(
        self,
        request: "QueryInputTypeDef",
        items_read: int,
        ou_id: OuId,
        criteria: EvidenceCriteria,
    ) -> bool:
        """Follow pages from where the first look stopped, in growing sizes, until an item
        qualifies or the partition ends; raise EvidenceReadLimitExceeded rather than read
        past the limit."""
        with translated_aws_errors(f"{criteria.source} Query"):
            while True:
                allowance = self._max_items - items_read
                if allowance <= 0:
                    raise EvidenceReadLimitExceeded(
                        f"{criteria.source} Query read {items_read} items of OU {ou_id} without"
                        f" finding evidence; the limit is {self._max_items}"
                    )
                request["Limit"] = min(request["Limit"] * PAGE_GROWTH, MAX_PAGE_SIZE, allowance)
                response = self._client.query(**request)
                if response["Count"] > 0:
                    return True
                last_key = response.get("LastEvaluatedKey")
                if not last_key:
                    return False
                items_read += response["ScannedCount"]
                request["ExclusiveStartKey"] = last_key
