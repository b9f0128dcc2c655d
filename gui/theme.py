"""Every colour the window draws, as roles, in a light and a dark set (and a
high-contrast variant of each, for presentation mode).

Which set is shown: the learner's View → Theme choice, or with "system" the
application's palette, which is what every widget around our drawings is
painted with (a platform that reports a colour scheme also gives a palette of
that scheme; where the two disagree, matching the widgets keeps our text
readable on them).  Forcing light or dark also sets a Fusion palette of that
kind, so the widgets follow too.

Views do not watch the palette themselves: the table's model, the diagram's
scene items and pyqtgraph's plots are not widgets (no ``changeEvent``), and
presentation mode's high contrast is no palette change.  One :class:`Theme`
per application decides, and its ``themeChanged`` signal tells every view to
read :attr:`Theme.colours` again.

Every pair of a text and what it is drawn on meets WCAG AA (4.5:1; lines and
the weights' colours 3:1 against the scene): tests/gui/test_gui_theme.py
measures them in the window itself.
"""

from dataclasses import dataclass, replace

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

MODES = ("system", "light", "dark")
COLOUR_MAP = "viridis"   # perceptual and the same in both sets: a heat map reads the same in either


def _c(*rgba):
    return QColor(*rgba)


@dataclass(frozen=True)
class Colours:
    """One set of roles.  Nothing here is to be changed: read, and copy into pens and brushes."""
    dark: bool
    high_contrast: bool
    # --- the diagram ---
    scene: QColor            # its background
    positive: QColor         # a weight's or bias's line, value ≥ 0
    negative: QColor         # … value < 0 (also dashed: the sign is not told by colour alone)
    positive_text: QColor    # a value's text in its sign's colour
    negative_text: QColor
    neutral: QColor          # a unit's outline, the dashed line to the loss
    highlight: QColor        # the hovered or selected element
    chain_halo: QColor       # a gradient's whole path: translucent, under the lines
    saturated: QColor        # a weak unit's outline and its flag's text
    value_text: QColor       # values and the chain's gradients
    gradient_text: QColor    # a wider network's gradient line and its legend
    name_text: QColor        # x, h₁, W₂ … in their node or box
    caption_text: QColor
    label_backing: QColor    # behind every label, nearly opaque: above a thick edge too
    node_fill: QColor
    bias_fill: QColor
    # --- the derivation table and the number boxes ---
    table_text: QColor       # on every coloured row
    section_background: QColor
    section_text: QColor
    highlight_row: QColor    # the rows of the hovered or selected element
    chain_row: QColor        # a factor of the lit gradient's chain
    suspect: QColor          # a numerical check that differs
    element_text: QColor     # an element row under its vector row: a shade softer
    arrow: QColor            # a vector row's expand arrow
    outside: QColor          # a number outside its editable range
    # --- plots ---
    plot_background: QColor
    plot_text: QColor        # titles, tick labels, axis labels, legends
    plot_axis: QColor        # axes; the grid is this at a low alpha
    legend_backing: QColor
    loss_curve: QColor
    marker: QColor           # the shown state on a curve or a map
    marker_edge: QColor
    limit: QColor            # the gradient plot's saturation line and its label
    samples: QColor          # the chain's data points
    on_map: QColor           # lines and rims drawn over the heat map (the map is the same in both sets)
    path: QColor             # the training's path over the landscape
    curves: tuple            # one per layer of the gradient plot
    outputs: tuple           # one per output of the data plot

    @property
    def colour_map(self):
        return COLOUR_MAP


LIGHT = Colours(
    dark=False, high_contrast=False,
    scene=_c(255, 255, 255), positive=_c(33, 102, 172), negative=_c(214, 96, 77),
    positive_text=_c(24, 78, 140), negative_text=_c(170, 40, 30), neutral=_c(90, 90, 90),
    highlight=_c(190, 125, 0), chain_halo=_c(255, 190, 0, 120), saturated=_c(190, 30, 30),
    value_text=_c(45, 45, 45), gradient_text=_c(110, 40, 150), name_text=_c(20, 20, 20),
    caption_text=_c(60, 60, 60), label_backing=_c(255, 255, 255, 235), node_fill=_c(250, 250, 250),
    bias_fill=_c(245, 245, 245),
    table_text=_c(0, 0, 0), section_background=_c(225, 232, 242), section_text=_c(20, 20, 20),
    highlight_row=_c(255, 225, 120), chain_row=_c(200, 228, 255), suspect=_c(255, 205, 195),
    element_text=_c(70, 70, 70), arrow=_c(74, 85, 104), outside=_c(255, 217, 208),
    plot_background=_c(255, 255, 255), plot_text=_c(40, 40, 40), plot_axis=_c(80, 80, 80),
    legend_backing=_c(255, 255, 255, 210), loss_curve=_c(33, 102, 172), marker=_c(255, 190, 0),
    marker_edge=_c(120, 80, 0), limit=_c(200, 40, 40), samples=_c(214, 96, 77), on_map=_c(255, 255, 255),
    path=_c(230, 60, 40),
    curves=(_c(33, 102, 172), _c(27, 158, 119), _c(217, 95, 2), _c(117, 112, 179), _c(231, 41, 138),
            _c(102, 102, 102), _c(166, 118, 29)),
    outputs=(_c(33, 102, 172), _c(214, 96, 77), _c(27, 158, 119), _c(117, 112, 179), _c(175, 125, 0),
             _c(102, 102, 102), _c(231, 41, 138), _c(166, 118, 29)),
)

DARK = Colours(
    dark=True, high_contrast=False,
    scene=_c(30, 30, 30), positive=_c(86, 150, 222), negative=_c(232, 112, 92),
    positive_text=_c(125, 180, 245), negative_text=_c(255, 145, 125), neutral=_c(150, 150, 150),
    highlight=_c(255, 196, 40), chain_halo=_c(255, 190, 0, 90), saturated=_c(255, 110, 100),
    value_text=_c(220, 220, 220), gradient_text=_c(200, 165, 255), name_text=_c(240, 240, 240),
    caption_text=_c(205, 205, 205), label_backing=_c(30, 30, 30, 235), node_fill=_c(52, 52, 52),
    bias_fill=_c(58, 58, 58),
    table_text=_c(235, 235, 235), section_background=_c(48, 60, 80), section_text=_c(235, 235, 235),
    highlight_row=_c(95, 72, 0), chain_row=_c(30, 62, 100), suspect=_c(105, 40, 32),
    element_text=_c(195, 195, 195), arrow=_c(170, 180, 195), outside=_c(105, 40, 32),
    plot_background=_c(30, 30, 30), plot_text=_c(220, 220, 220), plot_axis=_c(160, 160, 160),
    legend_backing=_c(30, 30, 30, 210), loss_curve=_c(86, 150, 222), marker=_c(255, 196, 40),
    marker_edge=_c(255, 240, 200), limit=_c(255, 110, 100), samples=_c(232, 112, 92), on_map=_c(255, 255, 255),
    path=_c(230, 60, 40),
    curves=(_c(86, 150, 222), _c(60, 190, 150), _c(245, 135, 50), _c(160, 155, 225), _c(240, 100, 170),
            _c(170, 170, 170), _c(215, 165, 70)),
    outputs=(_c(86, 150, 222), _c(232, 112, 92), _c(60, 190, 150), _c(160, 155, 225), _c(240, 190, 40),
             _c(170, 170, 170), _c(240, 100, 170), _c(215, 165, 70)),
)

# Presentation mode: a projector washes colours out.  Darker text and lines on
# the light set, brighter on the dark one; backings fully opaque.
LIGHT_HIGH_CONTRAST = replace(
    LIGHT, high_contrast=True,
    positive=_c(0, 70, 150), negative=_c(180, 40, 20), positive_text=_c(0, 55, 120), negative_text=_c(140, 20, 10),
    neutral=_c(40, 40, 40), highlight=_c(160, 95, 0), saturated=_c(160, 0, 0), value_text=_c(0, 0, 0),
    gradient_text=_c(85, 20, 125), name_text=_c(0, 0, 0), caption_text=_c(0, 0, 0),
    label_backing=_c(255, 255, 255), node_fill=_c(255, 255, 255), bias_fill=_c(255, 255, 255),
    section_background=_c(205, 215, 232), section_text=_c(0, 0, 0), highlight_row=_c(255, 214, 80),
    chain_row=_c(175, 212, 255), suspect=_c(255, 185, 170), element_text=_c(30, 30, 30), arrow=_c(30, 40, 60),
    outside=_c(255, 200, 185), plot_text=_c(0, 0, 0), plot_axis=_c(30, 30, 30), legend_backing=_c(255, 255, 255, 235),
    loss_curve=_c(0, 70, 150), limit=_c(160, 0, 0), samples=_c(180, 40, 20),
    curves=(_c(0, 70, 150), _c(0, 120, 85), _c(180, 70, 0), _c(85, 75, 160), _c(190, 0, 100),
            _c(60, 60, 60), _c(130, 90, 0)),
    outputs=(_c(0, 70, 150), _c(180, 40, 20), _c(0, 120, 85), _c(85, 75, 160), _c(150, 105, 0),
             _c(60, 60, 60), _c(190, 0, 100), _c(130, 90, 0)),
)

DARK_HIGH_CONTRAST = replace(
    DARK, high_contrast=True,
    scene=_c(0, 0, 0), positive=_c(120, 180, 255), negative=_c(255, 130, 110), positive_text=_c(160, 205, 255),
    negative_text=_c(255, 170, 155), neutral=_c(200, 200, 200), highlight=_c(255, 210, 60),
    saturated=_c(255, 140, 130), value_text=_c(255, 255, 255), gradient_text=_c(220, 195, 255),
    name_text=_c(255, 255, 255), caption_text=_c(240, 240, 240), label_backing=_c(0, 0, 0),
    node_fill=_c(20, 20, 20), bias_fill=_c(25, 25, 25),
    table_text=_c(255, 255, 255), section_background=_c(40, 55, 80), section_text=_c(255, 255, 255),
    highlight_row=_c(85, 62, 0), chain_row=_c(20, 52, 95), suspect=_c(95, 30, 25), element_text=_c(225, 225, 225),
    arrow=_c(220, 225, 235), outside=_c(95, 30, 25),
    plot_background=_c(0, 0, 0), plot_text=_c(255, 255, 255), plot_axis=_c(210, 210, 210),
    legend_backing=_c(0, 0, 0, 235), loss_curve=_c(120, 180, 255), samples=_c(255, 130, 110),
    limit=_c(255, 140, 130),
    curves=(_c(120, 180, 255), _c(90, 220, 180), _c(255, 160, 80), _c(190, 185, 255), _c(255, 130, 200),
            _c(200, 200, 200), _c(235, 195, 100)),
    outputs=(_c(120, 180, 255), _c(255, 130, 110), _c(90, 220, 180), _c(190, 185, 255), _c(255, 210, 60),
             _c(200, 200, 200), _c(255, 130, 200), _c(235, 195, 100)),
)

SETS = {(False, False): LIGHT, (True, False): DARK, (False, True): LIGHT_HIGH_CONTRAST,
        (True, True): DARK_HIGH_CONTRAST}


def light_palette():
    return QStyleFactory.create("Fusion").standardPalette()


def dark_palette():
    """Fusion's widgets in dark: Window 45, Base 30, Text 230, and the rest to match."""
    palette = QPalette()
    R = QPalette.ColorRole
    colours = {
        R.Window: (45, 45, 45), R.WindowText: (230, 230, 230), R.Base: (30, 30, 30),
        R.AlternateBase: (40, 40, 40), R.ToolTipBase: (60, 60, 60), R.ToolTipText: (230, 230, 230),
        R.PlaceholderText: (150, 150, 150), R.Text: (230, 230, 230), R.Button: (53, 53, 53),
        R.ButtonText: (230, 230, 230), R.BrightText: (255, 110, 100), R.Light: (80, 80, 80),
        R.Midlight: (65, 65, 65), R.Mid: (40, 40, 40), R.Dark: (25, 25, 25), R.Shadow: (10, 10, 10),
        R.Highlight: (38, 95, 165), R.HighlightedText: (255, 255, 255), R.Link: (120, 175, 255),
        R.LinkVisited: (190, 150, 255), R.Accent: (38, 95, 165),
    }
    for role, rgb in colours.items():
        palette.setColor(role, QColor(*rgb))
    for role in (R.WindowText, R.Text, R.ButtonText, R.HighlightedText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(127, 127, 127))
    palette.setColor(QPalette.ColorGroup.Disabled, R.Highlight, QColor(70, 70, 70))
    return palette


def palette_is_dark(palette):
    return palette.color(QPalette.ColorRole.Window).lightnessF() < \
        palette.color(QPalette.ColorRole.WindowText).lightnessF()


class Theme(QObject):
    """The application's colours: ``colours`` is the set shown now;
    ``themeChanged`` after it changes (the desktop's scheme or palette, the
    learner's choice, presentation mode's high contrast)."""

    themeChanged = Signal()

    def __init__(self, app):
        super().__init__(app)
        self.setObjectName("backpropTheme")
        self._mode = "system"
        self._high_contrast = False
        self._desktop = None       # (style name, palette or None) while a choice overrides the desktop's
        app.styleHints().colorSchemeChanged.connect(self._update)
        self.colours = self._choose()

    @property
    def mode(self):
        return self._mode

    @property
    def high_contrast(self):
        return self._high_contrast

    def watch(self, widget):
        """Follow palette changes as ``widget`` (a window) receives them: a
        desktop switching scheme, or the application given a new palette."""
        widget.installEventFilter(self)

    def eventFilter(self, watched, event):
        if event.type() in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange):
            self._update()
        return False

    def set_mode(self, mode):
        """"system" follows the desktop; "light" or "dark" sets a Fusion palette of that kind."""
        if mode not in MODES:
            raise ValueError(f"{mode!r} is no theme")
        if mode == self._mode:
            return
        app = QApplication.instance()
        if mode == "system":
            style, palette = self._desktop
            self._desktop = None
            self._mode = mode
            if app.style().name() != style:
                app.setStyle(style)
            # A palette never set explicitly is given back as unset, so the desktop's changes reach it again.
            app.setPalette(palette if palette is not None else QPalette())
        else:
            if self._desktop is None:
                explicit = QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_SetPalette)
                self._desktop = (app.style().name(), QPalette(app.palette()) if explicit else None)
            self._mode = mode
            if app.style().name().lower() != "fusion":
                app.setStyle("Fusion")   # other styles (Windows', macOS's) draw much of a widget their own way
            app.setPalette(dark_palette() if mode == "dark" else light_palette())
        self._update()

    def set_high_contrast(self, on):
        if on != self._high_contrast:
            self._high_contrast = on
            self._update()

    def _choose(self):
        if self._mode == "system":
            dark = palette_is_dark(QGuiApplication.palette())
        else:
            dark = self._mode == "dark"
        return SETS[dark, self._high_contrast]

    def _update(self, *_):
        colours = self._choose()
        if colours is not self.colours:
            self.colours = colours
            self.themeChanged.emit()


def theme():
    """The application's one Theme (made with the first view that asks)."""
    app = QCoreApplication.instance()
    found = app.findChild(Theme, "backpropTheme", Qt.FindChildOption.FindDirectChildrenOnly)
    return found if found is not None else Theme(app)


def colours():
    return theme().colours


# --- pyqtgraph, which ignores the palette ------------------------------------
def pen(colour, **options):
    return pg.mkPen(QColor(colour), **options)


def style_plot(widget, item, colours, axes=("left", "bottom")):
    """A plot's background, axes, ticks, grid, title and legend in ``colours``;
    ``widget`` the view whose background it is, ``item`` its PlotItem."""
    widget.setBackground(QColor(colours.plot_background))
    for name in axes:
        axis = item.getAxis(name)
        axis.setPen(pen(colours.plot_axis))          # the grid is drawn in the axis's pen
        axis.setTextPen(pen(colours.plot_text))      # the ticks' labels and the axis's label
    title = item.titleLabel
    title.setText(title.text, color=QColor(colours.plot_text))
    if item.legend is not None:
        style_legend(item.legend, colours)


def style_legend(legend, colours, backed=None):
    """Its labels in the plot's text colour; ``backed``: a backing under it (None: as it is)."""
    legend.opts["labelTextColor"] = QColor(colours.plot_text)
    for _, label in legend.items:
        label.setText(label.text, color=QColor(colours.plot_text))
    if backed is not None:
        legend.setBrush(pg.mkBrush(QColor(colours.legend_backing)) if backed else None)
    elif legend.opts["brush"] is not None and legend.opts["brush"].style() != Qt.BrushStyle.NoBrush:
        legend.setBrush(pg.mkBrush(QColor(colours.legend_backing)))
