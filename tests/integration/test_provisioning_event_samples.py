"""The provisioning samples in events/provisioning/, each through ``local.invoke`` against a
fresh seeded local stack: the result or error and the events published that expected.json
promises."""

import json
from pathlib import Path
from typing import Any

import pytest

from local.invoke import function_for, invoke_provisioning, main
from tests.seeded_local_stack import restored_environment

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "provisioning"
EXPECTED: dict[str, dict[str, Any]] = json.loads((SAMPLES / "expected.json").read_text())
INCOMPLETE_REQUIRED = "direct-require-complete-ou-partial.json"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.json") if p.name != "expected.json")


def test_expected_json_covers_exactly_the_samples() -> None:
    assert SAMPLE_FILES
    assert sorted(EXPECTED) == SAMPLE_FILES


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_gets_its_expected_outcome_and_events(name: str) -> None:
    event = json.loads((SAMPLES / name).read_text())
    assert function_for(event) == "ProvisioningFunction"
    with restored_environment():
        outcome = invoke_provisioning(event)
    expected = EXPECTED[name]
    if "error" in expected:
        assert outcome.get("errorType") == expected["error"], outcome
    else:
        assert "errorType" not in outcome, outcome
        assert expected["result"].items() <= outcome["result"].items()
    published = sorted(e["detail-type"] for e in outcome["publishedEvents"])
    assert published == sorted(expected["published"])


def test_the_invoke_command_exits_non_zero_for_an_incomplete_required_ou(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In-process (test_local_invoke.py runs `python -m local.invoke` itself): the exit
    status main() returns, and the error it prints."""
    with restored_environment():
        status = main([str(SAMPLES / INCOMPLETE_REQUIRED)])
    assert status == 1
    assert json.loads(capsys.readouterr().out)["errorType"] == "OnboardingIncomplete"
