"""Matched traversals as route lines, and the share of a known route a match recovered (benchmarks)."""
from __future__ import annotations

import numpy as np


def route_geometries(graph, traversals):
    """One LineString per run from its traversals (``None`` for a run that did not move).
    Returns ``(run ids, geometries, edge id lists as text, length_m)``."""
    import shapely

    if len(traversals) == 0:
        return np.zeros(0, np.int64), np.zeros(0, dtype=object), np.zeros(0, dtype=object), np.zeros(0)
    tr = traversals
    e = tr["edge"].to_numpy(np.int64)
    f0 = tr["f0"].to_numpy(float)
    f1 = tr["f1"].to_numpy(float)
    run = tr["run"].to_numpy(np.int64)
    g = graph.geometry[e]
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(g, f0, normalized=True))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(g, f1, normalized=True))
    ncoord = shapely.get_num_coordinates(g)
    coords_list, owner = [], []
    multi = ncoord > 2
    if not multi.any():
        coords = np.empty((2 * len(e), 2))
        coords[0::2], coords[1::2] = p0, p1
        owner = np.repeat(run, 2)
    else:
        for i in range(len(e)):
            if not multi[i]:
                coords_list.append(np.vstack([p0[i], p1[i]]))
            else:
                c = shapely.get_coordinates(g[i])
                seg = np.hypot(*np.diff(c, axis=0).T)
                cum = np.r_[0, np.cumsum(seg)] / max(seg.sum(), 1e-12)
                lo, hi = min(f0[i], f1[i]), max(f0[i], f1[i])
                inner = c[(cum > lo) & (cum < hi)]
                if f0[i] > f1[i]:
                    inner = inner[::-1]
                coords_list.append(np.vstack([p0[i], inner, p1[i]]))
            owner.append(np.full(len(coords_list[-1]), run[i]))
        coords = np.vstack(coords_list)
        owner = np.concatenate(owner)
    keep = np.r_[True, (np.abs(np.diff(coords, axis=0)).sum(axis=1) > 1e-9) | (owner[1:] != owner[:-1])]
    coords, owner = coords[keep], owner[keep]
    runs, counts = np.unique(owner, return_counts=True)
    moving = counts >= 2
    geoms = np.full(len(runs), None, dtype=object)
    sel = np.isin(owner, runs[moving])
    if sel.any():
        geoms[moving] = shapely.linestrings(coords[sel], indices=np.unique(owner[sel], return_inverse=True)[1])
    # edge id sequence per run (consecutive repeats merged; zero-length pieces left out)
    length = np.abs(f1 - f0) * graph.length_m[e]
    moved = length > 1e-6
    eid = graph.edge_ids[e]
    seq_keep = moved.copy()
    # merge consecutive repeats among moved pieces
    m_idx = np.flatnonzero(moved)
    if len(m_idx) > 1:
        dup = (eid[m_idx[1:]] == eid[m_idx[:-1]]) & (run[m_idx[1:]] == run[m_idx[:-1]])
        seq_keep[m_idx[1:][dup]] = False
    ids_text = np.full(len(runs), "", dtype=object)
    r_idx = np.searchsorted(runs, run[seq_keep])
    groups = {}
    for r, v in zip(r_idx.tolist(), eid[seq_keep].tolist()):
        groups.setdefault(r, []).append(str(v))
    for r, vals in groups.items():
        ids_text[r] = ",".join(vals)
    total = np.zeros(len(runs))
    np.add.at(total, np.searchsorted(runs, run), length)
    return runs, geoms, ids_text, total


def recovery(graph, truth, traversals):
    """Share of the true route length covered by the matched traversals (0..1): per edge, the
    matched length on it capped at the true length on it, summed, over the true length.
    ``truth`` and ``traversals``: tables with ``edge``, ``f0``, ``f1`` (fractions along edges)."""
    def per_edge(t):
        e = t["edge"].to_numpy(np.int64)
        w = np.abs(t["f1"].to_numpy(float) - t["f0"].to_numpy(float)) * graph.length_m[e]
        return np.bincount(e, weights=w, minlength=len(graph.length_m))

    need = per_edge(truth)
    total = need.sum()
    if total <= 0:
        return 1.0
    return float(np.minimum(need, per_edge(traversals)).sum() / total)


# --- the whole job on layers ------------------------------------------------------------------
