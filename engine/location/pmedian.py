"""p-median (minimise total demand-weighted cost to the nearest open site) and maximal
covering (MCLP: maximise the demand within ``threshold`` of an open site), which share one
machinery: MCLP is a p-median on 0/1 costs. Heuristic and Lagrangian bound first, then the
exact MILP (HiGHS, ``scipy.optimize.milp``) when the reduced problem is small enough."""
from __future__ import annotations

import math

import numpy as np

from .coverage import _covering_milp
from .heuristics import greedy, lagrangian_bound, order_by_gain, vertex_substitution
from .matrix import MILP_MAX_VARIABLES, _penalised, _rel_gap, objective
from .results import _finish


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


def _median_milp_size(D, forced, fixed_open, free):
    always = np.concatenate([forced, fixed_open]).astype(np.int64)
    base = D[:, always].min(axis=1) if len(always) else np.full(D.shape[0], float(D.max()))
    return int((D[:, free] < base[:, None]).sum()) if len(free) else 0


def _median_milp(D, w, forced, fixed_open, free, p, time_limit_s, mip_rel_gap, fb):
    """Exact p-median on the free candidates, the always-open ones folded into a per-demand
    base cost. Returns (open sites, bound, proven optimal) or None when HiGHS found nothing."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

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
