"""The loss plot past RAW_LIMIT states: an envelope that keeps every extreme."""

import numpy as np
import pyqtgraph as pg

from gui.envelope import PeakEnvelope
from gui.loss_plot import FINE_BUCKETS, RAW_LIMIT


def test_envelope_keeps_every_extreme_and_stays_small():
    rng = np.random.default_rng(7)
    values = rng.normal(size=300_000)
    envelope = PeakEnvelope(max_buckets=1000)
    def read(start, stop):
        return values[start:stop]
    for length in (5, 1000, 77_777, 150_001, 300_000):   # grown a piece at a time
        envelope.extend(read, length)
        x, y = envelope.points(read, length)
        assert len(x) == len(y) <= 2 * 1000 + 2 * envelope.size
        assert y.min() == values[:length].min() and y.max() == values[:length].max()
        assert np.all(np.diff(x) >= 0) and x[-1] < length
    # each bucket's pair is exactly its min and max
    size = envelope.size
    x, y = envelope.points(read, 300_000)
    for bucket in (0, 17, envelope.buckets - 1):
        chunk = values[bucket * size:(bucket + 1) * size]
        assert (y[2 * bucket], y[2 * bucket + 1]) == (chunk.min(), chunk.max())


def test_plot_of_many_states_holds_few_points_and_zooms_to_exact_values(window):
    window.state.train(3 * RAW_LIMIT)
    window.flush()
    plot = window.loss_plot
    assert plot.curve.xData.size < RAW_LIMIT / 4
    losses = window.state.timeline.column("L")
    assert plot.curve.yData.max() == losses.max() and plot.curve.yData.min() == losses.min()
    plot.getPlotItem().getViewBox().setXRange(1000, 1500, padding=0)
    x, y = plot.curve.xData, plot.curve.yData
    assert x[0] <= 1000 and x[-1] >= 1500 and len(x) < RAW_LIMIT
    np.testing.assert_array_equal(y, losses[int(x[0]):int(x[-1]) + 1])


def test_panning_keeps_the_curve_exact_and_rereads_only_past_the_held_states(window, monkeypatch):
    window.state.train(5 * RAW_LIMIT)
    window.flush()
    plot, losses = window.loss_plot, window.state.timeline.column("L")
    box = plot.getPlotItem().getViewBox()
    reads = []
    real = plot._read
    monkeypatch.setattr(plot, "_read", lambda start, stop: reads.append((start, stop)) or real(start, stop))
    box.setXRange(40_000, 41_000, padding=0)
    assert len(reads) == 2            # the held slice, and the marker's state
    for start in range(40_000, 60_000, 250):   # pan right, a quarter view at a time
        box.setXRange(start, start + 1000, padding=0)
        x, y = plot.curve.xData, plot.curve.yData
        assert x[0] <= start and x[-1] >= start + 1000
        np.testing.assert_array_equal(y, losses[int(x[0]):int(x[-1]) + 1])
    slices = len(reads) // 2
    assert 2 <= slices <= 20_000 // 1000   # re-read now and then, not at every step of the pan


def test_a_log_axis_over_many_decades_shows_decades_only(window):
    window.loss_plot.set_log(True)
    axis = window.loss_plot.getPlotItem().getAxis("left")

    def minor(levels):   # pyqtgraph's log minor ticks: the level with no spacing
        return [t for spacing, ticks in levels if spacing is None for t in ticks]
    plain = pg.AxisItem("left")
    plain.setLogMode(False, True)
    assert len(minor(plain.tickValues(-17, 1, 300))) > 100   # what pyqtgraph would draw
    assert minor(axis.tickValues(-17, 1, 300)) == []
    assert any(abs(t - np.log10(2)) < 1e-12 for t in minor(axis.tickValues(-1, 2, 400)))


def test_a_middle_zoom_shows_a_finer_envelope_of_the_states_around_the_view(window, monkeypatch):
    window.state.train(200_000)
    window.flush()
    plot, losses = window.loss_plot, window.state.timeline.column("L")
    box = plot.getPlotItem().getViewBox()
    box.setXRange(100_000, 150_000, padding=0)
    x, y = plot.curve.xData, plot.curve.yData
    starts, middles = x[0::2], x[1::2]
    size = int(2 * (middles[0] - starts[0]))
    in_view = (starts >= 100_000) & (starts < 150_000)
    assert in_view.sum() >= FINE_BUCKETS                       # finer than the view's pixels
    assert starts[0] <= 100_000 and starts[-1] >= 150_000 - size
    for k in np.flatnonzero(in_view)[::97]:                    # each pair: its bucket's least and greatest
        start = int(starts[k])
        bucket = losses[start:start + size]
        assert (y[2 * k], y[2 * k + 1]) == (bucket.min(), bucket.max())
    reads = []
    real = plot._read
    monkeypatch.setattr(plot, "_read", lambda start, stop: reads.append(stop - start) or real(start, stop))
    box.setXRange(110_000, 160_000, padding=0)                 # within what is held: nothing read
    assert [n for n in reads if n > 1] == []
    box.setXRange(0, 200_000, padding=0)                       # all of it: the whole line's envelope
    assert plot.curve.yData.max() == losses.max() and len(plot.curve.xData) <= 2 * 2048 + 2 * 2048


def test_the_curve_ends_at_the_last_state_whatever_the_length():
    """A length that fills whole buckets must not end the curve half a bucket early."""
    values = np.sin(np.arange(20_000) / 50.0)
    for length in (4096, 8192, 12_288, 20_000, 8191, 8193):
        envelope = PeakEnvelope(max_buckets=64)
        envelope.extend(lambda a, b: values[a:b], length)
        x, y = envelope.points(lambda a, b: values[a:b], length)
        assert x[-1] == length - 1 and y[-1] == values[length - 1]
        assert (y.min(), y.max()) == (values[:length].min(), values[:length].max())
