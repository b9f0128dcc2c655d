"""``derive --format latex``: a document that pdflatex compiles (where it is
installed) and that always passes a structural check, whose Value column
holds the CSV's values at the window's precision and whose substitutions
the CSV's numbers; symbols, formulas and substitutions come from the same
expression trees as the window's texts (engine.expr's LaTeX style)."""

import re
import shutil
import subprocess

import pytest
from derivation_exports import CASES, csv_states, export, section_count, vector_bases

from engine import derivation, derivation_text, expr, latex
from engine.limits import DEFAULTS, PARAMS

PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")
COMPILE_DEADLINE = 120
# The cases above, and the constructs they do not reach: a leaky ReLU, Adam with
# a step schedule and clipping by norm; ReLU, RMSprop and clipping by value in
# a 2-3-2 network; a batch, whose terms are means (words in place of arithmetic).
MORE = {"adam": ["--activation", "leaky_relu", "--optimizer", "adam", "--clip-norm", "1", "--schedule", "step"],
        "2-3-2": ["--layers", "2-3-2", "--activations", "relu", "--optimizer", "rmsprop", "--clip-value", "0.5",
                  "--x", "0.5,-1", "--y", "1,0", "--schedule", "exp"]}
_TOKEN = re.compile(r"\\begin\{[^}]*\}|\\end\{[^}]*\}|\\.|[{}&]")


def structure(text):
    """Assert that braces balance, every \\begin has its \\end in order and
    each line's math ($…$) closes on that line."""
    assert text.isascii()
    depth, environments = 0, []
    for token in _TOKEN.findall(text):
        if token.startswith("\\begin{"):
            environments.append(token[len("\\begin"):])
        elif token.startswith("\\end{"):
            assert environments and environments.pop() == token[len("\\end"):], token
        elif token in "{}":
            depth += 1 if token == "{" else -1
            assert depth >= 0
    assert depth == 0 and environments == []
    for line in text.splitlines():
        assert len(re.findall(r"(?<!\\)\$", line)) % 2 == 0, line


def _cells(line):
    """A table row's cells: split at the & outside braces and environments."""
    cells, depth, start = [], 0, 0
    for match in _TOKEN.finditer(line):
        token = match.group()
        depth += {"{": 1, "}": -1}.get(token, 0) + token.startswith("\\begin{") - token.startswith("\\end{")
        if token == "&" and depth == 0:
            cells.append(line[start:match.start()].strip())
            start = match.end()
    return cells + [line[start:].strip()]


def _states(text):
    """{heading: [each row's cells]} of every \\section* and its longtable; a
    vector's arrays, on the line under its formula, as its last two cells."""
    states = {}
    for block in text.split("\\section*{")[1:]:
        heading, _, body = block.partition("}\n")
        body = body.split("\\endhead\n", 1)[1].split("\\bottomrule", 1)[0]
        rows = []
        for line in body.splitlines():
            line = line.removesuffix(" \\\\")
            if line.startswith("\\multicolumn{4}{@{}>"):
                assert rows[-1][2:] == ["", ""]
                rows[-1][2:] = line[line.index("@{}}{") + len("@{}}{"):-1].rsplit(" $=$ ", 1)
            else:
                rows.append(_cells(line))
        states[heading] = rows
    return states


def _value(text):
    """A CSV value as the LaTeX shows it: six significant digits, an exponent as a power of ten."""
    mantissa, _, exponent = f"{float(text) + 0.0:.6g}".partition("e")
    return f"${mantissa}" + (rf" \times 10^{{{int(exponent)}}}" if exponent else "") + "$"


def _numbers(text):
    """The numbers a substitution shows, in order: Unicode (−0.5, 1e−08) or LaTeX
    (-0.5, 1 \\times 10^{-8}); ½ and squares, spelled with digits in LaTeX, left out."""
    text = re.sub(r" \\times 10\^\{(-?\d+)\}", r"e\1", text.replace(r"\frac{1}{2}", "").replace("^2", ""))
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d*)?(?:e[+-]?\d+)?", text.replace("−", "-"))]


def _compiles(tmp_path, text, name="derivation"):
    source = tmp_path / f"{name}.tex"
    source.write_text(text, encoding="ascii")
    done = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", source.name], cwd=tmp_path,
                          capture_output=True, text=True, errors="replace", timeout=COMPILE_DEADLINE)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (tmp_path / f"{name}.pdf").stat().st_size > 0


@pytest.mark.parametrize("case", CASES)
def test_each_state_holds_the_csv_values_and_numbers(tmp_path, case):
    states = csv_states(tmp_path, CASES[case])
    text = export(tmp_path, "latex", CASES[case])
    structure(text)
    assert text.startswith("\\documentclass{article}\n") and text.endswith("\\end{document}\n")
    tables = _states(text)
    assert list(tables) == [f"Step {k}" for k in states]
    for k, rows in states.items():
        table = tables[f"Step {k}"]
        assert all(len(cells) == 4 for cells in table if not cells[0].startswith("\\"))
        sections = [cells for cells in table if "\\multicolumn{4}" in cells[0]]
        assert len(sections) == section_count(rows)
        terms = [cells for cells in table if "\\multicolumn{4}" not in cells[0]]
        vectors = [n for n, cells in enumerate(terms) if "smallmatrix" in cells[3]]
        assert len(vectors) == len(vector_bases(rows))
        elements = [cells for n, cells in enumerate(terms) if n not in vectors]
        assert [cells[3] for cells in elements] == [_value(r["value"]) for r in rows]
        for cells, row in zip(elements, rows):
            assert re.fullmatch(r"\$[^$]+\$", cells[2]), cells   # arithmetic, not words
            assert _numbers(cells[2]) == _numbers(row["substitution"]), (cells[2], row["substitution"])


def _rows_by_symbol(text):
    return {cells[0]: cells for cells in next(iter(_states(text).values()))}


def test_the_reference_reads_as_a_textbook_writes_it(tmp_path):
    rows = _rows_by_symbol(export(tmp_path, "latex", []))
    assert rows[r"$\frac{\partial L}{\partial W_1}$"][1:] == [
        r"$\frac{\partial L}{\partial z_1} \times \frac{\partial z_1}{\partial W_1}$", r"$-1.8306 \times 2$",
        "$-3.66113$"]
    assert rows[r"$\frac{\partial h_1}{\partial z_1}$"][1:3] == ["$1 - h_1^2$", "$1 - 0.8005^2$"]
    assert rows[r"$\hat{y}'$"][1] == r"$W_3' \times \tanh(W_2' \times \tanh(W_1' \times x + b_1') + b_2') + b_3'$"
    assert rows["$L$"][1:3] == [r"$(\hat{y} - y)^2$", "$(-3.2032)^2$"]


def test_vector_networks_transpose_and_multiply_element_by_element(tmp_path):
    mazur = _rows_by_symbol(export(tmp_path, "latex", CASES["mazur"]))
    assert mazur[r"$\frac{\partial L}{\partial W_2}$"][1] == r"$\frac{\partial L}{\partial z_2} h_1^\top$"
    assert mazur[r"$\frac{\partial L}{\partial z_2}$"][1] == \
        r"$\frac{\partial L}{\partial \hat{y}} \odot \frac{\partial \hat{y}}{\partial z_2}$"
    assert mazur["$h_1$"][1] == r"$\sigma(z_1)$"
    assert mazur[r"$\frac{\partial L}{\partial W_2}[1,2]$"][1:] == [
        r"$\frac{\partial L}{\partial z_2}[1] \times h_1[2]$", r"$0.1385 \times 0.59688$", "$0.0826676$"]
    assert mazur["$L$"][1] == r"$\frac{1}{2}(\hat{y} - y)[1]^2 + \frac{1}{2}(\hat{y} - y)[2]^2$"
    wide = _rows_by_symbol(export(tmp_path, "latex", CASES["1-8-8-1"]))
    assert wide[r"$\frac{\partial L}{\partial h_2}$"][1] == r"$W_3^\top \frac{\partial L}{\partial z_3}$"
    assert wide["$h_1$"][1] == r"$\tanh(z_1)$"


@pytest.mark.parametrize("case", [*CASES, *MORE, "batch"])
def test_the_document_passes_the_structural_check(tmp_path, case):
    structure(export(tmp_path, "latex", _args(tmp_path, case)))


def _args(tmp_path, case):
    if case == "batch":
        data = tmp_path / "samples.csv"
        data.write_text("x,y\n1,2\n-1,0.5\n3,-2\n", encoding="utf-8")
        return ["--data", str(data)]
    return {**CASES, **MORE}[case]


@needs_pdflatex
@pytest.mark.parametrize("case", [*CASES, *MORE, "batch"])
def test_pdflatex_compiles_the_document(tmp_path, case):
    _compiles(tmp_path, export(tmp_path, "latex", _args(tmp_path, case)))


@needs_pdflatex
def test_the_body_pasted_into_a_document_with_the_packages_it_names_compiles(tmp_path):
    d = derivation.derive({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"])
    body = derivation_text.text("latex", [derivation_text.Part("Selected rows", d, ids=frozenset({"h1", "L"}))],
                                document=False)
    structure(body)
    assert "\\documentclass" not in body
    packages = re.match(r"% .*needs \\usepackage\{([a-z,]+)\}\n", body)[1]
    _compiles(tmp_path, "\\documentclass{report}\n" + f"\\usepackage{{{packages}}}\n"
              "\\begin{document}\nLecture 4.\n" + body + "\\end{document}\n", "notes")


def test_a_batch_s_words_are_text_with_their_symbols_escaped(tmp_path):
    text = export(tmp_path, "latex", _args(tmp_path, "batch"))
    assert r"(1/3) $\Sigma$ over the 3 samples" in text


@pytest.mark.parametrize("shown, written", [
    ("0.5", "0.5"), ("−3.2032", "-3.2032"), ("1e−08", r"1 \times 10^{-8}"), ("−1.5e+20", r"-1.5 \times 10^{20}"),
    ("inf", r"\infty"), ("−inf", r"-\infty"), ("nan", r"\mathrm{NaN}"), ("12", "12")])
def test_a_number_is_written_as_the_window_shows_it(shown, written):
    assert expr.latex_number(shown) == written


def test_a_primed_base_is_braced_before_its_power():
    # W_1'^2 is a double superscript, an error in LaTeX.
    latex_of = expr.formula
    assert latex_of("W1_next ** 2", expr.LATEX) == "{W_1'}^2"
    assert latex_of("W1_next.T", expr.LATEX) == r"{W_1'}^\top"
    assert latex_of("W1_next ** 2") == "W₁′²"


def test_a_negated_name_s_number_reads_back_with_its_own_sign():
    node = expr.parse("-x + clip(g, c)")
    for x, g in (("−0.5", "3"), ("0.5", "−3")):
        values = {"x": x, "g": g, "c": "1"}
        shown = expr.render(node, lambda n: (values[n], values[n].startswith("−")))
        assert expr.shown_values(node, shown) == values
    assert expr.substitution_latex(node, "−(−0.5) + min(max(3, −1), 1)") == r"-(-0.5) + \min(\max(3, -1), 1)"
    assert expr.shown_values(node, "per sample; the mean of 4 values is shown") is None


@pytest.mark.parametrize("text, written", [("Layer 2 (tanh)", "Layer 2 (tanh)"), ("50% & #1_a", r"50\% \& \#1\_a"),
                                           ("ŷ − y {x}", r"y - y \{x\}"), ("β₁ ≤ 1", r"?1 $\le$ 1")])
def test_text_is_escaped(text, written):
    assert latex.escape(text) == written
