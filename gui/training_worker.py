"""Training as fast as possible, off the window's thread.

A process of its own trains (engine.training_process): a trainer's
``continued()`` twin (its own history, numbered on from the line's last
state), a chunk at a time.  A thread of the window's process waits for the
chunks and hands each to the window's thread as a :class:`Chunk`, a copy
that nothing writes again.  Neither the child nor the thread touches the
line: what the window reads stays whole.  The thread only waits and copies,
so it rarely holds the interpreter lock the window needs.

A pause sets the job's ``cancelled``: the child is told to stop after the
chunk it is in, nothing more of the job is handed over, and the runner drops
every chunk of a job it no longer runs."""

import dataclasses
import threading

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from engine.training_process import ChildError, TrainingProcess


@dataclasses.dataclass
class Job:
    """Train on from ``source`` (the line's trainer) with ``trainer``, its
    continued() twin: at most ``steps`` updates (None: until cancelled),
    stopping at the first state whose loss is below ``stop_below`` (None: no
    target).  ``chunk``: steps per chunk, or None to size them to take
    engine.training_process.CHUNK_SECONDS."""
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
    failed = Signal(str)       # the training process raised or died: what it said

    def __init__(self):
        super().__init__()
        self.halted = threading.Event()   # set while the thread is being shut down: every job ends
        # Finished chunks wait here: a worker faster than the window never floods its event queue.
        self._lock = threading.Lock()
        self._waiting = []
        self._process = TrainingProcess()   # its child starts with the first job

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

    def close(self):
        """End the training process (when its window goes)."""
        self._process.close()

    @Slot(object)
    def train(self, job):
        try:
            for start, rows, divergence, last in self._process.train(
                    job.trainer, job.steps, job.stop_below, job.chunk,
                    lambda: job.cancelled.is_set() or self.halted.is_set()):
                self._hand_over(Chunk(job, start, rows, divergence, last))
        except ChildError as error:   # the next job starts another process
            self.failed.emit(str(error))
        finally:
            self.jobEnded.emit(job)


def shut_down(worker, thread):
    """End the worker's job after its chunk and the thread with it, and wait
    for both (a QThread destroyed while it runs takes the process down)."""
    worker.halted.set()
    thread.quit()
    thread.wait()
    worker.halted.clear()
    worker.close()
