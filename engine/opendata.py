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

from .errors import DependencyError, InputError, as_feedback
from .identifiers import guess_identifier_fields

FRICTIONLESS_MISSING = ("Checking against a Table Schema and publishing need the Python package "
                        "'frictionless'. Install it with: pip install frictionless")

# Rule names as frictionless reports them, for the help and the summary.
RULE_PATTERN = re.compile(r'constraint "(?P<rule>\w+)"')
VIOLATION_COLUMNS = ["feature_id", "field", "rule", "value", "message"]
HIDDEN_VALUE = "(personal: not shown)"


def _frictionless():
    try:
        import frictionless
    except ImportError as exc:
        raise DependencyError(FRICTIONLESS_MISSING) from exc
    return frictionless


def read_schema(path: str):
    """The Table Schema in the JSON file ``path`` as a ``frictionless.Schema``; bad JSON or a
    schema frictionless refuses stops with one message."""
    fl = _frictionless()
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
        counts = Counter(zip(self.violations["field"], self.violations["rule"]))
        for (name, rule), n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {name}: {rule}: {n}")
        return lines


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
    fl = _frictionless()
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
    data = [present] + [[_cell_text(v) for v in row] for row in frame[present].itertuples(index=False, name=None)]
    fb.check()
    # frictionless stops at 1000 errors by default: every violation is wanted here.
    report = fl.Resource(data=data, schema=sub_schema).validate(limit_errors=10 ** 9)
    fb.set_progress(0.9)
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
        rows.append({"feature_id": ids[row_number - 2], "field": name, "rule": rule,
                     "value": HIDDEN_VALUE if name in personal else value, "message": error.note})
    violations = pd.DataFrame(rows, columns=VIOLATION_COLUMNS)
    return ValidationResult(violations, rows=len(frame), rows_with_violations=violations["feature_id"].nunique(),
                            missing_fields=missing, extra_fields=extra)
