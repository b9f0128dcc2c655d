"""Datasets: the CSV reader and writer, the presets and the mini-batches."""

import io
import math

import numpy as np
import pytest

from engine import dataset
from engine.csvio import finish, write_atomically
from engine.dataset import DatasetError, batch_indices, batches_per_epoch, csv_chunks, preset, read_csv
from engine.limits import InputError


def _written(x, y):
    stream = io.StringIO(newline="")
    finish(csv_chunks(stream, x, y))
    return stream.getvalue()


def save_csv(path, x, y):
    """As the window exports a dataset."""
    write_atomically(path, lambda stream: csv_chunks(stream, x, y))


# --- round trip ----------------------------------------------------------------

AWKWARD = [0.1, 1 / 3, -2 / 3, 1e-300, 5e-324, -0.0, 0.0, 1000.0, -1000.0,
           math.pi, 123456.789e-3, 2.0 ** -40, 999.9999999999999]


def _same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_round_trip_through_a_stream_is_exact():
    rng = np.random.default_rng(7)
    x = np.concatenate([AWKWARD, rng.uniform(-1000, 1000, 500)])
    y = np.concatenate([AWKWARD[::-1], rng.normal(0, 3, 500)])
    text = _written(x, y)
    assert text.splitlines()[0] == "x,y"
    back_x, back_y = read_csv(io.StringIO(text, newline=""))
    assert _same_bits(back_x, x) and _same_bits(back_y, y)   # -0.0 and subnormals too


def test_round_trip_through_a_file_is_exact(tmp_path):
    x = np.array(AWKWARD)
    y = np.array(AWKWARD[::-1])
    path = tmp_path / "data.csv"
    save_csv(path, x, y)
    back_x, back_y = read_csv(path)
    assert _same_bits(back_x, x) and _same_bits(back_y, y)
    back_x, back_y = read_csv(str(path))
    assert _same_bits(back_x, x) and _same_bits(back_y, y)
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]   # no temporary left


def test_written_numbers_are_plain_reprs():
    # The shortest repr of each float64 (a float32 input is widened exactly first).
    text = _written(np.array([0.1, 2.0]), np.array([np.float32(0.5), 1e-7]))
    assert text == "x,y\n0.1,0.5\n2.0,1e-07\n"


def test_save_refuses_bad_samples_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "data.csv"
    save_csv(path, [1.0], [2.0])
    before = path.read_bytes()
    for x, y in (([1.0, 2.0], [1.0]), ([math.nan], [1.0]), ([1.0], [1e4]), ([], [])):
        with pytest.raises(InputError):
            save_csv(path, x, y)
    assert path.read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 1


def test_read_accepts_a_binary_stream_crlf_blank_lines_and_spaces():
    text = "x , y\r\n1, 2\r\n\r\n-3.5 ,4e2\r\n"
    for source in (io.StringIO(text, newline=""), io.BytesIO(text.encode())):
        x, y = read_csv(source)
        assert x.tolist() == [1.0, -3.5] and y.tolist() == [2.0, 400.0]


def test_the_callers_stream_stays_open():
    for stream in (io.BytesIO(b"x,y\n1,2\n"), io.StringIO("x,y\n1,2\n")):
        read_csv(stream)
        assert not stream.closed
        stream.seek(0)
        assert stream.read(3) in ("x,y", b"x,y")
    bad = io.BytesIO(b"x,y\n1,two\n")
    with pytest.raises(DatasetError):
        read_csv(bad)
    assert not bad.closed


@pytest.mark.parametrize("how", ["text", "bytes", "file"])
def test_utf8_bom_is_skipped(how, tmp_path):
    raw = "\ufeffx,y\n1,2\n".encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    if how == "text":
        source = io.StringIO(raw.decode("utf-8"), newline="")
    elif how == "bytes":
        source = io.BytesIO(raw)
    else:
        source = tmp_path / "bom.csv"
        source.write_bytes(raw)
    x, y = read_csv(source)
    assert x.tolist() == [1.0] and y.tolist() == [2.0]


# --- refusals --------------------------------------------------------------------

BAD = [
    # (text, line named, words of the message)
    ("", None, "empty"),
    ("a,b\n1,2\n", 1, "header must be x,y"),
    ("y,x\n1,2\n", 1, "header must be x,y"),
    ("x\n1\n", 1, "header must be x,y"),
    ("x,y,z\n1,2,3\n", 1, "header must be x,y"),
    ("1,2\n3,4\n", 1, "header must be x,y"),
    ("x,y\n1,2\n3\n", 3, "expected 2 fields"),
    ("x,y\n1,2,3\n", 2, "expected 2 fields"),
    ("x,y\n1,abc\n", 2, "y is not a number: 'abc'"),
    ("x,y\n0x10,1\n", 2, "x is not a number"),
    ("x,y\n,1\n", 2, "x is not a number"),
    ("x,y\nnan,1\n", 2, "x must be finite"),
    ("x,y\n1,-inf\n", 2, "y must be finite"),
    ("x,y\n1,1e999\n", 2, "y must be finite"),
    ("x,y\n1000.5,1\n", 2, "x = 1000.5 is outside the accepted range"),
    ("x,y\n1,-1e4\n", 2, "y = -10000 is outside the accepted range"),
    ("x,y\n", None, "no samples"),
    ("x,y\n\n\n", None, "no samples"),
    ("x,y\n1,2\n\n3,oops\n", 4, "y is not a number"),        # blank lines still count
    ('x,y\n1,2\n"3\n",5\n6,x\n', 5, "y is not a number"),     # a quoted newline: physical lines
    ('x,y\n"1"x,2\n', 2, "not a valid CSV row"),
]


@pytest.mark.parametrize("text, line, words", BAD)
def test_bad_csv_is_refused_naming_the_line_and_problem(text, line, words):
    with pytest.raises(DatasetError) as caught:
        read_csv(io.StringIO(text, newline=""))
    error = caught.value
    assert isinstance(error, InputError)
    assert error.line == line
    assert words in str(error)
    assert str(error).startswith("dataset:" if line is None else f"line {line}:")


def test_more_than_max_samples_is_refused_at_the_first_extra_row(monkeypatch):
    assert dataset.MAX_SAMPLES == 1_000_000
    monkeypatch.setattr(dataset, "MAX_SAMPLES", 3)
    ok = "x,y\n1,1\n2,2\n3,3\n"
    assert len(read_csv(io.StringIO(ok))[0]) == 3
    with pytest.raises(DatasetError) as caught:
        read_csv(io.StringIO(ok + "4,4\n5,5\n"))
    assert caught.value.line == 5 and "more than 3 samples" in str(caught.value)


def test_non_utf8_binary_is_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20
    for source in (io.BytesIO(png), tmp_path / "picture.png"):
        if not isinstance(source, io.BytesIO):
            source.write_bytes(png)
        with pytest.raises(DatasetError) as caught:
            read_csv(source)
        assert caught.value.line == 1 and "not UTF-8" in str(caught.value)


def test_undecodable_bytes_after_good_lines_name_their_line():
    with pytest.raises(DatasetError) as caught:
        read_csv(io.BytesIO(b"x,y\n1,2\n3,\xff\xfe\n"))
    assert caught.value.line == 3 and "not UTF-8" in str(caught.value)


class _Counting(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.taken = 0

    def read(self, size=-1):
        data = super().read(size)
        self.taken += len(data)
        return data

    def read1(self, size=-1):
        data = super().read1(size)
        self.taken += len(data)
        return data

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.taken += n
        return n


@pytest.mark.parametrize("filler", [b"\x00", b"1", b","])
def test_a_huge_line_is_refused_without_reading_the_whole_input(filler):
    source = _Counting(filler * 20_000_000)   # 20 MB without a newline
    with pytest.raises(DatasetError) as caught:
        read_csv(source)
    assert caught.value.line == 1 and "longer than" in str(caught.value)
    assert source.taken < 1_000_000


# --- presets ---------------------------------------------------------------------

def test_reference_preset_is_the_single_worked_sample():
    x, y = preset("reference")
    assert x.tolist() == [2.0] and y.tolist() == [4.0]
    assert preset("reference", n=99, seed=3)[0].tolist() == [2.0]


@pytest.mark.parametrize("n", [1, 2, 7, 50, 1001])
def test_sine_and_square_presets(n):
    x, y = preset("sine", n)
    assert x.shape == y.shape == (n,)
    assert np.array_equal(x, np.linspace(-3.0, 3.0, n))
    assert np.array_equal(y, np.sin(x))
    if n > 1:
        assert x[0] == -3.0 and x[-1] == 3.0
    x, y = preset("square", n)
    assert x.shape == y.shape == (n,)
    assert np.array_equal(x, np.linspace(-2.0, 2.0, n))
    assert np.array_equal(y, x ** 2)
    if n > 1:
        assert x[0] == -2.0 and x[-1] == 2.0 and y[0] == 4.0


def test_default_sample_count():
    for name in ("sine", "square", "noisy line"):
        assert len(preset(name)[0]) == dataset.DEFAULT_N
        assert len(preset(name, None)[0]) == dataset.DEFAULT_N


def test_noisy_line_is_the_line_plus_seeded_normal_noise():
    n = 20_000
    x, y = preset("noisy line", n, seed=11)
    assert x.shape == y.shape == (n,)
    assert x[0] == -3.0 and x[-1] == 3.0
    noise = y - (0.5 * x + 1.0)
    assert abs(noise.mean()) < 0.005
    assert 0.095 < noise.std() < 0.105
    expected = 0.5 * x + 1.0 + np.random.default_rng(11).normal(0.0, 0.1, n)
    assert np.array_equal(y, expected)


def test_noisy_line_depends_on_the_seed_only():
    a, b = preset("noisy line", 30, seed=5), preset("noisy line", 30, seed=5)
    assert np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], preset("noisy line", 30, seed=6)[1])
    assert np.array_equal(preset("noisy line", 30)[1], preset("noisy line", 30, seed=0)[1])


def test_presets_are_valid_datasets_and_round_trip():
    assert set(dataset.PRESETS) == {"reference", "sine", "square", "noisy line"}
    for name in dataset.PRESETS:
        x, y = preset(name, 40)
        back = read_csv(io.StringIO(_written(x, y)))
        assert _same_bits(back[0], x) and _same_bits(back[1], y)


@pytest.mark.parametrize("name, n", [("circle", 10), ("sine", 0), ("square", -3), ("sine", 2.5),
                                     ("sine", True), ("noisy line", dataset.MAX_SAMPLES + 1)])
def test_bad_presets_are_refused(name, n):
    with pytest.raises(InputError):
        preset(name, n)


# --- mini-batches ------------------------------------------------------------------

def _list(step, n=10, size=3, seed=None):
    return batch_indices(n, size, step, seed).tolist()


def test_batches_without_shuffle_are_consecutive_and_wrap():
    assert [_list(k) for k in range(9)] == [
        [0, 1, 2], [3, 4, 5], [6, 7, 8], [9],          # the epoch's last batch is smaller
        [0, 1, 2], [3, 4, 5], [6, 7, 8], [9],          # the next epoch starts at row 0
        [0, 1, 2]]
    assert batches_per_epoch(10, 3) == 4
    assert [_list(k, n=6, size=2) for k in range(4)] == [[0, 1], [2, 3], [4, 5], [0, 1]]
    assert _list(4_000_003) == [9]


def test_full_batch_and_single_samples():
    for size in (None, 10, 11, 1000):
        for step in (0, 1, 57):
            assert _list(step, size=size) == list(range(10))
            assert _list(step, size=size, seed=4) == list(range(10))
    assert [_list(k, size=1) for k in range(12)] == [[k % 10] for k in range(12)]
    assert batches_per_epoch(10, None) == 1


@pytest.mark.parametrize("n, size", [(10, 3), (10, 1), (7, 7 - 1), (100, 16), (2, 1)])
def test_shuffled_epochs_use_every_sample_once(n, size):
    per_epoch = batches_per_epoch(n, size)
    for epoch in range(4):
        parts = [batch_indices(n, size, epoch * per_epoch + k, 42) for k in range(per_epoch)]
        assert all(len(p) == size for p in parts[:-1]) and 1 <= len(parts[-1]) <= size
        order = np.concatenate(parts)
        assert np.array_equal(np.bincount(order, minlength=n), np.ones(n, dtype=int))
        assert np.array_equal(order, np.random.default_rng((42, epoch)).permutation(n))


def test_shuffled_order_depends_on_seed_and_epoch_and_is_reproducible():
    n, size = 50, 7
    per = batches_per_epoch(n, size)

    def epoch(e, seed):
        return np.concatenate([batch_indices(n, size, e * per + k, seed) for k in range(per)])

    first = epoch(0, 3)
    assert not np.array_equal(first, np.arange(n))
    assert not np.array_equal(first, epoch(1, 3))          # a new permutation each epoch
    assert not np.array_equal(first, epoch(0, 4))          # another seed, another order
    dataset._permutation.cache_clear()
    assert np.array_equal(first, epoch(0, 3))              # from the arguments alone


def test_returned_indices_cannot_corrupt_later_batches():
    for seed in (None, 1):
        indices = batch_indices(10, 4, 0, seed)
        with pytest.raises(ValueError):
            indices[0] = 9
    assert _list(0, size=4) == [0, 1, 2, 3]


@pytest.mark.parametrize("args", [(0, 1, 0, None), (10, 0, 0, None), (10, -2, 0, None),
                                  (10, 3, -1, None), (10, 3, 0, -1), (10, 3, 0, 1.5),
                                  (10, 2.0, 0, None), (10, 3, True, None)])
def test_bad_batch_arguments_are_refused(args):
    with pytest.raises(InputError):
        batch_indices(*args)


def test_old_mac_line_endings_are_lines_too():
    x, y = read_csv(io.BytesIO(b"x,y\r1,2\r3,4\r"))
    assert x.tolist() == [1.0, 3.0] and y.tolist() == [2.0, 4.0]
    with pytest.raises(DatasetError) as caught:
        read_csv(io.StringIO("x,y\r1,2\r3,four\r", newline=""))
    assert caught.value.line == 3


def test_latin1_text_is_refused_on_its_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("x,y\n1,2\n3,4\n5,6 # café\n7,8\n".encode("latin-1"))
    with pytest.raises(DatasetError) as caught:
        read_csv(path)
    assert caught.value.line == 4 and "not UTF-8" in str(caught.value)


def test_a_strict_text_stream_that_fails_to_decode_is_refused():
    stream = io.TextIOWrapper(io.BytesIO(b"x,y\n1,\xff\n"), encoding="utf-8", errors="strict")
    with pytest.raises(DatasetError) as caught:
        read_csv(stream)
    assert "not UTF-8" in str(caught.value)


def test_the_dataset_writer_yields_between_blocks_and_refuses_before_writing():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=20_000), rng.normal(size=20_000)
    stream = io.StringIO()
    pieces = sum(1 for _ in dataset.csv_chunks(stream, x, y))
    assert pieces >= 2
    back = read_csv(io.StringIO(stream.getvalue()))
    assert back[0].tobytes() == x.tobytes() and back[1].tobytes() == y.tobytes()
    empty = io.StringIO()
    with pytest.raises(InputError):
        next(dataset.csv_chunks(empty, [1.0, float("nan")], [2.0, 3.0]))
    assert empty.getvalue() == ""
