"""The loss-landscape view: the map is engine.landscape.grid's, the path the
timeline's, a click sets the two parameters, and hidden it does no work."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine import landscape
from gui.landscape_view import MAX_PATH_POINTS, SIZE, LandscapeView, axis_range, thin


@pytest.fixture
def view(window, qtbot):
    v = LandscapeView()
    v.picked.connect(window._pick_on_landscape)
    qtbot.addWidget(v)
    v.resize(500, 500)
    v.show()
    qtbot.waitExposed(v)
    v.display(window.state.shown())
    return v


def expected_grid(state, p1, p2):
    trainer, index = state.timeline.locate(state.cursor)
    params = trainer.params(index)
    return landscape.grid(params, trainer.x, trainer.y, p1, p2, axis_range(p1, params[p1]),
                          axis_range(p2, params[p2]), size=SIZE, spec=trainer.spec)


def test_the_image_is_the_engines_grid(window, view):
    view.display(window.state.shown())
    values1, values2, loss = expected_grid(window.state, "W1", "W2")
    assert view.pair() == ("W1", "W2")
    assert view.image.image.shape == (SIZE, SIZE)
    # Row-major: rows are W2 (vertical), columns W1 (horizontal), as grid returns it.
    assert np.array_equal(view.image.image, loss)
    assert np.array_equal(view.grid_values[0], values1)
    assert np.array_equal(view.grid_values[1], values2)
    # The range: shown value ± max(1, 1.5·|value|).
    w1, w2 = window.state.edited_values()["W1"], window.state.edited_values()["W2"]
    assert values1[0] == pytest.approx(w1 - 1.0) and values1[-1] == pytest.approx(w1 + 1.0)
    assert values2[0] == pytest.approx(w2 - 1.2) and values2[-1] == pytest.approx(w2 + 1.2)
    # Pixel (j, i) is centred on (values1[j], values2[i]).
    rect = view.image.mapRectToParent(view.image.boundingRect())
    dx, dy = values1[1] - values1[0], values2[1] - values2[0]
    assert rect.left() == pytest.approx(values1[0] - dx / 2)
    assert rect.right() == pytest.approx(values1[-1] + dx / 2)
    assert rect.top() == pytest.approx(values2[0] - dy / 2)
    assert rect.bottom() == pytest.approx(values2[-1] + dy / 2)
    # Contour lines at levels inside the loss's range.
    assert len(view.contour_levels) >= 3
    assert loss.min() < view.contour_levels[0] and view.contour_levels[-1] < loss.max()
    assert sum(iso.isVisible() for iso in view.isocurves) == len(view.contour_levels)


def test_the_combos_choose_the_axes(window, view, qtbot):
    assert view.findChild(type(view.combo_x), "landscapeX") is view.combo_x
    assert (view.combo_x.currentText(), view.combo_y.currentText()) == ("W1", "W2")
    view.combo_x.setCurrentText("b1")
    assert view.pair() == ("b1", "W2")
    assert view.plot.getPlotItem().getAxis("bottom").labelText == "b1"
    assert np.array_equal(view.image.image, expected_grid(window.state, "b1", "W2")[2])
    # The same parameter on both axes: the two swap.
    view.combo_y.setCurrentText("b1")
    assert view.pair() == ("W2", "b1")
    assert view.combo_x.currentText() == "W2"
    assert view.plot.getPlotItem().getAxis("left").labelText == "b1"
    assert np.array_equal(view.image.image, expected_grid(window.state, "W2", "b1")[2])


def test_the_path_follows_the_timeline(window, view):
    state = window.state
    state.train(20)
    view.display(window.state.shown())
    xs, ys = view.path_curve.getData()
    assert len(xs) == 21
    assert np.array_equal(xs, state.timeline.column("W1"))
    assert np.array_equal(ys, state.timeline.column("W2"))
    mx, my = view.marker.getData()
    assert (mx[0], my[0]) == (state.edited_values()["W1"], state.edited_values()["W2"])
    # Moving the cursor back moves the marker and the map, not the path.
    state.move_to(5)
    view.display(window.state.shown())
    mx, my = view.marker.getData()
    assert (mx[0], my[0]) == (state.edited_values(5)["W1"], state.edited_values(5)["W2"])
    assert np.array_equal(view.image.image, expected_grid(state, "W1", "W2")[2])
    assert len(view.path_curve.getData()[0]) == 21


def test_a_long_path_is_thinned(window, view):
    state = window.state
    state.train(MAX_PATH_POINTS + 1500)
    view.display(window.state.shown())
    xs, ys = view.path_curve.getData()
    full = state.timeline.column("W1")
    assert len(xs) <= MAX_PATH_POINTS < len(full)
    assert (xs[0], xs[-1]) == (full[0], full[-1])
    keep = thin(len(full))
    assert np.array_equal(xs, full[keep]) and np.array_equal(ys, state.timeline.column("W2")[keep])
    assert np.all(np.diff(keep) > 0)


def test_the_mapping_of_view_coordinates(window, view):
    view.display(window.state.shown())
    values1, values2, _ = view.grid_values
    assert view.params_at(0.7, 1.1) == {"W1": 0.7, "W2": 1.1}
    assert view.params_at(values1[-1] + 0.5, 1.1) is None
    assert view.params_at(0.7, values2[0] - 0.5) is None
    # Scene → view is the plot's own mapping.
    box = view.plot.getPlotItem().getViewBox()
    x, y = view.scene_to_view(box.mapViewToScene(QPointF(0.25, 1.5)))
    assert (x, y) == (pytest.approx(0.25), pytest.approx(1.5))


def test_a_click_on_the_map_sets_both_parameters(window, view, qtbot):
    view.display(window.state.shown())
    state = window.state
    before = state.edited_values()
    values1, values2, _ = view.grid_values
    cell = (values1[1] - values1[0], values2[1] - values2[0])
    target = QPointF(0.2, 1.4)
    box = view.plot.getPlotItem().getViewBox()
    widget_pos = view.plot.mapFromScene(box.mapViewToScene(target))
    with qtbot.waitSignal(view.picked, timeout=2000) as picked:
        QTest.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         widget_pos)
    assert picked.args[0]["W1"] == pytest.approx(0.2, abs=cell[0])
    assert state.edited_values()["W1"] == pytest.approx(0.2, abs=cell[0])
    assert state.edited_values()["W2"] == pytest.approx(1.4, abs=cell[1])
    assert state.edited_values()["b1"] == before["b1"]
    # One undo takes the click back, both values.
    state.undo_stack.undo()
    assert (state.edited_values()["W1"], state.edited_values()["W2"]) == (before["W1"], before["W2"])


def test_a_click_outside_the_map_or_beyond_the_limits_changes_nothing(window, view):
    view.display(window.state.shown())
    state = window.state
    before = state.edited_values()
    count = state.undo_stack.count()
    assert view.pick_at(100.0, 100.0) is None
    assert state.edited_values() == before and state.undo_stack.count() == count
    # A value the engine refuses is left out; the other is set.
    window._pick_on_landscape({"W1": 5000.0, "W2": 0.3})
    assert state.edited_values()["W1"] == before["W1"]
    assert state.edited_values()["W2"] == 0.3


def test_a_callback_decides_instead(window, qtbot):
    got = []
    v = LandscapeView()
    v.picked.connect(got.append)
    qtbot.addWidget(v)
    v.show()
    qtbot.waitExposed(v)
    v.display(window.state.shown())
    before = window.state.edited_values()
    assert v.pick_at(0.4, 0.9) == {"W1": 0.4, "W2": 0.9}
    assert got == [{"W1": 0.4, "W2": 0.9}]
    assert window.state.edited_values() == before


def test_hidden_it_does_no_grid_work_and_unchanged_it_reuses_the_grid(window, view, monkeypatch):
    calls = []
    real = landscape.grid
    monkeypatch.setattr(landscape, "grid", lambda *a, **k: calls.append(a) or real(*a, **k))
    view.hide()
    window.state.train(5)
    view.display(window.state.shown())
    assert calls == []
    view.show()                # showing catches up
    assert len(calls) == 1
    view.display(window.state.shown())
    view.display(window.state.shown())
    assert len(calls) == 1     # nothing changed: the same grid
    window.state.train(1)
    view.display(window.state.shown())
    assert len(calls) == 2
    assert np.array_equal(view.image.image, expected_grid(window.state, "W1", "W2")[2])


def test_the_window_shows_the_landscape_in_a_tab_and_a_pick_is_one_undo(window, qtbot):
    window.plots.setCurrentWidget(window.landscape)
    window.flush()
    assert window.landscape.isVisible() and window.landscape.grid_values is not None
    window._pick_on_landscape({"W1": 0.25, "W2": -0.5})
    values = window.state.edited_values()
    assert (values["W1"], values["W2"]) == (0.25, -0.5)
    window.actionUndo.trigger()
    assert (window.state.edited_values()["W1"], window.state.edited_values()["W2"]) == (0.5, 0.8)


def test_the_gradient_tab_follows_training(window):
    window.plots.setCurrentWidget(window.gradient_plot)
    window.state.train(10)
    window.flush()
    x, y = window.gradient_plot.shown("dL/dW1")
    assert len(x) == 11
