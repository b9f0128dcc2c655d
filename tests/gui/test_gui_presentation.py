"""Presentation mode: what a class reads grows by the teacher's factor, what it
does not folds away, and leaving gives the window back exactly as it was."""

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFontMetricsF, QKeySequence
from PySide6.QtWidgets import QSplitter

from gui.preferences import Preferences
from engine.elements import place
from gui.diagram_layers import edge_width
from gui.presentation import SCALES

SPLITTERS = ("mainSplitter", "tableSplitter", "diagramSplitter")


def layout(window):
    """What presenting must give back: geometry, splitters, docks, fonts, pens."""
    return {
        "geometry": window.geometry(),
        "splitters": [window.findChild(QSplitter, name).sizes() for name in SPLITTERS],
        "parameters": window.parameters.isVisible(),
        "status": window.statusBar().isVisible(),
        "dataset dock": window.dataset_dock.isVisible(),
        "table font": window.table.font().pointSizeF(),
        "row height": window.table.verticalHeader().defaultSectionSize(),
        "diagram font": window.diagram.fonts["value"].pointSizeF(),
        "curve width": window.loss_plot.curve.opts["pen"].widthF(),
        "plot scale": window.loss_plot.transform().m11(),
        "full screen": window.isFullScreen(),
    }


def present(window, qtbot, on=True):
    window.actionPresentation.setChecked(on)
    qtbot.waitUntil(lambda: window.isFullScreen() == on)


def test_the_action_is_a_standard_checkable_key(window):
    action = window.actionPresentation
    assert action.isCheckable() and not action.isChecked()
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.FullScreen)
    view = next(m for m in window.menuBar().actions() if m.text() == "&View").menu()
    assert action in view.actions()


def test_presenting_enlarges_what_a_class_reads_and_folds_the_rest(window, qtbot):
    window.dataset_dock.show()
    before = layout(window)
    present(window, qtbot)
    now = layout(window)
    assert now["table font"] >= 1.75 * before["table font"]
    # Rows are as tall as the larger text needs, so no digit is cut.
    assert now["row height"] >= QFontMetricsF(window.table.font()).height()
    assert now["diagram font"] >= 1.75 * before["diagram font"]
    assert now["curve width"] >= 1.75 * before["curve width"]
    assert now["plot scale"] == pytest.approx(1.75, rel=0.02)
    assert not now["parameters"] and not now["status"] and not now["dataset dock"]
    assert window.presentation.active


def test_leaving_gives_the_window_back_exactly(window, qtbot):
    window.dataset_dock.show()
    window.findChild(QSplitter, "tableSplitter").setSizes([300, 420])
    qtbot.waitUntil(lambda: window.findChild(QSplitter, "tableSplitter").sizes()[0] > 0)
    before = layout(window)
    present(window, qtbot)
    present(window, qtbot, on=False)
    qtbot.waitUntil(lambda: layout(window) == before)


def test_a_plot_page_built_while_presenting_is_enlarged_too(window, qtbot):
    present(window, qtbot)
    window.plots.setCurrentIndex(1)   # the Gradients page, built when first shown
    page = window.plots.currentWidget()
    views = [page] if isinstance(page, pg.GraphicsView) else page.findChildren(pg.GraphicsView)
    assert views and all(v.transform().m11() == pytest.approx(1.75, rel=0.02) for v in views)
    present(window, qtbot, on=False)
    assert all(v.transform().m11() == pytest.approx(1.0) for v in views)


def test_the_teachers_scale_is_kept_and_used(window, qtbot):
    size = window.findChild(type(window.actionPresentation), "actionPresentationScale200")
    assert size is not None
    size.trigger()
    assert window.preferences.presentation_scale == 2.0
    window.preferences.save()
    assert float(QSettings().value("presentationScale")) == 2.0
    again = Preferences()
    again.load()
    assert again.presentation_scale == 2.0
    normal = window.table.font().pointSizeF()
    present(window, qtbot)
    assert window.table.font().pointSizeF() == pytest.approx(2.0 * normal)


def test_a_damaged_scale_setting_gives_the_default(window):
    QSettings().setValue("presentationScale", "11")
    again = Preferences()
    again.load()
    assert again.presentation_scale == SCALES[0]


def test_closing_while_presenting_keeps_the_normal_layout(window, qtbot):
    def restored(saved):
        probe = type(window)()
        probe.restoreGeometry(saved)
        geometry, full = probe.geometry(), probe.isFullScreen()
        probe.close()
        return geometry, full
    normal = restored(window.saveGeometry())
    present(window, qtbot)
    assert restored(window.saveGeometry()) != normal   # what closing must not keep
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert restored(QSettings().value("geometry")) == normal


def test_a_wide_network_is_presented_too(window, qtbot):
    window.choose_example("mazur")
    before = window.diagram.fonts["value"].pointSizeF()
    present(window, qtbot)
    assert window.diagram.fonts["value"].pointSizeF() >= 1.75 * before
    assert window.diagram.network is not None
    present(window, qtbot, on=False)
    assert window.diagram.fonts["value"].pointSizeF() == before
    assert window.windowState() == Qt.WindowState.WindowNoState


def test_the_current_rows_section_is_shown_whole_from_its_title(window, qtbot):
    present(window, qtbot)
    table, model = window.table, window.table.derivation_model
    table.select_term("dL/dW1")
    row = model.row_of("dL/dW1")
    titles = model.section_rows()
    title = max(r for r in titles if r <= row)
    end = min([r for r in titles if r > title] + [model.rowCount()]) - 1
    viewport = table.viewport().rect()
    qtbot.waitUntil(lambda: table.rowAt(0) == title and viewport.contains(
        table.visualRect(model.index(end, 0))))


def test_a_column_width_the_learner_set_comes_back(window, qtbot):
    window.table.setColumnWidth(0, 211)
    present(window, qtbot)
    assert window.table.columnWidth(0) != 211   # measured in the larger font
    present(window, qtbot, on=False)
    assert window.table.columnWidth(0) == 211


def test_the_diagram_shows_the_same_state_in_its_larger_fonts(window, qtbot):
    window.state.train(3)
    before = {key: label.text() for key, label in window.diagram.texts.items()}
    present(window, qtbot)
    assert {key: label.text() for key, label in window.diagram.texts.items()} == before
    present(window, qtbot, on=False)
    assert {key: label.text() for key, label in window.diagram.texts.items()} == before


def test_the_diagrams_lines_thicken_with_its_text(window, qtbot):
    def widths(diagram):
        return {name: diagram.shapes[name].pen().widthF() for name in ("W1", "W2", "W3")}
    before = widths(window.diagram)
    present(window, qtbot)
    now = widths(window.diagram)
    # The scene grows with its fonts and is fitted to its pane: lines keep their look only if
    # they grow as much.
    assert all(now[name] == pytest.approx(1.75 * before[name]) for name in before)
    window.choose_example("mazur")
    wide = window.diagram.network
    cap = max(1.5, 0.25 * wide.geometry.pitch)   # a weight's line is never wider than this share of its room
    params = window.shown().params
    for edge, line in wide.edges.items():
        name, row, column = place(edge)
        assert line.pen().widthF() == pytest.approx(1.75 * min(edge_width(params[name][row, column]), cap))
    present(window, qtbot, on=False)
    assert window.diagram.network.line_scale == 1.0
