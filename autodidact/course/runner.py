"""The process that runs one sheet: the student's cells, then the course's checks between them.

Started by `autodidact.course.sandbox` as ``python -m autodidact.course.runner FD``,
it reads a job (JSON, on stdin) and reports on the file descriptor FD, one
JSON line per message, each carrying the job's nonce:

    ready                          set up, about to run the first step
    step     index                 step `index` starts (so a time-out names its cell)
    error    cell, line, ename, evalue     a cell raised
    verdict  exercise, status, detail, hint, route, undefined
    tampered what                  the student's code changed the grader's functions
    internal message               the runner could not set itself up
    done     cells_seconds, checks_seconds

The job's steps are, in order, either ``run`` (a code cell of the student's
notebook, executed by an IPython shell as a kernel would, magics included)
or ``check`` (the course's checks of some exercises, called by this process
on the objects the student's cells defined, never through the student's
``check``). Cells that raise do not stop the run.

Before the first step the process imports what the checks and a sheet need
and warms up the shell (so that no import has to happen later, when the
interpreter's own files may be unreadable: a Python installed under /root
is), sets its resource limits (memory, CPU seconds, file size, processes)
and, when the job names a user (the grader was started as root), gives up
root for good: groups, group and user become the unprivileged ones and no
later exec can regain privileges. It then takes a `Fingerprint` of the
grader's modules. Only then does student code run.
"""

from __future__ import annotations

import json
import os
import sys
import time

# Run before privileges are dropped, so that IPython's lazy imports (display, magics, error
# reports) and a few common modules are loaded while every file is readable.
WARM_UP_CELLS = (
    "import numpy as np\nimport autodidact.numpy as anp\nfrom autodidact import grad",
    "from IPython.display import display\ndisplay(np.arange(3))\nnp.arange(3)",
    "%time 1 + 1",
    "1 / 0",
    "def broken(:\n    pass",
    "import math, random, itertools, functools, collections, fractions, statistics, time",
)


def _preload() -> None:
    """Import the modules a sheet and its checks use, so no import needs privileges later."""
    import importlib

    for name in ("numpy", "numpy.linalg", "numpy.random", "autodidact", "autodidact.numpy"):
        importlib.import_module(name)
    from autodidact.course.checking import load_all_checks

    load_all_checks()
    try:  # plots need only a file backend
        importlib.import_module("matplotlib.pyplot")
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass


def _shell():
    """An IPython shell without history, display hooks printing to stdout (discarded)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    for source in WARM_UP_CELLS:
        shell.run_cell(source, store_history=True)
    shell.reset(new_session=False)
    return shell


def _limit(limits: dict) -> None:
    import resource

    def cap(which: int, value: float | None) -> None:
        if value is not None:
            value = int(value)
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):  # e.g. macOS refuses RLIMIT_AS; the others still hold
                pass

    megabyte = 1024 * 1024
    if limits.get("memory_mb"):
        cap(resource.RLIMIT_AS, limits["memory_mb"] * megabyte)
    if limits.get("file_mb"):
        cap(resource.RLIMIT_FSIZE, limits["file_mb"] * megabyte)
    used = resource.getrusage(resource.RUSAGE_SELF)
    if limits.get("cpu_seconds"):
        cap(resource.RLIMIT_CPU, used.ru_utime + used.ru_stime + limits["cpu_seconds"])
    cap(resource.RLIMIT_CORE, 0)


def _drop_privileges(uid: int, gid: int, processes: int | None, workdir: str) -> None:
    """Become `uid`:`gid` for good; nothing started later may gain privileges again."""
    import resource

    for folder, subfolders, files in os.walk(workdir):
        for name in [folder, *(os.path.join(folder, entry) for entry in subfolders + files)]:
            os.chown(name, uid, gid, follow_symlinks=False)
    if processes:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    try:  # PR_SET_NO_NEW_PRIVS: setuid programs (su, sudo ...) cannot give root back
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise RuntimeError("could not drop privileges")


def _error_line(error: BaseException, cell: int) -> int | None:
    """The line of cell `cell` where `error` happened (for a SyntaxError, its own line)."""
    if isinstance(error, SyntaxError):
        return error.lineno
    prefix = f"<ipython-input-{cell}-"
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename.startswith(prefix):
            return trace.tb_lineno
        trace = trace.tb_next
    return None


def _first_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def main(argv: list[str]) -> None:
    channel = int(argv[0])
    write, dumps, clock, exit_now = os.write, json.dumps, time.perf_counter, os._exit
    job = json.loads(sys.stdin.buffer.read())
    nonce = job.pop("nonce")
    sys.stdin = open(os.devnull)

    def send(kind: str, **fields) -> None:
        write(channel, (dumps({"nonce": nonce, "kind": kind, **fields}) + "\n").encode())

    try:
        _preload()
        shell = _shell()
        from autodidact.course.checking import run_check
        from autodidact.course.integrity import Fingerprint
        from autodidact.course.verdicts import Verdict

        _limit(job.get("limits", {}))
        if job.get("user"):
            uid, gid = job["user"]
            _drop_privileges(uid, gid, job.get("limits", {}).get("processes"), os.getcwd())
        fingerprint = Fingerprint()
    except Exception as error:  # the grader's own set-up failed: say why, in one line
        send("internal", message=f"{type(error).__name__}: {_first_line(error)}")
        exit_now(3)

    send("ready")
    missing = object()
    cells_seconds = checks_seconds = 0.0
    for index, step in enumerate(job["steps"]):
        send("step", index=index)
        started = clock()
        if step["kind"] == "run":
            shell.execution_count = step["cell"]
            result = shell.run_cell(step["source"], store_history=True)
            error = result.error_before_exec or result.error_in_exec
            if error is not None:
                send(
                    "error",
                    cell=step["cell"],
                    line=_error_line(error, step["cell"]),
                    ename=type(error).__name__,
                    evalue=_first_line(error.msg if isinstance(error, SyntaxError) else error),
                )
            cells_seconds += clock() - started
            continue
        for exercise, argument in step["calls"]:
            changed = fingerprint.changes()
            if changed:
                send("tampered", what=changed[:5], exercise=exercise)
                exit_now(0)
            answer = shell.user_ns.get(argument, missing)
            if answer is missing:
                send("verdict", exercise=exercise, status="FAIL", undefined=argument)
                continue
            try:
                verdict = run_check(exercise, answer, route=bool(job.get("route")))
            except BaseException as error:  # SystemExit, KeyboardInterrupt from the answer
                verdict = Verdict(
                    exercise,
                    "FAIL",
                    "",
                    f"your code raised {type(error).__name__} while it was checked: "
                    "an answer returns its result, it does not stop the program.",
                )
            changed = fingerprint.changes()
            if changed:
                send("tampered", what=changed[:5], exercise=exercise)
                exit_now(0)
            send("verdict", **verdict.to_json())
        checks_seconds += clock() - started
    send("done", cells_seconds=cells_seconds, checks_seconds=checks_seconds)
    exit_now(0)


if __name__ == "__main__":
    main(sys.argv[1:])
