"""The engine against what a learner would otherwise use, on the same networks and data.

Run with ``python -m benchmarks.peers``.  Each figure is a ratio, ours over
the peer's time per update, the two interleaved round by round, medians:

- hand-written numpy at its best: preallocated buffers, ``out=`` ufuncs,
  ``np.tanh(h, out=h)``, ``np.dot``/``@`` (written here, once per network
  family), one full-batch update recording the same row (parameters, loss,
  gradient) as our history; target ≤ 1.25;
- the same over shuffled mini-batches of 32 of 10⁴ samples (each batch gathered
  with ``np.take(…, out=)``); target ≤ 1.5;
- PyTorch autograd (float64, CPU, 2 threads), full batch; target < 1 (faster);
- micrograd (the PyPI package: scalar autograd without tanh, so both run the
  ReLU chain x → relu(W₁x+b₁) → relu(W₂h₁+b₂) → W₃h₂+b₃), one sample; target < 1.

PyTorch and micrograd are optional (``pip install .[bench]``): without them
their rows are skipped with a note.
"""

import numpy as np

from engine import Spec
from engine.dataset import batch_indices
from engine.network_training import NetworkTrainer
from engine.training import Trainer

from benchmarks import table
from benchmarks.engine import Measurement, _timed
from benchmarks.network import _arrays, _params, torch_loop

ALPHA = 0.01
ROUNDS = 7
CHAIN_START = (0.5, 0.1, -0.8, 0.2, 1.1, 0.05)   # W1, b1, W2, b2, W3, b3
BATCH, MINIBATCH_SAMPLES, SHUFFLE = 32, 10_000, 7
TARGET_INPLACE, TARGET_MINIBATCH, TARGET_PEER = 1.25, 1.5, 1.0


def _agreement(ours, reference, rtol):
    """Normwise: a bias near 0 differs by a rounding of the larger values, not of itself."""
    ours, reference = np.ravel(np.asarray(ours, float)), np.ravel(np.asarray(reference, float))
    worst = float(np.max(np.abs(ours - reference)) / max(float(np.max(np.abs(reference))), 1e-300))
    verdict = "agree" if worst <= rtol else "DISAGREE"
    return f"parameters {verdict} (largest difference {worst:.1e} of the largest parameter, tolerance {rtol:.0e})"


def _import(name):
    try:
        return __import__(name)
    except ImportError:
        return None


# --- hand-written numpy with preallocated buffers ---------------------------------

def chain_step(p, x, y, alpha, bufs, row):
    """One full-batch update of the chain on (n,) samples, in place: ``p`` the six
    parameters (a list, updated), ``row`` gets the state's parameters, loss and gradient."""
    W1, b1, W2, b2, W3, b3 = p
    h1, h2, d = bufs
    n = x.shape[0]
    np.multiply(x, W1, out=h1); np.add(h1, b1, out=h1); np.tanh(h1, out=h1)
    np.multiply(h1, W2, out=h2); np.add(h2, b2, out=h2); np.tanh(h2, out=h2)
    np.multiply(h2, W3, out=d); np.add(d, b3, out=d); np.subtract(d, y, out=d)
    L = np.dot(d, d) / n
    np.multiply(d, 2.0, out=d)
    gW3, gb3 = np.dot(d, h2) / n, np.add.reduce(d) / n
    np.multiply(d, W3, out=d); np.multiply(h2, h2, out=h2); np.subtract(1.0, h2, out=h2); np.multiply(d, h2, out=d)
    gW2, gb2 = np.dot(d, h1) / n, np.add.reduce(d) / n
    np.multiply(d, W2, out=d); np.multiply(h1, h1, out=h1); np.subtract(1.0, h1, out=h1); np.multiply(d, h1, out=d)
    gW1, gb1 = np.dot(d, x) / n, np.add.reduce(d) / n
    grads = (gW1, gb1, gW2, gb2, gW3, gb3)
    row[:] = (*p, L, *grads)
    p[:] = [v - alpha * g for v, g in zip(p, grads)]


def network_step(p, x, y, alpha, bufs, row):
    """One full-batch update of a tanh-tanh-linear network on columns x (k, n), in place."""
    W1, b1, W2, b2, W3, b3 = p
    h1, h2, d3, d2, d1 = bufs
    n = x.shape[1]
    np.matmul(W1, x, out=h1); np.add(h1, b1, out=h1); np.tanh(h1, out=h1)
    np.matmul(W2, h1, out=h2); np.add(h2, b2, out=h2); np.tanh(h2, out=h2)
    np.matmul(W3, h2, out=d3); np.add(d3, b3, out=d3); np.subtract(d3, y, out=d3)
    L = np.vdot(d3, d3) / n
    np.multiply(d3, 2.0, out=d3)
    gW3, gb3 = d3 @ h2.T / n, d3.sum(axis=1, keepdims=True) / n
    np.matmul(W3.T, d3, out=d2); np.multiply(h2, h2, out=h2); np.subtract(1.0, h2, out=h2); np.multiply(d2, h2, out=d2)
    gW2, gb2 = d2 @ h1.T / n, d2.sum(axis=1, keepdims=True) / n
    np.matmul(W2.T, d2, out=d1); np.multiply(h1, h1, out=h1); np.subtract(1.0, h1, out=h1); np.multiply(d1, h1, out=d1)
    gW1, gb1 = d1 @ x.T / n, d1.sum(axis=1, keepdims=True) / n
    grads = (gW1, gb1, gW2, gb2, gW3, gb3)
    row[:] = np.concatenate([np.ravel(a) for a in (*p, L, *grads)])
    for v, g in zip(p, grads):
        v -= alpha * g


def chain_buffers(n):
    return [np.empty(n) for _ in range(3)]


def network_buffers(layers, n):
    return [np.empty((layers[1], n)), np.empty((layers[2], n)), np.empty((layers[3], n)),
            np.empty((layers[2], n)), np.empty((layers[1], n))]


def loop(step, buffers, p, x, y, alpha, out, batches=None):
    """``len(out)`` updates of ``step``; with ``batches`` (index arrays), each on
    its batch, gathered into buffers kept per batch size."""
    kept = {}
    for k in range(len(out)):
        if batches is None:
            xb, yb = x, y
        else:
            index = batches[k]
            if len(index) not in kept:
                kept[len(index)] = (np.empty(x.shape[:-1] + (len(index),)), np.empty(y.shape[:-1] + (len(index),)),
                                    buffers(len(index)))
            xb, yb, bufs = kept[len(index)]
            np.take(x, index, axis=-1, out=xb); np.take(y, index, axis=-1, out=yb)
        step(p, xb, yb, alpha, bufs if batches is not None else buffers, out[k])
    return p


# --- the networks and data -----------------------------------------------------------

def _chain_data(n):
    x = np.linspace(-2.0, 2.0, n)
    return x, np.sin(x)


def _network_data(layers, n):
    if layers[0] == 1:
        x = np.linspace(-3.0, 3.0, n).reshape(1, n)
        return x, np.sin(x)
    x = np.random.default_rng(1).uniform(-2, 2, (2, n))
    return x, np.sin(x[:1]) * np.cos(x[1:])


def _interleaved(ours, reference, rounds, per):
    a, b = [], []
    pair = [(a, ours), (b, reference)]
    for i in range(rounds):
        for times, call in (pair if i % 2 == 0 else pair[::-1]):
            times.append(_timed(call) / per)
    return a, b


def _figure(name, unit, target, ours, reference, rounds, per, check):
    scale = {"µs/update": 1e6, "ms/update": 1e3}[unit]
    a, b = _interleaved(ours, reference, rounds, per)
    return Measurement(name=name, unit=unit, scale=scale, target=target, ours=[t * scale for t in a],
                       reference=[t * scale for t in b], check=check)


SAMPLES_A_ROUND = 400_000   # about as many samples a round at every size
_budget = [SAMPLES_A_ROUND]


def _steps_for(n):
    return max(1, _budget[0] // n)


def chain_full_batch(n, peer="numpy", rounds=ROUNDS):
    """The reference network, full batch of ``n``: Trainer.run against the in-place
    numpy loop (``peer`` "numpy") or PyTorch autograd ("torch")."""
    x, y = _chain_data(n)
    steps = _steps_for(n)
    trainer = Trainer(dict(zip(("W1", "b1", "W2", "b2", "W3", "b3"), CHAIN_START)), x, y, ALPHA)
    out = np.empty((steps, 13))
    if peer == "numpy":
        bufs = chain_buffers(n)
        reference = lambda: loop(chain_step, bufs, list(CHAIN_START), trainer.x, trainer.y, ALPHA, out)
        got = loop(chain_step, bufs, list(CHAIN_START), trainer.x, trainer.y, ALPHA, np.empty((1, 13)))
    else:
        start = [np.array([[v]]) for v in CHAIN_START]
        xc, yc = trainer.x.reshape(1, n), trainer.y.reshape(1, n)
        reference = lambda: torch_loop(steps, start, xc, yc, ALPHA, out)
        got = torch_loop(1, start, xc, yc, ALPHA, np.empty((1, 13)))
    trainer.run(1)
    check = _agreement([trainer.params(1)[p] for p in ("W1", "b1", "W2", "b2", "W3", "b3")],
                       np.ravel([np.ravel(v) for v in got]), 1e-9)
    unit = "ms/update" if n >= 100_000 else "µs/update"
    peer_name = "hand-written in-place numpy" if peer == "numpy" else "PyTorch autograd"
    return _figure(f"reference network, full batch n = {n:,} (against {peer_name})", unit,
                   TARGET_INPLACE if peer == "numpy" else TARGET_PEER,
                   lambda: trainer.truncate(1) or trainer.run(steps), reference, rounds, steps, check)


def network_full_batch(layers, n, peer="numpy", rounds=ROUNDS):
    spec = Spec(layers=layers)
    start = _arrays(layers)
    x, y = _network_data(layers, n)
    trainer = NetworkTrainer(spec, _params(start), x.T, y.T, ALPHA)
    steps = _steps_for(n)
    width = len(trainer.row)
    out = np.empty((steps, width))
    if peer == "numpy":
        bufs = network_buffers(layers, n)
        reference = lambda: loop(network_step, bufs, [a.copy() for a in start], x, y, ALPHA, out)
        got = loop(network_step, bufs, [a.copy() for a in start], x, y, ALPHA, np.empty((1, width)))
    else:
        reference = lambda: torch_loop(steps, start, x, y, ALPHA, out)
        got = torch_loop(1, start, x, y, ALPHA, np.empty((1, width)))
    trainer.run(1)
    check = _agreement(np.concatenate([a.ravel() for a in trainer.params(1).values()]),
                       np.concatenate([np.ravel(a) for a in got]), 1e-9)
    peer_name = "hand-written in-place numpy" if peer == "numpy" else "PyTorch autograd"
    shape = "-".join(map(str, layers))
    return _figure(f"{shape} full batch n = {n:,} (against {peer_name})", "µs/update",
                   TARGET_INPLACE if peer == "numpy" else TARGET_PEER,
                   lambda: trainer.truncate(1) or trainer.run(steps), reference, rounds, steps, check)


def minibatches(layers, rounds=ROUNDS, samples=MINIBATCH_SAMPLES):
    """Shuffled batches of 32 over ``samples``, an epoch a round (the reference
    network when ``layers`` is None): ours against the in-place numpy loop over
    the same batches, gathered each update."""
    steps = -(-samples // BATCH)
    batches = [batch_indices(samples, BATCH, k, SHUFFLE) for k in range(steps + 1)]
    if layers is None:
        x, y = _chain_data(samples)
        trainer = Trainer(dict(zip(("W1", "b1", "W2", "b2", "W3", "b3"), CHAIN_START)), x, y, ALPHA,
                          batch_size=BATCH, shuffle_seed=SHUFFLE)
        step, buffers, start, name = chain_step, chain_buffers, list(CHAIN_START), "reference network"
        xs, ys = trainer.x, trainer.y
        params = lambda: [trainer.params(1)[p] for p in ("W1", "b1", "W2", "b2", "W3", "b3")]
        copy_start = lambda: list(CHAIN_START)
    else:
        spec = Spec(layers=layers)
        arrays = _arrays(layers)
        x, y = _network_data(layers, samples)
        trainer = NetworkTrainer(spec, _params(arrays), x.T, y.T, ALPHA, batch_size=BATCH, shuffle_seed=SHUFFLE)
        step, xs, ys, name = network_step, x, y, "-".join(map(str, layers))
        buffers = lambda size: network_buffers(layers, size)
        params = lambda: np.concatenate([a.ravel() for a in trainer.params(1).values()])
        copy_start = lambda: [a.copy() for a in arrays]
    width = len(trainer.row)
    out = np.empty((steps, width))
    # Our row k holds the gradient on batch k: the reference's update k is on batch k too.
    got = loop(step, buffers, copy_start(), xs, ys, ALPHA, np.empty((1, width)), batches)
    trainer.run(1)
    check = _agreement(params(), np.concatenate([np.ravel(v) for v in got]), 1e-9)
    return _figure(f"{name}, shuffled mini-batches of {BATCH} over {samples:,} samples (against hand-written "
                   f"in-place numpy)", "µs/update", TARGET_MINIBATCH,
                   lambda: trainer.truncate(1) or trainer.run(steps),
                   lambda: loop(step, buffers, copy_start(), xs, ys, ALPHA, out, batches), rounds, steps, check)


def micrograd_loop(steps, start, x, y, alpha):
    """The ReLU chain on one sample with micrograd's scalar autograd, loss and
    parameters read each update as a learner's loop would record them."""
    from micrograd.engine import Value
    params = [Value(v) for v in start]
    rows = []
    for _ in range(steps):
        W1, b1, W2, b2, W3, b3 = params
        err = W3 * (W2 * (W1 * x + b1).relu() + b2).relu() + b3 - y
        loss = err * err
        for p in params:
            p.grad = 0.0
        loss.backward()
        rows.append([p.data for p in params] + [loss.data] + [p.grad for p in params])
        for p in params:
            p.data -= alpha * p.grad
    return [p.data for p in params]


def micrograd_one_sample(rounds=ROUNDS, steps=20_000):
    spec = Spec(activation1="relu", activation2="relu")
    start = dict(zip(("W1", "b1", "W2", "b2", "W3", "b3"), CHAIN_START))
    start["W2"] = 0.8   # every unit active: the gradient reaches every parameter
    trainer = Trainer(start, 0.5, 0.3, ALPHA, spec)
    trainer.run(200)
    check = _agreement([trainer.params(200)[p] for p in start],
                       micrograd_loop(200, list(start.values()), 0.5, 0.3, ALPHA), 1e-9)
    return _figure("ReLU chain, one sample (against micrograd)", "µs/update", TARGET_PEER,
                   lambda: trainer.truncate(1) or trainer.run(steps),
                   lambda: micrograd_loop(steps, list(start.values()), 0.5, 0.3, ALPHA), rounds, steps, check)


def measurements(quick=False):
    """Every figure whose peer is installed, and the notes of those skipped."""
    rounds = 1 if quick else ROUNDS
    _budget[0] = 2_000 if quick else SAMPLES_A_ROUND
    big, small, wide, samples = (2_000, 50, 300, 200) if quick else (1_000_000, 200, 10_000, MINIBATCH_SAMPLES)
    found = [chain_full_batch(big, rounds=rounds), chain_full_batch(small, rounds=rounds),
             network_full_batch((2, 8, 8, 1), wide, rounds=rounds), network_full_batch((1, 8, 8, 1), small, rounds=rounds),
             minibatches(None, rounds, samples), minibatches((1, 8, 8, 1), rounds, samples)]
    notes = []
    torch = _import("torch")
    if torch is None:
        notes.append("PyTorch is not installed (pip install .[bench]): its rows are skipped.")
    else:
        torch.set_num_threads(2)
        found += [chain_full_batch(big, "torch", rounds), chain_full_batch(small, "torch", rounds),
                  network_full_batch((2, 8, 8, 1), wide, "torch", rounds),
                  network_full_batch((1, 8, 8, 1), small, "torch", rounds)]
    if _import("micrograd") is None:
        notes.append("micrograd is not installed (pip install .[bench]): its row is skipped.")
    else:
        found.append(micrograd_one_sample(rounds, 200 if quick else 20_000))
    return found, notes


def spread(measurement):
    """The ratio of each round's pair: its min and max show how stable the figure is."""
    ratios = [a / b for a, b in zip(measurement.ours, measurement.reference)]
    return min(ratios), max(ratios)


def results(**_):
    return [m.record() for m in measurements()[0]]


def main():
    def measure():
        found, notes = measurements()
        return (found, notes), [m.record() for m in found]

    def details(raw):
        found, notes = raw
        lines = [f"{m.name}: ratio per round {spread(m)[0]:.2f} … {spread(m)[1]:.2f}; {m.check}" for m in found]
        return lines + notes
    return table.report("Peers: the engine against hand-written in-place numpy, PyTorch and micrograd",
                        measure, details)


if __name__ == "__main__":
    raise SystemExit(main())
