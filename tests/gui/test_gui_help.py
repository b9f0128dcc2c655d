"""Help → The Derivation and Help → Keyboard Shortcuts (gui/help.py)."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QTableWidget, QTextBrowser, QWidget

from gui import help as app_help

DOC = Path(__file__).resolve().parents[2] / "resources" / "derivation.md"
NATIVE = QKeySequence.SequenceFormat.NativeText


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    widget.resize(1280, 800)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def headings(markdown, level):
    marker = "#" * level + " "
    return [line[len(marker):].strip() for line in markdown.splitlines() if line.startswith(marker)]


def rendered_headings(document, level):
    """The text of each block the document renders as a heading of ``level``."""
    found, block = [], document.begin()
    while block.isValid():
        if block.blockFormat().headingLevel() == level:
            found.append(block.text())
        block = block.next()
    return found


def shown_rows(dialog):
    table = dialog.findChild(QTableWidget, "shortcutsTable")
    return [tuple(table.item(r, c).text() for c in range(table.columnCount())) for r in range(table.rowCount())]


def action(parent, text, shortcut=None, tip=""):
    made = QAction(text, parent)
    if shortcut is not None:
        made.setShortcut(QKeySequence(shortcut))
    made.setStatusTip(tip)
    return made


# --- the derivation --------------------------------------------------------------------------

def test_the_derivation_dialog_renders_the_documents_headings(qtbot, parent):
    dialog = app_help.show_derivation(parent)
    qtbot.waitExposed(dialog)
    assert dialog.objectName() == "derivationHelp"
    browser = dialog.findChild(QTextBrowser, "derivationText")
    document = browser.document()
    markdown = DOC.read_text(encoding="utf-8")
    # Rendered as Markdown: each "## " line of the file is a level-2 heading, in the file's order.
    assert rendered_headings(document, 2) == headings(markdown, 2)
    assert rendered_headings(document, 3) == headings(markdown, 3)
    assert len(headings(markdown, 2)) >= 5
    plain = document.toPlainText()
    for heading in headings(markdown, 2):
        assert heading in plain
    assert "## " not in plain and "|---" not in plain   # no raw Markdown left over
    assert "∂L/∂W₁" in plain


def test_the_derivation_dialog_is_non_modal_and_one_per_parent(qtbot, parent):
    first = app_help.show_derivation(parent)
    assert first.isVisible()
    assert not first.isModal()
    assert first.windowModality() == Qt.WindowModality.NonModal
    assert app_help.show_derivation(parent) is first
    assert len(parent.findChildren(QDialog, "derivationHelp")) == 1
    other = QWidget()
    qtbot.addWidget(other)
    assert app_help.show_derivation(other) is not first


def test_escape_closes_the_derivation_and_it_opens_again(qtbot, parent):
    dialog = app_help.show_derivation(parent)
    qtbot.waitExposed(dialog)
    browser = dialog.findChild(QTextBrowser, "derivationText")
    qtbot.keyClick(browser, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert app_help.show_derivation(parent) is dialog
    assert dialog.isVisible()


def test_a_missing_document_says_so_in_the_dialog(qtbot, parent, tmp_path, monkeypatch):
    missing = tmp_path / "resources" / "derivation.md"
    monkeypatch.setattr(app_help, "DERIVATION_PATH", missing)
    dialog = app_help.show_derivation(parent)
    plain = dialog.findChild(QTextBrowser, "derivationText").document().toPlainText()
    assert "missing" in plain and "not found" in plain
    assert str(missing) in plain
    # The file back in place: the next showing reads it.
    missing.parent.mkdir()
    missing.write_text("# Back\n\n## Here again\n", encoding="utf-8")
    app_help.show_derivation(parent)
    assert rendered_headings(dialog.findChild(QTextBrowser, "derivationText").document(), 2) == ["Here again"]


def test_the_document_is_found_beside_the_packages():
    # resources/ is not a package: the path must lead to the repository's file, not to site-packages.
    assert app_help.DERIVATION_PATH.resolve() == DOC.resolve()
    assert app_help.DERIVATION_PATH.is_file()


@pytest.mark.parametrize("show", ["derivation", "shortcuts"])
def test_the_dialogs_fit_a_1280_by_800_screen(qtbot, parent, show):
    if show == "derivation":
        dialog = app_help.show_derivation(parent)
        view = dialog.findChild(QTextBrowser, "derivationText")
    else:
        dialog = app_help.show_shortcuts(parent, [action(parent, "&Step", "F10", "Apply one update")])
        view = dialog.findChild(QTableWidget, "shortcutsTable")
    qtbot.waitExposed(dialog)
    assert dialog.width() <= 1280 and dialog.height() <= 800
    # Room for a line of prose and several rows, not a sliver.
    assert view.viewport().width() >= 500 and view.viewport().height() >= 300


# --- the shortcuts ---------------------------------------------------------------------------

def test_the_shortcuts_are_exactly_the_actions_with_one_in_the_order_given(qtbot, parent):
    save = QAction("&Save", parent)
    save.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
    save.setStatusTip("Save this session")
    separator = QAction(parent)
    separator.setSeparator(True)
    actions = [
        action(parent, "&Step", "F10", "Apply one gradient-descent update"),
        action(parent, "&About Backprop Explorer", None, "What this program is"),
        save,
        separator,
        action(parent, "Drag && &Drop", "Ctrl+K", "A literal ampersand"),
        action(parent, "Export &Derivation…", "Ctrl+E", "Save the table as CSV"),
    ]
    dialog = app_help.show_shortcuts(parent, actions)
    assert dialog.objectName() == "shortcutsHelp"
    assert not dialog.isModal()
    # What the platform calls the standard Save key, asked of Qt rather than of gui/help.py.
    save_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Save)[0].toString(NATIVE)
    assert save_keys
    assert shown_rows(dialog) == [
        ("Step", "F10", "Apply one gradient-descent update"),
        ("Save", save_keys, "Save this session"),
        ("Drag & Drop", "Ctrl+K", "A literal ampersand"),
        ("Export Derivation…", "Ctrl+E", "Save the table as CSV"),
    ]


def test_an_action_added_later_appears_when_the_dialog_opens_again(qtbot, parent):
    actions = [action(parent, "&Step", "F10", "One update"), action(parent, "&Run", "F5", "Train")]
    dialog = app_help.show_shortcuts(parent, actions)
    assert [row[0] for row in shown_rows(dialog)] == ["Step", "Run"]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    actions.insert(1, action(parent, "Step &Back", "Ctrl+Left", "One state earlier"))
    actions[2].setShortcut(QKeySequence())          # Run loses its shortcut
    assert app_help.show_shortcuts(parent, actions) is dialog
    assert dialog.isVisible()
    back = QKeySequence("Ctrl+Left").toString(NATIVE)
    assert shown_rows(dialog) == [("Step", "F10", "One update"), ("Step Back", back, "One state earlier")]


def test_the_shortcuts_table_is_read_only(qtbot, parent):
    dialog = app_help.show_shortcuts(parent, [action(parent, "&Step", "F10", "One update")])
    table = dialog.findChild(QTableWidget, "shortcutsTable")
    assert table.editTriggers() == table.EditTrigger.NoEditTriggers
