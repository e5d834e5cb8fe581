"""The composition root: validated settings in, a wired OnboardingStatusService out.

Settings are read from the environment once per execution environment, on first use, so tests
and tools can import every module without any environment set up.
"""

from functools import cache
from typing import TYPE_CHECKING, Annotated

import boto3
from botocore.config import Config
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.concurrency import ThreadPoolCheckRunner
from adapters.dynamodb import DynamoDbEvidence, DynamoDbMemberships
from domain.checklist import CHECKLIST, EvidenceSource
from domain.errors import ConfigurationError
from domain.service import OnboardingStatusService

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TableName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")]


class Settings(BaseSettings):
    """Configuration from the environment. Table names have no defaults on purpose: a
    deployment that forgets one must fail loudly, not read some other table."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    memberships_table: TableName
    integrations_table: TableName
    scoring_rules_table: TableName
    engagement_levels_table: TableName

    # The SDK's own retry mode and timeouts bound each call; the deadline bounds the request.
    # Worst case per call: attempts x (connect + read) + standard-mode backoff (< 1 s + 2 s).
    dynamodb_max_attempts: int = Field(default=3, ge=1, le=5)
    dynamodb_connect_timeout_seconds: float = Field(default=0.5, gt=0, le=5)
    dynamodb_read_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    request_deadline_seconds: float = Field(default=6.0, gt=0, le=25)
    retry_after_seconds: int = Field(default=2, ge=1, le=300)

    def table_for(self, source: EvidenceSource) -> str:
        return {
            EvidenceSource.INTEGRATIONS: self.integrations_table,
            EvidenceSource.SCORING_RULES: self.scoring_rules_table,
            EvidenceSource.ENGAGEMENT_LEVELS: self.engagement_levels_table,
        }[source]


def load_settings() -> Settings:
    """Settings from the environment, or a ConfigurationError naming every bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']).upper()}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None


def dynamodb_client(settings: Settings) -> "DynamoDBClient":
    """One client per execution environment. Its endpoint comes from boto3's own
    AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL when set (local stores), else AWS."""
    config = Config(
        retries={"mode": "standard", "total_max_attempts": settings.dynamodb_max_attempts},
        connect_timeout=settings.dynamodb_connect_timeout_seconds,
        read_timeout=settings.dynamodb_read_timeout_seconds,
        max_pool_connections=len(CHECKLIST) + 1,
    )
    return boto3.session.Session().client("dynamodb", config=config)


@cache
def app_settings() -> Settings:
    """The settings, validated once per execution environment."""
    return load_settings()


@cache
def status_service() -> OnboardingStatusService:
    settings = app_settings()
    client = dynamodb_client(settings)
    return OnboardingStatusService(
        memberships=DynamoDbMemberships(client, settings.memberships_table),
        evidence=DynamoDbEvidence(
            client, {source: settings.table_for(source) for source in EvidenceSource}
        ),
        runner=ThreadPoolCheckRunner(
            max_workers=len(CHECKLIST) + 1, deadline_seconds=settings.request_deadline_seconds
        ),
    )
