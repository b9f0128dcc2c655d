"""A spinbox for every number a learner sets (W₁…b₃, x, y and α), and a
choice for each part of the network (the activations, the loss convention).
The optimizer, the rate schedule and clipping fold away; a number the chosen
network or update does not use is shown disabled, saying why."""

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from engine import LIMITS
from engine.dataset import parse_number
from engine.expr import symbol
from engine.terms import (ACTIVATIONS, CHOICE_TEXT, CLIPS, DECAY_EVERY_RANGE, DEFAULT_SPEC, FIELD_USERS, LEAK_RANGE,
                          LOSSES, OPTIMIZERS, RATE_RANGES, SCHEDULES)

# What a learner sets most comes first and always shows (at 1280×800 without
# scrolling); the update's finer numbers fold away under ADVANCED_TITLE.
GROUPS = (("Layer 1", ("W1", "b1", "activation1")), ("Layer 2", ("W2", "b2", "activation2")),
          ("Layer 3", ("W3", "b3")), ("Sample", ("x", "y")),
          ("Training", ("alpha", "loss", "leak")))
ADVANCED_TITLE = "Optimizer, rate and clipping"
ADVANCED_GROUPS = (("Optimizer", ("optimizer", "momentum", "rho", "beta1", "beta2", "eps")),
                   ("Rate and clipping", ("schedule", "decay", "decay_every", "clip", "clip_c")))
CHOICES = {"activation1": ACTIVATIONS, "activation2": ACTIVATIONS, "loss": LOSSES,
           "optimizer": OPTIMIZERS, "schedule": SCHEDULES, "clip": CLIPS}
# Numbers of the Spec (network and update rule): (decimals, step, label, tooltip); decimals 0 is a
# whole number.  Their ranges are the engine's (number_range).
NUMBERS = {
    "leak": (3, 0.01, "leak", "leaky ReLU's slope where z ≤ 0"),
    "momentum": (4, 0.01, "μ", "momentum: v ← μ·v + g"),
    "rho": (4, 0.01, "ρ", "RMSprop: s ← ρ·s + (1 − ρ)·g²"),
    "beta1": (4, 0.01, "β₁", "Adam: m ← β₁m + (1 − β₁)g"),
    "beta2": (5, 0.001, "β₂", "Adam: v ← β₂v + (1 − β₂)g²"),
    # ε spans decades: shown as 1e-08, and the arrows step by a factor of ten (step None:
    # a ScientificSpinBox).
    "eps": (None, None, "ε", "RMSprop and Adam: θ ← θ − α·…/(√… + ε), ε keeps the division safe"),
    "decay": (3, 0.01, "γ", "the schedule's factor: α·γ^⌊t/k⌋ or α·γ^t"),
    "decay_every": (0, 10, "k", "step decay: every k updates"),
    "clip_c": (3, 0.1, "c", "clip each gradient to [−c, c], or the norm to c"),
}
LABELS = {"activation1": "act.", "activation2": "act.", "loss": "loss", "leak": "leak",
          "optimizer": "optim.", "schedule": "rate", "clip": "clip"}
CHOICE_TIPS = {"activation1": "the activation of hidden layer 1", "activation2": "the activation of hidden layer 2",
               "loss": "the loss convention: the reference's (ŷ − y)², or ½(ŷ − y)² as many textbooks write it",
               "optimizer": "how a gradient becomes an update (each shows its own update rows)",
               "schedule": "the learning-rate schedule: constant, α·γ^⌊t/k⌋ or α·γ^t",
               "clip": "gradient clipping: each gradient to [−c, c], or all six scaled to norm c"}
DECIMALS = 6
TOOLTIPS = {"W1": "weight of layer 1", "b1": "bias of layer 1", "W2": "weight of layer 2",
            "b2": "bias of layer 2", "W3": "weight of the output layer", "b3": "bias of the output layer",
            "x": "the input", "y": "the target output", "alpha": "learning rate α of gradient descent"}


def unused_reason(name):
    """Why a box is disabled, as its tooltip begins."""
    if name == "clip_c":
        return "used only with clipping (by value or by norm)"
    return f"used by {' or '.join(CHOICE_TEXT[user] for user in FIELD_USERS[name])} only"


def number_range(name, decimals):
    """The box's (lowest, highest): the engine's range of the Spec field, an
    end the engine excludes (momentum < 1) moved in to the nearest value a box
    of ``decimals`` shows, since a spinbox's own ends are always allowed."""
    closed = {"leak": (*LEAK_RANGE, True, True), "decay_every": (*DECAY_EVERY_RANGE, True, True)}
    low, high, closed_low, closed_high = RATE_RANGES.get(name) or closed[name]
    last = 10.0 ** -decimals
    return (low if closed_low else round(low + last, decimals),
            high if closed_high else round(high - last, decimals))


class ScientificSpinBox(QDoubleSpinBox):
    """A number that spans decades (ε = 1e-08): written as %g, typed in any
    float notation, stepped by a factor of ten."""
    DECIMALS = 323   # QDoubleSpinBox rounds every value to its decimals: keep every float

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(self.DECIMALS)

    def textFromValue(self, value):
        return f"{value:g}"

    def valueFromText(self, text):
        return parse_number(text)

    def validate(self, text, position):
        try:
            value = parse_number(text)   # the project's one number syntax
        except ValueError:
            return QValidator.State.Intermediate, text, position
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, position
        return QValidator.State.Intermediate, text, position

    def stepBy(self, steps):
        self.setValue(min(max(self.value() * 10.0 ** steps, self.minimum()), self.maximum()))


class ParameterPanel(QWidget):
    edited = Signal(str, float)         # a learner changed one value
    specEdited = Signal(str, object)  # ... or a field of the Spec: the network or its update rule
    advancedShownChanged = Signal(bool)  # the optimizer, rate and clipping section unfolded or folded

    def __init__(self, parent=None):
        super().__init__(parent)
        self.spinboxes = {}
        self.choices = {}     # activation1, activation2, loss: combo boxes; leak: a spinbox
        self._shown = {}      # (value given, value shown) of each spinbox
        self._outside = {}    # whether it was outside its range
        self._labels = {}     # the form's label of each number of the Spec
        self._used = {}       # whether the shown spec uses each number of the Spec
        self._groups = {}     # title -> its group box
        self._samples = 1     # how many samples the shown state trains on
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        for title, names in GROUPS:
            layout.addWidget(self._group(title, names))
        self._toggle = QToolButton()
        self._toggle.setObjectName("advancedToggle")
        self._toggle.setText(ADVANCED_TITLE)
        self._toggle.setCheckable(True)
        self._toggle.setAutoRaise(True)
        self._toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._toggle.setToolTip("Show or hide the optimizer, the learning-rate schedule and clipping")
        layout.addWidget(self._toggle)
        # Folded, a line still tells which update is in use (a loaded session may use Adam).
        self._summary = QLabel()
        self._summary.setObjectName("advancedSummary")
        self._summary.setWordWrap(True)
        self._summary.setIndent(16)
        layout.addWidget(self._summary)
        self._advanced = QWidget()
        self._advanced.setObjectName("advancedSection")
        section = QVBoxLayout(self._advanced)
        section.setContentsMargins(0, 0, 0, 0)
        section.setSpacing(4)
        for title, names in ADVANCED_GROUPS:
            section.addWidget(self._group(title, names))
        layout.addWidget(self._advanced)
        layout.addStretch(1)
        self._fold(False)
        self._toggle.toggled.connect(self._on_toggled)
        self.show_spec(DEFAULT_SPEC)   # the disabled boxes and the summary before any state is shown

    def _group(self, title, names):
        group = QGroupBox(title)
        self._groups[title] = group
        form = QFormLayout(group)
        form.setContentsMargins(6, 4, 6, 4)
        form.setVerticalSpacing(3)
        for name in names:
            if name in CHOICES:
                form.addRow(LABELS[name], self._choice(name))
            elif name in NUMBERS:
                box = self._number(name)
                form.addRow(NUMBERS[name][2], box)
                self._labels[name] = form.labelForField(box)
            else:
                form.addRow(f"{symbol(name)}", self._spinbox(name))
        return group

    def advanced_shown(self):
        """Whether the optimizer, rate and clipping section is unfolded."""
        return self._toggle.isChecked()

    def set_advanced_shown(self, shown):
        self._toggle.setChecked(bool(shown))

    def _on_toggled(self, shown):
        self._fold(shown)
        self.advancedShownChanged.emit(shown)

    def _fold(self, shown):
        self._toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self._advanced.setVisible(shown)
        self._summary.setVisible(not shown)

    def _spinbox(self, name):
        box = QDoubleSpinBox()
        box.setObjectName(name)
        box.setDecimals(DECIMALS)
        box.setRange(*LIMITS[name])
        box.setSingleStep(0.001 if name == "alpha" else 0.1)
        box.setKeyboardTracking(False)   # typing "0.75" is one edit, not four
        box.setAccelerated(True)
        box.setToolTip(self._tip(name))
        box.valueChanged.connect(lambda value, name=name: self.edited.emit(name, value))
        self.spinboxes[name] = box
        return box

    def _choice(self, name):
        box = QComboBox()
        box.setObjectName(name)
        for choice in CHOICES[name]:
            box.addItem(CHOICE_TEXT[choice], choice)
        box.setToolTip(CHOICE_TIPS[name])
        box.activated.connect(lambda _, box=box, name=name: self.specEdited.emit(name, box.currentData()))
        self.choices[name] = box
        return box

    def _number(self, name):
        decimals, step, _, tip = NUMBERS[name]
        if step is None:
            box = ScientificSpinBox()
            decimals = box.DECIMALS
        else:
            box = QSpinBox() if decimals == 0 else QDoubleSpinBox()
            if decimals:
                box.setDecimals(decimals)
            box.setSingleStep(step)
        box.setObjectName(name)
        box.setRange(*number_range(name, decimals))
        box.setKeyboardTracking(False)
        box.setToolTip(tip)
        box.valueChanged.connect(lambda value, name=name: self.specEdited.emit(name, value))
        self.choices[name] = box
        return box

    def show_spec(self, spec):
        """Show the Spec (network and update rule) of the shown state; a number it does not use is disabled."""
        for name, box in self.choices.items():
            with QSignalBlocker(box):
                if name in NUMBERS:
                    box.setValue(getattr(spec, name))
                else:
                    box.setCurrentIndex(box.findData(getattr(spec, name)))
            if name in NUMBERS:
                used = spec.uses(name)
                if self._used.get(name) != used:
                    self._used[name] = used
                    box.setEnabled(used)
                    self._labels[name].setEnabled(used)
                    tip = NUMBERS[name][3]
                    box.setToolTip(tip if used else f"{unused_reason(name)} — {tip}")
        self._summary.setText(" · ".join(CHOICE_TEXT[getattr(spec, field)]
                                         for field in ("optimizer", "schedule", "clip")))

    def _tip(self, name):
        if name in ("x", "y") and self._samples > 1:
            return (f"{symbol(name)}: the mean over the dataset's {self._samples} samples, as the diagram "
                    "and the table show it. The samples are changed in the Dataset panel (View → Dataset).")
        low, high = LIMITS[name]
        return f"{symbol(name)}: {TOOLTIPS[name]} (range {low:g} to {high:g})"

    def show_sample_count(self, count):
        """With a dataset, x and y show the batch mean, labelled so, and are not
        edited here: setting one would replace the whole dataset."""
        if count == self._samples:
            return
        self._samples = count
        self._groups["Sample"].setTitle("Sample" if count == 1 else f"Sample: mean of {count:,}")
        for name in ("x", "y"):
            self.spinboxes[name].setEnabled(count == 1)
            self.spinboxes[name].setToolTip(self._tip(name))

    def show_values(self, values):
        """Show the state's values without echoing them back as edits."""
        for name, box in self.spinboxes.items():
            value = values[name]
            if self._shown.get(name) == (value, box.value()):
                continue        # repainting nine spinboxes for one change costs milliseconds
            with QSignalBlocker(box):
                box.setValue(value)
            self._shown[name] = (value, box.value())
            low, high = LIMITS[name]
            outside = not low <= value <= high
            if outside != self._outside.get(name, False):
                self._outside[name] = outside
                box.setStyleSheet("QDoubleSpinBox { background: #ffd9d0; }" if outside else "")
            box.setToolTip(f"{symbol(name)} = {value!r}: training took it outside the "
                           f"editable range {low:g} to {high:g}" if outside else self._tip(name))
