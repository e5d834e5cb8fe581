"""Each function's configuration, validated once from the environment.

Frozen dataclasses whose fields say how each variable is read and checked, and a loader that
reports every bad variable at once. Not pydantic: the status API loads its settings on its
first request, and importing pydantic is a measurable part of its cold start
(docs/benchmarks.md). Variable names are matched without regard to case.
"""

import os
import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Final, TypeVar

from botocore.config import Config

from domain.checklist import CHECKLIST, EvidenceSource
from domain.errors import ConfigurationError

# Each field's metadata holds the function that reads its variable, raising ValueError.
READ: Final = "read"


def _setting(read: Callable[[str], object], default: object = MISSING) -> Any:
    return field(default=default, metadata={READ: read})


def _text(pattern: str) -> Callable[[str], str]:
    def read(value: str) -> str:
        if re.fullmatch(pattern, value) is None:
            raise ValueError(f"must match {pattern}")
        return value

    return read


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    def read(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return number

    return read


def _seconds(high: float) -> Callable[[str], float]:
    def read(value: str) -> float:
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= high:  # also false for nan
            raise ValueError(f"must be a number of seconds above 0 and at most {high}")
        return seconds

    return read


TABLE_NAME: Final = _text(r"[A-Za-z0-9_.-]{3,255}")


@dataclass(frozen=True, kw_only=True)
class ChecklistSettings:
    """What any function that evaluates the checklist needs. Table names have no defaults on
    purpose: a deployment that forgets one must fail loudly, not read some other table."""

    integrations_table: str = _setting(TABLE_NAME)
    scoring_rules_table: str = _setting(TABLE_NAME)
    engagement_levels_table: str = _setting(TABLE_NAME)

    # The SDK's own retry mode and timeouts bound each call; the deadline bounds the request.
    aws_max_attempts: int = _setting(_whole_number(1, 5), 3)
    aws_connect_timeout_seconds: float = _setting(_seconds(5), 0.5)
    aws_read_timeout_seconds: float = _setting(_seconds(10), 1.0)
    request_deadline_seconds: float = _setting(_seconds(25), 6.0)

    def table_for(self, source: EvidenceSource) -> str:
        return {
            EvidenceSource.INTEGRATIONS: self.integrations_table,
            EvidenceSource.SCORING_RULES: self.scoring_rules_table,
            EvidenceSource.ENGAGEMENT_LEVELS: self.engagement_levels_table,
        }[source]

    def sdk_config(self) -> Config:
        return Config(
            retries={"mode": "standard", "total_max_attempts": self.aws_max_attempts},
            connect_timeout=self.aws_connect_timeout_seconds,
            read_timeout=self.aws_read_timeout_seconds,
            max_pool_connections=len(CHECKLIST) + 1,
            # The adapters build every request from fixed shapes and DynamoDB validates each
            # one anyway; checking them again client-side is CPU spent on every call.
            parameter_validation=False,
        )


@dataclass(frozen=True, kw_only=True)
class ApiSettings(ChecklistSettings):
    """The status API's configuration."""

    memberships_table: str = _setting(TABLE_NAME)
    retry_after_seconds: int = _setting(_whole_number(1, 300), 2)


@dataclass(frozen=True, kw_only=True)
class ProvisioningSettings(ChecklistSettings):
    """The provisioning check's configuration."""

    progress_table: str = _setting(TABLE_NAME)
    event_bus_name: str = _setting(_text(r"[\s\S]{1,1600}"), "default")
    event_source: str = _setting(_text(r"[A-Za-z0-9._-]{1,256}"), "kenbun.onboarding")


@dataclass(frozen=True, kw_only=True)
class FleetSettings(ProvisioningSettings):
    """The fleet sweep's configuration: the provisioning check's, and the memberships table
    it walks."""

    memberships_table: str = _setting(TABLE_NAME)
    # An incomplete OU with no step newly completed for this long counts as stalled.
    stalled_after_days: int = _setting(_whole_number(1, 3650), 14)


SettingsT = TypeVar("SettingsT", bound=ChecklistSettings)


def load_settings(model: type[SettingsT]) -> SettingsT:
    """Settings from the environment, or a ConfigurationError naming every bad variable."""
    environment = {name.upper(): value for name, value in os.environ.items()}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for setting in fields(model):
        name = setting.name.upper()
        if name in environment:
            try:
                values[setting.name] = setting.metadata[READ](environment[name])
            except ValueError as error:
                problems.append(f"{name}: {error}")
        elif setting.default is MISSING:
            problems.append(f"{name}: required (no default)")
    if problems:
        raise ConfigurationError(f"invalid configuration: {'; '.join(problems)}")
    return model(**values)
