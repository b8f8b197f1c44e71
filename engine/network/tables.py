"""Search results as tables: origin–destination costs, routes for pairs, each incident's
nearest facilities, the access leg from a point to the network, and why a pair has no route."""
from __future__ import annotations

import numpy as np

from ..errors import InputError, as_feedback
from .model import Network
from .snapping import Snap


# --- access leg -----------------------------------------------------------------------------
def access_cost(snap: Snap, *, weight: str, access_speed_kmh: float | None) -> np.ndarray:
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
