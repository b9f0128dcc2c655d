"""The diagram from the keyboard (issue 16): the arrows walk its elements,
lit as a click or the table lights them and lighting their table rows as a
hover does; Enter edits the parameter walked to, in one undoable change;
Escape drops what was typed; Tab leaves the diagram."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication

from engine.expr import number
from gui.diagram import HIGHLIGHT
from helpers import reference_trainer

RIGHT, LEFT, UP, DOWN = Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Down


def focus_diagram(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.diagram.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(window.diagram.hasFocus)


def press(qtbot, key, times=1):
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget(), key)


def type_number(qtbot, text):
    qtbot.keyClicks(QApplication.focusWidget(), text)
    press(qtbot, Qt.Key.Key_Return)


def lit_on_diagram(diagram):
    """The elements drawn in the highlight's amber."""
    network = diagram.network
    if network is None:
        return {e for e, shape in diagram.shapes.items() if shape.pen().color() == HIGHLIGHT}
    return ({e for e, line in network.edges.items() if line.pen().color() == HIGHLIGHT}
            | {u for u, circle in network.units.items() if circle.pen().color() == HIGHLIGHT}
            | {b for b, marker in network.biases.items() if marker.brush().color() == HIGHLIGHT})


def lit_rows(window):
    """The table's term rows drawn on the highlight's background."""
    model = window.table.derivation_model
    return [r for r in model.term_rows() if model.index(r, 0).data(Qt.ItemDataRole.BackgroundRole) is not None]


def row_ids(window, rows):
    model = window.table.derivation_model
    return {model.term(r).id for r in rows}


def test_the_diagram_is_named_and_takes_the_focus(window):
    diagram = window.diagram
    assert diagram.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert QAccessible.queryAccessibleInterface(diagram).text(QAccessible.Text.Name) == "Network diagram"


def test_the_arrows_walk_the_chain_lighting_each_element_and_its_rows(window, qtbot):
    focus_diagram(window, qtbot)
    keys = window.diagram_keys
    walked = [keys.element()]
    for _ in range(8):   # one more than the row: L is its end
        press(qtbot, RIGHT)
        walked.append(keys.element())
        # Lit as the table's row lights it, and its rows lit as a hover lights them.
        assert lit_on_diagram(window.diagram) == {walked[-1]}
        rows = lit_rows(window)
        assert rows and rows == window.table.derivation_model.term_rows(walked[-1])
    assert walked == ["x", "W1", "h1", "W2", "h2", "W3", "yhat", "L", "L"]
    press(qtbot, LEFT, 3)
    assert keys.element() == "h2"
    press(qtbot, UP)
    assert keys.element() == "b2" and lit_on_diagram(window.diagram) == {"b2"}
    assert "dL/db2" in row_ids(window, lit_rows(window))
    press(qtbot, RIGHT)
    assert keys.element() == "b3"
    press(qtbot, UP)                      # nothing above a bias
    assert keys.element() == "b3"
    press(qtbot, DOWN)
    assert keys.element() == "yhat"
    press(qtbot, Qt.Key.Key_Home)
    assert keys.element() == "x"
    press(qtbot, UP)                      # x has no bias
    assert keys.element() == "x"


def test_a_screen_reader_hears_the_element_in_the_diagram_s_words(window, qtbot):
    focus_diagram(window, qtbot)
    press(qtbot, RIGHT, 3)
    diagram, shown = window.diagram, window.shown()
    assert window.diagram_keys.element() == "W2"
    description = QAccessible.queryAccessibleInterface(diagram).text(QAccessible.Text.Description)
    gradient = shown.derivation.value("dL/dW2")
    assert description == (f"W₂, weight of layer 2 = {number(shown.params['W2'], 4)}, "
                           f"∂L/∂W₂ = {number(gradient, 4)}")
    # The same texts the diagram draws.
    assert description.endswith(diagram.texts["W2.grad"].text())


def test_the_description_follows_the_numbers_as_training_moves_them(window, qtbot):
    focus_diagram(window, qtbot)
    press(qtbot, RIGHT, 3)
    before = window.diagram.accessibleDescription()
    window.actionStep.trigger()
    window.flush()
    assert window.diagram.hasFocus() and window.diagram_keys.element() == "W2"
    stepped = reference_trainer(1)
    expected = (f"W₂, weight of layer 2 = {number(stepped.params(1)['W2'], 4)}, "
                f"∂L/∂W₂ = {number(stepped.derivation(1).value('dL/dW2'), 4)}")
    assert window.diagram.accessibleDescription() == expected != before


def test_enter_on_w2_edits_it_in_the_panel_in_one_undoable_change(window, qtbot):
    before = window.shown().params["W2"]
    focus_diagram(window, qtbot)
    press(qtbot, RIGHT, 3)
    press(qtbot, Qt.Key.Key_Return)
    box = window.parameters.spinboxes["W2"]
    assert box.hasFocus() and box.lineEdit().selectedText() == box.text()
    assert lit_on_diagram(window.diagram) == {"W2"}   # still lit while its value is typed
    count = window.state.undo_stack.count()
    type_number(qtbot, "0.25")
    window.flush()
    assert window.shown().params["W2"] == 0.25
    assert window.state.undo_stack.count() == count + 1
    # Back on the diagram, on W₂.
    assert window.diagram.hasFocus() and window.diagram_keys.element() == "W2"
    assert lit_on_diagram(window.diagram) == {"W2"}
    window.actionUndo.trigger()
    window.flush()
    assert window.shown().params["W2"] == before


def test_escape_in_the_panel_drops_what_was_typed_and_returns(window, qtbot):
    before = dict(window.shown().params)
    focus_diagram(window, qtbot)
    press(qtbot, RIGHT, 2)
    press(qtbot, UP)                       # b₁
    press(qtbot, Qt.Key.Key_Return)
    assert window.parameters.spinboxes["b1"].hasFocus()
    qtbot.keyClicks(QApplication.focusWidget(), "3")
    press(qtbot, Qt.Key.Key_Escape)
    window.flush()
    assert window.diagram.hasFocus() and window.diagram_keys.element() == "b1"
    assert dict(window.shown().params) == before
    assert window.parameters.spinboxes["b1"].text() == window.parameters.spinboxes["b1"].textFromValue(before["b1"])


def test_enter_on_a_node_edits_its_bias_and_on_the_loss_its_target(window, qtbot):
    focus_diagram(window, qtbot)
    press(qtbot, RIGHT, 4)                 # h₂
    press(qtbot, Qt.Key.Key_Return)
    assert window.parameters.spinboxes["b2"].hasFocus()
    press(qtbot, Qt.Key.Key_Escape)
    press(qtbot, Qt.Key.Key_End)           # L
    press(qtbot, Qt.Key.Key_Enter)
    assert window.parameters.spinboxes["y"].hasFocus()


def test_tab_leaves_the_diagram_which_lights_the_table_s_row_again(window, qtbot):
    window.table.select_term("dL/dW1")
    focus_diagram(window, qtbot)
    assert window.diagram_keys.element() == "W1"   # the keyboard starts where the table is
    press(qtbot, RIGHT, 2)
    assert lit_on_diagram(window.diagram) == {"W2"}
    press(qtbot, Qt.Key.Key_Tab)
    assert not window.diagram.hasFocus() and QApplication.focusWidget() is not None
    # The diagram lights the table's current row again; no rows lit as if hovered.
    assert lit_on_diagram(window.diagram) == {"W1"}
    assert "dL/dW2" not in row_ids(window, lit_rows(window))
    press(qtbot, Qt.Key.Key_Backtab)
    assert window.diagram.hasFocus() and window.diagram_keys.element() == "W2"   # where it was
    press(qtbot, Qt.Key.Key_Backtab)
    assert not window.diagram.hasFocus()


@pytest.fixture
def mazur(window):
    window.choose_example("mazur")
    window.flush()
    return window


def test_the_arrows_walk_a_wider_network_by_layers(mazur, qtbot):
    focus_diagram(mazur, qtbot)
    keys = mazur.diagram_keys
    assert keys.element() == "x[1]"
    walked = []
    for key in (DOWN, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, LEFT, LEFT, UP, UP, DOWN, RIGHT):
        press(qtbot, key)
        walked.append(keys.element())
        assert lit_on_diagram(mazur.diagram) == {walked[-1]}
        assert lit_rows(mazur) == mazur.table.derivation_model.term_rows(walked[-1])
    # Straight across along the second units, then from an edge to its ends, and
    # through a layer's edges in its matrix's order.
    assert walked == ["x[2]", "W1[2,2]", "h1[2]", "W2[2,2]", "yhat[2]", "L", "L", "yhat[1]", "W2[1,1]",
                      "W2[1,1]", "W2[1,1]", "W2[1,2]", "yhat[1]"]
    press(qtbot, LEFT)
    press(qtbot, Qt.Key.Key_End)
    assert keys.element() == "W2[2,2]"
    press(qtbot, LEFT)
    assert keys.element() == "h1[2]"


def test_enter_on_an_edge_edits_its_weight_in_one_undoable_change(mazur, qtbot):
    before = mazur.shown().params["W2"].copy()
    focus_diagram(mazur, qtbot)
    press(qtbot, RIGHT, 3)
    press(qtbot, UP)
    assert mazur.diagram_keys.element() == "W2[1,1]"
    press(qtbot, DOWN)                     # W₂[1,2]: from h₁[2] into ŷ[1]
    press(qtbot, Qt.Key.Key_Return)
    editor = mazur.diagram.editor
    assert editor.hasFocus() and mazur.diagram.selected_element() == "W2[1,2]"
    count = mazur.state.undo_stack.count()
    type_number(qtbot, "0.125")
    mazur.flush()
    expected = before.copy()
    expected[0, 1] = 0.125
    np.testing.assert_array_equal(mazur.shown().params["W2"], expected)
    assert mazur.state.undo_stack.count() == count + 1
    assert mazur.diagram.hasFocus() and not editor.isVisible() and mazur.diagram_keys.element() == "W2[1,2]"
    assert lit_on_diagram(mazur.diagram) == {"W2[1,2]"}
    mazur.actionUndo.trigger()
    mazur.flush()
    np.testing.assert_array_equal(mazur.shown().params["W2"], before)


def test_escape_in_the_diagram_s_box_cancels(mazur, qtbot):
    before = {k: v.copy() for k, v in mazur.shown().params.items()}
    count = mazur.state.undo_stack.count()
    focus_diagram(mazur, qtbot)
    press(qtbot, RIGHT, 2)                 # h₁[1]: Enter edits its bias
    press(qtbot, Qt.Key.Key_Return)
    assert mazur.diagram.selected_element() == "b1[1]" and mazur.diagram.editor.hasFocus()
    qtbot.keyClicks(QApplication.focusWidget(), "7")
    press(qtbot, Qt.Key.Key_Escape)
    mazur.flush()
    assert mazur.diagram.hasFocus() and mazur.diagram_keys.element() == "h1[1]"
    assert mazur.diagram.selected_element() == "" and not mazur.diagram.editor.isVisible()
    assert mazur.state.undo_stack.count() == count
    for name, value in before.items():
        np.testing.assert_array_equal(mazur.shown().params[name], value)
    press(qtbot, Qt.Key.Key_Tab)
    assert not mazur.diagram.hasFocus() and not mazur.diagram.isAncestorOf(QApplication.focusWidget())


def test_a_wider_element_is_described_by_its_tooltip(mazur, qtbot):
    focus_diagram(mazur, qtbot)
    press(qtbot, RIGHT)
    description = mazur.diagram.accessibleDescription()
    value = float(mazur.shown().params["W1"][0, 0])
    assert description.startswith(f"W₁[1,1] = {number(value, 6)}")
    assert "∂L/∂W₁[1,1] = " in description and "Click" not in description
