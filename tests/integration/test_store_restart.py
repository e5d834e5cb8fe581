"""A DynamoDB-compatible server that disappears mid-run and comes back on the same port: its
own dynalite process, killed and restarted, its data kept on disk (LevelDB) as a real store
keeps it. Requests fail cleanly with a 503 while it is gone, then succeed again through the
same composition and the same boto3 client, without restarting the handler."""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import composition
from handlers.status_api import lambda_handler
from local.embedded_store import LOCAL_ENVIRONMENT, local_client, put_items
from tests.dynalite import DynaliteServer
from tests.factories import LambdaContextStub, OuData, body_of, header, http_api_event
from tests.factories import lambda_authorizer as authorizer
from tests.integration.conftest import clear_composition, create_active_tables, use_environment

pytestmark = pytest.mark.integration


@pytest.fixture
def server(
    tmp_path: Path, table_names: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[DynaliteServer]:
    """A store of its own: alice is a member of ou-1, which has completed every step."""
    with DynaliteServer(data_dir=tmp_path / "leveldb") as running:
        client = local_client(running.url)
        create_active_tables(client, table_names)
        put_items(
            client, table_names["MEMBERSHIPS_TABLE"], [{"ou_id": "ou-1", "principal_id": "alice"}]
        )
        ou = OuData("ou-1").complete()
        put_items(client, table_names["INTEGRATIONS_TABLE"], ou.integrations)
        put_items(client, table_names["SCORING_RULES_TABLE"], ou.scoring_rules)
        put_items(client, table_names["ENGAGEMENT_LEVELS_TABLE"], ou.engagement_levels)
        use_environment(
            monkeypatch,
            {
                **LOCAL_ENVIRONMENT,
                **table_names,
                "AWS_ENDPOINT_URL_DYNAMODB": running.url,
            },
        )
        yield running
    clear_composition()  # its client points at a server that is gone now


def get_status() -> dict[str, Any]:
    event = http_api_event(authorizer=authorizer("alice", "ou-1"))
    return lambda_handler(event, LambdaContextStub())


def test_requests_fail_cleanly_while_the_store_is_gone_and_recover_when_it_returns(
    server: DynaliteServer,
) -> None:
    assert get_status()["statusCode"] == 200
    service = composition.status_service()  # holds the settings, the client and its pool

    server.kill()
    for _ in range(3):
        gone = get_status()
        assert gone["statusCode"] == 503, gone
        assert body_of(gone)["code"] == "service_unavailable"
        assert header(gone, "Retry-After") == "2"

    server.start()  # same port, same data
    back = get_status()
    assert back["statusCode"] == 200, back
    assert body_of(back)["all_complete"] is True
    assert composition.status_service() is service


def test_a_store_killed_under_load_fails_requests_cleanly_then_serves_them_again(
    server: DynaliteServer,
) -> None:
    """Requests in flight when the store dies each get a 200 (answered before) or a 503,
    never anything else; those after its return get 200s. One request at a time, as in one
    execution environment, while another thread kills the server."""
    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=1) as killer:
        killing = killer.submit(_kill_after, server, 0.3)
        while not killing.done():
            statuses.append(get_status()["statusCode"])
        killing.result()
    statuses += [get_status()["statusCode"] for _ in range(2)]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[-1] == 503

    server.start()
    assert [get_status()["statusCode"] for _ in range(5)] == [200] * 5


def _kill_after(server: DynaliteServer, seconds: float) -> None:
    time.sleep(seconds)
    server.kill()
