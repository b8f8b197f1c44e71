"""Route optimisation: 500 jobs × 10 vehicles on a 10k-edge street grid (benchmarks/gen_network.py).

    .venv/bin/python benchmarks/bench_routing.py [--quick]

Measures, in one run on one seeded instance (capacities, 2-hour windows on a third of the jobs,
08:00-16:00 shifts, two depots, one-way streets and OSM speeds):
1. the network build and the travel-time/distance matrix (510 × 510) from JoinedUp's network
   engine, against raw scipy ``csgraph.dijkstra`` from the same 510 snapped nodes (the floor: the
   same searches without snapping onto edges or measuring the distance of the quickest route);
2. the VROOM solve at each quality (time limit 60 s), its driving time, distance and vehicles;
3. the gap to a lower bound. VROOM reports none (nor does PyVRP), so the bound is our own: the
   assignment relaxation (each job gets one cheapest incoming and outgoing drive, sub-tours
   allowed, capacity and windows dropped), solved exactly by scipy's ``linear_sum_assignment``.
   It is a valid but loose bound: the gap overstates the distance from the optimum;
4. PyVRP (hybrid genetic search) on the same matrix and time as VROOM's Thorough, when it is
   importable (it is not a JoinedUp dependency): the best peer, as a ratio of driving time.
``--quick``: 200 jobs × 4 vehicles. Results: benchmarks/results/bench_routing.json.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mb, plugin_importable, report  # noqa: E402


def instance(n_jobs: int, n_vehicles: int, n_edges: int = 10_000, seed: int = 7):
    import geopandas as gpd
    import pandas as pd
    from gen_network import grid_network, points_near

    from joinedup.engine.network import Network

    lines = grid_network(n_edges, seed=seed)
    t = time.perf_counter()
    net = Network.from_lines(lines, osm_oneway=True, speed_field="maxspeed", class_field="highway",
                             default_speed_kmh=30.0)
    build_s = time.perf_counter() - t
    rng = np.random.default_rng(seed)
    jobs_pts = points_near(lines, n_jobs, seed=seed + 1)
    depots = points_near(lines, 2, seed=seed + 2)
    pts = gpd.GeoSeries(list(depots.geometry) + list(jobs_pts.geometry), crs=lines.crs)
    snap = net.snap(pts)
    opens = rng.uniform(8, 14, n_jobs) * 3600
    windows = [[(o, o + 7200)] if rng.random() < 1 / 3 else [] for o in opens]
    jobs = pd.DataFrame({"location": np.where(snap.edge[2:] >= 0, np.arange(2, 2 + n_jobs), -1),
                         "demand": rng.integers(1, 4, n_jobs), "service_s": np.full(n_jobs, 300.0),
                         "windows": windows, "priority": np.zeros(n_jobs), "skills": [frozenset()] * n_jobs})
    capacity = int(np.ceil(jobs["demand"].sum() / n_vehicles * 1.2))
    vehicles = pd.DataFrame({"start": np.arange(n_vehicles) % 2, "end": np.arange(n_vehicles) % 2,
                             "capacity": float(capacity), "shift_start_s": 8 * 3600.0, "shift_end_s": 16 * 3600.0,
                             "skills": [frozenset()] * n_vehicles, "cost_per_km": 0.0, "cost_per_hour": 0.0})
    return net, snap, jobs, vehicles, build_s


def assignment_bound(time_s, jobs, vehicles) -> float:
    """Assignment relaxation of the fleet's driving time: nodes are the jobs plus one copy per
    vehicle; a job's successor is a job or a vehicle's end depot, a vehicle copy's successor a
    job (leaving its start depot) or itself (unused). A lower bound on any plan serving all jobs."""
    from scipy.optimize import linear_sum_assignment

    loc = jobs["location"].to_numpy()
    start, end = vehicles["start"].to_numpy(), vehicles["end"].to_numpy()
    nj, nv = len(loc), len(start)
    big = 1e9
    c = np.full((nj + nv, nj + nv), big)
    c[:nj, :nj] = time_s[np.ix_(loc, loc)]
    np.fill_diagonal(c[:nj, :nj], big)
    c[:nj, nj:] = time_s[np.ix_(loc, end)]
    c[nj:, :nj] = time_s[np.ix_(start, loc)]
    c[nj:, nj:] = np.where(np.eye(nv, dtype=bool), 0.0, big)
    c = np.where(np.isfinite(c), c, big)
    r, k = linear_sum_assignment(c)
    return float(c[r, k].sum())


def pyvrp_driving_s(jobs, vehicles, time_s, length_m, seconds: float):
    """PyVRP on the same integer matrices, with the same capacities, windows and shifts."""
    try:
        import pyvrp
        from pyvrp.stop import MaxRuntime
    except ImportError:
        return None
    m = pyvrp.Model()
    index = sorted(set(vehicles["start"])) + list(jobs["location"])  # matrix rows, one location each
    locs = [m.add_location(x=0, y=0) for _ in index]
    depots = {d: m.add_depot(locs[k]) for k, d in enumerate(sorted(set(vehicles["start"])))}
    for d, group in vehicles.groupby("start"):
        m.add_vehicle_type(len(group), capacity=[int(group["capacity"].iloc[0])], start_depot=depots[d],
                           end_depot=depots[d], tw_early=int(group["shift_start_s"].iloc[0]),
                           tw_late=int(group["shift_end_s"].iloc[0]))
    for k, (_, j) in enumerate(jobs.iterrows(), start=len(depots)):
        w = j["windows"][0] if j["windows"] else (0, 24 * 3600)
        m.add_client(locs[k], delivery=[int(j["demand"])], service_duration=int(j["service_s"]),
                     tw_early=int(np.ceil(w[0])), tw_late=int(w[1]))
    t = np.where(np.isfinite(time_s), np.ceil(time_s), 10**7).astype(int)
    for a, fa in zip(index, locs):
        for b, fb in zip(index, locs):
            if fa is not fb:
                m.add_edge(fa, fb, distance=int(t[a, b]), duration=int(t[a, b]))
    res = m.solve(stop=MaxRuntime(seconds), display=False, seed=1)
    return float(res.cost()) if res.is_feasible() else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    plugin_importable()
    from scipy.sparse.csgraph import dijkstra

    from joinedup.engine import routing

    n_jobs, n_vehicles = (200, 4) if args.quick else (500, 10)
    net, snap, jobs, vehicles, build_s = instance(n_jobs, n_vehicles)
    rows = [{"task": "network build", "n": len(net.edges), "tool": "JoinedUp", "seconds": build_s, "ratio": None,
             "driving_h": None, "distance_km": None, "vehicles": None, "gap_to_bound": None}]
    t = time.perf_counter()
    time_s, length_m = routing.travel_matrices(net, snap, weight="time")
    matrix_s = time.perf_counter() - t
    # the floor: the same number of searches from graph nodes, no snapping, no second measure
    nodes = net.edges["u"].to_numpy()[np.maximum(snap.edge, 0)]
    t = time.perf_counter()
    dijkstra(net.graphs["time"], directed=True, indices=nodes)[:, nodes]
    floor_s = time.perf_counter() - t
    size = len(snap)
    rows.append({"task": f"matrix {size}x{size}", "n": size, "tool": "JoinedUp travel_matrices",
                 "seconds": matrix_s, "ratio": 1.0, "driving_h": None, "distance_km": None, "vehicles": None,
                 "gap_to_bound": None})
    rows.append({"task": f"matrix {size}x{size}", "n": size, "tool": "raw csgraph.dijkstra (floor)",
                 "seconds": floor_s, "ratio": floor_s / matrix_s, "driving_h": None, "distance_km": None,
                 "vehicles": None, "gap_to_bound": None})
    bound = assignment_bound(time_s, jobs, vehicles)
    best = None
    for quality in ("fast", "balanced", "thorough"):
        t = time.perf_counter()
        plan = routing.solve(jobs, vehicles, time_s, length_m, objective="time", quality=quality, time_limit_s=60)
        seconds = time.perf_counter() - t
        tot = plan.totals
        rows.append({"task": f"solve {n_jobs} jobs x {n_vehicles} vehicles", "n": n_jobs,
                     "tool": f"VROOM {quality}", "seconds": seconds, "ratio": None,
                     "driving_h": tot["driving_s"] / 3600, "distance_km": tot["length_m"] / 1000,
                     "vehicles": tot["vehicles_used"], "gap_to_bound": tot["driving_s"] / bound - 1,
                     "unassigned": tot["jobs_unassigned"]})
        best = (seconds, tot["driving_s"])
    peer = pyvrp_driving_s(jobs, vehicles, time_s, length_m, max(1.0, best[0]))
    if peer is not None:
        rows.append({"task": f"solve {n_jobs} jobs x {n_vehicles} vehicles", "n": n_jobs,
                     "tool": f"PyVRP, {max(1.0, best[0]):.0f} s", "seconds": max(1.0, best[0]),
                     "ratio": peer / best[1], "driving_h": peer / 3600, "distance_km": None, "vehicles": None,
                     "gap_to_bound": peer / bound - 1})
    t = time.perf_counter()
    routing.route_lines(net, snap, plan.stops, weight="time")
    rows.append({"task": "route lines along the streets", "n": tot["vehicles_used"], "tool": "JoinedUp",
                 "seconds": time.perf_counter() - t, "ratio": None, "driving_h": None, "distance_km": None,
                 "vehicles": None, "gap_to_bound": None})
    notes = (f"Seeded 10k-edge grid, {n_jobs} jobs (demand 1-3, 5 min service, a third with 2-hour windows), "
             f"{n_vehicles} vehicles from 2 depots, shifts 08:00-16:00, capacity 1.2 x the fair share. "
             f"Objective: driving time. gap_to_bound: against the assignment-relaxation lower bound "
             f"({bound / 3600:.2f} h; VROOM and PyVRP report no bound of their own). Matrix ratio = floor "
             f"time / JoinedUp time (1 = as fast as the bare searches). PyVRP ratio = its driving time / "
             f"VROOM Thorough's (above 1: VROOM better). Peak RSS {peak_rss_mb():.0f} MiB.")
    report("bench_routing" + ("_quick" if args.quick else ""), rows, notes)


if __name__ == "__main__":
    main()
