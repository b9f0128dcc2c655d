"""The in-place fast paths (engine.compiled.build_fast, engine.network.fast_advance)
compute what the plain generated code computes, on random shapes, specs and data."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import compiled, network
from engine.init import initialize_network
from engine.limits import PARAMS
from engine.network_training import NetworkTrainer
from engine.terms import ACTIVATIONS, OPTIMIZERS, GRADIENTS, Spec, state_columns, terms_for
from engine.training import Trainer

ULPS = 4 * np.finfo(float).eps

specs = st.builds(Spec, activation1=st.sampled_from(ACTIVATIONS), activation2=st.sampled_from(ACTIVATIONS),
                  optimizer=st.sampled_from(OPTIMIZERS), clip=st.sampled_from([None, "value", "norm"]))


def close(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=ULPS, atol=1e-300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, n=st.integers(2, 40), steps=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_the_chain_full_batch_loop_writes_the_plain_loops_rows(spec, n, steps, seed):
    terms = terms_for(spec)
    rng = np.random.default_rng(seed)
    params = list(rng.uniform(-1, 1, len(PARAMS)))
    x, y = rng.uniform(-2, 2, n), rng.uniform(-1, 1, n)
    state = [1.0 if s == "t" else float(rng.uniform(0, 0.1)) for s in state_columns(terms)]
    grads = list(rng.uniform(-1, 1, len(GRADIENTS)))
    width = len(compiled.row_for(spec))
    plain, fast = np.full((steps, width), np.nan), np.full((steps, width), np.nan)
    args = (*params, x, y, 0.05, *state, *grads)
    with np.errstate(all="ignore"):
        done = compiled.build(terms, "vector")[1](steps, plain, 0, *args)
        run, shapes = compiled.build_fast(terms, n)
        assert run(steps, fast, 0, *args, _bufs=compiled.buffers(shapes)) == done
    close(fast, plain)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, n=st.integers(5, 60), batch=st.integers(2, 9), shuffle=st.sampled_from([None, 3]),
       seed=st.integers(0, 2**32 - 1))
def test_the_chain_minibatch_loop_records_the_one_at_a_time_history(spec, n, batch, shuffle, seed):
    rng = np.random.default_rng(seed)
    params = dict(zip(PARAMS, rng.uniform(-1, 1, len(PARAMS))))
    x, y = rng.uniform(-2, 2, n), rng.uniform(-1, 1, n)
    fast = Trainer(params, x, y, 0.05, spec, batch_size=batch, shuffle_seed=shuffle)
    slow = Trainer(params, x, y, 0.05, spec, batch_size=batch, shuffle_seed=shuffle)
    steps = 3 * n // batch + 2   # past an epoch's last, smaller batch
    fast.run(steps)
    for _ in range(steps):
        if not slow._run_batch():   # the plain code, one update at a time
            break
    assert len(fast) == len(slow) > 1
    close(fast.history.rows(), slow.history.rows())
    assert (fast.divergence is None) == (slow.divergence is None)


def test_a_minibatch_divergence_stops_where_the_plain_path_stops():
    x = np.linspace(-2, 2, 40)
    fast = Trainer({p: 0.5 for p in PARAMS}, x, np.sin(x), 40.0, batch_size=8, shuffle_seed=1)
    slow = Trainer({p: 0.5 for p in PARAMS}, x, np.sin(x), 40.0, batch_size=8, shuffle_seed=1)
    fast.run(500)
    while slow._run_batch():
        pass
    assert fast.divergence is not None and fast.divergence == slow.divergence
    close(fast.history.rows(), slow.history.rows())


layers = st.lists(st.integers(1, 5), min_size=3, max_size=4).map(tuple)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=layers, n=st.integers(2, 30), optimizer=st.sampled_from(OPTIMIZERS),
       activation=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2**32 - 1))
def test_the_network_update_in_buffers_returns_the_plain_updates_values(shape, n, optimizer, activation, seed):
    spec = Spec(layers=shape, optimizer=optimizer, activation1=activation, activation2=activation)
    tab = network.table(spec)
    rng = np.random.default_rng(seed)
    values = {p: rng.uniform(-1, 1, (tab.kinds[p].rows, tab.kinds[p].cols)) for p in tab.params}
    grads = [rng.uniform(-1, 1, values[p].shape) for p in tab.params]
    state = [3.0 if s == "t" else rng.uniform(0, 0.1, values[s.split("_", 1)[1]].shape) for s in tab.state]
    x, y = rng.uniform(-2, 2, (shape[0], n)), rng.uniform(-1, 1, (shape[-1], n))
    plain_advance = network._functions(spec)[2]
    advance, shapes = network.fast_advance(spec, n)
    buffers = compiled.buffers(shapes)
    args = (*values.values(), *state, *grads, x, y, 0.05)
    with np.errstate(all="ignore"):
        plain = plain_advance(*args)
        first = advance(*args, _bufs=buffers)
        again = advance(*args, _bufs=buffers)   # the buffers of one call do not leak into the next
    for a, b, c in zip(first, again, plain):
        close(a, c)
        close(b, c)


def test_a_network_trainer_on_minibatches_records_the_plain_updates_rows():
    spec = Spec(layers=(2, 3, 1))
    params = initialize_network("xavier", 0, spec.layers)
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-2, 2, (21, 2)), rng.uniform(-1, 1, (21, 1))
    trainer = NetworkTrainer(spec, params, x, y, 0.1, batch_size=4, shuffle_seed=2)
    trainer.run(12)
    advance = network._functions(spec)[2]
    for k in range(12):
        before, after = trainer._split(trainer.history.row(k)), trainer._split(trainer.history.row(k + 1))
        xb, yb = trainer.x[trainer.batch(k + 1)].T, trainer.y[trainer.batch(k + 1)].T
        result = advance(*before[0].values(), *before[2].values(), xb, yb, 0.1)
        close(np.concatenate([np.ravel(v) for v in result]),
              np.concatenate([np.ravel(v) for v in (*after[0].values(), after[1], *after[2].values())]))
