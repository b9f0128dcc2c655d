"""Reading a session without freezing the window: a million states are
trained again on open (seconds), so the file is read in a worker thread
while the window keeps painting, behind a modal progress dialog."""

import concurrent.futures
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog

from engine import session

POLL_MS = 20          # how often the window looks whether the worker is done
SHOW_AFTER_MS = 300   # a read done sooner shows no dialog at all


def read_session(parent, path):
    """``session.read(path)``, run in a worker; raises what it raises."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        job = pool.submit(session.read, path)
        if not job.done():
            _wait(parent, job, Path(path).name)
        return job.result()


def _wait(parent, job, name):
    # No Cancel: a read cannot be stopped half-way, and it changes nothing until it is done.
    dialog = QProgressDialog(f"Opening {name}: every state is trained again…", None, 0, 0, parent)
    dialog.setObjectName("openProgress")
    dialog.setWindowTitle("Open Session")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    loop = QEventLoop()
    poll = QTimer(interval=POLL_MS)
    poll.timeout.connect(lambda: job.done() and loop.quit())
    poll.start()
    # Paint and timers go on; the learner's clicks and keys wait: nothing may change the
    # session while the file that replaces it is read.
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        if not job.done():
            loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    finally:
        QApplication.restoreOverrideCursor()
        poll.stop()
        dialog.close()
        dialog.deleteLater()
