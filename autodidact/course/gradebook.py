"""Grading a class: many submitted files, graded in parallel, written as a CSV and feedback.

``autodidact grade`` is for an instructor with a folder of collected files and
no nbgrader set-up. For each file it

* identifies the sheet and the student (`autodidact.course.identify`): any
  file name will do, the sheet is in the notebook's metadata;
* grades it with `grade_notebook`: the student's cells in their own runner
  process, in a throw-away folder, with a time and a memory limit, as an
  unprivileged user when started as root, the instructor's checks in place of
  the check cells;
* turns each exercise into a `GradeRow`: full points for a PASS, none
  otherwise, with the verdict that says why.

Files run `jobs` at a time, the slowest sheets first (`LongestFirst`). A
file that is not a notebook, or whose sheet cannot be told, still gets its
rows, saying why. A run killed by a signal the grader did not send (another
submission can kill processes of the same unprivileged user) is graded
again, alone, at the end.

`suspicious_code` lists what in a submission only makes sense against the
grader (redefining ``check``, building a ``Verdict``, ``sys.modules``,
frames, ctypes ...): those files are listed for a look by hand.
"""

from __future__ import annotations

import csv
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autodidact.course.grading import SheetReport, grade_notebook, unreadable_report
from autodidact.course.identify import identify_sheet, sheet_in_name, student_of
from autodidact.course.layout import CourseError
from autodidact.course.nbgrader_metadata import METADATA_KEY, SheetLayout
from autodidact.course.sandbox import Limits
from autodidact.course.verdicts import PASS, Verdict

CSV_COLUMNS = ("file", "student", "sheet", "exercise", "points", "max_points", "verdict")

SUSPICIOUS = {
    "redefines check": r"^\s*(def\s+check\s*\(|check\s*=[^=])",
    "builds a Verdict": r"\bVerdict\b|vnd\.autodidact\.verdict",
    "reaches into the checks": (
        r"\b(run_check|load_all_checks|_REGISTRY|exercise_check|points_earned)\b"
        r"|autodidact\.course\.(checking|checks|verdicts|points|runner|integrity|shortcuts)\b"
    ),
    "edits sys.modules": r"\bsys\.modules\b",
    "inspects frames or the garbage collector": r"\b(_getframe|f_locals|f_globals|gc\.get_\w+)",
    "uses ctypes": r"\bctypes\b",
    "ends its own process": r"\bos\._exit\b|\bos\.kill\b",
    "handles file descriptors": r"\bdup2\b|/proc/self|\bos\.(write|close)\s*\(\s*\d",
    "changes builtins": r"\b__builtins__\b|\bimport\s+builtins\b",
    "edits code objects": r"\b__code__\b",
}


@dataclass(frozen=True)
class GradeRow:
    """One line of the grades CSV: one exercise of one submitted file."""

    file: str
    student: str
    sheet: str
    exercise: str
    points: float
    max_points: float
    verdict: str


def suspicious_code(sources: list[str], known: frozenset[str] = frozenset()) -> list[str]:
    """What in these cell sources only makes sense when aimed at the grader.

    Lines in `known` (the sheet's own code, which may call the checks itself)
    are not the student's and are left out.
    """
    lines = [line for source in sources for line in source.splitlines()]
    text = "\n".join(line for line in lines if line.strip() not in known)
    return [what for what, pattern in SUSPICIOUS.items() if re.search(pattern, text, re.M)]


def submitted_files(arguments: list[str]) -> list[Path]:
    """The files named, and every file inside the folders named (hidden ones left out)."""
    files = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(
                entry
                for entry in path.rglob("*")
                if entry.is_file()
                and not any(part.startswith(".") for part in entry.relative_to(path).parts)
            )
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise CourseError(f"no such file or folder: {argument}")
    if not files:
        raise CourseError(f"no files to grade in {' '.join(arguments)}.")
    return files


def grade_file(
    path: Path,
    layouts: dict[str, SheetLayout],
    limits: Limits,
    user: tuple[int, int] | None,
) -> SheetReport:
    """Identify and grade one submitted file."""
    from autodidact.course.sheets import read_notebook

    try:
        notebook = read_notebook(path)
    except CourseError as error:
        sheet = identify_sheet(None, path.name, layouts)
        why = str(error).replace(str(path), path.name)
        return unreadable_report(path, sheet, layouts.get(sheet), why)
    sheet = identify_sheet(notebook, path.name, layouts)
    if sheet is None:
        why = "cannot tell which sheet this is (no autodidact metadata, no sheet in its name)"
        return unreadable_report(path, None, None, why)
    report = grade_notebook(notebook, layouts[sheet], path, limits, user)
    sources = [cell.get("source", "") for cell in notebook.cells if cell.get("cell_type") == "code"]
    report.review += suspicious_code(sources, layouts[sheet].lines)
    return report


def guess_sheet(path: Path, layouts: dict[str, SheetLayout]) -> str | None:
    """A cheap guess of a file's sheet, for scheduling: its name, else its metadata."""
    sheet = sheet_in_name(path.name, layouts)
    if sheet is None:
        try:
            metadata = json.loads(path.read_bytes()).get("metadata", {})
            sheet = metadata.get(METADATA_KEY, {}).get("sheet")
        except (OSError, ValueError, AttributeError):
            return None
    return sheet if isinstance(sheet, str) else None


class LongestFirst:
    """The files waiting to be graded, handed out longest expected first.

    A file is expected to take as long as the last file of its sheet took.
    The first file of each sheet goes first, to time the sheet; after that
    the slow sheets are started early, so that the run does not end with one
    long sheet on one core while the others idle.
    """

    def __init__(self, sheets: list[str | None]) -> None:
        self.sheets = sheets
        self.waiting = list(range(len(sheets)))
        self.seconds: dict[str | None, float] = {}
        self.started: set[str | None] = set()
        self.lock = threading.Lock()

    def _expected(self, index: int) -> float:
        sheet = self.sheets[index]
        if sheet not in self.started:
            return float("inf")
        known = list(self.seconds.values())
        return self.seconds.get(sheet, sum(known) / len(known) if known else 0.0)

    def take(self) -> int | None:
        """The next file to grade (None when none is left)."""
        with self.lock:
            if not self.waiting:
                return None
            index = max(self.waiting, key=self._expected)  # the first of equals
            self.waiting.remove(index)
            self.started.add(self.sheets[index])
            return index

    def timed(self, index: int, seconds: float) -> None:
        with self.lock:
            self.seconds[self.sheets[index]] = seconds

    def clear(self) -> None:
        with self.lock:
            self.waiting.clear()


def grade_files(
    paths: list[Path],
    layouts: dict[str, SheetLayout],
    limits: Limits,
    jobs: int,
    user: tuple[int, int] | None,
    progress: Callable[[int, SheetReport], None] = lambda index, report: None,
) -> list[SheetReport]:
    """Grade every file, `jobs` at a time; reports in the order of `paths`."""
    reports: list[SheetReport | None] = [None] * len(paths)
    queue = LongestFirst([guess_sheet(path, layouts) for path in paths])
    failures: list[BaseException] = []

    def grade(index: int) -> None:
        started = time.monotonic()
        reports[index] = grade_file(paths[index], layouts, limits, user)
        queue.timed(index, time.monotonic() - started)
        progress(index, reports[index])

    def work() -> None:
        try:
            while (index := queue.take()) is not None:
                grade(index)
        except BaseException as error:  # a bug of the grader: re-raised below
            failures.append(error)
            queue.clear()

    workers = [threading.Thread(target=work) for _ in range(min(jobs, len(paths)))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    if jobs > 1:
        for index, report in enumerate(reports):
            if report.result is not None and report.result.killed_by_signal:
                grade(index)  # killed from outside: once more, alone
    return reports


def _number(value: float) -> str:
    return f"{value:g}"


def verdict_words(verdict: Verdict) -> str:
    """A verdict without its exercise's name: 'PASS -- ...', 'FAIL on ...', 'not done yet'."""
    return verdict.text[len(verdict.exercise) + 2 :]


def rows_of(report: SheetReport, layouts: dict[str, SheetLayout]) -> list[GradeRow]:
    """The CSV rows of one graded file: one per exercise of its sheet (one if none is known)."""
    student = student_of(report.path, report.sheet)
    layout = layouts.get(report.sheet) if report.sheet else None
    if not report.verdicts:
        why = report.problems[0].describe() if report.problems else "nothing could be graded"
        return [
            GradeRow(report.path.name, student, report.sheet or "", "", 0, 0, f"not graded: {why}")
        ]
    rows = []
    for verdict in report.verdicts:
        most = layout.points.get(verdict.exercise, 1.0) if layout else 1.0
        points = most if verdict.status == PASS else 0.0
        rows.append(
            GradeRow(
                report.path.name,
                student,
                report.sheet or "",
                verdict.exercise,
                points,
                most,
                verdict_words(verdict),
            )
        )
    return rows


def write_csv(rows: list[GradeRow], out: Path) -> None:
    with open(out, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    row.file,
                    row.student,
                    row.sheet,
                    row.exercise,
                    _number(row.points),
                    _number(row.max_points),
                    row.verdict,
                ]
            )


def _safe_name(student: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", student).strip(" .") or "student"
    return name[:120]


def write_feedback(
    reports: list[SheetReport], layouts: dict[str, SheetLayout], folder: Path
) -> list[Path]:
    """One short text file per student, with the points and verdict of each exercise."""
    by_student: dict[str, list[SheetReport]] = {}
    for report in reports:
        by_student.setdefault(student_of(report.path, report.sheet), []).append(report)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for student, own in by_student.items():
        lines = [f"Feedback for {student}", ""]
        for report in own:
            rows = rows_of(report, layouts)
            earned = sum(row.points for row in rows)
            most = sum(row.max_points for row in rows)
            title = report.sheet or "unknown sheet"
            lines.append(
                f"{title} ({report.path.name}): {_number(earned)} of {_number(most)} points"
            )
            width = max((len(row.exercise) for row in rows), default=0)
            for row in rows:
                score = f"{_number(row.points)}/{_number(row.max_points)}"
                lines.append(f"  {row.exercise.ljust(width)}  {score:>5}  {row.verdict}")
            if report.problems:
                lines.append("  Problems while running it:")
                lines += [f"    {problem.describe()}" for problem in report.problems]
            lines.append("")
        path = folder / f"{_safe_name(student)}.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        written.append(path)
    return written


def summary(reports: list[SheetReport], layouts: dict[str, SheetLayout], seconds: float) -> str:
    """The closing lines of ``autodidact grade``: totals, and the files to look at by hand."""
    rows = [row for report in reports for row in rows_of(report, layouts)]
    earned = sum(row.points for row in rows)
    most = sum(row.max_points for row in rows)
    students = {row.student for row in rows}
    lines = [
        f"graded {len(reports)} file(s) of {len(students)} student(s) in {seconds:.0f} s "
        f"({len(reports) / max(seconds, 1e-9) * 60:.1f} per minute): "
        f"{_number(earned)} of {_number(most)} points in all."
    ]
    review = [report for report in reports if report.review]
    if review:
        lines.append(
            "Look at these by hand (their code is aimed at the grader, or tampered with it):"
        )
        lines += [f"  {report.path.name}: {'; '.join(report.review)}" for report in review]
    return "\n".join(lines)


def grade_class(
    arguments: list[str],
    layouts: dict[str, SheetLayout],
    limits: Limits,
    jobs: int,
    user: tuple[int, int] | None,
    out: Path,
    feedback: Path | None,
    say: Callable[[str], None] = print,
) -> list[SheetReport]:
    """Grade the files named by `arguments`; write the CSV (and feedback); return the reports."""
    paths = submitted_files(arguments)
    if not out.parent.is_dir():
        raise CourseError(f"cannot write {out}: the folder {out.parent} does not exist.")
    started = time.monotonic()

    def progress(index: int, report: SheetReport) -> None:
        rows = rows_of(report, layouts)
        earned = sum(row.points for row in rows)
        most = sum(row.max_points for row in rows)
        say(f"graded {report.path.name}: {_number(earned)} of {_number(most)} points")

    reports = grade_files(paths, layouts, limits, jobs, user, progress)
    write_csv([row for report in reports for row in rows_of(report, layouts)], out)
    say(f"wrote {out}")
    if feedback is not None:
        written = write_feedback(reports, layouts, feedback)
        say(f"wrote {len(written)} feedback file(s) in {feedback}")
    say(summary(reports, layouts, time.monotonic() - started))
    return reports
