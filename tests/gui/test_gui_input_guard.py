"""gui.input_guard: the wheel changes a box only while it has focus, and the
window's shortcuts work while a number box has focus (but for typing and the
box's own undo of an edit in progress)."""

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QApplication, QComboBox, QDoubleSpinBox, QMainWindow, QScrollArea,
                               QVBoxLayout, QWidget)

from gui.input_guard import _WheelGuard, guard_inputs, prefer_actions


# --- the wheel ------------------------------------------------------------------

@pytest.fixture
def scrolled(qtbot):
    """A short scroll area over a tall column of spinboxes (each at 4) and a combo box."""
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    inner = QWidget()
    column = QVBoxLayout(inner)
    boxes = []
    for _ in range(30):
        box = QDoubleSpinBox()
        box.setValue(4.0)
        column.addWidget(box)
        boxes.append(box)
    combo = QComboBox()
    combo.addItems(["tanh", "sigmoid", "relu"])
    column.insertWidget(2, combo)
    scroll.setWidget(inner)
    scroll.setWidgetResizable(True)
    scroll.resize(200, 200)
    scroll.show()
    qtbot.waitExposed(scroll)
    # Shown, the window gives the first box focus; the others are the unfocused ones.
    return scroll, boxes[1:], combo


def wheel_over(scroll, widget):
    """One notch down over ``widget``, through the window as a real wheel arrives
    (a spontaneous event: only such a one is handed on to the parents)."""
    position = widget.mapTo(scroll, widget.rect().center())
    QTest.wheelEvent(scroll.windowHandle(), QPointF(position), QPoint(0, -120))


def test_without_the_guard_the_wheel_changes_a_box_it_passes_over(scrolled):
    # The bug itself: this is how y went from 4 to 3.3 while scrolling.
    scroll, boxes, _ = scrolled
    wheel_over(scroll, boxes[0])
    assert boxes[0].value() == 3.0
    assert scroll.verticalScrollBar().value() == 0


def test_the_wheel_over_an_unfocused_box_scrolls_the_panel(scrolled):
    scroll, boxes, combo = scrolled
    guard_inputs(scroll)
    wheel_over(scroll, boxes[0])
    assert boxes[0].value() == 4.0
    assert not boxes[0].hasFocus()   # the wheel alone gives no focus
    assert scroll.verticalScrollBar().value() > 0


def test_the_wheel_over_an_unfocused_combo_box_scrolls_the_panel(scrolled):
    scroll, _, combo = scrolled
    guard_inputs(scroll)
    wheel_over(scroll, combo)
    assert combo.currentIndex() == 0
    assert scroll.verticalScrollBar().value() > 0


def test_a_focused_box_takes_the_wheel(scrolled, qtbot):
    scroll, boxes, combo = scrolled
    guard_inputs(scroll)
    boxes[0].setFocus()
    qtbot.waitUntil(boxes[0].hasFocus)
    wheel_over(scroll, boxes[0])
    assert boxes[0].value() == 3.0
    assert scroll.verticalScrollBar().value() == 0
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel_over(scroll, combo)
    assert combo.currentIndex() == 1


def test_guarding_again_guards_only_the_new_boxes(scrolled, qtbot):
    scroll, boxes, _ = scrolled
    guard_inputs(scroll)
    late = QDoubleSpinBox()
    late.setValue(4.0)
    scroll.widget().layout().insertWidget(0, late)
    guard_inputs(scroll)
    for box in (boxes[0], late):
        assert len(box.findChildren(_WheelGuard)) == 1
        assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus
    qtbot.waitUntil(late.isVisible)     # a layout shows a late child by a queued call
    scroll.widget().layout().activate()
    wheel_over(scroll, late)
    assert late.value() == 4.0
    assert scroll.verticalScrollBar().value() > 0


# --- shortcuts over a focused number box --------------------------------------------

class Learner:
    """A shown, active window with a number box and the app's kinds of actions."""

    def __init__(self, qtbot):
        self.qtbot = qtbot
        self.window = QMainWindow()
        qtbot.addWidget(self.window)
        panel = QWidget()
        column = QVBoxLayout(panel)
        self.box = QDoubleSpinBox()
        self.box.setKeyboardTracking(False)   # as the parameter panel's boxes
        column.addWidget(self.box)
        self.window.setCentralWidget(panel)
        self.triggered = []
        self.back = self.action("back", QKeySequence("Ctrl+Left"))
        self.undo = self.action("undo", QKeySequence(QKeySequence.StandardKey.Undo))
        self.redo = self.action("redo", QKeySequence("Ctrl+Shift+Z"))   # as README documents
        self.step = self.action("step", QKeySequence("F10"))
        self.next = self.action("next", QKeySequence("N"))
        self.window.show()
        qtbot.waitExposed(self.window)
        # Window shortcuts fire only in the active window.
        self.window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is self.window)
        self.focus(self.box)

    def action(self, name, keys):
        action = QAction(name, self.window)
        action.setShortcut(keys)
        action.triggered.connect(lambda: self.triggered.append(name))
        self.window.addAction(action)
        return action

    def focus(self, box):
        box.setFocus()
        self.qtbot.waitUntil(box.hasFocus)

    def type(self, text, box=None):
        box = box or self.box
        box.selectAll()
        self.qtbot.keyClicks(box, text)

    def commit(self, text, box=None):
        self.type(text, box)
        self.qtbot.keyClick(box or self.box, Qt.Key.Key_Return)

    def press(self, key, modifiers=Qt.KeyboardModifier.NoModifier, box=None):
        self.qtbot.keyClick(box or self.box, key, modifiers)

    def prefer(self):
        prefer_actions(self.window, [self.back, self.undo, self.redo, self.step, self.next])


CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def learner(qtbot):
    return Learner(qtbot)


def test_without_preference_the_box_swallows_ctrl_left(learner):
    # What the learner met: after typing α, Ctrl+Left moved the cursor instead.
    learner.commit("0.75")
    learner.press(Qt.Key.Key_Left, CTRL)
    assert learner.triggered == []


def test_ctrl_left_after_typing_a_value_steps_back(learner):
    learner.prefer()
    learner.commit("0.75")
    assert learner.box.value() == 0.75
    learner.press(Qt.Key.Key_Left, CTRL)
    assert learner.triggered == ["back"]
    assert learner.box.hasFocus()


def test_a_shortcut_sent_to_the_boxs_line_edit_also_wins(learner):
    learner.prefer()
    learner.press(Qt.Key.Key_Left, CTRL, box=learner.box.lineEdit())
    assert learner.triggered == ["back"]


def test_a_function_key_works_in_the_box(learner):
    learner.prefer()
    learner.commit("0.5")
    learner.press(Qt.Key.Key_F10)
    assert learner.triggered == ["step"]


def test_undo_while_editing_is_the_boxs_own_then_the_apps(learner):
    learner.prefer()
    learner.commit("0.5")
    learner.type("0.25")              # not committed: the box is being edited
    learner.press(Qt.Key.Key_Z, CTRL)
    assert learner.triggered == []
    assert learner.box.lineEdit().text() == learner.box.textFromValue(0.5)   # the typing undone
    assert learner.box.value() == 0.5
    learner.press(Qt.Key.Key_Z, CTRL)  # the text is the committed value again
    assert learner.triggered == ["undo"]


def test_undo_and_redo_after_a_committed_value_are_the_apps(learner):
    learner.prefer()
    learner.commit("0.5")
    learner.press(Qt.Key.Key_Z, CTRL)
    learner.press(Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert learner.triggered == ["undo", "redo"]


def test_a_disabled_action_leaves_the_key_to_the_box(learner):
    learner.prefer()
    learner.back.setEnabled(False)
    learner.commit("0.75")
    learner.box.lineEdit().end(False)
    learner.press(Qt.Key.Key_Left, CTRL)
    assert learner.triggered == []
    assert learner.box.lineEdit().cursorPosition() < len(learner.box.lineEdit().text())


def test_typing_is_not_taken_by_a_one_key_shortcut(learner):
    learner.prefer()
    five = learner.action("five", QKeySequence("5"))
    prefer_actions(learner.window, [five])
    learner.type("5")
    learner.press(Qt.Key.Key_N)
    assert learner.triggered == []
    assert learner.box.lineEdit().text() == "5"


def test_preferring_again_covers_new_boxes_and_new_actions(learner):
    learner.prefer()
    late = QDoubleSpinBox()
    learner.window.centralWidget().layout().addWidget(late)
    forward = learner.action("forward", QKeySequence("Ctrl+Right"))
    prefer_actions(learner.window, [forward])
    learner.focus(late)
    learner.commit("0.5", box=late)
    learner.press(Qt.Key.Key_Left, CTRL, box=late)
    learner.press(Qt.Key.Key_Right, CTRL, box=late)
    assert learner.triggered == ["back", "forward"]
