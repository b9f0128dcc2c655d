"""The loss landscape: the loss over a grid of two parameters, the others fixed.

Orientation, as numpy's ``meshgrid(values1, values2)`` and matplotlib's
``contour(values1, values2, L)`` expect it::

    L[i, j] = loss with p1 = values1[j] and p2 = values2[i]

p1 runs along the columns (the horizontal axis), p2 along the rows (the
vertical axis).

The loss is not written again here: it is :func:`engine.network.loss_function`,
generated from the lines of the network's derivation (:mod:`engine.layers`),
the chain's 1-1-1-1 included.  The grid is two leading axes of the two
parameters' arrays (the generated code runs on a stack of networks) and the
samples are the last axis; the memory is bounded in blocks of grid rows and
of samples.  The chain's grid runs over its parameters by name (``W1``); a
network of another shape has arrays for parameters, so its grid runs over two
of their *elements* (``W2[1,2]``, ``b1[3]``; :func:`parameter_elements`).
"""

import functools
import numbers

import numpy as np

from . import elements, network
from .dataset import MAX_SAMPLES, check_dataset
from .limits import PARAMS, InputError, check
from .network_training import check_array, check_samples
from .terms import DEFAULT_SPEC, Spec

DEFAULT_SIZE = 200
MAX_SIZE = 2000
BLOCK_ELEMENTS = 1 << 20   # grid points × samples evaluated at once (8 MB an array)


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
    # linspace's step rounds (coarsely among subnormals: 4.4e-323 / 6 is 1e-323), so a value
    # before the last may pass the high end that the last is set to: clipped, the axis rises.
    return np.clip(np.linspace(low, high, size), low, high)


def _size(size):
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) \
            or not 2 <= size <= MAX_SIZE:
        raise InputError("size", f"must be a whole number from 2 to {MAX_SIZE}, got {size!r}")
    return int(size)


def grid(params, x, y, p1, p2, range1, range2, size=DEFAULT_SIZE, spec=DEFAULT_SPEC):
    """The loss landscape of parameters ``p1`` and ``p2`` (two different names
    of PARAMS) around ``params``.

    Returns ``(values1, values2, L)``: ``values1`` = ``size`` evenly spaced
    values of p1 over ``range1`` = (low, high), ends included; ``values2``
    likewise of p2 over ``range2``; ``L`` a (size, size) array with

        L[i, j] = loss with p1 = values1[j], p2 = values2[i]

    (rows: p2; columns: p1) and every other parameter as in ``params``.  The
    loss is the mean over the samples ``x``, ``y`` of the per-sample loss
    of ``spec``'s network, as training minimises it.  A Spec of another
    shape than the reference's is :func:`network_grid`'s: p1 and
    p2 are then parameter elements (``"W2[1,2]"``), ``params`` arrays.  Ranges
    must lie within LIMITS; ``size`` from 2 to MAX_SIZE.  A grid point whose
    loss overflows holds inf (or NaN), as numpy gives it.
    """
    if not isinstance(spec, Spec):
        raise TypeError(f"spec must be an engine.terms.Spec, not {type(spec).__name__}")
    if not spec.is_reference_shape:
        return network_grid(spec, params, x, y, p1, p2, range1, range2, size)
    # The chain's names and numbers, checked with its own messages; the loss is
    # the network's, generated from the same lines (one generator for both).
    p1, p2 = _parameter(p1, "p1"), _parameter(p2, "p2")
    if p1 == p2:
        raise InputError("p2", f"the two parameters must differ, both are {p1}")
    size = _size(size)
    fixed = {p: [[check(p, params[p])]] for p in PARAMS}
    x, y = check_dataset(x, y)
    values1, values2 = _axis(p1, range1, size), _axis(p2, range2, size)
    return network_grid(spec, fixed, x, y, f"{p1}[1,1]" if p1[0] == "W" else f"{p1}[1]",
                        f"{p2}[1,1]" if p2[0] == "W" else f"{p2}[1]",
                        (values1[0], values1[-1]), (values2[0], values2[-1]), size)


# --- a network of any shape: the grid over two parameter elements -----------------

@functools.lru_cache(maxsize=None)
def parameter_elements(spec):
    """Every parameter element of ``spec``'s network, layer by layer and row
    by row, as :func:`grid` names them for a network of another shape than
    the reference's: ``("W1[1,1]", "W1[1,2]", …, "b1[1]", …)`` (a width-1
    vector's element is ``b1[1]``, a 1×1 matrix's ``W1[1,1]``)."""
    return tuple(_element_places(spec))


@functools.lru_cache(maxsize=None)
def _element_places(spec):
    """{element id: (parameter, row, column)}, 0-based row and column."""
    tab = network.table(spec)
    return {elements.element_id(p, tab.kinds[p], i, j): (p, i - 1, j - 1)
            for p in tab.params for i, j in elements.indices(tab.kinds[p])}


def parameter_choices(spec):
    """What :func:`grid` takes as p1 and p2 for ``spec``: the chain's names
    (PARAMS) for the reference's shape, else :func:`parameter_elements`."""
    return PARAMS if spec.is_reference_shape else parameter_elements(spec)


def _element(spec, name, what):
    places = _element_places(spec)
    if not isinstance(name, str) or name not in places:
        tab = network.table(spec)
        shapes = ", ".join(f"{p} ({tab.kinds[p].rows}×{tab.kinds[p].cols})" if p[0] == "W"
                           else f"{p} ({tab.kinds[p].rows})" for p in tab.params)
        raise InputError(what, f"unknown parameter element {name!r}; choose an element of {shapes}, "
                               f"written as W2[1,2] (row, column) or b1[1]")
    return places[name]


def _element_axis(name, bounds, size):
    """:func:`_axis` for an element: the parameters' range (every parameter's,
    W1's), messages naming the element."""
    try:
        return _axis("W1", bounds, size)
    except InputError as error:
        raise InputError(name, error.message) from None


@functools.lru_cache(maxsize=None)
def _network_loss(spec):
    return network.loss_function(spec)


def network_grid(spec, params, x, y, p1, p2, range1, range2, size=DEFAULT_SIZE):
    """The loss landscape of two parameter elements ``p1`` and ``p2`` (two
    different entries of :func:`parameter_elements`, e.g. ``"W2[1,2]"`` and
    ``"b1[3]"``) of the network ``spec`` (any shape, the reference's too)
    around ``params`` ({W1: matrix, b1: vector, …} as
    :class:`engine.network_training.NetworkTrainer` takes them).

    Returns ``(values1, values2, L)`` as :func:`grid` does:

        L[i, j] = loss with p1 = values1[j], p2 = values2[i]

    the mean over the samples (``x``, ``y``: one sample, or a batch of
    (n, width) rows) of each sample's loss, summed over the outputs, from
    :func:`engine.network.loss_function`.  Every other element as in
    ``params``; p1 and p2's own entries there are ignored.
    """
    if not isinstance(spec, Spec):
        raise TypeError(f"network_grid takes a Spec, not {type(spec).__name__}")
    (param1, r1, c1), (param2, r2, c2) = _element(spec, p1, "p1"), _element(spec, p2, "p2")
    if p1 == p2:
        raise InputError("p2", f"the two parameters must differ, both are {p1}")
    size = _size(size)
    tab = network.table(spec)
    fixed = {}
    for p in tab.params:
        if p not in params:
            raise InputError(p, "is missing: the grid needs every parameter of the network")
        fixed[p] = check_array(p, params[p], tab.kinds[p])
    xs, ys = check_samples(spec, x, y)
    if len(xs) > MAX_SAMPLES:
        raise InputError("dataset", f"more than {MAX_SAMPLES:,} samples")
    values1, values2 = _element_axis(p1, range1, size), _element_axis(p2, range2, size)
    loss = _network_loss(spec)
    xs, ys = xs.T, ys.T      # the samples as columns

    # Axes: (p2 → row i, p1 → column j, the array's rows, its columns); blocks
    # of grid rows and of samples keep the widest array within BLOCK_ELEMENTS.
    n, width = xs.shape[1], max(spec.layers)
    rows = max(1, min(size, BLOCK_ELEMENTS // (size * width)))
    block = max(1, BLOCK_ELEMENTS // (rows * size * width))
    total = np.zeros((size, size))
    with np.errstate(all="ignore"):
        for top in range(0, size, rows):
            v2 = values2[top: top + rows]
            args = dict(fixed)
            if param1 == param2:
                stacked = np.broadcast_to(fixed[param1], (len(v2), size) + fixed[param1].shape).copy()
                stacked[..., r1, c1] = values1[np.newaxis, :]
                stacked[..., r2, c2] = v2[:, np.newaxis]
                args[param1] = stacked
            else:
                first = np.broadcast_to(fixed[param1], (1, size) + fixed[param1].shape).copy()
                first[..., r1, c1] = values1[np.newaxis, :]
                second = np.broadcast_to(fixed[param2], (len(v2), 1) + fixed[param2].shape).copy()
                second[..., r2, c2] = v2[:, np.newaxis]
                args[param1], args[param2] = first, second
            part = total[top: top + rows]
            for start in range(0, n, block):
                x_block, y_block = xs[:, start: start + block], ys[:, start: start + block]
                per_sample = loss(*(args[p] for p in tab.params), x_block, y_block)
                part += np.broadcast_to(per_sample, part.shape + (1, x_block.shape[1])).sum(axis=(-2, -1))
        total /= n
    return values1, values2, total
