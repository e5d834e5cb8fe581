"""What the README says is what happens, checked against a started ``make serve``.

The README's code blocks are read with a CommonMark parser (markdown-it-py). Its runnable
claims: the curl command and the example body it answers with; every curl command ``make
serve`` prints, with the status announced above it; each ``sh`` line whose comment ends in
``exit N``, run as written (from a view of the checkout whose ``.venv-serve`` is this test's
Python, as ``make check`` builds no ``.venv-serve``); the path the widget snippet loads the
script from. Each check is also shown to fail when its claim is changed.
"""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError

import pytest
from markdown_it import MarkdownIt

from local import serve_state
from local.cfn_template import PROJECT_ROOT

pytestmark = pytest.mark.e2e

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
DEFAULT_API = "http://127.0.0.1:3000"
EXIT_CLAIM = re.compile(r"^(?P<command>\S.*?)\s+#.*\bexit (?P<status>\d+)$")
ANNOUNCED = re.compile(r"^# (?P<status>\d{3})  ")
HANG_GUARD_SECONDS = 120
# curl honours proxy variables; nothing may stand between it and 127.0.0.1.
NO_PROXY = {
    name: value for name, value in os.environ.items() if not name.lower().endswith("_proxy")
}


def code_blocks(markdown: str, language: str) -> list[str]:
    return [
        token.content
        for token in MarkdownIt("commonmark").parse(markdown)
        if token.type == "fence" and token.info.split()[:1] == [language]
    ]


@dataclass(frozen=True)
class ExitClaim:
    command: str
    status: int


def exit_claims(markdown: str) -> list[ExitClaim]:
    return [
        ExitClaim(found["command"], int(found["status"]))
        for block in code_blocks(markdown, "sh")
        for found in map(EXIT_CLAIM.match, block.splitlines())
        if found
    ]


@dataclass(frozen=True)
class Served:
    """A started ``make serve``: its banner, API URL, and the environment that finds it."""

    banner: str
    api_url: str
    environment: dict[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    state = tmp_path_factory.mktemp("serve") / "serve-state.json"
    environment = {**NO_PROXY, serve_state.STATE_FILE_VARIABLE: str(state)}
    server = subprocess.Popen(
        [sys.executable, "-m", "local.serve", "--port", "0"],
        cwd=PROJECT_ROOT,
        env={**environment, "PYTHONPATH": "src:."},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = ""
        while not banner.endswith("Ctrl-C to stop.\n"):
            line = server.stdout.readline()
            assert line, f"make serve ended early:\n{banner}"
            banner += line
        api_url = re.search(r"^Onboarding status API: (\S+)/onboarding/status$", banner, re.M)
        assert api_url is not None, banner
        yield Served(banner, api_url[1], environment)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout as a fresh clone after ``make serve`` has installed ``.venv-serve``: every
    entry links to the real one, and ``.venv-serve/bin/python`` is this test's Python."""
    view = tmp_path_factory.mktemp("checkout")
    for entry in PROJECT_ROOT.iterdir():
        if not entry.name.startswith((".venv", ".serve-state")):
            (view / entry.name).symlink_to(entry)
    python = view / ".venv-serve" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    python.chmod(0o755)
    (view / ".venv-serve" / ".installed").touch()
    return view


def run_curl(command: str) -> tuple[int, bytes]:
    """A curl -si command: the status and the body it prints."""
    result = subprocess.run(
        shlex.split(command),
        capture_output=True,
        env=NO_PROXY,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def exit_status_mismatches(claims: list[ExitClaim], checkout: Path, served: Served) -> list[str]:
    mismatches = []
    for claim in claims:
        result = subprocess.run(
            ["bash", "-c", claim.command],
            cwd=checkout,
            env=served.environment,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            check=False,
        )
        if result.returncode != claim.status:
            mismatches.append(
                f"{claim.command}\n  says exit {claim.status}, exits {result.returncode}:\n"
                f"{result.stdout[-500:]}{result.stderr[-500:]}"
            )
    return mismatches


def example_mismatches(markdown: str, served: Served) -> list[str]:
    """The README's curl command is one make serve prints, and its body is the README's JSON
    example, byte for byte but for the layout."""
    (command,) = [
        line
        for block in code_blocks(markdown, "sh")
        for line in block.splitlines()
        if line.startswith(f"curl -si {DEFAULT_API}/")
    ]
    command = command.replace(DEFAULT_API, served.api_url)
    if command not in served.banner.splitlines():
        return [f"make serve prints no such command: {command}"]
    (example,) = code_blocks(markdown, "json")
    compact = json.dumps(json.loads(example), separators=(",", ":")).encode()
    status, body = run_curl(command)
    return [] if (status, body) == (200, compact) else [f"{command} answers {status} {body!r}"]


class _ScriptSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.sources += [value for name, value in attrs if name == "src" and value]


def widget_mismatches(markdown: str, served: Served) -> list[str]:
    parser = _ScriptSources()
    for block in code_blocks(markdown, "html"):
        parser.feed(block)
    (source,) = parser.sources
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{served.api_url}{source}", timeout=30) as response:
            if "javascript" in response.headers["Content-Type"]:
                return []
            return [f"{source} is served as {response.headers['Content-Type']}"]
    except HTTPError as error:
        return [f"make serve answers {error.code} for {source}"]


# --- two tests, so that pytest-xdist starts at most two servers ------------------------------


def test_what_the_readme_says_is_what_happens(served: Served, checkout: Path) -> None:
    lines = served.banner.splitlines()
    announced = [
        (int(found["status"]), command)
        for found, command in zip(map(ANNOUNCED.match, lines), lines[1:], strict=False)
        if found
    ]
    assert len(announced) >= 9, served.banner
    for status, command in announced:
        assert command.startswith("curl "), command
        assert run_curl(command)[0] == status, command
    assert example_mismatches(README, served) == []
    assert widget_mismatches(README, served) == []
    claims = exit_claims(README)
    # make invoke's and the operator command's documented statuses are among them.
    assert {claim.status for claim in claims if "make invoke" in claim.command} == {2}
    assert {claim.status for claim in claims if "local.check" in claim.command} == {0, 1, 2, 3}
    assert exit_status_mismatches(claims, checkout, served) == []


CHANGED_EXAMPLES = [
    ('"completed_count":1', '"completed_count":2'),
    ('"label":"Connect an integration"', '"label":"Connect integrations"'),
    ('[{"id":"connect_integration","label"', '[{"label":"Connect an integration","id"'),
    ("Bearer demo-user-token' --cookie activeOu=ou-partial\n```", "Bearer x' --cookie a=b\n```"),
]
CHANGED_EXIT_STATUSES = [
    ("incomplete: exit 1", "incomplete: exit 0"),
    ("configuration: exit 2", "configuration: exit 1"),
]


def test_the_check_fails_when_a_claim_is_changed(served: Served, checkout: Path) -> None:
    for original, replacement in CHANGED_EXAMPLES:
        assert example_mismatches(changed(original, replacement), served), replacement
    moved = changed('src="/setup-checklist.js"', 'src="/static/setup-checklist.js"')
    assert widget_mismatches(moved, served) == [
        "make serve answers 404 for /static/setup-checklist.js"
    ]
    for original, replacement in CHANGED_EXIT_STATUSES:
        claims = exit_claims(changed(original, replacement))
        (new_claim,) = [claim for claim in claims if claim not in exit_claims(README)]
        assert len(exit_status_mismatches([new_claim], checkout, served)) == 1, replacement


def changed(original: str, replacement: str) -> str:
    assert original in README, original
    return README.replace(original, replacement, 1)
