"""The network drawn as a graph: x → h₁ → h₂ → ŷ → L, with every value and gradient.

The scene is measured in the application's font: the smallest text is that
font at scale 1, and every distance follows from its line height and from the
widest label any value can give (``−8.888e−308``), wrapped to a fixed width.
So the layout is fixed whatever the values (a running training does not make
the drawing jump), no two labels can overlap, and the view's minimum size is
the size at which that smallest text is as large as the table's.

A network of any other shape (``spec.layers`` not 1-1-1-1) is drawn by
:mod:`gui.diagram_layers` in a scene of its own, laid out in the pane's pixels:
every unit and connection, a tooltip for each, and a click selects a weight or
a bias to type its value in a small box beside it.
"""

import math
import re

from PySide6.QtCore import QEvent, QPointF, QRectF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import (QBrush, QFont, QFontMetricsF, QPainter, QPainterPath, QPen,
                           QTransform)
from PySide6.QtWidgets import (QApplication, QGraphicsEllipseItem, QGraphicsItem, QGraphicsLineItem,
                               QGraphicsPathItem, QGraphicsRectItem, QGraphicsScene,
                               QGraphicsSimpleTextItem, QGraphicsView, QToolTip)

from engine.expr import number, symbol
from engine.saturation import UNIT_FACTORS, UNIT_LAYERS, flag_explanation, flag_words, saturated_units
from engine.terms import DEFAULT_SPEC

from .diagram_layers import ElementEditor, LayeredScene, edge_pen, edge_width, sign_colour, text_colour
from .theme import LIGHT, theme

# The light set's colours by the names tests and older code read; a view reads
# its theme's (gui/theme.py) when it draws.
POSITIVE, NEGATIVE = LIGHT.positive, LIGHT.negative
HIGHLIGHT, SATURATED, BACKING = LIGHT.highlight, LIGHT.saturated, LIGHT.label_backing
NODES = ("x", "h1", "h2", "yhat", "L")
WEIGHTS = {"W1": ("x", "h1"), "W2": ("h1", "h2"), "W3": ("h2", "yhat")}
BIASES = {"b1": "h1", "b2": "h2", "b3": "yhat"}
# The term whose value a node shows, and the gradient reaching it.
NODE_VALUE = {"x": "x", "h1": "h1", "h2": "h2", "yhat": "yhat", "L": "L"}
NODE_GRADIENT = {"h1": "dL/dh1", "h2": "dL/dh2", "yhat": "dL/dyhat"}
DIGITS = 4   # the diagram is a glance; the table has the digits
WIDEST_NUMBER = "−8.888e−308"   # the longest text number(v, DIGITS) gives
TYPICAL_GRADIENT = "∂L/∂W₁ = −1.234"   # stays on one line; longer labels wrap
# Lines each label may take once wrapped: a number on a line of its own, and a
# flag's words ("inactive", "(dead ReLU)") above its factor.
VALUE_LINES, GRADIENT_LINES, FLAG_LINES = 2, 2, 3
WIDEST_FLAG_LINES = ("nearly inactive:", "(dead ReLU):", "∂h₁/∂z₁ = 0.0012", "∂h₁/∂z₁ < 0.001")


_TOKEN = re.compile(r"\([^)]*\)\S*|\S+")   # a bracketed phrase stays whole


def wrap(text, width, measure):
    """``text`` broken at spaces into lines no wider than ``width`` where it can
    be; "=" stays with the symbol before it, so a number may go to a line of its own."""
    lines = []
    for paragraph in text.split("\n"):
        tokens = []
        for token in _TOKEN.findall(paragraph):
            if token == "=" and tokens:
                tokens[-1] += " ="
            else:
                tokens.append(token)
        line = ""
        for token in tokens:
            longer = f"{line} {token}" if line else token
            if line and measure(longer) > width:
                lines.append(line)
                line = token
            else:
                line = longer
        lines.append(line)
    return lines


def scaled_font(base, factor, bold=False):
    font = QFont(base)
    if base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF() * factor)
    else:
        font.setPixelSize(max(1, round(base.pixelSize() * factor)))
    font.setBold(bold)
    return font


class Label(QGraphicsItem):
    """A value or gradient: its text wrapped to ``width``, centred on its
    position's x (or left-aligned), its top at the position's y; on a light
    rounded backing, a child drawn just behind it and so above every edge."""

    def __init__(self, element, font, colour, width, padding, backing, centred=True):
        super().__init__()
        self._font, self._metrics = font, QFontMetricsF(font)
        self._brush = QBrush(colour)
        self._width, self._padding, self._centred = width, padding, centred
        self._text, self._lines, self._rect = "", [], QRectF()
        self.setData(0, element)
        self.setZValue(3)
        self.backing = QGraphicsPathItem(self)
        self.backing.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.backing.setBrush(QBrush(backing))
        self.backing.setPen(Qt.PenStyle.NoPen)
        self.backing.setData(0, element)
        self.backing.hide()

    # what tests and tooltips read: the text as one string, however it is wrapped
    def text(self):
        return self._text

    def lines(self):
        return list(self._lines)

    def font(self):
        return QFont(self._font)

    def brush(self):
        return QBrush(self._brush)

    def setBrush(self, brush):
        self._brush = QBrush(brush)
        self.update()

    def setText(self, text):
        if text == self._text:
            return   # most labels keep their text through an edit: nothing to lay out or repaint
        self.prepareGeometryChange()
        self._text = text
        self._lines = wrap(text, self._width - 2 * self._padding,
                           self._metrics.horizontalAdvance) if text else []
        width = max((self._metrics.horizontalAdvance(line) for line in self._lines), default=0.0)
        height = len(self._lines) * self._metrics.lineSpacing()
        self._rect = QRectF(-width / 2 if self._centred else 0.0, 0.0, width, height)
        path = QPainterPath()
        path.addRoundedRect(self.backing_rect(), self._padding, self._padding)
        self.backing.setPath(path)
        self.backing.setVisible(bool(self._lines))
        self.update()

    def backing_rect(self):
        """The backing around the text, in the label's coordinates; it is the
        whole space the label takes."""
        if not self._lines:
            return QRectF()
        pad = self._padding
        return self._rect.adjusted(-pad, -pad / 3, pad, pad / 3)

    def height(self):
        return self.backing_rect().height()

    def boundingRect(self):
        return QRectF(self._rect)

    def paint(self, painter, option, widget=None):
        painter.setFont(self._font)
        painter.setPen(QPen(self._brush.color()))
        spacing = self._metrics.lineSpacing()
        align = Qt.AlignmentFlag.AlignHCenter if self._centred else Qt.AlignmentFlag.AlignLeft
        for i, line in enumerate(self._lines):
            painter.drawText(QRectF(self._rect.left(), i * spacing, self._rect.width(), spacing),
                             align | Qt.AlignmentFlag.AlignVCenter, line)


class NetworkDiagram(QGraphicsView):
    """Shows a state's values; announces the element under the mouse, and
    (for a network of another shape than the chain) the weight or bias clicked
    and the value typed for it."""

    elementHovered = Signal(str)   # "" when the mouse leaves every element
    # A wider network's weight or bias chosen by a click ("W2[1,2]", "b2[1]"; "" when
    # the choice is dropped), and a value typed for it (on Enter).
    elementSelected = Signal(str)
    elementEdited = Signal(str, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("networkDiagram")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        # A wider network's lines are its scene's background (LayeredScene), kept between
        # paints; Qt empties the cache itself on a new scene, transform or size.
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setScene(QGraphicsScene(self))
        self.texts = {}       # "h1.value", "W1.grad", ... -> text item: what tests and tooltips read
        self.shapes = {}      # element -> its ellipse, line or rectangle
        self.chain_marks = {} # element -> its halo, shown while it is on the highlighted chain
        self._hovered = ""
        self._highlighted = ""
        self._chain = ()
        self._values = {}
        self._saturated = {}   # hidden unit -> its activation factor, when below the threshold
        self._text_scale = 1.0    # the texts' size against the application's font (presentation mode)
        self._last = None         # the arguments of the last show_state: shown again in new fonts
        # Drawn in the theme's colours; a new theme builds the scenes again, which
        # also empties every cache of what was drawn (labels' texts, pens applied).
        self._theme = theme()
        self.colours = self._theme.colours
        self._theme.themeChanged.connect(self._on_theme)
        self._measure()
        self._build()
        self._chain_scene = self.scene()
        self.network = None        # a LayeredScene while a network of another shape is shown
        self._caption_text = ""
        self._selected = ""
        self.editor = ElementEditor(self.viewport())
        self.editor.valueChanged.connect(self._on_editor_value)
        self.editor.escaped.connect(lambda: self._select("", announce=True))

    # --- construction ---------------------------------------------------
    def _measure(self):
        """Fonts from the application's; sizes and distances from their metrics."""
        base = scaled_font(QApplication.font(), self._text_scale)
        self.fonts = {
            "name": scaled_font(base, 1.35, True), "bias": scaled_font(base, 1.1, True),
            "value": scaled_font(base, 1.0, True), "grad": scaled_font(base, 1.0),
            "flag": scaled_font(base, 1.0), "caption": scaled_font(base, 1.0),
        }
        self.fonts["caption"].setItalic(True)
        self._smallest = min(self.fonts.values(), key=lambda f: QFontMetricsF(f).height())
        metrics = {k: QFontMetricsF(f) for k, f in self.fonts.items()}
        u = metrics["grad"].lineSpacing()
        self._unit = u
        self._pad = 0.3 * u          # a backing's margin around its text
        self._gap = 0.55 * u         # the least room between two labels side by side
        self._stack = 0.12 * u       # between two labels one above the other
        widest = max(metrics["value"].horizontalAdvance(WIDEST_NUMBER),
                     metrics["grad"].horizontalAdvance(TYPICAL_GRADIENT),
                     *(metrics["flag"].horizontalAdvance(line) for line in WIDEST_FLAG_LINES))
        self._label_width = widest + 2 * self._pad
        # Neighbouring labels, each at most _label_width wide, keep _gap apart.
        self._spacing = self._label_width + 2 * self._gap
        self._radius = 0.85 * metrics["name"].lineSpacing()
        self._box = QRectF(-1.1 * metrics["bias"].lineSpacing(), -0.6 * metrics["bias"].lineSpacing(),
                           2.2 * metrics["bias"].lineSpacing(), 1.2 * metrics["bias"].lineSpacing())

        def reserved(*fonts_lines):
            return sum(n * metrics[f].lineSpacing() + 2 * self._pad / 3 + self._stack
                       for f, n in fonts_lines)
        self._above = reserved(("value", VALUE_LINES), ("grad", GRADIENT_LINES))
        self._below = reserved(("value", VALUE_LINES), ("grad", GRADIENT_LINES), ("flag", FLAG_LINES))
        # Edge labels reach to within _gap of a node: above its circle, clear of it.
        self._edge_clear = self._radius + 0.2 * u
        self._box_y = -(self._edge_clear + self._above + 0.4 * u + self._box.bottom())
        # Below a node and above a box, clear of the chain's halo around them.
        self._node_label_y = self._radius + 0.4 * u

    def _label(self, key, font, colour, anchor, centred=True, width=None):
        label = Label(key.split(".")[0], self.fonts[font], colour, width or self._label_width,
                      self._pad, self.colours.label_backing, centred)
        label.anchor = anchor
        self.scene().addItem(label)
        self.texts[key] = label
        return label

    def _name(self, key, centre, font):
        item = QGraphicsSimpleTextItem(symbol(key.split(".")[0]))
        item.setFont(self.fonts[font])
        item.setBrush(QBrush(self.colours.name_text))
        item.setData(0, key.split(".")[0])
        item.setZValue(2)
        box = item.boundingRect()
        item.setPos(centre - QPointF(box.width() / 2, box.height() / 2))
        self.scene().addItem(item)
        self.texts[key] = item

    def _centre(self, node):
        return QPointF(NODES.index(node) * self._spacing, 0.0)

    def _mark(self, element, item, z):
        item.setZValue(z)
        item.setVisible(False)
        self.scene().addItem(item)
        self.chain_marks[element] = item

    def _haloed(self, element, kind, rect, centre, fill):
        """A node's circle or a bias's box, and the chain's ring around it."""
        margin = 0.2 * self._unit
        shape, halo = kind(rect), kind(rect.adjusted(-margin, -margin, margin, margin))
        shape.setPos(centre)
        halo.setPos(centre)
        shape.setBrush(QBrush(fill))
        shape.setData(0, element)
        shape.setZValue(1)
        self.scene().addItem(shape)
        self.shapes[element] = shape
        halo.setPen(QPen(self.colours.chain_halo, 0.35 * self._unit))
        self._mark(element, halo, 0.5)

    def _build(self):
        scene, r, u, colours = self.scene(), self._radius, self._unit, self.colours
        scene.setBackgroundBrush(QBrush(colours.scene))
        for name, (a, b) in WEIGHTS.items():
            ends = (self._centre(a).x() + r, 0, self._centre(b).x() - r, 0)
            line = QGraphicsLineItem(*ends)
            line.setData(0, name)
            scene.addItem(line)
            self.shapes[name] = line
            self._mark(name, QGraphicsLineItem(*ends), -1)
            middle = (self._centre(a) + self._centre(b)) / 2
            self._label(f"{name}.value", "value", colours.positive_text, middle)
            self._label(f"{name}.grad", "grad", colours.value_text, middle)
        ends = (self._centre("yhat").x() + r, 0, self._centre("L").x() - r, 0)
        loss_edge = QGraphicsLineItem(*ends)
        loss_edge.setPen(QPen(colours.neutral, 1.5 * self._text_scale, Qt.PenStyle.DashLine))
        scene.addItem(loss_edge)
        self._mark("yhat-L", QGraphicsLineItem(*ends), -1)
        loss_halo = QPen(colours.chain_halo, 0.9 * u)
        loss_halo.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.chain_marks["yhat-L"].setPen(loss_halo)
        for node in NODES:
            centre = self._centre(node)
            self._haloed(node, QGraphicsEllipseItem, QRectF(-r, -r, 2 * r, 2 * r), centre, colours.node_fill)
            self._name(f"{node}.name", centre, "name")
            below = centre + QPointF(0, self._node_label_y)
            self._label(f"{node}.value", "value", colours.value_text, below)
            if node in NODE_GRADIENT:
                self._label(f"{node}.grad", "grad", colours.value_text, below)
            if node in UNIT_FACTORS:
                self._label(f"{node}.flag", "flag", colours.saturated, below)
        for name, node in BIASES.items():
            centre = self._centre(node) + QPointF(0, self._box_y)
            self._haloed(name, QGraphicsRectItem, self._box, centre, colours.bias_fill)
            link = QGraphicsLineItem(0, self._box_y + self._box.bottom(), 0, -r)
            link.setPos(self._centre(node))
            link.setData(0, name)
            scene.addItem(link)
            self.shapes[name + ".link"] = link
            self._mark(name + ".link", QGraphicsLineItem(link.line()), -1)
            self.chain_marks[name + ".link"].setPos(link.pos())
            self.chain_marks[name + ".link"].setPen(QPen(colours.chain_halo, 0.6 * u))
            self._name(f"{name}.name", centre, "bias")
            top = centre + QPointF(0, self._box.top() - 0.4 * u)
            self._label(f"{name}.value", "value", colours.positive_text, top)
            self._label(f"{name}.grad", "grad", colours.value_text, top)
        margin = 0.3 * u
        left = -self._label_width / 2 - margin
        right = self._centre("L").x() + self._label_width / 2 + margin
        top = self._box_y + self._box.top() - 0.4 * u - self._above - margin
        bottom = self._node_label_y + self._below + margin
        scene.setSceneRect(QRectF(left, top, right - left, bottom - top))
        # The corner above x is empty (x has no bias): the caption goes there,
        # as wide as the room left of b₁'s labels.
        self.caption = Label("", self.fonts["caption"], colours.caption_text, self._spacing - self._gap,
                             self._pad, colours.label_backing, centred=False)
        self.caption.setData(0, "")
        self.caption.backing.setData(0, "")
        self.caption.setPos(left + margin + self._pad, top + margin + self._pad / 3)
        scene.addItem(self.caption)
        self._arrange()

    def _arrange(self):
        """Stack each element's labels from its anchor: below a node downwards,
        above an edge or a bias box upwards; a label takes only the lines it needs."""
        for node in NODES:
            y = self.texts[f"{node}.value"].anchor.y()
            for key in (f"{node}.value", f"{node}.grad", f"{node}.flag"):
                if key in self.texts:
                    label = self.texts[key]
                    label.setPos(label.anchor.x(), y + self._pad / 3)
                    y += label.height() + self._stack
        for name in list(WEIGHTS) + list(BIASES):
            bottom = -self._edge_clear if name in WEIGHTS else self.texts[f"{name}.value"].anchor.y()
            for key in (f"{name}.grad", f"{name}.value"):
                label = self.texts[key]
                label.setPos(label.anchor.x(), bottom - label.height() + self._pad / 3)
                bottom -= label.height() + self._stack

    # --- showing a state ------------------------------------------------
    def show_state(self, values, derivation, hidden=frozenset(), spec=None, *, concealed=False):
        """``values``: parameters, x, y, α; ``derivation``: the state's terms.
        ``hidden``: ids of the terms whose values show "?" (predict mode: the
        answers not yet revealed); ``concealed=True`` hides every term.
        ``spec`` names the hidden layers' activations, which word a weak unit's
        flag (the reference network's tanh when not given)."""
        if concealed:
            hidden = frozenset(t.id for t in derivation)
        spec = spec or DEFAULT_SPEC
        self._last = (values, derivation, hidden, spec)
        if not spec.is_reference_shape:
            self._show_network(values, derivation, hidden, spec)
            return
        if self.network is not None:
            self._leave_network()

        def term(term_id):
            if term_id in hidden:
                return "?"
            if term_id in values:
                return number(values[term_id], DIGITS)
            return number(derivation.value(term_id), DIGITS)

        for node in NODES:
            self.texts[f"{node}.value"].setText(f"{symbol(node)} = {term(NODE_VALUE[node])}")
            if node in NODE_GRADIENT:
                gradient = NODE_GRADIENT[node]
                self.texts[f"{node}.grad"].setText(f"{symbol(gradient)} = {term(gradient)}")
        for name in list(WEIGHTS) + list(BIASES):
            value = values[name]
            self.texts[f"{name}.value"].setText(f"{symbol(name)} = {number(value, DIGITS)}")
            self.texts[f"{name}.grad"].setText(f"{symbol('dL/d' + name)} = {term('dL/d' + name)}")
            self.texts[f"{name}.value"].setBrush(QBrush(text_colour(value, self.colours)))
        # A flag would give away the factor ∂h/∂z while it is still to be predicted.
        self._saturated = {unit: factor for unit, factor in saturated_units(derivation).items()
                           if UNIT_FACTORS[unit] not in hidden}
        for unit, term_id in UNIT_FACTORS.items():
            factor = self._saturated.get(unit)
            label = self.texts[f"{unit}.flag"]
            if factor is None:
                label.setText("")
                label.setToolTip("")
                continue
            activation = spec.activation(UNIT_LAYERS[unit])
            # Two significant digits, and no e-notation: "< 0.001" says enough
            # at a glance and keeps the flag as narrow as the other labels.
            shown = f"= {number(factor, 2)}" if factor == 0 or abs(factor) >= 1e-3 else "< 0.001"
            label.setText(f"{flag_words(activation, factor)}:\n{symbol(term_id)} {shown}")
            label.setToolTip(f"{symbol(term_id)} = {number(factor)}: "
                             + flag_explanation(activation, factor))
        self._values = values
        self._arrange()
        self._paint()

    def set_text_scale(self, factor):
        """Every text ``factor`` times the application's font (presentation
        mode).  The scenes are built again in the new fonts, since every
        distance follows from them, and the last state is shown again.  The
        chain's minimum size stays as it was (its smallest text at least the
        table's normal size), so a larger text never asks for a larger window."""
        if factor == self._text_scale:
            return
        self._text_scale = factor
        self._rebuild()

    def _on_theme(self):
        if self._theme.colours is not self.colours:
            self.colours = self._theme.colours
            self._rebuild()

    def _rebuild(self):
        """Both scenes anew, in the current fonts and colours; the last state shown again."""
        old = self._chain_scene
        self.texts, self.shapes, self.chain_marks = {}, {}, {}
        self.setScene(QGraphicsScene(self))
        self._measure()
        self._build()
        self._chain_scene = self.scene()
        caption, self._caption_text = self._caption_text, None
        self.show_sample(caption)
        if self.network is not None:   # built anew by show_state, in the new fonts
            self.network.deleteLater()
            self.network = None
        old.deleteLater()
        if self._last is not None:
            self.show_state(*self._last)
        self._fit()

    def display(self, shown):
        """The views' common entry (gui/shown.py): the record's state."""
        self.show_state(shown.values, shown.derivation, shown.hidden, shown.spec)

    def highlight(self, element):
        """Mark one element (a node, a weight or a bias), or none with "".
        A wider network's element is named by an element id (W2[1,2], b2[1],
        h1[2]) or any term id of it (dL/dW2[1,2], z1[2]); a vector's id (dL/dW2)
        marks all its elements."""
        self._highlighted = element
        self._repaint()

    def highlight_chain(self, elements):
        """Light a whole path, e.g. ("yhat", "W3", "h2", "W2", "h1", "W1", "x"):
        a translucent amber halo under its edges and around its nodes and
        boxes, beside the solid amber of :meth:`highlight`; () clears it."""
        self._chain = tuple(elements)
        self._repaint()

    def show_sample(self, text):
        """A caption in the top-left corner: which sample the values are of
        ("sample 3 of 20", "batch mean of 20 samples"); "" hides it."""
        if text == self._caption_text:
            return   # the same on every redraw of one dataset: not measured and drawn again
        self.caption.setText(text)
        self._caption_text = text
        if self.network is not None:
            self.network.set_caption(text)

    def _repaint(self):
        if self.network is None:
            self._paint()
            return
        shape = self.network.shape
        chain = set().union(*(shape.drawn(e) for e in self._chain)) if self._chain else set()
        self.network.paint(shape.drawn(self._highlighted), chain, self._selected)

    # --- a network of another shape -----------------------------------------
    def _show_network(self, values, derivation, hidden, spec):
        if self.network is None or self.network.shape.layers != tuple(spec.layers):
            if self.network is not None:
                self.network.deleteLater()
            self.network = LayeredScene(spec.layers, self.fonts, self.colours, self, line_scale=self._text_scale)
            self.network.caption_text = self._caption_text
            self.setScene(self.network)
            self._hovered = ""
            self.network.show(values, derivation, hidden, spec)
            if self._selected and self._selected not in self.network.shape.elements:
                self._select("", announce=True)
            self._fit()
        else:
            self.network.show(values, derivation, hidden, spec)
        self._repaint()
        self._place_editor()

    def _leave_network(self):
        if self._selected:
            self._select("", announce=True)
        self.setScene(self._chain_scene)
        self.network.deleteLater()
        self.network = None
        self._hovered = ""
        self._fit()

    def selected_element(self):
        return self._selected

    def select_element(self, element):
        """Select a wider network's weight or bias (W2[1,2], b2[1]) as a click
        on it does, without announcing it: lit, with the box to type its value
        beside it; "" drops the selection.  Returns whether it is selected
        (the chain's diagram selects nothing: it has its spinboxes)."""
        if self.network is None or (element and (element not in self.network.edges
                                                 and element not in self.network.biases)):
            return False
        self._select(element, announce=False)
        return bool(element)

    def _select(self, element, announce):
        if element == self._selected:
            return
        self._selected = element
        if self.network is not None:
            self._repaint()
        self._place_editor()
        if announce:
            self.elementSelected.emit(element)

    def _place_editor(self):
        editor, network, element = self.editor, self.network, self._selected
        if network is None or not element:
            editor.hide()
            return
        if not editor.lineEdit().isModified() or not editor.hasFocus():
            with QSignalBlocker(editor):
                editor.setValue(network.parameter(element))
            editor.lineEdit().setModified(False)
        editor.setToolTip(network.tooltip(element).split("\n")[0])
        editor.adjustSize()
        point = self.mapFromScene(network.anchor(element))
        size, port = editor.sizeHint(), self.viewport().rect()
        offset = round(0.6 * self._unit)
        if element in network.biases:
            # Left of the unit, over its incoming edges: its label on the right stays in view.
            x = point.x() - round(network.geometry.radius) - offset - size.width()
            y = point.y() - size.height() // 2
            if x < 0:
                x, y = point.x() + offset, point.y() + offset
        else:   # below the edge's middle
            x, y = point.x() - size.width() // 2, point.y() + offset
        x = min(max(x, 0), port.width() - size.width())
        if y + size.height() > port.height():
            y = point.y() - offset - size.height()
        editor.setGeometry(x, max(0, y), size.width(), size.height())
        editor.show()
        editor.raise_()

    def revert_editor(self):
        """The selected element's box shows the state's value again (an edit was refused)."""
        self.editor.lineEdit().setModified(False)
        self._place_editor()

    def _on_editor_value(self, value):
        if self._selected:
            self.elementEdited.emit(self._selected, value)

    def _paint(self):
        """Pens from the shown values: colour is the sign (a negative one dashed
        too), width the magnitude; the highlighted element is outlined in amber,
        the chain haloed."""
        # Lines as much thicker as the texts are larger (presentation mode): the scene grows with
        # its fonts and is fitted to the same pane, so lines of a fixed width would look thinner.
        colours, thick = self.colours, self._text_scale
        for element, shape in self.shapes.items():
            lit = element.split(".")[0] == self._highlighted
            if element in WEIGHTS:
                value = self._values.get(element, 0.0)
                pen = edge_pen(value, colours, (edge_width(value) + (4 if lit else 0)) * thick, lit)
            elif element.endswith(".link"):
                pen = QPen(sign_colour(self._values.get(element[:-5], 0.0), colours), 1.5 * thick,
                           Qt.PenStyle.DotLine)
            else:
                value = self._values.get(element, 0.0) if element in BIASES else 0.0
                base = sign_colour(value, colours) if element in BIASES and element in self._values else colours.neutral
                if element in self._saturated:
                    base = colours.saturated
                pen = QPen(colours.highlight if lit else base,
                           (5 if lit else (3 if element in self._saturated else 2)) * thick)
                if value < 0:   # as a negative weight's line: the sign not by colour alone
                    pen.setStyle(Qt.PenStyle.DashLine)
            shape.setPen(pen)
        chain = set(self._chain)
        for element, mark in self.chain_marks.items():
            on = element.split(".")[0] in chain if element != "yhat-L" else {"yhat", "L"} <= chain
            mark.setVisible(on)
            if on and element in WEIGHTS:
                pen = QPen(colours.chain_halo, edge_width(self._values.get(element, 0.0)) * thick + 0.9 * self._unit)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                mark.setPen(pen)

    # --- view behaviour -------------------------------------------------
    def _minimum_scale(self):
        """The scale at which the smallest text is as tall as the table's."""
        table = QFontMetricsF(QApplication.font()).height()
        return table / QFontMetricsF(self._smallest).height()

    def minimumSizeHint(self):
        scale, frame = self._minimum_scale(), 2 * self.frameWidth()
        rect = self._chain_scene.sceneRect()   # a wider network fits the same room
        return QSize(math.ceil(rect.width() * scale) + frame, math.ceil(rect.height() * scale) + frame)

    def sizeHint(self):
        return self.minimumSizeHint()

    def smallest_text_pixels(self):
        """The rendered height in pixels of the smallest text at the current scale."""
        return QFontMetricsF(self._smallest).height() * self.transform().m22()

    def _fit(self):
        """The whole scene in the viewport, as large as it fits (the aspect kept;
        without fitInView's margin, which would make the minimum size too small)."""
        rect, port = self.sceneRect(), self.viewport().size()
        if port.width() <= 0 or port.height() <= 0:
            return
        if self.network is not None:   # laid out again in the pane's pixels
            self.setTransform(QTransform())
            self.network.arrange(port.width(), port.height())
            self.centerOn(self.network.sceneRect().center())
            self._repaint()
            self._place_editor()
            return
        scale = min(port.width() / rect.width(), port.height() / rect.height())
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(rect.center())

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event):
        super().showEvent(event)
        self._fit()

    def element_at(self, pos):
        if self.network is not None:
            return self.network.element_at(self.mapToScene(pos))
        for item in self.items(pos):
            element = item.data(0)
            if element:
                return element
        return ""

    def mouseMoveEvent(self, event):
        super().mouseMoveEvent(event)
        self._set_hovered(self.element_at(event.position().toPoint()))

    def mousePressEvent(self, event):
        if self.network is None or event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        element = self.element_at(event.position().toPoint())
        if element in self.network.units:
            element = self.network.shape.bias_of(element)
        elif element not in self.network.edges and element not in self.network.biases:
            element = ""
        self._select(element, announce=True)
        if element:
            self.editor.setFocus(Qt.FocusReason.MouseFocusReason)
            self.editor.selectAll()
        event.accept()

    def viewportEvent(self, event):
        if getattr(self, "network", None) is not None and event.type() == QEvent.Type.ToolTip:
            text = self.network.tooltip(self.element_at(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def tooltip_at(self, pos):
        """The text hovering ``pos`` (viewport pixels) shows, for a wider network."""
        return self.network.tooltip(self.element_at(pos)) if self.network is not None else ""

    def leaveEvent(self, event):
        super().leaveEvent(event)
        self._set_hovered("")

    def _set_hovered(self, element):
        if element != self._hovered:
            self._hovered = element
            self.elementHovered.emit(element)
