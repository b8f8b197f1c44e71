"""One row per property (UPRN) from several agency tables linked to UPRNs, and a ranked
targeting list with the evidence trail. No QGIS: rules are QGIS expressions evaluated by the
processing layer, which hands this module one boolean array per rule.

Per source ``s`` the profile has ``s_present`` (0/1), ``s_records`` (count), ``s_last_seen``
(latest date, text YYYY-MM-DD, when the source has a date field) and ``s_<field>`` for each
chosen field: the value of the source's most recent record for that property (the last one
in the table when there is no date).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputError, as_feedback

DATE_NAME = re.compile(r"date|updated|_on$|seen|registered|modified|reading", re.IGNORECASE)
# Fields that linkage adds, or that hold an address: not carried into a profile by default.
LINKAGE_FIELDS = {"SOURCE_ROW", "matched_uprn", "match_status", "match_method", "match_weight",
                  "match_probability", "weight_gap", "ambiguous", "candidate_uprn",
                  "matched_address", "unmatched_reason", "note", "geometry", "fid", "match_level"}
# How each source's latest record was linked: always carried when the source has it, so rules
# can require a link at the addressed unit ("council_tax_match_level" = 'uprn').
LINK_QUALITY_FIELDS = ("match_level", "match_method", "match_weight")
# Fields the profile makes per source; a carried field of the same name is renamed.
MADE_PER_SOURCE = ("present", "records", "last_seen", "dates_unparsed")
ADDRESS_NAME = re.compile(r"address|postcode|street|line_?\d|town|uprn|record_id|^id$",
                          re.IGNORECASE)


def source_key(name: str) -> str:
    """A field-name prefix from a layer name: 'Council tax 2026.csv' -> 'council_tax_2026'."""
    key = re.sub(r"\.(csv|gpkg|xlsx|ods|txt|shp)$", "", str(name), flags=re.IGNORECASE)
    key = re.sub(r"[^0-9a-zA-Z]+", "_", key).strip("_").lower() or "source"
    return ("s_" + key) if key[0].isdigit() else key


@dataclass
class ProfileReport:
    sources: dict = field(default_factory=dict)    # key -> {records, linked, properties, date_field, fields,
    #                                                 dates_unparsed, renamed}
    properties: int = 0

    def describe(self) -> list:
        lines = [f"{self.properties} properties profiled from {len(self.sources)} sources"]
        for key, s in self.sources.items():
            lines.append(f"  {key}: {s['records']} records, {s['linked']} with a UPRN "
                         f"({s['records'] - s['linked']} without one left out), {s['properties']} properties"
                         + (f", dated by {s['date_field']}" if s['date_field'] else ", no date field")
                         + (f", fields {', '.join(s['fields'])}" if s['fields'] else ""))
            if s.get("dates_unparsed"):
                lines.append(f"  {key}: {s['dates_unparsed']} values of {s['date_field']} are not dates "
                             "(read day first, as UK agencies write them, unless YYYY-MM-DD); those "
                             "records count as undated")
            for old, new in s.get("renamed", {}).items():
                lines.append(f"  {key}: field '{old}' carried as {key}_{new} (its own name is one the "
                             "profile makes)")
        return lines


def _uprn_key(series: pd.Series) -> pd.Series:
    """UPRNs as text keys, one spelling per property: a whole number written as ' 123 ',
    '123.0' or '1.23e2' (as spreadsheets and CSV exports write them) is '123'; other text
    is kept, trimmed; empty is null."""
    text = series.astype("string").str.strip()
    number = pd.to_numeric(text, errors="coerce")
    whole = number.notna() & (number % 1 == 0) & (number.abs() < 2 ** 53)
    if whole.any():
        text = text.mask(whole, number[whole].astype("int64").astype("string"))
    return text.where(text.str.len() > 0)


_ISO_DATE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}([ T].*)?$")


def parse_dates(series: pd.Series):
    """Dates as UK agencies write them: day first ('03/04/2025' is 3 April), unless ISO
    ('2025-04-03'). Returns ``(datetimes, how many non-empty values did not parse)``."""
    text = series.astype("string").str.strip()
    present = text.notna() & (text.str.len() > 0)
    iso = text.str.match(_ISO_DATE).fillna(False).astype(bool)
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    if iso.any():
        out[iso] = pd.to_datetime(text[iso].str[:10], errors="coerce", format="%Y-%m-%d")
    rest = present & ~iso
    if rest.any():
        out[rest] = pd.to_datetime(text[rest], errors="coerce", format="mixed", dayfirst=True)
    return out, int((present & out.isna()).sum())


def build_profile(sources: dict, *, uprn_field: str = "matched_uprn", date_fields=None,
                  fields=None, exclude_fields=(), feedback=None):
    """One row per UPRN found in any source.

    Args:
        sources: ``{key: DataFrame}`` (keys become field prefixes; see :func:`source_key`).
        uprn_field: the field holding the UPRN in every source ('uprn' is tried when absent).
        date_fields: candidate date field names; the first one a source has dates it. None:
            the first field whose name looks like a date (date, updated, registered ...).
        fields: fields to carry per source (those a source has). None: every field that is
            not an address, linkage, UPRN, date or excluded field.
        exclude_fields: never carried (e.g. direct identifiers).

    Returns ``(profile DataFrame with 'uprn' first, ProfileReport)``.

    Raises:
        InputError: no sources, a source without the UPRN field, or no linked record at all.
    """
    fb = as_feedback(feedback)
    if not sources:
        raise InputError("Choose at least one linked agency table.")
    report = ProfileReport()
    pieces = []
    exclude = set(exclude_fields)
    for i, (key, frame) in enumerate(sources.items()):
        fb.check()
        ufield = uprn_field if uprn_field in frame.columns else ("uprn" if "uprn" in frame.columns else None)
        if ufield is None:
            raise InputError(f"{key}: no field named '{uprn_field}' (nor 'uprn'). Link the table with "
                             "'Link addresses to UPRNs' first, or name its UPRN field. Fields: "
                             + ", ".join(map(str, frame.columns)))
        uprn = _uprn_key(frame[ufield])
        linked = uprn.notna()
        if date_fields:
            dfield = next((f for f in date_fields if f in frame.columns), None)
        else:
            dfield = next((c for c in frame.columns if isinstance(c, str) and DATE_NAME.search(c)
                           and c not in LINKAGE_FIELDS), None)
        if fields:
            carry = [f for f in fields if f in frame.columns and f != ufield]
        else:
            carry = [c for c in frame.columns if isinstance(c, str) and c not in LINKAGE_FIELDS
                     and c != ufield and c != dfield and c not in exclude and not ADDRESS_NAME.search(c)]
        carry = [c for c in carry if c not in exclude or fields]
        carry += [c for c in LINK_QUALITY_FIELDS if c in frame.columns and c not in carry]
        part = pd.DataFrame({"uprn": uprn[linked].to_numpy()})
        part["_order"] = np.arange(int(linked.sum()))
        unparsed = 0
        if dfield:
            dates, unparsed = parse_dates(frame.loc[linked, dfield])
            part["_date"] = dates.to_numpy()
        else:
            part["_date"] = pd.NaT
        for c in carry:
            part[c] = frame.loc[linked, c].to_numpy()
        part = part.sort_values(["uprn", "_date", "_order"], na_position="first", kind="stable")
        grouped = part.groupby("uprn", sort=False)
        prof = pd.DataFrame({f"{key}_present": 1, f"{key}_records": grouped.size()})
        if dfield:
            last = grouped["_date"].max()
            prof[f"{key}_last_seen"] = last.dt.strftime("%Y-%m-%d").where(last.notna(), None)
        latest = grouped.tail(1).set_index("uprn")
        renamed = {}
        for c in carry:
            name = str(c)
            while f"{key}_{name}" in prof.columns or name in MADE_PER_SOURCE:
                name += "_field"
            if name != c:
                renamed[c] = name
            prof[f"{key}_{name}"] = latest[c].reindex(prof.index)
        pieces.append(prof)
        report.sources[key] = {"records": len(frame), "linked": int(linked.sum()), "properties": len(prof),
                               "date_field": dfield, "fields": carry, "dates_unparsed": unparsed,
                               "renamed": renamed}
        fb.set_progress((i + 1) / len(sources))
    profile = pd.concat(pieces, axis=1, join="outer", sort=True)
    clash = sorted(set(profile.columns[profile.columns.duplicated()]))
    if clash:
        raise InputError(f"Two sources make the same profile field ({', '.join(clash)}): a source's "
                         "name followed by a field of it reads like another source's name and field. "
                         "Rename one of the layers.")
    if profile.empty:
        raise InputError("No record in any source has a UPRN: nothing to profile.")
    for key in sources:
        profile[f"{key}_present"] = profile[f"{key}_present"].fillna(0).astype(np.int64)
        profile[f"{key}_records"] = profile[f"{key}_records"].fillna(0).astype(np.int64)
    profile.index.name = "uprn"
    profile = profile.reset_index()
    report.properties = len(profile)
    return profile, report


@dataclass
class Rule:
    """A named flag with a weight; ``fields`` are the profile fields its expression uses."""
    name: str
    weight: float
    expression: str
    fields: list = field(default_factory=list)


_RULE_LINE = re.compile(r"^\s*([^|]+?)\s*\|(?!\|)\s*(?:([-+]?\d+(?:\.\d*)?)\s*\|(?!\|))?\s*(.*)$")


def parse_rules(text: str) -> list:
    """Rules, one per line: ``name | weight | expression`` (weight optional: ``name | expression``
    weighs 1). Blank lines and lines starting with # are skipped.

    Raises:
        InputError: a line without a name or expression, or a weight that is not a number.
    """
    rules = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        match = _RULE_LINE.match(line)
        if not match:
            raise InputError(f"Rule line {number} ({line.strip()!r}) needs 'name | weight | expression'.")
        name, weight, expression = match.group(1).strip(), match.group(2) or "1", match.group(3).strip()
        if not name or not expression:
            raise InputError(f"Rule line {number} ({line.strip()!r}) needs a name and an expression.")
        rules.append(Rule(name=name, weight=float(weight), expression=expression))
    if not rules:
        raise InputError("Write at least one rule: 'name | weight | QGIS expression', one per line.")
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise InputError(f"Rule names must differ: {', '.join(n for n in names if names.count(n) > 1)}.")
    return rules


def _show(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "NULL"
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def rank_targets(profile: pd.DataFrame, rules: list, flags: dict, *, keep_fields=("uprn",),
                 min_score: float = 0.0) -> pd.DataFrame:
    """The targeting list: properties flagged by at least one rule with a total weight above
    ``min_score``, ranked by score (then by number of rules, then UPRN).

    ``flags`` maps each rule name to a boolean array over ``profile`` rows (True: the rule
    holds; NULL results count as False). Columns: ``rank``, ``keep_fields``, ``score``,
    ``rules`` (names that fired), ``evidence`` (per rule, the values of the fields it used),
    then only the profile fields the rules used.
    """
    n = len(profile)
    score = np.zeros(n)
    fired_names = [[] for _ in range(n)]
    evidence = [[] for _ in range(n)]
    used = []
    for rule in rules:
        mask = np.asarray(flags[rule.name], dtype=bool)
        if mask.shape != (n,):
            raise InputError(f"Rule {rule.name!r}: expected {n} results, got {mask.shape}.")
        score += rule.weight * mask
        cols = [c for c in rule.fields if c in profile.columns]
        used += [c for c in cols if c not in used]
        values = profile[cols].iloc[np.flatnonzero(mask)] if cols else None
        for j, row in zip(np.flatnonzero(mask), range(int(mask.sum())), strict=False):
            fired_names[j].append(rule.name)
            detail = ", ".join(f"{c}={_show(values.iat[row, k])}" for k, c in enumerate(cols)) if cols else ""
            evidence[j].append(f"{rule.name}: {detail}" if detail else rule.name)
    chosen = np.flatnonzero((score > min_score) & np.array([bool(f) for f in fired_names]))
    keep = [c for c in keep_fields if c in profile.columns]
    out = profile.iloc[chosen][keep + [c for c in used if c not in keep]].copy()
    out.insert(len(keep), "score", score[chosen])
    out.insert(len(keep) + 1, "rules", ["; ".join(fired_names[j]) for j in chosen])
    out.insert(len(keep) + 2, "evidence", [" | ".join(evidence[j]) for j in chosen])
    out["_n"] = [len(fired_names[j]) for j in chosen]
    out = out.sort_values(["score", "_n", "uprn"], ascending=[False, False, True], kind="stable")
    out = out.drop(columns="_n")
    out.insert(0, "rank", np.arange(1, len(out) + 1, dtype=np.int64))
    return out.reset_index(drop=True)


def place_profile(profile: pd.DataFrame, reference, *, uprn_field: str, address_fields=()):
    """Each profiled UPRN's address and point from the gazetteer ``reference`` (a
    GeoDataFrame): ``(address, geometry, warnings)``. ``address`` is a list beside the
    profile's rows (None where the UPRN is not in the gazetteer), or None when no address
    fields are given; ``geometry`` a GeoSeries in the gazetteer's CRS with None where there is
    no point. The first gazetteer row of a UPRN listed twice is used. Nothing is dropped: a
    UPRN the gazetteer lacks, or holds without a point, stays in the profile and is counted in
    ``warnings``."""
    import geopandas as gpd

    from .linkage import _join_fields

    keys = _uprn_key(reference[uprn_field])
    first = pd.Series(range(len(reference)), index=keys).groupby(level=0).first()
    rows = first.reindex(profile["uprn"]).to_numpy()
    have = ~pd.isna(rows)
    take = pd.Series(rows).fillna(0).astype("int64").to_numpy()
    address = None
    if address_fields:
        text = _join_fields(reference, address_fields).to_numpy()[take]
        address = [t if h else None for t, h in zip(text, have, strict=True)]
    points = reference.geometry.to_numpy()[take]
    geometry = gpd.GeoSeries([g if h else None for g, h in zip(points, have, strict=True)], crs=reference.crs)
    warnings = []
    missing = int((~have).sum())
    if missing:
        warnings.append(f"{missing} profiled UPRNs are not in the gazetteer: no address or point.")
    pointless = int((have & geometry.isna().to_numpy()).sum())
    if pointless:
        warnings.append(f"{pointless} profiled UPRNs are in the gazetteer without a point "
                        "(no geometry there): they are in the profile with no point.")
    return address, geometry, warnings


def profile_layers(profile: pd.DataFrame, targets: pd.DataFrame, rules: list, flags: dict, geometry=None):
    """The profile and the targets as GeoDataFrames (points from :func:`place_profile`, or no
    geometry), with one ``rule_<name>`` column per rule: ``(profile, targets, notes)``. Rule
    columns are plain field names usable unquoted in expressions; two rules whose names read
    alike (or alike in their first 56 letters) get ``_2``, ``_3`` and a note, never a silent
    overwrite."""
    import geopandas as gpd

    crs = geometry.crs if geometry is not None else None
    placed = geometry if geometry is not None else gpd.GeoSeries([None] * len(profile))
    profile_out = gpd.GeoDataFrame(profile, geometry=placed.to_numpy(), crs=crs)
    notes = []
    for rule in rules:
        base = f"rule_{source_key(rule.name)}"[:56]
        name, n = base, 1
        while name in profile_out.columns:
            n += 1
            name = f"{base}_{n}"
        if name != base:
            notes.append(f"Rule '{rule.name}' is written to the field {name} ({base} was taken)")
        profile_out[name] = flags[rule.name]
    if geometry is not None:
        order = pd.Series(range(len(profile)), index=profile["uprn"])
        target_points = geometry.iloc[order.reindex(targets["uprn"]).to_numpy()].to_numpy()
    else:
        target_points = gpd.GeoSeries([None] * len(targets)).to_numpy()
    targets_out = gpd.GeoDataFrame(targets, geometry=target_points, crs=crs)
    return profile_out, targets_out, notes


def prepare_sources(tables: list, *, fields=(), action=None, salt=None):
    """The linked agency tables ``[(layer name, DataFrame or GeoDataFrame), …]`` as
    :func:`build_profile` takes them: ``(sources, identifier_fields, notes)``. Each table is
    keyed by its layer name made a plain field prefix (two alike get ``_2``); geometry is
    dropped (the profile is per property, placed from the gazetteer). Direct identifiers are
    found by their headers (``engine.identifiers``); those among the profiled ``fields`` are
    dropped or hashed as ``action`` says, and all of them are kept out of the profile."""
    from .identifiers import guess_identifier_fields, protect_identifiers

    sources, identifier_fields, notes = {}, set(), []
    for name, table in tables:
        geometry_name = getattr(table, "_geometry_column_name", None)
        frame = pd.DataFrame(table.drop(columns=[geometry_name]) if geometry_name in table.columns else table)
        key = source_key(name)
        while key in sources:
            key += "_2"
        identifiers = guess_identifier_fields(frame.columns)
        if fields:
            frame, note = protect_identifiers(frame, [i for i in identifiers if i in fields], action=action, salt=salt)
            if note:
                notes.append(f"{key}: {note}")
        identifier_fields.update(identifiers)
        sources[key] = frame
    return sources, identifier_fields, notes
