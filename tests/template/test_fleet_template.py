"""The fleet sweep as deployed: its state machine (run here on a fake sweep function), the
adoption order that keeps old completions unannounced, least privilege for the sweep function,
the state machine and its schedule, the nightly schedule, the alarm and the funnel dashboard."""

import json
from collections.abc import Callable
from typing import Any, Final

import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from local.cfn_template import load_template, parameter_default
from tests.template.asl import Execution, StateFailed, definition, state_lists, transitions
from tests.template.conftest import (
    EVIDENCE_TABLES,
    TABLE_CASES,
    Stack,
    as_list,
    grants,
    statements,
    table_id,
    with_existing,
)
from tests.template.test_security import short, table_grants

pytestmark = pytest.mark.template

# The sweep function's alias "live", which deployments shift gradually.
FUNCTION_ARN: Final = "arn:aws:lambda:eu-west-1:123456789012:function:fleet-sweep:live"
LIVE_ALIAS: Final = {"Ref": "FleetSweepFunctionAliaslive"}
LAMBDA_INVOKE: Final = "arn:aws:states:::lambda:invoke"
SEGMENTS: Final = int(parameter_default(load_template(), "FleetSweepSegments"))
ENABLE_TRIGGER: Final = "arn:aws:states:::aws-sdk:lambda:updateEventSourceMapping"
TRIGGERS: Final = {
    table: table.removesuffix("Table") + "StreamTrigger" for table in EVIDENCE_TABLES
}
TRANSIENT_LAMBDA_ERRORS: Final = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
# The metrics the merge step emits (the fleet contract), all of which the dashboard shows.
FUNNEL_METRICS: Final = {
    "FleetOus",
    "FleetComplete",
    "FleetStepComplete",
    "FleetStalled",
    "FleetTimeToCompleteP50Hours",
    "FleetTimeToCompleteP90Hours",
    "FleetTimeToCompleteP99Hours",
}
# Existing integrations and scoring rules tables with streams; engagement levels created.
ADOPTING: Final = with_existing(*EVIDENCE_TABLES[:2], streams=True)


def uuid(trigger: str) -> str:
    return f"uuid-of-{trigger}"


def as_text(value: Any) -> str:
    """A DefinitionSubstitutions value as CloudFormation would give it to the definition."""
    if isinstance(value, str):
        return value
    if value == LIVE_ALIAS:
        return FUNCTION_ARN
    assert set(value) == {"Ref"}, value
    return uuid(value["Ref"])


def machine_of(deployed: Stack) -> dict[str, Any]:
    substitutions = deployed.properties("FleetSweepStateMachine")["DefinitionSubstitutions"]
    return definition({name: as_text(value) for name, value in substitutions.items()})


class FakeSweepFunction:
    """Answers like the sweep function: each segment in two invocations (the first returns a
    cursor, the second, given that answer back, finishes), and a merge that adds counts up."""

    def __init__(self, failed: int = 0) -> None:
        self.failed = failed

    def __call__(self, resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
        if resource == ENABLE_TRIGGER:
            return {"UUID": parameters["Uuid"], "State": "Enabling"}
        assert resource == LAMBDA_INVOKE
        assert parameters["FunctionName"] == FUNCTION_ARN
        request = parameters["Payload"]
        if "merge" in request:
            answers = request["merge"]
            total = {"ous": sum(answer["ous"] for answer in answers), "failed": self.failed}
            return {"StatusCode": 200, "Payload": {"mode": answers[0]["mode"], **total}}
        finished = "cursor" in request
        answer = {
            **request,
            "cursor": None if finished else f"after-part-of-{request['segment']}",
            "ous": request.get("ous", 0) + 10,
            "failed": 0,
        }
        return {"StatusCode": 200, "Payload": answer}


def run(deployed: Stack, mode: str, fake: FakeSweepFunction | None = None) -> tuple[Execution, Any]:
    """An execution with input {"mode": mode}, and its output."""
    execution = Execution(fake or FakeSweepFunction())
    return execution, execution.run(machine_of(deployed), {"mode": mode})


def enabled_triggers(execution: Execution) -> list[Any]:
    return [params for resource, params in execution.calls if resource == ENABLE_TRIGGER]


@pytest.fixture(scope="module")
def defaults(stack: Callable[..., Stack]) -> Stack:
    return stack()


# ---------------------------------------------------------------- the state machine


def test_the_definition_is_valid_states_language(defaults: Stack) -> None:
    """Step Functions' grammar as LocalStack's parser (in moto) implements it."""
    AmazonStateLanguageParser.parse(json.dumps(machine_of(defaults)))


def test_every_state_is_reachable_and_every_transition_lands_on_a_state(defaults: Stack) -> None:
    for states in state_lists(machine_of(defaults)):
        names = set(states["States"])
        reached, waiting = set(), [states["StartAt"]]
        while waiting:
            name = waiting.pop()
            assert name in names, f"a transition to {name}, which is not a state"
            if name not in reached:
                reached.add(name)
                state = states["States"][name]
                ends = state["Type"] in ("Choice", "Succeed", "Fail") or state.get("End")
                assert ends or "Next" in state, f"{name} neither ends nor goes on"
                waiting += transitions(state)
        assert reached == names, f"unreachable: {sorted(names - reached)}"


def test_each_segment_loops_on_its_cursor_then_the_answers_are_merged(
    stack: Callable[..., Stack],
) -> None:
    execution, output = run(stack(FleetSweepSegments="3", FleetSweepMaxConcurrency="2"), "report")
    payloads = [params["Payload"] for _, params in execution.calls]
    *sweeps, merge = payloads
    first = [{"mode": "report", "segment": segment, "total_segments": 3} for segment in range(3)]
    assert sweeps[0::2] == first
    answers = [FakeSweepFunction()(LAMBDA_INVOKE, call)["Payload"] for _, call in execution.calls]
    assert sweeps[1::2] == answers[0:6:2], "a resumed segment gets its previous answer back"
    assert merge == {"merge": answers[1:6:2]}
    assert all(answer["cursor"] is None for answer in merge["merge"])
    assert output == {"mode": "report", "ous": 60, "failed": 0}


def test_segments_and_concurrency_follow_the_parameters(stack: Callable[..., Stack]) -> None:
    machine = machine_of(stack(FleetSweepSegments="200", FleetSweepMaxConcurrency="7"))
    numbered = Execution(FakeSweepFunction())._step(
        machine["States"]["Number the segments"], {"mode": "adopt"}, None
    )[0]
    assert numbered == {"mode": "adopt", "segments": list(range(200)), "max_concurrency": 7}
    sweep = machine["States"]["Sweep the segments"]
    assert sweep["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
    }
    assert sweep["MaxConcurrencyPath"] == "$.max_concurrency"


def lambda_tasks(defaults: Stack) -> dict[str, dict[str, Any]]:
    return {
        name: state
        for states in state_lists(machine_of(defaults))
        for name, state in states["States"].items()
        if state.get("Resource") == LAMBDA_INVOKE
    }


def test_invocations_retry_throttles_and_store_trouble_but_never_a_bad_request(
    defaults: Stack,
) -> None:
    tasks = lambda_tasks(defaults)
    assert len(tasks) == 2
    for name, task in tasks.items():
        retried = {error for retrier in task["Retry"] for error in retrier["ErrorEquals"]}
        assert retried >= TRANSIENT_LAMBDA_ERRORS, name
        assert not retried & {"InvalidSweepRequest", "States.ALL", "States.TaskFailed"}, name
        assert all(r["BackoffRate"] > 1 and r["MaxAttempts"] <= 10 for r in task["Retry"]), name
        assert "Catch" not in task, f"{name}: a failure must fail the execution (and alarm)"
    assert "DependencyUnavailable" in tasks["Sweep"]["Retry"][0]["ErrorEquals"]


@pytest.mark.parametrize("mode", [None, "purge", 3, "ADOPT"])
def test_an_unknown_mode_is_refused_before_any_invocation(defaults: Stack, mode: Any) -> None:
    execution = Execution(FakeSweepFunction())
    with pytest.raises(StateFailed) as failed:
        execution.run(machine_of(defaults), {} if mode is None else {"mode": mode})
    assert (failed.value.error, execution.calls) == ("InvalidSweepRequest", [])


# ---------------------------------------------------------------- adoption order


@pytest.mark.parametrize(
    ("overrides", "disabled"),
    [
        pytest.param({}, set(), id="created-tables"),
        pytest.param(ADOPTING, set(EVIDENCE_TABLES[:2]), id="existing-tables"),
        pytest.param({**ADOPTING, "ExistingTablesAdopted": "true"}, set(), id="adopted"),
    ],
)
def test_an_existing_tables_stream_trigger_starts_disabled_until_adopted(
    stack: Callable[..., Stack], overrides: dict[str, str], disabled: set[str]
) -> None:
    deployed = stack(**overrides)
    for table, trigger in TRIGGERS.items():
        enabled = str(deployed.properties(trigger).get("Enabled", True)).lower()
        assert enabled == ("false" if table in disabled else "true"), trigger


def test_an_adopt_execution_ends_by_enabling_exactly_the_existing_tables_triggers(
    stack: Callable[..., Stack],
) -> None:
    execution, output = run(stack(**ADOPTING), "adopt")
    expected = [{"Uuid": uuid(TRIGGERS[t]), "Enabled": True} for t in EVIDENCE_TABLES[:2]]
    assert enabled_triggers(execution) == expected
    resources = [resource for resource, _ in execution.calls]
    assert resources[-3:] == [LAMBDA_INVOKE, ENABLE_TRIGGER, ENABLE_TRIGGER], "merge, then enable"
    assert output == {"mode": "adopt", "ous": SEGMENTS * 20, "failed": 0}


@pytest.mark.parametrize(
    ("overrides", "mode"),
    [
        pytest.param(ADOPTING, "reconcile", id="reconcile"),
        pytest.param(ADOPTING, "report", id="report"),
        pytest.param({}, "adopt", id="adopt-with-created-tables"),
    ],
)
def test_no_other_execution_enables_a_trigger(
    stack: Callable[..., Stack], overrides: dict[str, str], mode: str
) -> None:
    execution, output = run(stack(**overrides), mode)
    assert enabled_triggers(execution) == []
    assert len(execution.calls) == 2 * SEGMENTS + 1
    assert output["mode"] == mode


@pytest.mark.parametrize("mode", ["adopt", "reconcile", "report"])
def test_a_sweep_that_left_ous_behind_fails_and_enables_nothing(
    stack: Callable[..., Stack], mode: str
) -> None:
    """The failed execution raises the alarm. Enabling a trigger while some OU has no progress
    record would let its next write announce a completion that happened long ago."""
    execution = Execution(FakeSweepFunction(failed=1))
    with pytest.raises(StateFailed) as failed:
        execution.run(machine_of(stack(**ADOPTING)), {"mode": mode})
    assert failed.value.error == "SweepIncomplete"
    assert enabled_triggers(execution) == []
    assert execution.calls[-1][1]["Payload"].keys() == {"merge"}, "the merge (and metrics) ran"


def test_every_path_to_enabling_passes_the_merge_an_adopt_mode_and_no_failed_ou(
    defaults: Stack,
) -> None:
    """Whatever the data: cut any one of these gates and no path reaches the enabling state."""
    machine = machine_of(defaults)
    states = machine["States"]
    (enabling,) = [
        name
        for name, state in states.items()
        if ENABLE_TRIGGER in json.dumps(state.get("ItemProcessor", {}))
    ]

    def reaches(cut: Callable[[str, dict[str, Any]], bool]) -> bool:
        reached, waiting = set(), [machine["StartAt"]]
        while waiting:
            name = waiting.pop()
            if name not in reached:
                reached.add(name)
                state = states[name]
                if state["Type"] == "Choice":
                    waiting += [r["Next"] for r in state["Choices"] if not cut(name, r)]
                    waiting.append(state["Default"])
                elif not cut(name, state):
                    waiting += transitions(state)
        return enabling in reached

    gates: list[Callable[[str, dict[str, Any]], bool]] = [
        lambda _, rule: (rule.get("Variable"), rule.get("StringEquals")) == ("$.mode", "adopt"),
        lambda _, rule: (
            (rule.get("Variable"), rule.get("NumericEquals")) == ("$.fleet.answer.failed", 0)
        ),
        lambda name, _: name == "Merge the answers",
    ]
    assert reaches(lambda *_: False)
    for gate in gates:
        assert not reaches(gate)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="created-tables"),
        pytest.param(with_existing(*EVIDENCE_TABLES), id="existing-without-streams"),
        pytest.param(ADOPTING, id="existing-with-streams"),
        pytest.param(with_existing(*EVIDENCE_TABLES, streams=True), id="all-existing-streams"),
    ],
)
def test_the_state_machine_may_enable_only_the_existing_tables_triggers(
    stack: Callable[..., Stack], overrides: dict[str, str]
) -> None:
    deployed = stack(**overrides)
    adopted = {
        TRIGGERS[table]
        for table in EVIDENCE_TABLES
        if f"Existing{table}StreamArn" in overrides and f"Existing{table}Name" in overrides
    }
    substitutions = deployed.properties("FleetSweepStateMachine")["DefinitionSubstitutions"]
    given = {name: value for name, value in substitutions.items() if name in TRIGGERS.values()}
    assert given == {t: {"Ref": t} if t in adopted else "" for t in TRIGGERS.values()}
    allowed = machine_grants(deployed).get("lambda:UpdateEventSourceMapping", [])
    assert allowed == [
        {"Fn::GetAtt": [t, "EventSourceMappingArn"]} for t in TRIGGERS.values() if t in adopted
    ]


# ---------------------------------------------------------------- least privilege


@pytest.mark.parametrize("existing", TABLE_CASES)
def test_the_sweep_function_may_use_exactly_what_the_contract_names(
    stack: Callable[..., Stack], existing: tuple[str, ...]
) -> None:
    deployed = stack(**with_existing(*existing))
    variables = deployed.properties("FleetSweepFunction")["Environment"]["Variables"]
    granted = grants(deployed, "FleetSweepFunction")
    progress = {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"}
    evidence = ("INTEGRATIONS_TABLE", "SCORING_RULES_TABLE", "ENGAGEMENT_LEVELS_TABLE")
    expected = {table_id(variables["MEMBERSHIPS_TABLE"]): {"dynamodb:Scan"}}
    expected |= {table_id(variables[name]): {"dynamodb:Query"} for name in evidence}
    expected[table_id(variables["PROGRESS_TABLE"])] = progress
    assert table_grants(granted) == expected
    others = {
        action: sorted(short(resource) for resource in resources)
        for action, resources in granted.items()
        if not action.startswith("dynamodb:")
    }
    assert others == {
        "logs:CreateLogStream": ["FleetSweepFunctionLogGroup"],
        "logs:PutLogEvents": ["FleetSweepFunctionLogGroup"],
        "events:PutEvents": ["event-bus/default"],
    }


def machine_grants(deployed: Stack) -> dict[str, list[Any]]:
    role = deployed.properties("FleetSweepStateMachine")["RoleArn"]["Fn::GetAtt"][0]
    granted: dict[str, list[Any]] = {}
    for statement in statements(deployed.properties(role)):
        assert statement["Effect"] == "Allow", statement
        assert "Condition" not in statement, statement
        for action in as_list(statement["Action"]):
            granted.setdefault(action, []).extend(as_list(statement["Resource"]))
    return granted


def test_the_state_machine_may_invoke_the_sweep_and_run_its_own_segments_only(
    defaults: Stack,
) -> None:
    own = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:"
    assert machine_grants(defaults) == {
        "lambda:InvokeFunction": [LIVE_ALIAS],
        "states:StartExecution": [{"Fn::Sub": own + "stateMachine:${AWS::StackName}-fleet-sweep"}],
        "states:DescribeExecution": [
            {"Fn::Sub": own + "execution:${AWS::StackName}-fleet-sweep/*"}
        ],
        "states:StopExecution": [{"Fn::Sub": own + "execution:${AWS::StackName}-fleet-sweep/*"}],
    }
    assert machine_of(defaults)["States"]["Sweep the segments"]["Label"] == "segments"


# ---------------------------------------------------------------- schedule, alarm, dashboard


def test_a_nightly_reconcile_is_scheduled_unless_the_schedule_is_empty(
    stack: Callable[..., Stack],
) -> None:
    deployed = stack()
    (schedule,) = deployed.of_type("AWS::Scheduler::Schedule").values()
    assert (schedule["State"], schedule["ScheduleExpression"]) == ("ENABLED", "cron(0 3 * * ? *)")
    assert "Name" not in schedule, "a fixed name would clash between two stacks"
    target = schedule["Target"]
    assert (target["Arn"], json.loads(target["Input"])) == (
        {"Ref": "FleetSweepStateMachine"},
        {"mode": "reconcile"},
    )
    role = deployed.properties(target["RoleArn"]["Fn::GetAtt"][0])
    assert [(s["Action"], s["Resource"]) for s in statements(role)] == [
        ("states:StartExecution", {"Ref": "FleetSweepStateMachine"})
    ]
    (off,) = stack(FleetSweepSchedule="").of_type("AWS::Scheduler::Schedule").values()
    assert off["State"] == "DISABLED"


def test_a_failed_sweep_execution_alarms(defaults: Stack) -> None:
    (alarm,) = [
        alarm
        for alarm in defaults.of_type("AWS::CloudWatch::Alarm").values()
        if alarm.get("Namespace") == "AWS/States"
    ]
    assert alarm["MetricName"] == "ExecutionsFailed"
    assert alarm["Dimensions"] == [
        {"Name": "StateMachineArn", "Value": {"Ref": "FleetSweepStateMachine"}}
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
    )


def test_the_dashboard_shows_the_funnel_the_merge_step_emits(stack: Callable[..., Stack]) -> None:
    deployed = stack(MetricsNamespace="Acme/Onboarding", ServiceName="onboarding")
    (dashboard,) = deployed.of_type("AWS::CloudWatch::Dashboard").values()
    text = dashboard["DashboardBody"]["Fn::Sub"]
    text = text.replace("${AWS::Region}", "eu-west-1").replace("${FleetSweepStateMachine}", "arn")
    body = json.loads(text)
    service = deployed.properties("FleetSweepFunction")["Environment"]["Variables"][
        "POWERTOOLS_SERVICE_NAME"
    ]
    assert service == "onboarding-fleet-sweep"
    shown = set()
    for widget in body["widgets"]:
        for metric in widget["properties"]["metrics"]:
            if "expression" in metric[0]:
                search = metric[0]["expression"]
                assert "{Acme/Onboarding,service,step}" in search, search
                assert f'service=\\"{service}\\"' in json.dumps(search), search
                shown.add(search.split('MetricName="')[1].split('"')[0])
            elif metric[0] != "AWS/States":
                assert metric[0] == "Acme/Onboarding", metric
                assert metric[2:4] == ["service", service], metric
                shown.add(metric[1])
    assert shown == FUNNEL_METRICS
