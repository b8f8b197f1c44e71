"""A composite priority index over areas, with a seeded Monte Carlo check of how robust
each area's rank is to the choice of weights.

Steps: each indicator is normalised (``minmax`` to 0..1, ``zscore``, or ``percentile`` rank
in 0..1 with ties averaged), flipped when lower values mean higher priority (direction -1: ``1 - x`` for min-max and
percentile, ``-x`` for z-scores),
and combined as the weighted sum with weights rescaled to sum to 1. Rank 1 is the highest
score (highest priority); ties share the best rank. Quintile/decile 1 is the top 20 %/10 %:
``floor((rank - 1) * q / n) + 1`` over the n areas with a score.

Missing values (``missing=``):
* ``exclude``: an area with any missing indicator gets no score (null) and is reported;
* ``mean``: the missing normalised value is replaced by the indicator's mean over areas;
* ``reweight``: the score uses the indicators the area has, weights rescaled to sum to 1.

Sensitivity: ``runs`` weight vectors are drawn by multiplying each weight by an
independent uniform factor in ``[1 - spread, 1 + spread]`` (then rescaled to sum to 1), with
a seeded generator. For each area: the best and worst rank over runs and the share of runs
in which it is in the top decile.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, as_feedback

NORMALISATIONS = ("minmax", "zscore", "percentile")
MISSING = ("exclude", "mean", "reweight")


@dataclass
class PriorityResult:
    score: np.ndarray
    rank: np.ndarray          # float with NaN for no score
    quintile: np.ndarray
    decile: np.ndarray
    rank_min: np.ndarray | None = None
    rank_max: np.ndarray | None = None
    top_decile_share: np.ndarray | None = None
    normalised: np.ndarray | None = None
    notes: list = field(default_factory=list)


def normalise(x: np.ndarray, method: str, *, name: str = "indicator") -> np.ndarray:
    """Normalise one indicator (NaN stays NaN). A constant indicator normalises to 0 (it
    cannot order areas) and is noted by the caller."""
    from scipy.stats import rankdata

    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    out = np.full(x.shape, np.nan)
    if not ok.any():
        raise InputError(f"The indicator {name!r} has no values.")
    v = x[ok]
    if method == "minmax":
        lo, hi = v.min(), v.max()
        out[ok] = (v - lo) / (hi - lo) if hi > lo else 0.0
    elif method == "zscore":
        sd = v.std()
        out[ok] = (v - v.mean()) / sd if sd > 0 else 0.0
    elif method == "percentile":
        m = len(v)
        out[ok] = (rankdata(v, method="average") - 1) / (m - 1) if m > 1 else 0.0
    else:
        raise InputError(f"Unknown normalisation {method!r}; use one of {NORMALISATIONS}.")
    return out


def rank_desc(score: np.ndarray) -> np.ndarray:
    """Rank 1 = highest score, ties share the best (smallest) rank; NaN -> NaN."""
    from scipy.stats import rankdata

    out = np.full(score.shape, np.nan)
    ok = np.isfinite(score)
    out[ok] = rankdata(-score[ok], method="min")
    return out


def bands(rank: np.ndarray, n: int, q: int) -> np.ndarray:
    """1..q from the rank: ``floor((rank - 1) * q / n) + 1`` (1 = top band, which always
    holds the top area); NaN for no rank."""
    out = np.full(rank.shape, np.nan)
    ok = np.isfinite(rank)
    out[ok] = np.floor((rank[ok] - 1) * q / n) + 1
    return np.clip(out, 1, q)


def _flip(z: np.ndarray, direction: float, method: str) -> np.ndarray:
    """Lower-is-more-priority indicators: 1 - x for 0..1 scales, -x for z-scores."""
    if direction > 0:
        return z
    return -z if method == "zscore" else 1.0 - z


def priority_index(table, *, weights, directions=None, normalisation: str = "minmax",
                   missing: str = "exclude", runs: int = 0, spread: float = 0.25, seed: int = 0,
                   feedback=None) -> PriorityResult:
    """Composite index of the indicator columns of ``table`` ((n, m) array-like, columns in
    the order of ``weights``).

    Args:
        weights: m non-negative weights (at least one positive); rescaled to sum to 1.
        directions: m values +1 (higher = more priority) or -1 (lower = more priority).
        normalisation: one of ``NORMALISATIONS``.
        missing: one of ``MISSING``.
        runs: Monte Carlo runs for the sensitivity check (0 = none).
        spread: each weight is multiplied by a uniform factor in [1-spread, 1+spread].
        seed: seed of the generator.

    Raises:
        InputError: negative or all-zero weights, wrong lengths, no area with a score.
    """
    fb = as_feedback(feedback)
    X = np.asarray(table, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n, m = X.shape
    w = np.asarray(weights, dtype=float).ravel()
    if len(w) != m:
        raise InputError(f"{m} indicators but {len(w)} weights: give one weight per indicator.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError(f"Weights must be zero or positive numbers (got {list(w)}); use the "
                         "direction (-1) to make an indicator count against priority.")
    if w.sum() <= 0:
        raise InputError("At least one weight must be positive.")
    d = np.ones(m) if directions is None else np.asarray(directions, dtype=float).ravel()
    if len(d) != m or not np.isin(d, (1, -1)).all():
        raise InputError("Give one direction per indicator: 1 (higher is more priority) or -1.")
    if missing not in MISSING:
        raise InputError(f"Unknown missing-value policy {missing!r}; use one of {MISSING}.")
    if n == 0:
        raise InputError("There are no areas to rank.")
    notes = []
    Z = np.column_stack([_flip(normalise(X[:, k], normalisation, name=str(k)), d[k], normalisation)
                         for k in range(m)])
    for k in range(m):
        col = X[:, k][np.isfinite(X[:, k])]
        if len(col) and col.min() == col.max():
            notes.append(f"Indicator {k + 1} has the same value in every area: it does not change the ranking.")
    miss = ~np.isfinite(Z)
    if miss.any():
        rows_missing = int(miss.any(1).sum())
        if missing == "exclude":
            notes.append(f"{rows_missing} areas have a missing indicator value: no score (policy 'exclude').")
        elif missing == "mean":
            Z = np.where(miss, np.nanmean(Z, axis=0)[None, :], Z)
            notes.append(f"{rows_missing} areas had missing values replaced by the indicator's mean.")
        else:
            notes.append(f"{rows_missing} areas scored on the indicators they have (weights rescaled).")
    score = _scores(Z, w[None, :], missing)[0]
    valid = np.isfinite(score)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise InputError("No area has a score: every area misses at least one indicator. "
                         "Use the 'mean' or 'reweight' missing-value policy.")
    rank = rank_desc(score)
    res = PriorityResult(score=score, rank=rank, quintile=bands(rank, n_valid, 5),
                         decile=bands(rank, n_valid, 10), normalised=Z, notes=notes)
    if runs:
        if not (0 <= spread < 1):
            raise InputError("The weight spread must be between 0 and 1 (0.25 = +/-25 %).")
        rng = np.random.default_rng(seed)
        rmin = np.full(n, np.inf)
        rmax = np.full(n, -np.inf)
        top = np.zeros(n)
        cut = max(1, int(np.ceil(n_valid / 10)))
        batch = max(1, min(runs, int(2e7 // max(1, n * m))))
        done = 0
        while done < runs:
            b = min(batch, runs - done)
            ws = w[None, :] * rng.uniform(1 - spread, 1 + spread, size=(b, m))
            S = _scores(Z, ws, missing)
            for s in S:
                r = rank_desc(s)
                rmin = np.fmin(rmin, r)
                rmax = np.fmax(rmax, r)
                top += r <= cut
            done += b
            fb.check()
            fb.set_progress(done / runs)
        res.rank_min = np.where(valid, rmin, np.nan)
        res.rank_max = np.where(valid, rmax, np.nan)
        res.top_decile_share = np.where(valid, top / runs, np.nan)
    return res


def _scores(Z: np.ndarray, W: np.ndarray, missing: str) -> np.ndarray:
    """(runs, n) scores for weight rows W (runs, m), weights rescaled to sum to 1."""
    Wn = W / W.sum(1, keepdims=True)
    miss = ~np.isfinite(Z)
    Z0 = np.where(miss, 0.0, Z)
    S = Wn @ Z0.T
    if missing == "reweight" and miss.any():
        have = (~miss).astype(float)
        wsum = Wn @ have.T
        with np.errstate(invalid="ignore", divide="ignore"):
            S = np.where(wsum > 0, S / wsum, np.nan)
    elif miss.any():
        S[:, miss.any(1)] = np.nan
    return S


def parse_weights(text: str, n_fields: int) -> list:
    """Weights written as the dialog takes them ('2, 1, 1' or '2;1;1'); empty = equal weights."""
    text = (text or "").strip()
    if not text:
        return [1.0] * n_fields
    try:
        return [float(t) for t in text.replace(";", ",").split(",") if t.strip()]
    except ValueError as exc:
        raise InputError(f"Weights must be numbers separated by commas (got {text!r}).") from exc


def priority_of_areas(areas, *, fields, name: str = "the areas", inverted=(), weights=None,
                      **options):
    """``areas`` (a GeoDataFrame or DataFrame, one row per area) with the index added:
    pi_score, pi_rank, pi_quintile, pi_decile, and with sensitivity runs pi_rank_min,
    pi_rank_max and pi_top10_share. ``fields`` are the indicators (numbers stored as text are
    read as every algorithm reads them), ``inverted`` those where lower means more priority,
    ``weights`` one per field (None: equal). ``options``: :func:`priority_index`'s
    normalisation, missing, runs, spread, seed, feedback. Returns ``(frame, result)``."""
    import pandas as pd

    from .values import numeric_fields_of

    inverted = set(inverted)
    table = numeric_fields_of(areas, fields, layer=name, field_kind="indicator", nothing_to="rank")
    res = priority_index(table[fields].to_numpy(dtype=float),
                         weights=[1.0] * len(fields) if weights is None else weights,
                         directions=[-1 if f in inverted else 1 for f in fields], **options)
    out = areas.copy()
    out["pi_score"] = res.score
    for column, values in (("pi_rank", res.rank), ("pi_quintile", res.quintile), ("pi_decile", res.decile),
                           ("pi_rank_min", res.rank_min), ("pi_rank_max", res.rank_max)):
        if values is not None:
            out[column] = pd.array(pd.Series(values).round().astype("Int64"))
    if res.top_decile_share is not None:
        out["pi_top10_share"] = res.top_decile_share
    return out, res
