"""Vanishing gradients: |∂L/∂W₁|, |∂L/∂W₂|, |∂L/∂W₃| and the activation
factors ∂h₁/∂z₁, ∂h₂/∂z₂ over the iterations, on a log axis.

A network of another shape than the chain's shows each layer's
‖∂L/∂W_l‖ (the Euclidean norm of the matrix: the square root of the sum of
its elements' squares, the history's columns ``dL/dWl[i,j]``), one curve per
layer, and the activation factors of each hidden unit when there are few
(``dh1/dz1[2]``), else each hidden layer's mean over its units
(``dh1/dz1``).  Its factors are evaluated at fewer states (NETWORK_FACTOR_LIMIT),
a network's evaluation costing more than the chain's.

The curves are made once and updated in place.  A long history is thinned to
evenly spaced states: every ``stride``-th state (a power of two, so that at
most LIMIT states are drawn) and the newest.  The thinned values are kept per
(timeline, generation): while training appends states a refresh reads only
the new ones, and when the stride doubles the kept values are halved, so a
refresh costs about the same at a million states as at a thousand.  The
factors are not history columns: engine.factors evaluates them for the drawn
states (each state once).
"""

import re

import numpy as np
import pyqtgraph as pg

from engine.expr import symbol
from engine.factors import FACTORS, FactorCache
from engine.saturation import SATURATED_BELOW

from .loss_plot import DecadeAxis
from .theme import pen, style_legend, style_plot, theme
from .shown import DrawnWhenVisible

LIMIT = 4000          # at most this many evenly spaced states, and the newest
LOG_FLOOR = 1e-300    # an exact zero drawn here: a log axis cannot show 0

GRADIENTS = ("dL/dW1", "dL/dW2", "dL/dW3")
NAMES = {"dL/dW1": "|∂L/∂W₁|", "dL/dW2": "|∂L/∂W₂|", "dL/dW3": "|∂L/∂W₃|",
         "dh1/dz1": "∂h₁/∂z₁", "dh2/dz2": "∂h₂/∂z₂"}
_LAYERS = {"dL/dW1": 1, "dL/dW2": 2, "dL/dW3": 3, "dh1/dz1": 1, "dh2/dz2": 2}   # a curve is its layer's colour


NETWORK_FACTOR_LIMIT = 256   # a network's factors: at most this many evenly spaced states, and the newest
NETWORK_FLOOR = 1e-20        # a network's curves: a smaller value (an exact 0 once fitted) drawn at the view's floor
UNIT_CURVES = 4              # a network's factors are drawn per unit up to this many units, else per layer
READ_BLOCK = 1 << 16         # grid states read at once from a column (a network's norms)
_UNIT_STYLES = (pg.QtCore.Qt.PenStyle.DashLine, pg.QtCore.Qt.PenStyle.DotLine,
                pg.QtCore.Qt.PenStyle.DashDotLine, pg.QtCore.Qt.PenStyle.DashDotDotLine)
_GRADIENT_COLUMN = re.compile(r"dL/dW(\d+)(\[\d+,\d+\])?")
_FACTOR_ID = re.compile(r"dh(\d+)/dz\d+(?:\[(\d+)\])?")


def layer_colour(layer, colours):
    """The colour of layer ``layer`` (1-based) in the theme's ``colours``: the chain's three, then more."""
    return colours.curves[(layer - 1) % len(colours.curves)]


def gradient_groups(columns):
    """{layer: the columns of ∂L/∂W_l} among a line's ``columns``: a network's
    elements ``dL/dW2[1,2]`` and the chain's ``dL/dW2`` alike (the norm of a
    1×1 matrix is its element's magnitude), layers in order."""
    groups = {}
    for name in columns:
        match = _GRADIENT_COLUMN.fullmatch(name)
        if match:
            groups.setdefault(int(match[1]), []).append(name)
    return {layer: tuple(groups[layer]) for layer in sorted(groups)}


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
            new = self.read(timeline, first, n, self.stride)
            for name in self.names:
                self.grid[name] = np.concatenate([self.grid[name], new[name]])
        self.length = n
        steps = np.arange(len(self.grid[self.names[0]]), dtype=np.int64) * self.stride
        values = dict(self.grid)
        if n and (len(steps) == 0 or steps[-1] != n - 1):
            steps = np.append(steps, n - 1)
            last = self.read(timeline, n - 1, n, 1)
            for name in self.names:
                values[name] = np.append(values[name], last[name])
        return steps, values

    def read(self, timeline, start, stop, stride):
        """{name: values of the states start, start + stride, … before stop}."""
        return {name: timeline.column(name, start, stop)[::stride] for name in self.names}


class _Norms(_Thinned):
    """‖∂L/∂W_l‖ of each layer at the grid states, from the columns of its
    elements (:func:`gradient_groups`), read a block of states at a time.
    A state whose segment keeps none of a layer's columns gives NaN."""

    def __init__(self, limit):
        self.groups = {}
        super().__init__((), limit)

    def set_groups(self, groups):
        """The layers and their columns: another set starts again."""
        if groups != self.groups:
            self.groups = groups
            self.names = tuple(f"dL/dW{layer}" for layer in groups)
            self.reset(None)

    def update(self, timeline):
        if not self.names:
            n = len(timeline)
            return np.arange(0, n, stride_for(n, self.limit), dtype=np.int64), {}
        return super().update(timeline)

    def read(self, timeline, start, stop, stride):
        out = {}
        for layer, columns in self.groups.items():
            parts = []
            for low in range(start, stop, READ_BLOCK * stride):
                high = min(stop, low + READ_BLOCK * stride)
                total = None
                kept = None
                for name in columns:
                    values = timeline.column(name, low, high)[::stride]
                    finite = ~np.isnan(values)
                    square = np.where(finite, values * values, 0.0)
                    total = square if total is None else total + square
                    kept = finite if kept is None else kept | finite
                parts.append(np.where(kept, np.sqrt(total), np.nan))
            out[f"dL/dW{layer}"] = np.concatenate(parts) if parts else np.empty(0)
        return out


class GradientPlot(DrawnWhenVisible, pg.PlotWidget):
    def __init__(self, parent=None, limit=LIMIT):
        super().__init__(parent, axisItems={"left": DecadeAxis("left")})
        self.setObjectName("gradientPlot")
        self.limit = limit
        item = self.getPlotItem()
        item.setTitle("Vanishing gradients")
        item.setLabel("bottom", "iteration (update)")
        item.setLabel("left", "magnitude (log)")
        item.showGrid(x=True, y=True, alpha=0.25)
        # The view stops at 1e−20: an exact zero (a dead ReLU) is drawn at the floor
        # below it, and auto-range must not stretch over 300 decades to show it.
        item.setLimits(xMin=-1, minXRange=10, yMin=-20)
        for axis in ("left", "bottom"):
            item.getAxis(axis).setStyle(maxTickLevel=0)
        item.getAxis("left").setWidth(64)
        item.setLogMode(y=True)
        self.legend = item.addLegend(offset=(-10, 10))
        self._theme = theme()
        self.curves = {}
        self._curve_set = None    # the (id, label, layer, style) of every curve made
        self._build(self._chain_curves())
        # The view's y is log10 of the value on a log axis.
        self.saturation = pg.InfiniteLine(
            pos=np.log10(SATURATED_BELOW), angle=0, movable=False,
            label=f"saturated below {SATURATED_BELOW:g}",
            labelOpts={"position": 0.1, "anchors": [(0, 1), (0, 1)]})
        item.addItem(self.saturation, ignoreBounds=True)
        self.marker = pg.InfiniteLine(pos=0, angle=90, movable=False)
        self.marker.setZValue(10)
        item.addItem(self.marker, ignoreBounds=True)
        self._thinned = _Thinned(GRADIENTS, limit)
        self._norms = _Norms(limit)
        self._factors = FactorCache()
        self.steps = np.empty(0, dtype=np.int64)   # the states the gradient curves hold
        self.factor_steps = np.empty(0, dtype=np.int64)   # the states the factor curves hold
        self.network = False      # the curves are a network's (per layer norms)
        self._theme.themeChanged.connect(self._recolour)
        self._recolour()

    # --- the curves -----------------------------------------------------------
    @staticmethod
    def _chain_curves():
        solid, dashed = pg.QtCore.Qt.PenStyle.SolidLine, pg.QtCore.Qt.PenStyle.DashLine
        return tuple((name, NAMES[name], _LAYERS[name], dashed if name in FACTORS else solid)
                     for name in GRADIENTS + FACTORS)

    def _build(self, curves):
        """Make the curves ``curves`` ((id, label, layer, pen style), in legend
        order) unless they are the ones there; the old ones go."""
        if curves == self._curve_set:
            return
        item = self.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
        self.curves = {}
        for name, label, layer, style in curves:
            # About one min/max pair a pixel column, as the loss plot: LIMIT states
            # drawn with wide or dashed pens would take most of a repaint.
            curve = item.plot(pen=self._curve_pen(layer, style), name=label, autoDownsampleFactor=1.0)
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.curves[name] = curve
        self.legend.setColumnCount(2 if len(curves) > 6 else 1)
        self._curve_set = curves
        style_legend(self.legend, self._theme.colours)

    def _curve_pen(self, layer, style):
        solid = style == pg.QtCore.Qt.PenStyle.SolidLine
        return pen(layer_colour(layer, self._theme.colours), width=2 if solid else 1.5, style=style)

    def _recolour(self):
        colours = self._theme.colours
        style_plot(self, self.getPlotItem(), colours)
        style_legend(self.legend, colours, backed=self.network)
        for name, _, layer, style in self._curve_set:
            self.curves[name].setPen(self._curve_pen(layer, style))
        self.saturation.setPen(pen(colours.limit, width=1, style=pg.QtCore.Qt.PenStyle.DotLine))
        self.saturation.label.setColor(colours.limit)
        self.marker.setPen(pen(colours.marker, width=1.5))

    # --- drawing --------------------------------------------------------
    def draw(self, shown):
        """The curves of the shown line, the marker at the shown state."""
        if getattr(shown, "spec", None) is not None and not shown.spec.is_reference_shape:
            self._draw_network(shown)
        else:
            self._draw_chain(shown)
        self.marker.setValue(shown.step)

    def _draw_chain(self, shown):
        if self.network:
            self.network = False
            self._build(self._chain_curves())
            self._network_look(False)
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
        self.factor_steps = steps

    def _network_look(self, network):
        """The title, the axis and the legend of a network's curves, or the chain's as they were."""
        item = self.getPlotItem()
        item.setTitle("Vanishing gradients: ‖∂L/∂Wₗ‖ of each layer" if network else "Vanishing gradients",
                      color=self._theme.colours.plot_text)
        # Plain decades: "(x0.001)" after the label is a puzzle to a learner.
        item.getAxis("left").enableAutoSIPrefix(not network)
        # Many entries: the curves stay visible under them.
        style_legend(self.legend, self._theme.colours, backed=network)

    def _draw_network(self, shown):
        """‖∂L/∂W_l‖ per layer; the factors per unit, or per layer's mean."""
        if not self.network:
            self.network = True
            self._network_look(True)
        timeline = shown.line
        self._norms.set_groups(gradient_groups(timeline.columns))
        steps, norms = self._norms.update(timeline)
        n = len(timeline)
        factor_steps = np.arange(0, n, stride_for(n, NETWORK_FACTOR_LIMIT), dtype=np.int64)
        if n and factor_steps[-1] != n - 1:
            factor_steps = np.append(factor_steps, n - 1)
        factors = self._factors(timeline, factor_steps) if n else {}
        factors = factor_curves(factors)
        solid = pg.QtCore.Qt.PenStyle.SolidLine
        curves = tuple((name, f"‖{symbol('dL_d' + name[4:])}‖", int(name[5:]), solid)
                       for name in norms)
        curves += tuple((name, label, layer, _UNIT_STYLES[(unit - 1) % len(_UNIT_STYLES)])
                        for name, (label, layer, unit, _) in factors.items())
        self._build(curves)
        x = steps.astype(float)
        for name, values in norms.items():
            # NaN (a state of a network without the layer) leaves a gap.
            self.curves[name].setData(x, np.maximum(values, NETWORK_FLOOR), connect="finite")
        fx = factor_steps.astype(float)
        for name, (_, _, _, values) in factors.items():
            self.curves[name].setData(fx, np.maximum(values, NETWORK_FLOOR), connect="finite")
        self.steps = steps
        self.factor_steps = factor_steps

    def shown(self, name):
        """(x, y) a curve holds: ``name`` is a gradient id ("dL/dW1": a
        network's is the layer's norm) or a factor id ("dh1/dz1"; a network's
        unit "dh1/dz1[2]", or "dh1/dz1" the layer's mean when its units are
        too many to draw each)."""
        curve = self.curves[name]
        if curve.xData is None:
            return np.empty(0), np.empty(0)
        return np.array(curve.xData, dtype=float), np.array(curve.yData, dtype=float)


def factor_curves(factors):
    """{curve id: (label, layer, unit, |values|)} of a network's factors
    ({factor id: values}, FactorCache's): each unit's when there are at most
    UNIT_CURVES, else each hidden layer's mean over its units (unit 1 for
    the pen).  A mean leaves out the units a state's network lacks (NaN)."""
    places = {}
    for factor_id in factors:
        match = _FACTOR_ID.fullmatch(factor_id)
        if match:
            places[factor_id] = (int(match[1]), int(match[2] or 1))
    if len(places) <= UNIT_CURVES:
        out = {}
        for factor_id, (layer, unit) in places.items():
            index = factor_id[factor_id.index("["):] if "[" in factor_id else ""
            out[factor_id] = (symbol(f"dh{layer}_dz{layer}") + index, layer, unit, np.abs(factors[factor_id]))
        return out
    layers = {}
    for factor_id, (layer, _) in places.items():
        layers.setdefault(layer, []).append(np.abs(factors[factor_id]))
    out = {}
    for layer in sorted(layers):
        stack = np.vstack(layers[layer])
        kept = ~np.isnan(stack)
        count = kept.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, np.where(kept, stack, 0.0).sum(axis=0) / count, np.nan)
        out[f"dh{layer}/dz{layer}"] = (f"{symbol(f'dh{layer}_dz{layer}')} (mean)", layer, 1, mean)
    return out
