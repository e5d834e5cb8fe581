"""template.yaml's CloudWatch alarms: API 5xx rate and p99 latency, errors and throttles of
every function, DynamoDB throttling of every table the stack creates, all notifying the
AlarmTopicArn parameter's topic when one is given.

Uses the evaluator and accessors of test_template (parameter Refs, Conditions, Fn::If)."""

import re
from typing import Any, Final

import pytest

from local.cfn_template import load_template
from tests.template.test_template import (
    EXISTING_TABLE_CASES,
    Table,
    Template,
    as_list,
    created,
    parameters,
    policy_statements,
    properties,
    resolve,
    resources_of_type,
    table_scenario,
)

pytestmark = pytest.mark.template

TOPIC: Final = "arn:aws:sns:eu-west-1:123456789012:onboarding-alerts"
NO_VALUE: Final = {"Ref": "AWS::NoValue"}
FUNCTIONS: Final = ("StatusFunction", "ProvisioningFunction")
API_DIMENSIONS: Final = [
    {"Name": "ApiId", "Value": {"Ref": "HttpApi"}},
    {"Name": "Stage", "Value": {"Ref": "StageName"}},
]

Alarm = dict[str, Any]


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


@pytest.fixture(scope="module")
def alarms(template: Template) -> dict[str, Alarm]:
    found = resources_of_type(template, "AWS::CloudWatch::Alarm")
    assert found, "the template has no alarm"
    return found


def metric_stats(alarm: Alarm) -> list[dict[str, Any]]:
    """Every metric an alarm reads: its own, or those of its metric math."""
    if "MetricName" in alarm:
        return [
            {
                "Namespace": alarm["Namespace"],
                "MetricName": alarm["MetricName"],
                "Dimensions": alarm.get("Dimensions", []),
            }
        ]
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


def dimension(metric: dict[str, Any], name: str) -> Any:
    values = [item["Value"] for item in metric["Dimensions"] if item["Name"] == name]
    return values[0] if len(values) == 1 else None


def alarms_reading(alarms: dict[str, Alarm], namespace: str, metric: str) -> dict[str, Alarm]:
    return {
        name: alarm
        for name, alarm in alarms.items()
        if any(
            stat["Namespace"] == namespace and stat["MetricName"] == metric
            for stat in metric_stats(alarm)
        )
    }


def table_of(resource: Any, template: Template) -> str | None:
    """The logical id of the stack's table a policy resource names (all tables created)."""
    resolved = resolve(resource, template, parameters(template))
    if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
        return str(resolved["Fn::GetAtt"][0])
    if isinstance(resolved, dict) and isinstance(resolved.get("Fn::Sub"), list):
        name = resolved["Fn::Sub"][1].get("Name")
        if isinstance(name, dict) and "Ref" in name:
            return str(name["Ref"])
    return None


def granted_operations(template: Template, table: str) -> set[str]:
    """The DynamoDB operations any function of the stack may perform on a table."""
    granted: set[str] = set()
    for function in resources_of_type(template, "AWS::Serverless::Function").values():
        for statement in policy_statements(function):
            if statement["Effect"] != "Allow":
                continue
            if table in {table_of(item, template) for item in as_list(statement["Resource"])}:
                granted |= {
                    action.removeprefix("dynamodb:")
                    for action in as_list(statement["Action"])
                    if action.startswith("dynamodb:")
                }
    return granted


def throttle_alarm(alarms: dict[str, Alarm], table: str) -> tuple[str, Alarm]:
    matching = [
        (name, alarm)
        for name, alarm in alarms_reading(alarms, "AWS/DynamoDB", "ThrottledRequests").items()
        if all(dimension(stat, "TableName") == {"Ref": table} for stat in metric_stats(alarm))
    ]
    assert len(matching) == 1, f"expected one throttle alarm on {table}, found {matching}"
    return matching[0]


# ---------------------------------------------------------------- notifications


def test_the_topic_parameter_is_optional_and_must_be_an_sns_topic(template: Template) -> None:
    spec = template["Parameters"]["AlarmTopicArn"]
    assert spec["Default"] == ""
    pattern = spec["AllowedPattern"]
    for accepted in ["", TOPIC, "arn:aws-us-gov:sns:us-gov-west-1:123456789012:a.fifo"]:
        assert re.fullmatch(pattern, accepted), accepted
    for rejected in ["alerts", "arn:aws:sqs:eu-west-1:123456789012:q", TOPIC + " "]:
        assert not re.fullmatch(pattern, rejected), rejected


def test_every_alarm_notifies_the_topic_only_when_one_is_given(
    template: Template, alarms: dict[str, Alarm]
) -> None:
    without = parameters(template)
    with_topic = parameters(template, AlarmTopicArn=TOPIC)
    for name, alarm in alarms.items():
        for actions in ("AlarmActions", "OKActions"):
            assert resolve(alarm.get(actions), template, without) == NO_VALUE, (name, actions)
            assert resolve(alarm.get(actions), template, with_topic) == [TOPIC], (name, actions)


def test_no_traffic_is_no_alarm(alarms: dict[str, Alarm]) -> None:
    noisy = [
        name for name, alarm in alarms.items() if alarm.get("TreatMissingData") != "notBreaching"
    ]
    assert not noisy, f"alarms that would fire on missing data: {noisy}"


def test_every_alarm_says_what_happened(alarms: dict[str, Alarm]) -> None:
    assert all(alarm.get("AlarmDescription") for alarm in alarms.values())


# ---------------------------------------------------------------- functions


def test_the_alarmed_functions_are_every_function_of_the_stack(template: Template) -> None:
    assert set(resources_of_type(template, "AWS::Serverless::Function")) == set(FUNCTIONS)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_each_function_alarms_on_its_first_error_and_throttle(
    alarms: dict[str, Alarm], function: str, metric: str
) -> None:
    matching = {
        name: alarm
        for name, alarm in alarms_reading(alarms, "AWS/Lambda", metric).items()
        if dimension(metric_stats(alarm)[0], "FunctionName") == {"Ref": function}
    }
    assert len(matching) == 1, f"expected one {metric} alarm for {function}: {sorted(matching)}"
    (alarm,) = matching.values()
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1


# ---------------------------------------------------------------- tables


@pytest.fixture(scope="module")
def tables(template: Template) -> list[str]:
    found = sorted(resources_of_type(template, "AWS::DynamoDB::Table"))
    assert len(found) == 5, found
    return found


def test_every_table_has_one_throttle_alarm_under_the_tables_condition(
    template: Template, alarms: dict[str, Alarm], tables: list[str]
) -> None:
    for table in tables:
        name, _ = throttle_alarm(alarms, table)
        table_condition = template["Resources"][table].get("Condition")
        assert template["Resources"][name].get("Condition") == table_condition, name


@pytest.mark.parametrize("existing", EXISTING_TABLE_CASES)
def test_a_throttle_alarm_exists_exactly_when_its_table_is_created(
    template: Template, alarms: dict[str, Alarm], tables: list[str], existing: Table | None
) -> None:
    params = table_scenario(template, existing)
    for table in tables:
        name, _ = throttle_alarm(alarms, table)
        assert created(template, name, params) == created(template, table, params), name


def test_throttle_alarms_add_up_every_operation_the_stack_may_perform(
    template: Template, alarms: dict[str, Alarm], tables: list[str]
) -> None:
    for table in tables:
        name, alarm = throttle_alarm(alarms, table)
        granted = granted_operations(template, table)
        assert granted, f"no function may use {table}: this test would prove nothing"
        queries = alarm["Metrics"]
        stats = {query["Id"]: query for query in queries if "MetricStat" in query}
        operations = {
            dimension(query["MetricStat"]["Metric"], "Operation") for query in stats.values()
        }
        assert operations == granted, f"{name} reads {operations}, the stack may use {granted}"
        assert all(query["MetricStat"]["Stat"] == "Sum" for query in stats.values())
        (total,) = [query for query in queries if query.get("ReturnData", True)]
        assert "Expression" in total, f"{name} must alarm on the sum of its metrics"
        assert set(re.findall(r"FILL\((\w+), 0\)", total["Expression"])) == set(stats), (
            f"{name}: a missing series must count as 0, or one operation hides the others"
        )
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["Threshold"] == 1


# ---------------------------------------------------------------- the API


def test_the_api_5xx_rate_alarm_divides_5xx_by_requests(
    template: Template, alarms: dict[str, Alarm]
) -> None:
    (alarm,) = alarms_reading(alarms, "AWS/ApiGateway", "5xx").values()
    stats = {
        query["MetricStat"]["Metric"]["MetricName"]: query
        for query in alarm["Metrics"]
        if "MetricStat" in query
    }
    assert set(stats) == {"5xx", "Count"}
    for query in stats.values():
        assert query["MetricStat"]["Metric"]["Dimensions"] == API_DIMENSIONS
        assert query["MetricStat"]["Stat"] == "Sum"
        assert query["ReturnData"] is False
    (rate,) = [query for query in alarm["Metrics"] if query.get("ReturnData", True)]
    errors, requests = stats["5xx"]["Id"], stats["Count"]["Id"]
    assert f"100 * FILL({errors}, 0) / {requests}" in rate["Expression"]
    assert f"IF({requests} > 0" in rate["Expression"], "no requests must not divide by zero"
    assert alarm["Threshold"] == {"Ref": "ApiServerErrorRateThresholdPercent"}
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    spec = template["Parameters"]["ApiServerErrorRateThresholdPercent"]
    assert (spec["Type"], spec["MinValue"], spec["MaxValue"]) == ("Number", 0, 100)


def test_the_api_latency_alarm_watches_p99_against_the_parameter(
    template: Template, alarms: dict[str, Alarm]
) -> None:
    (alarm,) = alarms_reading(alarms, "AWS/ApiGateway", "Latency").values()
    assert alarm["Dimensions"] == API_DIMENSIONS
    assert alarm["ExtendedStatistic"] == "p99"
    assert "Statistic" not in alarm
    assert alarm["Threshold"] == {"Ref": "ApiLatencyP99ThresholdMs"}
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert template["Parameters"]["ApiLatencyP99ThresholdMs"]["Type"] == "Number"


def test_the_api_alarms_watch_the_stacks_api_and_stage(template: Template) -> None:
    assert properties(template, "HttpApiStage")["StageName"] == {"Ref": "StageName"}
    assert template["Resources"]["HttpApi"]["Type"] == "AWS::ApiGatewayV2::Api"
