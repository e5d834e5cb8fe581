"""dynalite, a second DynamoDB-compatible server (Node.js, in memory), as a subprocess on
127.0.0.1. ``make dynalite`` installs it under .tools/ from the committed lock file.

moto is lenient where DynamoDB is strict; dynalite is strict in other places. Running the
integration suite against both catches what either alone would let through.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Final, Self

from local.background import BackgroundService
from local.cfn_template import PROJECT_ROOT

LOOPBACK: Final = "127.0.0.1"
CLI: Final = PROJECT_ROOT / ".tools" / "node_modules" / "dynalite" / "cli.js"
STARTUP_SECONDS: Final = 20.0


class DynaliteMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class DynaliteServer(BackgroundService):
    """One dynalite process. ``port`` stays the same across stop() and start(), so a server can
    disappear and come back where its clients expect it; with a ``data_dir`` (LevelDB) its
    tables and items come back too, otherwise it keeps them in memory."""

    def __init__(self, port: int = 0, data_dir: Path | None = None) -> None:
        node = shutil.which("node")
        if node is None or not CLI.is_file():
            raise DynaliteMissing(f"dynalite is not installed ({CLI}): run `make dynalite`")
        self.port = port or free_port()
        self._command = [
            node,
            str(CLI),
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            # Tables are ACTIVE at once, as the tests create and delete them constantly.
            "--createTableMs",
            "0",
            "--deleteTableMs",
            "0",
            "--updateTableMs",
            "0",
        ]
        if data_dir is not None:
            self._command += ["--path", str(data_dir)]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        self._process = subprocess.Popen(
            self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._accepts_connections():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dynalite did not start on {self.url}")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        """Gone at once, without a goodbye: what a crashed server looks like to its clients."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None

    def _accepts_connections(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                return True
        except OSError:
            return False
