"""Side by side: the shown state's gradients under two activations."""

from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from engine.compare import both_layers, compare
from engine.expr import number
from engine.terms import ACTIVATION_NAMES, ACTIVATIONS

from .shown import DrawnWhenVisible

HEADERS = ("Quantity", "A", "B", "B / A")


class CompareView(DrawnWhenVisible, QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("compareView")
        self._last = None   # the record drawn: drawn again when a choice changes
        self.choice = {}
        choices = QHBoxLayout()
        for key, default in (("A", "tanh"), ("B", "linear")):
            box = QComboBox()
            box.setObjectName(f"compare{key}")
            for name in ACTIVATIONS:
                box.addItem(ACTIVATION_NAMES[name], name)
            box.setCurrentIndex(box.findData(default))
            box.currentIndexChanged.connect(lambda _: self._last is not None and self.display(self._last))
            choices.addWidget(QLabel(f"{key}: both hidden layers"))
            choices.addWidget(box)
            self.choice[key] = box
        choices.addStretch(1)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("compareTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        note = QLabel("The same weights and samples; only the activations differ. The factors ∂h/∂z "
                      "are what multiply the signal differently on its way back.")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        self.rows = []

    def draw(self, shown):
        self._last = shown
        self.rows = compare(shown.params, shown.x, shown.y, shown.alpha,
                            both_layers(shown.spec, self.choice["A"].currentData()),
                            both_layers(shown.spec, self.choice["B"].currentData()),
                            shown.optimizer_state)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, text in enumerate((row.symbol, number(row.a, 6), number(row.b, 6), number(row.ratio, 4))):
                self.table.setItem(r, c, QTableWidgetItem(text))
