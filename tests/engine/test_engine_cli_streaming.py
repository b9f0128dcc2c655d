"""``train`` streams its rows: memory grows with what is written, not with
--steps; the CSV is byte for byte the one the whole history gives; what
cannot be done is refused up front."""

import io
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from benchmarks import cli as cli_benchmark
from engine import Spec, Trainer, cli, csvio
from engine.history import History
from engine_handcalc import EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60
DATA_X = [-1.5, -0.9, -0.2, 0.3, 0.8, 1.4, 2.0]
DATA_Y = [0.4, -0.6, 1.1, -0.3, 0.9, -1.2, 0.5]


# --- History.forget ------------------------------------------------------------

def _history(n, chunk_rows=4):
    rows = np.arange(n * 2, dtype=float).reshape(n, 2)
    return History.from_rows(rows, chunk_rows, columns=("a", "b")), rows


def test_forget_drops_whole_chunks_before_a_state_and_keeps_the_numbers():
    history, rows = _history(10)
    history.forget(9)                                   # state 9 is in the third chunk (8..11)
    assert history.first_kept == 8
    assert len(history) == 10
    assert history.row(9).tolist() == rows[9].tolist()
    assert history.row(-1).tolist() == rows[9].tolist()
    assert history.rows(8, 10).tolist() == rows[8:10].tolist()
    assert history.column("b", 8).tolist() == rows[8:, 1].tolist()
    with pytest.raises(IndexError):
        history.row(7)
    with pytest.raises(IndexError):
        history.rows(0, 10)
    assert history.nbytes() == 4 * 2 * 8                # one chunk of four rows of two floats


def test_a_history_goes_on_after_forgetting():
    history, _ = _history(10)
    history.forget(9)
    for k in range(10, 15):
        history.append([k * 2.0, k * 2.0 + 1])
    assert history.rows(8, 15).tolist() == np.arange(16, 30, dtype=float).reshape(7, 2).tolist()
    history.truncate(11)
    assert len(history) == 11 and history.row(-1).tolist() == [20.0, 21.0]
    with pytest.raises(IndexError):
        history.truncate(8)                             # its rows were forgotten
    view = history.frozen()
    assert view.rows(8, 11).tolist() == [[16.0, 17.0], [18.0, 19.0], [20.0, 21.0]]


def test_forgetting_up_to_a_state_in_the_first_chunk_keeps_everything():
    history, rows = _history(10)
    history.forget(3)
    assert history.first_kept == 0 and history.rows().tolist() == rows.tolist()
    with pytest.raises(IndexError):
        history.forget(10)                              # the last state always stays


def test_a_frozen_view_keeps_the_rows_its_history_forgets():
    history, rows = _history(10)
    view = history.frozen()
    history.forget(9)
    assert view.rows().tolist() == rows.tolist()


# --- the streamed CSV is the CSV of the whole history ------------------------------------

def _whole_csv(make, steps, every):
    trainer = make()
    trainer.run(steps)
    stream = io.StringIO(newline="")
    csvio.write_history(stream, trainer.history, every)
    return stream.getvalue(), trainer


def _streamed_csv(make, steps, every, chunk_rows, block):
    trainer = make()
    # Small chunks, so that a short run forgets many of them on the way.
    trainer.history = History.from_rows(trainer.history.rows(), chunk_rows, trainer.row)
    stream = io.StringIO(newline="")
    csvio.finish(cli.stream_history(trainer, steps, every, block)(stream))
    return stream.getvalue(), trainer


def _sgd():
    return Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)


def _adam_step_batches():
    spec = Spec(optimizer="adam", beta1=0.8, beta2=0.99, schedule="step", decay=0.5, decay_every=4,
                clip="norm", clip_c=2.5)
    return Trainer(dict(EXAMPLE), DATA_X, DATA_Y, 0.05, spec=spec, batch_size=3, shuffle_seed=8)


def _momentum_exp_full_batch():
    return Trainer(dict(EXAMPLE), DATA_X, DATA_Y, 0.05, spec=Spec(optimizer="momentum", schedule="exp",
                                                                 decay=0.99))


def _rmsprop_one_at_a_time():
    return Trainer(dict(EXAMPLE), DATA_X, DATA_Y, 0.02, spec=Spec(optimizer="rmsprop"), batch_size=1)


def _diverging():
    return Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 50.0, spec=Spec(optimizer="momentum"))


@pytest.mark.parametrize("make", [_sgd, _adam_step_batches, _momentum_exp_full_batch, _rmsprop_one_at_a_time,
                                  _diverging])
@pytest.mark.parametrize("steps, every, chunk_rows, block", [
    (0, 1, 4, 3), (1, 1, 4, 3), (60, 1, 4, 3), (60, 7, 5, 5), (61, 6, 8, 16), (100, 100, 3, 2),
    (100, 33, 16, 1 << 16), (9, 10, 2, 1)])
def test_the_streamed_csv_is_byte_for_byte_the_whole_historys(make, steps, every, chunk_rows, block):
    whole, trainer = _whole_csv(make, steps, every)
    streamed, streamer = _streamed_csv(make, steps, every, chunk_rows, block)
    assert streamed == whole
    assert len(streamer) == len(trainer)
    assert (streamer.divergence is None) == (trainer.divergence is None)
    if len(trainer) > 2 * max(chunk_rows, block):
        # The rows were forgotten on the way: the point of streaming.
        assert streamer.history.first_kept > 0


def test_the_diverging_case_diverges_within_the_streamed_steps():
    # Otherwise the divergence cases of the test above (100 steps) would prove nothing.
    trainer = _diverging()
    assert trainer.run(100) is not None and 2 < len(trainer) < 100


def test_the_command_line_writes_the_whole_historys_csv(tmp_path):
    out = tmp_path / "h.csv"
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    done = subprocess.run([sys.executable, "main.py", "train", "--steps", "150000", "--every", "7",
                           "--optimizer", "adam", "--schedule", "step", "--decay-every", "1000",
                           "-o", str(out)], cwd=ROOT, capture_output=True, env=env, timeout=DEADLINE)
    assert done.returncode == 0, done.stderr
    whole, _ = _whole_csv(lambda: Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA,
                                          spec=Spec(optimizer="adam", schedule="step", decay_every=1000)),
                          150_000, 7)
    assert out.read_bytes() == whole.encode("utf-8")


# --- memory -------------------------------------------------------------------

def test_peak_memory_grows_with_the_rows_written_not_with_the_steps():
    # Two million states kept would be 208 MB of history alone (13 float64 a state).
    found, records = cli_benchmark.measurements(steps=2_000_000, every=1_000_000)
    assert found["status"] == 0 and found["rows"] == 3
    record = records[0]
    assert set(record) == {"name", "ours", "reference", "unit", "ratio", "target", "met"}
    assert record["unit"] == "MB" and record["target"] == 150
    assert record["ours"] == found["peak"] / 1e6
    assert record["ours"] <= 150, record
    assert record["met"] is True


def test_a_billion_steps_start_streaming_at_once():
    child = subprocess.Popen([sys.executable, "main.py", "train", "--steps", "1000000000", "--every", "1000"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines, deadline = b"", time.monotonic() + DEADLINE
        while lines.count(b"\n") < 4 and time.monotonic() < deadline:
            ready, _, _ = select.select([child.stdout], [], [], 1)
            if ready:
                piece = os.read(child.stdout.fileno(), 65536)
                if not piece:
                    break
                lines += piece
        assert lines.count(b"\n") >= 4, child.stderr.read() if child.poll() is not None else lines
        rows = lines.split(b"\n")
        assert rows[0].startswith(b"step,W1") and rows[1].startswith(b"0,") and rows[2].startswith(b"1000,")
        assert child.poll() is None   # still training: the rows came before the end
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=DEADLINE)
        assert child.returncode == 128 + signal.SIGTERM
        assert err.decode().strip().splitlines() == ["backprop-explorer: stopped by SIGTERM"]
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()


# --- refused up front -----------------------------------------------------------

def _run(*args):
    """``run`` in this process: its exit status, SystemExit's included."""
    try:
        return cli.run(list(args), prog="bpe")
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize("args, maximum", [
    (["train", "--steps", "1000000001"], "1,000,000,000"),
    (["derive", "--steps", "100001"], "100,000"),
])
def test_steps_above_the_maximum_are_refused(tmp_path, capsys, args, maximum):
    assert _run(*args, "-o", str(tmp_path / "x.csv")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --steps" in err and maximum in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args", [["train", "--steps", "1000000000"], ["derive", "--steps", "100000"]])
def test_the_maxima_are_documented(capsys, args):
    with pytest.raises(SystemExit):
        cli.run([args[0], "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"at most {int(args[2]):,}" in text


class _Disk:
    def __init__(self, free):
        self.f_bavail, self.f_frsize = free, 1


def test_a_csv_that_may_not_fit_on_the_disk_is_refused_before_anything_is_written(tmp_path, capsys,
                                                                                     monkeypatch):
    out = tmp_path / "h.csv"
    need = cli.csv_size_bound(1000, 1, csvio.HISTORY_COLUMNS[1:])
    monkeypatch.setattr(os, "statvfs", lambda path: _Disk(need - 1))
    assert _run("train", "--steps", "1000", "-o", str(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --steps" in err and "free" in err
    assert os.listdir(tmp_path) == []
    monkeypatch.setattr(os, "statvfs", lambda path: _Disk(need))
    assert _run("train", "--steps", "1000", "-o", str(out)) == 0
    assert os.listdir(tmp_path) == ["h.csv"]


def test_a_billion_rows_do_not_fit_here(tmp_path):
    free = os.statvfs(tmp_path).f_bavail * os.statvfs(tmp_path).f_frsize
    if free > 2e11:
        pytest.skip("this disk could hold the CSV")
    done = subprocess.run([sys.executable, "main.py", "train", "--steps", "1000000000", "-o",
                           str(tmp_path / "h.csv")], cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "free" in done.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args, columns", [
    ([], csvio.HISTORY_COLUMNS[1:]),
    (["--optimizer", "adam", "--alpha", "0.3"], None),
    (["--optimizer", "rmsprop", "--W1", "-1e-300", "--b3", "-999.1234567890123", "--alpha", "1e-300"],
     None),
])
def test_the_size_bound_is_above_what_is_written(tmp_path, args, columns):
    out = tmp_path / "h.csv"
    done = subprocess.run([sys.executable, "main.py", "train", "--steps", "999", "--every", "2", *args,
                           "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE)
    assert done.returncode == 0, done.stderr
    header = out.read_text().splitlines()[0].split(",")
    assert columns is None or header[1:] == list(columns)
    assert out.stat().st_size <= cli.csv_size_bound(999, 2, header[1:])
