"""The derivation CSV's two last columns, ``numerical`` and ``relative_error``: the
gradient check of the six gradients, empty in every other row."""

import csv
import io
import math
import os
import subprocess
import sys

import pytest

from engine import Trainer, csvio
from engine.gradcheck import trainer_checks
from engine_handcalc import EXAMPLE, EXAMPLE_X, EXAMPLE_Y, GRADIENT_IDS, batch_loss, loss

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEVEN = ["step", "layer", "quantity", "symbol", "formula", "substitution", "value"]
EPS = sys.float_info.epsilon


def _rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _hand_difference(lossf, p, name):
    """(L(θ + h) − L(θ − h)) / 2h with h = 1e−6·max(1, |θ|), by hand, and what rounding
    allows it to differ from another float64 evaluation of the same two losses."""
    h = 1e-6 * max(1.0, abs(p[name]))
    up, down = lossf({**p, name: p[name] + h}), lossf({**p, name: p[name] - h})
    return (up - down) / (2 * h), 64 * EPS * (abs(up) + abs(down)) / (2 * h)


def _check_rows(rows, lossf, params):
    for row in rows:
        if row["quantity"] in GRADIENT_IDS:
            name = row["quantity"][len("dL/d"):]
            numerical, value = float(row["numerical"]), float(row["value"])
            expected, rounding = _hand_difference(lossf, params, name)
            assert abs(numerical - expected) <= rounding, (row, expected)
            # The relative error is the one of the row's own two numbers.
            assert float(row["relative_error"]) == pytest.approx(
                abs(value - numerical) / max(abs(value), abs(numerical)), rel=1e-12)
        else:
            assert (row["numerical"], row["relative_error"]) == ("", ""), row


def test_the_seven_columns_come_first_and_the_checks_last():
    assert list(csvio.DERIVATION_COLUMNS[:7]) == SEVEN
    assert list(csvio.DERIVATION_COLUMNS[7:]) == ["numerical", "relative_error"]


def test_a_trainers_checks_fill_the_six_gradient_rows():
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 0.01)
    t.run(3)
    stream = io.StringIO()
    csvio.write_derivations(stream, [(k, t.derivation(k), trainer_checks(t, k)) for k in (0, 3)])
    rows = _rows(stream.getvalue())
    assert sum(r["numerical"] != "" for r in rows) == 12
    for k in (0, 3):
        _check_rows([r for r in rows if r["step"] == str(k)], lambda q: loss(q, EXAMPLE_X, EXAMPLE_Y),
                    t.params(k))


def test_the_windows_call_still_writes_the_seven_columns_and_empty_checks():
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 0.01)
    stream = io.StringIO()
    csvio.write_derivations(stream, [(0, t.derivation(0))])
    rows = _rows(stream.getvalue())
    assert [float(r["value"]) for r in rows] == [term.value for term in t.derivation(0)]
    assert all(r["numerical"] == r["relative_error"] == "" for r in rows)


def test_a_mini_batchs_checks_are_on_its_own_samples():
    # The derivation of a mini-batch state is on that batch: its check must be too.
    xs, ys = [-1.0, 0.3, 1.7, 2.2], [0.5, -0.4, 2.0, 3.3]
    t = Trainer(dict(EXAMPLE), xs, ys, 0.01, batch_size=2)
    t.run(2)
    stream = io.StringIO()
    csvio.write_derivations(stream, [(1, t.derivation(1), trainer_checks(t, 1))])
    batch = [int(i) for i in t.batch(1)]
    _check_rows(_rows(stream.getvalue()),
                lambda q: batch_loss(q, [xs[i] for i in batch], [ys[i] for i in batch]), t.params(1))


def test_the_command_line_derive_writes_the_checks(tmp_path):
    done = subprocess.run([sys.executable, "main.py", "derive", "--steps", "2", "--W1", "5"], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=60,
                          env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert done.returncode == 0, done.stderr
    rows = _rows(done.stdout)
    assert list(rows[0]) == list(csvio.DERIVATION_COLUMNS)
    t = Trainer({**EXAMPLE, "W1": 5.0}, EXAMPLE_X, EXAMPLE_Y, 0.01)
    t.run(2)
    for k in range(3):
        _check_rows([r for r in rows if r["step"] == str(k)], lambda q: loss(q, EXAMPLE_X, EXAMPLE_Y),
                    t.params(k))
    # W₁ = 5: the relative error of 2.3e−3, now in the file too.
    first = next(r for r in rows if r["step"] == "0" and r["quantity"] == "dL/dW1")
    assert 1e-3 < float(first["relative_error"]) < 1e-2
    assert math.isfinite(float(first["numerical"]))
