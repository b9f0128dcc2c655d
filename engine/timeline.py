"""Every state a learner has made, as one numbered line of states.

Training appends states; a hand edit at state k starts a new *segment* there:
the states before k stay as they were (with the samples and learning rate they
were made with), and state k becomes the edited state.  Each segment is a
Trainer and how many of its states the line uses, so that dropping the later
states of a branch, and taking that back, costs nothing: the rows stay where
they are until no undo can reach them.

Segments may differ in their optimizer and so in the optimizer-state columns
of their rows (:func:`engine.compiled.row_for`): the line's ``columns`` are
:data:`engine.compiled.ROW` and then every segment's state columns; a value
a segment does not keep reads NaN (a recorded value is always finite).
"""

from dataclasses import dataclass, replace

import numpy as np

from .compiled import ROW
from .history import COLUMN
from .limits import PARAMS
from .terms import state_order


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
        """Parameters, x, y and α of a state (x, y: the first sample, what a hand edit sets)."""
        trainer, index = self.locate(step)
        return dict(trainer.params(index), x=float(trainer.x[0]), y=float(trainer.y[0]),
                    alpha=trainer.alpha)

    def shown_values(self, step):
        """Parameters, x, y and α of a state as its derivation shows them: a
        dataset's x and y are their means over the samples, as every term is."""
        trainer, index = self.locate(step)
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
        """The names of the values of :meth:`rows`: ROW, then the optimizer
        state of every segment's network, in the canonical order."""
        extra = {n for s in self._segments for n in s.trainer.history.columns[len(ROW):]}
        return ROW + state_order(extra)

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

        def read(h, lo, hi):
            rows = h.rows(lo, hi)
            if h.columns == columns:
                return rows
            wide = np.full((len(rows), len(columns)), np.nan)
            wide[:, [columns.index(n) for n in h.columns]] = rows
            return wide
        parts = self._pieces(start, stop, read)
        return np.concatenate(parts) if parts else np.empty((0, len(columns)))

    def params(self, step):
        row = self.row(step)
        return {p: float(row[COLUMN[p]]) for p in PARAMS}

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
