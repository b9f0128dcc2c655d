"""Files written a piece at a time between the window's events.

A history of a million states takes seconds to write as CSV; written at once it
would freeze the window.  Each write here is an engine writer that yields
between pieces (:func:`engine.csvio.history_chunks`,
:func:`engine.session.dump_chunks`), stepped a slice per pass of the event
loop into an :class:`engine.csvio.AtomicFile`.  Writes run one after another
in the order asked for; :meth:`Writes.start` runs the first slice at once, so
a write that fits in it is complete before it returns.

How long a slice is, is ``Writes.slices``: the app's :class:`BySeconds` ends
one after a few milliseconds, so how much a slice writes depends on the
machine and its load; :class:`ByPieces` ends one after a set number of
pieces, the same on any machine (what a test sets to know where a write stands).
"""

import collections
import os
import time
from collections.abc import Iterator

from PySide6.QtCore import QObject, QTimer, Signal

from engine import csvio
from engine.session import SessionError

SLICE_SECONDS = 0.010    # writing per pass of the event loop: input is answered within a frame or so
REFUSALS = (OSError, SessionError)   # a write that fails for one of these leaves the old file


def with_suffix(path, chosen_filter, filters):
    """``path`` as typed when its suffix is one of ``filters``' (a save dialog's
    filter -> the suffix it stands for); else with the suffix of the filter
    the learner chose (the first's, if none) added: the name says the kind."""
    if os.path.splitext(path)[1].lower() in filters.values():
        return path
    return path + filters.get(chosen_filter, next(iter(filters.values())))


def reason(error):
    """What a learner is told of a refused read or write: the system's words for an OSError."""
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)


class BySeconds:
    """A slice goes on until ``seconds`` have passed on ``clock``."""

    def __init__(self, seconds=SLICE_SECONDS, clock=time.perf_counter):
        self.seconds, self.clock = seconds, clock

    def begin(self):
        """A fresh slice: a function saying, after each piece, whether to write another."""
        until = self.clock() + self.seconds
        return lambda: self.clock() < until


class ByPieces:
    """A slice is ``pieces`` pieces, fewer only where the last write ends
    (``math.inf``: every write is complete in the slice that starts it)."""

    def __init__(self, pieces):
        if pieces < 1:
            raise ValueError("a slice writes at least one piece")
        self.pieces = pieces

    def begin(self):
        left = [self.pieces]

        def more():
            left[0] -= 1
            return left[0] > 0
        return more


def _unbounded():
    return True


class Write:
    """One file being written: ``succeeded`` is None until it is done;
    ``pieces`` is how many pieces of it are written so far."""

    def __init__(self, path, write, done, failed):
        self.path = os.fspath(path)
        self._write, self._done, self._failed = write, done, failed
        self._file = self._writer = None
        self.succeeded = None
        self.pieces = 0

    def _begin(self):
        self._file = csvio.AtomicFile(self.path)
        writer = self._write(self._file.stream)
        self._writer = writer if isinstance(writer, Iterator) else iter(())

    def work(self, more):
        """Write pieces while ``more()`` says so after each; True once the file is complete."""
        try:
            if self._file is None:
                self._begin()
            for _ in self._writer:
                self.pieces += 1
                if not more():
                    return False
            self._file.commit()
        except REFUSALS as error:
            self._give_up()
            self.succeeded = False
            if self._failed:
                self._failed(self.path, reason(error))
            return True
        except BaseException:
            self._give_up()
            self.succeeded = False
            raise
        self.succeeded = True
        if self._done:
            self._done(self.path)
        return True

    def cancel(self):
        self._give_up()
        self.succeeded = False

    def _give_up(self):
        if self._file is not None:
            self._file.abort()


class Writes(QObject):
    idle = Signal()      # every write asked for is done (or failed)
    slices = BySeconds()   # how long a slice is: set on an instance, or here for every window

    def __init__(self, parent=None):
        super().__init__(parent)
        self._queue = collections.deque()
        self._stepping = False
        self._timer = QTimer(self, interval=0)
        self._timer.timeout.connect(self.step)

    def busy(self):
        return bool(self._queue)

    def writing(self, path):
        """Whether ``path`` is being written or waits to be."""
        path = os.fspath(path)
        return any(w.path == path for w in self._queue)

    def start(self, path, write, done=None, failed=None):
        """Write ``write(stream)`` to ``path`` atomically; ``write`` may yield
        between pieces.  ``done(path)`` or ``failed(path, reason)`` is called
        when it is over (failed: the file on disk is unchanged)."""
        job = Write(path, write, done, failed)
        self._queue.append(job)
        if len(self._queue) == 1:
            self.step()
        return job

    def cancel(self, path):
        """Drop the writes of ``path`` not yet done; the file stays as it was."""
        path = os.fspath(path)
        for job in [w for w in self._queue if w.path == path and w.succeeded is None]:
            job.cancel()
            self._queue.remove(job)
        if not self._queue:
            self._timer.stop()

    def finish(self):
        """Write everything asked for to the end now (the window is closing, or
        the learner waits for this file anyway)."""
        while self._queue and not self._stepping:
            self._step(_unbounded)

    def step(self):
        """One slice of writing, as a pass of the event loop does."""
        self._step(self.slices.begin())

    def _step(self, more):
        # A failure's message box runs an event loop of its own, in which the timer fires again.
        if self._stepping:
            return
        self._stepping = True
        try:
            while self._queue and self._queue[0].work(more):
                self._queue.popleft()
        except BaseException:
            self._queue.popleft()
            raise
        finally:
            self._stepping = False
            if self._queue:
                self._timer.start()
            else:
                self._timer.stop()
                self.idle.emit()
