"""A trainer's continued() twin goes to another process pickled: unpickled,
it trains on to the same floats as the trainer it came from, and what is
pickled does not grow with the run (a tail holds the last state alone)."""

import pickle

import numpy as np
import pytest

from engine import DEFAULTS, PARAMS, Spec, Trainer
from engine.history import History
from engine.init import initialize_network
from engine.network_training import NetworkTrainer


def _chain_batches():
    x = np.linspace(-1, 1, 50)
    return Trainer({p: DEFAULTS[p] for p in PARAMS}, x, np.sin(x), 0.1, spec=Spec(optimizer="adam"),
                   batch_size=8, shuffle_seed=2)


def _chain_one_sample():
    return Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], 0.1, chunk_rows=100)


def _network():
    layers = (2, 8, 8, 1)
    x = np.random.default_rng(1).uniform(-2, 2, (50, 2))
    return NetworkTrainer(Spec(layers=layers, optimizer="adam"), initialize_network("xavier", 0, layers),
                          x, np.sin(x[:, :1]), 0.1, batch_size=8, shuffle_seed=1)


CASES = [_chain_batches, _chain_one_sample, _network]


@pytest.mark.parametrize("make", CASES, ids=["chain batches", "chain one sample", "2-8-8-1"])
def test_an_unpickled_twin_trains_on_to_the_same_floats(make):
    trainer = make()
    trainer.run(107)
    twin = pickle.loads(pickle.dumps(trainer.continued()))
    assert twin.run(300) is None and trainer.run(300) is None
    assert len(twin) == len(trainer) == 408
    assert twin.history.rows(108).tobytes() == trainer.history.rows(108).tobytes()


@pytest.mark.parametrize("make", CASES, ids=["chain batches", "chain one sample", "2-8-8-1"])
def test_what_is_pickled_does_not_grow_with_the_run(make):
    trainer = make()
    trainer.run(10)
    early = len(pickle.dumps(trainer.continued()))
    trainer.run(3000)
    assert len(pickle.dumps(trainer.continued())) <= early + 100


def test_a_tail_numbers_on_reads_only_its_states_and_forgets_in_place():
    history = History(chunk_rows=4, columns=("a", "b"))
    history.extend(np.arange(22.0).reshape(11, 2))
    tail = history.tail()
    assert len(tail) == 11 and tail.first_kept == 10
    assert list(tail.row(-1)) == [20.0, 21.0]
    with pytest.raises(IndexError):
        tail.row(9)
    tail.extend(np.arange(100.0, 120.0).reshape(10, 2))   # across chunks of its own
    assert [r[0] for r in tail.rows(10)] == [20.0] + list(range(100, 120, 2))
    view = tail.frozen(15)
    tail.truncate(13)
    tail.extend([[-1.0, -1.0]])
    assert [r[0] for r in view.rows(10)] == [20.0, 100.0, 102.0, 104.0, 106.0]
    assert [r[0] for r in tail.rows(10)] == [20.0, 100.0, 102.0, -1.0]
    tail.extend(np.zeros((8, 2)))
    tail.forget(19)
    assert tail.first_kept == 18 and len(tail) == 22
    again = pickle.loads(pickle.dumps(tail))
    assert again.rows(18).tobytes() == tail.rows(18).tobytes()
    again.extend([[7.0, 7.0]])
    assert list(again.row(-1)) == [7.0, 7.0] and len(again) == 23
