"""The benchmark's read-unit arithmetic (bench/capacity.py), against DynamoDB's sizing rules."""

import pytest

from bench.capacity import item_size, strongly_consistent_read_units, value_size


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "hubspot"}, 7),
        ({"S": "é"}, 2),  # UTF-8 bytes, not characters
        ({"N": "50"}, 2),  # 2 significant digits: 1 byte, plus 1
        ({"N": "100"}, 2),  # trailing zeros are not significant
        ({"N": "12345"}, 4),
        ({"N": "-0.5"}, 2),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (2 + 1) + (2 + 1)),
        ({"M": {"k": {"S": "v"}}}, 3 + (1 + 1 + 1)),
    ],
)
def test_value_sizes_follow_dynamodbs_rules(value: dict[str, object], size: int) -> None:
    assert value_size(value) == size


def test_an_item_weighs_its_names_and_values() -> None:
    item = {"ou_id": "ou-1", "rule_id": "rule-000001", "active": True, "min_score": 50}
    assert item_size(item) == (5 + 4) + (7 + 11) + (6 + 1) + (9 + 2)


@pytest.mark.parametrize(
    ("sizes", "units"),
    [([], 1), ([1], 1), ([4096], 1), ([4096, 1], 2), ([100] * 1024, 25)],
)
def test_a_strongly_consistent_read_costs_a_unit_per_4_kb_and_at_least_one(
    sizes: list[int], units: int
) -> None:
    assert strongly_consistent_read_units(sizes) == units
