"""One entry point for every location problem on a cost matrix (:func:`solve`): checks the
input once, sets unreachable demand aside, and hands the rest to the problem's solver; and
the exhaustive search that tests compare the solvers with on small cases."""
from __future__ import annotations

import itertools

import numpy as np

from ..accessibility import as_cost_matrix, as_weights
from ..errors import InputError, as_feedback
from .capacitated import _solve_cpmedian
from .coverage import _solve_lscp
from .pmedian import _solve_median
from .results import LocationResult

PROBLEMS = ("pmedian", "mclp", "lscp", "cpmedian")


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
        assert threshold is not None  # checked above
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
