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


def forward(p, x):
    """z1, h1, z2, h2, yhat for one sample."""
    z1 = p["W1"] * x + p["b1"]
    h1 = math.tanh(z1)
    z2 = p["W2"] * h1 + p["b2"]
    h2 = math.tanh(z2)
    yhat = p["W3"] * h2 + p["b3"]
    return z1, h1, z2, h2, yhat


def loss(p, x, y):
    """L = (yhat - y)^2 for one sample (multiplication: no OverflowError)."""
    e = forward(p, x)[-1] - y
    return e * e


def gradients(p, x, y):
    """The six closed forms of the reference's 'Complete Gradient Summary'."""
    _, h1, _, h2, yhat = forward(p, x)
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
    """Mean loss by a per-sample Python loop, and the mean of |loss|."""
    losses = [loss(p, float(x), float(y)) for x, y in zip(xs, ys)]
    return math.fsum(losses) / len(losses)


def batch_gradients(p, xs, ys):
    """Mean of the single-sample gradients (per-sample Python loop), together
    with the mean absolute per-sample value of each: the scale against which a
    rounding difference of the mean is measured."""
    per_sample = [gradients(p, float(x), float(y)) for x, y in zip(xs, ys)]
    n = len(per_sample)
    mean = {g: math.fsum(s[g] for s in per_sample) / n for g in GRADIENT_IDS}
    scale = {g: math.fsum(abs(s[g]) for s in per_sample) / n for g in GRADIENT_IDS}
    return mean, scale


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
