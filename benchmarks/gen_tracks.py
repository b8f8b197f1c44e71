"""Seeded synthetic GPS tracks that walk known routes on a network, for map-matching tests
and benchmarks. Each track follows a chain of shortest paths between random nodes at a
constant speed, sampled every ``interval_s`` seconds, with Gaussian noise of ``sigma_m`` metres
on each axis. The true route comes back as traversals (edge index, f0, f1) so recovery can be
measured with :func:`engine.mapmatch.recovery`.
"""
from __future__ import annotations

import numpy as np

DRIVE_EXCLUDED = ("footway", "cycleway", "steps", "path", "pedestrian", "platform", "corridor",
                  "elevator", "trail", "construction", "bridleway", "track", "proposed")


def helsinki_lines(path, *, drive: bool = True):
    """The OSM ``lines`` of the Helsinki extract with a ``highway`` value, in EPSG:3067; only
    the classes a car may use when ``drive``."""
    import pyogrio

    lines = pyogrio.read_dataframe(str(path), layer="lines")
    lines = lines[lines["highway"].notna()]
    if drive:
        lines = lines[~lines["highway"].isin(DRIVE_EXCLUDED)]
    return lines.to_crs("EPSG:3067").reset_index(drop=True)


def drive_graph(path):
    """The JoinedUp network (engine/network.py) of the Helsinki extract for driving, with
    OSM one-ways, as a MatchGraph: ``(network, graph)``."""
    import pyogrio

    from joinedup.engine.mapmatch import MatchGraph
    from joinedup.engine.network import Network

    lines = pyogrio.read_dataframe(str(path), layer="lines")
    net = Network.from_lines(lines.to_crs("EPSG:3067"), mode="drive", osm_oneway=True)
    return net, MatchGraph.from_network(net)


def segment_graph(lines, *, oneway_field: str | None = "other_tags"):
    """A MatchGraph with one edge per line segment (every vertex a node, shared coordinates
    within 1 mm join) -- a stand-in for the network engine's builder. OSM ``oneway=yes`` in
    ``other_tags`` makes an edge one-way."""
    import shapely

    from joinedup.engine.mapmatch import MatchGraph

    geoms = lines.geometry.values
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = np.r_[cidx[1:] == cidx[:-1]]
    a = np.flatnonzero(same)
    keys = np.round(coords, 3)
    _, node = np.unique(keys, axis=0, return_inverse=True)
    node = node.ravel()
    u, v = node[a], node[a + 1]
    keep = u != v
    a, u, v = a[keep], u[keep], v[keep]
    seg = shapely.linestrings(np.stack([coords[a], coords[a + 1]], axis=1))
    length = shapely.length(seg)
    oneway = np.zeros(len(a), bool)
    if oneway_field and oneway_field in lines.columns:
        tags = lines[oneway_field].fillna("").astype(str).to_numpy()
        one = np.array(['"oneway"=>"yes"' in t for t in tags])
        oneway = one[owner[cidx[a]]]
    graph = MatchGraph(edge_u=u, edge_v=v, length_m=length, geometry=seg,
                       forward=np.ones(len(a), bool), backward=~oneway, crs=lines.crs)
    return graph


def largest_component_nodes(graph):
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(graph.csr, directed=True, connection="strong")
    used = np.zeros(graph.n_nodes, bool)
    used[graph.edge_u] = used[graph.edge_v] = True
    counts = np.bincount(labels[used])
    return np.flatnonzero(used & (labels == np.argmax(counts)))


def generate_tracks(graph, *, n_tracks: int, n_points: int, sigma_m: float, interval_s: float,
                    speed_ms: float = 10.0, seed: int = 0, mode: str = "car",
                    start_time: str = "2024-05-02T07:00:00", crs=None):
    """``(points GeoDataFrame, truth DataFrame)``.

    points: ``track_id``, ``time`` (ISO text, seconds resolution), ``mode``, point geometry.
    truth: ``track`` (index), ``edge``, ``f0``, ``f1``: the true route between the first and
    last sample.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    rng = np.random.default_rng(seed)
    nodes = largest_component_nodes(graph)
    need_m = speed_ms * interval_s * (n_points - 1)
    t0 = pd.Timestamp(start_time)
    xs, ys, tids, times, truth = [], [], [], [], []
    # chains of shortest paths between random waypoints, all hops of all tracks in one
    # batched search; more waypoints are drawn for tracks still too short
    chains_e = [[] for _ in range(n_tracks)]
    chains_d = [[] for _ in range(n_tracks)]
    total = np.zeros(n_tracks)
    last = rng.choice(nodes, n_tracks)
    mean_hop = max(np.median(graph.length_m) * 20, 100.0)
    while (total < need_m).any():
        todo = np.flatnonzero(total < need_m)
        hops = int(np.clip(np.ceil((need_m - total[todo].min()) / mean_hop) + 2, 2, 200))
        way = rng.choice(nodes, (len(todo), hops))
        src = np.column_stack([last[todo], way[:, :-1]])
        dst = way
        src, dst = src.ravel(), dst.ravel()
        owner = np.repeat(todo, hops)
        pair, _, pe, pdir, reached = graph.node_paths_flat(src, dst, np.inf)
        starts = np.searchsorted(pair, np.arange(len(src) + 1))
        for i in range(len(src)):
            t = owner[i]
            if total[t] >= need_m or not reached[i] or src[i] == dst[i]:
                continue
            a, b = starts[i], starts[i + 1]
            chains_e[t].extend(pe[a:b].tolist())
            chains_d[t].extend(pdir[a:b].tolist())
            total[t] += graph.length_m[pe[a:b]].sum()
            last[t] = dst[i]
    for track in range(n_tracks):
        arcs_e, arcs_d = chains_e[track], chains_d[track]
        e = np.asarray(arcs_e)
        d = np.asarray(arcs_d)
        lengths = graph.length_m[e]
        cum = np.r_[0.0, np.cumsum(lengths)]
        s = np.arange(n_points) * speed_ms * interval_s
        k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(e) - 1)
        local = np.clip((s - cum[k]) / np.maximum(lengths[k], 1e-12), 0, 1)
        frac = np.where(d[k] > 0, local, 1 - local)
        p = shapely.get_coordinates(shapely.line_interpolate_point(graph.geometry[e[k]], frac,
                                                                   normalized=True))
        p = p + rng.normal(0.0, sigma_m, size=p.shape)
        xs.append(p[:, 0])
        ys.append(p[:, 1])
        tids.append(np.full(n_points, f"{mode}-{track:05d}", dtype=object))
        times.append(t0 + pd.to_timedelta(np.arange(n_points) * interval_s + track * 7, unit="s"))
        end = k[-1]
        te, tf0, tf1 = e[:end + 1].copy(), np.where(d[:end + 1] > 0, 0.0, 1.0), \
            np.where(d[:end + 1] > 0, 1.0, 0.0)
        tf1[-1] = frac[-1]
        truth.append(pd.DataFrame({"track": track, "edge": te, "f0": tf0, "f1": tf1}))
    x, y = np.concatenate(xs), np.concatenate(ys)
    time = pd.DatetimeIndex(np.concatenate([t.values for t in times]))
    points = gpd.GeoDataFrame({"track_id": np.concatenate(tids),
                               "time": time.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3],
                               "mode": mode},
                              geometry=shapely.points(x, y), crs=crs or graph.crs)
    return points, pd.concat(truth, ignore_index=True)
