"""Call something at most once per interval: at once if it has been quiet,
else once more at the end of the interval (so the last change always shows).

A deferred call also waits LONG_CALL_WAITS times as long as the last call
took: a redraw that takes long (the derivation of a large dataset: 0.1 s for
10⁵ samples of 2-8-8-1, 2 s for 10⁶) leaves the window free most of the time
for a click on Pause, however often training brings new states."""

import time

from PySide6.QtCore import QObject, QTimer

LONG_CALL_WAITS = 4


class Throttle(QObject):
    def __init__(self, interval_ms, callback, parent=None):
        super().__init__(parent)
        self._interval = interval_ms / 1000
        self._callback = callback
        self._last = float("-inf")
        self._took = 0.0   # how long the last call took
        self.clock = time.perf_counter
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def __call__(self):
        if self._timer.isActive():
            return
        wait = self._last + self._interval - self.clock()
        if wait <= 0:
            self._fire()
        else:
            self._timer.start(max(1, round(wait * 1000)))

    def defer(self, interval_ms):
        """Call once at the end of ``interval_ms``, never now: while training
        runs, drawing then waits for the event loop instead of lengthening a chunk."""
        if not self._timer.isActive():
            wait = self._last + max(interval_ms / 1000, (1 + LONG_CALL_WAITS) * self._took) - self.clock()
            self._timer.start(max(1, round(wait * 1000)))

    def flush(self):
        """Run a pending call now."""
        if self._timer.isActive():
            self._timer.stop()
            self._fire()

    @property
    def pending(self):
        return self._timer.isActive()

    @property
    def due_in_ms(self):
        """How long until the pending call (None if none is)."""
        return self._timer.interval() if self._timer.isActive() else None

    def _fire(self):
        self._last = self.clock()
        self._callback()
        self._took = self.clock() - self._last
