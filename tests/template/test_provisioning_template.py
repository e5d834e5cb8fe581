"""template.yaml for the provisioning check: its own function, triggers with dead-letter
queues, its progress table, and settings that match what the code reads."""

from typing import Any, Final

import pytest

from local.cfn_template import load_template
from settings import ProvisioningSettings
from tests.template.test_template import (
    Template,
    as_list,
    policy_statements,
    properties,
    resources_of_type,
)

pytestmark = pytest.mark.template

FUNCTION: Final = "ProvisioningFunction"


@pytest.fixture(scope="module")
def function(template: Template) -> dict[str, Any]:
    return properties(template, FUNCTION)


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


def test_it_is_its_own_function_so_the_api_keeps_a_read_only_role(
    function: dict[str, Any],
) -> None:
    assert function["Handler"] == "handlers.provisioning_check.lambda_handler"
    assert (function["Runtime"], function["Architectures"]) == ("python3.13", ["arm64"])


def test_its_environment_names_every_setting_the_code_requires(function: dict[str, Any]) -> None:
    required = {
        name.upper()
        for name, field in ProvisioningSettings.model_fields.items()
        if field.is_required()
    }
    assert required == {
        "INTEGRATIONS_TABLE",
        "SCORING_RULES_TABLE",
        "ENGAGEMENT_LEVELS_TABLE",
        "PROGRESS_TABLE",
    }
    variables = function["Environment"]["Variables"]
    assert required <= set(variables)
    assert "MEMBERSHIPS_TABLE" not in variables
    assert variables["PROGRESS_TABLE"] == {"Ref": "ProgressTable"}
    assert variables["EVENT_BUS_NAME"] == {"Ref": "EventBusName"}


def test_the_progress_table_is_keyed_by_ou(template: Template) -> None:
    table = properties(template, "ProgressTable")
    assert table["KeySchema"] == [{"AttributeName": "ou_id", "KeyType": "HASH"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_the_eventbridge_rule_matches_the_parameters_and_has_retries_and_a_dlq(
    template: Template,
) -> None:
    rule = properties(template, "ProvisioningTriggerRule")
    assert rule["EventPattern"] == {
        "source": [{"Ref": "TriggerEventSource"}],
        "detail-type": [{"Ref": "TriggerDetailType"}],
    }
    assert rule["EventBusName"] == {"Ref": "EventBusName"}
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [FUNCTION, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {
        "Fn::GetAtt": ["ProvisioningDeadLetterQueue", "Arn"]
    }
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    permission = properties(template, "ProvisioningTriggerPermission")
    assert permission["SourceArn"] == {"Fn::GetAtt": ["ProvisioningTriggerRule", "Arn"]}


def test_failed_async_invocations_land_in_the_dead_letter_queue(function: dict[str, Any]) -> None:
    assert function["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["ProvisioningDeadLetterQueue", "Arn"]},
    }
    assert function["EventInvokeConfig"]["MaximumRetryAttempts"] >= 1


def test_the_recheck_queue_reports_partial_failures_and_redrives(template: Template) -> None:
    mapping = properties(template, "RecheckEventSource")
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["RecheckQueue", "Arn"]}
    queue = properties(template, "RecheckQueue")
    redrive = queue["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["RecheckDeadLetterQueue", "Arn"]}
    assert redrive["maxReceiveCount"] >= 1
    function_timeout = properties(template, FUNCTION)["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * function_timeout


def test_the_role_holds_only_what_the_function_uses(function: dict[str, Any]) -> None:
    grants = {
        action: as_list(statement["Resource"])
        for statement in policy_statements(function)
        for action in as_list(statement["Action"])
    }
    assert set(grants) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "events:PutEvents",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    }
    assert len(grants["dynamodb:Query"]) == 3
    assert grants["dynamodb:GetItem"] == [{"Fn::GetAtt": ["ProgressTable", "Arn"]}]
    assert grants["dynamodb:UpdateItem"] == [{"Fn::GetAtt": ["ProgressTable", "Arn"]}]
    assert grants["sqs:ReceiveMessage"] == [{"Fn::GetAtt": ["RecheckQueue", "Arn"]}]
    assert grants["sqs:SendMessage"] == [{"Fn::GetAtt": ["ProvisioningDeadLetterQueue", "Arn"]}]
    assert grants["logs:PutLogEvents"] == [{"Fn::GetAtt": ["ProvisioningFunctionLogGroup", "Arn"]}]
    assert "Events" not in function  # SAM events would attach broader managed policies


def test_every_queue_is_encrypted(template: Template) -> None:
    queues = resources_of_type(template, "AWS::SQS::Queue")
    assert set(queues) == {"ProvisioningDeadLetterQueue", "RecheckQueue", "RecheckDeadLetterQueue"}
    assert all(queue["SqsManagedSseEnabled"] is True for queue in queues.values())
