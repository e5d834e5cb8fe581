"""A stand-in for the Lambda runtime's snapshot_restore_py (PyPI snapshot-restore-py 1.0.0,
which Lambda's Python runtimes include), with its API: two registries of (function, args,
kwargs) and their getters, which the runtime reads. On PYTHONPATH only in the process of
tests/snapstart_lifecycle.py, which runs the hooks as the runtime does."""

from collections.abc import Callable
from typing import Any

Hook = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
_before_snapshot_registry: list[Hook] = []
_after_restore_registry: list[Hook] = []


def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _before_snapshot_registry.append((func, args, kwargs))
    return func


def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _after_restore_registry.append((func, args, kwargs))
    return func


def get_before_snapshot() -> list[Hook]:
    return _before_snapshot_registry


def get_after_restore() -> list[Hook]:
    return _after_restore_registry
