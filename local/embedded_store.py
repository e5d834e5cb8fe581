"""An embedded DynamoDB-compatible server (moto in server mode) on 127.0.0.1, and helpers to
build the stack's tables in it from template.yaml and to put items.

The service's code is unchanged when it runs against it: boto3 reads the endpoint from
AWS_ENDPOINT_URL_DYNAMODB like it would for any DynamoDB-compatible server.
"""

import logging
import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

import boto3
from boto3.dynamodb.types import TypeSerializer
from moto.server import ThreadedMotoServer

from local.cfn_template import STATUS_FUNCTION, create_table_requests, load_template

LOOPBACK: Final = "127.0.0.1"
LOCAL_REGION: Final = "us-east-1"
# moto accepts any credentials; these keep boto3 from looking for real ones.
LOCAL_ENVIRONMENT: Final = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": LOCAL_REGION,
}

_serializer = TypeSerializer()


@contextmanager
def embedded_dynamodb(port: int = 0) -> Iterator[str]:
    """Run moto's server on the loopback interface only; yield its endpoint URL."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _check_port_free(port)
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    try:
        host, bound_port = server.get_host_and_port()
        yield f"http://{host}:{bound_port}"
    finally:
        server.stop()


def _check_port_free(port: int) -> None:
    """Raise OSError (EADDRINUSE) for a taken port. ThreadedMotoServer binds in its own thread
    and start() then waits for ever, so a taken port must be caught before it starts."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server will: a port left in TIME_WAIT by a previous run counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((LOOPBACK, port))


def point_sdk_at(endpoint: str) -> None:
    """Point every boto3 client made from now on at a local endpoint, as a user would."""
    os.environ.update(LOCAL_ENVIRONMENT)
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    os.environ["AWS_ENDPOINT_URL_EVENTBRIDGE"] = endpoint


def local_session() -> boto3.session.Session:
    """A session with the placeholder credentials and region a local server accepts."""
    return boto3.session.Session(
        aws_access_key_id=LOCAL_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        region_name=LOCAL_REGION,
    )


def local_client(endpoint: str) -> Any:
    return local_session().client("dynamodb", endpoint_url=endpoint)


def create_tables(
    client: Any, table_names: Mapping[str, str], function: str = STATUS_FUNCTION
) -> None:
    """Create the function's tables exactly as template.yaml defines them; tables it shares
    with another function and that already exist are left as they are."""
    existing = set(client.list_tables()["TableNames"])
    for request in create_table_requests(load_template(), dict(table_names), function):
        if request["TableName"] not in existing:
            client.create_table(**request)


BATCH_WRITE_LIMIT: Final = 25  # items per BatchWriteItem, as DynamoDB allows


def delete_tables(client: Any, table_names: Mapping[str, str]) -> None:
    for table_name in table_names.values():
        client.delete_table(TableName=table_name)


def put_items(client: Any, table_name: str, items: Sequence[Mapping[str, object]]) -> None:
    """Write items in batches, resending whatever the store leaves unprocessed."""
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        pending: Any = {
            table_name: [
                {"PutRequest": {"Item": {k: _serializer.serialize(v) for k, v in item.items()}}}
                for item in items[start : start + BATCH_WRITE_LIMIT]
            ]
        }
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")


def enable_streams(client: Any, table_names: Iterable[str], view_type: str = "KEYS_ONLY") -> None:
    """Give each table a stream, as template.yaml gives the evidence tables, unless it has one
    (for tables built from a template without StreamSpecification)."""
    for table_name in table_names:
        if "StreamSpecification" not in client.describe_table(TableName=table_name)["Table"]:
            client.update_table(
                TableName=table_name,
                StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},
            )
