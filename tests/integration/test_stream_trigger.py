"""The stream trigger over the wire: DynamoDB Streams of the evidence tables (moto's, the only
local server with streams) -> the local stream poller or a Lambda-shaped batch -> the
provisioning handler -> moto's EventBridge. Faults come from tests/faults.py's proxy.

Every test uses OU ids of its own and reads only its own OUs' events: tables and the bus may
hold other tests' data.
"""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest

from handlers.provisioning_check import lambda_handler
from local.embedded_store import enable_streams, put_items
from local.stream_poller import StreamPoller
from tests.factories import LambdaContextStub, OuData, stream_event, stream_record
from tests.faults import FaultProxy, Garbage, Rule
from tests.integration.conftest import Provisioning, use_environment

pytestmark = pytest.mark.integration

COMPLETED: Final = "Onboarding Completed"
CHECKED: Final = "Onboarding Status Checked"
EVIDENCE_TABLES: Final = ("INTEGRATIONS_TABLE", "SCORING_RULES_TABLE", "ENGAGEMENT_LEVELS_TABLE")
WAIT_SECONDS: Final = 5.0
QUIET_SECONDS: Final = 1.0  # after the awaited event: long enough for a duplicate to show
PUT_EVENTS: Final = "AWSEvents.PutEvents"
# PutEvents answered as when EventBridge fails an entry (HTTP 200, FailedEntryCount 1).
ENTRY_FAILED: Final = Garbage(
    body=b'{"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}'
)


@pytest.fixture
def dynamodb_endpoint(moto_endpoint: str) -> str:
    return moto_endpoint


@pytest.fixture
def streams(provisioning: Provisioning) -> Provisioning:
    """The evidence tables with KEYS_ONLY streams, as template.yaml gives the stack's tables."""
    tables = [provisioning.store.tables[variable] for variable in EVIDENCE_TABLES]
    enable_streams(provisioning.store.client, tables)
    return provisioning


@pytest.fixture
def delivered() -> list[dict[str, Any]]:
    """Every batch the poller hands to the handler."""
    return []


@pytest.fixture
def poller(
    streams: Provisioning, moto_endpoint: str, delivered: list[dict[str, Any]]
) -> Iterator[StreamPoller]:
    def recording_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        delivered.append(event)
        result: dict[str, Any] = lambda_handler(event, context)
        return result

    tables = [streams.store.tables[variable] for variable in EVIDENCE_TABLES]
    with StreamPoller(moto_endpoint, tables, recording_handler, retry_seconds=0.1) as running:
        yield running


@pytest.fixture
def event_proxy(
    provisioning: Provisioning, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultProxy]:
    """EventBridge and DynamoDB reached through the fault proxy; the tests read directly."""
    with FaultProxy(moto_endpoint) as proxy:
        use_environment(
            monkeypatch,
            {"AWS_ENDPOINT_URL_EVENTBRIDGE": proxy.url, "AWS_ENDPOINT_URL_DYNAMODB": proxy.url},
        )
        yield proxy


def new_ou() -> str:
    return f"ou-stream-{uuid.uuid4().hex[:12]}"


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = lambda_handler(event, LambdaContextStub())
    return result


class Observer:
    """The events published for some OUs, accumulated across reads of the shared observer."""

    def __init__(self, provisioning: Provisioning, *ou_ids: str) -> None:
        self._provisioning = provisioning
        self._ou_ids = set(ou_ids)
        self.events: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        self.events += [
            event
            for event in self._provisioning.published()
            if event["detail"].get("ou_id") in self._ou_ids
        ]
        return self.events

    def of(self, ou_id: str, detail_type: str) -> list[dict[str, Any]]:
        return [
            event["detail"]
            for event in self.read()
            if event["detail"]["ou_id"] == ou_id and event["detail-type"] == detail_type
        ]

    def wait_for(self, found: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not found():
            assert time.monotonic() < deadline, f"not observed in time: {self.events}"
            time.sleep(0.05)
        time.sleep(QUIET_SECONDS)  # then anything published twice would be seen too


def complete_with_last_step(provisioning: Provisioning, ou_id: str) -> None:
    put_items(
        provisioning.store.client,
        provisioning.store.tables["ENGAGEMENT_LEVELS_TABLE"],
        OuData(ou_id).engagement_level().engagement_levels,
    )


# --- through the local poller ----------------------------------------------------------------


def test_the_completing_write_publishes_completed_once_through_the_poller(
    streams: Provisioning, poller: StreamPoller, delivered: list[dict[str, Any]]
) -> None:
    ou_id = new_ou()
    streams.store.seed(OuData(ou_id).integration().scoring_rule())
    observer = Observer(streams, ou_id)
    complete_with_last_step(streams, ou_id)

    observer.wait_for(lambda: bool(observer.of(ou_id, COMPLETED)))
    [completed] = observer.of(ou_id, COMPLETED)
    assert completed["completion_id"] == streams.progress(ou_id)["completion_id"]
    assert set(completed["steps_completed_at"]) == {
        "connect_integration",
        "create_scoring_rules",
        "set_engagement_levels",
    }
    [checked] = observer.of(ou_id, CHECKED)  # the earlier writes were before the poller began
    assert checked["all_complete"] is True


def test_the_poller_delivers_records_as_lambda_does(
    streams: Provisioning, poller: StreamPoller, delivered: list[dict[str, Any]]
) -> None:
    ou_id = new_ou()
    streams.store.seed(OuData(ou_id).integration())
    observer = Observer(streams, ou_id)
    observer.wait_for(lambda: bool(observer.of(ou_id, CHECKED)))
    records = [r for batch in delivered for r in batch["Records"]]
    [record] = [r for r in records if r["dynamodb"]["Keys"]["ou_id"] == {"S": ou_id}]
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert (record["eventName"], record["eventVersion"], record["eventSource"]) == (
        "INSERT",
        "1.1",
        "aws:dynamodb",
    )
    stream = record["dynamodb"]
    assert set(stream) == {
        "ApproximateCreationDateTime",
        "Keys",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    }
    assert isinstance(stream["ApproximateCreationDateTime"], int)  # epoch seconds
    assert abs(stream["ApproximateCreationDateTime"] - time.time()) < 60
    assert stream["StreamViewType"] == "KEYS_ONLY"
    assert ":table/test-IntegrationsTable/stream/" in record["eventSourceARN"]


def test_a_failed_publish_is_retried_by_the_poller_and_completes_once(
    streams: Provisioning, event_proxy: FaultProxy, poller: StreamPoller
) -> None:
    ou_id = new_ou()
    streams.store.seed(OuData(ou_id).integration().scoring_rule())
    observer = Observer(streams, ou_id)
    event_proxy.inject(Rule(PUT_EVENTS, ENTRY_FAILED, body_contains=ou_id, times=1))
    complete_with_last_step(streams, ou_id)

    observer.wait_for(lambda: bool(observer.of(ou_id, COMPLETED)))
    assert len(observer.of(ou_id, COMPLETED)) == 1
    refused = [seen for seen in event_proxy.requests(PUT_EVENTS) if seen.fault is not None]
    assert len(refused) == 1
    assert streams.progress(ou_id)["completion_published"] is True


# --- Lambda-shaped batches straight to the handler ----------------------------------------------


def test_the_failed_ous_records_are_reported_and_its_retry_completes_once(
    streams: Provisioning, event_proxy: FaultProxy
) -> None:
    failing, healthy = new_ou(), new_ou()
    streams.store.seed(OuData(failing).complete(), OuData(healthy).integration())
    observer = Observer(streams, failing, healthy)
    event_proxy.inject(Rule(PUT_EVENTS, ENTRY_FAILED, body_contains=failing, times=1))
    batch = [stream_record(failing, 101), stream_record(healthy, 102), stream_record(failing, 103)]

    response = invoke(stream_event(*batch))

    assert response == {"batchItemFailures": [{"itemIdentifier": "101"}, {"itemIdentifier": "103"}]}
    assert observer.of(failing, COMPLETED) == []
    assert len(observer.of(healthy, CHECKED)) == 1
    # Lambda redelivers from the lowest reported sequence number: the whole batch here.
    assert invoke(stream_event(*batch)) == {"batchItemFailures": []}
    [completed] = observer.of(failing, COMPLETED)
    assert completed["completion_id"] == streams.progress(failing)["completion_id"]
    assert len(observer.of(healthy, CHECKED)) == 1  # no news for the OU checked before


def test_the_same_batch_delivered_twice_publishes_nothing_more(streams: Provisioning) -> None:
    ou_id = new_ou()
    streams.store.seed(OuData(ou_id).complete())
    observer = Observer(streams, ou_id)
    batch = stream_event(stream_record(ou_id, 7), stream_record(ou_id, 8))
    assert invoke(batch) == {"batchItemFailures": []}
    assert invoke(batch) == {"batchItemFailures": []}
    assert [e["detail-type"] for e in observer.read()] == [CHECKED, COMPLETED]


def test_records_without_a_usable_ou_id_are_skipped_not_retried(
    streams: Provisioning, caplog: pytest.LogCaptureFixture
) -> None:
    ou_id = new_ou()
    streams.store.seed(OuData(ou_id).integration())
    observer = Observer(streams, ou_id)
    unusable = [
        stream_record(None, 1),  # another writer's item: no ou_id key
        stream_record({"N": "42"}, 2),
        stream_record("../etc/passwd", 3),
        stream_record("", 4),
    ]
    no_keys = stream_record(ou_id, 5)
    del no_keys["dynamodb"]["Keys"]
    response = invoke(stream_event(*unusable, no_keys, stream_record(ou_id, 6)))
    assert response == {"batchItemFailures": []}
    assert [e["detail"]["ou_id"] for e in observer.read()] == [ou_id]
    skipped = [r for r in caplog.records if r.getMessage().startswith("skipped a stream record")]
    assert len(skipped) == 5


def test_a_batch_of_n_records_over_k_ous_runs_k_checks(
    streams: Provisioning, event_proxy: FaultProxy
) -> None:
    ous = [new_ou() for _ in range(3)]
    streams.store.seed(*(OuData(ou_id).integration() for ou_id in ous))
    records = [
        stream_record(ous[n % 3], 1000 + n, integration_id={"S": f"i{n}"}) for n in range(30)
    ]
    event_proxy.forget_requests()
    assert invoke(stream_event(*records)) == {"batchItemFailures": []}
    progress_reads = event_proxy.attempts("DynamoDB_20120810.GetItem", streams.progress_table)
    assert progress_reads == 3
    assert event_proxy.attempts("DynamoDB_20120810.Query", "test-IntegrationsTable") == 3


def test_two_batches_for_one_ou_at_once_agree_on_one_completion(streams: Provisioning) -> None:
    ou_id = new_ou()
    streams.store.seed(OuData(ou_id).complete())
    observer = Observer(streams, ou_id)
    batches = [stream_event(stream_record(ou_id, n, table=t)) for n, t in ((1, "a"), (2, "b"))]
    responses: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda b=b: responses.append(invoke(b))) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert responses == [{"batchItemFailures": []}] * 2
    # One completion id, whoever won the conditional claim. Both checks may find it unpublished
    # and publish it (at least once, as with any trigger): consumers drop the duplicate by id.
    completions = observer.of(ou_id, COMPLETED)
    assert {c["completion_id"] for c in completions} == {streams.progress(ou_id)["completion_id"]}
    assert 1 <= len(completions) <= 2
    assert 1 <= len(observer.of(ou_id, CHECKED)) <= 2
