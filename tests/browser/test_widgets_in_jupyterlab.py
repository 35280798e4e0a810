"""The lecture widgets of notebooks 01, 03 and 04, in a real browser.

One JupyterLab server per module runs on 127.0.0.1 with a random token, in a
temporary folder with copies of the lectures (outputs cleared, so the only
widgets on a page are live ones); one headless Chromium, driven by Playwright
through the system's ``chromium``, serves every test. Each test opens its
notebook in a fresh page and workspace, runs all cells, waits until every code
cell has run and the kernel is idle (`run_notebook`), then works a widget the
way a student would and waits for what it shows to change:

* 01: the eps slider, moved with the keyboard; the readout under it changes;
* 03: the reverse-pass stepper, "next" clicked and then the "step" slider moved
  with the keyboard; adjoints fill in and the highlighted row moves;
* 04: the chain-cost explorer's "n (inputs)" slider, moved with the keyboard;
  the flop counts change.

On failure a screenshot goes to ``test-artifacts/`` (git-ignored). Without
Chromium the tests are skipped, except under ``CI=true``, where they fail.
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
from contextlib import contextmanager

import nbformat
import pytest

from .conftest import ARTIFACTS, REPO, find_chromium

LECTURES = {
    "01": REPO / "notebooks" / "01_finite_differences.ipynb",
    "03": REPO / "notebooks" / "03_reverse_mode.ipynb",
    "04": REPO / "notebooks" / "04_jacobian_accumulation.ipynb",
}
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
IDLE = ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"
# True once every code cell's prompt shows an execution count ("[12]:", not "[ ]:" or "[*]:").
ALL_CELLS_RAN = """n => {
    const prompts = [
        ...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')
    ];
    return prompts.length >= n && prompts.every(p => /^\\[\\d+\\]:$/.test(p.innerText.trim()));
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """One JupyterLab server on loopback for the module; yields (base URL, token).

    It asks for `browser` first, so that without Chromium nothing is started.
    """
    tmp_path = tmp_path_factory.mktemp("lab")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for source in LECTURES.values():
        lecture = nbformat.read(str(source), as_version=4)
        lecture.metadata.pop("widgets", None)
        for cell in lecture.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(lecture, str(notebooks / source.name))

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


@contextmanager
def run_notebook(browser, lab: tuple[str, str], number: str, request) -> Iterator:
    """A page with lecture `number` open, all cells run and the kernel idle.

    The notebook opens in a workspace of its own, so no tab of an earlier test
    comes back. Whatever fails, here or in the `with` body, leaves a screenshot
    in test-artifacts/ named after the test.
    """
    url, token = lab
    lecture = LECTURES[number]
    code_cells = sum(
        cell.cell_type == "code" for cell in nbformat.read(str(lecture), as_version=4).cells
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{url}/lab/workspaces/lecture-{number}/tree/{lecture.name}?token={token}")
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-Notebook .jp-CodeCell').length >= n",
            arg=code_cells,
            timeout=30_000,
        )
        page.wait_for_selector(IDLE, timeout=30_000)  # the kernel has started

        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

        page.wait_for_function(ALL_CELLS_RAN, arg=code_cells, timeout=40_000)
        page.wait_for_selector(IDLE, timeout=10_000)
        yield page
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot saved to {shot}")
        raise
    finally:
        page.close()


def slider(page, label: str):
    """The ipywidgets slider whose description is exactly `label`."""
    return page.locator(
        ".widget-slider", has=page.locator(".widget-label").get_by_text(label, exact=True)
    )


def press(page, control, key: str, times: int) -> None:
    """Focus the slider's handle and press `key` `times` times (one value change each)."""
    handle = control.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(times):
        page.keyboard.press(key)


def wait_for_text(locator, text: str, timeout: float = 20_000) -> None:
    """Wait until `locator` (found afresh each time, as widgets re-render) contains `text`."""
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(locator).to_contain_text(text, timeout=timeout)


def test_eps_slider_moves_and_updates_the_readout(browser, lab, request):
    with run_notebook(browser, lab, "01", request) as page:
        readout = page.locator(".widget-html-content code", has_text="eps = ")
        before = readout.inner_text()
        assert before.startswith("eps = 1.0e-01"), before

        # 8 steps of 0.25 decades: eps from 1e-1 to 1e-3; the kernel redraws after each.
        press(page, slider(page, "eps"), "ArrowLeft", 8)
        wait_for_text(readout, "eps = 1.0e-03")
        after = readout.inner_text()
        assert after != before and "secant slope 0.5398814804" in after, after


# The stepper's view as {"caption", "highlighted": first cell of the highlighted
# row, "adjoints": {row name: adjoint cell}}, read from its HTML widget.
STEPPER_STATE = """view => {
    const rows = [...view.querySelectorAll('table.autodidact-trace tbody tr')];
    const cells = row => [...row.querySelectorAll('td')].map(td => td.innerText.trim());
    const highlighted = rows.filter(row => row.style.backgroundColor !== '');
    return {
        caption: view.querySelector('div code').innerText,
        highlighted: highlighted.map(row => cells(row)[0]),
        adjoints: Object.fromEntries(rows.map(row => [cells(row)[0], cells(row).at(-1)])),
    };
}"""


def test_reverse_stepper_next_and_step_slider_fill_in_adjoints(browser, lab, request):
    with run_notebook(browser, lab, "03", request) as page:
        stepper = page.locator(".widget-vbox", has=slider(page, "step")).last
        view = stepper.locator(".widget-html-content", has=page.locator("table.autodidact-trace"))

        def state_after(caption: str) -> dict:
            wait_for_text(view.locator("div code").first, caption)
            return view.evaluate(STEPPER_STATE)

        seeded = state_after("step 0 of 7")
        assert seeded["highlighted"] == ["v7 = y"], seeded
        assert seeded["adjoints"]["v7 = y"] == "1" and seeded["adjoints"]["v6"] == "", seeded

        stepper.locator(".widget-button", has_text="next").click()
        first = state_after("step 1 of 7")
        assert first["highlighted"] == ["v7 = y"], first
        assert (first["adjoints"]["v6"], first["adjoints"]["v5"]) == ("1", "-1"), first
        assert first["adjoints"]["v3"] == "", first

        press(page, slider(page, "step"), "ArrowRight", 1)
        second = state_after("step 2 of 7")
        assert second["highlighted"] == ["v6"], second
        assert (second["adjoints"]["v3"], second["adjoints"]["v4"]) == ("1", "1"), second


def test_chain_cost_sliders_update_the_flop_counts(browser, lab, request):
    with run_notebook(browser, lab, "04", request) as page:
        explorer = page.locator(".widget-vbox", has=slider(page, "n (inputs)")).last
        readout = explorer.locator(".widget-html-content pre")
        before = readout.inner_text()
        assert "forward (from the input side):     2,800,000" in before, before
        assert "reverse (from the output side):    2,800,000" in before, before

        press(page, slider(page, "n (inputs)"), "ArrowLeft", 4)  # n from 100 to 96
        wait_for_text(readout, "2,688,000")
        after = readout.inner_text()
        assert after != before, after
        assert "forward (from the input side):     2,688,000" in after, after
        assert "reverse (from the output side):    2,720,000" in after, after
        assert "976,000" in after, after


def test_missing_chromium_skips_outside_ci_and_fails_under_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        find_chromium(known_paths=())
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is not installed"):
        find_chromium(known_paths=())
