"""The derivation of the reference, one term a line, in the reference's order.

Each term is a Python expression over earlier terms: this is the single place
where a formula is written.  The display formula, the substitution, the
compiled training loops and the CSV all come from these lines.

The table depends on a small :class:`Spec`: the activation of each hidden
layer and the loss convention.  ``terms_for(spec)`` writes the table for a
spec; ``TERMS`` is the reference's (tanh, tanh, (ŷ − y)²).
"""

import functools
import math
import numbers
from dataclasses import asdict, dataclass

from . import expr
from .limits import InputError

FORWARD, LAYER3, LAYER2, LAYER1, UPDATE = "forward", "3", "2", "1", "update"
SECTIONS = (FORWARD, LAYER3, LAYER2, LAYER1, UPDATE)

ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")
LOSSES = ("squared", "half-squared")
LEAK_RANGE = (0.0, 1.0)   # leaky ReLU's slope for z <= 0
# How a title or a caption names an activation.
ACTIVATION_NAMES = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU",
                    "leaky_relu": "leaky ReLU", "linear": "linear"}
_SATURATING = ("tanh", "sigmoid")


@dataclass(frozen=True)
class Spec:
    """What the network computes: each hidden layer's activation, leaky
    ReLU's slope and the loss convention.  Frozen and hashable: the term table
    and the compiled code are cached per spec.  A bad value raises InputError
    naming the field."""
    activation1: str = "tanh"
    activation2: str = "tanh"
    leak: float = 0.01
    loss: str = "squared"

    def __post_init__(self):
        for field in ("activation1", "activation2"):
            value = getattr(self, field)
            if not isinstance(value, str) or value not in ACTIVATIONS:
                raise InputError(field, f"unknown activation {value!r}; "
                                        f"choose one of {', '.join(ACTIVATIONS)}")
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise InputError("loss", f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if isinstance(self.leak, bool) or not isinstance(self.leak, numbers.Real):
            raise InputError("leak", f"leaky ReLU's slope must be a number, not {self.leak!r}")
        leak = float(self.leak)
        low, high = LEAK_RANGE
        if not (math.isfinite(leak) and low <= leak <= high):
            raise InputError("leak", f"leaky ReLU's slope must be from {low:g} to {high:g}, "
                                     f"got {self.leak!r}")
        object.__setattr__(self, "leak", leak)

    def as_dict(self):
        return asdict(self)

    def activation(self, layer):
        """The activation of hidden layer 1 or 2."""
        return self.activation1 if layer == 1 else self.activation2

    def label(self, layer):
        """How a section title names a layer's activation: ``leaky ReLU, slope 0.01``."""
        name = self.activation(layer)
        if name == "leaky_relu":
            return f"{ACTIVATION_NAMES[name]}, slope {expr.number(self.leak)}"
        return ACTIVATION_NAMES[name]


DEFAULT_SPEC = Spec()


@dataclass(frozen=True)
class TermDef:
    id: str          # stable ASCII id, the CSV's "quantity"
    source: str      # the Python expression that computes it
    section: str     # forward, 3, 2, 1 or update
    node: str        # the diagram element it belongs to (node, edge or bias)
    mean: bool = False  # averaged over the samples of a batch
    caption: str = ""   # what this link of the chain does, in plain words (the walk-through)

    @property
    def var(self):
        return expr.var(self.id)

    @property
    def symbol(self):
        return expr.symbol(self.id)


def _t(term_id, source, section, node, mean=False, caption=""):
    return TermDef(term_id, source, section, node, mean, caption)


def section_titles(spec=DEFAULT_SPEC):
    """The title of each section, naming the spec's activations."""
    return {
        FORWARD: "Forward pass", LAYER3: "Layer 3 (output)", LAYER2: f"Layer 2 ({spec.label(2)})",
        LAYER1: f"Layer 1 ({spec.label(1)})", UPDATE: "Gradient-descent update",
    }


SECTION_TITLES = section_titles()


# --- the activations -----------------------------------------------------------

def _activation(name, z, leak):
    """The expression of activation ``name`` applied to the expression ``z``."""
    if name == "linear":
        return z if z.isidentifier() else f"({z})"
    if name == "leaky_relu":
        return f"leaky_relu({z}, {leak!r})"
    return f"{name}({z})"


def _derivative(name, h, z, leak):
    """The expression of the activation's derivative, from its output ``h`` or input ``z``."""
    return {
        "tanh": f"1 - {h} ** 2",
        "sigmoid": f"{h} * (1 - {h})",
        "relu": f"step({z})",
        "leaky_relu": f"leaky_step({z}, {leak!r})",
        "linear": "1",
    }[name]


def _h_caption(spec, layer):
    name, n = spec.activation(layer), "₁₂"[layer - 1]
    if layer == 2 and name == spec.activation1:
        if name == "linear":
            return "Layer 2 is linear too: h₂ is z₂ itself."
        return f"Layer 2's activation: {ACTIVATION_NAMES[name]} again."
    return {
        "tanh": f"Layer {layer}'s activation squashes z{n} into (−1, 1) with tanh.",
        "sigmoid": f"Layer {layer}'s activation squashes z{n} into (0, 1) with the sigmoid "
                   f"σ(z) = 1/(1 + e^−z).",
        "relu": f"Layer {layer}'s activation, ReLU, keeps z{n} where it is positive and gives 0 "
                f"elsewhere.",
        "leaky_relu": f"Layer {layer}'s activation, leaky ReLU, keeps z{n} where it is positive "
                      f"and multiplies it by the slope {expr.number(spec.leak)} elsewhere.",
        "linear": f"Layer {layer} has a linear activation: h{n} is z{n} itself.",
    }[name]


def _dh2_caption(spec):
    leak = expr.number(spec.leak)
    return {
        "tanh": "Step 4, the key step: through tanh. Its derivative is 1 − h₂²; near ±1 it is "
                "near 0 and the signal fades.",
        "sigmoid": "Step 4, the key step: through σ. Its derivative is h₂(1 − h₂), at most 0.25; "
                   "near 0 or 1 it is near 0 and the signal fades.",
        "relu": "Step 4, the key step: through ReLU. Its derivative [z₂ > 0] is 1 where z₂ > 0 "
                "and 0 elsewhere: the signal passes whole or not at all.",
        "leaky_relu": f"Step 4, the key step: through leaky ReLU. Its derivative is 1 where "
                      f"z₂ > 0 and the slope {leak} elsewhere: the signal never stops entirely.",
        "linear": "Step 4: a linear activation passes the signal unchanged: its derivative is 1.",
    }[spec.activation2]


def _dh1_caption(spec):
    name, leak = spec.activation1, expr.number(spec.leak)
    again = " again" if name == spec.activation2 else ""
    if name in _SATURATING:
        fading = (" Two such factors now multiply the signal: this is where gradients can vanish."
                  if spec.activation2 in _SATURATING else
                  " Near saturation it is near 0 and the signal fades.")
        if name == "tanh":
            return f"Step 4: through tanh{again}: 1 − h₁².{fading}"
        return f"Step 4: through σ{again}: h₁(1 − h₁), at most 0.25.{fading}"
    return {
        "relu": f"Step 4: through ReLU{again}: [z₁ > 0], 1 or 0. Where z₁ ≤ 0 the unit is off "
                f"and no signal reaches W₁ and b₁.",
        "leaky_relu": f"Step 4: through leaky ReLU{again}: 1 where z₁ > 0, else the slope {leak}: "
                      f"a unit that is off still passes a little signal.",
        "linear": "Step 4: a linear activation: its derivative is 1, the signal passes unchanged.",
    }[name]


def _dz_caption(spec, layer):
    name = spec.activation(layer)
    if name == "linear":
        n = "₁₂"[layer - 1]
        return (f"Step 5: the chain rule through the activation; its slope is 1, so ∂L/∂z{n} "
                f"is ∂L/∂h{n}.")
    if layer == 1:
        return "Step 5: the chain rule through layer 1's activation."
    return (f"Step 5: the chain rule through the activation: the signal times "
            f"{ACTIVATION_NAMES[name]}'s slope.")


# --- the table -----------------------------------------------------------------

def _build(spec):
    a1, a2, leak = spec.activation1, spec.activation2, spec.leak
    half = spec.loss == "half-squared"
    hidden1 = _activation(a1, "W1_next * x + b1_next", leak)
    hidden2 = _activation(a2, f"W2_next * {hidden1} + b2_next", leak)
    return (
        _t("z1", "W1 * x + b1", FORWARD, "h1",
           caption="Layer 1 weighs the input and adds its bias: z₁ = W₁·x + b₁."),
        _t("h1", _activation(a1, "z1", leak), FORWARD, "h1", caption=_h_caption(spec, 1)),
        _t("z2", "W2 * h1 + b2", FORWARD, "h2",
           caption="Layer 2 weighs h₁ and adds its bias."),
        _t("h2", _activation(a2, "z2", leak), FORWARD, "h2", caption=_h_caption(spec, 2)),
        _t("z3", "W3 * h2 + b3", FORWARD, "yhat",
           caption="The output layer weighs h₂ and adds b₃; it has no activation."),
        _t("yhat", "z3", FORWARD, "yhat",
           caption="The prediction ŷ is z₃ itself (regression: no output activation)."),
        _t("err", "yhat - y", FORWARD, "L",
           caption="The error: how far the prediction is from the target."),
        _t("L", "0.5 * err ** 2" if half else "err ** 2", FORWARD, "L", mean=True,
           caption="The loss is half the squared error: every miss costs, big ones most; the ½ "
                   "only tidies the derivative." if half else
                   "The loss squares the error, so every miss costs, big ones most."),

        _t("dL/dyhat", "err" if half else "2 * err", LAYER3, "yhat",
           caption="Step 1 of the backward pass: how the loss changes as ŷ changes. The "
                   + ("derivative of ½(ŷ − y)² is ŷ − y: the ½ cancels the 2." if half else
                      "derivative of (ŷ − y)² is 2(ŷ − y).")),
        _t("dyhat/dz3", "1", LAYER3, "yhat",
           caption="Step 2: ŷ = z₃, so moving z₃ moves ŷ one for one."),
        _t("dL/dz3", "dL_dyhat * dyhat_dz3", LAYER3, "yhat",
           caption="Step 3, the chain rule: multiply the two links to get the loss's sensitivity to z₃."),
        _t("dz3/dW3", "h2", LAYER3, "W3",
           caption="Step 4: z₃ = W₃·h₂ + b₃ changes with W₃ at the rate h₂."),
        _t("dL/dW3", "dL_dz3 * dz3_dW3", LAYER3, "W3", mean=True,
           caption="Step 5: chain the two. This is W₃'s gradient: the update will use it."),
        _t("dz3/db3", "1", LAYER3, "b3",
           caption="Step 6: a bias adds directly, so its local derivative is 1."),
        _t("dL/db3", "dL_dz3 * dz3_db3", LAYER3, "b3", mean=True,
           caption="Step 7: b₃'s gradient is just ∂L/∂z₃."),

        _t("dz3/dh2", "W3", LAYER2, "W3",
           caption="Step 2 of layer 2: to go further back, ask how z₃ changes with h₂: at the rate W₃."),
        _t("dL/dh2", "dL_dz3 * dz3_dh2", LAYER2, "h2",
           caption="Step 3: the error signal arrives at h₂, scaled by the weight it passed through."),
        _t("dh2/dz2", _derivative(a2, "h2", "z2", leak), LAYER2, "h2", caption=_dh2_caption(spec)),
        _t("dL/dz2", "dL_dh2 * dh2_dz2", LAYER2, "h2", caption=_dz_caption(spec, 2)),
        _t("dz2/dW2", "h1", LAYER2, "W2",
           caption="Step 6: z₂ = W₂·h₁ + b₂ changes with W₂ at the rate h₁."),
        _t("dL/dW2", "dL_dz2 * dz2_dW2", LAYER2, "W2", mean=True,
           caption="Step 7: W₂'s gradient."),
        _t("dz2/db2", "1", LAYER2, "b2",
           caption="Step 8: the bias adds directly: 1."),
        _t("dL/db2", "dL_dz2 * dz2_db2", LAYER2, "b2", mean=True,
           caption="Step 9: b₂'s gradient is ∂L/∂z₂."),

        _t("dz2/dh1", "W2", LAYER1, "W2",
           caption="Step 2 of layer 1: z₂ changes with h₁ at the rate W₂."),
        _t("dL/dh1", "dL_dz2 * dz2_dh1", LAYER1, "h1",
           caption="Step 3: the error signal arrives at h₁, scaled by W₂."),
        _t("dh1/dz1", _derivative(a1, "h1", "z1", leak), LAYER1, "h1", caption=_dh1_caption(spec)),
        _t("dL/dz1", "dL_dh1 * dh1_dz1", LAYER1, "h1", caption=_dz_caption(spec, 1)),
        _t("dz1/dW1", "x", LAYER1, "W1",
           caption="Step 6: z₁ = W₁·x + b₁ changes with W₁ at the rate x."),
        _t("dL/dW1", "dL_dz1 * dz1_dW1", LAYER1, "W1", mean=True,
           caption="Step 7: W₁'s gradient: every link from the loss back to the first weight, multiplied."),
        _t("dz1/db1", "1", LAYER1, "b1",
           caption="Step 8: the bias adds directly: 1."),
        _t("dL/db1", "dL_dz1 * dz1_db1", LAYER1, "b1", mean=True,
           caption="Step 9: b₁'s gradient is ∂L/∂z₁."),

        _t("W1_next", "W1 - alpha * dL_dW1", UPDATE, "W1",
           caption="Gradient descent: step W₁ against its gradient, scaled by the learning rate α."),
        _t("b1_next", "b1 - alpha * dL_db1", UPDATE, "b1",
           caption="The same update for b₁."),
        _t("W2_next", "W2 - alpha * dL_dW2", UPDATE, "W2",
           caption="The same update for W₂."),
        _t("b2_next", "b2 - alpha * dL_db2", UPDATE, "b2",
           caption="The same update for b₂."),
        _t("W3_next", "W3 - alpha * dL_dW3", UPDATE, "W3",
           caption="The same update for W₃."),
        _t("b3_next", "b3 - alpha * dL_db3", UPDATE, "b3",
           caption="The same update for b₃."),
        _t("yhat_next", f"W3_next * {hidden2} + b3_next",
           UPDATE, "yhat", caption="The forward pass again, with the new parameters."),
        _t("L_next", "0.5 * (yhat_next - y) ** 2" if half else "(yhat_next - y) ** 2",
           UPDATE, "L", mean=True,
           caption="The new loss: smaller than before if α was small enough."),
    )


class Terms(tuple):
    """A term table written for a spec: a tuple of TermDef that knows its
    :class:`Spec`.  It compares and hashes as the plain tuple, so that equal
    tables (specs that differ only in a slope no layer uses) share compiled code."""
    spec = None


_SPECS = {}   # term table -> the first spec it was written for


@functools.lru_cache(maxsize=None)
def terms_for(spec=DEFAULT_SPEC):
    """The term table of ``spec``; the same object for equal specs."""
    if not isinstance(spec, Spec):
        raise TypeError(f"terms_for takes a Spec, not {type(spec).__name__}")
    terms = Terms(_build(spec))
    terms.spec = spec
    _SPECS.setdefault(terms, spec)
    return terms


def spec_of(terms):
    """The Spec of a table of :func:`terms_for`; for another tuple, the spec
    of an equal table, or None for a table made by hand."""
    if isinstance(terms, Spec):
        return terms
    return getattr(terms, "spec", None) or _SPECS.get(terms)


def as_terms(terms_or_spec):
    """A term table from a table or a Spec."""
    if isinstance(terms_or_spec, Spec):
        return terms_for(terms_or_spec)
    return terms_or_spec


TERMS = terms_for(DEFAULT_SPEC)

BY_ID = {t.id: t for t in TERMS}
GRADIENTS = tuple(f"dL/d{p}" for p in ("W1", "b1", "W2", "b2", "W3", "b3"))
# Terms that belong to the state after the update, not to the state itself.
LOOKAHEAD = ("yhat_next", "L_next")
