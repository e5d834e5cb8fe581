"""The thread-pool check runner: results in order, failures propagate, a deadline holds."""

import threading

import pytest

from adapters.concurrency import ThreadPoolCheckRunner
from domain.errors import StoreUnavailable


@pytest.fixture
def runner():  # type: ignore[no-untyped-def]
    pool = ThreadPoolCheckRunner(max_workers=4, deadline_seconds=2.0)
    yield pool
    pool.shutdown()


def test_results_come_back_in_the_order_of_the_checks(runner: ThreadPoolCheckRunner) -> None:
    assert runner.run_all([lambda: True, lambda: False, lambda: True]) == [True, False, True]


def test_checks_run_concurrently(runner: ThreadPoolCheckRunner) -> None:
    barrier = threading.Barrier(4, timeout=1.0)

    def meet() -> bool:
        barrier.wait()  # raises BrokenBarrierError unless all four run at once
        return True

    assert runner.run_all([meet] * 4) == [True] * 4


def test_one_failing_check_fails_the_whole_run(runner: ThreadPoolCheckRunner) -> None:
    def fail() -> bool:
        raise StoreUnavailable("throttled")

    with pytest.raises(StoreUnavailable, match="throttled"):
        runner.run_all([lambda: True, fail, lambda: True])


def test_a_check_past_the_deadline_fails_the_run() -> None:
    release = threading.Event()
    runner = ThreadPoolCheckRunner(max_workers=2, deadline_seconds=0.05)
    try:
        with pytest.raises(StoreUnavailable, match="did not finish"):
            runner.run_all([lambda: True, lambda: release.wait(5)])
    finally:
        release.set()
        runner.shutdown()


def test_reads_left_in_flight_never_hold_up_the_next_request() -> None:
    release = threading.Event()
    runner = ThreadPoolCheckRunner(max_workers=4, deadline_seconds=0.05)
    try:
        with pytest.raises(StoreUnavailable):
            runner.run_all([lambda: release.wait(5)] * 4)  # all four workers stuck
        barrier = threading.Barrier(4, timeout=1.0)

        def meet() -> bool:
            barrier.wait()
            return True

        runner._deadline_seconds = 2.0
        assert runner.run_all([meet] * 4) == [True] * 4
    finally:
        release.set()
        runner.shutdown()


def test_after_a_failure_the_next_request_gets_every_worker() -> None:
    release = threading.Event()
    runner = ThreadPoolCheckRunner(max_workers=2, deadline_seconds=2.0)

    def fail() -> bool:
        raise StoreUnavailable("throttled")

    try:
        with pytest.raises(StoreUnavailable, match="throttled"):
            runner.run_all([fail, lambda: release.wait(5)])
        barrier = threading.Barrier(2, timeout=1.0)
        assert runner.run_all([lambda: barrier.wait() >= 0] * 2) == [True, True]
    finally:
        release.set()
        runner.shutdown()


def test_the_pool_is_reused_and_never_grows_past_its_size(runner: ThreadPoolCheckRunner) -> None:
    for _ in range(50):
        runner.run_all([lambda: True] * 4)
    workers = [t for t in threading.enumerate() if t.name.startswith("check")]
    assert 1 <= len(workers) <= 4
