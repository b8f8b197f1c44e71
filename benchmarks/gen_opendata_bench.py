"""Open-data address bench: a synthetic council gazetteer (LLPG / AddressBase style, one text address a
row, with its BS 7666 parts as extra columns) and records written the way PUBLIC UK open datasets write
addresses, each with its known truth. Written from public descriptions of those datasets only (no
data copied, nothing read from the matcher or its other benches but the interface of
gen_agency_bench), so that it can find the matcher's blind spots. Same interface as
gen_agency_bench: make_gazetteer, gazetteer_layer, make_records, quality; "agency" is the source
dataset.

Sources relied on (public descriptions only):
- HM Land Registry Price Paid Data, column explanations (gov.uk "price paid data downloads", mirrored
  e.g. by github.com/dmaso01/ppd, zomalex.co.uk/datasets/price_paid_dataset.html): PAON "typically the
  house number or name", SAON the flat "where a property has been divided into separate units", then
  STREET, LOCALITY, TOWN/CITY (the post town), DISTRICT (local authority), COUNTY, upper case; the
  postcode is "used at the time of the original transaction" and not updated.
- DLUHC Energy Performance of Buildings register (news.opendatacommunities.org "EPCs now include the
  UPRN"; owenboswarva.com blog on UPRN allocation; deepwiki summary of the certificate schema):
  ADDRESS1 / ADDRESS2 / ADDRESS3 + POSTCODE + POSTTOWN typed by assessors; UPRNs matched afterwards
  (only ~92 % allocated), new builds least often found in AddressBase; accreditation-scheme convention
  2.08 (sterlingaccreditationltd): building parts as "floor, room or suite" free text.
- UCL Open Environment 2020, "A new attribute-linked residential property price dataset" (Chi et al.):
  PPD and EPC addresses needed a four-stage rule linkage (flat and building name formats differ).
- Food Standards Agency FHRS open data / API (ratings.food.gov.uk; API descriptions on apify.com):
  BusinessName then AddressLine1-4 and PostCode, the four lines often begin with the business or
  operator name ("Cafe" / "Whistlestop Valley Ltd, Park Mill Way, ..."), mobile traders and private
  residences at the operator's home.
- VOA non-domestic rating list conventions (as in gen_agency_bench: GRD FLR, 1ST FLR, PT GRD FLR,
  postcode inside the address, advertising rights, land).
- Companies House registered offices: "c/o" accountants, suites and offices in business centres
  (general public knowledge of the register; free text lines 1-2, locality, post town, region).
- NHS Personal Demographics (five address lines of at most 35 characters, county in line 5) and
  police incident locations ("O/S", "JNC", "REAR OF"): public descriptions of the formats.
- GDS data blog "Tackling address matching together" (2016): each dataset captures addresses its own
  way; towns written several ways and attributed to different counties. ONS working paper 17 (Address
  Index): typos, missing or wrong postcodes, sub-building formats as the main causes of failure.
- Welsh street naming (darrenwaters.github.io "Are Wales' streets failing the Welsh language?"; Senedd
  record of 8 Nov 2016 on mistranslated street names): generic first (HEOL, FFORDD, STRYD, LON),
  about half of streets English only, some bilingual with an English alias; AddressBase holds a
  Welsh and an English LPI for such streets (here: alias rows with the SAME UPRN, ``lang`` "ENG").

Gazetteer design (make_gazetteer): three areas unlike gen_agency_bench's towns.
- ABERGWYN (CY postcodes): a Welsh market town; street types before the name (HEOL Y FELIN, STRYD
  FAWR, FFORDD ..., LON ...), Welsh house names, up to 8 bilingual streets with English alias rows,
  a market hall (stalls are not addressed), farms with farm buildings (CA01), a locality PENRHOS.
- LONDON (EW postcodes, localities WESTBRIDGE / HAMWELL GREEN / NORTHMOOR): Victorian terraces with many
  conversions (FLAT A/B/C, BASEMENT FLAT, GROUND / FIRST / SECOND FLOOR FLAT, FLAT 1-4), suffixes
  (12A, 12B as own dwellings), ranges as one PAON ("12-14"), tower blocks of 50-100 flats (own unit),
  mansion blocks, a high road with shops and flats over them, a shopping centre (UNIT n children of a
  PP shell), a business centre (SUITE n, CO01), a hospital campus with named buildings (CM03).
- KINGSMERE (KM postcodes, village ORTON PARVA): suburbs, new-build estates, an enterprise park (UNIT n,
  CI/CO children), a retail park, a university campus with named buildings (CE01), schools, care homes,
  pubs, farms. Every street has a PS record; parents are PP shells with RD06 / CR / CO / CI children.
Postcode units: runs of ~8-25 delivery points along one side of a street, a tower block or centre a
unit of its own, sectors of ~250-450 delivery points.

Records (make_records): sources and shares (a judgement): epc 28 %, price_paid 20 %, food_hygiene 15 %,
voa_rating 14 %, companies_house 10 %, nhs_patient 8 %, police 5 %. Styles: epc ADDRESS1-3 typed by the
assessor (title or upper case, "Flat 3 Kestrel House" on one line, locality for town, town often
dropped; ~8 % repeat certificates of an earlier property written anew); price_paid SAON, PAON, STREET,
LOCALITY, TOWN, DISTRICT, COUNTY in upper case (the number its own comma field: "12, HIGH STREET";
"KESTREL HOUSE, 4" as one PAON); food_hygiene the business name first, the premises name repeated,
mobile traders at the operator's home; voa_rating upper case, GRD FLR / 1ST FLR, postcode in the text
and the column; companies_house registered offices (suites, c/o accountants, county or country
appended); nhs_patient five upper-case lines cut at 35 characters, county last; police locations
(O/S, NR, JNC a / b, named premises) mostly without a postcode. Records with a main fault: epc 55 %,
price_paid 40 %, food_hygiene 60 %, voa_rating 45 %, companies_house 55 %, nhs_patient 50 %, police 30 %;
the class is drawn first with the source's weights (SOURCES), then a property it fits; ~15 % of those
get a second fault, named in the extra column ``second_fault`` (error_class stays the main one, so the
runner's table stays readable). Classes: typo, dropped_word, joined_words, abbreviation, hyphenated
(Heol-y-Felin), welsh_alias (the English name of a bilingual street), postcode_missing / _in_text /
_wrong_unit (another unit of the same street) / _wrong_sector / _no_space / _lowercase, town_missing,
locality_only, county_added, flat_format (APARTMENT 3, FLT 3, NO 3, 3 KESTREL HOUSE, 3/12, 12/3, 12A
for FLAT A of 12, GFF, FLAT 1ST FLOOR, LOWER GROUND FLAT ...), unit_format (U4, UNITS 4, OFFICE 3,
SUITE 3 2ND FLOOR, PT GRD FLR, ENTERPRISE PARK for KINGSMERE ENTERPRISE PARK, DARWIN BLDG),
subunit_missing (truth the parent, level "parent"), building_name_repeated, saon_paon_swapped,
range_partial (12, 14, 12/14 or 12 - 14 for 12-14), suffix_format (12 A, 12a), number_words,
number_wrong_exists (another real address: unrecoverable), number_wrong_absent (no such number and
nothing else to tell: unrecoverable), number_wrong_named (no such number but the house name tells:
recoverable), business_name_only (a named premises the gazetteer holds: recoverable; a shop's trading
name the gazetteer lacks: unrecoverable), care_of, line_truncated; police records: outside_property,
junction. About 10 % describe something the gazetteer lacks (infill
31A, plot on a new build, new street, flat in a house that is not converted, flat past the block's
last, land, garages, market stalls, advertising right): true_uprn NA, true_level "none". Police
locations outside a property or at a junction have true_uprn NA and true_level "street" (the incident
is on the highway, a link to the property is counted as wrong). A record whose flat is missing has
the building (the parent) as its truth, true_level "parent" (as gen_agency_bench). ``unrecoverable``
is True when the written number / flat / name / street is letter for letter another gazetteer
address in the written (or any, when none is written) town, or a number is wrong and nothing else
identifies the property.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

try:  # same layer and scoring as the agency bench
    from gen_agency_bench import gazetteer_layer, quality  # noqa: F401
except ImportError:  # imported as benchmarks.gen_opendata_bench
    from benchmarks.gen_agency_bench import gazetteer_layer, quality  # noqa: F401

INWARD = "ABDEFGHJLNPQRSTUWXYZ"
UNIT_CODES = [a + b for a in INWARD for b in INWARD]
NON_DELIVERY = {"PP", "PS", "CA01", "LD01", "CT01", "CR04"}
RESIDENTIAL = {"RD02", "RD03", "RD04", "RD06"}

# ---------------------------------------------------------------------------------------------------------------
# names

WELSH_STREETS = [("STRYD FAWR", "HIGH STREET"), ("STRYD Y FARCHNAD", "MARKET STREET"),  # the two high streets
                 ("HEOL Y FELIN", "MILL ROAD"), ("FFORDD Y CASTELL", "CASTLE ROAD"),
                 ("HEOL YR EGLWYS", "CHURCH ROAD"), ("LON Y PARC", "PARK LANE"),
                 ("HEOL YR ORSAF", "STATION ROAD"), ("HEOL Y BONT", "BRIDGE STREET"),
                 ("HEOL ISAF", None), ("FFORDD PENLAN", None), ("LON GLAN AFON", None), ("HEOL Y BRYN", None),
                 ("FFORDD TYWI", None), ("LON CAE DERW", None), ("STRYD Y DWR", None), ("HEOL GLYNDWR", None),
                 ("FFORDD CAERAU", None), ("LON YR YSGOL", None), ("HEOL TREFECHAN", None), ("CILGANT Y DDERWEN", None),
                 ("HEOL PENRHIW", None), ("LON Y WENNOL", None), ("FFORDD Y GOEDWIG", None), ("HEOL DEWI", None),
                 ("LON CRIAFOL", None), ("HEOL Y GARTH", None), ("FFORDD BRYNMOR", None), ("LON Y GOG", None),
                 ("MAES Y DERI", None), ("HEOL ELFED", None), ("LON MEILLION", None), ("FFORDD MYRDDIN", None),
                 ("HEOL Y DDOL", None), ("FFORDD LLANBADARN", None), ("LON Y GAMFA", None), ("STRYD Y CAPEL", None),
                 ("HEOL CAE GLAS", None), ("FFORDD ISAF", None), ("LON BRYN COCH", None), ("HEOL Y WAUN", None),
                 ("HEOL TALBOT", None), ("FFORDD Y MOR", None), ("LON HENDRE", None), ("HEOL Y DRE", None),
                 ("CILGANT Y FRO", None), ("HEOL SANT IOAN", None), ("LON YR EFAIL", None), ("FFORDD DERWEN", None)]
WELSH_ENGLISH = ["PRINCE EDWARD STREET", "VICTORIA TERRACE", "QUEENS ROAD", "ALBERT PLACE", "TUDOR GARDENS"]
WELSH_HOUSES = ["TY GWYN", "BRYN AWEL", "HAFOD", "GLANRAFON", "TY NEWYDD", "PEN Y BRYN", "MAES GWYN", "TY CERRIG",
                "BRONDERW", "BRYNTEG", "COED Y GARTH", "TAWELFAN", "LLYS DERW", "TY ISAF", "GWELFOR", "DOLAU",
                "NANT Y FFIN", "BRYN HYFRYD", "PENLAN", "CARTREF"]
WELSH_FARMS = ["FFERM Y FELIN", "TYDDYN BACH", "CWM ISAF", "PANTYCELYN", "LLWYN ONN", "HENDRE", "BRYNGOLAU"]
LONDON_STREETS = ["ELGIN", "ARDWICK", "BALLATER", "CAVERSHAM", "DUNOLLIE", "FORTESS", "GRAFTON", "HADLEY", "IFFLEY",
                  "KELVEDON", "LADBROKE", "MANSTONE", "NEVERN", "OAKFORD", "PERCIVAL", "QUEX", "REDCLIFFE",
                  "SHIRLAND", "TABLEY", "UFFINGTON", "VERNON", "WARLTERSVILLE", "YERBURY", "ZETLAND", "ASHBROOK",
                  "BURGHLEY", "CRANLEY", "DAFFORNE", "ELDERFIELD", "FONTHILL", "GAUDEN", "HARBERTON", "INGLEBERT",
                  "JEDDO", "KIRKWALL", "LEIGHTON", "MARQUIS", "NORCOTT", "ORBAIN", "PETHERTON"]
LONDON_TYPES = [("ROAD", 5), ("STREET", 2), ("GROVE", 1), ("VILLAS", 1), ("TERRACE", 1), ("AVENUE", 1),
                ("GARDENS", 1)]
TOWERS = ["LOVELACE TOWER", "FARADAY HOUSE", "BAZALGETTE TOWER", "SEACOLE POINT", "HOLNESS TOWER", "ATTLEE HOUSE",
          "BEVIN COURT", "PANKHURST TOWER"]
MANSIONS = ["ELGIN MANSIONS", "CAVERSHAM MANSIONS", "PRINCES COURT", "ST MILDREDS COURT", "HADLEY MANSIONS"]
KM_NAMES = ["BRAMLEY", "COTSWOLD", "DAMSON", "EGREMONT", "FIESTA", "GALA", "HOWGATE", "IDARED", "JAZZ", "KIDDS",
            "LAXTON", "MALLING", "NEWTON", "ORLEANS", "PEASGOOD", "QUINCE", "RIBSTON", "SUNSET", "TYDEMAN",
            "WORCESTER", "ALLINGTON", "BEAUTY", "CATSHEAD", "DISCOVERY", "ELLISONS", "FORGE", "GASCOYNES",
            "HOLSTEIN", "KATY", "LORD DERBY", "MARGIL", "NONPAREIL", "OPALESCENT", "PIXIE", "REVEREND", "SPARTAN"]
KM_TYPES = [("ROAD", 3), ("AVENUE", 2), ("DRIVE", 2), ("CLOSE", 2), ("WAY", 2), ("CRESCENT", 1), ("GARDENS", 1),
            ("LANE", 1)]
KM_HOUSES = ["THE OLD VICARAGE", "ORCHARD HOUSE", "KEEPERS COTTAGE", "THE BARN", "LITTLE THATCH", "WOODVIEW",
             "THE CEDARS", "BEECHCROFT", "HIGHFIELD HOUSE", "PIPPINS", "APPLEGARTH", "THE WHITE COTTAGE"]
KM_FARMS = ["MANOR FARM", "PARK FARM", "LOWER ORTON FARM", "HOME FARM", "WOLDS FARM", "MOAT FARM"]
FARM_PARTS = [("FARMHOUSE", "RD02"), ("THE DUTCH BARN", "CA01"), ("FARM COTTAGE", "RD03"), ("GRAIN STORE", "CA01")]
CAMPUS_BUILDINGS = ["MAXWELL BUILDING", "DARWIN BUILDING", "FRANKLIN LABORATORIES", "HODGKIN BUILDING",
                    "STUDENTS UNION", "GREAT HALL", "TURING CENTRE", "LIBRARY", "SPORTS CENTRE", "NIGHTINGALE WING",
                    "OUTPATIENTS DEPARTMENT", "MATERNITY UNIT", "EDGAR WING", "ESTATES BUILDING"]
PUBS = ["THE GREYHOUND", "THE BELL", "THE COACH AND HORSES", "THE NAGS HEAD", "THE DRUIDS ARMS", "THE FLEECE",
        "THE PRINCE OF WALES", "THE ANCHOR", "THE FIVE BELLS", "THE SWAN"]
SCHOOLS = ["YSGOL GYMRAEG ABERGWYN", "ST TERESAS RC PRIMARY SCHOOL", "NORTHMOOR ACADEMY", "KINGSMERE HIGH SCHOOL",
           "ORTON PARVA C OF E PRIMARY SCHOOL", "WESTBRIDGE INFANT SCHOOL"]
CARE_HOMES = ["ASHFIELD CARE HOME", "GLAN Y MOR NURSING HOME", "THE ELMS RESIDENTIAL HOME", "BRAMBLEWOOD LODGE"]
HOTELS = ["THE CASTLE HOTEL", "STATION HOTEL", "THE GEORGE HOTEL"]
TRADES = ["Spice Garden", "Golden Dragon", "Mario's Pizzeria", "Kebab King", "Bean There Cafe", "The Fish Bar",
          "Sweet Treats Bakery", "Express Convenience", "Londis", "Happy Garden", "Bella Napoli", "Chicken Cottage",
          "Perfect Fried Chicken", "Costa Coffee", "Greggs", "Subway", "Nisa Local", "Tesco Express",
          "The Cake Box", "Coffee Lab", "Noodle Bar", "Cafe Nero", "Bargain Booze", "Pound Stretcher"]
OFFICE_FIRMS = ["Hallam & Reeve Accountants", "Morgan Pryce LLP", "Castle Bookkeeping Ltd", "Ledger Partners",
                "Prydderch Evans Accountants", "North London Tax Services"]
MOBILE = ["Mr Whippy Ices", "Rolling Burger Van", "Dai's Coffee Cart", "Crepe Escape", "Taste of Jamaica Catering"]
NEW_STREETS = ["MAES Y BARCUD", "CAE NEWYDD", "WAGTAIL WAY", "POPPY FIELD DRIVE", "GASHOLDER PLACE", "CANALSIDE WALK"]
NUMBER_WORDS = ["", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN", "ELEVEN", "TWELVE",
                "THIRTEEN", "FOURTEEN", "FIFTEEN", "SIXTEEN", "SEVENTEEN", "EIGHTEEN", "NINETEEN", "TWENTY"]
ORDINAL_WORDS = {0: "GROUND", 1: "FIRST", 2: "SECOND", 3: "THIRD"}
ORDINAL_SHORT = {0: "GRD", 1: "1ST", 2: "2ND", 3: "3RD"}
ABBREV = {"ROAD": "RD", "STREET": "ST", "AVENUE": "AVE", "LANE": "LN", "DRIVE": "DR", "CLOSE": "CL",
          "CRESCENT": "CRES", "GARDENS": "GDNS", "TERRACE": "TERR", "GROVE": "GRV", "PLACE": "PL", "COURT": "CT",
          "HOUSE": "HSE", "MANSIONS": "MANS", "INDUSTRIAL": "IND", "ESTATE": "EST", "BUSINESS": "BUS",
          "CENTRE": "CTR", "ENTERPRISE": "ENT", "PARK": "PK", "FLAT": "FLT", "APARTMENT": "APT", "TOWER": "TWR",
          "UNIVERSITY": "UNIV", "HOSPITAL": "HOSP", "SAINT": "ST", "NORTH": "N", "SOUTH": "S", "WEST": "W",
          "FFORDD": "FF", "HEOL": "HL"}
KEYBOARD = ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"]

AREAS = [
    {"town": "ABERGWYN", "share": 0.27, "districts": ["CY4", "CY5"], "district_la": "GWYNFRYN",
     "county": "GWYNFRYN", "counties": ["DYFED", "POWYS", "CEREDIGION"], "localities": ["PENRHOS", "TREFECHAN"],
     "kinds": {"welsh_terrace": 8, "welsh_estate": 6, "welsh_high": 2, "welsh_rural": 4, "english_terrace": 3},
     "origin": (252_000.0, 260_000.0)},
    {"town": "LONDON", "share": 0.38, "districts": ["EW7", "EW12"], "district_la": "HAMWELL",
     "county": "GREATER LONDON", "counties": ["MIDDLESEX", "LONDON"],
     "localities": ["WESTBRIDGE", "HAMWELL GREEN", "NORTHMOOR"],
     "kinds": {"conversion": 14, "tower": 3, "mansions": 2, "high_road": 2, "london_special": 1},
     "origin": (528_000.0, 184_000.0)},
    {"town": "KINGSMERE", "share": 0.35, "districts": ["KM2", "KM3", "KM9"], "district_la": "SOUTH MERCIA",
     "county": "WESTSHIRE", "counties": ["WEST SHIRE", "WESTS", "MERCIA"], "localities": ["ORTON PARVA"],
     "kinds": {"suburban": 9, "new_estate": 6, "km_high": 2, "km_special": 1, "km_rural": 3},
     "origin": (431_000.0, 289_000.0)},
]


# ---------------------------------------------------------------------------------------------------------------
# gazetteer


def _b(pnum=None, pname=None, cls="RD04", units=None, org=None, pcls=None):
    """A building: PAON number / name, class, child units [(saon, cls)], an organisation name that the
    gazetteer does not hold (shops, offices), the class of the PP shell when it has children."""
    return {"pnum": pnum, "pname": pname, "cls": pcls or ("PP" if units else cls), "units": units or [],
            "org": org}


def _numbers(rng, n, start=1, gaps=0.04):
    """House numbers 1..n on one side (odd) and the other (even), a few skipped (no 13 sometimes)."""
    out = []
    for k in range(start, start + n):
        if k == 13 and rng.random() < 0.5:
            continue
        if rng.random() < gaps:
            continue
        out.append(k)
    return out


def _welsh_terrace(rng, st, ctx):
    bs = []
    for k in _numbers(rng, int(rng.integers(20, 70))):
        if rng.random() < 0.12:
            bs.append(_b(str(k), ctx["pick"](WELSH_HOUSES), "RD04"))
        elif rng.random() < 0.08:
            bs.append(_b(str(k), None, units=[("FLAT 1", "RD06"), ("FLAT 2", "RD06")]))
        else:
            bs.append(_b(str(k), None, "RD04"))
        if rng.random() < 0.03:
            bs.append(_b(f"{k}A", None, "RD04"))
    return bs


def _welsh_estate(rng, st, ctx):
    bs = [_b(str(k), None, "RD03" if rng.random() < 0.6 else "RD02") for k in _numbers(rng, int(rng.integers(12, 45)))]
    if rng.random() < 0.3:
        flats = [(f"FLAT {i}", "RD06") for i in range(1, int(rng.integers(6, 13)))]
        bs.append(_b(None, "LLYS " + ctx["pick"](["MENAI", "TEIFI", "CONWY", "DYFI", "LLIFON"]), units=flats))
    return bs


def _welsh_high(rng, st, ctx):
    bs = []
    for k in _numbers(rng, int(rng.integers(30, 56)), gaps=0.0):
        r = rng.random()
        if r < 0.08 and ctx["pubs"]:
            bs.append(_b(str(k), ctx["pubs"].pop(), "CR06"))
        elif r < 0.12 and ctx["hotels"]:
            bs.append(_b(str(k), ctx["hotels"].pop(), "CH03"))
        elif r < 0.55:
            units = [(f"{ORDINAL_WORDS[1]} FLOOR FLAT", "RD06")] + (
                [(f"{ORDINAL_WORDS[2]} FLOOR FLAT", "RD06")] if rng.random() < 0.4 else [])
            bs.append(_b(str(k), None, units=[("GROUND FLOOR", "CR08")] + units, org=ctx["pick"](TRADES)))
        else:
            bs.append(_b(str(k), None, ctx["pick"](["CR08", "CR07", "CR10", "CO01", "CR01"]), org=ctx["pick"](TRADES)))
    if not ctx.get("market"):
        ctx["market"] = True
        bs.append(_b(None, "NEUADD Y FARCHNAD", "CR04"))
    return bs


def _names(rng, pool, k):
    """k different names from pool (fewer when the pool is short): no two houses of a street alike."""
    return [str(x) for x in rng.choice(pool, size=min(k, len(pool)), replace=False)]


def _farms(rng, ctx, pool):
    bs = []
    for farm in _names(rng, pool, int(rng.integers(1, 3))):
        bs.append(_b(None, farm, units=[(p, c) for p, c in FARM_PARTS if c != "CA01" or rng.random() < 0.7]))
    return bs


def _welsh_rural(rng, st, ctx):
    bs = [_b(None, name, "RD02") for name in _names(rng, WELSH_HOUSES, int(rng.integers(6, 16)))]
    bs += [_b(str(k), None, "RD03") for k in _numbers(rng, int(rng.integers(4, 14)))]
    return bs + _farms(rng, ctx, WELSH_FARMS)


def _conversion(rng, st, ctx):
    """Victorian terrace of a London borough: many houses converted into flats."""
    bs = []
    nums = _numbers(rng, int(rng.integers(30, 110)), gaps=0.02)
    skip = set()
    for k in nums:
        if k in skip:
            continue
        if rng.random() < 0.04 and k + 2 in nums:  # 12-14: two houses made one building of flats
            flats = [(f"FLAT {j}", "RD06") for j in range(1, int(rng.integers(4, 9)))]
            bs.append(_b(f"{k}-{k + 2}", None, units=flats))
            skip.add(k + 2)
            continue
        r = rng.random()
        if r < 0.22:
            n = int(rng.integers(2, 4))
            units = [(f"FLAT {'ABCD'[j]}", "RD06") for j in range(n)]
        elif r < 0.40:
            floors = ["BASEMENT FLAT", "GROUND FLOOR FLAT", "FIRST FLOOR FLAT", "SECOND FLOOR FLAT"]
            start = 0 if rng.random() < 0.4 else 1
            units = [(f, "RD06") for f in floors[start:start + int(rng.integers(2, 4))]]
        elif r < 0.50:
            units = [(f"FLAT {j}", "RD06") for j in range(1, int(rng.integers(3, 6)))]
        else:
            units = None
        bs.append(_b(str(k), None, "RD04", units=units))
        if rng.random() < 0.05:
            bs.append(_b(f"{k}A", None, "RD04"))
            if rng.random() < 0.4:
                bs.append(_b(f"{k}B", None, "RD04"))
    return bs


def _tower(rng, st, ctx):
    bs = _conversion(rng, st, ctx)[: int(rng.integers(6, 20))]
    name = ctx["towers"].pop() if ctx["towers"] else f"{st['name'].split()[0]} HOUSE"
    n = int(rng.integers(50, 101))
    bs.append(_b(None, name, units=[(f"FLAT {j}", "RD06") for j in range(1, n + 1)]))
    bs[-1]["own_unit"] = True
    return bs


def _mansions(rng, st, ctx):
    bs = _conversion(rng, st, ctx)[: int(rng.integers(10, 30))]
    name = ctx["mansions"].pop() if ctx["mansions"] else None
    if name:
        n = int(rng.integers(12, 31))
        bs.append(_b(str(max(int(re.sub(r"\D.*", "", b["pnum"]) or 0) for b in bs if b["pnum"]) + 2), name,
                     units=[(f"FLAT {j}", "RD06") for j in range(1, n + 1)]))
    return bs


def _high_road(rng, st, ctx):
    bs = []
    for k in _numbers(rng, int(rng.integers(60, 140)), gaps=0.0):
        r = rng.random()
        if r < 0.05 and ctx["pubs"]:
            bs.append(_b(str(k), ctx["pubs"].pop(), "CR06"))
        elif r < 0.60:
            units = [("GROUND FLOOR", "CR08"), ("FIRST FLOOR FLAT", "RD06")]
            if rng.random() < 0.35:
                units.append(("SECOND FLOOR FLAT", "RD06"))
            bs.append(_b(str(k), None, units=units, org=ctx["pick"](TRADES)))
        elif r < 0.66:
            bs.append(_b(str(k), None, units=[("FLAT ABOVE", "RD06"), ("SHOP", "CR08")], org=ctx["pick"](TRADES)))
        else:
            bs.append(_b(str(k), None, ctx["pick"](["CR08", "CR07", "CR10", "CR01", "CO01", "CM02"]),
                         org=ctx["pick"](TRADES)))
    return bs


def _centre(name, n, cls, word, pnum=None):
    b = _b(pnum, name, units=[(f"{word} {j}", cls) for j in range(1, n + 1)])
    b["own_unit"] = True
    return b


def _campus(rng, name, cls, picks):
    b = _b(None, name, units=[(p, cls) for p in picks])
    b["own_unit"] = True
    return b


def _london_special(rng, st, ctx):
    bs = _conversion(rng, st, ctx)[: int(rng.integers(8, 16))]
    bs.append(_centre("THE BROADWAY SHOPPING CENTRE", int(rng.integers(25, 45)), "CR08", "UNIT"))
    bs.append(_centre("HAMWELL BUSINESS CENTRE", int(rng.integers(15, 35)), "CO01", "SUITE",
                      pnum=str(int(rng.integers(40, 80)))))
    picks = list(rng.choice(CAMPUS_BUILDINGS[8:], size=5, replace=False))
    bs.append(_campus(rng, "ST ALBANS HOSPITAL", "CM03", picks))
    bs.append(_b(None, "WESTBRIDGE INFANT SCHOOL", "CE03"))
    bs.append(_b(None, "NORTHMOOR ACADEMY", "CE04"))
    return bs


def _suburban(rng, st, ctx):
    bs = []
    for k in _numbers(rng, int(rng.integers(20, 90))):
        bs.append(_b(str(k), ctx["pick"](KM_HOUSES) if rng.random() < 0.06 else None,
                     "RD03" if rng.random() < 0.6 else "RD02"))
    if rng.random() < 0.15:
        bs.append(_b(None, ctx["pick"](CARE_HOMES), "RI01"))
    if rng.random() < 0.15 and ctx["pubs"]:
        bs.append(_b(str(max(_num(b["pnum"]) or 0 for b in bs) + 1), ctx["pubs"].pop(), "CR06"))
    return bs


def _new_estate(rng, st, ctx):
    bs = [_b(str(k), None, str(rng.choice(["RD02", "RD03", "RD04"])))
          for k in _numbers(rng, int(rng.integers(20, 60)), 1, 0)]
    if rng.random() < 0.5:
        name = ctx["pick"](["MALLARD", "OSPREY", "SWIFT", "HERON"]) + " COURT"
        flats = [(f"APARTMENT {j}", "RD06") for j in range(1, int(rng.integers(8, 25)))]
        bs.append(_b(str(len(bs) + 1), name, units=flats))
    return bs


def _km_high(rng, st, ctx):
    bs = []
    for k in _numbers(rng, int(rng.integers(30, 60)), gaps=0.0):
        r = rng.random()
        if r < 0.06 and ctx["pubs"]:
            bs.append(_b(str(k), ctx["pubs"].pop(), "CR06"))
        elif r < 0.09 and ctx["hotels"]:
            bs.append(_b(str(k), ctx["hotels"].pop(), "CH03"))
        elif r < 0.3:
            bs.append(_b(str(k), None, units=[("GROUND FLOOR", "CR08"), ("FIRST FLOOR", "CO01")],
                         org=ctx["pick"](TRADES)))
        elif r < 0.38:
            bs.append(_b(str(k), f"{ctx['pick'](['CHARTER', 'MERCIA', 'EXCHANGE', 'CORN'])} HOUSE",
                         units=[(f"SUITE {j}", "CO01") for j in range(1, int(rng.integers(3, 9)))],
                         org=ctx["pick"](OFFICE_FIRMS)))
        else:
            bs.append(_b(str(k), None, ctx["pick"](["CR08", "CR07", "CR10", "CO01", "CR01"]), org=ctx["pick"](TRADES)))
    return bs


def _km_special(rng, st, ctx):
    bs = [_centre("KINGSMERE ENTERPRISE PARK", int(rng.integers(20, 40)), "CI03", "UNIT")]
    bs.append(_centre("ORCHARD RETAIL PARK", int(rng.integers(6, 14)), "CR08", "UNIT"))
    picks = list(rng.choice(CAMPUS_BUILDINGS[:8], size=6, replace=False))
    bs.append(_campus(rng, "UNIVERSITY OF KINGSMERE", "CE01", picks))
    bs.append(_b(None, "KINGSMERE HIGH SCHOOL", "CE04"))
    bs.append(_b(None, "ORTON PARVA C OF E PRIMARY SCHOOL", "CE03"))
    for u in bs[0]["units"][: len(bs[0]["units"]) // 3]:
        u_idx = bs[0]["units"].index(u)
        bs[0]["units"][u_idx] = (u[0], "CO01" if u_idx % 2 else "CI04")
    return bs


def _km_rural(rng, st, ctx):
    bs = [_b(None, name, "RD02") for name in _names(rng, KM_HOUSES, int(rng.integers(5, 12)))]
    bs += [_b(str(k), None, "RD03") for k in _numbers(rng, int(rng.integers(4, 20)))]
    return bs + _farms(rng, ctx, KM_FARMS)


KINDS = {"welsh_terrace": _welsh_terrace, "welsh_estate": _welsh_estate, "welsh_high": _welsh_high,
         "welsh_rural": _welsh_rural, "english_terrace": _welsh_terrace, "conversion": _conversion, "tower": _tower,
         "mansions": _mansions, "high_road": _high_road, "london_special": _london_special, "suburban": _suburban,
         "new_estate": _new_estate, "km_high": _km_high, "km_special": _km_special, "km_rural": _km_rural}


def _street_name(rng, area, kind, used):
    for _ in range(200):
        if area["town"] == "ABERGWYN":
            if kind == "english_terrace":
                name, alias = str(rng.choice(WELSH_ENGLISH)), None
            else:
                name, alias = WELSH_STREETS[int(rng.integers(2, len(WELSH_STREETS)))]
                if kind == "welsh_high":
                    name, alias = ("STRYD FAWR", "HIGH STREET") if "STRYD FAWR" not in used else (
                        "STRYD Y FARCHNAD", "MARKET STREET")
        elif area["town"] == "LONDON":
            alias = None
            if kind == "high_road":
                name = "HAMWELL HIGH ROAD" if "HAMWELL HIGH ROAD" not in used else "NORTHMOOR BROADWAY"
            else:
                t = [x for x, _ in LONDON_TYPES]
                w = np.array([w for _, w in LONDON_TYPES], float)
                name = f"{rng.choice(LONDON_STREETS)} {rng.choice(t, p=w / w.sum())}"
        else:
            alias = None
            if kind == "km_high":
                name = "MARKET PLACE" if "MARKET PLACE" not in used else "SHEEP STREET"
            elif kind == "km_special":
                name = "UNIVERSITY WAY" if "UNIVERSITY WAY" not in used else "ENTERPRISE WAY"
            elif kind == "km_rural":
                name = f"{rng.choice(['MOAT', 'WOLDS', 'PARK', 'GIBBET', 'HOLLOW', 'COW'])} LANE"
            else:
                t = [x for x, _ in KM_TYPES]
                w = np.array([w for _, w in KM_TYPES], float)
                name = f"{rng.choice(KM_NAMES)} {rng.choice(t, p=w / w.sum())}"
        if name not in used:
            used.add(name)
            return name, alias
    return None, None


def make_gazetteer(n_streets: int = 220, seed: int = 21) -> pd.DataFrame:
    """The gazetteer: one row per UPRN (plus English alias rows of bilingual Welsh streets, same UPRN),
    columns uprn, parent_uprn, class_code, address, postcode, usrn, easting, northing and the parts
    saon, pao_name, pao_num, street, locality, town, lang (see module doc)."""
    rng = np.random.default_rng(seed)
    streets = []
    usrn = 47_100_000 + int(rng.integers(0, 9000)) * 10
    for area in AREAS:
        n_area = max(4, int(round(n_streets * area["share"])))
        kinds = area["kinds"]
        total = sum(kinds.values())
        counts = {k: max(1, int(round(v * n_area / total))) for k, v in kinds.items()}
        if "km_special" in counts:
            counts["km_special"] = 1
        if "london_special" in counts:
            counts["london_special"] = 1
        used = set()
        ctx = {"towers": list(TOWERS), "mansions": list(MANSIONS), "hotels": list(HOTELS), "market": False,
               "pubs": [str(p) for p in rng.permutation(PUBS)]}  # a pub name once in each town
        ctx["pick"] = lambda pool: pool[int(rng.integers(0, len(pool)))]
        for kind, cnt in counts.items():
            for _ in range(cnt):
                name, alias = _street_name(rng, area, kind, used)
                if name is None:
                    continue
                usrn += int(rng.integers(1, 30))
                loc = None
                if kind in ("welsh_rural", "km_rural") or rng.random() < 0.3:
                    loc = area["localities"][int(rng.integers(0, len(area["localities"])))]
                if area["town"] == "LONDON":  # London addresses: the locality is the neighbourhood
                    loc = area["localities"][int(rng.integers(0, len(area["localities"])))]
                ox, oy = area["origin"]
                ang, rad = rng.uniform(0, 2 * np.pi), rng.uniform(50, 2500)
                st = {"usrn": usrn, "name": name, "alias": alias, "kind": kind, "town": area["town"],
                      "locality": loc, "x0": ox + rad * np.cos(ang), "y0": oy + rad * np.sin(ang),
                      "heading": rng.uniform(0, np.pi), "area": area,
                      "district": area["districts"][int(rng.integers(0, len(area["districts"])))]}
                st["buildings"] = KINDS[kind](rng, st, ctx)
                streets.append(st)
    _postcodes(rng, streets)
    return _rows(rng, streets)


def _postcodes(rng, streets):
    """Units: runs of 8-25 delivery points along one side; a block or centre a unit of its own; sectors
    of 250-450 delivery points in each district."""
    by_district = {}
    for st in streets:
        by_district.setdefault(st["district"], []).append(st)
    for district, sts in by_district.items():
        digits = [int(d) for d in rng.permutation(10)]
        sector_i, sector_dp, cap = 0, 0, rng.uniform(250, 450)
        codes = list(rng.permutation(len(UNIT_CODES)))
        code_i = 0

        def new_unit():
            nonlocal code_i, sector_i, sector_dp, cap
            if sector_dp > cap:
                sector_i, sector_dp, cap = sector_i + 1, 0, rng.uniform(250, 450)
                codes[:] = list(rng.permutation(len(UNIT_CODES)))
                code_i = 0
            code_i += 1
            return f"{district} {digits[sector_i % 10]}{UNIT_CODES[codes[code_i]]}"

        for st in sts:
            for side in (1, 0):
                run, unit = 0, None
                target = int(rng.integers(8, 26))
                for b in st["buildings"]:
                    if b.get("side", None) is None:
                        num = re.match(r"\d+", b["pnum"] or "")
                        b["side"] = int(num.group()) % 2 if num else int(rng.integers(0, 2))
                    if b["side"] != side:
                        continue
                    dp = max(1, sum(1 for _s, c in b["units"] if c not in NON_DELIVERY)) if b["units"] else int(
                        b["cls"] not in NON_DELIVERY)
                    if b.get("own_unit"):
                        b["postcode"] = new_unit()
                        sector_dp += dp
                        continue
                    if unit is None or run + dp > target:
                        unit, run, target = new_unit(), 0, int(rng.integers(8, 26))
                    b["postcode"] = unit
                    run += dp
                    sector_dp += dp


def _rows(rng, streets):
    rows = []
    uprn = 10_090_000_000 + int(rng.integers(0, 10**6)) * 10
    for st in streets:
        tail = ", ".join(x for x in (st["name"], st["locality"], st["town"]) if x)
        alias_tail = ", ".join(x for x in (st["alias"], st["locality"], st["town"]) if x) if st["alias"] else None
        heading = st["heading"]
        dx, dy = np.cos(heading), np.sin(heading)
        pos = 0.0

        def add(u, parent, cls, saon, pname, pnum, pc, x, y, lang="CYM" if st["alias"] else "ENG"):
            for name, t, lg in ((st["alias"], alias_tail, "ENG"), (st["name"], tail, lang)):
                if t is None:
                    continue
                head = ", ".join(p for p in (saon, pname) if p)
                line = f"{pnum} {t}" if pnum else t
                rows.append({"uprn": u, "parent_uprn": parent, "class_code": cls,
                             "address": f"{head}, {line}" if head else line, "postcode": pc, "usrn": st["usrn"],
                             "easting": round(x, 2), "northing": round(y, 2), "saon": saon, "pao_name": pname,
                             "pao_num": pnum, "street": name, "locality": st["locality"], "town": st["town"],
                             "lang": lg})

        uprn += int(rng.integers(1, 9))
        add(uprn, None, "PS", None, None, None, None, st["x0"], st["y0"])
        for b in st["buildings"]:
            pos += rng.uniform(5, 14)
            off = 9.0 if b["side"] else -9.0
            x, y = st["x0"] + dx * pos - dy * off, st["y0"] + dy * pos + dx * off
            uprn += int(rng.integers(1, 9))
            parent = uprn
            add(parent, None, b["cls"], None, b["pname"], b["pnum"], b.get("postcode"), x, y)
            for saon, cls in b["units"]:
                uprn += int(rng.integers(1, 4))
                add(uprn, parent, cls, saon, b["pname"], b["pnum"], b.get("postcode"),
                    x + rng.normal(0, 0.5), y + rng.normal(0, 0.5))
    gaz = pd.DataFrame(rows)
    gaz["uprn"] = gaz["uprn"].astype("int64")
    gaz["parent_uprn"] = gaz["parent_uprn"].astype("Int64")
    gaz["usrn"] = gaz["usrn"].astype("int64")
    for col in ("postcode", "saon", "pao_name", "pao_num", "locality"):
        gaz[col] = gaz[col].astype(object).where(gaz[col].notna(), None)
    return gaz[["uprn", "parent_uprn", "class_code", "address", "postcode", "usrn", "easting", "northing", "saon",
                "pao_name", "pao_num", "street", "locality", "town", "lang"]]


# ---------------------------------------------------------------------------------------------------------------
# records

SOURCES = {
    # share of records, share with a main fault, share describing what the gazetteer lacks, fault weights
    "epc": {"share": 0.28, "error": 0.55, "absent": 0.10,
            "absent_kinds": {"plot": 30, "new_street": 20, "infill": 20, "flat_in_house": 20, "flat_past_last": 10},
            "classes": {"flat_format": 14, "subunit_missing": 6, "building_name_repeated": 5, "typo": 8,
                        "dropped_word": 4, "joined_words": 3, "abbreviation": 6, "postcode_wrong_unit": 3,
                        "postcode_wrong_sector": 2, "postcode_no_space": 3, "postcode_lowercase": 2,
                        "postcode_missing": 2, "town_missing": 4, "locality_only": 4, "saon_paon_swapped": 5,
                        "number_wrong_exists": 2, "number_wrong_absent": 1, "number_wrong_named": 2,
                        "range_partial": 3, "suffix_format": 2, "hyphenated": 3, "welsh_alias": 4,
                        "number_words": 1}},
    "price_paid": {"share": 0.20, "error": 0.40, "absent": 0.08,
                   "absent_kinds": {"plot": 35, "new_street": 30, "infill": 20, "flat_in_house": 15},
                   "classes": {"flat_format": 8, "subunit_missing": 5, "typo": 4, "dropped_word": 2,
                               "postcode_wrong_unit": 5, "postcode_wrong_sector": 3, "postcode_missing": 4,
                               "county_added": 0, "locality_only": 3, "saon_paon_swapped": 6, "range_partial": 4,
                               "number_wrong_exists": 2, "number_wrong_named": 2, "welsh_alias": 4,
                               "suffix_format": 2, "hyphenated": 2}},
    "food_hygiene": {"share": 0.15, "error": 0.60, "absent": 0.12,
                     "absent_kinds": {"stall": 40, "unit_past_last": 20, "land": 10, "new_street": 15, "infill": 15},
                     "classes": {"business_name_only": 14, "unit_format": 8, "subunit_missing": 6, "typo": 7,
                                 "dropped_word": 3, "joined_words": 2, "abbreviation": 3, "postcode_missing": 6,
                                 "postcode_in_text": 5, "postcode_wrong_unit": 3, "postcode_lowercase": 3,
                                 "town_missing": 4, "locality_only": 3, "number_wrong_exists": 1,
                                 "welsh_alias": 3, "hyphenated": 2}},
    "voa_rating": {"share": 0.14, "error": 0.45, "absent": 0.14,
                   "absent_kinds": {"advertising": 30, "land": 25, "garage": 20, "unit_past_last": 15,
                                    "rear_of": 10},
                   "classes": {"unit_format": 12, "subunit_missing": 6, "abbreviation": 8, "typo": 3,
                               "dropped_word": 3, "postcode_wrong_unit": 3, "postcode_wrong_sector": 2,
                               "postcode_no_space": 2, "town_missing": 3, "county_added": 4,
                               "business_name_only": 2, "number_wrong_exists": 2, "range_partial": 2,
                               "welsh_alias": 2}},
    "companies_house": {"share": 0.10, "error": 0.55, "absent": 0.06,
                        "absent_kinds": {"unit_past_last": 40, "new_street": 30, "infill": 30},
                        "classes": {"care_of": 12, "unit_format": 10, "subunit_missing": 6, "county_added": 8,
                                    "typo": 4, "abbreviation": 3, "postcode_wrong_unit": 3, "postcode_missing": 2,
                                    "postcode_lowercase": 2, "town_missing": 3, "locality_only": 3,
                                    "business_name_only": 3, "flat_format": 4, "welsh_alias": 2}},
    "nhs_patient": {"share": 0.08, "error": 0.50, "absent": 0.08,
                    "absent_kinds": {"flat_in_house": 40, "infill": 30, "flat_past_last": 30},
                    "classes": {"line_truncated": 10, "flat_format": 10, "subunit_missing": 5, "typo": 6,
                                "number_words": 3, "county_added": 0, "postcode_wrong_unit": 4,
                                "postcode_missing": 3, "locality_only": 3, "saon_paon_swapped": 4,
                                "dropped_word": 3, "joined_words": 3, "number_wrong_exists": 2,
                                "number_wrong_absent": 1, "welsh_alias": 2}},
    "police": {"share": 0.05, "error": 0.30, "absent": 0.0, "absent_kinds": {},
               "classes": {"abbreviation": 6, "typo": 4, "business_name_only": 6, "postcode_missing": 0}},
}
STREET_WORDS = {"ROAD", "STREET", "LANE", "AVENUE", "CLOSE", "CRESCENT", "GARDENS", "TERRACE", "DRIVE", "PLACE",
                "GROVE", "VILLAS", "WAY", "BROADWAY", "HEOL", "FFORDD", "STRYD", "LON", "CILGANT", "MAES"}
FLAT_RD = re.compile(r"^(FLAT|APARTMENT) (\w+)$")


def _wpick(rng, weights: dict):
    keys = [k for k, v in weights.items() if v > 0]
    w = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=w / w.sum()))]


class _Gaz:
    """The gazetteer frame read back into rows and look-ups (make_records needs nothing else)."""

    def __init__(self, gaz: pd.DataFrame):
        self.rows, self.alias, self.children, self.by_street, self.keys = {}, {}, {}, {}, {}
        self.by_name = {}
        alias = gaz["uprn"].duplicated(keep=False) & (gaz["lang"] == "ENG")
        for r in pd.concat([gaz[~alias], gaz[alias]]).to_dict("records"):
            r = {k: (None if (v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA) else v)
                 for k, v in r.items()}
            u = int(r["uprn"])
            key = (r["town"], r["street"], r["saon"], r["pao_name"], r["pao_num"])
            self.keys.setdefault(key, set()).add(u)
            if u in self.rows:
                self.alias[u] = r["street"]
                continue
            r["uprn"] = u
            r["parent_uprn"] = None if r["parent_uprn"] is None else int(r["parent_uprn"])
            self.rows[u] = r
            if r["pao_name"] and not r["saon"]:
                self.by_name.setdefault((r["town"], r["pao_name"]), []).append(r)
            if r["class_code"] == "PS":
                continue
            if r["parent_uprn"] is not None:
                self.children.setdefault(r["parent_uprn"], []).append(r)
            self.by_street.setdefault(int(r["usrn"]), []).append(r)
        self.street_units = {}
        self.sector_units = {}
        for r in self.rows.values():
            pc = r["postcode"]
            if pc:
                self.street_units.setdefault(int(r["usrn"]), set()).add(pc)
                self.sector_units.setdefault(pc[:-2], set()).add(pc)
        self.street_units = {k: sorted(v) for k, v in self.street_units.items()}
        self.sector_units = {k: sorted(v) for k, v in self.sector_units.items()}
        self.area = {a["town"]: a for a in AREAS}

    def others(self, town, street, saon, pname, pnum):
        """UPRNs whose parts are exactly these (any town when town is None)."""
        if town is not None:
            return self.keys.get((town, street, saon, pname, pnum), set())
        out = set()
        for t in self.area:
            out |= self.keys.get((t, street, saon, pname, pnum), set())
        return out


def _parts(row):
    return {"saon": row["saon"], "pname": row["pao_name"], "pnum": row["pao_num"], "street": row["street"],
            "locality": row["locality"], "town": row["town"], "county": None, "postcode": row["postcode"],
            "org": None, "prefix": None, "pc_in_text": False, "order": "normal", "repeat_name": False,
            "truncate": False, "lead": None}


def _org(row):
    """The trading name of a shop / office (not held by the gazetteer), fixed by its UPRN."""
    pool = OFFICE_FIRMS if row["class_code"] == "CO01" and row["saon"] and row["saon"].startswith("SUITE") else TRADES
    return pool[row["uprn"] % len(pool)]


def _typo(rng, word):
    if len(word) < 5:
        return None
    i = int(rng.integers(1, len(word) - 1))
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1:]
    if kind < 0.55 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind < 0.75:
        return word[:i] + word[i] + word[i:]
    for row in KEYBOARD:
        j = row.find(word[i])
        if j >= 0:
            return word[:i] + row[j + 1 if j + 1 < len(row) else j - 1] + word[i + 1:]
    return None


def _num(pnum):
    m = re.match(r"^(\d+)", pnum or "")
    return int(m.group(1)) if m else None


def _fault(rng, g, cls, c, row, truth):
    """Apply one fault to the parts c; False when it does not fit this property."""
    saon, pname, pnum, street = c["saon"], c["pname"], c["pnum"], c["street"]
    if not street and cls in ("dropped_word", "joined_words", "hyphenated", "welsh_alias", "number_words",
                              "number_wrong_exists", "number_wrong_absent", "number_wrong_named"):
        return False
    if cls == "typo":
        field = "pname" if pname and rng.random() < 0.3 else "street"
        words = (c[field] or "").split()
        idx = [i for i, w in enumerate(words) if len(w) >= 5]
        if not idx:
            return False
        i = idx[int(rng.integers(0, len(idx)))]
        new = _typo(rng, words[i])
        if not new or new == words[i]:
            return False
        words[i] = new
        c[field] = " ".join(words)
    elif cls == "dropped_word":
        words = street.split()
        if len(words) < 2:
            return False
        drop = [i for i, w in enumerate(words) if w in ("Y", "YR", "THE") or w in STREET_WORDS]
        drop = [i for i in drop if words[i] not in ("HEOL", "FFORDD", "STRYD", "LON")] or drop
        i = drop[int(rng.integers(0, len(drop)))] if drop and rng.random() < 0.8 else int(rng.integers(0, len(words)))
        c["street"] = " ".join(w for j, w in enumerate(words) if j != i)
    elif cls == "joined_words":
        words = street.split()
        if len(words) < 2:
            return False
        i = int(rng.integers(0, len(words) - 1))
        c["street"] = " ".join(words[:i] + [words[i] + words[i + 1]] + words[i + 2:])
    elif cls == "abbreviation":
        changed = False
        for field in ("street", "pname", "saon"):
            if not c[field]:
                continue
            words = c[field].split()
            for i, w in enumerate(words):
                if w in ABBREV and (rng.random() < 0.8 or not changed):
                    words[i], changed = ABBREV[w], True
            c[field] = " ".join(words)
        if not changed:
            return False
    elif cls == "hyphenated":  # Heol-y-Felin, Lon-Cae-Derw
        words = street.split()
        if words[0] not in ("HEOL", "FFORDD", "STRYD", "LON", "MAES", "CILGANT") or len(words) < 2:
            return False
        c["street"] = "-".join(words) if rng.random() < 0.6 else words[0] + " " + "-".join(words[1:])
    elif cls == "welsh_alias":
        if row["uprn"] not in g.alias and truth["uprn"] not in g.alias:
            return False
        c["street"] = g.alias.get(row["uprn"]) or g.alias[truth["uprn"]]
    elif cls == "postcode_missing":
        if not c["postcode"]:
            return False
        c["postcode"] = None
    elif cls == "postcode_in_text":
        c["pc_in_text"] = True
        c["pc_column_blank"] = rng.random() < 0.6
    elif cls in ("postcode_no_space", "postcode_lowercase"):
        if not c["postcode"]:
            return False
        c["pc_style"] = cls
    elif cls == "postcode_wrong_unit":
        pcs = [p for p in g.street_units.get(int(row["usrn"]), []) if p != c["postcode"]]
        if not pcs:
            pcs = [p for p in g.sector_units.get((c["postcode"] or "")[:-2], []) if p != c["postcode"]]
        if not pcs:
            return False
        c["postcode"] = pcs[int(rng.integers(0, len(pcs)))]
    elif cls == "postcode_wrong_sector":
        pc = c["postcode"]
        if not pc:
            return False
        d = int(pc[-3])
        c["postcode"] = f"{pc[:-3]}{(d + int(rng.integers(1, 9))) % 10}{pc[-2:]}"
    elif cls == "town_missing":
        c["town"] = None
    elif cls == "locality_only":
        if not c["locality"]:
            return False
        c["town"] = None
    elif cls == "county_added":
        area = g.area[row["town"]]
        c["county"] = str(rng.choice([area["county"]] + area["counties"]))
    elif cls == "flat_format":
        return _flat_format(rng, g, c, row)
    elif cls == "unit_format":
        m = re.match(r"^(UNIT|SUITE) (\d+)$", saon or "")
        if m:
            n = m.group(2)
            opts = [f"U{n}", f"UNIT {n}", f"OFFICE {n}", f"SUITE {n}, {ORDINAL_SHORT[int(rng.integers(0, 3))]} FLOOR"]
            c["saon"] = opts[int(rng.integers(0, 4))] if m.group(1) == "SUITE" else (
                [f"U{n}", f"UNITS {n}", f"{n}"][int(rng.integers(0, 3))])
            if c["saon"] == n and pname:
                c["saon"], c["pname"] = None, f"{n} {pname}"
            if c["pname"] and rng.random() < 0.5:
                words = c["pname"].split()
                c["pname"] = " ".join(w for w in words if w not in ("KINGSMERE", "HAMWELL", "ORCHARD", "THE"))
        elif saon in ("GROUND FLOOR", "FIRST FLOOR", "SHOP"):
            c["saon"] = {"GROUND FLOOR": ["GRD FLR", "GROUND FLOOR SHOP", "PT GRD FLR", "SHOP"],
                         "FIRST FLOOR": ["1ST FLR", "FIRST FLOOR OFFICES", "1ST FLOOR"],
                         "SHOP": ["GROUND FLOOR", "GRD FLR", "SHOP PREMISES"]}[saon][int(rng.integers(0, 3))]
        elif saon and row["parent_uprn"] and row["class_code"] in ("CE01", "CM03"):
            c["saon"] = saon.replace("BUILDING", "BLDG") if rng.random() < 0.5 else f"THE {saon}"
        else:
            return False
    elif cls == "subunit_missing":
        if not saon or row["parent_uprn"] is None:
            return False
        c["saon"] = None
        truth.update(uprn=row["parent_uprn"], level="parent")
    elif cls == "building_name_repeated":
        if not pname:
            return False
        c["repeat_name"] = True
    elif cls == "saon_paon_swapped":
        if not saon:
            return False
        c["order"] = "swapped"
    elif cls == "range_partial":
        m = re.match(r"^(\d+)-(\d+)$", pnum or "")
        if not m:
            return False
        c["pnum"] = [m.group(1), m.group(2), f"{m.group(1)}/{m.group(2)}", f"{m.group(1)} - {m.group(2)}"][
            int(rng.integers(0, 4))]
    elif cls == "suffix_format":
        m = re.match(r"^(\d+)([A-Z])$", pnum or "")
        if not m:
            return False
        c["pnum"] = f"{m.group(1)} {m.group(2)}" if rng.random() < 0.6 else f"{m.group(1)}{m.group(2).lower()}"
    elif cls == "number_words":
        n = _num(pnum)
        if n is None or n > 20 or pnum != str(n):
            return False
        c["pnum"] = NUMBER_WORDS[n]
    elif cls in ("number_wrong_exists", "number_wrong_absent", "number_wrong_named"):
        n = _num(pnum)
        if n is None or pnum != str(n):
            return False
        on_street = {r["pao_num"] for r in g.by_street[int(row["usrn"])]}
        if cls == "number_wrong_exists":
            if pname:
                return False
            opts = [str(k) for k in (n + 2, n - 2, n + 1, n - 1, n + 10, int(str(n)[::-1]))
                    if str(k) in on_street and k != n and g.others(row["town"], row["street"], saon, None, str(k))]
            if not opts:
                return False
            c["pnum"] = opts[int(rng.integers(0, len(opts)))]
            c["unrecoverable"] = True
        else:
            if cls == "number_wrong_named" and not pname:
                return False
            if cls == "number_wrong_absent" and pname:
                return False
            opts = [str(k) for k in (n * 10 + n % 10, n + 100, n + 200, int(str(n) + "1")) if str(k) not in on_street]
            c["pnum"] = opts[int(rng.integers(0, len(opts)))]
            c["unrecoverable"] = cls == "number_wrong_absent"
    elif cls == "business_name_only":
        if pname and row["class_code"] not in RESIDENTIAL and row["class_code"] != "PP":
            c["street"] = None if rng.random() < 0.6 else c["street"]
            c["pnum"] = None if rng.random() < 0.7 or not c["street"] else c["pnum"]
        elif row["class_code"][:2] in ("CR", "CO") and not pname and not saon:
            c["org"] = _org(row)
            c["pnum"] = None
            c["unrecoverable"] = True  # the trading name is not in the gazetteer: no human could tell
        else:
            return False
    elif cls == "care_of":
        c["prefix"] = "C/O " + OFFICE_FIRMS[int(rng.integers(0, len(OFFICE_FIRMS)))]
    elif cls == "line_truncated":
        if len(", ".join(x for x in (saon, pname, _line(pnum, street)) if x)) <= 36:
            return False
        c["truncate"] = True
    else:
        raise ValueError(cls)
    return True


def _flat_format(rng, g, c, row):
    saon, pnum, pname = c["saon"], c["pnum"], c["pname"]
    if not saon or row["class_code"] != "RD06":
        return False
    m = FLAT_RD.match(saon)
    if m:
        n = m.group(2)
        opts = [f"APARTMENT {n}", f"FLT {n}"] + ([f"FLAT NO {n}", f"NO {n}"] if n.isdigit() else [f"FLAT {n}"])
        if pname:
            opts += [f"{n} {pname}", f"{n}"]
        if pnum and not pname and pnum.isdigit():
            opts += [f"{pnum}{n}", f"{pnum} {n}"] if n.isalpha() else [f"{n}/{pnum}", f"{pnum}/{n}"]
        pick = opts[int(rng.integers(0, len(opts)))]
        if pick == f"{n} {pname}":
            c["saon"], c["pname"] = None, pick
        elif "/" in pick:
            c["saon"], c["pnum"] = None, pick
        elif pick in (f"{pnum}{n}", f"{pnum} {n}"):
            c["saon"], c["pnum"] = None, pick
            if g.others(row["town"], row["street"], None, None, f"{pnum}{n}"):
                c["unrecoverable"] = True  # FLAT A, 12 written 12A where 12A is a house
        elif pick == n:
            c["saon"] = n
        else:
            c["saon"] = pick
        return True
    table = {"GROUND FLOOR FLAT": ["GFF", "GROUND FLOOR", "FLAT GROUND FLOOR", "GRD FLR FLAT", "GROUND FLAT"],
             "FIRST FLOOR FLAT": ["FFF", "1ST FLOOR FLAT", "FLAT 1ST FLOOR", "FIRST FLOOR", "FLAT FIRST FLOOR"],
             "SECOND FLOOR FLAT": ["SFF", "2ND FLOOR FLAT", "FLAT 2ND FLOOR", "SECOND FLOOR", "TOP FLOOR FLAT"],
             "BASEMENT FLAT": ["BASEMENT", "LOWER GROUND FLOOR FLAT", "FLAT LGF", "LOWER GROUND FLAT", "BSMT FLAT"],
             "FLAT ABOVE": ["FLAT OVER SHOP", "FIRST FLOOR FLAT", "UPSTAIRS FLAT", "FLAT ABOVE SHOP", "FLAT 1"]}
    if saon not in table:
        return False
    c["saon"] = table[saon][int(rng.integers(0, 5))]
    if c["saon"] == "TOP FLOOR FLAT" and any(r["saon"] == "THIRD FLOOR FLAT" for r in g.children.get(
            row["parent_uprn"], [])):
        c["saon"] = "2ND FLOOR FLAT"
    return True


def _absent(rng, g, kind, rows):
    """Parts of a record describing something the gazetteer lacks, and a gazetteer row near it."""
    def pick(pred, tries=300):
        for _ in range(tries):
            r = rows[int(rng.integers(0, len(rows)))]
            if pred(r):
                return r
        return None

    if kind in ("plot", "new_street"):
        r = pick(lambda r: r["class_code"] in ("RD02", "RD03") and r["pao_num"])
        if r is None:
            return None
        c = _parts(r)
        c.update(saon=None, pname=None)
        if kind == "plot" and rng.random() < 0.5:
            c.update(saon=f"PLOT {int(rng.integers(1, 120))}", pnum=None, lead="LAND OFF")
        else:
            pool = NEW_STREETS[:2] if r["town"] == "ABERGWYN" else NEW_STREETS[2:]
            c.update(street=pool[int(rng.integers(0, len(pool)))], locality=None)
            c.update(pnum=str(int(rng.integers(1, 60))) if kind == "new_street" else None,
                     saon=None if kind == "new_street" else f"PLOT {int(rng.integers(1, 120))}")
            sector = (r["postcode"] or "")[:-2]
            used = set(g.sector_units.get(sector, []))
            free = [f"{sector}{u}" for u in UNIT_CODES[:80] if f"{sector}{u}" not in used]
            c["postcode"] = free[int(rng.integers(0, len(free)))] if free and rng.random() < 0.7 else r["postcode"]
        return c, r
    if kind == "infill":
        r = pick(lambda r: r["class_code"] in ("RD02", "RD03", "RD04") and (r["pao_num"] or "").isdigit()
                 and not r["parent_uprn"])
        if r is None:
            return None
        new = f"{r['pao_num']}A"
        if g.others(r["town"], r["street"], None, None, new) or g.others(r["town"], r["street"], None, r["pao_name"],
                                                                          new):
            return None
        c = _parts(r)
        c.update(pnum=new, pname=None)
        return c, r
    if kind == "flat_in_house":
        r = pick(lambda r: r["class_code"] in ("RD03", "RD04") and not r["parent_uprn"] and r["pao_num"]
                 and r["uprn"] not in g.children)
        if r is None:
            return None
        c = _parts(r)
        c["saon"] = ["FLAT 2", "FLAT B", "FIRST FLOOR FLAT", "GROUND FLOOR FLAT", "FLAT 1"][int(rng.integers(0, 5))]
        return c, r
    if kind in ("flat_past_last", "unit_past_last"):
        word = ("FLAT", "APARTMENT") if kind == "flat_past_last" else ("UNIT", "SUITE")
        def numbered(k):
            bits = (k["saon"] or "").split(" ")
            return len(bits) == 2 and bits[0] in word and bits[1].isdigit()

        r = pick(lambda r: r["class_code"] == "PP" and any(numbered(k) for k in g.children.get(r["uprn"], [])))
        if r is None:
            return None
        kids = [k["saon"] for k in g.children[r["uprn"]] if numbered(k)]
        top = max(int(k.split(" ")[1]) for k in kids)
        c = _parts(r)
        c["saon"] = f"{kids[0].split(' ')[0]} {top + int(rng.integers(1, 12))}"
        return c, r
    if kind == "stall":
        r = pick(lambda r: r["class_code"] == "CR04")
        if r is None:
            return _absent(rng, g, "unit_past_last", rows)
        c = _parts(r)
        c["saon"] = f"STALL {int(rng.integers(1, 40))}"
        c["org"] = TRADES[int(rng.integers(0, len(TRADES)))]
        return c, r
    if kind in ("land", "garage", "advertising", "rear_of"):
        r = pick(lambda r: (r["pao_num"] or "").isdigit() and not r["parent_uprn"] and not r["pao_name"])
        if r is None:
            return None
        c = _parts(r)
        n = int(r["pao_num"])
        c["lead"] = {"land": ["LAND AT REAR OF", "LAND ADJ", "LAND ADJACENT TO", "LAND AT"][int(rng.integers(0, 4))],
                     "garage": f"GARAGE {int(rng.integers(1, 20))} REAR OF",
                     "advertising": ["ADVERTISING RIGHT ADJ", "ADVERTISING RIGHT AT", "ADV RIGHT O/S"][
                         int(rng.integers(0, 3))],
                     "rear_of": ["REAR OF", "WORKSHOP REAR OF", "STORE R/O"][int(rng.integers(0, 3))]}[kind]
        if kind == "garage" and rng.random() < 0.5:
            c["pnum"] = f"{n}-{n + 18}"
        return c, r
    raise ValueError(kind)


def _case(rng, text, style):
    if style == "upper":
        return text.upper()
    if style == "title":
        return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))
    return " ".join(w.upper() if rng.random() < 0.15 else w[:1].upper() + w[1:].lower() for w in text.split(" "))


def _pc(c):
    pc = c["postcode"]
    if not pc:
        return None
    if c.get("pc_style") == "postcode_no_space":
        return pc.replace(" ", "")
    if c.get("pc_style") == "postcode_lowercase":
        return pc.lower()
    return pc


def _line(pnum, street):
    return f"{pnum} {street}" if pnum and street else (street or pnum)


VOA_FLOORS = {"GROUND FLOOR": "GRD FLR", "FIRST FLOOR": "1ST FLR", "GROUND FLOOR FLAT": "GRD FLR FLAT"}


def _render(rng, c, source, g, row):
    """The record's text and postcode column in the source's style."""
    area = g.area.get(row["town"], AREAS[0])
    saon, pname, pnum, street = c["saon"], c["pname"], c["pnum"], c["street"]
    locality, town = c["locality"], c["town"]
    head = None
    if c["lead"]:
        head = f"{c['lead']} {_line(pnum, street)}" if pnum else f"{c['lead']} {street}"
        pnum, street = None, None
    pc = _pc(c)
    if source == "price_paid":
        paon = ", ".join(x for x in (pname, pnum) if x) if rng.random() < 0.7 else " ".join(
            x for x in (pname, pnum) if x)
        parts = [saon, paon, street] if c["order"] != "swapped" else [paon, saon, street]
        if head:
            parts = [saon, head]
        if c["repeat_name"]:
            parts.insert(1, pname)
        parts += [locality, town, area["district_la"], area["county"] if not c["county"] else c["county"]]
        lines, case = parts, "upper"
    elif source == "nhs_patient":
        l1 = ", ".join(x for x in (saon, pname) if x)
        l2 = _line(pnum, street)
        if c["order"] == "swapped":
            l1, l2 = (pname or ""), ", ".join(x for x in (l2, saon) if x)
        if head:
            l1, l2 = saon or "", head
        if c["truncate"]:
            l1, l2 = ", ".join(x for x in (l1, l2) if x), ""
        lines = [l1[:35], l2[:35], locality, town, (c["county"] or area["county"]) if rng.random() < 0.7 else None]
        case = "upper"
    else:
        if source == "voa_rating" and saon in VOA_FLOORS and rng.random() < 0.6:
            saon = VOA_FLOORS[saon]
        if c["order"] == "swapped":
            lines = [pname, _line(pnum, street), saon]
        elif source == "epc" and saon and pname and rng.random() < 0.5:
            lines = [f"{saon} {pname}", _line(pnum, street)]
        else:
            lines = [saon, pname, _line(pnum, street)]
        if head:
            lines = [saon, pname, head]
        if c["repeat_name"]:
            lines.insert(1, pname)
        if source == "epc":
            third = locality if locality and (town is None or rng.random() < 0.5) else None
            lines += [third, town] if not (third and rng.random() < 0.4) else [third]
        else:
            lines += [locality, town]
        if c["county"]:
            lines.append(c["county"])
        elif source == "companies_house" and rng.random() < 0.3:
            lines.append(area["county"] if rng.random() < 0.5 else ("WALES" if row["town"] == "ABERGWYN"
                                                                     else "ENGLAND"))
        if source == "food_hygiene":
            name = c["org"] or pname or _org(row)
            lines = [name] + (lines if rng.random() < 0.4 or name != pname else [x for x in lines if x != pname])
        elif c["org"]:
            lines = [c["org"]] + [x for x in lines if x]
        if c["prefix"]:
            lines = [c["prefix"]] + lines
        case = {"epc": "title" if rng.random() < 0.6 else "upper", "food_hygiene": "title",
                "voa_rating": "upper", "companies_house": "mixed" if rng.random() < 0.3 else "title",
                "police": "upper"}[source]
    lines = [x for x in lines if x]
    text = _case(rng, ", ".join(lines), case)
    column = pc
    if source == "voa_rating" or c["pc_in_text"]:
        if pc:
            text = f"{text}, {pc}" if rng.random() < 0.8 else f"{text} {pc}"
        if c.get("pc_column_blank"):
            column = None
    if source == "epc" and c.get("pc_style") is None and rng.random() < 0.03 and column:
        column = column.replace(" ", "")  # a few assessors drop the space
    return text, column


def _police(rng, g, rows):
    """A police location: outside a property or at a junction (truth the street, no UPRN) or at named
    premises (truth the premises)."""
    r = rows[int(rng.integers(0, len(rows)))]
    k = rng.random()
    if k < 0.35 and (r["pao_num"] or "").isdigit() and not r["parent_uprn"]:
        c = _parts(r)
        c.update(saon=None, pname=None, lead=["O/S", "OUTSIDE", "NR"][int(rng.integers(0, 3))], postcode=None)
        return c, r, {"uprn": None, "level": "street"}, "outside_property"
    if k < 0.5:
        others = [s for s in g.by_street if s != int(r["usrn"]) and g.rows[g.by_street[s][0]["uprn"]]["town"]
                  == r["town"]]
        s2 = g.by_street[others[int(rng.integers(0, len(others)))]][0]["street"] if others else "HIGH STREET"
        c = _parts(r)
        c.update(saon=None, pname=None, pnum=None, street=f"{r['street']} / {s2}", lead="JNC", postcode=None)
        c["lead_street"] = True
        return c, r, {"uprn": None, "level": "street"}, "junction"
    named = [x for x in rows if x["pao_name"] and x["class_code"] in ("CR06", "CH03", "CE03", "CE04", "RI01")]
    r = named[int(rng.integers(0, len(named)))]
    c = _parts(r)
    c["postcode"] = c["postcode"] if rng.random() < 0.3 else None
    return c, r, {"uprn": r["uprn"], "level": "uprn"}, "clean"


def _target(rng, source, pools):
    if source in ("epc", "nhs_patient"):
        p = pools["res"]
    elif source == "price_paid":
        p = pools["res"] if rng.random() < 0.95 else pools["com"]
    elif source == "food_hygiene":
        p = pools["food"] if rng.random() < 0.9 else pools["res"]
    elif source == "voa_rating":
        p = pools["com"]
    else:
        k = rng.random()
        p = pools["office"] if k < 0.45 else (pools["com"] if k < 0.7 else pools["res"])
    return p[int(rng.integers(0, len(p)))]


def _unrecoverable(g, c, truth):
    if c.get("unrecoverable"):
        return True
    if truth["uprn"] is None or c["lead"]:
        return False
    town = c["town"] if c["town"] in g.area else None
    if not c["street"] and c["pname"] and not c["postcode"]:
        # a premises by name only: several of that name in the town (or the written locality)
        same = [r for t in ([town] if town else list(g.area)) for r in g.by_name.get((t, c["pname"]), [])
                if not c["locality"] or r["locality"] == c["locality"]]
        if len(same) > 1:
            return True
    cands = g.others(town, c["street"], c["saon"], c["pname"], c["pnum"])
    if truth["uprn"] in cands:
        return len(cands) > 1 and not c["postcode"] and not c["locality"]
    return bool(cands)


def make_records(gaz: pd.DataFrame, n: int = 5000, seed: int = 22) -> pd.DataFrame:
    """Records from seven public open datasets describing gazetteer properties, with truth (module doc)."""
    rng = np.random.default_rng(seed)
    g = _Gaz(gaz)
    rows = [r for r in g.rows.values() if r["class_code"] != "PS"]
    res = [r for r in rows if r["class_code"] in RESIDENTIAL]
    res += [r for r in res if r["class_code"] == "RD06"]  # flats twice as likely (EPCs on lettings)
    com = [r for r in rows if r["class_code"][:2] in ("CR", "CO", "CI", "CH", "CM") and r["class_code"] != "CR04"]
    food = [r for r in rows if r["class_code"] in ("CR06", "CR07", "CR10", "CR08", "CH03", "CE03", "CE04", "RI01",
                                                   "CM03", "CE01")]
    food += [r for r in food if r["class_code"] in ("CR07", "CR10", "CR06")]
    office = [r for r in rows if r["class_code"] == "CO01"]
    pools = {"res": res, "com": com, "food": food, "office": office or com}
    sources = list(SOURCES)
    shares = np.array([SOURCES[s]["share"] for s in sources])
    epc_seen = []
    out = []
    for i in range(n):
        source = sources[int(rng.choice(len(sources), p=shares / shares.sum()))]
        spec = SOURCES[source]
        made, second_fault = None, None
        if source == "police":
            c, row, truth, cls = _police(rng, g, rows)
            if rng.random() < spec["error"]:
                trial = dict(c)
                pick = _wpick(rng, spec["classes"])
                if not c.get("lead_street") and _fault(rng, g, pick, trial, row, dict(truth)):
                    c = trial
                    cls, second_fault = (pick, None) if cls == "clean" else (cls, pick)
            made = True
        elif rng.random() < spec["absent"]:
            kind = _wpick(rng, spec["absent_kinds"])
            got = _absent(rng, g, kind, rows)
            if got:
                c, row = got
                truth, cls, made = {"uprn": None, "level": "none"}, f"absent_{kind}", True
        if not made:
            if source == "epc" and epc_seen and rng.random() < 0.08:
                row = epc_seen[int(rng.integers(0, len(epc_seen)))]  # a repeat certificate, written anew
            else:
                row = _target(rng, source, pools)
            c, truth, cls = _parts(row), {"uprn": row["uprn"], "level": "uprn"}, "clean"
            if source == "food_hygiene" and row["class_code"] in RESIDENTIAL:
                c["org"] = MOBILE[row["uprn"] % len(MOBILE)]  # a mobile trader at the operator's home
            if rng.random() < spec["error"]:
                # the class first, at the source's rate; then a property it fits (the drawn one or
                # another of the source's targets): a flat-format fault needs a flat, and so on
                for _attempt in range(4):
                    pick = _wpick(rng, spec["classes"])
                    for _try in range(80):
                        trial, trial_truth = dict(c), dict(truth)
                        if _fault(rng, g, pick, trial, row, trial_truth):
                            c, truth, cls = trial, trial_truth, pick
                            break
                        row = _target(rng, source, pools)
                        c, truth = _parts(row), {"uprn": row["uprn"], "level": "uprn"}
                        if source == "food_hygiene" and row["class_code"] in RESIDENTIAL:
                            c["org"] = MOBILE[row["uprn"] % len(MOBILE)]
                    if cls != "clean":
                        break
                if cls != "clean" and rng.random() < 0.15:
                    second = _wpick(rng, spec["classes"])
                    trial, trial_truth = dict(c), dict(truth)
                    if second != cls and second.split("_")[0] != cls.split("_")[0] and _fault(
                            rng, g, second, trial, row, trial_truth):
                        c, truth, second_fault = trial, trial_truth, second
            if source == "epc":
                epc_seen.append(row)
        text, column = _render(rng, c, source, g, row)
        out.append({"record_id": f"{source[:3].upper()}{i:06d}", "agency": source, "address": text,
                    "postcode": column, "true_uprn": truth["uprn"],
                    "true_level": truth["level"] if truth["uprn"] is not None or truth["level"] == "street"
                    else "none", "error_class": cls, "unrecoverable": _unrecoverable(g, c, truth),
                    "second_fault": second_fault})
    records = pd.DataFrame(out)
    records["true_uprn"] = records["true_uprn"].astype("Int64")
    records["postcode"] = records["postcode"].astype(object).where(records["postcode"].notna(), None)
    records["unrecoverable"] = records["unrecoverable"].astype(bool)
    return records
