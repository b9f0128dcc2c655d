"""Issue 11: a session file cannot lie.  A file of format 1 holds every state:
each must be what training gives from its segment's start (the first state's
parameters and optimizer state), or the file is refused, naming the first
state that differs in the window's numbering.  A file of format 2 holds only
each segment's start and length: what it may still get wrong is a length
that training does not reach."""

import io
import json
import re

import numpy as np
import pytest

from engine import DEFAULTS, PARAMS, Trainer, session
from engine.session import SessionError
from engine.terms import Spec
from engine.timeline import Timeline
from tests.session_format1 import format1_document, rows_of, set_rows

XS = [-2.0, -1.25, -0.5, 0.0, 0.4, 1.0, 1.5, 2.25, 3.0, 3.5]
YS = [1.0, 0.5, -0.25, 0.3, 0.8, 1.4, 2.0, 2.2, 2.9, 3.1]
ADAM = Spec(optimizer="adam", schedule="step", decay=0.5, decay_every=7)
START = {p: DEFAULTS[p] for p in PARAMS}
FIRST, KEPT = 40, 15      # the first segment's states, of which the line keeps the first KEPT
SECOND = 30               # the edited segment's states (its start and 29 updates)


def _line():
    """Adam with a step schedule on mini-batches of 3 of 10 shuffled samples;
    an edit of W₁ at state KEPT, carrying the optimizer state on; then plain
    gradient descent on one sample."""
    line = Timeline(Trainer(START, XS, YS, 0.02, spec=ADAM, batch_size=3, shuffle_seed=4))
    line.run(FIRST - 1)
    edited = line.params(KEPT)
    edited["W1"] = 0.25
    line.branch(KEPT, Trainer(edited, XS, YS, 0.02, spec=ADAM, state=line.optimizer_state(KEPT),
                              batch_size=3, shuffle_seed=4))
    line.run(SECOND - 1)
    line.branch(len(line) - 5, Trainer(START, 2.0, 4.0, 0.01))
    line.run(9)
    return line


def _document(line):
    """The line's file of format 1, which holds every state."""
    return format1_document(line, 3, {"speed": 100})


def _document2(line, cursor=3):
    stream = io.StringIO()
    session.dump(stream, line, cursor, {"speed": 100})
    return json.loads(stream.getvalue())


def _tampered(document, number, state, column, value):
    """The document with ``column`` of its segment ``number``'s state ``state`` set to ``value``."""
    segment = document["segments"][number - 1]
    rows = rows_of(segment)
    rows[state, segment["columns"].index(column)] = value
    set_rows(segment, rows)
    return json.dumps(document)


def _open(text):
    return session.load(io.StringIO(text))


def test_the_line_is_what_the_tests_below_expect():
    line = _line()
    assert [s.length for s in line.segments] == [KEPT, SECOND - 5, 10]
    assert line.segments[0].trainer.minibatch and line.segments[1].trainer.minibatch
    assert line.segments[1].trainer.start["W1"] == 0.25


@pytest.mark.parametrize("write", [_document, _document2], ids=["format 1", "format 2"])
def test_an_untampered_file_opens_identical_to_what_was_saved(write):
    line = _line()
    loaded = _open(json.dumps(write(line))).timeline
    assert [s.length for s in loaded.segments] == [s.length for s in line.segments]
    assert loaded.rows().tobytes() == line.rows().tobytes()
    line.run(12)
    loaded.run(12)
    assert loaded.rows().tobytes() == line.rows().tobytes()


# (segment, its state, column): a parameter, the loss, a gradient, the optimizer's state.
TAMPERED = [
    (2, 4, "W1"), (2, 9, "L"), (1, 7, "dL/db2"), (2, 3, "m_W3"), (1, 11, "v_b1"), (2, 6, "t"),
    (3, 5, "W2"), (2, 0, "L"), (3, 0, "dL/dW1"),
]
SYMBOLS = {"W1": "W₁", "W2": "W₂", "L": "L", "dL/db2": "∂L/∂b₂", "dL/dW1": "∂L/∂W₁",
           "m_W3": "m_W₃", "v_b1": "v_b₁", "t": "t"}


@pytest.mark.parametrize("number, state, column", TAMPERED)
def test_one_changed_number_is_refused_naming_its_state(number, state, column):
    line = _line()
    document = _document(line)
    global_state = sum(s.length for s in line.segments[:number - 1]) + state
    true = float(line.rows()[global_state, line.columns.index(column)])
    text = _tampered(document, number, state, column, 999.0)
    with pytest.raises(SessionError) as refused:
        _open(text)
    expected = (f"segment {number}: state {global_state:,} ({SYMBOLS[column]}) differs from what "
                f"training gives: 999.0 instead of {true!r}")
    assert str(refused.value).startswith(expected)


def test_a_change_in_the_last_bit_is_refused():
    line = _line()
    document = _document(line)
    true = float(line.rows()[KEPT + 8, line.columns.index("dL/dW2")])
    text = _tampered(document, 2, 8, "dL/dW2", np.nextafter(true, np.inf))
    with pytest.raises(SessionError, match=rf"state {KEPT + 8} \(∂L/∂W₂\).*instead of {re.escape(repr(true))}"):
        _open(text)


def test_a_changed_start_is_refused_at_its_loss():
    # The start's parameters may be anything (a hand edit); its loss is then the engine's.
    line = _line()
    text = _tampered(_document(line), 2, 0, "W1", 0.5)
    with pytest.raises(SessionError, match=rf"segment 2: state {KEPT} \(L\) differs"):
        _open(text)


def test_a_state_in_a_later_piece_of_a_long_segment_is_named():
    # Past the first block the file is compared by (16,384 states): the numbering goes on.
    line = Timeline(Trainer(START, 2.0, 4.0, 0.001))
    line.run(9)
    line.branch(4, Trainer({**START, "b3": 0.5}, 2.0, 4.0, 0.001))
    line.run(29_999)
    true = float(line.rows()[4 + 20_001, line.columns.index("b2")])
    text = _tampered(_document(line), 2, 20_001, "b2", -0.0)
    with pytest.raises(SessionError, match=rf"segment 2: state 20,005 \(b₂\) differs from what training "
                                           rf"gives: -0.0 instead of {re.escape(repr(true))}"):
        _open(text)


def test_states_past_a_divergence_are_refused():
    line = Timeline(Trainer(START, 2.0, 4.0, 50.0))
    assert line.run(1000) is not None
    finite = len(line)
    document = _document(line)
    segment = document["segments"][0]
    rows = rows_of(segment)
    set_rows(segment, np.vstack([rows, rows[-1:]]))
    segment["length"] = finite + 1
    with pytest.raises(SessionError, match=rf"segment 1: state {finite:,} differs from what training "
                                           rf"gives: training stops before it"):
        _open(json.dumps(document))


# --- format 2 ------------------------------------------------------------------

def test_a_changed_start_is_another_session_trained_from_it():
    # Not a lie: a different start is a different session, which opening trains in full.
    line = _line()
    document = _document2(line)
    document["segments"][1]["start"]["W1"] = 0.5
    document["segments"][1]["start"]["v_b1"] = 0.125
    loaded = _open(json.dumps(document)).timeline
    assert [s.length for s in loaded.segments] == [KEPT, SECOND - 5, 10]
    state = {**line.optimizer_state(KEPT), "v_b1": 0.125}
    params = {**line.params(KEPT), "W1": 0.5}
    other = Trainer(params, XS, YS, 0.02, spec=ADAM, state=state, batch_size=3, shuffle_seed=4)
    other.run(SECOND - 6)
    rows = loaded.rows()
    assert rows[KEPT:KEPT + SECOND - 5].tobytes() == other.history.rows().tobytes()
    assert rows[:KEPT].tobytes() == line.rows()[:KEPT].tobytes()
    assert rows[KEPT + SECOND - 5:].tobytes() == line.rows()[KEPT + SECOND - 5:].tobytes()
    assert rows[KEPT + 3].tobytes() != line.rows()[KEPT + 3].tobytes()


def test_a_length_past_a_divergence_is_refused_naming_where_training_stops():
    line = Timeline(Trainer(START, 2.0, 4.0, 0.01))
    line.run(6)
    line.branch(4, Trainer(START, 2.0, 4.0, 50.0))
    assert line.run(1000) is not None
    finite = len(line.segments[1].trainer)       # states training gives from the second start
    divergence = line.trainer.divergence
    document = _document2(line)
    assert document["segments"][1]["length"] == finite
    document["segments"][1]["length"] = finite + 7
    with pytest.raises(SessionError) as refused:
        _open(json.dumps(document))
    assert str(refused.value).startswith(
        f"segment 2: training stops at state {4 + finite:,} ({divergence.symbol} becoming "
        f"{divergence.value!r}), but the file says the segment has {finite + 7:,} states, "
        f"to state {4 + finite + 6:,}")
    document["segments"][1]["length"] = finite     # as saved: up to the last finite state
    assert _open(json.dumps(document)).timeline.rows().tobytes() == line.rows().tobytes()


def test_a_start_that_training_cannot_begin_from_is_refused():
    # Finite and within the ranges, but Adam's running average of squares is negative.
    document = _document2(_line())
    document["segments"][1]["start"]["v_W2"] = -1.0
    with pytest.raises(SessionError, match="segment 2: .*cannot be negative"):
        _open(json.dumps(document))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_non_finite_start_is_refused(literal):
    text = json.dumps(_document2(_line())).replace('"b3": 0.3', f'"b3": {literal}', 1)
    assert literal in text
    with pytest.raises(SessionError, match=f"{literal}"):
        _open(text)


def test_a_cursor_past_the_states_is_refused():
    line = _line()
    document = _document2(line)
    document["cursor"] = len(line)
    with pytest.raises(SessionError, match=rf'the shown step \("cursor"\) is {len(line)}, but the '
                                           rf"session holds steps 0 to {len(line) - 1} only"):
        _open(json.dumps(document))


def test_a_start_whose_first_update_overflows_is_refused_naming_the_value():
    # Within every range, but Adam's first bias-corrected m̂ = β₁·m / (1 − β₁) (t = 0) of
    # m = 10³⁰⁸ is not finite: a window refuses such a start, and so does opening.
    document = _document2(_line())
    document["segments"][1]["start"].update(m_W1=1e308, t=0.0)
    with pytest.raises(SessionError, match="segment 2: .*the starting state gives a non-finite"):
        _open(json.dumps(document))
