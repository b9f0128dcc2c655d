"""CSV writers and the atomic file write."""

import csv
import io
import os

import pytest

from engine import Trainer, csvio
from engine_handcalc import EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, PARAMS

DERIVATION_COLUMNS = ["step", "layer", "quantity", "symbol", "formula", "substitution", "value",
                      "numerical", "relative_error"]
HISTORY_COLUMNS = ["step", "W1", "b1", "W2", "b2", "W3", "b3", "loss",
                   "dL/dW1", "dL/db1", "dL/dW2", "dL/db2", "dL/dW3", "dL/db3"]


def _read(text):
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def trained():
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)
    t.run(23)
    return t


def test_derivation_csv_reads_back_exactly(trained):
    stream = io.StringIO()
    steps = [0, 5, 23]
    csvio.write_derivations(stream, ((k, trained.derivation(k)) for k in steps))
    rows = _read(stream.getvalue())
    assert rows[0] == DERIVATION_COLUMNS
    body = rows[1:]
    expected = [(k, t) for k in steps for t in trained.derivation(k)]
    assert len(body) == len(expected)
    for row, (k, term) in zip(body, expected):
        assert len(row) == len(DERIVATION_COLUMNS)
        step, layer, quantity, symbol, formula, substitution, value, numerical, error = row
        assert (numerical, error) == ("", "")   # no checks given
        assert int(step) == k
        assert (layer, quantity, symbol, formula, substitution) == (
            term.layer, term.id, term.symbol, term.formula, term.substitution)
        assert float(value) == term.value


def test_derivation_csv_keeps_unicode_and_commas():
    # Substitutions such as "0.8 × 0.8005 + (−0.2)" survive the quoting.
    stream = io.StringIO()
    t = Trainer({**EXAMPLE, "W1": 1.23456789}, EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)
    csvio.write_derivations(stream, [(0, t.derivation(0))])
    rows = {r[2]: r for r in _read(stream.getvalue())[1:]}
    assert rows["dL/dW2"][3] == "∂L/∂W₂"
    assert "1.2346" in rows["z1"][5]
    assert "−0.2" in rows["z2"][5]


def test_history_csv_reads_back_exactly(trained):
    stream = io.StringIO()
    csvio.write_history(stream, trained.history)
    rows = _read(stream.getvalue())
    assert rows[0] == HISTORY_COLUMNS
    assert [int(r[0]) for r in rows[1:]] == list(range(len(trained)))
    for r in rows[1:]:
        k = int(r[0])
        params = trained.params(k)
        grads = trained.gradients(k)
        d = trained.derivation(k)
        expected = [params[p] for p in PARAMS] + [d["L"].value] + [grads[g] for g in HISTORY_COLUMNS[8:]]
        assert [float(v) for v in r[1:]] == expected


@pytest.mark.parametrize("every, length, expected", [
    (7, 51, [0, 7, 14, 21, 28, 35, 42, 49, 50]),
    (5, 21, [0, 5, 10, 15, 20]),
    (3, 1, [0]),
    (100, 24, [0, 23]),
])
def test_history_csv_every(every, length, expected):
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)
    t.run(length - 1)
    stream = io.StringIO()
    csvio.write_history(stream, t.history, every)
    rows = _read(stream.getvalue())
    assert rows[0] == HISTORY_COLUMNS
    assert [int(r[0]) for r in rows[1:]] == expected
    for r in rows[1:]:
        assert float(r[1]) == t.params(int(r[0]))["W1"]
        assert float(r[-1]) == t.gradients(int(r[0]))["dL/db3"]


def test_history_csv_spans_write_blocks(monkeypatch):
    # More states than one block of the writer and one chunk of the history (both made
    # small here so that several boundaries are crossed, at odd offsets).
    monkeypatch.setattr(csvio, "_BLOCK", 5)
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA, chunk_rows=4)
    t.run(30)
    stream = io.StringIO()
    csvio.write_history(stream, t.history)
    rows = _read(stream.getvalue())[1:]
    assert [int(r[0]) for r in rows] == list(range(len(t)))
    for k, r in enumerate(rows):
        d = t.derivation(k)
        assert float(r[1]) == t.params(k)["W1"]
        assert float(r[7]) == d["L"].value
        assert float(r[8]) == d["dL/dW1"].value


# --- write_atomically -------------------------------------------------------------

class Boom(Exception):
    pass


def _failing_writer(stream):
    stream.write("partial,content\n" * 1000)
    raise Boom("midway")


def test_atomic_write_replaces_the_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    csvio.write_atomically(target, lambda s: s.write("new,∂\n"))
    assert target.read_text(encoding="utf-8") == "new,∂\n"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old content\n", encoding="utf-8")
    with pytest.raises(Boom):
        csvio.write_atomically(target, _failing_writer)
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_atomic_write_failure_creates_nothing(tmp_path):
    with pytest.raises(Boom):
        csvio.write_atomically(str(tmp_path / "new.csv"), _failing_writer)
    assert os.listdir(tmp_path) == []


def test_atomic_write_cleans_up_on_keyboard_interrupt(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def interrupted(stream):
        stream.write("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        csvio.write_atomically(target, interrupted)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_atomic_write_uses_ordinary_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        target = tmp_path / "perm.csv"
        csvio.write_atomically(target, lambda s: s.write("a\n"))
        assert os.stat(target).st_mode & 0o777 == 0o644
    finally:
        os.umask(mask)
