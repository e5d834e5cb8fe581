"""make bench-fleet's own logic: what it counts per OU, how it projects, where it writes."""

import botocore.session
import pytest
from botocore.stub import Stubber

from bench.fleet import (
    DEFAULT_SEGMENTS,
    LAMBDA_MEMORY_GB,
    LAMBDA_VCPU,
    SCAN,
    SECTION,
    Measured,
    PerOu,
    RequestCounter,
    Tally,
    ou_of,
    project,
    replace_section,
)


def test_the_counter_asks_for_consumed_capacity_and_files_it_by_ou_reads_apart() -> None:
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    counter = RequestCounter()
    counter.attach(client)
    sent: list[dict[str, object]] = []
    client.meta.events.register("before-call.dynamodb", lambda params, **_: sent.append(params))
    with Stubber(client) as stub:
        stub.add_response("get_item", {"ConsumedCapacity": {"TableName": "p", "CapacityUnits": 1}})
        stub.add_response("query", {"ConsumedCapacity": {"TableName": "e", "CapacityUnits": 0.5}})
        stub.add_response("scan", {"ConsumedCapacity": {"TableName": "m", "CapacityUnits": 7.5}})
        stub.add_response("put_item", {"ConsumedCapacity": {"TableName": "p", "CapacityUnits": 2}})
        client.get_item(TableName="p", Key={"ou_id": {"S": "ou-1"}})
        client.query(
            TableName="e",
            KeyConditionExpression="ou_id = :ou",
            ExpressionAttributeValues={":ou": {"S": "ou-1"}},
        )
        client.scan(TableName="m", Segment=0, TotalSegments=2)
        client.put_item(TableName="p", Item={"ou_id": {"S": "ou-1"}})
    assert all('"ReturnConsumedCapacity": "TOTAL"' in str(p["body"]) for p in sent)
    assert counter.reads["ou-1"] == Tally(requests=2, units=1.5)
    assert counter.reads[SCAN] == Tally(requests=1, units=7.5)
    assert counter.writes["ou-1"] == Tally(requests=1, units=2)
    counter.reset()
    assert not counter.reads
    assert not counter.writes


def test_a_request_names_its_ou_by_key_item_or_key_condition() -> None:
    assert ou_of({"Key": {"ou_id": {"S": "ou-a"}}}) == "ou-a"
    assert ou_of({"Item": {"ou_id": {"S": "ou-c"}, "adopted_at": {"S": "..."}}}) == "ou-c"
    assert ou_of({"ExpressionAttributeValues": {":ou": {"S": "ou-b"}}}) == "ou-b"
    assert ou_of({"TableName": "memberships", "Segment": 0}) is None


def test_per_ou_figures_are_the_median_and_worst_requests_and_mean_units() -> None:
    figures = PerOu.of([Tally(4, 3.0), Tally(4, 4.0), Tally(5, 5.0)])
    assert figures == PerOu(median_requests=4, max_requests=5, units=4.0, max_units=5.0)


def test_the_projection_prices_reads_writes_and_lambda_time() -> None:
    # CPU per OU worth 30 ms on the function's share of a vCPU, plus two 10 ms round trips.
    run = Measured(
        mode="report",
        ous=1_000,
        seconds=10.0,
        cpu_seconds=1_000 * 0.030 * LAMBDA_VCPU,
        typical=PerOu(median_requests=4, max_requests=4, units=3.9, max_units=4),
        large=PerOu(median_requests=4, max_requests=4, units=4, max_units=4),
        scan_units=0.1,
        write_units=0.5,
        published=0,
        adopted=0,
    )
    projection = project(run)
    assert projection.read_units == pytest.approx(40_000_000)
    assert projection.write_units == pytest.approx(5_000_000)
    assert projection.lambda_seconds == pytest.approx(500_000)
    # $5 of reads, $3.125 of writes, 500,000 s at the function's memory at $0.0000133334.
    gb_seconds = 500_000 * LAMBDA_MEMORY_GB
    assert projection.dollars == pytest.approx(5 + 3.125 + gb_seconds * 0.0000133334)
    assert projection.hours == pytest.approx(500_000 / DEFAULT_SEGMENTS / 3600)
    assert projection.segments_for_an_hour == 139


OLD = f"{SECTION}, measured 2026-12-01)\n\nold\n"
NEW = f"{SECTION}, measured 2026-12-04)\n\nnew\n"


def test_the_fleet_section_is_appended_once_then_replaced_in_place() -> None:
    document = "# Benchmarks\n\n## Design notes (hand-written)\n\nWhy.\n"
    first = replace_section(document, OLD)
    assert first == document + "\n" + OLD
    assert replace_section(first, NEW) == document + "\n" + NEW
    followed = first + "\n## Later (hand-written)\n\nKept.\n"
    assert (
        replace_section(followed, NEW)
        == document + "\n" + NEW + "\n## Later (hand-written)\n\nKept.\n"
    )
