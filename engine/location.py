"""Location-allocation on a dense cost matrix: where to put P new services.

Problems (all keep EXISTING facilities open when given; P counts new sites only):

- ``pmedian``: minimise total demand-weighted cost to the nearest open site.
- ``mclp``: maximal covering: maximise the demand within ``threshold`` of an open site.
- ``lscp``: location set covering: the fewest new sites that put every coverable demand unit
  within ``threshold`` (P is not used).
- ``cpmedian``: capacitated p-median: as ``pmedian`` but no site serves more demand than its
  capacity. A demand unit's demand may be split between sites (``single_source=False``, the
  default) or must go to one site (``single_source=True``, exact solver only).

Solving: a greedy start, then Teitz–Bart vertex substitution (fast interchange, vectorised),
then a Lagrangian relaxation of the assignment constraints whose bound proves optimality or
measures the gap, and whose reduction tests fix candidates open or closed. When the problem
left over is small enough it is solved exactly with ``scipy.optimize.milp`` (HiGHS, present
since scipy 1.9); the result says which method gave the answer and the proven gap.

Costs: ``cost`` is ``(n_demand, n_candidates)`` (and ``existing_cost`` ``(n_demand,
n_existing)``) with ``numpy.inf`` for unreachable pairs. A demand unit that reaches no site
at all is left out of the optimisation and reported in ``unreachable``; one that reaches only
some sites counts at a penalty cost (10 × the largest finite cost + 1) while unserved, so
serving it always beats leaving it unserved.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from .accessibility import as_cost_matrix, as_weights
from .errors import EngineError, InputError, as_feedback

PROBLEMS = ("pmedian", "mclp", "lscp", "cpmedian")
# Largest number of assignment variables handed to the exact MILP (HiGHS). Measured here: a
# 5,000 × 200 full model (1M variables) does not finish in 10 minutes; ~200k solve in seconds
# to a minute once the Lagrangian fixing has removed most candidates.
MILP_MAX_VARIABLES = 250_000


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
    site: np.ndarray            # per demand: open site serving it (existing k → -(k+1), candidate j → j), or no-site marker
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


NO_SITE = np.iinfo(np.int64).min


def solve(problem: str, cost, *, demand=None, p: int | None = None, threshold: float | None = None,
          existing_cost=None, capacity=None, existing_capacity=None, single_source: bool = False,
          exact: str = "auto", time_limit_s: float = 60.0, mip_rel_gap: float = 1e-4,
          candidate_ids=None, feedback=None) -> LocationResult:
    """Solve one location-allocation problem; see the module docstring.

    ``exact``: 'auto' (MILP when small enough), 'always' (MILP whatever the size, bounded by
    ``time_limit_s``) or 'never' (heuristic + bound only).
    Raises InputError for unusable input (P larger than the candidates, negative demand,
    capacity below demand: "infeasible", duplicate candidate ids ...).
    """
    fb = as_feedback(feedback)
    if problem not in PROBLEMS:
        raise InputError(f"Unknown problem {problem!r}; use one of {', '.join(PROBLEMS)}.")
    if exact not in ("auto", "always", "never"):
        raise InputError("exact must be 'auto', 'always' or 'never'.")
    c = as_cost_matrix(cost, what="demand × candidate cost matrix")
    n, m = c.shape
    if n == 0:
        raise InputError("The demand layer has no usable features.")
    if m == 0:
        raise InputError("The candidate layer has no usable features.")
    e_cost = (np.zeros((n, 0)) if existing_cost is None
              else as_cost_matrix(existing_cost, what="demand × existing facility cost matrix"))
    if e_cost.shape[0] != n:
        raise InputError("The existing-facility cost matrix has a different number of demand rows.")
    e = e_cost.shape[1]
    w = as_weights(demand, n, what="Demand")
    if candidate_ids is not None:
        from collections import Counter

        dup = sorted(str(x) for x, c in Counter(list(candidate_ids)).items() if c > 1)
        if dup:
            raise InputError(f"Candidate ids are not unique: {', '.join(dup[:10])}"
                             f"{' …' if len(dup) > 10 else ''}. Give each candidate its own id.")
    if problem in ("pmedian", "mclp", "cpmedian"):
        if p is None or int(p) != p or p < 1:
            raise InputError(f"The number of new sites P must be a whole number of at least 1, got {p}.")
        p = int(p)
        if p > m:
            raise InputError(f"P = {p} new sites asked for, but there are only {m} candidate sites.")
    if problem in ("mclp", "lscp"):
        if threshold is None or not np.isfinite(threshold) or threshold < 0:
            raise InputError(f"{problem.upper()} needs a coverage threshold (a cost of zero or more).")
    if not (w > 0).any():
        raise InputError("Demand is zero everywhere: there is nothing to serve.")

    full = np.hstack([e_cost, c])  # existing first, then candidates
    reach = np.isfinite(full).any(axis=1)
    unreachable = np.flatnonzero(~reach)
    if unreachable.size:
        fb.log(f"{unreachable.size} demand units ({w[~reach].sum():,.0f} demand) reach no existing "
               "or candidate site: reported as unreachable, left out of the optimisation.")
    rows = np.flatnonzero(reach & (w > 0))
    zero = int((reach & (w <= 0)).sum())
    if zero:
        fb.log(f"{zero} demand units have zero demand: they are allocated but do not weigh.")

    if problem == "lscp":
        result = _solve_lscp(full, w, e, rows, float(threshold), exact, time_limit_s, fb)
    elif problem == "cpmedian":
        cap = as_weights(capacity, m, what="Candidate capacity")
        ecap = as_weights(existing_capacity, e, what="Existing capacity") if e else np.zeros(0)
        result = _solve_cpmedian(full, w, e, p, rows, np.concatenate([ecap, cap]), single_source,
                                 exact, time_limit_s, mip_rel_gap, threshold, fb)
    else:
        result = _solve_median(problem, full, w, e, p, rows, threshold, exact, time_limit_s,
                               mip_rel_gap, fb)
    result.unreachable = unreachable
    return result


# ------------------------------------------------------------------------------------------
# p-median and MCLP share one machinery: MCLP is a p-median on 0/1 costs (1 = not covered).

def _penalised(full, rows):
    d = full[rows]
    finite = np.isfinite(d)
    big = (float(d[finite].max()) if finite.any() else 1.0) * 10.0 + 1.0
    return np.where(finite, d, big), big


def _working_matrix(problem, full, rows, threshold):
    if problem == "mclp":
        return (~(full[rows] <= threshold)).astype(float), 1.0
    return _penalised(full, rows)


def _solve_median(problem, full, w_all, e, p, rows, threshold, exact, time_limit_s, mip_rel_gap, fb):
    k = full.shape[1]
    D, big = _working_matrix(problem, full, rows, threshold)
    w = w_all[rows]
    forced = np.arange(e)
    fb.log(f"{problem}: {len(rows)} demand units × {k - e} candidates"
           f"{f' + {e} existing facilities' if e else ''}, P = {p}.")
    fb.check()
    open_, _ = greedy(D, w, forced, p)
    greedy_obj = objective(D, w, open_)
    fb.set_progress(0.1)
    open_ = vertex_substitution(D, w, open_, forced, feedback=fb)
    ub = objective(D, w, open_)
    fb.log(f"Greedy objective {_fmt_obj(problem, greedy_obj, w)}; after vertex substitution "
           f"{_fmt_obj(problem, ub, w)}.")
    fb.set_progress(0.3)
    method = "heuristic (greedy + Teitz–Bart vertex substitution)"
    tol = max(mip_rel_gap, 1e-9)
    all_free = np.arange(e, k)
    lb = -math.inf
    if problem == "mclp" and exact != "never":
        # the compact covering model is small (demand units with the same covering sites merge):
        # HiGHS first, the Lagrangian bound only if it cannot finish
        pairs = int((D == 0).sum())
        if exact == "always" or pairs <= 4 * MILP_MAX_VARIABLES:
            open_, ub, lb, method = _try_milp(D, w, forced, np.zeros(0, dtype=np.int64), np.arange(e, k), p,
                                              open_, ub, lb, method, time_limit_s, mip_rel_gap, fb,
                                              covering=True)
    if _rel_gap(ub, lb) > tol and not method.startswith("exact"):
        lb2, fixed_open, fixed_closed, _, lr_open, lr_ub = lagrangian_bound(
            D, w, forced, p, ub, gap_tol=tol / 2, feedback=fb.sub(0.3, 0.6))
        lb = max(lb, lb2)
        if lr_open is not None:
            lr_open = vertex_substitution(D, w, lr_open, forced, feedback=fb)
            lr_ub = objective(D, w, lr_open)
            fb.log(f"The Lagrangian relaxation's sites improve the answer to {_fmt_obj(problem, lr_ub, w)}.")
            open_, ub = lr_open, lr_ub
            method = "Lagrangian heuristic (relaxation's sites + vertex substitution)"
        if _rel_gap(ub, lb) <= tol:
            method += f", optimal within {100 * tol:g} % by the Lagrangian bound"
        else:
            free = np.setdiff1d(all_free, np.concatenate([fixed_open, fixed_closed]))
            n_vars = _median_milp_size(D, forced, fixed_open, free)
            fb.log(f"Lagrangian bound {_fmt_obj(problem, lb, w)} (gap {100 * _gap(problem, ub, lb, w):.3f} %); "
                   f"{len(fixed_open)} candidates fixed open, {len(fixed_closed)} fixed closed, "
                   f"{len(free)} left free ({n_vars:,} assignment variables).")
            if method.startswith("exact"):
                pass
            elif exact == "always" or (exact == "auto" and n_vars <= MILP_MAX_VARIABLES):
                open_, ub, lb, method = _try_milp(D, w, forced, fixed_open, free, p, open_, ub, lb,
                                                  method, time_limit_s, mip_rel_gap, fb,
                                                  covering=problem == "mclp")
            elif exact == "auto":
                fb.log(f"The reduced MILP ({n_vars:,} variables) is above the exact-solver limit "
                       f"({MILP_MAX_VARIABLES:,}): the heuristic answer stands, with its gap.")
    fb.set_progress(0.9)
    lb = min(lb, ub)
    if problem == "mclp":
        total = float(w.sum())
        obj_val, bound_val = total - ub, total - lb   # covered demand, upper bound on it
        gap = (bound_val - obj_val) / bound_val if bound_val > 0 else 0.0
    else:
        obj_val, bound_val = ub, lb
        gap = _rel_gap(ub, lb)
    # MCLP: uncovered demand removed == covered demand added, measured from "all uncovered"
    order, gains = order_by_gain(D, w, open_, forced, empty_cost=1.0 if problem == "mclp" else None)
    result = _finish(problem, full, w_all, rows, e, order, gains, obj_val, bound_val, gap, method,
                     threshold)
    result.messages.append(f"Greedy start {_fmt_obj(problem, greedy_obj, w)}; final "
                           f"{_fmt_obj(problem, ub, w)}; method: {method}; gap {100 * gap:.4f} %.")
    fb.set_progress(1.0)
    return result


def _try_milp(D, w, forced, fixed_open, free, p, open_, ub, lb, method, time_limit_s, mip_rel_gap, fb,
              covering=False):
    fb.check()
    solver = _covering_milp if covering else _median_milp
    sol = solver(D, w, forced, fixed_open, free, p, time_limit_s, mip_rel_gap, fb)
    if sol is None:
        return open_, ub, lb, method
    mopen, mlb, proven = sol
    mobj = objective(D, w, mopen)
    if mobj < ub - 1e-9 * max(1.0, abs(ub)):
        open_, ub = mopen, mobj
    lb = max(lb, mlb)
    fixing = D.shape[1] - len(forced) - len(free) - len(fixed_open)
    if proven:
        method = "exact (MILP, HiGHS" + (f", after Lagrangian fixing of {fixing} sites)" if fixing else ")")
    else:
        method += " + MILP stopped at the time limit"
    return open_, ub, lb, method


def _gap(problem, ub, lb, w):
    """Relative gap in the problem's own terms (MCLP: covered demand, not uncovered)."""
    if problem == "mclp":
        total = float(w.sum())
        bound = total - lb
        return (bound - (total - ub)) / bound if bound > 0 else 0.0
    return _rel_gap(ub, lb)


def _fmt_obj(problem, value, w):
    if problem == "mclp":
        return f"{float(w.sum()) - value:,.1f} demand covered"
    return f"{value:,.1f}"


def _rel_gap(ub, lb):
    if not np.isfinite(lb):
        return math.inf
    return max(0.0, (ub - lb) / max(abs(ub), 1e-12)) if ub > 0 else max(0.0, ub - lb)


def objective(D, w, open_) -> float:
    """Σ_i w_i min_{j ∈ open} D_ij."""
    return float(w @ D[:, np.asarray(open_, dtype=np.int64)].min(axis=1))


def greedy(D, w, forced, p):
    """Add, one at a time, the site that lowers the objective most. Returns (open sites,
    gains); the first gain is NaN when nothing was open before."""
    n, k = D.shape
    open_ = list(int(j) for j in forced)
    d1 = D[:, open_].min(axis=1) if open_ else np.full(n, np.inf)
    current = float(w @ d1) if open_ else math.inf
    gains = []
    is_open = np.zeros(k, dtype=bool)
    is_open[open_] = True
    for _ in range(p):
        totals = w @ np.minimum(D, d1[:, None])
        totals[is_open] = np.inf
        j = int(np.argmin(totals))
        gains.append(current - totals[j] if np.isfinite(current) else math.nan)
        current = float(totals[j])
        open_.append(j)
        is_open[j] = True
        d1 = np.minimum(d1, D[:, j])
    return np.array(open_, dtype=np.int64), np.array(gains)


def _two_nearest(D, open_):
    sub = D[:, open_]
    if sub.shape[1] == 1:
        return sub[:, 0].copy(), np.full(D.shape[0], np.inf), np.full(D.shape[0], open_[0])
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    a = np.take_along_axis(sub, part, axis=1)
    swap = a[:, 1] < a[:, 0]
    first = np.where(swap, part[:, 1], part[:, 0])
    d1 = np.where(swap, a[:, 1], a[:, 0])
    d2 = np.where(swap, a[:, 0], a[:, 1])
    return d1, d2, np.asarray(open_)[first]


def vertex_substitution(D, w, open_, forced, *, max_iter: int = 10_000, feedback=None):
    """Teitz–Bart vertex substitution with Whitaker's fast interchange: repeatedly make the
    best improving swap (one open non-forced site out, one closed site in) until none
    improves. Every swap is evaluated at once from each demand's nearest and second-nearest
    open sites (O(n·k) per iteration, vectorised)."""
    import scipy.sparse as sp

    fb = as_feedback(feedback)
    n, k = D.shape
    open_ = np.array(open_, dtype=np.int64)
    forced_set = set(int(j) for j in forced)
    current = objective(D, w, open_)
    for _ in range(max_iter):
        fb.check()
        swappable = np.array([j for j in open_ if int(j) not in forced_set], dtype=np.int64)
        if swappable.size == 0:
            break
        d1, d2, near = _two_nearest(D, open_)
        m1 = np.minimum(D, d1[:, None])
        base = w @ m1 - float(w @ d1)                     # change from adding column c
        rows_i = np.arange(n)
        pidx = _positions(near, swappable)
        mask = pidx >= 0
        A = sp.csr_matrix((w[mask], (pidx[mask], rows_i[mask])), shape=(len(swappable), n))
        m2 = np.minimum(D, d2[:, None])
        delta = base[None, :] + A @ (m2 - m1)             # (swappable out) × (column in)
        delta[:, open_] = np.inf
        t, c = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[t, c] < -1e-10 * max(1.0, abs(current)):
            break
        open_ = open_.copy()
        open_[open_ == swappable[t]] = c
        new = objective(D, w, open_)
        if new >= current:  # numerical safety: never accept a worsening
            open_[open_ == c] = swappable[t]
            break
        current = new
    return open_


def _positions(near, swappable):
    lookup = np.full(int(max(near.max(), swappable.max())) + 1, -1, dtype=np.int64)
    lookup[swappable] = np.arange(len(swappable))
    return lookup[near]


def lagrangian_bound(D, w, forced, p, ub, *, max_iter: int = 3000, stall_limit: int = 40,
                     gap_tol: float = 1e-9, feedback=None):
    """Lagrangian relaxation of the assignment constraints (Σ_j x_ij = 1) of the p-median on
    ``D`` with ``forced`` sites open and ``p`` more to open; subgradient optimisation.

    The sites the relaxation opens are also a feasible answer: their true objective is
    evaluated every few iterations and improves ``ub`` when lower (on real networks this often
    closes the gap that vertex substitution leaves).

    Returns ``(bound, fixed_open, fixed_closed, multipliers, best_open, ub)``: the best lower
    bound, the candidate sites that every solution better than ``ub`` must open / must keep
    closed (reduction tests on the best multipliers), and the best answer seen with its value
    (``best_open`` is None when none beat the ``ub`` given)."""
    fb = as_feedback(feedback)
    n, k = D.shape
    forced = np.asarray(forced, dtype=np.int64)
    free_mask = np.ones(k, dtype=bool)
    free_mask[forced] = False
    free = np.flatnonzero(free_mask)
    wD = w[:, None] * D
    # start: each demand's second-smallest weighted cost (a common, good first guess)
    lam = np.partition(wD, 1, axis=1)[:, 1] if k > 1 else wD[:, 0].copy()
    best, best_lam = -math.inf, lam.copy()
    theta, stall, last_real = 2.0, 0, 0
    best_open, seen = None, set()
    for it in range(max_iter):
        if it % 25 == 0:
            fb.check()
            fb.set_progress(it / max_iter)
        red = wD - lam[:, None]
        neg = red < 0
        rho = np.minimum(red, 0.0).sum(axis=0)
        order = free[np.argsort(rho[free], kind="stable")[:p]]
        chosen = np.concatenate([forced, order])
        value = float(lam.sum() + rho[chosen].sum())
        key = tuple(sorted(order.tolist()))
        if key not in seen:  # a new primal candidate: the relaxation's own sites
            seen.add(key)
            primal = objective(D, w, chosen)
            if primal < ub - 1e-12 * max(1.0, abs(ub)):
                ub, best_open = primal, chosen.copy()
        if not np.isfinite(best) or value > best + 1e-12 * max(1.0, abs(best)):
            if np.isfinite(best) and value > best + 1e-7 * max(1.0, abs(best)):
                last_real = it
            best, best_lam, stall = value, lam.copy(), 0
        else:
            stall += 1
            if stall >= stall_limit:
                theta, stall = theta / 2.0, 0
        if _rel_gap(ub, best) <= gap_tol or theta < 1e-4 or it - last_real > 300:
            break
        g = 1.0 - neg[:, chosen].sum(axis=1)
        norm = float(g @ g)
        if norm == 0:
            best = max(best, value)
            break
        lam = np.maximum(lam + theta * (ub - value) / norm * g, 0.0)
    # reduction tests at the best multipliers
    red = wD - best_lam[:, None]
    rho = np.where(red < 0, red, 0.0).sum(axis=0)
    ranked = free[np.argsort(rho[free], kind="stable")]
    base = float(best_lam.sum() + rho[forced].sum() + rho[ranked[:p]].sum())
    slack = 1e-9 * max(1.0, abs(ub))
    fixed_open, fixed_closed = [], []
    if len(ranked) > p:
        rho_last_in, rho_first_out = rho[ranked[p - 1]], rho[ranked[p]]
        for j in ranked[p:]:
            if base + rho[j] - rho_last_in >= ub - slack:
                fixed_closed.append(int(j))
        for j in ranked[:p]:
            if base - rho[j] + rho_first_out > ub + slack:
                fixed_open.append(int(j))
    return (best, np.array(fixed_open, dtype=np.int64), np.array(fixed_closed, dtype=np.int64), best_lam,
            best_open, ub)


def _median_milp_size(D, forced, fixed_open, free):
    always = np.concatenate([forced, fixed_open]).astype(np.int64)
    base = D[:, always].min(axis=1) if len(always) else np.full(D.shape[0], float(D.max()))
    return int((D[:, free] < base[:, None]).sum()) if len(free) else 0


def _median_milp(D, w, forced, fixed_open, free, p, time_limit_s, mip_rel_gap, fb):
    """Exact p-median on the free candidates, the always-open ones folded into a per-demand
    base cost. Returns (open sites, bound, proven optimal) or None when HiGHS found nothing."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    import scipy.sparse as sp

    n = D.shape[0]
    always = np.concatenate([forced, fixed_open]).astype(np.int64)
    p_free = p - len(fixed_open)
    if p_free <= 0 or len(free) == 0:
        return always[: len(forced) + p], objective(D, w, always), True
    big = float(D.max())
    base = D[:, always].min(axis=1) if len(always) else np.full(n, big)
    sub = D[:, free]
    ii, jj = np.nonzero(sub < base[:, None])
    nf, nx = len(free), len(ii)
    # variables: y (nf, binary) | x (nx) | u (n, base assignment)
    cvec = np.concatenate([np.zeros(nf), w[ii] * sub[ii, jj], w * base])
    integrality = np.concatenate([np.ones(nf), np.zeros(nx + n)])
    # Σ_j x_ij + u_i = 1
    assign = sp.csr_matrix((np.ones(nx + n), (np.concatenate([ii, np.arange(n)]),
                                              np.concatenate([nf + np.arange(nx), nf + nx + np.arange(n)]))),
                           shape=(n, nf + nx + n))
    # x_ij - y_j <= 0
    link = sp.csr_matrix((np.concatenate([np.ones(nx), -np.ones(nx)]),
                          (np.concatenate([np.arange(nx), np.arange(nx)]),
                           np.concatenate([nf + np.arange(nx), jj]))), shape=(nx, nf + nx + n))
    count = sp.csr_matrix((np.ones(nf), (np.zeros(nf, dtype=np.int64), np.arange(nf))), shape=(1, nf + nx + n))
    cons = [LinearConstraint(assign, 1, 1), LinearConstraint(link, -np.inf, 0),
            LinearConstraint(count, p_free, p_free)]
    fb.log(f"Exact MILP (HiGHS): {nf} candidate sites, {nx:,} assignment variables, "
           f"time limit {time_limit_s:g} s.")
    res = milp(cvec, integrality=integrality, bounds=Bounds(0, 1), constraints=cons,
               options={"time_limit": float(time_limit_s), "mip_rel_gap": float(mip_rel_gap)})
    if res.x is None:
        fb.log(f"HiGHS found no solution: {res.message}")
        return None
    y = res.x[:nf] > 0.5
    chosen = np.concatenate([always, free[y]])
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(bound) if bound is not None and np.isfinite(bound) else -math.inf
    proven = res.status == 0
    if res.status != 0:
        fb.log(f"HiGHS stopped: {res.message}")
    return chosen, bound, proven


def _covering_milp(D, w, forced, fixed_open, free, p, time_limit_s, mip_rel_gap, fb):
    """Exact MCLP in its compact form on 0/1 costs ``D`` (0 = covered): y_j per free site,
    z_g ≤ Σ_{j covers g} y_j per group g of demand units with the same covering sites (units
    already covered by an always-open site drop out), maximise Σ w_g z_g."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    import scipy.sparse as sp

    always = np.concatenate([forced, fixed_open]).astype(np.int64)
    p_free = p - len(fixed_open)
    if p_free <= 0 or len(free) == 0:
        return always, objective(D, w, always), True
    done = (D[:, always] == 0).any(axis=1) if len(always) else np.zeros(D.shape[0], dtype=bool)
    cover = (D[~done][:, free] == 0)
    ww = w[~done]
    keep = cover.any(axis=1)
    cover, ww = cover[keep], ww[keep]
    # demand units that the same sites cover act as one: fewer rows for HiGHS
    packed = np.packbits(cover, axis=1)
    groups, inverse = np.unique(packed, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    gw = np.bincount(inverse, weights=ww, minlength=len(groups))
    gcover = np.unpackbits(groups, axis=1, count=cover.shape[1]).astype(bool)
    ng, nf = len(groups), len(free)
    gi, gj = np.nonzero(gcover)
    a = sp.csr_matrix((np.concatenate([np.ones(ng), -np.ones(len(gi))]),
                       (np.concatenate([np.arange(ng), gi]), np.concatenate([nf + np.arange(ng), gj]))),
                      shape=(ng, nf + ng))
    count = sp.csr_matrix((np.ones(nf), (np.zeros(nf, dtype=np.int64), np.arange(nf))), shape=(1, nf + ng))
    fb.log(f"Exact covering MILP (HiGHS): {nf} candidate sites, {ng:,} groups of demand units with the "
           f"same covering sites ({len(gi):,} covering pairs), time limit {time_limit_s:g} s.")
    res = milp(np.concatenate([np.zeros(nf), -gw]), integrality=np.concatenate([np.ones(nf), np.zeros(ng)]),
               bounds=Bounds(0, 1), constraints=[LinearConstraint(a, -np.inf, 0),
                                                  LinearConstraint(count, p_free, p_free)],
               options={"time_limit": float(time_limit_s), "mip_rel_gap": float(mip_rel_gap)})
    if res.x is None:
        fb.log(f"HiGHS found no solution: {res.message}")
        return None
    chosen = np.concatenate([always, free[res.x[:nf] > 0.5]])
    bound = getattr(res, "mip_dual_bound", None)
    # HiGHS bounds -covered demand from below; in uncovered terms: total - covered bound
    uncovered_lb = (float(w.sum()) - float(w[done].sum()) + float(bound)
                    if bound is not None and np.isfinite(bound) else -math.inf)
    if res.status != 0:
        fb.log(f"HiGHS stopped: {res.message}")
    return chosen, uncovered_lb, res.status == 0


def order_by_gain(D, w, open_, forced, *, empty_cost=None):
    """The new sites of ``open_`` in the order a greedy would add them (largest objective
    improvement first), with each one's improvement. With no forced sites the first gain is
    measured from ``empty_cost`` per demand unit (MCLP: 1 = uncovered), or NaN when None."""
    forced = list(int(j) for j in forced)
    new = [int(j) for j in open_ if int(j) not in set(forced)]
    n = D.shape[0]
    if forced:
        d1 = D[:, forced].min(axis=1)
    else:
        d1 = np.full(n, np.inf if empty_cost is None else float(empty_cost))
    current = float(w @ d1) if (forced or empty_cost is not None) else math.inf
    order, gains = [], []
    remaining = list(new)
    while remaining:
        totals = np.array([float(w @ np.minimum(d1, D[:, j])) for j in remaining])
        t = int(np.argmin(totals))
        j = remaining.pop(t)
        gains.append(current - totals[t] if np.isfinite(current) else math.nan)
        current = float(totals[t])
        order.append(j)
        d1 = np.minimum(d1, D[:, j])
    return np.array(order, dtype=np.int64), np.array(gains)


# ------------------------------------------------------------------------------------------
# Summaries and allocation on the real (unpenalised) costs.

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


def _site_codes(cols, e):
    cols = np.asarray(cols, dtype=np.int64)
    return np.where(cols < e, -(cols + 1), cols - e)


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


# ------------------------------------------------------------------------------------------
# LSCP: the fewest sites covering every coverable demand unit.

def _solve_lscp(full, w_all, e, rows, threshold, exact, time_limit_s, fb):
    from scipy.optimize import Bounds, LinearConstraint, milp
    import scipy.sparse as sp

    cover = full[rows] <= threshold
    by_existing = cover[:, :e].any(axis=1) if e else np.zeros(len(rows), dtype=bool)
    cand = cover[:, e:]
    coverable = cand.any(axis=1)
    todo = ~by_existing & coverable
    uncoverable = rows[~by_existing & ~coverable]
    if uncoverable.size:
        fb.log(f"{uncoverable.size} demand units are beyond {threshold:g} of every site: they "
               "cannot be covered and are left out of the covering constraint.")
    A = cand[todo]
    # greedy set cover, then drop redundant sites
    chosen, left = [], np.ones(A.shape[0], dtype=bool)
    while left.any():
        fb.check()
        gain = A[left].sum(axis=0)
        j = int(np.argmax(gain))
        chosen.append(j)
        left &= ~A[:, j]
    for j in list(chosen)[::-1]:
        rest = [t for t in chosen if t != j]
        if not rest and A.shape[0]:
            continue
        if A.shape[0] == 0 or A[:, rest].any(axis=1).all():
            chosen = rest
    ub = len(chosen)
    lb, method = 0.0, "heuristic (greedy set cover, redundant sites removed)"
    m = A.shape[1]
    if A.shape[0] and (exact == "always" or (exact == "auto" and int(A.sum()) <= MILP_MAX_VARIABLES * 4)):
        Asp = sp.csr_matrix(A.astype(float))
        res = milp(np.ones(m), integrality=np.ones(m), bounds=Bounds(0, 1),
                   constraints=[LinearConstraint(Asp, 1, np.inf)],
                   options={"time_limit": float(time_limit_s)})
        if res.x is not None:
            sol = list(np.flatnonzero(res.x > 0.5))
            if len(sol) <= ub:
                chosen, ub = sol, len(sol)
            bound = getattr(res, "mip_dual_bound", None)
            lb = math.ceil(float(bound) - 1e-6) if bound is not None and np.isfinite(bound) else 0.0
            if res.status == 0:
                lb, method = ub, "exact (MILP, HiGHS)"
    elif not A.shape[0]:
        lb, method = 0.0, "nothing to cover"
    gap = (ub - lb) / ub if ub > 0 else 0.0
    # order the chosen sites by newly covered demand (weighted)
    cols = [e + j for j in chosen]
    wr = w_all[rows]
    covered = by_existing.copy()
    order, gains = [], []
    remaining = list(cols)
    while remaining:
        g = [float(wr[~covered & cover[:, c]].sum()) for c in remaining]
        t = int(np.argmax(g))
        c = remaining.pop(t)
        order.append(c)
        gains.append(g[t])
        covered |= cover[:, c]
    result = _finish("lscp", full, w_all, rows, e, np.array(order, dtype=np.int64), gains, float(ub),
                     float(lb), gap, method, threshold)
    result.messages.append(f"LSCP: {ub} new sites ({method}); {uncoverable.size} demand units "
                           "cannot be covered by any site.")
    return result


# ------------------------------------------------------------------------------------------
# Capacitated p-median.

def _solve_cpmedian(full, w_all, e, p, rows, cap, single_source, exact, time_limit_s, mip_rel_gap,
                    threshold, fb):
    w = w_all[rows]
    total = float(w.sum())
    best_possible = float(cap[:e].sum() + np.sort(cap[e:])[::-1][:p].sum())
    if best_possible < total - 1e-9 * max(1.0, total):
        raise InputError(
            f"Infeasible: the existing facilities plus the {p} largest candidate sites can hold "
            f"{best_possible:,.1f}, but the demand that can reach a site is {total:,.1f}. "
            "Raise P, the capacities, or reduce the demand.")
    D, big = _penalised(full, rows)
    reach = np.isfinite(full[rows])
    forced = np.arange(e)
    n_vars = int(reach.sum())
    # uncapacitated answer: a start, and its Lagrangian bound is a valid lower bound here too
    open_u, _ = greedy(D, w, forced, p)
    open_u = vertex_substitution(D, w, open_u, forced, feedback=fb)
    ub_u = objective(D, w, open_u)
    lb, _, _, _, lr_open, _ = lagrangian_bound(D, w, forced, p, ub_u, feedback=fb.sub(0.2, 0.4))
    if lr_open is not None:  # a better uncapacitated answer: a better start for the repair
        open_u = vertex_substitution(D, w, lr_open, forced, feedback=fb)
    method = None
    open_, flows = None, None
    if exact == "always" or (exact == "auto" and n_vars <= MILP_MAX_VARIABLES // (4 if single_source else 1)):
        sol = _cpmedian_milp(D, reach, big, w, forced, p, cap, single_source, time_limit_s,
                             mip_rel_gap, fb)
        if sol is not None:
            open_, flows, obj, bound, proven = sol  # obj includes the unserved penalty
            lb = max(lb, bound)
            method = "exact (MILP, HiGHS)" if proven else "MILP stopped at the time limit (best found)"
    if open_ is None:
        if single_source:
            raise InputError("The single-source capacitated problem is too large for the exact "
                             "solver here; allow split assignment or reduce demand units/candidates.")
        fb.log("Capacitated problem above the exact-solver limit: sites from the uncapacitated "
               "heuristic, improved by swaps evaluated with a capacitated assignment (LP).")
        open_, flows, obj = _cpmedian_heuristic(D, reach, big, w, forced, open_u, cap, fb)
        lb_cap = capacitated_bound(D, reach, big, w, cap, forced, p, obj, feedback=fb.sub(0.8, 0.95))
        which = "capacitated" if lb_cap > lb else "uncapacitated"
        lb = max(lb, lb_cap)
        method = ("heuristic (uncapacitated vertex substitution, then swaps with a capacitated "
                  f"transportation LP); bound from the {which} Lagrangian relaxation")
    gap = _rel_gap(obj, lb)
    # allocation per demand: the site taking the largest share
    n = full.shape[0]
    site = np.full(n, NO_SITE, dtype=np.int64)
    site_cost = np.full(n, np.inf)
    share = np.zeros(n)
    out_flows = []
    unserved = np.zeros(n)
    for i_local, col, amount in flows:
        i = rows[i_local]
        if col < 0:
            unserved[i] += amount
            continue
        out_flows.append((int(i), int(_site_codes([col], e)[0]), float(amount)))
        if amount > share[i] and np.isfinite(full[i, col]):
            share[i], site[i], site_cost[i] = amount, _site_codes([col], e)[0], full[i, col]
    if unserved.sum() > 1e-9:
        fb.log(f"{unserved.sum():,.1f} demand could not be served within the capacities over the "
               "network (reported as unserved).")
    new_cols = np.array([c for c in open_ if c >= e], dtype=np.int64)
    order, gains = order_by_gain(D, w, np.concatenate([forced, new_cols]), forced)
    real_obj = float(sum(a * full[rows[i], c] for i, c, a in flows if c >= 0 and np.isfinite(full[rows[i], c])))
    result = _finish("cpmedian", full, w_all, rows, e, order, gains, real_obj, lb, gap, method,
                     threshold, site=site, site_cost=site_cost)
    result.flows = out_flows
    result.messages.append(f"Capacitated p-median: {method}; gap {100 * gap:.4f} %; "
                           f"{unserved.sum():,.1f} demand unserved.")
    return result


def capacitated_bound(D, reach, big, w, cap, forced, p, ub, *, max_iter: int = 200, feedback=None):
    """Lower bound for the capacitated p-median with split assignment (hence also for single
    source): Lagrangian relaxation of the assignment constraints, leaving per site a
    continuous knapsack (take the demand with the most negative reduced cost per unit until
    the capacity is full) solved for all sites at once by sorting. Unserved demand costs
    10 × ``big`` per unit, as in the assignment LP. Subgradient optimisation, Polyak steps
    towards ``ub``."""
    fb = as_feedback(feedback)
    n, k = D.shape
    forced = np.asarray(forced, dtype=np.int64)
    free_mask = np.ones(k, dtype=bool)
    free_mask[forced] = False
    free = np.flatnonzero(free_mask)
    pos = w > 0
    Dp, wp, rp = D[pos], w[pos], reach[pos]
    if not len(wp):
        return 0.0
    cost = np.where(rp, Dp, np.inf)
    penalty = 10.0 * big
    lam = wp * np.sort(np.where(rp, Dp, big), axis=1)[:, min(1, k - 1)]
    best, theta, stall = -math.inf, 2.0, 0
    for it in range(max_iter):
        if it % 10 == 0:
            fb.check()
            fb.set_progress(it / max_iter)
        unit = cost - (lam / wp)[:, None]               # reduced cost per unit of demand
        order = np.argsort(unit, axis=0, kind="stable")
        su = np.take_along_axis(unit, order, axis=0)
        sw = wp[order]
        neg = su < 0
        taken_w = np.where(neg, sw, 0.0)
        before = np.cumsum(taken_w, axis=0) - taken_w
        frac = np.where(neg, np.clip((cap[None, :] - before) / sw, 0.0, 1.0), 0.0)
        rho = (frac * sw * np.where(neg, su, 0.0)).sum(axis=0)
        chosen = np.concatenate([forced, free[np.argsort(rho[free], kind="stable")[:p]]])
        slack = np.minimum(0.0, wp * penalty - lam)     # unserved slack u_i in [0, 1]
        value = float(lam.sum() + rho[chosen].sum() + slack.sum())
        if value > best + 1e-12 * max(1.0, abs(best)) or not np.isfinite(best):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2.0, 0
        if theta < 1e-4 or _rel_gap(ub, best) <= 1e-6:
            break
        x = np.zeros(len(wp))
        for j in chosen:                                # P columns: scatter the fractions back
            x[order[:, j]] += frac[:, j]
        g = 1.0 - x - (slack < 0)
        norm = float(g @ g)
        if norm == 0:
            break
        lam = lam + theta * (ub - value) / norm * g
    return best


def _cpmedian_milp(D, reach, big, w, forced, p, cap, single_source, time_limit_s, mip_rel_gap, fb):
    from scipy.optimize import Bounds, LinearConstraint, milp
    import scipy.sparse as sp

    n, k = D.shape
    ii, jj = np.nonzero(reach)  # reachable pairs only; unserved demand goes to the slack u
    nx = len(ii)
    # variables: y (k) | x (nx, fraction of i's demand at j) | u (n, unserved fraction)
    nv = k + nx + n
    cvec = np.concatenate([np.zeros(k), w[ii] * D[ii, jj], w * big * 10.0])
    integrality = np.concatenate([np.ones(k), np.full(nx, 1 if single_source else 0), np.zeros(n)])
    lb_y = np.zeros(k)
    lb_y[forced] = 1
    lower = np.concatenate([lb_y, np.zeros(nx + n)])
    upper = np.ones(nv)
    assign = sp.csr_matrix((np.ones(nx + n), (np.concatenate([ii, np.arange(n)]),
                                              np.concatenate([k + np.arange(nx), k + nx + np.arange(n)]))),
                           shape=(n, nv))
    link = sp.csr_matrix((np.concatenate([np.ones(nx), -np.ones(nx)]),
                          (np.concatenate([np.arange(nx), np.arange(nx)]),
                           np.concatenate([k + np.arange(nx), jj]))), shape=(nx, nv))
    capc = sp.csr_matrix((np.concatenate([w[ii], -cap]),
                          (np.concatenate([jj, np.arange(k)]), np.concatenate([k + np.arange(nx), np.arange(k)]))),
                         shape=(k, nv))
    count = sp.csr_matrix((np.ones(k), (np.zeros(k, dtype=np.int64), np.arange(k))), shape=(1, nv))
    cons = [LinearConstraint(assign, 1, 1), LinearConstraint(link, -np.inf, 0),
            LinearConstraint(capc, -np.inf, 0), LinearConstraint(count, len(forced) + p, len(forced) + p)]
    fb.log(f"Exact capacitated MILP (HiGHS): {k} sites, {nx:,} assignment variables"
           f"{' (single source)' if single_source else ''}, time limit {time_limit_s:g} s.")
    res = milp(cvec, integrality=integrality, bounds=Bounds(lower, upper), constraints=cons,
               options={"time_limit": float(time_limit_s), "mip_rel_gap": float(mip_rel_gap)})
    if res.x is None:
        if res.status == 2:
            raise InputError("Infeasible: the capacities cannot serve the demand with this many "
                             "sites (single-source assignment). Raise P or the capacities.")
        fb.log(f"HiGHS found no solution: {res.message}")
        return None
    y = np.flatnonzero(res.x[:k] > 0.5)
    x = res.x[k:k + nx]
    u = res.x[k + nx:]
    flows = _flows(ii, jj, x, u, w)
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(bound) if bound is not None and np.isfinite(bound) else -math.inf
    return y, flows, float(cvec @ res.x), bound, res.status == 0


def _flows(ii, cols, x, u, w):
    """[(demand row, site column or -1 for unserved, amount of demand)] from LP fractions."""
    keep = x > 1e-9
    flows = list(zip(ii[keep].tolist(), np.asarray(cols)[keep].tolist(), (w[ii] * x)[keep].tolist()))
    un = np.flatnonzero(u > 1e-9)
    flows += list(zip(un.tolist(), [-1] * len(un), (w[un] * u[un]).tolist()))
    return flows


def transport(D, reach, big, w, open_, cap):
    """Capacitated assignment of demand to the open sites (split allowed), by LP (HiGHS).
    Returns (flows [(i, col, amount)], cost); unserved demand goes to col -1 at 10 × ``big``
    per unit of demand."""
    from scipy.optimize import linprog
    import scipy.sparse as sp

    n = D.shape[0]
    open_ = np.asarray(open_, dtype=np.int64)
    q = len(open_)
    sub = D[:, open_]
    ii, tt = np.nonzero(reach[:, open_])
    nx = len(ii)
    cvec = np.concatenate([w[ii] * sub[ii, tt], w * big * 10.0])
    assign = sp.csr_matrix((np.ones(nx + n), (np.concatenate([ii, np.arange(n)]),
                                              np.concatenate([np.arange(nx), nx + np.arange(n)]))),
                           shape=(n, nx + n))
    capc = sp.csr_matrix((w[ii], (tt, np.arange(nx))), shape=(q, nx + n))
    res = linprog(cvec, A_ub=capc, b_ub=cap[open_], A_eq=assign, b_eq=np.ones(n), bounds=(0, 1),
                  method="highs")
    if res.x is None:
        raise EngineError(f"The capacitated assignment LP failed: {res.message}")
    return _flows(ii, open_[tt], res.x[:nx], res.x[nx:], w), float(res.fun)


def _cpmedian_heuristic(D, reach, big, w, forced, open_, cap, fb, max_rounds: int = 6, tries: int = 8):
    """Capacitated local search: start from the uncapacitated sites, swap in larger sites
    until their total capacity holds the demand, then try swaps (the candidates that would
    save most cost in, the fullest sites' neighbours out), each judged by the capacitated
    assignment LP, keeping any that lowers the cost."""
    forced_set = set(int(j) for j in forced)
    open_ = np.array(open_, dtype=np.int64)
    total = float(w.sum())
    while cap[open_].sum() < total - 1e-9 * max(1.0, total):
        movable = [j for j in open_ if int(j) not in forced_set]
        closed = np.setdiff1d(np.arange(D.shape[1]), open_)
        if not movable or not len(closed):
            break
        out = min(movable, key=lambda j: cap[j])
        inn = closed[np.argmax(cap[closed])]
        if cap[inn] <= cap[out]:
            break
        open_[open_ == out] = inn
    flows, cost = transport(D, reach, big, w, open_, cap)
    k = D.shape[1]
    for _ in range(max_rounds):
        fb.check()
        improved = False
        load = np.zeros(k)
        for i, j, a in flows:
            if j >= 0:
                load[j] += a
        # candidates ranked by the weighted cost they would save for the demand they are near
        d1 = D[:, open_].min(axis=1)
        saving = w @ np.maximum(0.0, d1[:, None] - D) + 0.0
        saving[open_] = -np.inf
        ins = np.argsort(-saving)[:tries]
        outs = [j for j in open_[np.argsort(load[open_] / np.maximum(cap[open_], 1e-12))] if int(j) not in forced_set]
        for c in ins:
            for r in outs[:3]:
                trial = open_.copy()
                trial[trial == r] = c
                f2, c2 = transport(D, reach, big, w, trial, cap)
                if c2 < cost - 1e-9 * max(1.0, cost):
                    open_, flows, cost, improved = trial, f2, c2, True
                    break
            if improved:
                break
        if not improved:
            break
    return open_, flows, cost


def brute_force(problem, D, w, p, *, forced=(), threshold=None):
    """Exhaustive search (tests only, small cases): best objective and the open set."""
    k = D.shape[1]
    forced = list(forced)
    pool = [j for j in range(k) if j not in forced]
    best, best_set = None, None
    for combo in itertools.combinations(pool, p):
        cols = forced + list(combo)
        near = D[:, cols].min(axis=1)
        if problem == "mclp":
            val = -float(w[near <= threshold].sum())
        else:
            val = float(w @ near)
        if best is None or val < best - 1e-12:
            best, best_set = val, cols
    return (-best if problem == "mclp" else best), best_set


# ------------------------------------------------------------------------------------------
# Options, not one answer: what each extra site buys, and the user's own candidate sets.

def parse_candidate_sets(text: str, candidate_ids) -> dict:
    """``name: id, id, …`` one set per line (or separated by ';') -> ``{name: [column, …]}``
    with candidate columns. Raises InputError naming an unknown id or an empty set."""
    index = {str(c): k for k, c in enumerate(candidate_ids)}
    sets = {}
    for number, line in enumerate(t for t in str(text or "").replace(";", "\n").splitlines() if t.strip()):
        name, colon, ids = line.partition(":")
        if not colon or not name.strip():
            raise InputError(f"Candidate set {number + 1} ({line.strip()!r}) must read 'name: id, id, …'.")
        members = [i.strip() for i in ids.split(",") if i.strip()]
        unknown = [i for i in members if i not in index]
        if unknown:
            raise InputError(f"Candidate set {name.strip()!r} names sites that are not candidates: "
                             f"{', '.join(unknown[:10])}.")
        if not members:
            raise InputError(f"Candidate set {name.strip()!r} lists no site.")
        sets[name.strip()] = sorted({index[i] for i in members})
    return sets


def compare_options(problem: str, cost, *, demand, p_max: int, threshold: float | None = None,
                    existing_cost=None, candidate_sets: dict | None = None, candidate_ids=None,
                    exact: str = "auto", time_limit_s: float = 60.0, feedback=None) -> list:
    """One row per option: the existing sites alone, the best P = 1 … ``p_max`` new sites
    (:func:`solve` each time, so each P is that P's optimum, not the greedy's first P), and
    each named candidate set opened as given. Each row: the sites, demand served and covered
    (within ``threshold``), mean and maximum cost over served demand, and the marginal gain
    over the previous P (named sets: over the existing sites alone), i.e. "what each extra
    site buys". ``problem``: 'pmedian' or 'mclp'.

    Raises:
        InputError: P_max below 1 or above the candidates; an unknown problem."""
    fb = as_feedback(feedback)
    if problem not in ("pmedian", "mclp"):
        raise InputError("Options compare p-median or maximal-covering answers; choose one of those.")
    c = as_cost_matrix(cost, what="demand × candidate cost matrix")
    n, m = c.shape
    if int(p_max) != p_max or p_max < 1 or p_max > m:
        raise InputError(f"The largest number of new sites to compare must be between 1 and the {m} "
                         f"candidates (got {p_max}).")
    e_cost = np.zeros((n, 0)) if existing_cost is None else as_cost_matrix(existing_cost)
    e = e_cost.shape[1]
    full = np.hstack([e_cost, c])
    w = as_weights(demand, n, what="Demand")
    ids = [str(i) for i in (candidate_ids if candidate_ids is not None else range(m))]

    def row(name, kind, p, cols_new, summary, previous):
        covered = summary.covered_demand
        base = covered if threshold is not None else summary.served_demand
        prev_base = None if previous is None else (
            previous.covered_demand if threshold is not None else previous.served_demand)
        return {"option": name, "kind": kind, "new_sites": p,
                "sites": ", ".join(ids[j] for j in cols_new),
                "served_demand": summary.served_demand, "covered_demand": covered,
                "covered_pct": (100 * covered / summary.total_demand
                                if covered is not None and summary.total_demand > 0 else None),
                "mean_cost": summary.mean_cost, "max_cost": summary.max_cost,
                "gain_demand": None if previous is None else base - prev_base,
                "gain_mean_cost": None if previous is None else previous.mean_cost - summary.mean_cost}

    existing = summarise(full, w, np.arange(e), threshold, math.nan)
    rows = [row("Existing sites only", "existing", 0, [], existing, None)] if e else []
    previous = existing if e else None
    for p in range(1, int(p_max) + 1):
        fb.check()
        result = solve(problem, c, demand=w, p=p, threshold=threshold, existing_cost=existing_cost,
                       exact=exact, time_limit_s=time_limit_s, candidate_ids=candidate_ids)
        cols_new = [int(j) for j in result.chosen]
        summary = summarise(full, w, np.r_[np.arange(e), e + np.asarray(cols_new, dtype=np.int64)],
                            threshold, result.objective)
        rows.append(row(f"{p} new site{'s' if p > 1 else ''}", "best", p, cols_new, summary, previous))
        previous = summary
        fb.set_progress(p / (int(p_max) + len(candidate_sets or {})))
    for name, cols_new in (candidate_sets or {}).items():
        cols = np.r_[np.arange(e), e + np.asarray(cols_new, dtype=np.int64)]
        summary = summarise(full, w, cols, threshold, _objective_real(problem, full, w, cols, threshold))
        rows.append(row(name, "named", len(cols_new), list(cols_new), summary, existing if e else None))
    return rows
