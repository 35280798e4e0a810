"""Build the course as a static website (``make site``, or ``python -m autodidact.course.site``).

The site has one page per lecture (``notebooks/*.ipynb``, with the outputs
stored in the notebook: nothing is executed) and one per student sheet
(``exercises/*.ipynb``: the sheets without answers; ``solutions/`` is never
read). The table of contents lists every lecture followed by its sheet, in
the order of the course manifest, ``course.toml``. Each lecture links to its sheet and back, and a
path such as `notebooks/05_linear_algebra.ipynb` written as code in a Markdown
cell becomes a link to that page.

The pages are staged in a folder beside the site (copies, changed only for
the web: the links above are added and the widget state, which needs a
kernel or scripts from the network, is dropped, leaving the picture each
widget cell stores of its first state). Sphinx with MyST-NB then builds the
site with the configuration in ``docs/conf.py``. Search, MathJax and every
other file the pages use are in the site, which builds and reads offline.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autodidact.course.layout import CourseError, find_course_root, sheets_in
from autodidact.course.sheets import notebook_text, read_notebook
from autodidact.course.stable_outputs import WIDGET_VIEW

LECTURES, SHEETS = "notebooks", "exercises"
SITE_TITLE = "autodidact: automatic differentiation by building it"
INDEX_TEXT = """\
A course that teaches automatic differentiation by building it: a small
Autograd-style library, and lectures that take you from finite differences to
forward and reverse mode, Jacobian accumulation, gradients through linear
algebra, backpropagation, second order and checkpointing, and finally to the
engine itself. Each lecture is followed by its exercise sheet.

These pages show the notebooks with the outputs stored when they last ran.
The exercise sheets are shown blank, as a student gets them; to work on them,
with each exercise checked as you go, get the course and run `make lab`.
"""
# `notebooks/NN_name.ipynb` or `exercises/NN_name` written as inline code in Markdown.
PAGE_PATH = re.compile(r"(?<!`)`((?:notebooks|exercises)/(\d\d_\w+?))(?:\.ipynb)?`(?!`)")


@dataclass(frozen=True)
class Page:
    """One page of the site: a lecture or a sheet, and the notebook it is made from."""

    kind: str  # "lecture" or "sheet"
    source: Path

    @property
    def docname(self) -> str:
        """The page's name in the site, e.g. ``notebooks/01_finite_differences``."""
        folder = LECTURES if self.kind == "lecture" else SHEETS
        return f"{folder}/{self.source.stem}"


def course_pages(root: Path) -> list[Page]:
    """The site's pages in reading order: each lecture, then its sheet.

    The order is course.toml's; in a course without one, file-name order, each
    lecture followed by the sheet of the same name, and sheets without a lecture
    of their name last.
    """
    from autodidact.course.manifest import load_manifest

    manifest = load_manifest(root)
    if manifest is not None:
        pages = []
        for lecture in manifest.lectures:
            pages.append(Page("lecture", root / LECTURES / f"{lecture.id}.ipynb"))
            pages.extend(
                Page("sheet", root / SHEETS / f"{sheet.id}.ipynb")
                for sheet in manifest.sheets
                if sheet.lecture == lecture.id
            )
        missing = [page.source for page in pages if not page.source.is_file()]
        if missing:
            raise CourseError(f"course.toml lists {missing[0]}, which does not exist.")
        return pages
    lectures = sheets_in(root / LECTURES)
    sheets = {path.stem: path for path in sheets_in(root / SHEETS)}
    if not lectures and not sheets:
        raise CourseError(f"no notebooks in {root / LECTURES} or {root / SHEETS}.")
    pages = []
    for lecture in lectures:
        pages.append(Page("lecture", lecture))
        if lecture.stem in sheets:
            pages.append(Page("sheet", sheets.pop(lecture.stem)))
    pages.extend(Page("sheet", path) for path in sheets.values())
    return pages


def _title(notebook: nbformat.NotebookNode, fallback: str) -> str:
    """The text of the notebook's first Markdown heading."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _link_paths(source: str, known: set[str]) -> str:
    """Turn `notebooks/NN_x.ipynb` code spans naming a page of the site into links."""

    def link(match: re.Match) -> str:
        docname = match.group(1)
        if docname not in known:
            return match.group(0)
        return f"[{match.group(0)}](../{docname}.ipynb)"

    return PAGE_PATH.sub(link, source)


def _companion_note(page: Page, pages: list[Page], titles: dict[str, str]) -> str | None:
    """A line linking a lecture to its sheet, or a sheet to its lecture."""
    for other in pages:
        if other.source.stem == page.source.stem and other.kind != page.kind:
            target = f"[{titles[other.docname]}](../{other.docname}.ipynb)"
            if page.kind == "lecture":
                return f"*This lecture's exercise sheet:* {target}."
            return (
                f"*The lecture for this sheet:* {target}. The sheet is shown blank; "
                "to fill it in and check your answers, open it in JupyterLab (`make lab`)."
            )
    return None


def site_notebook(page: Page, pages: list[Page], titles: dict[str, str]) -> str:
    """The text of the page's notebook as the site shows it."""
    notebook = read_notebook(page.source)
    notebook.metadata.pop("widgets", None)
    known = {other.docname for other in pages}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = _link_paths(cell.source, known)
        elif cell.cell_type == "code":
            cell.outputs = [
                output for output in cell.outputs if WIDGET_VIEW not in output.get("data", {})
            ]
    note = _companion_note(page, pages, titles)
    if note is not None:
        first_markdown = next(
            (index for index, cell in enumerate(notebook.cells) if cell.cell_type == "markdown"),
            -1,
        )
        note_cell = nbformat.v4.new_markdown_cell(note)
        note_cell.id = "site-companion-note"  # not random, so an unchanged page stays cached
        notebook.cells.insert(first_markdown + 1, note_cell)
    return notebook_text(notebook)


def index_text(pages: list[Page]) -> str:
    """The site's front page: a short introduction and the table of contents."""
    entries = "\n".join(page.docname for page in pages)
    return (
        f"# {SITE_TITLE}\n\n{INDEX_TEXT}\n"
        f"```{{toctree}}\n:caption: Lectures and exercise sheets\n:maxdepth: 1\n\n{entries}\n```\n"
    )


def _write_if_changed(path: Path, text: str) -> None:
    """Write `text` unless the file already holds it (Sphinx then keeps its cached page)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def stage_pages(root: Path, staging: Path) -> list[Page]:
    """Write the site's sources (index and notebooks) into `staging`; return the pages."""
    pages = course_pages(root)
    titles = {page.docname: _title(read_notebook(page.source), page.source.stem) for page in pages}
    wanted = {staging / "index.md"}
    _write_if_changed(staging / "index.md", index_text(pages))
    for page in pages:
        target = staging / f"{page.docname}.ipynb"
        wanted.add(target)
        _write_if_changed(target, site_notebook(page, pages, titles))
    for old in staging.rglob("*.ipynb"):  # a lecture removed since the last build
        if old not in wanted:
            old.unlink()
    return pages


def build_site(root: Path, out: Path, quiet: bool = True) -> Path:
    """Build the site of the course at `root` into `out`; return the path of its front page.

    The staged sources and Sphinx's cache sit beside `out` (``.NAME-sources``
    and ``.NAME-doctrees``), so a second build only redoes the pages whose
    notebooks changed. Raises `CourseError` if Sphinx reports a warning.
    """
    try:
        from sphinx.cmd.build import build_main
    except ImportError:
        raise CourseError(
            "Sphinx is not installed: run `pip install -e .[docs]` (or `make site`)."
        ) from None
    out = out.resolve()
    staging = out.parent / f".{out.name}-sources"
    doctrees = out.parent / f".{out.name}-doctrees"
    stage_pages(root, staging)
    confdir = root / "docs"
    if not (confdir / "conf.py").is_file():
        raise CourseError(f"{confdir / 'conf.py'} is missing: the site needs its configuration.")
    arguments = ["-b", "html", "-c", str(confdir), "-d", str(doctrees), "-W", "--keep-going"]
    if quiet:
        arguments.append("-q")
    status = build_main([*arguments, str(staging), str(out)])
    if status != 0:
        raise CourseError(f"Sphinx could not build the site (exit status {status}); see above.")
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autodidact.course.site",
        description="Build the lectures and blank exercise sheets into a static website.",
    )
    parser.add_argument("out", nargs="?", default="build/site", help="default: build/site")
    parser.add_argument("--root", help="the course folder (default: found from here)")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    try:
        root = Path(args.root).resolve() if args.root else find_course_root()
        out = Path(args.out)
        if not out.is_absolute():
            out = root / out
        front = build_site(root, out, quiet=not args.verbose)
    except CourseError as error:
        print(f"autodidact: {error}", file=sys.stderr)
        return 2
    print(f"The site is in {front.parent}: open {front}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
