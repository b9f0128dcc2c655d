"""Loss against iteration: one curve, updated in place, fine at a million points.

Up to RAW_LIMIT states the curve holds every loss (pyqtgraph downsamples and
clips to the view); past that it holds a min/max envelope of them, so a
redraw costs the same at a million states as at ten thousand.  Zoomed in to
RAW_LIMIT states or fewer, it holds those states exactly again.
"""

import numpy as np
import pyqtgraph as pg

from .envelope import PeakEnvelope

RAW_LIMIT = 20_000

# The smallest positive loss a log axis shows; an exact zero would be -inf.
LOG_FLOOR = 1e-300


class LossPlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setObjectName("lossPlot")
        item = self.getPlotItem()
        item.setLabel("bottom", "iteration (update)")
        item.setLabel("left", "loss L")
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setTitle("Loss over training", color=(40, 40, 40))
        item.setLimits(xMin=-1, minXRange=10)
        for axis in ("left", "bottom"):
            item.getAxis(axis).setPen(pg.mkPen(80, 80, 80))
            item.getAxis(axis).setTextPen(pg.mkPen(40, 40, 40))
            # Grid lines at major and minor ticks only: the third level cost most of a repaint.
            item.getAxis(axis).setStyle(maxTickLevel=0)
        item.getAxis("left").setWidth(64)   # a fixed width: new tick labels do not relayout the plot
        self.curve = item.plot(pen=pg.mkPen(33, 102, 172, width=2), name="loss")
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.marker = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(255, 190, 0),
                                         pen=pg.mkPen(120, 80, 0, width=1.5))
        self.marker.setZValue(10)
        item.addItem(self.marker)
        self._source = None      # (history, generation) drawn
        self._length = 0
        self._envelope = PeakEnvelope()
        self._window = None      # the raw slice (start, stop) the curve holds, or None: the envelope
        self._log = False
        self.current = 0
        item.getViewBox().sigXRangeChanged.connect(self._on_zoom)

    # --- data -----------------------------------------------------------
    def _read(self, start, stop):
        return self._source[0].column("L", start, stop)

    def set_history(self, history, current):
        """Show the losses of ``history`` (a History or a Timeline).  Only
        states not yet summarized are read, unless older states changed (a
        new generation): no copy of the whole history is kept here."""
        source = (history, getattr(history, "generation", 0))
        if source != self._source or len(history) < self._length:
            self._source = source   # older states changed: start over
            self._envelope.reset()
        self._length = len(history)
        if self._length > RAW_LIMIT:
            self._envelope.extend(self._read, self._length)
        self._redraw(current)

    def _shown(self, values):
        return np.maximum(values, LOG_FLOOR) if self._log else values

    def _visible_slice(self):
        """The raw states to draw: all while few, those in view when zoomed
        in far enough; None for the envelope."""
        box = self.getPlotItem().getViewBox()
        if self._length <= RAW_LIMIT:
            return (0, self._length)
        if box.autoRangeEnabled()[0]:
            return None
        low, high = box.viewRange()[0]
        start, stop = max(0, int(low) - 1), min(self._length, int(high) + 2)
        return (start, stop) if stop - start <= RAW_LIMIT else None

    def _on_zoom(self, *_):
        if self._length > RAW_LIMIT and self._visible_slice() != self._window:
            self._redraw(self.current)

    def _redraw(self, current):
        if self._source is None:
            return
        window = self._visible_slice()
        if window is None:
            x, y = self._envelope.points(self._read, self._length)
        else:
            x, y = np.arange(*window, dtype=float), self._read(*window)
        self._window = window
        # History rows are finite by construction: pyqtgraph need not check them again.
        self.curve.setData(x, self._shown(y), skipFiniteCheck=True)
        self.current = current
        self.marker.setData([current], self._shown(self._read(current, current + 1)))

    def set_log(self, on):
        self._log = bool(on)
        self.getPlotItem().setLogMode(y=self._log)
        self._redraw(self.current)

    @property
    def log(self):
        return self._log

    def shown_loss(self):
        """The losses the curve holds (every one, up to RAW_LIMIT states)."""
        return np.array(self.curve.yData, dtype=float)
