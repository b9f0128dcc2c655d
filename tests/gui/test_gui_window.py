"""The window's contract: names, actions, layout pieces."""

import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDoubleSpinBox, QGraphicsView, QTableView, QToolBar

from gui.app import display_problem

SPINBOXES = ("W1", "b1", "W2", "b2", "W3", "b3", "x", "y", "alpha")
ACTIONS = ("actionStep", "actionRun", "actionReset", "actionExportDerivation", "actionExportHistory")


def test_named_widgets_exist(window):
    assert window.windowTitle() == "Backprop Explorer"
    assert isinstance(window.findChild(QGraphicsView, "networkDiagram"), QGraphicsView)
    table = window.findChild(QTableView, "derivationTable")
    assert isinstance(table.model(), QAbstractTableModel)
    headers = [table.model().headerData(c, pg.QtCore.Qt.Orientation.Horizontal) for c in range(4)]
    assert headers == ["Quantity", "Formula", "Substitution", "Value"]
    assert isinstance(window.findChild(pg.PlotWidget, "lossPlot"), pg.PlotWidget)
    for name in SPINBOXES:
        box = window.findChild(QDoubleSpinBox, name)
        assert box is not None, name
        assert box.decimals() >= 4
        assert box.isVisible()


def test_actions_have_shortcuts_tooltips_and_places(window):
    toolbar = window.findChild(QToolBar)
    in_menus = {a for menu in window.menuBar().actions() for a in menu.menu().actions()}
    for name in ACTIONS:
        action = window.findChild(QAction, name)
        assert action is not None, name
        assert not action.shortcut().isEmpty(), name
        assert action.toolTip(), name
        assert action in in_menus, name
        assert action in toolbar.actions(), name
    assert window.findChild(QAction, "actionRun").isCheckable()


def test_about_names_the_reference(window, no_modal_dialogs):
    window.actionAbout.trigger()
    kind, args = no_modal_dialogs[-1]
    assert kind == "about"
    assert "derivation" in args[2].lower()


def test_display_problem_without_display():
    message = display_problem(environ={}, platform="linux")
    assert message is not None and "\n" not in message and "DISPLAY" in message


def test_display_problem_names_missing_packages():
    message = display_problem(environ={"DISPLAY": ":0"}, platform="linux",
                              loadable=lambda lib: "icccm" not in lib and "keysyms" not in lib)
    assert "libxcb-icccm4" in message and "libxcb-keysyms1" in message and "\n" not in message


def test_display_problem_none_when_all_present():
    assert display_problem(environ={"DISPLAY": ":0"}, platform="linux", loadable=lambda lib: True) is None
    assert display_problem(environ={"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
