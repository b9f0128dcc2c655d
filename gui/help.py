"""Help that ships with the app: the derivation document and the keyboard shortcuts.

Both dialogs are non-modal, so a learner can read the derivation beside the
live table.  Each is made once per parent and shown again on the next request;
its contents are read afresh every time, so the shortcuts list follows the
actions as they are when it is opened.
"""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QTableWidget,
                               QTableWidgetItem, QTextBrowser, QVBoxLayout)

# resources/ is not a Python package: it is found beside the packages, which
# an editable install (pip install -e .) leaves in the repository.
DERIVATION_PATH = Path(__file__).resolve().parent.parent / "resources" / "derivation.md"

DERIVATION_TITLE = "The Derivation"
SHORTCUTS_TITLE = "Keyboard Shortcuts"
SHORTCUT_COLUMNS = ("Command", "Shortcut", "What it does")

# Dialogs whose parent is None, by objectName: a parent keeps its own as children.
_ORPHANS = {}


def _reused_dialog(parent, name, title):
    """The parent's dialog called ``name``, made on first use."""
    if parent is None:
        dialog = _ORPHANS.get(name)
    else:
        dialog = parent.findChild(QDialog, name, Qt.FindChildOption.FindDirectChildrenOnly)
    if dialog is not None:
        return dialog, False
    dialog = QDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setModal(False)
    layout = QVBoxLayout(dialog)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)   # Close, like Esc, only hides: the dialog is reused
    layout.addWidget(buttons)
    if parent is None:
        _ORPHANS[name] = dialog
    return dialog, True


def _fit(dialog, width, height):
    """``width`` × ``height``, or less where the screen is smaller (a 1280×800
    laptop keeps room for the window's frame and the desktop's panels)."""
    screen = (dialog.parentWidget().screen() if dialog.parentWidget() is not None
              else QGuiApplication.primaryScreen())
    if screen is not None:
        available = screen.availableGeometry()
        width = min(width, int(available.width() * 0.9))
        height = min(height, int(available.height() * 0.85))
    dialog.resize(width, height)


def _present(dialog):
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()


def derivation_markdown(path):
    """The document's Markdown, or a Markdown message saying why it cannot be shown."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        reason = "The file was not found."
    except (OSError, UnicodeDecodeError) as error:
        reason = f"The file could not be read: {error}"
    return (f"# {DERIVATION_TITLE} is missing\n\n"
            f"The derivation ships with Backprop Explorer as `{path}`. {reason}\n\n"
            f"Reinstall the app from its repository (`pip install -e .` keeps `resources/` "
            f"beside the code), or read the same derivation, term by term, in the main "
            f"window's table.\n")


def show_derivation(parent, path=None):
    """Show the derivation document (``path``, by default resources/derivation.md)
    in a non-modal dialog, objectName "derivationHelp", one per parent; a
    missing or unreadable file shows a message in its place.  Returns the dialog."""
    dialog, new = _reused_dialog(parent, "derivationHelp", DERIVATION_TITLE)
    if new:
        browser = QTextBrowser(dialog)
        browser.setObjectName("derivationText")
        browser.setOpenExternalLinks(True)
        dialog.layout().insertWidget(0, browser)
        _fit(dialog, 900, 760)
    browser = dialog.findChild(QTextBrowser, "derivationText")
    # Read again on every showing: the message of a missing file must not outlive the file.
    browser.setMarkdown(derivation_markdown(DERIVATION_PATH if path is None else path))
    _present(dialog)
    return dialog


def menu_text(action):
    """An action's menu text as a reader sees it: no mnemonic "&" (a doubled
    "&&" is a literal one), no shortcut after a tab."""
    text = action.text().split("\t", 1)[0]
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def shortcut_text(action):
    """Every shortcut of ``action`` as the platform writes it, or "" for none."""
    keys = (s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
    return ", ".join(k for k in keys if k)


def show_shortcuts(parent, actions):
    """Show a dialog, objectName "shortcutsHelp", listing each of ``actions``
    that has a shortcut, in the order given: its menu text, its shortcut and its
    status tip, in a table "shortcutsTable".  The table is made from the
    actions each time the dialog is shown; returns the dialog."""
    dialog, new = _reused_dialog(parent, "shortcutsHelp", SHORTCUTS_TITLE)
    if new:
        table = QTableWidget(0, len(SHORTCUT_COLUMNS), dialog)
        table.setObjectName("shortcutsTable")
        table.setHorizontalHeaderLabels(SHORTCUT_COLUMNS)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setWordWrap(True)
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        dialog.layout().insertWidget(0, table)
        _fit(dialog, 760, 560)
    table = dialog.findChild(QTableWidget, "shortcutsTable")
    seen, rows = set(), []
    for action in actions:
        if id(action) in seen:
            continue
        seen.add(id(action))
        keys = shortcut_text(action)
        if keys:
            rows.append((menu_text(action), keys, action.statusTip()))
    table.setRowCount(len(rows))
    for row, texts in enumerate(rows):
        for column, text in enumerate(texts):
            table.setItem(row, column, QTableWidgetItem(text))
    table.resizeRowsToContents()
    _present(dialog)
    return dialog
