"""The engine and the command line import neither Qt nor the GUI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "gui")


def _fresh(code, tmp_path=None):
    """Run ``code`` in a fresh interpreter at the repo root; return its JSON."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _forbidden(modules):
    return sorted(m for m in modules if m.split(".")[0] in FORBIDDEN)


def test_importing_engine_loads_no_qt_and_no_gui():
    code = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "import engine, engine.cli, engine.csvio, engine.gradcheck\n"
        "new = sorted(set(sys.modules) - before)\n"
        "print(json.dumps({'all': sorted(sys.modules), 'new': new,"
        " 'stdlib': sorted(sys.stdlib_module_names)}))\n"
    )
    result = _fresh(code)
    assert "engine.cli" in result["all"]  # the import really happened
    assert _forbidden(result["all"]) == []
    # numpy and the standard library only.
    allowed = set(result["stdlib"]) | {"numpy", "engine"}
    foreign = sorted({m.split(".")[0] for m in result["new"]} - allowed)
    assert foreign == []


def test_forbidden_check_is_not_vacuous():
    # The same check sees the GUI stack when it is imported.
    pytest.importorskip("pyqtgraph")
    result = _fresh("import sys, json, os\nos.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
                    "import pyqtgraph\nprint(json.dumps(sorted(sys.modules)))")
    assert "pyqtgraph" in _forbidden(result)


def test_headless_main_and_cli_run_do_not_import_qt(tmp_path):
    out1, out2 = tmp_path / "d.csv", tmp_path / "t.csv"
    code = (
        "import sys, json\n"
        "import main\n"
        "from engine.cli import run\n"
        f"rc1 = run(['derive', '--steps', '2', '-o', {str(out1)!r}])\n"
        f"rc2 = main.main(['train', '--steps', '5', '-o', {str(out2)!r}])\n"
        "print(json.dumps({'rc': [rc1, rc2], 'modules': sorted(sys.modules)}))\n"
    )
    result = _fresh(code)
    assert result["rc"] == [0, 0]
    assert out1.exists() and out2.exists()
    assert _forbidden(result["modules"]) == []
