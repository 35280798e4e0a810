"""One build step beyond pyproject.toml: the wheel carries the course.

A wheel built from this folder (`pip install .`, `pip wheel .`) holds, besides
the package, the lectures ``notebooks/*.ipynb`` and the blank sheets
``exercises/*.ipynb`` and the manifest ``course.toml`` as package data in
``autodidact/course_files/``; that is
where `autodidact start` finds them when no course folder is around. The
solution sheets ``solutions/`` are never copied. An editable install
(`pip install -e .`) copies nothing: its package sits beside the files.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
COURSE_FOLDERS = ("notebooks", "exercises")  # never solutions/


class build_py_with_course(build_py):
    """`build_py`, then the course's lectures and blank sheets into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "autodidact" / "course_files"
        shutil.rmtree(target, ignore_errors=True)  # no stale sheet from an earlier build
        for folder in COURSE_FOLDERS:
            sheets = sorted((HERE / folder).glob("*.ipynb"))
            if not sheets:
                raise SystemExit(f"setup.py: no notebooks in {HERE / folder} to put in the wheel")
            (target / folder).mkdir(parents=True)
            for sheet in sheets:
                shutil.copyfile(sheet, target / folder / sheet.name)
        shutil.copyfile(HERE / "course.toml", target / "course.toml")  # the course manifest


setup(cmdclass={"build_py": build_py_with_course})
