"""The :class:`Network` record: nodes, edges, CSR graphs per weight, components. Its methods
come from one module per concern (building, storage, snapping, searches)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError, as_feedback
from .build import BuildOptions, build_edges
from .csr import csr_min
from .search import SearchMixin
from .storage import EDGE_FIELDS, is_saved_network, read_saved, save_network, saved_edges


@dataclass
class Network(SearchMixin):
    """A routable network. Build with :meth:`from_lines` (or :meth:`load` a saved one).

    Attributes: ``crs`` (projected, metres), ``node_xy`` (n, 2), ``edges`` (GeoDataFrame, one
    row per segment: ``edge_id, u, v, length_m, time_s, forward, backward, oneway,
    source_row, component``), ``component`` (weakly connected component id per node, 0 = the
    largest), ``graphs`` (weight → CSR matrix of directed arcs, parallel arcs reduced to the
    cheapest), ``notes`` (what was done to the input, for the log), ``report`` (counts).
    """

    crs: object
    node_xy: np.ndarray
    edges: Any  # GeoDataFrame
    component: np.ndarray
    notes: list = field(default_factory=list)
    report: dict = field(default_factory=dict)
    graphs: dict = field(default_factory=dict)
    _arc_edge: dict = field(default_factory=dict, repr=False)
    _tree: object = field(default=None, repr=False)
    _incidence_cache: object = field(default=None, repr=False)

    @classmethod
    def from_lines(cls, lines_gdf, options: BuildOptions | None = None, *, feedback=None,
                   **settings) -> Network:
        """Build a network from a line layer, read as ``options`` says (a :class:`BuildOptions`;
        its fields may also be given as keywords, e.g. ``mode="walk", tolerance_m=1``).

        Raises ``InputError`` for an empty layer, no line geometry, a missing field, or a
        travel-time network where some lines have no usable speed and no default is given.
        """
        try:
            options = dataclasses.replace(options or BuildOptions(), **settings)
        except TypeError as exc:
            raise InputError(f"Unknown network option: {exc}") from exc
        fb = as_feedback(feedback)
        net = cls._from_built(build_edges(lines_gdf, options, fb))
        fb.set_progress(1.0)
        return net

    @classmethod
    def _from_built(cls, built) -> Network:
        net = cls(crs=built.crs, node_xy=built.node_xy, edges=built.edges,
                  component=np.zeros(len(built.node_xy), np.int64), notes=built.notes, report=built.report)
        net._finish()
        return net

    def _finish(self) -> None:
        """Graphs per weight, components, counts (shared by from_lines and load)."""
        from scipy.sparse.csgraph import connected_components

        e = self.edges
        u = e["u"].to_numpy(np.int64)
        v = e["v"].to_numpy(np.int64)
        fw = e["forward"].to_numpy(bool)
        bw = e["backward"].to_numpy(bool)
        n = len(self.node_xy)
        src = np.concatenate([u[fw], v[bw]])
        dst = np.concatenate([v[fw], u[bw]])
        eid = np.concatenate([np.flatnonzero(fw), np.flatnonzero(bw)])
        for weight, col in (("length", "length_m"), ("time", "time_s")):
            cost = e[col].to_numpy(float)[eid]
            usable = np.isfinite(cost)
            if weight == "time" and not usable.any():
                continue
            negative = np.unique(eid[usable][cost[usable] < 0])
            if len(negative):
                raise InputError(f"Negative {col} on {len(negative)} edges (e.g. edge_id {negative[0]}): "
                                 "costs must be zero or positive. Rebuild the network from its lines.")
            graph, arc_edge = csr_min(src[usable], dst[usable], cost[usable], eid[usable], n)
            self.graphs[weight] = graph
            self._arc_edge[weight] = arc_edge
        count, labels = connected_components(self.graphs["length"], directed=True, connection="weak")
        sizes = np.bincount(labels, minlength=count)
        order = np.argsort(-sizes, kind="stable")  # 0 = largest
        rank = np.empty(count, np.int64)
        rank[order] = np.arange(count)
        self.component = rank[labels]
        self.edges["component"] = self.component[u]
        self.report.update(nodes=int(n), edges=int(len(e)), components=int(count),
                           largest_component_nodes=int(sizes.max()),
                           oneway_edges=int((fw != bw).sum()))
        self._tree = None
        self._incidence_cache = None

    # -- conversions ------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    def to_networkx(self, weight: str = "length"):
        """The network as a ``networkx.MultiDiGraph`` (node ids = rows of ``node_xy``; each
        arc carries ``edge_id``, ``length_m``, ``time_s``). For inspection and small
        networks; searches use the CSR graphs."""
        import networkx as nx

        g = nx.MultiDiGraph()
        g.add_nodes_from((i, {"x": float(x), "y": float(y), "component": int(c)})
                         for i, ((x, y), c) in enumerate(zip(self.node_xy, self.component)))
        e = self.edges
        for row in e[["edge_id", "u", "v", "length_m", "time_s", "forward", "backward"]].itertuples(index=False):
            attrs = {"edge_id": int(row.edge_id), "length_m": float(row.length_m), "time_s": float(row.time_s)}
            if row.forward:
                g.add_edge(int(row.u), int(row.v), **attrs)
            if row.backward:
                g.add_edge(int(row.v), int(row.u), **attrs)
        return g

    def nodes_gdf(self):
        import geopandas as gpd
        import shapely

        return gpd.GeoDataFrame({"node_id": np.arange(self.n_nodes, dtype=np.int64),
                                 "component": self.component},
                                geometry=shapely.points(self.node_xy), crs=self.crs)

    # -- save / load --------------------------------------------------------------------------
    EDGE_FIELDS = EDGE_FIELDS

    def save(self, path: str) -> None:
        """Write the network as a GeoPackage with layers ``edges`` and ``nodes`` (ids, costs,
        directions, component) so it can be reused with :meth:`load` or :meth:`from_edges`."""
        save_network(self.edges, self.nodes_gdf(), path)

    @classmethod
    def load(cls, path: str) -> Network:
        edges, nodes = read_saved(path)
        return cls.from_edges(edges, nodes=nodes)

    @staticmethod
    def is_saved_network(gdf) -> bool:
        return is_saved_network(gdf)

    @classmethod
    def from_edges(cls, edges, *, nodes=None) -> Network:
        """Rebuild a network from its saved ``edges`` layer (fields ``edge_id, u, v, length_m,
        time_s, forward, backward``); node positions come from ``nodes`` or the edge ends."""
        return cls._from_built(saved_edges(edges, nodes))
