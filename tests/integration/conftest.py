"""Integration tier: the Lambda entry point against DynamoDB-compatible servers over HTTP on
127.0.0.1, with tables built from template.yaml. Nothing in boto3 is patched: the production
client finds the server through AWS_ENDPOINT_URL_DYNAMODB, as it would any endpoint.

Every test that uses the store runs twice, against two independent implementations: moto's
server and dynalite (tests/dynalite.py). moto is lenient where DynamoDB is strict, dynalite
elsewhere; a difference between them is a bug of ours or a documented gap of one of them
(docs/failure-modes.md). EventBridge and SQS are always moto's.
"""

import socket
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import composition
from local.cfn_template import load_template, table_logical_ids
from local.embedded_store import (
    LOCAL_ENVIRONMENT,
    create_tables,
    embedded_dynamodb,
    local_client,
    put_items,
)
from local.event_bus import published_events, subscribe_observer
from tests.dynalite import DynaliteServer
from tests.factories import OuData

DYNAMODB_SERVERS = ("moto", "dynalite")
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


def reset_moto(endpoint: str) -> None:
    """Forget every table, rule and queue of moto's server (an endpoint only moto has)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def delete_all_tables(client: Any) -> None:
    """What works on any DynamoDB-compatible server: delete every table there is, and wait
    until they are gone (dynalite deletes in the background, even with --deleteTableMs 0)."""
    for table_name in client.list_tables()["TableNames"]:
        client.delete_table(TableName=table_name)
    deadline = time.monotonic() + TABLE_CHANGE_SECONDS
    while client.list_tables()["TableNames"]:
        assert time.monotonic() < deadline, "tables were not deleted in time"
        time.sleep(0.01)


def create_active_tables(
    client: Any, table_names: dict[str, str], function: str = "StatusFunction"
) -> None:
    """Create a function's tables from template.yaml and wait until they take writes
    (dynalite creates in the background, even with --createTableMs 0)."""
    create_tables(client, table_names, function)
    deadline = time.monotonic() + TABLE_CHANGE_SECONDS
    for table_name in table_names.values():
        while client.describe_table(TableName=table_name)["Table"]["TableStatus"] != "ACTIVE":
            assert time.monotonic() < deadline, f"{table_name} did not become active in time"
            time.sleep(0.01)


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


def use_environment(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    clear_composition()


@pytest.fixture
def store(
    dynamodb_endpoint: str,
    moto_endpoint: str,
    table_names: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Store]:
    """Fresh tables from template.yaml, and the handler's environment pointing at them."""
    reset_moto(moto_endpoint)
    client = local_client(dynamodb_endpoint)
    delete_all_tables(client)
    create_active_tables(client, table_names)
    use_environment(
        monkeypatch,
        {**LOCAL_ENVIRONMENT, "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint, **table_names},
    )
    yield Store(client, table_names)
    clear_composition()


OBSERVED_SOURCE = "kenbun.onboarding.test"


@dataclass
class Provisioning:
    """The provisioning check's world: the store, its progress table and the event bus,
    with an observer queue subscribed to everything the check publishes."""

    store: Store
    progress_table: str
    endpoint: str

    def published(self) -> list[dict[str, Any]]:
        """Every event published since the last call, oldest first."""
        return published_events(self.endpoint)

    def progress(self, ou_id: str) -> dict[str, Any]:
        item = self.store.client.get_item(
            TableName=self.progress_table, Key={"ou_id": {"S": ou_id}}, ConsistentRead=True
        ).get("Item", {})
        return {name: next(iter(value.values())) for name, value in item.items()}


@pytest.fixture
def provisioning(
    store: Store, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Provisioning]:
    """The provisioning function's environment: its progress table built from template.yaml
    and moto's EventBridge as the bus."""
    progress_table = "test-ProgressTable"
    create_active_tables(store.client, {"PROGRESS_TABLE": progress_table}, "ProvisioningFunction")
    subscribe_observer(moto_endpoint, OBSERVED_SOURCE)
    use_environment(
        monkeypatch,
        {
            "AWS_ENDPOINT_URL_EVENTBRIDGE": moto_endpoint,
            "PROGRESS_TABLE": progress_table,
            "EVENT_BUS_NAME": "default",
            "EVENT_SOURCE": OBSERVED_SOURCE,
        },
    )
    yield Provisioning(store, progress_table, moto_endpoint)
    clear_composition()
