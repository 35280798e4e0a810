"""The published course site (`make site`) in a real browser, with no network.

The site of the real course is built once for the module into a temporary
folder (as `make site` builds build/site/) and served from 127.0.0.1 by a
small HTTP server in a thread. Headless Chromium, driven by Playwright through
the system's ``chromium`` as in test_widgets_in_jupyterlab.py, reads it like a
visitor; every request for anything not on 127.0.0.1 is refused and recorded,
and each test checks that there was none. Checked:

* every lecture page shows every figure its notebook stores (plots and the
  pictures of the widgets' first states), each loaded, and its math typeset by
  the site's own MathJax, with no TeX error;
* a lecture links to its exercise sheet, and the page after it is that sheet;
* the search page finds the lecture on Jacobian accumulation;
* the sheet pages are blank sheets.

On failure a screenshot goes to ``test-artifacts/``. Without Chromium the
browser tests are skipped, and without the docs extra all of them, except
under ``CI=true``, where they fail.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from autodidact.course.site import build_site

from .conftest import ARTIFACTS, REPO

LECTURES = sorted((REPO / "notebooks").glob("*.ipynb"))
SHEETS = sorted((REPO / "exercises").glob("*.ipynb"))
LOCAL = "http://127.0.0.1:"

# Resolves to true once MathJax has typeset the page (at once on a page without
# math), or to false after 20 s without MathJax.
MATH_TYPESET = """() => new Promise((resolve) => {
    if (!document.querySelector('.math')) return resolve(true);
    setTimeout(() => resolve(false), 20000);
    const poll = () => (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)
        ? window.MathJax.startup.promise.then(() => resolve(true)) : setTimeout(poll, 50);
    poll();
})"""
# Resolves to what the page shows: its images (loaded or not) and its math.
PAGE_CONTENT = """async () => {
    const main = document.querySelector('article[role=main]');
    const images = [...main.querySelectorAll('img')];
    await Promise.all(images.map(image => image.complete ? null
        : new Promise(done => { image.onload = done; image.onerror = done; })));
    const math = [...main.querySelectorAll('.math')];
    return {
        images: images.length,
        loaded: images.filter(image => image.naturalWidth > 0).length,
        math: math.length,
        typeset: math.filter(node => node.querySelector('mjx-container')).length,
        errors: main.querySelectorAll('mjx-merror').length,
        raw: main.innerText.includes('\\\\('),
    };
}"""


def require_docs_extra() -> None:
    """Skip (fail under CI=true) when the `docs` extra is not installed."""
    names = ("sphinx", "myst_nb", "furo", "mathjax")
    missing = [name for name in names if not importlib.util.find_spec(name)]
    if missing:
        reason = (
            f"the site needs the docs extra ({', '.join(missing)} missing): pip install -e .[docs]"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real course's site, built once for the module."""
    require_docs_extra()
    return build_site(REPO, tmp_path_factory.mktemp("build") / "site").parent


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The site served on 127.0.0.1 (a free port); yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{LOCAL}{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def visit(browser, url: str, request) -> Iterator:
    """A page at `url` whose requests off 127.0.0.1 are refused; none may have been made."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    refused: list[str] = []

    def local_only(route) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    try:
        page.goto(url)
        page.wait_for_load_state("load")
        yield page
        assert not refused, f"the page asked the network for {refused}"
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot saved to {shot}")
        raise
    finally:
        page.close()


def stored_figures(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def has_math(notebook: nbformat.NotebookNode) -> bool:
    return any("$" in cell.source for cell in notebook.cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("lecture", LECTURES, ids=[path.stem for path in LECTURES])
def test_each_lecture_page_shows_its_figures_and_typeset_math(browser, server, lecture, request):
    notebook = nbformat.read(str(lecture), as_version=4)
    with visit(browser, f"{server}/notebooks/{lecture.stem}.html", request) as page:
        typeset = page.evaluate(MATH_TYPESET)
        shown = page.evaluate(PAGE_CONTENT)
    assert typeset, "MathJax did not typeset the page within 20 s"
    figures = stored_figures(notebook)
    assert shown["images"] == figures and shown["loaded"] == figures, shown
    assert shown["typeset"] == shown["math"] and not shown["errors"] and not shown["raw"], shown
    if has_math(notebook):
        assert shown["math"] > 0, shown


def test_the_widget_lectures_show_their_pictures(browser, server, request):
    """The widgets' pictures are among the figures counted above; here they are by name."""
    with visit(browser, f"{server}/notebooks/03_reverse_mode.html", request) as page:
        cell = page.locator(".cell", has_text="ReverseStepper(table_b)").first
        picture = cell.locator("img")
        assert picture.count() == 1
        assert picture.evaluate("image => image.naturalWidth") > 300


def test_a_lecture_links_to_its_sheet_and_the_next_page_is_that_sheet(browser, server, request):
    with visit(browser, f"{server}/notebooks/01_finite_differences.html", request) as page:
        page.get_by_role("link", name="Exercises 01: finite differences").first.click()
        page.wait_for_url("**/exercises/01_finite_differences.html")
        page.locator("a.prev-page").click()
        page.wait_for_url("**/notebooks/01_finite_differences.html")
        page.locator("a.next-page").click()
        page.wait_for_url("**/exercises/01_finite_differences.html")
        page.locator("a.next-page").click()
        page.wait_for_url("**/notebooks/02_forward_mode.html")


def test_search_finds_the_lecture_on_jacobian_accumulation(browser, server, request):
    with visit(browser, f"{server}/search.html?q=bracketing", request) as page:
        results = page.locator("ul.search li a")
        results.first.wait_for(timeout=15_000)
        hrefs = results.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert any("notebooks/04_jacobian_accumulation" in href for href in hrefs), hrefs


@pytest.mark.parametrize("sheet", SHEETS, ids=[path.stem for path in SHEETS])
def test_sheet_pages_are_blank_sheets(site, sheet):
    page = (site / "exercises" / f"{sheet.stem}.html").read_text(encoding="utf-8")
    assert "YOUR CODE HERE" in page
    assert "BEGIN SOLUTION" not in page and "END SOLUTION" not in page
    assert not (site / "solutions").exists()
