"""The local server's own pages (local.site) and conditional GET over real HTTP."""

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from urllib.error import HTTPError

import pytest

from local.cfn_template import PROJECT_ROOT
from local.demo_data import MEMBERSHIPS
from local.http_front import LocalHttpFront
from local.lambda_runtime import LambdaHandler
from local.site import DEMO_TOKEN, WIDGET_SOURCE, demo_ous, local_site
from tests.seeded_local_stack import seeded_local_stack

pytestmark = pytest.mark.e2e

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes


@pytest.fixture(scope="module")
def handler() -> Iterator[LambdaHandler]:
    with seeded_local_stack() as seeded:
        yield seeded


@pytest.fixture(scope="module")
def front(handler: LambdaHandler) -> Iterator[LocalHttpFront]:
    with LocalHttpFront(handler, port=0, site=local_site()) as running:
        yield running


def fetch(front: LocalHttpFront, path: str, headers: dict[str, str] | None = None) -> Reply:
    request = urllib.request.Request(f"{front.url}{path}", headers=headers or {})
    try:
        with _opener.open(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read())
    except HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read())


def status_of(front: LocalHttpFront, cookie: str, if_none_match: str | None = None) -> Reply:
    headers = {"Authorization": f"Bearer {DEMO_TOKEN}", "Cookie": cookie}
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    return fetch(front, "/onboarding/status", headers)


# --- conditional GET over the wire ---------------------------------------------------------


def test_a_revalidation_gets_a_bodiless_304_with_the_caching_headers(
    front: LocalHttpFront,
) -> None:
    first = status_of(front, "activeOu=ou-partial")
    assert first.status == 200
    etag = first.headers["ETag"]
    again = status_of(front, "activeOu=ou-partial", if_none_match=etag)
    assert again.status == 304
    assert again.body == b""
    assert again.headers["Content-Length"] is None
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert again.headers["Vary"] == "Authorization, Cookie"


def test_another_ou_in_another_state_gets_its_full_answer(front: LocalHttpFront) -> None:
    partial = status_of(front, "activeOu=ou-partial")
    complete = status_of(front, "activeOu=ou-complete", if_none_match=partial.headers["ETag"])
    assert complete.status == 200
    assert json.loads(complete.body)["all_complete"] is True


def test_a_non_member_never_gets_a_304(front: LocalHttpFront) -> None:
    reply = status_of(front, "activeOu=ou-restricted", if_none_match="*")
    assert reply.status == 403
    assert reply.headers["ETag"] is None


# --- the local pages --------------------------------------------------------------------------


def test_the_demo_page_offers_every_demo_ou_and_loads_the_widget(front: LocalHttpFront) -> None:
    reply = fetch(front, "/")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    page = reply.body.decode()
    assert '<script type="module" src="/setup-checklist.js"></script>' in page
    offered = re.findall(r'<option value="([^"]+)"', page)
    assert offered == demo_ous()
    assert set(offered) == {membership["ou_id"] for membership in MEMBERSHIPS}
    assert f'widget.setAttribute("token", "{DEMO_TOKEN}")' in page


def test_the_widget_is_served_as_a_javascript_module(front: LocalHttpFront) -> None:
    reply = fetch(front, "/setup-checklist.js")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/javascript")
    assert reply.body == WIDGET_SOURCE.read_bytes()
    assert b'customElements.define("setup-checklist"' in reply.body


def test_swagger_ui_is_served_with_everything_inlined(front: LocalHttpFront) -> None:
    reply = fetch(front, "/docs")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    page = reply.body.decode()
    assert "SwaggerUIBundle" in page
    assert not re.search(r'(src|href)="https?://', page), "Swagger UI must not load from a CDN"
    assert '"/onboarding-status"' in page


def test_the_openapi_document_is_the_committed_one(front: LocalHttpFront) -> None:
    reply = fetch(front, "/docs/openapi.json")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.body == (PROJECT_ROOT / "docs" / "openapi.json").read_bytes()


def test_the_api_still_answers_beside_the_pages(front: LocalHttpFront) -> None:
    assert fetch(front, "/docs/other").status == 404  # only the listed paths are local pages
    assert status_of(front, "activeOu=ou-partial").status == 200


def test_without_a_site_the_pages_do_not_exist(handler: LambdaHandler) -> None:
    """The deployed API's stand-in: every path goes to the function, which has no docs."""
    with LocalHttpFront(handler, port=0) as bare:
        for path in ("/", "/docs", "/docs/openapi.json", "/setup-checklist.js"):
            reply = fetch(bare, path)
            assert reply.status == 404, path
            assert json.loads(reply.body)["code"] == "not_found"
