"""CSV writers over any text stream, and the atomic file write they go through.

Floats are written by the csv module as ``repr``: the shortest text that reads
back as the identical float64.  The history's columns are HISTORY_COLUMNS and
then, for an optimizer that keeps state, its state (``v_W1`` … ``t``); a state
that a segment of a line does not keep is an empty cell.
"""

import csv
import os
import tempfile

from .compiled import ROW
from .history import History
from .limits import PARAMS
from .terms import GRADIENTS

DERIVATION_COLUMNS = ("step", "layer", "quantity", "symbol", "formula", "substitution", "value")
HISTORY_COLUMNS = ("step",) + PARAMS + ("loss",) + GRADIENTS
_HISTORY_ORDER = [ROW.index(c) for c in PARAMS + ("L",) + GRADIENTS]
_BLOCK = 1 << 15


def write_derivations(stream, derivations):
    """``derivations``: iterable of (step, Derivation)."""
    out = csv.writer(stream)
    out.writerow(DERIVATION_COLUMNS)
    for step, derivation in derivations:
        out.writerows((step, t.layer, t.id, t.symbol, t.formula, t.substitution, t.value)
                      for t in derivation)


def history_steps(length, every=1):
    """Indices 0, every, 2·every, … and always the last state."""
    steps = list(range(0, length, every))
    if steps[-1] != length - 1:
        steps.append(length - 1)
    return steps


def history_columns(history):
    """The CSV header of a History or a Timeline: HISTORY_COLUMNS, then the
    optimizer state its rows keep."""
    return HISTORY_COLUMNS + tuple(getattr(history, "columns", ROW)[len(ROW):])


def _cells(row, extra):
    """A row's values with an absent state (NaN) as an empty cell."""
    return row[:-extra] + ["" if v != v else v for v in row[-extra:]]


def write_history(stream, history, every=1):
    """Every ``every``-th state of a History or a Timeline, and the last."""
    out = csv.writer(stream)
    header = history_columns(history)
    out.writerow(header)
    extra = len(header) - len(HISTORY_COLUMNS)
    order = _HISTORY_ORDER + list(range(len(ROW), len(ROW) + extra))
    if every == 1:
        for start in range(0, len(history), _BLOCK):
            block = history.rows(start, start + _BLOCK)[:, order].tolist()
            if extra:
                block = [_cells(row, extra) for row in block]
            out.writerows([start + i, *row] for i, row in enumerate(block))
    else:
        # A Timeline's row(k) is its segment's own row: rows(k, k + 1) has the line's columns.
        read = history.row if isinstance(history, History) else lambda k: history.rows(k, k + 1)[0]
        for step in history_steps(len(history), every):
            row = read(step)[order].tolist()
            out.writerow([step, *(_cells(row, extra) if extra else row)])


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path, write):
    """Call ``write(stream)`` on a temporary file beside ``path``, then move it
    into place.  On any error the temporary file is removed and ``path`` is
    left as it was."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".~", suffix=".part", dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would hide the file from others
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
