"""Saturated units: where an activation's derivative nearly stops the signal.

The reference: "Gradients are always scaled down (≤ 1) ... Can lead to
vanishing gradients".  A hidden unit whose factor ∂h/∂z is below
SATURATED_BELOW passes back less than a twentieth of what reaches it.
"""

SATURATED_BELOW = 0.05
FACTORS = {"h1": "dh1/dz1", "h2": "dh2/dz2"}   # each hidden unit's activation-derivative term


def saturated_units(derivation, threshold=SATURATED_BELOW):
    """{unit: its factor} for every hidden unit whose |∂h/∂z| is below ``threshold``."""
    found = {}
    for unit, term in FACTORS.items():
        factor = derivation.value(term)
        if abs(factor) < threshold:
            found[unit] = factor
    return found
