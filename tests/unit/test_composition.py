"""Configuration is validated once, and a missing table variable is named."""

import os
import subprocess
import sys

import pytest

from domain.checklist import EvidenceSource
from domain.errors import ConfigurationError
from settings import ApiSettings, ProvisioningSettings, load_settings

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


def test_settings_are_immutable(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings(ApiSettings)
    with pytest.raises(ValueError, match="frozen"):
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
