"""The whole chain behind a gradient: which local derivatives multiply into
it, where they sit on the diagram, and which of them shrinks it most.

Nothing here writes a chain by hand: a term ``∂L/∂v`` is written in
:mod:`engine.terms` as a product of a nearer ``∂L/∂u`` and local links
(``dL_dz1 * dz1_dW1``), so following each ``∂L/∂…`` operand down to
``∂L/∂ŷ`` gives the chain of the table the derivation was made from (other
activations, the ½ loss).
"""

import ast
import functools
from dataclasses import dataclass

from . import expr
from .terms import LAYER1, LAYER2, LAYER3

_BACKWARD = (LAYER3, LAYER2, LAYER1)
_LOSS = "L"
# The input is a diagram node of its own although no term belongs to it.
_INPUT_NODE = "x"


@dataclass(frozen=True)
class Chain:
    gradient: str       # the term id, e.g. "dL/dW1"
    factors: tuple      # factor term ids from the loss back, links that are the constant 1 left out
    elements: tuple     # the diagram elements along the path, from L back to the parameter


def _is_loss_gradient(term_id):
    return term_id.startswith(f"d{_LOSS}/d")


def _product_operands(node):
    """The operands of a product ``a * b * …``, or None for anything else."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = _product_operands(node.left), _product_operands(node.right)
        return (left or [node.left]) + (right or [node.right])
    return None


def _links(by_id, term_id):
    """The leaf links of a term, in order from the loss back: a product's
    ``∂L/∂…`` operands are followed down, every other operand is a link."""
    operands = _product_operands(expr.parse(by_id[term_id].source))
    names = [expr.term_id(o.id) if isinstance(o, ast.Name) else None for o in operands or ()]
    if not operands or None in names or not any(_is_loss_gradient(n) for n in names):
        return [term_id]
    # The nearer gradient first: the chain reads from the loss back.
    names.sort(key=lambda n: not _is_loss_gradient(n))
    return [link for n in names for link in (_links(by_id, n) if _is_loss_gradient(n) else [n])]


@functools.lru_cache(maxsize=None)
def chains(terms):
    """{gradient id: Chain} for every ``∂L/∂…`` term of a term table's
    backward pass that is a product of links (∂L/∂ŷ itself is a single link)."""
    by_id = {t.id: t for t in terms}
    result = {}
    for t in terms:
        if t.section not in _BACKWARD or not _is_loss_gradient(t.id):
            continue
        links = _links(by_id, t.id)
        if links == [t.id]:
            continue
        elements = [by_id[_LOSS].node]
        for link in links:
            elements.append(by_id[link].node)
            if _INPUT_NODE in expr.source_names(by_id[link].source):
                elements.append(_INPUT_NODE)
        elements.append(t.node)   # where the gradient itself sits (h₂ for ∂L/∂h₂)
        factors = tuple(link for link in links if by_id[link].source.strip() != "1")
        result[t.id] = Chain(t.id, factors, tuple(dict.fromkeys(e for e in elements if e)))
    return result


def chain_of(derivation, gradient_id):
    """The Chain of a term of ``derivation``, or None for a term without one."""
    return chains(derivation.definitions).get(gradient_id)


def _factor_name(term):
    """How the chain's text names a factor: a gradient by its symbol, a
    local derivative by its formula."""
    return term.symbol if _is_loss_gradient(term.id) else term.formula


def _top_level_sum(text):
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if depth == 0 and text[i:i + 3] in (" + ", " − "):
            return True
    return False


def _in_product(text, first):
    """A factor's text inside a product: a sum or a later negative number in brackets."""
    return f"({text})" if _top_level_sum(text) or not first and text.startswith("−") else text


def shrinking_factor(derivation, gradient_id):
    """The factor of the chain smallest in size (the one that shrinks the
    product most), or None when every factor is at least 1 in size or the
    chain has a single factor (nothing to compare)."""
    chain = chain_of(derivation, gradient_id)
    if len(chain.factors) < 2:
        return None
    sizes = [(abs(derivation.value(f)), f) for f in chain.factors]
    size, factor = min(sizes, key=lambda pair: pair[0])
    return factor if size < 1 else None


def chain_text(derivation, gradient_id):
    """``∂L/∂W₁ = ∂L/∂ŷ × W₃ × (1 − h₂²) × … = −6.4065 × 1.2 × … = −3.6611;
    the factor that shrinks it most is 1 − h₁² = 0.3592 (…)``."""
    chain = chain_of(derivation, gradient_id)
    gradient = derivation[gradient_id]
    factors = [derivation[f] for f in chain.factors]
    names = " × ".join(_in_product(_factor_name(f), i == 0) for i, f in enumerate(factors))
    numbers = " × ".join(_in_product(expr.number(f.value), i == 0) for i, f in enumerate(factors))
    value = expr.number(gradient.value)
    batch = derivation.n_samples > 1
    if batch:
        # A mean of products is not the product of the means: show the rule, then the means.
        text = (f"{gradient.symbol} = the mean over the {derivation.n_samples} samples of {names} "
                f"= {value}; the factors' means: {numbers}")
    else:
        text = f"{gradient.symbol} = {names} = {numbers} = {value}"
    shrinker = shrinking_factor(derivation, gradient_id)
    if shrinker is None:
        return text if len(factors) < 2 else text + "; no factor shrinks it: each is at least 1 in size"
    term = derivation[shrinker]
    kept = abs(term.value) * 100
    kept_text = "none" if kept == 0 else f"{expr.number(kept, 2)} %"
    return (text + f"; the factor that shrinks it most is {_factor_name(term)} = "
            f"{expr.number(term.value)}{' on average' if batch else ''} "
            f"(it passes on {kept_text} of the signal that reaches it)")

