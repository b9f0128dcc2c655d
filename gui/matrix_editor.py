"""A compact editor of one matrix or vector of a wider network: W₂ as a
table of its elements (row i = unit i of the layer, column j = unit j of
the layer before), b₂, x or y as one column.  A cell shows its number
compactly (four significant digits, the panel's column is narrow); its
tooltip and its editor give the six decimals of the spinboxes, within the
same range.  Editing a cell says which element changed
(``elementEdited("W2[1,2]", 0.5)``, 1-based); the table does not change the
network itself, the window does and shows the state back (``set_values``).

The values shown may change while the learner types in a cell (training
runs): the open editor keeps what the learner typed."""

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QGuiApplication, QPalette
from PySide6.QtWidgets import QAbstractItemView, QDoubleSpinBox, QHeaderView, QStyledItemDelegate, QTableView

from engine import LIMITS
from engine.elements import element_symbol
from engine.expr import symbol

from .theme import theme

DECIMALS = 6


def cell_text(value):
    """A number in a cell, at most six characters and a sign: four significant
    digits where they fit, fewer where they do not (0.0562), a power of ten
    for the smallest and largest (1.2e−4); the minus sign as the other views write it."""
    for digits in (4, 3, 2):
        text = f"{value:.{digits}g}"
        if len(text.lstrip("-")) <= 6:
            break
    else:
        text = f"{value:.1e}"
    if "e" in text:   # 1e-05 -> 1e−5
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def exact_text(value):
    """The number as the spinboxes write it: six decimals (and the float itself if it has more)."""
    rounded = f"{value:.{DECIMALS}f}"
    return rounded if float(rounded) == value else f"{rounded} ({value!r})"


def limit_name(name):
    """The name whose range (engine.LIMITS) an element of ``name`` has: a parameter's, x's or y's."""
    return name if name in LIMITS else "W1"


class ElementModel(QAbstractTableModel):
    """The elements of one array of the network: ``name`` (``W2``, ``b2``,
    ``x``, ``y``) shown as ``rows`` × ``cols`` (a vector is one column)."""
    elementEdited = Signal(str, float)

    def __init__(self, name, rows, cols, tips=None, columns=None, parent=None):
        super().__init__(parent)
        self.name = name
        self._columns = columns   # a matrix's column headers (where each column's input comes from)
        self.matrix = name.startswith("W")
        self.values = np.zeros((rows, cols))
        self.editable = True
        self.range = LIMITS[limit_name(name)]
        self._tips = tips   # (row, col) 0-based -> what the element is, in words
        self._theme = theme()
        self._theme.themeChanged.connect(self._repaint_all)

    def element_id(self, row, col):
        """The element's id, 1-based: ``W2[1,2]``, ``b2[3]``, ``x[2]``."""
        return f"{self.name}[{row + 1},{col + 1}]" if self.matrix else f"{self.name}[{row + 1}]"

    def element_symbol(self, row, col):
        return element_symbol(self.element_id(row, col))

    def element_name(self, row, col):
        """What a screen reader calls the element: "W₂[1,2], the weight from h₁[2] to h₂[1]"."""
        what = f", {self._tips(row, col)}" if self._tips else ""
        return f"{self.element_symbol(row, col)}{what}"

    def range_text(self):
        low, high = self.range
        return f"range {low:g} to {high:g}"

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else self.values.shape[0]

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else self.values.shape[1]

    def set_values(self, array):
        """Show the state's values: only the cells that changed are repainted."""
        array = np.asarray(array, dtype=float).reshape(self.values.shape)
        changed = np.argwhere(~((array == self.values) | (np.isnan(array) & np.isnan(self.values))))
        if not len(changed):
            return
        self.values = array.copy()
        (top, left), (bottom, right) = changed.min(axis=0), changed.max(axis=0)
        self.dataChanged.emit(self.index(int(top), int(left)), self.index(int(bottom), int(right)))

    def set_editable(self, editable):
        if editable != self.editable:
            self.editable = editable
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

    def outside(self, value):
        low, high = self.range
        return not low <= value <= high

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = float(self.values[index.row(), index.column()])
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(value)
        if role == Qt.ItemDataRole.EditRole:
            return value
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(index.row(), index.column())
        if role == Qt.ItemDataRole.AccessibleTextRole:   # the cell's name replaces its text: say the value too
            return f"{self.element_name(index.row(), index.column())}, {exact_text(value)}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:   # the tooltip's words after the name and value
            return self.tooltip(index.row(), index.column()).partition("\n")[2]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and self.outside(value):
            return QBrush(self._theme.colours.outside)   # as a spinbox outside its range
        if role == Qt.ItemDataRole.ForegroundRole and not self.editable:
            # Greyed as the palette greys (a dataset's means); read when painted, so a new palette is followed.
            return QBrush(QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        if role == Qt.ItemDataRole.ForegroundRole and self.outside(value):
            return QBrush(self._theme.colours.table_text)
        return None

    def _repaint_all(self):
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1), [])

    def tooltip(self, row, col):
        value = float(self.values[row, col])
        low, high = self.range
        what = f": {self._tips(row, col)}" if self._tips else ""
        text = f"{self.element_symbol(row, col)} = {exact_text(value)}{what}"
        if self.outside(value):
            return f"{text}\ntraining took it outside the editable range {low:g} to {high:g}"
        if not self.editable:
            return text
        return f"{text}\n({self.range_text()}; type a number or double-click to edit)"

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        if not self.matrix:
            return symbol(self.name)
        return self._columns[section] if self._columns else str(section + 1)

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return flags | Qt.ItemFlag.ItemIsEditable if self.editable else flags

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        """A learner's edit: said as elementEdited; shown at once, the state shows it back (or the old value)."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not self.editable:
            return False
        value = float(value)
        row, col = index.row(), index.column()
        if value == self.values[row, col]:
            return False
        self.values[row, col] = value
        self.dataChanged.emit(index, index)
        self.elementEdited.emit(self.element_id(row, col), value)
        return True


class ElementDelegate(QStyledItemDelegate):
    """A cell is edited in a spinbox of the panel's kind (six decimals, the
    element's range) without arrows: the cell is narrow."""

    def createEditor(self, parent, option, index):
        box = QDoubleSpinBox(parent)
        box.setDecimals(DECIMALS)
        box.setRange(*index.model().range)
        box.setButtonSymbols(QDoubleSpinBox.ButtonSymbols.NoButtons)
        box.setKeyboardTracking(False)
        box.setFrame(False)
        box.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        model = index.model()
        box.setAccessibleName(model.element_name(index.row(), index.column()))
        box.setAccessibleDescription(f"{model.range_text()}; Enter keeps the number, Escape leaves it")
        return box

    def setEditorData(self, editor, index):
        # Called again whenever the cell's value changes (training runs): the
        # editor keeps what the learner has typed since it opened.
        if editor.property("opened") is not None:
            return
        editor.setValue(index.data(Qt.ItemDataRole.EditRole))
        editor.setProperty("opened", editor.value())

    def setModelData(self, editor, model, index):
        editor.interpretText()
        # Opened and closed unchanged: no edit, even where the box clamped a value training put outside the range.
        if editor.value() != editor.property("opened"):
            model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor, option, index):
        editor.setGeometry(option.rect)


class ElementTable(QTableView):
    """One matrix or vector as a compact table: every row in view, the
    columns scrolled sideways where the panel is narrower than they are."""
    elementEdited = Signal(str, float)

    def __init__(self, name, rows, cols, tips=None, columns=None, parent=None):
        super().__init__(parent)
        self.setObjectName(f"matrix{name}" if name.startswith("W") else f"vector{name}")
        self.element_model = ElementModel(name, rows, cols, tips, columns, self)
        self.setModel(self.element_model)
        self.setItemDelegate(ElementDelegate(self))
        self.element_model.elementEdited.connect(self.elementEdited)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Tab goes on to the panel's next input (the arrows move between cells; Tab in an open editor
        # still takes the next cell): an 8×8 W would otherwise hold Tab for 64 presses.
        self.setTabKeyNavigation(False)
        self.setAccessibleDescription("The arrows move between the elements; type a number (or press F2) "
                                      "to edit one, Enter keeps it")
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        metrics = self.fontMetrics()
        row_height = metrics.height() + 4
        self.column_width = metrics.horizontalAdvance("−0.0000") + 12
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setHighlightSections(False)
        self.verticalHeader().setDefaultSectionSize(row_height)
        self.verticalHeader().setMinimumSectionSize(row_height)
        self.horizontalHeader().setDefaultSectionSize(self.column_width)
        self.horizontalHeader().setMinimumSectionSize(self.column_width)
        self.horizontalHeader().setFixedHeight(row_height)
        self._fit()

    @property
    def name(self):
        return self.element_model.name

    def set_values(self, array):
        self.element_model.set_values(array)

    def values(self):
        return self.element_model.values.copy()

    def set_editable(self, editable):
        """Read-only shows a dataset's means: greyed, and no cell opens an editor."""
        self.element_model.set_editable(editable)

    def element_rect(self, element):
        """Where the cell of ``element`` (``W2[1,2]``) is, in the viewport: for tests and the walk-through."""
        model = self.element_model
        for row in range(model.rowCount()):
            for col in range(model.columnCount()):
                if model.element_id(row, col) == element:
                    return self.visualRect(model.index(row, col))
        raise KeyError(element)

    def content_width(self):
        vertical = self.verticalHeader()
        return (self.element_model.columnCount() * self.column_width
                + (vertical.sizeHint().width() if not vertical.isHidden() else 0) + 2 * self.frameWidth())

    def _content_height(self):
        rows = self.element_model.rowCount() * self.verticalHeader().defaultSectionSize()
        return self.horizontalHeader().height() + rows + 2 * self.frameWidth()

    def _fit(self):
        """Every row in view; the height of a sideways scroll bar added when the columns do not fit."""
        height = self._content_height()
        if self.width() < self.content_width():
            height += self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(height)
        self.setMaximumWidth(self.content_width())

    def hide_row_numbers(self):
        """Beside a matrix whose row numbers it shares (b beside W)."""
        self.verticalHeader().hide()
        self._fit()

    def sizeHint(self):
        # No wider than two columns ask: the panel's column stays as narrow as the chain's.
        return QSize(min(self.content_width(), self._width(2)), self._content_height())

    def minimumSizeHint(self):
        return QSize(self._width(1), self._content_height())

    def _width(self, columns):
        vertical = self.verticalHeader()
        columns = min(self.element_model.columnCount(), columns)
        width = columns * self.column_width + 2 * self.frameWidth() + (
            vertical.sizeHint().width() if not vertical.isHidden() else 0)
        return width

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()
