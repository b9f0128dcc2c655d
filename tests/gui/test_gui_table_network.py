"""The derivation table and the walk-through for a network of any shape: a
row per vector or matrix term, expanding into its elements; the numerical
check per element; the diagram's ids and the chain per element; predict mode
by vector stops.  Every number is compared with a fresh engine derivation."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from engine import expr, network
from engine.elements import element_sources
from engine.expr import number
from engine.terms import Spec
from gui.derivation_model import CHAIN_ROLE, EXPANDED_ROLE, NetworkIndex, network_kinds
from gui.derivation_table import DerivationTable
from gui.state import ExplorerState
from gui.walkthrough import EXPLAIN, PREDICT, WalkPanel


def shown_of(example="mazur", train=0):
    state = ExplorerState()
    state.push(state.example_command(example))
    if train:
        state.train(train)
    return state, state.shown()


def fresh(shown):
    """The shown state's derivation, made again by the engine."""
    return network.derive(shown.spec, shown.params, shown.x, shown.y, shown.alpha,
                          dict(shown.optimizer_state) or None)


@pytest.fixture
def mazur():
    return shown_of("mazur")


@pytest.fixture
def table(qtbot):
    view = DerivationTable()
    qtbot.addWidget(view)
    view.resize(1200, 1600)
    view.show()
    qtbot.waitExposed(view)
    return view


def ids(table):
    model = table.model()
    return [model.term(r).id for r in model.term_rows()]


def row(table, term_id):
    return table.model().row_of(term_id)


def cells(table, term_id):
    model = table.model()
    return [model.index(row(table, term_id), c).data() for c in range(4)]


def click_arrow(qtbot, table, term_id):
    rect = table.visualRect(table.model().index(row(table, term_id), 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 6, rect.center().y()))


def test_one_row_per_vector_term_with_its_matrix_formula(table, mazur):
    state, shown = mazur
    table.set_derivation(shown.derivation)
    derivation = fresh(shown)
    assert ids(table) == [v.id for v in derivation.vectors]   # collapsed: no element rows
    for v in derivation.vectors:
        if len(v.elements) == 1 and v.elements[0].id == v.id:     # one number: a plain row, as L
            assert cells(table, v.id) == [v.symbol, v.elements[0].formula, v.elements[0].substitution,
                                          number(v.elements[0].value, 6)]
            assert not table.model().is_expandable(row(table, v.id))
        else:
            assert cells(table, v.id) == [v.symbol, v.formula, v.substitution, v.value]
            assert table.model().is_expandable(row(table, v.id))
    assert cells(table, "dL/dW2")[:2] == ["∂L/∂W₂", "∂L/∂z₂ h₁ᵀ"]
    titles = [table.model().index(r, 0).data() for r in table.model().section_rows()]
    assert titles == [derivation.titles[s] for s in dict.fromkeys(v.layer for v in derivation.vectors)]


def test_a_click_on_the_arrow_shows_the_elements(qtbot, table, mazur):
    _, shown = mazur
    table.set_derivation(shown.derivation)
    derivation = fresh(shown)
    vector = next(v for v in derivation.vectors if v.id == "dL/dW2")
    click_arrow(qtbot, table, "dL/dW2")
    assert table.model().index(row(table, "dL/dW2"), 0).data(EXPANDED_ROLE) is True
    start = row(table, "dL/dW2")
    model = table.model()
    shown_ids = [model.term(start + 1 + i).id for i in range(4)]
    assert shown_ids == ["dL/dW2[1,1]", "dL/dW2[1,2]", "dL/dW2[2,1]", "dL/dW2[2,2]"]
    for e in vector.elements:
        assert cells(table, e.id)[:3] == [e.symbol, e.formula, e.substitution]
        tip = model.index(row(table, e.id), 3).data(Qt.ItemDataRole.ToolTipRole)
        assert float(tip) == e.value                        # the exact float
    assert cells(table, "dL/dW2[1,2]")[:2] == ["∂L/∂W₂[1,2]", "∂L/∂z₂[1] × h₁[2]"]
    # The element's arithmetic gives its value: ∂L/∂z₂[1] × h₁[2].
    assert math.isclose(derivation.value("dL/dz2[1]") * derivation.value("h1[2]"),
                        derivation.value("dL/dW2[1,2]"), rel_tol=1e-12)
    click_arrow(qtbot, table, "dL/dW2")
    assert "dL/dW2[1,2]" not in ids(table)


def test_the_keyboard_expands_and_collapses(qtbot, table, mazur):
    _, shown = mazur
    table.set_derivation(shown.derivation)
    table.setFocus()
    table.select_term("dL/dh1")
    qtbot.keyClick(table, Qt.Key.Key_Right)
    assert ids(table)[ids(table).index("dL/dh1") + 1:][:2] == ["dL/dh1[1]", "dL/dh1[2]"]
    qtbot.keyClick(table, Qt.Key.Key_Down)            # onto the first element
    assert table.model().term(table.currentIndex().row()).id == "dL/dh1[1]"
    qtbot.keyClick(table, Qt.Key.Key_Left)            # as a tree: up to the vector row
    assert table.model().term(table.currentIndex().row()).id == "dL/dh1"
    qtbot.keyClick(table, Qt.Key.Key_Minus)
    assert "dL/dh1[1]" not in ids(table)
    qtbot.keyClick(table, Qt.Key.Key_Plus)
    assert "dL/dh1[1]" in ids(table)
    qtbot.keyClick(table, Qt.Key.Key_Return)          # Enter: the other way
    assert "dL/dh1[1]" not in ids(table)
    qtbot.keyClick(table, Qt.Key.Key_Enter)
    assert "dL/dh1[1]" in ids(table)


def test_element_rows_of_every_gradient_carry_their_check(table, mazur):
    state, shown = mazur
    checks = state.gradient_checks(wait=True)
    table.set_derivation(shown.derivation, checks)
    model = table.model()
    spec, params = shown.spec, {k: np.array(v, dtype=float) for k, v in shown.params.items()}
    loss = network.loss_function(spec)
    x, y = network.columns(shown.x, spec.layers[0]), network.columns(shown.y, spec.layers[-1])
    checked = 0
    for vector in fresh(shown).vectors:
        if not vector.id.startswith("dL/d") or vector.id[4:] not in params:
            continue
        table.set_expanded(vector.id)
        assert model.index(row(table, vector.id), 4).data() == f"{len(vector.elements)} elements"
        assert "✓" in model.index(row(table, vector.id), 5).data()
        for e in vector.elements:
            numeric = float(model.index(row(table, e.id), 4).data().replace("−", "-"))
            # The central difference of the engine's loss, taken here.
            name, index = e.id[4:].partition("[")[::2]
            i, j = (int(k) - 1 for k in (index[:-1].split(",") + ["1"])[:2])
            h = 1e-6 * max(1.0, abs(params[name][i, j]))
            moved = [dict(params), dict(params)]
            for sign, p in zip((1, -1), moved):
                p[name] = params[name].copy()
                p[name][i, j] += sign * h
            difference = (float(np.mean(loss(*(moved[0][k] for k in network.table(spec).params), x, y)))
                          - float(np.mean(loss(*(moved[1][k] for k in network.table(spec).params), x, y)))) / (2 * h)
            assert math.isclose(numeric, difference, rel_tol=1e-4, abs_tol=1e-9)
            assert "✓" in model.index(row(table, e.id), 5).data()
            checked += 1
    assert checked == 4 + 2 + 4 + 2 == len(checks)
    assert model.index(row(table, "dL/dz2"), 4).data() == ""     # only the parameters' gradients


def test_expanded_rows_stay_across_redraws_of_the_same_network(qtbot, table):
    state, shown = shown_of("mazur")
    table.set_derivation(shown.derivation)
    table.set_expanded("dL/dW1")
    table.select_term("dL/dW1[2,1]")
    resets = []
    table.model().modelReset.connect(lambda: resets.append(1))
    state.train(3)
    later = state.shown()
    table.set_derivation(later.derivation)
    assert resets == []                                   # a redraw: no reset, the selection stays
    assert table.model().term(table.currentIndex().row()).id == "dL/dW1[2,1]"
    assert float(table.model().index(row(table, "dL/dW1[2,1]"), 3).data(Qt.ItemDataRole.ToolTipRole)) \
        == fresh(later).value("dL/dW1[2,1]")
    assert fresh(later).value("dL/dW1[2,1]") != fresh(shown).value("dL/dW1[2,1]")
    # Another shape: a new network, every row collapsed.
    state.push(state.layers_command((2, 3, 2)))
    table.set_derivation(state.shown().derivation)
    assert resets and not table.model().expanded()
    assert "dL/dW1[3,2]" not in ids(table) and "dL/dW1" in ids(table)


@pytest.mark.parametrize("term_id, element", [
    ("dL/dW2[1,2]", "W2[1,2]"), ("W2_next[1,2]", "W2[1,2]"), ("z1[2]", "h1[2]"), ("h1[2]", "h1[2]"),
    ("dL/dh1[2]", "h1[2]"), ("dh1/dz1[1]", "h1[1]"), ("z2[1]", "yhat[1]"), ("dL/dyhat[2]", "yhat[2]"),
    ("dL/db1[2]", "b1[2]"), ("err[1]", "L"), ("L", "L"), ("dL/dW2", "W2"), ("h1", "h1")])
def test_selecting_a_row_names_its_diagram_element(qtbot, table, mazur, term_id, element):
    table.set_derivation(mazur[1].derivation)
    with qtbot.waitSignal(table.elementSelected) as blocker:
        table.select_term(term_id)
    assert blocker.args == [element]


def lit(table):
    model = table.model()
    return {model.term(r).id for r in model.term_rows() if model.index(r, 0).data(CHAIN_ROLE)}


def test_an_element_gradient_lights_its_own_chain(qtbot, table, mazur):
    _, shown = mazur
    table.set_derivation(shown.derivation)
    derivation = fresh(shown)
    with qtbot.waitSignal(table.chainChanged) as blocker:
        table.select_term("dL/dW2[1,2]")
    assert blocker.args[0][0] == "L" and blocker.args[0][-1] == "W2[1,2]"
    assert set(blocker.args[0]) == {"L", "yhat[1]", "h1[2]", "W2[1,2]"}     # not unit 2 of the output
    factors = set(table.model().chain_factors())
    assert factors == {"dL/dz2[1]", "h1[2]", "dL/dyhat[1]", "dyhat/dz2[1]", "err[1]"}
    # The chain multiplies out: ∂L/∂ŷ[1] × ∂ŷ/∂z₂[1] × h₁[2].
    product = derivation.value("dL/dyhat[1]") * derivation.value("dyhat/dz2[1]") * derivation.value("h1[2]")
    assert math.isclose(product, derivation.value("dL/dW2[1,2]"), rel_tol=1e-12)
    # Collapsed vector rows that hold a lit element are lit too; expanding shows the element lit.
    assert {"dL/dz2", "h1", "dL/dyhat"} <= lit(table)
    table.set_expanded("h1")
    assert "h1[2]" in lit(table) and "h1[1]" not in lit(table)
    tip = table.model().index(row(table, "dL/dW2[1,2]"), 1).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.splitlines()[0].startswith("∂L/∂W₂[1,2] = ∂L/∂z₂[1] × h₁[2] = ")
    assert "∂L/∂z₂[1] = ∂L/∂ŷ[1] × ∂ŷ/∂z₂[1]" in tip


def test_a_sum_over_units_lights_every_branch(qtbot, table, mazur):
    table.set_derivation(mazur[1].derivation)
    table.select_term("dL/dW1[2,1]")
    factors = set(table.model().chain_factors())
    # ∂L/∂h₁[2] = W₂[1,2] ∂L/∂z₂[1] + W₂[2,2] ∂L/∂z₂[2]: both output units.
    assert {"dL/dz1[2]", "x[1]", "dL/dh1[2]", "dh1/dz1[2]", "dL/dz2[1]", "dL/dz2[2]",
            "W2[1,2]", "W2[2,2]"} <= factors
    assert "dL/dh1[1]" not in factors
    elements = table._chain_elements
    assert {"W2[1,2]", "W2[2,2]", "x[1]", "h1[2]", "W1[2,1]"} <= set(elements) and "W2[1,1]" not in elements
    # Hovering another gradient row lights its chain instead; leaving goes back to the selected one's.
    table.set_expanded("dL/db2")
    table.scrollTo(table.model().index(row(table, "dL/db2[2]"), 0))
    with qtbot.waitSignal(table.chainChanged) as blocker:
        qtbot.mouseMove(table.viewport(), table.visualRect(table.model().index(row(table, "dL/db2[2]"), 1)).center())
    assert set(blocker.args[0]) == {"L", "yhat[2]", "b2[2]"}
    with qtbot.waitSignal(table.chainChanged) as blocker:
        QApplication.sendEvent(table.viewport(), QEvent(QEvent.Type.Leave))
    assert blocker.args[0] == elements


def test_a_vector_gradient_lights_the_vector_chain(qtbot, table, mazur):
    table.set_derivation(mazur[1].derivation)
    with qtbot.waitSignal(table.chainChanged) as blocker:
        table.select_term("dL/dW2")
    assert blocker.args[0] == ("L", "yhat", "h1", "W2")
    assert {"dL/dz2", "h1", "dL/dyhat", "dyhat/dz2"} <= lit(table) and "dL/dW1" not in lit(table)


def test_the_diagrams_hover_lights_an_elements_rows(table, mazur):
    table.set_derivation(mazur[1].derivation)
    model = table.model()
    count = model.rowCount()
    model.set_highlight("h1[2]")
    rows = model.term_rows("h1[2]")
    highlighted = [r for r in model.term_rows() if model.index(r, 0).data(Qt.ItemDataRole.BackgroundRole) is not None]
    assert highlighted == rows
    elements = {model.term(r).id for r in rows if "[" in model.term(r).id}
    # Shown under their collapsed vectors: every element of unit 2 of layer 1.
    assert elements == {"z1[2]", "h1[2]", "dL/dh1[2]", "dh1/dz1[2]", "dL/dz1[2]", "h1_next[2]"}
    assert {"z1", "h1", "dL/dh1"} <= {model.term(r).id for r in rows}
    assert not model.expanded()
    model.set_highlight("")
    assert model.rowCount() == count and "h1[2]" not in ids(table)
    model.set_highlight("W2[2,1]")
    assert {model.term(r).id for r in model.term_rows("W2[2,1]") if "[" in model.term(r).id} == \
        {"dL/dW2[2,1]", "W2_next[2,1]"}


def test_copy_of_element_rows(qtbot, table, mazur):
    _, shown = mazur
    table.set_derivation(shown.derivation)
    table.select_term("dL/dW2[2,2]")
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    term = fresh(shown)["dL/dW2[2,2]"]
    cells_ = QGuiApplication.clipboard().text().split("\t")
    assert cells_[:4] == [term.symbol, term.formula, term.substitution, number(term.value, 6)]


def test_the_model_passes_the_model_tester(table, mazur, qtmodeltester):
    table.set_derivation(mazur[1].derivation)
    table.set_expanded("dL/dW2")
    table.model().set_highlight("h1[1]")
    qtmodeltester.check(table.model())


@pytest.mark.parametrize("spec", [
    Spec(layers=(2, 2, 2), activation1="sigmoid", output_activation="sigmoid", loss="half-squared"),
    Spec(layers=(1, 3, 2, 1), optimizer="adam"),
    Spec(layers=(2, 2, 3), clip="norm", clip_c=0.5, optimizer="momentum"),
    Spec(layers=(1, 2, 2, 2, 2, 1), activation1="sigmoid", activation2="sigmoid",
         activation3="sigmoid", activation4="sigmoid")])
def test_the_kinds_read_off_a_derivation_are_the_engines(spec):
    tab = network.table(spec)
    rng = np.random.default_rng(3)
    params = {p: rng.normal(size=(k.rows, k.cols)) for p, k in ((p, tab.kinds[p]) for p in tab.params)}
    derivation = network.derive(spec, params, rng.normal(size=spec.layers[0]),
                                rng.normal(size=spec.layers[-1]), 0.1)
    kinds = network_kinds(derivation)
    read = set().union(*(expr.source_names(t.source) for t in tab.terms))
    assert {n: kinds[n] for n in read if n in kinds and kinds[n].form != "scalar"} == \
        {n: tab.kinds[n] for n in read if n in tab.kinds and tab.kinds[n].form != "scalar"}
    # So each element's scalar formula, as the table's chain reads it, is the engine's.
    key = tuple(sorted(kinds.items()))
    by_id = {t.id: t for t in tab.terms}
    for v in derivation.vectors:
        for e, source in zip(v.elements, element_sources(by_id[v.id].source, key)):
            assert expr.render(expr.parse(source), lambda n: (expr.symbol(n), False)) == e.formula
    index = NetworkIndex(derivation)
    assert set(index.reads) == {e.id for e in derivation}


# --- the walk-through -------------------------------------------------------------

@pytest.fixture
def walk(qtbot):
    panel = WalkPanel()
    qtbot.addWidget(panel)
    return panel


def test_the_walk_stops_at_every_vector_term(walk, mazur):
    _, shown = mazur
    derivation = fresh(shown)
    walk.start(EXPLAIN, shown.derivation)
    seen = []
    while True:
        seen.append(walk.term.id)
        assert f"Stop {len(seen)} of {len(derivation.vectors)}" in walk.title.text()
        if walk.index == walk.stop_count - 1:
            break
        walk.next()
    assert seen == [v.id for v in derivation.vectors]
    walk.previous()
    assert walk.term.id == derivation.vectors[-2].id
    while walk.term.id != "dL/dW2":
        walk.previous()
    vector = next(v for v in derivation.vectors if v.id == "dL/dW2")
    assert vector.value in walk.caption.text() and vector.formula in walk.title.text()
    for e in vector.elements:   # each element's arithmetic, one line each
        assert f"{e.symbol} = {e.formula} = {e.substitution} = {number(e.value, 6)}" in walk.caption.text()


def test_predict_a_matrix_stop_element_by_element(qtbot, walk, table, mazur):
    _, shown = mazur
    derivation = fresh(shown)
    walk.start(PREDICT, shown.derivation)
    table.set_derivation(shown.derivation)
    while walk.term.id != "dL/dW2":
        walk.next()
    vector = walk.term
    start = [e.id for e in derivation].index("dL/dW2[1,1]")
    assert walk.hidden_from == start
    table.model().set_hidden_from(walk.hidden_from)
    table.set_expanded("dL/dW2")
    model = table.model()
    assert model.index(row(table, "dL/dW2"), 3).data() == "?"
    assert model.index(row(table, "dL/dW2[1,2]"), 3).data() == "?"
    assert model.index(row(table, "dL/dW2[1,2]"), 2).data() == derivation["dL/dW2[1,2]"].substitution
    assert model.index(row(table, "dL/dz2"), 3).data() == next(v.value for v in derivation.vectors
                                                                if v.id == "dL/dz2")
    assert "?" in walk.caption.text() and vector.value not in walk.caption.text()
    values = [derivation.value(e.id) for e in vector.elements]
    walk.prediction.setText(f"[{values[0]}, {values[1]}; {values[2]}, {values[3] * 3}]")   # one wrong
    walk.check()
    assert "Not quite (3 of 4" in walk.verdict.text() and walk.score_label.text() == "Score: 0 of 1"
    assert walk.hidden_from == start + 4
    walk.check()                                      # on to the next stop
    assert walk.term.id == "dL/db2"
    walk.prediction.setText(" ".join(repr(derivation.value(e)) for e in ("dL/db2[1]", "dL/db2[2]")))
    walk.check()
    assert walk.verdict.text().startswith("✓ Right") and walk.score_label.text() == "Score: 1 of 2"
    walk.check()
    walk.prediction.setText("0.1 0.2 0.3")
    walk.check()
    assert "Type its 2 elements" in walk.verdict.text() and not walk.revealed


def test_a_matrix_stop_may_be_predicted_by_its_first_elements_alone(qtbot, walk, table, mazur):
    _, shown = mazur
    derivation = fresh(shown)
    walk.start(PREDICT, shown.derivation)
    while walk.term.id != "dL/dW2":
        walk.next()
    first, second = derivation.value("dL/dW2[1,1]"), derivation.value("dL/dW2[1,2]")
    walk.prediction.setText(f"{first} {second}")
    walk.check()
    assert walk.verdict.text().startswith("✓ Right (the first 2 of its 4 elements)") and walk.revealed
    assert walk.score_label.text() == "Score: 1 of 1"
    walk.check()                                      # on to ∂L/∂b₂, two elements
    walk.prediction.setText(str(-derivation.value("dL/db2[1]")))
    walk.check()
    assert walk.verdict.text().startswith("✗ Not quite (0 of the first 1 of its 2 elements within)")
    assert walk.score_label.text() == "Score: 1 of 2"


def test_the_walk_of_a_scalar_stop_and_a_batch(walk):
    _, shown = shown_of("curve")
    derivation = fresh(shown)
    walk.start(PREDICT, shown.derivation)
    while walk.term.id != "L":
        walk.next()
    walk.prediction.setText(repr(derivation.value("L")))
    walk.check()
    assert walk.verdict.text().startswith("✓ Right")
    walk.stop()
    walk.start(EXPLAIN, shown.derivation)
    while walk.term.id != "dL/dW2":
        walk.next()
    assert f"the mean over the {len(shown.x)} samples" in walk.caption.text()
    assert "60 more" in walk.caption.text()         # 8×8: four written out, the table has the rest


def test_the_walk_follows_a_new_state_and_another_shape(walk):
    state, shown = shown_of("mazur")
    walk.start(EXPLAIN, shown.derivation)
    for _ in range(5):
        walk.next()
    state.train(1)
    walk.set_derivation(state.shown().derivation, step=1)
    assert walk.index == 5 and walk.term.id == fresh(state.shown()).vectors[5].id
    state.push(state.layers_command((2, 1)))
    walk.set_derivation(state.shown().derivation, step=1)
    assert walk.stop_count == len(fresh(state.shown()).vectors) and walk.index == min(5, walk.stop_count - 1)
