"""The main window: layout, actions and menus.  Wiring only: the state
changes the engine, the views show the state."""

import os
from functools import partial
from pathlib import Path

import numpy as np
import pyqtgraph as pg

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import (QAccessible, QAccessibleAnnouncementEvent, QAction, QActionGroup, QGuiApplication,
                           QKeySequence)
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QLabel, QMenu,
                               QInputDialog, QMainWindow, QMessageBox, QScrollArea, QSplitter, QTabWidget,
                               QUndoView, QVBoxLayout, QWidget)

from engine import PARAMS, InputError, csvio, derivation_text
from engine.dataset import csv_chunks, read_csv
from engine.elements import element_symbol
from engine.expr import number, symbol
from engine.init import (SCHEME_NAMES, SCHEMES, SEED_RANGE, ZEROS_EXPLANATION, initialize, initialize_network,
                         random_seed)
from engine.layers import parse_layers
from engine.terms import field_text

from . import pictures, run_until
from .compare_view import CompareView
from .data_plot import DataPlot
from .dataset_panel import DatasetPanel
from .derivation_table import DerivationTable
from .diagram import NetworkDiagram
from .diagram_keys import DiagramKeys
from .gradient_plot import GradientPlot
from .help import show_derivation, show_shortcuts
from .input_guard import guard_inputs, prefer_actions
from .landscape_view import LandscapeView
from .loss_plot import LossPlot
from .network_bar import NetworkBar
from .parameters import ParameterPanel
from .preferences import SPEEDS, Preferences
from .presentation import SCALES, Presentation
from .runner import TrainingRunner
from .session_controller import SessionController, SessionUi
from .state import ExplorerState
from .theme import theme
from .throttle import Throttle
from .timeline_bar import TimelineBar
from .walkthrough import EXPLAIN, PREDICT, WalkPanel
from .writes import Writes, reason, with_suffix

TITLE = "Backprop Explorer"
# Export Derivation writes the kind the file's name says: the dialog's filter -> its suffix -> the format.
DERIVATION_FILTERS = {"CSV files (*.csv)": ".csv", "Markdown (*.md)": ".md", "LaTeX (*.tex)": ".tex"}
DERIVATION_FORMATS = {".csv": "csv", ".md": "markdown", ".tex": "latex"}
DERIVATION_NAMES = {"latex": "LaTeX", "markdown": "Markdown"}
PAGES = {"gradient_plot": ("Gradients", GradientPlot), "landscape": ("Landscape", LandscapeView),
         "data_plot": ("Data, ŷ(x)", DataPlot), "compare_view": ("Compare", CompareView)}
REFRESH_MS = 33           # at most ~30 redraws a second after edits and steps
RUNNING_REFRESH_MS = 200  # ~5 while training runs: a 2-8-8-1 redraw takes 15-20 ms that a click would wait behind
ABOUT = """<h3>Backprop Explorer</h3>
<p>Every term of the chain rule, live, for the network
x → tanh(W₁x + b₁) → tanh(W₂h₁ + b₂) → W₃h₂ + b₃ = ŷ with the loss L = (ŷ − y)².</p>
<p>Help → The Derivation (F1) explains every step with this program's exact float64
numbers; the same document is <code>resources/derivation.md</code> in the program's folder.</p>"""


def fill_mnemonics(menu):
    """Each action of ``menu`` without a mnemonic gets its first letter or digit that no other has
    (the initializations, the presentation sizes, the docks' titles, which change)."""
    actions = [action for action in menu.actions() if not action.isSeparator()]
    taken = {QKeySequence.mnemonic(action.text()) for action in actions}
    for action in actions:
        text = action.text()
        if QKeySequence.mnemonic(text).isEmpty():
            free = next((i for i, char in enumerate(text) if char.isalnum()
                         and QKeySequence.mnemonic(f"&{char}") not in taken), None)
            if free is not None:
                action.setText(f"{text[:free]}&{text[free:]}")
                taken.add(QKeySequence.mnemonic(action.text()))


class MainWindow(QMainWindow):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.state = ExplorerState(self)
        self.runner = TrainingRunner(self.state, self)
        self.loss_plot = LossPlot()
        self.walk = WalkPanel()
        self.writes = Writes(self)
        self._goal = (1e-6, 10_000)   # the last goal asked for: offered again
        self._scheme = "xavier"       # the last initialization chosen: the layers box draws as it
        self.preferences = Preferences(self)
        self.sessions = SessionController(self.state, self.preferences, self.writes,
                                          SessionUi(self, self.statusBar().showMessage, self.runner.stop))
        self._build_actions()
        self._build_views()
        self._build_menus_and_toolbar()
        self._connect()
        self._guard_inputs()
        self._refresh = Throttle(REFRESH_MS, self.refresh, self)
        self.resize(1280, 800)
        self.preferences.load(self)
        self.sessions.update_title()
        self.refresh()

    # --- construction ---------------------------------------------------
    def _build_views(self):
        self.parameters = ParameterPanel()
        self.diagram = NetworkDiagram()
        self.table = DerivationTable()
        # The parameters take the whole height on the left, so that every value a
        # learner sets is in view; the diagram gets the widest place beside the plots.
        scroll = QScrollArea()
        scroll.setObjectName("parameterScroll")
        scroll.setWidget(self.parameters)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.parameters.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        # The plots share one place.  Only the loss is built at start; each other
        # page is built the first time it is shown (start-up stays close to a bare window).
        self.plots = QTabWidget()
        self.plots.setObjectName("plotTabs")
        self.plots.addTab(self.loss_plot, "Loss")
        self._pages = {}   # name -> the built page
        for title, _ in PAGES.values():
            self.plots.addTab(QWidget(), title)
        self.plots.currentChanged.connect(self._on_page)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.setObjectName("diagramSplitter")
        top.addWidget(self.diagram)
        top.addWidget(self.plots)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        top.setSizes([640, 400])
        top.setChildrenCollapsible(False)
        self.timeline_bar = TimelineBar(self.actionStepBack, self.actionStepForward)
        bottom = QWidget()
        column = QVBoxLayout(bottom)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.timeline_bar)
        column.addWidget(self.walk)
        column.addWidget(self.table)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setObjectName("tableSplitter")
        right.addWidget(top)
        right.addWidget(bottom)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)
        right.setSizes([380, 400])
        right.setChildrenCollapsible(False)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("mainSplitter")
        # The network's shape and the worked examples head the parameters' column.
        self.network_bar = NetworkBar()
        self.network_bar.setMaximumWidth(scroll.minimumWidth())
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.setSpacing(0)
        left_column.addWidget(self.network_bar)
        left_column.addWidget(scroll)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.setCentralWidget(split)
        # What a class reads grows with the central widget's font (the table, the bars) or
        # by its own scale (the diagram, the plots); the parameters and the status bar fold away.
        self.presentation = Presentation(self, split, folded=[left, self.statusBar()], splitters=[split, right, top],
                                         plots=self._plot_views, scaled_views=[self.diagram],
                                         arrange=partial(self._arrange_for_class, top, right))
        self.undo_dock = QDockWidget("Changes", self)
        self.undo_dock.setObjectName("undoDock")
        undo_view = QUndoView(self.state.undo_stack)
        undo_view.setObjectName("undoView")
        undo_view.setEmptyLabel("Start")
        self.undo_view = undo_view
        self.undo_dock.setWidget(undo_view)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.undo_dock)
        self.undo_dock.hide()
        self.dataset_panel = DatasetPanel()
        self.dataset_dock = QDockWidget("Dataset", self)
        self.dataset_dock.setObjectName("datasetDock")
        self.dataset_dock.setWidget(self.dataset_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dataset_dock)
        # One place for both: side by side they would take the diagram's width twice.
        self.tabifyDockWidget(self.undo_dock, self.dataset_dock)
        self.dataset_dock.hide()
        self._panel_source = None   # the segment whose samples the dataset panel shows
        self.position = QLabel()
        self.position.setObjectName("statusPosition")
        # Its name stays its text, which Qt reports to a screen reader as it changes.
        self.position.setAccessibleDescription("The step shown, its loss L and output ŷ")
        self.statusBar().addPermanentWidget(self.position)
        self.statusBar().setAccessibleName("Status")
        self.statusBar().messageChanged.connect(self._announce)
        # Tab walks as a learner reads: the network bar, the parameters, the diagram, the timeline,
        # the walk-through and the table under it, then the plots.  The scroll area is no stop of its own.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setTabKeyNavigation(False)   # the arrows walk its cells; Tab goes on to the plots
        order = [self.network_bar, self.parameters, self.diagram, self.timeline_bar, self.walk, self.table, self.plots]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

    def _announce(self, text):
        """A status message is painted by the bar, not a label: give it to a screen reader too."""
        self.statusBar().setAccessibleDescription(text)
        if text:
            QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(self.statusBar(), text))

    def _action(self, name, text, slot, shortcut=None, tip="", checkable=False):
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        shortcut_text = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shortcut_text})" if shortcut_text else tip)
        action.setStatusTip(tip)
        (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_actions(self):
        a, prefer = self._action, self.preferences.set
        self.actionStep = a("actionStep", "&Step", self.step, "F10", "Apply one gradient-descent update")
        self.actionRun = a("actionRun", "&Run", self._run_toggled, "F5",
                           "Train continuously; again to pause", checkable=True)
        self.actionRunUntil = a("actionRunUntil", "Run &Until…", self.run_until, "Shift+F5",
                                "Train until the loss falls below a target, or for a number of updates")
        self.actionReset = a("actionReset", "R&eset", self.reset, "Ctrl+R",
                             "Back to the values last set by hand, history cleared")
        files = self.sessions
        self.actionNew = a("actionNew", "&New", files.new, QKeySequence.StandardKey.New,
                           "Start again from the worked example")
        self.actionOpen = a("actionOpen", "&Open…", lambda: files.open(), QKeySequence.StandardKey.Open,
                            "Open a saved session")
        self.actionSave = a("actionSave", "&Save", files.save, QKeySequence.StandardKey.Save,
                            "Save this session: parameters, samples, settings and the whole history")
        self.actionSaveAs = a("actionSaveAs", "Save &As…", files.save_as, QKeySequence.StandardKey.SaveAs,
                              "Save this session under a new name")
        self.actionExportDerivation = a("actionExportDerivation", "Export &Derivation…",
                                        self.export_derivation, "Ctrl+E",
                                        "Save the current step's derivation table as CSV, Markdown or LaTeX")
        self.actionCopyLatex = a("actionCopyLatex", "Copy as &LaTeX", lambda: self.copy_derivation("latex"), None,
                                 "Copy the selected rows of the derivation (all, if none is selected) as LaTeX")
        self.actionCopyMarkdown = a("actionCopyMarkdown", "Copy as &Markdown",
                                    lambda: self.copy_derivation("markdown"), None,
                                    "Copy the selected rows of the derivation (all, if none is selected) "
                                    "as a Markdown table")
        self.actionExportHistory = a("actionExportHistory", "Export &History…", self.export_history,
                                     "Ctrl+Shift+E", "Save every state of the training history as CSV")
        self.actionExportDiagram = a("actionExportDiagram", "Export Dia&gram…", self.export_diagram, None,
                                     "Save the network diagram as a picture: PNG at twice the screen's "
                                     "resolution, or SVG")
        self.actionExportPlot = a("actionExportPlot", "Export &Plot…", self.export_plot, None,
                                  "Save the plot shown as a picture: PNG at twice the screen's resolution, or SVG")
        self.actionPresentation = a("actionPresentation", "&Presentation Mode",
                                    lambda on: self.presentation.set_active(on),
                                    QKeySequence.StandardKey.FullScreen,
                                    "Draw what a class reads larger, fold the rest away and fill the screen; "
                                    "again to go back", checkable=True)
        sizes = QActionGroup(self)
        for scale in SCALES:
            sizes.addAction(a(f"actionPresentationScale{round(scale * 100)}", f"{scale:.0%}",
                              lambda on, scale=scale: on and prefer("presentation_scale", scale), None,
                              f"Presentation mode draws the diagram, the table and the plots {scale:g} times larger",
                              checkable=True))
        self.presentation_sizes = sizes
        self.actionLogScale = a("actionLogScale", "&Logarithmic Loss Axis", partial(prefer, "log_scale"),
                                "Ctrl+L", "Show the loss on a logarithmic axis", checkable=True)
        self.actionStepBack = a("actionStepBack", "Step &Back", self.state.step_back, "Ctrl+Left",
                                "Show the state one update earlier")
        self.actionStepForward = a("actionStepForward", "Step &Forward", self.state.step_forward,
                                   "Ctrl+Right", "Show the state one update later; at the end, train one more")
        self.actionUndo = a("actionUndo", "&Undo", self.undo, QKeySequence.StandardKey.Undo, "Undo the last change")
        self.actionRedo = a("actionRedo", "&Redo", self.redo, QKeySequence.StandardKey.Redo, "Redo the change undone")
        # Every key the platform binds to Redo (Ctrl+Shift+Z and Ctrl+Y on Linux), not only its first.
        self.actionRedo.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Redo))
        stack = self.state.undo_stack
        self.actionUndo.setEnabled(False)
        self.actionRedo.setEnabled(False)
        stack.canUndoChanged.connect(self._enable_undo)
        stack.indexChanged.connect(self._enable_undo)
        stack.canRedoChanged.connect(self.actionRedo.setEnabled)
        # The change's name goes to the tooltip, not the text, so the toolbar keeps its layout.
        stack.undoTextChanged.connect(lambda text: self.actionUndo.setToolTip(f"Undo {text}".strip()))
        stack.redoTextChanged.connect(lambda text: self.actionRedo.setToolTip(f"Redo {text}".strip()))
        self.actionExplain = a("actionExplain", "E&xplain This Step", lambda on: self._walk(EXPLAIN, on),
                               "F2", "Walk through this update stop by stop, with its own numbers", checkable=True)
        self.actionPredict = a("actionPredict", "&Predict, Then Reveal", lambda on: self._walk(PREDICT, on),
                               "F3", "Predict each value before it is shown, and keep score", checkable=True)
        walks = QActionGroup(self)
        walks.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        walks.addAction(self.actionExplain)
        walks.addAction(self.actionPredict)
        self.actionNextTerm = a("actionNextTerm", "&Next Term", self.walk.next, "N",
                                "The next term of the walk-through")
        self.actionPreviousTerm = a("actionPreviousTerm", "Pre&vious Term", self.walk.previous, "P",
                                    "The previous term of the walk-through")
        self.init_actions = [
            a(f"actionInit{scheme.capitalize()}", f"{SCHEME_NAMES[scheme]}…",
              lambda _=False, scheme=scheme: self.initialize(scheme), None,
              f"Draw all six parameters as {SCHEME_NAMES[scheme]} initialization does, from a seed you can reuse")
            for scheme in SCHEMES]
        self.actionConfirmBranch = a("actionConfirmBranch", "&Ask Before Dropping Later States",
                                     partial(prefer, "confirm_branch"), None,
                                     "Ask before an edit at an earlier state drops the states after it",
                                     checkable=True)
        self.actionQuit = a("actionQuit", "&Quit", self.close, QKeySequence.StandardKey.Quit, "Quit")
        self.actionDerivationHelp = a("actionDerivationHelp", "The &Derivation", lambda: show_derivation(self),
                                      QKeySequence.StandardKey.HelpContents,
                                      "The network, every chain-rule step and the worked example, in a document")
        self.actionShortcutsHelp = a("actionShortcutsHelp", "&Keyboard Shortcuts",
                                     lambda: show_shortcuts(self, self.shortcut_actions()), "Ctrl+/",
                                     "Every shortcut of the window")
        self.actionAbout = a("actionAbout", "&About Backprop Explorer", self.about, None,
                             "What this program is and what it follows")

    def _build_menus_and_toolbar(self):
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.actionNew, self.actionOpen])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addActions([self.actionSave, self.actionSaveAs])
        file_menu.addSeparator()
        file_menu.addActions([self.actionExportDerivation, self.actionExportHistory,
                              self.actionExportDiagram, self.actionExportPlot])
        file_menu.addSeparator()
        file_menu.addAction(self.actionQuit)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.actionUndo, self.actionRedo])
        edit_menu.addSeparator()
        edit_menu.addActions([self.actionCopyLatex, self.actionCopyMarkdown])
        edit_menu.addSeparator()
        edit_menu.addAction(self.actionConfirmBranch)
        train_menu = bar.addMenu("&Training")
        train_menu.addActions([self.actionStep, self.actionRun, self.actionRunUntil, self.actionReset])
        train_menu.addSeparator()
        train_menu.addActions([self.actionStepBack, self.actionStepForward])
        train_menu.addSeparator()
        train_menu.addMenu("&Initialize").addActions(self.init_actions)
        learn_menu = bar.addMenu("&Learn")
        learn_menu.addActions([self.actionExplain, self.actionPredict])
        learn_menu.addSeparator()
        learn_menu.addActions([self.actionNextTerm, self.actionPreviousTerm])
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.actionLogScale)
        view_menu.addSeparator()
        view_menu.addAction(self.actionPresentation)
        view_menu.addMenu("Presentation &Size").addActions(self.presentation_sizes.actions())
        themes, theme_menu = QActionGroup(self), view_menu.addMenu("&Theme")
        for mode, text, tip in (("system", "&System", "Light or dark as the desktop is"),
                                ("light", "&Light", "Dark text on light backgrounds, whatever the desktop"),
                                ("dark", "&Dark", "Light text on dark backgrounds, whatever the desktop")):
            theme_menu.addAction(themes.addAction(self._action(
                f"actionTheme{mode.title()}", text,
                lambda on, mode=mode: on and self.preferences.set("theme", mode), None, tip, checkable=True)))
        view_menu.addSeparator()
        view_menu.addAction(self.undo_dock.toggleViewAction())
        view_menu.addAction(self.dataset_dock.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.actionDerivationHelp, self.actionShortcutsHelp])
        help_menu.addSeparator()
        help_menu.addAction(self.actionAbout)
        for menu in bar.findChildren(QMenu):
            if menu is not self.recent_menu:   # its entries are the paths as saved
                menu.aboutToShow.connect(partial(fill_mnemonics, menu))

        tools = self.addToolBar("Training")
        tools.setObjectName("trainingToolBar")
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tools.addActions([self.actionStep, self.actionRun, self.actionReset])
        tools.addSeparator()
        tools.addActions([self.actionUndo, self.actionRedo])
        tools.addSeparator()
        tools.addWidget(QLabel(" Speed: "))
        self.speed = QComboBox()
        self.speed.setObjectName("speed")
        self.speed.setToolTip("Training speed while running")
        self.speed.setAccessibleName("Training speed")
        self.speed.setAccessibleDescription("How many updates a second Run makes")
        for text, rate in SPEEDS:
            self.speed.addItem(text, rate)
        self.speed.currentIndexChanged.connect(lambda _: self.preferences.set("speed", self.speed.currentData()))
        tools.addWidget(self.speed)
        tools.addSeparator()
        tools.addActions([self.actionExplain, self.actionPredict])
        tools.addSeparator()
        tools.addActions([self.actionLogScale, self.actionExportDerivation, self.actionExportHistory])

    def _connect(self):
        # Each preference has one holder: the widgets and actions that edit it show it, the rest follow it.
        prefs, speed = self.preferences, self.speed
        prefs.follow("speed", lambda rate: speed.setCurrentIndex(speed.findData(rate)), speed)
        prefs.follow("speed", self.runner.set_steps_per_second)
        prefs.follow("log_scale", self.actionLogScale.setChecked, self.actionLogScale)
        prefs.follow("log_scale", self.loss_plot.set_log)
        prefs.follow("confirm_branch", self.actionConfirmBranch.setChecked, self.actionConfirmBranch)
        prefs.follow("tolerance", self.walk.tolerance.setValue, self.walk.tolerance)
        prefs.follow("advanced_shown", self.parameters.set_advanced_shown, self.parameters)
        prefs.follow("presentation_scale", self.presentation.set_scale)
        prefs.follow("presentation_scale", lambda scale: self.findChild(
            QAction, f"actionPresentationScale{round(scale * 100)}").setChecked(True))
        prefs.follow("theme", theme().set_mode)
        prefs.follow("theme", lambda mode: self.findChild(QAction, f"actionTheme{mode.title()}").setChecked(True))
        theme().watch(self)   # the desktop's palette changes reach the theme through the window
        self.presentation.changed.connect(self.actionPresentation.setChecked)
        self.presentation.changed.connect(self.table.set_sections_in_view)
        self.walk.tolerance.valueChanged.connect(partial(prefs.set, "tolerance"))
        self.parameters.advancedShownChanged.connect(partial(prefs.set, "advanced_shown"))
        prefs.recentChanged.connect(self.update_recent_menu)
        self.parameters.edited.connect(self.set_value)
        self.parameters.specEdited.connect(self.set_spec)
        self.parameters.elementEdited.connect(self.set_element)
        # The pictures are offered where a right-click looks for them: on the diagram, and in
        # each plot's menu in place of pyqtgraph's Export dialog (see gui.pictures.offer_in_menus).
        self.diagram.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.diagram.addAction(self.actionExportDiagram)
        self.plots.currentChanged.connect(self._offer_plot_export)
        self._offer_plot_export()
        self.network_bar.layersEntered.connect(self.set_layers)
        self.network_bar.exampleChosen.connect(self.choose_example)
        self.state.changed.connect(self._on_state_changed)
        self.state.diverged.connect(self._on_diverged)
        self.state.goalReached.connect(self._on_goal_reached)
        self.state.undoFloorChanged.connect(self._on_undo_floor)
        self.state.checksReady.connect(self._show_checks)
        self.runner.runningChanged.connect(self._on_running_changed)
        self.runner.failed.connect(self.statusBar().showMessage)
        self.timeline_bar.moved.connect(self.state.move_to)
        self.dataset_panel.applied.connect(self.set_samples)
        self.table.breakdownRequested.connect(self.show_breakdown)
        self.dataset_panel.importRequested.connect(self.import_dataset)
        self.dataset_panel.exportRequested.connect(self.export_dataset)
        self.walk.termChanged.connect(self._on_walk_term)
        self.walk.applyRequested.connect(self.step)
        self.table.chainChanged.connect(self.diagram.highlight_chain)
        self.table.elementSelected.connect(self.diagram.highlight)
        self.diagram.elementHovered.connect(self.table.derivation_model.set_highlight)
        self.diagram.elementEdited.connect(self.set_element)
        self.diagram.elementSelected.connect(self.table.derivation_model.set_highlight)
        # The arrows walk the diagram and Enter edits, lighting the table through elementHovered.
        self.diagram_keys = DiagramKeys(self.diagram, self.parameters, self.table)

    def _guard_inputs(self):
        """A number box turns only under the wheel when focused, and the training
        and editing shortcuts work while one is focused."""
        guard_inputs(self)
        prefer_actions(self, [self.actionStep, self.actionRun, self.actionRunUntil, self.actionReset,
                              self.actionStepBack, self.actionStepForward, self.actionUndo, self.actionRedo,
                              self.actionExplain, self.actionPredict])

    # --- showing the state ----------------------------------------------
    def _on_state_changed(self):
        if self.runner.running:
            self._refresh.defer(RUNNING_REFRESH_MS)
        else:
            self._refresh()

    def shown(self):
        """The record of the shown state, with what the window adds: the terms
        predict mode still hides, and whether training runs."""
        state = self.state
        hidden_from = self.walk.hidden_from
        hidden = () if hidden_from is None else (t.id for t in list(state.derivation())[hidden_from:])
        return state.shown(frozenset(hidden), self.runner.running)

    def refresh(self):
        """Every view displays one record (gui/shown.py)."""
        # The walk first: the terms predict mode hides follow its stop, which the
        # new state may move, and every view must hide the same ones.
        self.walk.set_derivation(self.state.derivation(), step=self.state.cursor)
        shown = self.shown()
        self._display_inputs(shown)
        self._display_hidden(shown)
        self._show_table(shown)
        self.table.derivation_model.set_hidden_from(self.walk.hidden_from)
        for page in self._pages.values():   # a hidden page draws when it is shown
            page.display(shown)
        if shown.segment is not self._panel_source:   # not on every redraw: the learner may be typing rows
            self._panel_source = shown.segment
            self.dataset_panel.show_samples(shown.x, shown.y, shown.batch_size, shown.shuffle_seed)
        self.timeline_bar.show_position(shown.step, shown.last)
        if self.walk.mode == PREDICT:
            self.position.setText(f"Step {shown.step}")
        else:
            derivation = shown.derivation
            outputs = [t for t in derivation if t.layer == "forward" and t.id.partition("[")[0] == "yhat"]
            yhat = "   ·   " + ", ".join(f"{t.symbol} = {t.value:.6g}" for t in outputs[:2]) \
                + (" …" if len(outputs) > 2 else "")
            self.position.setText(f"Step {shown.step}   ·   L = {derivation.value('L'):.6g}{yhat}")
        self.presentation.restyle()   # a curve drawn anew is thickened too

    def _show_table(self, shown):
        # Not while training runs: each redraw would check a state already gone.
        checks = None if shown.running else self.state.gradient_checks()
        self.table.set_derivation(shown.derivation, checks or ())

    def _show_checks(self):
        """The shown state's checks, come from the background: only the table shows them (a
        whole redraw would paint every view again for a few cells)."""
        self._show_table(self.shown())

    def _display_inputs(self, shown):
        """The panel: the values (with a dataset, x and y are the batch means, said so) and the network."""
        self.network_bar.show_layers(shown.spec.layers)
        self.parameters.show_sample_count(len(shown.x))
        self.parameters.show_values(shown.values)
        self.parameters.show_spec(shown.spec)

    def _display_hidden(self, shown):
        """What predict mode hides, hidden alike in the diagram and the loss plot."""
        count = len(shown.x)
        self.diagram.show_sample("" if count == 1 else
                                 f"Batch mean of {count:,} samples: every value and gradient, as in the table")
        self.diagram.show_state(shown.values, shown.derivation, shown.hidden, shown.spec)
        self.diagram_keys.numbers_changed()
        self.loss_plot.set_history(shown.line, shown.step, conceal="L" in shown.hidden)

    def flush(self):
        """Bring every view up to date now (tests and benchmarks wait on this)."""
        self._refresh.flush()

    # --- actions --------------------------------------------------------
    def _may_branch(self, what):
        """Before a change at an earlier state drops the later ones: ask (unless switched off)."""
        state = self.state
        if state.cursor == state.last or not self.preferences.confirm_branch:
            return True
        # Nothing may change while the question is open: the change was checked against the state now.
        self.runner.stop()
        dropped = state.last - state.cursor
        answer = QMessageBox.question(
            self, "Start a new branch?",
            f"Changing {what} at step {state.cursor:,} starts a new branch there and drops "
            + ("the later state. Undo brings it back.\n\n" if dropped == 1 else
               f"the {dropped:,} later states. Undo brings them back.\n\n") +
            "(Edit → Ask Before Dropping Later States switches this question off.)")
        return answer == QMessageBox.StandardButton.Yes

    def _apply(self, what, command):
        """Make the change ``command()`` builds (a ``*_command`` of the state):
        refused with a message if the engine refuses it, nothing if it changes
        nothing, and else after asking, if it drops later states.  True unless
        it was refused or declined."""
        try:
            built = command()
        except InputError as error:
            self.statusBar().showMessage(f"Not applied: {error}")
            built, applied = None, False
        else:
            # Asked only about a change that is made: not about a refused or an empty one.
            applied = built is None or self._may_branch(what)
            if applied:
                self.state.push(built)
                self.statusBar().clearMessage()
        if built is None or not applied:
            # No change to redraw for: a refused, empty or declined edit shows the state's value again.
            self._display_inputs(self.shown())
            self.diagram.revert_editor()
        return applied

    def initialize(self, scheme):
        """New parameters from an initialization scheme; the seed is shown and can be typed again."""
        seed, ok = QInputDialog.getInt(self, f"{SCHEME_NAMES[scheme]} initialization",
                                       "Seed (the same seed gives the same parameters):",
                                       random_seed(), 0, SEED_RANGE - 1)
        if not ok:
            return
        self.runner.stop()
        text = f"Initialize ({SCHEME_NAMES[scheme]}, seed {seed})"
        state = self.state
        if state.spec().is_reference_shape:
            def command():
                return state.values_command(initialize(scheme, seed), text)
        else:
            def command():
                x, y, batch_size, shuffle = state.samples()
                values = dict(state.edited_values(), **initialize_network(scheme, seed, state.spec().layers))
                samples = None if len(x) == 1 else (x, y, batch_size, shuffle)
                return state.network_command(state.spec(), values, samples, text)
        self._scheme = scheme   # the layers box draws as the last initialization chosen
        if self._apply("every parameter", command):
            self.statusBar().showMessage(f"{SCHEME_NAMES[scheme]} initialization, seed {seed}")
            if scheme == "zeros":
                QMessageBox.information(self, "Why all zeros fails", ZEROS_EXPLANATION)

    # --- plot pages, built on first use --------------------------------
    def _page(self, name):
        page = self._pages.get(name)
        if page is None:
            title, kind = PAGES[name]
            page = kind()
            if name == "landscape":
                page.picked.connect(self._pick_on_landscape)
            index = 1 + list(PAGES).index(name)
            current = self.plots.currentIndex()
            with QSignalBlocker(self.plots):
                placeholder = self.plots.widget(index)
                self.plots.removeTab(index)
                self.plots.insertTab(index, page, title)
                self.plots.setCurrentIndex(current)
            placeholder.deleteLater()
            self._pages[name] = page
            self._guard_inputs()
            page.display(self.shown())   # kept while hidden, drawn when shown
            self.presentation.restyle()
        return page

    def _arrange_for_class(self, top, right):
        """Presentation mode's layout: the table as tall as its longest section, so the section a
        class follows is whole; the diagram takes the rest, beside narrower plots."""
        table = self.table
        rows = table.longest_section() + 1   # and the header
        wanted = (self.timeline_bar.sizeHint().height() + (self.walk.sizeHint().height() if self.walk.isVisible() else 0)
                  + rows * table.verticalHeader().defaultSectionSize() + 2 * table.frameWidth() + 4)
        height = sum(right.sizes())
        right.setSizes([max(height - wanted, height // 3), min(wanted, height - height // 3)])
        width = sum(top.sizes())
        top.setSizes([round(0.68 * width), width - round(0.68 * width)])

    def _plot_views(self):
        """The pyqtgraph views of the plot pages built so far."""
        for page in [self.loss_plot, *self._pages.values()]:
            if isinstance(page, pg.GraphicsView):
                yield page
            yield from page.findChildren(pg.GraphicsView)

    def _on_page(self, index):
        if index > 0:
            self._page(list(PAGES)[index - 1])
        self.refresh()

    gradient_plot = property(lambda self: self._page("gradient_plot"))
    landscape = property(lambda self: self._page("landscape"))
    data_plot = property(lambda self: self._page("data_plot"))
    compare_view = property(lambda self: self._page("compare_view"))

    def _pick_on_landscape(self, values):
        """A click on the landscape sets two parameters (a wider network's: two
        elements, ``W2[1,2]``): one undoable change."""
        self.runner.stop()
        text = "Move to " + ", ".join(f"{n} = {v:g}" for n, v in values.items())
        chain = all(name in PARAMS for name in values)
        self._apply(" and ".join(symbol(name) if chain else name for name in values),
                    lambda: self.state.values_command(values, text) if chain
                    else self.state.elements_command(values, text))

    def set_value(self, name, value):
        self._apply(symbol(name), lambda: self.state.value_command(name, value))

    def set_element(self, element, value):
        """One element of a wider network's parameter, x or y typed (``W2[1,2]``)."""
        self._apply(element_symbol(element), lambda: self.state.element_command(element, value))

    def set_spec(self, field, value):
        self._apply(field_text(field), lambda: self.state.spec_command(field, value))

    def set_layers(self, text):
        """The network rebuilt with the widths typed, drawn as the last
        initialization chosen (Xavier at first) from a fresh seed, said in the change's name."""
        self.runner.stop()
        seed = random_seed()
        scheme = self._scheme
        if self._apply("the layers", lambda: self.state.layers_command(parse_layers(text), scheme, seed)):
            self.statusBar().showMessage(f"Layers {text.strip()}: {SCHEME_NAMES[scheme]} initialization, "
                                         f"seed {seed}")

    def choose_example(self, name):
        self.runner.stop()
        self._apply("the network", lambda: self.state.example_command(name))

    def set_samples(self, x, y, batch_size, seed):
        self.runner.stop()
        self._apply("the samples", lambda: self.state.samples_command(x, y, batch_size, seed))

    def show_breakdown(self, term):
        """A batch term's value for each sample, beside the sample."""
        x, y = self.state.samples()[:2]

        def shown(sample):   # a number, or a wider network's vector
            return ", ".join(number(float(v), 6) for v in np.ravel(sample))
        lines = [f"sample {i}: x = {shown(x[i])}, y = {shown(y[i])}:  "
                 f"{term.symbol} = {number(v, 6)}" for i, v in enumerate(term.samples)]
        QMessageBox.information(self, f"{term.symbol} per sample",
                                f"{term.symbol} = {term.formula}, for each of the {len(lines)} samples "
                                f"(the table shows their mean, {number(term.value, 6)}):\n\n" + "\n".join(lines))

    def import_dataset(self):
        path, _ = QFileDialog.getOpenFileName(self, "Import Dataset", self.sessions.folder(),
                                              "CSV files (*.csv);;All files (*)")
        if not path:
            return
        try:
            x, y = read_csv(path, *self.dataset_panel.widths())
        except (InputError, OSError) as error:
            QMessageBox.critical(self, "Import Dataset", f"Could not import {path}:\n{error}\n\n"
                                                         "The rows shown are unchanged.")
            return
        self.dataset_panel.set_rows(x, y)

    def export_dataset(self):
        try:
            x, y = self.dataset_panel.dataset()
        except InputError as error:
            QMessageBox.critical(self, "Export Dataset", f"These rows are not a dataset yet:\n{error}")
            return None
        return self._export("Export Dataset", "dataset.csv", lambda s: csv_chunks(s, x, y))

    def _walk(self, mode, on):
        # One walk at a time: the actions' group unchecks the other one (which stops it) first.
        if on:
            self.walk.start(mode, self.state.derivation())
        elif self.walk.mode == mode:
            self.walk.stop()
        self.refresh()

    def _on_walk_term(self, term_id):
        self.table.derivation_model.set_hidden_from(self.walk.hidden_from)
        self._display_hidden(self.shown())
        if term_id:
            self.table.select_term(term_id)
        else:
            self.table.clearSelection()
            self.diagram.highlight("")

    def _enable_undo(self, *_):
        stack = self.state.undo_stack
        self.actionUndo.setEnabled(stack.canUndo() and stack.index() > self.state.undo_floor)

    def _on_undo_floor(self, floor):
        """Undo keeps what it can within the memory budget, and says what it dropped."""
        self._enable_undo()
        budget = f"{self.state.memory_budget / 2 ** 20:,.0f} MB"
        if floor:
            self.undo_view.setEmptyLabel(f"Start (not reachable: the {floor:,} oldest change"
                                         f"{'s were' if floor > 1 else ' was'} dropped to keep undo within {budget})")
            self.undo_dock.setWindowTitle("Changes (oldest dropped to save memory)")
            self.statusBar().showMessage(
                f"Undo keeps at most {budget} of states: the {floor:,} oldest change"
                f"{'s' if floor > 1 else ''} can no longer be undone.", 10_000)
        else:
            self.undo_view.setEmptyLabel("Start")
            self.undo_dock.setWindowTitle("Changes")

    def undo(self):
        self.runner.stop()
        self.state.undo_stack.undo()
        self.statusBar().clearMessage()

    def redo(self):
        self.runner.stop()
        self.state.undo_stack.redo()

    def step(self):
        self.state.train(1)

    def _run_toggled(self, on):
        if on:
            self.state.move_to_end()
            self.runner.start()
        else:
            self.runner.stop()

    def run_until(self):
        """Ask for a goal, then run from the last state until it is met."""
        goal = run_until.ask(self, *self._goal)
        if goal is None:
            return
        self._goal = goal
        self.runner.stop()
        state = self.state
        state.move_to_end()
        loss = state.derivation().value("L")
        if goal[0] is not None and loss < goal[0]:
            self.statusBar().showMessage(f"The loss is already below {goal[0]:g}: L = {loss:.6g}. Nothing was run.")
            return
        state.set_goal(*goal)
        self.statusBar().showMessage("Running until " + (f"L < {goal[0]:g} or " if goal[0] is not None else "")
                                     + f"{goal[1]:,} updates…")
        self.actionRun.setChecked(True)

    def _on_goal_reached(self, text):
        self.runner.stop()
        self.statusBar().showMessage(text)

    def _on_running_changed(self, running):
        if not running:
            self.state.goal = None   # a pause ends a run-until too
        if self.actionRun.isChecked() != running:
            self.actionRun.setChecked(running)
        self.actionRun.setText("&Pause" if running else "&Run")
        if not running:
            # Now, and whether or not a redraw was due: the check columns, left empty while running.
            self._refresh.flush()
            self.refresh()

    def reset(self):
        self.runner.stop()
        self.state.reset()
        self.statusBar().clearMessage()

    def _on_diverged(self, divergence):
        self.runner.stop()
        self.statusBar().showMessage(divergence.message)

    def _export(self, title, name, write):
        """Ask where, then write in the background; the path, or None if not
        asked or already failed."""
        path, _ = self._ask_export_path(title, name, "CSV files (*.csv);;All files (*)")
        return self._write_export(title, path, write) if path else None

    def _ask_export_path(self, title, name, filters):
        """(path, the filter chosen) from the save dialog, in the last export's folder; ("", …) if cancelled."""
        folder = getattr(self, "_export_folder", str(Path.home()))
        path, chosen = QFileDialog.getSaveFileName(self, title, str(Path(folder) / name), filters)
        if path:
            self._export_folder = str(Path(path).parent)
        return path, chosen

    def _write_export(self, title, path, write):
        self.statusBar().showMessage(f"Writing {path}…")
        job = self.writes.start(path, write, lambda p: self.statusBar().showMessage(f"Saved {p}", 5000),
                                partial(self._export_failed, title))
        return None if job.succeeded is False else path

    def _export_failed(self, title, path, reason):
        self.statusBar().clearMessage()
        QMessageBox.critical(self, title, f"Could not write {path}:\n{reason}\n\nNothing was written.")

    def _kept_for_prediction(self, what):
        """Whether predict mode still hides values ``what`` would give away: then it says so and does nothing."""
        if not self.shown().hidden:
            return False
        self.statusBar().showMessage(f"{what} would show the values you are predicting: "
                                     "reveal them, or leave Predict, Then Reveal (F3), first", 8000)
        return True

    def export_derivation(self):
        """The current step's table as CSV (with the numerical checks), Markdown or LaTeX, as the name says."""
        if self._kept_for_prediction("Exporting the derivation"):
            return None
        step, derivation = self.state.cursor, self.state.derivation()
        path, chosen = self._ask_export_path("Export Derivation", f"derivation-step-{step}.csv",
                                             ";;".join(DERIVATION_FILTERS) + ";;All files (*)")
        if not path:
            return None
        path = with_suffix(path, chosen, DERIVATION_FILTERS)
        kind = DERIVATION_FORMATS[os.path.splitext(path)[1].lower()]
        if kind == "csv":
            checks = self.state.gradient_checks(wait=True)
            write = partial(csvio.derivation_chunks, derivations=[(step, derivation, checks)])
        else:
            write = partial(derivation_text.write, format=kind, parts=[self._derivation_part()])
        return self._write_export("Export Derivation", path, write)

    def _derivation_part(self, ids=None):
        """The shown step's rows (``ids``: only those) for engine.derivation_text."""
        return derivation_text.Part(f"Step {self.state.cursor}", self.state.derivation(), self.state.spec(), ids)

    def copy_derivation(self, kind):
        """The table's selected rows (all, if none is) on the clipboard as ``kind``: text to paste into notes."""
        if self._kept_for_prediction("Copying the derivation"):
            return None
        model = self.table.derivation_model
        terms = (model.term(i.row()) for i in self.table.selectionModel().selectedRows())
        ids = frozenset(t.id for t in terms if t is not None) or None
        text = derivation_text.text(kind, [self._derivation_part(ids)], document=False)
        QGuiApplication.clipboard().setText(text)
        what = "the whole table" if ids is None else f"{len(ids)} row{'s' * (len(ids) > 1)}"
        self.statusBar().showMessage(f"Copied {what} as {DERIVATION_NAMES[kind]}", 5000)
        return text

    def export_history(self):
        if self._kept_for_prediction("Exporting the history"):
            return None
        history = self.state.timeline.frozen()   # the states as they are now, whatever comes next
        return self._export("Export History", "history.csv", lambda s: csvio.history_chunks(s, history))

    def export_diagram(self):
        return self._export_picture("Export Diagram", f"diagram-step-{self.state.cursor}",
                                    partial(pictures.diagram_picture, self.diagram))

    def export_plot(self):
        title = self.plots.tabText(self.plots.currentIndex())
        return self._export_picture("Export Plot", f"{pictures.stem(title)}-step-{self.state.cursor}",
                                    partial(pictures.page_picture, self.plots.currentWidget(), title=title))

    def _export_picture(self, title, name, picture):
        """Ask where, then write ``picture(suffix)``'s bytes: a PNG or SVG as the name says."""
        path, chosen = self._ask_export_path(title, name, pictures.FILTER_TEXT)
        if not path:
            return None
        path = with_suffix(path, chosen, pictures.FILTERS)
        try:
            data = picture(pictures.kind(path))   # what is shown now, whatever waits to be written first
        except OSError as error:
            self._export_failed(title, path, reason(error))
            return None
        return self._write_export(title, path, lambda stream: stream.buffer.write(data))

    def _offer_plot_export(self, _index=None):
        pictures.offer_in_menus(self.plots.currentWidget(), self.actionExportPlot)

    def shortcut_actions(self):
        """Every action of the menus, in menu order: what Help → Keyboard Shortcuts lists."""
        actions = []

        def walk(menu):
            for action in menu.actions():
                if action.menu():
                    walk(action.menu())
                elif not action.isSeparator() and action not in actions:
                    actions.append(action)
        for menu_action in self.menuBar().actions():
            walk(menu_action.menu())
        return actions

    def about(self):
        QMessageBox.about(self, "About Backprop Explorer", ABOUT)

    def update_recent_menu(self):
        self.recent_menu.clear()
        for path in self.preferences.recent_files():
            self.recent_menu.addAction(path, lambda p=path: self.sessions.open(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))

    def closeEvent(self, event):
        self.runner.finish()   # no training thread outlives the window
        if not self.sessions.wait_for_saves("closing") or not self.sessions.maybe_save():
            event.ignore()
            return
        self.writes.finish()   # exports asked for are completed before the window goes
        self.actionPresentation.setChecked(False)   # the layout kept is the learner's, not the class's
        self.preferences.save(self)
        self.sessions.close_cleanly()
        super().closeEvent(event)
