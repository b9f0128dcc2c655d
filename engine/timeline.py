"""Every state a learner has made, as one numbered line of states.

Training appends states; a hand edit at state k starts a new *segment* there:
the states before k stay as they were (with the samples and learning rate they
were made with), and state k becomes the edited state.  Each segment is a
Trainer and how many of its states the line uses, so that dropping the later
states of a branch, and taking that back, costs nothing: the rows stay where
they are until no undo can reach them.

A segment's trainer is the chain's :class:`engine.training.Trainer` (the
reference's 1-1-1-1) or a :class:`engine.network_training.NetworkTrainer`
(any other shape), and one line may hold both: a learner may change the
shape at any step, which starts a segment like any edit.  What a state
gives is its own trainer's: the chain's parameters, x and y are numbers, a
network's are arrays (W as a matrix, b as a vector, x and y as vectors).

Segments may differ in their optimizer, and in their shape, and so in the
columns of their rows (:func:`engine.compiled.row_for`,
:func:`engine.network.row_columns`).  The line's ``columns`` are the names
of every segment's rows, each once, in one order (:func:`column_order`):
the parameters layer by layer (W before b, a matrix row by row), L, the
gradients in the same order, the optimizer's state (every ``m_``, then
``v_``, then ``s_``, then ``t``).  A column is a name: a chain's ``W1`` and
a network's ``W1[1,1]`` are two columns, and ``W1[1,2]`` is one column
whether its segment is a 2-2-1 network or a 2-3-1 one.  A value a segment does not keep reads NaN (a recorded value
is always finite).  For a line of the chain alone the columns are
:data:`engine.compiled.ROW` and then the state its segments keep, as they
always were; ``L`` is in every segment's rows, so the loss reads across
any change of shape.
"""

import re
from dataclasses import dataclass, replace

import numpy as np

from .network_training import NetworkTrainer
from .terms import STATE_PREFIXES

# A column's name: an optional optimizer-state prefix or the gradient's "dL/d", the
# parameter (W or b and its layer), optional 1-based element indices.
_NAME = re.compile(r"(?:(?P<prefix>[a-z])_|(?P<gradient>dL/d))?(?P<param>[Wb])(?P<layer>\d+)"
                   r"(?:\[(?P<i>\d+)(?:,(?P<j>\d+))?\])?")


def _column_key(name):
    if name == "L":
        return (1,)
    if name == "t":
        return (3, len(STATE_PREFIXES))
    match = _NAME.fullmatch(name)
    if match is None or (match["prefix"] is not None and match["prefix"] not in STATE_PREFIXES):
        return (4, name)   # no column of the engine's: after the rest, by name
    element = (int(match["layer"]), match["param"] == "b", int(match["i"] or 0), int(match["j"] or 0))
    if match["prefix"] is not None:
        return (3, STATE_PREFIXES.index(match["prefix"])) + element
    return (2 if match["gradient"] else 0,) + element


def column_order(names):
    """History columns in the line's order: parameters (by layer, W before b,
    element by element), L, gradients in the parameters' order, then the
    optimizer's state (each prefix in STATE_PREFIXES' order, then ``t``).
    For the chain's columns this is ROW and then
    :func:`engine.terms.state_order`."""
    return tuple(sorted(set(names), key=_column_key))


def _sample_means(samples):
    """Each unit's mean over a (n, width) array's samples, as a derivation
    shows them (the samples contiguous, as its columns are)."""
    return np.ascontiguousarray(samples.T).mean(axis=1)


@dataclass(frozen=True)
class Segment:
    trainer: object
    length: int          # the line uses states 0 .. length-1 of the trainer


class Timeline:
    def __init__(self, trainer):
        self._segments = (Segment(trainer, len(trainer)),)
        self.generation = 0   # changes whenever states other than the newest change

    # --- reading --------------------------------------------------------
    def __len__(self):
        return sum(s.length for s in self._segments)

    @property
    def segments(self):
        return self._segments

    @property
    def trainer(self):
        """The segment that training extends."""
        return self._segments[-1].trainer

    @property
    def divergence(self):
        """The newest segment's Divergence, numbered by the line's states (a
        segment's own count starts where the segment does: the slider, the
        table and the message must name the same step)."""
        divergence = self.trainer.divergence
        if divergence is None:
            return None
        return replace(divergence, step=len(self) - self._segments[-1].length + divergence.step)

    def locate(self, step):
        """(trainer, index in that trainer) of the global state ``step``."""
        if not 0 <= step < len(self):
            raise IndexError(f"state {step} is not in a timeline of {len(self)} states")
        for segment in self._segments:
            if step < segment.length:
                return segment.trainer, step
            step -= segment.length

    def edited_values(self, step):
        """Parameters, x, y and α of a state (x, y: the first sample, what a
        hand edit sets).  A network's parameters are arrays (a matrix per W,
        a column of one per b, as :meth:`NetworkTrainer.params`), its x and y
        the first sample's vectors; the chain's all numbers."""
        trainer, index = self.locate(step)
        if isinstance(trainer, NetworkTrainer):
            return dict(trainer.params(index), x=trainer.x[0].copy(), y=trainer.y[0].copy(),
                        alpha=trainer.alpha)
        return dict(trainer.params(index), x=float(trainer.x[0]), y=float(trainer.y[0]),
                    alpha=trainer.alpha)

    def shown_values(self, step):
        """Parameters, x, y and α of a state as its derivation shows them: a
        dataset's x and y are their means over the samples, as every term is
        (a network's: each unit's mean, a vector of the layer's width)."""
        trainer, index = self.locate(step)
        if isinstance(trainer, NetworkTrainer):
            return dict(trainer.params(index), x=_sample_means(trainer.x), y=_sample_means(trainer.y),
                        alpha=trainer.alpha)
        return dict(trainer.params(index), x=float(np.mean(trainer.x)), y=float(np.mean(trainer.y)),
                    alpha=trainer.alpha)

    def optimizer_state(self, step):
        """The optimizer's state of a state ({} for plain gradient descent)."""
        trainer, index = self.locate(step)
        return trainer.optimizer_state(index)

    def derivation(self, step):
        trainer, index = self.locate(step)
        return trainer.derivation(index)

    def row(self, step):
        """A state's row as its segment records it, of that segment's own
        columns (``locate(step)[0].history.columns``); :meth:`rows` gives it
        in the line's columns."""
        trainer, index = self.locate(step)
        return trainer.history.row(index)

    def _pieces(self, start, stop, read):
        stop = len(self) if stop is None else min(stop, len(self))
        parts, offset = [], 0
        for segment in self._segments:
            lo, hi = max(start - offset, 0), min(stop - offset, segment.length)
            if lo < hi:
                parts.append(read(segment.trainer.history, lo, hi))
            offset += segment.length
        return parts

    @property
    def columns(self):
        """The names of the values of :meth:`rows`: every segment's columns,
        each once, in :func:`column_order` (for the chain alone: ROW, then
        the optimizer state of every segment's network)."""
        segments = self._segments
        cached = getattr(self, "_columns", None)
        if cached is not None and cached[0] is segments:
            return cached[1]
        # Segments of one spec share their row's tuple: each distinct one is read once.
        distinct = {id(c): c for c in (s.trainer.history.columns for s in segments)}
        columns = column_order(n for c in distinct.values() for n in c)
        self._columns = (segments, columns)
        return columns

    def column(self, name, start=0, stop=None):
        """One history column over the whole line, states ``start`` .. ``stop``-1;
        NaN where a segment does not keep ``name``."""
        def read(h, lo, hi):
            return h.column(name, lo, hi) if name in h.index else np.full(hi - lo, np.nan)
        parts = self._pieces(start, stop, read)
        return np.concatenate(parts) if parts else np.empty(0)

    def rows(self, start=0, stop=None):
        """History rows over the whole line, of :attr:`columns`: what the
        history CSV writes.  NaN where a segment does not keep a value."""
        columns = self.columns
        where = {n: i for i, n in enumerate(columns)}

        def read(h, lo, hi):
            rows = h.rows(lo, hi)
            if h.columns == columns:
                return rows
            wide = np.full((len(rows), len(columns)), np.nan)
            wide[:, [where[n] for n in h.columns]] = rows
            return wide
        parts = self._pieces(start, stop, read)
        return np.concatenate(parts) if parts else np.empty((0, len(columns)))

    def params(self, step):
        """A state's parameters: numbers for the chain, arrays for a network."""
        trainer, index = self.locate(step)
        return trainer.params(index)

    # --- changing -------------------------------------------------------
    def run(self, steps, stop_below=None):
        """Train the newest segment; returns its Divergence, if any.  With
        ``stop_below``, the run ends at the first new state whose loss is below
        it (trained a block at a time, then cut back there: a run of the
        states kept gives the same floats)."""
        last = self._segments[-1]
        before = len(last.trainer)
        last.trainer.run(steps)
        if stop_below is not None:
            below = np.flatnonzero(last.trainer.history.column("L", before) < stop_below)
            if len(below):
                last.trainer.truncate(before + int(below[0]) + 1)
        self._segments = self._segments[:-1] + (Segment(last.trainer, len(last.trainer)),)
        return self.divergence

    def extend(self, rows, divergence=None):
        """Append states trained elsewhere from the newest segment's last state
        (by its trainer's ``continued()`` twin): ``rows`` of its columns, and
        the twin's Divergence if it stopped.  Returns the line's Divergence."""
        last = self._segments[-1]
        last.trainer.history.extend(rows)
        last.trainer.divergence = divergence
        self._segments = self._segments[:-1] + (Segment(last.trainer, len(last.trainer)),)
        return self.divergence

    def truncate(self, length):
        """Drop the newest states so that ``length`` remain in the newest
        segment's trainer (taking back a run)."""
        last = self._segments[-1]
        last.trainer.truncate(length)
        self._segments = self._segments[:-1] + (Segment(last.trainer, length),)
        self.generation += 1

    def branch(self, step, trainer):
        """State ``step`` becomes ``trainer``'s first state; later states are dropped."""
        kept, offset = [], 0
        for segment in self._segments:
            if offset + segment.length > step:
                if step > offset:
                    kept.append(Segment(segment.trainer, step - offset))
                break
            kept.append(segment)
            offset += segment.length
        self.restore(tuple(kept) + (Segment(trainer, len(trainer)),))

    def start_over(self, trainer):
        """The line is ``trainer``'s states alone (a reset)."""
        self.restore((Segment(trainer, len(trainer)),))

    def frozen(self):
        """A copy of the line as it is now, sharing its rows, that training,
        undo and branching leave unchanged: what a file is written from."""
        line = Timeline.__new__(Timeline)
        line._segments = tuple(Segment(s.trainer.frozen(s.length), s.length) for s in self._segments)
        line.generation = self.generation
        return line

    def snapshot(self):
        return self._segments

    def restore(self, segments):
        self._segments = tuple(segments)
        self.generation += 1
