"""The Data tab: the samples and what the network makes of them.

- The chain (1-1-1-1): the samples and the curve ŷ(x) over their range, as
  always.
- A wider network of one input: the samples of each output and a curve ŷₖ(x)
  per output.
- Two inputs: ŷ(x₁, x₂) as a heat map over the samples' range (perceptual
  colours, viridis, with a colour bar), the 0.5 contour of a sigmoid output
  (the boundary between the two classes), and the samples drawn on it,
  filled with the colour of their y: where the network fits a sample, the
  sample's colour melts into the map around it.  The map is a coarse grid
  (GRID × GRID points), ŷ of all its points one batch through
  engine.network.evaluate: cheap enough to follow training as it runs.
- More inputs: no flat picture shows ŷ of three inputs, and the tab says so.
"""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSignalBlocker, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from engine import network
from engine.derivation import evaluate

from .shown import DrawnWhenVisible
from .theme import pen, style_legend, style_plot, theme

MIN_RANGE = 1e-100   # the narrowest range the data plot shows
GRID = 60            # points a side of the heat map's grid
CURVE_POINTS = 200   # points of each ŷ(x) curve
MAX_SHOWN = 5000     # samples drawn on the heat map at most (evenly taken): each is a coloured symbol
CHAIN, CURVES, HEAT, TOO_MANY = "chain", "curves", "heat map", "too many inputs"


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(name, index):
    """``x₂``, ``ŷ₁``: a name with a 1-based subscript, as the engine writes symbols."""
    return ("ŷ" if name == "yhat" else name) + str(index).translate(_SUBSCRIPTS)


def padded_range(values):
    """(low, high) of ``values`` widened on each side by a tenth of the range, at least 0.5."""
    low, high = float(np.min(values)), float(np.max(values))
    pad = max(0.5, 0.1 * (high - low))
    return low - pad, high + pad


def grid_points(x_range, y_range, size=GRID):
    """The centres of a size × size grid of cells over the rectangle, as
    (xs, ys, points): xs and ys the centres along each axis, points the
    (size², 2) batch, x₁ varying slowest (point i·size + j is (xs[i], ys[j]))."""
    xs = x_range[0] + (np.arange(size) + 0.5) * (x_range[1] - x_range[0]) / size
    ys = y_range[0] + (np.arange(size) + 0.5) * (y_range[1] - y_range[0]) / size
    points = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    return xs, ys, points


def colour_levels(spec, y):
    """The values the colour map spans: an output's own range for a sigmoid
    (0 … 1) or tanh (−1 … 1) output, else the samples' range of y (a flat y
    widened by 0.5 each way); ŷ beyond it takes the end colour."""
    if spec.output_activation == "sigmoid":
        return 0.0, 1.0
    if spec.output_activation == "tanh":
        return -1.0, 1.0
    low, high = float(np.min(y)), float(np.max(y))
    return (low - 0.5, high + 0.5) if high - low < 1e-12 else (low, high)


class DataPlot(DrawnWhenVisible, QWidget):
    """The samples and the network's ŷ over their range (see the module's text)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("dataPlot")
        self.plot = pg.PlotWidget()
        self._theme = theme()
        item = self.plot.getPlotItem()
        item.setTitle("Data and the network's ŷ(x)")
        item.setLabel("bottom", "x")
        item.setLabel("left", "y")
        item.showGrid(x=True, y=True, alpha=0.25)
        # Samples and ŷ within a few denormals of each other (5e−324, 3e−323) would make
        # the view's scale overflow: pyqtgraph then fails in every paint.  No range is narrower.
        item.setLimits(minXRange=MIN_RANGE, minYRange=MIN_RANGE)
        # The heat map first, under everything else.
        # The same map in every theme (gui/theme.py): a learner reads its colours the same way in either.
        self.colour_map = pg.colormap.get(self._theme.colours.colour_map)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setLookupTable(self.colour_map.getLookupTable(nPts=256))
        self.image.setZValue(-10)
        self.contour = pg.IsocurveItem(level=0.5)
        self.contour.setParentItem(self.image)   # in the cells' coordinates: pyqtgraph puts value [i, j] at i + ½, j + ½
        item.addItem(self.image)
        self.samples = pg.ScatterPlotItem(size=9)
        self.samples.setZValue(10)
        item.addItem(self.samples)
        # The chain's (and a one-output network's) samples and curve.
        self.points = pg.ScatterPlotItem(size=7, pen=None)
        item.addItem(self.points)
        self.curve = item.plot()
        self._more = []          # (points, curve) of outputs 2 … m of a one-input network
        self.legend = item.addLegend(offset=(-10, 10))
        self.legend.setVisible(False)

        self.bar_view = pg.GraphicsLayoutWidget()
        self.bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=self.colour_map, interactive=False,
                                   width=14, colorMapMenu=False)
        self.bar_view.addItem(self.bar)
        self.bar_view.setFixedWidth(58)
        self.output = QComboBox()
        self.output.setObjectName("dataOutput")
        self.output.setToolTip("Which output the heat map shows")
        self.output.currentIndexChanged.connect(self._on_output)
        self.output_label = QLabel("Heat map of")
        self.note = QLabel()
        self.note.setObjectName("dataNote")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setMargin(24)

        self.caption = QLabel()
        self.caption.setObjectName("dataCaption")
        self.caption.setWordWrap(True)
        self.caption.setContentsMargins(8, 2, 8, 4)

        chooser = QHBoxLayout()
        chooser.setContentsMargins(6, 4, 6, 0)
        chooser.addWidget(self.output_label)
        chooser.addWidget(self.output)
        chooser.addStretch(1)
        self.chooser = QWidget()
        self.chooser.setLayout(chooser)
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.setSpacing(0)
        plots.addWidget(self.plot, 1)
        plots.addWidget(self.bar_view)
        drawn = QWidget()
        drawn_layout = QVBoxLayout(drawn)
        drawn_layout.setContentsMargins(0, 0, 0, 0)
        drawn_layout.setSpacing(0)
        drawn_layout.addWidget(self.chooser)
        drawn_layout.addLayout(plots, 1)
        drawn_layout.addWidget(self.caption)
        self.pages = QStackedWidget()
        self.pages.addWidget(drawn)
        self.pages.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self._key = None
        self._samples_key = None
        self._thinned = ""
        self._shown = None
        self.mode = None
        self._set_mode(CHAIN)
        self._theme.themeChanged.connect(self._recolour)
        self._recolour()

    def getPlotItem(self):
        return self.plot.getPlotItem()

    def _recolour(self):
        colours = self._theme.colours
        style_plot(self.plot, self.plot.getPlotItem(), colours)
        style_legend(self.legend, colours, backed=True)   # over the curves and samples it names
        self.bar_view.setBackground(QColor(colours.plot_background))
        self.bar.axis.setPen(pen(colours.plot_text))
        self.bar.axis.setTextPen(pen(colours.plot_text))
        # Over the heat map, which is the same in every theme.
        self.contour.setPen(pen(colours.on_map, width=2.5))
        self.samples.setPen(pen(colours.on_map, width=1.5))
        self._colour_outputs()

    def _colour_outputs(self):
        """The samples and ŷ(x) of each output: the chain's samples in their own colour."""
        colours = self._theme.colours
        outputs = ((self.points, self.curve), *self._more)
        for k, (points, curve) in enumerate(outputs):
            colour = colours.outputs[k % len(colours.outputs)]
            curve.setPen(pen(colour, width=2))
            if k:
                points.setPen(pen(colours.plot_background))
            points.setBrush(pg.mkBrush(colour if len(outputs) > 1 else colours.samples))

    # --- what is shown -------------------------------------------------------
    def _set_mode(self, mode, outputs=1):
        """Show the items of ``mode``; hide the others."""
        if mode == self.mode and (mode != CURVES or len(self._more) + 1 == outputs):
            return
        self.mode = mode
        item = self.plot.getPlotItem()
        heat = mode == HEAT
        for shown in (self.image, self.samples):
            shown.setVisible(heat)
        self.bar_view.setVisible(heat)
        for shown in (self.points, self.curve):
            shown.setVisible(mode in (CHAIN, CURVES))
        for points, curve in self._more:
            item.removeItem(points)
            item.removeItem(curve)
        self._more = []
        self.legend.clear()
        self.legend.setVisible(mode == CURVES and outputs > 1)
        if mode == CURVES and outputs > 1:
            for k in range(1, outputs):
                points = pg.ScatterPlotItem(size=7, symbol="os"[k % 2])
                item.addItem(points)
                self._more.append((points, item.plot()))
            for k, (points, curve) in enumerate(((self.points, self.curve), *self._more)):
                self.legend.addItem(curve, f"{_sub('yhat', k + 1)}(x)")
                self.legend.addItem(points, _sub("y", k + 1))
        self._colour_outputs()
        self.pages.setCurrentIndex(1 if mode == TOO_MANY else 0)
        self.chooser.setVisible(heat and self.output.count() > 1)
        self.caption.setVisible(heat)
        if not heat:
            self.plot.setToolTip("")
        for axis in ("bottom", "left"):   # x₁ (x0.001) would read as a product
            item.getAxis(axis).enableAutoSIPrefix(not heat)
        item.getViewBox().setAspectLocked(heat)
        if mode == CHAIN or mode == CURVES:
            item.setTitle("Data and the network's ŷ(x)", color=self._theme.colours.plot_text)
            item.setLabel("bottom", "x")
            item.setLabel("left", "y")
            item.showGrid(x=True, y=True, alpha=0.25)
        elif heat:
            item.setLabel("bottom", "x₁")
            item.setLabel("left", "x₂")
            item.showGrid(x=False, y=False)
        self._key = self._samples_key = None

    def draw(self, shown):
        self._shown = shown
        layers = shown.spec.layers
        if shown.spec.is_reference_shape:
            self._set_mode(CHAIN)
            self._draw_chain(shown)
        elif layers[0] == 1:
            self._set_mode(CURVES, layers[-1])
            self._draw_curves(shown)
        elif layers[0] == 2:
            self._set_outputs(layers[-1])
            self._set_mode(HEAT)
            self.chooser.setVisible(layers[-1] > 1)
            self._draw_heat(shown)
        else:
            self._set_mode(TOO_MANY)
            names = ", ".join(_sub("x", i) for i in range(1, layers[0] + 1))
            self.note.setText(
                f"This network has {layers[0]} inputs ({names}): ŷ over them is a surface in "
                f"{layers[0] + 1} dimensions, which no flat picture shows. The data tab draws ŷ for a "
                f"network of one input (a curve) or two (a heat map over the plane of x₁ and x₂).\n\n"
                f"The derivation, the diagram and the loss curve show this network as any other.")

    def _key_of(self, shown, *more):
        # The segment itself: a new one may reuse an id.  A wider network's parameters are arrays.
        return (shown.segment, shown.spec, *more,
                tuple((name, np.asarray(value, dtype=float).tobytes()) for name, value in shown.params.items()))

    def _draw_chain(self, shown):
        params = shown.params
        key = (shown.segment, tuple(params.values()))   # the segment itself: a new one may reuse an id
        if key == self._key:
            return
        self._key = key
        self.points.setData(shown.x, shown.y)
        low, high = float(shown.x.min()), float(shown.x.max())
        pad = max(0.5, 0.1 * (high - low))
        xs = np.linspace(low - pad, high + pad, 200)
        # ŷ of each x, by the state's own compiled formulas (y plays no part in ŷ)
        yhat = evaluate(params, xs, np.zeros_like(xs), shown.alpha, shown.spec)["yhat"]
        self.curve.setData(xs, yhat)

    def _draw_curves(self, shown):
        key = self._key_of(shown)
        if key == self._key:
            return
        self._key = key
        x, y = np.asarray(shown.x, dtype=float), np.asarray(shown.y, dtype=float)
        outputs = y.shape[1]
        names = [f"{_sub('yhat', k)}(x)" for k in range(1, outputs + 1)]
        self.getPlotItem().setTitle("Data and the network's " + (
            "ŷ(x)" if outputs == 1 else ", ".join(names) if outputs <= 3 else f"{names[0]} … {names[-1]}"),
            color=self._theme.colours.plot_text)
        xs = np.linspace(*padded_range(x[:, 0]), CURVE_POINTS)
        yhat = self.predict(shown, xs.reshape(-1, 1))
        for k, (points, curve) in enumerate(((self.points, self.curve), *self._more)):
            points.setData(x[:, 0], y[:, k])
            curve.setData(xs, yhat[:, k])

    @staticmethod
    def predict(shown, x):
        """ŷ of the shown network at the inputs ``x`` ((n, inputs)), as (n, outputs):
        one batch through the engine's generated formulas (y plays no part in ŷ)."""
        outputs = shown.spec.layers[-1]
        values = network.evaluate(shown.spec, shown.params, x, np.zeros((len(x), outputs)), shown.alpha)
        return np.asarray(values["yhat"], dtype=float).T

    # --- the heat map ------------------------------------------------------------
    def _set_outputs(self, outputs):
        if self.output.count() == outputs:
            return
        with QSignalBlocker(self.output):
            self.output.clear()
            self.output.addItems([_sub("yhat", k) for k in range(1, outputs + 1)])
            self.output.setCurrentIndex(0)

    def _on_output(self, _index):
        self._key = self._samples_key = None
        if self._shown is not None and self.mode == HEAT:
            self._draw_heat(self._shown)

    def _draw_heat(self, shown):
        k = max(self.output.currentIndex(), 0)
        key = self._key_of(shown, k)
        if key == self._key:
            return
        self._key = key
        x, y = np.asarray(shown.x, dtype=float), np.asarray(shown.y, dtype=float)[:, k]
        x_range, y_range = padded_range(x[:, 0]), padded_range(x[:, 1])
        _, _, points = grid_points(x_range, y_range)
        yhat = self.predict(shown, points)[:, k].reshape(GRID, GRID)   # [i, j]: x₁ = xs[i], x₂ = ys[j]
        levels = colour_levels(shown.spec, y)
        self.image.setImage(yhat, levels=levels, autoLevels=False)
        self.image.setRect(QRectF(x_range[0], y_range[0], x_range[1] - x_range[0], y_range[1] - y_range[0]))
        sigmoid = shown.spec.output_activation == "sigmoid"
        self.contour.setVisible(sigmoid)
        if sigmoid:
            self.contour.setData(yhat)
        self.bar.setLevels(levels)
        name, target = _sub("yhat", k + 1), _sub("y", k + 1)
        caption = f"Dots: the samples, filled with their {target}."
        about = (f"The colour is {name} over the plane of x₁ and x₂. The dots are the samples, each filled "
                 f"with the colour of its {target}: where the network fits a sample, its fill melts into "
                 f"the map around it.")
        if sigmoid:
            boundary = yhat.min() < 0.5 < yhat.max()
            caption += (f" White line: {name} = 0.5." if boundary else
                        f" No boundary: {name} {'>' if yhat.min() >= 0.5 else '<'} 0.5 everywhere shown.")
            about += (f" The white line is where {name} = 0.5: the boundary the network draws between the "
                      f"two classes.")
        samples_key = (shown.segment, k, levels)
        if samples_key != self._samples_key:
            self._samples_key = samples_key
            step = -(-len(x) // MAX_SHOWN)
            chosen = slice(None, None, step)
            share = (y[chosen] - levels[0]) / (levels[1] - levels[0])
            brushes = [pg.mkBrush(c) for c in self.colour_map.map(np.clip(share, 0.0, 1.0), mode="qcolor")]
            self.samples.setData(x[chosen, 0], x[chosen, 1], brush=brushes)
            self._thinned = "" if step == 1 else f" (Every {step:,}th of the {len(x):,} samples is drawn.)"
        self.getPlotItem().setTitle(f"{name}(x₁, x₂) and the samples", color=self._theme.colours.plot_text)
        self.caption.setText(caption + self._thinned)
        self.caption.setToolTip(about)
        self.plot.setToolTip(about)
