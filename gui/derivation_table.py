"""The derivation table: one row per chain-rule term, grouped by layer."""

import itertools

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from engine.chain import chain_of, chain_text
from engine.expr import number
from engine.gradcheck import CHECK_RULE, DIFFERS, NO_CHECK, QUOTIENT_TEXT

COLUMNS = ("Quantity", "Formula", "Substitution", "Value", "Numerical check", "Relative error")
CHECKED, ERROR = 4, 5   # the central-difference estimate of a gradient, and how far the value is from it
_SUSPECT = QColor(255, 205, 195)
BREAKDOWN_SHOWN = 12     # per-sample values in a tooltip; a double-click lists them all
VALUE_DIGITS = 6
_HIGHLIGHT = QColor(255, 225, 120)
_CHAIN = QColor(200, 228, 255)   # the factors of the hovered or current gradient's chain
CHAIN_ROLE = Qt.ItemDataRole.UserRole + 1   # True on a row lit as a factor of that chain
_SECTION_BACKGROUND = QColor(225, 232, 242)


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


# The checked columns' header tooltips: the engine's own text of the estimate and the rule.
HEADER_TIPS = {CHECKED: QUOTIENT_TEXT, ERROR: "The relative error |analytic − numerical| / "
               "max(|analytic|, |numerical|).\n" + CHECK_RULE}


class DerivationModel(QAbstractTableModel):
    """Rows are section titles and terms; a title row spans the table."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows = []          # ("section", title) or ("term", Term)
        self._order = {}         # term id -> its position in the derivation
        self._texts = {}         # term id -> the cells' text
        self._checks = {}        # gradient id -> engine.gradcheck.Check
        self._highlight = ""     # diagram element whose rows are highlighted
        self._hidden_from = None # predict mode: values from this term on are hidden
        self._derivation = None
        self._chain = None       # engine.chain.Chain whose factor rows are lit
        self._bold = QFont()
        self._bold.setBold(True)

    # --- filling --------------------------------------------------------
    def set_derivation(self, derivation, checks=()):
        """``checks``: engine gradcheck results, shown beside their gradients."""
        self._checks = {f"dL/d{c.param}": c for c in checks}
        rows, section = [], None
        for term in derivation:
            if term.layer != section:
                section = term.layer
                rows.append(("section", derivation.titles[section]))
            rows.append(("term", term))
        # Text made once per state, not on each of the view's hundreds of data() calls.
        self._texts = {t.id: (t.symbol, t.formula, t.substitution, number(t.value, VALUE_DIGITS))
                       + (check_texts(self._checks[t.id]) if t.id in self._checks else ("", ""))
                       for t in derivation}
        self._order = {t.id: i for i, t in enumerate(derivation)}
        self._derivation = derivation
        if self._chain is not None:   # another spec may chain other factors
            self._chain = chain_of(derivation, self._chain.gradient)
        if [kind for kind, _ in rows] == [kind for kind, _ in self._rows]:
            self._rows = rows  # same shape: repaint the cells, keep selection and scroll
            self._repaint()
        else:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()

    def _repaint(self, first_column=0, roles=()):
        if self._rows:
            self.dataChanged.emit(self.index(0, first_column), self.index(len(self._rows) - 1, len(COLUMNS) - 1),
                                  list(roles))

    def set_hidden_from(self, position):
        """Hide the values of the terms from ``position`` on (and the
        substitutions after it: they would give the value away); None shows all."""
        if position != self._hidden_from:
            self._hidden_from = position
            self._repaint(2)

    def _hidden(self, term, column):
        if self._hidden_from is None or column < 2:
            return False
        position = self._order[term.id]
        return position >= self._hidden_from if column >= 3 else position > self._hidden_from

    def set_highlight(self, element):
        if element != self._highlight:
            self._highlight = element
            self._repaint(roles=[Qt.ItemDataRole.BackgroundRole])

    def has_chain(self, term_id):
        return self._derivation is not None and chain_of(self._derivation, term_id) is not None

    def set_chain(self, term_id):
        """Light the factor rows of ``term_id``'s chain ("" or a term without
        one: none); return the chain's diagram elements, () for none."""
        chain = chain_of(self._derivation, term_id) if term_id and self._derivation else None
        if chain != self._chain:
            self._chain = chain
            self._repaint(roles=[Qt.ItemDataRole.BackgroundRole, CHAIN_ROLE])
        return chain.elements if chain else ()

    def _lit(self, term_id):
        return self._chain is not None and term_id in self._chain.factors

    # --- reading --------------------------------------------------------
    def term(self, row):
        """The Term of a row, or None for a section title."""
        kind, item = self._rows[row]
        return item if kind == "term" else None

    def term_rows(self, element=None):
        return [r for r, (kind, item) in enumerate(self._rows)
                if kind == "term" and (element is None or item.node == element)]

    def section_rows(self):
        return [r for r, (kind, _) in enumerate(self._rows) if kind == "section"]

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

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        kind, item = self._rows[index.row()]
        if kind == "section":
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return item
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(_SECTION_BACKGROUND)
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if self._hidden(item, column):
                return "?" if column == 3 else "…"
            return self._texts[item.id][column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if self._hidden(item, column):
                return "Hidden until you predict it"
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
                return chain_text(self._derivation, item.id)
            return f"{item.symbol}  ({item.id})"
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if self._highlight and item.node == self._highlight:
                return QBrush(_HIGHLIGHT)
            if column < CHECKED and self._lit(item.id):
                return QBrush(_CHAIN)
            check = self._checks.get(item.id)
            if column == ERROR and check is not None and check.suspect:
                return QBrush(_SUSPECT)
        if role == Qt.ItemDataRole.UserRole:
            return item.id
        if role == CHAIN_ROLE:
            return self._lit(item.id)
        return None


class DerivationTable(QTableView):
    """Selecting a row announces the diagram element it belongs to; Ctrl+C
    copies the selected cells as tab-separated text."""

    elementSelected = Signal(str)
    breakdownRequested = Signal(object)   # a batch term whose per-sample values were asked for
    # The diagram elements along the chain of the hovered (else the current)
    # gradient row, from L back; () when neither row has a chain.
    chainChanged = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._hovered = ""            # the term id under the mouse
        self._chain_elements = ()
        self.setObjectName("derivationTable")
        self.derivation_model = DerivationModel(self)
        self.setModel(self.derivation_model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)   # the substitution takes the room left
        metrics, pad = self.fontMetrics(), 18
        # Widths from the widest text a column shows, not from the first state's (shorter) values.
        for column, sample in ((0, "∂L/∂W₁ (W₁′)"), (1, "W₃′ × tanh(W₂′ × tanh(W₁′ × x + b₁′) + b₂′) + b₃′"),
                               (3, "−0.000123456"), (CHECKED, "Numerical check"),
                               (ERROR, "2.7e−10  ⚠ differs")):
            self.setColumnWidth(column, metrics.horizontalAdvance(sample) + pad)
        self.derivation_model.modelReset.connect(self._after_reset)
        self.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.setMouseTracking(True)   # for entered(): hovering a gradient lights its chain
        self.entered.connect(self._on_entered)
        self.doubleClicked.connect(self._on_double_click)

    def set_derivation(self, derivation, checks=()):
        self.derivation_model.set_derivation(derivation, checks)
        self._show_chain()

    def _after_reset(self):
        self.clearSpans()
        for row in self.derivation_model.section_rows():
            self.setSpan(row, 0, 1, len(COLUMNS))

    def _on_current_row(self, current, _previous):
        term = self.derivation_model.term(current.row()) if current.isValid() else None
        self.elementSelected.emit(term.node if term else "")
        self._show_chain()

    def _on_entered(self, index):
        term = self.derivation_model.term(index.row()) if index.isValid() else None
        self._hovered = term.id if term else ""
        self._show_chain()

    def viewportEvent(self, event):
        if event.type() == QEvent.Type.Leave and self._hovered:
            self._hovered = ""
            self._show_chain()
        return super().viewportEvent(event)

    def _show_chain(self):
        """Light the chain of the hovered gradient row, else of the current one."""
        model, current = self.derivation_model, self.currentIndex()
        current_term = model.term(current.row()) if current.isValid() else None
        candidates = (self._hovered, current_term.id if current_term else "")
        shown = next((t for t in candidates if t and model.has_chain(t)), "")
        elements = model.set_chain(shown)
        if elements != self._chain_elements:
            self._chain_elements = elements
            self.chainChanged.emit(elements)

    def _on_double_click(self, index):
        term = self.derivation_model.term(index.row())
        if term is not None and term.samples:
            self.breakdownRequested.emit(term)

    def select_term(self, term_id):
        for row in self.derivation_model.term_rows():
            if self.derivation_model.term(row).id == term_id:
                self.selectRow(row)
                self.scrollTo(self.derivation_model.index(row, 0))
                return

    def copy_selection(self):
        indexes = sorted(self.selectedIndexes(), key=lambda i: (i.row(), i.column()))
        text = "\n".join("\t".join(str(i.data()) for i in row)
                         for _, row in itertools.groupby(indexes, key=lambda i: i.row()))
        QGuiApplication.clipboard().setText(text)
        return text

    def keyPressEvent(self, event):
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)
