"""Training as fast as possible runs in a process of its own, its chunks
handed over by a thread (gui.training_worker): it gives the states headless
training gives, bit for bit, pauses within one chunk, stops where headless
training diverges, says so if its process dies, and neither the thread nor
the process outlives the window."""

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import Qt

from engine import DEFAULTS, PARAMS, Spec, Trainer
from engine.init import initialize_network
from engine.network_training import NetworkTrainer
from gui import MainWindow
from gui.runner import FASTEST
from helpers import Clock, new_window

CHUNK = 37   # steps per chunk: not a divisor of anything below, so chunks end anywhere


def _chain_data():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 100)
    return x, np.sin(2 * x)


def _network_data():
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, (200, 2))
    return x, np.sin(x[:, :1]) * np.cos(x[:, 1:])


def chain_case():
    spec = Spec(optimizer="adam")
    x, y = _chain_data()
    values = {p: DEFAULTS[p] for p in PARAMS}
    headless = Trainer(values, x, y, 0.02, spec=spec, batch_size=16, shuffle_seed=9)
    return spec, dict(values, x=x[0], y=y[0], alpha=0.02), (x, y, 16, 9), headless


def network_case():
    layers = (2, 8, 8, 1)
    spec = Spec(layers=layers, optimizer="adam")
    x, y = _network_data()
    params = initialize_network("xavier", 3, layers)
    headless = NetworkTrainer(spec, params, x, y, 0.02, batch_size=32, shuffle_seed=9)
    return spec, dict(params, x=x[0], y=y[0], alpha=0.02), (x, y, 32, 9), headless


def fast(window, chunk=CHUNK):
    window.speed.setCurrentIndex(window.speed.findData(FASTEST))
    window.runner.chunk_steps = chunk


@pytest.mark.parametrize("case", [chain_case, network_case], ids=["chain", "2-8-8-1"])
def test_worker_training_gives_the_headless_states_bit_for_bit(window, qtbot, case):
    spec, values, samples, headless = case()
    state = window.state
    state.push(state.network_command(spec, values, samples, "the case"))
    fast(window)
    state.set_goal(None, 500)
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=60_000)
    assert state.last == 500
    headless.run(state.last)
    assert state.timeline.rows().tobytes() == headless.history.rows().tobytes()
    # Run again from where it stopped (a new twin of the line's trainer): still the same floats.
    state.set_goal(None, 400)
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=60_000)
    assert state.last == 900
    headless.run(400)
    assert state.timeline.rows().tobytes() == headless.history.rows().tobytes()
    window.actionUndo.trigger()   # the second run, one change
    window.actionUndo.trigger()   # the first
    assert state.last == 0


def test_a_pause_stops_within_one_chunk(window, qtbot):
    chunk = 1009   # a run without end: chunks long enough that handing them over is not all it does
    fast(window, chunk)
    state, runner = window.state, window.runner
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: state.last >= 10 * chunk, timeout=20_000)
    paused, trained_after = [], []
    # Counted in the worker's thread, as it hands each chunk over: what it trained after the pause.
    runner._worker.trained.connect(lambda chunk: paused and trained_after.append(len(chunk.rows)),
                                   Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(runner._worker.jobEnded, timeout=20_000):
        paused.append(state.last)
        window.actionRun.trigger()
    assert not runner.running and not window.actionRun.isChecked()
    assert sum(trained_after) <= chunk
    window.flush()
    assert state.last == paused[0]   # and what it still handed over was not added


def test_a_divergence_mid_chunk_stops_at_the_headless_state(window, qtbot):
    values = {p: DEFAULTS[p] for p in PARAMS}
    headless = Trainer(values, DEFAULTS["x"], DEFAULTS["y"], 50.0)
    expected = headless.run(10_000)
    assert expected is not None and (expected.step - 1) % CHUNK != 0   # not a chunk's first update
    window.set_value("alpha", 50.0)
    fast(window)
    with qtbot.waitSignal(window.state.diverged, timeout=20_000) as diverged:
        window.actionRun.trigger()
    qtbot.waitUntil(lambda: not window.runner.running)
    timeline = window.state.timeline
    for divergence in (diverged.args[0], timeline.divergence):   # (its value may be NaN: not ==)
        assert (divergence.step, divergence.quantity, divergence.symbol, repr(divergence.value)) == \
            (expected.step, expected.quantity, expected.symbol, repr(expected.value))
    assert timeline.rows().tobytes() == headless.history.rows().tobytes()
    assert window.statusBar().currentMessage() == expected.message


def test_an_edit_while_running_goes_on_from_the_edited_state(window, qtbot):
    fast(window)
    state = window.state
    state.set_goal(None, 20_000)   # a run that ends by itself, however fast the worker is
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: state.last >= 3 * CHUNK, timeout=20_000)
    window.set_value("W1", 0.25)
    edited = state.cursor
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20_000)
    assert state.last == 20_000
    headless = Trainer(dict(state.edited_values(edited)), DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"])
    headless.run(state.last - edited)
    assert state.timeline.rows(edited).tobytes() == headless.history.rows().tobytes()
    assert state.edited_values(edited)["W1"] == 0.25


def test_run_until_a_loss_stops_at_the_first_state_below_it(window, qtbot):
    fast(window)
    state = window.state
    state.set_goal(0.01, 1_000_000)
    with qtbot.waitSignal(state.goalReached, timeout=20_000):
        window.actionRun.trigger()
    qtbot.waitUntil(lambda: not window.runner.running)
    losses = state.timeline.column("L")
    assert np.flatnonzero(losses < 0.01)[0] == state.last


def test_closing_the_window_while_the_worker_runs_ends_its_thread(qtbot):
    window = new_window(qtbot)
    fast(window, chunk=None)
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: window.state.last >= 1000, timeout=20_000)
    thread, child = window.runner._thread, _child(window)
    assert thread.isRunning() and child.poll() is None
    window.state.undo_stack.setClean()   # nothing to ask about
    assert window.close()
    assert not thread.isRunning() and not window.runner.running
    assert child.poll() is not None


def test_a_window_destroyed_while_the_worker_runs_ends_its_thread(qtbot):
    window = MainWindow()               # not qtbot's: destroyed without closeEvent, as in a crash
    window.show()
    fast(window, chunk=None)
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: window.state.last >= 1000, timeout=20_000)
    finished, child = [], _child(window)
    window.runner._thread.finished.connect(lambda: finished.append(True), Qt.ConnectionType.DirectConnection)
    shiboken6.delete(window)            # a QThread destroyed while it runs aborts the process
    assert finished == [True]
    assert child.poll() is not None


def _child(window):
    return window.runner._worker._process._child


def test_a_training_process_that_dies_stops_the_run_says_so_and_the_next_run_starts_another(window, qtbot):
    fast(window, chunk=None)
    state = window.state
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: state.last >= 1000, timeout=20_000)
    child = _child(window)
    child.kill()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20_000)
    assert "training process failed" in window.statusBar().currentMessage()
    kept = state.last
    assert kept >= 1000
    headless = Trainer({p: DEFAULTS[p] for p in PARAMS}, DEFAULTS["x"], DEFAULTS["y"], DEFAULTS["alpha"])
    headless.run(kept)
    assert state.timeline.rows().tobytes() == headless.history.rows().tobytes()   # what came is whole
    state.set_goal(None, 500)
    window.actionRun.trigger()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=20_000)
    assert state.last == kept + 500 and _child(window) is not child


def test_updates_slower_than_a_tick_train_at_a_set_speed_in_the_process(window, qtbot, monkeypatch):
    """A set speed trains on the window's thread, a tick at a time, while an update is quick; a
    network and data whose update takes longer than a tick may (50 ms here, on the runner's clock)
    train there once, to learn how long one takes, and then in the training process: the same
    states, the run one undoable change, a goal still kept."""
    spec, values, samples, headless = network_case()
    state, runner = window.state, window.runner
    state.push(state.network_command(spec, values, samples, "the case"))
    clock = Clock()
    runner.clock = clock
    runner.timer.blockSignals(True)   # the test ticks, the event loop only brings the process's states
    here = []
    train = state.train

    def slow(steps, **options):
        here.append(steps)
        clock.now += 0.05 * steps
        return train(steps, **options)
    monkeypatch.setattr(state, "train", slow)

    def after(seconds, done):   # the runner's clock goes on while the process trains
        def poll():
            clock.now += seconds
            return done()
        return poll
    window.speed.setCurrentIndex(window.speed.findData(10))
    state.set_goal(None, 6)
    window.actionRun.trigger()
    clock.now += 0.125              # (exact in binary: what a tick owes adds up exactly)
    runner.tick()                   # owes one update: trained here, and timed
    assert here == [1] and state.last == 1
    for _ in range(5):
        if not runner.running:
            break
        clock.now += 0.125
        before = state.last
        runner.tick()               # owes one or two more: the process trains them
        qtbot.waitUntil(after(0.0625, lambda: state.last > before), timeout=30_000)
    assert state.last == 6
    assert here == [1]              # nothing more trained on the window's thread
    assert not runner.running       # the goal of 6 updates stopped the run
    headless.run(6)
    assert state.timeline.rows().tobytes() == headless.history.rows().tobytes()
    window.actionUndo.trigger()
    assert state.last == 0
