"""A million steps in the window: it answers throughout, pauses at once, its
memory stays within issue 6's bound, and the whole history exports."""

import gc
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from engine import csvio
from gui.writes import ByPieces
from helpers import answer_save

STEPS = 1_000_000
MEMORY_BOUND_MB = 150


def resident_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status on this system")


def handled_at_once(qtbot, while_true):
    """Post an event and say what ``while_true()`` was when the window handled it."""
    seen = []
    QTimer.singleShot(0, lambda: seen.append(while_true()))
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    return seen[0]


@pytest.mark.timeout(600)
def test_a_million_steps_in_the_window(window, qtbot, tmp_path, monkeypatch):
    state, runner = window.state, window.runner
    window.speed.setCurrentIndex(window.speed.findData(0))   # as fast as possible
    window.flush()
    gc.collect()
    before = resident_mb()

    window.actionRun.trigger()
    qtbot.waitUntil(lambda: len(state.timeline) > 10_000, timeout=60_000)
    # A click while it runs is handled at once, and a pause stops it before the next chunk.
    assert handled_at_once(qtbot, lambda: runner.running)
    window.actionRun.trigger()
    paused = len(state.timeline)
    assert not runner.running
    assert handled_at_once(qtbot, lambda: len(state.timeline)) == paused

    window.actionRun.trigger()
    qtbot.waitUntil(lambda: len(state.timeline) > STEPS, timeout=300_000)
    window.actionRun.trigger()
    window.flush()
    length = len(state.timeline)
    assert state.cursor == length - 1
    # Zoomed out, the curve is an envelope of the losses: every extreme of them is on it.
    loss, shown = state.timeline.column("L"), window.loss_plot.shown_loss()
    assert (shown.min(), shown.max()) == (loss.min(), loss.max())
    assert window.loss_plot.curve.xData[-1] == length - 1 and window.loss_plot.current == length - 1
    del loss, shown
    gc.collect()
    grown = resident_mb() - before
    assert grown <= MEMORY_BOUND_MB, f"{grown:.0f} MB more after {length - 1:,} steps"

    target = tmp_path / "history.csv"
    answer_save(monkeypatch, target)
    window.writes.slices = ByPieces(1)   # as many passes of the event loop as pieces, on any machine
    window.export_history()
    assert handled_at_once(qtbot, window.writes.busy)   # the window answers while it writes
    qtbot.waitUntil(lambda: not window.writes.busy(), timeout=300_000)
    with open(target, "rb") as stream:
        lines = stream.read().splitlines()
    assert len(lines) == length + 1
    last = lines[-1].decode().split(",")
    assert int(last[0]) == length - 1
    expected = state.timeline.rows(length - 1, length)[0]
    order = [state.timeline.columns.index(c if c != "loss" else "L") for c in csvio.HISTORY_COLUMNS[1:]]
    assert [float(v) for v in last[1:]] == expected[order].tolist()
