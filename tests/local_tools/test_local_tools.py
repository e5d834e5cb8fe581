"""The local tools' own logic, without servers: event building, the authorizer stand-in, how
responses are written back and printed, the demo curl commands."""

import base64
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from local.api_gateway_events import http_api_event, split_cookie_header
from local.cfn_template import create_table_requests, load_template
from local.embedded_store import LOOPBACK, embedded_dynamodb
from local.http_front import answer_from, authorizer_for
from local.invoke import readable
from local.serve import DemoRequest
from local.stream_poller import StreamPoller, _Shard, lambda_record

# --- API Gateway HTTP API events -----------------------------------------------------------


def test_the_cookie_header_becomes_the_cookies_list() -> None:
    event = http_api_event(headers={"Cookie": "a=1; activeOu=ou-partial;  b=2"})
    assert event["cookies"] == ["a=1", "activeOu=ou-partial", "b=2"]
    assert "cookie" not in event["headers"]


def test_header_names_are_lower_cased_and_repeats_joined() -> None:
    event = http_api_event(
        headers=[("X-Trace", "1"), ("x-trace", "2"), ("Cookie", "a=1"), ("Cookie", "b=2")]
    )
    assert event["headers"] == {"x-trace": "1,2"}
    assert event["cookies"] == ["a=1", "b=2"]


def test_without_cookies_there_is_no_cookies_key() -> None:
    assert "cookies" not in http_api_event()
    assert http_api_event(cookies=[])["cookies"] == []


def test_a_body_arrives_base64_encoded() -> None:
    event = http_api_event("POST", "/x", body=b'{"a": 1}')
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b'{"a": 1}'
    assert "body" not in http_api_event()


def test_request_context_of_a_named_stage() -> None:
    event = http_api_event(
        "GET",
        "/onboarding/status",
        stage="prod",
        headers={"User-Agent": "curl/8"},
        received_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        authorizer={"lambda": {"principal_id": "p"}},
    )
    context = event["requestContext"]
    assert event["rawPath"] == context["http"]["path"] == "/prod/onboarding/status"
    assert event["routeKey"] == context["routeKey"] == "GET /onboarding/status"
    assert context["http"]["userAgent"] == "curl/8"
    assert context["time"] == "02/Jan/2026:03:04:05 +0000"
    assert context["timeEpoch"] == 1767323045000
    assert context["authorizer"] == {"lambda": {"principal_id": "p"}}
    uuid.UUID(context["requestId"])


def test_split_cookie_header_ignores_empty_pieces() -> None:
    assert split_cookie_header(" ; a=1;;") == ["a=1"]


# --- the authorizer stand-in and the HTTP answer -------------------------------------------

TOKENS = {"good": {"principal_id": "p", "ou_id": "ou-1"}}


@pytest.mark.parametrize("authorization", ["Bearer good", "bearer good", "Bearer  good "])
def test_a_known_bearer_token_gives_its_context(authorization: str) -> None:
    headers = [("Authorization", authorization)]
    assert authorizer_for(headers, TOKENS) == {"lambda": {"principal_id": "p", "ou_id": "ou-1"}}


@pytest.mark.parametrize(
    "headers", [[], [("Authorization", "Bearer bad")], [("Authorization", "Basic good")]]
)
def test_no_or_unknown_token_gives_no_authorizer(headers: list[tuple[str, str]]) -> None:
    assert authorizer_for(headers, TOKENS) is None


def test_answer_carries_headers_cookies_and_decoded_body() -> None:
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain"},
        "cookies": ["a=1; Path=/"],
        "body": base64.b64encode(b"hi").decode(),
        "isBase64Encoded": True,
    }
    answer = answer_from(result, "req-1")
    assert answer.status == 201
    assert answer.body == b"hi"
    assert ("Set-Cookie", "a=1; Path=/") in answer.headers
    assert ("Apigw-Requestid", "req-1") in answer.headers


# --- what local.invoke prints ---------------------------------------------------------------


def test_readable_merges_rest_headers_and_parses_json_bodies() -> None:
    response = {
        "statusCode": 200,
        "multiValueHeaders": {"Vary": ["Authorization", "Cookie"]},
        "headers": {"Content-Type": "application/json"},
        "body": '{"a": 1}',
    }
    assert readable(response) == {
        "statusCode": 200,
        "headers": {"Vary": "Authorization, Cookie", "Content-Type": "application/json"},
        "body": {"a": 1},
    }


@pytest.mark.parametrize(("body", "shown"), [("plain", "plain"), ("", None), (None, None)])
def test_readable_keeps_other_bodies(body: str | None, shown: str | None) -> None:
    assert readable({"statusCode": 204, "body": body})["body"] == shown


# --- local.serve ----------------------------------------------------------------------------


def test_demo_curl_commands_are_shell_quoted() -> None:
    request = DemoRequest("t", 405, cookie="activeOu=ou-partial", method="POST")
    assert request.curl("http://127.0.0.1:3000") == (
        "curl -si -X POST http://127.0.0.1:3000/onboarding/status"
        " -H 'Authorization: Bearer demo-user-token' --cookie activeOu=ou-partial"
    )


def test_a_taken_store_port_fails_instead_of_hanging() -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=r"(?i)address"), embedded_dynamodb(port):
            pass


# --- local.cfn_template and local.stream_poller --------------------------------------------------


def test_a_tables_stream_specification_reaches_create_table() -> None:
    template = load_template()
    table = template["Resources"]["IntegrationsTable"]["Properties"]
    table["StreamSpecification"] = {"StreamViewType": "KEYS_ONLY"}
    requests = create_table_requests(template, {"INTEGRATIONS_TABLE": "t-integrations"})
    assert requests[0]["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "KEYS_ONLY",
    }


def test_a_get_records_record_becomes_what_lambda_delivers() -> None:
    record = {
        "eventID": "e-1",
        "eventName": "MODIFY",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 28, 12, tzinfo=UTC),
            "Keys": {"ou_id": {"S": "ou-1"}},
            "SequenceNumber": "100",
            "SizeBytes": 20,
            "StreamViewType": "KEYS_ONLY",
        },
    }
    delivered = lambda_record(record, "arn:stream")
    assert delivered["eventVersion"] == "1.1"
    assert delivered["eventSourceARN"] == "arn:stream"
    assert delivered["dynamodb"]["ApproximateCreationDateTime"] == 1795867200
    assert delivered["dynamodb"]["Keys"] == {"ou_id": {"S": "ou-1"}}


def poller_with(handler: Any, max_retries: int = 2) -> StreamPoller:
    # No table, so start() is never needed: _poll and _deliver are driven by hand.
    return StreamPoller("http://127.0.0.1:9", [], handler, retry_seconds=0, max_retries=max_retries)


def records(*sequence_numbers: int) -> list[dict[str, Any]]:
    return [{"dynamodb": {"SequenceNumber": str(n)}} for n in sequence_numbers]


def test_the_poller_redelivers_from_the_lowest_reported_sequence_number() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}

    assert poller_with(handler)._deliver(records(1, 2, 3, 4)) == records(2, 3, 4)


def test_the_poller_redelivers_the_whole_batch_when_the_invocation_fails() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("function error")

    assert poller_with(handler)._deliver(records(1, 2)) == records(1, 2)


def test_the_poller_drops_a_batch_after_its_retries(capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": "1"}]}

    poller = poller_with(handler, max_retries=2)
    shard = _Shard("arn:stream", iterator=None, pending=records(1, 2))
    for _ in range(5):
        poller._poll(shard)
    assert calls == [2, 2, 2]  # the first delivery and two retries
    assert shard.pending == []
    assert "dropped 2 records after 2 retries" in capsys.readouterr().err
