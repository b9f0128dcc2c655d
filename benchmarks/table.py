"""The benchmarks' tables, as plain text and as Markdown for the README.

A figure is a record: a dict with name, ours, reference, unit, ratio, target
and met; reference and ratio are None for an absolute target.
"""

import time

HEADER = ["figure", "ours", "reference", "ratio", "target", "met"]
_AT_LEAST = ("live training",)   # figures whose target is a minimum; all others are maxima


def at_least(record):
    return record["name"].startswith(_AT_LEAST)


def number(value):
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _cell(value, unit):
    return "-" if value is None else f"{number(value)} {unit}"


def target_text(record):
    sign = "≥" if at_least(record) else "≤"
    unit = f" {record['unit']}" if record["ratio"] is None else ""
    return f"{sign} {record['target']:g}{unit}"


def rows(records):
    """The cells of HEADER for each record."""
    for r in records:
        yield [r["name"], _cell(r["ours"], r["unit"]), _cell(r["reference"], r["unit"]),
               "-" if r["ratio"] is None else f"{r['ratio']:.2f}", target_text(r),
               "yes" if r["met"] else "no (MISSED)"]


def report(title, measure, details):
    """A benchmark module's own main: ``measure()`` gives (raw, records),
    ``details(raw)`` the lines printed under the table."""
    began = time.perf_counter()
    print(title, flush=True)
    raw, records = measure()
    print(text_table(HEADER, rows(records)))
    print()
    for line in details(raw):
        print("  " + line)
    print()
    print(summary(records, time.perf_counter() - began))
    return 0


def summary(records, seconds):
    """One line a missed target, then how many were met and how long it took."""
    lines = []
    for r in records:
        if not r["met"]:
            ratio = "" if r["ratio"] is None else f", ratio {r['ratio']:.2f}"
            lines.append(f"MISSED: {r['name']}: {_cell(r['ours'], r['unit'])}{ratio}; target {target_text(r)}")
    met = len(records) - len(lines)
    lines.append(f"{met} of {len(records)} targets met ({seconds:.0f} s)")
    return "\n".join(lines)


def text_table(header, rows):
    rows = [header] + list(rows)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def absolute(name, ours, unit, target):
    """The record of a figure with an absolute target (no reference), met at or below it."""
    return {"name": name, "ours": ours, "reference": None, "unit": unit, "ratio": None, "target": target,
            "met": ours <= target}


def print_absolute(records):
    """A small benchmark module's own main: each absolute figure on one line."""
    for r in records:
        print(f"{r['name']}: {r['ours']:.2f} {r['unit']} (target ≤ {r['target']:g} {r['unit']}): "
              f"{'met' if r['met'] else 'MISSED'}")
