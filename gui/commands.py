"""Every change a learner makes, as a QUndoCommand on the state's QUndoStack.

A command remembers just enough to go back: a run, how many states the
newest segment had before it (taking it back truncates: instant, however long
the run); an edit or a reset, the timeline's segments before it (a tuple of
references: nothing is copied).  Doing a run again recomputes it, which gives
the identical floats.
"""

from PySide6.QtGui import QUndoCommand

from engine.expr import symbol

RUN_ID, EDIT_ID = 1, 2
DROPPED = " (dropped to save memory)"


class Expirable:
    """A command the state may drop when undo would hold too much memory: it
    lets go of the states it kept, and from then on undoing or redoing it
    changes nothing (the state never goes back past it)."""
    expired = False

    def expire(self):
        self.expired = True
        self._forget()
        self.setText(self.text() + DROPPED)

    def _forget(self):
        self._before = self._trainer = None


class RunCommand(Expirable, QUndoCommand):
    """``steps`` updates at the end of the timeline.  The chunks of one
    continuous run share ``run_id`` and merge into one command."""

    def __init__(self, state, steps, run_id=None, stop_below=None, trained=None):
        super().__init__()
        self._state = state
        self._steps = steps
        self._run_id = run_id
        self._stop_below = stop_below   # stop at the first state whose loss is below this
        self._before_cursor = state.cursor
        self._before = len(state.timeline.trainer)
        self._after = None
        # (rows, Divergence or None) a worker trained from the last state (gui.training_worker):
        # the first redo takes them; a later one trains again, which gives the same floats.
        self._trained = trained
        self.divergence = None

    def id(self):
        return RUN_ID if self._run_id is not None else -1

    def mergeWith(self, other):
        if not isinstance(other, RunCommand) or other._run_id != self._run_id:
            return False
        self._after = other._after
        self._describe()
        return True

    def _describe(self):
        done = self._after - self._before
        self.setText("Step" if self._run_id is None and done == 1 else f"Run {done:,} steps")

    def redo(self):
        if self.expired:
            return
        timeline = self._state.timeline
        if self._trained is not None:
            self.divergence, self._trained = timeline.extend(*self._trained), None
        else:
            steps = self._steps if self._after is None else self._after - self._before
            # A redo trains exactly the states the first run kept: no goal to look for.
            self.divergence = timeline.run(steps, self._stop_below if self._after is None else None)
        self._after = len(timeline.trainer)
        self._describe()
        self.setObsolete(self._after == self._before)   # nothing trained: not worth an undo step
        self._state.place(self._state.last)

    def undo(self):
        if self.expired:
            return
        self._state.timeline.truncate(self._before)
        self._state.place(self._before_cursor)

    def _forget(self):
        pass   # a run keeps no states: undoing it truncates, redoing it trains again


class _Replacing(Expirable, QUndoCommand):
    """A change that replaces the timeline's segments: undoing it puts the old ones back."""

    def __init__(self, state, text=""):
        super().__init__(text)
        self._state = state
        self._before = state.timeline.snapshot()
        self._before_cursor = state.cursor

    def undo(self):
        if self.expired:
            return
        self._state.timeline.restore(self._before)
        self._state.place(self._before_cursor)


class EditCommand(_Replacing):
    """A hand edit at state ``step``: that state becomes the start of a new
    segment with ``name`` changed; later states are dropped (taken back by undo).
    Consecutive edits of one spinbox at one state merge.  ``name`` None: several
    values at once (``text`` names them), never merged."""

    def __init__(self, state, name, values, step, trainer, text=None):
        super().__init__(state, text or f"Set {symbol(name)} = {values[name]:g}")
        self._name = name
        self._values = values
        self._step = step
        self._trainer = trainer

    def id(self):
        return EDIT_ID if self._name is not None else -1   # several values at once: never merged

    def mergeWith(self, other):
        if not isinstance(other, EditCommand) or (other._name, other._step) != (self._name, self._step):
            return False
        self._values, self._trainer = other._values, other._trainer
        self.setText(other.text())
        return True

    def redo(self):
        if self.expired:
            return
        self._state.timeline.branch(self._step, self._trainer)
        self._state.place(self._step)


class ResetCommand(_Replacing):
    """Back to the values the newest segment started from, with one state."""

    def __init__(self, state):
        super().__init__(state, "Reset")
        start = len(state.timeline) - state.timeline.segments[-1].length
        self._trainer = state.new_trainer(state.start_values(), state.spec(start),
                                          state.timeline.segments[-1].trainer.start_state,
                                          state.samples(start))

    def redo(self):
        if self.expired:
            return
        self._state.timeline.start_over(self._trainer)
        self._state.place(0)
