"""docs/openapi.json: generated from the code, committed, valid, and true to what the handler
answers. When the code changes and this fails, `make openapi` regenerates the file."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel, ValidationError

import composition
from domain.checklist import EvidenceSource
from domain.errors import DependencyMisconfigured, DependencyUnavailable
from domain.service import ChecklistEvaluator, OnboardingStatusService
from handlers.responses import ERROR_RESPONSES, METHOD_NOT_ALLOWED, NOT_FOUND
from handlers.status_api import lambda_handler
from local import api_schema, openapi
from local.cfn_template import PROJECT_ROOT, load_template
from tests.factories import (
    ALIAS_PATH,
    HTTP_API_PATH,
    LambdaContextStub,
    OuData,
    header,
    http_api_event,
    lambda_authorizer,
)
from tests.unit.fakes import InMemoryEvidence, InMemoryMemberships

COMMITTED = PROJECT_ROOT / "docs" / "openapi.json"
DOCUMENTED_EXAMPLE = json.loads(
    (Path(__file__).parents[1] / "data" / "documented_example.json").read_text(encoding="utf-8")
)
ERROR_CODES = {
    "401": "unauthorized",
    "403": "forbidden",
    "404": "not_found",
    "405": "method_not_allowed",
    "500": "internal_error",
    "503": "service_unavailable",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return loaded


def operation(document: dict[str, Any], path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path]["get"]
    return found


def schema_validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A JSON Schema validator for ``schema`` that resolves the document's $refs."""
    return Draft202012Validator({**schema, "components": document["components"]})


# --- drift and validity ------------------------------------------------------------------


def test_the_committed_document_is_what_the_code_generates() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi.openapi_json(), (
        "docs/openapi.json is out of date: run `make openapi`"
    )


def test_generating_needs_no_aws_and_no_environment(tmp_path: Path) -> None:
    """`make openapi` on a bare machine: no AWS credentials, region, tables or Powertools
    settings; the check mode compares with the committed file."""
    environment = {"PATH": os.environ["PATH"], "PYTHONPATH": "src:.", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "local.openapi", "--check"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_check_mode_reports_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(openapi, "OPENAPI_PATH", stale)
    assert openapi.main(["--check"]) == 1
    assert "make openapi" in capsys.readouterr().err
    monkeypatch.setattr(openapi, "OPENAPI_PATH", tmp_path / "missing.json")
    assert openapi.main(["--check"]) == 1


def test_write_mode_writes_the_generated_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "docs" / "openapi.json"
    monkeypatch.setattr(openapi, "OPENAPI_PATH", target)
    monkeypatch.setattr(openapi, "PROJECT_ROOT", tmp_path)
    assert openapi.main([]) == 0
    assert target.read_text(encoding="utf-8") == openapi.openapi_json()
    assert "docs/openapi.json" in capsys.readouterr().out


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_only_the_schemas_the_api_answers_with_are_listed(document: dict[str, Any]) -> None:
    """Not Powertools' HTTPValidationError, ResponseValidationError or ValidationError."""
    assert set(document["components"]["schemas"]) == {"ErrorBody", "OnboardingStatus", "StepStatus"}


def test_the_version_is_the_projects(document: dict[str, Any]) -> None:
    assert document["info"]["version"] == openapi.project_version()


# --- what it describes ----------------------------------------------------------------------


def test_both_paths_and_nothing_else_are_described(document: dict[str, Any]) -> None:
    assert list(document["paths"]) == [HTTP_API_PATH, ALIAS_PATH]
    assert all(list(item) == ["get"] for item in document["paths"].values())


def test_the_documented_paths_are_the_deployed_routes(document: dict[str, Any]) -> None:
    routes = {
        resource["Properties"]["RouteKey"]
        for resource in load_template()["Resources"].values()
        if resource["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert routes == {f"GET {path}" for path in document["paths"]}


def test_operation_ids_are_distinct_and_the_alias_is_marked(document: dict[str, Any]) -> None:
    main, alias = operation(document, HTTP_API_PATH), operation(document, ALIAS_PATH)
    assert (main["operationId"], alias["operationId"]) == (
        "getOnboardingStatus",
        "getOnboardingStatusAlias",
    )
    assert alias["x-alias-of"] == HTTP_API_PATH
    assert "x-alias-of" not in main
    assert "alias" in alias["summary"].lower()
    assert main["responses"] == alias["responses"], "the alias answers exactly the same"


@pytest.mark.parametrize("path", [HTTP_API_PATH, ALIAS_PATH])
def test_200_is_the_status_model_with_the_documented_example(
    document: dict[str, Any], path: str
) -> None:
    content = operation(document, path)["responses"]["200"]["content"]["application/json"]
    assert content["schema"] == {"$ref": "#/components/schemas/OnboardingStatus"}
    examples = [example["value"] for example in content["examples"].values()]
    assert examples == [DOCUMENTED_EXAMPLE]
    schema_validator(document, content["schema"]).validate(DOCUMENTED_EXAMPLE)


def test_the_status_model_documents_every_field(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    status, step = schemas["OnboardingStatus"], schemas["StepStatus"]
    assert set(status["required"]) == {"steps", "all_complete", "completed_count", "total_count"}
    assert set(step["required"]) == {"id", "label", "completed", "action_path"}
    for schema in (status, step):
        undocumented = [
            name for name, field in schema["properties"].items() if not field.get("description")
        ]
        assert not undocumented, f"fields without a description: {undocumented}"


@pytest.mark.parametrize("path", [HTTP_API_PATH, ALIAS_PATH])
def test_every_error_is_described_with_its_code_and_json_body(
    document: dict[str, Any], path: str
) -> None:
    responses = operation(document, path)["responses"]
    assert set(responses) >= set(ERROR_CODES)
    for status, code in ERROR_CODES.items():
        content = responses[status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
        (example,) = [example["value"] for example in content["examples"].values()]
        assert example["code"] == code
        schema_validator(document, content["schema"]).validate(example)


def test_the_documented_error_messages_are_the_ones_sent(document: dict[str, Any]) -> None:
    sent = {
        str(int(status)): (code, message)
        for status, code, message in [*ERROR_RESPONSES.values(), NOT_FOUND, METHOD_NOT_ALLOWED]
    }
    responses = operation(document, HTTP_API_PATH)["responses"]
    for status, (code, message) in sent.items():
        content = responses[status]["content"]["application/json"]
        (example,) = [example["value"] for example in content["examples"].values()]
        assert example == {"code": code, "message": message}


def test_the_error_body_allows_exactly_code_and_message(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["ErrorBody"]
    assert set(schema["properties"]) == set(schema["required"]) == {"code", "message"}
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(("status", "name"), [("503", "Retry-After"), ("405", "Allow")])
def test_error_headers_are_described(document: dict[str, Any], status: str, name: str) -> None:
    assert name in operation(document, HTTP_API_PATH)["responses"][status]["headers"]


@pytest.mark.parametrize("status", ["200", "304"])
def test_caching_headers_are_described_on_200_and_304(
    document: dict[str, Any], status: str
) -> None:
    headers = operation(document, HTTP_API_PATH)["responses"][status]["headers"]
    assert {"ETag", "Cache-Control", "Vary"} <= set(headers)
    assert headers["Cache-Control"]["schema"]["const"] == "private, no-cache"


def test_304_has_no_body(document: dict[str, Any]) -> None:
    assert not operation(document, HTTP_API_PATH)["responses"]["304"].get("content")


def test_if_none_match_and_the_active_ou_cookie_are_described(document: dict[str, Any]) -> None:
    parameters = {
        (parameter["in"], parameter["name"]): parameter
        for parameter in operation(document, HTTP_API_PATH)["parameters"]
    }
    assert set(parameters) == {("header", "If-None-Match"), ("cookie", "activeOu")}
    assert not any(parameter["required"] for parameter in parameters.values())


def test_the_active_ou_pattern_is_the_domains(document: dict[str, Any]) -> None:
    from domain.identifiers import is_valid_id  # noqa: PLC0415

    (cookie,) = [
        parameter
        for parameter in operation(document, HTTP_API_PATH)["parameters"]
        if parameter["in"] == "cookie"
    ]
    validator = Draft202012Validator(cookie["schema"])
    for candidate in ["ou-1", "auth0|abc", "a@b.c", "x" * 128, "x" * 129, "-ou", "o u", ""]:
        assert validator.is_valid(candidate) == is_valid_id(candidate), candidate


def test_every_operation_requires_the_bearer_authorizer(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        openapi.SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": openapi.AUTHORIZER_DESCRIPTION,
        }
    }
    assert document["security"] == [{openapi.SECURITY_SCHEME: []}]


# --- the document against what the handler really answers --------------------------------


class RetryAfterSettings:
    retry_after_seconds = 3


@pytest.fixture
def evidence() -> InMemoryEvidence:
    fake = InMemoryEvidence()
    fake.add(OuData("ou-1").integration())
    return fake


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch, evidence: InMemoryEvidence) -> None:
    memberships = InMemoryMemberships()
    memberships.add("ou-1", "alice")
    service = OnboardingStatusService(memberships, ChecklistEvaluator(evidence))
    monkeypatch.setattr(composition, "status_service", lambda: service)
    monkeypatch.setattr(composition, "app_settings", RetryAfterSettings)


def assert_documented(document: dict[str, Any], response: dict[str, Any], status: str) -> None:
    """The answer's body fits the schema its status is documented with, it carries every
    header documented for that status, and every header it carries is documented (but the
    Content-Type, which the content's media type states), with the documented fixed value."""
    assert str(response["statusCode"]) == status
    described = operation(document, HTTP_API_PATH)["responses"][status]
    schema = described["content"]["application/json"]["schema"]
    schema_validator(document, schema).validate(json.loads(response["body"]))
    documented = described.get("headers", {})
    for name in documented:
        assert header(response, name) is not None, f"{status} lacks documented header {name}"
    sent = {*response.get("headers", {}), *response.get("multiValueHeaders", {})}
    undocumented = {name for name in sent if name.lower() != "content-type"} - set(documented)
    assert not undocumented, f"{status} sends headers its description lacks: {undocumented}"
    for name, description in documented.items():
        if "const" in description["schema"]:
            assert header(response, name) == description["schema"]["const"], name


@pytest.mark.usefixtures("wired")
@pytest.mark.parametrize(
    ("event", "status"),
    [
        (http_api_event(authorizer=lambda_authorizer("alice", "ou-1")), "200"),
        (http_api_event(), "401"),
        (http_api_event(authorizer=lambda_authorizer("bob", "ou-1")), "403"),
        (http_api_event(path="/nope", authorizer=lambda_authorizer()), "404"),
        (http_api_event(method="POST", authorizer=lambda_authorizer()), "405"),
    ],
)
def test_real_answers_match_their_documented_schema_and_headers(
    document: dict[str, Any], event: dict[str, Any], status: str
) -> None:
    assert_documented(document, lambda_handler(event, LambdaContextStub()), status)


@pytest.mark.usefixtures("wired")
@pytest.mark.parametrize(
    ("failure", "status"),
    [(DependencyUnavailable("throttled"), "503"), (DependencyMisconfigured("no table"), "500")],
)
def test_real_failures_match_their_documented_schema_and_headers(
    document: dict[str, Any], evidence: InMemoryEvidence, failure: Exception, status: str
) -> None:
    evidence.failures[EvidenceSource.SCORING_RULES] = failure
    event = http_api_event(authorizer=lambda_authorizer("alice", "ou-1"))
    assert_documented(document, lambda_handler(event, LambdaContextStub()), status)


@pytest.mark.usefixtures("wired")
@pytest.mark.parametrize(
    ("event", "model"),
    [
        (
            http_api_event(authorizer=lambda_authorizer("alice", "ou-1")),
            api_schema.OnboardingStatus,
        ),
        (http_api_event(authorizer=lambda_authorizer("bob", "ou-1")), api_schema.ErrorBody),
        (http_api_event(method="POST", authorizer=lambda_authorizer()), api_schema.ErrorBody),
    ],
)
def test_real_bodies_are_exactly_what_the_documentation_models_describe(
    event: dict[str, Any], model: type[BaseModel]
) -> None:
    """The handler writes its bodies without pydantic (domain.status, handlers.responses); the
    document's schemas come from the models in local.api_schema. A real body validates
    against its model strictly (no coercion, no field left over, nested too), and the model
    writes it back byte for byte: the same fields, in the same order, of the same types."""
    body = lambda_handler(event, LambdaContextStub())["body"]
    parsed = model.model_validate_json(body, strict=True, extra="forbid")
    assert parsed.model_dump_json() == body


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (api_schema.OnboardingStatus, {**DOCUMENTED_EXAMPLE, "ou_id": "ou-1"}),
        (api_schema.OnboardingStatus, {**DOCUMENTED_EXAMPLE, "total_count": "3"}),
        (
            api_schema.OnboardingStatus,
            {**DOCUMENTED_EXAMPLE, "steps": [{**DOCUMENTED_EXAMPLE["steps"][0], "extra": 1}]},
        ),
        (api_schema.ErrorBody, {"code": "forbidden"}),
    ],
)
def test_the_documentation_models_refuse_a_body_that_drifted(
    model: type[BaseModel], body: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        model.model_validate_json(json.dumps(body), strict=True, extra="forbid")


def test_every_reference_names_a_listed_schema(document: dict[str, Any]) -> None:
    references = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert references == set(document["components"]["schemas"])


@pytest.mark.parametrize("path", ["/docs", "/docs/openapi.json", "/swagger", "/openapi.json"])
def test_the_deployed_handler_serves_no_documentation(path: str) -> None:
    response = lambda_handler(
        http_api_event(path=path, authorizer=lambda_authorizer()), LambdaContextStub()
    )
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["code"] == "not_found"
