"""Configuration is validated once, and a missing table variable is named."""

import json
import os
import socket
import subprocess
import sys
from dataclasses import FrozenInstanceError

import pytest

from domain.checklist import EvidenceSource
from domain.errors import ConfigurationError
from settings import ApiSettings, ProvisioningSettings, load_settings
from tests.factories import http_api_event, lambda_authorizer

TABLE_VARIABLES = {
    "MEMBERSHIPS_TABLE": "m-table",
    "INTEGRATIONS_TABLE": "i-table",
    "SCORING_RULES_TABLE": "s-table",
    "ENGAGEMENT_LEVELS_TABLE": "e-table",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in TABLE_VARIABLES.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_settings_come_from_the_environment(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings(ApiSettings)
    assert settings.memberships_table == "m-table"
    assert settings.table_for(EvidenceSource.SCORING_RULES) == "s-table"
    assert {settings.table_for(s) for s in EvidenceSource} == {"i-table", "s-table", "e-table"}


@pytest.mark.parametrize("variable", sorted(TABLE_VARIABLES))
def test_a_missing_table_variable_is_named(environment: pytest.MonkeyPatch, variable: str) -> None:
    environment.delenv(variable)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(ApiSettings)


def test_an_invalid_table_name_is_rejected(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("INTEGRATIONS_TABLE", "no spaces allowed")
    with pytest.raises(ConfigurationError, match="INTEGRATIONS_TABLE"):
        load_settings(ApiSettings)


def test_timeouts_are_bounded(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("AWS_READ_TIMEOUT_SECONDS", "600")
    with pytest.raises(ConfigurationError, match="AWS_READ_TIMEOUT_SECONDS"):
        load_settings(ApiSettings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AWS_MAX_ATTEMPTS", "0"),
        ("AWS_MAX_ATTEMPTS", "6"),
        ("AWS_MAX_ATTEMPTS", "2.5"),
        ("AWS_CONNECT_TIMEOUT_SECONDS", "0"),
        ("AWS_CONNECT_TIMEOUT_SECONDS", "5.1"),
        ("AWS_READ_TIMEOUT_SECONDS", "nan"),
        ("REQUEST_DEADLINE_SECONDS", "26"),
        ("REQUEST_DEADLINE_SECONDS", "soon"),
        ("RETRY_AFTER_SECONDS", "0"),
        ("RETRY_AFTER_SECONDS", "301"),
        ("MEMBERSHIPS_TABLE", "ab"),
        ("MEMBERSHIPS_TABLE", "a" * 256),
    ],
)
def test_out_of_bounds_values_are_rejected(
    environment: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    environment.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(ApiSettings)


@pytest.mark.parametrize(
    ("variable", "value", "applied"),
    [
        ("AWS_MAX_ATTEMPTS", "5", 5),
        ("AWS_CONNECT_TIMEOUT_SECONDS", "5", 5.0),
        ("REQUEST_DEADLINE_SECONDS", "0.25", 0.25),
        ("RETRY_AFTER_SECONDS", "1", 1),
    ],
)
def test_values_within_bounds_are_applied(
    environment: pytest.MonkeyPatch, variable: str, value: str, applied: float
) -> None:
    environment.setenv(variable, value)
    settings = load_settings(ApiSettings)
    assert getattr(settings, variable.lower()) == applied
    assert type(getattr(settings, variable.lower())) is type(applied)


def test_variable_names_are_matched_without_regard_to_case(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.delenv("MEMBERSHIPS_TABLE")
    environment.setenv("memberships_table", "lower-case")
    assert load_settings(ApiSettings).memberships_table == "lower-case"


def test_every_bad_variable_is_named_at_once(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("MEMBERSHIPS_TABLE")
    environment.setenv("AWS_MAX_ATTEMPTS", "many")
    environment.setenv("INTEGRATIONS_TABLE", "no spaces allowed")
    with pytest.raises(ConfigurationError) as raised:
        load_settings(ApiSettings)
    message = str(raised.value)
    for variable in ("MEMBERSHIPS_TABLE", "AWS_MAX_ATTEMPTS", "INTEGRATIONS_TABLE"):
        assert variable in message


def test_provisioning_event_names_are_checked(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("PROGRESS_TABLE", "p-table")
    environment.setenv("EVENT_SOURCE", "not a source")
    environment.setenv("EVENT_BUS_NAME", "")
    with pytest.raises(ConfigurationError, match=r"EVENT_BUS_NAME.*EVENT_SOURCE"):
        load_settings(ProvisioningSettings)


def test_settings_are_immutable(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings(ApiSettings)
    with pytest.raises(FrozenInstanceError):
        settings.memberships_table = "other"  # type: ignore[misc]
    assert isinstance(settings, ApiSettings)


def test_provisioning_needs_its_progress_table_but_no_memberships(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.delenv("MEMBERSHIPS_TABLE")
    with pytest.raises(ConfigurationError, match="PROGRESS_TABLE"):
        load_settings(ProvisioningSettings)
    environment.setenv("PROGRESS_TABLE", "p-table")
    settings = load_settings(ProvisioningSettings)
    assert (settings.progress_table, settings.event_bus_name) == ("p-table", "default")


DEFERRED_MODULES = (
    "boto3",
    "settings",
    "domain.provisioning",
    "adapters.eventbridge",
)


def test_the_api_entry_point_leaves_what_it_does_not_need_at_init_unimported() -> None:
    """Lambda imports the entry point while it initialises the function (and SnapStart would
    snapshot it then): settings load on the first request, and boto3 (botocore is enough),
    the provisioning use case and EventBridge never in the API."""
    code = (
        "import sys, handlers.status_api\n"
        f"print(*[m for m in ('composition', *{DEFERRED_MODULES!r}) if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(["src", "."])},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split() == ["composition"]


def test_the_api_answers_its_first_request_without_pydantic() -> None:
    """pydantic is a measurable part of the API's cold start (docs/benchmarks.md): neither the
    entry point's import nor its first answer loads it. The store is a closed port, so the
    answer is 503 after the settings, the client and the checks have all been used."""
    event = http_api_event(authorizer=lambda_authorizer(ou_id="ou-1"))
    code = (
        "import json, sys\n"
        "from handlers.status_api import lambda_handler\n"
        "from tests.factories import LambdaContextStub\n"
        "response = lambda_handler(json.loads(sys.stdin.read()), LambdaContextStub())\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')]\n"
        "print(json.dumps({'status': response['statusCode'], 'pydantic': loaded}))\n"
    )
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(event),
            env={
                **os.environ,
                **TABLE_VARIABLES,
                "PYTHONPATH": os.pathsep.join(["src", "."]),
                "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{port}",
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_MAX_ATTEMPTS": "1",
            },
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome == {"status": 503, "pydantic": []}
