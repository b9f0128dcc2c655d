"""A whole session in one file: where every segment of the line starts, the
shown step and the window's settings, so that a learner can close the app and
carry on later.  The states themselves are not stored: training is
deterministic, and opening a file trains every segment again from its start.

The file is JSON text (format version 2 for a line of the 1-1-1-1 chain
alone, 3 for a line that holds any other network)::

    {"format": "backprop-explorer-session", "version": 2,
     "saved_at": "2025-01-31T12:00:00+00:00",     (ISO 8601, UTC)
     "cursor": 12,                                 (the shown step)
     "settings": {"speed": 100, "log_scale": false},
     "segments": [{"x": [2.0], "y": [4.0], "alpha": 0.01, "length": 8,
                   "spec": {"activation1": "tanh", "activation2": "tanh",
                            "leak": 0.01, "loss": "squared"},
                   "start": {"W1": 0.5, ..., "b3": 0.3}}, ...]}

A segment's ``start`` is its first state: the six parameters, then the
optimizer's state (``v_W1`` … ``t``, :func:`engine.compiled.row_for`) when
its update keeps one, each by name.  Its first state's loss and gradient, and
its other ``length`` - 1 states, are what training from there gives.  Every
number is a JSON number, which Python writes as the shortest text that reads
back as the same float64: a start comes back bit for bit, -0.0 included.
``spec`` is the network the segment trains (:class:`engine.terms.Spec`); a
segment without one has the reference's, and a missing entry of it its
default.  The entries of the update (``optimizer``, ``momentum``, ``rho``,
``beta1``, ``beta2``, ``eps``, ``schedule``, ``decay``, ``decay_every``,
``clip``, ``clip_c``) are written, all of them, only for a segment whose
update is not plain gradient descent at a constant α with the default
numbers.  ``batch_size`` (a whole number >= 1) and ``shuffle_seed`` (a whole
number >= 0) are written only for a segment that trains on mini-batches
(:class:`engine.training.Trainer`); a segment without them trains on the
full batch, in file order.  A file holds at most MAX_STATES states in all.

Format 3 is format 2 with segments of any shape (:class:`engine.terms.Spec`'s
``layers``, written only when not the chain's).  A segment of the chain is
written as in format 2; one of any other network (trained by
:class:`engine.network_training.NetworkTrainer`) holds its samples as a list
of samples, each a list of the input's (x) or the output's (y) width, and
in its ``start`` each parameter and optimizer state as nested lists: a
matrix (W and its m_, v_, s_) as the list of its rows, a vector (b and its
state) as the list of its entries, the counter ``t`` a number::

     {"x": [[0.05, 0.1]], "y": [[0.01, 0.99]], "alpha": 0.5, "length": 3,
      "spec": {"layers": [2, 2, 2], "activation1": "sigmoid",
               "output_activation": "sigmoid", "loss": "half-squared", ...},
      "start": {"W1": [[0.15, 0.2], [0.25, 0.3]], "b1": [0.35, 0.35], ...}}

A line may mix the two.  The version written is 3 only when a line holds a
network other than the chain: a line of the chain alone is written exactly
as format 2 was, so that a version that reads formats 1 and 2 goes on
opening it, while a network's file tells such a version plainly that a
newer one made it (rather than that its spec has an entry "layers" it does
not know, or worse).  A file of format 1 or 2 holding another network than
the chain was never written and is refused.

Format 1 (still read, no longer written) held every state instead of a
``start``: the top-level ``"columns": ["W1", ..., "dL/db3"]``
(engine.compiled.ROW), and in each segment its row's ``columns`` and
``rows``, the ``length`` states as float64, little-endian, row after row (C
order), in base64.  A format-1 segment's first state gives its start, and
every other value of every state must be, bit for bit, what training from
that start gives; the first that is not is named in the line's numbering
("segment 2: state 1,234 (W₁) differs from what training gives: 999.0
instead of 0.7784…").  A format-1 segment without ``columns`` must keep no
optimizer state.

Opening a file checks everything in it: whatever is wrong, :func:`load` and
:func:`read` raise :class:`SessionError` with a message a learner can act on,
never anything else.  A segment of format 2 must train to its ``length``:
a file that says more states than training gives before it diverges was
changed after it was saved ("segment 2: training stops at state 1,234 (…),
but the file says the segment has 2,000 states").
"""

import base64
import binascii
import codecs
import functools
import itertools
import json
import math
import os
import re
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from numbers import Integral

import numpy as np

from . import compiled, elements
from .compiled import ROW, row_for
from .csvio import finish, write_atomically
from .derivation import _mean as derivation_mean
from .derivation import evaluate
from .limits import LIMITS, PARAMS, InputError, check
from .history import History
from .network import row_columns, table
from .network_training import NetworkTrainer
from .terms import (DEFAULT_SPEC, GRADIENTS, UPDATE_FIELDS, Spec, field_text, state_columns,
                    terms_for)
from .timeline import Segment, Timeline
from .training import Trainer

FORMAT = "backprop-explorer-session"
VERSION = 3                        # the newest, written for a line with a network; 1 and 2 are read too
CHAIN_VERSION = 2                  # written for a line of the 1-1-1-1 chain alone, as before format 3
MAX_BYTES = 200 * 1024 * 1024      # larger files are refused before they are read
MAX_SEGMENTS = 100_000             # hand edits; bounds the time a crafted file takes to open
# States in all, in either format: opening holds every one in memory (104 bytes each for
# plain gradient descent, 208 for Adam) and trains them again (about 1.3 s a million), so a
# file claiming more is refused before anything is trained.  The window makes 10^8 states
# in some minutes at the most; a file at the limit opens in minutes and takes 10-20 GB.
MAX_STATES = 100_000_000

_ROW_DTYPE = np.dtype("<f8")
_ROWS_PER_PIECE = 1 << 14            # states of a format-1 file compared at a time
_TEXT_PER_PIECE = 1 << 16            # characters of segments' text made, or written, between two yields
_SETTING_INT = 2 ** 63              # settings' whole numbers stay within 64 bits
_INT_DIGITS = 30                    # longer whole numbers are refused while parsing
_RECORDED = ("L",) + GRADIENTS     # what a state holds besides its start: the engine's to compute
_NOT_SESSION = "this is not a Backprop Explorer session"


class SessionError(ValueError):
    """A session file that cannot be opened, or a session that cannot be
    saved; the message says plainly what is wrong."""


@dataclass(frozen=True)
class Session:
    timeline: Timeline
    cursor: int          # the shown step, 0 <= cursor < len(timeline)
    settings: dict       # str -> str | int | float | bool
    saved_at: datetime   # timezone-aware, UTC


# --- saving -------------------------------------------------------------

def _utc(moment):
    """An aware datetime in UTC; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


def dump(stream, timeline, cursor, settings, saved_at=None):
    """Write the session as JSON text to the text ``stream``.  Raises
    SessionError, writing nothing, for a session that :func:`load` would
    refuse (a bad cursor or setting) or that is larger than MAX_BYTES."""
    finish(dump_chunks(stream, timeline, cursor, settings, saved_at))


def dump_chunks(stream, timeline, cursor, settings, saved_at=None):
    """:func:`dump`, yielding after each segment written (and while the
    segments' text is made), so that a window can write a session with many
    hand edits or large datasets a piece at a time.  ``timeline`` must not
    change until the writing is done (write from :meth:`Timeline.frozen`).
    Nothing is written before the session is known to be one that can be
    saved (else SessionError; :func:`save` leaves the file as it was).

    The work between two yields is bounded whatever the number of segments:
    each segment's text is made on its own and the text is never searched as
    a whole (splitting the whole text once per segment made saving 20,000
    hand edits take 11 s before its first yield, 100,000 over 10 minutes)."""
    if isinstance(cursor, Integral) and not isinstance(cursor, bool):
        cursor = int(cursor)   # a numpy integer too
    _cursor(cursor, len(timeline))
    settings = _settings(settings)
    if len(timeline.segments) > MAX_SEGMENTS:
        raise SessionError(_too_many(len(timeline.segments)))
    if len(timeline) > MAX_STATES:
        raise SessionError(_too_long(len(timeline)))
    when = _utc(datetime.now(timezone.utc) if saved_at is None else saved_at)
    parts, made, networks = [], 0, False
    for number, segment in enumerate(timeline.segments, 1):
        trainer = segment.trainer
        network = isinstance(trainer, NetworkTrainer)
        if network == trainer.spec.is_reference_shape:
            # Opening gives the chain its own Trainer and any other shape a NetworkTrainer,
            # whose floats differ in the last bits: anything else would not reopen as it is.
            trained_by = "a NetworkTrainer" if network else "the chain's Trainer"
            raise SessionError(f"segment {number}: a network of layers {_layers(trainer.spec)} trained "
                               f"by {trained_by}; a session holds the 1-1-1-1 chain as the chain "
                               f"and any other shape as a network, so it cannot be saved")
        networks = networks or network
        if network:   # arrays as nested lists: W row by row, b and x, y's samples as lists
            start = {name: _listed(value, trainer.table.kinds.get(name)) for name, value in
                     {**trainer.params(0), **trainer.optimizer_state(0)}.items()}
        else:
            start = {**trainer.params(0), **trainer.optimizer_state(0)}   # in the row's order
        # The samples (up to millions of numbers) are written by _array_pieces into the text of
        # the rest, where json.dumps put a mark.
        mark = secrets.token_hex(8)
        try:
            if not (np.isfinite(trainer.x).all() and np.isfinite(trainer.y).all()):
                raise ValueError
            text = json.dumps({
                "x": f"x-{mark}", "y": f"y-{mark}", "alpha": float(trainer.alpha),
                "length": int(segment.length), "spec": _spec_entries(trainer.spec),
                **_batching_entries(trainer),
                "start": start,
            }, allow_nan=False, indent=1)
        except ValueError:   # a Trainer never holds one
            raise SessionError(f"segment {number}: its first state holds a non-finite value; "
                               f"the session cannot be saved") from None
        head, rest = text.split(f'"x-{mark}"')
        middle, tail = rest.split(f'"y-{mark}"')
        pieces = []
        for piece in itertools.chain((head,), _array_pieces(trainer.x, 1), (middle,),
                                     _array_pieces(trainer.y, 1), (tail,)):
            # A segment sits two spaces deeper in the document (a JSON text holds no raw
            # newline but between its values).
            pieces.append(piece.replace("\n", "\n  "))
            made += len(piece)
            if made >= _TEXT_PER_PIECE:
                made = 0
                yield
        parts.append(pieces)
    # The text is json.dumps(document, indent=1) of the whole document, made a part at a
    # time: the head around a placeholder for the list of segments, then each segment.
    mark = f'"segments-{secrets.token_hex(8)}"'
    head, tail = json.dumps({
        "format": FORMAT, "version": VERSION if networks else CHAIN_VERSION,
        "saved_at": when.isoformat(timespec="seconds"),
        "cursor": cursor, "settings": settings,
        "segments": mark[1:-1],
    }, allow_nan=False, indent=1).split(mark)
    # ensure_ascii (the default): one character is one byte of the file.
    opening, between, closing = head + "[\n  ", ",\n  ", "\n ]" + tail + "\n"
    size = (len(opening) + len(closing) + len(between) * (len(parts) - 1)
            + sum(len(piece) for pieces in parts for piece in pieces))
    if size > MAX_BYTES:
        raise SessionError(f"this session is too large to save: {_megabytes(size)}, "
                           f"more than the {_megabytes(MAX_BYTES)} a session file may hold")
    stream.write(opening)
    for number, pieces in enumerate(parts, 1):
        if number > 1:
            stream.write(between)
        # A segment's samples may be megabytes of text: written a piece at a time too.
        held, held_size = [], 0
        for piece in pieces:
            held.append(piece)
            held_size += len(piece)
            if held_size >= _TEXT_PER_PIECE:
                stream.write("".join(held))
                held, held_size = [], 0
                yield
        stream.write("".join(held))
        yield
    stream.write(closing)


def _array_pieces(array, depth):
    """json.dumps(array.tolist(), indent=1) as it reads at ``depth`` in a document (its
    entries indented by depth + 1 spaces, its closing bracket by depth), in pieces of a
    bounded number of rows: json's own encoder, in Python once indent is asked for,
    takes 15 s for a million samples of two inputs and one output."""
    if len(array) == 0:
        yield "[]"
        return
    inner, close = " " * (depth + 1), " " * depth
    rows = _TEXT_PER_PIECE // (24 * (array.shape[1] if array.ndim == 2 else 1)) + 1
    yield "[\n"
    for start in range(0, len(array), rows):
        block = array[start:start + rows].tolist()
        if array.ndim == 1:
            text = ",\n".join(inner + repr(v) for v in block)
        else:
            sep = ",\n" + inner + " "
            text = ",\n".join(f"{inner}[\n{inner} " + sep.join(map(repr, row)) + f"\n{inner}]"
                               for row in block)
        yield (",\n" if start else "") + text
    yield "\n" + close + "]"


def _listed(value, kind):
    """A network's parameter or optimizer state as JSON: a matrix (W and its
    state, even of one column) as a list of its rows, a vector (b and its
    state) as the list of its entries, the counter ``t`` as a number."""
    if kind is None:
        return float(value)
    array = np.asarray(value, dtype=float)
    return array.reshape(-1).tolist() if kind.form == elements.VECTOR else array.tolist()


def _layers(spec):
    return "-".join(map(str, spec.layers))


def _batching_entries(trainer):
    """The segment's optional "batch_size" and "shuffle_seed"."""
    entries = {}
    if getattr(trainer, "batch_size", None) is not None:
        entries["batch_size"] = int(trainer.batch_size)
    if getattr(trainer, "shuffle_seed", None) is not None:
        entries["shuffle_seed"] = int(trainer.shuffle_seed)
    return entries


def _batching(segment, where):
    """The segment's (batch_size, shuffle_seed); None for an absent entry."""
    found = []
    for key, what, low in (("batch_size", "the mini-batch size (\"batch_size\")", 1),
                           ("shuffle_seed", "the shuffling seed (\"shuffle_seed\")", 0)):
        if key not in segment:
            found.append(None)
            continue
        value = _whole(segment[key], f"{where}: {what}")
        if value < low:
            raise SessionError(f"{where}: {what} must be at least {low}, not {value}")
        found.append(value)
    return tuple(found)


def _spec_entries(spec):
    """The "spec" object of a segment: the network, and the update's entries
    unless they are all the defaults."""
    entries = spec.as_dict()
    if spec.update_is_default():
        for field in UPDATE_FIELDS:
            del entries[field]
    # The fields that came with wider networks: written only when set, so that a
    # file of the reference's chain reads as before in an older version.
    for field in ("layers", "activation3", "activation4", "output_activation"):
        if entries[field] == getattr(DEFAULT_SPEC, field):
            del entries[field]
    return entries


def _physical_memory():
    """This machine's memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _check_memory(headers, physical=None):
    """Refuse, before anything is trained, a file whose states would take more
    than half of this machine's memory: opening holds every state."""
    needed = sum(h.length * _row_width(h.spec) * 8 for h in headers)
    physical = _physical_memory() if physical is None else physical
    if physical and needed > physical / 2:
        raise SessionError(f"opening it would take {needed / 2 ** 30:,.1f} GB of memory for its states; "
                           f"this machine has {physical / 2 ** 30:,.1f} GB")


def _row_width(spec):
    """The values of one state of ``spec``'s network."""
    return len(row_for(spec) if spec.is_reference_shape else row_columns(spec))


def _too_long(count):
    return (f"the session has {count:,} states; a session file may hold at most "
            f"{MAX_STATES:,}")


def _too_many(count):
    return (f"the session has {count} segments (one for each hand edit); a session file "
            f"may hold at most {MAX_SEGMENTS}")


def save(path, timeline, cursor, settings):
    """Write the session to ``path`` atomically: on any error the file that
    was there is left as it was."""
    write_atomically(path, lambda stream: dump_chunks(stream, timeline, cursor, settings))


# --- opening ------------------------------------------------------------

_CHUNK = 1 << 20   # a file is read this much at a time, and refused at the first piece that is no session
# Control characters that JSON text never holds as they are (in a string they are escaped):
# a file with one is binary, or UTF-16 read as UTF-8.
_BINARY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What a session file says near its beginning (dump writes it first; a JSON tool that sorts the
# keys puts it before "segments" too): a large file without it is not read to its end.
_MAGIC = re.compile(r'"format"\s*:\s*"' + re.escape(FORMAT) + '"')
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)   # the UTF-32 ones begin the same way


def _check_file(info):
    """Refuse what ``os.stat``/``os.fstat`` says is no file a session can be in."""
    if stat.S_ISDIR(info.st_mode):
        raise SessionError("this is a folder, not a session file")
    if not stat.S_ISREG(info.st_mode):
        raise SessionError(f"{_NOT_SESSION}: it is not an ordinary file")
    if info.st_size > MAX_BYTES:
        raise SessionError(f"the file is too large to be a session: {_megabytes(info.st_size)}, "
                           f"more than the {_megabytes(MAX_BYTES)} a session file may hold")


def read(path):
    """The session in the file at ``path``.  Raises SessionError for a file
    that is no session (OSError if it cannot be opened at all).  A folder, a
    pipe or device, a file over MAX_BYTES, and a file whose first piece is
    binary or has no session's "format" are refused without reading on."""
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except ValueError:   # a NUL in the name, which no file's name holds
        raise SessionError(f"there is no file called {path[:200]!r}: the name holds "
                           f"a NUL character") from None
    _check_file(info)
    # Never blocks: a pipe put in the file's place since is refused by fstat, not waited on.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as stream:
        _check_file(os.fstat(stream.fileno()))
        return load(stream)


def load(stream):
    """The session in a stream of JSON (text, or bytes in UTF-8); SessionError
    if it is none.  Read a piece at a time: binary data, UTF-16 and (past the
    first piece) a text without a session's "format" are refused at once."""
    document = _json(_text(stream))
    return _session(document)


def _text(stream):
    decoder, pieces, size, known = None, [], 0, False
    while True:
        try:
            raw = stream.read(_CHUNK)
            piece = raw
            if isinstance(raw, (bytes, bytearray)):
                if decoder is None:
                    if raw.startswith(_UTF16_BOMS):
                        raise SessionError(f"{_NOT_SESSION}: the file is UTF-16 (or UTF-32) text; "
                                           f"a session file is UTF-8")
                    decoder = codecs.getincrementaldecoder("utf-8")()
                piece = decoder.decode(raw, final=not raw)
        except UnicodeDecodeError:
            raise SessionError(f"{_NOT_SESSION}: the file is not text (it is not UTF-8)") from None
        if not raw:
            return "".join(pieces)
        size += len(piece)
        if size > MAX_BYTES:
            raise SessionError(f"the file is too large to be a session: more than the "
                               f"{_megabytes(MAX_BYTES)} a session file may hold")
        if _BINARY.search(piece):
            raise SessionError(f"{_NOT_SESSION}: the file is not text (it holds binary data, "
                               f"not UTF-8 text)")
        if not known and size - len(piece) >= _CHUNK:
            # More than a piece: the beginning must be one of a session before the rest is read.
            _check_beginning("".join(pieces))
            known = True
        pieces.append(piece)


_CUT = 64   # a JSON error this close to where a beginning is cut off may be the cut's


def _check_beginning(head):
    """Refuse a long text by its beginning ``head``: without a session's
    "format", or with a JSON error that no continuation can mend."""
    if not _MAGIC.search(head):
        raise SessionError(f"{_NOT_SESSION}: the file is large, and its beginning does not "
                           f"say \"format\": \"{FORMAT}\"")
    ignore = lambda text: 0   # noqa: E731 -- the syntax only; numbers are checked by the whole parse
    try:
        json.loads(head.lstrip("\ufeff"), parse_constant=ignore, parse_float=ignore, parse_int=ignore)
    except json.JSONDecodeError as error:
        # The cut ends a string early (its error names where the string starts), or stops
        # a number, a literal or an escape within a few characters of the end.
        if error.msg == "Extra data" or not error.msg.startswith("Unterminated string") \
                and error.pos < len(head) - _CUT:
            raise SessionError(f"{_NOT_SESSION}, or the file is damaged or cut short: "
                               f"it is not valid JSON ({error})") from None
    except RecursionError:
        raise SessionError(f"{_NOT_SESSION}: its JSON is nested far too deeply") from None


def _refuse_constant(name):
    raise SessionError(f"the file holds the value {name}, which is not a number a session "
                       f"can contain; the file is damaged")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise SessionError(f"the file holds the number {text[:40]}, which is too large "
                           f"for a floating-point number")
    return value


def _bounded_int(text):
    if len(text.lstrip("-")) > _INT_DIGITS:
        raise SessionError(f"the file holds a whole number of {len(text.lstrip('-'))} digits, "
                           f"far too large for any value of a session")
    return int(text)


def _json(text):
    if text.startswith("\ufeff"):   # a byte-order mark some editors add
        text = text[1:]
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                          parse_int=_bounded_int)
    except SessionError:
        raise
    except RecursionError:
        raise SessionError(f"{_NOT_SESSION}: its JSON is nested far too deeply") from None
    except ValueError as error:   # json.JSONDecodeError among them
        raise SessionError(f"{_NOT_SESSION}, or the file is damaged or cut short: "
                           f"it is not valid JSON ({error})") from None


def _kind(value):
    """How a learner would call a JSON value."""
    if isinstance(value, bool):
        return f"true/false ({json.dumps(value)})"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"text ({value[:40]!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    return f"a {type(value).__name__}"


def _get(mapping, key, where):
    if key not in mapping:
        raise SessionError(f"{where} has no \"{key}\"; the file is damaged or incomplete")
    return mapping[key]


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value, what):
    if not _is_number(value):
        raise SessionError(f"{what} must be a number, not {_kind(value)}")
    return value


def _whole(value, what):
    if not isinstance(value, int) or isinstance(value, bool):
        raise SessionError(f"{what} must be a whole number, not {_kind(value)}")
    return value


def _cursor(cursor, length):
    _whole(cursor, "the shown step (\"cursor\")")
    if not 0 <= cursor < length:
        raise SessionError(f"the shown step (\"cursor\") is {cursor}, but the session holds "
                           f"steps 0 to {length - 1} only")
    return cursor


def _settings(settings):
    if not isinstance(settings, dict):
        raise SessionError(f"the settings must be an object of names and values, "
                           f"not {_kind(settings)}")
    for name, value in settings.items():
        if not isinstance(name, str):
            raise SessionError(f"the setting names must be text, not {_kind(name)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SessionError(f"the setting {name!r} must be a finite number, not {value!r}")
        if isinstance(value, int) and not isinstance(value, bool) \
                and not -_SETTING_INT <= value < _SETTING_INT:
            raise SessionError(f"the setting {name!r} is far too large a number")
        if not isinstance(value, (str, int, float)):   # bool is an int
            raise SessionError(f"the setting {name!r} must be text, a number or true/false, "
                               f"not {_kind(value)}")
    return dict(settings)


def _saved_at(value):
    if not isinstance(value, str):
        raise SessionError(f"the time of saving (\"saved_at\") must be text, not {_kind(value)}")
    try:
        return _utc(datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        raise SessionError(f"the time of saving (\"saved_at\") is not a date and time: "
                           f"{value[:40]!r}") from None


def _samples(segment, name, where):
    values = _get(segment, name, where)
    if not isinstance(values, list):
        raise SessionError(f"{where}: the samples {name} must be a list of numbers, "
                           f"not {_kind(values)}")
    for i, value in enumerate(values):
        _number(value, f"{where}: sample {i + 1} of {name}")
    return values


def _numbers(count):
    return f"{count} number{'s' if count != 1 else ''}"


def _listed_kind(value):
    """How a learner would call a JSON value where a list of a length is wanted."""
    return f"a list of {len(value)}" if isinstance(value, list) else _kind(value)


def _network_samples(segment, name, width, where):
    """A network segment's samples: a list of samples, each a list of the
    input's (x) or the output's (y) width of numbers."""
    values = _get(segment, name, where)
    layer = "input" if name == "x" else "output"
    if not isinstance(values, list):
        raise SessionError(f"{where}: the samples {name} must be a list of samples, each a list of "
                           f"{_numbers(width)}, not {_kind(values)}")
    for i, sample in enumerate(values):
        if not isinstance(sample, list) or len(sample) != width:
            raise SessionError(f"{where}: sample {i + 1} of {name} must be a list of {_numbers(width)} "
                               f"(the {layer} layer's width), not {_listed_kind(sample)}")
        for value in sample:
            _number(value, f"{where}: sample {i + 1} of {name}")
    # In range as the chain's samples are, and refused in the same words.
    low, high = LIMITS[name]
    if not all(low <= value <= high for sample in values for value in sample):
        i, value = next((i, v) for i, sample in enumerate(values) for v in sample if not low <= v <= high)
        try:
            check(name, value)
        except InputError as error:
            raise SessionError(f"{where}: sample {i + 1} of {error}") from None
    return values


def _array(value, kind, what):
    """A network's parameter or optimizer state as the file holds it: a vector
    a list of numbers, a matrix a list of its rows (each a list of numbers)."""
    if kind.form == elements.VECTOR:
        shape = f"a list of {_numbers(kind.rows)}"
        if not isinstance(value, list) or len(value) != kind.rows:
            raise SessionError(f"{what} must be {shape}, not {_listed_kind(value)}")
        for i, entry in enumerate(value):
            if isinstance(entry, list):
                raise SessionError(f"{what} must be {shape}; its entry {i + 1} is {_listed_kind(entry)}")
            _number(entry, what)
        return value
    shape = (f"a {kind.rows}×{kind.cols} matrix: a list of {kind.rows} row{'s' if kind.rows != 1 else ''}, "
             f"each a list of {_numbers(kind.cols)}")
    if not isinstance(value, list) or len(value) != kind.rows:
        raise SessionError(f"{what} must be {shape}, not {_listed_kind(value)}")
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != kind.cols:
            raise SessionError(f"{what} must be {shape}; its row {i + 1} is {_listed_kind(row)}")
        for j, entry in enumerate(row):
            if isinstance(entry, list):
                raise SessionError(f"{what} must be {shape}; its row {i + 1}, entry {j + 1}, "
                                   f"is {_listed_kind(entry)}")
            _number(entry, what)
    return value


def _rows(segment, length, where, row):
    text = _get(segment, "rows", where)
    if not isinstance(text, str):
        raise SessionError(f"{where}: the states (\"rows\") must be base64 text, not {_kind(text)}")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SessionError(f"{where}: the states (\"rows\") are not valid base64 text; "
                           f"the file is damaged") from None
    row_bytes = 8 * len(row)
    if len(data) % row_bytes:
        raise SessionError(f"{where}: the states (\"rows\") are {len(data)} bytes, not a whole "
                           f"number of states of {row_bytes} bytes; the file is damaged")
    count = len(data) // row_bytes
    if count != length:
        raise SessionError(f"{where}: the states (\"rows\") hold {count} states, but the "
                           f"segment's \"length\" says {length}; the file is damaged")
    rows = np.frombuffer(data, dtype=_ROW_DTYPE).reshape(count, len(row))
    finite = np.isfinite(rows)
    if not finite.all():
        state, column = (int(i) for i in np.argwhere(~finite)[0])
        raise SessionError(f"{where}: rows contain a non-finite value ({row[column]} of "
                           f"state {state} is {float(rows[state, column])!r})")
    return rows


def _spec(segment, where):
    """The segment's Spec; the reference's when it has none."""
    if "spec" not in segment:
        return DEFAULT_SPEC
    raw = segment["spec"]
    if not isinstance(raw, dict):
        raise SessionError(f"{where}: the network (\"spec\") must be an object, not {_kind(raw)}")
    for name in raw:
        if name not in Spec.__dataclass_fields__:
            raise SessionError(f"{where}: the network (\"spec\") has an entry {name[:40]!r} this "
                               f"version does not know; it knows {', '.join(Spec.__dataclass_fields__)}")
    try:
        return Spec(**raw)
    except InputError as error:   # the Spec is the one judge of its fields
        raise SessionError(f"{where}: {field_text(error.name)} (\"{error.name}\"): {error.message}") from None


def _columns(segment, spec, where):
    """The segment's row: its "columns" must be those of its spec."""
    row = row_for(spec)
    if "columns" not in segment:
        if row != ROW:
            raise SessionError(f"{where} has no \"columns\", which its optimizer's state needs; "
                               f"the file is damaged or incomplete")
        return row
    if segment["columns"] != list(row):
        raise SessionError(f"{where}: the states' columns (\"columns\") are not those of its "
                           f"network ({', '.join(row)})")
    return row


@dataclass(frozen=True)
class _Header:
    """What a segment of the file says besides its states."""
    where: str
    raw: dict
    x: list
    y: list
    alpha: float
    length: int
    spec: Spec
    batch_size: object
    shuffle_seed: object


def _header(number, raw, version):
    where = f"segment {number}"
    if not isinstance(raw, dict):
        raise SessionError(f"{where} must be an object, not {_kind(raw)}")
    spec = _spec(raw, where)
    if spec.is_reference_shape:
        x, y = _samples(raw, "x", where), _samples(raw, "y", where)
    elif version < VERSION:
        # Older formats hold the 1-1-1-1 chain only: no writer ever put another shape in one.
        raise SessionError(f"{where}: its network has layers {_layers(spec)}, which only files of "
                           f"format {VERSION} hold, but the file says format {version}; "
                           f"the file is damaged")
    else:
        x = _network_samples(raw, "x", spec.layers[0], where)
        y = _network_samples(raw, "y", spec.layers[-1], where)
    if len(x) != len(y) or not x:
        raise SessionError(f"{where}: x and y must be two lists of the same, non-zero length "
                           f"(x has {len(x)} {'values' if spec.is_reference_shape else 'samples'}, "
                           f"y has {len(y)})")
    alpha = _number(_get(raw, "alpha", where), f"{where}: the learning rate alpha")
    length = _whole(_get(raw, "length", where), f"{where}: the \"length\"")
    if length < 1:
        raise SessionError(f"{where}: the \"length\" must be at least 1, not {length}")
    if length > MAX_STATES:   # before anything is made of it: a length may be 10^29
        raise SessionError(f"{where}: the \"length\" is {length:,} states; a session file "
                           f"may hold at most {MAX_STATES:,}")
    return _Header(where, raw, x, y, alpha, length, spec, *_batching(raw, where))


def _segment(header, last, offset):
    """A format-1 segment, whose first state is state ``offset`` of the line:
    its rows are checked against training from their first state."""
    where, length = header.where, header.length
    rows = _rows(header.raw, length, where, _columns(header.raw, header.spec, where))
    try:
        # Only the newest segment trains on: the others' rows fit exactly.
        chunk = {} if last else {"chunk_rows": length}
        # The first state's parameters and optimizer state are the segment's start (a hand
        # edit may make them anything); everything else is what training gives from there.
        trainer = Trainer.from_history(rows[:1], header.x, header.y, header.alpha, spec=header.spec,
                                       batch_size=header.batch_size,
                                       shuffle_seed=header.shuffle_seed, **chunk)
    except InputError as error:
        raise SessionError(f"{where}: {error}") from None
    _replay(trainer, rows, where, offset)
    return Segment(trainer, length)


def _start(header):
    """A format-2 segment's "start": (parameters, optimizer state)."""
    where = header.where
    names = PARAMS + state_columns(terms_for(header.spec))
    start = _start_entries(header, names, "numbers")
    values = {}
    for name in names:
        values[name] = _number(start[name], f"{where}: {field_text(name)} of its first state")
    return ({p: values[p] for p in PARAMS}, {n: values[n] for n in names[len(PARAMS):]})


def _start_entries(header, names, kind):
    """The segment's "start": an object with exactly the entries ``names``."""
    where = header.where
    start = _get(header.raw, "start", where)
    if not isinstance(start, dict):
        raise SessionError(f"{where}: its first state (\"start\") must be an object of names and "
                           f"{kind}, not {_kind(start)}")
    for name in start:
        if name not in names:
            raise SessionError(f"{where}: its first state (\"start\") has an entry {name[:40]!r} "
                               f"its network does not keep; it keeps {', '.join(names)}")
    for name in names:
        if name not in start:
            raise SessionError(f"{where}: its first state (\"start\") has no \"{name}\"; "
                               f"the file is damaged or incomplete")
    return start


def _trained(header, last, offset):
    """A format-2 segment, whose first state is state ``offset`` of the line,
    trained from its start to its length."""
    where, length = header.where, header.length
    params, state = _start(header)
    batching = {"batch_size": header.batch_size, "shuffle_seed": header.shuffle_seed}
    # Only the newest segment trains on: the others' states fit exactly.
    chunk = 1 << 16 if last else length   # the newest: as a Trainer's own history
    try:
        # The start's loss and gradient (zeros here) are filled in below.
        row = [params[p] for p in PARAMS] + [0.0] * len(_RECORDED) + list(state.values())
        trainer = Trainer.from_history([row], header.x, header.y, header.alpha, spec=header.spec,
                                       chunk_rows=chunk, **batching)
        made, finite = _first_recorded(trainer)
        if not finite:   # the Trainer refuses it naming the value, as in the window
            made = Trainer(params, header.x, header.y, header.alpha, spec=header.spec, state=state,
                           **batching).history.row(0)[len(PARAMS): len(ROW)]
    except InputError as error:
        raise SessionError(f"{where}: {error}") from None
    row[len(PARAMS): len(ROW)] = made.tolist()
    trainer.history = History.from_rows([row], chunk, trainer.row)
    return _trained_to(trainer, header, offset)


def _trained_to(trainer, header, offset):
    """The segment of ``trainer`` (holding its start) trained to the header's length."""
    where, length = header.where, header.length
    if length > 1:
        trainer.run(length - 1)
    if len(trainer) < length:
        divergence = trainer.divergence
        raise SessionError(f"{where}: training stops at state {offset + divergence.step:,} "
                           f"({divergence.symbol} becoming {divergence.value!r}), but the file "
                           f"says the segment has {length:,} states, to state "
                           f"{offset + length - 1:,}; the file was changed after it was saved")
    return Segment(trainer, length)


def _network_start(header):
    """A format-3 network segment's "start": (parameters, optimizer state), as
    nested lists (a matrix by its rows, a vector by its entries)."""
    where = header.where
    tab = table(header.spec)
    names = tab.params + tab.state
    start = _start_entries(header, names, "values")
    values = {}
    for name in names:
        what = f"{where}: {field_text(name)} of its first state"
        values[name] = _number(start[name], what) if name == "t" else \
            _array(start[name], tab.kinds[name], what)
    for name in tab.params:   # in range as the chain's parameters are (all W1's), the element named
        kind = tab.kinds[name]
        for (i, j), value in zip(elements.indices(kind), np.ravel(values[name]).tolist()):
            try:
                check("W1", value)
            except InputError as error:
                raise SessionError(f"{where}: {elements.element_id(name, kind, i, j)} of its first "
                                   f"state: {error.message}") from None
    return {p: values[p] for p in tab.params}, {n: values[n] for n in tab.state}


def _network_trained(header, last, offset):
    """A format-3 segment of a network other than the chain, whose first state
    is state ``offset`` of the line, trained from its start to its length."""
    params, state = _network_start(header)
    try:   # the NetworkTrainer judges the values: their ranges, finite, no negative squares
        trainer = NetworkTrainer(header.spec, params, header.x, header.y, header.alpha, state=state,
                                 batch_size=header.batch_size, shuffle_seed=header.shuffle_seed)
    except InputError as error:
        raise SessionError(f"{header.where}: {error}") from None
    if not last:   # only the newest segment trains on: the others' states fit exactly
        trainer.history = History.from_rows(trainer.history.rows(0, 1), header.length, trainer.row)
    return _trained_to(trainer, header, offset)


# Format 1 stored every state, and opening replays every one rather than trusting them: the
# engine is deterministic, so a state that differs bit for bit was changed after it was
# saved.  Format 2 stores only what training cannot give again.  Measured (2-core machine
# under other load; plain gradient descent, one sample, 10^6 states): format 1, 139 MB,
# saved in 0.2-0.7 s and opened in 2.8-3.5 s, of which the replay was 1.0-1.5 s; 10^6
# states of Adam (26 values a state, 277 MB) could not be saved at all, above MAX_BYTES.
# Format 2: see benchmarks/session.py and the README for the figures.


def _replay(trainer, rows, where, offset):
    """Train ``trainer`` (holding the file's first state ``rows[0]``) to
    ``len(rows)`` states, refusing the file at the first value that differs
    from the file's ``rows``."""
    _check_first(trainer, rows[0], where, offset)
    if len(rows) > 1:
        trainer.run(len(rows) - 1)
    for start in range(0, len(trainer), _ROWS_PER_PIECE):
        stop = min(start + _ROWS_PER_PIECE, len(trainer))
        made = trainer.history.rows(start, stop).astype(_ROW_DTYPE, copy=False)
        differ = made.view("<u8") != rows[start:stop].view("<u8")   # bit for bit: -0.0 is not 0.0
        if differ.any():
            state, column = (int(i) for i in np.argwhere(differ)[0])
            raise _differs(where, offset + start + state, trainer.row[column],
                           rows[start + state, column], made[state, column])
    if len(trainer) < len(rows):
        divergence = trainer.divergence
        raise SessionError(f"{where}: state {offset + len(trainer):,} differs from what training "
                           f"gives: training stops before it, {divergence.symbol} becoming "
                           f"{divergence.value!r}; the file was changed after it was saved")


def _check_first(trainer, row, where, offset):
    """The loss and gradient of the segment's first state, as the trainer made
    with its start records them (on the batch of the first update)."""
    made, _ = _first_recorded(trainer)
    stored = np.ascontiguousarray(row[len(PARAMS): len(ROW)])
    if made.tobytes() != stored.tobytes():
        column = int(np.argmax(made.view("<u8") != stored.view("<u8")))
        raise _differs(where, offset, _RECORDED[column], stored[column], made[column])


def _first_recorded(trainer):
    """(the loss and gradient a Trainer made with the start of ``trainer``
    records with its first state, whether every value on the way is finite),
    without the Trainer's derivation, whose texts cost 0.7 ms a segment."""
    batch = trainer.batch(0)
    if len(batch) == len(trainer.x):
        x, y = trainer.x, trainer.y
    else:
        x, y = trainer.x[batch], trainer.y[batch]
    values = evaluate(trainer.start, x, y, trainer.alpha, trainer.spec, trainer.start_state)
    # As Derivation gives a term's value: a batch's per-sample values by their mean.
    made = np.array([derivation_mean(v) if isinstance(v, np.ndarray) and v.ndim else v
                     for v in map(values.__getitem__, _recorded_vars(trainer.terms))], dtype=float)
    outputs = [values[name] for name in compiled.outputs(trainer.terms)]
    try:   # one array of floats: a test per value took most of opening 10^5 hand edits
        finite = bool(np.isfinite(np.array(outputs, dtype=float)).all())
    except ValueError:   # a batch's per-sample arrays beside single values
        finite = all(np.isfinite(v).all() for v in outputs)
    return made, finite


@functools.lru_cache(maxsize=None)
def _recorded_vars(terms):
    by_id = {t.id: t.var for t in terms}
    return tuple(by_id[name] for name in _RECORDED)


def _differs(where, state, name, stored, made):
    return SessionError(f"{where}: state {state:,} ({field_text(name)}) differs from what training "
                        f"gives: {float(stored)!r} instead of {float(made)!r}; the file was changed "
                        f"after it was saved")


def _session(document):
    if not isinstance(document, dict):
        raise SessionError(f"{_NOT_SESSION}: the file holds no JSON object")
    if document.get("format") != FORMAT:
        raise SessionError(f"{_NOT_SESSION}: its \"format\" is not \"{FORMAT}\"")
    where = "the session"
    version = _whole(_get(document, "version", where), "the format version (\"version\")")
    if version > VERSION:
        raise SessionError(f"this session was made by a newer version of Backprop Explorer "
                           f"(format {version}); this version reads formats 1 to {VERSION}")
    if version < 1:
        raise SessionError(f"the session's format version {version} is unknown; "
                           f"this version reads formats 1 to {VERSION}")
    if version == 1:
        columns = _get(document, "columns", where)
        if columns != list(ROW):
            raise SessionError(f"the states' columns (\"columns\") are not those this version "
                               f"uses ({', '.join(ROW)})")
    saved_at = _saved_at(_get(document, "saved_at", where))
    cursor = _whole(_get(document, "cursor", where), "the shown step (\"cursor\")")
    settings = _settings(_get(document, "settings", where))
    raw = _get(document, "segments", where)
    if not isinstance(raw, list):
        raise SessionError(f"the segments (\"segments\") must be a list, not {_kind(raw)}")
    if not raw:
        raise SessionError("the session holds no segments, so no states")
    if len(raw) > MAX_SEGMENTS:
        raise SessionError(_too_many(len(raw)))
    headers = [_header(number, segment, version) for number, segment in enumerate(raw, 1)]
    total = sum(header.length for header in headers)
    if total > MAX_STATES:   # refused before anything is trained
        raise SessionError(_too_long(total))
    _check_memory(headers)
    segments, offset = [], 0
    for number, header in enumerate(headers, 1):
        make = _segment if version == 1 else _trained if header.spec.is_reference_shape else _network_trained
        segments.append(make(header, number == len(headers), offset))
        offset += header.length
    timeline = Timeline(segments[0].trainer)
    timeline.restore(segments)
    return Session(timeline, _cursor(cursor, len(timeline)), settings, saved_at)
