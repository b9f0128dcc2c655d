"""Side by side: the shown state's gradients under two activations.

The chain compares its six gradients and its two layers' factors, both
hidden layers taking A's activation, then B's.  A network of another shape
compares every gradient element (∂L/∂W₂[1,2]) and every hidden unit's factor
(∂h₁/∂z₁[2]), every hidden layer taking A's activation, then B's
(:func:`engine.compare.all_hidden`); its output layer keeps its own.

Until the learner picks them, A is the network's own (first hidden) activation
and B linear (tanh, if the network's own is linear): what the learner's
network does against the plainest other."""

from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from engine.compare import all_hidden, both_layers, compare
from engine.expr import number
from engine.terms import ACTIVATION_NAMES, ACTIVATIONS

from .shown import DrawnWhenVisible

HEADERS = ("Quantity", "A", "B", "B / A")
CHAIN_NOTE = ("The same weights and samples; only the activations differ. The factors ∂h/∂z "
              "are what multiply the signal differently on its way back.")
NETWORK_NOTE = ("The same weights and samples; only the hidden layers' activations differ (the output "
                "layer keeps its own). Each unit's factor ∂h/∂z is what multiplies the signal "
                "differently on its way back; a batch's values are the means over its samples.")
NO_HIDDEN_NOTE = ("This network has no hidden layer: only the output layer's activation acts, so A and B "
                  "give the same numbers. Add a hidden layer (e.g. 2-4-1) to compare.")


class CompareView(DrawnWhenVisible, QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("compareView")
        self._last = None   # the record drawn: drawn again when a choice changes
        self.choice = {}
        self.labels = {}
        self.network = False   # the shown state is a network of another shape than the chain's
        self._chosen = set()   # the choices set by the learner (or a caller): kept, the others follow
        choices = QHBoxLayout()
        for key, default in (("A", "tanh"), ("B", "linear")):
            box = QComboBox()
            box.setObjectName(f"compare{key}")
            for name in ACTIVATIONS:
                box.addItem(ACTIVATION_NAMES[name], name)
            box.setCurrentIndex(box.findData(default))
            box.currentIndexChanged.connect(lambda _, key=key: self._chose(key))
            self.labels[key] = QLabel(f"{key}: both hidden layers")
            choices.addWidget(self.labels[key])
            choices.addWidget(box)
            self.choice[key] = box
        choices.addStretch(1)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("compareTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        note = self.note = QLabel(CHAIN_NOTE)
        note.setObjectName("compareNote")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        self.rows = []

    def _chose(self, key):
        self._chosen.add(key)
        if self._last is not None:
            self.display(self._last)

    def _follow(self, spec):
        own = spec.activation1 if spec.hidden else "tanh"
        for key, name in (("A", own), ("B", "tanh" if own == "linear" else "linear")):
            box = self.choice[key]
            if key not in self._chosen:
                box.blockSignals(True)
                box.setCurrentIndex(box.findData(name))
                box.blockSignals(False)

    def draw(self, shown):
        self._last = shown
        self._follow(shown.spec)
        network = not shown.spec.is_reference_shape
        if network != self.network:
            self.network = network
            for key, label in self.labels.items():
                label.setText(f"{key}: every hidden layer" if network else f"{key}: both hidden layers")
        if network:
            self.note.setText(NETWORK_NOTE if shown.spec.hidden else NO_HIDDEN_NOTE)
        else:
            self.note.setText(CHAIN_NOTE)
        hidden = all_hidden if network else both_layers
        self.rows = compare(shown.params, shown.x, shown.y, shown.alpha,
                            hidden(shown.spec, self.choice["A"].currentData()),
                            hidden(shown.spec, self.choice["B"].currentData()),
                            shown.optimizer_state)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, text in enumerate((row.symbol, number(row.a, 6), number(row.b, 6), number(row.ratio, 4))):
                self.table.setItem(r, c, QTableWidgetItem(text))
