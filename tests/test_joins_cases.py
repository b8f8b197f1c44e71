"""joinedup:joinbylocation on hand-made boundary cases (checked by hand and against QGIS's
own join where QGIS has the same case) and on bad input."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from joins_data import *  # noqa: F401,F403  (fixtures)
from joins_data import layer_uri, read_layer, write_layer


def _feedback():
    from qgis.core import QgsProcessingFeedback

    return QgsProcessingFeedback()


def _pairs(frame, left, right):
    out = frame[[left, right]].dropna()
    return set(zip(out[left].astype(int), out[right].astype(int)))


@pytest.fixture
def edge_layers(tmp_path):
    path = tmp_path / "edge.gpkg"
    polys = gpd.GeoDataFrame(
        {"pid": [1, 2, 3]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(5, 5, 15, 15),  # overlapping
                  shapely.MultiPolygon([shapely.box(30, 0, 32, 2), shapely.box(40, 0, 42, 2)])],
        crs="EPSG:3067")
    points = gpd.GeoDataFrame(
        {"jid": [1, 2, 3, 4, 5], "v": [1.0, 2.0, 4.0, 8.0, 16.0]},
        geometry=shapely.points([[10, 2], [2, 2], [7, 7], [41, 1], [100, 100]]), crs="EPSG:3067")
    # 1: on the edge of polygon 1; 2: inside 1; 3: inside the overlap of 1 and 2;
    # 4: inside the second part of multipolygon 3; 5: nowhere
    return write_layer(path, "polys", polys), write_layer(path, "points", points)


@pytest.mark.parametrize("predicate,expected", [
    (0, {(1, 1), (1, 2), (1, 3), (2, 3), (3, 4)}),  # intersects: the edge point counts
    (1, {(1, 2), (1, 3), (2, 3), (3, 4)}),          # contains: the edge point does not
    (3, {(1, 1)}),                                  # touches: only the edge point
])
def test_point_on_edge_overlap_and_multipart(run_alg, edge_layers, tmp_path, predicate, expected):
    polys, points = edge_layers
    params = {"INPUT": polys, "JOIN": points, "PREDICATE": [predicate], "JOIN_FIELDS": ["jid"],
              "METHOD": 0}
    ours = read_layer(run_alg("joinedup:joinbylocation", {**params, "OUTPUT": str(tmp_path / "o.gpkg")})["OUTPUT"])
    qgis = read_layer(run_alg("native:joinattributesbylocation",
                              {**params, "OUTPUT": str(tmp_path / "q.gpkg")})["OUTPUT"])
    assert _pairs(ours, "pid", "jid") == expected == _pairs(qgis, "pid", "jid")


def test_within_point_on_edge_is_not_within(run_alg, edge_layers, tmp_path):
    polys, points = edge_layers
    result = run_alg("joinedup:joinbylocation", {
        "INPUT": points, "JOIN": polys, "PREDICATE": [5], "JOIN_FIELDS": ["pid"], "METHOD": 3,
        "SUMMARIES": [0], "OUTPUT": str(tmp_path / "o.gpkg")})
    out = read_layer(result["OUTPUT"]).set_index("jid")
    assert out["pid_count"].to_dict() == {1: 0, 2: 1, 3: 2, 4: 1, 5: 0}


def test_summary_by_hand(run_alg, edge_layers, tmp_path):
    polys, points = edge_layers
    result = run_alg("joinedup:joinbylocation", {
        "INPUT": polys, "JOIN": points, "PREDICATE": [0], "JOIN_FIELDS": ["v"], "METHOD": 3,
        "SUMMARIES": [0, 5, 6, 7, 8, 19, 20, 21], "PREFIX": "p_", "OUTPUT": str(tmp_path / "o.gpkg")})
    out = read_layer(result["OUTPUT"]).set_index("pid")
    assert out.loc[1, "p_v_count"] == 3 and out.loc[1, "p_v_sum"] == 7.0
    assert out.loc[1, "p_v_median"] == 2.0
    assert out.loc[1, "p_v_stddev"] == pytest.approx(np.std([1.0, 2.0, 4.0]))  # population
    assert out.loc[1, "p_v_first"] == 1.0 and out.loc[1, "p_v_last"] == 4.0
    assert out.loc[1, "p_v_concat"] == "1,2,4"
    assert out.loc[2, "p_v_count"] == 1 and out.loc[3, "p_v_mean"] == 8.0


def test_distance_predicate_in_metres_on_geographic_layers(run_alg, osm_gpkg, tmp_path):
    """DISTANCE is metres even when both layers are in degrees: the same pairs as in the
    projected CRS, apart from pairs within a few cm of the threshold."""
    pts = read_layer(layer_uri(osm_gpkg, "points")).iloc[:400]
    geo = tmp_path / "geo.gpkg"
    a = write_layer(geo, "a", pts[["jid", "geometry"]].to_crs("EPSG:4326"))
    b = write_layer(geo, "b", pts[["jid", "geometry"]].rename(columns={"jid": "kid"}).to_crs("EPSG:4326"))
    feedback = _feedback()
    result = run_alg("joinedup:joinbylocation", {
        "INPUT": a, "JOIN": b, "PREDICATE": [7], "DISTANCE": 50.0, "JOIN_FIELDS": ["kid"],
        "METHOD": 0, "DISCARD_NONMATCHING": True, "OUTPUT": str(tmp_path / "o.gpkg")}, feedback=feedback)
    got = _pairs(read_layer(result["OUTPUT"]), "jid", "kid")
    g = pts.geometry.to_numpy()
    d = shapely.distance(g[:, None], g[None, :])
    sure = {(int(pts.jid.iloc[i]), int(pts.jid.iloc[j])) for i, j in zip(*np.nonzero(d <= 49.9))}
    maybe = {(int(pts.jid.iloc[i]), int(pts.jid.iloc[j])) for i, j in zip(*np.nonzero(d <= 50.1))}
    assert sure <= got <= maybe
    assert len(got) > len(pts)  # more than the self-pairs
    assert "local projected CRS EPSG:326" in feedback.textLog()


def test_join_in_other_crs_is_reprojected_and_logged(run_alg, edge_layers, tmp_path):
    polys, points = edge_layers
    pts = read_layer(points).to_crs("EPSG:4326")
    other = write_layer(tmp_path / "wgs.gpkg", "points", pts)
    feedback = _feedback()
    result = run_alg("joinedup:joinbylocation", {
        "INPUT": polys, "JOIN": other, "PREDICATE": [1], "JOIN_FIELDS": ["jid"], "METHOD": 0,
        "OUTPUT": str(tmp_path / "o.gpkg")}, feedback=feedback)
    assert _pairs(read_layer(result["OUTPUT"]), "pid", "jid") == {(1, 2), (1, 3), (2, 3), (3, 4)}
    assert "reprojected from EPSG:4326" in feedback.textLog()


def test_empty_join_layer_keeps_every_input_with_count_zero(run_alg, edge_layers, tmp_path):
    polys, points = edge_layers
    empty = write_layer(tmp_path / "empty.gpkg", "points", read_layer(points).iloc[:0],
                        geometry_type="Point")
    result = run_alg("joinedup:joinbylocation", {
        "INPUT": polys, "JOIN": empty, "METHOD": 3, "JOIN_FIELDS": ["v"], "SUMMARIES": [0, 5, 6],
        "OUTPUT": str(tmp_path / "o.gpkg"), "NON_MATCHING": str(tmp_path / "n.gpkg")})
    out = read_layer(result["OUTPUT"])
    assert len(out) == 3 and (out["v_count"] == 0).all() and (out["v_sum"] == 0).all()
    assert out["v_mean"].isna().all()
    assert len(read_layer(result["NON_MATCHING"])) == 3


def test_empty_input_writes_an_empty_layer(run_alg, edge_layers, tmp_path):
    polys, points = edge_layers
    empty = write_layer(tmp_path / "empty.gpkg", "polys", read_layer(polys).iloc[:0],
                        geometry_type="MultiPolygon")
    result = run_alg("joinedup:joinbylocation", {
        "INPUT": empty, "JOIN": points, "METHOD": 0, "OUTPUT": str(tmp_path / "o.gpkg")})
    assert len(read_layer(result["OUTPUT"])) == 0
    assert result["JOINED_COUNT"] == 0


@pytest.mark.parametrize("policy,bowtie_matches", [(0, True), (1, False)])
def test_null_and_invalid_input_geometries(run_alg, tmp_path, policy, bowtie_matches):
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    polys = gpd.GeoDataFrame({"pid": [1, 2, 3]}, geometry=[bowtie, None, shapely.box(50, 50, 60, 60)],
                             crs="EPSG:3067")
    points = gpd.GeoDataFrame({"jid": [1]}, geometry=[shapely.Point(8, 5)], crs="EPSG:3067")
    path = tmp_path / "bad.gpkg"
    feedback = _feedback()
    result = run_alg("joinedup:joinbylocation", {
        "INPUT": write_layer(path, "polys", polys), "JOIN": write_layer(path, "points", points),
        "METHOD": 3, "JOIN_FIELDS": ["jid"], "SUMMARIES": [0], "INVALID_GEOMETRIES": policy,
        "OUTPUT": str(tmp_path / "o.gpkg")}, feedback=feedback)
    out = read_layer(result["OUTPUT"]).set_index("pid")
    assert sorted(out.index) == [1, 2, 3], "every INPUT feature is in the output"
    assert out.loc[1, "jid_count"] == (1 if bowtie_matches else 0)
    assert out.loc[2, "jid_count"] == 0 and out.loc[2, "geometry"] is None
    log = feedback.textLog()
    assert "1 with no geometry skipped" in log
    assert ("1 invalid geometries repaired" if policy == 0 else "1 invalid geometries skipped") in log


def test_real_raw_osm_layer_every_feature_accounted(run_alg, real_data, tmp_path):
    """The OSM extract as it comes: EPSG:4326, unreadable rings, invalid and null
    geometries. Every multipolygon is in the output; the log says what was repaired."""
    pbf = str(real_data / "helsinki.osm.pbf")
    import pyogrio

    total = len(pyogrio.read_dataframe(pbf, layer="multipolygons", read_geometry=False))
    feedback = _feedback()
    result = run_alg("joinedup:joinbylocation", {
        "INPUT": f"{pbf}|layername=multipolygons", "JOIN": f"{pbf}|layername=points",
        "PREDICATE": [0], "METHOD": 3, "JOIN_FIELDS": ["name"], "SUMMARIES": [0, 1],
        "OUTPUT": str(tmp_path / "o.gpkg")}, feedback=feedback)
    out = read_layer(result["OUTPUT"])
    assert len(out) == total
    assert (out["name_count"] >= 0).all() and (out["name_count"] > 0).sum() > 100
    log = feedback.textLog()
    assert "features read" in log and "matched at least one JOIN feature" in log
    assert "repaired" in log


def test_non_ascii_and_clashing_field_names_like_qgis(run_alg, tmp_path):
    path = tmp_path / "names.gpkg"
    polys = gpd.GeoDataFrame({"pid": [1], "Nimi": ["Töölö"]}, geometry=[shapely.box(0, 0, 10, 10)],
                             crs="EPSG:3067")
    points = gpd.GeoDataFrame({"PID": [7], "nimi": ["Kallio"], "pää": [3.5]},
                              geometry=[shapely.Point(5, 5)], crs="EPSG:3067")
    params = {"INPUT": write_layer(path, "polys", polys), "JOIN": write_layer(path, "points", points),
              "METHOD": 0}
    ours = read_layer(run_alg("joinedup:joinbylocation", {**params, "OUTPUT": str(tmp_path / "o.gpkg")})["OUTPUT"])
    qgis = read_layer(run_alg("native:joinattributesbylocation",
                              {**params, "OUTPUT": str(tmp_path / "q.gpkg")})["OUTPUT"])
    # QGIS also copies the JOIN GeoPackage's fid (as fid_2); JoinedUp leaves row ids out
    assert list(ours.columns) == [c for c in qgis.columns if c != "fid_2"] \
        == ["pid", "Nimi", "PID_2", "nimi_2", "pää", "geometry"]
    assert ours.iloc[0]["Nimi"] == "Töölö" and ours.iloc[0]["pää"] == 3.5
    summary = read_layer(run_alg("joinedup:joinbylocation", {
        **params, "METHOD": 3, "SUMMARIES": [0, 10], "OUTPUT": str(tmp_path / "s.gpkg")})["OUTPUT"])
    assert summary.iloc[0]["pää_count"] == 1 and summary.iloc[0]["nimi_majority"] == "Kallio"


def test_missing_field_is_a_clear_error(run_alg, edge_layers, tmp_path):
    from qgis.core import QgsProcessingException

    from joinedup.engine.errors import InputError
    from joinedup.engine.joins import join_by_location

    polys, points = edge_layers
    with pytest.raises(QgsProcessingException):
        run_alg("joinedup:joinbylocation", {"INPUT": polys, "JOIN": points, "JOIN_FIELDS": ["nope"],
                                            "OUTPUT": str(tmp_path / "o.gpkg")})
    with pytest.raises(InputError, match="has no field named 'nope'. Its fields are: jid, v"):
        join_by_location(read_layer(polys), read_layer(points), join_fields=["nope"])


def test_layer_without_crs_next_to_one_with_is_refused(edge_layers):
    from joinedup.engine.errors import InputError
    from joinedup.engine.joins import join_by_location

    polys, points = edge_layers
    bare = read_layer(points).set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no coordinate reference system"):
        join_by_location(read_layer(polys), bare)


def test_cancel_is_a_clear_error(run_alg, edge_layers, tmp_path):
    from qgis.core import QgsProcessingException

    polys, points = edge_layers
    feedback = _feedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg("joinedup:joinbylocation", {"INPUT": polys, "JOIN": points,
                                            "OUTPUT": str(tmp_path / "o.gpkg")}, feedback=feedback)
    assert not (tmp_path / "o.gpkg").exists()


def test_summary_labels_match_engine():
    from joinedup.engine.joins import METHODS, PREDICATES, SUMMARIES, SUMMARY_LABELS
    from joinedup.processing import joins_params

    assert list(joins_params.SUMMARY_LABELS) == list(SUMMARY_LABELS)
    # the dialog's ids map onto the engine's names, in QGIS's order
    assert joins_params.SUMMARY_NAMES == SUMMARIES
    assert joins_params.PREDICATE_NAMES == PREDICATES
    assert joins_params.METHOD_NAMES == METHODS


@pytest.mark.parametrize("predicates", [["intersects"], ["contains"], ["touches"], ["intersects", "contains"]])
def test_point_pairs_on_grid_cells_equal_geos(predicates):
    """Grid cells (axis-aligned rectangles) skip GEOS in the point matcher: the pairs must equal
    shapely's own intersects/contains on every pair, points on edges and corners included,
    beside shapes that are not rectangles (rotated square, triangle, hole, multipart, a ring
    that doubles back)."""
    from joinedup.engine import joins

    geoms = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(0, 10, 10, 20, ccw=False),
                      shapely.Polygon([(30, 0), (35, 5), (30, 10), (25, 5)]),
                      shapely.Polygon([(40, 0), (50, 0), (45, 8)]),
                      shapely.box(60, 0, 80, 20).difference(shapely.box(65, 5, 70, 10)),
                      shapely.MultiPolygon([shapely.box(90, 0, 95, 5), shapely.box(96, 0, 99, 5)]),
                      shapely.Polygon([(0, 30), (10, 30), (10, 30), (0, 30), (0, 30)]), None], dtype=object)
    rng = np.random.default_rng(0)
    x = np.r_[rng.uniform(-2, 102, 20000), [0, 10, 20, 10, 5, 30, 35, 65, 67]]
    y = np.r_[rng.uniform(-2, 32, 20000), [0, 10, 5, 0, 10, 0, 5, 5, 7]]
    i, j = joins.match_pairs_xy(geoms, x, y, predicates)
    expected = set()
    for k, g in enumerate(geoms):
        if g is None:
            continue
        inter, cont = shapely.intersects_xy(g, x, y), shapely.contains_xy(g, x, y)
        hit = np.zeros(len(x), dtype=bool)
        if "intersects" in predicates:
            hit |= inter
        if "contains" in predicates:
            hit |= cont
        if "touches" in predicates:
            hit |= inter & ~cont
        expected |= {(k, int(p)) for p in np.flatnonzero(hit)}
    assert set(zip(i.tolist(), j.tolist())) == expected
    assert joins._axis_aligned_rectangles(geoms[:-1], shapely.bounds(geoms[:-1])).tolist() == \
        [True, True, True, False, False, False, False, False]


@pytest.mark.parametrize("order_within", [True, False])
@pytest.mark.parametrize("with_null_points", [False, True])
def test_point_pairs_on_a_grid_alone_equal_geos(order_within, with_null_points):
    """The matcher's shortcuts where every INPUT feature is a present rectangle and (or not)
    every point has coordinates: the pairs equal shapely's, and the INPUT side comes sorted
    (the summary statistics need it) whether or not JOIN order is asked for."""
    from joinedup.engine import joins

    geoms = np.array([shapely.box(cx, cy, cx + 10, cy + 10) for cx in range(0, 50, 10)
                      for cy in range(0, 30, 10)], dtype=object)
    rng = np.random.default_rng(1)
    x = np.r_[rng.uniform(-5, 55, 30000), np.arange(0, 51, 10.0)]
    y = np.r_[rng.uniform(-5, 35, 30000), np.full(6, 10.0)]
    if with_null_points:
        x[::7] = np.nan
        y[::7] = np.nan
    i, j = joins.match_pairs_xy(geoms, x, y, ["intersects"], order_within=order_within)
    expected = {(k, int(p)) for k, g in enumerate(geoms) for p in np.flatnonzero(shapely.intersects_xy(g, x, y))}
    assert set(zip(i.tolist(), j.tolist())) == expected
    assert len(i) == len(expected)
    assert (np.diff(i) >= 0).all()
    if order_within:
        assert all((np.diff(j[i == k]) > 0).all() for k in range(len(geoms)))


def test_cell_sort_packed_and_argsort_agree():
    """The point matcher sorts points by cell with one sort of packed (cell, position) keys
    where they fit in 63 bits, else with an argsort: both give the same cells in order and an
    order that puts every point at its cell."""
    from joinedup.engine.joins.matching import _sort_cells

    cell_id = np.random.default_rng(2).integers(0, 5000, 100000)
    packed_order, packed_cells = _sort_cells(cell_id.copy(), 5000)
    arg_order, arg_cells = _sort_cells(cell_id.copy(), 2 ** 62)  # too wide to pack: the argsort
    assert (packed_cells == np.sort(cell_id)).all() and (arg_cells == packed_cells).all()
    for order in (packed_order, arg_order):
        assert (cell_id[order] == packed_cells).all()
        assert (np.sort(order) == np.arange(len(cell_id))).all()
