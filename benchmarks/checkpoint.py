"""Checkpointing against the plain tape: peak memory and time of one gradient.

    python benchmarks/checkpoint.py [--steps 1000] [--size 100000] [--rounds 3]

A chain of N tanh steps, x <- tanh(1.001 x + 0.01), on a float64 vector of
10^5 entries. The plain tape keeps one array per step; splitting the chain
into about sqrt(N) checkpointed segments keeps about 2 sqrt(N) arrays and
runs the forward pass one extra time.

Targets, printed as ratios against the plain tape measured in the same run:
gradients equal to 1e-12, peak memory (tracemalloc) at most 0.1, time at
most 2.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import autodidact.numpy as anp  # noqa: E402
from autodidact import checkpoint, grad  # noqa: E402


def tanh_step(x):
    return anp.tanh(x * 1.001 + 0.01)


def run_steps(x, count: int):
    for _ in range(count):
        x = tanh_step(x)
    return x


def plain_loss(steps: int) -> Callable:
    return lambda x: anp.sum(run_steps(x, steps))


def checkpointed_loss(steps: int, segment_length: int) -> Callable:
    segment = checkpoint(lambda x: run_steps(x, segment_length))

    def loss(x):
        for _ in range(steps // segment_length):
            x = segment(x)
        return anp.sum(run_steps(x, steps % segment_length))

    return loss


def peak_memory(fun: Callable, x: np.ndarray) -> float:
    """Peak bytes allocated while computing grad(fun)(x), above what was allocated before."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    grad(fun)(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


def seconds(fun: Callable, x: np.ndarray) -> float:
    start = time.perf_counter()
    grad(fun)(x)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    x = np.random.default_rng(0).standard_normal(args.size)
    segment_length = round(math.sqrt(args.steps))
    plain = plain_loss(args.steps)
    checkpointed = checkpointed_loss(args.steps, segment_length)

    difference = float(np.max(np.abs(grad(plain)(x) - grad(checkpointed)(x))))
    memory_plain, memory_checkpointed = peak_memory(plain, x), peak_memory(checkpointed, x)
    time_ratios, plain_times, checkpointed_times = [], [], []
    for _ in range(args.rounds):  # alternate the two, quote the median of paired ratios
        plain_times.append(seconds(plain, x))
        checkpointed_times.append(seconds(checkpointed, x))
        time_ratios.append(checkpointed_times[-1] / plain_times[-1])

    memory_ratio = memory_checkpointed / memory_plain
    time_ratio = statistics.median(time_ratios)
    print(f"chain of {args.steps} tanh steps on {args.size} float64, segments of {segment_length}")
    print(f"{'':14} {'peak memory':>12} {'time':>9}")
    print(f"{'plain tape':14} {memory_plain / 2**20:9.1f} MiB {min(plain_times):8.3f}s")
    best_checkpointed = min(checkpointed_times)
    print(f"{'checkpointed':14} {memory_checkpointed / 2**20:9.1f} MiB {best_checkpointed:8.3f}s")
    print(f"{'ratio':14} {memory_ratio:12.3f} {time_ratio:9.2f}   (targets: <= 0.1, <= 2)")
    print(f"max |gradient difference| = {difference:.2e}   (target: <= 1e-12)")
    return {"memory_ratio": memory_ratio, "time_ratio": time_ratio, "difference": difference}


if __name__ == "__main__":
    main()
