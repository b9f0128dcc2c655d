"""Files written a piece at a time between the window's events.

A history of a million states takes seconds to write as CSV; written at once it
would freeze the window.  Each write here is an engine writer that yields
between pieces (:func:`engine.csvio.history_chunks`,
:func:`engine.session.dump_chunks`), stepped for a few milliseconds per pass of
the event loop into an :class:`engine.csvio.AtomicFile`.  Writes run one after
another in the order asked for; one that fits in its first slice is complete
before :meth:`Writes.start` returns.
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


def reason(error):
    """What a learner is told of a refused read or write: the system's words for an OSError."""
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)


class Write:
    """One file being written: ``succeeded`` is None until it is done."""

    def __init__(self, path, write, done, failed):
        self.path = os.fspath(path)
        self._write, self._done, self._failed = write, done, failed
        self._file = self._pieces = None
        self.succeeded = None

    def _begin(self):
        self._file = csvio.AtomicFile(self.path)
        pieces = self._write(self._file.stream)
        self._pieces = pieces if isinstance(pieces, Iterator) else iter(())

    def work(self, until):
        """Write until the clock passes ``until``; True once the file is complete."""
        try:
            if self._file is None:
                self._begin()
            for _ in self._pieces:
                if time.perf_counter() >= until:
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

    def __init__(self, parent=None):
        super().__init__(parent)
        self._queue = collections.deque()
        self._stepping = False
        self._timer = QTimer(self, interval=0)
        self._timer.timeout.connect(self._work)

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
            self._work()
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
            self._step(float("inf"))

    def _work(self):
        self._step(time.perf_counter() + SLICE_SECONDS)

    def _step(self, until):
        # A failure's message box runs an event loop of its own, in which the timer fires again.
        if self._stepping:
            return
        self._stepping = True
        try:
            while self._queue and self._queue[0].work(until):
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
