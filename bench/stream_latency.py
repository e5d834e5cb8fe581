"""Stream trigger latency: from the write that completes an OU's last step to "Onboarding
Completed" on the local bus, through the local stream poller (``python -m bench.stream_latency``
alone, or a phase of ``python -m bench``).

In process: moto's server with the stack's tables (streams on the evidence tables), the local
poller delivering batches to the provisioning handler, moto's EventBridge and its observer.
"""

import random
import time
from typing import Any, Final

from bench.report import Table, median, ms
from local.cfn_template import PROVISIONING_FUNCTION
from local.embedded_store import enable_streams, local_client, put_items
from local.event_bus import published_events
from local.lambda_runtime import load_handler
from local.stack import local_stack, local_table_names
from local.stream_poller import POLL_SECONDS, StreamPoller
from tests.factories import OuData

RUNS: Final = 15
EVIDENCE_TABLES: Final = ("INTEGRATIONS_TABLE", "SCORING_RULES_TABLE", "ENGAGEMENT_LEVELS_TABLE")
TIMEOUT_SECONDS: Final = 10.0
SETTLE_SECONDS: Final = 2.0


def run(runs: int = RUNS) -> Table:
    with local_stack(seed=False) as endpoint:
        tables = {variable: local_table_names()[variable] for variable in EVIDENCE_TABLES}
        client = local_client(endpoint)
        enable_streams(client, tables.values())
        bus = _Bus(endpoint)
        handler = load_handler(PROVISIONING_FUNCTION)
        with StreamPoller(endpoint, tables.values(), handler, after_batch=bus.read):
            ous = [f"ou-latency-{index}" for index in range(runs)]
            for ou_id in ous:
                data = OuData(ou_id).integration().scoring_rule()
                put_items(client, tables["INTEGRATIONS_TABLE"], data.integrations)
                put_items(client, tables["SCORING_RULES_TABLE"], data.scoring_rules)
            time.sleep(SETTLE_SECONDS)  # their checks run and publish first
            samples = [_latency(client, bus, tables, ou_id) for ou_id in ous]
    table = Table(
        "Stream trigger: completing write to Onboarding Completed (local poller)",
        ["runs", "median", "min", "max"],
    )
    table.add(runs, ms(median(samples)), ms(min(samples)), ms(max(samples)))
    table.notes.append(
        f"The poller reads each shard every {POLL_SECONDS * 1000:.0f} ms (as Lambda's event "
        "source mapping, about four times a second); each write lands at a random point of that "
        "cycle. Measured until the event is read from the bus's observer after the batch, as "
        "make serve prints it; store, poller and handler share one process. In AWS add the "
        "mapping's batching window (a template parameter) and the invocation."
    )
    return table


class _Bus:
    """When each OU's completion was first read from the local bus (after a batch)."""

    def __init__(self, endpoint: str) -> None:
        self._endpoint = endpoint
        self.completed: dict[str, float] = {}

    def read(self) -> None:
        for event in published_events(self._endpoint):
            if event.get("detail-type") == "Onboarding Completed":
                self.completed.setdefault(event["detail"]["ou_id"], time.monotonic())


def _latency(client: Any, bus: _Bus, tables: dict[str, str], ou_id: str) -> float:
    time.sleep(random.uniform(0, POLL_SECONDS))  # noqa: S311 - a phase offset, not a secret
    levels = OuData(ou_id).engagement_level().engagement_levels
    started = time.monotonic()
    put_items(client, tables["ENGAGEMENT_LEVELS_TABLE"], levels)
    while ou_id not in bus.completed:
        if time.monotonic() - started > TIMEOUT_SECONDS:
            raise TimeoutError(f"no Onboarding Completed for {ou_id} within {TIMEOUT_SECONDS} s")
        time.sleep(0.01)
    return bus.completed[ou_id] - started


if __name__ == "__main__":
    print(run().markdown())
