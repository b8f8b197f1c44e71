"""The hidden-Markov model itself: candidates, emission and transition scores, thinning, the
batched network distances and Viterbi over all track pieces at once (in-process or on Dask
workers, chunk by chunk)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, as_feedback
from .graph import MatchGraph
from .names import MATCHED, OFF_NETWORK


@dataclass
class MatchOptions:
    sigma_m: float = 10.0
    radius_m: float = 50.0
    k: int = 16
    beta_m: float = 5.0
    max_detour_m: float = 500.0
    min_step_m: float | None = None  # default 2 sigma
    chunk_points: int = 5000  # points per batch: bounds memory (~150 MB), progress and cancel

    def check(self):
        for name in ("sigma_m", "radius_m", "beta_m", "max_detour_m"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise InputError(f"{name} must be a positive number of metres, not {value}.")
        if self.k < 1:
            raise InputError(f"The number of candidate edges per point must be at least 1, not {self.k}.")


@dataclass
class MatchResult:
    points: object        # DataFrame: one row per input row of the track table
    traversals: object    # DataFrame: run, piece, seq, edge (index), f0, f1, length_m
    runs: object          # DataFrame: one row per continuous matched run
    breaks: int = 0       # routing-gap splits
    notes: list = field(default_factory=list)


def match_tracks(graph: MatchGraph, table, *, options: MatchOptions | None = None, execution=None,
                 feedback=None):
    """Map-match the cleaned track table of :func:`engine.tracks.prepare_tracks`.

    ``table`` must be sorted by ``piece`` and time (as prepare_tracks returns it) and in the
    graph's projected CRS (metres). ``execution`` (:class:`engine.scale.Execution`, default in
    this process): where the chunks of whole track pieces are matched; the graph goes to each
    worker once. The chunks are the same wherever they run, so the result is too.
    Returns :class:`MatchResult`.
    """
    import pandas as pd

    from ..scale import run_tasks

    opt = options or MatchOptions()
    opt.check()
    fb = as_feedback(feedback)
    n = len(table)
    piece = table["piece"].to_numpy(np.int64)
    xy = table[["x", "y"]].to_numpy(float)
    pts_out = {
        "edge": np.full(n, -1, np.int64), "fraction": np.full(n, np.nan),
        "offset_m": np.full(n, np.nan), "run": np.full(n, -1, np.int64),
        "status": np.full(n, OFF_NETWORK, dtype=object),
    }
    trav_parts, breaks = [], 0
    # chunks of whole pieces
    if n:
        starts = np.r_[0, np.flatnonzero(piece[1:] != piece[:-1]) + 1]
        sizes = np.diff(np.r_[starts, n])
        chunk_id = np.cumsum(sizes) // max(opt.chunk_points, 1)
        chunk_bounds = np.r_[starts[np.r_[0, np.flatnonzero(np.diff(chunk_id)) + 1]], n]
    else:
        chunk_bounds = np.array([0])
    spans = [(int(chunk_bounds[c]), int(chunk_bounds[c + 1])) for c in range(len(chunk_bounds) - 1)]
    results = run_tasks(_match_chunk, graph, [(xy[lo:hi], piece[lo:hi], opt) for lo, hi in spans],
                        execution=execution, feedback=fb)
    run_base = 0
    for (lo, hi), res in zip(spans, results):
        for key in ("edge", "fraction", "offset_m", "status"):
            pts_out[key][lo:hi] = res[key]
        run = res["run"].copy()
        run[run >= 0] += run_base
        pts_out["run"][lo:hi] = run
        tr = res["traversals"]
        tr["run"] += run_base
        trav_parts.append(tr)
        run_base = int(run.max() + 1) if (run >= 0).any() else run_base
        breaks += res["breaks"]
    points = table.copy()
    edge_idx = pts_out["edge"]
    points["edge"] = edge_idx
    points["edge_id"] = np.where(edge_idx >= 0, graph.edge_ids[np.maximum(edge_idx, 0)], -1)
    points["fraction"] = pts_out["fraction"]
    points["offset_m"] = pts_out["offset_m"]
    points["run"] = pts_out["run"]
    points["status"] = pts_out["status"]
    mx, my = _positions(graph, edge_idx, pts_out["fraction"])
    points["match_x"], points["match_y"] = mx, my
    traversals = (pd.concat(trav_parts, ignore_index=True) if trav_parts else
                  pd.DataFrame({"run": [], "seq": [], "edge": [], "f0": [], "f1": []}))
    traversals["length_m"] = np.abs(traversals["f1"].to_numpy(float) - traversals["f0"].to_numpy(float)) * \
        graph.length_m[traversals["edge"].to_numpy(np.int64)] if len(traversals) else []
    matched = points[points["run"] >= 0]
    runs = matched.groupby("run", sort=True).agg(
        piece=("piece", "first"), track_id=("track_id", "first"), first_row=("row", "first"),
        n_points=("row", "size"), start_s=("t_s", "min"), end_s=("t_s", "max"))
    runs = runs.reset_index()
    return MatchResult(points=points, traversals=traversals, runs=runs, breaks=breaks)


def _positions(graph, edge_idx, frac):
    import shapely

    mx = np.full(len(edge_idx), np.nan)
    my = np.full(len(edge_idx), np.nan)
    ok = edge_idx >= 0
    if ok.any():
        p = shapely.line_interpolate_point(graph.geometry[edge_idx[ok]], frac[ok], normalized=True)
        c = shapely.get_coordinates(p)
        mx[ok], my[ok] = c[:, 0], c[:, 1]
    return mx, my


def _thin(xy, piece, has_cand, min_step):
    """Indices (into the chunk) of the points used as HMM observations: points with candidates,
    at least ``min_step`` from the previous kept point of the piece; the last point of each
    piece is kept too."""
    idx = np.flatnonzero(has_cand)
    if len(idx) == 0:
        return idx
    keep = np.zeros(len(idx), bool)
    px, py, pp = xy[idx, 0].tolist(), xy[idx, 1].tolist(), piece[idx].tolist()
    step2 = min_step * min_step
    lastx = lasty = 0.0
    lastp = None
    for i in range(len(idx)):
        if pp[i] != lastp:
            keep[i] = True
        else:
            dx, dy = px[i] - lastx, py[i] - lasty
            if dx * dx + dy * dy >= step2:
                keep[i] = True
            else:
                continue
        lastx, lasty, lastp = px[i], py[i], pp[i]
    last_of_piece = np.r_[np.asarray(pp[1:]) != np.asarray(pp[:-1]), True]
    keep |= last_of_piece
    return idx[keep]


def _match_chunk(graph, xy, piece, opt):
    import pandas as pd

    n = len(xy)
    K = opt.k
    out = {"edge": np.full(n, -1, np.int64), "fraction": np.full(n, np.nan),
           "offset_m": np.full(n, np.nan), "status": np.full(n, OFF_NETWORK, dtype=object),
           "run": np.full(n, -1, np.int64), "breaks": 0}
    pi, ei, dist, frac = graph.candidates(xy, radius_m=opt.radius_m, k=K)
    has = np.zeros(n, bool)
    has[pi] = True
    # padded candidate arrays (n, K)
    start = np.searchsorted(pi, np.arange(n))
    slot = np.arange(len(pi)) - start[pi]
    CE = np.full((n, K), -1, np.int64)
    CF = np.zeros((n, K))
    CD = np.full((n, K), np.inf)
    CE[pi, slot], CF[pi, slot], CD[pi, slot] = ei, frac, dist
    min_step = opt.min_step_m if opt.min_step_m is not None else 2.0 * opt.sigma_m
    obs = _thin(xy, piece, has, min_step)
    out["traversals"] = pd.DataFrame({"run": np.zeros(0, np.int64), "seq": np.zeros(0, np.int64),
                                      "k": np.zeros(0, np.int64),
                                      "edge": np.zeros(0, np.int64), "f0": np.zeros(0), "f1": np.zeros(0)})
    if len(obs) == 0:
        return out
    m = len(obs)
    E, F, D = CE[obs], CF[obs], CD[obs]
    emis = np.where(E >= 0, -0.5 * (D / opt.sigma_m) ** 2, -np.inf)
    opiece = piece[obs]
    first = np.r_[True, opiece[1:] != opiece[:-1]]
    # transitions into obs j from obs j-1 (j not first of its piece)
    j = np.flatnonzero(~first)
    straight = np.hypot(*(xy[obs[j]] - xy[obs[j - 1]]).T)
    route, combo = _route_distances(graph, E[j - 1], F[j - 1], E[j], F[j], straight, opt)
    logt = np.full((m, K, K), -np.inf, dtype=np.float32)
    dev = np.abs(route - straight[:, None, None])
    logt[j] = np.where(np.isfinite(route), -dev / opt.beta_m, -np.inf)
    # Viterbi across pieces, one position at a time
    pos = np.arange(m) - np.maximum.accumulate(np.where(first, np.arange(m), 0))
    order = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[order], np.arange(pos.max() + 2))
    score = np.empty((m, K))
    back = np.zeros((m, K), np.int16)
    run_start = first.copy()
    idx0 = order[bounds[0]:bounds[1]]
    score[idx0] = emis[idx0]
    for p in range(1, len(bounds) - 1):
        idx = order[bounds[p]:bounds[p + 1]]
        cand = score[idx - 1][:, :, None] + logt[idx]
        arg = cand.argmax(axis=1)
        best = np.take_along_axis(cand, arg[:, None, :], axis=1)[:, 0, :]
        new = best + emis[idx]
        broken = ~np.isfinite(new).any(axis=1)
        new[broken] = emis[idx[broken]]
        run_start[idx[broken]] = True
        new -= new.max(axis=1, keepdims=True)  # keep numbers small on long tracks
        score[idx] = new
        back[idx] = arg
    out["breaks"] = int(run_start.sum() - first.sum())
    # backtrack
    run_end = np.r_[run_start[1:], True]
    choice = np.zeros(m, np.int64)
    for p in range(len(bounds) - 2, -1, -1):
        idx = order[bounds[p]:bounds[p + 1]]
        end = run_end[idx]
        choice[idx[end]] = score[idx[end]].argmax(axis=1)
        mid = idx[~end]
        if len(mid):
            choice[mid] = back[mid + 1, choice[mid + 1]]
    run_local = np.cumsum(run_start) - 1
    ce = E[np.arange(m), choice]
    cf = F[np.arange(m), choice]
    cd = D[np.arange(m), choice]
    # traversals between consecutive observations of a run
    step = np.flatnonzero(~run_start)  # obs index b (a = b-1)
    jpos = np.searchsorted(j, step)  # row in the transition arrays
    a_c, b_c = choice[step - 1], choice[step]
    combo_sel = combo[jpos, a_c, b_c]
    trav = _traversals(graph, ce[step - 1], cf[step - 1], ce[step], cf[step], combo_sel,
                       straight[jpos] + opt.max_detour_m)
    trav_run = run_local[step][trav["step"]]
    trav_df = pd.DataFrame({"run": trav_run, "seq": obs[step][trav["step"]], "k": trav["k"],
                            "edge": trav["edge"], "f0": trav["f0"], "f1": trav["f1"]})
    # single-observation runs: one zero-length traversal so the edge is known
    out["edge"][obs], out["fraction"][obs], out["offset_m"][obs] = ce, cf, cd
    out["status"][obs] = MATCHED
    out["run"][obs] = run_local
    # thinned points: nearest edge among the traversals around them
    _match_thinned(graph, xy, piece, has, obs, run_local, run_start, step, trav, trav_df, CE, out)
    out["traversals"] = trav_df.sort_values(["run", "seq", "k"], kind="stable").reset_index(drop=True)
    return out


def _route_distances(graph, e1, f1, e2, f2, straight, opt):
    """Route length (m) from each candidate of a to each of b: arrays (P, K, K) of the route
    length and of the combination used (0..3 = exit via v/u × enter via u/v, 4 = same edge).
    Per-candidate quantities are computed on (P, K) and only combined on (P, K, K)."""
    P, K = e1.shape
    va, vb = e1 >= 0, e2 >= 0
    ae, be = np.maximum(e1, 0), np.maximum(e2, 0)
    La, Lb = graph.length_m[ae], graph.length_m[be]
    limit = (straight + opt.max_detour_m)[:, None, None]
    valid = va[:, :, None] & vb[:, None, :]
    # same edge, moving along an allowed direction; on a one-way edge a move back of up to
    # sigma is taken as GPS noise (standing still), not as a trip round the block
    same = valid & (ae[:, :, None] == be[:, None, :])
    delta = (f2[:, None, :] - f1[:, :, None]) * La[:, :, None]
    fwd_a, bwd_a = graph.forward[ae][:, :, None], graph.backward[ae][:, :, None]
    best = np.full((P, K, K), np.inf)
    best = np.where(same & fwd_a & (delta >= 0), delta, best)
    best = np.where(same & bwd_a & (delta <= 0), np.minimum(best, -delta), best)
    best = np.where(same & ~bwd_a & (delta < 0) & (delta >= -opt.sigma_m), 0.0, best)
    combo = np.where(np.isfinite(best), 4, -1).astype(np.int8)
    exits = [(graph.forward[ae] & va, (1 - f1) * La, graph.edge_v[ae]),
             (graph.backward[ae] & va, f1 * La, graph.edge_u[ae])]
    entries = [(graph.forward[be] & vb, f2 * Lb, graph.edge_u[be]),
               (graph.backward[be] & vb, (1 - f2) * Lb, graph.edge_v[be])]
    # the node-to-node distances of every combination, in one batch
    parts = []
    for xi, (xok, xcost, xnode) in enumerate(exits):
        for ni, (nok, ncost, nnode) in enumerate(entries):
            base = xcost[:, :, None] + ncost[:, None, :]
            ok = xok[:, :, None] & nok[:, None, :] & (base <= limit)
            samenode = xnode[:, :, None] == nnode[:, None, :]
            sel = np.flatnonzero((ok & ~samenode).ravel())
            pp, rem = np.divmod(sel, K * K)
            ka, kb = np.divmod(rem, K)
            parts.append((xi * 2 + ni, base, ok & samenode, sel, xnode[pp, ka], nnode[pp, kb],
                          (limit[:, 0, 0][pp] - base.ravel()[sel])))
    dist = graph.node_distances(np.concatenate([p[4] for p in parts]),
                                np.concatenate([p[5] for p in parts]),
                                np.concatenate([p[6] for p in parts]))
    start = 0
    for code, base, zero, sel, _, _, _ in parts:
        total = np.where(zero, base, np.inf).ravel()
        total[sel] = base.ravel()[sel] + dist[start:start + len(sel)]
        start += len(sel)
        total = total.reshape(P, K, K)
        better = total < best
        best[better], combo[better] = total[better], code
    best[best > limit] = np.inf
    return best, combo


def _traversals(graph, e1, f1, e2, f2, combo, limit):
    """Pieces of edges travelled from state a to state b for each chosen step, as flat
    arrays: step, k (order within the step), edge, f0, f1."""
    n = len(e1)
    xi, ni = combo // 2, combo % 2
    routed = (combo >= 0) & (combo < 4)
    xnode = np.where(xi == 0, graph.edge_v[e1], graph.edge_u[e1])
    nnode = np.where(ni == 0, graph.edge_u[e2], graph.edge_v[e2])
    need = np.flatnonzero(routed & (xnode != nnode))
    pair, k, pe, pd_, _ = graph.node_paths_flat(xnode[need], nnode[need], limit[need])
    plen = np.zeros(n, np.int64)
    plen[need] = np.bincount(pair, minlength=len(need)) if len(need) else 0
    steps = np.arange(n)
    single = ~routed
    r = np.flatnonzero(routed)
    parts = [
        # same edge (or no route): one piece
        (steps[single], np.zeros(single.sum(), np.int64), e1[single], f1[single], f2[single]),
        # leave the first edge by the exit node
        (r, np.zeros(len(r), np.int64), e1[r], f1[r], np.where(xi[r] == 0, 1.0, 0.0)),
        # the whole edges between
        (need[pair], k + 1, pe, np.where(pd_ > 0, 0.0, 1.0), np.where(pd_ > 0, 1.0, 0.0)),
        # enter the last edge by the entry node
        (r, plen[r] + 1, e2[r], np.where(ni[r] == 0, 0.0, 1.0), f2[r]),
    ]
    step_a = np.concatenate([p[0] for p in parts]).astype(np.int64)
    k_a = np.concatenate([p[1] for p in parts]).astype(np.int64)
    o = np.lexsort((k_a, step_a))
    return {"step": step_a[o], "k": k_a[o],
            "edge": np.concatenate([p[2] for p in parts]).astype(np.int64)[o],
            "f0": np.concatenate([p[3] for p in parts]).astype(float)[o],
            "f1": np.concatenate([p[4] for p in parts]).astype(float)[o]}


def _match_thinned(graph, xy, piece, has, obs, run_local, run_start, step, trav, trav_df, CE, out):
    """Points with candidates that were thinned out: the nearest edge among the traversals of
    the step that spans them (or the state they follow), as matched points of that run."""
    import shapely

    thinned = np.flatnonzero(has & (out["status"] == OFF_NETWORK))
    if len(thinned) == 0:
        return
    # previous kept observation in the same piece
    prev = np.searchsorted(obs, thinned) - 1
    ok = prev >= 0
    ok[ok] = piece[obs[prev[ok]]] == piece[thinned[ok]]
    # the point's own candidates on the route's edges: candidates from pairs (point, edge)
    pt_list, ed_list = [], []
    # edges of the previous observation's state
    pt_list.append(np.flatnonzero(ok))
    ed_list.append(out["edge"][obs[prev[ok]]])
    # edges of the step leaving that observation (if the next obs is in the same run)
    nxt = prev + 1
    has_next = ok & (nxt < len(obs))
    has_next[has_next] = ~run_start[nxt[has_next]]
    if has_next.any():
        step_row = np.full(len(obs), -1, np.int64)
        step_row[step] = np.arange(len(step))
        srow = step_row[nxt[has_next]]
        order = np.argsort(trav["step"], kind="stable")
        tstep = trav["step"][order]
        lo = np.searchsorted(tstep, srow)
        hi = np.searchsorted(tstep, srow, side="right")
        counts = hi - lo
        tp = np.repeat(np.flatnonzero(has_next), counts)
        ti = np.concatenate([order[a:b] for a, b in zip(lo, hi)]) if len(lo) else np.zeros(0, np.int64)
        pt_list.append(tp)
        ed_list.append(trav["edge"][ti])
    tp = np.concatenate(pt_list)
    te = np.concatenate(ed_list)
    if len(tp) == 0:
        return
    pts = shapely.points(xy[thinned[tp]])
    d = shapely.distance(pts, graph.geometry[te])
    order = np.lexsort((d, tp))
    tp, te, d, pts = tp[order], te[order], d[order], pts[order]
    firsts = np.r_[True, tp[1:] != tp[:-1]]
    tp, te, d, pts = tp[firsts], te[firsts], d[firsts], pts[firsts]
    rows = thinned[tp]
    out["edge"][rows] = te
    out["fraction"][rows] = np.nan_to_num(shapely.line_locate_point(graph.geometry[te], pts, normalized=True))
    out["offset_m"][rows] = d
    out["status"][rows] = MATCHED
    out["run"][rows] = run_local[prev[tp]]


# --- outputs --------------------------------------------------------------------------------
