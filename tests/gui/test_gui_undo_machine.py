"""Random sequences of learner actions, against a model kept by the test.

The model is a plain list of each state's values (W₁…b₃, x, y, α) with an
undo stack of list copies; training extends it with a fresh engine Trainer
started from its last state.  After every action the window must show the
model's state: the timeline's parameters, the table, the spinboxes, the plot.
"""

import math

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from engine import PARAMS
from gui import MainWindow
from helpers import assert_spinboxes_match, assert_table_matches, reference_trainer

EDITS = {"W1": st.floats(-2, 2), "b2": st.floats(-2, 2), "alpha": st.floats(0, 0.5), "x": st.floats(-3, 3)}


def trained(values, steps):
    trainer = reference_trainer(steps, values)
    return [dict(trainer.params(k), x=values["x"], y=values["y"], alpha=values["alpha"])
            for k in range(1, len(trainer))]


class LearnerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.window = MainWindow()
        self.window.actionConfirmBranch.setChecked(False)
        self.state = self.window.state
        self.model = [self.state.edited_values()]
        self.cursor = 0
        self.starts = [0]                 # where each segment begins: reset goes back to the last
        self.done, self.undone = [], []   # (before, after) snapshots of (states, cursor, starts)

    def teardown(self):
        self.window.close()
        self.window.deleteLater()

    def _snapshot(self):
        return self.model, self.cursor, self.starts

    def _change(self, states, cursor, starts=None):
        """A new command: undo returns to the state before it, redo to the state after it."""
        before = self._snapshot()
        self.model, self.cursor = states, cursor
        self.starts = self.starts if starts is None else starts
        self.done.append((before, self._snapshot()))
        self.undone = []

    @rule(steps=st.integers(1, 30))
    def train(self, steps):
        self.state.train(steps)
        self._change(self.model + trained(self.model[-1], steps), len(self.model) + steps - 1)

    @rule(steps=st.integers(1, 4))
    def back(self, steps):
        for _ in range(steps):
            self.window.actionStepBack.trigger()
        self.cursor = max(0, self.cursor - steps)

    @rule()
    def forward(self):
        self.window.actionStepForward.trigger()
        if self.cursor < len(self.model) - 1:
            self.cursor += 1
        else:
            self._change(self.model + trained(self.model[-1], 1), len(self.model))

    @rule(data=st.data())
    def scrub(self, data):
        step = data.draw(st.integers(0, len(self.model) - 1))
        self.window.timeline_bar.slider.setValue(step)
        self.cursor = step

    @rule(data=st.data(), name=st.sampled_from(sorted(EDITS)))
    def edit(self, data, name):
        value = data.draw(EDITS[name])
        before = self.state.undo_stack.index()
        self.window.set_value(name, value)
        edited = dict(self.model[self.cursor], **{name: value})
        if edited == self.model[self.cursor]:
            return
        # Qt merges an edit into the command before it (same spinbox, same state),
        # even across a command that was undone in between.
        merged = self.state.undo_stack.index() == before
        states = self.model[:self.cursor] + [edited]
        starts = [s for s in self.starts if s < self.cursor] + [self.cursor]
        if merged:   # one command with the previous edit: undo takes both back
            self.model, self.starts = states, starts
            self.done[-1] = (self.done[-1][0], self._snapshot())
            self.undone = []   # the push discarded whatever could be redone
        else:
            self._change(states, self.cursor, starts)

    @rule()
    def reset(self):
        self.window.actionReset.trigger()
        self._change([self.model[self.starts[-1]]], 0, [0])

    @precondition(lambda self: self.done)
    @rule()
    def undo(self):
        self.window.actionUndo.trigger()
        entry = self.done.pop()
        self.undone.append(entry)
        self.model, self.cursor, self.starts = entry[0]

    @precondition(lambda self: self.undone)
    @rule()
    def redo(self):
        self.window.actionRedo.trigger()
        entry = self.undone.pop()
        self.done.append(entry)
        self.model, self.cursor, self.starts = entry[1]

    @invariant()
    def window_shows_the_model(self):
        timeline = self.state.timeline
        assert len(timeline) == len(self.model)
        assert self.state.cursor == self.cursor
        rows = timeline.rows()
        for k, values in enumerate(self.model):
            assert [rows[k][i] for i in range(len(PARAMS))] == [values[p] for p in PARAMS], k
            assert {n: timeline.edited_values(k)[n] for n in ("x", "y", "alpha")} == \
                {n: values[n] for n in ("x", "y", "alpha")}, k
        self.window.flush()
        derivation = timeline.derivation(self.cursor)
        assert_table_matches(self.window, derivation)
        assert_spinboxes_match(self.window, {n: v for n, v in self.model[self.cursor].items()
                                             if abs(v) <= 1000})
        np.testing.assert_array_equal(self.window.loss_plot.shown_loss(), timeline.column("L"))
        assert self.window.loss_plot.current == self.cursor
        assert math.isfinite(derivation.value("L"))


def test_random_action_sequences_keep_every_view_consistent(qapp):
    run_state_machine_as_test(LearnerMachine, settings=settings(
        max_examples=30, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
