"""The network oracle (tests/engine/network_oracle.py) is right.

The engine's tests for networks of any shape (issue 13) compare the engine
against that oracle, so the oracle itself is checked here against things that
owe nothing to it: Mazur's published figures, central differences, the scalar
chain rule by hand, the closed forms of engine_handcalc and a vectorised
forward pass written in this file.  Nothing here imports the engine.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine_handcalc
from network_oracle import (HIDDEN_ACTIVATIONS, LOSS_KINDS, MAZUR, OUTPUT_ACTIVATIONS,
                            batch_gradients, batch_loss, forward, gradients, loss,
                            numerical_gradients, sgd_step, widths)

PROPERTY = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def mazur_args():
    return MAZUR["activations"], MAZUR["output_activation"], MAZUR["loss_kind"]


def half_unit(published):
    """Half a unit in the last digit of a figure as printed, e.g. '0.298371109'."""
    decimals = len(published.split(".")[1])
    return 0.5 * 10.0 ** -decimals


def assert_published(value, published):
    assert abs(float(value) - float(published)) <= half_unit(published), (value, published)


# ---------------------------------------------------------------- Mazur
def test_mazur_published_figures():
    g = gradients(MAZUR["params"], MAZUR["x"], MAZUR["y"], *mazur_args())
    assert widths(MAZUR["params"]) == list(MAZUR["layers"])
    assert_published(g["L"], "0.298371109")                # E_total
    assert_published(g["h1"][0], "0.593269992")            # out_h1
    assert_published(g["yhat"][0], "0.75136507")           # out_o1
    assert_published(g["dL/dW2"][0, 0], "0.082167041")     # ∂E/∂w5
    assert_published(g["dL/dW1"][0, 0], "0.000438568")     # ∂E/∂w1

    _, grads = batch_gradients(MAZUR["params"], [MAZUR["x"]], [MAZUR["y"]], *mazur_args())
    stepped = sgd_step(MAZUR["params"], grads, MAZUR["alpha"])
    assert_published(stepped[1][0][0, 0], "0.35891648")    # w5 after the update


def test_mazur_other_published_figures():
    """The rest of the walk-through's figures: the second units and every
    weight after the update (weights only there; the biases do not enter)."""
    g = gradients(MAZUR["params"], MAZUR["x"], MAZUR["y"], *mazur_args())
    assert_published(g["h1"][1], "0.596884378")            # out_h2
    assert_published(g["yhat"][1], "0.772928465")          # out_o2
    assert_published(g["dL/dyhat"][0], "0.74136507")       # ∂E_total/∂out_o1
    assert_published(g["dyhat/dz2"][0], "0.186815602")     # ∂out_o1/∂net_o1
    assert_published(g["dL/dh1"][0], "0.036350306")        # ∂E_total/∂out_h1

    _, grads = batch_gradients(MAZUR["params"], [MAZUR["x"]], [MAZUR["y"]], *mazur_args())
    (W1, _), (W2, _) = sgd_step(MAZUR["params"], grads, MAZUR["alpha"])
    published_W1 = [["0.149780716", "0.19956143"], ["0.24975114", "0.29950229"]]
    published_W2 = [["0.35891648", "0.408666186"], ["0.511301270", "0.561370121"]]
    for W, published in ((W1, published_W1), (W2, published_W2)):
        for i in range(2):
            for j in range(2):
                assert_published(W[i, j], published[i][j])


def test_mazur_is_read_only():
    W1 = MAZUR["params"][0][0]
    with pytest.raises(ValueError):
        W1[0, 0] = 1.0
    assert W1[0, 0] == 0.15


# ---------------------------------------------------------------- the reference chain
CHAIN = [(np.array([[0.5]]), np.array([0.1])),
         (np.array([[0.8]]), np.array([-0.2])),
         (np.array([[1.2]]), np.array([0.3]))]


def test_chain_dL_dz2_by_the_scalar_chain_rule():
    x, y = 2.0, 4.0
    z1 = 0.5 * x + 0.1
    h1 = math.tanh(z1)
    z2 = 0.8 * h1 + (-0.2)
    h2 = math.tanh(z2)
    yhat = 1.2 * h2 + 0.3
    # ∂L/∂z₂ = ∂L/∂ŷ × ∂ŷ/∂h₂ × ∂h₂/∂z₂ = 2(ŷ − y) × W₃ × (1 − h₂²)
    by_hand = 2.0 * (yhat - y) * 1.2 * (1.0 - h2 * h2)
    assert round(by_hand, 4) == -6.3703      # the rounded figure: the hand formula is the right one

    g = gradients(CHAIN, [x], [y], ["tanh", "tanh"], "linear", "squared")
    assert g["dL/dz2"].shape == (1,)
    assert math.isclose(float(g["dL/dz2"][0]), by_hand, rel_tol=1e-14)
    assert math.isclose(float(g["z2"][0]), z2, rel_tol=1e-15)
    assert math.isclose(float(g["yhat"][0]), yhat, rel_tol=1e-15)


def test_chain_agrees_with_the_reference_closed_forms():
    """engine_handcalc's six closed forms (written from the reference's
    'Complete Gradient Summary') and the oracle's recursion agree."""
    p = engine_handcalc.EXAMPLE
    params = [(np.array([[p["W1"]]]), np.array([p["b1"]])),
              (np.array([[p["W2"]]]), np.array([p["b2"]])),
              (np.array([[p["W3"]]]), np.array([p["b3"]]))]
    x, y = engine_handcalc.EXAMPLE_X, engine_handcalc.EXAMPLE_Y
    g = gradients(params, [x], [y], ["tanh", "tanh"], "linear", "squared")
    closed = engine_handcalc.gradients(p, x, y)
    for name in engine_handcalc.PARAMS:
        key = f"dL/d{name}"
        value = g[key][0, 0] if name.startswith("W") else g[key][0]
        assert math.isclose(float(value), closed[key], rel_tol=1e-13), key
    assert math.isclose(float(g["L"]), engine_handcalc.loss(p, x, y), rel_tol=1e-14)


def test_keys_and_shapes_of_a_2_3_1_network():
    params = [(np.full((3, 2), 0.1), np.zeros(3)), (np.full((1, 3), 0.2), np.zeros(1))]
    g = gradients(params, [1.0, -1.0], [0.5], ["relu"], "linear", "half-squared")
    assert set(g) == {"z1", "h1", "dh1/dz1", "z2", "yhat", "dyhat/dz2", "err", "L", "dL/dyhat",
                      "dL/dz2", "dL/dW2", "dL/db2", "dL/dh1", "dL/dz1", "dL/dW1", "dL/db1"}
    assert g["dL/dW1"].shape == (3, 2) and g["dL/dW2"].shape == (1, 3)
    assert g["dL/dh1"].shape == (3,) and g["yhat"].shape == (1,) and g["L"].shape == ()


# ---------------------------------------------------------------- random shapes
@st.composite
def networks(draw, smooth=False):
    layers = draw(st.lists(st.integers(1, 8), min_size=2, max_size=6))
    hidden_choices = ("tanh", "sigmoid", "linear") if smooth else HIDDEN_ACTIVATIONS
    activations = [draw(st.sampled_from(hidden_choices)) for _ in layers[2:]]
    output = draw(st.sampled_from(OUTPUT_ACTIVATIONS))
    kind = draw(st.sampled_from(LOSS_KINDS))
    leak = draw(st.sampled_from([0.01, 0.1, 0.3]))
    n = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    params = [(rng.uniform(-1.0, 1.0, (above, below)), rng.uniform(-0.5, 0.5, above))
              for below, above in zip(layers[:-1], layers[1:])]
    X = rng.uniform(-2.0, 2.0, (n, layers[0]))
    Y = rng.uniform(-1.0, 1.0, (n, layers[-1]))
    return layers, params, X, Y, activations, output, kind, leak


def smallest_z(params, X, activations, output, leak):
    return min(float(np.min(np.abs(z))) for x in X
               for z in forward(params, x, activations, output, leak)[0][1:])


def assert_close_to_differences(params, X, Y, activations, output, kind, leak):
    _, analytic = batch_gradients(params, X, Y, activations, output, kind, leak)
    numeric = numerical_gradients(params, X, Y, activations, output, kind, leak)
    for l, ((dW, db), (nW, nb)) in enumerate(zip(analytic, numeric), start=1):
        for name, a, n in ((f"dL/dW{l}", dW, nW), (f"dL/db{l}", db, nb)):
            assert a.shape == n.shape, name
            np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-8, err_msg=name)


@PROPERTY
@given(networks())
def test_gradients_agree_with_central_differences(network):
    layers, params, X, Y, activations, output, kind, leak = network
    # h = 1e-6 moves a z by far less than 1e-3: no relu kink is crossed
    assume(smallest_z(params, X, activations, output, leak) > 1e-3)
    assert_close_to_differences(params, X, Y, activations, output, kind, leak)


@PROPERTY
@given(networks(smooth=True))
def test_smooth_networks_agree_with_central_differences(network):
    layers, params, X, Y, activations, output, kind, leak = network
    assert_close_to_differences(params, X, Y, activations, output, kind, leak)


VECTOR = {"tanh": np.tanh, "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
          "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}


@PROPERTY
@given(networks())
def test_forward_agrees_with_matrix_products(network):
    """The element loops give what W @ h + b and numpy's functions give."""
    layers, params, X, Y, activations, output, kind, leak = network
    functions = dict(VECTOR, leaky_relu=lambda z: np.where(z > 0.0, z, leak * z))
    for x, y in zip(X, Y):
        zs, hs = forward(params, x, activations, output, leak)
        assert len(zs) == len(hs) == len(layers)
        assert zs[0] is None and np.array_equal(hs[0], x)
        h = x
        for l, ((W, b), name) in enumerate(zip(params, activations + [output]), start=1):
            z = W @ h + b
            h = functions[name](z)
            np.testing.assert_allclose(zs[l], z, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(hs[l], h, rtol=1e-12, atol=1e-14)
        e = h - y
        expected = float(e @ e) * (0.5 if kind == "half-squared" else 1.0)
        assert math.isclose(loss(hs[-1], y, kind), expected, rel_tol=1e-12, abs_tol=1e-300)


@PROPERTY
@given(networks())
def test_batch_is_the_mean_of_the_samples(network):
    layers, params, X, Y, activations, output, kind, leak = network
    total, grads = batch_gradients(params, X, Y, activations, output, kind, leak)
    singles = [gradients(params, x, y, activations, output, kind, leak) for x, y in zip(X, Y)]
    assert math.isclose(total, batch_loss(params, X, Y, activations, output, kind, leak),
                        rel_tol=1e-15)
    assert math.isclose(total, sum(float(g["L"]) for g in singles) / len(singles),
                        rel_tol=1e-12, abs_tol=1e-300)
    for l, (dW, db) in enumerate(grads, start=1):
        np.testing.assert_allclose(dW, np.mean([g[f"dL/dW{l}"] for g in singles], axis=0),
                                   rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(db, np.mean([g[f"dL/db{l}"] for g in singles], axis=0),
                                   rtol=1e-12, atol=1e-300)
    # the same sample twice is that sample
    twice, grads2 = batch_gradients(params, [X[0], X[0]], [Y[0], Y[0]], activations, output,
                                    kind, leak)
    assert twice == float(singles[0]["L"])
    for l, (dW, db) in enumerate(grads2, start=1):
        assert np.array_equal(dW, singles[0][f"dL/dW{l}"])
        assert np.array_equal(db, singles[0][f"dL/db{l}"])


def test_half_squared_is_half_of_squared():
    rng = np.random.default_rng(1)
    params = [(rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 3)),
              (rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, 2))]
    x, y = [0.3, -0.7], [0.2, 0.9]
    full = gradients(params, x, y, ["tanh"], "linear", "squared")
    half = gradients(params, x, y, ["tanh"], "linear", "half-squared")
    for key in full:
        if key == "L" or key.startswith("dL/"):
            np.testing.assert_array_equal(half[key], 0.5 * full[key], err_msg=key)
        else:
            np.testing.assert_array_equal(half[key], full[key], err_msg=key)


def test_sgd_step_moves_every_element_and_leaves_params_alone():
    params = [(np.array([[1.0, 2.0]]), np.array([3.0]))]
    grads = [(np.array([[0.5, -1.0]]), np.array([2.0]))]
    (W, b), = sgd_step(params, grads, 0.1)
    np.testing.assert_array_equal(W, [[0.95, 2.1]])
    np.testing.assert_array_equal(b, [2.8])
    np.testing.assert_array_equal(params[0][0], [[1.0, 2.0]])


def test_relu_kinks_follow_the_engine_convention():
    """relu'(0) = 0 and leaky_relu'(0) = leak, as the engine's step functions."""
    params = [(np.array([[1.0]]), np.array([0.0])), (np.array([[1.0]]), np.array([0.0]))]
    relu = gradients(params, [0.0], [1.0], ["relu"], "linear", "squared")
    leaky = gradients(params, [0.0], [1.0], ["leaky_relu"], "linear", "squared", leak=0.2)
    assert relu["dh1/dz1"][0] == 0.0 and relu["dL/dW2"][0, 0] == 0.0
    assert leaky["dh1/dz1"][0] == 0.2
    assert leaky["dL/dz1"][0] == 0.2 * leaky["dL/dh1"][0]
