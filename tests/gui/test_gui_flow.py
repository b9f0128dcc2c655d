"""Both directions, as a learner drives the window."""

import csv
import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from engine import DEFAULTS, csvio
from engine.gradcheck import Check, relative_error
from gui.derivation_table import COLUMNS, check_texts
from gui.loss_plot import RAW_LIMIT
from gui.runner import FASTEST
from helpers import (Clock, assert_diagram_matches, assert_spinboxes_match, assert_table_matches,
                     answer_save, fresh_derivation, reference_trainer)


def type_into(qtbot, box, text):
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def test_start_shows_the_worked_example(window):
    derivation = fresh_derivation(DEFAULTS)
    assert_table_matches(window, derivation)
    assert_spinboxes_match(window, DEFAULTS)
    assert_diagram_matches(window, DEFAULTS, derivation)
    assert window.loss_plot.shown_loss().tolist() == [derivation.value("L")]


def test_typing_an_edit_recomputes_once_and_every_view_agrees(window, qtbot):
    changes = []
    window.state.changed.connect(lambda: changes.append(1))
    type_into(qtbot, window.parameters.spinboxes["W2"], "0.75")
    window.flush()
    assert len(changes) == 1
    expected = dict(DEFAULTS, W2=0.75)
    derivation = fresh_derivation(expected)
    assert_table_matches(window, derivation)
    assert_diagram_matches(window, expected, derivation)
    assert window.loss_plot.shown_loss().tolist() == [derivation.value("L")]
    assert "L = " in window.position.text()


@pytest.mark.parametrize("name,value", [("x", -1.5), ("y", 0.25), ("alpha", 0.2), ("b3", -2.0)])
def test_every_spinbox_drives_the_engine(window, qtbot, name, value):
    type_into(qtbot, window.parameters.spinboxes[name], f"{value}")
    window.flush()
    assert_table_matches(window, fresh_derivation(dict(DEFAULTS, **{name: value})))


def test_steps_agree_with_the_engine_history(window, qtbot):
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_F10)
    window.flush()
    reference = reference_trainer(3)
    assert window.state.cursor == 3
    assert_spinboxes_match(window, reference.params(3))
    assert_table_matches(window, reference.derivation(3))
    assert window.loss_plot.shown_loss().tolist() == reference.history.column("L").tolist()
    assert window.loss_plot.current == 3
    assert window.position.text().startswith("Step 3")


def test_run_then_pause_leaves_a_consistent_state(window, qtbot):
    window.speed.setCurrentIndex(window.speed.findData(FASTEST))
    window.actionRun.trigger()
    assert window.runner.running
    qtbot.waitUntil(lambda: len(window.state.timeline) > 2000, timeout=10000)
    window.actionRun.trigger()
    assert not window.runner.running and not window.actionRun.isChecked()
    length = len(window.state.timeline)
    window.flush()
    passes = []   # the event loop turns (a running zero-interval timer would fire first)
    QTimer.singleShot(0, lambda: QTimer.singleShot(0, lambda: passes.append(len(window.state.timeline))))
    qtbot.waitUntil(lambda: bool(passes))
    assert passes == [length] and len(window.state.timeline) == length
    timeline = window.state.timeline
    assert_spinboxes_match(window, timeline.params(length - 1))
    assert_table_matches(window, timeline.derivation(length - 1))
    losses, shown = timeline.column("L"), window.loss_plot.shown_loss()
    if length <= RAW_LIMIT:
        np.testing.assert_array_equal(shown, losses)
    else:   # an envelope: every extreme is drawn
        assert (shown.min(), shown.max()) == (losses.min(), losses.max())
    assert window.loss_plot.current == length - 1


def ticked(window, clock, seconds):
    """States trained by one tick, ``seconds`` after the one before."""
    before = len(window.state.timeline)
    clock.now += seconds
    window.runner.tick()
    return len(window.state.timeline) - before


def test_run_at_a_set_speed_trains_what_the_clock_owes(window):
    clock = Clock()
    window.runner.clock = clock
    window.speed.setCurrentIndex(window.speed.findData(10))
    window.actionRun.trigger()
    assert window.runner.running
    # A quarter of a second owes 2.5 steps: the half carries over to the next tick.
    assert [ticked(window, clock, 0.25) for _ in range(4)] == [2, 3, 2, 3]
    assert ticked(window, clock, 0.0) == 0
    # Ticks of 1/64 s at 10 steps/s: a step every 6.4 ticks, 10 in 64 ticks.
    trained = [ticked(window, clock, 1 / 64) for _ in range(64)]
    assert sum(trained) == 10 and set(trained) == {0, 1}
    window.actionRun.trigger()
    assert not window.runner.running and len(window.state.timeline) == 21


def test_a_set_speed_the_machine_cannot_keep_up_with_trains_slower_not_in_bursts(window, monkeypatch):
    # A network and data whose updates take 10 ms each on the runner's clock, asked for 1,000 a second.
    clock = Clock()
    window.runner.clock = clock
    train = window.state.train

    def slow(steps, **options):
        clock.now += 0.01 * steps
        return train(steps, **options)
    monkeypatch.setattr(window.state, "train", slow)
    window.speed.setCurrentIndex(window.speed.findData(1000))
    window.actionRun.trigger()
    spans = []
    for _ in range(50):
        clock.now += 1 / 64
        start = clock.now
        window.runner.tick()
        spans.append(clock.now - start)
        assert spans[-1] <= 1 / 30       # the window answers between ticks, within 33 ms
    assert min(spans) >= 0.01            # and every tick trains: slower than asked, never stalled
    assert spans[-10:] == spans[-20:-10]  # no debt snowballs from tick to tick
    window.actionRun.trigger()
    assert len(window.state.timeline) == 1 + round(sum(spans) / 0.01)


def test_reset_returns_to_the_values_set_by_hand(window, qtbot):
    type_into(qtbot, window.parameters.spinboxes["W1"], "0.3")
    window.actionStep.trigger()
    window.actionStep.trigger()
    window.actionReset.trigger()
    window.flush()
    assert len(window.state.timeline) == 1
    assert_spinboxes_match(window, dict(DEFAULTS, W1=0.3))
    assert window.loss_plot.shown_loss().size == 1


def test_divergence_stops_training_and_says_so(window, qtbot):
    type_into(qtbot, window.parameters.spinboxes["alpha"], "50")
    window.speed.setCurrentIndex(window.speed.findData(FASTEST))
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=10000)
    window.flush()
    assert not window.actionRun.isChecked()
    assert "diverged" in window.statusBar().currentMessage()
    timeline = window.state.timeline
    assert timeline.divergence is not None
    assert np.isfinite(timeline.rows()).all()
    assert_table_matches(window, timeline.derivation(len(timeline) - 1))
    assert all(math.isfinite(t.value) for t in timeline.derivation(len(timeline) - 1)[:10])


def test_refused_value_changes_nothing(window):
    before = window.state.edited_values()
    window.set_value("W1", float("nan"))
    assert "W1" in window.statusBar().currentMessage()
    assert window.state.edited_values() == before


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_export_derivation(window, qtbot, tmp_path, monkeypatch):
    window.actionStep.trigger()
    target = tmp_path / "derivation.csv"
    answer_save(monkeypatch, target)
    window.actionExportDerivation.trigger()
    rows = read_csv(target)
    expected = window.state.timeline.derivation(1)
    assert list(rows[0]) == list(csvio.DERIVATION_COLUMNS)
    assert [r["quantity"] for r in rows] == [t.id for t in expected]
    assert [float(r["value"]) for r in rows] == [t.value for t in expected]
    assert {r["step"] for r in rows} == {"1"}


def test_export_history(window, qtbot, tmp_path, monkeypatch):
    window.state.train(25)
    target = tmp_path / "history.csv"
    answer_save(monkeypatch, target)
    window.actionExportHistory.trigger()
    rows = read_csv(target)
    history = window.state.timeline
    assert [int(r["step"]) for r in rows] == list(range(26))
    assert [float(r["loss"]) for r in rows] == history.column("L").tolist()
    assert [float(r["W3"]) for r in rows] == history.column("W3").tolist()


def test_failing_export_reports_and_leaves_nothing(window, tmp_path, monkeypatch, no_modal_dialogs):
    target = tmp_path / "missing-folder" / "history.csv"
    answer_save(monkeypatch, target)
    assert window.export_history() is None
    assert no_modal_dialogs and no_modal_dialogs[-1][0] == "critical"
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_failing_write_midway_keeps_the_old_file(window, tmp_path, monkeypatch, no_modal_dialogs, qtbot):
    target = tmp_path / "history.csv"
    target.write_text("precious\n")
    answer_save(monkeypatch, target)

    def broken(stream, history, every=1):
        stream.write("step,W1\n0,")
        yield
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(csvio, "history_chunks", broken)
    window.export_history()
    qtbot.waitUntil(lambda: not window.writes.busy())
    assert target.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]
    assert "No space left" in no_modal_dialogs[-1][1][2]


def test_cancelled_export_writes_nothing(window, tmp_path, monkeypatch):
    answer_save(monkeypatch, None)
    assert window.export_derivation() is None


def test_selecting_a_row_highlights_its_element(window, qtbot):
    window.table.select_term("dL/dW2")
    assert window.diagram._highlighted == "W2"
    window.table.select_term("dh1/dz1")
    assert window.diagram._highlighted == "h1"


def test_hovering_an_element_highlights_its_rows(window, qtbot):
    diagram = window.diagram
    centre = diagram.mapFromScene(diagram.shapes["h2"].scenePos())
    qtbot.mouseMove(diagram.viewport(), QPoint(1, 1))   # from elsewhere: the pointer may be there already
    qtbot.mouseMove(diagram.viewport(), centre)
    qtbot.waitUntil(lambda: diagram._hovered == "h2")
    model = window.table.model()
    lit = [r for r in model.term_rows() if model.index(r, 0).data(Qt.ItemDataRole.BackgroundRole) is not None]
    assert lit and lit == model.term_rows("h2")
    assert "dL/dz2" in [model.term(r).id for r in lit]
    qtbot.mouseMove(diagram.viewport(), QPoint(3, 3))
    qtbot.waitUntil(lambda: diagram._hovered == "")
    assert all(model.index(r, 0).data(Qt.ItemDataRole.BackgroundRole) is None for r in model.term_rows())


def test_copy_selected_cells_as_tab_separated_text(window, qtbot):
    table = window.table
    table.select_term("dL/dW1")
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    derivation = window.state.derivation()
    cells = text.split("\t")
    assert cells[0] == derivation["dL/dW1"].symbol and cells[1] == derivation["dL/dW1"].formula
    assert len(cells) == len(COLUMNS) and "\n" not in text


def test_log_scale_toggle(window):
    window.actionLogScale.trigger()
    assert window.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert window.loss_plot.log
    window.actionLogScale.trigger()
    assert not window.loss_plot.log


def test_the_curve_is_updated_in_place(window):
    items = window.loss_plot.getPlotItem().listDataItems()
    curve = window.loss_plot.curve
    for _ in range(3):
        window.state.train(10)
        window.flush()
    assert window.loss_plot.getPlotItem().listDataItems() == items
    assert window.loss_plot.curve is curve and curve in items
    assert curve.xData.size == 31


def test_model_passes_qt_model_tester(window, qtmodeltester):
    qtmodeltester.check(window.table.model())


def central_difference(values, name, h=1e-6):
    def loss(v):
        h1 = math.tanh(v["W1"] * v["x"] + v["b1"])
        h2 = math.tanh(v["W2"] * h1 + v["b2"])
        return (v["W3"] * h2 + v["b3"] - v["y"]) ** 2
    step = h * max(1.0, abs(values[name]))
    return (loss(dict(values, **{name: values[name] + step}))
            - loss(dict(values, **{name: values[name] - step}))) / (2 * step)


def test_gradient_rows_show_a_numerical_check(window):
    model = window.table.model()
    rows = {model.term(r).id: r for r in model.term_rows()}
    for name in ("W1", "b1", "W2", "b2", "W3", "b3"):
        row = rows[f"dL/d{name}"]
        numeric = float(model.index(row, 4).data().replace("−", "-"))
        assert math.isclose(numeric, central_difference(DEFAULTS, name), rel_tol=1e-5)
        error = model.index(row, 5).data()
        assert "✓" in error and float(error.split()[0].replace("−", "-")) < 1e-6
    assert model.index(rows["dL/dz2"], 4).data() == ""          # only the six gradients are checked


def test_a_wrong_gradient_would_be_flagged(window):
    from engine.gradcheck import Check
    wrong = [Check("W2", 1.0, 1.1, 0.0909, 0.0)]
    window.table.derivation_model.set_derivation(window.state.derivation(), wrong)
    model = window.table.model()
    row = next(r for r in model.term_rows() if model.term(r).id == "dL/dW2")
    assert "⚠" in model.index(row, 5).data()
    assert model.index(row, 5).data(Qt.ItemDataRole.BackgroundRole) is not None


def test_a_check_whose_difference_is_not_finite_gives_no_verdict():
    overflowed = Check("W1", analytic=-3.5, numeric=math.inf, relative_error=relative_error(-3.5, math.inf),
                       noise=0.0)
    numeric, error = check_texts(overflowed)
    assert "∞" in numeric or "inf" in numeric
    assert "✓" not in error and "⚠" not in error and "no check" in error
    fine = Check("W1", analytic=-3.5, numeric=-3.5 * (1 + 1e-9), relative_error=1e-9, noise=0.0)
    assert check_texts(fine)[1].endswith("✓")
