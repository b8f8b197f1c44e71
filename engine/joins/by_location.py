"""Join by location: JOIN's attributes onto INPUT's features where their geometries meet, in
the four ways of QGIS's ``native:joinattributesbylocation`` and ``native:joinbylocationsummary``
(one row per pair, first match, largest overlap, summary)."""
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
from .matching import _xy_path_applies, check_predicates, match_pairs, match_pairs_xy, points_from_xy
from .statistics import ORDER_STATS, summarise_matches

# How matches become rows (QGIS's METHOD ids 0, 1, 2 of joinattributesbylocation, then its summary join).
METHODS = ("one-to-many", "first", "largest-overlap", "summary")


def join_by_location(inp, join, *, predicates=("intersects",), distance_m=None, method="one-to-many",
                     join_fields=None, summaries=None, prefix="", discard_nonmatching=False,
                     invalid="repair", feedback=None) -> JoinResult:
    """Join attributes of ``join`` to ``inp`` by location.

    Args:
        inp, join: GeoDataFrames (``attrs['source_name']`` names them in messages).
        predicates: names of :data:`~.matching.PREDICATES`; a pair matches when any holds.
        distance_m: the distance for the "dwithin" predicate, in metres (geographic layers are
            measured in their local UTM zone).
        method: one of :data:`METHODS`: "one-to-many" (a row per matching pair), "first"
            (the first match in JOIN order), "largest-overlap", "summary" (a row per INPUT
            feature with statistics of its matches).
        join_fields: JOIN fields to copy or summarise (None: all).
        summaries: names of :data:`~.statistics.SUMMARIES` for the "summary" method (None or
            empty: all that apply).
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
    if method not in METHODS:
        raise InputError(f"Unknown join method {method!r}; use one of {', '.join(METHODS)}.")
    predicates = check_predicates(predicates)
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
    if "dwithin" in predicates and inp.crs is not None:
        input_metric, crs_m, note = _metric_geoms(inp, in_geoms, None, f"INPUT {what_in}")
        join_metric, _, _ = _metric_geoms(join, join_geoms, crs_m, f"JOIN {what_join}")
        if note:
            fb.log(note)
    fb.check()
    if xy is not None:
        order_free = method == "summary" and summaries and not set(summaries) & set(ORDER_STATS)
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
    if method == "summary":
        out = summary_output(base, summarise_matches(join, fields, i, j, n, summaries, fb), matched,
                             prefix, discard_nonmatching)
    else:
        if method == "first":
            first = np.ones(len(i), dtype=bool)
            first[1:] = i[1:] != i[:-1]
            i, j = i[first], j[first]
        elif method == "largest-overlap":
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
    fb.set_progress(1.0)
    return join_result(base, out, matched, len(i), in_report.skipped, method, discard_nonmatching, fb)


def summary_output(base, stats, matched, prefix, discard_nonmatching):
    """The summary join's output: INPUT's rows (``base``, index 0..n-1) with the statistics'
    columns (``stats``, one row per INPUT row) added under QGIS's names (prefix, clashes get
    _2 ...), the rows that matched nothing left out when ``discard_nonmatching``. Shared with
    the summary on a Dask cluster (``engine.scale_points.summary_join_on_cluster``)."""
    import pandas as pd

    stats = stats.copy()
    stats.columns = unique_field_names(base.columns, [f"{prefix}{c}" for c in stats.columns])
    out = pd.concat([base.drop(columns=base.geometry.name), stats], axis=1)
    out = _with_geometry(out, base)
    return out[matched] if discard_nonmatching else out


def join_result(base, out, matched, n_pairs, unusable, method, discard_nonmatching, fb) -> JoinResult:
    """The :class:`JoinResult` of a join whose INPUT rows ``matched`` (a boolean array over
    ``base``) in ``n_pairs`` pairs, with the log line that accounts for every INPUT feature."""
    n = len(base)
    result = JoinResult(output=out, non_matching=base[~matched],
                        matched_count=int(matched.sum()), unmatched_count=int((~matched).sum()))
    result.notes.append(
        f"{result.matched_count} of {n} INPUT features matched at least one JOIN feature "
        f"({n_pairs} matching pairs); {result.unmatched_count} matched nothing"
        + (f" (of which {unusable} had no usable geometry)" if unusable else "")
        + (" and were left out (DISCARD_NONMATCHING)." if discard_nonmatching
           else " and are kept with empty join fields" + (" (counts 0)." if method == "summary" else ".")))
    for note in result.notes:
        fb.log(note)
    return result



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

