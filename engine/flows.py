"""Per-edge usage of a network: from matched routes (counts of passages and unique tracks per
mode or category, filtered by time of day and weekday) or from an origin-destination table
assigned all-or-nothing to shortest paths.

Counting convention: a *passage* is one traversal of an edge by a route (a track that comes
back along the same street later counts twice); *tracks* counts distinct track ids per edge.
An edge is counted when the matched route covers any non-zero part of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, as_feedback

NO_CATEGORY = "(none)"


@dataclass
class FlowReport:
    routes: int = 0
    used: int = 0
    skipped: dict = field(default_factory=dict)

    def describe(self, name: str = "routes") -> str:
        parts = [f"{name}: {self.routes} read, {self.used} counted"]
        parts += [f"{v} left out: {k}" for k, v in self.skipped.items() if v]
        return "; ".join(parts)


def parse_edge_lists(values):
    """``(route index, edge id)`` arrays from text such as "12,13,15" (one per route)."""
    import pandas as pd

    s = pd.Series(values, dtype=object).fillna("").astype(str)
    parts = s.str.split(",").explode()
    parts = parts[parts.str.strip() != ""]
    ids = pd.to_numeric(parts, errors="coerce")
    if ids.isna().any():
        bad = parts[ids.isna()].iloc[0]
        raise InputError(f"An edge id list holds {bad!r}, which is not a number: use the "
                         "'edge_ids' field written by Map-match GPS tracks.")
    return parts.index.to_numpy(np.int64), ids.to_numpy(np.int64)


def time_filter(times, *, hours=None, weekdays=None):
    """Boolean mask of the rows whose time falls in the ``hours`` window ``(from_h, to_h)``
    (decimal hours, ``from_h > to_h`` wraps past midnight, e.g. (22, 6)) and on one of
    ``weekdays`` (0 = Monday .. 6 = Sunday). Rows with no time fail any filter."""
    import pandas as pd

    t = pd.to_datetime(pd.Series(times), errors="coerce")
    ok = np.ones(len(t), bool)
    if hours is None and not weekdays:
        return ok
    ok &= t.notna().to_numpy()
    if hours is not None:
        h0, h1 = float(hours[0]), float(hours[1])
        hod = (t.dt.hour + t.dt.minute / 60.0 + t.dt.second / 3600.0).to_numpy(float)
        inside = (hod >= h0) & (hod < h1) if h0 <= h1 else (hod >= h0) | (hod < h1)
        ok &= np.nan_to_num(inside, nan=0).astype(bool)
    if weekdays:
        ok &= np.isin(t.dt.weekday.to_numpy(float), [int(d) for d in weekdays])
    return ok


def flows_from_routes(routes, edge_ids, *, edge_list_field: str = "edge_ids",
                      track_field: str = "track_id", category_field: str | None = None,
                      time_field: str | None = None, hours=None, weekdays=None, execution=None,
                      feedback=None):
    """Count passages and unique tracks per edge.

    ``routes``: a (Geo)DataFrame with an edge-id list field (text "1,2,3"), a track id and
    optionally a category (mode) and a time (the route's start). ``edge_ids``: the network's
    edge ids (the output has one row per edge, in this order). Returns ``(table, categories,
    report)``: ``table`` has ``edge_id``, ``passages``, ``tracks`` and per category
    ``passages_<cat>``, ``tracks_<cat>``.

    ``execution`` (:class:`engine.scale.Execution`): on a cluster the routes are partitioned
    by track (every route of a track in one partition, so distinct-track counts add up), each
    partition is counted on a worker and the per-edge counts are summed in a tree reduction;
    the counts are integers, so the result is the in-process one exactly.
    """
    import pandas as pd

    fields = [edge_list_field, track_field, category_field, time_field]
    for name in fields:
        if name and name not in routes.columns:
            raise InputError(f"The routes layer has no field '{name}'. Fields: "
                             f"{', '.join(map(str, routes.columns))}.")
    if execution is not None and not execution.is_local and len(routes):
        return _flows_by_track_partition(
            pd.DataFrame(routes[list(dict.fromkeys(f for f in fields if f))]).reset_index(drop=True),
            edge_ids, dict(edge_list_field=edge_list_field, track_field=track_field,
                           category_field=category_field, time_field=time_field, hours=hours,
                           weekdays=weekdays), execution, feedback)
    report = FlowReport(routes=len(routes))
    keep = np.ones(len(routes), bool)
    if hours is not None or weekdays:
        if not time_field:
            raise InputError("A time-of-day or weekday filter needs a time field on the routes.")
        ok = time_filter(routes[time_field].to_numpy(), hours=hours, weekdays=weekdays)
        no_time = pd.to_datetime(routes[time_field], errors="coerce").isna().to_numpy()
        report.skipped["no time (filter needs one)"] = int((no_time & keep).sum())
        report.skipped["outside the time filter"] = int((~ok & ~no_time & keep).sum())
        keep &= ok
    track = routes[track_field].reset_index(drop=True)
    no_track = track.isna().to_numpy()
    report.skipped["no track id"] = int((no_track & keep).sum())
    keep &= ~no_track
    if category_field:
        cat = routes[category_field].reset_index(drop=True).astype(object)
        cat = cat.where(cat.notna(), NO_CATEGORY).astype(str).to_numpy()
    else:
        cat = np.full(len(routes), NO_CATEGORY, dtype=object)
    rid, eid = parse_edge_lists(routes[edge_list_field].to_numpy(dtype=object))
    edge_ids = np.asarray(edge_ids)
    order = np.argsort(edge_ids, kind="stable")
    pos = np.searchsorted(edge_ids[order], eid)
    known = (pos < len(edge_ids)) & (edge_ids[order][np.minimum(pos, len(edge_ids) - 1)] == eid)
    if len(eid) and not known.all():
        bad = eid[~known][:5].tolist()
        raise InputError(f"The routes name edge ids that the network does not have (e.g. {bad}): "
                         "were they matched on another network or with other network settings?")
    eidx = order[pos] if len(eid) else pos
    empty = np.bincount(rid, minlength=len(routes)) == 0 if len(routes) else np.zeros(0, bool)
    report.skipped["no edges (did not move)"] = int((empty & keep).sum())
    use = keep[rid]
    rid, eidx = rid[use], eidx[use]
    report.used = int((keep & ~empty).sum())
    tcode = pd.factorize(track)[0]
    n = len(edge_ids)
    table = pd.DataFrame({"edge_id": edge_ids})
    table["passages"] = np.bincount(eidx, minlength=n)
    table["tracks"] = _unique_counts(eidx, tcode[rid], n)
    categories = sorted(set(cat[keep].tolist())) if category_field else []
    for c in categories:
        m = cat[rid] == c
        table[f"passages_{c}"] = np.bincount(eidx[m], minlength=n)
        table[f"tracks_{c}"] = _unique_counts(eidx[m], tcode[rid[m]], n)
    return table, categories, report


# Routes per task on a cluster. Counting is cheap (about 13,000 routes a second), so tasks are kept
# small enough that two workers get several each: with 4 tasks of 50,000 for 200,000 routes, one
# worker finishing early idled (bench_scale_flows.py: 1.23x from 1 to 2 workers).
ROUTES_PER_TASK = 12_500


def _flows_by_track_partition(routes, edge_ids, options, execution, feedback):
    """:func:`flows_from_routes` on partitions of whole tracks, summed per edge by
    :func:`engine.scale.run_tasks` (a tree reduction on the cluster)."""
    import pandas as pd

    from .scale import run_tasks

    track_code = pd.factorize(routes[options["track_field"]])[0]
    # workers see a number per track, never the track id (a vehicle or a person's device)
    routes[options["track_field"]] = pd.array(np.where(track_code >= 0, track_code, 0), dtype="Int64")
    routes.loc[track_code < 0, options["track_field"]] = pd.NA
    n_parts = max(1, -(-len(routes) // ROUTES_PER_TASK))
    part = np.maximum(track_code, 0) % n_parts  # routes with no track id go with track 0
    tasks = [(routes[part == p].reset_index(drop=True), options) for p in range(n_parts) if (part == p).any()]
    return run_tasks(_count_partition, np.asarray(edge_ids), tasks, execution=execution,
                     combine=_add_flows, feedback=feedback)


def _count_partition(edge_ids, routes, options):
    return flows_from_routes(routes, edge_ids, **options)


def _add_flows(a, b):
    """The per-edge counts, categories and report of two partitions together, with the columns
    in :func:`flows_from_routes`'s order."""
    table_a, cats_a, report_a = a
    table_b, cats_b, report_b = b
    categories = sorted(set(cats_a) | set(cats_b))
    columns = ["edge_id", "passages", "tracks"] + [f"{k}_{c}" for c in categories for k in ("passages", "tracks")]
    counts = [c for c in columns if c != "edge_id"]
    table = table_a.reindex(columns=columns, fill_value=0)
    table[counts] = table[counts] + table_b.reindex(columns=columns, fill_value=0)[counts]
    skipped = dict(report_a.skipped)
    for key, value in report_b.skipped.items():
        skipped[key] = skipped.get(key, 0) + value
    report = FlowReport(routes=report_a.routes + report_b.routes, used=report_a.used + report_b.used,
                        skipped=skipped)
    return table, categories, report


def _unique_counts(edge_index, track_code, n):
    if len(edge_index) == 0:
        return np.zeros(n, np.int64)
    pairs = np.unique(np.stack([edge_index, track_code], axis=1), axis=0)
    return np.bincount(pairs[:, 0], minlength=n)


def assign_od(net, origins, destinations, volumes, *, categories=None, weight: str = "length",
              max_snap_m: float | None = None, execution=None, feedback=None):
    """All-or-nothing assignment: each OD pair's volume is added to every edge of its shortest
    path (including the part-edges at both ends where the route runs along them).

    ``origins``/``destinations``: point geometries or (n, 2) coordinates in the network's CRS,
    one per OD row; ``volumes``: numbers (null/negative rows are skipped and counted).
    Returns ``(table, categories, pair_status)``: ``table`` per edge (``edge_id``, ``volume``
    and ``volume_<cat>``); ``pair_status`` per OD row: 'assigned', 'not on network',
    'unreachable', 'no volume'.

    The rows are assigned in chunks of :data:`OD_ROWS_PER_TASK` whose per-edge volumes are
    summed in one fixed tree order, in this process or on the cluster of ``execution``
    (:class:`engine.scale.Execution`; the network and the snapped ends go to each worker once),
    so both give the same volumes to the last bit.
    """
    import pandas as pd

    from .scale import run_tasks

    fb = as_feedback(feedback)
    vol = pd.to_numeric(pd.Series(volumes), errors="coerce").to_numpy(float)
    n_od = len(vol)
    status = np.full(n_od, "assigned", dtype=object)
    bad_vol = ~np.isfinite(vol) | (vol < 0)
    status[bad_vol] = "no volume"
    so = net.snap(origins, max_snap_m=max_snap_m)
    sd = net.snap(destinations, max_snap_m=max_snap_m)
    off = (so.edge < 0) | (sd.edge < 0)
    status[~bad_vol & off] = "not on network"
    todo = np.flatnonzero(status == "assigned")
    cats = (pd.Series(categories).astype(object).where(pd.Series(categories).notna(), NO_CATEGORY)
            .astype(str).to_numpy() if categories is not None else np.full(n_od, NO_CATEGORY, object))
    cat_names = sorted(set(cats[todo].tolist())) if categories is not None else []
    shared = (net, so, sd, vol, cats, cat_names, weight)
    chunks = [(todo[start:start + OD_ROWS_PER_TASK],) for start in range(0, len(todo), OD_ROWS_PER_TASK)]
    summed = run_tasks(_assign_chunk, shared, chunks, execution=execution, combine=_add_assigned, feedback=fb)
    m = len(net.edges)
    total, per_cat, unreachable = summed if summed is not None else \
        (np.zeros(m), np.zeros((len(cat_names), m)), np.zeros(0, np.int64))
    status[unreachable] = "unreachable"
    table = pd.DataFrame({"edge_id": net.edges["edge_id"].to_numpy(), "volume": total})
    for i, c in enumerate(cat_names):
        table[f"volume_{c}"] = per_cat[i]
    return table, cat_names, status


OD_ROWS_PER_TASK = 2000


def _assign_chunk(shared, rows):
    """Per-edge volumes (total, per category) of one chunk of OD rows, and the rows found
    unreachable."""
    net, so, sd, vol, cats, cat_names, weight = shared
    m = len(net.edges)
    total = np.zeros(m)
    per_cat = np.zeros((len(cat_names), m))
    cat_row = {c: i for i, c in enumerate(cat_names)}
    length = net.edges["length_m"].to_numpy(float)
    u = net.edges["u"].to_numpy(np.int64)
    v = net.edges["v"].to_numpy(np.int64)
    end_a, end_b = net.node_xy[u], net.node_xy[v]
    unreachable = []
    routes = net.routes(so, sd, np.stack([rows, rows], axis=1), weight=weight)
    for r, route in zip(rows.tolist(), routes, strict=True):
        if route is None or route.geometry is None or not np.isfinite(route.cost):
            unreachable.append(r)
            continue
        edges = [int(e) for e in route.edges]
        used = _used_edges(edges, so.fraction[r], sd.fraction[r], length, end_a, end_b, route.geometry)
        total[used] += vol[r]
        if cat_names:
            per_cat[cat_row[cats[r]], used] += vol[r]
    return total, per_cat, np.asarray(unreachable, np.int64)


def _add_assigned(a, b):
    return a[0] + b[0], a[1] + b[1], np.concatenate([a[2], b[2]])


def _used_edges(edges, fo, fd, length, end_a, end_b, geometry):
    """The distinct edges a route runs along for a non-zero length. ``end_a``/``end_b``: the
    coordinates of each edge's u and v nodes; ``geometry``: the route line (snapped origin,
    the nodes passed, snapped destination)."""
    if len(edges) == 1:
        return np.array(edges) if abs(fd - fo) * length[edges[0]] > 1e-6 else np.zeros(0, np.int64)
    coords = np.asarray(geometry.coords)
    out = set(edges[1:-1])
    for edge, fraction, node_xy in ((edges[0], fo, coords[1]), (edges[-1], fd, coords[-2])):
        at_u = np.hypot(*(node_xy - end_a[edge])) <= np.hypot(*(node_xy - end_b[edge]))
        piece = (fraction if at_u else 1 - fraction) * length[edge]
        if piece > 1e-6:
            out.add(edge)
    return np.array(sorted(out), np.int64)


def check_routes_on_network(routes, net, *, field: str = "edge_ids", sample: int = 5000,
                            tolerance_m: float = 1.0):
    """Raise :class:`InputError` when the routes' edge ids do not lie on their lines in this
    network (routes matched on other lines or other network settings). Checks the middle of
    up to ``sample`` listed edges against the route geometry (same CRS expected)."""
    import shapely

    rid, eid = parse_edge_lists(routes[field].to_numpy(dtype=object))
    if len(eid) == 0:
        return
    inner = np.r_[False, rid[1:] == rid[:-1]] & np.r_[rid[1:] == rid[:-1], False]
    ids = net.edges["edge_id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids[order], eid)
    known = (pos < len(ids)) & (ids[order][np.minimum(pos, len(ids) - 1)] == eid)
    if not known.all():
        raise InputError(f"The routes name edge ids this network does not have (e.g. "
                         f"{eid[~known][:5].tolist()}): use the same network lines and settings "
                         "(mode, one-way, tolerance) as for Map-match GPS tracks.")
    inner = np.flatnonzero(inner)  # the end edges are only partly on the route
    if len(inner) == 0:
        return
    pick = inner[np.random.default_rng(0).choice(len(inner), size=min(sample, len(inner)), replace=False)]
    geoms = np.asarray(routes.geometry.values, dtype=object)[rid[pick]]
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    mid = shapely.line_interpolate_point(np.asarray(net.edges.geometry.values, dtype=object)[order[pos[pick]]][ok],
                                         0.5, normalized=True)
    d = shapely.distance(mid, geoms[ok])
    off = d > tolerance_m
    # An inner edge entered and left again by a U-turn is only partly on its route line, so a
    # few misses are normal (1.2 % on the sample city's lorry and cycle tracks); routes matched
    # on other lines or settings miss far more.
    if len(d) and off.mean() > 0.05:
        raise InputError(f"{int(off.sum())} of {len(d)} checked route edges do not lie on their route "
                         f"lines (up to {np.nanmax(d):.0f} m away): the routes were matched on other "
                         "network lines or settings (mode, one-way, tolerance). Use the same ones.")


# --- layers in, a flow per edge out (what joinedup:networkflows writes) ----------------------

def flows_of_route_layer(net, routes, *, track_field: str = "track_id", category_field=None, time_field=None,
                         hours=None, weekdays=None, execution=None, feedback=None):
    """Flows per edge from the matched routes layer ``joinedup:mapmatch`` writes (its
    ``edge_ids`` field), reprojected to the network's CRS where needed: ``(table, report)``,
    as :func:`flows_from_routes`. The time field is used only when a window is given."""
    from .crs import ensure_projected

    if "edge_ids" not in routes.columns:
        raise InputError("The routes layer has no 'edge_ids' field: use the routes written by "
                         "Map-match GPS tracks.")
    if hours is not None and hours[0] == hours[1]:
        raise InputError(f"The time-of-day window {hours[0]:g} to {hours[1]:g} is empty: give two "
                         "different hours (0 to 24 = all day).")
    if routes.crs is not None:
        routes, _, _ = ensure_projected(routes, target=net.crs)
    check_routes_on_network(routes, net)
    table, _categories, report = flows_from_routes(
        routes, net.edges["edge_id"].to_numpy(), track_field=track_field, category_field=category_field,
        time_field=time_field if (hours or weekdays) else None, hours=hours, weekdays=weekdays,
        execution=execution, feedback=feedback)
    return table, report


def od_line_ends(geometries):
    """Each OD line's first and last point (the first part of a multi-line): ``(origins,
    destinations, missing)`` as object arrays of points (None where the geometry is missing
    or empty) and a boolean mask of those rows."""
    import shapely

    geoms = np.asarray(geometries, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    first = np.where(missing, None, geoms)
    multi = ~missing & (shapely.get_type_id(geoms) == 5)
    first[multi] = shapely.get_geometry(geoms[multi], 0)
    origins = np.where(missing, None, shapely.get_point(first, 0))
    destinations = np.where(missing, None, shapely.get_point(first, -1))
    return origins, destinations, missing


def flows_of_od_layer(net, od, *, volume_field: str, category_field=None, weight: str = "length",
                      max_snap_m=None, execution=None, feedback=None):
    """Flows per edge from OD lines (each line's ends are its origin and destination, its
    ``volume_field`` the trips): ``(table, notes)``. Every OD row is counted in the notes by
    what happened to it ('no geometry', snapped, unreachable …)."""
    from .crs import ensure_projected

    if not volume_field:
        raise InputError("OD assignment needs a VOLUME_FIELD.")
    od, _, note = ensure_projected(od, target=net.crs, what=od.attrs.get("source_name"))
    notes = [note] if note else []
    origins, destinations, missing = od_line_ends(od.geometry.values)
    table, _categories, status = assign_od(
        net, origins, destinations, od[volume_field].to_numpy(),
        categories=od[category_field].to_numpy(dtype=object) if category_field else None,
        weight=weight, max_snap_m=max_snap_m, execution=execution, feedback=feedback)
    status[missing] = "no geometry"
    values, counts = np.unique(status, return_counts=True)
    notes.append("OD rows: " + ", ".join(f"{c} {v}" for v, c in zip(values, counts, strict=True)))
    return table, notes


def flows_on_edges(net, table):
    """The network's edges (id, source row, length, line) with the flow ``table`` joined by
    edge id; edges no flow used keep null flows."""
    import geopandas as gpd

    edges = net.edges[["edge_id", "source_row", "length_m", "geometry"]]
    out = edges.drop(columns="geometry").merge(table, on="edge_id", how="left")
    return gpd.GeoDataFrame(out, geometry=edges.geometry.values, crs=net.crs)
