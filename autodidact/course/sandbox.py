"""Run one sheet's steps in a runner process with limits, and read back what it reported.

`run_steps` starts ``python -m autodidact.course.runner`` in a fresh,
throw-away working folder, in its own session (so that everything it starts
can be killed together), with stdout discarded and only a few settings in its
environment. It hands over the job on stdin and then reads the runner's
messages (see `autodidact.course.runner`) from a pipe of its own:

* the time limit starts when the runner says it is ready, and covers the
  student's cells and the checks; when it runs out, the whole session is
  killed and the step that was running is named;
* every message must carry the job's nonce, a random token the student's
  code does not know when it starts, and verdicts must arrive once each, in
  the order of the job; anything else on the pipe marks the run as tampered;
* when the grader runs as root, the runner gives up root for `user` (see
  `unprivileged_user`) before any student code runs, and the working folder
  belongs to that user.

The result is a `RunResult`: verdicts as reported, cell errors, and how the
run ended.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from autodidact.course.layout import CourseError
from autodidact.course.verdicts import Verdict

START_SECONDS = 120.0  # to import NumPy and the checks, before the sheet's own time starts
STDERR_KEPT = 4000  # characters of the runner's stderr kept to explain a failed start


@dataclass(frozen=True)
class Limits:
    """What one sheet may use: wall-clock seconds for its cells and checks, memory, files."""

    seconds: float = 120.0
    memory_mb: int = 2048
    file_mb: int = 256
    processes: int = 256


@dataclass(frozen=True)
class CellError:
    """A cell that raised: its number as the student sees it, the line, the exception."""

    cell: int
    line: int | None
    ename: str
    evalue: str


@dataclass(frozen=True)
class ReportedVerdict:
    """A verdict as the runner reported it; `undefined` names an answer that did not exist."""

    verdict: Verdict
    undefined: str = ""


@dataclass
class RunResult:
    """What a run of one sheet produced, and how it ended.

    ``ended`` is "done", "time" (the time limit), "died" (the process ended
    early: os._exit, a crash, the memory limit), "tampered" (the grader's
    functions were changed, or the pipe carried messages the runner did not
    write) or "start" (the runner could not set itself up). ``step`` is the
    index of the step that was running when the run ended early.
    """

    verdicts: list[ReportedVerdict] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    ended: str = "done"
    step: int | None = None
    detail: str = ""
    cells_seconds: float = 0.0
    checks_seconds: float = 0.0
    wall_seconds: float = 0.0
    killed_by_signal: bool = False


def unprivileged_user(name: str = "nobody") -> tuple[int, int] | None:
    """The (uid, gid) to run student code as: `name`'s when this process is root, else None."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise CourseError(
            f"running as root, but there is no user {name!r} to run the students' code as: "
            "create one, or run the grader as an unprivileged user."
        ) from None
    return entry.pw_uid, entry.pw_gid


def _environment(workdir: str) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "AUTODIDACT_ROOT")
    environment = {key: os.environ[key] for key in keep if key in os.environ}
    environment.update(
        HOME=workdir,
        TMPDIR=workdir,
        IPYTHONDIR=os.path.join(workdir, ".ipython"),
        MPLCONFIGDIR=os.path.join(workdir, ".matplotlib"),
        MPLBACKEND="Agg",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    return environment


class _Reader:
    """Collects the runner's messages and checks that the runner wrote them."""

    def __init__(self, nonce: str, steps: list[dict], result: RunResult) -> None:
        self.nonce = nonce
        self.result = result
        self.expected = [
            call[0] for step in steps if step["kind"] == "check" for call in step["calls"]
        ]
        self.buffer = b""
        self.ready_at: float | None = None
        self.finished = False

    def feed(self, data: bytes) -> None:
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            self._message(line)

    def _tampered(self, detail: str) -> None:
        if self.result.ended != "tampered":
            self.result.ended, self.result.detail = "tampered", detail
        self.finished = True

    def _message(self, line: bytes) -> None:
        if self.finished and self.result.ended == "tampered":
            return
        try:
            message = json.loads(line)
            assert isinstance(message, dict) and message.get("nonce") == self.nonce
        except (ValueError, AssertionError):
            self._tampered("the results pipe carried a message the grader did not write")
            return
        kind = message.get("kind")
        if kind == "ready":
            self.ready_at = time.monotonic()
        elif kind == "step":
            self.result.step = message.get("index")
        elif kind == "error":
            self.result.errors.append(
                CellError(message["cell"], message.get("line"), message["ename"], message["evalue"])
            )
        elif kind == "verdict":
            done = len(self.result.verdicts)
            if done >= len(self.expected) or message.get("exercise") != self.expected[done]:
                self._tampered("the results pipe carried a verdict out of turn")
                return
            fields = {key: message.get(key, "") for key in ("detail", "hint", "route")}
            verdict = Verdict(message["exercise"], message["status"], **fields)
            self.result.verdicts.append(ReportedVerdict(verdict, message.get("undefined", "")))
        elif kind == "tampered":
            what = ", ".join(message.get("what", []))
            self._tampered(f"the sheet changed the grader's own code ({what})")
        elif kind == "internal":
            self.result.ended, self.result.detail = "start", message.get("message", "")
            self.finished = True
        elif kind == "done":
            self.result.cells_seconds = float(message.get("cells_seconds", 0.0))
            self.result.checks_seconds = float(message.get("checks_seconds", 0.0))
            self.finished = True


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_steps(
    steps: list[dict],
    limits: Limits | None = None,
    user: tuple[int, int] | None = None,
    route: bool = False,
) -> RunResult:
    """Run `steps` (see `autodidact.course.runner`) in a fresh runner; return what it reported."""
    limits = limits or Limits()
    result = RunResult()
    nonce = secrets.token_hex(16)
    workdir = tempfile.mkdtemp(prefix="autodidact-run-")
    read_end, write_end = os.pipe()
    started = time.monotonic()
    try:
        if user is not None:
            os.chown(workdir, *user)
        os.chmod(workdir, 0o700)
        job = {
            "nonce": nonce,
            "steps": steps,
            "route": route,
            "user": list(user) if user else None,
            "limits": {
                "memory_mb": limits.memory_mb,
                "file_mb": limits.file_mb,
                "processes": limits.processes,
                "cpu_seconds": limits.seconds + 10,
            },
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "autodidact.course.runner", str(write_end)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(write_end,),
            cwd=workdir,
            env=_environment(workdir),
            start_new_session=True,
        )
        os.close(write_end)
        write_end = -1
        try:
            process.stdin.write(json.dumps(job).encode())
            process.stdin.close()
        except BrokenPipeError:
            pass
        _follow(process, read_end, nonce, steps, limits, result)
    finally:
        for end in (read_end, write_end):
            if end >= 0:
                os.close(end)
        shutil.rmtree(workdir, ignore_errors=True)
    result.wall_seconds = time.monotonic() - started
    return result


def _follow(
    process: subprocess.Popen,
    read_end: int,
    nonce: str,
    steps: list[dict],
    limits: Limits,
    result: RunResult,
) -> None:
    """Read the runner's messages until it is done, dies, or runs out of time."""
    reader = _Reader(nonce, steps, result)
    errors = b""
    launched = time.monotonic()
    streams = {read_end: "messages", process.stderr.fileno(): "stderr"}
    exited_at = None
    while streams and not reader.finished:
        now = time.monotonic()
        deadline = reader.ready_at + limits.seconds if reader.ready_at else launched + START_SECONDS
        if now >= deadline:
            result.ended = "time" if reader.ready_at else "start"
            if not reader.ready_at:
                result.detail = f"the runner did not start within {START_SECONDS:g} s"
            break
        if exited_at is None and process.poll() is not None:
            exited_at = now
        if exited_at is not None and now - exited_at > 1.0:
            break  # the runner is gone; something it started may still hold the pipe
        ready, _, _ = select.select(list(streams), [], [], min(0.5, deadline - now))
        for stream in ready:
            data = os.read(stream, 65536)
            if not data:
                del streams[stream]
            elif streams[stream] == "messages":
                reader.feed(data)
            else:
                errors = (errors + data)[-STDERR_KEPT:]
    _kill(process)
    process.wait()
    process.stderr.close()
    if not reader.finished and result.ended == "done":
        result.ended = "died" if reader.ready_at else "start"
        status = process.returncode
        result.killed_by_signal = status is not None and status < 0
        if status is not None and status < 0:
            result.detail = f"killed by signal {signal.Signals(-status).name}"
        else:
            result.detail = f"exit status {status}"
        if not reader.ready_at:
            lines = errors.decode("utf-8", "replace").strip().splitlines()
            result.detail = lines[-1] if lines else result.detail
