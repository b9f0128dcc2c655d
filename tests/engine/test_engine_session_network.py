"""Sessions of networks of any shape (format 3), and of lines that mix the
chain and networks; files of formats 1 and 2 still open as before."""

import io
import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import session
from engine.compiled import ROW
from engine.limits import DEFAULTS, PARAMS
from engine.network import row_columns
from engine.network_training import NetworkTrainer
from engine.session import CHAIN_VERSION, VERSION, SessionError
from engine.terms import Spec
from engine.timeline import Timeline
from session_damage import (JSON_VALUES, assert_opens_or_refuses, assert_random_damage_is_refused, both, dropper,
                            paths, setter)
from engine.training import Trainer
from tests.session_format1 import format1_document

CHAIN = {p: DEFAULTS[p] for p in PARAMS}
MAZUR = Spec(layers=(2, 2, 2), activation1="sigmoid", output_activation="sigmoid", loss="half-squared")
MAZUR_PARAMS = {"W1": [[0.15, 0.20], [0.25, 0.30]], "b1": [0.35, 0.35],
                "W2": [[0.40, 0.45], [0.50, 0.55]], "b2": [0.60, 0.60]}
XS = [[0.05, 0.10], [0.2, -0.3], [1.0, 2.0], [-0.5, 0.25], [0.0, -0.0]]
YS = [[0.01, 0.99], [0.5, 0.5], [0.0, 1.0], [0.3, 0.1], [0.9, 0.2]]
NARROW = Spec(layers=(1, 3, 1), optimizer="momentum")
NARROW_PARAMS = {"W1": [[0.1], [-0.2], [0.3]], "b1": [0.0, 0.1, -0.1], "W2": [[1.0, -2.0, 0.5]], "b2": [0.5]}
DEEP = Spec(layers=(3, 4, 2, 3, 1, 2), activation1="relu", activation2="leaky_relu", activation3="sigmoid",
            activation4="linear", output_activation="tanh", optimizer="adam", schedule="exp", decay=0.99,
            clip="norm", clip_c=2.0)


def _deep_params(seed=0):
    rng = np.random.default_rng(seed)
    layers = DEEP.layers
    params = {}
    for k in range(1, len(layers)):
        params[f"W{k}"] = rng.uniform(-1, 1, (layers[k], layers[k - 1])).tolist()
        params[f"b{k}"] = rng.uniform(-0.5, 0.5, layers[k]).tolist()
    return params


def _mixed():
    """The chain; Mazur's 2-2-2 on five samples in mini-batches of 2; a 1-3-1
    with momentum; the chain with Adam again; a deep network with Adam,
    a schedule and clipping, from a carried optimizer state."""
    line = Timeline(Trainer(dict(CHAIN), 2.0, 4.0, 0.01))
    line.run(9)
    line.branch(5, NetworkTrainer(MAZUR, MAZUR_PARAMS, XS, YS, 0.5, batch_size=2, shuffle_seed=7))
    line.run(12)
    line.branch(15, NetworkTrainer(NARROW, NARROW_PARAMS, [1.0, 2.0, -1.5], [3.0, 4.0, 0.0], 0.01))
    line.run(6)
    line.branch(20, Trainer(dict(CHAIN), [1.0, -1.0], [0.5, 2.0], 0.05, spec=Spec(optimizer="adam")))
    line.run(4)
    rng = np.random.default_rng(1)
    state = {"t": 5.0}
    for p, value in _deep_params(2).items():
        shape = np.shape(value)
        state[f"m_{p}"] = rng.normal(0, 0.1, shape).reshape(shape)
        state[f"v_{p}"] = rng.uniform(0, 0.01, shape).reshape(shape)
    line.branch(23, NetworkTrainer(DEEP, _deep_params(), rng.uniform(-1, 1, (6, 3)), rng.uniform(-1, 1, (6, 2)),
                                   0.01, state=state, batch_size=4))
    line.run(8)
    return line


def _text(line, cursor=0, prefs=None):
    stream = io.StringIO()
    session.dump(stream, line, cursor, {} if prefs is None else prefs)
    return stream.getvalue()


def _load(text):
    return session.load(io.StringIO(text))


def _assert_same(original, loaded):
    """Every state of every segment, bit for bit, and all a segment trains with."""
    assert len(loaded) == len(original) and len(loaded.segments) == len(original.segments)
    assert loaded.columns == original.columns
    assert loaded.rows().tobytes() == original.rows().tobytes()
    for a, b in zip(original.segments, loaded.segments):
        assert type(b.trainer) is type(a.trainer)
        assert b.length == a.length == len(b.trainer)
        assert b.trainer.spec == a.trainer.spec
        assert b.trainer.history.columns == a.trainer.history.columns
        assert b.trainer.history.rows().tobytes() == a.trainer.history.rows(0, a.length).tobytes()
        assert b.trainer.x.tobytes() == a.trainer.x.tobytes() and b.trainer.x.shape == a.trainer.x.shape
        assert b.trainer.y.tobytes() == a.trainer.y.tobytes() and b.trainer.y.shape == a.trainer.y.shape
        assert b.trainer.alpha == a.trainer.alpha
        assert (b.trainer.batch_size, b.trainer.shuffle_seed) == (a.trainer.batch_size, a.trainer.shuffle_seed)


# --- round trips --------------------------------------------------------------

def test_the_line_is_what_the_tests_below_expect():
    line = _mixed()
    assert [s.length for s in line.segments] == [5, 10, 5, 3, 9]
    assert [type(s.trainer).__name__ for s in line.segments] == ["Trainer", "NetworkTrainer", "NetworkTrainer",
                                                                "Trainer", "NetworkTrainer"]


def test_a_mixed_line_round_trips_bit_for_bit(tmp_path):
    line, path = _mixed(), tmp_path / "mixed.bpe"
    session.save(path, line, 17, {"speed": 3})
    loaded = session.read(path)
    _assert_same(line, loaded.timeline)
    assert loaded.cursor == 17 and loaded.settings == {"speed": 3}
    for step in range(len(line)):
        assert loaded.timeline.row(step).tobytes() == line.row(step).tobytes()
    # The loaded line trains on exactly as the original does.
    line.run(10)
    loaded.timeline.run(10)
    _assert_same(line, loaded.timeline)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_every_optimizer_of_a_network_round_trips(optimizer):
    spec = Spec(layers=(2, 3, 2), activation1="tanh", optimizer=optimizer, schedule="step", decay_every=3,
                clip="value", clip_c=0.5)
    params = {"W1": [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], "b1": [0.0, -0.0, 0.1],
              "W2": [[0.2, 0.1, -0.3], [0.4, -0.1, 0.2]], "b2": [0.05, -0.05]}
    line = Timeline(NetworkTrainer(spec, params, XS, YS, 0.1))
    line.run(12)
    # A hand edit carries the optimizer's state on, as the window does.
    state = line.optimizer_state(8)
    line.branch(8, NetworkTrainer(spec, {**line.params(8), "b2": [1.0, -1.0]}, XS[:2], YS[:2], 0.2, state=state))
    line.run(5)
    text = _text(line, cursor=13)
    document = json.loads(text)
    assert document["version"] == VERSION == 3
    _assert_same(line, _load(text).timeline)
    start = document["segments"][1]["start"]
    for name, value in state.items():
        assert np.array(start[name]).reshape(np.shape(value)).tolist() == np.asarray(value).tolist()


def test_one_network_sample_and_a_whole_batch_round_trip():
    for x, y, batching in (([0.05, 0.10], [0.01, 0.99], {}), (XS, YS, {}),
                           (XS, YS, {"batch_size": 1}), (XS, YS, {"batch_size": 3, "shuffle_seed": 0})):
        line = Timeline(NetworkTrainer(MAZUR, MAZUR_PARAMS, x, y, 0.5, **batching))
        line.run(7)
        _assert_same(line, _load(_text(line)).timeline)


def test_mazur_round_trips_and_trains_on_to_his_figures():
    line = Timeline(NetworkTrainer(MAZUR, MAZUR_PARAMS, [0.05, 0.10], [0.01, 0.99], 0.5))
    loaded = _load(_text(line)).timeline
    derivation = loaded.derivation(0)
    assert derivation.value("L") == pytest.approx(0.298371109, abs=1e-9)
    loaded.run(1)
    assert loaded.params(1)["W2"][0, 0] == pytest.approx(0.35891648, abs=1e-8)


def test_extreme_values_survive():
    params = {"W1": [[-0.0, 5e-324], [1e-300, -999.5]], "b1": [0.0, -0.0],
              "W2": [[1e-310, 0.1], [0.2, 0.3]], "b2": [-0.0, 2.5e-7]}
    line = Timeline(NetworkTrainer(MAZUR, params, [[-0.0, 1e-300]], [[0.0, -0.0]], 1e-310))
    line.run(3)
    text = _text(line)
    assert json.loads(text)["segments"][0]["start"]["W1"] == [[-0.0, 5e-324], [1e-300, -999.5]]
    _assert_same(line, _load(text).timeline)


def test_only_the_newest_segment_keeps_room_to_train_on():
    loaded = _load(_text(_mixed())).timeline
    for segment in loaded.segments[:-1]:
        assert segment.trainer.history.nbytes() == segment.length * len(segment.trainer.row) * 8
    assert loaded.segments[-1].trainer.history.nbytes() > 9 * len(loaded.segments[-1].trainer.row) * 8


@settings(max_examples=25, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["run", "branch", "shape"]), st.integers(0, 6), st.integers(0, 3)),
                    max_size=6))
def test_any_sequence_of_runs_branches_and_shapes_round_trips(ops):
    specs = [MAZUR, NARROW, Spec(layers=(2, 1, 2), optimizer="rmsprop"), Spec()]
    line = Timeline(Trainer(dict(CHAIN), 2.0, 4.0, 0.01))
    for op, number, which in ops:
        if op == "run":
            line.run(number)
            continue
        at = min(number, len(line) - 1)
        spec = specs[which] if op == "shape" else line.locate(at)[0].spec
        if spec.is_reference_shape:
            line.branch(at, Trainer(dict(CHAIN), 1.0, -1.0, 0.02, spec=spec))
        else:
            rng = np.random.default_rng(number)
            params = {p: rng.uniform(-1, 1, np.shape(v)).tolist() for p, v in
                      NetworkTrainer(spec, _zeros(spec), XS[0][:spec.layers[0]], YS[0][:spec.layers[-1]],
                                     0.1).params(0).items()}
            line.branch(at, NetworkTrainer(spec, params, [s[:spec.layers[0]] for s in XS],
                                           [s[:spec.layers[-1]] for s in YS], 0.1, batch_size=2))
    text = _text(line)
    networks = any(isinstance(s.trainer, NetworkTrainer) for s in line.segments)
    assert json.loads(text)["version"] == (VERSION if networks else CHAIN_VERSION)
    _assert_same(line, _load(text).timeline)


def _zeros(spec):
    layers = spec.layers
    return {**{f"W{k}": np.zeros((layers[k], layers[k - 1])) for k in range(1, len(layers))},
            **{f"b{k}": np.zeros(layers[k]) for k in range(1, len(layers))}}


# --- the format ---------------------------------------------------------------

def test_layout_of_a_network_segment():
    line = Timeline(NetworkTrainer(NARROW, NARROW_PARAMS, [1.0, 2.0], [3.0, 4.0], 0.01))
    line.run(3)
    document = json.loads(_text(line))
    assert document["version"] == 3
    segment = document["segments"][0]
    assert segment["x"] == [[1.0], [2.0]] and segment["y"] == [[3.0], [4.0]]   # a list of samples
    assert segment["spec"]["layers"] == [1, 3, 1] and segment["spec"]["optimizer"] == "momentum"
    assert segment["length"] == 4 and "batch_size" not in segment
    start = segment["start"]
    assert list(start) == ["W1", "b1", "W2", "b2", "v_W1", "v_b1", "v_W2", "v_b2"]
    # A matrix by its rows (W1, 3×1, too), a vector as a list of its entries.
    assert start["W1"] == [[0.1], [-0.2], [0.3]] and start["b1"] == [0.0, 0.1, -0.1]
    assert start["W2"] == [[1.0, -2.0, 0.5]] and start["b2"] == [0.5]
    assert start["v_W1"] == [[0.0]] * 3 and start["v_b2"] == [0.0]


def test_a_line_of_the_chain_alone_is_written_as_format_2():
    line = Timeline(Trainer(dict(CHAIN), 2.0, 4.0, 0.01))
    line.run(4)
    line.branch(2, Trainer(dict(CHAIN), [1.0, 2.0], [3.0, 4.0], 0.1, spec=Spec(optimizer="adam")))
    document = json.loads(_text(line))
    assert document["version"] == CHAIN_VERSION == 2
    assert not any("layers" in s["spec"] for s in document["segments"])
    assert document["segments"][1]["start"]["W1"] == CHAIN["W1"]
    # A chain-only document read as format 3 is the same session.
    document["version"] = 3
    _assert_same(line, _load(json.dumps(document)).timeline)


def test_files_of_format_1_and_2_still_open():
    line = Timeline(Trainer(dict(CHAIN), 2.0, 4.0, 0.01))
    line.run(6)
    line.branch(3, Trainer(dict(CHAIN), [1.0, 2.0], [3.0, 4.0], 0.1, spec=Spec(optimizer="rmsprop"),
                           batch_size=1, shuffle_seed=2))
    line.run(4)
    _assert_same(line, _load(json.dumps(format1_document(line))).timeline)
    _assert_same(line, _load(_text(line)).timeline)


def test_a_chain_trained_as_a_network_or_a_network_as_the_chain_is_not_saved():
    line = Timeline(NetworkTrainer(Spec(), CHAIN, 2.0, 4.0, 0.01))
    stream = io.StringIO()
    with pytest.raises(SessionError, match="segment 1: a network of layers 1-1-1-1 trained by a NetworkTrainer"):
        session.dump(stream, line, 0, {})
    assert stream.getvalue() == ""


# --- damaged files ---------------------------------------------------------------

def _document():
    """The chain (segment 1), Mazur's 2-2-2 with Adam on five samples (2), a 1-3-1 with momentum (3)."""
    line = Timeline(Trainer(dict(CHAIN), 2.0, 4.0, 0.01))
    line.run(4)
    line.branch(3, NetworkTrainer(Spec(**{**MAZUR.as_dict(), "optimizer": "adam"}), MAZUR_PARAMS, XS, YS, 0.5,
                                  batch_size=2, shuffle_seed=1))
    line.run(5)
    line.branch(8, NetworkTrainer(NARROW, NARROW_PARAMS, [1.0, 2.0], [3.0, 4.0], 0.01))
    line.run(3)
    return json.loads(_text(line, cursor=5))


BAD = {
    "format 2 with a network": (setter("version", 2), r"segment 2: its network has layers 2-2-2, which only "
                                                    r"files of format 3 hold, but the file says format 2"),
    "format 1 with a network": (both(setter("version", 1), setter("columns", list(ROW))),
                                "segment 2: its network has layers 2-2-2.*says format 1"),
    "a future format": (setter("version", 4), r"made by a newer version of Backprop Explorer \(format 4\); "
                                            r"this version reads formats 1 to 3"),
    # The shape.
    "layers too wide": (setter("segments", 1, "spec", "layers", [2, 9, 2]),
                        r"segment 2: the layers \(\"layers\"\): must be 2 to 6 widths from 1 to 8, got \[2, 9, 2\]"),
    "layers too deep": (setter("segments", 1, "spec", "layers", [2] * 7), "segment 2: the layers.*2 to 6 widths"),
    "layers one number": (setter("segments", 1, "spec", "layers", [2]), "segment 2: the layers.*2 to 6 widths"),
    "layers zero wide": (setter("segments", 2, "spec", "layers", [1, 0, 1]), "segment 3: the layers.*from 1 to 8"),
    "layers as text": (setter("segments", 1, "spec", "layers", "2-2-2"), "segment 2: the layers.*got '2-2-2'"),
    "layers of floats": (setter("segments", 1, "spec", "layers", [2.0, 2, 2]), "segment 2: the layers"),
    "layers of bools": (setter("segments", 2, "spec", "layers", [True, 3, True]), "segment 3: the layers"),
    "an unknown output activation": (setter("segments", 1, "spec", "output_activation", "softmax"),
                                     "segment 2: .*output_activation.*unknown activation 'softmax'"),
    "another shape than the start's": (setter("segments", 1, "spec", "layers", [2, 3, 2]),
                                       r"segment 2: W₁ of its first state must be a 3×2 matrix: a list of 3 rows, "
                                       r"each a list of 2 numbers, not a list of 2"),
    # The samples.
    "x a number": (setter("segments", 1, "x", 0.5), "segment 2: the samples x must be a list of samples, "
                                                  "each a list of 2 numbers, not a number"),
    "a sample a number": (setter("segments", 1, "x", 2, 0.5), r"segment 2: sample 3 of x must be a list of 2 numbers "
                                                            r"\(the input layer's width\), not a number \(0.5\)"),
    "a sample too short": (setter("segments", 1, "y", 0, [0.5]),
                           r"segment 2: sample 1 of y must be a list of 2 numbers "
                                                               r"\(the output layer's width\), not a list of 1"),
    "a sample too long": (setter("segments", 2, "x", 1, [1.0, 2.0]),
                          "segment 3: sample 2 of x must be a list of 1 number "),
    "a sample's value as text": (setter("segments", 1, "x", 4, 1, "0.5"),
                                 "segment 2: sample 5 of x must be a number, not text"),
    "a sample's value as bool": (setter("segments", 1, "y", 0, 0, True),
                                 "sample 1 of y must be a number, not true/false"),
    "a sample's value as null": (setter("segments", 1, "y", 0, 0, None), "sample 1 of y must be a number, not null"),
    "x and y of different lengths": (setter("segments", 1, "y", [[0.5, 0.5]]),
                                     r"segment 2: x and y.*\(x has 5 samples, y has 1\)"),
    "no samples": (both(setter("segments", 1, "x", []), setter("segments", 1, "y", [])), "segment 2: x and y.*non-zero"),
    "x out of range": (setter("segments", 1, "x", 3, 0, 1e308), r"segment 2: sample 4 of x: 1e\+308 is outside the "
                                                             r"accepted range \[-1000, 1000\]$"),
    "y a huge whole number": (setter("segments", 2, "y", 0, 0, 10 ** 25),
                              r"segment 3: sample 1 of y: 1e\+25 is outside"),
    # The start.
    "start missing": (dropper("segments", 1, "start"), 'segment 2 has no "start"'),
    "start a list": (setter("segments", 2, "start", []), r'segment 3: its first state \("start"\) must be an object'),
    "start without b2": (dropper("segments", 1, "start", "b2"), r'segment 2: its first state \("start"\) has no "b2"'),
    "start without t": (dropper("segments", 1, "start", "t"), r'segment 2: its first state \("start"\) has no "t"'),
    "start with a layer too many": (setter("segments", 1, "start", "W3", [[1.0, 2.0]]),
                                    "segment 2: .*an entry 'W3' its network does not keep; it keeps W1, b1, W2, b2, m_W1"),
    "start with another optimizer's state": (setter("segments", 2, "start", "m_W1", [[0.0]] * 3),
                                             "segment 3: .*an entry 'm_W1' its network does not keep"),
    "the chain's start for a network": (setter("segments", 1, "start", "W1", 0.5),
                                        r"segment 2: W₁ of its first state must be a 2×2 matrix: a list of 2 rows, "
                                        r"each a list of 2 numbers, not a number \(0.5\)"),
    "a network's start for the chain": (setter("segments", 0, "start", "W1", [[0.5]]),
                                        r"segment 1: W₁ of its first state must be a number, not a list"),
    "a matrix of too few rows": (setter("segments", 1, "start", "W2", [[0.4, 0.45]]),
                                 "segment 2: W₂ of its first state must be a 2×2 matrix.*not a list of 1"),
    "a matrix row too long": (setter("segments", 1, "start", "W2", 1, [0.5, 0.55, 0.6]),
                              "segment 2: W₂ of its first state must be a 2×2 matrix.*its row 2 is a list of 3"),
    "a matrix row a number": (setter("segments", 2, "start", "W2", [1.0]),
                              "segment 3: W₂ of its first state must be a 1×3 matrix.*its row 1 is a number"),
    "a matrix one deeper": (setter("segments", 1, "start", "W1", 1, [[0.25], 0.3]),
                            r"segment 2: W₁ .*2×2 matrix.*; its row 2, entry 1, is a list of 1$"),
    "a matrix flattened": (setter("segments", 1, "start", "W1", [0.15, 0.2, 0.25, 0.3]),
                           "segment 2: W₁ .*not a list of 4"),
    "a vector of matrices' rows": (setter("segments", 1, "start", "b1", [[0.35], [0.35]]),
                                   "segment 2: b₁ of its first state must be a list of 2 numbers; its entry 1 is a list of 1"),
    "a vector too long": (setter("segments", 2, "start", "b1", [0.0, 0.1, -0.1, 0.2]),
                          "segment 3: b₁ of its first state must be a list of 3 numbers, not a list of 4"),
    "a vector a number": (setter("segments", 2, "start", "b2", 0.5),
                          r"segment 3: b₂ of its first state must be a list of 1 number, not a number \(0.5\)"),
    "an entry as text": (setter("segments", 1, "start", "W1", 0, 1, "0.2"), "segment 2: W₁ of its first state must be "
                                                                          "a number, not text"),
    "an entry as bool": (setter("segments", 1, "start", "b1", 1, False),
                         "b₁ of its first state must be a number, not true/false"),
    "an entry as null": (setter("segments", 2, "start", "v_W2", 0, 2, None),
                         "v_W₂ of its first state must be a number, not null"),
    "an entry out of range": (setter("segments", 1, "start", "W2", 1, 0, 1e308),
                              r"segment 2: W2\[2,1\] of its first state: 1e\+308 is outside the accepted "
                              r"range \[-1000, 1000\]$"),
    "a vector's entry out of range": (setter("segments", 2, "start", "b2", [-1000.5]),
                                      r"segment 3: b2\[1\] of its first state: -1000.5 is outside the accepted"),
    "a negative running square": (setter("segments", 1, "start", "v_b1", [0.0, -1e-9]),
                                  "segment 2: v_b₁: a running average of squares cannot be negative"),
    "a fractional counter": (setter("segments", 1, "start", "t", 2.5),
                             r"segment 2: t: the update counter must be a whole "
                                                                     r"number from 0 to 2\^53, got 2.5"),
    "a negative counter": (setter("segments", 1, "start", "t", -1), "segment 2: t: the update counter"),
    "a counter as a list": (setter("segments", 1, "start", "t", [0]),
                            "segment 2: t of its first state must be a number, "
                                                                    "not a list"),
    # The length and the batching.
    "length past a divergence": (both(setter("segments", 2, "alpha", 100.0), setter("segments", 2, "start", "W2", [[900.0] * 3]),
                                       setter("segments", 2, "length", 1000)),
                                 r"segment 3: training stops at state .*but the file says the segment has 1,000 states"),
    "a batch size of zero": (setter("segments", 1, "batch_size", 0), "segment 2: the mini-batch size.*at least 1"),
    "a batch size as text": (setter("segments", 1, "batch_size", "2"), "segment 2: the mini-batch size.*whole number"),
    "a shuffle seed negative": (setter("segments", 1, "shuffle_seed", -1), "segment 2: the shuffling seed.*at least 0"),
    "the cursor past the end": (setter("cursor", 12), r"shown step.*is 12.*0 to 11"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_damaged_network_file_is_refused_saying_what_is_wrong(name):
    change, words = BAD[name]
    document = _document()
    assert _load(json.dumps(document)) is not None   # the file as saved opens
    change(document)
    with pytest.raises(SessionError, match=words):
        _load(json.dumps(document))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_non_finite_entry_of_a_matrix_is_refused(literal):
    text = json.dumps(_document(), indent=1).replace("0.15", literal, 1)
    assert literal in text
    with pytest.raises(SessionError, match="not a number a session can contain|too large for a floating-point"):
        _load(text)


def test_a_start_whose_first_update_overflows_opens_only_as_one_state():
    """A first moment of 1e308 is finite, but Adam's first update divides it by 1 - β₁."""
    document = _document()
    document["segments"][1]["start"]["m_W2"][1][0] = 1e308
    with pytest.raises(SessionError, match=r"^segment 2: training stops at state 4 \(.*becoming .*\), but the file "
                                           r"says the segment has 5 states, to state 7; the file was changed"):
        _load(json.dumps(document))
    document["segments"][1]["length"] = 1
    document["cursor"] = 0
    loaded = _load(json.dumps(document)).timeline
    assert len(loaded) == 8 and loaded.optimizer_state(3)["m_W2"][1, 0] == 1e308


def test_a_wide_file_whose_states_would_not_fit_in_memory_is_refused(monkeypatch):
    document = _document()
    widths = [13, len(row_columns(Spec(layers=(2, 2, 2), optimizer="adam"))), len(row_columns(NARROW))]
    needed = sum(s["length"] * w * 8 for s, w in zip(document["segments"], widths))
    monkeypatch.setattr(session, "_physical_memory", lambda: 2 * needed - 1)
    with pytest.raises(SessionError, match="would take .* GB of memory for its states"):
        _load(json.dumps(document))
    monkeypatch.setattr(session, "_physical_memory", lambda: 2 * needed)
    assert len(_load(json.dumps(document)).timeline) == 12


def test_random_damage_raises_only_session_error():
    assert_random_damage_is_refused(json.dumps(_document(), indent=1), random.Random(5), 200)




_DOCUMENT = _document()
_PATHS = [p for p in paths(_DOCUMENT) if p]


@settings(max_examples=150, deadline=None)
@given(where=st.sampled_from(_PATHS), value=JSON_VALUES)
def test_any_value_anywhere_opens_or_raises_session_error(where, value):
    assert_opens_or_refuses(_DOCUMENT, where, value)


def test_a_deep_layers_entry_out_of_range_is_named():
    document = json.loads(_text(_mixed()))
    assert document["segments"][4]["spec"]["layers"] == [3, 4, 2, 3, 1, 2]
    document["segments"][4]["start"]["W4"][0][2] = 2000.0
    with pytest.raises(SessionError, match=r"^segment 5: W4\[1,3\] of its first state: 2000 is outside the "
                                           r"accepted range \[-1000, 1000\]$"):
        _load(json.dumps(document))


def test_a_large_dataset_is_written_a_piece_at_a_time_as_one_json_dumps_would():
    # 60,000 samples of two inputs and two outputs: 240,000 numbers, about 6 MB of text.
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(60_000, 2)), rng.uniform(-1, 1, (60_000, 2)) * 10.0 ** rng.integers(-30, 3, (60_000, 2))
    x[:3] = [[-0.0, 1e-300], [5e-324, -1000.0], [1.0, 2.0]]
    line = Timeline(Trainer(dict(CHAIN), 2.0, 4.0, 0.01))
    line.run(2)
    line.branch(1, NetworkTrainer(MAZUR, MAZUR_PARAMS, x, y, 0.5, batch_size=32, shuffle_seed=1))
    line.run(2)
    stream = io.StringIO()
    pieces, before_first_write = session.dump_chunks(stream, line, 2, {"speed": 10}), 0
    for _ in pieces:
        if stream.tell() == 0:
            before_first_write += 1
    text = stream.getvalue()
    assert len(text) > 5_000_000
    # The text is the document's json.dumps(indent=1), the samples made in pieces: while they
    # were one json.dumps, the window's autosave spent 15 s on a million samples without a yield.
    assert text == json.dumps(json.loads(text), indent=1) + "\n"
    assert before_first_write >= len(text) // (1 << 16) // 2
    _assert_same(line, _load(text).timeline)
