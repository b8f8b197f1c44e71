"""UK address normalisation: postcodes, flat and house numbers, street-type abbreviations,
case and punctuation. Vectorised over pandas Series (regular expressions in bulk), no QGIS.

>>> format_postcode(" sw1a2aa ")
'SW1A 2AA'
>>> normalise_address("Apt. 3, 12 High St., Leeds")
'FLAT 3 12 HIGH STREET LEEDS'
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

# A UK postcode: outward code (area letters, district digit, optional digit or letter) and
# inward code (sector digit, two unit letters). Also the special GIR 0AA.
_POSTCODE_CORE = r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}|GIR\s*0AA)"
POSTCODE_RE = re.compile(rf"^\s*({_POSTCODE_CORE})\s*$", re.IGNORECASE)
_POSTCODE_IN_TEXT = re.compile(rf"(?<![A-Z0-9])({_POSTCODE_CORE})(?![A-Z0-9])", re.IGNORECASE)

# Street types and other words written short. Keys and values are upper case.
ABBREVIATIONS = {
    "RD": "ROAD", "AVE": "AVENUE", "AV": "AVENUE", "LN": "LANE", "PL": "PLACE", "SQ": "SQUARE",
    "CT": "COURT", "CRT": "COURT", "CL": "CLOSE", "CRES": "CRESCENT", "CR": "CRESCENT",
    "DR": "DRIVE", "GDNS": "GARDENS", "GRN": "GREEN", "GR": "GROVE", "GRV": "GROVE",
    "HL": "HILL", "PK": "PARK", "PDE": "PARADE", "TER": "TERRACE", "TERR": "TERRACE",
    "WY": "WAY", "WLK": "WALK", "QY": "QUAY", "BLVD": "BOULEVARD", "ESPL": "ESPLANADE",
    "BR": "BRIDGE", "PT": "POINT", "PAS": "PASSAGE", "BK": "BANK", "RW": "ROW", "MWS": "MEWS",
    "HSE": "HOUSE", "CTG": "COTTAGE", "CTGE": "COTTAGE", "BLDGS": "BUILDINGS", "ST": "STREET",
    "STR": "STREET", "UPR": "UPPER", "LWR": "LOWER", "GT": "GREAT", "NTH": "NORTH",
    "STH": "SOUTH", "RDS": "ROADS",
}
_ABBREVIATION_RE = re.compile(r"\b(?:" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\b")
# Words that name a sub-building unit; all become FLAT.
FLAT_WORDS = ("FLAT NO", "FLAT NUMBER", "FLAT", "FLT", "APARTMENT", "APPARTMENT", "APT", "UNIT",
              "APTS")
_FLAT_WORD_RE = re.compile(r"\b(?:" + "|".join(w.replace(" ", r"\s+") for w in FLAT_WORDS)
                           + r")\b\.?\s*(?:NO\b\.?)?\s*", re.IGNORECASE)
_F_NUMBER_RE = re.compile(r"\bF(\d+[A-Z]?)\b")           # F3 -> FLAT 3
_SLASH_RE = re.compile(r"\b(\d+[A-Z]?)\s*/\s*(\d+[A-Z]?)\b")  # 3/12 -> FLAT 3 12
_NUMBER_TOKEN = re.compile(r"\b(\d+)\s?([A-Z])?\b")
_NON_ALNUM = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")


def format_postcode(text):
    """A UK postcode in its standard form ('sw1a2aa' -> 'SW1A 2AA'); None when ``text`` is not
    one (empty, foreign, or malformed)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    match = POSTCODE_RE.match(str(text).upper())
    if not match:
        return None
    compact = re.sub(r"\s+", "", match.group(1).upper())
    return compact[:-3] + " " + compact[-3:]


def format_postcodes(series: pd.Series) -> pd.Series:
    """:func:`format_postcode` over a Series (vectorised); invalid or missing -> None."""
    text = series.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    valid = text.str.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA").fillna(False)
    out = text.str[:-3] + " " + text.str[-3:]
    return out.where(valid, None).astype(object).where(valid, None)


def postcode_in_text(series: pd.Series) -> pd.Series:
    """The last UK postcode written inside address text, formatted; None when there is none."""
    found = series.astype("string").str.upper().str.findall(_POSTCODE_IN_TEXT)
    last = found.map(lambda items: items[-1] if isinstance(items, list) and items else None)
    return format_postcodes(last)


def strip_postcode(series: pd.Series) -> pd.Series:
    """Address text with any UK postcode removed."""
    return series.astype("string").str.replace(_POSTCODE_IN_TEXT, " ", regex=True)


def _ascii_upper(series: pd.Series) -> pd.Series:
    """Upper case; accents kept as their base letter (Ä -> A) so spellings with and without
    them meet; characters no encoding could show are dropped."""
    text = series.astype("string").fillna("")
    if text.str.contains(r"[^\x00-\x7f]", regex=True).any():
        text = text.map(lambda s: unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii"))
    return text.str.upper()


def normalise_address(text):
    """One address line in the normal form used for matching (see :func:`normalise_addresses`)."""
    return normalise_addresses(pd.Series([text])).iloc[0]


def normalise_addresses(series: pd.Series) -> pd.Series:
    """Normalised address text: upper case, accents folded, punctuation removed, postcodes
    removed, sub-building words (Flat, Apartment, Apt, Unit, F3, 3/12) written ``FLAT n``,
    street types spelled out (St -> STREET, but ST before a name -> SAINT), single spaces.
    Missing or blank input gives ''."""
    text = _ascii_upper(series)
    text = strip_postcode(text)
    text = text.str.replace(_SLASH_RE, r"FLAT \1 \2", regex=True)
    text = text.str.replace(_F_NUMBER_RE, r"FLAT \1", regex=True)
    text = text.str.replace(_FLAT_WORD_RE, "FLAT ", regex=True)
    text = text.str.replace("&", " AND ", regex=False)
    text = text.str.replace(r"(?<=\d)\s*-\s*(?=\d)", "-", regex=True)
    text = text.str.replace(r"[^A-Z0-9\- ]+", " ", regex=True).str.replace(r"(?<!\d)-|-(?!\d)", " ", regex=True)
    # ST after a number (or first) and before a name is SAINT ("12 ST MARYS ROAD")
    text = text.str.replace(r"(^|\b\d+[A-Z]?\s+)ST\s+(?=[A-Z]{2,}\s+(?:" + "|".join(
        sorted(set(ABBREVIATIONS.values()) | set(ABBREVIATIONS), key=len, reverse=True)) + r")\b)",
        r"\1SAINT ", regex=True)
    text = text.str.replace(r"\b(\d+) ([A-Z])\b", r"\1\2", regex=True)  # 12 A -> 12A
    text = text.str.replace(_ABBREVIATION_RE, lambda m: ABBREVIATIONS[m.group(0)], regex=True)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return pd.Series(text.to_numpy(dtype=object), index=series.index, dtype=object)


def number_tokens(series: pd.Series) -> pd.Series:
    """The set of house/flat number tokens (``'12'``, ``'12A'``) in normalised address text."""
    found = series.astype("string").fillna("").str.findall(r"\b\d+[A-Z]?\b")
    return found.map(lambda items: frozenset(items) if isinstance(items, list) else frozenset())


def number_parts(series: pd.Series):
    """(flat numbers, house numbers) of normalised address text, each a Series of frozensets:
    the token after FLAT is a flat number, every other number token a house number."""
    text = series.astype("string").fillna("")
    flats = text.str.findall(r"\bFLAT (\d+[A-Z]?|[A-Z])\b")
    rest = text.str.replace(r"\bFLAT (\d+[A-Z]?|[A-Z])\b", " ", regex=True).str.findall(r"\b\d+[A-Z]?\b")
    as_set = lambda items: frozenset(items) if isinstance(items, list) else frozenset()  # noqa: E731
    return flats.map(as_set), rest.map(as_set)


def number_conflicts(record_text: pd.Series, candidate_text: pd.Series) -> pd.Series:
    """Why a record cannot be its candidate ('' when the numbers agree): a house number of the
    record missing from the candidate, or a flat number the candidate does not have. A record
    without a flat number may match a flat or the building (the gazetteer decides)."""
    rec_flat, rec_house = number_parts(record_text)
    cand_flat, cand_house = number_parts(candidate_text)
    out = []
    for rf, rh, cf, ch in zip(rec_flat, rec_house, cand_flat, cand_house):
        problems = []
        if rh - ch:
            problems.append("house number " + ", ".join(sorted(rh - ch)))
        if rf and rf != cf:
            problems.append("flat " + ", ".join(sorted(rf - cf) or sorted(rf)))
        out.append(" and ".join(problems))
    return pd.Series(out, index=record_text.index, dtype=object)


def has_letters(series: pd.Series) -> pd.Series:
    """True where the text holds at least two letters in a row (a name, not only numbers)."""
    return series.astype("string").fillna("").str.contains(r"[A-Za-z]{2,}", regex=True)
