"""The headless command line: ``derive`` and ``train``.  Imports no Qt."""

import argparse
import math
import os
import sys

from . import csvio
from .limits import DEFAULTS, INPUTS, PARAMS, InputError, check
from .terms import ACTIVATIONS, DEFAULT_SPEC, LEAK_RANGE, LOSSES, Spec
from .training import Trainer

DESCRIPTION = """\
Backprop Explorer: every chain-rule term of backpropagation through
x -> tanh(W1 x + b1) -> tanh(W2 h1 + b2) -> W3 h2 + b3 = yhat, loss (yhat - y)^2
(the hidden layers' activations and the loss convention can be changed).

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
        group.add_argument(f"--{name}", type=_finite, default=DEFAULTS[name], metavar="V",
                           help=f"default {DEFAULTS[name]:g}")
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
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the CSV to FILE (atomically) instead of standard output")


def build_parser(prog=None):
    parser = _Parser(prog=prog, description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    derive = commands.add_parser(
        "derive", help="the derivation table of states 0..N",
        description="Write the derivation of every state 0..N (state k = after k updates) as CSV "
                    f"with the columns {','.join(csvio.DERIVATION_COLUMNS)}. 'quantity' is a stable "
                    "ASCII id (dL/dW1, W1_next, L_next, ...); 'value' reads back as the identical float64.")
    derive.add_argument("--steps", type=_count(0), default=0, metavar="N",
                        help="number of updates (default 0: the starting state only)")
    _add_common(derive)
    train = commands.add_parser(
        "train", help="the training history of states 0..N",
        description="Train N updates and write one row per state as CSV with the columns "
                    f"{','.join(csvio.HISTORY_COLUMNS)}.")
    train.add_argument("--steps", type=_count(0), required=True, metavar="N", help="number of updates")
    train.add_argument("--every", type=_count(1), default=1, metavar="K",
                       help="keep every K-th state, and always the last (default 1)")
    _add_common(train)
    for sub in (derive, train):
        sub.epilog = ("Exit status: 0 on success; 1 if training diverged (the finite states are "
                      "written, standard error names the step and the quantity); 2 on bad input.")
    parser.set_defaults(subparsers={"derive": derive, "train": train})
    return parser


def spec(args):
    """The Spec the options ask for; InputError naming the option if bad."""
    general = args.activation or DEFAULT_SPEC.activation1
    return Spec(activation1=args.activation1 or general, activation2=args.activation2 or general,
                leak=args.leak, loss=args.loss)


def _write(args, write):
    if args.output is None:
        write(sys.stdout)
        sys.stdout.flush()
    else:
        csvio.write_atomically(args.output, write)


def run(argv=None, prog=None):
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        values = {name: check(name, getattr(args, name)) for name in PARAMS + INPUTS}
        trainer = Trainer({p: values[p] for p in PARAMS}, values["x"], values["y"], values["alpha"],
                          spec=spec(args))
    except InputError as error:
        args.subparsers[args.command].error(f"argument --{error}")
    divergence = trainer.run(args.steps)
    try:
        if args.command == "derive":
            _write(args, lambda s: csvio.write_derivations(
                s, ((k, trainer.derivation(k)) for k in range(len(trainer)))))
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
