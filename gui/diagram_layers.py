"""The diagram of a network of any small shape: every unit and every
connection, in columns (the inputs, each hidden layer, the outputs, then L).

Unlike the chain's diagram, whose fixed scene is scaled to the pane, this one
is laid out again in the pane's own pixels whenever the pane changes size: its
text stays the application's (the table's) size, and the columns and rows
spread over whatever room there is.  What a unit's label shows shrinks to what
fits (its value and its gradient, the value only, fewer digits, nothing) and
the rest is one hover away; a weight is drawn as its edge (colour the sign,
thickness the magnitude) and written beside it only where a few edges leave
room for that.

Drawn elements are named by the engine's element ids: a unit ``x[1]``,
``h1[2]``, ``yhat[1]`` or ``L``, a connection ``W2[1,2]`` (unit 2 of layer 1
to unit 1 of layer 2), a bias ``b2[1]`` (the small square on its unit), and
``yhat[1]-L``, the dashed line from an output to the loss.
"""

import math
import re
from dataclasses import dataclass, field

from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QPaintEngine, QPainter, QPainterPath, QPen,
                           QPixmap, QRegion, QTransform)
from PySide6.QtWidgets import (QDoubleSpinBox, QGraphicsEllipseItem, QGraphicsItem, QGraphicsLineItem,
                               QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem,
                               QStyleOptionGraphicsItem)

from engine import LIMITS
from engine.elements import element_symbol, place
from engine.expr import number, symbol
from engine.saturation import flag_explanation, flag_words, saturated_units

from .theme import LIGHT

# The light set's, by the names tests read; the scene draws in the colours it is given.
POSITIVE, NEGATIVE = LIGHT.positive, LIGHT.negative
NEGATIVE_DASHES = (3.0, 1.6)   # in pen widths: a negative weight's line reads as one in greyscale too
# Beyond this many lines and halos changed at once (training moves every weight),
# the background is drawn again whole rather than line by line.
REDRAWN_APART = 12
_UNMOVED = QTransform()

DIGITS = 4            # as the chain's diagram: a glance; the table has the digits
TOOLTIP_DIGITS = 6
EDITOR_DECIMALS = 6   # the chain's spinboxes' (gui/parameters.py DECIMALS)
LOSS = "L"
HINT = "Hover a unit or an edge for its numbers; click one to edit its bias or weight"


def edge_width(value):
    """As the chain's: thickness grows with |value|, logarithmically, up to 1000."""
    return 1.0 + 3.0 * math.log1p(min(abs(value), 1e3))


def sign_colour(value, colours):
    return colours.positive if value >= 0 else colours.negative


def text_colour(value, colours):
    return colours.positive_text if value >= 0 else colours.negative_text


def edge_pen(value, colours, width, lit=False):
    """A weight's line: its sign's colour (amber when ``lit``), dashed when
    negative, so that the sign is not told by colour alone."""
    pen = QPen(colours.highlight if lit else sign_colour(value, colours), width)
    if value < 0:
        pen.setDashPattern(NEGATIVE_DASHES)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)   # a round cap would close the gaps
    else:
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def column_names(layers):
    """The units' names of each column: x, h1 …, yhat."""
    return ["x"] + [f"h{l}" for l in range(1, len(layers) - 1)] + ["yhat"]


def fit_number(value, width, measure):
    """``value`` with as many of DIGITS significant digits as fit in ``width``;
    "…" (the rest on hover) when not even one does, "" when not even that."""
    if isinstance(value, str):
        return value if measure(value) <= width else ""
    for digits in range(DIGITS, 0, -1):
        text = number(value, digits)
        if measure(text) <= width:
            return text
    return "…" if measure("…") <= width else ""


_INDEX = re.compile(r"\[(\d+)(?:,(\d+))?\]$")
_PARTIAL = re.compile(r"d(\w+?)/d\w+")


class Shape:
    """The network's drawn elements and which of them a term belongs to."""

    def __init__(self, layers):
        self.layers = tuple(layers)
        self.names = column_names(self.layers)
        self.columns = [[f"{name}[{i}]" for i in range(1, width + 1)]
                        for name, width in zip(self.names, self.layers)]
        self.units = [u for column in self.columns for u in column] + [LOSS]
        self.edges = [f"W{l}[{i},{j}]" for l in range(1, len(self.layers))
                      for i in range(1, self.layers[l] + 1) for j in range(1, self.layers[l - 1] + 1)]
        self.biases = [f"b{l}[{i}]" for l in range(1, len(self.layers)) for i in range(1, self.layers[l] + 1)]
        self.links = [f"{unit}-{LOSS}" for unit in self.columns[-1]]
        self.elements = set(self.units) | set(self.edges) | set(self.biases) | set(self.links)

    def column_of(self, base):
        """The column index of a unit name: x, h2, yhat, or z2 (the sum that makes layer 2)."""
        if base == "x":
            return 0
        if base == "yhat":
            return len(self.layers) - 1
        match = re.fullmatch(r"[hz](\d+)", base)
        if match and 1 <= int(match[1]) < len(self.layers):
            return int(match[1])
        return None

    def unit_of_bias(self, bias):
        """b2[1] -> the unit it belongs to (yhat[1] in a network with one hidden layer)."""
        layer, index = int(bias[1:bias.index("[")]), _INDEX.search(bias)[1]
        return f"{self.names[layer]}[{index}]"

    def bias_of(self, unit):
        """The bias a unit carries (h1[2] -> b1[2]); "" for an input and L."""
        base, _, rest = unit.partition("[")
        column = self.column_of(base)
        return f"b{column}[{rest}" if column else ""

    def ends(self, edge):
        """The units an edge joins: W2[1,2] -> (h1[2], h2[1]), or (h1[2], yhat[1]) with one hidden layer."""
        layer = int(edge[1:edge.index("[")])
        match = _INDEX.search(edge)
        return f"{self.names[layer - 1]}[{match[2]}]", f"{self.names[layer]}[{match[1]}]"

    def drawn(self, term_id):
        """The drawn elements a term or element id belongs to: W2[1,2], dL/dW2[1,2] and
        W2_next[1,2] -> {W2[1,2]}; h1[2], z1[2], dL/dz1[2], dh1/dz1[2] -> {h1[2]};
        err[1] and y[1] -> the output's line to L; an id without an index (dL/dW2, h1)
        -> every element of its vector; anything else -> none."""
        if not term_id:
            return set()
        if term_id in self.elements:
            return {term_id}
        match = _INDEX.search(term_id)
        base = term_id[:match.start()] if match else term_id
        index = term_id[match.start():] if match else ""
        if base.startswith("dL/d"):
            base = base[4:]
        else:
            partial = _PARTIAL.fullmatch(base)
            if partial:
                base = partial[1]
        base = base.removesuffix("_next")
        if base == LOSS:
            return {LOSS}
        if base in ("err", "y"):
            return {link for link in self.links if link.startswith(f"yhat{index}-")} if index else set(self.links)
        weight = re.fullmatch(r"([Wb])(\d+)", base)
        if weight:
            pool = self.edges if weight[1] == "W" else self.biases
            if index:
                return {base + index} & set(pool)
            return {e for e in pool if e.startswith(base + "[")}
        column = self.column_of(base)
        if column is None:
            return set()
        units = self.columns[column]
        if index:
            return {f"{self.names[column]}{index}"} & set(units)
        return set(units)


@dataclass
class Geometry:
    """Where everything goes in a pane ``width`` × ``height`` pixels."""
    width: float
    height: float
    radius: float = 0.0
    spacing: float = 0.0                 # between two columns' centres
    pitch: float = 0.0                   # between two units' centres in a column
    lines: int = 0                       # a unit label's lines: 2 value and gradient, 1 value, 0 none
    label_width: float = 0.0             # the most a unit label's text may take
    index_shown: bool = True             # the unit's number inside its circle
    centres: dict = field(default_factory=dict)
    header_y: float = 0.0
    legend_y: float = 0.0
    caption_y: float = 0.0


class UnitLabel(QGraphicsItem):
    """A few lines, each in its own font and colour, left-aligned from the
    position, vertically centred on it, on a light rounded backing that hides
    the edges beneath."""

    def __init__(self, element, padding, backing):
        super().__init__()
        self._lines, self._rect, self._padding, self._drawn = [], QRectF(), padding, []
        self._backing = QBrush(backing)
        self._picture = None   # (the world transform's translation, the device pixel, the backing drawn there)
        self.setData(0, element)
        self.setZValue(3)

    def set_lines(self, lines):
        """``lines``: (text, font, colour) each; empty texts are left out."""
        lines = [(text, font, colour) for text, font, colour in lines if text]
        if lines == self._lines:
            return
        self._lines = lines
        metrics = [QFontMetricsF(font) for _, font, _ in lines]
        width = max((m.horizontalAdvance(t) for m, (t, _, _) in zip(metrics, lines)), default=0.0)
        height = sum(m.lineSpacing() for m in metrics)
        pad = self._padding
        rect = QRectF(0, -height / 2 - pad / 3, width + 2 * pad, height + 2 * pad / 3) if lines else QRectF()
        if rect != self._rect:   # a new number is often as wide as the old: the scene's index is left alone
            self.prepareGeometryChange()
            self._rect, self._picture = rect, None
        # Each line's font, pen and baseline, worked out once here, not on every
        # paint: its text vertically centred in its line's spacing.
        self._drawn, y = [], self._rect.top() + pad / 3
        for (text, font, colour), m in zip(lines, metrics):
            baseline = y + (m.lineSpacing() - (m.ascent() + m.descent())) / 2 + m.ascent()
            self._drawn.append((font, QPen(colour), QPointF(pad, baseline), text))
            y += m.lineSpacing()
        self.update()

    def texts(self):
        return [text for text, _, _ in self._lines]

    def colours(self):
        return [QColor(colour) for _, _, colour in self._lines]

    def boundingRect(self):
        return QRectF(self._rect)

    def paint(self, painter, option, widget=None):
        if not self._lines:
            return
        self._paint_backing(painter)
        for font, pen, baseline, text in self._drawn:
            painter.setFont(font)
            painter.setPen(pen)
            painter.drawText(baseline, text)


    def _paint_backing(self, painter):
        """The rounded backing, from a picture of it while the label keeps its
        size and its place.  Qt's raster engine fills a translucent
        antialiased shape at some 40 µs a label, and blits the picture in a
        few; an edit repaints every label.  Drawn as a shape where it must stay
        one (an SVG) or the device scales (a high-dpi screen)."""
        if painter.deviceTransform().isScaling() or painter.paintEngine().type() != QPaintEngine.Type.Raster:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._backing)
            painter.drawRoundedRect(self._rect, self._padding, self._padding)
            return
        # Drawn with no world transform: the device adds only whole pixels (a widget's place in its window).
        world = painter.worldTransform()
        at = (world.dx(), world.dy())
        if self._picture is None or self._picture[0] != at:
            self._picture = (at, *self._draw_backing(self._rect.translated(*at)))
        painter.setWorldTransform(_UNMOVED)
        painter.drawPixmap(self._picture[1], self._picture[2])
        painter.setWorldTransform(world)

    def _draw_backing(self, place):
        """The whole pixel where ``place`` begins, and a picture of the backing
        filling ``place`` from there, as antialiased as drawn in place."""
        corner = QPoint(math.floor(place.left()), math.floor(place.top()))
        offset = place.topLeft() - QPointF(corner)
        picture = QPixmap(math.ceil(offset.x() + place.width()), math.ceil(offset.y() + place.height()))
        picture.fill(Qt.GlobalColor.transparent)
        drawing = QPainter(picture)
        drawing.setRenderHint(QPainter.RenderHint.Antialiasing)
        drawing.setPen(Qt.PenStyle.NoPen)
        drawing.setBrush(self._backing)
        drawing.drawRoundedRect(QRectF(offset, place.size()), self._padding, self._padding)
        drawing.end()
        return corner, picture


class ElementEditor(QDoubleSpinBox):
    """The small box beside a selected weight or bias: type a value, Enter."""

    escaped = Signal()

    def __init__(self, parent):
        super().__init__(parent)
        self.setObjectName("diagramElementEditor")
        self.setRange(*LIMITS["W1"])
        self.setDecimals(EDITOR_DECIMALS)
        self.setSingleStep(0.1)
        self.setKeyboardTracking(False)   # typing "0.75" is one edit, not four
        self.setAccelerated(True)
        self.hide()

    def keyPressEvent(self, event):
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class LayeredScene(QGraphicsScene):
    """Every unit and connection of one shape, laid out for a pane's size.

    The edges, the lines to L and the chain's halos are items (hover, tooltips
    and tests read their pens) that paint nothing themselves: the scene draws
    them as its background, which the view keeps in its background cache
    (NetworkDiagram), below every other item as their z-values put them.  An
    edit rewrites every unit's label, whose backings lie over the edges, so the
    view repaints most of itself; the edges then come from that cache, and only
    where an edge's or a halo's look changed are they drawn again."""

    def __init__(self, layers, fonts, colours, parent=None, line_scale=1.0):
        super().__init__(parent)
        self.shape = Shape(layers)
        self.fonts = fonts
        self.line_scale = line_scale   # lines as much thicker as the fonts are larger (presentation mode)
        # Fixed for the scene's life: a new theme builds a new scene (and so empties every cache below).
        self.colours = colours
        self.setBackgroundBrush(QBrush(colours.scene))
        metrics = QFontMetricsF(fonts["grad"])
        self._line = metrics.lineSpacing()
        self._pad = 0.3 * self._line
        self._gap = 0.3 * self._line
        self.geometry = Geometry(0, 0)
        self.edges, self.units, self.biases, self.links = {}, {}, {}, {}
        self.labels, self.numbers, self.headers, self.legends = {}, {}, {}, {}
        self.chain_marks = {}
        self.edge_labels = {}            # weight -> its label, shown where a few edges leave room
        self.caption_text = ""
        self._values, self._derivation, self._hidden, self._spec = {}, None, frozenset(), None
        self._shown = {}                 # element -> (value or "?", gradient or "?" or None)
        self._saturated = {}
        # What each redraw reads and need not work out again: a weight's or bias's
        # place in its array, the layers of each weight matrix, the fonts' metrics.
        self._places = {e: place(e) for e in self.shape.edges + self.shape.biases}
        self._by_layer = {}
        for edge in self.shape.edges:
            self._by_layer.setdefault(int(edge[1:edge.index("[")]), []).append(edge)
        self._metrics = {name: QFontMetricsF(fonts[name]) for name in ("value", "grad", "caption")}
        self._looks = {}                 # element -> what its pen and brush were last set from
        self._underlay = set()           # the items drawBackground draws
        self._build()

    # --- construction -----------------------------------------------------
    def _build(self):
        shape, colours = self.shape, self.colours
        for edge in shape.edges:
            self.edges[edge] = self._item(QGraphicsLineItem(), edge, 0)
            self._halo(edge, QGraphicsLineItem())
            label = self._unit_label(edge)
            self.addItem(label)
            label.hide()
            self.edge_labels[edge] = label
        for link in shape.links:
            line = self._item(QGraphicsLineItem(), "", 0)
            line.setPen(QPen(colours.neutral, 1.5, Qt.PenStyle.DashLine))
            self.links[link] = line
            self._halo(link, QGraphicsLineItem())
        for column, units in enumerate(shape.columns + [[LOSS]]):
            for i, unit in enumerate(units, 1):
                circle = self._item(QGraphicsEllipseItem(), unit, 1)
                circle.setBrush(QBrush(colours.node_fill))
                self.units[unit] = circle
                self._halo(unit, QGraphicsEllipseItem())
                text = QGraphicsSimpleTextItem(str(i) if unit != LOSS else "", circle)
                text.setFont(self.fonts["grad"])
                text.setBrush(QBrush(colours.name_text))
                text.setData(0, unit)
                self.numbers[unit] = text
                label = self._unit_label(unit)
                self.addItem(label)
                self.labels[unit] = label
        for bias in shape.biases:
            self.biases[bias] = self._item(QGraphicsRectItem(), bias, 2)
            self._halo(bias, QGraphicsRectItem())
        for column, name in enumerate(shape.names + [LOSS]):
            header = QGraphicsSimpleTextItem(symbol(name))
            header.setFont(self.fonts["name"])
            header.setBrush(QBrush(colours.name_text))
            header.setZValue(2)
            self.addItem(header)
            self.headers[name] = header
            if name not in ("x", LOSS):
                legend = self._unit_label("")
                legend.set_lines([(symbol(f"dL/d{name}"), self.fonts["grad"], colours.gradient_text)])
                legend.setToolTip(f"the second number beside each unit: {symbol('dL/d' + name)}, "
                                  "the gradient of the loss with respect to the unit")
                self.addItem(legend)
                self.legends[name] = legend
        self.caption = self._unit_label("")
        self.addItem(self.caption)

    def _unit_label(self, element):
        return UnitLabel(element, self._pad, self.colours.label_backing)

    def _item(self, item, element, z):
        item.setData(0, element)
        item.setZValue(z)
        self.addItem(item)
        if z < 1:   # a line: below the units, drawn with the background
            self._under(item)
        return item

    def _halo(self, element, item):
        item.setZValue(-1)
        item.setVisible(False)
        self.addItem(item)
        self._under(item)
        self.chain_marks[element] = item

    def _under(self, item):
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self._underlay.add(item)

    def drawBackground(self, painter, rect):
        """The scene's colour, then the lines and halos that reach into the
        area to draw, as the items would paint themselves, in their stacking
        order.  Lines that merely pass the area's bounding rectangle are left
        out: each costs its stroking however little of it shows."""
        super().drawBackground(painter, rect)
        area = QPainterPath()
        area.setFillRule(Qt.FillRule.WindingFill)
        for box in (painter.clipRegion() if painter.hasClipping() else QRegion(rect.toAlignedRect())):
            area.addRect(QRectF(box).adjusted(-1, -1, 1, 1))   # a pixel more for a neighbour's antialiasing
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)   # a cache's painter has no hints of its own
        base, option = painter.transform(), QStyleOptionGraphicsItem()
        for item in self.items(area, Qt.ItemSelectionMode.IntersectsItemShape, Qt.SortOrder.AscendingOrder):
            if item in self._underlay:
                painter.setTransform(QTransform.fromTranslate(item.x(), item.y()) * base)
                item.paint(painter, option)
        painter.restore()

    def _redraw(self, changed):
        """The cached background drawn again where the lines and halos in
        ``changed`` (each with its pen's width before) were or now are: along
        a line in a few boxes, not its whole bounding rectangle, which for a
        slanting edge takes in most of its layer."""
        layer = QGraphicsScene.SceneLayer.BackgroundLayer
        if len(changed) > REDRAWN_APART:
            self.invalidate(self.sceneRect(), layer)
            return
        for item, width in changed:
            for box in _along(item, width):
                self.invalidate(box, layer)

    # --- layout -------------------------------------------------------------
    def measure(self, width, height):
        """The geometry for a pane of ``width`` × ``height`` pixels."""
        shape, line, pad, gap = self.shape, self._line, self._pad, self._gap
        g = Geometry(width, height)
        name_line = max(header.boundingRect().height() for header in self.headers.values())
        margin = pad
        tallest = max(shape.layers)
        caption = line + 2 * pad / 3
        # Rows first with the legend line, then without it if a label's two lines do not fit.
        for legend in (True, False):
            top = margin + name_line + (line + pad if legend else 0.0) + gap
            bottom = height - margin - caption - (gap if caption else 0.0)
            g.pitch = max(1.0, (bottom - top) / tallest)
            g.lines = 2 if g.pitch >= 2 * line + 2 * pad / 3 + gap else (1 if g.pitch >= line + 2 * pad / 3 + gap else 0)
            if g.lines == 2 or not legend:
                break
        g.header_y = margin
        g.legend_y = margin + name_line + pad / 3      # the legend's backing's top
        g.caption_y = height - margin - caption
        g.radius = max(2.0, min(0.65 * line, (g.pitch - gap) / 2))
        g.index_shown = g.radius >= 0.55 * line
        metrics = QFontMetricsF(self.fonts["value"])
        loss_width = metrics.horizontalAdvance("0.0008343") + 2 * pad
        n = len(shape.layers)
        g.spacing = max(1.0, (width - 2 * margin - 2 * g.radius - gap - loss_width) / n)
        # Right of each unit, its label; then a run of the edges before the next column.
        run = max(0.12 * g.spacing, line)
        g.label_width = max(0.0, g.spacing - 2 * g.radius - 2 * gap - run - 2 * pad)
        if g.label_width < metrics.horizontalAdvance("0.0"):
            g.lines = 0
        middle = (top + bottom) / 2
        for column, units in enumerate(shape.columns):
            x = margin + g.radius + column * g.spacing
            for i, unit in enumerate(units):
                g.centres[unit] = QPointF(x, middle + (i - (len(units) - 1) / 2) * g.pitch)
        g.centres[LOSS] = QPointF(margin + g.radius + n * g.spacing, middle)
        return g

    def arrange(self, width, height):
        """Lay the scene out for a pane of ``width`` × ``height`` pixels."""
        g = self.geometry = self.measure(width, height)
        self.setSceneRect(QRectF(0, 0, width, height))
        r, c = g.radius, g.centres
        for unit, circle in self.units.items():
            circle.setRect(QRectF(-r, -r, 2 * r, 2 * r))
            circle.setPos(c[unit])
            self.chain_marks[unit].setRect(QRectF(-r, -r, 2 * r, 2 * r).adjusted(-3, -3, 3, 3))
            self.chain_marks[unit].setPos(c[unit])
            self.chain_marks[unit].setPen(QPen(self.colours.chain_halo, 0.35 * self._line))
            number_item = self.numbers[unit]
            number_item.setVisible(g.index_shown)
            box = number_item.boundingRect()
            number_item.setPos(-box.width() / 2, -box.height() / 2)
            label = self.labels[unit]
            label.setPos(c[unit] + QPointF(r + self._gap, 0))
        s = 0.38 * r
        for bias, marker in self.biases.items():
            centre = c[self.shape.unit_of_bias(bias)] + QPointF(-0.75 * r, -0.75 * r)
            for item in (marker, self.chain_marks[bias]):
                item.setRect(QRectF(-s, -s, 2 * s, 2 * s))
                item.setPos(centre)
            self.chain_marks[bias].setRect(QRectF(-s, -s, 2 * s, 2 * s).adjusted(-2, -2, 2, 2))
            self.chain_marks[bias].setPen(QPen(self.colours.chain_halo, 3))
        for edge, line in self.edges.items():
            start, end = self.shape.ends(edge)
            line.setLine(QLineF(c[start], c[end]))
            self.chain_marks[edge].setLine(line.line())
        for link, line in self.links.items():
            line.setLine(QLineF(c[link.split("-")[0]], c[LOSS]))
            self.chain_marks[link].setLine(line.line())
            halo = QPen(self.colours.chain_halo, 0.9 * self._line)
            halo.setCapStyle(Qt.PenCapStyle.RoundCap)
            self.chain_marks[link].setPen(halo)
        for column, name in enumerate(self.shape.names + [LOSS]):
            x = c[LOSS].x() if name == LOSS else c[self.shape.columns[column][0]].x()
            header = self.headers[name]
            box = header.boundingRect()
            header.setPos(x - box.width() / 2, g.header_y)
            if name in self.legends:
                legend = self.legends[name]
                legend.setVisible(g.lines == 2)
                legend.setPos(x - legend.boundingRect().width() / 2, g.legend_y - legend.boundingRect().top())
        self.caption.setPos(self._pad, g.caption_y + self._line / 2 + self._pad / 3)
        self._set_caption()
        self.invalidate(self.sceneRect(), QGraphicsScene.SceneLayer.BackgroundLayer)
        if self._derivation is not None:
            self._write()

    def set_caption(self, text):
        """Which sample the values are of; the hint follows where it fits."""
        self.caption_text = text
        self._set_caption()

    def _set_caption(self):
        font = QFont(self.fonts["caption"])
        metrics = QFontMetricsF(font)
        room = self.geometry.width - 4 * self._pad
        text = self.caption_text
        joined = f"{text}.  {HINT}." if text else f"{HINT}."
        if metrics.horizontalAdvance(joined) <= room:
            text = joined
        elif text and metrics.horizontalAdvance(text) > room:
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
        self.caption.set_lines([(text, font, self.colours.caption_text)])
        self.caption.setToolTip(self.caption_text)

    # --- values -------------------------------------------------------------
    def show(self, values, derivation, hidden, spec):
        self._values, self._derivation, self._hidden, self._spec = values, derivation, hidden, spec
        factors = saturated_units(derivation)
        self._saturated = {unit: f for unit, f in factors.items()
                           if self._factor_id(unit) not in hidden}
        self._write()

    def _factor_id(self, unit):
        layer, _, index = unit[1:].partition("[")
        return f"dh{layer}/dz{layer}[{index}"

    def term(self, term_id):
        """A term's value, "?" while predict mode hides it, None if the derivation has none."""
        if term_id in self._hidden:
            return "?"
        try:
            return self._derivation.value(term_id)
        except KeyError:
            return None

    def unit_value(self, unit):
        if unit.startswith("x["):
            return float(self._values["x"][int(unit[2:-1]) - 1])
        return self.term(unit)

    def parameter(self, element):
        """A weight's or bias's value: W2[1,2] -> values["W2"][0, 1]."""
        name, row, column = self._places[element] if element in self._places else place(element)
        return float(self._values[name][row, column])

    def _write(self):
        g = self.geometry
        value_font, grad_font = self.fonts["value"], self.fonts["grad"]
        value_measure = self._metrics["value"].horizontalAdvance
        grad_measure = self._metrics["grad"].horizontalAdvance
        loss_width = g.width - self.labels[LOSS].pos().x() - 3 * self._pad
        for unit, label in self.labels.items():
            width = loss_width if unit == LOSS else g.label_width
            lines = []
            if g.lines >= 1 or unit == LOSS:
                lines.append((fit_number(self.unit_value(unit), width, value_measure), value_font, self.colours.value_text))
            if g.lines >= 2 and not unit.startswith("x[") and unit != LOSS:
                gradient = self.term(f"dL/d{unit}")
                if gradient is not None:
                    lines.append((fit_number(gradient, width, grad_measure), grad_font, self.colours.gradient_text))
            label.set_lines(lines)
        self._write_edge_labels()

    def _write_edge_labels(self):
        """A weight written on its edge where a layer has few edges (at most
        four): each at the first of a few places along its edge that touches no
        unit, no other label and stays in the pane; if one edge finds no such
        place, that layer's weights are left to the tooltips."""
        g = self.geometry
        font = self.fonts["value"]
        measure = self._metrics["value"].horizontalAdvance
        by_layer = self._by_layer
        if g.lines < 1 or min(len(edges) for edges in by_layer.values()) > 4:
            for label in self.edge_labels.values():
                label.setVisible(False)
            return
        solid = [label.mapRectToScene(label.boundingRect()) for label in self.labels.values() if label.texts()]
        solid += [circle.sceneBoundingRect().adjusted(-2, -2, 2, 2) for circle in self.units.values()]
        solid += [marker.sceneBoundingRect() for marker in self.biases.values()]
        solid += [header.sceneBoundingRect() for header in self.headers.values()]
        solid += [legend.mapRectToScene(legend.boundingRect()) for legend in self.legends.values()
                  if legend.isVisible()]
        solid.append(self.caption.mapRectToScene(self.caption.boundingRect()))
        pane = self.sceneRect()
        for layer, edges in by_layer.items():
            labels = [self.edge_labels[edge] for edge in edges]
            placed = []
            if len(edges) <= 4 and g.lines >= 1:
                for edge, label in zip(edges, labels):
                    rect = self._place_edge_label(edge, label, measure, font, solid + placed, pane)
                    if rect is None:
                        placed = []
                        break
                    placed.append(rect)
            for label in labels:
                label.setVisible(bool(placed))
            solid += placed

    def _place_edge_label(self, edge, label, measure, font, taken, pane):
        value = self.parameter(edge)
        line = self.edges[edge].line()
        room = 0.45 * line.length()
        named = f"{element_symbol(edge)} = {number(value, DIGITS)}"
        text = named if measure(named) <= room else fit_number(value, room, measure)
        if not text:
            return None
        label.set_lines([(text, font, text_colour(value, self.colours))])
        box = label.boundingRect()
        # A sloped edge may cross another: its label near an end, clear of the crossing.
        sloped = abs(line.dy()) > 1
        for t in ((0.25, 0.75, 0.33, 0.67) if sloped else (0.5, 0.38, 0.62, 0.28, 0.72)):
            point = line.pointAt(t)
            label.setPos(point - QPointF(box.width() / 2, 0))
            rect = label.mapRectToScene(box)
            if pane.contains(rect) and not any(rect.intersects(other) for other in taken):
                return rect
        return None

    # --- painting -----------------------------------------------------------
    def paint(self, lit, chain, selected=""):
        """Pens from the values: colour the sign, width the magnitude; the ``lit``
        elements and the ``selected`` one in amber; the ``chain`` haloed."""
        lit = set(lit) | ({selected} if selected else set())
        for bias in list(lit):
            if bias in self.biases:
                lit.add(self.shape.unit_of_bias(bias))
        cap = max(1.5, 0.25 * self.geometry.pitch)
        # Only what changed is set again: an edit moves a weight or two, and
        # every pen made and set costs its share of a frame.
        looks, colours, thick = self._looks, self.colours, self.line_scale
        changed = []
        for edge, line in self.edges.items():
            value = self.parameter(edge)
            on = edge in lit
            if looks.get(edge) != (value, on, cap):
                looks[edge] = (value, on, cap)
                changed.append((line, line.pen().widthF()))
                pen = edge_pen(value, colours, (min(edge_width(value), cap) + (3 if on else 0)) * thick, on)
                # Both ends lie under a unit's opaque circle, where a round cap shows
                # nothing and costs its line three times the stroking.
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                line.setPen(pen)
                line.setZValue(0.5 if on else 0)
        for unit, circle in self.units.items():
            if unit in lit:
                circle.setPen(QPen(colours.highlight, 4 * thick))
            elif unit in self._saturated:
                circle.setPen(QPen(colours.saturated, 3 * thick))
            else:
                circle.setPen(QPen(colours.neutral, 1.5 * thick))
        for bias, marker in self.biases.items():
            value = self.parameter(bias)
            on = bias in lit
            if looks.get(bias) != (value, on):
                looks[bias] = (value, on)
                colour = colours.highlight if on else sign_colour(value, colours)
                marker.setBrush(QBrush(colour))
                marker.setPen(QPen(colour.darker(130), 1))
        for element, mark in self.chain_marks.items():
            on = element in chain
            halo = ("halo", min(edge_width(self.parameter(element)), cap) * thick) if on and element in self.edges \
                else on
            if looks.get(("halo", element)) == halo:
                continue
            looks[("halo", element)] = halo
            changed.append((mark, mark.pen().widthF()))
            mark.setVisible(on)
            if on and element in self.edges:
                pen = QPen(colours.chain_halo, halo[1] + 0.6 * self._line)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                mark.setPen(pen)
        self._redraw(changed)

    # --- reading ------------------------------------------------------------
    def element_at(self, point):
        """The element under a scene point: a label's unit, a bias, a unit, the
        nearest edge within a few pixels; "" for none."""
        for label in list(self.labels.values()) + [l for l in self.edge_labels.values() if l.isVisible()]:
            if label.texts() and label.mapRectToScene(label.boundingRect()).contains(point):
                return label.data(0)
        for bias, marker in self.biases.items():
            if marker.sceneBoundingRect().adjusted(-2, -2, 2, 2).contains(point):
                return bias
        r = self.geometry.radius
        for unit, circle in self.units.items():
            if QLineF(circle.pos(), point).length() <= r + 1:
                return unit
        best, nearest = "", math.inf
        for edge, line in self.edges.items():
            distance = _distance(point, line.line())
            if distance < nearest and distance <= max(3.0, line.pen().widthF() / 2 + 1.5):
                best, nearest = edge, distance
        return best

    def anchor(self, element):
        """Where an element is, in the scene: an edge's middle, a bias's or unit's centre."""
        if element in self.edges:
            return self.edges[element].line().center()
        if element in self.biases:
            return self.units[self.shape.unit_of_bias(element)].pos()
        if element in self.units:
            return self.units[element].pos()
        return QPointF()

    def tooltip(self, element):
        """What hovering an element tells: its value and gradient, a weight's
        two units, a unit's bias and its flag."""
        if self._derivation is None or not element:
            return ""

        def shown(value):
            if value is None:
                return "–"
            return value if isinstance(value, str) else number(value, TOOLTIP_DIGITS)

        def pair(name, value):
            return f"{element_symbol(name)} = {shown(value)}"

        if element in self.edges:
            start, end = self.shape.ends(element)
            return (f"{pair(element, self.parameter(element))}   (from {element_symbol(start)} to "
                    f"{element_symbol(end)})\n{pair('dL/d' + element, self.term('dL/d' + element))}\n"
                    "Click to edit this weight.")
        if element in self.biases:
            element = self.shape.unit_of_bias(element)
        if element not in self.units:
            return ""
        if element == LOSS:
            return pair(LOSS, self.term(LOSS)) + "\nthe loss"
        if element.startswith("x["):
            return pair(element, self.unit_value(element)) + "\nan input"
        bias = self.shape.bias_of(element)
        lines = [pair(element, self.unit_value(element)),
                 pair("dL/d" + element, self.term("dL/d" + element)),
                 f"{pair(bias, self.parameter(bias))},   {pair('dL/d' + bias, self.term('dL/d' + bias))}"]
        factor = self._saturated.get(element)
        if factor is not None:
            activation = self._spec.activation(int(element[1:element.index("[")]))
            lines.append(f"{flag_words(activation, factor)}: {element_symbol(self._factor_id(element))} = "
                         f"{number(factor, 2)}; {flag_explanation(activation, factor)}")
        lines.append(f"Click to edit its bias {element_symbol(bias)}.")
        return "\n".join(lines)


def _along(item, width):
    """Boxes in the scene covering what a line, a ring or a square paints with
    its pen or one ``width`` wide, whichever is wider, and antialiasing's pixels."""
    reach = max(width, item.pen().widthF()) / 2 + 2
    if not isinstance(item, QGraphicsLineItem):
        return [item.sceneBoundingRect().adjusted(-reach, -reach, reach, reach)]
    line = item.line().translated(item.pos())
    pieces = max(1, min(16, math.ceil(min(abs(line.dx()), abs(line.dy())) / (2 * reach))))
    return [QRectF(line.pointAt(i / pieces), line.pointAt((i + 1) / pieces)).normalized()
            .adjusted(-reach, -reach, reach, reach) for i in range(pieces)]


def _distance(point, line):
    """From a point to a segment."""
    d = line.p2() - line.p1()
    length = d.x() ** 2 + d.y() ** 2
    if length == 0:
        return QLineF(point, line.p1()).length()
    t = max(0.0, min(1.0, ((point.x() - line.x1()) * d.x() + (point.y() - line.y1()) * d.y()) / length))
    return QLineF(point, line.p1() + d * t).length()
