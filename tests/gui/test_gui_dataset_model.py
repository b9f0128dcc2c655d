"""The dataset panel's table model (gui.dataset_model): Qt's model rules, the
text of a cell, typing into one, rows added and removed, and what a million
rows cost (issue 11: a table widget of 10⁶ rows froze the window for seconds
and took 1.7 GB)."""

import tracemalloc

import numpy as np
import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit

from engine import DEFAULTS
from gui.dataset_model import DatasetModel
from gui.dataset_panel import FULL, MINI, DatasetPanel

MILLION = 1_000_000
ARRAYS = 2 * MILLION * 8     # bytes of x and y of a million float64 samples: 16 MB


@pytest.fixture
def panel(qtbot):
    shown = DatasetPanel()
    qtbot.addWidget(shown)
    shown.resize(360, 600)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def test_the_model_keeps_qts_rules_through_edits(qtmodeltester, qtbot):
    model = DatasetModel()
    model.set_arrays([0.5, -1.0, 2.0], [1.0, 0.0, 3.25])
    qtmodeltester.check(model)
    model.insertRows(1, 2)
    model.setData(model.index(0, 1), "7")
    model.removeRows(2, 2)
    qtmodeltester.check(model)
    assert model.texts() == (["0.5", "", "2.0"], ["7.0", "", "3.25"])


@pytest.mark.parametrize("value, text", [
    (0.1, "0.1"), (1 / 3, "0.3333333333333333"), (5e-324, "5e-324"), (-1000.0, "-1000.0"),
    (1e16, "1e+16"), (2.0 ** -30, "9.313225746154785e-10"), (-0.0, "-0.0"), (123456.789, "123456.789"),
])
def test_a_cell_shows_the_shortest_text_that_reads_back_as_its_number(value, text):
    model = DatasetModel()
    model.set_arrays([value], [value])
    shown = model.index(0, 0).data()
    assert shown == text and float(shown) == value
    assert model.index(0, 1).data(Qt.ItemDataRole.EditRole) == text   # the editor starts from it


@pytest.mark.parametrize("typed, number", [("2.5", 2.5), ("−2", -2.0), (" 7 ", 7.0), ("-.5", -0.5),
                                           ("1e3", 1000.0), ("5e-324", 5e-324)])
def test_typed_numbers_are_taken(qtbot, typed, number):
    model = DatasetModel()
    model.set_arrays([1.0, 2.0], [3.0, 4.0])
    with qtbot.waitSignal(model.dataChanged):
        assert model.setData(model.index(1, 0), typed) is True
    x, y = model.arrays()
    assert x[1] == number and list(x[:1]) == [1.0] and list(y) == [3.0, 4.0]


@pytest.mark.parametrize("typed, why", [
    ("abc", "not a number"), ("", "not a number"), ("nan", "finite"), ("inf", "finite"), ("1e309", "finite"),
    ("1_000", "not a number"), ("١٢", "not a number"), ("1000.0000001", "outside"), ("0x10", "not a number"),
])
def test_bad_text_is_refused_with_a_message_and_nothing_changes(qtbot, typed, why):
    model = DatasetModel()
    model.set_arrays([1.0, 2.0], [3.0, 4.0])
    with qtbot.assertNotEmitted(model.dataChanged), qtbot.waitSignal(model.refused) as refusal:
        assert model.setData(model.index(1, 0), typed) is False
    assert why in refusal.args[0] and "Row 2, x" in refusal.args[0] and "keeps 2.0" in refusal.args[0]
    assert model.texts() == (["1.0", "2.0"], ["3.0", "4.0"])


def test_typing_in_the_view_edits_the_cell_or_says_why_not(panel, qtbot):
    panel.set_rows([1.0, 2.0], [3.0, 4.0])
    table, model = panel.table, panel.model

    def type_into(row, column, text):
        index = model.index(row, column)
        table.setCurrentIndex(index)
        table.edit(index)
        editor = table.indexWidget(index)      # this cell's editor, not one closed before
        assert isinstance(editor, QLineEdit)
        qtbot.waitUntil(editor.isVisible)
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        # The delegate commits and closes the editor on a queued call after Return.
        qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState)

    type_into(0, 1, "-0.75")
    assert panel.rows() == (["1.0", "2.0"], ["-0.75", "4.0"]) and panel.message.text() == ""
    type_into(1, 0, "two")
    assert panel.rows() == (["1.0", "2.0"], ["-0.75", "4.0"])
    assert "'two' is not a number" in panel.message.text()
    type_into(1, 0, "2.5")
    assert panel.rows() == (["1.0", "2.5"], ["-0.75", "4.0"]) and panel.message.text() == ""


def test_an_edit_leaves_the_arrays_shown_as_they_were(panel):
    """The panel shows a segment's own arrays without copying them; the
    learner's edit must not reach into the engine's samples."""
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    panel.show_samples(x, y, None, None)
    assert panel.model.setData(panel.model.index(0, 0), "9")
    assert list(x) == [1.0, 2.0] and panel.rows()[0] == ["9.0", "2.0"]
    applied = []
    panel.applied.connect(lambda *args: applied.append(args))
    panel.apply()
    sent_x, sent_y, size, seed = applied[0]
    assert list(sent_x) == [9.0, 2.0] and list(sent_y) == [3.0, 4.0] and (size, seed) == (None, None)
    sent_x[1] = 5.0     # what was sent is a copy too
    assert panel.rows()[0] == ["9.0", "2.0"]


def test_rows_are_added_blank_and_removed_by_selection(panel):
    n = 40
    panel.set_rows(np.arange(n, dtype=float), -np.arange(n, dtype=float))
    panel.add_row()
    assert panel.model.rowCount() == n + 1 and panel.rows()[0][-1] == "" and panel.rows()[1][-1] == ""
    assert panel.table.currentIndex().row() == n                   # ready to be typed in
    # Scattered rows (more runs than the model removes one by one), then a few runs.
    for chosen in ([0, 3, 4, 5, 9, 12, 15, 18, 21, 24, 27, n], [1, 2, 7]):
        before = panel.rows()
        selection = QItemSelection()
        for row in chosen:
            selection.select(panel.model.index(row, 0), panel.model.index(row, 1))
        panel.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        panel.remove_rows()
        kept = [i for i in range(len(before[0])) if i not in chosen]
        assert panel.rows() == ([before[0][i] for i in kept], [before[1][i] for i in kept])


def test_apply_sends_a_blank_cell_as_nan_for_the_engine_to_refuse(panel):
    panel.set_rows([1.0], [2.0])
    panel.add_row()
    applied = []
    panel.applied.connect(lambda *args: applied.append(args))
    panel.apply()
    x, y = applied[0][:2]
    assert x[0] == 1.0 and np.isnan(x[1]) and np.isnan(y[1])


# --- a million rows ------------------------------------------------------------------------

def test_a_million_rows_cost_about_what_their_arrays_cost(panel, qtbot, monkeypatch):
    rng = np.random.default_rng(11)
    x, y = rng.uniform(-3, 3, MILLION), rng.uniform(-3, 3, MILLION)
    asked = []
    real_data = DatasetModel.data
    monkeypatch.setattr(DatasetModel, "data", lambda self, index, role=Qt.ItemDataRole.DisplayRole:
                        asked.append(index.row()) or real_data(self, index, role))
    tracemalloc.start()
    try:
        panel.set_rows(x, y)
        panel.show_samples(x, y, 1000, 7)
        panel.grab()                                          # painted: the view asks for what it shows
        panel.table.scrollToBottom()
        panel.grab()
        assert panel.model.setData(panel.model.index(MILLION - 1, 1), "0.5")   # the first edit copies
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * ARRAYS, f"{peak / 2 ** 20:.1f} MB at the peak for {ARRAYS / 2 ** 20:.0f} MB of samples"
    assert panel.model.rowCount() == MILLION and panel.mode.currentText() == MINI
    assert 0 < len(asked) < 10_000 and max(asked) >= MILLION - 100   # the rows on screen, not the million
    assert panel.model.index(0, 0).data() == repr(float(x[0]))
    assert y[MILLION - 1] != 0.5                              # the samples shown are not edited in place


def test_a_window_on_a_million_samples_edits_and_steps(window):
    """set_samples, an edit of W₁, one Step: each works on 10⁶ samples, and
    the dataset panel shows them (built once per segment, as arrays)."""
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-2, 2, MILLION), rng.uniform(-1, 1, MILLION)
    window.dataset_dock.show()
    window.set_samples(x, y, None, None)
    window.flush()
    state, panel = window.state, window.dataset_panel
    assert len(state.samples()[0]) == MILLION and panel.model.rowCount() == MILLION
    assert panel.mode.currentText() == FULL
    window.set_value("W1", 0.7)
    window.flush()
    assert state.edited_values()["W1"] == 0.7 and state.edited_values()["W1"] != DEFAULTS["W1"]
    before = state.last
    window.actionStep.trigger()
    window.flush()
    assert state.last == before + 1 and state.cursor == state.last
    assert state.edited_values()["W1"] != 0.7                        # the step moved W₁
    trainer = state.timeline.locate(state.cursor)[0]
    assert len(trainer.x) == MILLION and trainer.x is not x  # the engine holds its own copy
    shown = panel.model.index(MILLION - 1, 0).data()
    assert float(shown) == x[-1]
