"""Large files are written a piece at a time while the window goes on: the file
holds the session or history as it was when the learner asked, whatever they
do meanwhile, and nothing asked for is lost when the window closes."""

import csv
import io

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from engine import DEFAULTS, PARAMS, Trainer, csvio, session
from engine.timeline import Timeline

STEPS = 60_000   # enough states that writing them takes many passes of the event loop


def answer_save(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def history_text(steps):
    """The history CSV of the default start trained ``steps`` times, written by itself."""
    trainer = Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"])
    trainer.run(steps)
    stream = io.StringIO()
    csvio.write_history(stream, trainer.history)
    return stream.getvalue()


def test_an_export_goes_on_between_events_and_writes_the_history_as_it_was(window, qtbot, tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "history.csv"
    answer_save(monkeypatch, target)
    window.state.train(STEPS)
    assert window.export_history() == str(target)
    assert window.writes.busy() and not target.exists()
    # The learner goes on while it is written: an event is handled, runs are undone, others made.
    handled = []
    QTimer.singleShot(0, lambda: handled.append(window.writes.busy()))
    qtbot.waitUntil(lambda: bool(handled))
    assert handled == [True]
    window.actionUndo.trigger()
    window.set_value("alpha", 0.2)
    window.state.train(500)
    with qtbot.waitSignal(window.writes.idle, timeout=60_000):
        pass
    with open(target, newline="") as stream:
        assert stream.read() == history_text(STEPS)
    assert [p.name for p in target.parent.iterdir()] == ["history.csv"]


def test_a_session_changed_while_it_is_saved_keeps_its_mark(window, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "work.bpe"
    answer_save(monkeypatch, target)
    window.state.train(STEPS)
    window.actionSaveAs.trigger()
    assert window.writes.busy()
    window.state.train(3)
    qtbot.waitUntil(lambda: not window.writes.busy(), timeout=60_000)
    assert len(session.read(target).timeline) == STEPS + 1
    assert window.sessions.path == str(target)
    assert window.isWindowModified()          # the three later steps are not in the file
    window.actionSave.trigger()
    qtbot.waitUntil(lambda: not window.writes.busy(), timeout=60_000)
    assert not window.isWindowModified()
    assert len(session.read(target).timeline) == STEPS + 4


def test_closing_the_window_completes_the_exports_asked_for(window, tmp_path, monkeypatch):
    target = tmp_path / "history.csv"
    answer_save(monkeypatch, target)
    window.state.train(STEPS)
    window.export_history()
    window.sessions.save = lambda wait=False: True   # whether to save the session is not the point here
    window.state.undo_stack.setClean()
    assert window.writes.busy()
    window.close()
    assert not window.writes.busy()
    with open(target, newline="") as stream:
        rows = list(csv.reader(stream))
    assert len(rows) == STEPS + 2 and rows[-1][0] == str(STEPS)


def test_an_autosave_not_yet_written_is_dropped_with_the_changes(window, qtbot, monkeypatch, tmp_path):
    window.state.train(STEPS)
    assert window.sessions.autosave()
    assert window.writes.writing(window.sessions.autosave_path())
    answer_save(monkeypatch, tmp_path / "saved.bpe")
    window.sessions.save(wait=True)      # saved: no copy of the changes is needed any more
    assert not window.writes.busy()
    assert not window.sessions.autosave_path().exists()
    assert not [p for p in window.sessions.autosave_path().parent.iterdir() if p.suffix == ".part"]


def test_an_autosave_waits_for_a_write_under_way(window, tmp_path, monkeypatch):
    answer_save(monkeypatch, tmp_path / "history.csv")
    window.state.train(STEPS)
    window.export_history()
    assert not window.sessions.autosave()    # tried again at the next tick
    assert not window.writes.writing(window.sessions.autosave_path())


def test_saving_an_untouched_line_writes_exactly_what_the_engine_writes(window, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "work.bpe"
    answer_save(monkeypatch, target)
    window.state.train(STEPS)
    window.actionSaveAs.trigger()
    qtbot.waitUntil(lambda: not window.writes.busy(), timeout=60_000)
    loaded = session.read(target)
    line = Timeline(Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"]))
    line.run(STEPS)
    assert loaded.timeline.rows().tobytes() == line.rows().tobytes()
