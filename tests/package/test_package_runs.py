"""Each function's x86_64 package runs alone, as Lambda runs it, and answers as documented; a
module missing from the package, a dependency missing from src/requirements.txt or a handler
typo in template.yaml makes the same check fail."""

import dataclasses
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.cfn_template import PROJECT_ROOT, load_template
from local.event_bus import published_events
from tests.package.harness import (
    BuiltFunction,
    built_function,
    foreign_paths,
    response_body,
    run_function,
)

FUNCTION_TYPE = "AWS::Serverless::Function"
DOCUMENTED_BODY = json.loads((PROJECT_ROOT / "tests/data/documented_example.json").read_text())


def _event(name: str) -> Any:
    return json.loads((PROJECT_ROOT / "events" / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Invocation:
    event: Any
    status: int | None = None  # API responses: the status code
    body: Any = None  # ... and the whole body, parsed
    result: dict[str, Any] = field(default_factory=dict)  # other results: these keys' values

    def check(self, outcome: dict[str, Any]) -> None:
        assert "result" in outcome, f"the function failed: {outcome}"
        if self.status is not None:
            assert outcome["result"]["statusCode"] == self.status, outcome
            assert response_body(outcome) == self.body
        got = {key: outcome["result"].get(key, "<absent>") for key in self.result}
        assert got == self.result, outcome


@dataclass(frozen=True)
class FunctionCase:
    """One function of the template: the events of one execution environment, in order, and
    the detail types it must publish on the local bus meanwhile."""

    logical_id: str
    invocations: tuple[Invocation, ...]
    published: tuple[str, ...] = ()


# One entry per function of template.yaml.
CASES = (
    FunctionCase(
        "StatusFunction",
        (
            Invocation(
                _event("http-lambda-partial-cookie.200.json"), status=200, body=DOCUMENTED_BODY
            ),
            Invocation(
                _event("http-lambda-restricted.403.json"),
                status=403,
                body={
                    "code": "forbidden",
                    "message": "Your account does not have access to the selected "
                    "Organizational Unit.",
                },
            ),
        ),
    ),
    FunctionCase(
        "ProvisioningFunction",
        (
            Invocation(
                _event("provisioning/eventbridge-ou-complete.json"),
                result={"ou_id": "ou-complete", "all_complete": True, "completed_count": 3},
            ),
        ),
        published=("Onboarding Status Checked", "Onboarding Completed"),
    ),
    # One segment of 16 (a few demo OUs: scan, step queries, progress reads), then the merge
    # (the funnel's metrics). The package is the provisioning function's: its writes and
    # events are proven above.
    FunctionCase(
        "FleetSweepFunction",
        (
            Invocation(
                {"mode": "report", "segment": 0, "total_segments": 16},
                result={"mode": "report", "cursor": None, "failed": 0, "published": 0},
            ),
            Invocation(
                {"merge": [{"mode": "report", "segment": 0, "total_segments": 1, "ous": 2}]},
                result={"mode": "report", "segments": 1, "ous": 2},
            ),
        ),
    ),
)


def check_case(case: FunctionCase, function: BuiltFunction, endpoint: str) -> None:
    """What `make check` requires of each function's package."""
    run = run_function(function, [invocation.event for invocation in case.invocations], endpoint)
    assert foreign_paths(run, function.code_dir) == [], "imports reached outside the package"
    for invocation, outcome in zip(case.invocations, run.outcomes, strict=True):
        invocation.check(outcome)
    published = sorted(event["detail-type"] for event in published_events(endpoint))
    assert tuple(published) == tuple(sorted(case.published))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.logical_id)
def test_each_function_runs_from_its_package_alone(case: FunctionCase, endpoint: str) -> None:
    check_case(case, built_function(case.logical_id), endpoint)


def test_every_function_of_the_template_has_a_case(x86_64_build: Path) -> None:
    resources = load_template(x86_64_build / "template.yaml")["Resources"]
    functions = {name for name, resource in resources.items() if resource["Type"] == FUNCTION_TYPE}
    assert functions == {case.logical_id for case in CASES}


def _case(logical_id: str) -> FunctionCase:
    return next(case for case in CASES if case.logical_id == logical_id)


def _package_copy(function: BuiltFunction, tmp_path: Path, *removed: str) -> BuiltFunction:
    """The function with a copy of its package, some files or folders taken out of it."""
    code_dir = tmp_path / function.logical_id
    shutil.copytree(function.code_dir, code_dir)
    for pattern in removed:
        for path in code_dir.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return dataclasses.replace(function, code_dir=code_dir)


@pytest.mark.parametrize(
    ("logical_id", "module_file", "error"),
    [
        ("StatusFunction", "handlers/identity.py", "No module named 'handlers.identity'"),
        (
            "ProvisioningFunction",
            "adapters/eventbridge.py",
            "No module named 'adapters.eventbridge'",
        ),
    ],
)
def test_a_module_missing_from_the_package_fails(
    logical_id: str, module_file: str, error: str, endpoint: str, tmp_path: Path
) -> None:
    """At import (the status API) or on first use (EventBridge, imported when first needed)."""
    broken = _package_copy(built_function(logical_id), tmp_path, module_file)
    with pytest.raises(AssertionError, match=error):
        check_case(_case(logical_id), broken, endpoint)


@pytest.mark.parametrize(
    ("logical_id", "distribution", "error"),
    [
        ("StatusFunction", "botocore", "No module named 'botocore'"),
        ("ProvisioningFunction", "pydantic", "No module named 'pydantic'"),
    ],
)
def test_a_dependency_missing_from_the_requirements_fails(
    logical_id: str, distribution: str, error: str, endpoint: str, tmp_path: Path
) -> None:
    """The package as pip builds it without that line of src/requirements.txt; the runtime's
    own SDK is not on the path to hide a missing botocore."""
    broken = _package_copy(
        built_function(logical_id), tmp_path, distribution, f"{distribution}-*.dist-info"
    )
    with pytest.raises(AssertionError, match=error):
        check_case(_case(logical_id), broken, endpoint)


@pytest.mark.parametrize(
    ("typo", "error"),
    [
        ("handlers.status_api.lambda_handlr", "has no attribute 'lambda_handlr'"),
        ("handlers.statusapi.lambda_handler", "No module named 'handlers.statusapi'"),
    ],
)
def test_a_handler_typo_in_the_template_fails(
    typo: str, error: str, x86_64_build: Path, endpoint: str, tmp_path: Path
) -> None:
    """The handler is read from the built template, as Lambda reads the deployed one."""
    built = (x86_64_build / "template.yaml").read_text(encoding="utf-8")
    assert "Handler: handlers.status_api.lambda_handler" in built
    (tmp_path / "template.yaml").write_text(
        built.replace("handlers.status_api.lambda_handler", typo), encoding="utf-8"
    )
    (tmp_path / "StatusFunction").symlink_to(x86_64_build / "StatusFunction")
    broken = built_function("StatusFunction", tmp_path / "template.yaml")
    assert broken.handler == typo
    with pytest.raises(AssertionError, match=error):
        check_case(_case("StatusFunction"), broken, endpoint)
