"""Continuous training in timer-driven chunks, so the window never freezes
and a pause takes effect before the next chunk.

How many steps a tick trains is read off ``TrainingRunner.clock``: a test
gives it a clock of its own and calls :meth:`TrainingRunner.tick` itself, so
that what it asserts does not hang on how often the timer fired."""

import itertools
import time

from PySide6.QtCore import QObject, QTimer, Signal

FASTEST = 0          # steps per second meaning "as fast as possible"
_RUNS = itertools.count(1)   # each run's id: its chunks merge into one undoable command
CHUNK_SECONDS = 0.016  # engine work per tick at full speed: with a redraw, well under 50 ms


class TrainingRunner(QObject):
    runningChanged = Signal(bool)

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self._state = state
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)
        self.clock = time.perf_counter
        self._rate = FASTEST
        self._chunk = 64          # steps per tick at full speed, adapted to CHUNK_SECONDS
        self._owed = 0.0
        self._last = 0.0
        self._run = None

    @property
    def running(self):
        """The one holder of whether training runs: actions and views follow runningChanged."""
        return self._timer.isActive()

    @property
    def steps_per_second(self):
        return self._rate

    def set_steps_per_second(self, rate):
        self._rate = max(0, rate)
        self._timer.setInterval(0 if self._rate == FASTEST else 15)

    def start(self):
        if self.running:
            return
        self._owed, self._last = 0.0, self.clock()
        self._run = next(_RUNS)
        self._timer.start(0 if self._rate == FASTEST else 15)
        self.runningChanged.emit(True)

    def stop(self):
        if not self.running:
            return
        self._timer.stop()
        self.runningChanged.emit(False)

    def tick(self):
        """Train what is owed since the last tick (at full speed, a chunk)."""
        now = self.clock()
        if self._rate == FASTEST:
            steps = self._chunk
        else:
            self._owed += self._rate * (now - self._last)
            steps = int(self._owed)
            self._owed -= steps
        self._last = now
        if steps == 0:
            return
        divergence = self._state.train(steps, run=self._run)
        if self._rate == FASTEST:
            spent = max(self.clock() - now, 1e-6)
            self._chunk = max(1, min(1 << 20, int(self._chunk * min(4.0, CHUNK_SECONDS / spent))))
        if divergence is not None:
            self.stop()
