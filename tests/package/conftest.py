"""Package tier (`make test-package`, after `make build build-x86_64`): the built functions run
alone in a clean python3.13 against the embedded store over HTTP (tests/package/harness.py)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.event_bus import published_events
from local.stack import local_stack
from tests.package.harness import ARM64_BUILD, X86_64_BUILD


def _build(build_dir: Path, target: str) -> Path:
    if not (build_dir / "template.yaml").exists():
        message = f"no {build_dir.name} build: run make {target}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return build_dir


@pytest.fixture(scope="session")
def x86_64_build() -> Path:
    return _build(X86_64_BUILD, "build-x86_64")


@pytest.fixture(scope="session")
def arm64_build() -> Path:
    return _build(ARM64_BUILD, "build")


@pytest.fixture(scope="session")
def stack_endpoint() -> Iterator[str]:
    """moto's server with the stack's tables, the demo OUs and an observer on the event bus."""
    with local_stack() as endpoint:
        yield endpoint


@pytest.fixture
def endpoint(stack_endpoint: str, x86_64_build: Path) -> str:
    """The store, with the events earlier tests published drained from the observer."""
    published_events(stack_endpoint)
    return stack_endpoint
