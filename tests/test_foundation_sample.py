"""The sample city GeoPackage: made by scripts/make_sample.py, deterministic, small, attributed."""
import subprocess
import sys

from conftest import REPO, SAMPLE

LAYERS = {"roads": "LineString", "buildings": "MultiPolygon", "amenities": "Point", "zones": "Polygon",
          "incidents": "Point", "inspections": "Point", "clinics": "Point", "schools": "Point",
          "gps_points": "Point", "collisions": "Point"}


def _content(path):
    """Every layer's fields, values and geometries (WKB) as read by pyogrio."""
    import pyogrio
    from pyogrio.raw import read

    out = {}
    for name, _ in pyogrio.list_layers(path):
        meta, _, wkb, columns = read(path, layer=name)
        values = [[None if isinstance(v, float) and v != v else v for v in c.tolist()] for c in columns]
        out[name] = (list(meta["fields"]), values, list(wkb), meta["crs"])
    return out


def test_sample_is_what_the_script_makes(tmp_path, real_data):
    """The committed GeoPackage holds exactly what the script makes (compared by content: QGIS
    may touch the SQLite header of a file it opens), and a second run changes nothing."""
    target = tmp_path / "sample_city.gpkg"
    script = [sys.executable, str(REPO / "scripts" / "make_sample.py"), "--out", str(target)]
    done = subprocess.run(script, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _content(target) == _content(SAMPLE / "sample_city.gpkg"), \
        "resources/sample/sample_city.gpkg is stale: run `make sample` and commit it"
    first = target.read_bytes()
    again = subprocess.run(script, capture_output=True, text=True, timeout=300)
    assert "unchanged" in again.stdout and target.read_bytes() == first  # byte-identical


def test_sample_layers_crs_and_size(plugin, tmp_path):
    import shutil

    from qgis.core import QgsVectorLayer, QgsWkbTypes

    assert (SAMPLE / "sample_city.gpkg").stat().st_size < 5 * 2**20
    path = tmp_path / "sample_city.gpkg"  # a copy: QGIS may write to a GeoPackage it opens
    shutil.copy(SAMPLE / "sample_city.gpkg", path)
    for name, geometry in LAYERS.items():
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        assert layer.isValid(), name
        assert layer.crs().authid() == "EPSG:3067", name
        assert QgsWkbTypes.displayString(layer.wkbType()) == geometry, name
        assert sum(1 for _ in layer.getFeatures()) > 0, name
    zones = QgsVectorLayer(f"{path}|layername=zones", "zones", "ogr")
    assert 100 <= zones.featureCount() <= 300
    assert {"zone_id", "name", "population"} <= set(zones.fields().names())
    # the zones cover the area the roads are in
    roads = QgsVectorLayer(f"{path}|layername=roads", "roads", "ogr")
    assert zones.extent().contains(roads.extent())
    assert {"highway", "name", "oneway", "maxspeed"} <= set(roads.fields().names())


def test_sample_readme_attribution():
    text = (SAMPLE / "README.md").read_text()
    assert "© OpenStreetMap contributors, ODbL 1.0" in text
    for name in ("zones", "incidents", "inspections", "clinics", "schools"):
        assert f"`{name}`" in text
    assert "synthetic" in text.lower()
