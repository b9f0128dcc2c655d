"""Initial parameters, as the reference gives them.

- Xavier/Glorot for tanh: W ~ N(0, √(2/(n_in + n_out)))
- He for ReLU: W ~ N(0, √(2/n_in))
- zeros: every parameter 0 (to show why it fails)

Every layer of this network has one unit in and one out (n_in = n_out = 1),
so Xavier's standard deviation is √(2/2) = 1 and He's is √2.  Biases start
at 0.  A seed makes a draw reproducible: ``np.random.default_rng(seed)``
draws W1, W2, W3 in that order.
"""

import math
import numbers
import secrets

import numpy as np

from .limits import LIMITS, PARAMS, InputError

WEIGHTS = ("W1", "W2", "W3")
BIASES = ("b1", "b2", "b3")
SCHEMES = ("xavier", "he", "zeros")
SCHEME_NAMES = {"xavier": "Xavier/Glorot", "he": "He", "zeros": "all zeros"}
SEED_RANGE = 1_000_000   # random_seed() draws from 0 … SEED_RANGE − 1: short to show and type


def xavier_std(n_in, n_out):
    """Xavier/Glorot's standard deviation, √(2/(n_in + n_out))."""
    return math.sqrt(2.0 / (n_in + n_out))


def he_std(n_in):
    """He's standard deviation, √(2/n_in)."""
    return math.sqrt(2.0 / n_in)


# One unit in, one unit out, in every layer.
STD = {"xavier": xavier_std(1, 1), "he": he_std(1), "zeros": 0.0}

ZEROS_EXPLANATION = (
    "Why all zeros fails: with W₁ = W₂ = W₃ = 0 the backward signal is multiplied by "
    "the zero weights on its way back (∂L/∂h₂ = ∂L/∂z₃·W₃ = 0, ∂L/∂h₁ = ∂L/∂z₂·W₂ = 0), "
    "so on the first step ∂L/∂W₁, ∂L/∂b₁, ∂L/∂W₂ and ∂L/∂b₂ are all 0 and those "
    "parameters do not move. At first only the output layer can learn: b₃ always moves, "
    "and W₃ moves only if h₂ ≠ 0. With tanh (or ReLU, leaky ReLU, linear), every hidden "
    "value is 0 at the start (tanh(0) = 0), so ∂L/∂W₃ = ∂L/∂z₃·h₂ = 0 too: only b₃ moves, the hidden values "
    "stay 0 and the network is stuck for good, predicting one constant (the mean of y). "
    "With the sigmoid, h₂ = σ(0) = 0.5, so W₃ moves first; the signal then reaches W₂ a "
    "step later and W₁ a step after that. In wider layers there is a second, worse problem: units "
    "that start identical get identical gradients and stay identical forever, so the "
    "symmetry is never broken and a wide layer acts like a single unit. Random "
    "initialization breaks that symmetry."
)


def _seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError("seed", f"must be a whole number of at least 0, got {seed!r}")
    return int(seed)


def random_seed():
    """A fresh seed to show to the learner (0 ≤ seed < SEED_RANGE)."""
    return secrets.randbelow(SEED_RANGE)


def initialize(scheme, seed=0):
    """Starting parameters ``{W1, b1, W2, b2, W3, b3}`` as Python floats.

    ``scheme``: "xavier" (weights ~ N(0, 1)), "he" (weights ~ N(0, √2)) or
    "zeros" (everything 0; the seed is then ignored).  Biases are 0.  The
    same ``seed`` (a whole number >= 0) gives the same parameters.

    A weight outside LIMITS is clamped to the nearest limit.  At ±1000 that
    is a draw of 1000 (Xavier) or 707 (He) standard deviations: it never
    happens in practice, and clamping keeps every result a valid state.
    """
    if scheme not in SCHEMES:
        raise InputError("scheme", f"unknown initialization {scheme!r}; "
                                   f"choose one of {', '.join(SCHEMES)}")
    seed = _seed(seed)
    params = dict.fromkeys(PARAMS, 0.0)
    if scheme != "zeros":
        draws = np.random.default_rng(seed).normal(0.0, STD[scheme], len(WEIGHTS))
        for name, value in zip(WEIGHTS, draws.tolist()):
            low, high = LIMITS[name]
            params[name] = min(max(value, low), high)
    return params


def initialize_network(scheme, seed, layers):
    """Starting parameters of a network of widths ``layers``: each W_l drawn
    with its own fan-in n_in (units below) and fan-out n_out (units above),
    W1 first, row by row; every bias 0.  Arrays by name (W1, b1, …)."""
    if scheme not in SCHEMES:
        raise InputError("scheme", f"unknown initialization {scheme!r}; "
                                   f"choose one of {', '.join(SCHEMES)}")
    rng = np.random.default_rng(_seed(seed))
    low, high = LIMITS["W1"]
    params = {}
    for l in range(1, len(layers)):
        n_in, n_out = layers[l - 1], layers[l]
        std = {"xavier": xavier_std(n_in, n_out), "he": he_std(n_in), "zeros": 0.0}[scheme]
        params[f"W{l}"] = np.clip(rng.normal(0.0, std, (n_out, n_in)) if std else np.zeros((n_out, n_in)),
                                  low, high)
        params[f"b{l}"] = np.zeros((n_out, 1))
    return params
