"""Hostile files given to the window: sessions opened or recovered, datasets
imported, and the settings file read at start.  Each is refused with a message
that names the problem (or, for a damaged preference, its default is used),
the window is left as it was, and nothing hangs.

(tests/gui/test_gui_sessions.py has the session schema cases of File → Open and
a settings file of plain garbage; test_gui_preferences.py each damaged preference.)"""

import codecs
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QToolBar

from engine import atomic
from gui import MainWindow
from gui.preferences import MAX_RECENT
from gui.session_controller import name_application
from helpers import answer_open, criticals, new_window, session_text, snapshot
from tests.big_files import MB, SMALL_PEAK, measured, sparse, write_repeated

ROOT = Path(__file__).resolve().parents[2]


# --- helpers ------------------------------------------------------------------

def some_history(window):
    """Unsaved work with a branch, looked at in the middle."""
    state = window.state
    state.train(8)
    state.move_to(3)
    window.set_value("W2", 0.75)   # a branch: the fixture answers Yes
    state.train(4)
    state.move_to(5)
    window.flush()                 # the window shows it all, as before the learner types
    window.dataset_panel.set_rows([1.5, -2.0], [0.5, 3.0])   # rows typed, not yet applied


def session_with(**fields):
    document = json.loads(session_text())
    document.update(fields)
    return json.dumps(document)


@pytest.fixture
def files(tmp_path):
    """A folder for hostile files; the big ones are removed afterwards."""
    folder = tmp_path / "files"
    folder.mkdir()
    yield folder
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink() and path.stat().st_size > 10 * MB:
            path.unlink()


# --- sessions: File → Open --------------------------------------------------------

def _cut_inside_a_character(path):
    raw = session_text({"theme": "ünïcode ✓"}).replace("\\u00fc", "ü").encode("utf-8")
    path.write_bytes(raw[:raw.index("ü".encode()) + 1])


def _nulls_everywhere(path):
    document = json.loads(session_text())
    path.write_text(json.dumps({key: (value if key == "format" else None) for key, value in document.items()}))


def _lists_for_objects(path):
    document = json.loads(session_text())
    document["segments"] = [list(segment.items()) for segment in document["segments"]]
    path.write_text(json.dumps(document))


HOSTILE_SESSIONS = {
    # name: (make(path) -> the path to open, or None for path itself; words of the message)
    "150 MB of zero bytes": (lambda p: sparse(p, 150 * MB), "binary data"),
    "110 MB of text lines": (lambda p: write_repeated(p, b"", b"not a session at all\n", 110 * MB),
                             "its beginning does not say"),
    "110 MB, a session again and again": (lambda p: write_repeated(p, b"", session_text().encode(), 110 * MB),
                                          "Extra data"),
    "UTF-16": (lambda p: p.write_bytes(codecs.BOM_UTF16_LE + session_text().encode("utf-16-le")), "UTF-16"),
    "cut inside a character": (_cut_inside_a_character, "not UTF-8"),
    "null for every value": (_nulls_everywhere, "version"),
    "lists for objects": (lambda p: _lists_for_objects(p), "segment 1 must be an object, not a list"),
    "an object for the segments": (lambda p: p.write_text(session_with(segments={"0": {}})),
                                   "segments (\"segments\") must be a list"),
    "text for the version": (lambda p: p.write_text(session_with(version="one")), "not text"),
    "a far future version": (lambda p: p.write_text(session_with(version=10 ** 20)), "newer version"),
    "1e308 for the cursor": (lambda p: p.write_text(session_with(cursor=1e308)), "whole number"),
    "a pipe": (lambda p: os.mkfifo(p), "not an ordinary file"),
    "a link to a device": (lambda p: p.symlink_to("/dev/zero"), "not an ordinary file"),
    "a folder": (lambda p: p.mkdir(), "folder"),
    "through a file": (lambda p: (p.write_text(session_text()), p / "inside.bpe")[1], "Not a directory"),
    "a NUL in the name": (lambda p: Path(str(p) + "\x00.bpe"), "NUL"),
}


def assert_refused(window, monkeypatch, shown, open_it, path, words, before):
    """``open_it()`` on ``path`` (the file dialog answers it): one more message,
    naming the problem and the file, the window as ``before``, and the file not
    read into memory (a large one is removed after)."""
    count = len(criticals(shown))
    answer_open(monkeypatch, path)
    error, peak = measured(open_it)
    assert error is None, error
    refused = criticals(shown)
    assert len(refused) == count + 1, path
    message = refused[-1][2]
    assert words in message and str(path) in message and "unchanged" in message, message
    assert snapshot(window) == before, path
    assert peak < SMALL_PEAK, (path, peak)
    if path.is_file() and path.stat().st_size > 10 * MB:
        path.unlink()


def test_hostile_sessions_are_refused_and_change_nothing(window, monkeypatch, files, no_modal_dialogs):
    some_history(window)
    before = snapshot(window)
    assert before["modified"] and before["undo"]
    for number, (make, words) in enumerate(HOSTILE_SESSIONS.values()):
        path = files / f"hostile-{number}.bpe"
        made = make(path)
        path = made if isinstance(made, Path) else path
        assert_refused(window, monkeypatch, no_modal_dialogs, window.actionOpen.trigger, path, words, before)
    window.undo()                              # the undo history still works
    assert window.state.cursor == 3


# --- sessions: recovery after a crash -----------------------------------------------

HOSTILE_AUTOSAVES = {
    "150 MB of zero bytes": lambda p: sparse(p, 150 * MB),
    "truncated": lambda p: p.write_text(session_text()[:200]),
    "a future version": lambda p: p.write_text(session_with(version=4)),
    "UTF-16": lambda p: p.write_bytes(codecs.BOM_UTF16_LE + session_text().encode("utf-16-le")),
    "a pipe": lambda p: os.mkfifo(p),
}


def test_a_hostile_autosave_is_dropped_without_asking(window, monkeypatch, no_modal_dialogs):
    autosave = window.sessions.autosave_path()
    for name, make in HOSTILE_AUTOSAVES.items():
        make(autosave)
        offered = []
        error, peak = measured(lambda: offered.append(window.sessions.offer_recovery()))
        assert offered == [False] and error is None and peak < SMALL_PEAK, (name, error, peak)
        assert not autosave.exists() and not autosave.is_symlink(), name
    assert no_modal_dialogs == []
    assert len(window.state.timeline) == 1 and not window.isWindowModified()


def test_a_folder_in_the_autosaves_place_is_left_alone(window, no_modal_dialogs):
    autosave = window.sessions.autosave_path()
    autosave.mkdir()
    (autosave / "keep.txt").write_text("mine")
    assert window.sessions.offer_recovery() is False
    assert (autosave / "keep.txt").read_text() == "mine"
    assert no_modal_dialogs == [] and len(window.state.timeline) == 1
    shutil.rmtree(autosave)   # closing would trip over it: see the next test


def test_closing_with_a_folder_in_the_autosaves_place_does_not_raise(qtbot):
    window = MainWindow()
    window.show()
    autosave = window.sessions.autosave_path()
    autosave.mkdir()
    try:
        window.close()
    finally:
        shutil.rmtree(autosave)
        window.sessions.close_cleanly()
        window.close()


def test_stray_pieces_of_autosaves_are_removed_and_never_offered(window, no_modal_dialogs):
    folder = window.sessions.autosave_path().parent
    # Pieces of writers that are gone: a pid no process can have (and this host's name in them).
    strays = [folder / atomic.part_name("autosave.bpe", pid=2 ** 31 - 1),
              folder / atomic.part_name("lesson.bpe", pid=2 ** 31 - 1)]
    strays[0].write_text(session_text(steps=9))      # a whole session, but not the autosave
    strays[1].write_text(session_text()[:100])
    mine = folder / "notes.txt"
    mine.write_text("not a piece")
    assert window.sessions.offer_recovery() is False
    assert no_modal_dialogs == []
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    # With an autosave beside them: it is the one offered, and the pieces go.
    strays[0].write_text(session_text(steps=9))
    window.sessions.autosave_path().write_text(session_text(steps=4, cursor=2))
    assert window.sessions.offer_recovery() is True
    assert len(window.state.timeline) == 5 and window.state.cursor == 2
    assert not strays[0].exists()
    window.state.undo_stack.setClean()


@pytest.mark.parametrize("original", [5, True, 1e308, "relative/lesson.bpe", "/no/such/folder/lesson.bpe",
                                      "folder", ["/a.bpe"], "/tmp/lesson\n.bpe"])
def test_a_recovered_session_names_its_file_only_if_that_is_a_real_file(window, tmp_path, original):
    if original == "folder":
        original = str(tmp_path)                    # exists, but is no file
    text = session_text({"speed": 100, "log_scale": False, "file": original} if not isinstance(original, list)
                        else {"speed": 100})
    if isinstance(original, list):                  # not a setting a session may hold: refused as damaged
        document = json.loads(text)
        document["settings"]["file"] = original
        text = json.dumps(document)
    window.sessions.autosave_path().write_text(text)
    recovered = window.sessions.offer_recovery()
    assert recovered is (not isinstance(original, list))
    assert window.sessions.path is None
    assert window.windowTitle() == ("Untitled[*] — Backprop Explorer" if recovered else "Backprop Explorer")
    window.state.undo_stack.setClean()


def test_a_recovered_session_keeps_its_real_file(window, tmp_path):
    real = tmp_path / "lesson.bpe"
    real.write_text(session_text())
    window.sessions.autosave_path().write_text(session_text({"speed": 100, "file": str(real)}))
    assert window.sessions.offer_recovery() is True
    assert window.sessions.path == str(real) and "lesson.bpe" in window.windowTitle()
    window.state.undo_stack.setClean()


def test_settings_of_the_wrong_type_in_a_session_are_ignored(window, monkeypatch, tmp_path):
    for speed in (True, "1000", 1000.0):
        path = tmp_path / "typed.bpe"
        path.write_text(session_text({"speed": speed, "log_scale": 1}))
        answer_open(monkeypatch, path)
        window.actionOpen.trigger()
        assert window.sessions.path == str(path)
        assert window.speed.currentData() == 100, speed       # the default stays
        assert not window.actionLogScale.isChecked()


# --- datasets: Import ---------------------------------------------------------------------

HOSTILE_DATASETS = {
    "110 MB of good rows": (lambda p: write_repeated(p, b"x,y\n", b"1.25,-3.5\n", 110 * MB), "110.0 MB"),
    "150 MB of zero bytes": (lambda p: sparse(p, 150 * MB), "150.0 MB"),
    "UTF-16": (lambda p: p.write_bytes("x,y\n1,2\n".encode("utf-16")), "UTF-16"),
    "binary": (lambda p: p.write_bytes(bytes(range(256)) * 4), "binary data"),
    "cut inside a character": (lambda p: p.write_bytes("x,y\n1,2\n3,4 # é".encode()[:-1]), "not UTF-8"),
    "an underscore in a number": (lambda p: p.write_text("x,y\n1_000,2\n"), "not a number: '1_000'"),
    "1e308": (lambda p: p.write_text("x,y\n1e308,2\n"), "outside the accepted range"),
    "NaN": (lambda p: p.write_text("x,y\n1,nan\n"), "must be finite"),
    "a session": (lambda p: p.write_text(session_text()), "header must be x,y"),
    "a pipe": (lambda p: os.mkfifo(p), "not an ordinary file"),
    "a folder": (lambda p: p.mkdir(), "folder"),
    "missing": (lambda p: None, "No such file"),
}


def test_hostile_datasets_are_refused_and_change_nothing(window, monkeypatch, files, no_modal_dialogs):
    some_history(window)
    before = snapshot(window)
    for number, (make, words) in enumerate(HOSTILE_DATASETS.values()):
        path = files / f"hostile-{number}.csv"
        make(path)
        assert_refused(window, monkeypatch, no_modal_dialogs, window.import_dataset, path, words, before)


# --- settings -------------------------------------------------------------------------------

def settings_file():
    name_application()
    path = Path(QSettings().fileName())
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_settings(text):
    path = settings_file()
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def recent_entries(window):
    return [action.text() for action in window.recent_menu.actions()]


def test_recent_files_keep_only_absolute_paths_once_each(qtbot, tmp_path):
    good = [str(tmp_path / f"s{i}.bpe") for i in range(MAX_RECENT + 4)]
    # (A nested list would be written as an @Variant blob, which the settings check refuses
    # before Qt reads it: see test_gui_settings_vetting.py.)
    junk = [5, None, "", "relative.bpe", good[0], "/tmp/a\x00b.bpe", "/tmp/tab\t.bpe", "/" + "x" * 5000]
    settings_file()
    QSettings().setValue("recentFiles", junk[:4] + [good[0]] + junk[4:] + good[1:])
    QSettings().sync()
    window = new_window(qtbot)
    assert recent_entries(window) == good[:MAX_RECENT]
    write_settings("[General]\nrecentFiles=/a.bpe, 5, /a.bpe, rel.bpe, /b c.bpe\n")
    later = new_window(qtbot)
    assert recent_entries(later) == ["/a.bpe", "/b c.bpe"]


def _org_file(path):
    """The organization-wide settings file beside the application's folder."""
    return path.parent.parent / (path.parent.name + path.suffix)


HOSTILE_SETTINGS = {
    "150 MB of zero bytes": (lambda p: sparse(p, 150 * MB), "150.0 MB"),
    "110 MB of text": (lambda p: write_repeated(p, b"[General]\n", b"recentFiles=/a.bpe\n", 110 * MB), "110.0 MB"),
    "the organization's file, huge": (lambda p: sparse(_org_file(p), 120 * MB), "120.0 MB"),
    "a pipe": (lambda p: os.mkfifo(p), "not an ordinary file"),
    "a folder": (lambda p: p.mkdir(), "folder"),
}


@pytest.mark.parametrize("name", list(HOSTILE_SETTINGS))
def test_a_settings_file_that_must_not_be_read_is_left_alone(qtbot, no_modal_dialogs, request, name):
    make, words = HOSTILE_SETTINGS[name]
    path = settings_file()
    hostile = _org_file(path) if name.startswith("the organization") else path
    request.addfinalizer(lambda: hostile.unlink() if hostile.is_file() else None)   # not left for pytest to keep
    make(path)
    before = os.lstat(hostile)
    window = new_window(qtbot)
    assert QSettings().fileName() != str(path)   # this run keeps its settings elsewhere: that file is not read
    warnings = [args for kind, args in no_modal_dialogs if kind == "warning"]
    assert len(warnings) == 1
    assert str(hostile) in warnings[0][2] and words in warnings[0][2], warnings[0][2]
    assert window.actionConfirmBranch.isChecked() and window.walk.tolerance.value() == 1.0
    # Preferences work for this run, and closing stores them somewhere else.
    window.walk.tolerance.setValue(7.5)
    assert window.close()
    after = os.lstat(hostile)
    unchanged = ("st_size", "st_mtime_ns", "st_mode", "st_ino")
    assert [getattr(after, k) for k in unchanged] == [getattr(before, k) for k in unchanged]
    assert float(QSettings().value("tolerance")) == 7.5 and QSettings().fileName() != str(path)


# Qt's restoreState and restoreGeometry crash the process on some damaged values:
# each case runs in a child, a window built on settings holding it.
LAYOUT_SCRIPT = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import QByteArray, QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from gui import MainWindow
    from gui.session_controller import name_application
    name_application(always=True)
    for name, key, data in json.loads(sys.stdin.read()):
        settings = QSettings()
        settings.clear()
        settings.setValue(key, QByteArray(bytes.fromhex(data)))
        settings.sync()
        print("building", name, flush=True)
        window = MainWindow()
        window.show()
        app.processEvents()
        geometry = window.geometry()
        print(json.dumps({"name": name, "undo dock": window.undo_dock.isVisible(),
                          "width": geometry.width(), "height": geometry.height()}), flush=True)
        window.close()
        window.deleteLater()
        app.processEvents()
""")


def test_damaged_window_layouts_that_crash_qt_are_not_restored(window, tmp_path):
    window.undo_dock.show()
    window.resize(1100, 500)   # not the default size
    state, geometry = bytes(window.saveState()), bytes(window.saveGeometry())
    # QMainWindow.saveState: the marker 0xff, the version 0, the dock areas' marker 0xfd, their
    # count, then the first area's index.  QWidget.saveGeometry: magic, 3.0, the frame's and the
    # normal geometry's left, top, right, bottom.
    assert struct.unpack(">iiB", state[:9]) == (0xFF, 0, 0xFD)
    assert struct.unpack(">IHH", geometry[:8]) == (0x1D9D0CB, 3, 0)

    def at(data, offset, value):
        return (data[:offset] + struct.pack(">i", value) + data[offset + 4:]).hex()
    cases = [
        ("the saved layout", "windowState", state.hex()),
        ("dock areas: -1", "windowState", at(state, 9, -1)),
        ("dock areas: 2**31 - 1", "windowState", at(state, 9, 2 ** 31 - 1)),
        ("dock area number -2**31", "windowState", at(state, 13, -2 ** 31)),
        ("dock area number 7", "windowState", at(state, 13, 7)),
        ("the saved geometry", "geometry", geometry.hex()),
        ("normal geometry 2**31 high", "geometry", at(geometry, 36, 2 ** 31 - 1)),
        ("frame 2**31 wide", "geometry", at(geometry, 16, 2 ** 31 - 1)),
    ]
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "child-config"),
                       XDG_DATA_HOME=str(tmp_path / "child-data"))
    done = subprocess.run([sys.executable, "-c", LAYOUT_SCRIPT], cwd=ROOT, env=environment,
                          input=json.dumps(cases), capture_output=True, text=True, timeout=90)
    built = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    assert [b["name"] for b in built] == [name for name, _, _ in cases]
    shown = {b["name"]: b for b in built}
    assert shown["the saved layout"]["undo dock"] is True            # a good layout is restored
    # Restoring fits the window to the offscreen screen (800×600), but not below its minimum width
    # (the diagram's): the saved height shows that the saved geometry was used.
    assert shown["the saved geometry"]["height"] == 500 and shown["the saved geometry"]["width"] <= 1100
    for name, key, _ in cases[1:5]:
        assert shown[name]["undo dock"] is False, name               # the default layout
    for name in ("normal geometry 2**31 high", "frame 2**31 wide"):
        assert (shown[name]["width"], shown[name]["height"]) == (1280, 800), name   # the default size


def test_layouts_the_window_makes_are_restored(qtbot):
    """The checks above refuse only what the window never writes: docks tabbed,
    floating and hidden, a tool bar moved, all come back."""
    window = new_window(qtbot)
    tools = window.findChild(QToolBar, "trainingToolBar")
    window.undo_dock.show()
    window.dataset_dock.show()
    window.tabifyDockWidget(window.undo_dock, window.dataset_dock)
    window.removeToolBar(tools)
    window.addToolBar(Qt.ToolBarArea.LeftToolBarArea, tools)
    tools.show()
    assert window.close()
    later = new_window(qtbot)
    assert later.toolBarArea(later.findChild(QToolBar, "trainingToolBar")) == Qt.ToolBarArea.LeftToolBarArea
    assert later.tabifiedDockWidgets(later.undo_dock) == [later.dataset_dock]
    later.dataset_dock.setFloating(True)
    later.undo_dock.hide()
    assert later.close()
    third = new_window(qtbot)
    assert third.dataset_dock.isFloating() and third.dataset_dock.isVisible()
    assert not third.undo_dock.isVisible()


def test_a_settings_file_cut_short_or_re_encoded_gives_stored_or_default_values(qtbot, tmp_path, monkeypatch):
    window = new_window(qtbot)
    recent = [str(tmp_path / f"lesson {i}.bpe") for i in range(3)]
    for path in recent:
        (Path(path)).write_text(session_text())
        answer_open(monkeypatch, path)
        window.actionOpen.trigger()
    window.undo_dock.show()
    window.actionConfirmBranch.setChecked(False)
    window.walk.tolerance.setValue(2.5)
    assert window.close()
    path = settings_file()
    whole = path.read_bytes()
    stored = list(reversed(recent))
    later = new_window(qtbot)
    assert [a.text() for a in later.recent_menu.actions()] == stored
    variants = [whole[:cut] for cut in range(0, len(whole), max(1, len(whole) // 40))]
    variants += [codecs.BOM_UTF8 + whole, whole.decode().encode("utf-16"), whole.replace(b"\n", b"\r\n"),
                 whole.replace(b"=", b"=\x00", 3)]
    read = []
    for number, content in enumerate(variants):
        path.write_bytes(content)
        later.preferences.load(later)
        tolerance = later.walk.tolerance.value()    # the default, the stored 2.5, or it cut ("2.")
        assert tolerance == 1.0 or "2.5".startswith(f"{tolerance:g}"), (number, tolerance)
        entries = [a.text() for a in later.recent_menu.actions()]
        # A path cut short is still a path; the entries are the stored ones, or the first of them cut.
        assert all(any(s.startswith(e) for s in stored) for e in entries), (number, entries)
        assert len(entries) <= len(stored)
        read.append((tolerance, len(entries)))
    assert (1.0, 0) in read and (2.5, 3) in read     # each cut was read anew: some lost everything
    later.state.undo_stack.setClean()
