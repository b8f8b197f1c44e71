"""Class breaks for graduated (choropleth) maps, QGIS-free.

Methods (``method=``):

- ``"jenks"`` natural breaks: the exact Fisher–Jenks optimum, the partition of the sorted
  values into ``k`` classes with the smallest total within-class sum of squared deviations.
  Computed by dynamic programming over the distinct values (weighted by how often each
  occurs), each layer of the programme solved by divide and conquer on the monotone optimal
  split point, vectorised level by level in numpy: O(k·n·log n) time and O(k·n) memory for
  n distinct values, so a million distinct values take seconds, not days. Above
  :data:`EXACT_LIMIT` distinct values a seeded random sample of :data:`EXACT_LIMIT` values
  (plus the minimum and maximum) is classified instead, and the result says so.
- ``"quantile"``: upper bounds at the 100/k, 200/k … percentiles (linear interpolation, as
  numpy, scipy and mapclassify); repeated bounds collapse into one class.
- ``"equal"`` equal interval: k classes of equal width from the minimum to the maximum.
- ``"pretty"``: round breaks (1, 2 or 5 × a power of ten) close to k classes, as R's pretty().
- ``"stddev"`` standard deviation: classes one (sample) standard deviation wide, centred on
  the mean; the outer classes run to the minimum and maximum.
- ``"manual"``: the given breaks are the upper bounds of every class but the last; the last
  class runs to the maximum. Classes no value falls into are kept (for maps comparable
  across areas) and reported.

Conventions (mapclassify's and QGIS's graduated renderer's): ``breaks`` are the upper bounds
of the classes, the last one the maximum; a value equal to a break belongs to the lower
class; the first class starts at the minimum.

Unusable input: null, NaN and infinite values are left out and counted (``n_null``); no
values at all, or all values the same, raise :class:`~.errors.InputError`. When a field has
fewer distinct values than the classes asked for, the automatic methods make fewer classes
(one per distinct value for natural breaks and quantiles) and add a note saying so; they
never raise for it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import Feedback, InputError, as_feedback

METHODS = ("jenks", "quantile", "equal", "pretty", "stddev", "manual")
METHOD_NAMES = {
    "jenks": "natural breaks (Fisher–Jenks, exact)",
    "quantile": "quantiles (equal counts)",
    "equal": "equal interval",
    "pretty": "pretty breaks (rounded)",
    "stddev": "standard deviation",
    "manual": "manual breaks",
}
#: Natural breaks are exact up to this many distinct values; above it a seeded sample of
#: this many values (plus the minimum and maximum) is classified.
EXACT_LIMIT = 1_000_000
MAX_CLASSES = 32


@dataclass
class Classification:
    """The result: upper bounds, counts per class and what a legend or a log needs."""

    method: str
    breaks: np.ndarray
    minimum: float
    counts: np.ndarray
    n_values: int
    n_null: int = 0
    requested_classes: int = 0
    notes: list = field(default_factory=list)
    sampled: int = 0
    gvf: float | None = None

    @property
    def k(self) -> int:
        return int(len(self.breaks))

    @property
    def lower_bounds(self) -> np.ndarray:
        return np.concatenate([[self.minimum], self.breaks[:-1]])

    def classify(self, values) -> np.ndarray:
        """Class index (0-based) of each value; -1 for null/NaN values."""
        v = np.asarray(values, dtype=float)
        out = np.searchsorted(self.breaks, v, side="left")
        out = np.minimum(out, self.k - 1)
        out[~np.isfinite(v)] = -1
        return out

    def labels(self, *, units: str = "", decimals: int | None = None) -> list:
        """'lower – upper units' per class, with thousands separators."""
        if decimals is None or decimals < 0:
            decimals = auto_decimals(np.concatenate([[self.minimum], self.breaks]))
        unit = f" {units.strip()}" if units and units.strip() else ""
        return [f"{format_number(lo, decimals)} – {format_number(hi, decimals)}{unit}"
                for lo, hi in zip(self.lower_bounds, self.breaks)]

    def describe(self, *, field_name: str = "", units: str = "") -> str:
        """One sentence on the method for a map's notes and the log."""
        what = f" of {field_name}" if field_name else ""
        text = (f"{self.k} classes{what} by {METHOD_NAMES[self.method]} over "
                f"{self.n_values:,} values")
        if self.sampled:
            text += f" (breaks from a seeded random sample of {self.sampled:,} values)"
        if self.gvf is not None:
            text += f"; goodness of variance fit {self.gvf:.3f}"
        if self.n_null:
            text += f"; {self.n_null:,} features with no value are not classified"
        return text + "."


def format_number(value: float, decimals: int) -> str:
    value = float(value)
    if round(value, decimals) == 0:
        value = 0.0  # no "-0.0"
    return f"{value:,.{decimals}f}"


def auto_decimals(bounds) -> int:
    """Enough decimals to tell the bounds apart (0 when they are whole numbers), at most 6."""
    b = np.asarray(bounds, dtype=float)
    if np.all(np.abs(b - np.round(b)) < 1e-9):
        return 0
    widths = np.diff(np.unique(b))
    smallest = widths[widths > 0].min() if (widths > 0).any() else abs(b).max() or 1.0
    return int(min(6, max(0, -math.floor(math.log10(smallest)) + 1)))


def _values(values, what: str):
    """Finite float values and the count of left-out ones (None, NaN, ±inf, text)."""
    import pandas as pd

    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    numeric = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(numeric)
    if len(numeric) == 0:
        raise InputError(f"{what} has no features: there is nothing to classify.")
    if not finite.any():
        raise InputError(
            f"{what} has no numeric values (all {len(numeric):,} are null or not numbers): "
            "choose a numeric field that has values.")
    return numeric[finite], int((~finite).sum())


def class_breaks(values, *, method: str = "jenks", n_classes: int = 5,
                 manual_breaks=None, what: str = "The field",
                 exact_limit: int = EXACT_LIMIT, seed: int = 0,
                 feedback: Feedback | None = None) -> Classification:
    """Classify ``values`` (array-like; None/NaN/inf are left out and counted).

    Raises:
        InputError: unknown method, bad class count, no values, a single distinct value,
            manual method without breaks.
    """
    fb = as_feedback(feedback)
    if method not in METHODS:
        raise InputError(f"Unknown classification method {method!r}; use one of {', '.join(METHODS)}.")
    if method != "manual" and not (2 <= int(n_classes) <= MAX_CLASSES):
        raise InputError(f"The number of classes must be between 2 and {MAX_CLASSES}, not {n_classes}.")
    k = int(n_classes)
    v, n_null = _values(values, what)
    distinct, counts = np.unique(v, return_counts=True)
    if len(distinct) == 1:
        raise InputError(
            f"{what} has the same value ({format_number(distinct[0], auto_decimals(distinct))}) "
            f"in all {len(v):,} features that have one: there is nothing to classify. "
            "Choose another field, or a single-symbol style.")
    notes = []
    if n_null:
        notes.append(f"{n_null:,} features have no usable value (null, not a number or "
                     "infinite) and are left out of the classification.")
    if method in ("jenks", "quantile", "equal") and len(distinct) < k:
        notes.append(f"{what} has only {len(distinct)} distinct values, fewer than the "
                     f"{k} classes asked for: {len(distinct)} classes were made.")
        k = len(distinct)
    lo, hi = float(distinct[0]), float(distinct[-1])
    sampled = 0
    if method == "jenks":
        if len(distinct) > exact_limit:
            rng = np.random.default_rng(seed)
            sample = rng.choice(v, size=exact_limit, replace=False)
            sample = np.concatenate([sample, [lo, hi]])
            distinct, counts = np.unique(sample, return_counts=True)
            sampled = len(sample)
            notes.append(f"{what} has more than {exact_limit:,} distinct values: natural "
                         f"breaks were computed on a seeded random sample of {sampled:,}.")
            k = min(k, len(distinct))
        breaks = fisher_jenks(distinct, k, weights=counts, feedback=fb)
    elif method == "quantile":
        breaks = np.unique(np.percentile(v, np.linspace(100.0 / k, 100.0, k)))
        if len(breaks) < k:
            notes.append(f"Ties in {what}: only {len(breaks)} distinct quantile bounds, so "
                         f"{len(breaks)} classes instead of {k}.")
    elif method == "equal":
        width = (hi - lo) / k
        breaks = lo + width * np.arange(1, k + 1)
        breaks[-1] = hi
    elif method == "pretty":
        breaks = pretty_breaks(lo, hi, k)
    elif method == "stddev":
        breaks = stddev_breaks(v, k)
    else:
        breaks = manual(manual_breaks, lo, hi, notes, what)
    breaks = np.asarray(breaks, dtype=float)
    cls = Classification(method=method, breaks=breaks, minimum=lo, counts=np.zeros(len(breaks), int),
                         n_values=len(v), n_null=n_null, requested_classes=int(n_classes),
                         notes=notes, sampled=sampled)
    cls.counts = np.bincount(cls.classify(v), minlength=cls.k)
    empty = int((cls.counts == 0).sum())
    if empty:
        notes.append(f"{empty} of the {cls.k} classes hold no values.")
    cls.gvf = goodness_of_variance_fit(v, cls)
    for note in notes:
        fb.log(note)
    return cls


def goodness_of_variance_fit(v, cls: Classification) -> float | None:
    """1 − (within-class sum of squares / total sum of squares)."""
    total = float(((v - v.mean()) ** 2).sum())
    if total == 0:
        return None
    idx = cls.classify(v)
    sums = np.bincount(idx, weights=v, minlength=cls.k)
    n = np.bincount(idx, minlength=cls.k)
    means = np.divide(sums, n, out=np.zeros_like(sums), where=n > 0)
    within = float(((v - means[idx]) ** 2).sum())
    return 1.0 - within / total


def pretty_breaks(lo: float, hi: float, k: int) -> np.ndarray:
    """Round upper bounds (1, 2 or 5 × 10^p apart) giving about k classes over [lo, hi]."""
    raw = (hi - lo) / k
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * 0.999999)
    start = math.floor(lo / step) * step
    cuts = start + step * np.arange(1, int(math.ceil((hi - start) / step)) + 2)
    cuts = np.round(cuts, 12)
    inner = cuts[(cuts > lo) & (cuts < hi)]
    return np.concatenate([inner, [hi]])


def stddev_breaks(v: np.ndarray, k: int) -> np.ndarray:
    """Bounds at mean + sd·(j − k/2), j = 1 … k−1, kept where inside the data's range."""
    mean, sd = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
    cuts = mean + sd * (np.arange(1, k) - k / 2.0)
    cuts = cuts[(cuts > v.min()) & (cuts < v.max())]
    return np.concatenate([cuts, [v.max()]])


def manual(manual_breaks, lo: float, hi: float, notes: list, what: str) -> np.ndarray:
    if manual_breaks is None or (isinstance(manual_breaks, str) and not manual_breaks.strip()):
        raise InputError("The manual method needs breaks: give the upper bounds of the classes, "
                         "e.g. 10, 20, 50.")
    if isinstance(manual_breaks, str):
        try:
            manual_breaks = [float(p) for p in manual_breaks.replace(";", ",").split(",") if p.strip()]
        except ValueError as exc:
            raise InputError(f"Manual breaks must be numbers separated by commas, not {manual_breaks!r}.") from exc
    cuts = np.unique(np.asarray(manual_breaks, dtype=float))
    if not np.isfinite(cuts).all():
        raise InputError("Manual breaks must be finite numbers.")
    below = cuts[cuts < lo]
    if len(below):
        notes.append(f"{len(below)} manual breaks lie below the smallest value of {what}; "
                     "their classes are empty.")
    if cuts[-1] < hi:
        cuts = np.concatenate([cuts, [hi]])
    return cuts


# --- exact Fisher–Jenks -------------------------------------------------------------------

def fisher_jenks(x, k: int, *, weights=None, feedback: Feedback | None = None) -> np.ndarray:
    """Upper bounds of the optimal k-class partition of sorted distinct values ``x``
    (weighted by ``weights``, default 1): minimal total within-class sum of squares.

    Dynamic programme D[c][i] = min_j D[c−1][j] + SSD(x[j:i]); the best j is monotone in i
    (the cost obeys the quadrangle inequality), so each layer is solved by divide and
    conquer, one numpy pass per recursion level over all open sub-problems at once.
    """
    fb = as_feedback(feedback)
    x = np.asarray(x, dtype=float)
    n = len(x)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if n == 0:
        raise InputError("No values to classify.")
    k = int(min(k, n))
    if k <= 1:
        return np.array([x[-1]])
    if k == n:
        return x.copy()
    xc = x - np.average(x, weights=w)  # centred: less cancellation in the prefix sums
    cw = np.concatenate([[0.0], np.cumsum(w)])
    c1 = np.concatenate([[0.0], np.cumsum(w * xc)])
    c2 = np.concatenate([[0.0], np.cumsum(w * xc * xc)])

    def cost(j, i):  # SSD of items j .. i-1
        s = c1[i] - c1[j]
        return np.maximum((c2[i] - c2[j]) - s * s / (cw[i] - cw[j]), 0.0)

    index_type = np.int32 if n < 2**31 - 1 else np.int64
    back = np.zeros((k + 1, n + 1), dtype=index_type)
    prev = np.full(n + 1, np.inf)
    prev[1:] = cost(np.zeros(n, dtype=np.int64), np.arange(1, n + 1))
    for c in range(2, k + 1):
        fb.check()
        i_lo, i_hi = c, n - (k - c)
        cur = np.full(n + 1, np.inf)
        _dc_layer(prev, cur, back[c], cost, i_lo, i_hi, c - 1, fb)
        prev = cur
        fb.set_progress((c - 1) / (k - 1))
    upper = np.empty(k)
    i = n
    for c in range(k, 1, -1):
        j = int(back[c, i])
        upper[c - 1] = x[i - 1]
        i = j
    upper[0] = x[i - 1]
    return upper


def _dc_layer(prev, cur, arg, cost, i_lo, i_hi, j_min, fb):
    lo = np.array([i_lo], dtype=np.int64)
    hi = np.array([i_hi], dtype=np.int64)
    olo = np.array([j_min], dtype=np.int64)
    ohi = np.array([i_hi - 1], dtype=np.int64)
    while lo.size:
        fb.check()
        mid = (lo + hi) // 2
        a, b = olo, np.minimum(ohi, mid - 1)
        lens = b - a + 1
        starts = np.cumsum(lens) - lens
        seg = np.repeat(np.arange(len(mid)), lens)
        pos = np.arange(int(lens.sum()), dtype=np.int64)
        j = a[seg] + (pos - starts[seg])
        val = prev[j] + cost(j, mid[seg])
        best = np.minimum.reduceat(val, starts)
        first = np.minimum.reduceat(np.where(val <= best[seg], pos, pos.size), starts)
        best_j = j[first]
        cur[mid] = best
        arg[mid] = best_j
        left = lo <= mid - 1
        right = mid + 1 <= hi
        lo = np.concatenate([lo[left], (mid + 1)[right]])
        hi = np.concatenate([(mid - 1)[left], hi[right]])
        olo, ohi = (np.concatenate([olo[left], best_j[right]]),
                    np.concatenate([best_j[left], ohi[right]]))
