"""Backprop Explorer: ``python main.py`` opens the window; ``python main.py
derive|train ...`` runs headless (see ``--help``)."""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        # Headless: the command line must not import Qt.
        try:
            from engine.cli import run
        except KeyboardInterrupt:   # Ctrl-C before the command line's own handling is in place
            print("backprop-explorer: stopped by SIGINT", file=sys.stderr)
            return 130
        return run(argv, prog="backprop-explorer")
    from gui.app import run_window
    return run_window()


if __name__ == "__main__":
    sys.exit(main())
