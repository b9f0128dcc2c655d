"""The loss convention: (ŷ − y)², the reference's, or ½(ŷ − y)².

The expected numbers are computed here by hand (math.tanh and Python floats);
the expected texts are written out as the table should show them.
"""

import math

import numpy as np
import pytest

from engine import LOSSES, Spec, Trainer, check_gradients, derive, evaluate, section_titles, terms_for
from engine_handcalc import EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, GRADIENT_IDS, PARAMS

XS = np.array([2.0, -1.5, 0.7, -0.3])
YS = np.array([4.0, -1.0, 0.5, 2.0])


def fmt(value):
    """Five significant digits and a true minus, as the table shows numbers."""
    return f"{value + 0.0:.5g}".replace("-", "−")


def yhat_by_hand(p, x):
    return p["W3"] * math.tanh(p["W2"] * math.tanh(p["W1"] * x + p["b1"]) + p["b2"]) + p["b3"]


def loss_by_hand(p, xs, ys, half):
    errors = [yhat_by_hand(p, x) - y for x, y in zip(xs, ys)]
    return math.fsum((0.5 if half else 1.0) * e * e for e in errors) / len(errors)


def test_the_loss_names():
    assert LOSSES == ("squared", "half-squared")
    assert Spec().loss == "squared"


def test_squared_loss_rows():
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA, Spec(loss="squared"))
    e = yhat_by_hand(EXAMPLE, EXAMPLE_X) - EXAMPLE_Y
    assert d["L"].formula == "(ŷ − y)²" and d["L"].substitution == f"({fmt(e)})²"
    assert math.isclose(d["L"].value, e * e, rel_tol=1e-14)
    assert d["dL/dyhat"].formula == "2(ŷ − y)" and d["dL/dyhat"].substitution == f"2({fmt(e)})"
    assert math.isclose(d["dL/dyhat"].value, 2 * e, rel_tol=1e-14)
    assert d["L_next"].formula == "(ŷ′ − y)²"


def test_half_squared_loss_rows():
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA, Spec(loss="half-squared"))
    e = yhat_by_hand(EXAMPLE, EXAMPLE_X) - EXAMPLE_Y      # negative here: bracketed
    assert e < 0
    assert d["L"].formula == "½(ŷ − y)²" and d["L"].substitution == f"½({fmt(e)})²"
    assert math.isclose(d["L"].value, e * e / 2, rel_tol=1e-14)
    assert d["dL/dyhat"].formula == "ŷ − y" and d["dL/dyhat"].substitution == fmt(e)
    assert math.isclose(d["dL/dyhat"].value, e, rel_tol=1e-14)
    assert d["L_next"].formula == "½(ŷ′ − y)²"
    # A positive error needs no brackets.
    d = derive(EXAMPLE, EXAMPLE_X, -1.0, EXAMPLE_ALPHA, Spec(loss="half-squared"))
    e = yhat_by_hand(EXAMPLE, EXAMPLE_X) + 1.0
    assert d["L"].substitution == f"½ × {fmt(e)}²"


@pytest.mark.parametrize("half", [False, True])
@pytest.mark.parametrize("batch", [False, True])
def test_loss_and_gradients_against_central_differences(half, batch):
    xs, ys = (XS, YS) if batch else (XS[:1], YS[:1])
    spec = Spec(loss="half-squared" if half else "squared")
    values = evaluate(EXAMPLE, xs, ys, EXAMPLE_ALPHA, spec)
    assert math.isclose(float(values["L"]), loss_by_hand(EXAMPLE, xs, ys, half), rel_tol=1e-12)
    for q in PARAMS:
        s = 1e-6 * max(1.0, abs(EXAMPLE[q]))
        up = loss_by_hand({**EXAMPLE, q: EXAMPLE[q] + s}, xs, ys, half)
        down = loss_by_hand({**EXAMPLE, q: EXAMPLE[q] - s}, xs, ys, half)
        assert math.isclose(float(values[f"dL_d{q}"]), (up - down) / (2 * s), rel_tol=1e-6), q
    assert not any(c.suspect for c in check_gradients(EXAMPLE, xs, ys, EXAMPLE_ALPHA, spec))


@pytest.mark.parametrize("a1, a2", [("tanh", "tanh"), ("relu", "sigmoid"), ("leaky_relu", "linear")])
@pytest.mark.parametrize("batch", [False, True])
def test_half_the_loss_has_exactly_half_the_gradient(a1, a2, batch):
    # Halving is exact in binary floating point, so every value is exactly half.
    x, y = (XS, YS) if batch else (EXAMPLE_X, EXAMPLE_Y)
    full = derive(EXAMPLE, x, y, EXAMPLE_ALPHA, Spec(a1, a2, 0.1, "squared"))
    half = derive(EXAMPLE, x, y, EXAMPLE_ALPHA, Spec(a1, a2, 0.1, "half-squared"))
    for term_id in ("L", "dL/dyhat", "dL/dz3", "dL/dh2", "dL/dz2", "dL/dh1", "dL/dz1") + GRADIENT_IDS:
        assert full[term_id].value == 2 * half[term_id].value, term_id
    for term_id in ("z1", "h1", "z2", "h2", "yhat", "err"):
        assert full[term_id].value == half[term_id].value


@pytest.mark.parametrize("batch", [False, True])
def test_half_squared_at_twice_the_rate_trains_exactly_like_squared(batch):
    x, y = (XS, YS) if batch else (EXAMPLE_X, EXAMPLE_Y)
    full = Trainer(dict(EXAMPLE), x, y, 0.01, spec=Spec(loss="squared"))
    half = Trainer(dict(EXAMPLE), x, y, 0.02, spec=Spec(loss="half-squared"))
    full.run(200)
    half.run(200)
    for q in PARAMS:
        assert half.history.column(q).tolist() == full.history.column(q).tolist(), q
    assert (2 * half.history.column("L")).tolist() == full.history.column("L").tolist()
    # and at the same rate it takes half steps: a different trajectory.
    same_rate = Trainer(dict(EXAMPLE), x, y, 0.01, spec=Spec(loss="half-squared"))
    same_rate.run(5)
    assert same_rate.params(5)["W3"] != full.params(5)["W3"]


def test_the_loss_does_not_change_titles_or_the_default_captions():
    assert section_titles(Spec(loss="half-squared")) == section_titles(Spec())
    half = {t.id: t.caption for t in terms_for(Spec(loss="half-squared"))}
    full = {t.id: t.caption for t in terms_for(Spec())}
    assert "½" in half["L"] and "½" in half["dL/dyhat"] and "2(ŷ − y)" in full["dL/dyhat"]
    assert {k for k in half if half[k] != full[k]} == {"L", "dL/dyhat"}
