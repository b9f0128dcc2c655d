"""What a view may read of the shown state: one frozen record per change,
built by the state (gui/state.py ``shown``) and handed to every view's
``display``.  No view reads the state, the timeline's trainers or another
view's widgets."""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shown:
    step: int                          # the shown state's number in the line
    last: int                          # the newest state's
    line: object                       # every state, to read columns of: column(name, start, stop)
    params: Mapping[str, float]        # W₁ … b₃
    values: Mapping[str, float]        # what the panel shows: the parameters, x, y (a dataset's means), α
    x: np.ndarray                      # the samples the shown state trains on
    y: np.ndarray
    batch_size: int | None
    shuffle_seed: int | None
    alpha: float
    spec: object                       # the network and its update rule (engine.terms.Spec)
    optimizer_state: Mapping[str, float]
    derivation: object                 # the records the table, the diagram and the walk read
    segment: object                    # the part of the line it belongs to: its samples change only with it
    hidden: frozenset = frozenset()    # predict mode: the terms not yet revealed
    running: bool = False              # training runs: views draw what is cheap


class DrawnWhenVisible:
    """A view that draws only while visible: a record displayed while hidden
    is kept and drawn when the view is shown (a tab, a dock)."""

    _waiting = None

    def display(self, shown):
        if self.isVisible():
            self._waiting = None
            self.draw(shown)
        else:
            self._waiting = shown

    def showEvent(self, event):
        super().showEvent(event)
        if self._waiting is not None:
            shown, self._waiting = self._waiting, None
            self.draw(shown)
