"""The Qt binding must keep Python's reference counts: PySide6 6.12.0 lost a
reference to None on every call of a void method, and on Python 3.11 the app
crashed ("deallocating None") after a few thousand redraws."""

import sys

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QDoubleSpinBox


def test_void_calls_keep_the_reference_count_of_none(qtbot):
    box = QDoubleSpinBox()
    qtbot.addWidget(box)
    before = sys.getrefcount(None)
    for _ in range(200):
        box.setValue(1.0)
        box.setStyleSheet("")
        with QSignalBlocker(box):
            pass
    assert sys.getrefcount(None) - before > -50
