"""Divergence at every optimizer, schedule and clipping.

Training stops at the first non-finite value, the Divergence says where (the
step, the quantity and its symbol), the states before it are kept, finite and
equal to the same training done by hand, and training further does nothing.

RMSprop's and Adam's steps are bounded by the optimizer (about α per update,
α/√(1 − ρ) at most), so a large α does not make them diverge.  Two ways do,
within the accepted ranges: a tiny ε (the range is (0, 1]) with a gradient
whose square underflows to 0, so that the step is α·g/ε, astronomically
large; and, with the parameters thrown that far, the square of the next
gradient overflows the second moment.  Clipped plain gradient descent cannot
diverge at all (:func:`test_clipped_gradient_descent_cannot_diverge`), nor can
clipped momentum from a standing start; clipped momentum diverges from a
given velocity.

The hand computations are those of tests/engine/test_engine_properties.py:
the forward and backward pass and the optimizers written out from the
definitions, in Python floats.
"""

import math

import numpy as np
import pytest

from engine import Spec, Trainer
from test_engine_properties import (GRADIENTS, PARAMS, assert_clean_divergence, float_terms, hand_batch,
                                    hand_update, state_names)

SCHEDULES = {"constant": {}, "step": dict(schedule="step", decay=0.5, decay_every=1),
             "exp": dict(schedule="exp", decay=0.5)}
LINEAR = dict(activation1="linear", activation2="linear")
ONES = {"W1": 1.0, "b1": 1.0, "W2": 1.0, "b2": 1.0, "W3": 1.0, "b3": 1.0}
# W₂ tiny: the gradient of W₁ and b₁ is about 10⁻¹⁶³, its square underflows to 0, and with
# ε = 5·10⁻³²⁴ (the smallest float64, within (0, 1]) the first update throws W₁ and b₁ to ±4·10¹⁵⁷.
TINY_W2 = {"W1": 0.0, "b1": 0.0, "W2": 1e-163, "b2": 0.0, "W3": 1.0, "b3": 0.0}
UNDERFLOW = {"rmsprop": dict(optimizer="rmsprop", rho=0.0, eps=5e-324),
             "adam": dict(optimizer="adam", beta1=0.0, beta2=0.0, eps=5e-324)}


class Case:
    def __init__(self, params, x, y, alpha, spec, state=None, batch_size=None, shuffle_seed=None):
        self.params, self.alpha, self.spec, self.state = dict(params), alpha, Spec(**spec), state
        self.x, self.y = x, y
        self.xs, self.ys = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, y))
        self.batch_size, self.shuffle_seed = batch_size, shuffle_seed

    def trainer(self):
        return Trainer(dict(self.params), self.x, self.y, self.alpha, spec=self.spec, state=self.state,
                       batch_size=self.batch_size, shuffle_seed=self.shuffle_seed)

    def batch(self, k):
        index = hand_batch(len(self.xs), self.batch_size, k, self.shuffle_seed)
        return self.xs[index], self.ys[index]

    def values(self, params, k):
        """Every value of the state ``params`` on the batch of update ``k``, by hand."""
        return {name: f.v for name, f in float_terms(params, *self.batch(k), self.spec)[0].items()}


def _finite(values):
    return all(math.isfinite(v) for v in values)


def hand_run(case, steps):
    """Training by hand.  Returns the kept states [(parameters, optimizer
    state, values)] and, where a value is not finite, (the step of the
    rejected state, the update from the last kept state with its look-ahead
    yhat_next and L_next, the forward pass of the new parameters on that
    update's samples, the rejected state's own values on the samples of its
    update); else None."""
    params = dict(case.params)
    state = {name: (case.state or {}).get(name, 0.0) for name in state_names(case.spec)}
    here, kept = case.values(params, 0), []
    for k in range(steps):
        kept.append((params, state, here))
        update, params, state = hand_update(params, here, state, case.spec, case.alpha)
        look = case.values(params, k)
        update.update(yhat_next=look["yhat"], L_next=look["L"])
        here = case.values(params, k + 1)
        if not (_finite(update.values()) and _finite(look.values()) and _finite(here.values())):
            return kept, (k + 1, update, look, here)
    return kept, None


def _row(trainer, k):
    return dict(zip(trainer.row, trainer.history.row(k).tolist()))


def _same(a, b):
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def check(case, step, quantity, inputs, steps=50):
    """Train ``case``: it diverges at ``step`` naming ``quantity``, which is
    not finite by hand while the ``inputs`` it is computed from are; every
    kept state is the hand's."""
    trainer = case.trainer()
    divergence = trainer.run(steps)
    kept, failure = hand_run(case, steps)
    assert failure is not None and failure[0] == step, failure and failure[0]
    assert_clean_divergence(trainer, divergence, steps)
    assert (divergence.step, divergence.quantity) == (step, quantity), divergence
    _, update, look, here = failure
    # Where the hand computation failed: in the update from the last kept state (whose
    # values it reads), or in the rejected state's own values (on the update's samples:
    # the look-ahead; or on those of its own update).
    if quantity in update:
        way = {**kept[-1][2], **update}
    else:
        way = look if not math.isfinite(look[quantity]) else here
    assert not math.isfinite(way[quantity]) and _finite(way[n] for n in inputs), \
        {n: way.get(n) for n in (quantity, *inputs)}
    # The engine's own table agrees where the update from the last kept state failed.
    update = [t for t in trainer.derivation(-1) if t.layer == "update" and not math.isfinite(t.value)]
    if update:
        assert update[0].id == quantity and (update[0].value == divergence.value
                                             or math.isnan(update[0].value) and math.isnan(divergence.value))
    # The last finite state is kept: as many states as the hand's, each the hand's.
    assert len(trainer) == len(kept) == step
    for k, (params, state, values) in enumerate(kept):
        row = _row(trainer, k)
        for name in PARAMS:
            assert _same(row[name], params[name]), (k, name)
        for name in state_names(case.spec):
            assert _same(row[name], state[name]), (k, name)
        for name in ("L",) + GRADIENTS:
            assert _same(row[name], values[name]), (k, name, row[name], values[name])
    # The same again after going back: the divergence is a property of the states.
    trainer.truncate(1)
    assert trainer.run(steps) == divergence and len(trainer) == step
    return trainer, divergence


# --- every optimizer, every schedule, every clipping -------------------------------------

@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_gradient_descent_and_momentum_diverge_through_the_forward_pass(optimizer, schedule):
    # Linear layers, x = 1000: the loss grows from 10⁶ to 10⁴³ to 10²³² and the next
    # parameters, each finite, make ŷ overflow.
    case = Case(ONES, 1000.0, 0.0, 1.0, dict(LINEAR, optimizer=optimizer, **SCHEDULES[schedule]))
    check(case, 3, "yhat_next", [f"{p}_next" for p in PARAMS])


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("clip, step, quantity, inputs", [
    # By value: the velocity carries W₁ to −8·10¹⁵³, where L = 6·10³⁰⁷ is still finite
    # but ∂L/∂W₃ = 2(ŷ − y)·h₂ ≈ 2L is not.
    ("value", 2, "dL/dW3", ["dL/db3", "h2"]),
    # By norm: the same state; each partial derivative is finite, their norm is not.
    # (Before the fix the norm's infinity scaled the gradient to 0 and training went on.)
    ("norm", 2, "grad_norm", list(GRADIENTS)),
])
def test_clipped_momentum_diverges_from_a_given_velocity(clip, step, quantity, inputs, schedule):
    spec = dict(LINEAR, optimizer="momentum", momentum=0.5, clip=clip, clip_c=1.0, **SCHEDULES[schedule])
    case = Case({**ONES, "b1": 0.0, "b2": 0.0, "b3": 0.0}, 1.0, 0.0, 1e-3, spec, state={"v_W1": 1.6e157})
    check(case, step, quantity, inputs)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("optimizer, quantity", [("rmsprop", "s_W2_next"), ("adam", "v_W2_next")])
def test_rmsprop_and_adam_diverge_in_the_second_moment(optimizer, quantity, schedule):
    # Update 1 throws W₁ and b₁ to 4·10¹⁵⁷ (h₁ with them); then ∂L/∂W₂ = … · h₁ ≈ 10¹⁵⁷
    # is finite and its square, the second moment's new term, is not.
    case = Case(TINY_W2, 1.0, 1.0, 1e-3, dict(UNDERFLOW[optimizer], activation1="linear",
                                               activation2="tanh", **SCHEDULES[schedule]))
    trainer, _ = check(case, 2, quantity, ["dL/dW2"])
    assert abs(trainer.params(1)["W1"]) > 1e157


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("clip", ["value", "norm"])
@pytest.mark.parametrize("optimizer", ["rmsprop", "adam"])
def test_clipped_rmsprop_and_adam_diverge_through_the_forward_pass(optimizer, clip, schedule):
    # Clipping keeps the squares finite; with a linear second layer, update 2 moves W₂ by
    # about α = 10⁻³ and z₂ = W₂·h₁ ≈ 10¹⁵⁴ makes L′ overflow.
    case = Case(TINY_W2, 1.0, 1.0, 1e-3, dict(UNDERFLOW[optimizer], **LINEAR, clip=clip, clip_c=1.0,
                                               **SCHEDULES[schedule]))
    check(case, 2, "L_next", ["yhat_next"])


def test_a_dead_relu_network_diverges_through_its_output_bias():
    # α = 100 kills both ReLU layers in one update; then only b₃ learns, and b₃ ← b₃ −
    # 200(b₃ − y) multiplies its distance to y by −199 each update until L′ overflows
    # (about 64 updates from 10⁶ to 10¹⁵⁴).
    case = Case({"W1": 2.0, "b1": 1.0, "W2": 2.0, "b2": 1.0, "W3": 2.0, "b3": 1.0}, 1000.0, -1000.0, 100.0,
                dict(activation1="relu", activation2="relu"))
    trainer = case.trainer()
    steps = 400
    divergence = trainer.run(steps)
    _, failure = hand_run(case, steps)
    assert failure is not None and divergence.step == failure[0] > 50
    check(case, failure[0], "L_next", ["yhat_next"], steps=steps)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("batch_size, seed", [(1, None), (2, 7)])
def test_divergence_on_mini_batches(optimizer, batch_size, seed):
    spec = dict(LINEAR, optimizer=optimizer)
    if optimizer in UNDERFLOW:
        spec = dict(UNDERFLOW[optimizer], **LINEAR)
        case = Case(TINY_W2, [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], 1e-3, spec, batch_size=batch_size,
                    shuffle_seed=seed)
    else:
        case = Case(ONES, [1000.0, -500.0, 800.0], [0.0, 1.0, 2.0], 1.0, spec, batch_size=batch_size,
                    shuffle_seed=seed)
    trainer = case.trainer()
    divergence = trainer.run(50)
    _, failure = hand_run(case, 50)
    assert failure is not None and divergence is not None
    check(case, failure[0], divergence.quantity, [])


# --- non-finite values the row does not show ------------------------------------------------

def test_a_hidden_overflow_under_tanh_stops_training():
    # A given velocity throws W₁ to −10³⁰⁶; z₁ = W₁·x overflows, but tanh(z₁) = −1 and the
    # loss and the gradient stay finite.  The new state is not kept (before the fix it was,
    # with z₁ = −inf in its derivation).
    case = Case({"W1": 0.5, "b1": 0.1, "W2": 0.8, "b2": -0.2, "W3": 1.2, "b3": 0.3}, 1000.0, 4.0, 1.0,
                dict(optimizer="momentum", momentum=0.5), state={"v_W1": 2e306})
    trainer, divergence = check(case, 1, "z1", [])
    assert divergence.value == -math.inf and divergence.symbol == "z₁"


def test_a_mini_batch_look_ahead_that_overflows_stops_training():
    # One sample a batch: x = 0, then x = 1000.  A given velocity carries W₁ to 1.1·10¹⁴⁵
    # (clipping by value keeps every other step small), so that on x = 1000 the state's
    # ŷ = 10⁹·W₁ = 1.1·10¹⁵⁴ has a finite loss, and update 1 (on that sample) moves W₁ by
    # half as much again: its look-ahead ŷ′ = 1.65·10¹⁵⁴ is finite and L′ is not.  The new
    # state is finite on its own batch, x = 0, where W₁ does not count: before the fix it
    # was kept, with L′ = inf in the derivation of the state before it.
    case = Case({"W1": 1.0, "b1": 0.0, "W2": 1000.0, "b2": 0.0, "W3": 1000.0, "b3": 0.0},
                [0.0, 1000.0], [0.0, 0.0], 1e-3,
                dict(LINEAR, optimizer="momentum", momentum=0.5, clip="value", clip_c=1.0),
                state={"v_W1": -2.2e148}, batch_size=1)
    _, failure = hand_run(case, 50)
    assert _finite(failure[3].values())      # the rejected state itself is finite
    check(case, 2, "L_next", ["yhat_next"])


# --- what cannot diverge -----------------------------------------------------------------

def _loss_bound(reach):
    """The largest loss any state with every |parameter| <= ``reach`` can have for
    |x|, |y| <= 1000, whatever the activations (each is at most |z| in size, or 1):
    |z₁| <= 1000·B + B, |z₂| <= B·|z₁| + B, |ŷ| <= B·|z₂| + B, L <= (|ŷ| + 1000)²."""
    z1 = 1000.0 * reach + reach
    z2 = reach * max(z1, 1.0) + reach
    yhat = reach * max(z2, 1.0) + reach
    return (yhat + 1000.0) ** 2


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
@pytest.mark.parametrize("clip", ["value", "norm"])
def test_clipped_gradient_descent_cannot_diverge(optimizer, clip):
    """Clipped, an update of plain gradient descent moves every parameter by at
    most α·c (by value; by norm the whole step is at most α·c long), and momentum
    from a standing start by at most α·c·k at update k.  With α <= 100 and
    c <= 10⁶ no parameter leaves [−B, B], B = 1000 + 10⁸·k (momentum: 10⁸·k²),
    and the loss stays below the bound of :func:`_loss_bound`, which is finite
    for k = 10⁴⁰ updates: more than any run can make.  Shown here at the
    extremes of every range, over 2000 updates."""
    alpha, c, steps = 100.0, 1e6, 2000
    assert math.isfinite(_loss_bound(1000.0 + alpha * c * 1e40))
    assert math.isfinite(_loss_bound(1000.0 + alpha * c * 1e20 ** 2))
    assert not math.isfinite(_loss_bound(1e103))      # the bound is not vacuous
    for sign in (1.0, -1.0):
        params = {p: sign * (1000.0 if p.startswith("W") else -1000.0) for p in PARAMS}
        trainer = Trainer(params, [1000.0, -1000.0], [-1000.0, 1000.0], alpha,
                          spec=Spec(**LINEAR, optimizer=optimizer, momentum=0.999, clip=clip, clip_c=c))
        assert trainer.run(steps) is None and len(trainer) == steps + 1
        rows = trainer.history.rows()
        assert np.isfinite(rows).all()
        moves = np.abs(np.diff(rows[:, :len(PARAMS)], axis=0))
        k = np.arange(1, steps + 1, dtype=float)
        reach = alpha * c * (k if optimizer == "momentum" else np.ones(steps)) * (1 + 1e-12)
        if clip == "value":
            assert (moves <= reach[:, None]).all()
        else:
            assert (np.sqrt((moves ** 2).sum(axis=1)) <= reach).all()
        assert (rows[:, 6] <= [_loss_bound(1000.0 + alpha * c * (j * j if optimizer == "momentum" else j))
                               for j in range(steps + 1)]).all()


def test_a_timeline_names_a_divergence_by_its_own_states():
    """A run from a state set by hand at step k: the segment counts from 0,
    the line (and the window's slider) from k."""
    from engine import DEFAULTS, Trainer
    from engine.timeline import Timeline

    def trainer(alpha):
        values = dict(DEFAULTS, alpha=alpha)
        return Trainer({p: values[p] for p in ("W1", "b1", "W2", "b2", "W3", "b3")},
                       values["x"], values["y"], alpha)
    line = Timeline(trainer(0.01))
    line.run(3)                       # states 0 … 3
    line.branch(3, trainer(50.0))     # state 3 starts a segment that diverges
    line.run(10_000)
    divergence = line.divergence
    assert divergence is not None
    assert divergence.step == len(line)              # the state it would have made: one past the last
    assert line.trainer.divergence.step == len(line) - 3
    assert f"step {len(line) - 1:,}, is kept" in divergence.message
