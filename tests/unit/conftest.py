"""The fast tier (`make test-unit`): pure logic on in-memory fakes. A test here that starts a
process or opens a socket fails at once, so the tier stays fast; such a test belongs in
tests/integration or tests/e2e."""

import socket
import subprocess
from typing import Any, NoReturn

import pytest


def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise AssertionError("unit tests start no process and open no socket")


@pytest.fixture(autouse=True)
def no_processes_no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse)
    for method in ("bind", "connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, method, _refuse)
