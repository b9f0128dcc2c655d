"""The dataset: (x, y) rows to edit, import or export, presets, and how the
updates use them (full batch, mini-batches, one sample at a time); beside it,
the data and the network's ŷ(x) curve."""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QAbstractItemView, QAbstractSpinBox, QCheckBox, QComboBox, QFormLayout,
                               QHBoxLayout, QLabel, QPushButton, QSpinBox, QTableView, QVBoxLayout, QWidget)

from engine.dataset import PRESET_TEXT, PRESETS, preset
from engine.derivation import evaluate

from .dataset_model import DatasetModel
from .shown import DrawnWhenVisible

FULL, MINI, ONE = "full batch", "mini-batches", "one sample at a time"
SEED_DIGITS = 30     # a shuffle seed as long as a session file's whole numbers may be
MIN_RANGE = 1e-100   # the narrowest range the data plot shows


class SeedBox(QAbstractSpinBox):
    """A whole number from 0 up, of any size up to SEED_DIGITS digits: the
    engine takes any shuffle seed, and a session may hold one past QSpinBox's
    2³¹ − 1, which must be shown as it is, not clamped (nor overflow)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._value = 0
        self.lineEdit().setText("0")
        self.editingFinished.connect(self._commit)

    def value(self):
        """The number typed (the last whole one, while the text is empty)."""
        text = self.text().strip()
        if text.isascii() and text.isdigit() and len(text) <= SEED_DIGITS:
            self._value = int(text)
        return self._value

    def setValue(self, value):
        self._value = max(0, int(value))
        self.lineEdit().setText(str(self._value))

    def _commit(self):
        self.setValue(self.value())

    def validate(self, text, pos):
        stripped = text.strip()
        if not stripped:
            return QValidator.State.Intermediate, text, pos
        if stripped.isascii() and stripped.isdigit() and len(stripped) <= SEED_DIGITS:
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Invalid, text, pos

    def fixup(self, text):
        return str(self._value)

    def stepBy(self, steps):
        self.setValue(max(0, self.value() + steps))

    def stepEnabled(self):
        flags = QAbstractSpinBox.StepEnabledFlag
        return flags.StepUpEnabled | (flags.StepDownEnabled if self.value() > 0 else flags.StepNone)


class DatasetPanel(QWidget):
    applied = Signal(object, object, object, object)   # x, y, batch_size (None: full), shuffle seed
    importRequested = Signal()
    exportRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("datasetPanel")
        self.model = DatasetModel(self)
        self.table = QTableView()
        self.table.setObjectName("datasetTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Every row as high as the others: the header then never measures a row (a million of them).
        self.table.verticalHeader().setSectionResizeMode(self.table.verticalHeader().ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.preset = QComboBox()
        self.preset.setObjectName("datasetPreset")
        self.preset.addItems(list(PRESETS))
        for index, name in enumerate(PRESETS):
            self.preset.setItemData(index, PRESET_TEXT[name], Qt.ItemDataRole.ToolTipRole)
        # What the chosen preset can teach, before it is loaded: one cannot be fitted at all.
        self.preset_text = QLabel()
        self.preset_text.setObjectName("presetText")
        self.preset_text.setWordWrap(True)
        self.preset.currentTextChanged.connect(lambda name: self.preset_text.setText(PRESET_TEXT[name]))
        self.preset_text.setText(PRESET_TEXT[self.preset.currentText()])
        buttons = {}
        for name, text, slot in (("add", "Add row", self.add_row), ("remove", "Remove rows", self.remove_rows),
                                 ("preset", "Load preset", self.load_preset),
                                 ("import", "Import CSV…", self.importRequested.emit),
                                 ("export", "Export CSV…", self.exportRequested.emit)):
            buttons[name] = QPushButton(text)
            buttons[name].clicked.connect(slot)
        self.mode = QComboBox()
        self.mode.setObjectName("batchMode")
        self.mode.addItems([FULL, MINI, ONE])
        self.batch_size = QSpinBox()
        self.batch_size.setObjectName("batchSize")
        self.batch_size.setRange(1, 1_000_000)
        self.batch_size.setValue(8)
        self.shuffle = QCheckBox("shuffle, seed")
        self.shuffle.setObjectName("shuffle")
        self.seed = SeedBox()
        self.seed.setObjectName("shuffleSeed")
        self.apply_button = QPushButton("Train on these samples")
        self.apply_button.setObjectName("applyDataset")
        self.apply_button.setToolTip("From the shown state on, updates use these samples (a new branch)")
        self.apply_button.clicked.connect(self.apply)
        self.message = QLabel()
        self.message.setObjectName("datasetMessage")
        self.message.setWordWrap(True)
        self.model.refused.connect(self.message.setText)
        self.model.dataChanged.connect(lambda *_: self.message.clear())   # a refusal is old news once a cell took

        rows = QHBoxLayout()
        rows.addWidget(buttons["add"])
        rows.addWidget(buttons["remove"])
        files = QHBoxLayout()
        files.addWidget(buttons["import"])
        files.addWidget(buttons["export"])
        presets = QHBoxLayout()
        presets.addWidget(self.preset, 1)
        presets.addWidget(buttons["preset"])
        batching = QFormLayout()
        batching.addRow("updates use", self.mode)
        batching.addRow("batch size", self.batch_size)
        shuffle = QHBoxLayout()
        shuffle.addWidget(self.shuffle)
        shuffle.addWidget(self.seed)
        batching.addRow(shuffle)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(rows)
        layout.addLayout(presets)
        layout.addWidget(self.preset_text)
        layout.addLayout(files)
        layout.addLayout(batching)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.message)
        self.mode.currentTextChanged.connect(self._enable)
        self._enable()

    def _enable(self, *_):
        mini = self.mode.currentText() == MINI
        self.batch_size.setEnabled(mini)
        self.shuffle.setEnabled(self.mode.currentText() != FULL)
        self.seed.setEnabled(self.mode.currentText() != FULL)

    # --- rows -----------------------------------------------------------
    def set_rows(self, x, y):
        """Show the samples x and y (numbers; arrays are not copied until edited)."""
        self.model.set_arrays(x, y)
        self.message.clear()

    def rows(self):
        """The rows as two lists of text, as the cells show them ("" for a
        blank one): what export and the engine's checks read."""
        return self.model.texts()

    def add_row(self):
        """A blank row at the end, its x cell ready to be typed in."""
        row = self.model.rowCount()
        self.model.insertRow(row)
        self.table.setCurrentIndex(self.model.index(row, 0))
        self.table.scrollToBottom()

    def remove_rows(self):
        ranges = [(r.top(), r.bottom()) for r in self.table.selectionModel().selection()]
        self.table.clearSelection()
        self.model.remove_row_ranges(ranges)

    def load_preset(self):
        self.set_rows(*preset(self.preset.currentText()))

    def show_samples(self, x, y, batch_size, seed):
        """Show the shown segment's samples and how its updates use them."""
        self.set_rows(x, y)
        if batch_size is None or batch_size >= len(x):
            self.mode.setCurrentText(FULL)
        else:
            self.mode.setCurrentText(ONE if batch_size == 1 else MINI)
            self.batch_size.setValue(batch_size)
        self.shuffle.setChecked(seed is not None)
        if seed is not None:
            self.seed.setValue(seed)

    def batching(self):
        mode = self.mode.currentText()
        size = None if mode == FULL else (1 if mode == ONE else self.batch_size.value())
        seed = self.seed.value() if size is not None and self.shuffle.isChecked() else None
        return size, seed

    def apply(self):
        """Ask to train on the rows: arrays, a blank cell NaN (the engine refuses
        it, naming the sample), never a text per cell."""
        x, y = self.model.arrays()
        size, seed = self.batching()
        self.applied.emit(x, y, size, seed)


class DataPlot(DrawnWhenVisible, pg.PlotWidget):
    """The samples and the network's ŷ(x) over their range."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setObjectName("dataPlot")
        item = self.getPlotItem()
        item.setTitle("Data and the network's ŷ(x)", color=(40, 40, 40))
        item.setLabel("bottom", "x")
        item.setLabel("left", "y")
        item.showGrid(x=True, y=True, alpha=0.25)
        # Samples and ŷ within a few denormals of each other (5e−324, 3e−323) would make
        # the view's scale overflow: pyqtgraph then fails in every paint.  No range is narrower.
        item.setLimits(minXRange=MIN_RANGE, minYRange=MIN_RANGE)
        self.points = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(214, 96, 77), pen=None)
        item.addItem(self.points)
        self.curve = item.plot(pen=pg.mkPen(33, 102, 172, width=2))
        self._key = None

    def draw(self, shown):
        params = shown.params
        key = (shown.segment, tuple(params.values()))   # the segment itself: a new one may reuse an id
        if key == self._key:
            return
        self._key = key
        self.points.setData(shown.x, shown.y)
        low, high = float(shown.x.min()), float(shown.x.max())
        pad = max(0.5, 0.1 * (high - low))
        xs = np.linspace(low - pad, high + pad, 200)
        # ŷ of each x, by the state's own compiled formulas (y plays no part in ŷ)
        yhat = evaluate(params, xs, np.zeros_like(xs), shown.alpha, shown.spec)["yhat"]
        self.curve.setData(xs, yhat)

