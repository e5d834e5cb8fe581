"""``python -m handlers.check_cli``: the onboarding checklist of one or many OUs, for operators.

Reads the same tables with the same rules as the API and the provisioning check, read-only: it
publishes nothing and records nothing. Tables come from the same environment variables
(INTEGRATIONS_TABLE, SCORING_RULES_TABLE, ENGAGEMENT_LEVELS_TABLE) and AWS credentials from the
usual chain. A checkout runs it against the running ``make serve``'s store: ``python -m
local.check``.

Exit status: 0 done; 1 --require-complete and some OU is incomplete; 2 bad input or
configuration; 3 the store is unavailable.
"""

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TextIO

import composition
from domain.errors import ConfigurationError, InvalidRequest, OnboardingError
from domain.identifiers import OuId, parse_requested_ou_id
from domain.provisioning import CheckResult, rfc3339

EXIT_INCOMPLETE: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_UNAVAILABLE: Final = 3


def main(
    argv: Sequence[str] | None = None,
    out: TextIO = sys.stdout,
    prog: str = "python -m handlers.check_cli",
) -> int:
    args = _parser(prog).parse_args(argv)
    try:
        ou_ids = _requested_ou_ids(args.ou_ids, args.file)
        results = [_check(ou_id) for ou_id in ou_ids]
    except (InvalidRequest, ConfigurationError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OnboardingError as error:
        print(f"error: the store is unavailable ({type(error).__name__})", file=sys.stderr)
        return EXIT_UNAVAILABLE
    print(_as_json(results) if args.json else _as_table(results), file=out)
    incomplete = [result for result in results if not result.all_complete]
    return EXIT_INCOMPLETE if args.require_complete and incomplete else 0


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Print the onboarding checklist of OUs.",
        epilog="Exit status: 1 an OU is incomplete (--require-complete), 2 bad input, 3 no store.",
    )
    parser.add_argument("ou_ids", nargs="*", metavar="OU_ID", help="OU ids to check")
    parser.add_argument("--file", type=Path, help="a file of OU ids, one per line (# comments)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--require-complete", action="store_true", help="exit 1 when any OU is incomplete"
    )
    return parser


def _requested_ou_ids(arguments: Sequence[str], file: Path | None) -> list[OuId]:
    raw = list(arguments)
    if file is not None:
        raw += list(_ids_in(file.read_text(encoding="utf-8").splitlines()))
    if not raw:
        raise InvalidRequest("name at least one OU id, or a --file of them")
    return [parse_requested_ou_id(ou_id) for ou_id in raw]


def _ids_in(lines: Sequence[str]) -> Iterator[str]:
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if text:
            yield text


def _check(ou_id: OuId) -> CheckResult:
    status = composition.read_only_checklist_evaluator().checklist_for(ou_id)
    return CheckResult(ou_id=ou_id, checked_at=rfc3339(datetime.now(UTC)), steps=status.steps)


def _as_json(results: Sequence[CheckResult]) -> str:
    return json.dumps([result.to_dict() for result in results], indent=2)


def _as_table(results: Sequence[CheckResult]) -> str:
    step_ids = [step.id for step in results[0].steps]
    header = ["OU", *step_ids, "done"]
    rows: list[list[Any]] = [
        [
            result.ou_id,
            *("yes" if step.completed else "-" for step in result.steps),
            f"{result.completed_count}/{result.total_count}",
        ]
        for result in results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


if __name__ == "__main__":
    sys.exit(main())
