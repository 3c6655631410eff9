"""Time the reference conv_layer on Problem 1(b)'s layer against a matmul of the same FLOPs.

The layer: a batch of B = 64 images 224 x 224 x 3, 96 kernels 11 x 11 x 3, stride 4, no padding,
so the output is (64, 54, 54, 96). As a matrix product that is (B*54*54, 363) @ (363, 96), i.e.
2 * B * 54 * 54 * 96 * 11 * 11 * 3 flops; the baseline times exactly that np.matmul on
pre-built operands. Usage: python bench/conv.py [--batch B] [--repeats N]. The last line of
the output is "conv_layer/matmul: R".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clean clone

from solutions.conv import conv_layer  # noqa: E402

SIZE, CHANNELS, KERNELS, KERNEL_SIZE, STRIDE = 224, 3, 96, 11, 4


def median_seconds(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each function over `repeats` calls, after one warm-up call each.

    The calls are interleaved (a, b, a, b, ...) so that load from other processes on the
    machine slows both sides alike instead of skewing the ratio.
    """
    times: dict[str, list[float]] = {name: [] for name in functions}
    for function in functions.values():
        function()
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64, help="batch size B (default 64)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (default 5)")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.repeats < 1:
        parser.error("--batch and --repeats must be at least 1")

    rng = np.random.default_rng(0)
    images = rng.random((args.batch, SIZE, SIZE, CHANNELS))
    kernels = rng.standard_normal((KERNELS, KERNEL_SIZE, KERNEL_SIZE, CHANNELS))
    bias = rng.standard_normal(KERNELS)
    out_size = (SIZE - KERNEL_SIZE) // STRIDE + 1
    patch = KERNEL_SIZE * KERNEL_SIZE * CHANNELS
    rows = args.batch * out_size * out_size
    a = rng.standard_normal((rows, patch))
    b = rng.standard_normal((patch, KERNELS))
    gflop = 2 * rows * patch * KERNELS / 1e9

    shape = conv_layer(images, kernels, bias, stride=STRIDE).shape
    medians = median_seconds(
        {
            "conv_layer": lambda: conv_layer(images, kernels, bias, stride=STRIDE),
            "matmul": lambda: np.matmul(a, b),
        },
        args.repeats,
    )
    conv_time, matmul_time = medians["conv_layer"], medians["matmul"]

    print(f"layer: {args.batch} x {SIZE}x{SIZE}x{CHANNELS} images, {KERNELS} kernels ", end="")
    print(f"{KERNEL_SIZE}x{KERNEL_SIZE}, stride {STRIDE} -> {shape}; {gflop:.1f} GFLOP")
    print(f"conv_layer: {conv_time * 1e3:8.1f} ms  (median of {args.repeats})")
    print(f"matmul:     {matmul_time * 1e3:8.1f} ms  ({rows}, {patch}) @ ({patch}, {KERNELS})")
    print(f"conv_layer/matmul: {conv_time / matmul_time:.2f}")


if __name__ == "__main__":
    main()
