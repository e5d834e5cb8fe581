"""A CheckRunner that runs a request's independent reads concurrently on a shared pool.

The pool is created once per execution environment. Lambda hands an environment one event at a
time, so a pool as wide as one request's checks never queues work behind another request.
"""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

from domain.errors import StoreUnavailable


class ThreadPoolCheckRunner:
    def __init__(self, max_workers: int, deadline_seconds: float) -> None:
        self._max_workers = max_workers
        self._deadline_seconds = deadline_seconds
        self._pool = self._new_pool()

    def run_all(self, checks: Sequence[Callable[[], bool]]) -> list[bool]:
        futures = [self._pool.submit(check) for check in checks]
        done, pending = wait(futures, timeout=self._deadline_seconds, return_when=FIRST_EXCEPTION)
        if pending:
            self._abandon(pending)
        failure = next((f.exception() for f in futures if f in done and f.exception()), None)
        if failure is not None:
            raise failure
        if pending:
            raise StoreUnavailable(f"checks did not finish within {self._deadline_seconds}s")
        return [future.result() for future in futures]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _abandon(self, pending: Iterable["Future[bool]"]) -> None:
        """Give up on checks still in flight. Queued ones never start; running ones end within
        the SDK's own timeouts, but on the old pool, so the next request's reads never wait
        behind them."""
        for future in pending:
            future.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def _new_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="check")
