"""The service-demand algorithms through QGIS's processing.run on the sample city (real
Helsinki streets, synthetic zones and clinics): values checked against the network engine's
own OD matrix and the location engine, and the unhappy paths."""
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import SAMPLE

# QGIS opens a GeoPackage for update and rewrites its header on close: work on a copy so the
# committed sample city stays byte-identical.
CITY = Path(tempfile.mkdtemp(prefix="joinedup_access_")) / "sample_city.gpkg"
shutil.copyfile(SAMPLE / "sample_city.gpkg", CITY)


def layer(name):
    return f"{CITY}|layername={name}"


@pytest.fixture(scope="module")
def engine_od():
    """The zone-centroid × clinic distance matrix computed directly with the network engine."""
    from joinedup.engine.network import Network

    roads = gpd.read_file(CITY, layer="roads")
    zones = gpd.read_file(CITY, layer="zones")
    clinics = gpd.read_file(CITY, layer="clinics")
    net = Network.from_lines(roads)
    cost = net.cost_matrix(net.snap(zones.geometry.centroid), net.snap(clinics), weight="length")
    return zones, clinics, cost


def _read(path):
    return gpd.read_file(path) if "|" not in str(path) else gpd.read_file(
        str(path).split("|")[0], layer=str(path).split("layername=")[1])


def test_accessibility_matches_engine_od(run_alg, tmp_path, engine_od):
    zones, clinics, cost = engine_od
    out = tmp_path / "acc.gpkg"
    res = run_alg("joinedup:accessibility", {
        "NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
        "FACILITIES": layer("clinics"), "FACILITY_ID": "facility_id", "SUPPLY_FIELD": "capacity",
        "THRESHOLDS": "500, 1000", "DECAY": 0, "DECAY_PARAMETER": 0.002, "FCA_METHOD": 0,
        "CATCHMENT": 1000, "OUTPUT": str(out)})
    got = _read(res["OUTPUT"])
    assert len(got) == len(zones)
    assert list(got["zone_id"]) == list(zones["zone_id"])
    near = cost.min(axis=1)
    assert np.isinf(near).sum() < len(near) / 10  # a few zones sit on unconnected street bits
    np.testing.assert_allclose(got["nearest_cost"], np.where(np.isfinite(near), near, np.nan), rtol=1e-9)
    np.testing.assert_array_equal(got["within_500m"], (cost <= 500).sum(axis=1))
    np.testing.assert_array_equal(got["within_1000m"], (cost <= 1000).sum(axis=1))
    cap = clinics["capacity"].to_numpy(float)
    np.testing.assert_allclose(got["gravity"], (np.exp(-0.002 * cost) * cap).sum(axis=1), rtol=1e-9)
    # 2SFCA by the textbook formula, independently of the engine's function
    pop = zones["population"].to_numpy(float)
    inside = cost <= 1000
    ratio = np.array([cap[j] / pop[inside[:, j]].sum() if pop[inside[:, j]].sum() > 0 else 0.0
                      for j in range(len(cap))])
    np.testing.assert_allclose(got["fca_per_1000"], 1000 * (inside * ratio).sum(axis=1), rtol=1e-9)
    ok = np.isfinite(near)
    assert (got["nearest_id"][ok] == clinics["facility_id"].to_numpy()[cost.argmin(axis=1)][ok]).all()
    assert (got["status"][ok] == "ok").all() and (got["status"][~ok] == "no facility reachable").all()
    assert got["nearest_id"][~ok].isna().all()


def test_accessibility_e2sfca_with_address_points_aggregates(run_alg, tmp_path):
    # buildings' centroids as address points, each zone's population shared among them
    buildings = gpd.read_file(CITY, layer="buildings")
    pts = gpd.GeoDataFrame({"residents": np.arange(len(buildings)) % 7},
                           geometry=buildings.geometry.representative_point(), crs=buildings.crs)
    ppath = tmp_path / "addresses.gpkg"
    pts.to_file(ppath)
    res = run_alg("joinedup:accessibility", {
        "NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
        "DEMAND_POINTS": str(ppath), "POINT_WEIGHT_FIELD": "residents",
        "FACILITIES": layer("clinics"), "SUPPLY_FIELD": "capacity", "THRESHOLDS": "800",
        "FCA_METHOD": 1, "BANDS": "400, 800, 1200", "BAND_WEIGHTS": "1, 0.68, 0.22",
        "OUTPUT": str(tmp_path / "acc2.gpkg")})
    got = _read(res["OUTPUT"])
    zones = gpd.read_file(CITY, layer="zones")
    assert len(got) == len(zones)
    assert (got["n_points"] >= 1).all()
    # the zone demand is the sum of its address points' residents where it has points
    joined = gpd.sjoin(pts, zones, predicate="intersects").drop_duplicates(subset=None)
    joined = joined[~joined.index.duplicated(keep="first")]
    sums = joined.groupby("index_right")["residents"].sum()
    with_pts = got.index.isin(sums.index) & (got["n_points"] > 0)
    np.testing.assert_allclose(got.loc[sums.index, "demand"], sums.to_numpy())
    # E2SFCA distributes all supply that some demand reaches: Σ demand × score / 1000 = Σ supply reached
    total = (got["demand"] * got["fca_per_1000"].fillna(0)).sum() / 1000
    assert 0 < total <= gpd.read_file(CITY, layer="clinics")["capacity"].sum() + 1e-6
    assert with_pts.any()


def test_accessibility_unhappy_paths(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    zones = gpd.read_file(CITY, layer="zones")
    bad = zones.copy()
    bad.loc[0, "population"] = -5
    bad.to_file(tmp_path / "bad.gpkg")
    with pytest.raises(QgsProcessingException, match="negative 'population'"):
        run_alg("joinedup:accessibility", {
            "NETWORK": layer("roads"), "DEMAND": str(tmp_path / "bad.gpkg"), "DEMAND_FIELD": "population",
            "FACILITIES": layer("clinics"), "OUTPUT": str(tmp_path / "x.gpkg")})
    # null geometry and a zone far from the streets: kept, with a status
    odd = zones.iloc[:5].copy()
    odd.loc[odd.index[0], "geometry"] = None
    odd.loc[odd.index[1], "geometry"] = shapely.box(300000, 6600000, 300100, 6600100)
    odd.to_file(tmp_path / "odd.gpkg")
    res = run_alg("joinedup:accessibility", {
        "NETWORK": layer("roads"), "DEMAND": str(tmp_path / "odd.gpkg"), "DEMAND_FIELD": "population",
        "FACILITIES": layer("clinics"), "MAX_SNAP": 500, "OUTPUT": str(tmp_path / "odd_out.gpkg")})
    got = _read(res["OUTPUT"])
    assert len(got) == 5
    assert got["status"].iloc[0] == "no geometry" and got["status"].iloc[1] == "not on network"
    assert pd.isna(got["nearest_cost"].iloc[1]) and (got["status"].iloc[2:] == "ok").all()
    clinics = gpd.read_file(CITY, layer="clinics")
    clinics.loc[1, "facility_id"] = clinics.loc[0, "facility_id"]
    clinics.to_file(tmp_path / "dup.gpkg")
    with pytest.raises(QgsProcessingException, match="unique"):
        run_alg("joinedup:accessibility", {
            "NETWORK": layer("roads"), "DEMAND": layer("zones"), "FACILITIES": str(tmp_path / "dup.gpkg"),
            "FACILITY_ID": "facility_id", "OUTPUT": str(tmp_path / "y.gpkg")})


def test_coveragegaps_matches_engine_od(run_alg, tmp_path, engine_od):
    zones, clinics, cost = engine_od
    res = run_alg("joinedup:coveragegaps", {
        "NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
        "FACILITIES": layer("clinics"), "THRESHOLD": 600,
        "OUTPUT": str(tmp_path / "cov.gpkg"), "UNCOVERED": str(tmp_path / "unc.gpkg"),
        "SUMMARY": str(tmp_path / "sum.csv")})
    got = _read(res["OUTPUT"])
    pop = zones["population"].to_numpy(float)
    covered = cost.min(axis=1) <= 600
    np.testing.assert_allclose(got["uncovered_demand"], np.where(covered, 0, pop))
    np.testing.assert_allclose(got["covered_demand"], np.where(covered, pop, 0))
    unc = _read(res["UNCOVERED"])
    assert len(unc) == int((~covered).sum())
    assert set(unc["reason"]) <= {"beyond 600 m", "no facility reachable"}
    assert (unc["reason"] == "no facility reachable").sum() == int(np.isinf(cost.min(axis=1)).sum())
    summary = pd.read_csv(res["SUMMARY"])
    assert summary["uncovered_demand"][0] == pytest.approx(pop[~covered].sum())
    assert res["UNCOVERED_PCT"] == pytest.approx(100 * pop[~covered].sum() / pop.sum())


def test_coveragegaps_null_geometry_counts_as_uncovered(run_alg, tmp_path):
    zones = gpd.read_file(CITY, layer="zones").iloc[:6].copy()
    zones.loc[zones.index[0], "geometry"] = None
    zones.to_file(tmp_path / "z.gpkg")
    res = run_alg("joinedup:coveragegaps", {
        "NETWORK": layer("roads"), "DEMAND": str(tmp_path / "z.gpkg"), "DEMAND_FIELD": "population",
        "FACILITIES": layer("clinics"), "THRESHOLD": 100000,
        "OUTPUT": str(tmp_path / "c.gpkg"), "UNCOVERED": "TEMPORARY_OUTPUT", "SUMMARY": "TEMPORARY_OUTPUT"})
    got = _read(res["OUTPUT"])
    assert len(got) == 6 and got["status"][0] == "no geometry"
    assert got["uncovered_demand"][0] == zones["population"].iloc[0]
    assert res["TOTAL_DEMAND"] == pytest.approx(zones["population"].sum())


def _brute(cost, w, p, forced=(), threshold=None):
    import itertools

    forced = list(forced)
    big = np.where(np.isfinite(cost), cost, np.nan)
    best = None
    pool = [j for j in range(cost.shape[1]) if j not in forced]
    for combo in itertools.combinations(pool, p):
        near = np.nanmin(np.where(np.isnan(big[:, forced + list(combo)]), np.inf, big[:, forced + list(combo)]), axis=1)
        if threshold is None:
            ok = np.isfinite(near)
            val = float(w[ok] @ near[ok]) + 1e12 * int((~ok & np.isfinite(cost).any(axis=1)).sum())
        else:
            val = -float(w[near <= threshold].sum())
        best = val if best is None else min(best, val)
    return best if threshold is None else -best


@pytest.mark.parametrize("problem", [0, 1])
def test_locationallocation_equals_brute_force_on_network_costs(run_alg, tmp_path, engine_od, problem):
    zones, clinics, cost = engine_od
    pop = zones["population"].to_numpy(float)
    existing = clinics.iloc[:2]
    candidates = clinics.iloc[2:]
    existing.to_file(tmp_path / "existing.gpkg")
    candidates.to_file(tmp_path / "candidates.gpkg")
    res = run_alg("joinedup:locationallocation", {
        "NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
        "CANDIDATES": str(tmp_path / "candidates.gpkg"), "CANDIDATE_ID": "facility_id",
        "EXISTING": str(tmp_path / "existing.gpkg"), "EXISTING_ID": "facility_id",
        "PROBLEM": problem, "P": 3, "THRESHOLD": 500,
        "SITES": str(tmp_path / "sites.gpkg"), "ALLOCATION": str(tmp_path / "alloc.gpkg"),
        "SUMMARY": str(tmp_path / "summary.csv")})
    expected = _brute(cost, pop, 3, forced=[0, 1], threshold=500 if problem == 1 else None)
    assert res["OBJECTIVE"] == pytest.approx(expected, rel=1e-9)
    assert res["GAP_PCT"] < 0.01
    sites = _read(res["SITES"])
    assert list(sites["site_kind"]) == ["existing", "existing", "new", "new", "new"]
    assert list(sites["rank"]) == [0, 0, 1, 2, 3]
    assert set(sites["site_id"][:2]) == {1, 2}
    gains = sites["gain"][2:].to_numpy()
    assert (np.diff(gains) <= 1e-6).all() and (gains >= 0).all()
    alloc = _read(res["ALLOCATION"])
    # every demand point is in the allocation: served to a site or listed with a reason
    assert sorted(set(alloc["feature_row"])) == list(range(len(zones)))
    unreachable = ~np.isfinite(cost).any(axis=1)
    assert (alloc["reason"].notna() == unreachable[alloc["feature_row"]]).all()
    summary = pd.read_csv(res["SUMMARY"])
    assert list(summary["scenario"]) == ["before", "after"]
    if problem == 0:
        assert summary["objective"][1] == pytest.approx(expected) and summary["objective"][0] > expected
        served = alloc[alloc["reason"].isna()]
        assert (served["demand"] * served["cost"]).sum() == pytest.approx(expected)
    else:
        assert summary["covered_demand"][1] == pytest.approx(expected)


def test_locationallocation_lscp_and_capacitated(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    common = {"NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
              "CANDIDATES": layer("clinics"), "CANDIDATE_ID": "facility_id",
              "SITES": "TEMPORARY_OUTPUT", "ALLOCATION": "TEMPORARY_OUTPUT", "SUMMARY": "TEMPORARY_OUTPUT"}
    res = run_alg("joinedup:locationallocation", dict(common, PROBLEM=2, THRESHOLD=1200))
    assert res["GAP_PCT"] == 0 and res["METHOD"].startswith("exact")
    zones = gpd.read_file(CITY, layer="zones")
    clinics = gpd.read_file(CITY, layer="clinics")
    total = zones["population"].sum()
    # capacity below total demand: a clear "infeasible" message
    with pytest.raises(QgsProcessingException, match="Infeasible"):
        run_alg("joinedup:locationallocation", dict(common, PROBLEM=3, P=2, CAPACITY_FIELD="capacity"))
    # capacities scaled so that 4 sites can hold the demand: loads stay within capacity
    clinics["cap"] = total / 3 * (0.8 + 0.4 * clinics["capacity"] / clinics["capacity"].max())
    clinics.to_file(tmp_path / "cap.gpkg")
    res = run_alg("joinedup:locationallocation", dict(
        common, CANDIDATES=str(tmp_path / "cap.gpkg"), PROBLEM=3, P=4, CAPACITY_FIELD="cap",
        SITES=str(tmp_path / "s.gpkg"), ALLOCATION=str(tmp_path / "a.gpkg")))
    sites = _read(res["SITES"])
    assert (sites["demand_served"] <= sites["capacity"] + 1e-6).all()
    assert (sites["load_share"] <= 1 + 1e-9).all()
    with pytest.raises(QgsProcessingException, match="only 12 candidate"):
        run_alg("joinedup:locationallocation", dict(common, P=13))


def test_real_helsinki_geographic_input_matches_engine(run_alg, real_data, tmp_path):
    """The OSM extract in EPSG:4326: restaurants (demand) to pharmacies over the real streets.
    Both the algorithm and the engine move the data to the local UTM zone."""
    from joinedup.engine.network import Network

    pbf = real_data / "helsinki.osm.pbf"
    points = gpd.read_file(pbf, layer="points")
    tags = points["other_tags"].fillna("")
    rest = points[tags.str.contains('"amenity"=>"restaurant"', regex=False)][["osm_id", "geometry"]]
    pharm = points[tags.str.contains('"amenity"=>"pharmacy"', regex=False)][["osm_id", "geometry"]]
    assert len(rest) > 50 and len(pharm) > 3 and rest.crs.to_epsg() == 4326
    rest.to_file(tmp_path / "rest.gpkg")
    pharm.to_file(tmp_path / "pharm.gpkg")
    res = run_alg("joinedup:accessibility", {
        "NETWORK": f"{pbf}|layername=lines", "DEMAND": str(tmp_path / "rest.gpkg"),
        "FACILITIES": str(tmp_path / "pharm.gpkg"), "FACILITY_ID": "osm_id", "THRESHOLDS": "300, 600",
        "FCA_METHOD": 2, "OUTPUT": str(tmp_path / "out.gpkg")})
    got = _read(res["OUTPUT"])
    lines = gpd.read_file(pbf, layer="lines")
    net = Network.from_lines(lines)
    cost = net.cost_matrix(net.snap(rest), net.snap(pharm), weight="length")
    near = cost.min(axis=1)
    # raw OSM lines hold unconnected pieces (platforms, yards): most, not all, restaurants reach one
    assert len(got) == len(rest) and np.isfinite(near).mean() > 0.6
    np.testing.assert_allclose(got["nearest_cost"], np.where(np.isfinite(near), near, np.nan), rtol=1e-9)
    np.testing.assert_array_equal(got["within_600m"], (cost <= 600).sum(axis=1))
    assert "fca_per_1000" not in got.columns


def test_location_allocation_cancel_is_clean(run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg("joinedup:locationallocation", {
            "NETWORK": layer("roads"), "DEMAND": layer("zones"), "CANDIDATES": layer("clinics"),
            "P": 2, "SITES": str(tmp_path / "s.gpkg"), "ALLOCATION": str(tmp_path / "a.gpkg"),
            "SUMMARY": str(tmp_path / "x.csv")}, feedback=feedback)
    assert not (tmp_path / "s.gpkg").exists()


def test_location_allocation_accounts_for_every_demand_feature(run_alg, tmp_path):
    zones = gpd.read_file(CITY, layer="zones").iloc[:40].copy()
    zones.loc[zones.index[0], "geometry"] = None
    zones.loc[zones.index[1], "population"] = 0
    zones.to_file(tmp_path / "z.gpkg")
    res = run_alg("joinedup:locationallocation", {
        "NETWORK": layer("roads"), "DEMAND": str(tmp_path / "z.gpkg"), "DEMAND_FIELD": "population",
        "CANDIDATES": layer("clinics"), "PROBLEM": 0, "P": 2,
        "SITES": "TEMPORARY_OUTPUT", "ALLOCATION": str(tmp_path / "a.gpkg"), "SUMMARY": "TEMPORARY_OUTPUT"})
    alloc = _read(res["ALLOCATION"])
    assert sorted(set(alloc["feature_row"])) == list(range(40))
    assert alloc.loc[alloc["feature_row"] == 0, "reason"].tolist() == ["no geometry"]
    assert alloc.loc[alloc["feature_row"] == 1, "demand"].tolist() == [0]


@pytest.mark.slow
def test_coveragegaps_headless_qgis_process(tmp_path):
    """qgis_process links QGIS's own GEOS ahead of shapely's: outputs must still be written."""
    import json
    import subprocess

    from conftest import REPO

    done = subprocess.run(
        [str(REPO / "scripts" / "qgis_process.sh"), "run", "joinedup:coveragegaps", "--json", "--",
         f"NETWORK={layer('roads')}", f"DEMAND={layer('zones')}", "DEMAND_FIELD=population",
         f"FACILITIES={layer('clinics')}", "THRESHOLD=600", f"OUTPUT={tmp_path / 'c.gpkg'}",
         f"UNCOVERED={tmp_path / 'u.gpkg'}", f"SUMMARY={tmp_path / 's.csv'}"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads(done.stdout[done.stdout.index("{"):])["results"]
    got = gpd.read_file(tmp_path / "c.gpkg")
    assert len(got) == 150
    assert results["UNCOVERED_DEMAND"] == pytest.approx(got["uncovered_demand"].sum())
    assert len(gpd.read_file(tmp_path / "u.gpkg")) == int((got["uncovered_demand"] > 0).sum())


def test_fastest_walk_minutes_agree_with_the_odmatrix_algorithm(run_alg, tmp_path):
    """Travel time (minutes) on foot with the OSM preset: cumulative counts and nearest cost equal
    those of JoinedUp's own OD matrix tool run with the same network options."""
    net_opts = {"STRATEGY": 1, "PRESET": 1, "MODE": 1}
    incidents = gpd.read_file(CITY, layer="incidents").iloc[::25]
    incidents.to_file(tmp_path / "demand.gpkg")
    acc = run_alg("joinedup:accessibility", dict(
        net_opts, NETWORK=layer("roads"), DEMAND=str(tmp_path / "demand.gpkg"),
        FACILITIES=layer("clinics"), FACILITY_ID="facility_id", THRESHOLDS="5, 10", FCA_METHOD=0,
        CATCHMENT=10, OUTPUT=str(tmp_path / "acc.gpkg")))
    od = run_alg("joinedup:odmatrix", dict(
        net_opts, INPUT=layer("roads"), ORIGINS=str(tmp_path / "demand.gpkg"), ORIGIN_ID="incident_id",
        DESTINATIONS=layer("clinics"), DESTINATION_ID="facility_id", OUTPUT=str(tmp_path / "od.csv")))
    got = _read(acc["OUTPUT"])
    table = pd.read_csv(od["OUTPUT"])
    matrix = table.pivot(index="origin_id", columns="destination_id", values="cost")
    matrix = matrix.loc[incidents["incident_id"]].to_numpy()
    assert np.isfinite(matrix).any()
    near = np.where(np.isnan(matrix), np.inf, matrix).min(axis=1)
    np.testing.assert_allclose(got["nearest_cost"], np.where(np.isfinite(near), near, np.nan), rtol=1e-6)
    np.testing.assert_array_equal(got["within_5min"], (np.nan_to_num(matrix, nan=np.inf) <= 5).sum(axis=1))
    np.testing.assert_array_equal(got["within_10min"], (np.nan_to_num(matrix, nan=np.inf) <= 10).sum(axis=1))


def test_locationallocation_options_each_p_is_its_own_optimum(run_alg, tmp_path, engine_od):
    """Options, not one answer: P = 1 … 3 new clinics (each checked against brute force on the
    network costs) and a named candidate set, with what each extra site buys."""
    import itertools

    zones, clinics, cost = engine_od
    pop = zones["population"].to_numpy(float)
    clinics.iloc[:2].to_file(tmp_path / "existing.gpkg")
    clinics.iloc[2:].to_file(tmp_path / "candidates.gpkg")
    named = [str(i) for i in clinics["facility_id"].iloc[[3, 7]]]
    res = run_alg("joinedup:locationallocation", {
        "NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
        "CANDIDATES": str(tmp_path / "candidates.gpkg"), "CANDIDATE_ID": "facility_id",
        "EXISTING": str(tmp_path / "existing.gpkg"), "EXISTING_ID": "facility_id",
        "PROBLEM": 1, "P": 1, "THRESHOLD": 500, "P_MAX": 3, "CANDIDATE_SETS": f"north pair: {', '.join(named)}",
        "SITES": "TEMPORARY_OUTPUT", "ALLOCATION": "TEMPORARY_OUTPUT", "SUMMARY": "TEMPORARY_OUTPUT",
        "OPTIONS": str(tmp_path / "options.csv")})
    options = pd.read_csv(res["OPTIONS"])
    assert list(options["option"]) == ["Existing sites only", "1 new site", "2 new sites", "3 new sites",
                                       "north pair"]

    def covered(cols):
        near = np.min(np.where(np.isfinite(cost[:, cols]), cost[:, cols], np.inf), axis=1)
        return float(pop[near <= 500].sum())

    best = [covered([0, 1])] + [max(covered([0, 1, *combo]) for combo in itertools.combinations(range(2, 12), p))
                                for p in (1, 2, 3)]
    np.testing.assert_allclose(options["covered_demand"][:4], best)
    np.testing.assert_allclose(options["gain_demand"][1:4], np.diff(best))  # what each extra site buys
    assert np.isnan(options["gain_demand"][0])
    pair = [int(np.flatnonzero(clinics["facility_id"].astype(str) == i)[0]) for i in named]
    assert options["covered_demand"][4] == pytest.approx(covered([0, 1, *pair]))
    assert options["gain_demand"][4] == pytest.approx(covered([0, 1, *pair]) - best[0])
    assert options["covered_pct"][1] == pytest.approx(100 * best[1] / pop.sum())
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="not candidates: nowhere"):
        run_alg("joinedup:locationallocation", {
            "NETWORK": layer("roads"), "DEMAND": layer("zones"), "DEMAND_FIELD": "population",
            "CANDIDATES": str(tmp_path / "candidates.gpkg"), "CANDIDATE_ID": "facility_id",
            "PROBLEM": 0, "P": 1, "CANDIDATE_SETS": "odd: nowhere", "SITES": "TEMPORARY_OUTPUT",
            "ALLOCATION": "TEMPORARY_OUTPUT", "SUMMARY": "TEMPORARY_OUTPUT", "OPTIONS": "TEMPORARY_OUTPUT"})
