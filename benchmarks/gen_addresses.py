"""Seeded synthetic UK-style gazetteer and agency extracts on the sample city's buildings.

The gazetteer is built on the real buildings of ``helsinki.osm.pbf`` (EPSG:3067) and the real
street names of its ``lines`` layer, rewritten with English street types so that UK
abbreviations apply ("Aleksanterinkatu" -> "Aleksanterin Street", "Mannerheimintie" ->
"Mannerheimin Road"). Each building takes the name of its nearest named street, one to three
house numbers (some with a letter suffix, a few with a house name instead) and, for blocks of
flats, a parent "shell" record plus one record per flat, as in a UK address gazetteer. Postcodes
are UK-formatted (``JU7 3AB``): one outward code per town, one unit per run of addresses on a
street. For scale the city is repeated as several towns (same street names, different town
names, postcodes and a spatial offset), which is also how real gazetteers repeat "High Street".

Agency extracts sample gazetteer addresses and write them the way agencies do, with recording
errors of a known type (``error_type``) and the true UPRN kept (``true_uprn``; a record of a
flat written without its flat number belongs to the building's parent UPRN; a record of an
address that is not in the gazetteer has no true UPRN).

Every function is seeded: the same arguments give the same data.
"""
from __future__ import annotations

import re

import numpy as np

CRS = "EPSG:3067"
OSM_PATH = None  # set by callers; see default_osm_path()

# Finnish street-type endings -> an English street type (longest ending first).
_STREET_TYPES = [
    ("puistokuja", "Park Lane"), ("esplanadi", "Esplanade"), ("bulevardi", "Boulevard"),
    ("puistikko", "Gardens"), ("käytävä", "Passage"), ("penger", "Bank"), ("ranta", "Quay"),
    ("aukio", "Place"), ("tori", "Square"), ("katu", "Street"), ("kuja", "Lane"),
    ("polku", "Walk"), ("silta", "Bridge"), ("tie", "Road"), ("väylä", "Way"),
    ("piha", "Court"), ("kärki", "Point"), ("tunneli", "Row"), ("putki", "Close"),
]
TOWNS = ["Kingsmere", "Ashbury", "Northwick", "Elmfield", "Marston", "Highcliffe", "Oakham Vale",
         "Redbridge End", "Saltmarsh", "Whitford", "Thornbury Cross", "Fenwick", "Larkhill",
         "Brookside", "Stanwell", "Coldharbour", "Millbank", "Westerleigh", "Hollins",
         "Briarwood", "Duncombe", "Farleigh", "Gosworth", "Kirkby Moor", "Lydgate", "Penhallow",
         "Ravensdale", "Sedgefield", "Tamworth Green", "Wexcombe"]
HOUSE_NAMES = ["Rose Cottage", "The Old Rectory", "Ivy House", "Orchard View", "The Laurels",
               "Holly Lodge", "Meadow Barn", "Willow Cottage", "The Coach House", "Stable End",
               "Fern Villa", "Glebe House", "The Granary", "Brook House", "Beech Lodge"]
FIRST = ["James", "Mary", "Mohammed", "Olivia", "Amelia", "George", "Noah", "Isla", "Harry",
         "Ava", "Jack", "Sophia", "Oliver", "Grace", "Leo", "Freya", "Arthur", "Priya", "Ewan",
         "Zofia", "Aisha", "Tomasz", "Siobhan", "Kwame", "Chloé", "Björn"]
LAST = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
        "Khan", "Patel", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes",
        "Nowak", "O'Brien", "MacLeod", "Okafor", "Ahmed", "Müller", "Kowalski", "Singh"]
# Letters UK postcodes use in the inward unit (no C I K M O V).
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

ERROR_TYPES = ("clean", "abbreviation", "case_punctuation", "typo", "swapped_order",
               "missing_postcode", "wrong_postcode", "postcode_typo", "missing_flat",
               "not_in_gazetteer")
DEFAULT_ERROR_MIX = {"clean": 0.2, "abbreviation": 0.14, "case_punctuation": 0.1, "typo": 0.14,
                     "swapped_order": 0.1, "missing_postcode": 0.1, "wrong_postcode": 0.06,
                     "postcode_typo": 0.04, "missing_flat": 0.06, "not_in_gazetteer": 0.06}
ABBREVIATIONS = {"Street": "St", "Road": "Rd", "Lane": "Ln", "Place": "Pl", "Square": "Sq",
                 "Quay": "Qy", "Court": "Ct", "Close": "Cl", "Gardens": "Gdns", "Boulevard": "Blvd",
                 "Esplanade": "Espl", "Bridge": "Br", "Walk": "Wlk", "Point": "Pt", "Way": "Wy",
                 "Passage": "Pas", "Bank": "Bk", "Row": "Rw", "Park": "Pk"}
FLAT_WORDS = ["Flat", "Apartment", "Apt", "Flat No", "Apt.", "F"]


def default_osm_path():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "resources" / "sample" / "helsinki.osm.pbf"


def english_street(name: str) -> str:
    """A Finnish street name with an English street type: 'Aleksanterinkatu' -> 'Aleksanterin Street'."""
    words = name.split()
    last = words[-1]
    low = last.lower()
    for ending, english in _STREET_TYPES:
        if low.endswith(ending):
            stem = last[: len(last) - len(ending)].rstrip("-")
            head = words[:-1] + ([stem[:1].upper() + stem[1:]] if stem else [])
            return " ".join(head + [english]) if head else english
    return name + " Road"


def _city(osm_path):
    """Building points (representative points, EPSG:3067) and named street lines of the city."""
    import warnings

    import geopandas as gpd
    import pyogrio
    import shapely

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        polys = pyogrio.read_dataframe(osm_path, layer="multipolygons", columns=["building"],
                                       on_invalid="ignore")
        lines = pyogrio.read_dataframe(osm_path, layer="lines", columns=["name", "highway"])
    polys = polys[polys["building"].notna() & polys.geometry.notna()].to_crs(CRS)
    polys = polys[~polys.geometry.is_empty]
    geoms = shapely.make_valid(polys.geometry.values)
    area = shapely.area(geoms)
    points = shapely.point_on_surface(geoms)
    lines = lines[lines["name"].notna() & lines["highway"].notna()].to_crs(CRS)
    lines = lines[~lines["highway"].isin(["footway", "steps", "cycleway", "path", "corridor"])]
    buildings = gpd.GeoDataFrame({"building": polys["building"].values, "area_m2": area},
                                 geometry=points, crs=CRS)
    return buildings.reset_index(drop=True), lines.reset_index(drop=True)


def make_gazetteer(n_towns: int = 1, *, seed: int = 0, osm_path=None):
    """A UK-style gazetteer (GeoDataFrame of points, EPSG:3067).

    Columns: ``uprn`` (int64), ``parent_uprn`` (flats: their building's shell; else null),
    ``kind`` ('single', 'parent', 'flat'), ``sao`` (e.g. 'Flat 3'), ``house_name``,
    ``house_number`` (text, e.g. '12' or '12A'), ``street``, ``town``, ``postcode``,
    ``address`` (one line, without the postcode), and the building point. About 8,000
    addresses per town.
    """
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    buildings, lines = _city(osm_path or default_osm_path())
    tree = shapely.STRtree(lines.geometry.values)
    nearest = tree.query_nearest(buildings.geometry.values, return_distance=False, all_matches=False)
    b_idx, l_idx = nearest
    street_of = np.empty(len(buildings), dtype=object)
    street_of[b_idx] = lines["name"].values[l_idx]
    xy = shapely.get_coordinates(buildings.geometry.values)

    # One base city: per building, entrances (numbers) and flats; numbers run along each street.
    base = []  # (building, number text or None, house name or None, n_flats)
    for street in sorted(set(street_of)):
        idx = np.flatnonzero(street_of == street)
        pts = xy[idx]
        centred = pts - pts.mean(axis=0)
        axis = np.linalg.svd(centred, full_matrices=False)[2][0] if len(idx) > 1 else np.array([1.0, 0.0])
        order = idx[np.argsort(centred @ axis)]
        number = int(rng.integers(1, 4))
        used_names = set()  # a house name once per street: no two identical addresses
        for b in order:
            kind = buildings["building"].iat[b]
            big = buildings["area_m2"].iat[b] > 900
            entrances = int(rng.integers(2, 4)) if big else 1
            for e in range(entrances):
                letter = "ABC"[e - 1] if (e and rng.random() < 0.3) else ""
                if letter:
                    text = f"{number}{letter}"
                else:
                    if e:
                        number += int(rng.integers(1, 3))
                    text = str(number)
                house_name = None
                flats = 0
                if kind in ("apartments", "residential", "yes", "block") and rng.random() < 0.75:
                    flats = int(rng.integers(2, 25))
                elif rng.random() < 0.3:
                    free = [h for h in HOUSE_NAMES if h not in used_names]
                    house_name = free[int(rng.integers(len(free)))] if free else None
                    used_names.add(house_name)
                    if rng.random() < 0.3:
                        text = None  # a named house without a number
                base.append((b, text, house_name, flats, street))
            number += int(rng.integers(1, 4))

    rows = []
    uprn = 100090000000
    for t in range(n_towns):
        town = TOWNS[t % len(TOWNS)] + ("" if t < len(TOWNS) else f" {t // len(TOWNS) + 1}")
        # A UK district is one or two digits: past 99 towns the area letters move on (JU99 -> JV1),
        # so every postcode stays well formed (JU117 is not a postcode, and was read as none).
        if t >= 99 * 6:
            raise ValueError("at most 594 towns (areas JU to JZ, districts 1-99)")
        outward = f"J{'UVWXYZ'[t // 99]}{t % 99 + 1}"
        dx, dy = (t % 6) * 4000.0, (t // 6) * 4000.0
        unit_count, sector, unit_key = 0, 1, None
        units_used = 0
        for b, text, house_name, flats, street in base:
            key = street
            size = max(1, flats) + 1
            if key != unit_key or unit_count + size > 25:
                units_used += 1
                sector = 1 + (units_used // 200) % 9
                code = units_used % 200
                unit = UNIT_LETTERS[code // 10 % 20] + UNIT_LETTERS[(code * 7 + t) % 20]
                postcode = f"{outward} {sector}{unit}"
                unit_key, unit_count = key, 0
            unit_count += size
            x, y = xy[b][0] + dx, xy[b][1] + dy
            eng = english_street(street)
            if flats:
                uprn += 1
                parent = uprn
                rows.append((parent, None, "parent", None, house_name, text, eng, town, postcode, x, y))
                for f in range(1, flats + 1):
                    uprn += 1
                    rows.append((uprn, parent, "flat", f"Flat {f}", house_name, text, eng, town,
                                 postcode, x, y))
            else:
                uprn += 1
                rows.append((uprn, None, "single", None, house_name, text, eng, town, postcode, x, y))
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["uprn", "parent_uprn", "kind", "sao", "house_name",
                                        "house_number", "street", "town", "postcode", "x", "y"])
    frame["parent_uprn"] = frame["parent_uprn"].astype("Int64")
    frame["address"] = [_line(s, h, n, st, tw) for s, h, n, st, tw in zip(
        frame["sao"], frame["house_name"], frame["house_number"], frame["street"], frame["town"])]
    gdf = gpd.GeoDataFrame(frame.drop(columns=["x", "y"]),
                           geometry=shapely.points(frame["x"].values, frame["y"].values), crs=CRS)
    return gdf


def _s(value):
    """Text, or None for a missing value (pandas may hold None as NaN)."""
    return value if isinstance(value, str) and value else None


def _line(sao, house_name, number, street, town) -> str:
    sao, house_name, number = _s(sao), _s(house_name), _s(number)
    parts = [p for p in (sao, house_name) if p]
    parts.append(f"{number} {street}" if number else street)
    parts.append(town)
    return ", ".join(parts)


def sized_gazetteer(n_addresses: int, *, seed: int = 0, osm_path=None):
    """A gazetteer of at least ``n_addresses`` rows, cut to exactly that many (whole towns
    first, the last one partly)."""
    one = make_gazetteer(1, seed=seed, osm_path=osm_path)
    towns = int(np.ceil(n_addresses / len(one)))
    gaz = make_gazetteer(towns, seed=seed, osm_path=osm_path) if towns > 1 else one
    return gaz.iloc[:n_addresses].reset_index(drop=True)


# --- agency extracts ------------------------------------------------------------------------
def _typo(word: str, rng) -> str:
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    if len(letters) < 4:
        return word
    i = letters[int(rng.integers(1, len(letters) - 1))]
    op = int(rng.integers(4))
    if op == 0 and i + 1 < len(word) and word[i + 1].isalpha():  # transpose
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == 1:  # delete
        return word[:i] + word[i + 1:]
    if op == 2:  # double
        return word[:i] + word[i] + word[i:]
    repl = "aeiou"[int(rng.integers(5))] if word[i].lower() in "aeiou" else "rstnlm"[int(rng.integers(6))]
    return word[:i] + repl + word[i + 1:]


def _postcode_typo(pc: str, rng) -> str:
    out, inward = pc.split()
    op = int(rng.integers(3))
    if op == 0:
        return out + inward  # no space
    if op == 1:
        return out + " " + inward[0] + inward[2] + inward[1]  # transposed unit letters
    return out + " " + inward[0] + UNIT_LETTERS[(UNIT_LETTERS.index(inward[1]) + 1) % 20] + inward[2]


def make_agency_extract(gazetteer, n: int, *, seed: int = 0, error_mix=None, agency="council_tax",
                        uprn_share: float = 0.0, flat_share: float | None = None, uprns=None):
    """``n`` agency records of gazetteer addresses with recording errors (a DataFrame).

    Columns: ``record_id``, ``address`` (one line as the agency typed it), ``postcode``,
    ``uprn`` (filled for a share ``uprn_share`` of records, as when an agency already holds
    it), agency fields, and the truth: ``true_uprn`` (nullable) and ``error_type``.
    Agencies: 'council_tax' (account_name, occupancy, band, last_updated), 'electoral'
    (elector_name, registered_on), 'water' (m3_last_quarter, reading_date).

    ``uprns``: write records of these addresses only (a building's own UPRN allowed), each at
    least once when ``n`` allows, so that a second agency covers the same homes as a first.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    mix = dict(error_mix or DEFAULT_ERROR_MIX)
    kinds = list(mix)
    p = np.array([mix[k] for k in kinds], float)
    p /= p.sum()
    if uprns is None:
        addressable = gazetteer[gazetteer["kind"] != "parent"].reset_index(drop=True)
        pick = rng.integers(0, len(addressable), n)
    else:
        addressable = gazetteer[gazetteer["uprn"].isin(set(uprns))].reset_index(drop=True)
        m = len(addressable)
        pick = np.r_[rng.permutation(m), rng.integers(0, m, max(0, n - m))][:n]
    errors = rng.choice(kinds, size=n, p=p)
    postcodes_by_town = {t: sorted(set(g)) for t, g in gazetteer.groupby("town")["postcode"]}
    max_number = {}
    for (street, town), g in gazetteer.groupby(["street", "town"]):
        nums = pd.to_numeric(g["house_number"].str.extract(r"^(\d+)")[0], errors="coerce")
        max_number[(street, town)] = int(nums.max()) if nums.notna().any() else 0
    rows = []
    for i in range(n):
        rec = addressable.iloc[int(pick[i])]
        error = str(errors[i])
        sao, name, number = _s(rec["sao"]), _s(rec["house_name"]), _s(rec["house_number"])
        street, town, postcode = rec["street"], rec["town"], rec["postcode"]
        true_uprn = int(rec["uprn"])
        if error == "missing_flat" and sao is None:
            error = "clean"
        if error == "missing_flat":
            sao = None
            true_uprn = int(rec["parent_uprn"])
        if error == "not_in_gazetteer":
            number = str(max_number.get((street, town), 0) + int(rng.integers(3, 40)))
            sao = None if rng.random() < 0.6 else f"Flat {int(rng.integers(30, 60))}"
            name = None
            true_uprn = None
        flat_word = "Flat"
        street_text = street
        if error == "abbreviation":
            flat_word = FLAT_WORDS[int(rng.integers(1, len(FLAT_WORDS)))]
            words = street.split()
            words = [ABBREVIATIONS.get(w, w) for w in words]
            street_text = " ".join(words)
        if error == "typo":
            words = street.split()
            j = int(np.argmax([len(w) for w in words]))
            words[j] = _typo(words[j], rng)
            street_text = " ".join(words)
        flat_text = None
        if sao:
            flat_text = f"{flat_word} {sao.split()[-1]}" if flat_word != "F" else f"F{sao.split()[-1]}"
        street_part = f"{number} {street_text}" if number else street_text
        if error == "swapped_order":
            if flat_text and rng.random() < 0.5:
                parts = [street_part, flat_text]
            elif number:
                parts = [flat_text, f"{street_text} {number}"]
            else:
                parts = [street_text, flat_text]
            parts = [p for p in parts if p]
            if name:
                parts.append(name)
        else:
            parts = [p for p in (flat_text, name, street_part) if p]
        if rng.random() < 0.7 or error in ("missing_postcode", "wrong_postcode"):
            parts.append(town)
        text = ", ".join(parts)
        if error == "case_punctuation":
            style = int(rng.integers(3))
            text = text.upper() if style == 0 else text.lower() if style == 1 else text.replace(",", "")
            text = text.replace(" ", "  ", 1) + (" ." if rng.random() < 0.5 else "")
        elif rng.random() < 0.3:
            text = text.upper()
        pc = postcode
        if error == "missing_postcode":
            pc = None if rng.random() < 0.7 else ""
        elif error == "wrong_postcode":
            others = postcodes_by_town[town]
            j = others.index(postcode)
            pc = others[(j + int(rng.integers(1, 6))) % len(others)]
        elif error == "postcode_typo":
            pc = _postcode_typo(postcode, rng)
        elif pc is not None and rng.random() < 0.2:
            pc = pc.replace(" ", "") if rng.random() < 0.5 else pc.lower()
        uprn = true_uprn if (true_uprn is not None and rng.random() < uprn_share) else None
        rows.append((f"{agency[:2].upper()}{i:07d}", text, pc, uprn, true_uprn, error))
    frame = pd.DataFrame(rows, columns=["record_id", "address", "postcode", "uprn", "true_uprn",
                                        "error_type"])
    frame["uprn"] = frame["uprn"].astype("Int64")
    frame["true_uprn"] = frame["true_uprn"].astype("Int64")
    first, last = rng.integers(0, len(FIRST), n), rng.integers(0, len(LAST), n)
    names = [f"{FIRST[a]} {LAST[b]}" for a, b in zip(first, last)]
    days = rng.integers(0, 3 * 365, n)
    dates = (pd.Timestamp("2026-10-31") - pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    if agency == "council_tax":
        frame["account_name"] = names
        frame["occupancy"] = rng.choice(["occupied", "empty", "second home"], n, p=[0.9, 0.06, 0.04])
        frame["band"] = rng.choice(list("ABCDEFGH"), n)
        frame["last_updated"] = dates
    elif agency == "electoral":
        frame["elector_name"] = names
        frame["registered_on"] = dates
    elif agency == "water":
        frame["m3_last_quarter"] = rng.gamma(2.0, 12.0, n).round(1)
        frame["reading_date"] = dates
    return frame


def precision_recall(matched_uprn, true_uprn, error_type=None):
    """Precision and recall of a linkage against the truth, overall and per error type.

    A record counts as predicted when ``matched_uprn`` is not null; correct when it equals
    ``true_uprn``. Recall's denominator is records that have a true UPRN. Returns a DataFrame
    with rows per error type and 'all'.
    """
    import pandas as pd

    frame = pd.DataFrame({"pred": pd.array(matched_uprn, dtype="Int64"),
                          "true": pd.array(true_uprn, dtype="Int64"),
                          "error_type": error_type if error_type is not None else "all"})
    out = []
    for key, g in list(frame.groupby("error_type")) + [("all", frame)]:
        predicted = g["pred"].notna()
        correct = predicted & g["true"].notna() & (g["pred"] == g["true"]).fillna(False)
        has_truth = g["true"].notna()
        out.append({"error_type": key, "records": len(g), "predicted": int(predicted.sum()),
                    "correct": int(correct.sum()), "wrong": int((predicted & ~correct).sum()),
                    "precision": float(correct.sum() / predicted.sum()) if predicted.any() else float("nan"),
                    "recall": float(correct.sum() / has_truth.sum()) if has_truth.any() else float("nan")})
    return pd.DataFrame(out)


_WS = re.compile(r"\s+")
