"""Files, autosave, crash recovery and preferences: the window's memory.

The session's content (the timeline, the shown step, a few settings) goes
through engine.session, which refuses damaged files and writes atomically.
"""

import math
import os
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import (QByteArray, QCoreApplication, QLockFile, QObject, QSettings, QStandardPaths, Qt,
                            QTimer)
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox, QProgressDialog

from engine import atomic, session

from .settings_checks import (geometry_ok, keep_settings_elsewhere, looks_like_a_path, settings_problem,
                              window_state_ok)
from .writes import reason

AUTOSAVE_MS = 5000
FILTER = "Backprop Explorer sessions (*.bpe);;All files (*)"
SUFFIX = ".bpe"
MAX_RECENT = 8
AUTOSAVE_PREFIX = "autosave-"          # autosave-<window id>.bpe, locked by autosave-<window id>.lock
LEGACY_AUTOSAVE = f"autosave{SUFFIX}"   # the one autosave of every window before each had its own


def data_folder():
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_NUMBER_TEXT = {float: re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", re.ASCII),
                int: re.compile(r"[+-]?\d{1,18}", re.ASCII)}


def read_setting(settings, key, default, kind):
    """A preference, or ``default`` when it is missing or damaged (INI files
    give back strings; a hand-edited file may hold anything)."""
    value = settings.value(key, default)
    if isinstance(value, str) and kind is not str:
        # Converted here, not by QSettings: it turns any unreadable text into False or 0.0.
        text = value.strip().lower()
        if kind is bool:
            value = {"true": True, "1": True, "false": False, "0": False}.get(text, default)
        else:
            # Plain decimal notation only: Python would also read 1_000, "inf" or other scripts' digits.
            if kind in _NUMBER_TEXT and not _NUMBER_TEXT[kind].fullmatch(text):
                return default
            try:
                value = kind(text)
            except (TypeError, ValueError, OverflowError):
                return default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        return default
    if isinstance(value, float) and not math.isfinite(value):
        return default
    return value


APPLICATION = "Backprop Explorer"


def name_application(always=False):
    """QSettings and the data folder are named after the application: set the
    names before either is first used, also when a script builds the window.
    Qt's default name is the program's file (``main.py``, ``python3``): replace
    that, but not a name a host program chose, unless ``always``."""
    default = {"", os.path.basename(sys.argv[0]) if sys.argv else "", "python", "python3"}
    if always or not QCoreApplication.organizationName():
        QCoreApplication.setOrganizationName(APPLICATION)
    if always or QCoreApplication.applicationName() in default:
        QCoreApplication.setApplicationName(APPLICATION)


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


class SessionController(QObject):
    def __init__(self, window):
        super().__init__(window)
        name_application()
        self.window = window
        self.state = window.state
        self.path = None
        self._autosaved_index = None
        # Which session the window shows: a save's completion touches only the one it was started for.
        self._session = 0
        self._saves = []   # this window's saves not yet complete
        self._id = uuid.uuid4().hex[:12]
        # Taken at the first autosave: before it, the window has nothing another could mistake for an orphan.
        self._hold = _Hold()
        self.destroyed.connect(self._hold.release)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start(AUTOSAVE_MS)
        self._clean = True
        self.state.undo_stack.cleanChanged.connect(self._on_clean_changed)

    # --- title ----------------------------------------------------------
    def _on_clean_changed(self, clean):
        # Kept from the signal: while the window is torn down the stack may be gone already.
        self._clean = clean
        if shiboken6.isValid(self.window):
            self.update_title()
            if clean and self.state.undo_stack.count():
                # Undone back to the file: an autosave would offer the changes again.
                # (Not on clear(): a recovered session keeps its autosave until saved.)
                self._discard_autosave()

    @property
    def modified(self):
        return not self._clean

    def update_title(self):
        window = self.window
        if self.path is None and not self.modified:
            window.setWindowModified(False)   # back to clean by undo: no mark is left behind
            window.setWindowTitle("Backprop Explorer")
            return
        name = Path(self.path).name if self.path else "Untitled"
        window.setWindowTitle(f"{name}[*] — Backprop Explorer")
        window.setWindowModified(self.modified)

    # --- the settings a session carries ---------------------------------
    def _session_settings(self):
        return {"speed": int(self.window.speed.currentData()), "log_scale": self.window.loss_plot.log}

    def _apply_session_settings(self, values):
        speed = values.get("speed")
        # A whole number only: findData would match true to 1 and the text "1000" to 1000.
        index = self.window.speed.findData(speed) if type(speed) is int else -1
        if index >= 0:
            self.window.speed.setCurrentIndex(index)
        if isinstance(values.get("log_scale"), bool):
            self.window.actionLogScale.setChecked(values["log_scale"])

    # --- file actions ---------------------------------------------------
    def maybe_save(self):
        """True when it is fine to drop the session: saved, or the learner said so."""
        if not self.modified:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.window, "Unsaved changes", "This session has changes that are not saved. Save them?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save(wait=True)
        return answer == buttons.Discard

    def new(self):
        self.window.runner.stop()
        if not self.wait_for_saves("starting a new session") or not self.maybe_save():
            return False
        self._session += 1
        self.state.replace(None, 0)
        self._forget_file(None)
        return True

    def open(self, path=None):
        self.window.runner.stop()
        if path is None:   # which file first: cancelling that leaves the session alone, unasked
            path, _ = QFileDialog.getOpenFileName(self.window, "Open Session", self._folder(), FILTER)
            if not path:
                return False
        if not self.wait_for_saves(f"opening {Path(path).name}") or not self.maybe_save():
            return False
        # A million states take a second or two to check: say so (a worker would be better).
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            loaded = session.read(path)
        except (session.SessionError, OSError) as error:
            QApplication.restoreOverrideCursor()
            QMessageBox.critical(self.window, "Open Session",
                                 f"Could not open {path}:\n{reason(error)}\n\nThe open session is unchanged.")
            return False
        except BaseException:
            QApplication.restoreOverrideCursor()
            raise
        QApplication.restoreOverrideCursor()
        self._session += 1
        self.state.replace(loaded.timeline, loaded.cursor)
        self._apply_session_settings(loaded.settings)
        self._forget_file(path)
        self._remember_recent(path)
        return True

    def save(self, wait=False):
        """Save to the session's file (asking for one if it has none).  The
        file is written in the background unless ``wait``; False if the
        learner cancelled or the file could not be written."""
        if self.path is None:
            return self.save_as(wait)
        return self._write(self.path, wait)

    def save_as(self, wait=False):
        suggested = self.path or str(Path(self._folder()) / f"session{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save Session As", suggested, FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += SUFFIX
        return self._write(path, wait)

    def _write(self, path, wait):
        state, token = self.state, self._session
        index, line, cursor = state.undo_stack.index(), state.timeline.frozen(), state.cursor
        settings = self._session_settings()

        def done(path):
            self._remember_recent(path)
            self.window.statusBar().showMessage(f"Saved {path}", 5000)
            if token != self._session:   # another session is shown now: this file is not its file
                return
            if state.undo_stack.index() == index:   # else it changed while being written: still modified
                state.undo_stack.setClean()
                self._discard_autosave()
            self.path = path
            self.update_title()

        def failed(path, reason):
            self.window.statusBar().clearMessage()
            QMessageBox.critical(self.window, "Save Session",
                                 f"Could not save {path}:\n{reason}\n\nThe file on disk is unchanged.")
        self.window.statusBar().showMessage(f"Saving {path}…")
        job = self.window.writes.start(path, lambda s: session.dump_chunks(s, line, cursor, settings),
                                       done, failed)
        self._saves = [j for j in self._saves if j.succeeded is None]
        if job.succeeded is None:
            self._saves.append(job)
        if wait:
            self.window.writes.finish()
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
        dialog = QProgressDialog(self.window)
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
                self.window.writes.step()
                QApplication.processEvents()
                pending = self.saving()
            return not pending
        finally:
            dialog.close()
            dialog.deleteLater()

    def _forget_file(self, path):
        """The session now is the file at ``path`` (None: untitled), unmodified."""
        self.path = path
        self.state.undo_stack.setClean()
        self._discard_autosave()
        self.update_title()

    def _folder(self):
        return str(Path(self.path).parent) if self.path else str(Path.home())

    # --- recent files ---------------------------------------------------
    def recent_files(self):
        """The recent sessions: a list of absolute paths, at most MAX_RECENT.
        A hand-edited or damaged entry (a number, a relative name, control
        characters) is left out; anything but a list of texts gives none."""
        value = QSettings().value("recentFiles", [])
        if isinstance(value, str):
            value = [value]   # an INI file gives a list of one back as its one text
        if not isinstance(value, list):
            return []
        return list(dict.fromkeys(p for p in value if looks_like_a_path(p)))[:MAX_RECENT]

    def _remember_recent(self, path):
        path = os.path.abspath(path)
        recent = [path] + [p for p in self.recent_files() if p != path]
        QSettings().setValue("recentFiles", recent[:MAX_RECENT])
        self.window.update_recent_menu()

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
        state, writes, token = self.state, self.window.writes, self._session
        key = (state.undo_stack.index(), len(state.timeline), state.timeline.generation, state.cursor)
        if not self.modified or key == self._autosaved_index or writes.busy():
            return False
        line, cursor = state.timeline.frozen(), state.cursor
        settings = dict(self._session_settings(), file=self.path or "")

        def done(path):
            if token == self._session:
                self._autosaved_index = key

        def failed(path, reason):
            self.window.statusBar().showMessage(f"Autosave failed: {reason}", 5000)
        self._hold_autosave()
        job = writes.start(self.autosave_path(), lambda s: session.dump_chunks(s, line, cursor, settings),
                           done, failed)
        return job.succeeded is not False

    def _discard_autosave(self):
        self._autosaved_index = None
        self.window.writes.cancel(self.autosave_path())
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
                self.window, "Recover session?",
                f"Backprop Explorer did not close normally. A session was autosaved at {orphans[0].when()}, "
                f"with {orphans[0].states:,} states.\n\n"
                "Recover it?")
            return (orphans[0] if answer == QMessageBox.StandardButton.Yes else None), False
        items = [f"{number}. Autosaved at {orphan.when()}, with {orphan.states:,} states"
                 for number, orphan in enumerate(orphans, 1)]
        item, ok = QInputDialog.getItem(
            self.window, "Recover session?",
            f"Backprop Explorer did not close normally: {len(orphans)} sessions were autosaved and "
            "never saved. Choose the one to recover in this window:", items, 0, False)
        chosen = orphans[items.index(item)] if ok and item in items else None
        rest = len(orphans) - (chosen is not None)
        them = (f"the {'other ' if chosen else ''}{rest} autosaved sessions" if rest > 1
                else "the other autosaved session")
        answer = QMessageBox.question(
            self.window, "Other autosaved sessions",
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
                QMessageBox.critical(self.window, "Recover session",
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
        self._apply_session_settings(recovered.settings)
        original = recovered.settings.get("file")
        self.path = original if looks_like_a_path(original) and os.path.isfile(original) else None
        self.state.mark_modified()
        self.update_title()
        return True

    # --- window geometry and preferences ----------------------------------
    def restore_window(self):
        """Geometry, layout and preferences from the settings; each one that is
        missing or damaged falls back to its default.  A settings file that must
        not be read (huge, a folder, a pipe) is left as it is, said so, and this
        run keeps its settings elsewhere."""
        problem = settings_problem()
        if problem:
            keep_settings_elsewhere()
            QMessageBox.warning(
                self.window, "Settings not read",
                f"The settings file {problem[0]} was not read: {problem[1]}.\n\n"
                "Backprop Explorer starts with its default settings and leaves that file as it is; "
                "preferences changed now are not kept.")
        settings = QSettings()
        geometry = settings.value("geometry")
        if isinstance(geometry, QByteArray) and geometry_ok(geometry.data()):
            self.window.restoreGeometry(geometry)
        layout = settings.value("windowState")
        if isinstance(layout, QByteArray) and window_state_ok(layout.data()):
            self.window.restoreState(layout)
        self.window.actionConfirmBranch.setChecked(read_setting(settings, "confirmBranch", True, bool))
        self.window.parameters.set_advanced_shown(read_setting(settings, "advancedShown", False, bool))
        tolerance, box = read_setting(settings, "tolerance", 1.0, float), self.window.walk.tolerance
        box.setValue(tolerance if box.minimum() <= tolerance <= box.maximum() else 1.0)

    def store_window(self):
        settings = QSettings()
        settings.setValue("geometry", self.window.saveGeometry())
        settings.setValue("windowState", self.window.saveState())
        settings.setValue("confirmBranch", self.window.actionConfirmBranch.isChecked())
        settings.setValue("advancedShown", self.window.parameters.advanced_shown())
        settings.setValue("tolerance", self.window.walk.tolerance.value())

    def close_cleanly(self):
        """The learner closed the window on purpose: no recovery next time."""
        self.autosave_timer.stop()
        self._discard_autosave()
        self._hold.release()
