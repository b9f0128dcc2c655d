"""Plot benchmark: the loss plot at 10⁶ states, redraw time while panning.

Run with ``python -m benchmarks.plot`` from the project root.  The window
trains 10⁶ steps and its loss plot (``gui.loss_plot.LossPlot``, fed by the
window as always) is panned: at each of a few zoom levels, from a 10⁴-state
window to the whole run, the view moves by a twentieth of its width a frame,
and a frame is timed from the range change until the plot's viewport has
repainted (``repaint()``, synchronous).  Target: median ≤ 16 ms (one 60 Hz
frame); the worst frame of each zoom level is printed as a detail.

The reference, panned the same way in the same run (the two interleaved
round by round), is a bare pyqtgraph ``PlotWidget`` of the same size holding
the same 10⁶ losses in one ``PlotDataItem`` with pyqtgraph's own settings
for large data (peak downsampling, clip to view): target ≤ 1.5 × its median.
This is a measurement, not a test: the exit status is 0 even when a target is missed.
"""

import statistics
import sys
import time

from benchmarks import gui, table   # gui first: it chooses the offscreen platform before Qt loads

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

STATES = 1_000_000
SPANS = (10_000, 100_000, 1_000_000)   # states in view: raw losses, envelope clipped, everything
FRAMES = 20                            # pan steps a zoom level, a round
ROUNDS = 5
TARGET_MS = 16.0
TARGET_RATIO = 1.5


class _PaintCounter(QObject):
    """Counts Paint events of a viewport: a frame that painted nothing does not count."""

    def __init__(self, widget):
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def _pan(plot, length, spans=SPANS, frames=FRAMES):
    """Seconds a frame: the x range moved, then the plot repainted."""
    app = QApplication.instance()
    box = plot.getPlotItem().getViewBox()
    painted = _PaintCounter(plot.viewport())
    times = []
    for span in spans:
        low = max(0.0, (length - span) * 0.3)   # well inside the run: curve across the whole view
        box.setXRange(low, low + span, padding=0)
        app.processEvents()
        for _ in range(frames):
            low += span / frames
            before = painted.count
            start = time.perf_counter()
            box.setXRange(low, low + span, padding=0)
            plot.viewport().repaint()
            times.append(time.perf_counter() - start)
            if painted.count == before:
                raise RuntimeError("a pan step did not repaint the plot")
            app.processEvents()   # whatever Qt queued meanwhile: not part of the frame
    box.enableAutoRange()
    app.processEvents()
    return times


def _bare_plot(x, y, size):
    plot = pg.PlotWidget()
    curve = plot.plot(x, y)
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    plot.resize(size)
    plot.show()
    return plot


@gui._guarded
def measure(states=STATES, rounds=ROUNDS, frames=FRAMES):
    """Frame times in ms, ours and the bare plot's, over every round."""
    window = gui._new_window()
    bare = None
    try:
        if window.state.train(states) is not None:
            raise RuntimeError("the benchmark's training diverged")
        window.flush()
        ours = window.loss_plot
        losses = window.state.timeline.column("L")
        bare = _bare_plot(np.arange(len(losses), dtype=float), losses, ours.size())
        QApplication.processEvents()
        found = {"ours": [], "bare": []}
        for i in range(rounds):
            order = (("ours", ours), ("bare", bare))
            for kind, plot in (order if i % 2 == 0 else order[::-1]):
                found[kind] += [t * 1e3 for t in _pan(plot, len(losses), frames=frames)]
    finally:
        if bare is not None:
            bare.close()
        gui._close(window)
    return found


def measurements(states=STATES, rounds=ROUNDS, frames=FRAMES):
    found = measure(states, rounds, frames)
    ours, bare = statistics.median(found["ours"]), statistics.median(found["bare"])
    name = f"loss plot, {states:,} states, redraw while panning, median"
    records = [
        gui._record(name, ours, None, "ms", None, TARGET_MS, ours <= TARGET_MS),
        gui._record(name + " (reference: bare pyqtgraph PlotWidget)", ours, bare, "ms", ours / bare,
                    TARGET_RATIO, ours / bare <= TARGET_RATIO),
    ]
    return found, records


def results(**sizes):
    return measurements(**sizes)[1]


def _details(found, frames=FRAMES):
    for kind in ("ours", "bare"):
        times = np.asarray(found[kind]).reshape(-1, len(SPANS), frames)
        levels = ", ".join(f"{span:,} states in view: median {np.median(times[:, k]):.2f}, "
                           f"worst {times[:, k].max():.2f}" for k, span in enumerate(SPANS))
        yield f"{kind} (ms a frame): {levels}; worst of all {times.max():.2f}"


def main():
    return table.report("Backprop Explorer plot benchmark", measurements, _details)


if __name__ == "__main__":
    sys.exit(main())
