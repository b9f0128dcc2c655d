"""Refused inputs, and divergence of training."""

import math

import numpy as np
import pytest

import engine
import engine.training
from engine import Divergence, InputError, Trainer
from engine_handcalc import EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, PARAMS, gradients, loss, update

NAN, INF = float("nan"), float("inf")


def _make(name, value):
    params = dict(EXAMPLE)
    x, y, alpha = EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA
    if name in params:
        params[name] = value
    elif name == "x":
        x = value
    elif name == "y":
        y = value
    else:
        alpha = value
    return Trainer(params, x, y, alpha)


BAD = [NAN, INF, -INF, 1000.5, -1e6]
CASES = [(name, bad) for name in PARAMS + ("x", "y") for bad in BAD]
CASES += [(name, "abc") for name in PARAMS]  # non-numeric x, y: see below
CASES += [("alpha", bad) for bad in (NAN, INF, -INF, -0.001, 100.5, "abc")]


@pytest.mark.parametrize("name, bad", CASES)
def test_bad_value_raises_input_error_naming_it(name, bad):
    with pytest.raises(InputError) as info:
        _make(name, bad)
    assert info.value.name == name
    assert str(info.value).startswith(f"{name}:")


@pytest.mark.parametrize("name, edge", [("W1", 1000.0), ("b3", -1000.0), ("x", 1000.0),
                                        ("y", -1000.0), ("alpha", 0.0), ("alpha", 100.0)])
def test_range_edges_are_accepted(name, edge):
    t = _make(name, edge)
    assert len(t) == 1


@pytest.mark.parametrize("which", ["x", "y"])
@pytest.mark.parametrize("bad", [NAN, INF, 2000.0])
def test_bad_sample_in_a_batch_is_named(which, bad):
    xs, ys = [0.1, 0.2, 0.3, 0.4], [1.0, 2.0, 3.0, 4.0]
    (xs if which == "x" else ys)[2] = bad
    with pytest.raises(InputError) as info:
        Trainer(dict(EXAMPLE), xs, ys, EXAMPLE_ALPHA)
    assert info.value.name == which
    assert which in str(info.value)


@pytest.mark.parametrize("xs, ys", [([1.0, 2.0], [1.0]), ([], []), ([[1.0, 2.0]], [[1.0, 2.0]])])
def test_mismatched_or_empty_samples_refused(xs, ys):
    with pytest.raises(InputError) as info:
        Trainer(dict(EXAMPLE), xs, ys, EXAMPLE_ALPHA)
    assert info.value.name in ("x", "y")


@pytest.mark.parametrize("steps", [-1, -100])
def test_negative_steps_refused(steps):
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)
    with pytest.raises(InputError) as info:
        t.run(steps)
    assert "steps" in str(info.value)
    assert len(t) == 1


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


@pytest.mark.parametrize("name", ["W1", "alpha"])
def test_huge_integer_raises_input_error(name):
    with pytest.raises(InputError) as info:
        _make(name, 10 ** 400)
    assert info.value.name == name


@pytest.mark.parametrize("xs, ys, named", [
    ("abc", 4.0, "x"), ([1.0, "abc"], [1.0, 2.0], "x"), ([1.0, 2.0], [None, "z"], "y"),
    ([1.0, [2.0]], [1.0, 2.0], "x"),
])
def test_non_numeric_samples_raise_input_error(xs, ys, named):
    with pytest.raises(InputError) as info:
        Trainer(dict(EXAMPLE), xs, ys, EXAMPLE_ALPHA)
    assert info.value.name in ("x", "y")
    assert named in str(info.value)


def test_trainer_does_not_take_over_the_callers_arrays():
    xs, ys = np.array([0.5, 1.0, 2.0]), np.array([1.0, 2.0, 4.0])
    t = Trainer(dict(EXAMPLE), xs, ys, EXAMPLE_ALPHA)
    assert xs.flags.writeable and ys.flags.writeable
    assert not np.shares_memory(t.x, xs) and not np.shares_memory(t.y, ys)
    t.run(3)
    before = t.history.rows()
    xs[:] = 100.0  # the caller changes its array: the trainer's samples do not change
    assert np.array_equal(t.x, [0.5, 1.0, 2.0])
    for k in range(4):
        assert t.derivation(k)["L"].value == before[k, engine.compiled.ROW.index("L")]


# --- divergence ------------------------------------------------------------------

TERM_IDS = {t.id for t in engine.TERMS}


@pytest.fixture(scope="module")
def diverged():
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 50.0)
    return t, t.run(10000)


def test_divergence_is_reported(diverged):
    t, d = diverged
    assert isinstance(d, Divergence)
    assert t.divergence == d
    assert 1 <= d.step < 10000
    assert d.step == len(t.history)  # the index of the rejected state
    assert d.quantity in TERM_IDS
    assert not math.isfinite(d.value)
    assert str(d.step) in d.message and d.symbol in d.message


def test_every_recorded_state_is_finite(diverged):
    t, _ = diverged
    assert np.isfinite(t.history.rows()).all()


def test_the_rejected_state_is_really_non_finite(diverged):
    # By hand, from the last kept state: one more update gives finite parameters whose
    # loss overflows, so the last state's look-ahead L′ is what becomes non-finite.
    t, d = diverged
    p = t.params(-1)
    assert math.isfinite(loss(p, EXAMPLE_X, EXAMPLE_Y))
    nxt = update(p, gradients(p, EXAMPLE_X, EXAMPLE_Y), 50.0)
    assert all(math.isfinite(v) for v in nxt.values())
    assert loss(nxt, EXAMPLE_X, EXAMPLE_Y) == INF
    last = t.derivation(-1)
    assert last.first_non_finite().id == d.quantity
    assert d.value == last[d.quantity].value == INF
    for q in PARAMS:
        assert math.isfinite(last[f"{q}_next"].value)


def test_run_after_divergence_adds_nothing(diverged):
    t, d = diverged
    before = t.history.rows()
    assert t.run(10) == d
    assert t.step() == d
    assert t.run(0) == d
    assert np.array_equal(t.history.rows(), before)


def test_divergence_does_not_depend_on_chunking(diverged, monkeypatch):
    t, d = diverged
    chunked = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 50.0, chunk_rows=5)
    got = None
    for _ in range(40):
        got = chunked.run(3)
        if got is not None:
            break
    assert got == d
    assert np.array_equal(chunked.history.rows(), t.history.rows())


def test_batch_divergence():
    t = Trainer(dict(EXAMPLE), [1.0, 2.0, 3.0], [4.0, -4.0, 8.0], 100.0)
    d = t.run(10000)
    assert isinstance(d, Divergence)
    assert d.step == len(t.history)
    assert not math.isfinite(d.value)
    assert np.isfinite(t.history.rows()).all()


def test_small_alpha_does_not_diverge():
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)
    assert t.run(2000) is None
    assert t.divergence is None
    assert len(t) == 2001
