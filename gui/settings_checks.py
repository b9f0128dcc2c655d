"""What the window reads back from its settings, checked before Qt or the
window trusts it: the settings files themselves (looked at before QSettings
reads them), the saved geometry and layout (checked before Qt's restore
functions, which crash on some damaged values), and paths.
"""

import atexit
import os
import shutil
import stat
import struct
import sys
import tempfile

from PySide6.QtCore import QCoreApplication, QSettings


def looks_like_a_path(path):
    """Whether ``path`` (from a settings or session file, which may hold
    anything) can name a file: absolute, printable text of a sane length."""
    return isinstance(path, str) and 0 < len(path) <= 4096 and os.path.isabs(path) and path.isprintable()


# --- the settings files, and what Qt reads back from them -----------------------
#
# QSettings reads a whole file into memory, waits for ever on a pipe, and Qt's
# restoreGeometry/restoreState crash the process on some damaged values (a count of
# dock areas of -1, a rectangle 2**31 high).  So the files are looked at before
# QSettings reads them, and those two values are checked before Qt sees them.

MAX_SETTINGS_BYTES = 1 << 20     # a few recent paths and a window layout: a few kB
_PROBE = "backprop-explorer-settings-probe"


def settings_files():
    """The files QSettings() reads (the application's and the organization's,
    the user's and the system's), found without reading them."""
    if sys.platform.startswith(("win", "darwin")):
        return []   # the registry and property lists: not files QSettings parses itself
    organization, application = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    files = []
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        probe = QSettings(QSettings.Format.NativeFormat, scope, _PROBE, _PROBE).fileName()
        folder, suffix = os.path.dirname(os.path.dirname(probe)), os.path.splitext(probe)[1]
        if application:
            files.append(os.path.join(folder, organization, application + suffix))
        files.append(os.path.join(folder, organization + suffix))
    return list(dict.fromkeys(files))


def settings_problem():
    """``(file, reason)`` for the first settings file that must not be read, or None."""
    for path in settings_files():
        try:
            info = os.stat(path)
        except OSError:
            continue   # none there, or out of reach: QSettings reads it as empty
        if stat.S_ISDIR(info.st_mode):
            return path, "it is a folder, not a file"
        if not stat.S_ISREG(info.st_mode):
            return path, "it is not an ordinary file (a pipe or a device)"
        if info.st_size > MAX_SETTINGS_BYTES:
            return path, (f"it is {info.st_size / 2 ** 20:.1f} MB, far more than settings take "
                          f"(at most {MAX_SETTINGS_BYTES // 2 ** 20} MB)")
    return None


def keep_settings_elsewhere():
    """From now on, QSettings in this process reads and writes a private empty
    folder (removed at exit), so that the files it would read stay untouched."""
    folder = tempfile.mkdtemp(prefix="backprop-explorer-settings-")
    atexit.register(shutil.rmtree, folder, True)
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(kind, scope, folder)
    return folder


class _Bad(Exception):
    """A window geometry or layout that Qt must not be given."""


class _Reader:
    """QDataStream's big-endian values, one after another; _Bad for one that is
    cut short or out of ``low``…``high``."""

    def __init__(self, data):
        self.data, self.at = bytes(data), 0

    def take(self, form):
        size = struct.calcsize(form)
        if self.at + size > len(self.data):
            raise _Bad("cut short")
        value, = struct.unpack_from(form, self.data, self.at)
        self.at += size
        return value

    def int(self, low=-2 ** 31, high=2 ** 31 - 1):
        value = self.take(">i")
        if not low <= value <= high:
            raise _Bad(f"{value} out of range")
        return value

    def byte(self, *allowed):
        value = self.take(">B")
        if allowed and value not in allowed:
            raise _Bad(f"byte {value:#x}")
        return value

    def skip_name(self):
        """A QString (an object's name): its length in bytes, or 0xFFFFFFFF for none, then UTF-16."""
        size = self.take(">I")
        if size != 0xFFFFFFFF:
            if size % 2 or size > 512 or self.at + size > len(self.data):
                raise _Bad("a name of a bad length")
            self.at += size

    def done(self):
        return self.at == len(self.data)


_SPAN = 100_000            # pixels: more than any screen's width, position or size
_MANY = 64                 # dock areas, lines, items: more than a window has
_DEPTH = 16                # nested splits of a dock area


def geometry_ok(data):
    """Whether ``data`` is a geometry QWidget.saveGeometry writes (format 1 to 3),
    with every rectangle within reach of a screen."""
    try:
        read = _Reader(data)
        if read.take(">I") != 0x1D9D0CB:
            return False
        major, _ = read.take(">H"), read.take(">H")
        if not 1 <= major <= 3:
            return False

        def rect():
            left, top = read.int(-_SPAN, _SPAN), read.int(-_SPAN, _SPAN)
            read.int(left - 1, left + _SPAN), read.int(top - 1, top + _SPAN)
        rect(), rect()
        read.int(-1, _MANY)         # the screen
        read.byte(0, 1, 2)          # maximized
        read.byte(0, 1, 4)          # full screen
        if major > 1:
            read.int(0, _SPAN)      # the screen's width
        if major > 2:
            rect()
        return read.done()
    except _Bad:
        return False


def _dock_info(read, depth):
    if depth > _DEPTH:
        raise _Bad("nested too deeply")
    if read.byte(0xFA, 0xFC) == 0xFA:     # tabbed (with the current tab), or a sequence
        read.int(-1, _MANY)
    read.byte(1, 2)                        # the orientation
    for _ in range(read.int(0, _MANY)):
        if read.byte(0xFB, 0xFC) == 0xFB:  # a dock widget (or its place), by name
            read.skip_name()
            floating = read.byte(0, 1, 2, 3) & 2
            if floating:
                read.int(-_SPAN, _SPAN), read.int(-_SPAN, _SPAN), read.int(0, _SPAN), read.int(0, _SPAN)
            else:
                read.int(-1, _SPAN), read.int(-1, _SPAN), read.int(), read.int()
        else:                              # a nested split
            read.int(-1, _SPAN), read.int(-1, _SPAN), read.int(), read.int()
            _dock_info(read, depth + 1)


def window_state_ok(data):
    """Whether ``data`` is a layout QMainWindow.saveState(0) writes, in the
    format Qt 5 and 6 use: every count, index and marker Qt reads without
    checking within what a window has, and every size within reach of a screen."""
    try:
        read = _Reader(data)
        if read.int() != 0xFF or read.int() != 0:    # the marker, and our version 0
            return False
        for _ in range(_MANY):
            if read.done():
                return True
            marker = read.byte(0xFD, 0xF9, 0xFE, 0xFC)
            if marker == 0xFD:                       # the dock areas
                areas = set()
                for _ in range(read.int(0, 4)):
                    area = read.int(0, 3)
                    if area in areas:
                        return False
                    areas.add(area)
                    read.int(-1, _SPAN), read.int(-1, _SPAN)
                    _dock_info(read, 0)
                read.int(-1, _SPAN), read.int(-1, _SPAN)    # the central widget's size
                for _ in range(4):
                    read.int(1, 8)                          # the corners' areas
            elif marker == 0xF9:                     # a floating group of tabbed docks
                left, top = read.int(-_SPAN, _SPAN), read.int(-_SPAN, _SPAN)
                read.int(left - 1, left + _SPAN), read.int(top - 1, top + _SPAN)
                _dock_info(read, 0)
            else:                                    # the tool bars
                for _ in range(read.int(0, _MANY)):
                    read.int(0, 3)                   # the area
                    for _ in range(read.int(0, _MANY)):
                        read.skip_name()
                        read.byte(0, 1, 2, 3)                # shown, vertical
                        read.int(-_SPAN, _SPAN), read.int(-1, _SPAN)
                        read.take(">I")                      # a floating one's packed geometry
                        if marker == 0xFC:
                            read.take(">I")
        return False
    except _Bad:
        return False
