"""Every state of a training run, kept compactly.

A state is one row of float64: the parameters, the loss and the gradient
(:data:`engine.compiled.ROW`), then the optimizer's state if it keeps one
(:func:`engine.compiled.row_for`; a history knows its ``columns``).  Rows live
in fixed-size numpy chunks that the training loop writes into directly, so
recording costs no copy and a million states of plain gradient descent take
104 MB with no over-allocation beyond one chunk.

A row, once committed, is never written again: :meth:`truncate` gives the
chunk it cuts into a fresh copy.  So a :meth:`frozen` view, which shares the
chunks, keeps reading the same states while training and undo go on; that is
what lets a large history be written to disk a piece at a time.

A run too long to keep (the command line's ``train --steps 10**9``) can
:meth:`forget` the chunks before a state once they are written out: the
states keep their numbers, so batches and messages still count from 0.
"""

import numpy as np

from .compiled import ROW

COLUMN = {name: i for i, name in enumerate(ROW)}


class History:
    read_only = False

    def __init__(self, chunk_rows=1 << 16, columns=ROW):
        self._chunk_rows = chunk_rows
        self._chunks = []
        self._len = 0
        self._dropped = 0                # chunks forgotten before self._chunks[0]
        self._base = 0                   # the state the first chunk begins with (a tail's: its first)
        self.columns = tuple(columns)    # the name of each value of a row
        self.index = COLUMN if self.columns == ROW else {n: i for i, n in enumerate(self.columns)}

    @classmethod
    def from_rows(cls, rows, chunk_rows=1 << 16, columns=ROW):
        """A history holding a copy of ``rows``, an (n, len(columns)) array."""
        rows = np.asarray(rows, dtype=float)
        if rows.ndim != 2 or rows.shape[1] != len(columns):
            raise ValueError(f"rows must have shape (n, {len(columns)}), got {rows.shape}")
        history = cls(chunk_rows, columns)
        for start in range(0, len(rows), chunk_rows):
            block = rows[start: start + chunk_rows]
            history.free_rows()[:len(block)] = block
            history.commit(len(block))
        return history

    def __len__(self):
        return self._len

    @property
    def first_kept(self):
        """The first state whose row is still kept (0 unless :meth:`forget` dropped some)."""
        return self._base + self._dropped * self._chunk_rows

    def _locate(self, index):
        if not -self._len <= index < self._len:
            raise IndexError(f"state {index} is not in a history of {self._len} states")
        index %= self._len
        if index < self.first_kept:
            raise IndexError(f"state {index} was forgotten (the first kept is {self.first_kept})")
        chunk, offset = divmod(index - self._base, self._chunk_rows)
        return chunk - self._dropped, offset

    def free_rows(self):
        """A writable block of rows after the last state (never empty); the
        caller fills some of them and then calls :meth:`commit`."""
        if self.read_only:
            raise TypeError("a frozen view of a history cannot be written to")
        chunk, used = divmod(self._len - self._base, self._chunk_rows)
        chunk -= self._dropped
        if chunk == len(self._chunks):
            self._chunks.append(np.empty((self._chunk_rows, len(self.columns))))
        return self._chunks[chunk][used:]

    def commit(self, rows):
        self._len += rows

    def append(self, row):
        self.free_rows()[0] = row
        self.commit(1)

    def row(self, index):
        chunk, offset = self._locate(index)
        return self._chunks[chunk][offset].copy()

    def _blocks(self, start, stop):
        stop = self._len if stop is None else min(stop, self._len)
        if start < self.first_kept and start < stop:
            raise IndexError(f"state {start} was forgotten (the first kept is {self.first_kept})")
        while start < stop:
            chunk, offset = self._locate(start)
            take = min(self._chunk_rows - offset, stop - start)
            yield self._chunks[chunk][offset: offset + take]
            start += take

    def rows(self, start=0, stop=None):
        """States ``start`` to ``stop`` (exclusive) as one (k, len(columns)) array."""
        blocks = list(self._blocks(start, stop))
        return np.concatenate(blocks) if blocks else np.empty((0, len(self.columns)))

    def column(self, name, start=0, stop=None):
        """One column of states ``start`` to ``stop``, copied without the rest."""
        blocks = [b[:, self.index[name]] for b in self._blocks(start, stop)]
        return np.concatenate(blocks) if blocks else np.empty(0)

    def truncate(self, length):
        """Keep the first ``length`` states (at least one)."""
        if not 1 <= length <= self._len:
            raise IndexError(f"cannot keep {length} of {self._len} states")
        if self.read_only:
            raise TypeError("a frozen view of a history cannot be truncated")
        if length <= self.first_kept:
            raise IndexError(f"cannot keep {length} states: the first {self.first_kept} were forgotten")
        if length == self._len:
            return
        last, used = self._locate(length - 1)
        del self._chunks[last + 1:]
        # Later states will be written where the dropped ones were: into a copy,
        # since a frozen view may still read the dropped ones from this chunk.
        chunk = np.empty_like(self._chunks[last])
        chunk[:used + 1] = self._chunks[last][:used + 1]
        self._chunks[last] = chunk
        self._len = length

    def frozen(self, length=None):
        """A read-only view of the first ``length`` states (default all) that
        later appends and truncations leave unchanged; it shares the rows."""
        length = self._len if length is None else length
        if not 0 <= length <= self._len:
            raise IndexError(f"cannot view {length} of {self._len} states")
        if 0 < length <= self.first_kept:
            raise IndexError(f"cannot view {length} states: the first {self.first_kept} were forgotten")
        view = History(self._chunk_rows, self.columns)
        chunks = (length - self._base + self._chunk_rows - 1) // self._chunk_rows
        view._chunks = self._chunks[:max(0, chunks - self._dropped)]
        view._dropped, view._base = self._dropped, self._base
        view._len = length
        view.read_only = True
        return view

    def tail(self):
        """A writable history of its own that goes on from this one's last
        state: the states keep their numbers; only the last state is kept (a
        copy), the earlier ones are forgotten.  What a trainer training on
        beside this one (engine.training.Trainer.continued), or in another
        process, writes into: it reads no earlier state."""
        tail = History(self._chunk_rows, self.columns)
        tail._base = tail._len = self._len - 1
        tail.append(self.row(-1))
        return tail

    def extend(self, rows):
        """Append ``rows``, a (k, len(columns)) array (copied)."""
        done = 0
        while done < len(rows):
            block = self.free_rows()
            take = min(len(block), len(rows) - done)
            block[:take] = rows[done:done + take]
            self.commit(take)
            done += take

    def forget(self, before):
        """Drop the rows of the whole chunks that hold only states before
        ``before``, to free their memory; the other states keep their numbers.
        Reading a dropped state is an IndexError."""
        if not 0 <= before < self._len:
            raise IndexError(f"cannot forget up to state {before} of {self._len} states: the last stays")
        if self.read_only:
            raise TypeError("a frozen view of a history cannot forget states")
        chunk = (before - self._base) // self._chunk_rows
        if chunk > self._dropped:
            # A frozen view that shares the dropped chunks keeps them alive as long as it needs them.
            del self._chunks[:chunk - self._dropped]
            self._dropped = chunk

    # Pickled (to train on in another process) with only the rows it holds:
    # a chunk's unwritten rows are made again where it is unpickled.
    def __getstate__(self):
        state = dict(vars(self))
        if self._chunks:
            used = (self._len - 1 - self._base) % self._chunk_rows
            state["_chunks"] = self._chunks[:-1] + [self._chunks[-1][:used + 1]]
        return state

    def __setstate__(self, state):
        vars(self).update(state)
        if self._chunks and len(self._chunks[-1]) < self._chunk_rows:
            last = np.empty((self._chunk_rows, len(self.columns)))
            last[:len(self._chunks[-1])] = self._chunks[-1]
            self._chunks[-1] = last

    def nbytes(self):
        return sum(c.nbytes for c in self._chunks)
