"""Choosing the network in the window: activations, leaky slope, loss convention."""

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox

from engine import Spec
from helpers import assert_table_matches, reference_trainer


def choose(window, name, value):
    box = window.findChild(QComboBox, name)
    box.setCurrentIndex(box.findData(value))
    box.activated.emit(box.currentIndex())     # what a click on an item sends
    window.flush()


def test_choosing_an_activation_changes_every_term(window):
    choose(window, "activation1", "relu")
    assert_table_matches(window, reference_trainer(spec=Spec(activation1="relu")).derivation(0))
    titles = [window.table.model().index(r, 0).data() for r in window.table.model().section_rows()]
    assert "Layer 1 (ReLU)" in titles and "Layer 2 (tanh)" in titles
    window.state.train(5)
    window.flush()
    assert_table_matches(window, reference_trainer(5, spec=Spec(activation1="relu")).derivation(5))


def test_loss_convention_and_leak(window):
    choose(window, "loss", "half-squared")
    choose(window, "activation2", "leaky_relu")
    leak = window.findChild(QDoubleSpinBox, "leak")
    leak.setValue(0.2)
    window.flush()
    spec = Spec(activation2="leaky_relu", leak=0.2, loss="half-squared")
    assert window.state.spec() == spec
    assert_table_matches(window, reference_trainer(spec=spec).derivation(0))
    assert window.state.derivation()["dL/dyhat"].formula == "ŷ − y"


def test_network_changes_are_undoable_and_branch(window):
    window.state.train(4)
    window.state.move_to(2)
    choose(window, "activation1", "sigmoid")
    assert len(window.state.timeline) == 3 and window.state.spec() == Spec(activation1="sigmoid")
    assert window.state.spec(1) == Spec()         # the states before the branch keep their network
    window.actionUndo.trigger()
    window.flush()
    assert len(window.state.timeline) == 5 and window.state.spec() == Spec()
    assert window.findChild(QComboBox, "activation1").currentData() == "tanh"


def test_choosing_an_optimizer_shows_its_update_rows(window):
    choose(window, "optimizer", "adam")
    spec = Spec(optimizer="adam")
    window.state.train(3)
    window.flush()
    reference = reference_trainer(3, spec=spec)
    assert_table_matches(window, reference.derivation(3))
    ids = [t.id for t in window.state.derivation()]
    assert "m_W1_next" in ids and "mhat_W1" in ids
    titles = [window.table.model().index(r, 0).data() for r in window.table.model().section_rows()]
    assert any(title.startswith("Adam update") for title in titles)


def test_an_edit_keeps_the_optimizer_going(window):
    choose(window, "optimizer", "momentum")
    window.state.train(4)
    before = window.state.timeline.optimizer_state(4)
    assert any(v != 0 for v in before.values())
    window.set_value("b2", 0.25)
    assert window.state.timeline.optimizer_state(4) == before     # the velocity carries over
    window.actionReset.trigger()
    assert window.state.timeline.optimizer_state(0) == before     # back to that hand-set state


def test_clipping_and_the_schedule_in_the_window(window):
    from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox
    choose(window, "clip", "norm")
    window.findChild(QDoubleSpinBox, "clip_c").setValue(0.5)
    choose(window, "schedule", "step")
    window.findChild(QDoubleSpinBox, "decay").setValue(0.5)
    window.findChild(QSpinBox, "decay_every").setValue(2)
    spec = Spec(clip="norm", clip_c=0.5, schedule="step", decay=0.5, decay_every=2)
    assert window.state.spec() == spec
    window.state.train(5)
    window.flush()
    assert_table_matches(window, reference_trainer(5, spec=spec).derivation(5))
    ids = [t.id for t in window.state.derivation()]
    assert "grad_norm" in ids and "lr" in ids


def test_no_clipping_shows_again_after_undo(window):
    choose(window, "clip", "value")
    window.actionUndo.trigger()
    window.flush()
    assert window.state.spec().clip is None
    assert window.findChild(QComboBox, "clip").currentText() == "no clipping"
