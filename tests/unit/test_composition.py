"""Configuration is validated once, and a missing table variable is named; SnapStart's hooks
prime the status API, or leave its failures to the first request."""

import sys
from dataclasses import FrozenInstanceError, fields
from types import SimpleNamespace

import pytest

import composition
from domain.checklist import EvidenceSource
from domain.errors import ConfigurationError, DependencyUnavailable
from domain.identifiers import is_valid_id
from domain.service import ChecklistEvaluator, OnboardingStatusService
from settings import ApiSettings, FleetSettings, ProvisioningSettings, load_settings
from tests.unit.fakes import InMemoryEvidence, InMemoryMemberships

TABLE_VARIABLES = {
    "MEMBERSHIPS_TABLE": "m-table",
    "INTEGRATIONS_TABLE": "i-table",
    "SCORING_RULES_TABLE": "s-table",
    "ENGAGEMENT_LEVELS_TABLE": "e-table",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The table variables, and none of what other tests of the process may have set."""
    for setting in fields(FleetSettings):  # every function's settings, and more
        monkeypatch.delenv(setting.name.upper(), raising=False)
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


# --- SnapStart hooks (the lifecycle itself: tests/integration/test_snapstart.py) ------------


@pytest.fixture
def released(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(composition, "_snapshot_releases", [lambda: calls.append("released")])
    return calls


def test_priming_sends_a_requests_calls_for_ids_no_request_names(
    monkeypatch: pytest.MonkeyPatch, released: list[str]
) -> None:
    memberships, evidence = InMemoryMemberships(), InMemoryEvidence()
    service = OnboardingStatusService(memberships, ChecklistEvaluator(evidence))
    monkeypatch.setattr(composition, "status_service", lambda: service)
    composition.prime_status_api()
    assert memberships.asked == [(composition.PRIMING_OU, composition.PRIMING_PRINCIPAL)]
    assert {source for _, source in evidence.asked} == set(EvidenceSource)
    assert not is_valid_id(composition.PRIMING_OU)
    composition.release_for_snapshot()
    assert released == ["released"]


def test_a_failed_priming_read_only_means_less_priming(monkeypatch: pytest.MonkeyPatch) -> None:
    memberships = InMemoryMemberships()
    evidence = InMemoryEvidence(failures={EvidenceSource.INTEGRATIONS: DependencyUnavailable("x")})
    service = OnboardingStatusService(memberships, ChecklistEvaluator(evidence))
    monkeypatch.setattr(composition, "status_service", lambda: service)
    composition.prime_status_api()  # returns: the snapshot is still taken
    assert evidence.asked
    assert memberships.asked == []  # priming stopped at the failure


def test_a_configuration_error_is_left_to_the_first_request(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.delenv("MEMBERSHIPS_TABLE")
    composition.app_settings.cache_clear()
    composition.status_service.cache_clear()
    composition.prime_status_api()  # no exception: the first request answers 500
    assert composition.status_service.cache_info().currsize == 0


def test_hooks_are_registered_only_with_snapstart(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[str] = []
    hooks = SimpleNamespace(
        register_before_snapshot=lambda func: registered.append(func.__name__),
        register_after_restore=lambda func: registered.append(func.__name__),
    )
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", hooks)
    composition.prepare_status_api_for_snapshots()
    assert registered == []
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    composition.prepare_status_api_for_snapshots()
    assert registered == ["release_for_snapshot", "prime_status_api", "seed"]
