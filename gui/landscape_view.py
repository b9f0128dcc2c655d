"""The loss landscape over two parameters the learner picks, the others fixed
at the shown state: a heat map with contour lines, the training path over it
and a marker at the shown state.  Clicking the map sets the two parameters.

The numbers come from :func:`engine.landscape.grid`; this view only chooses
the range (the shown values ± max(1, 1.5·|value|), within LIMITS) and draws.

A network of another shape than the chain's has arrays for parameters: the
two axes are then two of their elements (``W2[1,2]``, ``b1[3]``; the
combos offer :func:`engine.landscape.parameter_choices`), every other element
as in the shown state, and a click emits the two element ids.  Its grid
costs more (every sample through every layer at each point), so it has
fewer points when the network and the samples are large (:func:`grid_size`),
and while training runs a map too costly to draw at every refresh is kept
(its step named in the title) and drawn again once training stops.

Orientation: the image holds ``L`` exactly as ``grid`` returns it,
``L[i, j]`` = loss at p1 = values1[j] (horizontal axis), p2 = values2[i]
(vertical axis), drawn row-major; grid point (j, i) is the centre of its
pixel.  A loss that overflowed (inf) is held as NaN (drawn transparent).
"""


import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine import LIMITS, PARAMS
from engine.expr import number
from engine import landscape
from engine.elements import element_symbol, place

from .shown import DrawnWhenVisible
from .theme import pen, style_plot, theme

SIZE = 200
MAX_PATH_POINTS = 5000
CONTOUR_QUANTILES = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)
COLOUR_TOP_QUANTILE = 0.95   # losses above it saturate, so a few huge ones do not flatten the map
NETWORK_BUDGET = 8_000_000   # a network's grid: at most about this many points × samples × widest layer
MIN_SIZE = 41                # … but never fewer points a side than this
RUNNING_BUDGET = 2_000_000   # while training runs, a network's map costlier than this is kept


def axis_range(name, value):
    """The range shown for parameter ``name`` at ``value``: value ± max(1, 1.5·|value|),
    clamped to LIMITS."""
    half = max(1.0, 1.5 * abs(value))
    low, high = LIMITS[name] if name in LIMITS else LIMITS["W1"]   # an element: the parameters' range
    return max(low, value - half), min(high, value + half)


def grid_size(spec, samples):
    """Points a side of the map for ``spec`` on ``samples`` samples: SIZE for
    the chain; for another network, SIZE unless size² × samples × its widest
    layer would pass NETWORK_BUDGET, then fewer (at least MIN_SIZE)."""
    if spec.is_reference_shape:
        return SIZE
    fit = int((NETWORK_BUDGET / (max(1, samples) * max(spec.layers))) ** 0.5)
    return max(MIN_SIZE, min(SIZE, fit))


def element_value(params, name):
    """The value of parameter ``name`` in ``params``: the chain's number, or
    a network's element (``W2[1,2]``: row 1, column 2 of W2; ``b1[3]``)."""
    where = place(name)
    if where is None:
        return params[name]
    return float(np.asarray(params[where[0]])[where[1], where[2]])


def thin(count, limit=MAX_PATH_POINTS):
    """Indices of at most ``limit`` of ``count`` states, evenly spread, first and last kept."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def _colormap(name):
    try:
        return pg.colormap.get(name)
    except Exception:   # a pyqtgraph without its bundled maps: viridis's ends and middle
        return pg.ColorMap([0.0, 0.5, 1.0], [(68, 1, 84), (33, 145, 140), (253, 231, 37)])


class LandscapeView(DrawnWhenVisible, QWidget):
    """``picked(dict)`` on a click inside the map, with {p1: value, p2: value}:
    the window decides what it does (it may ask before dropping later states)."""

    picked = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("landscapeView")
        self._last = None         # the record drawn: drawn again for another pair
        self._key = None          # what the grid was computed from
        self.grid_values = None   # (values1, values2, L) of the shown map
        self.contour_levels = np.empty(0)
        self.grid_calls = 0       # how many grids were computed (for tests and benchmarks)
        self.choices = PARAMS     # what the combos offer: the chain's names, or a network's elements
        self.network = False      # the shown state is a network of another shape than the chain's
        self._chain_pair = ("W1", "W2")
        self._network_pair = None  # the last pair of elements chosen (kept while the shape has them)
        self.map_step = None      # the state the map was drawn at

        self.combo_x = QComboBox()
        self.combo_x.setObjectName("landscapeX")
        self.combo_y = QComboBox()
        self.combo_y.setObjectName("landscapeY")
        for combo, default in ((self.combo_x, "W1"), (self.combo_y, "W2")):
            combo.addItems(PARAMS)
            combo.setCurrentText(default)
            combo.setToolTip("The parameter along this axis; the others stay as in the shown state")
            combo.setMaxVisibleItems(20)
        self._pair = ("W1", "W2")
        self.combo_x.currentTextChanged.connect(lambda text: self._choose(0, text))
        self.combo_y.currentTextChanged.connect(lambda text: self._choose(1, text))

        row = QHBoxLayout()
        row.addWidget(QLabel("Horizontal:"))
        row.addWidget(self.combo_x)
        row.addSpacing(12)
        row.addWidget(QLabel("Vertical:"))
        row.addWidget(self.combo_y)
        row.addStretch(1)

        self.plot = pg.PlotWidget()
        self.plot.setObjectName("landscapePlot")
        item = self.plot.getPlotItem()
        item.setTitle("Loss landscape (click to move there)")
        item.getAxis("left").setWidth(56)
        self.image = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image)
        self.isocurves = []
        for _ in CONTOUR_QUANTILES:
            iso = pg.IsocurveItem(level=0, axisOrder="row-major")
            iso.setParentItem(self.image)
            iso.setPos(0.5, 0.5)   # grid points are pixel centres
            iso.setZValue(5)
            self.isocurves.append(iso)
        self.path_curve = item.plot(name="path")
        self.path_curve.setZValue(10)
        self.marker = pg.ScatterPlotItem(size=12)
        self.marker.setZValue(20)
        item.addItem(self.marker)
        self._theme = theme()
        self._theme.themeChanged.connect(self._recolour)
        self._recolour()
        self.plot.scene().sigMouseClicked.connect(self._on_scene_click)

        self.note = QLabel()
        self.note.setObjectName("landscapeNote")
        self.note.setWordWrap(True)
        self.note.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self._label_axes()

    # --- the pair of parameters --------------------------------------------
    def pair(self):
        """(horizontal parameter, vertical parameter)."""
        return self._pair

    def set_pair(self, p1, p2):
        if p1 == p2 or p1 not in self.choices or p2 not in self.choices:
            what = "parameters of " + ", ".join(self.choices) if not self.network else \
                "elements of the shown network's parameters (W2[1,2], b1[3])"
            raise ValueError(f"two different {what}, got {p1!r}, {p2!r}")
        self._pair = (p1, p2)
        if self.network:
            self._network_pair = self._pair
        else:
            self._chain_pair = self._pair
        self._sync_combos()
        self._label_axes()
        if self._last is not None:
            self.display(self._last)

    def _choose(self, axis, name):
        if name not in self.choices or name == self._pair[axis]:
            return
        pair = list(self._pair)
        if pair[1 - axis] == name:       # the same on both axes: swap them
            pair[1 - axis] = pair[axis]
        pair[axis] = name
        self.set_pair(*pair)

    def _sync_combos(self):
        for combo, name in zip((self.combo_x, self.combo_y), self._pair):
            if combo.currentText() != name:
                combo.blockSignals(True)
                combo.setCurrentText(name)
                combo.blockSignals(False)

    def _label_axes(self):
        item = self.plot.getPlotItem()
        label = element_symbol if self.network else str
        item.setLabel("bottom", label(self._pair[0]))
        item.setLabel("left", label(self._pair[1]))

    def _offer(self, spec):
        """The combos offer what ``spec``'s grid takes; the pair is kept when
        the new choices hold it, else the last one of that kind, else the
        first weights of layers 1 and 2 (the first two elements of a network
        without layer 2)."""
        choices = landscape.parameter_choices(spec)
        if choices == self.choices:
            return
        self.choices = choices
        self.network = not spec.is_reference_shape
        for combo in (self.combo_x, self.combo_y):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(choices)
            combo.blockSignals(False)
        if not self.network:
            pair = self._chain_pair
        elif self._network_pair is not None and set(self._network_pair) <= set(choices):
            pair = self._network_pair
        elif {"W1[1,1]", "W2[1,1]"} <= set(choices):
            pair = ("W1[1,1]", "W2[1,1]")
        else:
            pair = choices[:2]
        self._pair = tuple(pair)
        self._key = None
        for combo, name in zip((self.combo_x, self.combo_y), self._pair):
            combo.blockSignals(True)
            combo.setCurrentText(name)
            combo.blockSignals(False)
        self._label_axes()

    # --- showing the state ---------------------------------------------------
    def draw(self, shown):
        """The map around the shown state and the line's path over it.  The
        grid is computed again only when what it depends on changed."""
        self._last = shown
        self._offer(shown.spec)
        if self.network:
            self._draw_network(shown)
            return
        p1, p2 = self._pair
        params = shown.params
        outside = [p for p in PARAMS if not LIMITS[p][0] <= params[p] <= LIMITS[p][1]]
        self.note.setVisible(bool(outside))
        if outside:   # training carried them there; the engine maps only values one could type
            self._show_nothing(outside, params)
            return
        key = (p1, p2, tuple(params[p] for p in PARAMS), shown.spec, shown.x.tobytes(), shown.y.tobytes())
        if key != self._key:
            self._draw_grid(params, shown, p1, p2)
            self._key = key
        self._draw_path(shown.line, p1, p2, params)

    def _draw_network(self, shown):
        """:meth:`draw` for a network of another shape: two elements."""
        p1, p2 = self._pair
        params = shown.params
        low, high = LIMITS["W1"]
        outside = next(((p, a) for p, a in params.items()
                        if not np.all((low <= np.asarray(a)) & (np.asarray(a) <= high))), None)
        self.note.setVisible(outside is not None)
        if outside is not None:
            name, array = outside
            place = np.argwhere(~((low <= np.asarray(array)) & (np.asarray(array) <= high)))[0]
            row, column = int(place[0]) + 1, int(place[1]) + 1 if len(place) > 1 else 1
            element = f"{name}[{row},{column}]" if name[0] == "W" else f"{name}[{row}]"
            self._show_nothing([element], {element: float(np.asarray(array)[tuple(place)])})
            self._set_title(None)
            return
        key = (p1, p2, tuple(np.asarray(params[p]).tobytes() for p in sorted(params)), shown.spec,
               shown.x.tobytes(), shown.y.tobytes())
        size = grid_size(shown.spec, len(shown.x))
        costly = size * size * len(shown.x) * max(shown.spec.layers) > RUNNING_BUDGET
        same_map = self._key is not None and self._key[:2] == key[:2] and self._key[3:] == key[3:]
        if key != self._key and not (shown.running and costly and same_map):
            self._draw_grid(params, shown, p1, p2, size)
            self._key = key
            self.map_step = shown.step
        self._set_title(None if self._key == key else self.map_step)
        self._draw_path(shown.line, p1, p2, params)

    def _recolour(self):
        """The plot in the theme's colours; the map's colours are the same in every theme."""
        colours = self._theme.colours
        style_plot(self.plot, self.plot.getPlotItem(), colours)
        self.image.setColorMap(_colormap(colours.colour_map))
        on_map = QColor(colours.on_map)
        on_map.setAlpha(150)   # the contours a soft line over the map, under the path
        for iso in self.isocurves:
            iso.setPen(pen(on_map, width=1))
        self.path_curve.setPen(pen(colours.path, width=1.5))
        self.marker.setBrush(pg.mkBrush(colours.marker))
        self.marker.setPen(pen(colours.marker_edge, width=1.5))

    def _set_title(self, kept_step):
        """The title; ``kept_step``: the map is of that state, kept while training runs."""
        title = "Loss landscape (click to move there)" if kept_step is None else \
            f"Loss landscape at step {kept_step:,} (drawn again when training stops)"
        self.plot.getPlotItem().setTitle(title, color=self._theme.colours.plot_text)

    def _show_nothing(self, outside, params):
        low, high = LIMITS[outside[0]] if outside[0] in LIMITS else LIMITS["W1"]
        self.note.setText(f"No landscape at this state: training took {element_symbol(outside[0])} to "
                          f"{number(params[outside[0]])}, outside [{number(low)}, {number(high)}], "
                          f"the range the landscape is drawn over.")
        self.image.clear()
        self._draw_contours(None, ())
        self.path_curve.setData([], [])
        self.marker.setData([], [])
        self.grid_values, self._key = None, None

    def _draw_grid(self, params, shown, p1, p2, size=SIZE):
        self.grid_calls += 1
        v1, v2 = element_value(params, p1), element_value(params, p2)
        values1, values2, loss = landscape.grid(
            params, shown.x, shown.y, p1, p2, axis_range(p1, v1), axis_range(p2, v2),
            size=size, spec=shown.spec)
        self.grid_values = (values1, values2, loss)
        finite = np.isfinite(loss)
        shown = loss if finite.all() else np.where(finite, loss, np.nan)
        if finite.any():
            low = float(np.min(loss[finite]))
            high = float(np.quantile(loss[finite], COLOUR_TOP_QUANTILE))
            levels = (low, high if high > low else low + 1.0)
            contours = np.unique(np.quantile(loss[finite], CONTOUR_QUANTILES))
        else:
            levels, contours = (0.0, 1.0), np.empty(0)
        self.image.setImage(shown, levels=levels, autoLevels=False)
        dx = values1[1] - values1[0]
        dy = values2[1] - values2[0]
        # Pixel (j, i) centred on (values1[j], values2[i]).
        self.image.setRect(QRectF(values1[0] - dx / 2, values2[0] - dy / 2, dx * len(values1), dy * len(values2)))
        self._draw_contours(shown, contours)
        self.contour_levels = contours
        self.plot.getPlotItem().getViewBox().setRange(
            xRange=(values1[0], values1[-1]), yRange=(values2[0], values2[-1]), padding=0)

    def _draw_contours(self, loss, levels):
        """A line at each of ``levels`` over ``loss``; the isocurves left over are hidden."""
        for n, iso in enumerate(self.isocurves):
            drawn = n < len(levels)
            iso.setData(loss if drawn else None, levels[n] if drawn else None)
            iso.setVisible(drawn)

    def _draw_path(self, line, p1, p2, params):
        xs, ys = line.column(p1), line.column(p2)
        keep = thin(len(xs))
        if len(keep) < len(xs):
            xs, ys = xs[keep], ys[keep]
        if self.network:   # NaN where a part of the line has no such element: a gap
            self.path_curve.setData(xs, ys, connect="finite")
        else:
            self.path_curve.setData(xs, ys, connect="auto")   # pyqtgraph's default, as a network's may have changed it
        self.marker.setData([element_value(params, p1)], [element_value(params, p2)])

    # --- picking -----------------------------------------------------------
    def params_at(self, x, y):
        """{p1: x, p2: y} for the view coordinates (x, y), or None outside the map."""
        if self.grid_values is None:
            return None
        values1, values2, _ = self.grid_values
        dx, dy = (values1[1] - values1[0]) / 2, (values2[1] - values2[0]) / 2
        if not (values1[0] - dx <= x <= values1[-1] + dx and values2[0] - dy <= y <= values2[-1] + dy):
            return None
        p1, p2 = self._pair
        return {p1: float(x), p2: float(y)}

    def scene_to_view(self, scene_pos):
        """View (parameter) coordinates of a scene position."""
        point = self.plot.getPlotItem().getViewBox().mapSceneToView(scene_pos)
        return point.x(), point.y()

    def _on_scene_click(self, event):
        if event.button() != Qt.MouseButton.LeftButton:
            return
        box = self.plot.getPlotItem().getViewBox()
        if not box.sceneBoundingRect().contains(event.scenePos()):
            return
        self.pick_at(*self.scene_to_view(event.scenePos()))

    def pick_at(self, x, y):
        """A click at view coordinates (x, y): returns the values picked, or None."""
        values = self.params_at(x, y)
        if values is None:
            return None
        self.picked.emit(values)
        return values
