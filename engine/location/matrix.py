"""What every location problem shares on its cost matrix ``D`` (demand rows × site columns,
existing sites first): the objective, unreachable pairs as a penalty cost, relative gaps, and
how a column becomes a site code in the results."""
from __future__ import annotations

import math

import numpy as np

# Largest number of assignment variables handed to the exact MILP (HiGHS). Measured here: a
# 5,000 × 200 full model (1M variables) does not finish in 10 minutes; ~200k solve in seconds
# to a minute once the Lagrangian fixing has removed most candidates.
MILP_MAX_VARIABLES = 250_000

# The site code of a demand unit that no open site reaches (LocationResult.site).
NO_SITE = np.iinfo(np.int64).min


def _penalised(full, rows):
    d = full[rows]
    finite = np.isfinite(d)
    big = (float(d[finite].max()) if finite.any() else 1.0) * 10.0 + 1.0
    return np.where(finite, d, big), big


def _rel_gap(ub, lb):
    if not np.isfinite(lb):
        return math.inf
    return max(0.0, (ub - lb) / max(abs(ub), 1e-12)) if ub > 0 else max(0.0, ub - lb)


def objective(D, w, open_) -> float:
    """Σ_i w_i min_{j ∈ open} D_ij."""
    return float(w @ D[:, np.asarray(open_, dtype=np.int64)].min(axis=1))


def _site_codes(cols, e):
    cols = np.asarray(cols, dtype=np.int64)
    return np.where(cols < e, -(cols + 1), cols - e)


def split_sites(k: int, forced):
    """``(forced, free)``: the columns of ``k`` sites that are kept open (existing), and the rest,
    as int64 arrays."""
    forced = np.asarray(forced, dtype=np.int64)
    free_mask = np.ones(k, dtype=bool)
    free_mask[forced] = False
    return forced, np.flatnonzero(free_mask)
