"""Run a built function the way Lambda runs it: a fresh ``python3.13 -I -S -B`` process whose
``sys.path`` is the function's build directory and the standard library, nothing of the
repository or of a venv (-I ignores PYTHON* variables and the user's site-packages, -S the
interpreter's own). The package ships botocore: nothing else is needed from the runtime.

The handler, code directory, memory, timeout and environment come from the *built* template
(``sam build``'s output), so a handler typo in template.yaml fails here as it would in Lambda.
"""

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from local.cfn_template import (
    PROJECT_ROOT,
    function_environment,
    function_properties,
    load_template,
    parameter_default,
    table_logical_ids,
)
from local.embedded_store import LOCAL_ENVIRONMENT, LOCAL_REGION
from local.stack import LOCAL_TABLE_PREFIX

X86_64_BUILD: Final = PROJECT_ROOT / ".aws-sam-x86_64" / "build"
ARM64_BUILD: Final = PROJECT_ROOT / ".aws-sam" / "build"
STARTUP_SECONDS: Final = 30.0  # a cold interpreter on a loaded 2-core machine, per process

# What the Lambda runtime does for one execution environment: put the task root first on
# sys.path, import the handler, then hand it each event with a context. Runs in the child.
_BOOTSTRAP: Final = r"""
import importlib, json, sys, time
task_root, handler_name, memory, timeout, result_path = sys.argv[1:6]
sys.path.insert(0, task_root)

class Context:
    function_name = "package-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:package-test"
    memory_limit_in_mb = int(memory)
    log_group_name = "/aws/lambda/package-test"
    identity = client_context = None

    def __init__(self, request_number):
        self.aws_request_id = f"package-test-{request_number}"
        self.log_stream_name = self.aws_request_id
        self._deadline = time.monotonic() + float(timeout)

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))

module_name, _, attribute = handler_name.rpartition(".")
handler = getattr(importlib.import_module(module_name), attribute)
outcomes = []
for number, event in enumerate(json.load(sys.stdin)):
    try:
        outcomes.append({"result": handler(event, Context(number))})
    except Exception as error:  # reported as Lambda reports a function error
        outcomes.append({"errorType": type(error).__name__, "errorMessage": str(error)})
with open(result_path, "w", encoding="utf-8") as result_file:
    json.dump({"outcomes": outcomes, "sys_path": sys.path}, result_file)
"""


class PackageRunError(AssertionError):
    """The function could not start or crashed the runtime process (Lambda: an init error)."""


@dataclass(frozen=True)
class BuiltFunction:
    logical_id: str
    handler: str
    code_dir: Path
    memory_mb: int
    timeout_seconds: float
    environment: dict[str, str]


@dataclass(frozen=True)
class PackageRun:
    outcomes: list[dict[str, Any]]  # per event: {"result": ...} or {"errorType", "errorMessage"}
    sys_path: list[str]


def built_function(
    logical_id: str, template_path: Path = X86_64_BUILD / "template.yaml"
) -> BuiltFunction:
    """A function as the built template deploys it, its environment resolved for the local
    stack: tables by the names local_stack() gives them, other references by the parameters'
    defaults. A value this cannot resolve fails loudly rather than being left out."""
    template = load_template(template_path)
    properties = function_properties(template, logical_id)
    tables = table_logical_ids(template, logical_id)
    environment = {
        name: f"{LOCAL_TABLE_PREFIX}-{tables[name]}"
        if name in tables
        else _resolved(template, name, value)
        for name, value in function_environment(template, logical_id).items()
    }
    return BuiltFunction(
        logical_id=logical_id,
        handler=properties["Handler"],
        code_dir=(template_path.parent / properties["CodeUri"]).resolve(),
        memory_mb=int(properties["MemorySize"]),
        timeout_seconds=float(properties["Timeout"]),
        environment=environment,
    )


def _resolved(template: dict[str, Any], name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameter_default(template, value["Ref"])
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        text: str = value["Fn::Sub"]
        for parameter in template["Parameters"]:
            text = text.replace(f"${{{parameter}}}", parameter_default(template, parameter))
        if "${" not in text:
            return text
    raise ValueError(f"cannot resolve {name} = {value!r} for a local run")


def run_function(function: BuiltFunction, events: Sequence[object], endpoint: str) -> PackageRun:
    """Invoke the function once per event, in order, in one fresh execution environment."""
    with tempfile.TemporaryDirectory() as scratch:
        result_path = Path(scratch) / "result.json"
        command = [
            lambda_python(),
            "-I",
            "-S",
            "-B",  # /var/task is read-only in Lambda: no bytecode is written into the package
            "-c",
            _BOOTSTRAP,
            str(function.code_dir),
            function.handler,
            str(function.memory_mb),
            str(function.timeout_seconds),
            str(result_path),
        ]
        process = subprocess.run(
            command,
            input=json.dumps(list(events)),
            env=_lambda_environment(function, endpoint),
            cwd=function.code_dir,
            capture_output=True,
            text=True,
            timeout=STARTUP_SECONDS + function.timeout_seconds * len(events),
            check=False,
        )
        if process.returncode != 0 or not result_path.exists():
            raise PackageRunError(
                f"{function.logical_id} ({function.handler}) failed in a clean interpreter, "
                f"exit {process.returncode}:\n{process.stderr[-3000:]}"
            )
        run = json.loads(result_path.read_text(encoding="utf-8"))
    return PackageRun(outcomes=run["outcomes"], sys_path=run["sys_path"])


def lambda_python() -> str:
    """The base python3.13 of the test venv: its standard library, none of its packages."""
    if sys.version_info[:2] != (3, 13):
        raise PackageRunError("the package tier needs python3.13, the Lambda runtime")
    return str(Path(sys.base_prefix) / "bin" / "python3.13")


def _lambda_environment(function: BuiltFunction, endpoint: str) -> dict[str, str]:
    """What Lambda sets, the function's own variables, and the local endpoints; nothing of
    this process's environment."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(function.code_dir),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": "package-test",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_REGION": LOCAL_REGION,
        **LOCAL_ENVIRONMENT,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": endpoint,
        **function.environment,
    }


def foreign_paths(run: PackageRun, code_dir: Path) -> list[str]:
    """Entries of the child's sys.path other than its task root and the interpreter's standard
    library (its site-packages excluded): there must be none."""
    stdlib = Path(sys.base_prefix).resolve()
    return [
        entry
        for entry in run.sys_path
        if Path(entry).resolve() != code_dir
        and ("site-packages" in entry or not Path(entry).resolve().is_relative_to(stdlib))
    ]


def package_files(code_dir: Path) -> dict[str, int]:
    """Relative path -> size in bytes, of every file in a function's build directory."""
    return {
        str(path.relative_to(code_dir)): path.stat().st_size
        for path in sorted(code_dir.rglob("*"))
        if path.is_file()
    }


def response_body(outcome: Mapping[str, Any]) -> Any:
    return json.loads(outcome["result"]["body"])
