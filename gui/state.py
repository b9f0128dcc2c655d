"""The one object the window's views read.  It owns the engine's timeline
and the shown step, changes them only through undoable commands, and says
when something changed.  No arithmetic of its own."""

import concurrent.futures
import dataclasses
import threading
import weakref

import numpy as np

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from engine import DEFAULTS, INPUTS, PARAMS, InputError, Spec, Trainer
from engine.compiled import row_for
from engine.dataset import check_dataset
from engine.examples import EXAMPLES, EXAMPLE_TEXT, samples as example_samples
from engine.elements import element_symbol, place
from engine.gradcheck import trainer_checks
from engine.init import SCHEME_NAMES, initialize, initialize_network
from engine.layers import params_of
from engine.limits import check
from engine.network import row_columns
from engine.network_training import NetworkTrainer
from engine.terms import DEFAULT_SPEC, REFERENCE_LAYERS, choice_text, field_text
from engine.timeline import Timeline

from .commands import EditCommand, ResetCommand, RunCommand
from .shown import Shown
from .training_worker import Job


def _checks(trainer, index, stopped=None):
    """The gradient checks of a state: the chain's six, or a network's per element."""
    if isinstance(trainer, NetworkTrainer):
        return trainer.checks(index, stopped)
    return trainer_checks(trainer, index, stopped)


def _parameter_count(trainer):
    if isinstance(trainer, NetworkTrainer):
        return sum(trainer.table.kinds[p].rows * trainer.table.kinds[p].cols for p in trainer.table.params)
    return len(PARAMS)


def _row(spec):
    """A history row's columns for ``spec``: the chain's or a wider network's."""
    return row_for(spec) if spec.is_reference_shape else row_columns(spec)


@dataclasses.dataclass(frozen=True)
class Goal:
    """Run until the loss is below ``loss`` (None: no target), at most ``steps`` updates."""
    loss: float | None
    steps: int
    start: int       # the last state when the run began


MEMORY_BUDGET = 500 * 2 ** 20   # the states undo may keep alive, beyond what is shown
BACKGROUND_CHECKS_FROM = 20_000   # samples in a batch from which its gradient check runs in a worker
NETWORK_BACKGROUND_CHECKS_FROM = 2_000   # a wider network's: samples × parameter elements


class ExplorerState(QObject):
    changed = Signal()           # whatever is shown may differ: views redraw from the state
    diverged = Signal(object)    # an engine.Divergence: training stopped
    goalReached = Signal(str)    # a run until a goal ended: what happened, in words
    undoFloorChanged = Signal(int)   # undo cannot go back past this many (dropped) changes
    checksReady = Signal()       # the shown state's gradient checks, computed in the background
    _checked = Signal(object, object)   # from the worker thread: (cache key, its future)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._trainers = weakref.WeakSet()   # every trainer made for this window, while alive
        self._bounded = None
        self.timeline = Timeline(self.new_trainer(DEFAULTS))
        self.undo_stack = QUndoStack(self)
        self._cursor = 0
        self._cache = (None, None)
        self._shown = None   # (cache key, Shown)
        self._checks = None
        self.goal = None
        self.memory_budget = MEMORY_BUDGET
        self.background_checks_from = BACKGROUND_CHECKS_FROM
        self._checking = None
        self._check_stop = threading.Event()   # set: the worker's check is of a state shown no more
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self._checked.connect(self._on_checked)   # queued: delivered in the window's thread
        self.undo_floor = 0       # the oldest changes, dropped to bound memory, that undo cannot reach
        self.undo_stack.indexChanged.connect(self._keep_above_floor)
        # After a push, undo or redo has completed: never while the stack is mid-push.
        self.undo_stack.indexChanged.connect(self.changed)
        self.changed.connect(self._drop_stale_check)

    def new_trainer(self, values, spec=DEFAULT_SPEC, optimizer_state=None, samples=None):
        """``samples``: (x, y, batch_size, shuffle_seed) of a dataset; None for
        the single sample values["x"], values["y"].  The chain's trainer for
        the 1-1-1-1 shape, a network's for any other (engine.network_training)."""
        x, y, batch_size, seed = samples if samples is not None else (values["x"], values["y"], None, None)
        if spec.is_reference_shape:
            trainer = Trainer({p: values[p] for p in PARAMS}, x, y, values["alpha"], spec=spec,
                              state=optimizer_state, batch_size=batch_size, shuffle_seed=seed)
        else:
            trainer = NetworkTrainer(spec, {p: values[p] for p in params_of(spec.layers)}, x, y,
                                     values["alpha"], state=optimizer_state, batch_size=batch_size,
                                     shuffle_seed=seed)
        self._trainers.add(trainer)
        return trainer

    def samples(self, step=None):
        """(x, y, batch_size, shuffle_seed) of the shown state's segment."""
        trainer = self.timeline.locate(self._cursor if step is None else step)[0]
        return trainer.x, trainer.y, trainer.batch_size, trainer.shuffle_seed

    def spec(self, step=None):
        """The Spec of the shown state (or of ``step``): its network (activations, loss) and
        its update rule (optimizer, schedule, clipping)."""
        return self.timeline.locate(self._cursor if step is None else step)[0].spec

    # --- reading --------------------------------------------------------
    @property
    def cursor(self):
        """The state on screen."""
        return self._cursor

    @property
    def last(self):
        return len(self.timeline) - 1

    @property
    def divergence(self):
        return self.timeline.divergence

    def edited_values(self, step=None):
        """Parameters, α, and x and y of the first sample: what a hand edit sets, of the shown state (or of ``step``)."""
        return self.timeline.edited_values(self._cursor if step is None else step)

    def start_values(self):
        """The values the newest segment started from: the last ones set by hand."""
        return self.timeline.edited_values(len(self.timeline) - self.timeline.segments[-1].length)

    def shown(self, hidden=frozenset(), running=False):
        """The frozen record every view displays (gui/shown.py)."""
        derivation = self.derivation()
        if self._shown is None or self._shown[0] != self._cache[0]:
            trainer, index = self.timeline.locate(self._cursor)
            record = Shown(self._cursor, self.last, self.timeline, trainer.params(index),
                           self.timeline.shown_values(self._cursor), trainer.x, trainer.y,
                           trainer.batch_size, trainer.shuffle_seed, trainer.alpha, trainer.spec,
                           trainer.optimizer_state(index), derivation, trainer)
            self._shown = (self._cache[0], record)
        record = self._shown[1]
        if (record.hidden, record.running) != (hidden, running):
            record = dataclasses.replace(record, hidden=frozenset(hidden), running=running)
        return record

    def _key(self):
        # The timeline itself is part of the key: another session's (New, Open) may
        # have the same generation, length and shown step.
        return (self.timeline, self._cursor, self.timeline.generation, len(self.timeline))

    def derivation(self):
        key = self._key()
        if self._cache[0] != key:
            self._cache = (key, self.timeline.derivation(self._cursor))
            self._checks = None
        return self._cache[1]

    def _drop_stale_check(self):
        """A check of a state shown no more gives up at once (not at the next redraw, which
        a run defers): it would hold a core that training needs."""
        if self._key() != self._checking:
            self._check_stop.set()

    def gradient_checks(self, wait=False):
        """Central differences for each gradient of the shown state, on the
        samples its update uses (a mini-batch's own, as the table shows).
        A large batch is checked in a worker thread (thirteen passes over a
        million samples take seconds): None until it is done, then
        ``checksReady``; ``wait`` computes them here instead."""
        self.derivation()   # the same cache key
        if self._checks is None:
            trainer, index = self.timeline.locate(self._cursor)
            if wait or not self._checks_in_background(trainer, index):
                self._checks = _checks(trainer, index)
            elif self._checking != self._cache[0]:
                self._checking = key = self._cache[0]
                # A frozen view: training may go on while the worker reads this state.  Started
                # once the views have painted: the worker holds the interpreter for much of it.
                frozen = trainer.frozen(index + 1)
                QTimer.singleShot(0, self, lambda: self._submit(key, frozen, index))
        return self._checks

    def _submit(self, key, trainer, index):
        if key != self._checking:
            return   # another state is shown already: its own check was asked for
        if key != self._key():
            self._checking = None   # shown no more (a run went on): asked again if shown again
            return
        self._check_stop = threading.Event()
        job = self._worker.submit(_checks, trainer, index, self._check_stop.is_set)
        job.add_done_callback(lambda done: self._announce(key, done))

    def _checks_in_background(self, trainer, index):
        """Whether a state's checks take long enough to keep off the window's
        thread: a large batch for the chain; for a wider network, two passes
        per element over the batch, which a redraw must not wait for."""
        samples = len(trainer.batch(index))
        if isinstance(trainer, NetworkTrainer):
            return samples * _parameter_count(trainer) >= NETWORK_BACKGROUND_CHECKS_FROM
        return samples >= self.background_checks_from

    def _announce(self, key, done):
        # In the worker's thread: the window may have gone meanwhile.
        if shiboken6.isValid(self):
            self._checked.emit(key, done)

    def _on_checked(self, key, done):
        if key == self._checking:
            self._checking = None
        if key == self._cache[0] and self._checks is None and done.exception() is None:
            self._checks = done.result()
            self.checksReady.emit()

    # --- moving (not undoable: looking is not changing) ------------------
    def place(self, step):
        """Show ``step``, silently: a command's part of a change; the views redraw
        once the whole change is done (changed, on the stack's indexChanged)."""
        self._cursor = max(0, min(step, self.last))

    def move_to(self, step):
        self.place(step)
        self.changed.emit()

    def move_to_end(self):
        self.move_to(self.last)

    def step_back(self):
        self.move_to(self._cursor - 1)

    def step_forward(self):
        """One state later; past the end, one more update."""
        if self._cursor < self.last:
            self.move_to(self._cursor + 1)
        else:
            self.train(1)

    # --- changing (each one an undoable command) ----------------------------
    # Each change is made in two halves: ``*_command`` checks it and builds its
    # command without changing anything (InputError if the engine refuses it,
    # None if it would change nothing), and ``push`` does it.  The window asks
    # before a branch drops later states only about a change that will be made.
    def push(self, command):
        """Do a command a ``*_command`` method built (None: nothing to do)."""
        if command is not None:
            self.undo_stack.push(command)
            self.bound_memory()

    def held_bytes(self):
        """The rows of every trainer still alive: those the timeline shows and
        those undo and redo keep (a trainer no command holds is gone).  Rows,
        not the chunks reserved for them, which take memory only once written."""
        return sum(len(t.history) * len(t.history.columns) * 8 for t in self._trainers)

    def bound_memory(self):
        """Drop the oldest undo steps while the states they keep exceed the
        budget (never the last change done, nor what is shown)."""
        stack, floor = self.undo_stack, self.undo_floor
        # Memory grows by a new trainer, or by a chunk of training: not on every step of a run.
        key = (stack.count(), len(self.timeline) >> 16)
        if key == self._bounded:
            return
        self._bounded = key
        while floor < stack.index() - 1 and self.held_bytes() > self.memory_budget:
            stack.command(floor).expire()
            floor += 1
        if floor != self.undo_floor:
            self.undo_floor = floor
            self.undoFloorChanged.emit(floor)

    def _keep_above_floor(self, index):
        # Below the floor every change is a no-op: coming back up to it changes nothing either.
        if index < self.undo_floor:
            self.undo_stack.setIndex(self.undo_floor)

    def value_command(self, name, value):
        """A hand edit of one value at the shown state: consecutive ones merge."""
        if name not in PARAMS + INPUTS:
            raise KeyError(name)
        return self._edit_command({name: check(name, value)}, name)

    def values_command(self, values, text):
        """Several hand edits as one change named ``text``; a value the engine refuses is left out."""
        checked = {}
        for name, value in values.items():
            if name not in PARAMS + INPUTS:
                raise KeyError(name)
            try:
                checked[name] = check(name, value)
            except InputError:
                pass
        return self._edit_command(checked, None, text)

    def _edit_command(self, checked, name, text=None):
        shown = self.edited_values()
        values = dict(shown, **checked)
        if all(np.array_equal(values[n], shown[n]) for n in checked):
            return None
        # x or y set by hand replaces the samples by that one sample from here on: never silently a dataset.
        edited = next((n for n in ("x", "y") if not np.array_equal(values[n], shown[n])), None)
        count = len(self.samples()[0])
        if edited and count > 1:
            raise InputError(edited, f"this state trains on a dataset of {count} samples; "
                                     "change them in the Dataset panel (View → Dataset)")
        # The optimizer goes on from where it was (its velocity, its step count), on the same
        # dataset.  Building the trainer first refuses, before any change, a state it cannot start from.
        trainer = self.new_trainer(values, self.spec(), self.timeline.optimizer_state(self._cursor),
                                   None if edited else self.samples())
        return EditCommand(self, name, values, self._cursor, trainer, text=text)

    def element_command(self, element, value):
        """A hand edit of one element of a wider network's parameter, x or y
        (``"W2[1,2]"``, ``"b1[3]"``, ``"x[2]"``; 1-based): consecutive ones merge."""
        changed, number = self._set_elements({element: value})
        return self._edit_command(changed, element, text=f"Set {element_symbol(element)} = {number:g}")

    def elements_command(self, values, text):
        """Several elements set at once (a pick on the landscape): one change named ``text``."""
        return self._edit_command(self._set_elements(values)[0], None, text)

    def _set_elements(self, values):
        """({name: its array with the elements set}, the last number set), each checked."""
        shown, changed, number = self.edited_values(), {}, None
        for element, value in values.items():
            where = place(element)
            if where is None or where[0] not in shown or where[0] == "alpha" or np.ndim(shown[where[0]]) == 0:
                raise KeyError(element)
            name = where[0]
            array = changed.setdefault(name, np.array(shown[name], dtype=float))
            at = where[1:1 + array.ndim]   # x and y are 1-d: their row only
            if not all(0 <= i < n for i, n in zip(at, array.shape)) or (array.ndim == 1 and where[2]):
                raise KeyError(element)
            number = check("W1" if name[0] in "Wb" else name, value)   # the parameters' range, x's, y's
            array[at] = number
        return changed, number

    def network_command(self, spec, values, samples=None, text="Change the network"):
        """A new network at the shown state (another shape, a worked example):
        ``values`` its parameters, x, y and α, ``samples`` a dataset's
        (x, y, batch_size, shuffle_seed) or None; the optimizer starts from rest."""
        trainer = self.new_trainer(values, spec, None, samples)
        return EditCommand(self, None, self.edited_values(), self._cursor, trainer, text=text)

    def layers_command(self, layers, scheme="xavier", seed=0):
        """The shown network rebuilt with the widths ``layers``: its activations,
        loss and update kept, new parameters drawn by ``scheme`` with ``seed``;
        the samples kept where the input and output widths are, else one of 0.5s."""
        spec = self.spec()
        spec = dataclasses.replace(spec, layers=tuple(layers))   # InputError if refused
        if spec == self.spec():
            return None
        values = self.edited_values()
        old = self.spec().layers
        if tuple(layers) == REFERENCE_LAYERS:
            params = initialize(scheme, seed)
        else:
            params = initialize_network(scheme, seed, tuple(layers))
        samples = self.samples() if (old[0], old[-1]) == (layers[0], layers[-1]) else None
        if samples is None:
            chain = tuple(layers) == REFERENCE_LAYERS
            values = dict(values, x=DEFAULTS["x"] if chain else np.full(layers[0], 0.5),
                          y=DEFAULTS["y"] if chain else np.full(layers[-1], 0.5))
        elif tuple(layers) == REFERENCE_LAYERS or old == REFERENCE_LAYERS:
            # The chain keeps its samples as numbers, a network as (n, 1) columns.
            x, y, batch_size, shuffle = samples
            shape = (-1,) if tuple(layers) == REFERENCE_LAYERS else (-1, 1)
            samples = (np.reshape(x, shape), np.reshape(y, shape), batch_size, shuffle)
        values = dict(values, **params)
        text = f"Layers {'-'.join(map(str, layers))} ({SCHEME_NAMES[scheme]}, seed {seed})"
        return self.network_command(spec, values, samples, text)

    def example_command(self, name):
        """One of the worked examples (engine.examples): its network, numbers and samples."""
        example = EXAMPLES[name]
        spec = Spec(**example["network"], **example.get("update", {}))
        layers = spec.layers
        if "init" in example:
            scheme, seed = example["init"]
            params = initialize(scheme, seed) if layers == REFERENCE_LAYERS else \
                initialize_network(scheme, seed, layers)
        else:
            params = dict(example["params"])
        if "data" in example:
            x, y = example_samples(name)
            values = dict(params, x=x[0], y=y[0], alpha=example["alpha"])
            samples = (x, y, None, None)
        else:
            values = dict(params, x=example["x"], y=example["y"], alpha=example["alpha"])
            samples = None
        return self.network_command(spec, values, samples, EXAMPLE_TEXT[name])

    def samples_command(self, x, y, batch_size=None, shuffle_seed=None):
        """Training on a dataset from the shown state on (see set_samples)."""
        if not self.spec().is_reference_shape:
            trainer = self.new_trainer(self.edited_values(), self.spec(),
                                       self.timeline.optimizer_state(self._cursor), (x, y, batch_size, shuffle_seed))
            mode = "full batch" if not trainer.minibatch else f"batches of {trainer.batch_size}"
            return EditCommand(self, "samples", self.edited_values(), self._cursor, trainer,
                               text=f"Use {len(trainer.x)} samples ({mode})")
        x, y = check_dataset(x, y)   # names the first bad sample
        trainer = self.new_trainer(self.edited_values(), self.spec(), self.timeline.optimizer_state(self._cursor),
                                   (x, y, batch_size, shuffle_seed))
        mode = "full batch" if not trainer.minibatch else f"batches of {trainer.batch_size}"
        return EditCommand(self, "samples", self.edited_values(), self._cursor, trainer,
                           text=f"Use {len(trainer.x)} samples ({mode})")

    def spec_command(self, field, value):
        """A change of one Spec field (of the network or of its update rule) at the shown state."""
        spec = dataclasses.replace(self.spec(), **{field: value})   # InputError if refused
        if spec == self.spec():
            return None
        values = self.edited_values()
        # Another optimizer starts from rest; the same one goes on where it was.
        same_state = _row(spec) == _row(self.spec())
        optimizer = self.timeline.optimizer_state(self._cursor) if same_state else None
        trainer = self.new_trainer(values, spec, optimizer, self.samples())
        return EditCommand(self, field, values, self._cursor, trainer,
                           text=f"Set {field_text(field)} to {choice_text(value)}")

    def set_goal(self, loss, steps):
        """The next run stops when the loss falls below ``loss`` (None: no
        target) or after ``steps`` updates, and says which (goalReached)."""
        self.goal = Goal(loss, steps, self.last)

    def train(self, steps, run=None):
        """Up to ``steps`` updates at the end; returns the Divergence if training stopped.
        ``run``: the runner's id of a continuous run, whose chunks are one command
        (one undo takes the whole run back); None for a step of its own."""
        goal = self.goal
        if goal is not None:
            steps = min(steps, goal.start + goal.steps - self.last)
        if self.timeline.divergence is None and steps > 0:
            self.push(RunCommand(self, steps, run, goal and goal.loss))
        return self._trained(goal)

    def training_job(self):
        """What a worker (gui.training_worker) trains from the last state:
        a trainer of its own, and the updates and loss target the goal leaves."""
        goal, trainer = self.goal, self.timeline.trainer
        steps = None if goal is None else max(0, goal.start + goal.steps - self.last)
        return Job(trainer, trainer.continued(), steps, goal and goal.loss)

    def follows(self, chunk):
        """Whether ``chunk`` goes on from the last state (nothing else changed the line since its job began)."""
        trainer = self.timeline.trainer
        return (trainer is chunk.job.source and len(trainer) == chunk.start
                and self.timeline.segments[-1].length == chunk.start)

    def add_trained(self, chunk, run=None):
        """A worker's chunk that :meth:`follows`, added as :meth:`train` adds
        the states it trains; returns the Divergence if training stopped."""
        if self.timeline.divergence is None and (len(chunk.rows) or chunk.divergence is not None):
            self.push(RunCommand(self, len(chunk.rows), run, trained=(chunk.rows, chunk.divergence)))
        return self._trained(self.goal)

    def _trained(self, goal):
        """After states were added: the goal checked, a divergence said."""
        divergence = self.timeline.divergence
        if goal is not None:
            self._check_goal(goal, divergence)
        if divergence is not None:
            self.diverged.emit(divergence)
        return divergence

    def _check_goal(self, goal, divergence):
        done, loss = self.last - goal.start, self.timeline.column("L", self.last)[0]
        if goal.loss is not None and loss < goal.loss:
            text = (f"The loss fell below {goal.loss:g} after {done:,} update{'s' if done != 1 else ''}: "
                    f"L = {loss:.6g} at step {self.last:,}.")
        elif done >= goal.steps or divergence is not None:
            target = f", still not below {goal.loss:g}" if goal.loss is not None else ""
            text = f"Stopped after {done:,} update{'s' if done != 1 else ''}: L = {loss:.6g}{target}."
        else:
            return
        self.goal = None
        self.goalReached.emit(text)

    def reset(self):
        self.push(ResetCommand(self))

    # --- whole sessions (not undoable: a new history of changes begins) -----
    def replace(self, timeline, cursor):
        """Show another session: ``timeline`` (None: the worked example) at ``cursor``."""
        self.undo_stack.clear()
        if self.undo_floor:
            self.undo_floor = 0
            self.undoFloorChanged.emit(0)
        self.timeline = timeline or Timeline(self.new_trainer(DEFAULTS))
        self._trainers.update(s.trainer for s in self.timeline.segments)
        self._bounded = None
        self.move_to(cursor)

    def mark_modified(self):
        """The session differs from any file (a recovered one): leave the clean state."""
        self.undo_stack.resetClean()
