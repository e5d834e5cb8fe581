"""Hypothesis strategies for hostile and malformed API Gateway events, in both payload formats.

Well-formed envelopes carry whatever a caller or an authorizer could put in them: odd ids of
every JSON type, expression-like text, control characters, huge strings, odd cookies, repeated
headers, any method, odd paths. Damaged envelopes go further: fields the platform always sends
are missing or of the wrong type, or the event is not an object at all.
"""

import re
from typing import Any, Final

from hypothesis import strategies as st

from local.api_gateway_events import combined_headers
from tests.factories import ALIAS_PATH, HTTP_API_PATH, http_api_event, rest_event

# The documented id contract (README, "Authorizer-context contract"), written out here rather
# than imported, so the tests do not take the code's word for it.
DOCUMENTED_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@|+=-]{0,127}")

KNOWN_PRINCIPALS: Final = ("alice", "bob", "auth0|carol", "dave@example.com")
KNOWN_OUS: Final = ("ou-1", "ou-2", "ou-3")

EDGE_TEXTS: Final = (
    "",
    " ",
    "../ou-1",
    "ou-1/../ou-2",
    ":x",
    "#n",
    ":ou",
    "#status",
    "ou-1 OR 1=1",
    "ou-1' OR '1'='1",
    "ou\u202e1",
    "ou-1\x00",
    "ou-1\n",
    "ou-1\r\nX-Injected: 1",
    "*",
    "%2e%2e%2fou-1",
    "ou-1;activeOu=ou-2",
    "ou-1,ou-2",
    "a" * 129,
    "\ud7ff\ue000",
    "${jndi:ldap://127.0.0.1/a}",
    "{{7*7}}",
    "attribute_exists(ou_id)",
)


def is_documented_id(value: object) -> bool:
    return isinstance(value, str) and DOCUMENTED_ID.fullmatch(value) is not None


hostile_text = st.one_of(
    st.sampled_from(EDGE_TEXTS),
    st.text(max_size=40),
    st.text(min_size=129, max_size=300),
    st.just("x" * 5_000),
)
valid_id = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:@|+=-]{0,30}\Z")
id_like = st.one_of(st.sampled_from(KNOWN_PRINCIPALS + KNOWN_OUS), valid_id, hostile_text)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), hostile_text, st.sampled_from(KNOWN_OUS)
)
any_json = st.recursive(
    json_scalar,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=8,
)
claim = st.one_of(id_like, id_like, any_json)


def claims(principal_key: str) -> st.SearchStrategy[Any]:
    """An authorizer's claims: the principal and OU keys present or not, of any type, with
    extra claims beside them; or not an object at all."""
    shaped = st.fixed_dictionaries(
        {},
        optional={
            principal_key: claim,
            "ou_id": claim,
            "custom:ou_id": claim,
            "token": hostile_text,
            "scope": any_json,
        },
    )
    return st.one_of(shaped, shaped, any_json)


authorizer_context = st.one_of(
    st.none(),
    claims("principal_id").map(lambda c: {"lambda": c}),
    st.builds(lambda c, s: {"jwt": {"claims": c, "scopes": s}}, claims("sub"), any_json),
    claims("principalId"),
    any_json,
)

# Identities that could be members, in each format's own place, so that many examples get as
# far as the membership check and some get a 200.
known_principal = st.sampled_from(KNOWN_PRINCIPALS)
known_ou = st.one_of(st.sampled_from(KNOWN_OUS), st.none())
plausible_http_authorizer = st.one_of(
    st.builds(
        lambda principal, ou: {"lambda": {"principal_id": principal, "ou_id": ou}},
        known_principal,
        known_ou,
    ),
    st.builds(
        lambda principal, ou: {"jwt": {"claims": {"sub": principal, "ou_id": ou}}},
        known_principal,
        known_ou,
    ),
)
plausible_rest_authorizer = st.builds(
    lambda principal, ou: {"principalId": principal, "ou_id": ou}, known_principal, known_ou
)

cookie = st.one_of(
    st.sampled_from(KNOWN_OUS).map(lambda ou: f"activeOu={ou}"),
    id_like.map(lambda value: f"activeOu={value}"),
    st.sampled_from(["activeOu", "activeOu=", "=ou-1", "activeOu==ou-1", "ActiveOu=ou-1", "a=b"]),
    st.sampled_from(["activeOu=ou-1; activeOu=ou-2", 'activeOu="ou-1"', "activeOu=ou%2D1"]),
    st.text(max_size=30),
)
header_name = st.one_of(
    st.sampled_from(
        ["accept", "Accept", "authorization", "cookie", "Cookie", "x-ou-id", "if-none-match"]
    ),
    st.text(min_size=1, max_size=20),
)
header_value = st.one_of(
    st.sampled_from(["*", '"x"', "application/json", "Bearer demo-user-token", "activeOu=ou-1"]),
    hostile_text,
)
header_pairs = st.lists(st.tuples(header_name, header_value), max_size=6)
# The documented method and paths come up half the time, so that examples reach identity and
# membership often, not only routing.
method = st.one_of(
    st.just("GET"),
    st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]),
    st.sampled_from(["get", "Get", "PURGE", "CONNECT", ""]),
    st.text(max_size=8),
)
path = st.one_of(
    st.sampled_from([HTTP_API_PATH, ALIAS_PATH]),
    st.sampled_from([HTTP_API_PATH, ALIAS_PATH]),
    st.sampled_from(
        [
            HTTP_API_PATH,
            ALIAS_PATH,
            f"{HTTP_API_PATH}/",
            f"{ALIAS_PATH}/",
            f"/{HTTP_API_PATH}",
            f"{HTTP_API_PATH}//",
            HTTP_API_PATH.upper(),
            f"{HTTP_API_PATH}/..",
            "/onboarding/./status",
            "/onboarding%2Fstatus",
            "/",
            "",
            "/onboarding",
        ]
    ),
    st.text(max_size=30).map(lambda text: f"/{text}"),
)


@st.composite
def http_api_events(draw: st.DrawFn) -> dict[str, Any]:
    """Well-formed payload 2.0 envelopes with hostile contents."""
    headers = draw(header_pairs)
    event = http_api_event(
        path=draw(path),
        method=draw(method),
        authorizer=None,
        cookies=draw(st.none() | st.lists(cookie, max_size=4)),
        stage=draw(st.sampled_from(["$default", "$default", "prod"])),
    )
    event["headers"] = combined_headers([(name.lower(), value) for name, value in headers])
    authorizer = draw(st.one_of(plausible_http_authorizer, authorizer_context))
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    return event


@st.composite
def rest_api_events(draw: st.DrawFn) -> dict[str, Any]:
    """Well-formed payload 1.0 envelopes with hostile contents; cookies in Cookie headers."""
    pairs = draw(header_pairs) + [("Cookie", value) for value in draw(st.lists(cookie, max_size=3))]
    event = rest_event(path=draw(path), method=draw(method))
    event["headers"] = dict(pairs)
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    event["multiValueHeaders"] = multi
    authorizer = draw(st.one_of(plausible_rest_authorizer, authorizer_context))
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    return event


well_formed_events = st.one_of(http_api_events(), rest_api_events())

# Where each format keeps what the resolvers read; damaged events lose or garble one of them.
ENVELOPE_PATHS: Final = (
    ("version",),
    ("rawPath",),
    ("requestContext",),
    ("requestContext", "http"),
    ("requestContext", "http", "method"),
    ("requestContext", "stage"),
    ("headers",),
    ("cookies",),
    ("httpMethod",),
    ("path",),
    ("multiValueHeaders",),
    ("body",),
    ("isBase64Encoded",),
    ("queryStringParameters",),
)


def _parent_of(event: dict[str, Any], where: tuple[str, ...]) -> dict[str, Any] | None:
    """The object holding the field at ``where``, if the event still has one."""
    parent: Any = event
    for key in where[:-1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
    return parent if isinstance(parent, dict) else None


@st.composite
def damaged_events(draw: st.DrawFn) -> Any:
    """Well-formed events with one to three envelope fields removed or of a wrong type."""
    event = draw(well_formed_events)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(ENVELOPE_PATHS))
        parent = _parent_of(event, where)
        if parent is None:
            continue
        if draw(st.booleans()):
            parent.pop(where[-1], None)
        else:
            parent[where[-1]] = draw(any_json)
    return event


any_events = st.one_of(well_formed_events, damaged_events(), any_json)
