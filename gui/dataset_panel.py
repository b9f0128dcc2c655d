"""The dataset: (x, y) rows to edit, import or export, presets, and how the
updates use them (full batch, mini-batches, one sample at a time).  The Data
tab beside it (DataPlot) is gui/data_plot.py, imported here for the window.

For a wider network the rows are x1 … xn, y1 … ym (the header of its CSV
files, engine.dataset.columns_header), the presets those of its input width
(one input: today's; two: xor, circle, two blobs), and Apply sends (n, inputs)
and (n, outputs) arrays.  The panel learns the widths from the samples it is
shown (show_samples, set_rows): the chain's are 1-d, a wider network's 2-d."""

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QAbstractItemView, QAbstractSpinBox, QCheckBox, QComboBox, QFormLayout,
                               QHBoxLayout, QLabel, QPushButton, QSpinBox, QTableView, QVBoxLayout, QWidget)

from engine.dataset import PRESET_TEXT, PRESETS, check_columns, check_dataset, preset, preset_text, presets_for

from .dataset_model import DatasetModel

FULL, MINI, ONE = "full batch", "mini-batches", "one sample at a time"
# Each input's accessible name and description (a screen reader's words for the row beside its label).
SPOKEN = {
    "datasetTable": ("Samples", "One row a sample: its inputs x, then its targets y. Type in a cell to change it"),
    "datasetPreset": ("Preset", "A ready-made dataset; Load preset puts its rows in the table"),
    "batchMode": ("Updates use", f"How each update uses the samples: {FULL}, {MINI} or {ONE}"),
    "batchSize": ("Batch size", "How many samples each mini-batch holds"),
    "shuffle": ("Shuffle the samples", "Each pass over the samples takes them in a new order, from the seed"),
    "shuffleSeed": ("Shuffle seed", "The same seed gives the same order of samples"),
}
SEED_DIGITS = 30     # a shuffle seed as long as a session file's whole numbers may be


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
        self._minimum_section = self.table.horizontalHeader().minimumSectionSize()
        self.preset = QComboBox()
        self.preset.setObjectName("datasetPreset")
        self.preset.addItems(list(PRESETS))
        for index, name in enumerate(PRESETS):
            self.preset.setItemData(index, PRESET_TEXT[name], Qt.ItemDataRole.ToolTipRole)
        self._offered = None   # the widths whose presets are offered; None: the chain's
        # What the chosen preset can teach, before it is loaded: one cannot be fitted at all.
        self.preset_text = QLabel()
        self.preset_text.setObjectName("presetText")
        self.preset_text.setWordWrap(True)
        self.preset.currentTextChanged.connect(self._describe)
        self.preset_text.setText(PRESET_TEXT[self.preset.currentText()])
        buttons = {}
        for name, text, slot in (("add", "Add row", self.add_row), ("remove", "Remove rows", self.remove_rows),
                                 ("preset", "Load preset", self.load_preset),
                                 ("import", "Import CSV…", self.importRequested.emit),
                                 ("export", "Export CSV…", self.exportRequested.emit)):
            buttons[name] = QPushButton(text)
            buttons[name].clicked.connect(slot)
        self.load_button = buttons["preset"]
        self.load_button.setObjectName("loadPreset")
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
        for widget in (self.table, self.preset, self.mode, self.batch_size, self.shuffle, self.seed):
            name, description = SPOKEN[widget.objectName()]
            widget.setAccessibleName(name)
            widget.setAccessibleDescription(description)

    def _enable(self, *_):
        mini = self.mode.currentText() == MINI
        self.batch_size.setEnabled(mini)
        self.shuffle.setEnabled(self.mode.currentText() != FULL)
        self.seed.setEnabled(self.mode.currentText() != FULL)

    # --- the network's widths -----------------------------------------------
    def widths(self):
        """(inputs, outputs) of the rows: (1, 1) for the chain's.  A CSV file
        of them is ``engine.dataset.read_csv(path, *panel.widths())``."""
        return self.model.widths() or (1, 1)

    def _follow_widths(self):
        """Columns and presets for the rows' widths, after the model took new rows."""
        header = self.table.horizontalHeader()
        if self.model.widths() is None:
            if header.sectionResizeMode(0) != header.ResizeMode.Interactive:
                header.setSectionResizeMode(header.ResizeMode.Interactive)
                header.setMinimumSectionSize(self._minimum_section)
        else:
            # Every column of a wider table shares the width (each cell's tooltip is its whole
            # number); with too many to fit at ten characters each, the table scrolls sideways.
            header.setMinimumSectionSize(self.table.fontMetrics().horizontalAdvance("-0.12345678") + 12)
            header.setSectionResizeMode(header.ResizeMode.Stretch)
        self._offer_presets()

    def _offer_presets(self):
        """The presets of the shown network's input width (and one output)."""
        widths = self.model.widths()
        if widths == self._offered:
            return
        self._offered = widths
        inputs, outputs = widths or (1, 1)
        presets = presets_for(inputs) if outputs == 1 else {}
        with QSignalBlocker(self.preset):
            self.preset.clear()
            self.preset.addItems(list(presets))
            for index, name in enumerate(presets):
                self.preset.setItemData(index, preset_text(name, inputs), Qt.ItemDataRole.ToolTipRole)
        self.preset.setEnabled(bool(presets))
        self.load_button.setEnabled(bool(presets))
        self._describe(self.preset.currentText())

    def _describe(self, name):
        inputs, outputs = self.widths()
        if name:
            self.preset_text.setText(preset_text(name, inputs))
        elif outputs != 1:
            self.preset_text.setText(f"No preset: the presets have one output, and this network has {outputs}. "
                                     f"Type the rows, or import a CSV file whose header is "
                                     f"{','.join(self._header())}.")
        else:
            self.preset_text.setText(f"No preset: the presets have one or two inputs, and this network has "
                                     f"{inputs}. Type the rows, or import a CSV file whose header is "
                                     f"{','.join(self._header())}.")

    def _header(self):
        model = self.model
        return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]

    # --- rows -----------------------------------------------------------
    def set_rows(self, x, y):
        """Show the samples x and y (numbers; arrays are not copied until edited):
        two 1-d arrays are the chain's, two 2-d ones, (n, inputs) and
        (n, outputs), a wider network's; 1-d arrays shown to a wider network of
        one input and one output (as read_csv gives them) are its one column each."""
        if self.model.widths() == (1, 1) and np.ndim(x) < 2 and np.ndim(y) < 2:
            x, y = np.reshape(x, (-1, 1)), np.reshape(y, (-1, 1))
        self.model.set_arrays(x, y)
        self._follow_widths()
        self.message.clear()

    def rows(self):
        """The rows as lists of text, one a column, as the cells show them ("" for a
        blank one): what export and the engine's checks read.  The chain's are
        (x, y); a wider network's (x1, …, xn, y1, …, ym)."""
        return self.model.texts()

    def dataset(self):
        """The rows as the engine's checked arrays, what an export writes: 1-d
        for the chain, (n, inputs) and (n, outputs) for a wider network
        (engine.dataset.csv_chunks writes either).  InputError naming the first
        bad sample if the rows are not a dataset yet (a blank cell)."""
        if self.model.widths() is None:
            return check_dataset(*self.rows())
        return check_columns(*self.model.arrays())

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
        name = self.preset.currentText()
        if not name:
            return
        widths = self.model.widths()
        x, y = preset(name, inputs=(widths or (1, 1))[0])
        if widths is not None:
            x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
        self.set_rows(x, y)

    def show_samples(self, x, y, batch_size, seed):
        """Show the shown segment's samples and how its updates use them: the
        chain's 1-d arrays, or a wider network's (n, width) arrays, whose widths
        the panel then takes (its columns, its presets)."""
        self.model.set_arrays(x, y)
        self._follow_widths()
        self.message.clear()
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
        it, naming the sample), never a text per cell; 1-d for the chain, (n,
        inputs) and (n, outputs) for a wider network."""
        x, y = self.model.arrays()
        size, seed = self.batching()
        self.applied.emit(x, y, size, seed)
