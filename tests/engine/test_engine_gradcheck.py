"""engine.check_gradients: central differences against the analytic gradient."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.gradcheck import Cancelled, trainer_checks
from engine.init import initialize_network
from engine.network_training import NetworkTrainer
from engine_handcalc import (EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, PARAMS, batch_gradients,
                             batch_loss, gradients, loss)


def _check(p, xs, ys, alpha=EXAMPLE_ALPHA):
    return engine.check_gradients(p, np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), alpha)


def test_defaults_pass_the_check():
    checks = _check(dict(EXAMPLE), [EXAMPLE_X], [EXAMPLE_Y])
    assert [c.param for c in checks] == list(PARAMS)
    g = gradients(EXAMPLE, EXAMPLE_X, EXAMPLE_Y)
    for c in checks:
        assert c.relative_error < 1e-6, c
        assert not c.suspect
        assert c.analytic == pytest.approx(g[f"dL/d{c.param}"], rel=1e-12)
        # The relative error it reports is the one of its own two numbers.
        assert c.relative_error == pytest.approx(
            abs(c.analytic - c.numeric) / max(abs(c.analytic), abs(c.numeric)), rel=1e-9)


@pytest.mark.parametrize("p, x, y", [
    ({"W1": -1.1, "b1": 0.4, "W2": 2.0, "b2": -0.3, "W3": -0.7, "b3": 1.5}, -1.3, 0.8),
    ({"W1": 0.2, "b1": -0.9, "W2": -1.4, "b2": 0.6, "W3": 2.2, "b3": -0.4}, 2.5, -2.0),
    ({"W1": 1.5, "b1": 0.0, "W2": 0.9, "b2": 0.1, "W3": -1.8, "b3": 0.2}, 0.6, 3.0),
])
def test_moderate_states_pass_the_check(p, x, y):
    for c in _check(p, [x], [y]):
        assert c.relative_error < 1e-6, c
        assert not c.suspect


def test_batch_passes_the_check():
    xs, ys = [-1.0, 0.3, 1.7, 2.2], [0.5, -0.4, 2.0, 3.3]
    mean, _ = batch_gradients(EXAMPLE, xs, ys)
    for c in _check(dict(EXAMPLE), xs, ys):
        assert c.relative_error < 1e-6, c
        assert c.analytic == pytest.approx(mean[f"dL/d{c.param}"], rel=1e-12)


unit = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(p=st.fixed_dictionaries({q: unit for q in PARAMS}), x=unit, y=unit)
def test_numeric_gradient_is_a_central_difference_of_the_loss(p, x, y):
    # Whatever the state, the numeric value is within the rounding noise of a central
    # difference with step 1e-6·max(1, |p|) of the hand-written loss, and the analytic
    # value is the closed form.
    g = gradients(p, x, y)
    L = loss(p, x, y)
    for c in _check(p, [x], [y]):
        assert c.analytic == pytest.approx(g[f"dL/d{c.param}"], rel=1e-12, abs=1e-300)
        step = 1e-6 * max(1.0, abs(p[c.param]))
        noise = 1e-14 * (1.0 + L) / step + 1e-6 * abs(c.analytic)
        assert abs(c.numeric - c.analytic) <= noise, c


def test_saturated_tanh_is_not_flagged():
    # z1 = 3·3 + 3 = 12: 1 − h1² ≈ 1.5e-10, so ∂L/∂W₁ ≈ 3e-10 — correct, but the change
    # of L over the difference step is below L's rounding, so its relative error is ~0.2.
    p = {"W1": 3.0, "b1": 3.0, "W2": 1.0, "b2": 0.0, "W3": 1.0, "b3": 0.0}
    g = gradients(p, 3.0, 0.0)
    checks = {c.param: c for c in _check(p, [3.0], [0.0])}
    assert checks["W1"].analytic == pytest.approx(g["dL/dW1"], rel=1e-12)
    assert not any(c.suspect for c in checks.values()), checks


def test_a_wrong_gradient_is_flagged():
    # The check is not vacuous: a term table with a wrong dL/dW3 (missing the factor h2)
    # is caught for W3 only.
    from engine.terms import TERMS, TermDef
    wrong = tuple(TermDef(t.id, "dL_dz3", t.section, t.node, t.mean) if t.id == "dL/dW3" else t
                  for t in TERMS)
    checks = {c.param: c for c in engine.gradcheck.check_table(
        wrong, dict(EXAMPLE), np.array([EXAMPLE_X]), np.array([EXAMPLE_Y]), EXAMPLE_ALPHA)}
    assert checks["W3"].suspect
    assert checks["W3"].relative_error > 0.1
    assert not any(checks[p].suspect for p in PARAMS if p != "W3")


def test_batch_loss_helper_agrees_with_engine():
    # The hand loss the checks above rely on is the engine's L.
    xs, ys = [-1.0, 0.3, 1.7], [0.5, -0.4, 2.0]
    d = engine.derive(dict(EXAMPLE), np.array(xs), np.array(ys), EXAMPLE_ALPHA)
    assert d["L"].value == pytest.approx(batch_loss(EXAMPLE, xs, ys), rel=1e-13)


def _told_to_stop_at(call):
    """A stopped() that says stop the ``call``-th time it is asked, and counts the asking."""
    asked = []

    def stopped():
        asked.append(1)
        return len(asked) >= call
    return stopped, asked


def test_the_checks_give_up_when_told_and_not_before():
    x = np.linspace(-1, 1, 5000)   # enough samples that the network's moved copies go in several blocks
    chain = engine.Trainer(dict(EXAMPLE), x, np.sin(x), 0.05)
    layers = (1, 8, 8, 1)
    network = NetworkTrainer(engine.Spec(layers=layers), initialize_network("xavier", 0, layers),
                             x, np.sin(x), 0.05)
    for check in (lambda stopped: trainer_checks(chain, 0, stopped), lambda stopped: network.checks(0, stopped)):
        stopped, asked = _told_to_stop_at(2)
        with pytest.raises(Cancelled):
            check(stopped)
        assert len(asked) == 2                      # it gave up at once, asking no more
        never, asked = _told_to_stop_at(10 ** 9)
        assert check(never) == check(None) and len(asked) >= 2   # asked as it went, and the same checks
