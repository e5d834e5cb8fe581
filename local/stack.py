"""The whole local stand-in for the deployed stack: store, tables, demo data, environment."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Final

from local.cfn_template import (
    FLEET_SWEEP_FUNCTION,
    PROVISIONING_FUNCTION,
    STATUS_FUNCTION,
    function_environment,
    load_template,
    parameter_default,
    table_logical_ids,
)
from local.demo_data import demo_items
from local.embedded_store import (
    create_tables,
    delete_tables,
    embedded_dynamodb,
    local_client,
    point_sdk_at,
    put_items,
)
from local.event_bus import subscribe_observer

LOCAL_TABLE_PREFIX: Final = "local"
FUNCTIONS: Final = (STATUS_FUNCTION, PROVISIONING_FUNCTION, FLEET_SWEEP_FUNCTION)


def local_table_names() -> dict[str, str]:
    """Environment variable -> local table name, for every table of every function."""
    template = load_template()
    return {
        variable: f"{LOCAL_TABLE_PREFIX}-{logical_id}"
        for function in FUNCTIONS
        for variable, logical_id in table_logical_ids(template, function).items()
    }


def function_settings() -> dict[str, str]:
    """The functions' literal environment from template.yaml (timeouts, Powertools settings),
    so local handlers run with the deployed configuration. Intrinsics are left out, except
    the event bus settings, which take the template parameters' defaults."""
    template = load_template()
    literal = {
        name: value
        for function in FUNCTIONS
        for name, value in function_environment(template, function).items()
        if isinstance(value, str)
    }
    literal.setdefault("POWERTOOLS_SERVICE_NAME", "onboarding-status")
    literal.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Kenbun/Onboarding")
    literal.setdefault("EVENT_BUS_NAME", parameter_default(template, "EventBusName"))
    literal.setdefault("EVENT_SOURCE", parameter_default(template, "PublishedEventSource"))
    return literal


def use_store(endpoint: str) -> None:
    """Point this process at a running local store (make serve's) with the functions' tables
    and settings, as the deployed functions' environment would."""
    point_sdk_at(endpoint)
    os.environ.update(local_table_names())
    for name, value in function_settings().items():
        os.environ.setdefault(name, value)


@contextmanager
def local_stack(port: int = 0, seed: bool = True) -> Iterator[str]:
    """Start the embedded store, build the tables, seed the demo OUs and point this process's
    environment at them, as the deployed function's environment would be. Yields the endpoint."""
    with embedded_dynamodb(port) as endpoint:
        use_store(endpoint)
        tables = local_table_names()
        client = local_client(endpoint)
        for function in FUNCTIONS:
            create_tables(client, tables, function)
        subscribe_observer(endpoint, os.environ["EVENT_SOURCE"])
        try:
            if seed:
                for variable, items in demo_items(datetime.now(UTC)).items():
                    put_items(client, tables[variable], items)
            yield endpoint
        finally:
            # moto keeps its data per process, not per server: without this, the next
            # local_stack() in the same process (a test session) would find the tables taken.
            delete_tables(client, tables)
