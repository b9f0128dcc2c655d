"""The derivation table's model: one row per chain-rule term, grouped by layer.

For the 1-1-1-1 chain a row is a term of the derivation, as always.  For a
wider network (a derivation with ``vectors``, engine.network.derive) a row is
a vector or matrix term (∂L/∂W₂ = ∂L/∂z₂ h₁ᵀ), which expands into its element
rows (∂L/∂W₂[1,2] = ∂L/∂z₂[1] × h₁[2]); a term of one number (L) is a plain
row.  Which vector rows are expanded is kept across redraws of the same
network; expanding and collapsing insert and remove rows, so the selection
and the scroll position stay.

The diagram's id of a row (what ``elementSelected`` announces and
``set_highlight`` receives):
- the chain's rows: the term's ``node`` (W1, h1, yhat, L), as always;
- a vector row: its ``node``, the whole layer or parameter (W2, h1, yhat);
- an element row: its node with the element's own index, ``W2[1,2]`` for
  ∂L/∂W₂[1,2], W₂′[1,2] or W₂[1,2]'s optimizer state, ``h1[2]`` for z₁[2],
  h₁[2], ∂L/∂h₁[2], ∂h₁/∂z₁[2] and ∂L/∂z₁[2], ``yhat[1]`` for z₂[1], ŷ[1],
  ∂L/∂ŷ[1] of a 2-layer network's output; the loss's node ``L`` has no index
  (the (ŷ − y)[i] rows are ``L``), nor has a term of one number.  An input
  read by a chain is ``x[2]``.
"""

import ast
import functools

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPixmap, QPolygonF

from engine import elements, expr
from engine.chain import chain_of, chain_text
from engine.elements import MATRIX, SCALAR, VECTOR, Kind
from engine.derivation_text import VALUE_DIGITS   # the table's digits are the exports'
from engine.expr import number
from engine.gradcheck import AGREES, CHECK_RULE, DIFFERS, NO_CHECK, QUOTIENT_TEXT, WITHIN_FLOOR

from .theme import theme

COLUMNS = ("Quantity", "Formula", "Substitution", "Value", "Numerical check", "Relative error")
CHECKED, ERROR = 4, 5   # the central-difference estimate of a gradient, and how far the value is from it
BREAKDOWN_SHOWN = 12     # per-sample values in a tooltip; a double-click lists them all
CHAIN_ROLE = Qt.ItemDataRole.UserRole + 1   # True on a row lit as a factor of that chain
# A vector row: whether it is expanded (True/False); None on any other row.
EXPANDED_ROLE = Qt.ItemDataRole.UserRole + 2
ARROW = 14     # the expand arrow's width in the Quantity cell, in pixels
INDENT = 28    # an element row's indent: under its vector's symbol
_RANK = {AGREES: 0, NO_CHECK: 1, WITHIN_FLOOR: 2, DIFFERS: 3}   # the worst of a matrix's checks leads


def check_texts(check):
    """The numerical check's two cells: the central difference, and the
    relative error with its verdict by the engine's CHECK_RULE (none where a
    value is not finite)."""
    numeric = number(check.numeric, VALUE_DIGITS)
    verdict = check.verdict
    if verdict == NO_CHECK:
        return numeric, f"{NO_CHECK} (not finite: no check)"
    words = {DIFFERS: " differs"}.get(verdict, "")
    return numeric, f"{check.relative_error:.1e}".replace("-", "−") + f"  {verdict}{words}"


def _summary_texts(checks):
    """A matrix's check cells: how many elements were checked, and the
    largest relative error with the worst verdict of them."""
    if not checks:
        return "", ""
    worst = max(checks, key=lambda c: (_RANK.get(c.verdict, 0), c.relative_error if c.relative_error
                                       == c.relative_error else 0.0))
    largest = max((c.relative_error for c in checks if c.relative_error == c.relative_error), default=None)
    words = {DIFFERS: " differs", NO_CHECK: " no check"}.get(worst.verdict, "")
    error = "" if largest is None else "max " + f"{largest:.1e}".replace("-", "−") + "  "
    count = f"{len(checks)} element" + ("s" if len(checks) > 1 else "")
    return count, f"{error}{worst.verdict}{words}"


# The checked columns' header tooltips: the engine's own text of the estimate and the rule.
HEADER_TIPS = {CHECKED: QUOTIENT_TEXT, ERROR: "The relative error |analytic − numerical| / "
               "max(|analytic|, |numerical|).\n" + CHECK_RULE}


# --- a wider network's structure ----------------------------------------------

def _is_gradient(term_id):
    return term_id.startswith("dL/d")


def _element_id(name):
    """An element's Python name as an id: ``dL_dz2__1`` -> ``dL/dz2[1]``, ``W2__1_2`` -> ``W2[1,2]``."""
    base, _, index = name.partition("__")
    return expr.term_id(base) + (f"[{index.replace('_', ',')}]" if index else "")


def _kind_of(vector):
    """The kind of a vector term, read off its elements' ids."""
    last = vector.elements[-1].id[len(vector.id):]
    if not last:
        return Kind(SCALAR)
    index = [int(i) for i in last[1:-1].split(",")]
    return Kind(VECTOR, index[0], 1) if len(index) == 1 else Kind(MATRIX, *index)


def network_kinds(derivation):
    """The kind (engine.elements.Kind) of every array a wider network's lines
    read, as engine.network.table gives them, from the derivation alone: a
    term's from its elements' ids, a parameter's (and its optimizer state's)
    from its gradient's, x from W₁'s columns, y from ŷ's."""
    by_id = {t.id: t for t in derivation.definitions}
    kinds = {by_id[v.id].var: _kind_of(v) for v in derivation.vectors}
    read = set().union(*(expr.source_names(t.source) for t in derivation.definitions))
    for name in sorted(read - kinds.keys()):
        prefix, _, rest = name.partition("_")
        base = rest if prefix in ("m", "v", "s") and rest else name
        if f"dL_d{base}" in kinds:
            kinds[name] = kinds[f"dL_d{base}"]
    if "x" in read and "W1" in kinds:
        kinds["x"] = Kind(VECTOR, kinds["W1"].cols, 1)
    if "y" in read and "yhat" in kinds:
        kinds["y"] = kinds["yhat"]
    return kinds


def _ordered_names(source):
    """The names an expression reads (not the functions it calls), in the order written."""
    node = expr.parse(source)
    called = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    found = [n for n in ast.walk(node) if isinstance(n, ast.Name) and id(n) not in called]
    return [n.id for n in sorted(found, key=lambda n: n.col_offset)]


def _follow(start, read, known):
    """A gradient's chain: (the gradients followed from ``start``, every
    name they read), following each ``∂L/∂…`` read that is ``known``; None
    when ``start`` is not a gradient or reads no other one."""
    if not _is_gradient(start) or not any(_is_gradient(n) and n in known for n in read(start)):
        return None
    followed, factors, todo = [], [], [start]
    while todo:
        current = todo.pop(0)
        if current in followed:
            continue
        followed.append(current)
        for name in read(current):
            if name not in factors and name != current:
                factors.append(name)
            if _is_gradient(name) and name in known and name not in followed:
                todo.append(name)
    return tuple(followed), tuple(factors)


def _input_diagram_id(element_id):
    """The diagram's id of an input element a chain reads (W2[1,2], b1[1],
    x[2]); None for what the diagram does not draw (y, α)."""
    base = element_id.partition("[")[0]
    if base == "x" or (base[:1] in ("W", "b") and base[1:].isdigit()):
        return element_id
    return None


class NetworkIndex:
    """What does not change between the states of one network: each term's
    vector, position and diagram id, and (when first asked) each element's
    sources and chain."""

    def __init__(self, derivation):
        self.definitions = derivation.definitions
        self.vectors = tuple(v.id for v in derivation.vectors)
        self.parent = {}        # element id -> its vector's id
        self.position = {}      # term id (vector or element) -> where its stop starts in the derivation
        self.diagram = {}       # term id -> the diagram's id
        self.node = {}          # vector id -> its node
        self.by_diagram = {}    # diagram id -> element ids whose row belongs to it
        self.expandable = set()
        position = 0
        for v in derivation.vectors:
            node = v.elements[0].node
            self.node[v.id] = node
            self.diagram[v.id] = node
            self.position[v.id] = position
            if len(v.elements) > 1 or v.elements[0].id != v.id:
                self.expandable.add(v.id)
            for e in v.elements:
                self.parent[e.id] = v.id
                self.position[e.id] = position
                suffix = e.id[len(v.id):]
                place = node if node in ("L", "") else node + suffix
                self.diagram[e.id] = place
                self.by_diagram.setdefault(place, []).append(e.id)
            position += len(v.elements)
        self._derivation = derivation   # until the reads are made
        self._by_id = {t.id: t for t in self.definitions}
        self._reads = None

    @property
    def reads(self):
        """{element id: (element ids its scalar formula reads, in order)}."""
        if self._reads is None:
            derivation, self._derivation = self._derivation, None
            key = tuple(sorted(network_kinds(derivation).items()))
            self._reads = {}
            for v in derivation.vectors:
                sources = elements.element_sources(self._by_id[v.id].source, key)
                for e, source in zip(v.elements, sources):
                    self._reads[e.id] = tuple(dict.fromkeys(_element_id(n) for n in _ordered_names(source)))
        return self._reads

    def element_chain(self, gradient_id):
        """The chain of a gradient element: every name its formula reads,
        the gradients among them followed back (∂L/∂W₂[1,2] = ∂L/∂z₂[1] ×
        h₁[2], ∂L/∂z₂[1] = ∂L/∂ŷ[1] × ∂ŷ/∂z₂[1], …).  Returns (the gradients
        followed, in order, the first the element itself; every name read)
        or None for an element that reads no other gradient."""
        reads = self.reads
        return _follow(gradient_id, lambda term_id: reads.get(term_id, ()), reads)

    def vector_chain(self, vector_id):
        """The same at the level of the matrix formulas (∂L/∂W₂ = ∂L/∂z₂ h₁ᵀ)."""
        by_id = self._by_id
        return _follow(vector_id, lambda term_id: [expr.term_id(n) for n in _ordered_names(by_id[term_id].source)]
                       if term_id in by_id else (), by_id)

    def place_of(self, name):
        """The diagram's id of a term or an input element read by a chain."""
        return self.diagram[name] if name in self.diagram else _input_diagram_id(name)


@functools.lru_cache(maxsize=4)
def _arrow(expanded, size, color):
    """The expand arrow: ▸ collapsed, ▾ expanded."""
    pixmap = QPixmap(ARROW, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    c, r = ARROW / 2, 4.5
    y = size / 2
    points = ((c - r + 1, y - r), (c - r + 1, y + r), (c + r - 1, y)) if not expanded else \
        ((c - r, y - r + 1.5), (c + r, y - r + 1.5), (c, y + r - 1))
    painter.drawPolygon(QPolygonF([QPointF(*p) for p in points]))
    painter.end()
    return pixmap


@functools.lru_cache(maxsize=4)
def _blank(width, size):
    pixmap = QPixmap(width, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    return pixmap


def _whole(value):
    """A float with the fewest digits that read back as itself (Python's repr), a true minus."""
    return repr(float(value) + 0.0).replace("-", "−")


class DerivationModel(QAbstractTableModel):
    """Rows are section titles and terms; a title row spans the table.  A
    wider network's vector rows expand into their element rows."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows = []          # (kind, item, key): ("section", title), ("term", Term), ("vector", VectorTerm)
        self._order = {}         # term id -> its position in the derivation (a wider network: its stop's)
        self._texts = {}         # term id -> the cells' text, made when first shown
        self._checks = {}        # gradient id -> engine.gradcheck.Check
        self._highlight = ""     # diagram element whose rows are highlighted
        self._hidden_from = None # predict mode: values from this term on are hidden
        self._derivation = None
        self._chain = None       # engine.chain.Chain whose factor rows are lit (the chain)
        self._bold = QFont()
        self._bold.setBold(True)
        # A wider network:
        self._index = None       # NetworkIndex of the network shown, None for the chain
        self._vectors = {}       # vector id -> VectorTerm of this state
        self._expanded = set()   # vector ids the learner expanded
        self._peeked = set()     # element ids shown under their collapsed vector by the highlight
        self._chain_of = ""      # the term id whose chain is lit
        self._lit = frozenset()  # term ids lit as its factors
        self._lit_vectors = frozenset()   # collapsed vectors holding a lit element
        self.row_height = 20     # the view's: the arrow's pixmap is as tall
        # The rows' colours: a new theme repaints every cell (the changed-cells-only
        # repaint of a new state would leave the old colours on the rest).
        self._theme = theme()
        self._theme.themeChanged.connect(self._repaint)

    # --- filling --------------------------------------------------------
    @property
    def is_network(self):
        return self._index is not None

    def set_derivation(self, derivation, checks=(), shown=None):
        """``checks``: engine gradcheck results, shown beside their gradients.
        ``shown``: the rows on screen (a range); when the rows stay the same,
        only those of their cells whose text (or check colour) changed are
        repainted, and the texts of the rows off screen are made when next
        shown.  None repaints every row."""
        before = (self._texts, self._checks, shown)
        self._checks = {f"dL/d{c.param}": c for c in checks}
        self._texts = {}
        vectors = getattr(derivation, "vectors", None)
        self._derivation = derivation
        if vectors is None:
            self._set_chain_derivation(derivation, before)
        else:
            self._set_network_derivation(derivation, vectors, before)

    def _set_chain_derivation(self, derivation, before):
        self._index, self._vectors, self._expanded, self._peeked = None, {}, set(), set()
        self._chain_of, self._lit, self._lit_vectors = "", frozenset(), frozenset()
        rows, section = [], None
        for term in derivation:
            if term.layer != section:
                section = term.layer
                rows.append(("section", derivation.titles[section], ("section", len(rows))))
            rows.append(("term", term, ("term", term.id)))
        self._order = {t.id: i for i, t in enumerate(derivation)}
        if self._chain is not None:   # another spec may chain other factors
            self._chain = chain_of(derivation, self._chain.gradient)
        if [kind for kind, _, _ in rows] == [kind for kind, _, _ in self._rows]:
            self._rows = rows  # same shape: repaint the cells, keep selection and scroll
            self._repaint_changed(*before)
        else:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()

    def _set_network_derivation(self, derivation, vectors, before):
        self._chain = None
        index = self._index
        signature = tuple((v.id, len(v.elements)) for v in vectors)
        if index is None or index.definitions != derivation.definitions \
                or tuple((v, len(self._vectors[v].elements)) for v in index.vectors) != signature:
            index = NetworkIndex(derivation)
            self._expanded, self._peeked = set(), set()
            self._chain_of, self._lit, self._lit_vectors = "", frozenset(), frozenset()
            structure = True
        else:
            structure = False
        self._vectors = {v.id: v for v in vectors}
        self._index = index
        self._order = index.position
        rows = self._network_rows()
        if structure:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        elif [key for _, _, key in rows] == [key for _, _, key in self._rows]:
            self._rows = rows
            self._repaint_changed(*before)
        else:
            self._move_to(rows)
            self._repaint()

    def _network_rows(self):
        rows, section, titles = [], None, self._derivation.titles
        expandable = self._index.expandable
        for v in self._vectors.values():
            if v.layer != section:
                section = v.layer
                rows.append(("section", titles.get(section, section), ("section", v.layer)))
            if v.id not in expandable:
                rows.append(("term", v.elements[0], ("term", v.elements[0].id)))
                continue
            rows.append(("vector", v, ("vector", v.id)))
            open_ = v.id in self._expanded
            rows.extend(("term", e, ("term", e.id)) for e in v.elements if open_ or e.id in self._peeked)
        return rows

    def _move_to(self, rows):
        """Change the rows to ``rows`` by removing and inserting the rows that
        differ (element rows under a vector), so the view keeps its selection."""
        new_keys = [key for _, _, key in rows]
        kept = set(new_keys)
        removed = [i for i, (_, _, key) in enumerate(self._rows) if key not in kept]
        for first, last in reversed(_runs(removed)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        old = {key for _, _, key in self._rows}
        added = [i for i, key in enumerate(new_keys) if key not in old]
        for first, last in _runs(added):
            self.beginInsertRows(QModelIndex(), first, last)
            self._rows[first:first] = rows[first:last + 1]
            self.endInsertRows()
        self._rows = rows

    def _repaint(self, first_column=0, roles=()):
        if self._rows:
            self.dataChanged.emit(self.index(0, first_column), self.index(len(self._rows) - 1, len(COLUMNS) - 1),
                                  list(roles))

    def _repaint_changed(self, texts, checks, shown):
        """After a new state with the same rows: repaint the cells on screen
        whose text or check colour differs from what they showed (``texts``,
        ``checks``: the previous state's).  An edit of a wider network changes
        the values but rarely a formula or a substitution's wording, and a
        repainted cell costs its share of a frame."""
        if shown is None:
            self._repaint()
            return
        for row in shown:
            if not 0 <= row < len(self._rows) or self._rows[row][0] == "section":
                continue
            kind, item, _ = self._rows[row]
            old, new = texts.get(item.id), self._cells(kind, item)
            changed = [c for c in range(len(COLUMNS)) if old is None or old[c] != new[c]]
            if _suspect(kind, item, checks) != _suspect(kind, item, self._checks):
                changed.append(ERROR)
            if changed:
                self.dataChanged.emit(self.index(row, min(changed)), self.index(row, max(changed)), [])

    # --- expanding (a wider network) ---------------------------------------
    def is_expandable(self, row):
        return 0 <= row < len(self._rows) and self._rows[row][0] == "vector"

    def is_expanded(self, vector_id):
        return vector_id in self._expanded

    def expanded(self):
        return frozenset(self._expanded)

    def set_expanded(self, vector_id, expanded=True):
        """Show (or hide) the element rows of a vector term."""
        if self._index is None or vector_id not in self._index.expandable \
                or (vector_id in self._expanded) == expanded:
            return
        if expanded:
            self._expanded.add(vector_id)
        else:
            self._expanded.discard(vector_id)
        self._move_to(self._network_rows())
        row = self.row_of(vector_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1), [])

    def parent_of(self, term_id):
        """The vector id of an element row's term, else None."""
        if self._index is None:
            return None
        parent = self._index.parent.get(term_id)
        return parent if parent != term_id and parent in self._index.expandable else None

    def row_of(self, term_id):
        """The row showing a term (a vector's or an element's id), or None."""
        return next((r for r, (kind, item, _) in enumerate(self._rows)
                     if kind != "section" and item.id == term_id), None)

    # --- predict mode ---------------------------------------------------
    def set_hidden_from(self, position):
        """Hide the values of the terms from ``position`` on (and the
        substitutions after it: they would give the value away); None shows
        all.  A wider network's position is an element's in the derivation;
        every element of a vector term counts as its vector's first."""
        if position != self._hidden_from:
            self._hidden_from = position
            self._repaint(2)

    def _hidden(self, term, column):
        if self._hidden_from is None or column < 2:
            return False
        position = self._order[term.id]
        return position >= self._hidden_from if column >= 3 else position > self._hidden_from

    # --- the diagram's highlight ---------------------------------------------
    def diagram_id(self, row):
        """The diagram's id of a row (see the module's text), "" for a title."""
        kind, item, _ = self._rows[row]
        if kind == "section":
            return ""
        if self._index is None:
            return item.node
        return self._index.diagram.get(item.id, "")

    def set_highlight(self, element):
        """Light the rows of a diagram element; a wider network's element
        rows are shown under their collapsed vector rows while it is lit."""
        if element == self._highlight:
            return
        self._highlight = element
        if self._index is not None:
            peeked = {e for e in self._index.by_diagram.get(element, ())
                      if self._index.parent[e] in self._index.expandable} if "[" in element else set()
            if peeked != self._peeked:
                self._peeked = peeked
                self._move_to(self._network_rows())
        self._repaint(roles=[Qt.ItemDataRole.BackgroundRole])

    def _highlighted(self, kind, item, light=None):
        light = self._highlight if light is None else light
        if not light:
            return False
        if self._index is None:
            return item.node == light
        if kind == "vector":
            return self._index.node[item.id] == light.partition("[")[0]
        place = self._index.diagram.get(item.id, "")
        return place == light or place.partition("[")[0] == light

    # --- the chain ------------------------------------------------------
    def has_chain(self, term_id):
        if self._derivation is None:
            return False
        if self._index is None:
            return chain_of(self._derivation, term_id) is not None
        if term_id in self._vectors and term_id in self._index.expandable:
            return self._index.vector_chain(term_id) is not None
        return self._index.element_chain(term_id) is not None

    def set_chain(self, term_id):
        """Light the factor rows of ``term_id``'s chain ("" or a term without
        one: none); return the chain's diagram elements, () for none."""
        if self._index is not None:
            return self._set_network_chain(term_id)
        chain = chain_of(self._derivation, term_id) if term_id and self._derivation else None
        if chain != self._chain:
            self._chain = chain
            self._repaint(roles=[Qt.ItemDataRole.BackgroundRole, CHAIN_ROLE])
        return chain.elements if chain else ()

    def _network_chain(self, term_id):
        if not term_id:
            return None
        if term_id in self._vectors and term_id in self._index.expandable:
            return self._index.vector_chain(term_id)
        return self._index.element_chain(term_id)

    def _set_network_chain(self, term_id):
        found = self._network_chain(term_id)
        lit = frozenset(found[1]) if found else frozenset()
        parents = {self._index.parent.get(t) for t in lit} - {None}
        lit_vectors = frozenset(p for p in parents if p in self._index.expandable and p not in lit)
        term_id = term_id if found else ""
        if (term_id, lit, lit_vectors) != (self._chain_of, self._lit, self._lit_vectors):
            self._chain_of, self._lit, self._lit_vectors = term_id, lit, lit_vectors
            self._repaint(roles=[Qt.ItemDataRole.BackgroundRole, CHAIN_ROLE])
        if not found:
            return ()
        index = self._index
        places = ["L"] + [index.place_of(n) for n in reversed(found[1])] + [index.diagram.get(term_id, "")]
        return tuple(dict.fromkeys(p for p in places if p))

    def chain_factors(self):
        """The term ids lit as factors of the chain shown."""
        if self._index is None:
            return tuple(self._chain.factors) if self._chain else ()
        return tuple(self._lit)

    def _is_lit(self, kind, item):
        if self._index is None:
            return self._chain is not None and item.id in self._chain.factors
        return item.id in self._lit or kind == "vector" and item.id in self._lit_vectors

    def _network_chain_text(self, term_id):
        """The lines of an element's (or a vector's) chain: each gradient
        followed, its formula, substitution and value."""
        found = self._network_chain(term_id)
        lines = []
        for gradient in found[0]:
            term = self._vectors.get(gradient) if gradient in self._vectors and \
                gradient in self._index.expandable else self._derivation[gradient]
            value = term.value if isinstance(term.value, str) else number(term.value)
            substitution = "" if term.substitution == value else f" = {term.substitution}"
            lines.append(f"{term.symbol} = {term.formula}{substitution} = {value}")
        if self._derivation.n_samples > 1:
            lines.append(f"(a mean over the {self._derivation.n_samples} samples: "
                         "the means of the factors need not multiply to it)")
        return "\n".join(lines)

    # --- reading --------------------------------------------------------
    def term(self, row):
        """The Term of a row (a wider network's vector row: its VectorTerm), or None for a section title."""
        kind, item, _ = self._rows[row]
        return None if kind == "section" else item

    def term_rows(self, element=None):
        """The rows of terms (and vector terms); with ``element``, of those
        that belong to that diagram element."""
        if element is None:
            return [r for r, (kind, _, _) in enumerate(self._rows) if kind != "section"]
        if self._index is None:
            return [r for r, (kind, item, _) in enumerate(self._rows) if kind == "term" and item.node == element]
        return [r for r, (kind, item, _) in enumerate(self._rows)
                if kind != "section" and self._highlighted(kind, item, element)]

    def section_rows(self):
        return [r for r, (kind, _, _) in enumerate(self._rows) if kind == "section"]

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(section)
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self._rows[index.row()][0] == "section":
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def _cells(self, kind, item):
        texts = self._texts.get(item.id)
        if texts is None:
            if kind == "vector":
                checks = [self._checks[e.id] for e in item.elements if e.id in self._checks]
                texts = (item.symbol, item.formula, item.substitution, item.value) + _summary_texts(checks)
            else:
                texts = (item.symbol, item.formula, item.substitution, number(item.value, VALUE_DIGITS)) \
                    + (check_texts(self._checks[item.id]) if item.id in self._checks else ("", ""))
            self._texts[item.id] = texts
        return texts

    def _accessible_text(self, kind, item, column):
        """What a screen reader says of a cell: the whole float where the cell shows six
        digits (every digit that reads back as the same number), the rest as shown; a value
        still to be predicted is not given away."""
        if self._hidden(item, column):
            return "hidden until you predict it"
        text = self._cells(kind, item)[column]
        if kind != "vector" and column == 3:
            return _whole(item.value)
        if kind != "vector" and column == CHECKED and item.id in self._checks:
            return _whole(self._checks[item.id].numeric)
        return text

    def _element_row(self, kind, item):
        return kind == "term" and self.parent_of(item.id) is not None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        kind, item, _ = self._rows[index.row()]
        if kind == "section":
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return item
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(self._theme.colours.section_background)
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(self._theme.colours.section_text)
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if self._hidden(item, column):
                return "?" if column == 3 else "…"
            return self._cells(kind, item)[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 0 and self._index is not None:
            if kind == "vector":
                return _arrow(item.id in self._expanded, self.row_height, self._theme.colours.arrow.name())
            return _blank(INDENT if self._element_row(kind, item) else ARROW, self.row_height)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(kind, item, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._accessible_text(kind, item, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            background = self._background(kind, item, column)
            return QBrush(background) if background is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            # Text on a coloured row in the theme's colour for it, not the palette's,
            # which the row's colour was not chosen against.
            colours = self._theme.colours
            if self._element_row(kind, item) and column < 3:
                return QBrush(colours.element_text)
            if self._background(kind, item, column) is not None:
                return QBrush(colours.table_text)
        if role == Qt.ItemDataRole.UserRole:
            return item.id
        if role == CHAIN_ROLE:
            return self._is_lit(kind, item)
        if role == EXPANDED_ROLE:
            return item.id in self._expanded if kind == "vector" else None
        return None

    def _background(self, kind, item, column):
        colours = self._theme.colours
        if self._highlighted(kind, item):
            return colours.highlight_row
        if column < CHECKED and self._is_lit(kind, item):
            return colours.chain_row
        if column == ERROR and _suspect(kind, item, self._checks):
            return colours.suspect
        return None

    def _tooltip(self, kind, item, column):
        if self._hidden(item, column):
            return "Hidden until you predict it"
        if kind == "vector":
            count = len(item.elements)
            if column == 3:
                lines = item.value.strip("[]").split("; ")
                matrix = "\n".join(("[" if i == 0 else " ") + line + ("]" if i == len(lines) - 1 else "")
                                   for i, line in enumerate(lines))
                return f"{item.symbol} =\n{matrix}\n(each of its {count} elements' exact value: expand the row)"
            if column >= CHECKED:
                checks = [self._checks[e.id] for e in item.elements if e.id in self._checks]
                if checks:
                    return (f"The numerical check of each of its {len(checks)} elements; the largest relative "
                            "error and the worst verdict are shown. Expand the row for each element's.")
            if column < 3 and self.has_chain(item.id) and not self._hidden(item, 3):
                return self._network_chain_text(item.id)
            return (f"{item.symbol}  ({item.id}): {count} elements. "
                    "Click the arrow, or press → or +, to show each element's arithmetic.")
        if column == 3:
            if item.samples:
                shown = "\n".join(f"sample {i}: {number(v, VALUE_DIGITS)}"
                                   for i, v in enumerate(item.samples[:BREAKDOWN_SHOWN]))
                more = len(item.samples) - BREAKDOWN_SHOWN
                return (f"{item.value!r}\nthe mean of {len(item.samples)} samples "
                        f"(double-click for all):\n{shown}" + (f"\n… {more} more" if more > 0 else ""))
            return repr(item.value)
        if column >= CHECKED and item.id in self._checks:
            check = self._checks[item.id]
            return (f"(L(θ + h) − L(θ − h)) / 2h = {check.numeric!r}\n"
                    f"analytic = {check.analytic!r}\n"
                    f"relative error |analytic − numerical| / max = {check.relative_error!r}\n"
                    f"{check.verdict} {check.reason}")
        # A gradient's chain, unless predict mode still hides its value.
        if column < 3 and not self._hidden(item, 3) and self.has_chain(item.id):
            if self._index is None:
                return chain_text(self._derivation, item.id)
            return self._network_chain_text(item.id)
        return f"{item.symbol}  ({item.id})"


def _suspect(kind, item, checks):
    """Whether a row's relative error is coloured: its check's verdict, or any of a matrix's elements'."""
    if kind == "vector":
        return any(checks[e.id].suspect for e in item.elements if e.id in checks)
    check = checks.get(item.id)
    return check is not None and check.suspect


def _runs(positions):
    """Sorted positions as (first, last) runs of consecutive ones."""
    runs = []
    for p in positions:
        if runs and runs[-1][1] == p - 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return [tuple(r) for r in runs]
