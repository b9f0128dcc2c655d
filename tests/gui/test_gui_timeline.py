"""Going back in time: step back/forward, the slider, branches, undo and redo."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QSlider

from helpers import assert_spinboxes_match, assert_table_matches, fresh_derivation, reference_trainer


def assert_shows(window, trainer, step):
    window.flush()
    assert window.state.cursor == step
    assert_spinboxes_match(window, trainer.params(step))
    assert_table_matches(window, trainer.derivation(step))
    assert window.loss_plot.current == step
    assert window.timeline_bar.slider.value() == step


def test_back_forward_and_scrub_show_the_history(window, qtbot):
    window.state.train(20)
    expected = reference_trainer(20)
    assert_shows(window, expected, 20)
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert_shows(window, expected, 19)
    window.actionStepBack.trigger()
    assert_shows(window, expected, 18)
    window.actionStepForward.trigger()
    assert_shows(window, expected, 19)
    slider = window.findChild(QSlider, "timeline")
    assert slider.maximum() == 20
    for step in (0, 7, 13, 20, 3):
        slider.setValue(step)
        assert_shows(window, expected, step)
    np.testing.assert_array_equal(window.loss_plot.shown_loss(), expected.history.column("L"))


def test_step_back_stops_at_the_first_state(window):
    window.actionStepBack.trigger()
    assert window.state.cursor == 0 and len(window.state.timeline) == 1


def test_step_forward_past_the_end_trains_one_more(window):
    window.state.train(2)
    window.actionStepForward.trigger()
    assert len(window.state.timeline) == 4
    assert_shows(window, reference_trainer(3), 3)


def test_undo_of_a_long_run_is_exact(window):
    window.state.train(3)
    before = window.state.timeline.rows().copy()
    for _ in range(10):
        window.state.train(1000, run=7)   # chunks of one run, as the runner gives them
    assert len(window.state.timeline) == 10004
    assert window.state.undo_stack.count() == 2      # the three-step train, then one run of 10,000
    window.actionUndo.trigger()
    assert np.array_equal(window.state.timeline.rows(), before)
    assert_shows(window, reference_trainer(3), 3)
    window.actionRedo.trigger()
    assert np.array_equal(window.state.timeline.rows(), reference_trainer(10003).history.rows())
    assert_shows(window, reference_trainer(10003), 10003)


def test_edit_at_an_earlier_state_branches_after_asking(window, monkeypatch, no_modal_dialogs):
    window.state.train(10)
    window.state.move_to(4)
    window.set_value("W1", 0.9)
    assert no_modal_dialogs[-1][0] == "question"
    state = window.state
    assert len(state.timeline) == 5 and state.cursor == 4
    expected = dict(reference_trainer(4).params(4), x=2.0, y=4.0, alpha=0.01, W1=0.9)
    window.flush()
    assert_table_matches(window, fresh_derivation(expected))
    # the states before the branch are untouched
    np.testing.assert_array_equal(state.timeline.rows(0, 4), reference_trainer(3).history.rows())
    window.actionUndo.trigger()
    assert len(state.timeline) == 11 and state.cursor == 4
    np.testing.assert_array_equal(state.timeline.rows(), reference_trainer(10).history.rows())
    window.actionRedo.trigger()
    assert len(state.timeline) == 5
    window.state.train(2)
    window.flush()
    assert window.loss_plot.shown_loss().size == 7


def test_declining_the_branch_changes_nothing(window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    window.state.train(5)
    window.state.move_to(2)
    rows = window.state.timeline.rows().copy()
    window.set_value("b2", 0.5)
    assert np.array_equal(window.state.timeline.rows(), rows)
    window.flush()
    assert window.parameters.spinboxes["b2"].value() == round(window.state.edited_values()["b2"], 6)


def test_the_question_can_be_switched_off(window, no_modal_dialogs):
    window.actionConfirmBranch.setChecked(False)
    window.state.train(5)
    window.state.move_to(1)
    window.set_value("W3", 1.0)
    assert not no_modal_dialogs
    assert len(window.state.timeline) == 2


def test_edits_of_one_spinbox_merge_into_one_command(window, qtbot):
    box = window.parameters.spinboxes["W2"]
    for _ in range(5):
        qtbot.keyClick(box, Qt.Key.Key_Up)
    assert window.state.undo_stack.count() == 1
    assert abs(window.state.edited_values()["W2"] - 1.3) < 1e-12
    window.actionUndo.trigger()
    window.flush()
    assert window.state.edited_values()["W2"] == 0.8 and box.value() == 0.8


def test_reset_is_undoable(window):
    window.state.train(7)
    window.actionReset.trigger()
    assert len(window.state.timeline) == 1
    window.actionUndo.trigger()
    assert len(window.state.timeline) == 8
    np.testing.assert_array_equal(window.state.timeline.rows(), reference_trainer(7).history.rows())


def test_undo_and_redo_actions_follow_the_stack(window):
    assert not window.actionUndo.isEnabled() and not window.actionRedo.isEnabled()
    window.actionStep.trigger()
    assert window.actionUndo.isEnabled() and "Step" in window.actionUndo.toolTip()
    window.actionUndo.trigger()
    assert window.actionRedo.isEnabled() and not window.actionUndo.isEnabled()
