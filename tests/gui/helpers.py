"""What a test reads off the window, and what it compares it with."""

import io
import math
import traceback

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from engine import DEFAULTS, PARAMS, Trainer, derive, session
from engine.timeline import Timeline
from gui import MainWindow


def new_window(qtbot):
    """Another shown window (the ``window`` fixture gives the first)."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def shown_terms(window):
    """{term id: (displayed value, tooltip)} of the derivation table."""
    model = window.table.model()
    rows = {}
    for row in model.term_rows():
        term_id = model.index(row, 0).data(Qt.ItemDataRole.UserRole)
        value = model.index(row, 3)
        rows[term_id] = (value.data(), value.data(Qt.ItemDataRole.ToolTipRole),
                         model.index(row, 0).data(), model.index(row, 1).data(), model.index(row, 2).data())
    return rows


def assert_table_matches(window, derivation):
    shown = shown_terms(window)
    assert list(shown) == [t.id for t in derivation]
    for term in derivation:
        text, tip, symbol, formula, substitution = shown[term.id]
        assert float(tip.split("\n")[0]) == term.value   # the exact value leads the tooltip
        assert math.isclose(float(text.replace("−", "-")), term.value, rel_tol=1e-5, abs_tol=1e-300)
        assert (symbol, formula, substitution) == (term.symbol, term.formula, term.substitution)


def assert_spinboxes_match(window, values):
    for name, value in values.items():
        box = window.parameters.spinboxes[name]
        assert math.isclose(box.value(), value, abs_tol=0.5 * 10 ** -box.decimals()), name


def assert_diagram_matches(window, values, derivation):
    texts = window.diagram.texts

    def shown(key):
        return float(texts[key].text().split(" = ")[1].replace("−", "-"))
    for name in PARAMS:
        assert math.isclose(shown(f"{name}.value"), values[name], rel_tol=1e-3)
        assert math.isclose(shown(f"{name}.grad"), derivation.value(f"dL/d{name}"), rel_tol=1e-3)
    for node in ("h1", "h2", "yhat", "L"):
        assert math.isclose(shown(f"{node}.value"), derivation.value(node), rel_tol=1e-3)
    for node, gradient in (("h1", "dL/dh1"), ("h2", "dL/dh2"), ("yhat", "dL/dyhat")):
        assert math.isclose(shown(f"{node}.grad"), derivation.value(gradient), rel_tol=1e-3)


def fresh_derivation(values):
    return derive({p: values[p] for p in PARAMS}, [values["x"]], [values["y"]], values["alpha"])


class Clock:
    """A clock the test moves: what the window times by it is then counted, not timed."""
    now = 100.0

    def __call__(self):
        return self.now


def reference_trainer(steps=0, values=DEFAULTS, **options):
    """The engine's own run of ``steps`` updates from ``values`` (the worked example)."""
    trainer = Trainer({p: values[p] for p in PARAMS}, values["x"], values["y"], values["alpha"], **options)
    trainer.run(steps)
    return trainer


def session_text(settings=None, steps=3, cursor=1):
    """A valid session file of the worked example trained ``steps`` times."""
    stream = io.StringIO()
    session.dump(stream, Timeline(reference_trainer(steps)), cursor,
                 {"speed": 100, "log_scale": False} if settings is None else settings)
    return stream.getvalue()


def _answer_file_dialog(monkeypatch, dialog_name, path):
    calls = []

    def dialog(*args, **kwargs):
        calls.append(args)
        return (str(path), "") if path else ("", "")
    monkeypatch.setattr(QFileDialog, dialog_name, dialog)
    return calls


def answer_save(monkeypatch, path):
    """The Save dialog answers ``path`` (None: the learner cancels); returns the calls made to it."""
    return _answer_file_dialog(monkeypatch, "getSaveFileName", path)


def answer_open(monkeypatch, path):
    """The Open dialog answers ``path`` (None: the learner cancels); returns the calls made to it."""
    return _answer_file_dialog(monkeypatch, "getOpenFileName", path)


def criticals(shown):
    return [args for kind, args in shown if kind == "critical"]


def snapshot(window):
    """Everything about the open session a refused file must leave as it was."""
    state, stack = window.state, window.state.undo_stack
    return {
        "timeline": id(state.timeline),
        "segments": [(id(s.trainer), s.length) for s in state.timeline.segments],
        "rows": state.timeline.rows().tobytes(),
        "cursor": state.cursor,
        "undo": [stack.text(i) for i in range(stack.count())], "undo index": stack.index(),
        "clean index": stack.cleanIndex(), "title": window.windowTitle(), "modified": window.isWindowModified(),
        "path": window.sessions.path, "speed": window.speed.currentData(),
        "log": window.actionLogScale.isChecked(), "dataset rows": window.dataset_panel.rows(),
    }


def walk_actions(walk, qtbot, weights, actions, where, tail=30):
    """Run ``actions`` random actions of a random-action walk: each drawn by
    ``weights`` ({method name: weight}) from ``walk.rng``, then ``walk.check()``;
    an exception escaping into Qt fails it too.  A failure says the seed, the
    action, ``where()`` (what was shown, in words) and the last ``tail``
    actions of ``walk.log``."""
    names, weights = list(weights), list(weights.values())
    number = -1
    with qtbot.captureExceptions() as exceptions:
        try:
            walk.check()
            for number in range(actions):
                name = walk.rng.choices(names, weights)[0]
                walk.prefix, walk.action = f"#{number} ", name
                getattr(walk, name)()
                walk.check()
                if exceptions:
                    raise AssertionError("an exception escaped into Qt:\n" + "".join(
                        traceback.format_exception(*exceptions[0])))
        except Exception as error:
            last = "\n    ".join(walk.log[-tail:])
            raise AssertionError(f"action #{number}: {type(error).__name__}: {error}\n{where()}\n"
                                 f"the last actions:\n    {last}") from error
    assert number == actions - 1


def shown_widget(qtbot, widget, size):
    """``widget`` on its own, at ``size``, shown and exposed (a view tested outside the window)."""
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
