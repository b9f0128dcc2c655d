"""Continuous training, so the window never freezes and a pause takes effect
within one chunk.

As fast as possible, a process of its own trains and a worker thread hands
its finished chunks of states to this thread (gui.training_worker),
which adds them to the state as one undoable run.  At a set speed, a timer
trains what is owed on this thread: a few steps a tick, paced as an
animation is, for at most TICK_SECONDS a tick.  A network and data whose one
update takes longer than that (a wide network on 10⁶ samples) train at a set
speed in the worker too: each tick owed hands it the updates owed, and the next
job waits for the last one's states.

How many steps a tick trains is read off ``TrainingRunner.clock``: a test
gives it a clock of its own and calls :meth:`TrainingRunner.tick` itself (with
``timer``'s signals blocked where it waits on the event loop), so that what it
asserts does not hang on how often the timer fired."""

import functools
import itertools
import time

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from .training_worker import TrainingWorker, joined, shut_down

FASTEST = 0          # steps per second meaning "as fast as possible"
# What one tick at a set speed may spend training, so that the window still answers within
# 33 ms; a speed the network and data cannot keep up with then trains slower, not in bursts.
TICK_SECONDS = 0.02
JOB_SECONDS = 0.25   # a set speed's job in the worker, when one update takes longer than a tick may
_RUNS = itertools.count(1)   # each run's id: its chunks merge into one undoable command


class TrainingRunner(QObject):
    runningChanged = Signal(bool)
    failed = Signal(str)       # training stopped because its process failed: what to tell the learner
    _submit = Signal(object)   # a Job, queued to the worker's thread

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self._state = state
        self.timer = QTimer(self)   # a test that waits on the event loop may block it, and tick itself
        self.timer.setInterval(15)
        self.timer.timeout.connect(self.tick)
        self.clock = time.perf_counter
        self.chunk_steps = None   # steps per chunk of the worker; None: sized to take CHUNK_SECONDS
        self._rate = FASTEST
        self._owed = 0.0
        self._last = 0.0
        self._step_seconds = None   # what an update took at the last tick, on self.clock
        self._paced = None          # (submitted at, steps) of a set speed's job in the worker
        self._run = None          # the id of the run going on, None when paused
        self._job = None          # the worker's job: at full speed, or a slow network's at a set speed
        self._thread = self._worker = None   # made at the first job

    @property
    def running(self):
        """The one holder of whether training runs: actions and views follow runningChanged."""
        return self._run is not None

    @property
    def steps_per_second(self):
        return self._rate

    def set_steps_per_second(self, rate):
        self._rate = max(0, rate)
        if self.running:
            self._drive()

    def start(self):
        if self.running:
            return
        self._run = next(_RUNS)
        self._drive()
        self.runningChanged.emit(True)

    def stop(self):
        """Pause at once: no state is added after this, whatever the worker still finishes."""
        if not self.running:
            return
        self._run = None
        self.timer.stop()
        self._cancel()
        self.runningChanged.emit(False)

    def finish(self):
        """Stop, and end the worker's thread (waiting for its chunk): before the window goes."""
        self.stop()
        if self._thread is not None:
            shut_down(self._worker, self._thread)

    def _drive(self):
        """Train the way the speed says: the worker at full speed, else the timer."""
        if self._rate == FASTEST:
            self.timer.stop()
            if self._job is None:
                self._begin()
        else:
            self._cancel()
            self._owed, self._last, self._step_seconds = 0.0, self.clock(), None
            self.timer.start()

    def _begin(self, steps=None):
        """Give the worker a job from the last state: at most ``steps`` updates (None: until paused)."""
        if self._thread is None:
            self._thread = QThread(self)
            self._thread.setObjectName("trainingThread")
            self._worker = TrainingWorker()
            self._worker.moveToThread(self._thread)
            self._submit.connect(self._worker.train)
            self._worker.ready.connect(self._on_ready)
            self._worker.jobEnded.connect(self._on_job_ended)
            self._worker.failed.connect(self._on_failed)
            # Destroyed without a close (a crash, a test): the thread must not outlive its QThread.
            self.destroyed.connect(functools.partial(shut_down, self._worker, self._thread))
        if not self._thread.isRunning():
            self._thread.start()
        self._job = self._state.training_job()
        self._job.chunk = self.chunk_steps
        if steps is not None:
            self._job.steps = steps if self._job.steps is None else min(steps, self._job.steps)
            self._paced = (self.clock(), self._job.steps)
        self._submit.emit(self._job)

    def _cancel(self):
        if self._job is not None:
            self._job.cancelled.set()
            self._job = None
        self._paced = None

    def _on_ready(self):
        # A job paused or replaced: what it still finished is dropped.
        chunks = [c for c in self._worker.take() if c.job is self._job]
        if chunks:
            self._on_trained(joined(chunks))

    def _on_trained(self, chunk):
        state = self._state
        if not state.follows(chunk):
            # The line changed under the run (a step, an edit while running): go on from its new end
            # (at a set speed, at the next tick).
            self._cancel()
            if self._rate == FASTEST:
                self._begin()
            return
        paced, had_goal = self._paced, state.goal is not None
        if chunk.last:
            self._job = self._paced = None
        divergence = state.add_trained(chunk, run=self._run)
        if chunk.last and paced is not None:
            # How long its updates took, counted from the tick that asked for them.
            self._step_seconds = (self.clock() - paced[0]) / max(1, paced[1])
            done = had_goal and state.goal is None
        else:
            done = chunk.last
        if self.running and (divergence is not None or done):
            self.stop()

    def _on_failed(self, text):
        if self._job is not None:   # (a job already paused failed unseen)
            self.failed.emit(f"Training stopped: the training process failed ({text.strip().splitlines()[-1]})")

    def _on_job_ended(self, job):
        if job is self._job:   # ended without its last chunk: the engine raised in the worker
            self.stop()

    def tick(self):
        """Train what the clock owes since the last tick, at a set speed, for at most
        TICK_SECONDS: first one update where how long one takes is not known yet."""
        start = self.clock()
        self._owed += self._rate * (start - self._last)
        self._last = start
        if self._job is not None:
            return   # the worker trains what was owed before; the next job waits for its states
        if self._step_seconds is not None and self._step_seconds > TICK_SECONDS:
            if self._owed >= 1:
                # At most a quarter of a second's updates a job: a pause or an edit is not kept waiting.
                steps = max(1, min(int(self._owed), int(JOB_SECONDS / self._step_seconds)))
                self._owed -= int(self._owed)   # what the worker could not train in time is let go
                self._begin(steps)
            return
        spent = 0.0
        while self._owed >= 1 and spent < TICK_SECONDS:
            steps = int(self._owed)
            if self._step_seconds is None:
                steps = 1
            elif self._step_seconds > 0:
                steps = max(1, min(steps, int((TICK_SECONDS - spent) / self._step_seconds)))
            before = self.clock()
            divergence = self._state.train(steps, run=self._run)
            after = self.clock()
            self._owed -= steps
            self._step_seconds, spent = (after - before) / steps, after - start
            if divergence is not None:
                self.stop()
                return
        # Behind the set speed: what could not be trained in time is let go, not owed.
        self._owed -= int(self._owed)
