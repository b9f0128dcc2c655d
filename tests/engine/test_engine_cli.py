"""``python main.py derive|train``, end to end in a subprocess."""

import csv
import io
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Trainer
from engine_handcalc import EXAMPLE, EXAMPLE_ALPHA, EXAMPLE_X, EXAMPLE_Y, PARAMS

ROOT = Path(__file__).resolve().parents[2]
HISTORY_COLUMNS = ["step", "W1", "b1", "W2", "b2", "W3", "b3", "loss",
                   "dL/dW1", "dL/db1", "dL/dW2", "dL/db2", "dL/dW3", "dL/db3"]


def cli(*args):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=60)


DERIVATION_HEADER = ["step", "layer", "quantity", "symbol", "formula", "substitution", "value",
                     "numerical", "relative_error"]


def _rows(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def _default_trainer(alpha=EXAMPLE_ALPHA, **overrides):
    return Trainer({**EXAMPLE, **overrides}, EXAMPLE_X, EXAMPLE_Y, alpha)


def _assert_derivations(rows, trainer, steps):
    assert rows[0] == DERIVATION_HEADER
    expected = [(k, t) for k in steps for t in trainer.derivation(k)]
    assert len(rows) - 1 == len(expected)
    for row, (k, t) in zip(rows[1:], expected):
        assert int(row[0]) == k
        assert row[1:6] == [t.layer, t.id, t.symbol, t.formula, t.substitution]
        assert float(row[6]) == t.value


def _assert_history(rows, trainer, steps):
    assert rows[0] == HISTORY_COLUMNS
    assert [int(r[0]) for r in rows[1:]] == list(steps)
    for r in rows[1:]:
        k = int(r[0])
        d = trainer.derivation(k)
        p = trainer.params(k)
        expected = [p[q] for q in PARAMS] + [d["L"].value] + [d[g].value for g in HISTORY_COLUMNS[8:]]
        assert [float(v) for v in r[1:]] == expected


def test_derive_defaults_is_state_zero():
    done = cli("derive")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    rows = _rows(done.stdout)
    _assert_derivations(rows, _default_trainer(), [0])
    by_id = {r[2]: r for r in rows[1:]}
    assert "0.5" in by_id["z1"][5] and "2" in by_id["z1"][5]


def test_derive_steps_to_file(tmp_path):
    out = tmp_path / "d.csv"
    done = cli("derive", "--steps", "3", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    t = _default_trainer()
    t.run(3)
    _assert_derivations(_rows(out.read_text(encoding="utf-8")), t, [0, 1, 2, 3])
    assert os.listdir(tmp_path) == ["d.csv"]


def test_derive_with_options():
    done = cli("derive", "--W1", "-0.75", "--x", "1.5", "--y", "-2", "--alpha", "0.2", "--steps", "1")
    assert done.returncode == 0, done.stderr
    t = Trainer({**EXAMPLE, "W1": -0.75}, 1.5, -2.0, 0.2)
    t.run(1)
    _assert_derivations(_rows(done.stdout), t, [0, 1])


def test_train_every():
    done = cli("train", "--steps", "50", "--every", "7")
    assert done.returncode == 0, done.stderr
    t = _default_trainer()
    t.run(50)
    _assert_history(_rows(done.stdout), t, [0, 7, 14, 21, 28, 35, 42, 49, 50])


def test_train_to_file_all_states(tmp_path):
    out = tmp_path / "h.csv"
    done = cli("train", "--steps", "40", "--b3", "-1.25", "-o", str(out))
    assert done.returncode == 0, done.stderr
    t = _default_trainer(b3=-1.25)
    t.run(40)
    _assert_history(_rows(out.read_text(encoding="utf-8")), t, range(41))


@pytest.mark.parametrize("args, option", [
    (["derive", "--W1", "nan"], "--W1"),
    (["train", "--steps", "5", "--alpha", "abc"], "--alpha"),
    (["train", "--steps", "-1"], "--steps"),
    (["derive", "--alpha", "1e9"], "--alpha"),
    (["derive", "--x", "inf"], "--x"),
    (["train", "--steps", "5", "--b2", "1001"], "--b2"),
    (["train", "--steps", "5", "--every", "0"], "--every"),
    (["derive", "--steps", "2.5"], "--steps"),
])
def test_bad_input_exit_2_one_line_no_file(tmp_path, args, option):
    out = tmp_path / "out.csv"
    done = cli(*args, "-o", str(out))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert option in lines[0]
    assert done.stdout == ""
    assert os.listdir(tmp_path) == []


def test_train_without_steps_is_a_usage_error():
    done = cli("train")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--steps" in lines[0]


def test_divergence_exit_1_keeps_finite_states(tmp_path):
    out = tmp_path / "f.csv"
    done = cli("train", "--steps", "1000", "--alpha", "50", "-o", str(out))
    assert done.returncode == 1
    t = _default_trainer(alpha=50.0)
    divergence = t.run(1000)
    assert divergence is not None
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"step {divergence.step}" in lines[0]
    assert divergence.symbol in lines[0]
    rows = _rows(out.read_text(encoding="utf-8"))
    _assert_history(rows, t, range(divergence.step))
    assert all(v not in ("inf", "-inf", "nan") for r in rows[1:] for v in r)


def test_derive_divergence_exit_1(tmp_path):
    out = tmp_path / "d.csv"
    done = cli("derive", "--steps", "200", "--alpha", "50", "-o", str(out))
    assert done.returncode == 1
    t = _default_trainer(alpha=50.0)
    divergence = t.run(200)
    assert len(done.stderr.strip().splitlines()) == 1
    rows = _rows(out.read_text(encoding="utf-8"))
    assert sorted({int(r[0]) for r in rows[1:]}) == list(range(divergence.step))


def test_unwritable_output_exit_3(tmp_path):
    # 3, not divergence's 1: a script must tell "could not write" from "the training diverged".
    out = tmp_path / "missing-folder" / "x.csv"
    done = cli("derive", "-o", str(out))
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot write {out}: no such file or directory" in lines[0]
    assert not out.parent.exists()


@pytest.mark.parametrize("args", [["--help"], ["derive", "--help"], ["train", "--help"]])
def test_help(args):
    done = cli(*args)
    assert done.returncode == 0
    assert "usage" in done.stdout.lower()
    assert done.stderr == ""
    if args[0] == "train":
        assert "--every" in done.stdout
    if args[0] == "derive":
        assert "--steps" in done.stdout and "--every" not in done.stdout


def test_unknown_subcommand_is_a_usage_error():
    done = cli("fly")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1


# --- activations and the loss convention ------------------------------------------

def _spec_trainer(spec, alpha=EXAMPLE_ALPHA, **overrides):
    from engine import Spec
    return Trainer({**EXAMPLE, **overrides}, EXAMPLE_X, EXAMPLE_Y, alpha, spec=Spec(**spec))


def test_derive_with_an_activation_and_the_half_squared_loss():
    done = cli("derive", "--steps", "2", "--W1", "-0.5", "--activation", "relu", "--loss", "half-squared")
    assert done.returncode == 0, done.stderr
    rows = _rows(done.stdout)
    t = _spec_trainer({"activation1": "relu", "activation2": "relu", "loss": "half-squared"}, W1=-0.5)
    t.run(2)
    _assert_derivations(rows, t, [0, 1, 2])
    by_id = {r[2]: r for r in rows[1:] if r[0] == "0"}
    assert by_id["h1"][4] == "ReLU(z₁)" and by_id["h2"][4] == "ReLU(z₂)"
    assert by_id["dh1/dz1"][4:7] == ["[z₁ > 0]", "[−0.9 > 0]", "0.0"]
    assert by_id["L"][4] == "½(ŷ − y)²" and by_id["dL/dyhat"][4] == "ŷ − y"


def test_train_with_one_activation_per_layer_and_a_slope(tmp_path):
    out = tmp_path / "h.csv"
    done = cli("train", "--steps", "30", "--every", "4", "--activation1", "sigmoid",
               "--activation2", "leaky_relu", "--leak", "0.2", "--b2", "-2", "-o", str(out))
    assert done.returncode == 0, done.stderr
    t = _spec_trainer({"activation1": "sigmoid", "activation2": "leaky_relu", "leak": 0.2}, b2=-2.0)
    t.run(30)
    rows = _rows(out.read_text(encoding="utf-8"))
    _assert_history(rows, t, [0, 4, 8, 12, 16, 20, 24, 28, 30])
    # The slope arrived: another slope gives other numbers.
    other = _spec_trainer({"activation1": "sigmoid", "activation2": "leaky_relu", "leak": 0.01}, b2=-2.0)
    other.run(30)
    assert float(rows[-1][1]) != other.params(30)["W1"]


def test_a_layers_own_activation_overrides_the_common_one():
    done = cli("derive", "--activation", "linear", "--activation2", "sigmoid")
    assert done.returncode == 0, done.stderr
    _assert_derivations(_rows(done.stdout), _spec_trainer({"activation1": "linear",
                                                           "activation2": "sigmoid"}), [0])
    by_id = {r[2]: r for r in _rows(done.stdout)[1:]}
    assert by_id["h1"][4] == "z₁" and by_id["h2"][4] == "σ(z₂)"


def test_the_default_options_are_the_reference_network():
    plain = cli("derive", "--steps", "1")
    spelled = cli("derive", "--steps", "1", "--activation", "tanh", "--loss", "squared")
    assert plain.returncode == spelled.returncode == 0
    assert plain.stdout == spelled.stdout
    leaky = cli("derive", "--steps", "1", "--activation", "leaky_relu")
    spelled = cli("derive", "--steps", "1", "--activation", "leaky_relu", "--leak", "0.01")
    assert leaky.returncode == spelled.returncode == 0
    assert leaky.stdout == spelled.stdout


@pytest.mark.parametrize("args, option", [
    (["derive", "--activation", "swish"], "--activation"),
    (["derive", "--activation1", "ReLU"], "--activation1"),
    (["train", "--steps", "3", "--activation2", ""], "--activation2"),
    (["derive", "--loss", "half"], "--loss"),
    (["derive", "--activation", "leaky_relu", "--leak", "1.5"], "--leak"),
    (["derive", "--leak", "-0.1"], "--leak"),
    (["derive", "--leak", "nan"], "--leak"),
    (["train", "--steps", "3", "--leak", "x"], "--leak"),
])
def test_a_bad_activation_slope_or_loss_exits_2_naming_the_option(tmp_path, args, option):
    out = tmp_path / "out.csv"
    done = cli(*args, "-o", str(out))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"argument {option}" in lines[0]
    assert done.stdout == "" and os.listdir(tmp_path) == []


def test_the_columns_do_not_change_with_the_network():
    done = cli("train", "--steps", "2", "--activation", "sigmoid", "--loss", "half-squared")
    assert done.returncode == 0, done.stderr
    assert _rows(done.stdout)[0] == HISTORY_COLUMNS
    done = cli("derive", "--activation", "linear")
    assert _rows(done.stdout)[0] == DERIVATION_HEADER


@pytest.mark.parametrize("command", ["derive", "train"])
def test_help_names_the_network_options(command):
    done = cli(command, "--help")
    assert done.returncode == 0
    for option in ("--activation ", "--activation1", "--activation2", "--leak", "--loss", "half-squared",
                   "leaky_relu", "sigmoid", "linear"):
        assert option in done.stdout, option


# --- optimizers, schedules and clipping ------------------------------------------------

ADAM_COLUMNS = [f"m_{p}" for p in PARAMS] + [f"v_{p}" for p in PARAMS] + ["t"]


def test_train_with_momentum_appends_the_velocity_and_follows_the_definition(tmp_path):
    out = tmp_path / "h.csv"
    done = cli("train", "--steps", "6", "--optimizer", "momentum", "--momentum", "0.5", "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = _rows(out.read_text(encoding="utf-8"))
    assert rows[0] == HISTORY_COLUMNS + [f"v_{p}" for p in PARAMS]
    values = [[float(v) for v in r] for r in rows[1:]]
    col = {name: i for i, name in enumerate(rows[0])}
    assert all(values[0][col[f"v_{p}"]] == 0.0 for p in PARAMS)
    # From the CSV's own numbers: v′ = μv + g and θ′ = θ − αv′, exactly.
    for k in range(6):
        now, nxt = values[k], values[k + 1]
        for p in PARAMS:
            v = 0.5 * now[col[f"v_{p}"]] + now[col[f"dL/d{p}"]]
            assert nxt[col[f"v_{p}"]] == v
            assert nxt[col[p]] == now[col[p]] - EXAMPLE_ALPHA * v


def test_train_with_adam_a_step_schedule_and_clipping_matches_the_engine():
    from engine import Spec
    done = cli("train", "--steps", "20", "--every", "3", "--optimizer", "adam", "--beta1", "0.8",
               "--beta2", "0.99", "--eps", "1e-6", "--schedule", "step", "--decay", "0.5",
               "--decay-every", "4", "--clip-norm", "2.5", "--alpha", "0.05")
    assert done.returncode == 0, done.stderr
    rows = _rows(done.stdout)
    assert rows[0] == HISTORY_COLUMNS + ADAM_COLUMNS
    spec = Spec(optimizer="adam", beta1=0.8, beta2=0.99, eps=1e-6, schedule="step", decay=0.5,
                decay_every=4, clip="norm", clip_c=2.5)
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 0.05, spec=spec)
    t.run(20)
    assert [int(r[0]) for r in rows[1:]] == [0, 3, 6, 9, 12, 15, 18, 20]
    for r in rows[1:]:
        k = int(r[0])
        expected = [t.params(k)[p] for p in PARAMS] + [t.derivation(k)["L"].value] + \
            [t.gradients(k)[g] for g in HISTORY_COLUMNS[8:]] + [t.optimizer_state(k)[n] for n in ADAM_COLUMNS]
        assert [float(v) for v in r[1:]] == expected
        assert float(r[-1]) == k   # the counter


def test_derive_with_rmsprop_shows_the_update_rows():
    done = cli("derive", "--steps", "1", "--optimizer", "rmsprop", "--rho", "0.5",
               "--schedule", "exp", "--decay", "0.5", "--clip-value", "2")
    assert done.returncode == 0, done.stderr
    rows = _rows(done.stdout)
    assert rows[0] == DERIVATION_HEADER
    by_id = {(r[0], r[2]): r for r in rows[1:]}
    assert by_id["0", "s_W1_next"][3:5] == ["s_W₁′", "ρ × s_W₁ + (1 − ρ) × g_W₁²"]
    assert by_id["0", "g_W1"][4:6] == ["min(max(∂L/∂W₁, −c), c)", "min(max(−3.6611, −2), 2)"]
    assert by_id["0", "lr"][4:] == ["α × γ^t", "0.01 × 0.5^0", "0.01", "", ""]
    assert by_id["1", "lr"][5:] == ["0.01 × 0.5^1", "0.005", "", ""]
    assert float(by_id["0", "g_W1"][6]) == -2.0 and float(by_id["0", "rho"][6]) == 0.5
    # s′ = (1 − ρ)·g² from s = 0, and θ′ = θ − α·g/(√s′ + ε), from the CSV's own numbers.
    s = (1 - 0.5) * 2.0 ** 2
    assert float(by_id["0", "s_W1_next"][6]) == s
    assert float(by_id["0", "W1_next"][6]) == 0.5 - 0.01 * -2.0 / (math.sqrt(s) + 1e-8)
    assert by_id["0", "yhat_next"][1] == "update" and ("1", "s_W1_next") in by_id


def test_the_default_update_options_change_nothing():
    plain = cli("train", "--steps", "5")
    spelled = cli("train", "--steps", "5", "--optimizer", "sgd", "--schedule", "constant")
    assert plain.returncode == spelled.returncode == 0
    assert plain.stdout == spelled.stdout
    assert _rows(plain.stdout)[0] == HISTORY_COLUMNS


@pytest.mark.parametrize("args, option", [
    (["derive", "--optimizer", "nadam"], "--optimizer"),
    (["derive", "--optimizer", "momentum", "--momentum", "1"], "--momentum"),
    (["derive", "--optimizer", "momentum", "--momentum", "-0.2"], "--momentum"),
    (["derive", "--optimizer", "rmsprop", "--rho", "abc"], "--rho"),
    (["train", "--steps", "2", "--optimizer", "adam", "--beta1", "1.5"], "--beta1"),
    (["derive", "--optimizer", "adam", "--beta2", "nan"], "--beta2"),
    (["derive", "--optimizer", "adam", "--eps", "0"], "--eps"),
    (["derive", "--schedule", "cosine"], "--schedule"),
    (["derive", "--schedule", "step", "--decay", "0"], "--decay"),
    (["derive", "--schedule", "exp", "--decay", "2"], "--decay"),
    (["derive", "--schedule", "step", "--decay-every", "0"], "--decay-every"),
    (["derive", "--schedule", "step", "--decay-every", "1.5"], "--decay-every"),
    (["derive", "--clip-value", "0"], "--clip-value"),
    (["derive", "--clip-norm", "-1"], "--clip-norm"),
    (["derive", "--clip-norm", "inf"], "--clip-norm"),
    (["derive", "--clip-value", "1", "--clip-norm", "1"], "--clip-norm"),
    (["derive", "--momentum", "0.5"], "--momentum"),                      # needs --optimizer momentum
    (["derive", "--optimizer", "adam", "--rho", "0.5"], "--rho"),
    (["derive", "--optimizer", "sgd", "--eps", "1e-6"], "--eps"),
    (["derive", "--decay", "0.5"], "--decay"),                            # needs a schedule
    (["derive", "--schedule", "exp", "--decay-every", "3"], "--decay-every"),
])
def test_a_bad_update_option_exits_2_naming_it(tmp_path, args, option):
    out = tmp_path / "out.csv"
    done = cli(*args, "-o", str(out))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"argument {option}" in lines[0]
    assert done.stdout == "" and os.listdir(tmp_path) == []


def test_momentum_divergence_exits_1_keeping_the_finite_states(tmp_path):
    from engine import Spec
    out = tmp_path / "h.csv"
    done = cli("train", "--steps", "2000", "--alpha", "5", "--optimizer", "momentum", "-o", str(out))
    assert done.returncode == 1
    t = Trainer(dict(EXAMPLE), EXAMPLE_X, EXAMPLE_Y, 5.0, spec=Spec(optimizer="momentum"))
    divergence = t.run(2000)
    assert divergence is not None
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"step {divergence.step}" in lines[0] and divergence.symbol in lines[0]
    rows = _rows(out.read_text(encoding="utf-8"))
    assert len(rows) - 1 == divergence.step
    assert all(math.isfinite(float(v)) for r in rows[1:] for v in r)


@pytest.mark.parametrize("command", ["derive", "train"])
def test_help_names_the_update_options(command):
    done = cli(command, "--help")
    assert done.returncode == 0
    for option in ("--optimizer", "momentum", "rmsprop", "adam", "--momentum", "--rho", "--beta1",
                   "--beta2", "--eps", "--schedule", "--decay", "--decay-every", "--clip-value",
                   "--clip-norm"):
        assert option in done.stdout, option


# --- --data, --batch-size, --shuffle, --init ----------------------------------

DATA_X = [-1.5, -0.9, -0.2, 0.3, 0.8, 1.4, 2.0]
DATA_Y = [0.4, -0.6, 1.1, -0.3, 0.9, -1.2, 0.5]


def _data_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(DATA_X, DATA_Y)))
    return str(path)


@pytest.mark.parametrize("extra, batching", [
    ([], {}), (["--batch-size", "3"], {"batch_size": 3}),
    (["--batch-size", "2", "--shuffle", "8"], {"batch_size": 2, "shuffle_seed": 8}),
    (["--batch-size", "1"], {"batch_size": 1})])
def test_train_on_a_data_file_in_batches(tmp_path, extra, batching):
    done = cli("train", "--steps", "9", "--data", _data_file(tmp_path), "--alpha", "0.05", *extra)
    assert done.returncode == 0, done.stderr
    trainer = Trainer(dict(EXAMPLE), DATA_X, DATA_Y, 0.05, **batching)
    trainer.run(9)
    rows = _rows(done.stdout)
    _assert_history(rows, trainer, range(10))   # the columns stay as they are
    plain = Trainer(dict(EXAMPLE), DATA_X, DATA_Y, 0.05)
    plain.run(9)
    got = [[float(v) for v in r[1:7]] for r in rows[1:]]
    assert (got == [[plain.params(k)[p] for p in PARAMS] for k in range(10)]) == (not batching)


def test_derive_on_a_data_file_shows_the_batch_means(tmp_path):
    done = cli("derive", "--steps", "4", "--data", _data_file(tmp_path), "--batch-size", "3",
               "--shuffle", "1", "--alpha", "0.05")
    assert done.returncode == 0, done.stderr
    trainer = Trainer(dict(EXAMPLE), DATA_X, DATA_Y, 0.05, batch_size=3, shuffle_seed=1)
    trainer.run(4)
    rows = _rows(done.stdout)
    _assert_derivations(rows, trainer, range(5))
    loss = [r for r in rows[1:] if r[2] == "L"]
    assert [r[5] for r in loss[:2]] == ["(1/3) Σ over the 3 samples"] * 2
    assert loss[2][5] != loss[0][5]   # update 2 is the epoch's last batch: one sample, numbers in


@pytest.mark.parametrize("scheme", ["xavier", "he", "zeros"])
def test_init_draws_the_parameters(scheme):
    from engine.init import initialize
    done = cli("train", "--steps", "2", "--init", scheme, "--seed", "17")
    assert done.returncode == 0, done.stderr
    trainer = Trainer(initialize(scheme, 17), EXAMPLE_X, EXAMPLE_Y, EXAMPLE_ALPHA)
    trainer.run(2)
    _assert_history(_rows(done.stdout), trainer, range(3))
    default_seed = cli("train", "--steps", "0", "--init", scheme)
    start = [float(v) for v in _rows(default_seed.stdout)[1][1:7]]
    assert start == [initialize(scheme, 0)[p] for p in PARAMS]


@pytest.mark.parametrize("args, option, words", [
    (["--data", "{missing}"], "--data", "cannot read"),
    (["--data", "{bad}"], "--data", "line 3"),
    (["--data", "{empty}"], "--data", "no samples"),
    (["--data", "{good}", "--x", "1"], "--x", "--data"),
    (["--data", "{good}", "--y", "1"], "--y", "--data"),
    (["--batch-size", "0"], "--batch-size", "1 or more"),
    (["--batch-size", "two"], "--batch-size", "whole number"),
    (["--shuffle", "3"], "--shuffle", "--batch-size"),
    (["--batch-size", "2", "--shuffle", "-1"], "--shuffle", "0 or more"),
    (["--init", "uniform"], "--init", "invalid choice"),
    (["--init", "he", "--W2", "1"], "--W2", "--init"),
    (["--seed", "3"], "--seed", "--init"),
    (["--init", "he", "--seed", "-3"], "--seed", "0 or more")])
def test_bad_data_and_batch_options_exit_2_naming_the_option(tmp_path, args, option, words):
    files = {"missing": str(tmp_path / "nope.csv"), "good": _data_file(tmp_path)}
    for name, text in (("bad", "x,y\n1,2\n3,oops\n"), ("empty", "x,y\n")):
        (tmp_path / f"{name}.csv").write_text(text)
        files[name] = str(tmp_path / f"{name}.csv")
    for command in (["train", "--steps", "1"], ["derive"]):
        done = cli(*command, *[a.format(**files) for a in args])
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1
        assert f"argument {option}" in done.stderr and words in done.stderr


@pytest.mark.parametrize("command", ["derive", "train"])
def test_help_names_the_data_options(command):
    text = cli(command, "--help").stdout
    for option in ("--data FILE", "--batch-size B", "--shuffle SEED", "--init SCHEME", "--seed S"):
        assert option in text
