"""The derivation as LaTeX: per state a ``longtable`` with the columns
Quantity, Formula, Substitution, Value, a section's title a row of its own as
in the window; a wider network's vector term has its arrays (substitution =
value) on a line of their own under its formula.  Symbols, formulas and substitutions are written from each
row's expression tree by engine.expr's LaTeX style (``\\frac{\\partial
L}{\\partial W_1}``, ``h_1^\\top``, ``\\odot``); the numbers are the ones the
window's table shows.  Only standard packages: amsmath, array, booktabs and
longtable (and geometry for the whole document's margins)."""

import unicodedata

from . import elements, expr
from .derivation_text import COLUMNS, SECTION, VALUE_DIGITS, VECTOR, rows

PACKAGES = ("amsmath", "array", "booktabs", "longtable")
# Each column's share of the line: the table fits the text of any document it is pasted into.
_WIDTHS = (0.13, 0.28, 0.34, 0.13)
_ALIGN = (r"\raggedright", r"\raggedright", r"\raggedright", r"\raggedleft")
_COLUMNS = "@{}" + "".join(rf">{{{a}\arraybackslash}}p{{{w}\linewidth}}" for a, w in zip(_ALIGN, _WIDTHS)) + "@{}"
# A line across all four columns, exactly as wide as they are (wider, it would widen the last).
_ACROSS = rf"@{{}}>{{\raggedleft\arraybackslash}}p{{\dimexpr {sum(_WIDTHS):g}\linewidth + 6\tabcolsep\relax}}@{{}}"

_DOCUMENT_START = (r"\documentclass{article}" "\n" r"\usepackage[margin=2cm]{geometry}" "\n"
                   + "".join(rf"\usepackage{{{p}}}" "\n" for p in PACKAGES) + r"\begin{document}" "\n")
_DOCUMENT_END = r"\end{document}" "\n"
_BODY_NOTE = rf"% Backprop Explorer's derivation; needs \usepackage{{{','.join(PACKAGES)}}}" "\n"

# LaTeX's special characters in text, and the few others a title or a batch's words may hold.
_TEXT = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
         "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
         "−": "-", "–": "--", "—": "---", "…": r"\dots{}", "×": r"$\times$", "Σ": r"$\Sigma$",
         "½": r"$\frac{1}{2}$", "≤": r"$\le$", "√": r"$\surd$", "∂": r"$\partial$", "⊙": r"$\odot$"}


def escape(text):
    """Plain text in LaTeX's text mode: a heading, a section's title, a
    batch's words in place of a substitution.  A character pdflatex has no
    glyph for is written as its ASCII letters (ŷ as y, W₁ as W1), else ?."""
    out = []
    for char in text:
        if char in _TEXT:
            out.append(_TEXT[char])
        elif char.isascii():
            out.append(char)
        else:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(escape(plain) if plain else "?")
    return "".join(out)


def _math(text):
    return f"${text}$"


def texts(row):
    """A term row's four cells in LaTeX.  A substitution that is words (a
    batch's "per sample; …") is written as text."""
    term = row.term
    if row.kind == VECTOR:
        formula = elements.matrix_formula(row.source, row.kinds_key, expr.LATEX)
        substitution = elements.matrix_substitution_latex(row.source, row.kinds_key, term.substitution)
        value = elements.matrix_latex(term.value)
    else:
        formula = expr.formula(row.source, expr.LATEX)
        substitution = expr.substitution_latex(expr.parse(row.source), term.substitution)
        value = expr.latex_number(expr.number(term.value, VALUE_DIGITS))
    return (_math(expr.latex_symbol(row.name)), _math(formula),
            escape(term.substitution) if substitution is None else _math(substitution), _math(value))


def _part(part):
    lines = [rf"\section*{{{escape(part.heading)}}}" "\n", rf"\begin{{longtable}}{{{_COLUMNS}}}" "\n",
             r"\toprule" "\n", " & ".join(COLUMNS) + r" \\" "\n", r"\midrule" "\n", r"\endhead" "\n"]
    for n, row in enumerate(rows(part)):
        if row.kind == SECTION:
            space = r"\addlinespace" if n else ""
            lines.append(rf"{space}\multicolumn{{4}}{{@{{}}l}}{{\textbf{{{escape(row.title)}}}}} \\" "\n")
        elif row.kind == VECTOR:
            # Matrices do not break across lines as a sum does: a vector's
            # arrays get the whole width, on a line under its formula.
            symbol, formula, substitution, value = texts(row)
            lines.append(f"{symbol} & {formula} & & \\\\\n")
            lines.append(rf"\multicolumn{{4}}{{{_ACROSS}}}{{{substitution} $=$ {value}}} \\" "\n")
        else:
            lines.append(" & ".join(texts(row)) + r" \\" "\n")
    lines += [r"\bottomrule" "\n", r"\end{longtable}" "\n"]
    return "".join(lines)


def chunks(parts, document=True):
    """The LaTeX of each :class:`engine.derivation_text.Part`, a piece each:
    ``document``, a whole document (``\\documentclass{article}``) to compile;
    else the body to paste, under a comment naming the packages it needs."""
    yield _DOCUMENT_START if document else _BODY_NOTE
    for n, part in enumerate(parts):
        yield ("\n" if n else "") + _part(part)
    if document:
        yield _DOCUMENT_END
