"""Which INPUT features meet which JOIN features: index pairs ``(i, j)`` for QGIS's geometric
predicates, from one shapely ``STRtree`` bulk query, or from a grid when JOIN is bare point
coordinates. The tree holds JOIN and is queried with INPUT, so a predicate reads
"INPUT feature <predicate> JOIN feature", as in QGIS's ``native:joinattributesbylocation``."""
from __future__ import annotations

import numpy as np

from ..errors import InputError

# QGIS's PREDICATE names in its dialog order (ids 0-6), then JoinedUp's "dwithin": within
# ``distance_m`` metres (id 7 in the dialog).
PREDICATES = ("intersects", "contains", "equals", "touches", "overlaps", "within", "crosses", "dwithin")
# Predicates that coordinates alone answer for a line or polygon INPUT against JOIN points.
XY_PREDICATES = frozenset({"intersects", "contains", "touches"})


def _sorted_pairs(i, j, n_join):
    """Unique (i, j) pairs sorted by INPUT then JOIN order."""
    key = np.unique(i.astype(np.int64) * max(n_join, 1) + j.astype(np.int64))
    return key // max(n_join, 1), key % max(n_join, 1)


def check_predicates(predicates) -> list:
    """The distinct predicate names of ``predicates``, in :data:`PREDICATES` order.

    Raises:
        InputError: none given, or a name that is not in :data:`PREDICATES`.
    """
    chosen = set(predicates)
    if not chosen:
        raise InputError("Choose at least one geometric predicate.")
    unknown = sorted(str(p) for p in chosen - set(PREDICATES))
    if unknown:
        raise InputError(f"Unknown predicate {unknown[0]!r}; use one of {', '.join(PREDICATES)}.")
    return [p for p in PREDICATES if p in chosen]


def match_pairs(input_geoms, join_geoms, predicates, *, distance_m=None,
                input_metric=None, join_metric=None):
    """Index pairs ``(i, j)`` with INPUT geometry i <predicate> JOIN geometry j for any of
    ``predicates`` (names of :data:`PREDICATES`), sorted by i then j.

    ``input_metric``/``join_metric`` are the same geometries in a metric CRS, used for the
    "dwithin" predicate (``distance_m``, metres)."""
    import shapely

    predicates = check_predicates(predicates)
    n_join = len(join_geoms)
    if n_join == 0 or len(input_geoms) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    found = []
    tree = None
    for name in predicates:
        if name == "dwithin":
            if distance_m is None or not np.isfinite(distance_m) or distance_m < 0:
                raise InputError("The 'within distance' predicate needs a DISTANCE of 0 metres or more.")
            geoms_in = input_metric if input_metric is not None else input_geoms
            geoms_join = join_metric if join_metric is not None else join_geoms
            idx = shapely.STRtree(geoms_join).query(geoms_in, predicate="dwithin",
                                                    distance=float(distance_m))
        else:
            if tree is None:
                tree = shapely.STRtree(join_geoms)
            if name == "equals":  # not an STRtree predicate: filter the bbox candidates
                idx = tree.query(input_geoms, predicate="intersects")
                keep = shapely.equals(input_geoms[idx[0]], join_geoms[idx[1]])
                idx = idx[:, keep]
            else:
                idx = tree.query(input_geoms, predicate=name)
        found.append(idx)
    idx = np.concatenate(found, axis=1) if len(found) > 1 else found[0]
    return _sorted_pairs(idx[0], idx[1], n_join)


def points_from_xy(gdf):
    """A layer read with coordinates only (``attrs['xy']``) with real point geometries."""
    import shapely

    x, y = gdf.attrs["xy"]
    geoms = shapely.points(x, y)
    geoms[np.isnan(x)] = None
    out = gdf.set_geometry(geoms, crs=gdf.crs) if len(gdf) else gdf
    out.attrs = {k: v for k, v in gdf.attrs.items() if k != "xy"}
    return out


def _xy_path_applies(predicates, method, in_geoms) -> bool:
    """Coordinates alone answer intersects / contains / touches of a line or polygon INPUT
    against JOIN points (touches = on the boundary = intersects and not contains)."""
    import shapely

    if not set(predicates) <= XY_PREDICATES or method == "largest-overlap":
        return False
    present = ~shapely.is_missing(in_geoms)
    return bool(present.any()) and int(shapely.get_dimensions(in_geoms[present]).min()) >= 1


def match_pairs_xy(input_geoms, x, y, predicates, *, order_within=True):
    """Like :func:`match_pairs` for JOIN points given as coordinates: candidates from a
    uniform grid over the points (numpy sort + searchsorted), then shapely's vectorised
    ``intersects_xy`` / ``contains_xy`` on the prepared INPUT geometries."""
    import shapely

    empty = (np.empty(0, np.int64), np.empty(0, np.int64))
    ok_pts = ~np.isnan(x)
    present = ~shapely.is_missing(input_geoms)
    if not ok_pts.any() or not present.any():
        return empty
    # index arrays are left out where they would be the identity (every point usable, every
    # INPUT feature present): at 1M points each such gather costs a few milliseconds
    all_pts = bool(ok_pts.all())
    pts = None if all_pts else np.flatnonzero(ok_pts)
    px, py = (x, y) if all_pts else (x[pts], y[pts])
    bounds = shapely.bounds(input_geoms)  # NaN for missing
    x0, y0 = px.min(), py.min()
    span = max(px.max() - x0, py.max() - y0, 1e-9)
    widths = np.nanmax(np.c_[bounds[present, 2] - bounds[present, 0],
                             bounds[present, 3] - bounds[present, 1]], axis=1)
    # cells a quarter of a typical INPUT feature: a bbox then spans ~5 cells a side and the
    # candidates are ~1.5x the true matches (cells as wide as the features: ~4x). Only the
    # occupied cells exist (sorted ids), so small cells cost no memory.
    cell = float(np.median(widths)) / 4.0 if len(widths) else span
    cell = max(cell, span / 2.0 ** 20, 1e-9)
    ncx = int(np.floor(span / cell)) + 1
    cell_id = np.floor((py - y0) / cell).astype(np.int64)
    cell_id *= ncx
    cell_id += np.floor((px - x0) / cell).astype(np.int64)
    order, sorted_cells = _sort_cells(cell_id, ncx * ncx)
    del cell_id
    # cell ranges of every INPUT bbox, clipped to the grid
    idx = np.flatnonzero(present)
    b = bounds[idx]
    ix0 = np.clip(np.floor((b[:, 0] - x0) / cell), 0, ncx - 1).astype(np.int64)
    ix1 = np.clip(np.floor((b[:, 2] - x0) / cell), 0, ncx - 1).astype(np.int64)
    iy0 = np.clip(np.floor((b[:, 1] - y0) / cell), 0, ncx - 1).astype(np.int64)
    iy1 = np.clip(np.floor((b[:, 3] - y0) / cell), 0, ncx - 1).astype(np.int64)
    outside = (b[:, 2] < x0) | (b[:, 3] < y0) | (b[:, 0] > x0 + ncx * cell) | (b[:, 1] > y0 + ncx * cell)
    keep = ~outside
    idx, b, ix0, ix1, iy0, iy1 = idx[keep], b[keep], ix0[keep], ix1[keep], iy0[keep], iy1[keep]
    if not len(idx):
        return empty
    # expand to (input, row of cells): one row = a run of consecutive cell ids
    rows = iy1 - iy0 + 1
    r_in = np.repeat(np.arange(len(idx)), rows)
    r_y = iy0[r_in] + (np.arange(len(r_in)) - np.repeat(np.cumsum(rows) - rows, rows))
    lo = np.searchsorted(sorted_cells, r_y * ncx + ix0[r_in], side="left")
    hi = np.searchsorted(sorted_cells, r_y * ncx + ix1[r_in], side="right")
    del sorted_cells
    cnt = hi - lo
    c_in = np.repeat(r_in, cnt)
    c_pos = np.repeat(lo, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    c_pt = order[c_pos]
    del c_pos, order
    cxv, cyv = px[c_pt], py[c_pt]
    # the bbox test, on contiguous copies of the bounds (a gather from a small array each)
    bx0, by0, bx1, by1 = (np.ascontiguousarray(b[:, k]) for k in range(4))
    inside = bx0[c_in] <= cxv
    inside &= cxv <= bx1[c_in]
    inside &= by0[c_in] <= cyv
    inside &= cyv <= by1[c_in]
    c_in, c_pt, cxv, cyv = c_in[inside], c_pt[inside], cxv[inside], cyv[inside]
    del inside
    geoms = input_geoms[idx]
    preds = set(check_predicates(predicates))
    # an axis-aligned rectangle (a grid cell) is its own bounding box: a point intersects it
    # when it is inside the closed box (true of every candidate left) and is contained when
    # strictly inside; only the other shapes need GEOS
    rect = _axis_aligned_rectangles(geoms, b)
    exact = None if rect.all() else ~rect[c_in]
    inter = cont = None
    if preds & {"intersects", "touches"}:
        inter = np.ones(len(c_in), dtype=bool)
    if preds & {"contains", "touches"}:
        cont = (bx0[c_in] < cxv) & (cxv < bx1[c_in]) & (by0[c_in] < cyv) & (cyv < by1[c_in])
    if exact is not None and exact.any():
        shapely.prepare(geoms[~rect])
        g = geoms[c_in[exact]]
        if inter is not None:
            inter[exact] = shapely.intersects_xy(g, cxv[exact], cyv[exact])
        if cont is not None:
            cont[exact] = shapely.contains_xy(g, cxv[exact], cyv[exact])
    hit = np.zeros(len(c_in), dtype=bool)
    if "intersects" in preds:
        hit |= inter
    if "contains" in preds:
        hit |= cont
    if "touches" in preds:
        hit |= inter & ~cont
    if not hit.all():
        c_in, c_pt = c_in[hit], c_pt[hit]
    # ascending already: candidates were generated input by input
    i = c_in if len(idx) == len(input_geoms) else idx[c_in]
    j = c_pt if pts is None else pts[c_pt]
    if order_within:  # JOIN order within each INPUT feature (first, last, concatenate ...)
        return _sorted_pairs(i, j, len(x))
    return i.astype(np.int64, copy=False), j.astype(np.int64, copy=False)


def _sort_cells(cell_id, n_cells):
    """``(order, sorted cell ids)`` of points' cell ids. Where the cell id and the point's
    position fit in one 63-bit key together, one sort of the keys (numpy's vectorised sort
    of values, 7 ms for 1M) replaces an argsort (26 ms) and the gather of the sorted ids."""
    n = len(cell_id)
    index_bits = max(int(n - 1).bit_length(), 1)
    if int(max(n_cells, 1)).bit_length() + index_bits <= 63:
        key = cell_id << index_bits
        key |= np.arange(n, dtype=np.int64)
        key.sort()
        return key & ((1 << index_bits) - 1), key >> index_bits
    order = np.argsort(cell_id)
    return order, cell_id[order]


def _axis_aligned_rectangles(geoms, bounds):
    """True where a geometry is a single polygon without holes that fills its bounding box
    (``bounds``: its rows of xmin, ymin, xmax, ymax) exactly: four corners on the box."""
    import shapely

    out = np.zeros(len(geoms), dtype=bool)
    polygon = shapely.get_type_id(geoms) == 3
    if not polygon.any():
        return out
    cand = np.flatnonzero(polygon)
    g = geoms[cand]
    simple = (shapely.get_num_interior_rings(g) == 0) & \
        (shapely.get_num_coordinates(g) == 5)
    cand, g = cand[simple], g[simple]
    if not len(cand):
        return out
    ring = shapely.get_coordinates(shapely.get_exterior_ring(g)).reshape(len(cand), 5, 2)
    bb = bounds[cand]
    on_x = (ring[:, :, 0] == bb[:, [0]]) | (ring[:, :, 0] == bb[:, [2]])
    on_y = (ring[:, :, 1] == bb[:, [1]]) | (ring[:, :, 1] == bb[:, [3]])
    # every vertex a corner of the box, each edge horizontal or vertical, and the area the
    # box's (which rules out a ring that doubles back on itself)
    edges_ok = (ring[:, 1:, 0] == ring[:, :-1, 0]) | (ring[:, 1:, 1] == ring[:, :-1, 1])
    box_area = (bb[:, 2] - bb[:, 0]) * (bb[:, 3] - bb[:, 1])
    corners = on_x.all(1) & on_y.all(1) & edges_ok.all(1) & (box_area > 0)
    corners &= np.abs(shapely.area(g) - box_area) <= 1e-9 * box_area
    out[cand[corners]] = True
    return out

