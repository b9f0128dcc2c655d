"""What a newcomer tripped over, driven as they did it: divergence step
numbers, the loss axis, a new session's plot, autosave during a run, run
until a goal, and a dataset the x and y boxes must not replace."""

import csv
import math

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtGui import QAction, QFontMetricsF, QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QPushButton, QScrollArea, QTableWidget, QTextBrowser

from engine import session
import gui.state
from gui import MainWindow, run_until
from helpers import answer_save, new_window


def train_to_divergence(window, qtbot):
    """One step, then a large α set by hand at step 1 (a new segment starts
    there, as in the learner's run), then Run until training stops."""
    window.state.train(1)
    window.set_value("alpha", 5.0)
    window.speed.setCurrentIndex(window.speed.findData(0))
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20_000)
    window.flush()


def test_a_divergence_names_the_steps_the_slider_shows(window, qtbot):
    train_to_divergence(window, qtbot)
    state = window.state
    assert state.divergence is not None
    last = state.last
    assert window.timeline_bar.label.text() == f"step {last:,} of {last:,}"
    message = window.statusBar().currentMessage()
    # The update that failed would have made the state after the last one kept.
    assert state.divergence.step == last + 1
    assert f"at step {last + 1:,}" in message and f"step {last:,}" in message
    assert f"step {last - 1:,}" not in message.replace(f"step {last - 1:,}0", "")
    # and the kept state is finite while the table shows it
    assert math.isfinite(state.derivation().value("L"))


def axis_texts(plot):
    item = plot.getPlotItem()
    left, bottom = item.getAxis("left"), item.getAxis("bottom")
    return left.labelString() + bottom.labelString()


def test_the_loss_axis_shows_plain_numbers_and_no_negative_loss(window, qtbot):
    train_to_divergence(window, qtbot)   # losses up to 1e+100 and beyond
    plot = window.loss_plot
    box = plot.getPlotItem().getViewBox()
    box.autoRange()
    assert "x1e" not in axis_texts(plot) and "(x" not in axis_texts(plot)
    assert box.viewRange()[1][0] >= 0.0
    # the finite states are all in view
    losses = window.state.timeline.column("L")
    assert box.viewRange()[1][1] >= min(losses.max(), 1e306)    # pyqtgraph's views end at 1e307
    top = box.viewRange()[1][1]
    box.translateBy(y=-top / 2)   # dragged down: still no negative losses
    assert box.viewRange()[1][0] >= 0.0


def test_small_losses_get_no_scale_factor(window):
    window.set_value("y", 0.8)   # ŷ is close to y: losses of 1e-3 and less
    window.state.train(30)
    window.flush()
    plot = window.loss_plot
    plot.getPlotItem().getViewBox().autoRange()
    assert window.state.timeline.column("L").max() < 0.05
    assert "(x" not in axis_texts(plot)


def test_a_log_axis_is_not_held_at_zero(window):
    window.state.train(20)
    window.actionLogScale.setChecked(True)
    window.flush()
    box = window.loss_plot.getPlotItem().getViewBox()
    box.autoRange()
    low = math.log10(window.state.timeline.column("L").min())
    assert box.viewRange()[1][0] <= low     # a log axis shows decades below 10⁰


def test_new_session_fits_the_plot_to_its_data(window, qtbot):
    window.state.train(500)
    window.flush()
    box = window.loss_plot.getPlotItem().getViewBox()
    box.setRange(xRange=(0, 100_000), yRange=(0, 100_000), padding=0)
    assert window.sessions.new()
    window.flush()
    qtbot.waitUntil(lambda: box.viewRange()[0][1] < 1000)    # the view follows at its next paint
    (x0, x1), (y0, y1) = box.viewRange()
    loss = window.state.derivation().value("L")
    assert x1 - x0 < 1000 and x0 < 0 < x1      # the single point is inside the view, not at its edge
    assert y0 < loss < y1 and y1 - y0 < 100


def test_a_run_is_autosaved_while_it_runs_and_recovered(qtbot, no_modal_dialogs):
    crashing = MainWindow()          # not the fixture's: this one is destroyed, never closed
    crashing.show()
    crashing.speed.setCurrentIndex(crashing.speed.findData(0))
    crashing.actionRun.trigger()
    qtbot.waitUntil(lambda: crashing.state.last >= 200, timeout=20_000)
    assert crashing.runner.running
    # What the autosave timer calls, while the run goes on: not skipped because training runs.
    assert crashing.sessions.autosave() is True
    qtbot.waitUntil(lambda: not crashing.writes.busy(), timeout=20_000)
    saved = session.read(crashing.sessions.autosave_path())
    assert len(saved.timeline) >= 201
    rows = saved.timeline.rows()
    shiboken6.delete(crashing)        # gone without closeEvent, as in a crash: the autosave stays
    later = new_window(qtbot)
    assert later.sessions.offer_recovery() is True
    assert later.state.timeline.rows().tobytes() == rows.tobytes()
    later.state.undo_stack.setClean()


@pytest.fixture
def goal(monkeypatch):
    asked = []

    def set_goal(loss, steps):
        monkeypatch.setattr(run_until, "ask", lambda parent, *last: asked.append(last) or (loss, steps))
    set_goal.asked = asked
    return set_goal


def test_run_until_the_loss_is_below_a_target_stops_at_the_first_such_state(window, qtbot, goal):
    window.speed.setCurrentIndex(window.speed.findData(0))
    goal(0.01, 1_000_000)
    window.actionRunUntil.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20_000)
    losses = window.state.timeline.column("L")
    below = np.flatnonzero(losses < 0.01)
    assert len(below) and below[0] == window.state.last        # the run ended exactly there
    message = window.statusBar().currentMessage()
    assert f"after {window.state.last:,} updates" in message and "0.01" in message
    window.actionUndo.trigger()                                   # one undo takes the run back
    assert window.state.last == 0


def test_run_until_a_step_limit(window, qtbot, goal):
    window.speed.setCurrentIndex(window.speed.findData(0))
    goal(1e-30, 37)
    window.actionRunUntil.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20_000)
    assert window.state.last == 37
    assert "Stopped after 37 updates" in window.statusBar().currentMessage()
    goal(1e-30, 5)
    window.actionRunUntil.trigger()                               # a second goal counts from where it starts
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20_000)
    assert window.state.last == 42
    assert goal.asked[-1] == (1e-30, 37)                          # the last goal is offered again


def test_run_until_a_loss_already_reached_runs_nothing(window, goal):
    goal(1e6, 100)
    window.actionRunUntil.trigger()
    assert window.state.last == 0 and not window.runner.running
    assert "already below" in window.statusBar().currentMessage()


def test_a_bad_target_is_refused_in_the_dialog(qtbot):
    dialog = run_until.RunUntilDialog(None, 1e-6, 10)
    qtbot.addWidget(dialog)
    for text in ("-1", "0", "nan", "inf", "ten"):
        dialog.loss.setText(text)
        dialog.accept()
        assert dialog.result() == 0 and "positive number" in dialog.problem.text(), text
    dialog.loss.setText("2.5e-3")
    assert dialog.goal() == (2.5e-3, 10)


def test_x_and_y_never_silently_replace_a_dataset(window):
    window.set_samples([0.0, 1.0, 2.0], [0.0, 0.5, 0.9], None, None)
    assert len(window.state.samples()[0]) == 3
    window.set_value("x", 1.5)
    assert len(window.state.samples()[0]) == 3                  # refused: the dataset stays
    assert "Dataset panel" in window.statusBar().currentMessage()


def test_help_opens_the_shipped_derivation_and_lists_every_shortcut(window, qtbot):
    window.actionDerivationHelp.trigger()
    dialog = window.findChild(QDialog, "derivationHelp")
    assert dialog is not None and dialog.isVisible()
    text = dialog.findChild(QTextBrowser, "derivationText").toPlainText()
    assert "∂L/∂W₁" in text
    window.actionShortcutsHelp.trigger()
    table = window.findChild(QDialog, "shortcutsHelp").findChild(QTableWidget, "shortcutsTable")
    listed = {table.item(row, 1).text() for row in range(table.rowCount())}
    # Every menu action with a shortcut is listed, with its key as the menu shows it.
    for action in window.findChildren(QAction):
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if key and action in window.shortcut_actions():
            assert any(key in entry for entry in listed), action.objectName()
    for name in ("actionStep", "actionRun", "actionStepBack", "actionUndo", "actionExplain", "actionRunUntil"):
        assert window.findChild(QAction, name) in window.shortcut_actions()


def test_a_branch_question_agrees_in_number(window, no_modal_dialogs):
    window.state.train(2)
    window.state.move_to(1)
    window.set_value("W1", 0.4)
    assert "drops the later state. Undo brings it back." in no_modal_dialogs[-1][1][2]
    window.state.train(3)
    window.state.move_to(1)
    window.set_value("W1", 0.3)
    assert "drops the 3 later states. Undo brings them back." in no_modal_dialogs[-1][1][2]


def test_the_wheel_over_the_panel_changes_no_value(window, qtbot):
    window.resize(1280, 600)     # short enough that the panel scrolls
    box = window.parameters.spinboxes["y"]
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus)
    before = window.state.edited_values()
    position = box.mapTo(window, box.rect().center())
    QTest.wheelEvent(window.windowHandle(), QPointF(position), QPoint(0, -120))
    assert window.state.edited_values() == before and box.value() == 4.0
    assert window.state.undo_stack.count() == 0


def test_training_shortcuts_work_while_a_number_box_has_focus(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    box = window.parameters.spinboxes["alpha"]
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, "0.02")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.state.edited_values()["alpha"] == 0.02
    qtbot.keyClick(box, Qt.Key.Key_F10)                                     # Step
    assert window.state.last == 1
    qtbot.keyClick(box, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)   # Step Back
    assert window.state.cursor == 0
    qtbot.keyClick(box, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)  # Step Forward
    assert window.state.cursor == 1
    qtbot.keyClick(box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)      # Undo: the step
    assert window.state.last == 0
    assert box.hasFocus()


def test_the_walk_s_last_stop_applies_the_update_and_follows_it(window, qtbot):
    window.actionExplain.setChecked(True)
    walk = window.walk
    count = len(window.state.derivation())
    for _ in range(count):
        window.actionNextTerm.trigger()
    assert walk.index == count - 1
    apply = walk.findChild(QPushButton, "applyUpdate")
    assert apply.isVisibleTo(walk)
    before = window.state.edited_values()
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    window.flush()
    assert window.state.last == 1 and window.state.cursor == 1
    assert window.state.edited_values()["W1"] == window.state.timeline.params(1)["W1"] != before["W1"]
    assert walk.index == 0 and "Stop 1 of" in walk.title.text()   # the walk goes on with the new update
    window.actionNextTerm.trigger()
    window.actionStep.trigger()                                     # Step in the middle: the walk stays put
    window.flush()
    assert walk.index == 1


def test_the_chain_of_dL_dW1_is_lit_on_the_diagram(window, qtbot):
    lit = []
    window.table.chainChanged.connect(lit.append)
    window.table.select_term("dL/dW1")
    assert lit and set(lit[-1]) >= {"x", "W1", "h1", "W2", "h2", "W3", "yhat"}
    assert set(window.diagram._chain) == set(lit[-1])


def test_predict_mode_hides_the_same_terms_in_the_diagram_and_the_table(window, qtbot):
    window.actionPredict.setChecked(True)
    window.flush()
    texts = window.diagram.texts
    assert "?" in texts["h1.value"].text() and "?" in texts["W1.grad"].text()
    walk = window.walk
    walk.prediction.setText("1.1")
    walk.check()                     # z₁ revealed in the table ...
    hidden = window.shown().hidden
    assert "z1" not in hidden and "h1" in hidden
    for _ in range(2):               # ... then h₁: the diagram shows it too
        walk.check()
    walk.prediction.setText("0.8")
    walk.check()
    assert "h1" not in window.shown().hidden
    assert "?" not in texts["h1.value"].text() and "?" in texts["h2.value"].text()


def test_changes_are_named_in_words_not_internal_names(window, no_modal_dialogs):
    window.set_spec("activation1", "relu")
    assert window.state.undo_stack.undoText() == "Set the first hidden layer's activation to ReLU"
    window.set_spec("decay_every", 50)
    assert window.state.undo_stack.undoText() == "Set the step schedule's k to 50"
    window.state.train(2)
    window.state.move_to(0)
    window.set_spec("activation2", "sigmoid")
    question = no_modal_dialogs[-1][1][2]
    assert "Changing the second hidden layer's activation at step 0" in question
    assert "activation2" not in question


def test_each_preset_says_what_it_can_teach(window):
    panel = window.dataset_panel
    panel.preset.setCurrentText("sine")
    text = panel.preset_text.text()
    assert "cannot fit" in text and "monotone" in text
    panel.preset.setCurrentText("noisy line")
    assert "cannot fit" not in panel.preset_text.text()


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_the_diagram_stays_readable_with_both_docks_open(window, qtbot, size):
    window.resize(*size)
    window.dataset_dock.show()
    window.undo_dock.show()
    qtbot.waitUntil(lambda: window.dataset_dock.isVisible() and window.undo_dock.isVisible())
    table_px = QFontMetricsF(window.table.font()).height()
    qtbot.waitUntil(lambda: window.diagram.width() >= window.diagram.minimumSizeHint().width())
    assert window.diagram.smallest_text_pixels() >= table_px - 1e-6
    # Every value a learner sets is in view without scrolling.
    scroll = window.findChild(QScrollArea, "parameterScroll")
    for name in ("W1", "b1", "W2", "b2", "W3", "b3", "x", "y", "alpha"):
        box = window.parameters.spinboxes[name]
        bottom = box.mapTo(scroll.viewport(), box.rect().bottomLeft()).y()
        assert 0 <= bottom <= scroll.viewport().height(), name


def test_the_exported_derivation_carries_the_numerical_check(window, qtbot, monkeypatch, tmp_path):
    target = tmp_path / "derivation.csv"
    answer_save(monkeypatch, target)
    window.set_value("W1", 0.7)
    window.export_derivation()
    window.writes.finish()
    with open(target, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0])[:7] == ["step", "layer", "quantity", "symbol", "formula", "substitution", "value"]
    assert list(rows[0])[7:] == ["numerical", "relative_error"]
    filled = {row["quantity"]: row for row in rows if row["numerical"]}
    assert set(filled) == {f"dL/d{p}" for p in ("W1", "b1", "W2", "b2", "W3", "b3")}
    # An independent central difference of L over W₁ (tanh network, the worked example with W₁ = 0.7).
    def loss(w1):
        h1 = math.tanh(w1 * 2 + 0.1)
        h2 = math.tanh(0.8 * h1 - 0.2)
        return (1.2 * h2 + 0.3 - 4) ** 2
    h = 1e-6
    central = (loss(0.7 + h) - loss(0.7 - h)) / (2 * h)
    assert float(filled["dL/dW1"]["numerical"]) == pytest.approx(central, rel=1e-6)
    assert float(filled["dL/dW1"]["relative_error"]) < 1e-6


def test_predict_mode_keeps_the_loss_off_the_plot_until_it_is_revealed(window):
    window.state.train(5)
    window.state.move_to(3)
    window.actionPredict.setChecked(True)
    window.flush()
    plot = window.loss_plot
    assert list(plot.curve.xData) == [0, 1, 2]          # the states before the shown one
    assert plot.marker.xData is None or len(plot.marker.xData) == 0
    losses = window.state.timeline.column("L")
    walk = window.walk
    while walk.term.id != "L":
        walk.prediction.setText("0")
        walk.check()
        walk.check()
    walk.prediction.setText(str(losses[3]))
    walk.check()                                          # L revealed
    assert list(plot.curve.xData) == [0, 1, 2, 3, 4, 5] and list(plot.marker.yData) == [losses[3]]


def test_a_large_batch_is_checked_in_the_background(window, qtbot):
    state = window.state
    state.background_checks_from = 10     # a small dataset stands for a million samples
    x = np.linspace(-1, 1, 40)
    window.set_samples(x, 0.5 * x, None, None)
    window.flush()
    model = window.table.derivation_model
    row = next(r for r in model.term_rows() if model.index(r, 0).data(Qt.ItemDataRole.UserRole) == "dL/dW1")
    # The worker's answer arrives as a signal, perhaps before this line: wait for its result.
    qtbot.waitUntil(lambda: state.gradient_checks() is not None, timeout=20_000)
    window.flush()
    assert model.index(row, 4).data()      # the numerical check is shown once it is known
    checks = state.gradient_checks()
    assert checks is not None
    assert checks == state.gradient_checks(wait=True) or all(
        a.numeric == b.numeric for a, b in zip(checks, state.gradient_checks(wait=True)))


def test_a_background_check_gives_up_once_its_state_is_shown_no_more(window, qtbot, monkeypatch):
    state = window.state
    state.background_checks_from = 10     # a small dataset stands for a million samples
    told = []
    monkeypatch.setattr(gui.state, "_checks", lambda trainer, index, stopped=None: told.append(stopped) or [])
    x = np.linspace(-1, 1, 40)
    window.set_samples(x, 0.5 * x, None, None)
    window.flush()
    qtbot.waitUntil(lambda: len(told) == 1)   # the shown state's check went to the worker
    assert not told[0]()                      # and goes on while its state is shown
    window.actionStep.trigger()
    assert told[0]()    # another state shown: it gives up (it held a core), before any redraw


def test_a_check_is_not_begun_for_a_state_left_before_its_turn(window, qtbot, monkeypatch):
    state = window.state
    state.background_checks_from = 10
    told = []
    monkeypatch.setattr(gui.state, "_checks", lambda trainer, index, stopped=None: told.append(index) or [])
    x = np.linspace(-1, 1, 40)
    window.set_samples(x, 0.5 * x, None, None)   # drawn at once: state 0's check is asked for
    window.actionStep.trigger()                  # state 1 shown, its redraw deferred (as in a run)
    qtbot.waitUntil(lambda: bool(told))
    assert told == [1]                           # state 0's check never began


def test_no_check_is_computed_while_training_runs(window, qtbot, monkeypatch):
    calls = []
    real = window.state.gradient_checks
    monkeypatch.setattr(window.state, "gradient_checks", lambda *a, **k: calls.append(1) or real(*a, **k))
    window.speed.setCurrentIndex(window.speed.findData(0))
    window.actionRun.trigger()
    assert window.runner.running
    calls.clear()                         # (the state shown as the run starts is checked)
    shown, show = [], window.timeline_bar.show_position
    monkeypatch.setattr(window.timeline_bar, "show_position",
                        lambda *a: shown.append(window.runner.running) or show(*a))
    qtbot.waitUntil(lambda: shown.count(True) >= 3, timeout=20_000)   # three redraws while running
    assert calls == []
    window.actionRun.trigger()           # paused: the shown state is checked
    window.flush()
    assert calls


def test_one_walk_at_a_time(window):
    window.actionExplain.trigger()
    assert window.walk.mode == "explain"
    window.actionPredict.trigger()                 # the other walk: the first one ends
    assert window.walk.mode == "predict" and not window.actionExplain.isChecked()
    window.actionPredict.trigger()                 # and again: no walk
    assert window.walk.mode is None and not window.walk.isVisible()
