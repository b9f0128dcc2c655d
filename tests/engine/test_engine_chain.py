"""The whole chain behind a gradient: its factors, its path on the diagram,
its text, and the factor that shrinks it most."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import Spec, terms_for
from engine.chain import chain_of, chain_text, chains, shrinking_factor
from engine_handcalc import EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, PARAMS, forward, gradients

# The chain of ∂L/∂W₁ as the reference writes it (the links equal to 1 left out).
W1_FACTORS = ("dL/dyhat", "dz3/dh2", "dh2/dz2", "dz2/dh1", "dh1/dz1", "dz1/dW1")


def _derive(p=EXAMPLE, x=EXAMPLE_X, y=EXAMPLE_Y, spec=Spec()):
    return engine.derive(p, np.array([x]), np.array([y]), EXAMPLE_ALPHA, spec)


def hand_factors(p, x, y):
    """The six factors of ∂L/∂W₁ by hand: 2(ŷ − y), W₃, 1 − h₂², W₂, 1 − h₁², x."""
    _, h1, _, h2, yhat = forward(p, x)
    return [2.0 * (yhat - y), p["W3"], 1.0 - h2 * h2, p["W2"], 1.0 - h1 * h1, x]


def test_the_chain_of_w1_is_every_link_from_the_loss_back():
    chain = chains(terms_for(Spec()))["dL/dW1"]
    assert chain.factors == W1_FACTORS
    assert chain.elements == ("L", "yhat", "W3", "h2", "W2", "h1", "W1", "x")


def test_each_gradient_runs_from_the_loss_to_its_parameter():
    table = chains(terms_for(Spec()))
    for p in PARAMS:
        chain = table[f"dL/d{p}"]
        assert chain.elements[0] == "L" and chain.elements[-1] in (p, "x")
        assert p in chain.elements
        assert chain.factors[0] == "dL/dyhat"
    assert "x" not in table["dL/db1"].elements              # a bias reads no input
    assert table["dL/db1"].factors == W1_FACTORS[:-1]       # ∂z₁/∂b₁ = 1 adds nothing
    assert table["dL/dh2"].elements[-1] == "h2"
    assert "dL/dyhat" not in table                          # a single link: no chain to show


def test_the_factors_are_the_hand_calculated_ones_and_multiply_to_the_gradient():
    derivation = _derive()
    values = [derivation.value(f) for f in chain_of(derivation, "dL/dW1").factors]
    by_hand = hand_factors(EXAMPLE, EXAMPLE_X, EXAMPLE_Y)
    assert values == pytest.approx(by_hand, rel=1e-12)
    assert math.prod(by_hand) == pytest.approx(gradients(EXAMPLE, EXAMPLE_X, EXAMPLE_Y)["dL/dW1"], rel=1e-12)
    assert math.prod(values) == pytest.approx(derivation.value("dL/dW1"), rel=1e-12)


SPECS = [Spec(), Spec("sigmoid", "relu"), Spec("leaky_relu", "linear", leak=0.2),
         Spec(loss="half-squared"), Spec("linear", "sigmoid", loss="half-squared")]
unit = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(p=st.fixed_dictionaries({p: unit for p in PARAMS}), x=unit, y=unit,
       spec=st.sampled_from(SPECS))
def test_every_chain_multiplies_to_its_term(p, x, y, spec):
    derivation = _derive(p, x, y, spec)
    for gradient_id, chain in chains(terms_for(spec)).items():
        product = math.prod(derivation.value(f) for f in chain.factors)
        assert math.isclose(product, derivation.value(gradient_id), rel_tol=1e-12, abs_tol=0), gradient_id


def test_the_chain_follows_the_spec():
    linear = chains(terms_for(Spec("linear", "linear")))["dL/dW1"]
    assert linear.factors == ("dL/dyhat", "dz3/dh2", "dz2/dh1", "dz1/dW1")   # slopes of 1 left out
    text = chain_text(_derive(spec=Spec("sigmoid", "relu")), "dL/dW1")
    assert text.startswith("∂L/∂W₁ = ∂L/∂ŷ × W₃ × [z₂ > 0] × W₂ × h₁(1 − h₁) × x = ")
    assert "tanh" not in text and "h₂²" not in text


def _shrinker_of(text):
    found = re.search(r"the factor that shrinks it most is (.+?) = (\S+) \(", text)
    return found.group(1), float(found.group(2).replace("−", "-"))


def test_the_text_shows_the_product_and_names_the_factor_that_shrinks_it_most():
    derivation = _derive()
    text = chain_text(derivation, "dL/dW1")
    assert text.startswith("∂L/∂W₁ = ∂L/∂ŷ × W₃ × (1 − h₂²) × W₂ × (1 − h₁²) × x = ")
    by_hand = hand_factors(EXAMPLE, EXAMPLE_X, EXAMPLE_Y)
    numbers = text.split(" = ")[2].split(" × ")
    assert [float(n.strip("()").replace("−", "-")) for n in numbers] == pytest.approx(by_hand, rel=1e-4)
    # the smallest factor by hand: 1 − h₁² ≈ 0.359 (x = 2, W₂ = 0.8 and 1 − h₂² ≈ 0.83 are larger)
    smallest = min(range(6), key=lambda i: abs(by_hand[i]))
    assert smallest == 4
    name, value = _shrinker_of(text)
    assert name == "1 − h₁²" and value == pytest.approx(by_hand[4], rel=1e-4)
    assert "36 %" in text


def test_a_small_weight_is_named_when_it_shrinks_most():
    p = dict(EXAMPLE, W2=0.05)
    derivation = _derive(p)
    assert shrinking_factor(derivation, "dL/dW1") == "dz2/dh1"
    assert _shrinker_of(chain_text(derivation, "dL/dW1")) == ("W₂", 0.05)


def test_no_factor_is_named_when_none_shrinks():
    # Linear layers and weights above 1: every factor of ∂L/∂h₁ is at least 1 in size.
    p = dict(EXAMPLE, W2=3.0, W3=2.0)
    derivation = _derive(p, spec=Spec("linear", "linear"))
    assert all(abs(derivation.value(f)) >= 1 for f in chain_of(derivation, "dL/dh1").factors)
    assert shrinking_factor(derivation, "dL/dh1") is None
    assert "no factor shrinks it" in chain_text(derivation, "dL/dh1")


def test_a_batch_says_the_numbers_are_means():
    derivation = engine.derive(EXAMPLE, np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 4.0]), 0.01)
    text = chain_text(derivation, "dL/dW1")
    assert "the mean over the 3 samples of" in text and "on average" in text
