"""The network as map matching sees it: edges as segments in an STRtree for candidates, and a
compiled routing graph for network distances between candidates."""
from __future__ import annotations

import numpy as np

from ..errors import InputError


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
