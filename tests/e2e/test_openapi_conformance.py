"""Schemathesis against the local server (local.http_front in front of the function, the seeded
local stack behind it, on 127.0.0.1): requests generated from the project's OpenAPI description,
valid and invalid, each answer checked against it (no server error, documented status,
content type, headers and body schema). It must find nothing.

The description is docs/openapi.json; where it does not exist, the one Powertools generates
from the handler's routes."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from handlers import status_api
from local.http_front import LocalHttpFront
from tests.seeded_local_stack import seeded_local_stack

pytestmark = pytest.mark.e2e

OPENAPI_DOCUMENT: Final = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
# demo-user is an active member of ou-partial (local/demo_data.py); the generated cookies and
# headers decide which OU, if any, is asked about.
BEARER: Final = {"Authorization": "Bearer demo-user-token"}


def openapi_description() -> dict[str, Any]:
    if OPENAPI_DOCUMENT.is_file():
        document: dict[str, Any] = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
        return document
    return dict(json.loads(status_api.http_api.get_openapi_json_schema()))


@pytest.fixture(scope="module")
def front() -> Iterator[LocalHttpFront]:
    with seeded_local_stack() as handler, LocalHttpFront(handler, port=0) as running:
        yield running


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    """No proxy from the environment may stand between the test and 127.0.0.1."""
    with requests.Session() as direct:
        direct.trust_env = False
        yield direct


schema = schemathesis.openapi.from_dict(openapi_description())


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_local_server_answers_as_its_openapi_description_says(
    case: schemathesis.Case, front: LocalHttpFront, session: requests.Session
) -> None:
    case.call_and_validate(base_url=front.url, headers=BEARER, session=session)


def test_the_description_covers_both_paths() -> None:
    assert {"/onboarding/status", "/onboarding-status"} <= set(openapi_description()["paths"])
