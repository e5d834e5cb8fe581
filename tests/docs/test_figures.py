"""Measured figures live in one generated place, the part of docs/benchmarks.md that ``make
bench`` writes; the README and the report's hand-written sections refer to its tables.

The rule: a figure in microseconds, milliseconds, megabytes or a ratio (``1.23x``) that the
README or a hand-written section states must appear, as written, in the generated part (a
target's threshold, say), or it is a copy that goes stale, or contradicts the report. The one
exception is a dated record of one run: a section whose heading says ``measured YYYY-MM-DD``
keeps the figures of that run, which nothing regenerates.
"""

import re

import pytest

from bench.report import HAND_WRITTEN
from local.cfn_template import PROJECT_ROOT

BENCHMARKS = (PROJECT_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
README_LIMIT_BYTES = 20_000
FIGURE = re.compile(
    r"(?<![\w.,])\d[\d,]*(?:\.\d+)?\s?(?:µs|ms|MB)(?!\w)|(?<![\w.,])\d+(?:\.\d+)?x(?!\w)"
)
HEADING = re.compile(r"^(#+) (.*)$", re.MULTILINE)
DATED_RECORD = re.compile(r"measured \d{4}-\d{2}-\d{2}")


def split_report(report: str) -> tuple[str, str]:
    """The generated part and the hand-written sections."""
    found = HAND_WRITTEN.search(report)
    return (report, "") if found is None else (report[: found.start()], report[found.start() :])


def without_dated_records(markdown: str) -> str:
    """The text less every section (to the next heading of its level or above) whose heading
    dates it as the record of one run."""
    kept, skipping_below = [], 0
    for line in markdown.splitlines():
        heading = HEADING.match(line)
        if heading:
            level = len(heading[1])
            if skipping_below and level > skipping_below:
                continue
            skipping_below = level if DATED_RECORD.search(heading[2]) else 0
        if not skipping_below:
            kept.append(line)
    return "\n".join(kept)


def stale_figures(prose: str, generated: str) -> list[str]:
    """Figures the prose states that the generated report does not."""
    return [
        figure for figure in FIGURE.findall(without_dated_records(prose)) if figure not in generated
    ]


def test_the_report_has_a_generated_part_and_hand_written_sections() -> None:
    generated, hand_written = split_report(BENCHMARKS)
    assert FIGURE.search(generated), "the generated part holds the figures"
    assert hand_written.startswith("## Design notes (hand-written)")


@pytest.mark.parametrize(
    ("name", "prose"),
    [("README.md", README), ("hand-written sections", split_report(BENCHMARKS)[1])],
)
def test_prose_quotes_only_figures_the_generated_report_states(name: str, prose: str) -> None:
    generated = split_report(BENCHMARKS)[0]
    assert stale_figures(prose, generated) == [], f"{name}: refer to the tables instead"


def test_a_copied_figure_that_the_report_contradicts_fails() -> None:
    generated = "| this service | before-call | 1683 µs | 1.78x |\n"
    assert stale_figures("the whole handler: 1,215 µs, 1.32x", generated) == ["1,215 µs", "1.32x"]
    assert stale_figures("the whole handler: 1683 µs, 1.78x the minimal", generated) == []
    assert stale_figures("INIT is 0.85x the floor and needs 45 MB", generated) == ["0.85x", "45 MB"]


def test_a_dated_record_keeps_its_own_figures_and_only_its_own() -> None:
    prose = (
        "## Cold start (hand-written, measured 2026-11-30)\n\n1.23x the floor\n\n"
        "### Its phases\n\n13 ms\n\n## Design notes (hand-written)\n\nnow 1.23x\n"
    )
    assert stale_figures(prose, generated="") == ["1.23x"]


def test_the_readme_stays_under_its_limit() -> None:
    assert len(README.encode()) < README_LIMIT_BYTES
