"""The local server over real HTTP: local.http_front in front of the function, the embedded
store seeded with the demo data behind it."""

import base64
import http.client
import json
import logging
import re
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit

import pytest

from local.http_front import MAX_BODY_BYTES, LocalHttpFront
from local.serve import ALIAS_PATH, DEMO_REQUESTS, STATUS_PATH
from tests.seeded_local_stack import seeded_local_stack

pytestmark = pytest.mark.e2e

DOCUMENTED_EXAMPLE = json.loads(
    (Path(__file__).parents[1] / "data" / "documented_example.json").read_text(encoding="utf-8")
)
# No proxy from the environment may stand between the tests and 127.0.0.1.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def front() -> Iterator[LocalHttpFront]:
    with seeded_local_stack() as handler, LocalHttpFront(handler, port=0) as running:
        yield running


def call(
    front: LocalHttpFront,
    path: str = STATUS_PATH,
    *,
    token: str | None = "demo-user-token",
    cookie: str | None = None,
    method: str = "GET",
) -> Reply:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if cookie is not None:
        headers["Cookie"] = cookie
    request = urllib.request.Request(f"{front.url}{path}", headers=headers, method=method)
    try:
        with _opener.open(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read())
    except HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read())


def test_partial_ou_by_cookie_returns_the_documented_example(front: LocalHttpFront) -> None:
    reply = call(front, cookie="activeOu=ou-partial")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == DOCUMENTED_EXAMPLE


@pytest.mark.parametrize(
    ("token", "cookie"),
    [
        ("demo-user-token", "activeOu=ou-partial"),
        ("demo-user-token", "activeOu=ou-restricted"),
        (None, "activeOu=ou-partial"),
    ],
)
def test_both_paths_answer_the_same(front: LocalHttpFront, token: str | None, cookie: str) -> None:
    main = call(front, STATUS_PATH, token=token, cookie=cookie)
    alias = call(front, ALIAS_PATH, token=token, cookie=cookie)
    assert (alias.status, alias.body) == (main.status, main.body)


def test_a_token_bound_to_an_ou_needs_no_cookie(front: LocalHttpFront) -> None:
    reply = call(front, token="demo-partial-token")
    assert reply.status == 200
    assert reply.json() == DOCUMENTED_EXAMPLE


def test_the_cookie_is_read_among_others(front: LocalHttpFront) -> None:
    reply = call(front, cookie="theme=dark; activeOu=ou-partial; lang=en")
    assert reply.status == 200
    assert reply.json() == DOCUMENTED_EXAMPLE


@pytest.mark.parametrize("token", [None, "no-such-token"])
def test_without_a_known_token_the_answer_is_401(front: LocalHttpFront, token: str | None) -> None:
    reply = call(front, token=token, cookie="activeOu=ou-partial")
    assert reply.status == 401
    assert reply.json()["code"] == "unauthorized"


@pytest.mark.parametrize("ou_id", ["ou-restricted", "ou-suspended"])
def test_an_ou_the_caller_may_not_see_is_403(front: LocalHttpFront, ou_id: str) -> None:
    reply = call(front, cookie=f"activeOu={ou_id}")
    assert reply.status == 403
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == "forbidden"
    assert isinstance(body["message"], str)
    assert body["message"]


def test_post_is_405_with_allow_get(front: LocalHttpFront) -> None:
    reply = call(front, cookie="activeOu=ou-partial", method="POST")
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET"
    assert reply.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_unknown_path_is_404(front: LocalHttpFront, method: str) -> None:
    reply = call(front, "/onboarding/nothing-here", method=method)
    assert reply.status == 404
    assert reply.json()["code"] == "not_found"


def test_each_request_is_one_line_of_method_target_status_and_milliseconds(
    front: LocalHttpFront, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="local.http_front")
    call(front, f"{STATUS_PATH}?page=1", method="DELETE")
    (line,) = [record.getMessage() for record in caplog.records]
    assert re.fullmatch(rf"DELETE {STATUS_PATH}\?page=1 405 \d+ ms", line), line


def test_the_front_listens_on_loopback_only(front: LocalHttpFront) -> None:
    url = urlsplit(front.url)
    assert url.hostname == "127.0.0.1"
    assert url.port


@pytest.mark.parametrize("demo", DEMO_REQUESTS, ids=lambda demo: demo.title)
def test_every_advertised_curl_gets_its_advertised_status(front: LocalHttpFront, demo: Any) -> None:
    """The commands local.serve prints promise a status each; keep those promises true."""
    reply = call(front, demo.path, token=demo.bearer, cookie=demo.cookie, method=demo.method)
    assert reply.status == demo.expected_status


def test_concurrent_requests_each_get_their_own_answer(front: LocalHttpFront) -> None:
    """Requests in flight together each get the answer for their own OU."""
    cookies = ["activeOu=ou-partial", "activeOu=ou-complete", "activeOu=ou-restricted"] * 6
    with ThreadPoolExecutor(max_workers=len(cookies)) as pool:
        replies = list(pool.map(lambda cookie: call(front, cookie=cookie), cookies))
    for cookie, reply in zip(cookies, replies, strict=True):
        if cookie.endswith("ou-restricted"):
            assert reply.status == 403
        else:
            assert reply.status == 200
            assert reply.json()["all_complete"] is cookie.endswith("ou-complete")


def test_the_handler_sees_one_event_at_a_time() -> None:
    """As in one Lambda execution environment: Powertools keeps per-request state in class
    attributes, so the front must never run two invocations at once."""
    overlaps: list[int] = []
    active = [0]

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        active[0] += 1
        overlaps.append(active[0])
        # Stay inside long enough for the other requests to arrive: without the front's lock
        # they would enter too and the count would exceed one.
        time.sleep(0.05)
        active[0] -= 1
        return {"statusCode": 204, "headers": {}, "body": ""}

    with LocalHttpFront(handler, port=0) as front, ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: call(front, token=None), range(8)))
    assert [reply.status for reply in replies] == [204] * 8
    assert overlaps == [1] * 8


# --- the front with a stand-in function: what reaches it, what comes back ------------------


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"X-Echo": "1"}, "body": json.dumps(event)}


@pytest.fixture(scope="module")
def echo_front() -> Iterator[LocalHttpFront]:
    with LocalHttpFront(echo, port=0) as running:
        yield running


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/any/where"), ("PURGE", "/onboarding/status"), ("PUT", "/")]
)
def test_every_method_and_path_reaches_the_function(
    echo_front: LocalHttpFront, method: str, path: str
) -> None:
    event = call(echo_front, f"{path}?a=1", method=method).json()
    assert event["requestContext"]["http"]["method"] == method
    assert (event["rawPath"], event["rawQueryString"]) == (path, "a=1")


def test_the_event_is_what_api_gateway_and_the_authorizer_would_send(
    echo_front: LocalHttpFront,
) -> None:
    event = call(echo_front, token="demo-partial-token", cookie="activeOu=ou-x; b=2").json()
    assert event["version"] == "2.0"
    assert event["cookies"] == ["activeOu=ou-x", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["accept"] == "application/json"
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"principal_id": "demo-user", "ou_id": "ou-partial"}
    }
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"


def test_a_head_answer_has_headers_but_no_body(echo_front: LocalHttpFront) -> None:
    reply = call(echo_front, method="HEAD")
    assert reply.status == 200
    assert reply.headers["X-Echo"] == "1"
    assert reply.body == b""


def test_a_function_that_raises_is_a_500_as_behind_api_gateway() -> None:
    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    with LocalHttpFront(broken, port=0) as front:
        reply = call(front)
    assert reply.status == 500
    assert reply.json() == {"message": "Internal Server Error"}


# --- what the front refuses itself: hostile lengths, foreign Host names --------------------


def raw_call(
    front: LocalHttpFront, headers: list[tuple[str, str]], *, method: str = "GET", body: bytes = b""
) -> Reply:
    """A request with exactly these headers (Host and Content-Length included, or not)."""
    url = urlsplit(front.url)
    connection = http.client.HTTPConnection(str(url.hostname), url.port, timeout=30)
    try:
        connection.putrequest(method, STATUS_PATH, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders(body or None)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def own_host(front: LocalHttpFront) -> tuple[str, str]:
    return ("Host", urlsplit(front.url).netloc)


def assert_refused(reply: Reply, status: int, code: str) -> None:
    """Answered by the front with the service's JSON error body; the function never ran."""
    assert reply.status == status
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["X-Echo"] is None
    body = reply.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code


@pytest.mark.parametrize(
    "length",
    ["100000000000", str(MAX_BODY_BYTES + 1), "9" * 5000],
    ids=["1e11", "max+1", "5000-digits"],
)
def test_a_content_length_over_the_limit_is_413_and_nothing_is_read(
    echo_front: LocalHttpFront, capfd: pytest.CaptureFixture[str], length: str
) -> None:
    reply = raw_call(echo_front, [own_host(echo_front), ("Content-Length", length)], method="POST")
    assert_refused(reply, 413, "payload_too_large")
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    "lengths",
    [["abc"], ["-1"], ["+5"], ["1e3"], ["0x10"], [" "], ["\u00b2"], ["5", "6"], ["5, 6"]],
    ids=[
        "letters",
        "negative",
        "plus",
        "exponent",
        "hex",
        "blank",
        "superscript-two",
        "two",
        "list",
    ],
)
def test_a_malformed_content_length_is_400(
    echo_front: LocalHttpFront, capfd: pytest.CaptureFixture[str], lengths: list[str]
) -> None:
    headers = [own_host(echo_front), *(("Content-Length", length) for length in lengths)]
    reply = raw_call(echo_front, headers, method="POST")
    assert_refused(reply, 400, "bad_request")
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_within_the_limit_reaches_the_function(echo_front: LocalHttpFront) -> None:
    headers = [own_host(echo_front), ("Content-Length", "005")]
    event = raw_call(echo_front, headers, method="POST", body=b"hello").json()
    assert base64.b64decode(event["body"]) == b"hello"


@pytest.mark.parametrize(
    "hosts",
    [
        ["evil.example:{port}"],  # DNS rebinding: the page's own name, pointed at 127.0.0.1
        ["localhost.evil.example:{port}"],
        ["127.0.0.1:{other}"],
        ["127.0.0.1"],  # no port means port 80: another server
        ["localhost"],
        ["[::1]:{port}"],  # the front listens on IPv4 only
        [],
        ["127.0.0.1:{port}", "evil.example:{port}"],
    ],
    ids=["rebound", "suffix", "other-port", "bare-ip", "bare-name", "ipv6", "none", "two"],
)
def test_a_foreign_host_is_421_and_never_reaches_the_function(
    echo_front: LocalHttpFront, hosts: list[str]
) -> None:
    """421 Misdirected Request: this server does not answer for that name."""
    port = urlsplit(echo_front.url).port or 0
    headers = [("Host", host.format(port=port, other=port + 1)) for host in hosts]
    assert_refused(raw_call(echo_front, headers), 421, "misdirected_request")


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LocalHost"])
def test_the_front_answers_for_its_own_names_and_port(
    echo_front: LocalHttpFront, name: str
) -> None:
    port = urlsplit(echo_front.url).port
    reply = raw_call(echo_front, [("Host", f"{name}:{port}")])
    assert reply.status == 200
    assert reply.headers["X-Echo"] == "1"
