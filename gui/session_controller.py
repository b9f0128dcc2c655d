"""Files, autosave and crash recovery: the window's memory.

The session's content (the timeline, the shown step, its speed and loss axis)
goes through engine.session, which refuses damaged files and writes
atomically.  The controller knows the state, the preferences, the writes and
a :class:`SessionUi`, never the window itself.
"""

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QLockFile, QObject, QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox, QProgressDialog, QWidget

from engine import atomic, session

from .preferences import name_application
from .reading import read_session
from .settings_checks import looks_like_a_path
from .throttle import LONG_CALL_WAITS
from .writes import reason

AUTOSAVE_MS = 5000
# An autosave that took longer than this (a million samples: seconds of work, in slices)
# waits LONG_CALL_WAITS times as long before the next, as a long redraw does, so that it is
# not most of what the window does.
LONG_AUTOSAVE_S = 0.5
FILTER = "Backprop Explorer sessions (*.bpe);;All files (*)"
SUFFIX = ".bpe"
AUTOSAVE_PREFIX = "autosave-"          # autosave-<window id>.bpe, locked by autosave-<window id>.lock
LEGACY_AUTOSAVE = f"autosave{SUFFIX}"   # the one autosave of every window before each had its own


def data_folder():
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _lock_file(path):
    """A QLockFile for the autosave at ``path``, stale only once the process
    holding it is gone: a window may keep its autosave for hours."""
    lock = QLockFile(str(Path(path).with_suffix(".lock")))
    lock.setStaleLockTime(0)
    return lock


def _remove(path):
    try:
        Path(path).unlink()
    except OSError:   # gone already, or a folder (or anything else not ours) in its place: left alone
        pass


@dataclass
class Orphan:
    """An autosave no running window holds: offered at start."""
    path: Path
    lock: QLockFile | None    # held while it is offered; None for the old single autosave
    saved_at: object
    states: int
    loaded: object = None     # the session read, kept only when it is the one offered

    def when(self):
        return self.saved_at.astimezone().strftime("%H:%M:%S on %d %B %Y")


class _Hold:
    """The lock on this window's autosave, kept apart from the controller so
    that its release can outlive it: a window destroyed without closing (as
    in a crash) leaves its autosave to be offered, not held by nobody's lock."""
    lock = None

    def release(self, *_):
        if self.lock is not None:
            self.lock.unlock()
            self.lock = None


@dataclass
class SessionUi:
    """All the controller asks of the window, and no more."""
    parent: QWidget                       # of its dialogs; its title names the session
    show_message: Callable[..., None]     # (text, milliseconds=0) in the status bar; "" clears it
    stop_running: Callable[[], None]      # before the session shown is dropped

    def set_title(self, title, modified):
        self.parent.setWindowTitle(title)
        self.parent.setWindowModified(modified)


class SessionController(QObject):
    def __init__(self, state, preferences, writes, ui):
        super().__init__(ui.parent)
        name_application()
        self.state, self.preferences, self.writes, self.ui = state, preferences, writes, ui
        self.path = None
        self._autosaved_index = None
        # Which session the window shows: a save's completion touches only the one it was started for.
        self._session = 0
        self._saves = []   # this window's saves not yet complete
        self._id = uuid.uuid4().hex[:12]
        # Taken at the first autosave: before it, the window has nothing another could mistake for an orphan.
        self._hold = _Hold()
        self.destroyed.connect(self._hold.release)
        self.clock = time.monotonic
        self._autosave_after = float("-inf")   # a long autosave's wait: none before this
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start(AUTOSAVE_MS)
        self._clean = True
        self.state.undo_stack.cleanChanged.connect(self._on_clean_changed)

    # --- title ----------------------------------------------------------
    def _on_clean_changed(self, clean):
        # Kept from the signal: while the window is torn down the stack may be gone already.
        self._clean = clean
        if shiboken6.isValid(self.ui.parent):
            self.update_title()
            if clean and self.state.undo_stack.count():
                # Undone back to the file: an autosave would offer the changes again.
                # (Not on clear(): a recovered session keeps its autosave until saved.)
                self._discard_autosave()

    @property
    def modified(self):
        return not self._clean

    def update_title(self):
        if self.path is None and not self.modified:
            self.ui.set_title("Backprop Explorer", False)   # back to clean by undo: no mark is left behind
            return
        name = Path(self.path).name if self.path else "Untitled"
        self.ui.set_title(f"{name}[*] — Backprop Explorer", self.modified)

    # --- file actions ---------------------------------------------------
    def maybe_save(self):
        """True when it is fine to drop the session: saved, or the learner said so."""
        if not self.modified:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.ui.parent, "Unsaved changes", "This session has changes that are not saved. Save them?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save(wait=True)
        return answer == buttons.Discard

    def new(self):
        self.ui.stop_running()
        if not self.wait_for_saves("starting a new session") or not self.maybe_save():
            return False
        self._session += 1
        self.state.replace(None, 0)
        self._adopt_file(None)
        return True

    def open(self, path=None):
        self.ui.stop_running()
        if path is None:   # which file first: cancelling that leaves the session alone, unasked
            path, _ = QFileDialog.getOpenFileName(self.ui.parent, "Open Session", self.folder(), FILTER)
            if not path:
                return False
        if not self.wait_for_saves(f"opening {Path(path).name}") or not self.maybe_save():
            return False
        try:
            loaded = read_session(self.ui.parent, path)   # in a worker: the window keeps painting
        except (session.SessionError, OSError) as error:
            QMessageBox.critical(self.ui.parent, "Open Session",
                                 f"Could not open {path}:\n{reason(error)}\n\nThe open session is unchanged.")
            return False
        self._session += 1
        self.state.replace(loaded.timeline, loaded.cursor)
        self.preferences.take_session_settings(loaded.settings)
        self._adopt_file(path)
        self.preferences.remember_recent(path)
        return True

    def save(self, wait=False):
        """Save to the session's file (asking for one if it has none).  The
        file is written in the background unless ``wait``; False if the
        learner cancelled or the file could not be written."""
        if self.path is None:
            return self.save_as(wait)
        return self._write(self.path, wait)

    def save_as(self, wait=False):
        suggested = self.path or str(Path(self.folder()) / f"session{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.ui.parent, "Save Session As", suggested, FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += SUFFIX
        return self._write(path, wait)

    def _write(self, path, wait):
        state, token = self.state, self._session
        index, line, cursor = state.undo_stack.index(), state.timeline.frozen(), state.cursor
        settings = self.preferences.session_settings()

        def done(path):
            self.preferences.remember_recent(path)
            self.ui.show_message(f"Saved {path}", 5000)
            if token != self._session:   # another session is shown now: this file is not its file
                return
            if state.undo_stack.index() == index:   # else it changed while being written: still modified
                state.undo_stack.setClean()
                self._discard_autosave()
            self.path = path
            self.update_title()

        def failed(path, reason):
            self.ui.show_message("")
            QMessageBox.critical(self.ui.parent, "Save Session",
                                 f"Could not save {path}:\n{reason}\n\nThe file on disk is unchanged.")
        self.ui.show_message(f"Saving {path}…")
        job = self.writes.start(path, lambda s: session.dump_chunks(s, line, cursor, settings),
                                       done, failed)
        if job.succeeded is None:
            self._saves = self.saving() + [job]
        if wait:
            self.writes.finish()
        return job.succeeded is not False

    def saving(self):
        """This window's saves of its session not yet complete (autosaves and exports aside)."""
        self._saves = [j for j in self._saves if j.succeeded is None]
        return list(self._saves)

    def wait_for_saves(self, what):
        """Before the session is dropped (``what``: "starting a new session"…):
        let its saves under way complete, their progress shown.  False if the
        learner cancelled the wait; the saves then go on in the background."""
        pending = self.saving()
        if not pending:
            return True
        names = ", ".join(dict.fromkeys(Path(j.path).name for j in pending))
        dialog = QProgressDialog(self.ui.parent)
        dialog.setWindowTitle("Saving")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)   # no other change while it waits
        dialog.setRange(0, 0)              # how many pieces a write has is known only at its end
        dialog.setMinimumDuration(300)     # a short wait shows nothing
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        try:
            while pending and not dialog.wasCanceled():
                written = sum(j.pieces for j in pending)
                dialog.setLabelText(f"Saving {names} before {what}…\n{written:,} pieces written")
                dialog.setValue(written)
                self.writes.step()
                QApplication.processEvents()
                pending = self.saving()
            return not pending
        finally:
            dialog.close()
            dialog.deleteLater()

    def _adopt_file(self, path):
        """The session now is the file at ``path`` (None: untitled), unmodified."""
        self.path = path
        self.state.undo_stack.setClean()
        self._discard_autosave()
        self.update_title()

    def folder(self):
        """Where a file dialog starts: the session's file's folder, or home."""
        return str(Path(self.path).parent) if self.path else str(Path.home())

    # --- autosave and recovery --------------------------------------------
    def autosave_path(self):
        """This window's own autosave: each running window has one, so none
        overwrites or deletes another's."""
        return data_folder() / f"{AUTOSAVE_PREFIX}{self._id}{SUFFIX}"

    def _hold_autosave(self):
        """Lock this window's autosave before it first exists, so that no
        other window offers it while this one lives."""
        if self._hold.lock is None:
            lock = _lock_file(self.autosave_path())
            if lock.tryLock(0):
                self._hold.lock = lock

    def autosave(self):
        """Every few seconds while there are unsaved changes, a copy in the
        user's data folder, written in the background; an atomic write, so a
        crash never damages it.  Also while training runs: a crash then loses
        at most the last few seconds of the run, not all of it."""
        state, writes, token = self.state, self.writes, self._session
        key = (state.undo_stack.index(), len(state.timeline), state.timeline.generation, state.cursor)
        if not self.modified or key == self._autosaved_index or writes.busy() \
                or self.clock() < self._autosave_after:
            return False
        line, cursor = state.timeline.frozen(), state.cursor
        settings = dict(self.preferences.session_settings(), file=self.path or "")
        began = self.clock()

        def done(path):
            took = self.clock() - began
            if took > LONG_AUTOSAVE_S:
                self._autosave_after = self.clock() + LONG_CALL_WAITS * took
            if token == self._session:
                self._autosaved_index = key

        def failed(path, reason):
            self.ui.show_message(f"Autosave failed: {reason}", 5000)
        self._hold_autosave()
        job = writes.start(self.autosave_path(), lambda s: session.dump_chunks(s, line, cursor, settings),
                           done, failed)
        return job.succeeded is not False

    def _discard_autosave(self):
        self._autosaved_index = None
        self.writes.cancel(self.autosave_path())
        _remove(self.autosave_path())

    def _orphans(self):
        """The autosaves no running window holds (this one's own too, if it
        has one it never wrote), newest first.  Each is locked while offered;
        a damaged one is dropped, and the lock of a window that crashed
        before its first autosave is removed."""
        folder = data_folder()
        for lock_path in folder.glob(f"{AUTOSAVE_PREFIX}*.lock"):
            if not lock_path.with_suffix(SUFFIX).exists():
                lock = _lock_file(lock_path)
                if lock.tryLock(0):
                    lock.unlock()
        found = [(path, _lock_file(path)) for path in sorted(folder.glob(f"{AUTOSAVE_PREFIX}*{SUFFIX}"))]
        found.append((folder / LEGACY_AUTOSAVE, None))   # older versions had no locks: taken as orphaned
        orphans = []
        for path, lock in found:
            if not os.path.lexists(path) or (lock is not None and not lock.tryLock(0)):
                continue   # none, or a running window's own
            try:
                loaded = session.read(path)
            except (session.SessionError, OSError):
                _remove(path)
                if lock is not None:
                    lock.unlock()
                continue
            orphans.append(Orphan(path, lock, loaded.saved_at, len(loaded.timeline), loaded))
            if len(orphans) > 1:   # a few may be large: the chosen one is read again
                for orphan in orphans:
                    orphan.loaded = None
        orphans.sort(key=lambda o: o.saved_at, reverse=True)
        return orphans

    def _choose(self, orphans):
        """Ask which orphan to recover (None: none) and whether to keep the others."""
        if len(orphans) == 1:
            answer = QMessageBox.question(
                self.ui.parent, "Recover session?",
                f"Backprop Explorer did not close normally. A session was autosaved at {orphans[0].when()}, "
                f"with {orphans[0].states:,} states.\n\n"
                "Recover it?")
            return (orphans[0] if answer == QMessageBox.StandardButton.Yes else None), False
        items = [f"{number}. Autosaved at {orphan.when()}, with {orphan.states:,} states"
                 for number, orphan in enumerate(orphans, 1)]
        item, ok = QInputDialog.getItem(
            self.ui.parent, "Recover session?",
            f"Backprop Explorer did not close normally: {len(orphans)} sessions were autosaved and "
            "never saved. Choose the one to recover in this window:", items, 0, False)
        chosen = orphans[items.index(item)] if ok and item in items else None
        rest = len(orphans) - (chosen is not None)
        them = (f"the {'other ' if chosen else ''}{rest} autosaved sessions" if rest > 1
                else "the other autosaved session")
        answer = QMessageBox.question(
            self.ui.parent, "Other autosaved sessions",
            f"Keep {them}, to be offered again the next time Backprop Explorer starts?\n\n"
            f"No deletes {'them' if rest > 1 else 'it'}.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        return chosen, answer == QMessageBox.StandardButton.Yes

    def offer_recovery(self):
        """After a crash: offer every autosave no running window holds, each
        with its time and number of states; the chosen one is recovered into
        this window, the others kept or deleted as the learner says.  A
        damaged autosave is dropped without asking, and the pieces of writes a
        crash cut short are removed."""
        # Only the parts of processes that ended: another running window may be writing its own.
        atomic.clean_stale_parts(data_folder())
        orphans = self._orphans()
        if not orphans:
            return False
        try:
            chosen, keep = self._choose(orphans)
            for orphan in orphans:
                if orphan is chosen:
                    continue
                if not keep:
                    _remove(orphan.path)
                if orphan.path == self.autosave_path():   # kept: this window writes elsewhere from now on
                    self._id = uuid.uuid4().hex[:12]
            return chosen is not None and self._recover(chosen)
        finally:
            for orphan in orphans:
                if orphan.lock is not None and orphan.lock is not self._hold.lock:
                    orphan.lock.unlock()

    def _recover(self, orphan):
        recovered = orphan.loaded
        if recovered is None:
            try:
                recovered = session.read(orphan.path)
            except (session.SessionError, OSError) as error:
                QMessageBox.critical(self.ui.parent, "Recover session",
                                     f"Could not recover {orphan.path}:\n{reason(error)}")
                return False
        # The recovered autosave becomes this window's own, kept until the session is saved somewhere.
        if orphan.path != self.autosave_path():
            self._discard_autosave()
            if orphan.lock is not None:
                self._hold.release()
                self._id = orphan.path.name[len(AUTOSAVE_PREFIX):-len(SUFFIX)]
            else:
                self._hold_autosave()
                try:
                    os.replace(orphan.path, self.autosave_path())
                except OSError:
                    pass
        if orphan.lock is not None:
            self._hold.lock = orphan.lock
        self._autosaved_index = None
        self._session += 1
        self.state.replace(recovered.timeline, recovered.cursor)
        self.preferences.take_session_settings(recovered.settings)
        original = recovered.settings.get("file")
        self.path = original if looks_like_a_path(original) and os.path.isfile(original) else None
        self.state.mark_modified()
        self.update_title()
        return True

    def close_cleanly(self):
        """The learner closed the window on purpose: no recovery next time."""
        self.autosave_timer.stop()
        self._discard_autosave()
        self._hold.release()
