"""Seeded demand and candidate points for the service-demand benchmarks and tests: points
placed along the streets of a road layer (so they snap within metres, as addresses do), with
a skewed demand weight (gamma-distributed residents, like a city's address points)."""
from __future__ import annotations

import numpy as np


def points_along(roads, n: int, *, seed: int = 0, offset_m: float = 15.0, weight_field: str = "demand"):
    """``n`` points at uniform positions along ``roads`` (by length), each moved up to
    ``offset_m`` sideways, with ``point_id`` and a positive ``weight_field`` (gamma, mean 20)."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    geoms = np.asarray(roads.geometry.values, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    length = shapely.length(geoms)
    pick = rng.choice(len(geoms), size=n, p=length / length.sum())
    at = shapely.line_interpolate_point(geoms[pick], rng.random(n), normalized=True)
    xy = shapely.get_coordinates(at) + rng.uniform(-offset_m, offset_m, (n, 2))
    return gpd.GeoDataFrame({"point_id": np.arange(n), weight_field: rng.gamma(2.0, 10.0, n).round(2) + 1},
                            geometry=shapely.points(xy), crs=roads.crs)
