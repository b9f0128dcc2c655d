"""Each hidden layer's activation factor ∂h/∂z over the states of a timeline.

The factors are not history columns: they are evaluated again from a state's
parameters with the state's own term table (:func:`engine.derivation.evaluate`),
so no derivative formula is written here.  For a batch a factor is the mean
over the samples, as the derivation table shows it.

Evaluating a state costs some microseconds, so a :class:`FactorCache` keeps
every state it has evaluated for one (timeline, generation): while training
only appends states, a refresh evaluates only the states it has not seen.

A network of another shape has a factor per hidden unit, not per layer:
:func:`factor_ids` names them (``dh1/dz1[2]``: unit 2 of layer 1), and
:func:`network_factors` evaluates them from :func:`engine.network.evaluate`,
the network's own lines.  A timeline's states of a
:class:`engine.network_training.NetworkTrainer` give those.
"""

import functools
import weakref

import numpy as np

from . import network
from .derivation import evaluate
from .expr import var
from .network_training import NetworkTrainer
from .terms import FACTORS


@functools.lru_cache(maxsize=None)
def factor_ids(spec):
    """The id of each hidden unit's activation factor ∂h/∂z, layer 1 first:
    FACTORS for the reference's shape; else one per unit, row by row
    (``dh1/dz1[1]``, ``dh1/dz1[2]``, …, ``dh2/dz2[1]``, …), as the network's
    derivation names its elements; none for a network without hidden layers."""
    if spec.is_reference_shape:
        return FACTORS
    return tuple(f"dh{l}/dz{l}[{i}]" for l in range(1, spec.hidden + 1)
                 for i in range(1, spec.layers[l] + 1))


def _place(factor_id):
    """(Python name of the factor term, 0-based unit) of a factor id."""
    base, _, index = factor_id.partition("[")
    return var(base), int(index[:-1]) - 1 if index else 0


def factors_of(spec, values):
    """{factor id: value} of every hidden unit (:func:`factor_ids`), from the
    values of :func:`engine.network.evaluate`: each unit's mean over the
    samples (a linear layer's constant 1 for each unit)."""
    found = {}
    for factor_id in factor_ids(spec):
        name, unit = _place(factor_id)
        value = np.asarray(values[name], dtype=float)
        row = value[unit] if value.ndim == 2 else value   # a constant (linear: 1) is every unit's
        found[factor_id] = float(np.mean(row))
    return found


def network_factors(spec, params, x, y):
    """{factor id: ∂h/∂z} of every hidden unit of the network ``spec`` (any
    shape) at ``params`` ({W1: matrix, b1: vector, …}) on the samples ``x``,
    ``y`` (one sample, or (n, width) rows): the mean over the samples."""
    return factors_of(spec, network.evaluate(spec, params, x, y, 0.0))


def _ids(trainer):
    return factor_ids(trainer.spec) if isinstance(trainer, NetworkTrainer) else FACTORS


def factors_at(timeline, step):
    """(∂h₁/∂z₁, ∂h₂/∂z₂) of the global state ``step``: the mean over the
    samples for a batch; NaN for a term table without the factor.  A
    network's state gives each hidden unit's factor, in :func:`factor_ids`'
    order."""
    return tuple(_state_factors(*timeline.locate(step)).values())


def _state_factors(trainer, index):
    """{factor id: value} of a trainer's state ``index``, in :func:`_ids`' order."""
    if isinstance(trainer, NetworkTrainer):
        values = network.evaluate(trainer.spec, trainer.params(index), trainer.x, trainer.y, trainer.alpha,
                                  trainer.optimizer_state(index))
        return factors_of(trainer.spec, values)
    values = evaluate(trainer.params(index), trainer.x, trainer.y, trainer.alpha, trainer.spec,
                      trainer.optimizer_state(index))
    return {f: float(np.mean(values[var(f)])) if var(f) in values else float("nan") for f in FACTORS}


class FactorCache:
    """The factors of states already evaluated, per timeline and generation.
    Called with a timeline and steps, it gives {factor id: values at the
    steps}: FACTORS for the chain's states; for a network's, each hidden
    unit's (:func:`factor_ids`); NaN at a step whose network has no such unit."""

    def __init__(self, keep=16_384):
        self.keep = keep        # past this many cached states, keep only those last asked for
        self._cache = weakref.WeakKeyDictionary()   # timeline -> (generation, {step: factors})
        self.evaluated = 0      # states evaluated so far (for tests and profiling)

    def __call__(self, timeline, steps):
        steps = np.asarray(steps, dtype=np.int64).ravel()
        generation = getattr(timeline, "generation", 0)
        cached = self._cache.get(timeline)
        if cached is None or cached[0] != generation:
            cached = (generation, {})
            self._cache[timeline] = cached
        known = cached[1]
        ids = {}   # every segment's factor ids, in order, each once
        for segment in timeline.segments:
            ids.update(dict.fromkeys(_ids(segment.trainer)))
        rows = {f: k for k, f in enumerate(ids)}
        out = np.full((len(rows), len(steps)), np.nan)
        where = {}   # a state's ids -> their rows of out
        for i, step in enumerate(steps.tolist()):
            value = known.get(step)
            if value is None:
                # The ids (one tuple per spec) and the values: a network's many units cost little.
                trainer, index = timeline.locate(step)
                found = _state_factors(trainer, index)
                value = known[step] = (_ids(trainer), np.fromiter(found.values(), float, len(found)))
                self.evaluated += 1
            names, numbers = value
            index = where.get(names)
            if index is None:
                index = where[names] = slice(None) if names == tuple(rows) else [rows[f] for f in names]
            out[index, i] = numbers
        if len(known) > max(self.keep, 2 * len(steps)):
            wanted = set(steps.tolist())
            for step in [s for s in known if s not in wanted]:
                del known[step]
        return {f: out[k] for f, k in rows.items()}

    def clear(self):
        self._cache.clear()
