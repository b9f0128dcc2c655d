"""Gradient descent, one update or many, recorded in a :class:`History`."""

from dataclasses import dataclass

import numpy as np

from . import compiled
from .derivation import derive, evaluate
from .history import COLUMN, History
from .limits import LIMITS, PARAMS, InputError, check
from .terms import GRADIENTS, TERMS, Spec, spec_of, terms_for


@dataclass(frozen=True)
class Divergence:
    """Why training stopped: the update that would have made state ``step``
    produced a non-finite ``quantity``."""
    step: int
    quantity: str
    symbol: str
    value: float

    @property
    def message(self):
        return (f"Training diverged at step {self.step}: {self.symbol} ({self.quantity}) "
                f"became {self.value!r}. The last finite state, step {self.step - 1}, is kept; "
                f"a smaller learning rate α may help.")


def _floats(name, values):
    """A 1-d float copy: the trainer's samples must not change under it, nor
    the caller's array become read-only."""
    try:
        return np.atleast_1d(np.array(values, dtype=float))
    except (TypeError, ValueError, OverflowError):
        raise InputError(name, f"the samples {name} must be numbers") from None


def check_samples(x, y):
    """Samples as two equal-length float arrays, or InputError."""
    x, y = _floats("x", x), _floats("y", y)
    if x.ndim != 1 or x.shape != y.shape or len(x) == 0:
        raise InputError("x", "x and y must be two lists of the same, non-zero length")
    for name, values in (("x", x), ("y", y)):
        low, high = LIMITS[name]
        bad = np.flatnonzero(~(np.isfinite(values) & (values >= low) & (values <= high)))
        if len(bad):
            check(name, float(values[bad[0]]))  # raises with the message for that value
    x.flags.writeable = y.flags.writeable = False
    return x, y


def _table(terms, spec):
    """(term table, Spec) of a trainer from its ``terms`` (a table or a Spec)
    and ``spec``.  A table made by hand has no spec: None."""
    if isinstance(terms, Spec):
        terms, spec = (None, terms) if spec in (None, terms) else (terms, spec)
    if spec is None:
        return terms, spec_of(terms)
    if not isinstance(spec, Spec):
        raise TypeError(f"spec must be an engine.terms.Spec, not {type(spec).__name__}")
    if terms is not None and terms is not TERMS and terms != terms_for(spec):
        raise ValueError("the terms and the spec differ: give one of them")
    return terms_for(spec), spec


class Trainer:
    """A training run: fixed samples and learning rate, a history of states.

    The network is ``spec`` (an :class:`engine.terms.Spec`: the activations
    and the loss; default the reference's) or, for tests, a hand-made term
    table ``terms``.  ``self.spec`` is None for such a table."""

    def __init__(self, params, x, y, alpha, terms=TERMS, *, spec=None):
        self.start = {p: check(p, params[p]) for p in PARAMS}
        self.x, self.y = check_samples(x, y)
        self.alpha = check("alpha", alpha)
        self.terms, self.spec = _table(terms, spec)
        self._mode = "scalar" if len(self.x) == 1 else "vector"
        self._run = compiled.build(self.terms, self._mode)[1]
        self.history = History()
        first = self.derivation_of(self.start)
        bad = first.first_non_finite()
        if bad is not None:
            raise InputError(bad.id, f"the starting state gives a non-finite {bad.symbol}")
        self.history.append([self.start[p] for p in PARAMS] + [first.value(n) for n in ("L",) + GRADIENTS])
        self.divergence = None
        self._first = first   # the window shows the first state at once: derive it only once

    @classmethod
    def from_history(cls, rows, x, y, alpha, terms=TERMS, chunk_rows=1 << 16, *, spec=None):
        """A trainer whose history is exactly ``rows`` (an (n, len(ROW)) array,
        n >= 1, all finite; copied), as saved from another trainer: the start
        is row 0's parameters; no state is derived again.  ``chunk_rows``: as
        for History (the rows of a trainer that will not train on can fit exactly).
        ``terms``/``spec``: as for the constructor; the rows must have been
        made with the same spec."""
        try:
            rows = np.asarray(rows, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise InputError("rows", "the states must be numbers") from None
        if rows.ndim != 2 or rows.shape[1] != len(compiled.ROW) or len(rows) == 0:
            raise InputError("rows", f"must be at least one row of {len(compiled.ROW)} numbers, "
                                     f"got an array of shape {rows.shape}")
        if not np.isfinite(rows).all():
            raise InputError("rows", "the states contain a non-finite value")
        trainer = cls.__new__(cls)
        trainer.start = {p: check(p, rows[0, COLUMN[p]]) for p in PARAMS}
        trainer.x, trainer.y = check_samples(x, y)
        trainer.alpha = check("alpha", alpha)
        trainer.terms, trainer.spec = _table(terms, spec)
        trainer._mode = "scalar" if len(trainer.x) == 1 else "vector"
        trainer._run = compiled.build(trainer.terms, trainer._mode)[1]
        trainer.history = History.from_rows(rows, chunk_rows)
        trainer.divergence = None
        trainer._first = None
        return trainer

    # --- reading --------------------------------------------------------
    def __len__(self):
        return len(self.history)

    def params(self, step=-1):
        row = self.history.row(step)
        return {p: float(row[COLUMN[p]]) for p in PARAMS}

    def derivation_of(self, params):
        return derive(params, self.x, self.y, self.alpha, self.terms)

    def derivation(self, step=-1):
        """The full derivation of a recorded state, rebuilt exactly."""
        if step % len(self.history) == 0 and self._first is not None:
            return self._first
        return self.derivation_of(self.params(step))

    def values(self, step=-1):
        return evaluate(self.params(step), self.x, self.y, self.alpha, self.terms)

    # --- training -------------------------------------------------------
    def step(self):
        return self.run(1)

    def run(self, steps):
        """Apply up to ``steps`` updates.  Returns a :class:`Divergence` if one
        would give a non-finite state; that state is not recorded."""
        if steps < 0:
            raise InputError("steps", f"must be zero or more, got {steps}")
        done = 0
        while done < steps and self.divergence is None:
            block = self.history.free_rows()
            take = min(len(block), steps - done)
            # Python floats, not numpy scalars: the scalar loop is several times faster on them.
            last = dict(zip(compiled.ROW, self.history.row(-1).tolist()))
            x, y = (float(self.x[0]), float(self.y[0])) if self._mode == "scalar" else (self.x, self.y)
            with np.errstate(all="ignore"):
                self._run(take, block, 0, *(last[p] for p in PARAMS), x, y, self.alpha,
                          *(last[g] for g in GRADIENTS))
            finite = np.isfinite(block[:take]).all(axis=1)
            good = take if finite.all() else int(np.argmin(finite))
            self.history.commit(good)
            done += good
            if good < take:
                self.divergence = self._explain(block[good])
        return self.divergence

    def _explain(self, rejected):
        """Name the first non-finite term on the way to the rejected state."""
        step = len(self.history)
        bad = self.derivation().first_non_finite()
        if bad is None and np.isfinite(rejected[:len(PARAMS)]).all():
            bad = self.derivation_of(dict(zip(PARAMS, map(float, rejected)))).first_non_finite()
        if bad is None:  # cannot happen: some value of the rejected row is not finite
            name = compiled.ROW[int(np.argmin(np.isfinite(rejected)))]
            return Divergence(step, name, name, float("nan"))
        return Divergence(step, bad.id, bad.symbol, bad.value)

    def truncate(self, length):
        """Keep the first ``length`` states, as if the later updates never ran."""
        self.history.truncate(length)
        self.divergence = None

    def gradients(self, step=-1):
        row = self.history.row(step)
        return {g: float(row[COLUMN[g]]) for g in GRADIENTS}
