"""Datasets of (x, y) samples: CSV files, presets and mini-batches.

A dataset is two 1-d float64 arrays of the same non-zero length.  On file it
is a CSV with the header ``x,y`` and one sample a row.  A network of other
widths than one input and one output has (n, inputs) and (n, outputs) arrays,
and the header ``x1,…,xn,y1,…,ym`` (:func:`columns_header`).  Floats are written as
``repr`` (the shortest text that reads back as the identical float64), so a
save and a read give back exactly the same arrays.

Mini-batches are a pure function of the update number
(:func:`batch_indices`): the samples an update used can be found again from
the step index alone, so a history can be rebuilt exactly.
"""

import csv
import functools
import io
import math
import numbers
import os
import re
import stat
from array import array

import numpy as np

from .limits import DEFAULTS, LIMITS, InputError

_WRITE_BLOCK = 8192   # samples between two yields of csv_chunks: a few ms

MAX_SAMPLES = 1_000_000
MAX_LINE = 1000          # characters: a longer line is not a row of two numbers
# A file of MAX_SAMPLES rows as csv_chunks writes them is at most about 50 MB (two reprs of up
# to 24 characters a row): a larger file is refused before it is read, a stream once it has
# given that much.  Blank lines are allowed, but no more of them than samples.
MAX_BYTES = 100 * 1024 * 1024
MAX_BLANK_LINES = MAX_SAMPLES
HEADER = ("x", "y")
DEFAULT_N = 50           # samples of a preset that has more than one


class DatasetError(InputError):
    """A CSV the engine refuses.  ``line`` is the 1-based line of the file the
    problem is on (the header is line 1), or None for the whole file; the
    message starts with ``line N:`` (or ``dataset:``)."""

    def __init__(self, line, message):
        super().__init__("dataset" if line is None else f"line {line}", message)
        self.line = line


# --- reading ---------------------------------------------------------------

# Bytes that are not UTF-8 are decoded with "surrogateescape", as lone
# surrogates (U+DC80 … U+DCFF) that no UTF-8 text contains: the line they are
# on is then refused by number, where a strict decoder would fail on a whole
# block of lines at once.
_UNDECODED = re.compile("[\udc80-\udcff]")
_ENCODING = dict(encoding="utf-8-sig", errors="surrogateescape", newline="")


def _text(stream):
    """``stream`` as text: a binary stream is decoded as UTF-8."""
    if isinstance(stream.read(0), bytes):
        return io.TextIOWrapper(stream, **_ENCODING)
    return stream


_UTF16_BOMS = ("\udcff\udcfe", "\udcfe\udcff")   # FF FE and FE FF, undecoded


def _lines(stream, where):
    """The physical lines of ``stream``, each at most MAX_LINE characters,
    MAX_BYTES characters in all.  ``where[0]`` follows the number of the line
    being read, for messages."""
    taken = 0
    while True:
        where[0] += 1
        try:
            line = stream.readline(MAX_LINE + 1)
        except UnicodeDecodeError:   # a text stream the caller opened strictly
            raise DatasetError(where[0], "not UTF-8 text: is this a CSV file?") from None
        if not line:
            return
        if not line.isascii() and _UNDECODED.search(line):
            if where[0] == 1 and line.startswith(_UTF16_BOMS):
                raise DatasetError(1, "UTF-16 text, not UTF-8: save the file as UTF-8 (CSV)")
            raise DatasetError(where[0], "not UTF-8 text: is this a CSV file?")
        if len(line) > MAX_LINE and not line.endswith(("\n", "\r")):
            raise DatasetError(where[0], f"longer than {MAX_LINE} characters: "
                                         f"not a row of two numbers (is this a CSV file?)")
        if "\x00" in line:
            raise DatasetError(where[0], "binary data (a NUL byte), not text: is this a CSV file?")
        taken += len(line)
        if taken > MAX_BYTES:
            raise DatasetError(where[0], f"more than {_megabytes(MAX_BYTES)} of text: larger than "
                                         f"any dataset of at most {MAX_SAMPLES:,} samples")
        yield line


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


def parse_number(text):
    """The float64 that ``text`` writes, in the one number syntax of the
    project (a dataset's cells, the command line's options): ASCII digits, an
    optional sign, point and exponent (``-1e-3``, ``-.5``).  ValueError whose
    message is why not: "not a number" or "must be finite"."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("must be finite")
    if "_" in text or not text.isascii():
        # Python's float() also reads 1_000 and digits of other scripts; a CSV number is plain.
        raise ValueError("not a number")
    return value


def _number(name, text, line):
    try:
        value = parse_number(text)
    except ValueError as why:
        if str(why) == "must be finite":
            raise DatasetError(line, f"{name} must be finite, got {text.strip()!r}") from None
        raise DatasetError(line, f"{name} is not a number: {text.strip()!r}") from None
    low, high = LIMITS[name]
    if not low <= value <= high:
        raise DatasetError(line, f"{name} = {value:g} is outside the accepted range "
                                 f"[{low:g}, {high:g}]")
    return value


def columns_header(inputs=1, outputs=1):
    """A dataset's header: ``x,y`` for one input and one output, else ``x1,…,xn,y1,…,ym``."""
    if (inputs, outputs) == (1, 1):
        return HEADER
    return tuple(f"x{i}" for i in range(1, inputs + 1)) + tuple(f"y{k}" for k in range(1, outputs + 1))


def _read(stream, inputs=1, outputs=1):
    expected = columns_header(inputs, outputs)
    width = len(expected)
    where = [0]
    reader = csv.reader(_lines(stream, where), strict=True)
    xs, ys = array("d"), array("d")   # 8 bytes a sample, not a float object and a pointer
    blank = 0
    try:
        header = next(reader, None)
        if header is None:
            raise DatasetError(None, "the file is empty: expected the header x,y and one "
                                     "sample a line")
        if header and header[0].startswith("\ufeff"):   # a BOM that a text stream kept
            header[0] = header[0][1:]
        if tuple(h.strip() for h in header) != expected:
            raise DatasetError(1, f"the header must be {','.join(expected)}"
                                  f"{'' if expected == HEADER else f' for {inputs} inputs and {outputs} outputs'}"
                                  f", got {','.join(header)!r}")
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                blank += 1
                if blank > MAX_BLANK_LINES:
                    raise DatasetError(line, f"more than {MAX_BLANK_LINES:,} blank lines: "
                                             f"is this a CSV file?")
                continue
            if len(row) != width:
                raise DatasetError(line, f"expected {width} fields ({','.join(expected)}), got {len(row)}")
            if len(xs) == MAX_SAMPLES * inputs:
                raise DatasetError(line, f"more than {MAX_SAMPLES:,} samples")
            xs.extend(_number("x", text, line) for text in row[:inputs])
            ys.extend(_number("y", text, line) for text in row[inputs:])
    except csv.Error as error:
        raise DatasetError(where[0], f"not a valid CSV row ({error})") from None
    if not xs:
        raise DatasetError(None, "no samples: the file has only its header")
    if (inputs, outputs) == (1, 1):
        return np.array(xs, dtype=float), np.array(ys, dtype=float)
    return np.array(xs, dtype=float).reshape(-1, inputs), np.array(ys, dtype=float).reshape(-1, outputs)


def _check_file(info):
    if stat.S_ISDIR(info.st_mode):
        raise DatasetError(None, "this is a folder, not a CSV file")
    if not stat.S_ISREG(info.st_mode):
        raise DatasetError(None, "not an ordinary file (a pipe or a device): is this a CSV file?")
    if info.st_size > MAX_BYTES:
        raise DatasetError(None, f"the file is {_megabytes(info.st_size)}, larger than any "
                                 f"dataset of at most {MAX_SAMPLES:,} samples "
                                 f"({_megabytes(MAX_BYTES)} at most)")


def _open(path):
    """The CSV file at ``path``, opened for :func:`_read` once it is known to
    be an ordinary file of at most MAX_BYTES (OSError if it cannot be opened)."""
    try:
        info = os.stat(path)
    except ValueError:   # a NUL in the name, which no file's name holds
        raise DatasetError(None, f"there is no file called {os.fsdecode(path)[:200]!r}: "
                                 f"the name holds a NUL character") from None
    _check_file(info)
    # Never blocks: a pipe put in the file's place since is refused by fstat, not waited on.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    stream = open(fd, **_ENCODING)
    try:
        _check_file(os.fstat(fd))
    except BaseException:
        stream.close()
        raise
    return stream


def read_csv(source, inputs=1, outputs=1):
    """``(x, y)`` from a CSV file (a path) or an open stream (text, or binary
    decoded as UTF-8).  For a network of ``inputs`` inputs and ``outputs``
    outputs other than one and one, the header is ``x1,…,xn,y1,…,ym`` and
    x, y are (samples, width) arrays.  The first line must be the header ``x,y`` (spaces
    around a name are allowed; a UTF-8 BOM is skipped); every other non-blank
    line one sample of two finite numbers within LIMITS["x"] and LIMITS["y"];
    at least one and at most MAX_SAMPLES samples.  Anything else raises
    :class:`DatasetError` (an InputError) naming the line and the problem.
    A binary or huge file is refused at its first line that is not UTF-8, holds
    a NUL or is over MAX_LINE characters long, without reading on; a path that
    is a folder, a pipe or a file over MAX_BYTES without reading at all (a
    stream after MAX_BYTES characters); a number only in plain ASCII notation.
    OSError if the file cannot be opened."""
    if isinstance(source, (str, bytes, os.PathLike)):
        with _open(source) as stream:
            return _read(stream, inputs, outputs)
    stream = _text(source)
    try:
        return _read(stream, inputs, outputs)
    finally:
        if stream is not source:
            stream.detach()   # the caller's binary stream stays open


# --- writing ---------------------------------------------------------------

def check_dataset(x, y):
    """Two equal-length, non-empty 1-d float64 arrays (copies) within the
    limits, or InputError; the message names the first bad sample (0-based)."""
    try:
        x, y = np.array(x, dtype=float, ndmin=1), np.array(y, dtype=float, ndmin=1)
    except (TypeError, ValueError, OverflowError):
        raise InputError("dataset", "the samples must be numbers") from None
    if x.ndim != 1 or x.shape != y.shape or len(x) == 0:
        raise InputError("dataset", "x and y must be two lists of the same, non-zero length")
    if len(x) > MAX_SAMPLES:
        raise InputError("dataset", f"more than {MAX_SAMPLES:,} samples")
    for name, values in (("x", x), ("y", y)):
        low, high = LIMITS[name]
        bad = np.flatnonzero(~(np.isfinite(values) & (values >= low) & (values <= high)))
        if len(bad):
            raise InputError(name, f"sample {bad[0]}: {float(values[bad[0]])!r} is not a finite number "
                                   f"in [{low:g}, {high:g}]")
    return x, y


def check_columns(x, y):
    """The samples of a network of any width as two (n, inputs) and
    (n, outputs) float64 arrays (copies): x and y each a list of samples, a
    sample a list of numbers (a 1-d array is one number a sample), the same
    non-zero number of samples, every number finite and within the limits.
    InputError otherwise; the message names the first bad sample (0-based)
    and its column (``x2``)."""
    try:
        x, y = np.array(x, dtype=float, ndmin=1), np.array(y, dtype=float, ndmin=1)
    except (TypeError, ValueError, OverflowError):
        raise InputError("dataset", "the samples must be numbers") from None
    x, y = (a.reshape(-1, 1) if a.ndim == 1 else a for a in (x, y))
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) == 0 or 0 in x.shape + y.shape:
        raise InputError("dataset", "x and y must be two tables of the same, non-zero number of samples")
    if len(x) > MAX_SAMPLES:
        raise InputError("dataset", f"more than {MAX_SAMPLES:,} samples")
    names = columns_header(x.shape[1], y.shape[1])
    for name, values, offset in (("x", x, 0), ("y", y, x.shape[1])):
        low, high = LIMITS[name]
        bad = np.argwhere(~(np.isfinite(values) & (values >= low) & (values <= high)))
        if len(bad):
            row, column = (int(i) for i in bad[0])
            raise InputError(names[offset + column], f"sample {row}: {float(values[row, column])!r} is not a "
                                                     f"finite number in [{low:g}, {high:g}]")
    return x, y


def csv_chunks(stream, x, y):
    """Write the samples to a text stream: the header ``x,y``, then one row a
    sample, floats as ``repr`` (read back exactly by :func:`read_csv`);
    yielding after each block of samples (a window writes a million of them
    between its events).  Refuses bad samples before writing.

    Two-dimensional x or y, (n, inputs) and (n, outputs), are the samples of a
    wider network: the header is then :func:`columns_header` of those widths
    (``x1,x2,y``), read back by ``read_csv(source, inputs, outputs)``."""
    if np.ndim(x) == 2 or np.ndim(y) == 2:
        x, y = check_columns(x, y)
        header = columns_header(x.shape[1], y.shape[1])
        yield from _wide_chunks(stream, np.hstack((x, y)), header)
    else:
        yield from _chunks(stream, *check_dataset(x, y))


def _wide_chunks(stream, rows, header):
    out = csv.writer(stream, lineterminator="\n")
    out.writerow(header)
    for start in range(0, len(rows), _WRITE_BLOCK):
        out.writerows(rows[start:start + _WRITE_BLOCK].tolist())
        yield


def _chunks(stream, x, y):
    out = csv.writer(stream, lineterminator="\n")
    out.writerow(HEADER)
    for start in range(0, len(x), _WRITE_BLOCK):
        # tolist(): Python floats, which the csv module writes as their repr, the
        # shortest text that reads back as the same float64 (and fastest).
        out.writerows(zip(x[start:start + _WRITE_BLOCK].tolist(), y[start:start + _WRITE_BLOCK].tolist()))
        yield


# --- presets ---------------------------------------------------------------

def _count(n, default=DEFAULT_N):
    if n is None:
        return default
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 1 <= n <= MAX_SAMPLES:
        raise InputError("n", f"the number of samples must be a whole number from 1 to "
                              f"{MAX_SAMPLES:,}, got {n!r}")
    return int(n)


def _reference(n=None, seed=None):
    """The reference's worked example: the single sample x = 2, y = 4 (``n`` and
    ``seed`` are ignored: it is always that one sample)."""
    return np.array([DEFAULTS["x"]]), np.array([DEFAULTS["y"]])


def _sine(n=DEFAULT_N, seed=None):
    """y = sin(x) at ``n`` evenly spaced x on [−3, 3] (ends included)."""
    x = np.linspace(-3.0, 3.0, _count(n))
    return x, np.sin(x)


def _square(n=DEFAULT_N, seed=None):
    """y = x² at ``n`` evenly spaced x on [−2, 2] (ends included)."""
    x = np.linspace(-2.0, 2.0, _count(n))
    return x, x * x


def _noisy_line(n=DEFAULT_N, seed=0):
    """y = 0.5·x + 1 + noise at ``n`` evenly spaced x on [−3, 3]; the noise
    is N(0, 0.1²), drawn by ``np.random.default_rng(seed)``: the same seed
    gives the same samples; ``seed=None`` draws fresh noise."""
    x = np.linspace(-3.0, 3.0, _count(n))
    noise = np.random.default_rng(seed).normal(0.0, 0.1, len(x))
    return x, 0.5 * x + 1.0 + noise


PRESETS = {"reference": _reference, "sine": _sine, "square": _square, "noisy line": _noisy_line}

# What each preset can teach, and what to try.  Each hidden layer has one unit and
# every activation is monotone (tanh, sigmoid, ReLU, leaky ReLU, linear): h₁ is
# monotone in x, h₂ in h₁, and ŷ = W₃h₂ + b₃ is affine in h₂, so ŷ(x) only rises or
# only falls (or is flat) whatever the parameters.
_MONOTONE = ("this network cannot fit it: each hidden layer has one unit and each activation "
             "is monotone, so h₁ only rises or only falls with x, h₂ with h₁, and ŷ = W₃h₂ + b₃ "
             "follows h₂: ŷ(x) is monotone for any parameters. ")
PRESET_TEXT = {
    "reference": "The reference's worked example: the one sample x = 2, y = 4. Follow every "
                 "chain-rule term by hand against the reference; one sample can be fitted exactly, "
                 "so the loss falls toward 0 (try α = 0.05; α = 50 diverges).",
    "sine": "y = sin x on [−3, 3], which falls, rises and falls again: " + _MONOTONE +
            "The loss stops at a floor above 0 (the best monotone curve), not at 0. To see a fit, "
            "try the noisy line; to see why, watch ŷ(x) on the data tab.",
    "square": "y = x² on [−2, 2], which falls and then rises: " + _MONOTONE +
              "The best it can do is a compromise, and the loss stops above 0. Try the noisy line "
              "for a curve the network can follow.",
    "noisy line": "y = 0.5·x + 1 plus noise (σ = 0.1) on [−3, 3]: rising, so the network can "
                  "follow it, but the loss cannot reach 0, since the noise is no function of x. "
                  "Try mini-batches (a batch size of 4) and watch the loss wobble.",
}


# --- presets of two inputs ------------------------------------------------------
# Each gives x as (n, 2) and y as (n, 1): the samples of a network of two inputs and
# one output, with y = 0 or 1 (a sigmoid output's range; its 0.5 contour is the
# boundary the network draws between the two).

DEFAULT_N_2D = 100       # samples of a two-input preset that has more than four
XOR_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
CIRCLE_RADIUS = 1.6      # of the circle preset, about the origin: half the area of [−2, 2]²
BLOB_CENTRES = np.array([[-1.0, -1.0], [1.0, 1.0]])
BLOB_SIGMA = 0.5


def _xor(n=None, seed=None):
    """The truth table of XOR: the four corners (0, 0), (0, 1), (1, 0), (1, 1) of
    the unit square, y = x₁ XOR x₂ = 0, 1, 1, 0 (``n`` and ``seed`` are ignored)."""
    x = XOR_CORNERS.copy()
    return x, (x[:, :1] != x[:, 1:]).astype(float)


def _circle(n=None, seed=0):
    """``n`` points drawn uniformly from the square [−2, 2]² by
    ``np.random.default_rng(seed)``; y = 1 inside the circle of radius
    CIRCLE_RADIUS about the origin, 0 outside (on it: outside)."""
    x = np.random.default_rng(seed).uniform(-2.0, 2.0, (_count(n, DEFAULT_N_2D), 2))
    return x, (np.hypot(x[:, 0], x[:, 1]) < CIRCLE_RADIUS).astype(float).reshape(-1, 1)


def _two_blobs(n=None, seed=0):
    """``n`` points in two Gaussian clouds (σ = BLOB_SIGMA in each direction)
    about (−1, −1), y = 0, and (1, 1), y = 1, taken in turn (sample 0 from the
    first, 1 from the second, …: consecutive mini-batches hold both); the
    noise is drawn by ``np.random.default_rng(seed)``."""
    count = _count(n, DEFAULT_N_2D)
    label = np.arange(count) % 2
    x = BLOB_CENTRES[label] + np.random.default_rng(seed).normal(0.0, BLOB_SIGMA, (count, 2))
    return x, label.astype(float).reshape(-1, 1)


PRESETS_2D = {"xor": _xor, "circle": _circle, "two blobs": _two_blobs}
PRESET_TEXT_2D = {
    "xor": "XOR's truth table: the four corners of the unit square, y = 1 where exactly one of "
           "x₁, x₂ is 1. No straight line parts the 1s from the 0s, so a network without a hidden "
           "layer cannot fit it; try 2-4-1 with a sigmoid output (α = 0.5) and watch the 0.5 "
           "contour bend around the corners on the data tab.",
    "circle": f"{DEFAULT_N_2D} points drawn uniformly from the square [−2, 2]², y = 1 inside the circle "
              f"of radius {CIRCLE_RADIUS:g} about the origin and 0 outside. The boundary is closed: a "
              "network needs at least three hidden units to surround the inside: try 2-4-1 with a "
              "sigmoid output and Adam (α = 0.05), then 2-2-1, whose two units draw only two lines "
              "and leave some points on the wrong side.",
    "two blobs": f"Two clouds of {DEFAULT_N_2D // 2} points each, Gaussian noise (σ = {BLOB_SIGMA:g}) about "
                 "(−1, −1) with y = 0 and about (1, 1) with y = 1. A straight line parts them (up to "
                 "the few noisy points that stray across), so even a network without a hidden layer "
                 "learns it: try 2-1 with a sigmoid output, then see how the boundary barely moves "
                 "as hidden units are added.",
}


def presets_for(inputs):
    """The presets of a network of ``inputs`` inputs, by name (empty if none):
    PRESETS for one, PRESETS_2D for two."""
    return {1: PRESETS, 2: PRESETS_2D}.get(inputs, {})


def preset_text(name, inputs=1):
    """What the preset ``name`` of ``inputs`` inputs can teach (PRESET_TEXT, PRESET_TEXT_2D)."""
    return (PRESET_TEXT_2D if inputs == 2 else PRESET_TEXT)[name]


def preset(name, n=None, seed=0, inputs=1):
    """``(x, y)`` of the preset ``name`` with ``n`` samples (None: the
    preset's own number, DEFAULT_N or DEFAULT_N_2D); ``seed`` only matters for
    the noisy line, the circle and the two blobs.  "reference" is always its one
    sample, "xor" its four.  With ``inputs=1`` (a key of PRESETS) x and y are
    1-d; with ``inputs=2`` (a key of PRESETS_2D) x is (n, 2) and y (n, 1)."""
    presets = presets_for(inputs)
    if not presets:
        raise InputError("preset", f"no preset has {inputs!r} inputs: only one or two")
    try:
        make = presets[name]
    except (KeyError, TypeError):
        raise InputError("preset", f"unknown preset {name!r}{' of two inputs' if inputs == 2 else ''}; "
                                   f"choose one of {', '.join(presets)}") from None
    return make(n, seed)


# --- mini-batches -------------------------------------------------------------

def _whole(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise InputError(name, f"must be a whole number of at least {low}, got {value!r}")
    return int(value)


def batch_size_of(n, batch_size):
    """The effective batch size: None or anything >= n is the full batch, n."""
    n = _whole("n", n, 1)
    if batch_size is None:
        return n
    return min(_whole("batch_size", batch_size, 1), n)


def batches_per_epoch(n, batch_size):
    """How many updates one pass over the ``n`` samples takes."""
    return -(-n // batch_size_of(n, batch_size))


@functools.lru_cache(maxsize=4)
def _permutation(n, seed, epoch):
    order = np.random.default_rng((seed, epoch)).permutation(n)
    order.flags.writeable = False   # cached and shared
    return order


@functools.lru_cache(maxsize=4)
def _in_order(n):
    order = np.arange(n)
    order.flags.writeable = False
    return order


def batch_indices(n, batch_size, step, shuffle_seed=None):
    """The indices of the samples update number ``step`` (0-based) uses, of a
    dataset of ``n`` samples: a read-only int array.

    - ``batch_size`` None or >= n: the full batch, 0 … n−1, for every step
      (in file order even with a seed: the mean is then summed exactly as a
      full-batch trainer sums it).
    - Without ``shuffle_seed``: consecutive rows in file order; an epoch's last
      batch is smaller when ``batch_size`` does not divide n; the next epoch
      starts again at row 0.
    - With ``shuffle_seed`` (a whole number >= 0): epoch e visits the samples
      in the order ``np.random.default_rng((shuffle_seed, e)).permutation(n)``,
      cut into consecutive batches the same way.  Each sample is used exactly
      once an epoch, and the indices depend only on (n, batch_size, step,
      shuffle_seed): the same arguments give the same indices, always.
    """
    size = batch_size_of(n, batch_size)
    step = _whole("step", step, 0)
    if size == n:
        return _in_order(n)
    epoch, k = divmod(step, batches_per_epoch(n, size))
    if shuffle_seed is None:
        order = _in_order(n)
    else:
        order = _permutation(n, _whole("shuffle_seed", shuffle_seed, 0), epoch)
    return order[k * size: (k + 1) * size]
