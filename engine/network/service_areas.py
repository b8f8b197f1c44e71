"""Service areas: the parts of streets reached within cost bands (or a limit per facility)
from each facility, exactly cut at the limit, optionally as non-overlapping catchments; the
polygons around them come from :mod:`.area_polygons`."""
from __future__ import annotations

import numpy as np

from ..errors import InputError, as_feedback
from .area_polygons import service_area_polygons
from .model import Network
from .snapping import Snap


# --- service areas ----------------------------------------------------------------------------
def incidence(net: Network):
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
    indptr, inc = incidence(net)
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
    rows.append(pr[m])
    edges.append(pe[m])
    t0.append(np.zeros(m.sum()))
    t1.append(np.ones(m.sum()))
    c0.append(np.minimum(np.where(fw[m], du[m], np.inf), np.where(bw[m], dv[m] + c[m], np.inf)))
    c1.append(np.minimum(np.where(bw[m], dv[m], np.inf), np.where(fw[m], du[m] + c[m], np.inf)))
    m = (a > 0) & ~full
    rows.append(pr[m])
    edges.append(pe[m])
    t0.append(np.zeros(m.sum()))
    t1.append(a[m])
    c0.append(du[m])
    c1.append(du[m] + a[m] * c[m])
    m = (b > 0) & ~full
    rows.append(pr[m])
    edges.append(pe[m])
    t0.append(1.0 - b[m])
    t1.append(np.ones(m.sum()))
    c0.append(dv[m] + b[m] * c[m])
    c1.append(dv[m])
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
    rows.append(k[m])
    edges.append(fe[m])
    t0.append(ff[m])
    t1.append(np.minimum(1.0, ff[m] + reach[m]))
    c0.append(np.zeros(m.sum()))
    c1.append((t1[-1] - ff[m]) * ce[m])
    m = bw_all[fe]
    rows.append(k[m])
    edges.append(fe[m])
    t0.append(np.maximum(0.0, ff[m] - reach[m]))
    t1.append(ff[m])
    c0.append((ff[m] - t0[-1]) * ce[m])
    c1.append(np.zeros(m.sum()))
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
    with_limit = (np.isfinite(limits) & (limits > 0)) if limits is not None else True
    valid = np.flatnonzero((facilities.edge >= 0) & with_limit)
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
        polys = service_area_polygons(lines, net, dissolve=dissolve, non_overlapping=non_overlapping,
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
            if band is not None:
                bnd = np.full(len(idx), band)
            else:
                bnd = lim_u[idx] if side == "u" else lim_v[idx]
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

