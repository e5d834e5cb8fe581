"""The README's stream demo: with the local stack and its stream poller running (as make serve
runs them), ``python -m local.complete_step ou-partial`` makes the "Onboarding Completed" line
appear."""

import sys
import time

import pytest

from local import complete_step
from local.embedded_store import enable_streams, local_client
from local.stack import local_stack, local_table_names
from local.stream_poller import local_stream_poller
from tests.seeded_local_stack import forget_settings, restored_environment

pytestmark = pytest.mark.e2e

EVIDENCE_TABLES = ("INTEGRATIONS_TABLE", "SCORING_RULES_TABLE", "ENGAGEMENT_LEVELS_TABLE")
WAIT_SECONDS = 5.0
COMPLETED_LINE = "[event bus] Onboarding Completed: ou-partial completion_id="


def test_completing_a_demo_ou_prints_onboarding_completed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with restored_environment(), local_stack() as store_url:
        forget_settings()
        tables = local_table_names()
        enable_streams(local_client(store_url), [tables[v] for v in EVIDENCE_TABLES])
        with local_stream_poller(store_url, tables.values(), sys.stdout):
            assert complete_step.main(["ou-partial", "--store", store_url]) == 0
            output = capsys.readouterr().out
            assert "ou-partial: completed create_scoring_rules, set_engagement_levels" in output
            deadline = time.monotonic() + WAIT_SECONDS
            while COMPLETED_LINE not in output:
                assert time.monotonic() < deadline, output
                time.sleep(0.05)
                output += capsys.readouterr().out
            time.sleep(1.0)  # a second completion line would show by now
            output += capsys.readouterr().out
            assert output.count("Onboarding Completed") == 1
            assert complete_step.main(["ou-partial", "--store", store_url]) == 0
            assert "ou-partial: nothing missing" in capsys.readouterr().out


def test_a_bad_ou_id_or_store_is_one_line_not_a_trace(capsys: pytest.CaptureFixture[str]) -> None:
    with restored_environment():
        assert complete_step.main(["../etc", "--store", "http://127.0.0.1:9"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("Cannot complete ../etc: ou_id: must be")
    assert "Traceback" not in error
