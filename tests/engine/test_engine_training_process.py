"""engine.training_process: a child process trains what it is sent to the
floats training here gives, stops when asked, and says what went wrong."""

import numpy as np
import pytest

from engine import DEFAULTS, PARAMS, Spec, Trainer
from engine.training_process import ChildError, TrainingProcess, chunks


@pytest.fixture
def process():
    process = TrainingProcess()
    yield process
    process.close()


def _trainer():
    x = np.linspace(-1, 1, 40)
    return Trainer({p: DEFAULTS[p] for p in PARAMS}, x, np.sin(2 * x), 0.05, spec=Spec(optimizer="adam"),
                   batch_size=8, shuffle_seed=3)


def test_the_child_trains_to_the_same_floats_in_chunks_that_follow_on(process):
    trainer = _trainer()
    got = list(process.train(trainer.continued(), steps=1000, chunk=77))
    assert [start for start, *_ in got] == list(range(1, 1001, 77))
    assert [last for *_, last in got] == [False] * (len(got) - 1) + [True]
    trainer.run(1000)
    assert np.concatenate([rows for _, rows, _, _ in got]).tobytes() == trainer.history.rows(1).tobytes()


def test_a_stopped_job_yields_nothing_more_and_the_child_serves_the_next(process):
    trainer = _trainer()
    seen = []
    for chunk in process.train(trainer.continued(), chunk=50, stopped=lambda: len(seen) >= 3):
        seen.append(chunk)
    assert len(seen) == 3
    child = process._child
    again = list(process.train(trainer.continued(), steps=10, chunk=50))
    assert process._child is child and len(again) == 1 and len(again[0][1]) == 10


def test_the_loss_target_cuts_at_the_first_state_below_it_as_here():
    trainer = _trainer()
    got = list(chunks(trainer.continued(), steps=100_000, stop_below=0.05, chunk=64))
    losses = np.concatenate([rows for _, rows, _, _ in got])[:, trainer.row.index("L")]
    assert got[-1][3] and losses[-1] < 0.05 and (losses[:-1] >= 0.05).all()


def test_what_the_child_raises_comes_back_as_a_child_error(process):
    with pytest.raises(ChildError, match="AttributeError"):
        list(process.train("not a trainer", steps=10))
    again = list(process.train(_trainer().continued(), steps=5))      # and another job runs
    assert sum(len(rows) for _, rows, _, _ in again) == 5 and again[-1][3]


def test_a_run_shows_its_first_state_after_one_update_then_chunks_grow_at_most_fourfold():
    # However long an update takes (0.13 s for 2-8-8-1 on a million samples), the first
    # state comes after one; the chunks then grow towards CHUNK_SECONDS of work.
    sizes = [len(rows) for _, rows, _, _ in chunks(_trainer().continued(), steps=3000)]
    assert sizes[0] == 1 and sum(sizes) == 3000
    assert all(b <= 4 * a for a, b in zip(sizes, sizes[1:-1]))
