"""Independent hand calculations for the engine tests.

Nothing here imports the engine: the forward pass, the loss and the closed-form
gradients are written out from /work/shared/reference/derivation.md with
math.tanh and Python floats, so that the tests compare the engine against a
second, separate implementation.
"""

import math

PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
GRADIENT_IDS = tuple(f"dL/d{p}" for p in PARAMS)

# The reference's worked example.
EXAMPLE = {"W1": 0.5, "b1": 0.1, "W2": 0.8, "b2": -0.2, "W3": 1.2, "b3": 0.3}
EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA = 2.0, 4.0, 0.01


def forward(p, x, tanh1=math.tanh, tanh2=math.tanh):
    """z1, h1, z2, h2, yhat for one sample."""
    z1 = p["W1"] * x + p["b1"]
    h1 = tanh1(z1)
    z2 = p["W2"] * h1 + p["b2"]
    h2 = tanh2(z2)
    yhat = p["W3"] * h2 + p["b3"]
    return z1, h1, z2, h2, yhat


def loss(p, x, y, *tanhs):
    """L = (yhat - y)^2 for one sample (multiplication: no OverflowError)."""
    e = forward(p, x, *tanhs)[-1] - y
    return e * e


def gradients(p, x, y, *tanhs):
    """The six closed forms of the reference's 'Complete Gradient Summary'."""
    _, h1, _, h2, yhat = forward(p, x, *tanhs)
    e2 = 2.0 * (yhat - y)
    return {
        "dL/dW3": e2 * h2,
        "dL/db3": e2,
        "dL/dW2": e2 * p["W3"] * (1.0 - h2 * h2) * h1,
        "dL/db2": e2 * p["W3"] * (1.0 - h2 * h2),
        "dL/dW1": e2 * p["W3"] * (1.0 - h2 * h2) * p["W2"] * (1.0 - h1 * h1) * x,
        "dL/db1": e2 * p["W3"] * (1.0 - h2 * h2) * p["W2"] * (1.0 - h1 * h1),
    }


def batch_loss(p, xs, ys):
    """Mean loss by a per-sample Python loop."""
    losses = [loss(p, float(x), float(y)) for x, y in zip(xs, ys)]
    return math.fsum(losses) / len(losses)


def rounding_spread(p, x, y, ulps=4):
    """How far the gradients and the loss of one sample move when either tanh is
    off by a few units in the last place (numpy's tanh and math.tanh may differ by
    one): near saturation 1 − h² cancels, near a fit ŷ − y does, and a correct
    implementation can then differ from this one by much more than 1e-12
    relative."""
    base = {**gradients(p, x, y), "L": loss(p, x, y)}
    spread = dict.fromkeys(base, 0.0)
    for k1 in (-ulps, ulps):
        for k2 in (-ulps, ulps):
            t1 = lambda z, k=k1: math.tanh(z) * (1.0 + k * 2.0 ** -53)  # noqa: E731
            t2 = lambda z, k=k2: math.tanh(z) * (1.0 + k * 2.0 ** -53)  # noqa: E731
            moved = {**gradients(p, x, y, t1, t2), "L": loss(p, x, y, t1, t2)}
            for key in base:
                spread[key] = max(spread[key], abs(moved[key] - base[key]))
    return spread


def batch_gradients(p, xs, ys):
    """Mean of the single-sample gradients (per-sample Python loop), together
    with the tolerance a correct batch implementation meets: 1e-12 of the mean
    absolute per-sample value (summation order) plus the mean rounding spread
    of the samples (see :func:`rounding_spread`)."""
    samples = [(float(x), float(y)) for x, y in zip(xs, ys)]
    per_sample = [gradients(p, x, y) for x, y in samples]
    spreads = [rounding_spread(p, x, y) for x, y in samples]
    n = len(per_sample)
    mean = {g: math.fsum(s[g] for s in per_sample) / n for g in GRADIENT_IDS}
    tol = {g: 1e-12 * math.fsum(abs(s[g]) for s in per_sample) / n
           + math.fsum(s[g] for s in spreads) / n + 1e-300 for g in GRADIENT_IDS}
    return mean, tol


def batch_loss_tolerance(p, xs, ys):
    samples = [(float(x), float(y)) for x, y in zip(xs, ys)]
    return (1e-12 * batch_loss(p, xs, ys)
            + math.fsum(rounding_spread(p, x, y)["L"] for x, y in samples) / len(samples) + 1e-300)


def update(p, grads, alpha):
    """One gradient-descent step by hand."""
    return {q: p[q] - alpha * grads[f"dL/d{q}"] for q in PARAMS}


def five_point_derivative(f, p, name, h=1e-3):
    """d f / d p[name] by the fourth-order central difference
    (-f(+2s) + 8 f(+s) - 8 f(-s) + f(-2s)) / 12s, with s = h·max(1, |p|)."""
    s = h * max(1.0, abs(p[name]))

    def at(k):
        return f({**p, name: p[name] + k * s})

    return (-at(2) + 8.0 * at(1) - 8.0 * at(-1) + at(-2)) / (12.0 * s)


def close(a, b, rel=1e-12, abs_=0.0):
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)
