"""Integration tier: the Lambda entry point against DynamoDB-compatible servers over HTTP on
127.0.0.1, with tables built from template.yaml. Nothing in boto3 is patched: the production
client finds the server through AWS_ENDPOINT_URL_DYNAMODB, as it would any endpoint.

Every test that uses the store runs twice, against two independent implementations: moto's
server and dynalite (tests/dynalite.py). moto is lenient where DynamoDB is strict, dynalite
elsewhere; a difference between them is a bug of ours or a documented gap of one of them
(docs/failure-modes.md). EventBridge and SQS are always moto's.

Each server's tables are built once per session and emptied before each test (``store``), and
the observer queue is drained before each test (``provisioning``): a test sees only its own
items and events, whatever OU ids it uses.
"""

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import composition
from local.cfn_template import load_template, table_logical_ids
from local.embedded_store import (
    BATCH_WRITE_LIMIT,
    LOCAL_ENVIRONMENT,
    create_tables,
    embedded_dynamodb,
    local_client,
    local_session,
    put_items,
)
from tests.dynalite import DynaliteServer
from tests.factories import OuData

DYNAMODB_SERVERS = ("moto", "dynalite")
FUNCTIONS = ("StatusFunction", "ProvisioningFunction")
PROGRESS_TABLE = "test-ProgressTable"
TABLE_CHANGE_SECONDS = 10.0  # how long a table may take to be created or deleted


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server: DynamoDB, and the EventBridge and SQS the provisioning check uses."""
    with embedded_dynamodb() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def dynalite_endpoint() -> Iterator[str]:
    with DynaliteServer() as server:
        yield server.url


@pytest.fixture(scope="session", params=DYNAMODB_SERVERS)
def dynamodb_endpoint(request: pytest.FixtureRequest) -> str:
    """Each DynamoDB-compatible server in turn, one process each for the whole session."""
    endpoint: str = request.getfixturevalue(f"{request.param}_endpoint")
    return endpoint


@pytest.fixture(scope="session")
def table_names() -> dict[str, str]:
    return {
        variable: f"test-{logical_id}"
        for variable, logical_id in table_logical_ids(load_template()).items()
    }


@dataclass
class Store:
    """The DynamoDB-compatible server as the tests see it: tables to seed and inspect."""

    client: Any
    tables: dict[str, str]

    def seed(self, *ous: OuData) -> None:
        for ou in ous:
            put_items(self.client, self.tables["INTEGRATIONS_TABLE"], ou.integrations)
            put_items(self.client, self.tables["SCORING_RULES_TABLE"], ou.scoring_rules)
            put_items(self.client, self.tables["ENGAGEMENT_LEVELS_TABLE"], ou.engagement_levels)

    def member(self, ou_id: str, principal_id: str, **attributes: Any) -> None:
        item = {"ou_id": ou_id, "principal_id": principal_id, **attributes}
        put_items(self.client, self.tables["MEMBERSHIPS_TABLE"], [item])


def create_active_tables(
    client: Any, table_names: dict[str, str], function: str = "StatusFunction"
) -> None:
    """Create a function's tables from template.yaml (those not there yet) and wait until
    they take writes (dynalite creates in the background, even with --createTableMs 0)."""
    create_tables(client, table_names, function)
    deadline = time.monotonic() + TABLE_CHANGE_SECONDS
    for table_name in table_names.values():
        while client.describe_table(TableName=table_name)["Table"]["TableStatus"] != "ACTIVE":
            assert time.monotonic() < deadline, f"{table_name} did not become active in time"
            time.sleep(0.01)


@dataclass
class Tables:
    """Every table of both functions on one server, built once per session: building them
    took most of a second per test, emptying them takes a few milliseconds."""

    client: Any
    names: dict[str, str]  # environment variable -> table name, for both functions
    keys: dict[str, list[str]] = field(default_factory=dict)  # table name -> key attributes

    def build(self) -> None:
        """Create whichever tables are missing (at first, or after a test deleted one)."""
        for function in FUNCTIONS:
            create_tables(self.client, self.names, function)
        create_active_tables(self.client, self.names)  # waits until all are active
        for table_name in self.names.values():
            schema = self.client.describe_table(TableName=table_name)["Table"]["KeySchema"]
            self.keys[table_name] = [part["AttributeName"] for part in schema]

    def ready(self) -> None:
        """Every table there and empty, whatever the previous test did to them."""
        if not set(self.names.values()) <= set(self.client.list_tables()["TableNames"]):
            self.build()
        for table_name, key in self.keys.items():
            self._empty(table_name, key)

    def _empty(self, table_name: str, key: list[str]) -> None:
        scan = self.client.get_paginator("scan").paginate(
            TableName=table_name,
            ProjectionExpression=", ".join(f"#{n}" for n in range(len(key))),
            ExpressionAttributeNames={f"#{n}": name for n, name in enumerate(key)},
            ConsistentRead=True,
        )
        for page in scan:
            for start in range(0, len(page["Items"]), BATCH_WRITE_LIMIT):
                batch = page["Items"][start : start + BATCH_WRITE_LIMIT]
                pending: Any = {table_name: [{"DeleteRequest": {"Key": key}} for key in batch]}
                while pending:
                    pending = self.client.batch_write_item(RequestItems=pending).get(
                        "UnprocessedItems"
                    )


@pytest.fixture(scope="session")
def server_tables() -> dict[str, Tables]:
    """Each server's tables by its endpoint, built on first use and kept for the session."""
    return {}


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clear_composition() -> None:
    """Forget clients and settings, so the next request reads the environment again."""
    composition.status_service.cache_clear()
    composition.app_settings.cache_clear()
    composition.provisioning_check.cache_clear()
    composition.read_only_checklist_evaluator.cache_clear()
    composition.fleet_sweep.cache_clear()


def use_environment(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    clear_composition()


@pytest.fixture
def store(
    server_tables: dict[str, Tables],
    dynamodb_endpoint: str,
    table_names: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Store]:
    """Empty tables from template.yaml, and the handler's environment pointing at them."""
    tables = server_tables.get(dynamodb_endpoint)
    if tables is None:
        names = {**table_names, "PROGRESS_TABLE": PROGRESS_TABLE}
        tables = server_tables[dynamodb_endpoint] = Tables(local_client(dynamodb_endpoint), names)
    tables.ready()
    use_environment(
        monkeypatch,
        {
            **LOCAL_ENVIRONMENT,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
            **tables.names,
        },
    )
    yield Store(tables.client, dict(tables.names))
    clear_composition()


OBSERVED_SOURCE = "kenbun.onboarding.test"


class Observer:
    """An SQS queue subscribed to every event of OBSERVED_SOURCE on moto's default bus, set
    up once per session. Its own rule and queue, apart from local.event_bus's: moto keeps one
    EventBridge per process, which the local stacks of other tests share."""

    def __init__(self, endpoint: str) -> None:
        session = local_session()
        self._sqs = session.client("sqs", endpoint_url=endpoint)
        events = session.client("events", endpoint_url=endpoint)
        self._queue_url = self._sqs.create_queue(QueueName="test-observer")["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(
            QueueUrl=self._queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        events.put_rule(
            Name="test-observer", EventPattern=json.dumps({"source": [OBSERVED_SOURCE]})
        )
        events.put_targets(Rule="test-observer", Targets=[{"Id": "observer", "Arn": queue_arn}])

    def received(self) -> list[dict[str, Any]]:
        """Every event received since the last call, oldest first."""
        received: list[dict[str, Any]] = []
        while messages := self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in messages:
                received.append(json.loads(message["Body"]))
                self._sqs.delete_message(
                    QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return sorted(received, key=lambda event: str(event.get("time", "")))


@pytest.fixture(scope="session")
def observer(moto_endpoint: str) -> Observer:
    return Observer(moto_endpoint)


@dataclass
class Provisioning:
    """The provisioning check's world: the store, its progress table and the event bus,
    with an observer queue subscribed to everything the check publishes."""

    store: Store
    progress_table: str
    endpoint: str
    observer: Observer

    def published(self) -> list[dict[str, Any]]:
        """Every event published since the last call (in this test), oldest first."""
        return self.observer.received()

    def progress(self, ou_id: str) -> dict[str, Any]:
        item = self.store.client.get_item(
            TableName=self.progress_table, Key={"ou_id": {"S": ou_id}}, ConsistentRead=True
        ).get("Item", {})
        return {name: next(iter(value.values())) for name, value in item.items()}


@pytest.fixture
def provisioning(
    store: Store, moto_endpoint: str, observer: Observer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Provisioning]:
    """The provisioning function's environment: its progress table built from template.yaml
    and moto's EventBridge as the bus, observed from an empty queue."""
    observer.received()  # what earlier tests published is not this test's
    use_environment(
        monkeypatch,
        {
            "AWS_ENDPOINT_URL_EVENTBRIDGE": moto_endpoint,
            "EVENT_BUS_NAME": "default",
            "EVENT_SOURCE": OBSERVED_SOURCE,
        },
    )
    yield Provisioning(store, PROGRESS_TABLE, moto_endpoint, observer)
    clear_composition()
