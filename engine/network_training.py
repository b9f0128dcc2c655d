"""Training a network of any small shape, recorded a row per state.

A row is :func:`engine.network.row_columns`: every parameter element, the
loss, every gradient element, then the optimizer's state.  As for the
chain's :class:`engine.training.Trainer`, the loss and gradient recorded
with state k are those on the batch of update k, so that
:meth:`NetworkTrainer.derivation` (k) reproduces its row and its
``W1_next`` … are exactly state k + 1.
"""

import copy
import functools
import math
from dataclasses import replace

import numpy as np

from . import compiled, elements
from .dataset import batch_indices, batch_size_of
from .gradcheck import EPSILON, STEP, Check, raise_if_stopped, relative_error
from .history import History
from .limits import LIMITS, InputError
from .network import _functions, derive, fast_advance, row_columns, table
from .terms import UPDATE, field_text
from .training import Divergence, _check_batching, continued


def check_array(name, value, kind):
    """``value`` as a float array of ``kind``'s shape, every entry finite and
    within the parameter's range; InputError naming ``name`` and the shape."""
    shape = f"{kind.rows}" if kind.form == elements.VECTOR else f"{kind.rows}×{kind.cols}"
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise InputError(name, f"must be numbers ({shape})") from None
    if array.size != kind.rows * kind.cols or (array.ndim == 2 and array.shape != (kind.rows, kind.cols)):
        what = f"{kind.rows} number{'s' if kind.rows > 1 else ''}" if kind.form == elements.VECTOR \
            else f"a {kind.rows}×{kind.cols} matrix ({kind.rows} row{'s' if kind.rows > 1 else ''} "\
                 f"of {kind.cols})"
        raise InputError(name, f"must be {what}, got {array.size} number{'s' if array.size != 1 else ''}"
                         + (f" in {array.shape[0]} rows" if array.ndim == 2 else ""))
    # An optimizer's state (v_W1, …) need only be finite.
    low, high = LIMITS["W1"] if name[0] in "Wb" else LIMITS.get(name, (-math.inf, math.inf))
    bad = ~(np.isfinite(array) & (array >= low) & (array <= high))
    if bad.any():
        value = array.reshape(-1)[int(np.argmax(bad.reshape(-1)))]
        why = "must be finite" if not math.isfinite(value) else f"must be in [{low:g}, {high:g}]"
        raise InputError(name, f"{why}, got {float(value)!r}")
    return array.reshape(kind.rows, kind.cols)


def check_samples(spec, x, y):
    """The samples as (n, width) arrays: one sample a list of the layer's width, a batch a list of those."""
    layers = spec.layers
    samples = []
    for name, values, width in (("x", x, layers[0]), ("y", y, layers[-1])):
        try:
            array = np.array(values, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise InputError(name, "must be numbers") from None
        if array.ndim <= 1 and array.size == width:
            array = array.reshape(1, width)
        if array.ndim == 1 and width == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2 or array.shape[1] != width or len(array) == 0:
            raise InputError(name, f"must have {width} number{'s' if width > 1 else ''} a sample "
                                   f"(the width of the {'input' if name == 'x' else 'output'} layer)")
        low, high = LIMITS[name]
        bad = ~(np.isfinite(array) & (array >= low) & (array <= high))
        if bad.any():
            raise InputError(name, f"must be finite and in [{low:g}, {high:g}], "
                                   f"got {float(array.reshape(-1)[int(np.argmax(bad.reshape(-1)))])!r}")
        array.flags.writeable = False
        samples.append(array)
    if len(samples[0]) != len(samples[1]):
        raise InputError("x", f"x has {len(samples[0])} samples and y {len(samples[1])}")
    return samples


_GENERATED = {"_gradient", "_loss", "_advance_one", "_advance", "_fast"}
_STACK_ELEMENTS = 1 << 20   # networks × units × samples a gradient check evaluates at once
# Updates a block of NetworkTrainer.run at most: after a divergence the rest of
# its block is computed for nothing, so it is short beside a run, not a chunk.
_BLOCK = 256


class NetworkTrainer:
    """A training run of a network of any shape (``spec.layers``): fixed
    samples (``x``, ``y``: (n, width) arrays, one sample a row) and
    learning rate, a history of states.  ``params``: each of W1, b1, … as
    nested lists or arrays.  ``batch_size``, ``shuffle_seed``: as for the
    chain's Trainer."""

    def __init__(self, spec, params, x, y, alpha, *, state=None, batch_size=None, shuffle_seed=None):
        self.spec = spec
        self.table = tab = table(spec)
        self.start = {p: check_array(p, params[p], tab.kinds[p]) for p in tab.params}
        self.x, self.y = check_samples(spec, x, y)
        self.batch_size, self.shuffle_seed = _check_batching(batch_size, shuffle_seed)
        alpha_low, alpha_high = LIMITS["alpha"]
        if not (isinstance(alpha, (int, float)) and math.isfinite(alpha) and alpha_low <= alpha <= alpha_high):
            raise InputError("alpha", f"must be in [{alpha_low:g}, {alpha_high:g}], got {alpha!r}")
        self.alpha = float(alpha)
        self.minibatch = batch_size_of(len(self.x), self.batch_size) < len(self.x)
        self._columns = (self.x.T.copy(), self.y.T.copy())
        self.row = row_columns(spec)
        self.history = History(columns=self.row)
        self._bind()
        given = dict(state or {})
        unknown = sorted(set(given) - set(tab.state))
        if unknown:
            raise InputError(unknown[0], f"is not part of this optimizer's state (it keeps "
                                         f"{', '.join(tab.state) or 'nothing'})")
        state = {}
        for name in tab.state:
            if name == "t":
                t = given.get("t", 0.0)
                if not (isinstance(t, (int, float)) and float(t).is_integer() and 0 <= t <= 2.0 ** 53):
                    raise InputError("t", f"the update counter must be a whole number from 0 to 2^53, got {t!r}")
                state[name] = float(t)
                continue
            kind = tab.kinds[name]
            value = check_array(name, given.get(name, np.zeros((kind.rows, kind.cols))), kind) \
                if name in given else np.zeros((kind.rows, kind.cols))
            if name.startswith(("s_", "v_")) and (name.startswith("s_") or "m_" + name[2:] in tab.state) \
                    and (value < 0).any():
                raise InputError(name, "a running average of squares cannot be negative")
            state[name] = value
        self.start_state = state
        loss, grads = self._loss_and_gradient(self.start, 0)
        row = self._row(self.start, loss, grads, state)
        if not np.isfinite(row).all():
            name = self.row[int(np.argmin(np.isfinite(row)))]
            raise InputError(name, f"the starting state gives a non-finite {field_text(name)}")
        self.history.append(row)
        self.divergence = None

    def _bind(self):
        """The shape's generated functions (engine.network), and no in-place buffers yet."""
        _, self._gradient, advance, advance_one, self._loss = _functions(self.spec)
        self._advance_one, self._fast = advance_one, {}   # _fast: the in-place updates by batch size
        self._advance = advance_one if batch_size_of(len(self.x), self.batch_size) == 1 else advance

    # Pickled (to train in another process) without the generated functions,
    # which are made again from the spec where it is unpickled.
    def __getstate__(self):
        return {k: v for k, v in vars(self).items() if k not in _GENERATED}

    def __setstate__(self, state):
        vars(self).update(state)
        self._bind()

    # --- reading --------------------------------------------------------
    def __len__(self):
        return len(self.history)

    def _split(self, row):
        """(params, L, gradients, state) of a row, as arrays."""
        tab, at, parts = self.table, 0, []
        for names in (tab.params, ("L",), tab.params, tab.state):
            part = {}
            for name in names:
                kind = tab.kinds.get(name) if name not in ("L", "t") else None
                size = 1 if kind is None else kind.rows * kind.cols
                block = row[at:at + size]
                part[name] = float(block[0]) if kind is None else block.reshape(kind.rows, kind.cols).copy()
                at += size
            parts.append(part)
        return parts[0], parts[1]["L"], parts[2], parts[3]

    def params(self, step=-1):
        return self._split(self.history.row(step))[0]

    def optimizer_state(self, step=-1):
        return self._split(self.history.row(step))[3]

    def batch(self, step=-1):
        if step < 0:
            step += len(self.history)
        return batch_indices(len(self.x), self.batch_size, step, self.shuffle_seed)

    def _batch_columns(self, step):
        if not self.minibatch:
            return self._columns   # the full batch: the same columns for every update
        index = self.batch(step)
        return self.x[index].T, self.y[index].T

    def derivation(self, step=-1):
        """The full derivation of a recorded state, on the batch of the update from it."""
        step %= len(self.history)
        x, y = self._batch_columns(step)
        return derive(self.spec, self.params(step), x.T, y.T, self.alpha, self.optimizer_state(step))

    # --- training -------------------------------------------------------
    def _loss_and_gradient(self, params, step):
        x, y = self._batch_columns(step)
        with np.errstate(all="ignore"):
            loss, grads = self._gradient(*(params[p] for p in self.table.params), x, y)
        return loss, grads

    def _row(self, params, loss, grads, state):
        parts = [params[p] for p in self.table.params] + [loss] + list(grads) \
            + [np.asarray(state[s]) for s in self.table.state]
        return np.concatenate([np.ravel(p) for p in parts])

    def run(self, steps):
        """Apply up to ``steps`` updates; a :class:`engine.training.Divergence`
        if one gives a non-finite value (that state is not recorded).  The
        updates go in blocks: each writes its row straight into the history's
        free rows, and a block's rows are checked together (the first row
        that is not finite is the one a check after every update would find)."""
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise InputError("steps", f"must be a whole number, zero or more, got {steps!r}")
        tab = self.table
        params, _, grads, state = self._split(self.history.row(-1))
        grads = [grads[p] for p in tab.params]
        state = [state[s] for s in tab.state]
        params = [params[p] for p in tab.params]
        alpha, count = self.alpha, len(params)
        given = len(params) + len(state)
        done = 0
        with np.errstate(all="ignore"):
            while done < steps and self.divergence is None:
                block = self.history.free_rows()
                # The gradient comes with the new state, on the batch of the update from it.
                samples = self._samples(len(self.history), min(len(block), steps - done, _BLOCK))
                advance = self._advance_on(samples[0][0].shape[1])
                for row, (x, y) in zip(block, samples):
                    result = advance(*params, *state, *grads, x, y, alpha)
                    np.concatenate(result[:count] + result[given:] + result[count:given], axis=None, out=row)
                    params, state, grads = result[:count], result[count:given], result[given + 1:]
                finite = np.isfinite(block[:len(samples)]).all(axis=1)
                good = len(samples) if finite.all() else int(np.argmin(finite))
                self.history.commit(good)
                done += good
                if good < len(samples):
                    self.divergence = self._explain(block[good])
        return self.divergence

    def _samples(self, first, most):
        """The samples (columns x, y) of the updates to states ``first`` …, at
        most ``most`` of them, all on batches of one size, gathered at once."""
        if not self.minibatch:
            return [self._columns] * most
        indices = [self.batch(first)]
        while len(indices) < most and len(index := self.batch(first + len(indices))) == len(indices[0]):
            indices.append(index)
        chosen = np.concatenate(indices)
        # Each batch laid out as self.x[index].T is, so that BLAS sees the same operands.
        x, y = (v[chosen].reshape(len(indices), len(indices[0]), -1).transpose(0, 2, 1) for v in (self.x, self.y))
        return list(zip(x, y))

    def _advance_on(self, n):
        """The update on a batch of ``n`` samples: on several, writing into this
        trainer's own buffers (engine.network.fast_advance)."""
        if self._advance is self._advance_one:
            return self._advance
        fast = self._fast
        if n not in fast:
            if len(fast) > 1:   # a mini-batch run has two sizes at most: the batch and an epoch's last
                fast.clear()
            advance, shapes = fast_advance(self.spec, n)
            fast[n] = functools.partial(advance, _bufs=compiled.buffers(shapes))
        return fast[n]

    def _explain(self, rejected):
        """The first non-finite element on the way to the rejected state: in
        the update from the last state, else in the rejected row."""
        step = len(self.history)
        bad = next((t for t in self.derivation() if t.layer == UPDATE and not np.isfinite(t.value)), None)
        if bad is not None:
            return Divergence(step, bad.id, bad.symbol, bad.value)
        column = int(np.argmin(np.isfinite(rejected)))
        name = self.row[column]
        return Divergence(step, name, field_text(name), float(rejected[column]))

    def gradients(self, step=-1):
        return self._split(self.history.row(step))[2]

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
        return continued(self, "_fast")

    def frozen(self, length=None):
        """This trainer's first ``length`` states, unchanged by later training; it cannot train."""
        view = copy.copy(self)
        view.history = self.history.frozen(length)
        return view

    def checks(self, step=-1, stopped=None):
        """The central difference of the loss for every parameter element of a
        state, on its update's batch, against the recorded gradient, judged by
        engine.gradcheck.CHECK_RULE: its floor is the rounding of the two
        losses over 2h and, for a gradient that this would flag, the same at
        2h and the quotient's truncation (how far the quotient of step 2h is).
        Every moved network is one of a stack the generated loss evaluates
        at once (:func:`engine.network.loss_function`), in blocks that bound
        the memory; ``stopped()``, if given, is asked before each block (True
        gives up: engine.gradcheck.Cancelled)."""
        step %= len(self.history)
        params, _, grads, _ = self._split(self.history.row(step))
        places = [(p, i - 1, j - 1) for p in self.table.params for i, j in elements.indices(self.table.kinds[p])]
        steps = np.array([STEP * max(1.0, abs(params[p][i, j])) for p, i, j in places])

        def quotients(chosen, scale):
            """(quotient, rounding floor) of the elements ``chosen`` (indices into places)."""
            moves = [(k, sign) for k in chosen for sign in (1.0, -1.0)]
            losses = np.empty(len(moves))
            x, y = self._batch_columns(step)
            block = max(2, _STACK_ELEMENTS // (max(self.spec.layers) * x.shape[1]))
            for start in range(0, len(moves), block):
                raise_if_stopped(stopped)
                part = moves[start:start + block]
                stacked = {p: np.repeat(params[p][np.newaxis], len(part), axis=0) for p in self.table.params}
                for row, (k, sign) in enumerate(part):
                    p, i, j = places[k]
                    stacked[p][row, i, j] += sign * scale * steps[k]
                with np.errstate(all="ignore"):
                    per_sample = self._loss(*(stacked[p] for p in self.table.params), x, y)
                    losses[start:start + len(part)] = np.sum(per_sample, axis=-1).ravel() / x.shape[1]
            up, down, h = losses[0::2], losses[1::2], scale * steps[list(chosen)]
            return (up - down) / (2 * h), 16 * EPSILON * (np.abs(up) + np.abs(down)) / (2 * h)

        numeric, noise = quotients(range(len(places)), 1.0)
        found = []
        for k, (p, i, j) in enumerate(places):
            analytic = float(grads[p][i, j])
            parts = (("the rounding of L(θ ± h) (16ε relative) over 2h", float(noise[k])),)
            found.append(Check(elements.element_id(p, self.table.kinds[p], i + 1, j + 1), analytic,
                               float(numeric[k]), relative_error(analytic, float(numeric[k])), float(noise[k]),
                               parts))
        suspect = [k for k, check in enumerate(found) if check.suspect]
        if suspect:
            wider, wider_noise = quotients(suspect, 2.0)
            for n, k in enumerate(suspect):
                check, truncation = found[k], abs(float(wider[n]) - found[k].numeric)
                parts = check.floor_parts + (("the same rounding at θ ± 2h", float(wider_noise[n])),
                                             ("the truncation error: how far the quotient of step 2h is "
                                              "from this one", truncation))
                found[k] = replace(check, noise=check.noise + float(wider_noise[n]) + truncation,
                                   floor_parts=parts)
        return found
