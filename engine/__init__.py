"""The numeric engine of Backprop Explorer: numpy and the standard library only.

Formulas live in :mod:`engine.terms`; they are compiled (:mod:`engine.compiled`)
into the training loops and rendered into the records of
:mod:`engine.derivation` that the window, the CSV and the command line show.
"""

from .derivation import Derivation, Term, derive, evaluate
from .gradcheck import check_gradients
from .history import History
from .limits import DEFAULTS, INPUTS, LIMITS, PARAMS, InputError
from .terms import GRADIENTS, SECTION_TITLES, SECTIONS, TERMS
from .training import Divergence, Trainer

__all__ = [
    "DEFAULTS", "Derivation", "Divergence", "GRADIENTS", "History", "INPUTS", "InputError",
    "LIMITS", "PARAMS", "SECTIONS", "SECTION_TITLES", "TERMS", "Term", "Trainer",
    "check_gradients", "derive", "evaluate",
]
