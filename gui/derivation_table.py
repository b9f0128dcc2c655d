"""The derivation table: one row per chain-rule term, grouped by layer; a
wider network's vector and matrix terms expand into their elements (the
model and the rule of the diagram ids: gui/derivation_model.py)."""

import itertools

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView

from .derivation_model import (ARROW, BREAKDOWN_SHOWN, CHAIN_ROLE, CHECKED, COLUMNS, ERROR,
                               EXPANDED_ROLE, HEADER_TIPS, INDENT, VALUE_DIGITS, DerivationModel,
                               check_texts)

# What the table's users import from here, as before the model had its own module.
__all__ = ["BREAKDOWN_SHOWN", "CHAIN_ROLE", "CHECKED", "COLUMNS", "ERROR", "EXPANDED_ROLE", "HEADER_TIPS",
           "VALUE_DIGITS", "DerivationModel", "DerivationTable", "check_texts"]


class DerivationTable(QTableView):
    """Selecting a row announces the diagram element it belongs to; Ctrl+C
    copies the selected cells as tab-separated text.  A wider network's
    vector row expands into its element rows: a click on its arrow, a
    double-click, → or + (expand), ← or − (collapse; on an element row ←
    goes to its vector row), Enter (either)."""

    # The diagram's id of the current row (gui/derivation_model.py says which).
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
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)   # the substitution takes the room left
        self._network_widths = False
        self._sections_in_view = False
        self._font_key = self.font().key()
        self._widths = {}   # a font's key -> the column widths last set in it
        self._measure()
        self.derivation_model.modelReset.connect(self._after_reset)
        self.derivation_model.rowsInserted.connect(self._after_reset)
        self.derivation_model.rowsRemoved.connect(self._after_reset)
        self.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.setMouseTracking(True)   # for entered(): hovering a gradient lights its chain
        self.entered.connect(self._on_entered)
        self.doubleClicked.connect(self._on_double_click)

    def _measure(self):
        """Row height and column widths from the font: at start, and when the font changes."""
        metrics, pad = self.fontMetrics(), 18
        self.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        self.derivation_model.row_height = metrics.height()
        # Widths from the widest text a column shows, not from the first state's (shorter) values.
        # In a larger font than the application's (presentation mode) the formula column fits the
        # chain rule's products, so the substitution keeps its room; the look-ahead ŷ′ is cut ("…",
        # whole in its tooltip).
        larger = self.font().pointSizeF() > QApplication.font().pointSizeF()
        formula = "∂L/∂z₂ × ∂z₂/∂h₁" if larger else "W₃′ × tanh(W₂′ × tanh(W₁′ × x + b₁′) + b₂′) + b₃′"
        for column, sample in ((0, "∂L/∂W₁ (W₁′)"), (1, formula),
                               (3, "−0.000123456"), (CHECKED, "Numerical check"),
                               (ERROR, "2.7e−10  ⚠ differs")):
            self.setColumnWidth(column, metrics.horizontalAdvance(sample) + pad)
        if self._network_widths:
            self._widen_for_network()

    def _widen_for_network(self):
        """A matrix's value and an element's symbol under its arrow need more room than the chain's."""
        metrics = self.fontMetrics()
        for column, sample, room in ((0, "∂L/∂W₂′[8,8]", INDENT + 18), (3, "[−0.12345; −0.12345]", 18)):
            self.setColumnWidth(column, max(self.columnWidth(column), metrics.horizontalAdvance(sample) + room))

    def changeEvent(self, event):
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.font().key() != self._font_key:
            # Back in a font used before (presentation mode left), the widths the learner had in it.
            self._widths[self._font_key] = [self.columnWidth(c) for c in range(len(COLUMNS))]
            self._font_key = self.font().key()
            self._measure()
            for column, width in enumerate(self._widths.get(self._font_key, ())):
                self.setColumnWidth(column, width)
            self.viewport().update()

    def set_derivation(self, derivation, checks=()):
        self.derivation_model.set_derivation(derivation, checks, self._rows_on_screen())
        if self.derivation_model.is_network and not self._network_widths:
            self._network_widths = True
            self._widen_for_network()
        self._show_chain()

    def _rows_on_screen(self):
        """The rows the viewport shows now (the model repaints only their changed cells)."""
        rows = self.derivation_model.rowCount()
        first = self.rowAt(0)
        if first < 0:
            return range(0)
        last = self.rowAt(self.viewport().height() - 1)
        return range(first, (last if last >= 0 else rows - 1) + 1)

    def _after_reset(self, *_):
        self.clearSpans()
        for row in self.derivation_model.section_rows():
            self.setSpan(row, 0, 1, len(COLUMNS))

    def _on_current_row(self, current, _previous):
        model = self.derivation_model
        self.elementSelected.emit(model.diagram_id(current.row()) if current.isValid() else "")
        self._show_chain()
        if self._sections_in_view:
            self.show_section()

    def set_sections_in_view(self, on):
        """Presentation mode: the current row's whole section is kept in view, its title at the top."""
        self._sections_in_view = on
        if on:
            self.show_section()

    def show_section(self):
        row = self.currentIndex().row()
        if row < 0:
            return
        title = max((r for r in self.derivation_model.section_rows() if r <= row), default=0)
        self.scrollTo(self.derivation_model.index(title, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        self.scrollTo(self.derivation_model.index(row, 0))   # a section taller than the view: the row wins

    def longest_section(self):
        """The rows of the longest section, its title included (how tall presentation mode makes the table)."""
        bounds = self.derivation_model.section_rows() + [self.derivation_model.rowCount()]
        return max((b - a for a, b in zip(bounds, bounds[1:])), default=0)

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
        current_term = model.term(current.row()) if current.isValid() and current.row() < model.rowCount() else None
        candidates = (self._hovered, current_term.id if current_term else "")
        shown = next((t for t in candidates if t and model.has_chain(t)), "")
        elements = model.set_chain(shown)
        if elements != self._chain_elements:
            self._chain_elements = elements
            self.chainChanged.emit(elements)

    def _on_double_click(self, index):
        model = self.derivation_model
        if model.is_expandable(index.row()):
            self.toggle_row(index.row())
            return
        term = model.term(index.row())
        if term is not None and term.samples:
            self.breakdownRequested.emit(term)

    # --- expanding -----------------------------------------------------------
    def toggle_row(self, row, expanded=None):
        """Expand (or collapse) the vector row ``row``; ``expanded`` None: the other way."""
        model = self.derivation_model
        if not model.is_expandable(row):
            return
        vector_id = model.term(row).id
        model.set_expanded(vector_id, not model.is_expanded(vector_id) if expanded is None else expanded)

    def set_expanded(self, vector_id, expanded=True):
        self.derivation_model.set_expanded(vector_id, expanded)

    def mousePressEvent(self, event):
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and index.column() == 0 and self.derivation_model.is_expandable(index.row()) \
                and event.button() == Qt.MouseButton.LeftButton \
                and event.position().x() - self.visualRect(index).left() <= ARROW + 6:
            self.toggle_row(index.row())
        super().mousePressEvent(event)

    def _expand_key(self, event):
        """→ + ← − Enter on a vector row or an element row; True if used."""
        model, current = self.derivation_model, self.currentIndex()
        if not model.is_network or not current.isValid() or event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return False
        key, row = event.key(), current.row()
        opening = key in (Qt.Key.Key_Right, Qt.Key.Key_Plus)
        closing = key in (Qt.Key.Key_Left, Qt.Key.Key_Minus)
        toggling = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if not (opening or closing or toggling):
            return False
        if model.is_expandable(row):
            self.toggle_row(row, True if opening else False if closing else None)
            return True
        term = model.term(row)
        parent = model.parent_of(term.id) if term is not None else None
        if parent is not None and (closing or toggling):
            if key == Qt.Key.Key_Left:
                self.select_term(parent)            # as a tree: ← climbs to the vector row
            else:
                model.set_expanded(parent, False)
                self.select_term(parent)
            return True
        return False

    def select_term(self, term_id):
        """Select the row of a term (an element's: its vector row expanded first)."""
        model = self.derivation_model
        parent = model.parent_of(term_id)
        row = model.row_of(term_id)
        if row is None and parent is not None:
            model.set_expanded(parent, True)
            row = model.row_of(term_id)
        if row is not None:
            self.selectRow(row)
            self.scrollTo(model.index(row, 0))

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
        if self._expand_key(event):
            event.accept()
            return
        super().keyPressEvent(event)
