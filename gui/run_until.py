"""Training → Run Until…: the learner's goal for a run, a loss to get below
and a most number of updates."""

import math

from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QSpinBox)

from .walkthrough import parse_number

MAX_STEPS = 10_000_000


def parse_target(text):
    """The loss to get below: a positive finite number, else ValueError."""
    value = parse_number(text)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(text)
    return value


class RunUntilDialog(QDialog):
    def __init__(self, parent=None, loss=1e-6, steps=10_000):
        super().__init__(parent)
        self.setObjectName("runUntilDialog")
        self.setWindowTitle("Run Until")
        self.use_loss = QCheckBox("until the loss L is below")
        self.use_loss.setObjectName("runUntilUseLoss")
        self.use_loss.setChecked(loss is not None)
        self.loss = QLineEdit("" if loss is None else f"{loss:g}")
        self.loss.setObjectName("runUntilLoss")
        self.loss.setPlaceholderText("e.g. 1e-6 or 0.001")
        self.use_loss.toggled.connect(self.loss.setEnabled)
        self.loss.setEnabled(loss is not None)
        self.steps = QSpinBox()
        self.steps.setObjectName("runUntilSteps")
        self.steps.setRange(1, MAX_STEPS)
        self.steps.setGroupSeparatorShown(True)
        self.steps.setValue(steps)
        self.problem = QLabel()
        self.problem.setObjectName("runUntilProblem")
        self.problem.setStyleSheet("color: #b00020")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel("Train from the last state"))
        form.addRow(self.use_loss, self.loss)
        form.addRow("and at most this many updates", self.steps)
        form.addRow(self.problem)
        form.addRow(buttons)

    def goal(self):
        """(loss or None, steps), or ValueError with what is wrong."""
        loss = None
        if self.use_loss.isChecked():
            try:
                loss = parse_target(self.loss.text())
            except ValueError:
                raise ValueError("The loss to get below must be a positive number, e.g. 1e-6.") from None
        return loss, self.steps.value()

    def accept(self):
        try:
            self.goal()
        except ValueError as error:
            self.problem.setText(str(error))   # the dialog stays: nothing is run
            return
        super().accept()


def ask(parent, loss=1e-6, steps=10_000):
    """The learner's goal, or None if cancelled."""
    dialog = RunUntilDialog(parent, loss, steps)
    return dialog.goal() if dialog.exec() == QDialog.DialogCode.Accepted else None
