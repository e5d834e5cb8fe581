"""``python -m local.check [OU_ID ...] [--file F] [--json] [--require-complete]``: the operators'
command (handlers.check_cli) against the embedded store with the demo data.

It lives here, not in the deployed package, because the embedded store is a checkout's tool.
Same arguments and exit status as the command itself; 3 when the store cannot start.
"""

import sys
from collections.abc import Sequence
from typing import TextIO

import composition
from handlers import check_cli
from local.stack import local_stack


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    try:
        with local_stack():
            # Settings and client are read from the environment the stack has just set.
            composition.read_only_checklist_evaluator.cache_clear()
            return check_cli.main(argv, out=out, prog="python -m local.check")
    except OSError as error:
        print(f"error: the embedded store cannot start ({error})", file=sys.stderr)
        return check_cli.EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
