"""The course manifest, ``course.toml``: the lectures and the sheets, in order.

A lecture has an ``id`` (its file stem in ``notebooks/``) and a ``title``; a
sheet has an ``id`` (its file stem in ``solutions/`` and ``exercises/``, which
is also what its checks and its notebook metadata call it), a ``title``, the
``lecture`` it follows, its ``exercises`` in the order of their check cells,
and the ``points`` of each. The command line, the sheets' nbgrader metadata,
the site's table of contents and the tests read the course from here;
`autodidact.course.manifest_audit` lists what disagrees with it.

The manifest sits at the top of the course folder; an installed wheel carries
one in its course files, which `autodidact start` copies with the sheets.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from autodidact.course.layout import CourseError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MANIFEST_NAME = "course.toml"


@dataclass(frozen=True)
class Lecture:
    id: str
    title: str


@dataclass(frozen=True)
class Sheet:
    id: str
    title: str
    lecture: str
    exercises: tuple[str, ...]
    points: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    lectures: tuple[Lecture, ...]
    sheets: tuple[Sheet, ...]
    path: Path | None = None

    @property
    def lecture_ids(self) -> list[str]:
        return [lecture.id for lecture in self.lectures]

    @property
    def sheet_ids(self) -> list[str]:
        return [sheet.id for sheet in self.sheets]

    def sheet(self, sheet_id: str) -> Sheet | None:
        return next((sheet for sheet in self.sheets if sheet.id == sheet_id), None)

    def sheet_named(self, name: str) -> Sheet:
        """The sheet `name` designates: its id, its file name, or its number ('05' or '5')."""
        wanted = Path(name).name.removesuffix(".ipynb")
        for sheet in self.sheets:
            if sheet.id == wanted:
                return sheet
        number = [
            sheet
            for sheet in self.sheets
            if wanted.isdigit()
            and sheet.id.split("_", 1)[0].isdigit()
            and int(sheet.id.split("_", 1)[0]) == int(wanted)
        ]
        if len(number) == 1:
            return number[0]
        known = ", ".join(self.sheet_ids)
        raise CourseError(f"no sheet called {name!r} in the course; its sheets are: {known}.")


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise CourseError(f"{where}: `{key}` must be a non-empty string, not {value!r}.")
    return value


def parse_manifest(text: str, where: str = MANIFEST_NAME) -> Manifest:
    """The manifest written in `text`; a `CourseError` names the first thing wrong in it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{where} is not valid TOML: {error}.") from None
    lectures = []
    for index, entry in enumerate(data.get("lectures", []), start=1):
        place = f"{where}, lecture {index}"
        lectures.append(Lecture(_text(entry, "id", place), _text(entry, "title", place)))
    sheets = []
    for index, entry in enumerate(data.get("sheets", []), start=1):
        place = f"{where}, sheet {index}"
        exercises = entry.get("exercises")
        if not (
            isinstance(exercises, list) and exercises and all(isinstance(e, str) for e in exercises)
        ):
            raise CourseError(f"{place}: `exercises` must be a non-empty list of names.")
        points = entry.get("points", {})
        if not isinstance(points, dict) or set(points) != set(exercises):
            raise CourseError(f"{place}: `points` must give the points of each of its exercises.")
        for name, value in points.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CourseError(f"{place}: the points of {name} must be a number >= 0.")
        sheets.append(
            Sheet(
                _text(entry, "id", place),
                _text(entry, "title", place),
                _text(entry, "lecture", place),
                tuple(exercises),
                dict(points),
            )
        )
    if not lectures or not sheets:
        raise CourseError(f"{where} must list [[lectures]] and [[sheets]].")
    for kind, ids in (("lecture", [lec.id for lec in lectures]), ("sheet", [s.id for s in sheets])):
        repeated = sorted({name for name in ids if ids.count(name) > 1})
        if repeated:
            raise CourseError(f"{where}: the {kind} {', '.join(repeated)} is listed twice.")
    return Manifest(tuple(lectures), tuple(sheets))


def load_manifest(root: Path) -> Manifest | None:
    """The manifest of the course folder `root`, ``root/course.toml``, or None if it has none."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        return None
    manifest = parse_manifest(path.read_text(encoding="utf-8"), str(path))
    return Manifest(manifest.lectures, manifest.sheets, path)
