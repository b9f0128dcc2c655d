"""The diagram of a network of any small shape, on its own: every unit and
connection, values checked against a fresh engine derivation, nothing
overlapping at the size the window gives it at 1280×800, hover and tooltips,
selecting a weight or a bias and typing its value, and the chain's diagram
coming back unchanged."""

import itertools
import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QDoubleSpinBox

from engine.expr import number
from engine.network import derive
from engine.saturation import saturated_units
from gui.diagram import HIGHLIGHT, SATURATED, NetworkDiagram
from gui.diagram_layers import LOSS, NEGATIVE, POSITIVE, Shape
from gui.state import ExplorerState

PANE = QSize(632, 351)      # the diagram's viewport in the window at 1280×800
SHAPES = ("mazur", "xor", "1-8-8-1", "2-8-8-1", "8-8-8-8-8-1", "2-1", "1-1-1")


def shown_of(what, *edits):
    state = ExplorerState()
    if "-" in what:
        state.push(state.layers_command(tuple(int(w) for w in what.split("-"))))
    else:
        state.push(state.example_command(what))
    for element, value in edits:
        state.push(state.element_command(element, value))
    return state.shown()


def engine(shown):
    """A fresh derivation of the shown state, from the engine itself."""
    return derive(shown.spec, shown.params, shown.x, shown.y, shown.alpha)


def show(view, shown):
    view.show_state(shown.values, shown.derivation, shown.hidden, shown.spec)


@pytest.fixture
def diagram(qtbot):
    view = NetworkDiagram()
    qtbot.addWidget(view)
    frame = 2 * view.frameWidth()
    view.resize(PANE + QSize(frame, frame))
    view.show()
    qtbot.waitExposed(view)
    return view


def at(diagram, scene_point):
    return diagram.mapFromScene(scene_point)


def spot_on(diagram, element):
    """A viewport point where ``element`` alone is under the mouse."""
    network = diagram.network
    if element in network.edges:
        line = network.edges[element].line()
        points = [line.pointAt(t / 40) for t in range(4, 37)]
    elif element in network.biases:
        points = [network.biases[element].sceneBoundingRect().center()]
    else:
        points = [network.units[element].pos()]
    for point in points:
        pos = at(diagram, point)
        if diagram.element_at(pos) == element:
            return pos
    raise AssertionError(f"no point of {element} is free")


def parameter(shown, element):
    name, _, index = element.partition("[")
    i, _, j = index[:-1].partition(",")
    return float(shown.params[name][int(i) - 1, int(j or 1) - 1])


def is_shown_as(text, value):
    """A label's number is the value rounded to the digits that fit."""
    return text in {number(value, d) for d in range(1, 5)}


# --- what is drawn ----------------------------------------------------------------

@pytest.mark.parametrize("what", SHAPES)
def test_every_unit_connection_and_bias_is_drawn_with_the_engines_values(diagram, what):
    shown = shown_of(what)
    show(diagram, shown)
    network, layers = diagram.network, shown.spec.layers
    assert diagram.scene() is network
    assert len(network.units) == sum(layers) + 1
    assert len(network.edges) == sum(a * b for a, b in zip(layers, layers[1:]))
    assert len(network.biases) == sum(layers[1:])
    fresh = engine(shown)
    for edge, line in network.edges.items():
        value = parameter(shown, edge)
        assert line.pen().color() == (POSITIVE if value >= 0 else NEGATIVE), edge
    widths = sorted((abs(parameter(shown, e)), network.edges[e].pen().widthF()) for e in network.edges)
    assert all(w1 <= w2 for (_, w1), (_, w2) in zip(widths, widths[1:]))   # thicker with |w|
    checked = 0
    for unit, label in network.labels.items():
        texts = label.texts()
        if not texts or unit.startswith("x["):
            continue
        assert is_shown_as(texts[0], fresh.value(unit)), (unit, texts)
        if len(texts) > 1:
            assert is_shown_as(texts[1], fresh.value(f"dL/d{unit}")), (unit, texts)
        checked += 1
    assert checked >= len(network.units) - layers[0] - 1
    x_label = network.labels["x[1]"].texts()
    assert is_shown_as(x_label[0], float(np.mean(shown.x[:, 0])))


def test_a_wide_networks_units_show_value_and_gradient_at_1280_by_800(diagram):
    show(diagram, shown_of("2-8-8-1"))
    labels = diagram.network.labels
    assert all(len(labels[f"h{l}[{i}]"].texts()) == 2 for l in (1, 2) for i in range(1, 9))
    assert diagram.network.geometry.lines == 2


@pytest.mark.parametrize("what", ("mazur", "1-8-8-1", "2-8-8-1", "8-8-8-8-8-1"))
@pytest.mark.parametrize("size", ("window", "minimum", "large"))
def test_nothing_overlaps_and_text_is_the_tables_size(diagram, qtbot, what, size):
    if size != "window":
        target = diagram.minimumSizeHint() if size == "minimum" else QSize(1028, 490)
        diagram.resize(target)
        qtbot.waitUntil(lambda: diagram.size() == target)
    shown = shown_of(what)
    show(diagram, shown)
    diagram.show_sample(f"Batch mean of {len(shown.x):,} samples: every value and gradient, as in the table")
    network = diagram.network
    assert diagram.smallest_text_pixels() >= QFontMetricsF(QApplication.font()).height() * (1 - 1e-9)
    texts = [label for label in network.labels.values() if label.texts()]
    texts += [label for label in network.edge_labels.values() if label.isVisible() and label.texts()]
    texts += [legend for legend in network.legends.values() if legend.isVisible()]
    texts.append(network.caption)
    rects = [label.mapRectToScene(label.boundingRect()) for label in texts]
    rects += [header.sceneBoundingRect() for header in network.headers.values()]
    owner = {bias: network.shape.unit_of_bias(bias) for bias in network.biases}
    shapes = {unit: circle.sceneBoundingRect() for unit, circle in network.units.items()}
    shapes.update({bias: marker.sceneBoundingRect() for bias, marker in network.biases.items()})
    solid = list(shapes.values())
    pane = network.sceneRect()
    assert pane.width() == diagram.viewport().width()
    for rect in rects + solid:
        assert pane.contains(rect), rect
    for a, b in itertools.combinations(rects, 2):
        assert not a.intersects(b), (a, b)
    for a, b in itertools.combinations(shapes, 2):   # a bias's square sits on its own unit only
        if owner.get(a) != b and owner.get(b) != a:
            assert not shapes[a].intersects(shapes[b]), (a, b)
    for rect in rects:
        assert not any(rect.intersects(s) for s in solid), rect
    # Every number shown is the engine's, rounded to what fits.
    fresh = engine(shown)
    for unit in network.shape.columns[-1]:
        assert is_shown_as(network.labels[unit].texts()[0], fresh.value(unit))


def test_mazurs_weights_are_written_on_their_edges(diagram):
    shown = shown_of("mazur")
    show(diagram, shown)
    labels = diagram.network.edge_labels
    for edge, label in labels.items():
        assert label.isVisible(), edge
        name, _, value = label.texts()[0].rpartition(" = ")   # the name where it fits
        assert is_shown_as(value, parameter(shown, edge))
        assert name in ("", edge.replace("W1", "W₁").replace("W2", "W₂"))
        # The label lies on its own edge.
        line = diagram.network.edges[edge].line()
        centre = label.mapRectToScene(label.boundingRect()).center()
        assert _distance(centre, line) < 2


def _distance(point, line):
    d = line.p2() - line.p1()
    t = ((point.x() - line.x1()) * d.x() + (point.y() - line.y1()) * d.y()) / (d.x() ** 2 + d.y() ** 2)
    foot = line.p1() + d * max(0.0, min(1.0, t))
    return math.hypot(point.x() - foot.x(), point.y() - foot.y())


def test_a_saturated_unit_is_marked_and_its_tooltip_says_why(diagram):
    shown = shown_of("mazur", ("W1[1,1]", 60.0))
    flagged = saturated_units(engine(shown))
    assert "h1[1]" in flagged and "h1[2]" not in flagged
    show(diagram, shown)
    units = diagram.network.units
    assert units["h1[1]"].pen().color() == SATURATED
    assert units["h1[2]"].pen().color() != SATURATED
    assert "saturated" in diagram.network.tooltip("h1[1]")
    # Predict mode hides the factor: no flag gives it away.
    hidden = frozenset({"dh1/dz1[1]", "dL/dh1[2]"})
    diagram.show_state(shown.values, shown.derivation, hidden, shown.spec)
    assert units["h1[1]"].pen().color() != SATURATED
    assert diagram.network.labels["h1[2]"].texts()[1] == "?"
    assert "?" not in diagram.network.labels["h1[1]"].texts()[1]


# --- hover ----------------------------------------------------------------------

def test_hovering_an_edge_announces_it_and_its_tooltip_has_weight_and_gradient(diagram, qtbot):
    shown = shown_of("2-8-8-1")
    show(diagram, shown)
    fresh = engine(shown)
    pos = spot_on(diagram, "W2[1,2]")
    with qtbot.waitSignal(diagram.elementHovered, check_params_cb=lambda e: e == "W2[1,2]"):
        qtbot.mouseMove(diagram.viewport(), pos)
    tip = diagram.tooltip_at(pos)
    assert f"W₂[1,2] = {number(parameter(shown, 'W2[1,2]'), 6)}" in tip
    assert f"∂L/∂W₂[1,2] = {number(fresh.value('dL/dW2[1,2]'), 6)}" in tip
    assert "from h₁[2] to h₂[1]" in tip
    unit = spot_on(diagram, "h2[3]")
    with qtbot.waitSignal(diagram.elementHovered, check_params_cb=lambda e: e == "h2[3]"):
        qtbot.mouseMove(diagram.viewport(), unit)
    tip = diagram.tooltip_at(unit)
    assert f"∂L/∂h₂[3] = {number(fresh.value('dL/dh2[3]'), 6)}" in tip
    assert f"b₂[3] = {number(parameter(shown, 'b2[3]'), 6)}" in tip


def test_highlight_lights_an_element_given_any_of_its_term_ids(diagram):
    show(diagram, shown_of("2-8-8-1"))
    network = diagram.network

    def lit():
        return ({e for e, line in network.edges.items() if line.pen().color() == HIGHLIGHT}
                | {u for u, circle in network.units.items() if circle.pen().color() == HIGHLIGHT}
                | {b for b, marker in network.biases.items() if marker.brush().color() == HIGHLIGHT})

    for term, expected in [("dL/dW2[1,2]", {"W2[1,2]"}), ("W2[1,2]", {"W2[1,2]"}),
                           ("W3_next[1,4]", {"W3[1,4]"}), ("h1[2]", {"h1[2]"}), ("z2[5]", {"h2[5]"}),
                           ("dh1/dz1[7]", {"h1[7]"}), ("dL/dyhat[1]", {"yhat[1]"}),
                           ("b1[3]", {"b1[3]", "h1[3]"}), ("dL/db3[1]", {"b3[1]", "yhat[1]"}),
                           ("L", {LOSS}), ("x[2]", {"x[2]"}), ("", set())]:
        diagram.highlight(term)
        assert lit() == expected, term
    diagram.highlight("dL/dW3")
    assert lit() == {f"W3[1,{j}]" for j in range(1, 9)}
    diagram.highlight_chain(("dL/dW1[2,1]", "h1[2]", "yhat[1]"))
    marks = {e for e, mark in network.chain_marks.items() if mark.isVisible()}
    assert marks == {"W1[2,1]", "h1[2]", "yhat[1]"}
    diagram.highlight_chain(())
    assert not any(mark.isVisible() for mark in network.chain_marks.values())


def test_shape_names_its_elements():
    shape = Shape((2, 3, 1))
    assert shape.ends("W2[1,3]") == ("h1[3]", "yhat[1]")
    assert shape.ends("W1[3,2]") == ("x[2]", "h1[3]")
    assert shape.unit_of_bias("b2[1]") == "yhat[1]" and shape.bias_of("h1[2]") == "b1[2]"
    assert shape.bias_of("x[1]") == "" and shape.bias_of(LOSS) == ""
    assert shape.drawn("err[1]") == {"yhat[1]-L"} and shape.drawn("dyhat/dz2") == {"yhat[1]"}
    assert shape.drawn("W5[1,1]") == set() and shape.drawn("h1[9]") == set()


# --- selecting and editing ------------------------------------------------------------

def test_clicking_an_edge_selects_it_and_the_box_edits_it(diagram, qtbot):
    shown = shown_of("2-8-8-1")
    show(diagram, shown)
    pos = spot_on(diagram, "W2[1,2]")
    with qtbot.waitSignal(diagram.elementSelected, check_params_cb=lambda e: e == "W2[1,2]"):
        qtbot.mouseClick(diagram.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    editor = diagram.findChild(QDoubleSpinBox, "diagramElementEditor")
    assert editor is diagram.editor and editor.isVisible()
    assert (editor.minimum(), editor.maximum(), editor.decimals()) == (-1000.0, 1000.0, 6)
    assert editor.value() == round(parameter(shown, "W2[1,2]"), 6)
    assert diagram.network.edges["W2[1,2]"].pen().color() == HIGHLIGHT
    # Beside the edge, inside the pane.
    box = editor.geometry()
    assert diagram.viewport().rect().contains(box)
    assert (box.center() - pos).manhattanLength() < 4 * box.height() + box.width()
    editor.selectAll()
    with qtbot.waitSignal(diagram.elementEdited) as edited:
        qtbot.keyClicks(editor, "0.5")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert edited.args == ["W2[1,2]", 0.5]
    # What the integrator does with it: one element command; the diagram shows the engine's new state.
    after = shown_of("2-8-8-1", ("W2[1,2]", 0.5))
    show(diagram, after)
    assert editor.value() == 0.5 and editor.isVisible()
    fresh = engine(after)
    assert is_shown_as(diagram.network.labels["h2[1]"].texts()[0], fresh.value("h2[1]"))
    assert diagram.network.edges["W2[1,2]"].pen().color() == HIGHLIGHT
    # Escape drops the selection.
    with qtbot.waitSignal(diagram.elementSelected, check_params_cb=lambda e: e == ""):
        qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.isVisible()
    assert diagram.network.edges["W2[1,2]"].pen().color() != HIGHLIGHT


def test_clicking_a_unit_selects_its_bias(diagram, qtbot):
    shown = shown_of("mazur")
    show(diagram, shown)
    with qtbot.waitSignal(diagram.elementSelected, check_params_cb=lambda e: e == "b1[2]"):
        qtbot.mouseClick(diagram.viewport(), Qt.MouseButton.LeftButton, pos=spot_on(diagram, "h1[2]"))
    assert diagram.editor.value() == parameter(shown, "b1[2]")
    assert diagram.network.biases["b1[2]"].brush().color() == HIGHLIGHT
    with qtbot.waitSignal(diagram.elementSelected, check_params_cb=lambda e: e == "b2[1]"):
        qtbot.mouseClick(diagram.viewport(), Qt.MouseButton.LeftButton, pos=spot_on(diagram, "b2[1]"))
    # An input is not a parameter: a click on it drops the selection.
    with qtbot.waitSignal(diagram.elementSelected, check_params_cb=lambda e: e == ""):
        qtbot.mouseClick(diagram.viewport(), Qt.MouseButton.LeftButton, pos=spot_on(diagram, "x[1]"))
    assert not diagram.editor.isVisible()


def test_select_element_from_outside_selects_without_announcing(diagram, qtbot):
    shown = shown_of("xor")
    show(diagram, shown)
    with qtbot.assertNotEmitted(diagram.elementSelected):
        assert diagram.select_element("W1[3,2]")
        assert not diagram.select_element("h1[1]")          # not a parameter
    assert diagram.selected_element() == "W1[3,2]"
    assert diagram.editor.isVisible() and diagram.editor.value() == round(parameter(shown, "W1[3,2]"), 6)
    # A new shape without that element drops it, and says so.
    with qtbot.waitSignal(diagram.elementSelected, check_params_cb=lambda e: e == ""):
        show(diagram, shown_of("1-1-1"))
    assert not diagram.editor.isVisible()


# --- the chain -----------------------------------------------------------------

def test_the_chain_comes_back_exactly(diagram, qtbot):
    reference = shown_of("reference")
    show(diagram, reference)
    chain_scene, minimum = diagram.scene(), diagram.minimumSizeHint()
    before = {key: item.text() for key, item in diagram.texts.items()}
    scale = diagram.transform().m11()
    show(diagram, shown_of("2-8-8-1"))
    assert diagram.scene() is not chain_scene and diagram.transform().m11() == 1.0
    assert diagram.minimumSizeHint() == minimum
    diagram.select_element("W1[1,1]")
    show(diagram, reference)
    assert diagram.scene() is chain_scene and diagram.network is None
    assert {key: item.text() for key, item in diagram.texts.items()} == before
    assert diagram.transform().m11() == scale
    assert not diagram.editor.isVisible()
    # The chain selects nothing and a click selects nothing.
    assert not diagram.select_element("W2")
    with qtbot.assertNotEmitted(diagram.elementSelected):
        qtbot.mouseClick(diagram.viewport(), Qt.MouseButton.LeftButton,
                         pos=diagram.mapFromScene(diagram.shapes["h1"].sceneBoundingRect().center()))
    assert diagram.element_at(diagram.mapFromScene(diagram.shapes["h1"].sceneBoundingRect().center())) == "h1"


def test_display_takes_the_shown_record(diagram):
    shown = shown_of("mazur")
    diagram.display(shown)
    assert diagram.network.shape.layers == (2, 2, 2)
    assert is_shown_as(diagram.network.labels[LOSS].texts()[0], engine(shown).value("L"))
    assert diagram.element_at(QPoint(-5, -5)) == ""
