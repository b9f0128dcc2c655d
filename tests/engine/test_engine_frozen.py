"""Frozen views of a history and a line, and the writers that yield between
pieces: a file is written from the line as it was when writing began, however
the learner goes on training, undoing and branching meanwhile."""

import io

import numpy as np
import pytest

from engine import DEFAULTS, PARAMS, Trainer, csvio, session
from engine.history import History
from engine.timeline import Timeline


def _trainer(steps=0, **kwargs):
    trainer = Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"], **kwargs)
    trainer.run(steps)
    return trainer


@pytest.mark.parametrize("cut", [1, 3, 4, 5, 8, 9])
def test_a_frozen_history_keeps_its_rows_through_truncation_and_new_rows(cut):
    history = History(chunk_rows=4, columns=("a", "b"))
    for k in range(10):
        history.append([k, -k])
    view = history.frozen()
    before = view.rows().copy()
    history.truncate(cut)
    for k in range(10):
        history.append([100 + k, 100 + k])     # written where the dropped rows were
    np.testing.assert_array_equal(view.rows(), before)
    assert len(view) == 10
    np.testing.assert_array_equal(history.rows(0, cut), before[:cut])
    np.testing.assert_array_equal(history.rows(cut, cut + 10)[:, 0], np.arange(100, 110))


def test_a_frozen_history_of_fewer_states_and_its_refusals():
    history = History(chunk_rows=4, columns=("a",))
    for k in range(6):
        history.append([k])
    view = history.frozen(5)
    history.truncate(2)
    history.append([-1])
    assert view.column("a").tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(TypeError):
        view.append([7])
    with pytest.raises(TypeError):
        view.truncate(1)
    with pytest.raises(IndexError):
        history.frozen(len(history) + 1)


def test_a_frozen_line_writes_what_was_there_when_it_was_frozen():
    line = Timeline(_trainer())
    line.run(70)
    line.branch(40, _trainer(3, batch_size=None))
    line.run(30)
    expected = io.StringIO()
    csvio.write_history(expected, line)
    frozen = line.frozen()
    # Undo part of the run, train differently, branch: none of it may reach the frozen line.
    line.truncate(10)
    line.trainer.alpha = 0.2
    line.run(50)
    line.branch(5, _trainer(1))
    written = io.StringIO()
    csvio.write_history(written, frozen)
    assert written.getvalue() == expected.getvalue()
    assert len(frozen) == 40 + 34 and len(line) == 5 + 2


def test_the_session_writer_yields_between_pieces_and_writes_one_json_text():
    line = Timeline(_trainer())
    line.run(40_000)
    for at in (10, 13):   # a piece (at least) per segment: the file holds their starts, not their states
        line.branch(at, _trainer())
        line.run(5)
    stream = io.StringIO()
    pieces = sum(1 for _ in session.dump_chunks(stream, line, 7, {"speed": 3}))
    assert pieces >= 3
    back = session.load(io.StringIO(stream.getvalue()))
    np.testing.assert_array_equal(back.timeline.rows(), line.rows())
    assert back.cursor == 7


def test_the_history_writer_yields_every_few_hundred_states():
    line = Timeline(_trainer())
    line.run(5_000)
    stream = io.StringIO()
    pieces = sum(1 for _ in csvio.history_chunks(stream, line))
    assert pieces >= 5
    assert stream.getvalue().count("\n") == len(line) + 1


def test_a_writer_that_fails_midway_leaves_the_old_file(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("old\n")

    def failing(stream):
        stream.write("new, partial")
        yield
        raise OSError("disk full")
    with pytest.raises(OSError):
        csvio.write_atomically(path, failing)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["history.csv"]
