"""What the window reads back from its settings, checked before Qt or the
window trusts it: the settings files themselves (looked at before QSettings
reads them), the saved geometry and layout (checked before Qt's restore
functions, which crash on some damaged values), and paths.
"""

import atexit
import os
import re
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
        data, reason = _read_small_file(path)
        reason = reason or (foreign_value(data) if data else None)
        if reason:
            return path, reason
    return None


def _read_small_file(path):
    """``(bytes, None)``; ``(None, None)`` when it cannot be read (QSettings then
    reads it as empty); ``(None, reason)`` when it changed since it was looked at.
    Opened without blocking and checked again once open: the file may have been
    swapped for a pipe, or grown."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None, None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            return None, "it is not an ordinary file (a pipe or a device)"
        with os.fdopen(os.dup(handle), "rb") as file:
            data = file.read(MAX_SETTINGS_BYTES + 1)
    except OSError:
        return None, None
    finally:
        os.close(handle)
    if len(data) > MAX_SETTINGS_BYTES:
        return None, f"it grew past {MAX_SETTINGS_BYTES // 2 ** 20} MB while it was read"
    return data, None


# --- what the file holds, read the way QSettings reads an INI file ----------------
#
# QSettings turns a value "@Variant(…)" or "@DateTime(…)" into a QVariant with
# QDataStream, which trusts the counts it reads: a list "of 2**31 items" in 10 bytes
# aborts the process (std::bad_alloc) before any check of ours could run.  The window
# writes only plain texts and numbers, and "@ByteArray(…)" for its geometry and
# layout, so a file holding anything else was not written by it and is not read.
# The parsing below follows Qt 6's qsettings.cpp (readIniLine, iniUnescapedKey,
# iniUnescapedStringList), so that escapes ("\x40Variant(") or quotes cannot hide a
# value from this check and still reach QDataStream.

DECODED_BY_QDATASTREAM = ("@Variant(", "@DateTime(")
BYTE_ARRAY_KEYS = ("geometry", "windowState")
_SPACE = b" \t\n\r"
_SPECIAL = re.compile(rb'[\n\r"=;\\]')
_ESCAPES = {ord(k): v for k, v in zip("abfnrtv\"?'\\", "\a\b\f\n\r\t\v\"?'\\")}


def _ini_lines(data):
    """``(line, index of its '=' or -1)`` for each line of ``data``, as Qt's
    readIniLine splits them: a quoted value and an escaped line end go on."""
    size, position = len(data), 0
    while True:
        start = position
        while start < size and data[start] in _SPACE:
            start += 1
        at, quoted, equals = start, False, -1
        while at < size:
            special = _SPECIAL.search(data, at)
            if special is None:
                at = size
                break
            char, at = data[special.start()], special.start() + 1
            if char == 0x3D:                                   # =
                if not quoted and equals == -1:
                    equals = at - 1
            elif char in (0x0A, 0x0D):
                if at == start + 1:
                    start += 1
                elif not quoted:
                    at -= 1
                    break
            elif char == 0x5C:                                 # a backslash: the next byte is taken
                if at < size:
                    first = data[at]
                    at += 1
                    if at < size and {first, data[at]} == {0x0A, 0x0D}:
                        at += 1
            elif char == 0x22:                                 # "
                quoted = not quoted
            elif at == start + 1:                              # ; at the start: a comment line
                while at < size and data[at] not in (0x0A, 0x0D):
                    at += 1
                while at < size and data[at] in _SPACE:
                    at += 1
                start = at
            elif not quoted:
                at -= 1
                break
        position = at
        if at <= start:
            return
        yield data[start:at], (equals - start if equals >= 0 else -1)


def _ini_key(raw):
    """A key or section name as Qt's iniUnescapedKey reads it: '\\' for '/',
    %XX and %UXXXX for other characters."""
    text, out, at = raw.decode("utf-8", "replace"), [], 0
    while at < len(text):
        char = text[at]
        if char == "\\":
            out.append("/")
            at += 1
            continue
        if char != "%" or at == len(text) - 1:
            out.append(char)
            at += 1
            continue
        digits = 4 if text[at + 1] == "U" else 2
        first = at + 1 + (digits == 4)
        code = text[first:first + digits]
        if len(code) == digits and all(c in "0123456789abcdefABCDEF" for c in code):
            out.append(chr(int(code, 16)))
            at = first + digits
        else:
            out.append("%")
            at += 1
    return "".join(out)


def _ini_values(raw):
    """The texts a value stands for (several for a list), unescaped as Qt's
    iniUnescapedStringList does: C escapes (\\x and octal ones of any length,
    kept to 16 bits), quotes, commas between list items."""
    items, current, at, size = [], [], 0, len(raw)
    quoted = is_list = current_quoted = False
    chop_limit = 0

    def chop_trailing_spaces():
        while len(current) > chop_limit and current[-1] in (" ", "\t"):
            current.pop()

    skip_spaces = True
    while True:
        if skip_spaces:
            while at < size and raw[at] in (0x20, 0x09):
                at += 1
            skip_spaces = False
            chop_limit = len(current)
        if at >= size:
            if not current_quoted:
                chop_trailing_spaces()
            break
        char = raw[at]
        if char == 0x5C:
            at += 1
            if at >= size:
                break
            escaped = raw[at]
            at += 1
            if escaped in _ESCAPES:
                current.append(_ESCAPES[escaped])
                chop_limit = len(current)
                continue
            if escaped in b"x01234567":
                hex_escape = escaped == ord("x")
                digits = "0123456789abcdefABCDEF" if hex_escape else "01234567"
                if hex_escape and (at >= size or chr(raw[at]) not in digits):
                    chop_limit = len(current)
                    continue    # "\x" and no digit: nothing
                value = 0 if hex_escape else escaped - ord("0")
                while at < size and chr(raw[at]) in digits:
                    value = ((value << (4 if hex_escape else 3)) + int(chr(raw[at]), 16)) & 0xFFFF
                    at += 1
                current.append(chr(value))
                chop_limit = len(current)
                continue
            if escaped in (0x0A, 0x0D) and at < size and raw[at] in (0x0A, 0x0D) and raw[at] != escaped:
                at += 1
            chop_limit = len(current)      # any other escaped byte is dropped
        elif char == 0x22:
            at += 1
            current_quoted = True
            quoted = not quoted
            skip_spaces = not quoted
        elif char == 0x2C and not quoted:
            if not current_quoted:
                chop_trailing_spaces()
            is_list = True
            items.append("".join(current))
            current, current_quoted = [], False
            at += 1
            skip_spaces = True
        else:
            end = at + 1
            while end < size and raw[end] not in (0x5C, 0x22, 0x2C):
                end += 1
            current.extend(raw[at:end].decode("utf-8", "replace"))
            at = end
    items.append("".join(current))
    return items if is_list else items[-1:]


def _ini_entries(data):
    """``(key, [texts])`` for every entry of an INI file, keys with their
    section ("group/key"; [General] is no section), as QSettings reads them."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    section = ""
    for line, equals in _ini_lines(data):
        if line.startswith(b"["):
            end = line.find(b"]")
            name = line[1:end if end >= 0 else len(line)].strip()
            if name.lower() == b"general":
                section = ""
            elif name.lower() == b"%general":
                section = name[1:].decode("latin-1") + "/"
            else:
                section = _ini_key(name) + "/"
        elif equals >= 0:
            yield section + _ini_key(line[:equals].strip()), _ini_values(line[equals + 1:])


def _named(key):
    shown = key if key.isprintable() and len(key) <= 40 else ascii(key[:40])[1:-1]
    return f"“{shown}”"


def foreign_value(data):
    """Why QSettings must not read the INI file ``data`` (bytes), or None: it
    holds a value the window never writes and Qt would decode unchecked."""
    for key, texts in _ini_entries(data):
        for text in texts:
            # Anywhere in the text, not only at its start: a wider net than Qt's,
            # against any way this reading could differ from Qt's.
            marker = next((m for m in DECODED_BY_QDATASTREAM if m in text), None)
            if marker:
                return (f"it holds a value “{marker}…)” under {_named(key)}, a kind Backprop Explorer "
                        "never writes and Qt decodes without checking")
            if text.startswith("@ByteArray(") and key not in BYTE_ARRAY_KEYS:
                return (f"it holds binary data (“@ByteArray(…)”) under {_named(key)}, "
                        "where Backprop Explorer writes only text and numbers")
    raw = next((m for m in DECODED_BY_QDATASTREAM if m.encode() in data), None)
    if raw:   # in the bytes, yet not in any value: this reading missed something Qt may not
        return (f"it holds “{raw}…)”, a kind of value Backprop Explorer never writes "
                "and Qt decodes without checking")
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
