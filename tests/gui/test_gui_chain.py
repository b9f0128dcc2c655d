"""Why is ∂L/∂W₁ smaller than ∂L/∂W₂?  Hovering or selecting a gradient row
lights every factor of its chain, says the product in a tooltip and tells the
diagram which elements the chain runs along."""

import math

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from engine import DEFAULTS
from gui.derivation_table import CHAIN_ROLE, DerivationTable
from helpers import fresh_derivation

# Written from the network, not from the code: ∂L/∂W₁ = ∂L/∂ŷ · W₃ · (1 − h₂²) · W₂ · (1 − h₁²) · x.
W1_FACTORS = {"dL/dyhat", "dz3/dh2", "dh2/dz2", "dz2/dh1", "dh1/dz1", "dz1/dW1"}
W1_PATH = ("L", "yhat", "W3", "h2", "W2", "h1", "W1", "x")
W2_FACTORS = {"dL/dyhat", "dz3/dh2", "dh2/dz2", "dz2/dW2"}
W2_PATH = ("L", "yhat", "W3", "h2", "W2")


@pytest.fixture
def table(qtbot):
    """The table alone, showing the reference's example, tall enough for every row."""
    view = DerivationTable()
    qtbot.addWidget(view)
    view.set_derivation(fresh_derivation(DEFAULTS))
    view.resize(1200, 1400)
    view.show()
    qtbot.waitExposed(view)
    return view


def row_of(table, term_id):
    model = table.model()
    return next(r for r in model.term_rows() if model.term(r).id == term_id)


def lit(table):
    model = table.model()
    return {model.term(r).id for r in model.term_rows() if model.index(r, 0).data(CHAIN_ROLE)}


def background(table, term_id, column=0):
    brush = table.model().index(row_of(table, term_id), column).data(Qt.ItemDataRole.BackgroundRole)
    return brush.color().name() if brush is not None else None


def shown_value(table, term_id):
    return float(table.model().index(row_of(table, term_id), 3).data().replace("−", "-"))


def row_centre(table, term_id):
    return table.visualRect(table.model().index(row_of(table, term_id), 1)).center()


def click_row(qtbot, table, term_id):
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=row_centre(table, term_id))


def hover_row(qtbot, table, term_id):
    table.scrollTo(table.model().index(row_of(table, term_id), 0))
    # Along the row to its middle: Qt drops a move to where the pointer already is
    # (an earlier test's table may have left it there).
    start = row_centre(table, term_id)
    start.setX(4)
    qtbot.mouseMove(table.viewport(), start)
    qtbot.mouseMove(table.viewport(), row_centre(table, term_id))


def test_selecting_the_w1_row_lights_its_factors_and_names_the_path(table, qtbot):
    assert lit(table) == set()
    table.scrollTo(table.model().index(row_of(table, "dL/dW1"), 0))
    with qtbot.waitSignal(table.chainChanged) as blocker:
        click_row(qtbot, table, "dL/dW1")
    assert blocker.args == [W1_PATH]
    assert lit(table) == W1_FACTORS
    chain_colour = background(table, "dh1/dz1")
    assert chain_colour is not None
    assert all(background(table, f) == chain_colour for f in W1_FACTORS)
    assert background(table, "z1") != chain_colour and background(table, "dL/dW2") != chain_colour
    # The learner's own check: the lit values multiply to the gradient shown.
    product = math.prod(shown_value(table, f) for f in W1_FACTORS)
    assert math.isclose(product, shown_value(table, "dL/dW1"), rel_tol=1e-4)


def test_the_gradient_rows_tooltip_multiplies_the_chain_and_names_the_smallest_factor(table, qtbot):
    tip = table.model().index(row_of(table, "dL/dW1"), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("∂L/∂W₁ = ∂L/∂ŷ × W₃ × (1 − h₂²) × W₂ × (1 − h₁²) × x = ")
    numbers = tip.split(" = ")[2].split(" × ")
    factors = ["dL/dyhat", "dz3/dh2", "dh2/dz2", "dz2/dh1", "dh1/dz1", "dz1/dW1"]
    assert len(numbers) == len(factors)
    assert all(math.isclose(float(n.strip("()").replace("−", "-")), shown_value(table, f), rel_tol=1e-4)
               for n, f in zip(numbers, factors))
    smallest = min(factors, key=lambda f: abs(shown_value(table, f)))
    assert smallest == "dh1/dz1"
    assert "the factor that shrinks it most is 1 − h₁² = " in tip
    # A row without a chain keeps its plain tooltip.
    assert table.model().index(row_of(table, "z1"), 0).data(Qt.ItemDataRole.ToolTipRole) == "z₁  (z1)"


def test_hovering_another_gradient_shows_its_chain_until_the_mouse_leaves(table, qtbot):
    table.scrollTo(table.model().index(row_of(table, "dL/dW1"), 0))
    click_row(qtbot, table, "dL/dW1")
    with qtbot.waitSignal(table.chainChanged) as blocker:
        hover_row(qtbot, table, "dL/dW2")
    assert blocker.args == [W2_PATH]
    assert lit(table) == W2_FACTORS
    with qtbot.waitSignal(table.chainChanged) as blocker:
        QApplication.sendEvent(table.viewport(), QEvent(QEvent.Type.Leave))
    assert blocker.args == [W1_PATH] and lit(table) == W1_FACTORS   # back to the selected row


def test_a_row_without_a_chain_lights_nothing(table, qtbot):
    hover_row(qtbot, table, "dL/dW2")
    assert lit(table) == W2_FACTORS
    with qtbot.waitSignal(table.chainChanged) as blocker:
        hover_row(qtbot, table, "z1")
    assert blocker.args == [()] and lit(table) == set()


def test_predict_mode_keeps_a_hidden_gradients_chain_to_itself(table):
    model = table.model()
    ids = [model.term(r).id for r in model.term_rows()]
    model.set_hidden_from(ids.index("dL/dW1") - 1)   # the walk is at the term before it
    tip = table.model().index(row_of(table, "dL/dW1"), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "=" not in tip and "∂L/∂W₁" in tip
    model.set_hidden_from(None)
    assert "the factor that shrinks it most" in model.index(row_of(table, "dL/dW1"), 0).data(
        Qt.ItemDataRole.ToolTipRole)

