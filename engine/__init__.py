"""The numeric engine of Backprop Explorer: numpy and the standard library only.

Formulas live in :mod:`engine.terms`, a table per :class:`Spec` (the hidden
layers' activations and the loss convention); they are compiled (:mod:`engine.compiled`)
into the training loops and rendered into the records of
:mod:`engine.derivation` that the window, the CSV and the command line show.
"""

from .derivation import Derivation, Term, derive, evaluate
from .gradcheck import check_gradients
from .history import History
from .limits import DEFAULTS, INPUTS, LIMITS, PARAMS, InputError
from .terms import (ACTIVATIONS, DEFAULT_SPEC, GRADIENTS, LOSSES, SECTION_TITLES, SECTIONS, TERMS,
                    Spec, section_titles, spec_of, terms_for)
from .training import Divergence, Trainer

__all__ = [
    "ACTIVATIONS", "DEFAULTS", "DEFAULT_SPEC", "Derivation", "Divergence", "GRADIENTS", "History",
    "INPUTS", "InputError", "LIMITS", "LOSSES", "PARAMS", "SECTIONS", "SECTION_TITLES", "Spec",
    "TERMS", "Term", "Trainer", "check_gradients", "derive", "evaluate", "section_titles",
    "spec_of", "terms_for",
]
