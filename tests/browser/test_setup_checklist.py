"""<setup-checklist> in headless Chromium: the demo page of the local server, the demo OUs.

Every wait below is only a guard against a hung page (WebDriverWait gives up after
HANG_GUARD_SECONDS); nothing asserts how long anything takes.
"""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from local.embedded_store import put_items
from tests.browser.conftest import LocalApp

pytestmark = pytest.mark.browser

HANG_GUARD_SECONDS = 30
DOCUMENTED_EXAMPLE = json.loads(
    (Path(__file__).parents[1] / "data" / "documented_example.json").read_text(encoding="utf-8")
)
ACTION_PATHS = [step["action_path"] for step in DOCUMENTED_EXAMPLE["steps"]]
LABELS = [step["label"] for step in DOCUMENTED_EXAMPLE["steps"]]
FORBIDDEN_MESSAGE = "You don't have access to the setup checklist of this organization."
SIGNED_OUT_MESSAGE = "Your session has ended. Sign in again to see your setup progress."
NETWORK_MESSAGE = "We couldn't reach the server. We'll try again shortly."
SUCCESS_MESSAGE = "All set! Your workspace setup is complete."
# No automatic re-check during a test unless it asks for one (focus).
QUIET = {"interval": "600"}

# What the widget shows, read in one round trip: its shadow DOM, as a person would see it.
READ_WIDGET = """
const host = document.querySelector("setup-checklist");
if (!host || !host.shadowRoot) return null;
const root = host.shadowRoot;
const text = (selector) => {
  const node = root.querySelector(selector);
  return node && !node.hidden ? node.textContent : null;
};
const list = root.querySelector("ol");
const progress = root.querySelector(".progress");
return {
  displayed: host.checkVisibility(),
  progress: progress.textContent,
  progressRole: progress.getAttribute("role"),
  progressLive: progress.getAttribute("aria-live"),
  listRole: list.getAttribute("role"),
  error: text(".error"),
  errorRole: root.querySelector(".error").getAttribute("role"),
  success: text(".success"),
  steps: [...root.querySelectorAll("li")].map((item) => ({
    id: item.dataset.stepId,
    completed: item.dataset.completed === "true",
    mark: item.querySelector(".mark").textContent,
    label: item.querySelector(".label").textContent,
    href: item.querySelector("a") ? item.querySelector("a").getAttribute("href") : null,
    // What assistive technology reads: everything but the aria-hidden check mark.
    spoken: [...item.children]
      .filter((child) => child.getAttribute("aria-hidden") !== "true")
      .map((child) => child.textContent)
      .join(""),
  })),
};
"""


def open_demo(browser: webdriver.Chrome, app: LocalApp, ou: str, **attributes: str) -> None:
    browser.get(f"{app.url}/?{urlencode({'ou': ou, **QUIET, **attributes})}")


def widget(browser: webdriver.Chrome) -> dict[str, Any] | None:
    state: dict[str, Any] | None = browser.execute_script(READ_WIDGET)
    return state


def wait_for(
    browser: webdriver.Chrome, condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The widget's state once ``condition`` holds for it."""

    def met(driver: webdriver.Chrome) -> dict[str, Any] | bool:
        state = widget(driver)
        return state if state is not None and condition(state) else False

    state: dict[str, Any] = WebDriverWait(browser, HANG_GUARD_SECONDS).until(met)
    return state


def exchanges_after(app: LocalApp, count: int, browser: webdriver.Chrome) -> None:
    WebDriverWait(browser, HANG_GUARD_SECONDS).until(lambda _: len(app.exchanges) > count)


def refocus(browser: webdriver.Chrome) -> None:
    """What the window regaining focus tells the page."""
    browser.execute_script("window.dispatchEvent(new Event('focus'))")


@pytest.fixture
def scoring_rule(app: LocalApp) -> Iterator[Callable[[], None]]:
    """Adds a customer's scoring rule to ou-partial; removed again after the test."""
    table = app.tables["SCORING_RULES_TABLE"]
    item = {"ou_id": "ou-partial", "rule_id": "rule-from-browser-test", "surface": "engagement"}
    yield lambda: put_items(app.store, table, [item])
    app.store.delete_item(
        TableName=table,
        Key={"ou_id": {"S": item["ou_id"]}, "rule_id": {"S": item["rule_id"]}},
    )


def test_partial_ou_shows_its_ticks_links_and_count(
    browser: webdriver.Chrome, app: LocalApp, screenshot_dir: Path
) -> None:
    open_demo(browser, app, "ou-partial")
    state = wait_for(browser, lambda state: len(state["steps"]) == 3)
    assert [step["label"] for step in state["steps"]] == LABELS
    assert [step["completed"] for step in state["steps"]] == [True, False, False]
    assert [step["mark"] for step in state["steps"]] == ["✓", "", ""]
    assert [step["href"] for step in state["steps"]] == [
        f"{app.url}{path}" for path in ACTION_PATHS
    ]
    assert state["progress"] == "1 of 3 complete"
    assert state["error"] is None
    assert state["success"] is None
    assert state["displayed"] is True
    browser.save_screenshot(str(screenshot_dir / "setup-checklist-partial.png"))


def test_the_checklist_is_readable_by_a_screen_reader(
    browser: webdriver.Chrome, app: LocalApp
) -> None:
    open_demo(browser, app, "ou-partial")
    state = wait_for(browser, lambda state: len(state["steps"]) == 3)
    assert state["listRole"] == "list"
    assert (state["progressRole"], state["progressLive"]) == ("status", "polite")
    assert state["errorRole"] == "alert"
    assert [step["spoken"] for step in state["steps"]] == [
        "Connect an integration (completed)",
        "Create your first scoring rule (not completed)",
        "Set up engagement levels (not completed)",
    ]


def test_keyboard_focus_on_a_step_link_is_visible(browser: webdriver.Chrome, app: LocalApp) -> None:
    open_demo(browser, app, "ou-partial")
    wait_for(browser, lambda state: len(state["steps"]) == 3)
    select = browser.find_element(By.ID, "ou")
    select.send_keys(Keys.TAB)  # from the OU switch to the widget's first link
    focused = browser.execute_script(
        """
        const root = document.querySelector("setup-checklist").shadowRoot;
        const link = root.activeElement;
        if (!link) return null;
        const style = getComputedStyle(link);
        return {text: link.textContent, outline: style.outlineStyle, width: style.outlineWidth};
        """
    )
    assert focused is not None, "Tab did not reach the checklist"
    assert focused["text"] == LABELS[0]
    assert focused["outline"] == "solid"
    assert focused["width"] != "0px"


def test_a_step_completed_in_the_store_shows_on_the_next_check(
    browser: webdriver.Chrome,
    app: LocalApp,
    screenshot_dir: Path,
    scoring_rule: Callable[[], None],
) -> None:
    open_demo(browser, app, "ou-partial")
    wait_for(browser, lambda state: len(state["steps"]) == 3)
    first = app.exchanges[-1]
    assert (first.status, first.if_none_match) == (200, None)

    seen = len(app.exchanges)
    refocus(browser)
    exchanges_after(app, seen, browser)
    unchanged = app.exchanges[-1]
    assert (unchanged.status, unchanged.if_none_match) == (304, first.etag)

    scoring_rule()
    refocus(browser)
    state = wait_for(browser, lambda state: state["steps"][1]["completed"])
    assert [step["completed"] for step in state["steps"]] == [True, True, False]
    assert [step["mark"] for step in state["steps"]] == ["✓", "✓", ""]
    assert state["progress"].endswith("2 of 3 complete")
    assert LABELS[1] in state["progress"], "the live region names the step just done"
    changed = app.exchanges[-1]
    assert (changed.status, changed.if_none_match) == (200, first.etag)
    assert changed.etag != first.etag
    browser.save_screenshot(str(screenshot_dir / "setup-checklist-step-completed.png"))


def test_a_complete_ou_shows_the_success_message(
    browser: webdriver.Chrome, app: LocalApp, screenshot_dir: Path
) -> None:
    open_demo(browser, app, "ou-complete", **{"hide-after": "600"})
    state = wait_for(browser, lambda state: state["success"] is not None)
    assert state["success"] == SUCCESS_MESSAGE
    assert [step["completed"] for step in state["steps"]] == [True, True, True]
    assert state["progress"] == "3 of 3 complete"
    assert state["displayed"] is True
    browser.save_screenshot(str(screenshot_dir / "setup-checklist-complete.png"))


def test_a_complete_ou_hides_the_widget_after_the_message(
    browser: webdriver.Chrome, app: LocalApp
) -> None:
    open_demo(browser, app, "ou-complete", **{"hide-after": "0.2"})
    state = wait_for(browser, lambda state: not state["displayed"])
    assert state["success"] == SUCCESS_MESSAGE
    assert browser.execute_script("return document.querySelector('setup-checklist').hidden")


def test_an_ou_of_someone_else_shows_a_human_message(
    browser: webdriver.Chrome, app: LocalApp, screenshot_dir: Path
) -> None:
    open_demo(browser, app, "ou-restricted")
    state = wait_for(browser, lambda state: state["error"] is not None)
    assert state["error"] == FORBIDDEN_MESSAGE
    assert state["steps"] == []
    assert app.exchanges[-1].status == 403
    page_text = browser.find_element(By.TAG_NAME, "body").text
    assert "forbidden" not in page_text
    assert "{" not in page_text
    browser.save_screenshot(str(screenshot_dir / "setup-checklist-forbidden.png"))


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({}, SIGNED_OUT_MESSAGE),  # no token: the API answers 401
        ({"endpoint": "http://127.0.0.1:9/onboarding/status"}, NETWORK_MESSAGE),  # refused
    ],
    ids=["401", "network"],
)
def test_other_failures_show_a_human_message(
    browser: webdriver.Chrome, app: LocalApp, attributes: dict[str, str], message: str
) -> None:
    open_demo(browser, app, "ou-partial")
    wait_for(browser, lambda state: len(state["steps"]) == 3)
    browser.execute_script(
        """
        const widget = document.createElement("setup-checklist");
        widget.setAttribute("interval", "600");
        for (const [name, value] of Object.entries(arguments[0])) widget.setAttribute(name, value);
        document.getElementById("widget-slot").replaceChildren(widget);
        """,
        attributes,
    )
    state = wait_for(browser, lambda state: state["error"] is not None)
    assert state["error"] == message
    assert state["steps"] == []


def test_switching_the_ou_shows_that_ous_checklist(
    browser: webdriver.Chrome, app: LocalApp
) -> None:
    open_demo(browser, app, "ou-partial")
    wait_for(browser, lambda state: len(state["steps"]) == 3)
    browser.execute_script(
        """
        const select = document.getElementById("ou");
        select.value = "ou-empty";
        select.dispatchEvent(new Event("change"));
        """
    )
    state = wait_for(browser, lambda state: state["progress"] == "0 of 3 complete")
    assert [step["completed"] for step in state["steps"]] == [False, False, False]


def test_swagger_ui_renders_both_operations_offline(
    browser: webdriver.Chrome, app: LocalApp
) -> None:
    """Swagger UI at /docs draws the document with the JS and CSS Powertools inlines: the
    page loads nothing from another host (there is no network here to load it from)."""
    browser.get(f"{app.url}/docs")
    WebDriverWait(browser, HANG_GUARD_SECONDS).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")) == 2
    )
    paths = [
        element.get_attribute("data-path")
        for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    ]
    assert paths == ["/onboarding/status", "/onboarding-status"]
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    assert all(url.startswith(app.url) for url in loaded), loaded
