"""Benchmarks of Backprop Explorer.  ``python -m benchmarks.engine`` measures the engine."""
