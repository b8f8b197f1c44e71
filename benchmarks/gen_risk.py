"""Seeded data for the risk benchmarks: clustered incident points over the sample city's
extent (about 2.5 km square in EPSG:3067) and a square grid of areas with a clustered value."""
from __future__ import annotations

import numpy as np

CRS = "EPSG:3067"
CITY = (384500.0, 6671000.0, 387000.0, 6673500.0)  # ~2.5 x 2.5 km around central Helsinki


def incident_points(n: int, *, seed: int = 0, extent=CITY, clusters: int = 40, background: float = 0.3):
    """``n`` points: ``background`` share uniform, the rest in Gaussian clusters (sd 30-150 m),
    clipped to the extent. Returns an (n, 2) array and a weight array."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent
    nb = int(n * background)
    centres = np.column_stack([rng.uniform(x0, x1, clusters), rng.uniform(y0, y1, clusters)])
    sds = rng.uniform(30, 150, clusters)
    which = rng.integers(0, clusters, n - nb)
    pts = centres[which] + rng.normal(size=(n - nb, 2)) * sds[which, None]
    xy = np.vstack([np.column_stack([rng.uniform(x0, x1, nb), rng.uniform(y0, y1, nb)]), pts])
    xy[:, 0] = np.clip(xy[:, 0], x0, x1)
    xy[:, 1] = np.clip(xy[:, 1], y0, y1)
    return xy, rng.gamma(2.0, 1.0, n)


def points_frame(xy, weights):
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame({"w": weights}, geometry=shapely.points(xy), crs=CRS)


def grid_values(side: int, *, seed: int = 0, size: float = 10.0):
    """A ``side`` x ``side`` grid of square areas with a spatially clustered Poisson value."""
    import geopandas as gpd
    import shapely
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    field = gaussian_filter(rng.normal(size=(side, side)), 4)
    lam = np.exp(2 + 3 * field / field.std() * 0.3)
    y = rng.poisson(lam).ravel().astype(float)
    rr, cc = np.divmod(np.arange(side * side), side)
    x0 = CITY[0] + cc * size
    y0 = CITY[1] + rr * size
    return gpd.GeoDataFrame({"value": y}, geometry=shapely.box(x0, y0, x0 + size, y0 + size), crs=CRS)
