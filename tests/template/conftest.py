"""template.yaml as CloudFormation would deploy it, for given parameter values.

SAM's own translator (from the SAM CLI's environment, in a subprocess, once per session) turns
the template into what CloudFormation receives: Globals merged, SAM resources expanded. A small
evaluator then applies parameter values to it: conditions decide which resources exist, and
Fn::If, parameter Refs and Fn::Sub over parameters are resolved. Nothing is deployed.
"""

import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import pytest

from local.cfn_template import PROJECT_ROOT, TEMPLATE_PATH, load_template

Template = dict[str, Any]

SAM_PYTHON: Final = PROJECT_ROOT / ".venv-sam" / "bin" / "python"
TRANSFORM: Final = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

template = yaml_parse(open(sys.argv[1], encoding="utf-8").read())
# What `sam package` does with local paths: upload them and name them by S3 URI.
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
    if resource["Type"] == "AWS::Serverless::StateMachine":
        resource["Properties"]["DefinitionUri"] = "s3://bucket/definition.asl.json"
json.dump(transform(template, json.loads(sys.argv[2]), NoManagedPolicies()), sys.stdout)
"""
ISSUER: Final = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
AUDIENCE: Final = "client-a,client-b"
AUTHORIZER_ARN: Final = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer"
# Complete parameters for each AuthorizerType (the Rules demand them).
AUTH_PARAMETERS: Final = {
    "JWT": {"AuthorizerType": "JWT", "JwtIssuer": ISSUER, "JwtAudience": AUDIENCE},
    "LAMBDA": {"AuthorizerType": "LAMBDA", "LambdaAuthorizerArn": AUTHORIZER_ARN},
}
TABLES: Final = (
    "MembershipsTable",
    "IntegrationsTable",
    "ScoringRulesTable",
    "EngagementLevelsTable",
)
EVIDENCE_TABLES: Final = TABLES[1:]
TABLE_ARN_PREFIX: Final = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
NO_VALUE: Final = {"Ref": "AWS::NoValue"}


def existing_name(table: str) -> str:
    return f"existing-{table}"


def existing_stream(table: str) -> str:
    account = "arn:aws:dynamodb:eu-west-1:123456789012"
    return f"{account}:table/{existing_name(table)}/stream/2026-11-30T00:00:00.000"


def with_existing(*tables: str, streams: bool = False) -> dict[str, str]:
    """Parameters that reuse these tables (and give their streams, if asked)."""
    given = {f"Existing{table}Name": existing_name(table) for table in tables}
    if streams:
        given |= {f"Existing{table}StreamArn": existing_stream(table) for table in tables}
    return given


# Which tables are reused: none, or each one alone.
TABLE_CASES: Final = [pytest.param((), id="all-created")] + [
    pytest.param((table,), id=f"existing-{table}") for table in TABLES
]


@dataclass
class Stack:
    """The template's resources and outputs for one set of parameter values."""

    template: Template
    overrides: dict[str, str] = field(default_factory=dict)

    @cached_property
    def params(self) -> dict[str, Any]:
        specs = self.template["Parameters"]
        unknown = set(self.overrides) - set(specs)
        assert not unknown, f"not template parameters: {sorted(unknown)}"
        values: dict[str, Any] = {}
        for name, spec in specs.items():
            raw = str(self.overrides.get(name, spec.get("Default", "")))
            values[name] = raw.split(",") if spec["Type"] == "CommaDelimitedList" else raw
        return values

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Logical id -> resolved resource, for the resources these parameters create."""
        return {
            logical_id: self.resolve(resource)
            for logical_id, resource in self.template["Resources"].items()
            if "Condition" not in resource or self.holds(resource["Condition"])
        }

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        }

    def properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[logical_id]["Properties"]
        return properties

    def holds(self, condition: str) -> bool:
        return self.truth(self.template["Conditions"][condition])

    def truth(self, expression: dict[str, Any]) -> bool:
        ((function, args),) = expression.items()
        if function == "Condition":
            return self.holds(args)
        if function in ("Fn::Not", "Fn::And", "Fn::Or"):
            values = [self.truth(arg) for arg in args]
            return {"Fn::Not": not values[0], "Fn::And": all(values), "Fn::Or": any(values)}[
                function
            ]
        left, right = self.resolve(args)
        if function == "Fn::Equals":
            return bool(left == right)
        if function == "Fn::EachMemberEquals":
            return all(member == right for member in left)
        raise AssertionError(f"the evaluator does not know {function}")

    def resolve(self, value: Any) -> Any:
        """Parameter Refs, Fn::If and Fn::Sub over parameters evaluated, AWS::NoValue dropped;
        other intrinsics (resource Refs, Fn::GetAtt, pseudo parameters) kept."""
        if isinstance(value, list):
            return [item for item in map(self.resolve, value) if item != NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, args),) = value.items()
            if function == "Ref" and args in self.params:
                return self.params[args]
            if function == "Fn::If":
                condition, if_true, if_false = args
                return self.resolve(if_true if self.holds(condition) else if_false)
            if function == "Fn::Sub":
                return self._sub(args)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item != NO_VALUE}

    def _sub(self, args: Any) -> Any:
        text, variables = (args, {}) if isinstance(args, str) else args
        known = {**self.params, **self.resolve(variables)}
        kept = {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if isinstance(known.get(name), str):
                return str(known[name])
            if name in variables:
                kept[name] = known[name]
            return match.group(0)

        text = re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if "${" not in text:
            return text
        return {"Fn::Sub": [text, kept] if kept else text}

    def violated_rules(self) -> list[str]:
        failed = []
        for rule in self.template.get("Rules", {}).values():
            if "RuleCondition" in rule and not self.truth(rule["RuleCondition"]):
                continue
            failed += [
                assertion["AssertDescription"]
                for assertion in rule["Assertions"]
                if not self.truth(assertion["Assert"])
            ]
        return failed


def table_id(value: Any) -> str:
    """The table a value names: a created table's logical id, or an existing table's name.
    Accepts a table variable's value (Ref or name) or a policy resource (GetAtt Arn or ARN)."""
    if isinstance(value, str):
        return value
    if set(value) == {"Ref"}:
        return str(value["Ref"])
    if set(value) == {"Fn::GetAtt"} and value["Fn::GetAtt"][1] == "Arn":
        return str(value["Fn::GetAtt"][0])
    arn = value.get("Fn::Sub")
    assert isinstance(arn, str), f"not a table: {value}"
    assert arn.startswith(TABLE_ARN_PREFIX), f"not a table of this account and region: {arn}"
    name = arn.removeprefix(TABLE_ARN_PREFIX)
    assert not set(name) & {"/", "*"}, f"not exactly one table: {arn}"
    return name


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role.get("Policies", [])
        for statement in as_list(policy["PolicyDocument"]["Statement"])
    ]


def grants(stack: Stack, function: str) -> dict[str, list[Any]]:
    """Action -> resources, over every statement of the role the function runs under."""
    role = stack.properties(function)["Role"]["Fn::GetAtt"][0]
    granted: dict[str, list[Any]] = {}
    for statement in statements(stack.properties(role)):
        assert statement["Effect"] == "Allow", statement
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}, statement
        for action in as_list(statement["Action"]):
            granted.setdefault(action, []).extend(as_list(statement["Resource"]))
    return granted


@pytest.fixture(scope="session")
def source() -> Template:
    return load_template()


def translate(**parameters: str) -> Template:
    """template.yaml as SAM transforms it for CloudFormation. Parameters matter to SAM itself in
    a few places (DeploymentPreference's Type): elsewhere Stack resolves them."""
    assert SAM_PYTHON.is_file(), f"{SAM_PYTHON} is missing: `make check` creates it"
    completed = subprocess.run(
        [str(SAM_PYTHON), "-c", TRANSFORM, str(TEMPLATE_PATH), json.dumps(parameters)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert completed.returncode == 0, completed.stderr
    result: Template = json.loads(completed.stdout)
    return result


@pytest.fixture(scope="session")
def deployed() -> Template:
    return translate()


@pytest.fixture(scope="session")
def stack(deployed: Template) -> Callable[..., Stack]:
    """Build the deployed template's Stack for parameter overrides (default: JWT, all created)."""

    def build(**overrides: str) -> Stack:
        return Stack(deployed, {**AUTH_PARAMETERS["JWT"], **overrides})

    return build
