"""Direct identifiers (names, dates of birth, contact details) hashed or dropped before output,
and agency tables read from text files with an explicit encoding. No QGIS here.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets

import pandas as pd

from .errors import InputError

# Field names that hold a person's identity, matched on the header written snake_case
# ('Elector Name', 'Forename(s)', 'Date of Birth' -> 'elector_name', 'forename_s',
# 'date_of_birth'). Address words (street name, house name ...) are not identifiers.
_IDENTIFIER_NAME = re.compile(
    r"(^|_)(name|names|forename|forenames|surname|first_?name|last_?name|full_?name|middle_?names?|"
    r"given_?name|family_?name|maiden_?name|dob|date_?of_?birth|birth_?date|email|e_?mail|phone|"
    r"telephone|tel|mobile|nino|ni_?number|ni_?no|national_?insurance|passport|liable_?party|"
    r"liable_?person|taxpayer|ratepayer|account_?holder|bill_?payer)($|_)|"
    r"(account|elector|tenant|owner|occupier|resident|claimant|contact|person|applicant)_?name")
_HEADER_SEPARATORS = re.compile(r"[^a-z0-9]+")
_NOT_PERSON = re.compile(r"street|road|house|building|town|place|locality|file|layer|source|"
                         r"business|company|premises|site|estate", re.IGNORECASE)

ACTIONS = ("hash", "drop", "keep")


def guess_identifier_fields(columns) -> list:
    """Fields whose names say they hold a person's identity ('account_name', 'Surname',
    'Elector Name', 'Date of Birth', 'Forename(s)', 'Liable Party' ...), whatever their case,
    spaces and punctuation; not address parts ('street_name', 'House Name')."""
    def snake(name: str) -> str:
        return _HEADER_SEPARATORS.sub("_", name.lower()).strip("_")
    return [c for c in columns if isinstance(c, str) and _IDENTIFIER_NAME.search(snake(c))
            and not _NOT_PERSON.search(c)]


def protect_identifiers(frame: pd.DataFrame, fields, *, action: str = "drop", salt: str | None = None):
    """``frame`` with ``fields`` hashed (salted SHA-256, first 16 hex digits; nulls stay null),
    dropped, or kept. Returns ``(frame, note)``; the note says what was done, for the log.

    Dropping is the default. An empty ``salt`` uses a random one: the hashes then still group
    equal values within this output but cannot be linked to another run's. Give the same salt to
    link runs. The note never contains the salt."""
    fields = [f for f in fields if f in frame.columns]
    if action not in ACTIONS:
        raise InputError(f"Unknown identifier action {action!r}; use one of {', '.join(ACTIONS)}.")
    if not fields or action == "keep":
        note = f"Direct identifiers kept as they are: {', '.join(fields)}" if fields else ""
        return frame, note
    out = frame.copy()
    if action == "drop":
        return out.drop(columns=fields), f"Direct identifiers dropped: {', '.join(fields)}"
    random_salt = not salt
    salt_bytes = (salt or secrets.token_hex(16)).encode("utf-8")
    for name in fields:
        values = out[name]
        present = values.notna() & (values.astype("string").str.strip().str.len() > 0).fillna(False)
        hashed = [hashlib.sha256(salt_bytes + str(v).strip().upper().encode("utf-8")).hexdigest()[:16]
                  for v in values[present]]
        column = pd.Series([None] * len(out), index=out.index, dtype=object)
        column[present] = hashed
        out[name] = column
    note = (f"Direct identifiers replaced by salted hashes: {', '.join(fields)}"
            + (" (random salt: not linkable to other runs)" if random_salt else ""))
    return out, note


ENCODINGS = {"auto": None, "utf-8": "utf-8-sig", "windows-1252": "cp1252", "iso-8859-1": "latin-1"}


def read_text_table(path: str, *, encoding: str = "auto"):
    """A delimited text file (CSV, TSV, semicolon- or pipe-separated) as a DataFrame of text,
    every cell kept as written ('' for an empty cell, nothing turned into NaN or a number).

    ``encoding`` 'auto' reads UTF-8 (with or without a byte-order mark) and falls back to
    Windows-1252 (then ISO-8859-1) when the bytes are not UTF-8. Returns ``(frame, encoding
    used)``.

    Raises:
        InputError: the file cannot be read, is empty, or is not in the named encoding.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc}") from exc
    key = (encoding or "auto").lower()
    if key not in ENCODINGS:
        raise InputError(f"Unknown encoding {encoding!r}; use one of {', '.join(ENCODINGS)}.")
    tries = ["utf-8-sig", "cp1252", "latin-1"] if key == "auto" else [ENCODINGS[key]]
    text, used = None, None
    for codec in tries:
        try:
            text, used = data.decode(codec), codec
            break
        except UnicodeDecodeError as exc:
            last = exc
    if text is None:
        raise InputError(f"{path} is not valid {encoding} text ({last}); choose its encoding "
                         "(e.g. Windows-1252 for files saved by Excel on Windows).")
    if not text.strip():
        raise InputError(f"{path} is empty: no header row and no records.")
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample.splitlines()[0] if sample else ",", delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                        na_filter=False, skip_blank_lines=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "ISO-8859-1"}[used]
