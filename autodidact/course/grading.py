"""Run a student's sheet in a fresh kernel and gather the verdicts of its check cells.

`check_sheet` copies the sheet to a temporary folder (the student's file is
only read), executes it cell by cell with nbclient under a time budget for
the whole sheet, and reads back:

* the verdicts the check cells displayed (see `autodidact.course.verdicts`);
* every cell that raised, with its message (a syntax error in an exercise, a
  typo in a helper cell ...); execution carries on after an error, so one
  broken cell does not hide the verdicts of the others;
* a time-out, which interrupts the sheet and is reported with its cell.

An exercise registered for the sheet whose check produced no verdict is a
FAIL that says why (its check cell raised, or never ran).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autodidact.course.checking import exercises_of_sheet
from autodidact.course.layout import CourseError
from autodidact.course.sheets import read_notebook
from autodidact.course.verdicts import FAIL, PASS, TODO, Verdict, verdicts_in_outputs

CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\w+)["']""")


@dataclass(frozen=True)
class CellProblem:
    """A cell that raised or timed out: its 1-based number, first source line, message."""

    cell: int
    first_line: str
    message: str

    def describe(self) -> str:
        if self.cell == 0:
            return self.message
        return f"cell {self.cell} ({self.first_line}): {self.message}"


@dataclass
class SheetReport:
    """Everything `autodidact check` learnt from one sheet."""

    sheet: Path
    verdicts: list[Verdict] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(v.status == PASS for v in self.verdicts)


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 50 else line[:47] + "..."
    return "empty"


def _error_message(output: dict) -> str:
    evalue = str(output.get("evalue", "")).strip().splitlines()
    return output.get("ename", "Error") + (f": {evalue[0]}" if evalue else "")


def _execute(notebook, workdir: Path, timeout: float) -> CellProblem | None:
    """Execute `notebook` in place; return the time-out or dead-kernel problem, if any."""
    deadline = time.monotonic() + timeout
    client = NotebookClient(
        notebook,
        timeout=int(timeout),
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic() + 0.999)),
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=False,
        record_timing=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    # The kernel's own stderr carries only start-up chatter; cell output comes via messages.
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            where = (index + 1, _first_line(cell.source))
            if time.monotonic() >= deadline:
                return CellProblem(*where, f"not run: the sheet used up its {timeout:g} s")
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                return CellProblem(
                    *where,
                    f"timed out: the sheet ran for more than {timeout:g} s "
                    "(an infinite loop?); the cells after it were not run",
                )
            except DeadKernelError:
                return CellProblem(*where, "the kernel died; the cells after it were not run")
    return None


def check_sheet(path: Path, timeout: float = 120.0) -> SheetReport:
    """Execute a copy of the sheet at `path` and gather its verdicts and problems."""
    report = SheetReport(path)
    try:
        notebook = read_notebook(path)
    except CourseError as error:
        advice = (
            f" Repair it, or run `autodidact reset {path.stem[:2]}` for a fresh sheet "
            "(your copy is kept in workspace/.backup/)."
        )
        report.problems.append(CellProblem(0, "the file", str(error) + advice))
        return report
    with tempfile.TemporaryDirectory(prefix="autodidact-check-") as folder:
        workdir = Path(folder)
        shutil.copy(path, workdir / path.name)
        stopped = _execute(notebook, workdir, timeout)

    found: dict[str, Verdict] = {}
    reason_missing: dict[str, str] = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        number = index + 1
        outputs = cell.get("outputs", [])
        for verdict in verdicts_in_outputs(outputs):
            found[verdict.exercise] = verdict
        errors = [output for output in outputs if output.get("output_type") == "error"]
        if stopped is not None and number == stopped.cell:
            # The interruption that ended a timed-out cell is reported as the time-out.
            errors = [error for error in errors if error.get("ename") != "KeyboardInterrupt"]
        for error in errors:
            report.problems.append(
                CellProblem(number, _first_line(cell.source), _error_message(error))
            )
        for name in CHECK_CALL.findall(cell.source):
            if name in found:
                continue
            if stopped is not None and number >= stopped.cell:
                reason = stopped.message.split(";")[0].split(":")[0]
                reason_missing[name] = (
                    f"not checked: the sheet stopped at cell {stopped.cell} ({reason})"
                )
            elif errors:
                reason_missing[name] = (
                    f"its check cell (cell {number}) raised {_error_message(errors[0])}"
                )
            else:
                reason_missing[name] = f"its check cell (cell {number}) did not run"
    if stopped is not None:
        report.problems.append(stopped)

    expected = list(exercises_of_sheet(path.stem))
    expected += [name for name in found if name not in expected]
    expected += [name for name in reason_missing if name not in expected]
    for name in expected:
        if name in found:
            report.verdicts.append(found[name])
        else:
            why = reason_missing.get(name, "the sheet has no check cell for it")
            report.verdicts.append(Verdict(name, FAIL, "no verdict", why))
    return report


def _note(verdict: Verdict) -> str:
    if verdict.status == TODO:
        return "not done yet"
    if verdict.status == PASS:
        return ""
    text = verdict.hint or verdict.detail
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= 100 else first[:97] + "..."


def format_reports(reports: list[SheetReport]) -> str:
    """The table `autodidact check` prints, followed by problems and a summary line."""
    rows = [("sheet", "exercise", "result", "hint")]
    for report in reports:
        for verdict in report.verdicts:
            rows.append((report.sheet.stem, verdict.exercise, verdict.status, _note(verdict)))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[column].ljust(widths[column]) for column in range(3)] + [row[3]]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths) + "  ----")
    problems = [(report, problem) for report in reports for problem in report.problems]
    if problems:
        lines += ["", "Problems found while running the sheets:"]
        lines += [f"  {report.sheet.stem}, {problem.describe()}" for report, problem in problems]
    verdicts = [verdict for report in reports for verdict in report.verdicts]
    passed = sum(verdict.status == PASS for verdict in verdicts)
    lines += ["", f"{passed} of {len(verdicts)} exercises pass."]
    if passed < len(verdicts) or problems:
        lines.append("Open the sheet and run its check cells to see each verdict in full.")
    return "\n".join(lines)
