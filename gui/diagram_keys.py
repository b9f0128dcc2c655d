"""The network diagram from the keyboard: Tab reaches it, the arrow keys walk
its elements, Enter edits the parameter of the element walked to.

The element the keyboard is on is lit as the table's current row lights it
(the diagram's amber highlight is its focus mark) and lights its rows in the
table as hovering it does (through the diagram's ``elementHovered``, which the
window already gives the table).  The diagram's accessible description says
the element's numbers in the diagram's own words ("W₂, weight of layer 2 =
0.8, ∂L/∂W₂ = −5.099"; a wider network's: its tooltip).

The order, as drawn, left to right:

- the 1-1-1-1 chain: ← → walk x, W₁, h₁, W₂, h₂, W₃, ŷ, L; ↑ from h₁, h₂ or ŷ
  goes to its bias b₁, b₂ or b₃ (drawn above it), ↓ back; ← → on a bias walk
  the biases b₁, b₂, b₃.
- a wider network: ← → walk the columns, each layer's edges before its
  units (x, W₁, h₁, W₂, …, ŷ, L).  From a unit, → follows the edge to the
  unit of the same number in the next layer (its last unit if that layer has
  fewer), ← the edge into it from the unit of the same number before; from an
  edge, ← and → go to the units at its two ends.  ↑ ↓ walk a column's units
  top to bottom, or a layer's edges in its matrix's order (the edges into
  unit 1 from the top down, then those into unit 2, …).
- Home and End go to the first and the last of the row or column.

Enter edits, as a click does:

- a wider network: an edge's weight, or a unit's bias, in the box beside it
  on the diagram; Enter there makes the edit (one undoable change), Escape
  leaves the value as it was; either way the focus comes back to the diagram,
  on the same element, and the box closes.
- the chain: the panel's box of W₁ … b₃ or x (a node's: its bias; L's: the
  target y), its text selected; Enter there makes the edit and Escape drops
  what was typed, and either brings the focus back to the diagram, on the
  same element.  Tab from that box goes on through the panel, as it always does.
"""

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QScrollArea

from engine.expr import symbol

from .diagram import BIASES, NODES, WEIGHTS

ACCESSIBLE_NAME = "Network diagram"

# The chain: its row of nodes and weights, its row of biases, and which is above which.
CHAIN_ROW = (NODES[0], *(e for weight, (_, end) in WEIGHTS.items() for e in (weight, end)), NODES[-1])
BIAS_ROW = tuple(BIASES)
ABOVE = {node: bias for bias, node in BIASES.items()}
BELOW = {bias: node for node, bias in ABOVE.items()}
# The panel's box Enter opens for a chain element: its own, a node's bias, the loss's target.
PANEL_BOX = {**{name: name for name in (*WEIGHTS, *BIASES, "x")}, **ABOVE, NODES[-1]: "y"}

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MOVES = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Home, Qt.Key.Key_End)
# Leaving for a menu or another window is not leaving the diagram: its element stays lit.
_AWAY = (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason,
         Qt.FocusReason.MenuBarFocusReason)


def _clamp(items, index):
    return items[max(0, min(index, len(items) - 1))]


def chain_step(element, key):
    """The chain's element the key goes to from ``element`` (itself at an end)."""
    row = BIAS_ROW if element in BIAS_ROW else CHAIN_ROW
    i = row.index(element)
    if key == Qt.Key.Key_Left:
        return _clamp(row, i - 1)
    if key == Qt.Key.Key_Right:
        return _clamp(row, i + 1)
    if key == Qt.Key.Key_Home:
        return row[0]
    if key == Qt.Key.Key_End:
        return row[-1]
    if key == Qt.Key.Key_Up:
        return ABOVE.get(element, element)
    return BELOW.get(element, element)


class NetworkSteps:
    """A wider network's walk (gui/diagram_layers.Shape names its elements)."""

    def __init__(self, shape):
        self.shape = shape
        self.columns = [list(c) for c in shape.columns] + [[shape.units[-1]]]   # … ŷ, then L
        self.layers = {}   # l -> the edges into layer l, in its matrix's order (Shape's)
        for edge in shape.edges:
            self.layers.setdefault(int(edge[1:edge.index("[")]), []).append(edge)
        self.place = {u: (c, k) for c, column in enumerate(self.columns) for k, u in enumerate(column)}

    def contains(self, element):
        return element in self.place or element in self.shape.edges

    def first(self):
        return self.columns[0][0]

    def _edge(self, layer, into, out_of):
        """W_layer[into, out_of], each 0-based and kept within the layer's widths."""
        into = min(into, len(self.columns[layer]) - 1)
        out_of = min(out_of, len(self.columns[layer - 1]) - 1)
        return f"W{layer}[{into + 1},{out_of + 1}]"

    def step(self, element, key):
        if element in self.place:
            column, k = self.place[element]
            units = self.columns[column]
            last = len(self.columns) - 1
            if key == Qt.Key.Key_Right:
                if column == last:
                    return element
                return self.columns[last][0] if column == last - 1 else self._edge(column + 1, k, k)
            if key == Qt.Key.Key_Left:
                if column == 0:
                    return element
                return self.columns[last - 1][0] if column == last else self._edge(column, k, k)
            group, i = units, k
        else:
            layer = int(element[1:element.index("[")])
            into, out_of = self.shape.ends(element)[::-1]
            if key == Qt.Key.Key_Right:
                return into
            if key == Qt.Key.Key_Left:
                return out_of
            group = self.layers[layer]
            i = group.index(element)
        return {Qt.Key.Key_Up: lambda: _clamp(group, i - 1), Qt.Key.Key_Down: lambda: _clamp(group, i + 1),
                Qt.Key.Key_Home: lambda: group[0], Qt.Key.Key_End: lambda: group[-1]}[key]()

    def editable(self, element):
        """The parameter Enter edits: an edge's weight, a unit's bias ("" for an input or L)."""
        if element in self.shape.edges:
            return element
        return self.shape.bias_of(element) if element in self.place and element != self.shape.units[-1] else ""


class DiagramKeys(QObject):
    """Installed on ``diagram`` (a gui.diagram.NetworkDiagram); ``parameters``
    is the panel whose boxes Enter opens for the chain, ``table`` the
    derivation table, whose current row the diagram lights again when the
    keyboard leaves it."""

    def __init__(self, diagram, parameters, table):
        super().__init__(diagram)
        self.setObjectName("diagramKeys")
        self.diagram, self.parameters, self.table = diagram, parameters, table
        self._element = ""     # the element the keyboard is on
        self._trip = None      # the box Enter opened, until the focus comes back
        diagram.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        diagram.setAccessibleName(ACCESSIBLE_NAME)
        diagram.installEventFilter(self)

    # --- what the keyboard is on ------------------------------------------
    def element(self):
        """The element the keyboard is on ("" before the diagram first had the focus)."""
        return self._element

    def _steps(self):
        network = self.diagram.network
        return NetworkSteps(network.shape) if network is not None else None

    def _valid(self, element):
        steps = self._steps()
        return steps.contains(element) if steps else element in CHAIN_ROW or element in BIAS_ROW

    def _table_element(self):
        row = self.table.currentIndex().row()
        return self.table.derivation_model.diagram_id(row) if row >= 0 else ""

    def _start(self):
        """Where the keyboard lands: where it was, else the table's current element, else the first."""
        if self._valid(self._element):
            return self._element
        element = self._table_element()
        if self._valid(element):
            return element
        steps = self._steps()
        return steps.first() if steps else CHAIN_ROW[0]

    def _light(self, element):
        self._element = element
        self.diagram.highlight(element)
        self.diagram.elementHovered.emit(element)   # the table lights its rows, as for a hover
        self.diagram.setAccessibleDescription(self.description(element))

    def numbers_changed(self):
        """The shown state moved (a step, an edit, a run): a screen reader on the diagram hears the new numbers."""
        if self._element and self.diagram.hasFocus() and self._valid(self._element):
            self.diagram.setAccessibleDescription(self.description(self._element))

    def _rest(self):
        """The keyboard has left: the diagram lights the table's current row again."""
        self.diagram.highlight(self._table_element())
        self.diagram.elementHovered.emit("")

    def description(self, element):
        """What the diagram shows of ``element``, as one line."""
        network = self.diagram.network
        if network is not None:
            lines = network.tooltip(element).split("\n")
            return ", ".join(" ".join(line.split()) for line in lines if line and not line.startswith("Click"))
        texts = [self.diagram.texts[f"{element}.{part}"].text() for part in ("value", "grad", "flag")
                 if f"{element}.{part}" in self.diagram.texts]
        texts = [" ".join(text.split()) for text in texts if text]
        box = self.parameters.spinboxes.get(element)
        if texts and box is not None and texts[0].startswith(symbol(element)):
            texts[0] = box.accessibleName() + texts[0][len(symbol(element)):]   # "W₂, weight of layer 2 = 0.8"
        return ", ".join(texts)

    # --- events ---------------------------------------------------------------
    def eventFilter(self, watched, event):
        kind = event.type()
        if watched is self.diagram:
            if kind == QEvent.Type.FocusIn:
                self._trip = None
                self._light(self._start())
            elif kind == QEvent.Type.FocusOut:
                if event.reason() not in _AWAY and QApplication.focusWidget() is not self._trip:
                    self._rest()
            elif kind == QEvent.Type.KeyPress and self._plain(event):
                return self._key(event.key())
            return False
        if watched is not self._trip:
            return False
        if kind == QEvent.Type.KeyPress and event.key() in (*_ENTER, Qt.Key.Key_Escape):
            self._back(event)
            return True
        if kind == QEvent.Type.FocusOut and QApplication.focusWidget() is not self.diagram \
                and event.reason() not in _AWAY:
            self._trip = None   # the learner went on elsewhere (Tab, a click)
            self._rest()
        return False

    @staticmethod
    def _plain(event):
        return not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier

    def _key(self, key):
        if key in _MOVES:
            element = self._start()
            steps = self._steps()
            self._light(steps.step(element, key) if steps else chain_step(element, key))
            return True
        if key in _ENTER:
            self._edit(self._start())
            return True
        return False

    # --- editing --------------------------------------------------------------
    def _edit(self, element):
        steps = self._steps()
        if steps is None:
            box = self.parameters.spinboxes.get(PANEL_BOX.get(element, ""))
            if box is None or not box.isEnabled() or not box.isVisibleTo(self.parameters):
                return
            scroll = next((w for w in _ancestors(box) if isinstance(w, QScrollArea)), None)
            if scroll is not None:
                scroll.ensureWidgetVisible(box)
        else:
            parameter = steps.editable(element)
            if not parameter or not self.diagram.select_element(parameter):
                return
            self.diagram.elementHovered.emit(parameter)   # a unit's bias: its rows, while it is edited
            box = self.diagram.editor
        self._trip = box
        box.installEventFilter(self)   # once: installing again only moves it first
        box.setFocus(Qt.FocusReason.OtherFocusReason)
        box.selectAll()

    def _back(self, event):
        """Enter: the box makes its edit as it would; Escape: what was typed is dropped.
        Then the focus comes back to the diagram, on the same element."""
        box = self._trip
        if event.key() == Qt.Key.Key_Escape:
            edit = box.lineEdit()
            edit.setText(box.prefix() + box.textFromValue(box.value()) + box.suffix())
            edit.setModified(False)
        else:
            box.keyPressEvent(event)
        event.accept()   # a spinbox ignores Enter, which would go on to its parent: the diagram
        if box is self.diagram.editor:
            self.diagram.select_element("")
        self.diagram.setFocus(Qt.FocusReason.OtherFocusReason)


def _ancestors(widget):
    while widget is not None:
        widget = widget.parentWidget()
        yield widget
