"""What in a course folder disagrees with its manifest, ``course.toml``.

`course_problems` lists, one line each:

* a lecture of ``notebooks/`` or a sheet of ``solutions/`` / ``exercises/``
  the manifest does not list, or one it lists that is missing (a renamed file);
* a title that is not the notebook's first heading;
* a sheet whose notebook metadata (its ``sheet``, exercises or points) differs
  from the manifest, whose check registry (``autodidact/course/checks``) holds
  other exercises, or that has no check cell for an exercise the manifest lists;
* a sheet following a lecture the manifest does not list;
* a cross-reference, such as ``notebooks/05_linear_algebra.ipynb`` in a
  notebook or the README, to a lecture or sheet the manifest does not list;
* a course list in ``notebooks/00_start_here.ipynb`` that is not the
  manifest's lectures in its order.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from autodidact.course.layout import sheets_in
from autodidact.course.manifest import Manifest
from autodidact.course.nbgrader_metadata import METADATA_KEY, check_calls

START_HERE = "00_start_here"
# `notebooks/05_linear_algebra.ipynb`, exercises/05_linear_algebra, workspace/05_... in any text.
CROSS_REFERENCE = re.compile(r"\b(notebooks|exercises|solutions|workspace)/(\d\d_\w+)")
# A row of the course list in 00_start_here: | `05_linear_algebra` | ... |
COURSE_LIST_ROW = re.compile(r"^\|\s*`(\d\d_\w+)`\s*\|", re.M)


def first_heading(notebook: nbformat.NotebookNode) -> str | None:
    """The text of the first Markdown heading of `notebook`."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return None


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def _files(root: Path, folder: str, listed: list[str], kind: str) -> list[str]:
    """Problems with the notebooks of `folder` against the ids the manifest lists."""
    found = [path.stem for path in sheets_in(root / folder)]
    problems = [
        f"{folder}/{stem}.ipynb is not a {kind} of course.toml"
        for stem in found
        if stem not in listed
    ]
    problems += [
        f"course.toml lists the {kind} {name}, but {folder}/{name}.ipynb does not exist"
        for name in listed
        if name not in found
    ]
    return problems


def _sheet_problems(root: Path, manifest: Manifest) -> list[str]:
    from autodidact.course.checking import exercises_of_sheet, load_all_checks

    problems = []
    for sheet in manifest.sheets:
        if sheet.lecture not in manifest.lecture_ids:
            problems.append(f"sheet {sheet.id} follows the lecture {sheet.lecture}, not listed")
        registered = exercises_of_sheet(sheet.id)
        if registered != list(sheet.exercises):
            problems.append(
                f"sheet {sheet.id}: the check registry holds {registered}, "
                f"course.toml lists {list(sheet.exercises)}"
            )
        for folder in ("solutions", "exercises"):
            path = root / folder / f"{sheet.id}.ipynb"
            if not path.is_file():
                continue
            notebook = _read(path)
            if folder == "exercises" and first_heading(notebook) != sheet.title:
                problems.append(
                    f"{folder}/{path.name}: its heading {first_heading(notebook)!r} is not its "
                    f"title in course.toml, {sheet.title!r}"
                )
            metadata = notebook.metadata.get(METADATA_KEY, {})
            expected = {
                "sheet": sheet.id,
                "exercises": list(sheet.exercises),
                "points": sheet.points,
            }
            if {key: metadata.get(key) for key in expected} != expected:
                problems.append(
                    f"{folder}/{path.name}: its metadata {dict(metadata)} disagrees with "
                    "course.toml (run `autodidact make-exercises`)"
                )
            called = [
                call.exercise
                for cell in notebook.cells
                if cell.cell_type == "code"
                for call in check_calls(cell.source) or []
            ]
            unchecked = [name for name in sheet.exercises if name not in called]
            if unchecked:
                problems.append(
                    f"{folder}/{path.name} has no check cell for {', '.join(unchecked)}"
                )
    listed = set(manifest.sheet_ids)
    for check in load_all_checks().values():
        if check.sheet not in listed:
            problems.append(f"the check of {check.name} is for sheet {check.sheet}, not listed")
    return problems


def _texts(root: Path) -> list[tuple[str, str]]:
    """(where, text) of every notebook cell and of the README, for cross-references."""
    texts = []
    for folder in ("notebooks", "solutions", "exercises"):
        for path in sheets_in(root / folder):
            for index, cell in enumerate(_read(path).cells, start=1):
                texts.append((f"{folder}/{path.name} cell {index}", cell.source))
    readme = root / "README.md"
    if readme.is_file():
        texts.append(("README.md", readme.read_text(encoding="utf-8")))
    return texts


def _cross_reference_problems(root: Path, manifest: Manifest) -> list[str]:
    problems = []
    for where, text in _texts(root):
        for folder, name in CROSS_REFERENCE.findall(text):
            known = manifest.lecture_ids if folder == "notebooks" else manifest.sheet_ids
            if name not in known:
                problems.append(f"{where} refers to {folder}/{name}, which course.toml lacks")
    return problems


def _course_list_problems(root: Path, manifest: Manifest) -> list[str]:
    path = root / "notebooks" / f"{START_HERE}.ipynb"
    if not path.is_file():
        return []
    text = "\n".join(cell.source for cell in _read(path).cells if cell.cell_type == "markdown")
    listed = COURSE_LIST_ROW.findall(text)
    expected = [name for name in manifest.lecture_ids if name != START_HERE]
    if listed != expected:
        return [f"the course list of {path.name} is {listed}; course.toml has {expected}"]
    return []


def course_problems(root: Path, manifest: Manifest) -> list[str]:
    """Every disagreement between the course folder `root` and its `manifest` (see the module)."""
    problems = _files(root, "notebooks", manifest.lecture_ids, "lecture")
    for folder in ("solutions", "exercises"):
        if (root / folder).is_dir():
            problems += _files(root, folder, manifest.sheet_ids, "sheet")
    for lecture in manifest.lectures:
        path = root / "notebooks" / f"{lecture.id}.ipynb"
        if path.is_file() and first_heading(_read(path)) != lecture.title:
            problems.append(
                f"notebooks/{path.name}: its heading {first_heading(_read(path))!r} is not its "
                f"title in course.toml, {lecture.title!r}"
            )
    problems += _sheet_problems(root, manifest)
    problems += _cross_reference_problems(root, manifest)
    problems += _course_list_problems(root, manifest)
    return problems
