"""The derivation of one state as records: what the table, the CSV and the
command line show.  Nothing here computes a formula; the values come from the
compiled term table and the texts from the same table's expressions."""

import functools
import string
from dataclasses import dataclass

import numpy as np

from . import compiled, expr
from .limits import PARAMS
from .terms import DEFAULT_SPEC, SECTION_TITLES, TERMS, section_titles, state_columns, terms_for


BREAKDOWN_LIMIT = 1000   # a batch's per-sample values are kept up to this many samples


@dataclass(frozen=True)
class Term:
    id: str            # stable ASCII id, e.g. "dL/dW2"
    symbol: str        # display symbol, e.g. "∂L/∂W₂"
    formula: str       # symbolic formula, e.g. "∂L/∂z₂ × ∂z₂/∂W₂"
    substitution: str  # the formula with the numbers in
    value: float       # float64; for a batch, the mean over the samples
    layer: str         # forward, 3, 2, 1 or update
    node: str          # the diagram element it belongs to
    caption: str = ""  # what this link of the chain does, in plain words
    samples: tuple = None   # a batch's per-sample values (up to BREAKDOWN_LIMIT samples)
    per_sample: bool = False  # a batch's value is the mean of one value per sample


@functools.lru_cache(maxsize=None)
def formula(source):
    return expr.render(expr.parse(source), lambda name: (expr.symbol(name), False))


@functools.lru_cache(maxsize=None)
def _template(source, negatives):
    """The substitution with a {name} slot per value.  Where brackets go
    depends only on which values are negative, so one template serves every
    state with the same signs: a redraw formats strings instead of walking trees."""
    return expr.render(expr.parse(source), lambda name: ("{" + name + "}", name in negatives))


def substitution(source, values):
    names = expr.source_names(source)
    negatives = frozenset(n for n in names if values[n] < 0)
    # Enough digits that the arithmetic shown gives the value (1 − 0.9999999966², not 1 − 1²).
    return _template(source, negatives).format_map(expr.shown_numbers(source, values))


class Derivation:
    """Every term of one state, in the reference's order, looked up by id or position."""

    def __init__(self, terms, n_samples, titles=SECTION_TITLES, definitions=TERMS):
        self.terms = tuple(terms)
        self.n_samples = n_samples
        self.titles = titles   # each section's heading, naming the activations
        self.definitions = definitions   # the term table (TermDef) the records come from
        self._by_id = {t.id: t for t in self.terms}

    def __len__(self):
        return len(self.terms)

    def __iter__(self):
        return iter(self.terms)

    def __getitem__(self, key):
        return self._by_id[key] if isinstance(key, str) else self.terms[key]

    def value(self, term_id):
        return self._by_id[term_id].value

    def first_non_finite(self):
        return next((t for t in self.terms if not np.isfinite(t.value)), None)


def _mean(values):
    """The mean of a batch's per-sample values as a float: NaN or an infinity
    as the values give it, without numpy's warnings, and finite when every
    value is (the sum of finite values may overflow; their mean cannot)."""
    with np.errstate(all="ignore"):
        mean = np.mean(values)
        if not np.isfinite(mean) and np.isfinite(values).all():
            top = np.max(np.abs(values))
            mean = top * np.mean(values / top)
    return float(mean)


def _compiled_for(x, y, terms):
    """The compiled ``derive`` that fits the samples, and the samples as it
    takes them: Python floats for one sample, arrays for a batch."""
    x, y = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
    mode = "scalar" if len(x) == 1 else "vector"
    derive_all, _ = compiled.build(terms, mode)
    if mode == "scalar":
        x, y = float(x[0]), float(y[0])
    return derive_all, x, y


def evaluate(params, x, y, alpha, spec=DEFAULT_SPEC, state=None):
    """Values of every term of ``spec``'s table by its Python name; per-sample
    arrays for a batch.  ``state``: the optimizer's state (a mapping over
    :func:`engine.terms.state_columns` of the table; a missing entry is 0,
    the state before the first update)."""
    return evaluate_table(terms_for(spec), params, x, y, alpha, state)


def evaluate_table(terms, params, x, y, alpha, state=None):
    """:func:`evaluate` of a term table."""
    derive_all, x, y = _compiled_for(x, y, terms)
    state = state or {}
    values = dict({p: params[p] for p in PARAMS}, x=x, y=y, alpha=alpha)
    values.update((name, float(state.get(name, 0.0))) for name in state_columns(terms))
    with np.errstate(all="ignore"):
        results = derive_all(*(values[name] for name in compiled.inputs(terms)))
    values.update(zip(compiled.outputs(terms), results))
    return values


def values_function(x, y, alpha, terms=TERMS):
    """Every input and term of a table's state by Python name (as
    :func:`evaluate` gives them, with the optimizer's state 0), as a
    function of the six parameters at fixed samples: for the many
    evaluations of a gradient check, without building every term's record."""
    derive_all, x, y = _compiled_for(x, y, terms)
    fixed = dict({name: 0.0 for name in state_columns(terms)}, x=x, y=y, alpha=alpha)
    names, outputs = compiled.inputs(terms), compiled.outputs(terms)

    def values(params):
        values = {**fixed, **params}
        with np.errstate(all="ignore"):
            values.update(zip(outputs, derive_all(*(values[name] for name in names))))
        return values
    return values


def derive(params, x, y, alpha, spec=DEFAULT_SPEC, state=None):
    """The derivation of the state ``params`` (and the optimizer's ``state``,
    as for :func:`evaluate`) on samples ``x``, ``y`` of the network and
    update ``spec``."""
    terms = terms_for(spec)
    values = evaluate_table(terms, params, x, y, alpha, state)
    n = np.size(x)
    records = []
    for t in terms:
        raw = values[t.var]
        per_sample = np.ndim(raw) > 0
        if n == 1 or not any(np.ndim(values[v]) for v in expr.source_names(t.source)):
            text = substitution(t.source, values)
        elif t.mean:
            text = f"(1/{n}) Σ over the {n} samples"
        else:
            text = f"per sample; the mean of {n} values is shown"
        value = _mean(raw) if per_sample else float(raw)
        breakdown = tuple(np.broadcast_to(raw, np.shape(x)).tolist()) \
            if per_sample and n <= BREAKDOWN_LIMIT else None
        records.append(Term(t.id, t.symbol, formula(t.source), text, value, t.section, t.node,
                            t.caption, breakdown, per_sample and n > 1))
    return Derivation(records, n, section_titles(spec), terms)


@functools.lru_cache(maxsize=None)
def caption_slots(caption):
    """The term ids a caption template quotes (its ``{id}`` slots), in order."""
    return tuple(field for _, field, _, _ in string.Formatter().parse(caption) if field)


def caption_text(derivation, term_id):
    """A term's caption with this state's values in its slots (the means, for a batch)."""
    caption = derivation[term_id].caption
    return caption.format_map({slot: expr.number(derivation.value(slot))
                               for slot in caption_slots(caption)})


def stop_text(derivation, term_id, reveal=True):
    """What the walk-through says at a term: ``∂L/∂z₂ = −7.6878 × 0.82869 =
    −6.3708: `` and the caption with this state's numbers.  ``reveal=False``
    puts ``?`` for the term's own value (a caption quotes only earlier terms)."""
    term = derivation[term_id]
    value = expr.number(term.value) if reveal else "?"
    if term.per_sample:
        said = f"{term.symbol} = {value}, the mean over the {derivation.n_samples} samples"
    elif term.substitution == value or not reveal and term.substitution == expr.number(term.value):
        said = f"{term.symbol} = {value}"   # the substitution is the value itself (ŷ = z₃, a constant 1)
    else:
        said = f"{term.symbol} = {term.substitution} = {value}"
    caption = caption_text(derivation, term_id)
    return f"{said}: {caption}" if caption else said
