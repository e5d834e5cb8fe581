"""What the packages hold: only what the functions import, the same files for both
architectures, and the sizes docs/benchmarks.md records."""

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest

from local.cfn_template import PROJECT_ROOT
from tests.package.harness import package_files

FUNCTIONS = ("StatusFunction", "ProvisioningFunction", "FleetSweepFunction")
# Never imported by a function: type stubs and markers, bytecode, console scripts, the
# requirements file, the operator CLI, Swagger UI's assets, the repository's other trees.
LEFT_OUT = (
    "*.pyi",
    "*/py.typed",
    "*__pycache__*",
    "*.data/*",
    "requirements.txt",
    "handlers/check_cli.py",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.*",
    *(f"{tree}/*" for tree in ("tests", "local", "bench", "docs", "web", "events")),
)
SDK_SERVICES = {"dynamodb", "events"}  # the only clients composition.py creates
SIZE_TOLERANCE = 0.05


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
