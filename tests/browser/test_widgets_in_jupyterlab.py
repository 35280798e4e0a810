"""Notebook 01's eps slider, in a real browser.

JupyterLab runs on 127.0.0.1 with a random token, in a temporary folder with a
copy of the lecture (outputs cleared, so the only widget on the page is the
live one); headless Chromium, driven by Playwright through the system's
``chromium``, opens it, runs all cells, waits for the kernel to be idle, finds
the eps slider, moves it with the keyboard and waits for the readout under it
to change. On failure a screenshot goes to ``test-artifacts/`` (git-ignored).

Without Chromium the test is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
LECTURE = REPO / "notebooks" / "01_finite_differences.ipynb"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# User settings that keep JupyterLab from asking questions or going online:
# start the notebook's kernel without a dialog, no news, and render every cell
# (no windowing), so that all cells are in the page.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "autoStartDefaultKernel": True,
        "windowingMode": "none",
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A JupyterLab server on loopback; yields (base URL, token)."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    lecture = nbformat.read(str(LECTURE), as_version=4)
    lecture.metadata.pop("widgets", None)
    for cell in lecture.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(lecture, str(notebooks / LECTURE.name))

    settings = tmp_path / "settings"
    for name, values in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    token, port = secrets.token_hex(16), free_port()
    environment = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={notebooks}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()
                    )
                time.sleep(0.3)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_eps_slider_moves_and_updates_the_readout(lab, request):
    chromium = find_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    url, token = lab
    code_cells = sum(
        cell.cell_type == "code" for cell in nbformat.read(str(LECTURE), as_version=4).cells
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/{LECTURE.name}?token={token}")
            page.wait_for_function(
                "n => document.querySelectorAll('.jp-Notebook .jp-CodeCell').length >= n",
                arg=code_cells,
                timeout=30_000,
            )
            idle = ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"
            page.wait_for_selector(idle, timeout=30_000)

            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

            readout = page.locator(".widget-html-content code", has_text="eps = ")
            readout.wait_for(timeout=40_000)
            page.wait_for_selector(idle, timeout=40_000)
            before = readout.inner_text()
            assert before.startswith("eps = 1.0e-01"), before

            handle = page.locator(".widget-slider .noUi-handle").first
            handle.scroll_into_view_if_needed()
            handle.focus()
            for _ in range(8):  # 8 steps of 0.25 decades: eps from 1e-1 to 1e-3
                page.keyboard.press("ArrowLeft")
            # Each key press is one change of the value; the kernel redraws after each.
            page.wait_for_function(
                "text => { const el = document.querySelector('.widget-html-content code');"
                " return el && el.innerText.startsWith(text); }",
                arg="eps = 1.0e-03",
                timeout=20_000,
            )
            after = readout.inner_text()
            assert after != before and "secant slope 0.5398814804" in after, after
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"{request.node.name}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot saved to {shot}")
            raise
        finally:
            browser.close()


def test_missing_chromium_skips_outside_ci_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        find_chromium(known_paths=())
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed"):
        find_chromium(known_paths=())
