"""The session file: a whole timeline, the shown step and the settings."""

import base64
import io
import json
import os
import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import History, InputError, Trainer, session
from engine.compiled import ROW
from engine.session import FORMAT, VERSION, Session, SessionError
from engine.terms import Spec
from engine.timeline import Timeline
from session_damage import (JSON_VALUES, assert_opens_or_refuses, assert_random_damage_is_refused, both, dropper,
                            paths, setter)
from engine_handcalc import EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y
from tests.session_format1 import format1_document, format1_text, rows_of, set_rows

PREFS = {"speed": 100, "log_scale": False, "every": 0.25, "theme": "dark — ünïcode"}
WHEN = datetime(2025, 1, 31, 12, 30, 5, tzinfo=timezone.utc)
OTHER = {"W1": -0.3, "b1": 0.2, "W2": 1.1, "b2": 0.05, "W3": -0.7, "b3": 0.4}


def _timeline():
    """Three segments: a prefix of a longer trainer, a batch, a scalar run."""
    line = Timeline(Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA))
    line.run(30)
    line.branch(10, Trainer(OTHER, [1.0, -2.0, 0.5], [0.3, 1.5, -0.25], 0.1))
    line.run(20)
    line.branch(25, Trainer({**EXAMPLE, "W3": 2.5}, -1.5, 3.0, 0.05))
    line.run(7)
    return line


def _text(line=None, cursor=12, prefs=PREFS):
    stream = io.StringIO()
    session.dump(stream, _timeline() if line is None else line, cursor, prefs, saved_at=WHEN)
    return stream.getvalue()


def _load(text):
    return session.load(io.StringIO(text))


def _assert_same(original, loaded):
    assert len(loaded) == len(original)
    assert len(loaded.segments) == len(original.segments)
    for a, b in zip(original.segments, loaded.segments):
        assert b.length == a.length == len(b.trainer)
        want, got = a.trainer.history.rows(0, a.length), b.trainer.history.rows()
        assert np.array_equal(got, want) and got.tobytes() == want.tobytes()
        assert a.trainer.x.tobytes() == b.trainer.x.tobytes()
        assert a.trainer.y.tobytes() == b.trainer.y.tobytes()
        assert b.trainer.alpha == a.trainer.alpha
        assert b.trainer.start == {p: float(want[0, i]) for i, p in enumerate(ROW[:6])}


# --- round trip -----------------------------------------------------------

def test_save_and_read_give_back_every_state_bit_for_bit(tmp_path):
    line, path = _timeline(), tmp_path / "lesson.bpe"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    session.save(path, line, 30, PREFS)
    loaded = session.read(path)
    assert isinstance(loaded, Session)
    _assert_same(line, loaded.timeline)
    assert loaded.cursor == 30 and loaded.settings == PREFS
    assert type(loaded.settings["every"]) is float and type(loaded.settings["log_scale"]) is bool
    assert loaded.saved_at.tzinfo is not None and loaded.saved_at.utcoffset() == timedelta(0)
    assert before <= loaded.saved_at <= datetime.now(timezone.utc)
    assert os.listdir(tmp_path) == ["lesson.bpe"]


def test_layout_of_the_file():
    line = _timeline()
    document = json.loads(_text(line))
    # A line of the chain alone is still written as format 2 (format 3 is for other shapes).
    assert document["format"] == FORMAT == "backprop-explorer-session" and document["version"] == 2
    assert VERSION == 3
    assert document["saved_at"] == "2025-01-31T12:30:05+00:00"
    assert document["cursor"] == 12 and document["settings"] == PREFS
    assert set(document) == {"format", "version", "saved_at", "cursor", "settings", "segments"}
    assert [s["length"] for s in document["segments"]] == [10, 15, 8]
    first, batch, last = document["segments"]
    # Each segment's first state, as made, and no other state: the first trainer holds 31.
    assert len(line.segments[0].trainer) == 31
    assert first["start"] == EXAMPLE and batch["start"] == OTHER and last["start"] == {**EXAMPLE, "W3": 2.5}
    assert list(first["start"]) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert not any("rows" in s or "columns" in s for s in document["segments"])
    assert batch["x"] == [1.0, -2.0, 0.5] and batch["y"] == [0.3, 1.5, -0.25] and batch["alpha"] == 0.1
    assert first["x"] == [EXAMPLE_X] and first["alpha"] == EXAMPLE_ALPHA


def test_an_optimizer_state_is_part_of_the_start():
    adam = Spec(optimizer="adam")
    line = Timeline(Trainer(dict(EXAMPLE), [1.0, 2.0], [0.5, -1.0], 0.05, spec=adam))
    line.run(6)
    carried = {"m_W1": -0.25, "v_W1": 0.0625, "t": 6.0}
    line.branch(4, Trainer(OTHER, [1.0, 2.0], [0.5, -1.0], 0.05, spec=adam, state=carried))
    line.run(3)
    document = json.loads(_text(line, cursor=0))
    zeros = {f"{k}_{p}": 0.0 for k in "mv" for p in OTHER}
    assert document["segments"][0]["start"] == {**EXAMPLE, **zeros, "t": 0.0}
    assert document["segments"][1]["start"] == {**OTHER, **zeros, **carried}
    _assert_same(line, _load(json.dumps(document)).timeline)


def test_a_file_of_format_1_still_opens_bit_for_bit():
    line = _timeline()
    loaded = _load(format1_text(line, 12, PREFS, WHEN))
    _assert_same(line, loaded.timeline)
    assert loaded.cursor == 12 and loaded.settings == PREFS and loaded.saved_at == WHEN


def test_saved_at_round_trips_in_utc():
    loaded = _load(_text())
    assert loaded.saved_at == WHEN
    east = datetime(2025, 1, 31, 14, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    stream = io.StringIO()
    session.dump(stream, _timeline(), 0, {}, saved_at=east)
    assert json.loads(stream.getvalue())["saved_at"] == "2025-01-31T12:30:05+00:00"


def test_a_loaded_session_trains_on_exactly_like_the_original():
    line = _timeline()
    loaded = _load(_text(line)).timeline
    line.run(50)
    loaded.run(50)
    for name in ROW:
        assert line.column(name).tobytes() == loaded.column(name).tobytes()
    # Branching in the loaded line works as in any other.
    loaded.branch(3, Trainer(OTHER, 1.0, 1.0, 0.2))
    assert len(loaded) == 4


def test_only_the_newest_segment_keeps_room_to_train_on():
    loaded = _load(_text()).timeline
    *older, newest = loaded.segments
    for segment in older:
        assert segment.trainer.history.nbytes() == segment.length * 8 * len(ROW)
    assert newest.trainer.history.nbytes() == (1 << 16) * 8 * len(ROW)


def test_extreme_but_finite_states_of_a_divergence_round_trip():
    # alpha = 50 on the worked example: the last finite state has L near 1e304.
    line = Timeline(Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 50.0))
    assert line.run(1000) is not None
    assert np.abs(line.trainer.history.rows()).max() > 1e300
    loaded = _load(_text(line, cursor=len(line) - 1))
    _assert_same(line, loaded.timeline)
    assert loaded.timeline.divergence is None  # found again by the next run
    assert loaded.timeline.run(5) is not None and len(loaded.timeline) == len(line)


def test_negative_zero_and_tiny_values_survive():
    line = Timeline(Trainer({**EXAMPLE, "b1": -0.0, "W2": 5e-324}, [-0.0, 1e-300], [2.0, -0.0], 1e-310))
    line.run(3)
    loaded = _load(_text(line, cursor=0)).timeline
    _assert_same(line, loaded)
    assert np.signbit(loaded.segments[0].trainer.x[0])


def test_dump_takes_a_numpy_integer_cursor():
    assert json.loads(_text(cursor=np.int64(7)))["cursor"] == 7


def test_a_session_of_one_state_and_empty_settings():
    line = Timeline(Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA))
    loaded = _load(_text(line, cursor=0, prefs={}))
    _assert_same(line, loaded.timeline)
    assert loaded.cursor == 0 and loaded.settings == {}


_PARAM = st.floats(-3, 3, allow_nan=False)
_OPS = st.lists(st.one_of(
    st.tuples(st.just("run"), st.integers(0, 40)),
    st.tuples(st.just("branch"), st.floats(0, 1), st.fixed_dictionaries({p: _PARAM for p in OTHER}),
              st.lists(st.floats(-5, 5), min_size=1, max_size=4), st.floats(0, 0.5)),
), max_size=6)


@settings(max_examples=25, deadline=None)
@given(ops=_OPS, where=st.floats(0, 1))
def test_any_sequence_of_runs_and_branches_round_trips(ops, where):
    line = Timeline(Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA))
    for op in ops:
        if op[0] == "run":
            line.run(op[1])
        else:
            _, at, params, xs, alpha = op
            line.branch(int(at * (len(line) - 1)), Trainer(params, xs, [v / 2 for v in xs], alpha))
    cursor = int(where * (len(line) - 1))
    loaded = _load(_text(line, cursor=cursor))
    _assert_same(line, loaded.timeline)
    assert loaded.cursor == cursor
    _assert_same(line, _load(format1_text(line, cursor)).timeline)


# --- additions to History and Trainer ---------------------------------------

def test_history_from_rows_copies_across_chunks():
    rows = np.arange(23 * len(ROW), dtype=float).reshape(23, len(ROW))
    history = History.from_rows(rows, chunk_rows=5)
    rows[0, 0] = -1.0
    assert len(history) == 23 and history.rows()[0, 0] == 0.0
    assert np.array_equal(history.rows()[1:], rows[1:]) and history.row(-1)[-1] == rows[-1, -1]
    with pytest.raises(ValueError):
        History.from_rows(np.zeros((3, 4)))


def test_trainer_from_history_is_a_trainer_like_any_other():
    original = Trainer(OTHER, [1.0, 2.0], [0.5, -1.0], 0.1)
    original.run(12)
    rows = original.history.rows()
    rebuilt = Trainer.from_history(rows, [1.0, 2.0], [0.5, -1.0], 0.1)
    assert set(vars(rebuilt)) == set(vars(original))
    assert rebuilt.start == original.start and rebuilt.divergence is None
    assert rebuilt.history.rows().tobytes() == rows.tobytes()
    rows[3, 3] = 99.0   # the trainer keeps its own copy
    assert rebuilt.history.row(3)[3] != 99.0
    original.run(8)
    rebuilt.run(8)
    assert rebuilt.history.rows().tobytes() == original.history.rows().tobytes()


@pytest.mark.parametrize("rows, words", [
    (np.zeros((0, len(ROW))), "at least one row"),
    (np.zeros((2, len(ROW) - 1)), "at least one row"),
    (np.zeros(len(ROW)), "at least one row"),
    (np.full((2, len(ROW)), np.nan), "non-finite"),
    ([["a"] * len(ROW)], "must be numbers"),
    (np.full((1, len(ROW)), 1e308), "W1"),
])
def test_trainer_from_history_refuses_bad_rows(rows, words):
    with pytest.raises(InputError, match=words):
        Trainer.from_history(rows, 1.0, 1.0, 0.1)


# --- bad files ---------------------------------------------------------------

def _document():
    return json.loads(_text())


def _document1():
    return format1_document(_timeline(), 12, PREFS, WHEN)


def _set_row_value(index, state, column, value):
    def change(d):
        rows = rows_of(d["segments"][index])
        rows[state, column] = value
        set_rows(d["segments"][index], rows)
    return change


# Wrong in a file of either format.
BAD_DOCUMENTS = {
    "format missing": (dropper("format"), "not a Backprop Explorer session"),
    "format different": (setter("format", "spreadsheet"), "not a Backprop Explorer session"),
    "format not text": (setter("format", 1), "not a Backprop Explorer session"),
    "version missing": (dropper("version"), 'has no "version"'),
    "version as text": (setter("version", "1"), "version.*whole number, not text"),
    "version as bool": (setter("version", True), "version.*whole number, not true/false"),
    "version as float": (setter("version", 1.0), "version.*whole number"),
    "future version": (setter("version", 4), r"made by a newer version of Backprop Explorer "
                                           r"\(format 4\); this version reads formats 1 to 3"),
    "version zero": (setter("version", 0), "version 0 is unknown"),
    "saved_at missing": (dropper("saved_at"), 'has no "saved_at"'),
    "saved_at number": (setter("saved_at", 5), "saving.*must be text"),
    "saved_at not a date": (setter("saved_at", "yesterday"), "not a date and time"),
    "saved_at overflowing": (setter("saved_at", "9999-12-31T23:59:59-23:59"), "not a date and time"),
    "cursor missing": (dropper("cursor"), 'has no "cursor"'),
    "cursor as text": (setter("cursor", "12"), "shown step.*whole number, not text"),
    "cursor as float": (setter("cursor", 12.0), "shown step.*whole number"),
    "cursor as bool": (setter("cursor", True), "shown step.*true/false"),
    "cursor negative": (setter("cursor", -1), "shown step.*is -1"),
    "cursor past the end": (setter("cursor", 33), "shown step.*is 33.*0 to 32"),
    "settings missing": (dropper("settings"), 'has no "settings"'),
    "settings a list": (setter("settings", [1, 2]), "settings must be an object"),
    "settings nested": (setter("settings", "speed", {"value": 1}), "setting 'speed'.*not an object"),
    "settings list value": (setter("settings", "speed", [1]), "setting 'speed'.*not a list"),
    "settings null value": (setter("settings", "speed", None), "setting 'speed'.*not null"),
    "settings huge int": (setter("settings", "speed", 10 ** 25), "setting 'speed'.*too large"),
    "segments missing": (dropper("segments"), 'has no "segments"'),
    "segments empty": (setter("segments", []), "no segments"),
    "segments an object": (setter("segments", {}), "segments.*must be a list"),
    "segment a number": (setter("segments", 1, 7), "segment 2 must be an object"),
    "segment x missing": (dropper("segments", 0, "x"), 'segment 1 has no "x"'),
    "segment y missing": (dropper("segments", 1, "y"), 'segment 2 has no "y"'),
    "segment alpha missing": (dropper("segments", 2, "alpha"), 'segment 3 has no "alpha"'),
    "segment length missing": (dropper("segments", 0, "length"), 'segment 1 has no "length"'),
    "x as text": (setter("segments", 0, "x", "2.0"), "segment 1: the samples x must be a list"),
    "x sample as text": (setter("segments", 1, "x", 1, "2.0"),
                         "segment 2: sample 2 of x must be a number, not text"),
    "y sample as bool": (setter("segments", 0, "y", 0, False), "sample 1 of y.*true/false"),
    "y sample as null": (setter("segments", 0, "y", 0, None), "sample 1 of y.*null"),
    "x and y lengths differ": (setter("segments", 1, "y", [1.0]), "segment 2: x and y.*same"),
    "x and y empty": (both(setter("segments", 0, "x", []), setter("segments", 0, "y", [])),
                      "segment 1: x and y.*non-zero length"),
    "x out of range": (setter("segments", 0, "x", 0, 1e308), "segment 1: x: 1e\\+308 is outside"),
    "y out of range": (setter("segments", 1, "y", 2, -5000.0), "segment 2: y: -5000 is outside"),
    "alpha as text": (setter("segments", 0, "alpha", "0.01"), "segment 1: the learning rate alpha "
                                                           "must be a number, not text"),
    "alpha as bool": (setter("segments", 0, "alpha", True), "alpha.*true/false"),
    "alpha negative": (setter("segments", 0, "alpha", -0.5), "segment 1: alpha: -0.5 is outside"),
    "alpha huge": (setter("segments", 2, "alpha", 1e308), "segment 3: alpha.*outside"),
    "length as text": (setter("segments", 0, "length", "10"), "length.*whole number, not text"),
    "length as bool": (setter("segments", 0, "length", True), "length.*true/false"),
    "length zero": (setter("segments", 0, "length", 0), "at least 1"),
}

# Wrong only in a file of format 1, which holds every state.
BAD_FORMAT1_DOCUMENTS = {
    "columns missing": (dropper("columns"), 'has no "columns"'),
    "columns reordered": (setter("columns", list(ROW[::-1])), "columns"),
    "columns short": (setter("columns", list(ROW[:-1])), "columns"),
    "segment rows missing": (dropper("segments", 0, "rows"), 'segment 1 has no "rows"'),
    "length differs from rows": (setter("segments", 0, "length", 9), "hold 10 states.*says 9"),
    "rows as number": (setter("segments", 0, "rows", 5), "must be base64 text, not a number"),
    "rows not base64": (setter("segments", 0, "rows", "@@not base64@@"), "not valid base64"),
    "rows non-ascii": (setter("segments", 0, "rows", "ÄÖÜ="), "not valid base64"),
    "rows bad padding": (setter("segments", 0, "rows", "QUJ"), "not valid base64"),
    "rows partial state": (setter("segments", 0, "rows", base64.b64encode(bytes(100)).decode()),
                           "100 bytes, not a whole number of states of 104 bytes"),
    "rows empty": (setter("segments", 0, "rows", ""), "hold 0 states"),
    "rows with nan": (_set_row_value(1, 4, 7, float("nan")),
                      r"segment 2: rows contain a non-finite value \(dL/dW1 of state 4 is nan\)"),
    "rows with inf": (_set_row_value(0, 0, 6, float("-inf")),
                      "segment 1: rows contain a non-finite value.*L of state 0 is -inf"),
    "start out of range": (_set_row_value(2, 0, 0, 1e308), "segment 3: W1: 1e\\+308 is outside"),
}

# Wrong only in a file of format 2, which holds each segment's first state.
BAD_FORMAT2_DOCUMENTS = {
    "start missing": (dropper("segments", 1, "start"), 'segment 2 has no "start"'),
    "start a list": (setter("segments", 0, "start", [0.5] * 6), r'segment 1: its first state \("start"\) '
                                                              r'must be an object.*not a list'),
    "start without W2": (dropper("segments", 2, "start", "W2"), r'segment 3: its first state \("start"\) '
                                                             r'has no "W2"'),
    "start with an unknown entry": (setter("segments", 0, "start", "W4", 1.0), "entry 'W4'.*it keeps W1, b1"),
    "start with an optimizer's state": (setter("segments", 0, "start", "m_W1", 0.0),
                                        "entry 'm_W1' its network does not keep"),
    "start value as text": (setter("segments", 1, "start", "b2", "0.05"),
                            "segment 2: b₂ of its first state must be a number, not text"),
    "start value as null": (setter("segments", 1, "start", "b2", None), "must be a number, not null"),
    "start value as bool": (setter("segments", 1, "start", "b2", True), "must be a number, not true/false"),
    "start out of range": (setter("segments", 2, "start", "W1", 1e308), "segment 3: W1: 1e\\+308 is outside"),
    "start a huge whole number": (setter("segments", 2, "start", "W1", 10 ** 25),
                                  "segment 3: W1: 1e\\+25 is outside"),
    "length far too long": (setter("segments", 0, "length", 10 ** 15),
                            r'segment 1: the "length" is 1,000,000,000,000,000 states'),
    "length past a divergence": (both(setter("segments", 0, "alpha", 50.0), setter("segments", 0, "length", 1000)),
                                 "segment 1: training stops at state"),
}


@pytest.mark.parametrize("name, version", [(n, 1) for n in sorted(BAD_DOCUMENTS)]
                         + [(n, 2) for n in sorted(BAD_DOCUMENTS)]
                         + [(n, 1) for n in sorted(BAD_FORMAT1_DOCUMENTS)]
                         + [(n, 2) for n in sorted(BAD_FORMAT2_DOCUMENTS)])
def test_a_bad_document_is_refused_saying_what_is_wrong(name, version):
    change, words = {**BAD_DOCUMENTS, **(BAD_FORMAT1_DOCUMENTS if version == 1 else BAD_FORMAT2_DOCUMENTS)}[name]
    document = _document1() if version == 1 else _document()
    assert document["version"] == version
    change(document)
    with pytest.raises(SessionError, match=words):
        _load(json.dumps(document))


@pytest.mark.parametrize("text, words", [
    ("", "not valid JSON"),
    ("hello", "not valid JSON"),
    ("[1, 2, 3]", "holds no JSON object"),
    ('"backprop-explorer-session"', "holds no JSON object"),
    ("null", "holds no JSON object"),
    ("{'format': 1}", "not valid JSON"),
    ("[" * 200_000 + "]" * 200_000, "not a Backprop Explorer session"),
    ('{"format": "backprop-explorer-session", "version": ' + "9" * 5000 + "}", "5000 digits"),
])
def test_text_that_is_no_session_is_refused(text, words):
    with pytest.raises(SessionError, match=words):
        _load(text)


@pytest.mark.parametrize("old, new, words", [
    ('"alpha": 0.01', '"alpha": NaN', "NaN"),
    ('"alpha": 0.01', '"alpha": Infinity', "Infinity"),
    ('"alpha": 0.01', '"alpha": -Infinity', "-Infinity"),
    ('"speed": 100', '"speed": NaN', "NaN"),
    ('"x": [\n    2.0', '"x": [\n    1e999', "1e999.*too large"),
    ('"speed": 100', '"speed": -1e400', "too large"),
])
def test_non_finite_literals_are_refused(old, new, words):
    text = _text()
    assert text.count(old) == 1
    with pytest.raises(SessionError, match=words):
        _load(text.replace(old, new))


def test_every_truncation_is_refused():
    text = _text()
    # Every 300th point, and each of the last 30 ("}" and the newline end the text).
    cuts = set(range(0, len(text), max(1, len(text) // 300))) | set(range(len(text) - 30, len(text) - 1))
    for cut in sorted(cuts):
        with pytest.raises(SessionError, match="damaged or cut short|no JSON object"):
            _load(text[:cut])
    _load(text.rstrip())   # the whole text, without its final newline, is fine


def test_garbage_bytes_are_refused(tmp_path):
    rng = random.Random(7)
    path = tmp_path / "garbage.bpe"
    blobs = [bytes(rng.randrange(256) for _ in range(n)) for n in (1, 7, 100, 5000)]
    blobs += [b"\x00" * 1000, b"\xff\xfe{\x00}\x00", b"PK\x03\x04" + bytes(50), b"\x89PNG\r\n\x1a\n"]
    for blob in blobs:
        path.write_bytes(blob)
        with pytest.raises(SessionError, match="not a Backprop Explorer session"):
            session.read(path)


def test_random_damage_raises_only_session_error():
    assert_random_damage_is_refused(_text(_timeline()), random.Random(3), 300)




_SMALL = json.loads(_text(Timeline(Trainer(dict(EXAMPLE), [1.0, 2.0], [3.0, 4.0], 0.1)), cursor=0))
_SMALL_PATHS = [p for p in paths(_SMALL) if p]


@settings(max_examples=150, deadline=None)
@given(where=st.sampled_from(_SMALL_PATHS), value=JSON_VALUES)
def test_any_value_anywhere_opens_or_raises_session_error(where, value):
    assert_opens_or_refuses(_SMALL, where, value)


# --- files ---------------------------------------------------------------

def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.bpe"
    session.save(path, _timeline(), 0, {})
    monkeypatch.setattr(session, "MAX_BYTES", os.path.getsize(path) - 1)
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("the file was opened"))
    with pytest.raises(SessionError, match="too large"):
        session.read(path)


def test_an_oversized_stream_is_refused(monkeypatch):
    text = _text()
    monkeypatch.setattr(session, "MAX_BYTES", len(text) - 1)
    with pytest.raises(SessionError, match="too large"):
        _load(text)


def test_a_session_too_large_to_open_is_not_saved(tmp_path, monkeypatch):
    path = tmp_path / "big.bpe"
    monkeypatch.setattr(session, "MAX_BYTES", len(_text()) // 2)
    with pytest.raises(SessionError, match="too large to save"):
        session.save(path, _timeline(), 0, {})
    assert os.listdir(tmp_path) == []


def test_too_many_segments_are_neither_saved_nor_opened(tmp_path, monkeypatch):
    text = _text()   # three segments
    monkeypatch.setattr(session, "MAX_SEGMENTS", 2)
    with pytest.raises(SessionError, match="3 segments.*at most 2"):
        _load(text)
    with pytest.raises(SessionError, match="3 segments.*at most 2"):
        session.save(tmp_path / "many.bpe", _timeline(), 0, {})
    assert os.listdir(tmp_path) == []
    monkeypatch.setattr(session, "MAX_SEGMENTS", 3)
    assert len(_load(text).timeline.segments) == 3


def test_more_states_than_a_file_may_hold_are_neither_saved_nor_opened(tmp_path, monkeypatch):
    text, old = _text(), format1_text(_timeline(), 12, PREFS, WHEN)   # 33 states
    monkeypatch.setattr(session, "MAX_STATES", 32)
    for each in (text, old):
        with pytest.raises(SessionError, match="the session has 33 states; a session file may hold "
                                               "at most 32"):
            _load(each)
    with pytest.raises(SessionError, match="33 states.*at most 32"):
        session.save(tmp_path / "long.bpe", _timeline(), 0, {})
    assert os.listdir(tmp_path) == []
    monkeypatch.setattr(session, "MAX_STATES", 33)
    assert len(_load(text).timeline) == len(_load(old).timeline) == 33
    session.save(tmp_path / "long.bpe", _timeline(), 0, {})
    assert len(session.read(tmp_path / "long.bpe").timeline) == 33


def test_a_session_of_exactly_max_bytes_opens(tmp_path, monkeypatch):
    path = tmp_path / "edge.bpe"
    size = len(_text())
    monkeypatch.setattr(session, "MAX_BYTES", size)
    session.save(path, _timeline(), 12, PREFS)
    assert os.path.getsize(path) == size and session.read(path).cursor == 12
    monkeypatch.setattr(session, "MAX_BYTES", size - 1)
    with pytest.raises(SessionError, match="too large to save"):
        session.save(path, _timeline(), 12, PREFS)


def test_a_folder_or_a_pipe_is_refused_without_waiting(tmp_path):
    with pytest.raises(SessionError, match="folder"):
        session.read(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        with pytest.raises(SessionError, match="not an ordinary file"):
            session.read(tmp_path / "pipe")


def test_a_missing_file_raises_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        session.read(tmp_path / "nothing.bpe")


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.bpe"
    path.write_bytes(b"\xef\xbb\xbf" + _text().encode("utf-8"))
    assert session.read(path).cursor == 12


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "lesson.bpe"
    session.save(path, _timeline(), 5, PREFS)
    before = path.read_bytes()

    def broken(stream, *args, **kwargs):
        stream.write('{"format": "backprop-explorer-session", "version": 1, "segm')
        yield
        raise RuntimeError("disk full")

    monkeypatch.setattr(session, "dump_chunks", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        session.save(path, _timeline(), 7, {})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["lesson.bpe"]
    monkeypatch.undo()
    with pytest.raises(SessionError):   # refused before writing: a bad cursor
        session.save(path, _timeline(), 10_000, {})
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["lesson.bpe"]
    assert session.read(path).cursor == 5


@pytest.mark.parametrize("cursor, prefs, words", [
    (-1, {}, "shown step"), (33, {}, "shown step"), ("3", {}, "whole number"),
    (True, {}, "whole number"), (0, {"a": {"b": 1}}, "setting 'a'"), (0, {"a": None}, "setting 'a'"),
    (0, {"a": float("nan")}, "setting 'a'.*finite"), (0, {1: 2}, "names must be text"),
    (0, [("a", 1)], "settings must be an object"), (0, {"a": (1, 2)}, "setting 'a'.*not a tuple"),
    (np.int64(40), {}, "shown step.*is 40"),
])
def test_dump_refuses_what_load_would_refuse(cursor, prefs, words):
    stream = io.StringIO()
    with pytest.raises(SessionError, match=words):
        session.dump(stream, _timeline(), cursor, prefs)
    assert stream.getvalue() == ""


def test_a_file_whose_states_would_not_fit_in_memory_is_refused_before_training(monkeypatch):
    """33 states of plain gradient descent, 13 float64 values each, against a machine
    said to have less than twice that memory: refused, and nothing is trained."""
    needed = 33 * 13 * 8
    trained, train = [], session._trained
    monkeypatch.setattr(session, "_trained", lambda *a: trained.append(a) or train(*a))
    monkeypatch.setattr(session, "_physical_memory", lambda: 2 * needed - 1)
    with pytest.raises(SessionError, match=r"would take .* GB of memory for its states; this machine has"):
        _load(_text())
    assert trained == []
    monkeypatch.setattr(session, "_physical_memory", lambda: 2 * needed)
    assert len(_load(_text()).timeline) == 33 and len(trained) == 3
