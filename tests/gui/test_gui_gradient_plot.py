"""The vanishing-gradients plot: |∂L/∂W| per layer and the activation factors
on a log axis, updated in place and thinned for long histories."""

import numpy as np
import pyqtgraph as pg

from engine import DEFAULTS, PARAMS, Trainer
from engine.factors import FactorCache
from engine.saturation import SATURATED_BELOW
from engine.timeline import Timeline
from gui.gradient_plot import LIMIT, LOG_FLOOR, GradientPlot, stride_for
from helpers import reference_trainer


def thinned_steps(length, limit=LIMIT):
    """What the plot's incremental thinning must draw of ``length`` states: 0, s, 2s, ... and the last."""
    if length <= 0:
        return np.empty(0, dtype=np.int64)
    steps = np.arange(0, length, stride_for(length, limit), dtype=np.int64)
    return steps if steps[-1] == length - 1 else np.append(steps, length - 1)


def _plot(qtbot, state=None):
    plot = GradientPlot()
    qtbot.addWidget(plot)
    plot.show()
    qtbot.waitExposed(plot)
    if state is not None:
        plot.display(state)
    return plot


class _State:
    """The two things the plot reads of the shown record: the line and the step."""

    def __init__(self, timeline, cursor=0):
        self.line, self.step = timeline, cursor


def _zero_gradient_state():
    """A state whose ∂L/∂W1 is exactly 0: x = 0 makes ∂z₁/∂W₁ = 0."""
    values = dict({p: DEFAULTS[p] for p in PARAMS})
    timeline = Timeline(Trainer(values, 0.0, 1.0, 0.1))
    timeline.run(10)
    return _State(timeline, 3)


def test_curves_are_the_gradient_magnitudes_on_a_log_axis(qtbot, window):
    window.state.train(50)
    timeline = window.state.timeline
    plot = _plot(qtbot, window.state.shown())
    assert plot.objectName() == "gradientPlot"
    assert plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert plot.getPlotItem().getAxis("left").logMode
    for name in ("dL/dW1", "dL/dW2", "dL/dW3"):
        x, y = plot.shown(name)
        np.testing.assert_array_equal(x, np.arange(len(timeline)))
        np.testing.assert_array_equal(y, np.abs(timeline.column(name)))
    # Some gradients are negative: the curve holds their magnitude.
    assert (timeline.column("dL/dW3") < 0).any() or (timeline.column("dL/dW1") < 0).any()
    # The three layers are three different curves.
    assert not np.array_equal(plot.shown("dL/dW1")[1], plot.shown("dL/dW2")[1])


def test_a_zero_is_clamped_to_the_floor_and_nothing_else_is(qtbot):
    state = _zero_gradient_state()
    plot = _plot(qtbot, state)
    raw = state.line.column("dL/dW1")
    assert (raw == 0).all()
    _, y = plot.shown("dL/dW1")
    np.testing.assert_array_equal(y, np.full(len(raw), LOG_FLOOR))
    _, y2 = plot.shown("dL/dW2")
    np.testing.assert_array_equal(y2, np.abs(state.line.column("dL/dW2")))
    assert (y2 > LOG_FLOOR).all()


def test_factor_curves_match_the_engine(qtbot, window):
    window.state.train(50)
    plot = _plot(qtbot, window.state.shown())
    want = FactorCache()(window.state.timeline, np.arange(51))
    for name in ("dh1/dz1", "dh2/dz2"):
        x, y = plot.shown(name)
        np.testing.assert_array_equal(x, np.arange(51))
        np.testing.assert_array_equal(y, np.abs(want[name]))
        assert plot.curves[name].opts["pen"].style() == pg.QtCore.Qt.PenStyle.DashLine
    assert not np.array_equal(plot.shown("dh1/dz1")[1], plot.shown("dh2/dz2")[1])


def test_saturation_line_marker_and_legend(qtbot, window):
    window.state.train(20)
    window.state.move_to(7)
    plot = _plot(qtbot, window.state.shown())
    # On a log axis the view's y is log10 of the value.
    assert plot.saturation.value() == np.log10(SATURATED_BELOW)
    assert "saturated below" in plot.saturation.label.format
    assert plot.marker.value() == 7
    window.state.move_to(12)
    plot.display(window.state.shown())
    assert plot.marker.value() == 12
    names = [label.text for _, label in plot.legend.items]
    assert names == ["|∂L/∂W₁|", "|∂L/∂W₂|", "|∂L/∂W₃|", "∂h₁/∂z₁", "∂h₂/∂z₂"]


def test_curves_are_updated_in_place(qtbot, window):
    window.state.train(10)
    plot = _plot(qtbot, window.state.shown())
    before = dict(plot.curves)
    items = list(plot.getPlotItem().listDataItems())
    window.state.train(15)
    plot.display(window.state.shown())
    assert all(plot.curves[k] is before[k] for k in before)
    assert list(plot.getPlotItem().listDataItems()) == items
    x, y = plot.shown("dL/dW2")
    assert len(x) == 26
    np.testing.assert_array_equal(y, np.abs(window.state.timeline.column("dL/dW2")))


def test_a_hidden_plot_waits_until_shown(qtbot, window):
    window.state.train(10)
    plot = GradientPlot()
    qtbot.addWidget(plot)
    plot.display(window.state.shown())
    assert plot.shown("dL/dW1")[0].size == 0
    plot.show()
    qtbot.waitExposed(plot)
    assert len(plot.shown("dL/dW1")[0]) == 11


def test_thinning_past_the_limit(qtbot, window):
    window.state.train(30_000)
    timeline = window.state.timeline
    n = len(timeline)
    assert n == 30_001
    plot = _plot(qtbot, window.state.shown())
    full = timeline.column("dL/dW1")
    for name in ("dL/dW1", "dh1/dz1"):
        x, _ = plot.shown(name)
        assert len(x) <= LIMIT + 1
        assert len(x) >= LIMIT // 2
        assert x[0] == 0 and x[-1] == n - 1
        gaps = np.diff(x[:-1])
        assert (gaps == gaps[0]).all() and gaps[0] > 1     # evenly spaced
    x, y = plot.shown("dL/dW1")
    np.testing.assert_array_equal(y, np.abs(full[x.astype(int)]))
    want = FactorCache()(timeline, x.astype(int))
    np.testing.assert_array_equal(plot.shown("dh2/dz2")[1], np.abs(want["dh2/dz2"]))


def test_growing_past_the_limit_reads_only_new_states(qtbot):
    timeline = Timeline(reference_trainer())
    state = _State(timeline)
    plot = _plot(qtbot, state)
    for steps in (3000, 2500, 7, 4000, 20_000, 1):       # strides 1, 2, 2, 4, 8, 8
        timeline.run(steps)
        state.step = len(timeline) - 1
        plot.display(state)
        n = len(timeline)
        x, y = plot.shown("dL/dW3")
        np.testing.assert_array_equal(x, thinned_steps(n))
        np.testing.assert_array_equal(y, np.abs(timeline.column("dL/dW3")[x.astype(int)]))
        want = FactorCache()(timeline, x.astype(int))
        np.testing.assert_array_equal(plot.shown("dh1/dz1")[1], np.abs(want["dh1/dz1"]))
    assert plot._factors.evaluated < 2 * LIMIT + 20   # each drawn state evaluated once


def test_a_new_generation_is_drawn_from_scratch(qtbot, window):
    window.state.train(40)
    plot = _plot(qtbot, window.state.shown())
    window.state.undo_stack.undo()                     # takes the run back
    window.state.train(5)
    plot.display(window.state.shown())
    timeline = window.state.timeline
    x, y = plot.shown("dL/dW1")
    np.testing.assert_array_equal(x, np.arange(len(timeline)))
    np.testing.assert_array_equal(y, np.abs(timeline.column("dL/dW1")))
    want = FactorCache()(timeline, np.arange(len(timeline)))
    np.testing.assert_array_equal(plot.shown("dh2/dz2")[1], np.abs(want["dh2/dz2"]))


def test_stride_helpers():
    assert stride_for(LIMIT) == 1 and stride_for(LIMIT + 1) == 2
    assert len(thinned_steps(LIMIT)) == LIMIT
    steps = thinned_steps(30_001)
    assert steps[0] == 0 and steps[-1] == 30_000 and len(steps) <= LIMIT + 1
    assert thinned_steps(0).size == 0


def test_a_refresh_at_a_million_states_reads_only_the_new_states(qtbot):
    timeline = Timeline(reference_trainer())
    timeline.run(1_000_000)
    state = _State(timeline, 500_000)
    plot = _plot(qtbot, state)                       # the first draw reads the grid once
    read = []
    column = timeline.column

    def counted(name, start=0, stop=None):
        values = column(name, start, stop)
        read.append(len(values))
        return values
    timeline.column = counted
    for _ in range(5):
        timeline.run(10)
        read.clear()
        evaluated = plot._factors.evaluated
        plot.display(state)
        x, y = plot.shown("dL/dW1")
        assert x[-1] == len(timeline) - 1 and len(x) <= LIMIT + 1
        np.testing.assert_array_equal(y, np.abs(column("dL/dW1")[x.astype(int)]))
        # A stride of states at most, of each of the three gradients: not the million again.
        assert 0 < sum(read) <= 3 * (stride_for(len(timeline)) + 11), read
        assert plot._factors.evaluated - evaluated <= 2      # the newest state, and a new grid state
