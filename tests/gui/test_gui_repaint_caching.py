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


# --- a wider network's lines, kept in the view's background cache --------------
# widget.grab() paints from that same cache, so a stale line would be in both
# pictures above; here the fresh picture is drawn with the cache emptied first.
# A line drawn again in pieces (its boxes, clipped) rounds its antialiased
# pixels a few steps apart from one drawn whole; a stale line, pen or dash
# differs by a colour's worth, far more.
PIECES_ROUNDING = 8

def assert_lines_are_fresh(window):
    diagram = window.diagram
    port = diagram.viewport()
    corner = port.mapTo(window, port.rect().topLeft())
    screen = window.screen().grabWindow(window.winId()).toImage()
    on_screen = _pixels(screen.copy(corner.x(), corner.y(), port.width(), port.height()))
    diagram.resetCachedContent()
    fresh = _pixels(port.grab().toImage())
    stale = np.argwhere(np.abs(on_screen - fresh).max(axis=2) > PIECES_ROUNDING)
    assert len(stale) == 0, f"{len(stale)} stale pixels in the diagram, first at {stale[0]}"


def test_a_network_s_lines_are_drawn_again_where_they_change(network, qtbot):
    diagram, window = network.diagram, network
    changes = [
        lambda: window.set_element("W2[1,2]", -0.8),    # dashed now, and thinner
        lambda: window.set_element("W2[1,2]", 2.5),     # solid and thicker
        lambda: window.set_element("W1[3,1]", -3.0),
        window.undo,
        window.undo,
        lambda: window.set_element("W3[1,4]", 0.0),
    ]
    for change in changes:
        edit_and_look(window, qtbot, change)
        assert_lines_are_fresh(window)
    for look in (lambda: diagram.highlight("W2[3,4]"),            # lit: amber, wider, above the rest
                 lambda: diagram.highlight("dL/dW1"),             # a whole layer
                 lambda: diagram.highlight_chain(("L", "yhat[1]", "W3[1,2]", "h2[2]", "W2[2,5]", "h1[5]")),
                 lambda: diagram.select_element("W2[2,5]"),
                 lambda: diagram.highlight_chain(()),
                 lambda: diagram.highlight(""),
                 lambda: diagram.select_element("")):
        edit_and_look(window, qtbot, look, ["diagram"])
        assert_lines_are_fresh(window)


def test_a_network_s_lines_follow_a_new_theme_and_scale(network, qtbot):
    from gui.theme import theme
    diagram = network.diagram
    diagram.highlight_chain(("W2[1,2]", "h2[1]"))
    try:
        for change in (lambda: theme().set_high_contrast(True), lambda: diagram.set_text_scale(1.5),
                       lambda: diagram.set_text_scale(1.0), lambda: theme().set_high_contrast(False)):
            edit_and_look(network, qtbot, change, ["diagram"])
            assert_lines_are_fresh(network)
    finally:
        theme().set_high_contrast(False)


def test_the_chain_shown_after_a_network_has_none_of_its_lines(network, qtbot):
    network.set_element("W2[1,2]", -0.8)
    network.flush()
    edit_and_look(network, qtbot, network.undo)
    edit_and_look(network, qtbot, network.undo)   # back to the chain
    assert network.diagram.network is None
    assert_lines_are_fresh(network)
