"""The headless command line: ``derive`` and ``train``.  Imports no Qt."""

import argparse
import contextlib
import csv
import os
import re
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from functools import partial

import numpy as np

from . import csvio, derivation_text
from .dataset import parse_number, read_csv
from .examples import EXAMPLES
from .gradcheck import trainer_checks
from .init import SCHEMES, initialize, initialize_network
from .layers import parse_layers
from .limits import DEFAULTS, INPUTS, PARAMS, InputError, check
from .network_training import NetworkTrainer
from .terms import (ACTIVATIONS, DEFAULT_SPEC, FIELD_USERS, LEAK_RANGE, LOSSES, MAX_HIDDEN,
                    MAX_WIDTH, OPTIMIZERS, OUTPUT_ACTIVATIONS, RATE_RANGES, SCHEDULES, Spec, interval)
from .training import Trainer

DESCRIPTION = """\
Backprop Explorer: every chain-rule term of backpropagation through
x -> tanh(W1 x + b1) -> tanh(W2 h1 + b2) -> W3 h2 + b3 = yhat, loss (yhat - y)^2
(the hidden layers' activations and the loss convention can be changed, and
the update: gradient descent, momentum, RMSprop or Adam, a learning-rate
schedule, gradient clipping).

Without a subcommand the window opens.  With one, it runs headless and writes CSV:
  derive   the derivation table (formula, substitution, value) of states 0..N
  train    the training history: parameters, loss and gradient of states 0..N
Run '%(prog)s SUBCOMMAND --help' for the options of each.

Numbers are written as in a dataset's CSV: ASCII digits with an optional sign,
point and exponent (2, -1.5, -1e-3, -.5); not 1_000, nor other scripts' digits.
A negative value may follow its option (--W1 -1e-3) or be joined to it
(--W1=-1e-3)."""

EXIT_DIVERGED, EXIT_USAGE, EXIT_WRITE = 1, 2, 3
EXIT_STATUS = ("Exit status: 0 on success; 1 if training diverged (the finite states are "
               "written, standard error names the step and the quantity); 2 on bad input; "
               "3 if the output could not be written (a full disk, a closed standard output); "
               "128 + N if stopped by signal N (130: Ctrl-C, 143: SIGTERM, 129: SIGHUP), no "
               "half-written file left behind.")
# derive keeps every state and writes some sixty rows of text for each: beyond this the table
# is gigabytes.  train streams its rows; its limit keeps the step numbers and the update counter
# far from float64's whole numbers (2^53) and a run within days.
MAX_DERIVE_STEPS = 100_000
MAX_TRAIN_STEPS = 1_000_000_000
# States trained between two writes when streaming (one History chunk): the memory of a run of
# any length is two such blocks of rows.
STREAM_BLOCK = 1 << 16
# The widest float64 repr: -2.2250738585072014e-308.
_FLOAT_WIDTH = 24


class _Parser(argparse.ArgumentParser):
    """Bad input is one line on standard error and exit status 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _finite(text):
    try:
        return parse_number(text)
    except ValueError as why:
        if str(why) == "must be finite":
            raise argparse.ArgumentTypeError(f"must be finite, got {text!r}") from None
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


_finite.numeric = True


def _values(text):
    """A number, or a matrix written row by row: rows separated by ';',
    entries by ',' (``0.15,0.20;0.25,0.30``): a list of rows."""
    if "," not in text and ";" not in text:
        return _finite(text)
    rows = [row.split(",") for row in text.split(";")]
    return [[_finite(entry) for entry in row] for row in rows]


_values.numeric = True
# The parameters of the widest network beyond the chain's W1 … b3: up to four hidden layers.
MORE_PARAMS = ("W4", "b4", "W5", "b5")


def _layers(text):
    """A network's widths from input to output: ``2-2-2``."""
    try:
        return parse_layers(text)
    except InputError as error:
        raise argparse.ArgumentTypeError(error.message) from None


_DIGITS = re.compile(r"\s*[+-]?[0-9]+\s*")


def _count(minimum, maximum=None):
    def parse(text):
        try:
            value = parse_number(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not value.is_integer():
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
        if _DIGITS.fullmatch(text):
            value = int(text)    # exact however long (a seed may be)
        elif abs(value) <= 2 ** 53:
            value = int(value)   # 1e6: exact below 2^53
        else:
            raise argparse.ArgumentTypeError(f"write {text!r} in digits: a float is not exact there")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {value:,}")
        return value
    parse.numeric = True
    return parse


def _join_negative_values(argv, parser):
    """``argv`` with a value that starts with '-' joined to its numeric option
    (``--W1 -1e-3`` -> ``--W1=-1e-3``).  argparse takes only -1 and -1.5 for
    negative numbers; anything else that starts with '-' (-1e-3, -inf) it
    takes for an option and then says the option lacks its value."""
    numeric, options = set(), set()
    for sub in parser.get_default("subparsers").values():
        for action in sub._actions:
            options.update(action.option_strings)
            if getattr(action.type, "numeric", False):
                numeric.update(action.option_strings)
    joined, i = [], 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            joined.extend(argv[i:])
            break
        name = token if token in options else _abbreviated(token, options)
        value = argv[i + 1] if i + 1 < len(argv) else None
        if name in numeric and value is not None and value.startswith("-") and value not in options \
                and _looks_numeric(value):
            joined.append(f"{token}={value}")
            i += 2
        else:
            joined.append(token)
            i += 1
    return joined


def _abbreviated(token, options):
    """The option a ``--prefix`` stands for, as argparse would read it; None if none or several."""
    if not token.startswith("--") or "=" in token:
        return None
    found = [o for o in options if o.startswith(token)]
    return found[0] if len(found) == 1 else None


def _looks_numeric(text):
    """Whether ``text`` was meant as a number: it then reaches the number
    parser, which accepts it or says why not."""
    if re.match(r"-\.?[0-9]", text):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _add_common(parser):
    group = parser.add_argument_group(
        "the network and the sample (defaults: the reference's worked example)",
        "A layer wider than one takes a matrix row by row, rows separated by ';' and entries by ',' "
        "(--W1 '0.15,0.20;0.25,0.30': row i holds the weights into unit i), a vector its entries "
        "(--b1 0.35,0.35, --x 0.05,0.10); a width-1 one a plain number.")
    group.add_argument("--layers", type=_layers, metavar="N-…-N",
                       help=f"the widths from input to output, 2 to {MAX_HIDDEN + 2} numbers from 1 to "
                            f"{MAX_WIDTH} (default 1-1-1-1, the reference's chain); another shape takes "
                            f"its parameters from --init (default xavier) unless given")
    group.add_argument("--preset", choices=tuple(EXAMPLES), metavar="NAME",
                       help="start from a worked example: reference (the default) or mazur (the 2-2-2 "
                            "network of Matt Mazur's step-by-step example: sigmoid layers, half-squared "
                            "loss, alpha 0.5); options given override it")
    for name in PARAMS + MORE_PARAMS + INPUTS:
        # None: not given (the default then applies), so that --init and --data can refuse them.
        default = f"default {DEFAULTS[name]:g}" if name in DEFAULTS else "a network with this layer"
        group.add_argument(f"--{name}", type=_finite if name == "alpha" else _values, default=None,
                           metavar="V", help=default)
    group.add_argument("--init", choices=SCHEMES, metavar="SCHEME",
                       help="draw all six parameters W1..b3: xavier (weights ~ N(0, 1)), he (weights "
                            "~ N(0, sqrt 2)) or zeros; biases 0. Not together with --W1 .. --b3")
    group.add_argument("--seed", type=_count(0), metavar="S",
                       help="the seed of --init's draw, a whole number from 0 (default 0); "
                            "the same seed gives the same parameters")
    data = parser.add_argument_group("a dataset and mini-batches (default: the one sample --x, --y)")
    data.add_argument("--data", metavar="FILE",
                      help="the samples from a CSV file with the header x,y and one sample a line "
                           "(not together with --x, --y); terms are then means over a batch")
    data.add_argument("--batch-size", type=_count(1), metavar="B",
                      help="update on B samples at a time (1: one sample at a time); without "
                           "--shuffle, consecutive rows in file order, an epoch's last batch may be "
                           "smaller and the next epoch starts again at the first row; default and "
                           "any B >= the number of samples: the full batch; needs --data")
    data.add_argument("--shuffle", type=_count(0), metavar="SEED",
                      help="shuffle the samples every epoch with this seed (a whole number from 0; "
                           "the same seed gives the same batches); needs --data and --batch-size")
    network = parser.add_argument_group("the activations and the loss (defaults: the reference's)")
    names = ", ".join(ACTIVATIONS)
    network.add_argument("--activation", choices=ACTIVATIONS, metavar="NAME",
                         help=f"the activation of both hidden layers: {names} "
                              f"(default {DEFAULT_SPEC.activation1})")
    for layer in (1, 2):
        network.add_argument(f"--activation{layer}", choices=ACTIVATIONS, metavar="NAME",
                             help=f"the activation of hidden layer {layer} only (overrides --activation)")
    network.add_argument("--activations", metavar="A,B,…",
                         help="one activation per hidden layer, first to last")
    network.add_argument("--output-activation", choices=OUTPUT_ACTIVATIONS, metavar="NAME",
                         help=f"the output layer's: {', '.join(OUTPUT_ACTIVATIONS)} (default linear)")
    network.add_argument("--leak", type=_finite, default=None, metavar="A",
                         help=f"leaky_relu's slope where z <= 0, from {LEAK_RANGE[0]:g} to "
                              f"{LEAK_RANGE[1]:g} (default {DEFAULT_SPEC.leak:g}); only with a "
                              f"leaky_relu layer")
    network.add_argument("--loss", choices=LOSSES, default=None, metavar="NAME",
                         help="squared: L = (yhat - y)^2, dL/dyhat = 2(yhat - y) (the default); "
                              "half-squared: L = (yhat - y)^2 / 2, dL/dyhat = yhat - y")
    _add_update(parser)
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (atomically: FILE appears only when complete) "
                             "instead of standard output; not the file of --data")


# The numbers of the update: option -> (Spec field, the optimizer or schedule it belongs to, help).
UPDATE_OPTIONS = {
    "--momentum": ("momentum", FIELD_USERS["momentum"], "momentum's mu: v <- mu v + g, theta <- theta - alpha v"),
    "--rho": ("rho", FIELD_USERS["rho"], "RMSprop's rho: s <- rho s + (1 - rho) g^2, "
                                "theta <- theta - alpha g / (sqrt(s) + eps)"),
    "--beta1": ("beta1", FIELD_USERS["beta1"], "Adam's beta1: m <- beta1 m + (1 - beta1) g"),
    "--beta2": ("beta2", FIELD_USERS["beta2"], "Adam's beta2: v <- beta2 v + (1 - beta2) g^2; "
                                 "theta <- theta - alpha mhat / (sqrt(vhat) + eps), "
                                 "mhat = m / (1 - beta1^t), vhat = v / (1 - beta2^t), t from 1"),
    "--eps": ("eps", FIELD_USERS["eps"], "RMSprop's and Adam's eps"),
    "--decay": ("decay", FIELD_USERS["decay"], "the schedule's gamma: step: alpha gamma^floor(t/k); "
                                          "exp: alpha gamma^t (t: the update, from 0)"),
    "--decay-every": ("decay_every", FIELD_USERS["decay_every"], "the step schedule's k"),
}
# The option of each field of the Spec, for the messages of bad values.
FIELD_OPTIONS = {field: option for option, (field, _, _) in UPDATE_OPTIONS.items()}


def _add_update(parser):
    update = parser.add_argument_group(
        "the update (defaults: plain gradient descent theta <- theta - alpha g at a constant alpha)")
    update.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULT_SPEC.optimizer, metavar="NAME",
                        help=f"{', '.join(OPTIMIZERS)} (default {DEFAULT_SPEC.optimizer}); the optimizer's "
                             f"state (v_W1 ..., s_W1 ..., m_W1 ... and t) is recorded with every state")
    for option, (field, _, text) in UPDATE_OPTIONS.items():
        if option == "--decay":
            update.add_argument("--schedule", choices=SCHEDULES, default=DEFAULT_SPEC.schedule,
                                metavar="NAME", help="the learning-rate schedule: constant (the "
                                                     "default), step or exp")
        default = getattr(DEFAULT_SPEC, field)
        if field in RATE_RANGES:
            update.add_argument(option, type=_finite, default=None, metavar="V",
                                help=f"{text} (default {default:g}, in {interval(*RATE_RANGES[field])})")
        else:
            update.add_argument(option, type=_count(1), default=None, metavar="K",
                                help=f"{text}, a whole number from 1 (default {default})")
    clip = update.add_mutually_exclusive_group()
    limits = interval(*RATE_RANGES["clip_c"])
    clip.add_argument("--clip-value", type=_finite, metavar="C",
                      help=f"clip each gradient to [-C, C] before the optimizer uses it; C in {limits}")
    clip.add_argument("--clip-norm", type=_finite, metavar="C",
                      help="scale all six gradients by C/||g|| where their norm ||g|| exceeds C "
                           "(or --clip-value, not both)")


def build_parser(prog=None):
    parser = _Parser(prog=prog, description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    derive = commands.add_parser(
        "derive", help="the derivation table of states 0..N",
        description="Write the derivation of every state 0..N (state k = after k updates) as CSV "
                    f"with the columns {','.join(csvio.DERIVATION_COLUMNS)}. 'quantity' is a stable "
                    "ASCII id (dL/dW1, W1_next, L_next, ...); 'value' reads back as the identical float64; "
                    "'numerical' and 'relative_error' are the gradient check of the six gradients "
                    "dL/dW1 .. dL/db3 (the central difference (L(theta + h) - L(theta - h)) / 2h and "
                    "its relative error to 'value'), empty in the other rows. With --format markdown or "
                    "latex, the same derivation as text to paste into lecture notes.")
    derive.add_argument("--steps", type=_count(0, MAX_DERIVE_STEPS), default=0, metavar="N",
                        help=f"number of updates (default 0: the starting state only; at most "
                             f"{MAX_DERIVE_STEPS:,})")
    derive.add_argument("--format", choices=derivation_text.FORMATS, default="csv", metavar="FORMAT",
                        help="csv (the default, the columns above), markdown (per state a heading and a "
                             "table Quantity | Formula | Substitution | Value, the window's texts and "
                             "digits) or latex (a document for pdflatex with amsmath, booktabs and "
                             "longtable: symbols such as \\frac{\\partial L}{\\partial W_1})")
    _add_common(derive)
    train = commands.add_parser(
        "train", help="the training history of states 0..N",
        description="Train N updates and write one row per state as CSV with the columns "
                    f"{','.join(csvio.HISTORY_COLUMNS)}, and then, for an optimizer that keeps "
                    "state, that state: momentum v_W1..v_b3, rmsprop s_W1..s_b3, adam m_W1..m_b3,"
                    "v_W1..v_b3,t; a schedule other than constant adds the update counter t.")
    train.add_argument("--steps", type=_count(0, MAX_TRAIN_STEPS), required=True, metavar="N",
                       help=f"number of updates, at most {MAX_TRAIN_STEPS:,}; the rows are written "
                            f"as training goes, and only those kept are held in memory; with -o, "
                            f"refused up front if the CSV might not fit on the disk")
    train.add_argument("--every", type=_count(1), default=1, metavar="K",
                       help="keep every K-th state, and always the last (default 1)")
    _add_common(train)
    for sub in (derive, train):
        sub.epilog = EXIT_STATUS
    parser.epilog = EXIT_STATUS
    parser.set_defaults(subparsers={"derive": derive, "train": train})
    return parser


class OptionError(InputError):
    """A bad option: ``name`` is the option itself (``--decay-every``)."""


def _network(args):
    """The network's fields the options ask for (over the preset's)."""
    network = dict(EXAMPLES[args.preset or "reference"]["network"])
    if args.layers is not None:
        network["layers"] = args.layers
    layers = network.get("layers", DEFAULT_SPEC.layers)
    hidden = len(layers) - 2
    if args.loss is not None:
        network["loss"] = args.loss
    if args.output_activation is not None:
        network["output_activation"] = args.output_activation
    chosen = [args.activation] * hidden if args.activation else []
    if args.activations is not None:
        names = [n.strip() for n in args.activations.split(",")]
        if len(names) != hidden:
            raise OptionError("--activations", f"gives {len(names)} activation{'s' if len(names) != 1 else ''} "
                                               f"for {hidden} hidden layer{'s' if hidden != 1 else ''}")
        for name in names:
            if name not in ACTIVATIONS:
                raise OptionError("--activations", f"unknown activation {name!r}; choose from "
                                                   f"{', '.join(ACTIVATIONS)}")
        chosen = names
    for k, name in enumerate(chosen, 1):
        network[f"activation{k}"] = name
    for k in (1, 2):
        name = getattr(args, f"activation{k}")
        if name is not None:
            if k > hidden:
                raise OptionError(f"--activation{k}", f"the network {'-'.join(map(str, layers))} has "
                                                      f"no hidden layer {k}")
            network[f"activation{k}"] = name
    return network


def spec(args):
    """The Spec the options ask for; OptionError naming the option if bad."""
    update = {"optimizer": args.optimizer, "schedule": args.schedule}
    for option, (field, owners, _) in UPDATE_OPTIONS.items():
        value = getattr(args, field)
        if value is None:
            continue
        if args.optimizer not in owners and args.schedule not in owners:
            needs = " or ".join(f"--{'optimizer' if o in OPTIMIZERS else 'schedule'} {o}" for o in owners)
            raise OptionError(option, f"is used only with {needs}")
        update[field] = value
    if args.clip_value is not None:
        update.update(clip="value", clip_c=args.clip_value)
    if args.clip_norm is not None:
        update.update(clip="norm", clip_c=args.clip_norm)
    network = _network(args)
    try:
        made = Spec(leak=DEFAULT_SPEC.leak if args.leak is None else args.leak, **network, **update)
    except InputError as error:
        if error.name == "clip_c":
            option = "--clip-value" if args.clip_value is not None else "--clip-norm"
        else:
            option = FIELD_OPTIONS.get(error.name, "--" + error.name)
        raise OptionError(option, error.message) from None
    if args.leak is not None and not made.uses("leak"):
        needs = " or ".join(f"--activation {a}" for a in FIELD_USERS["leak"])
        raise OptionError("--leak", f"is used only with {needs} (or --activation1/--activation2)")
    return made


class CannotWrite(Exception):
    """The output failed: ``where`` is "standard output" or the file's name."""

    def __init__(self, where, error):
        why = error.strerror or str(error) if isinstance(error, OSError) else str(error)
        super().__init__(f"cannot write {where}: {why[:1].lower()}{why[1:]}")


def _write(args, write):
    """``write(stream)`` (a function, or a writer that yields between pieces,
    after which standard output is flushed) into the output; CannotWrite if
    it fails, BrokenPipeError if standard output's reader has gone."""
    if args.output is not None:
        # A signal is held while the temporary file is made and while it is moved into place:
        # raised there, it would come between two steps of the atomic writer, outside its clean-up.
        _hold()
        try:
            csvio.write_atomically(args.output, _released(write))
        except OSError as error:
            raise CannotWrite(args.output, error) from None
        finally:
            _release()
        return
    stream = sys.stdout
    try:
        pieces = write(stream)
        for _ in pieces or ():
            stream.flush()   # a long run shows its rows as they come, not when it ends
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        _quiet_stdout()
        raise CannotWrite("to standard output", error) from None


def _released(write):
    """``write`` as a writer that yields between pieces, run with signals
    released: from its first line the atomic writer's clean-up is in place."""
    def run(stream):
        _release()
        pieces = write(stream)
        if isinstance(pieces, Iterator):
            yield from pieces
        _hold()
    return run


def _quiet_stdout():
    """Point a failed standard output at the null device: the interpreter's
    last flush of what is still buffered would fail again, a second message."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):   # not a real file (a test's StringIO)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    if null != fd:   # with fd 1 closed, the null device takes its number
        os.dup2(null, fd)
        os.close(null)


def _given(args, names):
    return [f"--{n}" for n in names if getattr(args, n) is not None]


def _start(args):
    """The starting parameters of the chain; OptionError for a bad combination."""
    for name in MORE_PARAMS:
        if getattr(args, name) is not None:
            raise OptionError(f"--{name}", f"the network 1-1-1-1 has no layer {name[1:]}")
    for name in PARAMS + ("x", "y"):
        if isinstance(getattr(args, name), list):
            raise OptionError(f"--{name}", "must be one number: every layer of the 1-1-1-1 network "
                                           "has one unit")
    given = _given(args, PARAMS)
    if args.init is not None:
        if given:
            raise OptionError(given[0], "cannot be given together with --init, which sets all six "
                                        "parameters")
        return initialize(args.init, 0 if args.seed is None else args.seed)
    if args.seed is not None:
        raise OptionError("--seed", "is used only with --init")
    return {p: DEFAULTS[p] if getattr(args, p) is None else getattr(args, p) for p in PARAMS}


def _samples(args):
    """(x, y): the file of --data, or the one sample of --x, --y."""
    if args.data is None:
        return [check(n, DEFAULTS[n] if getattr(args, n) is None else getattr(args, n))
                for n in ("x", "y")]
    given = _given(args, ("x", "y"))
    if given:
        raise OptionError(given[0], "cannot be given together with --data, which holds the samples")
    try:
        return read_csv(args.data)
    except InputError as error:
        raise OptionError("--data", f"{args.data}: {error}") from None
    except OSError as error:
        raise OptionError("--data", f"cannot read {args.data}: {error.strerror or error}") from None


def _check_output(args, columns):
    """Refuse up front what would destroy the input or cannot fit: OptionError."""
    if args.output is None:
        return
    if args.data is not None and os.path.exists(args.output) and os.path.exists(args.data) \
            and os.path.samefile(args.data, args.output):
        raise OptionError("-o/--output", f"{args.output} is the file of --data: writing it would "
                                         f"destroy the samples")
    if args.command != "train":
        return
    target = os.path.realpath(args.output)
    try:
        if not stat.S_ISREG(os.stat(target).st_mode):
            return   # a device or a pipe (-o /dev/null): no disk to fill
    except OSError:
        pass         # not there yet
    need = csv_size_bound(args.steps, args.every, columns)
    try:
        disk = os.statvfs(os.path.dirname(target))
    except (OSError, AttributeError):   # no such folder (the write says so), or no statvfs
        return
    free = disk.f_bavail * disk.f_frsize
    if need > free:
        raise OptionError("--steps", f"the CSV of {args.steps:,} steps could take up to "
                                     f"{_size(need)}, more than the {_size(free)} free beside "
                                     f"{args.output}: use a larger --every or fewer --steps")


def _size(size):
    return f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{size / 1e6:,.1f} MB"


def written_steps(steps, every):
    """How many rows ``train`` writes for ``steps`` updates: states 0, every,
    2·every, … and the last."""
    return steps // every + 1 + (1 if steps % every else 0)


def csv_size_bound(steps, every, columns):
    """The most bytes the CSV of ``train`` can take: ``columns`` names its
    columns after 'step'; every value at its widest (a float64's repr is at
    most 24 characters), a comma before each and the csv module's CR LF."""
    header = len(",".join(("step",) + tuple(columns))) + 2
    row = len(str(steps)) + len(columns) * (_FLOAT_WIDTH + 1) + 2
    return header + written_steps(steps, every) * row


def stream_history(trainer, steps, every, block=STREAM_BLOCK):
    """A writer (see :func:`engine.csvio.write_atomically`) that trains
    ``trainer`` (fresh: one state) ``steps`` updates a block at a time and
    writes the rows :func:`engine.csvio.write_history` would write for
    ``every``, forgetting each block's rows once they are written.  Its
    memory is a few blocks however many steps."""
    if len(trainer) != 1:
        raise ValueError("stream_history trains a fresh trainer")

    def write(stream):
        out = csv.writer(stream)
        header = csvio.history_columns(trainer.history)
        out.writerow(header)
        # An optimizer's state the chain's row may lack (NaN) is an empty cell; a network's has it all.
        extra = 0 if isinstance(trainer, NetworkTrainer) else len(header) - len(csvio.HISTORY_COLUMNS)
        order = [trainer.history.columns.index("L" if c == "loss" else c) for c in header[1:]]
        history, start, remaining = trainer.history, 0, steps
        while True:
            take = min(block, remaining)
            trainer.run(take)
            remaining -= take
            done = remaining == 0 or trainer.divergence is not None
            last = len(trainer) - 1
            # The last state so far is written with the next block unless the run ends here.
            stop = last + 1 if done else last
            _write_rows(out, history, start, stop, every, order, extra, final=done)
            if done:
                return
            start = stop
            history.forget(last)
            yield

    return write


def _cells(row, extra):
    """As csvio writes a row: an absent optimizer state (NaN) is an empty cell."""
    return row[:-extra] + ["" if v != v else v for v in row[-extra:]]


def _write_rows(out, history, start, stop, every, order, extra, final):
    """The rows of states ``start`` … ``stop`` - 1 that ``every`` keeps, and
    the last of them if ``final``, formatted as engine.csvio's history writer
    formats them."""
    if every == 1:
        for first in range(start, stop, 512):
            rows = history.rows(first, min(first + 512, stop))[:, order].tolist()
            if extra:
                rows = [_cells(row, extra) for row in rows]
            out.writerows([first + i, *row] for i, row in enumerate(rows))
        return
    steps = list(range(-(-start // every) * every, stop, every))
    if final and stop > start and (not steps or steps[-1] != stop - 1):
        steps.append(stop - 1)
    for step in steps:
        row = history.row(step)[order].tolist()
        out.writerow([step, *(_cells(row, extra) if extra else row)])


# --- stopping by a signal ------------------------------------------------------

class Stopped(BaseException):
    """A signal asked the run to stop.  A BaseException, as KeyboardInterrupt:
    the atomic write's clean-up (which removes its temporary file) sees it, and
    no ``except Exception`` on the way swallows it."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                      if hasattr(signal, name))


_held = False      # a signal now is kept for _release
_pending = None    # the signal kept


def _stop(signum, frame):
    global _pending
    # A second signal must not cut the first one's clean-up short.
    for number in _STOP_SIGNALS:
        if signal.getsignal(number) is _stop:
            signal.signal(number, signal.SIG_IGN)
    if _held:
        _pending = signum
        return
    raise Stopped(signum)


def _hold():
    global _held
    _held = True


def _release():
    """Stop holding signals; Stopped if one came meanwhile."""
    global _held, _pending
    _held = False
    if _pending is not None:
        signum, _pending = _pending, None
        raise Stopped(signum)


@contextlib.contextmanager
def _signals_stop():
    """SIGINT, SIGTERM and SIGHUP raise Stopped while the run lasts, unless
    ignored (only the main thread may set handlers: elsewhere they stay as they are)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    global _held, _pending
    # A signal ignored from the start stays ignored: nohup's SIGHUP, a background job's SIGINT.
    before = {number: signal.signal(number, _stop) for number in _STOP_SIGNALS
              if signal.getsignal(number) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        _held, _pending = False, None


def _say(line):
    if sys.stderr is not None:
        print(line, file=sys.stderr, flush=True)


def run(argv=None, prog=None):
    """Run the command line ``argv`` (default sys.argv[1:]); its exit status.
    Bad input exits (SystemExit 2) with argparse's one line."""
    parser = build_parser(prog)
    argv = sys.argv[1:] if argv is None else list(argv)
    with _signals_stop():
        try:
            return _run(parser, _join_negative_values(argv, parser))
        except Stopped as stop:
            _say(f"{parser.prog}: stopped by {signal.Signals(stop.signum).name}")
            return 128 + stop.signum


def _network_trainer(args, made):
    """The trainer of a network of another shape than the chain's."""
    layers, example = made.layers, EXAMPLES[args.preset or "reference"]
    shape = "-".join(map(str, layers))
    if args.preset not in (None, "reference") and example["network"].get("layers") != layers:
        raise OptionError("--layers", f"{shape} is not the shape of --preset {args.preset}")
    names = [f"{kind}{l}" for l in range(1, len(layers)) for kind in "Wb"]
    for name in PARAMS + MORE_PARAMS:
        if name not in names and getattr(args, name) is not None:
            raise OptionError(f"--{name}", f"the network {shape} has no layer {name[1:]}")
    if args.preset not in (None, "reference") and args.init is None:
        params = dict(example["params"])
    else:
        if args.seed is not None and args.init is None and args.preset not in (None, "reference"):
            raise OptionError("--seed", "is used only with --init")
        params = initialize_network(args.init or "xavier", 0 if args.seed is None else args.seed, layers)
    params.update((n, getattr(args, n)) for n in names if getattr(args, n) is not None)
    if args.data is not None:
        given = _given(args, ("x", "y"))
        if given:
            raise OptionError(given[0], "cannot be given together with --data, which holds the samples")
        try:
            x, y = read_csv(args.data, layers[0], layers[-1])
        except InputError as error:
            raise OptionError("--data", f"{args.data}: {error}") from None
        except OSError as error:
            raise OptionError("--data", f"cannot read {args.data}: {error.strerror or error}") from None
    else:
        defaults = {"x": example["x"] if args.preset else DEFAULTS["x"],
                    "y": example["y"] if args.preset else DEFAULTS["y"]}
        x, y = (getattr(args, n) if getattr(args, n) is not None else defaults[n] for n in ("x", "y"))
        for name, value, width in (("x", x, layers[0]), ("y", y, layers[-1])):
            count = int(np.size(value))
            if count != width:
                raise OptionError(f"--{name}", f"must be {width} number{'s' if width > 1 else ''} (the "
                                               f"{'input' if name == 'x' else 'output'} layer's width), "
                                               f"got {count}")
    alpha = args.alpha if args.alpha is not None else example["alpha"] if args.preset else DEFAULTS["alpha"]
    try:
        return NetworkTrainer(made, params, x, y, alpha, batch_size=args.batch_size,
                              shuffle_seed=args.shuffle)
    except InputError as error:
        raise OptionError(f"--{error.name}" if error.name in names + ["x", "y", "alpha"] else error.name,
                          error.message) from None


def _run(parser, argv):
    args = parser.parse_args(argv)
    try:
        made = spec(args)
        if args.shuffle is not None and args.batch_size is None:
            raise OptionError("--shuffle", "is used only with --batch-size")
        if args.batch_size is not None and args.data is None:
            raise OptionError("--batch-size", "is used only with --data: the one sample of --x, "
                                              "--y is always a full batch")
        if made.is_reference_shape:
            params = {p: check(p, value) for p, value in _start(args).items()}
            x, y = _samples(args)
            alpha = check("alpha", DEFAULTS["alpha"] if args.alpha is None else args.alpha)
            trainer = Trainer(params, x, y, alpha, spec=made, batch_size=args.batch_size,
                              shuffle_seed=args.shuffle)
        else:
            trainer = _network_trainer(args, made)
        _check_output(args, csvio.history_columns(trainer.history)[1:])
    except OptionError as error:
        args.subparsers[args.command].error(f"argument {error.name}: {error.message}")
    except InputError as error:
        args.subparsers[args.command].error(f"argument --{error.name}: {error.message}")
    try:
        if args.output is None and sys.stdout is None:
            raise CannotWrite("to standard output", "it is closed")
        if args.command == "derive":
            trainer.run(args.steps)
            checks = trainer.checks if isinstance(trainer, NetworkTrainer) else partial(trainer_checks, trainer)
            if args.format == "csv":
                _write(args, lambda s: csvio.write_derivations(
                    s, ((k, trainer.derivation(k), checks(k)) for k in range(len(trainer)))))
            else:
                parts = (derivation_text.Part(f"Step {k}", trainer.derivation(k), made) for k in range(len(trainer)))
                _write(args, lambda s: derivation_text.write(s, args.format, parts))
        else:
            _write(args, stream_history(trainer, args.steps, args.every))
    except BrokenPipeError:  # piped into head: the reader has all it wanted
        _quiet_stdout()      # as the Python docs advise
        return 0
    except CannotWrite as error:
        _say(f"{parser.prog}: error: {error}")
        return EXIT_WRITE
    if trainer.divergence is not None:
        _say(f"{parser.prog}: {trainer.divergence.message}")
        return EXIT_DIVERGED
    return 0
