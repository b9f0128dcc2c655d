"""Each hidden layer's activation factor ∂h/∂z over the states of a timeline.

The factors are not history columns: they are evaluated again from a state's
parameters with the state's own term table (:func:`engine.derivation.evaluate`),
so no derivative formula is written here.  For a batch a factor is the mean
over the samples, as the derivation table shows it.

Evaluating a state costs some microseconds, so a :class:`FactorCache` keeps
every state it has evaluated for one (timeline, generation): while training
only appends states, a refresh evaluates only the states it has not seen.
"""

import weakref

import numpy as np

from .derivation import evaluate
from .expr import var
from .terms import FACTORS


def factors_at(timeline, step):
    """(∂h₁/∂z₁, ∂h₂/∂z₂) of the global state ``step``: the mean over the
    samples for a batch; NaN for a term table without the factor."""
    trainer, index = timeline.locate(step)
    values = evaluate(trainer.params(index), trainer.x, trainer.y, trainer.alpha, trainer.terms,
                      trainer.optimizer_state(index))
    return tuple(float(np.mean(values[var(f)])) if var(f) in values else float("nan")
                 for f in FACTORS)


class FactorCache:
    """The factors of states already evaluated, per timeline and generation."""

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
        out = np.empty((len(FACTORS), len(steps)))
        for i, step in enumerate(steps.tolist()):
            value = known.get(step)
            if value is None:
                value = known[step] = factors_at(timeline, step)
                self.evaluated += 1
            out[:, i] = value
        if len(known) > max(self.keep, 2 * len(steps)):
            wanted = set(steps.tolist())
            for step in [s for s in known if s not in wanted]:
                del known[step]
        return {f: out[k] for k, f in enumerate(FACTORS)}

    def clear(self):
        self._cache.clear()
