"""A batch of samples: means over a per-sample loop, and n = 1 as the scalar path."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import Trainer
from engine_handcalc import (EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, GRADIENT_IDS, PARAMS,
                             batch_gradients, batch_loss, batch_loss_tolerance, close, forward,
                             update)

unit = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
states = st.fixed_dictionaries({p: unit for p in PARAMS})
samples = st.integers(2, 8).flatmap(
    lambda n: st.tuples(st.lists(unit, min_size=n, max_size=n), st.lists(unit, min_size=n, max_size=n)))


def _check_batch(p, xs, ys, alpha):
    t = Trainer(p, xs, ys, alpha)
    d = t.derivation(0)
    assert d.n_samples == len(xs)
    mean, tol = batch_gradients(p, xs, ys)
    for g in GRADIENT_IDS:
        assert abs(d[g].value - mean[g]) <= tol[g], (g, d[g].value, mean[g], tol[g])
        assert t.gradients(0)[g] == d[g].value
    assert abs(d["L"].value - batch_loss(p, xs, ys)) <= batch_loss_tolerance(p, xs, ys)
    after = update(p, mean, alpha)
    for q in PARAMS:
        g = f"dL/d{q}"
        assert abs(d[f"{q}_next"].value - after[q]) <= 1e-12 * abs(after[q]) + alpha * tol[g], q
    engine_after = {q: d[f"{q}_next"].value for q in PARAMS}
    assert (abs(d["L_next"].value - batch_loss(engine_after, xs, ys))
            <= batch_loss_tolerance(engine_after, xs, ys))


def test_batch_at_fixed_samples():
    xs = [-2.0, -0.5, 0.0, 0.7, 2.0, 2.9]
    ys = [1.0, -1.0, 0.5, 2.0, 4.0, -3.0]
    _check_batch(dict(EXAMPLE), xs, ys, 0.05)


@settings(max_examples=60, deadline=None)
@given(p=states, xy=samples, alpha=st.floats(0.0, 1.0))
def test_batch_means_match_a_per_sample_loop(p, xy, alpha):
    xs, ys = xy
    _check_batch(p, xs, ys, alpha)


def test_batch_per_sample_terms_show_the_mean():
    xs, ys = [-1.0, 0.5, 2.0], [0.0, 1.0, 4.0]
    d = Trainer(dict(EXAMPLE), xs, ys, EXAMPLE_ALPHA).derivation(0)
    yhats = [forward(EXAMPLE, x)[-1] for x in xs]
    assert close(d["yhat"].value, sum(yhats) / 3, rel=1e-12)
    assert "3" in d["L"].substitution  # averaged over the 3 samples
    assert "3" in d["dL/dW1"].substitution


def test_two_identical_samples_equal_one():
    one = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA).derivation(0)
    two = Trainer(dict(EXAMPLE), [EXAMPLE_X] * 2, [EXAMPLE_Y] * 2, EXAMPLE_ALPHA).derivation(0)
    for g in GRADIENT_IDS + ("L", "L_next"):
        assert close(one[g].value, two[g].value, rel=1e-14), g


@pytest.mark.parametrize("as_array", [
    lambda v: np.array([v]), lambda v: [v], lambda v: (v,), lambda v: np.float64(v),
])
def test_one_sample_array_is_the_scalar_path(as_array):
    scalar = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)
    wrapped = Trainer(dict(EXAMPLE), as_array(EXAMPLE_X), as_array(EXAMPLE_Y), EXAMPLE_ALPHA)
    scalar.run(20)
    wrapped.run(20)
    assert np.array_equal(scalar.history.rows(), wrapped.history.rows())
    a, b = scalar.derivation(7), wrapped.derivation(7)
    assert [(t.id, t.value, t.substitution) for t in a] == [(t.id, t.value, t.substitution) for t in b]


def test_engine_derive_on_arrays_matches_trainer():
    xs, ys = np.array([-1.0, 0.5, 2.0]), np.array([0.0, 1.0, 4.0])
    d = engine.derive(dict(EXAMPLE), xs, ys, EXAMPLE_ALPHA)
    t = Trainer(dict(EXAMPLE), xs.copy(), ys.copy(), EXAMPLE_ALPHA).derivation(0)
    assert [(r.id, r.value) for r in d] == [(r.id, r.value) for r in t]
