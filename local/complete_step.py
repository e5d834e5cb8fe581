"""``python -m local.complete_step OU_ID [--store URL]``: finish an OU's setup in the store of
the running ``make serve`` (local.serve_state), as the product would when the user completes a
step: one item per missing step (local.demo_data.COMPLETING_ITEMS). The server's stream poller
then runs the provisioning check and prints "Onboarding Completed".
"""

import argparse
import os
import sys
from collections.abc import Sequence

import composition
from domain.checklist import CHECKLIST
from domain.identifiers import parse_requested_ou_id
from local import serve_state
from local.demo_data import COMPLETING_ITEMS
from local.embedded_store import local_client, point_sdk_at, put_items
from local.stack import local_table_names


def complete_missing_steps(ou_id: str, store_url: str) -> list[str]:
    """Write an item for each step the OU has not completed; return those steps' ids."""
    point_sdk_at(store_url)
    tables = local_table_names()
    os.environ.update(tables)
    status = composition.read_only_checklist_evaluator().checklist_for(parse_requested_ou_id(ou_id))
    done = {step.id for step in status.steps if step.completed}
    client = local_client(store_url)
    written = []
    for step in CHECKLIST:
        if step.id not in done:
            variable = f"{step.evidence.source.name}_TABLE"
            put_items(client, tables[variable], [{"ou_id": ou_id, **COMPLETING_ITEMS[variable]}])
            written.append(step.id)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.complete_step", description=__doc__)
    parser.add_argument("ou_id", help="e.g. ou-partial")
    parser.add_argument("--store", help="a DynamoDB URL (default: the running make serve's)")
    args = parser.parse_args(argv)
    store = serve_state.store_url(args.store)
    try:
        written = complete_missing_steps(args.ou_id, store)
    except Exception as error:  # reported in one line: a wrong URL, a bad OU id
        print(f"Cannot complete {args.ou_id}: {error}", file=sys.stderr)
        return 1
    print(
        f"{args.ou_id}: completed {', '.join(written)}"
        if written
        else f"{args.ou_id}: nothing missing"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
