"""The derivation as Markdown: per state a heading and one table with the
columns Quantity, Formula, Substitution, Value, a section's title a bold row
as in the window.  The texts are the window's own (the Unicode of
engine.expr), the values to the table's digits."""

from .derivation_text import COLUMNS, SECTION, VALUE_DIGITS, VECTOR, rows
from .expr import number

# A character Markdown would read as markup, not as text.
_MARKUP = str.maketrans({c: "\\" + c for c in "\\|*_`<"})


def cell(text):
    """``text`` as one table cell's: markup characters escaped (the pipe
    above all, which would end the cell), and ``](`` broken so that a
    bracketed array before a bracket never reads as a link."""
    return text.replace("\n", " ").translate(_MARKUP).replace("](", "]\\(")


def texts(row):
    """A term row's four cells as the window shows them."""
    term = row.term
    value = term.value if row.kind == VECTOR else number(term.value, VALUE_DIGITS)
    return term.symbol, term.formula, term.substitution, value


def _line(cells):
    return "| " + " | ".join(cells) + " |\n"


def _part(part):
    lines = [f"## {cell(part.heading)}\n", "\n", _line(COLUMNS), "| --- | --- | --- | ---: |\n"]
    for row in rows(part):
        if row.kind == SECTION:
            lines.append(_line([f"**{cell(row.title)}**", "", "", ""]))
        else:
            lines.append(_line(cell(t) for t in texts(row)))
    return "".join(lines)


def chunks(parts):
    """The Markdown of each :class:`engine.derivation_text.Part`, a piece each."""
    for n, part in enumerate(parts):
        yield ("\n" if n else "") + _part(part)
