"""Initialization: Xavier, He and zeros, and why zeros fails."""

import math

import numpy as np
import pytest

from engine import Spec, Trainer, init
from engine.init import STD, ZEROS_EXPLANATION, initialize, random_seed
from engine.limits import LIMITS, PARAMS, InputError

WEIGHTS = ("W1", "W2", "W3")
BIASES = ("b1", "b2", "b3")


def test_standard_deviations_follow_the_reference_formulas():
    assert init.xavier_std(1, 1) == 1.0 == STD["xavier"]          # √(2/(1 + 1))
    assert init.he_std(1) == math.sqrt(2.0) == STD["he"]          # √(2/1)
    assert init.xavier_std(3, 5) == pytest.approx(0.5)            # √(2/8)
    assert init.he_std(8) == pytest.approx(0.5)                   # √(2/8)


@pytest.mark.parametrize("scheme", ["xavier", "he"])
def test_same_seed_same_parameters(scheme):
    a, b = initialize(scheme, 1234), initialize(scheme, 1234)
    assert a == b
    assert list(a) == list(PARAMS)
    assert all(type(v) is float for v in a.values())
    assert initialize(scheme, 1235) != a
    assert len({a[w] for w in WEIGHTS}) == 3                     # three separate draws
    assert all(a[b_] == 0.0 for b_ in BIASES)


def test_the_draw_is_default_rng_of_the_seed():
    for scheme in ("xavier", "he"):
        draws = np.random.default_rng(99).normal(0.0, STD[scheme], 3)
        assert [initialize(scheme, 99)[w] for w in WEIGHTS] == draws.tolist()


def test_xavier_and_he_differ_by_the_factor_root_two():
    for seed in (0, 1, 77):
        x, h = initialize("xavier", seed), initialize("he", seed)
        for w in WEIGHTS:
            assert h[w] == pytest.approx(math.sqrt(2.0) * x[w], rel=1e-12)


@pytest.mark.parametrize("scheme, std", [("xavier", 1.0), ("he", math.sqrt(2.0))])
def test_spread_over_many_seeds(scheme, std):
    weights = np.array([[initialize(scheme, s)[w] for w in WEIGHTS] for s in range(3000)])
    assert abs(weights.mean()) < 0.1 * std
    # 9000 draws estimate the standard deviation to about 0.75 %: 8 % is loose
    # and still tells 1 from √2 (41 % apart).
    assert weights.std() == pytest.approx(std, rel=0.08)
    for column in weights.T:                         # every layer alike
        assert column.std() == pytest.approx(std, rel=0.12)
    biases = [initialize(scheme, s)[b] for s in range(50) for b in BIASES]
    assert set(biases) == {0.0}


def test_zeros_gives_zeros_whatever_the_seed():
    for seed in (0, 1, 555):
        assert initialize("zeros", seed) == dict.fromkeys(PARAMS, 0.0)


@pytest.mark.parametrize("scheme, seed", [("glorot", 0), ("Xavier", 0), (None, 0),
                                          ("he", -1), ("he", 1.5), ("xavier", "7"),
                                          ("xavier", True)])
def test_bad_scheme_or_seed_is_refused(scheme, seed):
    with pytest.raises(InputError):
        initialize(scheme, seed)


def test_random_seed_is_a_fresh_usable_seed():
    seeds = [random_seed() for _ in range(30)]
    assert all(isinstance(s, int) and 0 <= s < init.SEED_RANGE for s in seeds)
    assert len(set(seeds)) > 1
    assert initialize("he", seeds[0]) == initialize("he", seeds[0])


def test_weights_outside_the_limits_are_clamped(monkeypatch):
    monkeypatch.setitem(init.STD, "he", 1e6)
    for seed in range(5):
        params = initialize("he", seed)
        for w in WEIGHTS:
            low, high = LIMITS[w]
            assert low <= params[w] <= high
        assert any(abs(params[w]) == LIMITS[w][1] for w in WEIGHTS)
        Trainer(params, 2.0, 4.0, 0.01)    # a valid starting state


# --- why all zeros fails ------------------------------------------------------------

def test_zero_init_first_step_moves_only_the_output_bias_with_tanh():
    trainer = Trainer(initialize("zeros", 0), 2.0, 4.0, 0.01)
    gradients = trainer.gradients(0)
    assert gradients["dL/dW1"] == gradients["dL/dW2"] == 0.0
    assert gradients["dL/db1"] == gradients["dL/db2"] == 0.0
    assert gradients["dL/dW3"] == 0.0          # h₂ = tanh(0) = 0
    assert gradients["dL/db3"] != 0.0
    trainer.step()
    after = trainer.params(1)
    for p in ("W1", "W2", "b1", "b2", "W3"):
        assert after[p] == 0.0, p
    assert after["b3"] == pytest.approx(0.01 * 2 * 4.0)


def test_zero_init_with_tanh_is_stuck_for_good_on_the_mean():
    x, y = [1.0, 2.0, 3.0], [1.0, 4.0, 5.0]
    trainer = Trainer(initialize("zeros", 0), x, y, 0.05)
    trainer.run(2000)
    final = trainer.params()
    for p in ("W1", "W2", "b1", "b2", "W3"):
        assert final[p] == 0.0, p
    assert final["b3"] == pytest.approx(np.mean(y), rel=1e-9)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "linear"])
def test_zero_init_is_stuck_with_other_activations_that_are_zero_at_zero(activation):
    trainer = Trainer(initialize("zeros", 0), [1.0, -2.0], [3.0, 1.0], 0.05,
                      spec=Spec(activation, activation))
    trainer.run(300)
    final = trainer.params()
    assert all(final[p] == 0.0 for p in ("W1", "W2", "b1", "b2", "W3"))
    assert final["b3"] != 0.0


def test_zero_init_with_sigmoid_moves_w3_first_then_the_earlier_layers():
    trainer = Trainer(initialize("zeros", 0), 2.0, 4.0, 0.01, spec=Spec("sigmoid", "sigmoid"))
    trainer.step()
    first = trainer.params(1)
    assert all(first[p] == 0.0 for p in ("W1", "W2", "b1", "b2"))
    assert first["W3"] != 0.0 and first["b3"] != 0.0
    trainer.step()
    second = trainer.params(2)
    assert second["W2"] != 0.0 and second["b2"] != 0.0       # the signal now passes W₃
    assert second["W1"] == second["b1"] == 0.0               # and reaches layer 1 a step later
    trainer.step()
    assert trainer.params(3)["W1"] != 0.0


def test_the_zeros_explanation_says_what_the_tests_check():
    text = ZEROS_EXPLANATION
    for words in ("W₁ = W₂ = W₃ = 0", "∂L/∂W₁", "∂L/∂W₂", "b₃", "W₃", "tanh(0) = 0",
                  "symmetry", "identical"):
        assert words in text, words
    assert len(text) < 1200    # short
