"""Mini-batch and one-sample-at-a-time training, against a hand-written
per-batch loop (closed-form tanh gradients averaged over batch indices the
test computes itself), and the exactness of every recorded state."""

import io
import json
import math

import numpy as np
import pytest

from engine import InputError, Trainer, session
from engine.session import SessionError
from engine.terms import Spec
from engine.timeline import Timeline
from engine_handcalc import (EXAMPLE, GRADIENT_IDS, PARAMS, batch_gradients, batch_loss,
                             batch_loss_tolerance, update)

XS = [-1.5, -0.9, -0.2, 0.3, 0.8, 1.4, 2.0]
YS = [0.4, -0.6, 1.1, -0.3, 0.9, -1.2, 0.5]
ALPHA = 0.05


def _hand_batches(n, size, steps, seed=None):
    """The batches of updates 0 .. steps-1, written out from the issue's rule."""
    out = []
    per_epoch = -(-n // size)
    for step in range(steps):
        epoch, k = divmod(step, per_epoch)
        order = (list(range(n)) if seed is None
                 else np.random.default_rng((seed, epoch)).permutation(n).tolist())
        out.append(order[k * size: (k + 1) * size])
    return out


def _pick(values, index):
    return [values[i] for i in index]


def _row(trainer, k):
    return dict(zip(trainer.row, trainer.history.row(k).tolist()))


@pytest.mark.parametrize("size, seed", [(3, None), (2, 11), (1, None), (4, 0)])
def test_minibatch_training_matches_a_hand_loop(size, seed):
    steps = 12
    trainer = Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=size, shuffle_seed=seed)
    assert trainer.run(steps) is None
    assert len(trainer) == steps + 1
    batches = _hand_batches(len(XS), size, steps + 1, seed)
    hand = dict(EXAMPLE)
    for k in range(steps + 1):
        assert [int(i) for i in trainer.batch(k)] == batches[k]
        row = _row(trainer, k)
        xs, ys = _pick(XS, batches[k]), _pick(YS, batches[k])
        # The recorded gradient of state k is that of update k's batch.
        mean, tol = batch_gradients(row, xs, ys)
        for g in GRADIENT_IDS:
            assert abs(row[g] - mean[g]) <= tol[g], (k, g)
        assert abs(row["L"] - batch_loss(row, xs, ys)) <= batch_loss_tolerance(row, xs, ys)
        # The whole run follows the hand loop (rounding only).
        for p in PARAMS:
            assert math.isclose(row[p], hand[p], rel_tol=1e-9, abs_tol=1e-12), (k, p)
        hand = update(hand, batch_gradients(hand, xs, ys)[0], ALPHA)


def test_without_shuffling_batches_are_consecutive_rows_and_the_last_is_smaller():
    trainer = Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=3)
    trainer.run(7)
    assert [trainer.batch(k).tolist() for k in range(7)] == [
        [0, 1, 2], [3, 4, 5], [6], [0, 1, 2], [3, 4, 5], [6], [0, 1, 2]]
    # State 2's row is the gradient on the single sample 6, state 3's on rows 0..2 again.
    for k, index in ((2, [6]), (3, [0, 1, 2]), (5, [6])):
        row = _row(trainer, k)
        mean, tol = batch_gradients(row, _pick(XS, index), _pick(YS, index))
        for g in GRADIENT_IDS:
            assert abs(row[g] - mean[g]) <= tol[g]
    assert trainer.derivation(2).n_samples == 1
    assert trainer.derivation(3).n_samples == 3


def test_one_sample_at_a_time_uses_sample_k_mod_n():
    trainer = Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=1)
    trainer.run(2 * len(XS) + 1)
    hand = dict(EXAMPLE)
    for k in range(len(trainer)):
        i = k % len(XS)
        assert trainer.batch(k).tolist() == [i]
        row = _row(trainer, k)
        mean, tol = batch_gradients(row, [XS[i]], [YS[i]])
        for g in GRADIENT_IDS:
            assert abs(row[g] - mean[g]) <= tol[g]
        for p in PARAMS:
            assert math.isclose(row[p], hand[p], rel_tol=1e-9, abs_tol=1e-12)
        hand = update(hand, batch_gradients(hand, [XS[i]], [YS[i]])[0], ALPHA)


def test_shuffling_is_reproducible_and_covers_every_sample_once_an_epoch():
    a = Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=2, shuffle_seed=5)
    b = Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=2, shuffle_seed=5)
    c = Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=2, shuffle_seed=6)
    for t in (a, b, c):
        t.run(16)
    assert a.history.rows().tobytes() == b.history.rows().tobytes()
    assert not np.array_equal(a.history.rows(), c.history.rows())
    for epoch in range(4):
        seen = sorted(i for k in range(4 * epoch, 4 * epoch + 4) for i in a.batch(k).tolist())
        assert seen == list(range(len(XS)))
    orders = [tuple(i for k in range(4 * e, 4 * e + 4) for i in a.batch(k).tolist()) for e in range(4)]
    assert len(set(orders)) > 1   # a new order every epoch
    assert orders[0] != tuple(range(len(XS)))


SPECS = [Spec(), Spec(optimizer="adam"), Spec(optimizer="momentum", schedule="exp"),
         Spec(activation1="relu", loss="half-squared", clip="norm", clip_c=0.5)]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("size, seed", [(3, None), (2, 7), (1, 3), (None, None)])
def test_derivation_reproduces_each_row_and_its_next_state_exactly(spec, size, seed):
    trainer = Trainer(dict(EXAMPLE), XS, YS, ALPHA, spec=spec, batch_size=size, shuffle_seed=seed)
    assert trainer.run(15) is None
    for k in range(len(trainer)):
        d = trainer.derivation(k)
        row = _row(trainer, k)
        assert d.n_samples == len(trainer.batch(k))
        for name in ("L",) + GRADIENT_IDS:
            assert d[name].value == row[name], (k, name)
        if k + 1 < len(trainer):
            after = _row(trainer, k + 1)
            for name in PARAMS + trainer.state_names:
                assert d[name + "_next"].value == after[name], (k, name)
    # The derivation of the last state is on the batch the next update uses.
    last = trainer.derivation(-1)
    trainer.run(1)
    assert [last[p + "_next"].value for p in PARAMS] == [trainer.params(-1)[p] for p in PARAMS]


@pytest.mark.parametrize("size", [None, len(XS), 100])
def test_a_full_batch_size_is_exactly_todays_training(size):
    plain = Trainer(dict(EXAMPLE), XS, YS, ALPHA)
    batched = Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=size, shuffle_seed=4)
    plain.run(40)
    batched.run(40)
    assert not batched.minibatch
    assert batched.history.rows().tobytes() == plain.history.rows().tobytes()
    assert batched.batch(17).tolist() == list(range(len(XS)))


def test_a_minibatch_differs_from_the_full_batch():
    plain = Trainer(dict(EXAMPLE), XS, YS, ALPHA)
    batched = Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=3)
    plain.run(3)
    batched.run(3)
    assert batched.minibatch
    assert not np.array_equal(plain.history.rows(), batched.history.rows())


@pytest.mark.parametrize("options, name", [
    ({"batch_size": 0}, "batch_size"), ({"batch_size": -2}, "batch_size"),
    ({"batch_size": 1.5}, "batch_size"), ({"batch_size": True}, "batch_size"),
    ({"batch_size": "3"}, "batch_size"), ({"batch_size": 2, "shuffle_seed": -1}, "shuffle_seed"),
    ({"batch_size": 2, "shuffle_seed": 0.5}, "shuffle_seed")])
def test_bad_batching_is_refused(options, name):
    with pytest.raises(InputError) as error:
        Trainer(dict(EXAMPLE), XS, YS, ALPHA, **options)
    assert error.value.name == name
    rows = Trainer(dict(EXAMPLE), XS, YS, ALPHA).history.rows()
    with pytest.raises(InputError):
        Trainer.from_history(rows, XS, YS, ALPHA, **options)


def test_a_trainer_from_history_trains_on_with_the_same_batches():
    spec = Spec(optimizer="adam")
    whole = Trainer(dict(EXAMPLE), XS, YS, ALPHA, spec=spec, batch_size=2, shuffle_seed=9)
    whole.run(20)
    part = Trainer.from_history(whole.history.rows(0, 8), XS, YS, ALPHA, spec=spec,
                                batch_size=2, shuffle_seed=9)
    assert part.batch(7).tolist() == whole.batch(7).tolist()
    part.run(13)
    assert part.history.rows().tobytes() == whole.history.rows().tobytes()


def test_divergence_on_a_minibatch_keeps_the_finite_states():
    trainer = Trainer(dict(EXAMPLE), XS, [900.0] * len(XS), 90.0, batch_size=2)
    divergence = trainer.run(1000)
    assert divergence is not None
    assert divergence.step == len(trainer) < 1001
    assert np.isfinite(trainer.history.rows()).all()
    assert trainer.run(5) is divergence


# --- sessions ---------------------------------------------------------------

def _timeline():
    line = Timeline(Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=3, shuffle_seed=2))
    line.run(9)
    line.branch(5, Trainer(dict(EXAMPLE), XS, YS, ALPHA, spec=Spec(optimizer="momentum"), batch_size=1))
    line.run(6)
    line.branch(8, Trainer(dict(EXAMPLE), XS, YS, ALPHA))
    line.run(2)
    return line


def _dump(line):
    stream = io.StringIO()
    session.dump(stream, line, 0, {})
    return stream.getvalue()


def test_a_session_keeps_each_segments_batches():
    line = _timeline()
    text = _dump(line)
    raw = json.loads(text)["segments"]
    assert (raw[0]["batch_size"], raw[0]["shuffle_seed"]) == (3, 2)
    assert raw[1]["batch_size"] == 1 and "shuffle_seed" not in raw[1]
    assert "batch_size" not in raw[2] and "shuffle_seed" not in raw[2]
    loaded = session.load(io.StringIO(text)).timeline
    for a, b in zip(line.segments, loaded.segments):
        assert (b.trainer.batch_size, b.trainer.shuffle_seed) == (a.trainer.batch_size,
                                                                   a.trainer.shuffle_seed)
        assert b.trainer.history.rows().tobytes() == a.trainer.history.rows(0, a.length).tobytes()
    # The newest segment trains on with its batches, exactly as the original would.
    newest = Timeline(Trainer(dict(EXAMPLE), XS, YS, ALPHA, batch_size=3, shuffle_seed=2))
    newest.run(4)
    reloaded = session.load(io.StringIO(_dump(newest))).timeline
    newest.run(6)
    reloaded.run(6)
    assert reloaded.trainer.history.rows().tobytes() == newest.trainer.history.rows().tobytes()


@pytest.mark.parametrize("key, value", [
    ("batch_size", 0), ("batch_size", -1), ("batch_size", 2.5), ("batch_size", "3"),
    ("batch_size", True), ("batch_size", None), ("shuffle_seed", -1), ("shuffle_seed", 1.0),
    ("shuffle_seed", [1])])
def test_a_session_with_bad_batches_is_refused(key, value):
    document = json.loads(_dump(_timeline()))
    document["segments"][0][key] = value
    with pytest.raises(SessionError, match=key):
        session.load(io.StringIO(json.dumps(document)))
