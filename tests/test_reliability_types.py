"""Types kept on the way through (issue #17): an integer id stays an integer, a date a date.
QGIS reads the output's field types back (the oracle)."""
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
from conftest import SAMPLE


def test_mapmatch_keeps_an_integer_track_id(run_alg, tmp_path):
    from qgis.core import QgsVectorLayer

    city = tmp_path / "sample_city.gpkg"
    shutil.copyfile(SAMPLE / "sample_city.gpkg", city)
    gps = gpd.read_file(city, layer="gps_points")
    ids = {t: 1000 + k for k, t in enumerate(sorted(gps["track_id"].unique()))}
    gps["track_id"] = gps["track_id"].map(ids).astype("int64")
    gps.to_file(tmp_path / "gps_int.gpkg")
    res = run_alg("joinedup:mapmatch", {
        "INPUT": str(tmp_path / "gps_int.gpkg"), "TRACK_FIELD": "track_id", "TIME_FIELD": "time",
        "NETWORK": f"{city}|layername=roads", "OUTPUT": str(tmp_path / "routes.gpkg"),
        "POINTS": str(tmp_path / "points.gpkg"), "QUALITY": str(tmp_path / "quality.gpkg")})
    for key in ("OUTPUT", "POINTS", "QUALITY"):
        layer = QgsVectorLayer(res[key], key, "ogr")
        field = layer.fields().field("track_id")
        whole_number = ("integer", "integer64", "int8")
        assert field.isNumeric() and field.typeName().lower() in whole_number, (key, field.typeName())
        got = {f["track_id"] for f in layer.getFeatures()}
        assert got <= set(ids.values()) and got, key


def test_object_columns_of_one_kind_are_written_as_that_kind(plugin, tmp_path):
    from qgis.core import QgsVectorLayer

    from joinedup.processing.bridge import _write_file

    frame = gpd.GeoDataFrame({
        "id": pd.Series([7, None, 9], dtype=object),
        "share": pd.Series([0.5, None, 1], dtype=object),
        "when": pd.Series([pd.Timestamp("2024-05-01 08:00"), None, pd.Timestamp("2024-05-02")], dtype=object),
        "code": pd.Series(["007", None, "12"], dtype=object),   # text that looks like numbers stays text
        "mixed": pd.Series([1, "a", None], dtype=object),
    }, geometry=gpd.points_from_xy([0, 1, 2], [0, 1, 2]), crs=3067)
    _write_file(frame, str(tmp_path / "t.gpkg"), "GPKG", None, None, None)
    layer = QgsVectorLayer(str(tmp_path / "t.gpkg"), "t", "ogr")
    types = {f.name(): f.typeName().lower() for f in layer.fields()}
    assert types["id"].startswith("integer") and types["share"] == "real"
    assert types["when"] == "datetime" and types["code"] == "string" and types["mixed"] == "string"
    values = [f["code"] for f in layer.getFeatures()]
    assert values[0] == "007"
    assert [f["id"] for f in layer.getFeatures()][2] == 9
    np.testing.assert_allclose([f["share"] for f in layer.getFeatures()][2], 1.0)
