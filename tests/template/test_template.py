"""Properties of template.yaml that the service's correctness and security rest on.

The template is read with local.cfn_template.load_template and evaluated by a tiny
CloudFormation evaluator (parameter Refs, Conditions, Fn::If, Fn::Join), enough to see what
each AuthorizerType and each Existing...TableName choice would deploy. Nothing is deployed.
"""

import ast
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Final

import pytest

from local.cfn_template import PROJECT_ROOT, load_template
from settings import ApiSettings, load_settings

pytestmark = pytest.mark.template

Template = dict[str, Any]
Params = dict[str, Any]

STATUS_FUNCTION: Final = "StatusFunction"
ROUTE_KEYS: Final = frozenset({"GET /onboarding/status", "GET /onboarding-status"})
AUTHORIZATION_HEADER: Final = ["$request.header.Authorization"]
ISSUER: Final = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
AUDIENCE: Final = "client-a,client-b"
AUTHORIZER_ARN: Final = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer"
TABLE_ARN: Final = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Name}"
EXECUTE_API_ARN: Final = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
AUTHORIZER_URI: Final = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${LambdaAuthorizerArn}/invocations"
)
# What CloudFormation allows inside Rules: the rule-specific functions, Fn::If and Ref.
RULE_FUNCTIONS: Final = frozenset(
    {
        "Fn::And",
        "Fn::Contains",
        "Fn::EachMemberEquals",
        "Fn::EachMemberIn",
        "Fn::Equals",
        "Fn::If",
        "Fn::Not",
        "Fn::Or",
        "Fn::RefAll",
        "Fn::ValueOf",
        "Fn::ValueOfAll",
        "Ref",
    }
)


@dataclass(frozen=True)
class Table:
    logical_id: str
    sort_key: str
    variable: str

    @property
    def parameter(self) -> str:
        return f"Existing{self.logical_id}Name"

    @property
    def condition(self) -> str:
        return f"Create{self.logical_id}"

    @property
    def existing_name(self) -> str:
        return f"existing-{self.logical_id}"


TABLES: Final = (
    Table("MembershipsTable", "principal_id", "MEMBERSHIPS_TABLE"),
    Table("IntegrationsTable", "integration_id", "INTEGRATIONS_TABLE"),
    Table("ScoringRulesTable", "rule_id", "SCORING_RULES_TABLE"),
    Table("EngagementLevelsTable", "level_id", "ENGAGEMENT_LEVELS_TABLE"),
)
# Which table (if any) is given by its Existing...TableName parameter; the others are created.
EXISTING_TABLE_CASES: Final = [
    pytest.param(None, id="all-created"),
    *(pytest.param(table, id=f"existing-{table.logical_id}") for table in TABLES),
]


@dataclass(frozen=True)
class AuthCase:
    authorizer_type: str  # the AuthorizerType parameter
    authorization_type: str  # what every route must then require
    authorizer: str  # the authorizer resource every route must then use
    parameters: tuple[tuple[str, str], ...]  # what the Rules demand for it


AUTH_CASES: Final = (
    AuthCase("JWT", "JWT", "JwtAuthorizer", (("JwtIssuer", ISSUER), ("JwtAudience", AUDIENCE))),
    AuthCase("LAMBDA", "CUSTOM", "LambdaAuthorizer", (("LambdaAuthorizerArn", AUTHORIZER_ARN),)),
)


# ---------------------------------------------------------------- evaluator


def parameters(template: Template, **overrides: str) -> Params:
    """Parameter values: defaults, overridden; a CommaDelimitedList is a list, as in a Ref."""
    specs = template["Parameters"]
    unknown = set(overrides) - set(specs)
    assert not unknown, f"not template parameters: {sorted(unknown)}"
    values: Params = {}
    for name, spec in specs.items():
        raw = str(overrides.get(name, spec.get("Default", "")))
        values[name] = raw.split(",") if spec["Type"] == "CommaDelimitedList" else raw
    return values


def auth_parameters(template: Template, case: AuthCase) -> Params:
    return parameters(template, AuthorizerType=case.authorizer_type, **dict(case.parameters))


def resolve(value: Any, template: Template, params: Params) -> Any:
    """``value`` with parameter Refs, Fn::If and Fn::Join evaluated; other intrinsics (Refs to
    resources and pseudo parameters, Fn::Sub, Fn::GetAtt) are kept, their arguments resolved."""
    if isinstance(value, list):
        return [resolve(item, template, params) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((function, args),) = value.items()
        if function == "Ref" and args in params:
            return params[args]
        if function == "Fn::If":
            condition, if_true, if_false = args
            chosen = if_true if holds(condition, template, params) else if_false
            return resolve(chosen, template, params)
        if function == "Fn::Join":
            delimiter, items = resolve(args, template, params)
            return delimiter.join(items)
    return {key: resolve(item, template, params) for key, item in value.items()}


def truth(expression: Any, template: Template, params: Params) -> bool:
    """A condition (or rule) expression, evaluated over parameter values."""
    ((function, args),) = expression.items()
    match function:
        case "Condition":
            return holds(args, template, params)
        case "Fn::Not":
            return not truth(args[0], template, params)
        case "Fn::And":
            return all(truth(arg, template, params) for arg in args)
        case "Fn::Or":
            return any(truth(arg, template, params) for arg in args)
    left, right = resolve(args, template, params)
    match function:
        case "Fn::Equals":
            return bool(left == right)
        case "Fn::Contains":
            return right in left
        case "Fn::EachMemberEquals":
            return all(member == right for member in left)
    raise AssertionError(f"the test's evaluator does not know {function}")


def holds(condition: str, template: Template, params: Params) -> bool:
    return truth(template["Conditions"][condition], template, params)


def created(template: Template, logical_id: str, params: Params) -> bool:
    condition = template["Resources"][logical_id].get("Condition")
    return condition is None or holds(condition, template, params)


def failed_assertions(template: Template, params: Params) -> list[str]:
    """Descriptions of the Rules assertions these parameter values break."""
    failed = []
    for rule in template.get("Rules", {}).values():
        condition = rule.get("RuleCondition")
        if condition is not None and not truth(condition, template, params):
            continue
        failed += [
            assertion["AssertDescription"]
            for assertion in rule["Assertions"]
            if not truth(assertion["Assert"], template, params)
        ]
    return failed


def functions_in(value: Any) -> set[str]:
    """Every intrinsic function (and Ref) used anywhere in ``value``."""
    if isinstance(value, list):
        return set().union(*(functions_in(item) for item in value))
    if isinstance(value, dict):
        here = {key for key in value if key == "Ref" or key.startswith("Fn::")}
        return here.union(*(functions_in(item) for item in value.values()))
    return set()


# ---------------------------------------------------------------- accessors


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def properties(template: Template, logical_id: str) -> dict[str, Any]:
    properties_: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return properties_


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def target_integration(route: dict[str, Any]) -> str:
    """The logical id of the integration a route targets (``!Sub integrations/${X}``)."""
    target = route.get("Target")
    prefix = "integrations/${"
    assert isinstance(target, dict), f"route target {target!r} is not !Sub integrations/${{...}}"
    sub = target.get("Fn::Sub", "")
    assert sub.startswith(prefix), f"route target {target!r} is not !Sub integrations/${{...}}"
    assert sub.endswith("}"), f"route target {target!r} is not !Sub integrations/${{...}}"
    return str(sub[len(prefix) : -1])


def role_of(function: dict[str, Any]) -> str | None:
    """The logical id of the function's own execution role (``Role: !GetAtt X.Arn``)."""
    role = function.get("Role")
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        logical_id, attribute = role["Fn::GetAtt"]
        assert attribute == "Arn", f"Role is {role!r}"
        return str(logical_id)
    return None


def policy_statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement the function's execution role holds: the inline policies of the role
    the template gives it, or else the ``Policies`` SAM would put in a role of its own."""
    role = role_of(function)
    if role is None:
        documents = function.get("Policies", [])
    else:
        role_properties = load_template()["Resources"][role]["Properties"]
        documents = [policy["PolicyDocument"] for policy in role_properties.get("Policies", [])]
    return [
        statement
        for document in documents
        if isinstance(document, dict)
        for statement in as_list(document.get("Statement", []))
    ]


def dynamodb_statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for statement in policy_statements(function)
        if any(action.startswith("dynamodb:") for action in as_list(statement["Action"]))
    ]


def names_parameter(value: Any, parameter: str) -> bool:
    return value in ({"Ref": parameter}, {"Fn::Sub": f"${{{parameter}}}"})


def literal_settings(environment: dict[str, Any]) -> dict[str, str]:
    """The environment's literal numeric values (intrinsics and plain words left out)."""
    literal = {}
    for name, value in environment.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        try:
            float(value)
        except ValueError:
            continue
        literal[name] = str(value)
    return literal


def required_settings() -> set[str]:
    return {name.upper() for name, field in ApiSettings.model_fields.items() if field.is_required()}


def template_settings(environment: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> ApiSettings:
    """ApiSettings as the function would load them: the template's literal values, dummy tables."""
    for name in ApiSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in literal_settings(environment).items():
        monkeypatch.setenv(name, value)
    for table in TABLES:
        monkeypatch.setenv(table.variable, f"dummy-{table.logical_id}")
    return load_settings(ApiSettings)


def worst_case_request_seconds(settings: ApiSettings) -> float:
    """An upper bound on one request's time in the handler.

    One DynamoDB call makes at most ``max_attempts`` attempts, each bounded by the connect
    timeout plus the read timeout. botocore's standard retry mode sleeps before attempt n
    (n >= 2) for rand(0, 1) * 2**(n - 2) s at most (1 s base for throttling, less otherwise);
    the bound used here, 2**(n - 1) s, is twice that, to leave margin. (Recent botocore also
    honours an x-amz-retry-after header, up to 5 s more per retry; the deadline caps that too.)
    The membership read and the step reads run concurrently and the runner gives up at the
    request deadline, so the request lasts at most min(deadline, one call's worst case).

    With the template's values: attempts 3 x (0.5 s connect + 1.0 s read) = 4.5 s, backoff
    before attempts 2 and 3 at most 2**1 + 2**2 = 6 s, so one call <= 10.5 s; the request
    deadline is 6 s, so a request ends within min(6, 10.5) = 6 s < Timeout 10 s.
    """
    attempts = settings.aws_max_attempts
    per_attempt = settings.aws_connect_timeout_seconds + settings.aws_read_timeout_seconds
    backoff = sum(2 ** (attempt - 1) for attempt in range(2, attempts + 1))
    return float(min(settings.request_deadline_seconds, attempts * per_attempt + backoff))


def table_scenario(template: Template, existing: Table | None) -> Params:
    """Parameters where ``existing`` (if any) is given by name and the other tables created."""
    if existing is None:
        return parameters(template)
    return parameters(template, **{existing.parameter: existing.existing_name})


def expected_table_name(table: Table, existing: Table | None) -> Any:
    return table.existing_name if table == existing else {"Ref": table.logical_id}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


@pytest.fixture(scope="module")
def function(template: Template) -> dict[str, Any]:
    return properties(template, STATUS_FUNCTION)


@pytest.fixture(scope="module")
def environment(function: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = function["Environment"]["Variables"]
    return variables


@pytest.fixture(scope="module")
def http_api(template: Template) -> str:
    apis = resources_of_type(template, "AWS::ApiGatewayV2::Api")
    assert len(apis) == 1, f"expected one HTTP API, found {sorted(apis)}"
    ((logical_id, api),) = apis.items()
    assert api["ProtocolType"] == "HTTP", f"{logical_id} is not an HTTP API"
    return logical_id


@pytest.fixture(scope="module")
def routes(template: Template) -> dict[str, dict[str, Any]]:
    found = resources_of_type(template, "AWS::ApiGatewayV2::Route")
    assert found, "the template has no AWS::ApiGatewayV2::Route"
    return found


# ---------------------------------------------------------------- routes and integration


def test_both_routes_exist(routes: dict[str, dict[str, Any]]) -> None:
    route_keys = sorted(route["RouteKey"] for route in routes.values())
    assert route_keys == sorted(ROUTE_KEYS), f"route keys are {route_keys}"


def test_every_route_is_on_the_one_http_api(
    routes: dict[str, dict[str, Any]], http_api: str
) -> None:
    elsewhere = {name for name, route in routes.items() if route["ApiId"] != {"Ref": http_api}}
    assert not elsewhere, f"routes not on {http_api}: {sorted(elsewhere)}"


def test_routes_target_one_integration(routes: dict[str, dict[str, Any]]) -> None:
    targets = {name: target_integration(route) for name, route in routes.items()}
    assert len(set(targets.values())) == 1, f"routes target different integrations: {targets}"


def invoked_status_function(unqualified: dict[str, Any]) -> dict[str, Any]:
    """What the API invokes: with SnapStart on, the alias whose versions start from a snapshot
    (only published versions can); otherwise the function itself."""
    return {"Fn::If": ["UseSnapStart", {"Ref": f"{STATUS_FUNCTION}Aliaslive"}, unqualified]}


def test_integration_proxies_to_status_function_with_payload_2(
    template: Template, routes: dict[str, dict[str, Any]], http_api: str
) -> None:
    integration_id = target_integration(next(iter(routes.values())))
    resource = template["Resources"][integration_id]
    assert resource["Type"] == "AWS::ApiGatewayV2::Integration"
    integration = resource["Properties"]
    assert integration["ApiId"] == {"Ref": http_api}
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"] == invoked_status_function(
        {"Fn::GetAtt": [STATUS_FUNCTION, "Arn"]}
    ), f"{integration_id} does not invoke {STATUS_FUNCTION}"
    assert integration["PayloadFormatVersion"] == "2.0"


def test_api_gateway_may_invoke_status_function_on_every_route(
    template: Template, routes: dict[str, dict[str, Any]], http_api: str
) -> None:
    prefix = EXECUTE_API_ARN + f"${{{http_api}}}/"
    permissions = [
        permission
        for permission in resources_of_type(template, "AWS::Lambda::Permission").values()
        if permission["FunctionName"] == invoked_status_function({"Ref": STATUS_FUNCTION})
    ]
    assert len(permissions) == 1, "expected one invoke permission for the status function"
    (permission,) = permissions
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["Action"] == "lambda:InvokeFunction"
    source_arn = permission["SourceArn"]["Fn::Sub"]
    assert source_arn.startswith(prefix), f"{source_arn} is not scoped to {http_api}"
    stage = parameters(template)["StageName"]
    for route in routes.values():
        method, path = route["RouteKey"].split(" ", 1)
        invoked = f"{stage}/{method}{path}"
        assert fnmatchcase(invoked, source_arn[len(prefix) :]), f"{source_arn} omits {invoked}"


# ---------------------------------------------------------------- authorization


def test_auth_cases_cover_every_allowed_authorizer_type(template: Template) -> None:
    allowed = set(template["Parameters"]["AuthorizerType"]["AllowedValues"])
    covered = {case.authorizer_type for case in AUTH_CASES}
    assert allowed == covered, f"AuthorizerType values without a test case: {allowed - covered}"


@pytest.mark.parametrize("case", AUTH_CASES, ids=lambda case: case.authorizer_type)
def test_every_route_requires_the_chosen_authorizer(
    template: Template, routes: dict[str, dict[str, Any]], http_api: str, case: AuthCase
) -> None:
    params = auth_parameters(template, case)
    for name, route in routes.items():
        resolved = resolve(route, template, params)
        assert resolved.get("AuthorizationType") == case.authorization_type, (
            f"{name} has AuthorizationType {resolved.get('AuthorizationType')!r} "
            f"under AuthorizerType {case.authorizer_type}"
        )
        assert resolved.get("AuthorizerId") == {"Ref": case.authorizer}, (
            f"{name} does not use {case.authorizer} under AuthorizerType {case.authorizer_type}"
        )
    authorizer = template["Resources"][case.authorizer]
    assert authorizer["Type"] == "AWS::ApiGatewayV2::Authorizer"
    assert authorizer["Properties"]["ApiId"] == {"Ref": http_api}
    assert created(template, case.authorizer, params), (
        f"{case.authorizer} is not created under AuthorizerType {case.authorizer_type}"
    )


def test_jwt_authorizer_checks_bearer_tokens_against_parameters(template: Template) -> None:
    params = auth_parameters(template, AUTH_CASES[0])
    authorizer = resolve(properties(template, "JwtAuthorizer"), template, params)
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == AUTHORIZATION_HEADER
    assert authorizer["JwtConfiguration"] == {
        "Issuer": ISSUER,
        "Audience": AUDIENCE.split(","),
    }, "the JWT issuer and audience must come from JwtIssuer and JwtAudience"


def test_lambda_authorizer_is_a_simple_payload_2_request_authorizer(template: Template) -> None:
    authorizer = properties(template, "LambdaAuthorizer")
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["EnableSimpleResponses"] is True
    assert authorizer["AuthorizerUri"] == {"Fn::Sub": AUTHORIZER_URI}, (
        "AuthorizerUri must invoke the function given by LambdaAuthorizerArn"
    )


def test_api_gateway_may_invoke_the_lambda_authorizer(template: Template, http_api: str) -> None:
    params = auth_parameters(template, AUTH_CASES[1])
    source_arn = EXECUTE_API_ARN + (f"${{{http_api}}}/authorizers/${{LambdaAuthorizer}}")
    permissions = [
        (logical_id, permission)
        for logical_id, permission in resources_of_type(template, "AWS::Lambda::Permission").items()
        if names_parameter(permission["FunctionName"], "LambdaAuthorizerArn")
    ]
    assert len(permissions) == 1, "expected one invoke permission for LambdaAuthorizerArn"
    ((logical_id, permission),) = permissions
    assert created(template, logical_id, params), f"{logical_id} is not created for LAMBDA"
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["SourceArn"] == {"Fn::Sub": source_arn}, (
        "the permission must be scoped to this API's LambdaAuthorizer"
    )


# ---------------------------------------------------------------- function


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Runtime", "python3.13"),
        ("Architectures", ["arm64"]),
        ("Handler", "handlers.status_api.lambda_handler"),
        ("CodeUri", "src/"),
    ],
)
def test_function_property(function: dict[str, Any], name: str, expected: Any) -> None:
    assert function.get(name) == expected, f"{STATUS_FUNCTION}.{name} is {function.get(name)!r}"


def test_handler_names_a_function_in_code_uri(function: dict[str, Any]) -> None:
    module, handler = function["Handler"].rsplit(".", 1)
    source = PROJECT_ROOT / function["CodeUri"] / (module.replace(".", "/") + ".py")
    assert source.is_file(), f"{source} does not exist"
    defined = {
        node.name
        for node in ast.parse(source.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef)
    }
    assert handler in defined, f"{source} defines no function {handler}"


def test_function_logs_to_a_log_group_of_the_stack(
    template: Template, function: dict[str, Any]
) -> None:
    log_group = function["LoggingConfig"]["LogGroup"]
    assert isinstance(log_group, dict), f"LoggingConfig.LogGroup {log_group!r} is not a Ref"
    assert "Ref" in log_group, f"LoggingConfig.LogGroup {log_group!r} is not a Ref"
    assert template["Resources"][log_group["Ref"]]["Type"] == "AWS::Logs::LogGroup"


def test_every_log_group_keeps_logs_for_the_parameter_retention(template: Template) -> None:
    log_groups = resources_of_type(template, "AWS::Logs::LogGroup")
    assert log_groups, "the template has no log group"
    for name, log_group in log_groups.items():
        assert log_group.get("RetentionInDays") == {"Ref": "LogRetentionInDays"}, (
            f"{name} does not keep logs for LogRetentionInDays"
        )


@pytest.mark.parametrize(
    ("variable", "parameter"),
    [
        ("POWERTOOLS_SERVICE_NAME", "ServiceName"),
        ("POWERTOOLS_METRICS_NAMESPACE", "MetricsNamespace"),
        ("POWERTOOLS_LOG_LEVEL", "LogLevel"),
    ],
)
def test_powertools_setting_comes_from_parameter(
    environment: dict[str, Any], variable: str, parameter: str
) -> None:
    assert environment.get(variable) == {"Ref": parameter}, f"{variable} is not !Ref {parameter}"


# ---------------------------------------------------------------- settings and timeouts


def test_function_sets_every_required_setting(environment: dict[str, Any]) -> None:
    required = required_settings()
    assert required, "ApiSettings has no required field: this test would prove nothing"
    missing = required - set(environment)
    assert not missing, f"{STATUS_FUNCTION} lacks required settings {sorted(missing)}"


def test_every_literal_setting_is_a_settings_field(environment: dict[str, Any]) -> None:
    fields = {name.upper() for name in ApiSettings.model_fields}
    stray = set(literal_settings(environment)) - fields
    assert not stray, f"ApiSettings ignores {sorted(stray)} (extra='ignore'): defaults would apply"


def test_literal_settings_validate(
    environment: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    literal = literal_settings(environment)
    assert literal, "the environment has no literal setting: this test would prove nothing"
    settings = template_settings(environment, monkeypatch)  # raises ValidationError if invalid
    for name, value in literal.items():
        assert float(getattr(settings, name.lower())) == float(value), f"{name} was not applied"


def test_function_timeout_exceeds_worst_case_request(
    function: dict[str, Any], environment: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    worst_case = worst_case_request_seconds(template_settings(environment, monkeypatch))
    assert function["Timeout"] > worst_case, (
        f"Timeout {function['Timeout']} s does not exceed the worst-case request {worst_case} s"
    )


def test_integration_timeout_exceeds_function_timeout(
    template: Template, function: dict[str, Any]
) -> None:
    integration = properties(template, "StatusIntegration")
    timeout_ms = integration["TimeoutInMillis"]
    assert function["Timeout"] * 1000 < timeout_ms <= 30_000, (
        f"TimeoutInMillis {timeout_ms} must exceed Timeout {function['Timeout']} s "
        "and stay within the HTTP API maximum of 30000"
    )


# ---------------------------------------------------------------- least privilege


def test_function_has_a_role_of_its_own_with_inline_policies_only(
    template: Template, function: dict[str, Any]
) -> None:
    role = role_of(function)
    assert role is not None, "SAM's generated role would carry AWSLambdaBasicExecutionRole"
    assert "Policies" not in function, "SAM ignores Policies beside a Role"
    role_properties = properties(template, role)
    assert template["Resources"][role]["Type"] == "AWS::IAM::Role"
    assert "ManagedPolicyArns" not in role_properties, "managed policies are not least privilege"
    assert all(
        set(policy) == {"PolicyName", "PolicyDocument"} for policy in role_properties["Policies"]
    )


def test_function_writes_only_its_own_logs(function: dict[str, Any]) -> None:
    logs = [
        statement
        for statement in policy_statements(function)
        if any(action.startswith("logs:") for action in as_list(statement["Action"]))
    ]
    assert len(logs) == 1, logs
    (statement,) = logs
    assert sorted(as_list(statement["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    own_group = function["LoggingConfig"]["LogGroup"]["Ref"]
    assert statement["Resource"] == {"Fn::GetAtt": [own_group, "Arn"]}


def test_function_has_one_statement_allowing_only_getitem_and_query(
    function: dict[str, Any],
) -> None:
    statements = dynamodb_statements(function)
    assert len(statements) == 1, f"expected one DynamoDB statement, found {len(statements)}"
    (statement,) = statements
    assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}, (
        f"unexpected statement keys {sorted(statement)} (NotAction, NotResource, Condition...)"
    )
    assert statement["Effect"] == "Allow"
    actions = sorted(as_list(statement["Action"]))
    assert actions == ["dynamodb:GetItem", "dynamodb:Query"], f"actions are {actions}"


def test_function_policies_have_no_wildcard(function: dict[str, Any]) -> None:
    for statement in policy_statements(function):
        for key in ("Action", "Resource"):
            wildcards = [item for item in as_list(statement[key]) if "*" in repr(item)]
            assert not wildcards, f"wildcard in {key}: {wildcards}"


@pytest.mark.parametrize("existing", EXISTING_TABLE_CASES)
def test_function_may_read_exactly_the_four_tables(
    template: Template, function: dict[str, Any], existing: Table | None
) -> None:
    params = table_scenario(template, existing)
    (statement,) = dynamodb_statements(function)
    names = []
    for resource in resolve(as_list(statement["Resource"]), template, params):
        arn, variables = resource["Fn::Sub"]
        assert arn == TABLE_ARN, f"{arn} is not a table ARN of this account and region"
        names.append(variables["Name"])
    expected = [expected_table_name(table, existing) for table in TABLES]
    assert sorted(names, key=repr) == sorted(expected, key=repr), f"policy names tables {names}"


# ---------------------------------------------------------------- tables


def test_template_defines_the_four_tables_and_the_progress_table(template: Template) -> None:
    defined = set(resources_of_type(template, "AWS::DynamoDB::Table"))
    expected = {table.logical_id for table in TABLES} | {"ProgressTable"}
    assert defined == expected, f"tables are {sorted(defined)}"


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.logical_id)
def test_table_is_keyed_by_ou_id_and_its_sort_key(template: Template, table: Table) -> None:
    table_properties = properties(template, table.logical_id)
    assert table_properties["KeySchema"] == [
        {"AttributeName": "ou_id", "KeyType": "HASH"},
        {"AttributeName": table.sort_key, "KeyType": "RANGE"},
    ]
    assert table_properties["AttributeDefinitions"] == [
        {"AttributeName": "ou_id", "AttributeType": "S"},
        {"AttributeName": table.sort_key, "AttributeType": "S"},
    ]


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.logical_id)
def test_table_is_on_demand(template: Template, table: Table) -> None:
    assert properties(template, table.logical_id).get("BillingMode") == "PAY_PER_REQUEST"


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.logical_id)
def test_table_has_point_in_time_recovery(template: Template, table: Table) -> None:
    recovery = properties(template, table.logical_id).get("PointInTimeRecoverySpecification")
    assert recovery == {"PointInTimeRecoveryEnabled": True}, f"{table.logical_id}: {recovery}"


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.logical_id)
def test_table_survives_stack_deletion_and_replacement(template: Template, table: Table) -> None:
    resource = template["Resources"][table.logical_id]
    assert resource.get("DeletionPolicy") == "Retain", f"{table.logical_id} would be deleted"
    assert resource.get("UpdateReplacePolicy") == "Retain", f"{table.logical_id} replaced"


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.logical_id)
def test_table_is_created_under_its_condition(template: Template, table: Table) -> None:
    condition = template["Resources"][table.logical_id].get("Condition")
    assert condition == table.condition, f"{table.logical_id} has Condition {condition!r}"


@pytest.mark.parametrize("existing", EXISTING_TABLE_CASES)
def test_table_is_created_only_without_an_existing_name(
    template: Template, existing: Table | None
) -> None:
    params = table_scenario(template, existing)
    for table in TABLES:
        assert created(template, table.logical_id, params) == (table != existing), (
            f"{table.logical_id} created={created(template, table.logical_id, params)} "
            f"with {table.parameter}={params[table.parameter]!r}"
        )


@pytest.mark.parametrize("existing", EXISTING_TABLE_CASES)
def test_table_variables_name_the_created_or_existing_table(
    template: Template, environment: dict[str, Any], existing: Table | None
) -> None:
    params = table_scenario(template, existing)
    for table in TABLES:
        resolved = resolve(environment[table.variable], template, params)
        expected = expected_table_name(table, existing)
        assert resolved == expected, f"{table.variable} resolves to {resolved!r}, not {expected!r}"


# ---------------------------------------------------------------- rules and tooling


def test_rules_use_only_functions_cloudformation_allows_there(template: Template) -> None:
    unsupported = functions_in(template.get("Rules", {})) - RULE_FUNCTIONS
    assert not unsupported, (
        f"Rules use {sorted(unsupported)}: only Ref and the rule-specific functions are allowed "
        "in RuleCondition and Assert"
    )


@pytest.mark.parametrize("case", AUTH_CASES, ids=lambda case: case.authorizer_type)
def test_rules_accept_a_complete_configuration(template: Template, case: AuthCase) -> None:
    failed = failed_assertions(template, auth_parameters(template, case))
    assert not failed, f"complete {case.authorizer_type} configuration rejected: {failed}"


@pytest.mark.parametrize(
    ("case", "missing"),
    [
        pytest.param(case, name, id=f"{case.authorizer_type}-without-{name}")
        for case in AUTH_CASES
        for name, _ in case.parameters
    ],
)
def test_rules_reject_a_missing_authorizer_parameter(
    template: Template, case: AuthCase, missing: str
) -> None:
    given = {name: value for name, value in case.parameters if name != missing}
    params = parameters(template, AuthorizerType=case.authorizer_type, **given)
    failed = failed_assertions(template, params)
    assert any(missing in description for description in failed), (
        f"AuthorizerType {case.authorizer_type} without {missing} passes the Rules ({failed})"
    )


def test_samconfig_lints_on_validate() -> None:
    with (PROJECT_ROOT / "samconfig.toml").open("rb") as stream:
        config = tomllib.load(stream)
    validate = config.get("default", {}).get("validate", {}).get("parameters", {})
    assert validate.get("lint") is True, "samconfig.toml must set lint = true for sam validate"
