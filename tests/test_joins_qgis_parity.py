"""joinedup:joinbylocation against QGIS's own native:joinattributesbylocation and
native:joinbylocationsummary, run through processing.run on the same real OSM layers."""
from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely
from joins_data import *  # noqa: F401,F403  (fixtures)
from joins_data import layer_uri, read_layer, write_layer

# (predicate id, INPUT layer, JOIN layer, INPUT id field, JOIN id field as written by QGIS)
CASES = [
    (0, "polys", "points", "pid", "jid"),
    (1, "polys", "points", "pid", "jid"),
    (3, "polys", "points", "pid", "jid"),
    (0, "polys", "polys", "pid", "pid"),
    (2, "polys", "polys", "pid", "pid"),
    (3, "polys", "polys", "pid", "pid"),
    (4, "polys", "polys", "pid", "pid"),
    (5, "polys", "polys", "pid", "pid"),
    (1, "polys", "polys", "pid", "pid"),
    (5, "points", "polys", "jid", "pid"),
    (6, "lines", "polys", "lid", "pid"),
    (3, "lines", "polys", "lid", "pid"),
    (6, "lines", "lines", "lid", "lid"),
]


def _pairs(frame, left, right):
    out = frame[[left, right]].dropna()
    return set(zip(out[left].astype(int), out[right].astype(int)))


def _run_both(run_alg, tmp_path, params, native="native:joinattributesbylocation"):
    ours = run_alg("joinedup:joinbylocation", {**params, "OUTPUT": str(tmp_path / "ours.gpkg")})
    theirs = run_alg(native, {**params, "OUTPUT": str(tmp_path / "qgis.gpkg")})
    return read_layer(ours["OUTPUT"]), read_layer(theirs["OUTPUT"]), ours, theirs


@pytest.mark.parametrize("predicate,inp,join,left,right", CASES)
def test_predicate_pairs_equal_qgis(run_alg, osm_gpkg, tmp_path, predicate, inp, join, left, right):
    params = {"INPUT": layer_uri(osm_gpkg, inp), "JOIN": layer_uri(osm_gpkg, join),
              "PREDICATE": [predicate], "JOIN_FIELDS": [right], "METHOD": 0,
              "DISCARD_NONMATCHING": False, "PREFIX": ""}
    ours, theirs, r_ours, r_theirs = _run_both(run_alg, tmp_path, params)
    # same columns (including QGIS's _2 rule for a clashing name), same rows, same pairs
    assert list(ours.columns) == list(theirs.columns)
    assert len(ours) == len(theirs)
    right_col = ours.columns[-2]  # the joined id (last before geometry)
    pairs = _pairs(ours, left, right_col)
    assert pairs == _pairs(theirs, left, right_col)
    assert r_ours["JOINED_COUNT"] == len({p for p, _ in pairs})
    if (predicate, inp, join) not in ((1, "polys", "polys"),):
        assert pairs, "the case should have matches on the real data"


def test_several_predicates_any_matches(run_alg, osm_gpkg, tmp_path):
    params = {"INPUT": layer_uri(osm_gpkg, "polys"), "JOIN": layer_uri(osm_gpkg, "polys"),
              "PREDICATE": [3, 4], "JOIN_FIELDS": ["pid"], "METHOD": 0}
    ours, theirs, _, _ = _run_both(run_alg, tmp_path, params)
    assert _pairs(ours, "pid", "pid_2") == _pairs(theirs, "pid", "pid_2")


def test_first_match_and_largest_overlap_like_qgis(run_alg, osm_gpkg, tmp_path):
    import geopandas as gpd
    import shapely

    base = {"INPUT": layer_uri(osm_gpkg, "polys"), "JOIN": layer_uri(osm_gpkg, "polys"),
            "PREDICATE": [0], "JOIN_FIELDS": ["pid"]}
    many, _, _, _ = _run_both(run_alg, tmp_path, {**base, "METHOD": 0})
    allowed = _pairs(many, "pid", "pid_2")
    (tmp_path / "m1").mkdir()
    first, first_q, _, _ = _run_both(run_alg, tmp_path / "m1", {**base, "METHOD": 1})
    assert len(first) == len(first_q) == len(set(first.pid))
    got = _pairs(first, "pid", "pid_2")
    assert {p for p, _ in got} == {p for p, _ in _pairs(first_q, "pid", "pid_2")}
    assert got <= allowed
    lowest = {}
    for p, j in allowed:
        lowest[p] = min(j, lowest.get(p, j))
    assert got == set(lowest.items()), "first match = first in JOIN layer order"
    (tmp_path / "m2").mkdir()
    big, big_q, _, _ = _run_both(run_alg, tmp_path / "m2", {**base, "METHOD": 2})
    polys = gpd.read_file(osm_gpkg, layer="polys").set_index("pid").geometry
    a = _pairs(big, "pid", "pid_2")
    b = dict(_pairs(big_q, "pid", "pid_2"))
    assert {p for p, _ in a} == set(b)
    ours_area = {p: shapely.area(shapely.intersection(polys[p], polys[j])) for p, j in a}
    qgis_area = {p: shapely.area(shapely.intersection(polys[p], polys[j])) for p, j in b.items()}
    # QGIS measures each intersection by its own type, so a neighbour that only touches
    # (a shared edge: a length, in m) can beat a real overlap (an area, in m2). JoinedUp
    # compares areas for polygon pairs: its pick never overlaps less than QGIS's.
    same = 0
    for p in ours_area:
        assert ours_area[p] >= qgis_area[p] - 1e-6, p
        same += math.isclose(ours_area[p], qgis_area[p], rel_tol=1e-9, abs_tol=1e-6)
    assert same >= 0.9 * len(ours_area)


def _close(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    # QGIS declares its double statistics with 6 decimals, and its writer rounds to them
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=5.01e-7)


@pytest.mark.parametrize("predicate,inp,join,key", [
    ([0], "polys", "points", "pid"),
    ([1, 3], "polys", "points", "pid"),
    ([0], "polys", "polys", "pid"),
    ([6], "lines", "polys", "lid"),
])
def test_every_summary_equals_qgis(run_alg, osm_gpkg, tmp_path, predicate, inp, join, key):
    """All 19 statistics of native:joinbylocationsummary, numeric and text fields, value by
    value; where QGIS writes NULL for a feature with no match JoinedUp writes 0 for the
    count-like statistics and the sum."""
    fields = (["osm_num", "name_len", "tags_n", "name", "osm_id"] if join == "points"
              else ["pid", "name", "building"])
    params = {"INPUT": layer_uri(osm_gpkg, inp), "JOIN": layer_uri(osm_gpkg, join),
              "PREDICATE": predicate, "JOIN_FIELDS": fields, "DISCARD_NONMATCHING": False}
    ours = run_alg("joinedup:joinbylocation", {**params, "METHOD": 3, "SUMMARIES": list(range(19)),
                                               "OUTPUT": str(tmp_path / "ours.gpkg")})
    theirs = run_alg("native:joinbylocationsummary", {**params, "SUMMARIES": [],
                                                       "OUTPUT": str(tmp_path / "qgis.gpkg")})
    o = read_layer(ours["OUTPUT"]).set_index(key).sort_index()
    q = read_layer(theirs["OUTPUT"]).set_index(key).sort_index()
    assert list(o.index) == list(q.index)
    # JoinedUp adds majority and minority for text fields (QGIS has them for numbers only)
    extra = [c for c in o.columns if c not in q.columns]
    assert all(c.endswith(("_majority", "_minority")) for c in extra), extra
    assert [c for c in o.columns if c in q.columns] == list(q.columns), \
        "same statistics, same names, same order"
    matched_somewhere = 0
    zero_when_unmatched = ("_count", "_unique", "_empty", "_filled", "_sum")
    for column in q.columns:
        if column == "geometry":
            continue
        for idx, qv, ov in zip(q.index, q[column].to_numpy(object), o[column].to_numpy(object)):
            q_null = qv is None or (isinstance(qv, float) and math.isnan(qv))
            o_null = ov is None or (isinstance(ov, float) and math.isnan(ov))
            if q_null:
                if o_null:
                    continue
                assert column.endswith(zero_when_unmatched) and float(ov) == 0, (column, idx, ov)
                continue
            assert not o_null, (column, idx, qv)
            assert _close(ov, qv), (column, idx, ov, qv)
            matched_somewhere += 1
    assert matched_somewhere > 100


def test_count_is_zero_not_null_and_non_matching_output(run_alg, osm_gpkg, tmp_path):
    params = {"INPUT": layer_uri(osm_gpkg, "polys"), "JOIN": layer_uri(osm_gpkg, "points"),
              "PREDICATE": [1], "JOIN_FIELDS": ["jid"], "METHOD": 3, "SUMMARIES": [0],
              "OUTPUT": str(tmp_path / "o.gpkg"), "NON_MATCHING": str(tmp_path / "n.gpkg")}
    result = run_alg("joinedup:joinbylocation", params)
    out, non = read_layer(result["OUTPUT"]), read_layer(result["NON_MATCHING"])
    polys = read_layer(layer_uri(osm_gpkg, "polys"))
    assert len(out) == len(polys)
    assert out["jid_count"].notna().all()
    assert set(non.pid) == set(out.pid[out.jid_count == 0])
    assert result["JOINED_COUNT"] == int((out.jid_count > 0).sum())
    discard = run_alg("joinedup:joinbylocation", {**params, "DISCARD_NONMATCHING": True,
                                                   "OUTPUT": str(tmp_path / "d.gpkg"),
                                                   "NON_MATCHING": None})
    kept = read_layer(discard["OUTPUT"])
    assert len(kept) + len(non) == len(polys)


def test_numbers_stored_as_text_are_summarised_as_text_as_qgis_does(run_alg, tmp_path):
    """A text field holding numbers is text to QGIS's summary join (QgsField.isNumeric() is
    false: QgsStringStatisticalSummary): min/max compare as text ('10' before '9'), lengths are
    the text's, and sum or mean are not calculated. JoinedUp does the same; a numeric field
    beside it is summarised as numbers."""
    path = tmp_path / "text_numbers.gpkg"
    polys = gpd.GeoDataFrame({"pid": [1, 2]}, geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)],
                             crs="EPSG:3067")
    points = gpd.GeoDataFrame(
        {"code": ["9", "10", " 7", None, "1e3"], "n": [9.0, 10.0, 7.0, None, 1000.0]},
        geometry=shapely.points([[1, 1], [2, 2], [3, 3], [4, 4], [21, 1]]), crs="EPSG:3067")
    params = {"INPUT": write_layer(path, "polys", polys), "JOIN": write_layer(path, "points", points),
              "PREDICATE": [0], "JOIN_FIELDS": ["code", "n"], "DISCARD_NONMATCHING": False}
    ours = read_layer(run_alg("joinedup:joinbylocation", {**params, "METHOD": 3, "SUMMARIES": list(range(19)),
                                                          "OUTPUT": str(tmp_path / "ours.gpkg")})["OUTPUT"])
    theirs = read_layer(run_alg("native:joinbylocationsummary", {**params, "SUMMARIES": [],
                                                                 "OUTPUT": str(tmp_path / "qgis.gpkg")})["OUTPUT"])
    o, q = ours.set_index("pid").sort_index(), theirs.set_index("pid").sort_index()
    text_columns = [c for c in q.columns if c.startswith("code_")]
    assert "code_sum" not in q.columns and "code_sum" not in o.columns
    for column in text_columns + [c for c in q.columns if c.startswith("n_")]:
        for qv, ov in zip(q[column].to_numpy(object), o[column].to_numpy(object)):
            assert (qv is None) == (ov is None) and (qv is None or _close(ov, qv)), (column, ov, qv)
    # by hand: polygon 1 holds '9', '10', ' 7' and a NULL
    assert o.loc[1, "code_min"] == " 7" and o.loc[1, "code_max"] == "9" and o.loc[1, "code_count"] == 4
    assert o.loc[1, "n_sum"] == 26 and o.loc[2, "n_max"] == 1000
