"""Worked examples a learner may start from, each a network and its numbers.

``mazur``: the 2-2-2 network of the best-known worked example of
backpropagation (Matt Mazur, "A Step by Step Backpropagation Example"):
sigmoid hidden and output layers, the half-squared loss summed over both
outputs, one sample, α = 0.5.  Its published figures (E = 0.298371109,
∂E/∂w₅ = 0.082167041 …) are this network's L and ∂L/∂W₂[1,1].

``curve`` and ``xor`` are networks a single chain cannot be: 1-8-8-1 tanh
fitting y = sin x (which a chain of monotone units never fits), and the
2-4-1 network that learns XOR, the classic problem no single layer solves.
Their parameters are drawn (``init``, ``seed``); their samples are a
dataset (:func:`samples`).
"""

import numpy as np

from .dataset import preset
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
    "curve": {
        "network": {"layers": (1, 8, 8, 1)},
        "init": ("xavier", 0), "data": "sine", "alpha": 0.05,
        "update": {"optimizer": "adam"},
    },
    "xor": {
        "network": {"layers": (2, 4, 1), "output_activation": "sigmoid"},
        "init": ("xavier", 1), "data": "xor", "alpha": 0.5,
    },
}
# How a menu names each example.
EXAMPLE_TEXT = {"reference": "Reference (1-1-1-1)", "mazur": "Mazur's 2-2-2 example",
                "curve": "Curve fitting (1-8-8-1, tanh)", "xor": "XOR (2-4-1, tanh, sigmoid output)"}

XOR = (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([[0.0], [1.0], [1.0], [0.0]]))


def samples(name):
    """(x, y) of an example whose samples are a dataset: (n, width) arrays."""
    data = EXAMPLES[name]["data"]
    if data == "xor":
        return XOR[0].copy(), XOR[1].copy()
    x, y = preset(data)
    return x.reshape(-1, 1), y.reshape(-1, 1)
