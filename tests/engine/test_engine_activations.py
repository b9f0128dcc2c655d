"""Per-layer activations: tanh, sigmoid, ReLU, leaky ReLU and linear.

The activations, their derivatives, the loss and the closed-form gradients are
written out here by hand, in forms that differ from the engine's (sech² for
tanh's slope, e^−z/(1 + e^−z)² for the sigmoid's), so that the engine is
compared with a second implementation, never with itself.
"""

import io
import itertools
import json
import math

import numpy as np
import pytest

import engine
from engine import (InputError, Spec, Trainer, check_gradients, derive, evaluate, section_titles,
                    session, terms_for)
from engine.gradcheck import check_table
from engine.session import SessionError
from engine.timeline import Timeline
from engine_handcalc import EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, GRADIENT_IDS, PARAMS
from tests.session_format1 import format1_document

NAMES = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")
LOSS_NAMES = ("squared", "half-squared")
LEAK = 0.05   # not the default slope, so that a slope that does not arrive shows


# --- the network by hand --------------------------------------------------------

def act(name, z, leak=LEAK):
    if name == "tanh":
        return math.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if name == "relu":
        return max(z, 0.0)
    if name == "leaky_relu":
        return z if z > 0 else leak * z
    return z


def slope(name, z, leak=LEAK):
    """d act / dz from z, in other forms than the engine's."""
    if name == "tanh":
        return 1.0 / math.cosh(z) ** 2
    if name == "sigmoid":
        return math.exp(-z) / (1.0 + math.exp(-z)) ** 2
    if name == "relu":
        return 1.0 if z > 0 else 0.0
    if name == "leaky_relu":
        return 1.0 if z > 0 else leak
    return 1.0


def forward(p, x, a1, a2, leak=LEAK):
    z1 = p["W1"] * x + p["b1"]
    h1 = act(a1, z1, leak)
    z2 = p["W2"] * h1 + p["b2"]
    h2 = act(a2, z2, leak)
    return z1, h1, z2, h2, p["W3"] * h2 + p["b3"]


def hand_loss(p, xs, ys, a1, a2, loss, leak=LEAK):
    """Mean loss over the samples."""
    total = []
    for x, y in zip(xs, ys):
        e = forward(p, x, a1, a2, leak)[-1] - y
        total.append(e * e if loss == "squared" else 0.5 * e * e)
    return math.fsum(total) / len(total)


def hand_gradients(p, xs, ys, a1, a2, loss, leak=LEAK):
    """The closed forms of the chain rule, averaged over the samples."""
    per = []
    for x, y in zip(xs, ys):
        z1, h1, z2, h2, yhat = forward(p, x, a1, a2, leak)
        g3 = (2.0 if loss == "squared" else 1.0) * (yhat - y)
        g2 = g3 * p["W3"] * slope(a2, z2, leak)
        g1 = g2 * p["W2"] * slope(a1, z1, leak)
        per.append({"dL/dW3": g3 * h2, "dL/db3": g3, "dL/dW2": g2 * h1, "dL/db2": g2,
                    "dL/dW1": g1 * x, "dL/db1": g1})
    return {g: math.fsum(s[g] for s in per) / len(per) for g in GRADIENT_IDS}


def central(f, p, name, h=1e-6):
    s = h * max(1.0, abs(p[name]))
    return (f({**p, name: p[name] + s}) - f({**p, name: p[name] - s})) / (2 * s)


# Three situations: the worked example (every z > 0 under ReLU), a state whose
# first layer is negative, and a batch of four samples on both sides of 0.
NEGATIVE = {"W1": -0.5, "b1": 0.1, "W2": 0.8, "b2": -0.2, "W3": 1.2, "b3": 0.3}
MIXED = {"W1": 0.9, "b1": -0.35, "W2": -1.1, "b2": 0.25, "W3": 0.8, "b3": -0.1}
CASES = {
    "example": (EXAMPLE, [EXAMPLE_X], [EXAMPLE_Y]),
    "negative": (NEGATIVE, [EXAMPLE_X], [EXAMPLE_Y]),
    "batch": (MIXED, [2.0, -1.5, 0.7, -0.3], [4.0, -1.0, 0.5, 2.0]),
}
SPECS = list(itertools.product(NAMES, NAMES, LOSS_NAMES))


def _inputs(case):
    p, xs, ys = CASES[case]
    x, y = (xs[0], ys[0]) if len(xs) == 1 else (np.array(xs), np.array(ys))
    return dict(p), x, y


def _away_from_kinks(p, xs, a1, a2):
    """A central difference across ReLU's kink is meaningless: the cases keep
    every z of a ReLU layer well away from 0."""
    for x in xs:
        z1, _, z2, _, _ = forward(p, x, a1, a2)
        for name, z in ((a1, z1), (a2, z2)):
            if name in ("relu", "leaky_relu"):
                assert abs(z) > 1e-2, (name, z)


# --- gradients -----------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("a1, a2, loss", SPECS)
def test_gradients_match_central_differences_of_a_hand_written_loss(a1, a2, loss, case):
    p, x, y = _inputs(case)
    xs, ys = CASES[case][1], CASES[case][2]
    _away_from_kinks(p, xs, a1, a2)
    values = evaluate(p, x, y, EXAMPLE_ALPHA, Spec(a1, a2, LEAK, loss))
    assert math.isclose(float(values["L"]), hand_loss(p, xs, ys, a1, a2, loss), rel_tol=1e-12)
    closed = hand_gradients(p, xs, ys, a1, a2, loss)
    for q in PARAMS:
        got = float(values[f"dL_d{q}"])
        numeric = central(lambda params: hand_loss(params, xs, ys, a1, a2, loss), p, q)
        assert math.isclose(got, numeric, rel_tol=1e-6, abs_tol=1e-8), (q, got, numeric)
        assert math.isclose(got, closed[f"dL/d{q}"], rel_tol=1e-12, abs_tol=1e-15), q


@pytest.mark.parametrize("a1, a2, loss", SPECS)
def test_the_engines_own_gradient_check_passes_for_every_spec(a1, a2, loss):
    p, x, y = _inputs("batch")
    for check in check_gradients(p, x, y, EXAMPLE_ALPHA, Spec(a1, a2, LEAK, loss)):
        assert not check.suspect, check


def test_a_gradient_check_would_see_a_wrong_derivative():
    # The checks above can fail: ReLU's table with the slope of layer 1
    # replaced by a leaky one disagrees with its own loss.
    relu = terms_for(Spec("relu", "relu"))
    leaky = terms_for(Spec("leaky_relu", "relu", leak=0.5))
    wrong = tuple(leaky[i] if t.id == "dh1/dz1" else t for i, t in enumerate(relu))
    state = {**NEGATIVE, "b2": 0.3}   # z1 = −0.9 < 0 < z2 = 0.3: the slope of layer 1 matters
    checks = {c.param: c for c in check_table(wrong, state, EXAMPLE_X, EXAMPLE_Y, 0.1)}
    assert checks["W1"].suspect and checks["b1"].suspect
    assert not checks["W3"].suspect


# --- the texts of the derivative terms ------------------------------------------

def fmt(value):
    """A number as the table shows it: five significant digits, a true minus."""
    return f"{value + 0.0:.5g}".replace("-", "−")


def _row(spec, params, term_id):
    return derive(params, EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA, spec)[term_id]


def test_tanh_rows():
    spec = Spec("tanh", "sigmoid")
    h1 = math.tanh(1.1)
    assert _row(spec, EXAMPLE, "h1").formula == "tanh(z₁)"
    d = _row(spec, EXAMPLE, "dh1/dz1")
    assert (d.formula, d.substitution) == ("1 − h₁²", f"1 − {fmt(h1)}²")
    assert math.isclose(d.value, 1 / math.cosh(1.1) ** 2, rel_tol=1e-14)


def test_sigmoid_rows():
    spec = Spec("sigmoid", "sigmoid")
    s1 = 1 / (1 + math.exp(-1.1))
    h = _row(spec, EXAMPLE, "h1")
    assert (h.formula, h.substitution) == ("σ(z₁)", "σ(1.1)")
    assert math.isclose(h.value, s1, rel_tol=1e-15)
    d = _row(spec, EXAMPLE, "dh1/dz1")
    assert (d.formula, d.substitution) == ("h₁(1 − h₁)", f"{fmt(s1)}(1 − {fmt(s1)})")
    assert math.isclose(d.value, s1 * (1 - s1), rel_tol=1e-14)
    z2 = 0.8 * s1 - 0.2
    s2 = 1 / (1 + math.exp(-z2))
    d2 = _row(spec, EXAMPLE, "dh2/dz2")
    assert (d2.formula, d2.substitution) == ("h₂(1 − h₂)", f"{fmt(s2)}(1 − {fmt(s2)})")
    assert math.isclose(d2.value, s2 * (1 - s2), rel_tol=1e-14)


def test_relu_rows_on_both_sides_of_zero():
    spec = Spec("relu", "relu")
    h = _row(spec, EXAMPLE, "h1")
    assert (h.formula, h.substitution, h.value) == ("ReLU(z₁)", "ReLU(1.1)", 1.1)
    d = _row(spec, EXAMPLE, "dh1/dz1")
    assert (d.formula, d.substitution, d.value) == ("[z₁ > 0]", "[1.1 > 0]", 1.0)
    h = _row(spec, NEGATIVE, "h1")    # z1 = −0.9
    assert (h.substitution, h.value) == ("ReLU(−0.9)", 0.0)
    d = _row(spec, NEGATIVE, "dh1/dz1")
    assert (d.substitution, d.value) == ("[−0.9 > 0]", 0.0)
    d2 = _row(spec, NEGATIVE, "dh2/dz2")   # z2 = b2 = −0.2
    assert (d2.formula, d2.substitution, d2.value) == ("[z₂ > 0]", "[−0.2 > 0]", 0.0)


def test_leaky_relu_rows_show_the_slope():
    spec = Spec("leaky_relu", "leaky_relu", leak=0.05)
    h = _row(spec, NEGATIVE, "h1")
    assert (h.formula, h.substitution) == ("leaky ReLU(z₁, 0.05)", "leaky ReLU(−0.9, 0.05)")
    assert math.isclose(h.value, -0.045, rel_tol=1e-15)
    d = _row(spec, NEGATIVE, "dh1/dz1")
    assert d.formula == "[z₁ > 0] + 0.05 × [z₁ ≤ 0]"
    assert d.substitution == "[−0.9 > 0] + 0.05 × [−0.9 ≤ 0]"
    assert d.value == 0.05
    d = _row(spec, EXAMPLE, "dh1/dz1")
    assert (d.substitution, d.value) == ("[1.1 > 0] + 0.05 × [1.1 ≤ 0]", 1.0)
    d2 = _row(spec, NEGATIVE, "dh2/dz2")
    assert d2.formula == "[z₂ > 0] + 0.05 × [z₂ ≤ 0]" and d2.value == 0.05


def test_linear_rows():
    spec = Spec("linear", "linear")
    h = _row(spec, EXAMPLE, "h1")
    assert (h.formula, h.substitution, h.value) == ("z₁", "1.1", 1.1)
    for term_id in ("dh1/dz1", "dh2/dz2"):
        d = _row(spec, EXAMPLE, term_id)
        assert (d.formula, d.substitution, d.value) == ("1", "1", 1.0)
    # ∂L/∂z₂ = ∂L/∂h₂ × 1
    d = derive(EXAMPLE, EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA, spec)
    assert d["dL/dz2"].value == d["dL/dh2"].value


@pytest.mark.parametrize("a1, a2", [("sigmoid", "relu"), ("linear", "linear"), ("relu", "leaky_relu")])
def test_the_look_ahead_uses_the_same_activations(a1, a2):
    spec = Spec(a1, a2, LEAK)
    expected = {
        ("sigmoid", "relu"): "W₃′ × ReLU(W₂′ × σ(W₁′ × x + b₁′) + b₂′) + b₃′",
        ("linear", "linear"): "W₃′(W₂′(W₁′ × x + b₁′) + b₂′) + b₃′",
        ("relu", "leaky_relu"): "W₃′ × leaky ReLU(W₂′ × ReLU(W₁′ × x + b₁′) + b₂′, 0.05) + b₃′",
    }[a1, a2]
    d = derive(NEGATIVE, EXAMPLE_X, EXAMPLE_Y, 0.3, spec)
    assert d["yhat_next"].formula == expected
    after = {q: d[f"{q}_next"].value for q in PARAMS}
    yhat = forward(after, EXAMPLE_X, a1, a2)[-1]
    assert math.isclose(d["yhat_next"].value, yhat, rel_tol=1e-14)
    assert math.isclose(d["L_next"].value, (yhat - EXAMPLE_Y) ** 2, rel_tol=1e-13)


# --- ReLU at its kink -----------------------------------------------------------

AT_ZERO = {"W1": 0.5, "b1": -1.0, "W2": 1.0, "b2": -0.25, "W3": 1.2, "b3": 0.3}   # z1 = 0.5·2 − 1 = 0


@pytest.mark.parametrize("leak", [0.01, 0.2])
@pytest.mark.parametrize("batch", [False, True])
def test_relu_slope_at_zero_is_zero_and_leaky_slope_is_the_leak(leak, batch):
    x, y = (np.array([2.0, 2.0]), np.array([1.0, 3.0])) if batch else (2.0, 1.0)
    relu = evaluate(AT_ZERO, x, y, 0.1, Spec("relu", "relu", leak))
    leaky = evaluate(AT_ZERO, x, y, 0.1, Spec("leaky_relu", "leaky_relu", leak))
    for values in (relu, leaky):
        assert np.all(np.asarray(values["z1"]) == 0.0)
        assert np.all(np.asarray(values["h1"]) == 0.0)
    assert np.all(np.asarray(relu["dh1_dz1"]) == 0.0)
    assert np.all(np.asarray(leaky["dh1_dz1"]) == leak)
    # Layer 2 at its kink too: z2 = 1·h1 − 0.25 < 0 here; move b2 to make it 0.
    at2 = {**AT_ZERO, "b1": 0.0, "b2": -1.0}    # z1 = 1, h1 = 1, z2 = 0
    relu2 = evaluate(at2, x, y, 0.1, Spec("relu", "relu", leak))
    leaky2 = evaluate(at2, x, y, 0.1, Spec("relu", "leaky_relu", leak))
    assert np.all(np.asarray(relu2["z2"]) == 0.0)
    assert np.all(np.asarray(relu2["dh2_dz2"]) == 0.0)
    assert np.all(np.asarray(leaky2["dh2_dz2"]) == leak)
    # The gradient through a unit at its kink: 0 under ReLU, the slope's share under leaky.
    assert relu["dL_dW1"] == 0.0 and relu["dL_db1"] == 0.0
    assert leaky["dL_db1"] != 0.0


# --- scalar and batch -----------------------------------------------------------

ZS = np.array([-700.0, -40.0, -3.0, -1.0, -0.25, -1e-300, 0.0, 1e-300, 0.3, 1.0, 2.5, 40.0, 700.0])


@pytest.mark.parametrize("name", NAMES)
def test_both_flavours_of_each_activation_agree(name):
    """z1 = 1·x + 0 = x exactly; layer 2 is fed z2 = 1·h1 + 0 = x exactly when
    layer 1 is linear.  The batch runs numpy, each single sample Python floats."""
    p = {"W1": 1.0, "b1": 0.0, "W2": 1.0, "b2": 0.0, "W3": 1.0, "b3": 0.0}
    for spec, h, d in ((Spec(name, "tanh", 0.3), "h1", "dh1_dz1"),
                       (Spec("linear", name, 0.3), "h2", "dh2_dz2")):
        batch = evaluate(p, ZS, np.zeros_like(ZS), 0.1, spec)
        for i, z in enumerate(ZS.tolist()):
            one = evaluate(p, z, 0.0, 0.1, spec)
            for key in (h, d):
                b = float(np.broadcast_to(batch[key], ZS.shape)[i])
                # Relative, but 1 − h² near saturation cancels: an ulp of h is
                # an absolute 2e-16 there.
                scale = max(abs(one[key]), 1.0 if (name, key) == ("tanh", d) else 0.0)
                assert abs(b - one[key]) <= 1e-15 * scale, (spec, key, z, b, one[key])
            assert math.isclose(one[h], act(name, z, 0.3), rel_tol=1e-15, abs_tol=1e-300), (name, z)


def test_sigmoid_never_overflows():
    # z1 = ±1e6: e^1e6 overflows a float; neither flavour may raise or give NaN.
    for W1 in (1000.0, -1000.0):
        p = {**EXAMPLE, "W1": W1, "b1": 0.0}
        one = evaluate(p, 1000.0, 0.0, 0.1, Spec("sigmoid", "sigmoid"))
        batch = evaluate(p, np.array([1000.0, -1000.0]), np.zeros(2), 0.1, Spec("sigmoid", "sigmoid"))
        assert one["h1"] == (1.0 if W1 > 0 else 0.0)
        assert list(batch["h1"]) == ([1.0, 0.0] if W1 > 0 else [0.0, 1.0])
        assert one["dh1_dz1"] == 0.0 and np.all(batch["dh1_dz1"] == 0.0)
        assert all(np.isfinite(np.asarray(v, dtype=float)).all() for v in one.values())


@pytest.mark.parametrize("a1, a2, loss", [("sigmoid", "relu", "squared"),
                                          ("leaky_relu", "linear", "half-squared"),
                                          ("relu", "tanh", "half-squared")])
def test_each_sample_of_a_batch_is_its_single_sample_derivation(a1, a2, loss):
    spec = Spec(a1, a2, LEAK, loss)
    xs, ys = np.linspace(-2.5, 2.5, 21), np.linspace(3.0, -1.0, 21)
    batch = evaluate(MIXED, xs, ys, 0.1, spec)
    singles = [evaluate(MIXED, float(x), float(y), 0.1, spec) for x, y in zip(xs, ys)]
    per_sample = [t for t in terms_for(spec) if not t.mean and t.section != "update"]
    assert len(per_sample) > 20
    for t in per_sample:
        for i, one in enumerate(singles):
            b = float(np.broadcast_to(batch[t.var], xs.shape)[i])
            # tanh's two flavours may differ by an ulp, which ŷ − y can magnify.
            assert math.isclose(b, one[t.var], rel_tol=1e-12, abs_tol=1e-14), (t.id, i)
    for g in GRADIENT_IDS:
        mean = math.fsum(one[g.replace("/", "_")] for one in singles) / len(singles)
        scale = math.fsum(abs(one[g.replace("/", "_")]) for one in singles) / len(singles)
        assert abs(float(batch[g.replace("/", "_")]) - mean) <= 1e-12 * scale + 1e-15, g


# --- training -------------------------------------------------------------------

REPLAY = [Spec("relu", "sigmoid", 0.05, "half-squared"), Spec("leaky_relu", "leaky_relu", 0.3),
          Spec("sigmoid", "linear"), Spec("linear", "relu", loss="half-squared")]


@pytest.mark.parametrize("spec", REPLAY, ids=str)
@pytest.mark.parametrize("batch", [False, True])
def test_history_replays_exactly(spec, batch):
    x, y = (np.array([2.0, -1.5, 0.7, -0.3]), np.array([4.0, -1.0, 0.5, 2.0])) if batch else (2.0, 4.0)
    t = Trainer(dict(MIXED), x, y, 0.05, spec=spec)
    assert t.spec == spec and t.terms is terms_for(spec)
    assert t.run(60) is None
    for k in range(60):
        d = t.derivation(k)
        after = t.params(k + 1)
        for q in PARAMS:
            assert d[f"{q}_next"].value == after[q], (k, q)
        assert d["L_next"].value == t.derivation(k + 1)["L"].value
        grads = t.gradients(k)
        for g in GRADIENT_IDS:
            assert grads[g] == d[g].value, (k, g)


@pytest.mark.parametrize("spec", REPLAY, ids=str)
def test_training_follows_a_hand_written_loop(spec):
    xs, ys = [2.0, -1.5, 0.7, -0.3], [4.0, -1.0, 0.5, 2.0]
    t = Trainer(dict(MIXED), xs, ys, 0.05, spec=spec)
    t.run(40)
    p = dict(MIXED)
    for k in range(41):
        for q in PARAMS:
            assert math.isclose(t.params(k)[q], p[q], rel_tol=1e-9, abs_tol=1e-12), (k, q)
        g = hand_gradients(p, xs, ys, spec.activation1, spec.activation2, spec.loss, spec.leak)
        p = {q: p[q] - 0.05 * g[f"dL/d{q}"] for q in PARAMS}


def test_a_different_leak_trains_differently():
    # The slope reaches the compiled loop: a negative first layer learns only through it.
    runs = {}
    for leak in (0.01, 0.3):
        t = Trainer(dict(NEGATIVE), EXAMPLE_X, EXAMPLE_Y, 0.05, spec=Spec("leaky_relu", "tanh", leak))
        t.run(5)
        runs[leak] = t.params()
        g = hand_gradients(NEGATIVE, [EXAMPLE_X], [EXAMPLE_Y], "leaky_relu", "tanh", "squared", leak)
        assert math.isclose(t.gradients(0)["dL/dW1"], g["dL/dW1"], rel_tol=1e-12)
    assert runs[0.01]["W1"] != runs[0.3]["W1"]


def test_relu_divergence_is_reported_not_raised():
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 100.0, spec=Spec("relu", "relu"))
    divergence = t.run(10_000)
    assert divergence is not None and np.isfinite(t.history.rows()).all()
    t = Trainer(dict(EXAMPLE), [2.0, 1.0], [4.0, 3.0], 100.0, spec=Spec("leaky_relu", "linear"))
    assert t.run(10_000) is not None


# --- the table and the spec ------------------------------------------------------

def test_the_default_spec_is_the_reference_table():
    assert engine.TERMS is terms_for(Spec()) is terms_for(Spec("tanh", "tanh", 0.01, "squared"))
    assert terms_for(Spec("relu")) is terms_for(Spec("relu"))
    assert [t.source for t in engine.TERMS if t.id in ("h1", "h2", "dh1/dz1", "dh2/dz2")] == \
        ["tanh(z1)", "tanh(z2)", "1 - h2 ** 2", "1 - h1 ** 2"]
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)
    assert t.spec == Spec() and t.terms is engine.TERMS


@pytest.mark.parametrize("a1, a2", list(itertools.product(NAMES, NAMES)))
def test_every_table_has_the_same_terms_in_the_same_order(a1, a2):
    terms = terms_for(Spec(a1, a2))
    assert [(t.id, t.section, t.node, t.mean) for t in terms] == \
        [(t.id, t.section, t.node, t.mean) for t in engine.TERMS]
    assert all(t.caption for t in terms)
    if "tanh" not in (a1, a2):
        assert not any("tanh" in t.caption for t in terms)


def test_section_titles_name_the_activations():
    assert engine.SECTION_TITLES["2"] == "Layer 2 (tanh)" and engine.SECTION_TITLES["1"] == "Layer 1 (tanh)"
    assert section_titles() == engine.SECTION_TITLES
    titles = section_titles(Spec("sigmoid", "relu"))
    assert (titles["1"], titles["2"]) == ("Layer 1 (sigmoid)", "Layer 2 (ReLU)")
    titles = section_titles(Spec("linear", "leaky_relu", leak=0.2))
    assert (titles["1"], titles["2"]) == ("Layer 1 (linear)", "Layer 2 (leaky ReLU, slope 0.2)")
    assert titles["forward"] == "Forward pass" and titles["update"] == "Gradient-descent update"


def test_captions_follow_the_activation():
    by_id = {t.id: t.caption for t in terms_for(Spec("sigmoid", "relu"))}
    assert "σ" in by_id["h1"] and "(0, 1)" in by_id["h1"]
    assert "ReLU" in by_id["h2"]
    assert "h₁(1 − h₁)" in by_id["dh1/dz1"]
    assert "[z₂ > 0]" in by_id["dh2/dz2"]
    leaky = {t.id: t.caption for t in terms_for(Spec("leaky_relu", "leaky_relu", leak=0.2))}
    assert "0.2" in leaky["dh1/dz1"] and "0.2" in leaky["dh2/dz2"] and "again" in leaky["h2"]


@pytest.mark.parametrize("kwargs, field", [
    ({"activation1": "swish"}, "activation1"),
    ({"activation2": "ReLU"}, "activation2"),
    ({"activation1": None}, "activation1"),
    ({"loss": "absolute"}, "loss"),
    ({"leak": -0.1}, "leak"),
    ({"leak": 1.5}, "leak"),
    ({"leak": float("nan")}, "leak"),
    ({"leak": "0.1"}, "leak"),
    ({"leak": True}, "leak"),
])
def test_a_bad_spec_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(InputError) as caught:
        Spec(**kwargs)
    assert caught.value.name == field


def test_spec_is_frozen_and_hashable():
    spec = Spec("relu", "sigmoid", 0, "half-squared")
    assert spec.leak == 0.0 and isinstance(spec.leak, float)
    assert hash(spec) == hash(Spec("relu", "sigmoid", 0.0, "half-squared"))
    with pytest.raises(AttributeError):
        spec.activation1 = "tanh"


def test_a_trainer_takes_a_spec_and_nothing_else():
    a = Trainer(dict(EXAMPLE), 2.0, 4.0, 0.1, spec=Spec("relu"))
    c = Trainer(dict(EXAMPLE), 2.0, 4.0, 0.1, Spec("relu"))
    assert a.spec == c.spec == Spec("relu") and a.terms is terms_for(Spec("relu"))
    with pytest.raises(TypeError):
        Trainer(dict(EXAMPLE), 2.0, 4.0, 0.1, terms_for(Spec("relu")))   # a table is not a network
    with pytest.raises(ValueError):
        Trainer(dict(EXAMPLE), 2.0, 4.0, 0.1, Spec(layers=(2, 2, 1)))    # engine.network_training's


# --- sessions -------------------------------------------------------------------

WHEN = "2025-01-31T12:30:05+00:00"


def _line():
    line = Timeline(Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA))
    line.run(12)
    line.branch(5, Trainer(dict(MIXED), [1.0, -2.0, 0.5], [0.3, 1.5, -0.25], 0.1,
                           spec=Spec("relu", "leaky_relu", 0.2, "half-squared")))
    line.run(9)
    line.branch(12, Trainer(dict(NEGATIVE), -1.5, 3.0, 0.05, spec=Spec("sigmoid", "linear")))
    line.run(6)
    return line


def _dump(line):
    stream = io.StringIO()
    session.dump(stream, line, 0, {})
    return stream.getvalue()


def test_a_session_keeps_each_segments_spec():
    line = _line()
    text = _dump(line)
    document = json.loads(text)
    assert [s["spec"] for s in document["segments"]] == [
        {"activation1": "tanh", "activation2": "tanh", "leak": 0.01, "loss": "squared"},
        {"activation1": "relu", "activation2": "leaky_relu", "leak": 0.2, "loss": "half-squared"},
        {"activation1": "sigmoid", "activation2": "linear", "leak": 0.01, "loss": "squared"},
    ]
    loaded = session.load(io.StringIO(text)).timeline
    for a, b in zip(line.segments, loaded.segments):
        assert b.trainer.spec == a.trainer.spec
        assert b.trainer.terms is a.trainer.terms
        assert np.array_equal(b.trainer.history.rows(), a.trainer.history.rows(0, a.length))
        for k in range(b.length):
            assert [r.value for r in b.trainer.derivation(k)] == [r.value for r in a.trainer.derivation(k)]
    # It trains on exactly as the original would have.
    original = line.segments[-1].trainer
    original.run(15)
    loaded.run(15)
    assert np.array_equal(loaded.trainer.history.rows(), original.history.rows())


def test_a_segment_without_a_spec_is_the_reference_network():
    # Segment 2 really trained with ReLU in layer 1 (the rows must agree: opening replays them).
    line = Timeline(Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA))
    line.run(12)
    line.branch(5, Trainer(dict(MIXED), [1.0, -2.0, 0.5], [0.3, 1.5, -0.25], 0.1, spec=Spec("relu")))
    line.run(9)
    document = json.loads(_dump(line))
    del document["segments"][0]["spec"]
    document["segments"][1]["spec"] = {"activation1": "relu"}   # the other fields: the reference's
    loaded = session.load(io.StringIO(json.dumps(document))).timeline
    assert loaded.segments[0].trainer.spec == Spec()
    assert loaded.segments[1].trainer.spec == Spec("relu", "tanh", 0.01, "squared")


def test_a_segment_whose_spec_was_changed_is_refused():
    """A file of format 1 holds every state: trained with another network, its
    rows differ from what opening trains again, which says so.  (A file of
    format 2 holds no states: another network there is another session.)"""
    document = format1_document(_line())
    document["segments"][1]["spec"] = {"activation1": "relu"}
    with pytest.raises(SessionError, match="segment 2: state 5 .*differs from what training gives"):
        session.load(io.StringIO(json.dumps(document)))


@pytest.mark.parametrize("spec, words", [
    ({"activation1": "swish"}, "activation1.*swish"),
    ({"activation2": 3}, "activation2"),
    ({"loss": "hinge"}, "loss.*hinge"),
    ({"leak": 2.0}, "leak"),
    ({"leak": -0.5}, "leak"),
    ({"leak": "0.1"}, "leak"),
    ({"leak": None}, "leak"),
    ({"leak": True}, "leak"),
    ({"dropout": 0.5}, "dropout"),
    ("relu", "spec"),
    ([], "spec"),
])
def test_a_bad_spec_in_a_file_is_refused_saying_what_is_wrong(spec, words):
    document = json.loads(_dump(_line()))
    document["segments"][1]["spec"] = spec
    with pytest.raises(SessionError, match=f"segment 2.*{words}"):
        session.load(io.StringIO(json.dumps(document)))


