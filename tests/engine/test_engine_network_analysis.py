"""Issue 13's analysis tools for networks of any small shape: the landscape
over two parameter elements, the comparison of two activations, each hidden
unit's activation factor and saturation.  Every value is checked against the
independent oracle (tests/engine/network_oracle.py), never against the
engine's own code; the chain's (1-1-1-1) tools are checked to be unchanged."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import network_oracle as oracle
from engine import Spec, Trainer, landscape, network
from engine.compare import Row, all_hidden, both_layers, compare, network_rows
from engine.factors import FACTORS, FactorCache, factor_ids, factors_at, network_factors
from engine.landscape import grid, network_grid, parameter_choices, parameter_elements
from engine.limits import PARAMS, InputError
from engine.network_training import NetworkTrainer
from engine.saturation import (SATURATED_BELOW, UNIT_FACTORS, hidden_units, saturated_units,
                               unit_layer)
from engine.timeline import Timeline
from engine_handcalc import EXAMPLE, EXAMPLE_X, EXAMPLE_Y

FEW = settings(max_examples=12, deadline=None)
MAZUR_SPEC = Spec(layers=(2, 2, 2), activation1="sigmoid", output_activation="sigmoid",
                  loss="half-squared")
MAZUR = {"W1": [[0.15, 0.20], [0.25, 0.30]], "b1": [0.35, 0.35],
         "W2": [[0.40, 0.45], [0.50, 0.55]], "b2": [0.60, 0.60]}
HIDDEN = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")


# --- helpers ---------------------------------------------------------------------

def _spec(layers, hidden, output="linear", loss="squared", leak=0.01):
    names = dict(zip(("activation1", "activation2", "activation3", "activation4"), hidden))
    return Spec(layers=tuple(layers), output_activation=output, loss=loss, leak=leak, **names)


def _params(spec, rng, scale=1.0):
    """{W1: matrix, b1: vector (1-d), …} drawn from ``rng``."""
    layers = spec.layers
    params = {}
    for l in range(1, len(layers)):
        params[f"W{l}"] = rng.normal(0.0, scale, (layers[l], layers[l - 1]))
        params[f"b{l}"] = rng.normal(0.0, scale, layers[l])
    return params


def _pairs(spec, params):
    """The oracle's [(W, b)] of the engine's {W1: …, b1: …}."""
    return [(np.asarray(params[f"W{l}"], float), np.asarray(params[f"b{l}"], float).ravel())
            for l in range(1, len(spec.layers))]


def _oracle_loss(spec, params, X, Y):
    return oracle.batch_loss(_pairs(spec, params), X, Y, list(spec.hidden_activations),
                             spec.output_activation, spec.loss, spec.leak)


def _oracle_factors(spec, params, X, Y):
    """{"dh{l}/dz{l}[i]": the unit's mean over the samples} from the oracle's forward pass."""
    per_sample = [oracle.gradients(_pairs(spec, params), x, y, list(spec.hidden_activations),
                                   spec.output_activation, spec.loss, spec.leak) for x, y in zip(X, Y)]
    found = {}
    for l in range(1, spec.hidden + 1):
        for i in range(spec.layers[l]):
            found[f"dh{l}/dz{l}[{i + 1}]"] = math.fsum(float(g[f"dh{l}/dz{l}"][i]) for g in per_sample) \
                / len(per_sample)
    return found


def _set(params, element, value):
    """``params`` with one element (``W2[1,2]``, ``b1[3]``) set to ``value``."""
    name, _, index = element.partition("[")
    out = {p: np.array(v, dtype=float) for p, v in params.items()}
    at = tuple(int(k) - 1 for k in index[:-1].split(","))
    out[name][at if name[0] == "W" else at[0]] = value
    return out


def _points(size):
    last = size - 1
    return [(0, 0), (0, last), (last, 0), (last, last), (size // 3, 2 * size // 3), (size // 2, 1)]


@st.composite
def networks(draw, max_width=3):
    hidden = draw(st.integers(0, 3))
    layers = draw(st.lists(st.integers(1, max_width), min_size=hidden + 2, max_size=hidden + 2))
    if tuple(layers) == (1, 1, 1, 1):
        layers[1] = 2
    spec = _spec(layers, draw(st.lists(st.sampled_from(HIDDEN), min_size=hidden, max_size=hidden)),
                 draw(st.sampled_from(("linear", "sigmoid", "tanh"))),
                 draw(st.sampled_from(("squared", "half-squared"))), draw(st.sampled_from((0.01, 0.2))))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(1, 4))
    X, Y = rng.uniform(-2, 2, (n, layers[0])), rng.uniform(-1, 1, (n, layers[-1]))
    return spec, _params(spec, rng), X, Y, rng


# --- the landscape -------------------------------------------------------------

@FEW
@given(networks(), st.data())
def test_the_grid_is_the_oracles_batch_loss_at_every_point_checked(case, data):
    spec, params, X, Y, _ = case
    elements_ = parameter_elements(spec)
    p1 = data.draw(st.sampled_from(elements_))
    p2 = data.draw(st.sampled_from([e for e in elements_ if e != p1]))   # every network has two or more
    size = data.draw(st.integers(2, 7))
    v1, v2, L = grid(params, X, Y, p1, p2, (-2, 1.5), (-1, 3), size=size, spec=spec)
    assert np.array_equal(v1, np.linspace(-2, 1.5, size)) and np.array_equal(v2, np.linspace(-1, 3, size))
    assert L.shape == (size, size)
    for i, j in _points(size):
        expected = _oracle_loss(spec, _set(_set(params, p1, v1[j]), p2, v2[i]), X, Y)
        assert L[i, j] == pytest.approx(expected, rel=1e-10, abs=1e-13), (p1, p2, i, j)


def test_two_elements_of_one_matrix_and_the_orientation():
    spec = _spec((2, 3, 2), ("tanh",))
    rng = np.random.default_rng(5)
    params = _params(spec, rng)
    X, Y = rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 2))
    v1, v2, L = network_grid(spec, params, X, Y, "W2[1,3]", "W2[2,1]", (-3, 3), (-1, 5), size=9)
    for i, j in _points(9):
        right = _oracle_loss(spec, _set(_set(params, "W2[1,3]", v1[j]), "W2[2,1]", v2[i]), X, Y)
        assert L[i, j] == pytest.approx(right, rel=1e-11)
        if i != j:
            wrong = _oracle_loss(spec, _set(_set(params, "W2[1,3]", v1[i]), "W2[2,1]", v2[j]), X, Y)
            assert L[i, j] != pytest.approx(wrong, rel=1e-6)
    # Swapping the elements transposes the grid.
    w1, w2, M = network_grid(spec, params, X, Y, "W2[2,1]", "W2[1,3]", (-1, 5), (-3, 3), size=9)
    assert np.array_equal(w1, v2) and np.array_equal(w2, v1)
    assert np.allclose(M, L.T, rtol=1e-13)


def test_the_params_entries_of_the_two_elements_are_ignored():
    spec = _spec((1, 2, 1), ("sigmoid",))
    params = _params(spec, np.random.default_rng(1))
    one = network_grid(spec, params, [0.3], [0.7], "b1[2]", "W2[1,1]", (-1, 1), (-1, 1), size=6)[2]
    moved = _set(_set(params, "b1[2]", 99.0), "W2[1,1]", -42.0)
    assert np.array_equal(one, network_grid(spec, moved, [0.3], [0.7], "b1[2]", "W2[1,1]",
                                            (-1, 1), (-1, 1), size=6)[2])


def test_blocks_of_rows_and_samples_give_the_same_grid(monkeypatch):
    spec = _spec((2, 4, 3, 1), ("relu", "tanh"), loss="half-squared")
    rng = np.random.default_rng(2)
    params = _params(spec, rng)
    X, Y = rng.uniform(-2, 2, (25, 2)), rng.uniform(-1, 1, (25, 1))
    args = (spec, params, X, Y, "W1[2,2]", "b2[3]", (-2, 2), (-2, 2))
    whole = network_grid(*args, size=10)[2]
    calls = []
    real = landscape._network_loss(spec)

    def counting(*arrays):
        calls.append(arrays)
        return real(*arrays)
    monkeypatch.setattr(landscape, "_network_loss", lambda s: counting)
    # The widest array (4 units) of all 10 grid rows and 4 samples a block: 7 blocks of samples.
    monkeypatch.setattr(landscape, "BLOCK_ELEMENTS", 10 * 10 * 4 * 4)
    assert np.allclose(whole, network_grid(*args, size=10)[2], rtol=1e-13)
    assert len(calls) == 7 and [np.shape(a)[-1] for a in calls[-1][-2:]] == [1, 1]
    assert np.shape(calls[0][0]) == (1, 10, 4, 2) and np.shape(calls[0][3]) == (10, 1, 3, 1)
    # Too few for a whole grid: 3 grid rows (4 blocks of rows) of one sample each.
    calls.clear()
    monkeypatch.setattr(landscape, "BLOCK_ELEMENTS", 3 * 10 * 4)
    assert np.allclose(whole, network_grid(*args, size=10)[2], rtol=1e-13)
    assert len(calls) == 4 * 25 and np.shape(calls[0][3]) == (3, 1, 3, 1) and np.shape(calls[-1][3]) == (1, 1, 3, 1)
    for i, j in _points(10):
        v = np.linspace(-2, 2, 10)
        assert whole[i, j] == pytest.approx(
            _oracle_loss(spec, _set(_set(params, "W1[2,2]", v[j]), "b2[3]", v[i]), X, Y), rel=1e-11)


def test_the_reference_keeps_the_chains_grid_and_its_elements_agree():
    chain = grid(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, "W1", "b2", (-2, 2), (-1, 1), size=12)
    assert all(np.array_equal(a, b) for a, b in
               zip(chain, grid(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, "W1", "b2", (-2, 2), (-1, 1), size=12,
                               spec=Spec())))
    arrays = {p: np.array([[v]]) for p, v in EXAMPLE.items()}
    elements_ = network_grid(Spec(), arrays, EXAMPLE_X, EXAMPLE_Y, "W1[1,1]", "b2[1]", (-2, 2), (-1, 1),
                             size=12)
    assert np.allclose(chain[2], elements_[2], rtol=1e-13)
    assert parameter_choices(Spec()) == PARAMS
    with pytest.raises(InputError):     # the chain names its parameters, not elements
        grid(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, "W1[1,1]", "b2", (-2, 2), (-1, 1), size=12, spec=Spec())


def test_a_wider_spec_goes_to_the_network_grid_and_lists_its_elements():
    spec = MAZUR_SPEC
    assert parameter_elements(spec) == ("W1[1,1]", "W1[1,2]", "W1[2,1]", "W1[2,2]", "b1[1]", "b1[2]",
                                        "W2[1,1]", "W2[1,2]", "W2[2,1]", "W2[2,2]", "b2[1]", "b2[2]")
    assert parameter_choices(spec) == parameter_elements(spec)
    assert "b1[1]" in parameter_elements(_spec((2, 1, 1), ("tanh",)))
    via_grid = grid(MAZUR, [0.05, 0.10], [0.01, 0.99], "W2[1,1]", "b1[2]", (-1, 1), (0, 1), size=5,
                    spec=spec)
    direct = network_grid(spec, MAZUR, [0.05, 0.10], [0.01, 0.99], "W2[1,1]", "b1[2]", (-1, 1), (0, 1),
                          size=5)
    assert all(np.array_equal(a, b) for a, b in zip(via_grid, direct))
    # Mazur's E = 0.298371109 where the grid passes through his weights.
    at = network_grid(spec, MAZUR, [0.05, 0.10], [0.01, 0.99], "W2[1,1]", "b1[2]", (0.3, 0.5), (0.25, 0.45),
                      size=3)[2]
    assert at[1, 1] == pytest.approx(0.298371109, abs=5e-10)


_ARGS = dict(params=MAZUR, x=[0.05, 0.10], y=[0.01, 0.99], p1="W1[1,1]", p2="b2[2]", range1=(-1, 1),
             range2=(-1, 1), size=5)


@pytest.mark.parametrize("kwargs, field, named", [
    (dict(p1="W1[3,1]"), "p1", "W1[3,1]"), (dict(p2="W3[1,1]"), "p2", "W3[1,1]"),
    (dict(p1="W1"), "p1", "'W1'"), (dict(p2="b1"), "p2", "'b1'"), (dict(p1="b1[1,1]"), "p1", "b1[1,1]"),
    (dict(p1="alpha"), "p1", "alpha"), (dict(p2=None), "p2", "None"),
    (dict(p1="b2[2]"), "p2", "b2[2]"),
    (dict(range1=(2, 1)), "W1[1,1]", ""), (dict(range2=(1, 1)), "b2[2]", ""),
    (dict(range1=(-2000, 0)), "W1[1,1]", ""), (dict(range2=(0, math.inf)), "b2[2]", ""),
    (dict(range1=3), "W1[1,1]", ""),
    (dict(size=1), "size", ""), (dict(size=2001), "size", ""), (dict(size=5.0), "size", ""),
    (dict(params={k: v for k, v in MAZUR.items() if k != "b2"}), "b2", ""),
    (dict(params=dict(MAZUR, W2=[[1.0, 2.0, 3.0]])), "W2", ""),
    (dict(params=dict(MAZUR, b1=[0.1, math.nan])), "b1", ""),
    (dict(x=[0.05]), "x", ""), (dict(y=[[0.1, 0.2, 0.3]]), "y", ""), (dict(x=[[0.1, math.inf]]), "x", ""),
])
def test_bad_arguments_are_refused_naming_what_is_wrong(kwargs, field, named):
    with pytest.raises(InputError) as refused:
        network_grid(MAZUR_SPEC, **dict(_ARGS, **kwargs))
    assert refused.value.name == field
    assert named in str(refused.value)


def test_a_wrong_kind_of_spec_is_a_type_error():
    with pytest.raises(TypeError):
        network_grid((2, 2, 2), **_ARGS)


# --- the activation factors -------------------------------------------------------

@FEW
@given(networks(max_width=4))
def test_each_hidden_units_factor_is_the_oracles_mean_over_the_samples(case):
    spec, params, X, Y, _ = case
    got = network_factors(spec, params, X, Y)
    want = _oracle_factors(spec, params, X, Y)
    assert tuple(got) == factor_ids(spec) == tuple(want)
    for factor_id, value in want.items():
        assert got[factor_id] == pytest.approx(value, rel=1e-11, abs=1e-14), factor_id


def test_factor_ids_per_unit_layer_1_first_and_the_chains_for_the_reference():
    assert factor_ids(Spec()) == FACTORS
    assert factor_ids(_spec((2, 3, 1, 2), ("tanh", "linear"))) == (
        "dh1/dz1[1]", "dh1/dz1[2]", "dh1/dz1[3]", "dh2/dz2[1]")
    assert factor_ids(_spec((3, 2), ())) == ()
    # A linear layer's constant factor is each of its units'.
    spec = _spec((2, 3, 2, 1), ("linear", "relu"))
    params = _params(spec, np.random.default_rng(0))
    got = network_factors(spec, params, [[0.5, -1.0], [1.0, 2.0]], [[0.0], [1.0]])
    assert [got[f"dh1/dz1[{i}]"] for i in (1, 2, 3)] == [1.0, 1.0, 1.0]


def _network_timeline(spec, steps=15, seed=3):
    rng = np.random.default_rng(seed)
    params = _params(spec, rng, 0.8)
    X, Y = rng.uniform(-1, 1, (4, spec.layers[0])), rng.uniform(-1, 1, (4, spec.layers[-1]))
    timeline = Timeline(NetworkTrainer(spec, params, X, Y, 0.3))
    timeline.run(steps)
    return timeline


def test_the_factor_cache_gives_each_units_factor_over_a_networks_states():
    spec = _spec((2, 3, 2, 1), ("tanh", "sigmoid"))
    timeline = _network_timeline(spec)
    cache = FactorCache()
    steps = [0, 4, 9, 15]
    got = cache(timeline, steps)
    assert tuple(got) == factor_ids(spec)
    trainer = timeline.trainer
    for k, step in enumerate(steps):
        params = {p: np.asarray(v) for p, v in timeline.locate(step)[0].params(step).items()}
        want = _oracle_factors(spec, params, trainer.x, trainer.y)
        for factor_id, value in want.items():
            assert got[factor_id][k] == pytest.approx(value, rel=1e-11)
        assert factors_at(timeline, step) == pytest.approx(tuple(want.values()), rel=1e-11)
    assert len({float(got["dh1/dz1[2]"][k]) for k in range(4)}) == 4   # the states differ
    assert cache.evaluated == 4
    cache(timeline, steps[::-1])
    assert cache.evaluated == 4


def test_the_chains_factor_cache_keeps_its_two_factors():
    timeline = Timeline(Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 0.01))
    timeline.run(5)
    got = FactorCache()(timeline, [0, 3, 5])
    assert tuple(got) == FACTORS and all(got[f].shape == (3,) for f in FACTORS)
    h1 = math.tanh(EXAMPLE["W1"] * EXAMPLE_X + EXAMPLE["b1"])
    assert got["dh1/dz1"][0] == pytest.approx(1 - h1 ** 2, rel=1e-12)


# --- the comparison of two activations -------------------------------------------------

@FEW
@given(networks(), st.sampled_from(HIDDEN), st.sampled_from(HIDDEN))
def test_every_gradient_element_and_unit_factor_against_the_oracle(case, a, b):
    spec, params, X, Y, _ = case
    spec_a, spec_b = all_hidden(spec, a), all_hidden(spec, b)
    rows = compare(params, X, Y, 0.1, spec_a, spec_b)
    assert rows == network_rows(params, X, Y, 0.1, spec_a, spec_b)
    by_id = {row.id: row for row in rows}
    for which, side in ((spec_a, "a"), (spec_b, "b")):
        _, grads = oracle.batch_gradients(_pairs(which, params), X, Y, list(which.hidden_activations),
                                          which.output_activation, which.loss, which.leak)
        for l, (dW, db) in enumerate(grads, 1):
            for (i, j), value in np.ndenumerate(dW):
                assert getattr(by_id[f"dL/dW{l}[{i + 1},{j + 1}]"], side) == \
                    pytest.approx(value, rel=1e-9, abs=1e-12)
            for i, value in enumerate(db):
                assert getattr(by_id[f"dL/db{l}[{i + 1}]"], side) == pytest.approx(value, rel=1e-9, abs=1e-12)
        for factor_id, value in _oracle_factors(which, params, X, Y).items():
            assert getattr(by_id[factor_id], side) == pytest.approx(value, rel=1e-11, abs=1e-14)
    # Gradients parameter by parameter, then the factors from the top hidden layer down.
    grads = [r.id for r in rows if r.id.startswith("dL/")]
    assert grads == [f"dL/d{e}" for e in parameter_elements(spec)]
    factors = [r.id for r in rows if r.id.startswith("dh")]
    assert factors == sorted(factor_ids(spec), key=lambda f: -int(f[2]))
    assert len(rows) == len(grads) + len(factors)


def test_mazurs_network_against_tanh_hidden_units():
    rows = {r.id: r for r in compare(MAZUR, [0.05, 0.10], [0.01, 0.99], 0.5, MAZUR_SPEC,
                                     all_hidden(MAZUR_SPEC, "tanh"))}
    assert rows["dL/dW2[1,1]"].a == pytest.approx(0.082167041, abs=5e-10)
    assert rows["dL/dW1[1,1]"].a == pytest.approx(0.000438568, abs=5e-10)
    assert rows["dL/dW2[1,1]"].symbol == "∂L/∂W₂[1,1]"
    h1 = 0.593269992   # Mazur's out_h1: the sigmoid's factor is h(1 − h)
    assert rows["dh1/dz1[1]"].a == pytest.approx(h1 * (1 - h1), abs=1e-9)
    z1 = 0.15 * 0.05 + 0.20 * 0.10 + 0.35
    assert rows["dh1/dz1[1]"].b == pytest.approx(1 - math.tanh(z1) ** 2, rel=1e-12)


def test_all_hidden_sets_every_hidden_layer_it_has_and_only_those():
    spec = _spec((2, 3, 3, 3, 1), ("tanh", "sigmoid", "relu"), output="sigmoid")
    relu = all_hidden(spec, "leaky_relu")
    assert relu.hidden_activations == ("leaky_relu",) * 3 and relu.output_activation == "sigmoid"
    assert relu.activation4 == spec.activation4
    assert all_hidden(Spec(), "relu") == both_layers(Spec(), "relu")
    assert all_hidden(_spec((2, 2), ()), "relu") == _spec((2, 2), ())


def test_the_chains_comparison_is_unchanged_and_shapes_must_match():
    params = dict(EXAMPLE)
    rows = compare(params, [2.0], [4.0], 0.01, Spec(), both_layers(Spec(), "relu"))
    assert [r.id for r in rows] == ["dL/dW1", "dL/db1", "dL/dW2", "dL/db2", "dL/dW3", "dL/db3",
                                    "dh2/dz2", "dh1/dz1"]
    assert isinstance(rows[0], Row)
    with pytest.raises(InputError) as refused:
        compare(MAZUR, [0.05, 0.10], [0.01, 0.99], 0.5, MAZUR_SPEC, _spec((2, 3, 2), ("tanh",)))
    assert "2-2-2" in str(refused.value) and "2-3-2" in str(refused.value)


# --- saturation per unit --------------------------------------------------------

@FEW
@given(networks(max_width=4), st.sampled_from((SATURATED_BELOW, 0.2)))
def test_the_saturated_units_are_those_whose_oracle_factor_is_below_the_threshold(case, threshold):
    spec, params, X, Y, rng = case
    params = {p: v * 3.0 for p, v in params.items()}   # big weights: some units saturate
    derivation = network.derive(spec, params, X, Y, 0.1)
    found = saturated_units(derivation, threshold)
    want = _oracle_factors(spec, params, X, Y)
    units = hidden_units(spec)
    assert list(units) == [f"h{f[2]}[{f.split('[')[1]}" for f in want]
    flagged = {}
    for unit, factor_id in units.items():
        layer = unit_layer(unit)
        value = want[f"dh{layer}/dz{layer}[{unit.split('[')[1]}"]
        assert derivation.value(factor_id) == pytest.approx(value, rel=1e-11, abs=1e-14)
        if abs(value) < threshold and spec.activation(layer) != "linear":
            flagged[unit] = value
    assert list(found) == [u for u in units if u in flagged]    # layer 1 first, unit by unit
    for unit, value in flagged.items():
        assert found[unit] == pytest.approx(value, rel=1e-11, abs=1e-14)


def test_a_saturated_sigmoid_unit_and_a_dead_relu_unit_are_named():
    spec = _spec((2, 3, 2, 1), ("sigmoid", "relu"))
    params = {"W1": [[5, 6], [0.1, 0.2], [-3, -9]], "b1": [1, 0, 0], "W2": [[1, 1, 1], [-1, -1, -1]],
              "b2": [0, 0], "W3": [[1, 1]], "b3": [0]}
    found = saturated_units(network.derive(spec, params, [1, 1], [0], 0.1))
    s = 1 / (1 + math.exp(-12))
    assert found == {"h1[1]": pytest.approx(s * (1 - s), rel=1e-9), "h1[3]": pytest.approx(s * (1 - s), rel=1e-9),
                     "h2[2]": 0.0}
    assert unit_layer("h2[2]") == 2 and unit_layer("h1") == 1


def test_the_chains_saturated_units_are_unchanged():
    assert hidden_units(Spec()) == UNIT_FACTORS
    params = dict(EXAMPLE, W1=8.0)    # tanh(8·2 + 0.1): saturated
    derivation = Trainer(params, EXAMPLE_X, EXAMPLE_Y, 0.01).derivation(0)
    found = saturated_units(derivation)
    assert list(found) == ["h1"] and found["h1"] == derivation.value("dh1/dz1")
    assert hidden_units(_spec((2, 2, 2), ("linear",))) == {"h1[1]": "dh1/dz1", "h1[2]": "dh1/dz1"}
