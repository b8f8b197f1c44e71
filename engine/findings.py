"""Findings for an evidence pack, QGIS-free: the findings file, human labels for fields, and
for each finding its plain-language paragraph (numbers computed from the data), its table
and what its map shows.

A findings file is JSON (it works the same from the toolbox, a model and ``qgis_process``:
one file parameter)::

    {"format": "joinedup-findings", "version": 1,
     "labels": {"pi_score": {"label": "Priority score", "units": "0-1"}},
     "findings": [{"kind": "ranking", "title": "Where to act first",
                   "layer": "priority_index.gpkg", "field": "pi_score", "name_field": "name",
                   "rank_low": "pi_rank_min", "rank_high": "pi_rank_max", "top_n": 10,
                   "note": "An optional sentence of the analyst's own."}]}

``layer`` (and ``after_layer``, ``areas``) are paths, relative to the findings file's folder,
optionally ``path|layername=name``. Kinds and their keys are in :data:`KINDS`. Every field a
finding prints needs a human label: the ``labels`` table first, else the layer's field alias;
a field with neither stops the pack (a raw field name is never printed).

Counts of people or events that a finding prints go through
:func:`engine.disclosure.protect_counts` (threshold 10, secondary suppression); the finding
says what was hidden and why.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from .classify import format_number
from .errors import InputError

FORMAT = "joinedup-findings"
THRESHOLD = 10
HIDDEN = f"fewer than {THRESHOLD}"
# kind -> (required keys, optional keys)
KINDS = {
    "ranking": (("layer", "field"), ("name_field", "rank_low", "rank_high", "top_n", "lowest_first")),
    "before_after": (("layer", "after_layer", "field", "total_field"), ("name_field", "top_n", "options_layer")),
    "hotspots": (("layer",), ("count_field", "class_field", "what")),
    "network_segments": (("layer", "field"), ("rank_field", "top_n", "count_fields", "rate_field",
                                              "rate_count", "rate_base")),
    "counts_table": (("layer", "areas", "area_name_field"), ("category_field", "what")),
    "options": (("layer", "sites_layer"), ("what", "cost_units", "rank_field")),
    "rounds": (("layer", "summary_layer"), ("what", "who", "current_name")),
}
COMMON = ("kind", "title", "note", "map_field")


@dataclass
class FindingSpec:
    kind: str
    title: str
    layer: str
    note: str = ""
    options: dict = field(default_factory=dict)

    def get(self, key, default=None):
        return self.options.get(key, default)


@dataclass
class FindingResult:
    """What the pack prints for one finding. ``table``: headers and rows (strings);
    ``map_field``/``map_label``/``map_units``: what the map page classifies; ``facts``: the
    numbers in the paragraph, by name (tests check them against the layers);
    ``suppressed``: what disclosure control hid and why ('' if nothing)."""
    title: str
    kind: str
    paragraph: str
    headers: list
    rows: list
    map_field: str = ""
    map_label: str = ""
    map_units: str = ""
    facts: dict = field(default_factory=dict)
    suppressed: str = ""
    note: str = ""
    table_title: str = ""
    map_values: object = None  # per feature of the mapped layer, when the map is derived


# --- the file ------------------------------------------------------------------------------

def read_findings(path: str):
    """Read and check a findings file. Returns ``(labels, [FindingSpec])`` with layer paths
    made absolute.

    Raises:
        InputError: not JSON, wrong format, unknown kind, a missing key."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InputError(f"The findings file {path} could not be read as JSON ({exc}).") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{path} is not a JoinedUp findings file (it needs \"format\": \"{FORMAT}\").")
    folder = os.path.dirname(os.path.abspath(path))
    labels = data.get("labels") or {}
    if not isinstance(labels, dict):
        raise InputError(f"{path}: \"labels\" must map field names to {{\"label\": …, \"units\": …}}.")
    specs = []
    for number, item in enumerate(data.get("findings") or [], start=1):
        where = f"{path}, finding {number}"
        if not isinstance(item, dict):
            raise InputError(f"{where}: each finding is an object with kind, title and layer.")
        kind = item.get("kind")
        if kind not in KINDS:
            raise InputError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
        required, optional = KINDS[kind]
        missing = [k for k in required + ("title",) if not item.get(k)]
        if missing:
            raise InputError(f"{where} ({kind}) needs {', '.join(missing)}.")
        unknown = sorted(set(item) - set(required) - set(optional) - set(COMMON))
        if unknown:
            raise InputError(f"{where} ({kind}) has unknown keys: {', '.join(unknown)}.")
        options = {k: v for k, v in item.items() if k not in ("kind", "title", "layer", "note")}
        for key in ("after_layer", "areas", "sites_layer", "summary_layer", "options_layer"):
            if key in options:
                options[key] = _absolute(options[key], folder)
        specs.append(FindingSpec(kind=kind, title=str(item["title"]).strip(),
                                 layer=_absolute(item["layer"], folder), note=str(item.get("note") or "").strip(),
                                 options=options))
    if not specs:
        raise InputError(f"{path} lists no findings.")
    return labels, specs


def _absolute(source: str, folder: str) -> str:
    path, bar, rest = str(source).partition("|")
    if not os.path.isabs(path):
        path = os.path.normpath(os.path.join(folder, path))
    return path + bar + rest


class Labels:
    """Human labels and units for fields: the findings file's table, then layer aliases."""

    def __init__(self, table: dict | None = None, aliases: dict | None = None):
        self.table = table or {}
        self.aliases = aliases or {}

    def with_aliases(self, aliases: dict) -> Labels:
        return Labels(self.table, {**self.aliases, **{k: v for k, v in aliases.items() if v}})

    def label(self, name: str) -> str:
        entry = self.table.get(name)
        if isinstance(entry, dict) and entry.get("label"):
            return str(entry["label"])
        if isinstance(entry, str) and entry:
            return entry
        if self.aliases.get(name):
            return str(self.aliases[name])
        raise InputError(f"The field {name!r} has no human label: give it one in the findings file's "
                         "\"labels\" table (or a field alias in its layer); the pack never prints "
                         "raw field names.")

    def units(self, name: str) -> str:
        entry = self.table.get(name)
        return str(entry.get("units") or "") if isinstance(entry, dict) else ""

    def is_count(self, name: str) -> bool:
        """True when the labels table marks the field as a count of people or events
        (``"count": true``): its values are then printed through disclosure control."""
        entry = self.table.get(name)
        return bool(entry.get("count")) if isinstance(entry, dict) else False

    def heading(self, name: str) -> str:
        units = self.units(name)
        return self.label(name) + (f" ({units})" if units else "")


# --- numbers in words ----------------------------------------------------------------------

def count_text(n) -> str:
    """A published count: a number, or the words for a hidden one."""
    return HIDDEN if n is None or not np.isfinite(n) else f"{int(round(n)):,}"


def percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def _numeric(frame, name, what):
    import pandas as pd

    if name not in frame.columns:
        raise InputError(f"{what} has no field {name!r}; its fields are: {', '.join(map(str, frame.columns))}.")
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _names(frame, name_field, what):
    if not name_field:
        return [f"Area {i + 1}" for i in range(len(frame))]
    if name_field not in frame.columns:
        raise InputError(f"{what} has no field {name_field!r}.")
    return [str(v) if v is not None and v == v and str(v).strip() else f"Area {i + 1}"
            for i, v in enumerate(frame[name_field])]


def _fmt(values, d=None):
    """A formatter for numbers like ``values``: whole numbers as such, else three
    significant figures for the largest value (0.899, 45.3, 1,232)."""
    finite = np.abs(np.asarray([v for v in np.atleast_1d(values) if np.isfinite(v)], dtype=float))
    if d is None:
        if finite.size == 0 or np.all(finite == np.round(finite)):
            d = 0
        else:
            d = int(min(6, max(0, 2 - np.floor(np.log10(finite.max() or 1.0)))))
    return lambda v: "—" if v is None or not np.isfinite(v) else format_number(v, d)


def _protected_formatter(values, fmt):
    """Row index -> text for a column of counts: values between 0 and the threshold read
    'fewer than 10' (primary suppression; the column has no published total)."""
    values = np.asarray(values, dtype=float)

    def show(i):
        v = values[i]
        return HIDDEN if np.isfinite(v) and 0 < round(v) < THRESHOLD else fmt(v)
    return show


# --- the kinds -----------------------------------------------------------------------------

def ranking(frame, spec: FindingSpec, labels: Labels) -> FindingResult:
    """Areas ranked by a score, with each one's rank range (e.g. from the priority index's
    sensitivity runs) when ``rank_low``/``rank_high`` are given."""
    what = spec.title
    f = spec.get("field")
    v = _numeric(frame, f, what)
    names = _names(frame, spec.get("name_field"), what)
    ok = np.flatnonzero(np.isfinite(v))
    if ok.size == 0:
        raise InputError(f"{what}: {labels.label(f)} has no values to rank.")
    highest = not spec.get("lowest_first", False)
    order = ok[np.argsort(-v[ok] if highest else v[ok], kind="stable")]
    top = order[: int(spec.get("top_n", 10))]
    fmt = _fmt(v[ok])
    low = _numeric(frame, spec.get("rank_low"), what) if spec.get("rank_low") else None
    high = _numeric(frame, spec.get("rank_high"), what) if spec.get("rank_high") else None
    label, units = labels.label(f), labels.units(f)
    unit = f" {units}" if units else ""
    word = "highest" if highest else "lowest"
    first = top[0]
    shown_first = (_protected_formatter(v, fmt) if labels.is_count(f) else (lambda i: fmt(v[i])))(first)
    text = (f"{ok.size:,} areas are ranked by {label.lower()}. The {word} is {names[first]} "
            f"({shown_first}{unit}).")
    facts = {"ranked": int(ok.size), "top_name": names[first], "top_value": float(v[first])}
    if low is not None and high is not None:
        steady = [i for i in top if np.isfinite(high[i]) and high[i] <= len(top)]
        widest = max(top, key=lambda i: (high[i] - low[i]) if np.isfinite(high[i] - low[i]) else -1)
        text += (f" Of the top {len(top)}, {len(steady)} stay in the top {len(top)} in every "
                 f"sensitivity run; {names[widest]} moves most, between rank "
                 f"{int(low[widest])} and {int(high[widest])}.")
        facts.update(steady=len(steady), widest_name=names[widest],
                     widest_low=int(low[widest]), widest_high=int(high[widest]))
    missing = len(frame) - ok.size
    if missing:
        text += f" {missing:,} areas have no value and are not ranked."
        facts["missing"] = int(missing)
    headers = ["Rank", "Area", labels.heading(f)]
    show = _protected_formatter(v, fmt) if labels.is_count(f) else (lambda i: fmt(v[i]))
    rows = [[str(k + 1), names[i], show(i)] for k, i in enumerate(top)]
    if low is not None and high is not None:
        headers.append("Rank range")
        for row, i in zip(rows, top, strict=True):
            row.append(f"{int(low[i])}–{int(high[i])}" if np.isfinite(low[i]) and np.isfinite(high[i]) else "—")
    return FindingResult(spec.title, spec.kind, text, headers, rows, map_field=f, map_label=label,
                         map_units=units, facts=facts, note=spec.note,
                         table_title=f"The {len(top)} areas with the {word} {label.lower()}")


def before_after(before, after, spec: FindingSpec, labels: Labels, options=None) -> FindingResult:
    """One quantity per area before and after a change (e.g. residents beyond 800 m of a
    clinic now and with the proposed sites), as totals and shares of ``total_field``.
    ``options``: the location-allocation OPTIONS table behind the change (``options_layer``),
    for the first new site's share of the gain (:func:`first_site_share`)."""
    what = spec.title
    f, t = spec.get("field"), spec.get("total_field")
    if len(before) != len(after):
        raise InputError(f"{what}: the before and after layers have different numbers of areas "
                         f"({len(before)} and {len(after)}).")
    b, a = _numeric(before, f, what), _numeric(after, f, what)
    total = _numeric(before, t, what)
    ok = np.isfinite(b) & np.isfinite(a) & np.isfinite(total)
    names = _names(before, spec.get("name_field"), what)
    b_sum, a_sum, t_sum = b[ok].sum(), a[ok].sum(), total[ok].sum()
    if not t_sum > 0:
        raise InputError(f"{what}: {labels.label(t)} sums to zero.")
    label, units = labels.label(f), labels.units(f)
    unit = f" {units}" if units else ""
    change = b - a
    fmt = _fmt(np.r_[b[ok], a[ok]], 0)
    text = (f"{label}: {fmt(b_sum)}{unit} now ({percent(b_sum / t_sum)} of {fmt(t_sum)} "
            f"{labels.label(t).lower()}), {fmt(a_sum)}{unit} after ({percent(a_sum / t_sum)}), "
            f"{fmt(abs(b_sum - a_sum))} {'fewer' if a_sum <= b_sum else 'more'}.")
    gained = np.flatnonzero(ok & (change > 0))
    order = gained[np.argsort(-change[gained], kind="stable")][: int(spec.get("top_n", 10))]
    if order.size:
        share = change[order].sum() / (b_sum - a_sum) if b_sum > a_sum else float("nan")
        text += (f" {gained.size:,} areas gain; the {order.size} that gain most account for "
                 f"{percent(share)} of the change.") if np.isfinite(share) else ""
    facts = {"before": float(b_sum), "after": float(a_sum), "total": float(t_sum),
             "before_share": float(b_sum / t_sum), "after_share": float(a_sum / t_sum),
             "areas_gaining": int(gained.size)}
    first = first_site_share(options, b_sum - a_sum) if options is not None else None
    if first is not None:
        facts["first_site_share"] = first
        text += f" The first site accounts for {100 * first:.0f} % of that gain."
    headers = ["Area", f"Before ({units})" if units else "Before", f"After ({units})" if units else "After",
               "Change"]
    if labels.is_count(f):  # per-area counts of people: small ones (and changes that reveal them) hidden
        b_show, a_show = _protected_formatter(b, fmt), _protected_formatter(a, fmt)
        rows = [[names[i], b_show(i), a_show(i),
                 fmt(-change[i]) if HIDDEN not in (b_show(i), a_show(i)) else HIDDEN] for i in order]
    else:
        rows = [[names[i], fmt(b[i]), fmt(a[i]), fmt(-change[i])] for i in order]
    return FindingResult(spec.title, spec.kind, text, headers, rows, map_field=f, map_label=label,
                         map_units=units, facts=facts, note=spec.note,
                         table_title=f"The areas that gain most ({label.lower()})")


def first_site_share(options, gain: float):
    """The first new site's share of ``gain`` (the demand a change newly covers), from a
    location-allocation OPTIONS table: the best option whose covered demand over the existing
    sites' is ``gain`` (so the table describes this very change), against the best 1-site
    option, when that site is one of the option's (the sites are added in order). None when
    the table does not describe the change, the sites are not nested, or either part of the
    gain is a count between 1 and 9 (the share would give it away)."""
    import pandas as pd

    if not gain > 0 or not {"kind", "new_sites", "sites", "covered_demand"} <= set(options.columns):
        return None
    kind = options["kind"].astype(str)
    covered = pd.to_numeric(options["covered_demand"], errors="coerce")
    base = covered[kind == "existing"]
    if base.empty:
        return None
    best = options[(kind == "best") & (covered - float(base.iloc[0]) - gain).abs().lt(0.5)]
    one = options[(kind == "best") & (pd.to_numeric(options["new_sites"], errors="coerce") == 1)]
    if best.empty or one.empty:
        return None

    def sites(text):
        return [s.strip() for s in str(text).split(",") if s.strip()]
    if not set(sites(one["sites"].iloc[0])) <= set(sites(best["sites"].iloc[0])):
        return None
    first = float(covered[one.index[0]]) - float(base.iloc[0])
    rest = gain - first
    if any(0 < round(part) < THRESHOLD for part in (first, rest)):
        return None
    return first / gain


def hotspots(frame, spec: FindingSpec, labels: Labels) -> FindingResult:
    """Where events concentrate, from a ``joinedup:hotspots`` layer: cells per class and the
    published counts in them (hidden cells are counted as cells, never as events)."""
    what_events = spec.get("what", "events")
    cls = spec.get("class_field", "gi_class")
    count = spec.get("count_field", "point_count")
    if cls not in frame.columns:
        raise InputError(f"{spec.title}: the layer has no class field {cls!r} (a joinedup:hotspots output?).")
    counts = _numeric(frame, count, spec.title)
    classes = frame[cls].astype(str).to_numpy()
    order = ["Hot spot 99%", "Hot spot 95%", "Hot spot 90%", "Not significant", "Cold spot 90%",
             "Cold spot 95%", "Cold spot 99%", "No neighbours"]
    rows, facts = [], {"cells": int(len(frame))}
    for name in order + sorted(set(classes) - set(order)):
        sel = classes == name
        if not sel.any():
            continue
        shown = counts[sel][np.isfinite(counts[sel])]
        hidden = int((~np.isfinite(counts[sel])).sum())
        rows.append([name, f"{int(sel.sum()):,}", f"{shown.sum():,.0f}" if shown.size else "—",
                     f"{hidden:,}"])
        facts[name] = {"cells": int(sel.sum()), "published": float(shown.sum()), "hidden_cells": hidden}
    hot = np.char.startswith(classes.astype(str), "Hot spot")
    hot_counts = counts[hot]
    shown_hot = hot_counts[np.isfinite(hot_counts)].sum()
    all_shown = counts[np.isfinite(counts)].sum()
    hidden_hot = int((~np.isfinite(hot_counts)).sum())
    text = (f"{int(hot.sum()):,} of {len(frame):,} grid cells are hot spots (Getis-Ord Gi*, 90 % "
            f"confidence or more). They hold at least {shown_hot:,.0f} {what_events}, "
            f"{percent(shown_hot / all_shown) if all_shown else '—'} of the {all_shown:,.0f} "
            f"counted in cells whose counts are published, on {percent(hot.sum() / len(frame))} of the cells.")
    if hidden_hot:
        text += f" {hidden_hot} hot-spot cells have fewer than {THRESHOLD} {what_events} each (not shown)."
    facts.update(hot_cells=int(hot.sum()), hot_published=float(shown_hot), published=float(all_shown))
    hidden_all = int((~np.isfinite(counts)).sum())
    suppressed = (f"{hidden_all} of {len(frame)} cells hold fewer than {THRESHOLD} {what_events}: their "
                  "counts are hidden (with any cell that would let them be worked out from the total), "
                  "and the hot-spot test itself was run on the published counts, so no number here "
                  "reveals them.") if hidden_all else ""
    return FindingResult(spec.title, spec.kind, text,
                         ["Class", "Cells", f"{what_events.capitalize()} (published counts)",
                          "Cells with a hidden count"], rows, map_field=cls, map_label="Hot-spot class",
                         facts=facts, suppressed=suppressed, note=spec.note,
                         table_title="Cells by hot-spot class")


def network_segments(frame, spec: FindingSpec, labels: Labels) -> FindingResult:
    """The top street segments by a measure (e.g. lorry × cycle exposure), their counts under
    disclosure control, and one rate over the whole group (a rate per segment from a count
    below the threshold would give the count away)."""
    import pandas as pd

    from .disclosure import protect_counts

    what = spec.title
    f = spec.get("field")
    v = _numeric(frame, f, what)
    n_top = int(spec.get("top_n", 20))
    rank_field = spec.get("rank_field")
    ok = np.flatnonzero(np.isfinite(v))
    if rank_field:
        r = _numeric(frame, rank_field, what)
        ok = np.flatnonzero(np.isfinite(r))
        order = ok[np.argsort(r[ok], kind="stable")][:n_top]
    else:
        order = ok[np.argsort(-v[ok], kind="stable")][:n_top]
    if order.size == 0:
        raise InputError(f"{what}: no segment has a value of {labels.label(f).lower()}.")
    count_fields = list(spec.get("count_fields") or [])
    counts = pd.DataFrame({c: np.nan_to_num(_numeric(frame, c, what)[order]) for c in count_fields},
                          index=[f"Segment {k + 1}" for k in range(order.size)])
    headers = ["Rank", "Length (m)" if "length_m" in frame.columns else "Segment", labels.heading(f)]
    fmt = _fmt(v[order])
    rows = [[str(k + 1), (f"{float(frame['length_m'].iloc[i]):,.0f}" if "length_m" in frame.columns else str(i)),
             fmt(v[i])] for k, i in enumerate(order)]
    suppressed, facts = "", {"segments": int(order.size), "top_value": float(v[order[0]])}
    if count_fields:
        protected = protect_counts(counts, threshold=THRESHOLD, totals=True)
        pub = protected.published
        headers += [labels.label(c) for c in count_fields]
        for k, row in enumerate(rows):
            row += [count_text(pub.iloc[k][c]) for c in count_fields]
        n_hidden = len(protected.report)
        if n_hidden:
            suppressed = (f"{n_hidden} counts in the segment table are below {THRESHOLD} or would let "
                          f"one be worked out from the totals: shown as '{HIDDEN}'.")
        totals = {c: float(counts[c].sum()) for c in count_fields}
        facts["totals"] = totals
    label = labels.label(f)
    text = (f"These are the {order.size} street segments with the highest {label.lower()} "
            f"({fmt(v[order[-1]])} to {fmt(v[order[0]])}).")
    rate_count, rate_base = spec.get("rate_count"), spec.get("rate_base")
    if rate_count and rate_base:
        c_total = float(np.nan_to_num(_numeric(frame, rate_count, what)[order]).sum())
        base = float(np.nan_to_num(_numeric(frame, rate_base, what)[order]).sum())
        facts.update(rate_count=c_total, rate_base=base)
        base_label = labels.label(rate_base).lower()
        if c_total >= THRESHOLD and base > 0:
            rate = c_total / base * 1e6
            facts["rate_per_million"] = rate
            text += (f" Together they saw {c_total:,.0f} {labels.label(rate_count).lower()} over "
                     f"{base:,.0f} {base_label}: {rate:,.0f} per million.")
        else:
            text += (f" Together they saw {HIDDEN} {labels.label(rate_count).lower()} over "
                     f"{base:,.0f} {base_label}, too few for a published rate per million "
                     f"(the count is below the disclosure threshold of {THRESHOLD}).")
    return FindingResult(spec.title, spec.kind, text, headers, rows, map_field=f, map_label=label,
                         map_units=labels.units(f), facts=facts, suppressed=suppressed, note=spec.note,
                         table_title=f"The {order.size} segments, highest first")


def counts_table(points, areas, spec: FindingSpec, labels: Labels, *, area_of_point) -> FindingResult:
    """Points (e.g. properties to visit) as counts per area and category under disclosure
    control: never a point's own attributes. ``area_of_point``: the row of ``areas`` each
    point falls in (-1 outside every area), computed by the caller's spatial join."""
    import pandas as pd

    from .disclosure import protect_counts

    what = spec.get("what", "features")
    names = _names(areas, spec.get("area_name_field"), spec.title)
    area_of_point = np.asarray(area_of_point)
    cat = spec.get("category_field")
    if cat:
        if cat not in points.columns:
            raise InputError(f"{spec.title}: the layer has no field {cat!r}.")
        # data values as column headings: underscores read as spaces (and let the words wrap)
        categories = points[cat].astype(str).str.replace("_", " ").to_numpy()
    else:
        categories = np.array([what.capitalize()] * len(points))
    inside = area_of_point >= 0
    frame = pd.crosstab(pd.Series(area_of_point[inside], name="area"),
                        pd.Series(categories[inside], name="category"))
    frame = frame.reindex(range(len(areas)), fill_value=0)
    frame.index = names
    protected = protect_counts(frame, threshold=THRESHOLD, totals=True)
    pub = protected.published
    total_label = pub.index[-1] if len(frame) > 1 else None
    body = pub.iloc[:-1] if total_label else pub
    shown = body[(body.fillna(1) > 0).any(axis=1)]
    cols = list(frame.columns)
    headers = ["Area"] + cols + (["All"] if len(cols) > 1 else [])
    rows = [[str(name)] + [count_text(r[c]) for c in pub.columns] for name, r in shown.iterrows()]
    if total_label:
        rows.append(["All areas"] + [count_text(v) for v in pub.iloc[-1]])
    grand = pub.iloc[-1].iloc[-1] if total_label else float(frame.to_numpy().sum())
    outside = int((~inside).sum())
    areas_with = int((frame.sum(axis=1) > 0).sum())
    text = (f"{count_text(grand)} {what} in {areas_with:,} of {len(areas):,} areas. The table "
            f"gives counts per area only, never addresses.")
    if outside:
        published_outside = protect_counts(pd.Series([outside]), threshold=THRESHOLD).published.iloc[0, 0]
        text += f" {count_text(published_outside)} lie outside every area."
    n_hidden = len(protected.report)
    suppressed = (f"{protected.suppressed_primary} counts below {THRESHOLD} are hidden and "
                  f"{protected.suppressed_secondary} more so that they cannot be worked out from the "
                  f"totals; each shows as '{HIDDEN}'." if n_hidden else "")
    facts = {"total": float(frame.to_numpy().sum()), "areas_with": areas_with, "outside": outside,
             "hidden": n_hidden}
    per_area = body[pub.columns[-1]].to_numpy(dtype=float)  # the published total of each area
    return FindingResult(spec.title, spec.kind, text, headers, rows, facts=facts, suppressed=suppressed,
                         note=spec.note, table_title=f"{what.capitalize()} per area",
                         map_field="published_count", map_label=f"{what.capitalize()} per area",
                         map_values=per_area)


def options(frame, spec: FindingSpec, labels: Labels) -> FindingResult:
    """Investment options from a ``joinedup:locationallocation`` OPTIONS table: demand covered
    and travel cost per option, and what each extra site buys. Amounts of people below the
    threshold are not printed."""
    import pandas as pd

    from .disclosure import protect_counts

    needed = ["option", "kind", "new_sites", "served_demand", "covered_demand", "mean_cost", "max_cost",
              "gain_demand"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(f"{spec.title}: the layer is not a location-allocation OPTIONS table "
                         f"(missing {', '.join(missing)}).")
    what = spec.get("what", "people")
    unit = spec.get("cost_units", "")
    covered = pd.to_numeric(frame["covered_demand"], errors="coerce")
    measure = covered if covered.notna().all() else pd.to_numeric(frame["served_demand"], errors="coerce")
    gains = pd.to_numeric(frame["gain_demand"], errors="coerce")
    amounts = pd.DataFrame({"covered": measure.fillna(0).round(), "gain": gains.fillna(0).clip(lower=0).round()})
    published = protect_counts(amounts, threshold=THRESHOLD, totals=False).published.iloc[: len(frame)]
    mean = pd.to_numeric(frame["mean_cost"], errors="coerce").to_numpy(float)
    fmt_cost = _fmt(mean, 0)
    rows = []
    for k, r in frame.reset_index(drop=True).iterrows():
        gain = "—" if pd.isna(r["gain_demand"]) else count_text(published["gain"].iloc[k])
        pct = r.get("covered_pct")
        rows.append([str(r["option"]), str(int(r["new_sites"])), count_text(published["covered"].iloc[k]),
                     "—" if pct is None or pd.isna(pct) else f"{float(pct):.1f}",
                     fmt_cost(float(r["mean_cost"])), fmt_cost(float(r["max_cost"])), gain])
    cost_unit = f" ({unit})" if unit else ""
    headers = ["Option", "New sites", f"{what.capitalize()} covered", "Covered (%)", f"Mean travel{cost_unit}",
               f"Longest travel{cost_unit}", "Gain over the step before"]
    best = frame["kind"].astype(str).to_numpy() == "best"
    base = np.flatnonzero(frame["kind"].astype(str).to_numpy() == "existing")
    facts = {"options": int(len(frame))}
    text = ""
    if base.size:
        i = int(base[0])
        text += (f"With the existing sites alone, {count_text(published['covered'].iloc[i])} {what} "
                 f"({float(frame['covered_pct'].iloc[i]):.1f} %) are covered. ") if "covered_pct" in frame.columns \
            and pd.notna(frame["covered_pct"].iloc[i]) else ""
    if best.any():
        steps = np.flatnonzero(best)
        ordinals = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"]
        bought = [f"the {ordinals[k] if k < len(ordinals) else str(k + 1) + 'th'} "
                  f"{count_text(published['gain'].iloc[i])}" for k, i in enumerate(steps)]
        text += f"What each extra site buys, in {what} newly covered: " + ", ".join(bought) + "."
        last = int(steps[-1])
        text += (f" With {int(frame['new_sites'].iloc[last])} new sites, mean travel falls from "
                 f"{fmt_cost(mean[int(base[0])] if base.size else mean[int(steps[0])])} to "
                 f"{fmt_cost(mean[last])}{(' ' + unit) if unit else ''}.")
        facts.update(gains=[float(gains.iloc[i]) for i in steps], mean_last=float(mean[last]))
    named = frame["kind"].astype(str).to_numpy() == "named"
    for i in np.flatnonzero(named):
        text += (f" The option '{frame['option'].iloc[i]}' ({int(frame['new_sites'].iloc[i])} sites) covers "
                 f"{count_text(published['covered'].iloc[i])} {what}.")
    hidden = int(published.isna().to_numpy().sum())
    return FindingResult(spec.title, spec.kind, text.strip(), headers, rows, map_field=spec.get("rank_field", "rank"),
                         map_label="Sites", facts=facts, note=spec.note,
                         suppressed=(f"{hidden} amounts of {what} below {THRESHOLD} are shown as '{HIDDEN}'."
                                     if hidden else ""),
                         table_title="Options compared")


def rounds(routes, summary, spec: FindingSpec) -> FindingResult:
    """Vehicle rounds from ``joinedup:routeoptimisation``: visits a day, distance and
    vehicle-hours of the optimised plan beside today's rounds (the summary's ``current`` row,
    when it has one) and what the plan saves. ``routes`` is the ROUTES layer (mapped by each
    round's distance), ``summary`` the SUMMARY table. Counts and distances only: no stop and no
    address is printed."""
    import pandas as pd

    needed = ["plan", "vehicles_available", "vehicles_used", "jobs_served", "jobs_unassigned", "distance_km",
              "vehicle_hours"]
    missing = [c for c in needed if c not in summary.columns]
    if missing or "distance_km" not in routes.columns:
        raise InputError(f"{spec.title}: the layers are not route optimisation ROUTES and SUMMARY outputs "
                         f"(missing {', '.join(missing or ['distance_km in the routes'])}).")
    plans = {str(r["plan"]): r for _, r in summary.iterrows()}
    if "optimised" not in plans:
        raise InputError(f"{spec.title}: the summary has no 'optimised' row.")
    what, who = spec.get("what", "visits"), spec.get("who", "vehicles")
    current_name = spec.get("current_name", "today's rounds")
    plan = plans["optimised"]
    km = hours = _fmt([0.0], 1)

    def n(r, key):
        return int(round(float(r[key])))

    text = (f"The optimised rounds make {n(plan, 'jobs_served'):,} {what} in a day with {n(plan, 'vehicles_used')} "
            f"of {n(plan, 'vehicles_available')} {who}, over {km(float(plan['distance_km']))} km and "
            f"{hours(float(plan['vehicle_hours']))} {who.rstrip('s')}-hours.")
    facts = {"visits_per_day": n(plan, "jobs_served"), "distance_km": float(plan["distance_km"]),
             "vehicle_hours": float(plan["vehicle_hours"]), "not_in_a_route": n(plan, "jobs_unassigned")}
    headers = ["Rounds", what.capitalize(), "Not visited", "Distance (km)", f"{who.rstrip('s').capitalize()}-hours"]
    rows = [["Optimised", f"{n(plan, 'jobs_served'):,}", f"{n(plan, 'jobs_unassigned'):,}",
             km(float(plan["distance_km"])), hours(float(plan["vehicle_hours"]))]]
    current = plans.get("current")
    if current is not None:
        saved_km = float(current["distance_km"]) - float(plan["distance_km"])
        saved_h = float(current["vehicle_hours"]) - float(plan["vehicle_hours"])
        text += (f" Visiting in {current_name} makes {n(current, 'jobs_served'):,} {what} over "
                 f"{km(float(current['distance_km']))} km and {hours(float(current['vehicle_hours']))} "
                 f"{who.rstrip('s')}-hours: the optimised rounds save {km(saved_km)} km and {hours(saved_h)} "
                 f"{who.rstrip('s')}-hours a day.")
        if n(current, "jobs_served") != n(plan, "jobs_served"):
            text += " The two do not make the same visits, so the saving compares unequal days."
        facts.update(current_visits=n(current, "jobs_served"), current_distance_km=float(current["distance_km"]),
                     saved_km=saved_km, saved_vehicle_hours=saved_h)
        rows.append([current_name.capitalize(), f"{n(current, 'jobs_served'):,}",
                     f"{n(current, 'jobs_unassigned'):,}", km(float(current["distance_km"])),
                     hours(float(current["vehicle_hours"]))])
        rows.append(["Saved a day", "", "", km(saved_km), hours(saved_h)])
    if facts["not_in_a_route"]:
        text += (f" {facts['not_in_a_route']:,} {what} are not in an optimised round; the unassigned output "
                 "gives each one's reason.")
    if pd.to_numeric(routes["distance_km"], errors="coerce").isna().all():
        raise InputError(f"{spec.title}: the routes have no distances to map.")
    return FindingResult(spec.title, spec.kind, text, headers, rows, map_field="distance_km",
                         map_label="Round distance", map_units="km", facts=facts, note=spec.note,
                         table_title="The rounds compared")
