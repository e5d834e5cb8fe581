"""Where the running ``make serve`` listens, so the other local tools use its store.

``make serve`` writes a small JSON file in the checkout (``.serve-state.json``, ignored by git)
once its store and API listen, and removes it when it stops. ``make complete-step``, ``python
-m local.check`` and ``make sweep`` call ``store_url``: an explicit URL (``STORE=``,
``--store``) wins; else the file's; else one line saying how to start ``make serve``. They
never start a store of their own. ``LOCAL_SERVE_STATE`` names another file (tests use it to run
servers side by side).
"""

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from local.cfn_template import PROJECT_ROOT

STATE_FILE_VARIABLE: Final = "LOCAL_SERVE_STATE"
DEFAULT_STATE_FILE: Final = PROJECT_ROOT / ".serve-state.json"
START_HINT: Final = "start it with `make serve` in another terminal, or pass STORE=<DynamoDB URL>"


class ServeNotRunning(SystemExit):
    """No ``make serve`` to talk to. Uncaught, Python prints the message and exits 1."""


class ServeAlreadyRunning(RuntimeError):
    """Another ``make serve`` of this checkout is running: one local store at a time."""


def state_file() -> Path:
    return Path(os.environ.get(STATE_FILE_VARIABLE) or DEFAULT_STATE_FILE)


def store_url(explicit: str | None = None) -> str:
    """The DynamoDB URL to use: ``explicit`` if given, else the running make serve's store."""
    if explicit:
        return explicit
    state = running_state()
    if state is None:
        raise ServeNotRunning(f"make serve is not running: {START_HINT}")
    return state["store"]


def running_state() -> dict[str, str] | None:
    """The running make serve's ``{"api": URL, "store": URL, "pid": ...}``, or None when the
    file is absent, unreadable or left behind by a server that no longer runs (killed)."""
    try:
        state = json.loads(state_file().read_text(encoding="utf-8"))
        alive = _is_alive(int(state["pid"]))
        return {"api": str(state["api"]), "store": str(state["store"])} if alive else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def recorded(api_url: str, store_url: str) -> Iterator[Path]:
    """Write the state file for as long as the with-block runs; refuse when a live make serve
    already owns it."""
    path = state_file()
    current = running_state()
    if current is not None:
        raise ServeAlreadyRunning(
            f"make serve is already running (API {current['api']}): stop it first"
        )
    state = {"api": api_url, "store": store_url, "pid": os.getpid()}
    path.write_text(json.dumps(state) + "\n", encoding="utf-8")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
