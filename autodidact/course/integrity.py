"""Tamper evidence: has the student's code changed the grader's own functions?

``autodidact grade`` runs the course's checks in the process that ran the
student's cells (the checks must call the student's functions). Student code
could therefore try to win by monkeypatching: replacing
``autodidact.course.checking.run_check``, a check in the registry,
``numpy.allclose`` or a builtin by something that always agrees.

A `Fingerprint` records, before any student code runs, the identity of every
object those modules hold: each module attribute, the code, defaults and
globals of each function, each attribute of each class defined there, and the
entries of the grader's own module-level dictionaries (the check registry).
Comparing it again before and after each check names what changed.

This is evidence, not a proof of innocence: code written against this module
(patching objects it does not look at, through ctypes, or undoing a patch
before it is looked at) is not caught. The instructor guide says so.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable

# Modules whose attributes are compared by identity. The grader's own modules
# (the checks and their framework) also have their dictionaries compared entry by entry.
WATCHED_PREFIXES = ("autodidact",)
WATCHED_MODULES = ("numpy", "numpy.linalg", "builtins", "math", "json", "os")
GRADER_PREFIX = "autodidact.course"


def _function_parts(value: object) -> tuple[int, ...]:
    function = getattr(value, "__func__", value)
    if isinstance(function, types.FunctionType):
        return (
            id(function.__code__),
            id(function.__defaults__),
            id(function.__kwdefaults__),
            id(function.__globals__),
        )
    return ()


def _entries(module_name: str, module: types.ModuleType) -> Iterable[tuple[str, tuple]]:
    grader = module_name.startswith(GRADER_PREFIX)
    for key, value in list(vars(module).items()):
        name = f"{module_name}.{key}"
        yield name, (id(value), *_function_parts(value))
        if isinstance(value, type) and getattr(value, "__module__", None) == module_name:
            for attribute, member in list(vars(value).items()):
                yield f"{name}.{attribute}", (id(member), *_function_parts(member))
        elif grader and isinstance(value, dict):
            for entry_key, entry in list(value.items()):
                parts = (id(entry), *_function_parts(getattr(entry, "function", None)))
                yield f"{name}[{entry_key!r}]", parts


def _watched(module_name: str) -> bool:
    return module_name in WATCHED_MODULES or any(
        module_name == prefix or module_name.startswith(prefix + ".") for prefix in WATCHED_PREFIXES
    )


class Fingerprint:
    """The identities of the watched objects at the moment it was taken."""

    def __init__(self) -> None:
        self.modules = {
            name: module
            for name, module in list(sys.modules.items())
            if isinstance(module, types.ModuleType) and _watched(name)
        }
        self.entries = self._take()

    def _take(self) -> dict[str, tuple]:
        entries = {}
        for name, module in self.modules.items():
            entries.update(_entries(name, module))
        return entries

    def changes(self) -> list[str]:
        """The watched names whose object is no longer the one recorded (new names are fine).

        A module replaced in ``sys.modules`` counts as a change too.
        """
        changed = [
            f"sys.modules[{name!r}]"
            for name, module in self.modules.items()
            if sys.modules.get(name) is not module
        ]
        now = self._take()
        changed += [name for name, parts in self.entries.items() if now.get(name, parts) != parts]
        return changed
