"""The whole local stand-in for the deployed stack: store, tables, demo data, environment."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from local.cfn_template import function_environment, load_template, table_logical_ids
from local.demo_data import DEMO_ITEMS
from local.embedded_store import (
    create_tables,
    delete_tables,
    embedded_dynamodb,
    local_client,
    point_sdk_at,
    put_items,
)

LOCAL_TABLE_PREFIX: Final = "local"


def local_table_names() -> dict[str, str]:
    """Environment variable -> local table name, for every table the template defines."""
    return {
        variable: f"{LOCAL_TABLE_PREFIX}-{logical_id}"
        for variable, logical_id in table_logical_ids(load_template()).items()
    }


def function_settings() -> dict[str, str]:
    """The function's literal environment from template.yaml (timeouts, Powertools settings),
    so the local handler runs with the deployed configuration. Intrinsics are left out."""
    literal = {
        name: value
        for name, value in function_environment(load_template(), "StatusFunction").items()
        if isinstance(value, str)
    }
    literal.setdefault("POWERTOOLS_SERVICE_NAME", "onboarding-status")
    literal.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Kenbun/Onboarding")
    return literal


@contextmanager
def local_stack(port: int = 0, seed: bool = True) -> Iterator[str]:
    """Start the embedded store, build the tables, seed the demo OUs and point this process's
    environment at them, as the deployed function's environment would be. Yields the endpoint."""
    with embedded_dynamodb(port) as endpoint:
        point_sdk_at(endpoint)
        tables = local_table_names()
        os.environ.update(tables)
        for name, value in function_settings().items():
            os.environ.setdefault(name, value)
        client = local_client(endpoint)
        create_tables(client, tables)
        try:
            if seed:
                for variable, items in DEMO_ITEMS.items():
                    put_items(client, tables[variable], items)
            yield endpoint
        finally:
            # moto keeps its data per process, not per server: without this, the next
            # local_stack() in the same process (a test session) would find the tables taken.
            delete_tables(client, tables)
