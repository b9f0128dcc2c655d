import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

# Before any Qt import: without a display Qt would abort the whole run.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# No test reaches the user's own settings or autosave, whatever fixtures it uses
# (tests/gui/conftest.py gives each window test folders of its own besides).
_HOME = tempfile.mkdtemp(prefix="backprop-explorer-tests-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# CI explores the same examples every run (a failure there is reproducible, never
# a flake); locally hypothesis keeps exploring new ones.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
