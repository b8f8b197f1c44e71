"""Spatial weights for Gi*: binary ``scipy.sparse`` matrices with a zero diagonal (contiguity,
distance band, k nearest, and the contiguity of a regular grid's cells)."""
from __future__ import annotations

import numpy as np

from ..errors import InputError, as_feedback
from .grid import Grid
from .names import WEIGHTS


def contiguity_weights(geoms, *, rook: bool = False, feedback=None):
    """Binary contiguity among polygons as a CSR matrix.

    Queen: the polygons share at least one point (touch or overlap), a geometric test
    (GEOS ``intersects`` through an STRtree), so T-junctions and slightly overlapping
    neighbours count. Rook: the polygons share a boundary segment with the same two end
    vertices (libpysal's rule; fast, by hashing every ring segment): an edge that one
    polygon splits with an extra vertex and the other does not is not seen as shared (use
    queen, or snap the layer's topology first)."""
    import scipy.sparse as sp
    import shapely

    fb = as_feedback(feedback)
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if rook:
        i, j = _shared_segments(geoms)
    else:
        tree = shapely.STRtree(geoms)
        i, j = tree.query(geoms, predicate="intersects")
        keep = i != j
        i, j = i[keep], j[keep]
    fb.check()
    W = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    W.data[:] = 1.0  # a pair found twice is still one neighbour
    return W


def _shared_segments(geoms):
    """Pairs (both directions) of polygons having an identical ring segment."""
    import shapely

    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    owner_of_ring = part_owner[ring_part]
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    same = ring_idx[1:] == ring_idx[:-1]
    p0, p1 = coords[:-1][same], coords[1:][same]
    own = owner_of_ring[ring_idx[:-1][same]]
    swap = (p0[:, 0] > p1[:, 0]) | ((p0[:, 0] == p1[:, 0]) & (p0[:, 1] > p1[:, 1]))
    a = np.where(swap[:, None], p1, p0)
    b = np.where(swap[:, None], p0, p1)
    order = np.lexsort((b[:, 1], b[:, 0], a[:, 1], a[:, 0]))
    key = np.column_stack([a, b])[order]
    own = own[order]
    ii, jj = [], []
    # a segment shared by several polygons: pair each with the ones after it in its run
    for lag in range(1, 4):
        if len(key) <= lag:
            break
        eq = (key[lag:] == key[:-lag]).all(1) & (own[lag:] != own[:-lag])
        ii.append(own[:-lag][eq])
        jj.append(own[lag:][eq])
    if not ii:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    i, j = np.concatenate(ii), np.concatenate(jj)
    return np.concatenate([i, j]), np.concatenate([j, i])


def distance_band_weights(xy, distance: float):
    """Binary weights between points no farther apart than ``distance`` (inclusive)."""
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    if not (distance > 0):
        raise InputError(f"The distance band must be a positive distance (got {distance}).")
    tree = cKDTree(xy)
    pairs = tree.query_pairs(distance, output_type="ndarray")
    n = len(xy)
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))


def auto_distance_band(xy) -> float:
    """The smallest band that leaves no unit without a neighbour: the largest
    nearest-neighbour distance between centroids (ArcGIS's default rule)."""
    from scipy.spatial import cKDTree

    if len(xy) < 2:
        raise InputError("A distance band needs at least two units.")
    d, _ = cKDTree(xy).query(xy, k=2)
    band = float(d[:, 1].max())
    if not band > 0:
        raise InputError("All units are at the same place: give the distance band yourself.")
    return band


def knn_weights(xy, k: int):
    """Binary weights to each point's ``k`` nearest other points (not symmetric)."""
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    n = len(xy)
    if k < 1:
        raise InputError(f"The number of neighbours must be at least 1 (got {k}).")
    if k >= n:
        raise InputError(f"{k} nearest neighbours needs more than {k} units; there are {n}.")
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    rows = np.repeat(np.arange(n), k + 1).reshape(n, k + 1)
    is_self = idx == rows
    # drop self where found, else the farthest of the k+1 (duplicate locations)
    no_self = ~is_self.any(1)
    is_self[no_self, -1] = True
    keep = ~is_self
    return sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], idx[keep])), shape=(n, n))


def grid_weights(rows_idx, cols_idx, n_rows, n_cols, *, shape: str, rook: bool = False):
    """Contiguity of grid cells from their row/column numbers (exact, no geometry test)."""
    import scipy.sparse as sp

    code = -np.ones((n_rows, n_cols), dtype=np.int64)
    code[rows_idx, cols_idx] = np.arange(len(rows_idx))
    if shape == "square":
        steps = [(0, 1), (0, -1), (1, 0), (-1, 0)]
        if not rook:
            steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
        step_sets = {0: steps, 1: steps}
    else:  # pointy-top hexagons, odd rows shifted right by half a cell
        step_sets = {0: [(0, 1), (0, -1), (1, -1), (1, 0), (-1, -1), (-1, 0)],
                     1: [(0, 1), (0, -1), (1, 0), (1, 1), (-1, 0), (-1, 1)]}
    ii, jj = [], []
    for parity, steps in step_sets.items():
        sel = (rows_idx % 2 == parity) if shape == "hexagon" else np.ones(len(rows_idx), bool)
        if shape == "square" and parity == 1:
            continue
        r0, c0, me = rows_idx[sel], cols_idx[sel], np.flatnonzero(sel)
        for dr, dc in steps:
            r, c = r0 + dr, c0 + dc
            ok = (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)
            other = np.full(len(r), -1)
            other[ok] = code[r[ok], c[ok]]
            good = other >= 0
            ii.append(me[good])
            jj.append(other[good])
    i, j = np.concatenate(ii), np.concatenate(jj)
    n = len(rows_idx)
    return sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))


def weights_for(kind: str, *, geoms=None, xy=None, distance: float | None = None, k: int = 8,
                grid: Grid | None = None, feedback=None):
    """Binary weights of one of ``WEIGHTS`` for polygons (``geoms``), points/centroids
    (``xy``) or a regular ``grid``."""
    if kind not in WEIGHTS:
        raise InputError(f"Unknown weights {kind!r}; use one of {WEIGHTS}.")
    if kind in ("queen", "rook"):
        if grid is not None:
            return grid_weights(grid.row, grid.col, grid.n_rows, grid.n_cols, shape=grid.shape,
                                rook=kind == "rook" and grid.shape == "square")
        if geoms is None:
            raise InputError("Contiguity weights need polygons; for points use a distance band or k nearest.")
        return contiguity_weights(geoms, rook=kind == "rook", feedback=feedback)
    if kind == "distance":
        if distance is None or distance <= 0:
            distance = auto_distance_band(xy)
            as_feedback(feedback).log(f"Distance band {distance:.6g} map units chosen automatically: "
                                      "the largest nearest-neighbour distance, so no unit is an island.")
        return distance_band_weights(xy, distance)
    return knn_weights(xy, int(k))
