"""EventBridge behind the domain's EventPublisher port."""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from adapters.aws_errors import translated_aws_errors
from domain.errors import DependencyUnavailable
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
            results = response["Entries"]
            failed_count = response["FailedEntryCount"]
        # Published means an event id for every entry. A response that does not account for
        # each entry proves nothing was published: the completion must stay owed.
        if len(results) != len(entries):
            raise DependencyUnavailable("EventBridge PutEvents failed: malformed response")
        if failed_count or any("EventId" not in result for result in results):
            codes = sorted({r.get("ErrorCode", "?") for r in results if "EventId" not in r})
            raise PublishFailed(f"EventBridge rejected entries: {', '.join(codes)}")
