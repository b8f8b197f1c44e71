"""The result of a location problem and its before/after summaries, measured on the real
(unpenalised) costs: which site serves each demand unit, at what cost, and the service level."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .matrix import NO_SITE, _site_codes


@dataclass
class Summary:
    """Objective and service level of one set of open sites."""
    objective: float            # p-median: Σ demand × cost; mclp: demand covered; lscp: sites
    total_demand: float
    served_demand: float        # demand reaching an open site (any cost)
    covered_demand: float | None  # within threshold (None when no threshold)
    mean_cost: float            # demand-weighted mean cost over served demand
    max_cost: float             # largest cost of served demand
    open_sites: int

    @property
    def covered_share(self) -> float | None:
        if self.covered_demand is None or self.total_demand <= 0:
            return None
        return self.covered_demand / self.total_demand


@dataclass
class LocationResult:
    problem: str
    chosen: np.ndarray          # candidate indices (new sites) in order of marginal gain
    gains: np.ndarray           # objective improvement of each chosen site, in that order
    site: np.ndarray            # per demand: open site serving it (existing k → -(k+1), candidate j → j) or NO_SITE
    site_cost: np.ndarray       # per demand: cost to that site (inf when unserved)
    objective: float            # in the problem's objective units (see Summary.objective)
    lower_bound: float          # proven bound (pmedian/cpmedian: lower; mclp: upper on covered demand)
    gap: float                  # relative gap to the bound, 0 = proven optimal
    method: str
    before: Summary
    after: Summary
    unreachable: np.ndarray     # demand indices with no reachable site at all
    flows: list = field(default_factory=list)  # cpmedian split: (demand, site, amount)
    messages: list = field(default_factory=list)

    @property
    def optimal(self) -> bool:
        return self.gap <= 1e-6


def summarise(full, w_all, open_cols, threshold, objective_value) -> Summary:
    open_cols = np.asarray(open_cols, dtype=np.int64)
    total = float(w_all.sum())
    if len(open_cols) == 0:
        return Summary(objective=objective_value, total_demand=total, served_demand=0.0,
                       covered_demand=0.0 if threshold is not None else None, mean_cost=math.nan,
                       max_cost=math.nan, open_sites=0)
    near = full[:, open_cols].min(axis=1)
    served = np.isfinite(near)
    ws = float(w_all[served].sum())
    mean = float(w_all[served] @ near[served]) / ws if ws > 0 else math.nan
    mx = float(near[served & (w_all > 0)].max()) if (served & (w_all > 0)).any() else math.nan
    covered = float(w_all[near <= threshold].sum()) if threshold is not None else None
    return Summary(objective=objective_value, total_demand=total, served_demand=ws,
                   covered_demand=covered, mean_cost=mean, max_cost=mx, open_sites=len(open_cols))


def _objective_real(problem, full, w_all, open_cols, threshold):
    if len(open_cols) == 0:
        return math.nan if problem != "mclp" else 0.0
    near = full[:, np.asarray(open_cols, dtype=np.int64)].min(axis=1)
    if problem == "mclp":
        return float(w_all[near <= threshold].sum())
    if problem == "lscp":
        return float(len(open_cols))
    ok = np.isfinite(near)
    return float(w_all[ok] @ near[ok])


def _finish(problem, full, w_all, rows, e, order_cols, gains, obj_val, bound_val, gap, method,
            threshold, site=None, site_cost=None):
    n = full.shape[0]
    forced = np.arange(e)
    open_cols = np.concatenate([forced, order_cols]).astype(np.int64)
    if site is None:
        site = np.full(n, NO_SITE, dtype=np.int64)
        site_cost = np.full(n, np.inf)
        if len(open_cols):
            sub = full[:, open_cols]
            arg = np.argmin(sub, axis=1)
            best = sub[np.arange(n), arg]
            ok = np.isfinite(best)
            site[ok] = _site_codes(open_cols[arg[ok]], e)
            site_cost[ok] = best[ok]
    before_obj = _objective_real(problem, full, w_all, forced, threshold)
    after_obj = _objective_real(problem, full, w_all, open_cols, threshold) if problem != "cpmedian" else obj_val
    before = summarise(full, w_all, forced, threshold, before_obj)
    after = summarise(full, w_all, open_cols, threshold, after_obj)
    if problem == "cpmedian":
        near_ok = np.isfinite(site_cost)
        ws = float(w_all[near_ok].sum())
        after.served_demand = ws
        after.mean_cost = float(w_all[near_ok] @ site_cost[near_ok]) / ws if ws > 0 else math.nan
        after.max_cost = float(site_cost[near_ok & (w_all > 0)].max()) if (near_ok & (w_all > 0)).any() else math.nan
        if threshold is not None:
            after.covered_demand = float(w_all[site_cost <= threshold].sum())
    return LocationResult(problem=problem, chosen=np.asarray(order_cols, dtype=np.int64) - e,
                          gains=np.asarray(gains, dtype=float), site=site, site_cost=site_cost,
                          objective=float(obj_val), lower_bound=float(bound_val), gap=float(gap),
                          method=method, before=before, after=after,
                          unreachable=np.zeros(0, dtype=np.int64))
