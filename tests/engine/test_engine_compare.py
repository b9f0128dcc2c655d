import math

from engine import DEFAULTS, PARAMS
from engine.compare import Row, both_layers, compare
from engine.terms import Spec


def test_ratio_including_zero_gradients():
    assert Row("g", "g", 2.0, -3.0).ratio == -1.5
    assert Row("g", "g", 0.0, 1.0).ratio == math.inf
    assert math.isnan(Row("g", "g", 0.0, 0.0).ratio)


def test_same_spec_gives_ratio_one_and_the_other_layer_settings_stay():
    params = {p: DEFAULTS[p] for p in PARAMS}
    spec = Spec(loss="half-squared")
    rows = compare(params, [2.0], [4.0], 0.01, both_layers(spec, "tanh"), both_layers(spec, "tanh"))
    assert all(row.ratio == 1.0 for row in rows)
    assert both_layers(spec, "relu") == Spec(activation1="relu", activation2="relu", loss="half-squared")
