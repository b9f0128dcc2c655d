import math

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from gui.writes import ByPieces, Writes
from helpers import new_window


@pytest.fixture(autouse=True)
def private_folders(tmp_path, monkeypatch):
    """Each test gets its own settings file and data folder (autosaves)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.NativeFormat, scope, str(tmp_path / "config"))
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(tmp_path / "config"))
    return tmp_path


@pytest.fixture(autouse=True)
def whole_writes(monkeypatch):
    """The app slices a write by the clock, so how much of a file is there when
    ``start`` returns depends on the machine's speed and load.  Here a write is
    complete in the slice that starts it; a test of writing between events sets
    the window's own ``writes.slices`` (e.g. ``ByPieces(1)``)."""
    monkeypatch.setattr(Writes, "slices", ByPieces(math.inf))


@pytest.fixture
def piecewise(window):
    """The window, writing one piece of a file per pass of the event loop."""
    window.writes.slices = ByPieces(1)
    return window


@pytest.fixture
def window(qtbot):
    w = new_window(qtbot)
    yield w
    w.runner.stop()


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A real modal box would hang a headless run: record instead of showing."""
    shown = []
    buttons = QMessageBox.StandardButton

    def answer(name, args):
        shown.append((name, args))
        if name != "question":
            return buttons.Ok
        offered = args[3] if len(args) > 3 else buttons.Yes | buttons.No
        # Yes to a yes/no question; Discard when closing a modified session.
        return buttons.Yes if offered & buttons.Yes else buttons.Discard
    for name in ("critical", "warning", "information", "question", "about"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(
            lambda *args, _name=name, **kwargs: answer(_name, args)))
    return shown
