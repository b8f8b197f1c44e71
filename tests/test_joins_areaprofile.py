"""joinedup:areaprofile: by hand on a tiny case, and on the real data against QGIS's own
count-points-in-polygon and sum-line-lengths and a geopandas overlay for covered shares."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from joins_data import *  # noqa: F401,F403  (fixtures)
from joins_data import layer_uri, read_layer, write_layer


def _layer(uri, name):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(uri, name, "ogr")
    assert layer.isValid(), uri
    return layer


# Hand-made shapes around (0, 0): in World Mercator the equator at 0 E, where map units are
# ground metres to 1e-8 (in EPSG:3067 that point is 500 km off the meridian, 0.27 % long).
TINY_CRS = "EPSG:3395"


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.gpkg"
    areas = gpd.GeoDataFrame({"zone": ["A", "B"], "population": [2000, 0]},
                             geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)],
                             crs=TINY_CRS)
    points = gpd.GeoDataFrame({"cost": [10.0, 20.0, None, 5.0]},
                              geometry=shapely.points([[10, 10], [20, 20], [30, 30], [150, 50]]),
                              crs=TINY_CRS)
    lines = gpd.GeoDataFrame({"k": [1]}, geometry=[shapely.LineString([(50, 50), (150, 50)])],
                             crs=TINY_CRS)
    # two overlapping polygons inside A: 50x100 and 50x100 overlapping by 25x100 -> 75 % of A
    polys = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[shapely.box(0, 0, 50, 100), shapely.box(25, 0, 75, 100)],
                             crs=TINY_CRS)
    return (write_layer(path, "areas", areas), write_layer(path, "points", points),
            write_layer(path, "lines", lines), write_layer(path, "polys", polys))


def test_profile_by_hand(run_alg, tiny, tmp_path):
    areas, points, lines, polys = tiny
    result = run_alg("joinedup:areaprofile", {
        "AREAS": areas,
        "LAYERS": [_layer(points, "Päiväkodit (city)"), _layer(lines, "Streets"), _layer(polys, "Parks")],
        "VALUE_FIELDS": "Päiväkodit (city):cost", "POPULATION_FIELD": "population",
        "OUTPUT": str(tmp_path / "o.gpkg")})
    out = read_layer(result["OUTPUT"]).set_index("zone")
    assert list(out.columns) == [
        "population", "paivakodit_city_count", "paivakodit_city_cost_sum", "paivakodit_city_cost_mean",
        "paivakodit_city_per_1000", "streets_length_m", "streets_per_1000", "parks_share", "geometry"]
    assert out.loc["A", "paivakodit_city_count"] == 3 and out.loc["B", "paivakodit_city_count"] == 1
    assert out.loc["A", "paivakodit_city_cost_sum"] == 30.0
    assert out.loc["A", "paivakodit_city_cost_mean"] == 15.0  # the NULL cost is left out
    assert out.loc["A", "paivakodit_city_per_1000"] == pytest.approx(1.5)
    assert np.isnan(out.loc["B", "paivakodit_city_per_1000"]), "population 0: no rate"
    assert out.loc["A", "streets_length_m"] == pytest.approx(50.0)
    assert out.loc["B", "streets_length_m"] == pytest.approx(50.0)
    assert out.loc["A", "streets_per_1000"] == pytest.approx(25.0)
    assert out.loc["A", "parks_share"] == pytest.approx(0.75), "overlap counted once"
    assert out.loc["B", "parks_share"] == 0.0


def test_short_names_fit_shapefile_and_stay_unique(run_alg, tiny, tmp_path):
    areas, points, lines, polys = tiny
    result = run_alg("joinedup:areaprofile", {
        "AREAS": areas,
        "LAYERS": [_layer(points, "Kindergartens north"), _layer(points, "Kindergartens south"),
                   _layer(lines, "Population"), _layer(polys, "123 parks")],
        "VALUE_FIELDS": "cost", "POPULATION_FIELD": "population", "SHORT_NAMES": True,
        "OUTPUT": str(tmp_path / "o.shp")})
    out = read_layer(result["OUTPUT"])
    new = [c for c in out.columns if c not in ("zone", "population", "geometry")]
    assert all(len(c) <= 10 for c in new), new
    assert len({c.lower() for c in out.columns}) == len(out.columns)
    assert new == ["kinderg_n", "kinderg_su", "kinderg_mn", "kinderg_pk",
                   "kinder2_n", "kinder2_su", "kinder2_mn", "kinder2_pk",
                   "populat_m", "populat_pk", "l123_pa_sh"]


def test_names_never_clash_with_area_fields():
    from joinedup.engine.joins import profile_column_names, sanitise_name

    assert sanitise_name("Päiväkodit – Lastentarhat!") == "paivakodit_lastentarhat"
    assert sanitise_name("2024") == "l2024" and sanitise_name("???") == "layer"
    stems, used, _ = profile_column_names(["Schools", "schools", "SCHOOLS"], ["schools_count"])
    assert stems == ["schools", "schools2", "schools3"]
    assert "schools_count" in used


def test_profile_equals_qgis_on_real_data(run_alg, osm_gpkg, tmp_path):
    from qgis import processing as _  # noqa: F401

    polys = read_layer(layer_uri(osm_gpkg, "polys"))
    x0, y0, x1, y1 = polys.total_bounds
    grid = run_alg("native:creategrid", {
        "TYPE": 2, "EXTENT": f"{x0},{x1},{y0},{y1} [EPSG:3067]", "HSPACING": 250, "VSPACING": 250,
        "CRS": "EPSG:3067", "OUTPUT": str(tmp_path / "grid.gpkg")})["OUTPUT"]
    result = run_alg("joinedup:areaprofile", {
        "AREAS": grid,
        "LAYERS": [_layer(layer_uri(osm_gpkg, "points"), "amenities"),
                   _layer(layer_uri(osm_gpkg, "lines"), "streets"),
                   _layer(layer_uri(osm_gpkg, "polys"), "buildings")],
        "OUTPUT": str(tmp_path / "profile.gpkg")})
    out = read_layer(result["OUTPUT"]).sort_values("id").reset_index(drop=True)
    counted = read_layer(run_alg("native:countpointsinpolygon", {
        "POLYGONS": grid, "POINTS": layer_uri(osm_gpkg, "points"), "FIELD": "NUMPOINTS",
        "OUTPUT": str(tmp_path / "count.gpkg")})["OUTPUT"]).sort_values("id").reset_index(drop=True)
    assert out.amenities_count.sum() > 1000
    assert list(out.amenities_count) == list(counted.NUMPOINTS.astype(int))
    summed = read_layer(run_alg("native:sumlinelengths", {
        "POLYGONS": grid, "LINES": layer_uri(osm_gpkg, "lines"), "LEN_FIELD": "LENGTH",
        "COUNT_FIELD": "COUNT", "OUTPUT": str(tmp_path / "len.gpkg")})["OUTPUT"]) \
        .sort_values("id").reset_index(drop=True)
    np.testing.assert_allclose(out.streets_length_m, summed.LENGTH, rtol=1e-6, atol=1e-3)
    # covered share by an established library: geopandas overlay of the dissolved buildings
    cells = read_layer(grid).sort_values("id").reset_index(drop=True)
    merged = gpd.GeoDataFrame(geometry=[polys.geometry.union_all()], crs=polys.crs)
    pieces = gpd.overlay(cells[["id", "geometry"]], merged, how="intersection")
    covered = pieces.assign(a=pieces.area).groupby("id").a.sum()
    want = (cells.set_index("id").geometry.area.rdiv(1) * covered).reindex(cells.id).fillna(0)
    np.testing.assert_allclose(out.buildings_share, want.to_numpy(), rtol=1e-6, atol=1e-9)
    assert out.buildings_share.max() > 0.3


def test_bad_input_is_a_clear_error(run_alg, tiny, tmp_path):
    from qgis.core import QgsProcessingException

    areas, points, lines, polys = tiny
    with pytest.raises(QgsProcessingException, match="No layer has a field named 'nope'"):
        run_alg("joinedup:areaprofile", {"AREAS": areas, "LAYERS": [_layer(points, "p")],
                                         "VALUE_FIELDS": "nope", "OUTPUT": str(tmp_path / "o.gpkg")})
    with pytest.raises(QgsProcessingException, match="not among the layers"):
        run_alg("joinedup:areaprofile", {"AREAS": areas, "LAYERS": [_layer(points, "p")],
                                         "VALUE_FIELDS": "q:cost", "OUTPUT": str(tmp_path / "o.gpkg")})
    # a layer in degrees is reprojected and measured in metres
    wgs = write_layer(tmp_path / "wgs.gpkg", "lines", read_layer(lines).to_crs("EPSG:4326"))
    from qgis.core import QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    out = read_layer(run_alg("joinedup:areaprofile", {
        "AREAS": areas, "LAYERS": [_layer(wgs, "streets")], "OUTPUT": str(tmp_path / "w.gpkg")},
        feedback=feedback)["OUTPUT"])
    assert out.streets_length_m.tolist() == pytest.approx([50.0, 50.0], abs=1e-3)
    assert "reprojected from EPSG:4326" in feedback.textLog()
