"""The loss plot past RAW_LIMIT states: an envelope that keeps every extreme."""

import numpy as np

from gui.envelope import PeakEnvelope
from gui.loss_plot import RAW_LIMIT


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
