"""python -m benchmarks.landscape: one 200×200 loss landscape, one sample
(target: under 100 ms, vectorized)."""

import statistics
import time

from engine.landscape import grid
from engine.limits import DEFAULTS, PARAMS

from benchmarks import table

TARGET_MS = 100.0
ROUNDS = 15


def results():
    params = {p: DEFAULTS[p] for p in PARAMS}
    grid(params, [2.0], [4.0], "W1", "W2", (-2.0, 3.0), (-2.0, 3.0))   # warm-up: compiles the function
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        grid(params, [2.0], [4.0], "W1", "W2", (-2.0, 3.0), (-2.0, 3.0))
        times.append((time.perf_counter() - start) * 1e3)
    median = statistics.median(times)
    return [table.absolute("loss landscape, 200×200 grid, 1 sample", median, "ms", TARGET_MS)]


def main():
    table.print_absolute(results())


if __name__ == "__main__":
    main()
