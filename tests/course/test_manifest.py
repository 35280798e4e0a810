"""course.toml is the course: the files, checks, metadata, cross-references, course list and
site agree with it, and each kind of disagreement is caught (shown on a temporary copy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autodidact.course.cli import _sheets_to_check
from autodidact.course.layout import CourseError
from autodidact.course.manifest import MANIFEST_NAME, load_manifest, parse_manifest
from autodidact.course.manifest_audit import course_problems
from autodidact.course.sheets import stamped_solution
from autodidact.course.site import course_pages

from .conftest import REPO

MANIFEST = load_manifest(REPO)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the course's notebooks, sheets, manifest and README."""
    root = tmp_path / "course"
    for folder in ("notebooks", "solutions", "exercises"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".*"))
    for name in (MANIFEST_NAME, "README.md"):
        shutil.copy(REPO / name, root / name)
    return root


def problems_of(root: Path) -> list[str]:
    return course_problems(root, load_manifest(root))


def edit_manifest(root: Path, old: str, new: str) -> None:
    path = root / MANIFEST_NAME
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_notebook(path: Path, change) -> None:
    notebook = nbformat.read(str(path), as_version=4)
    change(notebook)
    nbformat.write(notebook, str(path))


def test_the_course_agrees_with_its_manifest():
    assert MANIFEST is not None
    assert course_problems(REPO, MANIFEST) == []


def test_a_renamed_sheet_is_caught(copy):
    for folder in ("solutions", "exercises"):
        old = copy / folder / "06_backprop.ipynb"
        old.rename(old.with_name("06_backpropagation.ipynb"))
    problems = problems_of(copy)
    assert any("06_backpropagation.ipynb is not a sheet" in line for line in problems), problems
    assert any("lists the sheet 06_backprop," in line for line in problems), problems


def test_swapped_sheet_numbers_are_caught(copy):
    """The issue's case: 06 and 07 renumbered into each other's place, lectures and sheets."""
    for folder in ("notebooks", "solutions", "exercises"):
        six, seven = (
            copy / folder / "06_backprop.ipynb",
            copy / folder / "07_second_order_and_memory.ipynb",
        )
        six.rename(six.with_name("07_backprop.ipynb"))
        seven.rename(seven.with_name("06_second_order_and_memory.ipynb"))
    problems = problems_of(copy)
    for folder in ("notebooks", "solutions", "exercises"):
        assert f"{folder}/07_backprop.ipynb is not a" in "\n".join(problems), problems


def test_a_sheet_without_the_check_cell_of_an_exercise_is_caught(copy):
    def drop_check(notebook):
        notebook.cells = [
            cell for cell in notebook.cells if 'check("central_difference"' not in cell.source
        ]

    edit_notebook(copy / "exercises" / "01_finite_differences.ipynb", drop_check)
    problems = problems_of(copy)
    assert problems == [
        "exercises/01_finite_differences.ipynb has no check cell for central_difference"
    ], problems


def test_an_exercise_without_a_registered_check_is_caught(copy):
    edit_manifest(
        copy,
        'exercises = ["forward_difference", "central_difference", "gradient_check"]',
        'exercises = ["forward_difference", "central_difference", "gradient_check", "extra"]',
    )
    edit_manifest(copy, "gradient_check = 1\n", "gradient_check = 1\nextra = 1\n")
    problems = problems_of(copy)
    assert any("the check registry holds" in line for line in problems), problems
    assert any("no check cell for extra" in line for line in problems), problems


def test_a_dangling_cross_reference_is_caught(copy):
    def add_reference(notebook):
        notebook.cells.append(
            nbformat.v4.new_markdown_cell("Then notebooks/05_linear_algebr.ipynb.")
        )

    edit_notebook(copy / "notebooks" / "04_jacobian_accumulation.ipynb", add_reference)
    problems = problems_of(copy)
    assert len(problems) == 1 and "refers to notebooks/05_linear_algebr" in problems[0], problems


def test_a_course_list_out_of_order_is_caught(copy):
    def swap_rows(notebook):
        for cell in notebook.cells:
            if "| `06_backprop` |" in cell.source:
                lines = cell.source.split("\n")
                six = next(i for i, line in enumerate(lines) if line.startswith("| `06_"))
                lines[six], lines[six + 1] = lines[six + 1], lines[six]
                cell.source = "\n".join(lines)

    edit_notebook(copy / "notebooks" / "00_start_here.ipynb", swap_rows)
    problems = problems_of(copy)
    assert len(problems) == 1 and "the course list of 00_start_here" in problems[0], problems


def test_a_lecture_retitled_or_missing_is_caught(copy):
    edit_manifest(copy, 'title = "07 Second order and memory"', 'title = "07 Memory"')
    (copy / "notebooks" / "09_implicit_differentiation.ipynb").unlink()
    problems = problems_of(copy)
    assert any("is not its title in course.toml, '07 Memory'" in line for line in problems)
    assert any(
        "notebooks/09_implicit_differentiation.ipynb does not exist" in line for line in problems
    )


def test_points_come_from_the_manifest(copy):
    edit_manifest(copy, "central_difference = 1\n", "central_difference = 3\n")
    problems = problems_of(copy)
    assert any("metadata" in line and "01_finite_differences" in line for line in problems)
    stamped = stamped_solution(copy / "solutions" / "01_finite_differences.ipynb")
    assert stamped.metadata["autodidact"]["points"]["central_difference"] == 3
    cell = next(c for c in stamped.cells if 'check("central_difference"' in c.source)
    assert cell.metadata["nbgrader"]["points"] == 3


def test_the_site_follows_the_manifest_order():
    pages = [page.source.stem for page in course_pages(REPO) if page.kind == "lecture"]
    assert pages == MANIFEST.lecture_ids
    sheets = [page.source.stem for page in course_pages(REPO) if page.kind == "sheet"]
    assert sheets == MANIFEST.sheet_ids


def test_the_command_line_names_sheets_as_the_manifest_does(copy):
    workspace = copy / "workspace"
    shutil.copytree(copy / "exercises", workspace)
    for name in ("5", "05", "05_linear_algebra", "05_linear_algebra.ipynb"):
        assert _sheets_to_check([name], copy, workspace) == [workspace / "05_linear_algebra.ipynb"]
    everything = _sheets_to_check([], copy, workspace)
    assert [path.stem for path in everything] == MANIFEST.sheet_ids
    (workspace / "05_linear_algebra.ipynb").unlink()
    with pytest.raises(CourseError, match="run `autodidact start`"):
        _sheets_to_check(["5"], copy, workspace)
    with pytest.raises(CourseError, match="no sheet called '42'"):
        _sheets_to_check(["42"], copy, workspace)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[lectures]]\nid = "a"\ntitle = "A"\n', "must list"),
        (
            '[[lectures]]\nid = "a"\ntitle = "A"\n[[sheets]]\nid = "s"\ntitle = "S"\n'
            'lecture = "a"\nexercises = ["x", "y"]\npoints = { x = 1 }\n',
            "points",
        ),
        (
            '[[lectures]]\nid = "a"\ntitle = "A"\n[[lectures]]\nid = "a"\ntitle = "B"\n'
            '[[sheets]]\nid = "s"\ntitle = "S"\nlecture = "a"\nexercises = ["x"]\n'
            "points = { x = 1 }\n",
            "listed twice",
        ),
        ("[[lectures]\n", "not valid TOML"),
    ],
)
def test_a_malformed_manifest_is_one_clear_error(text, message):
    with pytest.raises(CourseError, match=message):
        parse_manifest(text)
