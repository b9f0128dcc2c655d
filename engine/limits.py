"""Names, defaults and accepted ranges of every number a learner can set."""

import math

PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
INPUTS = ("x", "y", "alpha")

# The worked example of the reference derivation.
DEFAULTS = {
    "W1": 0.5, "b1": 0.1, "W2": 0.8, "b2": -0.2, "W3": 1.2, "b3": 0.3,
    "x": 2.0, "y": 4.0, "alpha": 0.01,
}

# Wide enough to explore divergence (alpha = 50 blows up), narrow enough that
# one forward pass of the starting state cannot overflow a float64.
LIMITS = {name: (-1000.0, 1000.0) for name in PARAMS + ("x", "y")}
LIMITS["alpha"] = (0.0, 100.0)


class InputError(ValueError):
    """A value a learner or a script gave that the engine refuses."""

    def __init__(self, name, message):
        # A learner reads a field in words (engine.terms.FIELD_TEXT), not its Python
        # name; ``name`` stays for code (the command line's option).  The numbers of
        # LIMITS keep their names for now: sessions' and scripts' messages quote them.
        from .terms import field_text   # here: engine.terms imports this module
        super().__init__(f"{name if name in LIMITS else field_text(name)}: {message}")
        self.name = name
        self.message = message


def check(name, value):
    """Return ``value`` as a float, or raise InputError naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(name, f"not a number: {value!r}") from None
    except OverflowError:
        raise InputError(name, "too large for a floating-point number") from None
    if not math.isfinite(number):
        raise InputError(name, f"must be finite, got {value!r}")
    low, high = LIMITS[name]
    if not low <= number <= high:
        raise InputError(name, f"{number:g} is outside the accepted range [{low:g}, {high:g}]")
    return number
