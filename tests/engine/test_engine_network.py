"""Networks of any small shape (issue 13): the engine against an independent
oracle (tests/engine/network_oracle.py), Mazur's published figures, each
element's formula against its value, training, and the command line."""

import csv
import io
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import network_oracle as oracle
from engine import Spec, cli, expr
from engine.network import derive, evaluate, source_of
from engine.network_training import NetworkTrainer

MAZUR_SPEC = Spec(layers=(2, 2, 2), activation1="sigmoid", output_activation="sigmoid", loss="half-squared")


def _run(*args):
    try:
        return cli.run(list(args), prog="bpe")
    except SystemExit as stop:
        return stop.code


def _rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _ours(params_list):
    """The oracle's [(W, b)] as the engine's {W1: …, b1: …}."""
    named = {}
    for l, (W, b) in enumerate(params_list, 1):
        named[f"W{l}"], named[f"b{l}"] = np.array(W, dtype=float), np.array(b, dtype=float)
    return named


# --- Mazur's worked example ------------------------------------------------------

def test_the_command_line_reproduces_every_figure_mazur_published(capsys):
    assert _run("derive", "--preset", "mazur", "--steps", "1") == 0
    rows = {(r["step"], r["quantity"]): float(r["value"]) for r in _rows(capsys.readouterr().out)}
    published = {("0", "L"): 0.298371109, ("0", "h1[1]"): 0.593269992, ("0", "yhat[1]"): 0.75136507,
                 ("0", "dL/dW2[1,1]"): 0.082167041, ("0", "W2_next[1,1]"): 0.35891648,
                 ("1", "W2[1,1]"): None, ("0", "dL/dW1[1,1]"): 0.000438568}
    for key, figure in published.items():
        if figure is None:
            continue
        digits = len(f"{figure:.10g}".split(".")[1])
        assert abs(rows[key] - figure) <= 0.5 * 10 ** -digits, key


def test_mazur_agrees_with_the_oracle_to_the_last_bits():
    example = oracle.MAZUR
    params = _ours(example["params"])
    ours = derive(MAZUR_SPEC, params, example["x"], example["y"], example["alpha"])
    theirs = oracle.gradients(example["params"], example["x"], example["y"], example["activations"],
                              example["output_activation"], example["loss_kind"])
    for key in ("dL/dW1", "dL/dW2", "dL/db1", "dL/dh1", "dL/dz2", "yhat", "h1"):
        array = np.asarray(theirs[key])
        for index, value in np.ndenumerate(array):
            element = f"{key}[{','.join(str(i + 1) for i in index)}]"
            assert ours.value(element) == pytest.approx(value, rel=1e-13, abs=1e-16), element


# --- any shape ----------------------------------------------------------------------

@st.composite
def networks(draw, smooth=False):
    layers = tuple(draw(st.lists(st.integers(1, 5), min_size=2, max_size=5)))
    hidden = ("tanh", "sigmoid", "linear") if smooth else oracle.HIDDEN_ACTIVATIONS
    acts = [draw(st.sampled_from(hidden)) for _ in range(len(layers) - 2)]
    out = draw(st.sampled_from(oracle.OUTPUT_ACTIVATIONS))
    loss = draw(st.sampled_from(oracle.LOSS_KINDS))
    numbers = st.floats(-2, 2, allow_nan=False)
    params = []
    for l in range(1, len(layers)):
        W = np.array(draw(st.lists(numbers, min_size=layers[l] * layers[l - 1],
                                   max_size=layers[l] * layers[l - 1]))).reshape(layers[l], layers[l - 1])
        b = np.array(draw(st.lists(numbers, min_size=layers[l], max_size=layers[l])))
        params.append((W, b))
    n = draw(st.integers(1, 4))
    X = np.array(draw(st.lists(numbers, min_size=n * layers[0], max_size=n * layers[0]))).reshape(n, layers[0])
    Y = np.array(draw(st.lists(numbers, min_size=n * layers[-1], max_size=n * layers[-1]))).reshape(n, layers[-1])
    spec = Spec(layers=layers, output_activation=out, loss=loss,
                **{f"activation{k}": a for k, a in enumerate(acts, 1)})
    return spec, params, acts, out, loss, X, Y


@settings(max_examples=60, deadline=None)
@given(networks())
def test_every_gradient_element_of_any_shape_is_the_oracles(case):
    spec, params, acts, out, loss, X, Y = case
    assume(spec.layers != (1, 1, 1, 1))
    values = evaluate(spec, _ours(params), X, Y, 0.1)
    batch_loss, grads = oracle.batch_gradients(params, X, Y, acts or "tanh", out, loss)
    assert float(values["L"][0, 0]) == pytest.approx(batch_loss, rel=1e-12, abs=1e-14)
    for l, (dW, db) in enumerate(grads, 1):
        np.testing.assert_allclose(values[f"dL_dW{l}"], dW, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(values[f"dL_db{l}"].ravel(), db, rtol=1e-11, atol=1e-13)


@settings(max_examples=40, deadline=None)
@given(networks())
def test_each_elements_formula_computes_its_value(case):
    """The text a learner reads is the arithmetic: each element's formula,
    evaluated on the values of the elements it names, gives its value."""
    spec, params, _, _, _, X, Y = case
    assume(spec.layers != (1, 1, 1, 1))
    derivation = derive(spec, _ours(params), X[:1], Y[:1], 0.1)
    flat = {}
    for term in derivation:
        flat[expr.var(term.id).replace("[", "__").replace(",", "_").replace("]", "")] = term.value
    inputs = evaluate(spec, _ours(params), X[:1], Y[:1], 0.1)
    for name in [n for n in inputs if n[0] in "Wbxy" and not n.startswith("b") or n[0] == "b" and n[1:].isdigit()]:
        for index, value in np.ndenumerate(np.asarray(inputs[name])):
            if name.startswith("W"):
                flat[f"{name}__{index[0] + 1}_{index[1] + 1}"] = float(value)
            else:
                flat[f"{name}__{index[0] + 1}"] = float(value)
    flat["alpha"] = 0.1
    checked = 0
    for term, vector in ((t, v) for v in derivation.vectors for t in v.elements):
        if term.layer == "update":
            continue
        source = _source_of(term, spec)
        got = expr._evaluate(source, flat)
        if got is not None and math.isfinite(term.value):
            assert got == pytest.approx(term.value, rel=1e-12, abs=1e-300), (term.id, source)
            checked += 1
    assert checked > 0


def _source_of(term, spec):
    from engine import elements
    from engine.network import table
    tab = table(spec)
    base, _, index = term.id.partition("[")
    definition = next(t for t in tab.terms if t.id == base)
    kind = tab.kinds[definition.var]
    key = tuple(sorted(tab.kinds.items()))
    sources = elements.element_sources(definition.source, key)
    positions = elements.indices(kind)
    if not index:
        return sources[0]
    numbers = tuple(int(i) for i in index.rstrip("]").split(","))
    wanted = (numbers[0], 1) if len(numbers) == 1 else numbers
    if kind.form == elements.ROW:
        wanted = (1, numbers[0])
    return sources[positions.index(wanted)]


@settings(max_examples=25, deadline=None)
@given(networks(smooth=True))
def test_gradient_descent_follows_the_oracle_step_by_step(case):
    spec, params, acts, out, loss, X, Y = case
    assume(spec.layers != (1, 1, 1, 1))
    trainer = NetworkTrainer(spec, _ours(params), X, Y, 0.05)
    trainer.run(3)
    theirs = [(np.array(W), np.array(b)) for W, b in params]
    for step in range(len(trainer)):
        ours = trainer.params(step)
        for l, (W, b) in enumerate(theirs, 1):
            np.testing.assert_allclose(ours[f"W{l}"], W, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(ours[f"b{l}"].ravel(), b, rtol=1e-10, atol=1e-12)
        theirs = oracle.sgd_step(theirs, oracle.batch_gradients(theirs, X, Y, acts or "tanh", out, loss)[1], 0.05)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_each_recorded_state_is_the_update_of_the_one_before(optimizer):
    spec = Spec(layers=(2, 3, 2), optimizer=optimizer, clip="norm", clip_c=0.5)
    X = np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]])
    Y = np.array([[0.1, 0.9], [0.7, -0.2], [0.0, 0.4]])
    params = {"W1": [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]], "b1": [0.0, 0.1, -0.1],
              "W2": [[0.2, 0.3, -0.1], [0.5, -0.4, 0.3]], "b2": [0.05, -0.05]}
    trainer = NetworkTrainer(spec, params, X, Y, 0.1, batch_size=2, shuffle_seed=3)
    assert trainer.run(6) is None
    for k in range(6):
        derivation = trainer.derivation(k)
        following = trainer.params(k + 1)
        for name, array in following.items():
            for index, value in np.ndenumerate(array):
                element = f"{name}_next[{index[0] + 1},{index[1] + 1}]" if name.startswith("W") \
                    else f"{name}_next[{index[0] + 1}]"
                assert derivation.value(element) == value, element
        # The row holds the loss and gradient of its own update's batch.
        assert derivation.value("L") == trainer.history.row(k)[trainer.row.index("L")]


def test_the_central_differences_agree_with_every_gradient_element():
    trainer = NetworkTrainer(Spec(layers=(2, 4, 1), activation1="tanh"),
                             {"W1": [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2], [0.7, 0.1]], "b1": [0, 0.1, -0.1, 0.2],
                              "W2": [[0.2, 0.3, -0.1, 0.5]], "b2": [0.05]}, [[0.5, -1.0], [1.0, 2.0]], [[0.3], [-0.4]], 0.1)
    checks = trainer.checks(0)
    assert len(checks) == 4 * 2 + 4 + 4 + 1
    assert all(c.relative_error < 1e-6 for c in checks)
    assert [c.param for c in checks[:3]] == ["W1[1,1]", "W1[1,2]", "W1[2,1]"]


def test_the_generated_code_is_the_lines():
    source = source_of(MAZUR_SPEC)
    assert "dL_dW2 = (dL_dz2 @ h1.mT) / _n" in source
    assert "dL_dh1 = W2.mT @ dL_dz2" in source


def test_the_matrix_form_of_each_term():
    example = oracle.MAZUR
    vectors = {v.id: v for v in derive(MAZUR_SPEC, _ours(example["params"]), example["x"], example["y"],
                                       example["alpha"]).vectors}
    assert vectors["dL/dW2"].formula == "∂L/∂z₂ h₁ᵀ"
    assert vectors["dL/dh1"].formula == "W₂ᵀ ∂L/∂z₂"
    assert vectors["dL/dz1"].formula == "∂L/∂h₁ ⊙ ∂h₁/∂z₁"
    assert vectors["z1"].substitution == "[0.15, 0.2; 0.25, 0.3] [0.05; 0.1] + [0.35; 0.35]"
    assert len(vectors["dL/dW2"].elements) == 4


# --- the command line ------------------------------------------------------------------

@pytest.mark.parametrize("args, option, words", [
    (["--layers", "2-3-1", "--x", "1,2", "--W1", "1,2;3,4"], "--W1", "3×2"),
    (["--layers", "2-3-1", "--x", "1"], "--x", "2 numbers"),
    (["--layers", "2-2-2", "--x", "1,2", "--y", "1,2,3"], "--y", "2 numbers"),
    (["--layers", "2-3-1", "--x", "1,2", "--b1", "1,nan,2"], "--b1", "finite"),
    (["--layers", "2-9-1"], "--layers", "from 1 to 8"),
    (["--layers", "1-1-1-1-1-1-1"], "--layers", "2-6 widths"),
    (["--layers", "1-2-1", "--activations", "tanh,tanh"], "--activations", "1 hidden layer"),
    (["--layers", "1-2-1", "--W3", "1"], "--W3", "no layer 3"),
    (["--W1", "1,2"], "--W1", "one number"),
    (["--layers", "2-2-1", "--x", "1,2", "--W1", "1,2;3,1e308"], "--W1", "got 1e+308"),
])
def test_a_bad_shape_is_refused_in_one_line_naming_the_option(tmp_path, capsys, args, option, words):
    out = tmp_path / "out.csv"
    assert _run("derive", *args, "-o", str(out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {option}" in err and words in err, err
    assert not out.exists()


def test_a_minus_sign_may_start_a_matrix(capsys):
    assert _run("train", "--steps", "0", "--layers", "2-2-1", "--W1=-0.3,0.2;0.1,-0.4", "--x", "1,2") == 0
    row = _rows(capsys.readouterr().out)[0]
    assert (row["W1[1,1]"], row["W1[2,2]"]) == ("-0.3", "-0.4")


def test_the_train_columns_of_a_wider_network(capsys):
    assert _run("train", "--steps", "1", "--preset", "mazur", "--optimizer", "momentum") == 0
    header = next(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert header[:6] == ["step", "W1[1,1]", "W1[1,2]", "W1[2,1]", "W1[2,2]", "b1[1]"]
    assert header[header.index("loss") + 1] == "dL/dW1[1,1]"
    assert header[-1] == "v_b2[2]" and header.count("loss") == 1 and len(header) == 1 + 3 * 12 + 1


def test_a_dataset_of_a_wider_network_names_its_columns(tmp_path, capsys):
    data = tmp_path / "xor.csv"
    data.write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n", encoding="utf-8")
    assert _run("derive", "--layers", "2-4-1", "--data", str(data)) == 2
    assert "x1,x2,y1" in capsys.readouterr().err
    data.write_text("x1,x2,y1\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n", encoding="utf-8")
    assert _run("train", "--steps", "2", "--layers", "2-4-1", "--data", str(data), "--batch-size", "2") == 0
    assert len(_rows(capsys.readouterr().out)) == 3


def test_the_drawn_parameters_use_each_layers_fan_in_and_out(capsys):
    assert _run("train", "--steps", "0", "--layers", "8-8-8-1", "--init", "he", "--seed", "4", "--x",
                ",".join(["0.1"] * 8)) == 0
    row = _rows(capsys.readouterr().out)[0]
    W2 = np.array([float(row[f"W2[{i},{j}]"]) for i in range(1, 9) for j in range(1, 9)])
    expected = np.random.default_rng(4)
    expected.normal(0, math.sqrt(2 / 8), (8, 8))        # W1 is drawn first
    assert np.array_equal(W2, expected.normal(0, math.sqrt(2 / 8), (8, 8)).ravel())
    assert all(float(row[f"b1[{i}]"]) == 0 for i in range(1, 9))


def test_a_divergence_names_the_first_element_that_overflowed(tmp_path, capsys):
    out = tmp_path / "run.csv"
    assert _run("train", "--steps", "300", "--layers", "1-2-1", "--activation", "linear", "--alpha", "100",
                "--x", "3", "--y", "1000", "-o", str(out)) == 1
    err = capsys.readouterr().err
    assert "diverged at step" in err and "[1]" in err
    rows = _rows(out.read_text(encoding="utf-8"))
    step = int(err.split("diverged at step ")[1].split(":")[0])
    assert len(rows) == step and all(math.isfinite(float(v)) for r in rows for v in r.values())


@pytest.mark.parametrize("command", [["derive", "--steps", "2"], ["train", "--steps", "5"]])
def test_the_chain_written_as_layers_is_the_chain_byte_for_byte(capsys, command):
    assert _run(*command) == 0
    default = capsys.readouterr().out
    assert _run(*command, "--layers", "1-1-1-1", "--output-activation", "linear") == 0
    assert capsys.readouterr().out == default and ("dL/dz3" in default) == (command[0] == "derive")


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_a_trainer_started_from_a_recorded_state_continues_it_exactly(optimizer):
    spec = Spec(layers=(2, 3, 1), optimizer=optimizer, schedule="exp", decay=0.99)
    params = {"W1": [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]], "b1": [0.0, 0.1, -0.1],
              "W2": [[0.2, 0.3, -0.1]], "b2": [0.05]}
    X, Y = [[0.5, -1.0], [1.5, 0.2]], [[0.1], [0.7]]
    whole = NetworkTrainer(spec, params, X, Y, 0.05)
    whole.run(8)
    later = NetworkTrainer(spec, whole.params(5), X, Y, 0.05, state=whole.optimizer_state(5))
    later.run(3)
    assert np.array_equal(later.history.rows(0, 4), whole.history.rows(5, 9))
    whole.truncate(6)
    assert len(whole) == 6 and whole.divergence is None


def test_a_bad_starting_state_is_refused_naming_it():
    spec = Spec(layers=(2, 2, 1), optimizer="adam")
    params = {"W1": [[0.3, -0.2], [0.1, 0.4]], "b1": [0.0, 0.1], "W2": [[0.2, 0.3]], "b2": [0.05]}
    for state, name, words in (({"v_W1": [[-1, 0], [0, 0]]}, "v_W1", "negative"),
                               ({"s_W1": [[1, 0], [0, 0]]}, "s_W1", "not part of this optimizer's state"),
                               ({"m_b1": [1, 2, 3]}, "m_b1", "2 numbers")):
        with pytest.raises(cli.InputError) as refused:
            NetworkTrainer(spec, params, [1, 2], [1], 0.1, state=state)
        assert refused.value.name == name and words in str(refused.value)


# --- the update rules, written out by hand ----------------------------------------------

def _hand_update(rule, params, grads, state, alpha, t):
    """One update of every parameter array as the textbook writes it; ``state``
    holds the optimizer's arrays by (prefix, name)."""
    g = dict(grads)
    if rule["clip"] == "value":
        g = {p: np.clip(v, -rule["c"], rule["c"]) for p, v in g.items()}
    elif rule["clip"] == "norm":
        norm = math.sqrt(sum(float(np.sum(v * v)) for v in g.values()))
        g = {p: v * (rule["c"] / norm if norm > rule["c"] else 1.0) for p, v in g.items()}
    rate = alpha * (0.5 ** (t // 2) if rule["schedule"] == "step" else 0.9 ** t if rule["schedule"] == "exp" else 1)
    new = {}
    for p, theta in params.items():
        if rule["optimizer"] == "sgd":
            new[p] = theta - rate * g[p]
        elif rule["optimizer"] == "momentum":
            state["v", p] = 0.8 * state.get(("v", p), 0) + g[p]
            new[p] = theta - rate * state["v", p]
        elif rule["optimizer"] == "rmsprop":
            state["s", p] = 0.9 * state.get(("s", p), 0) + 0.1 * g[p] ** 2
            new[p] = theta - rate * g[p] / (np.sqrt(state["s", p]) + 1e-8)
        else:
            state["m", p] = 0.9 * state.get(("m", p), 0) + 0.1 * g[p]
            state["v", p] = 0.999 * state.get(("v", p), 0) + 0.001 * g[p] ** 2
            mhat, vhat = state["m", p] / (1 - 0.9 ** (t + 1)), state["v", p] / (1 - 0.999 ** (t + 1))
            new[p] = theta - rate * mhat / (np.sqrt(vhat) + 1e-8)
    return new


@settings(max_examples=30, deadline=None)
@given(networks(smooth=True), st.sampled_from(["sgd", "momentum", "rmsprop", "adam"]),
       st.sampled_from(["constant", "step", "exp"]), st.sampled_from([None, "value", "norm"]))
def test_every_update_rule_follows_the_hand_written_one(case, optimizer, schedule, clip):
    spec, params, acts, out, loss, X, Y = case
    assume(spec.layers != (1, 1, 1, 1))
    numbers = {"momentum": 0.8} if optimizer == "momentum" else {}
    if schedule == "step":
        numbers.update(decay=0.5, decay_every=2)
    spec = Spec(**{**spec.network.__dict__}, optimizer=optimizer, schedule=schedule, clip=clip, clip_c=0.3,
                **numbers)
    trainer = NetworkTrainer(spec, _ours(params), X, Y, 0.05)
    trainer.run(4)
    rule = {"optimizer": optimizer, "schedule": schedule, "clip": clip, "c": 0.3}
    theirs, state = [(np.array(W), np.array(b)) for W, b in params], {}
    # A run that overflows stops early (its divergence is tested elsewhere): the states it kept.
    for step in range(len(trainer)):
        ours = trainer.params(step)
        # Adam and RMSprop divide by √v: where a gradient is ~0 they magnify its last-bit
        # rounding (the oracle sums exactly, the engine does not); a wrong rule is off by O(1).
        for l, (W, b) in enumerate(theirs, 1):
            np.testing.assert_allclose(ours[f"W{l}"], W, rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(ours[f"b{l}"].ravel(), b, rtol=1e-6, atol=1e-9)
        grads = oracle.batch_gradients(theirs, X, Y, acts or "tanh", out, loss)[1]
        flat = {f"{k}{l}": v for l, (dW, db) in enumerate(grads, 1) for k, v in (("W", dW), ("b", db))}
        current = {f"{k}{l}": v for l, (W, b) in enumerate(theirs, 1) for k, v in (("W", W), ("b", b))}
        new = _hand_update(rule, current, flat, state, 0.05, step)
        theirs = [(new[f"W{l}"], new[f"b{l}"]) for l in range(1, len(theirs) + 1)]


def test_a_gradient_too_small_for_the_difference_is_within_the_floor_not_flagged():
    """At a minimum the gradient is ~1e-17 and the central difference sees only
    the rounding of L: the check must say ≈ (within the floor), not ⚠."""
    from engine.gradcheck import DIFFERS, WITHIN_FLOOR
    spec = Spec(layers=(1, 2, 1), activation1="linear")
    params = {"W1": [[1.0], [0.0]], "b1": [0.0, 0.0], "W2": [[1.0, 0.0]], "b2": [0.0]}
    trainer = NetworkTrainer(spec, params, [[1.0], [2.0]], [[1.0], [2.0]], 0.1)
    verdicts = {c.param: c.verdict for c in trainer.checks(0)}
    assert DIFFERS not in verdicts.values()
    assert trainer.gradients(0)["W1"][0, 0] == 0 and verdicts["W1[1,1]"] == WITHIN_FLOOR


def test_a_batch_substitutes_only_what_holds_for_the_batch(tmp_path, capsys):
    """A per-sample product's means would not multiply to the mean of the
    products: such rows say so instead of showing wrong arithmetic."""
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y1\n0,1,1\n1,0,1\n2,2,0\n", encoding="utf-8")
    assert _run("derive", "--layers", "2-2-1", "--data", str(data)) == 0
    rows = {r["quantity"]: r for r in _rows(capsys.readouterr().out)}
    assert rows["dL/dW1[1,2]"]["substitution"] == "(1/3) Σ over the 3 samples"
    assert rows["z1[1]"]["substitution"] == "per sample; the mean of 3 values is shown"
    # The update reads only batch means: its arithmetic is shown.
    assert " − 0.01 × " in rows["W1_next[1,2]"]["substitution"]


def test_the_history_of_a_line_that_changes_shape_leaves_absent_values_empty():
    from engine import Trainer, csvio
    from engine.limits import DEFAULTS, PARAMS
    from engine.timeline import Timeline
    line = Timeline(Trainer({p: DEFAULTS[p] for p in PARAMS}, 2.0, 4.0, 0.01))
    line.run(3)
    example = oracle.MAZUR
    line.branch(2, NetworkTrainer(MAZUR_SPEC, _ours(example["params"]), example["x"], example["y"], 0.5))
    line.run(2)
    stream = io.StringIO()
    csvio.write_history(stream, line)
    rows = _rows(stream.getvalue())
    assert [r["step"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert rows[0]["W1"] == repr(DEFAULTS["W1"]) and rows[0]["W1[1,1]"] == ""
    assert rows[2]["W1"] == "" and rows[2]["W1[1,1]"] == "0.15"
    expected = oracle.gradients(example["params"], example["x"], example["y"], example["activations"],
                                example["output_activation"], example["loss_kind"])["L"]
    assert float(rows[2]["loss"]) == pytest.approx(float(expected), rel=1e-14)
    every = io.StringIO()
    csvio.write_history(every, line, every=3)
    assert [r["step"] for r in _rows(every.getvalue())] == ["0", "3", "4"]
