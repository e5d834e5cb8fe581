"""ETags and If-None-Match evaluation (RFC 9110, 8.8.3 and 13.1.2), on their own."""

import hashlib
import timeit
from typing import Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.conditional import (
    MAX_IF_NONE_MATCH_LENGTH,
    entity_tag,
    is_not_modified,
    request_field_values,
)

CURRENT = entity_tag(b'{"steps":[]}')
OPAQUE = CURRENT.strip('"')
# Characters an opaque tag may hold (etagc): visible ASCII but DQUOTE, commas included.
ETAGC = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"')


def test_the_etag_is_the_quoted_sha256_of_the_body() -> None:
    body = b'{"all_complete":false}'
    assert entity_tag(body) == f'"{hashlib.sha256(body).hexdigest()}"'


def test_different_bodies_have_different_etags() -> None:
    assert entity_tag(b"a") != entity_tag(b"b")


@pytest.mark.parametrize(
    "field",
    [
        CURRENT,
        f"W/{CURRENT}",  # weak comparison: W/ is ignored
        f'"other", {CURRENT}',
        f'"other",{CURRENT}',
        f'  "other" ,\t{CURRENT}  ',
        f", , {CURRENT},",  # empty list members are allowed
        "*",
        " * ",
        '"a,b", *',  # a comma inside an opaque tag
    ],
)
def test_a_matching_field_means_not_modified(field: str) -> None:
    assert is_not_modified([field], CURRENT)


@pytest.mark.parametrize(
    "field",
    [
        "",
        '"other"',
        f'"{OPAQUE[:-1]}"',
        f'W/"other", "{OPAQUE}x"',
        '"a,b"',
        f"{OPAQUE}",  # not quoted: malformed, so ignored
        f'w/"{OPAQUE}"',  # the weak prefix is case-sensitive: malformed
        f'"{OPAQUE}" junk',
        f'"{OPAQUE}',  # unterminated
        f'"other" "{OPAQUE}"',  # no comma between tags
        '"caf\u00e9"',  # obs-text parses, but is another tag
    ],
)
def test_any_other_field_means_a_full_answer(field: str) -> None:
    assert not is_not_modified([field], CURRENT)


def test_a_malformed_member_voids_the_whole_field() -> None:
    """Ignoring an unparsable field (rather than reading half of it) is the safe choice."""
    assert not is_not_modified([f'{CURRENT}, "unterminated'], CURRENT)


def test_no_header_means_a_full_answer() -> None:
    assert not is_not_modified([], CURRENT)


def test_several_header_lines_form_one_list() -> None:
    assert is_not_modified(['"other"', f"W/{CURRENT}"], CURRENT)


# A well-formed list of 59 tags like ours, 4,010 characters: as long as HOSTILE, under the bound.
LONG_LIST: Final = ", ".join(f'"{n:064x}"' for n in range(59))
# A comma, a run of spaces, a stray character: adjacent optional whitespace runs in the member
# pattern took 0.15 s here (and 0.75 s with 9,000 spaces), 1,000 times LONG_LIST did.
HOSTILE: Final = '"a",' + " " * 4000 + "x"


def parse_seconds(field: str) -> float:
    """The best of several timings: noise on a shared machine only ever adds time."""
    return min(timeit.repeat(lambda: is_not_modified([field], CURRENT), number=5, repeat=5))


@pytest.mark.parametrize("hostile", [HOSTILE, '"a",' + " " * 9000 + "x"], ids=["4000", "9000"])
def test_a_hostile_field_costs_no_more_than_a_normal_one(hostile: str) -> None:
    """Linear: about as long as a normal list of the same length (here less). The quadratic
    version took 1,000 times as long; 20 leaves room for a noisy machine."""
    assert len(HOSTILE) <= len(LONG_LIST) <= MAX_IF_NONE_MATCH_LENGTH
    assert not is_not_modified([hostile], CURRENT)
    assert parse_seconds(hostile) < 20 * parse_seconds(LONG_LIST)


def test_a_long_list_under_the_bound_is_still_read() -> None:
    field = f"{LONG_LIST[: -len(CURRENT)]}{CURRENT}"
    assert len(field) <= MAX_IF_NONE_MATCH_LENGTH
    assert is_not_modified([field], CURRENT)


def test_a_field_over_the_bound_is_ignored_as_if_absent() -> None:
    """Lines count together, as one list."""
    padding = " " * (MAX_IF_NONE_MATCH_LENGTH - len(CURRENT))
    assert is_not_modified([CURRENT + padding], CURRENT)
    assert not is_not_modified([CURRENT + padding + " "], CURRENT)
    assert not is_not_modified([CURRENT, padding], CURRENT)


@given(
    others=st.lists(st.text(ETAGC, max_size=12).filter(lambda tag: tag != OPAQUE), max_size=5),
    weak=st.lists(st.booleans(), min_size=6, max_size=6),
    position=st.integers(min_value=0, max_value=5),
    spaces=st.sampled_from(["", " ", "\t", " \t "]),
)
def test_the_current_tag_matches_anywhere_in_any_list(
    others: list[str], weak: list[bool], position: int, spaces: str
) -> None:
    tags = [*others]
    tags.insert(min(position, len(tags)), OPAQUE)
    members = [f'{"W/" if weak[i] else ""}"{tag}"' for i, tag in enumerate(tags)]
    assert is_not_modified([f"{spaces},{spaces}".join(members)], CURRENT)
    without = [member for member in members if member.strip("W/").strip('"') != OPAQUE]
    assert not is_not_modified([", ".join(without)], CURRENT)


def test_a_quoted_star_is_a_tag_not_the_wildcard() -> None:
    assert is_not_modified(["*"], CURRENT)
    assert not is_not_modified(['"*"'], CURRENT)
    assert not is_not_modified(['W/"*"'], CURRENT)


def test_rest_api_headers_are_read_from_every_occurrence() -> None:
    event = {
        "headers": {"If-None-Match": '"last"'},
        "multiValueHeaders": {"If-None-Match": ['"first"', '"last"']},
    }
    assert request_field_values(event, "if-none-match") == ['"first"', '"last"']


def test_http_api_headers_are_read_case_insensitively() -> None:
    event = {"headers": {"if-none-match": '"a","b"', "accept": "application/json"}}
    assert request_field_values(event, "If-None-Match") == ['"a","b"']


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"headers": None},
        {"headers": "if-none-match"},
        {"headers": {"if-none-match": ["not", "a", "string"]}},
        {"headers": {1: "x"}},
        {"multiValueHeaders": {"If-None-Match": "not a list"}, "headers": None},
        {"multiValueHeaders": {"If-None-Match": [None, 3]}},
    ],
)
def test_malformed_header_shapes_mean_no_values(event: dict[str, object]) -> None:
    assert request_field_values(event, "If-None-Match") == []


def test_rest_events_without_the_header_in_multi_values_fall_back_to_headers() -> None:
    event = {"multiValueHeaders": {"Accept": ["*/*"]}, "headers": {"If-None-Match": '"x"'}}
    assert request_field_values(event, "If-None-Match") == ['"x"']
