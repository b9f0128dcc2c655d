"""The derivation as text a teacher pastes: Export Derivation writes CSV,
Markdown or LaTeX as the file's name (or the chosen filter) says, and Edit →
Copy as LaTeX / Markdown puts the selected rows on the clipboard."""

import re

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from engine.network import derive as derive_network
from helpers import answer_save, reference_trainer


def table_value(value):
    """A value as the window's table shows it: six significant digits, a true minus."""
    return f"{value + 0.0:.6g}".replace("-", "−")


def markdown_rows(text):
    """The body rows of a Markdown table, as lists of cells (section titles left out)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|( *:?-+:? *\|)+", line):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if cells[0] != "Quantity" and not cells[0].startswith("**"):
                rows.append(cells)
    return rows


def balanced(tex):
    """Braces balance and every \\begin{x} is closed by its \\end{x}, in order."""
    depth, stack = 0, []
    for char in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    for kind, name in re.findall(r"\\(begin|end)\{(\w+\*?)\}", tex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return depth == 0 and not stack


def test_export_as_markdown_has_every_term_at_the_tables_precision(window, tmp_path, monkeypatch):
    window.actionStep.trigger()
    target = tmp_path / "notes.md"
    answer_save(monkeypatch, target)
    window.actionExportDerivation.trigger()
    text = target.read_text(encoding="utf-8")
    expected = reference_trainer(1).derivation()   # the engine's own run, not the window's
    rows = markdown_rows(text)
    assert "## Step 1" in text
    assert [r[0] for r in rows] == [t.symbol for t in expected]
    assert [r[3] for r in rows] == [table_value(t.value) for t in expected]


def test_a_name_without_suffix_takes_the_chosen_format(window, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "lecture"), "LaTeX (*.tex)"))
    assert window.export_derivation() == str(tmp_path / "lecture.tex")
    tex = (tmp_path / "lecture.tex").read_text(encoding="utf-8")
    assert tex.startswith("\\documentclass") and balanced(tex)
    assert "\\frac{\\partial L}{\\partial W_1}" in tex
    assert [p.name for p in tmp_path.iterdir()] == ["lecture.tex"]


def test_copy_as_latex_takes_the_selected_rows_only(window):
    window.table.select_term("dL/dW3")
    index = window.table.derivation_model.row_of("dL/dW2")
    window.table.selectionModel().select(
        window.table.model().index(index, 0),
        window.table.selectionModel().SelectionFlag.Select | window.table.selectionModel().SelectionFlag.Rows)
    window.actionCopyLatex.trigger()
    text = QGuiApplication.clipboard().text()
    assert "\\documentclass" not in text and balanced(text)
    assert "\\frac{\\partial L}{\\partial W_3}" in text and "\\frac{\\partial L}{\\partial W_2}" in text
    assert "\\frac{\\partial L}{\\partial W_1}" not in text
    assert "2 rows" in window.statusBar().currentMessage()


def test_copy_as_markdown_without_a_selection_takes_the_whole_table(window):
    window.table.clearSelection()
    window.actionCopyMarkdown.trigger()
    rows = markdown_rows(QGuiApplication.clipboard().text())
    assert [r[0] for r in rows] == [t.symbol for t in window.state.derivation()]
    assert "whole table" in window.statusBar().currentMessage()


def test_a_wide_networks_copy_has_its_vector_and_element_rows(window):
    window.choose_example("mazur")
    window.table.clearSelection()
    window.actionCopyMarkdown.trigger()
    rows = markdown_rows(QGuiApplication.clipboard().text())
    shown = window.shown()
    fresh = derive_network(shown.spec, shown.params, shown.values["x"], shown.values["y"],
                           shown.values["alpha"])
    by_symbol = {r[0]: r[3] for r in rows}
    for term in fresh:   # every element, at the table's precision, from a fresh derivation
        assert by_symbol[term.symbol] == table_value(term.value)
    assert any(r[0] == "∂L/∂W₂" for r in rows)   # the matrix row above its elements
