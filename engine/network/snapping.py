"""Points on a network: the :class:`Snap` record, and snapping points to the nearest point on
the nearest edge (``Network.snap``, ``Network.candidates`` for map matching)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Snap:
    """Points snapped to a network: one entry per input point, in input order.

    ``edge`` is the edge index (row of ``net.edges``), -1 when the point is not on the network
    (no geometry, or farther than ``max_snap_m``); ``fraction`` is the position along the edge
    from its ``u`` end (0..1); ``snap_dist_m`` the distance from the point to the network (NaN
    for a point with no geometry); ``x``/``y`` the snapped position.
    """

    edge: np.ndarray
    fraction: np.ndarray
    snap_dist_m: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def on_network(self) -> np.ndarray:
        return self.edge >= 0

    def take(self, index) -> Snap:
        index = np.atleast_1d(np.asarray(index))
        return Snap(self.edge[index], self.fraction[index], self.snap_dist_m[index],
                    self.x[index], self.y[index])



def empty_snap() -> Snap:
    return Snap(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))


def as_points(value):
    import shapely

    if isinstance(value, (tuple, list)) and len(value) == 2 and np.isscalar(value[0]):
        return np.array([value], dtype=float)
    if isinstance(value, shapely.Geometry):
        return np.array([value], dtype=object)
    return value


class SnappingMixin:
    """Snapping methods of :class:`~.model.Network` (which holds the attributes declared here;
    the edges' spatial index is cached in ``_tree``)."""

    crs: Any
    edges: Any  # GeoDataFrame
    _tree: Any


    def _strtree(self):
        import shapely

        if self._tree is None:
            self._tree = shapely.STRtree(self.edges.geometry.values)
        return self._tree

    def _points_array(self, points):
        """Accept a GeoDataFrame/GeoSeries (reprojected to the network's CRS), an array of
        shapely points, or an (n, 2) coordinate array."""
        import shapely

        if hasattr(points, "geometry") or hasattr(points, "crs"):
            if getattr(points, "crs", None) is not None and not points.crs.equals(self.crs):
                points = points.to_crs(self.crs)
            geoms = np.asarray(points.geometry.values if hasattr(points, "geometry") else points.values,
                               dtype=object)
        else:
            arr = np.asarray(points)
            if arr.dtype != object and arr.ndim == 2 and arr.shape[1] >= 2:
                geoms = shapely.points(arr[:, :2])
            else:
                geoms = np.asarray(arr, dtype=object).reshape(-1)
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        # Multipoints and other shapes snap by their centroid's nearest point on a line
        # would be surprising: use their first point (a multipoint of one is common in exports).
        multi = np.flatnonzero(~missing & (shapely.get_type_id(np.where(missing, None, geoms)) != 0))
        if multi.size:
            geoms = geoms.copy()
            first = np.array([shapely.get_coordinates(g)[0] for g in geoms[multi]])
            geoms[multi] = shapely.points(first)
        return geoms, missing

    def snap(self, points, *, max_snap_m: float | None = None) -> Snap:
        """Snap points to the nearest point on the nearest edge. Points with no geometry, or
        farther than ``max_snap_m``, get ``edge = -1`` (their distance is still reported)."""
        import shapely

        geoms, missing = self._points_array(points)
        n = len(geoms)
        edge = np.full(n, -1, np.int64)
        frac = np.full(n, np.nan)
        dist = np.full(n, np.nan)
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        have = np.flatnonzero(~missing)
        if have.size:
            tree = self._strtree()
            (qi, ti), d = tree.query_nearest(geoms[have], return_distance=True, all_matches=False)
            # all_matches=False still returns one row per input; keep the first for safety.
            first = np.unique(qi, return_index=True)[1]
            qi, ti, d = qi[first], ti[first], d[first]
            idx = have[qi]
            lines = self.edges.geometry.values[ti]
            lines = np.asarray(lines, dtype=object)
            f = shapely.line_locate_point(lines, geoms[idx], normalized=True)
            p = shapely.line_interpolate_point(lines, f, normalized=True)
            xy = shapely.get_coordinates(p)
            edge[idx], frac[idx], dist[idx] = ti, np.clip(f, 0.0, 1.0), d
            x[idx], y[idx] = xy[:, 0], xy[:, 1]
            if max_snap_m is not None:
                far = idx[d > max_snap_m]
                edge[far] = -1
        return Snap(edge, frac, dist, x, y)

    def candidates(self, points, *, radius_m: float, k: int = 5):
        """Edges within ``radius_m`` of each point, at most ``k`` per point, nearest first:
        arrays ``(point_index, edge_index, distance_m, fraction)`` sorted by point then
        distance. For map matching."""
        import shapely

        geoms, missing = self._points_array(points)
        have = np.flatnonzero(~missing)
        if not have.size:
            empty = np.zeros(0, np.int64)
            return empty, empty.copy(), np.zeros(0), np.zeros(0)
        tree = self._strtree()
        qi, ti = tree.query(geoms[have], predicate="dwithin", distance=radius_m)
        pi = have[qi]
        lines = np.asarray(self.edges.geometry.values, dtype=object)[ti]
        d = shapely.distance(geoms[pi], lines)
        order = np.lexsort((ti, d, pi))
        pi, ti, d = pi[order], ti[order], d[order]
        start = np.r_[0, np.flatnonzero(pi[1:] != pi[:-1]) + 1]
        rank = np.arange(len(pi)) - np.repeat(start, np.diff(np.r_[start, len(pi)]))
        sel = rank < k
        pi, ti, d = pi[sel], ti[sel], d[sel]
        f = shapely.line_locate_point(lines[order][sel], geoms[pi], normalized=True)
        return pi.astype(np.int64), ti.astype(np.int64), d, np.clip(f, 0.0, 1.0)
