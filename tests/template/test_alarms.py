"""Alarms by symptom: the API's 5xx share and p99 latency, every function's errors and throttles,
and every queue where given-up work waits, each notifying AlarmTopicArn when one is given."""

from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest

from tests.template.conftest import Stack

pytestmark = pytest.mark.template

TOPIC: Final = "arn:aws:sns:eu-west-1:123456789012:onboarding-alerts"
API_DIMENSIONS: Final = [
    {"Name": "ApiId", "Value": {"Ref": "HttpApi"}},
    {"Name": "Stage", "Value": "$default"},
]

Alarm = dict[str, Any]


def metrics(alarm: Alarm) -> Iterator[tuple[str, dict[str, Any]]]:
    """(query id or "", metric) for every metric an alarm reads, its own or its math's."""
    if "MetricName" in alarm:
        yield "", alarm
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            yield query["Id"], query["MetricStat"]["Metric"]


def alarms_on(alarms: dict[str, Alarm], metric_name: str, dimension: dict[str, Any]) -> list[str]:
    return [
        name
        for name, alarm in alarms.items()
        for _, metric in metrics(alarm)
        if metric["MetricName"] == metric_name and dimension in metric.get("Dimensions", [])
    ]


def returned_expression(alarm: Alarm) -> str:
    (returned,) = [query for query in alarm["Metrics"] if query.get("ReturnData", True)]
    return str(returned["Expression"])


@pytest.fixture(scope="module")
def defaults(stack: Callable[..., Stack]) -> Stack:
    return stack()


@pytest.fixture(scope="module")
def alarms(defaults: Stack) -> dict[str, Alarm]:
    return defaults.of_type("AWS::CloudWatch::Alarm")


def test_every_alarm_notifies_the_topic_only_when_one_is_given(
    stack: Callable[..., Stack], alarms: dict[str, Alarm]
) -> None:
    notified = stack(AlarmTopicArn=TOPIC).of_type("AWS::CloudWatch::Alarm")
    for name, alarm in alarms.items():
        assert not {"AlarmActions", "OKActions"} & set(alarm), name
        assert notified[name]["AlarmActions"] == notified[name]["OKActions"] == [TOPIC], name
        assert alarm["TreatMissingData"] == "notBreaching", f"{name} would fire without traffic"
        assert alarm["AlarmDescription"], name


def test_the_api_5xx_alarm_watches_the_share_of_requests(alarms: dict[str, Alarm]) -> None:
    (name,) = alarms_on(alarms, "5xx", API_DIMENSIONS[0])
    alarm = alarms[name]
    ids = {metric["MetricName"]: query_id for query_id, metric in metrics(alarm)}
    assert all(metric["Dimensions"] == API_DIMENSIONS for _, metric in metrics(alarm))
    errors, requests = ids["5xx"], ids["Count"]
    expression = returned_expression(alarm)
    assert f"100 * FILL({errors}, 0) / {requests}" in expression
    assert f"IF({requests} > 0" in expression, "no requests must not divide by zero"
    assert alarm["Threshold"] == "5"  # ApiServerErrorRateThresholdPercent's default


def test_the_api_latency_alarm_watches_p99(alarms: dict[str, Alarm]) -> None:
    (name,) = alarms_on(alarms, "Latency", API_DIMENSIONS[0])
    alarm = alarms[name]
    assert (alarm["Dimensions"], alarm["ExtendedStatistic"]) == (API_DIMENSIONS, "p99")
    assert alarm["Threshold"] == "1000"  # ApiLatencyP99ThresholdMs's default


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_alarms_on_its_first_error_and_throttle(
    defaults: Stack, alarms: dict[str, Alarm], metric: str
) -> None:
    for function in defaults.of_type("AWS::Lambda::Function"):
        (name,) = alarms_on(alarms, metric, {"Name": "FunctionName", "Value": {"Ref": function}})
        assert (alarms[name]["Threshold"], alarms[name]["ComparisonOperator"]) == (
            1,
            "GreaterThanOrEqualToThreshold",
        )


def failure_queues(deployed: Stack) -> set[str]:
    """Every queue where work the stack gave up on waits: dead-letter queues (of the function,
    the EventBridge target and the recheck queue) and the streams' on-failure destination."""
    found = {
        deployed.properties("ProvisioningFunction")["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][
            0
        ]
    }
    for rule in deployed.of_type("AWS::Events::Rule").values():
        found |= {target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0] for target in rule["Targets"]}
    for queue in deployed.of_type("AWS::SQS::Queue").values():
        if "RedrivePolicy" in queue:
            found.add(queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0])
    for mapping in deployed.of_type("AWS::Lambda::EventSourceMapping").values():
        if "DestinationConfig" in mapping:
            found.add(mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0])
    return found


def test_every_queue_of_given_up_work_alarms_on_its_first_message(
    defaults: Stack, alarms: dict[str, Alarm]
) -> None:
    queues = failure_queues(defaults)
    assert len(queues) >= 3, queues
    for queue in queues:
        dimension = {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
        (name,) = alarms_on(alarms, "ApproximateNumberOfMessagesVisible", dimension)
        alarm = alarms[name]
        (query_id,) = [
            query_id for query_id, metric in metrics(alarm) if dimension in metric["Dimensions"]
        ]
        assert f"FILL({query_id}, 0)" in returned_expression(alarm), f"{queue} is not added up"
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
            1,
            "GreaterThanOrEqualToThreshold",
        )
