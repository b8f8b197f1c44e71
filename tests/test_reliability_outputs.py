"""The output guard (issue #17): the real file behind any QGIS source is never written over,
for every format and every sidecar, and a file output is replaced atomically (a failed write
leaves the old file as it was). Each input file's SHA-256 is the same before and after."""
import hashlib
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import SAMPLE


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def council_tax(tmp_path):
    path = tmp_path / "council_tax.csv"
    shutil.copyfile(SAMPLE / "council_tax.csv", path)
    return path


def _layer(uri, name, provider):
    from qgis.core import QgsProject, QgsVectorLayer

    layer = QgsVectorLayer(uri, name, provider)
    assert layer.isValid(), uri
    QgsProject.instance().addMapLayer(layer)
    return layer


def _count_field(layer):
    numeric = ("integer", "longlong", "int8", "real", "double")
    return [f.name() for f in layer.fields() if f.typeName().lower() in numeric][0]


def test_delimited_text_input_is_never_replaced(run_alg, council_tax):
    from qgis.core import QgsProcessingException

    layer = _layer(f"file://{council_tax}?type=csv&detectTypes=yes&geomType=none", "council_tax", "delimitedtext")
    before = sha(council_tax)
    for output in (str(council_tax), str(council_tax.with_suffix(".csvt"))):
        with pytest.raises(QgsProcessingException, match="never overwrites an input"):
            run_alg("joinedup:disclosurecontrol", {"INPUT": layer.id(), "FIELDS": [_count_field(layer)],
                                                   "THRESHOLD": 3, "OUTPUT": output})
    assert sha(council_tax) == before


def test_spatialite_and_virtual_inputs_are_never_replaced(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    zones = gpd.read_file(SAMPLE / "sample_city.gpkg", layer="zones").iloc[:30]
    db = tmp_path / "zones.sqlite"
    zones.to_file(db, driver="SQLite", layer="zones", engine="pyogrio", spatialite=True)
    before = sha(db)
    lite = _layer(f"dbname='{db}' table=\"zones\" (geometry)", "zones_lite", "spatialite")
    with pytest.raises(QgsProcessingException, match="never overwrites an input"):
        run_alg("joinedup:priorityindex", {"INPUT": lite.id(), "FIELDS": ["population"], "RUNS": 0,
                                           "OUTPUT": str(db)})
    virtual = _layer(f"?layer=ogr:{db}:zones:UTF-8&query=select%20*%20from%20zones", "zones_virtual", "virtual")
    with pytest.raises(QgsProcessingException, match="never overwrites an input"):
        run_alg("joinedup:priorityindex", {"INPUT": virtual.id(), "FIELDS": ["population"], "RUNS": 0,
                                           "OUTPUT": str(db)})
    assert sha(db) == before


@pytest.mark.parametrize("output", ["zones.dbf", "zones.shx", "zones.mif", "zones.mid"])
def test_shapefile_sidecars_and_sink_formats_are_guarded(run_alg, tmp_path, output):
    from qgis.core import QgsProcessingException

    zones = gpd.read_file(SAMPLE / "sample_city.gpkg", layer="zones").iloc[:30]
    zones[["zone_id", "population"]] = zones[["zone_id", "population"]].astype("int32")
    if output.endswith((".mif", ".mid")):  # a format QGIS's own sink writes, not the bulk writer
        zones.to_file(tmp_path / "zones.mif", driver="MapInfo File", dataset_options={"FORMAT": "MIF"})
        source = str(tmp_path / "zones.mif")
    else:
        zones.to_file(tmp_path / "zones.shp")
        source = str(tmp_path / "zones.shp")
    before = {p.name: sha(p) for p in tmp_path.iterdir()}
    with pytest.raises(QgsProcessingException, match="never overwrites an input"):
        run_alg("joinedup:priorityindex", {"INPUT": source, "FIELDS": ["population"],
                                           "RUNS": 0, "OUTPUT": str(tmp_path / output)})
    assert {p.name: sha(p) for p in tmp_path.iterdir()} == before


def test_checknetwork_save_network_is_guarded(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    roads = tmp_path / "roads.gpkg"
    shutil.copyfile(SAMPLE / "sample_city.gpkg", roads)
    before = sha(roads)
    with pytest.raises(QgsProcessingException, match="never overwrites an input"):
        run_alg("joinedup:checknetwork", {"INPUT": f"{roads}|layername=roads", "OUTPUT": "TEMPORARY_OUTPUT",
                                          "PROBLEMS": "TEMPORARY_OUTPUT", "SAVE_NETWORK": str(roads)})
    assert sha(roads) == before


def test_a_failed_write_leaves_the_old_output(plugin, tmp_path):
    """The old output survives a write that fails half-way (a value GDAL refuses)."""
    from qgis.core import QgsProcessingException

    from joinedup.processing.bridge import _write_file

    old = gpd.GeoDataFrame({"a": [1, 2]}, geometry=gpd.points_from_xy([0, 1], [0, 1]), crs=3067)
    target = tmp_path / "out.shp"
    _write_file(old, str(target), "ESRI Shapefile", None, None, None)
    before = {p.name: sha(p) for p in tmp_path.iterdir()}
    # a line after 1,000 points: the shapefile driver refuses it half-way through the write
    import shapely

    geoms = list(shapely.points(range(1000), range(1000))) + [shapely.LineString([(0, 0), (1, 1)])]
    bad = gpd.GeoDataFrame({"a": range(1001)}, geometry=geoms, crs=3067)
    with pytest.raises(QgsProcessingException, match="Could not write"):
        _write_file(bad, str(target), "ESRI Shapefile", None, None, "Point")
    assert {p.name: sha(p) for p in tmp_path.iterdir()} == before  # and no temporary file left
    new = gpd.GeoDataFrame({"a": [7]}, geometry=gpd.points_from_xy([5], [5]), crs=3067)
    _write_file(new, str(target), "ESRI Shapefile", None, None, None)
    assert gpd.read_file(target)["a"].tolist() == [7]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)


def test_a_table_written_to_a_shp_path_reports_the_dbf(run_alg, tmp_path):
    """odmatrix's table output given a .shp path: QGIS's convention is the .dbf, which is
    what exists and what is reported; it opens in QGIS with every pair."""
    from qgis.core import QgsVectorLayer

    city = str(tmp_path / "sample_city.gpkg")
    shutil.copyfile(SAMPLE / "sample_city.gpkg", city)
    res = run_alg("joinedup:odmatrix", {
        "INPUT": f"{city}|layername=roads", "ORIGINS": f"{city}|layername=clinics",
        "DESTINATIONS": f"{city}|layername=schools", "OUTPUT": str(tmp_path / "od.shp")})
    assert res["OUTPUT"] == str(tmp_path / "od.dbf") and not (tmp_path / "od.shp").exists()
    layer = QgsVectorLayer(res["OUTPUT"], "od", "ogr")
    clinics = gpd.read_file(city, layer="clinics")
    schools = gpd.read_file(city, layer="schools")
    assert layer.isValid() and layer.featureCount() == len(clinics) * len(schools)
    assert not [p for p in tmp_path.iterdir() if "_joinedup_partial_" in p.name]  # no temporary file left
    assert sha(city) == sha(SAMPLE / "sample_city.gpkg")


def test_formats_written_by_qgis_are_replaced_atomically(run_alg, tmp_path):
    """A MapInfo output (QGIS's own writer: 'x.mif' is written as the table 'x.mif.tab') written
    twice: the second run replaces the first as a whole, leaves no temporary file, and
    reports the file QGIS wrote."""
    from qgis.core import QgsVectorLayer

    city = tmp_path / "city.gpkg"
    shutil.copyfile(SAMPLE / "sample_city.gpkg", city)
    out = tmp_path / "ranked.mif"
    for fields in (["population"], ["zone_id"]):
        res = run_alg("joinedup:priorityindex", {"INPUT": f"{city}|layername=zones", "FIELDS": fields,
                                                 "RUNS": 0, "OUTPUT": str(out)})
        assert res["OUTPUT"].startswith(str(out)) and os.path.exists(res["OUTPUT"])
        layer = QgsVectorLayer(res["OUTPUT"], "ranked", "ogr")
        assert layer.isValid() and layer.featureCount() == 150
    zones = gpd.read_file(city, layer="zones")
    best = zones["zone_id"].idxmax()  # the second run ranked by zone_id: the largest is first
    got = {f["zone_id"]: f["pi_rank"] for f in layer.getFeatures()}
    assert got[zones["zone_id"][best]] == 1
    assert not [p for p in tmp_path.iterdir() if "_joinedup_partial_" in p.name]


def test_saved_network_and_density_raster_replace_old_files_whole(run_alg, tmp_path):
    """SAVE_NETWORK and density's GeoTIFF go through the same atomic move: a second run over
    an existing file leaves exactly the new one, readable, and no temporary file."""
    import pyogrio
    import rasterio

    city = tmp_path / "city.gpkg"
    shutil.copyfile(SAMPLE / "sample_city.gpkg", city)
    saved = tmp_path / "network.gpkg"
    saved.write_bytes(b"not a GeoPackage: an old file in the way")
    res = run_alg("joinedup:checknetwork", {"INPUT": f"{city}|layername=roads", "OUTPUT": "TEMPORARY_OUTPUT",
                                            "PROBLEMS": "TEMPORARY_OUTPUT", "SAVE_NETWORK": str(saved)})
    layers = {name for name, _ in pyogrio.list_layers(res["SAVE_NETWORK"])}
    assert layers == {"edges", "nodes"}
    raster = tmp_path / "density.tif"
    for radius in (200, 400):
        run_alg("joinedup:density", {"INPUT": f"{city}|layername=incidents", "RADIUS": radius, "PIXEL_SIZE": 50,
                                     "OUTPUT": str(raster)})
        with rasterio.open(raster) as ds:
            assert ds.count == 1 and ds.crs is not None
    assert not [p for p in tmp_path.iterdir() if "_joinedup_partial_" in p.name]
