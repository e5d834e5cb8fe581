"""Read units as DynamoDB bills them, computed from what each request read.

moto returns a fixed ConsumedCapacity whatever a request reads, so the benchmark computes read
units itself, per DynamoDB's documented rules:

- an item's size is the sum, over its attributes, of the name's UTF-8 length plus the value's
  size: a string its UTF-8 length, a number 1 byte per two significant digits plus 1, a
  boolean or null 1 byte, a list or map 3 bytes plus its elements (and 1 byte per element);
- GetItem costs the item's size rounded up to 4 KB, one read unit per 4 KB for a strongly
  consistent read, at least 1 (also for a missing item);
- Query costs the total size of every item it *read* (ScannedCount: before any filter, whatever
  the projection) rounded up to 4 KB, per request, at least 1.
"""

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

from boto3.dynamodb.types import TypeSerializer

READ_UNIT_BYTES: Final = 4096
_serializer = TypeSerializer()


def value_size(value: Mapping[str, Any]) -> int:
    """Size of one typed value (``{"S": "abc"}``, ``{"N": "42"}``...), in bytes."""
    (kind, content), *_ = value.items()
    if kind == "S":
        return len(str(content).encode())
    if kind == "N":
        significant = Decimal(str(content)).normalize().as_tuple().digits
        return math.ceil(len(significant) / 2) + 1
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "L":
        return 3 + sum(value_size(element) + 1 for element in content)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in content.items())
    raise ValueError(f"no size rule for type {kind}")


def item_size(item: Mapping[str, object]) -> int:
    """Size of a plain Python item (as written with boto3's serializer), in bytes."""
    return sum(
        len(name.encode()) + value_size(_serializer.serialize(value))
        for name, value in item.items()
    )


def strongly_consistent_read_units(sizes: Iterable[int]) -> int:
    """Read units of one GetItem or one Query request that read items of these sizes."""
    return max(1, math.ceil(sum(sizes) / READ_UNIT_BYTES))
