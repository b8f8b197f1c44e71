"""The shared input path (issue #17): curved geometries segmentized, rings of fewer than 4
points removed and counted, numbers stored as text read one way in every algorithm. Each
case is checked against a value computed independently (by hand, or the same algorithm on
the clean input the bad one stands for)."""
import math
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE

CITY = Path(tempfile.mkdtemp(prefix="joinedup_reliability_")) / "sample_city.gpkg"
shutil.copyfile(SAMPLE / "sample_city.gpkg", CITY)


def city(name):
    return f"{CITY}|layername={name}"


def _write_wkt(path, layer, wkts, fields, geometry_type, epsg=3067):
    """A GeoPackage layer written by OGR from WKT, so geometries shapely cannot hold (curves,
    rings of 2-3 points) reach the file exactly as a council's export would have them."""
    from osgeo import ogr, osr

    ogr.UseExceptions()
    exists = Path(path).exists()
    ds = ogr.Open(str(path), 1) if exists else ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    lyr = ds.CreateLayer(layer, srs, geometry_type)
    for name, values in fields.items():
        kind = ogr.OFTInteger64 if isinstance(values[0], (int, np.integer)) else \
            ogr.OFTReal if isinstance(values[0], float) else ogr.OFTString
        lyr.CreateField(ogr.FieldDefn(name, kind))
    gdal_quiet = ogr.GetDriverByName("GPKG")  # noqa: F841 (keeps the driver loaded)
    for i, wkt in enumerate(wkts):
        feature = ogr.Feature(lyr.GetLayerDefn())
        for name, values in fields.items():
            value = values[i]
            feature.SetField(name, value.item() if isinstance(value, np.generic) else value)
        if wkt is not None:
            feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        lyr.CreateFeature(feature)
    ds = None
    return f"{path}|layername={layer}"


# --- numbers stored as text ----------------------------------------------------------------

def test_text_numbers_unambiguous_values_are_read():
    from joinedup.engine.values import parse_numbers

    got = parse_numbers(pd.Series([" 7 ", "1e3", "\u22125", "", None, "+2.5", "\u00a04\u00a0", ".5"]),
                        field="pop", layer="zones")
    np.testing.assert_array_equal(got, [7, 1000, -5, np.nan, np.nan, 2.5, 4, 0.5])
    # numeric columns pass through untouched, nullable integers as floats with NaN
    np.testing.assert_array_equal(parse_numbers(pd.array([1, None, 3], dtype="Int64"), field="f", layer="l"),
                                  [1, np.nan, 3])


def test_text_numbers_ambiguous_values_are_counted_and_named():
    from joinedup.engine.errors import InputError
    from joinedup.engine.values import parse_numbers

    with pytest.raises(InputError) as caught:
        parse_numbers(pd.Series(["3", "1,5", "n/a", "2,000", "12 m"]), field="unemp", layer="areas")
    message = str(caught.value)
    assert "areas" in message and "'unemp'" in message
    assert "4 of its values" in message and "2 with a comma" in message and "2 that are not numbers" in message
    assert "feature 2" in message
    assert "2,000" not in message and "12 m" not in message  # values are never quoted


def _areas(tmp_path, values_as_text):
    """Five areas whose indicators are numbers, or the same numbers written as text."""
    rows = {"name": list("ABCDE"), "unemp": [4.0, 7.5, -1.0, 1000.0, 2.0], "income": [30.0, 22.0, 41.0, 18.0, 25.0]}
    if values_as_text:
        rows["unemp"] = [" 4 ", "7.5", "\u22121", "1e3", "2"]
    frame = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(range(5), range(5)), crs=3067)
    path = tmp_path / ("text.gpkg" if values_as_text else "numbers.gpkg")
    frame.to_file(path)
    return str(path)


def test_priorityindex_reads_text_numbers_like_numbers(run_alg, tmp_path):
    params = {"FIELDS": ["unemp", "income"], "RUNS": 0}
    want = gpd.read_file(run_alg("joinedup:priorityindex", {
        "INPUT": _areas(tmp_path, False), **params, "OUTPUT": str(tmp_path / "a.gpkg")})["OUTPUT"])
    got = gpd.read_file(run_alg("joinedup:priorityindex", {
        "INPUT": _areas(tmp_path, True), **params, "OUTPUT": str(tmp_path / "b.gpkg")})["OUTPUT"])
    np.testing.assert_allclose(got["pi_score"], want["pi_score"])
    # min-max by hand: unemp (4, 7.5, -1, 1000, 2) and income, equal weights
    u = np.array([4, 7.5, -1, 1000, 2.0])
    i = np.array([30, 22, 41, 18, 25.0])
    by_hand = ((u - u.min()) / np.ptp(u) + (i - i.min()) / np.ptp(i)) / 2
    np.testing.assert_allclose(got["pi_score"], by_hand)


@pytest.mark.parametrize("algorithm,params", [
    ("joinedup:priorityindex", {"FIELDS": ["count"], "RUNS": 0}),
    ("joinedup:disclosurecontrol", {"FIELDS": ["count"], "THRESHOLD": 3}),
    ("joinedup:density", {"WEIGHT_FIELD": "count", "RADIUS": 50, "PIXEL_SIZE": 10}),
    ("joinedup:hotspots", {"FIELD": "count", "WEIGHTS": 2, "NEIGHBOURS": 2}),
])
def test_decimal_commas_give_one_clear_message(run_alg, tmp_path, algorithm, params):
    from qgis.core import QgsProcessingException

    frame = gpd.GeoDataFrame({"count": ["1,5", "2", "n/a", "4", "5", "6"]},
                             geometry=gpd.points_from_xy([0, 10, 20, 30, 40, 50], [0, 5, 0, 5, 0, 5]),
                             crs=3067)
    frame.to_file(tmp_path / "counts.gpkg")
    out = tmp_path / ("out.tif" if algorithm.endswith("density") else "out.gpkg")
    with pytest.raises(QgsProcessingException) as caught:
        run_alg(algorithm, {"INPUT": str(tmp_path / "counts.gpkg"), **params, "OUTPUT": str(out)})
    message = str(caught.value)
    assert "'count'" in message and "2 of its values" in message and "decimal comma" in message
    assert "could not convert" not in message and not out.exists()


# --- curves --------------------------------------------------------------------------------

def test_curved_streets_build_the_same_network_as_straight_ones(run_alg, tmp_path):
    roads = gpd.read_file(CITY, layer="roads")
    # each street stored as a CompoundCurve holding its line, as some national datasets do,
    # plus one half circle of radius 100 m: π·100 m long (1° segments: 0.0013 % shorter)
    wkts = [f"COMPOUNDCURVE(({', '.join(f'{x} {y}' for x, y in g.coords)}))" for g in roads.geometry]
    x0, y0 = roads.total_bounds[:2] - 1000
    wkts.append(f"CIRCULARSTRING({x0} {y0}, {x0 + 100} {y0 + 100}, {x0 + 200} {y0})")
    curved = _write_wkt(tmp_path / "curved.gpkg", "streets", wkts, {"n": list(range(len(wkts)))},
                        __import__("osgeo.ogr").ogr.wkbCompoundCurve)
    straight = run_alg("joinedup:checknetwork", {"INPUT": city("roads"), "OUTPUT": str(tmp_path / "s.gpkg"),
                                                 "PROBLEMS": "TEMPORARY_OUTPUT"})
    got = run_alg("joinedup:checknetwork", {"INPUT": curved, "OUTPUT": str(tmp_path / "c.gpkg"),
                                            "PROBLEMS": "TEMPORARY_OUTPUT"})
    s_edges, c_edges = gpd.read_file(straight["OUTPUT"]), gpd.read_file(got["OUTPUT"])
    arc = c_edges["length_m"].sum() - s_edges["length_m"].sum()
    assert arc == pytest.approx(math.pi * 100, rel=2e-5)
    assert got["COMPONENTS"] == straight["COMPONENTS"] + 1  # the arc stands alone


# --- rings of fewer than 4 points (OpenStreetMap multipolygons cut at the extract's edge) ---

def test_broken_rings_in_demand_are_removed_and_counted(run_alg, tmp_path):
    from osgeo import ogr

    zones = gpd.read_file(CITY, layer="zones").iloc[:20]
    wkts = []
    for i, g in enumerate(zones.geometry):
        x, y = g.exterior.coords[0]
        if i < 5:  # a 3-point ring beside the zone: no area
            wkts.append(f"MULTIPOLYGON((({', '.join(f'{a} {b}' for a, b in g.exterior.coords)})),"
                        f"(({x} {y}, {x + 5} {y + 5}, {x} {y})))")
        elif i == 5:  # nothing but a 3-point ring
            wkts.append(f"MULTIPOLYGON((({x} {y}, {x + 5} {y}, {x} {y})))")
        elif i == 6:  # a 2-point "ring": GEOS cannot even read it
            wkts.append(f"MULTIPOLYGON((({x} {y}, {x} {y})))")
        else:
            wkts.append(g.wkt)
    broken = _write_wkt(tmp_path / "broken.gpkg", "zones", wkts,
                        {"zone_id": zones["zone_id"].tolist(), "population": zones["population"].tolist()},
                        ogr.wkbMultiPolygon)
    clean = zones.copy()
    clean.loc[clean.index[[5, 6]], "geometry"] = None
    clean.to_file(tmp_path / "clean.gpkg")
    params = {"NETWORK": city("roads"), "DEMAND_FIELD": "population", "FACILITIES": city("clinics"),
              "THRESHOLD": 800, "UNCOVERED": "TEMPORARY_OUTPUT", "SUMMARY": "TEMPORARY_OUTPUT"}
    from qgis.core import QgsProcessingFeedback

    class Log(QgsProcessingFeedback):
        lines = []

        def pushWarning(self, text):  # noqa: N802
            self.lines.append(text)
            super().pushWarning(text)

    log = Log()
    got = gpd.read_file(run_alg("joinedup:coveragegaps", {**params, "DEMAND": broken,
                                                          "OUTPUT": str(tmp_path / "b.gpkg")},
                                feedback=log)["OUTPUT"])
    want = gpd.read_file(run_alg("joinedup:coveragegaps", {**params, "DEMAND": str(tmp_path / "clean.gpkg"),
                                                           "OUTPUT": str(tmp_path / "c.gpkg")})["OUTPUT"])
    assert len(got) == 20
    np.testing.assert_allclose(got["uncovered_demand"], want["uncovered_demand"])
    assert got["status"][5] == got["status"][6] == "no geometry"
    text = " ".join(log.lines)
    assert "5 polygons had rings of fewer than 4 points" in text
    assert "1 polygons made only of rings of fewer than 4 points" in text
    assert "1 unreadable geometries" in text


def test_real_osm_multipolygons_as_demand_through_qgis_process(plugin, tmp_path):
    """The reported case: OpenStreetMap multipolygons (with rings of 2-3 points) as the
    DEMAND of accessibility, headless. Every polygon is in the output; the ones with no area
    left are 'no geometry', as many as the log reports."""
    from qgis_process_helpers import qgis_process_run

    shutil.copyfile(SAMPLE / "helsinki.osm.pbf", tmp_path / "helsinki.osm.pbf")
    osm = tmp_path / "helsinki.osm.pbf"
    answer = qgis_process_run("joinedup:accessibility", {
        "NETWORK": f"{osm}|layername=lines", "LINE_FILTER": '"highway" IS NOT NULL',
        "DEMAND": f"{osm}|layername=multipolygons", "FACILITIES": city("clinics"),
        "THRESHOLDS": "1000", "OUTPUT": str(tmp_path / "acc.gpkg")})
    got = gpd.read_file(tmp_path / "acc.gpkg")
    from qgis.core import QgsVectorLayer

    osm_layer = QgsVectorLayer(f"{osm}|layername=multipolygons", "m", "ogr")
    assert len(got) == sum(1 for _ in osm_layer.getFeatures()) == 1095  # QGIS's own count
    log = answer["stdout"] + answer["stderr"]
    assert "Traceback" not in log and "GEOSException" not in log
    nulled = int((got["status"] == "no geometry").sum())
    assert nulled > 0 and f"{nulled - 11} polygons made only of rings of fewer than 4 points" in log
    assert (got.loc[got["status"] == "ok", "nearest_cost"] > 0).all()


def test_csv_opened_as_a_plain_table_with_decimal_commas(run_alg, tmp_path):
    """A council's CSV (no geometry) with a decimal comma: one clear message; the same CSV
    with unambiguous text numbers ranks exactly like the numbers themselves."""
    from qgis.core import QgsProcessingException, QgsVectorLayer

    bad = tmp_path / "deprivation.csv"
    bad.write_text("area;score;income\nA;1,5;20\nB;2,5;30\nC;3;25\n", encoding="utf-8")
    layer = QgsVectorLayer(f"file://{bad}?type=csv&delimiter=;&detectTypes=yes&geomType=none", "deprivation",
                           "delimitedtext")
    assert layer.isValid() and layer.fields().field("score").typeName().lower() == "text"
    with pytest.raises(QgsProcessingException) as caught:
        run_alg("joinedup:priorityindex", {"INPUT": layer, "FIELDS": ["score", "income"], "RUNS": 0,
                                           "OUTPUT": str(tmp_path / "pi.csv")})
    message = str(caught.value)
    assert "deprivation" in message and "'score'" in message and "2 with a comma" in message
    good = tmp_path / "ok.csv"
    good.write_text("area;score;income\nA; 1.5 ;20\nB;2.5e0;30\nC;\u22123;25\n", encoding="utf-8")
    layer = QgsVectorLayer(f"file://{good}?type=csv&delimiter=;&detectTypes=no&geomType=none", "ok", "delimitedtext")
    got = pd.read_csv(run_alg("joinedup:priorityindex", {"INPUT": layer, "FIELDS": ["score", "income"], "RUNS": 0,
                                                         "OUTPUT": str(tmp_path / "ok_pi.csv")})["OUTPUT"])
    s, i = np.array([1.5, 2.5, -3]), np.array([20, 30, 25.0])
    np.testing.assert_allclose(got["pi_score"], ((s - s.min()) / np.ptp(s) + (i - i.min()) / np.ptp(i)) / 2)


def test_areaprofile_population_as_text_is_read_not_dropped(run_alg, tmp_path):
    """A population stored as text: unambiguous values give the same rates as numbers (by
    hand: count x 1000 / population); a decimal comma stops with the field named instead of
    silently giving no rate."""
    from qgis.core import QgsProcessingException

    zones = gpd.read_file(CITY, layer="zones").iloc[:12]
    incidents = gpd.read_file(CITY, layer="incidents")
    text = zones.copy()
    text["population"] = [f" {v} " if k % 2 else f"{v}e0".replace("e0", "") for k, v in enumerate(zones["population"])]
    text.loc[text.index[0], "population"] = f"{zones['population'].iloc[0] / 1000:g}e3"
    text.to_file(tmp_path / "text.gpkg")
    got = gpd.read_file(run_alg("joinedup:areaprofile", {
        "AREAS": str(tmp_path / "text.gpkg"), "LAYERS": [city("incidents")], "POPULATION_FIELD": "population",
        "OUTPUT": str(tmp_path / "p.gpkg")})["OUTPUT"])
    counts = gpd.sjoin(incidents, zones[["zone_id", "geometry"]], predicate="intersects").groupby("zone_id").size()
    count = zones["zone_id"].map(counts).fillna(0).to_numpy()
    rate = [c for c in got.columns if c.endswith("_per_1000")][0]
    np.testing.assert_allclose(got[rate], count * 1000 / zones["population"].to_numpy())
    text.loc[text.index[3], "population"] = "1,5"
    text.to_file(tmp_path / "comma.gpkg")
    with pytest.raises(QgsProcessingException, match="'population'.*1 with a comma"):
        run_alg("joinedup:areaprofile", {"AREAS": str(tmp_path / "comma.gpkg"), "LAYERS": [city("incidents")],
                                         "POPULATION_FIELD": "population", "OUTPUT": str(tmp_path / "q.gpkg")})
