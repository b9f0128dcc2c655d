"""Issue 11: saving a session is linear in its size, and each piece that
dump_chunks does between two yields (one slice of the window's autosave) is
bounded, however many segments the session has.  The work is counted as the
memory a piece allocates (tracemalloc), never timed."""

import io
import json
import math
import tracemalloc

import numpy as np

from benchmarks import session as session_benchmark
from engine import DEFAULTS, PARAMS, Trainer, session
from engine.terms import Spec
from engine.timeline import Segment, Timeline

START = {p: DEFAULTS[p] for p in PARAMS}
MB = 2 ** 20


def _edited_line(segments):
    """``segments`` hand edits of 2 states each, on a dataset of 8 samples."""
    trainer = Trainer(START, np.linspace(-1, 1, 8), np.linspace(0, 2, 8), 0.01)
    trainer.run(1)
    line = Timeline(trainer)
    line.restore([Segment(trainer, 2)] * segments)
    return line


def _largest_piece(line):
    """The most memory dump_chunks allocates between two yields (above what
    it holds when the piece begins), and the number of pieces."""
    pieces = session.dump_chunks(io.StringIO(), line, 0, {})
    largest, count = 0, 0
    tracemalloc.start()
    try:
        while True:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            try:
                next(pieces)
            except StopIteration:
                return max(largest, tracemalloc.get_traced_memory()[1] - before), count
            largest = max(largest, tracemalloc.get_traced_memory()[1] - before)
            count += 1
    finally:
        tracemalloc.stop()


def test_the_largest_piece_does_not_grow_with_the_number_of_segments():
    few, _ = _largest_piece(_edited_line(2_000))
    many, pieces = _largest_piece(_edited_line(20_000))
    # The whole text of 20,000 segments' samples is about 6 MB; the quadratic save made it,
    # and a copy per segment, before its first yield.
    assert pieces >= 20_000
    assert many < 1 * MB
    assert many < 2 * few


def _reference_text(line, cursor, settings, when):
    """The file as one json.dumps of the whole document."""
    segments = []
    for segment in line.segments:
        trainer = segment.trainer
        entries = {"x": trainer.x.tolist(), "y": trainer.y.tolist(), "alpha": trainer.alpha,
                   "length": segment.length, "spec": trainer.spec.as_dict()}
        # The chain's network, and the update only when it is not plain gradient descent.
        kept = ("activation1", "activation2", "leak", "loss")
        if not trainer.spec.update_is_default():
            kept += ("optimizer", "momentum", "rho", "beta1", "beta2", "eps", "schedule", "decay",
                     "decay_every", "clip", "clip_c")
        entries["spec"] = {k: v for k, v in entries["spec"].items() if k in kept}
        if trainer.batch_size is not None:
            entries["batch_size"] = trainer.batch_size
        if trainer.shuffle_seed is not None:
            entries["shuffle_seed"] = trainer.shuffle_seed
        entries["start"] = {**trainer.params(0), **trainer.optimizer_state(0)}
        segments.append(entries)
    document = {"format": "backprop-explorer-session", "version": 2, "saved_at": when.isoformat(),
                "cursor": cursor, "settings": settings, "segments": segments}
    return json.dumps(document, indent=1) + "\n"


def test_the_text_is_that_of_the_whole_document_dumped_at_once():
    from datetime import datetime, timezone
    line = Timeline(Trainer(START, [1.0, -2.0, 0.5, 3.0], [0.3, 1.5, -0.25, 2.0], 0.05,
                            spec=Spec(optimizer="adam"), batch_size=3, shuffle_seed=1))
    line.run(20_000)
    line.branch(7, Trainer({**START, "W2": -0.5}, 2.0, 4.0, 0.01))
    line.run(3)
    line.branch(9, Trainer(START, 2.0, 4.0, 0.01, spec=Spec(activation1="relu", loss="half-squared")))
    line.run(2)
    when = datetime(2025, 3, 1, 9, 15, tzinfo=timezone.utc)
    stream = io.StringIO()
    session.dump(stream, line, 5, {"speed": 10, "name": "ü \"q\""}, saved_at=when)
    assert stream.getvalue() == _reference_text(line, 5, {"speed": 10, "name": "ü \"q\""}, when)


def test_the_benchmark_gives_a_well_formed_figure():
    found, records = session_benchmark.measurements(segments=(200, 1_000), states=2_000, rounds=1)
    (record,) = records
    assert record["unit"] == "s" and record["target"] == 6.0
    assert math.isclose(record["ratio"], record["ours"] / record["reference"])
    assert record["met"] is (record["ratio"] <= 6.0)
    assert [long["name"] for long in found["long"]] == ["plain gradient descent", "Adam"]
    assert all(long["states"] == 2_000 and long["bytes"] > 0 and long["open"] > 0 for long in found["long"])
    assert all(found[n]["save"] > 0 and found[n]["piece"] > 0 for n in (200, 1_000))
