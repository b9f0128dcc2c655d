"""The guided walk through one update, and predict-then-reveal."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from engine import TERMS
from helpers import answer_save, fresh_derivation
from engine import DEFAULTS


def selected_term(window):
    rows = window.table.selectionModel().selectedRows()
    return window.table.model().term(rows[0].row()).id if rows else None


def test_explain_visits_every_term_in_order(window, qtbot):
    window.actionExplain.trigger()
    seen = []
    for _ in range(len(TERMS)):
        term = window.walk.term
        seen.append(term.id)
        assert selected_term(window) == term.id
        assert window.diagram._highlighted == term.node
        assert window.walk.caption.text()
        assert term.symbol in window.walk.title.text()
        qtbot.keyClick(window, Qt.Key.Key_N)
    assert seen == [t.id for t in TERMS]
    assert seen[:3] == ["z1", "h1", "z2"] and seen.index("dL/dyhat") < seen.index("dL/db1") < seen.index("W1_next")
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.walk.term.id == TERMS[-2].id


def test_leaving_explain_returns_to_normal(window):
    window.actionExplain.trigger()
    window.walk.next()
    window.actionExplain.trigger()
    assert window.walk.mode is None and not window.walk.isVisible()
    assert window.diagram._highlighted == ""
    assert selected_term(window) is None


def predict(window, qtbot, text):
    window.walk.prediction.setText(text)
    qtbot.keyClick(window.walk.prediction, Qt.Key.Key_Return)


def value_cell(window, term_id):
    model = window.table.model()
    row = next(r for r in model.term_rows() if model.term(r).id == term_id)
    return model.index(row, 3).data(), model.index(row, 2).data()


def test_predict_hides_values_scores_and_reveals(window, qtbot):
    derivation = fresh_derivation(DEFAULTS)
    window.actionPredict.trigger()
    assert window.walk.term.id == "z1"
    assert value_cell(window, "z1")[0] == "?"
    assert value_cell(window, "h1") == ("?", "…")          # later substitutions would give it away
    assert "?" in window.diagram.texts["h1.value"].text()
    predict(window, qtbot, "1.1")
    assert "Right" in window.walk.verdict.text()
    assert window.walk.score_label.text() == "Score: 1 of 1"
    assert value_cell(window, "z1")[0] != "?"                 # revealed
    predict(window, qtbot, "")                                # Check again: on to h1
    assert window.walk.term.id == "h1"
    predict(window, qtbot, "0.5")                             # tanh(1.1) = 0.80050: wrong
    assert "Not quite" in window.walk.verdict.text()
    assert window.walk.score_label.text() == "Score: 1 of 2"
    predict(window, qtbot, "")
    window.walk.tolerance.setValue(10)                        # 10 %: 0.42 is near enough to 0.44040
    predict(window, qtbot, "0.42")
    assert window.walk.score_label.text() == "Score: 2 of 3"
    assert abs(derivation.value("z2") - 0.42) / derivation.value("z2") < 0.1


def test_predict_accepts_a_true_minus_and_refuses_words(window, qtbot):
    window.actionPredict.trigger()
    for _ in range(8):
        window.walk.next()
    assert window.walk.term.id == "dL/dyhat"
    predict(window, qtbot, "many")
    assert window.walk.score_label.text() == "Score: 0 of 0"
    predict(window, qtbot, "−6.4065")
    assert window.walk.score_label.text() == "Score: 1 of 1"


def test_explain_and_predict_exclude_each_other(window):
    window.actionExplain.trigger()
    window.actionPredict.trigger()
    assert not window.actionExplain.isChecked() and window.walk.mode == "predict"
    window.actionPredict.trigger()
    window.flush()
    assert value_cell(window, "z1")[0] != "?"


def test_predict_keeps_its_values_off_the_clipboard_and_out_of_files(window, qtbot, tmp_path, monkeypatch):
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("the learner's own notes")
    target = tmp_path / "answers.csv"
    answer_save(monkeypatch, target)
    window.actionPredict.trigger()
    for action in (window.actionCopyMarkdown, window.actionCopyLatex,
                   window.actionExportDerivation, window.actionExportHistory):
        action.trigger()
        assert "would show the values you are predicting" in window.statusBar().currentMessage()
    assert clipboard.text() == "the learner's own notes"
    assert not target.exists()
    for _ in range(window.walk.stop_count):   # every value revealed: nothing left to give away
        predict(window, qtbot, "0")
        predict(window, qtbot, "")
    window.actionCopyMarkdown.trigger()     # the row the walk stopped at: L′, after the update
    last = list(fresh_derivation(DEFAULTS))[-1]
    assert last.value > 0 and f"{last.value:.6g}" in clipboard.text()
    window.actionExportDerivation.trigger()
    qtbot.waitUntil(target.exists)
