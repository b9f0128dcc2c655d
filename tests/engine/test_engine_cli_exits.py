"""The command line's exit status and its one line on standard error when
the output cannot be written, when a signal stops it, and when the output
is the input."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60
POLL = 0.005   # seconds between two looks at the folder
PROG = "backprop-explorer"


def cli(*args, stdout=subprocess.PIPE):
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=DEADLINE)


def _one_line(stderr):
    assert "Traceback" not in stderr and "None" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# --- could not write -----------------------------------------------------------------

needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")


@needs_dev_full
@pytest.mark.parametrize("args", [
    ["train", "--steps", "3"],                         # flushed at the end
    ["train", "--steps", "300000"],                    # fails while streaming
    ["derive", "--steps", "2"],
])
def test_a_full_standard_output_is_exit_3_and_one_line(args):
    with open("/dev/full", "w") as full:
        done = cli(*args, stdout=full)
    assert done.returncode == 3
    assert _one_line(done.stderr) == f"{PROG}: error: cannot write to standard output: no space left on device"


def test_a_standard_output_closed_from_the_start_is_exit_3_and_one_line():
    # The shell closes descriptor 1 before Python starts: sys.stdout is then None.
    done = subprocess.run(["sh", "-c", 'exec "$0" main.py train --steps 3 >&-', sys.executable], cwd=ROOT,
                          stderr=subprocess.PIPE, text=True, timeout=DEADLINE)
    assert done.returncode == 3
    assert _one_line(done.stderr) == f"{PROG}: error: cannot write to standard output: it is closed"


CLOSING = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, os.getcwd())
    import main
    os.close(1)     # closed after the interpreter set up sys.stdout
    sys.exit(main.main(sys.argv[1:]))
""")


@pytest.mark.parametrize("steps", ["3", "200000"])
def test_a_standard_output_closed_under_the_interpreter_is_exit_3_and_one_line(steps):
    done = subprocess.run([sys.executable, "-c", CLOSING, "train", "--steps", steps], cwd=ROOT,
                          stderr=subprocess.PIPE, text=True, timeout=DEADLINE)
    assert done.returncode == 3
    assert _one_line(done.stderr) == f"{PROG}: error: cannot write to standard output: bad file descriptor"


def test_a_file_that_cannot_be_written_is_exit_3_naming_it(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user may write anywhere (root)")
        done = cli("train", "--steps", "3", "-o", str(folder / "h.csv"))
    finally:
        folder.chmod(0o755)
    assert done.returncode == 3
    assert _one_line(done.stderr) == f"{PROG}: error: cannot write {folder / 'h.csv'}: permission denied"
    assert os.listdir(folder) == []


def test_a_reader_that_stops_reading_is_not_an_error():
    child = subprocess.Popen([sys.executable, "main.py", "train", "--steps", "2000000"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline().startswith(b"step,")
    child.stdout.close()   # as `| head -1` does
    _, err = child.communicate(timeout=DEADLINE)
    assert child.returncode == 0 and err == b""


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["derive", "--help"]])
def test_the_exit_statuses_are_documented(args):
    done = cli(*args)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for words in ("0 on success", "1 if training diverged", "2 on bad input",
                  "3 if the output could not be written", "128 + N if stopped by signal N"):
        assert words in text, words


def test_the_readme_documents_the_exit_statuses():
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for words in ("3 if the output could not be written", "128 + N"):
        assert words in text, words


# --- signals ------------------------------------------------------------------------

def _parts(folder):
    return [n for n in os.listdir(folder) if n.startswith(".~") and n.endswith(".part")]


def _size(path):
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _when_writing(child, folder):
    """Wait until the child's temporary file is in ``folder``."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"the child ended first: {child.communicate()}")
        if _parts(folder):
            return
        time.sleep(POLL)
    child.kill()
    pytest.fail("no temporary file appeared")


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGINT"])
@pytest.mark.parametrize("old", [b"the file that was there\n", None])
def test_a_signal_while_writing_removes_the_temporary_file_and_exits_128_plus_n(tmp_path, name, old, children):
    number = getattr(signal, name, None)
    if number is None:
        pytest.skip(f"no {name} here")
    target = tmp_path / "f.csv"
    if old is not None:
        target.write_bytes(old)
    child = subprocess.Popen([sys.executable, "main.py", "train", "--steps", "3000000", "-o", str(target)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children.append(child)   # killed and its pipes closed, whatever happens
    _when_writing(child, tmp_path)
    child.send_signal(number)
    out, err = child.communicate(timeout=DEADLINE)
    assert child.returncode == 128 + number
    assert _one_line(err) == f"{PROG}: stopped by {name}"
    assert out == ""
    assert _parts(tmp_path) == []
    if old is None:
        assert os.listdir(tmp_path) == []
    else:
        assert os.listdir(tmp_path) == ["f.csv"] and target.read_bytes() == old


def test_ctrl_c_while_writing_to_standard_output_is_one_line_and_130(children):
    child = subprocess.Popen([sys.executable, "main.py", "train", "--steps", "100000000"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children.append(child)   # killed and its pipes closed, whatever happens
    assert child.stdout.readline().startswith(b"step,")   # running, its handlers in place
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=DEADLINE)
    assert child.returncode == 130
    assert _one_line(err.decode()) == f"{PROG}: stopped by SIGINT"


def _signal_during(monkeypatch, name, when):
    """Make ``os.<name>`` send SIGTERM to this process right after (or before)
    its work on a temporary file, at the moment the atomic writer is between two steps."""
    from engine import cli as engine_cli
    real = getattr(os, name)

    def call(*args, **kwargs):
        mine = signal.getsignal(signal.SIGTERM) is engine_cli._stop   # never SIGTERM pytest itself
        part = ".part" in str(args[0])
        if mine and part and when == "before":
            os.kill(os.getpid(), signal.SIGTERM)
        result = real(*args, **kwargs)
        if mine and part and when == "after":
            os.kill(os.getpid(), signal.SIGTERM)
        return result
    monkeypatch.setattr(os, name, call)


def test_a_signal_just_as_the_temporary_file_is_made_still_removes_it(tmp_path, monkeypatch, capsys):
    from engine import cli as engine_cli
    _signal_during(monkeypatch, "open", "after")
    assert engine_cli.run(["train", "--steps", "5", "-o", str(tmp_path / "h.csv")], prog=PROG) == 143
    assert _one_line(capsys.readouterr().err) == f"{PROG}: stopped by SIGTERM"
    assert os.listdir(tmp_path) == []


def test_a_signal_just_as_the_file_is_moved_into_place_leaves_no_piece(tmp_path, monkeypatch, capsys):
    from engine import cli as engine_cli
    target = tmp_path / "h.csv"
    target.write_text("old\n")
    _signal_during(monkeypatch, "replace", "before")
    assert engine_cli.run(["train", "--steps", "5", "-o", str(target)], prog=PROG) == 143
    assert _one_line(capsys.readouterr().err) == f"{PROG}: stopped by SIGTERM"
    assert os.listdir(tmp_path) == ["h.csv"]
    # The old file or the whole new one: never a piece.
    assert target.read_text() == "old\n" or len(target.read_text().splitlines()) == 7


def test_an_ignored_hangup_stays_ignored(tmp_path, children):
    # As under nohup: the run goes on through SIGHUP, and SIGTERM still stops it cleanly.
    target = tmp_path / "f.csv"
    child = subprocess.Popen([sys.executable, "main.py", "train", "--steps", "3000000", "-o", str(target)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    children.append(child)   # killed and its pipes closed, whatever happens
    _when_writing(child, tmp_path)
    child.send_signal(signal.SIGHUP)
    size = 0
    deadline = time.monotonic() + DEADLINE
    while size < 4_000_000 and time.monotonic() < deadline:   # it goes on writing
        assert child.poll() is None, child.communicate()
        size = max([0] + [_size(tmp_path / p) for p in _parts(tmp_path)])
        time.sleep(POLL)
    assert size >= 4_000_000
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=DEADLINE)
    assert child.returncode == 128 + signal.SIGTERM
    assert _one_line(err) == f"{PROG}: stopped by SIGTERM"
    assert os.listdir(tmp_path) == []


def test_the_handlers_last_only_as_long_as_the_run(tmp_path):
    from engine import cli as engine_cli
    before = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)}
    assert engine_cli.run(["train", "--steps", "2", "-o", str(tmp_path / "h.csv")]) == 0
    assert {n: signal.getsignal(n) for n in before} == before


# --- the output is the input ---------------------------------------------------------------

def _dataset(folder):
    path = folder / "same.csv"
    path.write_text("x,y\n1.0,2.0\n-0.5,0.25\n3.0,-1.0\n")
    return path


@pytest.mark.parametrize("command", [["train", "--steps", "3"], ["derive"]])
@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink"])
def test_the_output_cannot_be_the_data_file(tmp_path, command, spelling):
    data = _dataset(tmp_path)
    before = data.read_bytes()
    if spelling == "same":
        output = data
    elif spelling == "dotted":
        (tmp_path / "sub").mkdir()
        output = tmp_path / "sub" / ".." / "same.csv"
    elif spelling == "symlink":
        output = tmp_path / "link.csv"
        output.symlink_to(data)
    else:
        output = tmp_path / "hard.csv"
        os.link(data, output)
    done = cli(*command, "--data", str(data), "-o", str(output))
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert "-o/--output" in line and "--data" in line and "destroy" in line
    assert data.read_bytes() == before
    assert _parts(tmp_path) == []


def test_another_output_beside_the_data_file_is_written(tmp_path):
    data = _dataset(tmp_path)
    done = cli("train", "--steps", "3", "--data", str(data), "-o", str(tmp_path / "other.csv"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "other.csv").read_text().startswith("step,")
