"""The student's workspace: git-ignored copies of the sheets, never overwritten without a backup.

* `lay_out` makes a course folder elsewhere (from an installed wheel, say):
  it copies the lectures and the blank sheets the folder lacks;
* `start` copies each sheet of ``exercises/`` that the workspace lacks; a
  sheet already there is left exactly as it is.
* `reset` restores a fresh copy of one sheet, after `backup` has kept the
  old one as ``workspace/.backup/<stem>.<timestamp>.ipynb``.

Every write into the workspace goes through `_copy_new`, which refuses to
replace an existing file: the only way to replace one is `reset`, which backs
it up first.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from autodidact.course.layout import COURSE_FOLDERS, CourseError, resolve_sheet, sheets_in
from autodidact.course.manifest import MANIFEST_NAME

BACKUP_FOLDER = ".backup"


@dataclass(frozen=True)
class StartReport:
    copied: list[Path]
    kept: list[Path]


def _copy_new(source: Path, target: Path) -> None:
    """Copy `source` to `target`, which must not exist yet (checked atomically)."""
    with open(source, "rb") as reader, open(target, "xb") as writer:
        shutil.copyfileobj(reader, writer)


def lay_out(source: Path, folder: Path) -> list[Path]:
    """Copy into `folder` the lectures and blank sheets of the course at `source` that it lacks.

    Only ``notebooks/``, ``exercises/`` and the manifest ``course.toml`` are
    copied (never ``solutions/``), and a file already in `folder` is kept as it
    is. Returns the files copied.
    """
    if folder.resolve() == source.resolve():
        return []
    copied = []
    manifest = source / MANIFEST_NAME
    if manifest.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            _copy_new(manifest, folder / MANIFEST_NAME)
        except FileExistsError:
            pass
        else:
            copied.append(folder / MANIFEST_NAME)
    for name in COURSE_FOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)
        for path in sheets_in(source / name):
            target = folder / name / path.name
            try:
                _copy_new(path, target)
            except FileExistsError:
                continue
            copied.append(target)
    return copied


def start(root: Path, workspace: Path) -> StartReport:
    """Copy into `workspace` every student sheet it does not have yet."""
    sheets = sheets_in(root / "exercises")
    if not sheets:
        raise CourseError(f"no student sheets in {root / 'exercises'}.")
    workspace.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for sheet in sheets:
        target = workspace / sheet.name
        try:
            _copy_new(sheet, target)
        except FileExistsError:
            kept.append(target)
        else:
            copied.append(target)
    return StartReport(copied, kept)


def backup(path: Path, workspace: Path, now: datetime | None = None) -> Path:
    """Copy `path` to ``workspace/.backup/<stem>.<timestamp>.ipynb`` and return the copy."""
    folder = workspace / BACKUP_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for attempt in range(1000):
        suffix = f".{stamp}" + (f"-{attempt}" if attempt else "")
        target = folder / f"{path.stem}{suffix}{path.suffix}"
        try:
            _copy_new(path, target)
        except FileExistsError:
            continue
        shutil.copystat(path, target)
        return target
    raise CourseError(f"could not find a free backup name for {path} in {folder}.")


@dataclass(frozen=True)
class ResetReport:
    sheet: Path
    backup: Path | None


def reset(root: Path, workspace: Path, name: str) -> ResetReport:
    """Back up the workspace copy of sheet `name` (if any) and put a fresh copy in its place."""
    fresh = resolve_sheet(name, root / "exercises")
    workspace.mkdir(parents=True, exist_ok=True)
    target = workspace / fresh.name
    kept = None
    if target.exists():
        kept = backup(target, workspace)
        target.unlink()
    _copy_new(fresh, target)
    return ResetReport(target, kept)
