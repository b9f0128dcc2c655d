"""The parameter panel: what a learner uses most fits at 1280×800 with the
optimizer, rate and clipping folded away, and a number the chosen network or
update does not use is disabled, saying why."""

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QToolButton

from engine.terms import Spec
from gui.parameters import ParameterPanel

# Below the menu bar, the toolbar and the status bar of an 800-pixel-high screen.
HEIGHT = 640
MOST_USED = ("W1", "b1", "W2", "b2", "W3", "b3", "x", "y", "alpha")
ADVANCED = ("optimizer", "momentum", "rho", "beta1", "beta2", "eps", "schedule", "decay", "decay_every",
            "clip", "clip_c")
CONTRACT = MOST_USED + ("activation1", "activation2", "loss", "leak") + ADVANCED


@pytest.fixture
def panel(qtbot):
    panel = ParameterPanel()
    qtbot.addWidget(panel)
    return panel


def show_in_column(panel, qtbot):
    """Shown at the width the window's left column gives it, as high as it asks."""
    panel.resize(max(230, panel.sizeHint().width()), panel.sizeHint().height())
    panel.show()
    qtbot.waitExposed(panel)


def test_every_box_keeps_its_name(panel):
    for name in CONTRACT:
        box = panel.findChild(object, name)
        assert box is not None, name
        assert box is (panel.spinboxes[name] if name in MOST_USED else panel.choices[name])
    assert set(panel.spinboxes) | set(panel.choices) == set(CONTRACT)


def test_folded_the_most_used_values_fit_at_1280_by_800(panel, qtbot):
    assert not panel.advanced_shown()
    show_in_column(panel, qtbot)
    height = panel.sizeHint().height()
    assert height <= HEIGHT
    for name in MOST_USED:
        box = panel.spinboxes[name]
        assert box.isVisible(), name
        bottom = box.mapTo(panel, QPoint(0, box.height())).y()
        assert 0 < bottom <= height, f"{name} ends at {bottom} px"
    for name in ADVANCED:
        assert not panel.choices[name].isVisible(), name


def test_unfolded_the_advanced_numbers_show(panel, qtbot):
    show_in_column(panel, qtbot)
    folded = panel.sizeHint().height()
    with qtbot.waitSignal(panel.advancedShownChanged) as shown:
        panel.set_advanced_shown(True)
    assert shown.args == [True]
    assert panel.advanced_shown()
    assert panel.sizeHint().height() > folded
    for name in ADVANCED:
        assert panel.choices[name].isVisible(), name


def test_the_toggle_folds_and_unfolds(panel, qtbot):
    show_in_column(panel, qtbot)
    toggle = panel.findChild(QToolButton, "advancedToggle")
    with qtbot.waitSignal(panel.advancedShownChanged) as shown:
        qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert shown.args == [True] and panel.advanced_shown()
    assert toggle.arrowType() == Qt.ArrowType.DownArrow
    with qtbot.waitSignal(panel.advancedShownChanged) as shown:
        qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert shown.args == [False] and not panel.advanced_shown()
    assert not panel.choices["optimizer"].isVisible()


def test_folded_a_summary_names_the_update_in_use(panel, qtbot):
    show_in_column(panel, qtbot)
    panel.show_spec(Spec(optimizer="adam", schedule="step", clip="norm"))
    summary = panel.findChild(object, "advancedSummary")
    assert summary.isVisible()
    assert summary.text() == "Adam · step decay · by norm"


# (field, specs that use it, specs that do not, the reason a disabled box gives)
RULES = [
    ("momentum", [Spec(optimizer="momentum")],
     [Spec(), Spec(optimizer="rmsprop"), Spec(optimizer="adam")], "used by momentum only"),
    ("rho", [Spec(optimizer="rmsprop")],
     [Spec(), Spec(optimizer="momentum"), Spec(optimizer="adam")], "used by RMSprop only"),
    ("beta1", [Spec(optimizer="adam")],
     [Spec(), Spec(optimizer="momentum"), Spec(optimizer="rmsprop")], "used by Adam only"),
    ("beta2", [Spec(optimizer="adam")],
     [Spec(), Spec(optimizer="momentum"), Spec(optimizer="rmsprop")], "used by Adam only"),
    ("eps", [Spec(optimizer="rmsprop"), Spec(optimizer="adam")],
     [Spec(), Spec(optimizer="momentum")], "used by RMSprop or Adam only"),
    ("decay", [Spec(schedule="step"), Spec(schedule="exp")], [Spec(), Spec(optimizer="adam")],
     "used by step decay or exponential decay only"),
    ("decay_every", [Spec(schedule="step")], [Spec(), Spec(schedule="exp")], "used by step decay only"),
    ("clip_c", [Spec(clip="value"), Spec(clip="norm")], [Spec(), Spec(optimizer="adam", schedule="exp")],
     "used only with clipping"),
    ("leak", [Spec(activation1="leaky_relu"), Spec(activation2="leaky_relu")],
     [Spec(), Spec(activation1="relu", activation2="sigmoid")], "used by leaky ReLU only"),
]


@pytest.mark.parametrize("field, using, not_using, reason", RULES, ids=[r[0] for r in RULES])
def test_a_number_the_choice_does_not_use_is_disabled(panel, field, using, not_using, reason):
    box = panel.choices[field]
    for spec in not_using:
        panel.show_spec(spec)
        assert not box.isEnabled(), spec
        assert box.toolTip().startswith(reason), box.toolTip()
        for spec_using in using:   # and back: enabled again, its own tooltip
            panel.show_spec(spec_using)
            assert box.isEnabled(), spec_using
            assert not box.toolTip().startswith("used"), box.toolTip()
            assert box.value() == pytest.approx(getattr(spec_using, field))
            panel.show_spec(spec)
            assert not box.isEnabled(), spec


def test_the_choices_and_the_most_used_numbers_are_never_disabled(panel):
    for spec in (Spec(), Spec(optimizer="adam", schedule="step", clip="value", activation1="leaky_relu")):
        panel.show_spec(spec)
        for name in ("activation1", "activation2", "loss", "optimizer", "schedule", "clip"):
            assert panel.choices[name].isEnabled(), name
        for name in MOST_USED:
            assert panel.spinboxes[name].isEnabled(), name


def test_showing_a_spec_is_not_an_edit(panel, qtbot):
    edits = []
    panel.specEdited.connect(lambda *args: edits.append(args))
    panel.show_spec(Spec(optimizer="adam", beta1=0.5, schedule="step", decay_every=7))
    panel.show_spec(Spec())
    assert edits == []
    panel.show_spec(Spec(optimizer="adam"))
    with qtbot.waitSignal(panel.specEdited) as edited:
        panel.choices["beta1"].setValue(0.5)
    assert edited.args == ["beta1", 0.5]


def test_epsilon_is_shown_and_stepped_by_decades(panel):
    box = panel.choices["eps"]
    panel.show_spec(Spec(optimizer="adam", eps=1e-8))
    assert box.text() == "1e-08" and box.isEnabled()
    edits = []
    panel.specEdited.connect(lambda field, value: edits.append((field, value)))
    box.stepBy(1)
    assert box.text() == "1e-07" and edits[-1] == ("eps", pytest.approx(1e-7, rel=1e-12))
    box.lineEdit().setText("3.5e-10")
    box.interpretText()
    assert edits[-1] == ("eps", 3.5e-10)
    for text in ("1_0e-9", "nan", "１e-9"):   # not the project's number syntax: nothing is set
        box.lineEdit().setText(text)
        box.interpretText()
        assert edits[-1] == ("eps", 3.5e-10) and box.value() == 3.5e-10, text
