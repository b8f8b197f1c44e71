"""OpenStreetMap presets: travel modes and the highway classes they may use, typical speeds,
``oneway``/``maxspeed``/access tag parsing. Text in, arrays out; no graph here."""
from __future__ import annotations

import re

import numpy as np

MODES = ("walk", "cycle", "drive")

# --- OpenStreetMap presets ----------------------------------------------------------------
# Values of OSM's ``oneway`` tag (case-insensitive).
OSM_FORWARD = ("yes", "true", "1")
OSM_BACKWARD = ("-1", "reverse")
OSM_BOTH = ("no", "false", "0")
# Generic direction values used when a direction field is given without its own values.
DEFAULT_FORWARD = ("yes", "true", "1", "forward", "ft", "f")
DEFAULT_BACKWARD = ("-1", "reverse", "backward", "tf", "t")
DEFAULT_BOTH = ("no", "false", "0", "both", "b", "")

# Typical speeds by OSM highway class (km/h), for driving where ``maxspeed`` is missing.
# Urban Finnish/European defaults; override with ``class_speeds_kmh``.
OSM_DRIVE_SPEEDS_KMH = {
    "motorway": 100.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
    "primary": 50.0, "primary_link": 40.0, "secondary": 50.0, "secondary_link": 40.0,
    "tertiary": 40.0, "tertiary_link": 30.0, "unclassified": 40.0, "residential": 30.0,
    "living_street": 10.0, "service": 20.0, "road": 30.0, "track": 20.0,
}
# Classes each travel mode may use (OSM highway values). Lines whose class is not listed
# (including lines with no class: rivers, railways, barriers) are left out of the network.
_FOOT = {"footway", "pedestrian", "path", "steps", "corridor", "elevator", "living_street",
         "track", "bridleway", "platform", "trail", "crossing"}
_STREETS = {"primary", "primary_link", "secondary", "secondary_link", "tertiary",
            "tertiary_link", "unclassified", "residential", "service", "road", "living_street"}
MODE_CLASSES = {
    "walk": _FOOT | _STREETS | {"trunk", "trunk_link", "cycleway"},
    "cycle": (_FOOT - {"steps", "elevator", "corridor", "platform"}) | _STREETS
    | {"cycleway", "trunk", "trunk_link"},
    "drive": set(OSM_DRIVE_SPEEDS_KMH),
}
MODE_SPEEDS_KMH = {"walk": 5.0, "cycle": 15.0, "drive": 30.0}
# OSM ``maxspeed`` words (km/h). Country codes such as "FI:urban" are handled by suffix.
MAXSPEED_WORDS = {"walk": 5.0, "living_street": 10.0, "urban": 50.0, "rural": 80.0,
                  "motorway": 120.0, "trunk": 100.0}
MPH_KMH = 1.609344


def parse_maxspeed(values) -> np.ndarray:
    """OSM ``maxspeed`` values (or plain numbers) → km/h as floats, NaN where unparsable.

    Understands "50", "50 km/h", "30 mph", "walk", "FI:urban", "50;40" (first value),
    numbers; "none", "signals", "variable", empty and null give NaN. Zero and negative give NaN.
    """
    import pandas as pd

    s = pd.Series(values, dtype=object)
    out = pd.to_numeric(s, errors="coerce").astype(float)
    text = s[out.isna() & s.notna()].astype(str).str.strip().str.lower()
    if len(text):
        first = text.str.split(";").str[0].str.strip()
        m = first.str.extract(r"^(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?$")
        num = pd.to_numeric(m[0].str.replace(",", "."), errors="coerce")
        num = num.where(m[1] != "mph", num * MPH_KMH)
        word = first.str.split(":").str[-1]
        num = num.fillna(word.map(MAXSPEED_WORDS))
        out.loc[text.index] = num.astype(float)
    arr = np.array(out.to_numpy(dtype=float), dtype=float)
    arr[~(arr > 0)] = np.nan
    return arr


def osm_tag(other_tags, key: str):
    """Values of one key from OSM's hstore-like ``other_tags`` text (``"k"=>"v","k2"=>"v2"``),
    as an object array (None where absent). Vectorised over the whole column."""
    import pandas as pd

    s = pd.Series(other_tags, dtype=object)
    pattern = r'(?:^|,)"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
    got = s.astype("string").str.extract(pattern)[0]
    return got.astype(object).where(got.notna(), None).to_numpy()



def norm_text(values) -> np.ndarray:
    """Values as lower-case stripped strings; None stays None; 1.0 → '1'."""
    import pandas as pd

    out = np.empty(len(values), dtype=object)
    missing = pd.isna(pd.Series(values, dtype=object)).to_numpy()
    for i, v in enumerate(values):  # runs once per input line at build, not on a search path
        if missing[i]:
            out[i] = None
        elif isinstance(v, (float, np.floating)) and float(v).is_integer():
            out[i] = str(int(v))
        else:
            out[i] = str(v).strip().lower()
    return out


def osm_denied(lines, mode: str) -> np.ndarray:
    """OSM access tags that close a line to a travel mode (``access``, and ``foot`` /
    ``bicycle`` / ``motor_vehicle``/``motorcar`` = no or private)."""
    n = len(lines)
    if "other_tags" not in lines.columns:
        return np.zeros(n, dtype=bool)
    tags = lines["other_tags"].to_numpy(dtype=object)
    closed = ("no", "private")
    specific = {"walk": ["foot"], "cycle": ["bicycle"], "drive": ["motor_vehicle", "motorcar"]}[mode]
    general = np.isin(norm_text(osm_tag(tags, "access")).astype(str), closed)
    opened = np.zeros(n, dtype=bool)
    closed_for_mode = np.zeros(n, dtype=bool)
    for key in specific:
        val = norm_text(osm_tag(tags, key)).astype(str)
        closed_for_mode |= np.isin(val, closed)
        opened |= np.isin(val, ["yes", "designated", "permissive", "destination"])
    return closed_for_mode | (general & ~opened)
