"""Optimizers (momentum, RMSprop, Adam) and gradient clipping, against update
loops written here by hand from their definitions; history replay, branching,
divergence and sessions of every optimizer.

The hand-written updates below import nothing from the engine: they are the
definitions of the task, written out with Python floats.
"""

import csv
import io
import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import InputError, Spec, Trainer, derive, row_for, session, terms_for
from engine.compiled import ROW
from engine.session import SessionError
from tests.session_format1 import format1_document, format1_text, rows_of, set_rows
from engine.timeline import Timeline
from engine_handcalc import (EXAMPLE, EXAMPLE_X, EXAMPLE_Y, GRADIENT_IDS, PARAMS, close, gradients,
                             loss)

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "exp")
CLIPS = (None, "value", "norm")
ALPHA = 0.05
BATCH_X = [-1.5, -0.2, 0.4, 1.1, 2.0]
BATCH_Y = [0.3, -0.7, 1.2, 2.5, 4.0]
# Numbers that differ from the defaults, so that a default written in by mistake shows.
HYPER = {"momentum": 0.8, "rho": 0.85, "beta1": 0.7, "beta2": 0.95, "eps": 1e-6,
         "decay": 0.7, "decay_every": 3}
CLIP_C = {"value": 1.5, "norm": 2.0}
STATE_OF = {"sgd": (), "momentum": ("v",), "rmsprop": ("s",), "adam": ("m", "v")}


# --- the definitions, by hand ------------------------------------------------------

def hand_clip(g, clip, c):
    """By value: each gradient clamped to [−c, c].  By norm: all six scaled
    by c/‖g‖ when ‖g‖ > c."""
    if clip == "value":
        return {p: max(-c, min(c, v)) for p, v in g.items()}
    if clip == "norm":
        norm = math.sqrt(math.fsum(v * v for v in g.values()))
        if norm > c:
            return {p: v * (c / norm) for p, v in g.items()}
    return dict(g)


def hand_rate(alpha, schedule, t, decay=0.0, every=1):
    """The learning rate of update t (t from 0)."""
    if schedule == "step":
        return alpha * decay ** (t // every)
    if schedule == "exp":
        return alpha * decay ** t
    return alpha


class HandOptimizer:
    """One optimizer's state and update, from the definitions."""

    def __init__(self, optimizer, schedule="constant", clip=None, clip_c=1.0, momentum=0.9, rho=0.9,
                 beta1=0.9, beta2=0.999, eps=1e-8, decay=0.9, decay_every=100, state=None):
        self.optimizer, self.schedule, self.clip, self.c = optimizer, schedule, clip, clip_c
        self.mu, self.rho, self.b1, self.b2, self.eps = momentum, rho, beta1, beta2, eps
        self.decay, self.every = decay, decay_every
        state = state or {}
        self.v = {p: state.get(f"v_{p}", 0.0) for p in PARAMS}
        self.s = {p: state.get(f"s_{p}", 0.0) for p in PARAMS}
        self.m = {p: state.get(f"m_{p}", 0.0) for p in PARAMS}
        self.t = int(state.get("t", 0))

    def step(self, params, grads):
        """The next parameters from ``params`` and the gradient ``grads`` (by id)."""
        g = hand_clip({p: grads[f"dL/d{p}"] for p in PARAMS}, self.clip, self.c)
        lr = hand_rate(self.alpha, self.schedule, self.t, self.decay, self.every)
        self.t += 1
        new = {}
        for p in PARAMS:
            if self.optimizer == "sgd":
                new[p] = params[p] - lr * g[p]
            elif self.optimizer == "momentum":
                self.v[p] = self.mu * self.v[p] + g[p]
                new[p] = params[p] - lr * self.v[p]
            elif self.optimizer == "rmsprop":
                self.s[p] = self.rho * self.s[p] + (1 - self.rho) * g[p] ** 2
                new[p] = params[p] - lr * g[p] / (math.sqrt(self.s[p]) + self.eps)
            else:
                self.m[p] = self.b1 * self.m[p] + (1 - self.b1) * g[p]
                self.v[p] = self.b2 * self.v[p] + (1 - self.b2) * g[p] ** 2
                m_hat = self.m[p] / (1 - self.b1 ** self.t)
                v_hat = self.v[p] / (1 - self.b2 ** self.t)
                new[p] = params[p] - lr * m_hat / (math.sqrt(v_hat) + self.eps)
        return new

    def state(self):
        """The state by the engine's column names (v_W1, …, t)."""
        out = {}
        for prefix in STATE_OF[self.optimizer]:
            out.update((f"{prefix}_{p}", getattr(self, prefix)[p]) for p in PARAMS)
        if self.optimizer == "adam" or self.schedule != "constant":
            out["t"] = float(self.t)
        return out


def _spec_kwargs(optimizer, schedule="constant", clip=None):
    kwargs = dict(HYPER, optimizer=optimizer, schedule=schedule)
    if clip:
        kwargs.update(clip=clip, clip_c=CLIP_C[clip])
    return kwargs


def _hand(optimizer, schedule="constant", clip=None, alpha=ALPHA, state=None):
    hand = HandOptimizer(**_spec_kwargs(optimizer, schedule, clip), state=state)
    hand.alpha = alpha
    return hand


COMBOS = list(itertools.product(OPTIMIZERS, SCHEDULES, CLIPS))


def _id(combo):
    return "-".join(str(c) for c in combo)


def _trainer(optimizer, schedule="constant", clip=None, alpha=ALPHA, x=EXAMPLE_X, y=EXAMPLE_Y,
             params=EXAMPLE, **kwargs):
    return Trainer(dict(params), x, y, alpha, spec=Spec(**_spec_kwargs(optimizer, schedule, clip)),
                   **kwargs)


def _near(a, b, rel):
    """Equal, or within ``rel`` relative (with a floor for values near 0)."""
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b), 1e-3)


# --- the update, by hand ---------------------------------------------------------

@pytest.mark.parametrize("combo", COMBOS, ids=_id)
@pytest.mark.parametrize("batch", [False, True], ids=["one sample", "batch"])
def test_one_update_by_hand_from_every_recorded_state(combo, batch):
    """From each recorded state (its parameters, gradient and optimizer
    state), the definitions give the next recorded state: exactly, but for
    clipping by norm, where the norm's last bit may differ."""
    optimizer, schedule, clip = combo
    x, y = (BATCH_X, BATCH_Y) if batch else (EXAMPLE_X, EXAMPLE_Y)
    t = _trainer(optimizer, schedule, clip, x=x, y=y)
    assert t.run(12) is None
    rel = 1e-14 if clip == "norm" else 0.0
    for k in range(12):
        hand = _hand(optimizer, schedule, clip, state=t.optimizer_state(k))
        new = hand.step(t.params(k), t.gradients(k))
        after, state = t.params(k + 1), t.optimizer_state(k + 1)
        for p in PARAMS:
            assert _near(after[p], new[p], rel), (k, p, after[p], new[p])
        assert set(state) == set(hand.state())
        for name, value in hand.state().items():
            assert _near(state[name], value, rel), (k, name, state[name], value)


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_training_follows_a_hand_written_loop(combo):
    """The whole trajectory against a loop of the definitions with the
    reference's closed-form gradients (engine_handcalc): 1e-12 relative."""
    optimizer, schedule, clip = combo
    steps = 25
    t = _trainer(optimizer, schedule, clip)
    assert t.run(steps) is None
    hand = _hand(optimizer, schedule, clip)
    p = dict(EXAMPLE)
    for k in range(steps + 1):
        got = t.params(k)
        for q in PARAMS:
            assert _near(got[q], p[q], 1e-12), (k, q, got[q], p[q])
        for name, value in hand.state().items():
            assert _near(t.optimizer_state(k)[name], value, 1e-12), (k, name)
        assert close(t.history.row(k)[ROW.index("L")], loss(p, EXAMPLE_X, EXAMPLE_Y), rel=1e-12)
        p = hand.step(p, gradients(p, EXAMPLE_X, EXAMPLE_Y))


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_optimizers_really_differ(optimizer):
    """Each optimizer's trajectory is its own: the test above cannot pass by
    every optimizer computing the same thing."""
    others = {o: _trainer(o) for o in OPTIMIZERS}
    for t in others.values():
        t.run(5)
    mine = others.pop(optimizer).params(5)
    for other in others.values():
        assert other.params(5) != mine


# --- Adam's bias correction ----------------------------------------------------------

def test_adam_bias_correction_at_t1_gives_the_gradient_itself():
    """At t = 1, m = (1 − β₁)g and m̂ = m/(1 − β₁): the gradient.  With β₁ = ½
    and β₂ = ¾ every step is exact in binary: m̂ = g and v̂ = g² bit for bit."""
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, ALPHA, Spec(optimizer="adam", beta1=0.5, beta2=0.75))
    g = gradients(EXAMPLE, EXAMPLE_X, EXAMPLE_Y)
    assert d["t_next"].value == 1.0
    for p in PARAMS:
        grad = d[f"dL/d{p}"].value
        assert close(grad, g[f"dL/d{p}"])
        assert d[f"mhat_{p}"].value == grad
        assert d[f"vhat_{p}"].value == grad * grad
        # The first step is α·g/(√g² + ε) = α·g/(|g| + ε): α against the gradient's sign.
        assert d[f"{p}_next"].value == EXAMPLE[p] - ALPHA * grad / (abs(grad) + 1e-8)
        assert close(abs(EXAMPLE[p] - d[f"{p}_next"].value), ALPHA, rel=1e-7)


def test_adam_bias_correction_at_t1_with_the_defaults():
    """With the default β₁ = 0.9, (1 − β₁)g/(1 − β₁) is g up to one rounding
    of each operation: at most one unit in the last place."""
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, ALPHA, Spec(optimizer="adam"))
    for p in PARAMS:
        grad = d[f"dL/d{p}"].value
        assert abs(d[f"mhat_{p}"].value - grad) <= math.ulp(grad)
        assert abs(d[f"vhat_{p}"].value - grad * grad) <= 2 * math.ulp(grad * grad)
        assert d[f"m_{p}_next"].value == (1 - 0.9) * grad   # m starts at 0


def test_adam_bias_correction_uses_the_recorded_counter():
    """Later on the counter of the recorded state is used: at t′ = 5,
    m̂ = m′/(1 − β₁⁵)."""
    t = _trainer("adam")
    t.run(4)
    d = t.derivation(4)
    assert t.optimizer_state(4)["t"] == 4.0 and d["t_next"].value == 5.0
    for p in PARAMS:
        assert d[f"mhat_{p}"].value == d[f"m_{p}_next"].value / (1 - HYPER["beta1"] ** 5)
        assert d[f"vhat_{p}"].value == d[f"v_{p}_next"].value / (1 - HYPER["beta2"] ** 5)


# --- clipping ----------------------------------------------------------------------

def _grads(d):
    return {p: d[f"dL/d{p}"].value for p in PARAMS}


@pytest.mark.parametrize("c", [0.5, 3.0, 11.0])
def test_clipping_by_norm_scales_all_six_by_c_over_the_norm(c):
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, ALPHA, Spec(clip="norm", clip_c=c))
    raw = _grads(d)
    norm = math.sqrt(math.fsum(v * v for v in raw.values()))
    assert norm > 11.0   # the reference's gradient is about 11.46 long: every c here clips
    assert close(d["grad_norm"].value, norm, rel=1e-15)
    clipped = {p: d[f"g_{p}"].value for p in PARAMS}
    for p in PARAMS:
        assert close(clipped[p], raw[p] * (c / norm), rel=1e-15)
        assert close(clipped[p] / raw[p], c / norm, rel=1e-15)   # one factor for all six
    assert close(math.sqrt(math.fsum(v * v for v in clipped.values())), c, rel=1e-14)
    # The update uses the clipped gradient.
    for p in PARAMS:
        assert d[f"{p}_next"].value == EXAMPLE[p] - ALPHA * clipped[p]


def test_clipping_by_norm_leaves_a_short_gradient_alone():
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, ALPHA, Spec(clip="norm", clip_c=12.0))
    for p in PARAMS:
        assert d[f"g_{p}"].value == d[f"dL/d{p}"].value
    # A zero gradient (a perfect fit) neither divides by zero nor changes.
    fit = dict(EXAMPLE, W3=0.0, b3=EXAMPLE_Y)
    d = derive(fit, EXAMPLE_X, EXAMPLE_Y, ALPHA, Spec(clip="norm", clip_c=0.5))
    assert d["grad_norm"].value == 0.0
    for p in PARAMS:
        assert d[f"g_{p}"].value == 0.0 and d[f"{p}_next"].value == fit[p]


@pytest.mark.parametrize("c", [0.5, 2.0, 6.4, 100.0])
def test_clipping_by_value_clamps_each_gradient(c):
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, ALPHA, Spec(clip="value", clip_c=c))
    raw = _grads(d)
    for p in PARAMS:
        assert d[f"g_{p}"].value == max(-c, min(c, raw[p]))
    # Some clamp and some not at c = 2: the test sees both sides.
    if c == 2.0:
        assert {d[f"g_{p}"].value == raw[p] for p in PARAMS} == {True, False}


def test_clipping_rows_show_only_when_clipping_is_on():
    for spec in (Spec(), Spec(optimizer="adam"), Spec(schedule="exp")):
        ids = {t.id for t in terms_for(spec)}
        assert not ids & {"clip_c", "grad_norm", "g_W1"}
    value = {t.id: t for t in terms_for(Spec(optimizer="momentum", clip="value"))}
    assert value["g_W1"].source == "clip(dL_dW1, clip_c)" and "grad_norm" not in value
    assert value["v_W1_next"].source == "momentum * v_W1 + g_W1"
    norm = {t.id: t for t in terms_for(Spec(clip="norm"))}
    assert "grad_norm" in norm and norm["W1_next"].source == "W1 - alpha * g_W1"


# --- the table and its texts ---------------------------------------------------------

def test_the_default_update_is_the_reference_table():
    assert terms_for(Spec(optimizer="sgd", schedule="constant", clip=None)) is engine.TERMS
    # Numbers that no part of the update uses leave the table as it is.
    unused = Spec(momentum=0.5, rho=0.5, beta1=0.5, beta2=0.5, eps=0.1, decay=0.5, decay_every=7,
                  clip_c=3.0)
    assert terms_for(unused) == engine.TERMS
    assert row_for(Spec()) == row_for(unused) == ROW == engine.compiled.ROW
    assert engine.section_titles()["update"] == "Gradient-descent update"


def test_a_spec_is_a_network_and_an_update_rule_each_checked_on_its_own():
    from engine.terms import Network, UpdateRule
    spec = Spec(activation2="relu", loss="half-squared", optimizer="adam", clip="norm", clip_c=2.0)
    assert spec.network == Network(activation2="relu", loss="half-squared")
    assert spec.update == UpdateRule(optimizer="adam", clip="norm", clip_c=2.0)
    assert not spec.update_is_default() and Spec(loss="half-squared").update_is_default()
    # Each part refuses its own bad values, naming the field, and knows nothing of the other's.
    with pytest.raises(InputError, match="momentum"):
        UpdateRule(momentum=1.0)
    with pytest.raises(InputError, match="activation"):
        Network(activation1="softmax")
    with pytest.raises(TypeError):
        Network(optimizer="adam")
    # Which numbers a choice uses: the update's numbers by its choices, leak by the network's.
    assert UpdateRule(optimizer="adam").uses("beta1") and not UpdateRule().uses("beta1")
    assert Network(activation1="leaky_relu").uses("leak") and not Network().uses("leak")
    assert Spec(activation2="leaky_relu", optimizer="rmsprop").uses("leak")


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
def test_every_table_keeps_the_sections_and_the_forward_and_backward_terms(combo):
    terms = terms_for(Spec(**_spec_kwargs(*combo)))
    reference = [t for t in engine.TERMS if t.section != "update"]
    assert [t for t in terms if t.section != "update"] == reference
    update = [t.id for t in terms if t.section == "update"]
    assert update[-2:] == ["yhat_next", "L_next"]
    assert all(f"{p}_next" in update for p in PARAMS)
    assert all(t.caption for t in terms)


@pytest.mark.parametrize("optimizer, columns", [
    ("sgd", ()),
    ("momentum", tuple(f"v_{p}" for p in PARAMS)),
    ("rmsprop", tuple(f"s_{p}" for p in PARAMS)),
    ("adam", tuple(f"m_{p}" for p in PARAMS) + tuple(f"v_{p}" for p in PARAMS) + ("t",)),
])
def test_the_row_of_each_optimizer(optimizer, columns):
    assert row_for(Spec(optimizer=optimizer)) == ROW + columns
    counter = () if "t" in columns else ("t",)
    assert row_for(Spec(optimizer=optimizer, schedule="step")) == ROW + columns + counter
    assert row_for(Spec(optimizer=optimizer, clip="norm")) == ROW + columns
    t = _trainer(optimizer)
    assert t.row == t.history.columns == ROW + columns
    assert t.history.rows().shape == (1, len(ROW) + len(columns))


def test_formulas_and_substitutions_of_the_update():
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, 0.01,
               Spec(optimizer="adam", schedule="step", decay=0.5, decay_every=10, clip="norm"),
               state={"t": 20.0, "m_W1": -0.25, "v_W1": 0.5})
    assert d["W1_next"].formula == "W₁ − αₜ × m̂_W₁ / (√v̂_W₁ + ε)"
    assert d["m_W1_next"].formula == "β₁ × m_W₁ + (1 − β₁) × g_W₁"
    assert d["m_W1_next"].substitution.startswith("0.9 × (−0.25) + (1 − 0.9) × ")
    assert d["v_W1_next"].formula == "β₂ × v_W₁ + (1 − β₂) × g_W₁²"
    assert d["mhat_W1"].formula == "m_W₁′ / (1 − β₁^t′)"
    assert d["mhat_W1"].substitution.endswith("/ (1 − 0.9^21)")
    assert d["lr"].formula == "α × γ^⌊t / k⌋" and d["lr"].substitution == "0.01 × 0.5^⌊20 / 10⌋"
    assert d["lr"].value == 0.01 * 0.25
    assert d["t_next"].formula == "t + 1" and d["t_next"].symbol == "t′"
    assert d["g_W1"].formula == "∂L/∂W₁ × min(1, c / ‖∇L‖)"
    assert d["grad_norm"].formula.startswith("√((∂L/∂W₁)² + (∂L/∂b₁)² + ")
    assert d["grad_norm"].substitution.startswith("√((−3.6611)² + (−1.8306)² + ")
    rms = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, 0.01, Spec(optimizer="rmsprop", clip="value"))
    assert rms["s_W1_next"].formula == "ρ × s_W₁ + (1 − ρ) × g_W₁²"
    assert rms["W1_next"].formula == "W₁ − α × g_W₁ / (√s_W₁′ + ε)"
    assert rms["g_W1"].formula == "min(max(∂L/∂W₁, −c), c)"
    assert rms["g_W1"].substitution == "min(max(−3.6611, −1), 1)"
    plain = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, 0.01, Spec(optimizer="rmsprop"))
    assert plain["s_W1_next"].formula == "ρ × s_W₁ + (1 − ρ) × (∂L/∂W₁)²"
    mom = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, 0.01, Spec(optimizer="momentum", schedule="exp"))
    assert mom["v_W1_next"].formula == "μ × v_W₁ + ∂L/∂W₁" and mom["momentum"].value == 0.9
    assert mom["W1_next"].formula == "W₁ − αₜ × v_W₁′" and mom["lr"].formula == "α × γ^t"
    assert engine.section_titles(Spec(optimizer="momentum", schedule="exp"))["update"] == \
        "Momentum update (exponential-decay schedule)"
    assert engine.section_titles(Spec(optimizer="adam", clip="value"))["update"] == \
        "Adam update (gradients clipped by value)"


# --- history replay, undo and branching ------------------------------------------------

def _assert_replays(t, steps):
    names = t.state_names
    for k in steps:
        d = t.derivation(k)
        after, state = t.params(k + 1), t.optimizer_state(k + 1)
        for p in PARAMS:
            assert d[f"{p}_next"].value == after[p], (k, p)
        for name in names:
            assert d[f"{name}_next"].value == state[name], (k, name)
        assert d["L_next"].value == t.history.row(k + 1)[ROW.index("L")]
        for g in GRADIENT_IDS:
            assert d[g].value == t.gradients(k)[g]


@pytest.mark.parametrize("combo", COMBOS, ids=_id)
@pytest.mark.parametrize("batch", [False, True], ids=["one sample", "batch"])
def test_history_replays_exactly(combo, batch):
    """derivation(k)'s *_next rows are state k + 1, bit for bit, the
    optimizer's state included."""
    x, y = (BATCH_X, BATCH_Y) if batch else (EXAMPLE_X, EXAMPLE_Y)
    t = _trainer(*combo, x=x, y=y)
    assert t.run(20) is None
    _assert_replays(t, range(20))


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_chunked_runs_and_undo_are_exact(optimizer, monkeypatch):
    whole = _trainer(optimizer, "step")
    whole.run(40)
    parts = _trainer(optimizer, "step", chunk_rows=7)
    for n in (3, 11, 1, 9, 16):
        parts.run(n)
    assert len(parts.history._chunks) > 1
    assert parts.history.rows().tobytes() == whole.history.rows().tobytes()
    # Undo (truncate) and train again: the same states.
    parts.truncate(13)
    parts.run(28)
    assert parts.history.rows().tobytes() == whole.history.rows().tobytes()
    _assert_replays(parts, [6, 7, 13, 14, 38])


@pytest.mark.parametrize("optimizer", ("momentum", "rmsprop", "adam"))
def test_a_trainer_started_from_a_recorded_state_continues_it_exactly(optimizer):
    """Branching from state k with its parameters and optimizer state (and the
    counter) gives the original's later states bit for bit."""
    original = _trainer(optimizer, "exp", "value")
    original.run(30)
    k = 12
    branch = _trainer(optimizer, "exp", "value", params=original.params(k),
                      state=original.optimizer_state(k))
    assert branch.optimizer_state(0) == original.optimizer_state(k)
    branch.run(30 - k)
    assert branch.history.rows().tobytes() == original.history.rows(k).tobytes()
    line = Timeline(original)
    line.branch(k, branch)
    assert line.rows().tobytes() == original.history.rows().tobytes()


def test_an_update_that_reads_an_old_value_after_its_step_replays_exactly():
    """A hand-made table whose b₁ step reads W₁ and the velocity of W₁ after
    their own updates: the compiled loop must keep the old values for it."""
    from engine import compiled
    table = list(terms_for(Spec(optimizer="momentum")))
    at = next(i for i, t in enumerate(table) if t.id == "b1_next")
    table[at] = engine.terms.TermDef("b1_next", "b1 - alpha * v_b1_next - 0.001 * W1 + 0.01 * v_W1",
                                     "update", "b1")
    table = tuple(table)
    names = engine.terms.state_columns(table)
    assert names == tuple(f"v_{p}" for p in PARAMS)
    derive_all, run = compiled.build(table, "scalar")
    start = dict(EXAMPLE, x=EXAMPLE_X, y=EXAMPLE_Y, alpha=ALPHA, **dict.fromkeys(names, 0.0))
    first = dict(zip(compiled.outputs(table), derive_all(*(start[n] for n in compiled.inputs(table)))))
    rows = np.empty((15, len(ROW) + len(names)))
    assert run(15, rows, 0, *(start[n] for n in compiled.inputs(table)),
               *(first[f"dL_d{p}"] for p in PARAMS)) == 15
    states = [dict(zip(ROW + names, [*(EXAMPLE[p] for p in PARAMS), 0, *([0] * 6), *([0.0] * 6)]))]
    states += [dict(zip(ROW + names, row)) for row in rows.tolist()]
    # By hand: the old W₁ and the old velocity of W₁.
    for before, after in zip(states, states[1:]):
        assert after["b1"] == before["b1"] - ALPHA * after["v_b1"] - 0.001 * before["W1"] + 0.01 * before["v_W1"]


def test_a_fresh_trainer_starts_the_optimizer_from_zero():
    t = _trainer("adam", "step")
    assert t.optimizer_state(0) == {**{f"m_{p}": 0.0 for p in PARAMS},
                                    **{f"v_{p}": 0.0 for p in PARAMS}, "t": 0.0}
    assert _trainer("sgd").optimizer_state(0) == {}


@pytest.mark.parametrize("optimizer, state, name", [
    ("rmsprop", {"v_W1": 1.0}, "v_W1"),        # not part of RMSprop's state
    ("sgd", {"t": 1.0}, "t"),                  # plain descent at a constant rate keeps none
    ("adam", {"m_W1": float("nan")}, "m_W1"),
    ("adam", {"m_W1": "a"}, "m_W1"),
    ("adam", {"v_b2": -1e-3}, "v_b2"),         # Adam's v is an average of squares
    ("rmsprop", {"s_W3": -1.0}, "s_W3"),
    ("adam", {"t": 2.5}, "t"),
    ("adam", {"t": -1}, "t"),
    ("momentum", {"speed": 1}, "speed"),
])
def test_a_bad_starting_state_is_refused_naming_it(optimizer, state, name):
    with pytest.raises(InputError) as caught:
        _trainer(optimizer, state=state)
    assert caught.value.name == name


def test_a_starting_state_may_be_given_in_part():
    t = _trainer("momentum", state={"v_W1": -5.0})   # a velocity may be negative
    assert t.optimizer_state(0) == {**{f"v_{p}": 0.0 for p in PARAMS}, "v_W1": -5.0}
    assert t.derivation(0)["v_W1_next"].value == HYPER["momentum"] * -5.0 + t.gradients(0)["dL/dW1"]


def test_from_history_refuses_rows_of_another_optimizer():
    t = _trainer("adam")
    t.run(3)
    rows = t.history.rows()
    again = Trainer.from_history(rows, EXAMPLE_X, EXAMPLE_Y, ALPHA, spec=t.spec)
    assert again.history.rows().tobytes() == rows.tobytes() and again.optimizer_state(-1) == t.optimizer_state(-1)
    with pytest.raises(InputError, match=f"row of {len(ROW) + 6} numbers"):
        Trainer.from_history(rows, EXAMPLE_X, EXAMPLE_Y, ALPHA, spec=Spec(optimizer="momentum"))
    bad = rows.copy()
    bad[2, t.row.index("v_W3")] = -1.0
    with pytest.raises(InputError) as caught:
        Trainer.from_history(bad, EXAMPLE_X, EXAMPLE_Y, ALPHA, spec=t.spec)
    assert caught.value.name == "v_W3"


# --- divergence ----------------------------------------------------------------------

def _assert_clean_stop(t, d, steps):
    assert d is not None and t.divergence == d
    assert 1 <= d.step < steps and d.step == len(t)
    ids = {term.id for term in t.terms} | set(t.row)
    assert d.quantity in ids
    assert not math.isfinite(d.value)
    assert d.symbol in d.message and f"step {d.step}" in d.message   # the symbol a learner reads, not the id
    assert np.isfinite(t.history.rows()).all()
    before = t.history.rows()
    assert t.run(5) == d and np.array_equal(t.history.rows(), before)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("optimizer, alpha", [("sgd", 50.0), ("momentum", 5.0)])
def test_a_large_alpha_diverges_cleanly(optimizer, alpha, schedule):
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, alpha,
                spec=Spec(optimizer=optimizer, schedule=schedule, decay=0.999, decay_every=50))
    d = t.run(5000)
    _assert_clean_stop(t, d, 5000)
    # The named quantity is where the update from the last kept state first overflowed.
    last = t.derivation(-1).first_non_finite()
    if last is not None:
        assert last.id == d.quantity


def test_momentum_divergence_by_hand():
    """The hand loop of the definitions overflows at the same step."""
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 5.0, spec=Spec(optimizer="momentum"))
    d = t.run(5000)
    hand = HandOptimizer("momentum")
    hand.alpha = 5.0
    p, k = dict(EXAMPLE), 0
    with np.errstate(all="ignore"):
        while True:
            p = hand.step(p, gradients(p, EXAMPLE_X, EXAMPLE_Y))
            k += 1
            finite = all(map(math.isfinite, list(p.values()) + list(hand.state().values())))
            if not finite or not math.isfinite(loss(p, EXAMPLE_X, EXAMPLE_Y)):
                break
    assert d.step == k


def test_adam_diverges_cleanly_from_an_extreme_state():
    """Adam's step is about α whatever the gradient, so no α up to 100 makes it
    overflow from a fresh state; a resumed state with a huge first moment of
    W₃ does: ŷ, the loss and the gradients grow to overflow."""
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 1.0, spec=Spec(optimizer="adam"),
                state={"m_W3": -1e153})
    d = t.run(100)
    _assert_clean_stop(t, d, 100)
    # The update from the last kept state overflowed: the named term is in it.
    update = [term for term in t.derivation(-1) if term.layer == "update"]
    assert d.quantity == next(term.id for term in update if not math.isfinite(term.value))
    # Here the update is finite, and the new state's backward pass overflows.
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 1.0, spec=Spec(optimizer="adam"),
                state={"m_W3": -3e153})
    d = t.run(100)
    _assert_clean_stop(t, d, 100)
    assert all(math.isfinite(term.value) for term in t.derivation(-1) if term.layer == "update")
    assert t.derivation(-1)[d.quantity].layer in ("forward", "3", "2", "1")
    # A start whose very first update overflows is refused, naming the term.
    with pytest.raises(InputError) as caught:
        Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 100.0, spec=Spec(optimizer="adam"),
                state={"m_W1": 1e306})
    assert caught.value.name == "W1_next"


def test_adam_and_rmsprop_steps_are_bounded_at_the_largest_alpha():
    """RMSprop: √s′ ≥ √(1 − ρ)|g|, so no parameter moves more than α/√(1 − ρ)
    in an update; Adam's first step is α.  α = 100 stays finite."""
    for optimizer in ("rmsprop", "adam"):
        t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 100.0,
                    spec=Spec(optimizer=optimizer, activation1="linear", activation2="linear"))
        assert t.run(3000) is None
        rows = t.history.rows()
        assert np.isfinite(rows).all()
        moves = np.abs(np.diff(rows[:, :len(PARAMS)], axis=0))
        if optimizer == "rmsprop":
            assert moves.max() <= 100.0 / math.sqrt(1 - 0.9) * (1 + 1e-12)
        else:
            assert np.allclose(moves[0], 100.0, rtol=1e-6)


def test_clipping_keeps_a_large_alpha_finite():
    plain = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 50.0)
    assert plain.run(3000) is not None
    for clip in ("value", "norm"):
        t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 50.0, spec=Spec(clip=clip, clip_c=1.0))
        assert t.run(3000) is None
        moves = np.abs(np.diff(t.history.rows()[:, :len(PARAMS)], axis=0))
        assert moves.max() <= 50.0 * (1 + 1e-12)


def test_batch_divergence_with_momentum():
    t = Trainer(dict(EXAMPLE), [1.0, 2.0, 3.0], [4.0, -4.0, 8.0], 20.0, spec=Spec(optimizer="momentum"))
    _assert_clean_stop(t, t.run(5000), 5000)


# --- sessions ------------------------------------------------------------------------

def _line(optimizer):
    """A reference segment, then one of ``optimizer`` (a batch, step
    schedule, clipping by norm), then a third of Adam with one sample."""
    line = Timeline(Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 0.01))
    line.run(8)
    line.branch(5, Trainer(dict(EXAMPLE), BATCH_X, BATCH_Y, 0.05,
                           spec=Spec(**_spec_kwargs(optimizer, "step", "norm"))))
    line.run(9)
    line.branch(11, Trainer({**EXAMPLE, "W3": -0.4}, -1.5, 3.0, 0.02,
                            spec=Spec(optimizer="adam", schedule="exp", decay=0.95)))
    line.run(6)
    return line


def _dump(line, cursor=0):
    stream = io.StringIO()
    session.dump(stream, line, cursor, {})
    return stream.getvalue()


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_session_round_trip_keeps_every_optimizer_state(optimizer):
    line = _line(optimizer)
    text = _dump(line, 4)
    document = json.loads(text)
    segments = document["segments"]
    # Each segment's start: its parameters and its optimizer's state, by name.
    assert [list(s["start"]) for s in segments] == [list(PARAMS + s.trainer.state_names)
                                                    for s in line.segments]
    assert segments[1]["start"] == {**EXAMPLE, **{n: 0.0 for n in line.segments[1].trainer.state_names}}
    assert segments[0]["spec"] == {"activation1": "tanh", "activation2": "tanh", "leak": 0.01,
                                   "loss": "squared"}
    assert segments[1]["spec"]["optimizer"] == optimizer and segments[1]["spec"]["clip"] == "norm"
    assert segments[1]["spec"]["decay_every"] == 3 and segments[2]["spec"]["decay"] == 0.95
    old = session.load(io.StringIO(format1_text(line, 4))).timeline   # the format that held every state
    assert old.rows().tobytes() == line.rows().tobytes()
    loaded = session.load(io.StringIO(text)).timeline
    assert len(loaded) == len(line)
    for a, b in zip(line.segments, loaded.segments):
        assert b.trainer.spec == a.trainer.spec and b.trainer.row == a.trainer.row
        want = a.trainer.history.rows(0, a.length)
        assert b.trainer.history.rows().tobytes() == want.tobytes()
        for k in range(b.length):
            assert b.trainer.optimizer_state(k) == a.trainer.optimizer_state(k)
            assert [r.value for r in b.trainer.derivation(k)] == [r.value for r in a.trainer.derivation(k)]
    assert loaded.rows().tobytes() == line.rows().tobytes()
    # Both train on alike.
    line.run(15)
    loaded.run(15)
    assert loaded.trainer.history.rows().tobytes() == line.trainer.history.rows().tobytes()


def test_a_timeline_of_several_optimizers_has_all_their_columns():
    line = _line("momentum")
    columns = line.columns
    assert columns[:len(ROW)] == ROW
    assert columns[len(ROW):] == tuple(f"m_{p}" for p in PARAMS) + tuple(f"v_{p}" for p in PARAMS) + ("t",)
    rows = line.rows()
    assert rows.shape == (len(line), len(columns))
    first = line.segments[0].length
    assert np.isnan(rows[:first, len(ROW):]).all()                     # plain descent keeps none
    m = columns.index("m_W1")
    assert np.isnan(rows[first: first + line.segments[1].length, m]).all()   # momentum has no m
    assert np.isfinite(rows[-line.segments[2].length:]).all()
    assert np.isnan(line.column("t")[:first]).all()
    assert line.column("t")[-1] == 6.0
    assert line.optimizer_state(0) == {}


def _adam_document(version=1):
    """A file of Adam's states: of format 1, which holds them all (and their columns), or 2."""
    line = Timeline(_trainer("adam", "step"))
    line.run(5)
    return format1_document(line) if version == 1 else json.loads(_dump(line))


@pytest.mark.parametrize("change, words", [
    (lambda d: d["segments"][0].pop("columns"), 'segment 1 has no "columns"'),
    (lambda d: d["segments"][0]["columns"].reverse(), "columns.*not those of its network"),
    (lambda d: d["segments"][0]["spec"].update(optimizer="nadam"), 'optimizer \\("optimizer"\\).*\'nadam\''),
    (lambda d: d["segments"][0]["spec"].update(optimizer="momentum"), "columns"),
    (lambda d: d["segments"][0]["spec"].update(beta1=1.0), "Adam's β₁"),   # in words, not its Python name
    (lambda d: d["segments"][0]["spec"].update(eps=None), "ε of RMSprop and Adam"),
    (lambda d: d["segments"][0]["spec"].update(decay_every=2.5), "the step schedule's k"),
    (lambda d: d["segments"][0]["spec"].update(clip="both"), 'clipping \\("clip"\\)'),
    (lambda d: d["segments"][0]["spec"].update(schedule=3), "schedule"),
])
def test_a_bad_optimizer_in_a_file_is_refused(change, words):
    document = _adam_document()
    change(document)
    with pytest.raises(SessionError, match=f"segment 1.*{words}|{words}"):
        session.load(io.StringIO(json.dumps(document)))


@pytest.mark.parametrize("column, value, words", [
    ("v_W2", -1.0, "v_W₂"), ("t", 1.5, "t"), ("m_b1", float("inf"), "non-finite.*m_b1"),
])
def test_a_bad_optimizer_state_in_a_file_is_refused(column, value, words):
    document = _adam_document()
    rows = rows_of(document["segments"][0])
    rows[3, document["segments"][0]["columns"].index(column)] = value
    set_rows(document["segments"][0], rows)
    with pytest.raises(SessionError, match=f"segment 1.*{words}"):
        session.load(io.StringIO(json.dumps(document)))


@pytest.mark.parametrize("column, value, words", [
    ("v_W2", -1.0, "v_W₂.*cannot be negative"), ("t", 1.5, "t.*whole number"), ("t", -1.0, "t.*whole number"),
])
def test_a_bad_optimizer_state_in_a_start_is_refused(column, value, words):
    document = _adam_document(2)
    document["segments"][0]["start"][column] = value
    with pytest.raises(SessionError, match=f"segment 1.*{words}"):
        session.load(io.StringIO(json.dumps(document)))


def test_an_old_file_without_segment_columns_opens():
    document = format1_document(_line("sgd"))
    del document["segments"][0]["columns"]
    loaded = session.load(io.StringIO(json.dumps(document)))
    assert loaded.timeline.segments[0].trainer.row == ROW


# --- the CSV of a line of several optimizers ---------------------------------------------

def test_history_csv_of_several_optimizers_appends_their_state():
    line = _line("rmsprop")
    stream = io.StringIO()
    engine.csvio.write_history(stream, line)
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    header = rows[0]
    assert header[:14] == list(engine.csvio.HISTORY_COLUMNS)
    assert header[14:] == [f"m_{p}" for p in PARAMS] + [f"v_{p}" for p in PARAMS] + \
        [f"s_{p}" for p in PARAMS] + ["t"]
    first = line.segments[0].length
    assert all(cell == "" for cell in rows[1][14:])                    # plain descent: empty cells
    s_w1 = header.index("s_W1")
    assert rows[first + 3][0] == str(first + 2)
    assert float(rows[first + 3][s_w1]) == line.segments[1].trainer.optimizer_state(2)["s_W1"]
    assert rows[first + 3][header.index("m_W1")] == ""
    assert float(rows[-1][header.index("t")]) == 6.0
    every = io.StringIO()
    engine.csvio.write_history(every, line, 4)
    sparse = list(csv.reader(io.StringIO(every.getvalue())))
    assert sparse[0] == header
    assert [r[0] for r in sparse[1:]] == [str(k) for k in engine.csvio.history_steps(len(line), 4)]
    by_step = {r[0]: r for r in rows[1:]}
    assert all(r == by_step[r[0]] for r in sparse[1:])


_ANY = st.none() | st.booleans() | st.integers(-10 ** 20, 10 ** 20) | st.floats(allow_nan=False) \
    | st.text(max_size=8) | st.lists(st.integers(), max_size=2) | st.sampled_from(
        ["sgd", "momentum", "rmsprop", "adam", "constant", "step", "exp", "value", "norm", "t"])


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(Spec.__dataclass_fields__) + ["columns"]), value=_ANY)
def test_any_update_entry_opens_or_raises_session_error(field, value):
    document = _adam_document()
    if field == "columns":
        document["segments"][0]["columns"] = value
    else:
        document["segments"][0]["spec"][field] = value
    try:
        session.load(io.StringIO(json.dumps(document)))
    except SessionError as error:
        assert str(error)
