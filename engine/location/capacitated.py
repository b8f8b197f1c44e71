"""The capacitated p-median: as the p-median, but no site serves more demand than its capacity.
Demand may be split between sites (a transport problem per set of open sites) or must go to
one site (``single_source``, exact solver only)."""
from __future__ import annotations

import math

import numpy as np

from ..errors import EngineError, InputError, as_feedback
from .heuristics import greedy, lagrangian_bound, order_by_gain, vertex_substitution
from .matrix import MILP_MAX_VARIABLES, NO_SITE, _penalised, _rel_gap, _site_codes, objective, split_sites
from .results import _finish


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
    forced, free = split_sites(k, forced)
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
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

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
    flows = list(zip(ii[keep].tolist(), np.asarray(cols)[keep].tolist(), (w[ii] * x)[keep].tolist(), strict=True))
    un = np.flatnonzero(u > 1e-9)
    flows += list(zip(un.tolist(), [-1] * len(un), (w[un] * u[un]).tolist(), strict=True))
    return flows


def transport(D, reach, big, w, open_, cap):
    """Capacitated assignment of demand to the open sites (split allowed), by LP (HiGHS).
    Returns (flows [(i, col, amount)], cost); unserved demand goes to col -1 at 10 × ``big``
    per unit of demand."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

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
        for _i, j, a in flows:
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
