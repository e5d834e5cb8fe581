"""Without Chromium the browser tests skip on a developer's machine and fail under CI=true."""

from pathlib import Path

import pytest

from tests.browser import conftest


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", tmp_path / "chromium")


@pytest.mark.usefixtures("no_chromium")
def test_ci_fails_without_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="make browser"):
        conftest.require_browser()


@pytest.mark.usefixtures("no_chromium")
def test_a_developer_machine_skips_without_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        conftest.require_browser()


def test_nothing_is_missing_when_both_are_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("CHROMIUM", "CHROMEDRIVER"):
        present = tmp_path / name.lower()
        present.touch()
        monkeypatch.setattr(conftest, name, present)
    monkeypatch.setenv("CI", "true")
    conftest.require_browser()  # neither fails nor skips
