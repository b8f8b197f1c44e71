"""Seeded generators of synthetic data for tests and benchmarks (scale, not realism).
Every generator takes ``seed`` and returns the same data for the same arguments.
Coordinates are metres in ETRS-TM35FIN (EPSG:3067) around central Helsinki unless given."""
from __future__ import annotations

import numpy as np

CRS = "EPSG:3067"
ORIGIN = (385000.0, 6671000.0)  # near central Helsinki in EPSG:3067


def random_points(n: int, *, seed: int = 0, extent=None, crs: str = CRS):
    """``n`` uniform random points with an integer ``id`` and a float ``value`` field."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent or (ORIGIN[0], ORIGIN[1], ORIGIN[0] + 10000, ORIGIN[1] + 10000)
    xy = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    return gpd.GeoDataFrame({"id": np.arange(n), "value": rng.gamma(2.0, 5.0, n).round(3),
                             "category": rng.choice(["a", "b", "c", "d"], n)},
                            geometry=shapely.points(xy), crs=crs)


def square_grid(cells_x: int, cells_y: int, *, size: float = 100.0, origin=ORIGIN, crs: str = CRS,
                seed: int = 0):
    """A grid of square polygons with ``zone_id`` and a seeded ``population`` field."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(cells_x), np.arange(cells_y))
    x0 = origin[0] + ix.ravel() * size
    y0 = origin[1] + iy.ravel() * size
    boxes = shapely.box(x0, y0, x0 + size, y0 + size)
    n = len(boxes)
    return gpd.GeoDataFrame({"zone_id": np.arange(n), "population": rng.poisson(150, n)},
                            geometry=boxes, crs=crs)
