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
    # Only this runner's threads: runners other tests wired in may still be alive.
    before = check_threads()
    for _ in range(50):
        runner.run_all([lambda: True] * 4)
    workers = check_threads() - before
    assert 1 <= len(workers) <= 4


def check_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("check")}


def assert_all_end(threads: set[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=2.0)
    assert not [thread.name for thread in threads if thread.is_alive()]


def test_results_keep_the_order_of_the_checks_whatever_order_they_finish_in(
    runner: ThreadPoolCheckRunner,
) -> None:
    second_done = threading.Event()

    def first() -> bool:
        assert second_done.wait(1.0)  # finishes last
        return False

    def second() -> bool:
        second_done.set()
        return True

    assert runner.run_all([first, second]) == [False, True]


@pytest.mark.parametrize("failure", ["error", "deadline"])
def test_a_failed_run_leaves_no_thread_or_check_behind(failure: str) -> None:
    """A run that fails on an error or at its deadline, with a check still in flight: once
    that check returns, no thread of the runner outlives its shutdown. At the deadline every
    worker is busy, so the check still queued never starts."""
    before = check_threads()
    release = threading.Event()
    queued_started = threading.Event()
    runner = ThreadPoolCheckRunner(max_workers=2, deadline_seconds=0.2)

    def fail() -> bool:
        if failure == "error":
            raise StoreUnavailable("throttled")
        return release.wait(5)

    def queued() -> bool:
        queued_started.set()
        return True

    with pytest.raises(StoreUnavailable):
        runner.run_all([fail, lambda: release.wait(5), queued])
    spawned = check_threads() - before
    release.set()
    runner.shutdown()
    assert_all_end(spawned | (check_threads() - before))
    if failure == "deadline":
        assert not queued_started.is_set()
