"""Student sheets, generated from the solution sheets.

In ``solutions/NN_topic.ipynb`` every answer sits between two marker lines::

    def central_difference(f, x, eps=1e-5):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

`make_student_sheet` replaces each marked region, markers included, by
``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the indentation
of the BEGIN line (in a Markdown cell, by ``YOUR ANSWER HERE``), removes the
hidden tests of the check cells, clears all outputs and execution counts, and
copies everything else as it is, metadata included: this is what
``nbgrader generate_assignment`` makes of the sheet, up to nbgrader's own
bookkeeping in the metadata.

`make_exercises` first stamps the solution sheets with their nbgrader
metadata (`autodidact.course.nbgrader_metadata`), then writes the student
sheets in ``exercises/``, which nothing else ever writes; `stale_exercises`
and `stale_solutions` tell whether both are in sync.
"""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autodidact.course.layout import CourseError, sheets_in
from autodidact.course.nbgrader_metadata import stamp, strip_hidden_tests

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook, turning unreadable JSON into a `CourseError`."""
    try:
        return nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise CourseError(f"{path} does not exist.") from None
    except Exception as error:  # NotJSONError, ValidationError, UnicodeDecodeError...
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CourseError(
            f"{path} is not a readable notebook ({type(error).__name__}: {first_line})."
        ) from None


def strip_solution(source: str, stub: tuple[str, ...], where: str = "") -> str:
    """Replace every BEGIN/END SOLUTION region of `source` by `stub` lines."""
    lines = source.split("\n")
    result: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise CourseError(f"{where} line {number}: {BEGIN} inside another solution.")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            result.extend(indent + stub_line for stub_line in stub)
        elif marker == END:
            if not inside:
                raise CourseError(f"{where} line {number}: {END} without a {BEGIN}.")
            inside = False
        elif not inside:
            result.append(line)
    if inside:
        raise CourseError(f"{where}: {BEGIN} without an {END}.")
    return "\n".join(result)


def has_solution(source: str) -> bool:
    return any(line.strip() == BEGIN for line in source.split("\n"))


def make_student_sheet(solution: nbformat.NotebookNode, name: str = "") -> nbformat.NotebookNode:
    """The student sheet for a solution notebook: answers stubbed, outputs cleared."""
    sheet = copy.deepcopy(solution)
    sheet.metadata.pop("widgets", None)
    for index, cell in enumerate(sheet.cells, start=1):
        where = f"{name} cell {index}".strip()
        if cell.cell_type == "code":
            cell.source = strip_solution(strip_hidden_tests(cell.source), CODE_STUB, where)
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        elif cell.cell_type == "markdown":
            cell.source = strip_solution(cell.source, MARKDOWN_STUB, where)
    return sheet


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The exact text a notebook is stored as (nbformat's layout, final newline)."""
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


@dataclass(frozen=True)
class SheetPair:
    solution: Path
    exercise: Path


def sheet_pairs(root: Path) -> list[SheetPair]:
    """Every solution sheet with the path of the student sheet made from it."""
    solutions = sheets_in(root / "solutions")
    if not solutions:
        raise CourseError(f"no solution sheets in {root / 'solutions'}.")
    return [SheetPair(path, root / "exercises" / path.name) for path in solutions]


def stamped_solution(path: Path) -> nbformat.NotebookNode:
    """The solution sheet at `path` with its nbgrader metadata brought up to date.

    Its exercises and their points are those course.toml lists for it.
    """
    from autodidact.course.checking import exercises_of_sheet
    from autodidact.course.manifest import load_manifest

    listed = load_manifest(path.resolve().parent.parent)
    sheet = listed.sheet(path.stem) if listed else None
    if sheet is None:  # a course without a manifest: the check registry, points from the sheet
        return stamp(read_notebook(path), path.stem, exercises_of_sheet(path.stem))
    return stamp(read_notebook(path), sheet.id, list(sheet.exercises), sheet.points)


def generated_text(pair: SheetPair) -> str:
    solution = stamped_solution(pair.solution)
    return notebook_text(make_student_sheet(solution, pair.solution.name))


def stale_solutions(root: Path) -> list[Path]:
    """Solution sheets whose nbgrader metadata is missing or out of date."""
    stale = []
    for pair in sheet_pairs(root):
        expected = json.loads(notebook_text(stamped_solution(pair.solution)))
        if json.loads(pair.solution.read_text(encoding="utf-8")) != expected:
            stale.append(pair.solution)
    return stale


def stamp_solutions(root: Path) -> list[Path]:
    """Write the nbgrader metadata into every solution sheet that lacks it; return those."""
    written = []
    for pair in sheet_pairs(root):
        text = notebook_text(stamped_solution(pair.solution))
        if pair.solution.read_text(encoding="utf-8") != text:
            pair.solution.write_text(text, encoding="utf-8")
            written.append(pair.solution)
    return written


def stale_exercises(root: Path) -> list[Path]:
    """Student sheets that are missing or differ from what their solution generates.

    Also lists sheets in ``exercises/`` that have no solution any more.
    """
    stale = []
    pairs = sheet_pairs(root)
    for pair in pairs:
        if not pair.exercise.exists():
            stale.append(pair.exercise)
            continue
        try:
            current = json.loads(pair.exercise.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            stale.append(pair.exercise)
            continue
        if current != json.loads(generated_text(pair)):
            stale.append(pair.exercise)
    expected = {pair.exercise.name for pair in pairs}
    stale.extend(path for path in sheets_in(root / "exercises") if path.name not in expected)
    return stale


def looks_worked_on(current_text: str, generated_text: str) -> bool:
    """Whether a sheet in exercises/ seems to hold someone's work, not just an old generation.

    Generated sheets are never executed and their exercise cells hold the stub;
    a sheet with outputs, or whose exercise cells differ from the stub, was
    probably filled in by a student who opened exercises/ instead of workspace/.
    """
    try:
        current = nbformat.reads(current_text, as_version=4)
        generated = nbformat.reads(generated_text, as_version=4)
    except Exception:
        return True
    stubs = {
        cell.get("id"): cell.source
        for cell in generated.cells
        if cell.cell_type == "code" and CODE_STUB[1] in cell.source
    }
    for cell in current.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            return True
        if cell.get("id") in stubs and cell.source != stubs[cell.get("id")]:
            return True
    return False


def is_committed_version(path: Path, text: str) -> bool:
    """Whether `text` is exactly the version of `path` committed in git (an old generation).

    Anything else (a file changed since the last commit, no git at all) may hold
    someone's edits, so the caller keeps a copy before replacing it.
    """
    try:
        committed = subprocess.run(
            ["git", "show", f"HEAD:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return committed.decode("utf-8", errors="replace") == text


def make_exercises(root: Path, backup_to: Path | None = None) -> list[Path]:
    """Stamp the solution sheets, write every student sheet from its solution; return the
    sheets that changed (solutions stamped, then student sheets written).

    A sheet about to be replaced that `looks_worked_on`, or that is not the
    version committed in git, is first copied into the folder `backup_to`
    (the workspace), so that nobody's work is lost.
    """
    from autodidact.course.workspace import backup

    changed = stamp_solutions(root)
    (root / "exercises").mkdir(exist_ok=True)
    for pair in sheet_pairs(root):
        text = generated_text(pair)
        if pair.exercise.exists():
            current = pair.exercise.read_text(encoding="utf-8", errors="replace")
            if current == text:
                continue
            edited = looks_worked_on(current, text) or not is_committed_version(
                pair.exercise, current
            )
            if backup_to is not None and edited:
                kept = backup(pair.exercise, backup_to)
                print(f"{pair.exercise.name} in exercises/ had been edited: kept it as {kept}")
        pair.exercise.write_text(text, encoding="utf-8")
        changed.append(pair.exercise)
    return changed
