"""The progress table's conditional writes on both DynamoDB-compatible servers: a step's first
completion time is never moved later, and an earlier check never overwrites a later outcome."""

import uuid

import pytest

from adapters.progress import DynamoDbProgress
from domain.identifiers import OuId
from tests.integration.conftest import Provisioning

pytestmark = pytest.mark.integration

T1, T2, T3 = "2026-11-28T12:00:00.000Z", "2026-11-28T12:01:00.000Z", "2026-11-28T12:02:00.000Z"


def progress_of(provisioning: Provisioning) -> DynamoDbProgress:
    return DynamoDbProgress(provisioning.store.client, provisioning.progress_table)


def new_ou() -> OuId:
    return OuId(f"ou-progress-{uuid.uuid4().hex[:12]}")


def test_a_steps_first_completion_time_is_never_moved(provisioning: Provisioning) -> None:
    progress, ou_id = progress_of(provisioning), new_ou()
    first = progress.record_steps_completed(ou_id, frozenset({"a"}), T1)
    assert first.steps_completed_at == {"a": T1}
    later = progress.record_steps_completed(ou_id, frozenset({"a", "b"}), T2)
    assert later.steps_completed_at == {"a": T1, "b": T2}
    assert progress.get(ou_id).steps_completed_at == {"a": T1, "b": T2}


def test_an_earlier_check_never_overwrites_a_later_outcome(provisioning: Provisioning) -> None:
    progress, ou_id = progress_of(provisioning), new_ou()
    assert progress.get(ou_id).last_outcome == frozenset()
    progress.record_outcome(ou_id, frozenset({"a", "b"}), T2)
    progress.record_outcome(ou_id, frozenset({"a"}), T1)  # a slower, older check
    assert progress.get(ou_id).last_outcome == {"a", "b"}
    progress.record_outcome(ou_id, frozenset(), T3)
    assert progress.get(ou_id).last_outcome == frozenset()
