"""Configuration is validated once, and a missing table variable is named."""

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
