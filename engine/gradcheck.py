"""Numerical gradient check: central differences against the analytic gradient."""

import sys
from dataclasses import dataclass

from .derivation import evaluate, loss_function
from .limits import PARAMS
from .terms import TERMS, as_terms

FLAG_ABOVE = 1e-6  # relative error above which a gradient is suspect
EPSILON = sys.float_info.epsilon


@dataclass(frozen=True)
class Check:
    param: str
    analytic: float
    numeric: float
    relative_error: float
    noise: float  # the rounding noise of the central difference itself

    @property
    def suspect(self):
        """Off by more than FLAG_ABOVE relative, and by more than the difference
        quotient can resolve: a saturated unit's tiny gradient (1e-10) is
        below what L's rounding lets a central difference see, not wrong."""
        difference = abs(self.analytic - self.numeric)
        return not difference <= FLAG_ABOVE * max(abs(self.analytic), abs(self.numeric)) + self.noise


def relative_error(a, b):
    """|a − b| relative to the larger magnitude; 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale > 0 else 0.0


def check_gradients(params, x, y, alpha, terms=TERMS, h=1e-6):
    """One :class:`Check` per parameter.  The step is ``h`` scaled by the
    parameter's size, so that the difference is not lost to rounding.
    ``terms``: a term table or a :class:`engine.terms.Spec`."""
    terms = as_terms(terms)
    analytic = evaluate(params, x, y, alpha, terms)
    loss = loss_function(x, y, alpha, terms)
    checks = []
    for p in PARAMS:
        step = h * max(1.0, abs(params[p]))
        up = loss({**params, p: params[p] + step})
        down = loss({**params, p: params[p] - step})
        numeric = float((up - down) / (2 * step))
        exact = float(analytic[f"dL_d{p}"])
        noise = 16 * EPSILON * (abs(up) + abs(down)) / (2 * step)
        checks.append(Check(p, exact, numeric, relative_error(exact, numeric), float(noise)))
    return checks
