"""Substitutions show enough digits that their arithmetic gives the value shown:
"1 − 1²" for 6.75e−09 becomes "1 − 0.9999999966249²"."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import derive, evaluate, expr
from engine_handcalc import EXAMPLE, EXAMPLE_X, EXAMPLE_Y

# Each source with the same expression written out in Python by hand.
EXPRESSIONS = {
    "1 - h ** 2": lambda v: 1 - v["h"] * v["h"],
    "a - b": lambda v: v["a"] - v["b"],
    "a * b + c": lambda v: v["a"] * v["b"] + v["c"],
    "h * (1 - h)": lambda v: v["h"] * (1 - v["h"]),
    "tanh(a * b + c)": lambda v: math.tanh(v["a"] * v["b"] + v["c"]),
}


def _read(text):
    """A shown number as a reader types it into a calculator."""
    return float(text.replace("−", "-"))


def _agrees(shown, value, digits=5):
    """Within one unit in the ``digits``-th significant place of ``value``."""
    if value == 0:
        return shown == 0
    return abs(shown - value) <= 10.0 ** (math.floor(math.log10(abs(value))) - (digits - 1))


def test_a_saturated_tanh_shows_the_digits_that_matter():
    # W₁ = 5 on the worked example: z₁ = 10.1, 1 − h₁² = sech²(10.1) ≈ 6.75e−9.
    p = {**EXAMPLE, "W1": 5.0}
    values = evaluate(p, EXAMPLE_X, EXAMPLE_Y, 0.01)
    texts = expr.shown_numbers("1 - h1 ** 2", values)
    assert texts["h1"] != "1"                            # the "1 − 1²"
    h1 = _read(texts["h1"])
    sech2 = 1.0 / math.cosh(10.1) ** 2                   # no cancellation: an independent value
    assert 1 - h1 * h1 == pytest.approx(sech2, rel=2e-4)
    assert len(texts["h1"]) < 19                         # no more digits than needed
    # Five digits suffice for the product that uses it: its factors are not cancelled.
    assert expr.shown_numbers("dL_dh1 * dh1_dz1", values) == {
        "dL_dh1": expr.number(values["dL_dh1"]), "dh1_dz1": expr.number(values["dh1_dz1"])}


def test_the_worked_example_keeps_five_digits():
    values = evaluate(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 0.01)
    assert expr.shown_numbers("W2 * h1 + b2", values) == {"W2": "0.8", "h1": "0.8005", "b2": "−0.2"}
    assert expr.shown_numbers("1 - h2 ** 2", values) == {"h2": "0.41398"}


def test_the_derivation_shows_the_digits():
    d = derive({**EXAMPLE, "W1": 5.0}, EXAMPLE_X, EXAMPLE_Y, 0.01)
    text = d["dh1/dz1"].substitution
    h1 = _read(text.removeprefix("1 − ").removesuffix("²"))
    assert 1 - h1 * h1 == pytest.approx(1.0 / math.cosh(10.1) ** 2, rel=2e-4)


wide = st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False)
near_one = st.floats(0.9, 1.0, exclude_max=False)


@settings(max_examples=200, deadline=None)
@given(source=st.sampled_from(sorted(EXPRESSIONS)), a=wide, b=wide, c=wide, h=near_one)
def test_the_shown_arithmetic_gives_the_value(source, a, b, c, h):
    values = {"a": a, "b": b, "c": c, "h": h}
    exact = EXPRESSIONS[source](values)
    texts = expr.shown_numbers(source, values)
    shown = EXPRESSIONS[source]({**values, **{n: _read(t) for n, t in texts.items()}})
    # Either the arithmetic on the numbers as shown gives the value to its five digits,
    # or every number is shown in full (it reads back as the identical float64).
    assert _agrees(shown, exact) or all(_read(t) == values[n] for n, t in texts.items()), (texts, exact)
    # Never fewer than five digits, nor more than needed: five where five agree.
    five = {n: expr.number(values[n]) for n in texts}
    if _agrees(EXPRESSIONS[source]({**values, **{n: _read(t) for n, t in five.items()}}), exact):
        assert texts == five
    for n, t in texts.items():
        assert _read(t) == pytest.approx(values[n], rel=1e-4, abs=0)


@settings(max_examples=60, deadline=None)
@given(w1=st.floats(3.0, 6.5), b1=st.floats(-1.0, 1.0))   # z₁ ≤ 14: float64 keeps 1 − h₁² to 1e−3
def test_saturated_units_show_a_checkable_one_minus_h_squared(w1, b1):
    p = {**EXAMPLE, "W1": w1, "b1": b1}
    values = evaluate(p, EXAMPLE_X, EXAMPLE_Y, 0.01)
    h1 = _read(expr.shown_numbers("1 - h1 ** 2", values)["h1"])
    z1 = w1 * EXAMPLE_X + b1
    assert 1 - h1 * h1 == pytest.approx(1.0 / math.cosh(z1) ** 2, rel=1e-3)
