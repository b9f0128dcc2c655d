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
import copy
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


def _relu_vector(z):
    return np.maximum(z, 0.0)   # NaN stays NaN, as in _relu


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
               "relu": _relu_vector,
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



# --- in-place code: the same lines, each array written into a preallocated buffer ----
# A numpy expression allocates a fresh array for every operation: at a large
# batch a page fault per page written, at a small one an allocation per
# operation.  :func:`inplace` rewrites generated lines so that every float64
# array an operation makes goes into a buffer allocated once per shape
# (``a * b`` becomes ``_multiply(a, b, out=_b3)``), a buffer being reused once
# nothing reads it any more, in place where an elementwise operation consumes
# its last reader.  The operations and their order are those of the plain
# lines, so the values are identical.

_ELEMENTWISE = {ast.Add: "_add", ast.Sub: "_subtract", ast.Mult: "_multiply", ast.Div: "_divide"}
INPLACE_GLOBALS = {"_add": np.add, "_subtract": np.subtract, "_multiply": np.multiply,
                   "_divide": np.true_divide, "_negative": np.negative, "_matmul": np.matmul,
                   "_maximum": np.maximum, "_add_reduce": np.add.reduce}
_UFUNC_NAMES = {np.add: "_add", np.subtract: "_subtract", np.multiply: "_multiply",
                np.true_divide: "_divide", np.negative: "_negative", np.maximum: "_maximum"}
# A vector function that is one ufunc call: (its name here, the arguments after the first).
_UFUNC_FORMS = {_relu_vector: ("_maximum", (0.0,))}


def _children(node):
    """The expression children of ``node`` in Python's order of evaluation."""
    found = []
    for field in node._fields:
        value = getattr(node, field)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.keyword):
                item = item.value
            if isinstance(item, ast.expr):
                found.append(item)
    return found


def _rebuilt(node, new):
    """A shallow copy of ``node`` whose expression children are ``new(child)``."""
    copied = copy.copy(node)
    for field in node._fields:
        value = getattr(node, field)
        if isinstance(value, ast.expr):
            setattr(copied, field, new(value))
        elif isinstance(value, list):
            setattr(copied, field, [ast.keyword(v.arg, new(v.value)) if isinstance(v, ast.keyword)
                                    else new(v) if isinstance(v, ast.expr) else v for v in value])
    return copied


def _eval(node, namespace, env):
    return eval(compile(ast.Expression(ast.fix_missing_locations(node)), "<inplace>", "eval"), namespace, env)


def _values(node, namespace, env, found):
    """Evaluate ``node`` children first, each node once; ``found[id(node)]`` its value."""
    if isinstance(node, (ast.Name, ast.Constant)):
        value = _eval(node, namespace, env)
    else:
        bound = {}

        def bind(child):
            key = f"_v{len(bound)}"
            bound[key] = _values(child, namespace, env, found)
            return ast.Name(key, ast.Load())
        value = _eval(_rebuilt(node, bind), namespace, {**env, **bound})
    found[id(node)] = value
    return value


def _ufunc_of(node, namespace, values):
    """(the ufunc's name in INPLACE_GLOBALS or the call's own function text,
    extra arguments, elementwise) if ``node`` is one operation that can write
    into ``out=``; else None."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.MatMult):
            return "_matmul", (), False
        name = _ELEMENTWISE.get(type(node.op))
        return (name, (), True) if name else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return "_negative", (), True
    if isinstance(node, ast.Call) and not any(k.arg == "out" for k in node.keywords):
        function = values.get(id(node.func))
        if function is np.sum:   # what np.sum calls on an array, without its Python wrapper
            return "_add_reduce", (), False
        if function in _UFUNC_FORMS:
            return _UFUNC_FORMS[function][0], _UFUNC_FORMS[function][1], True
        if isinstance(function, np.ufunc) and function.nout == 1 and function.nin == len(node.args) \
                and not node.keywords:
            return _UFUNC_NAMES.get(function, ast.unparse(node.func)), (), True
    return None


def _operands(node):
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    return list(node.args)


def inplace(lines, env, namespace, live_out=(), escaping=()):
    """Rewrite straight-line assignments (``"name = expression"``) so that each
    float64 array made by an arithmetic operator, ``@``, a ufunc or ``np.sum``
    is written into a buffer.  ``env``: the value of every input at a sample
    call (only the shapes matter); ``live_out``: names read after the lines
    (their values must survive them); ``escaping``: names whose values leave
    the function (returned: computed into fresh arrays, since a buffer is
    overwritten by the next call).  Returns (lines, the buffers' shapes); the
    lines read the buffers as ``_b0``, ``_b1`` ….  Aliases (``yhat = z3``,
    ``× 1``) are resolved as :func:`engine.expr.simplify` does."""
    statements, known = [], {}
    for line in lines:
        target, source = (part.strip() for part in line.split("=", 1))
        node = expr.simplify(ast.parse(source, mode="eval").body, known)
        if expr.is_trivial(node) and target not in escaping and target not in live_out:
            known[target] = node
            continue
        statements.append([target, node])
    # A kept alias of an escaping name escapes too.
    escaping = set(escaping)
    for target, node in reversed(statements):
        if target in escaping and isinstance(node, ast.Name):
            escaping.add(node.id)
    values, env = {}, dict(env)
    with np.errstate(all="ignore"):
        for target, node in statements:
            env[target] = _values(node, namespace, env, values)
    # Each read of a name, in the order of evaluation, and whether it is the last
    # read of that definition.
    reads = []
    for i, (target, node) in enumerate(statements):
        order = []

        def visit(n):
            for child in _children(n):
                visit(child)
            if isinstance(n, ast.Name):
                order.append(n)
        visit(node)
        reads.append(order)
    last = set()
    pending = set(live_out)   # names read later (by a later statement or after the lines)
    for i in range(len(statements) - 1, -1, -1):
        pending.discard(statements[i][0])
        for n in reversed(reads[i]):
            if n.id not in pending:
                last.add(id(n))
                pending.add(n.id)
    shapes, free, holder = [], [], {}

    def allocate(shape, avoid=()):
        for k in free:
            if shapes[k] == shape and k not in avoid:
                free.remove(k)
                return k
        shapes.append(shape)
        return len(shapes) - 1

    def is_array(node):
        value = values.get(id(node))
        return isinstance(value, np.ndarray) and value.dtype == np.float64 and value.ndim > 0 \
            and value.flags.c_contiguous

    def emit(node, top, pinned):
        """(new node, the buffer its value occupies that dies with its reader or None)."""
        if isinstance(node, ast.Name):
            k = holder.get(node.id)
            if k is not None and id(node) in last:
                del holder[node.id]
                return node, k
            return node, None
        if isinstance(node, ast.Constant):
            return node, None
        form = _ufunc_of(node, namespace, values) if is_array(node) and not (top and top in escaping) else None
        dying = []

        def child(c):
            new, k = emit(c, None, pinned)
            if k is not None:
                dying.append((c, k))
            return new
        if form is None:
            new = _rebuilt(node, child)
            for c, k in dying:   # a view of a buffer lives as long as the view (held for good)
                (pinned.add if np.may_share_memory(values[id(node)], values[id(c)]) else free.append)(k)
            return new, None
        name, extra, elementwise = form
        operands = [child(c) for c in _operands(node)]
        keywords = [ast.keyword(k.arg, child(k.value)) for k in getattr(node, "keywords", [])]
        shape = values[id(node)].shape
        reuse = next((k for c, k in dying if elementwise and is_array(c) and values[id(c)].shape == shape), None)
        out = reuse if reuse is not None else allocate(shape, {k for _, k in dying})
        free.extend(k for _, k in dying if k != out)
        call = f"{name}({', '.join([ast.unparse(o) for o in operands] + [repr(e) for e in extra] + [f'{k.arg}={ast.unparse(k.value)}' for k in keywords])}, out=_b{out})"
        return ast.parse(call, mode="eval").body, out

    out_lines = []
    for i, (target, node) in enumerate(statements):
        pinned = set()
        new, k = emit(node, target, pinned)
        if isinstance(node, ast.Name) and k is None and node.id in holder:
            pinned.add(holder[node.id])   # an alias of a buffer still read: held for good
        old = holder.pop(target, None)
        if old is not None:
            free.append(old)
        if k is not None:
            holder[target] = k
        for kept in pinned:
            holder[f" pinned {kept}"] = kept
        out_lines.append(f"{target} = {ast.unparse(new)}")
        # A definition nothing reads frees its buffer at once.
        if k is not None and target not in live_out and not any(
                n.id == target for later in reads[i + 1:] for n in later):
            free.append(holder.pop(target))
    return out_lines, [tuple(s) for s in shapes]


def buffers(shapes):
    """The buffers of :func:`inplace`'s lines, allocated."""
    return tuple(np.empty(shape) for shape in shapes)


def _guard_of(ids, known):
    """``not (…)``: some of the terms ``ids`` is not finite (vector flavour)."""
    return "not (" + " and ".join([f"_finite({_value(expr.var(g), known)})" for g in ids] or ["True"]) + ")"


def _per_sample(terms):
    """The names whose value is one per sample: x, y and every term of the
    state that reads one and is not a mean."""
    found = {"x", "y"}
    for t in terms:
        if t.section != UPDATE and not t.mean and expr.source_names(t.source) & found:
            found.add(t.var)
    return found


def _half(paired, paired_known, sampled, side):
    """Aliases reading each per-sample name of the ``paired`` lines as its
    half ``side`` ("lo", the first batch, or "hi", the second)."""
    known = {}
    for name in ("x", "y", *(t.var for t in paired)):
        if name in paired_known:   # an alias of the lines: of the same half
            known[name] = expr.simplify(paired_known[name], known)
        elif name in sampled:
            known[name] = ast.Name(f"_{side}_{name}", ast.Load())
    return known


def _views(lines, side, part):
    """The lines making the half views ``part`` (a slice) that ``lines`` read."""
    read = set().union(*(expr.source_names(line.split("=", 1)[1].strip()) for line in lines))
    prefix = f"_{side}_"
    return [f"{name} = {name[len(prefix):]}[{part}]" for name in sorted(read) if name.startswith(prefix)]


def _fast_lines(terms, batches):
    """The loop body of the vector ``run`` as plain lines, with its checks as
    assignments to ``_bad`` (and, for mini-batches, ``_bad_ahead``).

    With ``batches``, turn ``_i`` updates from state k + ``_i`` on batch
    ``_xs[_i]`` with the gradient recorded on it, checks the look-ahead (the new
    state's forward pass and loss on that same batch must be finite, as
    :meth:`engine.training.Trainer.run` requires), then derives the new
    state on the next batch, ``_xs[_i + 1]``: the row it records.  Both
    forward passes are one: the per-sample lines before the loss run once on
    the two batches side by side (``_xx[_i]``, 2n samples; an elementwise
    value does not depend on its neighbours), the rest on each half."""
    state = [t for t in terms if t.section != UPDATE]
    kept = set(guarded(terms))
    in_update = [g for g in guarded(terms) if any(t.id == g and t.section == UPDATE for t in terms)]
    if not batches:
        known = {}
        derive = _statements(state, "vector", known)
        update_known = dict(known)
        loop = _updates(terms, "vector", update_known, PARAMS + state_columns(terms)) + derive
        checked = in_update + [g for g in guarded(terms) if g not in in_update]
        loop += [f"_bad = {_guard_of(checked, {**update_known, **known})}"]
    else:
        ids = [t.id for t in state]
        end = max([ids.index("L")] + [ids.index(g) for g in kept if g in ids])
        # The look-ahead's lines before any mean (and whatever reads one) run on both batches.
        paired, reduced = [], set()
        for t in state[:end + 1]:
            if t.mean or expr.source_names(t.source) & reduced:
                reduced.add(t.var)
            else:
                paired.append(t)
        sampled = _per_sample(terms)
        paired_known = {}
        both = _statements(paired, "vector", paired_known)
        ahead_known = _half(paired, paired_known, sampled, "lo")
        ahead = _statements([t for t in state[:end + 1] if t not in paired], "vector", ahead_known)
        known = _half(paired, paired_known, sampled, "hi")
        derive = _statements([t for t in state if t not in paired], "vector", known)
        update_known = dict(known)
        updates = _updates(terms, "vector", update_known, PARAMS + state_columns(terms))
        on_both = {t.id for t in paired}
        # Guarded values: those of the update and of both batches checked with the
        # look-ahead, the rest on each half.  First one sum of them all, which is
        # not finite if one of them is not (or if it overflows, when the exact test decides).
        checked = [(_value(expr.var(g), update_known), False) for g in in_update]
        checked += [(_value(expr.var(g), paired_known), expr.var(g) in sampled) for g in ids[:end + 1]
                    if g in kept and g in on_both]
        checked += [(_value(expr.var(g), ahead_known), expr.var(g) in sampled) for g in ids[:end + 1]
                    if g in kept and g not in on_both]
        loss = _value("L", ahead_known)
        quick = " + ".join([loss] + [f"_sum({v})" if many else v for v, many in checked])
        exact = " and ".join([f"_finite({v})" for v, _ in checked] + [f"_isfinite({loss})"])
        loop = ["x = _xx[_i]", "y = _yy[_i]"] + updates + both + _views(ahead, "lo", ":_n") + ahead
        loop += [f"_bad_ahead = not _isfinite({quick}) and not ({exact})"]
        loop += _views(derive, "hi", "_n:") + derive
        rest = [g for g in guarded(terms) if g in ids and g not in on_both]
        if rest:
            loop += [f"_bad = {_guard_of(rest, known)}"]
    row = ", ".join(_value(expr.var(name), known) for name in ROW + state_columns(terms))
    given = [f"{_value(expr.var(g), known)} = _{expr.var(g)}" for g in GRADIENTS]
    return loop, given, row


def _sample(terms, n, batches):
    """Inputs of the vector ``run`` of the right shapes (the values do not matter)."""
    env = {name: 0.5 for name in inputs(terms)}
    env.update(x=np.zeros(n), y=np.zeros(n), _n=n, _i=0, _xx=np.zeros((1, 2 * n)), _yy=np.zeros((1, 2 * n)))
    env.update((expr.var(g), 0.5) for g in GRADIENTS)
    return env


def _pairs(rows):
    """Row i of the result (a view): ``rows[i]`` and ``rows[i + 1]`` side by side."""
    return np.lib.stride_tricks.sliding_window_view(rows.reshape(-1), 2 * rows.shape[1])[::rows.shape[1]]


@functools.lru_cache(maxsize=16)
def build_fast(terms, n, batches=False):
    """The vector ``run`` for batches of ``n`` samples, every array written into
    preallocated buffers (:func:`inplace`): ``(run, shapes)``; pass
    ``_bufs=buffers(shapes)`` to ``run``, the same buffers call after call.
    Its arguments and result are those of :func:`build`'s ``run``; with
    ``batches``, ``x`` and ``y`` are replaced by ``_xs`` and ``_ys``, the
    samples of ``_steps`` + 1 batches of ``n`` as rows (C-contiguous), and a
    look-ahead that is not finite also stops the loop (its row packed, with
    the look-ahead's loss)."""
    width = len(ROW) + len(state_columns(terms))
    namespace = dict(_GLOBALS["vector"], **INPLACE_GLOBALS, _isfinite=math.isfinite, _pairs=_pairs,
                     _pack=struct.Struct(f"{width}d").pack_into, _ROW_BYTES=8 * width)
    loop, given, row = _fast_lines(terms, batches)
    lines, shapes = inplace(loop, _sample(terms, n, batches), namespace,
                            live_out=tuple(expr.var(name) for name in ROW + state_columns(terms)))
    body = []
    for line in lines:
        body.append(line)
        if line.startswith("_bad_ahead = "):
            body += ["if _bad_ahead:", f"    _pack(_out, _at, {row})", "    return _i"]
    body += [f"_pack(_out, _at, {row})", "_at += _ROW_BYTES"]
    if any(line.startswith("_bad = ") for line in lines):
        body += ["if _bad:", "    return _i"]
    samples = "_xs, _ys" if batches else "x, y"
    args = ", ".join(PARAMS + (samples, "alpha") + state_columns(terms))
    gradients = ", ".join("_" + expr.var(g) for g in GRADIENTS)
    local = "".join(f"{f}={f}, " for f in list(_FUNCTIONS["vector"]) + list(INPLACE_GLOBALS))
    unpack = [f"{', '.join(f'_b{k}' for k in range(len(shapes)))}, = _bufs"] if shapes else []
    pairs = ["_xx = _pairs(_xs)", "_yy = _pairs(_ys)"] if batches else []
    source = "\n".join(
        [f"def run(_steps, _out, _at, {args}, {gradients}, *, _bufs, {local}_finite=_finite, "
         f"_isfinite=_isfinite, _dot=_dot, _sum=_sum, _pack=_pack, _ROW_BYTES=_ROW_BYTES):",
         *("    " + line for line in unpack + [f"_n = {n}"] + pairs + given),
         "    for _i in range(_steps):", *("        " + line for line in body), "    return _steps"])
    exec(compile(source, f"<engine.compiled in place, n = {n}>", "exec"), namespace)
    namespace["run"].source = source
    return namespace["run"], shapes
