"""Checking a table against a Frictionless Table Schema, and making it fit to open up:
standardised names, types, dates and text, direct identifiers dropped, written as a
Frictionless data package with DCAT-style metadata. No QGIS here.

The checks themselves are the ``frictionless`` library's (an optional package, imported
lazily): JoinedUp does not re-implement Table Schema, it only turns the library's report into
one row per violation and keeps personal values out of it.
"""
from __future__ import annotations

import datetime
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from .addresses import format_postcodes
from .errors import DependencyError, InputError, as_feedback
from .identifiers import guess_identifier_fields

FRICTIONLESS_MISSING = ("Checking against a Table Schema and publishing need the Python package "
                        "'frictionless'. Install it with: pip install frictionless")

# Rule names as frictionless reports them, for the help and the summary.
RULE_PATTERN = re.compile(r'constraint "(?P<rule>\w+)"')
VIOLATION_COLUMNS = ["feature_id", "field", "rule", "value", "message"]
HIDDEN_VALUE = "(personal: not shown)"
VALIDATION_CHUNK = 20_000  # rows per frictionless call: Cancel is checked between them


def frictionless_module():
    try:
        import frictionless
    except ImportError as exc:
        raise DependencyError(FRICTIONLESS_MISSING) from exc
    return frictionless


def read_schema(path: str):
    """The Table Schema in the JSON file ``path`` as a ``frictionless.Schema``; bad JSON or a
    schema frictionless refuses stops with one message."""
    fl = frictionless_module()
    try:
        with open(path, encoding="utf-8-sig") as handle:
            descriptor = json.load(handle)
    except OSError as exc:
        raise InputError(f"The schema file {path} cannot be read: {exc.strerror}.") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"The schema file {os.path.basename(path)} is not JSON (line {exc.lineno}: "
                         f"{exc.msg}).") from exc
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("fields"), list):
        raise InputError(f"The schema file {os.path.basename(path)} is not a Table Schema: it needs a "
                         "'fields' list (https://specs.frictionlessdata.io/table-schema/).")
    try:
        return fl.Schema.from_descriptor(descriptor)
    except fl.FrictionlessException as exc:
        raise InputError(f"The schema in {os.path.basename(path)} is not a valid Table Schema: "
                         f"{exc.error.note or exc.error.message}") from exc


def _cell_text(value) -> str:
    """A cell as the text frictionless parses: empty for null, ISO for dates, no '.0' on whole floats."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (pd.Timestamp, datetime.datetime)):
        return value.isoformat() if (value.hour or value.minute or value.second) else value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class ValidationResult:
    """``violations``: one row per violation (VIOLATION_COLUMNS); ``rows`` checked;
    ``rows_with_violations``; ``missing_fields``: schema fields the layer lacks (every row
    then violates; reported once, not per row)."""
    violations: pd.DataFrame
    rows: int
    rows_with_violations: int
    missing_fields: list = field(default_factory=list)
    extra_fields: list = field(default_factory=list)

    def describe(self) -> list:
        lines = [f"{self.rows} features checked: {self.rows - self.rows_with_violations} pass, "
                 f"{self.rows_with_violations} break at least one rule ({len(self.violations)} violations)."]
        if self.missing_fields:
            lines.append("Fields in the schema but not in the layer: " + ", ".join(self.missing_fields))
        if self.extra_fields:
            lines.append("Fields in the layer but not in the schema (not checked): " + ", ".join(self.extra_fields))
        counts = Counter(zip(self.violations["field"], self.violations["rule"], strict=True))
        for (name, rule), n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {name}: {rule}: {n}")
        return lines


def _violation_rows(report, ids, offset: int, personal) -> list:
    """One dict per cell or row error of a frictionless report on rows ``offset``... of the layer."""
    rows = []
    for error in report.tasks[0].errors if report.tasks else []:
        row_number = getattr(error, "row_number", None)
        name = getattr(error, "field_name", None)
        if row_number is None:
            continue  # a table-level note (none expected: the header is built from the schema)
        if name is None:  # a row-level error: every cell empty ('blank-row')
            name, error.note = "(every field)", "every cell is empty"
        match = RULE_PATTERN.search(error.note or "")
        rule = match.group("rule") if match else ("type" if error.type == "type-error" else error.type)
        value = getattr(error, "cell", "")
        rows.append({"feature_id": ids[offset + row_number - 2], "field": name, "rule": rule,
                     "value": HIDDEN_VALUE if name in personal else value, "message": error.note})
    return rows


def validate_table(frame: pd.DataFrame, schema, *, feature_ids=None, personal_fields=None,
                   feedback=None) -> ValidationResult:
    """Check every row of ``frame`` (attributes only; a geometry column is ignored) against the
    Table Schema ``schema`` (a ``frictionless.Schema``, or a path to its JSON file).

    Fields are matched by name; schema fields the layer lacks are reported once. Each violation
    row gives the feature id (``feature_ids`` in row order, default 1, 2, ...), the field, the rule
    (``type``, ``required``, ``pattern``, ``enum``, ``minimum`` ...), the value as written unless
    the field is personal (``personal_fields``, default: fields named like a person's name,
    birth date, e-mail or phone, or marked ``"personal": true`` in the schema), and
    frictionless's note.
    """
    fl = frictionless_module()
    fb = as_feedback(feedback)
    if isinstance(schema, (str, os.PathLike)):
        schema = read_schema(str(schema))
    columns = [c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None)
               and c != "geometry"]
    names = [f.name for f in schema.fields]
    missing = [n for n in names if n not in columns]
    extra = [c for c in columns if c not in names]
    if personal_fields is None:
        personal_fields = set(guess_identifier_fields(columns))
        personal_fields |= {f.name for f in schema.fields if (f.to_descriptor().get("personal") is True)}
    personal = set(personal_fields)
    present = [n for n in names if n in columns]
    sub_schema = fl.Schema.from_descriptor({"fields": [f.to_descriptor() for f in schema.fields if f.name in columns],
                                            "missingValues": list(schema.missing_values)})
    ids = list(feature_ids) if feature_ids is not None else list(range(1, len(frame) + 1))
    cells = [[_cell_text(v) for v in row] for row in frame[present].itertuples(index=False, name=None)]
    # Checked in chunks, so Cancel and progress work on large layers; in one piece when a field
    # must be unique (uniqueness is across all rows).
    unique = any(f.to_descriptor().get("constraints", {}).get("unique") for f in sub_schema.fields)
    chunk = (len(cells) or 1) if unique else VALIDATION_CHUNK
    rows = []
    for start in range(0, max(len(cells), 1), chunk):
        fb.check()
        # frictionless stops at 1000 errors by default: every violation is wanted here.
        report = fl.Resource(data=[present] + cells[start:start + chunk], schema=sub_schema).validate(
            limit_errors=10 ** 9)
        rows += _violation_rows(report, ids, start, personal)
        fb.set_progress(min(1.0, (start + chunk) / max(len(cells), 1)))
    violations = pd.DataFrame(rows, columns=VIOLATION_COLUMNS)
    return ValidationResult(violations, rows=len(frame), rows_with_violations=violations["feature_id"].nunique(),
                            missing_fields=missing, extra_fields=extra)


# --- standardising ---------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_LEADING_ZERO = re.compile(r"^[+-]?0\d")


def snake_case(name: str) -> str:
    """'Incident Date' -> 'incident_date', 'caseRef' -> 'case_ref', 'Forename(s)' -> 'forename_s',
    '2nd visit' -> 'f_2nd_visit' (names start with a letter)."""
    text = _NOT_WORD.sub("_", _CAMEL.sub("_", str(name)).lower()).strip("_") or "field"
    return text if text[0].isalpha() else f"f_{text}"


def _unique_names(names) -> list:
    seen, out = set(), []
    for name in names:
        candidate, n = name, 2
        while candidate in seen:
            candidate, n = f"{name}_{n}", n + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _iso(values: pd.Series) -> pd.Series:
    """Dates as ISO 8601 text: 'YYYY-MM-DD' when every value is at midnight, else date-times."""
    stamps = pd.to_datetime(values, errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    whole_days = (stamps.dropna() == stamps.dropna().dt.normalize()).all()
    text = stamps.dt.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%dT%H:%M:%S")
    return text.astype(object).where(stamps.notna(), None)


def _as_numbers(text: pd.Series):
    """Numbers when every non-empty value is one and none is a code with a leading zero
    ('000101' stays text); else None."""
    present = text.dropna()
    if present.empty or present.str.match(_LEADING_ZERO).any():
        return None
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.isna().any():
        return None
    out = pd.to_numeric(text, errors="coerce")
    whole = (numbers == numbers.round()).all() and numbers.abs().max() < 2 ** 53
    return out.astype("Int64") if whole and not present.str.contains(r"[.eE]").any() else out.astype("Float64")


@dataclass
class StandardiseReport:
    renamed: dict = field(default_factory=dict)
    dates: dict = field(default_factory=dict)          # field -> unreadable count (set to null)
    numbers: list = field(default_factory=list)
    postcodes: dict = field(default_factory=dict)      # field -> values that are not postcodes (set to null)
    area_field: str | None = None
    area_codes_unknown: int = 0
    area_codes_missing: int = 0

    def describe(self) -> list:
        lines = []
        if self.renamed:
            lines.append("Fields renamed to snake_case: " + ", ".join(f"{a} -> {b}" for a, b in self.renamed.items()))
        for name, bad in self.dates.items():
            lines.append(f"{name}: written as ISO 8601 dates" + (f"; {bad} unreadable dates left empty" if bad else ""))
        if self.numbers:
            lines.append("Read as numbers: " + ", ".join(self.numbers))
        for name, bad in self.postcodes.items():
            lines.append(f"{name}: postcodes written 'LS1 4AP'" + (f"; {bad} not postcodes left empty" if bad else ""))
        if self.area_field:
            lines.append(f"{self.area_field}: {self.area_codes_unknown} codes not in the lookup, "
                         f"{self.area_codes_missing} empty (area_code_check says which)")
        return lines


def standardise(frame: pd.DataFrame, *, date_fields=None, area_field: str | None = None,
                area_codes=None) -> tuple:
    """``(frame, StandardiseReport)``: names in snake_case (unique), text trimmed (empty text is
    null), date columns (``date_fields``, datetime columns and columns named like dates) as ISO
    8601 text read day-first unless year-first, postcode columns as 'LS1 4AP', text columns that
    are all numbers (and no code with a leading zero) as numbers, and ``area_field``'s codes checked
    against ``area_codes`` (an ``area_code_check`` column: 'ok', 'not in lookup' or 'empty').
    The geometry column, if any, is kept as it is."""
    from .records import guess_date_fields, parse_dates

    geometry = getattr(frame, "_geometry_column_name", None)
    report = StandardiseReport()
    attributes = [c for c in frame.columns if c != geometry]
    if area_field and area_field not in attributes:
        raise InputError(f"The area code field {area_field!r} is not in the layer; its fields are "
                         f"{', '.join(map(str, attributes))}.")
    if area_field and area_codes is None:
        raise InputError(f"Checking the area codes in {area_field!r} needs a lookup of valid codes (AREA_LOOKUP "
                         "and its code field).")
    if date_fields:
        unknown = [d for d in date_fields if d not in attributes]
        if unknown:
            raise InputError(f"Date field(s) {', '.join(unknown)} not in the layer; its fields are "
                             f"{', '.join(map(str, attributes))}.")
    new_names = dict(zip(attributes, _unique_names([snake_case(c) for c in attributes]), strict=True))
    report.renamed = {a: b for a, b in new_names.items() if a != b}
    out = frame.copy()
    dates = set(date_fields or ()) | set(guess_date_fields(attributes))
    for column in attributes:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = _iso(values)
            report.dates[new_names[column]] = 0
            continue
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        is_text = values.map(lambda v: isinstance(v, str))
        if not is_text.any():
            if values.map(lambda v: isinstance(v, (datetime.date, pd.Timestamp))).any():
                out[column] = _iso(values)
                report.dates[new_names[column]] = 0
            continue
        text = values.astype("string").str.strip()
        text = text.where(text != "", pd.NA)
        if column in dates and text.notna().any():
            parsed, unreadable = parse_dates(text)
            if float((~unreadable[text.notna()]).mean()) >= 0.5:  # mostly dates: a date column
                out[column] = _iso(parsed)
                report.dates[new_names[column]] = int(unreadable.sum())
                continue
        if "postcode" in snake_case(column) or "post_code" in snake_case(column):
            formatted = format_postcodes(text)
            report.postcodes[new_names[column]] = int((text.notna() & formatted.isna()).sum())
            out[column] = formatted
            continue
        numbers = _as_numbers(text)
        if numbers is not None and column != area_field:
            out[column] = numbers
            report.numbers.append(new_names[column])
            continue
        out[column] = text.astype(object).where(text.notna(), None)
    if area_field:
        codes = out[area_field].astype("string").str.strip().str.upper()
        known = codes.isin(set(str(c).strip().upper() for c in (area_codes or ())))
        check = pd.Series("ok", index=out.index, dtype=object)
        check[~known] = "not in lookup"
        check[codes.isna()] = "empty"
        out[area_field] = codes.astype(object).where(codes.notna(), None)
        out["area_code_check"] = check
        report.area_field = new_names[area_field]
        report.area_codes_unknown = int((check == "not in lookup").sum())
        report.area_codes_missing = int((check == "empty").sum())
    return out.rename(columns=new_names), report


def unique_on(frame: pd.DataFrame, fields) -> int:
    """How many rows are the only one with their combination of ``fields`` (quasi-identifiers:
    age band, sex, area ...); nulls count as a value."""
    if not fields or frame.empty:
        return 0
    keys = frame[list(fields)].astype("string").fillna("\x00null")
    return int((keys.groupby(list(fields), dropna=False)[list(fields)[0]].transform("size") == 1).sum())
