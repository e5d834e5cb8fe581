"""How the local tools find the running make serve's store (local.serve_state)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local import serve_state

API, STORE = "http://127.0.0.1:3000", "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "serve-state.json"
    monkeypatch.setenv(serve_state.STATE_FILE_VARIABLE, str(path))
    return path


def test_the_running_serve_is_found_while_it_runs_and_forgotten_after(state_file: Path) -> None:
    with serve_state.recorded(API, STORE):
        assert serve_state.store_url(None) == STORE
        assert json.loads(state_file.read_text())["pid"] == os.getpid()
    assert not state_file.exists()
    with pytest.raises(serve_state.ServeNotRunning):
        serve_state.store_url(None)


def test_an_explicit_store_wins() -> None:
    with serve_state.recorded(API, STORE):
        assert serve_state.store_url("http://127.0.0.1:9") == "http://127.0.0.1:9"
    assert serve_state.store_url("http://127.0.0.1:9") == "http://127.0.0.1:9"


def test_without_make_serve_the_message_is_one_line_on_how_to_start_it() -> None:
    with pytest.raises(serve_state.ServeNotRunning) as raised:
        serve_state.store_url(None)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("make serve is not running: start it with `make serve`")
    assert "STORE=" in message
    assert raised.value.code == message  # uncaught: printed to stderr, exit status 1


def test_a_file_left_by_a_killed_serve_counts_as_not_running(state_file: Path) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    state_file.write_text(json.dumps({"api": API, "store": STORE, "pid": finished.pid}))
    assert serve_state.running_state() is None
    with serve_state.recorded(API, STORE):  # and a new make serve may start
        assert serve_state.store_url(None) == STORE


@pytest.mark.parametrize("content", ["", "{", "[]", '{"api": "x"}', '{"pid": "me"}'])
def test_a_damaged_file_counts_as_not_running(state_file: Path, content: str) -> None:
    state_file.write_text(content)
    assert serve_state.running_state() is None


def test_a_second_serve_refuses_while_one_runs(state_file: Path) -> None:
    with serve_state.recorded(API, STORE):
        second = serve_state.recorded("http://127.0.0.1:3001", "http://127.0.0.1:8001")
        with pytest.raises(serve_state.ServeAlreadyRunning, match="already running"):
            second.__enter__()
        assert serve_state.store_url(None) == STORE, "the first one's state is untouched"
