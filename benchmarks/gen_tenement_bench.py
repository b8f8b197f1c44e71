"""Tenement address bench: a synthetic Scottish gazetteer (One Scotland Gazetteer / AddressBase style,
one text address a row, with its parts as extra columns) for Glasgow west end / southside and Edinburgh
Marchmont / New Town / Stockbridge / Leith, and records written the way Scottish public datasets write
those addresses, each with its known truth. Written from public descriptions only (no data copied,
nothing read from the matcher, its tests or the other benches but the interface of gen_agency_bench),
so that it can find the matcher's blind spots in tenement flat positions. Same interface as
gen_agency_bench: make_gazetteer, gazetteer_layer, make_records, quality; "agency" is the source dataset.

Sources relied on (public descriptions only):
- Improvement Service, "One Scotland Gazetteer" (improvementservice.org.uk; metadata record on
  sgs metadata.works; NRS "Scottish Address Directory - key data sources"): the OSG is the 32 councils'
  street naming and numbering gazetteers in one BS 7666 structure, with UPRN, USRN, classification,
  OS coordinates and the Royal Mail postcode / post town; it is the foundation of AddressBase in
  Scotland, used by the Assessors, the electoral register and the Energy Saving Trust (EPC).
- Registers of Scotland Land Register manual, "Description of flatted property must be acceptable"
  and the postcode indexing example (rosdev.atlassian.net): a flat needs the postal address AND its
  floor level AND its position on the floor, because flat numbering schemes in a block have changed
  over time; indexed as prefix / sub-building / name / number / thoroughfare / locality / town / postcode.
- Edinburgh Evening News, Helen Martin, "Driven stair crazy by tenement numbering": the traditional
  1F2 / 4F3 system (floor, then door counted round the stair), favoured by Scottish councils; refurbishers
  renumbering stairs "1, 2, 3" that do not follow the layout; outside companies confused by it.
- Glasgow City Council, "What is a tenement?" (Tenements (Scotland) Act 2004 s.26): sandstone tenements
  of 2-5 storeys (1840-1920) often with shop units on the ground floor, four-in-a-block, walk-up flats,
  multi-storey and deck-access blocks of housing associations, new-build infill by housing associations,
  subdivided townhouses. Herald / tovisorga pages on Glasgow closes (common stair = "close", usually
  ground + three storeys, Partick / Hyndland / Dennistoun examples).
- Threadinburgh / Edinburgh World Heritage notes on tenement stairs; general knowledge of the Stockbridge
  "colonies" (lower flats entered from one street, upper flats by an outside stair from the next street).
- Scottish Assessors' Portal and SAA "The Valuation Roll" (saa.gov.uk): a roll entry for every
  non-domestic subject (shops, offices, advertising, telecoms), proprietor / tenant / occupier named,
  address and postcode shown; council tax bands A-H held by the same Assessors.
- Scottish EPC register (scottishepcregister.org.uk; geo.fyi "Scotland's EPC data"; gov.uk QAAD note on
  Scottish EPCs; DLUHC note on UPRN allocation, owenboswarva.com): the address and postcode are typed
  by the assessor at lodgement, an OSG UPRN is matched afterwards and not always found (new builds worst).
- Housing (Scotland) Act 2006 Part 5 and its explanatory notes (legislation.gov.uk), Scottish
  Government HMO guidance, Edinburgh HMO licence conditions consultation: a public HMO register of
  every licence application; an HMO is 3+ unrelated people sharing, in Scotland mostly a tenement flat;
  student halls count as HMOs.
- Postcode descriptions (tovisorga "How do postcodes work in Glasgow?", gen_agency_bench's notes):
  ~15 delivery points a unit, G12 / G11 / G3 / G41 / G42 / G20 and EH9 / EH10 / EH3 / EH6 districts,
  inward codes without C I K M O V.
- ONS Address Index working paper and GDS "Tackling address matching together" (as in
  gen_opendata_bench): typos, missing / wrong postcodes and sub-building formats cause most failures.

Gazetteer conventions (make_gazetteer), a judgement from the above: upper case, no full stops, parts
joined with ", " as an AddressBase single line: SAON, PAON name, "number street", locality (where the
council's gazetteer holds one, about half the streets), post town. Glasgow tenement and multi-storey
flats keep the council's "FLAT floor/door" SAON, floor 0 = ground ("FLAT 0/1, 14 OTAGO STREET,
GLASGOW"; "FLAT 12/3, 20 WYNDFORD ROAD, MARYHILL, GLASGOW"). Edinburgh traditional stairs keep the
bare position as the SAON ("2F1, 10 MARCHMONT ROAD, MARCHMONT, EDINBURGH"; basement "BF"; New Town
stairs call the first floor the principal floor, "PF1"); renumbered stairs and modern blocks have
"FLAT n" (City of Edinburgh writes these "10/3" on the street, which the gazetteer does not hold).
Main-door flats have their own numbers (sometimes a suffix, 12A) and no parent; closes / stairs are
PP shells parenting their flats; ground-floor shops of a tenement have their own numbers. Colonies:
lower flat "5 BELL PLACE", upper flat "5 REID TERRACE" (same building, separate streets). Named
blocks (housing association, sheltered housing): "FLAT 4, ALLANDER COURT, 5 GAIRBRAID AVENUE".
Student residences: a RI03 parent with cluster flats "FLAT n" (RH02); the bedrooms are NOT addressed,
so a "FLAT 3, ROOM B" record's truth is the cluster flat. HMO flats (RH03, HMO not further divided):
rooms not addressed, a room record's truth is the flat. Bedsit houses (RH01 parent) do address their
rooms ("ROOM 3", RH02): a room record's truth is the room; a room past the last is not in the
gazetteer. Care homes RI01 (a resident's "ROOM 12" links to the home). A few streets have an alias
name (alias rows of the SAME uprn, column ``alias`` True). Every street has a PS record.

Records (make_records): sources and shares (a judgement): council_tax 20 %, epc_scotland 18 %,
nhs_chi 12 %, assessor_roll 9 %, ha_stock 9 %, hmo_register 8 %, landlord_reg 8 %, police_scotland 8 %,
ros_sales 8 %. Records with a main fault: council_tax 28 %, ros_sales 30 %, assessor_roll 45 %,
epc_scotland 55 %, ha_stock 55 %, hmo_register 60 %, landlord_reg 65 %, nhs_chi 55 %,
police_scotland 85 % (a police location is rarely a postal address). The class is drawn first with the
source's weights (SOURCES), then a property it fits. Native styles (clean records): council tax and
RoS upper case with commas; EPC title case; housing-association lists position after the street
("14 OTAGO ST 2/1"); HMO register mixed case with the postcode in the text; NHS CHI upper case, Glasgow
positions bare ("2/1 14 OTAGO STREET"); the valuation roll upper case with the postcode in the text.
Fault classes: position_slash (0/1 for GF1 and the reverse kind), position_fform (GF1 / 2F1 for a
Glasgow 0/1 / 2/1), position_lr (G/1, 1/R, G/L), position_words (ground floor left, 1st floor right,
top flat, second floor flat 1, basement flat), position_sequential (refurbished "FLAT 5"),
position_run_together (FLAT 21, 2-1, 2.1), position_placement (after the street, in brackets),
principal_floor (1F1 for PF1 and PF1 for 1F1), position_partial ("TOP FLAT" in a stair with two top
doors), position_missing (truth the close / stair, level "parent"), position_wrong_exists
(unrecoverable), edi_slash ("10/3" for FLAT 3, 10), edi_slash_tenement ("10/5" for a 2F1),
maindoor_format (MAIN DOOR / MDF / "GF, 12" for main-door flat 12A), number_wrong_exists
(unrecoverable), number_wrong_absent, suffix_format (12 A, 12a), street_typo, street_abbrev (ST RD CRES
TERR GDNS PL AVE DR), street_alias, words_run_together, postcode_missing / _wrong_sector / _wrong_unit /
_in_text / _lowercase, locality_for_town, locality_wrong, county_added, block_name_dropped,
block_name_added, hall_room (FLAT 3 ROOM B, 3B), hmo_room, bedsit_room, care_home_room,
colony_street (upper flat on the lower flat's street), shop_close_number (a shop under the close's
number), business_name_added, close_location (police "CLOSE AT 14 X": truth the close, level "parent").
About 10 % describe something the gazetteer lacks, each class saying why (true_uprn NA): new_street
(new build on a street the gazetteer lacks), new_build_infill (14A next to 14), flat_past_last (a
floor or door past the last of a stair or block), bedsit_room_past_last, lockup_garage, back_court,
outside_property (police O/S, level "street"), junction (level "street"), advertising_site,
telecom_mast. ``unrecoverable`` is True when the record's text, upper-cased with punctuation removed,
is the text of ANOTHER gazetteer address (with or without its locality / town), e.g. a wrong but
existing flat position.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

try:
    from gen_agency_bench import gazetteer_layer, quality  # noqa: F401  (re-exported interface)
except ImportError:  # imported as benchmarks.gen_tenement_bench
    from benchmarks.gen_agency_bench import gazetteer_layer, quality  # noqa: F401

INWARD = "ABDEFGHJLNPQRSTUWXYZ"

# locality: (town, district, sectors, centre)
LOCALITIES = {
    "HILLHEAD": ("GLASGOW", "G12", [8], (256900.0, 667100.0)),
    "HYNDLAND": ("GLASGOW", "G12", [9], (255600.0, 667300.0)),
    "PARTICK": ("GLASGOW", "G11", [5, 6], (255900.0, 666400.0)),
    "WOODLANDS": ("GLASGOW", "G3", [6], (257700.0, 666300.0)),
    "FINNIESTON": ("GLASGOW", "G3", [8, 7], (257200.0, 665700.0)),
    "MARYHILL": ("GLASGOW", "G20", [8, 9], (256700.0, 668600.0)),
    "SHAWLANDS": ("GLASGOW", "G41", [3], (257300.0, 661600.0)),
    "STRATHBUNGO": ("GLASGOW", "G41", [2], (257000.0, 662300.0)),
    "GOVANHILL": ("GLASGOW", "G42", [7, 8], (259000.0, 662600.0)),
    "MARCHMONT": ("EDINBURGH", "EH9", [1], (325700.0, 672300.0)),
    "BRUNTSFIELD": ("EDINBURGH", "EH10", [4], (324900.0, 672200.0)),
    "NEW TOWN": ("EDINBURGH", "EH3", [6], (325200.0, 674400.0)),
    "STOCKBRIDGE": ("EDINBURGH", "EH3", [5], (324500.0, 674700.0)),
    "LEITH": ("EDINBURGH", "EH6", [6, 7], (327100.0, 676200.0)),
    "PILRIG": ("EDINBURGH", "EH6", [5], (326600.0, 675500.0)),
}
NEIGHBOUR = {
    "HILLHEAD": "PARTICK",
    "HYNDLAND": "PARTICK",
    "PARTICK": "HYNDLAND",
    "WOODLANDS": "HILLHEAD",
    "FINNIESTON": "PARTICK",
    "MARYHILL": "NORTH KELVINSIDE",
    "SHAWLANDS": "POLLOKSHIELDS",
    "STRATHBUNGO": "SHAWLANDS",
    "GOVANHILL": "CROSSHILL",
    "MARCHMONT": "BRUNTSFIELD",
    "BRUNTSFIELD": "MARCHMONT",
    "NEW TOWN": "STOCKBRIDGE",
    "STOCKBRIDGE": "COMELY BANK",
    "LEITH": "PILRIG",
    "PILRIG": "LEITH",
}
COUNTY = {
    "GLASGOW": ["LANARKSHIRE", "STRATHCLYDE", "GLASGOW CITY", "SCOTLAND"],
    "EDINBURGH": ["MIDLOTHIAN", "CITY OF EDINBURGH", "LOTHIAN", "SCOTLAND"],
}

# (name, locality, kind, locality shown in the gazetteer address)
STREETS = [
    ("GIBSON STREET", "HILLHEAD", "gla_main", True),
    ("OTAGO STREET", "HILLHEAD", "gla_ten", True),
    ("CRESSWELL STREET", "HILLHEAD", "gla_ten", True),
    ("BANK STREET", "HILLHEAD", "gla_ten", False),
    ("GREAT GEORGE STREET", "HILLHEAD", "gla_ten", True),
    ("CRANWORTH STREET", "HILLHEAD", "gla_ten", False),
    ("HAMILTON PARK AVENUE", "HILLHEAD", "gla_villa", False),
    ("SOUTHPARK AVENUE", "HILLHEAD", "gla_villa", True),
    ("UNIVERSITY GARDENS", "HILLHEAD", "hall", True),
    ("HYNDLAND ROAD", "HYNDLAND", "gla_ten", False),
    ("CLARENCE DRIVE", "HYNDLAND", "gla_ten", False),
    ("POLWARTH STREET", "HYNDLAND", "gla_ten", True),
    ("LAUDERDALE GARDENS", "HYNDLAND", "gla_ten", False),
    ("DUMBARTON ROAD", "PARTICK", "gla_main", False),
    ("WHITE STREET", "PARTICK", "gla_ten", True),
    ("GARDNER STREET", "PARTICK", "gla_ten", True),
    ("CRAWFORD STREET", "PARTICK", "gla_ten", False),
    ("HAVELOCK STREET", "PARTICK", "gla_ten", False),
    ("WOODLANDS ROAD", "WOODLANDS", "gla_main", False),
    ("ELDON STREET", "WOODLANDS", "gla_ten", False),
    ("BARRINGTON DRIVE", "WOODLANDS", "gla_ten", False),
    ("ARGYLE STREET", "FINNIESTON", "gla_main", False),
    ("KELVINHAUGH STREET", "FINNIESTON", "ha", True),
    ("MINERVA STREET", "FINNIESTON", "gla_ten", True),
    ("CORUNNA STREET", "FINNIESTON", "hall", False),
    ("WYNDFORD ROAD", "MARYHILL", "msf", True),
    ("GAIRBRAID AVENUE", "MARYHILL", "ha", True),
    ("KILMUN STREET", "MARYHILL", "msf", True),
    ("KILMARNOCK ROAD", "SHAWLANDS", "gla_main", False),
    ("DEANSTON DRIVE", "SHAWLANDS", "gla_ten", True),
    ("MOUNT STUART STREET", "SHAWLANDS", "gla_ten", True),
    ("ESSLEMONT AVENUE", "SHAWLANDS", "gla_ten", False),
    ("PENRITH DRIVE", "SHAWLANDS", "houses", False),
    ("NITHSDALE ROAD", "STRATHBUNGO", "gla_ten", False),
    ("QUEEN SQUARE", "STRATHBUNGO", "gla_villa", True),
    ("MARYWOOD SQUARE", "STRATHBUNGO", "gla_ten", True),
    ("ALLISON STREET", "GOVANHILL", "gla_main", False),
    ("CALDER STREET", "GOVANHILL", "gla_ten", False),
    ("DAISY STREET", "GOVANHILL", "gla_ten", True),
    ("BOWMAN STREET", "GOVANHILL", "gla_ten", False),
    ("WESTMORELAND STREET", "GOVANHILL", "gla_ten", True),
    ("LANGSIDE ROAD", "GOVANHILL", "ha", False),
    ("MARCHMONT ROAD", "MARCHMONT", "edi_ten", True),
    ("WARRENDER PARK ROAD", "MARCHMONT", "edi_ten", True),
    ("SPOTTISWOODE STREET", "MARCHMONT", "edi_ten", True),
    ("THIRLESTANE ROAD", "MARCHMONT", "edi_ten", False),
    ("ARDEN STREET", "MARCHMONT", "edi_ten", True),
    ("LAUDERDALE STREET", "MARCHMONT", "edi_ten", True),
    ("MARCHMONT CRESCENT", "MARCHMONT", "edi_ten", False),
    ("WARRENDER PARK TERRACE", "MARCHMONT", "edi_ten", True),
    ("MELVILLE TERRACE", "MARCHMONT", "hall", False),
    ("SCIENNES ROAD", "MARCHMONT", "edi_main", False),
    ("BRUNTSFIELD PLACE", "BRUNTSFIELD", "edi_main", False),
    ("VIEWFORTH", "BRUNTSFIELD", "edi_ten", True),
    ("LEAMINGTON TERRACE", "BRUNTSFIELD", "edi_ten", True),
    ("GILLESPIE CRESCENT", "BRUNTSFIELD", "ha", False),
    ("LEVEN STREET", "BRUNTSFIELD", "edi_main", False),
    ("GREAT KING STREET", "NEW TOWN", "edi_newtown", False),
    ("NORTHUMBERLAND STREET", "NEW TOWN", "edi_newtown", False),
    ("CUMBERLAND STREET", "NEW TOWN", "edi_newtown", False),
    ("DUNDAS STREET", "NEW TOWN", "edi_main", False),
    ("SCOTLAND STREET", "NEW TOWN", "edi_ten", False),
    ("CIRCUS LANE", "NEW TOWN", "mews", False),
    ("NORTHUMBERLAND STREET NORTH EAST LANE", "NEW TOWN", "mews", False),
    ("HERIOT ROW", "NEW TOWN", "edi_newtown", False),
    ("BELL PLACE", "STOCKBRIDGE", "colony", True),
    ("KEMP PLACE", "STOCKBRIDGE", "colony", True),
    ("ST STEPHEN STREET", "STOCKBRIDGE", "edi_ten", True),
    ("RAEBURN PLACE", "STOCKBRIDGE", "edi_main", True),
    ("DEAN PARK MEWS", "STOCKBRIDGE", "mews", True),
    ("GREAT JUNCTION STREET", "LEITH", "edi_main", True),
    ("IONA STREET", "LEITH", "edi_ten", True),
    ("DALMENY STREET", "LEITH", "edi_ten", True),
    ("ALBERT STREET", "LEITH", "edi_ten", False),
    ("EASTER ROAD", "LEITH", "edi_main", False),
    ("THE SHORE", "LEITH", "edi_main", True),
    ("COMMERCIAL QUAY", "LEITH", "modern", True),
    ("WESTERN HARBOUR", "LEITH", "modern", True),
    ("CABLES WYND", "LEITH", "ha", True),
    ("PITT STREET", "LEITH", "edi_ten", True),
    ("LEITH WALK", "PILRIG", "edi_main", False),
    ("BALFOUR STREET", "PILRIG", "edi_ten", False),
]
COLONY_PARTNER = {"BELL PLACE": "REID TERRACE", "KEMP PLACE": "COLLINS PLACE"}
ALIASES = {
    "ST STEPHEN STREET": "SAINT STEPHEN STREET",
    "THE SHORE": "SHORE",
    "KELVINHAUGH STREET": "KELVIN HAUGH STREET",
}
NEW_STREETS = [
    ("KELVIN WHARF", "FINNIESTON"),
    ("HARBOUR GREEN", "LEITH"),
    ("BONNINGTON MILL WYND", "PILRIG"),
    ("CANAL VIEW", "MARYHILL"),
    ("QUARTERMILE WALK", "MARCHMONT"),
    ("SHAWHILL GATE", "SHAWLANDS"),
    ("OCEAN DRIVE", "LEITH"),
    ("PARTICK QUAY", "PARTICK"),
]
BLOCK_NAMES = [
    "ALLANDER COURT",
    "KELVIN COURT",
    "ST MUNGO COURT",
    "ROWAN HOUSE",
    "LINNVALE COURT",
    "CABLES WYND HOUSE",
    "GILLESPIE HOUSE",
    "WEST PILTON HOUSE",
    "ST ANDREWS COURT",
    "FORTH VIEW",
    "CLYDE VIEW COURT",
    "ASHTREE HOUSE",
    "BRAID HOUSE",
    "ARDBEG HOUSE",
    "LOMOND COURT",
]
HALL_NAMES = [
    "MURANO STUDENT VILLAGE",
    "KELVIN HALL OF RESIDENCE",
    "POLLOCK HALLS",
    "MELVILLE HOUSE",
    "CORUNNA RESIDENCE",
    "LEITH QUAY STUDENT RESIDENCE",
]
CARE_NAMES = [
    "HILLHEAD CARE HOME",
    "ST MARGARETS NURSING HOME",
    "WOODSIDE HOUSE CARE HOME",
    "MILLBANK CARE HOME",
    "BRAID HILLS NURSING HOME",
]
ABBREV = {
    "STREET": "ST",
    "ROAD": "RD",
    "CRESCENT": "CRES",
    "TERRACE": "TERR",
    "GARDENS": "GDNS",
    "PLACE": "PL",
    "AVENUE": "AVE",
    "DRIVE": "DR",
    "SQUARE": "SQ",
    "COURT": "CT",
    "HOUSE": "HSE",
}
ORD = {1: "1ST", 2: "2ND", 3: "3RD", 4: "4TH", 5: "5TH"}
WORD_ORD = {1: "FIRST", 2: "SECOND", 3: "THIRD", 4: "FOURTH", 5: "FIFTH"}

# ---------------------------------------------------------------------------------------------------------------
# gazetteer


def _flat(saon, cls, floor, door, doors, top, style, parent_kind):
    return {
        "saon": saon,
        "cls": cls,
        "floor": floor,
        "door": door,
        "doors": doors,
        "top": top,
        "style": style,
        "kind": parent_kind,
    }


def _numbered_flats(nf, nd, kind):
    """A block's flats, nf floors of nd doors, numbered FLAT 1, 2 ... up the stair."""
    units = [_flat(None, "RD06", f, d, nd, nf - 1, "seq", kind) for f in range(nf) for d in range(1, nd + 1)]
    for i, u in enumerate(units, 1):
        u["seq"] = i
        u["saon"] = f"FLAT {i}"
    return units


def _stair(rng, city, newtown=False, shops_below=False, renumber_p=0.0, hmo_p=0.06):
    """Flats of one close / stair: floors (ground .. top), doors a floor, its gazetteer style."""
    storeys = int(rng.choice([3, 4, 4, 4, 5]))
    doors = int(rng.choice([2, 2, 2, 3]))
    basement = city == "EDINBURGH" and (newtown or rng.random() < 0.12)
    floors = list(range(0 if not shops_below else 1, storeys))
    if newtown:
        floors = [f for f in floors if f >= 1]  # the main-door flat takes ground and basement
    top = floors[-1]
    top_doors = doors if doors == 2 or rng.random() < 0.6 else 2
    style = "gla" if city == "GLASGOW" else ("seq" if rng.random() < renumber_p else ("pf" if newtown else "edi"))
    out, k = [], 0
    if basement and not newtown:
        k += 1
        out.append(_flat(None, "RD06", -1, 0, 1, top, style, "stair"))
    for f in floors:
        nd = top_doors if f == top else doors
        for d in range(1, nd + 1):
            k += 1
            cls = "RH03" if rng.random() < hmo_p else "RD06"
            out.append(_flat(None, cls, f, d, nd, top, style, "stair"))
    for i, u in enumerate(out, start=1):
        u["seq"] = i
        u["saon"] = _gaz_saon(u)
    return out


def _edi_floor(f, pf=False):
    return "B" if f == -1 else "G" if f == 0 else ("P" if (pf and f == 1) else str(f))


def _gaz_saon(u):
    f, d, style = u["floor"], u["door"], u["style"]
    if style == "gla":
        return f"FLAT {f}/{d}"
    if style in ("edi", "pf"):
        return f"{_edi_floor(f, style == 'pf')}F{d if d else ''}"
    return f"FLAT {u['seq']}"


def _street_buildings(rng, city, kind, street, block_names, hall_names, care_names):
    """Buildings along one street: dicts with pnum, pname, cls, kind, units (list of flat dicts), side."""
    b = []
    big = kind in ("gla_main", "edi_main")
    for side in (0, 1):
        num = (int(rng.integers(150, 700)) * 2 + side + 1) if (big and city == "GLASGOW") else (1 + side)
        if kind in ("gla_ten", "edi_ten", "gla_main", "edi_main", "edi_newtown"):
            n = int(rng.integers(4, 10))
            for _ in range(n):
                newtown = kind == "edi_newtown"
                if big and rng.random() < 0.75:
                    for _s in range(int(rng.integers(1, 3))):
                        cls = str(rng.choice(["CR08", "CR08", "CR07", "CR06", "CO01"]))
                        b.append(
                            {"pnum": str(num), "pname": None, "cls": cls, "kind": "shop", "units": [], "side": side}
                        )
                        num += 2
                    units = _stair(rng, city, shops_below=True, renumber_p=0.2)
                    b.append(
                        {"pnum": str(num), "pname": None, "cls": "PP", "kind": "close", "units": units, "side": side}
                    )
                    num += 2
                    continue
                if newtown or rng.random() < 0.3:  # main-door flat with its own number
                    suffix = rng.random() < 0.2
                    mcls = "CO01" if (newtown and rng.random() < 0.25) else "RD06"
                    mnum = num if not suffix else num
                    b.append(
                        {
                            "pnum": str(mnum) + ("A" if suffix else ""),
                            "pname": None,
                            "cls": mcls,
                            "kind": "maindoor" if mcls == "RD06" else "shop",
                            "units": [],
                            "side": side,
                            "stair_of": None,
                        }
                    )
                    if not suffix:
                        num += 2
                units = _stair(
                    rng,
                    city,
                    newtown=newtown,
                    renumber_p=0.22 if city == "EDINBURGH" else 0.0,
                    hmo_p=0.12 if kind in ("edi_ten",) or street in ("OTAGO STREET", "GIBSON STREET") else 0.05,
                )
                if newtown and rng.random() < 0.3:
                    units.insert(0, _flat("BASEMENT", "CO01", -1, 0, 1, units[-1]["top"], "office", "stair"))
                b.append({"pnum": str(num), "pname": None, "cls": "PP", "kind": "close", "units": units, "side": side})
                num += 2
        elif kind == "gla_villa":
            for _ in range(int(rng.integers(5, 11))):
                r = rng.random()
                if r < 0.35:
                    b.append(
                        {"pnum": str(num), "pname": None, "cls": "RD04", "kind": "house", "units": [], "side": side}
                    )
                elif r < 0.7:
                    units = [_flat(None, "RD06", f, 1, 1, 2, "gla", "villa") for f in range(3)]
                    for i, u in enumerate(units, 1):
                        u["seq"] = i
                        u["saon"] = _gaz_saon(u)
                    b.append(
                        {"pnum": str(num), "pname": None, "cls": "PP", "kind": "close", "units": units, "side": side}
                    )
                elif r < 0.88:
                    rooms = [
                        _flat(f"ROOM {i}", "RH02", None, None, None, None, "room", "bedsit")
                        for i in range(1, int(rng.integers(5, 10)))
                    ]
                    b.append(
                        {"pnum": str(num), "pname": None, "cls": "RH01", "kind": "bedsit", "units": rooms, "side": side}
                    )
                elif care_names:
                    b.append(
                        {
                            "pnum": str(num),
                            "pname": care_names.pop(0),
                            "cls": "RI01",
                            "kind": "care",
                            "units": [],
                            "side": side,
                        }
                    )
                else:
                    b.append(
                        {"pnum": str(num), "pname": None, "cls": "RD02", "kind": "house", "units": [], "side": side}
                    )
                num += 2
        elif kind == "houses" or kind == "mews":
            cls = "RD03" if kind == "houses" else "RD04"
            for _ in range(int(rng.integers(6, 14))):
                b.append({"pnum": str(num), "pname": None, "cls": cls, "kind": "house", "units": [], "side": side})
                num += 2
        elif kind == "colony":
            for _ in range(int(rng.integers(6, 12))):
                b.append(
                    {"pnum": str(num), "pname": None, "cls": "RD06", "kind": "colony_lower", "units": [], "side": side}
                )
                num += 2
        elif kind == "msf" and side == 0:
            for k in range(int(rng.integers(1, 3))):
                nf, nd = int(rng.integers(12, 24)), int(rng.choice([4, 4, 5, 6]))
                units = []
                for f in range(nf):
                    for d in range(1, nd + 1):
                        units.append(_flat(f"FLAT {f}/{d}", "RD06", f, d, nd, nf - 1, "gla", "msf"))
                for i, u in enumerate(units, 1):
                    u["seq"] = i
                b.append(
                    {"pnum": str(10 * (k + 1)), "pname": None, "cls": "PP", "kind": "msf", "units": units, "side": side}
                )
        elif kind in ("ha", "modern", "hall") or (kind == "msf" and side == 1):
            for _ in range(int(rng.integers(1, 4))):
                if kind == "hall" and hall_names and rng.random() < 0.7:
                    name = hall_names.pop(0)
                    units = [
                        _flat(f"FLAT {i}", "RH02", None, None, None, None, "hall", "hall")
                        for i in range(1, int(rng.integers(12, 30)))
                    ]
                    b.append(
                        {"pnum": str(num), "pname": name, "cls": "RI03", "kind": "hall", "units": units, "side": side}
                    )
                elif kind == "modern":
                    nf, nd = int(rng.integers(4, 8)), int(rng.choice([3, 4, 5]))
                    units = _numbered_flats(nf, nd, "block")
                    b.append(
                        {"pnum": str(num), "pname": None, "cls": "PP", "kind": "block", "units": units, "side": side}
                    )
                elif block_names:
                    name = block_names.pop(0)
                    nf, nd = int(rng.integers(2, 5)), int(rng.choice([2, 3, 4]))
                    units = _numbered_flats(nf, nd, "named")
                    b.append(
                        {"pnum": str(num), "pname": name, "cls": "PP", "kind": "named", "units": units, "side": side}
                    )
                else:
                    b.append(
                        {
                            "pnum": str(num),
                            "pname": None,
                            "cls": "CE01" if kind == "hall" else "RD04",
                            "kind": "shop" if kind == "hall" else "house",
                            "units": [],
                            "side": side,
                        }
                    )
                num += 2
            if kind != "hall" and rng.random() < 0.5 and care_names:
                b.append(
                    {
                        "pnum": str(num),
                        "pname": care_names.pop(0),
                        "cls": "RI01",
                        "kind": "care",
                        "units": [],
                        "side": side,
                    }
                )
                num += 2
    return b


def _postcodes(rng, streets):
    used = set()
    for st in streets:
        town, district, sectors, _c = LOCALITIES[st["locality"]]
        sector = int(rng.choice(sectors))
        count, target, code = 10**6, 0, None

        def new_code():
            while True:
                c = f"{district} {sector}{rng.choice(list(INWARD))}{rng.choice(list(INWARD))}"
                if c not in used:
                    used.add(c)
                    return c

        for bld in sorted(st["buildings"], key=lambda x: (x["side"], x["pos"])):
            dp = max(1, len(bld["units"]))
            if bld["kind"] in ("msf", "hall", "block") or dp > 30:
                bld["postcode"] = new_code()
                continue
            if count + dp > target:
                code, count, target = new_code(), 0, int(rng.integers(8, 26))
            bld["postcode"] = code
            count += dp
        st["postcode"] = None


def make_gazetteer(seed: int = 31, n_streets: int | None = None) -> pd.DataFrame:
    """The synthetic OSG-style gazetteer (see the module docstring for its conventions)."""
    rng = np.random.default_rng(seed)
    specs = list(STREETS)
    if n_streets is not None and n_streets < len(specs):
        keep = sorted(rng.choice(len(specs), size=n_streets, replace=False))
        specs = [specs[i] for i in keep]
    blocks, halls, cares = list(rng.permutation(BLOCK_NAMES)), list(HALL_NAMES), list(rng.permutation(CARE_NAMES))
    streets = []
    usrn = 38400000 + int(rng.integers(0, 9000)) * 10
    for name, loc, kind, show in specs:
        town = LOCALITIES[loc][0]
        usrn += int(rng.integers(1, 40))
        bl = _street_buildings(rng, town, kind, name, blocks, halls, cares)
        st = {"name": name, "locality": loc, "kind": kind, "show": show, "town": town, "usrn": usrn, "buildings": bl}
        streets.append(st)
        if kind == "colony":  # the upper flats, entered from the next street by an outside stair
            usrn += int(rng.integers(1, 40))
            upper = [
                {
                    "pnum": x["pnum"],
                    "pname": None,
                    "cls": "RD06",
                    "kind": "colony_upper",
                    "units": [],
                    "side": x["side"],
                    "partner": name,
                }
                for x in bl
            ]
            for x in bl:
                x["partner"] = COLONY_PARTNER[name]
            streets.append(
                {
                    "name": COLONY_PARTNER[name],
                    "locality": loc,
                    "kind": kind,
                    "show": show,
                    "town": town,
                    "usrn": usrn,
                    "buildings": upper,
                    "colony_of": name,
                }
            )
    for st in streets:
        n = len(st["buildings"])
        for i, bld in enumerate(st["buildings"]):
            bld["pos"] = i / max(n, 1)
    _postcodes(rng, streets)
    # colony upper flats share the lower flat's point and postcode
    lower = {(s["name"], b["pnum"]): b for s in streets for b in s["buildings"]}
    rows = []
    uprn = [906700000000 + int(rng.integers(0, 99999)) * 1000]

    def nxt():
        uprn[0] += int(rng.integers(1, 12))
        return uprn[0]

    for st in streets:
        cx, cy = LOCALITIES[st["locality"]][3]
        ang = rng.uniform(0, np.pi)
        x0, y0 = cx + rng.normal(0, 350), cy + rng.normal(0, 350)
        length = 60.0 + 18.0 * len(st["buildings"])
        tail = [st["name"]] + ([st["locality"]] if st["show"] else []) + [st["town"]]
        st_uprn = nxt()
        base = {
            "usrn": st["usrn"],
            "street": st["name"],
            "locality": st["locality"] if st["show"] else None,
            "area": st["locality"],
            "town": st["town"],
            "alias": False,
        }
        rows.append(
            {
                **base,
                "uprn": st_uprn,
                "parent_uprn": None,
                "class_code": "PS",
                "address": ", ".join(tail),
                "postcode": None,
                "easting": round(x0, 2),
                "northing": round(y0, 2),
                "kind": "street",
            }
        )
        for bld in st["buildings"]:
            if "colony_of" in st:
                src = lower[(st["colony_of"], bld["pnum"])]
                bld["postcode"], bld["xy"] = src["postcode"], src["xy"]
                x, y = bld["xy"]
            else:
                off = 9.0 if bld["side"] else -9.0
                t = bld["pos"] * length
                x = x0 + t * np.cos(ang) - off * np.sin(ang)
                y = y0 + t * np.sin(ang) + off * np.cos(ang)
                bld["xy"] = (x, y)
            paon = [bld["pname"]] if bld["pname"] else []
            paon.append(f"{bld['pnum']} {st['name']}")
            addr = ", ".join(paon + tail[1:])
            puprn = nxt()
            common = {
                **base,
                "postcode": bld["postcode"],
                "pname": bld["pname"],
                "pnum": bld["pnum"],
                "partner": bld.get("partner"),
            }
            rows.append(
                {
                    **common,
                    "uprn": puprn,
                    "parent_uprn": None,
                    "class_code": bld["cls"],
                    "address": addr,
                    "easting": round(x, 2),
                    "northing": round(y, 2),
                    "kind": bld["kind"],
                    "saon": None,
                    "n_units": len(bld["units"]),
                }
            )
            for u in bld["units"]:
                h = 3.0 * (u["floor"] if u["floor"] is not None else 0)
                rows.append(
                    {
                        **common,
                        "uprn": nxt(),
                        "parent_uprn": puprn,
                        "class_code": u["cls"],
                        "address": f"{u['saon']}, {addr}",
                        "easting": round(x + rng.normal(0, 0.5), 2),
                        "northing": round(y + rng.normal(0, 0.5) + 0 * h, 2),
                        "kind": u["kind"],
                        "saon": u["saon"],
                        "floor": u["floor"],
                        "door": u["door"],
                        "doors": u["doors"],
                        "top": u["top"],
                        "style": u["style"],
                        "seq": u.get("seq"),
                    }
                )
    gaz = pd.DataFrame(rows)
    alias = []
    for old, new in ALIASES.items():
        part = gaz[gaz["street"] == old]
        if len(part):
            a = part.copy()
            a["address"] = a["address"].str.replace(old, new, regex=False)
            a["alias"] = True
            alias.append(a)
    if alias:
        gaz = pd.concat([gaz] + alias, ignore_index=True)
    gaz["uprn"] = gaz["uprn"].astype("int64")
    gaz["parent_uprn"] = gaz["parent_uprn"].astype("Int64")
    gaz["usrn"] = gaz["usrn"].astype("int64")
    for c in ("floor", "door", "doors", "top", "seq", "n_units"):
        gaz[c] = gaz[c].astype("Int64")
    gaz["postcode"] = gaz["postcode"].astype(object).where(gaz["postcode"].notna(), None)
    gaz["easting"] = gaz["easting"].astype(float)
    gaz["northing"] = gaz["northing"].astype(float)
    front = ["uprn", "parent_uprn", "class_code", "address", "postcode", "usrn", "easting", "northing"]
    return gaz[front + [c for c in gaz.columns if c not in front]]


# ---------------------------------------------------------------------------------------------------------------
# records

SOURCES = {
    # share, fault rate, class weights
    "council_tax": (
        0.20,
        0.28,
        {
            "position_missing": 4,
            "position_slash": 2,
            "position_fform": 2,
            "street_abbrev": 4,
            "postcode_missing": 3,
            "postcode_wrong_unit": 2,
            "locality_for_town": 3,
            "position_wrong_exists": 1.5,
            "number_wrong_exists": 1,
            "new_street": 3,
            "new_build_infill": 2,
            "flat_past_last": 1.5,
            "street_typo": 2,
            "block_name_dropped": 2,
            "maindoor_format": 1,
            "principal_floor": 1,
            "edi_slash": 2,
            "suffix_format": 1,
            "street_alias": 1.5,
        },
    ),
    "epc_scotland": (
        0.18,
        0.55,
        {
            "position_words": 3,
            "position_slash": 3,
            "position_fform": 3,
            "position_lr": 2,
            "position_sequential": 2,
            "position_run_together": 2,
            "position_placement": 2,
            "street_typo": 3,
            "street_abbrev": 3,
            "words_run_together": 2,
            "postcode_missing": 1,
            "postcode_wrong_sector": 1.5,
            "postcode_lowercase": 1,
            "locality_for_town": 2,
            "new_street": 4,
            "new_build_infill": 2,
            "flat_past_last": 1.5,
            "edi_slash": 3,
            "edi_slash_tenement": 1.5,
            "position_wrong_exists": 1.5,
            "block_name_dropped": 1.5,
            "maindoor_format": 1.5,
            "principal_floor": 1.5,
            "colony_street": 1,
            "number_wrong_absent": 1,
            "hall_room": 1,
            "street_alias": 1,
        },
    ),
    "nhs_chi": (
        0.12,
        0.55,
        {
            "position_slash": 3,
            "position_lr": 3,
            "position_missing": 3,
            "position_words": 2,
            "street_abbrev": 4,
            "postcode_missing": 2,
            "postcode_wrong_sector": 1.5,
            "locality_for_town": 3,
            "county_added": 2,
            "care_home_room": 3,
            "hall_room": 3,
            "hmo_room": 1.5,
            "bedsit_room": 1.5,
            "block_name_dropped": 2,
            "block_name_added": 2,
            "position_wrong_exists": 2,
            "number_wrong_exists": 1,
            "words_run_together": 1,
            "new_street": 2,
            "flat_past_last": 1,
            "bedsit_room_past_last": 1,
            "position_partial": 1.5,
            "locality_wrong": 1.5,
        },
    ),
    "assessor_roll": (
        0.09,
        0.45,
        {
            "shop_close_number": 4,
            "business_name_added": 4,
            "postcode_in_text": 2,
            "street_abbrev": 2,
            "advertising_site": 3,
            "telecom_mast": 2,
            "lockup_garage": 2,
            "number_wrong_exists": 1,
            "street_typo": 1,
            "postcode_wrong_unit": 1,
        },
    ),
    "ha_stock": (
        0.09,
        0.55,
        {
            "position_placement": 4,
            "position_run_together": 3,
            "position_lr": 2,
            "block_name_dropped": 3,
            "block_name_added": 3,
            "street_abbrev": 4,
            "postcode_missing": 3,
            "position_wrong_exists": 1.5,
            "flat_past_last": 1.5,
            "lockup_garage": 1.5,
            "new_build_infill": 1,
            "position_sequential": 1,
            "edi_slash": 2,
        },
    ),
    "hmo_register": (
        0.08,
        0.60,
        {
            "hmo_room": 3,
            "hall_room": 3,
            "bedsit_room": 3,
            "bedsit_room_past_last": 1.5,
            "position_fform": 2,
            "position_slash": 2,
            "position_words": 2,
            "edi_slash": 2,
            "edi_slash_tenement": 2,
            "postcode_in_text": 2,
            "street_typo": 2,
            "postcode_wrong_sector": 1,
            "principal_floor": 1,
            "position_wrong_exists": 1,
        },
    ),
    "landlord_reg": (
        0.08,
        0.65,
        {
            "position_words": 4,
            "position_lr": 3,
            "position_run_together": 2,
            "position_placement": 2,
            "position_partial": 2,
            "maindoor_format": 2,
            "street_typo": 3,
            "words_run_together": 2,
            "locality_for_town": 2,
            "locality_wrong": 2,
            "postcode_lowercase": 1,
            "postcode_in_text": 1,
            "number_wrong_absent": 1,
            "suffix_format": 1.5,
            "colony_street": 1,
            "position_wrong_exists": 1,
            "new_street": 1.5,
            "flat_past_last": 1,
            "edi_slash_tenement": 1.5,
        },
    ),
    "police_scotland": (
        0.08,
        0.85,
        {
            "outside_property": 4,
            "close_location": 4,
            "back_court": 3,
            "junction": 2,
            "position_words": 2,
            "position_missing": 2,
            "street_abbrev": 3,
            "locality_for_town": 2,
            "lockup_garage": 1,
        },
    ),
    "ros_sales": (
        0.08,
        0.30,
        {
            "position_words": 3,
            "position_fform": 1,
            "postcode_wrong_unit": 1,
            "new_street": 3,
            "new_build_infill": 1,
            "locality_wrong": 1,
            "street_alias": 1,
            "principal_floor": 1,
            "edi_slash": 1,
            "number_wrong_absent": 1,
            "county_added": 1,
        },
    ),
}

NOT_IN_GAZ = {
    "new_street",
    "new_build_infill",
    "flat_past_last",
    "bedsit_room_past_last",
    "lockup_garage",
    "back_court",
    "outside_property",
    "junction",
    "advertising_site",
    "telecom_mast",
}
STREET_LEVEL = {"outside_property", "junction"}

# the pool of target properties each class needs
POOL = {
    "position_slash": "stairflat",
    "position_fform": "stairflat",
    "position_lr": "stairflat",
    "position_words": "posflat",
    "position_sequential": "stairflat",
    "position_run_together": "slashflat",
    "position_placement": "anyflat",
    "principal_floor": "edi_first",
    "position_partial": "topflat",
    "position_missing": "anyflat",
    "position_wrong_exists": "stairflat",
    "edi_slash": "edi_numbered",
    "edi_slash_tenement": "edi_flat",
    "maindoor_format": "maindoor",
    "number_wrong_exists": "closeflat",
    "number_wrong_absent": "closeflat",
    "suffix_format": "suffixed",
    "street_alias": "aliased",
    "block_name_dropped": "namedflat",
    "block_name_added": "blockish",
    "hall_room": "hallflat",
    "hmo_room": "hmoflat",
    "bedsit_room": "bedsitroom",
    "care_home_room": "care",
    "colony_street": "colony_upper",
    "shop_close_number": "shop",
    "business_name_added": "shop",
    "close_location": "close",
    "flat_past_last": "stairflat",
    "bedsit_room_past_last": "bedsit",
    "new_build_infill": "house_or_close",
    "advertising_site": "shop",
    "telecom_mast": "tall",
    "lockup_garage": "any",
    "back_court": "close",
    "outside_property": "any",
    "junction": "any",
    "new_street": "any",
}
SOURCE_POOL = {"assessor_roll": "shop", "hmo_register": "hmo_any", "ha_stock": "ha_any", "police_scotland": "any"}
BUSINESS = [
    "GREGGS PLC",
    "THE BIG SHOP LTD",
    "COSTA LTD",
    "TENNENTS BAR",
    "CAFE ANDALUZ",
    "BOOTS UK LTD",
    "KHAN NEWSAGENTS",
    "OXFAM GB",
    "MCCALLS SOLICITORS",
    "THE STAND COMEDY CLUB",
    "ROSS ESTATE AGENTS",
]


def _norm(text):
    return " ".join(re.sub(r"[^A-Z0-9 ]", " ", str(text).upper()).split())


class _Index:
    def __init__(self, gaz):
        g = gaz[~gaz["alias"].astype(bool)].reset_index(drop=True)
        self.g = g
        self.rows = {int(r["uprn"]): r for r in g.to_dict("records")}
        self.by_norm = {}
        for a, u, loc, town in zip(gaz["address"], gaz["uprn"], gaz["locality"], gaz["town"]):
            forms = {_norm(a)}
            parts = a.split(", ")
            if parts[-1] == town:
                forms.add(_norm(", ".join(parts[:-1])))
            if isinstance(loc, str) and loc in parts:
                forms.add(_norm(", ".join(p for p in parts if p != loc)))
                forms.add(_norm(", ".join(p for p in parts if p not in (loc, town))))
            for f in forms:
                self.by_norm.setdefault(f, set()).add(int(u))
        self.children = {}
        for r in self.rows.values():
            if pd.notna(r["parent_uprn"]):
                self.children.setdefault(int(r["parent_uprn"]), []).append(int(r["uprn"]))
        self.by_text = {a: int(u) for a, u in zip(g["address"], g["uprn"])}
        self.streets = {}
        for r in self.rows.values():
            if r["class_code"] == "PS":
                self.streets[r["street"]] = r
        self.units_of_street = {}
        for r in self.rows.values():
            if r["class_code"] != "PS":
                self.units_of_street.setdefault(r["street"], set()).add(r["postcode"])
        pools = {
            k: []
            for k in [
                "stairflat",
                "posflat",
                "slashflat",
                "anyflat",
                "edi_flat",
                "topflat",
                "edi_numbered",
                "maindoor",
                "closeflat",
                "suffixed",
                "aliased",
                "namedflat",
                "blockish",
                "hallflat",
                "hmoflat",
                "edi_first",
                "bedsitroom",
                "care",
                "colony_upper",
                "shop",
                "close",
                "bedsit",
                "house_or_close",
                "tall",
                "any",
                "hmo_any",
                "ha_any",
                "dwelling",
            ]
        }
        aliased = set(ALIASES)
        for u, r in self.rows.items():
            cls, kind, style = r["class_code"], r["kind"], r.get("style")
            if cls == "PS":
                continue
            pools["any"].append(u)
            has_pos = pd.notna(r.get("floor")) and kind in ("stair", "villa", "msf", "block", "named")
            if cls in ("RD06", "RH03") and has_pos:
                pools["anyflat"].append(u)
                pools["posflat"].append(u)
                if style in ("gla", "edi", "pf"):
                    pools["stairflat"].append(u)
                if style == "gla":
                    pools["slashflat"].append(u)
                if style in ("edi", "pf") and r["floor"] >= 0 and r["door"]:
                    pools["edi_flat"].append(u)
                    if r["floor"] == 1:
                        pools["edi_first"].append(u)
                if r["floor"] == r["top"] and r["doors"] and r["doors"] >= 2 and kind == "stair":
                    pools["topflat"].append(u)
                if r["town"] == "EDINBURGH" and style == "seq":
                    pools["edi_numbered"].append(u)
                if kind == "stair" and style in ("gla", "edi", "pf"):
                    pools["closeflat"].append(u)
                if kind in ("named", "block", "msf"):
                    pools["blockish"].append(u)
                    pools["ha_any"].append(u)
                if kind == "named":
                    pools["namedflat"].append(u)
            if cls == "RH03":
                pools["hmoflat"].append(u)
                pools["hmo_any"].append(u)
            if kind == "hall":
                if cls == "RH02":
                    pools["hallflat"].append(u)
                    pools["hmo_any"].append(u)
            if kind == "bedsit" and cls == "RH02":
                pools["bedsitroom"].append(u)
                pools["hmo_any"].append(u)
            if cls == "RH01":
                pools["bedsit"].append(u)
            if kind == "maindoor":
                pools["maindoor"].append(u)
                if str(r["pnum"]).endswith("A"):
                    pools["suffixed"].append(u)
            if cls == "RI01":
                pools["care"].append(u)
            if kind == "colony_upper":
                pools["colony_upper"].append(u)
            if kind == "shop" or cls in ("CR08", "CR07", "CR06", "CO01", "CE01"):
                pools["shop"].append(u)
            if kind == "close":
                pools["close"].append(u)
            if kind in ("close", "house", "maindoor"):
                pools["house_or_close"].append(u)
            if kind in ("msf",) and cls == "PP":
                pools["tall"].append(u)
            if kind == "close" and r["town"] == "GLASGOW" and cls == "PP":
                pools["tall"].append(u)
            if r["street"] in aliased:
                pools["aliased"].append(u)
            if cls.startswith("RD") or cls in ("RH03",):
                pools["dwelling"].append(u)
        pools["ha_any"] += pools["namedflat"]
        self.pools = {k: np.array(v, dtype=np.int64) for k, v in pools.items()}


def _lr(door, doors):
    if doors == 2:
        return "L" if door == 1 else "R"
    if doors == 3:
        return {1: "L", 2: "M", 3: "R"}[door]
    return str(door)


def _pos(style, r, rng):
    """The position of flat ``r`` written in convention ``style``."""
    f, d, nd, top = int(r["floor"]), int(r["door"] or 0), int(r["doors"] or 1), int(r["top"])
    if style == "slash":
        return rng.choice(["FLAT ", "", ""]) + f"{max(f, 0)}/{d or 1}"
    if style == "fform":
        return rng.choice(["", "FLAT ", ""]) + f"{_edi_floor(f)}F{d or ''}"
    if style == "lr":
        side = _lr(d, nd) if nd in (2, 3) else str(d)
        fl = "G" if f == 0 else ("B" if f < 0 else str(f))
        if f != 0 and side == str(d):  # nothing but G for 0 to change
            fl = {1: "1ST", 2: "2ND", 3: "3RD"}.get(f, fl)
        return str(rng.choice(["FLAT ", ""])) + f"{fl}/{side}"
    if style == "words":
        if f < 0:
            return str(rng.choice(["BASEMENT FLAT", "LOWER GROUND FLOOR FLAT", "BASEMENT"]))
        side = {"L": "LEFT", "R": "RIGHT", "M": "MIDDLE"}.get(_lr(d, nd), None) if nd in (2, 3) else None
        if f == 0:
            fl = str(rng.choice(["GROUND FLOOR", "GRD FLOOR", "GROUND"]))
        elif f == top and rng.random() < 0.4:
            fl = "TOP FLOOR" if rng.random() < 0.5 else "TOP"
        else:
            fl = str(
                rng.choice(
                    [
                        f"{ORD.get(f, str(f) + 'TH')} FLOOR",
                        f"{WORD_ORD.get(f, str(f))} FLOOR",
                        f"{ORD.get(f, str(f) + 'TH')} FLR",
                    ]
                )
            )
        if side and rng.random() < 0.75:
            return f"{fl} {side}" if rng.random() < 0.5 else f"{fl} FLAT {side}"
        return f"{fl} FLAT {d}" if nd > 1 else f"{fl} FLAT"
    if style == "seq":
        return f"FLAT {int(r['seq'])}" if pd.notna(r.get("seq")) else f"FLAT {d}"
    if style == "run":
        ff = max(f, 0)
        return str(rng.choice([f"FLAT {ff}{d}", f"{ff}-{d}", f"FLAT {ff}.{d}", f"FLAT {ff} {d}"]))
    raise ValueError(style)


def _title(s):
    return " ".join(w.capitalize() if not re.search(r"\d", w) else w.upper() for w in s.split(" "))


def _typo(rng, word):
    if len(word) < 5:
        return word + word[-1]
    i = int(rng.integers(1, len(word) - 1))
    op = rng.integers(0, 3)
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def _abbrev(street):
    words = street.split()
    if words[-1] in ABBREV:
        words[-1] = ABBREV[words[-1]]
    elif words[0] == "ST":
        words[0] = "SAINT"
    return " ".join(words)


def _wrong_sector(pc, rng):
    out, inw = pc.split()
    sectors = [s for s in range(10) if s != int(inw[0])]
    return f"{out} {rng.choice(sectors)}{inw[1:]}"


def _render(rng, P, source):
    """One text line for the parts P in the source's own style; returns (address, postcode)."""
    pos, pname, pnum, street = P.get("pos"), P.get("pname"), P.get("pnum"), P["street"]
    place = P.get("place") or {"ha_stock": "after", "nhs_chi": "bare"}.get(source, "front")
    road = f"{pnum} {street}" if pnum else street
    head = []
    pre = P.get("pre")
    if pos and place == "front":
        head.append(pos)
    elif pos and place == "bare":
        road = f"{pos} {road}"
    elif pos and place == "bracket":
        road = f"{pnum} ({pos}) {street}" if pnum else f"{street} ({pos})"
    if pname:
        head.append(pname)
    head.append(road)
    if pos and place == "after":
        head[-1] = f"{road} {pos}"
    if pos and place == "end_street":
        head[-1] = f"{road}, {pos}"
    if pre:
        head = [f"{pre} {head[0]}"] + head[1:] if P.get("pre_sep") == " " else [pre] + head
    tail = []
    if P.get("locality"):
        tail.append(P["locality"])
    if P.get("town"):
        tail.append(P["town"])
    if P.get("county"):
        tail.append(P["county"])
    text = ", ".join(head + tail)
    pc = P.get("postcode")
    if P.get("pc_in_text") and pc:
        text = f"{text} {pc}" if rng.random() < 0.6 else f"{text}, {pc}"
    if source in ("epc_scotland", "landlord_reg") or (source == "hmo_register" and rng.random() < 0.6):
        text = _title(text)
    if source in ("ha_stock", "nhs_chi", "police_scotland") and rng.random() < 0.5:
        text = text.replace(", ", " ")
    if P.get("pc_lower") and pc:
        pc = pc.lower() if rng.random() < 0.5 else pc.replace(" ", "").lower()
    return text, pc


def _base_parts(r, rng, source, idx):
    """The gazetteer parts of row r as the source writes them when nothing is wrong."""
    P = {
        "pos": r["saon"] if pd.notna(r.get("saon")) else None,
        "pname": r["pname"] if pd.notna(r.get("pname")) else None,
        "pnum": r["pnum"] if pd.notna(r.get("pnum")) else None,
        "street": r["street"],
        "locality": r["locality"] if pd.notna(r.get("locality")) else None,
        "town": r["town"],
        "postcode": r["postcode"],
        "pc_in_text": False,
    }
    # native style variations that keep every word
    if source == "nhs_chi" and P["pos"] and P["pos"].startswith("FLAT ") and "/" in P["pos"]:
        P["pos"] = P["pos"][5:]
    if source in ("assessor_roll", "hmo_register") and rng.random() < 0.6:
        P["pc_in_text"] = True
    if (
        source in ("epc_scotland", "nhs_chi", "landlord_reg", "police_scotland")
        and P["locality"]
        and rng.random() < 0.5
    ):
        P["locality"] = None
    if source == "police_scotland":
        P["postcode"] = None if rng.random() < 0.8 else P["postcode"]
    return P


def _apply(rng, cls, r, P, idx):
    """Apply fault class cls to parts P of target r; returns (truth uprn or None, level, forced text or None)."""
    u = int(r["uprn"])
    if cls == "clean":
        return u, "property", None
    if cls == "position_slash":
        if r["style"] == "gla":  # the bare Glasgow position before the number: "2/1 14 OTAGO STREET"
            P["pos"] = f"{int(r['floor'])}/{int(r['door'])}"
            P["place"] = "bare" if rng.random() < 0.6 else "front"
        else:
            P["pos"] = _pos("slash", r, rng)
        return u, "property", None
    if cls == "position_fform":
        P["pos"] = _pos("fform", r, rng) if r["style"] == "gla" else _pos("lr", r, rng)
        return u, "property", None
    if cls == "position_lr":
        P["pos"] = _pos("lr", r, rng)
        return u, "property", None
    if cls == "position_words":
        P["pos"] = _pos("words", r, rng)
        return u, "property", None
    if cls == "position_sequential":
        P["pos"] = f"FLAT {int(r['seq'])}"
        return u, "property", None
    if cls == "position_run_together":
        P["pos"] = _pos("run", r, rng)
        return u, "property", None
    if cls == "position_placement":
        P["place"] = str(rng.choice(["after", "bracket", "end_street"]))
        return u, "property", None
    if cls == "principal_floor":
        P["pos"] = P["pos"].replace("PF", "1F") if r["style"] == "pf" else P["pos"].replace("1F", "PF")
        return u, "property", None
    if cls == "position_partial":
        P["pos"] = str(rng.choice(["TOP FLAT", "TOP FLOOR", "TOP FLOOR FLAT"]))
        return u, "property", None
    if cls == "position_missing":
        P["pos"] = None
        return int(r["parent_uprn"]), "parent", None
    if cls == "position_wrong_exists":
        sibs = [s for s in idx.children.get(int(r["parent_uprn"]), []) if s != u]
        if not sibs:
            return None
        other = idx.rows[int(rng.choice(sibs))]
        return u, "property", other["address"]
    if cls == "edi_slash":
        P["pos"] = None
        P["pnum"] = f"{r['pnum']}/{int(r['seq'])}"
        return u, "property", None
    if cls == "edi_slash_tenement":
        P["pos"] = None
        P["pnum"] = f"{r['pnum']}/{int(r['seq'])}" if rng.random() < 0.7 else f"{r['pnum']}/{r['saon']}"
        return u, "property", None
    if cls == "maindoor_format":
        pn = str(r["pnum"])
        v = rng.integers(0, 3)
        if v == 0:
            P["pos"] = str(rng.choice(["MAIN DOOR", "MAIN DOOR FLAT", "MDF"]))
        elif v == 1:
            P["pnum"] = f"{pn} (MAIN DOOR)"
        else:
            P["pos"] = str(rng.choice(["GROUND FLOOR", "GF", "FLAT 0/1" if r["town"] == "GLASGOW" else "GF1"]))
        return u, "property", None
    if cls in ("number_wrong_exists", "number_wrong_absent"):
        parent = idx.rows[int(r["parent_uprn"])]
        nums = {str(x["pnum"]) for x in idx.rows.values() if x["street"] == r["street"] and x["kind"] == "close"}
        if cls == "number_wrong_exists":
            cands = [
                idx.by_text.get(r["address"].replace(f", {parent['pnum']} {r['street']}", f", {n} {r['street']}"))
                for n in sorted(nums)  # (a set: its order would change run to run)
                if n != str(parent["pnum"])
            ]
            cands = [c for c in cands if c is not None]
            if not cands:
                return None
            return u, "property", idx.rows[int(rng.choice(cands))]["address"]
        pn = str(parent["pnum"])
        if not pn.isdigit():
            return None
        opts = [str(int(pn) + k) for k in (1, -1, 10, -10, 100) if int(pn) + k > 0]
        opts = [
            o
            for o in opts
            if o not in nums
            and not any(str(x.get("pnum")) == o for x in idx.rows.values() if x["street"] == r["street"])
        ]
        if not opts:
            return None
        P["pnum"] = str(rng.choice(opts))
        return u, "property", None
    if cls == "suffix_format":
        pn = str(r["pnum"])
        P["pnum"] = pn[:-1] + (" " + pn[-1] if rng.random() < 0.5 else pn[-1].lower())
        return u, "property", None
    if cls == "street_alias":
        P["street"] = ALIASES[r["street"]]
        return u, "property", None
    if cls == "street_typo":
        words = P["street"].split()
        i = max(range(len(words)), key=lambda k: len(words[k]))
        words[i] = _typo(rng, words[i])
        P["street"] = " ".join(words)
        return u, "property", None
    if cls == "street_abbrev":
        new = _abbrev(P["street"])
        if new == P["street"]:
            return None
        P["street"] = new
        if P["pname"] and rng.random() < 0.5:
            P["pname"] = _abbrev(P["pname"])
        return u, "property", None
    if cls == "words_run_together":
        w = P["street"].split()
        if len(w) < 2:
            return None
        i = int(rng.integers(0, len(w) - 1))
        P["street"] = " ".join(w[:i] + [w[i] + w[i + 1]] + w[i + 2 :])
        return u, "property", None
    if cls == "postcode_missing":
        P["postcode"] = None if rng.random() < 0.7 else ""
        return u, "property", None
    if cls == "postcode_wrong_sector":
        P["postcode"] = _wrong_sector(r["postcode"], rng)
        return u, "property", None
    if cls == "postcode_wrong_unit":
        others = sorted(p for p in idx.units_of_street.get(r["street"], set()) if p and p != r["postcode"])
        if not others:
            return None
        P["postcode"] = str(rng.choice(others))
        return u, "property", None
    if cls == "postcode_in_text":
        P["pc_in_text"] = True
        if rng.random() < 0.5:
            P["postcode"] = None
        return u, "property", None
    if cls == "postcode_lowercase":
        P["pc_lower"] = True
        return u, "property", None
    if cls == "locality_for_town":
        P["locality"], P["town"] = None, r["area"]
        return u, "property", None
    if cls == "locality_wrong":
        P["locality"] = NEIGHBOUR[r["area"]]
        return u, "property", None
    if cls == "county_added":
        P["county"] = str(rng.choice(COUNTY[r["town"]]))
        return u, "property", None
    if cls == "block_name_dropped":
        P["pname"] = None
        return u, "property", None
    if cls == "block_name_added":
        if P["pname"]:
            P["pname"] = P["pname"] + str(rng.choice([" SHELTERED HOUSING", " (HA)", " FLATS"]))
        else:
            P["pname"] = str(rng.choice(["WYNDFORD MSF", "BLOCK 2", "COURT", f"{r['street'].split()[0]} HOUSE"]))
        return u, "property", None
    if cls == "hall_room":
        room = str(rng.choice(list("ABCDEF")))
        n = str(r["saon"]).split()[-1]
        P["pos"] = str(rng.choice([f"FLAT {n} ROOM {room}", f"FLAT {n}{room}", f"ROOM {n}{room}", f"{n}/{room}"]))
        return u, "property", None
    if cls == "hmo_room":
        P["pre"] = (
            f"ROOM {int(rng.integers(1, 6))}"
            if rng.random() < 0.6
            else str(rng.choice(["BEDROOM 2", "ROOM A", "RM 3"]))
        )
        return u, "property", None
    if cls == "bedsit_room":
        n = str(r["saon"]).split()[-1]
        P["pos"] = str(rng.choice([f"RM {n}", f"BEDSIT {n}", f"FLAT {n}", f"ROOM {n}", f"{n}/"]))
        if P["pos"].endswith("/"):
            P["pos"], P["pnum"] = None, f"{P['pnum']}/{n}"
        return u, "property", None
    if cls == "care_home_room":
        P["pre"] = f"ROOM {int(rng.integers(1, 60))}"
        if rng.random() < 0.3:
            P["pname"] = None
        return u, "property", None
    if cls == "colony_street":
        P["street"] = r["partner"]
        P["pos"] = str(rng.choice(["UPPER FLAT", "UPPER", "FIRST FLOOR FLAT"]))
        return u, "property", None
    if cls == "shop_close_number":
        pn = str(r["pnum"])
        closes = [
            x
            for x in idx.rows.values()
            if x["street"] == r["street"]
            and x["kind"] == "close"
            and str(x["pnum"]).isdigit()
            and pn.isdigit()
            and abs(int(x["pnum"]) - int(pn)) <= 4
        ]
        if not closes:
            return None
        P["pnum"] = str(closes[0]["pnum"])
        P["pos"] = str(rng.choice(["SHOP", "GROUND FLOOR SHOP", "GRD FLR", "SHOP UNIT", "PT GROUND FLOOR"]))
        return u, "property", None
    if cls == "business_name_added":
        P["pre"] = str(rng.choice(BUSINESS))
        return u, "property", None
    if cls == "close_location":
        P["pos"] = None
        P["pre"] = str(rng.choice(["CLOSE AT", "COMMON CLOSE", "COMMON STAIR", "CLOSE MOUTH", "STAIRWELL"]))
        P["pre_sep"] = " "
        P["postcode"] = None
        return int(r["uprn"]), "parent", None
    # ---- records the gazetteer lacks
    if cls == "flat_past_last":
        if r["style"] == "gla":
            f = int(r["top"]) + 1 if rng.random() < 0.5 else int(r["floor"])
            d = 1 if f > int(r["top"]) else int(r["doors"]) + 1
            P["pos"] = f"FLAT {f}/{d}"
        elif r["style"] in ("edi", "pf"):
            P["pos"] = (
                f"{int(r['top']) + 1}F{int(rng.integers(1, 3))}"
                if rng.random() < 0.6
                else f"{_edi_floor(int(r['floor']))}F{int(r['doors']) + 1}"
            )
        else:
            P["pos"] = f"FLAT {len(idx.children[int(r['parent_uprn'])]) + int(rng.integers(1, 4))}"
        return "none", "none", None
    if cls == "bedsit_room_past_last":
        P["pos"] = f"ROOM {len(idx.children.get(u, [])) + int(rng.integers(1, 4))}"
        return "none", "none", None
    if cls == "new_build_infill":
        pn = str(r["pnum"])
        if not pn.isdigit():
            return None
        P["pos"] = None
        P["pnum"] = pn + str(rng.choice(["A", "B"]))
        if any(str(x.get("pnum")) == P["pnum"] for x in idx.rows.values() if x["street"] == r["street"]):
            return None
        P["pname"] = None
        return "none", "none", None
    if cls == "new_street":
        name, loc = NEW_STREETS[int(rng.integers(0, len(NEW_STREETS)))]
        town, district, sectors, _ = LOCALITIES[loc]
        P.update(
            street=name,
            locality=loc if rng.random() < 0.4 else None,
            town=town,
            pname=None,
            pnum=str(int(rng.integers(1, 40))),
            postcode=f"{district} {rng.choice(sectors)}{rng.choice(list(INWARD))}{rng.choice(list(INWARD))}"
            if rng.random() < 0.7
            else None,
        )
        P["pos"] = str(rng.choice([None, "FLAT 3", "FLAT 2/1", "1F2", "PLOT 14", "APARTMENT 5"]))
        if P["pos"] == "None":
            P["pos"] = None
        return "none", "none", None
    if cls == "lockup_garage":
        P["pos"] = None
        P["pname"] = None
        P["pre"] = (
            str(rng.choice(["LOCK-UP", "GARAGE", "LOCK UP GARAGE", "GARAGE SITE"]))
            + f" {int(rng.integers(1, 20))}"
            + str(rng.choice(["", " REAR OF", " ADJ TO"]))
        )
        P["pre_sep"] = " "
        return "none", "none", None
    if cls == "back_court":
        P["pos"] = None
        P["pre"] = str(rng.choice(["BACK COURT OF", "BACK COURT", "REAR OF", "BIN STORE", "DRYING GREEN"]))
        P["pre_sep"] = " "
        P["postcode"] = None
        return "none", "none", None
    if cls == "outside_property":
        P["pos"], P["pname"] = None, None
        P["pre"] = str(rng.choice(["O/S", "OUTSIDE", "NR", "OPP"]))
        P["pre_sep"] = " "
        P["postcode"] = None
        return "none", "street", None
    if cls == "junction":
        others = [s for s in idx.streets if s != r["street"] and idx.streets[s]["area"] == r["area"]]
        if not others:
            return None
        P.update(pos=None, pname=None, pnum=None, pre=None, postcode=None)
        P["street"] = (
            f"{r['street']} / {rng.choice(others)}"
            if rng.random() < 0.5
            else f"JUNCTION OF {r['street']} AND {rng.choice(others)}"
        )
        return "none", "street", None
    if cls == "advertising_site":
        P["pos"] = None
        P["pre"] = str(rng.choice(["ADVERTISING STATION", "ADVERTISING RIGHT", "ADVERT SITE ON GABLE", "SIGN"]))
        return "none", "none", None
    if cls == "telecom_mast":
        P["pos"] = None
        P["pre"] = str(rng.choice(["TELECOMMUNICATIONS MAST ON ROOF", "TELECOMS SITE", "ROOFTOP MAST"]))
        return "none", "none", None
    raise ValueError(cls)


def make_records(gaz: pd.DataFrame, n: int = 5000, seed: int = 32) -> pd.DataFrame:
    """Records from the Scottish sources of SOURCES describing the gazetteer's properties (see the docstring)."""
    rng = np.random.default_rng(seed)
    idx = _Index(gaz)
    names = list(SOURCES)
    shares = np.array([SOURCES[s][0] for s in names])
    shares = shares / shares.sum()
    out = []
    i = 0
    while len(out) < n:
        i += 1
        source = names[int(rng.choice(len(names), p=shares))]
        _share, rate, weights = SOURCES[source]
        cls = "clean"
        if rng.random() < rate:
            ks = list(weights)
            w = np.array([weights[k] for k in ks], dtype=float)
            cls = ks[int(rng.choice(len(ks), p=w / w.sum()))]
        pool_name = POOL.get(cls, SOURCE_POOL.get(source, "dwelling"))
        if cls in (
            "street_typo",
            "street_abbrev",
            "words_run_together",
            "postcode_missing",
            "postcode_wrong_sector",
            "postcode_wrong_unit",
            "postcode_in_text",
            "postcode_lowercase",
            "locality_for_town",
            "locality_wrong",
            "county_added",
            "clean",
        ):
            pool_name = SOURCE_POOL.get(source, "dwelling" if rng.random() < 0.75 else "anyflat")
            if source == "police_scotland":
                pool_name = "dwelling"
        pool = idx.pools[pool_name]
        if len(pool) == 0:
            continue
        r = idx.rows[int(rng.choice(pool))]
        if cls in ("postcode_wrong_sector", "postcode_wrong_unit", "postcode_lowercase") and not r["postcode"]:
            continue
        P = _base_parts(r, rng, source, idx)
        res = _apply(rng, cls, r, P, idx)
        if res is None:
            continue
        truth, level, forced = res
        if forced is not None:  # another gazetteer address written letter for letter
            text = forced
            if source in ("epc_scotland", "landlord_reg"):
                text = _title(text)
            if source in ("ha_stock", "nhs_chi") and rng.random() < 0.5:
                text = text.replace(", ", " ")
            pc = r["postcode"]
        else:
            text, pc = _render(rng, P, source)
        truth = None if truth == "none" else truth
        matches = idx.by_norm.get(_norm(text), set())
        unrec = bool(matches) and (truth is None or truth not in matches)
        if forced is not None and not unrec:
            continue
        out.append(
            {
                "record_id": f"T{seed}-{len(out) + 1:05d}",
                "agency": source,
                "address": text,
                "postcode": pc if pc is not None else None,
                "error_class": cls,
                "true_uprn": truth,
                "true_level": level if truth is not None or level == "street" else "none",
                "unrecoverable": unrec,
            }
        )
        if i > n * 20:
            raise RuntimeError("record generation stalled")
    records = pd.DataFrame(out)
    records["true_uprn"] = pd.array([None if pd.isna(v) else int(v) for v in records["true_uprn"]], dtype="Int64")
    records["postcode"] = records["postcode"].astype(object).where(records["postcode"].notna(), None)
    records["unrecoverable"] = records["unrecoverable"].astype(bool)
    return records


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    g = make_gazetteer()
    recs = make_records(g)
    t1 = time.perf_counter()
    prim = g[~g["alias"].astype(bool)]
    addr = dict(zip(prim["uprn"], prim["address"]))
    pd.set_option("display.width", 200)
    print(f"gazetteer {len(g)} rows ({g['uprn'].nunique()} UPRNs), {len(recs)} records in {t1 - t0:.1f} s")
    for r in recs.sample(40, random_state=1).itertuples():
        truth = addr.get(int(r.true_uprn)) if pd.notna(r.true_uprn) else f"(not in the gazetteer: {r.true_level})"
        flag = " UNRECOVERABLE" if r.unrecoverable else ""
        print(f"[{r.agency} / {r.error_class}{flag}] {r.address!r} pc={r.postcode!r}\n      truth: {truth}")
    print("\nclass shares:")
    print((recs["error_class"].value_counts(normalize=True) * 100).round(1).to_string())
    print(f"\nno true UPRN: {recs['true_uprn'].isna().mean():.1%}; unrecoverable: {recs['unrecoverable'].mean():.1%}")
