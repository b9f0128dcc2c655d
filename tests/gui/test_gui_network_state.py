"""The window's state with networks of any shape (issue 14): worked examples,
a new shape, element edits, undo and redo, checked against fresh engine runs."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import pytest

from engine import DEFAULTS, InputError, Spec
from engine.examples import EXAMPLES, samples
from engine.init import initialize_network
from engine.network import derive
from engine.network_training import NetworkTrainer
from gui.state import ExplorerState

MAZUR = EXAMPLES["mazur"]
MAZUR_SPEC = Spec(**MAZUR["network"])


@pytest.fixture
def state(qtbot):
    return ExplorerState()


def _engine_mazur():
    return NetworkTrainer(MAZUR_SPEC, MAZUR["params"], MAZUR["x"], MAZUR["y"], MAZUR["alpha"])


def test_mazurs_example_is_the_command_lines(state):
    state.push(state.example_command("mazur"))
    assert state.spec() == MAZUR_SPEC and state.undo_stack.text(0) == "Mazur's 2-2-2 example"
    state.train(3)
    fresh = _engine_mazur()
    fresh.run(3)
    assert len(state.timeline.segments) == 1   # the example replaces the state it was chosen at
    assert np.array_equal(state.timeline.rows(0, 4), fresh.history.rows())
    # The derivation shown is the engine's, element by element.
    expected = derive(MAZUR_SPEC, fresh.params(3), MAZUR["x"], MAZUR["y"], MAZUR["alpha"])
    assert [(t.id, t.value) for t in state.derivation()] == [(t.id, t.value) for t in expected]


@pytest.mark.parametrize("name", ["curve", "xor"])
def test_the_dataset_examples_train_on_their_samples(state, name):
    state.push(state.example_command(name))
    example = EXAMPLES[name]
    x, y = samples(name)
    spec = Spec(**example["network"], **example.get("update", {}))
    params = initialize_network(*example["init"], spec.layers)
    fresh = NetworkTrainer(spec, params, x, y, example["alpha"])
    state.train(20)
    fresh.run(20)
    assert state.spec() == spec and np.array_equal(state.samples()[0], x)
    assert np.array_equal(state.timeline.rows(0, 21), fresh.history.rows())


def test_a_new_shape_keeps_the_network_but_draws_new_parameters(state):
    state.push(state.spec_command("activation1", "sigmoid"))
    state.push(state.layers_command((1, 3, 2, 1), "he", 5))
    spec = state.spec()
    assert spec.layers == (1, 3, 2, 1) and spec.activation1 == "sigmoid"
    drawn = initialize_network("he", 5, (1, 3, 2, 1))
    values = state.edited_values()
    for name, array in drawn.items():
        assert np.array_equal(values[name], array)
    # One input and one output, as before: the sample stays.
    assert (float(values["x"][0]), float(values["y"][0])) == (DEFAULTS["x"], DEFAULTS["y"])
    assert state.undo_stack.text(state.undo_stack.index() - 1) == "Layers 1-3-2-1 (He, seed 5)"
    # Back to the chain: the chain's own trainer, its own numbers.
    state.push(state.layers_command((1, 1, 1, 1), "xavier", 0))
    assert state.spec().is_reference_shape and isinstance(state.edited_values()["W1"], float)


def test_a_bad_shape_is_refused_and_changes_nothing(state):
    before = state.undo_stack.count()
    with pytest.raises(InputError, match="layers"):
        state.layers_command((2, 9, 1))
    assert state.undo_stack.count() == before


def test_element_edits_merge_and_undo_takes_them_back(state):
    state.push(state.example_command("mazur"))
    state.train(2)
    state.move_to(1)
    state.push(state.element_command("W2[1,2]", 0.7))
    state.push(state.element_command("W2[1,2]", 0.75))
    assert state.undo_stack.text(state.undo_stack.index() - 1) == "Set W₂[1,2] = 0.75"
    assert state.edited_values()["W2"][0, 1] == 0.75 and state.last == 1
    state.undo_stack.undo()
    assert state.last == 2 and state.edited_values(1)["W2"][0, 1] == _engine_mazur_params(1)["W2"][0, 1]
    with pytest.raises(InputError):
        state.element_command("W2[1,2]", 1e6)
    with pytest.raises(KeyError):
        state.element_command("W3[1,1]", 0.1)
    # α is still a number of the panel's.
    state.push(state.value_command("alpha", 0.1))
    assert state.edited_values()["alpha"] == 0.1


def _engine_mazur_params(step):
    fresh = _engine_mazur()
    fresh.run(step)
    return fresh.params(step)


def test_a_pick_sets_two_elements_as_one_change(state):
    state.push(state.example_command("mazur"))
    count = state.undo_stack.count()
    state.push(state.elements_command({"W1[2,1]": 0.5, "b2[2]": -0.25}, "Move"))
    values = state.edited_values()
    assert (values["W1"][1, 0], values["b2"][1, 0]) == (0.5, -0.25)
    assert state.undo_stack.count() == count + 1


def test_the_checks_of_a_wider_network_are_per_element_and_agree(state):
    state.push(state.example_command("mazur"))
    checks = state.gradient_checks()
    assert len(checks) == 12 and checks[0].param == "W1[1,1]"
    assert all(c.relative_error < 1e-6 for c in checks)
    # And they are the engine's, of the shown state.
    fresh = _engine_mazur()
    assert [c.numeric for c in checks] == [c.numeric for c in fresh.checks(0)]


def _snapshot(state):
    return (state.cursor, len(state.timeline), state.timeline.rows().tobytes(), state.timeline.trainer.spec)


OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("example"), st.sampled_from(sorted(EXAMPLES))),
    st.tuples(st.just("layers"), st.sampled_from([(1, 1, 1, 1), (2, 2, 2), (1, 3, 1), (2, 4, 1), (1, 2, 2, 1)])),
    st.tuples(st.just("element"), st.floats(-2, 2, allow_nan=False)),
    st.tuples(st.just("run"), st.integers(1, 5)),
    st.tuples(st.just("back"), st.integers(0, 3)),
), min_size=1, max_size=12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS)
def test_any_changes_of_shape_and_element_undo_and_redo_exactly(state, operations):
    state.replace(None, 0)
    snapshots = [_snapshot(state)]
    for op, arg in operations:
        if op == "example":
            state.push(state.example_command(arg))
        elif op == "layers":
            state.push(state.layers_command(arg, "xavier", 3))
        elif op == "element":
            first = "W1[1,1]" if not state.spec().is_reference_shape else None
            state.push(state.element_command(first, arg) if first else state.value_command("W1", arg))
        elif op == "run":
            state.train(arg)
        else:
            state.move_to(max(0, state.cursor - arg))
            continue
        if state.undo_stack.index() == len(snapshots):
            snapshots.append(_snapshot(state))
        else:   # nothing changed (an edit to the same value, a shape it already has)
            snapshots[-1] = _snapshot(state)
    final = _snapshot(state)
    for expected in reversed(snapshots[:-1]):
        state.undo_stack.undo()
        got = _snapshot(state)
        assert got[1:] == expected[1:]
    while state.undo_stack.canRedo():
        state.undo_stack.redo()
    assert _snapshot(state)[1:] == final[1:]
