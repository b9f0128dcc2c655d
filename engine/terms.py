"""The derivation of the reference, one term a line, in the reference's order.

Each term is a Python expression over earlier terms: this is the single place
where a formula is written.  The display formula, the substitution, the
compiled training loops and the CSV all come from these lines.

The table depends on a small :class:`Spec`: the activation of each hidden
layer, the loss convention and how the update is made (the optimizer, the
learning-rate schedule and gradient clipping).  ``terms_for(spec)`` writes the
table for a spec; ``TERMS`` is the reference's (tanh, tanh, (ŷ − y)², plain
gradient descent at a constant α).

An optimizer that keeps state (a velocity, running averages, a step counter)
reads it as inputs named like the parameters (``v_W1``, ``t``) and writes the
next state as ``*_next`` terms (``v_W1_next``), exactly as the parameters'
update does: :func:`state_columns` lists a table's state, and a history row
carries it after the parameters, the loss and the gradient.
"""

import functools
import math
import numbers
from dataclasses import asdict, dataclass, fields

from . import expr
from .limits import PARAMS, InputError

FORWARD, LAYER3, LAYER2, LAYER1, UPDATE = "forward", "3", "2", "1", "update"
SECTIONS = (FORWARD, LAYER3, LAYER2, LAYER1, UPDATE)

ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh")
REFERENCE_LAYERS = (1, 1, 1, 1)
MAX_HIDDEN, MAX_WIDTH = 4, 8   # a network has 0 to 4 hidden layers of 1 to 8 units
LOSSES = ("squared", "half-squared")
LEAK_RANGE = (0.0, 1.0)   # leaky ReLU's slope for z <= 0
# How a title or a caption names an activation.
ACTIVATION_NAMES = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU",
                    "leaky_relu": "leaky ReLU", "linear": "linear"}
_SATURATING = ("tanh", "sigmoid")

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "exp")
CLIPS = (None, "value", "norm")
# How a title or a caption names an optimizer.
OPTIMIZER_NAMES = {"sgd": "Gradient-descent", "momentum": "Momentum", "rmsprop": "RMSprop",
                   "adam": "Adam"}
# The accepted range of each number of the update: (low, high, low is allowed, high is allowed).
RATE_RANGES = {
    "momentum": (0.0, 1.0, True, False), "rho": (0.0, 1.0, True, False),
    "beta1": (0.0, 1.0, True, False), "beta2": (0.0, 1.0, True, False),
    "eps": (0.0, 1.0, False, True), "decay": (0.0, 1.0, False, True),
    "clip_c": (0.0, 1e6, False, True),
}
DECAY_EVERY_RANGE = (1, 10 ** 9)
# Which choices use each number of the network and its update: the one rule by
# which the derivation shows it, the command line refuses it, and the window
# disables its box.  A number not listed here is always used.
FIELD_USERS = {"momentum": ("momentum",), "rho": ("rmsprop",), "beta1": ("adam",), "beta2": ("adam",),
               "eps": ("rmsprop", "adam"), "decay": ("step", "exp"), "decay_every": ("step",),
               "clip_c": ("value", "norm"), "leak": ("leaky_relu",)}


def interval(low, high, closed_low, closed_high):
    """A range as a learner reads it: ``[0, 1)``."""
    return f"{'[' if closed_low else '('}{low:g}, {high:g}{']' if closed_high else ')'}"


# Each Spec field and each number a learner sets, in plain words: what messages
# (engine.limits.InputError) and undo texts call it instead of its Python name.
FIELD_TEXT = {
    "activation1": "the first hidden layer's activation",
    "activation2": "the second hidden layer's activation",
    "activation3": "the third hidden layer's activation",
    "activation4": "the fourth hidden layer's activation",
    "output_activation": "the output layer's activation",
    "layers": "the layers",
    "leak": "leaky ReLU's slope",
    "loss": "the loss",
    "optimizer": "the optimizer",
    "momentum": "momentum's μ",
    "rho": "RMSprop's ρ",
    "beta1": "Adam's β₁",
    "beta2": "Adam's β₂",
    "eps": "ε of RMSprop and Adam",
    "schedule": "the learning-rate schedule",
    "decay": "the schedule's γ",
    "decay_every": "the step schedule's k",
    "clip": "gradient clipping",
    "clip_c": "the clipping threshold c",
    **{p: expr.symbol(p) for p in PARAMS},
    "x": "x", "y": "y",
    "alpha": "the learning rate α",
    "n": "the number of samples",
    "steps": "the number of steps",
    "batch_size": "the batch size",
    "shuffle_seed": "the shuffle seed",
    "seed": "the seed",
    "scheme": "the initialization",
    "rows": "the states",
    "size": "the grid size",
    "p1": "the first parameter",
    "p2": "the second parameter",
}


# Each choice of the network and its update, as a menu or an undo text shows it.
CHOICE_TEXT = {**ACTIVATION_NAMES, "squared": "(ŷ − y)²", "half-squared": "½(ŷ − y)²",
               "sgd": "gradient descent", "momentum": "momentum", "rmsprop": "RMSprop", "adam": "Adam",
               "constant": "constant α", "step": "step decay", "exp": "exponential decay",
               None: "no clipping", "value": "by value", "norm": "by norm"}


def choice_text(value):
    """A Spec field's value as a learner reads it: a choice in words, a number plainly."""
    return f"{value:g}" if isinstance(value, (int, float)) else CHOICE_TEXT.get(value, str(value))


def field_text(name):
    """``name`` in plain words: FIELD_TEXT, else the symbol of a term or a
    state (``v_W1`` -> v_W₁, ``dL/dW1`` -> ∂L/∂W₁), else ``name`` itself."""
    if name in FIELD_TEXT:
        return FIELD_TEXT[name]
    return expr.symbol(name) if name.replace("/", "_").isidentifier() else name


def _shown(value):
    """``repr(value)``, cut short: a session file may hold any text or list there."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _choice(name, value, known):
    if not (value is None or isinstance(value, str)) or value not in known:
        shown = ", ".join("none" if k is None else k for k in known)
        raise InputError(name, f"{_shown(value)} is not one of {shown}")


def _number(name, value, low, high, closed_low=True, closed_high=True):
    """``value`` as a float within the range, else InputError naming the field."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(name, f"must be a number, not {_shown(value)}")
    number = float(value)
    if not (math.isfinite(number) and (low < number or closed_low and low == number)
            and (number < high or closed_high and number == high)):
        raise InputError(name, f"must be in {interval(low, high, closed_low, closed_high)}, "
                               f"got {_shown(value)}")
    return number


class _Choices:
    def uses(self, field):
        """Whether these choices use the number ``field`` (FIELD_USERS)."""
        return field not in FIELD_USERS or any(choice in FIELD_USERS[field] for choice in self.choices())


@dataclass(frozen=True)
class Network(_Choices):
    """What the network computes: its layers' widths from input to output
    (the reference's 1-1-1-1 by default), each hidden layer's activation
    (``activation3`` and ``activation4`` only where there are such layers),
    the output layer's, leaky ReLU's slope and the loss convention.  A bad
    value raises InputError naming the field."""
    activation1: str = "tanh"
    activation2: str = "tanh"
    leak: float = 0.01
    loss: str = "squared"
    layers: tuple = REFERENCE_LAYERS
    activation3: str = "tanh"
    activation4: str = "tanh"
    output_activation: str = "linear"

    def __post_init__(self):
        layers = self.layers
        if not (isinstance(layers, (tuple, list)) and 2 <= len(layers) <= MAX_HIDDEN + 2
                and all(isinstance(w, numbers.Integral) and not isinstance(w, bool) and 1 <= w <= MAX_WIDTH
                        for w in layers)):
            raise InputError("layers", f"must be 2 to {MAX_HIDDEN + 2} widths from 1 to {MAX_WIDTH}, "
                                       f"got {_shown(layers)}")
        object.__setattr__(self, "layers", tuple(int(w) for w in layers))
        for field in ("activation1", "activation2", "activation3", "activation4"):
            value = getattr(self, field)
            if not isinstance(value, str) or value not in ACTIVATIONS:
                raise InputError(field, f"unknown activation {_shown(value)}; "
                                        f"choose one of {', '.join(ACTIVATIONS)}")
        if not isinstance(self.output_activation, str) or self.output_activation not in OUTPUT_ACTIVATIONS:
            raise InputError("output_activation", f"unknown activation {_shown(self.output_activation)}; "
                                                  f"choose one of {', '.join(OUTPUT_ACTIVATIONS)}")
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise InputError("loss", f"unknown loss {_shown(self.loss)}; choose one of {', '.join(LOSSES)}")
        if isinstance(self.leak, bool) or not isinstance(self.leak, numbers.Real):
            raise InputError("leak", f"must be a number, not {_shown(self.leak)}")
        low, high = LEAK_RANGE
        if not (math.isfinite(float(self.leak)) and low <= self.leak <= high):
            raise InputError("leak", f"must be from {low:g} to {high:g}, got {_shown(self.leak)}")
        object.__setattr__(self, "leak", float(self.leak))

    def choices(self):
        return self.hidden_activations + (self.output_activation,)

    @property
    def hidden(self):
        """The number of hidden layers."""
        return len(self.layers) - 2

    @property
    def hidden_activations(self):
        return (self.activation1, self.activation2, self.activation3, self.activation4)[:self.hidden]

    @property
    def is_reference_shape(self):
        return self.layers == REFERENCE_LAYERS

    def activation(self, layer):
        """The activation of layer ``layer`` (1-based): a hidden one's, or the output's."""
        return self.output_activation if layer == self.hidden + 1 else getattr(self, f"activation{layer}")

    def label(self, layer):
        """How a section title names a layer's activation: ``leaky ReLU, slope 0.01``."""
        name = self.activation(layer)
        if name == "leaky_relu":
            return f"{ACTIVATION_NAMES[name]}, slope {expr.number(self.leak)}"
        return ACTIVATION_NAMES[name]


@dataclass(frozen=True)
class UpdateRule(_Choices):
    """How the network learns: the optimizer (sgd, momentum, rmsprop, adam)
    and its numbers, the learning-rate schedule (constant, step: α·γ^⌊t/k⌋,
    exp: α·γ^t) and gradient clipping (None, "value", "norm", threshold
    ``clip_c``).  A bad value raises InputError naming the field."""
    optimizer: str = "sgd"
    momentum: float = 0.9       # μ of momentum
    rho: float = 0.9            # ρ of RMSprop
    beta1: float = 0.9          # β₁ of Adam
    beta2: float = 0.999        # β₂ of Adam
    eps: float = 1e-8           # ε of RMSprop and Adam
    schedule: str = "constant"
    decay: float = 0.9          # γ of the step and exponential schedules
    decay_every: int = 100      # k of the step schedule
    clip: str = None            # None, "value" or "norm"
    clip_c: float = 1.0         # c of clipping

    def __post_init__(self):
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("clip", self.clip, CLIPS)
        for field, bounds in RATE_RANGES.items():
            object.__setattr__(self, field, _number(field, getattr(self, field), *bounds))
        every = self.decay_every
        if isinstance(every, float) and every.is_integer():
            every = int(every)
        low, high = DECAY_EVERY_RANGE
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or not low <= every <= high:
            raise InputError("decay_every", f"must be a whole number from {low} to {high}, "
                                            f"got {_shown(self.decay_every)}")
        object.__setattr__(self, "decay_every", int(every))

    def choices(self):
        return self.optimizer, self.schedule, self.clip


# Listed first in the bases so that its fields come last: dataclasses gather
# fields from the last base to the first.
@dataclass(frozen=True)
class Spec(UpdateRule, Network):
    """A network and its update rule together: everything the term table
    depends on, with the fields of both (``spec.loss``, ``spec.optimizer``).
    Frozen and hashable: the term table and the compiled code are cached per
    spec."""

    def __post_init__(self):
        Network.__post_init__(self)
        UpdateRule.__post_init__(self)

    @property
    def network(self):
        return Network(**{f: getattr(self, f) for f in NETWORK_FIELDS})

    @property
    def update(self):
        return UpdateRule(**{f: getattr(self, f) for f in UPDATE_FIELDS})

    def as_dict(self):
        return asdict(self)

    def update_is_default(self):
        """True when the update rule is the default one: plain gradient
        descent at a constant α, no clipping, and the default numbers."""
        return self.update == UpdateRule()

    def choices(self):
        return Network.choices(self) + UpdateRule.choices(self)


NETWORK_FIELDS = tuple(f.name for f in fields(Network))
# The fields of the update, after the network's: a session writes them only
# for a spec whose update rule is not the default.
UPDATE_FIELDS = tuple(f.name for f in fields(UpdateRule))
DEFAULT_SPEC = Spec()


@dataclass(frozen=True)
class TermDef:
    id: str          # stable ASCII id, the CSV's "quantity"
    source: str      # the Python expression that computes it
    section: str     # forward, 3, 2, 1 or update
    node: str        # the diagram element it belongs to (node, edge or bias)
    mean: bool = False  # averaged over the samples of a batch
    # What this link of the chain does, in plain words (the walk-through): a
    # template whose {id} slots name earlier terms; engine.derivation.caption_text
    # fills in one state's values.
    caption: str = ""

    @functools.cached_property
    def var(self):
        return expr.var(self.id)

    @property
    def symbol(self):
        return expr.symbol(self.id)


def _t(term_id, source, section, node, mean=False, caption=""):
    return TermDef(term_id, source, section, node, mean, caption)


def _update_title(rule):
    """``Gradient-descent update``, or for another update e.g.
    ``Adam update (step-decay schedule, gradients clipped by norm)``."""
    details = []
    if rule.schedule != "constant":
        details.append({"step": "step-decay", "exp": "exponential-decay"}[rule.schedule] + " schedule")
    if rule.clip is not None:
        details.append(f"gradients clipped by {rule.clip}")
    title = f"{OPTIMIZER_NAMES[rule.optimizer]} update"
    return f"{title} ({', '.join(details)})" if details else title


def section_titles(spec=DEFAULT_SPEC):
    """The title of each section, naming the spec's activations and update."""
    return {
        FORWARD: "Forward pass",
        LAYER3: "Layer 3 (output)" if spec.output_activation == "linear" else f"Layer 3 (output, {spec.label(3)})",
        LAYER2: f"Layer 2 ({spec.label(2)})",
        LAYER1: f"Layer 1 ({spec.label(1)})", UPDATE: _update_title(spec),
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


def _h_caption(network, layer):
    name, n = network.activation(layer), "₁₂"[layer - 1]
    z = f"{{z{layer}}}"   # a slot: the walk-through fills in this state's z
    if layer == 2 and name == network.activation1:
        if name == "linear":
            return "Layer 2 is linear too: h₂ is z₂ itself."
        return f"Layer 2's activation: {ACTIVATION_NAMES[name]} again, now at z₂ = {{z2}}."
    return {
        "tanh": f"Layer {layer}'s activation squashes z{n} = {z} into (−1, 1) with tanh.",
        "sigmoid": f"Layer {layer}'s activation squashes z{n} = {z} into (0, 1) with the sigmoid "
                   f"σ(z) = 1/(1 + e^−z).",
        "relu": f"Layer {layer}'s activation, ReLU, keeps z{n} = {z} if it is positive and gives 0 "
                f"otherwise.",
        "leaky_relu": f"Layer {layer}'s activation, leaky ReLU, keeps z{n} = {z} if it is positive "
                      f"and multiplies it by the slope {expr.number(network.leak)} otherwise.",
        "linear": f"Layer {layer} has a linear activation: h{n} is z{n} itself.",
    }[name]


def _dh2_caption(network):
    leak = expr.number(network.leak)
    return {
        "tanh": "The key link: through tanh at z₂ = {z2}. Its derivative is 1 − h₂², with "
                "h₂ = {h2}; near ±1 it is near 0 and the signal fades.",
        "sigmoid": "The key link: through σ at z₂ = {z2}. Its derivative is h₂(1 − h₂), with "
                   "h₂ = {h2}, at most 0.25; near 0 or 1 it is near 0 and the signal fades.",
        "relu": "The key link: through ReLU at z₂ = {z2}. Its derivative [z₂ > 0] is 1 where "
                "z₂ > 0 and 0 elsewhere: the signal passes whole or not at all.",
        "leaky_relu": f"The key link: through leaky ReLU at z₂ = {{z2}}. Its derivative is 1 where "
                      f"z₂ > 0 and the slope {leak} elsewhere: the signal never stops entirely.",
        "linear": "A linear activation passes the signal unchanged: its derivative is 1.",
    }[network.activation2]


def _dh1_caption(network):
    name, leak = network.activation1, expr.number(network.leak)
    again = " again" if name == network.activation2 else ""
    if name in _SATURATING:
        fading = (" Two such factors now multiply the signal: this is where gradients can vanish."
                  if network.activation2 in _SATURATING else
                  " Near saturation it is near 0 and the signal fades.")
        if name == "tanh":
            return f"Through tanh{again} at z₁ = {{z1}}: 1 − h₁², with h₁ = {{h1}}.{fading}"
        return f"Through σ{again} at z₁ = {{z1}}: h₁(1 − h₁), with h₁ = {{h1}}, at most 0.25.{fading}"
    return {
        "relu": f"Through ReLU{again} at z₁ = {{z1}}: [z₁ > 0], 1 or 0. Where z₁ ≤ 0 the unit is "
                f"off and no signal reaches W₁ and b₁.",
        "leaky_relu": f"Through leaky ReLU{again} at z₁ = {{z1}}: 1 where z₁ > 0, else the slope "
                      f"{leak}: a unit that is off still passes a little signal.",
        "linear": "A linear activation: its derivative is 1, the signal passes unchanged.",
    }[name]


def _dz_caption(network, layer):
    name = network.activation(layer)
    if name == "linear":
        n = "₁₂"[layer - 1]
        return (f"The chain rule through the activation; its slope is 1, so ∂L/∂z{n} "
                f"is ∂L/∂h{n}.")
    n = "₁₂"[layer - 1]
    return (f"The chain rule through the activation: the signal from ŷ, scaled by how steep "
            f"{ACTIVATION_NAMES[name]} is at z{n} = {{z{layer}}}.")


# --- the update ----------------------------------------------------------------

_HYPER_CAPTIONS = {
    "momentum": "The momentum coefficient μ: the share of the last velocity that carries over "
                "into the next.",
    "rho": "RMSprop's decay ρ: how slowly the running average of the squared gradient forgets.",
    "beta1": "Adam's β₁: how slowly the running average of the gradient (the first moment) forgets.",
    "beta2": "Adam's β₂: how slowly the running average of the squared gradient (the second "
             "moment) forgets.",
    "eps": "ε keeps the division safe where the squared gradients are near 0.",
    "decay_every": "k: the number of updates between two decays of the learning rate.",
    "clip_c": "The clipping threshold c.",
}


def _hyper(rule, field):
    """A number of the update as a term of its own: it shows in the table and
    is written into the compiled code as a constant."""
    caption = _HYPER_CAPTIONS.get(field)
    if field == "decay":
        caption = ("The schedule's decay factor γ: every k updates the learning rate is multiplied "
                   "by γ." if rule.schedule == "step" else
                   "The schedule's decay factor γ: every update multiplies the learning rate by γ.")
    return _t(field, repr(getattr(rule, field)), UPDATE, "", caption=caption)


def _same(first, p, text):
    """The caption of the first parameter's row, or "The same … for b₁." for the others."""
    return first if p == "W1" else f"The same {text} for {expr.symbol(p)}."


_COUNT_WORDS = {2: "two", 4: "four", 6: "six", 8: "eight", 10: "ten"}


def update_terms(rule, params=PARAMS):
    """The update section without the look-ahead: the numbers of the update,
    clipping, the scheduled rate, the counter and each parameter's step.
    ``params``: the parameters' names (a wider network's are W1, b1, … its
    matrices and vectors: every formula here is element by element)."""
    every = _COUNT_WORDS.get(len(params), str(len(params)))
    opt = rule.optimizer
    rows = [_hyper(rule, f) for f in FIELD_USERS if f in UPDATE_FIELDS and rule.uses(f)]

    grad = {p: f"dL_d{p}" for p in params}
    if rule.clip == "value":
        for p in params:
            rows.append(_t(f"g_{p}", f"clip(dL_d{p}, clip_c)", UPDATE, p, caption=_same(
                f"Clipping by value: ∂L/∂{expr.symbol(p)} is clamped to [−c, c]; the update uses "
                f"the clipped gradient g.", p, "clipping")))
    elif rule.clip == "norm":
        rows.append(_t("grad_norm", f"norm({', '.join(grad.values())})", UPDATE, "",
                       caption=f"The length of the whole gradient: all {every} partial derivatives together."))
        for p in params:
            rows.append(_t(f"g_{p}", f"dL_d{p} * clip_scale(grad_norm, clip_c)", UPDATE, p, caption=_same(
                "Clipping by norm: a gradient longer than c is scaled by c / ‖∇L‖ to the length c, "
                f"all {every} parts alike, so that its direction stays.", p, "scaling")))
    if rule.clip:
        grad = {p: f"g_{p}" for p in params}

    rate = "alpha"
    if rule.schedule == "step":
        rows.append(_t("lr", "alpha * decay ** (t // decay_every)", UPDATE, "",
                       caption="Step decay: the learning rate of update t (counted from 0) is "
                               "α × γ^⌊t / k⌋: it drops by the factor γ every k updates."))
        rate = "lr"
    elif rule.schedule == "exp":
        rows.append(_t("lr", "alpha * decay ** t", UPDATE, "",
                       caption="Exponential decay: the learning rate of update t (counted from 0) "
                               "is α × γ^t."))
        rate = "lr"
    if opt == "adam" or rate != "alpha":
        rows.append(_t("t_next", "t + 1", UPDATE, "",
                       caption="The update counter: t updates are done, this is update number "
                               "t + 1" + ("; Adam's bias correction uses it." if opt == "adam" else ".")))

    plain = rate == "alpha" and not rule.clip
    scaled = f"{'clipped ' if rule.clip else ''}gradient, scaled by the " \
             f"{'scheduled ' if rate != 'alpha' else ''}learning rate {expr.symbol(rate)}"
    for p in params:
        g, sym = grad[p], expr.symbol(p)
        if opt == "sgd":
            first = ("Gradient descent: step W₁ against its gradient {dL/dW1}, scaled by the "
                     "learning rate α."
                     if plain else f"Gradient descent: step {sym} against its {scaled}.")
            rows.append(_t(f"{p}_next", f"{p} - {rate} * {g}", UPDATE, p,
                           caption=_same(first, p, "update")))
        elif opt == "momentum":
            rows.append(_t(f"v_{p}_next", f"momentum * v_{p} + {g}", UPDATE, p, caption=_same(
                f"Momentum: the new velocity of {sym} is the last one, shrunk by μ, plus this "
                f"gradient: a running sum of the past gradients.", p, "velocity")))
            rows.append(_t(f"{p}_next", f"{p} - {rate} * v_{p}_next", UPDATE, p, caption=_same(
                f"Step {sym} against its velocity, scaled by the learning rate {expr.symbol(rate)}.",
                p, "update")))
        elif opt == "rmsprop":
            rows.append(_t(f"s_{p}_next", f"rho * s_{p} + (1 - rho) * {g} ** 2", UPDATE, p, caption=_same(
                f"RMSprop: a running average of {sym}'s squared gradient; each update moves it "
                f"by the share 1 − ρ towards the newest.", p, "running average")))
            rows.append(_t(f"{p}_next", f"{p} - {rate} * {g} / (sqrt(s_{p}_next) + eps)", UPDATE, p,
                           caption=_same(f"Step {sym} against its gradient divided by the root of that "
                                         f"average: every parameter gets a step of its own size.",
                                         p, "update")))
        else:
            rows.append(_t(f"m_{p}_next", f"beta1 * m_{p} + (1 - beta1) * {g}", UPDATE, p, caption=_same(
                f"Adam's first moment: a running average of {sym}'s gradient.", p, "first moment")))
            rows.append(_t(f"v_{p}_next", f"beta2 * v_{p} + (1 - beta2) * {g} ** 2", UPDATE, p,
                           caption=_same(f"The second moment: a running average of {sym}'s squared "
                                         f"gradient.", p, "second moment")))
            rows.append(_t(f"mhat_{p}", f"m_{p}_next / (1 - beta1 ** t_next)", UPDATE, p, caption=_same(
                "Bias correction: the averages start at 0, so early ones are too small; dividing "
                "by 1 − β₁^t′ makes up for it (at t′ = 1, m̂ is the gradient itself).",
                p, "bias correction")))
            rows.append(_t(f"vhat_{p}", f"v_{p}_next / (1 - beta2 ** t_next)", UPDATE, p, caption=_same(
                "The same bias correction for the second moment, with β₂.", p, "correction")))
            rows.append(_t(f"{p}_next", f"{p} - {rate} * mhat_{p} / (sqrt(vhat_{p}) + eps)", UPDATE, p,
                           caption=_same(f"Step {sym} by the corrected average gradient over the root "
                                         f"of the corrected squared one: about {expr.symbol(rate)} "
                                         f"per update, whatever the gradient's size.", p, "update")))
    return rows


# --- the table -----------------------------------------------------------------

def _build(network, rule):
    a1, a2, leak = network.activation1, network.activation2, network.leak
    out = network.output_activation
    half = network.loss == "half-squared"
    hidden1 = _activation(a1, "W1_next * x + b1_next", leak)
    hidden2 = _activation(a2, f"W2_next * {hidden1} + b2_next", leak)
    return (
        _t("z1", "W1 * x + b1", FORWARD, "h1",
           caption="Layer 1 weighs the input and adds its bias: z₁ = W₁·x + b₁."),
        _t("h1", _activation(a1, "z1", leak), FORWARD, "h1", caption=_h_caption(network, 1)),
        _t("z2", "W2 * h1 + b2", FORWARD, "h2",
           caption="Layer 2 weighs h₁ = {h1} and adds its bias."),
        _t("h2", _activation(a2, "z2", leak), FORWARD, "h2", caption=_h_caption(network, 2)),
        _t("z3", "W3 * h2 + b3", FORWARD, "yhat",
           caption="The output layer weighs h₂ = {h2} and adds b₃" +
                   ("; it has no activation." if out == "linear" else ".")),
        _t("yhat", _activation(out, "z3", leak), FORWARD, "yhat",
           caption="The prediction ŷ is z₃ itself (regression: no output activation)." if out == "linear"
           else f"The prediction ŷ is {ACTIVATION_NAMES[out]}(z₃): the output layer's activation."),
        _t("err", "yhat - y", FORWARD, "L",
           caption="The error: how far the prediction ŷ = {yhat} is from the target y."),
        _t("L", "0.5 * err ** 2" if half else "err ** 2", FORWARD, "L", mean=True,
           caption="The loss is half the squared error {err}: every miss costs, big ones most; "
                   "the ½ only tidies the derivative." if half else
                   "The loss squares the error {err}, so every miss costs, big ones most."),

        _t("dL/dyhat", "err" if half else "2 * err", LAYER3, "yhat",
           caption="The backward pass starts here: how the loss changes as ŷ changes. The "
                   + ("derivative of ½(ŷ − y)² is ŷ − y, the error {err} itself: the ½ cancels "
                      "the 2." if half else
                      "derivative of (ŷ − y)² is 2(ŷ − y), twice the error {err}.")),
        _t("dyhat/dz3", _derivative(out, "yhat", "z3", leak), LAYER3, "yhat",
           caption="ŷ = z₃, so moving z₃ moves ŷ one for one." if out == "linear"
           else f"Through the output's {ACTIVATION_NAMES[out]} at z₃ = {{z3}}."),
        _t("dL/dz3", "dL_dyhat * dyhat_dz3", LAYER3, "yhat",
           caption="The chain rule: multiply the two links to get the loss's sensitivity to z₃."),
        _t("dz3/dW3", "h2", LAYER3, "W3",
           caption="z₃ = W₃·h₂ + b₃ changes with W₃ at the rate h₂."),
        _t("dL/dW3", "dL_dz3 * dz3_dW3", LAYER3, "W3", mean=True,
           caption="Chain the two: this is W₃'s gradient, and the update will use it."),
        _t("dz3/db3", "1", LAYER3, "b3",
           caption="A bias adds directly, so its local derivative is 1."),
        _t("dL/db3", "dL_dz3 * dz3_db3", LAYER3, "b3", mean=True,
           caption="b₃'s gradient is just ∂L/∂z₃ = {dL/dz3}."),

        _t("dz3/dh2", "W3", LAYER2, "W3",
           caption="To go further back, ask how z₃ changes with h₂: at the rate W₃."),
        _t("dL/dh2", "dL_dz3 * dz3_dh2", LAYER2, "h2",
           caption="The error signal ∂L/∂z₃ = {dL/dz3} arrives at h₂, scaled by the weight W₃ it "
                   "passed through."),
        _t("dh2/dz2", _derivative(a2, "h2", "z2", leak), LAYER2, "h2", caption=_dh2_caption(network)),
        _t("dL/dz2", "dL_dh2 * dh2_dz2", LAYER2, "h2", caption=_dz_caption(network, 2)),
        _t("dz2/dW2", "h1", LAYER2, "W2",
           caption="z₂ = W₂·h₁ + b₂ changes with W₂ at the rate h₁."),
        _t("dL/dW2", "dL_dz2 * dz2_dW2", LAYER2, "W2", mean=True,
           caption="W₂'s gradient: the signal at z₂, {dL/dz2}, times the h₁ that W₂ weighs."),
        _t("dz2/db2", "1", LAYER2, "b2",
           caption="The bias adds directly: 1."),
        _t("dL/db2", "dL_dz2 * dz2_db2", LAYER2, "b2", mean=True,
           caption="b₂'s gradient is ∂L/∂z₂ = {dL/dz2}."),

        _t("dz2/dh1", "W2", LAYER1, "W2",
           caption="z₂ changes with h₁ at the rate W₂."),
        _t("dL/dh1", "dL_dz2 * dz2_dh1", LAYER1, "h1",
           caption="The error signal ∂L/∂z₂ = {dL/dz2} arrives at h₁, scaled by W₂."),
        _t("dh1/dz1", _derivative(a1, "h1", "z1", leak), LAYER1, "h1", caption=_dh1_caption(network)),
        _t("dL/dz1", "dL_dh1 * dh1_dz1", LAYER1, "h1", caption=_dz_caption(network, 1)),
        _t("dz1/dW1", "x", LAYER1, "W1",
           caption="z₁ = W₁·x + b₁ changes with W₁ at the rate x."),
        _t("dL/dW1", "dL_dz1 * dz1_dW1", LAYER1, "W1", mean=True,
           caption="W₁'s gradient: every link from the loss back to the first weight, multiplied. "
                   "Compare ∂L/∂W₂ = {dL/dW2} and ∂L/∂W₃ = {dL/dW3}."),
        _t("dz1/db1", "1", LAYER1, "b1",
           caption="The bias adds directly: 1."),
        _t("dL/db1", "dL_dz1 * dz1_db1", LAYER1, "b1", mean=True,
           caption="b₁'s gradient is ∂L/∂z₁ = {dL/dz1}."),

        *update_terms(rule),
        _t("yhat_next", _activation(out, f"W3_next * {hidden2} + b3_next", leak),
           UPDATE, "yhat", caption="The forward pass again, with the new parameters: ŷ was {yhat}."),
        _t("L_next", "0.5 * (yhat_next - y) ** 2" if half else "(yhat_next - y) ** 2",
           UPDATE, "L", mean=True,
           caption="The new loss: smaller than L = {L} before if α was small enough."),
    )


class Terms(tuple):
    """A term table written for a spec: a tuple of TermDef.  It compares and
    hashes as the plain tuple, so that equal tables (specs that differ only in
    a slope no layer uses) share compiled code."""

    def __hash__(self):
        # Hashed on every lookup of compiled code: hashing forty dataclasses
        # each time was a tenth of an edit's work.  A table never changes.
        try:
            return self._hash
        except AttributeError:
            self._hash = tuple.__hash__(self)
            return self._hash


@functools.lru_cache(maxsize=None)
def terms_for(spec=DEFAULT_SPEC):
    """The term table of ``spec``; the same object for equal specs."""
    if not isinstance(spec, Spec):
        raise TypeError(f"terms_for takes a Spec, not {type(spec).__name__}")
    if not spec.is_reference_shape:
        raise ValueError(f"the term table is the 1-1-1-1 chain's; layers {spec.layers} "
                         f"are engine.layers' (engine.layers.table_for)")
    return Terms(_build(spec.network, spec.update))


TERMS = terms_for(DEFAULT_SPEC)

GRADIENTS = tuple(f"dL/d{p}" for p in PARAMS)
# Each hidden layer's activation derivative ∂h/∂z, layer 1 first: where networks differ.
FACTORS = ("dh1/dz1", "dh2/dz2")
# Terms that belong to the state after the update, not to the state itself.
LOOKAHEAD = ("yhat_next", "L_next")
# The optimizer state a table may keep, in the order of a history row's columns:
# each prefix for every parameter (Adam's m before its v), then the counter t.
STATE_PREFIXES = ("m", "v", "s")


def _state_order(name):
    if name == "t":
        return (len(STATE_PREFIXES), 0)
    prefix, param = name.split("_", 1)
    return (STATE_PREFIXES.index(prefix), PARAMS.index(param))


def state_order(names):
    """Optimizer-state names in the canonical order of a row's columns."""
    return tuple(sorted(names, key=_state_order))


@functools.lru_cache(maxsize=None)
def state_columns(terms):
    """The optimizer state of a term table: every ``X`` that has an ``X_next``
    term and is neither a parameter nor the look-ahead, in the canonical
    order (``v_W1`` … ``v_b3``; Adam's ``m_*``, ``v_*``; ``t``).  Plain
    gradient descent at a constant rate keeps none: ``()``."""
    names = [t.id[:-len("_next")] for t in terms if t.id.endswith("_next")]
    return state_order(n for n in names if n not in PARAMS and n + "_next" not in LOOKAHEAD)
