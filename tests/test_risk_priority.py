"""Composite priority index: a hand-computed example, sensitivity, bad input, the algorithm."""
import numpy as np
import pytest

from joinedup.engine import priority as eng
from joinedup.engine.errors import InputError

# Five areas, three indicators: unemployment % (higher = priority), income k€ (lower =
# priority), incidents (higher = priority).
TABLE = np.array([
    [10.0, 30.0, 4.0],
    [6.0, 20.0, 10.0],
    [14.0, 40.0, 0.0],
    [8.0, 25.0, 6.0],
    [12.0, 35.0, 2.0],
])


def test_hand_computed_minmax():
    # by hand: min-max each column -> unemployment (x-6)/8, income 1-(x-20)/20, incidents x/10
    #   A: 0.5, 0.5, 0.4   B: 0, 1, 1   C: 1, 0, 0   D: 0.25, 0.75, 0.6   E: 0.75, 0.25, 0.2
    # weights 2:1:1 -> /4:  A 0.475  B 0.5  C 0.5  D 0.4625  E 0.4875
    res = eng.priority_index(TABLE, weights=[2, 1, 1], directions=[1, -1, 1])
    np.testing.assert_allclose(res.score, [0.475, 0.5, 0.5, 0.4625, 0.4875])
    assert res.rank.tolist() == [4, 1, 1, 5, 3]  # B and C tie: both rank 1
    assert res.quintile.tolist() == [4, 1, 1, 5, 3]
    assert res.decile.tolist() == [7, 1, 1, 9, 5]


def test_hand_computed_percentile_and_zscore():
    res = eng.priority_index(TABLE, weights=[1, 0, 0], normalisation="percentile")
    np.testing.assert_allclose(res.score, [0.5, 0.0, 1.0, 0.25, 0.75])
    res = eng.priority_index(TABLE[:, :1], weights=[1], normalisation="zscore")
    x = TABLE[:, 0]
    np.testing.assert_allclose(res.score, (x - x.mean()) / x.std())
    assert res.rank.tolist() == [3, 5, 1, 4, 2]


def test_missing_value_policies():
    t = TABLE.copy()
    t[0, 2] = np.nan
    ex = eng.priority_index(t, weights=[2, 1, 1], directions=[1, -1, 1], missing="exclude")
    assert np.isnan(ex.score[0]) and np.isnan(ex.rank[0]) and "exclude" in ex.notes[0]
    assert np.nanmax(ex.rank) == 4
    rw = eng.priority_index(t, weights=[2, 1, 1], directions=[1, -1, 1], missing="reweight")
    # incidents among B..E: 10, 0, 6, 2 -> min-max as before; A's score: (2*0.5 + 0.5) / 3
    assert rw.score[0] == pytest.approx((2 * 0.5 + 1 * 0.5) / 3)
    mean = eng.priority_index(t, weights=[2, 1, 1], directions=[1, -1, 1], missing="mean")
    # A's incidents become the mean of the normalised column (1 + 0 + 0.6 + 0.2) / 4 = 0.45
    assert mean.score[0] == pytest.approx((2 * 0.5 + 0.5 + 0.45) / 4)


def test_sensitivity_is_seeded_and_sensible():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(200, 4))
    t[0] = 5.0  # a clear top priority on every indicator
    a = eng.priority_index(t, weights=[1, 2, 3, 4], runs=300, spread=0.5, seed=3)
    b = eng.priority_index(t, weights=[1, 2, 3, 4], runs=300, spread=0.5, seed=3)
    np.testing.assert_array_equal(a.rank_min, b.rank_min)
    np.testing.assert_array_equal(a.top_decile_share, b.top_decile_share)
    assert a.rank_min[0] == a.rank_max[0] == 1 and a.top_decile_share[0] == 1.0
    assert (a.rank_min <= a.rank).all() and (a.rank <= a.rank_max).all()
    z = eng.priority_index(t, weights=[1, 2, 3, 4], runs=50, spread=0.0, seed=3)
    np.testing.assert_array_equal(z.rank_min, z.rank)  # no spread: ranks never move
    assert set(np.unique(z.top_decile_share)) <= {0.0, 1.0}


def test_bad_input():
    with pytest.raises(InputError, match="zero or positive"):
        eng.priority_index(TABLE, weights=[1, -1, 1])
    with pytest.raises(InputError, match="positive"):
        eng.priority_index(TABLE, weights=[0, 0, 0])
    with pytest.raises(InputError, match="3 indicators but 2"):
        eng.priority_index(TABLE, weights=[1, 1])
    with pytest.raises(InputError, match="no values"):
        eng.priority_index(np.full((3, 1), np.nan), weights=[1])
    const = eng.priority_index(np.column_stack([np.full(5, 7.0), TABLE[:, 0]]), weights=[1, 1])
    assert "same value" in const.notes[0]
    one = eng.priority_index(np.array([[3.0, 4.0]]), weights=[1, 1], runs=10)
    assert one.rank.tolist() == [1] and one.decile.tolist() == [1]
    allmissing = np.array([[1.0, np.nan], [np.nan, 2.0]])
    with pytest.raises(InputError, match="No area has a score"):
        eng.priority_index(allmissing, weights=[1, 1])


def test_algorithm(plugin, run_alg, tmp_path):
    import geopandas as gpd
    from qgis.core import QgsFeature, QgsProcessingException, QgsVectorLayer

    layer = QgsVectorLayer("None?field=name:string&field=unemp:double&field=income:double&field=inc:double",
                           "areas", "memory")
    feats = []
    for name, row in zip("ABCDE", TABLE):
        f = QgsFeature(layer.fields())
        f.setAttributes([name] + [float(v) for v in row])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    out = run_alg("joinedup:priorityindex", {
        "INPUT": layer, "FIELDS": ["unemp", "income", "inc"], "INVERTED": ["income"],
        "WEIGHTS": "2,1,1", "RUNS": 100, "OUTPUT": str(tmp_path / "pi.gpkg")})["OUTPUT"]
    got = gpd.read_file(out)
    assert got["name"].tolist() == list("ABCDE")
    np.testing.assert_allclose(got["pi_score"], [0.475, 0.5, 0.5, 0.4625, 0.4875])
    assert got["pi_rank"].tolist() == [4, 1, 1, 5, 3]
    assert {"pi_rank_min", "pi_rank_max", "pi_top10_share", "pi_decile", "pi_quintile"} <= set(got.columns)
    with pytest.raises(QgsProcessingException, match="numbers"):
        run_alg("joinedup:priorityindex", {"INPUT": layer, "FIELDS": ["unemp"], "WEIGHTS": "a,b",
                                           "OUTPUT": str(tmp_path / "x.gpkg")})
    empty = QgsVectorLayer("None?field=unemp:double", "empty", "memory")
    with pytest.raises(QgsProcessingException, match="no features"):
        run_alg("joinedup:priorityindex", {"INPUT": empty, "FIELDS": ["unemp"],
                                           "OUTPUT": str(tmp_path / "y.gpkg")})


def test_priority_of_areas_without_qgis_by_hand():
    """Three areas, min-max, no sensitivity runs: scores by hand are (v - 1) / (3 - 1); an
    inverted indicator flips them; every row is kept, with its own columns; text weights parse."""
    import pandas as pd


    areas = pd.DataFrame({"zone": ["a", "b", "c"], "v": [1.0, 2.0, 3.0], "u": ["3", "2", "1"]})
    out, res = eng.priority_of_areas(areas, fields=["v"], name="zones", normalisation="minmax",
                                     missing="exclude", runs=0)
    assert list(out["zone"]) == ["a", "b", "c"]
    np.testing.assert_allclose(out["pi_score"], [0.0, 0.5, 1.0])
    assert list(out["pi_rank"]) == [3, 2, 1]
    flipped, _ = eng.priority_of_areas(areas, fields=["u"], inverted=["u"], name="zones", runs=0)
    np.testing.assert_allclose(flipped["pi_score"], [0.0, 0.5, 1.0])
    assert eng.parse_weights(" 2; 1 ,1", 3) == [2.0, 1.0, 1.0] and eng.parse_weights("", 2) == [1.0, 1.0]
    with pytest.raises(InputError, match="numbers separated by commas"):
        eng.parse_weights("two, one", 2)
    with pytest.raises(InputError, match="nothing to rank"):
        eng.priority_of_areas(areas.iloc[:0], fields=["v"], name="zones")
    with pytest.raises(InputError, match="no field"):
        eng.priority_of_areas(areas, fields=["nope"], name="zones")
