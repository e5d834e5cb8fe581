"""Releases and hardening as deployed: every trigger invokes each function's "live" alias, which
CodeDeploy shifts to a new version gradually and rolls back on the error alarms; tracing, a
customer-managed KMS key and reserved concurrency are each one parameter, empty (or
PassThrough) keeping AWS's defaults."""

import ast
from collections.abc import Callable
from typing import Any, Final

import pytest

from local.cfn_template import PROJECT_ROOT
from tests.template.conftest import Stack, Template, grants, translate
from tests.template.test_alarms import alarms_on
from tests.template.test_security import KMS_KEY, XRAY_WRITES

pytestmark = pytest.mark.template

# Where each kind of resource names its key, and what it has without one.
KEY_PROPERTY: Final = {
    "AWS::DynamoDB::Table": "SSESpecification",
    "AWS::Logs::LogGroup": "KmsKeyId",
    "AWS::SQS::Queue": "KmsMasterKeyId",
    "AWS::Lambda::Function": "KmsKeyArn",
}
ENCRYPTED_WITH_KEY: Final = {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KMS_KEY}
TRACER_MODULES: Final = ("aws_xray_sdk", "aws_lambda_powertools.tracing")


def alias(function: str) -> dict[str, str]:
    return {"Ref": f"{function}Aliaslive"}


def invokers(deployed: Stack) -> list[tuple[str, Any]]:
    """(resource, the function it invokes) for every way the stack invokes a function."""
    found = [
        (name, integration["IntegrationUri"])
        for name, integration in deployed.of_type("AWS::ApiGatewayV2::Integration").items()
    ]
    for kind in ("AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping"):
        found += [(name, item["FunctionName"]) for name, item in deployed.of_type(kind).items()]
    for name, rule in deployed.of_type("AWS::Events::Rule").items():
        found += [(name, target["Arn"]) for target in rule["Targets"]]
    functions = set(deployed.of_type("AWS::Lambda::Function"))
    for name, machine in deployed.of_type("AWS::StepFunctions::StateMachine").items():
        substituted = machine.get("DefinitionSubstitutions", {}).values()
        found += [(name, value) for value in substituted if names_a_function(value, functions)]
    return found


def names_a_function(value: Any, functions: set[str]) -> bool:
    """A Ref or GetAtt of a function or of its alias "live"."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((function, args),) = value.items()
    logical_id = args[0] if function == "Fn::GetAtt" else args
    named = str(logical_id).removesuffix("Aliaslive")
    return function in ("Ref", "Fn::GetAtt") and named in functions


@pytest.fixture(scope="module")
def defaults(stack: Callable[..., Stack]) -> Stack:
    return stack()


def test_every_trigger_invokes_a_live_alias(defaults: Stack) -> None:
    """An unqualified ARN would run $LATEST, which a gradual deployment never shifts."""
    aliases = [alias(function) for function in defaults.of_type("AWS::Lambda::Function")]
    invoked = invokers(defaults)
    assert len(invoked) >= 9, invoked  # the API and its permission, the rule, 5 mappings, the sweep
    for name, target in invoked:
        if target != defaults.params["LambdaAuthorizerArn"]:  # the user's own, not ours
            assert target in aliases, f"{name} invokes {target}"
    direct = defaults.template["Outputs"]["ProvisioningFunctionLiveArn"]["Value"]
    assert direct == alias("ProvisioningFunction"), "what workflows are told to invoke"


@pytest.mark.parametrize("deployment_type", [None, "AllAtOnce", "Linear10PercentEvery1Minute"])
def test_each_function_deploys_gradually_and_rolls_back_on_its_errors_or_5xx(
    deployed: Template, deployment_type: str | None
) -> None:
    translated = translate(DeploymentType=deployment_type) if deployment_type else deployed
    release = Stack(translated)
    alarms = release.of_type("AWS::CloudWatch::Alarm")
    groups = release.of_type("AWS::CodeDeploy::DeploymentGroup")
    expected = deployment_type or "Canary10Percent5Minutes"  # the parameter's default
    (api_5xx,) = alarms_on(alarms, "5xx", {"Name": "ApiId", "Value": {"Ref": "HttpApi"}})
    for function in release.of_type("AWS::Lambda::Function"):
        update = release.resources[f"{function}Aliaslive"]["UpdatePolicy"]
        group = groups[update["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"]["Ref"]]
        assert group["DeploymentConfigName"] == f"CodeDeployDefault.Lambda{expected}", function
        assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
        assert group["AlarmConfiguration"]["Enabled"] is True
        watched = {alarm["Name"]["Ref"] for alarm in group["AlarmConfiguration"]["Alarms"]}
        (errors,) = alarms_on(
            alarms, "Errors", {"Name": "FunctionName", "Value": {"Ref": function}}
        )
        assert watched == {errors, api_5xx}, function


@pytest.mark.parametrize("mode", ["PassThrough", "Active"])
def test_tracing_is_one_parameter_for_every_function(
    stack: Callable[..., Stack], mode: str
) -> None:
    deployed = stack(Tracing=mode)
    assert deployed.params["Tracing"] == mode
    for name, function in deployed.of_type("AWS::Lambda::Function").items():
        assert function["TracingConfig"] == {"Mode": mode}, name
    assert stack().params["Tracing"] == "PassThrough", "tracing is opt-in"


def test_no_tracer_is_imported_into_the_cold_path() -> None:
    """Active tracing records invocations without one; Powertools' Tracer costs ~190 ms."""
    imported = set()
    for path in (PROJECT_ROOT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
    assert len(imported) > 10
    assert not [name for name in imported if name.startswith(TRACER_MODULES)]


@pytest.mark.parametrize("kind", sorted(KEY_PROPERTY))
def test_a_customer_managed_key_encrypts_every_store_only_when_given(
    stack: Callable[..., Stack], defaults: Stack, kind: str
) -> None:
    key_property = KEY_PROPERTY[kind]
    keyed = stack(KmsKeyArn=KMS_KEY).of_type(kind)
    assert keyed
    for name, properties in keyed.items():
        wanted = ENCRYPTED_WITH_KEY if kind == "AWS::DynamoDB::Table" else KMS_KEY
        assert properties[key_property] == wanted, name
        assert "SqsManagedSseEnabled" not in properties, f"{name}: SSE-SQS excludes a key"
    for name, properties in defaults.of_type(kind).items():
        if kind == "AWS::DynamoDB::Table":  # AWS-owned key
            assert properties[key_property] == {"SSEEnabled": True}, name
        else:
            assert key_property not in properties, name
        if kind == "AWS::SQS::Queue":
            assert properties["SqsManagedSseEnabled"] is True, name


def test_each_function_may_have_concurrency_reserved_on_its_own(
    stack: Callable[..., Stack], defaults: Stack, source: Template
) -> None:
    """Or says why not where checkov would ask for it (CKV_AWS_115)."""
    functions = defaults.of_type("AWS::Lambda::Function")
    assert not [name for name, f in functions.items() if "ReservedConcurrentExecutions" in f]
    for function in functions:
        parameter = f"{function}ReservedConcurrency"
        if parameter not in defaults.params:
            skips = source["Resources"][function]["Metadata"]["checkov"]["skip"]
            assert [s["comment"] for s in skips if s["id"] == "CKV_AWS_115"], function
            continue
        reserved = stack(**{parameter: "7"}).of_type("AWS::Lambda::Function")
        assert {name: f.get("ReservedConcurrentExecutions") for name, f in reserved.items()} == {
            name: "7" if name == function else None for name in functions
        }


@pytest.mark.parametrize(
    ("overrides", "actions", "resource"),
    [
        pytest.param({"Tracing": "Active"}, XRAY_WRITES, "*", id="tracing"),
        pytest.param({"KmsKeyArn": KMS_KEY}, {"kms:Decrypt"}, KMS_KEY, id="kms-key"),
    ],
)
def test_every_function_may_write_traces_and_use_the_key_only_when_asked(
    stack: Callable[..., Stack],
    defaults: Stack,
    overrides: dict[str, str],
    actions: set[str],
    resource: str,
) -> None:
    for function in defaults.of_type("AWS::Lambda::Function"):
        granted = grants(stack(**overrides), function)
        assert all(granted.get(action) == [resource] for action in actions), function
        before = grants(defaults, function)
        assert not [a for a in before if a.startswith(("xray:", "kms:"))], function


def test_every_rollback_alarm_can_fire_within_the_shortest_canary(deployed: Template) -> None:
    """A rollback alarm that needs more minutes of data than the canary lasts rolls nothing
    back: each must reach ALARM within the default canary's 5 minutes."""
    release = Stack(deployed)
    alarms = release.of_type("AWS::CloudWatch::Alarm")
    (group, *_) = release.of_type("AWS::CodeDeploy::DeploymentGroup").values()
    watched = [alarms[alarm["Name"]["Ref"]] for alarm in group["AlarmConfiguration"]["Alarms"]]
    assert len(watched) == 2
    for alarm in watched:
        periods = [
            query["MetricStat"]["Period"] for query in alarm["Metrics"] if "MetricStat" in query
        ]
        needed = alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"])
        assert needed * max(periods) <= 5 * 60, alarm["AlarmDescription"]
