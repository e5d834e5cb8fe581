"""A fault-injecting HTTP proxy on 127.0.0.1, between the code under test and a local AWS
stand-in (moto's server), for AWS's JSON protocols (DynamoDB, EventBridge).

Point boto3 at it with AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_EVENTBRIDGE, as at any
endpoint. Every request is forwarded untouched unless a rule matches it: by operation (the
X-Amz-Target header, e.g. ``DynamoDB_20120810.Query`` or ``AWSEvents.PutEvents``), optionally
by table (``TableName`` in the JSON body) and by a text the body contains. A matching request
gets the rule's fault instead: a service error, a delay past the client's read timeout, a
closed connection, a garbled or truncated body, or a response lost after the upstream acted.

Every request is recorded, so a test can count the SDK's attempts per operation.
"""

import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Self
from urllib.parse import urlsplit

from local.background import BackgroundService

LOOPBACK: Final = "127.0.0.1"
JSON_CONTENT_TYPE: Final = "application/x-amz-json-1.0"
_HOP_BY_HOP: Final = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class ServiceError:
    """An error response as the service sends it: status and a JSON body naming the code."""

    status: int
    code: str

    def body(self) -> bytes:
        error = {"__type": f"com.amazonaws.dynamodb.v20120810#{self.code}", "message": "injected"}
        return json.dumps(error).encode()


@dataclass(frozen=True)
class Delay:
    """No answer for ``seconds`` (longer than the client's read timeout), then the connection
    closes. The request never reaches the upstream."""

    seconds: float


@dataclass(frozen=True)
class CloseConnection:
    """The connection closes after the request is read, with no response at all."""


@dataclass(frozen=True)
class Garbage:
    """A 200 response whose body is not the operation's JSON: ``body`` instead of it."""

    body: bytes = b"<html><body>502 Bad Gateway</body></html>"


@dataclass(frozen=True)
class Truncated:
    """The upstream's real response, cut off half way through its body (its Content-Length
    promises the whole), then the connection closes. The upstream has acted on the request."""


@dataclass(frozen=True)
class LoseResponse:
    """The request reaches the upstream, which acts on it, but its response is lost: the
    connection closes before the client hears anything."""


Fault = ServiceError | Delay | CloseConnection | Garbage | Truncated | LoseResponse


@dataclass(frozen=True)
class Rule:
    """Which requests get a fault. ``times`` limits how many do (None: every one)."""

    target: str
    fault: Fault
    table: str | None = None
    body_contains: str | None = None
    times: int | None = None

    def matches(self, target: str, table: str | None, body: bytes) -> bool:
        return (
            target == self.target
            and (self.table is None or table == self.table)
            and (self.body_contains is None or self.body_contains.encode() in body)
        )


@dataclass(frozen=True)
class SeenRequest:
    target: str
    table: str | None
    fault: Fault | None


class FaultProxy(BackgroundService):
    """The proxy, serving from a background thread on 127.0.0.1 (port 0 picks a free one)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.hostname != LOOPBACK or parts.port is None:
            raise ValueError(f"the upstream must be http://{LOOPBACK}:PORT, not {upstream}")
        self._upstream = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self._rules: list[list[Any]] = []  # [rule, how many more it may fault (None: all)]
        self._seen: list[SeenRequest] = []
        self._items_read: list[tuple[str | None, bytes, int]] = []
        self._stopping = threading.Event()
        self._server = _ProxyServer(self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def inject(self, *rules: Rule) -> None:
        with self._lock:
            self._rules.extend([rule, rule.times] for rule in rules)

    def heal(self) -> None:
        """Forward everything from now on."""
        with self._lock:
            self._rules.clear()

    def requests(self, target: str | None = None, table: str | None = None) -> list[SeenRequest]:
        with self._lock:
            return [
                seen
                for seen in self._seen
                if (target is None or seen.target == target)
                and (table is None or seen.table == table)
            ]

    def attempts(self, target: str, table: str | None = None) -> int:
        return len(self.requests(target, table))

    def forget_requests(self) -> None:
        with self._lock:
            self._seen.clear()
            self._items_read.clear()

    def note_items_read(self, table: str | None, request: bytes, response: bytes) -> None:
        """Record the items a forwarded read examined (ScannedCount; 1 for a found item)."""
        try:
            answer = json.loads(response)
        except ValueError:
            return
        read = answer.get("ScannedCount", 1 if "Item" in answer else 0)
        with self._lock:
            self._items_read.append((table, request, int(read)))

    def items_read(self, table: str, body_contains: str) -> int:
        """Items examined on ``table`` by forwarded requests whose body contains the text (an
        OU id, say): what those requests cost in read capacity, item for item."""
        with self._lock:
            return sum(
                read
                for seen_table, request, read in self._items_read
                if seen_table == table and body_contains.encode() in request
            )

    def fault_for(self, target: str, table: str | None, body: bytes) -> Fault | None:
        """The fault for this request (or None), recorded with it."""
        with self._lock:
            fault = None
            for entry in self._rules:
                rule, remaining = entry
                if rule.matches(target, table, body) and remaining != 0:
                    fault = rule.fault
                    if remaining is not None:
                        entry[1] = remaining - 1
                    break
            self._seen.append(SeenRequest(target, table, fault))
            return fault

    def forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Any:
        """The upstream's answer: (status, headers, body)."""
        connection = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            connection.request(method, path, body=body, headers=dict(headers))
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up when the proxy stops."""
        self._stopping.wait(seconds)

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fault-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: FaultProxy) -> None:
        super().__init__((LOOPBACK, 0), _ProxyHandler)
        self.proxy = proxy


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        fault = self.server.proxy.fault_for(target, _table_of(body), body)
        try:
            self._answer(fault, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first (its read timeout)

    def _answer(self, fault: Fault | None, body: bytes) -> None:
        proxy = self.server.proxy
        match fault:
            case None:
                status, headers, answer = proxy.forward(
                    "POST", self.path, list(self.headers.items()), body
                )
                proxy.note_items_read(_table_of(body), body, answer)
                self._send(status, headers, answer)
            case ServiceError():
                self._send(fault.status, [("Content-Type", JSON_CONTENT_TYPE)], fault.body())
            case Delay():
                proxy.wait(fault.seconds)
                self.close_connection = True
            case CloseConnection():
                self.close_connection = True
            case LoseResponse():
                proxy.forward("POST", self.path, list(self.headers.items()), body)
                self.close_connection = True
            case Garbage():
                self._send(200, [("Content-Type", JSON_CONTENT_TYPE)], fault.body)
            case Truncated():
                status, headers, upstream_body = proxy.forward(
                    "POST", self.path, list(self.headers.items()), body
                )
                self._send(status, headers, upstream_body, cut=True)

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, *, cut: bool = False
    ) -> None:
        """Answer with ``body``, or (``cut``) with its first half only, then hang up."""
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if cut else body)
        if cut:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the proxy's record instead."""


def _table_of(body: bytes) -> str | None:
    try:
        table = json.loads(body).get("TableName")
    except (ValueError, AttributeError):
        return None
    return table if isinstance(table, str) else None
