"""A slider over every state of the timeline, with the step it shows."""

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget


class TimelineBar(QWidget):
    moved = Signal(int)   # the learner chose a state

    def __init__(self, back, forward, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)

        def button(action):
            tool = QToolButton()
            tool.setDefaultAction(action)
            tool.setAccessibleName(action.iconText())   # the action's text without its & and …
            tool.setAccessibleDescription(action.statusTip())
            return tool
        layout.addWidget(QLabel("State:"))
        layout.addWidget(button(back))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeline")
        self.slider.setAccessibleName("Timeline, the state shown")
        self.slider.setToolTip("Scrub through every state of training")
        self.slider.setAccessibleDescription(self.slider.toolTip())
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self.moved)
        layout.addWidget(self.slider, 1)
        layout.addWidget(button(forward))
        self.label = QLabel()
        self.label.setMinimumWidth(self.fontMetrics().horizontalAdvance("step 10,000,000 of 10,000,000"))
        layout.addWidget(self.label)

    def show_position(self, cursor, last):
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, last)
            self.slider.setValue(cursor)
        self.label.setText(f"step {cursor:,} of {last:,}")
