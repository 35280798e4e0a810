"""Where the course lives on disk, and how a sheet is named on the command line.

The course root is the folder holding ``solutions/`` and ``exercises/`` (the
repository). It is found from the ``AUTODIDACT_ROOT`` environment variable, or
by walking up from the current folder, or next to the installed package.

A sheet can be named by its number (``01``, or ``1``), its stem
(``01_finite_differences``) or its file name (``01_finite_differences.ipynb``).
"""

from __future__ import annotations

import os
from pathlib import Path


class CourseError(Exception):
    """A problem the user can fix; the CLI prints its message, never a traceback."""


def find_course_root(start: Path | None = None) -> Path:
    """The folder that holds ``solutions/`` and ``exercises/``."""
    if os.environ.get("AUTODIDACT_ROOT"):
        root = Path(os.environ["AUTODIDACT_ROOT"]).resolve()
        if not (root / "exercises").is_dir():
            raise CourseError(f"AUTODIDACT_ROOT={root} has no exercises/ folder.")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir() and (folder / "solutions").is_dir():
            return folder
    beside_package = Path(__file__).resolve().parents[2]
    if (beside_package / "exercises").is_dir():
        return beside_package
    raise CourseError(
        f"cannot find the course folder (one with exercises/ and solutions/) from {here}: "
        "run this command inside the course folder."
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
