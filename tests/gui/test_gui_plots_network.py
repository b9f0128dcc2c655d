"""The Gradients, Landscape and Compare tabs for networks of any shape
(issue 14, "Data and plots"): each view is fed the state's Shown records as
a widget of its own, and its numbers are checked against the independent
oracle (tests/engine/network_oracle.py) or a fresh engine evaluation."""

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import landscape, network
from engine.compare import all_hidden, network_rows
from engine.terms import Spec
from gui.compare_view import CompareView
from gui.gradient_plot import NETWORK_FACTOR_LIMIT, NETWORK_FLOOR, UNIT_CURVES, GradientPlot, stride_for
from gui.landscape_view import MIN_SIZE, SIZE, LandscapeView, axis_range, grid_size
from gui.state import ExplorerState

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "engine"))
import network_oracle as oracle  # noqa: E402
from helpers import shown_widget


# --- helpers ---------------------------------------------------------------------

def _state(example=None):
    state = ExplorerState()
    if example:
        state.push(state.example_command(example))
    return state


def _sigmoid_state(layers=(1, 8, 8, 8, 8, 1)):
    """A deep network whose every hidden layer is a sigmoid: the vanishing gradient."""
    state = ExplorerState()
    state.push(state.layers_command(layers))
    for layer in range(1, len(layers) - 1):
        state.push(state.spec_command(f"activation{layer}", "sigmoid"))
    assert state.spec().hidden == len(layers) - 2
    return state


def _big_state():
    """2-8-8-1 on 200 samples: a costly landscape."""
    state = ExplorerState()
    state.push(state.layers_command((2, 8, 8, 1)))
    rng = np.random.default_rng(3)
    state.push(state.samples_command(rng.normal(size=(200, 2)), rng.normal(size=(200, 1))))
    return state


def _widget(qtbot, widget, size=(700, 500)):
    return shown_widget(qtbot, widget, size)


def _oracle_params(params, spec):
    return [(np.asarray(params[f"W{l}"], dtype=float), np.asarray(params[f"b{l}"], dtype=float).ravel())
            for l in range(1, len(spec.layers))]


def _activations(spec):
    return [getattr(spec, f"activation{l}") for l in range(1, spec.hidden + 1)]


def _oracle_state(line, step):
    """(spec, oracle params, X, Y, the oracle's per-sample gradients) of a line's state."""
    trainer, index = line.locate(step)
    spec = trainer.spec
    params = _oracle_params(trainer.params(index), spec)
    return spec, params, np.asarray(trainer.x, dtype=float), np.asarray(trainer.y, dtype=float)


def _oracle_norms(line, step):
    """‖∂L/∂W_l‖ of every layer at a state, from the oracle."""
    spec, params, X, Y = _oracle_state(line, step)
    _, grads = oracle.batch_gradients(params, X, Y, _activations(spec), spec.output_activation,
                                      spec.loss, spec.leak)
    return [float(np.sqrt(np.sum(dW ** 2))) for dW, _ in grads]


def _oracle_factors(line, step):
    """{factor id: ∂h/∂z of each hidden unit, the mean over the samples} from the oracle."""
    spec, params, X, Y = _oracle_state(line, step)
    per_sample = [oracle.gradients(params, x, y, _activations(spec), spec.output_activation, spec.loss,
                                   spec.leak) for x, y in zip(X, Y)]
    return {f"dh{l}/dz{l}[{u}]": float(np.mean([g[f"dh{l}/dz{l}"][u - 1] for g in per_sample]))
            for l in range(1, spec.hidden + 1) for u in range(1, spec.layers[l] + 1)}


def _legend(plot):
    return [label.text for _, label in plot.legend.items]


# --- the Gradients tab ------------------------------------------------------------

def test_mazur_norms_per_layer_and_factors_per_unit_are_the_oracles(qtbot):
    state = _state("mazur")
    state.train(30)
    plot = _widget(qtbot, GradientPlot())
    plot.display(state.shown())
    line = state.timeline
    assert plot.network
    assert _legend(plot) == ["‖∂L/∂W₁‖", "‖∂L/∂W₂‖", "∂h₁/∂z₁[1]", "∂h₁/∂z₁[2]"]
    assert "each layer" in plot.getPlotItem().titleLabel.text
    for layer in (1, 2):
        x, y = plot.shown(f"dL/dW{layer}")
        np.testing.assert_array_equal(x, np.arange(31))
        want = [_oracle_norms(line, step)[layer - 1] for step in range(31)]
        np.testing.assert_allclose(y, want, rtol=1e-12)
    # The two layers' norms differ, and they are norms: W₂'s has four elements, not one.
    assert not np.allclose(plot.shown("dL/dW1")[1], plot.shown("dL/dW2")[1])
    for unit in (1, 2):
        x, y = plot.shown(f"dh1/dz1[{unit}]")
        np.testing.assert_array_equal(x, np.arange(31))
        want = [_oracle_factors(line, step)[f"dh1/dz1[{unit}]"] for step in range(31)]
        np.testing.assert_allclose(y, want, rtol=1e-12)
    assert plot.marker.value() == 30


def test_a_deep_sigmoid_network_shows_the_vanishing_gradient(qtbot):
    state = _sigmoid_state()
    state.train(20)
    plot = _widget(qtbot, GradientPlot())
    plot.display(state.shown())
    assert _legend(plot)[:5] == [f"‖∂L/∂W{s}‖" for s in "₁₂₃₄₅"]
    first = [plot.shown(f"dL/dW{layer}")[1][0] for layer in range(1, 6)]
    np.testing.assert_allclose(first, _oracle_norms(state.timeline, 0), rtol=1e-12)
    # Each layer nearer the input gets a smaller gradient: plainly, by orders of magnitude.
    assert all(a < b for a, b in zip(first, first[1:]))
    assert first[-1] / first[0] > 100
    # 32 hidden units are too many curves: each layer's mean, and each under σ' ≤ 1/4.
    assert 32 > UNIT_CURVES
    assert _legend(plot)[5:] == [f"∂h{s}/∂z{s} (mean)" for s in "₁₂₃₄"]
    factors = _oracle_factors(state.timeline, 0)
    for layer in range(1, 5):
        x, y = plot.shown(f"dh{layer}/dz{layer}")
        assert x[0] == 0
        want = np.mean([factors[f"dh{layer}/dz{layer}[{u}]"] for u in range(1, 9)])
        assert y[0] == pytest.approx(want, rel=1e-12)
        assert 0 < y[0] <= 0.25


def test_a_long_line_is_thinned_and_a_refresh_reads_only_new_states(qtbot):
    state = _state("mazur")
    state.train(3000)
    plot = _widget(qtbot, GradientPlot(limit=100))
    plot.display(state.shown())
    line = state.timeline
    n = len(line)
    stride = stride_for(n, 100)
    x, y = plot.shown("dL/dW2")
    assert stride > 1 and x[0] == 0 and x[-1] == n - 1 and len(x) <= 101
    np.testing.assert_array_equal(x[:-1], np.arange(0, n, stride))
    for k in (0, len(x) // 2, len(x) - 1):
        assert y[k] == pytest.approx(_oracle_norms(line, int(x[k]))[1], rel=1e-12)
    # The factors at fewer states, the newest among them.
    fx, _ = plot.shown("dh1/dz1[1]")
    assert fx[-1] == n - 1 and len(fx) <= NETWORK_FACTOR_LIMIT + 1
    # Training on: only the new states' columns are read.
    read = []
    column = line.column

    def counted(name, start=0, stop=None):
        values = column(name, start, stop)
        read.append(len(values))
        return values
    line.column = counted
    try:
        state.train(10)
        plot.display(state.shown())
    finally:
        del line.column
    columns = sum(name.startswith("dL/dW") for name in line.columns)   # 8 of Mazur's
    assert 0 < sum(read) <= columns * (stride + 11), read
    x, y = plot.shown("dL/dW1")
    assert x[-1] == len(line) - 1
    assert y[-1] == pytest.approx(_oracle_norms(line, len(line) - 1)[0], rel=1e-12)


def test_from_the_chain_to_a_network_and_back(qtbot):
    state = _state()
    state.train(5)
    plot = _widget(qtbot, GradientPlot())
    plot.display(state.shown())
    chain = ["|∂L/∂W₁|", "|∂L/∂W₂|", "|∂L/∂W₃|", "∂h₁/∂z₁", "∂h₂/∂z₂"]
    assert _legend(plot) == chain and not plot.network
    state.push(state.example_command("mazur"))
    state.train(5)
    plot.display(state.shown())
    assert plot.network
    # The line holds the chain's six states, then Mazur's: the chain's |∂L/∂W₃| is
    # its layer 3's norm, a gap where Mazur's network has no third layer.
    assert "‖∂L/∂W₃‖" in _legend(plot)
    x, y = plot.shown("dL/dW3")
    line = state.timeline
    chain_states = line.segments[0].length
    np.testing.assert_allclose(y[:chain_states], np.abs(line.column("dL/dW3", 0, chain_states)))
    assert np.isnan(y[chain_states:]).all()
    assert y[-1] != y[-1]
    x, y = plot.shown("dL/dW2")
    assert y[-1] == pytest.approx(_oracle_norms(line, len(line) - 1)[1], rel=1e-12)
    # Back at a state of the chain: exactly the chain's curves and legend.
    state.move_to(2)
    plot.display(state.shown())
    assert _legend(plot) == chain and not plot.network
    assert plot.getPlotItem().titleLabel.text == "Vanishing gradients"
    x, y = plot.shown("dL/dW1")
    np.testing.assert_array_equal(y[:chain_states], np.abs(line.column("dL/dW1", 0, chain_states)))


def test_a_zero_gradient_sits_at_the_views_floor(qtbot):
    """A single sample fitted exactly: its gradients become 0, drawn at NETWORK_FLOOR."""
    state = _sigmoid_state((1, 2, 1))
    state.push(state.spec_command("optimizer", "adam"))
    state.train(3000)
    line = state.timeline
    zero = np.flatnonzero(line.column("dL/dW1[1,1]") == 0)
    if not len(zero):
        pytest.skip("training did not reach an exact zero gradient")
    plot = _widget(qtbot, GradientPlot())
    plot.display(state.shown())
    x, y = plot.shown("dL/dW1")
    assert (y >= NETWORK_FLOOR).all()
    assert y[np.searchsorted(x, zero[-1])] == NETWORK_FLOOR or zero[-1] not in x


def test_a_hidden_gradient_plot_waits_for_a_network_too(qtbot):
    state = _state("xor")
    state.train(4)
    plot = GradientPlot()
    qtbot.addWidget(plot)
    plot.display(state.shown())
    assert plot.shown("dL/dW1")[0].size == 0
    plot.show()
    qtbot.waitExposed(plot)
    x, y = plot.shown("dL/dW1")
    assert len(x) == 5
    assert y[-1] == pytest.approx(_oracle_norms(state.timeline, 4)[0], rel=1e-12)


# --- the Landscape tab -----------------------------------------------------------

def _engine_grid(state, p1, p2, size):
    trainer, index = state.timeline.locate(state.cursor)
    params = trainer.params(index)

    def value(name):
        p, _, rest = name.partition("[")
        i, _, j = rest[:-1].partition(",")
        return float(params[p][int(i) - 1, int(j or 1) - 1])
    return landscape.grid(params, trainer.x, trainer.y, p1, p2, axis_range(p1, value(p1)),
                          axis_range(p2, value(p2)), size=size, spec=trainer.spec), params, value


def _oracle_loss(state, params, **elements):
    """The oracle's batch loss at ``params`` with some elements set (``W2_1_2=0.3``)."""
    trainer, _ = state.timeline.locate(state.cursor)
    spec = trainer.spec
    moved = {p: np.array(a, dtype=float) for p, a in params.items()}
    for key, v in elements.items():
        p, i, j = (key.split("_") + ["1"])[:3]
        moved[p][int(i) - 1, int(j) - 1] = v
    return oracle.batch_loss(_oracle_params(moved, spec), trainer.x, trainer.y, _activations(spec),
                             spec.output_activation, spec.loss, spec.leak)


def test_the_landscape_of_two_elements_of_mazurs_network(qtbot):
    state = _state("mazur")
    view = _widget(qtbot, LandscapeView(), (600, 600))
    view.display(state.shown())
    choices = landscape.parameter_choices(state.spec())
    assert [view.combo_x.itemText(i) for i in range(view.combo_x.count())] == list(choices)
    assert view.pair() == ("W1[1,1]", "W2[1,1]")
    assert view.plot.getPlotItem().getAxis("bottom").labelText == "W₁[1,1]"
    assert view.plot.getPlotItem().getAxis("left").labelText == "W₂[1,1]"
    (values1, values2, loss), params, value = _engine_grid(state, "W1[1,1]", "W2[1,1]", SIZE)
    assert view.image.image.shape == (SIZE, SIZE)
    assert np.array_equal(view.image.image, loss)
    assert np.array_equal(view.grid_values[0], values1) and np.array_equal(view.grid_values[1], values2)
    # Around the shown values: W₁[1,1] = 0.15 ± 1, W₂[1,1] = 0.4 ± 1.
    assert values1[0] == pytest.approx(value("W1[1,1]") - 1) and values2[-1] == pytest.approx(value("W2[1,1]") + 1)
    # Row i is W₂[1,1] = values2[i], column j is W₁[1,1] = values1[j]: as the oracle's loss.
    for i, j in ((0, 0), (37, 150), (199, 3)):
        assert loss[i, j] == pytest.approx(_oracle_loss(state, params, W1_1_1=values1[j], W2_1_1=values2[i]),
                                           rel=1e-10)
    mx, my = view.marker.getData()
    assert (mx[0], my[0]) == (value("W1[1,1]"), value("W2[1,1]"))


def test_choosing_elements_training_and_a_click(qtbot):
    state = _state("mazur")
    view = _widget(qtbot, LandscapeView(), (600, 600))
    view.display(state.shown())
    view.combo_x.setCurrentText("b1[2]")
    view.combo_y.setCurrentText("W2[1,2]")
    assert view.pair() == ("b1[2]", "W2[1,2]")
    (_, _, loss), params, value = _engine_grid(state, "b1[2]", "W2[1,2]", SIZE)
    assert np.array_equal(view.image.image, loss)
    # The same element on both axes swaps them.
    view.combo_y.setCurrentText("b1[2]")
    assert view.pair() == ("W2[1,2]", "b1[2]")
    with pytest.raises(ValueError):
        view.set_pair("W2[1,2]", "W3[1,1]")      # Mazur's network has two layers
    # The path of training over the map: the line's columns of the two elements.
    state.train(25)
    view.display(state.shown())
    xs, ys = view.path_curve.getData()
    assert len(xs) == 26
    assert np.array_equal(xs, state.timeline.column("W2[1,2]"))
    assert np.array_equal(ys, state.timeline.column("b1[2]"))
    trainer, index = state.timeline.locate(25)
    mx, my = view.marker.getData()
    assert (mx[0], my[0]) == (trainer.params(index)["W2"][0, 1], trainer.params(index)["b1"][1, 0])
    # A click emits the two element ids and their values; the window applies it.
    got = []
    view.picked.connect(got.append)
    assert view.pick_at(0.3, 0.2) == {"W2[1,2]": 0.3, "b1[2]": 0.2}
    assert got == [{"W2[1,2]": 0.3, "b1[2]": 0.2}]
    assert view.pick_at(50.0, 0.2) is None and len(got) == 1


def test_the_pair_is_kept_while_the_shape_has_it_and_the_chain_keeps_its_own(qtbot):
    state = _state()
    view = _widget(qtbot, LandscapeView())
    view.display(state.shown())
    view.set_pair("b2", "W3")
    state.push(state.example_command("mazur"))
    view.display(state.shown())
    assert view.pair() == ("W1[1,1]", "W2[1,1]")
    view.set_pair("W2[2,2]", "b2[2]")
    state.push(state.example_command("xor"))      # 2-4-1: W2 is 1×4, no b2[2]
    view.display(state.shown())
    assert view.pair() == ("W1[1,1]", "W2[1,1]")
    assert view.combo_x.count() == len(landscape.parameter_choices(state.spec()))
    view.set_pair("W2[1,4]", "b1[3]")
    state.push(state.layers_command((2, 5, 1)))   # still has both
    view.display(state.shown())
    assert view.pair() == ("W2[1,4]", "b1[3]")
    state.push(state.example_command("reference"))
    view.display(state.shown())
    assert view.pair() == ("b2", "W3") and view.combo_x.count() == 6
    assert view.plot.getPlotItem().getAxis("bottom").labelText == "b2"
    trainer, index = state.timeline.locate(state.cursor)
    assert np.array_equal(view.image.image, landscape.grid(
        trainer.params(index), trainer.x, trainer.y, "b2", "W3",
        axis_range("b2", trainer.params(index)["b2"]), axis_range("W3", trainer.params(index)["W3"]),
        size=SIZE, spec=trainer.spec)[2])


def test_a_costly_network_map_is_smaller_and_kept_while_training_runs(qtbot):
    state = _big_state()
    size = grid_size(state.spec(), 200)
    assert MIN_SIZE <= size < SIZE
    assert grid_size(_state("mazur").spec(), 1) == SIZE
    assert grid_size(Spec(), 10_000) == SIZE            # the chain's as it was
    view = _widget(qtbot, LandscapeView())
    view.display(state.shown())
    (_, _, loss), _, _ = _engine_grid(state, "W1[1,1]", "W2[1,1]", size)
    assert view.image.image.shape == (size, size) and np.array_equal(view.image.image, loss)
    calls = view.grid_calls
    state.train(3)
    view.display(state.shown(running=True))
    assert view.grid_calls == calls                     # the map of step 0 kept …
    assert "at step 0" in view.plot.getPlotItem().titleLabel.text
    assert len(view.path_curve.getData()[0]) == 4       # … the path and marker follow
    view.display(state.shown())                         # training stopped: drawn again
    assert view.grid_calls == calls + 1
    assert "at step" not in view.plot.getPlotItem().titleLabel.text
    assert np.array_equal(view.image.image, _engine_grid(state, "W1[1,1]", "W2[1,1]", size)[0][2])
    # A cheap network is drawn again at every refresh, running or not.
    small = _state("mazur")
    view.display(small.shown())
    calls = view.grid_calls
    small.train(2)
    view.display(small.shown(running=True))
    assert view.grid_calls == calls + 1


def test_an_element_beyond_the_range_gives_a_note_instead_of_a_map(qtbot):
    state = _state("mazur")
    view = _widget(qtbot, LandscapeView())
    shown = state.shown()
    params = dict(shown.params)
    params["W2"] = np.array(params["W2"], dtype=float)
    params["W2"][0, 1] = 2500.0
    view.display(dataclasses.replace(shown, params=params))
    assert view.note.isVisible()
    assert "W₂[1,2]" in view.note.text() and "2500" in view.note.text()
    assert view.grid_values is None and view.pick_at(0.1, 0.1) is None
    view.display(shown)
    assert not view.note.isVisible() and view.grid_values is not None


# --- the Compare tab -------------------------------------------------------------

def _evaluate(spec, shown):
    return network.evaluate(spec, shown.params, shown.x, shown.y, shown.alpha, shown.optimizer_state)


def test_compare_every_element_of_mazurs_network(qtbot):
    state = _state("mazur")
    view = _widget(qtbot, CompareView())
    shown = state.shown()
    view.display(shown)
    assert view.labels["A"].text() == "A: every hidden layer"
    rows = {row.id: row for row in view.rows}
    spec = shown.spec
    tab = network.table(spec)
    count = sum(a.size for a in shown.params.values()) + spec.layers[1]
    assert len(view.rows) == count == view.table.rowCount()
    assert view.table.item(0, 0).text() == "∂L/∂W₁[1,1]"
    # A = the network's own sigmoid, B = linear in the hidden layer; the oracle's gradients under each.
    assert (view.choice["A"].currentData(), view.choice["B"].currentData()) == ("sigmoid", "linear")
    for name, key in (("sigmoid", "a"), ("linear", "b")):
        _, grads = oracle.batch_gradients(_oracle_params(shown.params, spec), shown.x, shown.y, [name],
                                          spec.output_activation, spec.loss, spec.leak)
        assert getattr(rows["dL/dW1[2,1]"], key) == pytest.approx(grads[0][0][1, 0], rel=1e-12)
        assert getattr(rows["dL/dW2[1,2]"], key) == pytest.approx(grads[1][0][0, 1], rel=1e-12)
        assert getattr(rows["dL/db2[2]"], key) == pytest.approx(grads[1][1][1], rel=1e-12)
    assert rows["dh1/dz1[2]"].b == 1.0
    assert "hidden layers' activations" in view.note.text()
    assert tab.params == ("W1", "b1", "W2", "b2")


def test_compare_starts_from_the_network_s_own_activation_until_the_learner_chooses(qtbot):
    state = _state("mazur")
    view = _widget(qtbot, CompareView())

    def shown_choices():
        view.display(state.shown())
        return view.choice["A"].currentData(), view.choice["B"].currentData()
    assert shown_choices() == ("sigmoid", "linear")
    state.push(state.example_command("reference"))
    assert shown_choices() == ("tanh", "linear")          # the chain as it always was
    state.push(state.spec_command("activation1", "linear"))
    assert shown_choices() == ("linear", "tanh")          # never linear against linear
    view.choice["A"].setCurrentIndex(view.choice["A"].findData("relu"))
    state.push(state.example_command("mazur"))
    assert shown_choices() == ("relu", "linear")          # the learner's choice kept, B follows


def test_compare_a_deep_network_and_other_choices(qtbot):
    state = _sigmoid_state()
    view = _widget(qtbot, CompareView())
    box = view.choice["B"]
    box.setCurrentIndex(box.findData("relu"))
    shown = state.shown()
    view.display(shown)
    # A is the network's own activation until chosen: sigmoid here.
    assert shown.spec.activation1 == "sigmoid" and view.choice["A"].currentData() == "sigmoid"
    want = network_rows(shown.params, shown.x, shown.y, shown.alpha, all_hidden(shown.spec, "sigmoid"),
                        all_hidden(shown.spec, "relu"), shown.optimizer_state)
    assert view.rows == want
    # Every hidden layer takes the choice, the output layer keeps its own.
    values = _evaluate(all_hidden(shown.spec, "relu"), shown)
    rows = {row.id: row for row in view.rows}
    assert rows["dL/dW1[3,1]"].b == pytest.approx(float(values["dL_dW1"][2, 0]), rel=1e-12)
    assert sum(row.id.startswith("dh") for row in view.rows) == 32
    assert view.table.item(len(view.rows) - 1, 0).text() == "∂h₁/∂z₁[8]"
    # Another choice is drawn at once.
    view.choice["A"].setCurrentIndex(view.choice["A"].findData("tanh"))
    values = _evaluate(all_hidden(shown.spec, "tanh"), shown)
    rows = {row.id: row for row in view.rows}
    assert rows["dL/dW1[3,1]"].a == pytest.approx(float(values["dL_dW1"][2, 0]), rel=1e-12)


def test_compare_without_hidden_layers_says_so_and_the_chain_is_as_before(qtbot):
    state = _state()
    state.push(state.layers_command((2, 1)))
    view = _widget(qtbot, CompareView())
    view.display(state.shown())
    assert "no hidden layer" in view.note.text()
    assert all(row.a == row.b for row in view.rows) and len(view.rows) == 3
    state.push(state.example_command("reference"))
    view.display(state.shown())
    assert view.labels["B"].text() == "B: both hidden layers"
    assert view.table.rowCount() == 8 and view.table.item(0, 0).text() == "∂L/∂W₁"
    assert "only the activations differ" in view.note.text()
