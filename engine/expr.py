"""Turn one Python expression into display text, substituted text and code.

A term of the derivation is written once, as a Python expression over the
names of earlier terms (``"dL_dh2 * dh2_dz2"``).  This module renders that
expression the way the reference prints it (``∂L/∂h₂ × ∂h₂/∂z₂``), renders it
again with numbers in place of names (``−7.6878 × 0.82869``), and rewrites it
for the compiled training loops, so the text a learner reads is the code that
computes the value.
"""

import ast
import copy
import functools
import math
import warnings

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_GREEK = {"alpha": "α", "yhat": "ŷ", "err": "ŷ − y",
          # the numbers of the update and its scheduled rate
          "momentum": "μ", "rho": "ρ", "beta1": "β₁", "beta2": "β₂", "eps": "ε",
          "decay": "γ", "decay_every": "k", "clip_c": "c", "lr": "αₜ", "grad_norm": "‖∇L‖"}
# Per-parameter quantities of an optimizer: ``mhat_W1`` reads m̂_W₁.
_PREFIXES = {"mhat": "m̂", "vhat": "v̂"}
# Display names of the functions a formula may call (engine/compiled.py computes them).
_FUNCTIONS = {"tanh": "tanh", "sigmoid": "σ", "relu": "ReLU", "leaky_relu": "leaky ReLU"}
# A coefficient written as a fraction: 0.5 * err ** 2 reads ½(ŷ − y)².
_FRACTIONS = {0.5: "½"}

# Binding strength: a lower number binds more loosely.
_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5


# Each special call takes its arguments as (text, binding strength) pairs.

def _step(z):
    """ReLU's derivative as an Iverson bracket: 1 where the condition holds, else 0."""
    return f"[{z[0]} > 0]", _ATOM


def _leaky_step(z, slope):
    """Leaky ReLU's derivative: 1 where z > 0, else the slope."""
    return f"[{z[0]} > 0] + {slope[0]} × [{z[0]} ≤ 0]", _ADD


def _sqrt(z):
    return "√" + _wrap(z[0], z[1] < _ATOM), _POW


def _norm(*parts):
    """The Euclidean norm, written out: √(a² + b² + …)."""
    return "√(" + " + ".join(_wrap(text, prec <= _POW or "/" in text) + "²"
                             for text, prec in parts) + ")", _POW


def _clip(g, c):
    """Clipping by value: min(max(g, −c), c)."""
    return f"min(max({g[0]}, −{_wrap(c[0], c[1] <= _NEG)}), {c[0]})", _ATOM


def _clip_scale(norm, c):
    """The factor of clipping by norm: 1, or c / ‖g‖ where ‖g‖ > c."""
    return f"min(1, {c[0]} / {_wrap(norm[0], norm[1] <= _MUL)})", _ATOM


def _hadamard(a, b):
    """The element-wise product of two arrays: a ⊙ b."""
    return f"{_wrap(a[0], a[1] < _MUL)} ⊙ {_wrap(b[0], b[1] <= _MUL)}", _MUL


def _total(v):
    """The sum of an array's elements: Σ(ŷ − y)²."""
    return "Σ" + _wrap(v[0], v[1] < _POW and not v[0].startswith("½")), _MUL


# Functions displayed as a formula of their arguments rather than as name(args).
_SPECIAL_CALLS = {"step": _step, "leaky_step": _leaky_step, "sqrt": _sqrt, "norm": _norm,
                  "clip": _clip, "clip_scale": _clip_scale, "hadamard": _hadamard, "sum": _total}
_BINOPS = {
    ast.Add: (_ADD, " + "), ast.Sub: (_ADD, " − "),
    ast.Mult: (_MUL, " × "), ast.Div: (_MUL, " / "),
    ast.MatMult: (_MUL, " "),   # a matrix product is written by juxtaposition: W₂ h₁
}


def var(term_id):
    """The Python name of a term's ASCII id (``dL/dW1`` -> ``dL_dW1``)."""
    return term_id.replace("/", "_")


def term_id(name):
    """Inverse of :func:`var`."""
    if name.startswith("d") and "_d" in name:
        return name.replace("_d", "/d", 1)
    return name


@functools.lru_cache(maxsize=None)
def symbol(term):
    """Display symbol of an id or a Python name: ``dL/dW2`` -> ``∂L/∂W₂``;
    an element's name (engine.elements) ``dL_dW2__1_2`` -> ``∂L/∂W₂[1,2]``."""
    base, _, index = term.partition("__")
    if index:
        whole = symbol(base)
        return f"{f'({whole})' if _spaced(whole) else whole}[{index.replace('_', ',')}]"
    term = term_id(term)
    if term.endswith("_next"):
        return symbol(term[: -len("_next")]) + "′"
    head, _, rest = term.partition("_")
    if head in _PREFIXES and rest:
        return f"{_PREFIXES[head]}_{symbol(rest)}"
    if term.startswith("d") and "/d" in term:
        top, bottom = term[1:].split("/d", 1)
        return f"∂{symbol(top)}/∂{symbol(bottom)}"
    return _GREEK.get(term, term.translate(_SUB))


def number(value, digits=5):
    """A number as a learner reads it: ``digits`` significant digits, a true minus."""
    if isinstance(value, int):
        return str(value).replace("-", "−")
    value = value + 0.0  # −0.0 reads as 0: its sign means nothing to a learner
    return f"{value:.{digits}g}".replace("-", "−")


MAX_DIGITS = 17   # enough for any float64 to read back as itself


def shown_numbers(source, values, value=None, digits=5):
    """The text of each number the substitution of ``source`` shows, by name.

    ``digits`` significant digits, unless the expression evaluated on the
    numbers as shown disagrees with its value (``value``, or ``source``
    evaluated on ``values``) by more than one unit in the ``digits``-th
    significant place of that value: then every number gets more digits, up
    to MAX_DIGITS, until it agrees.  Rounding must not hide what matters: for
    1 − h² at h = 0.9999999966… "1 − 1²" is 0, not 6.75e−9, and the reader
    could not check the arithmetic.  A value that is not finite keeps
    ``digits``."""
    names = sorted(source_names(source))
    full = {n: values[n] for n in names}
    if value is None:
        value = _evaluate(source, full)
    texts = {n: number(full[n], digits) for n in names}
    if value is None or not math.isfinite(value):
        return texts
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - (digits - 1)) if value else 0.0
    for shown_digits in range(digits, MAX_DIGITS + 1):
        texts = {n: number(full[n], shown_digits) for n in names}
        shown = _evaluate(source, {n: _rounded(full[n], shown_digits) for n in names})
        if shown is not None and abs(shown - value) <= unit:
            break
    return texts


def _rounded(value, digits):
    """The number a reader sees: ``value`` at ``digits`` significant digits, as :func:`number` shows it."""
    return value if isinstance(value, int) else float(f"{value + 0.0:.{digits}g}")


@functools.lru_cache(maxsize=None)
def _code(source):
    return compile(source, "<engine.expr>", "eval")


def _evaluate(source, values):
    """``source`` on Python floats, with the functions the compiled code uses;
    None where Python refuses (a float's ** overflows)."""
    from . import compiled   # here, not at import: compiled imports this module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = eval(_code(source), dict(compiled._FUNCTIONS["scalar"]), dict(values))
        return float(result)
    except (OverflowError, ZeroDivisionError, ValueError, TypeError):
        return None


@functools.lru_cache(maxsize=None)
def parse(source):
    """The expression tree of ``source``; shared, so callers must not mutate it."""
    return ast.parse(source, mode="eval").body


@functools.lru_cache(maxsize=None)
def source_names(source):
    return frozenset(names(parse(source)))


def names(node):
    """The names an expression reads (not the functions it calls)."""
    called = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and id(n) not in called}


def render(node, leaf):
    """Display text of an expression; ``leaf(name)`` gives a name's text."""
    return _render(node, leaf)[0]


def _spaced(text):
    """Whether ``text`` has a space outside brackets: ``ŷ − y`` does, ``(ŷ − y)[1]`` and ``[0.1; 0.2]`` do not."""
    depth = 0
    for char in text:
        depth += char in "([" and 1 or char in ")]" and -1 or 0
        if char == " " and depth == 0:
            return True
    return False


def _leaf_text(text, negative):
    if negative:
        return text, _NEG
    return text, (_ADD if _spaced(text) else _ATOM)


def _render(node, leaf):
    if isinstance(node, ast.Name):
        return _leaf_text(*leaf(node.id))
    if isinstance(node, ast.Constant):
        return _leaf_text(number(node.value), node.value < 0)
    if isinstance(node, ast.Attribute) and node.attr == "T":
        text, prec = _render(node.value, leaf)
        return _wrap(text, prec < _ATOM) + "ᵀ", _ATOM
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        text, prec = _render(node.operand, leaf)
        return "−" + _wrap(text, prec <= _NEG), _NEG
    if isinstance(node, ast.Call):
        args = [_render(a, leaf) for a in node.args]
        if node.func.id in _SPECIAL_CALLS:
            return _SPECIAL_CALLS[node.func.id](*args)
        return f"{_FUNCTIONS.get(node.func.id, node.func.id)}({', '.join(a[0] for a in args)})", _ATOM
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, prec = _render(node.left, leaf)
        # ∂L/∂W₁² would read as a derivative by W₁²: (∂L/∂W₁)².
        base = _wrap(base, prec <= _POW or "/" in base)
        if isinstance(node.right, ast.Constant):
            power = node.right.value
            return base + ("²" if power == 2 else "^" + number(power)), _POW
        exponent, eprec = _render(node.right, leaf)
        return base + "^" + _wrap(exponent, eprec < _ATOM), _POW
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv):
        left, right = _render(node.left, leaf)[0], _render(node.right, leaf)[0]
        return f"⌊{left} / {right}⌋", _ATOM
    if isinstance(node, ast.BinOp):
        prec, sign = _BINOPS[type(node.op)]
        left, lprec = _render(node.left, leaf)
        right, rprec = _render(node.right, leaf)
        left = _wrap(left, lprec < prec)
        # A negative number right of an operator is always bracketed, as in
        # "0.8 × 0.8005 + (−0.2)"; so is the right side of − and /.
        strict = isinstance(node.op, (ast.Sub, ast.Div))
        right = _wrap(right, rprec < prec or rprec == _NEG or (strict and rprec == prec))
        if isinstance(node.op, ast.Mult) and isinstance(node.left, ast.Constant):
            left = _FRACTIONS.get(node.left.value, left)
            if right.startswith("("):
                return left + right, prec  # 2(ŷ − y), as the reference writes it; ½(ŷ − y)²
        if isinstance(node.op, ast.Mult) and rprec == _ADD and lprec > _NEG:
            return left + right, prec  # h₁(1 − h₁): a factor times a bracketed sum
        return left + sign + right, prec
    raise ValueError(f"unsupported expression: {ast.unparse(node)}")


def _wrap(text, needed):
    return f"({text})" if needed else text


# --- code generation ---------------------------------------------------------

def _is_one(node):
    return isinstance(node, ast.Constant) and node.value == 1


class _Simplify(ast.NodeTransformer):
    """Replace names by known aliases or constants, drop × 1, and square by
    multiplication: ``a ** 2`` on a Python float raises OverflowError where
    ``a * a`` gives inf, and the training loop must see inf, not an exception."""

    def __init__(self, known):
        self.known = known

    def visit_Name(self, node):
        if node.id in self.known:
            return copy.deepcopy(self.known[node.id])
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Mult):
            if _is_one(node.right):
                return node.left
            if _is_one(node.left):
                return node.right
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and node.right.value == 2:
            return ast.BinOp(node.left, ast.Mult(), copy.deepcopy(node.left))
        return node


def simplify(node, known):
    """Return a simplified copy of ``node`` given ``known`` aliases."""
    return ast.fix_missing_locations(_Simplify(known).visit(copy.deepcopy(node)))


def is_trivial(node):
    """True for a bare name or constant: such a term is aliased, not computed."""
    return isinstance(node, (ast.Name, ast.Constant))


def mean_code(node):
    """Code for the mean over samples of a per-sample expression.

    A product of two arrays becomes one dot product: a single pass with no
    temporary array, which is what keeps a batch step close to bare numpy.
    A constant factor is taken out of the mean (``0.5 * err * err``).
    """
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and isinstance(node.left, ast.Constant):
        return f"{ast.unparse(node.left)} * {mean_code(node.right)}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and isinstance(node.right, ast.Constant):
        return f"{mean_code(node.left)} * {ast.unparse(node.right)}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return f"_dot({ast.unparse(node.left)}, {ast.unparse(node.right)}) / _n"
    return f"_sum({ast.unparse(node)}) / _n"
