"""What the packages hold: only what the functions import, compiled, the same files for both
architectures, and the sizes docs/benchmarks.md records."""

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest

from local.cfn_template import PROJECT_ROOT
from tests.package.harness import package_files

FUNCTIONS = ("StatusFunction", "ProvisioningFunction", "FleetSweepFunction")
# Never imported by a function: type stubs and markers, console scripts, the requirements
# file, the operator CLI, Swagger UI's assets, the repository's other trees.
LEFT_OUT = (
    "*.pyi",
    "*/py.typed",
    "*.data/*",
    "requirements.txt",
    "handlers/check_cli.py",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.*",
    *(f"{tree}/*" for tree in ("tests", "local", "bench", "docs", "web", "events")),
)
SDK_SERVICES = {"dynamodb", "events"}  # the only clients composition.py creates
SIZE_TOLERANCE = 0.05
RUNTIME_BYTECODE = "cpython-313"  # Lambda's python3.13, whatever runs the tests


@pytest.fixture(params=["arm64", "x86_64"])
def build(request: pytest.FixtureRequest) -> Path:
    build_dir: Path = request.getfixturevalue(f"{request.param}_build")
    return build_dir


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_package_leaves_out_what_the_functions_never_import(build: Path, function: str) -> None:
    files = package_files(build / function)
    assert "handlers/status_api.py" in files
    assert [path for path in files if any(fnmatch(path, p) for p in LEFT_OUT)] == []
    services = {
        path.split("/")[2]
        for path in files
        if path.count("/") > 2 and path.startswith("botocore/data/")
    }
    assert services == SDK_SERVICES


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_module_is_compiled_for_the_runtime_and_checked_by_hash(
    build: Path, function: str
) -> None:
    """Lambda's code directory is read-only: a module without bytecode in the package is
    compiled again on every cold start (docs/benchmarks.md, Target 4). Hash-checked bytecode
    (PEP 552 flags 0b11) stays valid whatever a zip does to file times, and is never used for a
    source it was not compiled from."""
    code_dir = build / function
    files = package_files(code_dir)
    expected = {
        str(Path(path).parent / "__pycache__" / f"{Path(path).stem}.{RUNTIME_BYTECODE}.pyc")
        for path in files
        if path.endswith(".py")
    }
    compiled = {path for path in files if path.endswith(".pyc")}
    assert compiled == expected
    flags = {int.from_bytes((code_dir / path).read_bytes()[4:8], "little") for path in compiled}
    assert flags == {0b11}


def test_the_x86_64_twin_is_the_same_package(arm64_build: Path, x86_64_build: Path) -> None:
    """File for file, except the compiled extensions, built for each architecture."""
    arm64 = set(package_files(arm64_build / "StatusFunction"))
    x86_64 = set(package_files(x86_64_build / "StatusFunction"))
    assert {path.replace("aarch64", "x86_64") for path in arm64} == x86_64
    assert any(path.endswith("-aarch64-linux-gnu.so") for path in arm64)


def test_docs_record_each_package_size(arm64_build: Path, x86_64_build: Path) -> None:
    """docs/benchmarks.md's table, within 5% of the builds (MB = 10^6 bytes, unzipped)."""
    docs = (PROJECT_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for function in FUNCTIONS:
        row = re.search(rf"^\| {function} \| ([\d.]+) MB \| ([\d.]+) MB \|$", docs, re.MULTILINE)
        assert row, f"no package size row for {function} in docs/benchmarks.md"
        for recorded, build in zip(row.groups(), (arm64_build, x86_64_build), strict=True):
            measured = sum(package_files(build / function).values()) / 1e6
            assert float(recorded) == pytest.approx(measured, rel=SIZE_TOLERANCE), (
                f"{function} in {build.parent.name}: {measured:.1f} MB, recorded {recorded}"
            )
