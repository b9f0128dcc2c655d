"""Datasets of two inputs (issue 14): the presets XOR, circle and two blobs, what
their descriptions claim, and the CSV of a wider network (header x1,…,xn,y1,…,ym)
written by csv_chunks and read back exactly by read_csv."""

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import network
from engine.csvio import finish
from engine.dataset import (BLOB_CENTRES, BLOB_SIGMA, CIRCLE_RADIUS, DEFAULT_N, DEFAULT_N_2D, PRESET_TEXT,
                            PRESET_TEXT_2D, PRESETS, PRESETS_2D, check_columns, columns_header, csv_chunks,
                            preset, preset_text, presets_for, read_csv)
from engine.examples import XOR
from engine.init import initialize_network
from engine.limits import InputError
from engine.network_training import NetworkTrainer
from engine.terms import Spec


def _written(x, y):
    stream = io.StringIO(newline="")
    finish(csv_chunks(stream, x, y))
    return stream.getvalue()


# --- the presets ------------------------------------------------------------------------

def test_each_two_input_preset_gives_n_by_2_and_n_by_1_arrays_of_zeros_and_ones():
    assert set(PRESETS_2D) == {"xor", "circle", "two blobs"}
    for name in PRESETS_2D:
        x, y = preset(name, inputs=2)
        assert x.dtype == y.dtype == np.float64
        assert x.ndim == 2 and x.shape[1] == 2 and y.shape == (len(x), 1)
        assert set(np.unique(y)) == {0.0, 1.0}                       # both classes are there
        assert np.isfinite(x).all()


def test_xor_is_the_truth_table_of_the_worked_example():
    x, y = preset("xor", inputs=2)
    assert np.array_equal(x, XOR[0]) and np.array_equal(y, XOR[1])
    for (a, b), out in zip(x, y[:, 0]):
        assert out == float(bool(a) != bool(b))
    assert np.array_equal(preset("xor", 40, seed=9, inputs=2)[0], XOR[0])   # always its four samples


@pytest.mark.parametrize("n", [1, 7, 250])
def test_the_circle_is_one_inside_and_zero_outside(n):
    x, y = preset("circle", n, seed=4, inputs=2)
    assert x.shape == (n, 2) and (np.abs(x) <= 2.0).all()
    inside = [math.sqrt(a * a + b * b) < CIRCLE_RADIUS for a, b in x.tolist()]
    assert y[:, 0].tolist() == [float(i) for i in inside]


def test_the_circle_draws_uniformly_from_its_square():
    x, y = preset("circle", 20_000, seed=1, inputs=2)
    assert abs(x.mean()) < 0.05 and abs(x.std() - 4 / math.sqrt(12)) < 0.02
    assert abs(y.mean() - math.pi * CIRCLE_RADIUS ** 2 / 16) < 0.02    # inside: the circle's share of the area


def test_two_blobs_alternate_about_their_centres():
    x, y = preset("two blobs", 20_000, seed=2, inputs=2)
    assert y[:6, 0].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    for label, centre in ((0, (-1.0, -1.0)), (1, (1.0, 1.0))):
        cloud = x[y[:, 0] == label]
        assert len(cloud) == 10_000
        np.testing.assert_allclose(cloud.mean(axis=0), centre, atol=0.02)
        np.testing.assert_allclose(cloud.std(axis=0), [BLOB_SIGMA] * 2, atol=0.02)
    np.testing.assert_array_equal(BLOB_CENTRES, [[-1.0, -1.0], [1.0, 1.0]])


@pytest.mark.parametrize("name", ["circle", "two blobs"])
def test_the_noise_depends_on_the_seed_only(name):
    a, b = preset(name, 30, seed=5, inputs=2), preset(name, 30, seed=5, inputs=2)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    assert not np.array_equal(a[0], preset(name, 30, seed=6, inputs=2)[0])
    assert np.array_equal(preset(name, inputs=2)[0], preset(name, DEFAULT_N_2D, seed=0, inputs=2)[0])


def test_the_one_input_presets_are_as_they_were():
    assert presets_for(1) is PRESETS and presets_for(2) is PRESETS_2D and presets_for(3) == {}
    assert set(PRESETS) == {"reference", "sine", "square", "noisy line"}
    x, y = preset("sine")
    assert x.shape == y.shape == (DEFAULT_N,)
    np.testing.assert_array_equal(y, np.sin(np.linspace(-3.0, 3.0, DEFAULT_N)))


@pytest.mark.parametrize("name, n, inputs", [("circle", 10, 1), ("sine", 10, 2), ("xor", None, 3),
                                             ("circle", 0, 2), ("two blobs", 2.5, 2), ("circle", True, 2)])
def test_bad_presets_are_refused(name, n, inputs):
    with pytest.raises(InputError):
        preset(name, n, inputs=inputs)


def test_every_preset_has_a_text_that_says_what_to_try():
    assert set(PRESET_TEXT_2D) == set(PRESETS_2D)
    for name in PRESETS_2D:
        assert preset_text(name, 2) == PRESET_TEXT_2D[name] and "try" in PRESET_TEXT_2D[name]
    assert preset_text("sine") == PRESET_TEXT["sine"]


def test_the_written_sample_counts_are_the_presets_own():
    assert str(DEFAULT_N_2D) in PRESET_TEXT_2D["circle"]
    assert str(DEFAULT_N_2D // 2) in PRESET_TEXT_2D["two blobs"]
    assert f"radius {CIRCLE_RADIUS:g}" in PRESET_TEXT_2D["circle"]


# --- what the texts claim ------------------------------------------------------------------

def _trained(layers, name, steps, alpha, **update):
    spec = Spec(layers=layers, output_activation="sigmoid", **update)
    x, y = preset(name, inputs=2)
    trainer = NetworkTrainer(spec, initialize_network("xavier", 0, layers), x, y, alpha)
    trainer.run(steps)
    yhat = network.evaluate(spec, trainer.params(), x, y, alpha)["yhat"].T
    return ((yhat > 0.5) == (y > 0.5)).mean()


@settings(max_examples=300, deadline=None)
@given(w1=st.floats(-1e3, 1e3), w2=st.floats(-1e3, 1e3), b=st.floats(-1e3, 1e3))
def test_no_straight_line_parts_xor(w1, w2, b):
    # A network without a hidden layer and a monotone output decides by the sign of w·x + b.
    x, y = preset("xor", inputs=2)
    side = (x @ np.array([w1, w2]) + b) > 0
    assert not (np.array_equal(side, y[:, 0] == 1) or np.array_equal(side, y[:, 0] == 0))


def test_what_the_texts_say_a_network_learns():
    assert _trained((2, 4, 1), "xor", 2000, 0.5) == 1.0
    assert _trained((2, 4, 1), "circle", 2000, 0.05, optimizer="adam") >= 0.97
    assert _trained((2, 2, 1), "circle", 2000, 0.05, optimizer="adam") < 0.95   # "some points on the wrong side"
    assert _trained((2, 1), "two blobs", 300, 0.5) >= 0.97
    x, y = preset("two blobs", inputs=2)
    assert (((x[:, 0] + x[:, 1]) > 0) == (y[:, 0] == 1)).mean() >= 0.95   # a line parts them


# --- files -----------------------------------------------------------------------------------

def test_a_wider_dataset_round_trips_exactly():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(30, 3)) * 100, rng.normal(size=(30, 2))
    x[0] = [0.1, 5e-324, -0.0]
    text = _written(x, y)
    assert text.splitlines()[0] == "x1,x2,x3,y1,y2" == ",".join(columns_header(3, 2))
    assert text.splitlines()[1] == f"0.1,5e-324,-0.0,{float(y[0, 0])!r},{float(y[0, 1])!r}"
    back = read_csv(io.StringIO(text), 3, 2)
    assert back[0].tobytes() == x.tobytes() and back[1].tobytes() == y.tobytes()
    assert back[0].shape == (30, 3) and back[1].shape == (30, 2)


@pytest.mark.parametrize("name", list(PRESETS_2D))
def test_every_two_input_preset_round_trips(name):
    x, y = preset(name, 40, inputs=2)
    text = _written(x, y)
    assert text.startswith("x1,x2,y1\n")
    back = read_csv(io.StringIO(text), 2, 1)
    assert back[0].tobytes() == x.tobytes() and back[1].tobytes() == y.tobytes()


def test_one_column_tables_write_the_header_x_y():
    x, y = np.array([[0.5], [1.5]]), np.array([[2.0], [-3.0]])
    text = _written(x, y)
    assert text == "x,y\n0.5,2.0\n1.5,-3.0\n"
    back = read_csv(io.StringIO(text))
    assert back[0].tolist() == [0.5, 1.5] and back[1].tolist() == [2.0, -3.0]


def test_the_writer_yields_between_blocks_and_refuses_before_writing():
    x = np.random.default_rng(1).normal(size=(20_000, 2))
    stream = io.StringIO()
    assert sum(1 for _ in csv_chunks(stream, x, x[:, :1])) >= 2
    assert read_csv(io.StringIO(stream.getvalue()), 2, 1)[0].tobytes() == x.tobytes()
    empty = io.StringIO()
    bad = np.array([[1.0, 2.0], [3.0, float("nan")]])
    with pytest.raises(InputError) as refused:
        next(csv_chunks(empty, bad, [[0.0], [1.0]]))
    assert refused.value.name == "x2" and "sample 1: nan" in str(refused.value)
    assert empty.getvalue() == ""
    with pytest.raises(InputError) as refused:                     # the chain's samples, the same words
        next(csv_chunks(empty, [1.0, float("nan")], [0.0, 1.0]))
    assert "sample 1: nan" in str(refused.value)


@pytest.mark.parametrize("x, y, field, words", [
    ([[1.0, 2.0]], [[1e4]], "y1", "sample 0"),
    ([[1.0, 2.0], [1.0, 2.0]], [[1.0]], "dataset", "same"),
    ([[1.0, "a"]], [[1.0]], "dataset", "numbers"),
    ([[1.0, 2.0], [1.0]], [[1.0], [2.0]], "dataset", "numbers"),
    (np.empty((0, 2)), np.empty((0, 1)), "dataset", "non-zero"),
    ([[0.0, 0.0, 0.0]], [[0.0, math.inf]], "y2", "sample 0"),
])
def test_check_columns_names_the_sample_and_column(x, y, field, words):
    with pytest.raises(InputError) as refused:
        check_columns(x, y)
    assert refused.value.name == field and words in str(refused.value)


def test_check_columns_copies():
    x, y = np.array([[1.0, 2.0]]), np.array([1.0])
    cx, cy = check_columns(x, y)
    assert cx is not x and cy.shape == (1, 1)
    cx[0, 0] = 7.0
    assert x[0, 0] == 1.0
