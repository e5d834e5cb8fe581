"""The API, its authorizers, the functions' settings and time budget, and the tables, as
CloudFormation would deploy them for each authorizer type and each table choice."""

import ast
import dataclasses
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any, Final

import pytest

from local.cfn_template import PROJECT_ROOT, function_properties
from settings import (
    ApiSettings,
    ChecklistSettings,
    FleetSettings,
    ProvisioningSettings,
    load_settings,
)
from tests.template.conftest import (
    AUDIENCE,
    AUTH_PARAMETERS,
    AUTHORIZER_ARN,
    ISSUER,
    TABLE_CASES,
    TABLES,
    Stack,
    Template,
    existing_name,
    table_id,
    with_existing,
)

pytestmark = pytest.mark.template

ROUTE_KEYS: Final = {"GET /onboarding/status", "GET /onboarding-status"}
AUTHORIZERS: Final = {"JWT": ("JWT", "JwtAuthorizer"), "LAMBDA": ("CUSTOM", "LambdaAuthorizer")}
SETTINGS: Final[dict[str, type[ChecklistSettings]]] = {
    "StatusFunction": ApiSettings,
    "ProvisioningFunction": ProvisioningSettings,
    "FleetSweepFunction": FleetSettings,
}
LIVE_ALIAS: Final = {"Ref": "StatusFunctionAliaslive"}


def environment(stack: Stack, function: str) -> dict[str, Any]:
    variables: dict[str, Any] = stack.properties(function)["Environment"]["Variables"]
    return variables


# ---------------------------------------------------------------- authorization


@pytest.mark.parametrize("authorizer_type", sorted(AUTH_PARAMETERS))
def test_every_route_requires_the_chosen_authorizer(
    stack: Callable[..., Stack], authorizer_type: str
) -> None:
    deployed = stack(**AUTH_PARAMETERS[authorizer_type])
    assert deployed.violated_rules() == []
    authorization_type, authorizer = AUTHORIZERS[authorizer_type]
    routes = deployed.of_type("AWS::ApiGatewayV2::Route")
    assert {route["RouteKey"] for route in routes.values()} == ROUTE_KEYS
    for name, route in routes.items():
        assert route["AuthorizationType"] == authorization_type, name
        assert route["AuthorizerId"] == {"Ref": authorizer}, name
    assert set(deployed.of_type("AWS::ApiGatewayV2::Authorizer")) == {authorizer}


def test_the_jwt_authorizer_checks_tokens_against_the_parameters(
    stack: Callable[..., Stack],
) -> None:
    authorizer = stack().properties("JwtAuthorizer")
    assert authorizer["JwtConfiguration"] == {"Issuer": ISSUER, "Audience": AUDIENCE.split(",")}
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]


def test_the_lambda_authorizer_is_invoked_for_this_api_only_and_never_cached(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack(**AUTH_PARAMETERS["LAMBDA"])
    authorizer = deployed.properties("LambdaAuthorizer")
    assert f"/functions/{AUTHORIZER_ARN}/invocations" in authorizer["AuthorizerUri"]["Fn::Sub"]
    assert (authorizer["AuthorizerPayloadFormatVersion"], authorizer["EnableSimpleResponses"]) == (
        "2.0",
        True,
    )
    assert authorizer["AuthorizerResultTtlInSeconds"] == 0, "the OU may change between requests"
    (permission,) = [
        permission
        for permission in deployed.of_type("AWS::Lambda::Permission").values()
        if permission["FunctionName"] == AUTHORIZER_ARN
    ]
    assert permission["SourceArn"]["Fn::Sub"].endswith("${HttpApi}/authorizers/${LambdaAuthorizer}")


@pytest.mark.parametrize(
    ("authorizer_type", "missing"),
    [
        (kind, name)
        for kind, given in AUTH_PARAMETERS.items()
        for name in given
        if name != "AuthorizerType"
    ],
)
def test_the_rules_reject_an_incomplete_authorizer(
    stack: Callable[..., Stack], authorizer_type: str, missing: str
) -> None:
    deployed = stack(**{**AUTH_PARAMETERS[authorizer_type], missing: ""})
    assert any(missing in description for description in deployed.violated_rules())


# ---------------------------------------------------------------- the API invokes the function


@pytest.mark.parametrize("snapstart", ["Enabled", "Disabled"])
def test_the_api_invokes_the_live_alias_from_a_snapshot_when_enabled(
    stack: Callable[..., Stack], snapstart: str
) -> None:
    """$LATEST never runs from a snapshot nor takes part in a gradual deployment: the API
    invokes the alias."""
    deployed = stack(StatusFunctionSnapStart=snapstart)
    enabled = snapstart == "Enabled"
    function = deployed.properties("StatusFunction")
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions" if enabled else "None"}
    (integration,) = deployed.of_type("AWS::ApiGatewayV2::Integration").values()
    assert (integration["IntegrationUri"], integration["PayloadFormatVersion"]) == (
        LIVE_ALIAS,
        "2.0",
    )
    (permission,) = [
        permission
        for permission in deployed.of_type("AWS::Lambda::Permission").values()
        if permission["FunctionName"] == LIVE_ALIAS
    ]
    scope = permission["SourceArn"]["Fn::Sub"].split("${HttpApi}/", 1)[1]
    stage = deployed.params["StageName"]
    for route_key in ROUTE_KEYS:
        method, path = route_key.split(" ")
        assert fnmatchcase(f"{stage}/{method}{path}", scope), f"{scope} omits {route_key}"


def test_the_stage_throttles_and_logs_every_request(stack: Callable[..., Stack]) -> None:
    deployed = stack()
    (stage,) = deployed.of_type("AWS::ApiGatewayV2::Stage").values()
    limits = stage["DefaultRouteSettings"]
    assert limits["ThrottlingRateLimit"] > 0
    assert limits["ThrottlingBurstLimit"] > 0
    log_group = stage["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert log_group in deployed.of_type("AWS::Logs::LogGroup")


# ---------------------------------------------------------------- functions, settings, time


@pytest.mark.parametrize("function", sorted(SETTINGS))
def test_the_handler_is_a_function_in_the_code(source: Template, function: str) -> None:
    properties = function_properties(source, function)
    module, handler = properties["Handler"].rsplit(".", 1)
    path = PROJECT_ROOT / properties["CodeUri"] / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert handler in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("function", sorted(SETTINGS))
def test_each_function_logs_to_its_own_log_group_for_the_retention_parameter(
    stack: Callable[..., Stack], function: str
) -> None:
    deployed = stack(LogRetentionInDays="14")
    log_groups = deployed.of_type("AWS::Logs::LogGroup")
    assert all(group["RetentionInDays"] == "14" for group in log_groups.values())
    own = deployed.properties(function)["LoggingConfig"]["LogGroup"]["Ref"]
    assert own in log_groups
    others = {f for f in SETTINGS if f != function}
    assert all(deployed.properties(f)["LoggingConfig"]["LogGroup"]["Ref"] != own for f in others)


@pytest.mark.parametrize("function", sorted(SETTINGS))
def test_the_environment_is_exactly_what_the_settings_read(
    stack: Callable[..., Stack], function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every required setting is set; every other variable is a setting (or Powertools'), so
    none is ignored (extra='ignore') while its default silently applies; the values validate."""
    variables = environment(stack(), function)
    model = SETTINGS[function]
    fields = {setting.name.upper() for setting in dataclasses.fields(model)}
    required = {
        s.name.upper() for s in dataclasses.fields(model) if s.default is dataclasses.MISSING
    }
    assert required <= set(variables), f"missing {sorted(required - set(variables))}"
    stray = {name for name in variables if not name.startswith("POWERTOOLS_")} - fields
    assert not stray, f"{function} sets {sorted(stray)}, which its settings ignore"
    for name in fields:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        if name in fields:
            monkeypatch.setenv(name, value if isinstance(value, str) else "a-table-name")
    settings = load_settings(model)
    for name, value in variables.items():
        if name in fields and isinstance(value, str):
            applied = getattr(settings, name.lower())
            assert applied == type(applied)(value), f"{name}={value!r} was not applied"


def test_the_timeout_chain_holds(stack: Callable[..., Stack]) -> None:
    """SDK attempts x (connect + read) < request deadline < status function timeout < API
    integration timeout <= 30 s; a recheck batch of checks < provisioning timeout <= the
    recheck queue's visibility / 6 (Lambda's advice for SQS sources)."""
    deployed = stack()
    settings = {
        name.lower(): value for name, value in environment(deployed, "StatusFunction").items()
    }
    sdk = int(settings["aws_max_attempts"]) * (
        float(settings["aws_connect_timeout_seconds"]) + float(settings["aws_read_timeout_seconds"])
    )
    deadline = float(settings["request_deadline_seconds"])
    status_timeout = deployed.properties("StatusFunction")["Timeout"]
    (integration,) = deployed.of_type("AWS::ApiGatewayV2::Integration").values()
    assert sdk < deadline < status_timeout < integration["TimeoutInMillis"] / 1000 <= 30
    provisioning_timeout = deployed.properties("ProvisioningFunction")["Timeout"]
    batch = deployed.properties("RecheckEventSource")["BatchSize"]
    assert batch * deadline < provisioning_timeout
    assert 6 * provisioning_timeout <= deployed.properties("RecheckQueue")["VisibilityTimeout"]


# ---------------------------------------------------------------- tables


@pytest.mark.parametrize("existing", TABLE_CASES)
def test_a_given_table_is_used_and_only_the_others_are_created(
    stack: Callable[..., Stack], existing: tuple[str, ...]
) -> None:
    deployed = stack(**with_existing(*existing))
    created = set(deployed.of_type("AWS::DynamoDB::Table"))
    assert created == (set(TABLES) - set(existing)) | {"ProgressTable"}
    named = {
        table_id(value)
        for function in SETTINGS
        for name, value in environment(deployed, function).items()
        if name.endswith("_TABLE")
    }
    assert named == (set(TABLES) - set(existing)) | {existing_name(t) for t in existing} | {
        "ProgressTable"
    }


def test_every_created_table_is_kept_recoverable_encrypted_and_on_demand(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack()
    for logical_id, table in deployed.of_type("AWS::DynamoDB::Table").items():
        resource = deployed.resources[logical_id]
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["SSESpecification"] == {"SSEEnabled": True}
        assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_every_function_is_built_from_one_build(source: Template) -> None:
    """`sam build` groups functions by CodeUri, runtime and Metadata: the same Metadata on each
    means src/ and its requirements are built once per architecture, not once per function."""
    functions = [
        resource
        for resource in source["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    ]
    assert len(functions) == 3
    assert all("CodeUri" not in function["Properties"] for function in functions)
    assert all(function.get("Metadata") == functions[0].get("Metadata") for function in functions)
