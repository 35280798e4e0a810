"""Checks for sheet 05: the VJPs of the inverse, log|det|, least squares and the spectral norm.

Each exercise is a rule with the library's signature ``vjp(g, ans, *args)``,
and each check holds it to two things:

1. **Its value**, on several random inputs, against the closed form
   (derived in each check's docstring; the tests of this module hold every
   closed form to central differences). The inputs are chosen so the usual
   slips show: a non-symmetric A (A^{-1} where A^{-T} belongs), a matrix with
   a negative determinant (log|det A|, not log det A), a tall A whose fit
   leaves a residual (so least squares is not a solve), a non-square W.
2. **Its use**: the rule is registered on a fresh primitive (the helper of
   sheet 03, `fresh_primitive`) and `check_grads` compares gradients through
   that primitive with finite differences, to second order. That passes only
   if the rule is written with differentiable operations (autodidact.numpy).

While a check runs, the library cannot answer for the student: its
differential operators, its finite differences, the rules registered for the
primitives the exercise is about (and for their close relatives: solve,
pinv, matrix_power, det, svd), and the helpers of
``autodidact/numpy/linalg_vjps.py`` that compute the answer (`slogdet_vjp`,
`pinv_adjoint`, `singular_value_adjoint`, `norm_derivative`, ...) all raise
for the student's code. A wrong answer's first hint names the mistake in
words or maths; its second level (``route``) is the way to the answer the
sheet describes, never the answer's line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodidact.numpy as anp
from autodidact import defvjp
from autodidact.course.checking import (
    FINITE_DIFFERENCES,
    OPERATORS,
    CheckFailed,
    Shortcuts,
    call_student,
    exercise_check,
    expect_close,
    format_value,
    matches,
)
from autodidact.course.checks.sheet03_reverse_mode import expect_gradients_match, fresh_primitive

SHEET = "05_linear_algebra"

# The rules of a primitive are reached through the registries; these helpers of the library
# compute them, so they are withheld too.
VJPS = "autodidact.numpy.linalg_vjps"
JVPS = "autodidact.numpy.linalg_jvps"
LIBRARY = (*OPERATORS, *FINITE_DIFFERENCES)


# An exact rule agrees with the closed form to rounding; the checks ask for 1e-9.
RTOL, ATOL = 1e-9, 1e-12
APPROXIMATE = (
    "your answer is close to the right one but not equal to it: an exact rule agrees with "
    "it to rounding, far closer than the 1e-9 this check asks for. An approximation (finite "
    "differences, say) is not the derivation this exercise asks for."
)


def _mistake(got: Any, expected: Any, candidates: list[tuple[Any, str]], otherwise: str) -> str:
    """The hint for `got`: that of the first candidate it equals (to rounding), the one
    for an approximation if it is only close to `expected`, else `otherwise`."""
    for candidate, hint in candidates:
        if matches(got, candidate, rtol=RTOL, atol=ATOL):
            return hint
    if matches(got, expected, rtol=1e-5, atol=1e-8):
        return APPROXIMATE
    return otherwise


def _expect_gradients(fun: Callable, x: Any, *, on: str, hint: str, route: str) -> None:
    """Gradients through `fun` (a primitive carrying the student's rule) match finite
    differences to second order."""
    expect_gradients_match(fun, x, order=2, on=on, hint=hint, route=route)


# Once the values are right, what usually fails is the second order: the rule itself is
# differentiated, which needs differentiable operations.
IN_USE_HINT = (
    "your rule gave the right values above; here it is used inside a gradient and then "
    "differentiated itself (second order), which works only if it is written with "
    "autodidact.numpy (anp), or with NumPy functions that hand traced values on to it."
)


# --- inv_vjp -----------------------------------------------------------------------------------

INV_ROUTE = (
    "differentiate A A^{-1} = I: dA A^{-1} + A d(A^{-1}) = 0 gives d(A^{-1}) in terms of dA; "
    "then write <g, d(A^{-1})> as <A_bar, dA>, moving each matrix across the inner product "
    "with <X, B dA C> = <B^T X C^T, dA>. ans is A^{-1}: no new inverse is needed."
)


def _square_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    """A well-conditioned, clearly non-symmetric n x n matrix."""
    A = rng.standard_normal((n, n)) + n * np.eye(n)
    A[0, -1] += 1.5
    return A


@exercise_check(
    "inv_vjp",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="matrix products and transposes of g and ans (anp.matmul or @, anp.transpose "
        "or .T) and arithmetic",
        blocked=(
            *LIBRARY,
            f"{VJPS}.solve_vjp",
            f"{VJPS}.solve_transposed",
            f"{VJPS}.pinv_adjoint",
            f"{VJPS}.pinv_vjp",
            f"{VJPS}.matrix_power_vjp",
            f"{JVPS}.pinv_tangent",
            f"{JVPS}.matrix_power_jvp",
        ),
        rules_of=(anp.linalg.inv, anp.linalg.solve, anp.linalg.pinv, anp.linalg.matrix_power),
    ),
)
def inv_vjp(student: Callable) -> str:
    """ans = A^{-1}: d(ans) = -ans dA ans, so <g, d ans> = <-ans^T g ans^T, dA>."""
    for seed, n in ((0, 3), (1, 4), (2, 5)):
        rng = np.random.default_rng(seed + 50)
        A = _square_matrix(rng, n)
        ans = np.linalg.inv(A)
        g = rng.standard_normal((n, n))
        expected = -ans.T @ g @ ans.T
        on = f"A of shape ({n}, {n}), A = {format_value(A, 50)}, g = {format_value(g, 40)}"
        got = call_student(
            student,
            g,
            ans,
            A,
            on=on,
            hint="the rule runs on ans = A^{-1} and the adjoint g, both (n, n).",
            route=INV_ROUTE,
        )
        hint = _mistake(
            got,
            expected,
            [
                (
                    -expected,
                    "your A_bar has the opposite sign: A grows, A^{-1} shrinks, so the "
                    "differential of A^{-1} carries a minus sign.",
                ),
                (
                    -ans @ g @ ans,
                    "you have A^{-1} where A^{-T} belongs, on both sides of g: moving a matrix "
                    "across the inner product <X, B dA C> transposes it.",
                ),
                (
                    ans @ g @ ans,
                    "two slips: the sign (the differential of A^{-1} carries a minus) and the "
                    "transposes (A^{-T}, not A^{-1}, on both sides of g).",
                ),
                (
                    -ans.T @ g @ ans,
                    "the right factor should be A^{-T}, not A^{-1}: each factor is transposed "
                    "when it moves across the inner product.",
                ),
                (
                    -ans @ g @ ans.T,
                    "the left factor should be A^{-T}, not A^{-1}: each factor is transposed "
                    "when it moves across the inner product.",
                ),
                (
                    expected.T,
                    "your A_bar is the transpose of the right one: g sits between the factors "
                    "as it is, not transposed.",
                ),
                (
                    -ans.T @ ans.T,
                    "g is missing: A_bar is linear in the adjoint g that comes in.",
                ),
                (
                    -A.T @ g @ A.T,
                    "you used A where its inverse belongs: ans holds A^{-1}.",
                ),
                (
                    -g,
                    "A_bar is not -g: the inverse is not linear in A, and its differential "
                    "involves A^{-1} on both sides of dA.",
                ),
            ],
            "your A_bar does not satisfy <A_bar, dA> = <g, d(A^{-1})> for small changes dA; "
            "compare it with the expected matrix entry by entry.",
        )
        expect_close(
            got, expected, on=on, what="A_bar", hint=hint, route=INV_ROUTE, rtol=RTOL, atol=ATOL
        )
    rng = np.random.default_rng(53)
    A = _square_matrix(rng, 3)
    _expect_gradients(
        fresh_primitive(np.linalg.inv, student, "inv"),
        A,
        on=f"grad through an inverse primitive with your rule, A = {format_value(A, 50)}",
        hint=IN_USE_HINT,
        route=INV_ROUTE,
    )
    return "right on 3 non-symmetric matrices, and gradients to order 2 match."


# --- logdet_vjp --------------------------------------------------------------------------------

LOGDET_ROUTE = (
    "Jacobi's formula: d(det A) = det(A) tr(A^{-1} dA), so d log|det A| = tr(A^{-1} dA) "
    "(for either sign of det A). Then write tr(M dA) as an inner product <?, dA>: "
    "tr(M dA) = sum_ij M_ji dA_ij. Multiply by the incoming g."
)


@exercise_check(
    "logdet_vjp",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="anp.linalg.inv or anp.linalg.solve, transposes, and arithmetic",
        blocked=(
            *LIBRARY,
            f"{VJPS}.slogdet_vjp",
            f"{VJPS}.det_vjp",
            f"{VJPS}.cofactor_matrix",
            f"{JVPS}.slogdet_jvp",
        ),
        rules_of=(anp.linalg.slogdet_outputs, anp.linalg.det),
    ),
)
def logdet_vjp(student: Callable) -> str:
    """ans = log|det A|: d ans = tr(A^{-1} dA) = <A^{-T}, dA>, so A_bar = g A^{-T}."""
    cases = ((0, 3, 0.7, False), (1, 4, -1.3, True), (2, 2, 2.0, True))
    for seed, n, g, negative in cases:
        rng = np.random.default_rng(seed + 60)
        A = _square_matrix(rng, n)
        if (np.linalg.det(A) < 0) != negative:
            A[0] = -A[0]  # flips the sign of det A: the rule is for log|det A|, either sign
        sign, ans = np.linalg.slogdet(A)
        inverse = np.linalg.inv(A)
        expected = g * inverse.T
        on = (
            f"A of shape ({n}, {n}) with det A = {np.linalg.det(A):.4g}, "
            f"A = {format_value(A, 50)}, g = {g}"
        )
        got = call_student(
            student,
            g,
            ans,
            A,
            on=on,
            hint="the rule runs on ans = log|det A|, a number, and its adjoint g, a number.",
            route=LOGDET_ROUTE,
        )
        hint = _mistake(
            got,
            expected,
            [
                (
                    g * inverse,
                    "you have A^{-1} where its transpose belongs: the trace tr(M dA) pairs "
                    "M_ji with dA_ij.",
                ),
                (inverse.T, "g is missing: A_bar is the incoming g times the derivative."),
                (inverse, "g is missing, and A^{-1} should be transposed."),
                (
                    g * np.linalg.det(A) * inverse.T,
                    "that is the gradient of det A; the log divides by det A (chain rule).",
                ),
                (
                    -expected,
                    "your A_bar has the opposite sign"
                    + (
                        " here, where det A < 0: the sign of det A does not enter, since "
                        "log|det A| = log(-det A) there and the minus cancels."
                        if negative
                        else ": growing A along itself (dA = eps A) makes |det A| grow."
                    ),
                ),
                (
                    g / A,
                    "A_bar is not g divided by A entry by entry: a determinant mixes all "
                    "entries, and its derivative involves A^{-1}.",
                ),
                (
                    g * A.T,
                    "you used A where its inverse belongs.",
                ),
            ],
            "your A_bar does not satisfy <A_bar, dA> = g d log|det A| for small changes dA; "
            "compare it with the expected matrix entry by entry.",
        )
        expect_close(
            got,
            expected,
            on=on,
            what="A_bar",
            hint=hint,
            route=LOGDET_ROUTE,
            rtol=RTOL,
            atol=ATOL,
        )
    rng = np.random.default_rng(63)
    A = _square_matrix(rng, 3)
    if np.linalg.det(A) > 0:
        A[1] = -A[1]
    _expect_gradients(
        fresh_primitive(lambda A: np.linalg.slogdet(A)[1], student, "logdet"),
        A,
        on=f"grad through a log|det| primitive with your rule, A = {format_value(A, 50)}",
        hint=IN_USE_HINT,
        route=LOGDET_ROUTE,
    )
    return "right for positive and negative determinants, and gradients to order 2 match."


# --- lstsq_vjp ---------------------------------------------------------------------------------

LSTSQ_ROUTE = (
    "differentiate the normal equations A^T A x = A^T b in A and b: d(A^T) A x + A^T dA x + "
    "A^T A dx = d(A^T) b + A^T db, and collect the two d(A^T) terms with the residual "
    "r = b - A x. Then dL = <g, dx> = <z, A^T A dx> with z = (A^T A)^{-1} g (one solve), "
    "and read off what multiplies dA and db (<u, M w> = <u w^T, M>)."
)


def _lstsq_case(seed: int, m: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 70)
    return rng.standard_normal((m, n)), rng.standard_normal(m), rng.standard_normal(n)


def lstsq_adjoints(
    g: np.ndarray, x: np.ndarray, A: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(A_bar, b_bar) for x = argmin ||A x - b||^2, A tall with full column rank.

    From A^T A dx = dA^T r - A^T dA x + A^T db (r = b - A x) and
    z = (A^T A)^{-1} g: b_bar = A z, A_bar = r z^T - (A z) x^T.
    """
    z = np.linalg.solve(A.T @ A, g)
    r = b - A @ x
    b_bar = A @ z
    return np.outer(r, z) - np.outer(b_bar, x), b_bar


def _lstsq_pair(got: Any, expected: tuple[np.ndarray, np.ndarray], on: str) -> tuple[Any, Any]:
    """The student's (A_bar, b_bar); a pair in the wrong order is named as such."""
    A_bar, b_bar = expected
    wanted = f"a pair (A_bar, b_bar) of shapes {A_bar.shape} and {b_bar.shape}"
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(
            f"{on}: expected {wanted}, got {format_value(got)}",
            "your rule must give both adjoints, as a pair with the adjoint of A first.",
            LSTSQ_ROUTE,
        )
    first, second = got
    if np.shape(first) == b_bar.shape and np.shape(second) == A_bar.shape:
        both_right = matches(first, b_bar, rtol=RTOL, atol=ATOL) and matches(
            second, A_bar, rtol=RTOL, atol=ATOL
        )
        hint = (
            "your pair is in the wrong order: the first entry must be A_bar, the adjoint of "
            "A, and the second b_bar, the adjoint of b. "
            + (
                "Both of your adjoints are right; only their order is not."
                if both_right
                else "Put them in order; then the check can compare each with its expected value."
            )
        )
        raise CheckFailed(
            f"{on}: expected {wanted}, got a pair of shapes {np.shape(first)} and "
            f"{np.shape(second)}",
            hint,
        )
    return first, second


@exercise_check(
    "lstsq_vjp",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="anp.linalg.solve, matrix products, transposes, anp.outer and arithmetic",
        blocked=(
            *LIBRARY,
            f"{VJPS}.lstsq_vjp_a",
            f"{VJPS}.lstsq_vjp_b",
            f"{VJPS}.pinv_adjoint",
            f"{VJPS}.pinv_vjp",
            f"{VJPS}.solve_vjp",
            f"{VJPS}.solve_transposed",
            f"{JVPS}.lstsq_jvp_a",
            f"{JVPS}.lstsq_jvp_b",
            f"{JVPS}.pinv_tangent",
        ),
        rules_of=(anp.linalg.lstsq_outputs, anp.linalg.pinv, anp.linalg.solve, anp.linalg.inv),
    ),
)
def lstsq_vjp(student: Callable) -> str:
    """x = argmin ||A x - b||^2: b_bar = A z, A_bar = r z^T - b_bar x^T (see `lstsq_adjoints`)."""
    cases = ((0, 6, 3), (1, 9, 2), (2, 5, 4), (3, 4, 4))
    for seed, m, n in cases:
        A, b, g = _lstsq_case(seed, m, n)
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        A_bar, b_bar = lstsq_adjoints(g, x, A, b)
        r = b - A @ x
        z = np.linalg.solve(A.T @ A, g)
        shape = "square" if m == n else "tall"
        on = (
            f"{shape} A of shape ({m}, {n}), b = {format_value(b, 40)}, "
            f"ans = {format_value(x, 40)}, g = {format_value(g, 40)}"
        )
        got = call_student(
            student,
            g,
            x,
            A,
            b,
            on=on,
            hint=f"the rule runs on A ({m}, {n}), b ({m},), ans = x ({n},) and g ({n},).",
            route=LSTSQ_ROUTE,
        )
        got_A_bar, got_b_bar = _lstsq_pair(got, (A_bar, b_bar), on)

        hint = _mistake(
            got_b_bar,
            b_bar,
            [
                (
                    A @ g,
                    "your b_bar misses the factor (A^T A)^{-1}: x = (A^T A)^{-1} A^T b, "
                    "and both factors act on b.",
                ),
                (-b_bar, "your b_bar has the opposite sign: x grows with b."),
            ],
            "your b_bar does not satisfy <b_bar, db> = <g, dx> for small changes db; x depends "
            "on b linearly, through the normal equations.",
        )
        expect_close(
            got_b_bar,
            b_bar,
            on=on,
            what="b_bar",
            hint=hint,
            route=LSTSQ_ROUTE,
            rtol=RTOL,
            atol=ATOL,
        )

        hint = _mistake(
            got_A_bar,
            A_bar,
            [
                (
                    -np.outer(b_bar, x),
                    "your A_bar has only the term a square solve would have: it misses the "
                    "term from the residual r = b - A x, which is not zero for a tall A "
                    "(A^T also changes with A in the normal equations).",
                ),
                (
                    np.outer(r, z),
                    "your A_bar has only the residual's term: it misses the term from A x, "
                    "the part a square solve would also have.",
                ),
                (
                    np.outer(r, z) + np.outer(b_bar, x),
                    "the term with x has the wrong sign: b enters the fit with +, A x with -.",
                ),
                (
                    -A_bar,
                    "your A_bar has the opposite sign throughout.",
                ),
                (
                    A_bar.T,
                    f"your A_bar is the transpose of the right one: it must have A's shape "
                    f"({m}, {n}).",
                ),
                (
                    np.outer(r, g) - np.outer(b_bar, x),
                    "the residual's term uses g where (A^T A)^{-1} g belongs: that factor "
                    "comes with every term of dx.",
                ),
            ],
            "your A_bar does not satisfy <A_bar, dA> = <g, dx> for small changes dA.",
        )
        expect_close(
            got_A_bar,
            A_bar,
            on=on,
            what="A_bar",
            hint=hint,
            route=LSTSQ_ROUTE,
            rtol=RTOL,
            atol=ATOL,
        )

    A, b, _ = _lstsq_case(4, 6, 3)
    fun = fresh_primitive(
        lambda A, b: np.linalg.lstsq(A, b, rcond=None)[0],
        lambda g, ans, A, b: student(g, ans, A, b)[0],
        "lstsq",
    )
    defvjp(fun, lambda g, ans, A, b: student(g, ans, A, b)[1], argnums=[1])
    _expect_gradients(
        lambda pair: fun(pair[0], pair[1]),
        (A, b),
        on="grad through a least-squares primitive with your rule, A of shape (6, 3)",
        hint=IN_USE_HINT,
        route=LSTSQ_ROUTE,
    )
    return f"A_bar and b_bar right on {len(cases)} matrices, and gradients to order 2 match."


# --- spectral_norm_vjp -------------------------------------------------------------------------

SPECTRAL_ROUTE = (
    "the spectral norm is sigma_1, the largest singular value, a function of the singular "
    "values alone: use the singular-value rule of the lecture, W_bar = U diag(sigma_bar) V^T, "
    "with the sigma_bar that this function sends back (g for sigma_1, and what for the others?). "
    "NumPy's svd lists singular values largest first; its third output is V^T, not V."
)


@exercise_check(
    "spectral_norm_vjp",
    sheet=SHEET,
    shortcuts=Shortcuts(
        allowed="anp.linalg.svd, anp.outer, indexing, transposes and arithmetic",
        blocked=(
            *LIBRARY,
            f"{VJPS}.norm_vjp",
            f"{VJPS}.norm_derivative",
            f"{VJPS}._matrix_norm_derivative",
            f"{VJPS}.singular_value_adjoint",
            f"{VJPS}.svd_vjp",
            f"{VJPS}.eigvalsh_vjp",
            f"{JVPS}.norm_jvp",
            f"{JVPS}.singular_value_tangent",
        ),
        rules_of=(anp.linalg.norm, anp.linalg.svd_outputs, anp.linalg.eigvalsh),
    ),
)
def spectral_norm_vjp(student: Callable) -> str:
    """ans = sigma_1(W): d sigma_1 = u_1^T dW v_1, so W_bar = g u_1 v_1^T."""
    cases = ((0, (3, 3), 0.8), (1, (5, 3), -1.7), (2, (2, 4), 2.5))
    for seed, shape, g in cases:
        rng = np.random.default_rng(seed + 80)
        W = rng.standard_normal(shape)
        U, s, Vt = np.linalg.svd(W, full_matrices=False)
        ans = s[0]
        expected = g * np.outer(U[:, 0], Vt[0])
        on = (
            f"W of shape {shape}, singular values {format_value(s, 40)}, "
            f"W = {format_value(W, 50)}, g = {g}"
        )
        got = call_student(
            student,
            g,
            ans,
            W,
            on=on,
            hint=f"the rule runs on W {shape}, ans = its largest singular value and g, a number.",
            route=SPECTRAL_ROUTE,
        )
        candidates = [
            (
                g * np.outer(U[:, -1], Vt[-1]),
                "you used the singular vectors of the smallest singular value: NumPy lists "
                "them largest first, and the spectral norm is the largest.",
            ),
            (
                np.outer(U[:, 0], Vt[0]),
                "g is missing: W_bar is the incoming g times the derivative of sigma_1.",
            ),
            (
                g * U @ Vt,
                "that is the gradient of the sum of all singular values (the nuclear norm); "
                "the spectral norm is the largest one alone, so the others get no adjoint.",
            ),
            (
                g * W / np.linalg.norm(W),
                "that is the gradient of the Frobenius norm, sqrt(sum of sigma_i^2); the "
                "spectral norm is sigma_1 alone.",
            ),
            (
                g * W / ans,
                "W / sigma_1 is not the gradient: only the first singular pair counts, "
                "and W holds all of them.",
            ),
            (
                g * ans * np.outer(U[:, 0], Vt[0]),
                "do not multiply by sigma_1: d sigma_1 is linear in dW with the singular "
                "vectors alone as its coefficients.",
            ),
        ]
        if shape[0] == shape[1]:
            candidates.append(
                (
                    g * np.outer(U[:, 0], Vt[:, 0]),
                    "you took the first column of NumPy's third output, which is V^T: "
                    "v_1 is its first row.",
                )
            )
        hint = _mistake(
            got,
            expected,
            candidates,
            "your W_bar does not satisfy <W_bar, dW> = g d sigma_1 for small changes dW.",
        )
        expect_close(
            got,
            expected,
            on=on,
            what="W_bar",
            hint=hint,
            route=SPECTRAL_ROUTE,
            rtol=RTOL,
            atol=ATOL,
        )
    rng = np.random.default_rng(83)
    W = rng.standard_normal((4, 3))
    _expect_gradients(
        fresh_primitive(lambda W: np.linalg.norm(W, 2), student, "spectral_norm"),
        W,
        on=f"grad through a spectral-norm primitive with your rule, W = {format_value(W, 50)}",
        hint=IN_USE_HINT,
        route=SPECTRAL_ROUTE,
    )
    return "right for square, tall and wide W, and gradients to order 2 match."


__all__ = ["lstsq_adjoints"]
