"""The fleet sweep's entry point without a store: bad requests refused before the function
is even configured, and the merged funnel published as CloudWatch metrics (EMF)."""

import json
from typing import Any

import pytest

import composition
from domain.fleet import InvalidSweepRequest
from handlers import fleet_sweep
from tests.factories import LambdaContextStub


@pytest.fixture(autouse=True)
def unconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    """No table variables: reaching the composition root would raise ConfigurationError."""
    for name in ("MEMBERSHIPS_TABLE", "PROGRESS_TABLE", "INTEGRATIONS_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Test/Fleet")
    composition.fleet_sweep.cache_clear()


@pytest.mark.parametrize(
    "event",
    [
        {"mode": "report", "segment": 0, "total_segments": 0},
        {"mode": "reconcile"},
        {"merge": []},
        {"merge": [{"mode": "report", "segment": 0, "total_segments": 1, "ous": "many"}]},
        "report",
    ],
)
def test_a_bad_event_raises_the_named_error_before_configuration(event: Any) -> None:
    with pytest.raises(InvalidSweepRequest):
        fleet_sweep.lambda_handler(event, LambdaContextStub())


def number(value: Any) -> float:
    """EMF writes a metric's value alone, or the list of the values added in one record."""
    return float(value[0] if isinstance(value, list) else value)


def test_the_merged_funnel_is_published_as_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    segment = {
        "mode": "reconcile",
        "segment": 0,
        "total_segments": 1,
        "cursor": None,
        "ous": 10,
        "complete": 4,
        "stalled": 2,
        "steps": {"connect_integration": 9, "create_scoring_rules": 6, "set_engagement_levels": 4},
        "time_to_complete": {
            **dict.fromkeys(["le_1h", "le_6h", "le_72h", "le_168h", "le_336h"], 0),
            **dict.fromkeys(["le_720h", "le_2160h", "more"], 0),
            "le_24h": 4,
        },
    }
    answer = fleet_sweep.lambda_handler({"merge": [segment]}, LambdaContextStub())
    assert (answer["ous"], answer["time_to_complete_percentiles"]["p50"]) == (10, 24)
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    values = {
        metric["Name"]: (number(record[metric["Name"]]), record.get("step"))
        for record in emitted
        for directive in record["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }
    assert values["FleetOus"] == (10, None)
    assert values["FleetComplete"] == (4, None)
    assert values["FleetStalled"] == (2, None)
    assert values["FleetTimeToCompleteP50Hours"] == (24, None)
    steps = {
        record["step"]: number(record["FleetStepComplete"])
        for record in emitted
        if "step" in record
    }
    assert steps == {
        "connect_integration": 9,
        "create_scoring_rules": 6,
        "set_engagement_levels": 4,
    }
