import pytest
from PySide6.QtWidgets import QMessageBox

from gui import MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.runner.stop()


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A real modal box would hang a headless run: record instead of showing."""
    shown = []
    answers = {"question": QMessageBox.StandardButton.Yes}
    for name in ("critical", "warning", "information", "question", "about"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(
            lambda *args, _name=name, **kwargs: shown.append((_name, args))
            or answers.get(_name, QMessageBox.StandardButton.Ok)))
    return shown
