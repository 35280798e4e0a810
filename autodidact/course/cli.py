"""The ``autodidact`` command: sheets, workspace and checks from a terminal.

    autodidact start [DIR]            copy fresh sheets into workspace/ (never overwrites);
                                      with DIR, or outside a course folder, first copy the
                                      lectures and blank sheets there (from the installed package)
    autodidact lab [DIR]              start, then open JupyterLab there (the `lab` extra)
    autodidact check [01 ...] [--full] run your sheets and print a table of verdicts
    autodidact grade FILE... [--out grades.csv] [--feedback DIR] [--jobs N] [--timeout S]
                                      grade submitted notebooks (instructors)
    autodidact reset 01               back up your sheet 01, then restore a fresh one
    autodidact make-exercises         stamp solutions/ with nbgrader metadata, regenerate exercises/
    autodidact make-exercises --check exit non-zero if either is out of date
    autodidact run-notebooks [01 ...] re-execute notebooks/ and solutions/ in place
    autodidact run-notebooks --stale  only those whose code or library code changed
    autodidact timing [--n 100] [--m 10,30,100,300,1000] [--out timing.png]
                                      time forward against reverse mode, save the plot

Every error a user can meet ends in a one-line message and a non-zero exit
status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autodidact.course.layout import (
    CourseError,
    find_course_root,
    packaged_course,
    resolve_sheet,
    sheets_in,
)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _root(args: argparse.Namespace) -> Path:
    return Path(args.root).resolve() if args.root else find_course_root()


def _workspace(args: argparse.Namespace, root: Path) -> Path:
    return Path(args.workspace).resolve() if args.workspace else root / "workspace"


def command_make_exercises(args: argparse.Namespace) -> int:
    from autodidact.course.sheets import make_exercises, stale_exercises, stale_solutions

    root = _root(args)
    if args.check:
        unstamped = stale_solutions(root)
        for path in unstamped:
            print(f"stale: {_relative(path)} lacks its nbgrader metadata or it is out of date")
        stale = stale_exercises(root)
        for path in stale:
            print(f"stale: {_relative(path)} differs from what its solution sheet generates")
        if stale or unstamped:
            print("run `autodidact make-exercises` to stamp solutions/ and regenerate exercises/.")
            return 1
        print("solutions/ carry their nbgrader metadata and exercises/ is up to date.")
        return 0
    changed = make_exercises(root, backup_to=root / "workspace")
    for path in changed:
        print(f"wrote {_relative(path)}")
    if not changed:
        print("exercises/ was already up to date.")
    return 0


def _course_source(args: argparse.Namespace) -> Path:
    """Where the lectures and blank sheets come from: a course folder, else the package."""
    if args.root:
        return Path(args.root).resolve()
    try:
        return find_course_root()
    except CourseError:
        packaged = packaged_course()
        if packaged is None:
            raise
        return packaged


def _started_root(args: argparse.Namespace) -> Path:
    """The course folder `start` and `lab` work in, laid out first when it is a new one.

    With DIR, or when no course folder is found from here, DIR (default: the
    current folder) receives the lectures and blank sheets it lacks.
    """
    folder = Path(args.folder).resolve() if args.folder else None
    if folder is None:
        try:
            return _root(args)
        except CourseError:
            folder = Path.cwd().resolve()
    from autodidact.course.workspace import lay_out

    copied = lay_out(_course_source(args), folder)
    if copied:
        print(
            f"copied {len(copied)} course files (lectures, sheets, course.toml) "
            f"into {_relative(folder)}/"
        )
    return folder


def _start(args: argparse.Namespace) -> Path:
    """Lay out the course folder if need be, fill its workspace; return the folder."""
    from autodidact.course.workspace import start

    root = _started_root(args)
    workspace = _workspace(args, root)
    report = start(root, workspace)
    for path in report.copied:
        print(f"new sheet: {_relative(path)}")
    if report.kept:
        print(f"kept your {len(report.kept)} existing sheet(s) in {_relative(workspace)}.")
    print(f"Your workspace is {_relative(workspace)}/: open your sheets there.")
    return root


def command_start(args: argparse.Namespace) -> int:
    _start(args)
    return 0


def command_lab(args: argparse.Namespace) -> int:
    """`start`, then JupyterLab in the course folder, opened on the first lecture."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("jupyterlab") is None:
        raise CourseError(
            'JupyterLab is not installed here: `pip install "autodidact[lab]"` installs it '
            "(on a JupyterHub, Colab or in VS Code, open the notebooks there instead)."
        )
    root = _start(args)
    first = root / "notebooks" / "00_start_here.ipynb"
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={root}"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")  # Jupyter refuses root (as in many containers) unless told
    if first.exists():
        command.append(str(first))
    # The interpreter's folder on PATH puts `autodidact` on JupyterLab's terminals.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.call(command, cwd=root, env={**os.environ, "PATH": path})


def command_reset(args: argparse.Namespace) -> int:
    from autodidact.course.workspace import reset

    root = _root(args)
    workspace = _workspace(args, root)
    report = reset(root, workspace, args.sheet)
    if report.backup is not None:
        print(f"backed up your old sheet to {_relative(report.backup)}")
    print(f"fresh sheet: {_relative(report.sheet)}")
    return 0


def command_check(args: argparse.Namespace) -> int:
    from autodidact.course.grading import check_sheet, format_reports
    from autodidact.course.identify import course_layouts

    root = _root(args)
    workspace = _workspace(args, root)
    if not workspace.is_dir():
        raise CourseError(
            f"there is no workspace at {_relative(workspace)}: run `autodidact start` "
            "(or `make lab`) first."
        )
    _positive("--timeout", args.timeout)
    paths = _sheets_to_check(args.sheets, root, workspace)
    layouts = course_layouts(root)
    reports = []
    for path in paths:
        print(f"checking {_relative(path)} ...", flush=True)
        reports.append(check_sheet(path, layouts, timeout=args.timeout, route=args.full))
    print()
    print(format_reports(reports, full=args.full))
    return 0 if all(report.ok for report in reports) else 1


def _sheets_to_check(names: list[str], root: Path, workspace: Path) -> list[Path]:
    """The workspace sheets `names` designate (all, if none), in the order of course.toml."""
    from autodidact.course.manifest import load_manifest

    manifest = load_manifest(root)
    if manifest is None:  # a course without a manifest: the sheets are the files
        if names:
            return [resolve_sheet(name, workspace) for name in names]
        paths = sheets_in(workspace)
    elif names:
        paths = []
        for name in names:
            path = workspace / f"{manifest.sheet_named(name).id}.ipynb"
            if not path.is_file():
                raise CourseError(
                    f"{_relative(path)} is not in your workspace: run `autodidact start`."
                )
            paths.append(path)
    else:
        order = {sheet_id: index for index, sheet_id in enumerate(manifest.sheet_ids)}
        paths = sorted(sheets_in(workspace), key=lambda p: (order.get(p.stem, len(order)), p.name))
    if not paths:
        raise CourseError(f"no sheets in {_relative(workspace)}: run `autodidact start`.")
    return paths


def _positive(option: str, value: float) -> None:
    if not value > 0:
        raise CourseError(f"{option} must be a positive number, not {value:g}.")


def command_grade(args: argparse.Namespace) -> int:
    from autodidact.course.gradebook import grade_class
    from autodidact.course.identify import course_layouts
    from autodidact.course.sandbox import Limits, unprivileged_user

    _positive("--timeout", args.timeout)
    _positive("--jobs", args.jobs)
    if args.memory < 256:
        raise CourseError(f"--memory must be at least 256 (MB), not {args.memory}.")
    layouts = course_layouts(_root(args))
    limits = Limits(seconds=args.timeout, memory_mb=args.memory)
    feedback = Path(args.feedback) if args.feedback else None
    user = unprivileged_user()
    if user is None:
        print(
            "note: not started as root, so the students' code runs with your rights "
            "(see docs/instructors.md)."
        )
    grade_class(
        args.submissions,
        layouts,
        limits,
        args.jobs,
        user,
        Path(args.out),
        feedback,
        say=lambda line: print(line, flush=True),
    )
    return 0


def command_run_notebooks(args: argparse.Namespace) -> int:
    from autodidact.course.execution import run_notebooks
    from autodidact.course.sheets import make_exercises

    root = _root(args)
    runs = run_notebooks(root, args.notebooks, stale_only=args.stale)
    for run in runs:
        if run.executed:
            outcome = "" if run.changed else " (outputs unchanged)"
            print(f"executed {_relative(run.path)}{outcome}", flush=True)
    up_to_date = sum(not run.executed for run in runs)
    if up_to_date:
        print(f"{up_to_date} notebook(s) up to date: their code and library code are unchanged.")
    for path in make_exercises(root, backup_to=root / "workspace"):
        print(f"wrote {_relative(path)}")
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose complaints are one line, like every other error here."""

    def error(self, message: str):
        self.exit(2, f"autodidact: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="autodidact",
        description="Work through the autodidact course: sheets, workspace and checks.",
    )
    parser.add_argument("--root", help="the course folder (default: found from the current folder)")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    make = commands.add_parser("make-exercises", help="regenerate exercises/ from solutions/")
    make.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any sheet is stale"
    )
    make.set_defaults(run=command_make_exercises)

    workspace_help = "your workspace folder (default: workspace/ in the course folder)"
    folder_help = (
        "a folder to make the course folder: it receives the lectures and blank sheets it lacks "
        "(default: the course folder found from here, else the current folder)"
    )
    start = commands.add_parser("start", help="copy fresh sheets into your workspace")
    start.add_argument("folder", nargs="?", metavar="DIR", help=folder_help)
    start.add_argument("--workspace", help=workspace_help)
    start.set_defaults(run=command_start)

    lab = commands.add_parser("lab", help="start, then open the course in JupyterLab")
    lab.add_argument("folder", nargs="?", metavar="DIR", help=folder_help)
    lab.add_argument("--workspace", help=workspace_help)
    lab.set_defaults(run=command_lab)

    check = commands.add_parser("check", help="run your sheets and print their verdicts")
    check.add_argument("sheets", nargs="*", metavar="SHEET", help="e.g. 01 (default: all)")
    check.add_argument("--workspace", help=workspace_help)
    check.add_argument(
        "--timeout", type=float, default=120.0, help="seconds allowed per sheet (default 120)"
    )
    check.add_argument(
        "--full", action="store_true", help="print whole verdicts, with the further hints"
    )
    check.set_defaults(run=command_check)

    grade = commands.add_parser(
        "grade", help="grade submitted notebooks into a CSV (instructors; see docs/instructors.md)"
    )
    grade.add_argument(
        "submissions", nargs="+", metavar="SUBMISSION", help="notebooks, or folders of them"
    )
    grade.add_argument("--out", default="grades.csv", help="the CSV to write (default grades.csv)")
    grade.add_argument("--feedback", metavar="DIR", help="write one feedback file per student here")
    grade.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="sheets run at once (default: cores)",
    )
    grade.add_argument(
        "--timeout", type=float, default=120.0, help="seconds allowed per sheet (default 120)"
    )
    grade.add_argument(
        "--memory", type=int, default=2048, help="megabytes of memory per sheet (default 2048)"
    )
    grade.set_defaults(run=command_grade)

    reset = commands.add_parser("reset", help="back up your sheet and restore a fresh one")
    reset.add_argument("sheet", metavar="SHEET", help="e.g. 01")
    reset.add_argument("--workspace", help=workspace_help)
    reset.set_defaults(run=command_reset)

    run = commands.add_parser(
        "run-notebooks", help="re-execute notebooks/ and solutions/, regenerate exercises/"
    )
    run.add_argument(
        "notebooks", nargs="*", metavar="NOTEBOOK", help="e.g. 01 (default: all notebooks)"
    )
    run.add_argument(
        "--stale",
        action="store_true",
        help="only notebooks whose code cells or the autodidact code they ran changed",
    )
    run.set_defaults(run=command_run_notebooks)

    from autodidact.teaching.jacobian_timing import add_timing_command

    add_timing_command(commands)  # autodidact timing: jacfwd against jacrev, table and plot
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return int(exit.code or 0)
    try:
        return args.run(args)
    except CourseError as error:
        print(f"autodidact: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autodidact: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
