"""Call something at most once per interval: at once if it has been quiet,
else once more at the end of the interval (so the last change always shows)."""

import time

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    def __init__(self, interval_ms, callback, parent=None):
        super().__init__(parent)
        self._interval = interval_ms / 1000
        self._callback = callback
        self._last = float("-inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def __call__(self):
        if self._timer.isActive():
            return
        wait = self._last + self._interval - time.perf_counter()
        if wait <= 0:
            self._fire()
        else:
            self._timer.start(max(1, round(wait * 1000)))

    def defer(self, interval_ms):
        """Call once at the end of ``interval_ms``, never now: while training
        runs, drawing then waits for the event loop instead of lengthening a chunk."""
        if not self._timer.isActive():
            wait = self._last + interval_ms / 1000 - time.perf_counter()
            self._timer.start(max(1, round(wait * 1000)))

    def flush(self):
        """Run a pending call now."""
        if self._timer.isActive():
            self._timer.stop()
            self._fire()

    @property
    def pending(self):
        return self._timer.isActive()

    def _fire(self):
        self._last = time.perf_counter()
        self._callback()
