"""The designs the service is compared with. They live here, never in src/.

- ``MembershipFirstService``: confirm the membership, then run the step checks (two round
  trips for a member, one and a single read for a non-member).
- ``CountingEvidence``: the naive check: count the OU's qualifying items with Select=COUNT and
  compare with zero, which reads the whole partition.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.dynamodb import PARTITION_KEY, evidence_filter
from domain.checklist import EvidenceCriteria, EvidenceSource
from domain.errors import AccessDenied
from domain.identifiers import OuId
from domain.ports import FirstLook, MembershipsRepository
from domain.service import Caller, ChecklistEvaluator
from domain.status import OnboardingStatus


@dataclass(frozen=True)
class MembershipFirstService:
    """The alternative design: the step checks start only once the membership is confirmed."""

    memberships: MembershipsRepository
    checklist: ChecklistEvaluator

    def status_for(self, caller: Caller) -> OnboardingStatus:
        if caller.ou_id is None:
            raise AccessDenied("no active OU selected")
        if not self.memberships.is_active_member(caller.ou_id, caller.principal_id):
            raise AccessDenied("principal is not an active member of the OU")
        return self.checklist.checklist_for(caller.ou_id)


class CountingEvidence:
    """The naive evidence check: how many items qualify? Every page of the partition."""

    def __init__(self, client: Any, tables: Mapping[EvidenceSource, str]) -> None:
        self._client = client
        self._tables = dict(tables)

    def first_look(self, ou_id: OuId, criteria: EvidenceCriteria) -> FirstLook:
        """Not small at all: the whole partition, which is the point of the comparison."""
        query_filter = evidence_filter(criteria)
        request: dict[str, Any] = {
            "TableName": self._tables[criteria.source],
            "KeyConditionExpression": f"{PARTITION_KEY} = :ou",
            "FilterExpression": query_filter.expression,
            "ExpressionAttributeNames": query_filter.names,
            "ExpressionAttributeValues": {":ou": {"S": ou_id}, **query_filter.values},
            "Select": "COUNT",
            "ConsistentRead": True,
        }
        total = 0
        while True:
            page = self._client.query(**request)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return FirstLook(total > 0)
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
