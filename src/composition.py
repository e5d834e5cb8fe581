"""The composition root: validated settings in, wired use cases out.

Settings are read from the environment once per execution environment, on first use, so tests
and tools can import every module without any environment set up.

Only what the status API needs is imported with this module, which Lambda does while it
initialises the function. The settings models load when configuration is first read, and the
provisioning use case and EventBridge only in the functions that use them.
Nothing here opens a connection or starts a thread at import. With Lambda SnapStart the status
API's parts are made and primed before the snapshot instead, and let go of what a snapshot
must not hold (``prepare_status_api_for_snapshots``).
"""

import importlib
import os
import random
from collections.abc import Callable
from contextlib import suppress
from functools import cache
from typing import TYPE_CHECKING, Final, cast

import botocore.session

from adapters.aws_errors import reject_unparsable_responses
from adapters.concurrency import ThreadPoolCheckRunner
from adapters.dynamodb import DynamoDbEvidence, DynamoDbMemberships
from domain.checklist import CHECKLIST, EvidenceSource
from domain.errors import ConfigurationError, OnboardingError
from domain.identifiers import OuId, PrincipalId
from domain.ports import CheckRunner
from domain.service import ChecklistEvaluator, OnboardingStatusService

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_events.client import EventBridgeClient

    from domain.fleet import FleetSweep
    from domain.provisioning import ProvisioningCheck
    from settings import ApiSettings, ChecklistSettings, ProvisioningSettings


def dynamodb_client(settings: "ChecklistSettings") -> "DynamoDBClient":
    """One client per execution environment. Its endpoint comes from the SDK's own
    AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL when set (local stores), else AWS.

    Made with botocore, which boto3 wraps: boto3 adds nothing to a DynamoDB client, but
    importing it loads its resource layer and S3 transfer manager too (docs/benchmarks.md).
    """
    client = cast(
        "DynamoDBClient",
        botocore.session.get_session().create_client("dynamodb", config=settings.sdk_config()),
    )
    reject_unparsable_responses(client)
    return client


def eventbridge_client(settings: "ChecklistSettings") -> "EventBridgeClient":
    """Endpoint from AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL when set."""
    client = cast(
        "EventBridgeClient",
        botocore.session.get_session().create_client("events", config=settings.sdk_config()),
    )
    reject_unparsable_responses(client)
    return client


def check_runner(settings: "ChecklistSettings") -> ThreadPoolCheckRunner:
    return ThreadPoolCheckRunner(
        max_workers=len(CHECKLIST) + 1, deadline_seconds=settings.request_deadline_seconds
    )


def checklist_evaluator(
    settings: "ChecklistSettings", client: "DynamoDBClient", runner: CheckRunner | None = None
) -> ChecklistEvaluator:
    return ChecklistEvaluator(
        evidence=DynamoDbEvidence(
            client, {source: settings.table_for(source) for source in EvidenceSource}
        ),
        runner=runner or check_runner(settings),
    )


@cache
def app_settings() -> "ApiSettings":
    """The API's settings, validated once per execution environment."""
    from settings import ApiSettings, load_settings

    return load_settings(ApiSettings)


@cache
def status_service() -> OnboardingStatusService:
    settings = app_settings()
    client = dynamodb_client(settings)
    runner = check_runner(settings)
    _snapshot_releases[:] = [client.close, runner.end_threads]
    return OnboardingStatusService(
        memberships=DynamoDbMemberships(client, settings.memberships_table),
        checklist=checklist_evaluator(settings, client, runner),
    )


# What a SnapStart snapshot must not hold, for the status service last made: the client's
# pooled connections (restored copies would share them) and the check pool's threads.
_snapshot_releases: list[Callable[[], None]] = []
SNAPSTART_INITIALIZATION: Final = "snap-start"
# Ids no request can name (an id starts with a letter or a digit): priming reads miss.
PRIMING_OU: Final = OuId("_snapstart-priming")
PRIMING_PRINCIPAL: Final = PrincipalId("_snapstart-priming")


def prepare_status_api_for_snapshots() -> None:
    """With Lambda SnapStart (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start), prime the status API
    before the snapshot and reseed ``random`` (the SDK's retry jitter) after each restore, so
    that restored copies share no pseudo-random sequence. The hooks come from
    snapshot_restore_py, which the Lambda runtime provides; where it is missing the parts are
    made on the first request, as without SnapStart. Credentials stay the runtime's: the SDK
    refreshes them when they expire."""
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != SNAPSTART_INITIALIZATION:
        return
    try:
        hooks = importlib.import_module("snapshot_restore_py")
    except ImportError:
        return
    # Before the snapshot, hooks run in the reverse order of registration: priming first.
    hooks.register_before_snapshot(release_for_snapshot)
    hooks.register_before_snapshot(prime_status_api)
    hooks.register_after_restore(random.seed)


def prime_status_api() -> None:
    """Validate the settings, make the client and the pool, and send a request's calls (each
    step's first look, then the membership read) for ids no request names, so that the first
    request after a restore imports and creates nothing. A configuration error is left to the
    first request, which answers 500 and logs it, as without SnapStart; a failed read only
    means less priming."""
    try:
        service = status_service()
    except ConfigurationError:
        return
    with suppress(OnboardingError):
        service.checklist.checklist_for(PRIMING_OU)
        service.memberships.is_active_member(PRIMING_OU, PRIMING_PRINCIPAL)


def release_for_snapshot() -> None:
    """Close the client's pooled connections and end the pool's threads; the first request
    after a restore opens and starts new ones."""
    for release in _snapshot_releases:
        release()


@cache
def provisioning_check() -> "ProvisioningCheck":
    from settings import ProvisioningSettings, load_settings

    settings = load_settings(ProvisioningSettings)
    return _provisioning_check(settings, dynamodb_client(settings))


def _provisioning_check(
    settings: "ProvisioningSettings", client: "DynamoDBClient"
) -> "ProvisioningCheck":
    from adapters.eventbridge import EventBridgePublisher
    from adapters.progress import DynamoDbProgress
    from domain.provisioning import ProvisioningCheck

    return ProvisioningCheck(
        checklist=checklist_evaluator(settings, client),
        progress=DynamoDbProgress(client, settings.progress_table),
        publisher=EventBridgePublisher(
            eventbridge_client(settings), settings.event_bus_name, settings.event_source
        ),
    )


@cache
def fleet_sweep() -> "FleetSweep":
    from datetime import timedelta

    from adapters.membership_scan import DynamoDbMembershipScan
    from domain.fleet import FleetSweep
    from settings import FleetSettings, load_settings

    settings = load_settings(FleetSettings)
    client = dynamodb_client(settings)
    check = _provisioning_check(settings, client)
    return FleetSweep(
        memberships=DynamoDbMembershipScan(client, settings.memberships_table),
        check=check,
        stalled_after=timedelta(days=settings.stalled_after_days),
    )


@cache
def read_only_checklist_evaluator() -> ChecklistEvaluator:
    """Read-only checklist evaluation, for operators' tools: no membership, no events."""
    from settings import ChecklistSettings, load_settings

    settings = load_settings(ChecklistSettings)
    return checklist_evaluator(settings, dynamodb_client(settings))
