"""Each running window has its own autosave, locked while the window lives: a
clean close deletes only its own, a window gone without closing (a crash)
leaves its autosave to be offered, and the next start offers every autosave no
running window holds, each with its time and number of states."""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QLockFile
from PySide6.QtWidgets import QInputDialog, QMessageBox

from engine import session
from engine.timeline import Timeline
from gui import MainWindow
from gui.session_controller import data_folder, name_application
from helpers import Clock, new_window, reference_trainer

ROOT = Path(__file__).resolve().parents[2]
Buttons = QMessageBox.StandardButton


def answer_questions(monkeypatch, *replies):
    """QMessageBox.question gives ``replies`` in turn, then Discard (a window
    closed at teardown asks too: raising there would crash the run); returns
    the (parent, title, text, …) asked."""
    asked, left = [], list(replies)

    def question(*args, **kwargs):
        asked.append(args)
        return left.pop(0) if left else Buttons.Discard
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def answer_choice(monkeypatch, pick):
    """QInputDialog.getItem answers ``pick(items)`` (None: Cancel); returns the calls."""
    calls = []

    def get_item(parent, title, label, items, current=0, editable=True, *rest, **kwargs):
        calls.append((title, label, list(items), current, editable))
        chosen = pick(list(items))
        return (chosen, True) if chosen is not None else ("", False)
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(get_item))
    return calls


def locked_by_someone(path):
    """Whether a running window holds the autosave at ``path``."""
    probe = QLockFile(str(Path(path).with_suffix(".lock")))
    probe.setStaleLockTime(0)
    if probe.tryLock(0):
        probe.unlock()
        return False
    return True


def crashed_window(steps):
    """A window that autosaved ``steps`` updates, then went without closing, as
    in a crash; returns its autosave's path and the rows it held."""
    window = MainWindow()                # not registered with qtbot: destroyed here, never closed
    window.state.train(steps)
    assert window.sessions.autosave()
    path, rows = window.sessions.autosave_path(), window.state.timeline.rows().tobytes()
    shiboken6.delete(window)
    return path, rows


def orphan_file(name, steps, saved_at):
    """An autosave no window holds, written at ``saved_at``; returns its path and number of states."""
    path = data_folder() / name
    with open(path, "w") as stream:
        session.dump(stream, Timeline(reference_trainer(steps)), 0, {}, saved_at=saved_at)
    return path, steps + 1


def local_time(moment):
    return moment.astimezone().strftime("%H:%M:%S")


# --- one autosave per window ---------------------------------------------------------

def test_two_windows_autosave_each_its_own_file(window, qtbot):
    other = new_window(qtbot)
    window.state.train(3)
    other.state.train(8)
    assert window.sessions.autosave() and other.sessions.autosave()
    mine, theirs = window.sessions.autosave_path(), other.sessions.autosave_path()
    assert mine != theirs and mine.parent == theirs.parent
    assert len(session.read(mine).timeline) == 4 and len(session.read(theirs).timeline) == 9
    assert locked_by_someone(mine) and locked_by_someone(theirs)
    for w in (window, other):
        w.state.undo_stack.setClean()


def test_a_clean_close_deletes_only_its_own_autosave(window, qtbot, monkeypatch):
    other = new_window(qtbot)
    window.state.train(3)
    other.state.train(8)
    assert window.sessions.autosave() and other.sessions.autosave()
    mine, theirs = window.sessions.autosave_path(), other.sessions.autosave_path()
    answer_questions(monkeypatch, Buttons.Discard)
    assert window.close()
    assert not mine.exists() and not mine.with_suffix(".lock").exists()
    assert len(session.read(theirs).timeline) == 9 and locked_by_someone(theirs)
    other.state.undo_stack.setClean()


def test_a_window_gone_without_closing_is_offered_to_the_next(window, qtbot, monkeypatch):
    window.state.train(3)
    assert window.sessions.autosave()
    lost, rows = crashed_window(8)
    assert lost != window.sessions.autosave_path()
    later = new_window(qtbot)
    asked = answer_questions(monkeypatch, Buttons.Yes)
    saved_at = session.read(lost).saved_at
    assert later.sessions.offer_recovery() is True
    assert len(asked) == 1
    text = asked[0][2]
    assert local_time(saved_at) in text and "9 states" in text
    assert later.state.timeline.rows().tobytes() == rows
    assert later.isWindowModified()
    # The first window's autosave is its own still: neither offered nor touched.
    assert len(session.read(window.sessions.autosave_path()).timeline) == 4
    for w in (window, later):
        w.state.undo_stack.setClean()


def test_a_live_windows_autosave_is_never_offered(window, qtbot, no_modal_dialogs):
    window.state.train(3)
    assert window.sessions.autosave()
    before = window.sessions.autosave_path().read_bytes()
    later = new_window(qtbot)
    assert later.sessions.offer_recovery() is False
    assert no_modal_dialogs == []
    assert window.sessions.autosave_path().read_bytes() == before
    assert len(later.state.timeline) == 1 and not later.isWindowModified()
    window.state.undo_stack.setClean()


def test_beside_a_live_windows_autosave_only_the_orphan_is_offered(window, qtbot, monkeypatch):
    window.state.train(3)
    assert window.sessions.autosave()
    lost, rows = crashed_window(6)
    later = new_window(qtbot)
    asked = answer_questions(monkeypatch, Buttons.Yes)
    chosen = answer_choice(monkeypatch, lambda items: items[0])
    assert later.sessions.offer_recovery() is True
    assert chosen == [] and len(asked) == 1 and "7 states" in asked[0][2]
    assert later.state.timeline.rows().tobytes() == rows
    for w in (window, later):
        w.state.undo_stack.setClean()


# --- several orphans --------------------------------------------------------------------

def three_orphans():
    moments = [datetime(2024, 5, 2, h, 15, 30, tzinfo=timezone.utc) for h in (10, 11, 9)]
    return [orphan_file(f"autosave-{tag}.bpe", steps, moment) + (moment,)
            for tag, steps, moment in zip(("aaaa", "bbbb", "cccc"), (3, 5, 7), moments)]


def test_every_orphan_is_offered_with_its_time_and_states_and_the_others_kept(window, qtbot, monkeypatch):
    orphans = three_orphans()
    asked = answer_questions(monkeypatch, Buttons.Yes)        # keep the others
    calls = answer_choice(monkeypatch, lambda items: next(i for i in items if "6 states" in i))
    assert window.sessions.offer_recovery() is True
    [(title, label, items, current, editable)] = calls
    assert not editable and len(items) == 3
    # Newest first; each with its own time and number of states.
    for item, (path, states, moment) in zip(items, [orphans[1], orphans[0], orphans[2]]):
        assert local_time(moment) in item and f"{states} states" in item
    assert len(window.state.timeline) == 6 and window.isWindowModified()
    assert len(asked) == 1 and "2" in asked[0][2]            # whether to keep the other two
    recovered = orphans[1][0]
    assert window.sessions.autosave_path() == recovered and locked_by_someone(recovered)
    assert orphans[0][0].exists() and orphans[2][0].exists()
    # The next window is offered the two kept, not the one this window recovered.
    later = new_window(qtbot)
    asked = answer_questions(monkeypatch, Buttons.No)         # none chosen; the rest not kept
    calls = answer_choice(monkeypatch, lambda items: None)
    assert later.sessions.offer_recovery() is False
    assert len(calls) == 1 and len(calls[0][2]) == 2
    assert all("6 states" not in item for item in calls[0][2])
    assert not orphans[0][0].exists() and not orphans[2][0].exists()
    assert recovered.exists()
    assert len(later.state.timeline) == 1 and not later.isWindowModified()
    window.state.undo_stack.setClean()


def test_the_orphans_not_chosen_can_be_deleted(window, monkeypatch):
    orphans = three_orphans()
    answer_questions(monkeypatch, Buttons.No)                 # do not keep the others
    answer_choice(monkeypatch, lambda items: items[-1])       # the oldest
    assert window.sessions.offer_recovery() is True
    assert len(window.state.timeline) == 8
    assert [path.exists() for path, _, _ in orphans] == [False, False, True]
    window.state.undo_stack.setClean()


def test_the_autosave_of_earlier_versions_is_offered_too(window, monkeypatch):
    legacy, states = orphan_file("autosave.bpe", 4, datetime(2024, 1, 9, 8, 0, 5, tzinfo=timezone.utc))
    content = legacy.read_bytes()
    asked = answer_questions(monkeypatch, Buttons.Yes)
    assert window.sessions.offer_recovery() is True
    assert len(asked) == 1 and f"{states} states" in asked[0][2]
    assert len(window.state.timeline) == states
    # Now this window's own autosave, kept until the session is saved, and no longer the shared name.
    assert not legacy.exists() and window.sessions.autosave_path().read_bytes() == content
    window.state.undo_stack.setClean()


# --- other processes -----------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import os, signal, sys
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    app.setOrganizationName(sys.argv[1])
    app.setApplicationName(sys.argv[2])
    from gui import MainWindow
    window = MainWindow()
    window.state.train(int(sys.argv[4]))
    assert window.sessions.autosave()
    if sys.argv[3] == "saved":
        window.state.undo_stack.setClean()        # saved: its autosave goes, its lock stays
    print(window.sessions.autosave_path(), flush=True)
    if sys.argv[3] == "live":
        sys.stdin.readline()                      # lives until the test lets it go
    os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.fixture
def child(tmp_path):
    """Runs a window in another process, autosaved, in this test's data folder."""
    name_application()
    names = [QCoreApplication.organizationName(), QCoreApplication.applicationName()]
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
                       XDG_CONFIG_HOME=str(tmp_path / "config"))
    started = []

    def run(mode, steps):
        process = subprocess.Popen([sys.executable, "-c", CHILD, *names, mode, str(steps)], cwd=ROOT,
                                   env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process, Path(process.stdout.readline().strip())
    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


def test_another_running_process_keeps_its_autosave_until_it_is_killed(window, child, monkeypatch):
    process, path = child("live", 6)
    assert path.exists() and path.parent == window.sessions.autosave_path().parent
    asked = answer_questions(monkeypatch, Buttons.Yes)
    assert window.sessions.offer_recovery() is False          # that window is still running
    assert asked == [] and path.exists()
    process.kill()
    assert process.wait(timeout=60) == -signal.SIGKILL
    assert window.sessions.offer_recovery() is True
    assert len(asked) == 1 and "7 states" in asked[0][2]
    assert len(window.state.timeline) == 7
    window.state.undo_stack.setClean()


def test_the_lock_of_a_process_killed_after_saving_is_removed(window, child, no_modal_dialogs):
    process, path = child("saved", 2)
    assert process.wait(timeout=60) == -signal.SIGKILL
    lock = path.with_suffix(".lock")
    assert lock.exists() and not path.exists()
    assert window.sessions.offer_recovery() is False
    assert no_modal_dialogs == [] and not lock.exists()


def test_a_long_autosave_waits_four_times_its_length_before_the_next(window, qtbot, monkeypatch):
    clock, sessions = Clock(), window.sessions
    sessions.clock = clock
    real = session.dump_chunks

    def long(*args, **options):   # a million samples: seconds of work, on the autosave's clock
        clock.now += 3.0
        yield from real(*args, **options)
    monkeypatch.setattr(session, "dump_chunks", long)
    window.state.train(3)
    assert sessions.autosave()
    qtbot.waitUntil(lambda: not window.writes.busy())
    window.state.train(1)
    clock.now += 11.0             # 3 s of writing, then 11: not yet the 12 s it waits
    assert not sessions.autosave()
    clock.now += 1.0
    assert sessions.autosave()
    qtbot.waitUntil(lambda: not window.writes.busy())
    monkeypatch.setattr(session, "dump_chunks", real)
    clock.now += 12.0             # this one's wait over
    for _ in range(2):            # quick ones wait for nothing
        window.state.train(1)
        assert sessions.autosave()
        qtbot.waitUntil(lambda: not window.writes.busy())
