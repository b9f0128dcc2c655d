"""python -m benchmarks: every benchmark of the project in one run, one table.

Each figure stands beside its reference measured in the same run (or its
absolute target), with whether the target is met.  `python -m benchmarks.engine`
and `python -m benchmarks.gui` print each part with its details.
"""

import sys
import time

from benchmarks import engine, gui, landscape, table

HEADER = ["figure", "ours", "reference", "ratio", "target", "met"]


def _cell(value, unit):
    return "-" if value is None else f"{engine._number(value)} {unit}"


def rows(records):
    for r in records:
        at_least = gui._at_least(r)
        yield [r["name"], _cell(r["ours"], r["unit"]), _cell(r["reference"], r["unit"]),
               "-" if r["ratio"] is None else f"{r['ratio']:.2f}",
               f"{'≥' if at_least else '≤'} {r['target']:g}" + ("" if r["ratio"] is not None else f" {r['unit']}"),
               "yes" if r["met"] else "no (MISSED)"]


def main():
    began = time.perf_counter()
    print("Backprop Explorer benchmarks")
    for line in engine.machine():
        print("  " + line)
    print(flush=True)
    records = engine.results() + landscape.results() + gui.results()
    print(table.text_table(HEADER, rows(records)))
    print("\nMarkdown:\n")
    print(table.markdown_table(HEADER, rows(records)))
    missed = [r["name"] for r in records if not r["met"]]
    print(f"\n{len(records) - len(missed)} of {len(records)} targets met"
          + (": missed " + "; ".join(missed) if missed else "") + f" ({time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
