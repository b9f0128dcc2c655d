"""The network drawn as a graph: x → h₁ → h₂ → ŷ → L, with every value and gradient."""

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsLineItem, QGraphicsRectItem,
                               QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView)

from engine.expr import number, symbol
from engine.saturation import FACTORS, SATURATED_BELOW, saturated_units

POSITIVE, NEGATIVE = QColor(33, 102, 172), QColor(214, 96, 77)   # blue and red, colour-blind safe
NEUTRAL, HIGHLIGHT = QColor(90, 90, 90), QColor(255, 190, 0)
SATURATED = QColor(190, 30, 30)
NODES = ("x", "h1", "h2", "yhat", "L")
WEIGHTS = {"W1": ("x", "h1"), "W2": ("h1", "h2"), "W3": ("h2", "yhat")}
BIASES = {"b1": "h1", "b2": "h2", "b3": "yhat"}
# The term whose value a node shows, and the gradient reaching it.
NODE_VALUE = {"x": "x", "h1": "h1", "h2": "h2", "yhat": "yhat", "L": "L"}
NODE_GRADIENT = {"h1": "dL/dh1", "h2": "dL/dh2", "yhat": "dL/dyhat"}
SPACING, RADIUS, BIAS_RISE = 225.0, 32.0, 115.0
DIGITS = 4   # the diagram is a glance; the table has the digits


def edge_width(value):
    """Thickness grows with |value|, logarithmically so that large weights stay drawable."""
    return 1.0 + 3.0 * math.log1p(min(abs(value), 1e6))


def sign_colour(value):
    return POSITIVE if value >= 0 else NEGATIVE


class NetworkDiagram(QGraphicsView):
    """Shows a state's values; announces the element under the mouse."""

    elementHovered = Signal(str)   # "" when the mouse leaves every element

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("networkDiagram")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setScene(QGraphicsScene(self))
        self.texts = {}       # "h1.value", "W1.grad", ... -> text item: what tests and tooltips read
        self.shapes = {}      # element -> its ellipse, line or rectangle
        self._hovered = ""
        self._highlighted = ""
        self._values = {}
        self._saturated = {}   # hidden unit -> its activation factor, when below the threshold
        self._build()

    # --- construction ---------------------------------------------------
    def _text(self, key, pos, size=11, bold=False, colour=NEUTRAL):
        item = QGraphicsSimpleTextItem()
        font = QFont()
        font.setPointSizeF(size)
        font.setBold(bold)
        item.setFont(font)
        item.setBrush(QBrush(colour))
        item.setData(0, key.split(".")[0])
        item.setZValue(2)
        self.scene().addItem(item)
        item.anchor = pos
        self.texts[key] = item
        return item

    def _place(self, item, text):
        item.setText(text)
        box = item.boundingRect()
        item.setPos(item.anchor - QPointF(box.width() / 2, box.height() / 2))

    def _centre(self, node):
        return QPointF(NODES.index(node) * SPACING, 0.0)

    def _build(self):
        scene = self.scene()
        for name, (a, b) in WEIGHTS.items():
            line = QGraphicsLineItem(self._centre(a).x() + RADIUS, 0, self._centre(b).x() - RADIUS, 0)
            line.setData(0, name)
            scene.addItem(line)
            self.shapes[name] = line
            middle = (self._centre(a) + self._centre(b)) / 2
            self._text(f"{name}.value", middle + QPointF(0, -20), 14, True)
            self._text(f"{name}.grad", middle + QPointF(0, 40), 12.5)
        loss_edge = QGraphicsLineItem(self._centre("yhat").x() + RADIUS, 0, self._centre("L").x() - RADIUS, 0)
        loss_edge.setPen(QPen(NEUTRAL, 1.5, Qt.PenStyle.DashLine))
        scene.addItem(loss_edge)
        for node in NODES:
            centre = self._centre(node)
            circle = QGraphicsEllipseItem(QRectF(-RADIUS, -RADIUS, 2 * RADIUS, 2 * RADIUS))
            circle.setPos(centre)
            circle.setBrush(QBrush(QColor(250, 250, 250)))
            circle.setPen(QPen(NEUTRAL, 2))
            circle.setData(0, node)
            circle.setZValue(1)
            scene.addItem(circle)
            self.shapes[node] = circle
            self._place(self._text(f"{node}.name", centre, 17, True, QColor(20, 20, 20)), symbol(node))
            self._text(f"{node}.value", centre + QPointF(0, RADIUS + 34), 14, True)
            if node in NODE_GRADIENT:
                self._text(f"{node}.grad", centre + QPointF(0, RADIUS + 56), 12.5)
            if node in FACTORS:
                self._text(f"{node}.flag", centre + QPointF(0, RADIUS + 78), 12, True, SATURATED)
        for name, node in BIASES.items():
            centre = self._centre(node) + QPointF(0, -BIAS_RISE)
            box = QGraphicsRectItem(QRectF(-24, -16, 48, 32))
            box.setPos(centre)
            box.setBrush(QBrush(QColor(245, 245, 245)))
            box.setData(0, name)
            box.setZValue(1)
            scene.addItem(box)
            self.shapes[name] = box
            link = QGraphicsLineItem(0, -BIAS_RISE + 16, 0, -RADIUS)
            link.setPos(self._centre(node))
            link.setData(0, name)
            scene.addItem(link)
            self.shapes[name + ".link"] = link
            self._place(self._text(f"{name}.name", centre, 13, True, QColor(20, 20, 20)), symbol(name))
            self._text(f"{name}.value", centre + QPointF(0, -52), 14, True)
            self._text(f"{name}.grad", centre + QPointF(0, -29), 12.5)
        rect = scene.itemsBoundingRect()
        scene.setSceneRect(rect.adjusted(-75, -90, 75, 80))

    # --- showing a state ------------------------------------------------
    def show_state(self, values, derivation, concealed=False):
        """``values``: parameters, x, y, α; ``derivation``: the state's terms.
        ``concealed`` hides what is computed (predict mode: no answers on show)."""
        def term(term_id):
            if term_id in values:
                return number(values[term_id], DIGITS)
            return "?" if concealed else number(derivation.value(term_id), DIGITS)

        for node in NODES:
            self._place(self.texts[f"{node}.value"], f"{symbol(node)} = {term(NODE_VALUE[node])}")
            if node in NODE_GRADIENT:
                gradient = NODE_GRADIENT[node]
                self._place(self.texts[f"{node}.grad"], f"{symbol(gradient)} = {term(gradient)}")
        for name in list(WEIGHTS) + list(BIASES):
            value = values[name]
            self._place(self.texts[f"{name}.value"], f"{symbol(name)} = {number(value, DIGITS)}")
            self._place(self.texts[f"{name}.grad"], f"{symbol('dL/d' + name)} = {term('dL/d' + name)}")
            self.texts[f"{name}.value"].setBrush(QBrush(sign_colour(value)))
        self._saturated = {} if concealed else saturated_units(derivation)
        for unit, term_id in FACTORS.items():
            factor = self._saturated.get(unit)
            text = "" if factor is None else f"saturated: {symbol(term_id)} = {number(factor, 2)}"
            self._place(self.texts[f"{unit}.flag"], text)
            self.texts[f"{unit}.flag"].setToolTip(
                "" if factor is None else f"Below {SATURATED_BELOW}: this unit passes back almost "
                                          "nothing; the gradients before it vanish.")
        self._values = values
        self._paint()

    def highlight(self, element):
        """Mark one element (a node, a weight or a bias), or none with ""."""
        self._highlighted = element
        self._paint()

    def _paint(self):
        """Pens from the shown values: colour is the sign, width the magnitude;
        the highlighted element is outlined in amber."""
        for element, shape in self.shapes.items():
            lit = element.split(".")[0] == self._highlighted
            if element in WEIGHTS:
                value = self._values.get(element, 0.0)
                pen = QPen(HIGHLIGHT if lit else sign_colour(value), edge_width(value) + (4 if lit else 0))
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            elif element.endswith(".link"):
                pen = QPen(sign_colour(self._values.get(element[:-5], 0.0)), 1.5, Qt.PenStyle.DotLine)
            else:
                base = sign_colour(self._values[element]) if element in BIASES and element in self._values else NEUTRAL
                if element in self._saturated:
                    base = SATURATED
                pen = QPen(HIGHLIGHT if lit else base, 5 if lit else (3 if element in self._saturated else 2))
            shape.setPen(pen)

    # --- view behaviour -------------------------------------------------
    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def showEvent(self, event):
        super().showEvent(event)
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def element_at(self, pos):
        for item in self.items(pos):
            element = item.data(0)
            if element:
                return element
        return ""

    def mouseMoveEvent(self, event):
        super().mouseMoveEvent(event)
        self._set_hovered(self.element_at(event.position().toPoint()))

    def leaveEvent(self, event):
        super().leaveEvent(event)
        self._set_hovered("")

    def _set_hovered(self, element):
        if element != self._hovered:
            self._hovered = element
            self.elementHovered.emit(element)
