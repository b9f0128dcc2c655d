"""The whole window with networks of any shape (issue 14): the layers box and
the worked examples, element edits in the panel and on the diagram, running,
stepping back, undo and redo, sessions; every view against a fresh engine run."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLineEdit

from engine import Spec
from engine.examples import EXAMPLES
from engine.network import derive
from engine.network_training import NetworkTrainer
from helpers import answer_open, answer_save

MAZUR = EXAMPLES["mazur"]
MAZUR_SPEC = Spec(**MAZUR["network"])


def _choose(window, text):
    combo = window.findChild(QComboBox, "networkPreset")
    index = combo.findText(text)
    assert index >= 0, text
    combo.activated.emit(index)   # as a learner's pick: activated, not a programmatic change
    window.flush()


def _fresh_mazur(steps):
    trainer = NetworkTrainer(MAZUR_SPEC, MAZUR["params"], MAZUR["x"], MAZUR["y"], MAZUR["alpha"])
    trainer.run(steps)
    return trainer


def _table_values(window):
    """{quantity symbol: value text} of every row the table shows."""
    model = window.table.model()
    return {model.index(r, 0).data(): model.index(r, 3).data() for r in range(model.rowCount())}


def _assert_shows(window, trainer, step):
    """The table's element rows and the status line are the engine's derivation of ``step``."""
    expected = derive(trainer.spec, trainer.params(step), trainer.x, trainer.y, trainer.alpha,
                      trainer.optimizer_state(step))
    window.flush()
    assert window.state.cursor == step
    shown = window.state.derivation()
    assert [(t.id, t.value) for t in shown] == [(t.id, t.value) for t in expected]
    window.table.set_expanded("dL/dW2", True)
    rows = _table_values(window)
    element = expected["dL/dW2[1,2]"]
    assert element.symbol in rows and float(rows[element.symbol].replace("−", "-")) == \
        pytest.approx(element.value, rel=1e-5)
    assert f"L = {expected.value('L'):.6g}" in window.position.text()


def test_mazurs_example_from_the_menu_shows_his_numbers_everywhere(window, qtbot):
    _choose(window, "Mazur's 2-2-2 example")
    assert window.findChild(QLineEdit, "layers").text() == "2-2-2"
    _assert_shows(window, _fresh_mazur(0), 0)
    # The panel's matrix holds his weights; the diagram his network.
    assert window.state.shown().spec == MAZUR_SPEC
    window.actionStep.trigger()
    window.actionStep.trigger()
    _assert_shows(window, _fresh_mazur(2), 2)
    window.actionStepBack.trigger()
    _assert_shows(window, _fresh_mazur(2), 1)
    window.actionUndo.trigger()          # the second step
    window.actionUndo.trigger()          # the first
    window.actionUndo.trigger()          # the example itself: the chain again
    window.flush()
    assert window.state.spec().is_reference_shape and window.findChild(QLineEdit, "layers").text() == "1-1-1-1"
    window.actionRedo.trigger()
    window.flush()
    assert window.state.spec() == MAZUR_SPEC


@pytest.mark.parametrize("text, layers", [("Curve fitting (1-8-8-1, tanh)", (1, 8, 8, 1)),
                                          ("XOR (2-4-1, tanh, sigmoid output)", (2, 4, 1)),
                                          ("Reference (1-1-1-1)", (1, 1, 1, 1))])
def test_each_example_trains_in_the_window_as_in_the_engine(window, qtbot, text, layers):
    _choose(window, text)
    window.state.train(15)
    window.flush()
    state = window.state
    assert state.spec().layers == layers and state.last == 15
    trainer = state.timeline.trainer
    for page in range(window.plots.count()):     # every tab draws this network
        window.plots.setCurrentIndex(page)
        window.flush()
    assert np.isfinite(state.timeline.column("L")).all()
    assert state.derivation().value("L") == trainer.history.row(15)[trainer.row.index("L")]


def test_the_layers_box_rebuilds_the_network_or_says_why_not(window, qtbot):
    box = window.findChild(QLineEdit, "layers")
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, "2-3-1")
    QTest.keyClick(box, Qt.Key.Key_Return)
    window.flush()
    state = window.state
    assert state.spec().layers == (2, 3, 1)
    assert state.undo_stack.undoText().startswith("Layers 2-3-1 (Xavier/Glorot, seed ")
    count = state.undo_stack.count()
    box.selectAll()
    QTest.keyClicks(box, "2-9-1")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert state.undo_stack.count() == count and state.spec().layers == (2, 3, 1)
    message = window.statusBar().currentMessage()
    assert message.startswith("Not applied") and "from 1 to 8" in message


def test_an_element_typed_in_the_panel_or_on_the_diagram_is_one_undoable_edit(window, qtbot):
    _choose(window, "Mazur's 2-2-2 example")
    state = window.state
    window.parameters.elementEdited.emit("W2[1,2]", 0.3)
    window.flush()
    assert state.edited_values()["W2"][0, 1] == 0.3
    assert state.undo_stack.undoText() == "Set W₂[1,2] = 0.3"
    # On the diagram: select the edge, type into its box, Enter.
    assert window.diagram.select_element("W1[2,1]")
    editor = window.diagram.findChild(QDoubleSpinBox, "diagramElementEditor")
    assert editor is not None and editor.isVisible()
    editor.setFocus()
    editor.lineEdit().selectAll()
    QTest.keyClicks(editor.lineEdit(), "0.125")
    QTest.keyClick(editor.lineEdit(), Qt.Key.Key_Return)
    window.flush()
    assert state.edited_values()["W1"][1, 0] == 0.125
    expected = MAZUR["params"]
    window.actionUndo.trigger()
    window.actionUndo.trigger()
    window.flush()
    assert state.edited_values()["W1"][1, 0] == expected["W1"][1][0]
    assert state.edited_values()["W2"][0, 1] == expected["W2"][0][1]


def test_a_wider_network_is_saved_and_reopened_exactly(window, qtbot, tmp_path, monkeypatch):
    _choose(window, "XOR (2-4-1, tanh, sigmoid output)")
    window.state.train(30)
    rows = window.state.timeline.rows().copy()
    path = tmp_path / "xor.bpe"
    answer_save(monkeypatch, path)
    window.sessions.save_as(wait=True)
    assert path.exists()
    window.actionNew.trigger()
    window.flush()
    assert window.state.spec().is_reference_shape
    answer_open(monkeypatch, path)
    window.sessions.open(str(path))
    qtbot.waitUntil(lambda: window.state.spec().layers == (2, 4, 1), timeout=10_000)
    assert np.array_equal(window.state.timeline.rows(), rows, equal_nan=True)


def test_a_redraw_keeps_the_prediction_being_typed(window, qtbot):
    """A redraw of the same state (the background checks arriving, any refresh)
    must not clear what the learner is typing nor hide a revealed answer."""
    _choose(window, "Mazur's 2-2-2 example")
    window.actionPredict.trigger()
    walk = window.walk
    walk.prediction.setText("0.3, 0.4")   # the first stop, z₁: two numbers
    window.refresh()
    assert walk.prediction.text() == "0.3, 0.4"
    walk.check()
    assert walk.revealed, walk.verdict.text()
    window.refresh()
    assert walk.revealed
