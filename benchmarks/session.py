"""Session-file benchmark: saving is linear in the number of segments.

Run with ``python -m benchmarks.session`` from the project root.  A timeline
of N hand edits (N segments of 2 states each) is saved with
``engine.session.save`` to a temporary file, at N = 20,000 and at 100,000 (the
most a session holds).  Five times the segments must take at most 6× the
time: linear, with room for the noise of a loaded machine (the save used to
split the whole text once per segment: 11 s at 20,000, over 10 minutes at
100,000).  Details: the longest piece between two yields of ``dump_chunks``
(what one slice of the window's autosave may take), opening the 100,000
segments again (every segment trained again from its start), and sessions of
10⁶ states of plain gradient descent and of Adam: the file's size, saving,
opening, and the replay alone (training the states again), which is most of
what opening costs now that a file (format 2) holds each segment's start, not
its states.
This is a measurement, not a test: the exit status is 0 even when a target is missed.
"""

import io
import os
import sys
import tempfile
import time

from benchmarks import table
from engine import DEFAULT_SPEC, DEFAULTS, PARAMS, Spec, Trainer, session
from engine.timeline import Segment, Timeline

SEGMENTS = (20_000, 100_000)
STATES = 1_000_000
TARGET_RATIO = 6.0
ROUNDS = 2          # each save is timed this many times; the best counts


def _record(name, ours, reference, unit, ratio, target, met):
    return {"name": name, "ours": ours, "reference": reference, "unit": unit,
            "ratio": ratio, "target": target, "met": bool(met)}


def _trainer(spec=DEFAULT_SPEC):
    return Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"],
                   spec=spec)


def edited_line(segments):
    """A line of ``segments`` hand edits of 2 states each.  One trainer serves
    them all: a save reads each segment's trainer the same way, shared or not,
    and making 10⁵ trainers would take longer than saving them."""
    trainer = _trainer()
    trainer.run(1)
    line = Timeline(trainer)
    line.restore([Segment(trainer, 2)] * segments)
    return line


def _best(call, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def longest_piece(line):
    """The longest time between two yields of dump_chunks, in s."""
    longest, pieces = 0.0, session.dump_chunks(io.StringIO(), line, 0, {})
    while True:
        start = time.perf_counter()
        try:
            next(pieces)
        except StopIteration:
            return max(longest, time.perf_counter() - start)
        longest = max(longest, time.perf_counter() - start)


def _long_session(folder, states, name, spec=DEFAULT_SPEC):
    line = Timeline(_trainer(spec))
    line.run(states - 1)
    path = os.path.join(folder, f"long-{name}.bpe")
    saving = _best(lambda: session.save(path, line, 0, {}), 1)
    opening = _best(lambda: session.read(path), 1)
    replay = _best(lambda: Timeline(_trainer(spec)).run(states - 1), 1)
    return {"states": states, "name": name, "bytes": os.path.getsize(path), "save": saving,
            "open": opening, "replay": replay}


def measurements(segments=SEGMENTS, states=STATES, rounds=ROUNDS):
    small, large = segments
    found = {}
    with tempfile.TemporaryDirectory() as folder:
        for count in segments:
            line, path = edited_line(count), os.path.join(folder, f"{count}.bpe")
            found[count] = {"save": _best(lambda: session.save(path, line, 0, {}), rounds),
                            "piece": longest_piece(line)}
        found[large]["open"] = _best(lambda: session.read(path), 1)
        found["long"] = [_long_session(folder, states, "plain gradient descent"),
                         _long_session(folder, states, "Adam", Spec(optimizer="adam"))]
    ours, reference = found[large]["save"], found[small]["save"]
    records = [_record(f"session save, {large:,} hand edits (reference: {small:,}); linear: "
                       f"the second at most {TARGET_RATIO:g}× the first",
                       ours, reference, "s", ours / reference, TARGET_RATIO,
                       ours / reference <= TARGET_RATIO)]
    return found, records


def results(**sizes):
    return measurements(**sizes)[1]


def _details(found):
    for count, figures in found.items():
        if count == "long":
            continue
        line = (f"{count:,} segments: save {figures['save']:.2f} s, longest piece between "
                f"two yields {figures['piece'] * 1e3:.1f} ms")
        if "open" in figures:
            line += f", open (every segment trained again) {figures['open']:.2f} s"
        yield line
    for long in found["long"]:
        yield (f"{long['states']:,} states of {long['name']}: a file of {long['bytes']:,} bytes, "
               f"save {long['save'] * 1e3:.2f} ms, open {long['open']:.2f} s, of which the replay "
               f"alone takes {long['replay']:.2f} s")


def main():
    return table.report("Backprop Explorer session-file benchmark", measurements, _details)


if __name__ == "__main__":
    sys.exit(main())
