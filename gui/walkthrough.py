"""Walk one update stop by stop (a stop per term): "Explain this step" shows
what each link of the chain rule does, with this state's numbers; "Predict,
then reveal" hides each value until the learner has predicted it.  The last
stop offers to apply the update, and the walk follows to the next one.

A wider network's stops are its vector and matrix terms (∂L/∂W₂ = ∂L/∂z₂ h₁ᵀ,
derivation.vectors): each says its matrix formula and value and the first
elements' arithmetic; the table's row of the stop expands (→) into every
element.  A prediction there is the whole vector or matrix, its elements row
by row ("[0.1, 0.2; 0.3, 0.4]" or "0.1 0.2 0.3 0.4"), each within the tolerance,
or its first few elements alone: nobody types the 64 of an 8 × 8 matrix.
"""

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from engine.derivation import stop_text
from engine.expr import number
from engine.gradcheck import relative_error

from .preferences import Preferences

EXPLAIN, PREDICT = "explain", "predict"


ELEMENTS_SAID = 4    # a vector stop's caption writes out this many elements' arithmetic
LONG = 160           # a caption leaves out a substitution this long, and shortens a value


def parse_number(text):
    """A typed number; a true minus sign and a decimal comma are accepted."""
    return float(text.strip().replace("−", "-").replace(",", "."))


def parse_numbers(text, count):
    """One to ``count`` typed numbers, row by row: brackets optional, separated
    by ';', ',' or spaces (one number alone may have a decimal comma)."""
    if count == 1:
        return [parse_number(text.strip().strip("[]"))]
    parts = [p for p in re.split(r"[;,\s]+", text.strip().strip("[]").replace("−", "-")) if p]
    if not 1 <= len(parts) <= count:
        raise ValueError(f"{len(parts)} numbers, not 1 to {count}")
    return [float(p) for p in parts]


def _is_vector(stop):
    return isinstance(stop.value, str)


def vector_stop_text(stop, n_samples, reveal=True):
    """What the walk says at a vector stop: its matrix formula with the
    arrays in, its value (``?`` when not revealed), then the first elements'
    scalar arithmetic."""
    value = stop.value if reveal else "?"
    if len(value) > LONG:
        value = f"{value[:LONG // 2].rsplit(',', 1)[0]}, … " \
                f"(its {len(stop.elements)} values: expand its row in the table)"
    if stop.substitution.startswith("per sample"):
        said = f"{stop.symbol} = {stop.formula}, computed per sample; the mean over the {n_samples} samples " \
               f"is {value}"
    elif stop.substitution.startswith("(1/"):
        said = f"{stop.symbol} = {stop.formula}, the mean over the {n_samples} samples: {value}"
    elif stop.substitution == stop.value or len(stop.substitution) > LONG:
        said = f"{stop.symbol} = {stop.formula} = {value}"
    else:
        said = f"{stop.symbol} = {stop.formula} = {stop.substitution} = {value}"
    lines = [said + "."]
    for e in stop.elements[:ELEMENTS_SAID]:
        element_value = number(e.value, 6) if reveal else "?"
        sub = "" if e.per_sample or e.substitution.startswith("(1/") or e.substitution == number(e.value) \
            else f" = {e.substitution}"
        lines.append(f"  {e.symbol} = {e.formula}{sub} = {element_value}")
    more = len(stop.elements) - ELEMENTS_SAID
    if more > 0:
        lines.append(f"  … and {more} more: press → on its row in the table (or click its arrow) "
                     "for every element.")
    return "\n".join(lines)


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
        self._stops = ()        # the chain's terms, or a wider network's vector terms
        self._starts = ()       # a wider network: each stop's first element's position in the derivation
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
        self.prediction.setAccessibleName("Prediction")
        self.prediction.setAccessibleDescription(f"{self.prediction.placeholderText()}; Enter checks it")
        self.prediction.returnPressed.connect(self.check)
        self.check_button = QPushButton("Check")
        self.check_button.setAccessibleName("Check the prediction")
        self.check_button.clicked.connect(self.check)
        tolerance = Preferences.tolerance   # its range and default declared there
        self.tolerance = QDoubleSpinBox()
        self.tolerance.setObjectName("tolerance")
        self.tolerance.setRange(tolerance.low, tolerance.high)
        self.tolerance.setDecimals(tolerance.decimals)
        self.tolerance.setValue(tolerance.default)
        self.tolerance.setSuffix(" %")
        self.tolerance.setAccessibleName("Tolerance")
        self.tolerance.setToolTip("How close a prediction must be, relative to the value")
        self.tolerance.setAccessibleDescription(self.tolerance.toolTip())
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.score_label = QLabel()
        self.score_label.setObjectName("score")
        self.apply_button = QPushButton("Apply this update (F10)")
        self.apply_button.setObjectName("applyUpdate")
        self.apply_button.setAccessibleName("Apply this update")
        self.apply_button.setToolTip("Take this gradient-descent step; the walk goes on with the next one")
        self.apply_button.setAccessibleDescription(self.apply_button.toolTip())
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
    def _set_stops(self, derivation):
        self._derivation = derivation
        vectors = getattr(derivation, "vectors", None)
        self._stops = tuple(derivation) if vectors is None else tuple(vectors)
        starts, position = [], 0
        for v in vectors or ():
            starts.append(position)
            position += len(v.elements)
        self._starts = tuple(starts)

    @property
    def stop_count(self):
        return len(self._stops)

    def start(self, mode, derivation):
        self.mode, self.index = mode, 0
        self._set_stops(derivation)
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
        if derivation is self._derivation and (step is None or step == self._step):
            return   # a redraw of the same state: the prediction being typed stays
        at_last = self.mode and self._derivation is not None \
            and self.index >= len(self._stops) - 1
        moved = step is not None and self._step is not None and step != self._step
        if step is not None:
            self._step = step
        self._set_stops(derivation)
        if not self.mode:
            return
        if at_last and moved:
            self.index = 0
            self._show()
        else:
            # Another spec may have fewer update terms than the last one.
            self.index = min(self.index, len(self._stops) - 1)
            self._show(announce=False)

    @property
    def term(self):
        """The stop's term: a Term of the chain, or a wider network's
        engine.network.VectorTerm (its value the matrix's text, its
        ``elements`` the Terms)."""
        return self._stops[self.index] if self.mode else None

    @property
    def hidden_from(self):
        """In predict mode, the position in the derivation (its terms, a wider
        network's elements) of the first term whose value is not yet revealed."""
        if self.mode != PREDICT:
            return None
        stop = self.index + (1 if self.revealed else 0)
        if not self._starts:
            return stop
        return self._starts[stop] if stop < len(self._starts) else len(self._derivation)

    def next(self):
        if self.mode and self.index < len(self._stops) - 1:
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
        tolerance = self.tolerance.value() / 100
        if _is_vector(term):
            count = len(term.elements)
            try:
                guesses = parse_numbers(self.prediction.text(), count)
            except ValueError:
                self.verdict.setText(_asked(term))
                return
            close = sum(relative_error(g, e.value) <= tolerance for g, e in zip(guesses, term.elements))
            typed = len(guesses)
            good = close == typed
            shown = term.value
            which = f"{count} elements" if typed == count else f"the first {typed} of its {count} elements"
            result = f"✓ Right ({which})" if good else f"✗ Not quite ({close} of {which} within)"
            caption = vector_stop_text(term, self._derivation.n_samples)
        else:
            try:
                guess = parse_number(self.prediction.text())
            except ValueError:
                self.verdict.setText("Type a number, e.g. −6.41")
                return
            good = relative_error(guess, term.value) <= tolerance
            shown, result = number(term.value, 6), "✓ Right" if good else "✗ Not quite"
            caption = stop_text(self._derivation, term.id)
        self.attempts += 1
        self.correct += good
        self.revealed = True
        self.verdict.setText(f"{result}: {term.symbol} = {shown}. Check again to go on.")
        self.caption.setText(caption)
        self._show_score()
        self.termChanged.emit(term.id)

    def _show_score(self):
        self.score_label.setText(f"Score: {self.correct} of {self.attempts}")

    def _show(self, announce=True):
        term = self.term
        self.revealed = False
        count = len(self._stops)
        heading = "Explain this step" if self.mode == EXPLAIN else "Predict, then reveal"
        # "Stop", never "step": a step is an update of the parameters.
        self.title.setText(f"{heading} — Stop {self.index + 1} of {count}: {term.symbol} = {term.formula}")
        reveal = self.mode != PREDICT
        self.caption.setText(vector_stop_text(term, self._derivation.n_samples, reveal) if _is_vector(term)
                             else stop_text(self._derivation, term.id, reveal=reveal))
        self.apply_button.setVisible(self.index == count - 1)
        if self.mode == PREDICT:
            self.prediction.clear()
            if _is_vector(term):
                self.verdict.setText(f"What is {term.symbol}? " + ("A number." if len(term.elements) == 1
                                     else f"Its {len(term.elements)} elements: {_example(term)}, row by row."))
            else:
                self.verdict.setText(f"What is {term.symbol}? The substitution shows the numbers to use.")
            self._show_score()
        if announce:
            self.termChanged.emit(term.id)


def _example(stop):
    """How a prediction of ``stop``'s shape is typed: [a, b; c, d], [a; b; …]."""
    index = [e.id[len(stop.id):][1:-1].split(",") for e in stop.elements]
    rows = max(int(i[0]) for i in index)
    cols = max(int(i[1]) if len(i) > 1 else 1 for i in index)
    letters = iter("abcd")
    lines = [", ".join(next(letters) for _ in range(min(cols, 2))) + (", …" if cols > 2 else "")
             for _ in range(min(rows, 2))]
    return "[" + "; ".join(lines) + ("; …" if rows > 2 else "") + "]"


def _asked(stop):
    """What a vector stop's prediction asks for."""
    count = len(stop.elements)
    return "Type a number" if count == 1 else \
        f"Type its {count} elements row by row, e.g. {_example(stop)}, or only the first few"
