"""The derivation table's check columns: the engine's rule in the header tooltips,
a verdict mark per gradient and, where only the floor made it pass, why."""

import numpy as np
from PySide6.QtCore import Qt

from engine import derive
from engine.gradcheck import CHECK_RULE, QUOTIENT_TEXT, WITHIN_FLOOR, Check, check_gradients
from gui.derivation_table import CHECKED, ERROR, DerivationTable

EXAMPLE = {"W1": 0.5, "b1": 0.1, "W2": 0.8, "b2": -0.2, "W3": 1.2, "b3": 0.3}


def _table(qtbot, params, checks=None):
    table = DerivationTable()
    qtbot.addWidget(table)
    x, y = np.array([2.0]), np.array([4.0])
    checks = check_gradients(params, x, y, 0.01) if checks is None else checks
    table.set_derivation(derive(params, x, y, 0.01), checks)
    model = table.derivation_model
    rows = {model.term(r).id: r for r in model.term_rows()}
    return model, rows, table   # the table owns the model: keep it alive


def test_the_headers_show_the_engines_rule(qtbot):
    model, _, _table_ = _table(qtbot, EXAMPLE)
    tip = model.headerData(ERROR, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert CHECK_RULE in tip and "1e−6" in tip and "floor" in tip
    assert model.headerData(CHECKED, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == QUOTIENT_TEXT
    assert model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) is None


def test_w1_of_5_is_marked_as_passing_only_within_the_floor(qtbot):
    model, rows, _table_ = _table(qtbot, {**EXAMPLE, "W1": 5.0})
    w1 = model.index(rows["dL/dW1"], ERROR)
    text = w1.data()
    relative = float(text.split()[0].replace("−", "-"))
    assert relative > 1e-6                       # the issue: this was shown with a plain ✓
    assert WITHIN_FLOOR in text and "✓" not in text and "⚠" not in text
    tip = w1.data(Qt.ItemDataRole.ToolTipRole)
    assert "floor" in tip and "|analytic − numerical|" in tip and "rounding of L" in tip
    assert w1.data(Qt.ItemDataRole.BackgroundRole) is None     # not flagged as wrong
    for gradient in ("dL/dW2", "dL/db2", "dL/dW3", "dL/db3"):
        assert model.index(rows[gradient], ERROR).data().endswith("✓")


def test_a_wrong_gradient_is_marked_and_coloured(qtbot):
    wrong = [Check("W2", 1.0, 1.1, 0.1 / 1.1, 1e-9)]
    model, rows, _table_ = _table(qtbot, EXAMPLE, wrong)
    cell = model.index(rows["dL/dW2"], ERROR)
    assert "⚠ differs" in cell.data()
    assert cell.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "Differs" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(rows["dL/dW1"], ERROR).data() == ""    # no check given for it
