"""python -m benchmarks: every benchmark of the project in one run, one table.

Each figure stands beside its reference measured in the same run (or its
absolute target), with whether the target is met.  `python -m benchmarks.engine`,
`.network`, `.peers`, `.gui`, `.gui_network`, `.diagram`, `.landscape`, `.plot`, `.gradient`, `.memory`, `.cli` and `.session` print each part with its details.
"""

import sys
import time

from benchmarks import (cli, diagram, engine, gradient, gui, gui_network, landscape, memory, network, peers, plot,
                        session, table)


def main():
    began = time.perf_counter()
    print("Backprop Explorer benchmarks")
    for line in engine.machine():
        print("  " + line)
    print(flush=True)
    records = (engine.results() + network.results() + peers.results() + landscape.results() + gui.results() + gui_network.results()
               + diagram.results() + plot.results()
               + gradient.results() + memory.results() + cli.results() + session.results())
    print(table.text_table(table.HEADER, table.rows(records)))
    print("\nMarkdown:\n")
    print(table.markdown_table(table.HEADER, table.rows(records)))
    print()
    print(table.summary(records, time.perf_counter() - began))
    return 0


if __name__ == "__main__":
    sys.exit(main())
