"""The command line's numbers: negative values in every notation, the CSV
reader's one syntax, and options that would change nothing refused."""

import csv
import io

import pytest

from engine import cli
from engine.dataset import DatasetError, read_csv


def _run(*args):
    """``run`` in this process: its exit status (argparse's SystemExit included)."""
    try:
        return cli.run(list(args), prog="bpe")
    except SystemExit as stop:
        return stop.code


def _first_row(path):
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return dict(zip(rows[0], rows[1]))


# --- negative numbers -------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("-1", -1.0), ("-1.5", -1.5), ("-1e-3", -0.001), ("-.5", -0.5), ("-1E-3", -0.001), ("-2.5e+1", -25.0),
    ("-0", -0.0), ("-5.", -5.0)])
@pytest.mark.parametrize("option", ["--W1", "--b3", "--x", "--y"])
def test_a_negative_value_may_follow_its_option(tmp_path, capsys, text, value, option):
    apart, joined = tmp_path / "apart.csv", tmp_path / "joined.csv"
    assert _run("train", "--steps", "0", option, text, "-o", str(apart)) == 0, capsys.readouterr().err
    assert _run("train", "--steps", "0", f"{option}={text}", "-o", str(joined)) == 0
    assert apart.read_bytes() == joined.read_bytes()
    if option in ("--W1", "--b3"):
        assert float(_first_row(apart)[option[2:]]) == value


@pytest.mark.parametrize("args, option, words", [
    (["--alpha", "-1e-3"], "--alpha", "outside the accepted range"),
    (["--alp", "-1e-3"], "--alpha", "outside the accepted range"),          # argparse's abbreviation
    (["--activation", "leaky_relu", "--leak", "-1e-3"], "--leak", "from 0 to 1"),
    (["--W1", "-inf"], "--W1", "must be finite"),
    (["--W1", "-1e"], "--W1", "not a number"),
    (["--W1", "-1_000"], "--W1", "not a number"),
    (["--steps", "-1e3"], "--steps", "0 or more"),
    (["--optimizer", "adam", "--eps", "-1e-8"], "--eps", "--eps"),
    (["--clip-norm", "-.5"], "--clip-norm", "--clip-norm"),
])
def test_a_bad_negative_value_is_refused_for_what_it_is_not_as_a_missing_value(capsys, args, option, words):
    assert _run("train", "--steps", "3", *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"argument {option}" in err and words in err
    assert "expected one argument" not in err


def test_an_option_after_a_numeric_option_is_still_an_option(capsys):
    assert _run("train", "--steps", "3", "--W1", "--x", "1") == 2
    assert "argument --W1: expected one argument" in capsys.readouterr().err


# --- one number syntax: the CSV reader's ------------------------------------------------

TEXTS = ["1", "-1", "+2", "0.25", ".5", "-.5", "1e-3", "-1E+2", " 3 ", "1_000", "１", "٣", "1٣", "−1",
         "0x10", "nan", "inf", "-Infinity", "1e", "", "1,5", "½", "2.0"]


def _csv_reads(text, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(f"x,y\n{text},1\n", encoding="utf-8")
    try:
        return read_csv(str(path))[0][0]
    except DatasetError:
        return None


@pytest.mark.parametrize("text", TEXTS)
def test_a_number_option_reads_what_the_csv_reader_reads(tmp_path, capsys, text):
    expected = _csv_reads(text, tmp_path)
    out = tmp_path / "h.csv"
    status = _run("train", "--steps", "0", "--x", text, "-o", str(out))
    if expected is None:
        assert status == 2 and "argument --x" in capsys.readouterr().err
    else:
        assert status == 0, capsys.readouterr().err
        assert out.exists()


@pytest.mark.parametrize("text", TEXTS)
def test_a_whole_number_option_reads_the_whole_numbers_the_csv_reader_reads(tmp_path, capsys, text):
    read = _csv_reads(text, tmp_path)
    expected = read if read is not None and read.is_integer() and read >= 0 else None
    out = tmp_path / "h.csv"
    status = _run("train", "--steps", text, "--every", "1000", "-o", str(out))
    if expected is None:
        assert status == 2 and "argument --steps" in capsys.readouterr().err
    else:
        assert status == 0, capsys.readouterr().err
        last = out.read_text().splitlines()[-1]
        assert int(last.split(",")[0]) == expected


def test_a_seed_may_be_longer_than_a_float_holds(tmp_path):
    assert _run("train", "--steps", "1", "--init", "he", "--seed", "123456789012345678901234567890",
                "-o", str(tmp_path / "h.csv")) == 0


# --- options that change nothing -------------------------------------------------------

@pytest.mark.parametrize("args, option, needs", [
    (["--leak", "0.1"], "--leak", "leaky_relu"),
    (["--activation", "relu", "--leak", "0.1"], "--leak", "leaky_relu"),
    (["--batch-size", "2"], "--batch-size", "--data"),
    (["--batch-size", "2", "--shuffle", "1"], "--batch-size", "--data"),
])
@pytest.mark.parametrize("command", [["train", "--steps", "2"], ["derive"]])
def test_an_option_that_changes_nothing_is_refused(tmp_path, capsys, args, option, needs, command):
    assert _run(*command, *args, "-o", str(tmp_path / "out.csv")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {option}" in err and needs in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("args", [
    ["--activation", "leaky_relu", "--leak", "0.1"],
    ["--activation1", "leaky_relu", "--leak", "0.1"],
    ["--activation", "tanh", "--activation2", "leaky_relu", "--leak", "0.1"],
])
def test_leak_with_a_leaky_layer_is_used(tmp_path, args):
    with_leak, without = tmp_path / "a.csv", tmp_path / "b.csv"
    assert _run("train", "--steps", "20", "--W1", "-1", *args, "-o", str(with_leak)) == 0
    assert _run("train", "--steps", "20", "--W1", "-1", *args[:-2], "-o", str(without)) == 0
    assert with_leak.read_bytes() != without.read_bytes()


def test_batches_on_a_data_file_are_accepted(tmp_path):
    data = tmp_path / "samples.csv"
    data.write_text("x,y\n1,2\n2,3\n3,4\n4,5\n")
    assert _run("train", "--steps", "5", "--data", str(data), "--batch-size", "2", "--shuffle", "1",
                "-o", str(tmp_path / "h.csv")) == 0
