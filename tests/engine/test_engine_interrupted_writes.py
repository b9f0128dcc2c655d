"""A process killed (SIGKILL) in the middle of writing a file over a good one:
the file is the good one, byte for byte, or a whole new one that reads back.

A child process writes again and again; the parent watches the folder for the
temporary ``.~*.part`` file that every write goes through and kills the child
while one is being filled.  The window's cases run the window offscreen in the
child (its saves may be written a piece at a time between events, or at once:
either way there is a ``.part`` file while it is being written)."""

import io
import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from engine import csvio, dataset, session

ROOT = Path(__file__).resolve().parents[2]
POLL = 0.001          # seconds between two looks at the folder
DEADLINE = 60         # seconds a child may take to start writing

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL here")

# The versions each writer writes: built the same way by the child and the parent.
VERSIONS = textwrap.dedent("""
    import numpy as np
    from engine import DEFAULTS, PARAMS, Trainer
    from engine.timeline import Timeline

    def trainer(steps, alpha):
        t = Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], alpha)
        t.run(steps)
        return t

    def large_session(samples, steps, alpha, seed):
        # A session file holds each segment's start and samples, not its states: large
        # datasets make it large.
        rng = np.random.default_rng(seed)
        t = Trainer({p: DEFAULTS[p] for p in PARAMS}, rng.uniform(-5, 5, samples), rng.uniform(-5, 5, samples),
                    alpha)
        t.run(steps)
        return Timeline(t)

    def versions(kind):
        if kind == "session":     # about 12 and 10 MB
            return [(large_session(300_000, 5, 0.01, 1), 3), (large_session(250_000, 7, 0.02, 2), 7)]
        if kind == "history":     # about 2.5 MB of CSV each
            return [trainer(10_000, 0.01).history, trainer(9_000, 0.02).history]
        rng = np.random.default_rng(5)   # datasets: about 3 MB each
        return [(rng.uniform(-1000, 1000, 80_000), rng.uniform(-10, 10, 80_000)),
                (rng.uniform(-5, 5, 70_000), rng.uniform(-1, 1, 70_000))]
""")

WRITER = VERSIONS + textwrap.dedent("""
    import sys
    from engine import csvio, dataset, session
    kind, target = sys.argv[1], sys.argv[2]
    made = versions(kind)
    print("ready", flush=True)
    for number in range(10 ** 9):
        version = made[number % 2]
        if kind == "session":
            session.save(target, version[0], version[1], {"version": number % 2})
        elif kind == "history":
            csvio.write_atomically(target, lambda s: csvio.write_history(s, version))
        else:
            csvio.write_atomically(target, lambda s: dataset.csv_chunks(s, *version))
""")


def _versions(kind):
    space = {}
    exec(VERSIONS, space)   # noqa: S102 -- the same builder the child runs
    return space["versions"](kind)


def _wait_for_line(child, word):
    """Read the child's standard output until a line starting with ``word``."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        ready, _, _ = select.select([child.stdout], [], [], POLL * 100)
        if ready:
            line = child.stdout.readline()
            if not line:
                break
            if line.startswith(word):
                return line
    child.kill()
    pytest.fail(f"the child did not say {word!r}: {child.stderr.read()[-2000:]}")


def _kill_while_writing(child, folder, writes=1):
    """Kill ``child`` while the ``writes``-th temporary file it makes in ``folder``
    holds part of a file.  Returns the temporary files' names seen."""
    seen = []
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read()[-2000:]
        with os.scandir(folder) as listing:
            entries = list(listing)
        for entry in entries:
            if entry.name.startswith(".~") and entry.name.endswith(".part"):
                if entry.name not in seen:
                    seen.append(entry.name)
                if len(seen) >= writes and entry.name == seen[writes - 1]:
                    try:
                        filled = entry.stat().st_size > 0
                    except FileNotFoundError:   # finished meanwhile: wait for the next one
                        continue
                    if filled:
                        child.send_signal(signal.SIGKILL)
                        child.wait(timeout=DEADLINE)
                        assert child.returncode == -signal.SIGKILL
                        return seen
        time.sleep(POLL)
    child.kill()
    pytest.fail(f"no write was seen in progress; temporary files seen: {seen}")


def _start(children, kind, target):
    child = subprocess.Popen([sys.executable, "-c", WRITER, kind, str(target)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children.append(child)
    _wait_for_line(child, "ready")
    return child


def _same_session(loaded, version):
    timeline, cursor = version
    return loaded.cursor == cursor and loaded.timeline.rows().tobytes() == timeline.rows().tobytes()


def _history_text(history):
    return _written(lambda s: csvio.write_history(s, history))


def _dataset_text(x, y):
    return _written(lambda s: csvio.finish(dataset.csv_chunks(s, x, y)))


def _written(write):
    stream = io.StringIO(newline="")
    write(stream)
    return stream.getvalue()


@pytest.mark.parametrize("kind, writes", [("session", 1), ("session", 3), ("history", 1), ("dataset", 1)])
def test_a_write_killed_midway_leaves_the_old_file_or_a_whole_new_one(tmp_path, children, kind, writes):
    target = tmp_path / {"session": "lesson.bpe", "history": "history.csv", "dataset": "data.csv"}[kind]
    made = _versions(kind)
    # The good file there first: the second version, written by this process.
    if kind == "session":
        session.save(target, made[1][0], made[1][1], {"version": "good"})
    elif kind == "history":
        csvio.write_atomically(target, lambda s: csvio.write_history(s, made[1]))
    else:
        csvio.write_atomically(target, lambda s: dataset.csv_chunks(s, *made[1]))
    good = target.read_bytes()

    child = _start(children, kind, target)
    seen = _kill_while_writing(child, tmp_path, writes)

    # The write was cut short: its temporary file is still there, and is not the target.
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".~"))
    assert seen[writes - 1] in left
    content = target.read_bytes()
    if kind == "session":
        loaded = session.read(target)
        assert any(_same_session(loaded, version) for version in made)
        if writes == 1:
            assert content == good
        else:   # whole writes were made before: the last of them is there
            assert loaded.settings in ({"version": 0}, {"version": 1})
    elif kind == "history":
        text = content.decode("utf-8")
        assert text in (_history_text(made[0]), _history_text(made[1]))
        assert content == good
    else:
        x, y = dataset.read_csv(target)
        assert any(np.array_equal(x, vx) and np.array_equal(y, vy) for vx, vy in made)
        assert content == good
    for name in left:   # a piece of a file, not a file
        piece = (tmp_path / name).read_bytes()
        assert piece != content and len(piece) < max(len(content), len(good)) * 2


# --- the window ------------------------------------------------------------------------

WINDOW = textwrap.dedent("""
    import json, os, sys, time
    from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
    app = QApplication([])
    from gui import MainWindow
    from gui.session_controller import name_application
    name_application(always=True)
    task, target = sys.argv[1], sys.argv[2]
    QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: (target, ""))
    asked = []
    QMessageBox.question = staticmethod(lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    QMessageBox.critical = staticmethod(lambda *a, **k: print("critical", a[2], flush=True))
    window = MainWindow()
    window.show()
    folder = os.path.dirname(target) if task == "save" else str(window.sessions.autosave_path().parent)

    def settle(path):
        # Until the file is there and no piece of a write is left beside it.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            app.processEvents()
            if os.path.exists(path) and not any(n.endswith(".part") for n in os.listdir(folder)):
                return
        raise SystemExit("the write did not finish")

    if task == "recover":
        found = window.sessions.offer_recovery()
        print(json.dumps({"recovered": found, "asked": asked, "states": len(window.state.timeline),
                          "cursor": window.state.cursor, "folder": sorted(os.listdir(folder))}), flush=True)
        window.state.undo_stack.setClean()
        raise SystemExit(0)
    window.state.train(20)
    window.state.move_to(7)
    if task == "save":
        window.actionSaveAs.trigger()                 # the good file
        settle(target)
        path = target
    else:
        window.sessions.autosave()                    # the good autosave
        path = str(window.sessions.autosave_path())
        settle(path)
    print("good", path, flush=True)
    window.state.move_to_end()
    # A session file holds each segment's samples, not its states: a large dataset makes it
    # large enough (about 12 MB) to be caught being written.
    import numpy as np
    rng = np.random.default_rng(3)
    window.state.push(window.state.samples_command(rng.uniform(-5, 5, 300_000), rng.uniform(-5, 5, 300_000)))
    window.state.train(3)
    if task == "save":
        window.actionSave.trigger()
    else:
        window.sessions.autosave()
    print("writing", flush=True)
    app.exec()
""")


def _window(children, task, target, tmp_path):
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
                       XDG_CONFIG_HOME=str(tmp_path / "config"))
    child = subprocess.Popen([sys.executable, "-c", WINDOW, task, str(target)], cwd=ROOT, env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children.append(child)
    return child


def test_the_window_killed_while_saving_leaves_the_saved_file(tmp_path, children):
    folder = tmp_path / "sessions"
    folder.mkdir()
    target = folder / "lesson.bpe"
    child = _window(children, "save", target, tmp_path)
    _wait_for_line(child, "good")
    good = target.read_bytes()
    assert len(session.read(target).timeline) == 21
    _kill_while_writing(child, folder)
    assert target.read_bytes() == good
    loaded = session.read(target)
    assert len(loaded.timeline) == 21 and loaded.cursor == 7


def test_recovery_after_a_kill_while_autosaving_offers_the_last_whole_autosave(tmp_path, children):
    child = _window(children, "autosave", tmp_path / "unused.bpe", tmp_path)
    autosave = Path(_wait_for_line(child, "good").split(" ", 1)[1].strip())
    good = autosave.read_bytes()
    seen = _kill_while_writing(child, autosave.parent)
    assert autosave.read_bytes() == good
    assert seen[0] in os.listdir(autosave.parent)           # the piece a kill left behind

    after = _window(children, "recover", tmp_path / "unused.bpe", tmp_path)
    out, err = after.communicate(timeout=DEADLINE)
    assert after.returncode == 0, err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["recovered"] is True and len(report["asked"]) == 1
    assert (report["states"], report["cursor"]) == (21, 7)   # the whole autosave, not the piece
    # The piece is gone; the recovering window holds the autosave, locked as its own.
    assert [name for name in report["folder"] if not name.endswith(".lock")] == [autosave.name]
