"""Shortcuts withheld: while a check runs, the library cannot answer the exercise for the student.

An exercise such as "write the VJP of sin" is pointless if the answer may be
``make_vjp(anp.sin)(x)[0](g)``. So each check declares what the exercise may
not lean on, as a `Shortcuts`:

    Shortcuts(
        allowed="autodidact.numpy functions (anp.cos, anp.exp, ...) and arithmetic",
        blocked=("autodidact.numpy.numpy_vjps.unbroadcast", *OPERATORS),
        rules_of=(anp.sin,),
    )

* ``blocked`` names library functions (dotted names, or the functions
  themselves) that the student's code may not call;
* ``rules_of`` names primitives whose registered VJP, JVP and batching rule
  functions the student's code may not call (the library keeps using them);
* ``allowed`` says, in words, what the exercise may use instead: it ends the
  verdict "this exercise asks you to write it yourself with <allowed>".

`withheld` puts a *guard* in place of every blocked function: in each module
of the ``autodidact`` package, in the module a blocked dotted name comes
from, in the registries of rules, and in the globals of the student's own
function, wherever the function object itself is found. A guard looks at
who calls it. Code inside the ``autodidact`` package (the library, and the
check itself) goes straight through, so the library keeps working: ``grad``
may still run ``make_vjp`` inside. Code from anywhere else (the student's
notebook) is stopped: the guard records which function
was called and raises `ShortcutUsed`. That exception derives from
BaseException, so the student's own ``except Exception`` cannot swallow it;
and since the call is recorded, the check fails even if it is swallowed.
Everything is put back when the check ends, however it ends.

This stops a student who calls the library; it does not stop one who reads
the library's source and retypes it. The lectures take care of that part:
they derive a sibling of each exercise, never its answer.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import autodidact

PACKAGE_FOLDER = str(Path(autodidact.__file__).resolve().parent)

# Every differential operator of the library: what would answer "compute a derivative".
OPERATORS = (
    "autodidact.grad",
    "autodidact.holomorphic_grad",
    "autodidact.value_and_grad",
    "autodidact.elementwise_grad",
    "autodidact.make_vjp",
    "autodidact.make_jvp",
    "autodidact.jacobian",
    "autodidact.jacfwd",
    "autodidact.jacrev",
    "autodidact.hessian",
    "autodidact.hessian_tensor_product",
    "autodidact.make_hvp",
    "autodidact.checkpoint",
    "autodidact.reverse.make_vjp",
    "autodidact.reverse.backward_pass",
    "autodidact.forward.make_jvp",
)

# The numerical derivatives of the library: what would answer "approximate a derivative".
FINITE_DIFFERENCES = (
    "autodidact.finite_differences.one_sided_difference",
    "autodidact.finite_differences.central_difference",
    "autodidact.finite_differences.complex_step_derivative",
    "autodidact.finite_differences.numerical_gradient",
    "autodidact.finite_differences.directional_derivative",
    "autodidact.test_util.directional_difference",
    "autodidact.test_util.check_grads",
)


class ShortcutUsed(BaseException):  # noqa: N818 (it is a signal, not an error of the library)
    """The student's code called a library function the exercise asks them to write."""

    def __init__(self, name: str) -> None:
        super().__init__(f"this exercise may not call {name}")
        self.name = name


@dataclass(frozen=True)
class Shortcuts:
    """What an exercise may not call, and what it may use instead (see the module docstring)."""

    allowed: str
    blocked: tuple[str | Callable, ...] = ()
    rules_of: tuple[Callable, ...] = ()

    def advice(self) -> str:
        return f"this exercise asks you to write it yourself with {self.allowed}."


@dataclass
class Record:
    """What happened while the shortcuts were withheld: the functions the student called."""

    called: list[str] = field(default_factory=list)


def _resolve(spec: str | Callable) -> tuple[str, Callable | None]:
    """The display name and the object of a blocked entry (None if the name does not exist)."""
    if not isinstance(spec, str):
        module = getattr(spec, "__module__", "") or ""
        return f"{module}.{getattr(spec, '__qualname__', repr(spec))}".lstrip("."), spec
    module_name, _, attribute = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return spec, None
    return spec, getattr(module, attribute, None)


def _guard(original: Callable, name: str, record: Record, trusted: frozenset[str]) -> Callable:
    """`original`, callable from the library and from `trusted` files, refused to anyone else."""

    @functools.wraps(original)
    def guard(*args: Any, **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_code.co_filename
        if caller.startswith(PACKAGE_FOLDER) or caller in trusted:
            return original(*args, **kwargs)
        record.called.append(name)
        raise ShortcutUsed(name)

    del guard.__wrapped__  # no way back to the original from the student's side
    return guard


def _rule_functions(primitive: Callable) -> Iterator[tuple[dict, Any, Callable]]:
    """Each (registry, key, rule) through which the VJP, JVP and batching rules of `primitive`
    are found.

    That includes the table of derivatives f' the elementwise rules are made from, and
    vmap's table of batching rules (`defbatch`).
    """
    from autodidact import batching, forward, reverse
    from autodidact.numpy.numpy_vjps import DERIVATIVES

    for table in (reverse.vjp_rules, forward.jvp_rules):
        rules = table.get(primitive, {})
        for argnum, rule in rules.items():
            yield rules, argnum, rule
    for table in (
        reverse.vjp_argnum_rules,
        reverse.vjp_joint_rules,
        forward.jvp_argnum_rules,
        DERIVATIVES,
        batching.batch_rules,
    ):
        if primitive in table:
            yield table, primitive, table[primitive]


def _namespaces_of(student: Any) -> list[dict]:
    """The global namespaces the student's code looks names up in."""
    functions = [student]
    if isinstance(student, functools.partial):
        functions = [student.func]
    elif isinstance(student, type):
        functions = [value for value in vars(student).values() if callable(value)]
    # A primitive made by the student (`@primitive def ...`) wraps their own function, whose
    # globals (shared with the rule they register) are where their code looks names up.
    functions += [function.raw_fun for function in functions if hasattr(function, "raw_fun")]
    namespaces = []
    for function in functions:
        function = getattr(function, "__func__", function)
        namespace = getattr(function, "__globals__", None)
        if isinstance(namespace, dict) and all(namespace is not n for n in namespaces):
            namespaces.append(namespace)
    return namespaces


@contextlib.contextmanager
def withheld(
    shortcuts: Shortcuts | None, student: Any, trusted: tuple[str, ...] = ()
) -> Iterator[Record]:
    """Guard every blocked function and rule while the block runs; restore them all after.

    Code in the ``autodidact`` package, and in the `trusted` files (the check's
    own, wherever it lives), may call the blocked functions; no one else may.
    """
    record = Record()
    if shortcuts is None:
        yield record
        return
    trusted_files = frozenset(trusted)
    guards: dict[int, Callable] = {}  # id(original) -> its guard
    for spec in shortcuts.blocked:
        name, original = _resolve(spec)
        if original is not None and id(original) not in guards:
            guards[id(original)] = _guard(original, name, record, trusted_files)
    replaced: list[tuple[dict, Any, Any]] = []
    for primitive in shortcuts.rules_of:
        label = getattr(primitive, "__name__", "this primitive")
        for table, key, rule in list(_rule_functions(primitive)):
            if id(rule) not in guards:
                guards[id(rule)] = _guard(
                    rule, f"the library's own rule for {label}", record, trusted_files
                )
            replaced.append((table, key, rule))
            table[key] = guards[id(rule)]
    namespaces = [
        vars(module)
        for module_name, module in list(sys.modules.items())
        if module_name == "autodidact" or module_name.startswith("autodidact.")
    ]
    namespaces += _namespaces_of(student)
    # A blocked name from outside the package (scipy.special.logsumexp) is guarded in its
    # own module as well, so that `import scipy.special` and a dotted call cannot reach it.
    modules = {spec.rpartition(".")[0] for spec in shortcuts.blocked if isinstance(spec, str)}
    namespaces += [vars(sys.modules[name]) for name in sorted(modules) if name in sys.modules]
    for namespace in namespaces:
        for key, value in list(namespace.items()):
            if id(value) in guards and guards[id(value)] is not value:
                replaced.append((namespace, key, value))
                namespace[key] = guards[id(value)]
    try:
        yield record
    finally:
        for table, key, original in reversed(replaced):
            table[key] = original
