"""Sessions: File → New, Open, Save, Save As; the title's mark; closing with
unsaved changes; autosave and crash recovery; refused files; preferences."""

import errno
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QLockFile, QSettings, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from engine import csvio, session
from engine.timeline import Timeline
from gui import MainWindow
from gui.preferences import MAX_RECENT
from gui.session_controller import AUTOSAVE_MS, name_application
from helpers import (answer_open, answer_save, criticals, new_window, reference_trainer, session_text,
                     snapshot)
from tests.session_format1 import format1_document, rows_of, set_rows

ROOT = Path(__file__).resolve().parents[2]
Buttons = QMessageBox.StandardButton


# --- helpers ------------------------------------------------------------

def answer_questions(monkeypatch, reply):
    """QMessageBox.question gives ``reply``; returns the (parent, title, text, buttons…) asked."""
    asked = []

    def question(*args, **kwargs):
        asked.append(args)
        return reply
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def save_as(window, monkeypatch, path):
    answer_save(monkeypatch, path)
    window.actionSaveAs.trigger()


def open_session(window, monkeypatch, path):
    answer_open(monkeypatch, path)
    window.actionOpen.trigger()


def build_history(window):
    """Three segments: train, go back, edit (a branch), train, go back, edit
    two inputs (a second branch), train; then look at a middle state."""
    state = window.state
    state.train(10)
    state.move_to(4)
    window.set_value("W2", 0.75)        # the fixture answers Yes to "start a new branch?"
    state.train(7)
    state.move_to(8)
    window.set_value("alpha", 0.05)
    window.set_value("x", -1.5)
    state.train(5)
    state.move_to(6)
    assert [s.length for s in state.timeline.segments] == [4, 4, 6]


def same_segments(a, b):
    assert len(a.segments) == len(b.segments)
    for mine, theirs in zip(a.segments, b.segments):
        assert mine.length == theirs.length
        assert mine.trainer.x.tolist() == theirs.trainer.x.tolist()
        assert mine.trainer.y.tolist() == theirs.trainer.y.tolist()
        assert mine.trainer.alpha == theirs.trainer.alpha


# --- actions and the title --------------------------------------------------

def test_file_actions_have_standard_shortcuts_and_sit_in_the_file_menu(window):
    file_menu = window.menuBar().actions()[0].menu()
    for action, key in ((window.actionNew, QKeySequence.StandardKey.New),
                        (window.actionOpen, QKeySequence.StandardKey.Open),
                        (window.actionSave, QKeySequence.StandardKey.Save),
                        (window.actionSaveAs, QKeySequence.StandardKey.SaveAs)):
        assert action.shortcut() == QKeySequence(key) == QKeySequence.keyBindings(key)[0], action.objectName()
        assert action in file_menu.actions()
        assert action.toolTip()


def test_title_untitled_modified_saved(window, monkeypatch, tmp_path):
    assert window.windowTitle() == "Backprop Explorer"
    assert not window.isWindowModified()
    window.step()
    assert "[*]" in window.windowTitle()
    assert window.isWindowModified()
    window.undo()                                   # back to the clean state: no mark
    assert window.windowTitle() == "Backprop Explorer"
    assert not window.isWindowModified()
    window.step()
    save_as(window, monkeypatch, tmp_path / "lesson.bpe")
    assert "lesson.bpe" in window.windowTitle() and "[*]" in window.windowTitle()
    assert not window.isWindowModified()
    window.step()
    assert window.isWindowModified() and "lesson.bpe" in window.windowTitle()
    # Save of a named session asks no path.
    calls = answer_save(monkeypatch, tmp_path / "elsewhere.bpe")
    window.actionSave.trigger()
    assert calls == []
    assert not window.isWindowModified()
    assert len(session.read(tmp_path / "lesson.bpe").timeline) == 3
    assert not (tmp_path / "elsewhere.bpe").exists()


def test_save_as_adds_the_suffix_and_new_starts_untitled(window, monkeypatch, tmp_path):
    window.state.train(3)
    save_as(window, monkeypatch, tmp_path / "plain")
    assert window.sessions.path == str(tmp_path / "plain.bpe")
    assert (tmp_path / "plain.bpe").is_file()
    window.actionNew.trigger()
    assert window.sessions.path is None
    assert len(window.state.timeline) == 1 and window.state.cursor == 0
    assert window.windowTitle() == "Backprop Explorer" and not window.isWindowModified()


def test_cancelled_dialogs_change_nothing(window, monkeypatch, tmp_path, no_modal_dialogs):
    window.state.train(2)
    before = snapshot(window)
    answer_save(monkeypatch, None)
    window.actionSaveAs.trigger()
    window.actionSave.trigger()
    answer_open(monkeypatch, None)
    answer_questions(monkeypatch, Buttons.Discard)
    window.actionOpen.trigger()
    assert snapshot(window) == before
    assert criticals(no_modal_dialogs) == []
    assert list(tmp_path.glob("*.bpe")) == []


# --- round trips ------------------------------------------------------------

def test_save_then_open_round_trips_the_whole_history(window, qtbot, monkeypatch, tmp_path):
    build_history(window)
    window.speed.setCurrentIndex(window.speed.findData(1000))
    window.actionLogScale.setChecked(True)
    path = tmp_path / "three segments.bpe"
    save_as(window, monkeypatch, path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "backprop-explorer-session" and document["version"] == 2
    assert document["cursor"] == 6
    assert document["settings"] == {"speed": 1000, "log_scale": True}
    assert [(s["x"], s["y"], s["alpha"], s["length"]) for s in document["segments"]] == [
        ([2.0], [4.0], 0.01, 4), ([2.0], [4.0], 0.01, 4), ([-1.5], [4.0], 0.05, 6)]

    other = new_window(qtbot)
    assert other.speed.currentData() == 100 and not other.actionLogScale.isChecked()
    open_session(other, monkeypatch, path)
    mine, theirs = window.state, other.state
    assert theirs.timeline.rows().tobytes() == mine.timeline.rows().tobytes()
    same_segments(theirs.timeline, mine.timeline)
    assert theirs.cursor == 6
    assert other.speed.currentData() == 1000 and other.actionLogScale.isChecked()
    assert other.loss_plot.log
    assert other.sessions.path == str(path)
    assert "three segments.bpe" in other.windowTitle() and not other.isWindowModified()
    assert theirs.undo_stack.count() == 0
    # The newest segment trains on exactly as it would have.
    mine.train(5)
    theirs.train(5)
    assert theirs.timeline.rows().tobytes() == mine.timeline.rows().tobytes()


def test_open_in_the_same_window_after_new(window, monkeypatch, tmp_path):
    window.state.train(12)
    window.state.move_to(7)
    expected = window.state.timeline.rows().tobytes()
    path = tmp_path / "a.bpe"
    save_as(window, monkeypatch, path)
    window.actionNew.trigger()
    assert len(window.state.timeline) == 1
    open_session(window, monkeypatch, path)
    assert window.state.timeline.rows().tobytes() == expected
    assert window.state.cursor == 7
    assert window.state.timeline.rows().tobytes() == reference_trainer(12).history.rows().tobytes()


def test_saving_an_opened_session_again_writes_the_same_content(window, qtbot, monkeypatch, tmp_path):
    build_history(window)
    first, second = tmp_path / "first.bpe", tmp_path / "second.bpe"
    save_as(window, monkeypatch, first)
    other = new_window(qtbot)
    open_session(other, monkeypatch, first)
    save_as(other, monkeypatch, second)
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (first, second))
    a.pop("saved_at"), b.pop("saved_at")
    assert a == b


# --- refused files ------------------------------------------------------------

def changed(*at, format1=False, **fields):
    """A maker of a valid session file with ``fields`` set in its part ``at``
    ("segments", 0: the first segment); ``format1``: in a file of format 1."""
    def make():
        document = (format1_document(Timeline(reference_trainer(3)), 1, {"speed": 100, "log_scale": False})
                    if format1 else json.loads(session_text()))
        part = document
        for key in at:
            part = part[key]
        part.update(fields)
        return json.dumps(document)
    return make


def changed_rows(state, column, value):
    """A file of format 1 (every state in it, as the app no longer writes) with one value changed."""
    def make():
        document = format1_document(Timeline(reference_trainer(3)), 1, {"speed": 100, "log_scale": False})
        rows = rows_of(document["segments"][0])
        rows[state, column] = value
        set_rows(document["segments"][0], rows)
        return json.dumps(document)
    return make


def without(key):
    def make():
        document = json.loads(session_text())
        del document[key]
        return json.dumps(document)
    return make


BAD_FILES = {
    "not JSON": (lambda: "Shopping list:\n- eggs\n- flour\n", "not valid JSON"),
    "empty": (lambda: "", "not valid JSON"),
    "binary garbage": (lambda: bytes(range(256)) * 8, "not UTF-8"),
    "truncated": (lambda: session_text()[:len(session_text()) // 2], "cut short"),
    "a JSON list": (lambda: "[1, 2, 3]", "not a Backprop Explorer session"),
    "wrong format": (changed(format="some-other-program"), "not a Backprop Explorer session"),
    "future version": (changed(version=4), "newer version"),
    "NaN literal": (lambda: session_text().replace('"alpha": 0.01', '"alpha": NaN'), "NaN"),
    "NaN in the states": (changed_rows(2, 0, float("nan")), "non-finite"),
    "infinite number": (lambda: session_text().replace('"alpha": 0.01', '"alpha": 1e999'), "too large"),
    "text as alpha": (changed("segments", 0, alpha="0.01"), "must be a number"),
    "text as a sample": (changed("segments", 0, x=["2"]), "must be a number"),
    "text as the cursor": (changed(cursor="1"), "must be a whole number"),
    "absurd alpha": (changed("segments", 0, alpha=1e300), "outside the accepted range"),
    "absurd starting weight": (changed("segments", 0, "start", W1=1e305), "outside the accepted range"),
    "absurd starting weight, format 1": (changed_rows(0, 0, 1e305), "outside the accepted range"),
    "a changed state, format 1": (changed_rows(2, 0, 0.5), "differs from what training gives"),
    "cursor past the end": (changed(cursor=1000), "steps 0 to 3"),
    "enormous whole number": (changed(cursor=10 ** 40), "far too large"),
    "no segments": (without("segments"), "no \"segments\""),
    "length disagrees with the states": (changed("segments", 0, length=7, format1=True), "the file is damaged"),
    "length past a divergence": (changed("segments", 0, alpha=50.0, length=5000), "training stops at state"),
    "far too many states": (changed("segments", 0, length=10 ** 12), "may hold at most 100,000,000"),
}


@pytest.mark.parametrize("case", list(BAD_FILES) + ["a folder", "a missing file"])
def test_a_bad_file_is_refused_and_nothing_changes(window, monkeypatch, tmp_path, no_modal_dialogs, case):
    good = tmp_path / "good.bpe"
    window.state.train(3)
    save_as(window, monkeypatch, good)
    build_history(window)                    # unsaved changes on top of a saved file
    before = snapshot(window)
    assert before["modified"] and before["undo"]

    bad = tmp_path / "bad.bpe"
    if case == "a folder":
        bad.mkdir()
        expected = "folder"
    elif case == "a missing file":
        expected = "No such file"
    else:
        make, expected = BAD_FILES[case]
        content = make()
        (bad.write_bytes if isinstance(content, bytes) else bad.write_text)(content)
    open_session(window, monkeypatch, bad)

    refused = criticals(no_modal_dialogs)
    assert len(refused) == 1
    message = refused[0][2]
    assert expected.lower() in message.lower(), message
    assert str(bad) in message and "unchanged" in message
    assert snapshot(window) == before
    window.undo()                            # the undo history still works as before
    assert window.state.cursor == 8 and len(window.state.timeline) == 9


# --- writes are atomic ----------------------------------------------------------

class Crash(BaseException):
    """Something that stops the program in the middle of a write."""


def half_written_dump(exception):
    """A session writer that writes half the file, then fails."""
    real = session.dump_chunks

    def dump_chunks(stream, *args, **kwargs):
        whole = io.StringIO()
        csvio.finish(real(whole, *args, **kwargs))
        stream.write(whole.getvalue()[:len(whole.getvalue()) // 2])
        stream.flush()
        yield
        raise exception
    return dump_chunks


def test_a_failed_save_leaves_the_previous_file(window, monkeypatch, tmp_path, no_modal_dialogs):
    path = tmp_path / "work.bpe"
    window.state.train(5)
    save_as(window, monkeypatch, path)
    before = path.read_bytes()
    window.state.train(20)
    monkeypatch.setattr(session, "dump_chunks", half_written_dump(OSError(errno.ENOSPC, "No space left on device")))
    window.actionSave.trigger()
    assert path.read_bytes() == before
    assert session.read(path).timeline.rows().tobytes() == reference_trainer(5).history.rows().tobytes()
    message = criticals(no_modal_dialogs)[-1][2]
    assert "No space left on device" in message and "unchanged" in message
    assert window.isWindowModified()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config", "data", "work.bpe"]


def test_a_crash_mid_write_leaves_the_previous_file(window, monkeypatch, tmp_path):
    path = tmp_path / "work.bpe"
    window.state.train(5)
    save_as(window, monkeypatch, path)
    before = path.read_bytes()
    window.state.train(20)
    monkeypatch.setattr(session, "dump_chunks", half_written_dump(Crash()))
    with pytest.raises(Crash):
        window.sessions.save()
    assert path.read_bytes() == before
    assert len(session.read(path).timeline) == 6


def test_a_killed_process_mid_write_leaves_the_previous_file(window, monkeypatch, tmp_path, no_modal_dialogs):
    path = tmp_path / "work.bpe"
    window.state.train(5)
    save_as(window, monkeypatch, path)
    before = path.read_bytes()
    script = textwrap.dedent("""
        import io, os, signal, sys
        from engine import DEFAULTS, PARAMS, Trainer, csvio, session
        from engine.timeline import Timeline
        trainer = Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"])
        trainer.run(500)
        real = session.dump_chunks
        def dump_chunks(stream, *args, **kwargs):
            whole = io.StringIO()
            csvio.finish(real(whole, *args, **kwargs))
            stream.write(whole.getvalue()[:len(whole.getvalue()) // 2])
            stream.flush()
            os.fsync(stream.fileno())
            print("WRITING", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
            yield
        session.dump_chunks = dump_chunks
        session.save(sys.argv[1], Timeline(trainer), 0, {})
    """)
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert "WRITING" in done.stdout
    assert path.read_bytes() == before
    window.actionNew.trigger()
    open_session(window, monkeypatch, path)
    assert criticals(no_modal_dialogs) == []
    assert window.state.timeline.rows().tobytes() == reference_trainer(5).history.rows().tobytes()


# --- closing with unsaved changes ---------------------------------------------------

def test_close_cancel_keeps_the_window(window, monkeypatch):
    window.state.train(3)
    asked = answer_questions(monkeypatch, Buttons.Cancel)
    assert window.close() is False
    assert window.isVisible()
    assert len(asked) == 1
    offered = asked[0][3]
    assert offered & Buttons.Save and offered & Buttons.Discard and offered & Buttons.Cancel
    assert len(window.state.timeline) == 4 and window.isWindowModified()
    window.state.undo_stack.setClean()       # let the teardown close it


def test_close_discard_closes_without_saving(window, monkeypatch, tmp_path):
    window.state.train(3)
    calls = answer_save(monkeypatch, tmp_path / "never.bpe")
    answer_questions(monkeypatch, Buttons.Discard)
    assert window.close() is True
    assert not window.isVisible()
    assert calls == [] and not (tmp_path / "never.bpe").exists()


def test_close_save_saves_through_the_dialog_then_closes(window, monkeypatch, tmp_path):
    window.state.train(3)
    path = tmp_path / "kept.bpe"
    calls = answer_save(monkeypatch, path)
    answer_questions(monkeypatch, Buttons.Save)
    assert window.close() is True
    assert not window.isVisible()
    assert len(calls) == 1
    assert session.read(path).timeline.rows().tobytes() == reference_trainer(3).history.rows().tobytes()


def test_close_save_then_cancelling_the_dialog_keeps_the_window(window, monkeypatch):
    window.state.train(3)
    answer_save(monkeypatch, None)
    answer_questions(monkeypatch, Buttons.Save)
    assert window.close() is False
    assert window.isVisible() and window.isWindowModified()
    window.state.undo_stack.setClean()


def test_close_without_changes_asks_nothing(window, monkeypatch):
    asked = answer_questions(monkeypatch, Buttons.Cancel)
    assert window.close() is True
    assert asked == []


# --- autosave and recovery ----------------------------------------------------------

def test_autosave_only_while_there_are_unsaved_changes(window, monkeypatch, tmp_path):
    autosave = window.sessions.autosave_path()
    assert Path(autosave).is_relative_to(tmp_path / "data")
    assert window.sessions.autosave() is False and not autosave.exists()
    window.state.train(4)
    window.state.move_to(2)
    assert window.sessions.autosave() is True
    saved = session.read(autosave)
    assert saved.timeline.rows().tobytes() == window.state.timeline.rows().tobytes()
    assert saved.cursor == 2
    stamp = autosave.stat().st_mtime_ns
    assert window.sessions.autosave() is False       # nothing new: not written again
    assert autosave.stat().st_mtime_ns == stamp
    save_as(window, monkeypatch, tmp_path / "done.bpe")
    assert not autosave.exists()                      # saved: nothing to recover


def test_undoing_back_to_the_saved_state_removes_the_autosave(window, monkeypatch, tmp_path):
    save_as(window, monkeypatch, tmp_path / "work.bpe")
    window.state.train(4)
    assert window.sessions.autosave() and window.sessions.autosave_path().exists()
    window.actionUndo.trigger()
    assert not window.isWindowModified()
    assert not window.sessions.autosave_path().exists()


def test_open_asks_which_file_before_asking_to_save(window, monkeypatch):
    window.state.train(3)
    asked = answer_questions(monkeypatch, Buttons.Cancel)
    answer_open(monkeypatch, None)
    assert window.sessions.open() is False
    assert asked == []                # cancelled in the file dialog: nothing else was asked
    assert len(window.state.timeline) == 4 and window.isWindowModified()


def test_autosave_is_driven_by_a_timer(window, qtbot):
    timer = window.sessions.autosave_timer
    assert timer.isActive() and timer.interval() == AUTOSAVE_MS
    assert 1000 <= AUTOSAVE_MS <= 60000               # every few seconds
    autosave = window.sessions.autosave_path()
    timer.start(20)
    window.state.train(6)
    qtbot.waitUntil(autosave.exists, timeout=20_000)   # a loaded machine may be slow to fire it
    assert len(session.read(autosave).timeline) == 7


def test_a_failed_autosave_keeps_the_previous_one(window, monkeypatch):
    autosave = window.sessions.autosave_path()
    window.state.train(2)
    assert window.sessions.autosave()
    before = autosave.read_bytes()
    window.state.train(3)
    monkeypatch.setattr(session, "dump_chunks", half_written_dump(OSError(errno.ENOSPC, "No space left on device")))
    assert window.sessions.autosave() is False
    assert autosave.read_bytes() == before
    assert "Autosave failed" in window.statusBar().currentMessage()
    # The autosave and the lock that marks it this window's: no piece of the failed write.
    assert sorted(p.name for p in autosave.parent.iterdir()) == sorted([autosave.name, autosave.stem + ".lock"])


def test_a_clean_close_leaves_nothing_to_recover(window, monkeypatch):
    window.state.train(2)
    window.sessions.autosave()
    assert window.sessions.autosave_path().exists()
    answer_questions(monkeypatch, Buttons.Discard)
    assert window.close()
    assert not window.sessions.autosave_path().exists()


RECOVERY_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    app.setOrganizationName(sys.argv[1])
    app.setApplicationName(sys.argv[2])
    from gui import MainWindow
    window = MainWindow()
    window.show()
    window.speed.setCurrentIndex(window.speed.findData(10))
    window.state.train(int(sys.argv[3]))
    window.state.move_to(int(sys.argv[4]))
    assert window.sessions.autosave()
    print(window.sessions.autosave_path(), flush=True)
    print("READY", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_recovery_after_a_killed_process(qtbot, tmp_path, no_modal_dialogs):
    name_application()        # the names the window gives its data folder, as the subprocess must
    organization, application = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
                       XDG_CONFIG_HOME=str(tmp_path / "config"))
    started = datetime.now(timezone.utc).replace(microsecond=0)
    done = subprocess.run([sys.executable, "-c", RECOVERY_SCRIPT, organization, application, "37", "20"],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    finished = datetime.now(timezone.utc)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert done.stdout.split()[-1] == "READY", done.stdout + done.stderr

    window = new_window(qtbot)
    autosave = Path(done.stdout.splitlines()[0])
    # The killed window's own autosave, in this window's data folder, and not this window's.
    assert autosave.parent == window.sessions.autosave_path().parent
    assert autosave != window.sessions.autosave_path()
    saved_at = session.read(autosave).saved_at
    assert started <= saved_at <= finished
    assert window.sessions.offer_recovery() is True

    kind, args = no_modal_dialogs[-1]
    assert kind == "question"
    text = args[2]
    local = saved_at.astimezone()
    assert local.strftime("%H:%M:%S") in text and str(local.year) in text
    assert "38 states" in text        # the first state and 37 updates
    assert window.state.timeline.rows().tobytes() == reference_trainer(37).history.rows().tobytes()
    assert window.state.cursor == 20
    assert window.speed.currentData() == 10
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    assert window.sessions.path is None
    # Kept until the recovered session is saved somewhere: this window's own from now on.
    assert autosave.exists() and window.sessions.autosave_path() == autosave
    probe = QLockFile(str(autosave.with_suffix(".lock")))
    probe.setStaleLockTime(0)
    assert not probe.tryLock(0)       # held by this window: no other offers it
    window.state.undo_stack.setClean()


def test_declining_recovery_removes_the_autosave(window, qtbot, monkeypatch):
    crashed = MainWindow()            # not registered with qtbot: destroyed below, never closed
    crashed.state.train(4)
    assert crashed.sessions.autosave()
    autosave = crashed.sessions.autosave_path()
    shiboken6.delete(crashed)
    asked = answer_questions(monkeypatch, Buttons.No)
    assert window.sessions.offer_recovery() is False
    assert len(asked) == 1 and "autosaved at" in asked[0][2]
    assert not autosave.exists()
    assert len(window.state.timeline) == 1
    assert window.windowTitle() == "Backprop Explorer" and not window.isWindowModified()
    assert window.sessions.offer_recovery() is False    # nothing left to offer
    assert len(asked) == 1


def test_a_damaged_autosave_is_dropped_without_asking(window, monkeypatch):
    autosave = window.sessions.autosave_path()
    autosave.write_bytes(b"\x00\xff half a session")
    asked = answer_questions(monkeypatch, Buttons.Yes)
    assert window.sessions.offer_recovery() is False
    assert asked == [] and not autosave.exists()
    assert len(window.state.timeline) == 1


# --- preferences ----------------------------------------------------------------------

def test_geometry_state_and_preferences_persist(window, qtbot):
    window.resize(640, 480)
    window.undo_dock.show()
    window.actionConfirmBranch.setChecked(False)
    window.walk.tolerance.setValue(2.5)
    geometry = window.geometry()
    assert window.close()
    later = new_window(qtbot)
    assert later.geometry().size() == geometry.size()
    assert later.undo_dock.isVisible()
    assert not later.actionConfirmBranch.isChecked()
    assert later.walk.tolerance.value() == 2.5


def test_recent_files_are_remembered(window, qtbot, monkeypatch, tmp_path):
    paths = [tmp_path / f"s{i}.bpe" for i in range(10)]
    for path in paths:
        window.state.train(1)
        save_as(window, monkeypatch, path)
    later = new_window(qtbot)
    entries = [a.text() for a in later.recent_menu.actions()]
    assert entries == [str(p) for p in reversed(paths)][:MAX_RECENT]
    later.recent_menu.actions()[2].trigger()
    assert later.sessions.path == str(paths[7])
    assert len(later.state.timeline) == 9


@pytest.mark.parametrize("garbage", [
    bytes(range(256)) * 4,
    b"\x00\x00\x00\x00",
    b"[General]\nconfirmBranch=banana\ntolerance=nan\ngeometry=@ByteArray(nonsense)\n"
    b"windowState=not a state\nrecentFiles=@Variant(\\0\\0)\n",
], ids=["binary", "zeros", "wrong types"])   # one value at a time: test_gui_preferences.py
def test_a_damaged_settings_file_falls_back_to_defaults(qtbot, garbage):
    name_application()
    path = Path(QSettings().fileName())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(garbage)
    window = new_window(qtbot)
    assert window.actionConfirmBranch.isChecked() is True
    assert window.walk.tolerance.value() == 1.0
    assert window.windowTitle() == "Backprop Explorer"
    assert window.close()                            # and it can store its settings again
    later = new_window(qtbot)
    assert later.walk.tolerance.value() == 1.0


def test_settings_and_autosaves_live_under_the_applications_name(qapp, monkeypatch):
    from PySide6.QtCore import QCoreApplication

    from gui.preferences import APPLICATION, name_application
    monkeypatch.setattr(QCoreApplication, "applicationName", staticmethod(lambda: "main.py"))
    named = []
    monkeypatch.setattr(QCoreApplication, "setApplicationName", staticmethod(named.append))
    monkeypatch.setattr("sys.argv", ["main.py"])
    name_application()
    assert named == [APPLICATION]      # Qt's default, the program's file name, is replaced


def test_a_file_is_read_in_a_worker_while_the_window_goes_on(window, monkeypatch, tmp_path, no_modal_dialogs):
    """Opening trains every state again (seconds for a million): the window keeps
    handling its events meanwhile, and a refusal still reaches the learner."""
    good, bad = tmp_path / "good.bpe", tmp_path / "bad.bpe"
    window.state.train(3)
    save_as(window, monkeypatch, good)
    bad.write_text("{}")
    real, seen = session.read, []

    def read(path):
        handled = threading.Event()
        QTimer.singleShot(0, window, handled.set)   # runs only if the window's loop goes on
        seen.append((threading.current_thread() is threading.main_thread(), handled.wait(timeout=20)))
        return real(path)
    monkeypatch.setattr(session, "read", read)
    assert window.sessions.open(str(good)) is True and len(window.state.timeline) == 4
    assert window.sessions.open(str(bad)) is False
    assert no_modal_dialogs[-1][0] == "critical" and "unchanged" in no_modal_dialogs[-1][1][2]
    assert seen == [(False, True)] * 2
