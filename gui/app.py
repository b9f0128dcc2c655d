"""Start the window: check that Qt can open one, set the application up, run."""

import ctypes
import os
import sys
import traceback

# Libraries Qt's X11 platform plugin needs that a bare Linux may lack, with
# the Debian package that brings each.
XCB_LIBRARIES = {
    "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxcb-util.so.1": "libxcb-util1",
}


def display_problem(environ=os.environ, platform=sys.platform, loadable=None):
    """One line saying why Qt could not open a window here, or None.

    Qt itself would abort with a long message that points at the wrong
    library; this looks first, in well under a millisecond a library."""
    if not platform.startswith("linux"):
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return None
    if not chosen and environ.get("WAYLAND_DISPLAY"):
        return None
    if not environ.get("DISPLAY"):
        return ("Backprop Explorer: no display to open a window on (DISPLAY is not set); "
                "run it on a desktop, or use the command line: python main.py --help")
    loadable = loadable or _loadable
    missing = [package for library, package in XCB_LIBRARIES.items() if not loadable(library)]
    if missing:
        return ("Backprop Explorer: Qt cannot open a window because system libraries are missing; "
                f"on Debian or Ubuntu: sudo apt-get install {' '.join(missing)}")
    return None


def _loadable(library):
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def _install_excepthook():
    """Show an unexpected error instead of dying silently, then carry on."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        from PySide6.QtWidgets import QApplication, QMessageBox
        if QApplication.instance() is not None:
            QMessageBox.critical(None, "Backprop Explorer: unexpected error",
                                 "".join(traceback.format_exception_only(kind, value)).strip())

    sys.excepthook = hook


def run_window():
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .session_controller import name_application
    app = QApplication.instance() or QApplication(sys.argv[:1])
    name_application(always=True)
    _install_excepthook()
    window = MainWindow()
    window.show()
    window.sessions.offer_recovery()
    return app.exec()
