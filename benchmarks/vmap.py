"""Batched against looped: full Jacobians and per-example gradients, with JAX beside them.

    python benchmarks/vmap.py [--rounds 7] [--no-jax]

Prints two tables, every number a ratio measured in this run:
1. the full Jacobian of f(x) = A x and of f(x) = tanh(A x), n = 100 inputs,
   m = 10, 100, 1000 outputs, by jacfwd and jacrev looped (one pass per
   column or row, batched=False) and batched (one pass through vmap), and
   their ratio looped / batched. Targets: batched jacfwd at least 5x faster
   than looped at m = 1000, and never slower than 1.2x looped.
2. per-example gradients of a two-layer tanh network (batch 256) by
   vmap(grad), by a Python loop of grads, and one batched gradient of the
   mean loss. Targets: vmap(grad) at least 10x faster than the loop and
   within 3x of the one batched gradient. The per-example gradients hold
   B n^2 numbers where the batched gradient holds n^2, so the table also
   times the per-example outer products x_b d_b^T alone (one einsum, the
   floor for any per-example method) and states each row's verdict.

Where JAX is installed (`pip install -e ".[bench]"`), each table has JAX's
jacfwd, jacrev and vmap(grad) beside ours, run eagerly (no jit), as the
time of JAX over ours. Timings alternate the two sides of each ratio
(A, B, A, B, ...); each sample is the best of a few calls and each ratio the
median of the paired ratios. BLAS is pinned to one thread, float64 throughout.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import argparse  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
from jacobian import paired  # noqa: E402  (benchmarks/jacobian.py: alternating, paired samples)

import autodidact.numpy as anp  # noqa: E402
from autodidact import grad, jacfwd, jacrev, vmap  # noqa: E402
from autodidact.teaching.jacobian_timing import FUNCTIONS, make_function  # noqa: E402

N_INPUTS = 100
MS = (10, 100, 1000)
BATCH = 256


def load_jax() -> tuple | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def jax_function(jnp, kind: str, A: np.ndarray) -> Callable:
    A = jnp.asarray(A)
    if kind == "linear":
        return lambda x: jnp.dot(A, x)
    return lambda x: jnp.tanh(jnp.dot(A, x))


def blocked(fun: Callable) -> Callable:
    """fun with JAX's asynchronous result waited for, so the timing covers the work."""
    return lambda *args: np.asarray(fun(*args))


def jacobian_table(rounds: int, jax_pair: tuple | None) -> bool:
    print(f"\n1. Full Jacobian of f: R^{N_INPUTS} -> R^m, looped against batched (vmap)")
    header = (
        f"{'f(x)':<10} {'m':>5} {'jacfwd loop':>12} {'batched':>9} {'ratio':>6}   "
        f"{'jacrev loop':>12} {'batched':>9} {'ratio':>6}"
    )
    if jax_pair:
        header += f"   {'JAX fwd/ours':>12} {'JAX rev/ours':>12}"
    print(header)
    print("-" * len(header))
    met = True
    for kind in FUNCTIONS:
        for m in MS:
            rng = np.random.default_rng([0, m])
            A = rng.standard_normal((m, N_INPUTS)) / np.sqrt(N_INPUTS)
            x = rng.standard_normal(N_INPUTS)
            f = make_function(kind, A)
            exact = jacfwd(f, batched=False)(x)
            for jacobian in (jacfwd(f), jacrev(f), jacrev(f, batched=False)):
                assert np.allclose(jacobian(x), exact, rtol=1e-12, atol=1e-12)
            fwd_loop, fwd_batched, fwd_ratio = paired(
                partial(jacfwd(f, batched=False), x), partial(jacfwd(f), x), rounds
            )
            rev_loop, rev_batched, rev_ratio = paired(
                partial(jacrev(f, batched=False), x), partial(jacrev(f), x), rounds
            )
            line = (
                f"{FUNCTIONS[kind]:<10} {m:>5} {1e3 * fwd_loop:>9.2f} ms "
                f"{1e3 * fwd_batched:>6.2f} ms {fwd_ratio:>6.1f}   "
                f"{1e3 * rev_loop:>9.2f} ms {1e3 * rev_batched:>6.2f} ms {rev_ratio:>6.1f}"
            )
            if jax_pair:
                jax, jnp = jax_pair
                g = jax_function(jnp, kind, A)
                jax_fwd, jax_rev = blocked(jax.jacfwd(g)), blocked(jax.jacrev(g))
                assert np.allclose(jax_fwd(x), exact) and np.allclose(jax_rev(x), exact)
                *_, fwd_jax = paired(partial(jax_fwd, x), partial(jacfwd(f), x), rounds)
                *_, rev_jax = paired(partial(jax_rev, x), partial(jacrev(f), x), rounds)
                line += f"   {fwd_jax:>12.2f} {rev_jax:>12.2f}"
            print(line)
            met &= fwd_ratio >= 1 / 1.2 and (m != 1000 or fwd_ratio >= 5)
    print(
        "Targets: batched jacfwd >= 5x faster than looped at m = 1000 and never slower than "
        f"1.2x looped: {'met' if met else 'MISSED'}"
    )
    return met


def network(np_module, n: int):
    """A two-layer tanh network's squared error on one example, and seeded data."""
    rng = np.random.default_rng(n)
    params = (rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 1)) / np.sqrt(n))
    inputs, targets = rng.standard_normal((BATCH, n)), rng.standard_normal((BATCH, 1))

    def loss(params, x, y):
        W1, W2 = params
        out = np_module.tanh(np_module.dot(np_module.tanh(np_module.dot(x, W1)), W2))
        return np_module.sum((out - y) ** 2)

    def mean_loss(params):
        W1, W2 = params
        out = np_module.tanh(np_module.dot(np_module.tanh(np_module.dot(inputs, W1)), W2))
        return np_module.mean(np_module.sum((out - targets) ** 2, axis=1))

    return loss, mean_loss, params, inputs, targets


def per_example_table(rounds: int, jax_pair: tuple | None) -> bool:
    print(f"\n2. Per-example gradients of a two-layer tanh net, batch {BATCH}, n inputs = n hidden")
    header = (
        f"{'n':>5} {'vmap(grad)':>11} {'loop':>9} {'loop/vmap':>10}   "
        f"{'batched grad':>12} {'vmap/batched':>12}   {'floor':>8} {'vmap/floor':>10}"
    )
    if jax_pair:
        header += f"   {'JAX vmap(grad)/ours':>19}"
    print(header)
    print("-" * len(header))
    met, verdicts = True, []
    for n in (10, 100):
        loss, mean_loss, params, inputs, targets = network(anp, n)
        per_example = vmap(grad(loss), in_axes=(None, 0, 0))

        def loop(loss=loss, params=params, inputs=inputs, targets=targets):
            return [grad(loss)(params, x, y) for x, y in zip(inputs, targets)]

        got = per_example(params, inputs, targets)
        looped = loop()
        for k in range(2):
            assert np.allclose(got[k], np.stack([g[k] for g in looped]), rtol=1e-12, atol=1e-14)
        assert np.allclose(grad(mean_loss)(params)[0], got[0].mean(axis=0))
        t_vmap, t_loop, loop_ratio = paired(
            partial(per_example, params, inputs, targets), loop, rounds
        )
        _, t_batched, batched_ratio = paired(
            partial(per_example, params, inputs, targets), partial(grad(mean_loss), params), rounds
        )
        deltas = np.random.default_rng(1).standard_normal((BATCH, n))
        floor = partial(np.einsum, "bi,bj->bij", inputs, deltas)  # the W1 gradients alone
        _, t_floor, floor_ratio = paired(
            partial(per_example, params, inputs, targets), floor, rounds
        )
        line = (
            f"{n:>5} {1e3 * t_vmap:>8.2f} ms {1e3 * t_loop:>6.1f} ms {1 / loop_ratio:>10.1f}   "
            f"{1e3 * t_batched:>9.2f} ms {batched_ratio:>12.2f}   {1e3 * t_floor:>5.2f} ms "
            f"{floor_ratio:>10.2f}"
        )
        if jax_pair:
            jax, jnp = jax_pair
            jax_loss = network(jnp, n)[0]
            jax_per_example = blocked_tree(jax.vmap(jax.grad(jax_loss), in_axes=(None, 0, 0)))
            jax_params = tuple(jnp.asarray(p) for p in params)
            assert np.allclose(jax_per_example(jax_params, inputs, targets)[0], got[0])
            *_, jax_ratio = paired(
                partial(jax_per_example, jax_params, inputs, targets),
                partial(per_example, params, inputs, targets),
                rounds,
            )
            line += f"   {jax_ratio:>19.2f}"
        row_met = 1 / loop_ratio >= 10 and batched_ratio <= 3
        print(line + f"   {'met' if row_met else 'MISSED'}")
        verdicts.append(f"n = {n}: {'met' if row_met else 'MISSED'}")
        met &= row_met
    print(
        "Targets: vmap(grad) >= 10x faster than the loop and within 3x of the batched gradient: "
        + ", ".join(verdicts)
    )
    return met


def blocked_tree(fun: Callable) -> Callable:
    return lambda *args: [np.asarray(leaf) for leaf in fun(*args)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="paired samples per ratio")
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out even if installed")
    args = parser.parse_args()
    jax_pair = None if args.no_jax else load_jax()
    if jax_pair is None and not args.no_jax:
        print('JAX is not installed (pip install -e ".[bench]"): no JAX column.')
    jacobians_met = jacobian_table(args.rounds, jax_pair)
    per_example_met = per_example_table(args.rounds, jax_pair)
    print(
        f"\nSummary: Jacobian targets {'met' if jacobians_met else 'MISSED'}; "
        f"per-example gradient targets {'met' if per_example_met else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
