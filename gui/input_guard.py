"""Keeps number boxes and combo boxes from taking input a learner did not mean
for them.

``guard_inputs(root)``: a spinbox or combo box under ``root`` reacts to the
mouse wheel only while it has keyboard focus; otherwise the wheel scrolls the
panel around it (scrolling past y must not turn 4 into 3.3).

``prefer_actions(root, actions)``: a focused spinbox does not swallow the
shortcuts of ``actions`` (Ctrl+Left, Ctrl+Z, F10 …), except typing and the
box's own undo while its text is being edited.

Both may be called again after new widgets appear: only those are guarded then.
"""

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox

_WHEEL_MARK = "inputGuardWheel"
_ACTIONS_MARK = "inputGuardActions"
_ACTIONS_FILTER = "inputGuardActionFilter"
# Shift and the keypad flag do not make a key a command: Shift+N still types "N".
_NOT_COMMANDS = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


class _WheelGuard(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Wheel and not watched.hasFocus():
            # Ignored and filtered: QApplication hands the wheel on to the parent
            # (the scroll area), and the box's value stays.
            event.ignore()
            return True
        return False


def guard_inputs(root):
    """Every QAbstractSpinBox and QComboBox under ``root`` takes focus by click
    or Tab only, and passes the wheel on while it has no focus."""
    for box in root.findChildren(QAbstractSpinBox) + root.findChildren(QComboBox):
        if box.property(_WHEEL_MARK):
            continue
        box.setFocusPolicy(Qt.FocusPolicy.StrongFocus)   # the wheel alone gives no focus
        box.installEventFilter(_WheelGuard(box))          # dies with its box
        box.setProperty(_WHEEL_MARK, True)


def _committed_text(box):
    """The text the box shows for its value, or None if it cannot say."""
    if hasattr(box, "textFromValue"):
        return box.prefix() + box.textFromValue(box.value()) + box.suffix()
    return None


def _being_edited(box):
    edit = box.lineEdit()
    committed = _committed_text(box)
    if committed is None:    # e.g. a date box: its own undo history tells
        return edit.isUndoAvailable() or edit.isRedoAvailable()
    return edit.text() != committed


class _ActionPreference(QObject):
    """Lets QShortcutMap trigger a matching action instead of the box accepting
    the ShortcutOverride (as QLineEdit does for Ctrl+Left, Ctrl+Z, Home …)."""

    def __init__(self, parent):
        super().__init__(parent)
        self.setObjectName(_ACTIONS_FILTER)
        self.actions = []

    def eventFilter(self, watched, event):
        if event.type() != QEvent.Type.ShortcutOverride:
            return False
        box = watched if isinstance(watched, QAbstractSpinBox) else watched.parent()
        if not isinstance(box, QAbstractSpinBox) or not self._wins(box, event):
            return False
        # Not accepted: the override fails and the shortcut map tries the action.
        event.ignore()
        return True

    def _wins(self, box, event):
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if not (event.modifiers() & ~_NOT_COMMANDS) and event.text() and event.text().isprintable():
            return False    # typing "N" or "P" into a box is typing, not the walk-through's keys
        if ((event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo))
                and _being_edited(box)):
            return False    # undoing one's own typing; once it is committed, Ctrl+Z is the app's
        pressed = QKeySequence(QKeyCombination(modifiers, Qt.Key(event.key())))
        alive = []
        for action in self.actions:
            try:
                shortcuts, enabled = action.shortcuts(), action.isEnabled()
            except RuntimeError:    # the action was deleted with its window
                continue
            alive.append(action)
            if enabled and pressed in shortcuts:
                return True
        self.actions = alive
        return False


def prefer_actions(root, actions):
    """The shortcuts of ``actions`` win over every QAbstractSpinBox under ``root``
    (and its line edit), but for unmodified printable keys and for Undo/Redo
    while the box's text differs from its value.  Calling it again adds
    actions and guards only the boxes that were not guarded yet."""
    preference = root.findChild(_ActionPreference, _ACTIONS_FILTER,
                                Qt.FindChildOption.FindDirectChildrenOnly)
    if preference is None:
        preference = _ActionPreference(root)
    preference.actions += [a for a in actions if a not in preference.actions]
    for box in root.findChildren(QAbstractSpinBox):
        if box.property(_ACTIONS_MARK):
            continue
        box.installEventFilter(preference)
        # A ShortcutOverride sent straight to the line edit (QTest, an input
        # method) would otherwise be accepted there before the box sees it.
        box.lineEdit().installEventFilter(preference)
        box.setProperty(_ACTIONS_MARK, True)
