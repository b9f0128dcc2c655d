"""Gradient descent, one update or many, recorded in a :class:`History`.

The update is the spec's: plain gradient descent, momentum, RMSprop or Adam,
at a constant or scheduled rate, with or without clipping.  An optimizer's
state (velocities, running averages, the counter t) is recorded in every row,
so that the derivation of any recorded state, and training on from it, is
exact."""

import copy
import math
from dataclasses import dataclass

import numpy as np

from . import compiled
from .dataset import batch_indices, batch_size_of
from .derivation import derive
from .history import COLUMN, History
from .limits import LIMITS, PARAMS, InputError, check
from .terms import DEFAULT_SPEC, FORWARD, GRADIENTS, UPDATE, Spec, field_text, state_columns, terms_for

MAX_COUNT = 2.0 ** 53   # the counter t stays a whole float64


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
        return (f"Training diverged at step {self.step:,}: {self.symbol} "
                f"became {_in_words(self.value)}. The last finite state, step {self.step - 1:,}, is kept; "
                f"a smaller learning rate α may help.")


def _in_words(value):
    """A value that is not finite as a learner reads it."""
    if value != value:
        return "not a number (NaN)"
    if math.isinf(value):
        return "infinite (+∞)" if value > 0 else "infinite (−∞)"
    return repr(value)


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


def _table(spec):
    """The term table of a trainer's ``spec``: TypeError for anything but a
    Spec, ValueError for a shape other than the chain's (engine.network_training)."""
    if not isinstance(spec, Spec):
        raise TypeError(f"spec must be an engine.terms.Spec, not {type(spec).__name__}")
    return terms_for(spec)


def _non_negative(names):
    """The state that must not be negative: RMSprop's s and Adam's v (running
    averages of squares; Adam's v is the one paired with an m)."""
    return {n for n in names if n.startswith("s_")
            or n.startswith("v_") and "m_" + n[2:] in names}


def check_state(names, state):
    """The optimizer's starting state over ``names`` as floats, a missing
    entry 0 (the state before any update); InputError naming a bad entry."""
    state = {} if state is None else dict(state)
    unknown = sorted(set(state) - set(names))
    if unknown:
        kept = ", ".join(names) if names else "nothing"
        raise InputError(unknown[0], f"is not part of this optimizer's state (it keeps {kept})")
    checked = {}
    for name in names:
        value = state.get(name, 0.0)
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise InputError(name, f"not a number: {value!r}") from None
        if not math.isfinite(number):
            raise InputError(name, f"must be finite, got {value!r}")
        if name in _non_negative(names) and number < 0:
            raise InputError(name, f"a running average of squares cannot be negative, got {value!r}")
        if name == "t" and not (number.is_integer() and 0 <= number <= MAX_COUNT):
            raise InputError(name, f"the update counter must be a whole number from 0 to 2^53, "
                                   f"got {value!r}")
        checked[name] = number
    return checked


def _check_state_rows(names, rows):
    """Every row's optimizer state as :func:`check_state` wants it."""
    for i, name in enumerate(names):
        column = rows[:, i]
        if name in _non_negative(names):
            bad = np.flatnonzero(column < 0)
        elif name == "t":
            bad = np.flatnonzero((column != np.floor(column)) | (column < 0) | (column > MAX_COUNT))
        else:
            continue
        if len(bad):
            check_state(names, {name: float(column[bad[0]])})   # raises, naming the entry


def _check_batching(batch_size, shuffle_seed):
    """``(batch_size, shuffle_seed)`` as whole numbers (or None), or InputError."""
    for name, value, low in (("batch_size", batch_size, 1), ("shuffle_seed", shuffle_seed, 0)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(name, f"must be a whole number of at least {low}, got {value!r}")
    return (None if batch_size is None else int(batch_size),
            None if shuffle_seed is None else int(shuffle_seed))


def continued(trainer, buffers):
    """``trainer.continued()``: a copy with ``history.tail()`` and its own
    (empty) dict of buffers named ``buffers``, which copy.copy would share."""
    twin = copy.copy(trainer)
    twin.history = trainer.history.tail()
    setattr(twin, buffers, {})
    return twin


class Trainer:
    """A training run: fixed samples and learning rate, a history of states.

    The network and its update are ``spec`` (an :class:`engine.terms.Spec`:
    the activations, the loss, the optimizer, the schedule and clipping;
    default the reference's); ``self.terms`` is its term table.  ``chunk_rows``:
    the states a chunk of the history holds.  ``state``: the optimizer's
    starting state (a mapping over :attr:`state_names`; default all 0 and
    t = 0, as before a first update).  ``self.row`` names the values of a
    history row: :data:`engine.compiled.ROW`, then the optimizer's state.

    ``batch_size`` (None, or anything >= the number of samples: the full
    batch) and ``shuffle_seed`` choose the samples of each update: update k
    (from state k to k + 1) uses :meth:`batch` (k), that is
    :func:`engine.dataset.batch_indices` (n, batch_size, k, shuffle_seed).
    The loss and gradient recorded with state k are those on update k's
    batch, so that :meth:`derivation` (k) reproduces the row and its
    ``W1_next`` … are exactly state k + 1."""

    def __init__(self, params, x, y, alpha, spec=DEFAULT_SPEC, *, state=None,
                 batch_size=None, shuffle_seed=None, chunk_rows=1 << 16):
        self.start = {p: check(p, params[p]) for p in PARAMS}
        self.x, self.y = check_samples(x, y)
        self.batch_size, self.shuffle_seed = _check_batching(batch_size, shuffle_seed)
        self.alpha = check("alpha", alpha)
        self.terms, self.spec = _table(spec), spec
        self.state_names = state_columns(self.terms)
        self.row = compiled.ROW + self.state_names
        self.start_state = check_state(self.state_names, state)
        self._column = {name: i for i, name in enumerate(self.row)}
        self._mode = "scalar" if len(self.x) == 1 else "vector"
        self._run = compiled.build(self.terms, self._mode)[1]
        self._setup_batches()
        self.history = History(chunk_rows, self.row)
        first = self.derivation_of(self.start, self.start_state, self.batch(0))
        bad = first.first_non_finite()
        if bad is not None:
            raise InputError(bad.id, f"the starting state gives a non-finite {bad.symbol}")
        self.history.append([self.start[p] for p in PARAMS] + [first.value(n) for n in ("L",) + GRADIENTS]
                            + [self.start_state[n] for n in self.state_names])
        self.divergence = None
        self._first = first   # the window shows the first state at once: derive it only once

    # Pickled (to train in another process) without the generated loop, its
    # buffers and the first state's derivation, made again where it is unpickled.
    def __getstate__(self):
        return {k: v for k, v in vars(self).items() if k not in ("_run", "_buffers", "_first")}

    def __setstate__(self, state):
        vars(self).update(state, _first=None, _run=compiled.build(state["terms"], state["_mode"])[1],
                          _buffers={})

    @classmethod
    def from_history(cls, rows, x, y, alpha, spec=DEFAULT_SPEC, *, chunk_rows=1 << 16,
                     batch_size=None, shuffle_seed=None):
        """A trainer whose history is exactly ``rows`` (an (n, len(row)) array,
        n >= 1, all finite; copied), as saved from another trainer: the start
        is row 0's parameters and optimizer state; no state is derived again.
        ``chunk_rows``: as for History (the rows of a trainer that will not
        train on can fit exactly).  ``spec``: as for the constructor; the
        rows must have been made with the same spec (and the same
        ``batch_size`` and ``shuffle_seed``)."""
        table = _table(spec)
        names = state_columns(table)
        width = len(compiled.ROW) + len(names)
        try:
            rows = np.asarray(rows, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise InputError("rows", "the states must be numbers") from None
        if rows.ndim != 2 or rows.shape[1] != width or len(rows) == 0:
            raise InputError("rows", f"must be at least one row of {width} numbers, "
                                     f"got an array of shape {rows.shape}")
        if not np.isfinite(rows).all():
            raise InputError("rows", "the states contain a non-finite value")
        trainer = cls.__new__(cls)
        trainer.start = {p: check(p, rows[0, COLUMN[p]]) for p in PARAMS}
        trainer.x, trainer.y = check_samples(x, y)
        trainer.batch_size, trainer.shuffle_seed = _check_batching(batch_size, shuffle_seed)
        trainer.alpha = check("alpha", alpha)
        trainer.terms, trainer.spec = table, spec
        trainer.state_names = names
        trainer.row = compiled.ROW + names
        _check_state_rows(names, rows[:, len(compiled.ROW):])
        trainer.start_state = check_state(names, dict(zip(names, rows[0, len(compiled.ROW):].tolist())))
        trainer._column = {name: i for i, name in enumerate(trainer.row)}
        trainer._mode = "scalar" if len(trainer.x) == 1 else "vector"
        trainer._run = compiled.build(trainer.terms, trainer._mode)[1]
        trainer._setup_batches()
        trainer.history = History.from_rows(rows, chunk_rows, trainer.row)
        trainer.divergence = None
        trainer._first = None
        return trainer

    def _setup_batches(self):
        """Whether updates use mini-batches, and where the loss and gradient
        are among the outputs of the compiled ``derive``."""
        self.minibatch = batch_size_of(len(self.x), self.batch_size) < len(self.x)
        self._buffers = {}   # engine.compiled.build_fast's buffers, by (batch size, mini-batches)
        ids = {t.id: i for i, t in enumerate(self.terms)}
        self._recorded = [ids[name] for name in ("L",) + GRADIENTS]
        self._recorded_columns = [self._column[name] for name in ("L",) + GRADIENTS]
        # The values of a state that its row does not show but the loop checks.
        self._guarded_state = [ids[name] for name in compiled.guarded(self.terms)
                               if self.terms[ids[name]].section != UPDATE]

    # --- reading --------------------------------------------------------
    def __len__(self):
        return len(self.history)

    def params(self, step=-1):
        row = self.history.row(step)
        return {p: float(row[COLUMN[p]]) for p in PARAMS}

    def optimizer_state(self, step=-1):
        """The optimizer's state of a recorded state by name ({} for plain
        gradient descent at a constant rate)."""
        if not self.state_names:
            return {}
        row = self.history.row(step)
        return {n: float(row[self._column[n]]) for n in self.state_names}

    def batch(self, step=-1):
        """The indices of the samples update ``step`` (from state ``step`` to
        ``step`` + 1) uses; a negative ``step`` counts back from the last
        recorded state.  Every sample, 0 … n−1, for a full batch."""
        if step < 0:
            step += len(self.history)
        return batch_indices(len(self.x), self.batch_size, step, self.shuffle_seed)

    def derivation_of(self, params, state=None, batch=None):
        """The derivation of ``params`` with the optimizer's ``state`` (default
        all 0, as before a first update) on the samples ``batch`` (indices;
        default all of them)."""
        if batch is None or len(batch) == len(self.x):
            return derive(params, self.x, self.y, self.alpha, self.spec, state)
        return derive(params, self.x[batch], self.y[batch], self.alpha, self.spec, state)

    def derivation(self, step=-1):
        """The full derivation of a recorded state, rebuilt exactly: on the
        batch of the update from it (:meth:`batch`)."""
        step %= len(self.history)
        if step == 0 and self._first is not None:
            return self._first
        return self.derivation_of(self.params(step), self.optimizer_state(step), self.batch(step))

    # --- training -------------------------------------------------------
    def step(self):
        return self.run(1)

    def run(self, steps):
        """Apply up to ``steps`` updates.  Returns a :class:`Divergence` if one
        would give a non-finite value (in the update, or in the state it
        gives); that state is not recorded, and training further does nothing."""
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise InputError("steps", f"must be a whole number, zero or more, got {steps!r}")
        if self.minibatch:
            return self._run_batches(steps)
        done = 0
        while done < steps and self.divergence is None:
            block = self.history.free_rows()
            take = min(len(block), steps - done)
            # Python floats, not numpy scalars: the scalar loop is several times faster on them.
            last = dict(zip(self.row, self.history.row(-1).tolist()))
            if self._mode == "scalar":
                run, x, y, buffers = self._run, float(self.x[0]), float(self.y[0]), {}
            else:
                (run, buffers), x, y = self._fast(len(self.x)), self.x, self.y
            with np.errstate(all="ignore"):
                clean = run(take, block, 0, *(last[p] for p in PARAMS), x, y, self.alpha,
                            *(last[n] for n in self.state_names), *(last[g] for g in GRADIENTS), **buffers)
            done += self._commit(block, take, clean)
        return self.divergence

    def _fast(self, n, batches=False):
        """The compiled loop writing into buffers for batches of ``n`` samples
        (engine.compiled.build_fast), and the buffers (this trainer's own,
        allocated once)."""
        cache = self._buffers
        run, shapes = compiled.build_fast(self.terms, n, batches)
        if (n, batches) not in cache:
            cache.clear()   # one size at a time: a large batch's buffers are not kept beside another's
            cache[n, batches] = {"_bufs": compiled.buffers(shapes)}
        return run, cache[n, batches]

    def _commit(self, block, take, clean):
        """Commit the rows a compiled loop wrote into ``block`` for ``take``
        updates, up to the first whose row or guarded values are not finite
        (the loop stopped after packing that one, ``clean`` its index), and
        record the divergence there.  Returns the rows committed."""
        written = take if clean == take else clean + 1
        finite = np.isfinite(block[:written]).all(axis=1)
        good = min(clean, written if finite.all() else int(np.argmin(finite)))
        self.history.commit(good)
        if good < take:
            self.divergence = self._explain(block[good])
        return good

    def _samples(self, step):
        """The samples of update ``step`` as the compiled functions take them,
        and their flavour."""
        index = self.batch(step)
        if len(index) == 1:
            return float(self.x[index[0]]), float(self.y[index[0]]), "scalar"
        return self.x[index], self.y[index], "vector"

    def _run_batches(self, steps):
        """``run`` with mini-batches.  Runs of updates whose batches all have
        the same size (two or more samples) go through one compiled loop
        (engine.compiled.build_fast with ``batches``), their samples gathered
        at once; an update next to a batch of another size, or on batches of
        one sample, goes alone (:meth:`_run_batch`)."""
        done = 0
        while done < steps and self.divergence is None:
            k = len(self.history) - 1
            block = self.history.free_rows()
            # The samples of batches k … k + take: the update from state k + i reads
            # batches k + i and k + i + 1.  At most about 8 MB of gathered samples.
            size = len(self.batch(k))
            take = min(len(block), steps - done, max(1, (1 << 20) // size))
            indices = [self.batch(k)]
            while len(indices) <= take and len(index := self.batch(k + len(indices))) == size:
                indices.append(index)
            take = len(indices) - 1
            if size == 1 or take == 0:
                done += self._run_batch()
                continue
            last = dict(zip(self.row, self.history.row(-1).tolist()))
            run, buffers = self._fast(size, batches=True)
            chosen = np.concatenate(indices).reshape(take + 1, size)
            with np.errstate(all="ignore"):
                clean = run(take, block, 0, *(last[p] for p in PARAMS), self.x[chosen], self.y[chosen],
                            self.alpha, *(last[n] for n in self.state_names), *(last[g] for g in GRADIENTS),
                            **buffers)
            done += self._commit(block, take, clean)
        return self.divergence

    def _run_batch(self):
        """One update on a mini-batch, returning 1 if it is recorded, 0 if it
        diverged.  The compiled loop records the new state with the loss and
        gradient on the batch it was updated with (the look-ahead L′ of the
        last state: it must be finite); they are then replaced by those on
        the batch of the next update, the one the row must hold."""
        terms, names = self.terms, self.state_names
        keep = [i for i, name in enumerate(self.row) if name != "L" and name not in GRADIENTS]
        loss = self._column["L"]
        k = len(self.history) - 1
        last = dict(zip(self.row, self.history.row(-1).tolist()))
        x, y, mode = self._samples(k)
        block = self.history.free_rows()
        with np.errstate(all="ignore"):
            clean = compiled.build(terms, mode)[1](
                1, block, 0, *(last[p] for p in PARAMS), x, y, self.alpha,
                *(last[n] for n in names), *(last[g] for g in GRADIENTS))
            finite = clean == 1 and np.isfinite(block[0, keep + [loss]]).all()
            if finite:
                new = block[0].tolist()
                x, y, mode = self._samples(k + 1)
                values = compiled.build(terms, mode)[0](
                    *new[:len(PARAMS)], x, y, self.alpha, *new[len(compiled.ROW):])
                for column, i in zip(self._recorded_columns, self._recorded):
                    block[0, column] = values[i]
                finite = np.isfinite(block[0]).all() and all(
                    np.isfinite(values[i]).all() for i in self._guarded_state)
        if not finite:
            self.divergence = self._explain(block[0])
            return 0
        self.history.commit(1)
        return 1

    def _explain(self, rejected):
        """Name the first non-finite value on the way to the rejected state:
        in the update from the last state (its look-ahead included), else in
        the forward pass of the rejected state on the samples of that update
        (what the look-ahead computes), else in the rejected state on the
        samples of its own update (its row).  The rejected state's own update
        is the next one, not part of the way."""
        step = len(self.history)
        bad = next((t for t in self.derivation() if t.layer == UPDATE and not np.isfinite(t.value)), None)
        state = rejected[len(compiled.ROW):]
        if bad is None and np.isfinite(rejected[:len(PARAMS)]).all() and np.isfinite(state).all():
            params = dict(zip(PARAMS, map(float, rejected)))
            state = dict(zip(self.state_names, map(float, state)))
            ways = [(self.batch(step - 1), FORWARD), (self.batch(step), None)] \
                if self.minibatch else [(None, None)]
            for batch, layer in ways:
                bad = next((t for t in self.derivation_of(params, state, batch)
                            if t.layer != UPDATE and layer in (None, t.layer)
                            and not np.isfinite(t.value)), None)
                if bad is not None:
                    break
        if bad is None:  # cannot happen: some value on the way is not finite
            name = self.row[int(np.argmin(np.isfinite(rejected)))]
            return Divergence(step, name, field_text(name), float("nan"))
        return Divergence(step, bad.id, bad.symbol, bad.value)

    def truncate(self, length):
        """Keep the first ``length`` states, as if the later updates never ran."""
        self.history.truncate(length)
        self.divergence = None

    def continued(self):
        """A trainer that trains on from this one's last state with a history
        and buffers of its own (:meth:`engine.history.History.tail`): it may
        train in another thread while this one is read.  Its states keep
        their numbers, so its batches and a Divergence's step are this one's;
        :meth:`engine.timeline.Timeline.extend` takes its rows back."""
        return continued(self, "_buffers")

    def frozen(self, length=None):
        """This trainer's first ``length`` states, unchanged by later training
        or truncation (:meth:`engine.history.History.frozen`); it cannot train."""
        view = copy.copy(self)
        view.history = self.history.frozen(length)
        return view

    def gradients(self, step=-1):
        row = self.history.row(step)
        return {g: float(row[COLUMN[g]]) for g in GRADIENTS}
