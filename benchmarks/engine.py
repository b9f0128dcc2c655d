"""Engine benchmark: the training loops against the practical limit of each.

Run with ``python -m benchmarks.engine`` from the project root (as a module:
run as a script, this file would shadow the ``engine`` package).  Two figures, each a ratio:

(a) one sample, many steps, history recorded: ``Trainer.run(N)`` against a
    minimal hand-written pure-Python loop of the same arithmetic that records
    nothing (the practical limit of a per-step Python loop).  Target ≤ 2.0.
(b) one full-batch step at a million samples: ``Trainer.run(1)`` against a
    bare numpy expression of the same gradients and updates.  Target ≤ 1.2.

The two contenders of a figure are interleaved round by round (the order
alternating) and each figure is the median of its rounds, so drift of the
machine hits both alike.  The garbage collector is off inside a timed region,
as :mod:`timeit` does.  This is a measurement, not a test: the exit status
is 0 even when a target is missed; a missed target is printed as MISSED.
"""

import gc
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

from engine.limits import DEFAULTS, PARAMS
from engine.training import Trainer

from benchmarks import table

SINGLE_STEPS = 300_000   # steps of (a) per round
SINGLE_ROUNDS = 7
BATCH_SAMPLES = 1_000_000
BATCH_ROUNDS = 9
ALPHA = 0.01             # small enough that neither figure diverges
SINGLE_X, SINGLE_Y = DEFAULTS["x"], DEFAULTS["y"]

TARGET_SINGLE = 2.0
TARGET_BATCH = 1.2


# --- the references ------------------------------------------------------------

def bare_loop(n, W1, b1, W2, b2, W3, b3, x, y, alpha):
    """``n`` gradient-descent steps on one sample, nothing recorded."""
    tanh = math.tanh
    for _ in range(n):
        z1 = W1 * x + b1
        h1 = tanh(z1)
        z2 = W2 * h1 + b2
        h2 = tanh(z2)
        yhat = W3 * h2 + b3
        d3 = 2 * (yhat - y)
        d2 = d3 * W3 * (1 - h2 * h2)
        d1 = d2 * W2 * (1 - h1 * h1)
        W3 -= alpha * d3 * h2
        b3 -= alpha * d3
        W2 -= alpha * d2 * h1
        b2 -= alpha * d2
        W1 -= alpha * d1 * x
        b1 -= alpha * d1
    return W1, b1, W2, b2, W3, b3


def bare_batch_step(W1, b1, W2, b2, W3, b3, x, y, alpha):
    """One full-batch gradient-descent step in plain numpy."""
    z1 = W1 * x + b1
    h1 = np.tanh(z1)
    z2 = W2 * h1 + b2
    h2 = np.tanh(z2)
    yhat = W3 * h2 + b3
    d3 = 2 * (yhat - y)
    d2 = d3 * W3 * (1 - h2 ** 2)
    d1 = d2 * W2 * (1 - h1 ** 2)
    gW3 = np.mean(d3 * h2)
    gb3 = np.mean(d3)
    gW2 = np.mean(d2 * h1)
    gb2 = np.mean(d2)
    gW1 = np.mean(d1 * x)
    gb1 = np.mean(d1)
    W1 -= alpha * gW1
    b1 -= alpha * gb1
    W2 -= alpha * gW2
    b2 -= alpha * gb2
    W3 -= alpha * gW3
    b3 -= alpha * gb3
    return W1, b1, W2, b2, W3, b3


# --- timing --------------------------------------------------------------------

def _timed(call):
    """Seconds one call of ``call()`` takes, the garbage collector off."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        call()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


@dataclass
class Measurement:
    name: str
    unit: str
    scale: float          # seconds -> unit
    target: float
    ours: list            # one time a round, in ``unit``
    reference: list
    check: str            # what the agreement check found

    @property
    def ratio(self):
        return statistics.median(self.ours) / statistics.median(self.reference)

    @property
    def met(self):
        return self.ratio <= self.target

    def record(self):
        return {
            "name": self.name, "ours": statistics.median(self.ours),
            "reference": statistics.median(self.reference), "unit": self.unit,
            "ratio": self.ratio, "target": self.target, "met": self.met,
        }


def _start():
    return [float(DEFAULTS[p]) for p in PARAMS]


def _agreement(ours, reference, rtol):
    ours, reference = np.asarray(ours, float), np.asarray(reference, float)
    worst = float(np.max(np.abs(ours - reference) / np.maximum(np.abs(reference), 1e-300)))
    verdict = "agree" if worst <= rtol else "DISAGREE"
    return f"parameters {verdict} (largest relative difference {worst:.1e}, tolerance {rtol:.0e})"


def measure_single(steps=SINGLE_STEPS, rounds=SINGLE_ROUNDS):
    """(a): µs per step of ``Trainer.run(steps)`` on one sample against :func:`bare_loop`."""
    start = _start()
    # Warm up both, and check they compute the same trajectory.
    trainer = Trainer(DEFAULTS, SINGLE_X, SINGLE_Y, ALPHA)
    warm = min(steps, 10_000)
    if trainer.run(warm) is not None:
        raise RuntimeError(f"the benchmark's training diverged: {trainer.divergence.message}")
    expected = bare_loop(warm, *start, SINGLE_X, SINGLE_Y, ALPHA)
    got = [trainer.params()[p] for p in PARAMS]
    check = _agreement(got, expected, 1e-9)
    del trainer

    ours, reference = [], []
    for i in range(rounds):
        trainer = Trainer(DEFAULTS, SINGLE_X, SINGLE_Y, ALPHA)  # built outside the timing

        def run_ours():
            trainer.run(steps)

        def run_reference():
            bare_loop(steps, *start, SINGLE_X, SINGLE_Y, ALPHA)

        pair = [(ours, run_ours), (reference, run_reference)]
        for samples, call in (pair if i % 2 == 0 else pair[::-1]):
            samples.append(_timed(call) / steps * 1e6)
        if trainer.divergence is not None or len(trainer) != steps + 1:
            raise RuntimeError("the benchmark's training did not record every step")
        del trainer  # frees its history before the next round builds one
    return Measurement(
        name="training step, 1 sample, history recorded", unit="µs/step", scale=1e6,
        target=TARGET_SINGLE, ours=ours, reference=reference, check=check)


def measure_batch(samples=BATCH_SAMPLES, rounds=BATCH_ROUNDS):
    """(b): ms of one ``Trainer.run(1)`` at ``samples`` samples against :func:`bare_batch_step`."""
    start = _start()
    x = np.linspace(-2.0, 2.0, samples)
    y = np.sin(x)
    trainer = Trainer(DEFAULTS, x, y, ALPHA)  # built outside the timing
    x, y = trainer.x, trainer.y               # the same arrays for both contenders
    # Warm up both, and check the first step agrees.
    trainer.run(1)
    got = [trainer.params(1)[p] for p in PARAMS]
    check = _agreement(got, bare_batch_step(*start, x, y, ALPHA), 1e-9)

    ours, reference = [], []

    def run_ours():
        trainer.run(1)

    def run_reference():
        bare_batch_step(*start, x, y, ALPHA)

    pair = [(ours, run_ours), (reference, run_reference)]
    for i in range(rounds):
        for times, call in (pair if i % 2 == 0 else pair[::-1]):
            times.append(_timed(call) * 1e3)
    if trainer.divergence is not None or len(trainer) != rounds + 2:
        raise RuntimeError("the benchmark's batch training did not record every step")
    return Measurement(
        name=f"full-batch step, n = {samples:,}", unit="ms/step", scale=1e3,
        target=TARGET_BATCH, ours=ours, reference=reference, check=check)


def measurements(**sizes):
    """Both measurements; ``sizes`` may override steps/rounds (for a quick run)."""
    return [
        measure_single(sizes.get("steps", SINGLE_STEPS), sizes.get("single_rounds", SINGLE_ROUNDS)),
        measure_batch(sizes.get("samples", BATCH_SAMPLES), sizes.get("batch_rounds", BATCH_ROUNDS)),
    ]


def results(**sizes):
    """One dict a figure: name, ours, reference, unit, ratio, target, met."""
    return [m.record() for m in measurements(**sizes)]


# --- report --------------------------------------------------------------------

def _processor():
    name = platform.processor()
    if not name or name == platform.machine():
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as f:
                for line in f:
                    if line.startswith("model name"):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
    return name or "unknown"


def _blas():
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode; this line is only informative
        return "unknown"


def machine():
    """Lines describing the machine the figures were taken on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    return [
        f"processor: {_processor()} ({platform.machine()})",
        f"CPUs: {os.cpu_count()} ({usable} usable)",
        f"Python: {platform.python_implementation()} {platform.python_version()}",
        f"numpy: {np.__version__}, BLAS: {_blas()}"
        + (f", OPENBLAS_CORETYPE={coretype}" if coretype else ""),
        f"system: {platform.system()} {platform.release()}",
    ]


def _number(value):
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _rows(records):
    for r in records:
        yield [r["name"], f"{_number(r['ours'])} {r['unit']}", f"{_number(r['reference'])} {r['unit']}",
               f"{r['ratio']:.2f}", f"≤ {r['target']:g}", "yes" if r["met"] else "no (MISSED)"]


HEADER = ["figure", "ours", "reference", "ratio", "target", "met"]


def text_table(records):
    return table.text_table(HEADER, _rows(records))


def markdown_table(records):
    return table.markdown_table(HEADER, _rows(records))


def main():
    began = time.perf_counter()
    print("Backprop Explorer engine benchmark")
    for line in machine():
        print("  " + line)
    print(flush=True)
    found = measurements()
    records = [m.record() for m in found]
    print(text_table(records))
    print()
    print("Rounds (median used; min … max):")
    references = {
        "µs/step": f"bare pure-Python loop, {SINGLE_STEPS:,} steps a round, nothing recorded",
        "ms/step": "bare numpy expression of the same gradients and updates",
    }
    for m in found:
        print(f"  {m.name}: ours {_number(min(m.ours))} … {_number(max(m.ours))}, "
              f"reference {_number(min(m.reference))} … {_number(max(m.reference))} {m.unit} "
              f"over {len(m.ours)} rounds; ratio of minimums "
              f"{min(m.ours) / min(m.reference):.2f}")
        print(f"    reference: {references[m.unit]}; {m.check}")
    print()
    print("Markdown:")
    print()
    print(markdown_table(records))
    print()
    print(table.summary(records, time.perf_counter() - began))
    return 0


if __name__ == "__main__":
    sys.exit(main())
