"""Gradient-plot benchmark: a refresh at 10⁶ states while training appends.

Run with ``python -m benchmarks.gradient`` from the project root.  A shown
``gui.gradient_plot.GradientPlot`` draws a timeline, which then grows by 10
states before each timed refresh.  The reference, timed the same way in the
same run (the two interleaved), is the same plot over a timeline of LIMIT
states, the most it draws without thinning: a refresh that read only the new
states costs about the same at either length.  Targets: ≤ 2 × the reference,
and ≤ 50 ms (under a 20 Hz redraw).
This is a measurement, not a test: the exit status is 0 even when a target is missed.
"""

import statistics
import sys
import time

from benchmarks import gui, table   # gui first: it chooses the offscreen platform before Qt loads

from PySide6.QtTest import QTest  # noqa: E402

from engine import DEFAULTS, PARAMS, Trainer  # noqa: E402
from engine.timeline import Timeline  # noqa: E402
from gui.gradient_plot import LIMIT, GradientPlot  # noqa: E402

STATES = 1_000_000
GROWTH = 10          # states appended before each refresh
REFRESHES = 30       # timed, of each plot
TARGET_RATIO = 2.0
TARGET_MS = 50.0


class _State:
    """What the plot reads of the shown record: the line and the shown step."""

    def __init__(self, timeline):
        self.line, self.step = timeline, len(timeline) // 2


def _shown_plot(states):
    timeline = Timeline(Trainer({p: DEFAULTS[p] for p in PARAMS}, 2.0, 4.0, 0.01))
    timeline.run(states - 1)
    plot = GradientPlot()
    plot.show()
    QTest.qWaitForWindowExposed(plot)
    state = _State(timeline)
    plot.display(state)     # the first draw reads the whole line: not timed
    return plot, state


def _refresh_ms(plot, state):
    state.line.run(GROWTH)
    start = time.perf_counter()
    plot.display(state)
    return (time.perf_counter() - start) * 1e3


@gui._guarded
def measure(states=STATES, refreshes=REFRESHES):
    """Refresh times in ms, of the plot at ``states`` and at LIMIT states."""
    plots = {"ours": _shown_plot(states), "reference": _shown_plot(LIMIT)}
    found = {kind: [] for kind in plots}
    try:
        for _ in range(refreshes):
            for kind, (plot, state) in plots.items():
                found[kind].append(_refresh_ms(plot, state))
    finally:
        for plot, _ in plots.values():
            plot.close()
    return found


def measurements(states=STATES, refreshes=REFRESHES):
    found = measure(states, refreshes)
    ours, reference = statistics.median(found["ours"]), statistics.median(found["reference"])
    name = f"gradient plot, {states:,} states, refresh after {GROWTH} new, median"
    records = [
        gui._record(name, ours, None, "ms", None, TARGET_MS, ours <= TARGET_MS),
        gui._record(f"{name} (reference: {LIMIT:,} states)", ours, reference, "ms", ours / reference,
                    TARGET_RATIO, ours / reference <= TARGET_RATIO),
    ]
    return found, records


def results(**sizes):
    return measurements(**sizes)[1]


def _details(found):
    for kind, times in found.items():
        yield f"{kind} (ms a refresh): median {statistics.median(times):.2f}, worst {max(times):.2f}"


def main():
    return table.report("Backprop Explorer gradient-plot benchmark", measurements, _details)


if __name__ == "__main__":
    sys.exit(main())
