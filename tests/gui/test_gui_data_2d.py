"""Data in two dimensions (issue 14, "Data and plots"): the Dataset panel of a
wider network (columns x1 … xn, y1 … ym, presets by input width, Apply with
(n, width) arrays, its CSV) and the Data tab (ŷ(x) per output for one input, the
heat map of ŷ(x₁, x₂) for two, a plain note for more).  Each widget is fed the
state's Shown records on its own; ŷ is checked against the independent oracle
(tests/engine/network_oracle.py)."""

import io
import sys
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from engine.csvio import finish
from engine.dataset import PRESETS, PRESETS_2D, columns_header, csv_chunks, preset, read_csv
from engine.limits import InputError
from gui.data_plot import CHAIN, CURVES, GRID, HEAT, MAX_SHOWN, TOO_MANY, grid_points, padded_range
from gui.dataset_model import DatasetModel
from gui.data_plot import DataPlot
from gui.dataset_panel import DatasetPanel
from gui.state import ExplorerState

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "engine"))
import network_oracle as oracle  # noqa: E402
from helpers import shown_widget


# --- helpers ---------------------------------------------------------------------

def _state(example=None, layers=None, samples=None, **spec):
    state = ExplorerState()
    if example:
        state.push(state.example_command(example))
    if layers:
        state.push(state.layers_command(layers))
    for field, value in spec.items():
        state.push(state.spec_command(field, value))
    if samples is not None:
        state.push(state.samples_command(*samples))
    return state


def _widget(qtbot, widget, size=(560, 520)):
    return shown_widget(qtbot, widget, size)


def _oracle_yhat(shown, x):
    """ŷ of one input vector x by the oracle, from the shown record's parameters."""
    spec = shown.spec
    layers = len(spec.layers) - 1
    params = [(np.atleast_2d(shown.params[f"W{l}"]), np.atleast_1d(shown.params[f"b{l}"]).ravel())
              for l in range(1, layers + 1)]
    return oracle.forward(params, np.atleast_1d(x), list(spec.hidden_activations), spec.output_activation,
                          spec.leak)[1][-1]


def _view_point(plot, item, point):
    """Where ``point`` of ``item``'s own coordinates is on the plot's axes."""
    return item.mapToItem(plot.getPlotItem().getViewBox().childGroup, point)


def _brush_colours(scatter):
    return [scatter.points()[i].brush().color().getRgb()[:3] for i in range(len(scatter.points()))]


# --- the Data tab: two inputs ------------------------------------------------------

def test_the_heat_map_is_yhat_on_a_grid_over_the_samples(qtbot):
    state = _state("xor")
    state.train(300)
    shown = state.shown()
    plot = _widget(qtbot, DataPlot())
    plot.display(shown)
    assert plot.mode == HEAT and plot.image.isVisible() and not plot.points.isVisible()
    image = plot.image.image
    assert image.shape == (GRID, GRID)
    x_range, y_range = padded_range(shown.x[:, 0]), padded_range(shown.x[:, 1])
    assert x_range[0] < 0.0 and x_range[1] > 1.0            # the samples are inside the map
    xs, ys, _ = grid_points(x_range, y_range)
    for i, j in ((0, 0), (7, 41), (30, 30), (59, 12), (59, 59)):
        assert image[i, j] == pytest.approx(_oracle_yhat(shown, [xs[i], ys[j]])[0], rel=1e-12, abs=1e-14)
        # the cell [i, j] is drawn centred on its grid point, x₁ along the bottom, x₂ up
        centre = _view_point(plot, plot.image, QPointF(i + 0.5, j + 0.5))
        assert centre.x() == pytest.approx(xs[i]) and centre.y() == pytest.approx(ys[j])
    assert plot.getPlotItem().getAxis("bottom").labelText == "x₁"
    assert plot.getPlotItem().getAxis("left").labelText == "x₂"


def test_the_half_contour_of_a_sigmoid_output_lies_where_yhat_is_one_half(qtbot):
    state = _state("xor")
    state.train(1500)
    shown = state.shown()
    plot = _widget(qtbot, DataPlot())
    plot.display(shown)
    assert shown.spec.output_activation == "sigmoid" and plot.contour.isVisible()
    plot.contour.boundingRect()                  # the path is generated when asked for
    path = plot.contour.path
    assert path is not None and path.elementCount() > 20
    x_range, y_range = padded_range(shown.x[:, 0]), padded_range(shown.x[:, 1])
    # Interpolated between the cells' centres, the contour is within a fraction of a cell of
    # where ŷ = 0.5: half a cell away on either side, ŷ is above 0.5 on one and below on the other.
    near = 0.5 * (x_range[1] - x_range[0]) / GRID, 0.5 * (y_range[1] - y_range[0]) / GRID
    for e in range(0, path.elementCount(), max(1, path.elementCount() // 25)):
        element = path.elementAt(e)
        at = _view_point(plot, plot.contour, QPointF(element.x, element.y))
        around = [_oracle_yhat(shown, [at.x() + a * near[0], at.y() + b * near[1]])[0]
                  for a in (-1, 0, 1) for b in (-1, 0, 1)]
        assert min(around) < 0.5 < max(around)
    assert "White line: ŷ₁ = 0.5" in plot.caption.text() and "boundary" in plot.caption.toolTip()


def test_the_samples_are_drawn_on_the_map_filled_with_their_y(qtbot):
    x, y = preset("circle", 40, inputs=2)
    state = _state(layers=(2, 4, 1), samples=(x, y), output_activation="sigmoid")
    plot = _widget(qtbot, DataPlot())
    plot.display(state.shown())
    px, py = plot.samples.getData()
    assert px.tolist() == x[:, 0].tolist() and py.tolist() == x[:, 1].tolist()
    viridis = pg.colormap.get("viridis")
    expected = [viridis.map(float(v), mode="qcolor").getRgb()[:3] for v in y[:, 0]]   # levels 0 … 1
    assert _brush_colours(plot.samples) == expected
    assert plot.image.levels.tolist() == [0.0, 1.0]


def test_the_map_follows_training(qtbot):
    state = _state("xor")
    plot = _widget(qtbot, DataPlot())
    plot.display(state.shown())
    before = plot.image.image.copy()
    state.train(200)
    shown = state.shown()
    plot.display(shown)
    after = plot.image.image
    assert not np.array_equal(before, after)
    xs, ys, _ = grid_points(padded_range(shown.x[:, 0]), padded_range(shown.x[:, 1]))
    assert after[20, 50] == pytest.approx(_oracle_yhat(shown, [xs[20], ys[50]])[0], rel=1e-12)
    state.train(0)
    plot.display(state.shown())           # the same parameters: nothing recomputed
    assert plot.image.image is after


def test_a_network_of_two_outputs_chooses_the_output_it_maps(qtbot):
    state = _state("mazur")
    shown = state.shown()
    plot = _widget(qtbot, DataPlot())
    plot.display(shown)
    assert plot.chooser.isVisible() and plot.output.count() == 2
    assert [plot.output.itemText(k) for k in range(2)] == ["ŷ₁", "ŷ₂"]
    xs, ys, _ = grid_points(padded_range(shown.x[:, 0]), padded_range(shown.x[:, 1]))
    assert plot.image.image[5, 9] == pytest.approx(_oracle_yhat(shown, [xs[5], ys[9]])[0], rel=1e-12)
    plot.output.setCurrentIndex(1)
    assert plot.image.image[5, 9] == pytest.approx(_oracle_yhat(shown, [xs[5], ys[9]])[1], rel=1e-12)
    assert "ŷ₂" in plot.getPlotItem().titleLabel.text
    # Mazur's ŷ₂ is above 0.5 over the whole map: no boundary, and the caption says so
    assert plot.image.image.min() > 0.5 and "No boundary" in plot.caption.text()


def test_other_outputs_have_no_half_contour_and_their_own_colour_range(qtbot):
    x, y = preset("two blobs", 30, inputs=2)
    y = 3.0 * y - 1.0                                            # −1 and 2
    linear = _state(layers=(2, 3, 1), samples=(x, y))
    plot = _widget(qtbot, DataPlot())
    plot.display(linear.shown())
    assert not plot.contour.isVisible() and "0.5" not in plot.caption.text()
    assert plot.image.levels.tolist() == [-1.0, 2.0]             # the samples' range of y
    tanh = _state(layers=(2, 3, 1), samples=(x, y / 2), output_activation="tanh")
    plot.display(tanh.shown())
    assert plot.image.levels.tolist() == [-1.0, 1.0] and not plot.contour.isVisible()


def test_many_samples_are_thinned_and_the_caption_says_so(qtbot):
    rng = np.random.default_rng(2)
    n = 3 * MAX_SHOWN + 1
    x = rng.uniform(-1, 1, (n, 2))
    y = (x[:, :1] > 0).astype(float)
    state = _state(layers=(2, 2, 1), samples=(x, y), output_activation="sigmoid")
    plot = _widget(qtbot, DataPlot())
    plot.display(state.shown())
    px, _ = plot.samples.getData()
    assert len(px) <= MAX_SHOWN and px.tolist() == x[::4, 0].tolist()
    assert f"{n:,}" in plot.caption.text()


# --- the Data tab: one input, more inputs, the chain -----------------------------------

def test_one_input_draws_a_curve_per_output(qtbot):
    x = np.linspace(-2.0, 2.0, 25).reshape(-1, 1)
    y = np.hstack([np.sin(x), np.cos(x)])
    state = _state(layers=(1, 4, 2), samples=(x, y))
    shown = state.shown()
    plot = _widget(qtbot, DataPlot())
    plot.display(shown)
    assert plot.mode == CURVES and not plot.image.isVisible() and plot.legend.isVisible()
    drawn = [(plot.points, plot.curve), *plot._more]
    assert len(drawn) == 2
    for k, (points, curve) in enumerate(drawn):
        px, py = points.getData()
        assert px.tolist() == x[:, 0].tolist() and py.tolist() == y[:, k].tolist()
        xs, yhat = curve.getData()
        assert xs[0] < -2.0 and xs[-1] > 2.0
        for i in (0, 77, len(xs) - 1):
            assert yhat[i] == pytest.approx(_oracle_yhat(shown, [xs[i]])[k], rel=1e-12, abs=1e-14)


def test_the_curve_example_fits_the_sine_with_one_curve(qtbot):
    state = _state("curve")
    state.train(50)
    shown = state.shown()
    plot = _widget(qtbot, DataPlot())
    plot.display(shown)
    assert plot.mode == CURVES and plot._more == [] and not plot.legend.isVisible()
    xs, yhat = plot.curve.getData()
    assert yhat[100] == pytest.approx(_oracle_yhat(shown, [xs[100]])[0], rel=1e-12, abs=1e-14)
    assert plot.getPlotItem().titleLabel.text == "Data and the network's ŷ(x)"


def test_more_than_two_inputs_are_said_plainly(qtbot):
    state = _state(layers=(3, 4, 1))
    plot = _widget(qtbot, DataPlot())
    plot.display(state.shown())
    assert plot.mode == TOO_MANY
    assert plot.note.isVisible() and not plot.plot.isVisible()
    assert "3 inputs" in plot.note.text() and "x₃" in plot.note.text()


def test_back_to_the_chain_the_plot_is_todays(qtbot):
    plot = _widget(qtbot, DataPlot())
    plot.display(_state("xor").shown())
    plot.display(_state(layers=(3, 2, 1)).shown())
    chain = _state().shown()
    plot.display(chain)
    assert plot.mode == CHAIN and plot.plot.isVisible() and not plot.note.isVisible()
    assert not plot.image.isVisible() and not plot.samples.isVisible() and not plot.chooser.isVisible()
    assert plot.points.isVisible() and plot.curve.isVisible()
    assert not plot.getPlotItem().getViewBox().state["aspectLocked"]
    px, py = plot.points.getData()
    assert px.tolist() == list(np.ravel(chain.x)) and py.tolist() == list(np.ravel(chain.y))
    xs, yhat = plot.curve.getData()
    assert len(xs) == 200 and yhat[50] == pytest.approx(_oracle_yhat(chain, [xs[50]])[0], rel=1e-12)
    assert plot.getPlotItem().getAxis("bottom").labelText == "x"
    assert plot.plot.toolTip() == ""


def test_hidden_it_draws_when_shown(qtbot):
    plot = DataPlot()
    qtbot.addWidget(plot)
    plot.display(_state("xor").shown())
    assert plot.image.image is None                   # not drawn while hidden
    plot.show()
    qtbot.waitExposed(plot)
    assert plot.image.image is not None and plot.mode == HEAT


# --- the Dataset panel --------------------------------------------------------------------

@pytest.fixture
def panel(qtbot):
    return _widget(qtbot, DatasetPanel(), (420, 640))


def _header(model):
    return tuple(model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount()))


def _offered(panel):
    return [panel.preset.itemText(i) for i in range(panel.preset.count())]


def test_a_two_input_network_gets_its_columns_and_presets(panel):
    shown = _state("xor").shown()
    panel.show_samples(shown.x, shown.y, shown.batch_size, shown.shuffle_seed)
    assert _header(panel.model) == columns_header(2, 1) == ("x1", "x2", "y1")
    assert panel.widths() == (2, 1) and panel.model.rowCount() == 4
    assert panel.model.index(3, 1).data() == "1.0" and panel.model.index(1, 2).data() == "1.0"
    assert _offered(panel) == list(PRESETS_2D) and panel.preset.isEnabled()
    panel.preset.setCurrentText("circle")
    assert "circle" in panel.preset_text.text() and "radius" in panel.preset_text.text()
    panel.load_preset()
    x, y = preset("circle", inputs=2)
    applied = []
    panel.applied.connect(lambda *args: applied.append(args))
    panel.mode.setCurrentText("mini-batches")
    panel.batch_size.setValue(10)
    panel.apply_button.click()
    ax, ay, size, seed = applied[-1]
    assert ax.shape == (len(x), 2) and ay.shape == (len(x), 1)
    assert ax.tobytes() == x.tobytes() and ay.tobytes() == y.tobytes() and (size, seed) == (10, None)


def test_what_apply_sends_trains_a_wider_network(panel):
    state = _state("xor")
    panel.show_samples(*state.samples())
    panel.preset.setCurrentText("two blobs")
    panel.load_preset()
    applied = []
    panel.applied.connect(lambda *args: applied.append(args))
    panel.apply()
    state.push(state.samples_command(*applied[-1]))
    x, y = preset("two blobs", inputs=2)
    trainer_x, trainer_y = state.samples()[:2]
    assert np.array_equal(trainer_x, x) and np.array_equal(trainer_y, y)


def test_one_input_networks_keep_todays_presets_as_columns(panel):
    curve = _state("curve").shown()
    panel.show_samples(curve.x, curve.y, None, None)
    assert _header(panel.model) == ("x", "y") and panel.widths() == (1, 1)
    assert _offered(panel) == list(PRESETS)
    panel.preset.setCurrentText("square")
    panel.load_preset()
    applied = []
    panel.applied.connect(lambda *args: applied.append(args))
    panel.apply()
    x, y = preset("square")
    assert applied[-1][0].shape == (len(x), 1) and applied[-1][0][:, 0].tolist() == x.tolist()
    assert applied[-1][1][:, 0].tolist() == y.tolist()
    # a file read as one input and one output gives 1-d arrays: still this network's columns
    panel.set_rows([0.5, 1.5], [2.0, 3.0])
    panel.apply()
    assert applied[-1][0].shape == (2, 1) and applied[-1][1].tolist() == [[2.0], [3.0]]
    # and the chain again: 1-d arrays, today's presets
    chain = _state().shown()
    panel.show_samples(chain.x, chain.y, None, None)
    panel.apply()
    assert applied[-1][0].ndim == 1 and panel.model.widths() is None and _offered(panel) == list(PRESETS)
    header = panel.table.horizontalHeader()
    assert header.sectionResizeMode(0) == header.ResizeMode.Interactive          # today's columns


@pytest.mark.parametrize("layers, words", [((2, 2, 2), "one output, and this network has 2"),
                                            ((3, 4, 1), "this network has 3")])
def test_no_preset_fits_other_widths_and_the_panel_says_why(panel, layers, words):
    shown = _state(layers=layers).shown()
    panel.show_samples(shown.x, shown.y, None, None)
    assert panel.preset.count() == 0 and not panel.preset.isEnabled() and not panel.load_button.isEnabled()
    assert words in panel.preset_text.text()
    assert ",".join(columns_header(layers[0], layers[-1])) in panel.preset_text.text()
    rows = panel.model.rowCount()
    panel.load_preset()                                   # nothing to load: nothing changes
    assert panel.model.rowCount() == rows


def test_a_wider_cell_is_typed_checked_and_named(panel):
    panel.set_rows(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0], [1.0]]))
    model = panel.model
    assert model.setData(model.index(1, 1), "zebra") is False
    assert "Row 2, x2" in panel.message.text()
    assert model.setData(model.index(0, 2), "1e9") is False and "y1" in panel.message.text()
    assert model.setData(model.index(1, 1), "−0.25") is True
    x, y = model.arrays()
    assert x.tolist() == [[1.0, 2.0], [3.0, -0.25]] and y.tolist() == [[0.0], [1.0]]
    assert panel.rows() == (["1.0", "3.0"], ["2.0", "-0.25"], ["0.0", "1.0"])
    panel.set_rows(np.array([[1 / 3, 2.0]]), np.array([[0.1]]))
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "0.3333333333333333"   # a narrow cell's whole number


def test_the_wider_model_keeps_qts_rules(qtmodeltester):
    model = DatasetModel()
    model.set_arrays(np.arange(6.0).reshape(3, 2), np.array([[0.0, 1.0]] * 3))
    qtmodeltester.check(model)
    assert model.columnCount() == 4 and _header(model) == ("x1", "x2", "y1", "y2")
    model.insertRows(1, 2)
    model.setData(model.index(0, 3), "7")
    model.removeRows(2, 1)
    qtmodeltester.check(model)
    x, y = model.arrays()
    assert x.shape == (4, 2) and y.shape == (4, 2)
    assert x[0].tolist() == [0.0, 1.0] and np.isnan(x[1]).all() and x[3].tolist() == [4.0, 5.0]
    assert y[0].tolist() == [0.0, 7.0]


def test_an_edit_leaves_the_shown_samples_as_they_were(panel):
    shown = _state("xor").shown()
    before = shown.x.copy()
    panel.show_samples(shown.x, shown.y, None, None)
    assert panel.model.setData(panel.model.index(0, 0), "0.75")
    assert np.array_equal(shown.x, before) and panel.model.arrays()[0][0, 0] == 0.75


def test_export_and_import_of_a_wider_dataset(panel):
    shown = _state("mazur").shown()
    panel.show_samples(shown.x, shown.y, None, None)
    x, y = panel.dataset()
    stream = io.StringIO(newline="")
    finish(csv_chunks(stream, x, y))
    assert stream.getvalue().splitlines()[0] == "x1,x2,y1,y2"
    panel.set_rows(np.zeros((1, 2)), np.zeros((1, 2)))
    back = read_csv(io.StringIO(stream.getvalue()), *panel.widths())
    panel.set_rows(*back)
    assert panel.model.arrays()[0].tobytes() == np.asarray(shown.x).tobytes()
    assert panel.model.arrays()[1].tobytes() == np.asarray(shown.y).tobytes()
    panel.add_row()
    with pytest.raises(InputError) as refused:      # a blank row is not a dataset yet
        panel.dataset()
    assert "sample 1" in str(refused.value)


def test_the_chains_export_reads_the_cells_as_today(panel):
    panel.set_rows([0.5, -1.25], [2.0, 3.5])
    x, y = panel.dataset()
    assert x.tolist() == [0.5, -1.25] and y.tolist() == [2.0, 3.5] and panel.widths() == (1, 1)
