"""``python -m local.serve [--port 3000]``: the API on http://127.0.0.1, with demo data.

An embedded DynamoDB-compatible store holds the tables template.yaml defines, seeded with the
demo OUs; a local front stands in for API Gateway and its Lambda authorizer. Ctrl-C stops both.
The console shows one line per request; ``--verbose`` adds the function's JSON logs and EMF
metrics, which are for CloudWatch.
"""

import argparse
import contextlib
import logging
import os
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, TextIO

from local import serve_state
from local.http_front import LocalHttpFront
from local.lambda_runtime import load_handler
from local.site import DEMO_PATH, DOCS_PATH, local_site
from local.stack import local_stack, local_table_names
from local.stream_poller import local_stream_poller

DEFAULT_PORT: Final = 3000
STATUS_PATH: Final = "/onboarding/status"
ALIAS_PATH: Final = "/onboarding-status"


@dataclass(frozen=True)
class DemoRequest:
    """One ready-to-paste request against the demo data, and the status it gets.
    ``bearer`` is a token of local.demo_data.DEMO_TOKENS (None: no Authorization header)."""

    title: str
    expected_status: int
    bearer: str | None = "demo-user-token"
    cookie: str | None = None
    path: str = STATUS_PATH
    method: str = "GET"

    def curl(self, base_url: str) -> str:
        words = ["curl", "-si"]
        if self.method != "GET":
            words += ["-X", self.method]
        words.append(f"{base_url}{self.path}")
        if self.bearer is not None:
            words += ["-H", f"Authorization: Bearer {self.bearer}"]
        if self.cookie is not None:
            words += ["--cookie", self.cookie]
        return shlex.join(words)


DEMO_REQUESTS: Final = (
    DemoRequest("ou-partial via cookie: the documented example", 200, cookie="activeOu=ou-partial"),
    DemoRequest("the same on the alias path", 200, cookie="activeOu=ou-partial", path=ALIAS_PATH),
    DemoRequest("ou-complete: every step done", 200, cookie="activeOu=ou-complete"),
    DemoRequest("ou-empty: no step done", 200, cookie="activeOu=ou-empty"),
    DemoRequest("a token bound to ou-partial, no cookie needed", 200, bearer="demo-partial-token"),
    DemoRequest("ou-restricted: not a member", 403, cookie="activeOu=ou-restricted"),
    DemoRequest("ou-suspended: membership suspended", 403, cookie="activeOu=ou-suspended"),
    DemoRequest("no token", 401, bearer=None, cookie="activeOu=ou-partial"),
    DemoRequest("POST is not allowed", 405, method="POST", cookie="activeOu=ou-partial"),
)


def banner(api_url: str, store_url: str) -> str:
    lines = [
        f"Onboarding status API: {api_url}{STATUS_PATH}",
        f"Setup checklist widget demo: {api_url}{DEMO_PATH}",
        f"API docs (Swagger UI, local only): {api_url}{DOCS_PATH}",
        f"DynamoDB (moto, demo data): {store_url}",
        "",
    ]
    for request in DEMO_REQUESTS:
        lines += [f"# {request.expected_status}  {request.title}", request.curl(api_url)]
    lines += ["", "Ctrl-C to stop."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.serve", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="API port; 0: a free one")
    parser.add_argument("--store-port", type=int, default=0, help="DynamoDB port; 0: a free one")
    parser.add_argument(
        "--verbose", action="store_true", help="also print the function's JSON logs and metrics"
    )
    args = parser.parse_args(argv)
    try:
        serve(args.port, args.store_port, verbose=args.verbose)
    except OSError as error:
        print(f"Cannot start: {error}. Try another --port / --store-port.", file=sys.stderr)
        return 1
    except serve_state.ServeAlreadyRunning as error:
        print(f"Cannot start: {error}.", file=sys.stderr)
        return 1
    print("Stopped.")
    return 0


def serve(port: int, store_port: int, *, verbose: bool = False) -> None:
    """Serve until Ctrl-C."""
    console = sys.stdout
    # The function writes its EMF metrics and JSON logs to stdout, for CloudWatch: without
    # --verbose they go nowhere. Its Logger binds to stdout when the handler loads, which is
    # in this with-statement, after the stack has set the environment (left to right).
    with (
        _request_lines(console),
        contextlib.nullcontext(console) if verbose else open(os.devnull, "w") as function_output,
        contextlib.redirect_stdout(function_output),
        local_stack(port=store_port) as store_url,
        local_stream_poller(store_url, local_table_names().values(), console),
        # Listening from here on, but answering only once started: a request that comes early
        # (a browser tab left open) waits, so the banner is the first thing on the console.
        contextlib.closing(LocalHttpFront(load_handler(), port=port, site=local_site())) as front,
        serve_state.recorded(front.url, store_url),
    ):
        # Flushed: when stdout is a pipe, whoever waits for the URL must see it now.
        print(banner(front.url, store_url), file=console, flush=True)
        with front:
            _wait_for_interrupt()


@contextlib.contextmanager
def _request_lines(console: TextIO) -> Iterator[None]:
    """local.http_front's line per request (method, path, status, milliseconds) on the console,
    while serving only: the console may be closed afterwards."""
    front_log = logging.getLogger("local.http_front")
    handler = logging.StreamHandler(console)
    handler.setFormatter(logging.Formatter("%(message)s"))
    front_log.addHandler(handler)
    front_log.setLevel(logging.INFO)
    try:
        yield
    finally:
        front_log.removeHandler(handler)


def _wait_for_interrupt() -> None:
    # Waking up now and then: the kernel may hand SIGINT to any of the server's threads, and
    # Python runs its handler only when the main thread next runs, which an endless wait
    # would postpone forever.
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
