"""engine.factors: the activation factors ∂h/∂z over a timeline's states,
checked against a hand calculation from the states' parameters."""

import math

import numpy as np
import pytest

from engine import DEFAULT_SPEC, DEFAULTS, PARAMS, Spec, Trainer
from engine.factors import FACTORS, FactorCache, factors_at
from engine.timeline import Timeline


def _timeline(x=DEFAULTS["x"], y=DEFAULTS["y"], spec=DEFAULT_SPEC, steps=40, **params):
    start = dict({p: DEFAULTS[p] for p in PARAMS}, **params)
    timeline = Timeline(Trainer(start, x, y, DEFAULTS["alpha"], spec=spec))
    timeline.run(steps)
    return timeline


def _hidden(p, x):
    """(z1, z2) of one sample, by hand, with tanh on the first layer."""
    z1 = p["W1"] * x + p["b1"]
    h1 = math.tanh(z1)
    return z1, h1, p["W2"] * h1 + p["b2"]


def test_factors_are_one_minus_h_squared_for_tanh():
    timeline = _timeline(steps=60)
    steps = [0, 1, 7, 30, 60]
    got = FactorCache()(timeline, steps)
    for i, step in enumerate(steps):
        p = timeline.params(step)
        _, h1, z2 = _hidden(p, DEFAULTS["x"])
        assert got["dh1/dz1"][i] == pytest.approx(1 - h1 ** 2, rel=1e-12, abs=1e-15)
        assert got["dh2/dz2"][i] == pytest.approx(1 - math.tanh(z2) ** 2, rel=1e-12, abs=1e-15)
    # The states differ, so the factors do: a wrong index would show.
    assert len(set(got["dh1/dz1"].tolist())) == len(steps)
    assert set(got) == set(FACTORS) == {"dh1/dz1", "dh2/dz2"}


def test_factors_follow_the_order_of_the_steps_asked():
    timeline = _timeline(steps=20)
    forward = FactorCache()(timeline, [3, 10, 17])
    backward = FactorCache()(timeline, [17, 10, 3])
    for f in FACTORS:
        np.testing.assert_array_equal(forward[f], backward[f][::-1])


def test_relu_factors_are_one_or_zero_by_the_sign_of_z():
    spec = Spec(activation1="relu", activation2="relu")
    # z1 = 0.5·2 + 0.1 > 0 and z2 = −0.8·h1 − 0.2 < 0: one unit passes, one is dead.
    timeline = _timeline(spec=spec, steps=30, W2=-0.8)
    steps = list(range(len(timeline)))
    got = FactorCache()(timeline, steps)
    seen = set()
    for i, step in enumerate(steps):
        p = timeline.params(step)
        z1 = p["W1"] * DEFAULTS["x"] + p["b1"]
        h1 = max(z1, 0.0)
        z2 = p["W2"] * h1 + p["b2"]
        assert z1 != 0 and z2 != 0
        assert got["dh1/dz1"][i] == (1.0 if z1 > 0 else 0.0)
        assert got["dh2/dz2"][i] == (1.0 if z2 > 0 else 0.0)
        seen.update((got["dh1/dz1"][i], got["dh2/dz2"][i]))
    assert seen == {0.0, 1.0}


def test_a_batch_gives_the_mean_over_the_samples():
    xs, ys = [2.0, -1.0, 0.5, -3.0], [4.0, 0.0, 1.0, -2.0]
    timeline = _timeline(x=xs, y=ys, steps=25)
    steps = [0, 12, 25]
    got = FactorCache()(timeline, steps)
    for i, step in enumerate(steps):
        p = timeline.params(step)
        per_sample = [_hidden(p, x) for x in xs]
        want1 = sum(1 - h1 ** 2 for _, h1, _ in per_sample) / len(xs)
        want2 = sum(1 - math.tanh(z2) ** 2 for _, _, z2 in per_sample) / len(xs)
        assert got["dh1/dz1"][i] == pytest.approx(want1, rel=1e-12)
        assert got["dh2/dz2"][i] == pytest.approx(want2, rel=1e-12)
        # The samples' factors differ: the mean is not the first sample's.
        assert got["dh1/dz1"][i] != pytest.approx(1 - per_sample[0][1] ** 2, rel=1e-6)


def test_each_segment_uses_its_own_network():
    timeline = _timeline(steps=10)
    relu = Spec(activation1="relu", activation2="relu")
    trainer, index = timeline.locate(5)
    timeline.branch(5, Trainer(trainer.params(index), trainer.x, trainer.y, trainer.alpha, spec=relu))
    timeline.run(5)
    got = FactorCache()(timeline, [4, 5, 8])
    assert got["dh1/dz1"][0] not in (0.0, 1.0)          # tanh
    assert set(got["dh1/dz1"][1:].tolist()) <= {0.0, 1.0}  # ReLU
    assert got["dh1/dz1"][0] == factors_at(timeline, 4)[0]


def test_the_cache_evaluates_only_new_states_until_older_ones_change():
    cache = FactorCache()
    timeline = _timeline(steps=20)
    first = cache(timeline, range(21))
    assert cache.evaluated == 21
    again = cache(timeline, range(21))
    assert cache.evaluated == 21
    for f in FACTORS:
        np.testing.assert_array_equal(first[f], again[f])
    timeline.run(10)
    cache(timeline, range(0, 31, 2))
    assert cache.evaluated == 21 + 5        # 22, 24, ..., 30
    # A hand edit at state 1 changes the states after it: a new generation.
    timeline.branch(1, Trainer(dict(timeline.params(1), W1=-2.0), DEFAULTS["x"], DEFAULTS["y"],
                               DEFAULTS["alpha"]))
    timeline.run(5)
    fresh = cache(timeline, [3])
    assert cache.evaluated == 27
    p = timeline.params(3)
    assert fresh["dh1/dz1"][0] == pytest.approx(1 - _hidden(p, DEFAULTS["x"])[1] ** 2, rel=1e-12)
