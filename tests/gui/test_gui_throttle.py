"""gui.throttle: a redraw at most once per interval, and while training runs
(defer) a long redraw waits longer, so the window stays free for a click."""

from gui.throttle import Throttle
from helpers import Clock


def _throttle(seconds_a_call):
    clock, calls = Clock(), []

    def call():
        calls.append(clock.now)
        clock.now += seconds_a_call
    throttle = Throttle(16, call)
    throttle.clock = clock
    return throttle, clock, calls


def test_a_quick_redraw_is_deferred_by_the_interval_asked(qtbot):
    throttle, clock, calls = _throttle(0.01)
    throttle()                      # quiet until now: at once
    assert calls == [100.0]
    throttle.defer(200)
    assert throttle.due_in_ms == 190   # 200 ms from the call's start, 10 ms of it spent
    qtbot.waitUntil(lambda: len(calls) == 2)
    assert throttle.due_in_ms is None


def test_a_long_redraw_waits_four_times_its_length_before_the_next(qtbot):
    throttle, clock, calls = _throttle(1.0)   # a redraw of 2-8-8-1 on a million samples takes 2 s
    throttle()
    throttle.defer(200)
    assert throttle.due_in_ms == 4000  # the window free 4 s of every 5 for the learner
    throttle.flush()                   # what Pause does: the last state drawn now
    assert calls == [100.0, 101.0] and throttle.due_in_ms is None
