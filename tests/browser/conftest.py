"""What the browser tests share: the system Chromium, its flags, and one browser per module.

Playwright drives Debian's ``chromium`` through ``executable_path``; it never
downloads a browser of its own. Without Chromium the tests are skipped with the
reason, except under ``CI=true``, where they fail (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium(known_paths: tuple[str, ...] = ("/usr/bin/chromium",)) -> str:
    """The system Chromium, or skip (fail under CI=true) with the reason."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        path = next((known for known in known_paths if Path(known).exists()), None)
    if path is None:
        reason = (
            "Chromium is not installed (Debian: apt-get install chromium); `.ci/run` installs it"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def browser():
    """One headless system Chromium for the module (skips when Chromium is missing)."""
    chromium = find_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()
