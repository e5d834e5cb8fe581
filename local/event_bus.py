"""moto's EventBridge as the local stand-in for the event bus, with an observer: an SQS queue
subscribed to every event of one source, so a reader (or a test) can see what was published."""

import json
from typing import Any, Final

from local.embedded_store import local_session

OBSERVER_QUEUE: Final = "published-onboarding-events"
OBSERVER_RULE: Final = "observe-onboarding-events"
_RECEIVE_LIMIT: Final = 10


def subscribe_observer(endpoint: str, source: str, bus: str = "default") -> str:
    """Route every event of ``source`` on ``bus`` to the observer queue; return its URL."""
    sqs = local_session().client("sqs", endpoint_url=endpoint)
    queue_url: str = sqs.create_queue(QueueName=OBSERVER_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    events = local_session().client("events", endpoint_url=endpoint)
    events.put_rule(
        Name=OBSERVER_RULE, EventBusName=bus, EventPattern=json.dumps({"source": [source]})
    )
    events.put_targets(
        Rule=OBSERVER_RULE,
        EventBusName=bus,
        Targets=[{"Id": "observer", "Arn": queue_arn["Attributes"]["QueueArn"]}],
    )
    return queue_url


def published_events(endpoint: str) -> list[dict[str, Any]]:
    """Every event the observer has received since the last call, oldest first."""
    sqs = local_session().client("sqs", endpoint_url=endpoint)
    queue_url = sqs.get_queue_url(QueueName=OBSERVER_QUEUE)["QueueUrl"]
    received: list[dict[str, Any]] = []
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=_RECEIVE_LIMIT, WaitTimeSeconds=0
    ).get("Messages", []):
        for message in messages:
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return sorted(received, key=lambda event: str(event.get("time", "")))
