"""The course site (`make site`): which pages it has, in what order, and what they hold.

The staging tests need no Sphinx. The build test builds the site of a small
course in a temporary folder: a lecture added there joins the table of
contents without any edit, and nothing of ``solutions/`` reaches the site. The
real course's site is built and read in Chromium by tests/browser/test_site_in_browser.py.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autodidact.course.site import Page, build_site, course_pages, site_notebook, stage_pages

from .conftest import REPO

SECRET = "SOLUTION-ONLY-TEXT-8c1f"
PNG = (  # a 1 x 1 white PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAFLvkZQAAAABJRU5ErkJggg=="
)


def require_docs_extra() -> None:
    """Skip (fail under CI=true) when the `docs` extra is not installed."""
    missing = [
        name
        for name in ("sphinx", "myst_nb", "furo", "mathjax")
        if not importlib.util.find_spec(name)
    ]
    if missing:
        reason = (
            f"the site needs the docs extra ({', '.join(missing)} missing): pip install -e .[docs]"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def lecture(title: str, *cells) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=[new_markdown_cell(f"# {title}\n\nSome prose."), *cells])
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def small_course(root: Path) -> Path:
    """Lectures 00, 01 and 09; sheets 01 and 09; a solution sheet holding `SECRET`."""
    for folder in ("notebooks", "exercises", "solutions", "docs"):
        (root / folder).mkdir(parents=True)
    shutil.copy(REPO / "docs" / "conf.py", root / "docs" / "conf.py")
    plot = new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})
    notebooks = {
        "notebooks/00_start_here": lecture(
            "Start here",
            new_markdown_cell(
                "Now open `notebooks/01_first.ipynb`; `notebooks/07_missing.ipynb` is not a page."
            ),
        ),
        "notebooks/01_first": lecture(
            "01 First",
            new_markdown_cell("The slope $f'(x) = 2x$ and $$\\int_0^1 x\\,dx = \\tfrac12.$$"),
            new_code_cell("plot()", outputs=[plot]),
        ),
        "notebooks/09_new": lecture("09 A lecture added later"),
        "exercises/01_first": lecture("Exercises 01", new_code_cell("# YOUR CODE HERE")),
        "exercises/09_new": lecture("Exercises 09"),
        "solutions/01_first": lecture("Exercises 01", new_code_cell(f"answer = '{SECRET}'")),
    }
    for name, notebook in notebooks.items():
        nbformat.write(notebook, str(root / f"{name}.ipynb"))
    return root


def test_each_lecture_is_followed_by_its_sheet(tmp_path):
    root = small_course(tmp_path / "course")
    pages = [page.docname for page in course_pages(root)]
    assert pages == [
        "notebooks/00_start_here",
        "notebooks/01_first",
        "exercises/01_first",
        "notebooks/09_new",
        "exercises/09_new",
    ]


def test_the_real_course_lists_every_lecture_and_sheet_and_no_solution():
    pages = course_pages(REPO)
    assert {page.source for page in pages} == set((REPO / "notebooks").glob("*.ipynb")) | set(
        (REPO / "exercises").glob("*.ipynb")
    )
    assert all(page.source.parent.name != "solutions" for page in pages)


def test_staged_pages_link_lecture_and_sheet_and_drop_widget_state(tmp_path):
    root = small_course(tmp_path / "course")
    pages = course_pages(root)
    titles = {page.docname: page.docname for page in pages}
    start, first, sheet = (
        nbformat.reads(site_notebook(page, pages, titles), as_version=4) for page in pages[:3]
    )
    assert "[`notebooks/01_first.ipynb`](../notebooks/01_first.ipynb)" in start.cells[1].source
    assert "`notebooks/07_missing.ipynb` is not" in start.cells[1].source  # no such page
    assert first.cells[1].source.startswith("*This lecture's exercise sheet:*")
    assert "(../exercises/01_first.ipynb)" in first.cells[1].source
    assert "(../notebooks/01_first.ipynb)" in sheet.cells[1].source

    lecture_03 = REPO / "notebooks" / "03_reverse_mode.ipynb"
    staged = nbformat.reads(site_notebook(Page("lecture", lecture_03), [], {}), as_version=4)
    assert "widgets" not in staged.metadata
    assert pictures(staged) == pictures(nbformat.read(str(lecture_03), as_version=4)) > 0
    assert not any(
        "application/vnd.jupyter.widget-view+json" in output.get("data", {})
        for cell in staged.cells
        for output in cell.get("outputs", [])
    )


def pictures(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


def test_staging_twice_rewrites_nothing(tmp_path):
    root = small_course(tmp_path / "course")
    staging = tmp_path / "staging"
    stage_pages(root, staging)
    times = {path: path.stat().st_mtime_ns for path in staging.rglob("*") if path.is_file()}
    stage_pages(root, staging)
    assert times == {path: path.stat().st_mtime_ns for path in staging.rglob("*") if path.is_file()}


def test_a_small_course_builds_offline_with_a_new_lecture_and_no_solutions(tmp_path):
    require_docs_extra()
    root = small_course(tmp_path / "course")
    front = build_site(root, root / "build" / "site")
    site = front.parent
    index = front.read_text(encoding="utf-8")
    assert 'href="notebooks/09_new.html"' in index and "09 A lecture added later" in index
    for name in ("notebooks/01_first", "exercises/01_first", "notebooks/09_new", "search"):
        assert (site / f"{name}.html").is_file(), name
    assert (site / "searchindex.js").is_file()
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    first = (site / "notebooks" / "01_first.html").read_text(encoding="utf-8")
    assert 'src="../_static/mathjax/tex-chtml.js"' in first and "<img" in first
    for path in site.rglob("*"):
        assert "solutions" not in path.parts
        if path.suffix in (".html", ".js", ".txt", ".ipynb"):
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
