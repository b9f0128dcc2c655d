"""The same weights under two networks: each gradient, its ratio, and the
factors that make the difference (the reference's "Linear vs Tanh" section).

The chain (the reference's 1-1-1-1 shape) compares its six gradients and its
two layers' factors.  A network of another shape compares every gradient
element (``dL/dW2[1,2]``) and every hidden unit's factor (``dh1/dz1[2]``),
from :func:`engine.network.evaluate`: the same lines as its derivation."""

from dataclasses import dataclass, replace

from . import elements, expr, network
from .derivation import derive
from .factors import factors_of
from .limits import InputError
from .network_training import check_array, check_samples
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
    ``spec_a`` and ``spec_b`` (both Specs), at the same parameters and samples.

    Specs of another shape than the reference's (both the same shape) give
    :func:`network_rows`: a row per gradient element and per hidden unit."""
    if not (spec_a.is_reference_shape and spec_b.is_reference_shape):
        return network_rows(params, x, y, alpha, spec_a, spec_b, state)
    first = derive(params, x, y, alpha, spec_a, state)
    second = derive(params, x, y, alpha, spec_b, state)
    return [Row(term_id, first[term_id].symbol, first.value(term_id), second.value(term_id))
            for term_id in GRADIENTS + FACTORS[::-1]]   # layer 2's first, as the table meets them


def network_rows(params, x, y, alpha, spec_a, spec_b, state=None):
    """The comparison of two networks of the same shape (any, the reference's
    too) at the same parameters ({W1: matrix, b1: vector, …}) and samples
    (one sample, or (n, width) rows): a row per gradient element, parameter
    by parameter and row by row (``dL/dW1[1,1]`` … ``dL/db_L[…]``), then a
    row per hidden unit's factor ∂h/∂z, the top hidden layer first as the
    derivation meets them (``dh2/dz2[1]``, …, ``dh1/dz1[1]``, …).  A batch's
    values are the means over its samples, as the derivation shows them."""
    if spec_a.layers != spec_b.layers:
        raise InputError("layers", f"the two networks must have the same layers to share their "
                                   f"weights, got {'-'.join(map(str, spec_a.layers))} and "
                                   f"{'-'.join(map(str, spec_b.layers))}")
    tab = network.table(spec_a)
    params = {p: check_array(p, params[p], tab.kinds[p]) for p in tab.params}
    x, y = check_samples(spec_a, x, y)
    first = network.evaluate(spec_a, params, x, y, alpha, state)
    second = network.evaluate(spec_b, params, x, y, alpha, state)
    rows = []
    for p in tab.params:
        name = f"dL_d{p}"
        kind = tab.kinds[p]
        for i, j in elements.indices(kind):
            rows.append(Row(elements.element_id(f"dL/d{p}", kind, i, j),
                            expr.symbol(elements.name(name, kind, i, j)),
                            float(first[name][i - 1, j - 1]), float(second[name][i - 1, j - 1])))
    factors_a, factors_b = factors_of(spec_a, first), factors_of(spec_b, second)
    for layer in range(spec_a.hidden, 0, -1):
        for unit in range(1, spec_a.layers[layer] + 1):
            factor_id = f"dh{layer}/dz{layer}[{unit}]"
            rows.append(Row(factor_id, expr.symbol(f"dh{layer}_dz{layer}__{unit}"),
                            factors_a[factor_id], factors_b[factor_id]))
    return rows


def both_layers(spec, activation):
    """``spec`` with both hidden layers using ``activation``."""
    return replace(spec, activation1=activation, activation2=activation)


def all_hidden(spec, activation):
    """``spec`` with every hidden layer it has using ``activation`` (the
    output layer's own unchanged): for the reference's two hidden layers,
    :func:`both_layers`."""
    return replace(spec, **{f"activation{l}": activation for l in range(1, spec.hidden + 1)})
