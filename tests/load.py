"""``python -m tests.load``: a load test of the local server, on 127.0.0.1 only (``make load``).

The local server runs as a developer runs it (``python -m local.serve``, in a process of its
own: moto's server with the demo data, and the local HTTP front before the function). The load
test adds a few hundred OUs with random step data to its store, then concurrent clients send a
fixed number of requests across those OUs, on both paths, as a member of most of them and a
non-member of the rest, and check every answer: the right checklist for that OU, or the 403
body. The run stops by itself after the requests or at a time limit, whichever comes first.

It passes with zero errors, no more open file descriptors (sockets included) and at most
``THREAD_SLACK`` more threads in the server's process after the run than after its warm-up
(the function's check pool starts its threads as requests need them, and starts afresh when a
refused caller's reads are abandoned: a bounded number, never one per request): /proc/PID/task and
/proc/PID/fd, the server's own /proc/self. ``--write`` puts the results in a Markdown report.
Not part of ``make check``; tests/e2e/test_load_smoke.py runs a small one.
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from domain.checklist import CHECKLIST
from local.cfn_template import PROJECT_ROOT
from local.demo_data import DEMO_PRINCIPAL, OTHER_PRINCIPAL
from local.embedded_store import local_client, put_items
from local.serve_state import STATE_FILE_VARIABLE
from local.stack import local_table_names
from tests.dynalite import free_port
from tests.tenancy import CONNECTABLE_KINDS, Integration, Tenant, expected_steps

# demo-user-token is demo-user's token on the local front (local/demo_data.py).
LOAD_TOKEN: Final = "demo-user-token"
PATHS: Final = ("/onboarding/status", "/onboarding-status")
SAMPLE_EVERY: Final = 2_000
SETTLE_SECONDS: Final = 5.0
# The width of the function's check pool (composition: one worker per step, plus membership).
THREAD_SLACK: Final = len(CHECKLIST) + 1
STARTUP_SECONDS: Final = 120.0
API_URL: Final = re.compile(r"(http://127\.0\.0\.1:\d+)/onboarding/status")


@dataclass(frozen=True)
class Target:
    ou_id: str
    member: bool
    steps: tuple[bool, ...]


@dataclass
class Sample:
    completed: int
    threads: int
    open_fds: int


@dataclass
class LoadResult:
    requested: int
    clients: int
    ous: int
    completed: int = 0
    elapsed: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    before: Sample | None = None
    after: Sample | None = None
    timed_out: bool = False

    @property
    def rate(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0

    @property
    def growth(self) -> tuple[int, int]:
        assert self.before is not None
        assert self.after is not None
        return (
            self.after.threads - self.before.threads,
            self.after.open_fds - self.before.open_fds,
        )

    @property
    def passed(self) -> bool:
        threads, fds = self.growth
        complete = self.completed == self.requested and not self.timed_out
        return complete and not self.errors and threads <= THREAD_SLACK and fds <= 0


class LocalServer:
    """``python -m local.serve`` in a process of its own, on free ports of 127.0.0.1."""

    def __init__(self) -> None:
        self.store_url = f"http://127.0.0.1:{free_port()}"
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local.serve",
                "--port",
                "0",
                "--store-port",
                self.store_url.rsplit(":", 1)[1],
            ],
            cwd=PROJECT_ROOT,
            # A state file of its own: a developer's make serve may be running beside it.
            env={**os.environ, "PYTHONPATH": "src", STATE_FILE_VARIABLE: self._state_file()},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.url = self._read_url()
        # Its console (a line per request) must be read, or the pipe fills up.
        threading.Thread(target=self._drain, daemon=True).start()

    @staticmethod
    def _state_file() -> str:
        return str(Path(tempfile.gettempdir()) / f"load-serve-{os.getpid()}.json")

    def _read_url(self) -> str:
        assert self._process.stdout is not None
        guard = threading.Timer(STARTUP_SECONDS, self._process.kill)
        guard.start()
        try:
            for line in self._process.stdout:
                if found := API_URL.search(line):
                    return found.group(1)
        finally:
            guard.cancel()
        raise RuntimeError("local.serve ended before it printed its URL")

    def _drain(self) -> None:
        assert self._process.stdout is not None
        for _ in self._process.stdout:
            pass

    def sample(self, completed: int) -> Sample:
        pid = self._process.pid
        return Sample(
            completed,
            len(os.listdir(f"/proc/{pid}/task")),
            len(os.listdir(f"/proc/{pid}/fd")),
        )

    def stop(self) -> None:
        # SIGTERM rather than Ctrl-C's SIGINT, which a shell's background jobs ignore.
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=30)


def random_tenant(rng: random.Random) -> Tenant:
    origins = [None, None, None, "system_default", "template_gallery"]
    return Tenant(
        integrations=[
            Integration(
                kind=rng.choice([*sorted(CONNECTABLE_KINDS), "salesforce"]),
                status=rng.choice(["connected", "pending", "disconnected"]),
                origin=rng.choice(origins),
            )
            for _ in range(rng.randrange(4))
        ],
        rule_origins=[rng.choice(origins) for _ in range(rng.randrange(3))],
        level_origins=[rng.choice(origins) for _ in range(rng.randrange(3))],
    )


def seed_targets(endpoint: str, ous: int, rng: random.Random) -> list[Target]:
    """Write ``ous`` OUs with random data; demo-user belongs to three in four."""
    client = local_client(endpoint)
    tables = local_table_names()
    targets, memberships = [], []
    for number in range(ous):
        ou_id, tenant = f"load-ou-{number:04d}", random_tenant(rng)
        member = number % 4 != 3
        owner = DEMO_PRINCIPAL if member else OTHER_PRINCIPAL
        memberships.append({"ou_id": ou_id, "principal_id": owner})
        data = tenant.items(ou_id)
        put_items(client, tables["INTEGRATIONS_TABLE"], data.integrations)
        put_items(client, tables["SCORING_RULES_TABLE"], data.scoring_rules)
        put_items(client, tables["ENGAGEMENT_LEVELS_TABLE"], data.engagement_levels)
        targets.append(Target(ou_id, member, tuple(expected_steps(tenant))))
    put_items(client, tables["MEMBERSHIPS_TABLE"], memberships)
    return targets


def check_answer(target: Target, status: int, body: bytes) -> str | None:
    """None when the answer is the one this OU's data and membership call for."""
    expected_status = 200 if target.member else 403
    if status != expected_status:
        return f"{target.ou_id}: {status}, expected {expected_status}"
    parsed = json.loads(body)
    if target.member:
        completed = tuple(step["completed"] for step in parsed["steps"])
        if completed != target.steps:
            return f"{target.ou_id}: steps {completed}, expected {target.steps}"
    elif parsed.get("code") != "forbidden":
        return f"{target.ou_id}: 403 body {parsed}"
    return None


class Driver:
    """Hands out request numbers until the count or the deadline is reached."""

    def __init__(
        self, server: "LocalServer", targets: list[Target], result: LoadResult, deadline: float
    ) -> None:
        self._server = server
        host_port = server.url.removeprefix("http://")
        self._host, port = host_port.split(":")
        self._port = int(port)
        self._targets = targets
        self._result = result
        self._deadline = deadline
        self._lock = threading.Lock()
        self._issued = 0

    def _next(self) -> int | None:
        with self._lock:
            if self._issued >= self._result.requested:
                return None
            if time.monotonic() > self._deadline:
                self._result.timed_out = True
                return None
            self._issued += 1
            return self._issued

    def warm_up(self, requests: int) -> None:
        """Requests before the measured run: the function's pools and clients start on first
        use, and that is not growth."""
        for number in range(requests):
            target = self._targets[number % len(self._targets)]
            status, body = self._get(PATHS[number % 2], target.ou_id)
            problem = check_answer(target, status, body)
            if problem is not None:
                raise RuntimeError(f"warm-up failed: {problem}")

    def client(self) -> None:
        while (number := self._next()) is not None:
            target = self._targets[number % len(self._targets)]
            started = time.perf_counter()
            try:
                status, body = self._get(PATHS[number % 2], target.ou_id)
                problem = check_answer(target, status, body)
            except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
                status, problem = 0, f"{target.ou_id}: {type(error).__name__}: {error}"
            self._record(status, problem, time.perf_counter() - started)

    def _get(self, path: str, ou_id: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            connection.request(
                "GET",
                path,
                headers={
                    "Authorization": f"Bearer {LOAD_TOKEN}",
                    "Cookie": f"activeOu={ou_id}",
                    "Accept": "application/json",
                },
            )
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _record(self, status: int, problem: str | None, latency: float) -> None:
        with self._lock:
            result = self._result
            result.completed += 1
            result.statuses[status] += 1
            result.latencies.append(latency)
            if problem is not None and len(result.errors) < 100:
                result.errors.append(problem)
            if result.completed % SAMPLE_EVERY == 0:
                result.samples.append(self._server.sample(result.completed))


def run_load(
    requests: int = 20_000,
    clients: int = 32,
    ous: int = 400,
    time_limit: float = 1200.0,
    seed: int = 7,
) -> LoadResult:
    result = LoadResult(requested=requests, clients=clients, ous=ous)
    server = LocalServer()
    try:
        targets = seed_targets(server.store_url, ous, random.Random(seed))
        driver = Driver(server, targets, result, time.monotonic() + time_limit)
        driver.warm_up(clients)
        result.before = server.sample(0)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients, thread_name_prefix="load") as pool:
            for future in [pool.submit(driver.client) for _ in range(clients)]:
                future.result()
        result.elapsed = time.perf_counter() - started
        result.after = settled(server, result.before)
    finally:
        server.stop()
    return result


def settled(server: LocalServer, before: Sample) -> Sample:
    """Counts once the server's per-connection threads have wound down (bounded wait)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    now = server.sample(0)
    while (now.threads > before.threads + THREAD_SLACK or now.open_fds > before.open_fds) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
        now = server.sample(0)
    return now


def summary(result: LoadResult) -> str:
    threads, fds = result.growth
    return (
        f"{result.completed}/{result.requested} requests, {result.clients} clients, "
        f"{result.ous} OUs: {result.rate:.0f} req/s, p50 {result.percentile(0.5) * 1000:.1f} ms, "
        f"p99 {result.percentile(0.99) * 1000:.1f} ms, "
        f"statuses {dict(sorted(result.statuses.items()))}, "
        f"errors {len(result.errors)}, thread growth {threads}, fd growth {fds}"
        f"{', TIMED OUT' if result.timed_out else ''}: {'PASS' if result.passed else 'FAIL'}"
    )


def markdown(result: LoadResult, command: str) -> str:
    threads, fds = result.growth
    assert result.before is not None
    assert result.after is not None
    lines = [
        "# Load test of the local server",
        "",
        f"`{command}` (`make load`; not part of `make check`). Generated by tests/load.py.",
        "",
        "What it does: `python -m local.serve` in a process of its own (moto's DynamoDB server",
        f"with the demo data, plus {result.ous} OUs with random step data; the local HTTP front on",
        f"127.0.0.1); {result.clients} concurrent clients in the test's process, each request on",
        "a new connection, alternating both paths. demo-user is a member of three OUs in four:",
        "each 200 is checked against that OU's own data, each 403 against the error body.",
        "Invocations take turns, as in one Lambda execution environment, so the rate is that of",
        "one warm function instance with its store on the same 2-core machine, not of the",
        "deployed service. Threads and open file descriptors (sockets included) are the server",
        "process's own (/proc/PID/task, /proc/PID/fd), after a warm-up and after the run.",
        "",
        "| Measure | Value |",
        "|---|---|",
        f"| Requests completed | {result.completed} of {result.requested} |",
        f"| Errors (wrong status or body, transport failures) | {len(result.errors)} |",
        f"| Statuses | {', '.join(f'{k}: {v}' for k, v in sorted(result.statuses.items()))} |",
        f"| Duration | {result.elapsed:.1f} s |",
        f"| Rate reached | {result.rate:.0f} requests/s |",
        f"| Latency p50 / p95 / p99 | {result.percentile(0.5) * 1000:.1f} / "
        f"{result.percentile(0.95) * 1000:.1f} / {result.percentile(0.99) * 1000:.1f} ms |",
        f"| Threads before / after | {result.before.threads} / {result.after.threads} "
        f"(growth {threads}) |",
        f"| Open file descriptors before / after | {result.before.open_fds} / "
        f"{result.after.open_fds} (growth {fds}) |",
        f"| Result | {'PASS' if result.passed else 'FAIL'} |",
        "",
        f"In the server's process during the run (every {SAMPLE_EVERY:,} requests; its",
        "per-connection threads included):",
        "",
        "| Requests done | Threads | Open fds |",
        "|---|---|---|",
        *(f"| {s.completed} | {s.threads} | {s.open_fds} |" for s in result.samples),
        "",
        "Reading the numbers: the rate is bounded by the one function instance, whose four",
        "reads go to moto's DynamoDB server, in Python, in the same process (about 35 ms a",
        "request for a single client on this machine). The latencies are mostly queueing: "
        f"{result.clients} clients",
        "wait their turn for it (clients / rate). It is a test of correctness and leaks under",
        "concurrency, not a measure of the deployed service (see docs/benchmarks.md for that).",
        "",
        f"Machine: {os.cpu_count()} cores, shared with other work (load average "
        f"{', '.join(f'{load:.2f}' for load in os.getloadavg())} at the end of the run); "
        f"Python {sys.version.split()[0]}.",
        "",
    ]
    if result.errors:
        lines += ["First errors:", "", *(f"- {error}" for error in result.errors[:20]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--ous", type=int, default=400)
    parser.add_argument("--time-limit", type=float, default=1200.0, help="seconds")
    parser.add_argument("--write", type=Path, help="write the Markdown report here")
    args = parser.parse_args(argv)
    result = run_load(args.requests, args.clients, args.ous, args.time_limit)
    print(summary(result))
    for error in result.errors[:20]:
        print(f"  {error}")
    if args.write is not None:
        command = "python -m tests.load" + (f" --write {args.write}" if args.write else "")
        args.write.write_text(markdown(result, command), encoding="utf-8")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
