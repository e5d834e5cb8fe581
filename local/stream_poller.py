"""A local stand-in for Lambda's DynamoDB Streams event source mapping.

It reads the streams of the embedded store's tables (DescribeStream, GetShardIterator,
GetRecords), starting at LATEST, and hands each batch to the provisioning function's handler in
the shape Lambda delivers. When the handler reports ``batchItemFailures`` it redelivers from the
lowest reported sequence number (the whole batch when the invocation raises), up to a bounded
number of retries; then it drops the batch, where Lambda would send it to the on-failure
destination. One background thread polls every shard in turn until stop().
"""

import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Self, TextIO

from botocore.config import Config

from local.background import BackgroundService
from local.cfn_template import PROVISIONING_FUNCTION
from local.embedded_store import LOCAL_REGION, local_client, local_session
from local.event_bus import published_events
from local.lambda_runtime import LambdaHandler, load_handler, new_context

EVENT_VERSION: Final = "1.1"  # what Lambda delivers for DynamoDB Streams records
BATCH_SIZE: Final = 100  # the event source mapping's default for DynamoDB Streams
POLL_SECONDS: Final = 0.25  # Lambda polls each shard about four times a second
RETRY_SECONDS: Final = 0.5
MAX_RETRIES: Final = 3
_CLIENT_CONFIG: Final = Config(
    connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}
)


@dataclass
class _Shard:
    stream_arn: str
    iterator: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)  # to (re)deliver, in order
    failed_deliveries: int = 0
    retry_at: float = 0.0


class StreamPoller(BackgroundService):
    def __init__(
        self,
        endpoint: str,
        table_names: Iterable[str],
        handler: LambdaHandler,
        *,
        after_batch: Callable[[], None] = lambda: None,
        retry_seconds: float = RETRY_SECONDS,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self._endpoint = endpoint
        self._table_names = list(table_names)
        self._handler = handler
        self._after_batch = after_batch
        self._retry_seconds = retry_seconds
        self._max_retries = max_retries
        self._streams = local_session().client(
            "dynamodbstreams", endpoint_url=endpoint, config=_CLIENT_CONFIG
        )
        self._shards: list[_Shard] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Start reading each table's stream from now on (LATEST), like a new mapping."""
        tables = local_client(self._endpoint)
        for table_name in self._table_names:
            stream_arn = tables.describe_table(TableName=table_name)["Table"].get("LatestStreamArn")
            if stream_arn is not None:
                self._shards += self._open_shards(stream_arn)
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _open_shards(self, stream_arn: str) -> list[_Shard]:
        stream = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
        return [
            _Shard(
                stream_arn,
                self._streams.get_shard_iterator(
                    StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
                )["ShardIterator"],
            )
            for shard in stream["Shards"]
        ]

    def _run(self) -> None:
        while not self._stopping.is_set():
            for shard in self._shards:
                try:
                    self._poll(shard)
                except Exception as error:  # the store went away, a bug: report, keep polling
                    print(f"stream poller: {type(error).__name__}: {error}", file=sys.stderr)
            self._stopping.wait(POLL_SECONDS)

    def _poll(self, shard: _Shard) -> None:
        if not shard.pending and shard.iterator is not None:
            response = self._streams.get_records(ShardIterator=shard.iterator, Limit=BATCH_SIZE)
            shard.iterator = response.get("NextShardIterator")  # None: the shard is closed
            shard.pending = [lambda_record(r, shard.stream_arn) for r in response["Records"]]
        if not shard.pending or time.monotonic() < shard.retry_at:
            return
        shard.pending = self._deliver(shard.pending)
        self._after_batch()
        if not shard.pending:
            shard.failed_deliveries = 0
        elif shard.failed_deliveries >= self._max_retries:
            print(
                f"stream poller: dropped {len(shard.pending)} records after"
                f" {self._max_retries} retries (Lambda: the on-failure destination)",
                file=sys.stderr,
            )
            shard.pending, shard.failed_deliveries = [], 0
        else:
            shard.failed_deliveries += 1
            shard.retry_at = time.monotonic() + self._retry_seconds

    def _deliver(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Invoke the handler with one batch; return the records to deliver again."""
        try:
            response = self._handler({"Records": records}, new_context(PROVISIONING_FUNCTION))
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        except Exception as error:
            print(f"stream poller: the invocation failed: {error!r}", file=sys.stderr)
            return records
        for index, record in enumerate(records):
            if record["dynamodb"]["SequenceNumber"] in failed:
                return records[index:]  # Lambda resumes from the lowest reported
        return []


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda's event source mapping delivers it: event version 1.1,
    the stream's ARN, and the creation time in epoch seconds (the SDK parses a datetime)."""
    stream_record = dict(record["dynamodb"])
    created = stream_record.get("ApproximateCreationDateTime")
    if created is not None and not isinstance(created, int | float):
        stream_record["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": EVENT_VERSION,
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", LOCAL_REGION),
        "dynamodb": stream_record,
        "eventSourceARN": stream_arn,
    }


def print_published_events(endpoint: str, console: TextIO) -> Callable[[], None]:
    """Print each event the local bus's observer received, one line each."""

    def print_events() -> None:
        for event in published_events(endpoint):
            detail = event.get("detail", {})
            extra = ""
            if "completion_id" in detail:
                extra = f" completion_id={detail['completion_id']}"
            elif "completed_count" in detail:
                extra = f" {detail['completed_count']}/{detail.get('total_count')} steps"
            line = f"[event bus] {event.get('detail-type')}: {detail.get('ou_id')}{extra}"
            print(line, file=console, flush=True)

    return print_events


def local_stream_poller(endpoint: str, table_names: Iterable[str], console: TextIO) -> StreamPoller:
    """The poller ``make serve`` runs: the provisioning handler on every table with a stream,
    printing what it publishes on ``console``."""
    return StreamPoller(
        endpoint,
        table_names,
        load_handler(PROVISIONING_FUNCTION),
        after_batch=print_published_events(endpoint, console),
    )
