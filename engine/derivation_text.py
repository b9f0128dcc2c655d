"""The derivation as text a teacher can paste: the rows the window's table
shows, for the Markdown (:mod:`engine.markdown`) and LaTeX
(:mod:`engine.latex`) renderers.

A :class:`Part` is one state's rows under a heading: the whole derivation, or
the rows a learner selected.  :func:`rows` lists them as the window's table
does: a title row where the section changes, then one row per term; a wider
network's vector term (∂L/∂W₂ = ∂L/∂z₂ h₁ᵀ) is a row followed by its
elements' rows (as the CSV has them).  Each row keeps the Python expression
it comes from, so that every renderer writes it from the same tree.
"""

from dataclasses import dataclass

from . import elements
from .network import table

# The window's table shows a value to this many significant digits (engine.expr.number).
VALUE_DIGITS = 6
FORMATS = ("csv", "markdown", "latex")
TEXT_FORMATS = FORMATS[1:]
# The columns a teacher's table has: the window's, without the numerical check.
COLUMNS = ("Quantity", "Formula", "Substitution", "Value")
SECTION, TERM, VECTOR = "section", "term", "vector"


@dataclass(frozen=True)
class Part:
    """One state's rows under ``heading`` (``Step 3``): its Derivation, the
    Spec it was derived for (a wider network's elements need it; the chain's
    may be None) and which rows, by term id (a wider network's vector id gives
    the vector's row, an element's id that element's row); None: every row."""
    heading: str
    derivation: object
    spec: object = None
    ids: frozenset = None


@dataclass(frozen=True)
class Row:
    """A row: a section's title, a term of one number (the chain's term, an
    element, a network's scalar), or a vector term.  ``name`` is the
    term's Python name (``dL_dW2__1_2``), ``source`` the expression it is
    computed by (an element's own scalar expression, a vector's line)."""
    kind: str
    title: str = ""
    term: object = None   # engine.derivation.Term, or engine.network.VectorTerm
    name: str = ""
    source: str = ""
    kinds_key: tuple = ()   # a vector row's kinds (engine.network.Table.kinds_key)


def has_elements(vector):
    """Whether a vector term's row has element rows under it (L, one number, has none)."""
    return len(vector.elements) > 1 or vector.elements[0].id != vector.id


def rows(part):
    """The rows of ``part`` in the table's order, with the title of each section a row belongs to."""
    derivation = part.derivation
    by_id = {t.id: t for t in derivation.definitions}
    if getattr(derivation, "vectors", None) is None:
        listed = [Row(TERM, term=t, name=by_id[t.id].var, source=by_id[t.id].source) for t in derivation]
    else:
        listed = list(_network_rows(derivation, part.spec, by_id))
    if part.ids is not None:
        listed = [r for r in listed if r.term.id in part.ids]
    titled, section = [], None
    for row in listed:
        if row.term.layer != section:
            section = row.term.layer
            titled.append(Row(SECTION, title=derivation.titles.get(section, section)))
        titled.append(row)
    return titled


def _network_rows(derivation, spec, by_id):
    if spec is None:
        raise ValueError("a wider network's derivation is written with its Spec (Part.spec)")
    tab = table(spec)
    for vector in derivation.vectors:
        definition = by_id[vector.id]
        kind = tab.kinds[definition.var]
        names = [elements.name(definition.var, kind, i, j) for i, j in elements.indices(kind)]
        # A term of one number (L) too is its element's sum written out: Σ over the outputs.
        sources = elements.element_sources(definition.source, tab.kinds_key)
        if has_elements(vector):
            yield Row(VECTOR, term=vector, name=definition.var, source=definition.source, kinds_key=tab.kinds_key)
        for element, name, source in zip(vector.elements, names, sources):
            yield Row(TERM, term=element, name=name, source=source)


def chunks(format, parts, document=True):
    """The text of ``parts`` in ``format`` (markdown or latex), a piece per
    part (and LaTeX's preamble and end): a long run is written as it goes.
    ``document``: LaTeX as a whole document, else the body to paste."""
    # Imported here: the renderers import this module.
    if format == "markdown":
        from .markdown import chunks as markdown_chunks
        return markdown_chunks(parts)
    if format == "latex":
        from .latex import chunks as latex_chunks
        return latex_chunks(parts, document)
    raise ValueError(f"no text format {format!r}; choose one of {', '.join(TEXT_FORMATS)}")


def text(format, parts, document=True):
    """:func:`chunks` joined: what Copy as Markdown / LaTeX puts on the clipboard."""
    return "".join(chunks(format, parts, document))


def write(stream, format, parts, document=True):
    """Write :func:`chunks` to ``stream``, yielding after each piece (the
    writers of :func:`engine.atomic.write_atomically` and the command line)."""
    for piece in chunks(format, parts, document):
        stream.write(piece)
        yield
