"""Large files are written a piece at a time while the window goes on: the file
holds the session or history as it was when the learner asked, whatever they
do meanwhile, and nothing asked for is lost when the window closes.

How much a slice writes is set here (``ByPieces``), or timed by a clock the
test moves: what is asserted is the same on any machine, under any load."""

import csv
import io

from PySide6.QtCore import QTimer

from engine import csvio, session
from gui.writes import BySeconds, ByPieces, Writes
from helpers import Clock, answer_save, reference_trainer

STEPS = 60_000   # enough states that the history and the session are written in several pieces


def history_text(steps):
    """The history CSV of the default start trained ``steps`` times, written by itself."""
    stream = io.StringIO()
    csvio.write_history(stream, reference_trainer(steps).history)
    return stream.getvalue()


def pieces_of(write):
    """How many pieces ``write`` yields, run to the end on a stream of its own."""
    return sum(1 for _ in write(io.StringIO()))


def test_an_export_goes_on_between_events_and_writes_the_history_as_it_was(piecewise, qtbot, tmp_path,
                                                                          monkeypatch):
    window = piecewise
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "history.csv"
    answer_save(monkeypatch, target)
    window.state.train(STEPS)
    assert pieces_of(lambda s: csvio.history_chunks(s, window.state.timeline)) > 2
    assert window.export_history() == str(target)
    assert window.writes.busy() and not target.exists()
    # The learner goes on in an event handled between two pieces: a run is undone, others made.
    seen = []

    def learner_goes_on():
        seen.append(window.writes.busy())
        window.actionUndo.trigger()
        window.set_value("alpha", 0.2)
        window.state.train(500)
    QTimer.singleShot(0, learner_goes_on)
    with qtbot.waitSignal(window.writes.idle, timeout=60_000):
        pass
    assert seen == [True]
    with open(target, newline="") as stream:
        assert stream.read() == history_text(STEPS)
    assert [p.name for p in target.parent.iterdir()] == ["history.csv"]


def test_a_session_changed_while_it_is_saved_keeps_its_mark(piecewise, qtbot, tmp_path, monkeypatch):
    window = piecewise
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


def test_closing_the_window_completes_the_exports_asked_for(piecewise, tmp_path, monkeypatch):
    window = piecewise
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


def test_an_autosave_not_yet_written_is_dropped_with_the_changes(piecewise, monkeypatch, tmp_path):
    window = piecewise
    window.state.train(STEPS)
    assert window.sessions.autosave()
    assert window.writes.writing(window.sessions.autosave_path())
    answer_save(monkeypatch, tmp_path / "saved.bpe")
    window.sessions.save(wait=True)      # saved: no copy of the changes is needed any more
    assert not window.writes.busy()
    assert not window.sessions.autosave_path().exists()
    assert not [p for p in window.sessions.autosave_path().parent.iterdir() if p.suffix == ".part"]


def test_an_autosave_waits_for_a_write_under_way(piecewise, tmp_path, monkeypatch):
    window = piecewise
    answer_save(monkeypatch, tmp_path / "history.csv")
    window.state.train(STEPS)
    window.export_history()
    assert window.writes.busy()
    assert not window.sessions.autosave()    # tried again at the next tick
    assert not window.writes.writing(window.sessions.autosave_path())


def test_saving_an_untouched_line_writes_exactly_what_the_engine_writes(piecewise, qtbot, tmp_path,
                                                                         monkeypatch):
    window = piecewise
    target = tmp_path / "work.bpe"
    answer_save(monkeypatch, target)
    window.state.train(STEPS)
    window.actionSaveAs.trigger()
    qtbot.waitUntil(lambda: not window.writes.busy(), timeout=60_000)
    loaded = session.read(target)
    assert loaded.timeline.rows().tobytes() == reference_trainer(STEPS).history.rows().tobytes()


# --- how far a slice gets, driven slice by slice --------------------------------

def numbered(pieces, clock=None):
    """A writer of ``pieces`` lines, yielding after each (each moving ``clock`` on 4 ms)."""
    def write(stream):
        for k in range(pieces):
            stream.write(f"{k}\n")
            if clock is not None:
                clock.now += 0.004
            yield
    return write


def test_a_slice_of_pieces_writes_that_many(qtbot, tmp_path):
    writes = Writes()
    writes.slices = ByPieces(2)
    target = tmp_path / "five.txt"
    job = writes.start(target, numbered(5))
    progress = [job.pieces]
    while writes.busy():
        writes.step()
        progress.append(job.pieces)
    # The third slice writes the last piece and finds the writer over.
    assert progress == [2, 4, 5]
    assert job.succeeded and target.read_text() == "".join(f"{k}\n" for k in range(5))


def test_a_slice_by_the_clock_ends_once_its_time_is_up(qtbot, tmp_path):
    clock = Clock()
    writes = Writes()
    writes.slices = BySeconds(0.010, clock)
    job = writes.start(tmp_path / "seven.txt", numbered(7, clock))
    assert job.pieces == 3 and writes.busy()        # 4 ms and 8 ms are within 10 ms; 12 ms is not
    clock.now += 1.0                                # time spent elsewhere is not the next slice's
    writes.step()
    assert job.pieces == 6 and writes.busy()
    writes.step()
    assert job.pieces == 7 and job.succeeded and not writes.busy()


def test_one_slice_goes_on_to_the_next_file_asked_for(qtbot, tmp_path):
    writes = Writes()
    writes.slices = ByPieces(3)
    first = writes.start(tmp_path / "a.txt", numbered(2))
    assert first.succeeded and not writes.busy()
    first = writes.start(tmp_path / "a.txt", numbered(4))
    second = writes.start(tmp_path / "b.txt", numbered(4))
    assert (first.pieces, second.pieces) == (3, 0)
    writes.step()
    assert first.succeeded and second.pieces == 2
    writes.finish()
    assert second.succeeded and (tmp_path / "b.txt").read_text() == "0\n1\n2\n3\n"
