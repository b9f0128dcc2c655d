"""Training in a process of its own, a chunk of states at a time.

A window that trains in a thread shares the interpreter lock with it: every
redraw is time taken from training, and every return from Qt into Python
waits for the lock.  A child process has an interpreter of its own.

:class:`TrainingProcess` starts ``python`` running :func:`serve` and keeps it
for every later job.  A job is a trainer's ``continued()`` twin, pickled
(its history holds the last state alone); the child trains it on in chunks
(:func:`chunks`, the same loop a thread would run) and sends back each
chunk's rows as raw float64.  The trainer runs the same code on the same
numbers, so the rows are bit for bit those of training here.

The pipes carry frames: an 8-byte length, then a pickled message or a
chunk's raw rows.  To the child: ``("job", id, trainer, steps, stop_below,
chunk)`` and ``("stop", id)``.  From it: ``("chunk", id, start, rows, columns,
divergence, last)`` followed by the rows' frame, ``("error", id, text)``,
and ``("ended", id)`` after a job's last message.  The child ends when its
input closes (the window closed, or its process died)."""

import io
import itertools
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np

CHUNK_SECONDS = 0.016   # work per chunk at full speed: a pause waits at most this long
# A run's first chunk, before its time per step is known: one update (2-8-8-1 on 10⁶ samples
# takes 0.13 s an update, 64 of them 8 s before the window saw a state); then fourfold a chunk.
FIRST_CHUNK = 1
MOST_CHUNK = 1 << 20
POLL_SECONDS = 0.01     # how often a reader waiting for a chunk looks whether it should stop
_LENGTH = struct.Struct("<Q")
_ROOT = Path(__file__).resolve().parent.parent
_PIPE_BYTES = 1 << 20   # a larger pipe: a chunk of rows crosses in a few writes, not hundreds


def chunks(trainer, steps=None, stop_below=None, chunk=None, stopped=lambda: False):
    """Train ``trainer`` on, yielding ``(start, rows, divergence, last)`` per
    chunk: states ``start`` … of ``rows`` (handed over: the trainer forgets
    them), the Divergence they stopped at if any, and whether it is the last
    (``steps`` done, the first loss below ``stop_below`` reached, or
    diverged).  ``chunk``: steps a chunk, or None to size them to take
    CHUNK_SECONDS.  ``stopped()`` is asked before each chunk."""
    done, size = 0, chunk or FIRST_CHUNK
    while not stopped():
        take = size if steps is None else min(size, steps - done)
        start, began = len(trainer), time.perf_counter()
        trainer.run(take)
        reached = stop_below is not None and _cut_below(trainer, start, stop_below)
        rows = trainer.history.rows(start)
        trainer.history.forget(len(trainer) - 1)
        done += len(rows)
        last = reached or trainer.divergence is not None or done == steps
        yield start, rows, trainer.divergence, last
        if last:
            return
        if chunk is None:
            spent = max(time.perf_counter() - began, 1e-6)
            size = max(1, min(MOST_CHUNK, int(size * min(4.0, CHUNK_SECONDS / spent))))


def _cut_below(trainer, start, target):
    """Keep the states up to the first from ``start`` on whose loss is below
    ``target``, as engine.timeline.Timeline.run does; whether there was one."""
    below = np.flatnonzero(trainer.history.column("L", start) < target)
    if len(below):
        trainer.truncate(start + int(below[0]) + 1)
    return len(below) > 0


# --- frames -----------------------------------------------------------------
def _write(stream, data):
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)


def _send(stream, message):
    _write(stream, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _read_exactly(stream, size):
    """``size`` bytes, or None at the end of the stream."""
    data = bytearray(size)
    view, got = memoryview(data), 0
    while got < size:
        n = stream.readinto(view[got:])
        if not n:
            return None
        got += n
    return data


def _read_frame(stream):
    head = _read_exactly(stream, _LENGTH.size)
    return None if head is None else _read_exactly(stream, _LENGTH.unpack(head)[0])


def _receive(stream):
    frame = _read_frame(stream)
    return None if frame is None else pickle.loads(frame)


def _widen(fd):
    try:
        import fcntl
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass   # not Linux, or a limit: the default pipe works, in more writes


# --- the child ----------------------------------------------------------------
def serve(inp=None, out=None):
    """The child's loop: train each job as its messages say, until the input ends."""
    if inp is None:
        inp = io.FileIO(sys.stdin.fileno(), "r", closefd=False)
    if out is None:
        # The frames get a descriptor of their own; a stray print goes to stderr, not into them.
        out = io.FileIO(os.dup(sys.stdout.fileno()), "w")
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _widen(out.fileno())
    try:
        message = _receive(inp)
        while message is not None:
            if message[0] == "job":
                message = _train(message, inp, out)
            else:
                message = _receive(inp)   # a stop for a job already ended
    except BrokenPipeError:
        pass   # the parent is gone: so is the reason to train


def _train(job, inp, out):
    """Train one job; returns the next message read (a stop was for this job)."""
    _, ident, trainer, steps, stop_below, chunk = job
    waiting = []   # a message read between chunks

    def stopped():
        if select.select([inp], [], [], 0)[0]:
            waiting.append(_receive(inp))
            return True
        return False
    try:
        for start, rows, divergence, last in chunks(trainer, steps, stop_below, chunk, stopped):
            rows = np.ascontiguousarray(rows, dtype=float)
            _send(out, ("chunk", ident, start, len(rows), rows.shape[1], divergence, last))
            _write(out, memoryview(rows).cast("B"))
    except Exception:   # the engine raised: said, and the child serves on
        _send(out, ("error", ident, traceback.format_exc()))
    _send(out, ("ended", ident))
    if waiting:
        message = waiting[0]
        return _receive(inp) if message is not None and message[0] == "stop" else message
    return _receive(inp)


# --- the parent ---------------------------------------------------------------
class ChildError(RuntimeError):
    """The child raised while training, or ended without a word."""


class TrainingProcess:
    """The parent's end: one child, started at the first job, kept for the
    later ones.  :meth:`train` is called from one thread at a time (the
    window's training thread); :meth:`close` from any."""

    def __init__(self):
        self._child = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _started(self):
        with self._lock:
            if self._child is None or self._child.poll() is not None:
                self._child = subprocess.Popen(
                    [sys.executable, "-c",
                     f"import sys; sys.path.insert(0, {str(_ROOT)!r}); "
                     "from engine.training_process import serve; serve()"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
                _widen(self._child.stdin.fileno())
            return self._child

    def train(self, trainer, steps=None, stop_below=None, chunk=None, stopped=lambda: False):
        """What :func:`chunks` yields for ``trainer``, trained in the child;
        once ``stopped()`` (or this generator is closed) the child is told to
        stop after its chunk, and nothing more is yielded.  ChildError if the
        child raised or died."""
        child, ident = self._started(), next(self._ids)
        self._tell(child, ("job", ident, trainer, steps, stop_below, chunk))
        asked = ended = False
        try:
            while not ended:
                if not asked and stopped():
                    asked = True
                    self._tell(child, ("stop", ident))
                if select.select([child.stdout], [], [], POLL_SECONDS)[0]:
                    chunk_, ended = self._next(child, ident)
                    if chunk_ is not None and not asked:
                        yield chunk_
        finally:
            if not ended:   # closed early, or the child failed: what it still sends is not for the next job
                self.close()

    def _next(self, child, ident):
        """The child's next message of job ``ident``: (a chunk or None, whether the job ended)."""
        message = _receive(child.stdout)
        if message is None:
            raise ChildError("the training process ended without a word")
        kind = message[0]
        if kind == "chunk":
            _, _, start, count, columns, divergence, last = message
            frame = _read_frame(child.stdout)
            if frame is None:
                raise ChildError("the training process ended in the middle of a chunk")
            rows = np.frombuffer(frame, dtype=float).reshape(count, columns)
            return (start, rows, divergence, last) if message[1] == ident else None, False
        if kind == "error":
            raise ChildError(message[2])
        return None, message[1] == ident

    @staticmethod
    def _tell(child, message):
        try:
            _send(child.stdin, message)
        except OSError as error:
            raise ChildError(f"the training process is gone: {error}") from None

    def close(self):
        """End the child (its input closes: it ends after its chunk), waiting a little."""
        with self._lock:
            child, self._child = self._child, None
        if child is None:
            return
        try:
            child.stdin.close()
        except OSError:
            pass
        try:
            child.wait(timeout=2)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        child.stdout.close()
