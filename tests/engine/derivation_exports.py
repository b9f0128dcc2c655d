"""What the tests of ``derive --format markdown|latex`` share: a case's
export through the command line, the CSV rows the existing writer gives for
the same case (which every text export must show), and a value as the
window's table shows it, formatted here independently of the engine."""

import csv
import io

from engine import cli

# The reference, Mazur's example and a wide network; two states each.
CASES = {"reference": [], "mazur": ["--preset", "mazur"], "1-8-8-1": ["--layers", "1-8-8-1"]}
STEPS = ("--steps", "1")


def export(tmp_path, fmt, args):
    """The text ``derive --format fmt`` writes for ``args`` (through -o)."""
    out = tmp_path / f"derivation-{fmt}.txt"
    assert cli.run(["derive", *STEPS, *args, "--format", fmt, "-o", str(out)], prog="bpe") == 0
    return out.read_text(encoding="utf-8")


def csv_states(tmp_path, args):
    """{step: [the CSV's rows of that state, as dicts]}, read with the csv module."""
    states = {}
    for row in csv.DictReader(io.StringIO(export(tmp_path, "csv", args), newline="")):
        states.setdefault(int(row["step"]), []).append(row)
    return states


def table_value(text):
    """A CSV value at the table's precision: six significant digits, a true minus (−)."""
    return f"{float(text) + 0.0:.6g}".replace("-", "−")


def section_count(rows):
    """How many sections the CSV rows of one state run through (a title row each)."""
    return sum(1 for n, row in enumerate(rows) if n == 0 or row["layer"] != rows[n - 1]["layer"])


def vector_bases(rows):
    """The ids of the vector terms of one state's CSV rows (dL/dW2 of dL/dW2[1,2]), in order."""
    return list(dict.fromkeys(row["quantity"].partition("[")[0] for row in rows if "[" in row["quantity"]))
