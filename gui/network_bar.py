"""The network's shape as text and the worked examples: the row above the
parameters.  It only says what the learner asked for; the window makes the
change (one undoable command) or says why not."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from engine.examples import EXAMPLE_TEXT
from engine.layers import LAYERS_TEXT


class NetworkBar(QWidget):
    layersEntered = Signal(str)     # the text of the layers box, on Enter
    exampleChosen = Signal(str)     # a key of engine.examples.EXAMPLES

    def __init__(self, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 0)
        self.layers = QLineEdit()
        self.layers.setObjectName("layers")
        self.layers.setAccessibleName("Layers, the network's widths")
        self.layers.setToolTip(f"The widths of the layers from input to output: {LAYERS_TEXT}. "
                               "Enter rebuilds the network with new parameters.")
        self.layers.setAccessibleDescription(self.layers.toolTip())
        self.layers.returnPressed.connect(lambda: self.layersEntered.emit(self.layers.text()))
        form.addRow("Layers", self.layers)
        self.examples = QComboBox()
        self.examples.setObjectName("networkPreset")
        self.examples.setPlaceholderText("Worked examples…")
        self.examples.setAccessibleName("Worked example")
        self.examples.setToolTip("Start from a worked example: its network, numbers and samples")
        self.examples.setAccessibleDescription(self.examples.toolTip())
        for name, text in EXAMPLE_TEXT.items():
            self.examples.addItem(text, name)
        self.examples.setCurrentIndex(-1)
        # As narrow as the parameters below: the diagram and the plots keep the width.
        self.examples.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.examples.setMinimumContentsLength(12)
        self.examples.activated.connect(self._chosen)
        form.addRow("Example", self.examples)

    def _chosen(self, index):
        name = self.examples.itemData(index)
        # Back to the placeholder: the learner may change the example's numbers at once.
        self.examples.setCurrentIndex(-1)
        # As narrow as the parameters below: the diagram and the plots keep the width.
        self.examples.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.examples.setMinimumContentsLength(12)
        self.exampleChosen.emit(name)

    def show_layers(self, layers):
        """The shown network's widths, unless the learner is typing there."""
        if not self.layers.hasFocus() or not self.layers.isModified():
            self.layers.setText("-".join(map(str, layers)))
            self.layers.setModified(False)
