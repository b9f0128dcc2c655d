"""Hostile files given to the engine's readers: huge, binary, UTF-16, cut short,
hand-made numbers, pipes and odd paths.  Each is refused with a message that
names the problem, quickly and without reading a huge file into memory.

(tests/engine/test_engine_session.py has the session's schema, truncation,
garbage and damage cases; tests/engine/test_engine_dataset.py the CSV's rows.)"""

import codecs
import io
import json
import os
import random
import re
import threading

import numpy as np
import pytest

from engine import DEFAULTS, PARAMS, Trainer, dataset, session
from engine.compiled import ROW
from engine.csvio import finish, write_atomically
from engine.dataset import DatasetError, csv_chunks, read_csv
from engine.session import SessionError
from engine.terms import Spec
from engine.timeline import Timeline
from tests.big_files import MB, SMALL_PEAK, measured, sparse, write_repeated
from tests.session_format1 import format1_document, rows_of, set_rows



def _trainer(steps=3, **kwargs):
    trainer = Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"],
                      **kwargs)
    trainer.run(steps)
    return trainer


def _session_text(line=None, cursor=1, settings=None):
    stream = io.StringIO()
    session.dump(stream, Timeline(_trainer()) if line is None else line, cursor,
                 {"speed": 100, "log_scale": False} if settings is None else settings)
    return stream.getvalue()


def _rich_line():
    """Two segments, an optimizer with state, unicode in the settings."""
    line = Timeline(Trainer({p: DEFAULTS[p] for p in PARAMS}, [1.0, -2.5e-7, 123.456], [2.0, 1e-300, -0.0],
                            0.01, spec=Spec(optimizer="adam")))
    line.run(20)
    line.branch(5, _trainer(0))
    line.run(3)
    return line


RICH_SETTINGS = {"theme": 'dark — ünïcode "quoted" \\ back', "speed": 100, "f": -1.5e-300, "t": True}


@pytest.fixture
def big(tmp_path):
    """A path for a file of 100 MB or more, removed afterwards (not left for pytest to keep)."""
    path = tmp_path / "big"
    yield path
    path.unlink(missing_ok=True)


def _never_blocks(call, fifo):
    """Run ``call()`` in a thread; if it waits on the pipe ``fifo``, open the
    pipe's other end so that it returns, and fail.  Gives its exception."""
    outcome = {}

    def run():
        try:
            call()
        except Exception as error:   # noqa: BLE001 -- the caller checks which
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    if thread.is_alive():
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(5)
        pytest.fail("the reader waited for someone to write into a pipe")
    return outcome.get("error")


# --- sessions: huge files ------------------------------------------------------

def _session_utf16(path, size):
    block = _session_text().encode("utf-16-le")
    write_repeated(path, codecs.BOM_UTF16_LE, block, size)


HUGE_SESSIONS = {
    # name: (make(path, size), words of the message)
    "sparse (zero bytes)": (sparse, "binary data"),
    "repeated binary": (lambda p, n: write_repeated(p, b"", b"\xde\xad\xbe\xef\x00\x01", n), "not text"),
    "repeated text lines": (lambda p, n: write_repeated(p, b"", b"shopping list: eggs, flour\n", n),
                            '"format": "backprop-explorer-session"'),
    "a brace, then letters": (lambda p, n: write_repeated(p, b"{", b"a", n),
                              '"format": "backprop-explorer-session"'),
    "a JSON list of numbers": (lambda p, n: write_repeated(p, b'{"x": [', b"0.5,", n),
                               '"format": "backprop-explorer-session"'),
    "a session's beginning, then garbage": (
        lambda p, n: write_repeated(p, b'{"format": "backprop-explorer-session", "version": 1, ', b"@!", n),
        "not valid JSON"),
    "a session, again and again": (lambda p, n: write_repeated(p, b"", _session_text().encode(), n),
                                   "Extra data"),
    "UTF-16": (_session_utf16, "UTF-16"),
}


@pytest.mark.parametrize("name", list(HUGE_SESSIONS))
def test_a_huge_file_is_refused_quickly_without_reading_it_all(big, name):
    make, words = HUGE_SESSIONS[name]
    size = 150 * MB if make is sparse else 110 * MB
    make(big, size)
    assert big.stat().st_size >= size > 100 * MB
    error, peak = measured(lambda: session.read(big))
    assert isinstance(error, SessionError), error
    assert words in str(error)
    assert peak < SMALL_PEAK, peak


def test_a_huge_stream_is_refused_at_its_first_piece_too():
    garbage = io.BytesIO(b"\x00" * (120 * MB))
    error, peak = measured(lambda: session.load(garbage))
    assert isinstance(error, SessionError) and "binary data" in str(error)
    assert garbage.tell() <= 4 * MB            # the rest was never read
    text = io.StringIO("{" + "x" * (20 * MB))
    with pytest.raises(SessionError, match='"format"'):
        session.load(text)
    assert text.tell() <= 4 * MB


@pytest.mark.parametrize("mark, encoding", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                                            (codecs.BOM_UTF32_LE, "utf-32-le")])
def test_a_session_in_utf16_or_utf32_is_refused_naming_the_encoding(tmp_path, mark, encoding):
    path = tmp_path / "wide.bpe"
    path.write_bytes(mark + _session_text().encode(encoding))
    with pytest.raises(SessionError, match="UTF-16"):
        session.read(path)
    without_mark = _session_text().encode("utf-16-le")
    path.write_bytes(without_mark)
    with pytest.raises(SessionError, match="not text"):
        session.read(path)


def test_the_early_refusal_never_refuses_a_good_session_wherever_the_first_piece_ends(monkeypatch):
    """The first piece of a large file is judged alone; shrink the piece so that
    every session here is 'large' and cut at every point."""
    document = json.loads(_session_text(_rich_line(), 3, RICH_SETTINGS))
    variants = [json.dumps(document, separators=(",", ":"), sort_keys=True),
                json.dumps(document, indent=4, ensure_ascii=False)]
    expected = session.load(io.StringIO(variants[0])).timeline.rows().tobytes()
    opened = 0
    for text in variants:
        raw = text.encode("utf-8")
        magic_ends = text.index('"backprop-explorer-session"') + len('"backprop-explorer-session"')
        # Every end just past "format" (where the check first applies), then every 31st.
        for piece in sorted({*range(magic_ends, magic_ends + 40), *range(magic_ends, len(text) + 2, 31)}):
            monkeypatch.setattr(session, "_CHUNK", piece)
            for source in (io.StringIO(text), io.BytesIO(raw)):   # bytes: pieces cut inside characters too
                assert session.load(source).timeline.rows().tobytes() == expected
                opened += 1
    assert opened > 300


def test_a_cut_or_damaged_large_session_is_still_refused_with_its_json_error(monkeypatch):
    text = _session_text(_rich_line(), 3, RICH_SETTINGS)
    monkeypatch.setattr(session, "_CHUNK", 300)    # past "format": every text below is 'large'
    for cut in range(350, len(text) - 1, 23):
        with pytest.raises(SessionError, match="damaged or cut short"):
            session.load(io.StringIO(text[:cut]))
    broken = text.replace('"cursor": 3', '"cursor": 3,,', 1)
    with pytest.raises(SessionError, match="not valid JSON"):
        session.load(io.StringIO(broken))


def test_a_file_cut_inside_a_character_is_refused(tmp_path):
    document = json.loads(_session_text(_rich_line(), 3, RICH_SETTINGS))
    raw = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")   # as an editor may save it
    inside = [i for i in range(1, len(raw)) if raw[i] & 0xC0 == 0x80]   # cut within a UTF-8 sequence
    assert inside
    path = tmp_path / "cut.bpe"
    for cut in inside[:40] + list(range(0, len(raw), max(1, len(raw) // 150))):
        path.write_bytes(raw[:cut])
        with pytest.raises(SessionError, match="not UTF-8|cut short|no JSON object"):
            session.read(path)


# --- sessions: extreme numbers -------------------------------------------------

def _with_last_state(column, value):
    """A file of format 1 (which holds every state) with one value of its last state changed."""
    document = format1_document(Timeline(_trainer()), cursor=3)
    rows = rows_of(document["segments"][0])
    rows[-1, ROW.index(column)] = value
    set_rows(document["segments"][0], rows)
    return json.dumps(document), rows


def test_1e308_in_a_later_state_is_refused_naming_it():
    # Before issue 11 such a file opened (and training on from it reported the overflow); a
    # later state of a format-1 file is now what training gives from the segment's start, or
    # the file is refused.  (Format 2 holds no later state.)
    text, _ = _with_last_state("W3", 1e308)
    true_w3 = float(_trainer().history.row(3)[ROW.index("W3")])
    with pytest.raises(SessionError, match=rf"segment 1: state 3 \(W₃\) differs from what training "
                                           rf"gives: 1e\+308 instead of {re.escape(repr(true_w3))}"):
        session.load(io.StringIO(text))


@pytest.mark.parametrize("where, value, words", [
    (("segments", 0, "alpha"), 1e308, "alpha"),
    (("segments", 0, "x", 0), -1e308, "x"),
    (("segments", 0, "spec"), {"leak": 1e308}, "leak"),
    (("segments", 0, "spec"), {"optimizer": "adam", "eps": 1e308, "beta1": 0.9, "beta2": 0.999,
                               "momentum": 0.9, "rho": 0.9, "schedule": "constant", "decay": 0.9,
                               "decay_every": 100, "clip": None, "clip_c": 1.0}, "ε of RMSprop and Adam"),
    (("segments", 0, "spec"), {"schedule": "step", "decay_every": 1e308}, "the step schedule's k"),
    (("segments", 0, "batch_size"), 1e308, "batch_size"),
    (("cursor",), 1e308, "cursor"),
    (("segments", 0, "start", "W2"), 1e308, "W2"),
    (("segments", 0, "start", "W2"), -1e308, "W2"),
])
def test_1e308_where_it_is_out_of_range_is_refused_naming_the_field(where, value, words):
    document = json.loads(_session_text())
    target = document
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(SessionError, match=words):
        session.load(io.StringIO(json.dumps(document)))


@pytest.mark.parametrize("lengths, words", [
    ([10 ** 12], r'segment 1: the "length" is 1,000,000,000,000 states; a session file may hold at '
                 r'most 100,000,000'),
    ([10 ** 29], r'segment 1: the "length" is 100,000,000,000,000,000,000,000,000,000 states'),
    ([60_000_000, 60_000_000], "the session has 120,000,000 states; a session file may hold at most "
                               "100,000,000"),
])
def test_a_file_claiming_too_many_states_is_refused_before_anything_is_trained(monkeypatch, lengths, words):
    # Format 2 holds no states, so a hand-made length costs nothing to write and would cost
    # the replay's time and memory to believe: it is refused before any trainer is made.
    document = json.loads(_session_text(Timeline(_trainer(0)), 0))
    document["segments"] = [dict(document["segments"][0], length=n) for n in lengths]
    monkeypatch.setattr(session, "Trainer", lambda *a, **k: pytest.fail("a trainer was made"))
    with pytest.raises(SessionError, match=words):
        session.load(io.StringIO(json.dumps(document)))


# --- sessions: paths -------------------------------------------------------------

def test_odd_paths_are_refused_or_raise_os_error(tmp_path):
    good = tmp_path / "good.bpe"
    good.write_text(_session_text(), encoding="utf-8")
    with pytest.raises(SessionError, match="NUL"):
        session.read(str(good) + "\x00.bpe")
    with pytest.raises(NotADirectoryError):
        session.read(good / "inside.bpe")        # through a file, as if it were a folder
    loop = tmp_path / "loop.bpe"
    loop.symlink_to(loop)
    with pytest.raises(OSError):
        session.read(loop)
    to_folder = tmp_path / "folder-link.bpe"
    to_folder.symlink_to(tmp_path)
    with pytest.raises(SessionError, match="folder"):
        session.read(to_folder)
    to_device = tmp_path / "zero.bpe"
    to_device.symlink_to("/dev/zero")
    with pytest.raises(SessionError, match="not an ordinary file"):
        session.read(to_device)


def test_an_unreadable_file_raises_permission_error(tmp_path, monkeypatch):
    path = tmp_path / "secret.bpe"
    path.write_text(_session_text(), encoding="utf-8")
    path.chmod(0)
    if os.geteuid() == 0:   # root reads it anyway: refuse as the system would for anyone else
        real = os.open

        def refuse(name, *args, **kwargs):
            if os.fspath(name) == str(path):
                raise PermissionError(13, "Permission denied", str(name))
            return real(name, *args, **kwargs)
        monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(PermissionError):
        session.read(path)
    path.chmod(0o600)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_pipe_put_in_the_files_place_after_the_check_is_not_waited_on(tmp_path, monkeypatch):
    regular = tmp_path / "regular.bpe"
    regular.write_text(_session_text(), encoding="utf-8")
    fifo = tmp_path / "swapped.bpe"
    os.mkfifo(fifo)
    real = os.stat
    # The check sees an ordinary file; by the time it is opened it is a pipe.
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real(regular if os.fspath(p) == str(fifo) else p,
                                                                *a, **k))
    error = _never_blocks(lambda: session.read(fifo), fifo)
    assert isinstance(error, SessionError) and "not an ordinary file" in str(error)


# --- datasets: huge files --------------------------------------------------------

def test_a_110_mb_file_of_good_rows_is_refused_before_it_is_read(big):
    write_repeated(big, b"x,y\n", b"1.25,-3.5\n", 110 * MB)
    error, peak = measured(lambda: read_csv(big))
    assert isinstance(error, DatasetError), error
    assert error.line is None and "110.0 MB" in str(error) and "1,000,000 samples" in str(error)
    assert peak < SMALL_PEAK, peak


def test_a_huge_stream_is_refused_after_what_no_dataset_holds(big, monkeypatch):
    """Rows of 1000 characters (spaces pad them): 110 MB of them is far more
    text than a dataset holds, in fewer rows than samples it may have.  (The
    bound lowered to 10 MB, so that the test reads 10 MB, not 100.)"""
    monkeypatch.setattr(dataset, "MAX_BYTES", 10 * MB)
    row = b"1.5," + b" " * 994 + b"2\n"
    assert len(row) == 1000
    write_repeated(big, b"x,y\n", row, 110 * MB)
    with open(big, "rb") as stream:
        error, peak = measured(lambda: read_csv(stream))
        taken = stream.tell()
    assert isinstance(error, DatasetError), error
    assert "10.0 MB of text" in str(error) and "1,000,000 samples" in str(error)
    assert 10 * MB // len(row) <= error.line <= 10 * MB // len(row) + 2
    assert taken < 12 * MB and peak < SMALL_PEAK, (taken, peak)


@pytest.mark.parametrize("how", ["path", "stream"])
def test_a_hugesparse_file_is_refused_at_once(big, how):
    sparse(big, 150 * MB)
    if how == "path":
        error, peak = measured(lambda: read_csv(big))
        assert "150.0 MB" in str(error)
    else:
        with open(big, "rb") as stream:
            error, peak = measured(lambda: read_csv(stream))
        assert error.line == 1 and "longer than" in str(error)
    assert isinstance(error, DatasetError)
    assert peak < SMALL_PEAK, peak


def test_a_million_blank_lines_are_refused_not_skipped_for_ever(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"x,y\n1,2\n" + b"\n" * (dataset.MAX_SAMPLES + 5))
    with pytest.raises(DatasetError, match="blank lines") as caught:
        read_csv(path)
    assert caught.value.line == dataset.MAX_SAMPLES + 3   # the header, one row, then the blank lines


def test_the_samples_of_a_large_file_are_kept_compactly(tmp_path):
    path = tmp_path / "large.csv"
    x, y = dataset.preset("noisy line", 20_000, seed=3)
    write_atomically(path, lambda stream: csv_chunks(stream, x, y))
    error, peak = measured(lambda: read_csv(path))
    assert error is None
    # Kept as float objects in lists: 64 bytes a sample; as float64, 16.
    assert peak < 48 * len(x), peak


# --- datasets: binary, encodings, cut short ---------------------------------------

@pytest.mark.parametrize("raw, line, words", [
    ("x,y\n1,2\n".encode("utf-16"), 1, "UTF-16"),
    ("x,y\n1,2\n".encode("utf-16-be"), 1, "binary data"),     # no mark: a NUL byte every other
    ("x,y\n1,2\n".encode("utf-32"), 1, "UTF-16"),
    (b"x,y\n1,2\n3,\x00\n", 3, "binary data"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(64), 1, "binary data"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), 1, "binary data"),
    (b"x,y\n1,2\n\x89PNG\r\n\x1a\n", 3, "not UTF-8"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 1, "header must be x,y"),
    ('{"format": "backprop-explorer-session"}\n'.encode(), 1, "header must be x,y"),
], ids=["utf-16", "utf-16 without mark", "utf-32", "nul in a row", "elf", "zip", "png after rows", "pdf",
        "a session"])
def test_binary_and_foreign_files_are_refused_naming_the_line(tmp_path, raw, line, words):
    path = tmp_path / "foreign.csv"
    path.write_bytes(raw)
    for source in (path, io.BytesIO(raw)):
        with pytest.raises(DatasetError) as caught:
            read_csv(source)
        assert caught.value.line == line and words in str(caught.value), str(caught.value)


def test_random_bytes_raise_only_dataset_error():
    rng = random.Random(11)
    for n in (1, 3, 10, 200, 5000):
        for _ in range(20):
            blob = bytes(rng.randrange(256) for _ in range(n))
            for source in (io.BytesIO(blob), io.BytesIO(b"x,y\n" + blob)):
                try:
                    read_csv(source)
                except DatasetError as error:
                    assert str(error).startswith(("line ", "dataset:"))


def test_a_file_cut_anywhere_reads_a_prefix_of_its_samples_or_is_refused(tmp_path):
    x = np.array([0.1, -2.5, 1e-300, 999.9999999999999, -0.0, 123.456])
    y = np.array([1.0, 2.0, 3.0, -4.0, 5.5, 6.25])
    stream = io.StringIO(newline="")
    finish(csv_chunks(stream, x, y))
    raw = ("\ufeff" + stream.getvalue().replace("\n", "\r\n")).encode("utf-8")
    rows = stream.getvalue().splitlines()[1:]
    path = tmp_path / "cut.csv"
    refused = read = 0
    for cut in range(len(raw) + 1):
        path.write_bytes(raw[:cut])
        try:
            got_x, got_y = read_csv(path)
        except DatasetError as error:
            assert str(error).startswith(("line ", "dataset:"))
            refused += 1
            continue
        read += 1
        n = len(got_x)
        # Every sample but the last is whole; the last may be a cut one ("123.4" of "123.456").
        assert got_x[:n - 1].tobytes() == x[:n - 1].tobytes() and got_y[:n - 1].tobytes() == y[:n - 1].tobytes()
        last = raw[:cut].decode("utf-8").splitlines()[-1]
        assert rows[n - 1].startswith(last.strip())
    assert refused and read


# --- datasets: numbers and schema -----------------------------------------------------

@pytest.mark.parametrize("cell", ["1_000", "١٢", "１２", "²", "1\u00a0", "0x10", "True", "1,5", "1e", "--1",
                                  "∞"])
def test_text_that_python_might_read_as_a_number_is_refused(cell):
    text = f'x,y\n1,2\n"{cell}",3\n'
    with pytest.raises(DatasetError) as caught:
        read_csv(io.StringIO(text))
    assert caught.value.line == 3 and "x is not a number" in str(caught.value), str(caught.value)


@pytest.mark.parametrize("cell, value", [(" +1.5 ", 1.5), ("-.5", -0.5), ("1.", 1.0), ("1E3", 1000.0),
                                         ("1e-400", 0.0), ("\t7", 7.0)])
def test_plain_numbers_still_read(cell, value):
    x, _ = read_csv(io.StringIO(f'x,y\n"{cell}",0\n'))
    assert x.tolist() == [value]


@pytest.mark.parametrize("cell", ["1e308", "-1e308", "1e999", "nan", "-inf", "1000.0000000001"])
def test_1e308_and_beyond_are_refused_as_out_of_range_or_not_finite(cell):
    with pytest.raises(DatasetError, match="outside the accepted range|must be finite"):
        read_csv(io.StringIO(f"x,y\n{cell},1\n"))


# --- datasets: paths -------------------------------------------------------------------

def test_a_folder_a_device_and_a_nul_are_refused_and_a_missing_file_is_os_error(tmp_path):
    with pytest.raises(DatasetError, match="folder"):
        read_csv(tmp_path)
    with pytest.raises(DatasetError, match="not an ordinary file"):
        read_csv("/dev/zero")
    with pytest.raises(DatasetError, match="NUL"):
        read_csv(str(tmp_path / "a.csv") + "\x00")
    with pytest.raises(FileNotFoundError):
        read_csv(tmp_path / "missing.csv")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_pipe_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    error = _never_blocks(lambda: read_csv(fifo), fifo)
    assert isinstance(error, DatasetError) and "not an ordinary file" in str(error)
