"""The loss landscape against losses computed by hand, and its orientation."""

import math

import numpy as np
import pytest

from engine import Spec, landscape
from engine.derivation import evaluate
from engine.landscape import grid
from engine.limits import InputError
from engine_handcalc import EXAMPLE, EXAMPLE_X, EXAMPLE_Y, PARAMS, batch_loss, loss

def _points(size):
    """Corners, a centre and off-diagonal pairs (i, j) of a size × size grid."""
    last = size - 1
    return [(0, 0), (0, last), (last, 0), (last, last), (size // 3, 2 * size // 3),
            (2 * size // 3, size // 3), (size // 2, 1)]


def _at(params, p1, v1, p2, v2):
    return dict(params, **{p1: float(v1), p2: float(v2)})


def test_single_sample_against_the_hand_calculation():
    v1, v2, L = grid(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, "W1", "W2", (-3, 3), (-2, 4), size=20)
    assert v1.shape == v2.shape == (20,) and L.shape == (20, 20)
    assert np.array_equal(v1, np.linspace(-3, 3, 20))
    assert np.array_equal(v2, np.linspace(-2, 4, 20))
    for i, j in _points(20):
        expected = loss(_at(EXAMPLE, "W1", v1[j], "W2", v2[i]), EXAMPLE_X, EXAMPLE_Y)
        assert L[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_orientation_p1_along_columns_p2_along_rows():
    # W3 and b3 enter ŷ = W3·h2 + b3 very differently: a transposed grid cannot pass.
    v1, v2, L = grid(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, "W3", "b3", (-5, 5), (0, 10), size=21)
    for i, j in _points(21):
        right = loss(_at(EXAMPLE, "W3", v1[j], "b3", v2[i]), EXAMPLE_X, EXAMPLE_Y)
        wrong = loss(_at(EXAMPLE, "W3", v1[i], "b3", v2[j]), EXAMPLE_X, EXAMPLE_Y)
        assert L[i, j] == pytest.approx(right, rel=1e-12)
        if i != j:
            assert L[i, j] != pytest.approx(wrong, rel=1e-6)
    # Along a row only p1 (W3) changes; along a column only p2 (b3).
    h2 = math.tanh(EXAMPLE["W2"] * math.tanh(EXAMPLE["W1"] * EXAMPLE_X + EXAMPLE["b1"])
                   + EXAMPLE["b2"])
    row = 4
    assert np.allclose(L[row], (v1 * h2 + v2[row] - EXAMPLE_Y) ** 2, rtol=1e-12)
    column = 15
    assert np.allclose(L[:, column], (v1[column] * h2 + v2 - EXAMPLE_Y) ** 2, rtol=1e-12)


def test_swapping_the_parameters_transposes_the_grid():
    a1, a2, La = grid(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, "b1", "W2", (-1, 2), (-3, 1), size=15)
    b1, b2, Lb = grid(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, "W2", "b1", (-3, 1), (-1, 2), size=15)
    assert np.array_equal(a1, b2) and np.array_equal(a2, b1)
    assert np.allclose(La, Lb.T, rtol=1e-13)
    assert not np.allclose(La, Lb, rtol=1e-3)


def test_batch_loss_is_the_mean_over_samples():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-2, 2, 9), rng.uniform(-1, 3, 9)
    v1, v2, L = grid(EXAMPLE, x, y, "b2", "W1", (-2, 2), (-1.5, 1.5), size=12)
    for i, j in _points(12):
        expected = batch_loss(_at(EXAMPLE, "b2", v1[j], "W1", v2[i]), x, y)
        assert L[i, j] == pytest.approx(expected, rel=1e-12)
    singles = [grid(EXAMPLE, xs, ys, "b2", "W1", (-2, 2), (-1.5, 1.5), size=12)[2]
               for xs, ys in zip(x, y)]
    assert np.allclose(L, np.mean(singles, axis=0), rtol=1e-12)
    assert not np.allclose(L, np.sum(singles, axis=0), rtol=1e-3)


def test_samples_in_many_blocks_give_the_same_mean(monkeypatch):
    x, y = np.linspace(-3, 3, 25), np.sin(np.linspace(-3, 3, 25))
    one = grid(EXAMPLE, x, y, "W1", "b3", (-2, 2), (-2, 2), size=10)[2]
    monkeypatch.setattr(landscape, "BLOCK_ELEMENTS", 10 * 10 * 4)   # blocks of 4 samples: 4·6 + 1
    blocks = grid(EXAMPLE, x, y, "W1", "b3", (-2, 2), (-2, 2), size=10)[2]
    assert np.allclose(one, blocks, rtol=1e-12)


def test_the_grid_is_one_vectorized_call_per_block(monkeypatch):
    calls = []
    real = landscape._network_loss

    def counting(spec):
        function = real(spec)

        def wrapped(*args):
            calls.append(args)
            return function(*args)
        return wrapped
    monkeypatch.setattr(landscape, "_network_loss", counting)
    grid(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, "W1", "W2", (-1, 1), (-1, 1), size=200)
    assert len(calls) == 1
    # (p2's rows, p1's columns, the parameter's own rows and columns)
    assert np.shape(calls[0][PARAMS.index("W1")]) == (1, 200, 1, 1)
    assert np.shape(calls[0][PARAMS.index("W2")]) == (200, 1, 1, 1)


def test_other_parameters_stay_at_params_and_agree_with_the_engine():
    params = dict(EXAMPLE, b1=-0.4, W3=-0.9)
    v1, v2, L = grid(params, [0.5, 2.0], [1.0, -1.0], "W2", "b3", (-2, 2), (-1, 1), size=9)
    for i, j in _points(9):
        values = evaluate(_at(params, "W2", v1[j], "b3", v2[i]), [0.5, 2.0], [1.0, -1.0], 0.01)
        assert L[i, j] == pytest.approx(values["L"], rel=1e-12)
    # p1 and p2 in params are ignored: the grid sets them.
    again = grid(dict(params, W2=123.0, b3=-45.0), [0.5, 2.0], [1.0, -1.0], "W2", "b3",
                 (-2, 2), (-1, 1), size=9)[2]
    assert np.array_equal(L, again)


def _by_hand(spec, p, x, y):
    """The loss of one sample for another spec, written out here."""
    act = {"tanh": math.tanh, "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
           "relu": lambda z: max(z, 0.0), "linear": lambda z: z,
           "leaky_relu": lambda z: z if z > 0 else spec.leak * z}
    h1 = act[spec.activation1](p["W1"] * x + p["b1"])
    h2 = act[spec.activation2](p["W2"] * h1 + p["b2"])
    e = p["W3"] * h2 + p["b3"] - y
    return 0.5 * e * e if spec.loss == "half-squared" else e * e


@pytest.mark.parametrize("spec", [Spec("relu", "sigmoid"), Spec("leaky_relu", "linear", leak=0.2),
                                  Spec("sigmoid", "tanh", loss="half-squared"),
                                  Spec("linear", "relu", loss="half-squared")])
def test_any_spec(spec):
    x, y = [-1.5, 0.5, 2.0], [0.3, -0.7, 1.1]
    v1, v2, L = grid(EXAMPLE, x, y, "W1", "b2", (-3, 3), (-2, 2), size=16, spec=spec)
    for i, j in _points(16):
        p = _at(EXAMPLE, "W1", v1[j], "b2", v2[i])
        expected = math.fsum(_by_hand(spec, p, a, b) for a, b in zip(x, y)) / 3
        assert L[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-300)
        assert L[i, j] == pytest.approx(evaluate(p, x, y, 0.01, spec)["L"], rel=1e-12)
    # The reference's grid differs.
    assert not np.allclose(L, grid(EXAMPLE, x, y, "W1", "b2", (-3, 3), (-2, 2), size=16)[2])


def test_the_loss_is_generated_from_the_lines_of_the_derivation():
    from engine import network
    source = network.source_of(Spec("relu", "tanh")).split("def loss(")[1]
    assert "relu(z1)" in source and "tanh(z2)" in source and "err ** 2" in source


def test_the_minimum_of_a_two_bias_grid_is_where_training_heads():
    # Only b3 matters for the optimum of (W3 = 0): L = (b3 − y)², minimum at b3 = y.
    params = dict(EXAMPLE, W3=0.0)
    v1, v2, L = grid(params, EXAMPLE_X, EXAMPLE_Y, "b2", "b3", (-1, 1), (0, 8), size=81)
    i, j = np.unravel_index(np.argmin(L), L.shape)
    assert v2[i] == pytest.approx(EXAMPLE_Y)
    assert np.ptp(L[i]) == 0.0     # b2 has no effect with W3 = 0


@pytest.mark.parametrize("kwargs", [
    dict(p1="W1", p2="W1"), dict(p1="w1"), dict(p2="alpha"),
    dict(range1=(2, 1)), dict(range1=(1, 1)), dict(range2=(-2000, 0)), dict(range1=(0, math.inf)),
    dict(range1=3), dict(size=1), dict(size=2001), dict(size=20.0),
])
def test_bad_arguments_are_refused(kwargs):
    args = dict(params=EXAMPLE, x=EXAMPLE_X, y=EXAMPLE_Y, p1="W1", p2="W2", range1=(-1, 1),
                range2=(-1, 1), size=10)
    args.update(kwargs)
    with pytest.raises(InputError):
        grid(**args)


def test_bad_samples_are_refused():
    for x, y in (([], []), ([1.0, 2.0], [1.0]), ([math.nan], [0.0])):
        with pytest.raises(InputError):
            grid(EXAMPLE, x, y, "W1", "W2", (-1, 1), (-1, 1), size=5)


def test_an_axis_rises_to_its_end_even_among_subnormals():
    # Found by the property test: linspace's step among subnormals rounds up, so its sixth
    # value of (0, 4.4e-323) was 4.9e-323, past the end the seventh is set to.
    values1, values2, _ = grid({p: 0.0 for p in PARAMS}, 0.05, -1e-197, "W1", "b1", (0.0, 1.0),
                               (0.0, 4.4e-323), size=7)
    assert values2[0] == 0.0 and values2[-1] == 4.4e-323
    assert (np.diff(values2) >= 0).all() and (np.diff(values1) > 0).all()
