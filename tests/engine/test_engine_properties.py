"""Property-based tests (hypothesis) over the whole engine.

For any finite inputs within the accepted ranges (every field of a Spec, one
sample or a dataset, mini-batches and shuffle seeds, a given optimizer state),
training either gives finite states whose gradients agree with central
differences and whose updates are the optimizer's definition, or stops with a
clean :class:`engine.Divergence`; nothing raises but :class:`engine.InputError`,
and input just outside the accepted ranges is refused with it.  The same
holds for derive/evaluate, the loss landscape, compare, initialization and
the CSV writers.

Nothing here trusts the engine's arithmetic.  The reference is written out
below from the definitions (README, reference derivation):

- a float model of one state (:func:`float_terms`) that also carries, for
  every value, a bound on how far a float64 evaluation can be from the exact
  value (first-order running error analysis: each operation adds half an ulp
  of its result, errors propagate through the operands), so that the
  tolerance of a comparison is the float noise of that very state;
- an exact loss (:func:`exact_loss`) in 70-digit decimal arithmetic, whose
  central difference is the derivative of the loss of the given float64
  numbers to far below float64 precision;
- the optimizers, schedules and clipping (:func:`hand_update`).
"""

import csv
import io
import math
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from engine import InputError, Spec, Trainer, check_gradients, csvio, derive, evaluate, terms_for
from engine.compare import compare
from engine.derivation import values_function
from engine.init import initialize
from engine.landscape import grid
from engine.training import Divergence

PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
GRADIENTS = tuple(f"dL/d{p}" for p in PARAMS)
ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "exp")
CLIPS = (None, "value", "norm")
KINKED = ("relu", "leaky_relu")

# The accepted ranges, as the README and the issue state them.
LOW, HIGH = -1000.0, 1000.0          # W1 … b3, x and y
ALPHA_HIGH = 100.0                   # α in [0, 100]
CLIP_HIGH = 1e6                      # c in (0, 10⁶]
EVERY_HIGH = 10 ** 9                 # k from 1 to 10⁹
COUNT_HIGH = 2 ** 53                 # the update counter t from 0 to 2⁵³

U = 2.0 ** -53                       # half an ulp of 1: the relative rounding of one operation
TINY = 2.0 ** -1070                  # the absolute rounding of an operation that underflows
INF = math.inf


# --- the float model with its error bound ---------------------------------------------

class F:
    """A float64 value and a bound on |float64 evaluation − exact value|."""
    __slots__ = ("v", "e")

    def __init__(self, v, e=0.0):
        self.v = v
        self.e = e if e == e else INF

    @staticmethod
    def of(o):
        return o if isinstance(o, F) else F(o)

    def __add__(self, o):
        o = F.of(o)
        v = self.v + o.v
        return F(v, self.e + o.e + U * abs(v) + TINY)

    def __sub__(self, o):
        o = F.of(o)
        v = self.v - o.v
        return F(v, self.e + o.e + U * abs(v) + TINY)

    def __rsub__(self, o):
        return F.of(o) - self

    def __mul__(self, o):
        o = F.of(o)
        v = self.v * o.v
        return F(v, abs(self.v) * o.e + abs(o.v) * self.e + self.e * o.e + U * abs(v) + TINY)

    __rmul__ = __mul__


def activation(name, z, leak):
    if name == "tanh":
        return math.tanh(z)
    if name == "sigmoid":            # never exp of a positive number: no overflow
        if z >= 0.0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
    if name == "relu":
        return z if z > 0.0 else 0.0
    if name == "leaky_relu":
        return z if z > 0.0 else leak * z
    return z


# Each activation's Lipschitz constant, and the ulps its own evaluation may be off.
SLOPE = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "leaky_relu": 1.0, "linear": 1.0}
ULPS = {"tanh": 4, "sigmoid": 6, "relu": 0, "leaky_relu": 1, "linear": 0}


def _activate(name, z, leak):
    h = activation(name, z.v, leak)
    return F(h, SLOPE[name] * z.e + ULPS[name] * U * abs(h) + TINY)


def _factor(name, z, h, leak):
    """∂h/∂z as the README defines it: 1 − h², h(1 − h), [z > 0], 1 or the slope, 1."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "relu":
        return F(1.0 if z.v > 0.0 else 0.0)
    if name == "leaky_relu":
        return F(1.0 if z.v > 0.0 else leak)
    return F(1.0)


def sample_terms(p, x, y, spec):
    """Every term of one sample by the chain rule, as F."""
    W1, b1, W2, b2, W3, b3 = (F(p[q]) for q in PARAMS)
    x, y = F(x), F(y)
    z1 = W1 * x + b1
    h1 = _activate(spec.activation1, z1, spec.leak)
    z2 = W2 * h1 + b2
    h2 = _activate(spec.activation2, z2, spec.leak)
    yhat = W3 * h2 + b3
    err = yhat - y
    half = spec.loss == "half-squared"
    loss = err * err * 0.5 if half else err * err
    d = err if half else err * 2.0
    dh2 = d * W3
    f2 = _factor(spec.activation2, z2, h2, spec.leak)
    dz2 = dh2 * f2
    dh1 = dz2 * W2
    f1 = _factor(spec.activation1, z1, h1, spec.leak)
    dz1 = dh1 * f1
    return {"z1": z1, "h1": h1, "z2": z2, "h2": h2, "z3": yhat, "yhat": yhat, "err": err, "L": loss,
            "dL/dyhat": d, "dL/dz3": d, "dL/dh2": dh2, "dh2/dz2": f2, "dL/dz2": dz2,
            "dL/dh1": dh1, "dh1/dz1": f1, "dL/dz1": dz1,
            "dL/dW3": d * h2, "dL/db3": d, "dL/dW2": dz2 * h1, "dL/db2": dz2,
            "dL/dW1": dz1 * x, "dL/db1": dz1}


def float_terms(p, xs, ys, spec):
    """The mean of each term over the samples, as F (the bound includes the
    summation), and which parameters' gradients a kink of ReLU or leaky ReLU
    makes ambiguous: where z is within its own rounding of 0 the float64
    branch may differ from the exact one."""
    per = [sample_terms(p, float(x), float(y), spec) for x, y in zip(xs, ys)]
    n = len(per)
    out = {}
    for key in per[0]:
        values = [s[key].v for s in per]
        mean = sum(values) / n
        bound = (sum(s[key].e for s in per) / n + (n + 1) * U * sum(abs(v) for v in values) / n
                 + U * abs(mean) + TINY)
        out[key] = F(mean, bound)
    ambiguous = set()
    for s in per:
        if spec.activation1 in KINKED and abs(s["z1"].v) <= 2 * s["z1"].e:
            ambiguous |= {"W1", "b1"}
        if spec.activation2 in KINKED and abs(s["z2"].v) <= 2 * s["z2"].e:
            ambiguous |= {"W1", "b1", "W2", "b2"}
    return out, ambiguous


# --- the exact loss and its central difference -------------------------------------------

DECIMAL = Context(prec=70, Emax=10 ** 9, Emin=-10 ** 9, traps=[InvalidOperation, DivisionByZero, Overflow])
STEP = Decimal("1e-25")


def _exact_activation(name, z, leak):
    if name == "tanh":
        if abs(z) > 200:             # 1 − tanh is below the 70 digits
            return Decimal(1 if z > 0 else -1)
        if abs(z) < Decimal("1e-10"):   # (1 − e)/(1 + e) would cancel: the series
            z2 = z * z
            return z * (1 - z2 / 3 + 2 * z2 * z2 / 15 - 17 * z2 * z2 * z2 / 315)
        e = (-2 * abs(z)).exp()
        t = (1 - e) / (1 + e)
        return t if z >= 0 else -t
    if name == "sigmoid":
        if z >= 0:
            return 1 / (1 + (-z).exp())
        e = z.exp()
        return e / (1 + e)
    if name == "relu":
        return z if z > 0 else Decimal(0)
    if name == "leaky_relu":
        return z if z > 0 else leak * z
    return z


class ExactLoss:
    """The mean loss of float64 numbers in decimal arithmetic; each sample's
    hidden values are kept so that moving W₃ or b₃ (or W₂, b₂) does not
    evaluate the layers below again."""

    def __init__(self, xs, ys, spec):
        self.samples = [(Decimal(float(x)), Decimal(float(y))) for x, y in zip(xs, ys)]
        self.spec, self.leak = spec, Decimal(spec.leak)
        self.half = spec.loss == "half-squared"

    def __call__(self, p, moved=None, cache=None):
        """(mean loss, signs of z₁ and z₂ per sample, scale of ŷ and y)."""
        a1, a2 = self.spec.activation1, self.spec.activation2
        total, signs, scale = Decimal(0), [], Decimal(0)
        for i, (x, y) in enumerate(self.samples):
            if cache is not None and moved in ("W3", "b3", "W2", "b2"):
                z1, h1, z2, h2 = cache[i]
            else:
                z1 = p["W1"] * x + p["b1"]
                h1 = _exact_activation(a1, z1, self.leak)
                z2 = h2 = None
            if z2 is None or moved in ("W2", "b2"):
                z2 = p["W2"] * h1 + p["b2"]
                h2 = _exact_activation(a2, z2, self.leak)
            if cache is not None and moved is None:
                cache.append((z1, h1, z2, h2))
            yhat = p["W3"] * h2 + p["b3"]
            err = yhat - y
            total += err * err / 2 if self.half else err * err
            signs.append((z1 > 0, z2 > 0))
            scale = max(scale, abs(yhat) + abs(y))
        return total / len(self.samples), signs, scale


def exact_gradient(params, xs, ys, spec):
    """(exact mean loss, {parameter: central difference}, {parameter: its
    noise}); a parameter whose step moves some z across a kink is left out."""
    with localcontext(DECIMAL):
        loss = ExactLoss(xs, ys, spec)
        p = {q: Decimal(params[q]) for q in PARAMS}
        cache = []
        centre, signs, scale = loss(p, None, cache)
        out, noise = {}, {}
        for q in PARAMS:
            h = STEP * max(Decimal(1), abs(p[q]))
            up, up_signs, _ = loss({**p, q: p[q] + h}, q, cache)
            down, down_signs, _ = loss({**p, q: p[q] - h}, q, cache)
            if up_signs != signs or down_signs != signs:
                continue
            out[q] = float((up - down) / (2 * h))
            noise[q] = float(Decimal("1e-62") * (1 + scale * scale) / h)
        return float(centre), out, noise


def assert_gradients_agree(params, xs, ys, spec, loss, grads, where=""):
    """The engine's loss and gradient at ``params`` on the samples against the
    exact loss and its central difference, within the float64 noise of this
    state (four times the bound of :func:`float_terms`) and the decimal
    difference's own."""
    terms, ambiguous = float_terms(params, xs, ys, spec)
    exact_loss, central, noise = exact_gradient(params, xs, ys, spec)
    assert abs(loss - exact_loss) <= 4 * terms["L"].e, (where, loss, exact_loss, terms["L"].e)
    checked = 0
    for q in PARAMS:
        if q in ambiguous or q not in central:
            continue
        g = grads[f"dL/d{q}"]
        tolerance = 4 * terms[f"dL/d{q}"].e + noise[q]
        assert abs(g - central[q]) <= tolerance, (where, q, g, central[q], tolerance)
        checked += 1
    return checked


# --- the update, by hand -------------------------------------------------------------

def _norm(values):
    """‖g‖ without overflow in the squares (inf only where the norm itself is)."""
    top = max(abs(v) for v in values)
    if top == 0.0 or not math.isfinite(top):
        return top
    return top * math.sqrt(sum((v / top) * (v / top) for v in values))


def hand_update(params, grads, state, spec, alpha):
    """One update from the definitions.  Returns ({quantity: value} of the
    update's intermediate values, next parameters, next optimizer state)."""
    terms = {}
    g = {p: grads[f"dL/d{p}"] for p in PARAMS}
    c = spec.clip_c
    if spec.clip == "value":
        g = {p: min(max(v, -c), c) for p, v in g.items()}
    elif spec.clip == "norm":
        norm = terms["grad_norm"] = _norm(g.values())
        g = {p: v * (c / norm) if norm > c else v for p, v in g.items()}
    if spec.clip:
        terms.update((f"g_{p}", v) for p, v in g.items())
    t = state.get("t", 0.0)
    lr = alpha
    if spec.schedule == "step":
        lr = terms["lr"] = alpha * spec.decay ** (t // spec.decay_every)
    elif spec.schedule == "exp":
        lr = terms["lr"] = alpha * spec.decay ** t
    new_state = {}
    if spec.optimizer == "adam" or spec.schedule != "constant":
        t = new_state["t"] = terms["t_next"] = t + 1
    new = {}
    for p in PARAMS:
        if spec.optimizer == "sgd":
            new[p] = params[p] - lr * g[p]
        elif spec.optimizer == "momentum":
            v = new_state[f"v_{p}"] = spec.momentum * state.get(f"v_{p}", 0.0) + g[p]
            new[p] = params[p] - lr * v
        elif spec.optimizer == "rmsprop":
            s = new_state[f"s_{p}"] = spec.rho * state.get(f"s_{p}", 0.0) + (1 - spec.rho) * (g[p] * g[p])
            new[p] = params[p] - lr * g[p] / (math.sqrt(s) + spec.eps)
        else:
            m = new_state[f"m_{p}"] = spec.beta1 * state.get(f"m_{p}", 0.0) + (1 - spec.beta1) * g[p]
            v = new_state[f"v_{p}"] = spec.beta2 * state.get(f"v_{p}", 0.0) + (1 - spec.beta2) * (g[p] * g[p])
            mhat = terms[f"mhat_{p}"] = m / (1 - spec.beta1 ** t)
            vhat = terms[f"vhat_{p}"] = v / (1 - spec.beta2 ** t)
            new[p] = params[p] - lr * mhat / (math.sqrt(vhat) + spec.eps)
    terms.update((f"{name}_next", v) for name, v in new_state.items() if name != "t")
    terms.update((f"{p}_next", v) for p, v in new.items())
    return terms, new, new_state


def state_names(spec):
    """The optimizer state a history row keeps, as the README lists it."""
    prefixes = {"sgd": (), "momentum": ("v",), "rmsprop": ("s",), "adam": ("m", "v")}[spec.optimizer]
    names = [f"{prefix}_{p}" for prefix in prefixes for p in PARAMS]
    if spec.optimizer == "adam" or spec.schedule != "constant":
        names.append("t")
    return names


def hand_batch(n, batch_size, step, seed):
    """The samples of update ``step``, from the README's rule."""
    if batch_size is None or batch_size >= n:
        return list(range(n))
    per_epoch = -(-n // batch_size)
    epoch, k = divmod(step, per_epoch)
    order = list(range(n)) if seed is None else np.random.default_rng((seed, epoch)).permutation(n).tolist()
    return order[k * batch_size: (k + 1) * batch_size]


def _close(a, b, scale):
    return abs(a - b) <= 1e-12 * scale + 1e-300


# --- strategies --------------------------------------------------------------------

def _finite(low, high, **kwargs):
    return st.floats(low, high, allow_nan=False, allow_infinity=False, **kwargs)


def _scaled(low, high):
    """Any finite float of [low, high], with every order of magnitude as likely
    (the tiny and the huge are where float64 breaks), and the ends themselves."""
    top = max(abs(low), abs(high))
    magnitudes = st.builds(lambda mantissa, exponent: mantissa * 10.0 ** exponent,
                           _finite(-9.5, 9.5), st.integers(-323, int(math.log10(top))))
    return st.one_of(_finite(low, high), st.sampled_from([low, high]),
                     magnitudes.filter(lambda v: low <= v <= high))


VALUE = _scaled(LOW, HIGH)
# The numbers of a Spec are constants of its compiled code: a new number costs a compilation
# (tens of ms), so most come from a few telling values (the ends of the range and the
# defaults) and the rest from anywhere in the range.
def _mostly(values, anywhere):
    return st.one_of(st.sampled_from(values), st.sampled_from(values), anywhere)


UNIT_OPEN_HIGH = _mostly([0.0, 0.5, 0.9, 0.999, math.nextafter(1.0, 0.0)],      # μ, ρ, β₁, β₂: [0, 1)
                         _finite(0.0, 1.0, exclude_max=True))
UNIT_OPEN_LOW = _mostly([1e-8, 0.5, 1.0, 5e-324],                              # ε, γ: (0, 1]
                        _scaled(0.0, 1.0).filter(lambda v: v > 0.0))

specs = st.builds(
    Spec,
    activation1=st.sampled_from(ACTIVATIONS), activation2=st.sampled_from(ACTIVATIONS),
    leak=_mostly([0.0, 0.01, 1.0], _finite(0.0, 1.0)), loss=st.sampled_from(("squared", "half-squared")),
    optimizer=st.sampled_from(OPTIMIZERS), momentum=UNIT_OPEN_HIGH, rho=UNIT_OPEN_HIGH,
    beta1=UNIT_OPEN_HIGH, beta2=UNIT_OPEN_HIGH, eps=UNIT_OPEN_LOW,
    schedule=st.sampled_from(SCHEDULES), decay=UNIT_OPEN_LOW,
    decay_every=st.one_of(st.integers(1, 4), st.integers(1, EVERY_HIGH)),
    clip=st.sampled_from(CLIPS), clip_c=_mostly([1.0, CLIP_HIGH, 5e-324],
                                                _scaled(0.0, CLIP_HIGH).filter(lambda v: v > 0.0)))
parameters = st.fixed_dictionaries({p: VALUE for p in PARAMS})


@st.composite
def samples(draw, values=VALUE):
    """(x, y, batch_size, shuffle_seed): one sample as numbers, or a dataset."""
    n = draw(st.integers(1, 6))
    xs = draw(st.lists(values, min_size=n, max_size=n))
    ys = draw(st.lists(values, min_size=n, max_size=n))
    if n == 1 and draw(st.booleans()):
        return xs[0], ys[0], None, None
    batch_size = draw(st.none() | st.integers(1, n + 1))
    seed = draw(st.none() | st.integers(0, 2 ** 32))
    return xs, ys, batch_size, seed


@st.composite
def given_states(draw, spec):
    """None (the state before a first update) or a starting state within the
    accepted values: finite, s and Adam's v not negative, t a whole number."""
    if not draw(st.booleans()):
        return None
    state = {}
    for name in state_names(spec):
        if name == "t":
            state[name] = float(draw(st.integers(0, 10) | st.integers(0, COUNT_HIGH)))
        elif name.startswith("s_") or (name.startswith("v_") and spec.optimizer == "adam"):
            state[name] = draw(_scaled(0.0, 1.7e308))
        else:
            state[name] = draw(_scaled(-1.7e308, 1.7e308))
    return state


# Large numbers and a large α: where training diverges.
HOT = _finite(1.0, HIGH).flatmap(lambda v: st.sampled_from([v, -v]))


@st.composite
def training_cases(draw):
    """Every field of a Spec, the samples, α and a given state; half of the
    cases with large numbers and a large α, where training diverges."""
    spec = draw(specs)
    hot = draw(st.booleans())
    x, y, batch_size, seed = draw(samples(HOT if hot else VALUE))
    params = draw(st.fixed_dictionaries({p: HOT if hot else VALUE for p in PARAMS}))
    alpha = draw(_finite(1.0, ALPHA_HIGH) if hot else _scaled(0.0, ALPHA_HIGH))
    return dict(params=params, x=x, y=y, alpha=alpha, spec=spec, state=draw(given_states(spec)),
                batch_size=batch_size, shuffle_seed=seed, steps=draw(st.integers(1, 20)))


def _arrays(case):
    return tuple(np.atleast_1d(np.asarray(case[v], dtype=float)) for v in ("x", "y"))


def _trainer(case):
    return Trainer(dict(case["params"]), case["x"], case["y"], case["alpha"], spec=case["spec"],
                   state=case["state"], batch_size=case["batch_size"], shuffle_seed=case["shuffle_seed"])


def _row(trainer, k):
    return dict(zip(trainer.row, trainer.history.row(k).tolist()))


def _batch(case, k):
    xs, ys = _arrays(case)
    index = hand_batch(len(xs), case["batch_size"], k, case["shuffle_seed"])
    return xs[index], ys[index]


def _first_update_overflows(case):
    """By hand: the first update, or the look-ahead of its new state, is not
    finite, or close enough to overflow that rounding may tip it over."""
    xs, ys = _batch(case, 0)
    spec, params = case["spec"], case["params"]
    grads = {g: float_terms(params, xs, ys, spec)[0][g].v for g in GRADIENTS}
    terms, new, state = hand_update(params, grads, case["state"] or {}, spec, case["alpha"])
    after = float_terms(new, xs, ys, spec)[0]
    values = list(terms.values()) + [after["yhat"].v, after["L"].v]
    return not all(math.isfinite(v) and abs(v) < 1e300 for v in values)


def assert_divergence_by_hand(case, trainer, divergence):
    """The quantity a Divergence names is, by hand, not finite (or so close to
    overflow that rounding decides): in the update from the last kept state
    (with its look-ahead), in the new parameters' forward pass on that
    update's samples, or in the rejected state on the samples of its own update."""
    spec, k = case["spec"], len(trainer) - 1
    row = _row(trainer, k)
    update, new, _ = hand_update(row, row, {n: row[n] for n in state_names(spec)}, spec, case["alpha"])
    look = {n: f.v for n, f in float_terms(new, *_batch(case, k), spec)[0].items()}
    update.update(yhat_next=look["yhat"], L_next=look["L"])
    rejected = {n: f.v for n, f in float_terms(new, *_batch(case, k + 1), spec)[0].items()}
    q = divergence.quantity
    value = update[q] if q in update else look[q] if not math.isfinite(look[q]) else rejected[q]
    assert not math.isfinite(value) or abs(value) > 1e300, (q, value)


def assert_clean_divergence(trainer, divergence, steps):
    """Stopped at the first non-finite value, said where, kept the last
    finite state; training further does nothing."""
    assert isinstance(divergence, Divergence) and trainer.divergence == divergence
    assert 1 <= divergence.step <= steps and divergence.step == len(trainer)
    assert not math.isfinite(divergence.value)
    named = {t.id: t for t in trainer.derivation(-1)}
    assert divergence.quantity in set(named) | set(trainer.row)
    if divergence.quantity in named:
        assert divergence.symbol == named[divergence.quantity].symbol
    assert f"step {divergence.step}" in divergence.message and divergence.symbol in divergence.message
    before = trainer.history.rows()
    assert np.isfinite(before).all()
    assert trainer.run(3) == divergence and trainer.step() == divergence
    assert np.array_equal(trainer.history.rows(), before)


# --- training ---------------------------------------------------------------------------

@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=training_cases())
# What this test found, kept: a batch whose per-sample values overflow (the mean of +inf
# and −inf warned); a mini-batch update whose look-ahead L′ overflowed while the next
# batch's loss did not (the state was kept, L′ = inf shown); a given velocity that throws
# W₁ where z₁ = W₁·x overflows under tanh (kept: the row does not show z₁).
@example(case=dict(params={"W1": 1.0, "b1": 1.0, "W2": 1.0, "b2": -608.0, "W3": -2.0, "b3": 1.0},
                   x=[1.0, -1.0, 1.0], y=[1.0, 193.0, -597.0], alpha=28.0,
                   spec=Spec("tanh", "leaky_relu", leak=0.15625), state=None, batch_size=None,
                   shuffle_seed=None, steps=3))
@example(case=dict(params={"W1": 1.0, "b1": 1.0, "W2": 1.0, "b2": 1.0, "W3": 1.0, "b3": 9.0},
                   x=[-1.0, -1.0, -1.0, -1.0, 297.0, 1.0], y=[1.0] * 6, alpha=1.0,
                   spec=Spec("leaky_relu", "relu", leak=1.0), state=None, batch_size=4,
                   shuffle_seed=None, steps=4))
@example(case=dict(params={"W1": 0.5, "b1": 0.1, "W2": 0.8, "b2": -0.2, "W3": 1.2, "b3": 0.3},
                   x=1000.0, y=4.0, alpha=1.0, spec=Spec(optimizer="momentum", momentum=0.5),
                   state={"v_W1": 2e306}, batch_size=None, shuffle_seed=None, steps=3))
def test_training_is_finite_and_right_or_stops_cleanly(case):
    note(repr(case))
    try:
        trainer = _trainer(case)
    except InputError as error:
        # Every input is within its range: only a first update that overflows
        # (from the parameters, α and the given optimizer state) is refused.
        assert _first_update_overflows(case), error
        return
    spec = case["spec"]
    divergence = trainer.run(case["steps"])
    rows = trainer.history.rows()
    width = len(PARAMS) + 1 + len(GRADIENTS)     # the parameters, L, the gradient; the state
    assert rows.shape == (len(trainer), width + len(state_names(spec)))
    assert list(trainer.row[width:]) == state_names(spec)
    assert np.isfinite(rows).all()
    first = _row(trainer, 0)
    assert all(first[p] == case["params"][p] for p in PARAMS)
    assert all(first[n] == (case["state"] or {}).get(n, 0.0) for n in state_names(spec))
    if divergence is None:
        assert len(trainer) == case["steps"] + 1 and trainer.divergence is None
    else:
        assert_clean_divergence(trainer, divergence, case["steps"])
        assert_divergence_by_hand(case, trainer, divergence)
    last = len(trainer) - 1
    # Every value of every kept state is finite, and so is every value of the
    # update from it to the next kept state: the run stopped at the first
    # non-finite value, not later.
    for k in range(len(trainer)):
        for term in trainer.derivation(k):
            if k < last or term.layer != "update":
                assert math.isfinite(term.value), (k, term.id, term.value)
    # The loss and gradient recorded with a state are those of the update's
    # batch, and agree with the exact central difference.
    picked = sorted({0, last // 2, last})
    for k in picked:
        row = _row(trainer, k)
        xs, ys = _batch(case, k)
        assert_gradients_agree(row, xs, ys, spec, row["L"], row, where=k)
    # Each kept update is the optimizer's definition applied to the recorded
    # gradient and state.
    for k in sorted({0, last - 1}) if last else ():
        row, after = _row(trainer, k), _row(trainer, k + 1)
        state = {n: row[n] for n in state_names(spec)}
        terms, new, new_state = hand_update(row, row, state, spec, case["alpha"])
        for p in PARAMS:
            scale = abs(row[p]) + abs(row[p] - new[p]) * 4
            assert _close(after[p], new[p], scale), (k, p, after[p], new[p])
        for name, value in new_state.items():
            assert _close(after[name], value, abs(value) + abs(row[name])), (k, name)


@settings(max_examples=40, deadline=None)
@given(params=parameters, sample=samples(), ratio=_finite(0.01, 2.0), clip=st.sampled_from(["value", "norm"]),
       optimizer=st.sampled_from(OPTIMIZERS))
def test_clipping_acts_exactly_where_the_gradient_exceeds_c(params, sample, ratio, clip, optimizer):
    # c is drawn relative to this state's gradient, so that both sides of the threshold,
    # and the threshold itself, are reached.
    x, y, _, _ = sample
    grads = {g: derive(params, x, y, 0.01).value(g) for g in GRADIENTS}
    size = _norm(grads.values()) if clip == "norm" else max(abs(v) for v in grads.values())
    c = ratio * size
    if not 0.0 < c <= CLIP_HIGH:
        return
    derivation = derive(params, x, y, 0.01, Spec(optimizer=optimizer, clip=clip, clip_c=c))
    assert {g: derivation.value(g) for g in GRADIENTS} == grads
    hand, _, _ = hand_update(params, grads, {}, Spec(clip=clip, clip_c=c), 0.01)
    for p in PARAMS:
        clipped = derivation.value(f"g_{p}")
        assert abs(clipped - hand[f"g_{p}"]) <= 4 * U * abs(hand[f"g_{p}"]), (p, clipped, hand[f"g_{p}"])
        assert abs(clipped) <= c * (1 + 4 * U)
        if ratio > 1 + 1e-9:       # below the threshold: the gradient itself
            assert clipped == grads[f"dL/d{p}"]
    if clip == "norm":
        length = _norm([derivation.value(f"g_{p}") for p in PARAMS])
        assert abs(length - min(c, size)) <= 8 * U * min(c, size), (length, c, size)


# --- refused input --------------------------------------------------------------------

def _outside(draw, low, high, closed_low=True, closed_high=True):
    """A value just outside [low, high] (or the open end itself), far outside, or not finite."""
    choices = [math.nextafter(low, -INF) if closed_low else low,
               math.nextafter(high, INF) if closed_high else high,
               low - abs(low) - 1.0, high + abs(high) + 1.0, math.nan, INF, -INF]
    return draw(st.sampled_from(choices))


SPEC_RANGES = {"leak": (0.0, 1.0, True, True), "momentum": (0.0, 1.0, True, False),
               "rho": (0.0, 1.0, True, False), "beta1": (0.0, 1.0, True, False),
               "beta2": (0.0, 1.0, True, False), "eps": (0.0, 1.0, False, True),
               "decay": (0.0, 1.0, False, True), "clip_c": (0.0, CLIP_HIGH, False, True)}
BASE = dict(params={"W1": 0.5, "b1": 0.1, "W2": 0.8, "b2": -0.2, "W3": 1.2, "b3": 0.3},
            x=2.0, y=4.0, alpha=0.01)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_input_just_outside_the_ranges_is_refused(data):
    field = data.draw(st.sampled_from(
        PARAMS + ("x", "y", "alpha", "sample") + tuple(SPEC_RANGES) + ("decay_every",)))
    params, x, y, alpha = dict(BASE["params"]), BASE["x"], BASE["y"], BASE["alpha"]
    spec = {}
    if field in PARAMS:
        params[field] = _outside(data.draw, LOW, HIGH)
    elif field in ("x", "y"):
        value = _outside(data.draw, LOW, HIGH)
        x, y = (value, y) if field == "x" else (x, value)
    elif field == "sample":                  # one bad sample of a dataset
        field = data.draw(st.sampled_from(("x", "y")))
        values = [0.5, -1.0, 2.0]
        values[data.draw(st.integers(0, 2))] = _outside(data.draw, LOW, HIGH)
        x, y = (values, [1.0, 2.0, 3.0]) if field == "x" else ([1.0, 2.0, 3.0], values)
    elif field == "alpha":
        alpha = _outside(data.draw, 0.0, ALPHA_HIGH)
    elif field == "decay_every":
        spec[field] = data.draw(st.sampled_from([0, -1, EVERY_HIGH + 1, 2.5, True, "3"]))
    else:
        spec[field] = _outside(data.draw, *SPEC_RANGES[field])
    with pytest.raises(InputError) as caught:
        Trainer(params, x, y, alpha, spec=Spec(**spec))
    assert caught.value.name == field


@settings(max_examples=40, deadline=None)
@given(spec=specs, data=st.data())
def test_a_bad_optimizer_state_batch_or_seed_is_refused(spec, data):
    names = state_names(spec)
    choices = ["batch_size", "shuffle_seed", "unknown"] + names
    field = data.draw(st.sampled_from(choices))
    kwargs = {}
    if field == "batch_size":
        kwargs[field] = data.draw(st.sampled_from([0, -3, 1.5, True]))
    elif field == "shuffle_seed":
        kwargs[field] = data.draw(st.sampled_from([-1, 0.5, False]))
    elif field == "unknown":
        field = data.draw(st.sampled_from(["m_W1", "s_b2", "v_W3", "t"]).filter(lambda n: n not in names))
        kwargs["state"] = {field: 0.0}
    elif field == "t":
        kwargs["state"] = {"t": data.draw(st.sampled_from([-1.0, 0.5, float(COUNT_HIGH + 2), math.nan]))}
    elif field.startswith("s_") or (field.startswith("v_") and spec.optimizer == "adam"):
        kwargs["state"] = {field: data.draw(st.sampled_from([math.nextafter(0.0, -1.0), -1.0, math.nan]))}
    else:
        kwargs["state"] = {field: data.draw(st.sampled_from([math.nan, INF, -INF]))}
    with pytest.raises(InputError) as caught:
        Trainer(dict(BASE["params"]), [1.0, 2.0], [3.0, 4.0], 0.01, spec=spec, **kwargs)
    assert caught.value.name == field


@pytest.mark.parametrize("steps", [-1, 2.5, True, "3", None])
def test_a_bad_number_of_steps_is_refused(steps):
    trainer = Trainer(dict(BASE["params"]), BASE["x"], BASE["y"], BASE["alpha"])
    with pytest.raises(InputError) as caught:
        trainer.run(steps)
    assert caught.value.name == "steps" and len(trainer) == 1
    assert trainer.run(np.int64(2)) is None and len(trainer) == 3


def test_the_ends_of_every_range_are_accepted():
    ends = [dict(params={p: v for p in PARAMS}, x=v, y=-v, alpha=a) for v in (LOW, HIGH)
            for a in (0.0, ALPHA_HIGH)]
    spec_ends = [Spec(leak=0.0, momentum=0.0, rho=0.0, beta1=0.0, beta2=0.0, eps=1.0, decay=1.0,
                      decay_every=1, clip="value", clip_c=CLIP_HIGH),
                 Spec(leak=1.0, eps=5e-324, decay=5e-324, decay_every=EVERY_HIGH, clip="norm",
                      clip_c=5e-324, momentum=math.nextafter(1.0, 0.0),
                      rho=math.nextafter(1.0, 0.0), beta1=math.nextafter(1.0, 0.0),
                      beta2=math.nextafter(1.0, 0.0))]
    for case in ends:
        for spec in spec_ends:
            for optimizer in OPTIMIZERS:
                trainer = Trainer(case["params"], case["x"], case["y"], case["alpha"],
                                  spec=Spec(**{**spec.as_dict(), "optimizer": optimizer}),
                                  state={"t": float(COUNT_HIGH)} if optimizer == "adam" else None)
                assert np.isfinite(trainer.history.rows()).all()


# --- derive and evaluate ---------------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, params=parameters, sample=samples(), alpha=_finite(0.0, ALPHA_HIGH))
def test_derive_is_evaluate_and_the_chain_rule(spec, params, sample, alpha):
    x, y, _, _ = sample
    xs, ys = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
    derivation = derive(params, x, y, alpha, spec)
    values = evaluate(params, x, y, alpha, spec)
    assert derivation.n_samples == len(xs)
    ids = [t.id for t in derivation]
    for q in PARAMS:      # the chain rule's order: the forward pass, then layers 3, 2, 1, the update
        assert ids.index("L") < ids.index("dL/dW3") < ids.index("dL/dW2") < ids.index("dL/dW1") \
            < ids.index(f"{q}_next") < ids.index("L_next")
    for term in derivation:
        raw = values[term.id.replace("/", "_")]
        with np.errstate(all="ignore"):
            expected = float(np.mean(raw)) if np.ndim(raw) else float(raw)
        if math.isfinite(expected):
            assert term.value == expected, term.id
        if term.samples is not None:
            assert len(term.samples) == len(xs)
    # Within the ranges, from the state before a first update, every value is finite
    # unless the first update itself overflows (checked by hand).
    case = dict(params=params, x=x, y=y, alpha=alpha, spec=spec, state=None, batch_size=None,
                shuffle_seed=None)
    if derivation.first_non_finite() is not None:
        assert _first_update_overflows(case)
        assert derivation.first_non_finite().layer == "update"
    terms, _ = float_terms(params, xs, ys, spec)
    for name in ("z1", "h1", "z2", "h2", "yhat"):
        assert abs(derivation.value(name) - terms[name].v) <= 4 * terms[name].e, name
    assert_gradients_agree(params, xs, ys, spec, derivation.value("L"),
                           {g: derivation.value(g) for g in GRADIENTS})
    # values_function, whose L the gradient check differentiates, gives the same L.
    assert values_function(x, y, alpha, terms_for(spec))(params)["L"] == derivation.value("L")


def test_derive_shows_the_mean_of_huge_or_infinite_sample_values_without_warnings():
    # States training reaches may be far outside the ranges.  Two samples whose z₁ is
    # 1.5·10³⁰⁸ each have that mean, though their sum overflows; z₁ of +inf and −inf has
    # none (NaN), and numpy must not warn about it (pytest turns warnings into errors).
    params = {"W1": 1.5e305, "b1": 0.0, "W2": 1.0, "b2": 0.0, "W3": 1.0, "b3": 0.0}
    assert derive(params, [1000.0, 1000.0], [0.0, 0.0], 0.01)["z1"].value == 1.5e305 * 1000.0
    derivation = derive({**params, "W1": 1e306}, [1000.0, -1000.0], [0.0, 0.0], 0.01)
    assert math.isnan(derivation["z1"].value) and derivation["z1"].samples == (INF, -INF)
    assert derivation["h1"].value == 0.0 and math.isfinite(derivation["L"].value)


# --- the gradient check ----------------------------------------------------------------------

def _exact_loss_and_signs(params, xs, ys, spec):
    with localcontext(DECIMAL):
        return ExactLoss(xs, ys, spec)({q: Decimal(params[q]) for q in PARAMS})[:2]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, params=parameters | st.fixed_dictionaries({p: _scaled(-1e300, 1e300) for p in PARAMS}),
       sample=samples(), alpha=_scaled(0.0, ALPHA_HIGH))
def test_gradient_check_is_a_central_difference_and_flags_only_what_is_off(spec, params, sample, alpha):
    # Parameters far outside the ranges too: the window checks every state training reaches.
    x, y, _, _ = sample
    xs, ys = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
    checks = check_gradients(params, x, y, alpha, spec)
    derivation = derive(params, x, y, alpha, spec)
    terms, ambiguous = float_terms(params, xs, ys, spec)
    _, central, _ = exact_gradient(params, xs, ys, spec)
    assert [c.param for c in checks] == list(PARAMS)
    for c in checks:
        assert c.analytic == derivation.value(f"dL/d{c.param}") or math.isnan(c.analytic)
        # The numeric value is (L(θ + s) − L(θ − s)) / 2s with s = 10⁻⁶·max(1, |θ|): the
        # exact difference quotient at the same two float64 points, within their rounding.
        s = 1e-6 * max(1.0, abs(params[c.param]))
        points = [{**params, c.param: params[c.param] + sign * s} for sign in (1.0, -1.0)]
        (up, up_signs), (down, down_signs) = (_exact_loss_and_signs(point, xs, ys, spec) for point in points)
        with localcontext(DECIMAL):
            quotient = float((up - down) / (2 * Decimal(s)))
        probes = [float_terms(point, xs, ys, spec)[0]["L"] for point in points]
        if not all(abs(probe.v) < 1e300 for probe in probes):
            # The loss overflows within the step (or nearly): no quotient, no finding.
            if not all(math.isfinite(probe.v) for probe in probes):
                assert not math.isfinite(c.numeric) and math.isnan(c.relative_error), c
            assert not c.suspect, c
            continue
        rounding = sum(4 * probe.e for probe in probes) / (2 * s)
        assert abs(c.numeric - quotient) <= rounding + 4 * U * abs(quotient), (c, quotient, rounding)
        # A right gradient is never flagged: not for the rounding of the losses, nor for the
        # step's truncation (near a minimum the quotient is off by far more than the gradient
        # is large).  Only a kink of ReLU within the step (or twice the step, which the check
        # may also take) can make the quotient wrong.
        wide = [{**params, c.param: params[c.param] + sign * 2 * s} for sign in (1.0, -1.0)]
        signs = {tuple(_exact_loss_and_signs(point, xs, ys, spec)[1]) for point in wide}
        kinked = len(signs | {tuple(up_signs), tuple(down_signs)}) > 1
        if c.param not in ambiguous and c.param in central and not kinked:
            if abs(c.analytic - central[c.param]) <= 4 * terms[f"dL/d{c.param}"].e:
                assert not c.suspect, (c, central[c.param], rounding)


@pytest.mark.parametrize("params, x, y, spec", [
    # The reference's example trained to a fit (L ≈ 10⁻³⁰): the gradient is 10⁻¹⁶, the
    # quotient's truncation 10⁻¹⁴.  (It was flagged for W₁, b₁, W₂, b₂.)
    (None, 2.0, 4.0, Spec()),
    # ŷ = x = 1000 one ulp from y: a step moves ŷ − y from 10⁻¹³ to 10⁻³, where the rounding
    # of ŷ is a quarter of the difference.  (It was flagged for W₁, W₂, W₃.)
    ({"W1": 1.0, "b1": 0.0, "W2": 1.0, "b2": 0.0, "W3": 1.0, "b3": 0.0}, 1000.0,
     math.nextafter(1000.0, 0.0), Spec("linear", "linear")),
])
def test_gradient_check_does_not_flag_a_right_gradient_at_a_fit(params, x, y, spec):
    if params is None:
        trainer = Trainer(dict(BASE["params"]), x, y, 0.05, spec=spec)
        assert trainer.run(3000) is None
        params = trainer.params()
    xs, ys = np.array([x]), np.array([y])
    terms, _ = float_terms(params, xs, ys, spec)
    _, central, _ = exact_gradient(params, xs, ys, spec)
    for c in check_gradients(params, x, y, 0.05, spec):
        assert abs(c.analytic - central[c.param]) <= 4 * terms[f"dL/d{c.param}"].e   # right
        assert not c.suspect, c


# --- the loss landscape -------------------------------------------------------------------

ranges = st.tuples(VALUE, VALUE).filter(lambda ends: ends[0] != ends[1]).map(lambda ends: tuple(sorted(ends)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, params=parameters, sample=samples(), pair=st.permutations(PARAMS),
       range1=ranges, range2=ranges, size=st.integers(2, 12), data=st.data())
def test_landscape_grid_is_the_exact_loss(spec, params, sample, pair, range1, range2, size, data):
    x, y, _, _ = sample
    p1, p2 = pair[:2]
    xs, ys = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
    values1, values2, L = grid(params, x, y, p1, p2, range1, range2, size=size, spec=spec)
    assert values1.shape == values2.shape == (size,) and L.shape == (size, size)
    assert (values1[0], values1[-1], values2[0], values2[-1]) == (*range1, *range2)
    assert np.all(np.diff(values1) >= 0) and np.all(np.diff(values2) >= 0)
    assert np.isfinite(L).all() and (L >= 0).all()
    for _ in range(3):
        i, j = data.draw(st.integers(0, size - 1)), data.draw(st.integers(0, size - 1))
        at = {**params, p1: float(values1[j]), p2: float(values2[i])}
        terms, _ = float_terms(at, xs, ys, spec)
        with localcontext(DECIMAL):
            exact = float(ExactLoss(xs, ys, spec)({q: Decimal(at[q]) for q in PARAMS})[0])
        assert abs(L[i, j] - exact) <= 4 * terms["L"].e, (i, j, L[i, j], exact)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_landscape_refuses_what_is_outside_the_ranges(data):
    params, x, y = dict(BASE["params"]), [1.0, 2.0], [0.0, 1.0]
    kind = data.draw(st.sampled_from(["param", "range", "reversed", "size", "same", "unknown"]))
    args = dict(p1="W1", p2="b3", range1=(-1.0, 1.0), range2=(-2.0, 2.0), size=5)
    name = None
    if kind == "param":
        name = data.draw(st.sampled_from(PARAMS))
        params[name] = _outside(data.draw, LOW, HIGH)
    elif kind == "range":
        name = "W1"
        args["range1"] = (data.draw(st.sampled_from([-1.0, _outside(data.draw, LOW, HIGH)])),
                          _outside(data.draw, LOW, HIGH))
    elif kind == "reversed":
        name, args["range1"] = "W1", (1.0, data.draw(st.sampled_from([1.0, 0.5, -1000.0])))
    elif kind == "size":
        name, args["size"] = "size", data.draw(st.sampled_from([1, 0, -5, 2001, 2.0, True]))
    elif kind == "same":
        name, args["p2"] = "p2", "W1"
    else:
        name, args["p1"] = "p1", data.draw(st.sampled_from(["w1", "x", "", "alpha"]))
    with pytest.raises(InputError) as caught:
        grid(params, x, y, **args)
    assert caught.value.name == name


# --- compare and init ------------------------------------------------------------------

@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_a=specs, spec_b=specs, params=parameters, sample=samples(), alpha=_finite(0.0, ALPHA_HIGH))
def test_compare_is_both_chain_rules_side_by_side(spec_a, spec_b, params, sample, alpha):
    x, y, _, _ = sample
    xs, ys = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
    rows = compare(params, x, y, alpha, spec_a, spec_b)
    assert [r.id for r in rows] == list(GRADIENTS) + ["dh2/dz2", "dh1/dz1"]
    hand = [float_terms(params, xs, ys, spec) for spec in (spec_a, spec_b)]
    for row in rows:
        for value, (terms, ambiguous) in zip((row.a, row.b), hand):
            assert math.isfinite(value)
            q = row.id[4:] if row.id in GRADIENTS else ("W2" if row.id == "dh2/dz2" else "W1")
            if q not in ambiguous:
                assert abs(value - terms[row.id].v) <= 4 * terms[row.id].e, (row.id, value)
        if row.a != 0:
            assert row.ratio == row.b / row.a
        else:
            assert math.isnan(row.ratio) if row.b == 0 else math.isinf(row.ratio)


@settings(max_examples=40, deadline=None)
@given(scheme=st.sampled_from(("xavier", "he", "zeros")), seed=st.integers(0, 2 ** 64),
       x=VALUE, y=VALUE, spec=specs)
def test_init_gives_a_valid_reproducible_start(scheme, seed, x, y, spec):
    params = initialize(scheme, seed)
    assert list(params) == list(PARAMS) and params == initialize(scheme, seed)
    assert all(type(v) is float and LOW <= v <= HIGH for v in params.values())
    assert params["b1"] == params["b2"] == params["b3"] == 0.0
    if scheme == "zeros":
        assert all(v == 0.0 for v in params.values())
    case = dict(params=params, x=x, y=y, alpha=0.01, spec=spec, state=None, batch_size=None,
                shuffle_seed=None)
    try:
        trainer = _trainer(case)
    except InputError:
        assert _first_update_overflows(case)
        return
    divergence = trainer.run(3)
    assert np.isfinite(trainer.history.rows()).all()
    if divergence is not None:
        assert_clean_divergence(trainer, divergence, 3)


@settings(max_examples=20, deadline=None)
@given(scheme=st.sampled_from(("xavier", "he", "zeros", "glorot", "", None)),
       seed=st.sampled_from([-1, -(2 ** 70), 1.5, True, "7", None]))
def test_init_refuses_a_bad_scheme_or_seed(scheme, seed):
    with pytest.raises(InputError) as caught:
        initialize(scheme, seed)
    assert caught.value.name == ("seed" if scheme in ("xavier", "he", "zeros") else "scheme")


# --- CSV ---------------------------------------------------------------------------------

def _same_float(text, value):
    """The text reads back as the identical float64 (a NaN as a NaN: its sign means nothing)."""
    if math.isnan(value):
        return math.isnan(float(text))
    return np.float64(float(text)).tobytes() == np.float64(value).tobytes()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=training_cases())
def test_csv_writers_round_trip_every_float(case):
    try:
        trainer = _trainer(case)
    except InputError:
        return
    trainer.run(case["steps"])
    steps = list(range(len(trainer)))
    stream = io.StringIO()
    csvio.write_derivations(stream, ((k, trainer.derivation(k)) for k in steps))
    rows = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    assert rows[0] == ["step", "layer", "quantity", "symbol", "formula", "substitution", "value",
                       "numerical", "relative_error"]
    expected = [(k, term) for k in steps for term in trainer.derivation(k)]
    assert len(rows) == 1 + len(expected)
    for row, (k, term) in zip(rows[1:], expected):
        assert row[:3] == [str(k), term.layer, term.id] and row[3:6] == [term.symbol, term.formula,
                                                                         term.substitution]
        assert _same_float(row[6], term.value), (row, term.value)
    stream = io.StringIO()
    csvio.write_history(stream, trainer.history)
    rows = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    names = ["W1", "b1", "W2", "b2", "W3", "b3", "loss", *GRADIENTS, *state_names(case["spec"])]
    assert rows[0] == ["step", *names]
    assert len(rows) == 1 + len(trainer)
    for k, row in enumerate(rows[1:]):
        recorded = _row(trainer, k)
        assert row[0] == str(k)
        for name, text in zip(names, row[1:]):
            assert _same_float(text, recorded["L" if name == "loss" else name]), (k, name, text)
