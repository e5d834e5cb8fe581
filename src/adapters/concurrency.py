"""A CheckRunner that runs a request's independent reads concurrently on a shared pool.

The pool is created once per execution environment. Lambda hands an environment one event at a
time, so a pool as wide as one request's checks never queues work behind another request.
"""

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from domain.errors import StoreUnavailable


class ThreadPoolCheckRunner:
    def __init__(self, max_workers: int, deadline_seconds: float) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="check")
        self._deadline_seconds = deadline_seconds

    def run_all(self, checks: Sequence[Callable[[], bool]]) -> list[bool]:
        futures = [self._pool.submit(check) for check in checks]
        done, pending = wait(futures, timeout=self._deadline_seconds, return_when=FIRST_EXCEPTION)
        for future in pending:
            # Not yet started ones never run; running ones end within the SDK's own timeouts.
            future.cancel()
        failure = next((f.exception() for f in futures if f in done and f.exception()), None)
        if failure is not None:
            raise failure
        if pending:
            raise StoreUnavailable(f"checks did not finish within {self._deadline_seconds}s")
        return [future.result() for future in futures]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
