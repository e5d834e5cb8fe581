"""The operators' command, against the running make serve's store with the demo data
(local.check), and against tables named by the environment (here moto's server; in
production, DynamoDB)."""

import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.check_cli import main
from local import check, complete_step, serve_state
from local.cfn_template import PROJECT_ROOT
from local.stack import local_stack
from tests.factories import OuData
from tests.integration.conftest import Store, use_environment
from tests.seeded_local_stack import restored_environment

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def demo_store() -> Iterator[str]:
    """The store a running make serve would have, recorded as make serve records it."""
    with restored_environment(), local_stack() as url:
        yield url


@pytest.fixture(autouse=True)
def serve_running(
    demo_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    monkeypatch.setenv(serve_state.STATE_FILE_VARIABLE, str(tmp_path / "serve-state.json"))
    with serve_state.recorded("http://127.0.0.1:3000", demo_store) as state_file:
        yield state_file


def run(*argv: str) -> tuple[int, str]:
    """``python -m local.check ARGV``: the command over the running make serve's store."""
    out = io.StringIO()
    with restored_environment():
        code = check.main(list(argv), out=out)
    return code, out.getvalue()


def test_a_table_of_demo_ous_from_the_embedded_store() -> None:
    code, out = run("ou-partial", "ou-complete", "ou-empty")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "OU",
        "connect_integration",
        "create_scoring_rules",
        "set_engagement_levels",
        "done",
    ]
    assert lines[1].split() == ["ou-partial", "yes", "-", "-", "1/3"]
    assert lines[2].split() == ["ou-complete", "yes", "yes", "yes", "3/3"]
    assert lines[3].split() == ["ou-empty", "-", "-", "-", "0/3"]


def test_json_from_a_file_and_require_complete(tmp_path: Path) -> None:
    ids = tmp_path / "ous.txt"
    ids.write_text("# OUs to enable\nou-complete\n\nou-partial  # pilot\n")
    code, out = run("--json", "--require-complete", "--file", str(ids))
    assert code == 1
    results = json.loads(out)
    assert [r["ou_id"] for r in results] == ["ou-complete", "ou-partial"]
    assert [r["all_complete"] for r in results] == [True, False]
    assert all(r["checked_at"].endswith("Z") for r in results)


def test_require_complete_passes_when_every_ou_is_complete() -> None:
    assert run("--require-complete", "ou-complete")[0] == 0


@pytest.mark.parametrize("argv", [[], ["../x"], [""]])
def test_bad_input_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*argv)[0] == 2
    message = capsys.readouterr().err
    assert message.startswith("error: ")
    assert "ou_id: must be" in message or "at least one OU id" in message


def test_real_tables_from_the_environment(store: Store) -> None:
    store.seed(OuData("ou-9").integration().scoring_rule())
    out = io.StringIO()
    assert main(["ou-9"], out=out) == 0
    assert out.getvalue().splitlines()[1].split() == ["ou-9", "yes", "yes", "-", "2/3"]


def test_an_unreachable_store_exits_3(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    use_environment(monkeypatch, {"AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{port}"})
    assert main(["ou-9"], out=io.StringIO()) == 3


def test_without_make_serve_it_says_so_in_one_line_and_exits_3(
    serve_running: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_running.unlink()
    assert run("ou-partial") == (3, "")
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: make serve is not running: start it with `make serve`")


def test_a_named_store_wins_over_the_running_one(
    serve_running: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert run("ou-partial", "--store", f"http://127.0.0.1:{port}")[0] == 3
    assert "the store is unavailable" in capsys.readouterr().err


def test_it_reads_the_running_store_that_complete_step_writes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Neither tool starts a store of its own: both find make serve's from its state file."""
    assert run("ou-suspended")[1].splitlines()[1].split()[-1] != "3/3"
    with restored_environment():
        assert complete_step.main(["ou-suspended"]) == 0
    assert run("ou-suspended")[1].splitlines()[1].split()[-1] == "3/3"


def test_complete_step_without_make_serve_says_so(serve_running: Path) -> None:
    serve_running.unlink()
    with pytest.raises(serve_state.ServeNotRunning, match="make serve is not running"):
        complete_step.main(["ou-partial"])


def test_complete_step_without_make_serve_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """As the shell sees it: the message, no traceback, a non-zero status."""
    result = subprocess.run(
        [sys.executable, "-m", "local.complete_step", "ou-partial"],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "PYTHONPATH": "src:.",
            serve_state.STATE_FILE_VARIABLE: str(tmp_path / "none.json"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"make serve is not running: {serve_state.START_HINT}"]
