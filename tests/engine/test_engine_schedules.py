"""Learning-rate schedules: constant α, step decay α·γ^⌊t/k⌋ and exponential
decay α·γ^t, t the update's index from 0, against loops written here by hand;
the counter t in the history, sessions and branches; and the Spec's checks."""

import io
import json
import math

import numpy as np
import pytest

import engine
from engine import InputError, Spec, Trainer, derive, row_for, session, terms_for
from engine.compiled import ROW
from engine.timeline import Timeline
from engine_handcalc import EXAMPLE, EXAMPLE_X, EXAMPLE_Y, PARAMS, gradients, update

ALPHA = 0.04


def hand_rate(schedule, t, alpha=ALPHA, gamma=0.9, k=100):
    """The rate of update t (from 0), from the definitions."""
    if schedule == "constant":
        return alpha
    if schedule == "step":
        return alpha * gamma ** (t // k)
    return alpha * gamma ** t


def _trainer(schedule, optimizer="sgd", x=EXAMPLE_X, y=EXAMPLE_Y, alpha=ALPHA, **kwargs):
    return Trainer(dict(EXAMPLE), x, y, alpha, spec=Spec(optimizer=optimizer, schedule=schedule, **kwargs))


@pytest.mark.parametrize("gamma, k", [(0.5, 1), (0.5, 3), (0.8, 4), (0.99, 7), (1.0, 2)])
def test_step_decay_rate_of_every_update(gamma, k):
    t = _trainer("step", decay=gamma, decay_every=k)
    assert t.run(20) is None
    for n in range(20):
        d = t.derivation(n)
        assert d["lr"].value == hand_rate("step", n, gamma=gamma, k=k), n
        assert t.optimizer_state(n)["t"] == n
    # The rate drops exactly at multiples of k and stays in between.
    rates = [t.derivation(n)["lr"].value for n in range(20)]
    for n in range(1, 20):
        if n % k == 0 and gamma != 1.0:
            assert rates[n] < rates[n - 1]
        else:
            assert rates[n] == rates[n - 1]


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.999, 1.0])
def test_exponential_decay_rate_of_every_update(gamma):
    t = _trainer("exp", decay=gamma)
    t.run(15)
    for n in range(15):
        assert t.derivation(n)["lr"].value == ALPHA * gamma ** n
    assert t.derivation(0)["lr"].value == ALPHA     # update 0 uses α itself


@pytest.mark.parametrize("schedule, kwargs", [
    ("constant", {}), ("step", {"decay": 0.6, "decay_every": 4}), ("exp", {"decay": 0.93}),
])
def test_gradient_descent_with_a_schedule_follows_a_hand_written_loop(schedule, kwargs):
    steps = 30
    t = _trainer(schedule, **kwargs)
    assert t.run(steps) is None
    gamma, k = kwargs.get("decay", 0.9), kwargs.get("decay_every", 100)
    p = dict(EXAMPLE)
    for n in range(steps + 1):
        got = t.params(n)
        for q in PARAMS:
            assert abs(got[q] - p[q]) <= 1e-12 * max(abs(p[q]), 1e-3), (n, q)
        p = update(p, gradients(p, EXAMPLE_X, EXAMPLE_Y), hand_rate(schedule, n, gamma=gamma, k=k))


@pytest.mark.parametrize("schedule", ["step", "exp"])
def test_one_scheduled_update_by_hand_from_every_recorded_state(schedule):
    """θ′ = θ − αₜ·g with the recorded gradient: exactly."""
    t = _trainer(schedule, decay=0.7, decay_every=3, x=[0.5, -1.0, 2.0], y=[1.0, 0.0, 3.0])
    t.run(15)
    for n in range(15):
        rate = hand_rate(schedule, n, gamma=0.7, k=3)
        g = t.gradients(n)
        after = t.params(n + 1)
        for p in PARAMS:
            assert after[p] == t.params(n)[p] - rate * g[f"dL/d{p}"]


def test_a_schedule_actually_slows_training():
    """With γ < 1 the later steps are smaller than at a constant rate: the
    schedule reaches the compiled loop, not only the derivation."""
    constant, decayed = _trainer("constant"), _trainer("exp", decay=0.5)
    constant.run(10)
    decayed.run(10)
    assert constant.params(1) == decayed.params(1)          # update 0: α·γ⁰ = α
    assert constant.params(2) != decayed.params(2)
    late = abs(decayed.params(10)["W3"] - decayed.params(9)["W3"])
    assert late < abs(constant.params(10)["W3"] - constant.params(9)["W3"]) / 100


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_the_schedule_scales_every_optimizer(optimizer):
    """With γ = 1 a schedule is the constant rate: the same states bit for bit
    (the counter t aside); with γ < 1 they differ."""
    plain = _trainer("constant", optimizer)
    flat = _trainer("step", optimizer, decay=1.0, decay_every=2)
    steep = _trainer("step", optimizer, decay=0.5, decay_every=2)
    for t in (plain, flat, steep):
        t.run(8)
    width = len(plain.row)
    assert flat.history.rows()[:, :width].tobytes() == plain.history.rows().tobytes()
    assert steep.params(2) == plain.params(2) and steep.params(3) != plain.params(3)


def test_the_counter_is_recorded_and_replays():
    t = _trainer("step", "adam", decay=0.5, decay_every=2)
    t.run(9)
    assert t.history.column("t").tolist() == list(range(10))
    for n in range(9):
        d = t.derivation(n)
        assert d["t_next"].value == n + 1 == t.optimizer_state(n + 1)["t"]
        assert d["lr"].value == ALPHA * 0.5 ** (n // 2)


def test_a_branch_carries_the_counter_on():
    """A trainer started from state k with its state (t = k) continues the
    schedule where it was; one started afresh starts it again at α."""
    original = _trainer("step", decay=0.5, decay_every=2)
    original.run(12)
    branch = Trainer(original.params(7), EXAMPLE_X, EXAMPLE_Y, ALPHA, spec=original.spec,
                     state=original.optimizer_state(7))
    branch.run(5)
    assert branch.history.rows().tobytes() == original.history.rows(7).tobytes()
    fresh = Trainer(original.params(7), EXAMPLE_X, EXAMPLE_Y, ALPHA, spec=original.spec)
    assert fresh.derivation(0)["lr"].value == ALPHA
    assert branch.derivation(0)["lr"].value == ALPHA * 0.5 ** 3


def test_the_counter_is_a_column_only_where_something_reads_it():
    assert row_for(Spec()) == ROW
    assert row_for(Spec(schedule="exp")) == ROW + ("t",)
    assert row_for(Spec(optimizer="momentum", schedule="step"))[-1] == "t"
    ids = {t.id for t in terms_for(Spec(schedule="constant", optimizer="momentum"))}
    assert "t_next" not in ids and "lr" not in ids


def test_a_scheduled_session_round_trips():
    line = Timeline(_trainer("exp", "momentum", decay=0.8))
    line.run(6)
    line.branch(4, _trainer("step", decay=0.5, decay_every=3, x=[1.0, 2.0], y=[0.0, 1.0]))
    line.run(7)
    stream = io.StringIO()
    session.dump(stream, line, 3, {})
    document = json.loads(stream.getvalue())
    assert document["segments"][1]["spec"]["schedule"] == "step"
    assert list(document["segments"][1]["start"]) == list(ROW[:6]) + ["t"]
    loaded = session.load(io.StringIO(stream.getvalue())).timeline
    assert loaded.rows().tobytes() == line.rows().tobytes()
    assert [s.trainer.spec for s in loaded.segments] == [s.trainer.spec for s in line.segments]
    line.run(10)
    loaded.run(10)
    assert loaded.trainer.history.rows().tobytes() == line.trainer.history.rows().tobytes()
    assert loaded.trainer.derivation(-1)["lr"].value == ALPHA * 0.5 ** ((7 + 10 - 1) // 3)


def test_derive_reads_the_counter_given():
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, 0.1, Spec(schedule="step", decay=0.5, decay_every=10),
               state={"t": 25})
    assert d["lr"].value == 0.1 * 0.25 and d["lr"].substitution == "0.1 × 0.5^⌊25 / 10⌋"
    assert d["W1_next"].value == EXAMPLE["W1"] - 0.025 * d["dL/dW1"].value


# --- the Spec's checks -------------------------------------------------------------

@pytest.mark.parametrize("kwargs, field", [
    ({"optimizer": "nadam"}, "optimizer"), ({"optimizer": None}, "optimizer"),
    ({"optimizer": ["adam"]}, "optimizer"),
    ({"schedule": "cosine"}, "schedule"), ({"schedule": None}, "schedule"),
    ({"clip": "both"}, "clip"), ({"clip": 1.0}, "clip"), ({"clip": ""}, "clip"),
    ({"momentum": 1.0}, "momentum"), ({"momentum": -0.1}, "momentum"), ({"momentum": "0.9"}, "momentum"),
    ({"rho": 1.0}, "rho"), ({"rho": float("nan")}, "rho"),
    ({"beta1": 1.0}, "beta1"), ({"beta1": True}, "beta1"),
    ({"beta2": 1.5}, "beta2"), ({"beta2": None}, "beta2"),
    ({"eps": 0.0}, "eps"), ({"eps": -1e-8}, "eps"), ({"eps": float("inf")}, "eps"),
    ({"decay": 0.0}, "decay"), ({"decay": 1.01}, "decay"), ({"decay": -0.5}, "decay"),
    ({"decay_every": 0}, "decay_every"), ({"decay_every": 2.5}, "decay_every"),
    ({"decay_every": True}, "decay_every"), ({"decay_every": "3"}, "decay_every"),
    ({"decay_every": 10 ** 12}, "decay_every"),
    ({"clip_c": 0.0}, "clip_c"), ({"clip_c": -1.0}, "clip_c"), ({"clip_c": 1e300}, "clip_c"),
    ({"clip_c": [1.0]}, "clip_c"),
])
def test_a_bad_update_field_is_refused_naming_it(kwargs, field):
    with pytest.raises(InputError) as caught:
        Spec(**kwargs)
    assert caught.value.name == field


def test_the_update_fields_and_their_defaults():
    spec = Spec()
    assert (spec.optimizer, spec.momentum, spec.rho, spec.beta1, spec.beta2, spec.eps) == \
        ("sgd", 0.9, 0.9, 0.9, 0.999, 1e-8)
    assert (spec.schedule, spec.clip) == ("constant", None)
    edge = Spec(momentum=0, beta1=0.0, decay=1, decay_every=4.0, clip="norm", clip_c=2)
    assert isinstance(edge.momentum, float) and edge.decay == 1.0
    assert edge.decay_every == 4 and isinstance(edge.decay_every, int)
    assert hash(edge) == hash(Spec(momentum=0.0, beta1=0.0, decay=1.0, decay_every=4, clip="norm",
                                   clip_c=2.0))
    assert Spec().update_is_default() and not Spec(momentum=0.5).update_is_default()


def test_a_spec_of_beta1_zero_is_rmsprop_like_and_finite():
    """β₁ = 0 is allowed: m̂ is the gradient itself at every step."""
    t = _trainer("constant", "adam", beta1=0.0)
    t.run(5)
    for n in range(5):
        d = t.derivation(n)
        for p in PARAMS:
            assert d[f"mhat_{p}"].value == d[f"dL/d{p}"].value
    assert np.isfinite(t.history.rows()).all()


def test_the_engine_exports_the_choices():
    assert engine.OPTIMIZERS == ("sgd", "momentum", "rmsprop", "adam")
    assert engine.SCHEDULES == ("constant", "step", "exp")
    assert engine.CLIPS == (None, "value", "norm")
    assert math.isclose(Spec(schedule="exp").decay, 0.9)
