"""Browser tier: web/setup-checklist.js in headless Chromium (Debian's chromium and
chromium-driver, installed by `make browser`) against the local server on 127.0.0.1, with the
embedded store seeded with the demo data behind it.

Without the browser these tests skip on a developer's machine, and fail under CI=true: CI must
never pass without having run them.
"""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from local.embedded_store import local_client
from local.http_front import LocalHttpFront
from local.lambda_runtime import load_handler
from local.site import local_site
from local.stack import local_stack, local_table_names
from tests.seeded_local_stack import forget_settings, restored_environment

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Flags that work as root in a container: no sandbox, no GPU, nothing that phones home.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=760,720",
)
# `make screenshots` points this at docs/screenshots; otherwise they go to a temporary folder.
SCREENSHOT_DIR_VARIABLE = "SCREENSHOT_DIR"


@dataclass
class Exchange:
    """One call of the status API as the function saw it."""

    if_none_match: str | None
    status: int
    etag: str | None


@dataclass
class LocalApp:
    """The local server and what the tests reach behind it."""

    url: str
    store: Any
    tables: dict[str, str]
    exchanges: list[Exchange] = field(default_factory=list)


def require_browser() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    message = f"{', '.join(missing)} missing: `make browser` installs chromium and its driver"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def recording(
    handler: Callable[..., dict[str, Any]], app: LocalApp
) -> Callable[..., dict[str, Any]]:
    """The function, noting each status call's If-None-Match and answer."""

    def record(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = handler(event, context)
        headers = result.get("headers") or {}
        app.exchanges.append(
            Exchange(
                (event.get("headers") or {}).get("if-none-match"),
                int(result["statusCode"]),
                headers.get("ETag"),
            )
        )
        return result

    return record


@pytest.fixture(scope="module")
def app() -> Iterator[LocalApp]:
    require_browser()
    with restored_environment(), local_stack() as endpoint:
        forget_settings()
        app = LocalApp(url="", store=local_client(endpoint), tables=local_table_names())
        front = LocalHttpFront(recording(load_handler(), app), port=0, site=local_site())
        with front:
            app.url = front.url
            yield app


@pytest.fixture(scope="module")
def browser(app: LocalApp) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get(SCREENSHOT_DIR_VARIABLE)
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")
