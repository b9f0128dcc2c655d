"""A min/max summary of a growing series, so a plot of a million losses
draws a few thousand points.  Buckets of equal size, the size doubling when
they grow too many; each refresh reads only the new values."""

import numpy as np


class PeakEnvelope:
    """``read(start, stop)`` gives values start..stop-1 of the series."""

    def __init__(self, max_buckets=2048):
        self.max_buckets = max_buckets
        self.reset()

    def reset(self):
        self.size = 1          # values per bucket
        self.covered = 0       # values summarized in complete buckets
        self._lo = np.empty(0)
        self._hi = np.empty(0)

    @property
    def buckets(self):
        return self.covered // self.size

    def extend(self, read, length):
        """Summarize the series up to ``length`` values."""
        while True:
            # The newest value stays in the raw tail: the curve always ends at the last state.
            new = (length - 1 - self.covered) // self.size
            if new > 0:
                block = read(self.covered, self.covered + new * self.size).reshape(new, self.size)
                self._lo = np.concatenate([self._lo, block.min(axis=1)])
                self._hi = np.concatenate([self._hi, block.max(axis=1)])
                self.covered += new * self.size
            if self.buckets <= self.max_buckets:
                return
            even = self.buckets - self.buckets % 2      # an odd last bucket is read again, doubled
            self._lo = np.minimum(self._lo[0:even:2], self._lo[1:even:2])
            self._hi = np.maximum(self._hi[0:even:2], self._hi[1:even:2])
            self.size *= 2
            self.covered = even // 2 * self.size

    def points(self, read, length):
        """(x, y): each bucket's least and greatest value, then the raw tail."""
        x, y = _pairs(self._lo, self._hi, self.size, 0)
        tail = np.arange(self.covered, length, dtype=float)
        return np.concatenate([x, tail]), np.concatenate([y, read(self.covered, length)])


def _pairs(lo, hi, size, start):
    """Points at each bucket's start (its least value) and middle (its greatest)."""
    x = np.repeat(start + np.arange(len(lo)) * float(size), 2)
    x[1::2] += size / 2
    y = np.empty(2 * len(lo))
    y[0::2], y[1::2] = lo, hi
    return x, y


def peaks(values, size, start=0):
    """(x, y) of the values ``start``… as the min and max of each ``size`` of
    them, and the values past the last whole bucket as they are."""
    whole = len(values) // size * size
    block = values[:whole].reshape(-1, size)
    x, y = _pairs(block.min(axis=1), block.max(axis=1), size, start)
    return (np.concatenate([x, np.arange(start + whole, start + len(values), dtype=float)]),
            np.concatenate([y, values[whole:]]))
