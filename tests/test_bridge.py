"""The bridge (processing/bridge/) against real QGIS layers, through QGIS's own
``processing.run``: a test-only provider ``bridgetest`` holds one JoinedUp algorithm that reads
its INPUT with ``bridge.read_source`` and writes it back with ``bridge.write_output``, so
QGIS's parameter handling (layer ids, selections, subset strings, output definitions) is the
real one. QGIS itself is the oracle: what we read equals what QGIS iterates, what we write
QGIS reads back."""
from __future__ import annotations

import datetime
import os
import shutil

import pytest

CAPTURED: dict = {}


@pytest.fixture(scope="module")
def copy_alg(plugin):
    """``copy_alg(input, output) -> (results, gdf, report, feedback)``."""
    from bridge_copy import bridge_copy_provider  # benchmarks/, shared with bench_bridge.py
    from qgis import processing
    from qgis.core import QgsApplication, QgsProcessingContext, QgsProject

    provider = bridge_copy_provider("bridgetest", "Bridge test",
                                    on_read=lambda gdf, report: CAPTURED.update(gdf=gdf, report=report))
    QgsApplication.processingRegistry().addProvider(provider)

    def _run(value, output="TEMPORARY_OUTPUT", *, context=None):
        CAPTURED.clear()
        feedback = Feedback()
        if context is None:
            context = QgsProcessingContext()
            context.setProject(QgsProject.instance())
        results = processing.run("bridgetest:copy", {"INPUT": value, "OUTPUT": output},
                                 context=context, feedback=feedback)
        return results, CAPTURED["gdf"], CAPTURED["report"], feedback

    from qgis.core import QgsProcessingFeedback as _Base

    class Feedback(_Base):
        def __init__(self):
            super().__init__()
            self.warnings = []

        def pushWarning(self, text):  # noqa: N802
            self.warnings.append(text)
            super().pushWarning(text)

    yield _run
    QgsApplication.processingRegistry().removeProvider(provider)


def _memory_layer(uri, name, rows):
    """A memory layer from ``uri`` with (attributes, wkt or None) rows, added to the project."""
    from qgis.core import QgsFeature, QgsGeometry, QgsProject, QgsVectorLayer

    layer = QgsVectorLayer(uri, name, "memory")
    assert layer.isValid()
    features = []
    for attributes, wkt in rows:
        feature = QgsFeature(layer.fields())
        feature.setAttributes(attributes)
        if wkt:
            feature.setGeometry(QgsGeometry.fromWkt(wkt))
        features.append(feature)
    ok, _ = layer.dataProvider().addFeatures(features)
    assert ok, layer.dataProvider().lastError()
    QgsProject.instance().addMapLayer(layer)
    return layer


def _qgis_rows(layer):
    """(attributes, WKT) of every feature, as QGIS iterates them: the oracle."""
    out = []
    for feature in layer.getFeatures():
        geometry = feature.geometry()
        out.append(([None if v is None or (hasattr(v, "isNull") and v.isNull()) else v
                     for v in feature.attributes()],
                    None if geometry.isNull() else geometry.asWkt(3)))
    return out


def _open(result, context=None, name="out"):
    """The output as a QGIS layer: a file path, a layer object (processing.run hands back
    memory outputs as layers) or a layer id in the context or project."""
    from qgis.core import QgsMapLayer, QgsProcessingUtils, QgsProject, QgsVectorLayer

    if isinstance(result, QgsMapLayer):
        layer = result
    elif isinstance(result, str) and os.path.exists(result.split("|")[0]):
        layer = QgsVectorLayer(result, name, "ogr")
    else:
        layer = QgsProject.instance().mapLayer(result)
        if layer is None and context is not None:
            layer = QgsProcessingUtils.mapLayerFromString(result, context)
    assert layer is not None and layer.isValid(), result
    return layer


@pytest.fixture()
def typed_memory_layer():
    from qgis.PyQt.QtCore import QDate, QDateTime

    rows = [
        ([1, "Töölö", QDate(2025, 1, 2), QDateTime(datetime.datetime(2025, 1, 2, 10, 11, 12)), 1.5, True],
         "POINT (385000 6671000)"),
        ([None, None, None, None, None, None], "POINT (385010 6671010)"),
        ([3, "", QDate(2024, 12, 31), QDateTime(datetime.datetime(2024, 12, 31, 23, 59, 59)), -2.25, False],
         None),
    ]
    layer = _memory_layer(
        "Point?crs=EPSG:3067&field=n:integer&field=name:string&field=day:date&field=at:datetime"
        "&field=x:double&field=ok:boolean", "typed", rows)
    yield layer
    from qgis.core import QgsProject

    QgsProject.instance().removeMapLayer(layer.id())


@pytest.fixture(scope="module")
def sample_copy(tmp_path_factory):
    """A private copy of the sample GeoPackage (tests may write beside it)."""
    from conftest import SAMPLE

    folder = tmp_path_factory.mktemp("sample")
    target = folder / "sample_city.gpkg"
    shutil.copy(SAMPLE / "sample_city.gpkg", target)
    return target


def _gpkg_layer(path, table, name=None):
    from qgis.core import QgsProject, QgsVectorLayer

    layer = QgsVectorLayer(f"{path}|layername={table}", name or table, "ogr")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    return layer


# --- reading ------------------------------------------------------------------------------
def test_memory_layer_fields_types_and_nulls(copy_alg, typed_memory_layer):
    import pandas as pd

    _, gdf, report, _ = copy_alg(typed_memory_layer.id())
    assert list(gdf.columns[:-1]) == ["n", "name", "day", "at", "x", "ok"]
    assert report.features == 3 and report.null_geometries == 1
    assert list(report.fids) == [f.id() for f in typed_memory_layer.getFeatures()]
    assert str(gdf["n"].dtype) == "Int64"  # not float because of the null
    assert gdf["n"].tolist()[0] == 1 and pd.isna(gdf["n"].iloc[1]) and gdf["n"].iloc[2] == 3
    assert gdf["name"].iloc[0] == "Töölö" and pd.isna(gdf["name"].iloc[1]) and gdf["name"].iloc[2] == ""
    assert pd.api.types.is_datetime64_any_dtype(gdf["day"].dtype)
    assert gdf["day"].iloc[0] == pd.Timestamp("2025-01-02") and pd.isna(gdf["day"].iloc[1])
    assert gdf["at"].iloc[0] == pd.Timestamp("2025-01-02 10:11:12") and pd.isna(gdf["at"].iloc[1])
    assert gdf["x"].tolist()[0] == 1.5 and pd.isna(gdf["x"].iloc[1])
    assert str(gdf["ok"].dtype) == "boolean"
    assert gdf["ok"].iloc[0] is True or gdf["ok"].iloc[0] == True  # noqa: E712
    assert pd.isna(gdf["ok"].iloc[1]) and not gdf["ok"].iloc[2]
    assert gdf.crs.to_epsg() == 3067
    assert gdf.geometry.iloc[2] is None
    assert gdf.attrs["source_name"] == "typed" and gdf.attrs["geometry_kind"] == "point"


def test_gpkg_layer_equals_what_qgis_iterates(copy_alg, sample_copy):
    layer = _gpkg_layer(sample_copy, "inspections")
    _, gdf, report, _ = copy_alg(layer.id())
    expected = _qgis_rows(layer)
    assert report.features == len(expected) == layer.featureCount() == 600
    assert "fid" not in gdf.columns
    names = [f.name() for f in layer.fields() if f.name() != "fid"]
    assert list(gdf.columns[:-1]) == names
    assert list(report.fids) == [f.id() for f in layer.getFeatures()]
    for i in (0, 299, 599):
        attributes, wkt = expected[i]
        row = dict(zip([f.name() for f in layer.fields()], attributes))
        assert gdf["inspection_id"].iloc[i] == row["inspection_id"]
        assert gdf["outcome"].iloc[i] == row["outcome"]
        assert gdf["date"].iloc[i].to_pydatetime() == row["date"].toPyDateTime()
        assert gdf.geometry.iloc[i].equals_exact(_shapely(wkt), 1e-3)


def _shapely(wkt):
    import shapely

    return shapely.from_wkt(wkt)


def test_layer_crs_override_is_respected(copy_alg, sample_copy):
    from qgis.core import QgsCoordinateReferenceSystem

    layer = _gpkg_layer(sample_copy, "clinics", "clinics_wrong_crs")
    layer.setCrs(QgsCoordinateReferenceSystem("EPSG:3857"))  # the user says the file's CRS is wrong
    results, gdf, _, _ = copy_alg(layer.id())
    assert gdf.crs.to_epsg() == 3857
    assert _open(results["OUTPUT"]).crs().authid() == "EPSG:3857"


def test_selected_features_only(copy_alg, sample_copy):
    from qgis.core import QgsProcessingFeatureSourceDefinition

    layer = _gpkg_layer(sample_copy, "incidents", "incidents_selection")
    wanted = [3, 17, 250, 2500]
    layer.selectByIds(wanted)
    _, gdf, report, _ = copy_alg(QgsProcessingFeatureSourceDefinition(layer.id(), True))
    assert sorted(report.fids) == wanted
    assert sorted(gdf["incident_id"].tolist()) == wanted  # incident_id == fid in the sample
    _, gdf_all, _, _ = copy_alg(QgsProcessingFeatureSourceDefinition(layer.id(), False))
    assert len(gdf_all) == 2500


def test_subset_string_is_respected(copy_alg, sample_copy):
    layer = _gpkg_layer(sample_copy, "incidents", "severe_incidents")
    layer.setSubsetString('"severity" >= 4')
    _, gdf, report, _ = copy_alg(layer.id())
    assert report.features == layer.featureCount() > 0
    assert (gdf["severity"] >= 4).all()
    assert sorted(report.fids) == sorted(f.id() for f in layer.getFeatures())


def test_multipart_and_z_are_kept(copy_alg, tmp_path):
    import shapely

    multi = _memory_layer("MultiPolygon?crs=EPSG:3067&field=id:integer", "multi", [
        ([1], "MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0)), ((20 0, 30 0, 30 10, 20 0)))"),
        ([2], "MULTIPOLYGON (((40 0, 50 0, 50 10, 40 0)))"),
    ])
    results, gdf, _, _ = copy_alg(multi.id(), str(tmp_path / "multi.gpkg"))
    assert shapely.get_type_id(gdf.geometry.values).tolist() == [6, 6]
    assert shapely.get_num_geometries(gdf.geometry.values).tolist() == [2, 1]
    out = _open(results["OUTPUT"])
    assert [f.geometry().constGet().numGeometries() for f in out.getFeatures()] == [2, 1]

    z = _memory_layer("PointZ?crs=EPSG:3067&field=id:integer", "z", [([1], "POINT Z (1 2 3)")])
    results, gdf, _, _ = copy_alg(z.id(), str(tmp_path / "z.gpkg"))
    assert shapely.has_z(gdf.geometry.values).all()
    assert gdf.geometry.iloc[0].z == 3
    feature = next(_open(results["OUTPUT"]).getFeatures())
    assert feature.geometry().constGet().z() == 3


def test_m_values_are_dropped(copy_alg, tmp_path):
    """Documented: Z is kept, M is dropped (QGIS's export and GDAL's WKB reader drop it)."""
    import shapely

    m = _memory_layer("PointZM?crs=EPSG:3067&field=id:integer", "zm", [([1], "POINT ZM (1 2 3 4)")])
    results, gdf, _, _ = copy_alg(m.id(), str(tmp_path / "zm.gpkg"))
    # WKT, not shapely.has_m: has_m needs GEOS 3.12, and shapely here uses QGIS's GEOS 3.11.
    assert [shapely.to_wkt(g) for g in gdf.geometry.values] == ["POINT Z (1 2 3)"]
    geometry = next(_open(results["OUTPUT"]).getFeatures()).geometry().constGet()
    assert geometry.z() == 3 and not geometry.isMeasure()


def test_real_osm_multipolygons_with_broken_rings(copy_alg, real_data, tmp_path):
    """The real extract: strict WKB parsing rejects 11 degenerate rings; the bridge reads the
    other 1,084 and reports the 11, instead of failing on the whole layer."""
    from qgis.core import QgsProject, QgsVectorLayer

    layer = QgsVectorLayer(f"{real_data / 'helsinki.osm.pbf'}|layername=multipolygons", "osm_polys", "ogr")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    results, gdf, report, feedback = copy_alg(layer.id(), str(tmp_path / "polys.gpkg"))
    assert report.features == sum(1 for _ in layer.getFeatures()) == len(gdf) == 1095
    assert report.unreadable_geometries == 11 and report.repaired_unreadable == 0
    assert report.null_geometries == 0
    # rings of fewer than 4 points, counted by QGIS: polygons made only of them have no
    # area and read as null; polygons with some keep their proper rings (GEOS refuses
    # centroids and most work on such a ring: issue #17)
    only_short = some_short = 0
    for feature in layer.getFeatures():
        rings = [ring for part in feature.geometry().constParts()
                 for ring in [part.exteriorRing()] + [part.interiorRing(k) for k in range(part.numInteriorRings())]]
        short = [ring.numPoints() < 4 for ring in rings]
        if rings and all(short):
            only_short += 1
        elif any(short):
            some_short += 1
    assert only_short == 11 + report.degenerate_polygons and report.degenerate_polygons > 0
    assert report.degenerate_rings_dropped == some_short
    nulled = 11 + report.degenerate_polygons
    assert gdf.geometry.isna().sum() == nulled
    assert any("11 unreadable geometries" in w for w in feedback.warnings)
    assert gdf.crs.to_epsg() == 4326
    assert sorted(report.fids) == sorted(f.id() for f in layer.getFeatures())
    out = _open(results["OUTPUT"])
    assert out.featureCount() == 1095  # every input feature written, the nulled without geometry
    assert sum(1 for f in out.getFeatures() if not f.hasGeometry()) == nulled


def test_real_osm_lines_through_the_osm_driver(copy_alg, real_data):
    from qgis.core import QgsProject, QgsVectorLayer

    layer = QgsVectorLayer(f"{real_data / 'helsinki.osm.pbf'}|layername=lines", "osm_lines", "ogr")
    QgsProject.instance().addMapLayer(layer)
    _, gdf, report, _ = copy_alg(layer.id(), "memory:")
    assert report.features == sum(1 for _ in layer.getFeatures()) == 3818
    assert gdf.attrs["geometry_kind"] == "line"
    assert int(gdf["highway"].notna().sum()) == sum(1 for f in layer.getFeatures() if f["highway"])


def test_empty_layer(copy_alg, tmp_path):
    empty = _memory_layer("Polygon?crs=EPSG:3067&field=id:integer", "empty", [])
    results, gdf, report, _ = copy_alg(empty.id(), str(tmp_path / "empty.gpkg"))
    assert len(gdf) == 0 and report.features == 0
    assert _open(results["OUTPUT"]).featureCount() == 0


def test_missing_source_is_a_clear_error(copy_alg):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as err:
        copy_alg("/no/such/file.gpkg")
    assert "Traceback" not in str(err.value)


def _both_readers(monkeypatch, path, layer):
    """The same layer read by GDAL's columnar reader (default for GeoPackage) and by pyogrio's
    general reader (forced with JOINEDUP_READER=pyogrio)."""
    from joinedup.processing import bridge

    a = bridge.read_file(path, layer)
    monkeypatch.setenv("JOINEDUP_READER", "pyogrio")
    b = bridge.read_file(path, layer)
    monkeypatch.delenv("JOINEDUP_READER")
    return a, b


@pytest.mark.parametrize("layer", ["roads", "incidents", "inspections", "zones", "buildings"])
def test_columnar_and_general_reads_agree(plugin, sample_copy, layer, monkeypatch):
    """Both read paths give the same frame (types, nulls, values, geometries, fids)."""
    import pandas as pd
    import shapely

    (a, ra), (b, rb) = _both_readers(monkeypatch, str(sample_copy), layer)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"),
                                  check_dtype=False)
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, 0).all()
    assert (ra.fids == rb.fids).all() and ra.features == rb.features


def test_columnar_and_general_reads_agree_on_nulls(copy_alg, typed_memory_layer, monkeypatch):
    import pandas as pd

    _, gdf, report, _ = copy_alg(typed_memory_layer.id())  # exported by QGIS to a GeoPackage
    (a, _), (b, _) = _both_readers(monkeypatch, report.path, None)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert str(a["n"].dtype) == "Int64" and str(a["ok"].dtype) == "boolean"


def test_read_layer_for_multilayer_parameters(plugin, sample_copy):
    """``read_layer`` (for the layers of a multiple-layers parameter) reads like read_source."""
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    from joinedup.processing import bridge

    layer = _gpkg_layer(sample_copy, "amenities", "amenities_multi")
    layer.selectByIds([10, 20, 30])
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    gdf, report = bridge.read_layer(layer, context, QgsProcessingFeedback(), selected_only=True)
    assert sorted(report.fids) == [10, 20, 30] and len(gdf) == 3
    gdf, report = bridge.read_layer(layer, context, QgsProcessingFeedback())
    assert len(gdf) == sum(1 for _ in layer.getFeatures()) == 1006
    assert gdf.attrs["geometry_kind"] == "point" and gdf.crs.to_epsg() == 3067


def test_shapefile_notes_reach_the_log(copy_alg, sample_copy, tmp_path):
    layer = _gpkg_layer(sample_copy, "clinics", "clinics_shp")
    results, _, _, feedback = copy_alg(layer.id(), str(tmp_path / "clinics.shp"))
    assert any("facility_i" in w for w in feedback.warnings)  # 'facility_id' shortened to 10
    assert _open(results["OUTPUT"]).featureCount() == 12


# --- writing ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["gpkg", "gpkg_layer", "shp", "temporary", "memory"])
def test_outputs_roundtrip_through_qgis(copy_alg, typed_memory_layer, tmp_path, kind):
    from qgis.core import QgsProcessingContext, QgsProcessingOutputLayerDefinition, QgsProject

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    existing = tmp_path / "existing.gpkg"
    if kind == "gpkg_layer":  # a new layer in a GeoPackage that already holds another one
        copy_alg(typed_memory_layer.id(), str(existing))
    output = {"gpkg": str(tmp_path / "out.gpkg"),
              "gpkg_layer": f"ogr:dbname='{existing}' table=\"copy\" (geom)",
              "shp": str(tmp_path / "out.shp"),
              "temporary": QgsProcessingOutputLayerDefinition("TEMPORARY_OUTPUT", QgsProject.instance()),
              "memory": "memory:"}[kind]
    results, _, _, _ = copy_alg(typed_memory_layer.id(), output, context=context)
    out = _open(results["OUTPUT"], context)
    assert out.featureCount() == 3
    names = [f.name() for f in out.fields() if f.name() not in ("fid",)]
    expected_names = ["n", "name", "day", "at", "x", "ok"]
    assert names == expected_names
    got = sorted(_qgis_rows(out), key=lambda r: str(r[1]))
    want = sorted(_qgis_rows(typed_memory_layer), key=lambda r: str(r[1]))
    offset = 1 if out.fields().indexOf("fid") == 0 else 0
    for (g_attrs, g_wkt), (w_attrs, w_wkt) in zip(got, want):
        assert g_wkt == w_wkt
        g = dict(zip(expected_names, g_attrs[offset:]))
        w = dict(zip(expected_names, w_attrs))
        assert g["n"] == w["n"] and g["x"] == w["x"]
        assert (g["name"] or None) == (w["name"] or None)  # shapefiles cannot tell '' from NULL
        if kind != "shp":  # a shapefile has no datetime or boolean type: written as text
            assert _day(g["day"]) == _day(w["day"])
            assert _stamp(g["at"]) == _stamp(w["at"])
            assert (None if g["ok"] is None else bool(g["ok"])) == w["ok"]
    if kind == "gpkg_layer":  # the other layer in the file is still there
        assert _open(f"{existing}|layername=existing").featureCount() == 3
    if kind == "temporary":  # loaded on completion, as the toolbox does
        assert results["OUTPUT"] in context.layersToLoadOnCompletion()


def _day(value):
    if value is None:
        return None
    if hasattr(value, "toPyDate"):
        return value.toPyDate()
    if hasattr(value, "toPyDateTime"):
        return value.toPyDateTime().date()
    return value


def _stamp(value):
    if value is None:
        return None
    return value.toPyDateTime().replace(microsecond=0) if hasattr(value, "toPyDateTime") else value


def test_output_never_overwrites_an_input(copy_alg, sample_copy, tmp_path):
    from qgis.core import QgsProcessingException

    layer = _gpkg_layer(sample_copy, "schools", "schools_in")
    before = sample_copy.read_bytes()
    with pytest.raises(QgsProcessingException) as err:
        copy_alg(layer.id(), str(sample_copy))
    assert "never overwrites an input" in str(err.value)
    with pytest.raises(QgsProcessingException) as err:
        copy_alg(layer.id(), f"ogr:dbname='{sample_copy}' table=\"schools\" (geom)")
    assert "never overwrites an input" in str(err.value)
    assert sample_copy.read_bytes() == before
    shp = tmp_path / "in.shp"
    copy_alg(layer.id(), str(shp))
    from qgis.core import QgsProject, QgsVectorLayer

    shp_layer = QgsVectorLayer(str(shp), "shp_in", "ogr")
    QgsProject.instance().addMapLayer(shp_layer)
    with pytest.raises(QgsProcessingException) as err:
        copy_alg(shp_layer.id(), str(shp))
    assert "never overwrites an input" in str(err.value)
    # a different layer in the input's GeoPackage is allowed
    results, _, _, _ = copy_alg(layer.id(), f"ogr:dbname='{sample_copy}' table=\"schools_copy\" (geom)")
    assert _open(results["OUTPUT"]).featureCount() == 10


def test_unwritable_folder_is_a_clear_error(copy_alg, typed_memory_layer):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as err:
        copy_alg(typed_memory_layer.id(), "/no/such/folder/out.gpkg")
    assert "does not exist" in str(err.value) or "Could not" in str(err.value)


def test_one_long_text_value_does_not_pad_the_column(plugin, tmp_path):
    """Issue #17: text read as fixed-width bytes padded every value to the longest; one 50 kB
    note in 20,000 rows asked for 1 GB. Read now in well under a tenth of that, same values
    as pyogrio's own reader."""
    import tracemalloc

    import geopandas as gpd
    import numpy as np
    import pyogrio

    from joinedup.processing.bridge import read_file

    n = 20000
    notes = ["ok"] * (n - 1) + ["é" * 25000]  # 50 kB of UTF-8
    frame = gpd.GeoDataFrame({"note": notes, "n": np.arange(n)},
                             geometry=gpd.points_from_xy(np.arange(n), np.arange(n)), crs=3067)
    path = tmp_path / "notes.gpkg"
    frame.to_file(path)
    tracemalloc.start()
    try:
        gdf, _ = read_file(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6, f"{peak / 1e6:.0f} MB"
    assert gdf["note"].tolist() == pyogrio.read_dataframe(path)["note"].tolist()


def test_curves_keep_z_and_drop_m(plugin, tmp_path):
    """Curved geometries are segmentized with their Z (as documented: Z kept, M dropped);
    every vertex of the arc lies on the circle (radius 5 around (5, 0), by hand)."""
    import numpy as np
    import shapely
    from osgeo import ogr, osr

    from joinedup.processing.bridge import read_file

    ogr.UseExceptions()
    path = tmp_path / "arcs.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3067)
    layer = ds.CreateLayer("arcs", srs, ogr.wkbCompoundCurveZM)
    for wkt in ("COMPOUNDCURVE ZM (CIRCULARSTRING ZM (0 0 7 1, 5 5 7 2, 10 0 7 3))",
                "CIRCULARSTRING ZM (0 0 2 1, 5 -5 2 2, 10 0 2 3)"):
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        layer.CreateFeature(feature)
    ds = None
    gdf, report = read_file(str(path))
    assert report.curves_segmentized == 2 and report.unreadable_geometries == 0
    coords = shapely.get_coordinates(gdf.geometry.values, include_z=True)
    if shapely.geos_version >= (3, 12, 0):  # older GEOS never holds M
        assert not shapely.has_m(gdf.geometry.values).any()
    np.testing.assert_allclose(np.hypot(coords[:, 0] - 5, coords[:, 1]), 5, atol=1e-9)
    assert set(coords[:, 2]) == {7.0, 2.0}



def test_gdal_exception_state_is_the_same_after_a_run(copy_alg, sample_copy):
    """After a run through QGIS (a GeoPackage read by the columnar path, written back), OGR's,
    GDAL's and OSR's exception settings are what they were before."""
    from osgeo import gdal, ogr, osr

    before = (ogr.GetUseExceptions(), gdal.GetUseExceptions(), osr.GetUseExceptions())
    _, gdf, report, _ = copy_alg(f"{sample_copy}|layername=incidents")
    assert report.features == len(gdf) > 0
    assert (ogr.GetUseExceptions(), gdal.GetUseExceptions(), osr.GetUseExceptions()) == before


GDAL_STATE_PROBE = """
import sys
sys.path.insert(0, {plugin_parent!r})
from osgeo import ogr
from joinedup.processing.bridge import ogr_exceptions, read_file
assert not ogr.GetUseExceptions()      # GDAL's default in a fresh Python
gdf, report = read_file({path!r}, "incidents")
assert report.features == len(gdf) > 0
assert not ogr.GetUseExceptions(), "the read left OGR raising exceptions"
try:
    with ogr_exceptions():
        assert ogr.GetUseExceptions()
        ogr.CreateGeometryFromWkt("POINT (1")   # GDAL's own error, raised as an exception
    raise SystemExit("no exception inside ogr_exceptions()")
except RuntimeError:
    pass
assert not ogr.GetUseExceptions(), "an error inside the block left OGR raising exceptions"
assert ogr.CreateGeometryFromWkt("POINT (1") is None
print("GDAL STATE OK")
"""


def test_bridge_reads_leave_ogr_exceptions_off_when_they_were_off(sample_copy, tmp_path):
    """In a fresh Python, where OGR does not raise (GDAL's default, which other plugins may rely
    on), the bridge's columnar read turns exceptions on only for itself; GDAL's error inside
    ``ogr_exceptions()`` raises there, and the block still leaves the setting as it was."""
    import subprocess
    import sys

    from conftest import plugin_parent

    code = GDAL_STATE_PROBE.format(plugin_parent=str(plugin_parent()), path=str(sample_copy))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)  # away from the checkout: its processing/ shadows QGIS's
    assert "GDAL STATE OK" in done.stdout, done.stdout[-2000:] + done.stderr[-3000:]
