"""What each function's role may do, and that no policy anywhere in the stack grants "*".

Two views: template.yaml as written (with the evaluator of test_template.py, for every
Existing...TableName choice), and the template as SAM transforms it for deployment (SAM's own
translator, from the SAM CLI's virtual environment, in a subprocess), where SAM-generated roles
or managed policies would show up.
"""

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any, Final

import pytest

from local.cfn_template import PROJECT_ROOT, load_template
from tests.template.test_template import (
    EXISTING_TABLE_CASES,
    TABLE_ARN,
    TABLES,
    Table,
    Template,
    as_list,
    expected_table_name,
    policy_statements,
    properties,
    resolve,
    role_of,
    table_scenario,
)

pytestmark = pytest.mark.template

SAM_PYTHON: Final = PROJECT_ROOT / ".venv-sam" / "bin" / "python"
STATUS_FUNCTION: Final = "StatusFunction"
PROVISIONING_FUNCTION: Final = "ProvisioningFunction"
STEP_TABLES: Final = tuple(table for table in TABLES if table.logical_id != "MembershipsTable")
# Resource types whose documents grant access: IAM policies and resource-based policies.
POLICY_HOLDERS: Final = {
    "AWS::IAM::Role": lambda props: [p["PolicyDocument"] for p in props.get("Policies", [])],
    "AWS::IAM::Policy": lambda props: [props["PolicyDocument"]],
    "AWS::IAM::ManagedPolicy": lambda props: [props["PolicyDocument"]],
    "AWS::SQS::QueuePolicy": lambda props: [props["PolicyDocument"]],
    "AWS::SNS::TopicPolicy": lambda props: [props["PolicyDocument"]],
    "AWS::Events::EventBusPolicy": lambda props: [props.get("Statement", {})],
}
# SAM's translator, on a copy of the template whose code locations it accepts without a build.
TRANSFORM: Final = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

template = yaml_parse(open(sys.argv[1], encoding="utf-8").read())
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
json.dump(transform(template, {}, NoManagedPolicies()), sys.stdout)
"""


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


@pytest.fixture(scope="module")
def transformed() -> Template:
    """template.yaml as SAM would deploy it."""
    assert SAM_PYTHON.is_file(), (
        f"{SAM_PYTHON} is missing: `make check` (or make validate) creates it"
    )
    completed = subprocess.run(
        [str(SAM_PYTHON), "-c", TRANSFORM, str(PROJECT_ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert completed.returncode == 0, completed.stderr
    result: Template = json.loads(completed.stdout)
    return result


def grants(function: dict[str, Any]) -> dict[str, list[Any]]:
    """Action -> the resources it is allowed on, over every statement of the function's role."""
    granted: dict[str, list[Any]] = {}
    for statement in policy_statements(function):
        assert statement["Effect"] == "Allow", statement
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}, statement
        for action in as_list(statement["Action"]):
            granted.setdefault(action, []).extend(as_list(statement["Resource"]))
    return granted


def documents(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in template["Resources"].items():
        read = POLICY_HOLDERS.get(resource["Type"])
        if read is not None:
            for document in read(resource["Properties"]):
                yield logical_id, document


def statements_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(document.get("Statement", document))


def wildcards_in(template: Template) -> list[tuple[str, Any]]:
    found = []
    for logical_id, document in documents(template):
        for statement in statements_of(document):
            for key in ("Resource", "Action", "NotResource", "NotAction", "Principal"):
                if key in statement and "*" in json.dumps(statement[key]):
                    found.append((logical_id, {key: statement[key]}))
            found += [(logical_id, key) for key in ("NotResource", "NotAction") if key in statement]
    return found


def table_names(resources: list[Any], template: Template, params: dict[str, Any]) -> list[Any]:
    names = []
    for resource in resolve(resources, template, params):
        arn, variables = resource["Fn::Sub"]
        assert arn == TABLE_ARN, f"{arn} is not a table of this account and region (an index?)"
        names.append(variables["Name"])
    return sorted(names, key=repr)


def expected_names(tables: tuple[Table, ...], existing: Table | None) -> list[Any]:
    return sorted((expected_table_name(table, existing) for table in tables), key=repr)


# ---------------------------------------------------------------- the API function


def test_the_api_function_may_only_read_and_write_its_own_logs(template: Template) -> None:
    granted = grants(properties(template, STATUS_FUNCTION))
    assert set(granted) == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }, sorted(granted)
    own_logs = {"Fn::GetAtt": ["StatusFunctionLogGroup", "Arn"]}
    assert granted["logs:PutLogEvents"] == granted["logs:CreateLogStream"] == [own_logs]


@pytest.mark.parametrize("existing", EXISTING_TABLE_CASES)
def test_the_api_function_reads_exactly_its_four_tables(
    template: Template, existing: Table | None
) -> None:
    params = table_scenario(template, existing)
    granted = grants(properties(template, STATUS_FUNCTION))
    for action in ("dynamodb:GetItem", "dynamodb:Query"):
        assert table_names(granted[action], template, params) == expected_names(TABLES, existing)


# ---------------------------------------------------------------- the provisioning function


def test_the_provisioning_function_holds_only_what_it_uses(template: Template) -> None:
    function = properties(template, PROVISIONING_FUNCTION)
    granted = grants(function)
    get_att = lambda logical_id: [{"Fn::GetAtt": [logical_id, "Arn"]}]  # noqa: E731
    consume = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    assert granted == {
        "logs:CreateLogStream": get_att("ProvisioningFunctionLogGroup"),
        "logs:PutLogEvents": get_att("ProvisioningFunctionLogGroup"),
        "sqs:SendMessage": get_att(function["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]),
        "dynamodb:Query": granted["dynamodb:Query"],  # the step tables, checked below
        "dynamodb:GetItem": get_att("ProgressTable"),
        "dynamodb:UpdateItem": get_att("ProgressTable"),
        "events:PutEvents": [
            {
                "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}"
                ":event-bus/${EventBusName}"
            }
        ],
        **{action: get_att("RecheckQueue") for action in consume},
        "sqs:ChangeMessageVisibility": get_att("RecheckQueue"),
    }


@pytest.mark.parametrize("existing", EXISTING_TABLE_CASES)
def test_the_provisioning_function_queries_exactly_the_three_step_tables(
    template: Template, existing: Table | None
) -> None:
    params = table_scenario(template, existing)
    granted = grants(properties(template, PROVISIONING_FUNCTION))
    step_tables = expected_names(STEP_TABLES, existing if existing in STEP_TABLES else None)
    assert table_names(granted["dynamodb:Query"], template, params) == step_tables


# ---------------------------------------------------------- every policy, written and deployed


def test_no_policy_in_the_template_grants_a_wildcard(template: Template) -> None:
    holders = {logical_id for logical_id, _ in documents(template)}
    assert {"StatusFunctionRole", "ProvisioningFunctionRole"} <= holders, holders
    assert "ProvisioningDeadLetterQueuePolicy" in holders, "queue policies must be inspected too"
    assert wildcards_in(template) == []


def test_every_function_has_its_own_role(template: Template) -> None:
    functions = [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    ]
    roles = {function: role_of(properties(template, function)) for function in functions}
    assert None not in roles.values(), f"functions with a SAM-generated role: {roles}"
    assert len(set(roles.values())) == len(functions), roles


def test_the_deployed_roles_hold_no_managed_policy_and_no_wildcard(transformed: Template) -> None:
    roles = {
        logical_id: resource["Properties"]
        for logical_id, resource in transformed["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
    }
    assert set(roles) == {"StatusFunctionRole", "ProvisioningFunctionRole"}, sorted(roles)
    with_managed = {
        name: role["ManagedPolicyArns"]
        for name, role in roles.items()
        if role.get("ManagedPolicyArns")
    }
    assert with_managed == {}
    assert wildcards_in(transformed) == []


def test_the_deployed_functions_run_under_those_roles(transformed: Template) -> None:
    functions = {
        logical_id: resource["Properties"]
        for logical_id, resource in transformed["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert functions[STATUS_FUNCTION]["Role"] == {"Fn::GetAtt": ["StatusFunctionRole", "Arn"]}
    assert functions[PROVISIONING_FUNCTION]["Role"] == {
        "Fn::GetAtt": ["ProvisioningFunctionRole", "Arn"]
    }


def test_no_function_logs_its_events(template: Template) -> None:
    """The event holds the caller's tokens and cookies: Powertools must not log it."""
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            assert str(variables.get("POWERTOOLS_LOGGER_LOG_EVENT", "false")).lower() == "false", (
                logical_id
            )
