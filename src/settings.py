"""Each function's configuration, validated once from the environment.

Plain pydantic models over os.environ (variable names matched without regard to case), not
pydantic-settings: these flat settings use nothing it adds, and importing it is a measurable
part of the first request (docs/benchmarks.md).
"""

import os
from typing import Annotated, TypeVar

from botocore.config import Config
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.checklist import CHECKLIST, EvidenceSource
from domain.errors import ConfigurationError

TableName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")]


class ChecklistSettings(BaseModel):
    """What any function that evaluates the checklist needs. Table names have no defaults on
    purpose: a deployment that forgets one must fail loudly, not read some other table."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    integrations_table: TableName
    scoring_rules_table: TableName
    engagement_levels_table: TableName

    # The SDK's own retry mode and timeouts bound each call; the deadline bounds the request.
    aws_max_attempts: int = Field(default=3, ge=1, le=5)
    aws_connect_timeout_seconds: float = Field(default=0.5, gt=0, le=5)
    aws_read_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    request_deadline_seconds: float = Field(default=6.0, gt=0, le=25)

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


class ApiSettings(ChecklistSettings):
    """The status API's configuration."""

    memberships_table: TableName
    retry_after_seconds: int = Field(default=2, ge=1, le=300)


class ProvisioningSettings(ChecklistSettings):
    """The provisioning check's configuration."""

    progress_table: TableName
    event_bus_name: str = Field(default="default", min_length=1, max_length=1600)
    event_source: str = Field(default="kenbun.onboarding", pattern=r"^[A-Za-z0-9._-]{1,256}$")


SettingsT = TypeVar("SettingsT", bound=ChecklistSettings)


def load_settings(model: type[SettingsT]) -> SettingsT:
    """Settings from the environment, or a ConfigurationError naming every bad variable."""
    environment = {name.lower(): value for name, value in os.environ.items()}
    try:
        return model.model_validate(environment)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']).upper()}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
