"""Summary statistics of the JOIN features each INPUT feature matched, computed as QGIS's
``native:joinbylocationsummary`` computes them: ``QgsStatisticalSummary`` for numeric fields
(nulls ignored; population standard deviation; median and quartiles as QGIS defines them;
majority/minority ties go to the smallest value) and ``QgsStringStatisticalSummary`` for every
other field (null counts as the empty string). Plus JoinedUp's own first, last and concat.

A field's kind is its type, as in QGIS: numbers stored in a text field are text, so their min
and max compare as text ('10' < '9') and sum, mean ... do not apply to them (the log says so).
Convert such a field to numbers first (QGIS's Refactor fields) to summarise it as numbers.

Every statistic is a numpy group operation over the matched pairs ``(i, j)`` (sorted by i):
no Python loop per feature.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError

# QGIS's statistic names (its SUMMARIES ids 0-18, and its output field suffixes), then JoinedUp's own.
SUMMARIES = ("count", "unique", "min", "max", "range", "sum", "mean", "median", "stddev",
             "minority", "majority", "q1", "q3", "iqr", "empty", "filled", "min_length",
             "max_length", "mean_length", "first", "last", "concat")
SUMMARY_LABELS = ("count", "unique count", "min", "max", "range", "sum", "mean", "median",
                  "stddev (population)", "minority", "majority", "q1", "q3", "iqr",
                  "empty (null)", "filled (not null)", "min length", "max length",
                  "mean length", "first", "last", "concatenate")
ORDER_STATS = ("first", "last", "concat")
# Which statistics apply to which kind of field, in output order (QGIS's order first).
NUMERIC_STATS = SUMMARIES[:14] + ORDER_STATS
STRING_STATS = ("count", "unique", "empty", "filled", "min", "max", "min_length", "max_length",
                "mean_length", "minority", "majority") + ORDER_STATS
ZERO_WHEN_UNMATCHED = frozenset({"count", "unique", "sum", "empty", "filled"})
CONCAT_SEPARATOR = ","


def check_summaries(summaries) -> set:
    """The statistics asked for (names of :data:`SUMMARIES`; none: all of them).

    Raises:
        InputError: a name that is not in :data:`SUMMARIES`.
    """
    wanted = set(summaries) if summaries else set(SUMMARIES)
    unknown = sorted(str(s) for s in wanted - set(SUMMARIES))
    if unknown:
        raise InputError(f"Unknown summary {unknown[0]!r}; use one of {', '.join(SUMMARIES)}.")
    return wanted


def _group_bounds(i_sorted):
    """(groups, starts, counts) of a sorted integer array."""
    if len(i_sorted) == 0:
        e = np.empty(0, np.int64)
        return e, e, e
    starts = np.flatnonzero(np.r_[True, i_sorted[1:] != i_sorted[:-1]])
    counts = np.diff(np.r_[starts, len(i_sorted)])
    return i_sorted[starts], starts, counts



def _field_kind(series) -> str:
    """'numeric' for number and boolean fields, 'string' for every other (QGIS's
    ``QgsField.isNumeric()`` split; text that holds numbers stays text)."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "numeric"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "string"


def summarise_matches(join, fields, i, j, n, summaries, fb):
    """A DataFrame with one row per INPUT feature (0..n-1) and a column per field and
    statistic, named ``<field>_<stat>``, over the JOIN rows ``j`` that INPUT row ``i`` matched
    (``i`` sorted). ``summaries``: names of :data:`SUMMARIES` (none: all that apply)."""
    import pandas as pd

    wanted = check_summaries(summaries)
    columns = {}
    skipped = []
    for name in fields:
        fb.check()
        series = join[name].reset_index(drop=True)
        kind = _field_kind(series)
        order = NUMERIC_STATS if kind == "numeric" else STRING_STATS
        chosen = [s for s in order if s in wanted]
        not_applicable = [s for s in SUMMARIES if s in wanted and s not in order]
        if not_applicable:
            skipped.append(f"{name} ({kind}): {', '.join(not_applicable)}")
        if not chosen:
            continue
        values = series.to_numpy(dtype=object, na_value=None) if kind == "string" else series
        stats = (_numeric_stats if kind == "numeric" else _string_stats)(values, i, j, n, chosen)
        for s in chosen:
            columns[f"{name}_{s}"] = stats[s]
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
    """QgsStatisticalSummary over the non-null values of each INPUT feature's matches
    (``series`` has a numeric or boolean type: see :func:`_field_kind`)."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    v_all = values[j] if len(j) else np.empty(0)
    ok = ~np.isnan(v_all)
    gi, gv = i[ok], v_all[ok]
    out = {}
    # i is sorted, so runs per INPUT feature are contiguous. Sort values within runs only
    # when a statistic needs the order (median, quartiles, majority, minority, unique).
    if {"unique", "median", "minority", "majority", "q1", "q3", "iqr"} & set(chosen):
        order = np.lexsort((gv, gi))
        si, sv = gi[order], gv[order]
    else:
        si, sv = gi, gv
    groups, starts, counts = _group_bounds(si)
    cnt = _per_group(n, groups, counts, dtype=np.int64, fill=0)
    sums = _per_group(n, groups, np.add.reduceat(sv, starts) if len(sv) else [], fill=0.0)
    # QGIS's sum over no values is 0; for INPUT features with no match at all JoinedUp
    # also writes 0 (see module doc).
    if "count" in chosen:
        out["count"] = cnt
    if "sum" in chosen:
        out["sum"] = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
    if "mean" in chosen:
        out["mean"] = mean
    if {"min", "max", "range"} & set(chosen):
        mins = _per_group(n, groups, np.minimum.reduceat(sv, starts) if len(sv) else [])
        maxs = _per_group(n, groups, np.maximum.reduceat(sv, starts) if len(sv) else [])
        out["min"], out["max"], out["range"] = mins, maxs, maxs - mins
    if "stddev" in chosen:
        dev = sv - mean[si]
        ss = _per_group(n, groups, np.add.reduceat(dev * dev, starts) if len(sv) else [])
        out["stddev"] = np.sqrt(ss / np.where(cnt > 0, cnt, np.nan))  # population, as QGIS
    if "median" in chosen:
        out["median"] = _per_group(n, groups, _median_sorted(sv, starts, counts) if len(sv) else [])
    if {"q1", "q3", "iqr"} & set(chosen):
        # QGIS: Q1 = median of the lower half, Q3 = of the upper half; for an odd count
        # both halves include the middle value.
        half = np.where(counts % 2 == 0, counts // 2, counts // 2 + 1)
        q1 = _median_sorted(sv, starts, half) if len(sv) else np.empty(0)
        q3 = _median_sorted(sv, starts + counts - half, half) if len(sv) else np.empty(0)
        out["q1"] = _per_group(n, groups, q1)
        out["q3"] = _per_group(n, groups, q3)
        out["iqr"] = out["q3"] - out["q1"]
    if {"unique", "minority", "majority"} & set(chosen):
        # runs of equal values within each input feature
        new_run = np.ones(len(sv), dtype=bool)
        if len(sv):
            new_run[1:] = (si[1:] != si[:-1]) | (sv[1:] != sv[:-1])
        run_starts = np.flatnonzero(new_run)
        run_i, run_v = si[run_starts], sv[run_starts]
        run_n = np.diff(np.append(run_starts, len(sv)))
        out["unique"] = np.bincount(run_i, minlength=n).astype(np.int64) if len(run_i) else np.zeros(n, np.int64)
        if "majority" in chosen:  # most frequent; ties -> smallest value (QMap order, as QGIS)
            o = np.lexsort((run_v, -run_n, run_i))
            out["majority"] = _first_per_group(n, run_i[o], run_v[o])
        if "minority" in chosen:
            o = np.lexsort((run_v, run_n, run_i))
            out["minority"] = _first_per_group(n, run_i[o], run_v[o])
    if set(ORDER_STATS) & set(chosen):
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
    if "first" in chosen:
        out["first"] = _first_per_group(n, i, vals, fill=None, dtype=object)
    if "last" in chosen:
        rev = np.arange(len(i))[::-1]
        out["last"] = _first_per_group(n, i[rev], vals[rev], fill=None, dtype=object)
    if numeric:  # keep numbers numeric (NaN = NULL)
        for s_ in ("first", "last"):
            if s_ in out:
                out[s_] = _to_float(out[s_])
    if "concat" in chosen:
        s = pd.Series(vals, dtype=object)
        ok = s.notna().to_numpy()
        text = s[ok].map(_as_text)
        joined = text.groupby(i[ok], sort=True).agg(CONCAT_SEPARATOR.join)
        res = np.full(n, None, dtype=object)
        res[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
        out["concat"] = res


def _to_float(values):
    """first/last of a numeric field (numbers, or None where NULL) as floats, NaN for NULL."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


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
    out["count"], out["empty"], out["filled"] = cnt, n_empty, cnt - n_empty
    lengths = text.str.len().to_numpy(dtype=float) if len(text) else np.zeros(0)
    if {"min_length", "max_length", "mean_length"} & set(chosen):
        tot = np.bincount(i, weights=lengths, minlength=n) if len(i) else np.zeros(n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["mean_length"] = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
        o = np.lexsort((lengths, i))
        out["min_length"] = _first_per_group(n, i[o], lengths[o])
        o = np.lexsort((-lengths, i))
        out["max_length"] = _first_per_group(n, i[o], lengths[o])
    if {"unique", "min", "max", "minority", "majority"} & set(chosen) and len(i):
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
        out["unique"] = np.bincount(run_i, minlength=n).astype(np.int64)
        nonempty = uniques[run_c] != ""
        # min/max over non-empty strings
        mi, mc = run_i[nonempty], run_c[nonempty]
        out["min"] = _first_per_group(n, mi, uniques[mc].astype(object), fill=None, dtype=object)
        rev = np.lexsort((-mc, mi))
        out["max"] = _first_per_group(n, mi[rev], uniques[mc[rev]].astype(object), fill=None, dtype=object)
        ri, rc, rn = run_i[nonempty], run_c[nonempty], run_n[nonempty]
        o = np.lexsort((rc, -rn, ri))
        out["majority"] = _first_per_group(n, ri[o], uniques[rc[o]].astype(object), fill=None, dtype=object)
        o = np.lexsort((rc, rn, ri))
        out["minority"] = _first_per_group(n, ri[o], uniques[rc[o]].astype(object), fill=None, dtype=object)
    elif {"unique", "min", "max", "minority", "majority"} & set(chosen):
        out["unique"] = np.zeros(n, np.int64)
        for s_ in ("min", "max", "minority", "majority"):
            out[s_] = np.full(n, None, dtype=object)
    if set(ORDER_STATS) & set(chosen):
        _order_stats(out, values, i, j, n, chosen)
    return out

