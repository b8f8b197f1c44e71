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
import time

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


def read_point_chunk(path: str, start: int, count: int, *, layer: str | None = None, columns=()):
    """``(x, y, values)`` of features ``start`` .. ``start + count`` (values: a DataFrame of
    ``columns``). Missing or empty geometries give NaN coordinates (they match nothing);
    multipoints give their first point."""
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
        import pyogrio

        frame = pyogrio.read_dataframe(path, layer=layer, columns=columns, skip_features=start,
                                       max_features=count)
        values = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        geoms = np.asarray(frame.geometry.values, dtype=object)
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
                                 chunk_rows: int = 1_000_000, execution=None, feedback=None):
    """Per polygon of ``polygons`` (a GeoDataFrame, its row order kept): ``count`` of the points
    of ``points_path`` that intersect it, ``<field>_count`` and ``<field>_sum`` per value field, read
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
    tasks = [(str(points_path), layer, start, min(chunk_rows, n_points - start), value_fields)
             for start in range(0, n_points, chunk_rows)]
    fb.log(f"{n_points} points in {len(tasks)} chunks of up to {chunk_rows}.")
    summed = run_tasks(_summarise_chunk, geoms, tasks, execution=execution, combine=_add_partials, feedback=fb)
    if summed is None:
        summed = (np.zeros(len(geoms), np.int64), np.zeros((2 * len(value_fields), len(geoms))), 0)
    counts, sums, unplaced = summed
    return _summary_table(polygons, value_fields, counts, sums, unplaced, fb)


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


def _summarise_chunk(geoms, path, layer, start, count, value_fields):
    """Per-polygon count and sums of one chunk of points, and its points with no geometry."""
    try:
        x, y, values = read_point_chunk(path, start, count, layer=layer, columns=value_fields)
    except KeyError as exc:
        raise InputError(f"The point layer has no field {exc}.") from exc
    return _summarise_xy(geoms, x, y, values, value_fields)


def _summarise_xy(geoms, x, y, values, value_fields):
    """``(counts, per field its sums then its non-null counts (2 × fields rows × polygons),
    points with no geometry)`` of points at x, y."""
    import pandas as pd

    from .joins import match_pairs_xy

    i, j = match_pairs_xy(geoms, x, y, ("intersects",), order_within=False)
    n = len(geoms)
    counts = np.bincount(i, minlength=n).astype(np.int64)
    sums = np.zeros((2 * len(value_fields), n))
    for k, name in enumerate(value_fields):
        v = pd.to_numeric(values[name], errors="coerce").to_numpy(float)[j]
        ok = ~np.isnan(v)
        sums[k] = np.bincount(i[ok], weights=v[ok], minlength=n)
        sums[len(value_fields) + k] = np.bincount(i[ok], minlength=n)
    return counts, sums, int(np.isnan(x).sum())


def summarise_point_layer(polygons, points, *, value_fields=(), execution=None, npartitions: int | None = None,
                          feedback=None):
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
    if execution is None or execution.is_local:
        if points.attrs.get("xy") is not None:  # read as bare coordinates (the bridge's xy_points)
            x, y = (np.asarray(v, float) for v in points.attrs["xy"])
        else:
            x, y = _point_xy(np.asarray(points.geometry.values, dtype=object))
        counts, sums, unplaced = _summarise_xy(geoms, x, y, points, value_fields)
    else:
        if points.attrs.get("xy") is not None:
            from .joins import points_from_xy

            points = points_from_xy(points)
        counts, sums, unplaced = _summarise_on_dask(geoms, points, value_fields, execution, npartitions, fb)
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


def _summarise_on_dask(geoms, points, value_fields, execution, npartitions, fb):
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
    partials = ddf.map_partitions(_partition_partials, shared, value_fields, meta=meta)
    total = partials.groupby("polygon").sum(split_every=8)  # dask's tree reduction
    with dask_client(execution, fb) as client:
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


def _partition_partials(part, geoms, value_fields):
    """One partition's per-polygon count and sums, only for the polygons it touches."""
    import pandas as pd

    x, y = _point_xy(np.asarray(part.geometry.values, dtype=object))
    counts, sums, _ = _summarise_xy(geoms, x, y, part, value_fields)
    hit = np.flatnonzero(counts)
    out = pd.DataFrame({"polygon": hit.astype(np.int64), "count": counts[hit].astype(float)})
    for k in range(2 * len(value_fields)):
        out[f"sum_{k}"] = sums[k, hit]
    return out


def _add_partials(a, b):
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]
