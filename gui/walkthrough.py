"""Walk one update stop by stop (a stop per term): "Explain this step" shows
what each link of the chain rule does, with this state's numbers; "Predict,
then reveal" hides each value until the learner has predicted it.  The last
stop offers to apply the update, and the walk follows to the next one."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from engine.derivation import stop_text
from engine.expr import number
from engine.gradcheck import relative_error

from .preferences import Preferences

EXPLAIN, PREDICT = "explain", "predict"


def parse_number(text):
    """A typed number; a true minus sign and a decimal comma are accepted."""
    return float(text.strip().replace("−", "-").replace(",", "."))


class WalkPanel(QWidget):
    """Which stop the walk is at, and in predict mode the score."""

    termChanged = Signal(str)   # the id of the term to show, or "" when the walk ends
    applyRequested = Signal()   # the learner asked, at the last stop, to apply the update

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("walkPanel")
        self.mode = None
        self.index = 0
        self.revealed = False
        self.correct = self.attempts = 0
        self._derivation = None
        self._step = None       # the shown state's step, to notice an update being applied

        self.title = QLabel()
        self.title.setObjectName("walkTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.caption = QLabel()
        self.caption.setObjectName("walkCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)

        self.prediction = QLineEdit()
        self.prediction.setObjectName("prediction")
        self.prediction.setPlaceholderText("your prediction of the value")
        self.prediction.returnPressed.connect(self.check)
        self.check_button = QPushButton("Check")
        self.check_button.clicked.connect(self.check)
        tolerance = Preferences.tolerance   # its range and default declared there
        self.tolerance = QDoubleSpinBox()
        self.tolerance.setObjectName("tolerance")
        self.tolerance.setRange(tolerance.low, tolerance.high)
        self.tolerance.setDecimals(tolerance.decimals)
        self.tolerance.setValue(tolerance.default)
        self.tolerance.setSuffix(" %")
        self.tolerance.setToolTip("How close a prediction must be, relative to the value")
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.score_label = QLabel()
        self.score_label.setObjectName("score")
        self.apply_button = QPushButton("Apply this update (F10)")
        self.apply_button.setObjectName("applyUpdate")
        self.apply_button.setToolTip("Take this gradient-descent step; the walk goes on with the next one")
        self.apply_button.clicked.connect(lambda: self.applyRequested.emit())

        quiz = QHBoxLayout()
        quiz.addWidget(QLabel("Prediction:"))
        quiz.addWidget(self.prediction, 1)
        quiz.addWidget(self.check_button)
        quiz.addWidget(QLabel("within"))
        quiz.addWidget(self.tolerance)
        quiz.addWidget(self.verdict, 1)
        quiz.addWidget(self.score_label)
        self.quiz = QWidget()
        self.quiz.setLayout(quiz)
        quiz.setContentsMargins(0, 0, 0, 0)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.caption)
        layout.addWidget(self.quiz)
        layout.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.hide()

    # --- the walk -------------------------------------------------------
    def start(self, mode, derivation):
        self.mode, self.index, self._derivation = mode, 0, derivation
        self.quiz.setVisible(mode == PREDICT)
        self.show()
        self._show()

    def stop(self):
        self.mode = None
        self.hide()
        self.termChanged.emit("")

    def set_derivation(self, derivation, step=None):
        """The shown state changed.  When its ``step`` moved while the walk
        was at its last stop (the learner applied the update), the walk starts
        over at stop 1 of the new state's update; otherwise it stays at the
        same stop."""
        at_last = self.mode and self._derivation is not None \
            and self.index >= len(self._derivation) - 1
        moved = step is not None and self._step is not None and step != self._step
        if step is not None:
            self._step = step
        self._derivation = derivation
        if not self.mode:
            return
        if at_last and moved:
            self.index = 0
            self._show()
        else:
            # Another spec may have fewer update terms than the last one.
            self.index = min(self.index, len(derivation) - 1)
            self._show(announce=False)

    @property
    def term(self):
        return self._derivation[self.index] if self.mode else None

    @property
    def hidden_from(self):
        """In predict mode, the first term whose value is not yet revealed."""
        if self.mode != PREDICT:
            return None
        return self.index + (1 if self.revealed else 0)

    def next(self):
        if self.mode and self.index < len(self._derivation) - 1:
            self.index += 1
            self._show()

    def previous(self):
        if self.mode and self.index > 0:
            self.index -= 1
            self._show()

    def check(self):
        """Score the prediction of the current term, reveal it, then move on
        on the next Check (or Next)."""
        if self.mode != PREDICT:
            return
        if self.revealed:
            self.next()
            return
        term = self.term
        try:
            guess = parse_number(self.prediction.text())
        except ValueError:
            self.verdict.setText("Type a number, e.g. −6.41")
            return
        tolerance = self.tolerance.value() / 100
        good = relative_error(guess, term.value) <= tolerance
        self.attempts += 1
        self.correct += good
        self.revealed = True
        self.verdict.setText(("✓ Right" if good else "✗ Not quite") + f": {term.symbol} = "
                             f"{number(term.value, 6)}. Check again to go on.")
        self.caption.setText(stop_text(self._derivation, term.id))
        self._show_score()
        self.termChanged.emit(term.id)

    def _show_score(self):
        self.score_label.setText(f"Score: {self.correct} of {self.attempts}")

    def _show(self, announce=True):
        term = self.term
        self.revealed = False
        count = len(self._derivation)
        heading = "Explain this step" if self.mode == EXPLAIN else "Predict, then reveal"
        # "Stop", never "step": a step is an update of the parameters.
        self.title.setText(f"{heading} — Stop {self.index + 1} of {count}: {term.symbol} = {term.formula}")
        self.caption.setText(stop_text(self._derivation, term.id, reveal=self.mode != PREDICT))
        self.apply_button.setVisible(self.index == count - 1)
        if self.mode == PREDICT:
            self.prediction.clear()
            self.verdict.setText(f"What is {term.symbol}? The substitution shows the numbers to use.")
            self._show_score()
        if announce:
            self.termChanged.emit(term.id)
