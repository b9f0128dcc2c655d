"""A seeded random walk through the whole window with networks of any shape
(issue 14): worked examples, shapes typed in the layers box (good and bad),
element edits in the panel and on the diagram, α and the activations, steps
and short runs, step back and forward, the timeline slider, undo and redo,
table rows expanded and collapsed, the plot tabs, Explain and Predict.

After every action no exception may have escaped into Qt, and every view
must show what the engine computes afresh for the shown state: its derivation
rebuilt here with engine.network.derive (engine.derive for the 1-1-1-1
chain) from the parameters and samples the timeline recorded, against the
derivation table's rows (each vector row and the element rows of the
expanded ones), the status line, the diagram's labels, edges and tooltips,
the panel's editors, the slider and the loss curve.  A change is also checked
against the engine's own building of it (the trainer an edit must start, the
parameters a shape's initialization draws, a worked example's numbers), and
undo and redo against the line as it was at that place of the stack.

The actions come from ``random.Random(seed)``; a run is ticked by hand on a
clock of the walk's own and the layers box's seed is drawn from the walk's
seed, so a seed replays the same walk.  A failure names the seed, the action
and the actions before it.  Replay (and optionally lengthen) one with

    BACKPROP_SEED=7 BACKPROP_ACTIONS=300 pytest tests/gui/test_gui_random_network.py

(BACKPROP_TAIL=80 lists more of the actions before a failure; BACKPROP_LOG=1
with -s prints every action.)
"""

import collections
import dataclasses
import math
import os
import random

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine import DEFAULTS, LIMITS, InputError, Spec, Trainer
from engine import derive as chain_derive
from engine.elements import element_id, indices
from engine.examples import EXAMPLES, samples as example_samples
from engine.expr import number, symbol
from engine.init import SEED_RANGE, initialize, initialize_network
from engine.layers import params_of, parse_layers
from engine.network import derive as network_derive, table as network_table
from engine.network_training import NetworkTrainer
from engine.terms import ACTIVATIONS, OUTPUT_ACTIVATIONS, REFERENCE_LAYERS
from gui.loss_plot import LINEAR_CEILING
from gui.matrix_editor import ElementTable
from gui.walkthrough import PREDICT
from helpers import Clock, walk_actions

DEFAULT_SEEDS = (11, 22, 33)
SEEDS = (int(os.environ["BACKPROP_SEED"]),) if os.environ.get("BACKPROP_SEED") else DEFAULT_SEEDS
ACTIONS = int(os.environ.get("BACKPROP_ACTIONS", "200"))
MAX_STATES = 400          # a longer line is cut back by stepping back and branching: runs stay short
CHAIN_PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
# Shapes typed in the layers box: networks the window trains quickly, and text it must refuse.
GOOD_SHAPES = ("2-2-2", "1-3-1", "2-4-1", "2-3-2-1", "1-1-1-1", "3-2", "1-8-8-1", "2-2-2-2-2", " 2 - 3 - 1 ")
BAD_SHAPES = ("2-9-1", "0-2", "2-x-1", "1", "2--1", "1-1-1-1-1-1-1", "", "8-8-8-8-8-8-8", "-2-2")
RATES = (100, 1000)
WEIGHTS = {"example": 4, "layers": 5, "element_panel": 10, "element_diagram": 7, "alpha": 4, "activation": 5,
           "step": 8, "run": 4, "back": 5, "forward": 4, "slider": 5, "undo": 7, "redo": 5, "expand": 6,
           "tab": 3, "walk": 4, "walk_move": 4}


# --- what the engine computes afresh ---------------------------------------

def fresh_derivation(timeline, step):
    """The derivation of ``step`` rebuilt here from what the timeline recorded:
    the state's parameters and optimizer state, its segment's samples (the
    batch of the update from it) and α."""
    trainer, index = timeline.locate(step)
    batch = trainer.batch(index)
    x, y = trainer.x[batch], trainer.y[batch]
    if isinstance(trainer, NetworkTrainer):
        return network_derive(trainer.spec, trainer.params(index), x, y, trainer.alpha,
                              trainer.optimizer_state(index))
    return chain_derive(trainer.params(index), x, y, trainer.alpha, trainer.spec, trainer.optimizer_state(index))


def content(timeline):
    """Everything the line holds: each segment's network, samples, rate and recorded rows."""
    return [(s.trainer.spec, s.trainer.alpha, np.asarray(s.trainer.x).tobytes(), np.asarray(s.trainer.y).tobytes(),
             s.trainer.batch_size, s.trainer.shuffle_seed, s.trainer.history.rows(0, s.length).copy())
            for s in timeline.segments]


def same(a, b):
    return len(a) == len(b) and all(sa[:6] == sb[:6] and sa[6].shape == sb[6].shape and np.array_equal(sa[6], sb[6])
                                    for sa, sb in zip(a, b))


def differences(a, b):
    if len(a) != len(b):
        return f"{len(a)} segments against {len(b)}"
    for i, (sa, sb) in enumerate(zip(a, b)):
        if sa[:6] != sb[:6]:
            return f"segment {i}: {sa[0]} α {sa[1]} against {sb[0]} α {sb[1]}"
        if sa[6].shape != sb[6].shape or not np.array_equal(sa[6], sb[6]):
            return f"segment {i}: rows {sa[6].shape} against {sb[6].shape}"
    return "no difference"


def same_value(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def shown_number(text):
    return float(text.replace("−", "-"))


def is_shown_as(text, value):
    """A diagram label's number: the value rounded to the digits that fit (or "…": on hover)."""
    return text == "…" or text in {number(value, d) for d in range(1, 5)}


def element_of(name, array, i, j):
    return float(np.asarray(array)[i - 1, j - 1])


def parse_element(element):
    """``W2[1,2]`` -> ("W2", 1, 2); ``b1[3]`` -> ("b1", 3, 1)."""
    name, _, index = element.partition("[")
    i, _, j = index[:-1].partition(",")
    return name, int(i), int(j or 1)


class Walk:
    def __init__(self, window, qtbot, seed):
        self.window, self.qtbot, self.state = window, qtbot, window.state
        self.seed = seed
        self.rng = random.Random(seed)
        self.log = []
        self.prefix = ""
        self.action = ""
        self.tally = collections.Counter()
        self.clock = Clock()
        self.lines = {0: content(self.state.timeline)}   # the line at each index of the undo stack

    # --- helpers ---------------------------------------------------------
    def note(self, text):
        self.log.append(self.prefix + text)

    def outcome(self, what):
        self.log[-1] += f": {what}"
        self.tally[f"{self.action} {what.split(' ')[0]}"] += 1

    def where(self):
        return f"at {self.state.cursor}/{self.state.last} ({'-'.join(map(str, self.state.spec().layers))})"

    def samples(self):
        trainer = self.state.timeline.locate(self.state.cursor)[0]
        return trainer.x, trainer.y, trainer.batch_size, trainer.shuffle_seed

    def expected_trainer(self, spec, values, optimizer_state, samples):
        """The trainer a change must start at the shown state, built here by the engine; None if refused."""
        x, y, size, seed = samples
        try:
            if spec.is_reference_shape:
                return Trainer({p: values[p] for p in CHAIN_PARAMS}, x, y, values["alpha"], spec=spec,
                               state=optimizer_state, batch_size=size, shuffle_seed=seed)
            return NetworkTrainer(spec, {p: values[p] for p in params_of(spec.layers)}, x, y, values["alpha"],
                                  state=optimizer_state, batch_size=size, shuffle_seed=seed)
        except InputError:
            return None

    def change(self, what, act, expected, noop=False):
        """``act()`` is a change at the shown state: nothing if ``noop``, refused
        (said so, nothing changed) if ``expected`` is None, else the line up to
        the shown state and then ``expected``'s first state (a new branch)."""
        state, window = self.state, self.window
        before, cursor, index = content(state.timeline), state.cursor, state.undo_stack.index()
        act()
        after = content(state.timeline)
        if noop or expected is None:
            assert same(after, before), f"{what}: {'nothing to do' if noop else 'refused'}, yet the line changed"
            assert state.cursor == cursor and state.undo_stack.index() == index, \
                f"{what}: {'nothing to do' if noop else 'refused'}, yet the state or the undo stack moved"
            if not noop:
                assert window.statusBar().currentMessage().startswith("Not applied"), \
                    f"{what}: refused without saying so ({window.statusBar().currentMessage()!r})"
            if not noop:
                self.log[-1] += f" [{window.statusBar().currentMessage()[:90]}]"
            return "unchanged" if noop else "refused"
        assert state.cursor == cursor and state.last == cursor, \
            f"{what}: the change does not start a branch at the shown state {cursor}"
        assert state.undo_stack.index() in (index, index + 1), f"{what}: not one undoable change"
        trainer = state.timeline.locate(cursor)[0]
        assert trainer.spec == expected.spec and trainer.alpha == expected.alpha, \
            f"{what}: the network is {trainer.spec}, α {trainer.alpha}; the engine's {expected.spec}, α {expected.alpha}"
        assert np.array_equal(trainer.x, expected.x) and np.array_equal(trainer.y, expected.y), \
            f"{what}: not the samples the engine's trainer has"
        row = trainer.history.row(0)
        assert np.array_equal(row, expected.history.row(0)), \
            f"{what}: the new state is not the one the engine builds for it"
        return "applied"

    def values(self):
        return self.state.edited_values()

    # --- the actions -------------------------------------------------------
    def example(self):
        combo = self.window.network_bar.examples
        name = self.rng.choice(sorted(EXAMPLES))
        self.note(f"example {name} {self.where()}")
        example = EXAMPLES[name]
        spec = Spec(**example["network"], **example.get("update", {}))
        if "init" in example:
            scheme, seed = example["init"]
            params = initialize(scheme, seed) if spec.layers == REFERENCE_LAYERS else \
                initialize_network(scheme, seed, spec.layers)
        else:
            params = example["params"]
        if "data" in example:
            x, y = example_samples(name)
            if spec.is_reference_shape:
                x, y = x.ravel(), y.ravel()
            samples = (x, y, None, None)
            first = (x[0], y[0])
        else:
            samples = (example["x"], example["y"], None, None)
            first = (example["x"], example["y"])
        values = dict(params, x=first[0], y=first[1], alpha=example["alpha"])
        expected = self.expected_trainer(spec, values, None, samples)
        assert expected is not None, f"the engine refuses the worked example {name}"
        index = combo.findData(name)
        assert index >= 0, f"{name} is not offered"

        def act():
            combo.activated.emit(index)   # a learner's pick
        self.outcome(self.change(f"example {name}", act, expected))
        assert combo.currentIndex() == -1, "the examples' box does not go back to its placeholder"

    def layers(self):
        box = self.window.network_bar.layers
        good = self.rng.random() < 0.7
        text = self.rng.choice(GOOD_SHAPES if good else BAD_SHAPES)
        seed = self.rng.randrange(SEED_RANGE)
        self.layers_seed = seed
        self.note(f"layers {text!r} (seed {seed}) {self.where()}")
        state = self.state
        try:
            layers = parse_layers(text)
        except InputError:
            expected, noop = None, False
        else:
            spec = dataclasses.replace(state.spec(), layers=layers)
            noop = spec == state.spec()
            values = self.values()
            old = state.spec().layers
            params = initialize("xavier", seed) if layers == REFERENCE_LAYERS else \
                initialize_network("xavier", seed, layers)
            if (old[0], old[-1]) == (layers[0], layers[-1]):
                x, y, size, shuffle = self.samples()
                if layers == REFERENCE_LAYERS or old == REFERENCE_LAYERS:
                    shape = (-1,) if layers == REFERENCE_LAYERS else (-1, 1)
                    x, y = np.reshape(x, shape), np.reshape(y, shape)
                samples = (x, y, size, shuffle)
            else:   # other input or output widths: one sample (the chain's, or 0.5s)
                x, y = (DEFAULTS["x"], DEFAULTS["y"]) if layers == REFERENCE_LAYERS else \
                    (np.full(layers[0], 0.5), np.full(layers[-1], 0.5))
                samples = (x, y, None, None)
            expected = self.expected_trainer(spec, dict(values, **params), None, samples)

        def act():
            box.setFocus()
            box.selectAll()
            if text:
                QTest.keyClicks(box, text)
            else:
                QTest.keyClick(box, Qt.Key.Key_Delete)
            QTest.keyClick(box, Qt.Key.Key_Return)
            self.window.table.setFocus()   # the learner moves on
        self.outcome(self.change(f"layers {text!r}", act, expected, noop=noop))
        if expected is not None and not noop:
            assert self.state.undo_stack.undoText().startswith(f"Layers {'-'.join(map(str, layers))} "
                                                              f"(Xavier/Glorot, seed {seed})")

    def _element_choice(self, inputs=True):
        """A parameter element of the shown network (sometimes x's or y's): (id, name, i, j)."""
        spec = self.state.spec()
        if spec.is_reference_shape:
            name = self.rng.choice(CHAIN_PARAMS + (("x", "y") if inputs else ()))
            return name, name, 1, 1
        kinds = network_table(spec).kinds
        names = list(network_table(spec).params) + (["x", "y"] if inputs and self.rng.random() < 0.2 else [])
        name = self.rng.choice(names)
        if name in ("x", "y"):
            width = spec.layers[0] if name == "x" else spec.layers[-1]
            i = self.rng.randint(1, width)
            return f"{name}[{i}]", name, i, 1
        i, j = self.rng.choice(indices(kinds[name]))
        return element_id(name, kinds[name], i, j), name, i, j

    def _edit_value(self, name):
        low, high = LIMITS["W1" if name[0] in "Wb" else name]
        pick = self.rng.random()
        if pick < 0.15:
            return self.rng.choice([low, high, 0.0, float(np.nextafter(high, math.inf)), -1e4, math.nan, math.inf])
        return round(self.rng.uniform(-2.0, 2.0), self.rng.choice([1, 3, 6]))

    def _edited(self, element, name, i, j, value):
        """The trainer setting one element must start (None: refused), and whether it changes nothing."""
        values = self.values()
        low, high = LIMITS["W1" if name[0] in "Wb" else name]
        if not low <= value <= high:   # NaN too
            return None, False
        x, y, size, seed = self.samples()
        chain = self.state.spec().is_reference_shape
        if chain:
            current = values[name]
            edited = dict(values, **{name: float(value)})
        else:
            array = np.array(values[name], dtype=float)
            place = (i - 1,) if array.ndim == 1 else (i - 1, j - 1)
            current = float(array[place])
            array[place] = value
            edited = dict(values, **{name: array})
        if value == current:
            return None, True
        if name in ("x", "y"):
            if len(x) > 1:
                return None, False   # x or y would replace the dataset: refused
            samples = (edited["x"], edited["y"], None, None) if chain else \
                (np.reshape(edited["x"], (1, -1)), np.reshape(edited["y"], (1, -1)), None, None)
        else:
            samples = (x, y, size, seed)
        timeline, cursor = self.state.timeline, self.state.cursor
        return self.expected_trainer(self.state.spec(), edited, timeline.optimizer_state(cursor), samples), False

    def element_panel(self):
        """One element typed in the panel: its elementEdited (a wider network) or edited (the chain)."""
        element, name, i, j = self._element_choice()
        value = self._edit_value(name)
        self.note(f"panel {element} = {value!r} {self.where()}")
        expected, noop = self._edited(element, name, i, j, value)
        panel = self.window.parameters
        if self.state.spec().is_reference_shape:
            act = lambda: panel.edited.emit(name, value)   # noqa: E731
        else:
            act = lambda: panel.elementEdited.emit(element, value)   # noqa: E731
        self.outcome(self.change(f"panel {element} = {value!r}", act, expected, noop=noop))

    def element_diagram(self):
        """A weight or bias selected on the diagram and typed into its box (the chain has none: a spinbox)."""
        window = self.window
        if self.state.spec().is_reference_shape:
            assert not window.diagram.select_element("W1[1,1]"), "the chain's diagram selected an element"
            name = self.rng.choice(CHAIN_PARAMS)
            box = window.parameters.spinboxes[name]
            value = round(self.rng.uniform(-2, 2), 6)
            self.note(f"spinbox {name} <- {value!r} {self.where()}")
            expected, noop = self._edited(name, name, 1, 1, value)
            self.outcome(self.change(f"spinbox {name}", lambda: box.setValue(value), expected,
                                     noop=noop or value == box.value()))
            return
        element, name, i, j = self._element_choice(inputs=False)
        value = round(self.rng.uniform(-3, 3), self.rng.choice([1, 2, 6]))
        self.note(f"diagram {element} = {value!r} {self.where()}")
        assert window.diagram.select_element(element), f"{element} cannot be selected on the diagram"
        editor = window.diagram.editor
        assert editor.isVisible(), "no box to type the selected element's value"
        window.flush()
        shown = min(max(element_of(name, self.state.edited_values()[name], i, j), editor.minimum()), editor.maximum())
        assert editor.value() == pytest.approx(shown, abs=0.5e-6), \
            f"the diagram's box shows {editor.value()!r} for {element}"
        expected, noop = self._edited(element, name, i, j, value)
        noop = noop or f"{value:.6f}" == f"{editor.value():.6f}"

        def act():
            editor.setFocus()
            editor.lineEdit().selectAll()
            QTest.keyClicks(editor.lineEdit(), f"{value:.6f}".rstrip("0").rstrip("."))
            QTest.keyClick(editor.lineEdit(), Qt.Key.Key_Return)
        result = self.change(f"diagram {element} = {value!r}", act, expected, noop=noop)
        self.outcome(result)
        assert window.diagram.selected_element() == element
        if result == "refused":
            # The box keeps the refused number (the panel shows the state's again): the learner
            # leaves it with Escape, which drops the selection.
            QTest.keyClick(editor.lineEdit(), Qt.Key.Key_Escape)
            assert window.diagram.selected_element() == "" and not editor.isVisible()

    def alpha(self):
        box = self.window.parameters.spinboxes["alpha"]
        low, high = LIMITS["alpha"]
        # Mostly rates that train; now and then one at an end of the range (100 soon diverges).
        value = self.rng.choice([low, 0.001, round(self.rng.uniform(0, 0.3), 4), round(self.rng.uniform(0, 1), 3)]
                                * 2 + [high])
        self.note(f"α spinbox <- {value!r} {self.where()}")
        values = self.values()
        noop = value == box.value() or value == values["alpha"]
        timeline, cursor = self.state.timeline, self.state.cursor
        expected = self.expected_trainer(self.state.spec(), dict(values, alpha=value),
                                         timeline.optimizer_state(cursor), self.samples())
        self.outcome(self.change(f"α = {value!r}", lambda: box.setValue(value), expected, noop=noop))

    def activation(self):
        """A hidden layer's activation or the output's, as the panel says it (specEdited)."""
        spec = self.state.spec()
        hidden = len(spec.layers) - 2
        fields = [f"activation{l}" for l in range(1, hidden + 1)]
        fields += [] if spec.is_reference_shape else ["output_activation"]
        field = self.rng.choice(fields)
        value = self.rng.choice(OUTPUT_ACTIVATIONS if field == "output_activation" else ACTIVATIONS)
        self.note(f"{field} = {value} {self.where()}")
        try:
            new = dataclasses.replace(spec, **{field: value})
        except InputError:
            new = None
        timeline, cursor = self.state.timeline, self.state.cursor
        expected = None if new is None else self.expected_trainer(
            new, self.values(), timeline.optimizer_state(cursor), self.samples())
        self.outcome(self.change(f"{field} = {value}", lambda: self.window.parameters.specEdited.emit(field, value),
                                 expected, noop=new == spec))

    def _keep_short(self):
        """A long line is cut: Mazur's example chosen again at its first state (a branch there)."""
        if self.state.last >= MAX_STATES:
            self.note(f"(the line is long: {self.state.last + 1} states; Mazur's example at state 0)")
            self.window.timeline_bar.slider.setValue(0)
            self.window.choose_example("mazur")
            self.window.flush()
            assert self.state.last == 0

    def step(self):
        self._keep_short()
        state = self.state
        self.note(f"step {self.where()}")
        before, last = content(state.timeline), state.last
        self.window.actionStep.trigger()
        self._trained(before, last, 1)

    def _trained(self, before, last, wanted):
        state = self.state
        after = content(state.timeline)
        if state.last == last:
            assert same(after, before) and state.timeline.divergence is not None, "a step that trained nothing"
            assert self.window.statusBar().currentMessage() == state.timeline.divergence.message
            self.outcome("diverged")
            return
        assert state.cursor == state.last, "training does not show its last state"
        assert state.last >= last + wanted or state.timeline.divergence is not None
        kept = content(state.timeline)
        kept[-1] = kept[-1][:6] + (kept[-1][6][:before[-1][6].shape[0]],)
        assert same(kept, before), "training changed the states before it"
        self.outcome(f"trained {state.last - last}")

    def run(self):
        """Run at a speed for a few ticks of the walk's own clock, then pause."""
        self._keep_short()
        window, state = self.window, self.state
        rate = self.rng.choice(RATES)
        wanted = self.rng.randint(1, 40)
        self.note(f"run at {rate} steps/s for ≥ {wanted} steps {self.where()}")
        window.speed.setCurrentIndex(window.speed.findData(rate))
        before, last, index = content(state.timeline), state.last, state.undo_stack.index()
        window.runner.clock = self.clock
        window.actionRun.trigger()
        assert window.runner.running and state.cursor == last
        runner = window.runner
        for _ in range(10_000):
            if state.last >= last + wanted or not runner.running:
                break
            self.clock.now += 1 / 64
            runner.tick()
        if runner.running:
            window.actionRun.trigger()
        assert not runner.running and not window.actionRun.isChecked()
        self._trained(before, last, wanted)
        if state.last > last:
            assert state.undo_stack.index() == index + 1, "a run is not one undoable change"

    def back(self):
        times = self.rng.choice([1, 1, 2, 5])
        cursor = self.state.cursor
        self.note(f"step back ×{times} {self.where()}")
        for _ in range(times):
            self.window.actionStepBack.trigger()
        assert self.state.cursor == max(0, cursor - times)
        self.outcome("moved")

    def forward(self):
        self._keep_short()
        state = self.state
        self.note(f"step forward {self.where()}")
        if state.cursor < state.last:
            cursor = state.cursor
            self.window.actionStepForward.trigger()
            assert state.cursor == cursor + 1
        else:
            before, last = content(state.timeline), state.last
            self.window.actionStepForward.trigger()
            self._trained(before, last, 1)

    def slider(self):
        state = self.state
        step = self.rng.choice([0, state.last, self.rng.randint(0, state.last)])
        self.note(f"slider to {step} {self.where()}")
        self.window.timeline_bar.slider.setValue(step)
        assert state.cursor == step
        self.outcome("moved")

    def undo(self):
        self._undo_redo(self.window.actionUndo, -1)

    def redo(self):
        self._undo_redo(self.window.actionRedo, +1)

    def _undo_redo(self, action, direction):
        stack = self.state.undo_stack
        index = stack.index()
        self.note(f"{'undo' if direction < 0 else 'redo'} at {index} of {stack.count()} {self.where()}")
        possible = stack.canUndo() if direction < 0 else stack.canRedo()
        assert action.isEnabled() == possible
        before = content(self.state.timeline)
        action.trigger()
        if not possible:
            assert stack.index() == index and same(content(self.state.timeline), before)
            self.outcome("nothing")
            return
        assert stack.index() == index + direction
        line = self.lines.get(index + direction)
        if line is not None:
            now = content(self.state.timeline)
            assert same(now, line), f"the line is not as it was at {index + direction}: {differences(now, line)}"
        self.outcome("checked" if line is not None else "unknown")

    def expand(self):
        vectors = self._expandable()
        if not vectors:
            self.note(f"expand: the chain has no vector rows {self.where()}")
            self.outcome("none")
            return
        vector = self.rng.choice(vectors)
        expanded = self.rng.random() < 0.6
        self.note(f"{'expand' if expanded else 'collapse'} {vector} {self.where()}")
        self.window.table.set_expanded(vector, expanded)
        assert self.window.table.derivation_model.is_expanded(vector) == expanded
        self.outcome("done")

    def _expandable(self):
        derivation = self.state.derivation()
        return [v.id for v in getattr(derivation, "vectors", ())
                if len(v.elements) > 1 or v.elements[0].id != v.id]

    def tab(self):
        plots = self.window.plots
        index = self.rng.randrange(plots.count())
        self.note(f"tab {plots.tabText(index)} {self.where()}")
        plots.setCurrentIndex(index)
        assert plots.currentIndex() == index
        self.outcome("shown")
        if plots.tabText(index) == "Landscape":   # the costliest view: checked while shown, then left
            self.check()
            plots.setCurrentIndex(0)

    def walk(self):
        window = self.window
        action = self.rng.choice([window.actionExplain, window.actionPredict])
        self.note(f"{action.objectName()} {'off' if action.isChecked() else 'on'} {self.where()}")
        action.trigger()
        on = action.isChecked()
        assert (window.walk.mode is not None) == (window.actionExplain.isChecked() or window.actionPredict.isChecked())
        self.outcome("on" if on else "off")

    def walk_move(self):
        window, walk = self.window, self.window.walk
        if walk.mode is None:
            self.walk()
            return
        what = self.rng.choice(["next", "next", "previous", "predict"])
        self.note(f"walk {what} at stop {walk.index + 1} of {walk.stop_count} {self.where()}")
        if what == "next":
            window.actionNextTerm.trigger()
        elif what == "previous":
            window.actionPreviousTerm.trigger()
        elif walk.mode == PREDICT and not walk.revealed:
            # The engine's own numbers typed as the prediction: judged right.
            fresh = fresh_derivation(self.state.timeline, self.state.cursor)
            term = walk.term
            ids = [e.id for e in term.elements] if isinstance(term.value, str) else [term.id]
            walk.prediction.setText(", ".join(repr(fresh.value(i)) for i in ids))
            correct = walk.correct
            walk.check()
            assert walk.revealed and walk.correct == correct + 1, \
                f"the engine's values of {term.id} were not judged right: {walk.verdict.text()}"
        self.outcome("done")

    # --- after each action ---------------------------------------------------
    def check(self):
        window, state = self.window, self.state
        window.flush()
        window.flush()
        assert not window.runner.running
        stack = state.undo_stack
        if stack.count() == stack.index():
            for k in [k for k in self.lines if k > stack.index()]:
                del self.lines[k]
        self.lines[stack.index()] = content(state.timeline)
        timeline, cursor = state.timeline, state.cursor
        assert 0 <= cursor < len(timeline)
        trainer, index = timeline.locate(cursor)
        spec = trainer.spec
        fresh = fresh_derivation(timeline, cursor)
        terms = list(fresh)
        shown = list(state.derivation())
        assert [t.id for t in shown] == [t.id for t in terms], "the state's derivation has other terms"
        for a, b in zip(shown, terms):
            assert same_value(a.value, b.value), f"{a.id}: the state's {a.value!r}, the engine's {b.value!r}"
        walk = window.walk
        hidden_from = walk.hidden_from
        hidden = frozenset(t.id for t in terms[hidden_from:]) if hidden_from is not None else frozenset()
        params = trainer.params(index)
        if spec.is_reference_shape:
            self._check_chain_table(fresh, hidden_from)
            self._check_chain_diagram(fresh, params, trainer, hidden)
            self._check_chain_panel(params, trainer)
        else:
            self._check_network_table(fresh, hidden_from)
            self._check_network_diagram(fresh, params, trainer, hidden)
            self._check_network_panel(params, trainer)
        # The status line, the slider, the loss curve.
        position = window.position.text()
        if walk.mode == PREDICT:
            assert position == f"Step {cursor}", f"predict mode's status line gives away: {position!r}"
        else:
            assert position.startswith(f"Step {cursor}   ·   L = {fresh.value('L'):.6g}"), \
                f"the status line {position!r}, the engine's L {fresh.value('L')!r} at {cursor}"
            outputs = [t for t in terms if t.layer == "forward" and t.id.partition("[")[0] == "yhat"]
            for t in outputs[:2]:
                assert f"{t.symbol} = {t.value:.6g}" in position, f"the status line has no {t.symbol} = {t.value:.6g}"
        slider = window.timeline_bar.slider
        assert (slider.value(), slider.maximum()) == (cursor, len(timeline) - 1)
        if "L" not in hidden and not window.loss_plot.log:
            # The curve holds every loss (a diverging one drawn at most at the linear axis' ceiling).
            assert np.array_equal(window.loss_plot.shown_loss(), np.minimum(timeline.column("L"), LINEAR_CEILING))
        box = window.network_bar.layers
        if not box.isModified():
            assert box.text() == "-".join(map(str, spec.layers)), f"the layers box shows {box.text()!r}"

    # the table
    def _check_cells(self, model, row, term, hidden_from, position):
        roles = Qt.ItemDataRole
        cells = [model.index(row, c).data() for c in range(4)]
        assert cells[0] == term.symbol and cells[1] == term.formula, \
            f"{term.id}: the table's {cells[:2]}, the engine's {[term.symbol, term.formula]}"
        value_hidden = hidden_from is not None and position >= hidden_from
        substitution_hidden = hidden_from is not None and position > hidden_from
        assert cells[2] == ("…" if substitution_hidden else term.substitution), \
            f"{term.id}: the substitution {cells[2]!r}, the engine's {term.substitution!r}"
        if value_hidden:
            assert cells[3] == "?", f"{term.id}: predict mode shows its value {cells[3]!r}"
            return
        if isinstance(term.value, str):   # a vector's value, as text
            assert cells[3] == term.value, f"{term.id}: the table's {cells[3]!r}, the engine's {term.value!r}"
            return
        tip = model.index(row, 3).data(roles.ToolTipRole).split("\n")[0]
        assert tip == repr(term.value), f"{term.id}: the table's exact value {tip}, the engine's {term.value!r}"
        text = shown_number(cells[3])
        assert math.isclose(text, term.value, rel_tol=1e-5, abs_tol=1e-300) or same_value(text, term.value), \
            f"{term.id}: shown {cells[3]!r}, the engine's {term.value!r}"

    def _check_chain_table(self, fresh, hidden_from):
        model = self.window.table.model()
        rows = model.term_rows()
        terms = list(fresh)
        assert [model.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows] == [t.id for t in terms]
        for position, (row, term) in enumerate(zip(rows, terms)):
            self._check_cells(model, row, term, hidden_from, position)

    def _check_network_table(self, fresh, hidden_from):
        table = self.window.table
        model = table.derivation_model
        expandable = [v.id for v in fresh.vectors if len(v.elements) > 1 or v.elements[0].id != v.id]
        if not any(model.is_expanded(v) for v in expandable):
            vector = self.rng.choice(expandable)
            self.log[-1] += f" (check: expand {vector})"
            table.set_expanded(vector, True)
        expected, start = [], 0
        for v in fresh.vectors:
            if v.id in expandable:
                expected.append((v, start))
                if model.is_expanded(v.id):
                    expected.extend((e, start) for e in v.elements)
            else:
                expected.append((v.elements[0], start))
            start += len(v.elements)
        rows = model.term_rows()
        ids = [model.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows]
        assert ids == [t.id for t, _ in expected], \
            f"the table's rows {ids[:12]}…, the engine's {[t.id for t, _ in expected][:12]}…"
        elements = 0
        for row, (term, position) in zip(rows, expected):
            self._check_cells(model, row, term, hidden_from, position)
            elements += not isinstance(term.value, str)
        assert elements >= 2, "no element row was checked"

    # the diagram
    def _check_chain_diagram(self, fresh, params, trainer, hidden):
        texts = self.window.diagram.texts
        assert self.window.diagram.network is None, "the chain is drawn as a wider network"

        def check(key, term_id, value):
            text = texts[key].text().split(" = ", 1)[1]
            if term_id in hidden:
                assert text == "?", f"{key}: predict mode shows {text!r}"
            else:
                assert math.isclose(shown_number(text), value, rel_tol=1e-3, abs_tol=1e-300), \
                    f"{key}: the diagram shows {text}, the engine's {value!r}"
        for name in CHAIN_PARAMS:
            value = float(params[name])
            assert math.isclose(shown_number(texts[f"{name}.value"].text().split(" = ")[1]), value,
                                rel_tol=1e-3, abs_tol=1e-300), name
            check(f"{name}.grad", f"dL/d{name}", fresh.value(f"dL/d{name}"))
        for node in ("h1", "h2", "yhat", "L"):
            check(f"{node}.value", node, fresh.value(node))
        for node, gradient in (("h1", "dL/dh1"), ("h2", "dL/dh2"), ("yhat", "dL/dyhat")):
            check(f"{node}.grad", gradient, fresh.value(gradient))
        check("x.value", "", float(np.mean(trainer.x)))

    def _check_network_diagram(self, fresh, params, trainer, hidden):
        diagram = self.window.diagram
        network = diagram.network
        assert network is not None and diagram.scene() is network, "a wider network is not drawn as one"
        layers = trainer.spec.layers
        assert network.shape.layers == tuple(layers)
        assert len(network.edges) == sum(a * b for a, b in zip(layers, layers[1:]))
        for edge in network.edges:
            name, i, j = parse_element(edge)
            value = element_of(name, params[name], i, j)
            assert network.parameter(edge) == value, f"{edge}: the diagram's {network.parameter(edge)!r}, recorded {value!r}"
            tip = network.tooltip(edge).split("\n")
            gradient = f"dL/d{edge}"
            shown = "?" if gradient in hidden else number(fresh.value(gradient), 6)
            assert tip[1] == f"∂L/∂{symbol(name)}[{i},{j}] = {shown}", \
                f"{edge}: the tooltip says {tip[1]!r}, the engine's gradient {fresh.value(gradient)!r}"
            label = network.edge_labels[edge]
            if label.isVisible() and label.texts():
                written = label.texts()[0].rpartition(" = ")[2]
                assert is_shown_as(written, value), f"{edge}: written {written!r}, its value {value!r}"
        for bias in network.biases:
            name, i, j = parse_element(bias)
            assert network.parameter(bias) == element_of(name, params[name], i, 1), bias
        means = np.mean(trainer.x, axis=0)
        checked = 0
        for unit, label in network.labels.items():
            texts = label.texts()
            if not texts:
                continue
            if unit.startswith("x["):
                assert is_shown_as(texts[0], float(means[int(unit[2:-1]) - 1])), (unit, texts)
                continue
            if unit in hidden:
                assert texts[0] == "?", f"{unit}: predict mode shows {texts[0]!r}"
            else:
                assert is_shown_as(texts[0], fresh.value(unit)), f"{unit}: shows {texts}, the engine's {fresh.value(unit)!r}"
            if len(texts) > 1:
                gradient = f"dL/d{unit}"
                if gradient in hidden:
                    assert texts[1] == "?", f"{gradient}: predict mode shows {texts[1]!r}"
                else:
                    assert is_shown_as(texts[1], fresh.value(gradient)), \
                        f"{gradient}: shows {texts[1]!r}, the engine's {fresh.value(gradient)!r}"
            checked += 1
        assert checked >= 2, "the diagram shows no unit's value"
        selected = diagram.selected_element()
        editor = diagram.editor
        if selected and not (editor.hasFocus() and editor.lineEdit().isModified()):   # else: the learner's text
            name, i, j = parse_element(selected)
            assert editor.isVisible() and editor.value() == pytest.approx(
                min(max(element_of(name, params[name], i, j), editor.minimum()), editor.maximum()), abs=0.5e-6), \
                f"the diagram's box for {selected} shows {editor.value()!r}"

    # the panel
    def _check_chain_panel(self, params, trainer):
        panel = self.window.parameters
        assert panel.network_layers() is None, "the chain's panel shows a wider network's editors"
        values = dict(params, x=float(np.mean(trainer.x)), y=float(np.mean(trainer.y)), alpha=trainer.alpha)
        for name, value in values.items():
            box = panel.spinboxes[name]
            low, high = LIMITS[name]
            assert math.isclose(box.value(), min(max(value, low), high), abs_tol=0.5e-6), \
                f"the spinbox of {name} shows {box.value()!r}, the state {value!r}"
        for field in ("activation1", "activation2", "loss"):
            assert panel.choices[field].currentData() == getattr(trainer.spec, field), field

    def _check_network_panel(self, params, trainer):
        panel, spec = self.window.parameters, trainer.spec
        assert panel.network_layers() == tuple(spec.layers), \
            f"the panel's editors are for {panel.network_layers()}, the network is {spec.layers}"
        shown = dict(params, x=np.mean(trainer.x, axis=0), y=np.mean(trainer.y, axis=0))
        for name, value in shown.items():
            editor = panel.editor(name)
            if isinstance(editor, ElementTable):
                assert np.array_equal(editor.values().ravel(), np.ravel(value)), \
                    f"the panel's {name} is {editor.values().ravel()}, the state's {np.ravel(value)}"
            else:
                number_ = float(np.ravel(value)[0])
                assert math.isclose(editor.value(), min(max(number_, editor.minimum()), editor.maximum()),
                                    abs_tol=0.5e-6), f"the panel's {name} shows {editor.value()!r}, the state {number_!r}"
        assert math.isclose(panel.spinboxes["alpha"].value(), trainer.alpha, abs_tol=0.5e-6)
        hidden = len(spec.layers) - 2
        for field in [f"activation{l}" for l in range(1, hidden + 1)] + ["output_activation"]:
            assert panel.layer_choices[field].currentData() == getattr(spec, field), \
                f"the panel's {field} is {panel.layer_choices[field].currentData()}, the network's {getattr(spec, field)}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_actions_on_networks_keep_every_view_on_a_fresh_derivation(window, qtbot, monkeypatch, seed):
    walk = Walk(window, qtbot, seed)
    # The layers box draws its parameters from a fresh seed: the walk's, so that a seed replays.
    walk.layers_seed = None
    monkeypatch.setattr("gui.main_window.random_seed", lambda: walk.layers_seed)
    state = window.state
    walk_actions(walk, qtbot, WEIGHTS, ACTIONS, lambda: (
        f"seed {seed} (shown: state {state.cursor} of {state.last}, {state.spec()}, tab "
        f"{window.plots.tabText(window.plots.currentIndex())!r}, walk {window.walk.mode})\n"
        f"replay: BACKPROP_SEED={seed} pytest tests/gui/test_gui_random_network.py"),
        tail=int(os.environ.get("BACKPROP_TAIL", "25")))
    shapes = {"-".join(map(str, s.trainer.spec.layers)) for s in window.state.timeline.segments}
    if os.environ.get("BACKPROP_LOG"):
        print(*walk.log, sep="\n")
    print(f"seed {seed}: {ACTIONS} actions, shapes at the end {sorted(shapes)}",
          *(f"{n:5} {what}" for what, n in sorted(walk.tally.items())), sep="\n")


def test_predict_mode_hides_the_same_terms_everywhere_after_the_shape_changes(window, qtbot):
    window.choose_example("mazur")
    window.flush()
    window.actionPredict.trigger()
    window.actionNextTerm.trigger()      # stop 2 of Mazur's network: z₁ revealed, h₁ … hidden
    window.flush()
    window.actionUndo.trigger()          # back to the chain, predict mode at its stop 2
    window.flush()
    hidden_from = window.walk.hidden_from
    terms = list(fresh_derivation(window.state.timeline, window.state.cursor))
    hidden = {t.id for t in terms[hidden_from:]}
    assert "h1" in hidden
    model = window.table.model()
    row = model.row_of("h1")
    assert model.index(row, 3).data() == "?"                   # the table hides h₁ ...
    assert window.diagram.texts["h1.value"].text() == "h₁ = ?"   # ... and so must the diagram


def test_predict_mode_hides_the_same_terms_everywhere_after_an_edit_following_a_reveal(window, qtbot):
    window.choose_example("mazur")
    window.flush()
    window.actionPredict.trigger()
    window.actionNextTerm.trigger()      # stop 2: h₁
    window.flush()
    walk = window.walk
    fresh = fresh_derivation(window.state.timeline, window.state.cursor)
    walk.prediction.setText(", ".join(repr(fresh.value(e.id)) for e in walk.term.elements))
    walk.check()
    assert walk.revealed and window.diagram.network.labels["h1[1]"].texts()[0] != "?"
    window.parameters.elementEdited.emit("b2[1]", 0.25)   # an edit elsewhere: a redraw
    window.flush()
    model = window.table.model()
    table_hides = model.index(model.row_of("h1"), 3).data() == "?"
    diagram_hides = window.diagram.network.labels["h1[1]"].texts()[0] == "?"
    assert table_hides == diagram_hides, f"the table hides h₁: {table_hides}, the diagram: {diagram_hides}"
