"""The derivation of the reference, one term a line, in the reference's order.

Each term is a Python expression over earlier terms: this is the single place
where a formula is written.  The display formula, the substitution, the
compiled training loops and the CSV all come from these lines.
"""

from dataclasses import dataclass

from . import expr

FORWARD, LAYER3, LAYER2, LAYER1, UPDATE = "forward", "3", "2", "1", "update"
SECTIONS = (FORWARD, LAYER3, LAYER2, LAYER1, UPDATE)
SECTION_TITLES = {
    FORWARD: "Forward pass", LAYER3: "Layer 3 (output)", LAYER2: "Layer 2 (tanh)",
    LAYER1: "Layer 1 (tanh)", UPDATE: "Gradient-descent update",
}


@dataclass(frozen=True)
class TermDef:
    id: str          # stable ASCII id, the CSV's "quantity"
    source: str      # the Python expression that computes it
    section: str     # forward, 3, 2, 1 or update
    node: str        # the diagram element it belongs to (node, edge or bias)
    mean: bool = False  # averaged over the samples of a batch

    @property
    def var(self):
        return expr.var(self.id)

    @property
    def symbol(self):
        return expr.symbol(self.id)


def _t(term_id, source, section, node, mean=False):
    return TermDef(term_id, source, section, node, mean)


TERMS = (
    _t("z1", "W1 * x + b1", FORWARD, "h1"),
    _t("h1", "tanh(z1)", FORWARD, "h1"),
    _t("z2", "W2 * h1 + b2", FORWARD, "h2"),
    _t("h2", "tanh(z2)", FORWARD, "h2"),
    _t("z3", "W3 * h2 + b3", FORWARD, "yhat"),
    _t("yhat", "z3", FORWARD, "yhat"),
    _t("err", "yhat - y", FORWARD, "L"),
    _t("L", "err ** 2", FORWARD, "L", mean=True),

    _t("dL/dyhat", "2 * err", LAYER3, "yhat"),
    _t("dyhat/dz3", "1", LAYER3, "yhat"),
    _t("dL/dz3", "dL_dyhat * dyhat_dz3", LAYER3, "yhat"),
    _t("dz3/dW3", "h2", LAYER3, "W3"),
    _t("dL/dW3", "dL_dz3 * dz3_dW3", LAYER3, "W3", mean=True),
    _t("dz3/db3", "1", LAYER3, "b3"),
    _t("dL/db3", "dL_dz3 * dz3_db3", LAYER3, "b3", mean=True),
    _t("dz3/dh2", "W3", LAYER3, "W3"),
    _t("dL/dh2", "dL_dz3 * dz3_dh2", LAYER3, "h2"),

    _t("dh2/dz2", "1 - h2 ** 2", LAYER2, "h2"),
    _t("dL/dz2", "dL_dh2 * dh2_dz2", LAYER2, "h2"),
    _t("dz2/dW2", "h1", LAYER2, "W2"),
    _t("dL/dW2", "dL_dz2 * dz2_dW2", LAYER2, "W2", mean=True),
    _t("dz2/db2", "1", LAYER2, "b2"),
    _t("dL/db2", "dL_dz2 * dz2_db2", LAYER2, "b2", mean=True),
    _t("dz2/dh1", "W2", LAYER2, "W2"),
    _t("dL/dh1", "dL_dz2 * dz2_dh1", LAYER2, "h1"),

    _t("dh1/dz1", "1 - h1 ** 2", LAYER1, "h1"),
    _t("dL/dz1", "dL_dh1 * dh1_dz1", LAYER1, "h1"),
    _t("dz1/dW1", "x", LAYER1, "W1"),
    _t("dL/dW1", "dL_dz1 * dz1_dW1", LAYER1, "W1", mean=True),
    _t("dz1/db1", "1", LAYER1, "b1"),
    _t("dL/db1", "dL_dz1 * dz1_db1", LAYER1, "b1", mean=True),

    _t("W1_next", "W1 - alpha * dL_dW1", UPDATE, "W1"),
    _t("b1_next", "b1 - alpha * dL_db1", UPDATE, "b1"),
    _t("W2_next", "W2 - alpha * dL_dW2", UPDATE, "W2"),
    _t("b2_next", "b2 - alpha * dL_db2", UPDATE, "b2"),
    _t("W3_next", "W3 - alpha * dL_dW3", UPDATE, "W3"),
    _t("b3_next", "b3 - alpha * dL_db3", UPDATE, "b3"),
    _t("yhat_next", "W3_next * tanh(W2_next * tanh(W1_next * x + b1_next) + b2_next) + b3_next",
       UPDATE, "yhat"),
    _t("L_next", "(yhat_next - y) ** 2", UPDATE, "L", mean=True),
)

BY_ID = {t.id: t for t in TERMS}
GRADIENTS = tuple(f"dL/d{p}" for p in ("W1", "b1", "W2", "b2", "W3", "b3"))
# Terms that belong to the state after the update, not to the state itself.
LOOKAHEAD = ("yhat_next", "L_next")
