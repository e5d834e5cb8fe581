"""make serve's generated fleet: the same every run, every stage and kind of record present, step
times in the past and in order, progress records in the provisioning check's own format."""

from datetime import UTC, datetime, timedelta

from boto3.dynamodb.types import TypeSerializer

from adapters.progress import _state
from domain.checklist import CHECKLIST
from local.demo_data import (
    CURRENT,
    DEMO_ITEMS,
    FLEET_RECORDS,
    FLEET_STAGES,
    STALE,
    UNRECORDED,
    demo_items,
    fleet_items,
    fleet_ous,
)

NOW = datetime(2026, 12, 4, tzinfo=UTC)
FLEET = fleet_ous()


def test_the_fleet_is_the_same_every_run_and_has_every_stage_and_record() -> None:
    assert fleet_ous() == FLEET
    assert len(FLEET) == 300
    assert {ou.done for ou in FLEET} == {stage for stage, _ in FLEET_STAGES}
    assert {ou.record for ou in FLEET} == {record for record, _ in FLEET_RECORDS}
    assert all(1 <= ou.members <= 3 for ou in FLEET)


def test_steps_were_done_in_order_in_the_past() -> None:
    for ou in FLEET:
        assert len(ou.hours_ago) == len(ou.done)
        assert list(ou.hours_ago) == sorted(ou.hours_ago, reverse=True)
        assert all(hours > 0 for hours in ou.hours_ago)


def test_a_record_holds_what_the_checks_saw_one_step_behind_when_stale() -> None:
    for ou in FLEET:
        expected = {CURRENT: ou.done, UNRECORDED: (), STALE: ou.done[:-1]}[ou.record]
        assert ou.recorded == expected
        if ou.record == STALE:
            assert ou.recorded  # a stale record still holds a step


def test_progress_records_read_back_as_the_provisioning_check_wrote_them() -> None:
    serializer = TypeSerializer()
    records = {item["ou_id"]: item for item in fleet_items(FLEET, NOW)["PROGRESS_TABLE"]}
    assert set(records) == {ou.ou_id for ou in FLEET if ou.recorded}
    for ou in FLEET:
        if not ou.recorded:
            continue
        item = {name: serializer.serialize(value) for name, value in records[ou.ou_id].items()}
        state = _state(item)
        assert state.recorded
        assert state.last_outcome == frozenset(ou.recorded)
        assert state.steps_completed_at.keys() == set(ou.recorded)
        assert state.sequence == len(ou.recorded)
        first = min(state.steps_completed_at.values())
        assert first == (NOW - timedelta(hours=ou.hours_ago[0])).isoformat(
            timespec="milliseconds"
        ).replace("+00:00", "Z")
        complete = len(ou.recorded) == len(CHECKLIST)
        assert (state.completion_id is not None) is complete
        assert state.completion_published is complete


def test_the_hand_written_ous_are_seeded_unchanged_beside_the_fleet() -> None:
    seeded = demo_items(NOW)
    for variable, items in DEMO_ITEMS.items():
        assert list(seeded[variable][: len(items)]) == list(items)
    fleet_ids = {
        item["ou_id"]
        for item in seeded["MEMBERSHIPS_TABLE"][len(DEMO_ITEMS["MEMBERSHIPS_TABLE"]) :]
    }
    assert fleet_ids == {ou.ou_id for ou in FLEET}
