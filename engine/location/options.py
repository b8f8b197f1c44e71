"""Options, not one answer: what each extra site buys (the best P = 1 … P_max), and the
user's own candidate sets opened as given."""
from __future__ import annotations

import math

import numpy as np

from ..accessibility import as_cost_matrix, as_weights
from ..errors import InputError, as_feedback
from .results import _objective_real, summarise
from .solve import solve


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
