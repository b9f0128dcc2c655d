"""The dataset panel's rows as a Qt table model over float64 arrays, one a column.

A table widget kept an item object per cell: a million samples took 1.7 GB
and seconds for every redraw of the panel.  Here a million samples cost their
two arrays (16 MB), and the view asks only for the cells it paints.

The chain's samples are two 1-d arrays, the columns ``x, y``.  A wider
network's are (n, inputs) and (n, outputs) arrays, the columns
``x1 … xn, y1 … ym`` (engine.dataset.columns_header: ``x, y`` for one and
one); the model then gives them back as such tables.

A cell is a finite float64 within the engine's limits, or blank (NaN, a row
just added): typed text that is no such number is refused, the cell kept.
"""

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal

from engine import LIMITS
from engine.dataset import columns_header, parse_number

COLUMNS = ("x", "y")      # the chain's
BLANK = math.nan      # a cell not typed yet: typed numbers are finite, so NaN is never one
_MANY_RUNS = 8        # removing more separate runs of rows than this: one reset, not a copy per run


def cell_text(value):
    """The shortest text that reads back as the same float64 (repr), or ""
    for a blank cell."""
    return "" if math.isnan(value) else repr(float(value))


class DatasetModel(QAbstractTableModel):
    """Rows of (x, y), or of (x1 … xn, y1 … ym) for a wider network.
    ``refused(message)`` when typed text is not taken."""

    refused = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._columns = [np.empty(0), np.empty(0)]
        self._names = COLUMNS
        self._widths = None      # (inputs, outputs) of a wider network's tables; None: the chain's 1-d arrays
        # The arrays given to set_arrays may be the engine's own: they are copied
        # at the first edit, not before (showing a segment's samples costs nothing).
        self._owned = True

    # --- the data -------------------------------------------------------
    def set_arrays(self, x, y):
        """Rows of the samples: two 1-d arrays (the chain's), or two 2-d
        (n, inputs) and (n, outputs) arrays (a wider network's, the columns
        x1 … xn, y1 … ym; a 1-d one of them is one column)."""
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.ndim < 2 and y.ndim < 2:
            x, y = x.reshape(-1), y.reshape(-1)
            if x.shape != y.shape:
                raise ValueError(f"x and y differ in length ({len(x)} and {len(y)})")
            columns, widths = [x, y], None
        else:
            x, y = (a.reshape(-1, 1) if a.ndim < 2 else a for a in (x, y))
            if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or 0 in (x.shape[1], y.shape[1]):
                raise ValueError(f"x and y must be tables of as many rows, got {x.shape} and {y.shape}")
            widths = (x.shape[1], y.shape[1])
            columns = [x[:, i] for i in range(widths[0])] + [y[:, k] for k in range(widths[1])]
        self.beginResetModel()
        self._columns, self._owned, self._widths = columns, False, widths
        self._names = COLUMNS if widths is None else columns_header(*widths)
        self.endResetModel()

    def widths(self):
        """(inputs, outputs) of a wider network's rows, or None for the chain's."""
        return self._widths

    def arrays(self):
        """Copies of x and y (NaN for blank cells): 1-d for the chain, else
        (n, inputs) and (n, outputs) arrays."""
        if self._widths is None:
            return self._columns[0].copy(), self._columns[1].copy()
        inputs = self._widths[0]
        n = self.rowCount()
        return (np.column_stack(self._columns[:inputs]).reshape(n, inputs),
                np.column_stack(self._columns[inputs:]).reshape(n, len(self._columns) - inputs))

    def texts(self):
        """Each column as the cells show it, a list of text ("" for a blank cell):
        x and y for the chain, x1 … xn, y1 … ym for a wider network."""
        return tuple([cell_text(v) for v in column.tolist()] for column in self._columns)

    def _own(self):
        if not self._owned:
            # A column of a table given is a strided view: copied, each column is contiguous.
            self._columns, self._owned = [np.array(c) for c in self._columns], True

    # --- QAbstractTableModel -----------------------------------------------
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._columns[0])

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ToolTipRole and self._widths is not None and index.isValid():
            return cell_text(float(self._columns[index.column()][index.row()])) or None   # a narrow column's whole number
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return None
        return cell_text(float(self._columns[index.column()][index.row()]))

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or section < 0:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._names[section] if section < len(self._names) else None
        return str(section + 1) if section < self.rowCount() else None   # rows counted from 1, as before

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        row, column = index.row(), index.column()
        name = self._names[column]
        number, why = self._number(name[0], value)   # x2 has the limits of x
        if why:
            self.refused.emit(f"Row {row + 1}, {name}: {why}; the cell keeps "
                              f"{cell_text(float(self._columns[column][row])) or 'its blank'}.")
            return False
        self._own()
        self._columns[column][row] = number
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole])
        return True

    @staticmethod
    def _number(name, value):
        """``(float, None)`` for a value a cell may hold, else ``(None, why not)``."""
        if isinstance(value, bool):
            return None, f"{value!r} is not a number"
        if isinstance(value, (int, float)):
            number = float(value)
            shown = repr(value)
        else:
            shown = str(value).strip()
            try:
                # A true minus (−), as the window shows negative numbers, is a minus.
                number = parse_number(shown.replace("−", "-"))
            except ValueError as why:
                return None, f"{shown[:40]!r} is {why}" if str(why) == "not a number" else f"{shown[:40]!r} {why}"
        if not math.isfinite(number):
            return None, f"{shown[:40]} must be finite"
        low, high = LIMITS[name]
        if not low <= number <= high:
            return None, f"{shown[:40]} is outside [{low:g}, {high:g}]"
        return number, None

    def insertRows(self, row, count, parent=QModelIndex()):
        """Blank rows before ``row``."""
        if parent.isValid() or count < 1 or not 0 <= row <= self.rowCount():
            return False
        self.beginInsertRows(QModelIndex(), row, row + count - 1)
        self._columns = [np.insert(c, row, np.full(count, BLANK)) for c in self._columns]
        self._owned = True
        self.endInsertRows()
        return True

    def removeRows(self, row, count, parent=QModelIndex()):
        if parent.isValid() or count < 1 or row < 0 or row + count > self.rowCount():
            return False
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        self._columns = [np.delete(c, slice(row, row + count)) for c in self._columns]
        self._owned = True
        self.endRemoveRows()
        return True

    def remove_row_ranges(self, ranges):
        """Remove the rows of ``ranges`` ((first, last) pairs, which may overlap).
        Each run is removed from the last up, so that the view keeps its place;
        many scattered runs go at once, as a copy per run would take long."""
        keep = np.ones(self.rowCount(), dtype=bool)
        for first, last in ranges:
            keep[max(first, 0):last + 1] = False
        if keep.all():
            return
        edges = np.flatnonzero(np.diff(np.concatenate(([1], keep.view(np.int8), [1]))))
        runs = list(zip(edges[0::2], edges[1::2]))      # [start, stop) of each run removed
        if len(runs) > _MANY_RUNS:
            self.beginResetModel()
            self._columns, self._owned = [c[keep] for c in self._columns], True
            self.endResetModel()
            return
        for start, stop in reversed(runs):
            self.removeRows(int(start), int(stop - start))
