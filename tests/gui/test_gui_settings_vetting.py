"""Settings files holding values Qt would decode unchecked (issue 11).

QSettings turns an INI value "@Variant(…)" (or "@DateTime(…)") into a QVariant
with QDataStream, which allocates whatever count it reads before checking it.
On the code before this check, each of the two files of HOSTILE below aborted
every start of the window: the child printed ``terminate called after throwing
an instance of 'std::bad_alloc'`` and exited with 134 (SIGABRT), the
"a damaged settings file falls back to the defaults" of the README broken.
Now the file's raw bytes are read first (gui.settings_checks.foreign_value),
and a file holding such a value goes the "Settings not read" way: defaults,
the file left as it is, the window saying so.
"""

import itertools
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QSettings

from gui.session_controller import name_application
from gui.settings_checks import _ini_entries, foreign_value, settings_problem
from helpers import new_window

ROOT = Path(__file__).resolve().parents[2]

# The bytes of each file, as the issue gives them: INI escapes, not binary.
HOSTILE = {
    # 0x0b: a QStringList, of 0xfffffff0 strings
    "recentFiles, 57 bytes": b"[General]\nrecentFiles=@Variant(\\0\\0\\0\\v\\xff\\xff\\xff\\xf0)\n",
    # 0x09: a QVariantList, of 0x7fffffff values
    "tolerance, a list of 2**31 - 1": b"[General]\ntolerance=@Variant(\\0\\0\\0\\t\\x7f\\xff\\xff\\xff)\n",
}

# The window started as gui.app starts it, every message box answered and recorded.
CHILD = textwrap.dedent("""
    import json
    from PySide6.QtWidgets import QApplication, QMessageBox
    app = QApplication([])
    shown = []
    for kind in ("critical", "warning", "information", "question"):
        setattr(QMessageBox, kind, staticmethod(
            lambda *args, _kind=kind, **kwargs: shown.append([_kind, args[1], args[2]])
            or QMessageBox.StandardButton.Ok))
    from gui import MainWindow
    from gui.session_controller import name_application
    name_application(always=True)
    window = MainWindow()
    window.show()
    app.processEvents()
    print(json.dumps({"shown": shown, "tolerance": window.walk.tolerance.value(),
                      "recent": [a.text() for a in window.recent_menu.actions()]}), flush=True)
    window.walk.tolerance.setValue(3.5)   # a preference changed: closing stores it, elsewhere
    window.close()
    app.processEvents()
""")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_settings_file_that_crashed_qt_gives_defaults_and_is_left_alone(tmp_path, name):
    config = tmp_path / "config"
    path = config / "Backprop Explorer" / "Backprop Explorer.conf"
    path.parent.mkdir(parents=True)
    path.write_bytes(HOSTILE[name])
    before = os.stat(path)
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(config),
                       XDG_DATA_HOME=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    report = json.loads(done.stdout.splitlines()[-1])
    assert len(report["shown"]) == 1, report["shown"]
    kind, title, message = report["shown"][0]
    assert (kind, title) == ("warning", "Settings not read")
    assert str(path) in message and "@Variant(" in message, message
    assert report["tolerance"] == 1.0 and report["recent"] == []
    assert path.read_bytes() == HOSTILE[name]
    after = os.stat(path)
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


# --- the check itself, in this process --------------------------------------------------
#
# Each disguise carries a harmless payload, a QVariant int 5, so that QSettings itself
# can show that it would decode the value with QDataStream (it gives back 5, not a text).
FIVE = r"\0\0\0\x2\0\0\0\x5"
DISGUISED = {
    "plain": f"[General]\nrecentFiles=@Variant({FIVE})\n",
    "hex escape for @": f"[General]\nrecentFiles=\\x40Variant({FIVE})\n",
    "16-bit hex escape for @": f"[General]\nrecentFiles=\\x10040Variant({FIVE})\n",
    "octal escape for @": f"[General]\nrecentFiles=\\100Variant({FIVE})\n",
    "octal escape for V": f"[General]\nrecentFiles=@\\126ariant({FIVE})\n",
    "a dropped escape inside": f"[General]\nrecentFiles=@Var\\ziant({FIVE})\n",
    "quotes inside": f"[General]\nrecentFiles=\"@Var\"\"iant({FIVE})\"\n",
    "a line continued": f"[General]\nrecentFiles=@Vari\\\nant({FIVE})\n",
    "second item of a list": f"[General]\nrecentFiles=/a.bpe, @Variant({FIVE})\n",
    "another section": f"[General]\ntolerance=2\n[lessons]\nlast=@Variant({FIVE})\n",
    "no section, spaces": f"  tolerance  =   @Variant({FIVE})\n",
    "after a UTF-8 BOM": f"\ufeff[General]\ntolerance=@Variant({FIVE})\n",
    "CR line ends": f"[General]\r\ntolerance=2\r\nconfirmBranch=@Variant({FIVE})\r\n",
}


@pytest.mark.parametrize("name", list(DISGUISED))
def test_disguised_variants_that_qt_would_decode_are_refused(tmp_path, name):
    text = DISGUISED[name]
    path = tmp_path / "disguised.ini"
    path.write_bytes(text.encode())
    qt = QSettings(str(path), QSettings.Format.IniFormat)
    decoded = [qt.value(key) for key in qt.allKeys()]
    assert 5 in decoded or any(isinstance(v, list) and 5 in v for v in decoded), decoded
    reason = foreign_value(text.encode())
    assert reason and "@Variant(" in reason, reason


@pytest.mark.parametrize("text, words", [
    (b"[General]\nwhen=@DateTime(\\0\\0\\0\\0)\n", "@DateTime("),
    (b"[General]\nrecentFiles=@ByteArray(/a.bpe)\n", "recentFiles"),
    (b"[General]\nconfirmBranch=@ByteArray(false)\n", "confirmBranch"),
    (b"[other]\ngeometry=@ByteArray(\\x1)\n", "other/geometry"),      # not the window's geometry
    (b"[General]\nGeometry=@ByteArray(\\x1)\n", "Geometry"),          # keys are case-sensitive
    (b"[General]\ngeometry=@ByteArray(x), @Variant(\\0)\n", "@Variant("),
    (b"[General]\n; a comment\nx=\"a, b\", \"@Variant(\\0)\"\n", "@Variant("),
    (b"[General]\n; @Variant( in a comment is never decoded, yet not written by the window\n", "@Variant("),
])
def test_values_the_window_never_writes_are_refused(text, words):
    reason = foreign_value(text)
    assert reason and words in reason, reason


@pytest.mark.parametrize("text", [
    b"",
    b"[General]\ngeometry=@ByteArray(\\x1\\xd9\\xd0\\xcb\\0\\x3)\nwindowState=@ByteArray(\\0\\0\\0\\xff)\n",
    b"[General]\nconfirmBranch=false\ntolerance=2.5\nadvancedShown=true\nrecentFiles=@Invalid()\n",
    b"[General]\nrecentFiles=/home/me@work/a.bpe, \"/x/b, c.bpe\", /y/@Rect.bpe\n",
    b"[General]\nrecentFiles=@@home.bpe\n",                             # Qt's escape of a leading @
    b"[General]\ntolerance=@Rect(1 2 3 4)\nconfirmBranch=@Invalid()\n",  # parsed by Qt as text: harmless
    bytes(range(256)) * 4,                                              # garbage without a marker
])
def test_what_the_window_writes_and_harmless_junk_pass(text):
    assert foreign_value(text) is None


def test_the_file_the_window_writes_is_read_back_without_a_warning(qtbot, tmp_path, no_modal_dialogs):
    window = new_window(qtbot)
    window.undo_dock.show()
    window.walk.tolerance.setValue(2.5)
    window.actionConfirmBranch.setChecked(False)
    for name in ("a.bpe", "me@work.bpe", "x, y.bpe"):
        window.preferences.remember_recent(str(tmp_path / name))
    assert window.close()
    name_application()
    written = Path(QSettings().fileName()).read_bytes()
    assert b"@ByteArray(" in written and b"@Variant(" not in written
    assert settings_problem() is None
    later = new_window(qtbot)
    assert [kind for kind, _ in no_modal_dialogs] == []
    assert later.walk.tolerance.value() == 2.5 and not later.actionConfirmBranch.isChecked()
    assert later.undo_dock.isVisible()
    assert len(later.recent_menu.actions()) == 3


def test_a_hostile_organization_file_is_refused_too(qtbot, no_modal_dialogs):
    name_application()
    path = Path(QSettings().fileName())
    organization = path.parent.parent / (path.parent.name + path.suffix)
    organization.parent.mkdir(parents=True, exist_ok=True)
    organization.write_bytes(HOSTILE["tolerance, a list of 2**31 - 1"])
    window = new_window(qtbot)
    warnings = [args for kind, args in no_modal_dialogs if kind == "warning"]
    assert len(warnings) == 1 and str(organization) in warnings[0][2]
    assert window.walk.tolerance.value() == 1.0
    assert organization.read_bytes() == HOSTILE["tolerance, a list of 2**31 - 1"]


# --- the reading of INI files, against Qt's own ------------------------------------------

PIECES = st.sampled_from(["a", "k", "=", ";", '"', "\\", ",", "\n", "\r", " ", "\t", "x", "4", "0", "7",
                          "[", "]", "é", "G", "\\x4", "\\n", "\\\n", "[General]\n", "[s]\n", "key=", "\n"])
_FILES = itertools.count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(PIECES, max_size=40).map("".join))
def test_entries_are_read_as_qt_reads_them(tmp_path, text):
    """Where Qt gives a key a text or a list of texts, this reading gives the
    same: the check above sees the values Qt would decode, not other ones."""
    path = tmp_path / f"random-{next(_FILES)}.ini"   # a new name: QSettings caches a file by its name
    path.write_bytes(text.encode())
    qt = QSettings(str(path), QSettings.Format.IniFormat)
    ours = {}
    for key, texts in _ini_entries(text.encode()):
        ours[key] = texts                         # Qt (6.11) keeps the last of a repeated key
    for key in qt.allKeys():
        if not key or re.sub("/+", "/", key).strip("/") != key:
            continue   # Qt cannot look up an empty or unnormalized key by its name
        value, texts = qt.value(key), ours.get(key)
        assert texts is not None, (key, text)
        assert value == (texts if isinstance(value, list) else texts[0]), (key, text)
