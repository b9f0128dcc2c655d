"""Turn one Python expression into display text, substituted text and code.

A term of the derivation is written once, as a Python expression over the
names of earlier terms (``"dL_dh2 * dh2_dz2"``).  This module renders that
expression the way the reference prints it (``∂L/∂h₂ × ∂h₂/∂z₂``), renders it
again with numbers in place of names (``−7.6878 × 0.82869``), and rewrites it
for the compiled training loops, so the text a learner reads is the code that
computes the value.  The same walk writes LaTeX (:func:`render_latex`,
:func:`latex_symbol`): one tree, two spellings (a :class:`Style` each).
"""

import ast
import copy
import functools
import itertools
import math
import re
import warnings

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# Each table gives a name's two spellings: as the window shows it, and in LaTeX.
_NAMES = {"alpha": ("α", r"\alpha"), "yhat": ("ŷ", r"\hat{y}"), "err": ("ŷ − y", r"\hat{y} - y"),
          # the numbers of the update and its scheduled rate
          "momentum": ("μ", r"\mu"), "rho": ("ρ", r"\rho"), "beta1": ("β₁", r"\beta_1"),
          "beta2": ("β₂", r"\beta_2"), "eps": ("ε", r"\varepsilon"), "decay": ("γ", r"\gamma"),
          "decay_every": ("k", "k"), "clip_c": ("c", "c"), "lr": ("αₜ", r"\alpha_t"),
          "grad_norm": ("‖∇L‖", r"\lVert{\nabla L}\rVert")}
# Per-parameter quantities of an optimizer: ``mhat_W1`` reads m̂_W₁.
_PREFIXES = {"mhat": ("m̂", r"\hat{m}"), "vhat": ("v̂", r"\hat{v}")}
# Display names of the functions a formula may call (engine/compiled.py computes them).
_FUNCTIONS = {"tanh": ("tanh", r"\tanh"), "sigmoid": ("σ", r"\sigma"), "relu": ("ReLU", r"\operatorname{ReLU}"),
              "leaky_relu": ("leaky ReLU", r"\operatorname{leaky\,ReLU}")}
# A coefficient written as a fraction: 0.5 * err ** 2 reads ½(ŷ − y)².
_FRACTIONS = {0.5: ("½", r"\frac{1}{2}")}

# Binding strength: a lower number binds more loosely.
_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5
_BINDING = {ast.Add: _ADD, ast.Sub: _ADD, ast.Mult: _MUL, ast.Div: _MUL, ast.MatMult: _MUL}
# Functions displayed as a formula of their arguments rather than as name(args):
# each a method of the Style, taking its arguments as (text, binding strength) pairs.
_SPECIAL_CALLS = frozenset({"step", "leaky_step", "sqrt", "norm", "clip", "clip_scale", "hadamard", "sum"})


class Style:
    """The spelling the window shows (``∂L/∂z₂ h₁ᵀ``, ``½(ŷ − y)²``): how a
    walk of an expression writes each name, operator and call."""

    pick = 0   # which spelling of the tables' pairs
    signs = {ast.Add: " + ", ast.Sub: " − ", ast.Mult: " × ", ast.Div: " / ",
             ast.MatMult: " "}   # a matrix product is written by juxtaposition: W₂ h₁
    minus, less_equal, odot, total, minimum, maximum = "−", " ≤ ", " ⊙ ", "Σ", "min", "max"
    floor, top, squared = ("⌊", "⌋"), "ᵀ", "²"
    fraction = "/"   # what marks a fraction, which a square brackets: (∂L/∂W₁)²
    brackets = "([", ")]"   # what a space inside does not split: (ŷ − y)[1] is one factor

    def spelled(self, table, key, default):
        return table[key][self.pick] if key in table else default

    def number(self, value):
        return number(value)

    def spaced(self, text):
        """Whether ``text`` has a space outside brackets: ``ŷ − y`` does, ``(ŷ − y)[1]`` and ``[0.1; 0.2]`` do not."""
        depth = 0
        for char in text:
            depth += char in self.brackets[0] and 1 or char in self.brackets[1] and -1 or 0
            if char == " " and depth == 0:
                return True
        return False

    def raised(self, text):
        """``text`` as the base of a superscript."""
        return text

    # --- symbols: ∂L/∂W₂ (a derivative of its top by its bottom), W₂′, m̂_W₁
    partial, prime, subscript = "∂{}/∂{}", "{}′", "{}_{}"

    def plain(self, name):
        return name.translate(_SUB)

    # --- operators, each giving (text, binding strength)
    def transpose(self, text, prec):
        return self.raised(_wrap(text, prec < _ATOM)) + self.top, _ATOM

    def power(self, base, exponent, constant=None):
        """``base`` to the power ``exponent``, both (text, strength); ``constant``: the power if a number."""
        text, prec = base
        # ∂L/∂W₁² would read as a derivative by W₁²: (∂L/∂W₁)².
        text = self.raised(_wrap(text, prec <= _POW or self.fraction in text))
        if constant == 2:
            return text + self.squared, _POW
        return text + self.superscript(exponent, constant), _POW

    def superscript(self, exponent, constant):
        return "^" + _wrap(exponent[0], constant is None and exponent[1] < _ATOM)

    def divide(self, left, right):
        """A quotient spelled as a fraction of its own, or None: a binary operator like the others."""
        return None

    def call(self, function, args):
        return f"{self.spelled(_FUNCTIONS, function, function)}({', '.join(a[0] for a in args)})", _ATOM

    # --- the special calls
    def step(self, z):
        """ReLU's derivative as an Iverson bracket: 1 where the condition holds, else 0."""
        return f"[{z[0]} > 0]", _ATOM

    def leaky_step(self, z, slope):
        """Leaky ReLU's derivative: 1 where z > 0, else the slope."""
        return f"[{z[0]} > 0] + {slope[0]}{self.signs[ast.Mult]}[{z[0]}{self.less_equal}0]", _ADD

    def sqrt(self, z):
        return "√" + _wrap(z[0], z[1] < _ATOM), _POW

    def norm(self, *parts):
        """The Euclidean norm, written out: √(a² + b² + …)."""
        return self.sqrt((" + ".join(self.power(p, ("2", _ATOM), 2)[0] for p in parts), _ADD))

    def clip(self, g, c):
        """Clipping by value: min(max(g, −c), c)."""
        return f"{self.minimum}({self.maximum}({g[0]}, {self.negate(*c)[0]}), {c[0]})", _ATOM

    def clip_scale(self, norm, c):
        """The factor of clipping by norm: 1, or c / ‖g‖ where ‖g‖ > c."""
        return f"min(1, {c[0]} / {_wrap(norm[0], norm[1] <= _MUL)})", _ATOM

    def hadamard(self, a, b):
        """The element-wise product of two arrays: a ⊙ b."""
        return f"{_wrap(a[0], a[1] < _MUL)}{self.odot}{_wrap(b[0], b[1] <= _MUL)}", _MUL

    def sum(self, v):
        """The sum of an array's elements: Σ(ŷ − y)²."""
        half = _FRACTIONS[0.5][self.pick]
        return self.total + _wrap(v[0], v[1] < _POW and not v[0].startswith(half)), _MUL

    def negate(self, text, prec):
        return self.minus + _wrap(text, prec <= _NEG), _NEG

    def floor_divide(self, left, right):
        return f"{self.floor[0]}{left[0]} / {right[0]}{self.floor[1]}", _ATOM


class LatexStyle(Style):
    """The same walk in LaTeX for amsmath: ``\\frac{\\partial L}{\\partial z_2} h_1^\\top``."""

    pick = 1
    signs = {ast.Add: " + ", ast.Sub: " - ", ast.Mult: r" \times ", ast.MatMult: " "}
    minus, less_equal, odot, total, minimum, maximum = "-", r" \le ", r" \odot ", r"\sum ", r"\min", r"\max"
    floor = r"\lfloor ", r" \rfloor"
    fraction = r"\frac"
    brackets = "([{", ")]}"
    top, squared = r"^\top", "^2"

    def number(self, value):
        return latex_number(number(value))

    def raised(self, text):
        # W_1' already carries a superscript (the prime): a second one needs braces.
        return "{" + text + "}" if text.endswith("'") else text

    partial, prime, subscript = r"\frac{{\partial {}}}{{\partial {}}}", "{}'", "{}_{{{}}}"

    def plain(self, name):
        head, _, rest = name.partition("_")
        if rest:   # an optimizer's state of a parameter: v_W1 reads v_{W_1}
            return self.subscript.format(self.plain(head), symbol(rest, self))
        letters, digits = re.fullmatch(r"(.*?)(\d*)", name).groups()
        letters = letters if len(letters) <= 1 else rf"\mathrm{{{letters}}}"
        return letters + (f"_{{{digits}}}" if len(digits) > 1 else f"_{digits}" if digits else "")

    def superscript(self, exponent, constant):
        return f"^{{{exponent[0]}}}"

    def divide(self, left, right):
        return rf"\frac{{{left[0]}}}{{{right[0]}}}", _ATOM

    def sqrt(self, z):
        return rf"\sqrt{{{z[0]}}}", _ATOM

    def clip_scale(self, norm, c):
        return self.call("min", [("1", _ATOM), self.divide(c, norm)])

    def call(self, function, args):
        name = {"min": r"\min", "max": r"\max"}.get(function, function)
        return super().call(name, args)


UNICODE, LATEX = Style(), LatexStyle()
# What number() writes besides digits, in LaTeX.
_LATEX_WORDS = {"inf": r"\infty", "−inf": r"-\infty", "nan": r"\mathrm{NaN}"}
_LATEX_NUMBER = re.compile(r"(−?)(\d+(?:\.\d*)?)(?:e([+−])(\d+))?")


def latex_number(text):
    """A number as :func:`number` writes it, in LaTeX: ``−1.5e−08`` ->
    ``-1.5 \\times 10^{-8}``, ``inf`` -> ``\\infty``."""
    if text in _LATEX_WORDS:
        return _LATEX_WORDS[text]
    match = _LATEX_NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"not a number as engine.expr.number writes it: {text!r}")
    sign, mantissa, exponent_sign, exponent = match.groups()
    latex = ("-" if sign else "") + mantissa
    if exponent:
        latex += rf" \times 10^{{{'-' if exponent_sign == '−' else ''}{int(exponent)}}}"
    return latex



def var(term_id):
    """The Python name of a term's ASCII id (``dL/dW1`` -> ``dL_dW1``)."""
    return term_id.replace("/", "_")


def term_id(name):
    """Inverse of :func:`var`."""
    if name.startswith("d") and "_d" in name:
        return name.replace("_d", "/d", 1)
    return name




@functools.lru_cache(maxsize=None)
def symbol(term, style=UNICODE):
    """Display symbol of an id or a Python name: ``dL/dW2`` -> ``∂L/∂W₂``;
    an element's name (engine.elements) ``dL_dW2__1_2`` -> ``∂L/∂W₂[1,2]``.
    ``style``: the spelling (:func:`latex_symbol`)."""
    base, _, index = term.partition("__")
    if index:
        whole = symbol(base, style)
        return f"{f'({whole})' if style.spaced(whole) else whole}[{index.replace('_', ',')}]"
    term = term_id(term)
    if term.endswith("_next"):
        return style.prime.format(symbol(term[: -len("_next")], style))
    head, _, rest = term.partition("_")
    if head in _PREFIXES and rest:
        return style.subscript.format(style.spelled(_PREFIXES, head, head), symbol(rest, style))
    if term.startswith("d") and "/d" in term:
        top, bottom = term[1:].split("/d", 1)
        return style.partial.format(symbol(top, style), symbol(bottom, style))
    return style.spelled(_NAMES, term, None) or style.plain(term)


def latex_symbol(term):
    """:func:`symbol` in LaTeX: ``dL/dW2`` -> ``\\frac{\\partial L}{\\partial W_2}``, ``yhat_next`` -> ``\\hat{y}'``."""
    return symbol(term, LATEX)



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


def render(node, leaf, style=UNICODE):
    """Display text of an expression; ``leaf(name)`` gives a name's text and
    whether it is a negative number.  ``style``: the spelling (:data:`LATEX`)."""
    return _render(node, leaf, style)[0]


def render_latex(node, leaf):
    """:func:`render` in LaTeX; ``leaf`` gives LaTeX too (:func:`latex_symbol`, :func:`latex_number`)."""
    return render(node, leaf, LATEX)


def _leaf_text(text, negative, style):
    if negative:
        return text, _NEG
    return text, (_ADD if style.spaced(text) else _ATOM)


def _render(node, leaf, style):
    if isinstance(node, ast.Name):
        return _leaf_text(*leaf(node.id), style)
    if isinstance(node, ast.Constant):
        return _leaf_text(style.number(node.value), node.value < 0, style)
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return style.transpose(*_render(node.value, leaf, style))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return style.negate(*_render(node.operand, leaf, style))
    if isinstance(node, ast.Call):
        args = [_render(a, leaf, style) for a in node.args]
        if node.func.id in _SPECIAL_CALLS:
            return getattr(style, node.func.id)(*args)
        return style.call(node.func.id, args)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        constant = node.right.value if isinstance(node.right, ast.Constant) else None
        return style.power(_render(node.left, leaf, style), _render(node.right, leaf, style), constant)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv):
        return style.floor_divide(_render(node.left, leaf, style), _render(node.right, leaf, style))
    if isinstance(node, ast.BinOp):
        prec, sign = _BINDING[type(node.op)], style.signs.get(type(node.op))
        left, lprec = _render(node.left, leaf, style)
        right, rprec = _render(node.right, leaf, style)
        if isinstance(node.op, ast.Div) and style.divide((left, lprec), (right, rprec)):
            return style.divide((left, lprec), (right, rprec))
        left = _wrap(left, lprec < prec)
        # A negative number right of an operator is always bracketed, as in
        # "0.8 × 0.8005 + (−0.2)"; so is the right side of − and /.
        strict = isinstance(node.op, (ast.Sub, ast.Div))
        right = _wrap(right, rprec < prec or rprec == _NEG or (strict and rprec == prec))
        if isinstance(node.op, ast.Mult) and isinstance(node.left, ast.Constant):
            left = style.spelled(_FRACTIONS, node.left.value, left)
            if right.startswith("("):
                return left + right, prec  # 2(ŷ − y), as the reference writes it; ½(ŷ − y)²
        if isinstance(node.op, ast.Mult) and rprec == _ADD and lprec > _NEG:
            return left + right, prec  # h₁(1 − h₁): a factor times a bracketed sum
        return left + sign + right, prec
    raise ValueError(f"unsupported expression: {ast.unparse(node)}")



def _wrap(text, needed):
    return f"({text})" if needed else text


# --- a substitution in LaTeX ---------------------------------------------------

# A number as number() writes it.
SHOWN_NUMBER = r"−?(?:[0-9]+(?:\.[0-9]*)?(?:e[+−][0-9]+)?|inf|nan)"
_SLOT = "\x00"


@functools.lru_cache(maxsize=None)
def _slots(node):
    """The numbers and names of ``node``'s display text in the order written:
    (a name's negation sign written against it, the name, a constant's text)."""
    template = render(node, lambda name: (_SLOT + name + _SLOT, False))
    return tuple(re.findall(f"(−?){_SLOT}([^{_SLOT}]*){_SLOT}|({SHOWN_NUMBER})", template))


def shown_values(node, text, value=SHOWN_NUMBER):
    """The text of each name's value in ``text``, a substitution :func:`render`
    wrote of ``node`` (each value matching the pattern ``value``), by name;
    None if ``text`` is not such a substitution (a batch's "(1/4) Σ over the
    4 samples").  Read back, not computed: the digits are the ones shown."""
    found = re.findall(f"{value}|{SHOWN_NUMBER}", text)
    slots = _slots(node)
    if len(found) != len(slots):
        return None
    negated = sorted({name for sign, name, _ in slots if sign and name})
    # A name written after its negation's sign (−c) reads its number with
    # that sign, unless the number is negative itself: −(−0.5).  Try both.
    for keep in itertools.product((False, True), repeat=len(negated)):
        kept = {name for name, k in zip(negated, keep) if k}
        texts = {}
        for (sign, name, constant), shown in zip(slots, found):
            if not name:
                if shown != constant:
                    return None
                continue
            if sign and name not in kept and shown.startswith("−"):
                shown = shown[1:]
            if texts.setdefault(name, shown) != shown:
                break
        else:
            if render(node, lambda name: (texts[name], texts[name].startswith("−"))) == text:
                return texts
    return None


def substitution_latex(node, text, value=SHOWN_NUMBER, leaf=latex_number):
    """The substitution ``text`` of ``node`` in LaTeX: the same tree with the
    same numbers (``leaf`` writes a value's text in LaTeX); None where
    ``text`` is not a substitution of ``node`` (:func:`shown_values`)."""
    texts = shown_values(node, text, value)
    if texts is None:
        return None
    return render_latex(node, lambda name: (leaf(texts[name]), texts[name].startswith("−")))


@functools.lru_cache(maxsize=None)
def formula(source, style=UNICODE):
    """The formula of ``source`` with every name as its symbol."""
    return render(parse(source), lambda name: (symbol(name, style), False), style)


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
