"""Compile the term table into plain Python functions.

From the one list of formulas in :mod:`engine.terms` this generates
- ``derive``: every term of one state, in table order;
- ``run``: a loop of many updates that packs one history row per state into
  a buffer (struct.pack_into: the cheapest way to record from a Python loop).
Each comes in a scalar flavour (Python floats and math.tanh: one sample,
where numpy's per-call overhead would dominate) and a vector flavour (numpy
arrays: a batch, with means over the samples).  Both are the same formulas.
``run`` stops at the first update that gives a non-finite value which the
row would not show (:func:`guarded`: z₁ under tanh, the norm of clipping,
Adam's v̂): a non-finite value of the row itself is the caller's to find.
A table of another :class:`engine.terms.Spec` compiles the same way: its
activations are functions defined here in both flavours, and its constants
(leaky ReLU's slope, the numbers of the update) are written into the generated
source.  An optimizer's state (:func:`engine.terms.state_columns`) comes in
as arguments after α, is carried by the loop like the parameters, and is
recorded at the end of each row (:func:`row_for`).
"""

import ast
import functools
import math
import struct

import numpy as np

from . import expr
from .limits import PARAMS
from .terms import GRADIENTS, LOOKAHEAD, UPDATE, state_columns, terms_for

ROW = PARAMS + ("L",) + GRADIENTS  # one history row: the state, its loss, its gradient


def row_for(spec):
    """The history row of a Spec: :data:`ROW` and then the optimizer's state
    (none for plain gradient descent at a constant rate)."""
    return ROW + state_columns(terms_for(spec))


@functools.lru_cache(maxsize=None)
def inputs(terms):
    """The names a table's ``derive`` takes, in order."""
    return PARAMS + ("x", "y", "alpha") + state_columns(terms)


@functools.lru_cache(maxsize=None)
def outputs(terms):
    """The Python names of what a table's ``derive`` returns, in order."""
    return tuple(t.var for t in terms)


# --- the functions a formula may call ------------------------------------------
# Each comes twice, for Python floats and for numpy arrays, computing the same
# values: the scalar flavour never raises (an overflow gives inf, as numpy's
# does) and NaN goes through both alike.  ``leaky_relu`` and ``leaky_step``
# take the slope as their second argument, a constant of the term table.

def _sigmoid(z, exp=math.exp):
    """1 / (1 + e^−z) without overflow: exp of a non-positive number only."""
    if z >= 0.0:
        return 1.0 / (1.0 + exp(-z))
    e = exp(z)   # NaN comes here too
    return e / (1.0 + e)


def _sigmoid_vector(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu(z):
    return 0.0 if z <= 0.0 else z


def _step(z):
    return 1.0 if z > 0.0 else 0.0


def _leaky_relu(z, slope):
    return z if z > 0.0 else slope * z


def _leaky_step(z, slope):
    return 1.0 if z > 0.0 else slope


def _sqrt(z, sqrt=math.sqrt):
    """math.sqrt that gives NaN for a negative number instead of raising."""
    return sqrt(z) if z >= 0.0 else math.nan


def _clip(g, c):
    """g clamped to [−c, c]; NaN stays NaN."""
    return c if g > c else (-c if g < -c else g)


def _clip_scale(norm, c):
    """The factor of clipping by norm: c / norm where norm > c, else 1."""
    return c / norm if norm > c else 1.0


# The functions of the update act on the gradient, which is one number in both
# flavours (a batch's is a mean): they are the same in both, so that a value
# does not depend on the flavour.  ``norm`` is math.hypot: no overflow in the
# squares.
_UPDATE_FUNCTIONS = {"norm": math.hypot, "clip": _clip, "clip_scale": _clip_scale}
_FUNCTIONS = {
    "scalar": {"tanh": math.tanh, "sigmoid": _sigmoid, "relu": _relu, "step": _step,
               "leaky_relu": _leaky_relu, "leaky_step": _leaky_step, "sqrt": _sqrt,
               **_UPDATE_FUNCTIONS},
    "vector": {"tanh": np.tanh, "sigmoid": _sigmoid_vector,
               "relu": lambda z: np.maximum(z, 0.0),   # NaN stays NaN, as in _relu
               "step": lambda z: np.where(z > 0.0, 1.0, 0.0),
               "leaky_relu": lambda z, slope: np.where(z > 0.0, z, slope * z),
               "leaky_step": lambda z, slope: np.where(z > 0.0, 1.0, slope),
               "sqrt": np.sqrt, **_UPDATE_FUNCTIONS},
}
_GLOBALS = {
    "scalar": dict(_FUNCTIONS["scalar"]),
    "vector": dict(_FUNCTIONS["vector"], _dot=np.dot, _sum=np.add.reduce,
                   _finite=lambda value: np.isfinite(value).all()),
}
# In the scalar loop a call of these on a name is written out inline: a
# conditional expression costs a fraction of a Python call.
_INLINE = {
    "relu": "(0.0 if {0} <= 0.0 else {0})",
    "step": "(1.0 if {0} > 0.0 else 0.0)",
    "leaky_relu": "({0} if {0} > 0.0 else {1} * {0})",
    "leaky_step": "(1.0 if {0} > 0.0 else {1})",
    "clip": "({1} if {0} > {1} else (-{1} if {0} < -{1} else {0}))",
}


class _Inline(ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        template = _INLINE.get(node.func.id)
        if template is None or not all(expr.is_trivial(a) for a in node.args):
            return node
        return expr.parse(template.format(*(ast.unparse(a) for a in node.args)))


def _code(node, mode):
    """The simplified ``node`` ready to unparse for ``mode``."""
    if mode == "scalar":
        node = ast.fix_missing_locations(_Inline().visit(node))
    return node


def _statements(terms, mode, known):
    """Assignments computing ``terms``; trivial terms only extend ``known``."""
    lines = []
    for t in terms:
        node = _code(expr.simplify(expr.parse(t.source), known), mode)
        reduce = t.mean and mode == "vector"
        if expr.is_trivial(node) and not reduce:
            known[t.var] = node
            continue
        code = expr.mean_code(node) if reduce else ast.unparse(node)
        lines.append(f"{t.var} = {code}")
    return lines


def _value(name, known):
    return ast.unparse(known[name]) if name in known else name


def _header(mode):
    return ["_n = x.shape[0]"] if mode == "vector" else []


def _derive_source(terms, mode):
    known = {}
    body = _header(mode) + _statements(terms, mode, known)
    values = ", ".join(_value(t.var, known) for t in terms)
    return [f"def derive({', '.join(inputs(terms))}):", *("    " + line for line in body),
            f"    return ({values},)"]


# Functions that can map a non-finite argument to a finite value (tanh(∞) = 1,
# ReLU(−∞) = 0, a step, clipping): such an argument would not show in the row.
_SQUASHING = frozenset({"tanh", "sigmoid", "relu", "step", "leaky_step", "clip", "clip_scale"})


def _hidden_names(node):
    """The names whose non-finite value ``node`` can hide: the first argument
    of a squashing function, and a denominator (x / ∞ = 0)."""
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and n.func.id in _SQUASHING and n.args:
            found |= expr.names(n.args[0])
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div):
            found |= expr.names(n.right)
    return found


@functools.lru_cache(maxsize=None)
def guarded(terms):
    """The ids of the terms a training loop checks itself, in table order:
    computed in the loop, not recorded in the row, and such that a later
    term can turn their non-finite value into a finite one (z₁ under tanh,
    whose infinity gives h₁ = 1; the gradient's norm of clipping by norm,
    whose infinity scales the gradient to 0; Adam's v̂, an infinite
    denominator).  Every other non-finite value reaches the row."""
    recorded = set(ROW) | set(state_columns(terms))
    loop = [t for t in terms if t.id not in LOOKAHEAD]
    hidden = set()
    for t in loop:
        hidden |= {expr.term_id(n) for n in _hidden_names(expr.parse(t.source))}
    return tuple(t.id for t in loop if t.id in hidden and t.id not in recorded
                 and not t.id.endswith("_next") and not expr.is_trivial(expr.parse(t.source)))


def _guard(terms, mode, known):
    """The condition, in the loop, that some guarded value is not finite."""
    values = [_value(expr.var(g), known) for g in guarded(terms)]
    if not values:
        return None
    if mode == "scalar":   # ±0.0 (false) if every value is finite, else NaN (true): the cheapest test
        return " * ".join(["0.0"] + values)
    return "not (" + " and ".join(f"_finite({v})" for v in values) + ")"


def _updates(terms, mode, known, carried):
    """The update's statements inside the loop.  Each ``X_next`` of a
    parameter or of the optimizer's state is assigned to ``X`` itself where
    nothing later in the update reads the old ``X`` (then later reads of
    ``X_next`` read ``X``); otherwise to ``X_next``, copied into ``X`` at the
    end.  The other terms (clipping, the rate, bias corrections) keep their
    names; the numbers of the update are constants."""
    update = [t for t in terms if t.section == UPDATE and t.id not in LOOKAHEAD]
    # Which names each term reads once simplified, given the aliases so far.
    probe, reads = dict(known), []
    for t in update:
        node = expr.simplify(expr.parse(t.source), probe)
        reads.append(expr.names(node))
        if expr.is_trivial(node) and not t.id.endswith("_next"):
            probe[t.var] = node
    lines, copies = [], []
    for i, t in enumerate(update):
        node = _code(expr.simplify(expr.parse(t.source), known), mode)
        base = t.id[: -len("_next")] if t.id.endswith("_next") else None
        if base in carried:
            target = expr.var(base)
            if any(target in later for later in reads[i + 1:]):
                target = t.var
                copies.append(f"{expr.var(base)} = {target}")
            known[t.var] = ast.Name(target, ast.Load())
            lines.append(f"{target} = {ast.unparse(node)}")
        elif expr.is_trivial(node):
            known[t.var] = node
        else:
            lines.append(f"{t.var} = {ast.unparse(node)}")
    return lines + copies


def _run_source(terms, mode):
    """A loop of updates starting from a recorded state.  The state's gradient
    comes in as arguments (it is in the history already: deriving it again
    would cost a whole pass over a batch), and so does the optimizer's state;
    each turn updates the parameters and the optimizer's state, derives the
    new state and records its row."""
    known = {}
    state = [t for t in terms if t.section != UPDATE]
    derive = _statements(state, mode, known)
    carried = PARAMS + state_columns(terms)
    update_known = dict(known)
    updates = _updates(terms, mode, update_known, carried)
    # The update reads each gradient by the name it is computed under.
    given = [f"{_value(expr.var(g), known)} = _{expr.var(g)}" for g in GRADIENTS]
    row = ", ".join(_value(expr.var(name), known) for name in ROW + state_columns(terms))
    loop = updates + derive + [f"_pack(_out, _at, {row})", "_at += _ROW_BYTES"]
    # The names the loop assigns: the update's first, then the new state's.
    guard = _guard(terms, mode, {**update_known, **known})
    if guard:
        loop += [f"if {guard}:", "    return _i"]
    gradients = ", ".join("_" + expr.var(g) for g in GRADIENTS)
    # Globals become keyword defaults: a local lookup is what keeps the loop fast.
    functions = "".join(f"{f}={f}, " for f in _FUNCTIONS[mode])
    extra = "_finite=_finite, " if mode == "vector" else ""
    return [f"def run(_steps, _out, _at, {', '.join(inputs(terms))}, {gradients}, *, {functions}"
            f"{extra}_pack=_pack, _ROW_BYTES=_ROW_BYTES):",
            *("    " + line for line in _header(mode) + given),
            "    for _i in range(_steps):", *("        " + line for line in loop),
            "    return _steps"]


@functools.lru_cache(maxsize=None)
def build(terms, mode):
    """Return ``(derive, run)`` compiled from ``terms`` for ``mode``.  ``derive``
    takes :func:`inputs`; ``run`` packs rows of :func:`row_for` the table and
    returns the number of updates it made whose :func:`guarded` values were
    all finite: ``_steps``, or the index of the first update with a
    non-finite one (its row is packed, and it is the last)."""
    width = len(ROW) + len(state_columns(terms))
    namespace = dict(_GLOBALS[mode], _pack=struct.Struct(f"{width}d").pack_into, _ROW_BYTES=8 * width)
    source = "\n".join(_derive_source(terms, mode) + _run_source(terms, mode))
    exec(compile(source, f"<engine.compiled {mode}>", "exec"), namespace)
    namespace["derive"].source = source
    return namespace["derive"], namespace["run"]
