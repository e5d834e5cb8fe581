"""A CheckRunner that runs a request's independent reads concurrently on a shared pool.

The pool is created once per execution environment, on first use. Lambda hands an environment
one event at a time, so a pool as wide as one request's checks never queues work behind
another request.

Each check reports its outcome on a queue of its request, which the request reads until every
check has answered, one has failed or the deadline has passed: handing out four checks and
collecting them costs about 40 µs this way, against about 110 µs with
``concurrent.futures.wait`` (its waiters and per-future locks), in a warm request of about 1 ms
of CPU (docs/benchmarks.md).
"""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, SimpleQueue
from time import monotonic

from domain.errors import StoreUnavailable

# (position of the check, its result, or the exception it raised)
Outcome = tuple[int, bool, Exception | None]


def _report(outcomes: "SimpleQueue[Outcome]", index: int, check: Callable[[], bool]) -> None:
    try:
        outcomes.put((index, check(), None))
    except Exception as error:  # noqa: BLE001 - handed to the request, which raises it
        outcomes.put((index, False, error))


class ThreadPoolCheckRunner:
    def __init__(self, max_workers: int, deadline_seconds: float) -> None:
        self._max_workers = max_workers
        self._deadline_seconds = deadline_seconds
        self._pool = self._new_pool()

    def run_all(self, checks: Sequence[Callable[[], bool]]) -> list[bool]:
        deadline = monotonic() + self._deadline_seconds
        outcomes: SimpleQueue[Outcome] = SimpleQueue()
        futures = [
            self._pool.submit(_report, outcomes, index, check) for index, check in enumerate(checks)
        ]
        try:
            return self._collect(outcomes, len(checks), deadline)
        except Exception:
            self._abandon(futures)
            raise

    def _collect(self, outcomes: "SimpleQueue[Outcome]", count: int, deadline: float) -> list[bool]:
        """Every check's result in order; or the first failure; or StoreUnavailable once the
        deadline has passed."""
        results = [False] * count
        for _ in range(count):
            try:
                index, result, error = outcomes.get(timeout=max(0.0, deadline - monotonic()))
            except Empty:
                raise StoreUnavailable(
                    f"checks did not finish within {self._deadline_seconds}s"
                ) from None
            if error is not None:
                raise error
            results[index] = result
        return results

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _abandon(self, futures: Iterable["Future[None]"]) -> None:
        """Give up on checks still in flight. Queued ones never start; running ones end within
        the SDK's own timeouts, but on the old pool, so the next request's reads never wait
        behind them."""
        pending = [future for future in futures if not future.done()]
        if not pending:
            return
        for future in pending:
            future.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def _new_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="check")
