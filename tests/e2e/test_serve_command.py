"""``python -m local.serve`` as a developer runs it: it prints where it listens and curl
commands, answers them with one console line each, and stops cleanly on Ctrl-C."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from local import serve
from tests.seeded_local_stack import restored_environment

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
# Only a guard against a hung server; nothing here asserts how long anything takes.
HANG_GUARD_SECONDS = 120


# `python -m local.serve`, with Ctrl-C restored first: a shell without job control (CI, a
# background job) starts its children with SIGINT ignored, where a terminal's Ctrl-C would
# reach a foreground server.
SERVE_WITH_CTRL_C = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('local.serve', run_name='__main__', alter_sys=True)"
)


# What the console shows per request, and the start of an EMF metrics blob (for CloudWatch).
REQUEST_LINE = re.compile(r"^GET /onboarding/status 200 \d+ ms$", re.MULTILINE)
EMF = '{"_aws":'


@pytest.mark.parametrize("verbose", [False, True])
def test_serve_prints_working_commands_and_stops_on_ctrl_c(verbose: bool) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE_WITH_CTRL_C, "--port", "0", *["--verbose"] * verbose],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": "src"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    guard = threading.Timer(HANG_GUARD_SECONDS, server.kill)
    guard.start()
    try:
        banner = read_banner(server)
        url = re.search(r"http://127\.0\.0\.1:\d+/onboarding/status", banner)
        assert url is not None, banner
        assert "curl" in banner
        request = urllib.request.Request(
            url.group(0),
            headers={"Authorization": "Bearer demo-partial-token"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            assert response.status == 200
            assert json.loads(response.read())["completed_count"] == 1
        # The README's push demo: completing the OU's steps prints the Completed event.
        store = re.search(r"DynamoDB \(moto, demo data\): (http://127\.0\.0\.1:\d+)", banner)
        assert store is not None, banner
        subprocess.run(
            [sys.executable, "-m", "local.complete_step", "ou-partial", "--store", store[1]],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": "src:."},
            check=True,
            capture_output=True,
            timeout=HANG_GUARD_SECONDS,
        )
        pushed = read_until(server, "[event bus] Onboarding Completed: ou-partial completion_id=")
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate()
        rest = pushed + rest
    finally:
        guard.cancel()
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0
    assert "Stopped." in rest
    assert len(REQUEST_LINE.findall(rest)) == 1, rest
    # The function's metrics and JSON logs only on request: by default one line per request.
    assert (EMF in rest) is verbose, rest


def read_banner(server: subprocess.Popen[str]) -> str:
    """Everything up to the Ctrl-C hint, which ends the banner."""
    return read_until(server, "Ctrl-C")


def read_until(server: subprocess.Popen[str], start: str) -> str:
    """The server's output up to and including the first line that starts with ``start``."""
    assert server.stdout is not None
    lines = []
    for line in server.stdout:
        lines.append(line)
        if line.startswith(start):
            return "".join(lines)
    pytest.fail(f"local.serve ended before printing {start!r}:\n{''.join(lines)}")


def test_a_taken_port_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with restored_environment():
            status = serve.main(["--port", str(taken.getsockname()[1])])
    assert status == 1
    assert "Cannot start" in capsys.readouterr().err


def test_the_banner_lists_one_curl_per_demo_request() -> None:
    text = serve.banner("http://127.0.0.1:3000", "http://127.0.0.1:8000")
    commands = [line for line in text.splitlines() if line.startswith("curl ")]
    assert len(commands) == len(serve.DEMO_REQUESTS)
    assert all("http://127.0.0.1:3000/onboarding" in command for command in commands)
