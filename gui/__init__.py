"""The window of Backprop Explorer: thin Qt views over the engine."""

from .main_window import MainWindow

__all__ = ["MainWindow"]
