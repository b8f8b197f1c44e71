"""Issue #19: the density algorithm reads its points as bare coordinates (the bridge's
``xy_points``, no GEOS point per feature). The points it measures must be those the
geometry path measures (that path is held against QGIS's heatmap in test_risk_density.py):
same metric CRS, same coordinates, same null count, in a projected and a geographic CRS."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("crs", ["EPSG:3067", "EPSG:4326"])
def test_coordinates_only_read_measures_the_same_points(crs):
    import geopandas as gpd
    import shapely

    from joinedup.engine.density import density_points

    rng = np.random.default_rng(19)
    if crs == "EPSG:4326":
        x, y = 24.9 + rng.random(2000) * 0.1, 60.15 + rng.random(2000) * 0.05
    else:
        x, y = 385000 + rng.random(2000) * 5000, 6670000 + rng.random(2000) * 5000
    x[::97] = np.nan  # null geometries
    y[::97] = np.nan
    geoms = shapely.points(x, y)
    geoms[np.isnan(x)] = None
    weights = [str(v) for v in rng.integers(1, 5, 2000)]
    with_geometry = gpd.GeoDataFrame({"w": weights}, geometry=geoms, crs=crs)
    bare = gpd.GeoDataFrame({"w": weights}, geometry=[None] * 2000, crs=crs)
    bare.attrs["xy"] = (x, y)
    want = density_points(with_geometry, weight_field="w")
    got = density_points(bare, weight_field="w")
    assert got.crs.equals(want.crs)
    assert (crs == "EPSG:4326") == bool(got.note)  # degrees are moved to metres, with a note
    np.testing.assert_allclose(got.xy, want.xy, rtol=0, atol=1e-6)  # metres
    np.testing.assert_array_equal(got.weights, want.weights)
    assert (got.null_geometry, got.features) == (want.null_geometry, want.features) == (21, 2000)
