"""The window from the keyboard and with a screen reader (issue 16): every
input has an accessible name, Tab walks the network bar, the parameters, the
diagram, the table and then the plots, a status message reaches assistive
technology, and every action of the toolbar is in a menu with a mnemonic of
its own."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QKeySequence
from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox,
                               QDoubleSpinBox, QLineEdit, QToolBar, QWidgetAction)

import gui.main_window
from helpers import reference_trainer
from gui.matrix_editor import ElementTable

INPUTS = (QAbstractSpinBox, QComboBox, QLineEdit, QAbstractSlider, QAbstractButton)

# What Tab visits first, by objectName: the network bar, then the parameters as they are drawn.
CHAIN_TABS = ["layers", "networkPreset", "W1", "b1", "activation1", "W2", "b2", "activation2", "W3", "b3",
              "x", "y", "alpha", "loss", "advancedToggle"]
MAZUR_TABS = ["layers", "networkPreset", "matrixW1", "vectorb1", "layerActivation1", "matrixW2", "vectorb2",
              "outputActivation", "vectorx", "vectory", "alpha", "loss", "advancedToggle"]


def focusable_inputs(window):
    """Every input a learner can Tab to: not hidden, taking focus, and not the
    line edit inside a spinbox or a combo box (the box itself is the input)."""
    for kind in INPUTS:
        for widget in window.findChildren(kind):
            if widget.isHidden() or not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
                continue
            if isinstance(widget, QLineEdit) and isinstance(widget.parent(), (QAbstractSpinBox, QComboBox)):
                continue
            yield widget


def spoken_name(widget):
    return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Name)


@pytest.mark.parametrize("example", [None, "mazur"])
def test_every_input_has_an_accessible_name(window, example):
    if example:
        window.choose_example(example)   # a wider network: matrix editors in the panel
        window.flush()
    inputs = list(focusable_inputs(window))
    assert len(inputs) > 20
    unnamed = [f"{type(w).__name__} {w.objectName()!r}" for w in inputs
               # A button's own text is its name; any other input needs one set.
               if not (spoken_name(w) if isinstance(w, QAbstractButton) else w.accessibleName())]
    assert not unnamed
    # The parameters shown, told apart by name and each with what it does.
    panel = [w for w in inputs if window.parameters.isAncestorOf(w) and w.isVisibleTo(window.parameters)
             and not isinstance(w, QAbstractButton)]
    assert len({w.accessibleName() for w in panel}) == len(panel)
    assert all(w.accessibleDescription() for w in panel)


def test_the_chain_s_numbers_say_what_they_are(window):
    boxes = window.parameters.spinboxes
    assert boxes["W1"].accessibleName() == "W₁, weight of layer 1"
    assert boxes["b3"].accessibleName() == "b₃, bias of the output layer"
    assert boxes["alpha"].accessibleName() == "α, learning rate of gradient descent"
    assert "range" in boxes["W1"].accessibleDescription()
    # A box the update does not use says why, to a screen reader too.
    momentum = window.parameters.choices["momentum"]
    assert momentum.accessibleName() == "Momentum's μ"
    assert momentum.accessibleDescription() == momentum.toolTip() and momentum.toolTip().startswith("used by")


def test_a_matrix_cell_s_editor_names_its_element(window, qtbot):
    window.choose_example("mazur")
    window.flush()
    table = window.parameters.editor("W2")
    assert table.accessibleName() == "W₂, weight of layer 2"
    for each in window.parameters.findChildren(ElementTable):
        assert each.accessibleName() and each.accessibleDescription(), each.objectName()
    index = table.model().index(0, 1)
    value = float(window.shown().values["W2"][0, 1])
    name = "W₂[1,2], the weight from h₁[2] to ŷ[1]"
    # The cell's name replaces its shown text: it says the value too, in full.
    assert index.data(Qt.ItemDataRole.AccessibleTextRole) == f"{name}, {value:.6f}"
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.findChild(QDoubleSpinBox)
    qtbot.waitUntil(lambda: editor is not None and editor.isVisible())
    assert editor.accessibleName() == name
    assert "range" in editor.accessibleDescription()


def focused_input(window):
    """The widget with focus, as the input it belongs to: a spinbox for its
    line edit, the diagram, table or plots for any part of them."""
    widget = QApplication.focusWidget()
    for view in (window.diagram, window.table, window.plots):
        if widget is view or view.isAncestorOf(widget):
            return view
    return widget.parent() if isinstance(widget.parent(), QAbstractSpinBox) else widget


def tab_walk(window, qtbot, presses=40):
    """Press Tab from the layers box; each input reached, in order."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    start = window.network_bar.layers
    start.setFocus()
    qtbot.waitUntil(start.hasFocus)
    reached = [start]
    for _ in range(presses):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = focused_input(window)
        if widget is start:
            break
        if widget is not reached[-1]:
            reached.append(widget)
    return reached


@pytest.mark.parametrize("example, first", [(None, CHAIN_TABS), ("mazur", MAZUR_TABS)])
def test_tab_walks_the_parameters_then_the_diagram_the_table_and_the_plots(window, qtbot, example, first):
    if example:
        window.choose_example(example)
        window.flush()
    reached = tab_walk(window, qtbot)
    assert [w.objectName() for w in reached[:len(first)]] == first
    views = [window.diagram, window.table, window.plots]
    assert all(view in reached for view in views), [w.objectName() for w in reached]
    assert sorted(views, key=reached.index) == views


def test_a_status_message_reaches_a_screen_reader(window, monkeypatch):
    announced = []
    monkeypatch.setattr(gui.main_window.QAccessible, "updateAccessibility",
                        lambda event: announced.append((event.type(), getattr(event, "message", str)())))
    bar = window.statusBar()
    window.set_layers("1-x-1")   # refused: the message says why
    message = bar.currentMessage()
    assert message.startswith("Not applied")
    assert QAccessible.queryAccessibleInterface(bar).text(QAccessible.Text.Description) == message
    assert (QAccessible.Event.Announcement, message) in announced
    bar.clearMessage()
    assert QAccessible.queryAccessibleInterface(bar).text(QAccessible.Text.Description) == ""


def menus(window):
    """Every menu of the menu bar and its submenus, as Qt readies them to be shown."""
    found = []

    def walk(menu):
        menu.aboutToShow.emit()
        found.append(menu)
        for action in menu.actions():
            if action.menu():
                walk(action.menu())
    for action in window.menuBar().actions():
        walk(action.menu())
    return found


def assert_mnemonics(actions, where):
    """Each action has a mnemonic (Alt + a key), none two alike."""
    keys = [QKeySequence.mnemonic(action.text()) for action in actions if not action.isSeparator()]
    assert all(not key.isEmpty() for key in keys), (where, [a.text() for a in actions])
    assert len(set(keys)) == len(keys), (where, [a.text() for a in actions])


def test_every_menu_has_distinct_mnemonics_and_holds_the_toolbar_s_actions(window):
    assert_mnemonics(window.menuBar().actions(), "menu bar")
    for menu in menus(window):
        if menu is not window.recent_menu:   # its entries are the paths of the files, as saved
            assert_mnemonics(menu.actions(), menu.title())
    in_menus = window.shortcut_actions()
    for toolbar in window.findChildren(QToolBar):
        for action in toolbar.actions():
            # A widget's own action (the speed combo and its label) is no command to put in a menu.
            if not action.isSeparator() and not isinstance(action, QWidgetAction):
                assert action in in_menus, action.text()


def test_a_dock_renamed_keeps_its_mnemonic_in_the_view_menu(window):
    window.undo_dock.setWindowTitle("Changes (oldest dropped to save memory)")
    view = next(m for m in menus(window) if m.title() == "&View")
    assert_mnemonics(view.actions(), "View")
    assert window.undo_dock.toggleViewAction().text().replace("&", "") == window.undo_dock.windowTitle()



def test_a_table_cell_tells_a_screen_reader_its_whole_value(window):
    window.state.train(2)
    model = window.table.derivation_model
    expected = reference_trainer(2).derivation()   # the engine's own run
    for term in expected:
        row = model.row_of(term.id)
        spoken = model.index(row, 3).data(Qt.ItemDataRole.AccessibleTextRole)
        assert float(spoken.replace("−", "-")) == term.value   # every digit, where the cell shows six
    row = model.row_of("dL/dW2")
    assert model.index(row, 1).data(Qt.ItemDataRole.AccessibleTextRole) == "∂L/∂z₂ × ∂z₂/∂W₂"


def test_a_value_to_be_predicted_is_not_read_out(window):
    window.actionPredict.trigger()
    model = window.table.derivation_model
    spoken = [model.index(model.row_of(t.id), 3).data(Qt.ItemDataRole.AccessibleTextRole)
              for t in window.state.derivation()]
    assert "hidden until you predict it" in spoken
    hidden = [t for t, s in zip(window.state.derivation(), spoken) if s == "hidden until you predict it"]
    assert all(model.index(model.row_of(t.id), 3).data() == "?" for t in hidden)
