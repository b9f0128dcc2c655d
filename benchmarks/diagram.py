"""python -m benchmarks.diagram: the diagram of a network with 8 units a
layer (2-8-8-1) shows a new state and paints it, at the size the window gives
it at 1280×800 (target: under 8 ms, the median of a full repaint)."""

import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks import table  # noqa: E402

TARGET_MS = 8.0
ROUNDS = 60
PANE = (632, 351)   # the diagram's viewport in the window at 1280×800


def _states():
    """Two 2-8-8-1 states whose every value differs, to show in turn."""
    from gui.state import ExplorerState
    state = ExplorerState()
    state.push(state.layers_command((2, 8, 8, 1)))
    first = state.shown()
    state.push(state.element_command("W2[1,1]", 0.75))
    state.push(state.element_command("b1[3]", -0.5))
    return first, state.shown()


def measure(rounds=ROUNDS):
    """Milliseconds of each repaint: show_state and a synchronous paint of the whole view."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from gui.diagram import NetworkDiagram
    states = _states()
    view = NetworkDiagram()
    view.resize(PANE[0] + 2 * view.frameWidth(), PANE[1] + 2 * view.frameWidth())
    view.show()
    app.processEvents()
    times = []
    for i in range(rounds + 5):
        shown = states[i % 2]
        start = time.perf_counter()
        view.show_state(shown.values, shown.derivation, shown.hidden, shown.spec)
        view.viewport().repaint()
        elapsed = (time.perf_counter() - start) * 1e3
        if i >= 5:   # the first rounds build the scene and warm the caches
            times.append(elapsed)
    view.close()
    return times


def results():
    median = statistics.median(measure())
    return [table.absolute("diagram repaint, 8 units a layer", median, "ms", TARGET_MS)]


def main():
    table.print_absolute(results())


if __name__ == "__main__":
    main()
