"""Vanishing gradients: |∂L/∂W₁|, |∂L/∂W₂|, |∂L/∂W₃| and the activation
factors ∂h₁/∂z₁, ∂h₂/∂z₂ over the iterations, on a log axis.

The curves are made once and updated in place.  A long history is thinned to
evenly spaced states: every ``stride``-th state (a power of two, so that at
most LIMIT states are drawn) and the newest.  The thinned values are kept per
(timeline, generation): while training appends states a refresh reads only
the new ones, and when the stride doubles the kept values are halved, so a
refresh costs about the same at a million states as at a thousand.  The
factors are not history columns: engine.factors evaluates them for the drawn
states (each state once).
"""

import numpy as np
import pyqtgraph as pg

from engine.factors import FACTORS, FactorCache
from engine.saturation import SATURATED_BELOW

from .loss_plot import DecadeAxis
from .shown import DrawnWhenVisible

LIMIT = 4000          # at most this many evenly spaced states, and the newest
LOG_FLOOR = 1e-300    # an exact zero drawn here: a log axis cannot show 0

GRADIENTS = ("dL/dW1", "dL/dW2", "dL/dW3")
NAMES = {"dL/dW1": "|∂L/∂W₁|", "dL/dW2": "|∂L/∂W₂|", "dL/dW3": "|∂L/∂W₃|",
         "dh1/dz1": "∂h₁/∂z₁", "dh2/dz2": "∂h₂/∂z₂"}
_COLOURS = {"dL/dW1": (33, 102, 172), "dL/dW2": (27, 158, 119), "dL/dW3": (217, 95, 2),
            "dh1/dz1": (33, 102, 172), "dh2/dz2": (27, 158, 119)}


def stride_for(length, limit=LIMIT):
    """The smallest power of two s with ⌈length / s⌉ <= limit."""
    stride = 1
    while -(-length // stride) > limit:
        stride *= 2
    return stride


class _Thinned:
    """The gradient columns at the grid states 0, s, 2s, ... of one timeline,
    read incrementally."""

    def __init__(self, names, limit):
        self.names, self.limit = names, limit
        self.reset(None)

    def reset(self, source):
        self.source = source
        self.stride = 1
        self.length = 0
        self.grid = {n: np.empty(0) for n in self.names}

    def update(self, timeline):
        """(steps, {name: values}) for the whole line, thinned."""
        generation = getattr(timeline, "generation", 0)
        n = len(timeline)
        if (self.source is None or self.source[0] is not timeline
                or self.source[1] != generation or n < self.length):
            self.reset((timeline, generation))
        stride = stride_for(n, self.limit)
        if stride > self.stride:            # coarser: keep every (stride/old)-th grid value
            factor = stride // self.stride
            self.grid = {k: v[::factor] for k, v in self.grid.items()}
            self.stride = stride
        first = len(self.grid[self.names[0]]) * self.stride   # the next grid state to read
        if first < n:
            for name in self.names:
                new = timeline.column(name, first, n)[::self.stride]
                self.grid[name] = np.concatenate([self.grid[name], new])
        self.length = n
        steps = np.arange(len(self.grid[self.names[0]]), dtype=np.int64) * self.stride
        values = dict(self.grid)
        if n and (len(steps) == 0 or steps[-1] != n - 1):
            steps = np.append(steps, n - 1)
            for name in self.names:
                values[name] = np.append(values[name], timeline.column(name, n - 1, n))
        return steps, values


class GradientPlot(DrawnWhenVisible, pg.PlotWidget):
    def __init__(self, parent=None, limit=LIMIT):
        super().__init__(parent, background="w", axisItems={"left": DecadeAxis("left")})
        self.setObjectName("gradientPlot")
        self.limit = limit
        item = self.getPlotItem()
        item.setTitle("Vanishing gradients", color=(40, 40, 40))
        item.setLabel("bottom", "iteration (update)")
        item.setLabel("left", "magnitude (log)")
        item.showGrid(x=True, y=True, alpha=0.25)
        # The view stops at 1e−20: an exact zero (a dead ReLU) is drawn at the floor
        # below it, and auto-range must not stretch over 300 decades to show it.
        item.setLimits(xMin=-1, minXRange=10, yMin=-20)
        for axis in ("left", "bottom"):
            item.getAxis(axis).setPen(pg.mkPen(80, 80, 80))
            item.getAxis(axis).setTextPen(pg.mkPen(40, 40, 40))
            item.getAxis(axis).setStyle(maxTickLevel=0)
        item.getAxis("left").setWidth(64)
        item.setLogMode(y=True)
        self.legend = item.addLegend(offset=(-10, 10), labelTextColor=(40, 40, 40))
        self.curves = {}
        for name in GRADIENTS + FACTORS:
            dashed = name in FACTORS
            pen = pg.mkPen(*_COLOURS[name], width=2 if not dashed else 1.5,
                           style=pg.QtCore.Qt.PenStyle.DashLine if dashed
                           else pg.QtCore.Qt.PenStyle.SolidLine)
            # About one min/max pair a pixel column, as the loss plot: LIMIT states
            # drawn with wide or dashed pens would take most of a repaint.
            curve = item.plot(pen=pen, name=NAMES[name], autoDownsampleFactor=1.0)
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.curves[name] = curve
        # The view's y is log10 of the value on a log axis.
        self.saturation = pg.InfiniteLine(
            pos=np.log10(SATURATED_BELOW), angle=0, movable=False,
            pen=pg.mkPen(200, 40, 40, width=1, style=pg.QtCore.Qt.PenStyle.DotLine),
            label=f"saturated below {SATURATED_BELOW:g}",
            labelOpts={"position": 0.1, "color": (200, 40, 40), "anchors": [(0, 1), (0, 1)]})
        item.addItem(self.saturation, ignoreBounds=True)
        self.marker = pg.InfiniteLine(pos=0, angle=90, movable=False,
                                      pen=pg.mkPen(255, 170, 0, width=1.5))
        self.marker.setZValue(10)
        item.addItem(self.marker, ignoreBounds=True)
        self._thinned = _Thinned(GRADIENTS, limit)
        self._factors = FactorCache()
        self.steps = np.empty(0, dtype=np.int64)   # the states the curves hold

    # --- drawing --------------------------------------------------------
    def draw(self, shown):
        """The curves of the shown line, the marker at the shown state."""
        timeline = shown.line
        steps, gradients = self._thinned.update(timeline)
        factors = self._factors(timeline, steps) if len(steps) else {f: np.empty(0) for f in FACTORS}
        x = steps.astype(float)
        for name in GRADIENTS:
            # History rows are finite by construction.
            self.curves[name].setData(x, np.maximum(np.abs(gradients[name]), LOG_FLOOR),
                                      skipFiniteCheck=True)
        for name in FACTORS:
            # |·|: leaky ReLU's factor is positive, the others are >= 0; NaN stays NaN.
            self.curves[name].setData(x, np.maximum(np.abs(factors[name]), LOG_FLOOR))
        self.steps = steps
        self.marker.setValue(shown.step)

    def shown(self, name):
        """(x, y) a curve holds: ``name`` is a gradient id ("dL/dW1") or a factor id ("dh1/dz1")."""
        curve = self.curves[name]
        if curve.xData is None:
            return np.empty(0), np.empty(0)
        return np.array(curve.xData, dtype=float), np.array(curve.yData, dtype=float)
