"""The diagram and the plots as pictures a teacher can put on a slide.

A picture is made in memory, as bytes; the window writes them atomically, as
it writes its CSV exports.  Two kinds, chosen by the file's suffix:

* PNG at twice the screen's resolution: every logical pixel of the view becomes
  2×2 image pixels (times the screen's own device pixel ratio), and the PNG says
  so in its resolution, so a document shows it at the size it has on screen;
* SVG through Qt's :class:`QSvgGenerator` painting the scene: text stays text
  and lines stay lines.  pyqtgraph's own SVG exporter is not used: it fails on
  recent Qt (pyqtgraph #3485).

The diagram is drawn as its view shows it (the whole scene: the view fits it).
A plot page is drawn as the pyqtgraph views it shows, side by side as on
screen (the Data tab's heat map and its colour bar are one picture), through
the walk of the items pyqtgraph's exporters do (each item paints itself for
export: no hover buttons, markers drawn one by one rather than from a pixmap
cache).  Not through pyqtgraph's ImageExporter: it enlarges by a transform
that the legend and the text labels ignore (ItemIgnoresTransformations), so a
2× picture has a legend half the size of everything else.  Here the image's
device pixel ratio enlarges everything alike, as a high-DPI screen does.
A page that shows no plot (the Compare table, a note) is drawn as the widget it
is, rows scrolled out of view left out as on screen.
"""

import errno
import re
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import Exporter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QPointF, QRect, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

SCALE = 2            # image pixels per screen pixel in a PNG
PNG, SVG = ".png", ".svg"
FILTERS = {"PNG image (*.png)": PNG, "SVG image (*.svg)": SVG}
FILTER_TEXT = ";;".join(FILTERS)   # what the save dialog offers; the first is the default
PAPER = QColor("white")            # behind a view that paints no background of its own
_INCH = 0.0254                     # metres


def kind(path):
    """PNG or SVG, from ``path``'s suffix (as :func:`gui.writes.with_suffix` leaves it)."""
    return SVG if Path(path).suffix.lower() == SVG else PNG


def stem(title):
    """A file name's beginning for a tab called ``title`` ("Data, ŷ(x)" → "data")."""
    return re.match(r"\w*", title).group().lower() or "plot"


def diagram_picture(view, suffix, title="Network diagram"):
    """The bytes of a PNG or SVG (``suffix``) of what the QGraphicsView ``view``
    shows of its scene; widgets over it (an edit box) are not part of the picture."""
    port = view.viewport().rect()
    return _picture(view, port.size(), suffix, title,
                    [(QPoint(), lambda painter: view.render(painter, QRectF(port), port))])


def page_picture(page, suffix, title="Plot"):
    """The bytes of a PNG or SVG (``suffix``) of the plot page ``page``: the
    pyqtgraph views it shows, placed as on screen, or the page itself if it shows none."""
    views = [v for v in _plots(page) if v.isVisibleTo(page) and not v.size().isEmpty()]
    if not views:
        return _picture(page, page.size(), suffix, title,
                        [(QPoint(), lambda painter: page.render(painter, QPoint()))])
    places = [QRect(v.mapTo(page, QPoint()), v.size()) for v in views]
    bounds = places[0]
    for place in places[1:]:
        bounds = bounds.united(place)
    return _picture(page, bounds.size(), suffix, title,
                    [(place.topLeft() - bounds.topLeft(), lambda painter, v=v: _draw_plot(v, painter))
                     for v, place in zip(views, places)])


def _picture(widget, size, suffix, title, pieces):
    """A PNG or SVG of ``size`` (screen pixels of ``widget``), each piece
    ``(offset, draw(painter))`` drawn at its offset on white."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    ratio = SCALE * widget.devicePixelRatioF()
    if suffix == SVG:
        device = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)   # 1.1 keeps clipping: a plot stays in its axes
        device.setOutputDevice(buffer)
        device.setSize(size)
        device.setViewBox(QRect(QPoint(), size))
        device.setResolution(round(widget.logicalDpiX()))   # the size it has on screen, in mm
        device.setTitle(title)
        device.setDescription("Made by Backprop Explorer")
    else:
        device = QImage(size * ratio, QImage.Format.Format_ARGB32_Premultiplied)
        if device.isNull():
            raise OSError(errno.ENOMEM, f"A {size.width()}×{size.height()} picture at {SCALE}× "
                                        "does not fit in memory")
        device.setDevicePixelRatio(ratio)
    painter = QPainter(device)
    try:
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                               | QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(QRectF(QPointF(), QSizeF(size)), PAPER)
        for offset, draw in pieces:
            painter.save()
            painter.translate(offset)
            draw(painter)
            painter.restore()
    finally:
        painter.end()
    if suffix == PNG:
        # Said only now: text in points is laid out by the device's resolution, and would double.
        device.setDotsPerMeterX(round(widget.logicalDpiX() * ratio / _INCH))
        device.setDotsPerMeterY(round(widget.logicalDpiY() * ratio / _INCH))
        if not device.save(buffer, "PNG"):
            raise OSError(errno.EIO, "Qt could not encode the picture as PNG")
    buffer.close()
    return bytes(data)


def _draw_plot(view, painter):
    """``view``'s scene as the view shows it, its items in their export mode."""
    scene = view.scene()
    exporter = Exporter(scene)   # pyqtgraph's walk of the items that paint, and the rect the view shows
    brush = view.backgroundBrush()
    background = brush.color() if brush.style() != Qt.BrushStyle.NoBrush else PAPER
    target = QRectF(0, 0, view.width(), view.height())
    painter.fillRect(target, background)
    exporter.setExportMode(True, {"antialias": True, "background": background, "painter": painter,
                                  "resolutionScale": 1.0})
    try:
        scene.render(painter, target, exporter.getSourceRect())
    finally:
        exporter.setExportMode(False)


def offer_in_menus(page, action):
    """``action`` in place of pyqtgraph's "Export..." in the context menus of
    ``page``'s plots: that dialog's SVG exporter fails on recent Qt, and its
    writers neither write atomically nor say why a write failed."""
    for view in _plots(page):
        view.scene().contextMenu = [action]


def _plots(page):
    """The pyqtgraph views in ``page``, itself included."""
    return [v for v in [page, *page.findChildren(pg.GraphicsView)] if isinstance(v, pg.GraphicsView)]
