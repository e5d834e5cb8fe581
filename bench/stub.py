"""DynamoDB answered in-process at zero latency, for measuring a handler's own overhead.

Two places to answer, both keyed by operation rather than by call order (concurrent checks have
no fixed order, which botocore's Stubber needs):

- ``before-call``: where botocore's Stubber answers. The SDK builds and serialises each request
  and hands back a parsed response: no signing, no HTTP, no parsing.
- ``before-send``: the request is also signed and the response is parsed from JSON bytes, as it
  would be from DynamoDB; only the socket is missing.
"""

import json
import zlib
from collections.abc import Iterator
from typing import Any, Final, Literal

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

Boundary = Literal["before-call", "before-send"]
TARGET_PREFIX: Final = "DynamoDB_20120810."
ANSWERS: Final[dict[str, dict[str, Any]]] = {
    # An active membership, and a first page holding one qualifying item.
    "GetItem": {"Item": {"status": {"S": "active"}}},
    "Query": {"Count": 1, "ScannedCount": 1, "Items": [{"ou_id": {"S": "ou-bench"}}]},
}


class _Body:
    """The part of urllib3's response that botocore reads: the body as a stream."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class ZeroLatencyDynamoDb:
    """Answers GetItem with an active membership and Query with one qualifying item."""

    def __init__(self, boundary: Boundary = "before-call") -> None:
        self.boundary = boundary
        self.calls = 0
        self._bodies = {name: json.dumps(answer).encode() for name, answer in ANSWERS.items()}

    def attach(self, client: Any) -> Any:
        handler = self._parsed if self.boundary == "before-call" else self._raw
        client.meta.events.register(f"{self.boundary}.dynamodb", handler)
        return client

    def _parsed(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        self.calls += 1
        metadata = {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}
        return AWSResponse("", 200, HTTPHeaders(), None), {
            **ANSWERS[model.name],
            "ResponseMetadata": metadata,
        }

    def _raw(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.calls += 1
        target = request.headers["X-Amz-Target"]
        name = (target.decode() if isinstance(target, bytes) else target).removeprefix(
            TARGET_PREFIX
        )
        body = self._bodies[name]
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        headers["x-amz-crc32"] = str(zlib.crc32(body))
        headers["x-amzn-RequestId"] = "bench"
        return AWSResponse(request.url, 200, headers, _Body(body))
