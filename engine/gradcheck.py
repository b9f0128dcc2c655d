"""Numerical gradient check: central differences against the analytic gradient."""

import ast
import functools
import math
import sys
from dataclasses import dataclass, replace

import numpy as np

from . import compiled, expr
from .derivation import values_function
from .limits import PARAMS
from .terms import DEFAULT_SPEC, FORWARD, TERMS, terms_for

FLAG_ABOVE = 1e-6  # relative error above which a gradient is suspect
EPSILON = sys.float_info.epsilon
STEP = 1e-6        # the difference step, relative to the parameter's size (at least 1)

# The formula of the numerical estimate and the rule of the verdict, written once:
# the table's column tooltips and the README say what these say.
QUOTIENT_TEXT = ("The numerical check: the central difference (L(θ + h) − L(θ − h)) / 2h, "
                 "with h = 1e−6 × max(1, |θ|).")
CHECK_RULE = ("A gradient passes when |analytic − numerical| ≤ 1e−6 × max(|analytic|, |numerical|) "
              "+ floor. The floor is the smallest difference the central difference can resolve: "
              "the rounding of L(θ ± h) divided by 2h, and, where that is not enough, the rounding "
              "of the forward pass at θ ± h and the quotient's own truncation error. "
              "✓ agrees within 1e−6 relative; ≈ agrees only within the floor (a gradient too small "
              "for the difference of two losses to see, not a wrong one); ⚠ differs by more than "
              "both; — no check (the loss is not finite within the step).")
AGREES, WITHIN_FLOOR, DIFFERS, NO_CHECK = "✓", "≈", "⚠", "—"


class Cancelled(Exception):
    """Checks given up because ``stopped()`` said so (their state is shown no more)."""


def raise_if_stopped(stopped):
    if stopped is not None and stopped():
        raise Cancelled


def _sci(value):
    """Two significant digits, a short exponent and a true minus: 1e−6, not 1e-06."""
    mantissa, e, exponent = f"{value:.1e}".partition("e")
    text = mantissa.removesuffix(".0") + (f"e{int(exponent)}" if e and int(exponent) else "")
    return text.replace("-", "−")


@dataclass(frozen=True)
class Check:
    param: str
    analytic: float
    numeric: float
    relative_error: float
    noise: float  # the floor: what the central difference cannot resolve (its rounding; its truncation)
    floor_parts: tuple = ()   # (what, size) of each part of the floor, in plain words

    @property
    def difference(self):
        return abs(self.analytic - self.numeric)

    @property
    def verdict(self):
        """One mark by CHECK_RULE: AGREES, WITHIN_FLOOR, DIFFERS or NO_CHECK.
        Where the loss overflows within the step the quotient is not a
        number: nothing can be said, and nothing is flagged."""
        if not (math.isfinite(self.analytic) and math.isfinite(self.numeric)):
            return NO_CHECK
        if self.relative_error <= FLAG_ABOVE:
            return AGREES
        scale = max(abs(self.analytic), abs(self.numeric))
        return WITHIN_FLOOR if self.difference <= FLAG_ABOVE * scale + self.noise else DIFFERS

    @property
    def suspect(self):
        """Off by more than FLAG_ABOVE relative, and by more than the difference
        quotient can resolve: a saturated unit's tiny gradient (1e-10) is
        below what L's rounding lets a central difference see, not wrong."""
        return self.verdict == DIFFERS

    @property
    def reason(self):
        """Why the verdict, in plain words with the numbers."""
        verdict = self.verdict
        if verdict == NO_CHECK:
            return "No check: the loss is not a finite number within the step, so there is no difference to compare."
        if verdict == AGREES:
            return (f"Agrees: the relative error {_sci(self.relative_error)} is within "
                    f"{_sci(FLAG_ABOVE)}.")
        scale = max(abs(self.analytic), abs(self.numeric))
        head = (f"|analytic − numerical| = {_sci(self.difference)}, a relative error of "
                f"{_sci(self.relative_error)}: more than {_sci(FLAG_ABOVE)}")
        if verdict == DIFFERS:
            return (f"Differs: {head}, and more than {_sci(FLAG_ABOVE)} × {_sci(scale)} + the floor "
                    f"{_sci(self.noise)}.{self._floor_text()}")
        return (f"Agrees within the floor: {head}, but no more than {_sci(FLAG_ABOVE)} × {_sci(scale)} "
                f"+ the floor {_sci(self.noise)}, the smallest difference the central difference "
                f"can resolve here: a difference this small says nothing against the gradient."
                f"{self._floor_text()}")

    def _floor_text(self):
        if not self.floor_parts:
            return ""
        return " The floor is " + "; plus ".join(f"{what}: {_sci(size)}" for what, size in self.floor_parts) + "."


def relative_error(a, b):
    """|a − b| relative to the larger magnitude; 0 when both are 0; NaN when
    either is not finite (there is no error to tell)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.nan
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale > 0 else 0.0


def _size(node, values):
    """``node`` evaluated on the magnitudes of its operands (|a| + |b| for
    a − b): the size of the numbers its float64 evaluation rounds."""
    if isinstance(node, ast.Name):
        return abs(values[node.id])
    if isinstance(node, ast.Constant):
        return abs(node.value)
    if isinstance(node, ast.UnaryOp):
        return _size(node.operand, values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) \
            and isinstance(node.right, ast.Constant) and node.right.value == 2:
        size = _size(node.left, values)
        return size * size     # a float's ** would raise OverflowError
    if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult):
        left, right = _size(node.left, values), _size(node.right, values)
        return left * right if isinstance(node.op, ast.Mult) else left + right
    raise ValueError(f"no size for {ast.unparse(node)}")


def _sizable(node):
    """Whether :func:`_size` can read ``node``: sums, differences, products and squares."""
    return isinstance(node, (ast.Name, ast.Constant)) or (
        isinstance(node, ast.UnaryOp) and _sizable(node.operand)) or (
        isinstance(node, ast.BinOp) and (type(node.op) in (ast.Add, ast.Sub, ast.Mult) or (
            isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and node.right.value == 2))
        and _sizable(node.left) and _sizable(node.right))


@functools.lru_cache(maxsize=None)
def _rounding_parts(terms):
    """What bounds, over 2ε, the rounding error of the float64 loss of a state:
    ``(term, size, adjoint)`` for each term of the forward pass.  Each rounds
    numbers of the size of its operands (``size``: the expression read by
    :func:`_size`; None for an activation, or anything else, which rounds
    numbers of the size of its result), and that error moves L by the
    backward pass's ∂L/∂(term) (``adjoint``); L itself, a mean over the
    samples, adds the rounding of its sum (``adjoint`` None).  Where ŷ nearly
    equals a large y this is far more than L's own rounding: ŷ − y keeps the
    rounding of ŷ."""
    outputs = compiled.outputs(terms)
    parts = []
    for t in terms:
        node = expr.parse(t.source)
        if t.section != FORWARD or expr.is_trivial(node):
            continue
        size = node if _sizable(node) and not isinstance(node, ast.Call) else None
        if t.id == "L":
            parts.append((t.var, size, None))
        else:   # ∂L/∂err is ∂L/∂ŷ
            adjoint = expr.var(f"dL/d{'yhat' if t.id == 'err' else t.id}")
            if adjoint in outputs:
                parts.append((t.var, size, adjoint))
    return tuple(parts)


def loss_rounding(values, terms=TERMS):
    """A bound on the rounding error of the float64 loss of a state, from its
    ``values`` by Python name (:func:`engine.derivation.evaluate` or
    :func:`engine.derivation.values_function`); infinite where the bound is
    not a number (∞ × 0 of huge operands)."""
    n = np.size(values["x"])
    mean = np.mean if n > 1 else float
    total = 0.0
    with np.errstate(all="ignore"):
        for var, node, adjoint in _rounding_parts(terms):
            size = abs(values[var]) if node is None else _size(node, values)
            total += (n + 1) * mean(size) if adjoint is None else mean(abs(values[adjoint]) * size)
        total = float(total)
    return 2 * EPSILON * total if total == total else math.inf


def _quotient(values, params, p, step):
    """(L(θ + step) − L(θ − step)) / 2·step for parameter ``p``, L's relative
    rounding over 2·step, the values at the two points, and the two losses."""
    probes = [values({**params, p: params[p] + sign * step}) for sign in (1.0, -1.0)]
    # Python floats: a batch's loss is a numpy float, whose overflow would warn.
    up, down = (float(v["L"]) for v in probes)
    return (up - down) / (2 * step), 16 * EPSILON * (abs(up) + abs(down)) / (2 * step), probes, (up, down)


def check_gradients(params, x, y, alpha, spec=DEFAULT_SPEC, h=STEP, stopped=None):
    """One :class:`Check` per parameter of the network and update ``spec``
    (:func:`check_table` of its table)."""
    return check_table(terms_for(spec), params, x, y, alpha, h, stopped)


def check_table(terms, params, x, y, alpha, h=STEP, stopped=None):
    """One :class:`Check` per parameter of a term table.  The step is ``h``
    scaled by the parameter's size, so that the difference is not lost to
    rounding.

    ``noise``, the floor of CHECK_RULE, is what the quotient cannot resolve:
    the relative rounding of the two losses, and, for a gradient that this
    would flag, the bound of :func:`loss_rounding` at the two points (where
    it may be far more than at θ: a step can move ŷ − y from 10⁻¹³ to 10⁻³)
    and the quotient's truncation error, estimated from the quotient of twice
    the step (near a minimum the gradient is 10⁻¹⁶ and the quotient's
    step²·L‴/6 is 10⁻¹⁴: the gradient is right, the quotient is not).
    ``floor_parts`` names each part with its size.  ``stopped()``, if given,
    is asked before each parameter: True gives up (:class:`Cancelled`)."""
    values = values_function(x, y, alpha, terms)
    analytic = values(params)
    checks = []
    for p in PARAMS:
        raise_if_stopped(stopped)
        step = h * max(1.0, abs(params[p]))
        numeric, noise, probes, losses = _quotient(values, params, p, step)
        exact = float(analytic[f"dL_d{p}"])
        parts = ((f"the rounding of L(θ ± h) ≈ {expr.number(max(map(abs, losses)), 2)} (16ε relative) over "
                  f"2h = {_sci(2 * step)}", noise),)
        check = Check(p, exact, numeric, relative_error(exact, numeric), noise, parts)
        if check.suspect:
            wider, wider_noise, far, _ = _quotient(values, params, p, 2 * step)
            rounding = sum(loss_rounding(v, terms) for v in probes) / (2 * step) \
                + sum(loss_rounding(v, terms) for v in far) / (4 * step)
            truncation = abs(wider - numeric)
            parts += (("the same rounding at θ ± 2h", wider_noise),
                      ("the rounding of the forward pass at θ ± h and θ ± 2h (each term's "
                       "rounding times ∂L/∂term), over the steps", rounding),
                      ("the truncation error: how far the quotient of step 2h is from this one",
                       truncation))
            check = replace(check, noise=noise + wider_noise + rounding + truncation, floor_parts=parts)
        checks.append(check)
    return checks


def trainer_checks(trainer, step=-1, stopped=None):
    """The checks of ``trainer.derivation(step)``'s gradients: at that state's
    parameters, on the samples of the update from it (a mini-batch's own)."""
    batch = trainer.batch(step)
    return check_gradients(trainer.params(step), trainer.x[batch], trainer.y[batch], trainer.alpha,
                           trainer.spec, stopped=stopped)
