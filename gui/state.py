"""The one object the window's views read: it owns the engine's trainer,
changes it, and says when something changed.  No arithmetic of its own."""

from PySide6.QtCore import QObject, Signal

from engine import DEFAULTS, INPUTS, PARAMS, Trainer
from engine.limits import check


class ExplorerState(QObject):
    changed = Signal()           # whatever is shown may differ: views redraw from the state
    diverged = Signal(object)    # an engine.Divergence: training stopped

    def __init__(self, parent=None):
        super().__init__(parent)
        self._start = dict(DEFAULTS)  # the values the learner last set by hand
        self._trainer = self._new_trainer(self._start)
        self._derivation = None

    @staticmethod
    def _new_trainer(values):
        return Trainer({p: values[p] for p in PARAMS}, values["x"], values["y"], values["alpha"])

    # --- reading --------------------------------------------------------
    @property
    def trainer(self):
        return self._trainer

    @property
    def step_index(self):
        """The state on screen: the latest one."""
        return len(self._trainer) - 1

    @property
    def divergence(self):
        return self._trainer.divergence

    def values(self):
        """Every quantity a spinbox shows: the current parameters, x, y, α."""
        trainer = self._trainer
        return dict(trainer.params(self.step_index), x=float(trainer.x[0]), y=float(trainer.y[0]),
                    alpha=trainer.alpha)

    def derivation(self):
        if self._derivation is None:
            self._derivation = self._trainer.derivation(self.step_index)
        return self._derivation

    # --- changing -------------------------------------------------------
    def _changed(self):
        self._derivation = None
        self.changed.emit()

    def set_value(self, name, value):
        """A hand edit: a new run starts from the shown state with ``name`` changed.
        Raises engine.InputError, changing nothing, if the value is refused."""
        if name not in PARAMS + INPUTS:
            raise KeyError(name)
        values = dict(self.values(), **{name: check(name, value)})
        if values == self.values():
            return
        self._trainer = self._new_trainer(values)
        self._start = values
        self._changed()

    def train(self, steps):
        """Up to ``steps`` updates; returns the Divergence if training stopped."""
        before = len(self._trainer)
        divergence = self._trainer.run(steps)
        if len(self._trainer) != before:
            self._changed()
        if divergence is not None:
            self.diverged.emit(divergence)
        return divergence

    def reset(self):
        """Back to the values last set by hand, with the history cleared."""
        self._trainer = self._new_trainer(self._start)
        self._changed()
