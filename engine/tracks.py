"""GPS points into clean tracks: read the track id and time, sort, drop duplicate times, split
on long time gaps, and account for every input point.

The result is a table with one row per usable point (sorted by track and time) plus a
``status`` array over *all* input rows that says why a point was left out ('' when used).
Nothing is dropped silently: :class:`TrackReport` counts every reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError

# Reasons a point is not used; the same words appear in the point output's ``status`` field.
NO_GEOMETRY = "no geometry"
NO_TRACK_ID = "no track id"
NO_TIME = "no time"
BAD_TIME = "unparsable time"
DUPLICATE_TIME = "duplicate time"
SINGLE_POINT = "single-point track"


@dataclass
class TrackReport:
    points: int = 0
    used: int = 0
    tracks: int = 0            # distinct track ids among used points
    pieces: int = 0            # tracks after splitting on time gaps (each >= 2 points)
    time_gap_splits: int = 0
    reordered: int = 0         # tracks whose points were not in time order in the input
    dropped: dict = field(default_factory=dict)  # reason -> count
    examples: dict = field(default_factory=dict)  # reason -> an example input value

    def describe(self, name: str = "GPS points") -> str:
        parts = [f"{name}: {self.points} points, {self.used} used in {self.pieces} track pieces "
                 f"of {self.tracks} tracks"]
        if self.time_gap_splits:
            parts.append(f"{self.time_gap_splits} splits at time gaps")
        if self.reordered:
            parts.append(f"{self.reordered} tracks sorted by time (input was out of order)")
        for reason, count in self.dropped.items():
            if count:
                example = self.examples.get(reason)
                parts.append(f"{count} not used: {reason}" + (f" (e.g. {example!r})" if example is not None else ""))
        return "; ".join(parts)


def parse_times(values, *, field_name: str = "time", layer: str = "The GPS layer", strict: bool = True):
    """Seconds (float, NaN where missing or unparsable) and wall-clock datetimes from a column.

    Accepts datetime columns, numbers (seconds, e.g. epoch or seconds since start) and text in
    ISO 8601 or other common layouts. Offset-aware times are converted to UTC.
    Returns ``(seconds, datetimes or None, missing_mask, bad_mask)``. Raises
    :class:`InputError` naming the field and an example when no value at all can be read
    (``strict=False``: they are all marked unparsable instead, for a caller that sees part of a
    layer and decides on the whole).
    """
    import pandas as pd

    series = pd.Series(values).reset_index(drop=True)
    missing = series.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        dt = series
        if getattr(dt.dt, "tz", None) is not None:
            dt = dt.dt.tz_convert("UTC").dt.tz_localize(None)
        return _seconds(dt), dt, missing, np.zeros(len(series), bool)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        seconds = series.astype(float).to_numpy().copy()
        bad = ~missing & ~np.isfinite(seconds)
        seconds[bad] = np.nan
        return seconds, None, missing, bad
    text = series.astype(object).where(~missing, None)
    text = text.map(lambda v: v if v is None else str(v).strip())
    missing = missing | (text == "").to_numpy()
    text = text.where(~missing, None)
    numeric = pd.to_numeric(text, errors="coerce")
    if (~missing).any() and numeric[~missing].notna().all():
        seconds = numeric.astype(float).to_numpy().copy()
        return seconds, None, missing, np.zeros(len(series), bool)
    dt = _to_datetime(text)
    bad = ~missing & dt.isna().to_numpy()
    if strict and (~missing).any() and bad.sum() == (~missing).sum():
        example = text[~missing].iloc[0]
        raise InputError(
            f"{layer}: none of the values of the time field '{field_name}' could be read as a date "
            f"and time, e.g. {example!r}. Use ISO 8601 text such as '2024-05-02T08:15:30' (or "
            "'2024-05-02 08:15:30+03:00'), a date-time field, or a number of seconds.")
    return _seconds(dt), dt, missing, bad


def _to_datetime(text):
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dt = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        if dt.isna().sum() > text.isna().sum():
            retry = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
            dt = dt.fillna(retry)
    return dt.dt.tz_localize(None)


def _seconds(dt) -> np.ndarray:
    import pandas as pd

    out = np.full(len(dt), np.nan)
    ok = dt.notna().to_numpy()
    if ok.any():
        ns = pd.to_datetime(dt[ok]).astype("datetime64[ns]").to_numpy().astype("int64")
        out[ok] = ns / 1e9
    return out


def prepare_tracks(points, *, track_field: str, time_field: str, mode_field: str | None = None,
                   max_gap_s: float | None = 300.0, strict_time: bool = True):
    """Clean GPS points into tracks.

    ``points``: a point GeoDataFrame (any CRS; the caller projects it). Returns
    ``(table, status, report)``:

    - ``table``: a DataFrame, one row per used point, sorted by track and time, with
      ``row`` (position in ``points``), ``track_id`` (the input value), ``piece`` (0.. over all
      tracks; a new piece starts where the time gap exceeds ``max_gap_s``), ``t_s`` (seconds),
      ``time`` (datetime or NaT), ``x``, ``y`` and ``mode`` (text or None).
    - ``status``: an object array over all input rows: '' when used, else the reason.
    - ``report``: :class:`TrackReport`.

    Duplicate timestamps in a track keep the first point in input order; pieces of a single
    point are left out as ``single-point track``.

    Raises:
        InputError: a named field is missing, or no time value can be read.
    """
    import pandas as pd
    import shapely

    layer = points.attrs.get("source_name", "The GPS layer")
    for name, role in ((track_field, "track id"), (time_field, "time"), (mode_field, "mode")):
        if name and name not in points.columns:
            fields = ", ".join(str(c) for c in points.columns if c != points.geometry.name)
            raise InputError(f"{layer} has no field '{name}' for the {role}. Fields: {fields}.")
    n = len(points)
    report = TrackReport(points=n)
    status = np.full(n, "", dtype=object)
    geoms = points.geometry.values
    arr = np.asarray(geoms._data if hasattr(geoms, "_data") else geoms, dtype=object)
    no_geom = shapely.is_missing(arr) | shapely.is_empty(arr)
    if (~no_geom).any():
        # multipoints: take the first part
        arr = arr.copy()
        multi = ~no_geom & (shapely.get_type_id(arr) == 4)
        if multi.any():
            arr[multi] = shapely.get_geometry(arr[multi], 0)
    xy = np.full((n, 2), np.nan)
    if (~no_geom).any():
        xy[~no_geom] = shapely.get_coordinates(arr[~no_geom])[:, :2]
    no_geom |= ~np.isfinite(xy).all(axis=1)
    track = points[track_field].reset_index(drop=True)
    no_track = track.isna().to_numpy() | (track.astype(str).str.strip() == "").to_numpy()
    seconds, dt, no_time, bad_time = parse_times(points[time_field], field_name=time_field, layer=layer,
                                                 strict=strict_time)
    for mask, reason, values in ((no_geom, NO_GEOMETRY, None), (no_track, NO_TRACK_ID, None),
                                 (no_time, NO_TIME, None), (bad_time, BAD_TIME, points[time_field])):
        mask = mask & (status == "")
        status[mask] = reason
        report.dropped[reason] = int(mask.sum())
        if values is not None and mask.any():
            report.examples[reason] = str(values.iloc[int(np.flatnonzero(mask)[0])])
    ok = np.flatnonzero(status == "")
    codes, uniques = pd.factorize(track.iloc[ok], sort=False)
    t = seconds[ok]
    order = np.lexsort((np.arange(len(ok)), t, codes))  # by track, time, input order
    rows, codes, t = ok[order], codes[order], t[order]
    # out-of-order tracks: input positions not increasing with time within a track
    if len(rows) > 1:
        same = codes[1:] == codes[:-1]
        back = same & (rows[1:] < rows[:-1])
        report.reordered = int(len(np.unique(codes[1:][back])))
    dup = np.zeros(len(rows), bool)
    if len(rows) > 1:
        dup[1:] = (codes[1:] == codes[:-1]) & (t[1:] == t[:-1])
    status[rows[dup]] = DUPLICATE_TIME
    report.dropped[DUPLICATE_TIME] = int(dup.sum())
    rows, codes, t = rows[~dup], codes[~dup], t[~dup]
    new_piece = np.ones(len(rows), bool)
    if len(rows) > 1:
        same = codes[1:] == codes[:-1]
        gap = same & (max_gap_s is not None) & ((t[1:] - t[:-1]) > (max_gap_s or np.inf))
        new_piece[1:] = ~same | gap
        report.time_gap_splits = int(gap.sum())
    piece = np.cumsum(new_piece) - 1
    sizes = np.bincount(piece) if len(piece) else np.zeros(0, int)
    single = sizes[piece] < 2 if len(piece) else np.zeros(0, bool)
    status[rows[single]] = SINGLE_POINT
    report.dropped[SINGLE_POINT] = int(single.sum())
    rows, codes, t, piece = rows[~single], codes[~single], t[~single], piece[~single]
    piece = np.unique(piece, return_inverse=True)[1].ravel() if len(piece) else piece
    table = pd.DataFrame({
        "row": rows,
        "track_id": np.asarray(uniques, dtype=object)[codes] if len(rows) else np.array([], dtype=object),
        "piece": piece.astype(np.int64),
        "t_s": t,
        "x": xy[rows, 0],
        "y": xy[rows, 1],
    })
    table["time"] = dt.iloc[rows].to_numpy() if dt is not None else pd.NaT
    if mode_field:
        modes = points[mode_field].reset_index(drop=True).iloc[rows]
        table["mode"] = [None if pd.isna(m) else str(m) for m in modes]
    else:
        table["mode"] = None
    report.used = len(table)
    report.tracks = int(len(np.unique(codes))) if len(codes) else 0
    report.pieces = int(piece.max() + 1) if len(piece) else 0
    return table, status, report
