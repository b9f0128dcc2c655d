"""Saturated units: where an activation's derivative nearly stops the signal.

The reference: "Gradients are always scaled down (≤ 1) ... Can lead to
vanishing gradients".  A hidden unit whose factor ∂h/∂z is below
SATURATED_BELOW passes back less than a twentieth of what reaches it.

Why it does depends on the activation, and so does the word for it: tanh and
the sigmoid *saturate* (their curve is flat far from 0); a ReLU with z ≤ 0 is
not saturated but *inactive* (its slope is exactly 0, a "dead ReLU" when it
stays there); a leaky ReLU with z < 0 is *nearly inactive* (its slope is the
small leak).
"""

from .terms import FACTORS

SATURATED_BELOW = 0.05
UNIT_LAYERS = {"h1": 1, "h2": 2}
UNIT_FACTORS = dict(zip(UNIT_LAYERS, FACTORS))   # each hidden unit's factor ∂h/∂z


def saturated_units(derivation, threshold=SATURATED_BELOW):
    """{unit: its factor} for every hidden unit whose |∂h/∂z| is below ``threshold``."""
    found = {}
    for unit, term in UNIT_FACTORS.items():
        factor = derivation.value(term)
        if abs(factor) < threshold:
            found[unit] = factor
    return found


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
