"""Training as fast as possible, in a thread of its own.

The worker trains a trainer of its own (``Trainer.continued()``: its own
history and buffers, numbered on from the line's last state), a chunk at a
time, and hands each finished chunk's rows to the window's thread as a
:class:`Chunk`, a copy that nothing writes again.  The window's thread never
touches the worker's trainer, and the worker never touches the line: what the
window reads stays whole however the two threads interleave.

A pause sets the job's ``cancelled``: the worker stops after the chunk it is
in, and the runner drops every chunk of a job it no longer runs."""

import dataclasses
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

CHUNK_SECONDS = 0.016   # work per chunk at full speed: a pause waits at most this long
FIRST_CHUNK = 64        # steps of a run's first chunk, before its time per step is known
MOST_CHUNK = 1 << 20


@dataclasses.dataclass
class Job:
    """Train on from ``source`` (the line's trainer) with ``trainer``, its
    continued() twin: at most ``steps`` updates (None: until cancelled),
    stopping at the first state whose loss is below ``stop_below`` (None: no
    target).  ``chunk``: steps per chunk, or None to size them by CHUNK_SECONDS."""
    source: object
    trainer: object
    steps: int | None = None
    stop_below: float | None = None
    chunk: int | None = None
    cancelled: threading.Event = dataclasses.field(default_factory=threading.Event)


@dataclasses.dataclass(frozen=True)
class Chunk:
    """States ``start`` … ``start + len(rows) - 1`` of ``job``, trained from
    state ``start - 1``; ``divergence``: the Divergence they stopped at, if
    any; ``last``: the job trains no further (its goal met, its steps done,
    or diverged)."""
    job: Job
    start: int
    rows: np.ndarray
    divergence: object
    last: bool


def joined(chunks):
    """Consecutive chunks of one job as one."""
    if len(chunks) == 1:
        return chunks[0]
    return dataclasses.replace(chunks[-1], start=chunks[0].start,
                               rows=np.concatenate([c.rows for c in chunks]))


class TrainingWorker(QObject):
    """Lives in the training thread: :meth:`train` runs one job, chunk by chunk."""
    trained = Signal(object)   # each Chunk as it is finished, emitted in the worker's thread
    ready = Signal()           # chunks wait in take(): emitted once until they are taken
    jobEnded = Signal(object)  # the Job: the worker trains it no further (cancelled, or its last chunk sent)

    def __init__(self):
        super().__init__()
        self.halted = threading.Event()   # set while the thread is being shut down: every job ends
        # Finished chunks wait here: a worker faster than the window never floods its event queue.
        self._lock = threading.Lock()
        self._waiting = []

    def take(self):
        """The chunks finished since the last take, oldest first (in the window's thread)."""
        with self._lock:
            chunks, self._waiting = self._waiting, []
        return chunks

    def _hand_over(self, chunk):
        self.trained.emit(chunk)
        with self._lock:
            self._waiting.append(chunk)
            first = len(self._waiting) == 1
        if first:
            self.ready.emit()

    @Slot(object)
    def train(self, job):
        try:
            self._train(job)
        finally:
            self.jobEnded.emit(job)

    def _train(self, job):
        trainer, done, chunk = job.trainer, 0, job.chunk or FIRST_CHUNK
        while not (job.cancelled.is_set() or self.halted.is_set()):
            take = chunk if job.steps is None else min(chunk, job.steps - done)
            start, began = len(trainer), time.perf_counter()
            trainer.run(take)
            reached = job.stop_below is not None and _cut_below(trainer, start, job.stop_below)
            rows = trainer.history.rows(start)
            trainer.history.forget(len(trainer) - 1)   # handed over: the line keeps them
            done += len(rows)
            last = reached or trainer.divergence is not None or done == job.steps
            self._hand_over(Chunk(job, start, rows, trainer.divergence, last))
            if last:
                return
            if job.chunk is None:
                spent = max(time.perf_counter() - began, 1e-6)
                chunk = max(1, min(MOST_CHUNK, int(chunk * min(4.0, CHUNK_SECONDS / spent))))


def _cut_below(trainer, start, target):
    """Keep the states up to the first from ``start`` on whose loss is below
    ``target``, as engine.timeline.Timeline.run does; whether there was one."""
    below = np.flatnonzero(trainer.history.column("L", start) < target)
    if len(below):
        trainer.truncate(start + int(below[0]) + 1)
    return len(below) > 0


def shut_down(worker, thread):
    """End the worker's job after its chunk and the thread with it, and wait
    for both (a QThread destroyed while it runs takes the process down)."""
    worker.halted.set()
    thread.quit()
    thread.wait()
    worker.halted.clear()
