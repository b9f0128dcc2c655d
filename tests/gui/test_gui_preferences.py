"""Preferences: read back vetted from the settings file, saved, and each one
shown and edited by its widget or action, with what depends on it following.

(test_gui_sessions.py has the window keeping them across a close; the session
files' own speed and log axis are in test_gui_hostile_files.py.)"""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QToolButton

from gui.preferences import Preferences, name_application

CHANGED = {"speed": 10, "log_scale": True, "confirm_branch": False, "tolerance": 2.5, "advanced_shown": True}


def write_settings(text):
    name_application()
    path = Path(QSettings().fileName())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[General]\n{text}\n", encoding="utf-8")


@pytest.mark.parametrize("text, branch, tolerance", [
    ("tolerance=2_5\nconfirmBranch=yes\nadvancedShown=on\nrecentFiles=5", True, 1.0),
    ("tolerance=١٢\nconfirmBranch=2\nrecentFiles=true", True, 1.0),           # Arabic-Indic digits
    ("tolerance=0x10\nconfirmBranch=@Variant(\\0\\0\\0\\x2\\0\\0\\0\\0)\n"
     "recentFiles=@Variant(\\0\\0\\0\\x2\\0\\0\\0\\x5)", True, 1.0),
    ("tolerance=1e308\nconfirmBranch=@ByteArray(false)\nrecentFiles=@ByteArray(/a.bpe)", True, 1.0),
    ("tolerance=inf\nconfirmBranch=@Rect(0 0 1 1)\nrecentFiles=@Rect(1 2 3 4)", True, 1.0),
    ("tolerance=@Variant(\\0\\0\\0\\x1\\x1)\nconfirmBranch=false, true", True, 1.0),   # a bool; a list
    ("tolerance= 2.5 \nconfirmBranch= FALSE \nrecentFiles=relative/lesson.bpe", False, 2.5),   # plain values read
    ("tolerance=1e400\nconfirmBranch=\nrecentFiles=", True, 1.0),
    ("tolerance=-7\nconfirmBranch=@Invalid()\nrecentFiles=@Invalid()", True, 1.0),
    ("tolerance=50.004\ngeometry=not geometry\nwindowState=5", True, 1.0),
])
def test_damaged_values_in_the_settings_give_defaults(qtbot, text, branch, tolerance):
    write_settings(text)
    window = QMainWindow()
    qtbot.addWidget(window)
    preferences = Preferences()
    preferences.load(window)
    assert (preferences.confirm_branch, preferences.tolerance) == (branch, tolerance)
    assert preferences.advanced_shown is False and preferences.recent_files() == []


def test_saved_preferences_are_loaded_back_but_speed_and_log_axis_stay_with_sessions(qapp):
    saved = Preferences()
    for name, value in CHANGED.items():
        setattr(saved, name, value)
    with pytest.raises(ValueError):
        saved.speed = 7                    # not one of the speeds offered
    saved.tolerance = 2.625                # rounded as its box rounds, away from zero
    saved.save()
    loaded = Preferences()
    loaded.load()
    assert {name: getattr(loaded, name) for name in CHANGED} == dict(CHANGED, tolerance=2.63,
                                                                     speed=100, log_scale=False)
    assert saved.session_settings() == {"speed": 10, "log_scale": True}


# Each preference: how the window edits it, and everything that shows or follows it.
BOUND = {
    "speed": (lambda w, v: w.speed.setCurrentIndex(w.speed.findData(v)),
              lambda w: {w.speed.currentData(), w.runner.steps_per_second}),
    "log_scale": (lambda w, v: w.actionLogScale.trigger(), lambda w: {w.actionLogScale.isChecked(), w.loss_plot.log}),
    "confirm_branch": (lambda w, v: w.actionConfirmBranch.trigger(), lambda w: {w.actionConfirmBranch.isChecked()}),
    "tolerance": (lambda w, v: w.walk.tolerance.setValue(v), lambda w: {w.walk.tolerance.value()}),
    "advanced_shown": (lambda w, v: w.findChild(QToolButton, "advancedToggle").click(),
                       lambda w: {w.parameters.advanced_shown()}),
}


def test_each_widget_edits_its_preference_and_shows_it(window):
    preferences = window.preferences
    changes = []
    preferences.changed.connect(changes.append)
    for name, (edit, shown) in BOUND.items():
        default, value = getattr(preferences, name), CHANGED[name]
        edit(window, value)
        assert getattr(preferences, name) == value and shown(window) == {value}, name
        setattr(preferences, name, default)
        assert shown(window) == {default}, name
    # One signal per change: an edit is not passed on twice, nor a shown value taken for another edit.
    assert changes == [name for name in BOUND for _ in range(2)]
