"""Datasets in the window: rows, presets, files, batch modes, the ŷ(x) plot."""

import math

import numpy as np

from engine import DEFAULTS
from engine.dataset import preset
from gui.dataset_panel import MINI, ONE
from helpers import answer_open, answer_save, assert_table_matches, reference_trainer


def use(window, x, y, mode=None, size=None, seed=None):
    panel = window.dataset_panel
    panel.set_rows(x, y)
    if mode:
        panel.mode.setCurrentText(mode)
    if size:
        panel.batch_size.setValue(size)
    panel.shuffle.setChecked(seed is not None)
    if seed is not None:
        panel.seed.setValue(seed)
    panel.apply_button.click()
    window.flush()


def reference(x, y, steps, batch_size=None, seed=None):
    return reference_trainer(steps, dict(DEFAULTS, x=x, y=y), batch_size=batch_size, shuffle_seed=seed)


def test_a_preset_on_mini_batches_trains_like_the_engine(window):
    x, y = preset("sine", 20)
    use(window, x, y, MINI, 6, seed=3)
    trainer = window.state.timeline.trainer
    assert len(trainer.x) == 20 and (trainer.batch_size, trainer.shuffle_seed) == (6, 3)
    window.state.train(7)
    window.flush()
    expected = reference(x, y, 7, 6, 3)
    np.testing.assert_array_equal(window.state.timeline.rows(), expected.history.rows())
    assert_table_matches(window, expected.derivation(7))
    window.actionUndo.trigger()
    window.actionUndo.trigger()
    assert len(window.state.timeline.trainer.x) == 1          # back to the single sample


def test_one_sample_at_a_time_and_edits_keep_the_dataset(window):
    use(window, [0.0, 1.0, 2.0], [1.0, 2.0, 3.0], ONE)
    assert window.state.timeline.trainer.batch_size == 1
    window.set_value("W1", 0.7)
    trainer = window.state.timeline.trainer
    assert list(trainer.x) == [0.0, 1.0, 2.0] and trainer.batch_size == 1


def test_bad_rows_are_refused_and_change_nothing(window):
    before = window.state.timeline.rows().copy()
    panel = window.dataset_panel
    panel.set_rows([1.0, 2.0], [3.0, 4.0])
    model = panel.table.model()
    assert model.setData(model.index(1, 0), "abc") is False        # typed text that is no number
    assert "Row 2, x" in panel.message.text() and "abc" in panel.message.text()
    assert panel.rows() == (["1.0", "2.0"], ["3.0", "4.0"])
    panel.add_row()                                                  # a blank row: not a dataset yet
    assert panel.rows() == (["1.0", "2.0", ""], ["3.0", "4.0", ""])
    panel.apply_button.click()
    assert "Not applied" in window.statusBar().currentMessage()
    np.testing.assert_array_equal(window.state.timeline.rows(), before)


def test_export_and_import(window, tmp_path, monkeypatch, no_modal_dialogs):
    target = tmp_path / "data.csv"
    window.dataset_panel.set_rows([0.5, -1.25], [2.0, 3.5])
    answer_save(monkeypatch, target)
    window.export_dataset()
    assert target.read_text().splitlines()[0] == "x,y"
    window.dataset_panel.set_rows([9.0], [9.0])
    answer_open(monkeypatch, target)
    window.import_dataset()
    assert window.dataset_panel.rows() == (["0.5", "-1.25"], ["2.0", "3.5"])
    target.write_text("x,y\n1,zebra\n")
    window.import_dataset()
    assert no_modal_dialogs[-1][0] == "critical" and "line 2" in no_modal_dialogs[-1][1][2]
    assert window.dataset_panel.rows() == (["0.5", "-1.25"], ["2.0", "3.5"])


def test_the_data_plot_shows_the_samples_and_the_networks_curve(window):
    use(window, [-1.0, 0.5, 2.0], [0.0, 1.0, 4.0])
    window.plots.setCurrentWidget(window.data_plot)
    window.flush()
    px, py = window.data_plot.points.getData()
    assert list(px) == [-1.0, 0.5, 2.0] and list(py) == [0.0, 1.0, 4.0]
    xs, yhat = window.data_plot.curve.getData()
    p = DEFAULTS
    for i in (0, 100, 199):
        by_hand = p["W3"] * math.tanh(p["W2"] * math.tanh(p["W1"] * xs[i] + p["b1"]) + p["b2"]) + p["b3"]
        assert math.isclose(yhat[i], by_hand, rel_tol=1e-12)
    assert xs[0] < -1.0 and xs[-1] > 2.0


def test_a_batch_term_breaks_down_per_sample(window, no_modal_dialogs):
    from PySide6.QtCore import Qt
    x, y = [0.0, 1.0, 2.0], [1.0, 0.0, 3.0]
    use(window, x, y)
    model = window.table.model()
    row = next(r for r in model.term_rows() if model.term(r).id == "dL/dyhat")
    term = model.term(row)
    p = DEFAULTS
    by_hand = [2 * (p["W3"] * math.tanh(p["W2"] * math.tanh(p["W1"] * a + p["b1"]) + p["b2"]) + p["b3"] - b)
               for a, b in zip(x, y)]
    assert np.allclose(term.samples, by_hand, rtol=1e-12)
    assert "sample 2" in model.index(row, 3).data(Qt.ItemDataRole.ToolTipRole)
    window.table.doubleClicked.emit(model.index(row, 3))
    kind, args = no_modal_dialogs[-1]
    assert kind == "information" and "sample 1: x = 1" in args[2]
    gradient = next(r for r in model.term_rows() if model.term(r).id == "dL/dW3")
    assert model.term(gradient).samples is None        # a mean over the batch has no per-sample values
