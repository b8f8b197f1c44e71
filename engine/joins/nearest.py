"""Join by nearest: the K nearest JOIN features of each INPUT feature, with rank and distance
in metres (QGIS's ``native:joinbynearest``, measured on the ground in every CRS)."""
from __future__ import annotations

import numpy as np

from ..errors import InputError, as_feedback
from .layers import (
    JoinResult,
    _align_crs,
    _check_fields,
    _metric_geoms,
    _prepare,
    _take_fields,
    _with_geometry,
    unique_field_names,
)


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

