"""The network algorithms through QGIS's processing.run, compared with QGIS's own network
tools on the real Helsinki roads and with hand-computed answers on tiny networks.

Alignment with QGIS (documented in docs/network.md): both run on the same GeoPackage in
EPSG:3067 (metres), the context's ellipsoid is NONE (planar lengths, QGIS's behaviour for a
bare processing.run), topology tolerance 0, and both snap a point to the nearest point on the
nearest segment and count cost from snapped point to snapped point.
"""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from qgis.core import QgsProcessing, QgsProcessingException
from shapely import LineString, Point

from joinedup.engine.network import osm_tag

CRS = "EPSG:3067"
# The tiny hand-made networks sit around (0, 0): in World Mercator that is the equator at 0 E,
# where map units are ground metres to 1e-8 (in EPSG:3067 it is 500 km off the meridian, 0.27 %
# long, and JoinedUp would rightly measure in another CRS: engine/crs.py).
TINY_CRS = "EPSG:3395"
TMP = QgsProcessing.TEMPORARY_OUTPUT


def read(path):
    import pyogrio

    return pyogrio.read_dataframe(str(path).split("|")[0])


def qgis_context():
    from qgis.core import QgsFeatureRequest, QgsProcessingContext, QgsProject

    ctx = QgsProcessingContext()
    ctx.setProject(QgsProject.instance())
    # Helsinki has a zero-length line QGIS calls invalid: let QGIS's tools read it too.
    ctx.setInvalidGeometryCheck(QgsFeatureRequest.InvalidGeometryCheck.GeometryNoCheck)
    return ctx


@pytest.fixture(scope="module")
def helsinki(real_data, tmp_path_factory):
    """Helsinki's lines in EPSG:3067 with OSM's oneway as a field, and seeded points."""
    folder = tmp_path_factory.mktemp("hel")
    lines = gpd.read_file(real_data / "helsinki.osm.pbf", layer="lines").to_crs(CRS)
    lines["oneway"] = osm_tag(lines["other_tags"].to_numpy(object), "oneway")
    # Every line has a speed: QGIS 3.40's speed strategy returned NULL costs for every start
    # point when the speed field held nulls (JoinedUp uses the default speed for them).
    lines["speed"] = np.where(lines["highway"].isin(["primary", "secondary"]), 40.0, 20.0)
    lines = lines[["osm_id", "highway", "oneway", "speed", "other_tags", "geometry"]]
    path = folder / "lines.gpkg"
    lines.to_file(path, layer="lines")
    rng = np.random.default_rng(42)
    x0, y0, x1, y1 = lines.total_bounds
    n = 10
    origins = gpd.GeoDataFrame({"pid": np.arange(n)}, geometry=shapely.points(
        rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)), crs=CRS)
    dests = gpd.GeoDataFrame({"pid": np.arange(n)}, geometry=shapely.points(
        rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)), crs=CRS)
    origins.to_file(folder / "origins.gpkg")
    dests.to_file(folder / "dests.gpkg")
    return {"lines": f"{path}|layername=lines", "origins": str(folder / "origins.gpkg"),
            "dests": str(folder / "dests.gpkg"), "o": origins, "d": dests, "folder": folder}


DIRECTION = {"DIRECTION_FIELD": "oneway", "VALUE_FORWARD": "yes", "VALUE_BACKWARD": "-1",
             "VALUE_BOTH": "no", "DEFAULT_DIRECTION": 2}


def test_shortest_paths_equal_qgis_on_helsinki(run_alg, helsinki):
    from qgis import processing

    res = run_alg("joinedup:shortestpath", {
        "INPUT": helsinki["lines"], "ORIGINS": helsinki["origins"], "ORIGIN_ID": "pid",
        "DESTINATIONS": helsinki["dests"], "DESTINATION_ID": "pid", "PAIRING": 0, **DIRECTION,
        "OUTPUT": TMP})
    ours = read(res["OUTPUT"]).set_index("origin_id")
    assert len(ours) == 10
    compared = unreachable = 0
    for i in range(10):
        a = helsinki["o"].geometry.iloc[i]
        b = helsinki["d"].geometry.iloc[i]
        ctx = qgis_context()
        try:
            q = processing.run("native:shortestpathpointtopoint", {
                "INPUT": helsinki["lines"], "STRATEGY": 0, **DIRECTION, "TOLERANCE": 0,
                "START_POINT": f"{a.x},{a.y} [{CRS}]", "END_POINT": f"{b.x},{b.y} [{CRS}]",
                "OUTPUT": TMP}, context=ctx)
        except QgsProcessingException as exc:  # QGIS: "There is no route from start point to end point."
            assert "no route" in str(exc).lower()
            assert np.isnan(ours.loc[i, "cost"]) and ours.loc[i, "reason"]
            unreachable += 1
            continue
        layer = ctx.getMapLayer(q["OUTPUT"]) if isinstance(q["OUTPUT"], str) else q["OUTPUT"]
        qcost = next(iter(layer.getFeatures()))["cost"]
        assert ours.loc[i, "cost"] == pytest.approx(qcost, rel=1e-6)
        assert ours.loc[i, "length_m"] == pytest.approx(qcost, rel=1e-6)
        compared += 1
    assert compared >= 4 and compared + unreachable == 10


def test_od_matrix_equals_qgis_layer_to_point_on_helsinki(run_alg, helsinki):
    """Every OD entry equals QGIS's cost from each start point to that end point (one-ways on)."""
    from qgis import processing

    res = run_alg("joinedup:odmatrix", {
        "INPUT": helsinki["lines"], "ORIGINS": helsinki["origins"], "ORIGIN_ID": "pid",
        "DESTINATIONS": helsinki["dests"], "DESTINATION_ID": "pid", **DIRECTION, "OUTPUT": TMP})
    od = read(res["OUTPUT"])
    assert len(od) == 100  # every pair listed, reachable or not
    assert od.loc[od.cost.isna(), "reason"].notna().all()
    for j in (0, 3):
        b = helsinki["d"].geometry.iloc[j]
        ctx = qgis_context()
        q = processing.run("native:shortestpathlayertopoint", {
            "INPUT": helsinki["lines"], "STRATEGY": 0, **DIRECTION, "TOLERANCE": 0,
            "START_POINTS": helsinki["origins"], "END_POINT": f"{b.x},{b.y} [{CRS}]",
            "OUTPUT": TMP}, context=ctx)
        layer = ctx.getMapLayer(q["OUTPUT"]) if isinstance(q["OUTPUT"], str) else q["OUTPUT"]
        qgis = {f["pid"]: f["cost"] for f in layer.getFeatures()}
        mine = od[od.destination_id == j].set_index("origin_id")["cost"]
        for i in range(10):
            qc = qgis.get(i)
            if qc is None or qc == "" or (hasattr(qc, "isNull") and qc.isNull()):
                assert np.isnan(mine[i]), (i, j)
            else:
                assert mine[i] == pytest.approx(float(qc), rel=1e-6), (i, j)


def test_fastest_equals_qgis_with_speed_field(run_alg, helsinki):
    """Travel time: QGIS reports hours, JoinedUp minutes."""
    from qgis import processing

    res = run_alg("joinedup:odmatrix", {
        "INPUT": helsinki["lines"], "ORIGINS": helsinki["origins"], "ORIGIN_ID": "pid",
        "DESTINATIONS": helsinki["dests"], "DESTINATION_ID": "pid", "STRATEGY": 1, "SPEED_FIELD": "speed",
        "DEFAULT_SPEED": 5.0, "OUTPUT": TMP})
    od = read(res["OUTPUT"])
    b = helsinki["d"].geometry.iloc[0]
    ctx = qgis_context()
    q = processing.run("native:shortestpathlayertopoint", {
        "INPUT": helsinki["lines"], "STRATEGY": 1, "SPEED_FIELD": "speed", "DEFAULT_SPEED": 5.0,
        "DEFAULT_DIRECTION": 2, "TOLERANCE": 0, "START_POINTS": helsinki["origins"],
        "END_POINT": f"{b.x},{b.y} [{CRS}]", "OUTPUT": TMP}, context=ctx)
    layer = ctx.getMapLayer(q["OUTPUT"]) if isinstance(q["OUTPUT"], str) else q["OUTPUT"]
    qgis = {f["pid"]: f["cost"] for f in layer.getFeatures()}
    mine = od[od.destination_id == 0].set_index("origin_id")
    checked = 0
    for i, qc in qgis.items():
        if qc is None or (hasattr(qc, "isNull") and qc.isNull()):
            continue
        assert mine.loc[i, "cost"] == pytest.approx(float(qc) * 60.0, rel=1e-6)
        assert mine.loc[i, "time_min"] == pytest.approx(float(qc) * 60.0, rel=1e-6)
        checked += 1
    assert checked >= 4


# --- tiny networks through the toolbox ------------------------------------------------------
@pytest.fixture
def tiny(tmp_path):
    """A 100 m square with a one-way bottom edge and a detached line 1 km away."""
    lines = gpd.GeoDataFrame({"dir": ["yes", None, None, None], "kmh": [36.0, 72.0, 18.0, None]},
                             geometry=[LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)]),
                                       LineString([(0, 0), (0, 100), (100, 100)]),
                                       LineString([(1000, 0), (1100, 0)])], crs=TINY_CRS)
    lines.to_file(tmp_path / "tiny.gpkg", layer="roads")
    pts = gpd.GeoDataFrame({"name": ["a", "b", "c", "far", "island"]},
                           geometry=[Point(10, 5), Point(90, -5), Point(105, 50), Point(50, -900),
                                     Point(1050, 3)], crs=TINY_CRS)
    pts.to_file(tmp_path / "pts.gpkg")
    empty = pts.iloc[:0]
    empty.to_file(tmp_path / "empty.gpkg")
    return {"lines": f"{tmp_path / 'tiny.gpkg'}|layername=roads", "pts": str(tmp_path / "pts.gpkg"),
            "empty": str(tmp_path / "empty.gpkg"), "folder": tmp_path}


def test_od_matrix_on_tiny_network_lists_every_pair_with_reasons(run_alg, tiny):
    res = run_alg("joinedup:odmatrix", {
        "INPUT": tiny["lines"], "DIRECTION_FIELD": "dir", "ORIGINS": tiny["pts"], "ORIGIN_ID": "name",
        "DESTINATIONS": tiny["pts"], "DESTINATION_ID": "name", "MAX_SNAP": 100, "OUTPUT": TMP})
    od = read(res["OUTPUT"]).set_index(["origin_id", "destination_id"])
    assert len(od) == 25 and res["PAIRS"] == 25
    assert od.loc[("a", "b"), "cost"] == pytest.approx(80)
    assert od.loc[("b", "a"), "cost"] == pytest.approx(320)  # against the one-way: round the square
    assert od.loc[("a", "a"), "cost"] == 0
    assert "not on network (900 m away)" in od.loc[("a", "far"), "reason"]
    assert "different network parts" in od.loc[("a", "island"), "reason"]
    assert np.isnan(od.loc[("a", "island"), "cost"])


def test_line_filter_expression_leaves_lines_out(run_alg, tiny):
    """LINE_FILTER keeps only the lines where a QGIS expression is true: without the one-way
    bottom edge, a reaches b round the other three sides (by hand: 95 + 100 + 100 = 295 m)."""
    from qgis.core import QgsProcessingFeedback

    logs = []
    feedback = QgsProcessingFeedback()
    feedback.pushInfo = logs.append
    base = {"INPUT": tiny["lines"], "ORIGINS": tiny["pts"], "ORIGIN_ID": "name",
            "DESTINATIONS": tiny["pts"], "DESTINATION_ID": "name", "MAX_SNAP": 100, "OUTPUT": TMP}
    res = run_alg("joinedup:odmatrix", {**base, "LINE_FILTER": '"dir" IS NULL'}, feedback=feedback)
    od = read(res["OUTPUT"]).set_index(["origin_id", "destination_id"])
    assert od.loc[("a", "b"), "cost"] == pytest.approx(295)
    assert od.loc[("b", "a"), "cost"] == pytest.approx(295)
    assert any("3 of 4 lines kept, 1 left out" in line for line in logs), logs
    # QGIS functions work; a filter that keeps every line changes nothing
    res = run_alg("joinedup:odmatrix", {**base, "LINE_FILTER": "length($geometry) > 50"})
    assert read(res["OUTPUT"]).set_index(["origin_id", "destination_id"]).loc[("a", "b"), "cost"] == \
        pytest.approx(80)
    with pytest.raises(QgsProcessingException, match="does not parse"):
        run_alg("joinedup:odmatrix", {**base, "LINE_FILTER": '"dir" = = 1'})
    with pytest.raises(QgsProcessingException, match="'surface'.*Its fields: .*dir"):
        run_alg("joinedup:odmatrix", {**base, "LINE_FILTER": '"surface" = \'paved\''})
    with pytest.raises(QgsProcessingException, match="leaves no line"):
        run_alg("joinedup:odmatrix", {**base, "LINE_FILTER": '"kmh" > 1000'})


def test_od_k_nearest_and_max_cost(run_alg, tiny):
    res = run_alg("joinedup:odmatrix", {
        "INPUT": tiny["lines"], "ORIGINS": tiny["pts"], "ORIGIN_ID": "name", "DESTINATIONS": tiny["pts"],
        "DESTINATION_ID": "name", "K": 2, "MAX_COST": 100, "MAX_SNAP": 100, "OUTPUT_TYPE": 1, "OUTPUT": TMP})
    od = read(res["OUTPUT"])
    a = od[od.origin_id == "a"]
    assert a["destination_id"].tolist() == ["a", "b"] and a["rank"].tolist() == [1, 2]
    far = od[od.origin_id == "far"]
    assert len(far) == 1 and np.isnan(far.cost.iloc[0])
    assert od.geometry.notna().sum() == od.cost.notna().sum()


def test_fastest_with_null_speeds_uses_default(run_alg, tiny):
    res = run_alg("joinedup:shortestpath", {
        "INPUT": tiny["lines"], "STRATEGY": 1, "SPEED_FIELD": "kmh", "DEFAULT_SPEED": 18,
        "ORIGINS": tiny["pts"], "ORIGIN_ID": "name", "DESTINATIONS": tiny["pts"], "DESTINATION_ID": "name",
        "PAIRING": 0, "OUTPUT": TMP})
    out = read(res["OUTPUT"]).set_index("origin_id")
    assert (out.loc[["a", "b", "c", "island"], "cost"] == 0).all()
    assert out.loc["far", "origin_snap_m"] == pytest.approx(900)


def test_shortest_path_nearest_pairing_and_access_walk(run_alg, tiny, tmp_path):
    gpd.GeoDataFrame({"id": [1]}, geometry=[Point(100, 120)], crs=TINY_CRS).to_file(tmp_path / "d.gpkg")
    res = run_alg("joinedup:shortestpath", {
        "INPUT": tiny["lines"], "DIRECTION_FIELD": "dir", "ORIGINS": tiny["pts"],
        "DESTINATIONS": str(tmp_path / "d.gpkg"),
        "PAIRING": 1, "ACCESS_SPEED": 5, "OUTPUT": TMP})
    out = read(res["OUTPUT"])
    a = out[out.origin_row == 0].iloc[0]
    # (10,5) snaps to (10,0): 5 m walk; 90 east with the one-way + 100 up; 20 m walk at the end.
    assert a.cost == pytest.approx(5 + 190 + 20)
    assert a.geometry.length == pytest.approx(5 + 190 + 20)
    assert res["UNROUTED"] == 1  # the island: listed with its reason, not dropped
    island = out[out.origin_row == 4].iloc[0]
    assert island.reason == "no reachable destination (origin in network part 1)"
    assert island.geometry is None
    assert len(out) == 5


def test_service_areas_bands_cut_partial_edges(run_alg, tiny):
    gpd.GeoDataFrame({"fid_": [7], "limit": [150.0]}, geometry=[Point(0, 0)], crs=TINY_CRS).to_file(
        tiny["folder"] / "f.gpkg")
    res = run_alg("joinedup:serviceareas", {
        "INPUT": tiny["lines"], "FACILITIES": str(tiny["folder"] / "f.gpkg"), "FACILITY_ID": "fid_",
        "BANDS": "50,150", "OUTPUT": TMP, "OUTPUT_LINES": TMP})
    polys = read(res["OUTPUT"])
    lines = read(res["OUTPUT_LINES"])
    assert sorted(polys.band) == [50, 150] and (polys.facility_id == 7).all()
    by_band = lines.groupby("band").length_m.sum()
    assert by_band[50] == pytest.approx(100)   # 50 m each way from the corner
    assert by_band[150] == pytest.approx(300)  # both sides of the square up to 150 m
    assert lines.cost_to.max() == pytest.approx(150)
    small = polys[polys.band == 50].geometry.iloc[0]
    big = polys[polys.band == 150].geometry.iloc[0]
    assert big.contains(small.buffer(-0.01))
    assert not big.contains(Point(50, 50))  # the block inside the square stays a hole
    # Per-facility limit replaces the bands.
    res = run_alg("joinedup:serviceareas", {
        "INPUT": tiny["lines"], "FACILITIES": str(tiny["folder"] / "f.gpkg"), "LIMIT_FIELD": "limit",
        "OUTPUT": None, "OUTPUT_LINES": TMP})  # lines only: no polygons made
    assert read(res["OUTPUT_LINES"]).length_m.sum() == pytest.approx(300)
    assert "OUTPUT" not in res


def test_service_areas_non_overlapping_and_dissolve(run_alg, tiny):
    gpd.GeoDataFrame({"n": [1, 2]}, geometry=[Point(0, 0), Point(100, 100)], crs=TINY_CRS).to_file(
        tiny["folder"] / "f2.gpkg")
    res = run_alg("joinedup:serviceareas", {
        "INPUT": tiny["lines"], "FACILITIES": str(tiny["folder"] / "f2.gpkg"), "BANDS": "500",
        "NON_OVERLAPPING": True, "OUTPUT": TMP, "OUTPUT_LINES": TMP})
    lines = read(res["OUTPUT_LINES"])
    assert lines.length_m.sum() == pytest.approx(400)  # every street once
    per = lines.groupby("facility_row").length_m.sum()
    assert per[0] == pytest.approx(200) and per[1] == pytest.approx(200)
    polys = read(res["OUTPUT"])
    assert polys.geometry.iloc[0].intersection(polys.geometry.iloc[1]).area < 1e-6
    res = run_alg("joinedup:serviceareas", {
        "INPUT": tiny["lines"], "FACILITIES": str(tiny["folder"] / "f2.gpkg"), "BANDS": "100",
        "DISSOLVE": True, "OUTPUT": TMP})
    assert len(read(res["OUTPUT"])) == 1


def test_closest_facility_direction_and_k(run_alg, tiny):
    gpd.GeoDataFrame({"st": ["west", "east"]}, geometry=[Point(0, 0), Point(100, 0)], crs=TINY_CRS).to_file(
        tiny["folder"] / "fac.gpkg")
    common = {"INPUT": tiny["lines"], "DIRECTION_FIELD": "dir", "INCIDENTS": tiny["pts"], "INCIDENT_ID": "name",
              "FACILITIES": str(tiny["folder"] / "fac.gpkg"), "FACILITY_ID": "st", "MAX_SNAP": 100,
              "OUTPUT": TMP}
    to = read(run_alg("joinedup:closestfacility", {**common, "K": 2, "DIRECTION": 0})["OUTPUT"])
    b = to[to.incident_id == "b"].set_index("facility_id")
    # b at (90,0): to east 10 m with the one-way; to west against it: 10 + 100 + 100 + 100 = 310
    assert b.loc["east", "cost"] == pytest.approx(10) and b.loc["west", "cost"] == pytest.approx(310)
    assert b.loc["east", "rank"] == 1
    frm = read(run_alg("joinedup:closestfacility", {**common, "K": 1, "DIRECTION": 1, "ROUTES": False})["OUTPUT"])
    bf = frm[frm.incident_id == "b"].iloc[0]
    assert bf.facility_id == "west" and bf.cost == pytest.approx(90)
    far = frm[frm.incident_id == "far"].iloc[0]
    assert pd.isna(far.facility_id) and "not on network" in far.reason
    assert set(frm.incident_id) == {"a", "b", "c", "far", "island"}


def test_check_network_and_reuse_saved_network(run_alg, real_data, tmp_path, helsinki):
    saved = tmp_path / "net.gpkg"
    res = run_alg("joinedup:checknetwork", {
        "INPUT": str(real_data / "helsinki.osm.pbf") + "|layername=lines", "PRESET": 1, "MODE": 3,
        "OUTPUT": TMP, "PROBLEMS": TMP, "ISLANDS": TMP,
        "SUMMARY": TMP, "SAVE_NETWORK": str(saved)})
    assert res["COMPONENTS"] >= 1 and res["DANGLES"] > 0
    summary = read(res["SUMMARY"]).set_index("metric")["value"]
    assert summary["components"] == res["COMPONENTS"]
    problems = read(res["PROBLEMS"])
    assert {"dangle", "one-way dead end"} <= set(problems.problem)
    edges = read(res["OUTPUT"])
    assert edges.crs.to_epsg() == 4326  # measured in its UTM zone, written back in the input's CRS
    # The saved network gives the same OD costs as rebuilding from the lines.
    common = {"ORIGINS": helsinki["origins"], "DESTINATIONS": helsinki["dests"], "STRATEGY": 1,
              "OUTPUT": TMP}
    rebuilt = read(run_alg("joinedup:odmatrix", {
        "INPUT": str(real_data / "helsinki.osm.pbf") + "|layername=lines", "PRESET": 1, "MODE": 3,
        **common})["OUTPUT"])
    reused = read(run_alg("joinedup:odmatrix", {"INPUT": f"{saved}|layername=edges", **common})["OUTPUT"])
    np.testing.assert_allclose(rebuilt.cost.to_numpy(), reused.cost.to_numpy(), rtol=1e-9)
    assert rebuilt.cost.notna().sum() > 20


def test_bad_input_gives_clear_errors(run_alg, tiny):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    with pytest.raises(QgsProcessingException, match="empty"):
        run_alg("joinedup:odmatrix", {"INPUT": tiny["lines"], "ORIGINS": tiny["empty"],
                                      "DESTINATIONS": tiny["pts"], "OUTPUT": TMP})
    with pytest.raises(QgsProcessingException, match="Match by id needs"):
        run_alg("joinedup:shortestpath", {"INPUT": tiny["lines"], "ORIGINS": tiny["pts"],
                                          "DESTINATIONS": tiny["pts"], "OUTPUT": TMP})
    with pytest.raises(QgsProcessingException, match="positive cost band"):
        run_alg("joinedup:serviceareas", {"INPUT": tiny["lines"], "FACILITIES": tiny["pts"], "BANDS": "0",
                                          "OUTPUT": TMP})
    with pytest.raises(QgsProcessingException, match="class=km/h"):
        run_alg("joinedup:odmatrix", {"INPUT": tiny["lines"], "ORIGINS": tiny["pts"], "CLASS_SPEEDS": "fast",
                                      "DESTINATIONS": tiny["pts"], "OUTPUT": TMP})
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg("joinedup:odmatrix", {"INPUT": tiny["lines"], "ORIGINS": tiny["pts"],
                                      "DESTINATIONS": tiny["pts"], "OUTPUT": TMP},
                feedback=feedback)


def test_reached_streets_cover_the_same_lines_as_qgis_service_area(run_alg, helsinki):
    """The reached street pieces equal QGIS's serviceareafrompoint lines (to 1 cm), one-ways on."""
    from qgis import processing

    fac = helsinki["o"].iloc[[0, 2]]
    fac.to_file(helsinki["folder"] / "fac.gpkg")
    res = run_alg("joinedup:serviceareas", {
        "INPUT": helsinki["lines"], **DIRECTION, "FACILITIES": str(helsinki["folder"] / "fac.gpkg"),
        "FACILITY_ID": "pid", "BANDS": "400", "OUTPUT": TMP, "OUTPUT_LINES": TMP})
    ours_all = read(res["OUTPUT_LINES"])
    assert len(read(res["OUTPUT"])) == 2
    for pid, p in zip(fac.pid, fac.geometry):
        ctx = qgis_context()
        q = processing.run("native:serviceareafrompoint", {
            "INPUT": helsinki["lines"], "STRATEGY": 0, **DIRECTION, "TOLERANCE": 0,
            "START_POINT": f"{p.x},{p.y} [{CRS}]", "TRAVEL_COST2": 400, "INCLUDE_BOUNDS": False,
            "OUTPUT_LINES": TMP}, context=ctx)
        layer = ctx.getMapLayer(q["OUTPUT_LINES"]) if isinstance(q["OUTPUT_LINES"], str) else q["OUTPUT_LINES"]
        theirs = shapely.union_all([shapely.from_wkt(f.geometry().asWkt()) for f in layer.getFeatures()])
        ours = shapely.union_all(ours_all[ours_all.facility_id == pid].geometry.values)
        assert theirs.length > 1000
        assert shapely.difference(theirs, ours.buffer(0.01)).length < 0.05
        assert shapely.difference(ours, theirs.buffer(0.01)).length < 0.05


def test_duplicate_ids_and_points_without_geometry_are_kept(run_alg, tiny, tmp_path):
    pts = gpd.GeoDataFrame({"code": [1, 1, 2]}, geometry=[Point(10, 0), Point(90, 0), None], crs=TINY_CRS)
    pts.to_file(tmp_path / "dup.gpkg")
    from qgis.core import QgsProcessingFeedback

    warnings = []

    class Feedback(QgsProcessingFeedback):
        def pushWarning(self, text):  # noqa: N802
            warnings.append(text)

    res = run_alg("joinedup:odmatrix", {
        "INPUT": tiny["lines"], "ORIGINS": str(tmp_path / "dup.gpkg"), "ORIGIN_ID": "code",
        "DESTINATIONS": str(tmp_path / "dup.gpkg"), "DESTINATION_ID": "code", "OUTPUT": TMP},
        feedback=Feedback())
    od = read(res["OUTPUT"])
    assert len(od) == 9  # 3 × 3: duplicates and the geometry-less point all listed
    assert any("share" in w for w in warnings) and any("no geometry" in w for w in warnings)
    pair = od[(od.origin_row == 0) & (od.destination_row == 1)].iloc[0]
    assert pair.origin_id == 1 and pair.destination_id == 1 and pair.cost == pytest.approx(80)
    assert (od[od.origin_row == 2].reason == "origin has no geometry").all()


def test_od_matrix_headless_through_qgis_process(tiny, tmp_path):
    """The same OD matrix from the command line (qgis_process), as in docs/network.md."""
    import json
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "qgis_process.sh"
    out = tmp_path / "od.gpkg"
    done = subprocess.run(["bash", str(script), "run", "joinedup:odmatrix", "--json", "--",
                           f"INPUT={tiny['lines']}", "DIRECTION_FIELD=dir", f"ORIGINS={tiny['pts']}",
                           "ORIGIN_ID=name", f"DESTINATIONS={tiny['pts']}", "DESTINATION_ID=name",
                           "MAX_SNAP=100", f"OUTPUT={out}"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout[done.stdout.index("{"):])
    assert result["results"]["PAIRS"] == 25
    od = read(out).set_index(["origin_id", "destination_id"])
    assert od.loc[("b", "a"), "cost"] == pytest.approx(320)
