"""Service-demand benchmark: 5,000 demand points × 200 candidate sites, P = 10, on the sample
city's real streets (resources/sample/sample_city.gpkg, roads).

Rows:
- network OD matrix (demand × candidates) with the network engine;
- accessibility measures on that matrix (nearest, cumulative, gravity, 2SFCA, E2SFCA);
- p-median and MCLP with JoinedUp's automatic solver: time, objective, method, proven gap;
- the exact optimum (JoinedUp's reduced MILP after Lagrangian fixing, HiGHS, long time limit):
  time and the automatic answer's gap to it;
- PySAL spopt (the best peer; QGIS has no location-allocation) on the same matrix where it can
  finish: the full 5,000 × 200 model does not (ENVIRONMENT.md: > 10 min), so spopt runs on a
  600 × 40, P = 5 subsample (a 1,000 × 50 one hit the 300 s limit here), beside JoinedUp on it;
- the whole `joinedup:locationallocation` run through processing.run (files in, files out).

    .venv/bin/python benchmarks/bench_access.py [--quick] [--exact-time 600]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, median_time, peak_rss_mb, plugin_importable, qgis_session, report  # noqa: E402

CITY = REPO / "resources" / "sample" / "sample_city.gpkg"
SPOPT_LIMIT_S = 300
SPOPT_SIZE = (600, 40)  # demand × candidates of the subsample spopt gets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--exact-time", type=float, default=300.0)
    parser.add_argument("--no-spopt", action="store_true")
    args = parser.parse_args()
    plugin_importable()
    import geopandas as gpd
    import numpy as np
    from gen_access import points_along

    from joinedup.engine import accessibility, location
    from joinedup.engine.network import Network

    n_dem, n_cand, p = (1000, 50, 5) if args.quick else (5000, 200, 10)
    roads = gpd.read_file(CITY, layer="roads")
    demand = points_along(roads, n_dem, seed=1)
    cands = points_along(roads, n_cand, seed=2)
    w = demand["demand"].to_numpy(float)
    rows = Rows()

    t0 = time.perf_counter()
    net = Network.from_lines(roads)
    build = time.perf_counter() - t0
    t_od, _, cost = median_time(lambda: net.cost_matrix(net.snap(demand), net.snap(cands), weight="length"),
                                repeat=1)
    rows.append({"task": f"network build + OD {n_dem}x{n_cand} (engine)", "seconds": build + t_od,
                 "result": f"build {build:.2f} s, OD {t_od:.2f} s, "
                           f"{np.isinf(cost).mean() * 100:.1f} % pairs unreachable"})

    def measures():
        accessibility.nearest(cost)
        accessibility.cumulative_opportunities(cost, [500, 1000, 1500])
        accessibility.gravity(cost, supply=np.ones(n_cand), function="exponential", parameter=0.002)
        accessibility.two_step_fca(cost, demand=w, supply=np.ones(n_cand), catchment=1000)
        return accessibility.two_step_fca(cost, demand=w, supply=np.ones(n_cand), bands=[500, 1000, 1500])

    t_acc, _, _ = median_time(measures, repeat=3)
    rows.append({"task": "accessibility: nearest, cumulative x3, gravity, 2SFCA, E2SFCA", "seconds": t_acc,
                 "result": "numpy on the dense matrix"})

    t_pm, _, pm = median_time(lambda: location.solve("pmedian", cost, demand=w, p=p), repeat=1)
    rows.append({"task": f"p-median P={p}, JoinedUp automatic", "seconds": t_pm,
                 "result": f"{pm.objective:,.0f} demand·m; {pm.method}; proven gap {100 * pm.gap:.3f} %"})
    t_ex, _, ex = median_time(lambda: location.solve("pmedian", cost, demand=w, p=p, exact="always",
                                              mip_rel_gap=1e-9, time_limit_s=args.exact_time), repeat=1)
    best_bound = max(ex.lower_bound, pm.lower_bound)
    rows.append({"task": f"p-median P={p}, exact (reduced MILP, limit {args.exact_time:g} s)", "seconds": t_ex,
                 "result": f"{ex.objective:,.0f}; {ex.method}; gap {100 * ex.gap:.4f} %"})
    rows.append({"task": "automatic answer vs exact optimum", "seconds": None,
                 "result": f"{100 * (pm.objective - ex.objective) / ex.objective:.3f} % above the exact answer"
                           + ("" if ex.optimal else f" (exact run not proven; best bound {best_bound:,.0f})")})
    t_mc, _, mc = median_time(lambda: location.solve("mclp", cost, demand=w, p=p, threshold=500), repeat=1)
    rows.append({"task": f"MCLP P={p}, 500 m, JoinedUp automatic", "seconds": t_mc,
                 "result": f"{mc.objective:,.0f} of {w.sum():,.0f} demand covered; {mc.method}; "
                           f"gap {100 * mc.gap:.3f} %"})

    if not args.no_spopt:
        rows += spopt_rows(cost, w, location)

    # the whole algorithm through QGIS's processing.run
    processing = qgis_session()
    with tempfile.TemporaryDirectory() as tmp:
        demand.to_file(Path(tmp) / "demand.gpkg")
        cands.to_file(Path(tmp) / "candidates.gpkg")
        city = Path(tmp) / "city.gpkg"  # QGIS rewrites a GeoPackage's header: never the committed one
        shutil.copyfile(CITY, city)
        params = {"NETWORK": f"{city}|layername=roads", "DEMAND": str(Path(tmp) / "demand.gpkg"),
                  "DEMAND_FIELD": "demand", "CANDIDATES": str(Path(tmp) / "candidates.gpkg"),
                  "CANDIDATE_ID": "point_id", "PROBLEM": 0, "P": p, "THRESHOLD": 500,
                  "SITES": str(Path(tmp) / "sites.gpkg"), "ALLOCATION": str(Path(tmp) / "alloc.gpkg"),
                  "SUMMARY": str(Path(tmp) / "summary.csv")}
        t_alg, _, res = median_time(lambda: processing.run("joinedup:locationallocation", params), repeat=1)
    rows.append({"task": "joinedup:locationallocation via processing.run (files in/out)", "seconds": t_alg,
                 "result": f"objective {res['OBJECTIVE']:,.0f}; gap {res['GAP_PCT']:.3f} %; {res['METHOD']}"})
    report("bench_access", list(rows), notes=f"demand {n_dem}, candidates {n_cand}, P {p}; sample city roads "
                                         f"({len(roads)} lines); peak RSS {peak_rss_mb():.0f} MiB")


class Rows(list):
    """Rows printed as they arrive (a long run shows progress and keeps partial figures)."""

    def append(self, row):
        print(" | ".join(f"{k}: {v:.3g}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()),
              flush=True)
        super().append(row)

    def __iadd__(self, more):
        for row in more:
            self.append(row)
        return self


def spopt_rows(cost, w, location):
    """spopt (CBC through pulp) on a subsample (SPOPT_SIZE), P = 5, beside JoinedUp on the same."""
    import numpy as np

    try:
        import pulp
        from spopt.locate import PMedian
    except ImportError:
        return [{"task": "spopt", "seconds": None, "result": "not installed (pip install spopt)"}]
    warnings.filterwarnings("ignore")
    rng = np.random.default_rng(0)
    sub_i = rng.choice(cost.shape[0], min(SPOPT_SIZE[0], cost.shape[0]), replace=False)
    sub_j = rng.choice(cost.shape[1], min(SPOPT_SIZE[1], cost.shape[1]), replace=False)
    c = cost[np.ix_(sub_i, sub_j)]
    c = c[:, np.isfinite(c).mean(axis=0) > 0.9]  # spopt needs finite costs: drop cut-off
    keep = np.isfinite(c).all(axis=1)            # candidates, then demand that misses any
    c, ww = c[keep], w[sub_i][keep]
    t_j, _, r = median_time(lambda: location.solve("pmedian", c, demand=ww, p=5), repeat=1)
    model = PMedian.from_cost_matrix(c, ww, p_facilities=5)
    start = time.perf_counter()
    try:
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=SPOPT_LIMIT_S))
        found = f"{model.problem.objective.value():,.0f} ({pulp.LpStatus[model.problem.status]})"
    except RuntimeError as exc:  # spopt raises when CBC stops without a solution
        found = f"no answer within {SPOPT_LIMIT_S} s ({exc})"
    t_s = time.perf_counter() - start
    return [
        {"task": f"spopt p-median {len(c)}x{c.shape[1]} P=5 (CBC, limit {SPOPT_LIMIT_S} s)", "seconds": t_s,
         "result": found},
        {"task": f"JoinedUp p-median {len(c)}x{c.shape[1]} P=5", "seconds": t_j,
         "result": f"{r.objective:,.0f}; {r.method}; gap {100 * r.gap:.4f} %; spopt/JoinedUp time "
                   f"{t_s / t_j:.1f}x"},
    ]


if __name__ == "__main__":
    main()
