"""With SnapStart, the status function does its work before the snapshot: settings validated,
client and pool made and primed with a request's calls, then no open connection and no thread
left for the snapshot to hold. A restore reseeds ``random``, and the first request imports and
creates nothing. Without SnapStart nothing changes: the first request makes the parts. The
lifecycle runs in a fresh process (tests/snapstart_lifecycle.py) against the store over HTTP."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.factories import OuData
from tests.integration.conftest import Store

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
OU, PRINCIPAL = "ou-snapstart", "user-snapstart"
REPORT = "SNAPSTART-REPORT "


def lifecycle(store: Store, initialization_type: str) -> dict[str, dict[str, Any]]:
    """Each step's report, by step name."""
    store.member(OU, PRINCIPAL)
    store.seed(OuData(OU).integration())
    completed = subprocess.run(
        [sys.executable, "-m", "tests.snapstart_lifecycle", PRINCIPAL, OU],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
            "PYTHONPATH": os.pathsep.join(["tests/lambda_runtime", "src", "."]),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = [line for line in completed.stdout.splitlines() if line.startswith(REPORT)]
    reports = [json.loads(line.removeprefix(REPORT)) for line in lines]
    return {report["step"]: report for report in reports}


def test_with_snapstart_the_work_is_done_before_the_snapshot(store: Store) -> None:
    steps = lifecycle(store, "snap-start")
    init, primed = steps["init"], steps["before snapshot: prime_status_api"]
    snapshot, first = steps["snapshot"], steps["first request"]
    assert (init["settings_made"], init["services_made"]) == (0, 0)  # importing makes nothing
    assert (primed["settings_made"], primed["services_made"]) == (1, 1)
    assert primed["threads"] > 0  # the priming reads ran on the pool
    assert primed["open_sockets"] >= snapshot["open_sockets"]
    assert (snapshot["open_sockets"], snapshot["threads"]) == (0, 0)
    # Two copies restored from one snapshot draw different numbers (reseeded).
    first_draws = steps["restore"]["random"]
    assert first_draws[0] != first_draws[1]
    assert first["status"] == 200
    assert first["imported"] == []
    assert first["services_made"] == 1  # the snapshot's, not a new one


def test_without_snapstart_the_first_request_makes_the_parts(store: Store) -> None:
    steps = lifecycle(store, "on-demand")
    assert steps["snapshot"]["services_made"] == 0  # no hook was registered
    first = steps["first request"]
    assert first["status"] == 200
    assert first["services_made"] == 1
    assert first["imported"] != []
