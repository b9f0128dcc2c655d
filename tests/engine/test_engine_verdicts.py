"""The gradient check's verdicts: one rule (relative error with an absolute floor),
a mark and a reason per gradient.  Reproduces the two reports of the issue: relative
errors of 2.3e−3 (W₁ = 5) and 7.7e−2 (L ≈ 1e−29) were shown as a plain ✓."""

import math
import sys

import numpy as np
import pytest

import engine
from engine import Trainer
from engine.gradcheck import (AGREES, CHECK_RULE, DIFFERS, FLAG_ABOVE, NO_CHECK, WITHIN_FLOOR, Check, check_table,
                              check_gradients, relative_error)
from engine_handcalc import (EXAMPLE, EXAMPLE_X, EXAMPLE_Y, PARAMS, five_point_derivative, gradients,
                             loss, rounding_spread)

EPS = sys.float_info.epsilon


def _checks(p, x, y, alpha=0.01):
    return {c.param: c for c in check_gradients(p, np.array([x]), np.array([y]), alpha)}


def _hand_quotient(p, name, x, y):
    """The check's central difference, by hand: step 1e−6·max(1, |θ|)."""
    h = 1e-6 * max(1.0, abs(p[name]))
    up, down = (loss({**p, name: p[name] + s * h}, x, y) for s in (1.0, -1.0))
    return (up - down) / (2 * h), h, up, down


def test_w1_of_5_agrees_only_within_the_floor():
    p = {**EXAMPLE, "W1": 5.0}
    checks = _checks(p, EXAMPLE_X, EXAMPLE_Y)
    c = checks["W1"]
    # The analytic gradient is right: the closed form, and a five-point difference with a
    # step large enough that L's rounding (ε·L/h ≈ 2e−12) is far below the gradient (5.6e−8).
    closed = gradients(p, EXAMPLE_X, EXAMPLE_Y)["dL/dW1"]
    assert c.analytic == pytest.approx(closed, rel=1e-9)
    assert c.analytic == pytest.approx(five_point_derivative(lambda q: loss(q, EXAMPLE_X, EXAMPLE_Y), p, "W1"),
                                       rel=1e-3)
    # The central difference of step 5e−6 cannot resolve it: the 2.3e−3.
    quotient, h, up, down = _hand_quotient(p, "W1", EXAMPLE_X, EXAMPLE_Y)
    assert c.numeric == pytest.approx(quotient, abs=64 * EPS * (up + down) / (2 * h))
    assert 1e-3 < c.relative_error < 1e-2
    assert c.relative_error > FLAG_ABOVE
    # ... which is what the floor says: L's rounding over the step, by hand.
    floor = 16 * EPS * (abs(up) + abs(down)) / (2 * h)
    assert c.noise == pytest.approx(floor, rel=1e-6)
    assert abs(c.analytic - c.numeric) <= floor
    # So it is not a plain ✓ (the relative error is above 1e−6), nor a ⚠.
    assert c.verdict == WITHIN_FLOOR and not c.suspect
    assert "floor" in c.reason and "2.3e−3" in c.reason and "6.6e−9" in c.reason
    assert "rounding of L" in c.reason
    # The other five are far above the floor: the relative rule alone decides them.
    for q in PARAMS[2:]:
        assert checks[q].verdict == AGREES, checks[q]
        assert checks[q].noise < FLAG_ABOVE * abs(checks[q].analytic)
        assert checks[q].reason.startswith("Agrees")


@pytest.fixture(scope="module")
def near_fit():
    """The first state of the worked example's training (α = 0.05) with L below 1e−28."""
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 0.05)
    t.run(400)
    step = next(k for k in range(len(t)) if loss(t.params(k), EXAMPLE_X, EXAMPLE_Y) < 1e-28)
    return t.params(step)


def test_a_fit_with_a_loss_of_1e_29_is_not_shown_as_a_plain_pass(near_fit):
    p = near_fit
    assert 1e-30 < loss(p, EXAMPLE_X, EXAMPLE_Y) < 1e-28
    checks = _checks(p, EXAMPLE_X, EXAMPLE_Y, 0.05)
    closed = gradients(p, EXAMPLE_X, EXAMPLE_Y)
    spread = rounding_spread(p, EXAMPLE_X, EXAMPLE_Y)
    loose = [c for c in checks.values() if c.relative_error > FLAG_ABOVE]
    assert loose   # the case: relative errors far above 1e−6 ...
    for c in checks.values():
        # ... of gradients that are right (the closed form, within its rounding) ...
        assert abs(c.analytic - closed[f"dL/d{c.param}"]) <= 4 * spread[f"dL/d{c.param}"] + 1e-300
        # ... are marked ≈, with their reason, never ✓ nor ⚠.
        if c.relative_error > FLAG_ABOVE:
            assert c.verdict == WITHIN_FLOOR, c
            assert abs(c.analytic - c.numeric) <= c.noise
            assert c.reason.startswith("Agrees within the floor")
        else:
            assert c.verdict == AGREES


def test_defaults_agree_by_the_relative_rule_alone():
    for c in _checks(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y).values():
        assert c.verdict == AGREES
        assert c.relative_error <= FLAG_ABOVE


def test_a_wrong_gradient_differs_and_says_by_how_much():
    from engine.terms import TERMS, TermDef
    wrong = tuple(TermDef(t.id, "dL_dz3", t.section, t.node, t.mean) if t.id == "dL/dW3" else t
                  for t in TERMS)
    checks = {c.param: c for c in check_table(wrong, dict(EXAMPLE), np.array([EXAMPLE_X]),
                                              np.array([EXAMPLE_Y]), 0.01)}
    c = checks["W3"]
    assert c.verdict == DIFFERS and c.suspect
    # The closed form's dL/dz3 = 2(ŷ − y), dL/dW3 = that × h2: the wrong table is off by 1 − h2.
    g = gradients(EXAMPLE, EXAMPLE_X, EXAMPLE_Y)
    assert c.analytic == pytest.approx(g["dL/db3"], rel=1e-12)
    assert c.numeric == pytest.approx(g["dL/dW3"], rel=1e-6)
    assert c.reason.startswith("Differs") and "floor" in c.reason
    assert all(checks[q].verdict == AGREES for q in PARAMS if q != "W3")


def test_a_non_finite_quotient_gives_no_verdict():
    c = Check("W1", -3.5, math.inf, relative_error(-3.5, math.inf), 0.0)
    assert c.verdict == NO_CHECK and not c.suspect and "not a finite" in c.reason


@pytest.mark.parametrize("analytic, numeric, noise, verdict", [
    (1.0, 1.0 + 0.5e-6, 0.0, AGREES),           # within 1e−6 relative
    (1.0, 1.0 + 2e-6, 0.0, DIFFERS),            # beyond it, no floor
    (1.0, 1.0 + 2e-6, 1.5e-6, WITHIN_FLOOR),    # 2e−6 ≤ 1e−6·(1 + 2e−6) + 1.5e−6
    (1e-12, 3e-12, 1e-11, WITHIN_FLOOR),        # a gradient near zero: only the floor
    (1e-12, 3e-12, 1e-13, DIFFERS),
])
def test_the_rule_is_relative_error_plus_an_absolute_floor(analytic, numeric, noise, verdict):
    # The cases are written from CHECK_RULE's words: |a − n| ≤ 1e−6·max(|a|, |n|) + floor.
    assert "1e−6 × max(|analytic|, |numerical|)" in CHECK_RULE and "+ floor" in CHECK_RULE
    c = Check("W1", analytic, numeric, relative_error(analytic, numeric), noise)
    assert c.verdict == verdict


def test_the_rule_names_every_mark():
    for mark in (AGREES, WITHIN_FLOOR, DIFFERS, NO_CHECK):
        assert mark in CHECK_RULE
    assert len({AGREES, WITHIN_FLOOR, DIFFERS, NO_CHECK}) == 4
    assert engine.check_gradients is check_gradients
