"""Command-line benchmark: the peak memory of a long ``train``.

Run with ``python -m benchmarks.cli`` from the project root.
``python main.py train --steps 10⁷ --every 10⁶`` writes 12 rows; it streams
them, so that its memory does not grow with the steps it does not write (a
history of 10⁷ states would be 1 GB).  The figure is the child's peak resident
size (``ru_maxrss``, the whole interpreter with numpy), taken in a fresh
wrapper interpreter whose only child is that command, to standard output.
Target ≤ 150 MB.  This is a measurement, not a test: the exit status is 0
even when the target is missed.
"""

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import table

ROOT = Path(__file__).resolve().parent.parent
STEPS = 10_000_000
EVERY = 1_000_000
TARGET_MB = 150.0
CHILD_TIMEOUT = 1800
MB = 1e6

# The wrapper: the command is its only child, so RUSAGE_CHILDREN's peak is the command's.
_WRAPPER = """
import json, resource, subprocess, sys, time
began = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True)
seconds = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024   # kilobytes on Linux
print(json.dumps({"status": done.returncode, "peak": peak, "seconds": seconds,
                  "rows": done.stdout.count(b"\\n") - 1, "stderr": done.stderr.decode(errors="replace")}))
"""


def peak_memory(*args):
    """Run ``main.py`` with ``args`` in a child; its exit status, peak
    resident bytes, seconds, rows written (the header not counted) and
    standard error."""
    done = subprocess.run([sys.executable, "-c", _WRAPPER, sys.executable, "main.py", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"the wrapper failed (exit status {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measurements(steps=STEPS, every=EVERY):
    found = peak_memory("train", "--steps", str(steps), "--every", str(every))
    if found["status"] != 0:
        raise RuntimeError(f"train failed (exit status {found['status']}):\n{found['stderr']}")
    peak = found["peak"] / MB
    record = {"name": f"peak memory of train --steps {steps:,} --every {every:,} (CLI)", "ours": peak,
              "reference": None, "unit": "MB", "ratio": None, "target": TARGET_MB, "met": peak <= TARGET_MB}
    return found, [record]


def results(steps=STEPS, every=EVERY):
    return measurements(steps, every)[1]


def _details(found):
    yield f"{found['rows']:,} rows written in {found['seconds']:.1f} s; peak {found['peak'] / MB:.0f} MB"


def main():
    return table.report("Backprop Explorer command-line benchmark", measurements, _details)


if __name__ == "__main__":
    sys.exit(main())
