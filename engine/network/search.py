"""Shortest-path searches on a :class:`~.model.Network`: cost matrices, routes, costs from
sources to every node. Snapped points join the CSR graph as virtual source/sink nodes, so a
whole origin × destination matrix is one multi-source ``scipy.sparse.csgraph.dijkstra`` call
per chunk of sources, with a cancel check between chunks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EngineError, InputError, as_feedback
from .csr import arc_edges, csr_min, csr_stack, pairs_on_same_edge, tree_sums
from .snapping import Snap, SnappingMixin, as_points, empty_snap

WEIGHTS = ("length", "time")


@dataclass
class Route:
    cost: float
    length_m: float
    time_s: float
    edges: list
    geometry: object  # shapely LineString, None when unreachable



class SearchMixin(SnappingMixin):
    """Search methods of :class:`~.model.Network` (which holds the attributes declared here)."""

    graphs: dict
    _arc_edge: dict
    node_xy: np.ndarray

    def _weight(self, weight: str):
        if weight not in WEIGHTS:
            raise InputError(f"Unknown cost {weight!r}; use 'length' or 'time'.")
        if weight not in self.graphs:
            raise InputError("Travel time is not available on this network: no line has a usable "
                             "speed. Give a speed field, class speeds or a default speed.")
        return self.graphs[weight], self._arc_edge[weight]

    def edge_cost(self, weight: str) -> np.ndarray:
        return self.edges["length_m" if weight == "length" else "time_s"].to_numpy(float)

    def _augmented(self, origins: Snap, destinations: Snap, weight: str, same_edge: bool = True):
        """The graph with origins as source nodes (ids N..N+no-1) and destinations as sink nodes
        (N+no..N+no+nd-1). Only snapped points get arcs."""
        graph, _ = self._weight(weight)
        n = len(self.node_xy)
        no, nd = len(origins), len(destinations)
        cost = self.edge_cost(weight)
        u = self.edges["u"].to_numpy(np.int64)
        v = self.edges["v"].to_numpy(np.int64)
        fw = self.edges["forward"].to_numpy(bool)
        bw = self.edges["backward"].to_numpy(bool)
        rows, cols, data, eids = [], [], [], []
        oi = np.flatnonzero(origins.edge >= 0)
        oi = oi[np.isfinite(cost[origins.edge[oi]])]
        e, f = origins.edge[oi], origins.fraction[oi]
        c = cost[e]
        m = fw[e]
        rows.append(n + oi[m])
        cols.append(v[e[m]])
        data.append((1 - f[m]) * c[m])
        eids.append(e[m])
        m = bw[e]
        rows.append(n + oi[m])
        cols.append(u[e[m]])
        data.append(f[m] * c[m])
        eids.append(e[m])
        di = np.flatnonzero(destinations.edge >= 0)
        di = di[np.isfinite(cost[destinations.edge[di]])]
        e, g = destinations.edge[di], destinations.fraction[di]
        c = cost[e]
        m = fw[e]
        rows.append(u[e[m]])
        cols.append(n + no + di[m])
        data.append(g[m] * c[m])
        eids.append(e[m])
        m = bw[e]
        rows.append(v[e[m]])
        cols.append(n + no + di[m])
        data.append((1 - g[m]) * c[m])
        eids.append(e[m])
        if same_edge and len(oi) and len(di):
            # Origin and destination on the same edge: the direct way along it.
            po, pd_ = pairs_on_same_edge(origins.edge[oi], destinations.edge[di])
            if len(po):
                o, d = oi[po], di[pd_]
                e = origins.edge[o]
                fo, gd = origins.fraction[o], destinations.fraction[d]
                c = cost[e]
                m = fw[e] & (gd >= fo)
                rows.append(n + o[m])
                cols.append(n + no + d[m])
                data.append((gd[m] - fo[m]) * c[m])
                eids.append(e[m])
                m = bw[e] & (gd <= fo)
                rows.append(n + o[m])
                cols.append(n + no + d[m])
                data.append((fo[m] - gd[m]) * c[m])
                eids.append(e[m])
        r = np.concatenate(rows).astype(np.int64)
        cc = np.concatenate(cols).astype(np.int64)
        dd = np.maximum(np.concatenate(data), 0.0)
        total = n + no + nd
        ee = np.concatenate(eids).astype(np.int64)
        extra, extra_edge = csr_min(r, cc, dd, ee, total)
        _, base_edge = self._weight(weight)
        aug, arc_edge = csr_stack(graph, extra, total, base_edge, extra_edge)
        return aug, oi, di, arc_edge

    def cost_matrix(self, origins: Snap, destinations: Snap, *, weight: str = "length",
                    max_cost: float | None = None, feedback=None, secondary: str | None = None,
                    chunk_memory_mb: float = 256.0):
        """Network cost from every origin to every destination: float array (n_o, n_d), inf
        where unreachable (different component, one-ways, beyond ``max_cost``, or a point not
        on the network). Searches run from the smaller side (on the reversed graph when there
        are fewer destinations), in chunks with progress and cancel between them.

        ``secondary`` ('length' or 'time'): also return that quantity measured along the same
        best routes, as ``(cost, secondary)`` (e.g. the distance of the quickest route),
        accumulated over each search's shortest-path tree in compiled array code.
        """
        from scipy.sparse.csgraph import dijkstra

        fb = as_feedback(feedback)
        no, nd = len(origins), len(destinations)
        out = np.full((no, nd), np.inf)
        out2: Any = np.full((no, nd), np.nan) if secondary else None
        result = (out, out2) if secondary else out
        if no == 0 or nd == 0:
            return result
        graph, oi, di, arc_edge = self._augmented(origins, destinations, weight)
        sec = None
        if secondary:
            if secondary not in WEIGHTS:
                raise InputError(f"Unknown secondary cost {secondary!r}; use 'length' or 'time'.")
            w1, w2 = self.edge_cost(weight), self.edge_cost(secondary)
            ratio = np.where(w1 > 0, w2 / np.where(w1 > 0, w1, 1.0), 0.0)
            sec = graph.copy()
            sec.data = graph.data * ratio[arc_edge]
        n = len(self.node_xy)
        reverse = len(di) < len(oi)
        if reverse:
            graph = graph.T.tocsr()
            if sec is not None:
                sec = sec.T.tocsr()
            sources, src_ids = n + no + di, di
            targets, tgt_ids = n + oi, oi
        else:
            sources, src_ids = n + oi, oi
            targets, tgt_ids = n + no + di, di
        if len(sources) == 0 or len(targets) == 0:
            fb.set_progress(1.0)
            return result
        total = graph.shape[0]
        per_row = 8.0 * total * (4 if secondary else 1)
        chunk = int(max(1, min(1024, chunk_memory_mb * 2**20 / per_row)))
        limit = np.inf if max_cost is None else float(max_cost)
        keys = None
        if sec is not None:
            rows = np.repeat(np.arange(total, dtype=np.int64), np.diff(sec.indptr))
            keys = rows * total + sec.indices
            order = np.argsort(keys, kind="stable")
            keys, sec_data = keys[order], sec.data[order]
        for start in range(0, len(sources), chunk):
            fb.check()
            stop = min(start + chunk, len(sources))
            if sec is None:
                dist = dijkstra(graph, directed=True, indices=sources[start:stop], limit=limit)
                block2 = None
            else:
                dist, pred = dijkstra(graph, directed=True, indices=sources[start:stop], limit=limit,
                                      return_predecessors=True)
                block2 = tree_sums(pred, keys, sec_data, total)[:, targets]
            block = dist[:, targets]
            if reverse:
                out[np.ix_(tgt_ids, src_ids[start:stop])] = block.T
                if block2 is not None:
                    out2[np.ix_(tgt_ids, src_ids[start:stop])] = block2.T
            else:
                out[np.ix_(src_ids[start:stop], tgt_ids)] = block
                if block2 is not None:
                    out2[np.ix_(src_ids[start:stop], tgt_ids)] = block2
            fb.set_progress(stop / len(sources))
        if max_cost is not None:
            out[out > max_cost] = np.inf
        if out2 is not None:
            out2[~np.isfinite(out)] = np.nan
        return result

    def routes(self, origins: Snap, destinations: Snap, pairs, *, weight: str = "length",
               feedback=None) -> list:
        """Shortest routes for ``pairs`` (array (k, 2) of origin index, destination index):
        a list of :class:`Route` in the order of ``pairs`` (cost inf and geometry None when
        unreachable). One search per distinct origin."""
        import shapely
        from scipy.sparse.csgraph import dijkstra

        fb = as_feedback(feedback)
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        result: list = [None] * len(pairs)
        if not len(pairs):
            return result
        graph, oi, di, _ = self._augmented(origins, destinations, weight)
        _, arc_edge = self._weight(weight)
        base = self.graphs[weight]
        n, no = len(self.node_xy), len(origins)
        length = self.edges["length_m"].to_numpy(float)
        time_s = self.edges["time_s"].to_numpy(float)
        pace = np.where(length > 0, time_s / np.where(length > 0, length, 1.0), 0.0)
        uniq = np.unique(pairs[:, 0])
        for count, o in enumerate(uniq):
            if count % 16 == 0:
                fb.check()
                fb.set_progress(count / len(uniq))
            rows = np.flatnonzero(pairs[:, 0] == o)
            if origins.edge[o] < 0:
                for r in rows:
                    result[r] = Route(np.inf, np.nan, np.nan, [], None)
                continue
            dist, pred = dijkstra(graph, directed=True, indices=n + o, return_predecessors=True)
            for r in rows:
                d = pairs[r, 1]
                target = n + no + d
                if destinations.edge[d] < 0 or not np.isfinite(dist[target]):
                    result[r] = Route(np.inf, np.nan, np.nan, [], None)
                    continue
                chain = [target]
                while chain[-1] != n + o:
                    chain.append(pred[chain[-1]])
                    if chain[-1] < 0:
                        raise EngineError("Internal error: broken predecessor chain in a route.")
                chain = chain[::-1]
                inner = np.asarray(chain[1:-1], dtype=np.int64)
                eo, ed = int(origins.edge[o]), int(destinations.edge[d])
                if len(inner) == 0:
                    edge_list = [eo]
                    pts = [(origins.x[o], origins.y[o]), (destinations.x[d], destinations.y[d])]
                else:
                    mid = arc_edges(base, arc_edge, inner[:-1], inner[1:]) if len(inner) > 1 else []
                    edge_list = [eo] + [int(x) for x in mid] + [ed]
                    pts = [(origins.x[o], origins.y[o])] + [tuple(p) for p in self.node_xy[inner]] + \
                          [(destinations.x[d], destinations.y[d])]
                xy = np.asarray(pts, dtype=float)
                seg = np.hypot(*(xy[1:] - xy[:-1]).T)
                geom = shapely.linestrings(xy)
                result[r] = Route(float(dist[target]), float(seg.sum()),
                                  float((seg * pace[np.asarray(edge_list)]).sum()),
                                  edge_list, geom)
        fb.set_progress(1.0)
        return result

    def route(self, origin, destination, *, weight: str = "length"):
        """``(cost, edge ids, LineString)`` of the shortest route between two snapped points
        (each a one-row :class:`Snap` or a point geometry / (x, y)). ``(inf, [], None)`` when
        unreachable."""
        o = origin if isinstance(origin, Snap) else self.snap(as_points(origin))
        d = destination if isinstance(destination, Snap) else self.snap(as_points(destination))
        r = self.routes(o.take([0]), d.take([0]), [(0, 0)], weight=weight)[0]
        return r.cost, r.edges, r.geometry

    def distances_from(self, sources: Snap, *, weight: str = "length", max_cost=None,
                       min_only: bool = False, reverse: bool = False, feedback=None,
                       chunk_memory_mb: float = 256.0):
        """Cost from each snapped source to every node: ``(n_sources, n_nodes)`` (chunked
        generator of ``(source_indices, block)``), or with ``min_only`` one array
        ``(cost, nearest_source)`` per node. ``reverse``: cost from the nodes to the sources."""
        from scipy.sparse.csgraph import dijkstra

        graph, si, _, _ = self._augmented(sources, empty_snap(), weight, same_edge=False)
        n = len(self.node_xy)
        if reverse:
            graph = graph.T.tocsr()
        limit = np.inf if max_cost is None else float(max_cost)
        if min_only:
            if len(si) == 0:
                return np.full(n, np.inf), np.full(n, -1)
            dist, _, src = dijkstra(graph, directed=True, indices=n + si, limit=limit, min_only=True,
                                    return_predecessors=True)
            src = np.where(src >= n, src - n, -1)
            return dist[:n], src[:n]
        return self._chunks(graph, si, n, limit, feedback, chunk_memory_mb)

    @staticmethod
    def _chunks(graph, si, n, limit, feedback, chunk_memory_mb):
        from scipy.sparse.csgraph import dijkstra

        fb = as_feedback(feedback)
        chunk = int(max(1, min(1024, chunk_memory_mb * 2**20 / (8.0 * graph.shape[0]))))
        for start in range(0, len(si), chunk):
            fb.check()
            stop = min(start + chunk, len(si))
            dist = dijkstra(graph, directed=True, indices=n + si[start:stop], limit=limit)
            yield si[start:stop], dist[:, :n]
            fb.set_progress(stop / len(si))

