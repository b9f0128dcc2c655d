"""CSV writers over any text stream, and the atomic file write they go through.

Floats are written by the csv module as ``repr``: the shortest text that reads
back as the identical float64.
"""

import csv
import os
import tempfile

from .compiled import ROW
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


def write_history(stream, history, every=1):
    out = csv.writer(stream)
    out.writerow(HISTORY_COLUMNS)
    if every == 1:
        for start in range(0, len(history), _BLOCK):
            block = history.rows(start, start + _BLOCK)[:, _HISTORY_ORDER].tolist()
            out.writerows([start + i, *row] for i, row in enumerate(block))
    else:
        for step in history_steps(len(history), every):
            out.writerow([step, *history.row(step)[_HISTORY_ORDER].tolist()])


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
