"""Each preset says what it can teach: ŷ(x) of this network is monotone, so the sine
and the square cannot be fitted, and their descriptions say so."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Spec, evaluate
from engine.dataset import PRESET_TEXT, PRESETS, preset
from engine.terms import ACTIVATIONS

XS = np.linspace(-3.0, 3.0, 301)


def _monotone(values, tolerance):
    steps = np.diff(values)
    return bool((steps >= -tolerance).all() or (steps <= tolerance).all())


def test_every_preset_has_a_description():
    assert set(PRESET_TEXT) == set(PRESETS)
    assert all(isinstance(t, str) and len(t) > 40 for t in PRESET_TEXT.values())


@pytest.mark.parametrize("name", ["sine", "square"])
def test_the_presets_that_are_not_monotone_say_they_cannot_be_fitted(name):
    x, y = preset(name)
    assert not _monotone(y, 0.0)       # the data itself rises and falls
    text = PRESET_TEXT[name]
    assert "cannot fit" in text and "monotone" in text and "try" in text.lower()


@pytest.mark.parametrize("name", ["reference", "noisy line"])
def test_the_others_do_not_say_so(name):
    assert "cannot fit" not in PRESET_TEXT[name]
    assert "Try" in PRESET_TEXT[name] or "try" in PRESET_TEXT[name]


parameter = st.floats(-5.0, 5.0, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(a1=st.sampled_from(ACTIVATIONS), a2=st.sampled_from(ACTIVATIONS),
       p=st.fixed_dictionaries({q: parameter for q in ("W1", "b1", "W2", "b2", "W3", "b3")}))
def test_yhat_is_monotone_in_x_for_any_parameters(a1, a2, p):
    # The claim the descriptions make, on the engine's own network.
    yhat = np.asarray(evaluate(p, XS, np.zeros_like(XS), 0.01, Spec(a1, a2))["yhat"], dtype=float)
    yhat = np.broadcast_to(yhat, XS.shape)
    assert _monotone(yhat, 1e-12 * (1.0 + np.abs(yhat).max()))


def test_so_the_sine_cannot_be_fitted_closely():
    # A monotone curve misses sin x on [−3, 3] by a mean square that no parameters remove:
    # the best monotone fit (isotonic regression, pooled by hand below) leaves a floor.
    x, y = preset("sine")
    best = min(_isotonic_error(y), _isotonic_error(-y))
    assert best > 0.04   # about 0.049 over the 50 samples


def _isotonic_error(y):
    """Mean squared error of the best non-decreasing fit (pool adjacent violators)."""
    blocks = []   # [sum, count]
    for v in y:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    fit = np.concatenate([[s / c] * c for s, c in blocks])
    return float(np.mean((fit - y) ** 2))
