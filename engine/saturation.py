"""Saturated units: where an activation's derivative nearly stops the signal.

The reference: "Gradients are always scaled down (≤ 1) ... Can lead to
vanishing gradients".  A hidden unit whose factor ∂h/∂z is below
SATURATED_BELOW passes back less than a twentieth of what reaches it.

Why it does depends on the activation, and so does the word for it: tanh and
the sigmoid *saturate* (their curve is flat far from 0); a ReLU with z ≤ 0 is
not saturated but *inactive* (its slope is exactly 0, a "dead ReLU" when it
stays there); a leaky ReLU with z < 0 is *nearly inactive* (its slope is the
small leak).

The chain has one unit per hidden layer, ``h1`` and ``h2``.  A network of
another shape has several: unit i of layer l is ``h{l}[i]``, and its factor
is the element ``dh{l}/dz{l}[i]`` of the network's derivation
(:func:`engine.network.derive`); :func:`hidden_units` lists them and
:func:`saturated_units` reads either kind of derivation.
"""

import re

from . import network
from .elements import SCALAR
from .terms import FACTORS

SATURATED_BELOW = 0.05
UNIT_LAYERS = {"h1": 1, "h2": 2}
UNIT_FACTORS = dict(zip(UNIT_LAYERS, FACTORS))   # each hidden unit's factor ∂h/∂z

# A hidden unit's factor in a derivation: dh2/dz2 (the chain's) or dh2/dz2[3] (a network's unit 3).
_FACTOR = re.compile(r"dh(\d+)/dz\1(?:\[(\d+)\])?")


def hidden_units(spec):
    """{unit: the id of its factor ∂h/∂z in the derivation} of every hidden
    unit, layer 1 first: UNIT_FACTORS for the reference's shape; else
    ``{"h1[1]": "dh1/dz1[1]", "h1[2]": "dh1/dz1[2]", …}``, as the network's
    derivation names them (a linear layer's units share its one constant
    factor, ``dh1/dz1``)."""
    if spec.is_reference_shape:
        return dict(UNIT_FACTORS)
    kinds = network.table(spec).kinds
    return {f"h{l}[{i}]": f"dh{l}/dz{l}" if kinds[f"dh{l}_dz{l}"].form == SCALAR else f"dh{l}/dz{l}[{i}]"
            for l in range(1, spec.hidden + 1) for i in range(1, spec.layers[l] + 1)}


def unit_layer(unit):
    """The hidden layer of a unit: ``h2`` -> 2, ``h2[3]`` -> 2; what
    ``spec.activation`` takes to name the unit's activation."""
    return int(unit[1:].partition("[")[0])


def saturated_units(derivation, threshold=SATURATED_BELOW):
    """{unit: its factor} for every hidden unit whose |∂h/∂z| is below
    ``threshold``, layer 1 first: ``h1``, ``h2`` in the chain's derivation;
    each unit ``h1[2]`` … in a network's (:func:`engine.network.derive`,
    whose factor of a batch is the unit's mean over the samples).  A
    network's linear layer has one factor for all its units, the constant 1,
    which no threshold up to 1 flags."""
    units = []
    for term in derivation:
        match = _FACTOR.fullmatch(term.id)
        if match:
            layer, index = int(match[1]), match[2]
            unit = f"h{layer}[{index}]" if index else f"h{layer}"
            units.append(((layer, int(index or 0)), unit, derivation.value(term.id)))
    return {unit: factor for _, unit, factor in sorted(units) if abs(factor) < threshold}


def flag_words(activation, factor):
    """What a unit with this ``activation`` (an entry of
    :data:`engine.terms.ACTIVATIONS`) and a factor ∂h/∂z below the threshold
    is called: "saturated", "inactive (dead ReLU)" or "nearly inactive"."""
    if activation in ("tanh", "sigmoid"):
        return "saturated"
    if activation == "relu" and factor == 0:
        return "inactive (dead ReLU)"
    # A ReLU whose factor is a batch mean between 0 and the threshold is active
    # for a few samples only; a leaky ReLU passes back just its leak.
    return "nearly inactive"


def flag_explanation(activation, factor, threshold=SATURATED_BELOW):
    """The tooltip of a flag: why the unit passes back almost nothing."""
    if activation in ("tanh", "sigmoid"):
        why = (f"{activation} is saturated, flat this far from 0: its slope ∂h/∂z is below "
               f"{threshold}, so this unit passes back almost nothing")
    elif activation == "relu" and factor == 0:
        why = ("z ≤ 0, so ReLU outputs 0 and its slope ∂h/∂z is exactly 0: this unit passes back "
               "nothing, and stays dead while z stays negative")
    elif activation == "relu":
        why = (f"ReLU is active for few of the samples: the mean slope ∂h/∂z is below {threshold}, "
               "so this unit passes back almost nothing")
    elif activation == "leaky_relu":
        why = ("z < 0, so leaky ReLU's slope ∂h/∂z is only its leak: this unit passes back "
               "a small fraction of the gradient")
    else:
        why = f"∂h/∂z is below {threshold}, so this unit passes back almost nothing"
    return f"{why}; the gradients before it vanish."
