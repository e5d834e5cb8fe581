"""The least a handler can do for the service's answer: read the caller from the authorizer
context, make the same four calls one after another with the same parameters, and write the
same JSON. No routing, logging, metrics, validation or threads; no pydantic. Lives here, never
in src/.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

from adapters.dynamodb import FIRST_PAGE_SIZE, PARTITION_KEY, evidence_filter
from domain.checklist import CHECKLIST, EvidenceSource

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def minimal_handler(
    client: Any, memberships_table: str, tables: Mapping[EvidenceSource, str]
) -> Handler:
    """A hand-written handler making the service's four calls in order, with the same
    parameters, for a caller named by a Lambda authorizer."""

    def handle(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        claims = event["requestContext"]["authorizer"]["lambda"]
        ou_id, principal_id = claims["ou_id"], claims["principal_id"]
        membership = client.get_item(
            TableName=memberships_table,
            Key={PARTITION_KEY: {"S": ou_id}, "principal_id": {"S": principal_id}},
            ConsistentRead=True,
            ProjectionExpression="#status",
            ExpressionAttributeNames={"#status": "status"},
        )
        if "Item" not in membership:
            return {"statusCode": 403, "body": '{"code":"forbidden"}'}
        steps = []
        for step in CHECKLIST:
            query_filter = evidence_filter(step.evidence)
            page = client.query(
                TableName=tables[step.evidence.source],
                KeyConditionExpression=f"{PARTITION_KEY} = :ou",
                FilterExpression=query_filter.expression,
                ExpressionAttributeNames=query_filter.names,
                ExpressionAttributeValues={":ou": {"S": ou_id}, **query_filter.values},
                ProjectionExpression=PARTITION_KEY,
                ConsistentRead=True,
                Limit=FIRST_PAGE_SIZE,
            )
            steps.append(
                {
                    "id": step.id,
                    "label": step.label,
                    "completed": page["Count"] > 0,
                    "action_path": step.action_path,
                }
            )
        done = sum(step["completed"] for step in steps)
        body = {
            "steps": steps,
            "all_complete": done == len(steps),
            "completed_count": done,
            "total_count": len(steps),
        }
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, separators=(",", ":")),
        }

    return handle
