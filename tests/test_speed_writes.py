"""Issue #19: columnar writes. The bridge writes GeoPackage and FlatGeobuf through GDAL's
Arrow interface (pyogrio ``use_arrow=True``) where GDAL >= 3.8 and pyarrow are there, and
feature by feature elsewhere (Debian 12's GDAL 3.6). No test here is skipped: on this
machine's GDAL the selection is checked and the path it selects is exercised; where GDAL
>= 3.8 the two paths' files are also compared with each other. The oracle for the content
is the frame written, read back by QGIS's own OGR provider (not by the code under test)."""
from __future__ import annotations

import datetime

import pytest


@pytest.mark.parametrize("driver, gdal_version, has_pyarrow, expected", [
    ("GPKG", (3, 6, 2), True, False),         # Debian 12: no WriteArrowBatch
    ("GPKG", (3, 7, 3), True, False),
    ("GPKG", (3, 8, 0), True, True),          # the first GDAL with WriteArrowBatch
    ("GPKG", (3, 10, 3), True, True),         # Debian 13
    ("GPKG", (3, 10, 3), False, False),       # no pyarrow: pyogrio cannot hand GDAL a table
    ("FlatGeobuf", (3, 10, 3), True, True),
    ("ESRI Shapefile", (3, 10, 3), True, False),  # row formats keep the classic writer
    ("CSV", (3, 10, 3), True, False),
])
def test_arrow_write_is_chosen_only_where_gdal_has_it(plugin, driver, gdal_version, has_pyarrow, expected):
    from joinedup.processing.bridge.write import arrow_write_available

    assert arrow_write_available(driver, gdal_version=gdal_version, has_pyarrow=has_pyarrow) is expected


def test_this_machines_choice_follows_its_gdal(plugin):
    import importlib.util

    import pyogrio

    from joinedup.processing.bridge.write import arrow_write_available

    expected = pyogrio.__gdal_version__ >= (3, 8, 0) and importlib.util.find_spec("pyarrow") is not None
    assert arrow_write_available("GPKG") is expected


def _frame_names():
    return [f"ward {i} é" if i % 5 else None for i in range(500)]


def _frame():
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    n = 500
    rng = np.random.default_rng(19)
    count = pd.array(rng.integers(0, 1000, n), dtype="Int64")
    count[::7] = pd.NA
    share = rng.random(n)
    share[::11] = np.nan
    names = _frame_names()
    when = pd.Series(pd.date_range("2026-01-01 08:30", periods=n, freq="h")).astype("datetime64[ms]")
    polys = shapely.buffer(shapely.points(rng.random((n, 2)) * 1000), 10, quad_segs=2)
    return gpd.GeoDataFrame({"row": np.arange(n), "count": count, "share": share, "name": names, "seen": when},
                            geometry=polys, crs="EPSG:3067")


def _read_with_qgis(path):
    """(attribute rows, WKB of every geometry) as QGIS's own OGR provider reads them, in the
    order of the field ``row`` (FlatGeobuf's spatial index stores features in its own order)."""
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(str(path), "written", "ogr")
    assert layer.isValid()
    rows, wkbs = [], []
    for feature in layer.getFeatures():
        values = []
        for name in ("count", "share", "name", "seen"):
            value = feature[name]
            if value is None or (hasattr(value, "isNull") and value.isNull()):
                values.append(None)
            elif hasattr(value, "toPyDateTime"):
                values.append(value.toPyDateTime())
            else:
                values.append(value)
        rows.append((feature["row"], values))
        wkbs.append((feature["row"], bytes(feature.geometry().asWkb())))
    return [v for _, v in sorted(rows)], [w for _, w in sorted(wkbs)], layer.crs().authid()


@pytest.mark.parametrize("ext, driver", [(".gpkg", "GPKG"), (".fgb", "FlatGeobuf")])
def test_columnar_write_keeps_every_value(plugin, tmp_path, ext, driver):
    import math

    import pandas as pd
    import pyogrio
    import shapely

    from joinedup.processing.bridge.write import _write_file, arrow_write_available

    frame = _frame()
    path = tmp_path / f"out{ext}"
    _write_file(frame, str(path), driver, None, None, None)
    rows, wkbs, crs = _read_with_qgis(path)
    assert crs == "EPSG:3067"
    assert len(rows) == len(frame)
    counts = [None if v is pd.NA else int(v) for v in frame["count"]]
    shares = [None if math.isnan(v) else float(v) for v in frame["share"]]
    seen = [v.to_pydatetime() for v in frame["seen"]]
    assert [r[0] for r in rows] == counts
    assert [r[1] for r in rows] == shares  # bit for bit: both are IEEE doubles
    assert [r[2] for r in rows] == _frame_names()
    assert [r[3] for r in rows] == seen
    assert shapely.equals_exact(shapely.from_wkb(wkbs), frame.geometry.values, tolerance=0).all()
    if arrow_write_available(driver):  # GDAL >= 3.8: the classic writer's file says the same
        classic = tmp_path / f"classic{ext}"
        pyogrio.write_dataframe(frame, classic, driver=driver, use_arrow=False)
        assert _read_with_qgis(classic) == (rows, wkbs, crs)


def test_written_output_is_not_the_engines_frame(plugin, tmp_path):
    """The writer's frame is a shallow copy: converting columns for GDAL leaves the caller's alone."""
    from joinedup.processing.bridge.write import _write_file

    frame = _frame()
    frame["mixed"] = [1, "a", datetime.date(2026, 1, 1), None, 2.5] * (len(frame) // 5)
    before = frame["mixed"].tolist()
    _write_file(frame, str(tmp_path / "mixed.gpkg"), "GPKG", None, None, None)
    assert frame["mixed"].tolist() == before


@pytest.mark.parametrize("rows", [0, 3])
@pytest.mark.parametrize("ext, driver", [(".gpkg", "GPKG"), (".fgb", "FlatGeobuf")])
def test_text_column_with_no_value_is_written_as_text(plugin, tmp_path, ext, driver, rows):
    """An output whose text column is NULL in every row, or that has no row (an empty input),
    writes a text field with NULLs, as the classic writer does. On GDAL >= 3.8 (Debian 13) the
    columnar writer refused such a column (Arrow's null type) and the algorithm failed."""
    import geopandas as gpd
    import pandas as pd
    from qgis.core import QgsVectorLayer
    from qgis.PyQt.QtCore import QMetaType

    from joinedup.processing.bridge.write import _write_file

    frame = gpd.GeoDataFrame({"note": pd.Series([None] * rows, dtype=object),
                              "count": pd.Series(range(rows), dtype="int64")},
                             geometry=gpd.points_from_xy([1.0 * i for i in range(rows)], [2.0] * rows),
                             crs="EPSG:3067")
    path = tmp_path / f"out{ext}"
    _write_file(frame, str(path), driver, None, None, None)
    layer = QgsVectorLayer(str(path), "out", "ogr")
    assert layer.isValid()
    assert layer.featureCount() == rows
    note = layer.fields().field("note")
    assert note.type() == QMetaType.Type.QString
    assert [f["note"] for f in layer.getFeatures()] == [None] * rows
