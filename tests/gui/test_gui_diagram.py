"""The network diagram on its own: readable at any size it is given, labels
that never overlap and stand out from the edges, flags worded by the
activation, predict mode's hidden terms, a gradient's chain and the caption."""

import itertools

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QTableView

from engine import DEFAULTS, PARAMS, Spec, derive
from engine.saturation import flag_explanation, flag_words
from gui.diagram import BACKING, BIASES, HIGHLIGHT, NODES, SATURATED, WEIGHTS, Label, NetworkDiagram

CHAIN = ("yhat", "W3", "h2", "W2", "h1", "W1", "x")


def state(spec=Spec(), **changes):
    values = dict(DEFAULTS, **changes)
    derivation = derive({p: values[p] for p in PARAMS}, [values["x"]], [values["y"]], values["alpha"],
                        spec=spec)
    return values, derivation


class Uniform:
    """A derivation whose every term has the same value: every label at once
    gets the longest text that value gives."""

    def __init__(self, value):
        self._value = value
        self.terms = state()[1].terms

    def value(self, term_id):
        return self._value

    def __iter__(self):
        return iter(self.terms)


@pytest.fixture
def diagram(qtbot):
    view = NetworkDiagram()
    qtbot.addWidget(view)
    view.show_state(*state())
    view.resize(view.minimumSizeHint())
    view.show()
    qtbot.waitExposed(view)
    return view


def resize(qtbot, view, size):
    view.resize(size)
    qtbot.waitUntil(lambda: view.size() == size)


def labels(view):
    return [item for item in view.texts.values() if isinstance(item, Label) and item.text()]


def luminance(colour):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def over_black(colour):
    """A translucent colour as it looks over the darkest thing beneath it."""
    alpha = colour.alphaF()
    return QColor(round(colour.red() * alpha), round(colour.green() * alpha), round(colour.blue() * alpha))


# --- size -------------------------------------------------------------------

def test_smallest_text_is_never_smaller_than_the_tables(diagram, qtbot):
    table = QTableView()
    qtbot.addWidget(table)
    table_pixels = QFontMetricsF(table.font()).height()
    minimum = diagram.minimumSizeHint()
    # The pane the window gives the diagram at 1280×800 is at least this big.
    assert minimum.width() <= 650 and minimum.height() <= 330
    sizes = (minimum, QSize(2 * minimum.width(), minimum.height()),
             QSize(minimum.width(), 3 * minimum.height()), QSize(1000, 420))
    shown = []
    for size in sizes:
        resize(qtbot, diagram, size)
        assert diagram.smallest_text_pixels() >= table_pixels * (1 - 1e-9), size
        # The whole scene is in view and fills it in one direction.
        drawn = diagram.mapFromScene(diagram.sceneRect()).boundingRect()
        port = diagram.viewport().rect()
        assert port.adjusted(-1, -1, 1, 1).contains(drawn), size
        assert drawn.width() >= port.width() - 2 or drawn.height() >= port.height() - 2, size
        shown.append(diagram.smallest_text_pixels())
    assert shown[3] > 1.2 * shown[0]          # a larger pane, larger text
    # The minimum is the threshold, not a size far above it.
    resize(qtbot, diagram, minimum * 0.9)
    assert diagram.smallest_text_pixels() < table_pixels


# --- labels ------------------------------------------------------------------

LONG = {
    "diverged": (Uniform(-3.201e153), -3.201e153, Spec()),
    "tiny and weak units": (Uniform(0.0008343), -0.0008343, Spec(activation1="leaky_relu",
                                                                 activation2="sigmoid")),
    "dead units": (Uniform(0.0), 0.0, Spec(activation1="relu", activation2="relu")),
    "not a number": (Uniform(float("nan")), -1e-300, Spec()),
}


@pytest.mark.parametrize("case", LONG)
def test_no_label_overlaps_another_or_a_shape_at_any_values(diagram, case):
    derivation, parameter, spec = LONG[case]
    values = dict(DEFAULTS, **{p: parameter for p in PARAMS}, x=-0.0008343)
    diagram.show_state(values, derivation, spec=spec)
    diagram.show_sample("batch mean of 1000 samples")
    shown = labels(diagram) + [diagram.caption]
    assert len(shown) >= 21            # 20 values and gradients, and the caption
    if case in ("tiny and weak units", "dead units"):
        assert diagram.texts["h1.flag"].text() and diagram.texts["h2.flag"].text()
    solid = [diagram.shapes[n] for n in NODES + tuple(BIASES)] + \
        [diagram.texts[f"{n}.name"] for n in NODES + tuple(BIASES)]
    for label in shown:
        assert diagram.sceneRect().contains(label.backing.sceneBoundingRect()), label.text()
        for shape in solid:
            assert not label.backing.collidesWithItem(shape), (label.text(), shape.data(0))
    for a, b in itertools.combinations(shown, 2):
        assert not a.backing.collidesWithItem(b.backing), (a.text(), b.text())


def test_long_numbers_go_to_a_line_of_their_own(diagram):
    diagram.show_state(dict(DEFAULTS, W3=-3.201e153), Uniform(-0.0008343))
    assert diagram.texts["W3.value"].text() == "W₃ = −3.201e+153"     # what tests and tooltips read
    assert diagram.texts["W3.value"].lines() == ["W₃ =", "−3.201e+153"]
    assert diagram.texts["W3.grad"].lines() == ["∂L/∂W₃ =", "−0.0008343"]
    assert diagram.texts["W2.value"].lines() == ["W₂ = 0.8"]


def test_every_label_has_a_backing_above_the_edges_that_contrasts_with_its_text(diagram):
    # The screenshot: "W₃ = −3.201e+153" in red over a thick red edge.
    diagram.show_state(dict(DEFAULTS, W3=-3.201e153), Uniform(-3.201e153))
    diagram.highlight_chain(CHAIN)
    stacking = diagram.scene().items(Qt.SortOrder.DescendingOrder)
    lines = [shape for name, shape in diagram.shapes.items() if name in WEIGHTS or name.endswith(".link")]
    lines += list(diagram.chain_marks.values())
    lowest_label = max(stacking.index(label.backing) for label in labels(diagram))
    assert lowest_label < min(stacking.index(line) for line in lines)
    backing = over_black(BACKING)
    assert BACKING.alphaF() > 0.85
    for label in labels(diagram):
        assert label.backing.isVisible()
        assert label.backing.sceneBoundingRect().contains(label.sceneBoundingRect()), label.text()
        assert stacking.index(label) < stacking.index(label.backing)    # the text on its backing
        assert contrast(label.brush().color(), backing) >= 4.5, label.text()
    assert diagram.texts["W3.value"].brush().color() != diagram.texts["W2.value"].brush().color()


def test_a_label_is_part_of_its_element(diagram):
    backing = diagram.texts["W3.grad"].backing
    assert diagram.element_at(diagram.mapFromScene(backing.sceneBoundingRect().center())) == "W3"
    diagram.show_sample("sample 3 of 20")
    caption = diagram.caption.sceneBoundingRect().center()
    assert diagram.element_at(diagram.mapFromScene(caption)) == ""


# --- flags -------------------------------------------------------------------

def test_flag_words_follow_the_activation():
    assert flag_words("tanh", 0.01) == flag_words("sigmoid", 0.0) == "saturated"
    assert flag_words("relu", 0.0) == "inactive (dead ReLU)"
    assert flag_words("relu", 0.02) == "nearly inactive"          # a batch: active for few samples
    assert flag_words("leaky_relu", 0.01) == "nearly inactive"
    assert "dead" in flag_explanation("relu", 0.0)
    assert "saturat" not in flag_explanation("leaky_relu", 0.01)
    assert "flat" in flag_explanation("tanh", 0.001)


@pytest.mark.parametrize("spec, change, words", [
    (Spec(), {"W1": 3.0}, "saturated"),
    (Spec(activation1="sigmoid"), {"W1": 5.0}, "saturated"),
    (Spec(activation1="relu"), {"W1": -1.0}, "inactive (dead ReLU)"),
    (Spec(activation1="leaky_relu"), {"W1": -1.0}, "nearly inactive"),
])
def test_the_flag_names_what_the_unit_does(diagram, spec, change, words):
    diagram.show_state(*state(spec, **change), spec=spec)
    flag = diagram.texts["h1.flag"]
    assert flag.text().startswith(words + ":") and "∂h₁/∂z₁" in flag.text()
    assert flag.toolTip().startswith("∂h₁/∂z₁ = ")
    assert ("saturated" in flag.toolTip()) == (words == "saturated")
    assert diagram.texts["h2.flag"].text() == ""
    assert diagram.shapes["h1"].pen().color() == SATURATED


def test_without_a_spec_the_units_are_the_references_tanh(diagram):
    diagram.show_state(*state(**{"W1": 3.0}))
    assert diagram.texts["h1.flag"].text().startswith("saturated:")


# --- predict mode ------------------------------------------------------------

def test_only_the_hidden_terms_show_a_question_mark(diagram):
    values, derivation = state(W1=3.0)
    diagram.show_state(values, derivation, hidden=frozenset({"h2", "dL/dW1", "dh1/dz1"}))
    texts = diagram.texts
    assert texts["h2.value"].text() == "h₂ = ?" and texts["W1.grad"].text() == "∂L/∂W₁ = ?"
    assert "?" not in texts["h1.value"].text() and "?" not in texts["L.value"].text()
    assert "?" not in texts["W2.grad"].text()
    assert texts["W1.value"].text() == "W₁ = 3"          # a parameter is given, never predicted
    # The flag would tell the hidden factor ∂h₁/∂z₁.
    assert texts["h1.flag"].text() == ""
    assert diagram.shapes["h1"].pen().color() != SATURATED


def test_the_walks_hidden_terms_from_its_position_on(diagram):
    values, derivation = state()
    ids = [t.id for t in derivation]
    diagram.show_state(values, derivation, hidden=frozenset(ids[ids.index("h2"):]))
    texts = diagram.texts
    assert "?" not in texts["h1.value"].text()
    assert all("?" in texts[key].text() for key in ("h2.value", "yhat.value", "L.value", "W1.grad", "h1.grad"))


def test_concealed_still_hides_every_computed_term(diagram):
    values, derivation = state()
    diagram.show_state(values, derivation, concealed=True)
    texts = diagram.texts
    for key in ("h1.value", "h2.value", "yhat.value", "L.value", "h1.grad", "yhat.grad"):
        assert texts[key].text().endswith("= ?"), key
    for name in PARAMS:
        assert texts[f"{name}.grad"].text().endswith("= ?")
        assert not texts[f"{name}.value"].text().endswith("?")
    assert texts["x.value"].text() == "x = 2"


# --- the chain and the caption -------------------------------------------------

def test_a_chain_is_lit_apart_from_the_single_highlight(diagram):
    marks = diagram.chain_marks
    diagram.highlight("W2")
    before = {name: QColor(diagram.shapes[name].pen().color()) for name in diagram.shapes}
    diagram.highlight_chain(CHAIN + ("b1",))
    assert {name for name, mark in marks.items() if mark.isVisible()} == set(CHAIN) | {"b1", "b1.link"}
    # The chain lies over the shapes, it does not recolour them.
    assert {name: diagram.shapes[name].pen().color() for name in diagram.shapes} == before
    assert diagram.shapes["W2"].pen().color() == HIGHLIGHT
    for name in ("W3", "W2"):
        halo = marks[name].pen()
        assert halo.color().alpha() < 255 and halo.widthF() > diagram.shapes[name].pen().widthF()
    assert marks["h1"].sceneBoundingRect().contains(diagram.shapes["h1"].sceneBoundingRect())
    diagram.highlight_chain(("yhat", "L"))
    assert {name for name, mark in marks.items() if mark.isVisible()} == {"yhat", "L", "yhat-L"}
    diagram.highlight_chain(())
    assert not any(mark.isVisible() for mark in marks.values())
    assert diagram.shapes["W2"].pen().color() == HIGHLIGHT


def test_the_caption_says_which_sample_is_shown(diagram):
    diagram.show_sample("sample 3 of 20")
    caption = diagram.caption
    assert caption.text() == "sample 3 of 20" and caption.backing.isVisible()
    scene = diagram.sceneRect()
    corner = caption.backing.sceneBoundingRect()
    assert corner.left() - scene.left() < 0.05 * scene.width()
    assert corner.top() - scene.top() < 0.05 * scene.height()
    diagram.show_sample("")
    assert caption.text() == "" and not caption.backing.isVisible()
