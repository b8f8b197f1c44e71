"""UK address normalisation: postcodes, flat and house numbers, street-type abbreviations,
case and punctuation. Vectorised over pandas Series (regular expressions in bulk), no QGIS.

>>> format_postcode(" sw1a2aa ")
'SW1A 2AA'
>>> normalise_address("Apt. 3, 12 High St., Leeds")
'FLAT 3 12 HIGH STREET LEEDS'
"""
from __future__ import annotations

import contextlib
import difflib
import functools
import itertools
import re
import threading
import unicodedata
from collections import Counter

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
    "STH": "SOUTH", "RDS": "ROADS", "STN": "STATION", "COTTS": "COTTAGES", "COTT": "COTTAGE",
    "IND": "INDUSTRIAL", "EST": "ESTATE", "CTR": "CENTRE", "BLDG": "BUILDING", "UNIV": "UNIVERSITY",
    "HOSP": "HOSPITAL", "TWR": "TOWER",
}
_ABBREVIATION_RE = re.compile(r"\b(?:" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\b")
# Words that name a sub-building unit; all become FLAT (a unit of a building, BS 7666's SAON:
# a suite of offices, a workshop of an estate and a flat are keyed alike).
FLAT_WORDS = ("FLAT", "FLT", "APARTMENT", "APPARTMENT", "APT", "APTS", "UNIT", "STUDIO", "SUITE")
# Words that name a unit only before its number ('WORKSHOP 4', 'SHOP 2', 'OFFICE 3', 'BAY 12',
# 'STE 5', a room let in a house in multiple occupation 'ROOM 3'); alone they are a word of a name
# ('REAR WORKSHOP', 'POST OFFICE', 'BAY VIEW', 'GARDEN ROOM').
ROOM_WORDS = ("ROOM", "RM", "BEDSIT", "BEDROOM")
UNIT_WORDS_BEFORE_NUMBER = ("STE", "OFFICE", "WORKSHOP", "SHOP", "BAY", "KIOSK", "UNITS", *ROOM_WORDS)
# a room let or lived in ('ROOM 11', 'RM 3', 'BEDSIT 2'), or a hall's bedroom written as its flat's
# letter ('FLAT 4A'), before its number
_ROOM_RE = re.compile(r"\b(?:" + "|".join(ROOM_WORDS) + r")\b\.?\s*(?:NO\b\.?\s*)?(\d+[A-Z]?)\b")
# (the number right after the word, no comma between: 'SHOP, 12 HIGH STREET' is the shop of 12)
_UNIT_WORD_RE = re.compile(r"\b(?:" + "|".join(UNIT_WORDS_BEFORE_NUMBER)
                           + r")\b\.?[ \t]*(?:NO\b\.?[ \t]*)?(?=\d+[A-Z]?\b)")
# 'SHOP, 12 HIGH STREET' (the unit named by its use alone, before the house number: first, or a
# part of its own after the business's name, 'NISA LOCAL, SHOP, 68 BROADWAY'; 'SHOP PREMISES' as
# rating lists write it)
_SHOP_FIRST_RE = re.compile(r"(?:^|(?<=[,;]))\s*SHOP(?:\s+(?:AND\s+)?PREMISES)?\s*[,;]?\s*(?=\d+[A-Z]?\b)")
# '12 HIGH STREET (SHOP)', '12 HIGH STREET - SHOP, LINDWORTH': the same shop, named after the
# address (a part that is SHOP alone; not where the record names a flat as well)
_SHOP_AFTER_RE = re.compile(r"^(?!.*\bFLAT\b)(\s*\d+[A-Z]?\b[^(]*?)\s*(?:\(\s*SHOP\s*\)|[,;-]\s*SHOP\s*(?=[,;]|$))")
# 'THE FLAT, 12 HIGH STREET': the building's one flat, named as the flat above is (not flat 12)
_THE_FLAT_FIRST_RE = re.compile(r"^\s*THE\s+FLAT\s*[,;]?\s*(?=\d+[A-Z]?\b)")
_SHOP_UNIT_RE = re.compile(r"\b(?:FLAT|UNIT)\s+SU\s*(\d+[A-Z]?)\b")
_KIOSK_RE = re.compile(r"\bKIOSK\b\.?\s*(?:NO\b\.?\s*)?(\d+[A-Z]?)\b")
_OFFICE_BEFORE_UNIT_RE = re.compile(r"\bOFFICE\s+(?=(?:SUITE|UNIT)\b)")  # 'OFFICE SUITE 3': one unit word
# Floors written as a sub-unit ('GROUND FLOOR FLAT', 'GFF', 'G/F', '1st Flr Flat', 'GROUNDFLOOR')
# become one flat key, ``FLAT GF`` / ``FLAT 1F`` ..., on both sides, so the way a floor flat is
# written does not matter and a floor flat is a sub-unit like ``FLAT 3`` (BS 7666 SAON).
FLOOR_CODES = {"GROUND": "GF", "GRD": "GF", "GND": "GF", "G": "GF", "BASEMENT": "BF", "BSMT": "BF",
               "B": "BF", "LOWER GROUND": "BF", "FIRST": "1F", "1ST": "1F", "1": "1F", "F": "1F",
               "SECOND": "2F", "2ND": "2F", "2": "2F", "S": "2F", "THIRD": "3F", "3RD": "3F",
               "3": "3F", "T": "3F", "FOURTH": "4F", "4TH": "4F", "4": "4F", "TOP": "TF", "UPPER": "UF",
               "MAIN DOOR": "GF"}
# (and an office block's floors above the fourth: 'FIFTH FLOOR', '12TH FLOOR', a flat key each)
_HIGH_FLOOR_WORDS = ("FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH", "TENTH")
FLOOR_CODES.update({w: f"{k}F" for k, w in enumerate(_HIGH_FLOOR_WORDS, start=5)})
FLOOR_CODES.update({f"{k}TH": f"{k}F" for k in range(5, 30)})
FLOOR_CODES.update({f"{k}{end}": f"{k}F" for k in range(21, 30) for end in ("ST", "ND", "RD")})
# the flat keys of the floors above the ground
UPPER_FLOORS = frozenset({"1F", "2F", "3F", "4F", "TF", "UF"})
_FLAT_AFTER = r"(?:\s*(?:FLAT|FLT)\b)?"
# (FLOOR may run into FLAT: 'GROUND FLOORFLAT')
_FLOOR_WORDS_RE = re.compile(r"\b(LOWER GROUND|GROUND|GRD|GND|BASEMENT|BSMT|FIRST|1ST|SECOND|2ND|THIRD|3RD|"
                             r"FOURTH|4TH|TOP|" + "|".join(_HIGH_FLOOR_WORDS)
                             + r"|[5-9]TH|1\dTH|2[1-3](?:ST|ND|RD)|2\dTH)"
                             r"\s*(?:FLOOR|FLR)(?:\b|(?=FLAT\b|FLT\b))" + _FLAT_AFTER)
# 'LEVEL 1, 1 GEORGE STREET', 'FLOOR 2, 9 ST PETERS SQUARE' (an office's floor by its number, a
# part of its own before the address): that floor, not house number 1 or 2
_LEVEL_FIRST_RE = re.compile(r"(?:^|(?<=,))\s*(?:LEVEL|FLOOR|FLR)\s+(\d{1,2})\s*,")
# 'G/F', '1/F' and the letters' 'F/F' (first), 'S/F' (second), 'T/F' (third); 'B/M' (basement)
_FLOOR_SLASH_RE = re.compile(r"\b([GBFST1-4])\s*/\s*F\b" + _FLAT_AFTER)
_BASEMENT_SLASH_RE = re.compile(r"\bB\s*/\s*MT?\b" + _FLAT_AFTER)
_FLOOR_FLAT_CODES = "GFF|FFF|SFF|TFF|BFF|LGFF|LGF"
_FLOOR_SHORT_RE = re.compile(rf"(?<!FLAT )\b({_FLOOR_FLAT_CODES}|GF|BF)\b" + _FLAT_AFTER)
# ... and after FLAT ('FLAT LGF', 'FLAT GFF')
_FLAT_FLOOR_SHORT_RE = re.compile(rf"\bFLAT\s+({_FLOOR_FLAT_CODES})\b")
FLOOR_CODES.update({"GFF": "GF", "GF": "GF", "BF": "BF", "FFF": "1F", "SFF": "2F", "TFF": "3F", "BFF": "BF",
                    "LGF": "BF", "LGFF": "BF"})
# 'BASEMENT FLAT', 'TOP FLAT', 'GROUND FLAT': a floor named without the word FLOOR, followed by
# FLAT (or run into it: 'BASEMENTFLAT')
# ('MAIN DOOR FLAT': a Scottish flat with its own door to the street, on the ground floor)
_FLOOR_FLAT_RE = re.compile(r"\b(LOWER GROUND|GROUND|BASEMENT|BSMT|TOP|UPPER|MAIN DOOR)\s*(?:FLAT|FLT)\b")
# 'REAR WORKSHOP UNIT, 25 HIGH STREET', 'MARCHFORD HAIR STUDIO, 8 MARKET PLACE': a unit word
# ending a unit's or a business's name, a comma before the house number, is a word of that name
# (the unit of 25 named REAR WORKSHOP, the hair studio at 8), not flat 25 or flat 8
_UNIT_WORD_ENDING_NAME = re.compile(r"(?<=[A-Z]) +(?:UNIT|STUDIO|SUITE)\s*,\s*(?=\d)")
# 'BASEMENT, 31 ROPERY STREET': the basement named alone, first, before the house number
# (or as a part of its own after a business's name: 'KHAN NEWSAGENTS, BASEMENT, 8 X STREET'); and
# 'UPPER, 17 BELL PLACE' (an Edinburgh colony's upper flat) or 'TOP, 5 X STREET' alike
_BASEMENT_FIRST_RE = re.compile(r"(?:^|(?<=,))\s*(?:BASEMENT|BSMT|LOWER GROUND)\b\s*[,;]?\s*(?=\d+[A-Z]?\b)")
_UPPER_FIRST_RE = re.compile(r"^\s*(UPPER|TOP)\s*[,;]\s*(?=\d+[A-Z]?\b)")
# 'O/S 47 QUEX ROAD', 'NR 24 HOLSTEIN ROAD' (police and rating lists): outside or near the
# address, not the address (OUTSIDE and NEAR are words of something_else_words)
_OUTSIDE_NEAR_RE = re.compile(r"\bO\s*/\s*S\b\.?|\bNR\b\.?(?=\s*\d)")
# ... as are 'OPP 20 KILMUN STREET' and a tenement's 'BACK COURT OF 10 X STREET' or 'DRYING GREEN 14
# X STREET' (police Scotland): opposite it, and the shared yard behind it (no address of its own)
_OPPOSITE_RE = re.compile(r"\bOPP\b\.?(?=\s*\d)")
# A rural street the gazetteer describes rather than names ('ROAD FROM LLANEINON TO LLANGYNFAEL',
# 'LANE TO WITHERN CROSS': BS 7666 type 2 streets), which few agencies and no postal address write:
# the same words on both sides, UNNAMED ROAD, so that a house on it is its name and place, and the places
# the description passes are not read as the house's (a record writing the description still
# tells that house from one of its name on a named street of the village)
_DESCRIBED_STREET_RE = re.compile(r"(?:^|(?<=,))\s*(?:ROAD|LANE|TRACK|BYWAY|BRIDLEWAY|FOOTPATH|UNNAMED ROAD)\s+"
                                  r"(?:FROM\s+[^,]+?\s+)?TO\s+[^,]+(?=,|$)")
# a house's former name, or how many homes a site holds ('GREYSTONES (FORMERLY THE LODGE)',
# 'COURT FARM, (3 PROPERTIES)', 'MOAT FARM AND BARNS'): not the address's words
_ASIDE_RE = re.compile(r"\(\s*(?:FORMERLY|PREVIOUSLY|FKA)\b[^)]*\)"
                       r"|\(\s*\d+\s+(?:PROPERTIES|DWELLINGS|HOUSES|UNITS)\s*\)"
                       r"|\bAND\s+(?:BARNS|OUTBUILDINGS|COTTAGES)\b")
# a park home's pitch ('CARAVAN 27, VALLEY PARK', 'PITCH 21', 'PARK HOME 2'): its number, as the
# gazetteer numbers the homes of a park (a PLOT written is land, read as such elsewhere)
_PITCH_RE = re.compile(r"\b(?:PITCH|CARAVAN|(?:PARK|MOBILE)\s+HOME)\s+(?:NO\.?\s*)?(?=\d+[A-Z]?\b)")
# 'BARN AT GWERNOGLE', 'OUTBUILDINGS AT PARK FARM' (planning, EPC): a building on the land of
# the address, not the address, as LAND AT is
_BARN_AT_RE = re.compile(r"\b(?:BARNS?|OUTBUILDINGS?|STABLES?|BUILDINGS?)\s+(?:AT|ADJ(?:ACENT)?\s+TO)\b")
_BACK_COURT_RE = re.compile(r"\b(?:BACK\s+(?:COURT|GREEN)|DRYING\s+GREEN)S?\s+(?:(?:OF|AT|TO|BEHIND)\s+)?(?=\d)")
# 'NO 4, 3-5 FORTESS ROAD', '54, NO 3, FORTESS VILLAS': a number written with NO beside the
# building's number, a comma between, is the flat's (Price Paid's SAON written 'NO 3')
_NO_FLAT_FIRST_RE = re.compile(r"^\s*NO\.?\s*(\d+[A-Z]?)\s*[,;]\s*(?=\d)")
_NO_FLAT_SECOND_RE = re.compile(r"^\s*(\d+[A-Z]?)\s*[,;]\s*NO\.?\s*(\d+[A-Z]?)\s*[,;]")
# 'FLAT 1, 5/7 PERCIVAL ROAD': after a flat, two numbers of one side a few apart are the range
# 5-7 the flat is in (not another flat)
_FLAT_THEN_SLASH_RE = re.compile(rf"(\b(?:{'|'.join(FLAT_WORDS)})\s+\w+\s*[,;]?\s*)(\d+)\s*/\s*(\d+)\b")


def _one_side_range(first: str, second: str) -> bool:
    """Whether two numbers written with a slash ('20/22') may be a range of one side of a street
    (a building over both): the second a few past the first, of the same parity."""
    return first.isdigit() and second.isdigit() and 0 < int(second) - int(first) <= 6 \
        and int(first) % 2 == int(second) % 2


def _slash_as_range(m) -> str:
    return f"{m.group(1)}{m.group(2)}-{m.group(3)}" if _one_side_range(m.group(2), m.group(3)) else m.group(0)


def _outside_or_near(m) -> str:
    return "OUTSIDE " if m.group(0)[0] == "O" else "NEAR "


# Numbers written as words ('Seven Cavendish Street'), read as digits before a name.
NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN FIFTEEN "
    "SIXTEEN SEVENTEEN EIGHTEEN NINETEEN TWENTY".split(), start=1)}
_TENS = "TWENTY THIRTY FORTY FIFTY SIXTY SEVENTY EIGHTY NINETY".split()
# ('Twenty Two', 'Thirty-One': run into one word, TWENTYTWO, read as the others are)
NUMBER_WORDS.update({ten + unit: str(10 * k + int(NUMBER_WORDS[unit]))
                     for k, ten in enumerate(_TENS, start=2) for unit in list(NUMBER_WORDS)[:9]})
_COMPOUND_NUMBER_RE = re.compile(rf"\b({'|'.join(_TENS)})[ -]?({'|'.join(list(NUMBER_WORDS)[:9])})\b")


def _within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one letter dropped, added, replaced, or two
    neighbours swapped (the typing slips of issue 15's bench)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


_FLOOR_NAMES = ("GROUND", "FIRST", "SECOND", "THIRD", "BASEMENT", "1ST", "2ND", "3RD")
# a word, then a word of four to six letters starting with F (FLOOR, FLOR, FOOR, FLOAR ...)
_FLOOR_TYPO_RE = re.compile(r"\b([A-Z0-9]{3,9})\s+(F[A-Z]{2,5})\b" + _FLAT_AFTER)


def _floor_typo(m) -> str:
    floor, word = m.group(1), m.group(2)
    if _within_one_edit(word, "FLOOR") or word == "FLR":
        for name in _FLOOR_NAMES:
            if _within_one_edit(floor, name):
                return f" FLAT {FLOOR_CODES[name]} "
    # a floor said before FLAT without FLOOR, mistyped ('BAESMENT FLAT')
    if word in ("FLAT", "FLT") and len(floor) >= 5:
        for name in ("BASEMENT", "GROUND"):
            if _within_one_edit(floor, name):
                return f" FLAT {FLOOR_CODES[name]} "
    return m.group(0)


def _floor_flats(text: pd.Series) -> pd.Series:
    """Floor sub-units written any way as ``FLAT <floor code>`` (upper-case text), with a slip
    of one letter in the floor's words allowed (``FIRST FLOR FLAT``, ``GORUND FLOOR``)."""
    code = lambda m: f" FLAT {FLOOR_CODES[m.group(1)]} "  # noqa: E731
    text = text.str.replace(_FLOOR_WORDS_RE, code, regex=True)
    level = text.str.contains(r"LEVEL|FLOOR|FLR", regex=True).fillna(False).to_numpy(dtype=bool)
    if level.any():
        text[level] = text[level].str.replace(
            _LEVEL_FIRST_RE, lambda m: f" FLAT {'GF' if m.group(1) == '0' else m.group(1) + 'F'}, ", regex=True)
    # (a floor named before FLAT, read before the slips: 'LOWER GROUND FLAT' is the basement, not
    # LOWER and a GROUND FLAT)
    text = text.str.replace(_FLOOR_FLAT_RE, code, regex=True)
    text = text.str.replace(_FLOOR_TYPO_RE, _floor_typo, regex=True)
    text = text.str.replace(_FLOOR_SLASH_RE, code, regex=True)
    text = text.str.replace(_BASEMENT_SLASH_RE, " FLAT BF ", regex=True)
    text = text.str.replace(_BASEMENT_FIRST_RE, " FLAT BF ", regex=True)
    text = text.str.replace(_UPPER_FIRST_RE, code, regex=True)
    text = text.str.replace(_FLAT_FLOOR_SHORT_RE, code, regex=True)
    return text.str.replace(_FLOOR_SHORT_RE, code, regex=True)


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


_POSTCODE_COMPACT = r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA"
_POSTCODE_MISTYPED = r"[A-Z]{1,2}[0-9OIL][A-Z0-9]?[0-9OIL][A-Z]{2}"
_AS_DIGIT = str.maketrans("OIL", "011")
# a mistyped postcode in address text: one real digit at least, so that words are never read as one
_MISTYPED_PAIR = re.compile(r"(?=.*\d)" + _POSTCODE_MISTYPED)


def _postcode_digits(compact: str) -> str:
    """A compact postcode with O, I and L read as digits where the format needs a digit: the
    sector (first character of the inward code) and the district's first character (after one
    or two area letters; the area is taken as two letters when both read as letters)."""
    inward = compact[-3].translate(_AS_DIGIT) + compact[-2:]
    outward = compact[:-3]
    area = 2 if len(outward) >= 3 and outward[1].isalpha() and outward[1] not in "OIL" else 1
    if len(outward) > area:
        district = outward[area].translate(_AS_DIGIT) + outward[area + 1:].replace("O", "0").replace("I", "1")
        outward = outward[:area] + district
    return outward + inward


def format_postcodes(series: pd.Series, typed_digits: bool = False) -> pd.Series:
    """:func:`format_postcode` over a Series (vectorised); invalid or missing -> None.
    ``typed_digits``: 'O' read as 0 and 'I' or 'l' as 1 where the format needs a digit ('SW1A
    OAA', 'LWI 1AB'), for matching; off for validation and publication, where a mistyped
    postcode is to be reported, not mended."""
    text = series.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    valid = text.str.fullmatch(_POSTCODE_COMPACT).fillna(False)
    typed = ~valid & text.str.fullmatch(_POSTCODE_MISTYPED).fillna(False) if typed_digits else None
    if typed is not None and typed.any():
        text = text.copy()
        text[typed] = text[typed].map(_postcode_digits)
        valid = text.str.fullmatch(_POSTCODE_COMPACT).fillna(False)
    out = text.str[:-3] + " " + text.str[-3:]
    return out.where(valid, None).astype(object).where(valid, None)


def postcode_in_text(series: pd.Series) -> pd.Series:
    """The last UK postcode written inside address text, formatted; None when there is none."""
    return _normalise(series)[1]


def normalised_with_postcodes(series: pd.Series) -> tuple:
    """(:func:`normalise_addresses`, :func:`postcode_in_text`) of the same text, read once."""
    return _normalise(series)


def strip_postcode(series: pd.Series) -> pd.Series:
    """Address text with any UK postcode removed."""
    return series.astype("string").str.replace(_POSTCODE_IN_TEXT, " ", regex=True)


# Dashes and slashes that NFKD has no ASCII form for, so would drop: '16\u201318' (a word
# processor's en dash) must stay the range 16-18, not become house 1618.
_DASHES_AND_SLASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"}
                                    | {c: "/" for c in "\u2044\u2215"})


def _ascii_upper(series: pd.Series) -> pd.Series:
    """Upper case; accents kept as their base letter (Ä -> A) so spellings with and without
    them meet; characters no encoding could show are dropped."""
    text = series.astype(object).where(series.notna(), "").astype(str)
    nonascii = text.str.contains(r"[^\x00-\x7f]", regex=True)
    if nonascii.any():
        text[nonascii] = text[nonascii].map(
            lambda s: unicodedata.normalize("NFKD", s.translate(_DASHES_AND_SLASHES))
            .encode("ascii", "ignore").decode("ascii"))
    return text.str.upper()


def without_repeated_parts(series: pd.Series) -> pd.Series:
    """Address text with a comma-separated part that holds letters and repeats an earlier one
    (case and spaces aside) left out: '24 Broadway Shopping Centre, 24 Broadway Shopping Centre,
    Harberton Road' (an address line entered twice), 'ABERGWYN, GWYNFRYN, GWYNFRYN' (district and
    county of one name). A part of digits alone is kept: '12, 12, HIGH STREET' may be flat 12
    of number 12."""
    text = series.astype(object).where(series.notna(), "").astype(str)
    out = text.to_numpy(dtype=object).copy()
    for i in np.flatnonzero(text.str.count(",").to_numpy() >= 1):
        parts = out[i].split(",")
        seen: set = set()
        kept = []
        for part in parts:
            key = " ".join(part.upper().split())
            if key in seen and any(ch.isalpha() for ch in key):
                continue
            seen.add(key)
            kept.append(part)
        if len(kept) < len(parts):
            out[i] = ",".join(kept)
    return pd.Series(out, index=series.index, dtype=object)


def normalise_address(text):
    """One address line in the normal form used for matching (see :func:`normalise_addresses`)."""
    return normalise_addresses(pd.Series([text])).iloc[0]


def normalise_addresses(series: pd.Series) -> pd.Series:
    """Normalised address text: upper case, accents folded, punctuation removed, postcodes
    removed, sub-building words (Flat, Apartment, Apt, Unit, F3, 3/12) written ``FLAT n``,
    street types spelled out (St -> STREET, but ST before a name -> SAINT), '12 A' -> '12A',
    single spaces. Missing or blank input gives ''."""
    return _normalise(series)[0]


# Everything but letters, digits, '/' and '-' becomes a space (one C-level translate).
_KEEP = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-")
_TRANSLATE = {i: (chr(i) if chr(i) in _KEEP else " ") for i in range(128)}
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_INWARD = re.compile(r"[0-9][A-Z]{2}")
_COMPACT = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})|GIR0AA")
_FLAT_TOKENS = set(FLAT_WORDS)
_LONG_FLAT_WORDS = ("APARTMENT", "STUDIO")  # long enough that a slip of one letter is still the word
# a Scottish tenement flat by floor and door ('1F2': first floor, second door; 'GF1', 'BF1')
# (PF1: Edinburgh's principal floor; 12F3 a tower's twelfth floor)
_TENEMENT_KEY = r"(?:\d{1,2}|G|B|P)F\d{1,2}"
_TENEMENT = re.compile(_TENEMENT_KEY)
_NUMBER = re.compile(r"\d+[A-Z]?")
_STREET_TYPES = set(ABBREVIATIONS.values()) | set(ABBREVIATIONS)


_RANGE_RE = re.compile(r"\b(\d+)\s*(?:&|\s-\s|\bTO\b)\s*(\d+)\b")
_NUMBER_DASH_LETTER_RE = re.compile(r"\b(\d+)\s*-\s*([A-Z])\b")
_LONE_DASH_RE = re.compile(r"(?<!\S)[-/]+(?!\S)")
_NUMBER_THEN_WORD = re.compile(r"(\d+)([A-Z]{2,})")
_WORD_THEN_TYPE = re.compile(r"([A-Z]{4,})(ROAD|STREET|AVENUE|LANE|CLOSE|CRESCENT|GROVE|TERRACE|GARDENS|"
                             r"DRIVE|PLACE|COURT|SQUARE)")


def _token_map(token: str) -> str:
    """One token's normal form, without context (applied to each distinct token once)."""
    if token in _FLAT_TOKENS:
        return "FLAT"
    if token in ABBREVIATIONS:
        return ABBREVIATIONS[token]
    if _TENEMENT.fullmatch(token):
        return "FLAT " + token
    m = re.fullmatch(r"([A-Z])/(\d+[A-Z]?)", token)  # 'A/40': flat A of number 40
    if m:
        return f"FLAT {m.group(1)} {m.group(2)}"
    # F3, FLAT3, U6, SUITE2 (words run together)
    m = re.fullmatch(r"(?:F|FLAT|FLT|APT|UNIT|U|SUITE)(\d+[A-Z]?)", token)
    if m:
        return "FLAT " + m.group(1)
    m = re.fullmatch(r"(?:FLAT|FLT)([A-RT-Z])", token)  # FLATB: flat B (not FLATS, a block's name)
    if m:
        return "FLAT " + m.group(1)
    m = re.fullmatch(r"(\d+[A-Z]?)/(\d+[A-Z]?)", token)
    if m:
        return f"FLAT {m.group(1)} {m.group(2)}"
    m = _NUMBER_THEN_WORD.fullmatch(token)  # '2YARROW' -> '2 YARROW' (not 1ST, 2ND, 3RD, 4TH)
    if m and m.group(2) not in ("ST", "ND", "RD", "TH"):
        return f"{m.group(1)} {_token_map(m.group(2))}"
    m = _WORD_THEN_TYPE.fullmatch(token)  # 'ASHDOWNROAD' -> 'ASHDOWN ROAD'
    if m:
        return f"{m.group(1)} {m.group(2)}"
    if "/" in token or "-" in token:
        if re.fullmatch(r"\d+[A-Z]?-\d+[A-Z]?", token):
            return token
        return " ".join(_token_map(t) for t in re.split(r"[/-]+", token) if t)
    return token


def _normalise(series: pd.Series):
    """(normalised text, postcode found in the text) for a Series of address text: tokens are
    split once and each distinct token is rewritten once, so the cost grows with the
    vocabulary, not with the number of addresses."""
    index = series.index
    text = _ascii_upper(pd.Series(series.to_numpy(), dtype=object))
    # apostrophes join ('ST MARY'S' is 'ST MARYS'); '&' is 'AND' (the gazetteer's rule) except
    # between numbers ('12 & 14': the range 12-14); '12 - A' and '12-A' are 12A, '12 - 14' and
    # '12 TO 14' the range 12-14
    text = text.str.replace(r"['`]", "", regex=True)  # (’ is folded away above)
    text = text.str.replace(_RANGE_RE, r"\1-\2", regex=True).str.replace("&", " AND ", regex=False)
    # (each rewrite below only on the texts holding its letters: most hold none, and a regex
    # over every text costs a second at 250,000)
    def rewrite(letters: tuple, pattern, repl) -> None:
        holding = np.zeros(len(text), dtype=bool)
        for some in letters:
            holding |= text.str.contains(some, regex=False).fillna(False).to_numpy(dtype=bool)
        if holding.any():
            text[holding] = text[holding].str.replace(pattern, repl, regex=True)

    rewrite(("/", "NR"), _OUTSIDE_NEAR_RE, _outside_or_near)
    rewrite(("OPP",), _OPPOSITE_RE, "OPPOSITE ")
    rewrite(("BACK", "DRYING"), _BACK_COURT_RE, "REAR OF ")
    rewrite((" TO ",), _DESCRIBED_STREET_RE, " UNNAMED ROAD ")
    rewrite(("(", " AND "), _ASIDE_RE, " ")
    rewrite(("PITCH", "CARAVAN", " HOME "), _PITCH_RE, "")
    rewrite(("BARN", "BUILDING", "STABLE"), _BARN_AT_RE, "LAND AT")
    rewrite(("/",), _FLAT_THEN_SLASH_RE, _slash_as_range)
    rewrite(("NO",), _NO_FLAT_FIRST_RE, r"FLAT \1, ")
    rewrite(("NO",), _NO_FLAT_SECOND_RE, r"FLAT \2, \1 ")
    rewrite(("TY",), _COMPOUND_NUMBER_RE, r"\1\2")
    text = text.str.replace(_NUMBER_DASH_LETTER_RE, r"\1\2", regex=True)
    # (a shopping centre's KIOSK 1 is not its UNIT 1: a flat key of its own, K1)
    rewrite(("KIOSK",), _KIOSK_RE, r"FLAT K\1")
    text = text.str.replace(_UNIT_WORD_RE, "FLAT ", regex=True).str.replace(_OFFICE_BEFORE_UNIT_RE, "", regex=True)
    # (a shopping centre's shop unit, 'UNIT SU10': its unit 10)
    rewrite(("SU",), _SHOP_UNIT_RE, r"FLAT \1")
    rewrite(("SHOP",), _SHOP_AFTER_RE, r"SHOP, \1")
    rewrite(("SHOP",), _SHOP_FIRST_RE, "FLAT SHOP ")
    text = text.str.replace(_THE_FLAT_FIRST_RE, "FLAT ABOVE, ", regex=True)
    text = _floor_flats(text).str.replace(_UNIT_WORD_ENDING_NAME, ", ", regex=True).str.translate(_TRANSLATE)
    text = text.str.replace(_LONE_DASH_RE, " ", regex=True)
    tokens = text.str.split().explode()
    tokens = tokens[tokens.notna() & (tokens != "")]
    rows = tokens.index.to_numpy()
    tok = tokens.to_numpy(dtype=object)
    n = len(tok)
    found_pc = pd.Series([None] * len(series), dtype=object)
    if n:
        uniq, inverse = np.unique(tok.astype(str), return_inverse=True)
        is_out = np.array([bool(_OUTWARD.fullmatch(u)) for u in uniq])[inverse]
        is_in = np.array([bool(_INWARD.fullmatch(u)) for u in uniq])[inverse]
        is_compact = np.array([bool(_COMPACT.fullmatch(u)) for u in uniq])[inverse]
        same_next = np.r_[rows[1:] == rows[:-1], False]
        same_prev = np.r_[False, rows[1:] == rows[:-1]]
        nxt_in = np.r_[is_in[1:], False] & same_next
        prv_out = np.r_[False, is_out[:-1]] & same_prev
        pair_start = is_out & nxt_in
        pair_end = is_in & prv_out & np.r_[False, pair_start[:-1]]
        # a postcode typed with O for 0 or I/L for 1 ('EBI4 3BJ'), as the last two words only
        # (where a postcode is written) and only when it reads as a valid one
        last_in_row = ~same_next
        typed = ~pair_start & same_next & np.r_[last_in_row[1:], False]
        typed[typed] = [bool(_MISTYPED_PAIR.fullmatch(a + b)) for a, b in zip(tok[typed], tok[1:][typed[:-1]],
                                                                            strict=True)]
        if typed.any():
            readable = format_postcodes(pd.Series(tok[typed] + tok[1:][typed[:-1]]), typed_digits=True).notna()
            typed[np.flatnonzero(typed)[~readable.to_numpy()]] = False
            pair_start |= typed
            pair_end |= np.r_[False, typed[:-1]]
        drop = pair_start | pair_end | is_compact
        # the postcode found: the last one in each row
        pc_text = np.where(pair_start, tok + np.r_[tok[1:], [""]], np.where(is_compact, tok, None))
        have = pc_text != None  # noqa: E711
        if have.any():
            pc_rows = rows[have]
            last_of_row = np.r_[pc_rows[1:] != pc_rows[:-1], True]
            last = pd.Series(pc_text[have][last_of_row], index=pc_rows[last_of_row])
            found_pc.iloc[last.index.to_numpy()] = format_postcodes(last, typed_digits=True).to_numpy()
        mapped_uniq = np.array([_token_map(u) for u in uniq], dtype=object)
        out = mapped_uniq[inverse]
        is_num = np.array([bool(_NUMBER.fullmatch(u)) for u in uniq])[inverse]
        is_range = np.array([bool(re.fullmatch(r"\d+-\d+", u)) for u in uniq])[inverse]
        is_letter = np.array([len(u) == 1 and u.isalpha() for u in uniq])[inverse]
        is_word = np.array([len(u) >= 2 and u.isalpha() for u in uniq])[inverse]
        is_type = np.array([u in _STREET_TYPES for u in uniq])[inverse]
        raw = tok
        # 'FLAT NO 4' / 'FLAT NUMBER 4': drop NO/NUMBER after a flat word
        prev_flat = np.r_[False, out[:-1] == "FLAT"] & same_prev
        drop |= prev_flat & np.isin(raw, ["NO", "NUMBER", "NR"])
        # 'FLAT 03': a flat's number padded with zeros by the agency's system is flat 3 (not a
        # house number: '01 GRANBY CRESCENT' is as often 10 with its digits swapped as a padded 1)
        unpadded_uniq = np.array([u.lstrip("0") if u[:1] == "0" and u.isdigit() and u.strip("0") else ""
                                  for u in uniq], dtype=object)
        padded = prev_flat & (unpadded_uniq[inverse] != "")
        out = out.copy()
        out[padded] = unpadded_uniq[inverse][padded]
        # 'No. 14 Rosebery Way': NO before a house number
        drop |= np.isin(raw, ["NO", "NOS"]) & np.r_[is_num[1:] | is_range[1:], False] & same_next
        # 'Seven Cavendish Street': a number word first in the address, or after a flat key,
        # and before a name (not after a number: '5 ONE TREE HILL' keeps its name)
        is_numword = np.array([u in NUMBER_WORDS for u in uniq])[inverse]
        prev_num = np.r_[False, is_num[:-1]] & same_prev
        prev_flat_number = np.r_[False, prev_flat[:-1]] & same_prev
        as_digit = is_numword & (~prev_num | prev_flat_number) & np.r_[is_word[1:], False] & same_next
        as_digit |= is_numword & prev_flat  # 'FLAT TWO' wherever it stands ('8 QUEENS ROAD, FLAT TWO')
        out = out.copy()
        out[as_digit] = [NUMBER_WORDS[t] for t in raw[as_digit]]
        is_num = is_num | as_digit
        next_num = np.r_[is_num[1:], False] & same_next
        # 'Apatment 7', 'APATTMENT 7', 'StOdio 1': a flat word typed with a slip, before a number,
        # is FLAT (not APARTMENTS or STUDIOS: a block's name)
        unit_slip = np.array([len(u) >= 6 and u not in _FLAT_TOKENS and any(
            _within_one_edit(u, w) and u != w + "S" for w in _LONG_FLAT_WORDS) for u in uniq])[inverse]
        out[unit_slip & next_num] = "FLAT"
        # 'B, 86 RUSKIN STREET': a lone letter first, before the house number, is the flat (F is
        # left alone: 'F 3' is an F3 written apart)
        first_letter = is_letter & ~same_prev & next_num & (raw != "F")
        out[first_letter] = ["FLAT " + t for t in raw[first_letter]]
        # '12 A' -> '12A' (a lone letter after a number)
        join_letter = is_letter & np.r_[False, is_num[:-1]] & same_prev & ~drop
        join_letter &= ~np.isin(raw, ["FLAT"])
        prev_idx = np.flatnonzero(join_letter) - 1
        out = out.copy()
        out[prev_idx] = out[prev_idx] + raw[join_letter]
        drop |= join_letter
        # ST after a number (or first in the address) and before a name and a street type: SAINT
        first = ~same_prev
        after_num = np.r_[False, is_num[:-1]] & same_prev
        next_word = np.r_[is_word[1:], False] & same_next
        next2_type = np.r_[is_type[2:], np.zeros(min(2, n), bool)] & np.r_[same_next[1:], False] & same_next
        # (also after a range '12-14', a tenement flat '(1F2)' or a house's name: 'ROSE COTTAGE ST
        # JOHNS CLOSE'; not where ST ends a numbered street: '12 HIGH ST, LITTLE GREEN')
        is_tenement = np.array([bool(_TENEMENT.fullmatch(u)) for u in uniq])[inverse]
        after_range_or_type = np.r_[False, is_range[:-1] | is_type[:-1] | is_tenement[:-1]] & same_prev
        prev2_num = np.r_[np.zeros(min(2, n), bool), is_num[:-2]] & same_prev & np.r_[False, same_prev[:-1]]
        after_name = np.r_[False, is_word[:-1]] & same_prev & ~prev2_num
        saint = (raw == "ST") & (first | after_num | after_range_or_type | after_name) & next_word & next2_type
        out[saint] = "SAINT"
        keep = ~drop
        kept_rows = rows[keep]
        words = out[keep].tolist()
        starts = np.r_[0, np.flatnonzero(kept_rows[1:] != kept_rows[:-1]) + 1]
        ends = np.r_[starts[1:], len(words)]
        result = pd.Series([""] * len(series), dtype=object)
        if len(words):
            result.iloc[kept_rows[starts]] = [" ".join(words[a:b]).replace("FLAT FLAT ", "FLAT ")
                                              for a, b in zip(starts, ends, strict=False)]
    else:
        result = pd.Series([""] * len(series), dtype=object)
    result.index = index
    found_pc.index = index
    return result.astype(object), found_pc


def number_tokens(series: pd.Series) -> pd.Series:
    """The set of house/flat number tokens (``'12'``, ``'12A'``) in normalised address text."""
    found = series.astype("string").fillna("").str.findall(r"\b\d+[A-Z]?\b")
    return found.map(lambda items: frozenset(items) if isinstance(items, list) else frozenset())


# A linkage run reads the same texts' streets and numbers at several checks (the gazetteer's, the
# records', the candidates'): within :func:`texts_read_once`, each of the functions marked
# ``_read_once`` keeps its answer per text and hands out copies. Per thread, so two runs at
# once keep apart; outside it nothing is kept.
_read_once_cache = threading.local()
_MISSING = object()


@contextlib.contextmanager
def texts_read_once():
    """Within it, :func:`street_keys`, :func:`street_names` and :func:`number_parts` read each
    text once (a linkage run); the answers are dropped at its end."""
    outer = getattr(_read_once_cache, "answers", None)
    if outer is None:
        _read_once_cache.answers = {}
    try:
        yield
    finally:
        if outer is None:
            _read_once_cache.answers = None


def _copy_of(answer):
    if isinstance(answer, tuple):
        return tuple(_copy_of(a) for a in answer)
    return answer.copy()


def _read_once(func):
    @functools.wraps(func)
    def read(series):
        answers = getattr(_read_once_cache, "answers", None)
        if answers is None:
            return func(series)
        series = pd.Series(series) if not isinstance(series, pd.Series) else series
        values = series.astype(object).to_numpy()
        key = (func.__name__, tuple(_MISSING if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
                                    for v in values))
        index = series.index
        if key not in answers:
            answers[key] = func(series.reset_index(drop=True))
        answer = _copy_of(answers[key])
        # (the answer as the caller's index: Series are read on their own index)
        if isinstance(answer, tuple):
            return tuple(a.set_axis(index) if isinstance(a, pd.Series) else a for a in answer)
        return answer.set_axis(index) if isinstance(answer, pd.Series) else answer
    return read


# (FLAT SHOP: 'SHOP, 12 HIGH STREET', the shop of a building with a flat above, a unit as flat A is)
FLAT_KEY = rf"\bFLAT ({_TENEMENT_KEY}|\d+[A-Z]?|K\d+[A-Z]?|[A-Z]F?|SHOP)\b"


@_read_once
def number_parts(series: pd.Series):
    """(flat numbers, house numbers) of normalised address text, each a Series of frozensets:
    the token after FLAT is a flat number, every other number token a house number."""
    text = series.astype("string").fillna("")
    flats = text.str.findall(FLAT_KEY)
    rest = text.str.replace(FLAT_KEY, " ", regex=True).str.findall(r"\b\d+[A-Z]?\b")
    as_set = lambda items: frozenset(items) if isinstance(items, list) else frozenset()  # noqa: E731
    return flats.map(as_set), rest.map(as_set)


def number_conflicts(record_text: pd.Series, candidate_text: pd.Series) -> pd.Series:
    """Why a record cannot be its candidate ('' when the numbers agree): a house number of the
    record missing from the candidate, or a flat number the candidate does not have. A record
    without a flat number may match a flat or the building (the gazetteer decides)."""
    rec_flat, rec_house = number_parts(record_text)
    cand_flat, cand_house = number_parts(candidate_text)
    out = []
    for rf, rh, cf, ch in zip(rec_flat, rec_house, cand_flat, cand_house, strict=False):
        problems = []
        if rh - ch:
            problems.append("house number " + ", ".join(sorted(rh - ch)))
        if rf and rf != cf:
            problems.append("flat " + ", ".join(sorted(rf - cf) or sorted(rf)))
        out.append(" and ".join(problems))
    return pd.Series(out, index=record_text.index, dtype=object)


def number_slips(number: str) -> set:
    """House numbers a slip could turn ``number`` into, or out of (digits only; a letter suffix
    is left out): the next door but one either way (12 -> 10, 11, 13, 14), two digits swapped
    (12 -> 21), a digit one key away (12 -> 22, 13, 11, 2), one dropped (12 -> 1, 2) or typed twice
    (12 -> 112, 122)."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    if not digits:
        return set()
    value = int(digits)
    out = {str(value + step) for step in (-2, -1, 1, 2) if value + step > 0}
    for i in range(len(digits)):
        if i + 1 < len(digits):
            out.add(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:])
        for d in (int(digits[i]) - 1, int(digits[i]) + 1):
            if 0 <= d <= 9:
                out.add(digits[:i] + str(d) + digits[i + 1:])
        out.add(digits[:i] + digits[i + 1:])
        out.add(digits[:i] + digits[i] + digits[i:])
    return {str(int(s)) for s in out if s and int(s) > 0} - {str(value)}


def plain_house_number(text: str) -> str | None:
    """The house number of a normalised address holding exactly one, without a letter (the
    flat number aside, as :func:`number_parts` reads it); None otherwise ('31A', '12-14')."""
    houses = set(re.findall(r"\b\d+[A-Z]?\b", re.sub(FLAT_KEY, " ", text)))
    return next(iter(houses)) if len(houses) == 1 and next(iter(houses)).isdigit() else None


def house_number_slip_readings(text: str) -> list:
    """``(reading, slip)`` pairs for a normalised address holding one plain house number (no
    letter: an infill ``31A`` is no slip): the text with that number written as each number a
    slip could have turned into it (:func:`number_slips`, and a digit dropped: 6 for 16 or 60;
    '74 FORE STREET' -> '72 FORE STREET', '47 FORE STREET' ...). The flat number, if any, is
    kept. Empty for a text with no house number or several."""
    number = plain_house_number(text)
    if number is None:
        return []
    # (its last place outside the flat key: 'FLAT 12 12 HIGH STREET' keeps flat 12)
    flatless = re.sub(FLAT_KEY, lambda m: "#" * len(m.group(0)), text)
    start, end = [m.span() for m in re.finditer(rf"\b{number}\b", flatless)][-1]
    dropped = {number[:i] + d + number[i:] for i in range(len(number) + 1) for d in "0123456789"}
    slips = number_slips(number) | {str(int(x)) for x in dropped if int(x) > 0} - {number}
    return [(f"{text[:start]}{slip}{text[end:]}", slip) for slip in sorted(slips, key=int)]


def _split_words_joined(words: list, vocabulary) -> list:
    """``words`` with each two neighbours that together make a gazetteer word of five letters or
    more written as that word ('WEST FIELD ROAD' -> WESTFIELD ROAD, 'BROAD WAY' -> BROADWAY)."""
    out: list = []
    for word in words:
        if out and out[-1].isalpha() and word.isalpha() and len(out[-1] + word) >= 5 \
                and out[-1] + word in vocabulary:
            out[-1] += word
        else:
            out.append(word)
    return out


def mended_word_readings(normalised_text, vocabulary) -> np.ndarray:
    """Each address with a word the gazetteer has written as two joined (``vocabulary``: its
    words; 'WEST FIELD' -> WESTFIELD), then every word it does not have and of five letters or
    more replaced by the one gazetteer word a typing slip away (:func:`_within_one_edit`:
    'ENNERDAOE POINT' -> ENNERDALE, 'SNADRINGHAM' -> SANDRINGHAM, 'TERRAE' -> TERRACE); '' where
    nothing was mended or a word has none or several such."""
    by_delete: dict = {}
    for word in vocabulary:
        if len(word) >= 4 and word.isalpha():
            for key in {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}:
                by_delete.setdefault(key, set()).add(word)
    mend: dict = {}

    def mended(word):
        if word not in mend:
            near = set()
            for key in {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}:
                near |= by_delete.get(key, set())
            near = {w for w in near if _within_one_edit(word, w)}
            mend[word] = next(iter(near)) if len(near) == 1 else None
        return mend[word]

    out = np.full(len(normalised_text), "", dtype=object)
    for i, text in enumerate(normalised_text):
        words = _split_words_joined(str(text).split(), vocabulary)
        unknown = [k for k, w in enumerate(words) if len(w) >= 5 and w.isalpha() and w not in vocabulary]
        if not unknown:
            if len(words) < len(str(text).split()):
                out[i] = " ".join(words)
            continue
        for k in unknown:
            words[k] = mended(words[k])
            if words[k] is None:
                break
        else:
            out[i] = " ".join(words)
    return out


def has_letters(series: pd.Series) -> pd.Series:
    """True where the text holds at least two letters in a row (a name, not only numbers)."""
    return series.astype("string").fillna("").str.contains(r"[A-Za-z]{2,}", regex=True)


# Words that make a record describe land, an outbuilding (a granny annexe) or street furniture
# beside an address, not the address: business rates list advertising rights, telecoms masts, kiosks and cash
# machines by the nearest address ('ATM AT 114 ...', 'TELECOMMUNICATIONS MAST NEAR 94 ...').
_SOMETHING_ELSE = frozenset({"LAND", "PLOT", "SITE", "GARAGE", "GARAGES", "ADJACENT", "ADJ", "REAR",
                             "OPPOSITE", "PARKING", "YARD", "STORE", "WORKSHOP", "ALLOTMENT",
                             "NEAR", "OUTSIDE", "KIOSK", "ATM", "MAST", "TELECOMMUNICATIONS", "TELECOMS",
                             "ADVERTISING", "ADVERTISEMENT", "HOARDING", "HOARDINGS", "BILLBOARD", "PAYPHONE",
                             "ANNEXE", "ANNEX", "SIGN", "SIGNS"})


_LONG_SOMETHING_ELSE = frozenset(w for w in _SOMETHING_ELSE if len(w) >= 6)


def rooms_named(raw_texts, record_flats, rows) -> list:
    """(row, the room's flat key) of the ``rows`` whose address names a room ('ROOM 11', 'RM 3',
    'BEDSIT 2': the number after the word, as the record's flats read it) or whose one flat is a
    number and a letter ('FLAT 4A': a hall's bedroom, or a flat the gazetteer lacks, told apart
    by the caller; not a floor, 1F)."""
    out = []
    for i in rows:
        m = _ROOM_RE.search(str(raw_texts[i]).upper())
        if m and m.group(1) in record_flats.iloc[i]:
            out.append((int(i), m.group(1)))
        elif len(record_flats.iloc[i]) == 1 and re.fullmatch(r"\d+[A-EG-Z]", next(iter(record_flats.iloc[i]))):
            out.append((int(i), next(iter(record_flats.iloc[i]))))
    return out


def names_the_unit(record, unit, building) -> np.ndarray:
    """True where a record (normalised text) holds every word that a sub-unit's address adds to
    its building's ('THE GRANARY HOME FARM ...' over 'HOME FARM ...'; THE left out), so the
    record names that unit even without a flat number."""
    out = np.zeros(len(record), dtype=bool)
    for i, (r, u, b) in enumerate(zip(record, unit, building, strict=True)):
        # words counted ('FARM HOUSE, LOWER HOUSE FARM' adds FARM and HOUSE to its farm's address)
        unit_words = Counter(str(u).split())
        added = unit_words - Counter(str(b).split())
        added.pop("THE", None)
        words = Counter(str(r).split())
        # ... and found run into a neighbour ('THEGRANARY', 'REARWORKSHOP')
        out[i] = bool(added) and all(words[w] >= unit_words[w] or (len(w) >= 4 and any(
            w in v and v != w for v in words)) for w in added)
    return out


# words that name no unit alone ('FLAT, 30 PARK ROAD' names none of the building's flats)
# (nor 'ELM TREE FARM HOUSE' or 'HENDRE FAWR FARM' the COACH HOUSE or the FARM BUILDINGS of the farm:
# the farmhouse itself)
_WORDS_NAMING_NO_UNIT = frozenset({"THE", "FLAT", "FLOOR", "AND", "OF", "FARM", "HOUSE", "FARMHOUSE"})


def unit_named_by_its_words(record: str, building: str, units) -> int:
    """Index in ``units`` (the texts of one building's units) of the one unit whose address holds
    every word the record adds to its building's, where that is not all the unit adds
    (:func:`names_the_unit` reads those): 'MAISONETTE, 30 PARK ROAD' where the building has a
    GROUND FLOOR FLAT and one FIRST AND SECOND FLOOR MAISONETTE. -1 where none or several do, or
    the record adds no such word."""
    added = Counter(str(record).split()) - Counter(str(building).split())
    if not set(added) - _WORDS_NAMING_NO_UNIT:
        return -1
    holding = [k for k, u in enumerate(units) if not added - Counter(str(u).split())]
    return holding[0] if len(holding) == 1 else -1


def block_flats_as_paf_writes(record: pd.Series, candidate: pd.Series, places: frozenset) -> np.ndarray:
    """True where a record is written as PAF writes a block's flat, its number before the block's
    name ('78 LOVELACE TOWER, CAVERSHAM STREET'; '11 ENTERPRISE PARK, UNIVERSITY WAY, KINGSMERE'
    for UNIT 11, KINGSMERE ENTERPRISE PARK), and its candidate is that flat: the record's one
    number, no flat, is the candidate's flat; the candidate has no house number; and the record
    holds every other word of the candidate but THE and its places (``places``)."""
    record, candidate = pd.Series(record).reset_index(drop=True), pd.Series(candidate).reset_index(drop=True)
    rec_flat, rec_house = number_parts(record)
    cand_flat, cand_house = number_parts(candidate)
    fits = np.array([not rf and not ch and len(rh) == 1 and rh == cf for rf, rh, cf, ch
                     in zip(rec_flat, rec_house, cand_flat, cand_house, strict=True)], dtype=bool)
    rest = candidate[fits].astype("string").fillna("").str.replace(FLAT_KEY, " ", regex=True)
    fits[fits] = names_in_full(record[fits].to_numpy(), rest.to_numpy(), places)
    return fits


def words_to_the_town(normalised: str, places: frozenset) -> list:
    """The words of an address up to its last word in ``places`` (the gazetteer's towns and
    localities), and after it only words that are no name (a postcode's): a county or 'TOWN'
    written after the town left out. All its words where it names no place.

    A county that ends in the town's name, as Price Paid writes its district and county
    ('ARDWICK STREET, NORTHMOOR, LONDON, HAMWELL, GREATER LONDON'; 'BRISTOL, CITY OF
    BRISTOL'), is left out from the town's first place: the first time the last word stands
    after a street type and not before one ('12 LONDON ROAD, WESTBRIDGE, LONDON' is kept)."""
    words = normalised.split()
    last = max((k for k, w in enumerate(words) if w in places), default=len(words))
    if last < len(words):
        first = next((k for k in range(1, last) if words[k] == words[last]
                      and words[k + 1] not in STREET_TYPE_WORDS
                      and any(w in STREET_TYPE_WORDS for w in words[:k])), last)
        if first < last:
            last = first
    return words[:last + 1] + [w for w in words[last + 1:] if not w.isalpha()]


def names_in_full(record, named, places: frozenset) -> np.ndarray:
    """True where a record (normalised text) holds every word of the ``named`` address but THE
    and its places (words in ``places``, the gazetteer's localities and towns, may be left out)."""
    return np.array([set(str(n).split()) - set(str(r).split()) - {"THE"} <= places
                     for r, n in zip(record, named, strict=True)], dtype=bool)


_FLAT_ABOVE = re.compile(r"\b(?:ABOVE|UPSTAIRS)\b|\bFLAT OVER\b|\bOVER (?:THE )?SHOP\b")


def names_a_flat_above(normalised: pd.Series) -> np.ndarray:
    """True where an address names the flat above a shop or office without its number ('FLAT
    ABOVE, 19 FRIARGATE', '16 HIGH STREET (ABOVE SHOP)', 'FLAT OVER 39 FORE STREET')."""
    return normalised.astype("string").fillna("").str.contains(_FLAT_ABOVE).to_numpy(dtype=bool)


def describes_something_else(record_text: pd.Series, candidate_text: pd.Series) -> pd.Series:
    """True where the record holds a word naming land or an outbuilding (``LAND ADJACENT TO``,
    ``GARAGE 3 REAR OF``) that its candidate's address lacks: the record is about something
    beside that address, which the gazetteer does not list."""
    return pd.Series([bool(r - c) for r, c in zip(something_else_words(record_text),
                                                  something_else_words(candidate_text), strict=False)],
                     index=record_text.index, dtype=bool)


# 'ROSE COTTAGE, CHURCH LANE, NEAR TILFORD': near a town is where the address is, postally; near
# a number ('NEAR 24 HOLSTEIN ROAD') is beside an address
_NEAR_A_PLACE = re.compile(r"\bNEAR\b(?!\s+(?:TO\s+)?\d)")
# shops named by what they sell ('EVANS CONVENIENCE STORE'): a business, not a store beside an address
_SHOP_NAMED_STORE = re.compile(r"\b(?:CONVENIENCE|DEPARTMENT|GENERAL|FOOD|CORNER|VILLAGE|DISCOUNT|FARM|DIY|PET|"
                               r"CHARITY|GROCERY|HARDWARE)\s+STORES?\b")


@functools.lru_cache(maxsize=65536)
def _something_else_slip(word: str) -> frozenset:
    """The long words naming something else that ``word`` is a slip of one letter from."""
    return frozenset(s for s in _LONG_SOMETHING_ELSE if _within_one_edit(word, s))


def something_else_words(normalised: pd.Series) -> list:
    """The words of each address that name land, an outbuilding or street furniture (LAND,
    ADJACENT, GARAGE, REAR, KIOSK ...), a slip of one letter in a long one allowed ('ADJACCENT')."""
    def named(ws) -> frozenset:
        return frozenset(ws) & _SOMETHING_ELSE | frozenset().union(
            *(_something_else_slip(w) for w in ws if len(w) >= 6 and w not in _SOMETHING_ELSE))

    text = pd.Series(normalised).astype("string").fillna("").str.replace(_SHOP_NAMED_STORE, " ", regex=True)
    text = text.str.replace(_NEAR_A_PLACE, " ", regex=True)
    return [named(ws) if isinstance(ws, list) else frozenset() for ws in text.str.findall(r"[A-Z]+")]


_SLASH_IN_RAW = re.compile(r"(?<![0-9A-Z/])(\d+[A-Z]?)\s*/\s*(\d+[A-Z]?)(?![0-9A-Z/])", re.IGNORECASE)
_LEADING_NUMBER_BEFORE_NAME = re.compile(r"^(\d+[A-Z]?) (?=[A-Z]{2,}.*\b\d+[A-Z]?\b)")
_LEADING_NUMBER_ONLY_BEFORE_NAME = re.compile(r"^\d+[A-Z]? [A-Z]{2,}(?:(?! \d).)*$")
# '2, 8 QUEENS ROAD' / '2 8 QUEENS ROAD': two numbers first, then the street (flat 2 of 8)
_TWO_LEADING_NUMBERS = re.compile(r"^\d+[A-Z]? \d+[A-Z]? [A-Z]{2,}(?:(?! \d).)*$")
# (a flat's letter too: 'GROUND FLOOR FLAT A', 'FLAT A, GROUND FLOOR')
_FLOOR_AND_NUMBER = re.compile(r"\bFLAT (?:([GB1-4]F) (?:FLAT )?(\d{1,2}|[A-Z])|(\d{1,2}|[A-Z]) FLAT ([GB1-4]F))\b")
_FLAT_NUMBER_LETTER = re.compile(r"\bFLAT (\d+)([A-Z])\b")
_HOUSE_NUMBER_LETTER = re.compile(r"^(\d+)([A-Z]) (?=[A-Z])")
# The order other readings are tried in: each only where the ones before it found nothing.
SUBUNIT_READINGS = ("swapped", "tenement", "glasgow", "principal", "floor_dropped", "lettered", "block", "range",
                    "name_first")
# a Glasgow flat by floor and door written after FLAT, with the building's number before or after
# it ('FLAT 2/3, 3 BANK STREET'; '3 BANK STREET FLAT 2/3'): floor and door, never number and flat
_FLAT_WORD_BEFORE = re.compile(r"\b(?:" + "|".join(FLAT_WORDS) + r")\s*$")
_EDINBURGH_FLAT = re.compile(r"\bFLAT (\d{1,2}|G)F(\d{1,2})\b")
_PRINCIPAL_OR_FIRST = re.compile(r"\bFLAT (P|1)F(\d{1,2})\b")
# 'LLYS LLIFON, FLAT 9, HEOL YR EGLWYS': a building's name (words, no number) before its flat
_NAME_BEFORE_FLAT = re.compile(r"^((?:(?!FLAT\b)[A-Z][A-Z'-]* ){1,5})(FLAT [0-9A-Z]+) (?=\S)")


def other_subunit_readings(raw_text, normalised_text) -> dict:
    """Other readings of each address's sub-unit, in normal form ('' where there is none), by
    kind, in :data:`SUBUNIT_READINGS` order:

    - swapped: ``12/3`` read as flat 3 of number 12 (``3/12`` is read first as flat 3 of 12, the
      English habit; Scottish and some council systems write the building first), ``3 Umbria
      Court, 50 X Road`` read as flat 3 of the block at 50, and ``2, 8 Queens Road`` (two numbers
      first) as flat 2 of 8;
    - tenement: a Glasgow ``FLAT 1/2, 22 X ROAD`` or ``0/2`` (floor 1 or ground, door 2), and
      ``2ND FLOOR FLAT 3`` / ``FLAT 3, GROUND FLOOR``, as the tenement flat ``1F2`` / ``2F3`` / ``GF3``;
    - glasgow: the other way, Edinburgh's ``2F1`` / ``GF1`` as Glasgow writes it, ``FLAT 2/1`` /
      ``FLAT 0/1`` (floor and door);
    - principal: Edinburgh New Town's principal floor ``PF1`` as ``1F1``, and ``1F1`` as ``PF1``
      (a stair whose first floor is its principal floor);
    - floor_dropped: ``FLAT 1, 1ST FLOOR`` as flat 1 (the floor said as well);
    - lettered: ``FLAT 98B, X PLACE`` and ``98B X PLACE`` as flat B of 98 (the gazetteer writing
      the letter as the flat, where it has no 98B);
    - block: ``15 The Old Brewery, Avocet Drive`` (a number before a building's name, no number
      after it, ``15A`` too) as flat 15 of that block, as PAF writes block flats;
    - range: ``20/22 High Street`` (two numbers of one side, a few apart) as the range 20-22, as
      rating lists write a building over two numbers;
    - name_first: ``Llys Llifon, Flat 9, Heol yr Eglwys`` and ``The Broadway Shopping Centre,
      Unit 12, Harberton Road`` (the building's name before its flat, as split fields joined
      in the wrong order give) as ``FLAT 9 LLYS LLIFON HEOL YR EGLWYS``.
    """
    out = {kind: np.full(len(normalised_text), "", dtype=object) for kind in SUBUNIT_READINGS}
    for i, (raw, norm) in enumerate(zip(raw_text, normalised_text, strict=False)):
        if not norm:
            continue
        upper = str(raw).translate(_DASHES_AND_SLASHES).upper()
        m = _SLASH_IN_RAW.search(upper)
        if m:
            first, second = m.group(1), m.group(2)
            written = f"FLAT {first} {second}"
            swapped = norm.replace(written, f"FLAT {second} {first}", 1)
            floor_and_door = bool(_FLAT_WORD_BEFORE.search(upper[:m.start()])) and bool(
                re.match(r"\s*[,;]?\s*\d", upper[m.end():]) or re.match(r"\s*\d", upper))
            if swapped != norm and not floor_and_door:
                out["swapped"][i] = swapped
            # floor / door, with the building's number after it
            if (written in norm and first.isdigit() and len(first) == 1 and second.isdigit()
                    and len(second) <= 2 and re.search(r"\b\d", norm.split(written, 1)[1])):
                out["tenement"][i] = norm.replace(written, f"FLAT {'G' if first == '0' else first}F{second}", 1)
            if written in norm and _one_side_range(first, second):
                out["range"][i] = norm.replace(written, f"{first}-{second}", 1)
            continue
        if "FLAT " not in norm and _LEADING_NUMBER_BEFORE_NAME.match(norm):
            out["swapped"][i] = "FLAT " + norm
        elif "FLAT " not in norm and _TWO_LEADING_NUMBERS.match(norm):
            out["swapped"][i] = "FLAT " + norm
        m = _FLOOR_AND_NUMBER.search(norm)
        if m:
            floor, number = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            if number.isdigit():
                out["tenement"][i] = norm[:m.start()] + f"FLAT {floor}{number}" + norm[m.end():]
            out["floor_dropped"][i] = norm[:m.start()] + f"FLAT {number}" + norm[m.end():]
        m = _FLAT_NUMBER_LETTER.search(norm)
        if m and m.group(2) == "F" and len(m.group(1)) == 1:
            m = None  # a floor ('FLAT 2F'), not flat F of 2
        if m:
            out["lettered"][i] = norm[:m.start()] + f"FLAT {m.group(2)} {m.group(1)}" + norm[m.end():]
        elif "FLAT " not in norm:
            m = _HOUSE_NUMBER_LETTER.match(norm)
            if m:
                out["lettered"][i] = f"FLAT {m.group(2)} {m.group(1)} " + norm[m.end():]
            # ('5A KESTREL COURT, MILL ROAD' too: flat 5A of the block, where 5 has no flat A)
            if _LEADING_NUMBER_ONLY_BEFORE_NAME.match(norm):
                out["block"][i] = "FLAT " + norm
        m = _NAME_BEFORE_FLAT.match(norm)
        if m:
            out["name_first"][i] = f"{m.group(2)} {m.group(1)}{norm[m.end():]}"
    # (no slash: these read the flat key the normal form gives)
    for i, norm in enumerate(normalised_text):
        if "F" not in str(norm):
            continue
        m = _EDINBURGH_FLAT.search(norm)
        if m:
            out["glasgow"][i] = f"{norm[:m.start()]}FLAT {'0' if m.group(1) == 'G' else m.group(1)} {m.group(2)}" \
                f"{norm[m.end():]}"
        m = _PRINCIPAL_OR_FIRST.search(norm)
        if m:
            out["principal"][i] = f"{norm[:m.start()]}FLAT {'1' if m.group(1) == 'P' else 'P'}F{m.group(2)}" \
                f"{norm[m.end():]}"
    return out


_LETTER_JOINED = re.compile(r"\b(\d+) ([A-Z])([A-Z]{3,})\b")


def letter_joined_readings(normalised_text) -> np.ndarray:
    """A house number's letter typed against the street's name ('21AVictoria Place', normalised
    '21 AVICTORIA PLACE') read as '21A VICTORIA PLACE'; '' where the text has no such word."""
    return np.array([_LETTER_JOINED.sub(r"\1\2 \3", t, count=1) if _LETTER_JOINED.search(str(t)) else ""
                     for t in normalised_text], dtype=object)


def letter_word_known(normalised: str, words) -> bool:
    """Whether the word :func:`letter_joined_readings` would split ('AVICTORIA' of '21 AVICTORIA
    PLACE') is a word of ``words`` (the gazetteer's), alone or run into the word after it
    ('BROAD' of '11 BROAD WAY': BROADWAY): then it is that word, not a house number's letter."""
    found = _LETTER_JOINED.search(str(normalised))
    if found is None:
        return False
    word = found.group(2) + found.group(3)
    after = normalised[found.end():].split(maxsplit=1)
    return word in words or bool(after) and word + after[0] in words


def houses_by_name_alone(normalised_text, postcodes, houses_named: dict, ref_postcodes, ref_keys,
                         answers, places: frozenset = frozenset(), vocabulary=(),
                         numbered_names=None) -> tuple:
    """A house written by its name and no number, its street perhaps left out ('MANOR FARM,
    TILFORD'; 'THE GRANARY' with its postcode, where THE GRANARY COTTAGE has it too): the
    gazetteer's houses of that name, without a number (``houses_named``: building name -> [(row,
    its street's words, the places after it)]), on the street the record names, if any, at the
    record's postcode, or, without one, in every place the record names (its locality, town).
    Only rows where ``answers`` is true, told apart by ``ref_keys`` (their UPRNs). Words after
    the record's last word of ``places`` (the gazetteer's localities and towns) that no address
    of the gazetteer has (``vocabulary``) are a county and left out ('MANOR FARM, TILFORD, N
    WESSEX'). Records with a number are left alone. A record without a postcode fits a numbered
    house of the name in its places too (``numbered_names``, as :func:`named_house_readings`
    takes them): ROSE COTTAGE, 3 MILL LANE beside ROSE COTTAGE, CHURCH LANE makes 'Rose Cottage'
    and its town a guess. Returns per record the row of the one such house (-1 where none or
    several fit) and how many fit (several: the name alone cannot tell them)."""
    row_of = np.full(len(normalised_text), -1, dtype=np.int64)
    fitting = np.zeros(len(normalised_text), dtype=np.int64)
    if not houses_named:
        return row_of, fitting
    for i, (text, code) in enumerate(zip(normalised_text, postcodes, strict=True)):
        text = str(text)
        if any(ch.isdigit() for ch in text):
            continue
        words = text.split()
        to_the_town = words_to_the_town(text, places)
        if not any(w in vocabulary for w in words[len(to_the_town):]):
            words = to_the_town
        has_pc = isinstance(code, str) and code != ""
        found: dict = {}
        for k in range(1, len(words) + 1):
            if k == len(words) and not has_pc:
                break  # a name alone, nowhere
            for row, street, row_places in houses_named.get(building_name_words(" ".join(words[:k])), ()):
                rest = words[k:]
                if tuple(rest[:len(street)]) == street:
                    rest = rest[len(street):]
                if answers[row] and set(rest) <= row_places and (not has_pc or ref_postcodes[row] == code):
                    found.setdefault(ref_keys[row], row)
                    if not has_pc:
                        for key, house in (numbered_names or {}).get(building_name_words(" ".join(words[:k])), ()):
                            if set(words[k:]) <= set(key.split()):  # (its street too, if written)
                                found.setdefault((key, house), -1)
        fitting[i] = len(found)
        if len(found) == 1:
            row_of[i] = next(iter(found.values()))
    return row_of, fitting


def _run_at(words: list, run: list) -> int:
    """Where ``run`` stands in ``words`` as a run of words in order; -1 where it does not."""
    for start in range(len(words) - len(run) + 1):
        if words[start:start + len(run)] == run:
            return start
    return -1


def without_a_name_before(normalised_text, vocabulary) -> np.ndarray:
    """A business's name before its address ('HAPPY GARDEN FLAT GF 26 NORTHMOOR BROADWAY', as food
    hygiene writes a takeaway) read from the address's first flat or number ('FLAT GF 26
    NORTHMOOR BROADWAY'), where a word of the name is none the gazetteer has (``vocabulary``); ''
    where the text starts with its flat or number, names something beside an address (LAND
    ADJACENT TO, OUTSIDE, GARAGE: :func:`something_else_words`), or names nothing before one."""
    out = np.full(len(normalised_text), "", dtype=object)
    beside = something_else_words(pd.Series(normalised_text, dtype=object))
    for i, (text, other) in enumerate(zip(normalised_text, beside, strict=True)):
        words = str(text).split()
        start = next((k for k, w in enumerate(words) if w == "FLAT" or any(ch.isdigit() for ch in w)), 0)
        if 0 < start < len(words) - 1 and not other and any(w.isalpha() and w not in vocabulary
                                                             for w in words[:start]):
            out[i] = " ".join(words[start:])
    return out


def named_house_readings(normalised_text, numbered_names: dict, unnumbered_names=frozenset()) -> np.ndarray:
    """A house written by its name and street without its number ('CHURCH VIEW MILL LANE ABBOTS
    GREEN MARCHFORD'), where the gazetteer numbers the house of that name on that street
    ('CHURCH VIEW 17 MILL LANE ...'), read with the number after the name, for an exact key to
    confirm; '' where the text has a number, or no name the gazetteer gives one numbered house
    on a street the rest of the text fits. ``numbered_names``: building name (THE left out) ->
    [(street key, house number)] of the gazetteer's numbered houses without a flat.

    The street may be left out too, the name followed by its places only ('THE SWAN, KINGSMERE'
    where the gazetteer has THE SWAN, 68 DAMSON ROAD, KINGSMERE, as food hygiene lists a pub):
    read with its number and street where the name is one numbered house's in those places and
    no house without a number (``unnumbered_names``, as :func:`building_name_words` writes them)
    has it."""
    out = np.full(len(normalised_text), "", dtype=object)
    if not numbered_names:
        return out
    for i, text in enumerate(normalised_text):
        # (a business's trading words left out: 'RED LION PUBLIC HOUSE, MARKET PLACE')
        words = _without_trading_words(str(text).split())
        if not words or any(ch.isdigit() for ch in str(text)):
            continue
        fits = set()
        for k in range(1, len(words)):
            name = " ".join(w for w in words[:k] if w != "THE")
            rest = words[k:]
            for key, house in numbered_names.get(name, ()):
                key_words = key.split()
                # the rest is the street, perhaps without its locality or town
                if rest[0] == key_words[0] and set(rest) <= set(key_words):
                    fits.add((k, name, house, ""))
                # ... or places of the street's key (its locality, its town, or both), the street
                # left out
                elif name not in unnumbered_names:
                    start = _run_at(key_words, rest)
                    if start > 0:
                        fits.add((k, name, house, " ".join(key_words[:start])))
        if len(fits) == 1:
            k, name, house, street = next(iter(fits))
            # (THE left out, as the gazetteer may)
            out[i] = " ".join(w for w in [name, house, street, *words[k:]] if w)
    return out


def unit_numbers_as_flats(normalised: pd.Series, parent_text: pd.Series) -> pd.Series:
    """A gazetteer's units written as their number and then their building's whole address
    (``parent_text``: per row, its parent's normalised address, None for a row without one):
    '3 KESTREL COURT 12 HIGH STREET' under KESTREL COURT 12 HIGH STREET, '2 THE OLD SCHOOL QUEENS
    ROAD', '3 12 HIGH STREET' (AddressBase-style fields joined, a secondary number without
    secondary text), as flats: 'FLAT 3 KESTREL COURT 12 HIGH STREET', the way records write them.
    Other rows as they are: '2 ORCHARD CLOSE' under an estate's record is a house."""
    out = pd.Series(normalised).to_numpy(dtype=object).copy()
    for i, (text, parent) in enumerate(zip(out, parent_text, strict=True)):
        if isinstance(text, str) and isinstance(parent, str) and parent and text.endswith(" " + parent):
            number = text[:-len(parent) - 1]
            if re.fullmatch(r"\d+[A-Z]?", number):
                out[i] = "FLAT " + text
    return pd.Series(out, index=pd.Series(normalised).index, dtype=object)


def flat_before_block_readings(normalised_text) -> np.ndarray:
    """'3 UMBRIA COURT 50 X ROAD' (a number before a block's name and the block's street number
    after it) read as 'FLAT 3 UMBRIA COURT 50 X ROAD', for the matcher when no exact key found
    either reading; '' where the text has that form not."""
    return np.array(["FLAT " + t if isinstance(t, str) and "FLAT " not in t and _LEADING_NUMBER_BEFORE_NAME.match(t)
                     else "" for t in normalised_text], dtype=object)


_FLOOR_ORDER = ("BF", "GF", "1F", "2F", "3F", "4F")


def _streets_by_houses(by_building: dict) -> dict:
    """``by_building`` ((house numbers, street key) -> value) keyed by house numbers alone:
    numbers -> [(street key, value)], for :func:`_at_building`'s search by the street's start."""
    by_houses: dict = {}
    for (houses, street), value in by_building.items():
        by_houses.setdefault(houses, []).append((street, value))
    return by_houses


def _at_building(by_building: dict, houses, street: str, by_houses: dict):
    """``by_building``'s entry for the building at ``houses`` on ``street`` (a street key); for a
    record that leaves its town out, the one building whose key begins with the record's, and
    for one that adds a district and county after it ('ASHBROOK ROAD HAMWELL GREEN LONDON
    HAMWELL GREATER LONDON', as Price Paid writes), the one whose key the record's begins with
    (``by_houses``: :func:`_streets_by_houses` of ``by_building``)."""
    found = by_building.get((houses, street))
    if found is None and street:
        near = [v for k, v in by_houses.get(houses, ()) if k.startswith(street + " ")]
        if not near:
            near = [v for k, v in by_houses.get(houses, ()) if street.startswith(k + " ")]
        found = near[0] if len(near) == 1 else None
    return found


def top_floor_readings(normalised_text, flats_at: dict) -> np.ndarray:
    """``TOP FLAT`` / ``TOP FLOOR FLAT`` (``FLAT TF``) read as the highest floor flat the
    reference lists at the same house number and street (``FLAT 2F`` where it has ground, first
    and second floor flats); '' where the record names no top flat or the building has fewer
    than two floor flats (then which is the top is not known). ``UPPER FLAT`` (``FLAT UF``) the
    same, where the building has exactly two floor flats (with three, two are upper).
    ``flats_at``: :func:`flats_by_building` of the reference."""
    normalised_text = pd.Series(normalised_text, dtype=object).reset_index(drop=True)
    out = np.full(len(normalised_text), "", dtype=object)
    top = normalised_text.astype("string").fillna("").str.contains(r"\bFLAT [TU]F\b", regex=True).to_numpy()
    if not top.any():
        return out
    rows = np.flatnonzero(top)
    _, rec_house = number_parts(normalised_text.iloc[rows])
    by_houses = _streets_by_houses(flats_at)
    for i, houses, street in zip(rows, rec_house, street_keys(normalised_text.iloc[rows]), strict=True):
        found = (_at_building(flats_at, houses, street, by_houses) or set()) & set(_FLOOR_ORDER)
        upper = " FLAT UF " in f" {normalised_text.iloc[i]} "
        if len(found) == 2 or (len(found) > 2 and not upper):
            highest = max(found, key=_FLOOR_ORDER.index)
            out[i] = re.sub(r"\bFLAT [TU]F\b", f"FLAT {highest}", normalised_text.iloc[i], count=1)
    return out


# A tenement flat in the gazetteer by floor and door, before its building: Glasgow's 'FLAT 2/1,
# 14 OTAGO STREET' (0 the ground floor), Edinburgh's '2F1, 10 MARCHMONT ROAD' (G, B, P)
_STAIR_ROW = re.compile(r"^\s*(?:FLAT\s+)?(?:(\d{1,2})\s*/\s*(\d{1,2})|(\d{1,2}|G|B|P)F(\d{1,2}))\s*,\s*(.+)$")
# ... and in a record by floor and side: 'SECOND FLOOR LEFT', 'FLAT 2F LEFT', '1ST FLOOR MIDDLE',
# 'GROUND RIGHT', Glasgow's '2/R', 'G/L', 'FLAT 1/L' (normalised 'FLAT 2 R', 'G L'), or by floor
# and door ('18TH FLR FLAT 2', 'TOP FLOOR FLAT 1')
_FLOOR_SIDE = re.compile(r"\bFLAT (\d{1,2}|G|B|T)F? (?:FLAT )?(LEFT|RIGHT|MIDDLE|MID)\b"
                         r"|\b(GROUND|BASEMENT) (LEFT|RIGHT|MIDDLE)\b"
                         r"|(?:\bFLAT |^|(?<=[A-Z] ))(\d{1,2}|G|B) (L|R|M)\b"
                         r"|\b(\d{1,2})(?:ST|ND|RD|TH) (?:FLOOR|FLR) (?:FLAT )?(\d{1,2})\b"
                         r"|\bFLAT TF (?:FLAT )?(\d{1,2})\b"
                         # ... or floor and door run together or with a dash: '0-1, 11 CRAWFORD
                         # STREET', '822 DUMBARTON ROAD 3-2', 'FLAT 22' (2/2), a tower's 'FLAT 125'
                         # (12/5): only where the building lists flats by floor and door alone
                         r"|^(\d)-(\d{1,2})(?= \d)|(?<=[A-Z] )(\d{1,2})-(\d{1,2})(?= [A-Z]|$)"
                         r"|\bFLAT (\d{1,2})(\d)\b"
                         # ... 'TOP LEFT, 1064 ARGYLE STREET' (the top floor, FLOOR left out), and
                         # '1ST FLR FLAT 2' as normalised ('FLAT 1F 2'): the first floor's 2nd door
                         r"|(?:^|(?<=[A-Z] ))TOP (LEFT|RIGHT|MIDDLE|MID)\b"
                         r"|\bFLAT (\d{1,2})F (?:FLAT )?(\d{1,2})(?= \d)")
# a flat written with a leading zero ('Flat 01, 16 Westmoreland Street'): Glasgow's 0/1 run
# together, where the building lists its flats by floor and door (normalising drops the zero)
_LEADING_ZERO_FLAT = re.compile(r"\bFLAT\s*0(\d)\b", re.IGNORECASE)


# (a side or a floor written with words, which no other reading of a record's numbers reads; not
# the digits run together, FLAT 22, which is as likely flat 22)
_SIDE_WRITTEN = re.compile(r"\b(?:LEFT|RIGHT|MIDDLE|MID)\b|\bFLAT (?:\d{1,2}|G|B) [LRM]\b"
                           r"|(?:^|[A-Z] )(?:\d{1,2}|G|B) [LRM]\b|\bFLAT \d{1,2}F (?:FLAT )?\d")


def floor_side_written(normalised_text, raw_texts) -> np.ndarray:
    """True where a text names a tenement flat by its floor and side, or its floor in words and
    door (as :func:`floor_side_readings` reads it), or with a leading zero (``raw_texts``, as
    written: 'FLAT 01')."""
    return np.array([_SIDE_WRITTEN.search(str(t)) is not None or _LEADING_ZERO_FLAT.search(str(r)) is not None
                     for t, r in zip(normalised_text, raw_texts, strict=True)], dtype=bool)


def stairs_by_building(ref_raw_texts, ref_normalised) -> dict:
    """The tenement flats a gazetteer lists by floor and door (Glasgow's 'FLAT 2/1, ...',
    Edinburgh's '2F1, ...'), keyed as :func:`flats_by_building` keys buildings: (house numbers,
    street key) -> {(floor, door): the flat's normalised address}, floor 0 the ground, -1 the
    basement, 1 Edinburgh's principal floor."""
    parts = pd.Series(ref_raw_texts, dtype=object).astype("string").str.upper().str.extract(_STAIR_ROW)
    listed = parts[4].notna().to_numpy()
    stairs: dict = {}
    if not listed.any():
        return stairs
    parts = parts[listed]
    rows = np.flatnonzero(listed)
    floors = [_floor_number(f) for f in parts[0].fillna(parts[2]).to_numpy(dtype=object)]
    doors = parts[1].fillna(parts[3]).astype(int).to_numpy()
    buildings = parts[4].to_numpy(dtype=object)
    building_text = normalise_addresses(pd.Series(buildings, dtype=object))
    _, houses_of = number_parts(building_text)
    normalised = pd.Series(ref_normalised, dtype=object).to_numpy()
    for row, floor, door, houses, street in zip(rows, floors, doors, houses_of, street_keys(building_text),
                                                strict=True):
        if houses:
            stairs.setdefault((houses, street), {})[(floor, door)] = normalised[row]
    return stairs


def floor_side_readings(normalised_text, stairs_of, raw_texts=None) -> np.ndarray:
    """A tenement flat written by its floor and side ('SECOND FLOOR LEFT, 5 IONA STREET',
    'Flat 2/R, 15 Nithsdale Road', 'G/L 8 MARCHMONT ROAD') or floor and door ('18TH FLR FLAT 2',
    'TOP FLOOR FLAT 1') read as the flat the gazetteer lists there (``stairs``:
    :func:`stairs_by_building`): left the floor's first door, right its last, middle the second of
    three; top the highest floor. '' where the building lists no such floor, or no such door.
    ``stairs_of``: a function giving the stairs (called only where some text names a floor and
    side: reading them costs a pass over the gazetteer).
    ``raw_texts`` (the records as written): a 'FLAT 11 8' that was '11/8' is no floor and door run
    together."""
    out = np.full(len(normalised_text), "", dtype=object)
    found = [(i, m) for i, t in enumerate(normalised_text) if (m := _FLOOR_SIDE.search(str(t))) is not None]
    if raw_texts is not None:
        matched = {i for i, _ in found}
        found += [(i, m) for i, t in enumerate(raw_texts) if i not in matched and (z := _LEADING_ZERO_FLAT.search(
            str(t))) is not None and (m := re.search(rf"\bFLAT (0)?({z.group(1)})\b", str(normalised_text[i])))]
        found.sort(key=lambda f: f[0])
    if not found:
        return out
    stairs = stairs_of()
    if not stairs:
        return out
    rest = pd.Series([str(normalised_text[i])[:m.start()] + " " + str(normalised_text[i])[m.end():]
                      for i, m in found], dtype=object).str.replace(r"\s+", " ", regex=True).str.strip()
    _, houses_of = number_parts(rest)
    by_houses = _streets_by_houses(stairs)
    for (i, m), houses, street, name in zip(found, houses_of, street_keys(rest), street_names(rest), strict=True):
        stair = _at_building(stairs, houses, street, by_houses)
        if not stair and isinstance(name, str):
            # (its locality left out: 'IONA STREET EDINBURGH' for IONA STREET LEITH EDINBURGH)
            on_street = [v for k, v in by_houses.get(houses, ()) if k == name or k.startswith(name + " ")]
            stair = on_street[0] if len(on_street) == 1 else None
        if not stair:
            continue
        g = m.groups()
        # (run together, only where no other reading is: not '11/8' written, nor a stair with as
        # many flats as the number, where 'FLAT 42' may be its 42nd)
        if len(g) > 2 and g[13] is not None and (raw_texts is not None and "/" in str(raw_texts[i])
                                  or len(stair) >= int(g[13] + g[14])):
            continue
        floor_word: str | None
        if len(g) == 2:  # (a leading zero: the ground floor, its door)
            floor_word, side = "0", g[1]
        else:
            floor_word, side = next(((g[k], g[k + 1]) for k in (0, 2, 4, 6, 9, 11, 13, 16) if g[k] is not None),
                                    ("T", g[15]) if g[15] is not None else (None, g[8]))
        floor = max(f for f, _ in stair) if floor_word in (None, "T") else _floor_number(floor_word)
        doors = sorted(d for f, d in stair if f == floor)
        if not doors:
            continue
        if side.isdigit():
            door = int(side) if int(side) in doors else None
        elif side[0] == "L":
            door = doors[0]
        elif side[0] == "R":
            door = doors[-1]
        else:
            door = doors[1] if len(doors) == 3 else None
        if door is not None:
            out[i] = stair[(floor, door)]
    return out


_NUMBERED_FLAT = re.compile(r"\bFLAT (\d{1,2})\b")


def flats_by_building(ref_flats, ref_houses, ref_street_keys) -> dict:
    """The flat keys a reference lists at each building, keyed by (house numbers, street key),
    from its :func:`number_parts` and :func:`street_keys`."""
    flats_at: dict = {}
    for flats, houses, street in zip(ref_flats, ref_houses, ref_street_keys, strict=True):
        if flats:  # (a building named, not numbered, too: 'TOP FLAT, ROSE COTTAGE')
            flats_at.setdefault((houses, street), set()).update(flats)
    return flats_at


def _floor_number(code: str) -> int:
    """A floor's number from its code or word: the basement -1, the ground 0, Edinburgh's
    principal floor 1 (its first above the ground), digits as they are."""
    named = {"B": -1, "BASEMENT": -1, "G": 0, "GROUND": 0, "P": 1}.get(code)
    return int(code) if named is None else named


def _stair_place(flat: str) -> tuple:
    """(floor, door) of a tenement flat key, for ordering a stair: BF1 < GF2 < 1F1 = PF1 < 12F3."""
    floor, door = flat.split("F", 1)
    return _floor_number(floor), int(door)


def stair_order_readings(normalised_text, flats_at: dict) -> np.ndarray:
    """A numbered flat (``FLAT 8, 11 X CRESCENT``, Edinburgh's ``11/8``) read as the tenement flat
    in that place up the stair, where the reference lists the building's flats by floor and door
    only (``GF1 GF2 GF3 1F1 ...``: flat 8 of three a floor is ``2F2``), basement first, doors in
    order on each floor; '' where the building lists a flat by number, or fewer flats than that.
    ``flats_at``: :func:`flats_by_building` of the reference."""
    normalised_text = pd.Series(normalised_text, dtype=object).reset_index(drop=True)
    out = np.full(len(normalised_text), "", dtype=object)
    numbered = normalised_text.astype("string").fillna("").str.contains(r"\bFLAT \d{1,2}\b").to_numpy(dtype=bool)
    if not numbered.any():
        return out
    rows = np.flatnonzero(numbered)
    _, rec_house = number_parts(normalised_text.iloc[rows])
    by_houses = _streets_by_houses(flats_at)
    for i, houses, street in zip(rows, rec_house, street_keys(normalised_text.iloc[rows]), strict=True):
        flats = _at_building(flats_at, houses, street, by_houses) or set()
        if not flats or not all(_TENEMENT.fullmatch(f) for f in flats):
            continue
        stair = sorted(flats, key=_stair_place)
        m = _NUMBERED_FLAT.search(normalised_text.iloc[i])
        if m is not None and 1 <= int(m.group(1)) <= len(stair):
            out[i] = normalised_text.iloc[i][:m.start()] + f"FLAT {stair[int(m.group(1)) - 1]}" \
                + normalised_text.iloc[i][m.end():]
    return out


def block_named_after_flat(reading: str, candidate: str, whole_name: bool = False) -> bool:
    """True where a block reading (``FLAT 15 THE OLD BREWERY AVOCET DRIVE``) and its candidate
    name the same first word right after the flat: the block's name, not only the street ('15
    AVOCET DRIVE' is not flat 15 of KESTREL COURT, AVOCET DRIVE). ``whole_name``: every word of
    the candidate's block name up to its house number, and that number there ('FLAT 11
    HAWTHORN TERRACE' is not flat 11 of HAWTHORN HOUSE, 5 CHAPEL TERRACE)."""
    words, cand = reading.split(), str(candidate).split()
    first = len(words) > 2 and len(cand) > 2 and cand[0] == "FLAT" and cand[1] == words[1] and cand[2] == words[2]
    if not first or not whole_name:
        return first
    number_at = next((k for k in range(3, len(cand)) if cand[k][:1].isdigit()), None)
    return number_at is not None and words[2:number_at] == cand[2:number_at]


@_read_once
def street_keys(series: pd.Series) -> pd.Series:
    """The words after an address's last house number in normalised text (its street and
    town: 'FLAT 3 KESTREL COURT 12 HIGH STREET LINDWORTH' -> 'HIGH STREET LINDWORTH'); the
    whole text when it has no number."""
    text = series.astype("string").fillna("").str.replace(FLAT_KEY, " ", regex=True)
    return text.str.split(r"\b\d+[A-Z]?\b", regex=True).str[-1].str.strip().astype(object)


# Words that end a street's name ('KELSO TERRACE', 'HIGH STREET'): what follows is a town or
# county. A block's name ('KELSO COURT, 1 CHESTNUT TERRACE') comes before the house number.
STREET_TYPE_WORDS = frozenset({"ROAD", "STREET", "AVENUE", "LANE", "CLOSE", "CRESCENT", "GROVE", "TERRACE",
                               "GARDENS", "DRIVE", "PLACE", "WAY", "SQUARE", "HILL", "PARADE", "ROW", "WALK",
                               "MEWS", "RISE", "VIEW", "GREEN"})


def has_house_number(normalised: pd.Series) -> np.ndarray:
    """True where normalised text holds a number besides its flat's."""
    return normalised.astype("string").fillna("").str.replace(FLAT_KEY, " ", regex=True) \
        .str.contains(r"\b\d", regex=True).to_numpy(dtype=bool)


@_read_once
def street_names(normalised: pd.Series) -> pd.Series:
    """The street an address names, in normalised text: the words after its last house number up
    to the first street-type word ('FLAT 2 1 KELSO TERRACE CASTLEBRIDGE' -> 'KELSO TERRACE');
    None where no street type follows the number (a dropped or mistyped type says nothing)."""
    def name(words: str, last: bool):
        taken, found = [], None
        for word in words.split():
            taken.append(word)
            if word in STREET_TYPE_WORDS:
                found = " ".join(taken) if len(taken) > 1 else None
                if not last:
                    return found
                taken = []
        return found

    keys = street_keys(normalised)
    # without a house number a house's name may come first ('MEADOW VIEW, ST PETERS AVENUE'):
    # the street is then the last run of words ending in a street type
    numbered = has_house_number(normalised)
    pairs = pd.Series(keys.astype(str).to_numpy() + np.where(numbered, "|1", "|0"))
    uniq, inverse = np.unique(pairs.to_numpy(), return_inverse=True)
    names = [name(u[:-2], u[-1] == "0") for u in uniq]
    # object dtype: pandas 3 would infer 'str' and turn None into NaN, which is no 'None'
    return pd.Series(np.array(names, dtype=object)[inverse], index=normalised.index, dtype=object)


def known_street_names(normalised: pd.Series, known: set) -> np.ndarray:
    """The street each address names, as one of the ``known`` street names (the gazetteer's
    numbered streets): of the runs of words ending in a street type after the last house number,
    the first (numbered) or last (no number) whose run of last words is known ('LOCK KEEPERS
    COTTAGE BLACKTHORN ROAD' -> BLACKTHORN ROAD; 'FOUNDRY WHARF BITTERN CLOSE ABBOTS GREEN' ->
    BITTERN CLOSE, ABBOTS GREEN being a locality); else :func:`street_names`' reading."""
    fallback = street_names(normalised).to_numpy()
    keys = street_keys(normalised).to_numpy()
    numbered = has_house_number(normalised)
    out = np.array(fallback, dtype=object)
    for i, key in enumerate(keys):
        if not isinstance(key, str) or fallback[i] in known:
            continue
        runs, taken = [], []
        for word in key.split():
            taken.append(word)
            if word in STREET_TYPE_WORDS:
                runs.append(taken)
                taken = []
        for run in (runs if numbered[i] else runs[::-1]):
            name = next((" ".join(run[k:]) for k in range(len(run)) if " ".join(run[k:]) in known), None)
            if name is not None:
                out[i] = name
                break
    return out


def streets_meant(names, gazetteer_names) -> list:
    """The gazetteer's street(s) each record's street name (from :func:`street_names`) means: the
    name itself where the gazetteer has it; else the gazetteer's names with the same street type
    and as many words, each word within a slip of one letter ('ROSEBREY ROAD' -> ROSEBERY ROAD;
    not ROSEBERY CRESCENT); None where the name is None or nothing is that close."""
    known = set(gazetteer_names)
    by_shape: dict = {}
    for name in known:
        words = name.split()
        by_shape.setdefault((words[-1], len(words)), []).append(words)
    out = []
    for name in names:
        if name is None or name in known:
            out.append(None if name is None else {name})
            continue
        words = name.split()
        near = {" ".join(g) for g in by_shape.get((words[-1], len(words)), [])
                if all(_within_one_edit(a, b) for a, b in zip(words, g, strict=True))}
        out.append(near or None)
    return out


# Words that begin many streets' names and say nothing of which ('THE CRESCENT', 'SAINT MARYS
# ROAD'): a street's head is its first word besides these.
# (and a Welsh street's type, written first, and its article: MAES Y BARCUD is not on MAES Y DERI)
_NOT_A_HEAD = frozenset({"THE", "SAINT", "HEOL", "FFORDD", "STRYD", "LON", "MAES", "CILGANT", "RHODFA", "CLOS",
                         "Y", "YR", "UNNAMED"})


def street_heads(normalised: pd.Series, keys: pd.Series | None = None) -> np.ndarray:
    """The first word of each address's street: the first word after its last house number, THE,
    SAINT and a Welsh street's type left out ('FLAT 3 12 THE PADDOCKS LINDWORTH' -> PADDOCKS; '4
    HEOL Y FELIN' -> FELIN); None where the address
    has no house number besides its flat's, or no word of three letters or more follows it.
    ``keys``: its :func:`street_keys`, where already split."""
    keys = (street_keys(normalised) if keys is None else keys).to_numpy().astype(str)
    uniq, inverse = np.unique(keys, return_inverse=True)
    heads = []
    for key in uniq:
        head = next((w for w in key.split() if w not in _NOT_A_HEAD), None)
        heads.append(head if head is not None and len(head) >= 3 and head.isalpha() else None)
    out = np.array(heads, dtype=object)[inverse] if len(uniq) else np.full(len(keys), None, dtype=object)
    out[~has_house_number(normalised)] = None
    return out


# Welsh street words and their English (Welsh councils name a street in one language or both,
# the gazetteer may hold one and an agency write the other: HEOL Y PARC, PARK ROAD; STRYD FAWR,
# HIGH STREET); the mutated forms too (Y FELIN, Y BONT, Y FARCHNAD)
WELSH_STREET_TYPES = {"HEOL": "ROAD", "FFORDD": "ROAD", "STRYD": "STREET", "LON": "LANE", "TERAS": "TERRACE",
                      "CILGANT": "CRESCENT", "CLOS": "CLOSE", "RHODFA": "AVENUE", "SGWAR": "SQUARE", "LLWYBR": "PATH",
                      "RHES": "ROW", "MAES": "FIELD", "BRYN": "HILL", "ALLT": "HILL"}
WELSH_WORDS = {"PARC": "PARK", "CAPEL": "CHAPEL", "EGLWYS": "CHURCH", "YSGOL": "SCHOOL", "ORSAF": "STATION",
               "GORSAF": "STATION", "MYNYDD": "MOUNTAIN", "DWR": "WATER", "FELIN": "MILL", "MELIN": "MILL",
               "CASTELL": "CASTLE", "NEWYDD": "NEW", "BONT": "BRIDGE", "PONT": "BRIDGE", "AFON": "RIVER",
               "FARCHNAD": "MARKET", "MARCHNAD": "MARKET", "FFYNNON": "WELL", "COED": "WOOD", "GOED": "WOOD",
               "FFERM": "FARM", "FRENHINES": "QUEEN", "BRENHINES": "QUEEN", "BRENIN": "KING", "FRENIN": "KING",
               "FYNWENT": "CEMETERY", "MYNWENT": "CEMETERY", "HARBWR": "HARBOUR", "CEI": "QUAY", "MOR": "SEA",
               **WELSH_STREET_TYPES}


def english_street_words(words) -> frozenset:
    """The words of a street's name in English, the street's type and articles left out: HEOL Y
    PARC and PARK ROAD are both {PARK}; STRYD FAWR and HIGH STREET {HIGH}; HEOL NEWYDD and NEW
    ROAD {NEW}."""
    words = [w for w in words if w not in ("Y", "YR", "THE")]
    if words[:2] == ["STRYD", "FAWR"]:
        return frozenset({"HIGH"} | set(words[2:]))
    # (a Welsh street's type first, an English street's last: PARK of PARK ROAD is its name)
    if words and words[0] in WELSH_STREET_TYPES:
        words = words[1:]
    elif words and words[-1] in _STREET_TYPES:
        words = words[:-1]
    return frozenset(WELSH_WORDS.get(w, w) for w in words)


def other_language_readings(raw_texts, postcodes, ref_raw, ref_postcodes) -> np.ndarray:
    """Each record (as written, ``raw_texts``) with its street named in the other language than
    the gazetteer's at the record's postcode ('15 Heol y Parc' where the postcode's street is 15
    PARK ROAD; 'BODLONDEB, NEW ROAD' where it is HEOL NEWYDD), read with the gazetteer's name:
    normalised, its parts after the street left out; '' elsewhere. Parts are read between commas,
    a house number first kept; the same words in English (:func:`english_street_words`), one
    side with a Welsh word."""
    out = np.full(len(raw_texts), "", dtype=object)
    wanted = {pc for pc in postcodes if isinstance(pc, str) and pc}
    if not wanted:
        return out
    streets_at: dict = {}
    # (only the gazetteer's rows at the records' postcodes read, not all of it in Python)
    at_wanted = pd.Series(ref_postcodes, dtype=object).isin(wanted).to_numpy()
    for raw, pc in zip(np.asarray(ref_raw, dtype=object)[at_wanted],
                       np.asarray(ref_postcodes, dtype=object)[at_wanted], strict=True):
        for part in str(raw).upper().split(",")[:-1]:
            words = [w for w in _NON_ALNUM.sub(" ", part).split() if not w[0].isdigit()]
            if words:
                streets_at.setdefault(pc, set()).add(" ".join(words))
    welsh = set(WELSH_WORDS)
    # (only where a Welsh word is written, in the record or at its postcode: nothing to do elsewhere)
    welsh_at = {pc for pc, streets in streets_at.items() if any(welsh & set(st.split()) for st in streets)}
    upper = _ascii_upper(pd.Series(list(raw_texts), dtype=object)).fillna("").to_numpy()
    for i, (raw, pc) in enumerate(zip(upper, postcodes, strict=True)):
        parts = str(raw).split(",")
        if len(parts) < 2 or pc not in streets_at or (
                pc not in welsh_at and not welsh & set(_NON_ALNUM.sub(" ", str(raw)).split())):
            continue
        for k, part in enumerate(parts):
            words = _NON_ALNUM.sub(" ", part).split()
            number = [w for w in words[:1] if w[0].isdigit()]
            name = words[len(number):]
            meaning = english_street_words(name)
            if not meaning or not name:
                continue
            found = [st for st in sorted(streets_at[pc]) if st != " ".join(name)
                     and english_street_words(st.split()) == meaning and (welsh & (set(name) | set(st.split())))]
            if len(found) == 1:
                reading = ", ".join(parts[:k] + [" ".join(number + [found[0]])])
                out[i] = normalise_addresses(pd.Series([reading])).iloc[0]
                break
    return out


def _is_subsequence(short: str, long_: str) -> bool:
    letters = iter(long_)
    return all(ch in letters for ch in short)


def _same_word(a: str, b: str) -> bool:
    """One word written two ways, as the agencies write streets: a slip of one letter; run into
    its neighbour ('BRIDGESTREET'); cut short or its vowels dropped ('MKT' MARKET, 'NWLAD'
    NEWLAND); or, from the same first letter, its first four letters or most of its letters in
    order ('BRALUY' BRAMLEY, 'GRNRY' GRANBY), or most of them shuffled."""
    if _within_one_edit(a, b) or (min(len(a), len(b)) >= 4 and (a in b or b in a)):
        return True
    if WELSH_WORDS.get(a) == b or WELSH_WORDS.get(b) == a:  # (TERAS Y CAPEL is CHAPEL TERRACE)
        return True
    if a[0] != b[0]:
        return False
    short, long_ = sorted((a, b), key=len)
    # (letters shuffled: 'GARBNY' GRANBY, 'UPRNO' UPTON)
    shared = sum((Counter(a) & Counter(b)).values())
    return _is_subsequence(short, long_) or (len(short) >= 4 and short[:4] == long_[:4]) \
        or difflib.SequenceMatcher(None, a, b).ratio() >= 0.7 or shared >= 0.8 * len(long_)


def heads_disagree(record: pd.Series, candidate: pd.Series, places: frozenset) -> np.ndarray:
    """True where a record and its candidate, both with a house number, are on streets that share
    no word: the record's street head (:func:`street_heads`) is no word of the candidate's street
    and town, and the candidate's head no word of the record at all (its places, ``places``, left
    out: 'WREN GARDENS, LOWER TILFORD' is not on LOWER BRIDGE ROAD; anywhere in the record, for
    the number written after the street: 'MILL ROAD 10, BEECH LODGE'). A slip of one letter or
    words run together are the same word. Normalised text; a dropped word never disagrees."""
    record = pd.Series(record).reset_index(drop=True)
    candidate = pd.Series(candidate).reset_index(drop=True)
    rec_heads, cand_heads = street_heads(record), street_heads(candidate)
    cand_keys = street_keys(candidate).to_numpy()
    out = np.zeros(len(record), dtype=bool)
    for i in range(len(record)):
        a, b = rec_heads[i], cand_heads[i]
        if a is None or b is None or a == b:
            continue
        # (a place is its own word, not a street's: SHAWHILL GATE is not on DEANSTON DRIVE,
        # SHAWLANDS, however alike SHAWHILL and SHAWLANDS begin)
        in_cand = any(_within_one_edit(a, w) if w in places else _same_word(a, w)
                      for w in str(cand_keys[i]).split())
        in_rec = any(_same_word(b, w) for w in str(record.iloc[i]).split() if w not in places and not w[0].isdigit())
        out[i] = not in_cand and not in_rec
    return out


def street_words_disagree(record: pd.Series, candidate: pd.Series, places: frozenset) -> np.ndarray:
    """True where a record's street has a word its candidate lacks and the candidate's street a
    word of its name (not its type) the record lacks: another street, not a slip or a dropped word
    ('APARTMENT 5, 4 HARBOUR GREEN' is not on WESTERN HARBOUR, '2 KELVIN WHARF' not on KELVIN HAUGH
    STREET). A slip of one letter, words run together or cut short are the same word (as in
    :func:`heads_disagree`); a place is compared with places only within a slip. A street whose
    type alone differs ('ROSEBERY AVENUE', 'ROSEBERY ROAD') never disagrees, nor a record or
    candidate without a house number (its street is not known). Normalised text."""
    record = pd.Series(record).reset_index(drop=True)
    candidate = pd.Series(candidate).reset_index(drop=True)
    rec_keys, cand_keys = street_keys(record).to_numpy(), street_keys(candidate).to_numpy()
    numbered = has_house_number(record) & has_house_number(candidate)
    out = np.zeros(len(record), dtype=bool)
    for i in np.flatnonzero(numbered):
        cand_words = str(cand_keys[i]).split()
        rec_words = str(record.iloc[i]).split()

        # (the record's street: its words before the first place, a county after them left out)
        street_words = list(itertools.takewhile(lambda w: w not in places, str(rec_keys[i]).split()))
        extra = [w for w in street_words
                 if len(w) >= 3 and w.isalpha() and w not in ("SAINT", "STREET")
                 and not any(_within_one_edit(w, c) if c in places else _same_word(w, c) for c in cand_words)]
        if not extra:
            continue
        missing = [c for c in cand_words if len(c) >= 3 and c.isalpha() and c not in places
                   and c not in _NOT_A_HEAD and c not in ("SAINT", "STREET")
                   and not any(_same_word(c, w) for w in rec_words if w not in places and not w[0].isdigit())]
        # (a street type alone missing is another street only where the record has a word of
        # another kind in its place: 'BARN 4, NEW HOUSE FARM' is not on NEW ROAD)
        out[i] = any(c not in _STREET_TYPES for c in missing) or (
            bool(missing) and any(w not in _STREET_TYPES for w in extra))
    return out


def heads_known(heads, gazetteer_heads: set) -> np.ndarray:
    """True where a street head (:func:`street_heads`) is, within a slip of one letter, the head of
    a street of the gazetteer (``gazetteer_heads``): False is a street the gazetteer lacks."""
    by_length: dict = {}
    for h in gazetteer_heads:
        by_length.setdefault(len(h), []).append(h)
    return np.array([h is None or h in gazetteer_heads or any(
        _within_one_edit(h, g) for n in (len(h) - 1, len(h), len(h) + 1) for g in by_length.get(n, []))
        for h in heads], dtype=bool)


def place_words(keys: pd.Series, names: pd.Series) -> list:
    """The words after the street's name in each street key (its locality and town, a county
    added): 'FAIRFAX GARDENS OLD TOWN LINDWORTH' with FAIRFAX GARDENS -> {OLD, TOWN, LINDWORTH}."""
    out: list = []
    for key, name in zip(keys, names, strict=True):
        if not isinstance(key, str) or not isinstance(name, str) or name not in key:
            out.append(frozenset())
        else:
            out.append(frozenset(key.split(name, 1)[1].split()))
    return out


def street_left_open(record: pd.Series, candidate: pd.Series, reference: pd.Series) -> np.ndarray:
    """True where a record leaves part of its candidate's street name out ('31 WESTBOURNE' for
    '31 WESTBOURNE LANE', '21 WAY' for '21 YARROW WAY'), writes no word the candidate lacks, and
    another street of ``reference`` that fits what it wrote has its house number too ('31
    WESTBOURNE DRIVE'): which street is meant is then a guess. All three in normalised text."""
    record = pd.Series(record).reset_index(drop=True)
    candidate = pd.Series(candidate).reset_index(drop=True)
    out = np.zeros(len(record), dtype=bool)
    rec_keys, cand_keys = street_keys(record), street_keys(candidate)
    cand_names = street_names(candidate)
    _, rec_house = number_parts(record)
    todo = []
    for i, (r, c, s, h) in enumerate(zip(rec_keys, cand_keys, cand_names, rec_house, strict=True)):
        if not h or not all(isinstance(v, str) for v in (r, c, s)):
            continue  # no street named, no house number, or no text (a record of numbers only)
        written, street = set(r.split()), set(s.split())
        if written <= set(c.split()) and not street <= written:
            todo.append((i, written, c, h))
    if not todo:
        return out
    houses_on: dict = {}
    for key, houses in zip(street_keys(reference), number_parts(reference)[1], strict=True):
        houses_on.setdefault(key, set()).update(houses)
    words_of = {key: set(key.split()) for key in houses_on}
    for i, written, cand_key, houses in todo:
        out[i] = any(key != cand_key and written <= words and houses <= houses_on[key]
                     for key, words in words_of.items())
    return out


def building_names(normalised: pd.Series) -> np.ndarray:
    """The name an address gives its building before its last house number, its flat and THE left
    out ('THE KINGS HEAD 7 CORNHILL' -> KINGS HEAD; 'FLAT 5 TELFORD HOUSE 50 FORE STREET' ->
    TELFORD HOUSE); None where it names none or has no house number."""
    text = normalised.astype("string").fillna("").str.replace(FLAT_KEY, " ", regex=True)
    # (everything before the last house number; '' where there is none)
    before = text.str.extract(r"^(.*)\b\d+[A-Z]?\b", expand=False).fillna("").to_numpy(dtype=object)
    uniq, inverse = np.unique(before.astype(str), return_inverse=True)
    names = []
    for u in uniq:
        words = [w for w in u.split() if w.isalpha() and w not in ("THE", "FLAT")]
        names.append(" ".join(words) if words else None)
    out = np.array(names, dtype=object)[inverse] if len(uniq) else np.full(len(text), None, dtype=object)
    out[~has_house_number(normalised)] = None
    return out


def _names_before_street(record: list, candidate: list) -> tuple | None:
    """The words of two addresses before the longest run of words they share in the same order
    (their street and town): the building names of 'ORCHARD COTTAGE ST ANNES TERRACE OLD TOWN'
    and 'OLD RECTORY ST ANNES TERRACE OLD TOWN' are ORCHARD COTTAGE and OLD RECTORY, though OLD
    is in both. Returns (record's, candidate's); None when they share no word."""
    best, start_r, start_c = 0, 0, 0
    for i in range(len(record)):
        for j in range(len(candidate)):
            k = 0
            while i + k < len(record) and j + k < len(candidate) and record[i + k] == candidate[j + k]:
                k += 1
            if k > best:
                best, start_r, start_c = k, i, j
    return (record[:start_r], candidate[:start_c]) if best else None


def building_name_words(normalised: str) -> str:
    """The name of a building in the normalised words before its street, as
    :func:`building_name_differs` compares names: flats and THE left out ('FLAT 1 THE MALTINGS'
    -> 'MALTINGS'); '' where none is left."""
    return " ".join(w for w in re.sub(FLAT_KEY, " ", normalised).split() if w not in ("THE", "FLAT"))


def _names_of_pair(record, candidate) -> tuple | None:
    """The building names a record and its candidate give before the street they share, as
    :func:`_names_before_street` reads them from their :func:`building_name_words` (the
    candidate's house numbers left out)."""
    r = building_name_words(str(record or "")).split()
    c = [w for w in building_name_words(str(candidate or "")).split() if not w[0].isdigit()]
    return _names_before_street(r, c)


def names_a_listed_building(record: pd.Series, candidate: pd.Series, buildings_on: dict) -> np.ndarray:
    """The name of the building a record names without a house number, where its candidate has a
    house number and no name, and the gazetteer lists a building of that name on the candidate's
    street (``buildings_on``: its (street key, name) keys, :class:`engine.linkage_streets.StreetIndex`):
    'FLAT 30, WHARFSIDE, YELLOWHAMMER MEWS' and 'FLAT 30, 4 YELLOWHAMMER MEWS' where WHARFSIDE is
    a block of its own. None elsewhere. Normalised text."""
    record = pd.Series(record).reset_index(drop=True)
    candidate = pd.Series(candidate).reset_index(drop=True)
    out = np.full(len(record), None, dtype=object)
    if not buildings_on:
        return out
    rows = np.flatnonzero(~has_house_number(record) & has_house_number(candidate))
    cand_keys = street_keys(candidate.iloc[rows]).to_numpy()
    for i, key in zip(rows, cand_keys, strict=True):
        names = _names_of_pair(record.iloc[i], candidate.iloc[i])
        if names is None or names[1] or not names[0]:
            continue
        name = " ".join(names[0])
        if (key, name) in buildings_on:
            out[i] = name
    return out


_TRADING_WORDS = frozenset({"PH", "PUB", "LTD", "LIMITED", "PLC"})


def _without_trading_words(words: list) -> list:
    """A business's name without its trading words (PH, PUB, PUBLIC HOUSE, LTD ...): 'THE RED
    LION PUBLIC HOUSE' is THE RED LION."""
    return [w for w in " ".join(words).replace("PUBLIC HOUSE", "PH").split() if w not in _TRADING_WORDS]


def first_name_missing(raw_texts, candidate: pd.Series) -> np.ndarray:
    """True where a record as written (``raw_texts``) has no house number, names a house first, a
    part of its own before a comma, and its candidate (normalised text) has none of that name's
    words, not even within a slip ('Y GRANAR, GREEN FARM' and GREEN FARM; THE, Y, YR, FARM and HOUSE
    left out: 'FARM HOUSE, LOWER FARM' is the farm)."""
    candidate = pd.Series(candidate).reset_index(drop=True)
    out = np.zeros(len(candidate), dtype=bool)
    upper = _ascii_upper(pd.Series(list(raw_texts), dtype=object)).fillna("").to_numpy()
    for i, raw in enumerate(upper):
        parts = str(raw).split(",")
        if len(parts) < 2 or any(ch.isdigit() for ch in str(raw)):
            continue
        name = [w for w in _NON_ALNUM.sub(" ", parts[0]).split()
                if w not in ("THE", "Y", "YR", "FARM", "HOUSE", "FARMHOUSE") and len(w) >= 3]
        cand = str(candidate.iloc[i]).split()
        out[i] = bool(name) and not any(_within_one_edit(w, c) for w in name for c in cand)
    return out


def building_name_differs(record: pd.Series, candidate: pd.Series) -> np.ndarray:
    """True where a record with no house number (a flat's aside) names a building ('CHERRY TREE
    HOUSE, ST PETERS AVENUE'; 'FLAT 31, FOUNDRY WHARF, KINGFISHER WAY') and its candidate names
    another before the street they share ('IVY HOUSE, ST PETERS AVENUE'; 'FLAT 31, THE MALTINGS,
    13 KINGFISHER WAY'): a building known by its name only is another building when the name is
    another (a slip of one letter in a word of the name is allowed; THE is left out). Normalised
    text."""
    record = pd.Series(record).reset_index(drop=True)
    candidate = pd.Series(candidate).reset_index(drop=True)
    out = np.zeros(len(record), dtype=bool)
    # (a flat's number is no house number: 'FLAT 31, FOUNDRY WHARF, KINGFISHER WAY' names its block)
    has_number = has_house_number(record)
    for i in np.flatnonzero(~has_number):
        names = _names_of_pair(record.iloc[i], candidate.iloc[i])
        if names is None:
            continue
        rec_name, cand_name = names
        # (ST read as STREET or SAINT, before a word the normaliser did not know for a name)
        # (a name run together, 'ROSECOTTAGE', is the name)
        run_together = _within_one_edit("".join(names[0]), "".join(cand_name))
        # (a business's trading words are no other name: 'THE RED LION PH' and 'THE RED LION
        # PUBLIC HOUSE' are THE RED LION)
        # (a farm's house is the farm: 'MOAT FARM HOUSE', 'LONGLANDS FARMHOUSE' for MOAT FARM)
        rec_name = [w for w in _without_trading_words(rec_name) if w not in ("SAINT", "STREET")
                    and not any(_within_one_edit(w, v) for v in cand_name)
                    and not (w in ("HOUSE", "FARMHOUSE") and "FARM" in cand_name)]
        out[i] = bool(rec_name) and bool(cand_name) and not run_together
    return out
