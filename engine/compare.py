"""The same weights under two networks: each gradient, its ratio, and the
factors that make the difference (the reference's "Linear vs Tanh" section)."""

from dataclasses import dataclass, replace

from .derivation import derive
from .terms import FACTORS, GRADIENTS


@dataclass(frozen=True)
class Row:
    id: str
    symbol: str
    a: float
    b: float

    @property
    def ratio(self):
        """b / a; inf or nan where a is 0."""
        if self.a == 0:
            return float("nan") if self.b == 0 else float("inf")
        return self.b / self.a


def compare(params, x, y, alpha, spec_a, spec_b, state=None):
    """Rows for the six gradients and the two activation factors under
    ``spec_a`` and ``spec_b`` (both Specs), at the same parameters and samples."""
    first = derive(params, x, y, alpha, spec_a, state)
    second = derive(params, x, y, alpha, spec_b, state)
    return [Row(term_id, first[term_id].symbol, first.value(term_id), second.value(term_id))
            for term_id in GRADIENTS + FACTORS[::-1]]   # layer 2's first, as the table meets them


def both_layers(spec, activation):
    """``spec`` with both hidden layers using ``activation``."""
    return replace(spec, activation1=activation, activation2=activation)
