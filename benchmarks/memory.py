"""Memory benchmark: resident size after 10⁶ recorded steps.

Run with ``python -m benchmarks.memory`` from the project root.  Each figure
is taken in a fresh child interpreter, so that nothing an earlier
measurement allocated (or that the allocator kept) is counted:

(a) the window: a shown and painted ``MainWindow``; Run at the fastest speed
    until the timeline holds more than 10⁶ states (the last chunk runs over
    by a few thousand), Pause, every view refreshed and painted.  Growth of
    the resident size: target ≤ 150 MB above the fresh window.  The history
    alone is 10⁶ rows of 13 float64, 104 MB.  Then the autosave that a
    paused window with unsaved changes makes within seconds: its peak is
    printed as a detail.
(b) the engine alone, as context: ``Trainer.run(10⁶)``, growth of the
    resident size of a bare interpreter; the same target, which the window
    cannot meet unless the engine does.

The child's settings and data folders are private temporary ones: no
learner's preferences, recent files or autosave are read or written.  This is
a measurement, not a test: the exit status is 0 even when the target is missed.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import table

ROOT = Path(__file__).resolve().parent.parent
STEPS = 1_000_000
TARGET_MB = 150.0
CHILD_TIMEOUT = 600
MB = 1e6


def _status(field):
    """A line of /proc/self/status (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


# --- the children ---------------------------------------------------------------

def _child_engine(steps):
    from engine.limits import DEFAULTS, PARAMS
    from engine.training import Trainer

    trainer = Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"])
    before = _status("VmRSS")
    if trainer.run(steps) is not None or len(trainer) != steps + 1:
        raise RuntimeError("the engine's run did not record every step")
    return {"before": before, "after": _status("VmRSS"), "peak": _status("VmHWM"),
            "states": len(trainer), "history": trainer.history.nbytes()}


def _child_window(steps):
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gui import MainWindow

    folder = os.environ["XDG_CONFIG_HOME"]
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(kind, scope, folder)
    app = QApplication(sys.argv[:1])  # noqa: F841  (alive as long as the window)

    window = MainWindow()
    window.show()
    QTest.qWaitForWindowExposed(window)
    _settle(window)
    before = _status("VmRSS")

    window.speed.setCurrentIndex(window.speed.findData(0))   # as fast as possible
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: loop.quit() if len(window.state.timeline) > steps
                         or not window.runner.running else None)
    started = time.perf_counter()
    window.actionRun.trigger()
    poll.start(20)
    loop.exec()
    window.actionRun.trigger()   # pause
    seconds = time.perf_counter() - started
    poll.stop()
    if window.state.divergence is not None or len(window.state.timeline) <= steps:
        raise RuntimeError("the window's run stopped before recording every step")
    _settle(window)
    after, peak = _status("VmRSS"), _status("VmHWM")
    # Paused with unsaved changes, the window autosaves within seconds: what does that take?
    if not window.sessions.autosave():
        raise RuntimeError("the window did not autosave its run")
    return {"before": before, "after": after, "peak": peak,
            "autosave_peak": _status("VmHWM"), "after_autosave": _status("VmRSS"),
            "states": len(window.state.timeline), "seconds": seconds,
            "history": sum(s.trainer.history.nbytes() for s in window.state.timeline.segments)}


def _settle(window):
    """Every view up to date and painted."""
    from PySide6.QtTest import QTest

    window.flush()
    QTest.qWait(100)   # longer than the refresh throttle: whatever it deferred has been drawn


_CHILDREN = {"engine": _child_engine, "window": _child_window}


def _launch(kind, steps):
    """Run a child in a fresh interpreter; its JSON result."""
    folder = Path(tempfile.mkdtemp(prefix="backprop-explorer-memory-benchmark-"))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               XDG_CONFIG_HOME=str(folder / "config"), XDG_DATA_HOME=str(folder / "data"))
    try:
        done = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--child", kind, str(steps)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("result ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the {kind} child failed (exit status {done.returncode}):\n{done.stderr}")
    return json.loads(lines[-1].split(" ", 1)[1])


# --- figures --------------------------------------------------------------------

def _growth_mb(found):
    return (found["after"] - found["before"]) / MB


def measurements(steps=STEPS):
    window = _launch("window", steps)
    engine = _launch("engine", steps)
    records = [{"name": f"resident size after {steps:,} recorded steps, above a fresh {what}",
                "ours": _growth_mb(found), "reference": None, "unit": "MB", "ratio": None,
                "target": TARGET_MB, "met": _growth_mb(found) <= TARGET_MB}
               for what, found in (("window", window), ("interpreter, engine only", engine))]
    return {"window": window, "engine": engine}, records


def results(steps=STEPS):
    return measurements(steps)[1]


def _details(raw):
    for kind, found in raw.items():
        yield (f"{kind}: {found['before'] / MB:.0f} MB before, {found['after'] / MB:.0f} MB after, "
               f"peak {found['peak'] / MB:.0f} MB; {found['states']:,} states, history "
               f"{found['history'] / MB:.0f} MB")
    window = raw["window"]
    yield (f"window: the run took {window['seconds']:.1f} s; an autosave then peaked at "
           f"{(window['autosave_peak'] - window['before']) / MB:.0f} MB above the fresh window "
           f"and left {(window['after_autosave'] - window['before']) / MB:.0f} MB")


def main():
    return table.report("Backprop Explorer memory benchmark", measurements, _details)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        result = _CHILDREN[sys.argv[2]](int(sys.argv[3]))
        print("result " + json.dumps(result), flush=True)
        os._exit(0)   # no teardown of the window: only the figure matters
    sys.exit(main())
