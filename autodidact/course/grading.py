"""Run a student's notebook with the course's checks and say, per exercise, what happened.

`grade_notebook` is shared by ``autodidact check`` (a student checking their
own sheets) and ``autodidact grade`` (an instructor grading a class). It

1. plans the run (`autodidact.course.plan`): the student's cells, with the
   instructor's checks in place of the check cells, deleted ones put back;
2. runs it in a fresh runner process with a time limit (`autodidact.course.sandbox`);
3. turns what came back into one `Verdict` per exercise of the sheet, in the
   sheet's order, and a list of `CellProblem`s: every cell that raised, with
   its number ``[n]`` as JupyterLab shows it after a run from the top, the
   line and the exception; a time-out, a crash or tampering, once.

An exercise whose check could not run is a FAIL that says why, pointing at
the cell that caused it: a syntax error in the answer cell is one problem,
and its exercise says "not defined ... cell [4] stopped at line 1 with
SyntaxError", not a NameError per exercise. No verdict is ever read from
what the notebook displays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autodidact.course.layout import CourseError
from autodidact.course.nbgrader_metadata import SheetLayout
from autodidact.course.plan import Plan, defines, plan_notebook
from autodidact.course.sandbox import Limits, RunResult, run_steps
from autodidact.course.verdicts import FAIL, PASS, TODO, Verdict


@dataclass(frozen=True)
class CellProblem:
    """A cell that raised or stopped the run: its number [n], first line, line and message.

    Cell 0 stands for the file or the run as a whole.
    """

    cell: int
    first_line: str
    message: str
    line: int | None = None

    def describe(self) -> str:
        if self.cell == 0:
            return self.message
        where = f"cell [{self.cell}]" + (f", line {self.line}" if self.line else "")
        return f"{where} ({self.first_line}): {self.message}"


@dataclass
class SheetReport:
    """Everything learnt from one notebook: its verdicts, problems and what to look at by hand."""

    path: Path
    sheet: str | None
    verdicts: list[Verdict] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    result: RunResult | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and all(v.status == PASS for v in self.verdicts)


def _not_checked(exercise: str, reason: str) -> Verdict:
    return Verdict(exercise, FAIL, "", reason)


def _cause_of_undefined(name: str, check_step: int, plan: Plan, result: RunResult) -> str:
    """Why `name` did not exist when its check ran: the failed cell that should define it."""
    before = {
        plan.cells[index].number: step["source"]
        for index, step in enumerate(plan.steps[:check_step])
        if step["kind"] == "run" and plan.cells[index] is not None
    }
    errors = [error for error in result.errors if error.cell in before]
    defining = [error for error in errors if defines(before[error.cell], name)]
    for error in (defining or errors)[-1:]:
        at = f" at line {error.line}" if error.line else ""
        return f"; cell [{error.cell}] stopped{at} with {error.ename}: {error.evalue}"
    return " (was its cell deleted, or the function renamed?)"


def _why_unchecked(plan: Plan, result: RunResult, limits: Limits) -> str:
    """Why a check never ran: the run ended early (time, crash, tampering) before it."""
    running = plan.cell_of_step(result.step)
    running_step = plan.steps[result.step] if result.step is not None else None
    if result.ended == "tampered":
        return f"not graded: {result.detail}; review this submission by hand"
    if result.ended == "start":
        return f"not checked: the grader could not run the sheet ({result.detail})"
    if running_step is not None and running_step["kind"] == "check":
        where = "while checking " + ", ".join(call[0] for call in running_step["calls"])
    elif running is not None:
        where = f"in cell [{running.number}] ({running.first_line})"
    else:
        where = "before its first cell"
    if result.ended == "time":
        return (
            f"not checked: the sheet used up its {limits.seconds:g} s {where}; "
            "an endless loop, or a function that never returns?"
        )
    if result.ended == "died":
        return (
            f"not checked: the sheet's process ended {where}, {result.detail}; "
            "os._exit, a crash, or the memory limit?"
        )
    return "not checked: no verdict came back"


def _problems(plan: Plan, result: RunResult, limits: Limits) -> list[CellProblem]:
    by_number = {cell.number: cell for cell in plan.cells if cell is not None}
    problems = []
    for error in result.errors:
        cell = by_number.get(error.cell)
        message = f"{error.ename}: {error.evalue}" if error.evalue else error.ename
        problems.append(
            CellProblem(error.cell, cell.first_line if cell else "", message, error.line)
        )
    running = plan.cell_of_step(result.step)
    number, first = (running.number, running.first_line) if running else (0, "")
    if result.ended == "time":
        message = f"timed out after {limits.seconds:g} s; the rest of the sheet was not run"
        problems.append(CellProblem(number, first, message))
    elif result.ended == "died":
        problems.append(CellProblem(number, first, f"the process ended ({result.detail})"))
    elif result.ended in ("tampered", "start"):
        problems.append(CellProblem(0, "", result.detail))
    return problems


def grade_notebook(
    notebook: nbformat.NotebookNode,
    layout: SheetLayout,
    path: Path,
    limits: Limits | None = None,
    user: tuple[int, int] | None = None,
    route: bool = False,
) -> SheetReport:
    """Run `notebook` (read from `path`) with the checks of `layout`; report per exercise."""
    limits = limits or Limits()
    plan = plan_notebook(notebook, layout)
    result = run_steps(plan.steps, limits, user, route)
    report = SheetReport(path, layout.sheet, result=result)
    reported = iter(result.verdicts)
    for index, step in enumerate(plan.steps):
        if step["kind"] != "check":
            continue
        for exercise, _ in step["calls"]:
            given = next(reported, None)
            if given is None:
                report.verdicts.append(_not_checked(exercise, _why_unchecked(plan, result, limits)))
            elif given.undefined:
                cause = _cause_of_undefined(given.undefined, index, plan, result)
                reason = f"not checked: `{given.undefined}` is not defined"
                report.verdicts.append(_not_checked(exercise, reason + cause))
            else:
                report.verdicts.append(given.verdict)
    order = {name: index for index, name in enumerate(layout.exercises)}
    report.verdicts.sort(key=lambda verdict: order.get(verdict.exercise, len(order)))
    report.problems = _problems(plan, result, limits)
    if result.ended == "tampered":
        report.review.append(result.detail)
    return report


def unreadable_report(
    path: Path, sheet: str | None, layout: SheetLayout | None, why: str
) -> SheetReport:
    """The report of a file that could not be run: every exercise of its sheet, unchecked."""
    report = SheetReport(path, sheet, problems=[CellProblem(0, "", why)])
    for exercise in layout.exercises if layout else []:
        report.verdicts.append(_not_checked(exercise, f"not checked: {why}"))
    return report


def check_sheet(
    path: Path, layouts: dict[str, SheetLayout], timeout: float = 120.0, route: bool = False
) -> SheetReport:
    """Run the student's sheet at `path` (only read, never written) and report on it."""
    from autodidact.course.identify import identify_sheet
    from autodidact.course.sheets import read_notebook

    try:
        notebook = read_notebook(path)
    except CourseError as error:
        sheet = identify_sheet(None, path.name, layouts)
        number = (sheet or path.stem)[:2]
        advice = (
            f" Repair it, or run `autodidact reset {number}` for a fresh sheet "
            "(your copy is kept in workspace/.backup/)."
        )
        return unreadable_report(path, sheet, layouts.get(sheet), str(error) + advice)
    sheet = identify_sheet(notebook, path.name, layouts)
    if sheet is None:
        known = ", ".join(layouts)
        why = f"cannot tell which sheet {path.name} is (none of {known})"
        return unreadable_report(path, None, None, why)
    return grade_notebook(notebook, layouts[sheet], path, Limits(seconds=timeout), None, route)


NOTE_WIDTH = 110
INPUT_WIDTH = 40


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def _note(verdict: Verdict, full: bool) -> str:
    """What the table says about a verdict.

    In full: the whole verdict (input tried, expected against got or the
    exception, the hint). Otherwise one short line that keeps what happened
    whole, with the input shortened and the hint left for ``--full``: a crash
    is never hidden behind a hint.
    """
    if full:
        text = verdict.text[len(verdict.exercise) + 2 :]
        return text[len(verdict.status) :].lstrip(" -") if verdict.status != TODO else text
    if verdict.status == TODO:
        return "not done yet"
    if verdict.status == PASS:
        return ""
    if not verdict.detail:
        return _cut(verdict.hint, NOTE_WIDTH)
    tried, _, outcome = verdict.detail.partition(": ")
    if not outcome:
        return _cut("on " + verdict.detail, NOTE_WIDTH)
    tried = _cut(tried, INPUT_WIDTH)
    return "on " + tried + ": " + _cut(outcome, NOTE_WIDTH - len(tried) - 5)


def format_reports(reports: list[SheetReport], full: bool = False) -> str:
    """The table `autodidact check` prints, followed by problems and a summary line."""
    rows = [("sheet", "exercise", "result", "details")]
    for report in reports:
        for verdict in report.verdicts:
            name = report.path.stem
            rows.append((name, verdict.exercise, verdict.status, _note(verdict, full)))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[column].ljust(widths[column]) for column in range(3)] + [row[3]]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths) + "  -------")
    problems = [(report, problem) for report in reports for problem in report.problems]
    if problems:
        lines += ["", "Problems found while running the sheets (cells numbered [n] as JupyterLab"]
        lines += ["numbers them when the sheet runs from the top in a fresh kernel):"]
        lines += [f"  {report.path.stem}, {problem.describe()}" for report, problem in problems]
    verdicts = [verdict for report in reports for verdict in report.verdicts]
    passed = sum(verdict.status == PASS for verdict in verdicts)
    lines += ["", f"{passed} of {len(verdicts)} exercises pass."]
    if (passed < len(verdicts) or problems) and not full:
        lines.append(
            "For whole verdicts run `autodidact check --full`, or run the check cells in the sheet."
        )
    return "\n".join(lines)
