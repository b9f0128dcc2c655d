"""Light and dark themes (issue 16): every text the window draws is readable
(WCAG AA) on what it is drawn on, read from the models and scene items
themselves, in both themes, in presentation mode's high contrast, and after
the desktop's palette changes while the window is open."""

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsSimpleTextItem

from gui.diagram import Label
from gui.diagram_layers import UnitLabel
from gui.preferences import Preferences
from gui.theme import dark_palette, light_palette, theme
from helpers import new_window

TEXT, LINES = 4.5, 3.0


# --- WCAG 2.x, written here from the recommendation, not read from the theme -----
def luminance(colour):
    def linear(channel):
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(colour.red()) + 0.7152 * linear(colour.green()) + 0.0722 * linear(colour.blue())


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def over(top, below):
    """``top`` (maybe translucent) composited over the opaque ``below``."""
    a = top.alphaF()
    return QColor(*(round(a * t + (1 - a) * b) for t, b in
                    ((top.red(), below.red()), (top.green(), below.green()), (top.blue(), below.blue()))))


def test_the_formula_matches_known_pairs():
    assert contrast(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast(QColor(118, 118, 118), QColor("white")) == pytest.approx(4.54, abs=0.01)   # the AA grey
    assert contrast(QColor("white"), QColor("white")) == 1.0


# --- fixtures ----------------------------------------------------------------------
@pytest.fixture(autouse=True)
def desktop_back(qapp):
    """Each test leaves the application's palette, style and theme as it found them."""
    app = qapp
    explicit = QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_SetPalette)
    palette, style = QPalette(app.palette()), app.style().name()
    yield
    theme().set_high_contrast(False)
    theme().set_mode("system")
    if app.style().name() != style:
        app.setStyle(style)
    app.setPalette(palette if explicit else QPalette())


@pytest.fixture(params=["light", "dark"])
def themed(request, qtbot):
    """The window with View → Theme forced light or dark."""
    window = new_window(qtbot)
    window.findChild(type(window.actionLogScale), f"actionTheme{request.param.title()}").trigger()
    yield window, request.param
    window.runner.stop()


# --- what the window draws, pair by pair ------------------------------------------
def table_pairs(window):
    """(what, text colour, background) of every cell of the derivation table."""
    model, palette = window.table.derivation_model, window.table.palette()
    pairs = []
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            fg = index.data(Qt.ItemDataRole.ForegroundRole)
            bg = index.data(Qt.ItemDataRole.BackgroundRole)
            fg = fg.color() if fg is not None else palette.color(QPalette.ColorRole.Text)
            bg = bg.color() if bg is not None else palette.color(QPalette.ColorRole.Base)
            pairs.append((f"row {row} {model.index(row, 0).data()!r} column {column}", fg, bg))
    return pairs


def lit_table_pairs(window):
    """The table's pairs plain, with an element's rows highlighted, and with a gradient's chain lit."""
    model = window.table.derivation_model
    pairs = table_pairs(window)
    rows = model.term_rows()
    element = model.diagram_id(rows[len(rows) // 2])
    model.set_highlight(element)
    pairs += table_pairs(window)
    model.set_highlight("")
    gradient = next(model.term(r).id for r in rows if model.has_chain(model.term(r).id))
    model.set_chain(gradient)
    pairs += table_pairs(window)
    model.set_chain("")
    return pairs


def diagram_pairs(window):
    """(what, text colour, what it is drawn on) of every text of the diagram, over the
    scene and over its label's backing where it has one (a name also over its node)."""
    diagram = window.diagram
    scene = diagram.scene()
    background = scene.backgroundBrush().color()
    pairs = []
    for item in scene.items():
        if not item.isVisible():
            continue
        if isinstance(item, Label) and item.text():
            colours, backing = [item.brush().color()], item.backing.brush().color()
        elif isinstance(item, UnitLabel) and item.texts():
            colours, backing = item.colours(), item._backing.color()
        elif isinstance(item, QGraphicsSimpleTextItem) and item.text():
            colours, backing = [item.brush().color()], None
            node = item.parentItem() or next((shape for shape in diagram.shapes.values()
                                             if shape.data(0) == item.data(0)), None)
            if node is not None:   # a name inside its circle or box
                pairs.append((f"{item.text()!r} in its node", colours[0], over(node.brush().color(), background)))
        else:
            continue
        for colour in colours:
            pairs.append((f"{item.data(0)!r} on the scene", colour, background))
            if backing is not None:
                pairs.append((f"{item.data(0)!r} on its backing", colour, over(backing, background)))
    return pairs


def edge_pens(window):
    """(value, pen) of each weight's line shown."""
    diagram = window.diagram
    if diagram.network is None:
        return [(window.shown().values[name], diagram.shapes[name].pen()) for name in ("W1", "W2", "W3")]
    network = diagram.network
    return [(network.parameter(edge), line.pen()) for edge, line in network.edges.items()]


def assert_readable(window):
    scene = window.diagram.scene().backgroundBrush().color()
    failures = [(what, round(contrast(fg, bg), 2)) for what, fg, bg in lit_table_pairs(window) + diagram_pairs(window)
                if contrast(fg, bg) < TEXT]
    assert not failures
    assert len(diagram_pairs(window)) > 20
    for value, pen in edge_pens(window):
        assert contrast(pen.color(), scene) >= LINES, value
        # The sign not by colour alone: a negative weight's line is dashed, a positive one solid.
        assert (pen.style() != Qt.PenStyle.SolidLine) == (value < 0), value


def plot_backgrounds(window):
    views = [window.loss_plot, window.gradient_plot, window.landscape.plot, window.data_plot.plot]
    return [view.backgroundBrush().color() for view in views]


def is_dark(colour):
    return luminance(colour) < 0.1


# --- the tests -------------------------------------------------------------------
def test_the_chain_is_readable_in_either_theme(themed):
    window, mode = themed
    window.set_value("W2", -0.8)   # a negative weight: drawn dashed
    window.flush()
    assert window.diagram.scene().backgroundBrush().color() == theme().colours.scene
    assert is_dark(window.diagram.scene().backgroundBrush().color()) == (mode == "dark")
    assert is_dark(window.table.palette().color(QPalette.ColorRole.Base)) == (mode == "dark")
    assert_readable(window)


def test_mazurs_network_is_readable_in_either_theme(themed, qtbot):
    window, mode = themed
    window.choose_example("mazur")
    window.set_element("W1[1,2]", -0.4)   # a negative weight: drawn dashed
    model = window.table.derivation_model
    vector = next(row for row in range(model.rowCount()) if model.is_expandable(row))
    model.set_expanded(model.term(vector).id)
    assert any(model.parent_of(model.term(r).id) for r in model.term_rows())   # element rows shown
    qtbot.waitUntil(lambda: any(value < 0 for value, _ in edge_pens(window)))
    assert window.diagram.network.backgroundBrush().color() == theme().colours.scene
    assert_readable(window)


def test_the_plots_follow_the_theme(themed):
    window, mode = themed
    for background in plot_backgrounds(window):
        assert is_dark(background) == (mode == "dark")
    item = window.loss_plot.getPlotItem()
    background = plot_backgrounds(window)[0]
    assert contrast(item.getAxis("left").textPen().color(), background) >= TEXT
    assert contrast(window.loss_plot.curve.opts["pen"].color(), background) >= LINES
    for curve in window.gradient_plot.curves.values():
        assert contrast(curve.opts["pen"].color(), background) >= LINES
    assert window.landscape.image.getColorMap().name == window.data_plot.colour_map.name == "viridis"


def test_a_new_palette_at_run_time_recolours_everything(window, qtbot):
    assert not is_dark(window.diagram.scene().backgroundBrush().color())
    light = [window.table.derivation_model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole).color()]
    plots = plot_backgrounds(window)
    assert not any(is_dark(c) for c in plots)
    QApplication.setPalette(dark_palette())   # the desktop turned dark: no restart
    qtbot.waitUntil(lambda: theme().colours.dark)
    assert is_dark(window.diagram.scene().backgroundBrush().color())
    section = window.table.derivation_model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole).color()
    assert section != light[0] and is_dark(section)
    assert all(is_dark(c) for c in plot_backgrounds(window))
    assert_readable(window)
    QApplication.setPalette(light_palette())
    qtbot.waitUntil(lambda: not theme().colours.dark)
    assert not is_dark(window.diagram.scene().backgroundBrush().color())


def test_forcing_a_theme_sets_a_palette_and_system_gives_the_desktop_back(window):
    before = QApplication.palette().color(QPalette.ColorRole.Window)
    window.findChild(type(window.actionLogScale), "actionThemeDark").trigger()
    palette = QApplication.palette()
    assert palette.color(QPalette.ColorRole.Window) == QColor(45, 45, 45)
    assert palette.color(QPalette.ColorRole.Base) == QColor(30, 30, 30)
    assert palette.color(QPalette.ColorRole.Text) == QColor(230, 230, 230)
    assert contrast(palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)) >= TEXT
    assert contrast(palette.color(QPalette.ColorRole.HighlightedText),
                    palette.color(QPalette.ColorRole.Highlight)) >= TEXT
    window.findChild(type(window.actionLogScale), "actionThemeSystem").trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Window) == before
    assert not theme().colours.dark


def test_presentation_mode_draws_in_high_contrast_and_gives_the_normal_set_back(themed, qtbot):
    window, mode = themed
    normal = theme().colours
    window.presentation.set_active(True)
    assert theme().colours.high_contrast and theme().colours.dark == (mode == "dark")
    lines = [colour for colour in ("positive", "negative", "value_text", "plot_text")]
    scene = theme().colours.scene
    for role in lines:   # stronger than the normal set's against the scene
        assert contrast(getattr(theme().colours, role), scene) > contrast(getattr(normal, role), normal.scene), role
    assert window.diagram.scene().backgroundBrush().color() == scene
    assert_readable(window)
    window.presentation.set_active(False)
    assert theme().colours is normal
    assert window.diagram.scene().backgroundBrush().color() == normal.scene


def test_every_set_s_own_pairs_are_readable():
    """The roles a state may not show in the window's tests (a suspect check, a
    number outside its range), from the sets themselves."""
    from gui.theme import SETS
    for colours in SETS.values():
        for background in (colours.suspect, colours.outside, colours.highlight_row, colours.chain_row,
                           colours.section_background):
            assert contrast(colours.table_text, background) >= TEXT, (colours.dark, colours.high_contrast)
        assert contrast(colours.section_text, colours.section_background) >= TEXT
        assert contrast(colours.saturated, colours.scene) >= TEXT
        for line in (colours.positive, colours.negative, colours.neutral, colours.highlight, colours.saturated):
            assert contrast(line, colours.scene) >= LINES
        for curve in colours.curves + colours.outputs + (colours.loss_curve, colours.limit):
            assert contrast(curve, colours.plot_background) >= LINES
        assert contrast(colours.limit, colours.plot_background) >= TEXT   # its label is text
        assert contrast(colours.plot_text, colours.plot_background) >= TEXT


def test_the_theme_is_a_kept_preference_and_a_damaged_one_gives_system(window):
    window.findChild(type(window.actionLogScale), "actionThemeDark").trigger()
    assert window.preferences.theme == "dark"
    window.preferences.save()
    again = Preferences()
    again.load()
    assert again.theme == "dark"
    for damaged in ("purple", "", "DARK", 3):
        QSettings().setValue("theme", damaged)
        again.load()
        assert again.theme == "system", damaged
