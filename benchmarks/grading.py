"""How fast ``autodidact grade`` grades a class, and what parallel jobs buy.

    python benchmarks/grading.py [--students 4] [--jobs 2] [--rounds 3]

Generates a class in a temporary folder: every student hands in the full set
of sheets, under the names a course platform gives them
(``student03_100003_05_linear_algebra.ipynb``); two students in three fill in
every answer (from ``solutions/``), the third hands in the blank sheets. The
class is graded with one job and with ``--jobs`` jobs, alternately,
``--rounds`` times each (the best time of each counts, and the speed-up is
the median of the paired ratios, since the machine is shared), exactly as
``autodidact grade`` does it (same runner, limits and, as root, the same
unprivileged user), and the benchmark prints

* sheets graded per minute at each number of jobs, and their ratio
  (target: at least 1.6 with 2 jobs on 2 cores);
* per round, how many cores the grading kept busy on average (CPU seconds of
  the grader and its runners over wall seconds) and the CPU seconds per
  sheet: other work on the machine shows as fewer busy cores, while the CPU
  cost per sheet says whether parallel jobs cost more work;
* per sheet, the time its own cells and checks ran, and the grader's cost
  beyond that: starting the runner, imports, planning, reading the results
  (target: under 3 s).

BLAS is pinned to one thread, as in the other benchmarks, so that jobs and
not threads share the cores. Timings vary with the machine's load; the
printed figures are this run's.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import copy  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import nbformat  # noqa: E402

from autodidact.course.gradebook import grade_files, rows_of  # noqa: E402
from autodidact.course.identify import course_layouts  # noqa: E402
from autodidact.course.nbgrader_metadata import grade_id_of  # noqa: E402
from autodidact.course.sandbox import Limits, unprivileged_user  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def filled_in(sheet: nbformat.NotebookNode, solution: nbformat.NotebookNode):
    """The student sheet with each answer cell taken from the solution (by grade id)."""
    answers = {grade_id_of(cell): cell.source for cell in solution.cells if grade_id_of(cell)}
    filled = copy.deepcopy(sheet)
    for cell in filled.cells:
        if (grade_id_of(cell) or "").startswith("answer-"):
            cell.source = answers[grade_id_of(cell)]
    return filled


def make_class(folder: Path, students: int) -> list[Path]:
    """Every sheet for each of `students` students; every third student's sheets are blank."""
    paths = []
    for exercise in sorted((REPO / "exercises").glob("*.ipynb")):
        sheet = nbformat.read(str(exercise), as_version=4)
        solution = nbformat.read(str(REPO / "solutions" / exercise.name), as_version=4)
        answered = filled_in(sheet, solution)
        for number in range(students):
            notebook = sheet if number % 3 == 2 else answered
            path = folder / f"student{number:02d}_{100000 + number}_{exercise.name}"
            nbformat.write(notebook, str(path))
            paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU time used so far by this process and the runners it waited for."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def grade(paths: list[Path], layouts: dict, jobs: int, limits: Limits) -> tuple[float, float, list]:
    """Grade the class; return wall seconds, cores used on average, and the reports."""
    started, cpu_before = time.perf_counter(), cpu_seconds()
    reports = grade_files(paths, layouts, limits, jobs, unprivileged_user())
    seconds = time.perf_counter() - started
    return seconds, (cpu_seconds() - cpu_before) / seconds, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4, help="students in the class")
    parser.add_argument("--jobs", type=int, default=2, help="jobs to compare with one job")
    parser.add_argument("--rounds", type=int, default=3, help="gradings at each number of jobs")
    args = parser.parse_args()

    layouts = course_layouts(REPO)
    limits = Limits(seconds=300)
    with tempfile.TemporaryDirectory(prefix="autodidact-bench-") as folder:
        paths = make_class(Path(folder), args.students)
        sheets, cores = f"{args.students} students x {len(layouts)} sheets", os.cpu_count()
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"{len(paths)} sheets: {sheets}; {cores} cores; load average {load}")
        one_seconds = many_seconds = float("inf")
        ratios = []
        for number in range(1, args.rounds + 1):
            seconds_one, cores_one, reports = grade(paths, layouts, 1, limits)
            if seconds_one < one_seconds:
                one_seconds, one_reports = seconds_one, reports
            seconds_many, cores_many, reports = grade(paths, layouts, args.jobs, limits)
            if seconds_many < many_seconds:
                many_seconds, many_reports = seconds_many, reports
            ratios.append(seconds_one / seconds_many)
            cpu_one = seconds_one * cores_one / len(paths)
            cpu_many = seconds_many * cores_many / len(paths)
            print(
                f"round {number}: 1 job {seconds_one:.1f} s ({cores_one:.2f} cores busy, "
                f"{cpu_one:.2f} CPU s per sheet), {args.jobs} jobs {seconds_many:.1f} s "
                f"({cores_many:.2f} cores busy, {cpu_many:.2f} CPU s per sheet), "
                f"ratio {ratios[-1]:.2f}",
                flush=True,
            )

    for reports in (one_reports, many_reports):
        broken = [r.path.name for r in reports if r.result is None or r.result.ended != "done"]
        assert not broken, f"these sheets did not run to the end: {broken}"
    points = [sum(row.points for row in rows_of(r, layouts)) for r in one_reports]
    assert points == [sum(row.points for row in rows_of(r, layouts)) for r in many_reports]

    rate_one = len(paths) / one_seconds * 60
    rate_many = len(paths) / many_seconds * 60
    own = [r.result.cells_seconds + r.result.checks_seconds for r in one_reports]
    beyond = [r.result.wall_seconds - work for r, work in zip(one_reports, own)]
    print()
    print(f"{'jobs':>5}  {'seconds':>8}  {'sheets/min':>10}   (best of {args.rounds} rounds)")
    print(f"{1:>5}  {one_seconds:>8.1f}  {rate_one:>10.1f}")
    print(f"{args.jobs:>5}  {many_seconds:>8.1f}  {rate_many:>10.1f}")
    print(
        f"speed-up with {args.jobs} jobs: {statistics.median(ratios):.2f}x, median of "
        f"{len(ratios)} paired rounds (target >= 1.6 with 2 jobs)"
    )
    print()
    print("per sheet, one job         median    max")
    print(f"its own cells and checks  {statistics.median(own):>6.2f} s {max(own):>6.2f} s")
    print(
        f"grader's cost beyond them {statistics.median(beyond):>6.2f} s {max(beyond):>6.2f} s"
        "  (target < 3 s)"
    )
    print()
    print("per sheet, own work (median over students, one job):")
    for sheet in layouts:
        times = [w for r, w in zip(one_reports, own) if r.sheet == sheet]
        print(f"  {sheet:<32} {statistics.median(times):6.2f} s")


if __name__ == "__main__":
    main()
