"""Least privilege, as deployed: each function's role holds what its code uses and nothing more,
for every table and stream choice, CodeDeploy's only what shifting the aliases takes, and no
policy anywhere in the stack grants "*" (save X-Ray's, which knows no other resource)."""

import ast
import dataclasses
import itertools
import json
import re
from collections.abc import Callable
from typing import Any, Final

import pytest

from local.cfn_template import PROJECT_ROOT
from settings import ApiSettings, ProvisioningSettings
from tests.template.conftest import (
    EVIDENCE_TABLES,
    NO_VALUE,
    TABLE_CASES,
    Stack,
    Template,
    as_list,
    existing_stream,
    grants,
    statements,
    table_id,
    with_existing,
)

pytestmark = pytest.mark.template

# What the adapters do with each table the settings name (src/adapters/dynamodb.py, progress.py).
OPERATIONS: Final = {
    "MEMBERSHIPS_TABLE": {"dynamodb:GetItem"},
    "INTEGRATIONS_TABLE": {"dynamodb:Query"},
    "SCORING_RULES_TABLE": {"dynamodb:Query"},
    "ENGAGEMENT_LEVELS_TABLE": {"dynamodb:Query"},
    "PROGRESS_TABLE": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
}
SETTINGS: Final = {"StatusFunction": ApiSettings, "ProvisioningFunction": ProvisioningSettings}
STREAM_ACTIONS: Final = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}
# Everything else each role holds, resource by resource.
OTHER_GRANTS: Final = {
    "StatusFunction": {
        "logs:CreateLogStream": ["StatusFunctionLogGroup"],
        "logs:PutLogEvents": ["StatusFunctionLogGroup"],
    },
    "ProvisioningFunction": {
        "logs:CreateLogStream": ["ProvisioningFunctionLogGroup"],
        "logs:PutLogEvents": ["ProvisioningFunctionLogGroup"],
        "events:PutEvents": ["event-bus/default"],
        "sqs:ReceiveMessage": ["RecheckQueue"],
        "sqs:DeleteMessage": ["RecheckQueue"],
        "sqs:GetQueueAttributes": ["RecheckQueue"],
        "sqs:ChangeMessageVisibility": ["RecheckQueue"],
        "sqs:SendMessage": ["ProvisioningDeadLetterQueue", "StreamFailureQueue"],
    },
}
# The only actions whose resource can be nothing but "*" (they have no resource types).
XRAY_WRITES: Final = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
KMS_KEY: Final = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# With KmsKeyArn: the status function reads what the key protects; the provisioning function
# also writes (its progress table, its failure queues).
KMS_GRANTS: Final = {
    "StatusFunction": {"kms:Decrypt": [KMS_KEY]},
    "ProvisioningFunction": {"kms:Decrypt": [KMS_KEY], "kms:GenerateDataKey": [KMS_KEY]},
}
# What runs under a role: resource type, the service that assumes it, where the role is named.
ROLE_USERS: Final[list[tuple[str, str, Callable[[dict[str, Any]], Any]]]] = [
    ("AWS::Lambda::Function", "lambda.amazonaws.com", lambda props: props["Role"]),
    ("AWS::StepFunctions::StateMachine", "states.amazonaws.com", lambda props: props["RoleArn"]),
    ("AWS::Scheduler::Schedule", "scheduler.amazonaws.com", lambda p: p["Target"]["RoleArn"]),
]
POLICY_HOLDERS: Final = {
    "AWS::IAM::Role": lambda props: [p["PolicyDocument"] for p in props.get("Policies", [])],
    "AWS::IAM::Policy": lambda props: [props["PolicyDocument"]],
    "AWS::IAM::ManagedPolicy": lambda props: [props["PolicyDocument"]],
    "AWS::SQS::QueuePolicy": lambda props: [props["PolicyDocument"]],
    "AWS::SNS::TopicPolicy": lambda props: [props["PolicyDocument"]],
    "AWS::Events::EventBusPolicy": lambda props: [props.get("Statement", {})],
}


def short(resource: Any) -> str:
    """A readable name for a granted resource: a logical id, or the tail of an ARN."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    text = resource if isinstance(resource, str) else resource["Fn::Sub"]
    return str(text).rsplit(":", 1)[-1]


def table_grants(granted: dict[str, list[Any]]) -> dict[str, set[str]]:
    """Table -> the DynamoDB operations granted on it (streams left out)."""
    tables: dict[str, set[str]] = {}
    for action, resources in granted.items():
        if action.startswith("dynamodb:") and action not in STREAM_ACTIONS:
            for resource in resources:
                tables.setdefault(table_id(resource), set()).add(action)
    return tables


@pytest.mark.parametrize("existing", TABLE_CASES)
@pytest.mark.parametrize("function", sorted(SETTINGS))
def test_a_function_may_use_exactly_the_tables_its_code_reads(
    stack: Callable[..., Stack], function: str, existing: tuple[str, ...]
) -> None:
    deployed = stack(**with_existing(*existing))
    variables = deployed.properties(function)["Environment"]["Variables"]
    read = [
        s.name.upper() for s in dataclasses.fields(SETTINGS[function]) if s.name.endswith("_table")
    ]
    expected = {table_id(variables[name]): OPERATIONS[name] for name in read}
    assert table_grants(grants(deployed, function)) == expected


def test_the_granted_operations_are_those_the_adapters_call(stack: Callable[..., Stack]) -> None:
    """Every DynamoDB operation some function may use is one an adapter calls, and back."""
    called = set()
    for module in ("dynamodb", "progress", "membership_scan"):
        tree = ast.parse((PROJECT_ROOT / "src" / "adapters" / f"{module}.py").read_text())
        called |= {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "_client"
        }
    deployed = stack()
    granted = {
        action.removeprefix("dynamodb:")
        for function in deployed.of_type("AWS::Lambda::Function")
        for action in grants(deployed, function)
        if action.startswith("dynamodb:") and action not in STREAM_ACTIONS
    }
    assert called == {re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower() for op in granted}


@pytest.mark.parametrize(
    ("overrides", "extra"),
    [
        pytest.param({}, {}, id="defaults"),
        pytest.param(
            {"Tracing": "Active"}, {action: ["*"] for action in XRAY_WRITES}, id="tracing"
        ),
        pytest.param({"KmsKeyArn": KMS_KEY}, KMS_GRANTS, id="kms-key"),
    ],
)
@pytest.mark.parametrize("function", sorted(SETTINGS))
def test_everything_else_a_function_may_do(
    stack: Callable[..., Stack],
    function: str,
    overrides: dict[str, str],
    extra: dict[str, Any],
) -> None:
    granted = grants(stack(**overrides), function)
    others = {
        action: sorted(short(resource) for resource in resources)
        for action, resources in granted.items()
        if not action.startswith("dynamodb:")
    }
    extra = extra.get(function, extra)
    assert others == OTHER_GRANTS[function] | {
        action: [short(resource) for resource in resources] for action, resources in extra.items()
    }


def test_codedeploy_may_only_shift_the_live_aliases_watching_their_rollback_alarms(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack()
    groups = deployed.of_type("AWS::CodeDeploy::DeploymentGroup")
    (role,) = {group["ServiceRoleArn"]["Fn::GetAtt"][0] for group in groups.values()}
    (trust,) = deployed.properties(role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "codedeploy.amazonaws.com"}
    granted: dict[str, set[str]] = {}
    for statement in statements(deployed.properties(role)):
        for action in as_list(statement["Action"]):
            granted.setdefault(action, set()).update(
                map(json.dumps, as_list(statement["Resource"]))
            )
    aliases = {
        json.dumps({"Fn::Sub": f"${{{function}.Arn}}:live"})
        for function in deployed.of_type("AWS::Lambda::Function")
    }
    alarms = {
        json.dumps({"Fn::GetAtt": [alarm["Name"]["Ref"], "Arn"]})
        for group in groups.values()
        for alarm in group["AlarmConfiguration"]["Alarms"]
    }
    assert granted == {
        "lambda:GetAlias": aliases,
        "lambda:UpdateAlias": aliases,
        "lambda:GetProvisionedConcurrencyConfig": aliases,
        "cloudwatch:DescribeAlarms": alarms,
    }


STREAM_CASES: Final = [
    pytest.param({}, set(EVIDENCE_TABLES), id="created-tables"),
    pytest.param(
        with_existing("IntegrationsTable"), set(EVIDENCE_TABLES[1:]), id="existing-without-stream"
    ),
    pytest.param(
        with_existing("IntegrationsTable", streams=True),
        set(EVIDENCE_TABLES[1:]) | {existing_stream("IntegrationsTable")},
        id="existing-with-stream",
    ),
    pytest.param(with_existing(*EVIDENCE_TABLES), set(), id="no-stream-at-all"),
    pytest.param(
        with_existing(*EVIDENCE_TABLES, streams=True),
        {existing_stream(table) for table in EVIDENCE_TABLES},
        id="existing-streams-only",
    ),
]


def stream_id(value: Any) -> str:
    if isinstance(value, dict):
        logical_id, attribute = value["Fn::GetAtt"]
        assert attribute == "StreamArn", value
        return str(logical_id)
    return str(value)


@pytest.mark.parametrize(("overrides", "streams"), STREAM_CASES)
def test_the_provisioning_function_reads_exactly_the_streams_that_trigger_it(
    stack: Callable[..., Stack], overrides: dict[str, str], streams: set[str]
) -> None:
    deployed = stack(**overrides)
    granted = grants(deployed, "ProvisioningFunction")
    for action in STREAM_ACTIONS:
        assert {stream_id(resource) for resource in granted.get(action, [])} == streams, action
    mapped = {
        stream_id(mapping["EventSourceArn"])
        for mapping in deployed.of_type("AWS::Lambda::EventSourceMapping").values()
        if mapping["EventSourceArn"] != {"Fn::GetAtt": ["RecheckQueue", "Arn"]}
    }
    assert mapped == streams
    assert not any(action in STREAM_ACTIONS for action in grants(deployed, "StatusFunction"))


def branches(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """A statement, or each statement a condition may choose (Fn::If)."""
    if set(statement) == {"Fn::If"}:
        return [s for branch in statement["Fn::If"][1:] for s in branches(branch)]
    return [] if statement == NO_VALUE else [statement]


def wildcards(template: Template) -> list[tuple[str, Any]]:
    found = []
    for logical_id, resource in template["Resources"].items():
        read = POLICY_HOLDERS.get(resource["Type"])
        for document in read(resource["Properties"]) if read else []:
            chosen = [branches(s) for s in as_list(document.get("Statement", document))]
            for statement in itertools.chain.from_iterable(chosen):
                if set(as_list(statement.get("Action"))) <= XRAY_WRITES:
                    continue
                found += [
                    (logical_id, key) for key in ("NotResource", "NotAction") if key in statement
                ]
                for key in ("Resource", "Action", "Principal"):
                    if key in statement and "*" in json.dumps(statement[key]):
                        found.append((logical_id, {key: statement[key]}))
    return found


# A Distributed Map's child executions get names only when they start: the one wildcard the
# stack needs, over the fleet sweep state machine's own executions.
CHILD_EXECUTIONS: Final = {
    "Resource": {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
        "${AWS::StackName}-fleet-sweep/*"
    }
}


def test_no_policy_in_the_deployed_stack_grants_a_wildcard(deployed: Template) -> None:
    holders = {
        logical_id
        for logical_id, resource in deployed["Resources"].items()
        if resource["Type"] in POLICY_HOLDERS
    }
    assert {
        "StatusFunctionRole",
        "ProvisioningFunctionRole",
        "DeploymentRole",
        "FleetSweepFunctionRole",
        "FleetSweepStateMachineRole",
        "ProvisioningDeadLetterQueuePolicy",
    } <= holders
    assert wildcards(deployed) == [("FleetSweepStateMachineRole", CHILD_EXECUTIONS)]
    machine = deployed["Resources"]["FleetSweepStateMachine"]["Properties"]
    assert machine["StateMachineName"] == {"Fn::Sub": "${AWS::StackName}-fleet-sweep"}


def test_the_wildcard_search_looks_inside_conditions() -> None:
    granted = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Policies": [
                {"PolicyDocument": {"Statement": [{"Fn::If": ["Condition", granted, NO_VALUE]}]}}
            ]
        },
    }
    assert wildcards({"Resources": {"Role": role}}) == [("Role", {"Resource": "*"})]


def test_each_function_runs_under_a_role_of_its_own_without_managed_policies(
    stack: Callable[..., Stack],
) -> None:
    """SAM's generated roles for functions carry AWSLambdaBasicExecutionRole, whose logs grant
    covers "*" (its CodeDeploy role AWSCodeDeployRoleForLambda's, "*" too). The only other
    roles: the state machine's, its schedule's and CodeDeploy's, one for every deployment."""
    deployed = stack()
    roles = deployed.of_type("AWS::IAM::Role")
    used = {
        role["Fn::GetAtt"][0]: service
        for resource_type, service, role_of in ROLE_USERS
        for resource in deployed.of_type(resource_type).values()
        for role in [role_of(resource)]
    }
    assert len(used) == sum(len(deployed.of_type(user[0])) for user in ROLE_USERS), "a shared role"
    groups = deployed.of_type("AWS::CodeDeploy::DeploymentGroup").values()
    (deploying,) = {group["ServiceRoleArn"]["Fn::GetAtt"][0] for group in groups}
    used[deploying] = "codedeploy.amazonaws.com"
    assert set(used) == set(roles), "a role nothing uses"
    for name, role in roles.items():
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert as_list(trust["Principal"]["Service"]) == [used[name]], name
        assert not role.get("ManagedPolicyArns"), name


def test_queue_policies_admit_only_the_stacks_own_rule(stack: Callable[..., Stack]) -> None:
    for policy in stack().of_type("AWS::SQS::QueuePolicy").values():
        for statement in statements({"Policies": [policy]}):
            assert set(statement["Principal"]) == {"Service"}, statement
            assert statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][1] == "Arn"


def test_no_function_logs_its_events(stack: Callable[..., Stack]) -> None:
    """The event holds the caller's tokens and cookies: Powertools must not log it."""
    for name, function in stack().of_type("AWS::Lambda::Function").items():
        variables = function["Environment"]["Variables"]
        assert str(variables.get("POWERTOOLS_LOGGER_LOG_EVENT", "false")).lower() == "false", name
