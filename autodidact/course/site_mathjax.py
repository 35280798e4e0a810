"""A Sphinx extension that serves MathJax from the site itself, never from a CDN.

Sphinx's math support loads MathJax from the network by default, so a page
read offline would show raw TeX. This extension points ``mathjax_path`` at
``_static/mathjax/tex-chtml.js`` and, after each build, copies there the
parts of MathJax 3 that TeX input and HTML output use: the combined
``tex-chtml.js``, the TeX extensions it loads on demand, the CommonHTML
output's fonts, and the menu and accessibility components. MathJax's files
come from the ``django-static-mathjax`` package on PyPI (MathJax 3.2.2 as
plain files; it needs no Django), installed by the ``docs`` extra.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MATHJAX_FOLDER = "mathjax"  # inside the built site's _static/
# What tex-chtml.js loads, relative to MathJax's es5/ folder (the speech rule
# engine, sre/, and the SVG output are left out: the pages do not use them).
MATHJAX_PARTS = (
    "tex-chtml.js",
    "input/tex",
    "output/chtml",
    "output/chtml.js",
    "ui",
    "a11y",
    "adaptors",
)


class MathJaxMissing(RuntimeError):
    """The MathJax files are not installed."""


def mathjax_source() -> Path:
    """MathJax's es5/ folder as installed by django-static-mathjax (package ``mathjax``)."""
    try:
        import mathjax
    except ImportError:
        raise MathJaxMissing(
            "MathJax is not installed: run `pip install -e .[docs]` (or `make site`)."
        ) from None
    source = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
    if not (source / "tex-chtml.js").is_file():
        raise MathJaxMissing(f"{source} has no tex-chtml.js: reinstall django-static-mathjax.")
    return source


def copy_mathjax(target: Path) -> None:
    """Copy the parts of MathJax the pages use into `target` (skipping unchanged files)."""
    source = mathjax_source()
    for part in MATHJAX_PARTS:
        origin = source / part
        if origin.is_dir():
            shutil.copytree(origin, target / part, dirs_exist_ok=True, copy_function=_copy_if_new)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            _copy_if_new(origin, target / part)


def _copy_if_new(origin: str | Path, destination: str | Path) -> None:
    origin, destination = Path(origin), Path(destination)
    if destination.exists() and destination.stat().st_size == origin.stat().st_size:
        return
    shutil.copy2(origin, destination)


def _copy_after_build(app, exception: BaseException | None) -> None:
    if exception is None and app.builder.format == "html":
        copy_mathjax(Path(app.outdir) / "_static" / MATHJAX_FOLDER)


def _use_local_mathjax(app, config) -> None:
    config.mathjax_path = f"{MATHJAX_FOLDER}/tex-chtml.js"  # relative: inside _static/


def setup(app) -> dict:
    mathjax_source()  # fail at once, with the fix, when MathJax is missing
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy_after_build)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
