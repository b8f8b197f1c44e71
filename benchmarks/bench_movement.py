"""Map matching speed and route recovery on the sample city (Helsinki drive network).

    .venv/bin/python benchmarks/bench_movement.py [--quick] [--peer PATH]

1. Speed: N tracks × M points (1,000 × 500; --quick 50 × 100), σ = 10 m, every 5 s, matched by
   JoinedUp's engine (HMM, batched compiled Dijkstra): points per second.
2. Recovery tables: share of true route length matched, by σ (5, 10, 20, 30 m) and sampling
   interval (1, 5, 10, 30 s), on seeded tracks walked on known routes: the same trips recorded
   at each interval (the fair test of "denser data never matches worse"), and, as the table
   was before, the same number of points per track (a 1 s track is then 5× shorter).
3. Peer: leuvenmapmatching (pure-Python HMM, DistanceMatcher), if importable (``--peer`` names
   a folder it was pip-installed into with ``pip install --target``, so it never enters the
   project's venv): the same tracks, points per second and recovery.
QGIS has no map matcher, so there is no native algorithm to run.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mb, plugin_importable, report  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "resources" / "sample" / "helsinki.osm.pbf"


def recoveries(graph, truth, res, n_tracks):
    from joinedup.engine.mapmatch import recovery

    out = []
    for t in range(n_tracks):
        runs = res.runs.loc[res.runs.piece == t, "run"]
        out.append(recovery(graph, truth[truth.track == t], res.traversals[res.traversals.run.isin(runs)]))
    return np.array(out)


def weighted(graph, truth, shares):
    lengths = np.array([(np.abs(g.f1 - g.f0) * graph.length_m[g.edge]).sum()
                        for _, g in truth.groupby("track", sort=True)])
    return float((shares * lengths).sum() / lengths.sum())


def run_joinedup(graph, pts, sigma, radius=None):
    from joinedup.engine.mapmatch import MatchOptions, match_tracks
    from joinedup.engine.tracks import prepare_tracks

    table, _, _ = prepare_tracks(pts, track_field="track_id", time_field="time")
    start = time.perf_counter()
    res = match_tracks(graph, table, options=MatchOptions(sigma_m=sigma, radius_m=radius or max(50.0, 4 * sigma)))
    return time.perf_counter() - start, res, len(table)


def run_leuven(graph, pts, n_tracks, sigma, *, max_dist, lattice_width):
    """leuvenmapmatching's DistanceMatcher on the same network (nodes, directed arcs). It
    stops a track where its lattice dies (returns the last index matched), so a narrow
    lattice loses the rest of the track."""
    import pandas as pd
    from leuvenmapmatching.map.inmem import InMemMap
    from leuvenmapmatching.matcher.distance import DistanceMatcher

    net = graph.network
    m = InMemMap("sample", use_latlon=False, use_rtree=False, index_edges=True)
    for i, (x, y) in enumerate(net.node_xy):
        m.add_node(int(i), (float(y), float(x)))
    for u, v, f, b in zip(graph.edge_u, graph.edge_v, graph.forward, graph.backward):
        if f:
            m.add_edge(int(u), int(v))
        if b:
            m.add_edge(int(v), int(u))
    arc = {}
    for e, (u, v) in enumerate(zip(graph.edge_u, graph.edge_v)):
        arc.setdefault((int(u), int(v)), e)
        arc.setdefault((int(v), int(u)), e)
    shares, elapsed, npts = [], 0.0, 0
    xy = np.column_stack([pts.geometry.x, pts.geometry.y])
    for _track, idx in pts.groupby("track_id", sort=True).indices.items():
        path = [(float(y), float(x)) for x, y in xy[idx]]
        matcher = DistanceMatcher(m, max_dist=max_dist, obs_noise=sigma, obs_noise_ne=3 * sigma,
                                  dist_noise=sigma, non_emitting_states=True, max_lattice_width=lattice_width)
        start = time.perf_counter()
        matcher.match(path)
        elapsed += time.perf_counter() - start
        npts += len(idx)
        nodes = matcher.path_pred_onlynodes
        edges = [arc[(a, b)] for a, b in zip(nodes[:-1], nodes[1:]) if (a, b) in arc]
        shares.append(pd.DataFrame({"edge": edges, "f0": 0.0, "f1": 1.0}))
    return elapsed, npts, shares


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--peer", default="", help="folder with leuvenmapmatching (pip install --target)")
    ap.add_argument("--peer-only", action="store_true", help="only the comparison with the peer")
    args = ap.parse_args()
    plugin_importable()
    from gen_tracks import drive_graph, generate_tracks

    from joinedup.engine.mapmatch import recovery

    t0 = time.perf_counter()
    net, graph = drive_graph(DATA)
    build_s = time.perf_counter() - t0
    print(f"network: {len(graph.edge_u)} edges, {graph.n_nodes} nodes, built in {build_s:.2f} s")
    n_tracks, n_points = (50, 100) if args.quick else (1000, 500)
    if args.peer_only:
        n_tracks = 5 if args.quick else 10
    pts, truth = generate_tracks(graph, n_tracks=n_tracks, n_points=n_points, sigma_m=10, interval_s=5, seed=42)
    rows = []
    if not args.peer_only:
        elapsed, res, n = run_joinedup(graph, pts, 10.0)
        shares = recoveries(graph, truth, res, n_tracks)
        rows.append({"matcher": "JoinedUp", "tracks": n_tracks, "points": n, "seconds": round(elapsed, 2),
                     "points_per_s": round(n / elapsed), "recovery": round(weighted(graph, truth, shares), 4),
                     "peak_rss_mb": round(peak_rss_mb())})
    peer_note = ""
    if args.peer:
        sys.path.insert(0, args.peer)
    try:
        import leuvenmapmatching  # noqa: F401
        k = 5 if args.quick else 10
        sub = pts[pts["track_id"].isin(sorted(pts["track_id"].unique())[:k])]
        el_j, res_j, n_j = run_joinedup(graph, sub, 10.0)
        sh_j = recoveries(graph, truth[truth.track < k], res_j, k)
        rows.append({"matcher": "JoinedUp (same first tracks)", "tracks": k, "points": n_j,
                     "seconds": round(el_j, 2), "points_per_s": round(n_j / el_j),
                     "recovery": round(weighted(graph, truth[truth.track < k], sh_j), 4), "peak_rss_mb": ""})
        notes = []
        for max_dist, width in ((50.0, 5), (100.0, 20)):
            el_l, np_l, tr_l = run_leuven(graph, sub, k, 10.0, max_dist=max_dist, lattice_width=width)
            sh_l = np.array([recovery(graph, truth[truth.track == t], tr_l[t]) for t in range(k)])
            rows.append({"matcher": f"leuvenmapmatching 1.1.4 max_dist={max_dist:g} lattice={width}",
                         "tracks": k, "points": np_l, "seconds": round(el_l, 2),
                         "points_per_s": round(np_l / el_l),
                         "recovery": round(weighted(graph, truth[truth.track < k], sh_l), 4), "peak_rss_mb": ""})
            notes.append(f"JoinedUp / leuvenmapmatching (lattice {width}) points per second: "
                         f"{(n_j / el_j) / (np_l / el_l):.1f}x")
        peer_note = "; ".join(notes)
    except ImportError:
        peer_note = ("leuvenmapmatching not importable: peer skipped "
                     "(pip install --target DIR leuvenmapmatching; --peer DIR)")
    report("movement_peer" if args.peer_only else "movement_speed", rows, peer_note)
    if args.peer_only:
        return
    # recovery tables
    k, m = (5, 60) if args.quick else (20, 120)
    duration_s = 5 * (m - 1)  # the same trips at every interval: as long as m points every 5 s
    same_trips, equal_points = [], []
    for sigma in (5, 10, 20, 30):
        rows_s, rows_p = {"sigma_m": sigma}, {"sigma_m": sigma}
        for dt in (1, 5, 10, 30):
            for row, n_points in ((rows_s, duration_s // dt + 1), (rows_p, m)):
                p, tr = generate_tracks(graph, n_tracks=k, n_points=n_points, sigma_m=sigma, interval_s=dt, seed=7)
                _, r, _ = run_joinedup(graph, p, float(sigma))
                row[f"{dt}s"] = round(weighted(graph, tr, recoveries(graph, tr, r, k)), 3)
        same_trips.append(rows_s)
        equal_points.append(rows_p)
        print("same trips", rows_s, "| equal points", rows_p, flush=True)
    report("movement_recovery", same_trips,
           f"Share of true route length matched: the same {k} trips of {duration_s} s at 10 m/s recorded every "
           "1, 5, 10 or 30 s (seed 7), Helsinki drive network with OSM one-ways; rows σ (m), columns interval.")
    report("movement_recovery_equal_points", equal_points,
           f"As before this table was replaced: {k} tracks × {m} points per cell, so a 1 s track is a fifth "
           "as long as a 5 s one (and its two ends, matched with the noise of one fix each, weigh 5× more).")


if __name__ == "__main__":
    main()
