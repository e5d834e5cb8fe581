"""The API entry point with the domain wired to in-memory ports: routing, identity, errors."""

import json
from typing import Any

import pytest

import composition
from domain.checklist import EvidenceSource
from domain.errors import (
    ConfigurationError,
    DependencyMisconfigured,
    DependencyUnavailable,
    EvidenceReadLimitExceeded,
)
from domain.service import ChecklistEvaluator, OnboardingStatusService
from handlers import status_api
from handlers.status_api import lambda_handler
from tests.factories import (
    ALIAS_PATH,
    LambdaContextStub,
    OuData,
    body_of,
    header,
    http_api_event,
    jwt_authorizer,
    lambda_authorizer,
    rest_authorizer,
    rest_event,
)
from tests.unit.fakes import InMemoryEvidence, InMemoryMemberships


@pytest.fixture
def memberships() -> InMemoryMemberships:
    fake = InMemoryMemberships()
    fake.add("ou-1", "alice")
    fake.add("ou-2", "alice")
    return fake


@pytest.fixture
def evidence() -> InMemoryEvidence:
    fake = InMemoryEvidence()
    fake.add(OuData("ou-1").integration())
    fake.add(OuData("ou-2").complete())
    return fake


class SettingsStub:
    retry_after_seconds = 7


@pytest.fixture(autouse=True)
def wired(
    monkeypatch: pytest.MonkeyPatch, memberships: InMemoryMemberships, evidence: InMemoryEvidence
) -> None:
    """The real handler and domain, with in-memory ports instead of DynamoDB."""
    service = OnboardingStatusService(memberships, ChecklistEvaluator(evidence))
    monkeypatch.setattr(composition, "status_service", lambda: service)
    monkeypatch.setattr(composition, "app_settings", SettingsStub)


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return lambda_handler(event, LambdaContextStub())


def completed_of(response: dict[str, Any]) -> list[bool]:
    return [step["completed"] for step in body_of(response)["steps"]]


def assert_error(response: dict[str, Any], status: int, code: str) -> None:
    assert response["statusCode"] == status
    body = body_of(response)
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    assert header(response, "Content-Type") == "application/json"


# --- identity from each authorizer shape -------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        http_api_event(authorizer=lambda_authorizer("alice", "ou-2")),
        http_api_event(authorizer=jwt_authorizer("alice", ou_id="ou-2")),
        http_api_event(authorizer=jwt_authorizer("alice", **{"custom:ou_id": "ou-2"})),
        http_api_event(authorizer=lambda_authorizer("alice"), cookies=["activeOu=ou-2"]),
        http_api_event(authorizer=jwt_authorizer("alice"), cookies=["a=b", "activeOu=ou-2"]),
        rest_event(authorizer=rest_authorizer("alice", "ou-2")),
        rest_event(authorizer=rest_authorizer("alice"), cookie_header="x=1; activeOu=ou-2"),
    ],
    ids=["lambda", "jwt", "jwt-custom", "cookie-v2", "jwt-cookie", "rest", "rest-cookie"],
)
def test_every_accepted_identity_shape_reaches_the_ou(event: dict[str, Any]) -> None:
    response = invoke(event)
    assert response["statusCode"] == 200
    assert completed_of(response) == [True, True, True]


def test_the_authorizers_ou_wins_over_the_cookie() -> None:
    event = http_api_event(authorizer=lambda_authorizer("alice", "ou-1"), cookies=["activeOu=ou-2"])
    assert completed_of(invoke(event)) == [True, False, False]


def test_an_empty_authorizer_ou_falls_back_to_the_cookie() -> None:
    event = http_api_event(authorizer=lambda_authorizer("alice", ""), cookies=["activeOu=ou-2"])
    assert completed_of(invoke(event)) == [True, True, True]


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_ou_id_claim_falls_back_to_custom_ou_id_before_the_cookie(
    empty: str | None,
) -> None:
    """A token pinned to ou-1 by custom:ou_id stays on ou-1 whatever the cookie says."""
    claims = {"ou_id": empty, "custom:ou_id": "ou-1"}
    event = http_api_event(authorizer=jwt_authorizer("alice", **claims), cookies=["activeOu=ou-2"])
    assert completed_of(invoke(event)) == [True, False, False]


@pytest.mark.parametrize("empty", ["", None])
def test_empty_jwt_ou_claims_fall_back_to_the_cookie(empty: str | None) -> None:
    claims = {"ou_id": empty, "custom:ou_id": empty}
    event = http_api_event(authorizer=jwt_authorizer("alice", **claims), cookies=["activeOu=ou-2"])
    assert completed_of(invoke(event)) == [True, True, True]


@pytest.mark.parametrize("ou_claim", [7, "ou 1", ["ou-1"]])
def test_a_malformed_ou_id_claim_is_403_and_never_falls_back(ou_claim: object) -> None:
    claims = {"ou_id": ou_claim, "custom:ou_id": "ou-1"}
    event = http_api_event(authorizer=jwt_authorizer("alice", **claims), cookies=["activeOu=ou-2"])
    assert_error(invoke(event), 403, "forbidden")


@pytest.mark.parametrize(
    "build",
    [
        lambda cookie: http_api_event(
            authorizer={"lambda": {"principal_id": "alice", "custom:ou_id": "ou-1"}},
            cookies=[cookie] if cookie else None,
        ),
        lambda cookie: rest_event(
            authorizer={"principalId": "alice", "custom:ou_id": "ou-1"}, cookie_header=cookie
        ),
    ],
    ids=["lambda", "rest"],
)
def test_authorizer_contexts_other_than_jwt_ignore_custom_ou_id(build: Any) -> None:
    """custom: is Cognito's prefix for a token's attributes: a Lambda authorizer's context
    names the OU ou_id, and anything else in it names nothing."""
    assert_error(invoke(build(None)), 403, "forbidden")
    assert completed_of(invoke(build("activeOu=ou-2"))) == [True, True, True]


@pytest.mark.parametrize(("first", "second"), [("ou-1", "ou-2"), ("ou-2", "ou-1")])
def test_of_two_active_ou_cookies_the_first_wins(first: str, second: str) -> None:
    """Browsers send the cookie of the more specific path first (RFC 6265, 5.4)."""
    expected = invoke(http_api_event(authorizer=lambda_authorizer("alice", first)))["body"]
    events = {
        "payload 2.0 cookies list": http_api_event(
            authorizer=lambda_authorizer("alice"),
            cookies=["theme=dark", f"activeOu={first}", f"activeOu={second}"],
        ),
        "payload 1.0 Cookie header": rest_event(
            authorizer=rest_authorizer("alice"),
            cookie_header=f"theme=dark; activeOu={first}; activeOu={second}",
        ),
    }
    for shape, event in events.items():
        assert invoke(event)["body"] == expected, shape


@pytest.mark.parametrize(
    "event",
    [
        http_api_event(
            authorizer=lambda_authorizer("alice"),
            query="ou_id=ou-2",
            headers={"x-ou-id": "ou-2", "ou_id": "ou-2", "activeou": "ou-2"},
        ),
        rest_event(authorizer=rest_authorizer("alice")),
    ],
)
def test_the_ou_is_never_taken_from_query_or_ordinary_headers(event: dict[str, Any]) -> None:
    assert_error(invoke(event), 403, "forbidden")


@pytest.mark.parametrize(
    "event",
    [
        http_api_event(),
        http_api_event(authorizer={}),
        http_api_event(authorizer={"lambda": {}}),
        http_api_event(authorizer={"lambda": None}),
        http_api_event(authorizer=jwt_authorizer(sub=None, ou_id="ou-1")),
        http_api_event(authorizer=lambda_authorizer("x" * 129, "ou-1")),
        http_api_event(authorizer=lambda_authorizer("al ice", "ou-1")),
        http_api_event(authorizer=lambda_authorizer(12, "ou-1")),
        rest_event(),
        rest_event(authorizer={"ou_id": "ou-1"}),
    ],
)
def test_no_valid_principal_is_401(event: dict[str, Any]) -> None:
    assert_error(invoke(event), 401, "unauthorized")


@pytest.mark.parametrize(
    "event",
    [
        http_api_event(authorizer=lambda_authorizer("alice", "ou-3")),  # not a member
        http_api_event(authorizer=lambda_authorizer("alice", "../ou-1")),  # malformed
        http_api_event(authorizer=lambda_authorizer("alice", "x" * 129)),
        http_api_event(authorizer=lambda_authorizer("alice"), cookies=["activeOu=:ou"]),
        http_api_event(authorizer=lambda_authorizer("bob", "ou-1")),
        http_api_event(authorizer=lambda_authorizer("alice")),  # no active OU at all
    ],
)
def test_no_accessible_ou_is_403(event: dict[str, Any]) -> None:
    assert_error(invoke(event), 403, "forbidden")


def test_403_says_the_same_whether_or_not_the_ou_exists(memberships: InMemoryMemberships) -> None:
    existing = invoke(http_api_event(authorizer=lambda_authorizer("bob", "ou-1")))
    missing = invoke(http_api_event(authorizer=lambda_authorizer("bob", "ou-nope")))
    assert existing["body"] == missing["body"]
    assert existing["headers"] == missing["headers"]


# --- both paths, both payload formats -----------------------------------------------------


@pytest.mark.parametrize(
    "authorizer",
    [lambda_authorizer("alice", "ou-1"), lambda_authorizer("bob", "ou-1"), None],
)
def test_both_paths_answer_identically(authorizer: dict[str, Any] | None) -> None:
    main = invoke(http_api_event(authorizer=authorizer))
    alias = invoke(http_api_event(path=ALIAS_PATH, authorizer=authorizer))
    assert main == alias


def test_rest_and_http_api_answer_with_the_same_body() -> None:
    http = invoke(http_api_event(authorizer=lambda_authorizer("alice", "ou-1")))
    rest = invoke(rest_event(authorizer=rest_authorizer("alice", "ou-1")))
    assert rest["statusCode"] == http["statusCode"] == 200
    assert body_of(rest) == body_of(http)
    assert header(rest, "Content-Type") == "application/json"


def test_a_named_stage_is_stripped_from_the_path() -> None:
    event = http_api_event(stage="prod", authorizer=lambda_authorizer("alice", "ou-1"))
    assert invoke(event)["statusCode"] == 200


def test_success_is_private_to_the_caller() -> None:
    response = invoke(http_api_event(authorizer=lambda_authorizer("alice", "ou-1")))
    assert header(response, "Cache-Control") == "private, no-cache"
    assert "Authorization" in (header(response, "Vary") or "")
    assert "Cookie" in (header(response, "Vary") or "")


# --- routing errors ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@pytest.mark.parametrize("path", ["/onboarding/status", ALIAS_PATH])
def test_other_methods_are_405_with_allow(method: str, path: str) -> None:
    response = invoke(http_api_event(method=method, path=path, authorizer=lambda_authorizer()))
    assert_error(response, 405, "method_not_allowed")
    assert header(response, "Allow") == "GET"


@pytest.mark.parametrize("path", ["/", "/onboarding", "/onboarding/statuses", "/other"])
def test_unknown_paths_are_404(path: str) -> None:
    assert_error(
        invoke(http_api_event(path=path, authorizer=lambda_authorizer())), 404, "not_found"
    )


def test_rest_unknown_path_is_404() -> None:
    assert_error(invoke(rest_event(path="/nope", authorizer=rest_authorizer())), 404, "not_found")


# --- failures ---------------------------------------------------------------------------


def test_an_unavailable_store_is_503_with_retry_after(evidence: InMemoryEvidence) -> None:
    evidence.failures[EvidenceSource.ENGAGEMENT_LEVELS] = DependencyUnavailable(
        "ProvisionedThroughputExceededException: secret AWS text"
    )
    response = invoke(http_api_event(authorizer=lambda_authorizer("alice", "ou-1")))
    assert_error(response, 503, "service_unavailable")
    assert header(response, "Retry-After") == "7"
    assert "ProvisionedThroughput" not in response["body"]


@pytest.mark.parametrize(
    "error",
    [DependencyMisconfigured("ResourceNotFoundException"), ConfigurationError("MEMBERSHIPS_TABLE")],
)
def test_misconfiguration_is_500_without_details(
    evidence: InMemoryEvidence, error: Exception
) -> None:
    evidence.failures[EvidenceSource.INTEGRATIONS] = error
    response = invoke(http_api_event(authorizer=lambda_authorizer("alice", "ou-1")))
    assert_error(response, 500, "internal_error")
    assert str(error) not in response["body"]


def test_a_check_past_its_read_limit_is_500_without_retry_after(
    evidence: InMemoryEvidence,
) -> None:
    """The OU's own data is the cause, so retrying cannot help and nothing invites it."""
    evidence.failures[EvidenceSource.INTEGRATIONS] = EvidenceReadLimitExceeded(
        "integrations Query read 20000 items of OU ou-1 without finding evidence"
    )
    response = invoke(http_api_event(authorizer=lambda_authorizer("alice", "ou-1")))
    assert_error(response, 500, "internal_error")
    assert header(response, "Retry-After") is None
    assert "20000" not in response["body"]
    assert "ou-1" not in response["body"]


def test_an_unexpected_error_is_500_without_a_stack_trace(evidence: InMemoryEvidence) -> None:
    evidence.failures[EvidenceSource.INTEGRATIONS] = KeyError("boom")
    response = invoke(http_api_event(authorizer=lambda_authorizer("alice", "ou-1")))
    assert_error(response, 500, "internal_error")
    assert "Traceback" not in response["body"]
    assert "boom" not in response["body"]


# --- observability -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorizer", "status"),
    [(lambda_authorizer("alice", "ou-1"), "200"), (lambda_authorizer("bob", "ou-1"), "403")],
)
def test_each_request_is_counted_by_outcome(
    capsys: pytest.CaptureFixture[str], authorizer: dict[str, Any], status: str
) -> None:
    invoke(http_api_event(authorizer=authorizer))
    # Only the request counter: a 200 also counts its incomplete steps, on lines of their own.
    emf = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"Requests"' in line
    ]
    assert len(emf) == 1
    assert emf[0]["status_code"] == status
    assert emf[0]["Requests"] == [1.0]
    assert ["status_code", "service"] in emf[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]


def test_logs_carry_the_api_gateway_request_id_as_correlation_id() -> None:
    event = http_api_event(authorizer=lambda_authorizer("alice", "ou-1"))
    event["requestContext"]["requestId"] = "corr-123"
    invoke(event)
    assert status_api.logger.get_correlation_id() == "corr-123"
