"""Saving a network to a GeoPackage (layers ``edges`` and ``nodes``) and reading one back: the
saved edges give the same :class:`~.build.BuiltEdges` a build from lines gives."""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .build import BuiltEdges, layer_name

EDGE_FIELDS = ("edge_id", "u", "v", "length_m", "time_s", "forward", "backward")


def save_network(edges, nodes, path: str) -> None:
    """Write a network's ``edges`` and ``nodes`` GeoDataFrames as GeoPackage layers."""
    import pyogrio

    edges = edges.copy()
    for col in ("forward", "backward", "oneway"):
        edges[col] = edges[col].astype(np.int8)
    pyogrio.write_dataframe(edges, path, layer="edges", driver="GPKG")
    pyogrio.write_dataframe(nodes, path, layer="nodes", driver="GPKG", append=False)


def read_saved(path: str):
    """``(edges, nodes)`` layers of a saved network."""
    import pyogrio

    try:
        edges = pyogrio.read_dataframe(path, layer="edges")
        nodes = pyogrio.read_dataframe(path, layer="nodes")
    except Exception as exc:
        raise InputError(f"{path} is not a saved JoinedUp network (layers 'edges' and 'nodes'): {exc}") from exc
    edges.attrs["source_name"] = path
    return edges, nodes


def is_saved_network(gdf) -> bool:
    return all(c in gdf.columns for c in EDGE_FIELDS)


def saved_edges(edges, nodes=None) -> BuiltEdges:
    """Edges and node positions from a saved ``edges`` layer (fields ``edge_id, u, v,
    length_m, time_s, forward, backward``); node positions come from ``nodes`` or the edge ends."""
    import shapely

    from ..crs import ensure_projected

    missing = [c for c in EDGE_FIELDS if c not in edges.columns]
    if missing:
        raise InputError(f"{layer_name(edges)} is not a saved JoinedUp network: fields {missing} are missing.")
    if len(edges) == 0:
        raise InputError(f"{layer_name(edges)} is empty: a network needs at least one edge.")
    edges, crs, note = ensure_projected(edges, what=layer_name(edges))
    edges = edges.sort_values("edge_id").reset_index(drop=True)
    if edges["edge_id"].duplicated().any():
        raise InputError(f"{layer_name(edges)}: duplicate edge_id values; the saved network is damaged.")
    edges["edge_id"] = np.arange(len(edges), dtype=np.int64)
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    n = int(max(u.max(), v.max())) + 1
    xy = np.full((n, 2), np.nan)
    if nodes is not None and len(nodes):
        ids = nodes["node_id"].to_numpy(np.int64)
        inside = ids < n
        xy[ids[inside]] = shapely.get_coordinates(nodes.geometry.values)[inside]
    ends = shapely.get_coordinates(shapely.boundary(edges.geometry.values))
    if len(ends) == 2 * len(edges):
        xy[u] = np.where(np.isnan(xy[u]), ends[0::2], xy[u])
        xy[v] = np.where(np.isnan(xy[v]), ends[1::2], xy[v])
    for col in ("forward", "backward"):
        edges[col] = edges[col].astype(bool)
    edges["oneway"] = edges["forward"] != edges["backward"]
    if "source_row" not in edges.columns:
        edges["source_row"] = edges["edge_id"]
    return BuiltEdges(crs=crs, node_xy=np.nan_to_num(xy), edges=edges, notes=[note] if note else [],
                      report={"input_features": int(len(edges))})
