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
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from local import serve, serve_state
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
def test_serve_prints_working_commands_and_stops_on_ctrl_c(verbose: bool, tmp_path: Path) -> None:
    state_file = tmp_path / "serve-state.json"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE_WITH_CTRL_C, "--port", str(port), *["--verbose"] * verbose],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": "src", serve_state.STATE_FILE_VARIABLE: str(state_file)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    guard = threading.Timer(HANG_GUARD_SECONDS, server.kill)
    guard.start()
    # A browser tab left open asks as soon as the port listens, before the banner is out.
    early = threading.Thread(target=ask_until_answered, args=(f"http://127.0.0.1:{port}",))
    early.start()
    try:
        banner = read_banner(server)
        url = re.search(r"http://127\.0\.0\.1:\d+/onboarding/status", banner)
        assert url is not None, banner
        assert "curl" in banner
        early.join(HANG_GUARD_SECONDS)
        assert ask(url.group(0))["completed_count"] == 1
        # The README's push demo: completing the OU's steps prints the Completed event. The
        # command finds make serve's store from the state file it wrote.
        store = re.search(r"DynamoDB \(moto, demo data\): (http://127\.0\.0\.1:\d+)", banner)
        assert store is not None, banner
        assert json.loads(state_file.read_text())["store"] == store[1]
        subprocess.run(
            [sys.executable, "-m", "local.complete_step", "ou-partial"],
            cwd=REPO_ROOT,
            env={
                **os.environ,
                "PYTHONPATH": "src:.",
                serve_state.STATE_FILE_VARIABLE: str(state_file),
            },
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
    assert not state_file.exists(), "make serve leaves no state behind"
    # The banner comes first, before even the early request's line and (verbose) logs.
    assert banner.startswith("Onboarding status API:"), banner
    assert len(REQUEST_LINE.findall(rest)) == 2, rest
    # The function's metrics and JSON logs only on request: by default one line per request.
    assert (EMF in rest) is verbose, rest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ask(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": "Bearer demo-partial-token"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def ask_until_answered(base_url: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while time.monotonic() < deadline:
        try:
            ask(f"{base_url}/onboarding/status")
            return
        except OSError:  # not listening yet
            time.sleep(0.01)


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


def test_a_second_serve_is_refused_while_one_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(serve_state.STATE_FILE_VARIABLE, str(tmp_path / "serve-state.json"))
    with serve_state.recorded("http://127.0.0.1:3000", "http://127.0.0.1:8000"):
        with restored_environment():
            status = serve.main(["--port", "0"])
        assert serve_state.store_url(None) == "http://127.0.0.1:8000", "the first one's state"
    assert status == 1
    assert "Cannot start: make serve is already running" in capsys.readouterr().err
