"""What each request read from DynamoDB, observed through botocore's own event hooks.

Nothing is patched: a hook keeps each call's parameters, another the parsed response, and the
catalog of seeded items turns them into items read and read units (bench.capacity).
"""

from dataclasses import dataclass, field
from typing import Any

from bench.capacity import strongly_consistent_read_units
from bench.seed import Catalog

PARAMS_KEY = "bench_params"


@dataclass
class Call:
    operation: str
    table: str
    items_read: int
    read_units: int


@dataclass
class ReadLog:
    """Every GetItem and Query a client makes, with what it read. Calls must not overlap
    (the cost runs use the in-order runner), so the log needs no lock."""

    catalog: Catalog
    calls: list[Call] = field(default_factory=list)

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-parameter-build.dynamodb", self._keep_params)
        client.meta.events.register("after-call.dynamodb", self._record)
        return client

    def clear(self) -> None:
        self.calls.clear()

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[PARAMS_KEY] = dict(params)

    def _record(
        self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        params = context.get(PARAMS_KEY, {})
        table = params.get("TableName", "")
        if model.name == "GetItem":
            found = "Item" in parsed
            ou_id = params["Key"]["ou_id"]["S"]
            sizes = self.catalog.partition(table, ou_id).sizes[:1] if found else []
            self.calls.append(
                Call("GetItem", table, len(sizes), strongly_consistent_read_units(sizes))
            )
        elif model.name == "Query":
            ou_id = params["ExpressionAttributeValues"][":ou"]["S"]
            start = params.get("ExclusiveStartKey")
            start_key = None if start is None else _sort_key_value(start)
            scanned = int(parsed.get("ScannedCount", 0))
            sizes = self.catalog.partition(table, ou_id).sizes_after(start_key, scanned)
            self.calls.append(Call("Query", table, scanned, strongly_consistent_read_units(sizes)))

    def summary(self) -> tuple[int, int, int]:
        """(calls, items read, read units) since the last clear()."""
        return (
            len(self.calls),
            sum(call.items_read for call in self.calls),
            sum(call.read_units for call in self.calls),
        )

    def reads_of(self, table: str) -> tuple[int, int, int]:
        """(calls, items read, read units) against one table since the last clear()."""
        calls = [call for call in self.calls if call.table == table]
        return (
            len(calls),
            sum(call.items_read for call in calls),
            sum(call.read_units for call in calls),
        )


def _sort_key_value(key: dict[str, Any]) -> str:
    value = next(value for name, value in key.items() if name != "ou_id")
    return str(value["S"])
