"""Hidden-Markov-model map matching (Newson & Krumm 2009) of GPS tracks to a network.

For each GPS point the candidate states are the nearest points on the ``k`` nearest edges
within ``radius_m`` (found through an STRtree). Emission: Gaussian in the distance from the
GPS point to the candidate, ``log p = -0.5 (d / sigma_m)^2``. Transition: exponential in the
difference between the network distance from one candidate to the next and the straight-line
distance between the two GPS points, ``log p = -|route_m - straight_m| / beta_m``. The most
likely sequence comes from Viterbi, run for all track pieces at once (one numpy step per
position in the track, across all tracks).

Network distances between candidates are batched: every (exit node, entry node) pair a chunk
of tracks needs is collected, de-duplicated and answered by scipy's compiled Dijkstra from
the unique exit nodes, bounded by ``straight + max_detour_m`` (no Python search per pair).

What happens to each point (the ``status`` of the point output):
- ``matched``: on the matched route (edge id, matched position and offset given);
- ``off network``: no edge within ``radius_m``;
- the reasons from :mod:`engine.tracks` (no geometry, no time, duplicate time, ...).
Points closer than ``min_step_m`` (default 2 sigma) to the previous kept point are not used as
HMM states (Newson & Krumm's thinning) but are matched afterwards to the nearest edge of the
route that was found around them. A track piece is split where no candidate of one point can
reach any candidate of the next within the detour bound ("routing gap").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, as_feedback

MATCHED = "matched"
OFF_NETWORK = "off network"


class MatchGraph:
    """The network as map matching sees it: edges with end nodes, length, allowed directions
    and geometry (digitised from ``u`` to ``v``), a directed CSR graph of the allowed arcs, an
    STRtree over the edges. Build it once and reuse it for many tracks.
    """

    def __init__(self, *, edge_u, edge_v, length_m, geometry, forward=None, backward=None,
                 edge_ids=None, n_nodes=None, crs=None, tree=None):
        import scipy.sparse as sp
        import shapely

        self.edge_u = np.asarray(edge_u, dtype=np.int64)
        self.edge_v = np.asarray(edge_v, dtype=np.int64)
        m = len(self.edge_u)
        if m == 0:
            raise InputError("The network has no usable edges.")
        self.length_m = np.asarray(length_m, dtype=float)
        self.geometry = np.asarray(geometry, dtype=object)
        self.forward = np.ones(m, bool) if forward is None else np.asarray(forward, bool)
        self.backward = np.ones(m, bool) if backward is None else np.asarray(backward, bool)
        self.edge_ids = np.arange(m) if edge_ids is None else np.asarray(edge_ids)
        self.n_nodes = int(n_nodes if n_nodes is not None else max(self.edge_u.max(), self.edge_v.max()) + 1)
        self.crs = crs
        self.network = None
        self.tree = tree if tree is not None else shapely.STRtree(self.geometry)
        # directed arcs: (from, to, length, edge, +1 forward / -1 backward); keep the shortest
        fw, bw = np.flatnonzero(self.forward), np.flatnonzero(self.backward)
        a = np.concatenate([self.edge_u[fw], self.edge_v[bw]])
        b = np.concatenate([self.edge_v[fw], self.edge_u[bw]])
        w = np.concatenate([self.length_m[fw], self.length_m[bw]])
        e = np.concatenate([fw, bw])
        d = np.concatenate([np.ones(len(fw), np.int8), -np.ones(len(bw), np.int8)])
        order = np.lexsort((w, b, a))
        a, b, w, e, d = a[order], b[order], w[order], e[order], d[order]
        first = np.ones(len(a), bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w, e, d = a[first], b[first], w[first], e[first], d[first]
        self._arc_key = a * self.n_nodes + b
        self._arc_edge, self._arc_dir = e, d
        self.csr = sp.csr_matrix((w, (a, b)), shape=(self.n_nodes, self.n_nodes))

    @classmethod
    def from_network(cls, net):
        """From a :class:`engine.network.Network`: its edges (ids, end nodes, length,
        forward/backward), its spatial index for the candidate search."""
        edges = net.edges
        fwd, bwd = _edge_directions(edges)
        graph = cls(edge_u=edges["u"].to_numpy(), edge_v=edges["v"].to_numpy(),
                    length_m=edges["length_m"].to_numpy(), geometry=edges.geometry.values,
                    forward=fwd, backward=bwd, edge_ids=edges["edge_id"].to_numpy(),
                    n_nodes=len(net.node_xy), crs=net.crs, tree=net._strtree())
        graph.network = net
        return graph

    # --- queries ------------------------------------------------------------------------
    def candidates(self, xy, *, radius_m: float, k: int):
        """``(point_index, edge_index, distance_m, fraction)`` for the ``k`` nearest edges of
        each point within ``radius_m``, sorted by point then distance. ``fraction`` is the
        position along the edge from ``u`` (0) to ``v`` (1)."""
        import shapely

        net = getattr(self, "network", None)
        if net is not None:  # the network's own spatial index and projection
            pi, ei, dist, frac = net.candidates(np.asarray(xy, dtype=float), radius_m=radius_m,
                                                k=np.iinfo(np.int32).max)
            return self.select_candidates(pi, ei, dist, frac, k=k)
        pts = shapely.points(np.asarray(xy, dtype=float))
        pi, ei = self.tree.query(pts, predicate="dwithin", distance=radius_m)
        if len(pi) == 0:
            empty = np.zeros(0)
            return pi.astype(np.int64), ei.astype(np.int64), empty, empty
        dist = shapely.distance(pts[pi], self.geometry[ei])
        frac = np.nan_to_num(shapely.line_locate_point(self.geometry[ei], pts[pi], normalized=True))
        return self.select_candidates(pi, ei, dist, frac, k=k)

    def select_candidates(self, pi, ei, dist, frac, *, k: int):
        """Keep the ``k`` nearest distinct candidates per point. Candidates that sit on a node
        (the end of several edges) are one place: of those, one that can be entered and left
        at the node without travelling along its edge is kept (a two-way edge), else one that
        can be entered there and one that can be left there (one-way edges)."""
        pi, ei = np.asarray(pi, np.int64), np.asarray(ei, np.int64)
        dist, frac = np.asarray(dist, float), np.asarray(frac, float)
        if len(pi) == 0:
            return pi, ei, dist, frac
        L = self.length_m[ei]
        at_u = frac * L <= 1e-3
        at_v = (1 - frac) * L <= 1e-3
        node = np.where(at_u, self.edge_u[ei], np.where(at_v, self.edge_v[ei], -1))
        fw, bw = self.forward[ei], self.backward[ei]
        exit0 = (at_v & fw) | (at_u & bw)    # leave at the node without travelling the edge
        entry0 = (at_u & fw) | (at_v & bw)   # enter at the node without travelling the edge
        # rank within (point, node): both flags first, then distance
        grade = -(exit0.astype(int) + entry0.astype(int))
        order = np.lexsort((ei, dist, grade, node, pi))
        pi, ei, dist, frac = pi[order], ei[order], dist[order], frac[order]
        node, exit0, entry0 = node[order], exit0[order], entry0[order]
        new_group = np.r_[True, (pi[1:] != pi[:-1]) | (node[1:] != node[:-1])]
        gid = np.cumsum(new_group) - 1
        keep = new_group | (node < 0)
        top_both = (exit0 & entry0)[new_group][gid]
        top_exit, top_entry = exit0[new_group][gid], entry0[new_group][gid]
        # a second candidate on a node whose best lacks one of the two ways
        for flag, top in ((exit0, top_exit), (entry0, top_entry)):
            cand = (node >= 0) & ~new_group & flag & ~top & ~top_both
            idx = np.flatnonzero(cand)
            if len(idx):
                first_in_group = np.r_[True, gid[idx[1:]] != gid[idx[:-1]]]
                keep[idx[first_in_group]] = True
        pi, ei, dist, frac = pi[keep], ei[keep], dist[keep], frac[keep]
        order = np.lexsort((ei, dist, pi))
        pi, ei, dist, frac = pi[order], ei[order], dist[order], frac[order]
        start = np.r_[0, np.flatnonzero(pi[1:] != pi[:-1]) + 1]
        rank = np.arange(len(pi)) - np.repeat(start, np.diff(np.r_[start, len(pi)]))
        keep = rank < k
        pi, ei, dist, frac = pi[keep], ei[keep], dist[keep], frac[keep]
        return pi, ei, dist, frac

    def _chunk_rows(self) -> int:
        """Sources per Dijkstra call: about 64 MB of float64 distances per block."""
        return int(max(1, 8_000_000 // max(self.n_nodes, 1)))

    def node_distances(self, src, dst, limit_m):
        """Network distance (m) from each ``src`` node to its ``dst`` node, ``inf`` beyond
        ``limit_m`` (per pair). Batched: one bounded compiled Dijkstra per unique source, in
        chunks of sources with similar limits; no sort over the pairs when one chunk holds
        every source."""
        from scipy.sparse.csgraph import dijkstra

        src = np.asarray(src, np.int64)
        dst = np.asarray(dst, np.int64)
        limit_m = np.broadcast_to(np.asarray(limit_m, float), src.shape)
        out = np.full(len(src), np.inf)
        if len(src) == 0:
            return out
        need = np.full(self.n_nodes, -np.inf)
        np.maximum.at(need, src, limit_m)
        uniq = np.flatnonzero(np.isfinite(need) | (need == np.inf))
        uniq = uniq[need[uniq] > -np.inf]
        by_need = uniq[np.argsort(need[uniq], kind="stable")]  # similar limits share a chunk
        pos = np.full(self.n_nodes, -1, np.int64)
        pos[by_need] = np.arange(len(by_need))
        chunk = self._chunk_rows()
        n_chunks = (len(by_need) - 1) // chunk + 1
        if n_chunks == 1:
            dist = dijkstra(self.csr, directed=True, indices=by_need, limit=float(need[by_need].max()))
            out[:] = dist[pos[src], dst]
        else:
            pair_chunk = (pos[src] // chunk).astype(np.int32)
            order = np.argsort(pair_chunk, kind="stable")
            bounds = np.searchsorted(pair_chunk[order], np.arange(n_chunks + 1))
            for c in range(n_chunks):
                sel = order[bounds[c]:bounds[c + 1]]
                if len(sel) == 0:
                    continue
                sources = by_need[c * chunk:(c + 1) * chunk]
                dist = dijkstra(self.csr, directed=True, indices=sources, limit=float(need[sources].max()))
                out[sel] = dist[pos[src[sel]] - c * chunk, dst[sel]]
        out[out > limit_m] = np.inf
        return out

    def node_paths_flat(self, src, dst, limit_m):
        """Shortest paths for many pairs at once, as flat arrays ``(pair, k, edge, direction)``
        (the k-th arc of pair's path; direction +1 along u→v, -1 against) and a boolean
        ``reached`` per pair. Predecessor chains are walked for all pairs together."""
        from scipy.sparse.csgraph import dijkstra

        src = np.asarray(src, np.int64)
        dst = np.asarray(dst, np.int64)
        limit_m = np.broadcast_to(np.asarray(limit_m, float), src.shape)
        reached = np.zeros(len(src), bool)
        out_p, out_s, out_key = [], [], []
        if len(src) == 0:
            z = np.zeros(0, np.int64)
            return z, z, z, z.astype(np.int8), reached
        uniq, inv = np.unique(src, return_inverse=True)
        chunk = self._chunk_rows()
        order = np.argsort(inv // chunk, kind="stable")
        cid = (inv // chunk)[order]
        bounds = np.searchsorted(cid, np.arange(0, (len(uniq) - 1) // chunk + 2))
        for c in range(len(bounds) - 1):
            sel = order[bounds[c]:bounds[c + 1]]
            if len(sel) == 0:
                continue
            sources = uniq[c * chunk:(c + 1) * chunk]
            dist, pred = dijkstra(self.csr, directed=True, indices=sources,
                                  limit=float(limit_m[sel].max()), return_predecessors=True)
            row = inv[sel] - c * chunk
            ok = np.isfinite(dist[row, dst[sel]])
            reached[sel[ok]] = True
            sel, row = sel[ok], row[ok]
            cur = dst[sel]
            step = 0
            active = cur != src[sel]
            while active.any():
                idx = np.flatnonzero(active)
                prev = pred[row[idx], cur[idx]]
                out_p.append(sel[idx])
                out_s.append(np.full(len(idx), step, np.int64))
                out_key.append(prev.astype(np.int64) * self.n_nodes + cur[idx])
                cur = cur.copy()
                cur[idx] = prev
                active = cur != src[sel]
                step += 1
        if not out_p:
            z = np.zeros(0, np.int64)
            return z, z, z, z.astype(np.int8), reached
        pair = np.concatenate(out_p)
        back = np.concatenate(out_s)
        key = np.concatenate(out_key)
        length = np.bincount(pair, minlength=len(src))
        k = length[pair] - 1 - back
        arc = np.searchsorted(self._arc_key, key)
        o = np.lexsort((k, pair))
        return pair[o], k[o], self._arc_edge[arc][o], self._arc_dir[arc][o], reached

    def node_paths(self, src, dst, limit_m):
        """For each pair, the arcs of a shortest path as ``(edge_index array, direction array)``
        (direction +1 along u→v, -1 against), or ``None`` when unreachable within the limit."""
        pair, _, edge, direction, reached = self.node_paths_flat(src, dst, limit_m)
        result = [None] * len(reached)
        starts = np.searchsorted(pair, np.arange(len(reached) + 1))
        for i in np.flatnonzero(reached).tolist():
            a, b = starts[i], starts[i + 1]
            result[i] = (edge[a:b], direction[a:b])
        return result

    def shortest_paths(self, src, dst):
        """Unbounded shortest paths (for OD assignment): list of edge-index arrays or None."""
        return [None if p is None else p[0] for p in self.node_paths(src, dst, np.inf)]


def _edge_directions(edges):
    """(forward, backward) boolean arrays from a network edge table's direction columns."""
    m = len(edges)
    for f, b in (("forward", "backward"), ("fwd", "bwd")):
        if f in edges.columns and b in edges.columns:
            return edges[f].to_numpy(bool), edges[b].to_numpy(bool)
    if "direction" in edges.columns:
        d = edges["direction"].astype(str).str.lower().to_numpy()
        fwd = np.isin(d, ["both", "forward", "0", "1", "2", "b", "f", "fwd"])
        bwd = np.isin(d, ["both", "backward", "0", "-1", "3", "b", "r", "bwd", "reverse"])
        return fwd, bwd
    if "oneway" in edges.columns:
        one = edges["oneway"].fillna(False).to_numpy(bool)
        return np.ones(m, bool), ~one
    return np.ones(m, bool), np.ones(m, bool)


# --- the HMM --------------------------------------------------------------------------------

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

    from .scale import run_tasks

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

    from .crs import ensure_projected
    from .tracks import prepare_tracks

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
    # routes
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
