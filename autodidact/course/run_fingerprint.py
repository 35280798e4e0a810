"""What a notebook's stored outputs were computed from, so that only stale notebooks re-run.

A notebook's outputs depend on its code cells and on the library code those
cells run. After each run, `autodidact run-notebooks` asks the kernel which
``autodidact`` modules it loaded and stores, in the notebook's metadata
(``metadata["autodidact_run"]``):

* ``modules``: those module names, e.g. ``autodidact.teaching.trace_table``;
* ``fingerprint``: ``sha256:`` and the SHA-256 of every code cell's source, in
  order, followed by the name and file contents of each of those modules.

The notebook is *stale* when the fingerprint computed now from its code cells
and the current files of its recorded modules differs from the stored one (or
when none is stored). Markdown cells, cell tags and outputs take no part:
editing a sentence makes nothing stale. A notebook that starts using a new
module must change a code cell or a module it already loads, so the recorded
list cannot silently fall behind. What the fingerprint does not see: the
versions of NumPy, Matplotlib and Python, and files a notebook reads that are
not ``autodidact`` modules (none of the course notebooks reads any).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import nbformat

import autodidact

METADATA_KEY = "autodidact_run"
PACKAGE_ROOT = Path(autodidact.__file__).resolve().parent

# A code cell appended to the notebook for one run and removed afterwards: it
# prints, as JSON, the autodidact modules the kernel has loaded.
LOADED_MODULES_PROBE = (
    "import json as _autodidact_json, sys as _autodidact_sys\n"
    "print(_autodidact_json.dumps(sorted(name for name in _autodidact_sys.modules\n"
    "    if name == 'autodidact' or name.startswith('autodidact.'))))"
)


def module_file(name: str, package_root: Path = PACKAGE_ROOT) -> Path:
    """The source file of module `name` (``autodidact.numpy`` -> ``numpy/__init__.py``)."""
    folder = package_root.joinpath(*name.split(".")[1:])
    return folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")


def compute_fingerprint(
    notebook: nbformat.NotebookNode,
    modules: Iterable[str],
    package_root: Path = PACKAGE_ROOT,
) -> str:
    """``sha256:<hex>`` of the code cells' sources and the current files of `modules`."""
    digest = hashlib.sha256(b"autodidact run fingerprint 1\n")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            digest.update(b"cell\0" + cell.source.encode("utf-8") + b"\0")
    for name in sorted(set(modules)):
        path = module_file(name, package_root)
        contents = path.read_bytes() if path.is_file() else b"(missing)"
        digest.update(b"module\0" + name.encode("utf-8") + b"\0" + contents + b"\0")
    return "sha256:" + digest.hexdigest()


def stored_run(notebook: nbformat.NotebookNode) -> dict | None:
    """The stored ``{"fingerprint", "modules"}`` of the notebook's last run, if any."""
    run = notebook.metadata.get(METADATA_KEY)
    if isinstance(run, dict) and "fingerprint" in run and "modules" in run:
        return run
    return None


def record_run(notebook: nbformat.NotebookNode, modules: Iterable[str]) -> None:
    """Store the fingerprint of this run (its code and `modules`) in the notebook's metadata."""
    modules = sorted(set(modules))
    notebook.metadata[METADATA_KEY] = {
        "fingerprint": compute_fingerprint(notebook, modules),
        "modules": modules,
    }


def is_stale(notebook: nbformat.NotebookNode, package_root: Path = PACKAGE_ROOT) -> bool:
    """Whether the notebook's code or library sources changed since its outputs were stored."""
    run = stored_run(notebook)
    if run is None:
        return True
    return compute_fingerprint(notebook, run["modules"], package_root) != run["fingerprint"]


def probe_cell() -> nbformat.NotebookNode:
    """A fresh copy of the probe cell, to append before a run."""
    return nbformat.v4.new_code_cell(LOADED_MODULES_PROBE)


def loaded_modules(probe: nbformat.NotebookNode) -> list[str]:
    """The module names the executed probe cell printed."""
    text = "".join(
        output.get("text", "") for output in probe.outputs if output.output_type == "stream"
    )
    try:
        names = json.loads(text)
    except ValueError:
        raise ValueError(f"the loaded-modules probe printed {text!r}, not a JSON list") from None
    return [str(name) for name in names]
