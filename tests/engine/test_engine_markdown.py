"""``derive --format markdown``: per state a heading and a table with the
columns Quantity, Formula, Substitution, Value, whose rows are the CSV's
rows (and a wider network's vector rows), at the window's precision."""

import re

import pytest
from derivation_exports import CASES, csv_states, export, section_count, table_value, vector_bases

from engine import cli, derivation, derivation_text, markdown
from engine.limits import DEFAULTS, PARAMS

_CELL = re.compile(r"((?:\\.|[^|\\])*)\|")


def _cells(line):
    """A table line's cells, their escapes undone (``\\|`` is a pipe in a cell)."""
    assert line.startswith("|") and line.endswith("|"), line
    return [re.sub(r"\\(.)", r"\1", c).strip() for c in _CELL.findall(line[1:])]


def _tables(text):
    """{heading: [cells of each row]} of every ``## heading`` and the table under it."""
    tables = {}
    for block in text.split("## ")[1:]:
        heading, blank, header, rule, *lines = block.rstrip("\n").split("\n")
        assert blank == "" and _cells(header) == ["Quantity", "Formula", "Substitution", "Value"]
        assert _cells(rule) == ["---", "---", "---", "---:"]
        tables[heading] = [_cells(line) for line in lines if line]
    return tables


@pytest.mark.parametrize("case", CASES)
def test_each_state_is_a_table_of_the_csv_rows(tmp_path, case):
    states = csv_states(tmp_path, CASES[case])
    tables = _tables(export(tmp_path, "markdown", CASES[case]))
    assert list(tables) == [f"Step {k}" for k in states]
    for k, rows in states.items():
        table = tables[f"Step {k}"]
        assert all(len(cells) == 4 for cells in table)
        sections = [cells for cells in table if cells[0].startswith("**")]
        assert len(sections) == section_count(rows)
        assert all(cells[0].endswith("**") and cells[1:] == ["", "", ""] for cells in sections)
        terms = [cells for cells in table if not cells[0].startswith("**")]
        # A vector row is its matrix ([…] values) over its elements' rows.
        vectors = [n for n, cells in enumerate(terms) if cells[3].startswith("[")]
        assert len(vectors) == len(vector_bases(rows))
        elements = [cells for n, cells in enumerate(terms) if n not in vectors]
        assert elements == [[r["symbol"], r["formula"], r["substitution"], table_value(r["value"])] for r in rows]
        for n in vectors:
            assert terms[n + 1][0].startswith(terms[n][0]) or terms[n + 1][0].startswith(f"({terms[n][0]})")


def test_csv_stays_the_default(tmp_path):
    out = tmp_path / "default.csv"
    assert cli.run(["derive", "--steps", "1", "-o", str(out)], prog="bpe") == 0
    assert export(tmp_path, "csv", []) == out.read_text(encoding="utf-8")


def _reference():
    return derivation.derive({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"])


def test_selected_rows_come_under_their_sections():
    d = _reference()
    parts = [derivation_text.Part("Step 0", d, ids=frozenset({"z1", "dL/dW1"})),
             derivation_text.Part("Step 5", d, ids=frozenset({"L_next"}))]
    tables = _tables(derivation_text.text("markdown", parts))
    assert tables == {
        "Step 0": [["**Forward pass**", "", "", ""],
                   ["z₁", "W₁ × x + b₁", "0.5 × 2 + 0.1", "1.1"],
                   ["**Layer 1 (tanh)**", "", "", ""],
                   ["∂L/∂W₁", "∂L/∂z₁ × ∂z₁/∂W₁", "−1.8306 × 2", "−3.66113"]],
        "Step 5": [["**Gradient-descent update**", "", "", ""],
                   ["L′", "(ŷ′ − y)²", "(0.99699 − 4)²", "9.01804"]],
    }


@pytest.mark.parametrize("text", ["‖∇L‖ | x", "m̂_W₁ * 2", "`a`", "<b>", "[0.1; 0.2](x)", "a\\|b"])
def test_a_cell_keeps_its_text_and_never_ends_early(text):
    line = "| " + markdown.cell(text) + " | x |"
    assert _cells(line) == [text, "x"]
    assert "](" not in markdown.cell(text)   # no link


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="no text format 'html'"):
        derivation_text.text("html", [])


def test_the_command_line_refuses_an_unknown_format(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.run(["derive", "--format", "html"], prog="bpe")
    assert stop.value.code == 2
    assert "argument --format: invalid choice: 'html'" in capsys.readouterr().err
