"""Point layers too large for one process's memory (a month of GPS fixes, a national address
base): read in chunks and summarised per polygon, in this process or on a Dask cluster.

A chunk is a GeoParquet row range (read with pyarrow, one batch at a time) or a GeoPackage / any
OGR source's feature range (pyogrio ``skip_features`` / ``max_features``), so at most one chunk
of points is in memory per process. On a cluster each worker reads its own chunks from the path
(which the workers must see, e.g. a shared folder): the points never pass through this process;
only the polygons go to each worker, once, and per-polygon partial sums come back.

The summary is the engine's point-in-polygon join (``engine.joins.match_pairs_xy``, QGIS's
*intersects*: a point on a shared boundary counts for both polygons): per polygon the number of
points and, per value field, the number and the sum of its non-null values (QGIS's ``<field>_count``
and ``<field>_sum``). Counts are exactly those of
``engine.joins.join_by_location`` on the whole layer (method 3); sums are too for integer-valued
fields, and within floating-point rounding (the order of addition differs) otherwise.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError, as_feedback

PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".parq")


def point_source_info(path: str, *, layer: str | None = None):
    """``(number of features, CRS)`` of a point file without reading its features."""
    path = str(path)
    if path.lower().endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        geo = _geo_metadata(pq.ParquetFile(path))
        column = geo["columns"][geo["primary_column"]]
        return meta.num_rows, _crs_of(column)
    import pyogrio

    info = pyogrio.read_info(path, layer=layer)
    return int(info["features"]), info["crs"]


def _geo_metadata(parquet_file) -> dict:
    raw = (parquet_file.schema_arrow.metadata or {}).get(b"geo")
    if raw is None:
        raise InputError("This Parquet file has no GeoParquet metadata ('geo'): write it with GeoPandas' "
                         "to_parquet or GDAL's GeoParquet driver.")
    return json.loads(raw)


def _crs_of(column_meta):
    import pyproj

    crs = column_meta.get("crs", "OGC:CRS84")  # GeoParquet: a missing crs means OGC:CRS84
    return None if crs is None else pyproj.CRS.from_user_input(crs)


def read_point_chunk(path: str, start: int, count: int, *, layer: str | None = None, columns=(),
                     fid_column: str | None = None):
    """``(x, y, values)`` of features ``start`` .. ``start + count`` (values: a DataFrame of
    ``columns``); with ``fid_column`` (a GeoPackage's), of the features whose id is in that range
    instead, read through the id's index (a row offset makes SQLite step over every row before
    it: the last chunk of 5M points took 1 s to reach, against 0.07 s by id). Missing or empty
    geometries give NaN coordinates (they match nothing); multipoints give their first point."""
    import pandas as pd
    import shapely

    path = str(path)
    columns = list(columns)
    if path.lower().endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        geo = _geo_metadata(pf)
        gcol = geo["primary_column"]
        table = _parquet_rows(pf, start, count, [gcol, *columns])
        values = table.select(columns).to_pandas() if columns else pd.DataFrame(index=range(table.num_rows))
        encoding = str(geo["columns"][gcol].get("encoding", "WKB")).lower()
        geom = table.column(gcol).combine_chunks()
        if encoding == "point":
            x = np.asarray(geom.field("x").to_numpy(zero_copy_only=False), float)
            y = np.asarray(geom.field("y").to_numpy(zero_copy_only=False), float)
            return x, y, values
        geoms = shapely.from_wkb(geom.to_numpy(zero_copy_only=False))
    else:
        rows: dict = {"skip_features": start, "max_features": count}
        if fid_column:
            quoted = '"' + fid_column.replace('"', '""') + '"'
            rows = {"where": f"{quoted} >= {int(start)} AND {quoted} < {int(start) + int(count)}"}
        arrow = _ogr_rows_arrow(path, layer, rows, columns)
        if arrow is not None:
            return arrow
        import pyogrio

        frame = pyogrio.read_dataframe(path, layer=layer, columns=columns, **rows)
        values = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        geoms = np.asarray(frame.geometry.values, dtype=object)
    return (*_point_xy(geoms), values)


def _ogr_rows_arrow(path, layer, rows, columns):
    """``(x, y, values)`` of an OGR source's features (``rows``: pyogrio's arguments that pick them) through
    GDAL's Arrow stream (pyogrio.read_arrow: WKB and columns, no Python object per point, about
    three times faster than a GeoDataFrame for points), or None where that reader is not
    available or fails (then the caller reads a GeoDataFrame, which raises a real fault again)."""
    try:
        import pyarrow  # noqa: F401  (read_arrow needs it)
        import pyogrio
        import shapely

        meta, table = pyogrio.read_arrow(path, layer=layer, columns=columns, **rows)
        gcol = meta.get("geometry_name") or "wkb_geometry"
        if gcol not in table.column_names:
            return None
        values = table.select(list(columns)).to_pandas()
        wkb = table.column(gcol).combine_chunks().to_numpy(zero_copy_only=False)
    # An older GDAL or pyogrio, no pyarrow; and the conversion itself: once, in a Dask worker on a
    # loaded machine, to_numpy raised pyarrow's ArrowException ("Wrapping ...") where the same
    # chunk read again went through. The general reader is slower, never wrong.
    except Exception:  # noqa: BLE001
        return None
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    return (*_point_xy(geoms), values)


def _parquet_rows(pf, start, count, columns):
    """Rows ``start`` .. ``start + count`` of a Parquet file, reading only the row groups that
    hold them."""
    import pyarrow as pa

    pieces, offset = [], 0
    for g in range(pf.num_row_groups):
        n = pf.metadata.row_group(g).num_rows
        lo, hi = max(start, offset), min(start + count, offset + n)
        if lo < hi:
            pieces.append(pf.read_row_group(g, columns=columns).slice(lo - offset, hi - lo))
        offset += n
        if offset >= start + count:
            break
    return pa.concat_tables(pieces) if pieces else pf.schema_arrow.empty_table().select(columns)


def _point_xy(geoms):
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    multi = ~bad & (shapely.get_type_id(geoms) == 4)
    geoms = geoms.copy()
    geoms[multi] = shapely.get_geometry(geoms[multi], 0)
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    ok = ~bad
    x[ok], y[ok] = shapely.get_x(geoms[ok]), shapely.get_y(geoms[ok])
    return x, y


def summarise_points_in_polygons(polygons, points_path: str, *, layer: str | None = None, value_fields=(),
                                 chunk_rows: int = 1_000_000, execution=None, predicates=("intersects",),
                                 feedback=None):
    """Per polygon of ``polygons`` (a GeoDataFrame, its row order kept): ``count`` of the points
    of ``points_path`` that intersect it (or another of :data:`CLUSTER_PREDICATES`: "polygon
    <predicate> point", as in ``join_by_location``), ``<field>_count`` and ``<field>_sum`` per value field, read
    ``chunk_rows`` at a time. ``execution`` (:class:`engine.scale.Execution`): where the chunks
    are read and matched (default this process). Returns a DataFrame, one row per polygon.

    Raises:
        InputError: no polygons, an unknown value field, a CRS on one side only.
    """

    from .scale import run_tasks

    fb = as_feedback(feedback)
    if len(polygons) == 0:
        raise InputError("The polygon layer is empty: nothing to summarise the points in.")
    n_points, point_crs = point_source_info(points_path, layer=layer)
    value_fields = list(value_fields)
    geoms = _polygons_for(polygons, point_crs, fb)
    chunk_rows = max(1, int(chunk_rows))
    predicates = _check_xy_predicates(predicates)
    tasks = _point_file_tasks(points_path, layer, n_points, chunk_rows, value_fields, predicates)
    fb.log(f"{n_points} points in {len(tasks)} chunks of up to {chunk_rows}.")
    summed = run_tasks(_summarise_chunk, geoms, tasks, execution=execution, combine=_add_partials, feedback=fb)
    if summed is None:
        summed = (np.zeros(len(geoms), np.int64), np.zeros((2 * len(value_fields), len(geoms))), 0)
    counts, sums, unplaced = summed
    return _summary_table(polygons, value_fields, counts, sums, unplaced, fb)


def _point_file_tasks(points_path, layer, n_points, chunk_rows, value_fields, predicates) -> list[tuple]:
    """The :func:`_summarise_chunk` tasks that read a point file ``chunk_rows`` at a time: ranges
    of a GeoPackage's feature ids (every id in exactly one range, gaps or not), else row ranges
    (also when the ids are too sparse for ranges)."""
    ids = _fid_range(points_path, layer)
    if ids is None or ids[1] - ids[0] + 1 > 2 * n_points:
        return [(str(points_path), layer, start, min(chunk_rows, n_points - start), value_fields, predicates)
                for start in range(0, n_points, chunk_rows)]
    lo, hi, _ = ids
    return [(str(points_path), layer, start, chunk_rows, value_fields, predicates, ids[2])
            for start in range(lo, hi + 1, chunk_rows)]


def _polygons_for(polygons, point_crs, fb):
    """The polygons' geometries in the points' CRS, invalid ones repaired (make_valid)."""
    import shapely

    if len(polygons) == 0:
        raise InputError("The polygon layer is empty: nothing to summarise the points in.")
    geoms = np.asarray(polygons.geometry.values, dtype=object)
    if (polygons.crs is None) != (point_crs is None):
        raise InputError("Only one of the polygon and point layers has a coordinate reference system: set both.")
    if polygons.crs is not None and not polygons.crs.equals(point_crs):
        geoms = np.asarray(polygons.to_crs(point_crs).geometry.values, dtype=object)
        fb.log(f"The polygons were reprojected to the points' CRS ({point_crs.to_string()}) for the match.")
    invalid = ~shapely.is_missing(geoms) & ~shapely.is_valid(geoms)
    geoms = geoms.copy()
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    if invalid.any():
        fb.log(f"{int(invalid.sum())} invalid polygons were repaired (make_valid) before matching.")
    return geoms


def _fid_range(path, layer):
    """``(lowest id, highest id, id column)`` of a GeoPackage point layer, or None (another
    format, no id column, no features): then chunks are row ranges."""
    path = str(path)
    if not path.lower().endswith(".gpkg"):
        return None
    try:
        import pyogrio

        info = pyogrio.read_info(path, layer=layer)
        fid, name = info.get("fid_column"), info.get("layer_name")
        if not fid or not name:
            return None
        quoted_fid = '"' + fid.replace('"', '""') + '"'
        table = '"' + name.replace('"', '""') + '"'
        # two queries: SQLite answers MIN and MAX of the rowid from its index only when asked one at a time
        lo, hi = (pyogrio.read_dataframe(path, sql=f"SELECT {f}({quoted_fid}) AS v FROM {table}",
                                         read_geometry=False)["v"].iloc[0] for f in ("MIN", "MAX"))
    except Exception:  # noqa: BLE001 - whatever stops it, row ranges still work
        return None
    if lo is None or hi is None or lo != lo or hi != hi:  # no features (NULL or NaN)
        return None
    return int(lo), int(hi), fid


def _summarise_chunk(geoms, path, layer, start, count, value_fields, predicates=("intersects",), fid_column=None):
    """Per-polygon count and sums of one chunk of points, and its points with no geometry."""
    import os

    if not os.path.exists(path):  # on a worker of a cluster elsewhere: the file is not shared with it
        raise InputError(f"A Dask worker cannot read the point file {path}: put it in a folder every worker "
                         "mounts at the same path (docs/scale.md), or run with execution 'local cluster:N' "
                         "or 'local'.")
    try:
        x, y, values = read_point_chunk(path, start, count, layer=layer, columns=value_fields,
                                        fid_column=fid_column)
    except KeyError as exc:
        raise InputError(f"The point layer has no field {exc}.") from exc
    return _summarise_xy(geoms, x, y, values, value_fields, predicates)


def _summarise_xy(geoms, x, y, values, value_fields, predicates=("intersects",)):
    """``(counts, per field its sums then its non-null counts (2 × fields rows × polygons),
    points with no geometry)`` of points at x, y."""
    import pandas as pd

    from .joins import match_pairs_xy

    i, j = match_pairs_xy(geoms, x, y, predicates, order_within=False)
    n = len(geoms)
    counts = np.bincount(i, minlength=n).astype(np.int64)
    sums = np.zeros((2 * len(value_fields), n))
    for k, name in enumerate(value_fields):
        v = pd.to_numeric(values[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[j]
        ok = ~np.isnan(v)
        sums[k] = np.bincount(i[ok], weights=v[ok], minlength=n)
        sums[len(value_fields) + k] = np.bincount(i[ok], minlength=n)
    return counts, sums, int(np.isnan(x).sum())


def summarise_point_layer(polygons, points, *, value_fields=(), execution=None, npartitions: int | None = None,
                          predicates=("intersects",), feedback=None):
    """:func:`summarise_points_in_polygons` for a point GeoDataFrame already in memory (the
    points of a Processing layer, with geometries or read as bare coordinates, ``attrs['xy']``).
    In this process: one pass. On a cluster (``execution``): dask-geopandas partitions in
    Hilbert order (each one a compact patch of the map), the polygons sent to each worker once
    (one delayed task), per-partition counts and sums summed
    per polygon in dask's tree reduction. Counts equal the in-process ones exactly; sums too for
    integer-valued fields, else within rounding.

    Raises:
        InputError: no polygons, an unknown value field, a CRS on one side only.
        DependencyError: a cluster asked for without dask-geopandas installed.
    """

    fb = as_feedback(feedback)
    value_fields = list(value_fields)
    missing = [f for f in value_fields if f not in points.columns]
    if missing:
        raise InputError(f"The point layer has no field '{missing[0]}'. Fields: {', '.join(map(str, points.columns))}.")
    geoms = _polygons_for(polygons, points.crs, fb)
    predicates = _check_xy_predicates(predicates)
    if execution is None or execution.is_local:
        if points.attrs.get("xy") is not None:  # read as bare coordinates (the bridge's xy_points)
            x, y = (np.asarray(v, float) for v in points.attrs["xy"])
        else:
            x, y = _point_xy(np.asarray(points.geometry.values, dtype=object))
        counts, sums, unplaced = _summarise_xy(geoms, x, y, points, value_fields, predicates)
    else:
        if points.attrs.get("xy") is not None:
            from .joins import points_from_xy

            points = points_from_xy(points)
        counts, sums, unplaced = _summarise_on_dask(geoms, points, value_fields, execution, npartitions, fb,
                                                    predicates)
    return _summary_table(polygons, value_fields, counts, sums, unplaced, fb)


def _summary_table(polygons, value_fields, counts, sums, unplaced, fb):
    """One row per polygon (its index kept): ``count`` and ``<field>_sum``; the points with no
    geometry are logged."""
    import pandas as pd

    if unplaced:
        fb.log(f"{unplaced} points had no usable geometry and were counted nowhere.")
    out = pd.DataFrame({"count": counts}, index=polygons.index)
    for k, name in enumerate(value_fields):
        out[f"{name}_count"] = sums[len(value_fields) + k].astype(np.int64)
        out[f"{name}_sum"] = sums[k]
    return out


def _summarise_on_dask(geoms, points, value_fields, execution, npartitions, fb, predicates=("intersects",),
                       client=None):
    """Per polygon count and sums of ``points`` as dask-geopandas partitions in Hilbert order, on
    ``client`` when given (else one for ``execution``, shut down at the end)."""
    import contextlib

    import pandas as pd

    from .errors import DependencyError, EngineCancelled
    from .scale import INSTALL_HINT, POLL_S, dask_client

    try:
        import dask
        import dask_geopandas
    except ImportError as exc:
        raise DependencyError("Joining a point layer on a Dask cluster needs dask-geopandas: pip install "
                          "dask-geopandas. " + INSTALL_HINT) from exc
    present = ~np.asarray(points.geometry.isna() | points.geometry.is_empty)
    frame = points.loc[present, [*value_fields, points.geometry.name]]
    npartitions = npartitions or max(1, min(256, len(frame) // 500_000 + 1))
    ddf = dask_geopandas.from_geopandas(frame, npartitions=npartitions)
    ddf = ddf.spatial_shuffle(by="hilbert", npartitions=npartitions)
    shared = dask.delayed(geoms, pure=True)
    columns = ["count", *[f"sum_{k}" for k in range(2 * len(value_fields))]]
    meta = pd.DataFrame({"polygon": pd.Series(dtype="int64"),
                         **{c: pd.Series(dtype="float64") for c in columns}})
    partials = ddf.map_partitions(_partition_partials, shared, value_fields, predicates, meta=meta)
    total = partials.groupby("polygon").sum(split_every=8)  # dask's tree reduction
    with contextlib.nullcontext(client) if client is not None else dask_client(execution, fb) as client:
        future = client.compute(total)
        try:
            while not future.done():
                fb.check()
                time.sleep(POLL_S)
        except EngineCancelled:
            future.cancel()
            raise
        result = future.result()
    n = len(geoms)
    counts = np.zeros(n, np.int64)
    sums = np.zeros((2 * len(value_fields), n))
    idx = result.index.to_numpy(np.int64)
    counts[idx] = result["count"].to_numpy().round().astype(np.int64)
    for k in range(2 * len(value_fields)):
        sums[k, idx] = result[f"sum_{k}"].to_numpy(float)
    return counts, sums, int((~present).sum())


def _partition_partials(part, geoms, value_fields, predicates=("intersects",)):
    """One partition's per-polygon count and sums, only for the polygons it touches."""
    import pandas as pd

    x, y = _point_xy(np.asarray(part.geometry.values, dtype=object))
    counts, sums, _ = _summarise_xy(geoms, x, y, part, value_fields, predicates)
    hit = np.flatnonzero(counts)
    out = pd.DataFrame({"polygon": hit.astype(np.int64), "count": counts[hit].astype(float)})
    for k in range(2 * len(value_fields)):
        out[f"sum_{k}"] = sums[k, hit]
    return out


def _add_partials(a, b):
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


# ----------------------------------------------------------------------------- Join by location's summary

# What the summary join on a cluster serves: the predicates coordinates alone answer for a line or
# polygon INPUT against JOIN points (engine.joins.matching.XY_PREDICATES), and the statistics a sum of
# per-chunk parts gives exactly (counts) or to the last bit for integer values (sums).
CLUSTER_PREDICATES = ("intersects", "contains", "touches")
CLUSTER_SUMMARIES = ("count", "sum")
# Chunks (file rows) or partitions (points in memory) of n / TASKS_AT_LEAST points, kept between
# these bounds: enough tasks to keep every worker of a small cluster busy, few enough that the
# scheduler's work per task (about a millisecond) stays small against the task's.
TASKS_AT_LEAST = 8
MIN_CHUNK_ROWS = 10_000
MAX_CHUNK_ROWS = 1_000_000


def _check_xy_predicates(predicates) -> tuple:
    from .joins.matching import check_predicates

    chosen = check_predicates(predicates)
    other = [p for p in chosen if p not in CLUSTER_PREDICATES]
    if other:
        raise InputError(f"Points are summarised in chunks for the predicates {', '.join(CLUSTER_PREDICATES)} "
                         f"only, not {other[0]!r}.")
    return tuple(chosen)


def chunk_rows_for(n_points: int) -> int:
    """Points per chunk or partition for ``n_points`` (see :data:`TASKS_AT_LEAST`)."""
    return int(min(MAX_CHUNK_ROWS, max(MIN_CHUNK_ROWS, -(-int(n_points) // TASKS_AT_LEAST))))


def summary_join_refusal(inp, *, method, predicates, summaries, join_geometry_type) -> str | None:
    """Why ``join_by_location`` with these choices cannot be run by :func:`summary_join_on_cluster`
    (a reason for the log, which then says the join runs in this process), or None when it can.
    ``join_geometry_type``: the JOIN layer's geometry type name as QGIS writes it ('Point',
    'MultiPoint', 'Polygon' ...)."""
    import shapely

    if method != "summary":
        return f"the cluster serves the summary join type only, not '{method}'"
    chosen = set(summaries or ())
    if not chosen:
        return ("no summaries were chosen, which means all of them; the cluster calculates "
                f"{' and '.join(CLUSTER_SUMMARIES)} only")
    other = sorted(chosen - set(CLUSTER_SUMMARIES))
    if other:
        return f"the cluster calculates {' and '.join(CLUSTER_SUMMARIES)} only, not {', '.join(other)}"
    unserved = [p for p in predicates if p not in CLUSTER_PREDICATES]
    if unserved:
        return (f"the cluster matches with the predicates {', '.join(CLUSTER_PREDICATES)} only, not "
                f"'{unserved[0]}'")
    if not str(join_geometry_type).startswith("Point"):
        return f"the join layer holds {join_geometry_type} features; the cluster summarises single points"
    geoms = np.asarray(inp.geometry.values, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not present.any():
        return "the INPUT layer has no geometries"
    if int(shapely.get_dimensions(geoms[present]).min()) < 1:
        return "the INPUT layer holds points; the cluster summarises points in polygons or on lines"
    return None


def summary_join_on_cluster(inp, join=None, *, points_path: str | None = None, points_layer=None,
                            points_crs="file", predicates=("intersects",), join_fields=None, summaries=("count",),
                            prefix="", discard_nonmatching=False, invalid="repair", execution=None, feedback=None):
    """``engine.joins.join_by_location(inp, join, method="summary", ...)`` for a large JOIN point
    layer, its points matched in chunks on a Dask cluster (``execution``), with the same
    :class:`~engine.joins.JoinResult`: the same columns, names, types and order, the same
    log lines; counts equal exactly, sums too for integer-valued fields (else within rounding).

    The points come from one of:

    - ``points_path`` (``points_layer``): a GeoPackage or GeoParquet file as the layer is (no
      filter or selection), which each worker reads itself, a chunk at a time, so the points
      never pass through this process. ``points_crs``: the CRS the layer has where it was
      chosen (QGIS lets a user override a file's); when it, the file's own CRS and INPUT's are
      not one and the same, the points are read here instead (next item), so that they are
      reprojected exactly as the in-process join does;
    - ``join``: the point layer as a GeoDataFrame (points with geometries or read as bare
      coordinates, ``attrs['xy']``), or a callable that reads it (called only when needed). It
      is reprojected to INPUT's CRS, then sent to the workers as dask-geopandas partitions
      (:func:`summarise_point_layer`).

    Only what :func:`summary_join_refusal` accepts: ``summaries`` among
    :data:`CLUSTER_SUMMARIES`, ``predicates`` among :data:`CLUSTER_PREDICATES`.

    Raises:
        InputError: an unknown field, a summary or predicate the cluster does not serve, a CRS on
            one side only, a point file a worker cannot read.
        EngineCancelled: Cancel (the tasks are cancelled, a local cluster is shut down).
    """
    import os

    import geopandas as gpd
    import pandas as pd

    from .joins.by_location import join_result, summary_output
    from .joins.layers import _align_crs, _check_fields, _prepare
    from .joins.statistics import NUMERIC_STATS, STRING_STATS, SUMMARIES, _field_kind, check_summaries

    fb = as_feedback(feedback)
    predicates = _check_xy_predicates(predicates)
    wanted = check_summaries(summaries)
    if wanted - set(CLUSTER_SUMMARIES):
        raise InputError(f"On a cluster the summaries are {' and '.join(CLUSTER_SUMMARIES)} only, not "
                         f"{', '.join(sorted(wanted - set(CLUSTER_SUMMARIES)))}.")
    what_in = inp.attrs.get("source_name", "INPUT")
    in_geoms, in_report = _prepare(inp, f"INPUT {what_in}", invalid, fb)
    polygons = gpd.GeoDataFrame(geometry=gpd.GeoSeries(in_geoms, crs=inp.crs), crs=inp.crs)
    n_points = 0
    if points_path is not None:
        n_points, file_crs = point_source_info(points_path, layer=points_layer)
        declared = file_crs if isinstance(points_crs, str) and points_crs == "file" else points_crs
        if not (_same_crs(inp.crs, file_crs) and _same_crs(declared, file_crs)):
            fb.log("The point file's CRS is not the INPUT layer's: its points are read here, reprojected as "
                   "in-process and sent to the workers as partitions.")
            points_path = None
    if points_path is not None:
        what_join = os.path.basename(str(points_path))
        header = _header_frame(points_path, points_layer)
        fields = _check_fields(header, join_fields, f"The join layer {what_join}")
        kinds = {name: _field_kind(header[name]) for name in fields}
        rows = chunk_rows_for(n_points)
        fb.log(f"The workers read the points from {what_join} themselves.")
        table = summarise_points_in_polygons(
            polygons, points_path, layer=points_layer, chunk_rows=rows, execution=execution,
            value_fields=[f for f in fields if kinds[f] == "numeric"], predicates=predicates, feedback=fb)
    else:
        join = join() if callable(join) else join
        what_join = join.attrs.get("source_name", "JOIN")
        fields = _check_fields(join, join_fields, f"The join layer {what_join}")
        kinds = {name: _field_kind(join[name]) for name in fields}
        value_fields = [f for f in fields if kinds[f] == "numeric"]
        join = _align_crs(inp, join, f"INPUT {what_in}", f"JOIN {what_join}", fb)
        if len(join) == 0 or len(inp) == 0:
            table = _summary_table(polygons, value_fields, np.zeros(len(inp), np.int64),
                                   np.zeros((2 * len(value_fields), len(inp))), 0, fb)
        else:
            fb.log(f"The {len(join)} points are sent to the workers as partitions.")
            table = summarise_point_layer(polygons, join, value_fields=value_fields, execution=execution,
                                          npartitions=-(-len(join) // chunk_rows_for(len(join))),
                                          predicates=predicates, feedback=fb)
    total = table["count"].to_numpy(np.int64)
    columns, skipped = {}, []
    for name in fields:  # as engine.joins.statistics.summarise_matches names and orders them
        kind = kinds[name]
        order = NUMERIC_STATS if kind == "numeric" else STRING_STATS
        not_applicable = [s for s in SUMMARIES if s in wanted and s not in order]
        if not_applicable:
            skipped.append(f"{name} ({kind}): {', '.join(not_applicable)}")
        for stat in (s for s in order if s in wanted):
            # a text field's count includes its nulls (QGIS's string summary): every matched point
            columns[f"{name}_{stat}"] = table[f"{name}_{stat}"].to_numpy() if kind == "numeric" else total
    if skipped:
        fb.log("Statistics that do not apply to a field's type were not calculated: " + "; ".join(skipped) + ".")
    stats = pd.DataFrame(columns, index=range(len(inp)))
    matched = total > 0
    base = inp.reset_index(drop=True)
    out = summary_output(base, stats, matched, prefix, discard_nonmatching)
    return join_result(base, out, matched, int(total.sum()), in_report.skipped, "summary", discard_nonmatching, fb)


def _same_crs(a, b) -> bool:
    import pyproj

    if a is None or b is None:
        return a is None and b is None
    try:
        return bool(pyproj.CRS.from_user_input(a).equals(pyproj.CRS.from_user_input(b)))
    except Exception:  # noqa: BLE001 - a CRS pyproj cannot compare is not "the same"
        return False


def _header_frame(path: str, layer=None):
    """A GeoDataFrame with no rows and the point file's attribute fields with their types (as
    pyogrio or pyarrow read them), to check field names and tell numbers from text."""
    import geopandas as gpd
    import pandas as pd

    path = str(path)
    if path.lower().endswith(PARQUET_SUFFIXES):
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        gcol = _geo_metadata(pf)["primary_column"]
        frame = pf.schema_arrow.empty_table().drop_columns([gcol]).to_pandas()
    else:
        import pyogrio

        info = pyogrio.read_info(path, layer=layer)
        frame = pd.DataFrame({name: pd.Series(dtype=str(dtype))
                              for name, dtype in zip(info["fields"], info["dtypes"], strict=True)})
    frame = frame.reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], index=frame.index, dtype="geometry"))


# ----------------------------------------------------------------------------- Area profile's point layers

@dataclass(frozen=True)
class PointFile:
    """A point layer of the area profile given as the file it is (a GeoPackage or GeoParquet
    layer used as it is: no filter, no selection), which a cluster's workers may read
    themselves. ``crs``: the layer's CRS where it was chosen (QGIS lets a user override a file's);
    ``read()``: the layer read in this process as the in-process profile reads it (called only
    when the workers cannot read the file as it is)."""

    path: str
    layer: Any = None  # a layer name, or its index in the file
    crs: object = "file"
    read: Callable[[], Any] | None = None


def profile_areas_on_cluster(areas, layers, *, value_fields: str | None = None, population_field=None,
                             short_names=False, invalid="repair", execution=None, feedback=None):
    """``engine.joins.profile_areas(areas, layers, ...)`` with its point layers counted (and
    their value fields summed) on a Dask cluster (``execution``); the same ``(gdf, columns)``:
    the same columns, names, types and order, counts and integer sums equal exactly, sums and
    means of real values within rounding (the chunks add in another order).

    ``layers``: ``(name, source)`` pairs; a source is a GeoDataFrame read here (as for
    ``profile_areas``) or a :class:`PointFile`. Where the points travel:

    - a :class:`PointFile` whose CRS (in QGIS and in the file) is the one the profile measures in
      (the CRS of AREAS, when it measures true in metres) and whose value field, if any, is
      stored as numbers: each worker reads its chunks of the file itself (row or feature-id
      ranges, :func:`summarise_points_in_polygons`' tasks); the points never pass through this
      process. Otherwise it is read here (``read()``), and goes as the next item;
    - a point GeoDataFrame of single points: reprojected and cleaned here as in-process, then
      sent as dask-geopandas partitions in Hilbert order (the coordinates and the value field
      only);
    - line and polygon layers, and multipoint layers, are measured in this process, as by
      ``profile_areas``; the log says which and why.

    A point matches an area as in-process (``intersects``: a point on a shared boundary counts
    for both); NULL values are left out of sums and means; points with no geometry count nowhere
    and are counted in the log.

    Raises:
        InputError: as ``profile_areas`` (no layer, a VALUE_FIELDS entry naming no layer or field,
            a CRS missing), or a point file a worker cannot read.
        EngineCancelled: Cancel (the tasks are cancelled, a local cluster is shut down).
    """
    import contextlib

    from .joins.profile import POINTS_ELSEWHERE, ProfileLayer, area_profile, parse_value_fields
    from .scale import dask_client

    fb = as_feedback(feedback)
    if not layers:
        raise InputError("Choose at least one agency layer (LAYERS).")
    names = [name for name, _ in layers]
    headers = [_profile_header(src) if isinstance(src, PointFile) else src for _, src in layers]
    chosen = parse_value_fields(value_fields, names,
                                [[c for c in h.columns if c != h.geometry.name] for h in headers])
    target = _profile_crs(areas)
    frames, here = [], []
    for (name, src), header, field in zip(layers, headers, chosen, strict=True):
        if not isinstance(src, PointFile):
            kind = src.attrs.get("geometry_kind") or _kind_of(src)
            if kind in ("line", "polygon"):
                here.append(f"{name} ({kind}s)")
            frames.append(src)
            continue
        why = _point_file_refusal(src, header, field, target)
        if why is None:
            fb.log(f"Execution: the workers read the points of {name} from {os.path.basename(src.path)} themselves.")
            frames.append(header)
            continue
        fb.log(f"Execution: the points of {name} are read here and sent to the workers, because {why}.")
        if src.read is None:
            raise InputError(f"Layer {name}: {why}, and no reader was given to read it here.")
        frames.append(src.read())
    if here:
        fb.log("Execution: " + ", ".join(here) + " are measured in this process (the cluster counts point "
               "layers only).")
    with contextlib.ExitStack() as stack:
        clients: list = []

        def client():
            if not clients:
                clients.append(stack.enter_context(dask_client(execution, fb)))
            return clients[0]

        def on_cluster(lay, frame, geoms, values, area_geoms, sub):
            return _profile_points(lay, frame, geoms, values, area_geoms, client, fb, sub, POINTS_ELSEWHERE)

        return area_profile(
            areas, [ProfileLayer(name, frame, field) for name, frame, field in zip(names, frames, chosen, strict=True)],
            population_field=population_field, short_names=short_names, invalid=invalid, feedback=fb,
            point_summary=on_cluster)


def _kind_of(frame) -> str:
    """'point', 'line' or 'polygon' from the geometries' highest dimension (as ``area_profile``)."""
    import shapely

    geoms = np.asarray(frame.geometry.values, dtype=object)
    dims = shapely.get_dimensions(geoms[~shapely.is_missing(geoms)])
    return {0: "point", 1: "line", 2: "polygon"}.get(int(dims.max()), "none") if len(dims) else "point"


def _profile_header(src: PointFile):
    """The point file's fields with no rows, as a point layer of ``area_profile`` (its CRS the
    layer's, marked as counted elsewhere)."""
    from .joins.profile import POINTS_ELSEWHERE

    header = _header_frame(src.path, src.layer)
    file_crs = point_source_info(src.path, layer=src.layer)[1]
    declared = file_crs if isinstance(src.crs, str) and src.crs == "file" else src.crs
    header = header.set_crs(declared, allow_override=True) if declared is not None else header
    header.attrs.update({"geometry_kind": "point", "source_name": os.path.basename(src.path),
                         POINTS_ELSEWHERE: (src.path, src.layer), "file_crs": file_crs})
    return header


def _profile_crs(areas):
    """The CRS ``area_profile`` measures in (``engine.crs.common_crs``: AREAS' own when it
    measures true in metres, else a local projected one), or None when no layer has a CRS (or
    the profile will stop on a missing one)."""
    from .crs import ensure_projected

    if areas.crs is None:
        return None
    try:
        return ensure_projected(areas)[1]
    except InputError:
        return None  # area_profile says why, with its own message


def _point_file_refusal(src: PointFile, header, field, target) -> str | None:
    """Why the workers cannot read ``src`` as it is for the profile (a reason for the log), or None."""
    import pandas as pd

    file_crs = header.attrs["file_crs"]
    if not (_same_crs(header.crs, file_crs) and _same_crs(file_crs, target)):
        return "the layer's CRS is not the one the profile measures in, so its points are reprojected here first"
    if field is not None and not (pd.api.types.is_numeric_dtype(header[field].dtype)
                                  and not pd.api.types.is_bool_dtype(header[field].dtype)):
        return f"its value field {field} is not stored as numbers, so it is read here as in-process"
    return None


def _profile_points(lay, frame, geoms, values, area_geoms, client, fb, sub, marker):
    """One point layer of the profile on the cluster: ``(count, sum, non-null count)`` per area,
    or None (counted in this process) for multipoints."""
    import geopandas as gpd
    import shapely

    from .scale import run_tasks

    n = len(area_geoms)
    fields = ["value"] if values is not None else []
    where = lay.gdf.attrs.get(marker)
    if where is not None:  # the workers read the file
        path, layer = where
        n_points = point_source_info(path, layer=layer)[0]
        rows = chunk_rows_for(n_points)
        tasks = _point_file_tasks(path, layer, n_points, rows, [lay.value_field] if fields else [],
                                  ("intersects",))
        fb.log(f"{lay.name}: {n_points} points in {len(tasks)} chunks of up to {rows}.")
        summed = run_tasks(_summarise_chunk, area_geoms, tasks, client=client(), combine=_add_partials,
                           feedback=sub) if tasks else None
        if summed is None:
            summed = (np.zeros(n, np.int64), np.zeros((2 * len(fields), n)), 0)
        counts, sums, unplaced = summed
        if unplaced:
            fb.log(f"{lay.name}: {unplaced} points had no usable geometry and were counted nowhere.")
    else:
        present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        if (shapely.get_type_id(geoms[present]) != 0).any():
            fb.log(f"Execution: {lay.name} holds multipoints, which the cluster does not count; it is counted "
                   "in this process.")
            return None
        if not present.any() or not any(g is not None for g in area_geoms):
            counts, sums = np.zeros(n, np.int64), np.zeros((2 * len(fields), n))
        else:
            data = {"value": values} if values is not None else {}
            points = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms), crs=frame.crs)
            rows = chunk_rows_for(int(present.sum()))
            fb.log(f"{lay.name}: {int(present.sum())} points are sent to the workers as partitions.")
            counts, sums, _ = _summarise_on_dask(area_geoms, points, fields, None, -(-int(present.sum()) // rows),
                                                 sub, ("intersects",), client=client())
    if not fields:
        return counts, None, None
    nonnull = sums[1].astype(np.int64)
    # in-process, numpy's bincount of no values at all gives integer zeros: the same column type here
    return counts, (sums[0] if nonnull.any() else np.zeros(n, np.int64)), nonnull
