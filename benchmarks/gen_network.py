"""Seeded generated street networks for tests and benchmarks (scale, not realism).

``grid_network(n_edges)`` gives a jittered square street grid of about ``n_edges`` segments as
two-vertex lines sharing their end vertices (so QGIS's network tools and JoinedUp see the same
topology), with OSM-like fields: ``highway``, ``oneway`` ('yes' on about 10 %), ``maxspeed``
(text, some null, some "30 mph"). About 3 % of the grid's segments are left out so that routes
are not trivial. Coordinates are metres in EPSG:3067 around central Helsinki.
"""
from __future__ import annotations

import numpy as np

CRS = "EPSG:3067"
ORIGIN = (385000.0, 6671000.0)


def grid_network(n_edges: int, *, spacing_m: float = 100.0, seed: int = 0, origin=ORIGIN, crs: str = CRS,
                 drop_fraction: float = 0.03, jitter_m: float = 10.0):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    # A side × side node grid has 2·side·(side−1) segments.
    side = int(np.ceil((1 + np.sqrt(1 + 2 * n_edges / (1 - drop_fraction))) / 2))
    ix, iy = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = origin[0] + ix * spacing_m + rng.uniform(-jitter_m, jitter_m, ix.shape)
    y = origin[1] + iy * spacing_m + rng.uniform(-jitter_m, jitter_m, iy.shape)
    node = np.arange(side * side).reshape(side, side)
    a = np.concatenate([node[:-1, :].ravel(), node[:, :-1].ravel()])
    b = np.concatenate([node[1:, :].ravel(), node[:, 1:].ravel()])
    horizontal = np.r_[np.ones(node[:-1, :].size, bool), np.zeros(node[:, :-1].size, bool)]
    keep = rng.random(len(a)) >= drop_fraction
    a, b, horizontal = a[keep], b[keep], horizontal[keep]
    order = rng.permutation(len(a))[:n_edges]
    a, b, horizontal = a[order], b[order], horizontal[order]
    xs, ys = x.ravel(), y.ravel()
    # Digitise about half the segments backwards: two-way costs must not depend on it.
    flip = rng.random(len(a)) < 0.5
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    coords = np.stack([np.column_stack([xs[a], ys[a]]), np.column_stack([xs[b], ys[b]])], axis=1)
    n = len(a)
    # Every 10th row/column is a main road.
    row_index = np.where(horizontal, (a % side), (a // side))
    main = row_index % 10 == 0
    highway = np.where(main, "secondary", "residential").astype(object)
    maxspeed = np.where(main, "50", "30").astype(object)
    r = rng.random(n)
    maxspeed[r < 0.05] = None
    maxspeed[(r >= 0.05) & (r < 0.07)] = "20 mph"
    oneway = np.where(rng.random(n) < 0.10, "yes", None).astype(object)
    return gpd.GeoDataFrame({"id": np.arange(n), "highway": highway, "oneway": oneway,
                             "maxspeed": maxspeed},
                            geometry=shapely.linestrings(coords), crs=crs)


def points_near(lines, n: int, *, seed: int = 1, spread_m: float = 30.0):
    """``n`` seeded points scattered within ``spread_m`` of random line midpoints, with ``id``."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(lines), n)
    mid = shapely.line_interpolate_point(lines.geometry.values[pick], rng.random(n), normalized=True)
    xy = shapely.get_coordinates(mid) + rng.uniform(-spread_m, spread_m, (n, 2))
    return gpd.GeoDataFrame({"id": np.arange(n)}, geometry=shapely.points(xy), crs=lines.crs)
