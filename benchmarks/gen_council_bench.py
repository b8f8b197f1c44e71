"""An independent bench for address linkage: a council gazetteer with a hierarchy and five
agencies' extracts written the way those agencies write addresses, with their faults.

Independent of ``gen_addresses.py`` on purpose (no shared code, other street names, other house
styles, other error classes): tuning the matcher to one generator is what gave 99.99 % there and
95.8 / 83.7 on an outside bench (issue 15).

**The gazetteer** has the columns of an LLPG / AddressBase extract: ``uprn, parent_uprn,
class_code, address, postcode, usrn`` and a point. Its structure follows public descriptions:
- Ordnance Survey, *AddressBase Premium technical specification* (classification scheme): RD02
  detached, RD03 semi-detached, RD04 terraced, RD06 self-contained flat, PP property shell (a
  building split into flats, the flats being its children through ``PARENT_UPRN``), CR retail,
  CO office, PS street record, and objects without a postal address (non-addressable:
  sub-stations, car parks).
- BS 7666-2 (via GeoPlace's *DEC-NLPG/LLPG data entry conventions*): the secondary addressable
  object (SAON: ``FLAT 3``, ``GROUND FLOOR FLAT``) sits before the primary (PAON: ``12``, a
  building name, or a name and a number); a letter suffix (``12A``) is its own PAON.
- Converted houses hold floor flats (``GROUND FLOOR FLAT``, ``FIRST FLOOR FLAT``), purpose-built
  blocks numbered flats, often with a building name.

**The agencies** and how each writes an address (from the DWP/VOA/electoral forms they keep and
the GDS data blog's *Tackling address matching together*, 2016, which lists the variation seen
across government: abbreviations, missing counties and postcodes, different orders):
- council tax (VOA list style): upper case, ``FLAT 3 12 HIGH STREET``, floor flats spelled out,
  postcode in its own field, almost always present;
- electoral register: mixed case, ``Flat 3, 12 High Street``, postcode field present;
- housing benefit (claim forms typed by claimants and officers): ``3/12 High St``, ``GFF 12``,
  ``1st Floor Flat``, postcode often missing or inside the text;
- environmental health (premises): business name first, ``Unit``, postcode often in the text;
- business rates: business name first, ``GROUND FLOOR 12 HIGH ST``, postcode field.

**Faults** (``error_class``) and their shares are a judgement from those descriptions and from the
failure table of issue 15 (not measured on a council): see :data:`ERROR_MIX`. About 11 % of
records are of addresses the gazetteer lacks (``not_in_gazetteer_*``): infill ``31A`` where only
``31`` exists, a flat in a house listed as one dwelling, a flat past the block's last, a new
street, ``LAND ADJACENT TO ...`` and ``GARAGE 3 REAR OF ...``.

**Variant forms** (``variants=True``, added in review of issue 15 because the classes above were
written by the same hands as the engine and could share its blind spots): each is its own class
(:data:`VARIANT_MIX`, 15 % of records together, taken out of 'clean', which falls from 25 % to
10 %; shares again a judgement), on a few further streets whose gazetteer rows hold them:
- GeoPlace, *DEC-Addresses reference manual*, "Alphabet rules" (guidance.geoplace.co.uk): the
  gazetteer writes 'and' where people write '&', 'St' is the one abbreviation allowed (for
  Saint), full stops only when official ('St. Stephens Road'), no commas or quotation marks;
  a PAON range written with a hyphen in extracts (``2-5``) -> ``number_range``,
  ``saint_apostrophe``, ``punctuation``;
- Royal Mail, *PAF Programmer's Guide* (edition 7, as implemented by the ``pypaf`` package's
  README): a building name may be a range (``1-2 NURSERY LANE``), a dependent locality stands
  between the thoroughfare and the post town (``PENN``, ``HIGH WYCOMBE``) -> ``number_range``,
  ``locality``; a building name and a number together, or a name alone -> ``house_name``;
- Edinburgh's traditional tenement numbering (``1F2``: first floor, second door; ``GF1``),
  "favoured by all Scottish councils" and a puzzle to systems built elsewhere (Edinburgh
  Evening News, *Driven stair crazy by tenement numbering*) -> ``tenement_flat``;
- flats lettered ``FLAT A`` / ``FLAT B`` in converted houses, ``BASEMENT FLAT``, ``TOP FLOOR
  FLAT``, ``Apt``/``Studio`` for a numbered flat, ``12-A`` for 12A, and postcodes typed with
  ``O`` for 0 or ``I``/``l`` for 1, without their space, or given twice (one in the text, another
  in the field): forms the classes above lacked, from the failure table of issue 15 and common
  council data-quality experience (a judgement, not a measurement).
Two further kinds of address the gazetteer lacks go with them: a lettered flat past the
building's last (``FLAT D`` where A-C exist) and a house known by a name the street does not
list (a new name, no number). ``variants=False`` (the default) gives the bench of before,
record for record.

A record's truth (``true_uprn``) is the UPRN of the address it describes; a flat record whose
flat is missing from the text has the building's (parent) UPRN as truth and ``true_level``
'parent'; records of addresses the gazetteer lacks have no true UPRN.

Every function is seeded: the same arguments give the same data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

CRS = "EPSG:27700"
STREET_STEMS = ["Albion", "Bramley", "Cavendish", "Dalton", "Ennerdale", "Fairfax", "Granby",
                "Harcourt", "Ingram", "Jubilee", "Kelso", "Lowther", "Melville", "Norbury",
                "Ormonde", "Pemberton", "Queensway", "Radnor", "Salisbury", "Tennyson", "Umbria",
                "Victoria", "Wellington", "Yarrow", "Ashdown", "Beechwood", "Clarendon",
                "Devonshire", "Elmwood", "Foxglove", "Gladstone", "Hawthorn", "Ivanhoe",
                "Kingsley", "Lancaster", "Marlborough", "Newland", "Oakfield", "Primrose",
                "Rosebery", "Sandringham", "Thornhill", "Upton", "Westbourne", "Woodland",
                "Chestnut", "Mill", "Church", "Station", "Park", "Chapel", "School"]
STREET_TYPES = ["Road", "Street", "Avenue", "Lane", "Close", "Crescent", "Grove", "Terrace",
                "Gardens", "Drive", "Place", "Way"]
SHORT = {"Road": "Rd", "Street": "St", "Avenue": "Ave", "Lane": "Ln", "Close": "Cl",
         "Crescent": "Cres", "Grove": "Gr", "Terrace": "Ter", "Gardens": "Gdns", "Drive": "Dr",
         "Place": "Pl", "Way": "Wy"}
BLOCK_NAMES = ["Court", "House", "Lodge", "Mansions", "Heights", "Point"]
BUSINESSES = ["THE CORNER SHOP", "STAR KEBABS", "GOLDEN DRAGON TAKEAWAY", "BRIGHT SMILE DENTAL",
              "A1 NEWS", "THE ROYAL OAK", "CUTS HAIR SALON", "FRESH BAKES", "QUICK LAUNDERETTE",
              "PIZZA PALACE", "HOPE CAFE", "CITY MOTORS"]
TOWNS = ["Lindworth", "Castlebridge"]
FLOORS = ["GROUND FLOOR FLAT", "FIRST FLOOR FLAT", "SECOND FLOOR FLAT"]
FLOOR_ABBREV = {"GROUND FLOOR FLAT": ["GFF", "Grd Flr Flat", "G/F FLAT"],
                "FIRST FLOOR FLAT": ["FFF", "1st Floor Flat", "1ST FLR FLAT"],
                "SECOND FLOOR FLAT": ["SFF", "2nd Floor Flat", "2ND FLR FLAT"]}
NUMBER_WORDS = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE", 6: "SIX", 7: "SEVEN",
                8: "EIGHT", 9: "NINE", 10: "TEN", 11: "ELEVEN", 12: "TWELVE"}
AGENCIES = ["council_tax", "electoral", "housing_benefit", "environmental_health", "business_rates"]
AGENCY_SHARE = [0.32, 0.3, 0.16, 0.1, 0.12]
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Share of records per fault class (a record has one, and 15 % a second one on top, see
# SECOND_FAULT_SHARE). Sub-unit faults are frequent because
# half the dwellings of a city are flats and every agency writes them differently.
ERROR_MIX = {
    "clean": 0.25,
    "subunit_format": 0.10,       # 3/12, 12/3, FLAT 3A, F3, Apt 3, GFF 12, 1st Floor Flat
    "subunit_missing": 0.04,      # flat record without its flat: truth is the parent building
    "house_number_format": 0.04,  # 12 A, 12a, number in words (TWELVE)
    "dropped_word": 0.05,         # street type or a word of the name left out
    "joined_words": 0.04,         # HIGHSTREET, 12HIGH
    "typo": 0.07,
    "abbreviation": 0.05,
    "postcode_missing": 0.07,
    "postcode_in_text": 0.04,
    "postcode_wrong": 0.04,       # wrong sector or district (a digit off)
    "order_changed": 0.03,        # the flat after the street (a web form's second line)
    "town_changed": 0.03,         # town left out, or a county added
    "house_number_wrong": 0.015,  # digits swapped or the next-door number: no text can recover it
    "subunit_wrong": 0.015,       # another flat number: no text can recover it
    "business_name_first": 0.00,  # set by agency style, counted as its own class
    "not_in_gazetteer": 0.11,
}
SECOND_FAULT_SHARE = 0.15
# Fault classes no matcher can undo from the text: the address written is another real one.
UNRECOVERABLE = ("house_number_wrong", "subunit_wrong")
NOT_IN_GAZETTEER_KINDS = ["infill", "flat_in_house", "flat_past_last", "new_street", "land",
                          "garage"]

# The variant bench (``variants=True``, see the module docstring): address forms and faults of
# real council data the classes above lack, each a class of its own, 15 % of records together,
# taken out of 'clean' (25 % -> 10 %): most of them are how an address is written, not an error.
VARIANT_MIX = {
    "subunit_word": 0.015,        # Apt 3, Apt. 3, Studio 3, Studio Flat 3 for FLAT 3
    "flat_letter": 0.015,         # FLAT A of a converted house: Flat A, / Flat a / Flat A 12 / A/12
    "floor_flat_other": 0.01,     # Basement Flat, Bsmt Flat, Lower Ground Floor Flat, LGF; Top (Floor) Flat
    "tenement_flat": 0.01,        # FLAT 1F2: Flat 1F2, / 1F2, 12 / 12/1F2 / 12 (1F2)
    "number_range": 0.01,         # 12-14: 12 - 14, 12 & 14, Nos 12-14, 12 to 14
    "number_letter_form": 0.01,   # 12A: 12-A, 12 - A, 12-a
    "house_name": 0.02,           # name without number, number without name, a name added, name only
    "saint_apostrophe": 0.015,    # St Mary's Road: St Marys, St. Mary's, Saint Mary's, St Marys Rd
    "punctuation": 0.015,         # Church-Lane, '&' for 'and', double spaces, trailing commas
    "locality": 0.01,             # dependent locality left out, or one added
    "postcode_typed": 0.01,       # O for 0, I or l for 1; no space, lower case
    "postcode_conflict": 0.01,    # a postcode in the text and another in the postcode field
}
VARIANT_ERROR_MIX = {**ERROR_MIX, "clean": 0.10, **VARIANT_MIX}
VARIANT_NOT_IN_GAZETTEER_KINDS = ["flat_letter_past_last", "house_name_new"]


def make_gazetteer(n_streets: int = 120, seed: int = 1, variants: bool = False) -> pd.DataFrame:
    """A gazetteer of about 110 addresses per street (``n_streets=180``: about 20,000 UPRNs).

    Columns ``uprn, parent_uprn, class_code, address, postcode, usrn, town, easting, northing``
    plus ``street``, ``paon``, ``saon`` (kept for the record generator; a real extract has them
    as BS 7666 fields). ``variants``: ``n_streets // 15`` further streets of the address forms
    of :data:`VARIANT_MIX` (see :func:`_variant_streets`), drawn from a random stream of their
    own, so the first ``n_streets`` streets and their UPRNs are those of ``variants=False``."""
    rng = np.random.default_rng(seed)
    rows = []
    uprn = 10001000000 + seed * 10_000_000
    names = set()
    streets = []
    while len(streets) < n_streets:
        name = f"{rng.choice(STREET_STEMS)} {rng.choice(STREET_TYPES)}"
        town = TOWNS[len(streets) % len(TOWNS)]
        if (name, town) in names:
            continue
        names.add((name, town))
        streets.append((name, town))
    for s, (street, town) in enumerate(streets):
        usrn = 20000000 + s
        district = 1 + (s % 9) if town == TOWNS[0] else 10 + (s % 7)
        area = "LW" if town == TOWNS[0] else "CB"
        sector = 1 + (s // 9) % 9
        x0, y0 = 400000 + (s % 15) * 400, 300000 + (s // 15) * 400
        n_numbers = int(rng.integers(12, 60))
        unit = 0

        def postcode_for(number):
            return f"{area}{district} {sector}{UNIT_LETTERS[(number // 12) % 20]}{UNIT_LETTERS[(number + s) % 20]}"

        def add(address, cls, number, parent=None, saon="", paon=""):
            nonlocal uprn
            uprn += 1
            rows.append({"uprn": uprn, "parent_uprn": parent, "class_code": cls, "address": address,
                         "postcode": postcode_for(number), "usrn": usrn, "town": town,
                         "easting": x0 + number * 6.0, "northing": y0 + (number % 2) * 20.0,
                         "street": street, "paon": paon, "saon": saon})
            return uprn

        # a street record (class PS), as LLPGs hold: never a dwelling's answer
        add(f"{street.upper()}, {town.upper()}", "PS", 0)
        for number in range(1, n_numbers + 1):
            kind = rng.choice(["house", "converted", "block", "shop", "letter"],
                              p=[0.55, 0.15, 0.1, 0.08, 0.12])
            paon = str(number)
            base = f"{number} {street.upper()}, {town.upper()}"
            if kind == "house":
                add(base, rng.choice(["RD02", "RD03", "RD04"]), number, paon=paon)
            elif kind == "letter":
                add(base, "RD04", number, paon=paon)
                add(f"{number}A {street.upper()}, {town.upper()}", "RD04", number, paon=paon + "A")
            elif kind == "converted":
                shell = add(base, "PP", number, paon=paon)
                for floor in FLOORS[:int(rng.integers(2, 4))]:
                    add(f"{floor}, {base}", "RD06", number, parent=shell, saon=floor, paon=paon)
            elif kind == "block":
                block = f"{rng.choice(STREET_STEMS).upper()} {rng.choice(BLOCK_NAMES).upper()}"
                shell = add(f"{block}, {base}", "PP", number, paon=f"{block} {paon}")
                for flat in range(1, int(rng.integers(4, 25)) + 1):
                    add(f"FLAT {flat}, {block}, {base}", "RD06", number, parent=shell,
                        saon=f"FLAT {flat}", paon=f"{block} {paon}")
            else:  # a shop with a flat above it
                shell = add(base, "PP", number, paon=paon)
                add(f"GROUND FLOOR, {base}", "CR", number, parent=shell, saon="GROUND FLOOR", paon=paon)
                add(f"FIRST FLOOR FLAT, {base}", "RD06", number, parent=shell, saon="FIRST FLOOR FLAT",
                    paon=paon)
            unit += 1
        # a non-addressable object (an electricity sub-station) beside the street's first house
        add(f"ELECTRICITY SUB STATION ADJACENT TO 1 {street.upper()}, {town.upper()}", "CU11", 1)
    if variants:
        rows.extend(_variant_streets(max(4, n_streets // 15), seed, len(streets), uprn, names))
    gaz = pd.DataFrame(rows)
    for column in ("locality", "house_name", "form"):
        gaz[column] = gaz[column].fillna("") if column in gaz else ""
    gaz["parent_uprn"] = gaz["parent_uprn"].astype("Int64")
    return gaz


# --- address forms added for the review of issue 15 (variants=True) ------------------------------
# Streets whose names hold what real street names hold: 'St' for Saint with an apostrophe (DEC
# alphabet rules allow 'St' as the one abbreviation), 'and' where people write '&' (the DEC
# replaces ampersands by 'and'), other apostrophes.
VARIANT_STREETS = ["St Mary's Road", "St John's Close", "St Andrew's Street", "Anchor and Hope Lane",
                   "Bishop's Walk", "St Peter's Avenue", "Queen's Crescent", "Fox and Hounds Lane",
                   "St Leonard's Gardens", "King's Road", "St Anne's Terrace", "Bell and Anchor Way"]
# dependent localities (PAF's DEPENDENT_LOCALITY, the LLPG's locality) of some variant streets
LOCALITIES = ["HIGHFIELD", "NORTHGATE", "OLD TOWN", "ST JUDES"]
HOUSE_NAMES = ["ROSE COTTAGE", "THE OLD FORGE", "IVY HOUSE", "WILLOW BANK", "THE LIMES", "HOLLY LODGE",
               "BRAMBLE COTTAGE", "THE GABLES", "ORCHARD HOUSE", "LAUREL VILLA", "THE COACH HOUSE",
               "MEADOW VIEW", "STONEY CROFT", "BEECH HOUSE", "THE OLD RECTORY", "FERN BANK"]
ADDED_NAMES = ["Sunnyside", "Hillcrest", "Woodview", "Greystones", "Kia Ora", "Fairhaven"]
FLAT_LETTERS = "ABCD"


def _variant_streets(n: int, seed: int, first_index: int, uprn: int, names: set) -> list:
    """Rows of ``n`` streets holding the variant forms (own random stream): named houses with and
    without a number, flats lettered A, B, C in converted houses, basement and top-floor flats,
    tenement flats numbered by floor and door (``FLAT 1F2``, Edinburgh's traditional scheme),
    shops on a range of numbers (``12-14``, PAF's building name ``1-2``); half the streets have
    a dependent locality between the street and the town."""
    rng = np.random.default_rng([seed, 15])
    rows = []
    for k in range(n):
        street = VARIANT_STREETS[k % len(VARIANT_STREETS)]
        s = first_index + k
        town = TOWNS[s % len(TOWNS)]
        if (street, town) in names:
            town = TOWNS[(s + 1) % len(TOWNS)]
        names.add((street, town))
        locality = LOCALITIES[k % len(LOCALITIES)] if k % 2 == 0 else ""
        usrn = 20000000 + s
        district = 1 + (s % 9) if town == TOWNS[0] else 10 + (s % 7)
        area = "LW" if town == TOWNS[0] else "CB"
        sector = 1 + (s // 9) % 9
        x0, y0 = 400000 + (s % 15) * 400, 300000 + (s // 15) * 400 + 8000
        tail = f"{street.upper()}, {locality + ', ' if locality else ''}{town.upper()}"
        free_names = list(rng.permutation(HOUSE_NAMES))

        def add(address, cls, number, parent=None, saon="", paon="", house_name="", form=""):
            nonlocal uprn
            uprn += 1
            rows.append({"uprn": uprn, "parent_uprn": parent, "class_code": cls, "address": address,
                         "postcode": f"{area}{district} {sector}{UNIT_LETTERS[(number // 12) % 20]}"
                                     f"{UNIT_LETTERS[(number + s) % 20]}",
                         "usrn": usrn, "town": town, "easting": x0 + number * 6.0,
                         "northing": y0 + (number % 2) * 20.0, "street": street, "paon": paon, "saon": saon,
                         "locality": locality, "house_name": house_name, "form": form})
            return uprn

        add(f"{street.upper()}, {town.upper()}", "PS", 0)
        skip = set()
        for number in range(1, int(rng.integers(30, 60)) + 1):
            if number in skip:
                continue
            kind = rng.choice(["house", "name_number", "name_only", "lettered", "basement_top", "tenement",
                               "range"], p=[0.4, 0.1, 0.08, 0.12, 0.1, 0.1, 0.1])
            paon, base = str(number), f"{number} {tail}"
            if kind in ("name_number", "name_only") and free_names:
                name = free_names.pop()
                if kind == "name_number":
                    add(f"{name}, {base}", "RD02", number, paon=f"{name} {number}", house_name=name, form=kind)
                else:  # the name is the PAON; its number slot stays empty (BS 7666: name or number)
                    add(f"{name}, {tail}", "RD02", number, paon=name, house_name=name, form=kind)
            elif kind == "lettered":
                shell = add(base, "PP", number, paon=paon)
                for letter in FLAT_LETTERS[:int(rng.integers(2, 4))]:
                    add(f"FLAT {letter}, {base}", "RD06", number, parent=shell, saon=f"FLAT {letter}", paon=paon,
                        form=kind)
            elif kind == "basement_top":
                shell = add(base, "PP", number, paon=paon)
                for floor in ("BASEMENT FLAT", "GROUND FLOOR FLAT", "TOP FLOOR FLAT"):
                    add(f"{floor}, {base}", "RD06", number, parent=shell, saon=floor, paon=paon, form=kind)
            elif kind == "tenement":
                shell = add(base, "PP", number, paon=paon)
                for floor in range(int(rng.integers(2, 4))):
                    for door in (1, 2):
                        saon = f"FLAT {'G' if floor == 0 else floor}F{door}"
                        add(f"{saon}, {base}", "RD06", number, parent=shell, saon=saon, paon=paon, form=kind)
            elif kind == "range":
                skip.add(number + 2)
                add(f"{number}-{number + 2} {tail}", "CR", number, paon=f"{number}-{number + 2}", form=kind)
            else:
                add(base, rng.choice(["RD03", "RD04"]), number, paon=paon, form="house")
    return rows


def _variant_pools(gaz: pd.DataFrame) -> dict:
    """The gazetteer rows each variant class writes a record of."""
    base = gaz[~gaz["street"].isin(VARIANT_STREETS)]
    var = gaz[gaz["street"].isin(VARIANT_STREETS)]
    dwelling = ["RD02", "RD03", "RD04", "RD06", "CR"]
    plain = base[base["class_code"].isin(["RD02", "RD03", "RD04"]) & (base["saon"] == "")]
    pools = {
        "numbered_flats": base[base["saon"].str.match(r"FLAT \d+$")],
        "lettered": var[(var["form"] == "lettered")],
        "basement_top": var[var["saon"].isin(["BASEMENT FLAT", "TOP FLOOR FLAT"])],
        "tenement": var[var["form"] == "tenement"],
        "range": var[var["form"] == "range"],
        "letter_houses": base[base["paon"].str.match(r"\d+[A-Z]$") & base["class_code"].isin(dwelling)],
        "name_number": var[var["form"] == "name_number"],
        "name_only": var[var["form"] == "name_only"],
        "var_houses": var[var["form"] == "house"],
        "apostrophe": var[var["street"].str.contains("'") & var["class_code"].isin(dwelling)
                          & (var["form"] != "range")],
        "and_streets": var[var["street"].str.contains(" and ") & var["class_code"].isin(dwelling)
                           & (var["form"] != "range")],
        "with_locality": var[(var["locality"] != "") & var["class_code"].isin(dwelling) & (var["form"] != "range")],
        "plain": plain,
        "lettered_shells": var[var["uprn"].isin(var.loc[var["form"] == "lettered", "parent_uprn"])],
    }
    pools["letters_of"] = var[var["form"] == "lettered"].groupby("parent_uprn")["saon"].apply(set).to_dict()
    return {k: (v.reset_index(drop=True) if isinstance(v, pd.DataFrame) else v) for k, v in pools.items()}


def _pick(rng, frame: pd.DataFrame):
    return frame.iloc[int(rng.integers(len(frame)))]


def _compose(agency, rng, parts) -> str:
    """Address parts (empty ones left out) joined as ``agency`` writes them."""
    text = ", ".join(p for p in parts if p)
    if agency in ("council_tax", "business_rates"):
        return text.upper()
    if agency == "housing_benefit" and rng.random() < 0.3:
        return text.replace(",", "")
    return text


def _saint_form(rng, street: str) -> str:
    """A street name with an apostrophe as people write it: 'St Marys Road', 'St. Mary's Road',
    'Saint Mary's Road', 'St Marys Rd'; 'Bishops Walk' for Bishop's Walk."""
    words = street.split()
    if words[0] != "St":
        return street.replace("'", "")
    form = rng.choice(["no_apostrophe", "stop", "saint", "saint_no_apostrophe", "short_type"])
    if form == "stop":
        return "St. " + " ".join(words[1:])
    if form == "saint":
        return "Saint " + " ".join(words[1:])
    if form == "saint_no_apostrophe":
        return ("Saint " + " ".join(words[1:])).replace("'", "")
    if form == "short_type":
        return street.replace("'", "")[: -len(words[-1])] + SHORT.get(words[-1], words[-1])
    return street.replace("'", "")


def _variant_record(rng, cls, kind, agency, pools):
    """One record of a variant class (or of a variant kind of address the gazetteer lacks):
    (text, postcode, true UPRN, true level, class name to report or '')."""
    def locality_of(row):
        return row["locality"].title() if row["locality"] else ""

    def tail(row, street=None):
        return [street or row["street"], locality_of(row), row["town"]]

    sub = ""
    if kind == "flat_letter_past_last":
        shell = _pick(rng, pools["lettered_shells"])
        last = max(pools["letters_of"][shell["uprn"]])[-1]
        letter = FLAT_LETTERS[FLAT_LETTERS.index(last) + 1] if last != FLAT_LETTERS[-1] else "E"
        text = _compose(agency, rng, [f"Flat {letter}", f"{shell['paon']} {shell['street']}", locality_of(shell),
                                      shell["town"]])
        return text, shell["postcode"], None, "none", f"not_in_gazetteer_{kind}"
    if kind == "house_name_new":
        row = _pick(rng, pools["name_only"])
        name = str(rng.choice(["Orchard Cottage", "The Barn", "Swallows Rest", "Cherry Tree House"]))
        text = _compose(agency, rng, [name] + tail(row))
        return text, row["postcode"], None, "none", f"not_in_gazetteer_{kind}"
    if cls == "subunit_word":
        row = _pick(rng, pools["numbered_flats"])
        flat = row["saon"].split()[1]
        block = " ".join(w for w in row["paon"].split() if not w[0].isdigit()).title()
        word = str(rng.choice(["Apt", "Apt.", "Studio", "Studio Flat"]))
        parts = [f"{word} {flat}", block, f"{row['paon'].split()[-1]} {row['street']}", row["town"]]
    elif cls == "flat_letter":
        row = _pick(rng, pools["lettered"])
        letter, num = row["saon"][-1], row["paon"]
        form = rng.choice(["comma", "lower", "no_comma", "slash"])
        lead = {"comma": f"Flat {letter}, {num} {row['street']}",
                "lower": f"Flat {letter.lower()}, {num} {row['street']}",
                "no_comma": f"Flat {letter} {num} {row['street']}",
                "slash": f"{letter}/{num} {row['street']}"}[form]
        parts = [lead, locality_of(row), row["town"]]
    elif cls == "floor_flat_other":
        row = _pick(rng, pools["basement_top"])
        forms = (["Basement Flat", "Bsmt Flat", "Lower Ground Floor Flat", "LGF", "B/F Flat"]
                 if row["saon"].startswith("BASEMENT") else ["Top Floor Flat", "Top Flat", "Top Flr Flat"])
        parts = [str(rng.choice(forms)), f"{row['paon']} {row['street']}", locality_of(row), row["town"]]
    elif cls == "tenement_flat":
        row = _pick(rng, pools["tenement"])
        code, num = row["saon"].split()[1], row["paon"]
        form = rng.choice(["flat", "bare", "slash", "brackets"])
        lead = {"flat": f"Flat {code}, {num} {row['street']}", "bare": f"{code}, {num} {row['street']}",
                "slash": f"{num}/{code} {row['street']}", "brackets": f"{num} ({code}) {row['street']}"}[form]
        parts = [lead, locality_of(row), row["town"]]
    elif cls == "number_range":
        row = _pick(rng, pools["range"])
        a, b = row["paon"].split("-")
        number = str(rng.choice([f"{a}-{b}", f"{a} - {b}", f"{a} & {b}", f"Nos {a}-{b}", f"{a} to {b}"]))
        parts = [f"{number} {row['street']}", locality_of(row), row["town"]]
        if agency in ("environmental_health", "business_rates"):
            parts.insert(0, str(rng.choice(BUSINESSES)).title())
    elif cls == "number_letter_form":
        row = _pick(rng, pools["letter_houses"])
        num, letter = row["paon"][:-1], row["paon"][-1]
        number = str(rng.choice([f"{num}-{letter}", f"{num} - {letter}", f"{num}-{letter.lower()}"]))
        parts = [f"{number} {row['street']}", row["town"]]
    elif cls == "house_name":
        form = str(rng.choice(["name_without_number", "number_without_name", "name_added", "name_only"]))
        if form in ("name_without_number", "number_without_name"):
            row = _pick(rng, pools["name_number"])
            name, num = row["house_name"].title(), row["paon"].split()[-1]
            parts = [name] + tail(row) if form == "name_without_number" else [f"{num} {row['street']}"] + tail(row)[1:]
        elif form == "name_added":
            row = _pick(rng, pools["var_houses"])
            parts = [str(rng.choice(ADDED_NAMES)), f"{row['paon']} {row['street']}"] + tail(row)[1:]
        else:
            row = _pick(rng, pools["name_only"])
            name = row["house_name"].title()
            if name.startswith("The ") and rng.random() < 0.5:
                name = name[4:]
            parts = [name] + tail(row)
    elif cls == "saint_apostrophe":
        row = _pick(rng, pools["apostrophe"])
        parts = _gaz_parts(row, _saint_form(rng, row["street"]))
    elif cls == "punctuation":
        use_and = rng.random() < 0.4
        row = _pick(rng, pools["and_streets"] if use_and else pools["plain"])
        street = row["street"]
        if use_and:
            street = street.replace(" and ", " & ")
        form = str(rng.choice(["hyphen", "spaces"]))
        if form == "hyphen":
            street = "-".join(street.split()) if not use_and else street.replace(" & ", "&")
        parts = _gaz_parts(row, street)
        if form == "spaces":
            text = _compose(agency, rng, parts).replace(" ", "  ", 1).replace(", ", " ,", 1) + ","
            return text, _agency_postcode(rng, agency, row["postcode"], text)[1], int(row["uprn"]), "uprn", ""
    elif cls == "locality":
        if rng.random() < 0.5:  # the gazetteer's locality left out
            row = _pick(rng, pools["with_locality"])
            parts = [p for p in _gaz_parts(row, row["street"]) if p != locality_of(row)]
        else:  # a locality added that the gazetteer does not hold for this street
            row = _pick(rng, pools["plain"])
            parts = [f"{row['paon']} {row['street']}", str(rng.choice(LOCALITIES)).title(), row["town"]]
    elif cls == "postcode_typed":
        row = _pick(rng, pools["plain"])
        text = _compose(agency, rng, [f"{row['paon']} {row['street']}", row["town"]])
        pc = row["postcode"]
        digits = [i for i, ch in enumerate(pc) if ch in "01"]
        if digits and rng.random() < 0.8:  # 'O' for 0, 'I' (or 'l') for 1
            i = digits[int(rng.integers(len(digits)))]
            pc = pc[:i] + ("O" if pc[i] == "0" else str(rng.choice(["I", "l"]))) + pc[i + 1:]
        else:
            pc = pc.replace(" ", "").lower()
        return text, pc, int(row["uprn"]), "uprn", ""
    elif cls == "postcode_conflict":
        row = _pick(rng, pools["plain"])
        right, wrong = row["postcode"], _wrong_postcode(rng, row["postcode"])
        in_text, in_field = (right, wrong) if rng.random() < 0.5 else (wrong, right)
        text = _compose(agency, rng, [f"{row['paon']} {row['street']}", row["town"]]) + " " + in_text
        return text, in_field, int(row["uprn"]), "uprn", ""
    else:
        raise ValueError(cls)
    text = _compose(agency, rng, parts)
    text, postcode = _agency_postcode(rng, agency, row["postcode"], text)
    return text, postcode, int(row["uprn"]), "uprn", sub


def _gaz_parts(row, street) -> list:
    """The parts of a gazetteer row's address, title case, with ``street`` as written."""
    lead = [row["saon"].title()] if row["saon"] else []
    name = row["house_name"].title()
    num = row["paon"].split()[-1] if row["paon"] and row["paon"].split()[-1][0].isdigit() else ""
    return lead + [name, f"{num} {street}".strip(), row["locality"].title(), row["town"]]


def _agency_postcode(rng, agency, pc, text):
    """Housing benefit leaves the postcode out of 15 % of records, environmental health writes
    it into the text of 30 % (as for the other classes)."""
    if agency == "housing_benefit" and rng.random() < 0.15:
        return text, None
    if agency == "environmental_health" and rng.random() < 0.3:
        return f"{text} {pc}", None
    return text, pc


def gazetteer_layer(gaz: pd.DataFrame):
    """The gazetteer as a GeoDataFrame of points, with the columns a council's extract has."""
    import geopandas as gpd

    cols = ["uprn", "parent_uprn", "class_code", "address", "postcode", "usrn"]
    return gpd.GeoDataFrame(gaz[cols].copy(), geometry=gpd.points_from_xy(gaz["easting"], gaz["northing"]),
                            crs=CRS)


def _typo(rng, word: str) -> str:
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    op = rng.integers(0, 3)
    if op == 0:   # a letter dropped
        return word[:i] + word[i + 1:]
    if op == 1:   # two letters swapped
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + "AEIOUNRST"[int(rng.integers(0, 9))] + word[i + 1:]  # one letter replaced


def _wrong_postcode(rng, pc: str) -> str:
    out, inw = pc.split()
    if rng.random() < 0.5:  # another sector
        return f"{out} {(int(inw[0]) % 9) + 1}{inw[1:]}"
    digits = "".join(ch for ch in out if ch.isdigit())
    letters = out[:len(out) - len(digits)]
    return f"{letters}{int(digits) % 16 + 1} {inw}"


def _styled(agency, rng, saon, number, street, town, paon_name=""):
    """Address text as ``agency`` writes it: (text, postcode goes in its own field?)."""
    street_txt = street
    if agency in ("housing_benefit", "environmental_health") and rng.random() < 0.4:
        last = street.split()[-1]
        street_txt = street[: -len(last)] + SHORT.get(last, last)
    parts = []
    if saon:
        parts.append(saon)
    if paon_name:
        parts.append(paon_name)
    parts.append(f"{number} {street_txt}")
    parts.append(town)
    text = ", ".join(parts)
    if agency in ("council_tax", "business_rates"):
        text = text.upper()
    elif agency == "housing_benefit" and rng.random() < 0.3:
        text = text.replace(",", "")
    return text


def _subunit_format(rng, saon, number):
    """Another way of writing a flat (``FLAT 3``) or floor flat, with the house number: returns
    (text for saon+number, consumes the number?)."""
    if saon.startswith("FLAT "):
        flat = saon.split()[1]
        form = rng.choice(["slash", "slash_rev", "apt", "f", "no"])
        if form == "slash":
            return f"{flat}/{number}"
        if form == "slash_rev":
            return f"{number}/{flat}"
        if form == "apt":
            return f"Apartment {flat}, {number}"
        if form == "f":
            return f"F{flat} {number}"
        return f"Flat No. {flat}, {number}"
    abbrev = FLOOR_ABBREV.get(saon)
    if abbrev:
        return f"{rng.choice(abbrev)} {number}"
    return f"{saon.title()} {number}"


def make_records(gaz: pd.DataFrame, n: int, seed: int = 2, mix: dict | None = None,
                 variants: bool = False) -> pd.DataFrame:
    """``n`` agency records written from ``gaz`` with faults; columns ``record_id, agency,
    address, postcode, true_uprn, true_level, error_class, second_fault`` (``true_*``,
    ``error_class`` and ``second_fault`` are the truth, to be dropped before linking).
    ``variants`` (with a gazetteer made with ``variants=True``): the mix of
    :data:`VARIANT_ERROR_MIX`, the classes of :data:`ERROR_MIX` drawn from the first streets
    only; ``variants=False`` gives the bench as it was before them, record for record."""
    rng = np.random.default_rng(seed)
    mix = dict(mix or (VARIANT_ERROR_MIX if variants else ERROR_MIX))
    classes = [k for k, v in mix.items() if v > 0]
    p = np.array([mix[k] for k in classes], dtype=float)
    p /= p.sum()
    pools = _variant_pools(gaz) if variants else {}
    all_gaz, gaz = gaz, (gaz[~gaz["street"].isin(VARIANT_STREETS)] if variants else gaz)
    dwellings = gaz[gaz["class_code"].isin(["RD02", "RD03", "RD04", "RD06", "CR"])].reset_index(drop=True)
    flats = dwellings[dwellings["saon"] != ""].reset_index(drop=True)
    houses = gaz[gaz["class_code"].isin(["RD02", "RD03", "RD04"])].reset_index(drop=True)
    numbered_flats = flats[flats["saon"].str.startswith("FLAT ")].reset_index(drop=True)
    shops = gaz[gaz["class_code"] == "CR"].reset_index(drop=True)
    by_street = all_gaz.groupby("street")["paon"].apply(set).to_dict()
    flats_per_parent = all_gaz[all_gaz["parent_uprn"].notna()].groupby("parent_uprn")["saon"].apply(set).to_dict()
    out = []
    for i in range(n):
        agency = str(rng.choice(AGENCIES, p=AGENCY_SHARE))
        cls = str(rng.choice(classes, p=p))
        kind = ""
        if variants and cls == "not_in_gazetteer":
            kind = str(rng.choice(NOT_IN_GAZETTEER_KINDS + VARIANT_NOT_IN_GAZETTEER_KINDS))
        if cls in VARIANT_MIX or kind in VARIANT_NOT_IN_GAZETTEER_KINDS:
            text, postcode, true_uprn, level, sub = _variant_record(rng, cls, kind, agency, pools)
            cls = sub or cls
        else:
            if agency in ("environmental_health", "business_rates") and rng.random() < 0.6 \
                    and cls != "not_in_gazetteer":
                row = shops.iloc[int(rng.integers(len(shops)))]
            elif cls in ("subunit_format", "subunit_missing"):
                row = flats.iloc[int(rng.integers(len(flats)))]
            elif cls == "subunit_wrong":
                row = numbered_flats.iloc[int(rng.integers(len(numbered_flats)))]
            elif cls == "house_number_wrong":
                row = houses.iloc[int(rng.integers(len(houses)))]
            else:
                row = dwellings.iloc[int(rng.integers(len(dwellings)))]
            true_uprn, level = int(row["uprn"]), "uprn"
            saon, street, town = row["saon"], row["street"], row["town"]
            paon = row["paon"]
            paon_name = " ".join(w for w in paon.split() if not w[0].isdigit()).title()
            number = paon.split()[-1]
            pc = row["postcode"]
            business = agency in ("environmental_health", "business_rates") and row["class_code"] == "CR"
            if cls == "not_in_gazetteer":
                kind = kind or str(rng.choice(NOT_IN_GAZETTEER_KINDS))
                true_uprn, level = None, "none"
                paon_name = ""
                if kind == "infill":
                    h = houses.iloc[int(rng.integers(len(houses)))]
                    street, town, pc = h["street"], h["town"], h["postcode"]
                    taken = by_street[street]
                    base = "".join(ch for ch in h["paon"] if ch.isdigit())
                    letter = next(ch for ch in "ABCDE" if f"{base}{ch}" not in taken)
                    saon, number = "", f"{base}{letter}"
                elif kind == "flat_in_house":
                    h = houses.iloc[int(rng.integers(len(houses)))]
                    street, town, pc = h["street"], h["town"], h["postcode"]
                    saon, number = f"FLAT {int(rng.integers(1, 4))}", h["paon"]
                elif kind == "flat_past_last":
                    f = flats[flats["saon"].str.startswith("FLAT ")].iloc[int(rng.integers(len(flats) // 2))]
                    street, town, pc = f["street"], f["town"], f["postcode"]
                    last = max(int(s.split()[1]) for s in flats_per_parent[f["parent_uprn"]] if s.startswith("FLAT "))
                    saon, number = f"FLAT {last + int(rng.integers(1, 4))}", f["paon"].split()[-1]
                    paon_name = " ".join(w for w in f["paon"].split() if not w[0].isdigit()).title()
                elif kind == "new_street":
                    street = f"{rng.choice(['Meadow', 'Heron', 'Kestrel', 'Willow', 'Orchard'])} " \
                             f"{rng.choice(['Rise', 'Mews', 'Walk', 'View'])}"
                    saon, number = "", str(int(rng.integers(1, 40)))
                else:
                    h = houses.iloc[int(rng.integers(len(houses)))]
                    street, town, pc = h["street"], h["town"], h["postcode"]
                    saon = ""
                    number = h["paon"]
            elif cls == "subunit_missing":
                true_uprn, level = int(row["parent_uprn"]), "parent"
                saon = ""
            if kind == "land":
                text = f"LAND ADJACENT TO {number} {street.upper()}, {town.upper()}"
            elif kind == "garage":
                text = f"GARAGE {int(rng.integers(1, 12))} REAR OF {number} {street.upper()}, {town.upper()}"
            elif cls == "subunit_format" and saon:
                lead = _subunit_format(rng, saon, number)
                rest = ", ".join(x for x in (paon_name, street if not paon_name else f"{number} {street}", town) if x)
                if paon_name:  # flats in a named block: the number stays with the street
                    lead = lead.rsplit(" ", 1)[0].rstrip(",").replace(f"/{number}", "").replace(f"{number}/", "")
                    lead = lead if lead.strip() else saon
                    text = f"{lead}, {rest}"
                else:
                    text = f"{lead} {rest}"
                if agency in ("council_tax", "business_rates"):
                    text = text.upper()
            else:
                text = _styled(agency, rng, saon, number, street, town, paon_name)
            if business and kind == "" and cls != "subunit_missing":
                name = str(rng.choice(BUSINESSES))
                text = f"{name}, {text}" if agency == "business_rates" else f"{name.title()} {text}"
                if cls == "clean":
                    cls = "business_name_first"
            postcode = pc
            if kind == "new_street":
                postcode = f"{pc.split()[0]} {int(rng.integers(1, 9))}ZZ"
            if cls == "house_number_format":
                num = int("".join(ch for ch in number if ch.isdigit()))
                if number[-1].isalpha():
                    text = text.replace(number, f"{num} {number[-1].lower()}", 1)
                elif num in NUMBER_WORDS and rng.random() < 0.5:
                    text = text.replace(f"{number} ", f"{NUMBER_WORDS[num].title()} ", 1)
                else:
                    text = text.replace(f"{number} ", f"No. {number} ", 1)
            elif cls == "dropped_word":
                words = street.split()
                if len(words) > 1:
                    drop = words[-1] if rng.random() < 0.6 else words[0]
                    text = text.replace(f" {drop}", "", 1) if drop != words[0] else \
                        text.replace(f"{drop} ", "", 1).replace(f"{drop.upper()} ", "", 1)
                    text = text.replace(f" {drop.upper()}", "", 1)
            elif cls == "joined_words":
                text = text.replace(" ", "", 1) if rng.random() < 0.4 else \
                    text.replace(street, street.replace(" ", "")).replace(street.upper(),
                                                                          street.upper().replace(" ", ""))
            elif cls == "typo":
                target = street.split()[0]
                for form in (target, target.upper()):
                    if form in text:
                        text = text.replace(form, _typo(rng, form), 1)
                        break
            elif cls == "abbreviation":
                last = street.split()[-1]
                text = text.replace(last, SHORT.get(last, last)).replace(last.upper(), SHORT.get(last, last).upper())
            elif cls == "order_changed" and saon:
                for form in (saon, saon.title()):
                    if text.startswith(form + ", "):
                        rest = text[len(form) + 2:]
                        head, _, tail = rest.rpartition(", ")
                        text = f"{head}, {form}, {tail}" if head else f"{rest}, {form}"
                        break
            elif cls == "town_changed":
                for form in (town, town.upper()):
                    if form in text:
                        text = text.replace(f", {form}", "", 1).replace(f" {form}", "", 1) if rng.random() < 0.5 \
                            else text.replace(form, f"{form}, {'Northshire' if form == town else 'NORTHSHIRE'}", 1)
                        break
            elif cls == "house_number_wrong" and number.isdigit():
                num = int(number)
                wrong = str(num + 2) if num < 10 or rng.random() < 0.5 else number[::-1]
                if wrong == number:
                    wrong = str(num + 2)
                text = text.replace(f"{number} ", f"{wrong} ", 1) if not saon.startswith("FLAT") \
                    else text.replace(f", {number} ", f", {wrong} ", 1)
            elif cls == "subunit_wrong" and saon.startswith("FLAT "):
                flat = int(saon.split()[1])
                other = flat + 1 if flat < 3 else flat - 1
                text = text.replace(saon, f"FLAT {other}", 1).replace(saon.title(), f"Flat {other}", 1)
            if cls == "postcode_missing" or (agency == "housing_benefit" and rng.random() < 0.15):
                postcode = None
            elif cls == "postcode_in_text" or (agency == "environmental_health" and rng.random() < 0.3):
                text = f"{text} {postcode}"
                postcode = None
            elif cls == "postcode_wrong":
                postcode = _wrong_postcode(rng, postcode)
        second = ""
        if not cls.startswith("not_in_gazetteer") and rng.random() < SECOND_FAULT_SHARE:
            second = str(rng.choice(["typo", "postcode_missing", "abbreviation"]))
            if second == "typo":
                words = [w for w in text.replace(",", " ").split() if len(w) >= 5 and w.isalpha()]
                if words:
                    target = words[int(rng.integers(len(words)))]
                    text = text.replace(target, _typo(rng, target), 1)
            elif second == "postcode_missing":
                postcode = None
            else:
                for full, short in SHORT.items():
                    text = text.replace(f" {full},", f" {short},").replace(f" {full.upper()},", f" {short.upper()},")
        if cls == "not_in_gazetteer":
            cls = f"not_in_gazetteer_{kind}"
        out.append({"record_id": f"{agency[:2].upper()}{i:06d}", "agency": agency, "address": text,
                     "postcode": postcode, "true_uprn": true_uprn, "true_level": level,
                     "error_class": cls, "second_fault": second})
    frame = pd.DataFrame(out)
    frame["true_uprn"] = frame["true_uprn"].astype("Int64")
    return frame


def quality(matched_uprn, records: pd.DataFrame, by: str = "error_class") -> pd.DataFrame:
    """Precision, recall and false links per value of ``by`` and overall. A record predicted
    (``matched_uprn`` not null) is correct when it equals ``true_uprn``; recall's denominator is
    the records with a true UPRN; ``false_links`` counts links of records without one."""
    frame = pd.DataFrame({"pred": pd.array(pd.to_numeric(pd.Series(matched_uprn).reset_index(drop=True),
                                                         errors="coerce"), dtype="Int64"),
                          "true": records["true_uprn"].reset_index(drop=True).astype("Int64"),
                          "group": records[by].reset_index(drop=True)})
    rows = []
    for key, g in list(frame.groupby("group")) + [("all", frame)]:
        predicted = g["pred"].notna()
        has_truth = g["true"].notna()
        correct = predicted & has_truth & (g["pred"] == g["true"]).fillna(False)
        rows.append({by: key, "records": len(g), "in_gazetteer": int(has_truth.sum()),
                     "correct": int(correct.sum()), "wrong": int((predicted & has_truth & ~correct).sum()),
                     "false_links": int((predicted & ~has_truth).sum()),
                     "precision": float(correct.sum() / predicted.sum()) if predicted.any() else float("nan"),
                     "recall": float(correct.sum() / has_truth.sum()) if has_truth.any() else float("nan")})
    return pd.DataFrame(rows)
