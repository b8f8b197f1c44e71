"""Inputs without a CRS (issue #17): refused only where units matter, with a message that
names the layer and the parameter; otherwise a correct result."""
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from conftest import SAMPLE

CITY = Path(tempfile.mkdtemp(prefix="joinedup_reliability_crs_")) / "sample_city.gpkg"
shutil.copyfile(SAMPLE / "sample_city.gpkg", CITY)


def city(name):
    return f"{CITY}|layername={name}"


def _without_crs(tmp_path, name, rows=None):
    gdf = gpd.read_file(CITY, layer=name)
    if rows is not None:
        gdf = gdf.iloc[rows]
    gdf = gdf.set_crs(None, allow_override=True)
    path = tmp_path / f"{name}_nocrs.gpkg"
    gdf.to_file(path)
    return str(path), gdf


def test_areaprofile_points_without_crs(run_alg, tmp_path):
    points, _ = _without_crs(tmp_path, "incidents")
    from qgis.core import QgsProcessingException

    # GeoPackage's 'Undefined geographic SRS' is no CRS, not degrees (it was: GEOSException)
    with pytest.raises(QgsProcessingException, match="incidents_nocrs has no coordinate reference system"):
        run_alg("joinedup:areaprofile", {"AREAS": city("zones"), "LAYERS": [points],
                                         "OUTPUT": str(tmp_path / "p.gpkg")})
    # with no CRS on either side, counts need no units: every point counted in its zone
    zones, zgdf = _without_crs(tmp_path, "zones")
    _, pgdf = _without_crs(tmp_path, "incidents")
    got = gpd.read_file(run_alg("joinedup:areaprofile", {"AREAS": zones, "LAYERS": [points],
                                                         "OUTPUT": str(tmp_path / "q.gpkg")})["OUTPUT"])
    count = [c for c in got.columns if c.endswith("_count")][0]
    want = gpd.sjoin(pgdf, zgdf[["zone_id", "geometry"]], predicate="intersects").groupby("zone_id").size()
    np.testing.assert_array_equal(got[count], got["zone_id"].map(want).fillna(0).astype(int))


def test_locationallocation_demand_without_crs(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    zones, _ = _without_crs(tmp_path, "zones")
    with pytest.raises(QgsProcessingException) as caught:
        run_alg("joinedup:locationallocation", {
            "NETWORK": city("roads"), "DEMAND": zones, "DEMAND_FIELD": "population",
            "CANDIDATES": city("clinics"), "CANDIDATE_ID": "facility_id", "P": 2,
            "SITES": "TEMPORARY_OUTPUT", "ALLOCATION": "TEMPORARY_OUTPUT", "SUMMARY": "TEMPORARY_OUTPUT"})
    assert "zones_nocrs" in str(caught.value) and "coordinate reference system" in str(caught.value)


def test_hotspots_queen_contiguity_needs_no_crs(run_alg, tmp_path):
    from esda.getisord import G_Local
    from libpysal.weights import Queen

    zones, gdf = _without_crs(tmp_path, "zones")
    out = run_alg("joinedup:hotspots", {"INPUT": zones, "FIELD": "population", "WEIGHTS": 0,
                                        "OUTPUT": str(tmp_path / "hs.gpkg")})["OUTPUT"]
    got = gpd.read_file(out)
    assert len(got) == len(gdf)
    w = Queen.from_dataframe(gdf.reset_index(drop=True), use_index=False, silence_warnings=True)
    w.transform = "B"
    want = G_Local(gdf["population"].to_numpy(float), w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(got["gi_z"], want.Zs, atol=1e-6)


def test_hotspots_distance_band_without_crs_names_the_parameter(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    zones, _ = _without_crs(tmp_path, "zones")
    with pytest.raises(QgsProcessingException) as caught:
        run_alg("joinedup:hotspots", {"INPUT": zones, "FIELD": "population", "WEIGHTS": 2,
                                      "DISTANCE": 500, "OUTPUT": str(tmp_path / "hs.gpkg")})
    assert "zones_nocrs" in str(caught.value) and "DISTANCE" in str(caught.value)


@pytest.mark.parametrize("algorithm,layer,params,parameter", [
    ("joinedup:density", "incidents", {"RADIUS": 200, "PIXEL_SIZE": 50}, "RADIUS"),
    ("joinedup:mapmatch", "gps_points", {"TRACK_FIELD": "track_id", "TIME_FIELD": "time",
                                         "NETWORK": None}, "SEARCH_RADIUS"),
])
def test_units_that_need_a_crs_are_named(run_alg, tmp_path, algorithm, layer, params, parameter):
    from qgis.core import QgsProcessingException

    source, _ = _without_crs(tmp_path, layer, rows=range(50))
    params = {k: (city("roads") if v is None else v) for k, v in params.items()}
    out = tmp_path / ("d.tif" if algorithm.endswith("density") else "m.gpkg")
    with pytest.raises(QgsProcessingException) as caught:
        run_alg(algorithm, {"INPUT": source, **params, "OUTPUT": str(out)})
    assert f"{layer}_nocrs has no coordinate reference system" in str(caught.value)
    assert parameter in str(caught.value) and not out.exists()
