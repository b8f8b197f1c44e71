"""The evidence pack's numbers and classes, QGIS-free: the headline field's statistics line,
the classes each finding's map is drawn in, and the disclosure statement of a pack made of
findings. The layout side (``processing/evidence/pack.py``) only places what this returns.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .classify import class_breaks, format_number
from .findings import THRESHOLD

FINDINGS_DISCLOSURE = (
    f"Disclosure control: every count of people or events in this pack went through JoinedUp's "
    f"disclosure control (counts below {THRESHOLD} hidden, with secondary suppression so that no "
    "hidden count can be worked out from totals or neighbours).")
HOTSPOT_NOTE = "Getis-Ord Gi* hot-spot classes (90, 95 and 99 % confidence), from the published counts."
SITES_NOTE = "Existing sites and the new sites in the order a planner would add them."


def stats_text(summary, decimals: int, units: str = "") -> str:
    """The headline field's statistics in one line (an ``engine.evidence.summarise`` result)."""
    def f(v):
        return format_number(v, decimals)
    unit = f" {units}" if units else ""
    text = (f"{summary.n:,} values · minimum {f(summary.minimum)} · lower quartile {f(summary.q1)} · "
            f"median {f(summary.median)} · mean {f(summary.mean)} · upper quartile {f(summary.q3)} · "
            f"maximum {f(summary.maximum)}{unit}")
    return text + (f" · {summary.n_null:,} without a value" if summary.n_null else "")


def numeric(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(list(values)), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def site_classes(ranks) -> list:
    """``(lower, upper, label)`` per class of a location-allocation SITES layer's order field:
    the existing sites (0), then each new site in the order chosen."""
    last = int(np.nan_to_num(numeric(ranks)).max())
    return [(-0.5, 0.5, "Existing site")] + [(k - 0.5, k + 0.5, f"New site, chosen {ordinal(k)}")
                                             for k in range(1, last + 1)]


def hotspot_classes() -> list:
    from .hotspots import CLASS_LABELS

    return [(b - 0.5, b + 0.5, text) for b, text in sorted(CLASS_LABELS.items())]


def finding_classes(values, what: str, units: str = ""):
    """The classes of a finding's map: natural breaks (up to 5) over the published values, or
    one class said plainly when there is one value or none. Returns ``(classification,
    labels, note)``: ``classification`` is an engine Classification, or a list of
    ``(lower, upper, label)`` for one class; ``note`` is '' or the sentence for the method."""
    v = numeric(values)
    distinct = np.unique(v[np.isfinite(v)])
    if len(distinct) >= 2:
        cls = class_breaks(values, method="jenks", n_classes=min(5, len(distinct)), what=what)
        return cls, cls.labels(units=units), ""
    if len(distinct):
        only = float(distinct[0])
        text = f"{format_number(only, 0 if only.is_integer() else 2)} {units}".strip()
        return [(only - 0.5, only + 0.5, text)], [text], "One class: every area has the same published value."
    return ([(-0.5, 0.5, "No value published")], ["No value published"],
            "One class: no area has a published value (all are hidden or empty).")
