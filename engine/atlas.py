"""The atlas section of an evidence pack, QGIS-free: one profile per area (ward, district,
zone), each indicator one line with the area's value, the city average, the difference, its
rank and its rank range.

It is the ``atlas`` entry of a findings file (:mod:`engine.findings`)::

    "atlas": {"title": "Zone profiles", "layer": "priority_index.gpkg", "name_field": "name",
              "indicators": ["population",
                             {"field": "pi_score", "rank_low": "pi_rank_min", "rank_high": "pi_rank_max"},
                             {"field": "incidents_per_1000", "count_field": "incidents_count"}]}

Definitions (the pack's method page repeats them):

- **City average**: the mean of the areas' values, each area counted once, areas without a
  value left out.
- **Rank**: 1 is the highest value (``"lowest_first": true``: the lowest). Tied areas share
  the best rank of their group ("competition" ranking, as league tables).
- **Rank range**: from the rank fields given (e.g. the priority index's sensitivity runs);
  otherwise the ranks a tied group spans (``3–5`` when three areas share one value), a single
  number when the area has no tie.
- **Disclosure control**: an indicator that is a count of people or events (the labels
  table's ``"count": true``) or that is computed from one (``"count_field"``, e.g. a rate per
  1,000 from a count) is hidden where that count is between 1 and 9, and so are its rank and
  rank range (a rank among published values would bound the hidden one). The rank range of a
  hidden value is the span of ranks all hidden areas share.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .findings import HIDDEN, THRESHOLD, Labels, _absolute, _fmt, _names, _numeric

INDICATOR_KEYS = ("field", "lowest_first", "rank_low", "rank_high", "count_field")
ATLAS_KEYS = ("title", "layer", "name_field", "indicators", "note")


@dataclass
class IndicatorSpec:
    field: str
    lowest_first: bool = False
    rank_low: str = ""
    rank_high: str = ""
    count_field: str = ""


@dataclass
class AtlasSpec:
    title: str
    layer: str
    name_field: str
    indicators: list
    note: str = ""


@dataclass
class AreaProfile:
    """One area's page: ``row`` is its position in the layer; ``rows`` the printed table
    (one line per indicator); ``facts`` per indicator field the numbers behind each line."""
    name: str
    row: int
    sentence: str
    rows: list
    facts: dict = field(default_factory=dict)


@dataclass
class Atlas:
    title: str
    headers: list
    areas: list
    averages: dict
    note: str = ""
    suppressed: str = ""
    method: str = ""


def read_atlas(path: str) -> AtlasSpec | None:
    """The ``atlas`` entry of the findings file ``path`` (which :func:`engine.findings.read_findings`
    has checked), with its layer path made absolute; None when the file has none.

    Raises:
        InputError: a missing or unknown key, an indicator that is not a field name or object."""
    with open(path, encoding="utf-8") as handle:
        entry = json.load(handle).get("atlas")
    folder = os.path.dirname(os.path.abspath(path))
    if entry is None:
        return None
    where = f"{path}, atlas"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: the atlas is an object with title, layer, name_field and indicators.")
    missing = [k for k in ("title", "layer", "name_field", "indicators") if not entry.get(k)]
    if missing:
        raise InputError(f"{where} needs {', '.join(missing)}.")
    unknown = sorted(set(entry) - set(ATLAS_KEYS))
    if unknown:
        raise InputError(f"{where} has unknown keys: {', '.join(unknown)}.")
    indicators = []
    for item in entry["indicators"]:
        if isinstance(item, str):
            item = {"field": item}
        if not isinstance(item, dict) or not item.get("field"):
            raise InputError(f"{where}: each indicator is a field name or an object with \"field\".")
        extra = sorted(set(item) - set(INDICATOR_KEYS))
        if extra:
            raise InputError(f"{where}, indicator {item['field']!r} has unknown keys: {', '.join(extra)}.")
        indicators.append(IndicatorSpec(field=str(item["field"]), lowest_first=bool(item.get("lowest_first")),
                                        rank_low=str(item.get("rank_low") or ""),
                                        rank_high=str(item.get("rank_high") or ""),
                                        count_field=str(item.get("count_field") or "")))
    return AtlasSpec(title=str(entry["title"]).strip(), layer=_absolute(entry["layer"], folder),
                     name_field=str(entry["name_field"]), indicators=indicators,
                     note=str(entry.get("note") or "").strip())


def competition_ranks(values, *, lowest_first: bool = False):
    """``(best, worst)`` rank of each value among the finite ones (1 = highest, or lowest with
    ``lowest_first``); a tied group shares its best rank and spans to its worst. NaN where the
    value is not finite."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    key = v[ok] if lowest_first else -v[ok]
    ordered = np.sort(key)
    best = np.full(v.shape, np.nan)
    worst = np.full(v.shape, np.nan)
    best[ok] = np.searchsorted(ordered, key, side="left") + 1
    worst[ok] = np.searchsorted(ordered, key, side="right")
    return best, worst


def _hidden_mask(frame, spec: IndicatorSpec, labels: Labels, value, what):
    """Areas whose indicator gives away a count between 1 and 9."""
    counts = []
    if labels.is_count(spec.field):
        counts.append(value)
    if spec.count_field:
        counts.append(_numeric(frame, spec.count_field, what))
    mask = np.zeros(len(frame), dtype=bool)
    for c in counts:
        r = np.round(c)
        mask |= np.isfinite(r) & (r > 0) & (r < THRESHOLD)
    return mask


def _range_text(low, high) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "—"
    return f"{int(low)}" if int(low) == int(high) else f"{int(low)}–{int(high)}"


def _compare(value, average) -> str:
    if not np.isfinite(value):
        return "no value"
    if average == 0 or not np.isfinite(average):
        return "—"
    diff = (value - average) / abs(average)
    if abs(diff) < 0.005:
        return "the same"
    return f"{abs(diff) * 100:,.0f} % {'above' if diff > 0 else 'below'}"


def profiles(frame, spec: AtlasSpec, labels: Labels) -> Atlas:
    """Every area's profile, in the layer's order."""
    what = spec.title
    if len(frame) == 0:
        raise InputError(f"{what}: the layer has no areas.")
    names = _names(frame, spec.name_field, what)
    n_areas = len(frame)
    columns = []
    hidden_total = 0
    for ind in spec.indicators:
        value = _numeric(frame, ind.field, what)
        hidden = _hidden_mask(frame, ind, labels, value, what)
        shown = np.where(hidden, np.nan, value)
        best, worst = competition_ranks(value, lowest_first=ind.lowest_first)
        if ind.rank_low and ind.rank_high:
            low, high = _numeric(frame, ind.rank_low, what), _numeric(frame, ind.rank_high, what)
        else:
            low, high = best, worst
        if hidden.any():  # the hidden areas' ranks say only that they are among the hidden
            span = (np.nanmin(best[hidden]), np.nanmax(worst[hidden]))
            best, low, high = best.copy(), low.copy(), high.copy()
            best[hidden], low[hidden], high[hidden] = np.nan, span[0], span[1]
        finite = np.isfinite(value)
        average = float(value[finite].mean()) if finite.any() else float("nan")
        fmt = _fmt(value[finite])
        # whole numbers (counts) print whole; their average keeps three significant figures
        average_fmt = _fmt([average]) if finite.any() and np.all(value[finite] == np.round(value[finite])) else fmt
        hidden_total += int(hidden.sum())
        columns.append(dict(spec=ind, value=value, shown=shown, hidden=hidden, best=best, low=low, high=high,
                            average=average, fmt=fmt, average_fmt=average_fmt, ranked=int(finite.sum()),
                            label=labels.heading(ind.field) + (" (rank 1 = lowest)" if ind.lowest_first else "")))
    headers = ["Indicator", "This area", "City average", "Against the average", "Rank", "Rank range"]
    areas = []
    for i in range(n_areas):
        rows, facts = [], {}
        for col in columns:
            ind = col["spec"]
            if col["hidden"][i]:
                value_text, compare, rank = HIDDEN, "—", "—"
            elif not np.isfinite(col["value"][i]):
                value_text, compare, rank = "no value", "—", "—"
            else:
                value_text = col["fmt"](col["value"][i])
                compare = _compare(col["value"][i], col["average"])
                rank = f"{int(col['best'][i])} of {col['ranked']}"
            rows.append([col["label"], value_text, col["average_fmt"](col["average"]), compare, rank,
                         _range_text(col["low"][i], col["high"][i])])
            facts[ind.field] = {"value": None if col["hidden"][i] else float(col["value"][i]),
                                "average": col["average"], "rank": col["best"][i],
                                "rank_low": col["low"][i], "rank_high": col["high"][i], "ranked": col["ranked"]}
        head = columns[0]
        if np.isfinite(head["best"][i]):
            sentence = (f"{names[i]} ranks {int(head['best'][i])} of {head['ranked']} areas by "
                        f"{labels.label(head['spec'].field).lower()} (1 = "
                        f"{'lowest' if head['spec'].lowest_first else 'highest'}).")
        else:
            sentence = f"{names[i]} has no published {labels.label(head['spec'].field).lower()} to rank."
        areas.append(AreaProfile(name=names[i], row=i, sentence=sentence, rows=rows, facts=facts))
    suppressed = (f"{hidden_total} indicator values across the area profiles come from counts below {THRESHOLD}: "
                  f"each shows as '{HIDDEN}', without a rank." if hidden_total else "")
    method = ("Area profiles: the city average is the mean of the areas' values (each area once, areas "
              "without a value left out); rank 1 is the highest value unless the line says otherwise; tied "
              "areas share their best rank, and the rank range is the ranks a tie spans, or the range "
              "over the sensitivity runs where the analysis gives one.")
    return Atlas(title=spec.title, headers=headers, areas=areas,
                 averages={c["spec"].field: c["average"] for c in columns}, note=spec.note,
                 suppressed=suppressed, method=method)
