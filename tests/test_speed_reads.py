"""Issue #19: 2D points read as bare coordinates straight from GDAL's fixed-width WKB
records (``xy_points``; the joins and the density use it). The oracle is pyogrio's own
reader (GDAL's feature-by-feature path) and shapely's coordinates of what it reads."""
from __future__ import annotations

import numpy as np
import pytest


def _points(tmp_path, name, geoms):
    import geopandas as gpd

    path = tmp_path / f"{name}.gpkg"
    gpd.GeoDataFrame({"value": np.arange(len(geoms), dtype=float)}, geometry=geoms,
                     crs="EPSG:3067").to_file(path, engine="pyogrio")
    return str(path)


@pytest.mark.parametrize("case", ["plain", "with_nulls", "many_batches"])
def test_point_coordinates_equal_what_gdal_reads(plugin, tmp_path, case):
    import pyogrio
    import shapely

    from joinedup.processing.bridge import read_file

    rng = np.random.default_rng(19)
    n = 5000 if case == "many_batches" else 300  # the columnar reader's batches hold 2,048 rows
    geoms = shapely.points(rng.random((n, 2)) * 1e5 + [380000, 6670000])
    if case == "with_nulls":
        geoms[[0, 17, 299]] = None
    path = _points(tmp_path, case, geoms)
    gdf, report = read_file(path, columns=["value"], xy_points=True)
    x, y = gdf.attrs["xy"]
    want = pyogrio.read_dataframe(path)
    coords = np.full((n, 2), np.nan)
    present = ~shapely.is_missing(want.geometry.values)
    coords[present] = shapely.get_coordinates(want.geometry.values[present])
    np.testing.assert_array_equal(np.column_stack([x, y]), coords)  # bit for bit
    assert report.null_geometries == int((~present).sum())
    assert gdf["value"].tolist() == want["value"].tolist()


def test_other_geometries_are_not_read_as_coordinates(plugin, tmp_path):
    """A point layer holding one line (or a 3D point) is read with real geometries."""
    import shapely

    from joinedup.processing.bridge import read_file

    mixed = np.array([shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)]), shapely.Point(3, 4)])
    three_d = shapely.points([[1, 2, 3], [4, 5, 6]])
    for name, geoms in (("mixed", mixed), ("z", three_d)):
        gdf, _ = read_file(_points(tmp_path, name, geoms), xy_points=True)
        assert "xy" not in gdf.attrs
        assert shapely.equals_exact(gdf.geometry.values, geoms, tolerance=0).all()
