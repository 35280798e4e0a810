"""Make a re-run of an unchanged notebook store the same file.

Two kinds of output differ from run to run although nothing changed:

* **Widget ids.** Every ipywidgets model gets a random id (a UUID) when it is
  created; the id appears in the widget's output and in the widget state
  stored in the notebook's metadata (as a key, and as ``IPY_MODEL_<id>``
  wherever one model refers to another). `renumber_widgets` replaces each id
  by one derived from the notebook's name and the model's place in a fixed
  walk: the widgets of the outputs in cell order, each followed depth first
  by the models it refers to (keys in sorted order), then any model nothing
  refers to, ordered by its state.
* **Measured outputs** (timings, memory), in cells tagged
  ``nbval-ignore-output``. `keep_measured_outputs` puts back the outputs such
  a cell had before, when the notebook's fingerprint (its code and the library
  code it runs, see `run_fingerprint`) is the same as at the run that stored
  them: the stored measurement is then one of the same code, and the prose
  around it ("this run measured ...") still describes it. Any change to the
  code or the library makes the new measurements stick.
* **Where printed text is cut.** A kernel sends what a cell prints in pieces
  whose boundaries depend on timing, and each piece is stored as an output of
  its own. `merge_streams` joins consecutive pieces of the same stream, as
  JupyterLab does when it shows them.
"""

from __future__ import annotations

import hashlib
import json

import nbformat

from autodidact.course.run_fingerprint import stored_run

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MODEL_REFERENCE = "IPY_MODEL_"
MEASURED_TAG = "nbval-ignore-output"


def _widget_states(notebook: nbformat.NotebookNode) -> dict:
    return notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def widget_ids_in_order(notebook: nbformat.NotebookNode) -> list[str]:
    """The notebook's widget model ids in an order that does not depend on the ids."""
    states = _widget_states(notebook)
    order: list[str] = []

    def visit(model_id: str) -> None:
        if model_id in states and model_id not in order:
            order.append(model_id)
            walk(states[model_id])

    def walk(value: object) -> None:
        if isinstance(value, str) and value.startswith(MODEL_REFERENCE):
            visit(value[len(MODEL_REFERENCE) :])
        elif isinstance(value, dict):
            for key in sorted(value):
                walk(value[key])
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if isinstance(view, dict) and "model_id" in view:
                visit(view["model_id"])
    unreferenced = [model_id for model_id in states if model_id not in order]
    for model_id in sorted(unreferenced, key=lambda key: json.dumps(states[key], sort_keys=True)):
        visit(model_id)
    return order


def stable_widget_id(notebook_name: str, number: int) -> str:
    """A 32-hex-digit id for the `number`-th widget of the notebook called `notebook_name`."""
    return hashlib.sha256(f"{notebook_name}/widget/{number}".encode()).hexdigest()[:32]


def renumber_widgets(notebook: nbformat.NotebookNode, notebook_name: str) -> nbformat.NotebookNode:
    """The notebook with every widget model id replaced by its `stable_widget_id`."""
    ids = widget_ids_in_order(notebook)
    if not ids:
        return notebook
    text = nbformat.writes(notebook)
    for number, model_id in enumerate(ids):
        text = text.replace(model_id, stable_widget_id(notebook_name, number))
    return nbformat.reads(text, as_version=4)


def merge_streams(notebook: nbformat.NotebookNode) -> None:
    """Join, in every cell, consecutive stream outputs of the same stream (stdout, stderr)."""
    for cell in notebook.cells:
        merged: list = []
        for output in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and last is not None
                and last.output_type == "stream"
                and last.name == output.name
            ):
                last.text += output.text
            else:
                merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def keep_measured_outputs(
    fresh: nbformat.NotebookNode, previous: nbformat.NotebookNode, fingerprint: str
) -> int:
    """Put `previous`'s outputs back into `fresh`'s measured cells when nothing changed.

    Nothing changed when `previous` was stored by a run with the same
    `fingerprint`; cells are matched by their place among the code cells.
    Returns the number of cells whose outputs were put back.
    """
    run = stored_run(previous)
    if run is None or run["fingerprint"] != fingerprint:
        return 0
    fresh_code = [cell for cell in fresh.cells if cell.cell_type == "code"]
    previous_code = [cell for cell in previous.cells if cell.cell_type == "code"]
    kept = 0
    for new, old in zip(fresh_code, previous_code):
        if MEASURED_TAG in new.metadata.get("tags", []) and new.source == old.source:
            new.outputs = old.outputs
            kept += 1
    return kept
