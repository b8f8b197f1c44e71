"""The p-median machinery the median problems share (MCLP is a p-median on 0/1 costs, 1 = not
covered; the capacitated p-median starts from it): a greedy start, Teitz–Bart vertex
substitution (fast interchange, vectorised), a Lagrangian relaxation whose bound proves
optimality or measures the gap and whose reduction tests fix sites open or closed, and the
greedy order in which the chosen sites are reported."""
from __future__ import annotations

import math

import numpy as np

from ..errors import as_feedback
from .matrix import _rel_gap, objective, split_sites


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
    forced, free = split_sites(k, forced)
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
