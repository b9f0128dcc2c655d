"""Backprop Explorer: ``python main.py`` opens the window; ``python main.py
derive|train ...`` runs headless (see ``--help``)."""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        # Headless: the command line must not import Qt.
        from engine.cli import run
        return run(argv, prog="backprop-explorer")
    from gui.app import run_window
    return run_window()


if __name__ == "__main__":
    sys.exit(main())
