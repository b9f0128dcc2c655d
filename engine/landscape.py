"""The loss landscape: the loss over a grid of two parameters, the others fixed.

Orientation, as numpy's ``meshgrid(values1, values2)`` and matplotlib's
``contour(values1, values2, L)`` expect it::

    L[i, j] = loss with p1 = values1[j] and p2 = values2[i]

p1 runs along the columns (the horizontal axis), p2 along the rows (the
vertical axis).

The loss is computed from the term table, not written again here: the
forward terms of the table (z1 … L, in table order) are compiled, once per
table, into a numpy function with the vector flavour of the activations that
:mod:`engine.compiled` uses.  It is the table's own per-sample loss (``err **
2`` or ``0.5 * err ** 2``), averaged over the samples like every ``mean``
term.  The compiled ``derive`` of :mod:`engine.compiled` cannot serve: its
means over samples are ``np.dot`` products, which need the samples to be the
only axis.  Here the parameters vary along two grid axes and the samples lie
on a third, leading axis: one numpy expression per term for a whole block of
samples; the only Python loop is over blocks of samples, sized to bound the
memory (one block for up to 26 samples on a 200 × 200 grid).
"""

import functools
import numbers

import numpy as np

from . import compiled
from .dataset import check_dataset
from .limits import PARAMS, InputError, check
from .terms import TERMS, as_terms

DEFAULT_SIZE = 200
MAX_SIZE = 2000
BLOCK_ELEMENTS = 1 << 20   # grid points × samples evaluated at once (8 MB an array)


@functools.lru_cache(maxsize=None)
def _loss_function(terms):
    """``loss(W1, b1, W2, b2, W3, b3, x, y)``: the per-sample loss L of the
    term table, from its forward terms, for numpy arrays that broadcast."""
    forward = []
    for t in terms:
        forward.append(t)
        if t.id == "L":
            break
    else:
        raise ValueError("the term table has no loss term L")
    body = [f"    {t.var} = {t.source}" for t in forward]
    source = "\n".join([f"def loss({', '.join(PARAMS)}, x, y):", *body, "    return L"])
    # The vector flavour of tanh, sigmoid, relu, …: the functions the compiled
    # batch code calls, so that both compute the same values.
    namespace = dict(compiled._FUNCTIONS["vector"])
    exec(compile(source, "<engine.landscape>", "exec"), namespace)
    namespace["loss"].source = source
    return namespace["loss"]


def _parameter(name, what):
    if name not in PARAMS:
        raise InputError(what, f"unknown parameter {name!r}; choose one of {', '.join(PARAMS)}")
    return name


def _axis(name, bounds, size):
    """``size`` evenly spaced values of parameter ``name`` from low to high."""
    try:
        low, high = bounds
    except (TypeError, ValueError):
        raise InputError(name, f"the range must be two numbers (low, high), got {bounds!r}") from None
    low, high = check(name, low), check(name, high)
    if not low < high:
        raise InputError(name, f"the range's low end {low:g} must be below its high end {high:g}")
    return np.linspace(low, high, size)


def grid(params, x, y, p1, p2, range1, range2, size=DEFAULT_SIZE, terms=TERMS):
    """The loss landscape of parameters ``p1`` and ``p2`` (two different names
    of PARAMS) around ``params``.

    Returns ``(values1, values2, L)``: ``values1`` = ``size`` evenly spaced
    values of p1 over ``range1`` = (low, high), ends included; ``values2``
    likewise of p2 over ``range2``; ``L`` a (size, size) array with

        L[i, j] = loss with p1 = values1[j], p2 = values2[i]

    (rows: p2; columns: p1) and every other parameter as in ``params``.  The
    loss is the mean over the samples ``x``, ``y`` of the per-sample loss
    of ``terms`` (a term table or a Spec), as training minimises it.  Ranges
    must lie within LIMITS; ``size`` from 2 to MAX_SIZE.  A grid point whose
    loss overflows holds inf (or NaN), as numpy gives it.
    """
    terms = as_terms(terms)
    p1, p2 = _parameter(p1, "p1"), _parameter(p2, "p2")
    if p1 == p2:
        raise InputError("p2", f"the two parameters must differ, both are {p1}")
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) \
            or not 2 <= size <= MAX_SIZE:
        raise InputError("size", f"must be a whole number from 2 to {MAX_SIZE}, got {size!r}")
    size = int(size)
    fixed = {p: check(p, params[p]) for p in PARAMS}
    x, y = check_dataset(x, y)
    values1, values2 = _axis(p1, range1, size), _axis(p2, range2, size)
    loss = _loss_function(terms)

    # Axes: (sample, p2 → row i, p1 → column j).
    args = dict(fixed)
    args[p1] = values1[np.newaxis, np.newaxis, :]
    args[p2] = values2[np.newaxis, :, np.newaxis]
    shape = (size, size)
    total = np.zeros(shape)
    block = max(1, BLOCK_ELEMENTS // (size * size))
    with np.errstate(all="ignore"):
        for start in range(0, len(x), block):
            xs = x[start: start + block, np.newaxis, np.newaxis]
            ys = y[start: start + block, np.newaxis, np.newaxis]
            per_sample = loss(*(args[p] for p in PARAMS), xs, ys)
            total += np.broadcast_to(per_sample, (len(xs),) + shape).sum(axis=0)
        total /= len(x)
    return values1, values2, total
