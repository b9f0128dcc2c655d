"""The table and the diagram repaint only what changed (cells whose text
changed, items whose look changed): what is on screen after any edit must
still be exactly what a full repaint draws.

On Qt's offscreen platform the screen's grab of a window is its backing
store, the pixels last painted; ``widget.grab()`` paints the widget anew."""

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QImage

from engine import Spec
from engine.init import initialize_network

# Antialiased edges painted in a region's pieces may round a pixel one step
# apart from one painted whole; a stale text or pen differs by far more.
ROUNDING = 2


class Painted(QObject):
    """Counts the Paint events of some widgets."""

    def __init__(self, widgets):
        super().__init__()
        self.count = {w: 0 for w in widgets}
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and watched in self.count:
            self.count[watched] += 1
        return False



def _pixels(image):
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, :image.width(), :3].astype(int)


def assert_screen_is_fresh(window, widget):
    corner = widget.mapTo(window, widget.rect().topLeft())
    screen = window.screen().grabWindow(window.winId()).toImage()
    on_screen = _pixels(screen.copy(corner.x(), corner.y(), widget.width(), widget.height()))
    fresh = _pixels(widget.grab().toImage())
    difference = np.abs(on_screen - fresh).max(axis=2)
    stale = np.argwhere(difference > ROUNDING)
    assert len(stale) == 0, f"{widget.parent().objectName()}: {len(stale)} stale pixels, first at {stale[0]}"


def edit_and_look(window, qtbot, edit, repainted=("table", "diagram")):
    """Make a change, wait until the views it changes (``repainted``) have
    painted, and compare both views with a full repaint."""
    views = {"table": window.table.viewport(), "diagram": window.diagram.viewport()}
    painted = Painted(views.values())
    before = dict(painted.count)
    # A state's checks may come from the worker at any moment: the table takes them at once and
    # paints them at the next pass of the event loop, so the screen is compared after that paint.
    arrivals = []

    def arrived():
        arrivals.append(painted.count[views["table"]])
    window.state.checksReady.connect(arrived)
    edit()
    window.flush()
    qtbot.waitUntil(lambda: all(painted.count[views[name]] > before[views[name]] for name in repainted))
    if window.state.gradient_checks() is None:
        qtbot.waitUntil(lambda: bool(arrivals))
    if arrivals:
        qtbot.waitUntil(lambda: painted.count[views["table"]] > arrivals[-1])
    window.state.checksReady.disconnect(arrived)
    for view in views.values():
        assert_screen_is_fresh(window, view)


@pytest.fixture
def network(window, qtbot):
    """2-8-8-1 on 200 samples: its gradient checks come from the worker, after the edit's paint."""
    layers = (2, 8, 8, 1)
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (200, 2))
    values = dict(initialize_network("xavier", 0, layers), x=x[0], y=x[0, :1], alpha=0.05)
    state = window.state
    state.push(state.network_command(Spec(layers=layers), values, (x, np.sin(x[:, :1]), None, None), "2-8-8-1"))
    window.flush()
    qtbot.waitUntil(lambda: state.gradient_checks() is not None)
    return window


def test_a_network_s_edits_repaint_what_they_change(network, qtbot):
    for value in (0.1, -0.4, 0.1):
        edit_and_look(network, qtbot, lambda v=value: network.set_element("W2[1,2]", v))
    edit_and_look(network, qtbot, lambda: network.set_element("b1[3]", 2.5))
    # The numerical checks come later and fill their cells.
    painted = Painted([network.table.viewport()])
    with qtbot.waitSignal(network.state.checksReady):
        network.set_element("W1[2,1]", 0.9)
    # The table takes the checks as they come and paints them at the next pass of the event loop.
    shown = painted.count[network.table.viewport()]
    qtbot.waitUntil(lambda: painted.count[network.table.viewport()] > shown)
    assert_screen_is_fresh(network, network.table.viewport())


def test_a_network_s_highlights_and_selection_repaint(network, qtbot):
    diagram, model = network.diagram, network.table.derivation_model
    edit_and_look(network, qtbot, lambda: diagram.highlight("W2[3,4]"), ["diagram"])
    edit_and_look(network, qtbot, lambda: diagram.highlight_chain(("L", "yhat[1]", "W3[1,2]", "h2[2]")), ["diagram"])
    edit_and_look(network, qtbot, lambda: diagram.select_element("b2[5]"), ["diagram"])
    edit_and_look(network, qtbot, lambda: network.set_element("b2[5]", -1.5))
    edit_and_look(network, qtbot, lambda: diagram.highlight(""), ["diagram"])
    edit_and_look(network, qtbot, lambda: model.set_highlight("h1[2]"), ["table"])


def test_the_chain_s_edits_repaint_what_they_change(window, qtbot):
    for value in (0.3, -0.2, 0.3):
        edit_and_look(window, qtbot, lambda v=value: window.set_value("W1", v))
    edit_and_look(window, qtbot, lambda: window.table.derivation_model.set_highlight("h2"), ["table"])
