"""An independent oracle for networks of any small shape (issue 13).

Nothing here imports the engine.  Every quantity is computed from the textbook
definitions, element by element, with explicit Python loops over layers and
units and Python floats (``math``), so that it shares no code and no
vectorisation with the engine it is compared against.  It is written to be read
and checked by hand, not to be fast.

Conventions (those of the issue):

* ``params`` is a list with one ``(W, b)`` pair per layer l = 1 … L (the last
  layer is the output layer).  ``W`` has shape (units of layer l, units of
  layer l − 1): ``W[i, j]`` connects unit j below to unit i above.  ``b`` has
  shape (units of layer l,).
* Layer l computes z_l = W_l h_{l−1} + b_l and h_l = act_l(z_l); h_0 = x and
  h_L = ŷ.
* ``activations`` names the activation of each hidden layer (one name per
  hidden layer; a single string stands for all of them): tanh, sigmoid, relu,
  leaky_relu (slope ``leak`` where z <= 0), linear.  ``output_activation`` is
  the output layer's: linear, sigmoid, tanh.
* Derivatives at a kink follow the engine's convention: relu'(0) = 0,
  leaky_relu'(0) = leak (the slope "where z <= 0").
* Loss of one sample: "squared" = Σ_k (ŷ_k − y_k)², "half-squared" =
  Σ_k ½(ŷ_k − y_k)².  A batch's loss is the mean over its samples.
* Indices in the string ids are 1-based in the issue (``dL/dW2[1,2]``); the
  numpy arrays here are 0-based, so ``dL/dW2[1,2]`` is ``g["dL/dW2"][0, 1]``.
"""

import math

import numpy as np

HIDDEN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "linear")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh")
LOSS_KINDS = ("squared", "half-squared")


# ---------------------------------------------------------------- activations
def _sigmoid(z):
    """σ(z) = 1 / (1 + e^−z), written so that e^… never overflows."""
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def activate(name, z, leak=0.01):
    """act(z) for one scalar z."""
    if name == "tanh":
        return math.tanh(z)
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "relu":
        return z if z > 0.0 else 0.0
    if name == "leaky_relu":
        return z if z > 0.0 else leak * z
    if name == "linear":
        return z
    raise ValueError(f"unknown activation {name!r}")


def activation_derivative(name, z, leak=0.01):
    """act'(z) for one scalar z, from the textbook formulas."""
    if name == "tanh":
        t = math.tanh(z)
        return 1.0 - t * t
    if name == "sigmoid":
        s = _sigmoid(z)
        return s * (1.0 - s)
    if name == "relu":
        return 1.0 if z > 0.0 else 0.0
    if name == "leaky_relu":
        return 1.0 if z > 0.0 else leak
    if name == "linear":
        return 1.0
    raise ValueError(f"unknown activation {name!r}")


# ---------------------------------------------------------------- shapes
def widths(params):
    """The network's widths from input to output, e.g. [2, 2, 2]."""
    return [np.shape(params[0][0])[1]] + [np.shape(W)[0] for W, _ in params]


def layer_activations(params, activations, output_activation):
    """The activation name of each layer 1 … L (index 0 is layer 1)."""
    hidden = len(params) - 1
    if isinstance(activations, str):
        activations = [activations] * hidden
    activations = list(activations)
    if len(activations) != hidden:
        raise ValueError(f"{hidden} hidden layers but {len(activations)} activations")
    for name in activations:
        if name not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"unknown hidden activation {name!r}")
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"unknown output activation {output_activation!r}")
    return activations + [output_activation]


def _check(params, x):
    below = len(x)
    for number, (W, b) in enumerate(params, start=1):
        rows, columns = np.shape(W)
        if columns != below or np.shape(b) != (rows,):
            raise ValueError(f"layer {number}: W {np.shape(W)}, b {np.shape(b)}, "
                             f"{below} units below")
        below = rows


def _floats(v):
    return [float(e) for e in np.asarray(v, dtype=float).ravel()]


# ---------------------------------------------------------------- one sample
def forward(params, x, activations, output_activation, leak=0.01):
    """The forward pass of one sample x (a 1-d vector).

    Returns ``(zs, hs)``, two lists of 1-d float arrays indexed by layer
    number: ``zs[l]`` is z_l and ``hs[l]`` is h_l for l = 1 … L, ``hs[0]`` is x
    and ``zs[0]`` is None (there is no z_0); ``hs[-1]`` is ŷ.
    """
    x = _floats(x)
    _check(params, x)
    acts = layer_activations(params, activations, output_activation)
    zs, hs = [None], [np.array(x)]
    below = x
    for (W, b), act in zip(params, acts):
        W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
        z, h = [], []
        for i in range(W.shape[0]):
            # z_i = Σ_j w_ij h_j + b_i (fsum: the exact sum, correctly rounded)
            z_i = math.fsum([float(W[i, j]) * below[j] for j in range(W.shape[1])]
                            + [float(b[i])])
            z.append(z_i)
            h.append(activate(act, z_i, leak))
        zs.append(np.array(z))
        hs.append(np.array(h))
        below = h
    return zs, hs


def loss(yhat, y, kind):
    """The loss of one sample, summed over the outputs, as a Python float."""
    yhat, y = _floats(yhat), _floats(y)
    if len(yhat) != len(y):
        raise ValueError(f"{len(yhat)} outputs but {len(y)} targets")
    if kind == "squared":
        return math.fsum([(p - t) * (p - t) for p, t in zip(yhat, y)])
    if kind == "half-squared":
        return math.fsum([0.5 * (p - t) * (p - t) for p, t in zip(yhat, y)])
    raise ValueError(f"unknown loss {kind!r}")


def gradients(params, x, y, activations, output_activation, loss_kind, leak=0.01):
    """Every chain-rule quantity of one sample, keyed by the issue's ids.

    Keys (L = number of layers, l = 1 … L, hidden layers are 1 … L − 1):
    ``"z{l}"``; ``"h{l}"`` and ``"dh{l}/dz{l}"`` for hidden l; ``"yhat"``,
    ``"dyhat/dz{L}"``, ``"err"`` (ŷ − y), ``"L"``, ``"dL/dyhat"``;
    ``"dL/dz{l}"``, ``"dL/dW{l}"``, ``"dL/db{l}"`` for every l;
    ``"dL/dh{l}"`` for hidden l.  Values are float numpy arrays: vectors of
    shape (units,), ``dL/dW{l}`` of W_l's shape, ``"L"`` a 0-d array.

    The backward pass is the textbook recursion, one element at a time:

        ∂L/∂ŷ_k      = 2(ŷ_k − y_k)   (squared)   or   ŷ_k − y_k   (half-squared)
        ∂L/∂z_L[i]   = ∂L/∂ŷ_i × act_L'(z_L[i])
        ∂L/∂W_l[i,j] = ∂L/∂z_l[i] × h_{l−1}[j]
        ∂L/∂b_l[i]   = ∂L/∂z_l[i]
        ∂L/∂h_{l−1}[j] = Σ_i W_l[i,j] × ∂L/∂z_l[i]
        ∂L/∂z_{l−1}[j] = ∂L/∂h_{l−1}[j] × act_{l−1}'(z_{l−1}[j])
    """
    zs, hs = forward(params, x, activations, output_activation, leak)
    acts = layer_activations(params, activations, output_activation)
    last = len(params)
    y = _floats(y)
    yhat = [float(v) for v in hs[last]]
    if len(y) != len(yhat):
        raise ValueError(f"{len(yhat)} outputs but {len(y)} targets")

    out = {}
    for l in range(1, last):
        out[f"z{l}"] = zs[l]
        out[f"h{l}"] = hs[l]
        out[f"dh{l}/dz{l}"] = np.array([activation_derivative(acts[l - 1], float(z), leak)
                                        for z in zs[l]])
    out[f"z{last}"] = zs[last]
    out["yhat"] = hs[last]
    out[f"dyhat/dz{last}"] = np.array([activation_derivative(acts[last - 1], float(z), leak)
                                       for z in zs[last]])
    out["err"] = np.array([p - t for p, t in zip(yhat, y)])
    out["L"] = np.array(loss(yhat, y, loss_kind))

    if loss_kind == "squared":
        dyhat = [2.0 * (p - t) for p, t in zip(yhat, y)]
    elif loss_kind == "half-squared":
        dyhat = [p - t for p, t in zip(yhat, y)]
    else:
        raise ValueError(f"unknown loss {loss_kind!r}")
    out["dL/dyhat"] = np.array(dyhat)

    # the output layer: ∂L/∂z_L[i] = ∂L/∂ŷ_i × ∂ŷ_i/∂z_L[i]
    local = out[f"dyhat/dz{last}"]
    dz = [dyhat[i] * float(local[i]) for i in range(len(dyhat))]

    for l in range(last, 0, -1):
        W = np.asarray(params[l - 1][0], dtype=float)
        below = [float(v) for v in hs[l - 1]]
        rows, columns = W.shape
        out[f"dL/dz{l}"] = np.array(dz)

        dW = np.zeros((rows, columns))
        db = np.zeros(rows)
        for i in range(rows):
            for j in range(columns):
                dW[i, j] = dz[i] * below[j]
            db[i] = dz[i]
        out[f"dL/dW{l}"] = dW
        out[f"dL/db{l}"] = db

        if l > 1:
            dh = []
            for j in range(columns):
                dh.append(math.fsum([float(W[i, j]) * dz[i] for i in range(rows)]))
            out[f"dL/dh{l - 1}"] = np.array(dh)
            local = out[f"dh{l - 1}/dz{l - 1}"]
            dz = [dh[j] * float(local[j]) for j in range(columns)]
    return out


# ---------------------------------------------------------------- batches
def _samples(X, Y):
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"X {X.shape} and Y {Y.shape}: expected (n, inputs) and (n, outputs)")
    return X, Y


def batch_loss(params, X, Y, activations, output_activation, loss_kind, leak=0.01):
    """The batch loss: each sample's loss summed over its outputs, then the mean
    over the samples.  A Python float."""
    X, Y = _samples(X, Y)
    losses = []
    for x, y in zip(X, Y):
        yhat = forward(params, x, activations, output_activation, leak)[1][-1]
        losses.append(loss(yhat, y, loss_kind))
    return math.fsum(losses) / len(losses)


def batch_gradients(params, X, Y, activations, output_activation, loss_kind, leak=0.01):
    """``(loss, grads)`` for a batch: the batch loss (a Python float, see
    :func:`batch_loss`) and ``grads``, a list shaped like ``params`` of
    ``(dL/dW_l, dL/db_l)`` float arrays, each the mean over the samples of the
    single-sample gradients of :func:`gradients`."""
    X, Y = _samples(X, Y)
    n = X.shape[0]
    per_sample = [gradients(params, x, y, activations, output_activation, loss_kind, leak)
                  for x, y in zip(X, Y)]
    total = math.fsum([float(g["L"]) for g in per_sample]) / n
    grads = []
    for l, (W, b) in enumerate(params, start=1):
        rows, columns = np.shape(W)
        dW = np.zeros((rows, columns))
        db = np.zeros(rows)
        for i in range(rows):
            for j in range(columns):
                dW[i, j] = math.fsum([float(g[f"dL/dW{l}"][i, j]) for g in per_sample]) / n
            db[i] = math.fsum([float(g[f"dL/db{l}"][i]) for g in per_sample]) / n
        grads.append((dW, db))
    return total, grads


def numerical_gradients(params, X, Y, activations, output_activation, loss_kind,
                        leak=0.01, h=1e-6):
    """Central differences (L(p + h) − L(p − h)) / 2h of :func:`batch_loss`,
    one parameter element at a time.  A list shaped like ``params`` of
    ``(dW, db)`` float arrays."""
    def copy(ps):
        return [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in ps]

    def at(layer, which, index, value):
        moved = copy(params)
        moved[layer][which][index] = value
        return batch_loss(moved, X, Y, activations, output_activation, loss_kind, leak)

    grads = []
    for layer, (W, b) in enumerate(copy(params)):
        pair = []
        for which, array in ((0, W), (1, b)):
            g = np.zeros(array.shape)
            for index in np.ndindex(array.shape):
                v = float(array[index])
                g[index] = (at(layer, which, index, v + h) - at(layer, which, index, v - h)) / (2.0 * h)
            pair.append(g)
        grads.append(tuple(pair))
    return grads


def sgd_step(params, grads, alpha):
    """Plain gradient descent, every element: p ← p − α ∂L/∂p.  Returns new
    ``(W, b)`` pairs; ``params`` is not changed."""
    stepped = []
    for (W, b), (dW, db) in zip(params, grads, strict=True):
        W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
        if np.shape(dW) != W.shape or np.shape(db) != b.shape:
            raise ValueError("gradients shaped unlike the parameters")
        new_W = np.zeros(W.shape)
        new_b = np.zeros(b.shape)
        for index in np.ndindex(W.shape):
            new_W[index] = float(W[index]) - alpha * float(dW[index])
        for index in np.ndindex(b.shape):
            new_b[index] = float(b[index]) - alpha * float(db[index])
        stepped.append((new_W, new_b))
    return stepped


# ---------------------------------------------------------------- Mazur's example
# Matt Mazur, "A Step by Step Backpropagation Example" (2015): the 2-2-2 network
# most learners have seen.  His w1..w4 are W1 row by row (w1 = W1[1,1],
# w2 = W1[1,2], w3 = W1[2,1], w4 = W1[2,2]), w5..w8 are W2 likewise.
def _frozen(values):
    array = np.array(values, dtype=float)
    array.setflags(write=False)
    return array


MAZUR = {
    "params": [
        (_frozen([[0.15, 0.20], [0.25, 0.30]]), _frozen([0.35, 0.35])),
        (_frozen([[0.40, 0.45], [0.50, 0.55]]), _frozen([0.60, 0.60])),
    ],
    "x": _frozen([0.05, 0.10]),
    "y": _frozen([0.01, 0.99]),
    "alpha": 0.5,
    "activations": ["sigmoid"],
    "output_activation": "sigmoid",
    "loss_kind": "half-squared",
    "layers": (2, 2, 2),
}
