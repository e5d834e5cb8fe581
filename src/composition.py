"""The composition root: validated settings in, wired use cases out.

Settings are read from the environment once per execution environment, on first use, so tests
and tools can import every module without any environment set up.
"""

from functools import cache
from typing import TYPE_CHECKING, Annotated, TypeVar

import boto3
from botocore.config import Config
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.concurrency import ThreadPoolCheckRunner
from adapters.dynamodb import DynamoDbEvidence, DynamoDbMemberships, DynamoDbProgress
from adapters.eventbridge import EventBridgePublisher
from domain.checklist import CHECKLIST, EvidenceSource
from domain.errors import ConfigurationError
from domain.provisioning import ProvisioningCheck
from domain.service import ChecklistEvaluator, OnboardingStatusService

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_events.client import EventBridgeClient

TableName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")]


class ChecklistSettings(BaseSettings):
    """What any function that evaluates the checklist needs. Table names have no defaults on
    purpose: a deployment that forgets one must fail loudly, not read some other table."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

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


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(model: type[SettingsT]) -> SettingsT:
    """Settings from the environment, or a ConfigurationError naming every bad variable."""
    try:
        return model()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']).upper()}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None


def dynamodb_client(settings: ChecklistSettings) -> "DynamoDBClient":
    """One client per execution environment. Its endpoint comes from boto3's own
    AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL when set (local stores), else AWS."""
    return boto3.session.Session().client("dynamodb", config=settings.sdk_config())


def eventbridge_client(settings: ChecklistSettings) -> "EventBridgeClient":
    """Endpoint from AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL when set."""
    return boto3.session.Session().client("events", config=settings.sdk_config())


def checklist_evaluator(
    settings: ChecklistSettings, client: "DynamoDBClient"
) -> ChecklistEvaluator:
    return ChecklistEvaluator(
        evidence=DynamoDbEvidence(
            client, {source: settings.table_for(source) for source in EvidenceSource}
        ),
        runner=ThreadPoolCheckRunner(
            max_workers=len(CHECKLIST) + 1, deadline_seconds=settings.request_deadline_seconds
        ),
    )


@cache
def app_settings() -> ApiSettings:
    """The API's settings, validated once per execution environment."""
    return load_settings(ApiSettings)


@cache
def status_service() -> OnboardingStatusService:
    settings = app_settings()
    client = dynamodb_client(settings)
    return OnboardingStatusService(
        memberships=DynamoDbMemberships(client, settings.memberships_table),
        checklist=checklist_evaluator(settings, client),
    )


@cache
def provisioning_check() -> ProvisioningCheck:
    settings = load_settings(ProvisioningSettings)
    client = dynamodb_client(settings)
    return ProvisioningCheck(
        checklist=checklist_evaluator(settings, client),
        progress=DynamoDbProgress(client, settings.progress_table),
        publisher=EventBridgePublisher(
            eventbridge_client(settings), settings.event_bus_name, settings.event_source
        ),
    )


@cache
def checklist_service() -> ChecklistEvaluator:
    """Read-only checklist evaluation, for operators' tools: no membership, no events."""
    settings = load_settings(ChecklistSettings)
    return checklist_evaluator(settings, dynamodb_client(settings))
