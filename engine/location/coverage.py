"""Covering problems: the location set covering problem (LSCP, the fewest new sites that put
every coverable demand unit within ``threshold``) and the compact covering MILP that solves
MCLP exactly (demand units with the same covering sites merged)."""
from __future__ import annotations

import math

import numpy as np

from .matrix import MILP_MAX_VARIABLES, objective
from .results import _finish


def _covering_milp(D, w, forced, fixed_open, free, p, time_limit_s, mip_rel_gap, fb):
    """Exact MCLP in its compact form on 0/1 costs ``D`` (0 = covered): y_j per free site,
    z_g ≤ Σ_{j covers g} y_j per group g of demand units with the same covering sites (units
    already covered by an always-open site drop out), maximise Σ w_g z_g."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

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


def _solve_lscp(full, w_all, e, rows, threshold, exact, time_limit_s, fb):
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

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
