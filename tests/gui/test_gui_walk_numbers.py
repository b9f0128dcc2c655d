"""The walk-through speaks with this step's numbers, counts its stops in one
sequence, and at its last stop offers to apply the update and follows it."""

import itertools
import math
import re

import pytest
from PySide6.QtCore import Qt

from engine import DEFAULTS, PARAMS, Spec, derive, terms_for
from engine.derivation import caption_slots, caption_text
from gui.walkthrough import EXPLAIN, PREDICT, WalkPanel

ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")
SPECS = [Spec(a1, a2, loss=loss) for a1, a2, loss in
         itertools.product(ACTIVATIONS, ACTIVATIONS, ("squared", "half-squared"))] + \
        [Spec(optimizer=o, schedule=s, clip=c) for o, s, c in
         itertools.product(("sgd", "momentum", "rmsprop", "adam"), ("constant", "exp"), (None, "norm"))]


def derivation_at(params=None, spec=Spec()):
    values = dict(DEFAULTS, **(params or {}))
    return derive({p: values[p] for p in PARAMS}, [values["x"]], [values["y"]], values["alpha"], spec)


def number_after(text, words):
    found = re.search(re.escape(words) + r"(−?[0-9.]+(?:e[−+]?[0-9]+)?)", text)
    assert found, (words, text)
    return float(found.group(1).rstrip(".").replace("−", "-"))


# --- the captions, in the engine ------------------------------------------------

@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_a_caption_quotes_only_terms_before_it(spec):
    """So that predict mode can show a caption without giving its value away."""
    seen = set()
    for term in terms_for(spec):
        assert set(caption_slots(term.caption)) <= seen, (term.id, term.caption)
        seen.add(term.id)
    derivation = derivation_at(spec=spec)
    for term in derivation:
        text = caption_text(derivation, term.id)
        assert "{" not in text and "}" not in text
        assert not re.search(r"\bStep \d", text), text   # stops are numbered by the walk, not the captions


def test_captions_carry_the_states_own_numbers():
    # By hand: z₁ = 0.5·2 + 0.1 = 1.1, z₂ = 0.8·tanh(1.1) − 0.2.
    z2 = 0.8 * math.tanh(1.1) - 0.2
    derivation = derivation_at()
    assert number_after(caption_text(derivation, "dL/dz2"), "how steep tanh is at z₂ = ") == \
        pytest.approx(z2, rel=1e-4)
    assert number_after(caption_text(derivation, "dh1/dz1"), "at z₁ = ") == pytest.approx(1.1)
    other = derivation_at({"W2": -0.3})
    assert number_after(caption_text(other, "dL/dz2"), "at z₂ = ") == \
        pytest.approx(-0.3 * math.tanh(1.1) - 0.2, rel=1e-4)


# --- the panel ----------------------------------------------------------------------

@pytest.fixture
def walk(qtbot):
    panel = WalkPanel()
    qtbot.addWidget(panel)
    return panel


def go_to(walk, term_id):
    while walk.term.id != term_id:
        walk.next()


def test_each_stop_says_symbol_substitution_value_then_the_caption(walk):
    derivation = derivation_at()
    walk.start(EXPLAIN, derivation)
    go_to(walk, "dL/dz2")
    text = walk.caption.text()
    # By hand: ∂L/∂ŷ = 2(ŷ − y), ∂L/∂h₂ = ∂L/∂ŷ · W₃, ∂h₂/∂z₂ = 1 − h₂².
    h2 = math.tanh(0.8 * math.tanh(1.1) - 0.2)
    dh2 = 2 * (1.2 * h2 + 0.3 - 4.0) * 1.2
    said, caption = text.split(": ", 1)
    symbol, substitution, value = said.split(" = ")
    assert symbol == "∂L/∂z₂"
    assert [float(n.replace("−", "-")) for n in substitution.split(" × ")] == \
        pytest.approx([dh2, 1 - h2 * h2], rel=1e-4)
    assert float(value.replace("−", "-")) == pytest.approx(dh2 * (1 - h2 * h2), rel=1e-4)
    assert "tanh" in caption and "{" not in caption


def test_stops_are_numbered_in_one_sequence_never_called_steps(walk):
    derivation = derivation_at()
    walk.start(EXPLAIN, derivation)
    for number in range(1, len(derivation) + 1):
        title = walk.title.text()
        assert f"Stop {number} of {len(derivation)}: " in title
        assert not re.search(r"\b[Tt]erm \d|\b[Ss]tep \d", title + walk.caption.text())
        walk.next()


def test_predict_mode_hides_the_value_until_checked(walk, qtbot):
    derivation = derivation_at()
    walk.start(PREDICT, derivation)
    go_to(walk, "dL/dz2")
    value = derivation.value("dL/dz2")
    assert walk.caption.text().split(": ", 1)[0].endswith(" = ?")
    walk.prediction.setText("0")
    qtbot.keyClick(walk.prediction, Qt.Key.Key_Return)
    revealed = walk.caption.text().split(": ", 1)[0].rsplit(" = ", 1)[1]
    assert float(revealed.replace("−", "-")) == pytest.approx(value, rel=1e-4)


def test_only_the_last_stop_offers_to_apply_the_update(walk, qtbot):
    walk.show()
    derivation = derivation_at()
    walk.start(EXPLAIN, derivation)
    offered = []
    for _ in range(len(derivation)):
        offered.append(walk.apply_button.isVisible())
        walk.next()
    assert offered == [False] * (len(derivation) - 1) + [True]
    assert "F10" in walk.apply_button.text()
    with qtbot.waitSignal(walk.applyRequested):
        qtbot.mouseClick(walk.apply_button, Qt.MouseButton.LeftButton)


def test_the_walk_follows_an_applied_update_to_stop_1(walk, qtbot):
    first = derivation_at()
    walk.start(EXPLAIN, first)
    walk.set_derivation(first, step=0)
    go_to(walk, first[len(first) - 1].id)
    after = derivation_at({"W1": first.value("W1_next")})   # the state after the update (enough here)
    with qtbot.waitSignal(walk.termChanged) as blocker:
        walk.set_derivation(after, step=1)
    assert walk.index == 0 and blocker.args == [after[0].id]
    assert "Stop 1 of " in walk.title.text()
    z1 = first.value("W1_next") * 2.0 + 0.1
    said = walk.caption.text().split(": ", 1)[0]
    assert float(said.rsplit(" = ", 1)[1].replace("−", "-")) == pytest.approx(z1, rel=1e-4)


def test_in_the_middle_the_walk_stays_at_its_stop(walk, qtbot):
    first = derivation_at()
    walk.start(EXPLAIN, first)
    walk.set_derivation(first, step=0)
    go_to(walk, "dL/dW1")
    index = walk.index
    walk.set_derivation(derivation_at({"W1": 0.6}), step=1)
    assert walk.index == index and walk.term.id == "dL/dW1"
    # At the last stop, an edit that keeps the step (a parameter typed in) does not restart the walk.
    go_to(walk, first[len(first) - 1].id)
    last = walk.index
    walk.set_derivation(derivation_at({"W1": 0.7}), step=1)
    assert walk.index == last
