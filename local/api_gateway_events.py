"""API Gateway HTTP API (payload format 2.0) events, shaped as the deployed API sends them.

The local HTTP front, the sample events and the tests all build their events here, so the shape
lives in one place. What API Gateway does to a request before the function sees it:

- header names are lower-cased, and repeated headers are joined with commas;
- the Cookie header is split into the top-level ``cookies`` list and removed from ``headers``;
- a body, when there is one, arrives base64-encoded (``isBase64Encoded``);
- with a named stage, ``rawPath`` keeps the stage prefix (``/prod/onboarding/status``).
"""

import base64
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

PAYLOAD_VERSION: Final = "2.0"
DEFAULT_STAGE: Final = "$default"
COOKIE_HEADER: Final = "cookie"
# API Gateway writes English month names whatever the locale; strftime's %b would not.
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class ApiIdentity:
    """The parts of ``requestContext`` that name the API rather than the request."""

    account_id: str = "123456789012"
    api_id: str = "local"
    domain_name: str = "localhost"


LOCAL_API: Final = ApiIdentity()


def http_api_event(
    method: str = "GET",
    path: str = "/",
    *,
    query: str = "",
    headers: HeaderInput = (),
    cookies: Sequence[str] | None = None,
    authorizer: Mapping[str, Any] | None = None,
    body: bytes = b"",
    stage: str = DEFAULT_STAGE,
    source_ip: str = "127.0.0.1",
    user_agent: str | None = None,
    request_id: str | None = None,
    received_at: datetime | None = None,
    protocol: str = "HTTP/1.1",
    api: ApiIdentity = LOCAL_API,
) -> dict[str, Any]:
    """The event for one request. ``cookies`` adds to those of a Cookie header; the user agent
    defaults to the User-Agent header; the request id to a fresh UUID; the time to now."""
    header_map = combined_headers(headers)
    cookie_list = [*split_cookie_header(header_map.pop(COOKIE_HEADER, "")), *(cookies or ())]
    raw_path = path if stage == DEFAULT_STAGE else f"/{stage}{path}"
    route_key = f"{method} {path}"
    event: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": header_map,
        "requestContext": {
            "accountId": api.account_id,
            "apiId": api.api_id,
            "domainName": api.domain_name,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": protocol,
                "sourceIp": source_ip,
                "userAgent": header_map.get("user-agent", "") if user_agent is None else user_agent,
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": stage,
            **_request_time(received_at or datetime.now(UTC)),
        },
        "isBase64Encoded": bool(body),
    }
    if body:
        event["body"] = base64.b64encode(body).decode("ascii")
    if authorizer is not None:
        event["requestContext"]["authorizer"] = dict(authorizer)
    # Like API Gateway, no cookies means no "cookies" key (an explicit empty list is kept).
    if cookie_list or cookies is not None:
        event["cookies"] = cookie_list
    return event


def combined_headers(headers: HeaderInput) -> dict[str, str]:
    """Lower-cased names; repeated headers joined with ``,`` (cookies with ``;``, their own
    separator, so that splitting them again gives every cookie back)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    combined: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        separator = "; " if key == COOKIE_HEADER else ","
        combined[key] = f"{combined[key]}{separator}{value}" if key in combined else value
    return combined


def split_cookie_header(value: str) -> list[str]:
    """``"a=1; b=2"`` -> ``["a=1", "b=2"]``, as API Gateway fills the ``cookies`` list."""
    return [cookie.strip() for cookie in value.split(";") if cookie.strip()]


def _request_time(moment: datetime) -> dict[str, Any]:
    utc = moment.astimezone(UTC)
    month = _MONTHS[utc.month - 1]
    return {
        "time": f"{utc:%d}/{month}/{utc:%Y:%H:%M:%S} +0000",
        "timeEpoch": int(utc.timestamp() * 1000),
    }
