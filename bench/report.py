"""Result tables: printed as the benchmark goes, and written together to docs/benchmarks.md."""

import datetime
import os
import platform
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final


@dataclass
class Table:
    title: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(cell) for cell in cells])

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", "| " + " | ".join(self.columns) + " |"]
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1_000_000:.0f} µs"


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


# docs/benchmarks.md ends with sections people write, from the first heading marked so:
# "(hand-written)", or "(hand-written, measured YYYY-MM-DD)" for a dated record of one run.
HAND_WRITTEN: Final = re.compile(r"^#+ .*\(hand-written[,)]", re.MULTILINE)


def keep_hand_written(generated: str, previous: str) -> str:
    """The generated report followed by the previous report's hand-written sections."""
    found = HAND_WRITTEN.search(previous)
    return generated if found is None else generated + "\n" + previous[found.start() :]


def machine() -> str:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()} "
        f"on {platform.system()} {platform.machine()}, "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    )
