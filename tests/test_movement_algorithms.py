"""joinedup:mapmatch, joinedup:networkflows, joinedup:sharedroutes through QGIS's processing.run,
on the real Helsinki roads and on a hand-made network; unhappy paths every time."""
import numpy as np
import pandas as pd
import pytest

X0, Y0 = 385000.0, 6671000.0


def _write(gdf, path, layer=None):
    import pyogrio

    pyogrio.write_dataframe(gdf, str(path), layer=layer, driver="GPKG")
    return str(path)


def _read(path):
    import pyogrio

    return pyogrio.read_dataframe(str(path))


@pytest.fixture(scope="module")
def city(real_data, tmp_path_factory):
    """Helsinki lines (as stored, EPSG:4326) and generated lorry/cycle tracks (EPSG:4326)."""
    import geopandas as gpd
    import pyogrio
    from gen_tracks import drive_graph, generate_tracks

    folder = tmp_path_factory.mktemp("movement")
    lines = pyogrio.read_dataframe(str(real_data / "helsinki.osm.pbf"), layer="lines")
    lines = lines[lines["highway"].notna()][["highway", "other_tags", "geometry"]]
    lines_path = _write(lines, folder / "lines.gpkg")
    _, graph = drive_graph(real_data / "helsinki.osm.pbf")
    hgv, _ = generate_tracks(graph, n_tracks=6, n_points=60, sigma_m=8, interval_s=5, seed=3, mode="hgv")
    bike, _ = generate_tracks(graph, n_tracks=4, n_points=60, sigma_m=8, interval_s=5, seed=4, mode="cycle",
                              speed_ms=5.0, start_time="2024-05-04T18:00:00")
    bike["track_id"] = bike["track_id"].str.replace("cycle", "bike")
    pts = gpd.GeoDataFrame(pd.concat([hgv, bike], ignore_index=True), crs=hgv.crs).to_crs("EPSG:4326")
    pts_path = _write(pts, folder / "gps.gpkg")
    return folder, lines_path, pts_path, pts


NET = {"MODE": 3, "PRESET": 1}


def test_mapmatch_then_flows_then_shared_routes(run_alg, city):
    folder, lines, gps, pts = city
    res = run_alg("joinedup:mapmatch", {
        "INPUT": gps, "TRACK_FIELD": "track_id", "TIME_FIELD": "time", "MODE_FIELD": "mode",
        "NETWORK": lines, **NET, "GPS_SIGMA": 8, "SEARCH_RADIUS": 50,
        "OUTPUT": str(folder / "routes.gpkg"), "POINTS": str(folder / "points.gpkg"),
        "QUALITY": str(folder / "quality.gpkg")})
    routes, points, quality = _read(res["OUTPUT"]), _read(res["POINTS"]), _read(res["QUALITY"])
    assert len(points) == len(pts)                       # every input point is there
    assert (points["status"] == "matched").mean() > 0.98
    assert set(routes["track_id"]) == set(pts["track_id"])
    assert (routes["mode"].isin(["hgv", "cycle"])).all()
    assert quality["share_matched"].min() > 0.9 and quality["mean_offset_m"].max() < 15
    # flows from those routes
    res2 = run_alg("joinedup:networkflows", {
        "NETWORK": lines, **NET, "ROUTES": res["OUTPUT"], "TRACK_FIELD": "track_id",
        "CATEGORY_FIELD": "mode", "OUTPUT": str(folder / "flows.gpkg")})
    flows = _read(res2["OUTPUT"])
    expected = {"passages", "tracks", "passages_hgv", "passages_cycle"}
    assert expected <= set(flows.columns), (flows.columns, routes.columns, routes["mode"].head())
    # hand count from the routes' own edge lists
    ids = routes["edge_ids"].str.split(",").explode()
    ids = ids[ids.notna() & (ids != "")].astype(int)
    expected = ids.value_counts()
    got = flows.set_index("edge_id")["passages"]
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    # weekday morning filter: only the lorries (Thursday 07:00) count
    res3 = run_alg("joinedup:networkflows", {
        "NETWORK": lines, **NET, "ROUTES": res["OUTPUT"], "CATEGORY_FIELD": "mode",
        "TIME_FIELD": "start_time", "HOUR_FROM": 6.5, "HOUR_TO": 9, "WEEKDAYS": [0, 1, 2, 3, 4],
        "OUTPUT": str(folder / "flows_am.gpkg")})
    am = _read(res3["OUTPUT"])
    assert am["passages"].sum() == am["passages_hgv"].sum() > 0
    assert "passages_cycle" not in am.columns or am["passages_cycle"].sum() == 0
    # shared routes with collisions
    col = flows[flows["passages"] > 0].geometry.iloc[:3].interpolate(0.5, normalized=True)
    import geopandas as gpd
    import shapely
    far = shapely.Point(col.iloc[0].x + 50000, col.iloc[0].y)
    colls = gpd.GeoDataFrame({"id": [1, 2, 3, 4]}, geometry=list(col) + [far], crs=flows.crs)
    res4 = run_alg("joinedup:sharedroutes", {
        "INPUT": res2["OUTPUT"], "FIELD_A": "passages_hgv", "FIELD_B": "passages_cycle", "METHOD": 0,
        "TOP_N": 5, "COLLISIONS": _write(colls, folder / "coll.gpkg"), "MAX_DISTANCE": 5,
        "OUTPUT": str(folder / "shared.gpkg")})
    shared = _read(res4["OUTPUT"])
    assert len(shared) == len(flows)
    np.testing.assert_allclose(shared["exposure"], flows["passages_hgv"].fillna(0) * flows["passages_cycle"].fillna(0))
    assert shared["top"].sum() == min(5, int((shared["exposure"] > 0).sum()))
    assert shared["collisions"].sum() == 3


def test_od_assignment_algorithm(run_alg, city, tmp_path):
    import geopandas as gpd
    import shapely

    folder, lines, _, _ = city
    od = gpd.GeoDataFrame({"trips": [10.0, 5.0, None], "kind": ["hgv", "hgv", "cycle"]},
                          geometry=[shapely.LineString([(24.938, 60.166), (24.948, 60.170)]),
                                    shapely.LineString([(24.940, 60.168), (24.944, 60.164)]),
                                    shapely.LineString([(24.940, 60.168), (24.944, 60.164)])], crs="EPSG:4326")
    res = run_alg("joinedup:networkflows", {
        "NETWORK": lines, **NET, "OD": _write(od, tmp_path / "od.gpkg"), "VOLUME_FIELD": "trips",
        "OD_CATEGORY_FIELD": "kind", "OUTPUT": str(tmp_path / "odflows.gpkg")})
    out = _read(res["OUTPUT"])
    assert set(np.unique(out["volume"])) <= {0.0, 5.0, 10.0, 15.0}
    assert (out["volume"] == 10).any() and (out["volume_hgv"] == out["volume"]).all()


def test_unparsable_times_stop_with_field_and_example(run_alg, city, tmp_path):
    from qgis.core import QgsProcessingException

    folder, lines, _, pts = city
    bad = pts.iloc[:10].copy()
    bad["when"] = "half past eight"
    with pytest.raises(QgsProcessingException, match=r"'when'.*'half past eight'"):
        run_alg("joinedup:mapmatch", {"INPUT": _write(bad, tmp_path / "bad.gpkg"), "TRACK_FIELD": "track_id",
                                      "TIME_FIELD": "when", "NETWORK": lines, **NET,
                                      "OUTPUT": str(tmp_path / "r.gpkg")})


def test_bad_tracks_every_point_accounted(run_alg, city, tmp_path):
    """Unordered and duplicate times, a single-point track, a null time, a track far off the
    network: all rows come back, each matched or with its reason."""
    import geopandas as gpd
    import shapely

    folder, lines, _, pts = city
    t = pts[pts["track_id"] == pts["track_id"].iloc[0]].iloc[:20].copy()
    t = t.iloc[::-1]                                       # reversed order
    t = pd.concat([t, t.iloc[[3]]])                        # a duplicate time
    t.iloc[5, t.columns.get_loc("time")] = None            # a null time
    lonely = t.iloc[[0]].assign(track_id="lonely")
    far = gpd.GeoDataFrame({"track_id": ["far"] * 3, "time": ["2024-05-02T07:00:00", "2024-05-02T07:00:05",
                                                              "2024-05-02T07:00:10"], "mode": "hgv"},
                           geometry=shapely.points([[25.3, 60.3], [25.3001, 60.3], [25.3002, 60.3]]), crs="EPSG:4326")
    data = gpd.GeoDataFrame(pd.concat([t, lonely, far], ignore_index=True), crs="EPSG:4326")
    res = run_alg("joinedup:mapmatch", {"INPUT": _write(data, tmp_path / "messy.gpkg"), "TRACK_FIELD": "track_id",
                                        "TIME_FIELD": "time", "NETWORK": lines, **NET,
                                        "OUTPUT": str(tmp_path / "r.gpkg"), "POINTS": str(tmp_path / "p.gpkg")})
    p = _read(res["POINTS"])
    assert len(p) == len(data)
    counts = p["status"].value_counts().to_dict()
    assert counts["duplicate time"] == 1 and counts["no time"] == 1
    assert counts["single-point track"] == 1 and counts["off network"] == 3
    assert counts["matched"] == len(data) - 6
    routes = _read(res["OUTPUT"])
    assert set(routes["track_id"]) == {t["track_id"].iloc[0]}


def test_empty_and_cancel(run_alg, city, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    folder, lines, gps, pts = city
    empty = pts.iloc[:0]
    with pytest.raises(QgsProcessingException, match="empty"):
        run_alg("joinedup:mapmatch", {"INPUT": _write(empty, tmp_path / "empty.gpkg"), "TRACK_FIELD": "track_id",
                                      "TIME_FIELD": "time", "NETWORK": lines, **NET,
                                      "OUTPUT": str(tmp_path / "r.gpkg")})
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg("joinedup:mapmatch", {"INPUT": gps, "TRACK_FIELD": "track_id", "TIME_FIELD": "time",
                                      "NETWORK": lines, **NET, "OUTPUT": str(tmp_path / "r2.gpkg")},
                feedback=feedback)
    with pytest.raises(QgsProcessingException, match="exactly one"):
        run_alg("joinedup:networkflows", {"NETWORK": lines, **NET, "OUTPUT": str(tmp_path / "f.gpkg")})


def test_flows_refuse_routes_from_another_network(run_alg, city, tmp_path):
    from qgis.core import QgsProcessingException

    folder, lines, gps, _ = city
    res = run_alg("joinedup:mapmatch", {"INPUT": gps, "TRACK_FIELD": "track_id", "TIME_FIELD": "time",
                                        "NETWORK": lines, **NET, "OUTPUT": str(tmp_path / "r.gpkg")})
    with pytest.raises(QgsProcessingException, match="network"):
        run_alg("joinedup:networkflows", {"NETWORK": lines, "MODE": 0, "PRESET": 0,
                                          "ROUTES": res["OUTPUT"], "OUTPUT": str(tmp_path / "f.gpkg")})
