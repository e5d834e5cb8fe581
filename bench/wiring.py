"""What the parts of the benchmark share: the environment and the handler's wiring.

The handler runs unchanged. Where a part needs another store or another design behind it, it
swaps what the composition root hands out (``composition.status_service`` or
``composition.dynamodb_client``), as the unit tests do, and restores it afterwards.
"""

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Final

import composition
from local.cfn_template import load_template, table_logical_ids
from local.embedded_store import LOCAL_ENVIRONMENT

POWERTOOLS_ENVIRONMENT: Final = {
    "POWERTOOLS_SERVICE_NAME": "onboarding-status",
    "POWERTOOLS_METRICS_NAMESPACE": "Kenbun/Onboarding/Bench",
}


def table_names(prefix: str) -> dict[str, str]:
    """The status function's table variables, named after template.yaml's tables."""
    return {
        variable: f"{prefix}-{logical_id}"
        for variable, logical_id in table_logical_ids(load_template()).items()
    }


# moto scans a whole table on every Query, so latency is measured on tables holding one small
# OU, and cost on tables holding every OU.
SMALL_TABLES: Final = table_names("bench-small")
LARGE_TABLES: Final = table_names("bench-large")


def function_environment(tables: dict[str, str] = SMALL_TABLES) -> dict[str, str]:
    """What the deployed function has, less the endpoint: tables, region, Powertools."""
    return {**LOCAL_ENVIRONMENT, **POWERTOOLS_ENVIRONMENT, **tables}


def configure_process() -> None:
    os.environ.update(function_environment())
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)


@contextlib.contextmanager
def serving(service: Any) -> Iterator[None]:
    """The handler answers from this service (one design or another) until the block ends."""
    original = composition.status_service
    composition.status_service = lambda: service  # type: ignore[assignment]
    try:
        yield
    finally:
        composition.status_service = original


@contextlib.contextmanager
def clients_made_by(factory: Callable[[Any], Any]) -> Iterator[None]:
    """composition.dynamodb_client passes each client it makes through ``factory`` (for the
    status API and the fleet sweep, whose made parts it forgets before and after)."""
    original = composition.dynamodb_client
    composition.dynamodb_client = lambda settings: factory(original(settings))
    composition.status_service.cache_clear()
    composition.fleet_sweep.cache_clear()
    try:
        yield
    finally:
        composition.dynamodb_client = original
        composition.status_service.cache_clear()
        composition.fleet_sweep.cache_clear()


@contextlib.contextmanager
def output_discarded() -> Iterator[None]:
    """Powertools writes each request's metrics (and its log lines) to stdout, as Lambda
    expects; here they go to /dev/null, through real writes as in Lambda, rather than into the
    results. At the descriptor: the logger's handler holds sys.stdout itself."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
