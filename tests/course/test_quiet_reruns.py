"""Quiet re-runs: `run-notebooks` twice changes no file; `--stale` runs only what changed.

The end-to-end tests run a small course in a temporary folder (a lecture with a
widget and a timing cell, and a one-exercise sheet) through the real command,
each notebook in a real kernel; the rest test the pieces without a kernel.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autodidact.course.cli import main
from autodidact.course.run_fingerprint import (
    METADATA_KEY,
    compute_fingerprint,
    is_stale,
    module_file,
)
from autodidact.course.stable_outputs import (
    WIDGET_STATE,
    WIDGET_VIEW,
    keep_measured_outputs,
    merge_streams,
    renumber_widgets,
    stable_widget_id,
)

LECTURE = "notebooks/01_widget.ipynb"
SHEET = "solutions/01_widget.ipynb"


def small_course(root: Path) -> Path:
    """A course with one lecture (a widget, a timing cell) and one sheet (no exercise to check)."""
    lecture = new_notebook(
        cells=[
            new_markdown_cell("# A widget and a timing"),
            new_code_cell(
                "import time\n\n"
                "from autodidact.teaching.finite_difference_widget import EpsilonExplorer"
            ),
            new_code_cell(
                'print(f"this run measured {time.perf_counter_ns()} ns")',
                metadata={"tags": ["nbval-ignore-output"]},
            ),
            new_code_cell("EpsilonExplorer()"),
        ]
    )
    sheet = new_notebook(
        cells=[
            new_markdown_cell("# Exercises 01"),
            new_code_cell("def double(x):\n    return 2 * x\n\n\nprint(double(2))"),
        ]
    )
    for folder in ("notebooks", "solutions", "exercises"):
        (root / folder).mkdir(parents=True)
    nbformat.write(lecture, str(root / LECTURE))
    nbformat.write(sheet, str(root / SHEET))
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_running_the_notebooks_twice_changes_no_file_the_second_time(tmp_path, capsys):
    root = small_course(tmp_path / "course")
    assert main(["--root", str(root), "run-notebooks"]) == 0
    first = snapshot(root)
    assert set(first) == {LECTURE, SHEET, "exercises/01_widget.ipynb"}
    lecture = nbformat.reads(first[LECTURE].decode(), as_version=4)
    widget_outputs = lecture.cells[3].outputs
    assert WIDGET_VIEW in widget_outputs[0].data and "image/png" in widget_outputs[1].data
    assert widget_outputs[0].data[WIDGET_VIEW]["model_id"] == stable_widget_id("01_widget.ipynb", 0)
    capsys.readouterr()

    assert main(["--root", str(root), "run-notebooks"]) == 0
    assert snapshot(root) == first
    printed = capsys.readouterr().out
    assert printed.count("(outputs unchanged)") == 2 and "wrote" not in printed

    # Nothing changed, so --stale runs nothing at all.
    assert main(["--root", str(root), "run-notebooks", "--stale"]) == 0
    assert "2 notebook(s) up to date" in capsys.readouterr().out
    assert snapshot(root) == first


def test_stale_runs_only_the_notebook_whose_code_changed(tmp_path, capsys):
    root = small_course(tmp_path / "course")
    assert main(["--root", str(root), "run-notebooks"]) == 0
    sheet = nbformat.read(str(root / SHEET), as_version=4)
    sheet.cells[1].source = sheet.cells[1].source.replace("print(double(2))", "print(double(3))")
    nbformat.write(sheet, str(root / SHEET))
    lecture_before = (root / LECTURE).read_bytes()
    capsys.readouterr()

    assert main(["--root", str(root), "run-notebooks", "--stale"]) == 0
    printed = capsys.readouterr().out
    executed = [line for line in printed.splitlines() if line.startswith("executed")]
    assert len(executed) == 1 and executed[0].endswith(SHEET), printed
    assert "1 notebook(s) up to date" in printed
    assert (root / LECTURE).read_bytes() == lecture_before
    rerun = nbformat.read(str(root / SHEET), as_version=4)
    assert rerun.cells[1].outputs[0].text == "6\n"
    assert not is_stale(rerun)


def test_the_fingerprint_follows_code_and_library_but_not_prose(tmp_path):
    package = tmp_path / "autodidact"
    (package / "teaching").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "teaching" / "__init__.py").write_text("")
    (package / "teaching" / "widget.py").write_text("WIDTH = 1\n")
    modules = ["autodidact", "autodidact.teaching", "autodidact.teaching.widget"]
    assert module_file("autodidact.teaching", package) == package / "teaching" / "__init__.py"
    notebook = new_notebook(cells=[new_markdown_cell("# Prose"), new_code_cell("x = 1")])
    notebook.metadata[METADATA_KEY] = {
        "fingerprint": compute_fingerprint(notebook, modules, package),
        "modules": modules,
    }
    assert not is_stale(notebook, package)

    notebook.cells[0].source = "# Other prose"
    notebook.cells[1].metadata["tags"] = ["nbval-ignore-output"]
    assert not is_stale(notebook, package)

    (package / "teaching" / "widget.py").write_text("WIDTH = 2\n")
    assert is_stale(notebook, package)
    (package / "teaching" / "widget.py").write_text("WIDTH = 1\n")
    assert not is_stale(notebook, package)

    notebook.cells[1].source = "x = 2"
    assert is_stale(notebook, package)
    del notebook.metadata[METADATA_KEY]
    assert is_stale(notebook, package)


def widget_notebook(ids: list[str]) -> nbformat.NotebookNode:
    """A box (ids[0]) holding a slider (ids[1]), each with a layout (ids[2], ids[3])."""
    box, slider, box_layout, slider_layout = ids
    view = new_output("display_data", data={WIDGET_VIEW: {"model_id": box}, "text/plain": "Box"})
    notebook = new_notebook(cells=[new_code_cell("Box([slider])", outputs=[view], id="box")])
    states = {
        box: {"state": {"children": [f"IPY_MODEL_{slider}"], "layout": f"IPY_MODEL_{box_layout}"}},
        slider: {"state": {"value": 3, "layout": f"IPY_MODEL_{slider_layout}"}},
        box_layout: {"state": {"width": None}},
        slider_layout: {"state": {"width": "500px"}},
    }
    notebook.metadata["widgets"] = {WIDGET_STATE: {"state": states, "version_major": 2}}
    return notebook


def test_widget_ids_depend_on_the_notebook_not_on_chance():
    runs = [[uuid.uuid4().hex for _ in range(4)] for _ in range(2)]
    texts = [nbformat.writes(renumber_widgets(widget_notebook(ids), "x.ipynb")) for ids in runs]
    assert texts[0] == texts[1]
    assert all(model_id not in texts[0] for model_id in runs[0])
    renumbered = nbformat.reads(texts[0], as_version=4)
    states = renumbered.metadata.widgets[WIDGET_STATE]["state"]
    box = stable_widget_id("x.ipynb", 0)
    assert renumbered.cells[0].outputs[0].data[WIDGET_VIEW]["model_id"] == box
    # Depth first from the box: its children (the slider, then the slider's layout), its layout.
    slider = stable_widget_id("x.ipynb", 1)
    assert states[box]["state"]["children"] == [f"IPY_MODEL_{slider}"]
    assert states[slider]["state"]["layout"] == f"IPY_MODEL_{stable_widget_id('x.ipynb', 2)}"
    assert states[box]["state"]["layout"] == f"IPY_MODEL_{stable_widget_id('x.ipynb', 3)}"


def test_measured_outputs_are_kept_only_when_the_fingerprint_is_unchanged():
    def run(measured: str, fingerprint: str) -> nbformat.NotebookNode:
        output = new_output("stream", name="stdout", text=measured)
        cell = new_code_cell("print(time())", outputs=[output])
        cell.metadata["tags"] = ["nbval-ignore-output"]
        notebook = new_notebook(cells=[cell])
        notebook.metadata[METADATA_KEY] = {"fingerprint": fingerprint, "modules": []}
        return notebook

    previous = run("1.5 ms\n", "sha256:a")
    fresh = run("1.7 ms\n", "sha256:a")
    assert keep_measured_outputs(fresh, previous, "sha256:a") == 1
    assert fresh.cells[0].outputs[0].text == "1.5 ms\n"
    changed = run("1.7 ms\n", "sha256:b")
    assert keep_measured_outputs(changed, previous, "sha256:b") == 0
    assert changed.cells[0].outputs[0].text == "1.7 ms\n"


def test_printed_text_is_stored_in_one_piece_per_stream():
    pieces = [
        new_output("stream", name="stdout", text="a\n"),
        new_output("stream", name="stdout", text="b\n"),
        new_output("stream", name="stderr", text="warning\n"),
        new_output("stream", name="stdout", text="c\n"),
    ]
    notebook = new_notebook(cells=[new_code_cell("...", outputs=pieces)])
    merge_streams(notebook)
    outputs = notebook.cells[0].outputs
    assert [(output.name, output.text) for output in outputs] == [
        ("stdout", "a\nb\n"),
        ("stderr", "warning\n"),
        ("stdout", "c\n"),
    ]
