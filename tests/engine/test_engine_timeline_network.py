"""A timeline whose segments are networks of any shape, and lines that mix
the chain and networks (a learner may change the shape at any step)."""

import random

import numpy as np
import pytest

from engine.compiled import ROW, row_for
from engine.limits import DEFAULTS, PARAMS
from engine.network import row_columns
from engine.network_training import NetworkTrainer
from engine.terms import Spec, state_order
from engine.timeline import Timeline, column_order
from engine.training import Trainer

CHAIN = {p: DEFAULTS[p] for p in PARAMS}
MAZUR = Spec(layers=(2, 2, 2), activation1="sigmoid", output_activation="sigmoid", loss="half-squared")
MAZUR_PARAMS = {"W1": [[0.15, 0.20], [0.25, 0.30]], "b1": [0.35, 0.35],
                "W2": [[0.40, 0.45], [0.50, 0.55]], "b2": [0.60, 0.60]}
MAZUR_X, MAZUR_Y = [0.05, 0.10], [0.01, 0.99]
NARROW = Spec(layers=(1, 3, 1), optimizer="momentum")
NARROW_PARAMS = {"W1": [[0.1], [-0.2], [0.3]], "b1": [0.0, 0.1, -0.1], "W2": [[1.0, -2.0, 0.5]], "b2": [0.5]}


def _mazur(**options):
    return NetworkTrainer(options.pop("spec", MAZUR), MAZUR_PARAMS, options.pop("x", MAZUR_X),
                          options.pop("y", MAZUR_Y), options.pop("alpha", 0.5), **options)


def _mixed():
    """The chain (states 0-4), Mazur's 2-2-2 on three samples (5-14), a 1-3-1 with momentum (15-21)."""
    line = Timeline(Trainer(dict(CHAIN), 2.0, 4.0, 0.01))
    line.run(9)
    line.branch(5, _mazur(x=[[0.05, 0.1], [0.2, -0.3], [1.0, 2.0]], y=[[0.01, 0.99], [0.5, 0.5], [0.0, 1.0]]))
    line.run(9)
    line.branch(15, NetworkTrainer(NARROW, NARROW_PARAMS, [1.0, 2.0], [3.0, 4.0], 0.01))
    line.run(6)
    return line


def test_the_line_is_what_the_tests_below_expect():
    line = _mixed()
    assert [s.length for s in line.segments] == [5, 10, 7] and len(line) == 22
    assert [type(s.trainer) for s in line.segments] == [Trainer, NetworkTrainer, NetworkTrainer]


def test_the_order_of_columns_is_the_chains_for_the_chain():
    for optimizer in ("sgd", "momentum", "rmsprop", "adam"):
        row = row_for(Spec(optimizer=optimizer, schedule="step"))
        shuffled = list(row)
        random.Random(optimizer).shuffle(shuffled)
        assert column_order(shuffled) == row
    wide = row_columns(Spec(layers=(2, 3, 4, 1), optimizer="adam"))
    shuffled = list(wide)
    random.Random(1).shuffle(shuffled)
    assert column_order(shuffled) == wide


def test_a_chain_line_keeps_its_columns():
    line = Timeline(Trainer(dict(CHAIN), 2.0, 4.0, 0.01))
    line.run(3)
    line.branch(2, Trainer(dict(CHAIN), 2.0, 4.0, 0.01, spec=Spec(optimizer="adam")))
    line.run(2)
    line.branch(4, Trainer(dict(CHAIN), 2.0, 4.0, 0.01, spec=Spec(optimizer="rmsprop")))
    assert line.columns == ROW + state_order(set(row_for(Spec(optimizer="adam"))[len(ROW):])
                                              | set(row_for(Spec(optimizer="rmsprop"))[len(ROW):]))


def test_the_columns_of_a_mixed_line_are_every_segments_each_once():
    line = _mixed()
    columns = line.columns
    assert len(columns) == len(set(columns))
    assert set(columns) == set(ROW) | set(row_columns(MAZUR)) | set(row_columns(NARROW))
    # The parameters layer by layer (the chain's bare W1 before a network's W1[1,1]), L, gradients, state.
    assert columns[:4] == ("W1", "W1[1,1]", "W1[1,2]", "W1[2,1]")
    at = columns.index
    assert at("b3") < at("L") < at("dL/dW1") < at("dL/dW1[1,1]") < at("dL/db3") < at("v_W1[1,1]")
    assert columns[-1] == "v_b2[1]"


def test_rows_of_a_mixed_line_hold_each_segments_row_and_nan_elsewhere():
    line = _mixed()
    rows, columns = line.rows(), line.columns
    assert rows.shape == (22, len(columns))
    for step in range(22):
        trainer, index = line.locate(step)
        own = trainer.history.columns
        kept = [columns.index(n) for n in own]
        assert rows[step, kept].tobytes() == line.row(step).tobytes()
        missing = np.ones(len(columns), bool)
        missing[kept] = False
        assert np.isnan(rows[step, missing]).all()
    # Any window of rows is the same window of the whole.
    assert line.rows(3, 17).tobytes() == rows[3:17].tobytes()
    assert line.rows(20, 99).tobytes() == rows[20:].tobytes()


def test_a_column_reads_across_every_change_of_shape():
    line = _mixed()
    loss = line.column("L")
    assert np.isfinite(loss).all() and len(loss) == 22
    assert loss[7] == line.locate(7)[0].history.row(2)[row_columns(MAZUR).index("L")]
    w = line.column("W1[1,1]")
    assert np.isnan(w[:5]).all() and np.isfinite(w[5:]).all()
    assert np.isnan(line.column("W1")[5:]).all() and np.isnan(line.column("W3")[5:]).all()
    assert np.isnan(line.column("v_W2[1,3]", 10, 15)).all()
    assert np.isfinite(line.column("v_W2[1,3]", 15)).all()


def test_a_states_values_are_its_own_trainers():
    line = _mixed()
    chain = line.edited_values(2)
    assert set(chain) == set(PARAMS) | {"x", "y", "alpha"} and chain["x"] == 2.0 and type(chain["W1"]) is float
    values = line.edited_values(5)
    assert values["W1"].tolist() == MAZUR_PARAMS["W1"] and values["b1"].shape == (2, 1)
    assert values["x"].tolist() == [0.05, 0.1] and values["y"].tolist() == [0.01, 0.99] and values["alpha"] == 0.5
    shown = line.shown_values(6)
    assert shown["x"].tolist() == pytest.approx([(0.05 + 0.2 + 1.0) / 3, (0.1 - 0.3 + 2.0) / 3])
    assert shown["y"].tolist() == pytest.approx([0.51 / 3, 2.49 / 3])
    assert shown["W2"].tolist() == line.params(6)["W2"].tolist() == line.locate(6)[0].params(1)["W2"].tolist()
    narrow = line.edited_values(15)
    assert narrow["x"].tolist() == [1.0] and narrow["W2"].tolist() == [[1.0, -2.0, 0.5]]
    assert line.shown_values(15)["x"].tolist() == [1.5]


def test_optimizer_state_derivation_and_row_are_the_segments():
    line = _mixed()
    assert line.optimizer_state(3) == {} and line.optimizer_state(8) == {}
    state = line.optimizer_state(17)
    assert sorted(state) == ["v_W1", "v_W2", "v_b1", "v_b2"] and state["v_W2"].shape == (1, 3)
    trainer, index = line.locate(17)
    assert index == 2 and state["v_W1"].tolist() == trainer.optimizer_state(2)["v_W1"].tolist()
    derivation = line.derivation(17)
    assert derivation.value("L") == line.column("L", 17, 18)[0]
    assert line.row(17).tobytes() == trainer.history.row(2).tobytes()
    assert line.derivation(1).value("L") == line.column("L", 1, 2)[0]


def test_run_branch_truncate_and_frozen_work_on_a_network():
    line = _mixed()
    frozen = line.frozen()
    before = line.rows()
    line.run(5)
    assert len(line) == 27 and frozen.rows().tobytes() == before.tobytes()
    line.truncate(3)
    assert len(line) == 18 and line.rows().tobytes() == before[:18].tobytes()
    # A goal: the run ends at the first state whose loss is below it.
    goal = float(line.column("L", 17)[0]) * 0.999
    line.run(500, stop_below=goal)
    loss = line.column("L", 17)
    assert loss[-1] < goal and (loss[:-1] >= goal).all()
    # Back to the chain from a network's state.
    line.branch(8, Trainer(dict(CHAIN), 1.0, 1.0, 0.01))
    assert len(line) == 9 and [type(s.trainer) for s in line.segments] == [Trainer, NetworkTrainer, Trainer]
    assert line.columns == column_order(set(ROW) | set(row_columns(MAZUR)))
    assert frozen.rows().tobytes() == before.tobytes() and len(frozen) == 22


def test_a_networks_divergence_is_numbered_by_the_line():
    line = _mixed()
    spec = Spec(layers=(2, 3, 1), activation1="linear")
    line.branch(12, NetworkTrainer(spec, {"W1": [[1, 2], [3, 4], [5, 6]], "b1": [0, 0, 0],
                                         "W2": [[1, 1, 1]], "b2": [0]}, [[10, 20]], [[3]], 1.0))
    divergence = line.run(100)
    assert divergence is not None and divergence.step == 12 + line.trainer.divergence.step
    assert divergence.quantity == "yhat_next[1]" and len(line) == divergence.step
    assert np.isfinite(line.rows()[:, line.columns.index("L")]).all()
