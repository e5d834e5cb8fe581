"""Target 4: cold start as a user sees it: INIT plus the first answered request, against the
floor of any Python function reading DynamoDB (import boto3, make its client, one GetItem).

Each case is a whole fresh process (``python -c``) reading from the benchmark's store (moto's
server on 127.0.0.1, over HTTP), run interleaved with the others, ``repeats`` times; medians of
wall time and of CPU time, and each case's peak resident memory.

Cases run from src/ find their modules compiled, as in Lambda, whose runtime ships the
standard library and its SDK compiled and where ``make build`` compiles the package: the
bytecode is cached in a folder of its own (PYTHONPYCACHEPREFIX), written by one uncounted
warm-up run of each case. When the x86_64 twin is built, two more cases run the package itself
as Lambda does, writing no bytecode: as built, and without its bytecode.

Peak memory is the child's own high-water mark (VmHWM, what ru_maxrss reports for a process
that was not forked from a bigger one): a child forked from this process would otherwise count
the pages it shared with its parent before exec.
"""

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from bench.cold_request import EVENT_VARIABLE
from bench.events import PRINCIPAL, status_event
from bench.report import Table, median, ms, ratio, verdict
from bench.seed import LATENCY_OU
from bench.wiring import function_environment

TARGET_RATIO: Final = 1.3
MEMORY_LIMIT_MB: Final = 100
IMPORT_FLOOR: Final = "import boto3; boto3.client('dynamodb')"
FLOOR: Final = "floor: import boto3; boto3.client('dynamodb') + one GetItem"
INIT: Final = "INIT: import handlers.status_api"
FIRST_REQUEST: Final = "INIT + first request (this service)"
OTHER_CHECKOUT: Final = "INIT + first request ({})"
# The deployed package's x86_64 twin (`make build-x86_64`), which this machine can run: as
# built (compiled), and copied without its bytecode, as `sam build` alone leaves it.
PACKAGE: Final = Path(".aws-sam-x86_64/build/StatusFunction")
PACKAGED: Final = "INIT + first request, built package (`make build-x86_64`)"
UNCOMPILED: Final = "INIT + first request, built package without bytecode"
PACKAGE_REQUEST: Final = (
    "import json, os, sys\n"
    "sys.dont_write_bytecode = True  # Lambda's code directory is read-only\n"
    "sys.path.insert(0, {code_dir!r})\n"
    "from types import SimpleNamespace\n"
    "from handlers.status_api import lambda_handler\n"
    "context = SimpleNamespace(function_name='bench', memory_limit_in_mb=256,\n"
    "    invoked_function_arn='arn:aws:lambda:us-east-1:123456789012:function:bench',\n"
    "    aws_request_id='bench')\n"
    "response = lambda_handler(json.loads(os.environ['BENCH_EVENT']), context)\n"
    "sys.exit(0 if response['statusCode'] == 200 else 1)\n"
)
FIRST_REQUEST_CODE: Final = (
    "import runpy; runpy.run_module('bench.cold_request', run_name='__main__')"
)
CASES: Final = {
    "python -c pass": "pass",
    IMPORT_FLOOR: IMPORT_FLOOR,
    FLOOR: (
        "import os, boto3; boto3.client('dynamodb').get_item("
        "TableName=os.environ['MEMBERSHIPS_TABLE'], "
        f"Key={ {'ou_id': {'S': LATENCY_OU}, 'principal_id': {'S': PRINCIPAL}}!r}, "
        "ConsistentRead=True)"
    ),
    INIT: "import handlers.status_api",
    FIRST_REQUEST: FIRST_REQUEST_CODE,
    "minimal handler, first request": (
        "import runpy; runpy.run_module('bench.cold_minimal_request', run_name='__main__')"
    ),
}
PEAK: Final = "peak_kb="
REPORT_PEAK: Final = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('peak_kb=' + open('/proc/self/status').read()"
    ".split('VmHWM:')[1].split()[0], file=sys.stderr))\n"
)
BYTECODE_CACHE: Final = Path(tempfile.gettempdir()) / "onboarding-status-bench-bytecode"
TRACER: Final = "import handlers.status_api; from aws_lambda_powertools import Tracer; Tracer()"
TRACER_CASES: Final = {
    "INIT + Tracer(), tracing off": {"POWERTOOLS_TRACE_DISABLED": "true"},
    # Tracing is on only inside Lambda (LAMBDA_TASK_ROOT set): X-Ray SDK imported, boto patched.
    "INIT + Tracer(), tracing on": {"LAMBDA_TASK_ROOT": "/tmp"},  # noqa: S108 - never written
}


def child_environment(
    store: str, extra: dict[str, str] | None = None, source: Path = Path("src")
) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_ENDPOINT") and key != "PYTHONDONTWRITEBYTECODE"
    }
    environment.update(function_environment())
    environment["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    environment["AWS_ENDPOINT_URL_DYNAMODB"] = store
    environment[EVENT_VARIABLE] = json.dumps(status_event(LATENCY_OU))
    environment["PYTHONPATH"] = os.pathsep.join([str(source), "."])
    environment.update(extra or {})
    return environment


def run_once(code: str, environment: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak resident kilobytes of one fresh interpreter running
    ``code``. CPU time (user + system) reads through the other loads of a shared machine."""
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", REPORT_PEAK + code],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    cpu = _children_cpu_seconds() - cpu_before
    if result.returncode != 0:
        raise RuntimeError(f"{code!r} exited {result.returncode}: {result.stderr[-2000:]}")
    peak = next(line for line in result.stderr.splitlines() if line.startswith(PEAK))
    return elapsed, cpu, int(peak.removeprefix(PEAK))


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def import_breakdown(code: str, environment: dict[str, str], top: int = 8) -> str:
    """The packages whose own import time is largest in this case (``-X importtime``, one run;
    each module's self time, summed per top-level package; the standard library as one)."""
    result = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-X", "importtime", "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    own: dict[str, int] = defaultdict(int)
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \| +(\S+)", line)
        if match:
            package = match.group(2).split(".")[0]
            stdlib = package in sys.stdlib_module_names or package.startswith("_")
            own["standard library" if stdlib else package] += int(match.group(1))
    heaviest = sorted(own.items(), key=lambda item: -item[1])[:top]
    return ", ".join(f"{name} {micros / 1000:.0f} ms" for name, micros in heaviest)


def phase_breakdown(kind: str, environment: dict[str, str], repeats: int = 5) -> str:
    """CPU time of each phase of a cold start (bench.cold_phases), medians of fresh runs."""
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):
        result = subprocess.run(  # noqa: S603 - our interpreter, our code
            [sys.executable, "-m", "bench.cold_phases", kind],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        # The last line: Powertools writes the request's metrics to stdout before it.
        for name, seconds in json.loads(result.stdout.splitlines()[-1]).items():
            samples[name].append(seconds)
    return ", ".join(f"{name} {ms(median(values))}" for name, values in samples.items())


def package_cases(store: str, copies: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """The built package's first request, with and without its bytecode, run from the package
    alone (no src/, no bytecode cache of ours); none if the twin is not built."""
    if not PACKAGE.is_dir():
        return {}
    environment = child_environment(store)
    del environment["PYTHONPATH"], environment["PYTHONPYCACHEPREFIX"]
    uncompiled = copies / PACKAGE.name
    shutil.copytree(PACKAGE, uncompiled, ignore=shutil.ignore_patterns("__pycache__"))
    return {
        PACKAGED: (PACKAGE_REQUEST.format(code_dir=str(PACKAGE.resolve())), environment),
        UNCOMPILED: (PACKAGE_REQUEST.format(code_dir=str(uncompiled)), environment),
    }


def measure(
    cases: dict[str, tuple[str, dict[str, str]]], repeats: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int]]:
    """Each case's wall and CPU seconds per run, and its peak memory, after a warm-up run of
    each (which writes the bytecode cache)."""
    walls: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    peaks: dict[str, int] = defaultdict(int)
    for code, environment in cases.values():
        run_once(code, environment)
    for _ in range(repeats):
        for name, (code, environment) in cases.items():
            wall, cpu, peak = run_once(code, environment)
            walls[name].append(wall)
            cpus[name].append(cpu)
            peaks[name] = max(peaks[name], peak)
    return walls, cpus, peaks


def run(
    store: str, repeats: int = 15, *, tracer: bool = True, compare: Sequence[Path] = ()
) -> tuple[Table, bool, dict[str, float]]:
    """Measure every case against ``store``. ``compare``: other checkouts' roots, whose src/
    answers one more case each, for a before-and-after comparison in the same run."""
    environment = child_environment(store)
    cases = {name: (code, environment) for name, code in CASES.items()}
    if tracer:
        cases |= {
            name: (TRACER, child_environment(store, extra)) for name, extra in TRACER_CASES.items()
        }
    others = {
        OTHER_CHECKOUT.format(checkout.name): child_environment(store, source=checkout / "src")
        for checkout in compare
    }
    cases |= {name: (FIRST_REQUEST_CODE, other) for name, other in others.items()}
    with tempfile.TemporaryDirectory(prefix="bench-package-") as copies:
        cases |= package_cases(store, Path(copies))
        walls, cpus, peaks = measure(cases, repeats)
    medians = {name: median(values) for name, values in walls.items()}
    cpu_medians = {name: median(values) for name, values in cpus.items()}
    floor, cpu_floor = medians[FLOOR], cpu_medians[FLOOR]
    table = Table(
        "Target 4: cold start (fresh processes, DynamoDB over HTTP)",
        ["case", "median wall time", "÷ floor", "median CPU time", "÷ floor", "peak memory"],
    )
    for name, seconds in medians.items():
        cpu = cpu_medians[name]
        table.add(
            name,
            ms(seconds),
            ratio(seconds, floor),
            ms(cpu),
            ratio(cpu, cpu_floor),
            f"{peaks[name] / 1024:.0f} MB",
        )
    met = medians[FIRST_REQUEST] <= TARGET_RATIO * floor and all(
        peak / 1024 < MEMORY_LIMIT_MB for peak in peaks.values()
    )
    table.notes += [
        f"{repeats} runs per case, interleaved, after one warm-up run each; PYTHONPATH=src:., "
        "the function's environment and compiled bytecode (as `make build` ships it); each "
        "request reads moto's server on 127.0.0.1 (the service: one GetItem and three Queries; "
        "the floor's GetItem is strongly consistent too). Target: INIT + first request at most "
        f"{TARGET_RATIO}x the floor in wall time, every case under {MEMORY_LIMIT_MB} MB: "
        f"{verdict(met)}. CPU time is user + system of the process: on a shared machine, wall "
        "time also holds waits for a core. Peak memory: VmHWM.",
        (
            "The built package rows run the deployed package's x86_64 twin from its build "
            "directory, first on sys.path, with its own botocore and no bytecode written, as "
            "Lambda runs it: as `make build` leaves it, then copied without its bytecode."
            if PACKAGE.is_dir()
            else f"No built package rows: {PACKAGE} is not built (`make build-x86_64`)."
        ),
        "CPU time by phase, medians of 5 more runs: INIT + first request: "
        + phase_breakdown("service", environment)
        + "; the floor: "
        + phase_breakdown("floor", environment)
        + ".",
        *(
            f"CPU time by phase, {name}: {phase_breakdown('service', other)}."
            for name, other in others.items()
        ),
        "Heaviest imports of INIT + first request: "
        + import_breakdown(FIRST_REQUEST_CODE, environment)
        + ".",
    ]
    return table, met, medians
