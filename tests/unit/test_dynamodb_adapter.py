"""The DynamoDB adapters' requests and error mapping, with botocore's Stubber.

Stubber is used only for what a local server cannot produce on demand: throttling and other
service-side error codes, and the exact request parameters. Behaviour against a real
DynamoDB-compatible server is covered in tests/integration.
"""

import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import ANY, Stubber

from adapters.dynamodb import FIRST_PAGE_SIZE, PAGE_GROWTH, DynamoDbEvidence, DynamoDbMemberships
from domain.checklist import CHECKLIST, EvidenceSource
from domain.errors import DependencyMisconfigured, DependencyUnavailable
from domain.identifiers import OuId, PrincipalId

TABLES = {source: f"t-{source}" for source in EvidenceSource}
CONNECT = CHECKLIST[0].evidence
RULES = CHECKLIST[1].evidence


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        endpoint_url="http://127.0.0.1:9",
    )


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def query_params(table: str, limit: int, start: dict[str, Any] | None = None) -> dict[str, Any]:
    params = {
        "TableName": table,
        "KeyConditionExpression": "ou_id = :ou",
        "FilterExpression": ANY,
        "ExpressionAttributeNames": ANY,
        "ExpressionAttributeValues": ANY,
        "ProjectionExpression": "ou_id",
        "ConsistentRead": True,
        "Limit": limit,
    }
    if start:
        params["ExclusiveStartKey"] = start
    return params


def page(count: int, last_key: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"Count": count, "ScannedCount": max(count, 1), "Items": []}
    if last_key:
        response["LastEvaluatedKey"] = last_key
    return response


def key(n: int) -> dict[str, Any]:
    return {"ou_id": {"S": "ou-1"}, "rule_id": {"S": f"r{n}"}}


def test_membership_read_is_consistent_and_keyed(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "get_item",
        {"Item": {"status": {"S": "active"}}},
        {
            "TableName": "members",
            "Key": {"ou_id": {"S": "ou-1"}, "principal_id": {"S": "alice"}},
            "ConsistentRead": True,
            "ProjectionExpression": "#status",
            "ExpressionAttributeNames": {"#status": "status"},
        },
    )
    assert DynamoDbMemberships(client, "members").is_active_member(
        OuId("ou-1"), PrincipalId("alice")
    )


@pytest.mark.parametrize(
    ("item", "member", "warned"),
    [
        (None, False, False),
        ({}, True, False),
        ({"status": {"S": "active"}}, True, False),
        ({"status": {"S": "suspended"}}, False, False),
        ({"status": {"S": "invited"}}, False, False),
        ({"status": {"S": "Active"}}, False, True),
        ({"status": {"BOOL": True}}, False, True),
    ],
)
def test_membership_status_rules(
    client: Any,
    stub: Stubber,
    caplog: pytest.LogCaptureFixture,
    item: Any,
    member: bool,
    warned: bool,
) -> None:
    """No status is active (the data contract); an unknown status denies, with a warning so
    that a writer's mistake does not go unnoticed."""
    stub.add_response("get_item", {} if item is None else {"Item": item})
    repo = DynamoDbMemberships(client, "members")
    with caplog.at_level(logging.WARNING):
        assert repo.is_active_member(OuId("ou-1"), PrincipalId("alice")) is member
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == (["membership has an unknown status"] if warned else [])


def test_stops_at_the_first_page_with_a_qualifying_item(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "query", page(1, last_key=key(1)), query_params(TABLES[RULES.source], FIRST_PAGE_SIZE)
    )
    # No further response is stubbed: a second Query would fail the test.
    assert DynamoDbEvidence(client, TABLES).first_look(OuId("ou-1"), RULES).outcome()


def test_keeps_paginating_past_filtered_pages_with_growing_pages(
    client: Any, stub: Stubber
) -> None:
    table = TABLES[CONNECT.source]
    second = FIRST_PAGE_SIZE * PAGE_GROWTH
    stub.add_response("query", page(0, key(1)), query_params(table, FIRST_PAGE_SIZE))
    stub.add_response("query", page(0, key(2)), query_params(table, second, key(1)))
    stub.add_response("query", page(1), query_params(table, second * PAGE_GROWTH, key(2)))
    assert DynamoDbEvidence(client, TABLES).first_look(OuId("ou-1"), CONNECT).outcome()


def test_an_exhausted_partition_has_no_evidence(client: Any, stub: Stubber) -> None:
    table = TABLES[RULES.source]
    stub.add_response("query", page(0, key(1)), query_params(table, FIRST_PAGE_SIZE))
    # DynamoDB may return a LastEvaluatedKey and then an empty last page.
    stub.add_response(
        "query",
        {"Count": 0, "ScannedCount": 0, "Items": []},
        query_params(table, FIRST_PAGE_SIZE * PAGE_GROWTH, key(1)),
    )
    assert not DynamoDbEvidence(client, TABLES).first_look(OuId("ou-1"), RULES).outcome()


def test_the_filter_expresses_the_criteria(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "query",
        page(0),
        {
            **query_params(TABLES[CONNECT.source], FIRST_PAGE_SIZE),
            "FilterExpression": (
                "(attribute_not_exists(#origin) OR #origin <> :system_default)"
                " AND #a0 IN (:a0v0, :a0v1, :a0v2, :a0v3, :a0v4) AND #a1 IN (:a1v0)"
            ),
            "ExpressionAttributeNames": {"#origin": "origin", "#a0": "kind", "#a1": "status"},
            "ExpressionAttributeValues": {
                ":ou": {"S": "ou-1"},
                ":system_default": {"S": "system_default"},
                ":a0v0": {"S": "hubspot"},
                ":a0v1": {"S": "sfmc"},
                ":a0v2": {"S": "slack"},
                ":a0v3": {"S": "teams"},
                ":a0v4": {"S": "web_beacon"},
                ":a1v0": {"S": "connected"},
            },
        },
    )
    assert not DynamoDbEvidence(client, TABLES).first_look(OuId("ou-1"), CONNECT).outcome()


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    ],
)
def test_throttling_and_service_errors_are_unavailable(
    client: Any, stub: Stubber, code: str
) -> None:
    stub.add_client_error("query", service_error_code=code, http_status_code=400)
    with pytest.raises(DependencyUnavailable, match=code):
        DynamoDbEvidence(client, TABLES).first_look(OuId("ou-1"), RULES).outcome()


def test_an_unknown_5xx_code_is_unavailable(client: Any, stub: Stubber) -> None:
    stub.add_client_error("get_item", service_error_code="SomethingNew", http_status_code=503)
    with pytest.raises(DependencyUnavailable):
        DynamoDbMemberships(client, "m").is_active_member(OuId("ou-1"), PrincipalId("a"))


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ResourceNotFoundException", 400),
        ("AccessDeniedException", 400),
        ("ValidationException", 400),
        ("SomethingNew", 400),
    ],
)
def test_errors_retrying_cannot_fix_are_misconfiguration(
    client: Any, stub: Stubber, code: str, status: int
) -> None:
    stub.add_client_error("get_item", service_error_code=code, http_status_code=status)
    with pytest.raises(DependencyMisconfigured, match=code):
        DynamoDbMemberships(client, "m").is_active_member(OuId("ou-1"), PrincipalId("a"))


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:9"),
    ],
)
def test_sdk_transport_errors_are_unavailable(error: Exception) -> None:
    class FailingClient:
        def query(self, **_: Any) -> Any:
            raise error

    with pytest.raises(DependencyUnavailable, match=type(error).__name__):
        DynamoDbEvidence(FailingClient(), TABLES).first_look(OuId("ou-1"), RULES).outcome()  # type: ignore[arg-type]
