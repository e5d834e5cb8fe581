"""``python -m local.check [OU_ID ...] [--file F] [--json] [--require-complete] [--store URL]``:
the operators' command (handlers.check_cli) against the store of the running ``make serve``
(local.serve_state), or the DynamoDB URL ``--store`` names.

It lives here, not in the deployed package, because the local store is a checkout's tool.
Same arguments and exit status as the command itself; 3 when no store answers, including when
``make serve`` is not running (it never starts a store of its own).
"""

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

import composition
from handlers import check_cli
from local import serve_state
from local.embedded_store import point_sdk_at
from local.stack import function_settings, local_table_names


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    store_option = argparse.ArgumentParser(add_help=False)
    store_option.add_argument("--store")
    known, rest = store_option.parse_known_args(argv)
    try:
        store = serve_state.store_url(known.store)
    except serve_state.ServeNotRunning as error:
        print(f"error: {error}", file=sys.stderr)
        return check_cli.EXIT_UNAVAILABLE
    point_sdk_at(store)
    os.environ.update(local_table_names())
    for name, value in function_settings().items():
        os.environ.setdefault(name, value)
    # Settings and client are read from the environment just set.
    composition.read_only_checklist_evaluator.cache_clear()
    return check_cli.main(rest, out=out, prog="python -m local.check")


if __name__ == "__main__":
    sys.exit(main())
