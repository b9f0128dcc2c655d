"""The headless command line: ``derive`` and ``train``.  Imports no Qt."""

import argparse
import math
import os
import sys

from . import csvio
from .dataset import read_csv
from .gradcheck import trainer_checks
from .init import SCHEMES, initialize
from .limits import DEFAULTS, INPUTS, PARAMS, InputError, check
from .terms import (ACTIVATIONS, DEFAULT_SPEC, FIELD_USERS, LEAK_RANGE, LOSSES, OPTIMIZERS, RATE_RANGES, SCHEDULES,
                    Spec, interval)
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
Run '%(prog)s SUBCOMMAND --help' for the options of each."""

EXIT_USAGE, EXIT_DIVERGED = 2, 1


class _Parser(argparse.ArgumentParser):
    """Bad input is one line on standard error and exit status 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _finite(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def _count(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value
    return parse


def _add_common(parser):
    group = parser.add_argument_group("the network and the sample (defaults: the reference's worked example)")
    for name in PARAMS + INPUTS:
        # None: not given (the default then applies), so that --init and --data can refuse them.
        group.add_argument(f"--{name}", type=_finite, default=None, metavar="V",
                           help=f"default {DEFAULTS[name]:g}")
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
                           "any B >= the number of samples: the full batch")
    data.add_argument("--shuffle", type=_count(0), metavar="SEED",
                      help="shuffle the samples every epoch with this seed (a whole number from 0; "
                           "the same seed gives the same batches); needs --batch-size")
    network = parser.add_argument_group("the activations and the loss (defaults: the reference's)")
    names = ", ".join(ACTIVATIONS)
    network.add_argument("--activation", choices=ACTIVATIONS, metavar="NAME",
                         help=f"the activation of both hidden layers: {names} "
                              f"(default {DEFAULT_SPEC.activation1})")
    for layer in (1, 2):
        network.add_argument(f"--activation{layer}", choices=ACTIVATIONS, metavar="NAME",
                             help=f"the activation of hidden layer {layer} only (overrides --activation)")
    network.add_argument("--leak", type=_finite, default=DEFAULT_SPEC.leak, metavar="A",
                         help=f"leaky_relu's slope where z <= 0, from {LEAK_RANGE[0]:g} to "
                              f"{LEAK_RANGE[1]:g} (default {DEFAULT_SPEC.leak:g})")
    network.add_argument("--loss", choices=LOSSES, default=DEFAULT_SPEC.loss, metavar="NAME",
                         help="squared: L = (yhat - y)^2, dL/dyhat = 2(yhat - y) (the default); "
                              "half-squared: L = (yhat - y)^2 / 2, dL/dyhat = yhat - y")
    _add_update(parser)
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the CSV to FILE (atomically) instead of standard output")


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
                    "its relative error to 'value'), empty in the other rows.")
    derive.add_argument("--steps", type=_count(0), default=0, metavar="N",
                        help="number of updates (default 0: the starting state only)")
    _add_common(derive)
    train = commands.add_parser(
        "train", help="the training history of states 0..N",
        description="Train N updates and write one row per state as CSV with the columns "
                    f"{','.join(csvio.HISTORY_COLUMNS)}, and then, for an optimizer that keeps "
                    "state, that state: momentum v_W1..v_b3, rmsprop s_W1..s_b3, adam m_W1..m_b3,"
                    "v_W1..v_b3,t; a schedule other than constant adds the update counter t.")
    train.add_argument("--steps", type=_count(0), required=True, metavar="N", help="number of updates")
    train.add_argument("--every", type=_count(1), default=1, metavar="K",
                       help="keep every K-th state, and always the last (default 1)")
    _add_common(train)
    for sub in (derive, train):
        sub.epilog = ("Exit status: 0 on success; 1 if training diverged (the finite states are "
                      "written, standard error names the step and the quantity); 2 on bad input.")
    parser.set_defaults(subparsers={"derive": derive, "train": train})
    return parser


class OptionError(InputError):
    """A bad option: ``name`` is the option itself (``--decay-every``)."""


def spec(args):
    """The Spec the options ask for; OptionError naming the option if bad."""
    general = args.activation or DEFAULT_SPEC.activation1
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
    try:
        return Spec(activation1=args.activation1 or general, activation2=args.activation2 or general,
                    leak=args.leak, loss=args.loss, **update)
    except InputError as error:
        if error.name == "clip_c":
            option = "--clip-value" if args.clip_value is not None else "--clip-norm"
        else:
            option = FIELD_OPTIONS.get(error.name, "--" + error.name)
        raise OptionError(option, error.message) from None


def _write(args, write):
    if args.output is None:
        write(sys.stdout)
        sys.stdout.flush()
    else:
        csvio.write_atomically(args.output, write)


def _given(args, names):
    return [f"--{n}" for n in names if getattr(args, n) is not None]


def _start(args):
    """The starting parameters; OptionError for a bad combination."""
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


def run(argv=None, prog=None):
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        params = {p: check(p, value) for p, value in _start(args).items()}
        x, y = _samples(args)
        if args.shuffle is not None and args.batch_size is None:
            raise OptionError("--shuffle", "is used only with --batch-size")
        alpha = check("alpha", DEFAULTS["alpha"] if args.alpha is None else args.alpha)
        trainer = Trainer(params, x, y, alpha, spec=spec(args), batch_size=args.batch_size,
                          shuffle_seed=args.shuffle)
    except OptionError as error:
        args.subparsers[args.command].error(f"argument {error.name}: {error.message}")
    except InputError as error:
        args.subparsers[args.command].error(f"argument --{error.name}: {error.message}")
    divergence = trainer.run(args.steps)
    try:
        if args.command == "derive":
            _write(args, lambda s: csvio.write_derivations(
                s, ((k, trainer.derivation(k), trainer_checks(trainer, k)) for k in range(len(trainer)))))
        else:
            _write(args, lambda s: csvio.write_history(s, trainer.history, args.every))
    except BrokenPipeError:  # piped into head: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # as the Python docs advise
        return 0
    except OSError as error:
        print(f"{parser.prog}: error: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return 1
    if divergence is not None:
        print(f"{parser.prog}: {divergence.message}", file=sys.stderr)
        return EXIT_DIVERGED
    return 0
