"""Map matching of a GPS file too large for one process's memory: the workers of a Dask cluster
read their own tracks from the file, clean them into track pieces (``engine.tracks``), match them
(``engine.mapmatch``) and send back routes, per-track quality rows and counts.

This process reads only the track id column (in batches, kept as one small integer code per
point) to cut the file into tasks of whole tracks (a track is never split across tasks: its time
order, duplicate times, time-gap pieces and quality row need all its points). Each task is a file
path and the task's rows as ranges (a GeoPackage's feature ids, or GeoParquet row numbers); the
worker reads those rows (track, time and mode fields and the geometry: never the other fields),
in blocks, and runs exactly what :func:`engine.mapmatch.match_layer` runs on them.

The result is the in-process one: the same routes (ids, pieces, geometries, edges, times), the
same quality table, the same counts per reason. Route ids and piece numbers are numbered in the
order the in-process run gives them (tracks in the order their first usable point appears in
the file, pieces in time order): each task returns, per piece, the file row of its track's first
usable point, and the pieces of every task are ranked on it here.

The matched points (one row per input point, as large as the input) are not assembled here:
the caller runs the in-process path when they are asked for (processing/algorithms/mapmatch.py).
"""
from __future__ import annotations

import numpy as np

from .columns import ogr_column
from .errors import InputError, as_feedback
from .scale_points import PARQUET_SUFFIXES, _fid_range, _geo_metadata, point_source_info
from .tracks import BAD_TIME, NO_GEOMETRY, NO_TIME, NO_TRACK_ID, TrackReport

# Points per task: about n / TASKS_AT_LEAST, between these bounds. A task of 5,000 points is
# matched in about a second; larger ones amortise the worker's read of its rows.
TASKS_AT_LEAST = 32
MIN_TASK_POINTS = 5_000
MAX_TASK_POINTS = 200_000
# Rows (or feature ids) per read, on workers and here: bounds the memory of one read.
READ_BLOCK = 250_000
# Ranges of a task closer than this many rows are read as one (skipping is slower than reading
# a few rows more, and it keeps the number of queries small).
MERGE_GAP = 5_000
# A range of which fewer than this share is wanted is read by feature id (about 20 µs a feature
# against 3 µs for a range read of GPS points): a task's tracks in a file sorted by time are
# scattered through it.
SPARSE_SHARE = 0.12

# Reasons a point is not used before its track is formed (engine.tracks.prepare_tracks): the
# others (duplicate time, single-point track) are decided within the track.
_BEFORE_TRACKS = (NO_GEOMETRY, NO_TRACK_ID, NO_TIME, BAD_TIME)


def task_points_for(n_points: int) -> int:
    """Points per task for a file of ``n_points`` (see :data:`TASKS_AT_LEAST`)."""
    return int(min(MAX_TASK_POINTS, max(MIN_TASK_POINTS, -(-int(n_points) // TASKS_AT_LEAST))))


# ----------------------------------------------------------------------------- reading


def file_fields(path: str, layer=None) -> list:
    """The attribute field names of a GeoPackage layer or a GeoParquet file."""
    path = str(path)
    if path.lower().endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        gcol = _geo_metadata(pf)["primary_column"]
        return [n for n in pf.schema_arrow.names if n != gcol]
    import pyogrio

    return [str(f) for f in pyogrio.read_info(path, layer=layer)["fields"]]


def _track_codes(path, layer, track_field, fid_column, fb):
    """``(codes, keys)`` for every feature of the file in its order: ``codes`` int32, the track's
    number in order of first appearance (-1: null). Blank text is kept as a value of its own:
    prepare_tracks gives its points 'no track id', and the quality table has a row for it (as
    in-process), which needs all of them in one task. ``keys``: None (read by row numbers), or a
    GeoPackage's feature ids: an int ``k`` when they are ``k, k + 1, ...`` in order (a file as
    written: nothing more is kept), else an array. Read in batches of :data:`READ_BLOCK`; only
    the distinct track ids are kept as values."""
    import pandas as pd

    index: dict = {}
    codes_parts, key_parts = [], []

    def add(values):
        values = pd.Series(values)
        local, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
        mapped = np.empty(len(uniques), np.int32)
        for k, u in enumerate(uniques.tolist()):
            mapped[k] = index.setdefault(u, len(index))
        codes = np.where(local >= 0, mapped[np.maximum(local, 0)] if len(mapped) else -1, -1).astype(np.int32)
        codes_parts.append(codes)

    path = str(path)
    if path.lower().endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=READ_BLOCK, columns=[track_field]):
            fb.check()
            add(batch.column(0).to_pandas())
        keys = None
    else:
        from pyogrio.raw import read

        if fid_column is not None:
            lo, hi, _ = fid_column
            following = lo  # the ids seen so far were lo, lo + 1, ... without a gap
            for start in range(lo, hi + 1, READ_BLOCK):
                fb.check()
                _, fids, _, cols = read(path, layer=layer, columns=[track_field], read_geometry=False,
                                        where=_fid_where(fid_column[2], start, start + READ_BLOCK),
                                        return_fids=True)
                order = np.argsort(fids, kind="stable")
                fids = np.asarray(fids, np.int64)[order]
                gap = len(fids) and (fids[0] != following or fids[-1] - fids[0] + 1 != len(fids))
                if following is not None and gap:
                    key_parts = [np.arange(lo, following, dtype=np.int64)]  # the run so far, then arrays
                    following = None
                if following is None:
                    key_parts.append(fids)
                else:
                    following += len(fids)
                add(np.asarray(cols[0])[order])
            keys = int(lo) if following is not None else np.concatenate(key_parts)
        else:
            n, _ = point_source_info(path, layer=layer)
            for start in range(0, n, READ_BLOCK):
                fb.check()
                _, _, _, cols = read(path, layer=layer, columns=[track_field], read_geometry=False,
                                     skip_features=start, max_features=READ_BLOCK)
                add(cols[0])
            keys = None
    codes = np.concatenate(codes_parts) if codes_parts else np.zeros(0, np.int32)
    return codes, keys


def _fid_where(fid: str, start: int, stop: int) -> str:
    quoted = '"' + fid.replace('"', '""') + '"'
    return f"{quoted} >= {int(start)} AND {quoted} < {int(stop)}"


def _spans(values) -> np.ndarray:
    """Sorted integers as ``[[start, length], ...]`` runs of consecutive values (compact for a
    file sorted by track)."""
    values = np.asarray(values, np.int64)
    if not len(values):
        return np.zeros((0, 2), np.int64)
    cut = np.flatnonzero(np.diff(values) != 1) + 1
    starts = values[np.r_[0, cut]]
    lengths = np.diff(np.r_[0, cut, len(values)])
    return np.column_stack([starts, lengths]).astype(np.int64)


def _compact(values):
    """Sorted integers as :func:`_spans` when that is smaller, else as they are (int32 when they
    fit): a task of a file sorted by track is a few runs, one of a file sorted by time is not."""
    spans = _spans(values)
    if 2 * len(spans) <= len(values):
        return spans
    values = np.asarray(values)
    return values.astype(np.int32) if len(values) and values.max() < 2 ** 31 else values.astype(np.int64)


def _expand(spans) -> np.ndarray:
    """The integers of :func:`_compact` (or :func:`_spans`)."""
    spans = np.asarray(spans)
    if spans.ndim == 1:
        return spans.astype(np.int64)
    spans = spans.astype(np.int64).reshape(-1, 2)
    if not len(spans):
        return np.zeros(0, np.int64)
    total = int(spans[:, 1].sum())
    offsets = np.repeat(spans[:, 0] - np.r_[0, np.cumsum(spans[:, 1])[:-1]], spans[:, 1])
    return np.arange(total, dtype=np.int64) + offsets


def _windows(keys, block):
    """Ranges ``[lo, hi)`` that cover the sorted ``keys``: runs closer than :data:`MERGE_GAP`
    merged, each at most ``block`` long."""
    if not len(keys):
        return []
    cut = np.flatnonzero(np.diff(keys) > MERGE_GAP) + 1
    out = []
    for part in np.split(keys, cut):
        lo, hi = int(part[0]), int(part[-1]) + 1
        out.extend((s, min(s + block, hi)) for s in range(lo, hi, block))
    return out


def read_rows(path: str, keys, *, layer=None, fid_column: str | None = None, columns=(), name=None):
    """The features of the file whose feature id (``fid_column``, a GeoPackage's) or row number
    is in the sorted array ``keys``, in that order, as a GeoDataFrame of ``columns`` and the
    geometry, in the file's CRS. Read in blocks of at most :data:`READ_BLOCK` rows; field types
    as the bridge reads them (integers with nulls as nullable ``Int64``, dates ``datetime64[ms]``,
    text as Python strings)."""
    import os

    import geopandas as gpd
    import pandas as pd
    import shapely

    path = str(path)
    if not os.path.exists(path):  # on a worker of a cluster elsewhere: the file is not shared with it
        raise InputError(f"A Dask worker cannot read the GPS file {path}: put it in a folder every worker "
                         "mounts at the same path (docs/scale.md), or run with execution 'local cluster:N' "
                         "or 'local'.")
    keys = np.asarray(keys, np.int64)
    columns = list(dict.fromkeys(columns))
    parts: dict = {c: [] for c in columns}
    wkb_parts = []
    if path.lower().endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        geo = _geo_metadata(pf)
        gcol = geo["primary_column"]
        crs = point_source_info(path)[1]
        encoding = str(geo["columns"][gcol].get("encoding", "WKB")).lower()
        offset = 0
        for g in range(pf.num_row_groups):
            n = pf.metadata.row_group(g).num_rows
            lo, hi = np.searchsorted(keys, [offset, offset + n])
            if hi > lo:
                table = pf.read_row_group(g, columns=[gcol, *columns]).take(keys[lo:hi] - offset)
                for c in columns:
                    parts[c].append(_arrow_column(table.column(c)))
                geom = table.column(gcol).combine_chunks()
                if encoding == "point":
                    wkb_parts.append(shapely.points(np.asarray(geom.field("x").to_numpy(zero_copy_only=False), float),
                                                    np.asarray(geom.field("y").to_numpy(zero_copy_only=False), float)))
                else:
                    wkb_parts.append(shapely.from_wkb(geom.to_numpy(zero_copy_only=False), on_invalid="ignore"))
            offset += n
    else:
        import pyogrio
        from pyogrio.raw import read

        info = pyogrio.read_info(path, layer=layer)
        crs = info["crs"]
        declared = dict(zip(info["fields"], info["dtypes"], strict=True))
        for lo, hi in _windows(keys, READ_BLOCK):
            want = keys[np.searchsorted(keys, lo):np.searchsorted(keys, hi)]
            if fid_column and len(want) < SPARSE_SHARE * (hi - lo):
                rows: dict = {"fids": want}  # few of the range's rows: by id (a file sorted by time)
            elif fid_column:
                rows = {"where": _fid_where(fid_column, lo, hi)}
            else:
                rows = {"skip_features": lo, "max_features": hi - lo}
            meta, fids, wkb, cols = read(path, layer=layer, columns=columns, return_fids=True, **rows)
            got = np.asarray(fids, np.int64) if fid_column else np.arange(lo, lo + len(wkb), dtype=np.int64)
            order = np.argsort(got, kind="stable")
            got = got[order]
            at = np.searchsorted(got, want).clip(0, max(len(got) - 1, 0))
            if len(want) and (not len(got) or not np.array_equal(got[at], want)):
                raise InputError(f"The GPS file {os.path.basename(path)} changed while it was read: some of its "
                                 "features are gone. Run again when it is no longer being written.")
            pick = order[at]
            # by the names pyogrio returns: its columns come in the file's order, not the order
            # asked for (pyogrio 0.10 on Debian 13 put the mode before the track id)
            for c, values in zip(meta["fields"], cols, strict=True):
                parts[str(c)].append(ogr_column(np.asarray(values)[pick], declared.get(str(c))))
            wkb_parts.append(shapely.from_wkb(np.asarray(wkb, dtype=object)[pick], on_invalid="ignore"))
    n = int(sum(len(w) for w in wkb_parts))
    if n != len(keys):
        raise InputError(f"The GPS file {os.path.basename(path)} changed while it was read: {len(keys)} features "
                         f"were expected, {n} were found. Run again when it is no longer being written.")
    geoms = np.concatenate(wkb_parts) if wkb_parts else np.zeros(0, dtype=object)
    geoms[shapely.is_empty(geoms)] = None  # as the bridge: an empty geometry is none
    frame = pd.DataFrame({c: _joined(parts[c]) for c in columns}, index=range(n))
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    gdf.attrs["source_name"] = name or os.path.basename(path)
    return gdf


def _joined(chunks):
    import pandas as pd

    if not chunks:
        return np.zeros(0, dtype=object)
    if any(isinstance(c, pd.api.extensions.ExtensionArray) for c in chunks):
        return pd.array(np.concatenate([np.asarray(c, dtype=object) for c in chunks]), dtype=chunks[0].dtype)
    return np.concatenate(chunks)


def _arrow_column(column):
    """An Arrow column as the bridge gives it after QGIS's own read: integers (nullable Int64
    when they hold nulls), floats, naive datetimes in ms (UTC for zoned ones), text as Python
    strings, nulls as None."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = column.type
    if pa.types.is_integer(kind):
        if column.null_count:
            return pd.array(column.to_pandas(), dtype="Int64")
        return column.to_numpy().astype(np.int64)
    if pa.types.is_floating(kind):
        return column.to_numpy(zero_copy_only=False).astype(float)
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            column = pc.cast(column, pa.timestamp(kind.unit))  # zoned values are stored in UTC
        return column.cast(pa.timestamp("ms")).to_numpy(zero_copy_only=False).astype("datetime64[ms]")
    return np.asarray(column.to_pylist(), dtype=object)


# ----------------------------------------------------------------------------- partitioning


def partition_tracks(path: str, track_field: str, *, layer=None, task_points: int | None = None, feedback=None):
    """Tasks of whole tracks for the file: ``(tasks, fid_column, n_points)``; each task is
    ``(positions, keys)`` (:func:`_compact`): the rows' places in the file's order and what the
    file is read by: None (the same row numbers), an int (feature ids are positions + it) or the
    feature ids. Tracks go to
    tasks in order of first appearance, about ``task_points`` points a task; the points with no
    track id (null) make tasks of their own (their status still needs their geometry)."""
    fb = as_feedback(feedback)
    path = str(path)
    fid_info = None if path.lower().endswith(PARQUET_SUFFIXES) else _fid_range(path, layer)
    if fid_info is not None and fid_info[1] - fid_info[0] + 1 > 4 * max(point_source_info(path, layer=layer)[0], 1):
        fid_info = None  # very sparse ids: row numbers instead (as the point summaries do)
    codes, keys = _track_codes(path, layer, track_field, fid_info, fb)
    n = len(codes)
    size = int(task_points or task_points_for(n))
    n_tracks = int(codes.max()) + 1 if n and codes.max() >= 0 else 0
    per_track = np.bincount(codes[codes >= 0], minlength=n_tracks)
    task_of_track = (np.cumsum(per_track) - per_track) // max(size, 1)  # a track's first point decides
    if n_tracks:
        task_of_track = np.unique(task_of_track, return_inverse=True)[1].ravel()
    n_track_tasks = int(task_of_track.max()) + 1 if n_tracks else 0
    # per point: 4 bytes of track code, 4 of task, then 8 of sort order (codes freed first)
    task = np.empty(n, np.int32)
    has = codes >= 0
    task[has] = task_of_track[codes[has]]
    del codes
    no_track = np.flatnonzero(~has)
    task[no_track] = n_track_tasks + np.arange(len(no_track)) // max(size, 1)
    del has, no_track
    bounds = np.r_[0, np.cumsum(np.bincount(task, minlength=int(task.max()) + 1 if n else 0))]
    order = np.argsort(task, kind="stable")  # rows of each task, in file order
    del task
    tasks = []
    for t in range(len(bounds) - 1):
        pos = order[bounds[t]:bounds[t + 1]]
        if len(pos):
            tasks.append((_compact(pos), keys if keys is None or isinstance(keys, int) else _compact(keys[pos])))
    return tasks, (fid_info[2] if fid_info is not None else None), n


# ----------------------------------------------------------------------------- matching


def match_file(path: str, graph, *, track_field: str, time_field: str, layer=None, mode_field: str | None = None,
               max_gap_s: float | None = 300.0, options=None, execution=None, name: str | None = None,
               task_points: int | None = None, feedback=None):
    """``engine.mapmatch.match_layer`` of the GPS points in the GeoPackage or GeoParquet file
    ``path`` (``layer``), its tracks read and matched by the workers of ``execution`` (or in this
    process, task by task, when it is local). Returns ``(routes, quality, notes)``, equal to
    match_layer's (its matched points are not made: see the module docstring).

    Raises:
        InputError: a field missing, a file with no CRS or no points, a worker that cannot read
            the file.
        EngineCancelled: Cancel (the tasks are cancelled; a local cluster is shut down).
    """
    import os

    import geopandas as gpd
    import pandas as pd

    from .scale import run_tasks

    fb = as_feedback(feedback)
    name = name or os.path.basename(str(path))
    n_file, crs = point_source_info(path, layer=layer)
    if crs is None:
        raise InputError(f"{name} has no coordinate reference system. Set the layer's CRS "
                         "(Layer Properties > Source) before running this algorithm.")
    fields = file_fields(path, layer)
    for field_name, role in ((track_field, "track id"), (time_field, "time"), (mode_field, "mode")):
        if field_name and field_name not in fields:
            raise InputError(f"{name} has no field '{field_name}' for the {role}. Fields: {', '.join(fields)}.")
    if n_file == 0:
        raise InputError(f"{name} is empty: no points to match.")
    tasks, fid_column, n = partition_tracks(path, track_field, layer=layer, task_points=task_points,
                                            feedback=fb.sub(0.0, 0.05))
    fb.log(f"The workers read the GPS points from {os.path.basename(str(path))} themselves: {n} points in "
           f"{len(tasks)} tasks of whole tracks.")
    columns = [c for c in (track_field, time_field, mode_field) if c]
    work = [(str(path), layer, fid_column, pos, keys, columns, name, track_field, time_field, mode_field,
             max_gap_s, options) for pos, keys in tasks]
    # each part fetched when its task ends and released there: never every part's bytes at once
    parts = run_tasks(_match_task, graph, work, execution=execution, feedback=fb.sub(0.05, 0.95), gather_each=True)
    # pieces and routes numbered as in-process: tracks by the file row of their first usable point
    piece_first = np.concatenate([p["piece_first_row"] for p in parts]) if parts else np.zeros(0, np.int64)
    piece_local = np.concatenate([np.arange(len(p["piece_first_row"])) for p in parts]) if parts else piece_first
    piece_task = np.concatenate([np.full(len(p["piece_first_row"]), k) for k, p in enumerate(parts)]) \
        if parts else piece_first
    rank = np.empty(len(piece_first), np.int64)
    rank[np.lexsort((piece_local, piece_first))] = np.arange(len(piece_first))
    piece_base = np.r_[0, np.cumsum([len(p["piece_first_row"]) for p in parts])]
    frames = []
    for k, p in enumerate(parts):
        r = p["routes"]
        if len(r):
            r = r.copy()
            r["piece"] = rank[piece_base[k] + r["piece"].to_numpy(np.int64)]
            frames.append(r)
    del piece_task
    if frames:
        routes = pd.concat(frames, ignore_index=True)
        routes = routes.sort_values(["piece", "route_id"], kind="stable").reset_index(drop=True)
        routes["route_id"] = np.arange(len(routes), dtype=np.int64)
        routes = gpd.GeoDataFrame(routes, geometry=routes.geometry.name, crs=graph.crs)
    else:
        routes = parts[0]["routes"]
    quality_parts = [p["quality"] for p in parts if len(p["quality"])]
    quality = (pd.concat(quality_parts, ignore_index=True).sort_values("track_id", kind="stable")
               .reset_index(drop=True) if quality_parts else parts[0]["quality"])
    for frame in (routes, quality):
        _infer_text_columns(frame)
    report = _merged_report(parts)
    _check_some_time_read(parts, name, time_field)
    notes = [parts[0]["note"]] if parts[0]["note"] else []
    fb.log(report.describe(name))
    notes.append(report.describe(name))
    first: dict = {}
    counts: dict = {}
    for p in parts:
        for status, (count, row) in p["statuses"].items():
            counts[status] = counts.get(status, 0) + count
            first[status] = min(first.get(status, row), row)
    keys = sorted(counts, key=lambda s: first[s])  # value_counts: order of first appearance, then by count
    counted = pd.Series([counts[s] for s in keys], index=keys, dtype=np.int64).sort_values(ascending=False)
    breaks = sum(p["breaks"] for p in parts)
    notes.append("Points: " + ", ".join(f"{int(v)} {k}" for k, v in counted.items()) +
                 (f"; {breaks} routing gaps split tracks" if breaks else ""))
    fb.set_progress(1.0)
    return routes, quality, notes


def _infer_text_columns(frame):
    """Columns that became ``object`` by joining parts (a part whose modes are all null) typed as
    one frame would have them: text where their values are text (pandas infers it)."""
    for column in frame.columns:
        if column != getattr(frame, "_geometry_column_name", None) and frame[column].dtype == object:
            frame[column] = frame[column].to_numpy(dtype=object)


def _check_some_time_read(parts, name, time_field):
    """The in-process run's error when no given value of the time field can be read anywhere in
    the file (a task alone only marks its points 'unparsable time')."""
    given = [p["first_time"] for p in parts if p["first_time"] is not None]
    if given and sum(g[3] for g in given) == sum(g[2] for g in given):
        from .tracks import parse_times

        example = min(given, key=lambda g: g[0])[1]
        parse_times([example], field_name=time_field, layer=name)  # raises, in the in-process words


def _merged_report(parts) -> TrackReport:
    report = TrackReport()
    example_row: dict = {}
    for p in parts:
        r = p["report"]
        report.points += r.points
        report.used += r.used
        report.tracks += r.tracks
        report.pieces += r.pieces
        report.time_gap_splits += r.time_gap_splits
        report.reordered += r.reordered
        for reason, count in r.dropped.items():
            report.dropped[reason] = report.dropped.get(reason, 0) + count
        for reason, (row, example) in p["examples"].items():
            if row < example_row.get(reason, np.iinfo(np.int64).max):
                example_row[reason] = row
                report.examples[reason] = example
    return report


def _match_task(graph, path, layer, fid_column, positions, keys, columns, name, track_field, time_field,
                mode_field, max_gap_s, options):
    """One task on a worker: read its rows, clean them into tracks and match them, as
    ``match_layer`` does; the routes, quality rows and counts, with the file rows the caller
    needs to number pieces as the in-process run does."""
    import pandas as pd

    from .crs import ensure_projected
    from .mapmatch.hmm import match_tracks
    from .mapmatch.layer import _quality, routes_frame
    from .tracks import parse_times, prepare_tracks

    positions = _expand(positions)
    keys = positions if keys is None else positions + keys if isinstance(keys, int) else _expand(keys)
    points = read_rows(path, keys, layer=layer, fid_column=fid_column, columns=columns, name=name)
    pts, _, note = ensure_projected(points, target=graph.crs, what=name)
    pts.attrs.update(points.attrs)
    # a task whose times are all unreadable does not stop the run: the whole file decides (match_file)
    table, status, report = prepare_tracks(pts, track_field=track_field, time_field=time_field,
                                           mode_field=mode_field, max_gap_s=max_gap_s, strict_time=False)
    result = match_tracks(graph, table, options=options)
    mp = result.points
    routes, mode_by_row = routes_frame(graph, table, result)
    full_status = status.copy()
    rows = mp["row"].to_numpy(np.int64)
    full_status[rows] = mp["status"].to_numpy(dtype=object)
    offset = np.full(len(points), np.nan)
    offset[rows] = mp["offset_m"].to_numpy(float)
    quality = _quality(points, track_field, full_status, offset, routes, mode_by_row, table)
    # the file row of each piece's track's first usable point (prepare_tracks numbers tracks so)
    usable = np.flatnonzero(~pd.Series(status).isin(_BEFORE_TRACKS).to_numpy())
    codes, uniques = pd.factorize(points[track_field].reset_index(drop=True).iloc[usable], sort=False)
    _, first_at = np.unique(codes, return_index=True)
    track_first = positions[usable[first_at]] if len(usable) else np.zeros(0, np.int64)
    piece_track = table.groupby("piece", sort=True)["track_id"].first()
    where = pd.Index(uniques).get_indexer(pd.Index(piece_track.to_numpy(dtype=object))) if len(piece_track) else []
    piece_first_row = np.asarray(track_first[np.asarray(where, np.int64)], np.int64) if len(piece_track) \
        else np.zeros(0, np.int64)
    statuses = {}
    frame = pd.DataFrame({"status": full_status, "row": positions})
    for value, group in frame.groupby("status", sort=False):
        statuses[value] = (len(group), int(group["row"].min()))
    examples = {}
    for reason in report.examples:
        at = np.flatnonzero(status == reason)
        if len(at):
            examples[reason] = (int(positions[at[0]]), report.examples[reason])
    # what parse_times decides on the whole column: some value given, and is any readable?
    _, _, missing, bad = parse_times(points[time_field], field_name=time_field, layer=name, strict=False)
    given = np.flatnonzero(~missing)
    first_given = (int(positions[given[0]]), points[time_field].iloc[int(given[0])], int(len(given)),
                   int(bad.sum())) if len(given) else None
    return {"routes": routes, "quality": quality, "report": report, "examples": examples, "statuses": statuses,
            "breaks": result.breaks, "note": note, "piece_first_row": piece_first_row, "first_time": first_given}


def file_refusal(path: str, *, layer=None, declared_crs="file") -> str | None:
    """Why the workers cannot read the GPS points from ``path`` as the layer gives them (a reason
    for the log; the caller then reads the layer itself), or None. ``declared_crs``: the CRS the
    layer has where it was chosen (QGIS lets a user override a file's)."""
    from .scale_points import _same_crs

    _, file_crs = point_source_info(path, layer=layer)
    declared = file_crs if isinstance(declared_crs, str) and declared_crs == "file" else declared_crs
    if not _same_crs(declared, file_crs):
        return "the GPS layer's CRS in QGIS is not the one stored in its file"
    return None
