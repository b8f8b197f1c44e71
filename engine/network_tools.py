"""Analyses on a :class:`~.network.Network`: diagnostics, access legs, nearest facilities,
origin–destination tables and service areas. Plain functions; GeoDataFrames and arrays out."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .errors import InputError, as_feedback
from .network import Network, Snap


# --- access leg -----------------------------------------------------------------------------
def access_cost(snap: Snap, *, weight: str, access_speed_kmh: Optional[float]) -> np.ndarray:
    """Cost of the walk from each point to its snapped position: 0 when ``access_speed_kmh``
    is None/0, else the snap distance in metres (weight 'length') or in seconds at that speed."""
    if not access_speed_kmh:
        return np.zeros(len(snap))
    if access_speed_kmh < 0:
        raise InputError(f"The access speed must be positive, not {access_speed_kmh} km/h.")
    d = np.where(snap.edge >= 0, snap.snap_dist_m, np.nan)
    return d if weight == "length" else d / (access_speed_kmh / 3.6)


# --- nearest facilities -----------------------------------------------------------------------
def k_nearest(costs: np.ndarray, k: int):
    """Per row, the ``k`` smallest finite costs: arrays (row, col, rank, cost), ranks from 1,
    ties broken by column order."""
    costs = np.asarray(costs, float)
    n, m = costs.shape
    k = int(min(max(k, 1), m)) if m else 0
    if n == 0 or k == 0:
        e = np.zeros(0, np.int64)
        return e, e.copy(), e.copy(), np.zeros(0)
    order = np.argsort(costs, axis=1, kind="stable")[:, :k]
    c = np.take_along_axis(costs, order, axis=1)
    rows = np.repeat(np.arange(n), k)
    rank = np.tile(np.arange(1, k + 1), n)
    cols, c = order.ravel(), c.ravel()
    ok = np.isfinite(c)
    return rows[ok], cols[ok], rank[ok], c[ok]


def closest_facilities(net: Network, incidents: Snap, facilities: Snap, *, k: int = 1,
                       to_facility: bool = True, weight: str = "length", max_cost=None,
                       access_speed_kmh=None, feedback=None, block_entries: int = 20_000_000):
    """Each incident's ``k`` nearest facilities by network cost (to the facility, or from it
    when ``to_facility=False``). Returns arrays (incident, facility, rank, cost). Incidents
    with no reachable facility are absent (the caller lists them)."""
    fb = as_feedback(feedback)
    n_i, n_f = len(incidents), len(facilities)
    out = []
    if n_i == 0 or n_f == 0:
        return k_nearest(np.zeros((0, 0)), k)
    acc_i = access_cost(incidents, weight=weight, access_speed_kmh=access_speed_kmh)
    acc_f = access_cost(facilities, weight=weight, access_speed_kmh=access_speed_kmh)
    step = max(1, block_entries // max(n_f, 1))
    for start in range(0, n_i, step):
        stop = min(n_i, start + step)
        part = incidents.take(np.arange(start, stop))
        sub = fb.sub(start / n_i, stop / n_i)
        if to_facility:
            m = net.cost_matrix(part, facilities, weight=weight, max_cost=max_cost, feedback=sub)
        else:
            m = net.cost_matrix(facilities, part, weight=weight, max_cost=max_cost, feedback=sub).T
        m = m + acc_i[start:stop, None] + acc_f[None, :]
        if max_cost is not None:
            m[m > max_cost] = np.inf
        r, c, rank, cost = k_nearest(m, k)
        out.append((r + start, c, rank, cost))
    return tuple(np.concatenate([o[i] for o in out]) for i in range(4))


# --- diagnostics ------------------------------------------------------------------------------
def check_network(net: Network, *, small_component_nodes: int = 50):
    """Diagnostics a GIS officer can act on. Returns ``(summary, problems, edges)``:
    ``summary`` a dict of counts; ``problems`` a point GeoDataFrame (``node_id, problem,
    detail``) of dangles, one-way dead ends (can enter, cannot leave), one-way starts (cannot
    be reached) and duplicate-edge locations; ``edges`` the network's edges with
    ``component``, ``component_nodes``, ``island`` (in a component smaller than
    ``small_component_nodes``) and ``duplicate`` flags."""
    import geopandas as gpd
    import shapely
    from scipy.sparse.csgraph import connected_components

    e = net.edges.copy()
    n = net.n_nodes
    u = e["u"].to_numpy(np.int64)
    v = e["v"].to_numpy(np.int64)
    fw = e["forward"].to_numpy(bool)
    bw = e["backward"].to_numpy(bool)
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    out_deg = np.bincount(u[fw], minlength=n) + np.bincount(v[bw], minlength=n)
    in_deg = np.bincount(v[fw], minlength=n) + np.bincount(u[bw], minlength=n)
    sizes = np.bincount(net.component)
    comp_nodes = sizes[net.component]
    e["component_nodes"] = comp_nodes[u]
    e["island"] = (e["component"] != 0) & (e["component_nodes"] < small_component_nodes)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    key = lo * np.int64(n) + hi
    _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    e["duplicate"] = counts[inv] > 1
    n_strong, _ = connected_components(net.graphs["length"], directed=True, connection="strong")

    dangle = np.flatnonzero(degree == 1)
    sink = np.flatnonzero((out_deg == 0) & (in_deg > 0))
    source = np.flatnonzero((in_deg == 0) & (out_deg > 0))
    dup_edges = np.flatnonzero(e["duplicate"].to_numpy())
    dup_nodes = np.unique(u[dup_edges])
    rows = [(dangle, "dangle", "a line end that touches no other line (check for a missed junction)"),
            (sink, "one-way dead end", "one-way streets lead in but none lead out"),
            (source, "unreachable one-way start", "one-way streets lead out but none lead in"),
            (dup_nodes, "duplicate edge", "two or more segments join the same two vertices")]
    ids = np.concatenate([r[0] for r in rows]).astype(np.int64)
    kinds = np.concatenate([np.full(len(r[0]), r[1], object) for r in rows])
    details = np.concatenate([np.full(len(r[0]), r[2], object) for r in rows])
    problems = gpd.GeoDataFrame({"node_id": ids, "problem": kinds, "detail": details,
                                 "component": net.component[ids] if len(ids) else np.zeros(0, np.int64)},
                                geometry=shapely.points(net.node_xy[ids]) if len(ids) else [],
                                crs=net.crs)
    summary = {
        "nodes": int(n), "edges": int(len(e)),
        "length_km": float(e["length_m"].sum() / 1000.0),
        "components": int(len(sizes)),
        "largest_component_nodes": int(sizes.max()),
        "largest_component_share": float(sizes.max() / n),
        "small_components": int((sizes[1:] < small_component_nodes).sum()),
        "island_edges": int(e["island"].sum()),
        "strong_components": int(n_strong),
        "dangles": int(len(dangle)),
        "oneway_dead_ends": int(len(sink)),
        "oneway_unreachable_starts": int(len(source)),
        "duplicate_edges": int(len(dup_edges)),
        "zero_length_segments": int(net.report.get("zero_length_segments", 0)),
        "closed_lines": int(net.report.get("closed_lines", 0)),
        "oneway_edges": int((fw != bw).sum()),
    }
    return summary, problems, e


# --- service areas ----------------------------------------------------------------------------
def _incidence(net: Network):
    """Node → incident edges (CSR arrays ``indptr, edges``), cached on the network."""
    cached = getattr(net, "_incidence_cache", None)
    if cached is not None:
        return cached
    u = net.edges["u"].to_numpy(np.int64)
    v = net.edges["v"].to_numpy(np.int64)
    nodes = np.concatenate([u, v])
    edges = np.concatenate([np.arange(len(u)), np.arange(len(u))])
    order = np.argsort(nodes, kind="stable")
    indptr = np.zeros(net.n_nodes + 1, np.int64)
    np.cumsum(np.bincount(nodes, minlength=net.n_nodes), out=indptr[1:])
    net._incidence_cache = (indptr, edges[order])
    return net._incidence_cache


def _reached_pairs(net: Network, dist: np.ndarray):
    """(row, edge) pairs of edges touching a node with a finite cost in ``dist`` (k, N)."""
    indptr, inc = _incidence(net)
    r, nodes = np.nonzero(np.isfinite(dist))
    counts = indptr[nodes + 1] - indptr[nodes]
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rr = np.repeat(r, counts)
    offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    ee = inc[np.repeat(indptr[nodes], counts) + offs]
    n_e = np.int64(len(net.edges))
    key = np.unique(rr.astype(np.int64) * n_e + ee)
    return key // n_e, key % n_e


def _pieces_for(net: Network, dist: np.ndarray, limits: np.ndarray, fac_index: np.ndarray,
                facilities: Snap, cost: np.ndarray, pairs=None):
    """Reached parts of edges for a block of facility searches.

    ``dist`` (k, N) node costs from each facility of the block, ``limits`` (k,) the cost
    limit for each row, ``pairs`` the (row, edge) pairs to consider (default: every edge
    touching a reached node; only those are looked at, so the work follows the reached
    area, not the network's size). Returns arrays (row, edge, t0, t1, c0, c1): the piece of
    ``edge`` between fractions t0 < t1 (from its u end) is reached, with cost c0 at t0 and
    c1 at t1.
    """
    e = net.edges
    u_all = e["u"].to_numpy(np.int64)
    v_all = e["v"].to_numpy(np.int64)
    fw_all = e["forward"].to_numpy(bool)
    bw_all = e["backward"].to_numpy(bool)
    pr, pe = _reached_pairs(net, dist) if pairs is None else pairs
    du = dist[pr, u_all[pe]]
    dv = dist[pr, v_all[pe]]
    fw, bw, c = fw_all[pe], bw_all[pe], cost[pe]
    lim = limits[pr]
    cpos = np.where(c > 0, c, 1e-300)
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.where(fw & (du <= lim), np.clip((lim - du) / cpos, 0.0, 1.0), -1.0)  # from u
        b = np.where(bw & (dv <= lim), np.clip((lim - dv) / cpos, 0.0, 1.0), -1.0)  # from v
    rows, edges, t0, t1, c0, c1 = [], [], [], [], [], []
    full = ((a >= 0) & (b >= 0) & (a + b >= 1.0)) | (a >= 1.0) | (b >= 1.0)
    m = full
    rows.append(pr[m]); edges.append(pe[m]); t0.append(np.zeros(m.sum())); t1.append(np.ones(m.sum()))
    c0.append(np.minimum(np.where(fw[m], du[m], np.inf), np.where(bw[m], dv[m] + c[m], np.inf)))
    c1.append(np.minimum(np.where(bw[m], dv[m], np.inf), np.where(fw[m], du[m] + c[m], np.inf)))
    m = (a > 0) & ~full
    rows.append(pr[m]); edges.append(pe[m]); t0.append(np.zeros(m.sum())); t1.append(a[m])
    c0.append(du[m]); c1.append(du[m] + a[m] * c[m])
    m = (b > 0) & ~full
    rows.append(pr[m]); edges.append(pe[m]); t0.append(1.0 - b[m]); t1.append(np.ones(m.sum()))
    c0.append(dv[m] + b[m] * c[m]); c1.append(dv[m])
    # The facility's own edge, reached directly from the snapped point.
    fe = facilities.edge[fac_index]
    ff = facilities.fraction[fac_index]
    k = np.arange(len(fac_index))
    ok = fe >= 0
    k, fe, ff = k[ok], fe[ok], ff[ok]
    ce = cost[fe]
    lk = limits[k]
    reach = np.where(ce > 0, np.clip(lk / np.where(ce > 0, ce, 1.0), 0.0, 1.0), 1.0)
    m = fw_all[fe]
    rows.append(k[m]); edges.append(fe[m]); t0.append(ff[m]); t1.append(np.minimum(1.0, ff[m] + reach[m]))
    c0.append(np.zeros(m.sum())); c1.append((t1[-1] - ff[m]) * ce[m])
    m = bw_all[fe]
    rows.append(k[m]); edges.append(fe[m]); t0.append(np.maximum(0.0, ff[m] - reach[m])); t1.append(ff[m])
    c0.append((ff[m] - t0[-1]) * ce[m]); c1.append(np.zeros(m.sum()))
    out = [np.concatenate(x) for x in (rows, edges, t0, t1, c0, c1)]
    keep = out[3] - out[2] > 1e-12
    return [x[keep] for x in out]


def _grouped_cummax(values, new_group):
    """Cumulative max that restarts where ``new_group`` is True."""
    # Shift each group above all earlier ones so the running max cannot leak across groups
    # (values here are fractions 0..1).
    gid = np.cumsum(new_group) - 1
    span = (np.nanmax(np.abs(values)) if len(values) else 0.0) * 4 + 4.0
    return np.maximum.accumulate(values + gid * span) - gid * span


def service_areas(net: Network, facilities: Snap, *, bands=None, limits=None, weight: str = "length",
                  dissolve: bool = False, non_overlapping: bool = False, polygon_buffer_m: float = 25.0,
                  polygons: bool = True, feedback=None, chunk_memory_mb: float = 128.0):
    """Reached streets and service-area polygons.

    ``bands``: increasing cost limits (metres or seconds) applied to every facility;
    ``limits``: one limit per facility instead (e.g. its own response time; NaN = skipped).
    Returns ``(lines, polys)`` GeoDataFrames: ``lines`` has one row per reached piece of
    edge (``facility``, ``band``, ``edge_id``, ``cost_from``, ``cost_to``, ``length_m``;
    partial edges cut exactly at the limit; ``t0``/``t1`` the piece's fractions along the
    edge); ``polys`` one polygon per facility and band (or per band with ``dissolve``): the
    places within ``polygon_buffer_m`` of a reached street piece (the union of the pieces'
    buffers, drawn by :class:`_StreetDistances`), so the area follows the streets and
    unreached blocks stay holes. ``non_overlapping``: each street piece goes to its nearest
    facility (catchments), edges split where costs meet, so lines and polygons of different
    facilities do not overlap (there a place goes to the facility of its nearest street
    piece, on cells of 2/3 of the buffer: :class:`_StreetCells`).
    """
    import geopandas as gpd
    import shapely

    fb = as_feedback(feedback)
    n_f = len(facilities)
    cost = net.edge_cost(weight)
    cost = np.where(np.isfinite(cost), cost, np.inf)
    if limits is not None:
        limits = np.asarray(limits, float)
        if len(limits) != n_f:
            raise InputError("One limit per facility is needed.")
        band_values = None
    else:
        band_values = np.unique(np.asarray(bands, float))
        if band_values.size == 0 or not (band_values > 0).all() or not np.isfinite(band_values).all():
            raise InputError(f"Cost bands must be positive numbers, got {list(bands or [])}.")
    valid = np.flatnonzero((facilities.edge >= 0) & (np.isfinite(limits) & (limits > 0) if limits is not None else True))
    pieces = []  # (facility, band, edge, t0, t1, c0, c1)
    if len(valid):
        max_limit = float(np.nanmax(limits[valid])) if limits is not None else float(band_values.max())
        if non_overlapping:
            dist, nearest = net.distances_from(facilities.take(valid), weight=weight, max_cost=max_limit,
                                               min_only=True)
            fb.set_progress(0.3)
            pieces += _catchment_pieces(net, dist, nearest, valid, facilities, cost, limits, band_values)
        else:
            gen = net.distances_from(facilities.take(valid), weight=weight, max_cost=max_limit,
                                     feedback=fb.sub(0.0, 0.6), chunk_memory_mb=chunk_memory_mb)
            for local, block in gen:
                fac = valid[local]
                sub = facilities.take(fac)
                idx = np.arange(len(fac))
                pairs = _reached_pairs(net, block)
                if limits is not None:
                    r, ed, t0, t1, c0, c1 = _pieces_for(net, block, limits[fac], idx, sub, cost, pairs)
                    pieces.append((fac[r], limits[fac][r], ed, t0, t1, c0, c1))
                else:
                    for band in band_values:
                        r, ed, t0, t1, c0, c1 = _pieces_for(net, block, np.full(len(fac), band), idx, sub, cost,
                                                            pairs)
                        pieces.append((fac[r], np.full(len(r), band), ed, t0, t1, c0, c1))
    fb.check()
    if pieces:
        fac, band, ed, t0, t1, c0, c1 = (np.concatenate([p[i] for p in pieces]) for i in range(7))
    else:
        fac = ed = np.zeros(0, np.int64)
        band = t0 = t1 = c0 = c1 = np.zeros(0)
    # Merge overlapping pieces of one edge for one facility and band (own edge + ends).
    fac, band, ed, t0, t1, c0, c1 = _union_pieces(fac, band, ed, t0, t1, c0, c1)
    xy_u = net.node_xy[net.edges["u"].to_numpy(np.int64)[ed]]
    xy_v = net.node_xy[net.edges["v"].to_numpy(np.int64)[ed]]
    p0 = xy_u + (xy_v - xy_u) * t0[:, None]
    p1 = xy_u + (xy_v - xy_u) * t1[:, None]
    geoms = shapely.linestrings(np.stack([p0, p1], axis=1)) if len(ed) else np.zeros(0, object)
    length = net.edges["length_m"].to_numpy(float)[ed] * (t1 - t0)
    lines = gpd.GeoDataFrame({"facility": fac.astype(np.int64), "band": band, "edge_id": ed.astype(np.int64),
                              "t0": t0, "t1": t1, "cost_from": c0, "cost_to": c1, "length_m": length},
                             geometry=geoms, crs=net.crs)
    fb.set_progress(0.6)
    polys = None
    if polygons:
        polys = _polygons(lines, net, dissolve=dissolve, non_overlapping=non_overlapping,
                          buffer_m=polygon_buffer_m, crs=net.crs,
                          fb=fb.sub(0.6, 1.0))
    fb.set_progress(1.0)
    return lines, polys


def _union_pieces(fac, band, ed, t0, t1, c0, c1):
    """Merge overlapping reached intervals of the same (facility, band, edge)."""
    if len(ed) == 0:
        return fac, band, ed, t0, t1, c0, c1
    band_code = np.unique(band, return_inverse=True)[1]
    key = (fac.astype(np.int64) * (band_code.max() + 1) + band_code) * np.int64(ed.max() + 1) + ed
    order = np.lexsort((t0, key))
    key, fac, band, ed, t0, t1, c0, c1 = (x[order] for x in (key, fac, band, ed, t0, t1, c0, c1))
    new = np.r_[True, key[1:] != key[:-1]]
    run = _grouped_cummax(t1, new)
    prev = np.r_[-np.inf, run[:-1]]
    start = new | (t0 > prev + 1e-12)
    if start.all():
        return fac, band, ed, t0, t1, c0, c1
    s = np.flatnonzero(start)
    end_t = np.maximum.reduceat(t1, s)
    group = np.cumsum(start) - 1
    at_end = t1 >= end_t[group] - 1e-12
    c_end = np.minimum.reduceat(np.where(at_end, c1, np.inf), s)
    return fac[s], band[s], ed[s], t0[s], end_t, c0[s], c_end


def _catchment_pieces(net, dist, nearest, valid, facilities, cost, limits, band_values):
    """Pieces for non-overlapping catchments: node costs are to the nearest facility; an edge
    whose ends belong to different facilities is split where the two costs meet."""
    e = net.edges
    u = e["u"].to_numpy(np.int64)
    v = e["v"].to_numpy(np.int64)
    fw = e["forward"].to_numpy(bool)
    bw = e["backward"].to_numpy(bool)
    du, dv = dist[u], dist[v]
    fu = np.where(nearest[u] >= 0, valid[np.maximum(nearest[u], 0)], -1)
    fv = np.where(nearest[v] >= 0, valid[np.maximum(nearest[v], 0)], -1)
    # meeting point (fraction from u) where du + x c = dv + (1 - x) c
    with np.errstate(invalid="ignore", divide="ignore"):
        meet = np.clip((dv - du + cost) / (2 * cost), 0.0, 1.0)
    split = (fu != fv) & np.isfinite(du) & np.isfinite(dv)
    out = []
    band_list = [None] if band_values is None else list(band_values)
    for band in band_list:
        lim_u = limits[np.maximum(fu, 0)] if band is None else np.full(len(u), band)
        lim_v = limits[np.maximum(fv, 0)] if band is None else np.full(len(u), band)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            a = np.where(fw & (du <= lim_u) & (fu >= 0), np.clip((lim_u - du) / cost, 0, 1), 0.0)
            b = np.where(bw & (dv <= lim_v) & (fv >= 0), np.clip((lim_v - dv) / cost, 0, 1), 0.0)
        a = np.where(split, np.minimum(a, meet), a)
        b = np.where(split, np.minimum(b, 1 - meet), b)
        same = ~split & (a + b >= 1)
        for side, f, lo, hi, c_lo, c_hi, m in (
                ("u", fu, np.zeros(len(u)), np.where(same, 1.0, a), du, du + np.where(same, 1.0, a) * cost, a > 0),
                ("v", fv, 1 - b, np.ones(len(u)), dv + b * cost, dv, (b > 0) & ~same)):
            idx = np.flatnonzero(m)
            bnd = lim_u[idx] if (band is None and side == "u") else (lim_v[idx] if band is None else np.full(len(idx), band))
            out.append((f[idx], bnd, idx, lo[idx], hi[idx], c_lo[idx], c_hi[idx]))
        # facility's own edge, from the facility point
        fe = facilities.edge[valid]
        ff = facilities.fraction[valid]
        ce = cost[fe]
        lim = limits[valid] if band is None else np.full(len(valid), band)
        reach = np.where(ce > 0, np.clip(lim / np.where(ce > 0, ce, 1.0), 0, 1), 1.0)
        for m, lo, hi, c_lo, c_hi in ((fw[fe], ff, np.minimum(1, ff + reach), 0 * ff, np.minimum(1 - ff, reach) * ce),
                                      (bw[fe], np.maximum(0, ff - reach), ff, np.minimum(ff, reach) * ce, 0 * ff)):
            out.append((valid[m], lim[m], fe[m], lo[m], hi[m], c_lo[m], c_hi[m]))
    return out


class _StreetCells:
    """The area within ``buffer_m`` of the network cut into square cells (side buffer/1.5), each
    cell given to its nearest edge and the position along it (fraction from u). A service
    area is then the cells whose nearest street piece is reached: it follows the streets,
    keeps unreached blocks as holes, is computed once for all facilities and bands, and
    cells of a street split between facilities go to the facility that reaches their part."""

    def __init__(self, net: Network, buffer_m: float):
        from rasterio.transform import from_origin
        from scipy import ndimage

        self.buffer = float(buffer_m)
        self.cell = cell = self.buffer / 1.5
        x0, y0, x1, y1 = net.edges.total_bounds
        pad = self.buffer + 2 * cell
        self.x0, self.y1 = x0 - pad, y1 + pad
        self.w = int(np.ceil((x1 - x0 + 2 * pad) / cell))
        self.h = int(np.ceil((y1 - y0 + 2 * pad) / cell))
        if self.w * self.h > 400_000_000:
            raise InputError(f"The polygon buffer {buffer_m:g} m is too fine for a network this large "
                             f"({self.w} × {self.h} cells): use a larger polygon buffer.")
        self.transform = from_origin(self.x0, self.y1, cell, cell)
        # Draw every edge into the grid (its id + 1) by sampling it every quarter cell:
        # vectorised, no Python loop over edges.
        u = net.node_xy[net.edges["u"].to_numpy(np.int64)]
        v = net.node_xy[net.edges["v"].to_numpy(np.int64)]
        length = np.hypot(*(v - u).T)
        steps = np.ceil(length / (cell / 4.0)).astype(np.int64) + 1
        eid = np.repeat(np.arange(len(u)), steps)
        frac = (np.arange(int(steps.sum())) - np.repeat(np.cumsum(steps) - steps, steps)) / np.repeat(
            np.maximum(steps - 1, 1), steps)
        sx = u[eid, 0] + (v[eid, 0] - u[eid, 0]) * frac
        sy = u[eid, 1] + (v[eid, 1] - u[eid, 1]) * frac
        grid = np.zeros((self.h, self.w), dtype=np.int32)
        grid[((self.y1 - sy) // cell).astype(np.int64), ((sx - self.x0) // cell).astype(np.int64)] = eid + 1
        del sx, sy, eid, frac
        edt, (iy, ix) = ndimage.distance_transform_edt(grid == 0, return_distances=True, return_indices=True)
        near = np.flatnonzero(edt.ravel() <= self.buffer / cell + 1.5)  # cells that may be in reach
        del edt
        label = grid.ravel()[iy.ravel()[near] * self.w + ix.ravel()[near]].astype(np.int64) - 1
        del iy, ix, grid
        cy, cx = np.divmod(near, self.w)
        px = self.x0 + (cx + 0.5) * cell
        py = self.y1 - (cy + 0.5) * cell
        a, d = u[label], v[label] - u[label]
        dd = (d * d).sum(axis=1)
        t = np.clip(((px - a[:, 0]) * d[:, 0] + (py - a[:, 1]) * d[:, 1]) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
        dist = np.hypot(px - (a[:, 0] + t * d[:, 0]), py - (a[:, 1] + t * d[:, 1]))
        keep = np.flatnonzero(dist <= self.buffer)
        order = np.argsort(label[keep], kind="stable")
        self.cells = near[keep][order]
        self.t = t[keep][order]
        self.indptr = np.zeros(len(net.edges) + 1, np.int64)
        np.cumsum(np.bincount(label[keep], minlength=len(net.edges)), out=self.indptr[1:])

    def level(self, edges, t0, t1):
        """Flat indices of the cells whose nearest street piece is among the given pieces."""
        counts = self.indptr[edges + 1] - self.indptr[edges]
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.int64)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(self.indptr[edges], counts) + offs
        tt = self.t[pos]
        eps = 1e-9
        inside = (tt >= np.repeat(t0, counts) - eps) & (tt <= np.repeat(t1, counts) + eps)
        return self.cells[pos[inside]]

    def polygons(self, levels: list) -> list:
        """Nested areas of one facility: ``levels`` are cell-id arrays of increasing areas
        (e.g. its 5, 10, 15 minute bands); returns one (multi)polygon per level, each
        polygonised from one small raster window shared by all levels."""
        import shapely
        from rasterio import features
        from rasterio.transform import from_origin

        every = np.concatenate(levels) if levels else np.zeros(0, np.int64)
        if not len(every):
            return [shapely.Polygon() for _ in levels]
        cy, cx = np.divmod(every, self.w)
        r0, c0 = cy.min(), cx.min()
        value = np.zeros((cy.max() - r0 + 1, cx.max() - c0 + 1), dtype=np.int32)
        for k in range(len(levels) - 1, -1, -1):  # smaller levels overwrite larger ones
            ly, lx = np.divmod(levels[k], self.w)
            value[ly - r0, lx - c0] = k + 1
        tr = from_origin(self.x0 + c0 * self.cell, self.y1 - r0 * self.cell, self.cell, self.cell)
        out = []
        for k in range(len(levels)):
            mask = (value > 0) & (value <= k + 1)
            coords, ring_of, poly_of = [], [], []
            ring = 0
            for p, (g, _) in enumerate(features.shapes(mask.view(np.uint8), mask=mask, connectivity=8,
                                                       transform=tr)):
                for r in g["coordinates"]:  # rings: the shell, then the holes (city blocks)
                    coords.append(np.asarray(r, dtype=float))
                    ring_of.append(np.full(len(r), ring))
                    poly_of.append(p)
                    ring += 1
            if not coords:
                out.append(shapely.Polygon())
                continue
            rings = shapely.linearrings(np.concatenate(coords), indices=np.concatenate(ring_of))
            parts = shapely.polygons(rings, indices=np.asarray(poly_of))
            # Polygonised parts are disjoint (at most touching at a corner): no overlay needed.
            out.append(shapely.multipolygons(parts) if len(parts) > 1 else parts[0])
        return out


class _StreetDistances:
    """Exact distances to reached streets, sampled on a grid, for service-area polygons.

    A service area is the land within ``buffer_m`` of its reached street pieces (the union
    of their buffers). Buffering every piece and unioning them costs seconds on a city
    (thousands of overlapping buffers per band); instead, once per network, every sample
    point of a grid (spacing buffer/2) within reach of an edge is paired with that edge and
    its position along it. For a band, the distance from each sample to the nearest reached
    piece then comes from those pairs in one vectorised step, and marching squares
    (:func:`_contour_below`) draw the polygon at distance = ``buffer_m``. The distance from a
    straight street grows linearly across it, so the contour's linear interpolation puts the
    outline where the true buffer's is, except around round ends and sharp inside corners,
    which it cuts by chords (about 1.1 m² per metre of outline there; tests compare with
    shapely's buffer-union).
    """

    def __init__(self, net: Network, buffer_m: float, *, pair_budget: int = 4_000_000):
        self.buffer = b = float(buffer_m)
        self.cell = c = b / 2.0
        # samples beyond ``reach`` of every reached piece are only "far": a sample within the
        # buffer has neighbours within b + c*sqrt(2) < reach, so every value the contour
        # interpolates between is exact.
        self.reach = reach = b + 1.5 * c
        self.far = np.float32(2 * reach)
        u = net.node_xy[net.edges["u"].to_numpy(np.int64)]
        v = net.node_xy[net.edges["v"].to_numpy(np.int64)]
        lo, hi = np.minimum(u, v).min(axis=0), np.maximum(u, v).max(axis=0)
        pad = reach + 2 * c
        self.x0, self.y1 = lo[0] - pad, hi[1] + pad
        self.w = int(np.ceil((hi[0] - lo[0] + 2 * pad) / c))
        self.h = int(np.ceil((hi[1] - lo[1] + 2 * pad) / c))
        d = v - u
        length = np.hypot(d[:, 0], d[:, 1])
        # candidate samples of each edge: the cells of its bounding box grown by ``reach``
        c0 = np.floor((np.minimum(u[:, 0], v[:, 0]) - reach - self.x0) / c).astype(np.int64)
        c1 = np.floor((np.maximum(u[:, 0], v[:, 0]) + reach - self.x0) / c).astype(np.int64)
        r0 = np.floor((self.y1 - np.maximum(u[:, 1], v[:, 1]) - reach) / c).astype(np.int64)
        r1 = np.floor((self.y1 - np.minimum(u[:, 1], v[:, 1]) + reach) / c).astype(np.int64)
        nx, ny = c1 - c0 + 1, r1 - r0 + 1
        counts = nx * ny
        if counts.sum() > 100_000_000:  # about 1.6 GB of sample pairs at most
            raise InputError(f"The polygon buffer {buffer_m:g} m is too fine for a network this large "
                             f"({int(counts.sum()):,} sample points near its streets): use a larger "
                             "polygon buffer.")
        # float32 offsets from each edge's start (metres: exact enough, half the memory traffic)
        ox = (self.x0 + 0.5 * c - u[:, 0]).astype(np.float32)
        oy = (self.y1 - 0.5 * c - u[:, 1]).astype(np.float32)
        dx, dy = d[:, 0].astype(np.float32), d[:, 1].astype(np.float32)
        len32 = length.astype(np.float32)
        inv_len = (1.0 / np.maximum(length, 1e-12)).astype(np.float32)
        c32, reach2 = np.float32(c), np.float32(reach * reach)
        parts = []
        batch = (np.cumsum(counts) - counts) // pair_budget  # edges in batches of ~pair_budget candidates
        for b in np.unique(batch).tolist():
            e = np.flatnonzero(batch == b)
            k = counts[e]
            ee = np.repeat(e, k)
            j = (np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)).astype(np.int32)
            nxe = nx[ee].astype(np.int32)
            jr = j // nxe
            row = (r0[ee] + jr).astype(np.int32)
            col = (c0[ee] + (j - jr * nxe)).astype(np.int32)
            px = ox[ee] + col * c32  # sample centre minus the edge's start
            py = oy[ee] - row * c32
            il = inv_len[ee]
            t = (px * dx[ee] + py * dy[ee]) * il * il             # position along the edge, unclamped
            perp = np.abs(px * dy[ee] - py * dx[ee]) * il         # distance across the edge's line
            off = (t - np.clip(t, 0.0, 1.0)) * len32[ee]
            near = perp * perp + off * off <= reach2  # the padding keeps every candidate on the grid
            parts.append((ee[near], row[near].astype(np.int64) * self.w + col[near], t[near], perp[near]))
        edge = np.concatenate([p[0] for p in parts])
        # compact: sample ids in 32 bits where the grid allows, positions need no more than float32
        self.sample = np.concatenate([p[1] for p in parts]).astype(
            np.int32 if self.w * self.h < 2 ** 31 else np.int64)  # already grouped by edge
        self.t = np.concatenate([p[2] for p in parts]).astype(np.float32)
        self.perp = np.concatenate([p[3] for p in parts]).astype(np.float32)
        self.edge_length = length
        self.indptr = np.zeros(len(u) + 1, np.int64)
        np.cumsum(np.bincount(edge, minlength=len(u)), out=self.indptr[1:])

    def level(self, edges, t0, t1):
        """(sample, distance) pairs: the distance from each sample within reach of a reached
        piece to that piece (a sample near several pieces appears once per piece)."""
        counts = self.indptr[edges + 1] - self.indptr[edges]
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(self.indptr[edges], counts) + offs
        t = self.t[pos]
        along = (t - np.clip(t, np.repeat(t0, counts), np.repeat(t1, counts))) * np.repeat(
            self.edge_length[edges], counts)
        dist = np.hypot(self.perp[pos], along).astype(np.float32)
        near = dist <= self.reach  # samples along the unreached rest of a partly reached edge are far
        return self.sample[pos][near], dist[near]

    def polygons(self, levels: list) -> list:
        """One (multi)polygon per level: ``levels`` are ``(sample, distance)`` pairs of the
        areas of one facility (or of one dissolved band), each drawn as the contour at
        distance = buffer on one raster window shared by all levels."""
        import shapely

        every = np.concatenate([lv[0] for lv in levels]) if levels else np.zeros(0, np.int64)
        if not len(every):
            return [shapely.Polygon() for _ in levels]
        cy, cx = np.divmod(every, self.w)
        r0, c0 = int(cy.min()) - 1, int(cx.min()) - 1  # one far sample all round closes the contours
        hh, ww = int(cy.max()) - r0 + 2, int(cx.max()) - c0 + 2
        origin = (self.x0 + c0 * self.cell, self.y1 - r0 * self.cell)
        out = []
        for sample, dist in levels:
            field = np.full(hh * ww, self.far, dtype=np.float32)
            ly, lx = np.divmod(sample, self.w)
            np.minimum.at(field, (ly - r0) * ww + (lx - c0), dist)
            out.append(_contour_below(field.reshape(hh, ww), self.buffer, origin, self.cell))
        return out


def _contour_below(field, level, origin, cell):
    """The area where ``field`` (values at cell centres, row 0 at the top, a border of values
    above ``level`` all round) is at most ``level``, as one (multi)polygon.

    Marching squares in numpy: each square of four samples contributes the segments where
    the field crosses ``level`` (linear interpolation along the square's sides), oriented
    with the inside on the left; a saddle is resolved by the mean of its corners. Every
    crossing point then has one segment in and one out, so they join into closed rings
    (list ranking in numpy): counter-clockwise rings are outlines, clockwise ones holes (each
    in the smallest outline around it). GDAL's contour generator draws the same lines as
    fast, but its polygon mode (``ContourGenerateEx``, ``POLYGONIZE=YES``) was 20× slower."""
    import shapely

    h, w = field.shape
    inside = field <= level
    if not inside.any():
        return shapely.Polygon()
    # crossing points on horizontal sides ((r, c)-(r, c+1)) and vertical sides ((r, c)-(r+1, c))
    n_hor = h * (w - 1)

    def point_xy(ids):
        hor = ids < n_hor
        r = np.where(hor, ids // (w - 1), (ids - n_hor) // w)
        c = np.where(hor, ids % (w - 1), (ids - n_hor) % w)
        r2, c2 = np.where(hor, r, r + 1), np.where(hor, c + 1, c)
        fa, fb = field[r, c].astype(float), field[r2, c2].astype(float)
        t = (level - fa) / (fb - fa)
        x = origin[0] + (c + 0.5 + t * (c2 - c)) * cell
        y = origin[1] - (r + 0.5 + t * (r2 - r)) * cell
        return np.column_stack([x, y])

    # only the squares the outline crosses (memory follows the outline, not the window)
    crossed = ((inside[1:, :-1] != inside[1:, 1:]) | (inside[1:, 1:] != inside[:-1, 1:]) |
               (inside[:-1, 1:] != inside[:-1, :-1]) | (inside[:-1, :-1] != inside[1:, :-1]))
    rr, cc = np.divmod(np.flatnonzero(crossed), w - 1)
    tl, tr = inside[rr, cc], inside[rr, cc + 1]
    bl, br = inside[rr + 1, cc], inside[rr + 1, cc + 1]
    # the square's sides counter-clockwise on the map (y up): bottom, right, top, left, as
    # (start corner, end corner, crossing point id)
    sides = [(bl, br, (rr + 1) * (w - 1) + cc),
             (br, tr, n_hor + rr * w + cc + 1),
             (tr, tl, rr * (w - 1) + cc),
             (tl, bl, n_hor + rr * w + cc)]
    ex = np.stack([s0 & ~s1 for s0, s1, _ in sides])    # (4, squares)
    en = np.stack([~s0 & s1 for s0, s1, _ in sides])
    pid = np.stack([sid for _, _, sid in sides])
    saddle = (ex | en).sum(axis=0) == 4
    centre_in = (field[rr, cc].astype(float) + field[rr, cc + 1] + field[rr + 1, cc] + field[rr + 1, cc + 1]) / 4 <= level
    only_entry = np.argmax(en, axis=0)
    src, dst = [], []
    for p in range(4):
        sel = np.flatnonzero(ex[p])
        # the entry paired with this exit: the square's only one, or at a saddle the one
        # before it going round (or after it when the centre is inside: inside corners join)
        entry_side = np.where(saddle[sel], np.where(centre_in[sel], (p + 1) % 4, (p - 1) % 4), only_entry[sel])
        src.append(pid[p, sel])
        dst.append(pid[entry_side, sel])
    src, dst = np.concatenate(src), np.concatenate(dst)
    ring_xy, ring_of = _rings_of_successors(src, dst, point_xy)
    rings = shapely.linearrings(ring_xy, indices=ring_of)
    shell = shapely.is_ccw(rings)
    shells, holes = np.flatnonzero(shell), np.flatnonzero(~shell)
    if len(holes):
        outline = shapely.polygons(rings[shells])
        probe = shapely.points(shapely.get_coordinates(rings[holes])[
            np.r_[0, np.cumsum(shapely.get_num_coordinates(rings[holes]))[:-1]]])
        si, hi = shapely.STRtree(probe).query(outline, predicate="contains")  # outlines prepared
        area = shapely.area(outline)
        order = np.lexsort((area[si], hi))
        hi, si = hi[order], si[order]
        first = np.r_[True, hi[1:] != hi[:-1]]
        parent = np.full(len(holes), -1)
        parent[hi[first]] = si[first]
        ok = parent >= 0
        holes, owner_h = holes[ok], shells[parent[ok]]
    else:
        owner_h = np.zeros(0, np.int64)
    all_rings = np.r_[shells, holes]
    poly_of = np.r_[shells, owner_h]
    is_hole = np.r_[np.zeros(len(shells), bool), np.ones(len(holes), bool)]
    order = np.lexsort((is_hole, poly_of))
    parts = shapely.polygons(rings[all_rings[order]], indices=np.unique(poly_of[order], return_inverse=True)[1])
    return shapely.multipolygons(parts) if len(parts) > 1 else parts[0]


def _rings_of_successors(src, dst, point_xy):
    """``(coordinates, ring index)`` of the closed rings formed by segments ``src`` → ``dst``
    in which every point has exactly one segment out and one in (a permutation): each ring
    is cut at its smallest point id and the others are ranked along it by pointer doubling."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids, inv = np.unique(np.r_[src, dst], return_inverse=True)
    n = len(ids)
    a, b = inv[:len(src)], inv[len(src):]
    nxt = np.empty(n, np.int64)
    nxt[a] = b
    _, ring = connected_components(coo_matrix((np.ones(n), (a, b)), shape=(n, n)), directed=False)
    head = np.full(ring.max() + 1, n)
    np.minimum.at(head, ring, np.arange(n))
    last = nxt == head[ring]  # the point before the ring's head ends the list
    dist = np.where(last, 0, 1)
    ptr = np.where(last, np.arange(n), nxt)
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 1):
        dist = dist + dist[ptr]
        ptr = ptr[ptr]
    order = np.lexsort((-dist, ring))  # from the head (farthest from the end) to the end
    return point_xy(ids[order]), ring[order]


def _polygons(lines, net, *, dissolve, non_overlapping, buffer_m, crs, fb):
    import geopandas as gpd
    import shapely

    if buffer_m is None or buffer_m <= 0:
        raise InputError("The polygon buffer (distance around reached streets) must be positive.")
    if len(lines) == 0:
        return gpd.GeoDataFrame({"facility": np.zeros(0, np.int64), "band": np.zeros(0), "area_m2": np.zeros(0),
                                 "reached_length_m": np.zeros(0)}, geometry=[], crs=crs)
    # Catchments must tile (each place to one facility): nearest-street cells. Otherwise the
    # definition is the union of buffers of the reached pieces: distance contours.
    cells = _StreetCells(net, buffer_m) if non_overlapping and not dissolve else _StreetDistances(net, buffer_m)
    fb.set_progress(0.3)
    fac = lines["facility"].to_numpy(np.int64)
    band = lines["band"].to_numpy(float)
    if dissolve:
        fac = np.full(len(fac), -1)
    import rasterio

    edge_all = lines["edge_id"].to_numpy(np.int64)
    t0_all = lines["t0"].to_numpy(float)
    t1_all = lines["t1"].to_numpy(float)
    length_all = lines["length_m"].to_numpy(float)
    order = np.lexsort((band, fac))
    fs, bs = fac[order], band[order]
    starts = np.flatnonzero(np.r_[True, fs[1:] != fs[:-1]])
    ends = np.r_[starts[1:], len(fs)]
    out, ufac, uband, lengths = [], [], [], []
    with rasterio.Env():  # one GDAL environment for all polygonisations (not one per call)
        for n, (a, b) in enumerate(zip(starts, ends)):  # one polygonisation per facility (all bands)
            if n % 8 == 0:
                fb.check()
                fb.set_progress(0.3 + 0.7 * n / len(starts))
            rows = order[a:b]
            bands_here = np.unique(bs[a:b])
            levels = []
            for bv in bands_here:
                r = rows[band[rows] == bv]
                levels.append(cells.level(edge_all[r], t0_all[r], t1_all[r]))
                ufac.append(fs[a])
                uband.append(bv)
                lengths.append(length_all[r].sum())
            out.extend(cells.polygons(levels))
    out = np.asarray(out + [None], dtype=object)[:-1]
    ufac = np.asarray(ufac, dtype=np.int64)
    uband = np.asarray(uband, dtype=float)
    lengths = np.asarray(lengths, dtype=float)
    if non_overlapping and not dissolve:
        # Catchments of one band form a coverage: simplify them together so they stay
        # edge to edge (no gaps, no overlaps). GEOS < 3.12 (QGIS 3.40 on Debian 12 has 3.11)
        # cannot; there the cell outlines stay as they are, since simplifying each catchment
        # alone would open gaps between neighbours.
        if shapely.geos_version >= (3, 12, 0):
            for b in np.unique(uband):
                idx = np.flatnonzero(uband == b)
                out[idx] = shapely.coverage_simplify(out[idx], cells.cell * 0.5, simplify_boundary=True)
    elif isinstance(cells, _StreetCells):
        out = shapely.simplify(out, cells.cell * 0.5, preserve_topology=True)
    polys = gpd.GeoDataFrame({"facility": ufac, "band": uband, "area_m2": shapely.area(out),
                              "reached_length_m": lengths}, geometry=out, crs=crs)
    return polys.sort_values(["facility", "band"]).reset_index(drop=True)


# --- tables of costs and routes ----------------------------------------------------------------
def unreachable_reasons(net: Network, o: Snap, d: Snap, oi, dj, *, max_cost=None) -> np.ndarray:
    """Why each pair (oi[k], dj[k]) has no cost, as text (vectorised)."""
    oi = np.asarray(oi, np.int64)
    dj = np.asarray(dj, np.int64)
    comp = net.edges["component"].to_numpy(np.int64)
    co = np.where(o.edge[oi] >= 0, comp[np.maximum(o.edge[oi], 0)], -1)
    cd = np.where(d.edge[dj] >= 0, comp[np.maximum(d.edge[dj], 0)], -1)
    out = np.full(len(oi), "no route (one-way streets)" if max_cost is None
                  else "no route within the maximum cost", dtype=object)
    diff = (co != cd) & (co >= 0) & (cd >= 0)
    if diff.any():
        out[diff] = [f"different network parts (origin in part {a}, destination in part {b})"
                     for a, b in zip(co[diff], cd[diff])]
    for side, snap, idx in (("destination", d, dj), ("origin", o, oi)):
        off = snap.edge[idx] < 0
        if off.any():
            dist = snap.snap_dist_m[idx[off]]
            out[off] = np.where(np.isnan(dist), f"{side} has no geometry",
                                np.char.add(np.char.add(f"{side} not on network (",
                                                        np.char.mod("%.0f", np.nan_to_num(dist))), " m away)"))
    return out


def _access_terms(o: Snap, d: Snap, oi, dj, access_speed_kmh):
    if not access_speed_kmh:
        z = np.zeros(len(oi))
        return z, z
    metres = o.snap_dist_m[oi] + d.snap_dist_m[dj]
    return metres, metres / (access_speed_kmh / 3.6)


def od_table(net: Network, o: Snap, d: Snap, *, weight: str = "length", max_cost=None, k=None,
             access_speed_kmh=None, feedback=None):
    """Origin–destination table: a DataFrame with ``origin_row, destination_row, cost, length_m,
    time_s, reason`` (engine units: cost in metres or seconds). Every pair is listed (with
    ``k``: the k cheapest reachable destinations of each origin, and one row with a reason
    for an origin that reaches none). Unreachable pairs have NaN cost and a reason.
    ``length_m``/``time_s`` are measured along the same best route (time NaN when the
    network has no speeds). ``access_speed_kmh`` adds the walk to and from the network."""
    import pandas as pd

    has_time = "time" in net.graphs
    secondary = ("time" if has_time else None) if weight == "length" else "length"
    got = net.cost_matrix(o, d, weight=weight, secondary=secondary, feedback=feedback)
    cost, other = got if secondary else (got, None)
    no, nd = cost.shape
    if k:
        r, c, rank, _ = k_nearest(_with_access(cost, o, d, weight, access_speed_kmh, max_cost), k)
        missing = np.setdiff1d(np.arange(no), r)
        oi = np.concatenate([r, missing])
        dj = np.concatenate([c, np.full(len(missing), -1)])
        rank = np.concatenate([rank, np.zeros(len(missing), np.int64)])
    else:
        oi = np.repeat(np.arange(no), nd)
        dj = np.tile(np.arange(nd), no)
        rank = None
    has_d = dj >= 0
    djc = np.maximum(dj, 0)
    c = np.where(has_d, cost[oi, djc] if nd else np.nan, np.nan)
    sec = np.where(has_d, other[oi, djc], np.nan) if other is not None and nd else np.full(len(oi), np.nan)
    acc_m, acc_s = _access_terms(o, d, oi, djc, access_speed_kmh) if nd else (0.0, 0.0)
    if weight == "length":
        length, time_s = c + acc_m, sec + acc_s
        c = length
    else:
        length, time_s = sec + acc_m, c + acc_s
        c = time_s
    if max_cost is not None:
        c = np.where(c <= max_cost, c, np.inf)
    ok = np.isfinite(c)
    reason = np.full(len(oi), None, dtype=object)
    bad = ~ok & has_d
    if bad.any():
        reason[bad] = unreachable_reasons(net, o, d, oi[bad], dj[bad], max_cost=max_cost)
    if (~has_d).any():
        reason[~has_d] = "no reachable destination" + ("" if max_cost is None else " within the maximum cost")
        off = ~has_d & (o.edge[oi] < 0)
        reason[off] = "origin not on network"
    table = pd.DataFrame({"origin_row": oi, "destination_row": dj, "cost": np.where(ok, c, np.nan),
                          "length_m": np.where(ok, length, np.nan), "time_s": np.where(ok, time_s, np.nan),
                          "reason": reason})
    if rank is not None:
        table.insert(2, "rank", rank)
        table = table.sort_values(["origin_row", "rank"], kind="stable").reset_index(drop=True)
    return table


def _with_access(cost, o, d, weight, access_speed_kmh, max_cost):
    if access_speed_kmh:
        cost = cost + access_cost(o, weight=weight, access_speed_kmh=access_speed_kmh)[:, None] \
            + access_cost(d, weight=weight, access_speed_kmh=access_speed_kmh)[None, :]
    if max_cost is not None:
        cost = np.where(cost <= max_cost, cost, np.inf)
    return cost


def route_table(net: Network, o: Snap, d: Snap, pairs, *, weight: str = "length", access_speed_kmh=None,
                origin_xy=None, destination_xy=None, feedback=None):
    """Routes for ``pairs`` (k, 2) of (origin row, destination row): a GeoDataFrame with
    ``origin_row, destination_row, cost, length_m, time_s, origin_snap_m, destination_snap_m,
    reason`` and the route line (null when unreachable). With ``access_speed_kmh`` the walk
    from each point to the network is added to the costs and drawn (needs ``*_xy``)."""
    import geopandas as gpd
    import shapely

    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    routes = net.routes(o, d, pairs, weight=weight, feedback=feedback)
    oi, dj = pairs[:, 0], pairs[:, 1]
    cost = np.array([r.cost for r in routes], float)
    length = np.array([r.length_m for r in routes], float)
    time_s = np.array([r.time_s for r in routes], float)
    geoms = np.array([r.geometry for r in routes], dtype=object)
    if access_speed_kmh:
        acc_m, acc_s = _access_terms(o, d, oi, dj, access_speed_kmh)
        length, time_s = length + acc_m, time_s + acc_s
        cost = length if weight == "length" else time_s
        if origin_xy is not None and destination_xy is not None:
            ok = np.flatnonzero([g is not None for g in geoms])
            for i in ok:  # one small coordinate list per routed pair
                c = shapely.get_coordinates(geoms[i])
                geoms[i] = shapely.linestrings(np.vstack([origin_xy[oi[i]], c, destination_xy[dj[i]]]))
    ok = np.isfinite(cost)
    reason = np.full(len(pairs), None, dtype=object)
    if (~ok).any():
        reason[~ok] = unreachable_reasons(net, o, d, oi[~ok], dj[~ok])
    return gpd.GeoDataFrame({"origin_row": oi, "destination_row": dj, "cost": np.where(ok, cost, np.nan),
                             "length_m": np.where(ok, length, np.nan), "time_s": np.where(ok, time_s, np.nan),
                             "origin_snap_m": o.snap_dist_m[oi], "destination_snap_m": d.snap_dist_m[dj],
                             "reason": reason}, geometry=list(geoms), crs=net.crs)
