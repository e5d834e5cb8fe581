"""EventBridge behind the domain's EventPublisher port."""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from adapters.aws_errors import translated_aws_errors
from domain.provisioning import OnboardingEvent, PublishFailed

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

PUT_EVENTS_LIMIT: Final = 10


class EventBridgePublisher:
    def __init__(self, client: "EventBridgeClient", bus_name: str, source: str) -> None:
        self._client = client
        self._bus_name = bus_name
        self._source = source

    def publish(self, events: Sequence[OnboardingEvent]) -> None:
        """Publish all events or raise. PutEvents can accept some entries and reject others;
        any rejected entry fails the whole publish, so the caller retries the check."""
        if len(events) > PUT_EVENTS_LIMIT:
            raise ValueError(f"at most {PUT_EVENTS_LIMIT} events per publish")
        entries: list[PutEventsRequestEntryTypeDef] = [
            {
                "Source": self._source,
                "DetailType": event.detail_type,
                "Detail": json.dumps(event.detail),
                "EventBusName": self._bus_name,
            }
            for event in events
        ]
        with translated_aws_errors("EventBridge PutEvents"):
            response = self._client.put_events(Entries=entries)
        if response.get("FailedEntryCount", 0):
            codes = sorted(
                {e.get("ErrorCode", "?") for e in response["Entries"] if "ErrorCode" in e}
            )
            raise PublishFailed(f"EventBridge rejected entries: {', '.join(codes)}")
