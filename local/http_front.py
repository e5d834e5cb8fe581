"""A local stand-in for API Gateway (HTTP API, payload 2.0) and its Lambda authorizer.

Each request on 127.0.0.1 becomes the event the deployed API would send, with the authorizer
context of its bearer token, and the function's response becomes the HTTP response. Every
method and path reaches the function, which answers 404 and 405 itself, except the paths of an
optional local site (demo page, API docs: local.site), which only exist locally.

The front answers a few requests itself, with the service's JSON error body, before reading a
body or calling the function: a Host other than this server's (421), and a Content-Length
that is malformed (400) or larger than API Gateway accepts (413).
"""

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Self
from urllib.parse import urlsplit

from local.api_gateway_events import http_api_event
from local.background import BackgroundService
from local.demo_data import DEMO_TOKENS
from local.embedded_store import LOOPBACK
from local.lambda_runtime import LambdaHandler, new_context

BEARER: Final = "bearer"
BODILESS_STATUSES: Final = frozenset({204, 304})
# What API Gateway answers when the integration itself fails (the function raised).
INTEGRATION_FAILURE: Final = (500, b'{"message":"Internal Server Error"}')
# API Gateway's payload limit: a larger body never reaches a deployed function either. The front
# refuses a larger declared length before reading anything, so no request can make it allocate
# more than this.
MAX_BODY_BYTES: Final = 10 * 1024 * 1024
# The names a browser on this machine uses for the front. A page whose own name DNS rebinding
# pointed at 127.0.0.1 sends that name in Host: refused, so it cannot read the API's answers.
LOCAL_HOST_NAMES: Final = ("127.0.0.1", "localhost")

_log = logging.getLogger(__name__)

TokenContexts = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class ReceivedRequest:
    """What the front read off the socket."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str
    protocol: str


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class LocalSite:
    """Local-only pages served beside the function: a handler of the same events, and the
    paths it answers (every other path goes to the function)."""

    handler: LambdaHandler
    paths: frozenset[str]


class Refused(Exception):
    """A request the front answers itself, with the usual JSON error body, never calling the
    function."""

    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        body = json.dumps({"code": code, "message": message}, separators=(",", ":")).encode()
        self.answer = HttpAnswer(int(status), [("Content-Type", "application/json")], body)


def check_host(values: list[str], port: int) -> None:
    """Refused unless the request names this server: 127.0.0.1 or localhost with its port
    (bare, only on port 80, which a Host without a port means)."""
    allowed = {f"{name}:{port}" for name in LOCAL_HOST_NAMES}
    if port == 80:
        allowed.update(LOCAL_HOST_NAMES)
    if len(values) != 1 or values[0].strip().lower() not in allowed:
        raise Refused(
            HTTPStatus.MISDIRECTED_REQUEST,
            "misdirected_request",
            f"This server answers only for 127.0.0.1:{port} and localhost:{port}.",
        )


def body_length(values: list[str]) -> int:
    """The declared Content-Length (0 when absent), or Refused: 400 unless it is one run of
    digits (repeated lines must agree), 413 above MAX_BODY_BYTES."""
    if not values:
        return 0
    declared = {value.strip() for value in values}
    digits = declared.pop() if len(declared) == 1 else ""
    if not (digits.isascii() and digits.isdigit()):
        raise Refused(HTTPStatus.BAD_REQUEST, "bad_request", "Content-Length must be a number.")
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(MAX_BODY_BYTES)) or int(significant) > MAX_BODY_BYTES:
        raise Refused(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "payload_too_large",
            f"The request body may be at most {MAX_BODY_BYTES} bytes.",
        )
    return int(significant)


def authorizer_for(headers: list[tuple[str, str]], tokens: TokenContexts) -> dict[str, Any] | None:
    """The Lambda authorizer context of the request's bearer token; None for none or unknown,
    so the event carries no authorizer and the function itself answers 401."""
    authorization = next((v for k, v in headers if k.lower() == "authorization"), "")
    scheme, _, token = authorization.partition(" ")
    context = tokens.get(token.strip()) if scheme.lower() == BEARER else None
    return None if context is None else {"lambda": dict(context)}


def event_for(request: ReceivedRequest, tokens: TokenContexts) -> dict[str, Any]:
    target = urlsplit(request.target)
    return http_api_event(
        request.method,
        target.path or "/",
        query=target.query,
        headers=request.headers,
        authorizer=authorizer_for(request.headers, tokens),
        body=request.body,
        source_ip=request.client_ip,
        protocol=request.protocol,
    )


def answer_from(result: Mapping[str, Any], request_id: str) -> HttpAnswer:
    """The HTTP response for a payload 2.0 function result (headers, cookies, body)."""
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    headers += [("Set-Cookie", cookie) for cookie in result.get("cookies") or ()]
    headers.append(("Apigw-Requestid", request_id))
    raw_body = result.get("body") or ""
    body = base64.b64decode(raw_body) if result.get("isBase64Encoded") else raw_body.encode()
    return HttpAnswer(int(result["statusCode"]), headers, body)


class LocalHttpFront(BackgroundService):
    """Serves the function over HTTP on 127.0.0.1 from a background thread.

    ``port=0`` picks a free port; ``url`` tells which. Use as a context manager, or call
    ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        handler: LambdaHandler,
        *,
        port: int = 0,
        tokens: TokenContexts = DEMO_TOKENS,
        site: LocalSite | None = None,
    ) -> None:
        self._handler = handler
        self._tokens = tokens
        self._site = site
        # Lambda hands an execution environment one event at a time, and the handler relies on
        # it: Powertools keeps the current event in class attributes (BaseRouter.current_event)
        # and pending metrics in a class-level dict. The server's threads would mix requests
        # up, so invocations take turns, as in one warm execution environment.
        self._invocation_lock = threading.Lock()
        self._server = _FrontServer(port, self.respond)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(self, request: ReceivedRequest) -> HttpAnswer:
        event = event_for(request, self._tokens)
        request_id = event["requestContext"]["requestId"]
        handler = self._handler
        if self._site is not None and event["rawPath"] in self._site.paths:
            handler = self._site.handler
        try:
            with self._invocation_lock:
                result = handler(event, new_context())
            return answer_from(result, request_id)
        except Exception:
            _log.exception("the function raised or answered malformed; API Gateway says 500")
            status, body = INTEGRATION_FAILURE
            return HttpAnswer(status, [("Content-Type", "application/json")], body)

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-http-front", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def close(self) -> None:
        """Release the port, whether or not it was ever started (contextlib.closing)."""
        self.stop()


class _FrontServer(ThreadingHTTPServer):
    # Loopback only: the demo tokens are no protection for anything reachable from elsewhere.
    def __init__(self, port: int, respond: Callable[[ReceivedRequest], HttpAnswer]) -> None:
        super().__init__((LOOPBACK, port), _RequestHandler)
        self.respond = respond


class _RequestHandler(BaseHTTPRequestHandler):
    server: _FrontServer

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server dispatches a request to do_<METHOD>. Every method goes to the function,
        # which decides what is allowed (405 with Allow: GET), as behind API Gateway.
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)

    def _forward(self) -> None:
        started = time.perf_counter()
        try:
            answer = self.server.respond(self._received())
        except Refused as refused:
            answer = refused.answer
        self.send_response(answer.status)
        for name, value in _without_length(answer.headers):
            self.send_header(name, value)
        # 304 and 204 have no content, not even an empty one (RFC 9110 8.6, 15.3.5, 15.4.5).
        has_content = answer.status not in BODILESS_STATUSES
        if has_content:
            self.send_header("Content-Length", str(len(answer.body)))
        # Logged before anything is sent, so no client sees its answer before the line exists.
        elapsed_ms = (time.perf_counter() - started) * 1000
        _log.info("%s %s %d %.0f ms", self.command, self.path, answer.status, elapsed_ms)
        self.end_headers()
        if has_content and self.command != "HEAD":
            self.wfile.write(answer.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Not http.server's access line on stderr: _forward logs each request, with its time."""

    def _received(self) -> ReceivedRequest:
        """The request, or Refused before its body is read."""
        check_host(_all(self.headers, "Host"), self.server.server_address[1])
        length = body_length(_all(self.headers, "Content-Length"))
        return ReceivedRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=self.rfile.read(length) if length > 0 else b"",
            client_ip=self.client_address[0],
            protocol=self.request_version,
        )


def _all(headers: Message, name: str) -> list[str]:
    return [str(value) for value in headers.get_all(name, [])]


def _without_length(headers: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """The front sets Content-Length itself, from the body it actually writes."""
    return ((name, value) for name, value in headers if name.lower() != "content-length")
