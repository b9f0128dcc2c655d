"""A network of any small shape: its values, its derivation element by
element and in matrix form, and training.

The lines of :mod:`engine.layers` are numpy expressions; here they become
one generated function per table (``derive``: every term; ``advance``: one
update and the new state's loss and gradient), so the code that computes a
value is the line a learner reads.  A sample is a column: a batch of n
samples is n columns, and a term marked ``mean`` is averaged over them.
``print(source_of(spec))`` shows the generated code.
"""

import ast
import copy
import functools
import math
from dataclasses import dataclass

import numpy as np

from . import compiled, elements, expr
from .derivation import Derivation, Term, substitution
from .elements import SCALAR, Kind
from .layers import params_of, section_titles, shapes_of, table_for
from .terms import UPDATE

_PREFIXES = ("m", "v", "s")   # an optimizer's state per parameter, Adam's m before its v


def _norm(*arrays):
    total = sum(float(np.sum(a * a)) for a in arrays)
    return math.sqrt(total) if total == total else math.nan


_VECTOR = compiled._FUNCTIONS["vector"]
# A sample's sum over its units: the units are the second-last axis.
_NAMESPACE = {**_VECTOR, "sum": lambda v: np.sum(v, axis=-2, keepdims=True), "norm": _norm,
              "clip": lambda g, c: np.where(g > c, c, np.where(g < -c, -c, g)),
              "clip_scale": compiled._clip_scale, "np": np}


@dataclass(frozen=True)
class Table:
    """A Spec's lines with what each name is: the parameters, the optimizer's
    state, the kinds (elements.Kind) of every input and term."""
    spec: object
    terms: tuple
    params: tuple
    state: tuple
    kinds: dict
    kinds_key: tuple   # the kinds as sorted items: a cache key of the texts made from them

    @property
    def inputs(self):
        return self.params + ("x", "y", "alpha") + self.state


@functools.lru_cache(maxsize=None)
def table(spec):
    terms = table_for(spec)
    params = params_of(spec.layers)
    made = {t.id[:-len("_next")] for t in terms if t.id.endswith("_next")}
    state = tuple(f"{prefix}_{p}" for prefix in _PREFIXES for p in params if f"{prefix}_{p}" in made)
    state += ("t",) if "t" in made else ()
    kinds = {name: elements.kind_of_shape(shape, name[0] != "W") for name, shape in shapes_of(spec.layers).items()}
    kinds.update((s, kinds[s.split("_", 1)[1]]) for s in state if s != "t")
    for t in terms:
        kinds[t.var] = elements.infer(expr.parse(t.source), kinds)
    return Table(spec, terms, params, state, kinds, tuple(sorted(kinds.items())))


class _Stacked(ast.NodeTransformer):
    """``.T`` as ``.mT``, the transpose of the last two axes: the code then
    also runs on a stack of networks (leading axes, as the landscape's grid)."""

    def visit_Attribute(self, node):
        self.generic_visit(node)
        return ast.Attribute(node.value, "mT", ast.Load()) if node.attr == "T" else node

    def visit_Call(self, node):
        # A sample's sum over its units, written out: a call fewer in the loop.
        self.generic_visit(node)
        if node.func.id != "sum":
            return node
        return expr.parse(f"np.sum({ast.unparse(node.args[0])}, axis=-2, keepdims=True)")


def _code(term, one=False):
    """The statement computing ``term`` on a batch whose samples are the last
    axis; ``one``: on one sample, where a mean over the samples is the value itself."""
    node = expr.parse(term.source)
    code = ast.unparse(ast.fix_missing_locations(_Stacked().visit(copy.deepcopy(node))))
    if not term.mean or one:
        return f"{term.var} = {code}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and isinstance(node.right, ast.Attribute):
        return f"{term.var} = ({code}) / _n"    # the product already sums over the samples
    return f"{term.var} = np.sum({code}, axis=-1, keepdims=True) / _n"


def _lookahead(tab):
    params = set(tab.params)
    return [t for t in tab.terms if t.section == UPDATE and t.id.endswith("_next")
            and t.id[:-5] not in params and t.id[:-5] not in tab.state] + \
           [t for t in tab.terms if t.id == "L_next"]


def _advance(tab, one):
    """``advance``'s arguments, body lines and returned names."""
    ahead = {t.id for t in _lookahead(tab)}
    update = [t for t in tab.terms if t.section == UPDATE and t.id not in ahead]
    gradients = [f"dL_d{p}" for p in tab.params]
    carried = tab.params + tab.state
    body = ([] if one else ["_n = x.shape[-1]"]) + [_code(t, one) for t in update]
    body += [f"{n} = {n}_next" for n in carried] + [_code(t, one) for t in tab.terms if t.section != UPDATE]
    return f"{', '.join(carried)}, {', '.join(gradients)}, x, y, alpha", body, carried + ("L",) + tuple(gradients)


@functools.lru_cache(maxsize=16)
def fast_advance(spec, n):
    """``advance`` for batches of ``n`` samples with every array it does not
    return written into preallocated buffers (engine.compiled.inplace):
    ``(advance, shapes)``; call it with ``_bufs=engine.compiled.buffers(shapes)``,
    the same buffers call after call.  The values are those of ``advance``."""
    tab = table(spec)
    head, body, result = _advance(tab, False)
    env = {name: (1.0 if name == "t" else np.zeros((tab.kinds[name].rows, tab.kinds[name].cols)))
           for name in tab.params + tab.state}
    env.update((f"dL_d{p}", env[p]) for p in tab.params)
    env.update(x=np.zeros((spec.layers[0], n)), y=np.zeros((spec.layers[-1], n)), alpha=0.5, _n=n)
    namespace = dict(_NAMESPACE, **compiled.INPLACE_GLOBALS)
    lines, shapes = compiled.inplace(body[1:], env, namespace, escaping=result)
    unpack = [f"{', '.join(f'_b{k}' for k in range(len(shapes)))}, = _bufs"] if shapes else []
    source = "\n".join([f"def advance({head}, *, _bufs):"]
                       + ["    " + line for line in unpack + [f"_n = {n}"] + lines]
                       + [f"    return ({', '.join(result)})"])
    exec(compile(source, f"<engine.network in place, n = {n}>", "exec"), namespace)
    namespace["advance"].source = source
    return namespace["advance"], shapes


@functools.lru_cache(maxsize=None)
def source_of(spec):
    """The Python source generated from a Spec's lines: ``derive`` (every
    term), ``gradient`` (a state's loss and gradient), ``advance`` and
    ``advance_one`` (an update and the new state's loss and gradient, on a
    batch and on one sample) and ``loss`` (each sample's loss)."""
    tab = table(spec)
    args = ", ".join(tab.inputs)
    gradients = [f"dL_d{p}" for p in tab.params]
    lines = [f"def derive({args}):", "    _n = x.shape[-1]"]
    lines += ["    " + _code(t) for t in tab.terms]
    lines.append(f"    return ({', '.join(t.var for t in tab.terms)},)")
    lines += [f"def gradient({', '.join(tab.params)}, x, y):", "    _n = x.shape[-1]"]
    lines += ["    " + _code(t) for t in tab.terms if t.section != UPDATE]
    lines.append(f"    return L, ({', '.join(gradients)},)")
    # One update and the new state's loss and gradient in one call (the training
    # loop's), on a batch and on one sample.
    for name, one in (("advance", False), ("advance_one", True)):
        head, body, result = _advance(tab, one)
        lines += [f"def {name}({head}):"] + ["    " + line for line in body] + [f"    return ({', '.join(result)})"]
    # The loss alone, per sample (a sample's L, not the mean): the landscape's.
    forward = [t for t in tab.terms if t.section != UPDATE][:[t.id for t in tab.terms].index("L")]
    lines += [f"def loss({', '.join(tab.params)}, x, y):"]
    lines += ["    " + _code(t) for t in forward]
    lines.append(f"    return {next(t for t in tab.terms if t.id == 'L').source}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=None)
def _functions(spec):
    namespace = dict(_NAMESPACE)
    exec(compile(source_of(spec), f"<engine.network {'-'.join(map(str, spec.layers))}>", "exec"), namespace)
    return (namespace["derive"], namespace["gradient"], namespace["advance"], namespace["advance_one"],
            namespace["loss"])


@functools.lru_cache(maxsize=None)
def loss_function(spec):
    """``loss(W1, b1, …, x, y)``: each sample's loss (the last axis), from the
    table's forward lines; the parameters may carry leading axes (a grid of
    networks, as the landscape evaluates), the samples are columns."""
    return _functions(spec)[4]


def columns(samples, width):
    """Samples as the columns of a (width, n) array: one sample may be a
    number (width 1) or a list of ``width``; a batch a list of such."""
    array = np.asarray(samples, dtype=float)
    if array.ndim <= 1 and array.size == width:
        return array.reshape(width, 1)
    return array.reshape(-1, width).T.copy()


def _inputs(tab, params, x, y, alpha, state):
    layers = tab.spec.layers
    values = {p: np.asarray(params[p], dtype=float).reshape(tab.kinds[p].rows, tab.kinds[p].cols)
              for p in tab.params}
    values.update(x=columns(x, layers[0]), y=columns(y, layers[-1]), alpha=float(alpha))
    state = state or {}
    for name in tab.state:
        values[name] = float(state.get(name, 0.0)) if name == "t" else \
            np.asarray(state.get(name, np.zeros_like(values[name.split("_", 1)[1]])), dtype=float)
    return values


def evaluate(spec, params, x, y, alpha, state=None):
    """Every input and term by Python name, as arrays (a batch's samples as columns)."""
    tab = table(spec)
    values = _inputs(tab, params, x, y, alpha, state)
    derive = _functions(spec)[0]
    with np.errstate(all="ignore"):
        results = derive(*(values[n] for n in tab.inputs))
    values.update(zip((t.var for t in tab.terms), results))
    return values


def _written_when_read(*fields):
    """Properties for a frozen dataclass's text ``fields`` that may be given
    as a function of no arguments: called when first read, then kept."""
    def field(name):
        def read(self):
            text = self.__dict__["_" + name]
            if callable(text):
                text = self.__dict__["_" + name] = text()
            return text

        def write(self, text):   # the dataclass's __init__ sets it so
            self.__dict__["_" + name] = text
        return property(read, write)

    def decorate(cls):
        for name in fields:
            setattr(cls, name, field(name))
        return cls
    return decorate


@dataclass(frozen=True)
class VectorTerm:
    """A term as the matrix form shows it, with the records of its elements.
    Its substitution and value are written when first read (the table shows
    the rows on screen; the CSV and the text exports read them all)."""
    id: str
    symbol: str
    formula: str        # ∂L/∂W₂ = ∂L/∂z₂ h₁ᵀ (the right side)
    substitution: str   # the arrays in brackets
    value: str          # the value, an array in brackets
    layer: str
    elements: tuple     # engine.derivation.Term of each element, row by row


VectorTerm = _written_when_read("substitution", "value")(VectorTerm)


def _shown(value, kind):
    """What a derivation shows of a batch's per-sample values: their mean
    (a matrix is never per sample: its columns are units)."""
    array = np.asarray(value, dtype=float)
    if kind.form in (SCALAR, elements.VECTOR) and array.ndim == 2 and array.shape[1] > 1:
        with np.errstate(all="ignore"):
            return array.mean(axis=1, keepdims=True)
    return array


def _element_values(tab, shown):
    """Each element's value by its Python name (engine.elements.name), from
    the values as shown (a batch's means)."""
    flat = {}
    for name, array in shown.items():
        kind = tab.kinds.get(name, Kind(SCALAR))
        values = np.asarray(array).reshape(-1).tolist()   # row by row, as elements.indices
        if kind.form == SCALAR:
            flat[name] = float(values[0])
        else:
            flat.update(zip(_names(name, kind), values))
    return flat


@functools.lru_cache(maxsize=None)
def _names(base, kind):
    return [elements.name(base, kind, i, j) for i, j in elements.indices(kind)]


class _LazyTerm(Term):
    """An element's record whose substitution is written when first read: a
    window shows a few rows of the hundreds a wide network has (the CSV reads
    them all, and gets the same text)."""


_LazyTerm = _written_when_read("substitution")(_LazyTerm)


@functools.lru_cache(maxsize=None)
def _element_rows(spec):
    """What each term's element rows are whatever the numbers: per term its
    kind, then (id, symbol, formula, Python name, scalar source) of each element."""
    tab, key = table(spec), table(spec).kinds_key
    rows = []
    for t in tab.terms:
        kind = tab.kinds[t.var]
        rows.append((t, kind, [(elements.element_id(t.id, kind, i, j), expr.symbol(elements.name(t.var, kind, i, j)),
                                _element_formula(source), elements.name(t.var, kind, i, j), source)
                               for (i, j), source in zip(elements.indices(kind),
                                                         elements.element_sources(t.source, key))]))
    return rows


def derive(spec, params, x, y, alpha, state=None):
    """The derivation of one state: a :class:`engine.derivation.Derivation`
    whose records are every element of every term (for the CSV and the
    command line), with ``.vectors`` the matrix form of each term."""
    tab = table(spec)
    values = evaluate(spec, params, x, y, alpha, state)
    n = values["x"].shape[1]
    shown_all = {k: _shown(v, tab.kinds.get(k, Kind(SCALAR))) for k, v in values.items()}
    flat = _element_values(tab, shown_all)
    key = tab.kinds_key
    # A batch's term that reads a sample's values: its arithmetic is per sample,
    # so the means shown cannot be substituted into it (as the chain says too).
    sampled = {name for name, value in values.items()
               if n > 1 and np.ndim(value) == 2 and np.shape(value)[-1] == n
               and tab.kinds.get(name, Kind(SCALAR)).form in (SCALAR, elements.VECTOR)}
    records, vectors = [], []
    for t, kind, rows in _element_rows(spec):
        per_sample = bool(expr.source_names(t.source) & sampled) or t.var in sampled
        batch_text = (f"(1/{n}) Σ over the {n} samples" if t.mean else
                      f"per sample; the mean of {n} values is shown") if per_sample else None
        one_sample = per_sample and not t.mean
        parts = tuple(_LazyTerm(element, name_symbol, formula, batch_text or functools.partial(substitution, source, flat),
                                flat[name], t.section, t.node, per_sample=one_sample)
                      for element, name_symbol, formula, name, source in rows)
        records.extend(parts)
        vectors.append(VectorTerm(t.id, t.symbol, elements.matrix_formula(t.source, key),
                                  batch_text or functools.partial(elements.matrix_substitution, t.source, key,
                                                                  shown_all),
                                  functools.partial(elements.matrix_text, shown_all[t.var], kind),
                                  t.section, parts))
    derivation = Derivation(records, n, section_titles(spec), tab.terms)
    derivation.vectors = tuple(vectors)
    return derivation


@functools.lru_cache(maxsize=None)
def _element_formula(source):
    return expr.render(expr.parse(source), lambda name: (expr.symbol(name), False))


def row_columns(spec):
    """A history row's columns: every parameter element, L, every gradient
    element (``dL/dW1[1,1]``), then the optimizer's state, element by element."""
    tab = table(spec)

    def ids(name, term_id):
        kind = tab.kinds.get(name, Kind(SCALAR))
        return [elements.element_id(term_id, kind, i, j) for i, j in elements.indices(kind)]
    cols = [c for p in tab.params for c in ids(p, p)] + ["L"]
    cols += [c for p in tab.params for c in ids(p, f"dL/d{p}")]
    cols += [c for s in tab.state for c in ids(s, s)]
    return tuple(cols)
