"""Builders shared by every test tier: API Gateway events, Lambda contexts, table items."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local import api_gateway_events

HTTP_API_PATH = "/onboarding/status"
ALIAS_PATH = "/onboarding-status"
FIXED_REQUEST_TIME = datetime(2026, 11, 28, 12, tzinfo=UTC)
TEST_API = api_gateway_events.ApiIdentity(
    account_id="123456789012", api_id="api-id", domain_name="api.example.com"
)


@dataclass
class LambdaContextStub:
    """The attributes of a Lambda context that Powertools reads."""

    function_name: str = "onboarding-status-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:onboarding-status"
    aws_request_id: str = "test-request-id"
    log_group_name: str = "/aws/lambda/onboarding-status"
    log_stream_name: str = "test"
    remaining_millis: int = 60_000  # the provisioning function's timeout

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


def http_api_event(
    *,
    path: str = HTTP_API_PATH,
    method: str = "GET",
    authorizer: dict[str, Any] | None = None,
    cookies: list[str] | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
    stage: str = "$default",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the deployed API sends it.

    Fixed ids and time keep tests reproducible; the shape comes from local.api_gateway_events.
    """
    return api_gateway_events.http_api_event(
        method,
        path,
        query=query,
        headers={"accept": "application/json", **(headers or {})},
        cookies=cookies,
        authorizer=authorizer,
        stage=stage,
        source_ip="192.0.2.1",
        user_agent="pytest",
        request_id="req-http-1",
        received_at=FIXED_REQUEST_TIME,
        api=TEST_API,
    )


def lambda_authorizer(principal_id: Any = "user-1", ou_id: Any = None) -> dict[str, Any]:
    """HTTP API Lambda authorizer context (simple responses)."""
    context: dict[str, Any] = {"principal_id": principal_id}
    if ou_id is not None:
        context["ou_id"] = ou_id
    return {"lambda": context}


def jwt_authorizer(sub: Any = "user-1", **claims: Any) -> dict[str, Any]:
    """HTTP API JWT authorizer context; pass ou_id=... or **{"custom:ou_id": ...}."""
    return {"jwt": {"claims": {"sub": sub, **claims}, "scopes": None}}


def rest_event(
    *,
    path: str = HTTP_API_PATH,
    method: str = "GET",
    authorizer: dict[str, Any] | None = None,
    cookie_header: str | None = None,
    stage: str = "prod",
) -> dict[str, Any]:
    """An API Gateway REST API proxy (payload 1.0) event."""
    headers = {"Accept": "application/json"}
    if cookie_header is not None:
        headers["Cookie"] = cookie_header
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "rest-api-id",
        "httpMethod": method,
        "path": f"/{stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": "req-rest-1",
        "resourcePath": path,
        "stage": stage,
        "identity": {"sourceIp": "192.0.2.1", "userAgent": "pytest"},
    }
    if authorizer is not None:
        request_context["authorizer"] = authorizer
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": None,
        "isBase64Encoded": False,
    }


def rest_authorizer(principal_id: Any = "user-1", ou_id: Any = None) -> dict[str, Any]:
    context: dict[str, Any] = {"principalId": principal_id}
    if ou_id is not None:
        context["ou_id"] = ou_id
    return context


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


def header(response: dict[str, Any], name: str) -> str | None:
    """A response header, case-insensitively, from either payload format."""
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name.lower():
            return str(value)
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == name.lower() and values:
            return str(values[0])
    return None


@dataclass
class OuData:
    """Items of one OU across the step tables, to seed a store or a fake repository."""

    ou_id: str
    integrations: list[dict[str, Any]] = field(default_factory=list)
    scoring_rules: list[dict[str, Any]] = field(default_factory=list)
    engagement_levels: list[dict[str, Any]] = field(default_factory=list)

    def integration(
        self, kind: str = "hubspot", status: str = "connected", **extra: Any
    ) -> "OuData":
        item_id = f"int-{len(self.integrations) + 1:06d}"
        self.integrations.append(
            {
                "ou_id": self.ou_id,
                "integration_id": item_id,
                "kind": kind,
                "status": status,
                **extra,
            }
        )
        return self

    def scoring_rule(
        self, surface: str = "engagement", active: bool = True, **extra: Any
    ) -> "OuData":
        item_id = f"rule-{len(self.scoring_rules) + 1:06d}"
        self.scoring_rules.append(
            {"ou_id": self.ou_id, "rule_id": item_id, "surface": surface, "active": active, **extra}
        )
        return self

    def engagement_level(self, name: str = "Hot", **extra: Any) -> "OuData":
        item_id = f"lvl-{len(self.engagement_levels) + 1:06d}"
        self.engagement_levels.append(
            {
                "ou_id": self.ou_id,
                "level_id": item_id,
                "name": name,
                "min_score": 50,
                "max_score": 100,
                **extra,
            }
        )
        return self

    def complete(self) -> "OuData":
        return self.integration().scoring_rule().engagement_level()


def eventbridge_event(
    detail: Any,
    source: str = "kenbun.provisioning",
    detail_type: str = "Onboarding Check Requested",
) -> dict[str, Any]:
    """An EventBridge event as a rule delivers it to Lambda."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-28T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def sqs_event(*bodies: str) -> dict[str, Any]:
    """An SQS batch as the event source mapping delivers it, one record per body."""
    return {
        "Records": [
            {
                "messageId": f"msg-{index}",
                "receiptHandle": f"handle-{index}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:recheck",
                "awsRegion": "us-east-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


def stream_record(
    ou_id: Any, sequence_number: int, table: str = "test-IntegrationsTable", **keys: Any
) -> dict[str, Any]:
    """A DynamoDB Streams record as Lambda's event source mapping delivers it (KEYS_ONLY).
    ``ou_id`` is the key's attribute value as sent (None: no ou_id key at all)."""
    item_keys = {"integration_id": {"S": "int-1"}, **keys}
    if ou_id is not None:
        item_keys["ou_id"] = {"S": ou_id} if isinstance(ou_id, str) else ou_id
    return {
        "eventID": f"event-{sequence_number}",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795867200,
            "Keys": item_keys,
            "SequenceNumber": str(sequence_number),
            "SizeBytes": 64,
            "StreamViewType": "KEYS_ONLY",
        },
        "eventSourceARN": (
            f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/2026-11-28T12:00:00.000"
        ),
    }


def stream_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}
