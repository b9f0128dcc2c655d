"""Tanh against linear, as in the reference's comparison section."""

import math

from engine import DEFAULTS


def test_tanh_against_linear_at_the_worked_example(window):
    window.plots.setCurrentWidget(window.compare_view)
    window.flush()
    rows = {row.id: row for row in window.compare_view.rows}
    p, x, y = DEFAULTS, DEFAULTS["x"], DEFAULTS["y"]
    # linear network by hand: ŷ = W3(W2(W1x + b1) + b2) + b3
    h1 = p["W1"] * x + p["b1"]
    h2 = p["W2"] * h1 + p["b2"]
    error = 2 * (p["W3"] * h2 + p["b3"] - y)
    linear_dW1 = error * p["W3"] * p["W2"] * x
    # tanh network by hand
    t1 = math.tanh(p["W1"] * x + p["b1"])
    t2 = math.tanh(p["W2"] * t1 + p["b2"])
    tanh_dW1 = 2 * (p["W3"] * t2 + p["b3"] - y) * p["W3"] * (1 - t2 ** 2) * p["W2"] * (1 - t1 ** 2) * x
    assert math.isclose(rows["dL/dW1"].a, tanh_dW1, rel_tol=1e-12)
    assert math.isclose(rows["dL/dW1"].b, linear_dW1, rel_tol=1e-12)
    assert math.isclose(rows["dL/dW1"].ratio, linear_dW1 / tanh_dW1, rel_tol=1e-12)
    assert rows["dh1/dz1"].b == 1 and math.isclose(rows["dh1/dz1"].a, 1 - t1 ** 2, rel_tol=1e-12)
    table = window.compare_view.table
    assert table.item(0, 0).text() == "∂L/∂W₁" and table.rowCount() == 8


def test_choosing_other_activations(window):
    window.plots.setCurrentWidget(window.compare_view)
    box = window.compare_view.choice["B"]
    box.setCurrentIndex(box.findData("relu"))
    rows = {row.id: row for row in window.compare_view.rows}
    assert rows["dh1/dz1"].b == 1.0      # z₁ = 1.1 > 0: ReLU passes the signal whole
