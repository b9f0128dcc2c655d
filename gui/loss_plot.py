"""Loss against iteration: one curve, updated in place, fine at a million points."""

import numpy as np
import pyqtgraph as pg

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
        self.curve = item.plot(pen=pg.mkPen(33, 102, 172, width=2), name="loss")
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.marker = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(255, 190, 0),
                                         pen=pg.mkPen(120, 80, 0, width=1.5))
        self.marker.setZValue(10)
        item.addItem(self.marker)
        self._steps = np.empty(0)
        self._loss = np.empty(0)
        self._length = 0
        self._source = None
        self._log = False
        self.current = 0

    # --- data -----------------------------------------------------------
    def set_history(self, history, current):
        """Show the losses of ``history`` (a History or a Timeline); only states
        not yet drawn are read, unless older states changed (a new generation)."""
        length = len(history)
        source = (history, getattr(history, "generation", 0))
        if source != self._source or length < self._length:
            self._source, self._length = source, 0   # older states changed: start over
        if length > len(self._loss):
            capacity = max(1024, 2 * length)  # grow geometrically: setData gets views, never copies
            self._loss = np.resize(self._loss, capacity)
            self._steps = np.arange(capacity, dtype=float)
        if length > self._length:
            self._loss[self._length:length] = history.column("L", self._length, length)
            self._length = length
        self._redraw(current)

    def _shown(self, values):
        return np.maximum(values, LOG_FLOOR) if self._log else values

    def _redraw(self, current):
        self.curve.setData(self._steps[:self._length], self._shown(self._loss[:self._length]))
        self.current = current
        self.marker.setData([current], self._shown(self._loss[current:current + 1]))

    def set_log(self, on):
        self._log = bool(on)
        self.getPlotItem().setLogMode(y=self._log)
        self._redraw(self.current)

    @property
    def log(self):
        return self._log

    def shown_loss(self):
        """The losses the curve holds, as a copy: what tests compare."""
        return self._loss[:self._length].copy()
