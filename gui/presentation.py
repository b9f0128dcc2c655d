"""Presentation mode: the window as a class sees it on a projector.

What a class reads (the diagram, the derivation table, the plots) is drawn
larger by the teacher's chosen factor and the plots' lines thicker; what it does
not (the parameter column, the docks, the status bar) folds away; the window
fills the screen.  Leaving restores the window as it was: its geometry and
dock layout (Qt's saveGeometry/saveState), each splitter's sizes, the folded
widgets and the fonts.

The table and the other widgets grow through the font the central widget
passes down to them.  A pyqtgraph view draws its axes and titles in its own
scene's units, so it is zoomed as a whole (its scene shown at the factor); its
curves' pens are cosmetic (a width in pixels, which a zoom leaves alone), so
they are thickened one by one.
"""

import weakref

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDockWidget

from .diagram import scaled_font
from .theme import theme

SCALES = (1.75, 2.0, 2.5)   # offered to the teacher; the least a class at the back can read
_FIT_MARGIN = 2


class PlotZoom(QObject):
    """A pyqtgraph view shown ``factor`` times larger: its scene is laid out
    in a viewport ``factor`` times smaller and drawn scaled up, so every text,
    tick and margin grows together and stays where pyqtgraph puts it."""

    def __init__(self, view, factor):
        super().__init__(view)
        self.view, self.factor = view, factor
        view.installEventFilter(self)
        self._fit(view.size())

    def eventFilter(self, view, event):
        if event.type() == QEvent.Type.Resize:
            self._fit(event.size())   # before pyqtgraph's resizeEvent, which uses the range
        return False

    def _fit(self, size):
        # pyqtgraph fits the range to the viewport less QGraphicsView.fitInView's 2-pixel margins.
        room = 2 * self.view.frameWidth() + 2 * _FIT_MARGIN
        rect = QRectF(0, 0, (size.width() - room) / self.factor, (size.height() - room) / self.factor)
        pg.GraphicsView.setRange(self.view, rect, padding=0, disableAutoPixel=True)

    def remove(self):
        self.view.removeEventFilter(self)
        size = self.view.size()
        self.view.autoPixelRange = True
        pg.GraphicsView.setRange(self.view, QRectF(0, 0, size.width(), size.height()), padding=0,
                                 disableAutoPixel=False)
        self.deleteLater()


class Thickened:
    """Curves' pens ``factor`` times wider, each from the width its view last
    gave it (a view that sets a new pen is followed)."""

    def __init__(self):
        self._set = weakref.WeakKeyDictionary()   # item -> (the view's look, the look set here)
        self.factor = 1.0

    def apply(self, views, factor):
        self.factor = factor
        for view in views:
            for item, pen, put in _lines(view):
                self._follow(item, pen, self._pen, put)

    def _follow(self, item, now, grow, put):
        own, given = self._set.get(item, (None, None))
        if given is None or now != given:
            own = now   # first seen here, or its view set a look of its own since
        given = grow(own)
        self._set[item] = (own, given)
        if given != now:
            put(given)

    def _pen(self, pen):
        pen = pg.mkPen(pen)
        pen.setWidthF(max(1.0, pen.widthF()) * self.factor)
        return pen

    def restore(self, views):
        for view in views:
            for item, _, put in _lines(view):
                own, _ = self._set.pop(item, (None, None))
                if own is not None:
                    put(own)


def _lines(view):
    """(item, its pen, how to set it) of each curve of a view: a PlotDataItem's
    own pen (it gives its curve that pen again on each update), a bare curve's."""
    for item in view.scene().items():
        if isinstance(item, pg.PlotDataItem) and item.opts["pen"] is not None:
            yield item, pg.mkPen(item.opts["pen"]), item.setPen
        elif isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
            yield item, pg.mkPen(item.opts["pen"]), item.setPen


class _SizedRestore(QObject):
    """A splitter's sizes are kept as shares of its length: they are given back
    once it has its old length again (the window's resize reaches it later)."""

    def __init__(self, splitter, state, size):
        super().__init__(splitter)
        self.state, self.size = state, size
        splitter.installEventFilter(self)

    def eventFilter(self, splitter, event):
        if event.type() == QEvent.Type.Resize and event.size() == self.size:
            splitter.removeEventFilter(self)
            splitter.restoreState(self.state)
            self.deleteLater()
        return False


def _restore_when_sized(splitter, state, size):
    if splitter.size() == size:
        splitter.restoreState(state)
    else:
        _SizedRestore(splitter, state, size)


class Presentation(QObject):
    """Enter and leave presentation mode.  ``central``: the widget whose font
    its children follow; ``folded``: widgets hidden while presenting;
    ``splitters``: their sizes kept; ``plots()``: the pyqtgraph views now built;
    ``scaled_views``: objects with ``set_text_scale(factor)`` (the diagram)."""

    changed = Signal(bool)

    def __init__(self, window, central, folded, splitters, plots, scaled_views=(), arrange=None):
        super().__init__(window)
        self.window, self.central, self.folded = window, central, folded
        self.splitters, self.plots, self.scaled_views = splitters, plots, scaled_views
        self.arrange = arrange   # lays the window out for a class, again on each resize while presenting
        self.scale = SCALES[0]
        self._saved = None
        self._zooms = {}
        self._thick = Thickened()
        # A class reads a projector: high-contrast colours while presenting.  A plot
        # recoloured meanwhile (the desktop changed) is thickened again once it has its new pens.
        theme().themeChanged.connect(self._on_theme)

    @property
    def active(self):
        return self._saved is not None

    def set_active(self, on):
        if on != self.active:
            (self._enter if on else self._leave)()
            self.changed.emit(on)

    def set_scale(self, factor):
        self.scale = factor
        if self.active:
            self._apply(factor)

    def _enter(self):
        window = self.window
        self._saved = {
            "geometry": window.geometry(), "state": window.saveState(),
            "window_state": window.windowState(),
            "splitters": [(s.saveState(), s.size()) for s in self.splitters],
            "shown": [w for w in self.folded if not w.isHidden()],
            "font": QFont(self.central.font()),
            "own_font": self.central.testAttribute(Qt.WidgetAttribute.WA_SetFont),
        }
        for widget in self.folded:
            widget.hide()
        for dock in window.findChildren(QDockWidget):
            dock.hide()
        theme().set_high_contrast(True)
        self._apply(self.scale)
        window.installEventFilter(self)
        window.showFullScreen()
        self._arrange()

    def eventFilter(self, window, event):
        if event.type() == QEvent.Type.Resize and self.active:
            QTimer.singleShot(0, self._arrange)   # once the window's layout has taken the new size
        return False

    def _arrange(self):
        if self.arrange is not None and self.active:
            self.arrange()

    def _apply(self, factor):
        font = self._saved["font"]
        self.central.setFont(scaled_font(font, factor, font.bold()))
        self._arrange()
        for view in self.scaled_views:
            view.set_text_scale(factor)
        self.restyle()

    def _on_theme(self):
        QTimer.singleShot(0, self, self.restyle)

    def restyle(self):
        """Zoom and thicken every plot built so far (pages are built when first shown)."""
        if not self.active:
            return
        views = list(self.plots())
        for view in views:
            zoom = self._zooms.get(view)
            if zoom is None or zoom.factor != self.scale:
                if zoom is not None:
                    zoom.remove()
                self._zooms[view] = PlotZoom(view, self.scale)
        self._thick.apply(views, self.scale)

    def _leave(self):
        saved, window = self._saved, self.window
        window.removeEventFilter(self)
        views = list(self.plots())
        for zoom in self._zooms.values():
            zoom.remove()
        self._zooms.clear()
        self._thick.restore(views)
        theme().set_high_contrast(False)   # after the plots have their own pens back, to recolour them
        for view in self.scaled_views:
            view.set_text_scale(1.0)
        # An empty font inherits everything again, as before presenting.
        self.central.setFont(saved["font"] if saved["own_font"] else QFont())
        window.setWindowState(saved["window_state"])
        if not saved["window_state"] & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            window.setGeometry(saved["geometry"])   # not restoreGeometry: it moves a window that overhangs the screen
        window.restoreState(saved["state"])
        for splitter, (state, size) in zip(self.splitters, saved["splitters"]):
            _restore_when_sized(splitter, state, size)
        for widget in saved["shown"]:
            widget.show()
        self._saved = None
