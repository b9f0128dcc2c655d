"""A save written in the background belongs to the session it was started
for: a New, an Open or a recovery meanwhile must not give the new session the
saved file's name (its next Ctrl+S would overwrite that file), and a New, an
Open or a close while a save of the session is under way waits for it, its
progress shown, unless the learner cancels the wait.

Writes go a piece per slice (``ByPieces(1)``), driven here with
``writes.step()``: where a save stands is known, not timed."""

import io

import pytest
import shiboken6
from PySide6.QtWidgets import QProgressDialog

from engine import session
from gui import MainWindow, session_controller
from helpers import answer_open, answer_save, session_text

STEPS = 12


def unsaved_questions(shown):
    """The "Unsaved changes" questions asked (not those about starting a branch)."""
    return [args for kind, args in shown if kind == "question" and args[1] == "Unsaved changes"]


def pieces_of_a_save(window):
    """How many pieces the session now shown is written in, counted on a stream of its own."""
    state = window.state
    return sum(1 for _ in session.dump_chunks(io.StringIO(), state.timeline.frozen(), state.cursor, {}))


def finish_by_steps(window):
    while window.writes.busy():
        window.writes.step()


def branched_history(window):
    """A small history of three segments (a save writes a piece per segment),
    looked at in the middle; returns its rows."""
    state = window.state
    state.train(STEPS)
    state.move_to(4)
    window.set_value("W2", 0.75)        # the fixture answers Yes to "start a new branch?"
    state.train(5)
    state.move_to(7)
    window.set_value("alpha", 0.05)
    state.train(4)
    state.move_to(6)
    assert [s.length for s in state.timeline.segments] == [4, 3, 5]
    return state.timeline.rows().tobytes()


def start_saving(window, monkeypatch, path):
    """Save As ``path`` of a small branched history, left under way after its
    first piece; returns the history's rows."""
    rows = branched_history(window)
    assert pieces_of_a_save(window) > 2
    answer_save(monkeypatch, path)
    window.actionSaveAs.trigger()
    assert window.writes.writing(path) and not path.exists()
    return rows


def saved_rows(path):
    return session.read(path).timeline.rows().tobytes()


class Recorded(QProgressDialog):
    """The wait's dialog, with what it said; ``cancel_after`` passes: the learner cancels."""
    made = []
    cancel_after = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = []
        Recorded.made.append(self)

    def setLabelText(self, text):
        self.labels.append(text)
        super().setLabelText(text)

    def wasCanceled(self):
        return self.cancel_after is not None and len(self.labels) >= self.cancel_after


@pytest.fixture
def progress(monkeypatch):
    monkeypatch.setattr(Recorded, "made", [])
    monkeypatch.setattr(Recorded, "cancel_after", None)
    monkeypatch.setattr(session_controller, "QProgressDialog", Recorded)
    return Recorded


# --- the attack: a completion arriving for another session -----------------------

@pytest.fixture
def no_wait(monkeypatch):
    """New and Open go ahead while a save is under way, as they did before they
    waited: what the session token alone must make harmless."""
    monkeypatch.setattr(session_controller.SessionController, "wait_for_saves", lambda self, what: True)


def test_a_save_completing_after_new_leaves_the_new_session_untitled(piecewise, monkeypatch, tmp_path,
                                                                    no_modal_dialogs, no_wait):
    window, target = piecewise, tmp_path / "A.bpe"
    rows = start_saving(window, monkeypatch, target)
    assert window.sessions.new() is True          # the fixture answers Discard to "unsaved changes"
    assert len(unsaved_questions(no_modal_dialogs)) == 1
    finish_by_steps(window)
    assert saved_rows(target) == rows
    assert window.sessions.path is None
    assert window.windowTitle() == "Backprop Explorer" and not window.isWindowModified()
    # The next Ctrl+S asks where: it does not overwrite A.bpe with the new session.
    window.state.train(1)
    calls = answer_save(monkeypatch, None)
    assert window.sessions.save() is False
    assert len(calls) == 1
    assert saved_rows(target) == rows


def test_a_save_completing_after_open_leaves_the_opened_file_its_name(piecewise, monkeypatch, tmp_path,
                                                                     no_modal_dialogs, no_wait):
    window, target, other = piecewise, tmp_path / "A.bpe", tmp_path / "C.bpe"
    other.write_text(session_text({}, steps=3, cursor=1))
    rows = start_saving(window, monkeypatch, target)
    answer_open(monkeypatch, other)
    assert window.sessions.open() is True
    finish_by_steps(window)
    assert window.sessions.path == str(other) and "C.bpe" in window.windowTitle()
    window.state.train(2)
    window.actionSave.trigger()
    finish_by_steps(window)
    assert len(session.read(other).timeline) == 6          # C's three updates and two more
    assert saved_rows(target) == rows


def test_a_save_completing_after_a_recovery_leaves_the_recovered_session_unsaved(piecewise, monkeypatch,
                                                                               tmp_path, no_modal_dialogs):
    window, target = piecewise, tmp_path / "A.bpe"
    crashed = MainWindow()                 # not registered with qtbot: destroyed below, never closed
    crashed.state.train(5)
    assert crashed.sessions.autosave()
    shiboken6.delete(crashed)
    rows = start_saving(window, monkeypatch, target)
    assert window.sessions.offer_recovery() is True
    finish_by_steps(window)
    assert len(window.state.timeline) == 6
    assert window.sessions.path is None and window.isWindowModified()
    assert window.sessions.autosave_path().exists()        # the recovered session's, kept until saved
    assert saved_rows(target) == rows
    window.state.undo_stack.setClean()


# --- New, Open and closing wait for a save under way ---------------------------------

def test_new_waits_for_the_save_under_way_showing_its_progress(piecewise, monkeypatch, tmp_path,
                                                              no_modal_dialogs, progress):
    window, target = piecewise, tmp_path / "A.bpe"
    rows = start_saving(window, monkeypatch, target)
    pieces = pieces_of_a_save(window)
    assert window.sessions.new() is True
    assert saved_rows(target) == rows
    # Saved before the session was dropped: nothing was left to ask about.
    assert unsaved_questions(no_modal_dialogs) == []
    [dialog] = progress.made
    assert all("A.bpe" in label and "new session" in label for label in dialog.labels)
    # The pieces written so far, as the wait goes on (the event loop's own passes may write some too).
    counts = [int(label.split("\n")[1].split()[0]) for label in dialog.labels]
    assert counts == sorted(counts) and counts[0] >= 1 and counts[-1] <= pieces
    assert window.sessions.path is None and len(window.state.timeline) == 1
    assert window.windowTitle() == "Backprop Explorer"


def test_cancelling_the_wait_keeps_the_session_and_its_save_goes_on(piecewise, monkeypatch, tmp_path,
                                                                   no_modal_dialogs, progress):
    window, target = piecewise, tmp_path / "A.bpe"
    rows = start_saving(window, monkeypatch, target)
    progress.cancel_after = 1
    assert window.sessions.new() is False
    assert unsaved_questions(no_modal_dialogs) == []
    assert window.state.timeline.rows().tobytes() == rows
    assert window.writes.writing(target)
    finish_by_steps(window)
    assert window.sessions.path == str(target) and not window.isWindowModified()
    assert saved_rows(target) == rows


def test_open_waits_for_the_save_under_way(piecewise, monkeypatch, tmp_path, no_modal_dialogs, progress):
    window, target, other = piecewise, tmp_path / "A.bpe", tmp_path / "C.bpe"
    other.write_text(session_text({}, steps=0, cursor=0))
    rows = start_saving(window, monkeypatch, target)
    answer_open(monkeypatch, other)
    assert window.sessions.open() is True
    assert saved_rows(target) == rows
    assert unsaved_questions(no_modal_dialogs) == []
    assert len(progress.made) == 1 and "C.bpe" in progress.made[0].labels[0]
    assert window.sessions.path == str(other) and len(window.state.timeline) == 1


def test_closing_waits_for_the_save_before_asking_anything(piecewise, monkeypatch, tmp_path, no_modal_dialogs,
                                                           progress):
    window, target = piecewise, tmp_path / "A.bpe"
    rows = start_saving(window, monkeypatch, target)
    assert window.close() is True
    assert unsaved_questions(no_modal_dialogs) == []
    assert len(progress.made) == 1
    assert saved_rows(target) == rows


def test_new_with_no_save_under_way_shows_no_wait(window, monkeypatch, tmp_path, progress):
    window.state.train(3)
    answer_save(monkeypatch, tmp_path / "A.bpe")
    window.actionSaveAs.trigger()              # complete in its first slice
    assert not window.writes.busy()
    assert window.sessions.new() is True
    assert progress.made == []


def test_an_autosave_under_way_is_no_reason_to_wait(piecewise, progress, no_modal_dialogs):
    window = piecewise
    window.state.train(STEPS)
    assert window.sessions.autosave() and window.writes.busy()
    assert window.sessions.new() is True       # Discard: the autosave goes with the changes
    assert progress.made == [] and not window.writes.busy()
    assert not window.sessions.autosave_path().exists()
