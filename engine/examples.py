"""Worked examples a learner may start from, each a network and its numbers.

``mazur``: the 2-2-2 network of the best-known worked example of
backpropagation (Matt Mazur, "A Step by Step Backpropagation Example"):
sigmoid hidden and output layers, the half-squared loss summed over both
outputs, one sample, α = 0.5.  Its published figures (E = 0.298371109,
∂E/∂w₅ = 0.082167041 …) are this network's L and ∂L/∂W₂[1,1].
"""

from .limits import DEFAULTS, PARAMS

EXAMPLES = {
    "reference": {
        "network": {},
        "params": {p: DEFAULTS[p] for p in PARAMS},
        "x": DEFAULTS["x"], "y": DEFAULTS["y"], "alpha": DEFAULTS["alpha"],
    },
    "mazur": {
        "network": {"layers": (2, 2, 2), "activation1": "sigmoid", "output_activation": "sigmoid",
                    "loss": "half-squared"},
        "params": {"W1": [[0.15, 0.20], [0.25, 0.30]], "b1": [0.35, 0.35],
                   "W2": [[0.40, 0.45], [0.50, 0.55]], "b2": [0.60, 0.60]},
        "x": [0.05, 0.10], "y": [0.01, 0.99], "alpha": 0.5,
    },
}
