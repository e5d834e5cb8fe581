"""The provisioning check's triggers as deployed: each one retried, bounded, and ending in a
queue rather than lost; the evidence tables' streams among them."""

from collections.abc import Callable
from typing import Any, Final

import pytest

from tests.template.conftest import EVIDENCE_TABLES, Stack, with_existing

pytestmark = pytest.mark.template

FUNCTION: Final = {"Ref": "ProvisioningFunction"}
# Every trigger invokes the alias, which CodeDeploy shifts gradually to a new version.
LIVE_ALIAS: Final = {"Ref": "ProvisioningFunctionAliaslive"}
ONE_DAY: Final = 86_400


def arn_of(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def stream_mappings(deployed: Stack) -> dict[str, dict[str, Any]]:
    return {
        name: mapping
        for name, mapping in deployed.of_type("AWS::Lambda::EventSourceMapping").items()
        if "StartingPosition" in mapping  # streams have one; queues do not
    }


def test_eventbridge_requests_are_retried_then_dead_lettered(stack: Callable[..., Stack]) -> None:
    deployed = stack(TriggerEventSource="workflows", TriggerDetailType="Check")
    rule = deployed.properties("ProvisioningTriggerRule")
    assert rule["EventPattern"] == {"source": ["workflows"], "detail-type": ["Check"]}
    (target,) = rule["Targets"]
    assert target["Arn"] == LIVE_ALIAS
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    dead_letters = target["DeadLetterConfig"]["Arn"]
    assert (
        deployed.properties("ProvisioningFunction")["DeadLetterConfig"]["TargetArn"] == dead_letters
    )
    (invoke,) = deployed.of_type("AWS::Lambda::EventInvokeConfig").values()
    assert (invoke["FunctionName"], invoke["Qualifier"]) == (FUNCTION, "live")
    assert invoke["MaximumRetryAttempts"] > 0
    (permission,) = [
        permission
        for permission in deployed.of_type("AWS::Lambda::Permission").values()
        if permission["Principal"] == "events.amazonaws.com"
    ]
    assert (permission["FunctionName"], permission["SourceArn"]) == (
        LIVE_ALIAS,
        arn_of("ProvisioningTriggerRule"),
    )


def test_rechecks_report_partial_failures_and_redrive_to_a_dead_letter_queue(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack()
    mapping = deployed.properties("RecheckEventSource")
    assert mapping["EventSourceArn"] == arn_of("RecheckQueue")
    assert (mapping["FunctionName"], mapping["FunctionResponseTypes"]) == (
        LIVE_ALIAS,
        ["ReportBatchItemFailures"],
    )
    redrive = deployed.properties("RecheckQueue")["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in deployed.of_type("AWS::SQS::Queue")
    assert redrive["maxReceiveCount"] >= 1


def test_streams_are_keys_only_on_the_evidence_tables_the_stack_creates(
    stack: Callable[..., Stack],
) -> None:
    tables = stack().of_type("AWS::DynamoDB::Table")
    streamed = {name for name, table in tables.items() if "StreamSpecification" in table}
    assert streamed == set(EVIDENCE_TABLES)
    assert all(
        tables[name]["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"} for name in streamed
    )


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="created-tables"),
        pytest.param(with_existing(*EVIDENCE_TABLES, streams=True), id="existing-streams"),
    ],
)
def test_a_poison_record_cannot_block_a_shard_nor_be_lost(
    stack: Callable[..., Stack], overrides: dict[str, str]
) -> None:
    """Reported failures resume from the first failed record; bisecting isolates a poison record;
    bounded retries and record age let the shard move on; the on-failure queue keeps it."""
    deployed = stack(**overrides, StreamBatchSize="50", StreamBatchingWindowSeconds="2")
    mappings = stream_mappings(deployed)
    assert len(mappings) == len(EVIDENCE_TABLES)
    queues = deployed.of_type("AWS::SQS::Queue")
    for name, mapping in mappings.items():
        assert mapping["FunctionName"] == LIVE_ALIAS, name
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        assert mapping["BisectBatchOnFunctionError"] is True, name
        assert 0 <= int(mapping["MaximumRetryAttempts"]) <= 10, name
        assert 60 <= int(mapping["MaximumRecordAgeInSeconds"]) <= ONE_DAY, name
        destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination["Fn::GetAtt"][0] in queues, name
        assert mapping["StartingPosition"] == "LATEST", name
        assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == ("50", "2"), (
            name
        )


def test_every_queue_is_encrypted(stack: Callable[..., Stack]) -> None:
    queues = stack().of_type("AWS::SQS::Queue")
    assert queues
    assert all(queue["SqsManagedSseEnabled"] is True for queue in queues.values())
