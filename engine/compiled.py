"""Compile the term table into plain Python functions.

From the one list of formulas in :mod:`engine.terms` this generates
- ``derive``: every term of one state, in table order;
- ``run``: a loop of many updates that packs one history row per state into
  a buffer (struct.pack_into: the cheapest way to record from a Python loop).
Each comes in a scalar flavour (Python floats and math.tanh: one sample,
where numpy's per-call overhead would dominate) and a vector flavour (numpy
arrays: a batch, with means over the samples).  Both are the same formulas.
"""

import ast
import functools
import math
import struct

import numpy as np

from . import expr
from .limits import PARAMS
from .terms import GRADIENTS, LOOKAHEAD, UPDATE

ROW = PARAMS + ("L",) + GRADIENTS  # one history row: the state, its loss, its gradient
ARGS = ", ".join(PARAMS + ("x", "y", "alpha"))

ROW_BYTES = 8 * len(ROW)
_PACK = struct.Struct(f"{len(ROW)}d").pack_into
_GLOBALS = {
    "scalar": {"tanh": math.tanh},
    "vector": {"tanh": np.tanh, "_dot": np.dot, "_sum": np.add.reduce},
}


def _statements(terms, mode, known):
    """Assignments computing ``terms``; trivial terms only extend ``known``."""
    lines = []
    for t in terms:
        node = expr.simplify(expr.parse(t.source), known)
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
    return [f"def derive({ARGS}):", *("    " + line for line in body),
            f"    return ({values},)"]


def _run_source(terms, mode):
    """A loop of updates starting from a recorded state.  The state's gradient
    comes in as arguments (it is in the history already: deriving it again
    would cost a whole pass over a batch); each turn updates the parameters,
    derives the new state and records its row."""
    known = {}
    state = [t for t in terms if t.section != UPDATE]
    derive = _statements(state, mode, known)
    updates = []
    for p in PARAMS:
        node = expr.simplify(expr.parse(next(t.source for t in terms if t.id == p + "_next")), known)
        updates.append(f"{p} = {ast.unparse(node)}")
    # The update reads each gradient by the name it is computed under.
    given = [f"{_value(expr.var(g), known)} = _{expr.var(g)}" for g in GRADIENTS]
    row = ", ".join(_value(expr.var(name), known) for name in ROW)
    loop = updates + derive + [f"_pack(_out, _at, {row})", "_at += _ROW_BYTES"]
    gradients = ", ".join("_" + expr.var(g) for g in GRADIENTS)
    # Globals become keyword defaults: a local lookup is what keeps the loop fast.
    return [f"def run(_steps, _out, _at, {ARGS}, {gradients}, *, tanh=tanh, _pack=_pack, "
            "_ROW_BYTES=_ROW_BYTES):",
            *("    " + line for line in _header(mode) + given),
            "    for _ in range(_steps):", *("        " + line for line in loop)]


@functools.lru_cache(maxsize=None)
def build(terms, mode):
    """Return ``(derive, run)`` compiled from ``terms`` for ``mode``."""
    namespace = dict(_GLOBALS[mode], _pack=_PACK, _ROW_BYTES=ROW_BYTES)
    source = "\n".join(_derive_source(terms, mode) + _run_source(terms, mode))
    exec(compile(source, f"<engine.compiled {mode}>", "exec"), namespace)
    namespace["derive"].source = source
    return namespace["derive"], namespace["run"]


def state_terms(terms):
    """The terms of a state without the look-ahead to the next one."""
    return tuple(t for t in terms if t.id not in LOOKAHEAD)
