"""``python -m tests.snapstart_lifecycle PRINCIPAL OU``: the status function's SnapStart
lifecycle as Lambda runs it: INIT (import the entry point), the before-snapshot hooks (in the
reverse order of registration), a restore (the after-restore hooks, in order), then the first
request, over HTTP. Prints one line per step, REPORT and JSON: what exists then (settings,
services made, open sockets, threads besides the main one) and which modules the step
imported. Run by tests/integration/test_snapstart.py, with PYTHONPATH holding
tests/lambda_runtime (the runtime's snapshot_restore_py)."""

import json
import os
import random
import sys
import threading
from importlib import import_module
from typing import Any

from tests.factories import LambdaContextStub, http_api_event, lambda_authorizer

REPORT = "SNAPSTART-REPORT "


def open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:  # the listing's own descriptor, closed since
            continue
    return count


def report(step: str, before: set[str], **extra: Any) -> set[str]:
    composition = import_module("composition")
    loaded = set(sys.modules)
    line = {
        "step": step,
        "settings_made": composition.app_settings.cache_info().currsize,
        "services_made": composition.status_service.cache_info().misses,
        "open_sockets": open_sockets(),
        "threads": threading.active_count() - 1,
        "imported": sorted(loaded - before),
        **extra,
    }
    print(REPORT + json.dumps(line), flush=True)
    return loaded


def restore(hooks: Any) -> list[float]:
    """The after-restore hooks, run twice from the snapshot's state of ``random``, as two
    copies restored from one snapshot would: the first number each then draws."""
    snapshot_state = random.getstate()
    drawn = []
    for _ in range(2):
        random.setstate(snapshot_state)
        for func, args, kwargs in hooks.get_after_restore():
            func(*args, **kwargs)
        drawn.append(random.random())
    return drawn


def main() -> None:
    principal_id, ou_id = sys.argv[1:3]
    event = http_api_event(authorizer=lambda_authorizer(principal_id, ou_id))
    loaded = set(sys.modules)
    api = import_module("handlers.status_api")  # INIT
    hooks = import_module("snapshot_restore_py")
    loaded = report("init", loaded)
    before_snapshot = hooks.get_before_snapshot()
    while before_snapshot:
        func, args, kwargs = before_snapshot.pop()
        func(*args, **kwargs)
        loaded = report(f"before snapshot: {func.__name__}", loaded)
    loaded = report("snapshot", loaded)
    loaded = report("restore", loaded, random=restore(hooks))
    status = api.lambda_handler(event, LambdaContextStub())["statusCode"]
    report("first request", loaded, status=status)


if __name__ == "__main__":
    main()
