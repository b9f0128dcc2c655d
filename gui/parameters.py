"""A spinbox for every number a learner sets (W₁…b₃, x, y and α), and a
choice for each part of the network (the activations, the loss convention).
The optimizer, the rate schedule and clipping fold away; a number the chosen
network or update does not use is shown disabled, saying why.

A wider network (any shape but the reference's 1-1-1-1) gets one group per
layer instead of the chain's: a layer whose W is one number keeps its
spinboxes, a wider one gets a compact table of W and b (gui/matrix_editor.py),
with the layer's activation; x and y become vectors where they are wider than
one.  An element edited there is said as ``elementEdited("W2[1,2]", 0.5)``."""

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from engine import LIMITS
from engine.dataset import parse_number
from engine.expr import symbol
from engine.terms import (ACTIVATIONS, CHOICE_TEXT, CLIPS, DECAY_EVERY_RANGE, DEFAULT_SPEC, FIELD_USERS, LEAK_RANGE,
                          LOSSES, OPTIMIZERS, OUTPUT_ACTIVATIONS, RATE_RANGES, SCHEDULES, field_text,
                          interval)

from .matrix_editor import ElementTable, limit_name
from .theme import theme

# What a learner sets most comes first and always shows (at 1280×800 without
# scrolling); the update's finer numbers fold away under ADVANCED_TITLE.
GROUPS = (("Layer 1", ("W1", "b1", "activation1")), ("Layer 2", ("W2", "b2", "activation2")),
          ("Layer 3", ("W3", "b3")), ("Sample", ("x", "y")),
          ("Training", ("alpha", "loss", "leak")))
ADVANCED_TITLE = "Optimizer, rate and clipping"
# The chain's groups: a wider network shows its own per layer in their place.
CHAIN_GROUPS = ("Layer 1", "Layer 2", "Layer 3", "Sample")
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
            "x": "the input", "y": "the target output", "alpha": "learning rate of gradient descent"}


def spoken_name(name, what=None):
    """What a screen reader calls a box: a number as its symbol and what it is
    ("W₁, weight of layer 1"), a field of the Spec as the engine's words for it
    ("Leaky ReLU's slope")."""
    if what is not None:
        return f"{symbol(name)}, {what}"
    text = field_text(name).removeprefix("the ")
    return text[:1].upper() + text[1:] if text[:1].isascii() else text   # ε stays ε, not Ε


def explain(widget, text):
    """The tooltip, and the same words as the accessible description (a screen reader does not hover);
    unchanged words are not set again, which would tell a screen reader they changed."""
    if widget.toolTip() != text or widget.accessibleDescription() != text:
        widget.setToolTip(text)
        widget.setAccessibleDescription(text)


def layer_role(name):
    """What a wider network's W or b is: "weight of layer 2"."""
    return f"{'weight' if name[0] == 'W' else 'bias'} of layer {name[1:]}"


def unused_reason(name):
    """Why a box is disabled, as its tooltip begins."""
    if name == "clip_c":
        return "used only with clipping (by value or by norm)"
    return f"used by {' or '.join(CHOICE_TEXT[user] for user in FIELD_USERS[name])} only"


def engine_range(name):
    """(low, high, closed low, closed high) of a number of the Spec, as the engine checks it."""
    closed = {"leak": (*LEAK_RANGE, True, True), "decay_every": (*DECAY_EVERY_RANGE, True, True)}
    return RATE_RANGES.get(name) or closed[name]


def number_tip(name):
    """A number of the Spec's tooltip: what it does, and the values the engine takes."""
    return f"{NUMBERS[name][3]}, in {interval(*engine_range(name))}"


def number_range(name, decimals):
    """The box's (lowest, highest): the engine's range of the Spec field, an
    end the engine excludes (momentum < 1) moved in to the nearest value a box
    of ``decimals`` shows, since a spinbox's own ends are always allowed."""
    low, high, closed_low, closed_high = engine_range(name)
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
    elementEdited = Signal(str, float)  # ... or one element of a wider network's W, b, x or y ("W2[1,2]")
    advancedShownChanged = Signal(bool)  # the optimizer, rate and clipping section unfolded or folded

    def __init__(self, parent=None):
        super().__init__(parent)
        self.spinboxes = {}
        self.choices = {}     # activation1, activation2, loss: combo boxes; leak: a spinbox
        self._shown = {}      # (value given, value shown) of each spinbox
        self._outside = {}    # whether it was outside its range
        self._theme = theme()
        self._theme.themeChanged.connect(self._restyle_outside)
        self._labels = {}     # the form's label of each number of the Spec
        self._used = {}       # whether the shown spec uses each number of the Spec
        self._groups = {}     # title -> its group box
        self._samples = 1     # how many samples the shown state trains on
        # A wider network's own section (None for the chain) and its widths.
        self._network = None
        self._network_layers = None
        self._network_sample = None   # its Sample group
        self.elements = {}        # W2, b2, x, y -> its ElementTable, or a spinbox where it is one number
        self.layer_choices = {}   # activation1 … activation4, output_activation -> a wider network's combo
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        for title, names in GROUPS:
            layout.addWidget(self._group(title, names))
        self._layout = layout
        self._toggle = QToolButton()
        self._toggle.setObjectName("advancedToggle")
        self._toggle.setText(ADVANCED_TITLE)
        self._toggle.setCheckable(True)
        self._toggle.setAutoRaise(True)
        self._toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        explain(self._toggle, "Show or hide the optimizer, the learning-rate schedule and clipping")
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
        box.setAccessibleName(spoken_name(name, TOOLTIPS[name]))
        explain(box, self._tip(name))
        box.valueChanged.connect(lambda value, name=name: self.edited.emit(name, value))
        self.spinboxes[name] = box
        return box

    def _choice(self, name):
        box = QComboBox()
        box.setObjectName(name)
        for choice in CHOICES[name]:
            box.addItem(CHOICE_TEXT[choice], choice)
        box.setAccessibleName(spoken_name(name))
        explain(box, CHOICE_TIPS[name])
        box.activated.connect(lambda _, box=box, name=name: self.specEdited.emit(name, box.currentData()))
        self.choices[name] = box
        return box

    def _number(self, name):
        decimals, step, _, _ = NUMBERS[name]
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
        box.setAccessibleName(spoken_name(name))
        explain(box, number_tip(name))
        box.valueChanged.connect(lambda value, name=name: self.specEdited.emit(name, value))
        self.choices[name] = box
        return box

    def show_spec(self, spec):
        """Show the Spec (network and update rule) of the shown state; a number it does not use is disabled."""
        self._show_shape(None if spec.is_reference_shape else spec.layers)
        for name, box in self.layer_choices.items():
            with QSignalBlocker(box):
                box.setCurrentIndex(box.findData(getattr(spec, name)))
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
                    tip = number_tip(name)
                    explain(box, tip if used else f"{unused_reason(name)} — {tip}")
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
            explain(self.spinboxes[name], self._tip(name))
        self._show_network_samples()

    def show_values(self, values):
        """Show the state's values without echoing them back as edits: the
        chain's numbers, or a wider network's arrays (its editors are rebuilt
        only when the widths change, never while the values merely do)."""
        layers = value_layers(values)
        self._show_shape(layers)
        for name, box in self.spinboxes.items():
            if layers is None or name == "alpha":
                self._show_number(name, box, values[name], name, self._tip)
        for name, editor in self.elements.items():
            if isinstance(editor, ElementTable):
                editor.set_values(values[name])
            else:
                self._show_number(editor.objectName(), editor, float(np.ravel(values[name])[0]), name,
                                  lambda _, name=name: self._element_tip(name))

    def _show_number(self, key, box, value, name, tip):
        if self._shown.get(key) == (value, box.value()):
            return        # repainting nine spinboxes for one change costs milliseconds
        with QSignalBlocker(box):
            box.setValue(value)
        self._shown[key] = (value, box.value())
        low, high = LIMITS[limit_name(name)]
        outside = not low <= value <= high
        if outside != self._outside.get(key, False):
            self._outside[key] = outside
            box.setStyleSheet(self._outside_style() if outside else "")
        explain(box, f"{symbol(name)} = {value!r}: training took it outside the "
                     f"editable range {low:g} to {high:g}" if outside else tip(name))

    def _outside_style(self):
        colours = self._theme.colours
        return (f"QDoubleSpinBox {{ background: {colours.outside.name()}; "
                f"color: {colours.table_text.name()}; }}")

    def _restyle_outside(self):
        for key, outside in self._outside.items():
            box = self.findChild(QDoubleSpinBox, key)
            if outside and box is not None:
                box.setStyleSheet(self._outside_style())

    # --- a wider network --------------------------------------------------
    def network_layers(self):
        """The widths of the wider network the panel shows, or None for the chain."""
        return self._network_layers

    def editor(self, name):
        """The editor of ``name`` (W2, b2, x, y) of the wider network shown: its
        ElementTable, or its spinbox where it is one number."""
        return self.elements[name]

    def _show_shape(self, layers):
        """The chain's groups for the chain (``layers`` None), else a wider
        network's, rebuilt only when its widths change."""
        if layers == self._network_layers:
            return
        self._network_layers = layers
        for title in CHAIN_GROUPS:
            self._groups[title].setVisible(layers is None)
        if self._network is not None:
            self._layout.removeWidget(self._network)
            self._network.hide()
            self._network.deleteLater()
            for editor in self.elements.values():
                self._shown.pop(editor.objectName(), None)
                self._outside.pop(editor.objectName(), None)
            self._network, self._network_sample = None, None
            self.elements, self.layer_choices = {}, {}
        if layers is not None:
            self._network = self._network_section(layers)
            self._layout.insertWidget(len(CHAIN_GROUPS), self._network)
            self._network.show()   # at once in a shown panel, not after the next pass of the event loop
            self._order_tabs(layers)
            self._show_network_samples()

    def _order_tabs(self, layers):
        """Tab walks the section's inputs as they are drawn, where the chain's
        groups stand: a section built after the window would otherwise come last."""
        last = len(layers) - 1
        order = [self.spinboxes["y"]]   # the chain's last input before the Training group, hidden now
        for layer in range(1, last + 1):
            order += [self.elements[f"W{layer}"], self.elements[f"b{layer}"],
                      self.layer_choices[activation_field(layer, last)]]
        order += [self.elements["x"], self.elements["y"]]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

    def _network_section(self, layers):
        section = QWidget()
        section.setObjectName("networkSection")
        column = QVBoxLayout(section)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        last = len(layers) - 1
        for layer in range(1, last + 1):
            group = QGroupBox(f"Layer {layer}" + (" (output)" if layer == last else ""))
            group.setObjectName(f"layer{layer}Group")
            box = QVBoxLayout(group)
            box.setContentsMargins(6, 4, 6, 4)
            box.setSpacing(3)
            units, inputs = layers[layer], layers[layer - 1]
            form = QFormLayout()
            form.setVerticalSpacing(3)
            if units == inputs == 1:
                form.addRow(symbol(f"W{layer}"), self._element_spinbox(f"W{layer}", f"W{layer}[1,1]"))
                form.addRow(symbol(f"b{layer}"), self._element_spinbox(f"b{layer}", f"b{layer}[1]"))
            else:
                box.addWidget(self._layer_tables(layer, layer == last, units, inputs))
            field = activation_field(layer, last)
            form.addRow("act.", self._layer_choice(field, layer))
            box.addLayout(form)
            column.addWidget(group)
        self._network_sample = QGroupBox("Sample")
        self._network_sample.setObjectName("networkSampleGroup")
        # x and y side by side where both are vectors, else one above the other as the chain's.
        row = QHBoxLayout() if layers[0] > 1 and layers[-1] > 1 else QFormLayout()
        row.setContentsMargins(6, 4, 6, 4)
        self._network_sample.setLayout(row)
        for name, width in (("x", layers[0]), ("y", layers[-1])):
            if width == 1:
                row.addRow(symbol(name), self._element_spinbox(name, f"{name}[1]"))
                continue
            table = self._table(name, width, 1, lambda i, _, name=name: self._vector_tip(name, i))
            if isinstance(row, QFormLayout):
                row.addRow("", table)
            else:
                row.addWidget(table, 0, Qt.AlignmentFlag.AlignTop)
        if isinstance(row, QHBoxLayout):
            row.addStretch(1)
        column.addWidget(self._network_sample)
        return section

    def _layer_tables(self, layer, output, units, inputs):
        """W of the layer as a table (row i: unit i; column j: unit j of the
        layer before) with b beside it, sharing its row numbers."""
        unit = symbol("yhat") if output else symbol(f"h{layer}")
        source = symbol("x") if layer == 1 else symbol(f"h{layer - 1}")
        tables = QWidget()
        column = QVBoxLayout(tables)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        caption = QLabel(f"{symbol(f'W{layer}')} ({units}×{inputs}): row i → {unit}[i]")
        caption.setToolTip(f"Row i of {symbol(f'W{layer}')} holds the weights into {unit}[i]; column j those "
                           f"from {source}[j]. {symbol(f'b{layer}')} beside it holds the biases.")
        caption.setObjectName(f"caption{layer}")
        column.addWidget(caption)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        weights = self._table(f"W{layer}", units, inputs,
                              lambda i, j: f"the weight from {source}[{j + 1}] to {unit}[{i + 1}]",
                              [f"{source}[{j}]" for j in range(1, inputs + 1)])
        biases = self._table(f"b{layer}", units, 1, lambda i, _: f"the bias of {unit}[{i + 1}]")
        weights.setAccessibleDescription(f"{caption.toolTip()} {weights.accessibleDescription()}")
        biases.hide_row_numbers()
        row.addWidget(weights, 1, Qt.AlignmentFlag.AlignTop)
        row.addWidget(biases, 0, Qt.AlignmentFlag.AlignTop)
        row.addStretch(0)
        column.addLayout(row)
        return tables

    def _table(self, name, rows, cols, tips, columns=None):
        table = ElementTable(name, rows, cols, tips, columns)
        table.setAccessibleName(spoken_name(name, self._what(name)))
        table.elementEdited.connect(self.elementEdited)
        self.elements[name] = table
        return table

    def _element_spinbox(self, name, element):
        box = QDoubleSpinBox()
        box.setObjectName(f"scalar{name}")
        box.setDecimals(DECIMALS)
        box.setRange(*LIMITS[limit_name(name)])
        box.setSingleStep(0.1)
        box.setKeyboardTracking(False)
        box.setAccelerated(True)
        box.setAccessibleName(spoken_name(name, self._what(name)))
        explain(box, self._element_tip(name))
        box.valueChanged.connect(lambda value, element=element: self.elementEdited.emit(element, value))
        self.elements[name] = box
        return box

    def _layer_choice(self, field, layer):
        box = QComboBox()
        box.setObjectName("outputActivation" if field == "output_activation" else f"layerActivation{layer}")
        for choice in OUTPUT_ACTIVATIONS if field == "output_activation" else ACTIVATIONS:
            box.addItem(CHOICE_TEXT[choice], choice)
        box.setAccessibleName(spoken_name(field))
        explain(box, "the activation of the output layer" if field == "output_activation"
                else f"the activation of hidden layer {layer}")
        box.activated.connect(lambda _, box=box, field=field: self.specEdited.emit(field, box.currentData()))
        self.layer_choices[field] = box
        return box

    def _element_tip(self, name):
        """The tooltip of a wider network's number shown in a spinbox (W₂ of a 1×1 layer, x of width 1)."""
        if name in ("x", "y"):
            return self._vector_tip(name, 0)
        low, high = LIMITS[limit_name(name)]
        return f"{symbol(name)}: the {layer_role(name)} (range {low:g} to {high:g})"

    @staticmethod
    def _what(name):
        """What a wider network's W, b, x or y is, in its accessible name."""
        return TOOLTIPS[name] if name in ("x", "y") else layer_role(name)

    def _vector_tip(self, name, index):
        what = f"input {index + 1}" if name == "x" else f"the target of output {index + 1}"
        if self._samples > 1:
            return (f"{what}: the mean over the dataset's {self._samples} samples. The samples are changed "
                    "in the Dataset panel (View → Dataset).")
        low, high = LIMITS[name]
        return f"{what} (range {low:g} to {high:g})"

    def _show_network_samples(self):
        """With a dataset, a wider network's x and y show the means, read-only (as the chain's)."""
        if self._network_sample is None:
            return
        count = self._samples
        self._network_sample.setTitle("Sample" if count == 1 else f"Sample: mean of {count:,}")
        for name in ("x", "y"):
            editor = self.elements[name]
            if isinstance(editor, ElementTable):
                editor.set_editable(count == 1)
            else:
                editor.setEnabled(count == 1)
                if not self._outside.get(editor.objectName()):
                    explain(editor, self._element_tip(name))


def activation_field(layer, last):
    """The Spec's field of the activation of ``layer`` (of ``last`` + 1 layers, the input's 0)."""
    return "output_activation" if layer == last else f"activation{layer}"


def value_layers(values):
    """The widths of the network whose values these are, or None for the chain's numbers."""
    if np.ndim(values["W1"]) == 0:
        return None
    layers = [np.shape(values["W1"])[1]]
    layer = 1
    while f"W{layer}" in values:
        layers.append(np.shape(values[f"W{layer}"])[0])
        layer += 1
    return tuple(layers)
