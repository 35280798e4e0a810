"""The ``autodidact`` command: sheets, workspace and checks from a terminal.

    autodidact start                  copy fresh sheets into workspace/ (never overwrites)
    autodidact check [01 ...]         run your sheets and print a table of verdicts
    autodidact reset 01               back up your sheet 01, then restore a fresh one
    autodidact make-exercises         regenerate exercises/ from solutions/ (instructors)
    autodidact make-exercises --check exit non-zero if exercises/ is out of date
    autodidact run-notebooks [01 ...] re-execute notebooks/ and solutions/ in place
    autodidact run-notebooks --stale  only those whose code or library code changed
    autodidact timing [--n 100] [--m 10,30,100,300,1000] [--out timing.png]
                                      time forward against reverse mode, save the plot

Every error a user can meet ends in a one-line message and a non-zero exit
status, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autodidact.course.layout import CourseError, find_course_root, resolve_sheet, sheets_in


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
    from autodidact.course.sheets import make_exercises, stale_exercises

    root = _root(args)
    if args.check:
        stale = stale_exercises(root)
        for path in stale:
            print(f"stale: {_relative(path)} differs from what its solution sheet generates")
        if stale:
            print("run `autodidact make-exercises` to regenerate the student sheets.")
            return 1
        print("exercises/ is up to date with solutions/.")
        return 0
    changed = make_exercises(root, backup_to=root / "workspace")
    for path in changed:
        print(f"wrote {_relative(path)}")
    if not changed:
        print("exercises/ was already up to date.")
    return 0


def command_start(args: argparse.Namespace) -> int:
    from autodidact.course.workspace import start

    root = _root(args)
    workspace = _workspace(args, root)
    report = start(root, workspace)
    for path in report.copied:
        print(f"new sheet: {_relative(path)}")
    if report.kept:
        print(f"kept your {len(report.kept)} existing sheet(s) in {_relative(workspace)}.")
    print(f"Your workspace is {_relative(workspace)}/: open your sheets there.")
    return 0


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

    root = _root(args)
    workspace = _workspace(args, root)
    if not workspace.is_dir():
        raise CourseError(
            f"there is no workspace at {_relative(workspace)}: run `autodidact start` "
            "(or `make lab`) first."
        )
    if args.sheets:
        paths = [resolve_sheet(name, workspace) for name in args.sheets]
    else:
        paths = sheets_in(workspace)
        if not paths:
            raise CourseError(f"no sheets in {_relative(workspace)}: run `autodidact start`.")
    reports = []
    for path in paths:
        print(f"checking {_relative(path)} ...", flush=True)
        reports.append(check_sheet(path, timeout=args.timeout))
    print()
    print(format_reports(reports))
    return 0 if all(report.ok for report in reports) else 1


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autodidact",
        description="Work through the autodidact course: sheets, workspace and checks.",
    )
    parser.add_argument("--root", help="the course folder (default: found from the current folder)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    make = commands.add_parser("make-exercises", help="regenerate exercises/ from solutions/")
    make.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any sheet is stale"
    )
    make.set_defaults(run=command_make_exercises)

    workspace_help = "your workspace folder (default: workspace/ in the course folder)"
    start = commands.add_parser("start", help="copy fresh sheets into your workspace")
    start.add_argument("--workspace", help=workspace_help)
    start.set_defaults(run=command_start)

    check = commands.add_parser("check", help="run your sheets and print their verdicts")
    check.add_argument("sheets", nargs="*", metavar="SHEET", help="e.g. 01 (default: all)")
    check.add_argument("--workspace", help=workspace_help)
    check.add_argument(
        "--timeout", type=float, default=120.0, help="seconds allowed per sheet (default 120)"
    )
    check.set_defaults(run=command_check)

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
