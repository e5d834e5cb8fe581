"""A CheckRunner that runs a request's independent reads concurrently on a shared pool.

The pool is created once per execution environment, on first use. Lambda hands an environment
one event at a time, so a pool as wide as one request's reads never queues work behind another
request. One deadline bounds the whole run: the first looks, then any reading on.
"""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from time import monotonic
from typing import Any, TypeVar

from domain.errors import DependencyUnavailable
from domain.ports import FirstLook

ResultT = TypeVar("ResultT")


class ThreadPoolCheckRunner:
    def __init__(self, max_workers: int, deadline_seconds: float) -> None:
        self._max_workers = max_workers
        self._deadline_seconds = deadline_seconds
        self._pool = self._new_pool()

    def run(self, first_looks: Sequence[Callable[[], FirstLook]]) -> list[bool]:
        deadline = monotonic() + self._deadline_seconds
        return self._finish(self._submit(first_looks), deadline)

    def run_gated(
        self, gate: Callable[[], bool], first_looks: Sequence[Callable[[], FirstLook]]
    ) -> list[bool] | None:
        deadline = monotonic() + self._deadline_seconds
        allowed = self._pool.submit(gate)
        looks = self._submit(first_looks)
        if not self._results([allowed], deadline, also_abandon=looks)[0]:
            # Whatever the first looks return, raise or however long they take, a refused
            # caller neither waits for nor learns it: they finish on an abandoned pool.
            self._abandon(looks)
            return None
        return self._finish(looks, deadline)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def end_threads(self) -> None:
        """Wait for the pool's threads to end; the next run starts new ones (a SnapStart
        snapshot must hold no thread)."""
        self._pool.shutdown(wait=True)
        self._pool = self._new_pool()

    def _submit(self, first_looks: Sequence[Callable[[], FirstLook]]) -> list[Future[FirstLook]]:
        return [self._pool.submit(first_look) for first_look in first_looks]

    def _finish(self, looks: list[Future[FirstLook]], deadline: float) -> list[bool]:
        """Each step's outcome: its first look's when that decided, else its reading on."""
        first = self._results(looks, deadline)
        reading_on = [self._pool.submit(look.outcome) for look in first if not look.decided]
        read_on = iter(self._results(reading_on, deadline))
        return [look.found if look.decided else next(read_on) for look in first]

    def _results(
        self,
        futures: list[Future[ResultT]],
        deadline: float,
        also_abandon: Iterable[Future[Any]] = (),
    ) -> list[ResultT]:
        """Every future's result in order; or the first failure; or DependencyUnavailable once
        the deadline has passed. On failure, everything still running is abandoned."""
        done, pending = wait(futures, max(0.0, deadline - monotonic()), FIRST_EXCEPTION)
        failed = next((f for f in futures if f in done and f.exception() is not None), None)
        if failed is None and not pending:
            return [future.result() for future in futures]
        self._abandon([*futures, *also_abandon])
        error = None if failed is None else failed.exception()
        if error is not None:
            raise error
        raise DependencyUnavailable(f"checks did not finish within {self._deadline_seconds}s")

    def _abandon(self, futures: Iterable[Future[Any]]) -> None:
        """Give up on reads still in flight. Queued ones never start; running ones end within
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
