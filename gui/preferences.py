"""The window's preferences, each declared once with its type, default and
the values it may take.  Kept in QSettings between runs, read back vetted (a
missing or damaged value gives the default); the widgets and actions that edit
one show it, and what depends on it follows its ``changed`` signal.  Speed and
the log axis are not kept between runs: each session carries its own."""

import math
import os
import re
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QSettings, QSignalBlocker, Signal
from PySide6.QtWidgets import QMessageBox

from .presentation import SCALES
from .runner import FASTEST
from .theme import MODES as THEMES
from .settings_checks import (geometry_ok, keep_settings_elsewhere, looks_like_a_path, settings_problem,
                              window_state_ok)

APPLICATION = "Backprop Explorer"
SPEEDS = (("1 step/s", 1), ("10 steps/s", 10), ("100 steps/s", 100), ("1,000 steps/s", 1000),
          ("10,000 steps/s", 10000), ("As fast as possible", FASTEST))
RECENT_KEY = "recentFiles"
MAX_RECENT = 8


def name_application(always=False):
    """QSettings and the data folder are named after the application: set the
    names before either is first used, also when a script builds the window.
    Qt's default name is the program's file (``main.py``, ``python3``): replace
    that, but not a name a host program chose, unless ``always``."""
    default = {"", os.path.basename(sys.argv[0]) if sys.argv else "", "python", "python3"}
    if always or not QCoreApplication.organizationName():
        QCoreApplication.setOrganizationName(APPLICATION)
    if always or QCoreApplication.applicationName() in default:
        QCoreApplication.setApplicationName(APPLICATION)


_NUMBER_TEXT = {float: re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", re.ASCII),
                int: re.compile(r"[+-]?\d{1,18}", re.ASCII)}
_BOOL_TEXT = {"true": True, "1": True, "false": False, "0": False}


def _from_text(text, kind):
    """An INI file's text as ``kind``, or None.  Converted here, not by QSettings:
    it turns any unreadable text into False or 0.0.  Plain decimal notation only:
    Python would also read 1_000, "inf" or other scripts' digits."""
    text = text.strip().lower()
    if kind is bool:
        return _BOOL_TEXT.get(text)
    if not _NUMBER_TEXT[kind].fullmatch(text):
        return None
    try:
        return kind(text)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Preference:
    """One preference: read and set as an attribute of :class:`Preferences`."""
    kind: type
    default: object
    key: str | None = None        # its QSettings key; None: not kept between runs
    session: bool = False         # carried by a session file, under the preference's name
    low: float | None = None      # the range of a number
    high: float | None = None
    decimals: int | None = None   # as its box shows it: the value used is the one shown
    choices: tuple = ()

    def __set_name__(self, owner, name):
        object.__setattr__(self, "name", name)

    def __get__(self, preferences, owner=None):
        return self if preferences is None else preferences._values[self.name]

    def __set__(self, preferences, value):
        preferences.set(self.name, value)

    def accepts(self, value):
        """Whether ``value`` may be this preference: its very type (a session
        file's 1000.0 or true is no speed), within its range or choices."""
        if self.kind is float:
            if type(value) not in (int, float) or not math.isfinite(value):
                return False
        elif type(value) is not self.kind:
            return False
        if self.low is not None and not self.low <= value <= self.high:
            return False
        return not self.choices or value in self.choices

    def normal(self, value):
        if self.kind is float:
            value = float(value)
            if self.decimals is None:
                return value
            # Rounded as QDoubleSpinBox rounds (an exact half away from zero), not as round() does.
            return float(Decimal(value).quantize(Decimal(1).scaleb(-self.decimals), ROUND_HALF_UP))
        return value


class Preferences(QObject):
    """Every preference of one window.  ``changed(name)`` after one changes."""
    changed = Signal(str)
    recentChanged = Signal()

    speed = Preference(int, 100, session=True, choices=tuple(rate for _, rate in SPEEDS))   # steps/s
    log_scale = Preference(bool, False, session=True)                  # the loss on a log axis
    confirm_branch = Preference(bool, True, key="confirmBranch")       # ask before dropping later states
    tolerance = Preference(float, 1.0, key="tolerance", low=0.01, high=50.0, decimals=2)   # a prediction's, %
    advanced_shown = Preference(bool, False, key="advancedShown")      # the optimizer's section unfolded
    # How much larger presentation mode draws what a class reads: the teacher's choice for the room.
    presentation_scale = Preference(float, SCALES[0], key="presentationScale", choices=SCALES)
    # View → Theme: follow the desktop, or force light or dark (gui/theme.py).
    theme = Preference(str, "system", key="theme", choices=THEMES)

    def __init__(self, parent=None):
        super().__init__(parent)
        name_application()
        self._declared = {name: p for name, p in vars(Preferences).items() if isinstance(p, Preference)}
        self._values = {name: p.default for name, p in self._declared.items()}

    def set(self, name, value):
        declared = self._declared[name]
        if not declared.accepts(value):
            raise ValueError(f"{value!r} is no {name} preference")
        value = declared.normal(value)
        if value != self._values[name]:
            self._values[name] = value
            self.changed.emit(name)

    def follow(self, name, show, widget=None):
        """``show(value)`` now and after each change of preference ``name``;
        with ``widget``, its signals blocked meanwhile, so that showing the
        preference is not taken for an edit of it."""
        def shown(changed=name):
            if changed == name:
                with QSignalBlocker(widget) if widget is not None else nullcontext():
                    show(self._values[name])
        self.changed.connect(shown)
        shown()

    # --- sessions ---------------------------------------------------------
    def session_settings(self):
        return {name: self._values[name] for name, p in self._declared.items() if p.session}

    def take_session_settings(self, values):
        """The ones a session file holds; a missing or damaged one leaves the preference as it is."""
        for name, declared in self._declared.items():
            if declared.session and declared.accepts(values.get(name)):
                self.set(name, values[name])

    # --- QSettings ----------------------------------------------------------
    def load(self, window=None):
        """Every kept preference, and ``window``'s geometry and layout, from the
        settings; each one missing or damaged gets its default.  A settings
        file that must not be read (huge, a folder, a pipe) is left as it is,
        said so, and this run keeps its settings elsewhere."""
        problem = settings_problem()
        if problem:
            keep_settings_elsewhere()
            QMessageBox.warning(
                window, "Settings not read",
                f"The settings file {problem[0]} was not read: {problem[1]}.\n\n"
                "Backprop Explorer starts with its default settings and leaves that file as it is; "
                "preferences changed now are not kept.")
        settings = QSettings()
        if window is not None:
            # Checked first: Qt's restore functions crash the process on some damaged values.
            geometry = settings.value("geometry")
            if isinstance(geometry, QByteArray) and geometry_ok(geometry.data()):
                window.restoreGeometry(geometry)
            layout = settings.value("windowState")
            if isinstance(layout, QByteArray) and window_state_ok(layout.data()):
                window.restoreState(layout)
        for name, declared in self._declared.items():
            if declared.key is not None:
                value = settings.value(declared.key)
                if isinstance(value, str) and declared.kind is not str:   # an INI file gives texts back
                    value = _from_text(value, declared.kind)
                self.set(name, value if declared.accepts(value) else declared.default)
        self.recentChanged.emit()

    def save(self, window=None):
        settings = QSettings()
        if window is not None:
            settings.setValue("geometry", window.saveGeometry())
            settings.setValue("windowState", window.saveState())
        for name, declared in self._declared.items():
            if declared.key is not None:
                settings.setValue(declared.key, self._values[name])

    # --- recent files: read from the settings each time, which other windows share ----
    def recent_files(self):
        """The recent sessions: a list of absolute paths, at most MAX_RECENT.
        A hand-edited or damaged entry (a number, a relative name, control
        characters) is left out; anything but a list of texts gives none."""
        value = QSettings().value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value]   # an INI file gives a list of one back as its one text
        if not isinstance(value, list):
            return []
        return list(dict.fromkeys(p for p in value if looks_like_a_path(p)))[:MAX_RECENT]

    def remember_recent(self, path):
        path = os.path.abspath(path)
        recent = [path] + [p for p in self.recent_files() if p != path]
        QSettings().setValue(RECENT_KEY, recent[:MAX_RECENT])
        self.recentChanged.emit()
