"""The numeric engine of Backprop Explorer: numpy and the standard library only.

Formulas live in :mod:`engine.terms`, a table per :class:`Spec` (the hidden
layers' activations, the loss convention, the optimizer, the learning-rate
schedule and gradient clipping); they are compiled (:mod:`engine.compiled`)
into the training loops and rendered into the records of
:mod:`engine.derivation` that the window, the CSV and the command line show.
"""

from .compiled import row_for
from .derivation import Derivation, Term, derive, evaluate
from .gradcheck import check_gradients
from .history import History
from .limits import DEFAULTS, INPUTS, LIMITS, PARAMS, InputError
from .terms import (ACTIVATIONS, CLIPS, DEFAULT_SPEC, GRADIENTS, LOSSES, OPTIMIZERS, SCHEDULES,
                    SECTION_TITLES, SECTIONS, TERMS, Spec, section_titles, state_columns,
                    terms_for)
from .training import Divergence, Trainer

__all__ = [
    "ACTIVATIONS", "CLIPS", "DEFAULTS", "DEFAULT_SPEC", "Derivation", "Divergence", "GRADIENTS",
    "History", "INPUTS", "InputError", "LIMITS", "LOSSES", "OPTIMIZERS", "PARAMS", "SCHEDULES",
    "SECTIONS", "SECTION_TITLES", "Spec", "TERMS", "Term", "Trainer", "check_gradients", "derive",
    "evaluate", "row_for", "section_titles", "state_columns", "terms_for",
]
