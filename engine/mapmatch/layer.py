"""A GPS point layer in, matched routes, every point with its status and the per-track quality
table out: what ``joinedup:mapmatch`` writes."""
from __future__ import annotations

import numpy as np

from ..errors import InputError, as_feedback
from .graph import MatchGraph
from .hmm import MatchOptions, match_tracks
from .names import MATCHED
from .routes import route_geometries


def match_layer(points, graph: MatchGraph, *, track_field: str, time_field: str,
                mode_field: str | None = None, max_gap_s: float | None = 300.0,
                options: MatchOptions | None = None, execution=None, feedback=None):
    """Map-match a GPS point layer on ``graph`` (see :class:`MatchGraph`).

    Returns ``(routes, matched_points, quality, notes)``:

    - ``routes``: GeoDataFrame, one LineString per continuous matched run of a track
      (``track_id, piece, mode, start_time, end_time, n_points, length_m, edge_ids``; a
      run that did not move has no geometry and no edges);
    - ``matched_points``: every input row, in input order, with its attributes and
      ``status`` (``matched`` or the reason it was not), ``route_id``, ``edge_id``,
      ``offset_m`` (GPS point to matched position); the geometry is the matched position
      for matched points, the input position otherwise;
    - ``quality``: one row per track id (``n_points``, ``n_matched``, ``share_matched``,
      ``mean_offset_m``, ``max_offset_m``, ``n_routes``, ``length_m``, start and end time);
    - ``notes``: lines for the log (reprojection, counts per reason).
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    from ..crs import ensure_projected
    from ..tracks import prepare_tracks

    fb = as_feedback(feedback)
    name = points.attrs.get("source_name", "GPS points")
    notes = []
    if points.crs is None:
        raise InputError(f"{name} has no coordinate reference system. Set the layer's CRS "
                         "(Layer Properties > Source) before running this algorithm.")
    pts, _, note = ensure_projected(points, target=graph.crs, what=name)
    if note:
        notes.append(note)
    pts.attrs.update(points.attrs)
    table, status, report = prepare_tracks(pts, track_field=track_field, time_field=time_field,
                                           mode_field=mode_field, max_gap_s=max_gap_s)
    fb.log(report.describe(name))
    notes.append(report.describe(name))
    result = match_tracks(graph, table, options=options, execution=execution, feedback=fb.sub(0.0, 0.9))
    mp = result.points
    routes, mode_by_row = routes_frame(graph, table, result)
    # every input row
    n = len(points)
    out = pd.DataFrame(points.drop(columns=points.geometry.name)).reset_index(drop=True)
    full_status = status.copy()
    rows = mp["row"].to_numpy(np.int64)
    full_status[rows] = mp["status"].to_numpy(dtype=object)
    out["status"] = full_status
    route_id = np.full(n, -1, np.int64)
    route_id[rows] = mp["run"].to_numpy(np.int64)
    edge_id = np.full(n, -1, np.int64)
    edge_id[rows] = mp["edge_id"].to_numpy(np.int64)
    offset = np.full(n, np.nan)
    offset[rows] = mp["offset_m"].to_numpy(float)
    out["route_id"] = pd.array(np.where(route_id >= 0, route_id, 0), dtype="Int64")
    out.loc[route_id < 0, "route_id"] = pd.NA
    out["edge_id"] = pd.array(np.where(edge_id >= 0, edge_id, 0), dtype="Int64")
    out.loc[edge_id < 0, "edge_id"] = pd.NA
    out["offset_m"] = np.round(offset, 3)
    geom = np.asarray(pts.geometry.values, dtype=object).copy()
    ok = np.flatnonzero(route_id >= 0)
    pos = pd.Series(np.arange(len(mp)), index=rows)
    sel = pos.reindex(ok).to_numpy(np.int64)
    geom[ok] = shapely.points(mp["match_x"].to_numpy()[sel], mp["match_y"].to_numpy()[sel])
    matched_points = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geom, crs=graph.crs), crs=graph.crs)
    counts = pd.Series(full_status).value_counts()
    notes.append("Points: " + ", ".join(f"{int(v)} {k}" for k, v in counts.items()) +
                 (f"; {result.breaks} routing gaps split tracks" if result.breaks else ""))
    # quality per track id
    quality = _quality(points, track_field, full_status, offset, routes, mode_by_row, table)
    fb.set_progress(1.0)
    return routes, matched_points, quality, notes


def routes_frame(graph: MatchGraph, table, result):
    """``(routes, mode_by_row)``: the routes GeoDataFrame of :func:`match_layer` (one row per
    continuous matched run) from the track ``table`` of ``prepare_tracks`` and the
    :class:`MatchResult` of ``match_tracks`` on it, and each table row's mode."""
    import geopandas as gpd
    import pandas as pd

    mp = result.points
    runs, geoms, ids_text, length = route_geometries(graph, result.traversals)
    rinfo = result.runs.set_index("run")
    has_time = table["time"].notna().any() if len(table) else False
    t_first = mp.groupby("run")["t_s"].min()
    t_last = mp.groupby("run")["t_s"].max()
    run_ids = rinfo.index.to_numpy()
    geom_by_run = dict(zip(runs.tolist(), geoms))
    text_by_run = dict(zip(runs.tolist(), ids_text))
    len_by_run = dict(zip(runs.tolist(), length))
    routes = pd.DataFrame({"route_id": run_ids.astype(np.int64),
                           "track_id": rinfo["track_id"].to_numpy(dtype=object),
                           "piece": rinfo["piece"].to_numpy(np.int64)})
    first_rows = rinfo["first_row"].to_numpy(np.int64)
    mode_by_row = dict(zip(table["row"].tolist(), table["mode"].tolist()))
    routes["mode"] = [mode_by_row.get(r) for r in first_rows.tolist()]
    time_by_s = _time_lookup(table) if has_time else None
    routes["start_time"] = _as_time(t_first.reindex(run_ids).to_numpy(), time_by_s)
    routes["end_time"] = _as_time(t_last.reindex(run_ids).to_numpy(), time_by_s)
    routes["n_points"] = mp.groupby("run").size().reindex(run_ids).to_numpy(np.int64)
    routes["length_m"] = np.round([len_by_run.get(r, 0.0) for r in run_ids.tolist()], 3)
    routes["edge_ids"] = [text_by_run.get(r, "") for r in run_ids.tolist()]
    routes = gpd.GeoDataFrame(routes, geometry=gpd.GeoSeries(
        [geom_by_run.get(r) for r in run_ids.tolist()], crs=graph.crs), crs=graph.crs)
    return routes, mode_by_row


def _time_lookup(table):
    return dict(zip(table["t_s"].tolist(), table["time"].tolist()))


def _as_time(seconds, lookup):
    import pandas as pd

    if lookup is None:
        return seconds
    return pd.to_datetime(pd.Series([lookup.get(s) for s in seconds.tolist()], dtype=object))


def _quality(points, track_field, status, offset, routes, mode_by_row, table):
    import pandas as pd

    track = points[track_field].reset_index(drop=True)
    frame = pd.DataFrame({"track_id": track.astype(object), "matched": status == MATCHED,
                          "offset": np.where(status == MATCHED, offset, np.nan)})
    frame = frame[track.notna().to_numpy()]
    q = frame.groupby("track_id", sort=True).agg(
        n_points=("matched", "size"), n_matched=("matched", "sum"),
        mean_offset_m=("offset", "mean"), max_offset_m=("offset", "max"))
    q["share_matched"] = q["n_matched"] / q["n_points"]
    r = routes.groupby("track_id").agg(n_routes=("route_id", "size"), length_m=("length_m", "sum"),
                                       start_time=("start_time", "min"), end_time=("end_time", "max"))
    q = q.join(r, how="left")
    q["n_routes"] = q["n_routes"].fillna(0).astype(np.int64)
    q["length_m"] = q["length_m"].fillna(0.0)
    modes = table.groupby("track_id")["mode"].first() if len(table) else pd.Series(dtype=object)
    q["mode"] = modes.reindex(q.index).to_numpy(dtype=object)
    q = q.reset_index()
    for c in ("mean_offset_m", "max_offset_m", "share_matched", "length_m"):
        q[c] = q[c].astype(float).round(3)
    return q[["track_id", "mode", "n_points", "n_matched", "share_matched", "mean_offset_m",
              "max_offset_m", "n_routes", "length_m", "start_time", "end_time"]]
