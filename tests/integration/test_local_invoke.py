"""``python -m local.invoke events/<file>.json``, the stand-in for ``sam local invoke``: it
brings up its own seeded stack, so it runs here on its own, never beside another stack (moto
keeps one set of tables per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local import invoke
from tests.factories import body_of
from tests.seeded_local_stack import restored_environment

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
PARTIAL_SAMPLE = "events/http-lambda-partial-cookie.200.json"
DOCUMENTED_EXAMPLE = json.loads(
    (REPO_ROOT / "tests" / "data" / "documented_example.json").read_text(encoding="utf-8")
)


def test_invoke_answers_an_event_from_the_seeded_stack() -> None:
    event = json.loads((REPO_ROOT / "events" / "http-lambda-restricted.403.json").read_text())
    with restored_environment():
        response = invoke.invoke(event)
    assert response["statusCode"] == 403
    assert body_of(response)["code"] == "forbidden"


def test_the_command_prints_only_the_response_with_its_body_parsed() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "local.invoke", PARTIAL_SAMPLE],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": "src"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    printed = json.loads(completed.stdout)
    assert printed["statusCode"] == 200
    assert printed["headers"]["Content-Type"] == "application/json"
    assert printed["body"] == DOCUMENTED_EXAMPLE


def test_the_command_refuses_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    """In-process: the command above proves `python -m local.invoke` runs main()."""
    with pytest.raises(SystemExit) as exited:
        invoke.main(["events/no-such-event.json"])
    assert exited.value.code == 2
    assert "cannot read" in capsys.readouterr().err


def test_main_prints_the_response_alone_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with restored_environment():
        assert invoke.main([str(REPO_ROOT / PARTIAL_SAMPLE)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["body"] == DOCUMENTED_EXAMPLE
