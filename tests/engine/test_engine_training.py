"""Training and its history: every recorded state agrees with the derivation."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
import engine.training
from engine import History, Trainer
from engine_handcalc import (EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, GRADIENT_IDS, PARAMS,
                             close, gradients, loss, update)

NEXT = {p: f"{p}_next" for p in PARAMS}
BATCH_X = np.array([-1.5, -0.2, 0.4, 1.1, 2.0])
BATCH_Y = np.array([0.3, -0.7, 1.2, 2.5, 4.0])


def _trainer(x=EXAMPLE_X, y=EXAMPLE_Y, alpha=EXAMPLE_ALPHA, params=EXAMPLE, chunk_rows=1 << 16):
    return Trainer(dict(params), x, y, alpha, chunk_rows=chunk_rows)


def _check_history_against_derivations(t, steps):
    for k in steps:
        d = t.derivation(k)
        after = t.params(k + 1)
        for p in PARAMS:
            assert d[NEXT[p]].value == after[p], (k, p)
        assert d["L_next"].value == t.history.row(k + 1)[_col("L")]
        grads = t.gradients(k)
        for g in GRADIENT_IDS:
            assert grads[g] == d[g].value, (k, g)
        assert t.history.row(k)[_col("L")] == d["L"].value


def _col(name):
    return engine.compiled.ROW.index(name)


def test_initial_history_is_the_starting_state():
    t = _trainer()
    assert len(t) == len(t.history) == 1
    assert t.params(0) == EXAMPLE
    g = gradients(EXAMPLE, EXAMPLE_X, EXAMPLE_Y)
    for gid in GRADIENT_IDS:
        assert close(t.gradients(0)[gid], g[gid])
    assert close(t.history.row(0)[_col("L")], loss(EXAMPLE, EXAMPLE_X, EXAMPLE_Y))


def test_next_state_is_the_derivations_update_exactly():
    t = _trainer()
    assert t.run(60) is None
    assert len(t) == 61
    _check_history_against_derivations(t, range(60))


def test_next_state_exact_for_a_batch():
    t = _trainer(BATCH_X, BATCH_Y, alpha=0.05, chunk_rows=7)
    assert t.run(30) is None
    assert len(t.history) == 31
    _check_history_against_derivations(t, range(30))


@settings(max_examples=25, deadline=None)
@given(
    params=st.fixed_dictionaries({p: st.floats(-3, 3) for p in PARAMS}),
    x=st.floats(-3, 3), y=st.floats(-3, 3), alpha=st.floats(0, 0.5),
    steps=st.integers(1, 40), seed=st.integers(0, 2 ** 32 - 1),
)
def test_random_runs_record_the_derivations_updates(params, x, y, alpha, steps, seed):
    t = _trainer(x, y, alpha, params)
    assert t.run(steps) is None
    assert len(t) == steps + 1
    rng = random.Random(seed)
    _check_history_against_derivations(t, sorted(rng.sample(range(steps), min(steps, 5))))


def test_training_follows_a_hand_written_loop():
    t = _trainer()
    t.run(25)
    p = dict(EXAMPLE)
    for k in range(26):
        got = t.params(k)
        for q in PARAMS:
            assert close(got[q], p[q], rel=1e-11), (k, q)
        assert close(t.history.row(k)[_col("L")], loss(p, EXAMPLE_X, EXAMPLE_Y), rel=1e-10)
        p = update(p, gradients(p, EXAMPLE_X, EXAMPLE_Y), EXAMPLE_ALPHA)
    losses = t.history.column("L")
    assert np.all(np.diff(losses) < 0)  # small α on one sample: the loss keeps falling


def test_step_is_run_one():
    a, b = _trainer(), _trainer()
    for _ in range(5):
        assert a.step() is None
    assert b.run(5) is None
    assert len(a) == len(b) == 6
    assert np.array_equal(a.history.rows(), b.history.rows())


def test_run_zero_adds_nothing():
    t = _trainer()
    assert t.run(0) is None
    assert len(t) == 1


@pytest.mark.parametrize("split", [(1, 1), (3, 17), (7, 7), (6, 8), (13, 1)])
def test_chunked_runs_equal_one_run_small_chunks(split):
    a, b = _trainer(chunk_rows=7), _trainer(chunk_rows=7)
    for n in split:
        a.run(n)
    b.run(sum(split))
    assert len(a) == len(b) == sum(split) + 1
    assert np.array_equal(a.history.rows(), b.history.rows())


def test_chunked_runs_equal_one_run_batch():
    a, b = _trainer(BATCH_X, BATCH_Y, chunk_rows=7), _trainer(BATCH_X, BATCH_Y, chunk_rows=7)
    for n in (4, 9, 1, 12):
        a.run(n)
    b.run(26)
    assert np.array_equal(a.history.rows(), b.history.rows())


def test_small_chunks_do_not_change_results(monkeypatch):
    plain = _trainer()
    plain.run(40)
    chunked = _trainer(chunk_rows=3)
    chunked.run(40)
    assert len(chunked.history._chunks) > 1  # really spans several chunks
    assert np.array_equal(plain.history.rows(), chunked.history.rows())


def test_runs_across_the_default_chunk_boundary():
    steps = (1 << 16) + 4000
    whole, parts = _trainer(), _trainer()
    whole.run(steps)
    parts.run(30000)
    parts.run(steps - 30000)
    assert len(whole) == len(parts) == steps + 1
    assert np.array_equal(whole.history.rows(), parts.history.rows())
    boundary = 1 << 16
    _check_history_against_derivations(whole, [boundary - 2, boundary - 1, boundary, steps - 1])


# --- History on its own --------------------------------------------------------

def _filled(n, chunk_rows=3):
    h = History(chunk_rows=chunk_rows)
    width = len(engine.compiled.ROW)
    expected = np.arange(n * width, dtype=float).reshape(n, width)
    for row in expected:
        h.append(row)
    return h, expected


def test_history_rows_and_columns_across_chunks():
    h, expected = _filled(10)
    assert len(h) == 10
    assert np.array_equal(h.rows(), expected)
    assert np.array_equal(h.rows(2, 8), expected[2:8])
    assert np.array_equal(h.rows(5, 100), expected[5:])
    assert h.rows(4, 4).shape == (0, expected.shape[1])
    assert np.array_equal(h.column("dL/dW1", 1, 9), expected[1:9, _col("dL/dW1")])
    assert np.array_equal(h.row(-1), expected[-1])
    assert np.array_equal(h.row(4), expected[4])


def test_history_row_is_a_copy():
    h, expected = _filled(4)
    r = h.row(1)
    r[:] = -1
    assert np.array_equal(h.row(1), expected[1])


@pytest.mark.parametrize("index", [10, -11])
def test_history_index_out_of_range(index):
    h, _ = _filled(10)
    with pytest.raises(IndexError):
        h.row(index)


@pytest.mark.parametrize("keep", [1, 3, 4, 9])
def test_history_truncate_then_append(keep):
    h, expected = _filled(10)
    h.truncate(keep)
    assert len(h) == keep
    assert np.array_equal(h.rows(), expected[:keep])
    h.append(expected[9] + 0.5)
    assert len(h) == keep + 1
    assert np.array_equal(h.row(-1), expected[9] + 0.5)
    assert np.array_equal(h.rows(0, keep), expected[:keep])


@pytest.mark.parametrize("keep", [0, 11])
def test_history_truncate_refuses_bad_lengths(keep):
    h, _ = _filled(10)
    with pytest.raises(IndexError):
        h.truncate(keep)
    assert len(h) == 10


def test_a_run_stops_at_the_first_state_below_a_loss():
    from engine import DEFAULTS, PARAMS
    from engine.timeline import Timeline

    def line():
        return Timeline(Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], 0.01))
    free = line()
    free.run(300)
    losses = free.column("L")
    target = 0.5 * (losses[40] + losses[41])          # between two states: the first below is 41
    assert losses[40] > target > losses[41]
    stopped = line()
    assert stopped.run(300, stop_below=target) is None
    assert len(stopped) == 42
    assert stopped.rows().tobytes() == free.rows(0, 42).tobytes()
    unreached = line()
    unreached.run(30, stop_below=target)
    assert len(unreached) == 31
