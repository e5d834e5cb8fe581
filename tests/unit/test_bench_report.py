"""make bench regenerates docs/benchmarks.md and keeps the sections people wrote after it."""

from bench.report import keep_hand_written

GENERATED = "# Benchmarks\n\n### Target 4\n\n| new | table |\n"
HAND_WRITTEN = "## Design notes (hand-written)\n\nWhy each choice.\n\n## More (hand-written)\n"


def test_hand_written_sections_survive_a_new_run() -> None:
    previous = "# Benchmarks\n\n### Target 4\n\n| old | table |\n\n" + HAND_WRITTEN
    assert keep_hand_written(GENERATED, previous) == GENERATED + "\n" + HAND_WRITTEN


def test_a_report_without_hand_written_sections_is_all_generated() -> None:
    assert keep_hand_written(GENERATED, "# Benchmarks\n\n| old | table |\n") == GENERATED
    assert keep_hand_written(GENERATED, "") == GENERATED


def test_a_dated_hand_written_record_is_kept_too() -> None:
    record = "## Cold start, before and after (hand-written, measured 2026-11-30)\n\n| a | b |\n"
    previous = "# Benchmarks\n\n| old | table |\n\n" + record
    assert keep_hand_written(GENERATED, previous) == GENERATED + "\n" + record
