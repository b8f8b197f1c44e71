"""Numbers stored as text: one reading for every algorithm.

Councils export numeric fields as text (a CSV opened as a plain table, a spreadsheet column
with a stray note). A value is read as a number only where there is exactly one way to read
it; anything else is counted and refused with a message that names the layer and the field,
so no feature silently becomes 0 or null.

- Read: surrounding blanks (``' 7 '``, also no-break spaces), an exponent (``'1e3'``), a
  leading ``+``, the unicode minus (``'−5'``, U+2212) and other dash-like minus signs.
- Null: a blank string, as an empty cell.
- Refused (``InputError`` with counts): a comma (``'1,5'`` is 1.5 in a decimal-comma locale
  and 15 in a thousands-separated one), and anything else that is not a number (``'n/a'``,
  ``'-'``, ``'12 m'``). Values themselves are never quoted in the message (a wrong field
  could hold personal data): the message gives counts and the first feature's row number.
"""
from __future__ import annotations

import re

import numpy as np

from .errors import InputError

# Minus signs a spreadsheet or a word processor puts in: unicode minus, en dash, figure dash,
# small and full-width hyphen-minus.
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"})
_BLANKS = "\u00a0\u2007\u202f\t\r\n "
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_numbers(values, *, field: str, layer: str) -> np.ndarray:
    """``values`` (a pandas Series or array of numbers and/or text) as a float array, NaN for
    null. Numeric input is returned as floats unchanged.

    Raises:
        InputError: some values are text that is not unambiguously a number; the message
            names ``layer`` and ``field``, counts each kind and says what to do.
    """
    import pandas as pd

    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    out = np.full(len(series), np.nan)
    comma, other = [], []
    for i, value in enumerate(series.to_numpy(dtype=object)):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            try:
                out[i] = float(value)
            except (TypeError, ValueError):
                other.append(i)
            continue
        text = value.strip(_BLANKS).translate(_MINUS)
        if not text:
            continue  # a blank cell is a null
        if _NUMBER.match(text):
            out[i] = float(text)
        elif "," in text:
            comma.append(i)
        else:
            other.append(i)
    if comma or other:
        parts = []
        if comma:
            parts.append(f"{len(comma)} with a comma (e.g. '1,5': a decimal comma or a thousands "
                         "separator, which cannot be told apart)")
        if other:
            parts.append(f"{len(other)} that are not numbers (e.g. 'n/a' or a unit after the number)")
        first = min(comma + other) + 1
        raise InputError(
            f"{layer}: field {field!r} is stored as text and {len(comma) + len(other)} of its values "
            f"cannot be read as numbers: {'; '.join(parts)}; the first is in feature {first}. Fix them "
            f"(e.g. with the Field calculator: to_real(replace(\"{field}\", ',', '.')) for decimal "
            "commas, or leave them empty for no value), or choose a numeric field.")
    return out


def numeric_columns(frame, fields, *, layer: str):
    """A copy of ``frame`` with each of ``fields`` read by :func:`parse_numbers` (numeric
    columns are left as they are, so integers stay integers). Raises ``InputError`` as
    :func:`parse_numbers` does."""
    import pandas as pd

    out = None
    for field in fields:
        if field not in frame.columns:
            raise InputError(f"{layer} has no field {field!r}; choose one of its numeric fields.")
        column = frame[field]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            continue
        if out is None:
            out = frame.copy()
        out[field] = parse_numbers(column, field=field, layer=layer)
    return frame if out is None else out


def numeric_fields_of(frame, fields, *, layer: str, field_kind: str, nothing_to: str):
    """``frame`` with its chosen ``fields`` read as numbers (:func:`numeric_columns`), after the
    checks every table input gets: rows present ("nothing to <nothing_to>"), at least one field
    chosen ("Choose at least one <field_kind> field"), every field present in ``layer``."""
    if len(frame) == 0:
        raise InputError(f"{layer} has no features: there is nothing to {nothing_to}.")
    if not fields:
        raise InputError(f"Choose at least one {field_kind} field.")
    missing = [f for f in fields if f not in frame.columns]
    if missing:
        raise InputError(f"{layer} has no field(s) {', '.join(missing)}.")
    return numeric_columns(frame, fields, layer=layer)
