"""The thread-pool check runner: results in order, failures propagate, a deadline holds, and
nothing past a first look is read, waited for or reported behind a closed gate."""

import threading
import time
from collections.abc import Callable

import pytest

from adapters.concurrency import ThreadPoolCheckRunner
from domain.errors import DependencyUnavailable
from domain.ports import FirstLook


def looks(*checks: Callable[[], bool]) -> list[Callable[[], FirstLook]]:
    """First looks that decide: each check's result is final."""
    return [lambda check=check: FirstLook(check()) for check in checks]  # type: ignore[misc]


@pytest.fixture
def runner():  # type: ignore[no-untyped-def]
    pool = ThreadPoolCheckRunner(max_workers=4, deadline_seconds=2.0)
    yield pool
    pool.shutdown()


def test_results_come_back_in_the_order_of_the_checks(runner: ThreadPoolCheckRunner) -> None:
    assert runner.run(looks(lambda: True, lambda: False, lambda: True)) == [True, False, True]


def test_checks_run_concurrently(runner: ThreadPoolCheckRunner) -> None:
    barrier = threading.Barrier(4, timeout=1.0)

    def meet() -> bool:
        barrier.wait()  # raises BrokenBarrierError unless all four run at once
        return True

    assert runner.run(looks(*[meet] * 4)) == [True] * 4


def test_one_failing_check_fails_the_whole_run(runner: ThreadPoolCheckRunner) -> None:
    def fail() -> bool:
        raise DependencyUnavailable("throttled")

    with pytest.raises(DependencyUnavailable, match="throttled"):
        runner.run(looks(lambda: True, fail, lambda: True))


def test_a_check_past_the_deadline_fails_the_run() -> None:
    release = threading.Event()
    runner = ThreadPoolCheckRunner(max_workers=2, deadline_seconds=0.05)
    try:
        with pytest.raises(DependencyUnavailable, match="did not finish"):
            runner.run(looks(lambda: True, lambda: release.wait(5)))
    finally:
        release.set()
        runner.shutdown()


def test_reads_left_in_flight_never_hold_up_the_next_request() -> None:
    release = threading.Event()
    runner = ThreadPoolCheckRunner(max_workers=4, deadline_seconds=0.05)
    try:
        with pytest.raises(DependencyUnavailable):
            runner.run(looks(*[lambda: release.wait(5)] * 4))  # all four workers stuck
        barrier = threading.Barrier(4, timeout=1.0)

        def meet() -> bool:
            barrier.wait()
            return True

        runner._deadline_seconds = 2.0
        assert runner.run(looks(*[meet] * 4)) == [True] * 4
    finally:
        release.set()
        runner.shutdown()


def test_after_a_failure_the_next_request_gets_every_worker() -> None:
    release = threading.Event()
    runner = ThreadPoolCheckRunner(max_workers=2, deadline_seconds=2.0)

    def fail() -> bool:
        raise DependencyUnavailable("throttled")

    try:
        with pytest.raises(DependencyUnavailable, match="throttled"):
            runner.run(looks(fail, lambda: release.wait(5)))
        barrier = threading.Barrier(2, timeout=1.0)
        assert runner.run(looks(*[lambda: barrier.wait() >= 0] * 2)) == [True, True]
    finally:
        release.set()
        runner.shutdown()


def test_the_pool_is_reused_and_never_grows_past_its_size(runner: ThreadPoolCheckRunner) -> None:
    # Only this runner's threads: runners other tests wired in may still be alive.
    before = check_threads()
    for _ in range(50):
        runner.run(looks(*[lambda: True] * 4))
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

    assert runner.run(looks(first, second)) == [False, True]


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
            raise DependencyUnavailable("throttled")
        return release.wait(5)

    def queued() -> bool:
        queued_started.set()
        return True

    with pytest.raises(DependencyUnavailable):
        runner.run(looks(fail, lambda: release.wait(5), queued))
    spawned = check_threads() - before
    release.set()
    runner.shutdown()
    assert_all_end(spawned | (check_threads() - before))
    if failure == "deadline":
        assert not queued_started.is_set()


def undecided(read_on: Callable[[], bool]) -> Callable[[], FirstLook]:
    return lambda: FirstLook(False, read_on)


def test_reading_on_happens_only_where_a_first_look_did_not_decide(
    runner: ThreadPoolCheckRunner,
) -> None:
    assert runner.run([undecided(lambda: True), *looks(lambda: False)]) == [True, False]
    assert runner.run_gated(lambda: True, [*looks(lambda: True), undecided(lambda: False)]) == [
        True,
        False,
    ]


def test_a_closed_gate_answers_at_once_whatever_the_first_looks_do(
    runner: ThreadPoolCheckRunner,
) -> None:
    release = threading.Event()
    read_on_called = threading.Event()

    def fail() -> FirstLook:
        raise DependencyUnavailable("the OU's table is throttled")

    def slow() -> FirstLook:
        release.wait(5)
        return FirstLook(False, lambda: read_on_called.set() or True)

    try:
        started = time.monotonic()
        assert (
            runner.run_gated(lambda: False, [fail, slow, undecided(read_on_called.is_set)]) is None
        )
        assert time.monotonic() - started < 1.0  # did not wait for the slow first look
    finally:
        release.set()
    time.sleep(0.05)
    assert not read_on_called.is_set()


def test_nothing_is_read_past_a_first_look_before_the_gate_opens(
    runner: ThreadPoolCheckRunner,
) -> None:
    gate_open = threading.Event()
    first_looked = threading.Event()
    read_on_before_gate: list[bool] = []

    def first_look() -> FirstLook:
        first_looked.set()
        return FirstLook(False, lambda: read_on_before_gate.append(not gate_open.is_set()) or True)

    def gate() -> bool:
        assert first_looked.wait(1.0)  # the first look ran while the gate was still deciding
        time.sleep(0.05)
        gate_open.set()
        return True

    assert runner.run_gated(gate, [first_look]) == [True]
    assert read_on_before_gate == [False]


def test_a_failing_gate_fails_the_run(runner: ThreadPoolCheckRunner) -> None:
    def gate() -> bool:
        raise DependencyUnavailable("memberships throttled")

    with pytest.raises(DependencyUnavailable, match="memberships"):
        runner.run_gated(gate, looks(lambda: True))


def test_one_deadline_bounds_first_looks_and_reading_on() -> None:
    release = threading.Event()
    runner = ThreadPoolCheckRunner(max_workers=2, deadline_seconds=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(DependencyUnavailable, match="did not finish"):
            runner.run([undecided(lambda: release.wait(5))])
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
        runner.shutdown()
