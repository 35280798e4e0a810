"""Which sheet a notebook is, and whose: from its metadata, its cells or its file name.

Course platforms rename the files they collect, e.g.
``frank_123456_01_finite_differences.ipynb``; students rename them too. So a
notebook is identified by, in this order:

1. the sheet named in its notebook metadata (``autodidact.sheet``), which
   every sheet carries from ``exercises/`` on;
2. a sheet's name inside the file name (the longest one, if several);
3. the grade ids of its check cells, if they are those of exactly one sheet.

The student is the part of the file name before the sheet's name, as the
platforms write it (``frank_123456``), or else the file name itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from autodidact.course.layout import CourseError, sheets_in
from autodidact.course.nbgrader_metadata import METADATA_KEY, SheetLayout, grade_id_of, layout_of

# What platforms append to the student's part of a file name (Moodle: "..._assignsubmission_file_").
PLATFORM_SUFFIXES = re.compile(r"([_\-\s]*(assignsubmission_file|onlinetext))?[_\-\s.]*$", re.I)


def course_layouts(root: Path) -> dict[str, SheetLayout]:
    """The layout of every sheet of the course, from ``solutions/`` (else ``exercises/``)."""
    from autodidact.course.sheets import read_notebook, stamped_solution

    solutions = sheets_in(root / "solutions")
    if solutions:
        return {path.stem: layout_of(stamped_solution(path)) for path in solutions}
    layouts = {}
    for path in sheets_in(root / "exercises"):
        try:
            layouts[path.stem] = layout_of(read_notebook(path))
        except CourseError as error:
            raise CourseError(f"{path}: {error}") from None
    if not layouts:
        raise CourseError(f"no sheets in {root / 'solutions'} or {root / 'exercises'}.")
    return layouts


def sheet_in_name(filename: str, layouts: dict[str, SheetLayout]) -> str | None:
    """The sheet whose name occurs in `filename` (the longest such name), if any."""
    found = [sheet for sheet in layouts if sheet in filename]
    return max(found, key=len) if found else None


def identify_sheet(
    notebook: nbformat.NotebookNode | None, filename: str, layouts: dict[str, SheetLayout]
) -> str | None:
    """The sheet `notebook` (read from `filename`; None if unreadable) is a copy of, if known."""
    if notebook is not None:
        metadata = notebook.metadata.get(METADATA_KEY)
        sheet = metadata.get("sheet") if isinstance(metadata, dict) else None
        if isinstance(sheet, str) and sheet in layouts:
            return sheet
    sheet = sheet_in_name(filename, layouts)
    if sheet is not None or notebook is None:
        return sheet
    ids = {grade_id_of(cell) for cell in notebook.cells} - {None}
    owners = [
        sheet for sheet, layout in layouts.items() if ids & {p.grade_id for p in layout.checks}
    ]
    return owners[0] if len(owners) == 1 else None


def student_of(path: Path, sheet: str | None) -> str:
    """The student a file belongs to, as the platform named it, else the file's name."""
    if sheet and sheet in path.name:
        prefix = PLATFORM_SUFFIXES.sub("", path.name[: path.name.index(sheet)])
        if prefix:
            return prefix
    return path.name
