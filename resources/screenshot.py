"""Render the window on a virtual X screen (Xvfb) to resources/screenshot.png.

    python -m resources.screenshot [--size 1280x800] [--out resources/screenshot.png] [--example mazur]
                                   [--theme dark]

Needs Debian's xvfb, libxcb-icccm4 and libxcb-keysyms1.  The window is shown
as a learner would have it a little way into training: 150 updates, with the
row of ∂L/∂W₂ selected so that its edge lights up in the diagram.  With
``--example mazur``: Mazur's 2-2-2 network at its first state, the rows of
∂L/∂W₂ unfolded into their elements.  ``--theme dark`` (or light) forces
View → Theme, to resources/screenshot-dark.png (make screenshot writes all three).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_xvfb(size):
    if not shutil.which("Xvfb"):
        sys.exit("screenshot: Xvfb is missing; on Debian: apt-get install xvfb libxcb-icccm4 libxcb-keysyms1")
    for number in range(90, 140):
        if not Path(f"/tmp/.X{number}-lock").exists():
            break
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    for _ in range(100):
        if socket.exists():
            return server, f":{number}"
        time.sleep(0.05)
    server.kill()
    sys.exit("screenshot: Xvfb did not start")


def render(out, width, height, example=None, theme=None, presenting=False):
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui import MainWindow
    app = QApplication([])
    window = MainWindow()
    if theme:
        window.preferences.set("theme", theme)
    window.resize(width, height)
    window.show()
    if example:
        window.choose_example(example)
        window.table.set_expanded("dL/dW2", True)
    else:
        window.state.train(150)
    if presenting:   # the screen has no window manager to fill: the window is given its size
        window.actionPresentation.setChecked(True)
        window.setGeometry(0, 0, width, height)
        window.table.select_term("dL/dW3")   # a gradient of the section on screen
    else:
        window.table.select_term("dL/dW2")
    window.flush()

    def save():
        window.grab().save(str(out))
        window.state.undo_stack.setClean()   # a picture, not work to keep: close without asking
        app.quit()
    QTimer.singleShot(800, save)   # let the window manager-less screen settle and paint
    app.exec()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--out", default=None)
    parser.add_argument("--example", default=None, help="a worked example to show (engine.examples)")
    parser.add_argument("--theme", default=None, choices=("light", "dark"), help="View → Theme forced")
    parser.add_argument("--presentation", action="store_true", help="in presentation mode (F11)")
    args = parser.parse_args()
    if args.out is None:
        suffix = "".join(f"-{part}" for part in (args.example, args.theme, args.presentation and "presentation")
                         if part)
        args.out = str(ROOT / "resources" / f"screenshot{suffix}.png")
    width, height = map(int, args.size.split("x"))
    server, display = start_xvfb(f"{width}x{height}")
    private = tempfile.mkdtemp(prefix="backprop-screenshot-")   # the learner's settings stay out of it
    try:
        os.environ.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=private,
                          XDG_DATA_HOME=private)
        render(Path(args.out), width, height, args.example, args.theme, args.presentation)
    finally:
        server.terminate()
        shutil.rmtree(private, ignore_errors=True)
    print(f"screenshot: saved {args.out} ({width}x{height})")


if __name__ == "__main__":
    main()
