"""Joining one layer's attributes to another by place: by a spatial predicate, by nearest
neighbour, and the per-area profile of many layers.

Plain functions on GeoDataFrames; no QGIS. Every spatial match is one shapely ``STRtree``
bulk query (the tree holds the JOIN layer and is queried with the INPUT layer, so a
predicate reads "INPUT feature <predicate> JOIN feature", exactly as QGIS's
``native:joinattributesbylocation``), and every summary is a numpy/pandas group
operation over the matched pairs: no Python loop per feature.

Conventions shared with QGIS (so a model can swap ``native:`` for ``joinedup:``):

- PREDICATE ids 0 intersects, 1 contains, 2 equals, 3 touches, 4 overlaps, 5 within,
  6 crosses, plus 7 = within DISTANCE (metres). Several predicates: a pair matches when
  any of them holds.
- METHOD 0 one row per matching pair, 1 first match only (the matching JOIN feature that
  comes first in the JOIN layer's order), 2 largest overlap, 3 summary.
- SUMMARIES ids 0..18 are those of ``native:joinbylocationsummary`` (count, unique, min,
  max, range, sum, mean, median, stddev, minority, majority, q1, q3, iqr, empty, filled,
  min_length, max_length, mean_length), computed as QGIS's ``QgsStatisticalSummary`` and
  ``QgsStringStatisticalSummary`` do (population standard deviation; median and quartiles
  as QGIS defines them; majority/minority ties go to the smallest value); 19 first,
  20 last, 21 concatenate are JoinedUp's own. Output fields are named
  ``<prefix><field>_<stat>`` as QGIS names them.
- Output field names that clash with INPUT's get ``_2``, ``_3`` ... (QGIS's rule).

Where JoinedUp differs on purpose: an INPUT feature with no match keeps count-like
statistics (count, unique, empty, filled) and sum at 0, not NULL; a JOIN layer in another
CRS is reprojected and the log says so; DISTANCE and nearest-neighbour distances are always
metres (a geographic layer is measured in its local UTM zone).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, as_feedback

PREDICATES = ("intersects", "contains", "equals", "touches", "overlaps", "within", "crosses",
              "distance")
DISTANCE = 7
METHODS = ("one_to_many", "first", "largest_overlap", "summary")
SUMMARIES = ("count", "unique", "min", "max", "range", "sum", "mean", "median", "stddev",
             "minority", "majority", "q1", "q3", "iqr", "empty", "filled", "min_length",
             "max_length", "mean_length", "first", "last", "concat")
SUMMARY_LABELS = ("count", "unique count", "min", "max", "range", "sum", "mean", "median",
                  "stddev (population)", "minority", "majority", "q1", "q3", "iqr",
                  "empty (null)", "filled (not null)", "min length", "max length",
                  "mean length", "first", "last", "concatenate")
# Which statistics apply to which kind of field, in output order (QGIS's order first).
NUMERIC_STATS = tuple(range(14)) + (19, 20, 21)
STRING_STATS = (0, 1, 14, 15, 2, 3, 16, 17, 18, 9, 10, 19, 20, 21)
ZERO_WHEN_UNMATCHED = {0, 1, 5, 14, 15}
CONCAT_SEPARATOR = ","


@dataclass
class JoinResult:
    """The joined table, the INPUT features that matched nothing, and what happened."""
    output: object
    non_matching: object
    matched_count: int = 0
    unmatched_count: int = 0
    notes: list = field(default_factory=list)


# ----------------------------------------------------------------------------- helpers

def _geoms(gdf):
    return np.asarray(gdf.geometry.values, dtype=object)


def _check_fields(gdf, names, what):
    if names is None:
        return [c for c in gdf.columns if c != gdf.geometry.name]
    lookup = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    out = []
    for name in names:
        if name in gdf.columns and name != gdf.geometry.name:
            out.append(name)
        elif str(name).lower() in lookup:
            out.append(lookup[str(name).lower()])
        else:
            raise InputError(
                f"{what} has no field named {name!r}. Its fields are: "
                f"{', '.join(map(str, lookup.values())) or '(none)'}.")
    return out


def unique_field_names(existing, new):
    """QGIS's ``combineFields`` rule: a new name that clashes (case-insensitively) with an
    existing one, or an earlier new one, gets ``_2``, ``_3`` ... appended."""
    used = {str(n).lower() for n in existing}
    out = []
    for name in new:
        candidate, k = str(name), 2
        while candidate.lower() in used:
            candidate = f"{name}_{k}"
            k += 1
        used.add(candidate.lower())
        out.append(candidate)
    return out


def _prepare(gdf, what, invalid, fb):
    """Usable geometries (repaired or skipped per policy) as an array over all rows, with
    None where a row is not usable, and the geometry report."""
    from .geometry import clean_geometries

    usable, mask, report = clean_geometries(gdf, invalid, name=what)
    geoms = np.full(len(gdf), None, dtype=object)
    geoms[mask] = _geoms(usable)
    if report.skipped or report.invalid_repaired:
        fb.log(report.describe(what))
    return geoms, report


def _align_crs(inp, join, what_in, what_join, fb):
    """JOIN in INPUT's CRS (reprojected, with a log line); both without a CRS is allowed
    (assumed the same), one without is an error."""
    from .crs import ensure_projected

    if len(inp) == 0 or len(join) == 0:
        return join  # nothing to match: the CRS does not matter
    if inp.crs is None and join.crs is None:
        fb.log(f"Neither {what_in} nor {what_join} has a CRS: their coordinates are assumed "
               "to be in the same CRS.")
        return join
    if inp.crs is None or join.crs is None:
        missing = what_in if inp.crs is None else what_join
        raise InputError(
            f"{missing} has no coordinate reference system, so it cannot be matched with the "
            "other layer. Set the layer's CRS (Layer Properties > Source) and run again.")
    if inp.crs.equals(join.crs):
        return join
    moved, _, note = ensure_projected(join, target=inp.crs, what=what_join)
    if "xy" in join.attrs:
        from pyproj import Transformer

        x, y = join.attrs["xy"]
        moved.attrs["xy"] = Transformer.from_crs(join.crs, inp.crs, always_xy=True).transform(x, y)
    if note:
        fb.log(note)
    return moved


def _metric_geoms(gdf, geoms, crs_target, what):
    """``geoms`` (an array over gdf's rows) in a metric CRS: gdf's own when projected in
    metres, else ``crs_target`` if given, else the local UTM zone. Returns (array, crs, note)."""
    import geopandas as gpd

    from .crs import ensure_projected

    frame = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms, crs=gdf.crs), crs=gdf.crs)
    frame.attrs.update(gdf.attrs)
    if gdf.crs is None:
        return geoms, None, ""
    moved, crs, note = ensure_projected(frame, target=crs_target, what=what)
    return _geoms(moved), crs, note


def _sorted_pairs(i, j, n_join):
    """Unique (i, j) pairs sorted by INPUT then JOIN order."""
    key = np.unique(i.astype(np.int64) * max(n_join, 1) + j.astype(np.int64))
    return key // max(n_join, 1), key % max(n_join, 1)


def match_pairs(input_geoms, join_geoms, predicates, *, distance_m=None,
                input_metric=None, join_metric=None):
    """Index pairs ``(i, j)`` with INPUT geometry i <predicate> JOIN geometry j for any of
    ``predicates`` (ids as in :data:`PREDICATES`), sorted by i then j.

    ``input_metric``/``join_metric`` are the same geometries in a metric CRS, used for the
    DISTANCE predicate (``distance_m``, metres)."""
    import shapely

    predicates = sorted(set(int(p) for p in predicates))
    if not predicates:
        raise InputError("Choose at least one geometric predicate.")
    bad = [p for p in predicates if not 0 <= p < len(PREDICATES)]
    if bad:
        raise InputError(f"Unknown predicate id {bad[0]}; use 0-{len(PREDICATES) - 1}.")
    n_join = len(join_geoms)
    if n_join == 0 or len(input_geoms) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    found = []
    tree = None
    for p in predicates:
        if p == DISTANCE:
            if distance_m is None or not np.isfinite(distance_m) or distance_m < 0:
                raise InputError("The 'within distance' predicate needs a DISTANCE of 0 metres or more.")
            geoms_in = input_metric if input_metric is not None else input_geoms
            geoms_join = join_metric if join_metric is not None else join_geoms
            idx = shapely.STRtree(geoms_join).query(geoms_in, predicate="dwithin",
                                                    distance=float(distance_m))
        else:
            if tree is None:
                tree = shapely.STRtree(join_geoms)
            name = PREDICATES[p]
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

    if not set(int(p) for p in predicates) <= {0, 1, 3} or method == 2:
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
    pts = np.flatnonzero(ok_pts)
    px, py = x[pts], y[pts]
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
    cx = np.floor((px - x0) / cell).astype(np.int64)
    cy = np.floor((py - y0) / cell).astype(np.int64)
    cell_id = cy * ncx + cx
    order = np.argsort(cell_id)
    sorted_cells = cell_id[order]
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
    cnt = hi - lo
    c_in = np.repeat(r_in, cnt)
    c_pos = np.repeat(lo, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    c_pt = order[c_pos]
    cxv, cyv = px[c_pt], py[c_pt]
    inside = (cxv >= b[c_in, 0]) & (cxv <= b[c_in, 2]) & (cyv >= b[c_in, 1]) & (cyv <= b[c_in, 3])
    c_in, c_pt, cxv, cyv = c_in[inside], c_pt[inside], cxv[inside], cyv[inside]
    geoms = input_geoms[idx]
    preds = set(int(p) for p in predicates)
    hit = np.zeros(len(c_in), dtype=bool)
    # an axis-aligned rectangle (a grid cell) is its own bounding box: a point intersects it
    # when it is inside the closed box (true of every candidate left) and is contained when
    # strictly inside; only the other shapes need GEOS
    rect = _axis_aligned_rectangles(geoms, b)
    exact = ~rect[c_in]
    inter = cont = None
    if preds & {0, 3}:
        inter = np.ones(len(c_in), dtype=bool)
    if preds & {1, 3}:
        cont = (cxv > b[c_in, 0]) & (cxv < b[c_in, 2]) & (cyv > b[c_in, 1]) & (cyv < b[c_in, 3])
    if exact.any():
        shapely.prepare(geoms[~rect])
        g = geoms[c_in[exact]]
        if inter is not None:
            inter[exact] = shapely.intersects_xy(g, cxv[exact], cyv[exact])
        if cont is not None:
            cont[exact] = shapely.contains_xy(g, cxv[exact], cyv[exact])
    if 0 in preds:
        hit |= inter
    if 1 in preds:
        hit |= cont
    if 3 in preds:
        hit |= inter & ~cont
    i = idx[c_in[hit]]  # ascending already: candidates were generated input by input
    j = pts[c_pt[hit]]
    if order_within:  # JOIN order within each INPUT feature (first, last, concatenate ...)
        return _sorted_pairs(i, j, len(x))
    return i.astype(np.int64), j.astype(np.int64)


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


def _group_bounds(i_sorted):
    """(groups, starts, counts) of a sorted integer array."""
    if len(i_sorted) == 0:
        e = np.empty(0, np.int64)
        return e, e, e
    starts = np.flatnonzero(np.r_[True, i_sorted[1:] != i_sorted[:-1]])
    counts = np.diff(np.r_[starts, len(i_sorted)])
    return i_sorted[starts], starts, counts


# ------------------------------------------------------------------------ join by location

def join_by_location(inp, join, *, predicates=(0,), distance_m=None, method=0,
                     join_fields=None, summaries=None, prefix="", discard_nonmatching=False,
                     invalid="repair", feedback=None) -> JoinResult:
    """Join attributes of ``join`` to ``inp`` by location.

    Args:
        inp, join: GeoDataFrames (``attrs['source_name']`` names them in messages).
        predicates: ids of :data:`PREDICATES`; a pair matches when any holds.
        distance_m: the distance for predicate 7, in metres (geographic layers are measured
            in their local UTM zone).
        method: 0 one-to-many, 1 first match, 2 largest overlap, 3 summary.
        join_fields: JOIN fields to copy or summarise (None: all).
        summaries: ids of :data:`SUMMARIES` for method 3 (None or empty: all that apply).
        prefix: put before every joined field's name.
        discard_nonmatching: leave INPUT features with no match out of ``output``.
        invalid: 'repair' or 'skip' invalid geometries (null ones are never matched).

    Returns a :class:`JoinResult`; ``non_matching`` holds the INPUT features that matched
    nothing (including those with no usable geometry).

    Raises:
        InputError: unknown field, predicate, method or statistic; a layer without CRS
            next to one with; a negative distance.
    """
    import pandas as pd

    fb = as_feedback(feedback)
    what_in = inp.attrs.get("source_name", "INPUT")
    what_join = join.attrs.get("source_name", "JOIN")
    if method not in (0, 1, 2, 3):
        raise InputError(f"Unknown join method {method}; use 0-3 ({', '.join(METHODS)}).")
    fields = _check_fields(join, join_fields, f"The join layer {what_join}")
    fb.check()
    in_geoms, in_report = _prepare(inp, f"INPUT {what_in}", invalid, fb)
    xy = join.attrs.get("xy")
    if xy is not None and not _xy_path_applies(predicates, method, in_geoms):
        join, xy = points_from_xy(join), None
    join = _align_crs(inp, join, what_in, what_join, fb)
    if xy is not None:
        xy = join.attrs["xy"]
        join_geoms = None
    else:
        join_geoms, _ = _prepare(join, f"JOIN {what_join}", invalid, fb)
    fb.set_progress(0.1)
    input_metric = join_metric = None
    if DISTANCE in set(int(p) for p in predicates) and inp.crs is not None:
        input_metric, crs_m, note = _metric_geoms(inp, in_geoms, None, f"INPUT {what_in}")
        join_metric, _, _ = _metric_geoms(join, join_geoms, crs_m, f"JOIN {what_join}")
        if note:
            fb.log(note)
    fb.check()
    if xy is not None:
        order_free = method == 3 and summaries and not set(int(s) for s in summaries) & {19, 20, 21}
        i, j = match_pairs_xy(in_geoms, xy[0], xy[1], predicates, order_within=not order_free)
    else:
        i, j = match_pairs(in_geoms, join_geoms, predicates, distance_m=distance_m,
                           input_metric=input_metric, join_metric=join_metric)
    fb.set_progress(0.5)
    fb.check()
    n = len(inp)
    matched = np.zeros(n, dtype=bool)
    matched[i] = True
    base = inp.reset_index(drop=True)
    if method == 3:
        stats = _summaries(join, fields, i, j, n, summaries, fb)
        names = unique_field_names(base.columns, [f"{prefix}{c}" for c in stats.columns])
        stats.columns = names
        out = pd.concat([base.drop(columns=base.geometry.name), stats], axis=1)
        out = _with_geometry(out, base)
        if discard_nonmatching:
            out = out[matched]
    else:
        if method == 1:
            first = np.ones(len(i), dtype=bool)
            first[1:] = i[1:] != i[:-1]
            i, j = i[first], j[first]
        elif method == 2:
            i, j = _largest_overlap(in_geoms, join_geoms, i, j)
        rows_i, rows_j = i, j
        if not discard_nonmatching:
            rows_i = np.concatenate([i, np.flatnonzero(~matched)])
            rows_j = np.concatenate([j, np.full(int((~matched).sum()), -1)])
            order = np.lexsort((rows_j < 0, rows_i))
            rows_i, rows_j = rows_i[order], rows_j[order]
        copied = _take_fields(join, fields, rows_j)
        copied.columns = unique_field_names(base.columns, [f"{prefix}{c}" for c in fields])
        left = base.iloc[rows_i].reset_index(drop=True)
        out = pd.concat([left.drop(columns=base.geometry.name), copied], axis=1)
        out = _with_geometry(out, left)
    non_matching = base[~matched]
    fb.set_progress(1.0)
    unusable = in_report.skipped
    result = JoinResult(output=out, non_matching=non_matching,
                        matched_count=int(matched.sum()), unmatched_count=int((~matched).sum()))
    result.notes.append(
        f"{result.matched_count} of {n} INPUT features matched at least one JOIN feature "
        f"({len(i)} matching pairs); {result.unmatched_count} matched nothing"
        + (f" (of which {unusable} had no usable geometry)" if unusable else "")
        + (" and were left out (DISCARD_NONMATCHING)." if discard_nonmatching
           else " and are kept with empty join fields" + (" (counts 0)." if method == 3 else ".")))
    for note in result.notes:
        fb.log(note)
    return result


def _with_geometry(frame, like):
    import geopandas as gpd

    geom = like.geometry.reset_index(drop=True)
    frame = frame.reset_index(drop=True)
    frame[like.geometry.name] = geom.values
    return gpd.GeoDataFrame(frame, geometry=like.geometry.name, crs=like.crs)


def _take_fields(join, fields, rows_j):
    """JOIN's ``fields`` for rows ``rows_j`` (-1: an empty row), keeping integer and boolean
    types through the gaps (pandas nullable dtypes)."""
    import pandas as pd

    sub = join[fields].reset_index(drop=True).copy()
    for c in fields:
        if pd.api.types.is_integer_dtype(sub[c].dtype) and not isinstance(sub[c].dtype, pd.Int64Dtype):
            sub[c] = sub[c].astype("Int64")
        elif pd.api.types.is_bool_dtype(sub[c].dtype):
            sub[c] = sub[c].astype("boolean")
    out = sub.reindex(rows_j).reset_index(drop=True)
    return out


def _largest_overlap(in_geoms, join_geoms, i, j):
    """For each INPUT feature, the matching JOIN feature with the largest overlap: area of
    the intersection when both are polygons, else its length; ties (and points) go to the
    first in JOIN order."""
    import shapely

    if len(i) == 0:
        return i, j
    a, b = in_geoms[i], join_geoms[j]
    dim_a, dim_b = shapely.get_dimensions(a), shapely.get_dimensions(b)
    measure = np.zeros(len(i))
    areal = (dim_a == 2) & (dim_b == 2)
    linear = ~areal & (np.minimum(dim_a, dim_b) >= 1)
    if areal.any():
        measure[areal] = shapely.area(shapely.intersection(a[areal], b[areal]))
    if linear.any():
        measure[linear] = shapely.length(shapely.intersection(a[linear], b[linear]))
    order = np.lexsort((j, -measure, i))
    i, j = i[order], j[order]
    first = np.ones(len(i), dtype=bool)
    first[1:] = i[1:] != i[:-1]
    return i[first], j[first]


# --------------------------------------------------------------------------------- summaries

def _field_kind(series) -> str:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "numeric"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "string"


def _summaries(join, fields, i, j, n, summaries, fb):
    """A DataFrame with one row per INPUT feature (0..n-1) and a column per field and
    statistic, named ``<field>_<stat>``."""
    import pandas as pd

    wanted = set(range(len(SUMMARIES))) if not summaries else set(int(s) for s in summaries)
    bad = sorted(s for s in wanted if not 0 <= s < len(SUMMARIES))
    if bad:
        raise InputError(f"Unknown summary id {bad[0]}; use 0-{len(SUMMARIES) - 1}.")
    columns = {}
    skipped = []
    for k, name in enumerate(fields):
        fb.check()
        series = join[name].reset_index(drop=True)
        kind = _field_kind(series)
        order = NUMERIC_STATS if kind == "numeric" else STRING_STATS
        chosen = [s for s in order if s in wanted]
        not_applicable = sorted(wanted - set(order))
        if not_applicable:
            skipped.append(f"{name} ({kind}): {', '.join(SUMMARIES[s] for s in not_applicable)}")
        if not chosen:
            continue
        values = series.to_numpy(dtype=object, na_value=None) if kind == "string" else series
        stats = (_numeric_stats if kind == "numeric" else _string_stats)(values, i, j, n, chosen)
        for s in chosen:
            columns[f"{name}_{SUMMARIES[s]}"] = stats[s]
    if skipped:
        fb.log("Statistics that do not apply to a field's type were not calculated: "
               + "; ".join(skipped) + ".")
    return pd.DataFrame(columns, index=range(n))


def _per_group(n, groups, values, dtype=float, fill=np.nan):
    out = np.full(n, fill, dtype=dtype)
    out[groups] = values
    return out


def _median_sorted(sorted_vals, starts, counts):
    """Median of each run [start, start+count) of an array sorted within runs (QGIS's
    definition: the middle value, or the mean of the two middle values)."""
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    return (sorted_vals[lo] + sorted_vals[hi]) / 2.0


def _numeric_stats(series, i, j, n, chosen):
    """QgsStatisticalSummary over the non-null values of each INPUT feature's matches."""
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce").astype(float).to_numpy(dtype=float, na_value=np.nan)
    v_all = values[j] if len(j) else np.empty(0)
    ok = ~np.isnan(v_all)
    gi, gv = i[ok], v_all[ok]
    out = {}
    # i is sorted, so runs per INPUT feature are contiguous. Sort values within runs only
    # when a statistic needs the order (median, quartiles, majority, minority, unique).
    if {1, 7, 9, 10, 11, 12, 13} & set(chosen):
        order = np.lexsort((gv, gi))
        si, sv = gi[order], gv[order]
    else:
        si, sv = gi, gv
    groups, starts, counts = _group_bounds(si)
    cnt = _per_group(n, groups, counts, dtype=np.int64, fill=0)
    sums = _per_group(n, groups, np.add.reduceat(sv, starts) if len(sv) else [], fill=0.0)
    # QGIS's sum over no values is 0; for INPUT features with no match at all JoinedUp
    # also writes 0 (see module doc).
    if 0 in chosen:
        out[0] = cnt
    if 5 in chosen:
        out[5] = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
    if 6 in chosen:
        out[6] = mean
    if {2, 3, 4} & set(chosen):
        mins = _per_group(n, groups, np.minimum.reduceat(sv, starts) if len(sv) else [])
        maxs = _per_group(n, groups, np.maximum.reduceat(sv, starts) if len(sv) else [])
        out[2], out[3], out[4] = mins, maxs, maxs - mins
    if 8 in chosen:
        dev = sv - mean[si]
        ss = _per_group(n, groups, np.add.reduceat(dev * dev, starts) if len(sv) else [])
        out[8] = np.sqrt(ss / np.where(cnt > 0, cnt, np.nan))  # population, as QGIS
    if 7 in chosen:
        out[7] = _per_group(n, groups, _median_sorted(sv, starts, counts) if len(sv) else [])
    if {11, 12, 13} & set(chosen):
        # QGIS: Q1 = median of the lower half, Q3 = of the upper half; for an odd count
        # both halves include the middle value.
        half = np.where(counts % 2 == 0, counts // 2, counts // 2 + 1)
        q1 = _median_sorted(sv, starts, half) if len(sv) else np.empty(0)
        q3 = _median_sorted(sv, starts + counts - half, half) if len(sv) else np.empty(0)
        out[11] = _per_group(n, groups, q1)
        out[12] = _per_group(n, groups, q3)
        out[13] = out[12] - out[11]
    if {1, 9, 10} & set(chosen):
        # runs of equal values within each input feature
        new_run = np.ones(len(sv), dtype=bool)
        if len(sv):
            new_run[1:] = (si[1:] != si[:-1]) | (sv[1:] != sv[:-1])
        run_starts = np.flatnonzero(new_run)
        run_i, run_v = si[run_starts], sv[run_starts]
        run_n = np.diff(np.append(run_starts, len(sv)))
        out[1] = np.bincount(run_i, minlength=n).astype(np.int64) if len(run_i) else np.zeros(n, np.int64)
        if 10 in chosen:  # most frequent; ties -> smallest value (QMap order, as QGIS)
            o = np.lexsort((run_v, -run_n, run_i))
            out[10] = _first_per_group(n, run_i[o], run_v[o])
        if 9 in chosen:
            o = np.lexsort((run_v, run_n, run_i))
            out[9] = _first_per_group(n, run_i[o], run_v[o])
    if {19, 20, 21} & set(chosen):
        _order_stats(out, series.to_numpy(dtype=object, na_value=None), i, j, n, chosen,
                     numeric=True)
    return out


def _first_per_group(n, gi_sorted, values_sorted, fill=np.nan, dtype=float):
    out = np.full(n, fill, dtype=dtype)
    if len(gi_sorted):
        first = np.ones(len(gi_sorted), dtype=bool)
        first[1:] = gi_sorted[1:] != gi_sorted[:-1]
        out[gi_sorted[first]] = values_sorted[first]
    return out


def _order_stats(out, raw, i, j, n, chosen, numeric=False):
    """first / last (value of the first / last matching JOIN feature in JOIN order, null
    included) and concat (non-null values in JOIN order, joined by ``,``)."""
    import pandas as pd

    vals = np.asarray(raw, dtype=object)[j] if len(j) else np.empty(0, dtype=object)
    if 19 in chosen:
        out[19] = _first_per_group(n, i, vals, fill=None, dtype=object)
    if 20 in chosen:
        rev = np.arange(len(i))[::-1]
        out[20] = _first_per_group(n, i[rev], vals[rev], fill=None, dtype=object)
    if numeric:  # keep numbers numeric (NaN = NULL)
        for s_ in (19, 20):
            if s_ in out:
                out[s_] = _to_float(out[s_])
    if 21 in chosen:
        s = pd.Series(vals, dtype=object)
        ok = s.notna().to_numpy()
        text = s[ok].map(_as_text)
        joined = text.groupby(i[ok], sort=True).agg(CONCAT_SEPARATOR.join)
        res = np.full(n, None, dtype=object)
        res[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
        out[21] = res


def _to_float(values):
    import pandas as pd

    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


def _as_text(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _string_stats(values, i, j, n, chosen):
    """QgsStringStatisticalSummary: null counts as the empty string; count includes it,
    min/max ignore it; lengths count it as 0."""
    import pandas as pd

    vals = values[j] if len(j) else np.empty(0, dtype=object)
    s = pd.Series(vals, dtype=object)
    isnull = s.isna().to_numpy()
    text = s.where(~isnull, "").map(str) if len(s) else pd.Series([], dtype=object)
    text_arr = text.to_numpy(dtype=object)
    empty = (text_arr == "") if len(text_arr) else np.zeros(0, dtype=bool)
    out = {}
    cnt = np.bincount(i, minlength=n).astype(np.int64) if len(i) else np.zeros(n, np.int64)
    n_empty = np.bincount(i[empty], minlength=n).astype(np.int64) if len(i) else np.zeros(n, np.int64)
    out[0], out[14], out[15] = cnt, n_empty, cnt - n_empty
    lengths = text.str.len().to_numpy(dtype=float) if len(text) else np.zeros(0)
    if {16, 17, 18} & set(chosen):
        tot = np.bincount(i, weights=lengths, minlength=n) if len(i) else np.zeros(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[18] = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
        o = np.lexsort((lengths, i))
        out[16] = _first_per_group(n, i[o], lengths[o])
        o = np.lexsort((-lengths, i))
        out[17] = _first_per_group(n, i[o], lengths[o])
    if {1, 2, 3, 9, 10} & set(chosen) and len(i):
        # factorise the strings into codes ordered like the strings themselves
        uniques, codes = np.unique(text_arr.astype(str), return_inverse=True)
        codes = codes.ravel()
        o = np.lexsort((codes, i))
        si, sc = i[o], codes[o]
        new_run = np.ones(len(sc), dtype=bool)
        new_run[1:] = (si[1:] != si[:-1]) | (sc[1:] != sc[:-1])
        run_starts = np.flatnonzero(new_run)
        run_i, run_c = si[run_starts], sc[run_starts]
        run_n = np.diff(np.append(run_starts, len(sc)))
        out[1] = np.bincount(run_i, minlength=n).astype(np.int64)
        nonempty = uniques[run_c] != ""
        # min/max over non-empty strings
        mi, mc = run_i[nonempty], run_c[nonempty]
        out[2] = _first_per_group(n, mi, uniques[mc].astype(object), fill=None, dtype=object)
        rev = np.lexsort((-mc, mi))
        out[3] = _first_per_group(n, mi[rev], uniques[mc[rev]].astype(object), fill=None, dtype=object)
        ri, rc, rn = run_i[nonempty], run_c[nonempty], run_n[nonempty]
        o = np.lexsort((rc, -rn, ri))
        out[10] = _first_per_group(n, ri[o], uniques[rc[o]].astype(object), fill=None, dtype=object)
        o = np.lexsort((rc, rn, ri))
        out[9] = _first_per_group(n, ri[o], uniques[rc[o]].astype(object), fill=None, dtype=object)
    elif {1, 2, 3, 9, 10} & set(chosen):
        out[1] = np.zeros(n, np.int64)
        for s_ in (2, 3, 9, 10):
            out[s_] = np.full(n, None, dtype=object)
    if {19, 20, 21} & set(chosen):
        _order_stats(out, values, i, j, n, chosen)
    return out


# ------------------------------------------------------------------------------- nearest

def join_nearest(inp, join, *, neighbors=1, max_distance_m=None, join_fields=None, prefix="",
                 discard_nonmatching=False, invalid="repair", feedback=None) -> JoinResult:
    """For each INPUT feature, the ``neighbors`` nearest JOIN features (within
    ``max_distance_m`` metres when given): one row per (feature, neighbour) with the JOIN
    fields, ``n`` (rank, 1 = nearest) and ``distance`` (metres).

    Distances are measured in INPUT's CRS when it is projected in metres, else in the local
    UTM zone of INPUT (logged). Ties are broken by JOIN layer order, so the result never
    depends on the index. INPUT features with nothing in range are kept with empty fields
    (or left out with ``discard_nonmatching``) and also returned in ``non_matching``.
    """
    import pandas as pd

    fb = as_feedback(feedback)
    what_in = inp.attrs.get("source_name", "INPUT")
    what_join = join.attrs.get("source_name", "JOIN")
    k = int(neighbors)
    if k < 1:
        raise InputError("The number of neighbours must be 1 or more.")
    if max_distance_m is not None and (not np.isfinite(max_distance_m) or max_distance_m < 0):
        raise InputError("MAX_DISTANCE must be 0 metres or more (leave it empty for no limit).")
    fields = _check_fields(join, join_fields, f"The join layer {what_join}")
    join = _align_crs(inp, join, what_in, what_join, fb)
    in_geoms, in_report = _prepare(inp, f"INPUT {what_in}", invalid, fb)
    join_geoms, _ = _prepare(join, f"JOIN {what_join}", invalid, fb)
    if inp.crs is not None:
        in_m, crs_m, note = _metric_geoms(inp, in_geoms, None, f"INPUT {what_in}")
        join_m, _, _ = _metric_geoms(join, join_geoms, crs_m, f"JOIN {what_join}")
        if note:
            fb.log(note)
    else:
        in_m, join_m = in_geoms, join_geoms
        fb.log("The layers have no CRS: distances are in their coordinate units.")
    fb.set_progress(0.1)
    fb.check()
    i, j, d = _k_nearest(in_m, join_m, k, max_distance_m, fb)
    fb.set_progress(0.8)
    n = len(inp)
    matched = np.zeros(n, dtype=bool)
    matched[i] = True
    rank = _rank_within(i)
    rows_i, rows_j, rows_rank, rows_d = i, j, rank.astype(float), d
    if not discard_nonmatching:
        miss = np.flatnonzero(~matched)
        rows_i = np.concatenate([i, miss])
        rows_j = np.concatenate([j, np.full(len(miss), -1)])
        rows_rank = np.concatenate([rows_rank, np.full(len(miss), np.nan)])
        rows_d = np.concatenate([d, np.full(len(miss), np.nan)])
        order = np.lexsort((np.nan_to_num(rows_rank, nan=0), rows_i))
        rows_i, rows_j, rows_rank, rows_d = rows_i[order], rows_j[order], rows_rank[order], rows_d[order]
    base = inp.reset_index(drop=True)
    copied = _take_fields(join, fields, rows_j)
    names = unique_field_names(base.columns, [f"{prefix}{c}" for c in fields] + ["n", "distance"])
    copied["n"] = pd.array(np.where(np.isnan(rows_rank), 0, rows_rank).astype(np.int64), dtype="Int64")
    copied.loc[np.isnan(rows_rank), "n"] = pd.NA
    copied["distance"] = rows_d
    copied.columns = names
    left = base.iloc[rows_i].reset_index(drop=True)
    out = _with_geometry(pd.concat([left.drop(columns=base.geometry.name), copied], axis=1), left)
    result = JoinResult(output=out, non_matching=base[~matched],
                        matched_count=int(matched.sum()), unmatched_count=int((~matched).sum()))
    unusable = in_report.skipped
    result.notes.append(
        f"{result.matched_count} of {n} INPUT features have at least one neighbour"
        + (f" within {max_distance_m:g} m" if max_distance_m is not None else "")
        + f" ({len(i)} rows); {result.unmatched_count} have none"
        + (f" (of which {unusable} had no usable geometry)" if unusable else "")
        + (" and were left out (DISCARD_NONMATCHING)." if discard_nonmatching else " and are kept with empty fields."))
    for note_ in result.notes:
        fb.log(note_)
    fb.set_progress(1.0)
    return result


def _rank_within(i_sorted):
    """1-based position of each element within its run of equal values."""
    if len(i_sorted) == 0:
        return np.empty(0, np.int64)
    starts = np.ones(len(i_sorted), dtype=bool)
    starts[1:] = i_sorted[1:] != i_sorted[:-1]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(len(i_sorted)), 0))
    return np.arange(len(i_sorted)) - start_pos + 1


def _k_nearest(a, b, k, max_d, fb):
    """(i, j, distance) of the k nearest b for each a (within max_d), sorted by i, then
    distance, then j. One STRtree bulk query per round of growing search radii."""
    import shapely

    n_a, n_b = len(a), len(b)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    if n_a == 0 or n_b == 0:
        return empty
    tree = shapely.STRtree(b)
    usable_b = int((~(shapely.is_missing(b) | shapely.is_empty(b))).sum())
    kwargs = {"max_distance": float(max_d)} if max_d is not None else {}
    idx, dist = tree.query_nearest(a, return_distance=True, all_matches=True, **kwargs)
    if k == 1 or usable_b <= 1:
        i, j, d = idx[0], idx[1], dist
    else:
        # nearest distance per a: the starting radius; grow until k candidates are in range
        d1 = np.full(n_a, np.nan)
        d1[idx[0]] = dist  # any of the tied ones: same distance
        has = ~np.isnan(d1)
        x0, y0, x1, y1 = shapely.total_bounds(b)
        spread = max(x1 - x0, y1 - y0, 1e-9)
        step = spread * np.sqrt(k / max(usable_b, 1))
        radius = np.where(has, d1 + step, np.nan)
        if max_d is not None:
            radius = np.minimum(radius, max_d)
        todo = np.flatnonzero(has)
        pieces = []
        need = min(k, usable_b)
        while len(todo):
            fb.check()
            found = tree.query(a[todo], predicate="dwithin", distance=radius[todo])
            count = np.bincount(found[0], minlength=len(todo))
            capped = np.isinf(radius[todo]) if max_d is None else radius[todo] >= max_d
            done = (count >= need) | capped
            keep = done[found[0]]
            pieces.append(np.vstack([todo[found[0][keep]], found[1][keep]]))
            todo = todo[~done]
            radius[todo] = radius[todo] * 2.0 + step
            if max_d is not None:
                radius[todo] = np.minimum(radius[todo], max_d)
        pairs = np.concatenate(pieces, axis=1) if pieces else np.empty((2, 0), np.int64)
        i, j = pairs[0], pairs[1]
        d = shapely.distance(a[i], b[j])
    if max_d is not None:
        ok = d <= max_d
        i, j, d = i[ok], j[ok], d[ok]
    order = np.lexsort((j, d, i))
    i, j, d = i[order], j[order], d[order]
    keep = _rank_within(i) <= k
    return i[keep].astype(np.int64), j[keep].astype(np.int64), d[keep]


# --------------------------------------------------------------------------- area profile

@dataclass
class ProfileLayer:
    """One agency layer for :func:`area_profile`: its name (for column names), data, and an
    optional numeric field to sum and average per area."""
    name: str
    gdf: object
    value_field: str | None = None


SHORT_SUFFIX = {"count": "_n", "length": "_m", "share": "_sh", "rate": "_pk", "sum": "_su",
                "mean": "_mn"}
LONG_SUFFIX = {"count": "_count", "length": "_length_m", "share": "_share",
               "rate": "_per_1000", "sum": "_sum", "mean": "_mean"}
RESERVED = {"fid", "geom", "geometry", "ogc_fid", "shape"}


def sanitise_name(text: str, max_len: int = 40) -> str:
    """A field-name stem from a layer name: ASCII letters, digits and ``_``, lower case,
    starting with a letter, at most ``max_len`` characters (accents dropped: 'Päiväkodit'
    -> 'paivakodit')."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")
    if not plain:
        plain = "layer"
    if not plain[0].isalpha():
        plain = "l" + plain
    return plain[:max_len].rstrip("_") or "layer"


def _unique(candidate: str, used: set, max_len: int) -> str:
    name, k = candidate, 2
    while name.lower() in used:
        tail = str(k)
        name = candidate[: max_len - len(tail)] + tail
        k += 1
    used.add(name.lower())
    return name


def profile_column_names(layer_names, area_fields, *, short=False):
    """Per layer, a unique stem; returns (stems, used) where ``used`` holds every taken
    lower-case name. ``short`` keeps every column within shapefile's 10 characters."""
    max_len = 10 if short else 60
    stem_len = 7 if short else 40
    used = {str(f).lower() for f in area_fields} | RESERVED
    stems, taken = [], set()
    for name in layer_names:
        stems.append(_unique(sanitise_name(name, stem_len), taken, stem_len))
    return stems, used, max_len


def area_profile(areas, layers, *, population_field=None, short_names=False, invalid="repair",
                 feedback=None):
    """One row per area with, per layer: ``<stem>_count`` (points), ``<stem>_length_m``
    (lines: length inside the area, metres) or ``<stem>_share`` (polygons: share of the
    area covered, 0-1, overlaps counted once); with a value field ``<stem>_<field>_sum`` and
    ``_mean`` over the layer's features that intersect the area; with a population field
    ``<stem>_per_1000`` (points: count, lines: metres per 1,000 people; NULL where the
    population is 0 or NULL).

    ``short_names`` makes every new column at most 10 characters (``<stem7>_n``, ``_m``,
    ``_sh``, ``_pk``, ``_su``, ``_mn``) so shapefile keeps them apart. Returns
    ``(gdf, columns)`` where ``columns`` maps each new column to what it holds.
    """
    import pandas as pd
    import shapely

    from .crs import common_crs

    fb = as_feedback(feedback)
    what = areas.attrs.get("source_name", "AREAS")
    if not layers:
        raise InputError("Choose at least one layer to profile the areas with.")
    pop = None
    if population_field:
        pop_name = _check_fields(areas, [population_field], f"The areas layer {what}")[0]
        pop = pd.to_numeric(areas[pop_name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    frames = [areas] + [lay.gdf for lay in layers]
    names = [f"AREAS {what}"] + [f"layer {lay.name}" for lay in layers]
    crs_values = [f.crs for f in frames]
    if all(c is None for c in crs_values):
        fb.log("No layer has a CRS: lengths and areas are in the layers' coordinate units.")
        metric = frames
    else:
        missing = [nm for nm, c in zip(names, crs_values) if c is None]
        if missing:
            raise InputError(f"{missing[0]} has no coordinate reference system. Set it and run again.")
        metric, crs, notes = common_crs(frames, names)
        for note in notes:
            fb.log(note)
    area_geoms, _ = _prepare(metric[0], f"AREAS {what}", invalid, fb)
    area_size = shapely.area(area_geoms)
    area_size = np.where(np.isnan(area_size.astype(float)), np.nan, area_size)
    n = len(areas)
    stems, used, max_len = profile_column_names([lay.name for lay in layers], areas.columns,
                                                short=short_names)
    suffix = SHORT_SUFFIX if short_names else LONG_SUFFIX
    new_cols, described = {}, {}

    def add(stem, key, values, text, extra=""):
        sfx = suffix[key] if not extra else (
            suffix[key] if short_names else f"_{sanitise_name(extra, 20)}{suffix[key]}")
        col = _unique(f"{stem}{sfx}"[:max_len], used, max_len)
        new_cols[col] = values
        described[col] = text

    for k, (lay, frame, stem) in enumerate(zip(layers, metric[1:], stems)):
        fb.check()
        fb.set_progress(k / len(layers))
        geoms, _ = _prepare(frame, f"layer {lay.name}", invalid, fb)
        dims = shapely.get_dimensions(geoms[~shapely.is_missing(geoms)])
        kind = lay.gdf.attrs.get("geometry_kind") or (
            {0: "point", 1: "line", 2: "polygon"}.get(int(dims.max()), "none") if len(dims) else "point")
        if kind == "none":
            raise InputError(f"Layer {lay.name} has no geometry; it cannot be profiled by area.")
        tree_geoms = geoms
        if kind == "polygon":
            # overlaps counted once: dissolve the layer, then measure its disjoint parts
            usable = geoms[~shapely.is_missing(geoms)]
            tree_geoms = shapely.get_parts(shapely.union_all(usable)) if len(usable) else np.empty(0, dtype=object)
        pairs = shapely.STRtree(tree_geoms).query(area_geoms, predicate="intersects") \
            if len(tree_geoms) else np.empty((2, 0), np.int64)
        ai, li = pairs[0], pairs[1]
        if kind == "point":
            count = np.bincount(ai, minlength=n).astype(np.int64)
            add(stem, "count", count, f"number of {lay.name} features in the area")
            measure = count.astype(float)
        elif kind == "line":
            length = shapely.length(shapely.intersection(area_geoms[ai], tree_geoms[li])) if len(ai) else np.empty(0)
            measure = np.bincount(ai, weights=length, minlength=n)
            add(stem, "length", measure, f"length of {lay.name} inside the area, metres")
        else:
            covered = shapely.area(shapely.intersection(area_geoms[ai], tree_geoms[li])) if len(ai) else np.empty(0)
            tot = np.bincount(ai, weights=covered, minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(area_size > 0, np.minimum(tot / area_size, 1.0), np.nan)
            add(stem, "share", share, f"share of the area covered by {lay.name}, 0-1")
            measure = None
        if lay.value_field:
            vf = _check_fields(lay.gdf, [lay.value_field], f"Layer {lay.name}")[0]
            vals = pd.to_numeric(lay.gdf[vf], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            if kind == "polygon":
                pairs = shapely.STRtree(geoms).query(area_geoms, predicate="intersects")
                ai, li = pairs[0], pairs[1]
            v = vals[li]
            ok = ~np.isnan(v)
            s = np.bincount(ai[ok], weights=v[ok], minlength=n)
            c = np.bincount(ai[ok], minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(c > 0, s / np.maximum(c, 1), np.nan)
            add(stem, "sum", s, f"sum of {lay.name}.{vf} over its features touching the area", vf)
            add(stem, "mean", mean, f"mean of {lay.name}.{vf} over its features touching the area", vf)
        if pop is not None and measure is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(pop > 0, measure * 1000.0 / pop, np.nan)
            unit = "features" if kind == "point" else "metres"
            add(stem, "rate", rate, f"{lay.name} {unit} per 1,000 people ({population_field})")
    out = areas.reset_index(drop=True).copy()
    geom_name = out.geometry.name
    extra = pd.DataFrame(new_cols, index=out.index)
    out = pd.concat([out.drop(columns=geom_name), extra], axis=1)
    import geopandas as gpd

    out[geom_name] = areas.geometry.values
    out = gpd.GeoDataFrame(out, geometry=geom_name, crs=areas.crs)
    skipped = int(shapely.is_missing(area_geoms).sum())
    if skipped:
        fb.log(f"{skipped} areas have no usable geometry: they are kept with counts and lengths 0 "
               "and empty shares.")
    fb.set_progress(1.0)
    return out, described


def parse_value_fields(spec: str | None, layer_names, layer_fields):
    """The value field for each layer from a text like ``"budget"`` (every layer that has a
    field ``budget``) or ``"inspections:score; permits:fee"`` (per layer, by name).

    Returns a list (one entry per layer, None for none). Raises InputError when a named
    layer or field does not exist, so a typo never passes silently."""
    chosen = [None] * len(layer_names)
    if not spec or not str(spec).strip():
        return chosen
    lowered = [str(n).lower() for n in layer_names]
    for raw in re.split(r"[;,]", str(spec)):
        entry = raw.strip()
        if not entry:
            continue
        if ":" in entry:
            layer, fname = (part.strip() for part in entry.rsplit(":", 1))
            if layer.lower() not in lowered:
                raise InputError(f"VALUE_FIELDS names the layer {layer!r}, which is not among the "
                                 f"layers: {', '.join(map(str, layer_names))}.")
            k = lowered.index(layer.lower())
            lookup = {str(f).lower(): f for f in layer_fields[k]}
            if fname.lower() not in lookup:
                raise InputError(f"Layer {layer_names[k]} has no field named {fname!r}. Its fields "
                                 f"are: {', '.join(map(str, layer_fields[k])) or '(none)'}.")
            chosen[k] = lookup[fname.lower()]
        else:
            hits = 0
            for k, fields in enumerate(layer_fields):
                lookup = {str(f).lower(): f for f in fields}
                if entry.lower() in lookup and chosen[k] is None:
                    chosen[k] = lookup[entry.lower()]
                    hits += 1
            if not hits and not any(entry.lower() in {str(f).lower() for f in fs} for fs in layer_fields):
                raise InputError(f"No layer has a field named {entry!r} (VALUE_FIELDS).")
    return chosen
