"""The sample events in events/ (for ``sam local invoke -e`` and ``python -m local.invoke``)
against the function and the seeded local stack: each gets the status events/expected.json
promises, and the ou-partial ones exactly the documented example body."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.lambda_runtime import LambdaHandler, new_context
from tests.factories import body_of
from tests.seeded_local_stack import seeded_local_stack

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
EVENTS = REPO_ROOT / "events"
EXPECTED = json.loads((EVENTS / "expected.json").read_text(encoding="utf-8"))
# Every JSON file but expected.json is a sample event.
EVENT_FILES = sorted(path.name for path in EVENTS.glob("*.json") if path.name != "expected.json")
DOCUMENTED_EXAMPLE = json.loads(
    (REPO_ROOT / "tests" / "data" / "documented_example.json").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def handler() -> Iterator[LambdaHandler]:
    with seeded_local_stack() as seeded_handler:
        yield seeded_handler


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def test_expected_json_covers_exactly_the_sample_files() -> None:
    assert EVENT_FILES
    assert sorted(EXPECTED) == EVENT_FILES


@pytest.mark.parametrize("name", EVENT_FILES)
def test_the_file_name_tells_the_expected_status(name: str) -> None:
    assert name.endswith(f".{EXPECTED[name]['status']}.json")


@pytest.mark.parametrize("name", EVENT_FILES)
def test_sample_event_gets_its_expected_answer(handler: LambdaHandler, name: str) -> None:
    expected = EXPECTED[name]
    response = handler(load_event(name), new_context())
    assert response["statusCode"] == expected["status"], response
    if expected.get("documented_example"):
        assert body_of(response) == DOCUMENTED_EXAMPLE
    if "code" in expected:
        assert body_of(response)["code"] == expected["code"]
