"""Loss against iteration: one curve, updated in place, fine at a million points.

Up to RAW_LIMIT states the curve holds every loss (pyqtgraph downsamples and
clips to the view); past that it holds a min/max envelope of them, so a
redraw costs the same at a million states as at ten thousand.  Zoomed in to
RAW_LIMIT states or fewer, it holds those states exactly again; zoomed in less
far, a finer envelope of the states around the view.
"""

import numpy as np
import pyqtgraph as pg

from .envelope import PeakEnvelope, peaks
from .theme import pen, style_plot, theme

RAW_LIMIT = 20_000
FINE_BUCKETS = 1000   # min/max pairs across a view, at least: finer than its pixels

# The smallest positive loss a log axis shows; an exact zero would be -inf.
LOG_FLOOR = 1e-300
# pyqtgraph's views stop at 1e307: a last finite loss above that would sit out of
# view after a divergence; it is drawn at this height (its exact value is in the table).
LINEAR_CEILING = 1e306
MINOR_DECADE_PX = 50   # a log axis shows 2 … 9 of each decade only where a decade is this tall


class DecadeAxis(pg.AxisItem):
    """A log axis without minor ticks over many decades: there they are a
    wash of grid lines, each blended on every repaint (164 of them over 18
    decades tripled the time of a repaint)."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        levels = super().logTickValues(minVal, maxVal, size, stdTicks)
        if size >= MINOR_DECADE_PX * (maxVal - minVal):
            return levels
        return [(spacing, ticks) for spacing, ticks in levels if spacing is not None] or levels


class LossPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"left": DecadeAxis("left")})
        self.setObjectName("lossPlot")
        item = self.getPlotItem()
        item.setLabel("bottom", "iteration (update)")
        item.setLabel("left", "loss L")
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setTitle("Loss over training")
        # minYRange: losses a few denormals apart would overflow pyqtgraph's scale.
        item.setLimits(xMin=-1, minXRange=10, minYRange=1e-100)
        self._floor_at_zero(True)
        for axis in ("left", "bottom"):
            # Plain numbers: a scale factor in the label ("loss L (x1e+27)") is a puzzle to a learner.
            item.getAxis(axis).enableAutoSIPrefix(False)
            # Grid lines at major and minor ticks only: the third level cost most of a repaint.
            item.getAxis(axis).setStyle(maxTickLevel=0)
        item.getAxis("left").setWidth(64)   # a fixed width: new tick labels do not relayout the plot
        # One min/max pair a pixel column draws the same envelope as pyqtgraph's
        # default five, at a fifth of the line segments (a wide pen is drawn segment by segment).
        self.curve = item.plot(name="loss", autoDownsampleFactor=1.0)
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        # A PlotDataItem, not a bare ScatterPlotItem: it follows the plot onto a log axis.
        self.marker = pg.PlotDataItem(pen=None, symbol="o", symbolSize=11)
        self.marker.setZValue(10)
        item.addItem(self.marker)
        self._theme = theme()
        self._theme.themeChanged.connect(self._recolour)
        self._recolour()
        self._source = None      # (history, generation) drawn
        self._length = 0
        self._envelope = PeakEnvelope()
        self._window = None      # the raw slice (start, stop) the curve holds, or None: the envelope
        self._log = False
        self._conceal = False    # predict mode: the shown state's loss is the learner's to work out
        self.current = 0
        item.getViewBox().sigXRangeChanged.connect(self._on_zoom)

    def _recolour(self):
        colours = self._theme.colours
        style_plot(self, self.getPlotItem(), colours)
        self.curve.setPen(pen(colours.loss_curve, width=2))
        self.marker.setSymbolBrush(pg.mkBrush(colours.marker))
        self.marker.setSymbolPen(pen(colours.marker_edge, width=1.5))

    # --- data -----------------------------------------------------------
    def _read(self, start, stop):
        return self._source[0].column("L", start, stop)

    def set_history(self, history, current, conceal=False):
        """Show the losses of ``history`` (a History or a Timeline).  Only
        states not yet summarized are read, unless older states changed (a
        new generation): no copy of the whole history is kept here.
        ``conceal``: leave out the loss of state ``current`` and later ones."""
        self._conceal = conceal
        source = (history, getattr(history, "generation", 0))
        fit = self._source is not None and history is not self._source[0]
        if source != self._source or len(history) < self._length:
            self._source = source   # older states changed: start over
            self._envelope.reset()
        self._length = len(history)
        if self._length > RAW_LIMIT:
            self._envelope.extend(self._read, self._length)
        self._redraw(current)
        if fit:
            self.fit()

    def fit(self):
        """The whole curve in view, following it from now on.  Another session
        (New, Open) starts so, not at the last one's zoom.  pyqtgraph keeps the
        old scale around a single point (a range of width 0): give it one."""
        box = self.getPlotItem().getViewBox()
        box.enableAutoRange()
        if self._length == 1:
            loss = float(self._shown(self._read(0, 1))[0])
            y = (np.log10(loss) - 1, np.log10(loss) + 1) if self._log else (0.0, 2 * loss if loss > 0 else 1.0)
            box.setRange(xRange=(-1, 10), yRange=y, padding=0.05, disableAutoRange=False)

    def _shown(self, values):
        return np.maximum(values, LOG_FLOOR) if self._log else np.minimum(values, LINEAR_CEILING)

    def _in_view(self):
        """The states (start, stop) in view, or None while the view follows the whole curve."""
        box = self.getPlotItem().getViewBox()
        if box.autoRangeEnabled()[0]:
            return None
        low, high = box.viewRange()[0]
        stop = min(self._length, int(high) + 2)
        return min(max(0, int(low) - 1), stop), stop

    def _visible_slice(self):
        """What the curve holds: (start, stop, bucket), states start..stop-1
        as they are (bucket 1) or as the min and max of each ``bucket``
        states; None for the envelope of the whole line.  All states while
        few.  Zoomed in, those in view and as many again on either side
        (raw: at most RAW_LIMIT in all), so that panning reads the history
        only now and then; bucketed where the whole line's envelope would be
        coarser than FINE_BUCKETS across the view."""
        if self._length <= RAW_LIMIT:
            return (0, self._length, 1)
        view = self._in_view()
        if view is None:
            return None
        span = view[1] - view[0]
        if span // self._envelope.size >= FINE_BUCKETS:
            return None
        if span <= RAW_LIMIT:
            margin, bucket = min(span, (RAW_LIMIT - span) // 2), 1
        else:
            margin, bucket = span, -(-3 * span // (RAW_LIMIT // 2))
        return max(0, view[0] - margin), min(self._length, view[1] + margin), bucket

    def _holds_view(self):
        """Whether the curve can stay as it is: the envelope while it is fine
        enough for the view, or a slice that holds the view finely enough."""
        view, held = self._in_view(), self._window
        if held is None:
            return self._visible_slice() is None
        if view is None or not (held[0] <= view[0] and view[1] <= held[1]):
            return False
        span = view[1] - view[0]
        return span <= RAW_LIMIT if held[2] == 1 else span > RAW_LIMIT and span // held[2] >= FINE_BUCKETS

    def _on_zoom(self, *_):
        if self._length > RAW_LIMIT and not self._holds_view():
            self._redraw(self.current)

    def _redraw(self, current):
        if self._source is None:
            return
        window = self._visible_slice()
        if window is None:
            x, y = self._envelope.points(self._read, self._length)
        elif window[2] == 1:
            x, y = np.arange(*window[:2], dtype=float), self._read(*window[:2])
        else:
            x, y = peaks(self._read(*window[:2]), window[2], window[0])
        self._window = window
        if self._conceal:
            x, y = x[x < current], y[x < current]
        # History rows are finite by construction: pyqtgraph need not check them again.
        self.curve.setData(x, self._shown(y), skipFiniteCheck=True)
        self.current = current
        if self._conceal:
            self.marker.setData([], [])
        else:
            self.marker.setData([current], self._shown(self._read(current, current + 1)))

    def set_log(self, on):
        self._log = bool(on)
        self.getPlotItem().setLogMode(y=self._log)
        self._floor_at_zero(not self._log)
        self._redraw(self.current)

    def _floor_at_zero(self, on):
        """A loss is never negative: on a linear axis the view stops at 0 (on a
        log axis the limits are decades, and the floor would be 10⁰)."""
        self.getPlotItem().getViewBox().setLimits(yMin=0.0 if on else -1e307)   # pyqtgraph's "no limit"

    @property
    def log(self):
        return self._log

    def shown_loss(self):
        """The losses the curve holds (every one, up to RAW_LIMIT states)."""
        return np.array(self.curve.yData, dtype=float)
