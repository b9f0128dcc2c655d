"""CSV writers over any text stream.  The atomic file write they go through is
:mod:`engine.atomic`; ``AtomicFile`` and ``write_atomically`` are importable here too.

Floats are written by the csv module as ``repr``: the shortest text that reads
back as the identical float64.  The history's columns are HISTORY_COLUMNS and
then, for an optimizer that keeps state, its state (``v_W1`` … ``t``); a state
that a segment of a line does not keep is an empty cell.
"""

import csv

import numpy as np

from .atomic import AtomicFile, write_atomically  # noqa: F401 -- the writer every file goes through
from .compiled import ROW
from .history import History
from .limits import PARAMS
from .terms import GRADIENTS

# The seven columns of a term, then the numerical check of the six gradients
# (engine.gradcheck): the central difference and its relative error, empty elsewhere.
DERIVATION_COLUMNS = ("step", "layer", "quantity", "symbol", "formula", "substitution", "value",
                      "numerical", "relative_error")
HISTORY_COLUMNS = ("step",) + PARAMS + ("loss",) + GRADIENTS
_BLOCK = 512         # states per piece: about 8 ms of writing, so a window can interleave its events


def derivation_chunks(stream, derivations):
    """Write ``derivations``, an iterable of ``(step, Derivation)`` or
    ``(step, Derivation, checks)`` (the :class:`engine.gradcheck.Check` of
    its gradients: :func:`engine.gradcheck.trainer_checks`), yielding after
    each one (see :func:`write_atomically`).  Without checks the two check
    columns are empty."""
    out = csv.writer(stream)
    out.writerow(DERIVATION_COLUMNS)
    for step, derivation, *checks in derivations:
        by_id = {f"dL/d{c.param}": (c.numeric, c.relative_error) for c in (checks[0] if checks else ()) or ()}
        out.writerows((step, t.layer, t.id, t.symbol, t.formula, t.substitution, t.value,
                       *by_id.get(t.id, ("", "")))
                      for t in derivation)
        yield


def write_derivations(stream, derivations):
    finish(derivation_chunks(stream, derivations))


def finish(chunks):
    """Run a writer that yields between its pieces to the end."""
    for _ in chunks:
        pass


def history_steps(length, every=1):
    """Indices 0, every, 2·every, … and always the last state."""
    steps = list(range(0, length, every))
    if steps[-1] != length - 1:
        steps.append(length - 1)
    return steps


def history_columns(history):
    """The CSV header of a History or a Timeline: HISTORY_COLUMNS, then the
    optimizer state its rows keep; a wider network's: 'step', then its row's
    columns (every parameter element, 'loss', every gradient element, the state)."""
    columns = tuple(getattr(history, "columns", ROW))
    if columns[:len(ROW)] != ROW:
        return ("step",) + tuple("loss" if c == "L" else c for c in columns)
    return HISTORY_COLUMNS + columns[len(ROW):]


def _cells(block):
    """Rows of values with an absent value (NaN: a state an optimizer does not
    keep, an element a segment of another shape has not) as an empty cell.
    A recorded value itself is never NaN: training stops before one."""
    rows = block.tolist()
    if not np.isnan(block).any():
        return rows
    return [["" if v != v else v for v in row] for row in rows]


def history_chunks(stream, history, every=1):
    """Write every ``every``-th state of a History or a Timeline, and the
    last, yielding after each block of about _BLOCK states."""
    out = csv.writer(stream)
    header = history_columns(history)
    out.writerow(header)
    columns = list(getattr(history, "columns", ROW))
    order = [columns.index("L" if c == "loss" else c) for c in header[1:]]
    if every == 1:
        for start in range(0, len(history), _BLOCK):
            block = _cells(history.rows(start, start + _BLOCK)[:, order])
            out.writerows([start + i, *row] for i, row in enumerate(block))
            yield
    else:
        # A Timeline's row(k) is its segment's own row: rows(k, k + 1) has the line's columns.
        read = history.row if isinstance(history, History) else lambda k: history.rows(k, k + 1)[0]
        steps = history_steps(len(history), every)
        for start in range(0, len(steps), _BLOCK):
            for step in steps[start:start + _BLOCK]:
                out.writerow([step, *_cells(read(step)[order][np.newaxis])[0]])
            yield


def write_history(stream, history, every=1):
    finish(history_chunks(stream, history, every))
