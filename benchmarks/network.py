"""Networks wider than the chain: the engine against hand-written numpy.

Run with ``python -m benchmarks.network``.  Two figures, each a ratio:

(a) 1-8-8-1 (tanh), one sample, many steps, history recorded:
    ``NetworkTrainer.run(N)`` against a hand-written numpy loop of the same
    arithmetic that records the same rows (parameters, loss, gradient) into a
    preallocated array.  Target ≤ 1.5.
(b) 2-8-8-1 (tanh), one full-batch step on 10⁴ samples: ``NetworkTrainer.run(1)``
    against a hand-written numpy step.  Target ≤ 1.5.

PyTorch autograd is the peer a learner would otherwise use; its row is
measured only where torch is installed (it is not a dependency).
"""

import numpy as np

from engine import Spec
from engine.init import initialize_network
from engine.network_training import NetworkTrainer

from benchmarks import table
from benchmarks.engine import Measurement, _agreement, _timed

SINGLE_STEPS = 20_000
SINGLE_ROUNDS = 5
BATCH_SAMPLES = 10_000
BATCH_ROUNDS = 9
ALPHA = 0.01
TARGET = 1.5


def _arrays(layers, seed=0):
    params = initialize_network("xavier", seed, layers)
    return [params[f"{k}{l}"] for l in range(1, len(layers)) for k in "Wb"]


def numpy_loop(steps, W1, b1, W2, b2, W3, b3, x, y, alpha, out):
    """``steps`` gradient-descent steps of a tanh-tanh-linear network on the
    columns x, y, each state's row (parameters, loss, gradient) written to ``out``."""
    n = x.shape[1]
    for k in range(steps):
        h1 = np.tanh(W1 @ x + b1)
        h2 = np.tanh(W2 @ h1 + b2)
        err = W3 @ h2 + b3 - y
        loss = float(np.sum(err * err)) / n
        d3 = 2 * err
        gW3, gb3 = d3 @ h2.T / n, d3.sum(axis=1, keepdims=True) / n
        d2 = (W3.T @ d3) * (1 - h2 * h2)
        gW2, gb2 = d2 @ h1.T / n, d2.sum(axis=1, keepdims=True) / n
        d1 = (W2.T @ d2) * (1 - h1 * h1)
        gW1, gb1 = d1 @ x.T / n, d1.sum(axis=1, keepdims=True) / n
        out[k] = np.concatenate([a.ravel() for a in (W1, b1, W2, b2, W3, b3)] + [[loss]]
                                + [g.ravel() for g in (gW1, gb1, gW2, gb2, gW3, gb3)])
        W1, b1, W2, b2, W3, b3 = (W1 - alpha * gW1, b1 - alpha * gb1, W2 - alpha * gW2,
                                  b2 - alpha * gb2, W3 - alpha * gW3, b3 - alpha * gb3)
    return W1, b1, W2, b2, W3, b3


def _params(arrays):
    return dict(zip(("W1", "b1", "W2", "b2", "W3", "b3"), arrays))


def measure_single(steps=SINGLE_STEPS, rounds=SINGLE_ROUNDS):
    layers = (1, 8, 8, 1)
    spec = Spec(layers=layers)
    start = _arrays(layers)
    x, y = np.array([[0.5]]), np.array([[0.3]])
    trainer = NetworkTrainer(spec, _params(start), x.T, y.T, ALPHA)
    trainer.run(200)
    out = np.empty((max(steps, 200) + 1, len(trainer.row)))
    got = np.concatenate([a.ravel() for a in trainer.params(200).values()])
    expected = np.concatenate([a.ravel() for a in numpy_loop(200, *start, x, y, ALPHA, out)])
    check = _agreement(got, expected, 1e-9)
    ours, reference = [], []
    for i in range(rounds):
        trainer = NetworkTrainer(spec, _params(start), x.T, y.T, ALPHA)
        pair = [(ours, lambda: trainer.run(steps)),
                (reference, lambda: numpy_loop(steps, *start, x, y, ALPHA, out))]
        for samples, call in (pair if i % 2 == 0 else pair[::-1]):
            samples.append(_timed(call) / steps * 1e6)
    return Measurement(name="1-8-8-1 training step, 1 sample, history recorded", unit="µs/step", scale=1e6,
                       target=TARGET, ours=ours, reference=reference, check=check)


TARGET_TORCH = 0.2   # at least 5× faster than PyTorch autograd


def torch_loop(steps, start, x, y, alpha, out):
    """The same steps with PyTorch autograd in float64 on the CPU, each state's
    row (parameters, loss, gradient) recorded, as a learner would write it."""
    import torch
    params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in start]
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    n = x.shape[1]
    for k in range(steps):
        W1, b1, W2, b2, W3, b3 = params
        err = W3 @ torch.tanh(W2 @ torch.tanh(W1 @ xt + b1) + b2) + b3 - yt
        loss = (err * err).sum() / n
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            out[k] = torch.cat([p.reshape(-1) for p in params] + [loss.reshape(1)]
                               + [p.grad.reshape(-1) for p in params]).numpy()
            for p in params:
                p -= alpha * p.grad
    return [p.detach().numpy() for p in params]


def measure_torch(steps=SINGLE_STEPS // 4, rounds=SINGLE_ROUNDS):
    """1-8-8-1, one sample: NetworkTrainer against PyTorch autograd; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    layers = (1, 8, 8, 1)
    spec = Spec(layers=layers)
    start = _arrays(layers)
    x, y = np.array([[0.5]]), np.array([[0.3]])
    out = np.empty((max(steps, 200) + 1, 1 + 2 * sum(a.size for a in start)))
    trainer = NetworkTrainer(spec, _params(start), x.T, y.T, ALPHA)
    trainer.run(200)
    got = np.concatenate([a.ravel() for a in trainer.params(200).values()])
    check = _agreement(got, np.concatenate([a.ravel() for a in torch_loop(200, start, x, y, ALPHA, out)]), 1e-9)
    ours, reference = [], []
    for i in range(rounds):
        trainer = NetworkTrainer(spec, _params(start), x.T, y.T, ALPHA)
        pair = [(ours, lambda: trainer.run(steps)), (reference, lambda: torch_loop(steps, start, x, y, ALPHA, out))]
        for samples, call in (pair if i % 2 == 0 else pair[::-1]):
            samples.append(_timed(call) / steps * 1e6)
    return Measurement(name="1-8-8-1 training step, 1 sample (reference: PyTorch autograd, float64)",
                       unit="µs/step", scale=1e6, target=TARGET_TORCH, ours=ours, reference=reference, check=check)


def measure_batch(samples=BATCH_SAMPLES, rounds=BATCH_ROUNDS):
    layers = (2, 8, 8, 1)
    spec = Spec(layers=layers)
    start = _arrays(layers)
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, (samples, 2))
    Y = np.sin(X[:, :1]) * np.cos(X[:, 1:])
    trainer = NetworkTrainer(spec, _params(start), X, Y, ALPHA)
    out = np.empty((1, len(trainer.row)))
    trainer.run(1)
    got = np.concatenate([a.ravel() for a in trainer.params(1).values()])
    expected = np.concatenate([a.ravel() for a in numpy_loop(1, *start, X.T.copy(), Y.T.copy(), ALPHA, out)])
    check = _agreement(got, expected, 1e-9)
    xc, yc = X.T.copy(), Y.T.copy()
    ours, reference = [], []
    pair = [(ours, lambda: trainer.run(1)), (reference, lambda: numpy_loop(1, *start, xc, yc, ALPHA, out))]
    for i in range(rounds):
        for times, call in (pair if i % 2 == 0 else pair[::-1]):
            times.append(_timed(call) * 1e3)
    return Measurement(name=f"2-8-8-1 full-batch step, n = {samples:,}", unit="ms/step", scale=1e3,
                       target=TARGET, ours=ours, reference=reference, check=check)


TARGET_CURVE_UPDATES = 2000


def measure_curve(limit=20_000):
    """The curve-fitting example (1-8-8-1 tanh, Adam, y = sin x): updates until
    L < 0.01, a count (absolute target), or the limit if it never gets there."""
    from engine.examples import EXAMPLES, samples
    example = EXAMPLES["curve"]
    spec = Spec(**example["network"], **example["update"])
    x, y = samples("curve")
    trainer = NetworkTrainer(spec, initialize_network(*example["init"], spec.layers), x, y, example["alpha"])
    column, checked, updates = trainer.row.index("L"), 0, limit
    while checked < limit:
        below = np.flatnonzero(trainer.history.rows(checked, len(trainer))[:, column] < 0.01)
        if len(below):
            updates = checked + int(below[0])
            break
        checked = len(trainer)
        if trainer.run(100) is not None:
            break
    return {"name": "curve example (1-8-8-1 tanh, Adam, sine): updates until L < 0.01", "ours": float(updates),
            "reference": None, "unit": "updates", "ratio": None, "target": TARGET_CURVE_UPDATES,
            "met": updates <= TARGET_CURVE_UPDATES}


def measurements(**sizes):
    found = [measure_single(sizes.get("steps", SINGLE_STEPS), sizes.get("single_rounds", SINGLE_ROUNDS)),
             measure_torch(max(1, sizes.get("steps", SINGLE_STEPS) // 4), sizes.get("single_rounds", SINGLE_ROUNDS)),
             measure_batch(sizes.get("samples", BATCH_SAMPLES), sizes.get("batch_rounds", BATCH_ROUNDS))]
    return [m for m in found if m is not None]   # the torch row only where torch is installed


def results(**sizes):
    return [m.record() for m in measurements(**sizes)] + [measure_curve()]


def main():
    def measure():
        found = measurements()
        return found, [m.record() for m in found] + [measure_curve()]

    def details(found):
        lines = [f"{m.name}: {m.check}" for m in found]
        try:
            import torch  # noqa: F401
        except ImportError:
            lines.append("PyTorch is not installed: its row is skipped.")
        return lines
    return table.report("Network benchmark (numpy engine against hand-written numpy)", measure, details)


if __name__ == "__main__":
    raise SystemExit(main())
