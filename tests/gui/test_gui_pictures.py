"""The diagram and the plots as pictures (File → Export Diagram…, Export Plot…).

A PNG is read back by its header (and by QImage), scaled down to the screen's
pixels and compared with what the view shows; an SVG is parsed as XML and
must hold every text the diagram draws."""

import os
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QGraphicsSimpleTextItem

from gui import pictures
from helpers import answer_save, criticals

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LIKE = 2.0   # the most a picture may differ from its view (see difference; thin lines are thinner at 2×)


def png_size(data):
    """(width, height) from a PNG's IHDR chunk, read by hand."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def pixels(image):
    """An RGB array of ``image`` (any format)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :3 * image.width()].reshape(image.height(), image.width(), 3).astype(float)


def blocks(image, size):
    """``image`` averaged over squares of ``size`` pixels (what is left over at the edges dropped)."""
    h, w = image.shape[0] // size, image.shape[1] // size
    return image[:h * size, :w * size].reshape(h, size, w, size, 3).mean(axis=(1, 3))


def difference(picture, widget):
    """The mean difference (0 … 255) between a 2× ``picture`` and ``widget`` as it
    shows, both averaged over squares of 8 screen pixels: text drawn at twice the
    resolution is hinted differently, a drawing shifted or scaled lands elsewhere."""
    shown = pixels(widget.grab().toImage())
    big = pixels(picture)
    assert big.shape[:2] == (2 * shown.shape[0], 2 * shown.shape[1])
    return float(np.abs(blocks(big, 16) - blocks(shown, 8)).mean())


def drawn_texts(scene):
    """Every line of text the visible items of ``scene`` draw."""
    texts = []
    for item in scene.items():
        if not item.isVisible():
            continue
        if isinstance(item, QGraphicsSimpleTextItem):
            texts.append(item.text())
        elif hasattr(item, "lines"):    # the chain's labels, wrapped
            texts.extend(item.lines())
        elif hasattr(item, "texts"):    # a wider network's unit labels
            texts.extend(item.texts())
    return {t for t in texts if t}


def svg_texts(path):
    root = ET.parse(path).getroot()
    assert root.tag == SVG_NS + "svg"
    return root, {"".join(node.itertext()).strip() for node in root.iter(SVG_NS + "text")}


def export(window, action, path, monkeypatch, chosen=""):
    """Trigger ``action`` with the save dialog answering ``path`` and the filter ``chosen``;
    the dialog's calls."""
    calls = []

    def dialog(*args, **kwargs):
        calls.append(args)
        return str(path), chosen
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    action.trigger()
    return calls


@pytest.fixture
def trained(window):
    window.state.train(12)
    window.refresh()
    return window


@pytest.fixture(params=[None, "mazur"])
def example(request):
    """The chain, or a wide network: Mazur's 2-2-2."""
    return request.param


@pytest.fixture
def shown(trained, example):
    """The trained window showing ``example``."""
    if example:
        trained.choose_example(example)
        trained.refresh()
    return trained


def test_diagram_png_is_the_view_at_twice_its_pixels(shown, tmp_path, example, monkeypatch):
    window = shown
    target = tmp_path / "diagram.png"
    export(window, window.actionExportDiagram, target, monkeypatch)
    port = window.diagram.viewport()
    assert png_size(target.read_bytes()) == (2 * port.width(), 2 * port.height())
    image = QImage(str(target))
    assert not image.isNull()
    # Halved, the picture is what the view shows: not shifted, clipped or rescaled
    # (the view's own background is white too).
    assert difference(image, port) < LIKE
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("action, view", [("actionExportDiagram", "diagram"), ("actionExportPlot", "loss_plot")])
def test_the_comparison_can_tell_a_different_picture(trained, tmp_path, monkeypatch, action, view):
    """The check fails for a picture that is not the view's: the same picture, 6 screen pixels off."""
    target = tmp_path / "picture.png"
    export(trained, getattr(trained, action), target, monkeypatch)
    image = QImage(str(target))
    widget = getattr(trained, view)
    widget = widget.viewport() if view == "diagram" else widget
    shifted = image.copy(12, 0, image.width(), image.height())
    assert difference(shifted, widget) > 2 * LIKE


def test_diagram_svg_holds_every_text_the_diagram_draws(shown, tmp_path, example, monkeypatch):
    window = shown
    target = tmp_path / "diagram.svg"
    export(window, window.actionExportDiagram, target, monkeypatch)
    root, texts = svg_texts(target)
    port = window.diagram.viewport()
    assert root.get("viewBox").split() == ["0", "0", str(port.width()), str(port.height())]
    drawn = drawn_texts(window.diagram.scene())
    assert drawn and drawn <= texts, drawn - texts
    # Written here, not read from the diagram: the names a learner looks for.
    assert {"x", "ŷ", "L"} <= texts
    assert "h₁" in texts if example == "mazur" else {"h₁", "h₂", "b₁", "b₃"} <= texts
    if example is None:
        w1 = window.state.edited_values()["W1"]
        assert any(t.startswith("W₁ = ") and abs(float(t[5:].replace("−", "-")) - w1) < 1e-4 for t in texts)


def test_a_name_without_suffix_takes_the_chosen_kind(trained, tmp_path, monkeypatch):
    export(trained, trained.actionExportDiagram, tmp_path / "slide", monkeypatch, "SVG image (*.svg)")
    export(trained, trained.actionExportDiagram, tmp_path / "other", monkeypatch, "")
    export(trained, trained.actionExportDiagram, tmp_path / "third.SVG", monkeypatch, "PNG image (*.png)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.png", "slide.svg", "third.SVG"]
    assert ET.parse(tmp_path / "slide.svg").getroot().tag == SVG_NS + "svg"
    assert ET.parse(tmp_path / "third.SVG").getroot().tag == SVG_NS + "svg"
    assert (tmp_path / "other.png").read_bytes()[:8] == PNG_SIGNATURE


def test_the_dialog_offers_both_kinds_in_the_last_folder(trained, tmp_path, monkeypatch):
    folder = tmp_path / "lecture"
    folder.mkdir()
    first = export(trained, trained.actionExportDiagram, folder / "a.png", monkeypatch)
    assert first[0][3] == "PNG image (*.png);;SVG image (*.svg)"
    again = export(trained, trained.actionExportPlot, folder / "b.png", monkeypatch)
    assert os.path.dirname(again[0][2]) == str(folder)
    assert os.path.basename(again[0][2]) == f"loss-step-{trained.state.cursor}"


TABS = ["Loss", "Gradients", "Landscape", "Data, ŷ(x)", "Compare"]


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_exports_as_png_and_svg(shown, tmp_path, tab, qtbot, monkeypatch):
    window = shown
    index = [window.plots.tabText(i) for i in range(window.plots.count())].index(tab)
    window.plots.setCurrentIndex(index)
    window.refresh()
    page = window.plots.currentWidget()
    qtbot.waitUntil(lambda: page.isVisible())
    export(window, window.actionExportPlot, tmp_path / "plot.png", monkeypatch)
    export(window, window.actionExportPlot, tmp_path / "plot.svg", monkeypatch)
    width, height = png_size((tmp_path / "plot.png").read_bytes())
    # The page's plots (the Data tab's heat map and its colour bar side by side), or the page.
    views = [v for v in [page, *page.findChildren(pg.GraphicsView)]
             if isinstance(v, pg.GraphicsView) and v.isVisible()]
    widest = views or [page]
    assert width == 2 * sum(v.width() for v in widest) and height == 2 * max(v.height() for v in widest)
    root, texts = svg_texts(tmp_path / "plot.svg")
    assert root.get("viewBox").split()[2:] == [str(width // 2), str(height // 2)]
    if tab == "Loss":
        assert {"Loss over training", "iteration (update)", "loss L"} <= texts
    if tab == "Compare":
        assert "Quantity" in texts and "B / A" in texts


def test_a_plot_png_is_the_plot_as_shown(trained, tmp_path, monkeypatch):
    target = tmp_path / "loss.png"
    export(trained, trained.actionExportPlot, target, monkeypatch)
    assert difference(QImage(str(target)), trained.loss_plot) < LIKE


def test_the_plots_menus_offer_the_export_instead_of_pyqtgraphs(trained):
    for index in range(trained.plots.count()):
        trained.plots.setCurrentIndex(index)
        page = trained.plots.currentWidget()
        for view in [page, *page.findChildren(pg.GraphicsView)]:
            if isinstance(view, pg.GraphicsView):
                assert view.scene().contextMenu == [trained.actionExportPlot]
    assert trained.diagram.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    assert trained.actionExportDiagram in trained.diagram.actions()
    file_menu = trained.menuBar().actions()[0].menu()
    assert {trained.actionExportDiagram, trained.actionExportPlot} <= set(file_menu.actions())


# --- failures -------------------------------------------------------------------

@pytest.mark.parametrize("action", ["actionExportDiagram", "actionExportPlot"])
def test_a_missing_folder_is_reported_and_nothing_written(trained, tmp_path, no_modal_dialogs, action, monkeypatch):
    target = tmp_path / "missing" / "picture.png"
    export(trained, getattr(trained, action), target, monkeypatch)
    assert criticals(no_modal_dialogs) and str(target) in criticals(no_modal_dialogs)[-1][2]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="a superuser writes into a read-only folder")
def test_a_read_only_folder_is_reported_and_nothing_written(trained, tmp_path, no_modal_dialogs, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        export(trained, trained.actionExportDiagram, folder / "diagram.svg", monkeypatch)
        assert criticals(no_modal_dialogs)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_failed_write_keeps_the_file_there(trained, tmp_path, no_modal_dialogs, monkeypatch):
    target = tmp_path / "diagram.png"
    target.write_bytes(b"the picture from last week")

    def full(*args):
        raise OSError(28, "No space left on device")
    answer_save(monkeypatch, target)
    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", full)   # the part is written, then the disk is full
        assert trained.export_diagram() is None
    assert target.read_bytes() == b"the picture from last week"
    assert [p.name for p in tmp_path.iterdir()] == ["diagram.png"]
    assert "No space left" in criticals(no_modal_dialogs)[-1][2]


def test_a_picture_qt_cannot_make_is_reported_and_nothing_written(trained, tmp_path, no_modal_dialogs, monkeypatch):
    def refused(*args, **kwargs):
        raise OSError(12, "does not fit in memory")
    monkeypatch.setattr(pictures, "page_picture", refused)
    answer_save(monkeypatch, tmp_path / "loss.png")
    assert trained.export_plot() is None
    assert "does not fit in memory" in criticals(no_modal_dialogs)[-1][2]
    assert list(tmp_path.iterdir()) == []


def test_a_cancelled_dialog_writes_nothing(trained, tmp_path, monkeypatch, no_modal_dialogs):
    answer_save(monkeypatch, None)
    assert trained.export_diagram() is None and trained.export_plot() is None
    assert not no_modal_dialogs
