"""python -m benchmarks: every benchmark of the project, one after the other."""

from . import engine, gui

for module in (engine, gui):
    module.main()
