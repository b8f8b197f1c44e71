"""Publishing grid counts under disclosure control: small counts suppressed (with secondary
suppression), and Gi* computed on the published counts only, so nothing undoes the suppression."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ProtectedGrid:
    """Grid counts made safe to publish, and the values Gi* is computed on.

    ``counts``: published counts (NaN = hidden); ``status``: '' / 'primary' / 'secondary';
    ``total``: the published total (NaN if hidden); ``values``: what Gi* analyses, a function
    of the published numbers only (each hidden cell stands in at half the threshold), so
    nothing derived from it (z, p, class) can give a hidden count away; ``hidden``: mask of
    hidden cells; ``disclosure``: the engine's :class:`DisclosureResult` (its report)."""
    counts: np.ndarray
    status: np.ndarray
    total: float
    values: np.ndarray
    hidden: np.ndarray
    disclosure: object
    stand_in: float


def protect_grid(counts, sums=None, *, threshold: int = 10, feedback=None) -> ProtectedGrid:
    """Suppress small grid counts with the shared rule (primary and secondary, with the
    grid's total treated as published) and give Gi* values that depend on the published
    numbers only.

    Why: Gi* z-scores, p-values and classes are functions of every cell's value. Computed on
    the true counts and published beside suppressed cells, they let a reader solve for the
    hidden counts (z for every cell and the total pin each one exactly; even the classes
    narrow them: tests/test_risk_hotspots.py tries it). Computed on the published counts with
    a fixed stand-in for hidden cells, they tell a reader nothing the counts do not.

    ``sums`` (optional, per cell): a summed value field; hidden cells then stand in at half
    the threshold times the mean value per point over the published cells."""
    import pandas as pd

    from ..disclosure import TOTAL_ROW, protect_counts

    counts = np.asarray(counts, dtype=float)
    res = protect_counts(pd.Series(counts, name="count"), threshold=threshold, totals=True,
                         feedback=feedback)
    published = res.published["count"]
    status = res.status["count"]
    cells = published.iloc[: len(counts)].to_numpy(dtype=float)
    hidden = ~np.isfinite(cells)
    total = float(published.loc[TOTAL_ROW]) if TOTAL_ROW in published.index else float(counts.sum())
    stand_in = threshold / 2.0
    if sums is None:
        values = np.where(hidden, stand_in, cells)
    else:
        sums = np.asarray(sums, dtype=float)
        shown = ~hidden & (counts > 0)
        per_point = sums[shown].sum() / counts[shown].sum() if shown.any() else 0.0
        values = np.where(hidden, stand_in * per_point, sums)
    return ProtectedGrid(counts=cells, status=status.iloc[: len(counts)].to_numpy(dtype=object),
                         total=total, values=values, hidden=hidden, disclosure=res,
                         stand_in=stand_in)
