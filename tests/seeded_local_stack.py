"""The seeded local stack (local.stack.local_stack) for a test module, without leaking into
other modules: local_stack() points this process's environment at its own server, and the
handler's composition reads that environment once and caches what it built."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import composition
from local.lambda_runtime import LambdaHandler, load_handler
from local.stack import local_stack


@contextmanager
def seeded_local_stack() -> Iterator[LambdaHandler]:
    """Yield the function's handler, wired to a fresh embedded store seeded with the demo data."""
    with restored_environment(), local_stack():
        forget_settings()
        yield load_handler()


@contextmanager
def restored_environment() -> Iterator[None]:
    """On the way out, put os.environ back as it was and drop the settings and clients the
    handler cached from it, so the next module's environment is the one that counts."""
    saved_environment = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_environment)
        forget_settings()


def forget_settings() -> None:
    composition.status_service.cache_clear()
    composition.app_settings.cache_clear()
    composition.provisioning_check.cache_clear()
    composition.read_only_checklist_evaluator.cache_clear()
    composition.fleet_sweep.cache_clear()
