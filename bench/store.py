"""The benchmark's DynamoDB: moto's server plus delaying proxies, in a process of their own.

``python -m bench.store --delays-ms 0,20,50`` starts moto's server on 127.0.0.1 and, per delay,
an HTTP proxy on 127.0.0.1 that waits that long before forwarding each request to it: a fixed
network and service time for every DynamoDB call, over real sockets. It prints the endpoints as
one JSON line and runs until its standard input closes (the benchmark ended) or its lifetime
runs out, whichever comes first.

A process apart from the one being measured, so moto's own work never competes with the
handler for the interpreter lock.
"""

import argparse
import http.client
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import urlsplit

from local.embedded_store import LOOPBACK, embedded_dynamodb

MAX_LIFETIME_SECONDS: Final = 20 * 60
START_TIMEOUT_SECONDS: Final = 60
HOP_BY_HOP: Final = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class DelayingProxy(ThreadingHTTPServer):
    """Forwards every POST to one upstream after a fixed delay, over kept-alive connections."""

    daemon_threads = True

    def __init__(self, upstream: str, delay_seconds: float) -> None:
        super().__init__((LOOPBACK, 0), _Forward)
        self.upstream = urlsplit(upstream)
        self.delay_seconds = delay_seconds
        self.local = threading.local()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def connection(self) -> http.client.HTTPConnection:
        """One upstream connection per proxy thread, as a client's pool would keep."""
        connection: http.client.HTTPConnection | None = getattr(self.local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(
                self.upstream.hostname or LOOPBACK, self.upstream.port, timeout=120
            )
            self.local.connection = connection
        return connection


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like DynamoDB's endpoints
    disable_nagle_algorithm = True  # no 40 ms wait for a delayed ACK between writes
    server: DelayingProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(self.server.delay_seconds)
        connection = self.server.connection()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            connection.request("POST", self.path, body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self.send_error(502)
            return
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark prints its own results."""


@contextmanager
def delaying_proxies(upstream: str, delays_ms: list[int]) -> Iterator[dict[int, str]]:
    proxies = {delay: DelayingProxy(upstream, delay / 1000) for delay in delays_ms}
    threads = [threading.Thread(target=p.serve_forever, daemon=True) for p in proxies.values()]
    for thread in threads:
        thread.start()
    try:
        yield {delay: proxy.url for delay, proxy in proxies.items()}
    finally:
        for proxy in proxies.values():
            proxy.shutdown()
            proxy.server_close()


def _exit_when_abandoned(lifetime_seconds: float) -> None:
    """End the process once the benchmark closes stdin, or at the end of its lifetime."""
    watchdog = threading.Timer(lifetime_seconds, os._exit, args=(1,))
    watchdog.daemon = True
    watchdog.start()
    sys.stdin.read()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store")
    parser.add_argument("--delays-ms", default="0", help="comma-separated proxy delays")
    parser.add_argument("--lifetime-seconds", type=float, default=MAX_LIFETIME_SECONDS)
    args = parser.parse_args()
    delays = [int(delay) for delay in args.delays_ms.split(",")]
    with embedded_dynamodb() as endpoint, delaying_proxies(endpoint, delays) as proxies:
        print(json.dumps({"store": endpoint, "proxies": proxies}), flush=True)
        _exit_when_abandoned(args.lifetime_seconds)


@dataclass(frozen=True)
class StoreEndpoints:
    store: str
    proxies: dict[int, str]


@contextmanager
def store_process(delays_ms: list[int], lifetime_seconds: float) -> Iterator[StoreEndpoints]:
    """Run ``python -m bench.store`` for the block's duration; yield its endpoints."""
    command = [sys.executable, "-m", "bench.store", "--delays-ms", ",".join(map(str, delays_ms))]
    command += ["--lifetime-seconds", str(lifetime_seconds)]
    # Our own module under our own interpreter: no untrusted input reaches the command.
    process = subprocess.Popen(  # noqa: S603
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_SECONDS)
        if not ready:
            raise TimeoutError("the benchmark's store did not start in time")
        started = json.loads(process.stdout.readline())
        proxies = {int(delay): url for delay, url in started["proxies"].items()}
        yield StoreEndpoints(started["store"], proxies)
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
