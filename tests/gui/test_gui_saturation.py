"""A saturated unit is flagged on the diagram, and only then."""

import math

from engine import DEFAULTS


def test_no_flag_at_the_worked_example(window):
    # 1 − h₁² = 0.359 and 1 − h₂² = 0.829: both well above 0.05
    assert window.diagram.texts["h1.flag"].text() == ""
    assert window.diagram.texts["h2.flag"].text() == ""


def test_a_saturated_unit_is_flagged(window):
    window.set_value("W1", 3.0)      # z₁ = 3·2 + 0.1 = 6.1: tanh saturates
    window.flush()
    factor = 1 - math.tanh(3.0 * DEFAULTS["x"] + DEFAULTS["b1"]) ** 2
    assert factor < 0.05
    text = window.diagram.texts["h1.flag"].text()
    assert "saturated" in text and "∂h₁/∂z₁" in text
    assert window.diagram.shapes["h1"].pen().color() != window.diagram.shapes["h2"].pen().color()
    assert window.diagram.texts["h2.flag"].text() == ""
