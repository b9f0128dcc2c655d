"""One vector line, read three ways: its matrix formula, each element's own
scalar formula, and code.

A line of :mod:`engine.layers` is a numpy expression (``dL_dz2 @ h1.T``).
:func:`kinds` infers what each term is (a scalar, a column vector, a
transposed one, or a matrix) and its size; :func:`element` writes the
scalar expression of one element with every sum spelled out
(``dL_dz2__1 * h1__2``: names with ``__`` are elements, see :func:`name`),
which :mod:`engine.expr` renders and substitutes like any term of the
chain; :func:`matrix_formula` renders the line itself (``∂L/∂z₂ h₁ᵀ``), in
LaTeX too.
"""

import ast
import copy
import functools
import re
from dataclasses import dataclass

import numpy as np

from . import expr

SCALAR, VECTOR, ROW, MATRIX = "scalar", "vector", "row", "matrix"
# Calls whose value is one number whatever their arguments.
_SCALAR_CALLS = {"sum", "norm", "clip_scale"}


@dataclass(frozen=True)
class Kind:
    form: str       # SCALAR, VECTOR (a column), ROW (a transposed column) or MATRIX
    rows: int = 1
    cols: int = 1


def kind_of_shape(shape, vector):
    """The kind of an array of ``shape``: a column vector if ``vector``, else a matrix."""
    return Kind(VECTOR, shape[0], 1) if vector else Kind(MATRIX, *shape)


def name(base, kind, i, j):
    """The Python name of element (i, j), 1-based, of ``base`` of ``kind``:
    ``W2__1_2``, ``h1__2``; a scalar is itself."""
    if kind.form == SCALAR:
        return base
    if kind.form == VECTOR:
        return f"{base}__{i}"
    if kind.form == ROW:
        return f"{base}__{j}"
    return f"{base}__{i}_{j}"


def element_id(term_id, kind, i, j):
    """The ASCII id of an element: ``dL/dW2[1,2]``, ``h1[2]``; a scalar's is the term's."""
    if kind.form == SCALAR:
        return term_id
    return f"{term_id}[{i}]" if kind.form == VECTOR else f"{term_id}[{i},{j}]"


_PLACE = re.compile(r"(.+?)\[(\d+)(?:,(\d+))?\]")


def place(element):
    """``(name, row, column)`` of an element's id, 0-based (a vector's column 0):
    ``W2[1,2]`` -> ("W2", 0, 1), ``b1[3]`` -> ("b1", 2, 0); None for an id without an index."""
    match = _PLACE.fullmatch(element)
    if match is None:
        return None
    return match[1], int(match[2]) - 1, int(match[3] or 1) - 1


def element_symbol(element):
    """An element's id as a learner reads it: ``dL/dW2[1,2]`` -> ∂L/∂W₂[1,2]
    (a term's id without an index, its symbol)."""
    base, bracket, index = element.partition("[")
    return expr.symbol(base) + bracket + index


def indices(kind):
    """The (i, j) of every element, row by row."""
    return [(i, j) for i in range(1, kind.rows + 1) for j in range(1, kind.cols + 1)]


def infer(node, kinds):
    """The kind of an expression given the kinds of the names it reads."""
    if isinstance(node, ast.Name):
        return kinds.get(node.id, Kind(SCALAR))
    if isinstance(node, ast.Constant):
        return Kind(SCALAR)
    if isinstance(node, ast.Attribute):   # .T
        inner = infer(node.value, kinds)
        form = {VECTOR: ROW, ROW: VECTOR, MATRIX: MATRIX, SCALAR: SCALAR}[inner.form]
        return Kind(form, inner.cols, inner.rows)
    if isinstance(node, ast.UnaryOp):
        return infer(node.operand, kinds)
    if isinstance(node, ast.Call):
        if node.func.id in _SCALAR_CALLS:
            return Kind(SCALAR)
        return infer(node.args[0], kinds)
    left, right = infer(node.left, kinds), infer(node.right, kinds)
    if isinstance(node.op, ast.MatMult):
        if left.cols != right.rows:
            raise ValueError(f"{ast.unparse(node)}: {left} @ {right}")
        rows, cols = left.rows, right.cols
        if left.form == ROW and right.form == VECTOR:
            return Kind(SCALAR)
        return Kind(VECTOR if right.form == VECTOR else MATRIX, rows, cols)
    if left.form == SCALAR:
        return right
    if right.form != SCALAR and (left.rows, left.cols) != (right.rows, right.cols):
        raise ValueError(f"{ast.unparse(node)}: {left} and {right} differ in shape")
    return left


def _name(text):
    return ast.Name(text, ast.Load())


def _sum(parts):
    total = parts[0]
    for part in parts[1:]:
        total = ast.BinOp(total, ast.Add(), part)
    return total


def _elements(node, kinds):
    """Every element of ``node`` as an expression, row by row."""
    return [element(node, kinds, i, j) for i, j in indices(infer(node, kinds))]


def element(node, kinds, i=1, j=1):
    """The scalar expression of element (i, j) of ``node``, sums written out."""
    if isinstance(node, ast.Name):
        return _name(name(node.id, infer(node, kinds), i, j))
    if isinstance(node, ast.Constant):
        return node
    if isinstance(node, ast.Attribute):
        return element(node.value, kinds, j, i)
    if isinstance(node, ast.UnaryOp):
        return ast.UnaryOp(node.op, element(node.operand, kinds, i, j))
    if isinstance(node, ast.Call):
        if node.func.id == "sum":
            return _sum(_elements(node.args[0], kinds))
        if node.func.id == "norm":
            return ast.Call(node.func, [e for a in node.args for e in _elements(a, kinds)], [])
        return ast.Call(node.func, [_at(a, kinds, i, j) for a in node.args], [])
    if isinstance(node.op, ast.MatMult):
        inner = infer(node.left, kinds).cols
        return _sum([ast.BinOp(element(node.left, kinds, i, t), ast.Mult(), element(node.right, kinds, t, j))
                     for t in range(1, inner + 1)])
    return ast.BinOp(_at(node.left, kinds, i, j), node.op, _at(node.right, kinds, i, j))


def _at(node, kinds, i, j):
    """Element (i, j) of an operand, which may be a scalar broadcast to every element."""
    return element(node, kinds) if infer(node, kinds).form == SCALAR else element(node, kinds, i, j)


# --- the matrix form -------------------------------------------------------------

class _Display(ast.NodeTransformer):
    """A line as :func:`engine.expr.render` shows it: an element-wise product
    of two arrays is a Hadamard product (⊙), the rest as written."""

    def __init__(self, kinds):
        self.kinds = kinds

    def visit_BinOp(self, node):
        arrays = isinstance(node.op, ast.Mult) and all(
            infer(side, self.kinds).form != SCALAR for side in (node.left, node.right))
        self.generic_visit(node)
        return ast.Call(_name("hadamard"), [node.left, node.right], []) if arrays else node


def _display(node, kinds):
    return ast.fix_missing_locations(_Display(kinds).visit(copy.deepcopy(node)))


@functools.lru_cache(maxsize=None)
def matrix_formula(source, kinds_key, style=expr.UNICODE):
    """``dL_dz2 @ h1.T`` as ∂L/∂z₂ h₁ᵀ (``kinds_key``: the kinds as sorted items, hashable);
    ``style``: the spelling (expr.LATEX: ``\\frac{\\partial L}{\\partial z_2} h_1^\\top``)."""
    return expr.render(_display(expr.parse(source), dict(kinds_key)), lambda n: (expr.symbol(n, style), False),
                       style)


def matrix_text(value, kind, digits=5):
    """An array as the substitution shows it: rows separated by ';' as the
    command line reads them (``[0.15, 0.2; 0.25, 0.3]``, a column ``[0.05; 0.1]``)."""
    if kind.form == SCALAR:
        return expr.number(float(np.asarray(value).reshape(-1)[0]), digits)
    array = np.asarray(value, dtype=float).reshape(kind.rows, kind.cols)
    return "[" + "; ".join(", ".join(expr.number(float(v), digits) for v in row) for row in array) + "]"


# An array as matrix_text writes it: [0.15, 0.2; 0.25, 0.3].
MATRIX_TEXT = rf"\[{expr.SHOWN_NUMBER}(?:(?:, |; ){expr.SHOWN_NUMBER})*\]"


def matrix_latex(text):
    """A value as :func:`matrix_text` writes it, in LaTeX: an array as a
    bracketed ``smallmatrix`` (amsmath), a number as itself."""
    if not text.startswith("["):
        return expr.latex_number(text)
    rows = (" & ".join(expr.latex_number(v) for v in row.split(", ")) for row in text[1:-1].split("; "))
    return r"\left[\begin{smallmatrix}" + r" \\ ".join(rows) + r"\end{smallmatrix}\right]"


def matrix_substitution_latex(source, kinds_key, text):
    """The substitution ``text`` (:func:`matrix_substitution`) in LaTeX, from
    the same tree and the same numbers; None where ``text`` is not one (a
    batch's words)."""
    return expr.substitution_latex(_substitution_node(source, kinds_key), text, MATRIX_TEXT, matrix_latex)


@functools.lru_cache(maxsize=None)
def _substitution_node(source, kinds_key):
    """The line as :func:`matrix_substitution` renders it: a transposed name as one name ``h1__T``."""
    class _Turn(ast.NodeTransformer):
        def visit_Attribute(self, n):
            return _name(n.value.id + "__T") if isinstance(n.value, ast.Name) else n
    return ast.fix_missing_locations(_Turn().visit(_display(expr.parse(source), dict(kinds_key))))


@functools.lru_cache(maxsize=None)
def _kinds(kinds_key):
    return dict(kinds_key)


def matrix_substitution(source, kinds_key, values):
    """The line with each name's array in brackets (a transposed one already turned)."""
    node, kinds = _substitution_node(source, kinds_key), _kinds(kinds_key)

    def leaf(text):
        base, turned = (text[:-3], True) if text.endswith("__T") else (text, False)
        kind = kinds.get(base, Kind(SCALAR))
        value = np.asarray(values[base])
        if turned:
            kind, value = Kind({VECTOR: ROW, MATRIX: MATRIX}.get(kind.form, kind.form), kind.cols, kind.rows), value.T
        shown = matrix_text(value, kind)
        return shown, kind.form == SCALAR and shown.startswith("−")
    return expr.render(node, leaf)


@functools.lru_cache(maxsize=None)
def element_sources(source, kinds_key):
    """The Python source of every element of ``source``'s value, row by row."""
    kinds = dict(kinds_key)
    node = expr.parse(source)
    return tuple(ast.unparse(element(node, kinds, i, j)) for i, j in indices(infer(node, kinds)))
