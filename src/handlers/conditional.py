"""Conditional GET (RFC 9110): a strong ETag per response body, and If-None-Match evaluation.

Dashboards poll the status; when nothing changed they get a 304 with no body instead of the
whole checklist again. The ETag is derived from the exact body bytes, so equal answers (on
either path, for any caller) carry equal tags and any change to the body changes the tag.
"""

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

IF_NONE_MATCH: Final = "If-None-Match"

# Longest If-None-Match field (all lines joined) that is parsed; a longer one is ignored, as if
# absent, which is always safe: the caller gets the full 200. One of our tags is 66 characters
# (68 weak), so 4096 holds about 60 of them, far more than a client caches for one URL (browsers
# send one). The parse is linear anyway; the bound caps its cost per request whatever the front
# lets through (REST multi-value headers, the local server, a future front with larger limits).
MAX_IF_NONE_MATCH_LENGTH: Final = 4096

# One member of an If-None-Match list: optional whitespace, then "*", or an entity-tag
# ([W/] "opaque") and optional whitespace, or nothing (lists may hold empty members); then a
# comma or the end. etagc is %x21 / %x23-7E / obs-text: anything visible except DQUOTE,
# including commas. Every repeat is possessive (*+, Python 3.11+) and no two can claim the same
# character, so no character is ever scanned twice and the parse is linear in the field's
# length (two adjacent optional whitespace runs made a hostile field quadratic).
_LIST_MEMBER: Final = re.compile(
    r'[ \t]*+(?:(?:(?P<any>\*)|(?:W/)?"(?P<opaque>[\x21\x23-\x7e\x80-\xff]*+)")[ \t]*+)?(?:,|\Z)'
)


WILDCARD: Final = None  # a bare * in the list: any current representation matches


def entity_tag(body: bytes) -> str:
    """A strong validator for a representation: its SHA-256, quoted as an entity-tag."""
    return f'"{hashlib.sha256(body).hexdigest()}"'


def is_not_modified(field_values: Sequence[str], current_etag: str) -> bool:
    """True when If-None-Match says the caller already holds the current representation, so
    the answer is 304: "*" (a representation exists), or any listed tag equal to the current
    one under the weak comparison (opaque tags equal, W/ ignored) that RFC 9110 prescribes
    for If-None-Match. A field that does not parse, or is longer than
    MAX_IF_NONE_MATCH_LENGTH, is ignored, as if absent."""
    field = ",".join(field_values)
    if len(field) > MAX_IF_NONE_MATCH_LENGTH:
        return False
    members = _members(field)
    if members is None:
        return False
    return any(member is WILDCARD or member == _opaque(current_etag) for member in members)


def request_field_values(raw_event: Mapping[str, Any], name: str) -> list[str]:
    """Every value a request sent for a header, from either API Gateway payload format.

    REST APIs (1.0) keep each occurrence in ``multiValueHeaders``; HTTP APIs (2.0) join
    repeated headers with commas in ``headers``. Names compare case-insensitively; anything
    that is not a string is skipped.
    """
    wanted = name.lower()
    multi = raw_event.get("multiValueHeaders")
    if isinstance(multi, Mapping):
        values = [
            value
            for key, listed in multi.items()
            if isinstance(key, str) and key.lower() == wanted and isinstance(listed, list)
            for value in listed
            if isinstance(value, str)
        ]
        if values:
            return values
    headers = raw_event.get("headers")
    if not isinstance(headers, Mapping):
        return []
    return [
        value
        for key, value in headers.items()
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str)
    ]


def _members(field: str) -> list[str | None] | None:
    """The list's opaque tags (WILDCARD for a bare *, which is not the tag "*"), or None when
    the field is malformed."""
    members: list[str | None] = []
    position = 0
    while position < len(field):
        match = _LIST_MEMBER.match(field, position)
        if match is None:
            return None
        if match["any"] is not None:
            members.append(WILDCARD)
        elif match["opaque"] is not None:
            members.append(match["opaque"])
        position = match.end()
    return members


def _opaque(etag: str) -> str:
    return etag.removeprefix("W/").strip('"')
