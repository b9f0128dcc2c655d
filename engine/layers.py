"""The derivation of a network of any small shape, one line per vector term.

Layer l computes z_l = W_l h_{l−1} + b_l and h_l = act(z_l) (h₀ is x, the
last h is ŷ): W_l has one row per unit of layer l and one column per unit of
layer l − 1, so its element [i, j] connects unit j below to unit i above.
Each term below is a numpy expression over earlier terms, the matrix form
of the chain rule (``dL_dz2 @ h1.T`` is ∂L/∂W₂ = ∂L/∂z₂ h₁ᵀ).  From that one
line come its matrix formula, each element's own scalar formula with the
sums written out (:mod:`engine.elements`), and the code that computes it.

The 1-1-1-1 chain keeps its own table (:mod:`engine.terms`, the reference's
derivation with its local derivatives ∂z₃/∂W₃ …); every other shape is
written here.  The update is the same lines as the chain's
(:func:`engine.terms.update_terms`), element by element.
"""

import functools
import re

from . import expr
from .limits import InputError
from .terms import (ACTIVATION_NAMES, FORWARD, MAX_HIDDEN, MAX_WIDTH, UPDATE, Spec, TermDef, _activation,
                    _derivative, _update_title, update_terms)

LAYERS_TEXT = (f"{2}-{MAX_HIDDEN + 2} widths from 1 to {MAX_WIDTH} joined by '-', input first "
               f"(1-1-1-1, 2-2-2, 1-8-8-1)")


def parse_layers(text):
    """A network's widths from their text, ``2-2-2`` (spaces allowed around
    each); InputError naming ``layers`` and what is expected."""
    parts = [part.strip() for part in str(text).split("-")]
    if not (2 <= len(parts) <= MAX_HIDDEN + 2 and all(re.fullmatch(r"[0-9]+", p) for p in parts)
            and all(1 <= int(p) <= MAX_WIDTH for p in parts)):
        raise InputError("layers", f"must be {LAYERS_TEXT}, got {str(text)[:40]!r}")
    return tuple(int(p) for p in parts)


def params_of(layers):
    """The parameters' names of a network with widths ``layers``: W1, b1, W2, b2, …"""
    return tuple(f"{kind}{l}" for l in range(1, len(layers)) for kind in "Wb")


def shapes_of(layers):
    """Each parameter's and sample's array shape: W_l (units of l, units of l − 1),
    b_l, x and y columns of one sample."""
    shapes = {"x": (layers[0], 1), "y": (layers[-1], 1)}
    for l in range(1, len(layers)):
        shapes[f"W{l}"] = (layers[l], layers[l - 1])
        shapes[f"b{l}"] = (layers[l], 1)
    return shapes


def layer_section(l):
    """The section of layer ``l``'s backward terms: its number, as the chain's."""
    return str(l)


def _t(term_id, source, section, node, mean=False):
    return TermDef(term_id, source, section, node, mean)


def _below(l):
    """The name of what layer ``l`` weighs: x for the first."""
    return "x" if l == 1 else f"h{l - 1}"


def _out(l, last):
    return "yhat" if l == last else f"h{l}"


@functools.lru_cache(maxsize=None)
def table_for(spec):
    """The term table of a Spec of any shape, in the chain's order: the
    forward pass, each layer's backward terms from the output down, the
    update and the look-ahead."""
    if not isinstance(spec, Spec):
        raise TypeError(f"table_for takes a Spec, not {type(spec).__name__}")
    layers, leak, last = spec.layers, spec.leak, len(spec.layers) - 1
    half = spec.loss == "half-squared"
    rows = []
    for l in range(1, last + 1):
        out, act = _out(l, last), spec.activation(l)
        rows.append(_t(f"z{l}", f"W{l} @ {_below(l)} + b{l}", FORWARD, out))
        rows.append(_t(out, _activation(act, f"z{l}", leak), FORWARD, out))
    rows.append(_t("err", "yhat - y", FORWARD, "L"))
    rows.append(_t("L", "sum(0.5 * err ** 2)" if half else "sum(err ** 2)", FORWARD, "L", mean=True))
    for l in range(last, 0, -1):
        section, out, act = layer_section(l), _out(l, last), spec.activation(l)
        if l == last:
            rows.append(_t("dL/dyhat", "err" if half else "2 * err", section, "yhat"))
        else:
            rows.append(_t(f"dL/dh{l}", f"W{l + 1}.T @ dL_dz{l + 1}", section, out))
        slope = _derivative(act, out, f"z{l}", leak)
        derivative = f"d{out}/dz{l}"
        rows.append(_t(derivative, slope, section, out))
        rows.append(_t(f"dL/dz{l}", f"dL_d{out} * {expr.var(derivative)}", section, out))
        rows.append(_t(f"dL/dW{l}", f"dL_dz{l} @ {_below(l)}.T", section, f"W{l}", mean=True))
        rows.append(_t(f"dL/db{l}", f"dL_dz{l}", section, f"b{l}", mean=True))
    rows.extend(update_terms(spec.update, params_of(layers)))
    for l in range(1, last + 1):
        below = "x" if l == 1 else f"h{l - 1}_next"
        out = f"{_out(l, last)}_next"
        rows.append(_t(out, _activation(spec.activation(l), f"W{l}_next @ {below} + b{l}_next", leak),
                       UPDATE, _out(l, last)))
    rows.append(_t("L_next", "sum(0.5 * (yhat_next - y) ** 2)" if half else "sum((yhat_next - y) ** 2)",
                   UPDATE, "L", mean=True))
    return tuple(rows)


def section_titles(spec):
    """Each section's title: the forward pass, each layer by its activation, the update."""
    last = len(spec.layers) - 1
    titles = {FORWARD: "Forward pass"}
    for l in range(last, 0, -1):
        name = ACTIVATION_NAMES[spec.activation(l)]
        if spec.activation(l) == "leaky_relu":
            name += f", slope {expr.number(spec.leak)}"
        role = "output, " if l == last else ""
        titles[layer_section(l)] = f"Layer {l} ({role}{name}, {spec.layers[l]} unit" \
                                   f"{'s' if spec.layers[l] > 1 else ''})"
    titles[UPDATE] = _update_title(spec.update)
    return titles
