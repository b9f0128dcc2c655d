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
    caption: str = ""   # what this link of the chain does, in plain words (the walk-through)

    @property
    def var(self):
        return expr.var(self.id)

    @property
    def symbol(self):
        return expr.symbol(self.id)


def _t(term_id, source, section, node, mean=False, caption=""):
    return TermDef(term_id, source, section, node, mean, caption)


TERMS = (
    _t("z1", "W1 * x + b1", FORWARD, "h1",
       caption="Layer 1 weighs the input and adds its bias: z₁ = W₁·x + b₁."),
    _t("h1", "tanh(z1)", FORWARD, "h1",
       caption="Layer 1's activation squashes z₁ into (−1, 1) with tanh."),
    _t("z2", "W2 * h1 + b2", FORWARD, "h2",
       caption="Layer 2 weighs h₁ and adds its bias."),
    _t("h2", "tanh(z2)", FORWARD, "h2",
       caption="Layer 2's activation: tanh again."),
    _t("z3", "W3 * h2 + b3", FORWARD, "yhat",
       caption="The output layer weighs h₂ and adds b₃; it has no activation."),
    _t("yhat", "z3", FORWARD, "yhat",
       caption="The prediction ŷ is z₃ itself (regression: no output activation)."),
    _t("err", "yhat - y", FORWARD, "L",
       caption="The error: how far the prediction is from the target."),
    _t("L", "err ** 2", FORWARD, "L", mean=True,
       caption="The loss squares the error, so every miss costs, big ones most."),

    _t("dL/dyhat", "2 * err", LAYER3, "yhat",
       caption="Step 1 of the backward pass: how the loss changes as ŷ changes. The derivative of (ŷ − y)² is 2(ŷ − y)."),
    _t("dyhat/dz3", "1", LAYER3, "yhat",
       caption="Step 2: ŷ = z₃, so moving z₃ moves ŷ one for one."),
    _t("dL/dz3", "dL_dyhat * dyhat_dz3", LAYER3, "yhat",
       caption="Step 3, the chain rule: multiply the two links to get the loss's sensitivity to z₃."),
    _t("dz3/dW3", "h2", LAYER3, "W3",
       caption="Step 4: z₃ = W₃·h₂ + b₃ changes with W₃ at the rate h₂."),
    _t("dL/dW3", "dL_dz3 * dz3_dW3", LAYER3, "W3", mean=True,
       caption="Step 5: chain the two. This is W₃'s gradient: the update will use it."),
    _t("dz3/db3", "1", LAYER3, "b3",
       caption="Step 6: a bias adds directly, so its local derivative is 1."),
    _t("dL/db3", "dL_dz3 * dz3_db3", LAYER3, "b3", mean=True,
       caption="Step 7: b₃'s gradient is just ∂L/∂z₃."),

    _t("dz3/dh2", "W3", LAYER2, "W3",
       caption="Step 2 of layer 2: to go further back, ask how z₃ changes with h₂: at the rate W₃."),
    _t("dL/dh2", "dL_dz3 * dz3_dh2", LAYER2, "h2",
       caption="Step 3: the error signal arrives at h₂, scaled by the weight it passed through."),
    _t("dh2/dz2", "1 - h2 ** 2", LAYER2, "h2",
       caption="Step 4, the key step: through tanh. Its derivative is 1 − h₂²; near ±1 it is near 0 and the signal fades."),
    _t("dL/dz2", "dL_dh2 * dh2_dz2", LAYER2, "h2",
       caption="Step 5: the chain rule through the activation: the signal times tanh's slope."),
    _t("dz2/dW2", "h1", LAYER2, "W2",
       caption="Step 6: z₂ = W₂·h₁ + b₂ changes with W₂ at the rate h₁."),
    _t("dL/dW2", "dL_dz2 * dz2_dW2", LAYER2, "W2", mean=True,
       caption="Step 7: W₂'s gradient."),
    _t("dz2/db2", "1", LAYER2, "b2",
       caption="Step 8: the bias adds directly: 1."),
    _t("dL/db2", "dL_dz2 * dz2_db2", LAYER2, "b2", mean=True,
       caption="Step 9: b₂'s gradient is ∂L/∂z₂."),

    _t("dz2/dh1", "W2", LAYER1, "W2",
       caption="Step 2 of layer 1: z₂ changes with h₁ at the rate W₂."),
    _t("dL/dh1", "dL_dz2 * dz2_dh1", LAYER1, "h1",
       caption="Step 3: the error signal arrives at h₁, scaled by W₂."),
    _t("dh1/dz1", "1 - h1 ** 2", LAYER1, "h1",
       caption="Step 4: through tanh again: 1 − h₁². Two such factors now multiply the signal: this is where gradients can vanish."),
    _t("dL/dz1", "dL_dh1 * dh1_dz1", LAYER1, "h1",
       caption="Step 5: the chain rule through layer 1's activation."),
    _t("dz1/dW1", "x", LAYER1, "W1",
       caption="Step 6: z₁ = W₁·x + b₁ changes with W₁ at the rate x."),
    _t("dL/dW1", "dL_dz1 * dz1_dW1", LAYER1, "W1", mean=True,
       caption="Step 7: W₁'s gradient: every link from the loss back to the first weight, multiplied."),
    _t("dz1/db1", "1", LAYER1, "b1",
       caption="Step 8: the bias adds directly: 1."),
    _t("dL/db1", "dL_dz1 * dz1_db1", LAYER1, "b1", mean=True,
       caption="Step 9: b₁'s gradient is ∂L/∂z₁."),

    _t("W1_next", "W1 - alpha * dL_dW1", UPDATE, "W1",
       caption="Gradient descent: step W₁ against its gradient, scaled by the learning rate α."),
    _t("b1_next", "b1 - alpha * dL_db1", UPDATE, "b1",
       caption="The same update for b₁."),
    _t("W2_next", "W2 - alpha * dL_dW2", UPDATE, "W2",
       caption="The same update for W₂."),
    _t("b2_next", "b2 - alpha * dL_db2", UPDATE, "b2",
       caption="The same update for b₂."),
    _t("W3_next", "W3 - alpha * dL_dW3", UPDATE, "W3",
       caption="The same update for W₃."),
    _t("b3_next", "b3 - alpha * dL_db3", UPDATE, "b3",
       caption="The same update for b₃."),
    _t("yhat_next", "W3_next * tanh(W2_next * tanh(W1_next * x + b1_next) + b2_next) + b3_next",
       UPDATE, "yhat", caption="The forward pass again, with the new parameters."),
    _t("L_next", "(yhat_next - y) ** 2", UPDATE, "L", mean=True,
       caption="The new loss: smaller than before if α was small enough."),
)

BY_ID = {t.id: t for t in TERMS}
GRADIENTS = tuple(f"dL/d{p}" for p in ("W1", "b1", "W2", "b2", "W3", "b3"))
# Terms that belong to the state after the update, not to the state itself.
LOOKAHEAD = ("yhat_next", "L_next")
