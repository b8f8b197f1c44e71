"""Network diagnostics: dangles, one-way dead ends and starts, duplicate edges, islands."""
from __future__ import annotations

import numpy as np

from .model import Network


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



def island_lines(edges):
    """The island edges of :func:`check_network`'s edges, one line per island (``component``,
    ``component_nodes``, summed ``length_m``)."""
    islands = edges[edges["island"]]
    if len(islands):
        return islands.dissolve(by="component", aggfunc={"component_nodes": "first", "length_m": "sum"},
                                as_index=False)
    return islands[["component", "component_nodes", "length_m", "geometry"]]


def summary_table(summary: dict):
    """:func:`check_network`'s summary as a two-column table (``metric``, ``value``)."""
    import pandas as pd

    return pd.DataFrame({"metric": list(summary), "value": [float(v) for v in summary.values()]})
