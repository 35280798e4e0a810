"""Re-execute the course notebooks in place, so their stored outputs come from a fresh run.

Each notebook runs top to bottom in a new kernel, in its own folder, with a
fixed hash seed and one BLAS thread (the notebooks seed their own random
generators). A re-run of an unchanged notebook stores the same file: timing
metadata is not recorded, printed text is stored in one piece per stream,
widget ids are renumbered and measured outputs kept (`stable_outputs`), and
the file is only written when its text changed.
Each run stores the notebook's fingerprint (`run_fingerprint`), so that
``stale_only`` re-runs only the notebooks whose code or library code changed.
"""

from __future__ import annotations

import copy
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from autodidact.course.layout import CourseError
from autodidact.course.run_fingerprint import (
    METADATA_KEY,
    is_stale,
    loaded_modules,
    probe_cell,
    record_run,
)
from autodidact.course.sheets import notebook_text, read_notebook
from autodidact.course.stable_outputs import (
    keep_measured_outputs,
    merge_streams,
    renumber_widgets,
)

DETERMINISTIC_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def execute_notebook(path: Path, timeout: float = 600.0) -> nbformat.NotebookNode:
    """Run the notebook at `path` from a fresh kernel; return it with its new outputs.

    The result carries the run's fingerprint in its metadata, stable widget
    ids, and the stored outputs of measured cells when nothing they depend on
    changed (see `stable_outputs`).
    """
    previous = read_notebook(path)
    notebook = copy.deepcopy(previous)
    notebook.cells.append(probe_cell())
    for key, value in DETERMINISTIC_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    client = NotebookClient(
        notebook,
        timeout=int(timeout),
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        # The kernel's own stderr carries only start-up chatter; cell output comes via messages.
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as error:
        message = str(error).strip().splitlines()
        raise CourseError(f"{path}: a cell raised an error:\n" + "\n".join(message[-3:])) from None
    except (CellTimeoutError, DeadKernelError) as error:
        raise CourseError(f"{path}: {type(error).__name__}: {error}") from None
    modules = loaded_modules(notebook.cells.pop())
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    record_run(notebook, modules)
    merge_streams(notebook)
    notebook = renumber_widgets(notebook, path.name)
    keep_measured_outputs(notebook, previous, notebook.metadata[METADATA_KEY]["fingerprint"])
    return notebook


def _selected(path: Path, names: list[str]) -> bool:
    """Whether `path` is named by one of `names` (a number like 01, a stem or a file name)."""
    if not names:
        return True
    return any(name in (path.name, path.stem, path.stem.split("_", 1)[0]) for name in names)


@dataclass(frozen=True)
class NotebookRun:
    """One notebook considered by `run_notebooks`: was it run, and did its file change?"""

    path: Path
    executed: bool
    changed: bool


def run_notebooks(
    root: Path,
    names: list[str] | None = None,
    folders: tuple[str, ...] = ("notebooks", "solutions"),
    stale_only: bool = False,
) -> list[NotebookRun]:
    """Re-execute the notebooks of `folders` in place (those named by `names`, or all).

    With `stale_only`, a notebook whose fingerprint is unchanged is skipped
    (reported with ``executed=False``). A notebook's file is written only when
    its text changed. Raises `CourseError` when `names` matches nothing.
    """
    runs = []
    names = list(names or [])
    for folder in folders:
        for path in sorted((root / folder).glob("*.ipynb")):
            if not _selected(path, names):
                continue
            if stale_only and not is_stale(read_notebook(path)):
                runs.append(NotebookRun(path, executed=False, changed=False))
                continue
            text = notebook_text(execute_notebook(path))
            changed = text != path.read_text(encoding="utf-8")
            if changed:
                path.write_text(text, encoding="utf-8")
            runs.append(NotebookRun(path, executed=True, changed=changed))
    if names and not runs:
        raise CourseError(f"no notebook in {', '.join(folders)} matches {' '.join(names)}.")
    return runs
