"""The Getis-Ord Gi* statistic, its analytical and permutation inference, the false-discovery-rate
adjustment and the hot/cold classes (the formulas are in the package docstring)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, as_feedback
from .names import INFERENCE


@dataclass
class GiResult:
    z: np.ndarray
    p: np.ndarray              # p used for the classes (two-sided; FDR-adjusted when asked)
    p_norm: np.ndarray         # two-sided normal p of z
    p_sim: np.ndarray | None   # esda-style folded pseudo p (None without permutations)
    gi_bin: np.ndarray         # +3..-3, with a mask for islands
    neighbours: np.ndarray     # number of neighbours (excluding self)
    islands: np.ndarray        # bool
    notes: list = field(default_factory=list)


def gi_star(y, W, *, transform: str = "B", inference: str = "analytical", permutations: int = 999,
            seed: int = 0, fdr: bool = False, feedback=None) -> GiResult:
    """Getis-Ord Gi* for values ``y`` (n,) and binary weights ``W`` (n x n sparse, zero
    diagonal). See the module doc for the formulas.

    Raises:
        InputError: fewer than 3 units, NaN values, values summing to zero, all values equal.
    """
    import scipy.sparse as sp
    from scipy.special import ndtr

    fb = as_feedback(feedback)
    y = np.asarray(y, dtype=float)
    n = len(y)
    if transform.upper() not in ("B", "R"):
        raise InputError(f"Unknown weights transform {transform!r}; use 'B' (binary) or 'R' (row-standardised).")
    if inference not in INFERENCE:
        raise InputError(f"Unknown inference {inference!r}; use one of {INFERENCE}.")
    if n < 3:
        raise InputError(f"Gi* needs at least 3 areas with a value; there {'is' if n == 1 else 'are'} {n}.")
    if not np.isfinite(y).all():
        raise InputError("Some values are null or NaN; leave those areas out before computing Gi*.")
    total = y.sum()
    mean = total / n
    var = (y * y).mean() - mean * mean
    if abs(total) <= 1e-12 * max(1.0, np.abs(y).max()):
        raise InputError("The values sum to zero (all zero?): Gi* compares each neighbourhood's share "
                         "of the total, so there is nothing to find.")
    if var <= 1e-14 * mean * mean:
        raise InputError(f"All values are equal ({y[0]:g}): there can be no hot or cold spots.")
    W = sp.csr_matrix(W, dtype=float)
    if W.diagonal().any():
        W = sp.csr_matrix(W - sp.diags(W.diagonal()))
    W.eliminate_zeros()
    k = np.diff(W.indptr)
    islands = k == 0
    Ws = W + sp.identity(n, format="csr")
    if transform.upper() == "R":
        rs = np.asarray(Ws.sum(1)).ravel()
        Ws = sp.diags(1.0 / rs) @ Ws
    Ws = sp.csr_matrix(Ws)
    G = (Ws @ y) / total
    card = np.asarray(Ws.sum(1)).ravel()
    EG = card / n
    VG = card * (n - card) / (n - 1) / n ** 2 * var / mean ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (G - EG) / np.sqrt(VG)
    z[islands] = np.nan
    p_norm = 2.0 * ndtr(-np.abs(z))
    notes = []
    if islands.any():
        notes.append(f"{int(islands.sum())} of {n} units have no neighbours (islands): their z is null.")
    p_sim = None
    if inference == "permutation":
        if permutations < 9:
            raise InputError("Use at least 9 permutations (99 or 999 is usual).")
        p_sim = _conditional_permutation(y, Ws, G, total, permutations, seed, islands, fb)
        p = np.minimum(1.0, 2.0 * p_sim)
    else:
        p = p_norm.copy()
    p[islands] = np.nan
    if fdr:
        p = benjamini_hochberg(p)
    gi_bin = classify(z, p)
    if n < 30:
        notes.append(f"Only {n} units: Gi* z-scores are unreliable below about 30.")
    return GiResult(z=z, p=p, p_norm=np.where(islands, np.nan, p_norm), p_sim=p_sim, gi_bin=gi_bin,
                    neighbours=k, islands=islands, notes=notes)


def _conditional_permutation(y, Ws, G_obs, total, permutations, seed, islands, fb):
    """esda-style conditional randomisation: for every permutation one random set of other
    units is drawn (shared by all units, shifted past each unit's own index), and unit i's
    neighbours take the first k_i of them with i's own weights."""
    rng = np.random.default_rng(seed)
    n = len(y)
    diag = Ws.diagonal()
    off = Ws.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    k = np.diff(off.indptr)
    kmax = int(k.max()) if len(k) else 0
    larger = np.zeros(n, dtype=np.int64)
    if kmax == 0:
        return np.ones(n)
    if kmax > n - 1:
        kmax = n - 1
    wpad = np.zeros((n, kmax))
    pos = np.arange(off.nnz) - np.repeat(off.indptr[:-1], k)
    rows = np.repeat(np.arange(n), k)
    wpad[rows, pos] = off.data
    own = diag * y
    ids = np.arange(n)[:, None]
    chunk = max(1, int(4_000_000 // max(1, n * kmax)))
    done = 0
    while done < permutations:
        m = min(chunk, permutations - done)
        for _ in range(m):
            draw = rng.choice(n - 1, size=kmax, replace=False)
            act = draw[None, :] + (draw[None, :] >= ids)
            sim = ((y[act] * wpad).sum(1) + own) / total
            larger += sim >= G_obs
        done += m
        fb.check()
        fb.set_progress(0.2 + 0.7 * done / permutations)
    low = (permutations - larger) < larger
    larger[low] = permutations - larger[low]
    p = (larger + 1.0) / (permutations + 1.0)
    p[islands] = np.nan
    return p


def benjamini_hochberg(p):
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out


def classify(z, p):
    """gi_bin: +3/+2/+1 hot at 99/95/90 % (p < 0.01/0.05/0.10, z > 0), -1..-3 cold, 0 not
    significant; islands (NaN z) get 0 here and are masked by the caller."""
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    level = np.zeros(len(z), dtype=np.int64)
    ok = np.isfinite(z) & np.isfinite(p)
    level[ok & (p < 0.10)] = 1
    level[ok & (p < 0.05)] = 2
    level[ok & (p < 0.01)] = 3
    return np.where(z < 0, -level, level)
