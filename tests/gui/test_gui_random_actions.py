"""A seeded random walk through the window: thousands of learner actions, the
state checked after each one.

The actions are drawn by ``random.Random(seed)``: edits at the limits of each
spinbox and of engine/limits.py (tiny, huge, exactly 0, and values just outside
that must be refused with nothing changed), step, run/pause, back/forward,
scrubbing, undo/redo, branching (an edit at an earlier state, with the question
on, off or answered No), reset, the activation and optimizer choices and their
numbers, datasets (set directly and through the dataset panel: presets, typed
rows, batch sizes, shuffle seeds), initialization, exports of the derivation,
the history and the dataset, save, open, new and autosave.

After every action the derivation table, the spinboxes and choices, the
diagram, the loss plot and the slider must show the engine's history at the
shown state; every recorded row must be finite; no exception may escape into
Qt.  Each action also checks its own effect against a model the test keeps:
what the timeline must hold after it (an edit: a new segment whose first state
an engine Trainer built here gives; a refused value: nothing changed at all),
and, for undo and redo, the timeline exactly as it was at that point of the
undo stack.  An exported file must read back as the history; an opened session
must equal what was saved.

A failure names the seed and the action and lists the actions before it.
Replay a seed (and, optionally, choose how many actions) with

    BACKPROP_SEED=12345 BACKPROP_ACTIONS=2000 pytest tests/gui/test_gui_random_actions.py

The same seed draws the same actions, and the same walk: a run is ticked by
hand on a clock of the walk's own, so how many states it trains before it is
paused is the seed's, not the machine's speed.
"""

import collections
import csv
import dataclasses
import math
import os
import random
import traceback
import warnings

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QPushButton

from engine import (ACTIVATIONS, CLIPS, DEFAULTS, INPUTS, LIMITS, LOSSES, OPTIMIZERS, PARAMS, SCHEDULES,
                    InputError, Trainer, row_for, session)
from engine.dataset import PRESETS, check_dataset, preset, read_csv
from engine.init import SCHEMES, SEED_RANGE, initialize
from engine.terms import DECAY_EVERY_RANGE, LEAK_RANGE, RATE_RANGES
from engine.timeline import Timeline
from gui.dataset_panel import FULL, MINI, ONE
from helpers import Clock, assert_diagram_matches, assert_spinboxes_match, reference_trainer, walk_actions

DEFAULT_SEEDS = (20250611,)
SEEDS = (int(os.environ["BACKPROP_SEED"]),) if os.environ.get("BACKPROP_SEED") else DEFAULT_SEEDS
ACTIONS = int(os.environ.get("BACKPROP_ACTIONS", "2000"))
MAX_STATES = 4000       # longer lines are reset first: runs stay short, the loss plot exact
RATES = (100, 1000, 10000)
Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
Save, Discard, Cancel = (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard,
                         QMessageBox.StandardButton.Cancel)
BRANCH_QUESTION = "Start a new branch?"
UNSAVED_QUESTION = "Unsaved changes"

# The Spec's numbers the panel has a spinbox for, and what the engine accepts.
SPEC_NUMBERS = ("leak", "momentum", "rho", "beta1", "beta2", "decay", "decay_every", "clip_c")
CHOICE_FIELDS = {"activation1": ACTIVATIONS, "activation2": ACTIVATIONS, "loss": LOSSES,
                 "optimizer": OPTIMIZERS, "schedule": SCHEDULES, "clip": CLIPS}
# Text typed into a dataset cell: good numbers and bad ones.
CELL_TEXTS = ("0", "-3.5", "−2", " 7 ", "1e3", "-1000", "5e-324", "0.25", "2",
              "1000.0000001", "abc", "", "nan", "inf", "1e309", "-1e3")


def _edges(low, high):
    """Values at and around a range [low, high]: inside, and just outside."""
    inside = [low, high, 0.0 if low <= 0 <= high else low, 5e-324 if low <= 0 < high else high,
              1e-300 if low <= 0 < high else high, 2.2250738585072014e-308 if low <= 0 < high else high,
              -5e-324 if low < 0 <= high else low]
    outside = [float(np.nextafter(high, math.inf)), float(np.nextafter(low, -math.inf)),
               high * (1 + 1e-12) + 1e-12, math.inf, -math.inf, math.nan, 1e308, -1e308]
    return inside, [v for v in outside if not low <= v <= high]


# --- what the test reads off the engine --------------------------------------

def batching(trainer):
    """How the updates use the samples, as a file keeps it: (None, None) for the full batch."""
    return (trainer.batch_size, trainer.shuffle_seed) if trainer.minibatch else (None, None)


def segment_meta(trainer):
    return (trainer.x.tolist(), trainer.y.tolist(), trainer.alpha, trainer.spec, batching(trainer))


def content(timeline):
    """Everything the line holds: each segment's samples, rate, network, batching and rows."""
    return [(segment_meta(s.trainer), s.trainer.history.rows(0, s.length).copy()) for s in timeline.segments]


def cut(line, length):
    """The first ``length`` states of a content()."""
    kept = []
    for meta, rows in line:
        if length <= 0:
            break
        kept.append((meta, rows[:length]))
        length -= len(rows)
    return kept


def same(a, b):
    return len(a) == len(b) and all(ma == mb and ra.shape == rb.shape and np.array_equal(ra, rb)
                                    for (ma, ra), (mb, rb) in zip(a, b))


def differences(a, b):
    """Where two content()s differ, in words (for a failure's message)."""
    if len(a) != len(b):
        return (f"{len(a)} segments of {[len(r) for _, r in a]} states against "
                f"{len(b)} of {[len(r) for _, r in b]}")
    for i, ((ma, ra), (mb, rb)) in enumerate(zip(a, b)):
        if ma != mb:
            return f"segment {i}: {ma} against {mb}"
        if ra.shape != rb.shape or not np.array_equal(ra, rb):
            return f"segment {i}: rows of shape {ra.shape} against {rb.shape}, first different " \
                   f"{np.argwhere(ra[:len(rb)] != rb[:len(ra)])[:1].tolist()}"
    return "no difference"


def length_of(line):
    return sum(len(rows) for _, rows in line)


def wait_for_writes(qtbot, window):
    """Saving and exporting may write in the background: wait until every file is complete."""
    if hasattr(window, "writes"):
        qtbot.waitUntil(lambda: not window.writes.busy(), timeout=20000)


def read_history_csv(path):
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    return rows[0], rows[1:]


class Walk:
    """The window, the random source, the log of actions and the model of the undo stack."""

    def __init__(self, window, qtbot, tmp_path, monkeypatch, seed, shown):
        self.window, self.qtbot, self.tmp = window, qtbot, tmp_path
        self.state = window.state
        self.rng = random.Random(seed)
        self.log = []
        self.prefix = ""
        self.action = ""
        self.tally = collections.Counter()   # what the actions did: printed at the end (pytest -s)
        self.files = 0
        self.shown = shown                 # every message box the conftest answered
        self.branch_reply = Yes
        self.unsaved_reply = Discard
        self.questions = []
        self.saved = {}                    # path -> (content, cursor, settings) when saved
        self.save_path = None              # what the Save dialog answers next
        self.open_path = None
        self.seed_reply = (0, True)
        self.panel_shows = None            # the trainer whose samples the dataset panel showed last
        self.table_shows = None            # the state whose table was read cell by cell last
        self.clock = Clock()            # what the runner reads: moved by run(), never by the machine
        window.undo_dock.show()
        fallback = QMessageBox.question

        def question(*args, **kwargs):
            title = args[1] if len(args) > 1 else kwargs.get("title", "")
            self.questions.append(title)
            if title == BRANCH_QUESTION:
                return self.branch_reply
            if title == UNSAVED_QUESTION:
                return self.unsaved_reply
            return fallback(*args, **kwargs)
        monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            staticmethod(lambda *a, **k: (str(self.save_path) if self.save_path else "", "")))
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            staticmethod(lambda *a, **k: (str(self.open_path) if self.open_path else "", "")))
        monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: self.seed_reply))
        # The model of the undo stack: the line at each index, and the shown state before
        # and after the command that led there (None where the walk cannot know it).
        self._forget_history()

    # --- the model of the undo stack -------------------------------------
    def _forget_history(self):
        self.lines = {0: content(self.state.timeline)}
        self.cursor_before, self.cursor_after, self.kind = {}, {}, {}

    def _record(self, before_index, before, cursor_before, kind):
        """After a change from the line ``before``: one new command, one merged
        into the last, or none (then nothing may have changed)."""
        stack = self.state.undo_stack
        index = stack.index()
        now = content(self.state.timeline)
        if index == before_index and same(now, before):
            return                        # nothing done (a run that trained nothing): redo stays possible
        assert stack.count() == index, "a change left commands to redo"
        for table in (self.lines, self.cursor_before, self.cursor_after, self.kind):
            for k in [k for k in table if k > index]:
                del table[k]
        if index == before_index + 1:
            self.lines[index] = now
            self.cursor_before[index] = cursor_before
            self.cursor_after[index] = self.state.cursor
            self.kind[index] = kind
        elif index == before_index:
            if not same(now, self.lines.get(index, now)):
                # Qt merges an edit of one quantity at one state into the edit before it.
                assert kind[0] == "edit" and self.kind.get(index) in (kind, None), \
                    f"the line changed without an undoable command ({kind}, last {self.kind.get(index)})"
                self.lines[index] = now
        else:
            assert index > before_index, f"the undo stack went back from {before_index} to {index}"
            for k in range(before_index + 1, index):   # several commands: what lies between is unknown
                self.lines[k] = self.cursor_before[k] = self.cursor_after[k] = self.kind[k] = None
            self.lines[index] = now
            self.cursor_before[index], self.cursor_after[index], self.kind[index] = None, None, kind

    # --- helpers ---------------------------------------------------------
    def note(self, text):
        self.log.append(self.prefix + text)

    def outcome(self, what):
        """What the action did: on its line of the log, and counted."""
        self.log[-1] += f": {what}"
        self.tally[f"{self.action} {what.split(' ')[0]}"] += 1

    def values(self, step=None):
        timeline = self.state.timeline
        return timeline.edited_values(self.state.cursor if step is None else step)

    def expected_trainer(self, values, spec, optimizer_state, samples):
        """The first state an edit must give, built here by the engine; None if refused."""
        x, y, size, seed = samples
        try:
            return Trainer({p: values[p] for p in PARAMS}, x, y, values["alpha"], spec=spec,
                           state=optimizer_state, batch_size=size, shuffle_seed=seed)
        except InputError:
            return None

    def shown_samples(self):
        trainer = self.state.timeline.locate(self.state.cursor)[0]
        return trainer.x, trainer.y, trainer.batch_size, trainer.shuffle_seed

    def shown_values(self):
        """What the panel shows: the state's values, with a dataset's x and y as their means."""
        values, (x, y) = self.values(), self.shown_samples()[:2]
        return values if len(x) == 1 else dict(values, x=float(np.mean(x)), y=float(np.mean(y)))

    def change(self, what, act, expected, kind, noop=False):
        """Do ``act()``, a change at the shown state, and check it against the model:
        ``noop``, the change sets what is already there (nothing happens);
        else ``expected``, the Trainer whose first state the change must make
        from the shown state on, or None if the change must be refused."""
        state, window = self.state, self.window
        before, cursor, last = content(state.timeline), state.cursor, state.last
        index = state.undo_stack.index()
        asks = window.actionConfirmBranch.isChecked() and cursor < last
        self.questions.clear()
        act()
        asked = self.questions.count(BRANCH_QUESTION)
        after = content(state.timeline)
        outcome = ("unchanged" if noop else "refused" if expected is None
                   else "declined" if asks and self.branch_reply == No else "applied")
        if outcome != "applied":
            assert same(after, before), f"{what}: {outcome}, yet the line changed: {differences(after, before)}"
            assert state.cursor == cursor, f"{what}: {outcome}, yet the shown state moved"
            assert state.undo_stack.index() == index, f"{what}: {outcome}, yet a command was pushed"
            assert asked == (1 if outcome == "declined" else 0), \
                f"{what}: asked {asked} times about dropping later states for a change that is {outcome}"
            if outcome == "refused":
                assert window.statusBar().currentMessage().startswith("Not applied"), \
                    f"{what}: refused without saying so: {window.statusBar().currentMessage()!r}"
            return outcome
        assert asked == (1 if asks else 0), f"{what}: asked {asked} times (at {cursor} of {last})"
        expected_line = cut(before, cursor) + [(segment_meta(expected), expected.history.rows(0, 1))]
        assert same(after, expected_line), f"{what}: the line is not the edited one: " \
                                           f"{differences(after, expected_line)}"
        assert state.cursor == cursor
        self._record(index, before, cursor, kind)
        if cursor < last:
            self.tally[f"(a branch: {last - cursor} later states dropped{', asked' if asks else ''})"
                       .replace(f"{last - cursor} later", "later")] += 1
        return outcome

    # --- the actions -------------------------------------------------------
    def edit_direct(self):
        """window.set_value with a value at, inside or just outside the limits."""
        name = self.rng.choice(PARAMS + INPUTS)
        low, high = LIMITS[name]
        inside, outside = _edges(low, high)
        pick = self.rng.random()
        if pick < 0.35:
            value = self.rng.choice(outside)
        elif pick < 0.7:
            value = self.rng.choice(inside)
        else:
            value = self.rng.uniform(-3, 3) if name != "alpha" else self.rng.uniform(0, 0.2)
        self._branch_reply()
        self.note(f"set_value({name!r}, {value!r}) at {self.state.cursor}/{self.state.last}"
                  f" ask={self.window.actionConfirmBranch.isChecked()} reply={self._reply_name()}")
        valid = low <= value <= high
        expected = self._edited_trainer(name, float(value)) if valid else None
        result = self.change(f"set {name} = {value!r}", lambda: self.window.set_value(name, value), expected,
                             ("edit", name, self.state.cursor), noop=valid and value == self.values()[name])
        self.outcome(result)
        if result in ("refused", "declined"):
            self._assert_boxes_show_state()

    def edit_spinbox(self):
        """A spinbox of the panel set as the learner does: clamped and rounded by the box."""
        name = self.rng.choice(PARAMS + INPUTS)
        box = self.window.parameters.spinboxes[name]
        low, high = box.minimum(), box.maximum()
        assert (low, high) == LIMITS[name], f"the spinbox of {name} does not span the engine's limits"
        inside, outside = _edges(low, high)
        value = self.rng.choice(inside + [v for v in outside if not math.isnan(v)]
                                + [self.rng.uniform(-2, 2), round(self.rng.uniform(0, 1), 3)])
        typed = float(f"{min(max(value, low), high):.{box.decimals()}f}")
        self._branch_reply()
        self.note(f"spinbox {name} <- {value!r} (box {box.value()!r} -> {typed!r}) at "
                  f"{self.state.cursor}/{self.state.last} reply={self._reply_name()}")
        if typed == box.value():   # the box does not change: no edit
            before, index = content(self.state.timeline), self.state.undo_stack.index()
            box.setValue(value)
            assert same(content(self.state.timeline), before) and self.state.undo_stack.index() == index
            self.outcome("unchanged")
            return
        result = self.change(f"spinbox {name} = {typed!r}", lambda: box.setValue(value),
                             self._edited_trainer(name, typed), ("edit", name, self.state.cursor),
                             noop=typed == self.values()[name])
        self.outcome(result)
        self._assert_boxes_show_state()

    def _edited_trainer(self, name, value):
        timeline, cursor = self.state.timeline, self.state.cursor
        values = dict(self.values(), **{name: value})
        x, y, size, seed = self.shown_samples()
        if name in ("x", "y") and len(x) > 1:
            return None   # x or y would replace the dataset: refused, the box is disabled
        samples = ([values["x"]], [values["y"]], None, None) if name in ("x", "y") else (x, y, size, seed)
        return self.expected_trainer(values, timeline.locate(cursor)[0].spec,
                                     timeline.optimizer_state(cursor), samples)

    def _branch_reply(self):
        self.branch_reply = No if self.rng.random() < 0.25 else Yes

    def _reply_name(self):
        return "No" if self.branch_reply == No else "Yes"

    def _assert_boxes_show_state(self):
        self.window.flush()   # an edit's views redraw once, after the change (throttled)
        values = self.shown_values()
        for name, box in self.window.parameters.spinboxes.items():
            low, high = LIMITS[name]
            assert math.isclose(box.value(), min(max(values[name], low), high), abs_tol=0.5e-6), \
                f"the spinbox of {name} shows {box.value()!r}, the state {values[name]!r}"

    def network_choice(self):
        """A choice of the network or the update, as the learner picks it in a combo box."""
        field = self.rng.choice(sorted(CHOICE_FIELDS))
        value = self.rng.choice(CHOICE_FIELDS[field])
        box = self.window.parameters.choices[field]
        self._branch_reply()
        self.note(f"choose {field} = {value!r} at {self.state.cursor}/{self.state.last} "
                  f"reply={self._reply_name()}")
        index = box.findData(value)
        assert index >= 0, f"{value!r} is not offered for {field}"

        def act():
            box.setCurrentIndex(index)
            box.activated.emit(index)
        result = self.change(f"{field} = {value!r}", act, self._network_trainer(field, value),
                             ("edit", field, self.state.cursor), noop=self._same_spec(field, value))
        self.outcome(result)

    def network_number(self):
        """A number of the network or the update: through its spinbox, or directly at or past its limits."""
        field = self.rng.choice(SPEC_NUMBERS)
        box = self.window.parameters.choices[field]
        if field == "decay_every":
            low, high = DECAY_EVERY_RANGE
            candidates = [box.minimum(), box.maximum(), low, high, low - 1, high + 1, self.rng.randint(1, 500)]
        elif field == "leak":
            low, high = LEAK_RANGE
            candidates = [low, high, 0.5, float(np.nextafter(high, 2)), -1e-9, math.nan]
        else:
            low, high, closed_low, closed_high = RATE_RANGES[field]
            candidates = [box.minimum(), box.maximum(), low, high, float(np.nextafter(high, math.inf)),
                          float(np.nextafter(high, -math.inf)), float(np.nextafter(low, math.inf)),
                          5e-324, -1e-9, self.rng.uniform(low, min(high, 1.0))]
        value = self.rng.choice(candidates)
        through_box = self.rng.random() < 0.5 and not (isinstance(value, float) and math.isnan(value))
        self._branch_reply()
        if through_box:
            lo, hi = box.minimum(), box.maximum()
            clamped = min(max(value, lo), hi)
            typed = int(clamped) if field == "decay_every" else float(f"{clamped:.{box.decimals()}f}")
            self.note(f"spinbox {field} <- {value!r} ({box.value()!r} -> {typed!r}) at "
                      f"{self.state.cursor}/{self.state.last} reply={self._reply_name()}")
            if typed == box.value():
                before = content(self.state.timeline)
                box.setValue(value)
                assert same(content(self.state.timeline), before)
                self.outcome("unchanged")
                return
            result = self.change(f"{field} spinbox = {typed!r}", lambda: box.setValue(value),
                                 self._network_trainer(field, typed), ("edit", field, self.state.cursor),
                                 noop=self._same_spec(field, typed))
        else:
            self.note(f"set_spec({field!r}, {value!r}) at {self.state.cursor}/{self.state.last} "
                      f"reply={self._reply_name()}")
            result = self.change(f"{field} = {value!r}", lambda: self.window.set_spec(field, value),
                                 self._network_trainer(field, value), ("edit", field, self.state.cursor),
                                 noop=self._same_spec(field, value))
        self.outcome(result)

    def _same_spec(self, field, value):
        spec = self.state.timeline.locate(self.state.cursor)[0].spec
        try:
            return dataclasses.replace(spec, **{field: value}) == spec
        except InputError:
            return False

    def _network_trainer(self, field, value):
        timeline, cursor = self.state.timeline, self.state.cursor
        old = timeline.locate(cursor)[0].spec
        try:
            spec = dataclasses.replace(old, **{field: value})
        except InputError:
            return None
        # Another optimizer state starts from rest; the same one goes on where it was.
        carried = timeline.optimizer_state(cursor) if row_for(spec) == row_for(old) else None
        return self.expected_trainer(self.values(), spec, carried, self.shown_samples())

    def samples_direct(self):
        """MainWindow.set_samples: a preset or a few samples, with a batch size and a shuffle seed."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.4:
            name = rng.choice(sorted(PRESETS))
            x, y = preset(name, rng.choice([1, 2, 7, 50]), seed=rng.randrange(3))
            x, y = list(x), list(y)
        else:
            n = rng.randint(1, 6)
            x = [rng.choice([0.0, 1000.0, -1000.0, 5e-324, rng.uniform(-3, 3)]) for _ in range(n)]
            y = [rng.choice([0.0, 1000.0, -1000.0, rng.uniform(-3, 3)]) for _ in range(n)]
            if rng.random() < 0.25:   # one bad sample: refused
                bad = rng.choice([math.nan, math.inf, 1000.0000001, -1e308, "abc", ""])
                (x if rng.random() < 0.5 else y)[rng.randrange(n)] = bad
        size = rng.choice([None, None, 1, 2, 3, len(x), len(x) + 1, 1_000_000, 0, -1])
        seed = rng.choice([None, None, 0, 7, 999_999, 2 ** 40, -1])
        self._branch_reply()
        self.note(f"set_samples({len(x)} samples {x[:3]!r}…, batch {size}, seed {seed}) at "
                  f"{self.state.cursor}/{self.state.last} reply={self._reply_name()}")
        expected = self._samples_trainer(x, y, size, seed)
        result = self.change("set_samples", lambda: self.window.set_samples(x, y, size, seed), expected,
                             ("edit", "samples", self.state.cursor))
        self.outcome(result)

    def _samples_trainer(self, x, y, size, seed):
        try:
            x, y = check_dataset(x, y)
        except InputError:
            return None
        timeline, cursor = self.state.timeline, self.state.cursor
        return self.expected_trainer(self.values(), timeline.locate(cursor)[0].spec,
                                     timeline.optimizer_state(cursor), (x, y, size, seed))

    def samples_panel(self):
        """The dataset dock as the learner uses it: a preset or typed rows, the batching, Apply."""
        rng, panel = self.rng, self.window.dataset_panel
        model = panel.table.model()
        if not self.window.dataset_dock.isVisible() and rng.random() < 0.5:
            self.window.dataset_dock.show()
        self.window.flush()
        self._check_panel()
        steps = []
        csvs = sorted(self.tmp.glob("*.csv"))
        if csvs and rng.random() < 0.2:   # an exported dataset, or another CSV: refused
            path = rng.choice(csvs)
            before, shown = panel.rows(), len(self.shown)
            self.open_path = path
            _button(panel, "Import CSV…").click()
            try:
                x, y = read_csv(path)
            except InputError:
                assert panel.rows() == before and [n for n, _ in self.shown[shown:]] == ["critical"], \
                    f"importing {path.name} was not refused with the rows left as they were"
                steps.append(f"import {path.name}: refused")
            else:
                assert panel.rows() == ([repr(float(v)) for v in x], [repr(float(v)) for v in y]), \
                    f"{path.name} is not shown as its samples"
                steps.append(f"import {path.name}")
        elif rng.random() < 0.5:
            name = rng.choice(sorted(PRESETS))
            panel.preset.setCurrentText(name)
            _button(panel, "Load preset").click()
            x, y = preset(name)
            assert panel.rows() == ([repr(float(v)) for v in x], [repr(float(v)) for v in y]), \
                f"the preset {name} is not shown as its samples"
            steps.append(f"preset {name}")
        for _ in range(rng.choice([0, 0, 1, 2])):
            what = rng.random()
            if what < 0.15:
                _button(panel, "Add row").click()
                steps.append("add row")
            elif what < 0.25 and model.rowCount() > 1:
                row = rng.randrange(model.rowCount())
                panel.table.clearSelection()
                panel.table.selectRow(row)
                _button(panel, "Remove rows").click()
                steps.append(f"remove row {row}")
            elif model.rowCount():
                row, column = rng.randrange(model.rowCount()), rng.randrange(2)
                text = rng.choice(CELL_TEXTS)
                before = panel.rows()
                taken = model.setData(model.index(row, column), text)
                # A cell takes a finite number within the engine's limits, and nothing else.
                number = _parse_rows([text], [])[0][0]
                low, high = LIMITS["xy"[column]]
                assert taken == (isinstance(number, float) and math.isfinite(number) and low <= number <= high), \
                    f"the cell took {text!r}" if taken else f"the cell refused {text!r}"
                if not taken:
                    assert panel.rows() == before and panel.message.text(), f"{text!r} refused, yet not as told"
                steps.append(f"cell ({row}, {column}) = {text!r}{'' if taken else ': refused'}")
        mode = rng.choice([FULL, MINI, ONE])
        panel.mode.setCurrentText(mode)
        panel.batch_size.setValue(rng.choice([1, 2, 5, 8, 50, 1_000_000]))
        panel.shuffle.setChecked(rng.random() < 0.5)
        panel.seed.setValue(rng.choice([0, 1, 42, 999_999]))
        size = None if mode == FULL else (1 if mode == ONE else panel.batch_size.value())
        seed = panel.seed.value() if size is not None and panel.shuffle.isChecked() else None
        xs, ys = panel.rows()   # the typed text: what the learner asks for
        self._branch_reply()
        self.note(f"dataset panel: {'; '.join(steps) or 'as shown'}; {len(xs)} rows, {mode}, batch {size}, "
                  f"seed {seed}, apply at {self.state.cursor}/{self.state.last} reply={self._reply_name()}")
        expected = self._samples_trainer(*_parse_rows(xs, ys), size, seed)
        result = self.change("dataset panel", panel.apply_button.click, expected,
                             ("edit", "samples", self.state.cursor))
        self.outcome(result)
        if result == "applied":
            self.window.flush()
            trainer = self.state.timeline.locate(self.state.cursor)[0]
            shown = _parse_rows(*panel.rows())
            assert np.array_equal(shown[0], trainer.x) and np.array_equal(shown[1], trainer.y), \
                "the dataset panel does not show the samples just applied"

    def branch(self):
        """An earlier state, then a change there: a new branch (asked about, or not)."""
        state = self.state
        if state.last == 0:
            self._keep_short()
            self.note("a step first")
            self._train(self.window.actionStep.trigger, steps=1)
            return
        step = self.rng.randrange(state.last)
        self.note(f"to {step} of {state.last} for a branch")
        self.window.timeline_bar.slider.setValue(step)
        assert state.cursor == step
        change = self.rng.choice([self.edit_direct, self.edit_spinbox, self.edit_spinbox, self.network_choice,
                                  self.network_number, self.samples_direct, self.samples_panel, self.init])
        change()

    def step(self):
        self._keep_short()
        self.note(f"step at {self.state.cursor}/{self.state.last}")
        self._train(self.window.actionStep.trigger, steps=1)

    def forward(self):
        state = self.state
        self.note(f"step forward at {state.cursor}/{state.last}")
        if state.cursor < state.last:
            before, cursor = content(state.timeline), state.cursor
            self.window.actionStepForward.trigger()
            assert state.cursor == cursor + 1 and same(content(state.timeline), before)
        else:
            self._keep_short()
            self._train(self.window.actionStepForward.trigger, steps=1)

    def _keep_short(self):
        if self.state.last >= MAX_STATES:
            self.note(f"(reset: {self.state.last + 1} states)")
            self.reset()

    def _train(self, act, steps):
        state, window = self.state, self.window
        before, cursor, index = content(state.timeline), state.cursor, state.undo_stack.index()
        diverged = state.timeline.divergence
        act()
        after = content(state.timeline)
        assert same(cut(after, length_of(before)), before), "training changed the states before it"
        if length_of(after) == length_of(before) + steps:
            assert state.cursor == state.last
            self._record(index, before, cursor, ("step",))
            self.outcome("trained")
        else:
            assert same(after, before), "a step that did not train changed the line"
            assert state.timeline.divergence is not None, "a step trained nothing, without a divergence"
            assert diverged is not None or state.undo_stack.index() == index
            assert window.statusBar().currentMessage() == state.timeline.divergence.message
            self.outcome("diverged")

    def run(self):
        """Run for a while at one of the speeds, then pause (or undo, or edit, while it runs)."""
        self._keep_short()
        state, window, rng = self.state, self.window, self.rng
        rate = rng.choice(RATES)
        wanted = rng.randint(1, {100: 8, 1000: 60, 10000: 150}[rate])
        then = rng.choice(["pause"] * 6 + ["undo", "edit"])
        window.speed.setCurrentIndex(window.speed.findData(rate))
        before, last, index = content(state.timeline), state.last, state.undo_stack.index()
        self.note(f"run at {rate} steps/s from {state.cursor}/{last} for ≥ {wanted} steps, then {then}")
        window.runner.clock = self.clock
        window.actionRun.trigger()
        assert window.runner.running and window.actionRun.isChecked() and state.cursor == last
        self._tick_until(lambda: state.last >= last + wanted)
        if then == "edit" and window.runner.running:
            name, value = rng.choice(PARAMS + ("alpha",)), rng.uniform(0.0, 0.1)
            self.log[-1] += f", set_value({name!r}, {value!r}) at {state.cursor}/{state.last}"
            window.set_value(name, value)
            edited = state.cursor
            assert self.values(edited)[name] == value or window.statusBar().currentMessage().startswith(
                "Not applied"), "an edit while training ran was lost"
            self._tick_until(lambda: state.last >= edited + 2)
        if then == "undo" and window.runner.running:
            ran, ran_to = content(state.timeline), state.last
            window.actionUndo.trigger()
            assert not window.runner.running and not window.actionRun.isChecked()
            assert state.undo_stack.index() == index, "undo while running did not take back the run"
            assert same(content(state.timeline), before), \
                f"undo while running: {differences(content(state.timeline), before)}"
            assert state.cursor == last
            # Redo trains the same states again.
            for table in (self.lines, self.cursor_before, self.cursor_after, self.kind):
                for k in [k for k in table if k > index]:
                    del table[k]
            self.lines[index + 1], self.kind[index + 1] = ran, ("run",)
            self.cursor_before[index + 1], self.cursor_after[index + 1] = last, ran_to
            self.outcome(f"undone after {ran_to - last} steps")
            return
        if window.runner.running:
            window.actionRun.trigger()
        assert not window.runner.running and not window.actionRun.isChecked()
        assert window.actionRun.text() == "&Run"
        after = content(state.timeline)
        if then != "edit":
            assert same(cut(after, length_of(before)), before), "running changed the states before it"
            assert state.cursor == state.last
            if length_of(after) == length_of(before):
                assert state.timeline.divergence is not None
                assert window.statusBar().currentMessage() == state.timeline.divergence.message
        self.outcome(f"{then} after {length_of(after) - length_of(before)} steps")
        self._record(index, before, last, ("run",))
        if then == "undo":   # it stopped by itself: undo as usual
            self.log[-1] += ", then undo"
            self._undo_redo(window.actionUndo, -1)

    def _tick_until(self, done):
        """The runner's ticks, 1/64 s apart on the walk's clock, until ``done()`` or it stops."""
        runner = self.window.runner
        for _ in range(100_000):
            if done() or not runner.running:
                return
            self.clock.now += 1 / 64     # exact in binary: the steps a tick owes add up exactly
            runner.tick()
        raise AssertionError(f"a run at {runner.steps_per_second} steps/s trained too little")

    def back(self):
        state = self.state
        times = self.rng.choice([1, 1, 2, 5])
        self.note(f"step back ×{times} at {state.cursor}/{state.last}")
        before, cursor = content(state.timeline), state.cursor
        for _ in range(times):
            self.window.actionStepBack.trigger()
        assert state.cursor == max(0, cursor - times) and same(content(state.timeline), before)

    def scrub(self):
        state = self.state
        step = self.rng.choice([0, state.last, self.rng.randint(0, state.last)])
        self.note(f"scrub to {step} of {state.last}")
        before = content(state.timeline)
        self.window.timeline_bar.slider.setValue(step)
        assert state.cursor == step and same(content(state.timeline), before)

    def undo(self):
        self.note(f"undo at index {self.state.undo_stack.index()}")
        self._undo_redo(self.window.actionUndo, -1)

    def redo(self):
        self.note(f"redo at index {self.state.undo_stack.index()} of {self.state.undo_stack.count()}")
        self._undo_redo(self.window.actionRedo, +1)

    def _undo_redo(self, action, direction):
        stack = self.state.undo_stack
        index = stack.index()
        possible = stack.canUndo() if direction < 0 else stack.canRedo()
        assert action.isEnabled() == possible
        before, cursor = content(self.state.timeline), self.state.cursor
        action.trigger()
        if not possible:
            assert stack.index() == index and same(content(self.state.timeline), before)
            assert self.state.cursor == cursor
            self.outcome("nothing to take back" if direction < 0 else "nothing to redo")
            return
        assert stack.index() == index + direction
        self._after_undo_redo(index, direction)

    def _after_undo_redo(self, index, direction):
        """The line as it was at the new index of the stack; the shown state as before that command
        (undo) or after it (redo)."""
        new = index + direction
        if direction == 0 or new < 0:
            return
        line = self.lines.get(new)
        now = content(self.state.timeline)
        if line is not None:
            assert same(now, line), f"undo/redo to {new}: {differences(now, line)}"
        self.outcome("checked" if line is not None else "unknown")
        cursor = self.cursor_before.get(index) if direction < 0 else self.cursor_after.get(new)
        if cursor is not None:
            assert self.state.cursor == cursor, f"undo/redo to {new} shows {self.state.cursor}, not {cursor}"
        self.lines[new] = now

    def reset(self):
        state = self.state
        self.note(f"reset at {state.cursor}/{state.last}")
        newest = state.timeline.segments[-1]
        before, index, cursor = content(state.timeline), state.undo_stack.index(), state.cursor
        expected = [(segment_meta(newest.trainer), before[-1][1][:1])]
        self.window.actionReset.trigger()
        assert same(content(state.timeline), expected), \
            f"reset: {differences(content(state.timeline), expected)}"
        assert state.cursor == 0
        self._record(index, before, cursor, ("reset",))

    def confirm_branch(self):
        self.window.actionConfirmBranch.trigger()
        self.note(f"ask before dropping states: {self.window.actionConfirmBranch.isChecked()}")

    def init(self):
        scheme = self.rng.choice(SCHEMES)
        seed = self.rng.choice([0, SEED_RANGE - 1, self.rng.randrange(SEED_RANGE)])
        ok = self.rng.random() < 0.85
        self.seed_reply = (seed, ok)
        self._branch_reply()
        self.note(f"initialize {scheme} seed {seed} ok={ok} at {self.state.cursor}/{self.state.last} "
                  f"reply={self._reply_name()}")
        action = next(a for a in self.window.init_actions if a.objectName().lower().endswith(scheme))
        if not ok:
            before, index = content(self.state.timeline), self.state.undo_stack.index()
            action.trigger()
            assert same(content(self.state.timeline), before) and self.state.undo_stack.index() == index
            self.outcome("cancelled")
            return
        values = dict(self.values(), **initialize(scheme, seed))
        timeline, cursor = self.state.timeline, self.state.cursor
        expected = self.expected_trainer(values, timeline.locate(cursor)[0].spec,
                                         timeline.optimizer_state(cursor), self.shown_samples())
        shown = len(self.shown)
        result = self.change(f"initialize {scheme}", action.trigger, expected, ("init",),
                             noop=all(values[p] == self.values()[p] for p in PARAMS))
        self.outcome(result)
        if result == "applied":
            assert str(seed) in self.window.statusBar().currentMessage()
            if scheme == "zeros":
                assert [name for name, _ in self.shown[shown:]] == ["information"]

    def export_derivation(self):
        path = self._new_path("derivation", ".csv")
        self.note(f"export derivation of {self.state.cursor} to {path.name}")
        step, derivation = self.state.cursor, self.state.timeline.derivation(self.state.cursor)
        before = content(self.state.timeline)
        self.window.actionExportDerivation.trigger()
        wait_for_writes(self.qtbot, self.window)
        with open(path, newline="", encoding="utf-8") as stream:
            rows = list(csv.reader(stream))
        assert rows[0] == ["step", "layer", "quantity", "symbol", "formula", "substitution", "value",
                           "numerical", "relative_error"]
        assert len(rows) - 1 == len(list(derivation))
        for row, term in zip(rows[1:], derivation):
            assert row[:6] == [str(step), term.layer, term.id, term.symbol, term.formula, term.substitution]
            assert float(row[6]) == term.value or math.isnan(term.value) and math.isnan(float(row[6])), row
            if term.id not in {f"dL/d{p}" for p in PARAMS}:
                assert row[7:] == ["", ""], row   # the numerical check: for the six gradients only
        assert same(content(self.state.timeline), before)
        self.outcome("written")

    def export_history(self):
        path = self._new_path("history", ".csv")
        timeline = self.state.timeline
        self.note(f"export history of {len(timeline)} states to {path.name}")
        before = content(timeline)
        self.window.actionExportHistory.trigger()
        wait_for_writes(self.qtbot, self.window)
        header, rows = read_history_csv(path)
        assert header[:14] == ["step", *PARAMS, "loss", "dL/dW1", "dL/db1", "dL/dW2", "dL/db2",
                               "dL/dW3", "dL/db3"]
        columns = timeline.columns
        expected = timeline.rows()
        assert [int(r[0]) for r in rows] == list(range(len(timeline)))
        read = np.array([[float(c) if c != "" else math.nan for c in r[1:]] for r in rows])
        order = [columns.index("L" if name == "loss" else name) for name in header[1:]]
        assert sorted(order) == list(range(len(columns))), f"the history's columns {header} are not {columns}"
        assert np.array_equal(read, expected[:, order], equal_nan=True), "the exported history differs"
        assert same(content(self.state.timeline), before)
        self.outcome("written")

    def export_dataset(self):
        path = self._new_path("dataset", ".csv")
        panel = self.window.dataset_panel
        texts = panel.rows()
        self.note(f"export dataset of {len(texts[0])} rows to {path.name}")
        try:
            x, y = check_dataset(*_parse_rows(*texts))
        except InputError:
            x = None
        shown = len(self.shown)
        self.window.dataset_panel.exportRequested.emit()
        wait_for_writes(self.qtbot, self.window)
        if x is None:
            assert not path.exists() and [n for n, _ in self.shown[shown:]] == ["critical"]
            self.outcome("refused")
            return
        got = read_csv(path)
        assert np.array_equal(got[0], x) and np.array_equal(got[1], y), "the exported dataset differs"
        self.outcome("written")

    def _new_path(self, stem, suffix):
        self.files += 1
        path = self.tmp / f"{stem}-{self.files}{suffix}"
        self.save_path = path
        return path

    def save(self):
        window, state = self.window, self.state
        save_as = self.rng.random() < 0.5 or window.sessions.path is None
        if save_as:
            path = self._new_path("session", self.rng.choice([".bpe", ""]))
            target = path if path.suffix else path.with_suffix(".bpe")
        else:
            target = window.sessions.path
        self.note(f"{'save as' if save_as else 'save'} {os.path.basename(target)}")
        wait_for_writes(self.qtbot, window)
        expected = (content(state.timeline), state.cursor, self._settings())
        before_index = state.undo_stack.index()
        (window.actionSaveAs if save_as else window.actionSave).trigger()
        wait_for_writes(self.qtbot, window)
        assert os.path.exists(target), f"{target} was not written"
        self._check_session(target, *expected)
        self.saved[str(target)] = expected
        assert str(window.sessions.path) == str(target)
        assert state.undo_stack.index() == before_index and state.undo_stack.isClean()
        assert not window.isWindowModified() and os.path.basename(target) in window.windowTitle()
        self.outcome("saved")

    def _settings(self):
        return {"speed": int(self.window.speed.currentData()), "log_scale": self.window.loss_plot.log}

    def _check_session(self, path, line, cursor, settings):
        loaded = session.read(path)
        got = content(loaded.timeline)
        assert same(got, line), f"the session in {path} differs: {differences(got, line)}"
        assert loaded.cursor == cursor
        for key, value in settings.items():
            assert loaded.settings[key] == value, key

    def open(self):
        window, state = self.window, self.state
        if not self.saved:
            return self.save()
        path = self.rng.choice(sorted(self.saved))
        self.unsaved_reply = self.rng.choice([Discard, Discard, Cancel, Save])
        modified = not state.undo_stack.isClean()
        reply = {Discard: "Discard", Cancel: "Cancel", Save: "Save"}[self.unsaved_reply]
        self.note(f"open {os.path.basename(path)} (modified {modified}, answer {reply})")
        wait_for_writes(self.qtbot, window)
        before, cursor, current = content(state.timeline), state.cursor, window.sessions.path
        pending = (before, cursor, self._settings())
        if self.unsaved_reply == Save and current is None:
            self.save_path = self._new_path("session", ".bpe")
        self.open_path = path
        self.questions.clear()
        window.actionOpen.trigger()
        wait_for_writes(self.qtbot, window)
        assert self.questions.count(UNSAVED_QUESTION) == (1 if modified else 0)
        if modified and self.unsaved_reply == Cancel:
            assert same(content(state.timeline), before) and state.cursor == cursor
            self.outcome("cancelled")
            return
        if modified and self.unsaved_reply == Save:
            written = str(current or self.save_path)
            self._check_session(written, *pending)
            self.saved[written] = pending
        line, saved_cursor, settings = self.saved[path]
        got = content(state.timeline)
        assert same(got, line), f"the opened session differs from the one saved: {differences(got, line)}"
        assert state.cursor == saved_cursor and self._settings() == settings
        assert state.undo_stack.count() == 0 and state.undo_stack.isClean()
        assert str(window.sessions.path) == path
        assert not window.isWindowModified() and os.path.basename(path) in window.windowTitle()
        self._forget_history()
        self.outcome("opened")

    def new(self):
        window, state = self.window, self.state
        self.unsaved_reply = self.rng.choice([Discard, Discard, Cancel])
        modified = not state.undo_stack.isClean()
        answer = "Cancel" if self.unsaved_reply == Cancel else "Discard"
        self.note(f"new (modified {modified}, answer {answer})")
        wait_for_writes(self.qtbot, window)
        before, cursor = content(state.timeline), state.cursor
        window.actionNew.trigger()
        wait_for_writes(self.qtbot, window)
        if modified and self.unsaved_reply == Cancel:
            assert same(content(state.timeline), before) and state.cursor == cursor
            return
        fresh = reference_trainer()
        assert same(content(state.timeline), [(segment_meta(fresh), fresh.history.rows(0, 1))])
        assert state.cursor == 0 and state.undo_stack.count() == 0 and window.sessions.path is None
        self._forget_history()
        self.outcome("started")

    def autosave(self):
        window, state = self.window, self.state
        self.note(f"autosave (modified {not state.undo_stack.isClean()})")
        wait_for_writes(self.qtbot, window)
        expected = (content(state.timeline), state.cursor, self._settings())
        wrote = window.sessions.autosave()
        wait_for_writes(self.qtbot, window)
        path = window.sessions.autosave_path()
        if state.undo_stack.isClean():
            assert not wrote
        elif wrote:
            self._check_session(path, *expected)
            self.outcome("written")

    def page(self):
        """Another plot tab.  The landscape is shown only for this action (it
        is the slowest view to refresh), and checked while shown."""
        window = self.window
        index = self.rng.randrange(window.plots.count())
        landscape = window.plots.tabText(index) == "Landscape"
        self.note(f"plot tab {window.plots.tabText(index)}")
        window.plots.setCurrentIndex(index)
        if landscape:
            self.check()
            values = self.values()
            inside = all(LIMITS[p][0] <= values[p] <= LIMITS[p][1] for p in PARAMS)
            assert window.landscape.note.isVisible() != inside
            assert (window.landscape.grid_values is None) != inside
            window.plots.setCurrentIndex(0)

    def log_scale(self):
        """The loss on a log axis, checked, and back."""
        self.note("log axis")
        window = self.window
        window.actionLogScale.trigger()
        assert window.loss_plot.log
        self.check()
        window.actionLogScale.trigger()
        assert not window.loss_plot.log

    # --- after each action ---------------------------------------------------
    def check(self):
        """Every view shows the engine's history at the shown state."""
        window, state = self.window, self.state
        timeline = state.timeline
        window.flush()
        assert not window.runner.running
        cursor = state.cursor
        assert 0 <= cursor < len(timeline)
        for segment in timeline.segments:
            rows = segment.trainer.history.rows(0, segment.length)
            assert np.isfinite(rows).all(), "a recorded state is not finite"
        derivation = timeline.derivation(cursor)
        values = self.shown_values()
        trainer, index = timeline.locate(cursor)
        # The trainer itself, not its id: a new one may get a freed one's id.
        key = (trainer, index, trainer.history.rows(index, index + 1).tobytes())
        assert_table_shows(window, derivation, every_cell=key != self.table_shows)
        self.table_shows = key
        assert_spinboxes_match(window, {n: v for n, v in values.items() if LIMITS[n][0] <= v <= LIMITS[n][1]})
        for name, value in values.items():   # outside the range, the box shows the limit
            low, high = LIMITS[name]
            if not low <= value <= high:
                assert window.parameters.spinboxes[name].value() == min(max(value, low), high), name
        spec = trainer.spec
        for name, box in window.parameters.choices.items():
            if name in CHOICE_FIELDS:
                assert box.currentData() == getattr(spec, name), name
            else:
                wanted = min(max(getattr(spec, name), box.minimum()), box.maximum())
                decimals = box.decimals() if hasattr(box, "decimals") else 0
                assert math.isclose(box.value(), wanted, abs_tol=0.5 * 10 ** -decimals), \
                    f"{name}: box {box.value()!r}, spec {getattr(spec, name)!r}"
        assert_diagram_matches(window, values, derivation)
        loss = timeline.column("L")
        shown = window.loss_plot.shown_loss()
        if window.loss_plot.log:
            positive = loss > 0
            assert np.array_equal(shown[positive], loss[positive])
            assert np.all((shown[~positive] > 0) & (shown[~positive] < 1e-200))
        else:
            np.testing.assert_array_equal(shown, loss)
        assert window.loss_plot.current == cursor
        if not window.loss_plot.log:   # the marker on the curve, at the shown state
            marker = window.loss_plot.marker.getData()
            assert (list(marker[0]), list(marker[1])) == ([cursor], [loss[cursor]])
        slider = window.timeline_bar.slider
        assert (slider.value(), slider.maximum()) == (cursor, len(timeline) - 1)
        stack = state.undo_stack
        assert window.isWindowModified() == (not stack.isClean())
        assert window.undo_dock.widget().model().rowCount() == stack.count() + 1   # "Start", then each change
        self._check_panel()

    def _check_panel(self):
        """Once the shown state is on other samples, the dataset panel shows
        them and how they are used (until the learner types other rows)."""
        trainer = self.state.timeline.locate(self.state.cursor)[0]
        if trainer is not self.panel_shows:
            self.panel_shows = trainer
            panel = self.window.dataset_panel
            x, y = _parse_rows(*panel.rows())
            assert np.array_equal(x, trainer.x) and np.array_equal(y, trainer.y), \
                "the dataset panel does not show the samples of the shown state"
            assert panel.batching() == batching(trainer)


def assert_table_shows(window, derivation, every_cell=True):
    """The table shows ``derivation``: each term's exact value leading its
    tooltip; with ``every_cell``, also its id, rounded value, symbol, formula
    and substitution.  (helpers.assert_table_matches, less a third of the
    reading when the state is the one read last, and with NaN, which a
    diverging update's terms may hold, shown as NaN.)"""
    model = window.table.model()
    rows = model.term_rows()
    terms = list(derivation)
    assert len(rows) == len(terms), f"the table has {len(rows)} terms, the derivation {len(terms)}"
    roles = Qt.ItemDataRole
    for row, term in zip(rows, terms):
        value = model.index(row, 3)
        tip = value.data(roles.ToolTipRole).split("\n")[0]
        assert tip == repr(term.value), f"{term.id}: the table's value is {tip}, the engine's {term.value!r}"
        if not every_cell:
            continue
        assert model.index(row, 0).data(roles.UserRole) == term.id
        text = float(value.data().replace("−", "-"))
        assert text == term.value or math.isclose(text, term.value, rel_tol=1e-5, abs_tol=1e-300) or \
            math.isnan(text) and math.isnan(term.value), \
            f"{term.id}: shown {text!r}, the engine's {term.value!r}"
        cells = [model.index(row, column).data() for column in range(3)]
        assert cells == [term.symbol, term.formula, term.substitution], \
            f"{term.id}: shown {cells}, the engine's {[term.symbol, term.formula, term.substitution]}"


def _button(panel, text):
    return next(b for b in panel.findChildren(QPushButton) if b.text() == text)


def _parse_rows(xs, ys):
    """Typed cells as numbers, as a learner means them (a true minus is a minus);
    text that is no number stays text, so that the engine refuses it."""
    def number(text):
        text = text.strip().replace("−", "-")
        try:
            return float(text)
        except ValueError:
            return text
    return [number(t) for t in xs], [number(t) for t in ys]


# How often each action is drawn.
WEIGHTS = {"branch": 8, "edit_direct": 10, "edit_spinbox": 10, "step": 9, "forward": 5, "back": 6, "scrub": 6,
           "run": 4, "undo": 9, "redo": 6, "reset": 2, "confirm_branch": 2, "network_choice": 5,
           "network_number": 5, "samples_direct": 3, "samples_panel": 3, "init": 2,
           "export_derivation": 1, "export_history": 1, "export_dataset": 1, "save": 1, "open": 1,
           "new": 0.3, "autosave": 0.5, "page": 0.5, "log_scale": 0.5}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_actions_keep_every_view_on_the_engines_history(window, qtbot, tmp_path, monkeypatch,
                                                               no_modal_dialogs, seed):
    walk = Walk(window, qtbot, tmp_path, monkeypatch, seed, no_modal_dialogs)
    state = window.state
    walk_actions(walk, qtbot, WEIGHTS, ACTIONS, lambda: (
        f"seed {seed} (shown: state {state.cursor} of {state.last}, tab "
        f"{window.plots.tabText(window.plots.currentIndex())!r}, "
        f"{ {n: float(f'{v:.4g}') for n, v in state.edited_values().items()} }, spec {state.spec()})\n"
        f"replay: BACKPROP_SEED={seed} pytest tests/gui/test_gui_random_actions.py"))
    print(f"seed {seed}: {ACTIONS} actions",
          *(f"{n:5} {what}" for what, n in sorted(walk.tally.items())), sep="\n")


def test_another_session_of_the_same_length_shows_its_own_states(window, qtbot, tmp_path):
    """Found by the walk: the window's derivation was cached by (shown step,
    generation, length), which a session opened next may share."""
    paths = []
    for alpha in (0.01, 0.05):
        paths.append(tmp_path / f"alpha-{alpha}.bpe")
        session.save(paths[-1], Timeline(reference_trainer(3, dict(DEFAULTS, alpha=alpha))), 3, {})
    for path in paths:
        assert window.sessions.open(str(path))
        wait_for_writes(qtbot, window)
        window.flush()
        derivation = window.state.timeline.derivation(3)
        assert_table_shows(window, derivation)
        assert_diagram_matches(window, window.state.edited_values(), derivation)
    assert window.state.edited_values()["alpha"] == 0.05


def test_the_data_plot_draws_samples_a_few_denormals_apart(window, qtbot):
    """Found by the walk: ŷ(x) and the samples within 1e−322 of each other made
    the data plot's scale overflow, and every paint of it fail."""
    window.plots.setCurrentWidget(window.data_plot)
    window.actionConfirmBranch.setChecked(False)
    with qtbot.captureExceptions() as exceptions, warnings.catch_warnings():
        # Under "error" pyqtgraph's RuntimeWarning inside paint would take the process down with it.
        warnings.simplefilter("ignore", RuntimeWarning)
        window.set_spec("activation1", "relu")
        for name, value in {"W1": -5e-324, "b1": 0.0, "b2": 0.0, "b3": 0.0, "x": -3.0, "y": 5e-324}.items():
            window.set_value(name, value)
        window.flush()
        window.data_plot.repaint()
        qtbot.wait(1)
        low, high = window.data_plot.getPlotItem().getViewBox().viewRange()[1]
        failures = "".join(traceback.format_exception(*exceptions[0])) if exceptions else ""
        window.actionNew.trigger()       # a plot that can be drawn in any case, for the teardown
        window.flush()
        window.data_plot.repaint()
        qtbot.wait(1)
    assert not failures, failures
    assert low <= 0.0 <= 5e-324 <= high and high - low > 1e-200


# --- what the walk found in the loss plot and the landscape ---

def test_the_marker_sits_on_the_curve_on_a_log_axis(window):
    window.state.train(3)
    window.actionLogScale.trigger()
    window.flush()
    loss = window.state.timeline.column("L")[3]
    y = window.loss_plot.marker.getData()[1][0]
    assert math.isclose(y, math.log10(loss), rel_tol=1e-12), \
        f"the marker is at {y}, the curve at {math.log10(loss)}"


def test_the_landscape_shows_a_state_whose_parameters_left_the_limits(window, qtbot):
    window.set_value("alpha", 100.0)
    window.state.train(5)                # W₃ leaves [−1000, 1000] on the way to diverging
    values = window.state.edited_values()
    assert any(not LIMITS[p][0] <= values[p] <= LIMITS[p][1] for p in PARAMS)
    with qtbot.captureExceptions() as exceptions:
        window.plots.setCurrentWidget(window.landscape)
        window.flush()
    assert not exceptions, "".join(traceback.format_exception(*exceptions[0]))


def test_the_loss_plot_draws_losses_a_few_denormals_apart(window, qtbot):
    window.actionConfirmBranch.setChecked(False)
    for name in PARAMS + ("alpha",):
        window.set_value(name, 0.0)
    with qtbot.captureExceptions() as exceptions, warnings.catch_warnings():
        # Under "error" pyqtgraph's RuntimeWarning inside paint takes the process down with it.
        warnings.simplefilter("ignore", RuntimeWarning)
        for y in (1e-161, 2e-161):       # L = y²: 1e−322, then 4e−322
            window.set_value("y", y)
            window.state.train(1)
        window.flush()
        window.loss_plot.repaint()
        qtbot.wait(1)
        tiny = window.state.timeline.column("L").max()
        failures = "".join(traceback.format_exception(*exceptions[0])) if exceptions else ""
        window.actionNew.trigger()       # a plot that can be drawn again, for the teardown
        window.flush()
        window.loss_plot.repaint()
        qtbot.wait(1)
    assert 0 < tiny < 1e-320
    assert not failures, failures
