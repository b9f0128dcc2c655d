"""The parameter panel for a wider network: W and b of each wider layer in a
compact table, x and y as vectors, each hidden layer's activation and the
output's; an element typed in a cell is said as elementEdited("W2[1,2]", …).
The panel is fed the window's records (gui.state.ExplorerState().shown())."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QGroupBox, QScrollArea

from engine import LIMITS
from engine.network import derive
from engine.terms import OUTPUT_ACTIVATIONS, Spec
from gui.matrix_editor import ElementTable, cell_text
from gui.parameters import ParameterPanel
from gui.state import ExplorerState


def shown_state(command, *args):
    state = ExplorerState()
    state.push(getattr(state, command)(*args))
    return state


def display(panel, shown):
    """As the window shows a record: the count of samples, the values, the spec."""
    panel.show_sample_count(len(shown.x))
    panel.show_values(shown.values)
    panel.show_spec(shown.spec)


@pytest.fixture
def panel(qtbot):
    panel = ParameterPanel()
    qtbot.addWidget(panel)
    return panel


@pytest.fixture
def column(qtbot, panel):
    """The panel in a scroll area as narrow as the window's column for the chain."""
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    width = panel.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 2
    scroll.setWidget(panel)
    scroll.resize(width, 700)
    scroll.show()
    qtbot.waitExposed(scroll)
    return scroll


def number(text):
    return float(text.replace("−", "-"))


def cell(table, element):
    model = table.model()
    for row in range(model.rowCount()):
        for col in range(model.columnCount()):
            if model.element_id(row, col) == element:
                return model.index(row, col)
    raise KeyError(element)


def open_cell(qtbot, table, element):
    """A click on the cell and a double-click: its editor opens."""
    index = cell(table, element)
    table.scrollTo(index)
    center = table.visualRect(index).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=center)
    editor = table.findChild(QDoubleSpinBox)
    assert editor is not None and editor.isVisible()
    return editor


def type_in_cell(qtbot, table, element, text, double_click=False):
    """Click the cell and type ``text`` (the first key opens its editor), or
    double-click it and type over what it holds; the editor stays open."""
    if double_click:
        editor = open_cell(qtbot, table, element)
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        return editor
    index = cell(table, element)
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    qtbot.keyClicks(table, text[0])
    editor = table.findChild(QDoubleSpinBox)
    assert editor is not None and editor.isVisible()
    qtbot.keyClicks(editor, text[1:])
    assert editor.text() == text
    return editor


@pytest.mark.parametrize("example", ["mazur", "curve", "xor"])
def test_each_table_shows_the_state_s_elements(panel, example):
    state = shown_state("example_command", example)
    shown = state.shown()
    display(panel, shown)
    layers = shown.spec.layers
    assert panel.network_layers() == layers
    for layer in range(1, len(layers)):
        for name in (f"W{layer}", f"b{layer}"):
            editor = panel.editor(name)
            want = np.asarray(shown.values[name], dtype=float)
            if isinstance(editor, ElementTable):
                model = editor.model()
                assert (model.rowCount(), model.columnCount()) == want.shape, name
                for row in range(model.rowCount()):
                    for col in range(model.columnCount()):
                        index = model.index(row, col)
                        assert index.data(Qt.ItemDataRole.EditRole) == want[row, col]
                        # Three significant digits at least where the number is not tiny.
                        rel = 5e-3 if abs(want[row, col]) >= 1e-2 else 0.05
                        assert number(index.data()) == pytest.approx(want[row, col], rel=rel, abs=1e-12)
                        assert index.data(Qt.ItemDataRole.ToolTipRole).startswith(
                            f"{model.element_symbol(row, col)} = {want[row, col]:.6f}")
            else:
                assert editor.value() == pytest.approx(want.item(), abs=0.5e-6)
        field = "output_activation" if layer == len(layers) - 1 else f"activation{layer}"
        assert panel.layer_choices[field].currentData() == getattr(shown.spec, field)
    # With a dataset, x and y are its means (the engine's samples), read-only.
    for name, samples in (("x", shown.x), ("y", shown.y)):
        editor = panel.editor(name)
        means = np.mean(samples, axis=0)
        if isinstance(editor, ElementTable):
            assert np.allclose(editor.values()[:, 0], means, rtol=1e-12)
            editable = bool(editor.model().flags(editor.model().index(0, 0)) & Qt.ItemFlag.ItemIsEditable)
            assert editable == (len(samples) == 1)
        else:
            assert editor.value() == pytest.approx(means.item(), abs=0.5e-6)
            assert editor.isEnabled() == (len(samples) == 1)
    title = panel.findChild(QGroupBox, "networkSampleGroup").title()
    assert title == ("Sample" if len(shown.x) == 1 else f"Sample: mean of {len(shown.x)}")


def test_the_chain_keeps_its_own_panel(panel, qtbot):
    state = shown_state("example_command", "mazur")
    display(panel, state.shown())
    assert panel.findChild(object, "networkSection") is not None
    state.push(state.example_command("reference"))
    shown = state.shown()
    display(panel, shown)
    assert panel.network_layers() is None and panel.elements == {}
    qtbot.waitUntil(lambda: panel.findChild(object, "networkSection") is None)
    for name in ("W1", "b1", "W2", "b2", "W3", "b3", "x", "y", "alpha"):
        assert panel.spinboxes[name].value() == pytest.approx(shown.values[name], abs=0.5e-6)
    assert all(not group.isHidden() for group in panel._groups.values())


def test_an_element_typed_in_a_cell_is_one_edit(panel, column, qtbot):
    state = shown_state("example_command", "mazur")
    before = state.shown()
    display(panel, before)
    table = panel.editor("W2")
    assert table.objectName() == "matrixW2" and panel.findChild(ElementTable, "matrixW2") is table
    editor = type_in_cell(qtbot, table, "W2[1,2]", "0.75", double_click=True)
    assert (editor.decimals(), editor.minimum(), editor.maximum()) == (6, *LIMITS["W1"])
    with qtbot.waitSignal(panel.elementEdited) as edited:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert edited.args == ["W2[1,2]", 0.75]
    # The window makes the change; the state shows it back and the engine computes with it.
    state.push(state.element_command(*edited.args))
    shown = state.shown()
    display(panel, shown)
    assert panel.editor("W2") is table    # the same shape: not rebuilt
    assert cell(table, "W2[1,2]").data(Qt.ItemDataRole.EditRole) == 0.75 == shown.values["W2"][0, 1]
    params = {name: np.array(value) for name, value in before.params.items()}
    params["W2"][0, 1] = 0.75   # row 1, column 2: that element and no other
    assert shown.derivation.value("L") == pytest.approx(
        derive(before.spec, params, before.x, before.y, before.values["alpha"]).value("L"), rel=1e-12)
    assert shown.derivation.value("L") != pytest.approx(before.derivation.value("L"), rel=1e-9)


def test_b_x_and_y_cells_name_their_element(panel, column, qtbot):
    state = shown_state("layers_command", (3, 4, 2))
    display(panel, state.shown())
    for name, element, text, value in (("b1", "b1[3]", "-2.5", -2.5), ("x", "x[2]", "1.25", 1.25),
                                       ("y", "y[1]", "-7.125", -7.125)):
        table = panel.editor(name)
        assert table.objectName() == f"vector{name}"
        editor = type_in_cell(qtbot, table, element, text)
        assert (editor.minimum(), editor.maximum()) == LIMITS[name if name in "xy" else "W1"]
        with qtbot.waitSignal(panel.elementEdited) as edited:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        assert edited.args == [element, value]


def test_a_cell_opened_and_closed_unchanged_is_no_edit(panel, column, qtbot):
    state = shown_state("example_command", "mazur")
    shown = state.shown()
    values = dict(shown.values, W1=shown.values["W1"] + np.array([[1500.0, 0], [0, 0]]))   # as training may
    panel.show_values(values)
    panel.show_spec(shown.spec)
    table = panel.editor("W1")
    index = cell(table, "W1[1,1]")
    assert "outside the editable range" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.BackgroundRole) is not None
    edits = []
    panel.elementEdited.connect(lambda *args: edits.append(args))
    editor = open_cell(qtbot, table, "W1[1,1]")
    assert editor.value() == 1000.0
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() == table.State.NoState)   # closed (the view closes it queued)
    assert edits == []
    assert index.data(Qt.ItemDataRole.EditRole) == values["W1"][0, 0]


def test_values_arriving_while_the_learner_types_keep_the_typed_text(panel, column, qtbot):
    state = shown_state("example_command", "mazur")
    shown = state.shown()
    display(panel, shown)
    table = panel.editor("W1")
    editor = type_in_cell(qtbot, table, "W1[2,1]", "0.4")
    # Training runs meanwhile: every element changes, the editor stays open with what was typed.
    moved = {name: (value + 0.125 if isinstance(value, np.ndarray) else value) for name, value in shown.values.items()}
    panel.show_values(moved)
    panel.show_spec(shown.spec)
    assert panel.editor("W1") is table and table.findChild(QDoubleSpinBox) is editor and editor.isVisible()
    assert editor.text() == "0.4"
    assert cell(table, "W1[1,1]").data(Qt.ItemDataRole.EditRole) == moved["W1"][0, 0]
    with qtbot.waitSignal(panel.elementEdited) as edited:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert edited.args == ["W1[2,1]", 0.4]


def test_the_editors_are_rebuilt_only_when_the_shape_changes(panel):
    state = shown_state("layers_command", (2, 3, 2))
    display(panel, state.shown())
    tables = dict(panel.elements)
    state.push(state.element_command("W1[1,1]", 0.5))
    display(panel, state.shown())
    assert panel.elements == tables
    assert cell(tables["W1"], "W1[1,1]").data(Qt.ItemDataRole.EditRole) == 0.5
    state.push(state.layers_command((2, 4, 2)))
    shown = state.shown()
    display(panel, shown)
    assert panel.network_layers() == (2, 4, 2)
    assert panel.editor("W1") is not tables["W1"]
    assert panel.editor("W1").values().shape == shown.values["W1"].shape == (4, 2)


def test_a_layer_of_one_number_keeps_spinboxes(panel, qtbot):
    state = shown_state("layers_command", (1, 1, 1))
    shown = state.shown()
    display(panel, shown)
    for name in ("W1", "b1", "W2", "b2", "x", "y"):
        box = panel.editor(name)
        assert isinstance(box, QDoubleSpinBox) and box.objectName() == f"scalar{name}"
        assert box.value() == pytest.approx(np.ravel(shown.values[name])[0], abs=0.5e-6)
        assert box.decimals() == 6 and (box.minimum(), box.maximum()) == LIMITS[name if name in "xy" else "W1"]
    with qtbot.waitSignal(panel.elementEdited) as edited:
        panel.editor("W2").setValue(0.25)
    assert edited.args == ["W2[1,1]", 0.25]
    with qtbot.waitSignal(panel.elementEdited) as edited:
        panel.editor("x").setValue(-3.0)
    assert edited.args == ["x[1]", -3.0]


def test_each_layer_s_activation_is_a_choice(panel, qtbot):
    state = shown_state("layers_command", (2, 3, 3, 3, 3, 1))
    shown = state.shown()
    display(panel, shown)
    assert set(panel.layer_choices) == {"activation1", "activation2", "activation3", "activation4",
                                        "output_activation"}
    output = panel.findChild(QComboBox, "outputActivation")
    assert output is panel.layer_choices["output_activation"]
    assert [output.itemData(i) for i in range(output.count())] == list(OUTPUT_ACTIVATIONS)
    edits = []
    panel.specEdited.connect(lambda *args: edits.append(args))
    panel.show_spec(Spec(layers=shown.spec.layers, activation3="relu", output_activation="sigmoid"))
    assert edits == []    # showing is not editing
    assert panel.layer_choices["activation3"].currentData() == "relu" and output.currentData() == "sigmoid"
    box = panel.findChild(QComboBox, "layerActivation3")
    with qtbot.waitSignal(panel.specEdited) as edited:
        box.setCurrentIndex(box.findData("leaky_relu"))
        box.activated.emit(box.currentIndex())
    assert edited.args == ["activation3", "leaky_relu"]


def test_eight_by_eight_fits_the_chain_s_column(panel, column, qtbot):
    chain_width = column.width()
    state = shown_state("layers_command", (2, 8, 8, 1))
    display(panel, state.shown())
    qtbot.waitUntil(lambda: panel.editor("W2").isVisible())
    assert column.width() == chain_width and panel.minimumSizeHint().width() <= column.viewport().width()
    assert panel.width() <= column.viewport().width()
    table = panel.editor("W2")
    right = table.mapTo(panel, QPoint(table.width(), 0)).x()
    bias = panel.editor("b2")
    assert right <= bias.mapTo(panel, QPoint(0, 0)).x()
    assert bias.mapTo(panel, QPoint(bias.width(), 0)).x() <= panel.width()
    # All eight rows in view; the columns scroll sideways inside the table.
    qtbot.waitUntil(lambda: table.horizontalScrollBar().isVisible())
    for row in range(8):
        rect = table.visualRect(table.model().index(row, 0))
        assert table.viewport().rect().contains(rect), row
    for col in range(8):   # every column can be brought into view
        index = table.model().index(7, col)
        table.scrollTo(index)
        assert table.viewport().rect().contains(table.visualRect(index)), col


@pytest.mark.parametrize("value, text", [(0.15, "0.15"), (-0.05623, "−0.0562"), (123.456, "123.5"),
                                         (1e-5, "1e−5"), (-0.000123, "−1.2e−4"), (1000.0, "1000")])
def test_a_cell_is_compact(value, text):
    assert cell_text(value) == text
    assert number(text) == pytest.approx(value, rel=0.05)


def test_the_element_model_is_a_sound_model(panel, qtmodeltester):
    state = shown_state("example_command", "xor")
    display(panel, state.shown())
    for name in ("W1", "b1", "W2", "x"):
        qtmodeltester.check(panel.editor(name).model())
