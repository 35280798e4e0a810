"""Re-execute the course notebooks in place, so their stored outputs come from a fresh run.

Each notebook runs top to bottom in a new kernel, in its own folder, with a
fixed hash seed and one BLAS thread (the notebooks seed their own random
generators). Timing metadata is not recorded, so that re-running an
unchanged notebook changes as little of the file as possible.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from autodidact.course.layout import CourseError
from autodidact.course.sheets import notebook_text, read_notebook

DETERMINISTIC_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def execute_notebook(path: Path, timeout: float = 600.0) -> nbformat.NotebookNode:
    """Run the notebook at `path` from a fresh kernel; return it with its new outputs."""
    notebook = read_notebook(path)
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
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    return notebook


def _selected(path: Path, names: list[str]) -> bool:
    """Whether `path` is named by one of `names` (a number like 01, a stem or a file name)."""
    if not names:
        return True
    return any(name in (path.name, path.stem, path.stem.split("_", 1)[0]) for name in names)


def run_notebooks(
    root: Path,
    names: list[str] | None = None,
    folders: tuple[str, ...] = ("notebooks", "solutions"),
) -> list[Path]:
    """Re-execute the notebooks of `folders` in place (those named by `names`, or all).

    Returns the paths written; raises `CourseError` when `names` matches nothing.
    """
    written = []
    names = list(names or [])
    for folder in folders:
        for path in sorted((root / folder).glob("*.ipynb")):
            if not _selected(path, names):
                continue
            notebook = execute_notebook(path)
            path.write_text(notebook_text(notebook), encoding="utf-8")
            written.append(path)
    if names and not written:
        raise CourseError(f"no notebook in {', '.join(folders)} matches {' '.join(names)}.")
    return written
