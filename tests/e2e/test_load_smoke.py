"""A small run of the load test (tests/load.py, ``make load`` for the full one), so that the
command keeps working: the local server in its own process, concurrent clients across many
OUs, every answer checked, no descriptors and no unbounded threads left behind in the server."""

import pytest

from tests.load import THREAD_SLACK, run_load

pytestmark = pytest.mark.e2e


def test_a_small_load_run_gets_every_answer_right_and_leaks_nothing() -> None:
    result = run_load(requests=120, clients=8, ous=24, time_limit=300.0)
    assert result.errors == []
    assert result.completed == 120
    assert result.statuses.keys() == {200, 403}
    assert result.growth[0] <= THREAD_SLACK, result.growth
    assert result.growth[1] <= 0, result.growth
    assert result.passed
