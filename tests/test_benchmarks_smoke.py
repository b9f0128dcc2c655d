"""The benchmarks' measurements run, at a tiny size, and give well-formed figures
(the full sizes are for ``python -m benchmarks``, not for the test suite)."""

import math

from benchmarks import gradient, memory, network, plot, table


def assert_well_formed(record):
    assert set(record) == {"name", "ours", "reference", "unit", "ratio", "target", "met"}
    assert isinstance(record["name"], str) and record["name"]
    assert isinstance(record["unit"], str) and record["unit"]
    assert math.isfinite(record["ours"]) and record["ours"] >= 0
    assert math.isfinite(record["target"]) and record["target"] > 0
    if record["reference"] is None:
        assert record["ratio"] is None
        figure = record["ours"]
    else:
        assert math.isfinite(record["reference"]) and record["reference"] > 0
        assert math.isclose(record["ratio"], record["ours"] / record["reference"])
        figure = record["ratio"]
    met = figure >= record["target"] if table.at_least(record) else figure <= record["target"]
    assert record["met"] is met
    assert len(next(table.rows([record]))) == len(table.HEADER)


def test_memory_of_a_short_run_in_the_window():
    raw, records = memory.measurements(steps=10_000)
    for record in records:
        assert_well_formed(record)
    assert raw["window"]["states"] > 10_000 and raw["engine"]["states"] == 10_001
    window = records[0]
    assert window["name"].endswith("window") and window["unit"] == "MB"
    # 10⁴ states are 1 MB of history (one 7 MB chunk allocated): far below this.
    assert window["ours"] < 50


def test_plot_panning_past_the_envelope_limit(tmp_path, monkeypatch):
    # The benchmark points the settings folders at a temporary one: not past this test.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    found, records = plot.measurements(states=30_000, rounds=2, frames=2)
    for record in records:
        assert_well_formed(record)
    frames = len(plot.SPANS) * 2 * 2
    assert len(found["ours"]) == len(found["bare"]) == frames
    assert all(t > 0 for t in found["ours"] + found["bare"])


def test_gradient_plot_refresh_against_a_plot_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))   # as above: the benchmark's folders
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    found, records = gradient.measurements(states=20_000, refreshes=3)
    for record in records:
        assert_well_formed(record)
    assert len(found["ours"]) == len(found["reference"]) == 3
    assert all(t > 0 for t in found["ours"] + found["reference"])


def test_the_network_figures_at_a_tiny_size():
    found = network.measurements(steps=30, single_rounds=1, samples=50, batch_rounds=1)
    for measurement in found:
        assert_well_formed(measurement.record())
        assert "agree" in measurement.check and "DISAGREE" not in measurement.check


def test_the_curve_example_reaches_the_loss_it_is_measured_at():
    record = network.measure_curve(limit=2000)
    assert_well_formed(record)
    assert record["met"] and record["ours"] < 2000


def test_the_peers_figures_at_a_tiny_size():
    from benchmarks import peers
    found, notes = peers.measurements(quick=True)
    assert len(found) >= 6   # the in-place numpy rows are always there; the peers' where installed
    for measurement in found:
        assert_well_formed(measurement.record())
        assert "agree" in measurement.check and "DISAGREE" not in measurement.check
    low, high = peers.spread(found[0])
    assert 0 < low <= high
