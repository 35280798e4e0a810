"""Where the course lives on disk, and how a sheet is named on the command line.

The course root is the folder holding ``exercises/`` beside ``solutions/`` (the
repository) or beside ``notebooks/`` (a folder `autodidact start` made from an
installed wheel). It is found from the ``AUTODIDACT_ROOT`` environment
variable, or by walking up from the current folder, or next to the package
(an editable install in the repository).

An installed wheel carries the lectures and the student sheets, never the
solutions, in ``autodidact/course_files/`` (copied there when the wheel is
built, see ``setup.py``): `packaged_course` is that folder, the source
`autodidact start` copies from when no course folder is around.

A sheet can be named by its number (``01``, or ``1``), its stem
(``01_finite_differences``) or its file name (``01_finite_differences.ipynb``).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGED_COURSE = Path(__file__).resolve().parents[1] / "course_files"
# What a course folder holds that a student needs: the lectures and the blank sheets.
COURSE_FOLDERS = ("notebooks", "exercises")


class CourseError(Exception):
    """A problem the user can fix; the CLI prints its message, never a traceback."""


def is_course_folder(folder: Path) -> bool:
    """Whether `folder` holds ``exercises/`` beside ``solutions/`` or ``notebooks/``."""
    return (folder / "exercises").is_dir() and (
        (folder / "solutions").is_dir() or (folder / "notebooks").is_dir()
    )


def packaged_course() -> Path | None:
    """The course files an installed wheel carries, or None (an editable install has none)."""
    return PACKAGED_COURSE if (PACKAGED_COURSE / "exercises").is_dir() else None


def find_course_root(start: Path | None = None) -> Path:
    """The course folder: ``exercises/`` beside ``solutions/`` or ``notebooks/``."""
    if os.environ.get("AUTODIDACT_ROOT"):
        root = Path(os.environ["AUTODIDACT_ROOT"]).resolve()
        if not (root / "exercises").is_dir():
            raise CourseError(f"AUTODIDACT_ROOT={root} has no exercises/ folder.")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_course_folder(folder):
            return folder
    beside_package = Path(__file__).resolve().parents[2]
    if (beside_package / "exercises").is_dir():
        return beside_package
    raise CourseError(
        f"cannot find the course folder (one with exercises/ and notebooks/) from {here}: "
        "run `autodidact start` to make one here, or run this command inside it."
    )


def sheets_in(folder: Path) -> list[Path]:
    """The notebooks directly inside `folder`, sorted by name."""
    return sorted(path for path in folder.glob("*.ipynb") if path.is_file())


def _same_number(prefix: str, wanted: str) -> bool:
    """Whether a sheet's number prefix is `wanted`: '05' is named by '05' and by '5'."""
    if prefix == wanted:
        return True
    return prefix.isdigit() and wanted.isdigit() and int(prefix) == int(wanted)


def resolve_sheet(name: str, folder: Path) -> Path:
    """The sheet in `folder` that `name` designates ('01' or '1', a stem, or a file name)."""
    candidates = sheets_in(folder)
    wanted = Path(name).name
    for path in candidates:
        if wanted in (path.name, path.stem):
            return path
    matches = [path for path in candidates if _same_number(path.stem.split("_", 1)[0], wanted)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(path.stem for path in candidates) or "none"
    if len(matches) > 1:
        raise CourseError(f"sheet name {name!r} is ambiguous in {folder}: it matches {known}.")
    raise CourseError(f"no sheet called {name!r} in {folder}; the sheets there are: {known}.")
