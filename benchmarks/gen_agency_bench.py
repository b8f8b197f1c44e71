"""Agency address bench: a synthetic council gazetteer (LLPG / AddressBase style, one text address a
row) and records from five council agencies that describe its properties the way their systems do,
each with its known truth. Written from public descriptions of UK address data only, not from the
matcher's code or its other benches, so that it can find the matcher's blind spots.

Sources relied on (public descriptions, no data copied):
- GeoPlace DEC-NLPG / BS 7666 conventions: SAON, PAON, street, locality, town, upper case, no
  apostrophes or full stops (ST MARYS ROAD); parent-child records (PP property shell -> RD06 flats);
  AddressBase classification codes: RD02 detached, RD03 semi, RD04 terraced, RD06 flat, PP, PS street
  record, CR06 pub, CR07 cafe, CR08 shop, CR10 takeaway, CO01 office, CI01 factory, CI03 workshop, CI04
  warehouse, ZW99CH church, CU01 electricity sub-station, CU11 telephone box, CT01 car park, LD01
  development land.
- Royal Mail PAF / Ordnance Survey postcode descriptions: ~1.8 M units for ~29 M delivery points, so
  ~15 a unit (1 to 100); a unit is usually a run of one side of a street, a large block of flats gets
  a unit of its own, short streets share one; units group into sectors and districts; the inward code
  is a digit and two letters never C I K M O V. PAF writes flats in a named block as "12 KESTREL COURT".
- GDS data blog "Tackling address matching together" (2016) and "The language of addresses": each
  agency captures addresses its own way; towns written several ways (Saltburn-by-the-Sea) and
  attributed to different counties.
- ONS / GeoPlace census address-register notes: new builds and conversions missing from the register.
- VOA rating-list style (GRD FLR, 1ST FLR, PT GRD FLR, postcode in the address, rated sub-stations,
  advertising rights), Edinburgh / Glasgow tenement flat numbering (1F2 = first floor, second door;
  12/4; 1/2), housing-benefit "c/o" lines and free-typed claimant addresses.

Shares chosen (a judgement): agencies council tax 30 %, electoral register 25 %, housing benefit 15 %,
environmental health 15 %, business rates 15 % of records. Records with a main error: council tax
30 %, electoral 35 %, rates 42 %, environmental health 58 %, housing benefit 62 %; the class is drawn
first with the agency's weights (AGENCIES), then a property it fits; the rest are clean in the
agency's own style (case, commas, where the postcode goes: rates put it in the text too). Records
describing an address the gazetteer lacks: 8 / 9 / 12 / 15 / 16 % by agency, about 10-11 % overall;
a flat missing from a listed block or house has no true UPRN either (issue 15 asks for such
records to stay unmatched as 'flat not in building', the building only their candidate); the
others (infill 31A, new street, new-build name, land, garages, advertising rights, kiosks) have no
true UPRN (true_level "none"). Gazetteer: ~15 delivery points a postcode unit (runs of 8-25 along
one side), 250-480 a sector, towns of 1-3 districts; ~20 % of terraced houses converted into 2-4
flats, about a third of dwellings flats. CU01 is used for sub-stations, CU11 for telephone boxes.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

INWARD = "ABDEFGHJLNPQRSTUWXYZ"  # inward letters: never C I K M O V
UNIT_CODES = [a + b for a in INWARD for b in INWARD]
COUNTIES = ["NORTH WESSEX", "N WESSEX", "WESSEX", "NORTH WESSEX", "MERCIA"]

TOWNS = [
    {"name": "MARCHFORD", "share": 0.47, "centre": (448200.0, 312400.0), "radius": 2300.0,
     "localities": [("UPPER MARCHFORD", 90), ("FENNY BRIDGE", 0), ("ABBOTS GREEN", 225)],
     "kinds": {"terrace": 28, "suburban": 22, "estate": 16, "close": 12, "mansions": 4, "rural": 6, "high": 7,
               "industrial": 3},
     "variants": ["MARCHFORD TOWN"]},
    {"name": "HOLBECK-ON-SEA", "share": 0.27, "centre": (462300.0, 318600.0), "radius": 1700.0,
     "localities": [("WEST HOLBECK", 180), ("SANDHAVEN", 45)],
     "kinds": {"terrace": 26, "suburban": 24, "estate": 14, "close": 12, "mansions": 4, "rural": 10, "high": 8,
               "industrial": 3},
     "variants": ["HOLBECK ON SEA", "HOLBECK", "HOLBECK ON-SEA", "HOLBECK-BY-SEA"]},
    {"name": "STANWELL MAGNA", "share": 0.15, "centre": (441100.0, 303300.0), "radius": 1000.0,
     "localities": [("STANWELL PARVA", 270)],
     "kinds": {"terrace": 14, "suburban": 25, "estate": 12, "close": 14, "rural": 30, "high": 10, "industrial": 4},
     "variants": ["STANWELL", "STANWELL MAG", "GREAT STANWELL"]},
    {"name": "TILFORD", "share": 0.11, "centre": (455600.0, 300500.0), "radius": 800.0,
     "localities": [("LOWER TILFORD", 300), ("COLDHARBOUR", 120)],
     "kinds": {"terrace": 12, "suburban": 22, "estate": 10, "close": 14, "rural": 38, "high": 12},
     "variants": ["TILFORD VILLAGE"]},
]

STREET_TYPES = {"ROAD", "STREET", "LANE", "AVENUE", "CLOSE", "CRESCENT", "GARDENS", "TERRACE", "DRIVE", "PLACE",
                "SQUARE", "COURT", "GROVE", "PARADE", "WALK", "WAY", "RISE", "VIEW", "MEWS", "ROW", "HILL", "GREEN",
                "YARD", "DROVE", "END"}
NAMES = {
    "terrace": (["CROMWELL", "GLADSTONE", "PALMERSTON", "ALMA", "INKERMAN", "SEBASTOPOL", "BALACLAVA", "WELLESLEY",
                 "NAPIER", "HAVELOCK", "RAGLAN", "CARDIGAN", "CLARENCE", "ALBANY", "PEEL", "DERWENT", "TENNYSON",
                 "RUSKIN", "BRUNEL", "ARKWRIGHT", "CORONATION", "ALEXANDRA", "ST AIDANS", "ST PAULS", "ST JOHNS",
                 "ST BEDES", "QUEENS", "KINGS", "PRINCES", "WHARF", "FOUNDRY", "CANAL", "TANNERY", "DYEHOUSE",
                 "ROPERY", "BETHEL", "ZION", "MAFEKING", "LADYSMITH", "KIMBERLEY", "HARTINGTON", "DEVONSHIRE",
                 "LONSDALE", "SALISBURY", "MELBOURNE", "OTTAWA", "COBDEN", "ELDON", "HAROLD", "EDITH", "MABEL",
                 "BEATRICE", "UPPER BRIDGE", "LOWER BRIDGE", "NORTH", "GREAT EASTERN", "LITTLE LONDON"],
                [("STREET", 4), ("ROAD", 3), ("TERRACE", 2), ("PLACE", 1), ("ROW", 1), ("GROVE", 1)]),
    "suburban": (["BLACKTHORN", "WOODLANDS", "GREENFIELD", "BROOKSIDE", "FERNDALE", "HILLCREST", "MEADOWBANK",
                  "WESTFIELD", "OAKWOOD", "BEECHWOOD", "HOLLYBANK", "PARKSIDE", "SUNNYSIDE", "WHITACRE", "LINDEN",
                  "LABURNUM", "ROWAN", "HAWTHORN", "CHESTNUT", "SYCAMORE", "MAGNOLIA", "JUNIPER", "HORNBEAM",
                  "WYCHWOOD", "ELMHURST", "RAVENSCROFT", "FAIRWAY", "GLEBE", "ORCHARD", "MANOR", "GRANGE", "PRIORY",
                  "ABBEY", "BISHOPS", "QUEEN ADELAIDE", "SIR JOHN MOORE", "GREEN HILL", "LONG ACRE", "BUTTS"],
                 [("AVENUE", 3), ("DRIVE", 3), ("GARDENS", 2), ("CRESCENT", 2), ("ROAD", 3), ("WAY", 2), ("RISE", 1),
                  ("GROVE", 1)]),
    "estate": (["SANDPIPER", "KITTIWAKE", "GOLDCREST", "OSPREY", "TURNSTONE", "WHIMBREL", "CURLEW", "MERLIN",
                "SHEARWATER", "GUILLEMOT", "DUNLIN", "PLOVER", "AVOCET", "STONECHAT", "FIELDFARE", "REDSHANK",
                "YELLOWHAMMER", "NIGHTJAR", "KINGFISHER", "HERON", "CORMORANT", "MALLARD", "TEAL", "WIGEON",
                "LAPWING", "BITTERN", "SISKIN", "LINNET"],
               [("CLOSE", 2), ("WAY", 3), ("DRIVE", 2), ("ROAD", 1), ("MEWS", 1), ("GARDENS", 1), ("VIEW", 1),
                ("GROVE", 1)]),
    "close": (["COOPERS", "FLETCHERS", "CHANDLERS", "WHEELWRIGHTS", "FARRIERS", "MALTSTERS", "SADDLERS", "TANNERS",
               "THATCHERS", "MASONS", "GLOVERS", "CORDWAINERS", "POTTERS", "WEAVERS", "DYERS", "ABBOTS", "PRIORS",
               "DEANS", "CANONS", "PILGRIMS", "FRIARS", "ST HELENS", "ST LUKES", "ST ANNES"],
              [("CLOSE", 5), ("YARD", 1), ("MEWS", 1), ("COURT", 2), ("END", 1)]),
    "rural": (["MILL", "SCHOOL", "POUND", "GALLOWS", "WATER", "PEASE", "HOLLOW", "STOCKS", "FURZE", "WINDMILL",
               "BRICK KILN", "DROVERS", "SHEEPWASH", "PACKHORSE", "TOLL GATE", "SALTERS", "HOLLY BUSH", "CROSS",
               "OLD MILL", "NETHER", "FOLLY", "PIGEON HOUSE", "LIMEKILN", "CHALKPIT", "HARE", "BADGERS", "CUCKOO",
               "COLDHARBOUR", "WHINNY"],
              [("LANE", 6), ("ROAD", 1), ("HILL", 1), ("DROVE", 1)]),
    "mansions": (["ALBERT", "MONTAGUE", "ARGYLE", "BUCCLEUCH", "SPOTTISWOODE", "LIVINGSTONE", "WARRISTON", "LAUDER",
                  "THIRLESTANE", "MELVILLE", "MARCHMONT", "BRUNTSFIELD"],
                 [("CRESCENT", 2), ("TERRACE", 2), ("STREET", 1), ("PLACE", 1), ("ROAD", 1), ("GARDENS", 1)]),
}
TYPELESS = {"rural": ["THE STREET", "THE GREEN", "THE HOLLOW", "TOWNSEND", "BRIDGE END", "CHURCH END", "TOP ROAD",
                      "THE CAUSEWAY"],
            "high": ["MARKET PLACE", "BRIDGE STREET", "FORE STREET", "NORTHGATE", "FRIARGATE", "SHEEP STREET",
                     "CHEAPSIDE", "THE SHAMBLES", "CORNHILL", "BULL RING"],
            "terrace": ["ROPEWALK", "THE CRESCENT", "WATERSIDE"]}
INDUSTRIAL = (["ALDER", "FOUNDRY", "GASWORKS", "RAILWAY", "CANAL", "TANNERY", "BRICKFIELD", "WHARF", "MALTINGS",
               "SAWMILL", "ENTERPRISE", "MERIDIAN"], [("ROAD", 3), ("WAY", 2), ("LANE", 1), ("STREET", 1)])
ESTATE_NAMES = ["{} INDUSTRIAL ESTATE", "{} BUSINESS PARK", "{} TRADING ESTATE", "{} ENTERPRISE CENTRE",
                "{} WORKSHOPS"]
SHARED = [("STATION ROAD", "terrace"), ("CHURCH LANE", "rural"), ("MILL LANE", "suburban"), ("SCHOOL LANE", "rural"),
          ("ST MARYS ROAD", "terrace"), ("THE GREEN", "rural"), ("NEW ROAD", "terrace"), ("WEST STREET", "terrace"),
          ("CHURCH ROAD", "suburban"), ("VICTORIA ROAD", "terrace")]
NEW_STREETS = ["FOXGLOVE WAY", "CHIFFCHAFF DRIVE", "BRICKWORKS LANE", "SAXON FIELDS", "ORCHID CLOSE", "HARVEST RISE",
               "MILLSTREAM WAY", "CELANDINE ROAD", "SKYLARK AVENUE", "THE PADDOCKS", "JUBILEE FIELDS", "WREN GARDENS",
               "BUTTERCUP MEADOW", "PEREGRINE ROAD", "QUARRY VIEW", "GASWORKS LANE"]
HOUSE_NAMES = ["ROSE COTTAGE", "THE OLD FORGE", "THE OLD SCHOOL HOUSE", "WILLOW BANK", "HILLCREST",
               "APPLE TREE COTTAGE", "MEADOWSIDE", "THE GRANARY", "GREYSTONES", "WHITE GATES", "THE LODGE", "OAKLANDS",
               "ST ANNES", "THE OLD RECTORY", "SUNNYSIDE", "HOLLY HOUSE", "BRAMBLES", "LITTLE ORCHARD", "THE LAURELS",
               "FERN BANK", "CHURCH VIEW", "WOODSIDE", "THE BEECHES", "MAYFIELD", "KIRKSTONE", "ASHCROFT",
               "THE OLD BAKERY", "THE OLD POST OFFICE", "PEAR TREE HOUSE", "BRIAR COTTAGE", "HONEYSUCKLE COTTAGE",
               "IVY HOUSE", "THE HOLLIES", "WESTWARD HO", "DUNROAMIN", "TREETOPS", "THE NOOK", "GLEN VIEW",
               "BRACKENDALE", "LARCHMONT", "SEAVIEW", "FIELD HOUSE", "YEW TREE COTTAGE", "WAGTAILS", "OWLS ROOST",
               "STABLE COTTAGE", "THE COACH HOUSE", "TOLL HOUSE", "MILL HOUSE", "LOCK KEEPERS COTTAGE",
               "SMITHY COTTAGE", "ORCHARD END", "CHERRY TREES", "TY NEWYDD", "HAZELMERE", "BEECH HOUSE", "ELM LODGE",
               "THE MANSE", "ST KILDA", "BRYN ISAF", "THE WHITE HOUSE", "GREENACRES", "NUMBER NINE", "JASMINE COTTAGE",
               "SWALLOWS"]
ROW_NAMES = ["MILL", "COASTGUARD", "RAILWAY", "CHURCH", "ESTATE", "SCHOOL", "FOREST", "KEEPERS", "JUBILEE",
             "WATERWORKS", "ALMSHOUSE", "VICTORIA"]
FARM_NAMES = ["CHURCH FARM", "MANOR FARM", "HILL FARM", "GREEN FARM", "BROOK FARM", "LOWER HOUSE FARM",
              "GRANGE FARM", "HOME FARM"]
FARM_UNITS = ["FARM HOUSE", "THE GRANARY", "THE OLD DAIRY", "BARN COTTAGE", "THE STABLES", "THE BYRE"]
BLOCK_NAMES = ["KESTREL COURT", "CORDWAINER HOUSE", "THE MALTINGS", "FLAX MILL", "TELFORD HOUSE", "MERIDIAN POINT",
               "ST CLEMENTS COURT", "WHARFSIDE", "THE OLD BREWERY", "ALDERNEY HOUSE", "JUBILEE COURT", "SWALLOW HOUSE",
               "LINDEN LODGE", "PRIORY COURT", "BEAUMONT HOUSE", "SOVEREIGN HOUSE", "HARBOUR VIEW", "MARINER HOUSE",
               "ORCHARD HOUSE", "ASHDOWN COURT", "KINGFISHER HOUSE", "ROPEMAKERS COURT", "CHANCERY HOUSE", "QUAYSIDE",
               "THE COOPERAGE", "ST AIDANS HOUSE", "CASTLE MEWS", "NORTHGATE HOUSE", "PORTLAND COURT", "THE ARCADE",
               "FOUNDRY WHARF", "SANDHAVEN HOUSE", "CHAPEL COURT", "HOLLY LODGE"]
OFFICE_NAMES = ["VICTORIA HOUSE", "CHARTER HOUSE", "MERCIA HOUSE", "EQUITY HOUSE", "CARLTON CHAMBERS", "BANK CHAMBERS",
                "EXCHANGE BUILDINGS", "CORN EXCHANGE", "MASONIC HALL", "REGENT HOUSE", "BRIDGE HOUSE", "CROWN HOUSE"]
PUBS = ["THE RED LION", "THE KINGS HEAD", "THE WHEATSHEAF", "THE ROSE AND CROWN", "THE BLACK HORSE", "THE PLOUGH",
        "THE GREYHOUND", "THE SHIP INN", "THE BELL", "THE WHITE HART", "THE COACH AND HORSES", "THE QUEENS ARMS",
        "THE FLEECE", "THE SWAN", "THE MILLERS ARMS"]
CHURCHES = ["ST PETERS CHURCH", "ST ANDREWS CHURCH", "METHODIST CHURCH", "BAPTIST CHAPEL", "ST MARYS CHURCH HALL",
            "UNITED REFORMED CHURCH", "KINGDOM HALL"]
SURNAMES = ["PATEL", "CHEN", "KOWALSKI", "OKAFOR", "MURPHY", "SINGH", "AHMED", "DAVIES", "COSTAS", "ROSSI", "YILMAZ",
            "NGUYEN", "BAKER", "HUGHES", "O'NEILL", "MACLEOD", "AKHTAR", "BRENNAN", "NOWAK", "EVANS"]
TRADES = {"CR": ["NEWSAGENTS", "FISH BAR", "TAKEAWAY", "HAIR STUDIO", "PHARMACY", "BUTCHERS", "BAKERY", "FLORIST",
                 "CAFE", "ESTATE AGENTS", "BARBERS", "NAIL BAR", "OPTICIANS", "CONVENIENCE STORE", "KEBAB HOUSE",
                 "DRY CLEANERS", "TAILORS", "PIZZA", "NOODLE BAR", "CARPETS", "VAPE LOUNGE", "DELI"],
          "CO": ["ACCOUNTANTS", "& PARTNERS SOLICITORS", "LETTINGS", "INSURANCE BROKERS", "RECRUITMENT LTD",
                 "DENTAL PRACTICE", "ARCHITECTS", "FINANCIAL SERVICES"],
          "CI": ["MOTORS", "JOINERY", "PRINTERS", "ENGINEERING", "TYRES", "UPHOLSTERY"]}
CARE_OF = ["C/O MRS J OKAFOR", "C/O MR & MRS PATEL", "c/o Ms D Williams", "CARE OF MR A NOWAK", "C/O HOLBECK HOUSING",
           "c/o the landlord", "C/O MISS K EVANS", "C/O MR R SINGH (SON)"]
SPLITS = {"BLACKTHORN": "BLACK THORN", "WOODLANDS": "WOOD LANDS", "GREENFIELD": "GREEN FIELD",
          "BROOKSIDE": "BROOK SIDE", "HILLCREST": "HILL CREST", "MEADOWBANK": "MEADOW BANK", "WESTFIELD": "WEST FIELD",
          "NORTHGATE": "NORTH GATE", "FRIARGATE": "FRIAR GATE", "ROPEWALK": "ROPE WALK", "SANDHAVEN": "SAND HAVEN",
          "MARCHFORD": "MARCH FORD", "KINGFISHER": "KING FISHER", "GOLDCREST": "GOLD CREST",
          "YELLOWHAMMER": "YELLOW HAMMER", "FIELDFARE": "FIELD FARE", "STONECHAT": "STONE CHAT",
          "TURNSTONE": "TURN STONE", "SHEARWATER": "SHEAR WATER", "COLDHARBOUR": "COLD HARBOUR",
          "CHEAPSIDE": "CHEAP SIDE", "CORNHILL": "CORN HILL", "WHARFSIDE": "WHARF SIDE", "QUAYSIDE": "QUAY SIDE",
          "SUNNYSIDE": "SUNNY SIDE", "GREYSTONES": "GREY STONES", "OAKLANDS": "OAK LANDS", "FERNDALE": "FERN DALE",
          "PARKSIDE": "PARK SIDE", "BEECHWOOD": "BEECH WOOD", "HOLLYBANK": "HOLLY BANK", "OAKWOOD": "OAK WOOD",
          "WATERSIDE": "WATER SIDE", "TOWNSEND": "TOWNS END", "WINDMILL": "WIND MILL", "LIMEKILN": "LIME KILN",
          "SHEEPWASH": "SHEEP WASH", "PACKHORSE": "PACK HORSE", "DYEHOUSE": "DYE HOUSE", "TREETOPS": "TREE TOPS",
          "ELMHURST": "ELM HURST", "WYCHWOOD": "WYCH WOOD", "HAZELMERE": "HAZEL MERE", "CHALKPIT": "CHALK PIT",
          "WHITACRE": "WHIT ACRE", "RAVENSCROFT": "RAVENS CROFT", "ASHCROFT": "ASH CROFT"}
JOINABLE_TYPES = {"WAY", "SIDE", "GATE", "WALK"}
ABBREV = {"ROAD": ["RD", "RD."], "STREET": ["ST", "STR", "ST."], "AVENUE": ["AVE", "AV"], "LANE": ["LN"],
          "CLOSE": ["CL", "CLS"], "CRESCENT": ["CRES", "CRESC"], "GARDENS": ["GDNS", "GARDS"],
          "TERRACE": ["TERR", "TCE"], "DRIVE": ["DR", "DRV"], "PLACE": ["PL"], "SQUARE": ["SQ"],
          "COURT": ["CT", "CRT"], "GROVE": ["GR", "GRV"], "PARADE": ["PDE"], "WALK": ["WLK"], "HOUSE": ["HSE", "HO"],
          "COTTAGE": ["COTT", "CTG"],
          "COTTAGES": ["COTTS"], "UPPER": ["UPR"], "LOWER": ["LWR"], "NORTH": ["NTH", "N"], "WEST": ["W"],
          "GREAT": ["GT"], "LITTLE": ["LT", "LTL"], "FLAT": ["FLT"], "FLOOR": ["FLR"], "GROUND": ["GRD", "GND"],
          "FIRST": ["1ST"], "SECOND": ["2ND"], "APARTMENT": ["APT"], "MARKET": ["MKT"], "STATION": ["STN"],
          "CHURCH": ["CH"], "FARM": ["FM"], "MEWS": ["MWS"], "CHAMBERS": ["CHBRS"], "BUILDINGS": ["BLDGS"],
          "MAGNA": ["MAG"]}
POSSESSIVE = {"KINGS", "QUEENS", "PRINCES", "BISHOPS", "ABBOTS", "COOPERS", "FLETCHERS", "CHANDLERS", "WHEELWRIGHTS",
              "FARRIERS", "MALTSTERS", "SADDLERS", "TANNERS", "THATCHERS", "MASONS", "GLOVERS", "POTTERS", "WEAVERS",
              "DYERS", "PRIORS", "DEANS", "CANONS", "PILGRIMS", "FRIARS", "SALTERS", "DROVERS", "BADGERS", "KEEPERS",
              "MILLERS", "ROPEMAKERS", "OWLS", "RAVENS"}
KEYBOARD = ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"]
QUALIFIERS = {"UPPER", "LOWER", "GREAT", "LITTLE", "NORTH", "SOUTH", "EAST", "WEST", "OLD", "ST", "THE", "SIR", "QUEEN"}
BLOCK_WORDS = {"COURT", "HOUSE", "LODGE", "POINT", "MEWS", "CHAMBERS", "BUILDINGS"}
ORDINAL = {0: "GROUND", 1: "FIRST", 2: "SECOND", 3: "THIRD", 4: "FOURTH"}
SHORT_ORDINAL = {0: "GRD", 1: "1ST", 2: "2ND", 3: "3RD", 4: "4TH"}
FLOOR_FLATS = ["BASEMENT FLAT", "GROUND FLOOR FLAT", "FIRST FLOOR FLAT", "SECOND FLOOR FLAT", "THIRD FLOOR FLAT"]
RESIDENTIAL = {"RD02", "RD03", "RD04", "RD06"}
NON_DELIVERY = {"PP", "PS", "CU01", "CU11", "CT01", "LD01"}

AGENCIES = {
    # share of records, share with a main error, share describing an address the gazetteer lacks
    "council_tax": {"share": 0.30, "error": 0.30, "absent": 0.08,
                    "absent_kinds": {"infill": 25, "flat_in_house": 25, "flat_past_last": 15, "new_street": 20,
                                     "new_build": 15},
                    "classes": {"subunit_format": 6, "subunit_missing": 4, "number_format": 4, "wrong_number": 2,
                                "wrong_flat": 2, "dropped_word": 3, "joined_words": 2, "split_word": 1, "typo": 6,
                                "abbreviation": 5, "apostrophe_saint": 2, "postcode_missing": 3, "postcode_in_text": 1,
                                "postcode_wrong_unit": 4, "postcode_wrong_sector": 2, "postcode_typed_o": 1,
                                "town_missing": 4, "county_added": 3, "locality_as_town": 3, "order_changed": 2,
                                "name_for_number": 4, "extra_house_name": 3, "care_of": 1, "flat_as_house_number": 1,
                                "above_rear": 1}},
    "electoral_register": {"share": 0.25, "error": 0.35, "absent": 0.09,
                           "absent_kinds": {"infill": 25, "flat_in_house": 25, "flat_past_last": 15, "new_street": 20,
                                            "new_build": 15},
                           "classes": {"subunit_format": 5, "subunit_missing": 3, "number_format": 3,
                                       "wrong_number": 2, "wrong_flat": 2, "dropped_word": 3, "joined_words": 1,
                                       "split_word": 1, "typo": 4, "abbreviation": 3, "apostrophe_saint": 4,
                                       "postcode_missing": 2, "postcode_wrong_unit": 3, "postcode_wrong_sector": 1,
                                       "postcode_typed_o": 1, "town_missing": 3, "county_added": 4,
                                       "locality_as_town": 5, "order_changed": 2, "name_for_number": 6,
                                       "extra_house_name": 5, "flat_as_house_number": 7, "above_rear": 1}},
    "housing_benefit": {"share": 0.15, "error": 0.62, "absent": 0.12,
                        "absent_kinds": {"infill": 20, "flat_in_house": 35, "flat_past_last": 15, "new_street": 15,
                                         "new_build": 15},
                        "classes": {"subunit_format": 10, "subunit_missing": 6, "number_format": 5, "wrong_number": 3,
                                    "wrong_flat": 3, "dropped_word": 3, "joined_words": 3, "split_word": 2, "typo": 9,
                                    "abbreviation": 5, "apostrophe_saint": 3, "postcode_missing": 6,
                                    "postcode_in_text": 5, "postcode_wrong_unit": 4, "postcode_wrong_sector": 3,
                                    "postcode_typed_o": 3, "town_missing": 4, "county_added": 1, "locality_as_town": 2,
                                    "order_changed": 5, "name_for_number": 2, "extra_house_name": 1, "care_of": 7,
                                    "flat_as_house_number": 2, "above_rear": 3}},
    "environmental_health": {"share": 0.15, "error": 0.58, "absent": 0.15,
                             "absent_kinds": {"land": 15, "garage": 10, "commercial": 25, "new_street": 15,
                                              "flat_in_house": 15, "infill": 10, "new_build": 10},
                             "classes": {"business_name": 14, "above_rear": 5, "subunit_format": 7,
                                         "subunit_missing": 6, "number_format": 3, "wrong_number": 3, "wrong_flat": 1,
                                         "dropped_word": 3, "joined_words": 2, "split_word": 1, "typo": 8,
                                         "abbreviation": 5, "apostrophe_saint": 2, "postcode_missing": 6,
                                         "postcode_in_text": 6, "postcode_wrong_unit": 3, "postcode_wrong_sector": 2,
                                         "postcode_typed_o": 2, "town_missing": 4, "county_added": 1,
                                         "locality_as_town": 2, "order_changed": 4, "name_for_number": 3}},
    "business_rates": {"share": 0.15, "error": 0.42, "absent": 0.16,
                       "absent_kinds": {"land": 25, "garage": 30, "commercial": 35, "new_street": 10},
                       "classes": {"subunit_format": 10, "abbreviation": 9, "business_name": 4, "subunit_missing": 5,
                                   "number_format": 4, "wrong_number": 2, "dropped_word": 2, "joined_words": 1,
                                   "typo": 4, "apostrophe_saint": 2, "postcode_missing": 2, "postcode_wrong_unit": 3,
                                   "postcode_wrong_sector": 2, "postcode_typed_o": 1, "town_missing": 2,
                                   "county_added": 4, "locality_as_town": 2, "order_changed": 3, "name_for_number": 3,
                                   "above_rear": 2}},
}
STYLES = {"council_tax": {"case": "upper", "sep": ", ", "pc": "col"},
          "electoral_register": {"case": "title", "sep": ", ", "pc": "col"},
          "housing_benefit": {"case": "mixed", "sep": "mixed", "pc": "col"},
          "environmental_health": {"case": "title", "sep": ", ", "pc": "col"},
          "business_rates": {"case": "upper", "sep": ", ", "pc": "both"}}


# ---------------------------------------------------------------------------------------------------------------
# gazetteer


def _pick(rng, items):
    return items[int(rng.integers(len(items)))]


def _weighted(rng, weights: dict):
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _street_names(rng, town, kinds_count):
    """(name, kind) for one town: one HIGH STREET, some names shared with other towns, the rest drawn
    from kind-flavoured stems and types."""
    used, out = set(), []

    def add(name, kind):
        used.add(name)
        out.append((name, kind))

    add("HIGH STREET", "high")
    kinds_count = dict(kinds_count)
    kinds_count["high"] -= 1
    for name, kind in SHARED:
        if kinds_count.get(kind, 0) > 0 and rng.random() < 0.45:
            add(name, kind)
            kinds_count[kind] -= 1
    for kind, count in kinds_count.items():
        for _ in range(max(count, 0)):
            for _attempt in range(50):
                if kind in TYPELESS and rng.random() < 0.12 or kind == "high":
                    name = _pick(rng, TYPELESS.get(kind, TYPELESS["high"]))
                else:
                    stems, types = INDUSTRIAL if kind == "industrial" else NAMES[kind]
                    stem = _pick(rng, stems)
                    stype = _weighted(rng, dict(types))
                    name = f"{stem} {stype}"
                if name not in used:
                    add(name, kind)
                    break
    return out


def _house_cls(rng, kind):
    if kind in ("terrace", "high", "mansions"):
        return "RD04"
    if kind == "rural":
        return _weighted(rng, {"RD02": 7, "RD03": 2, "RD04": 1})
    return _weighted(rng, {"RD02": 3, "RD03": 5, "RD04": 2})


def _conversion(rng, style, k):
    if style == "floors":
        floors = FLOOR_FLATS[1:1 + k] if k <= 3 else FLOOR_FLATS[:k]
        return [(s, "RD06") for s in floors]
    if style == "letters":
        return [(f"FLAT {chr(65 + i)}", "RD06") for i in range(k)]
    return [(f"FLAT {i + 1}", "RD06") for i in range(k)]


def _building(pnum=None, pname=None, cls="RD04", units=None, side=0, pos=0.0, bcls="PP"):
    return {"pnum": pnum, "pname": pname, "cls": bcls if units else cls, "units": units or [], "side": side,
            "pos": pos}


def _terrace(rng, used_names):
    top = int(rng.integers(60, 196))
    frontage = rng.uniform(5.0, 7.0)
    style = _weighted(rng, {"floors": 5, "letters": 2, "numbers": 3})
    rate = rng.uniform(0.08, 0.36)
    skip13 = rng.random() < 0.35
    out = []
    for num in range(1, top + 1):
        if (skip13 and num == 13) or rng.random() < 0.02:
            continue
        pos = ((num + 1) // 2) * frontage
        if rng.random() < rate:
            k = int(_pick(rng, [2, 2, 2, 3, 3, 4]))
            s = style if rng.random() < 0.8 else _pick(rng, ["floors", "letters", "numbers"])
            out.append(_building(str(num), units=_conversion(rng, s, k), side=num % 2, pos=pos))
        else:
            pname = _fresh_name(rng, used_names) if rng.random() < 0.03 else None
            out.append(_building(str(num), pname, "RD04", side=num % 2, pos=pos))
        if rng.random() < 0.025:
            out.append(_building(f"{num}A", None, "RD04", side=num % 2, pos=pos + frontage / 2))
    return out


def _fresh_name(rng, used):
    for _ in range(30):
        name = _pick(rng, HOUSE_NAMES)
        if name not in used:
            used.add(name)
            return name
    return None


def _suburban(rng, used_names):
    top = int(rng.integers(36, 176))
    frontage = rng.uniform(8.0, 13.0)
    out = []
    for num in range(1, top + 1):
        if rng.random() < 0.03:
            continue
        pos = ((num + 1) // 2) * frontage
        cls = _house_cls(rng, "suburban")
        if rng.random() < 0.04:
            out.append(_building(str(num), units=_conversion(rng, "floors", 2), side=num % 2, pos=pos))
        else:
            pname = _fresh_name(rng, used_names) if rng.random() < 0.12 else None
            out.append(_building(str(num), pname, cls, side=num % 2, pos=pos))
        r = rng.random()
        if r < 0.035:
            out.append(_building(f"{num}A", None, cls, side=num % 2, pos=pos + frontage / 2))
        elif r < 0.05:
            name = _fresh_name(rng, used_names)
            if name:
                out.append(_building(None, name, "RD02", side=num % 2, pos=pos + frontage / 2))
    return out


def _close(rng, used_names):
    n = int(min(4 + rng.gamma(2.0, 7.0), 40))  # many short cul-de-sacs, a few long ones
    frontage = rng.uniform(9.0, 14.0)
    named = rng.random() < 0.15
    out = []
    for i in range(1, n + 1):
        cls = _house_cls(rng, "close")
        if named:
            name = _fresh_name(rng, used_names)
            if name:
                out.append(_building(None, name, "RD02", pos=i * frontage))
            continue
        pname = _fresh_name(rng, used_names) if rng.random() < 0.15 else None
        out.append(_building(str(i), pname, cls, pos=i * frontage))
    return out


def _rural(rng, used_names):
    out, pos = [], 0.0
    for _ in range(int(rng.integers(5, 26))):
        pos += rng.uniform(30.0, 120.0)
        r = rng.random()
        if r < 0.08:
            farm = _pick(rng, FARM_NAMES)
            if farm in used_names:
                continue
            used_names.add(farm)
            k = int(rng.integers(2, 5))
            units = [(u, "RD02") for u in FARM_UNITS[:k]]
            out.append(_building(None, farm, units=units, pos=pos))
        elif r < 0.16:
            row = f"{_pick(rng, ROW_NAMES)} COTTAGES"
            if row in used_names:
                continue
            used_names.add(row)
            for k in range(1, int(rng.integers(2, 7))):
                out.append(_building(None, f"{k} {row}", "RD04", pos=pos + 6.0 * k))
        elif r < 0.3:
            pname = _fresh_name(rng, used_names) if rng.random() < 0.5 else None
            out.append(_building(str(int(rng.integers(1, 40))), pname, "RD02", pos=pos))
        else:
            name = _fresh_name(rng, used_names)
            if name:
                out.append(_building(None, name, _house_cls(rng, "rural"), pos=pos))
    seen, uniq = set(), []
    for b in out:  # a number drawn twice on a lane: keep the first
        key = (b["pnum"], b["pname"])
        if key not in seen:
            seen.add(key)
            uniq.append(b)
    return uniq


def _high(rng, used_names, block_names):
    top = int(rng.integers(24, 90))
    frontage = rng.uniform(6.0, 9.0)
    out = []
    num = 0
    while num < top:
        num += 1
        side, pos = num % 2, ((num + 1) // 2) * frontage
        kind = _weighted(rng, {"shop_flat": 28, "shop_a": 13, "shop": 24, "office": 6, "pub": 3, "named_block": 5,
                               "numbered_block": 5, "range": 3, "house": 10, "church": 1, "cafe": 2})
        pnum = str(num)
        if kind == "shop_flat":
            units = [("GROUND FLOOR", _pick(rng, ["CR08", "CR08", "CR07", "CR10"]))]
            above = _weighted(rng, {"one": 5, "two": 2, "office": 1})
            if above == "one":
                units.append(("FIRST FLOOR FLAT", "RD06"))
                if rng.random() < 0.25:
                    units.append(("SECOND FLOOR FLAT", "RD06"))
            elif above == "two":
                units += [("FLAT 1", "RD06"), ("FLAT 2", "RD06")]
            else:
                units.append(("FIRST FLOOR", "CO01"))
            if rng.random() < 0.2:
                units.append(("REAR WORKSHOP", "CI03"))
            out.append(_building(pnum, units=units, side=side, pos=pos))
        elif kind == "shop_a":
            out.append(_building(pnum, None, "CR08", side=side, pos=pos))
            out.append(_building(f"{num}A", None, "RD06", side=side, pos=pos + 0.5))
        elif kind in ("shop", "cafe"):
            out.append(_building(pnum, None, "CR08" if kind == "shop" else "CR07", side=side, pos=pos))
        elif kind == "office":
            name = _fresh_from(rng, OFFICE_NAMES, used_names)
            if rng.random() < 0.5:
                units = [(f"SUITE {i}", "CO01") for i in range(1, int(rng.integers(3, 9)))]
            else:
                units = [(f"{ORDINAL[i]} FLOOR", "CO01") for i in range(int(rng.integers(2, 4)))]
            out.append(_building(pnum, name, units=units, side=side, pos=pos))
        elif kind == "pub":
            out.append(_building(pnum, _fresh_from(rng, PUBS, used_names), "CR06", side=side, pos=pos))
        elif kind == "named_block":
            name = _fresh_from(rng, BLOCK_NAMES, block_names)
            units = [(f"FLAT {i}", "RD06") for i in range(1, int(rng.integers(4, 18)))]
            out.append(_building(pnum if rng.random() < 0.7 else None, name, units=units, side=side, pos=pos))
        elif kind == "numbered_block":
            units = [(f"FLAT {i}", "RD06") for i in range(1, int(rng.integers(3, 13)))]
            out.append(_building(pnum, units=units, side=side, pos=pos))
        elif kind == "range":
            out.append(_building(f"{num}-{num + 2}", None, "CR08", side=side, pos=pos + frontage / 2))
            num += 2
        elif kind == "church":
            out.append(_building(None, _fresh_from(rng, CHURCHES, used_names), "ZW99CH", side=side, pos=pos))
        else:
            out.append(_building(pnum, None, "RD04", side=side, pos=pos))
    return out


def _fresh_from(rng, pool, used):
    for _ in range(40):
        name = _pick(rng, pool)
        if name not in used:
            used.add(name)
            return name
    return None


def _estate(rng, used_names, block_names):
    n = int(rng.integers(24, 110))
    frontage = rng.uniform(7.0, 11.0)
    odd_even = rng.random() < 0.6
    out = []
    num = 0
    n_blocks = int(_pick(rng, [0, 1, 1, 2, 2, 3, 4]))
    block_at = set(int(x) for x in rng.integers(1, n + 1, size=n_blocks))
    while num < n:
        num += 1
        side = num % 2 if odd_even else 0
        pos = (((num + 1) // 2) if odd_even else num) * frontage
        if num in block_at:
            k = int(rng.integers(8, 42))
            label = "APARTMENT" if rng.random() < 0.3 else "FLAT"
            units = [(f"{label} {i}", "RD06") for i in range(1, k + 1)]
            if rng.random() < 0.6:
                name = _fresh_from(rng, BLOCK_NAMES, block_names)
                out.append(_building(str(num) if rng.random() < 0.5 else None, name, units=units, side=side, pos=pos))
            else:
                out.append(_building(str(num), units=units, side=side, pos=pos))
            continue
        out.append(_building(str(num), None, _house_cls(rng, "estate"), side=side, pos=pos))
    return out


def _industrial(rng, street):
    """Business parks of numbered units, and stand-alone works with their own street numbers."""
    out, pos = [], 0.0
    stem = street.split()[0]
    for k in range(int(rng.integers(1, 3))):
        pos += rng.uniform(40.0, 120.0)
        lead = stem if k == 0 else f"{_pick(rng, ['NORTH', 'SOUTH', 'NEW', 'OLD'])} {stem}"
        name = ESTATE_NAMES[int(rng.integers(len(ESTATE_NAMES)))].format(lead)
        units = [(f"UNIT {i}", _weighted(rng, {"CI03": 4, "CI04": 3, "CO01": 2, "CR08": 1}))
                 for i in range(1, int(rng.integers(6, 26)))]
        out.append(_building(str(2 * k + 1) if rng.random() < 0.4 else None, name, units=units, side=1, pos=pos))
    for num in range(2, int(rng.integers(8, 40)), 2):
        pos = num * 20.0
        out.append(_building(str(num), None, _weighted(rng, {"CI01": 2, "CI04": 3, "CO01": 1, "CR08": 1}), side=0,
                             pos=pos))
    return out


def _mansions(rng):
    top = int(rng.integers(8, 34))
    frontage = rng.uniform(12.0, 18.0)
    out = []
    for num in range(1, top + 1):
        side, pos = num % 2, ((num + 1) // 2) * frontage
        r = rng.random()
        if r < 0.12:
            out.append(_building(str(num), None, "RD04", side=side, pos=pos))
            continue
        floors, per = int(rng.integers(3, 6)), int(_pick(rng, [2, 2, 3]))
        if r < 0.35:  # refurbished and renumbered 1..n
            units = [(f"FLAT {i}", "RD06") for i in range(1, floors * per + 1)]
        else:
            units = [(f"{'G' if f == 0 else f}F{p}", "RD06") for f in range(floors) for p in range(1, per + 1)]
        out.append(_building(str(num), units=units, side=side, pos=pos))
    return out


def _non_addressable(rng, buildings):
    numbered = [b for b in buildings if b["pnum"] and b["pnum"].isdigit()]
    out = []
    if not numbered:
        return out
    r = rng.random()
    ref = _pick(rng, numbered)
    if r < 0.10:
        out.append(_building(None, f"ELECTRICITY SUB STATION ADJACENT TO {ref['pnum']}", "CU01", side=ref["side"],
                             pos=ref["pos"] + 3.0))
    elif r < 0.14:
        out.append(_building(None, f"TELEPHONE KIOSK OUTSIDE {ref['pnum']}", "CU11", side=ref["side"],
                             pos=ref["pos"] + 1.0))
    elif r < 0.18:
        out.append(_building(None, _pick(rng, ["PUBLIC CAR PARK", f"CAR PARK REAR OF {ref['pnum']}"]), "CT01",
                             side=ref["side"], pos=ref["pos"] + 10.0))
    elif r < 0.21:
        out.append(_building(None, f"DEVELOPMENT SITE AT {ref['pnum']}", "LD01", side=ref["side"],
                             pos=ref["pos"] + 5.0))
    return out


def _district(town, x, y):
    cx, cy = town["centre"]
    r = np.hypot(x - cx, y - cy)
    name = town["name"]
    if name == "MARCHFORD":
        return "EB1" if r < 0.45 * town["radius"] else ("EB2" if y >= cy else "EB3")
    if name == "HOLBECK-ON-SEA":
        return "EB10" if x >= cx else "EB14"
    return "EB16" if name == "STANWELL MAGNA" else "EB7"


PLACEMENT = {"high": (0.0, 0.3), "industrial": (0.6, 1.1), "terrace": (0.05, 0.65), "mansions": (0.05, 0.4),
             "suburban": (0.3, 0.95),
             "estate": (0.5, 1.05), "close": (0.3, 1.0), "rural": (0.8, 1.35)}


def make_gazetteer(n_streets: int = 170, seed: int = 11) -> pd.DataFrame:
    """A district gazetteer: one row per UPRN with a single-line BS 7666 address (see module doc)."""
    rng = np.random.default_rng(seed)
    streets = []
    counts = _town_counts(n_streets)
    usrn = 38_500_000 + int(rng.integers(0, 9000)) * 10
    for town, n_town in zip(TOWNS, counts):
        kinds = town["kinds"]
        total = sum(kinds.values())
        kc = {k: int(round(v * n_town / total)) for k, v in kinds.items()}
        kc["high"] = max(kc["high"], 1)
        while sum(kc.values()) > n_town:
            big = max(kc, key=kc.get)
            kc[big] -= 1
        while sum(kc.values()) < n_town:
            kc["suburban"] += 1
        for name, kind in _street_names(rng, town, kc):
            usrn += int(rng.integers(1, 40))
            lo, hi = PLACEMENT[kind]
            r = town["radius"] * np.sqrt(rng.uniform(lo * lo, hi * hi))
            ang = rng.uniform(0, 2 * np.pi)
            cx, cy = town["centre"]
            x0, y0 = cx + r * np.cos(ang), cy + r * np.sin(ang)
            locality = None
            if r > 0.55 * town["radius"] and kind != "high":
                for loc, deg in town["localities"]:
                    diff = abs((np.degrees(ang) - deg + 180) % 360 - 180)
                    if diff < 50:
                        locality = loc
            heading = rng.uniform(0, 2 * np.pi)
            streets.append({"usrn": usrn, "name": name, "kind": kind, "town": town["name"], "locality": locality,
                            "x0": x0, "y0": y0, "dx": np.cos(heading), "dy": np.sin(heading),
                            "district": _district(town, x0, y0), "angle": ang})
    used_blocks = set()
    for st in streets:
        used_names = set()
        kind = st["kind"]
        if kind == "terrace":
            bs = _terrace(rng, used_names)
        elif kind == "suburban":
            bs = _suburban(rng, used_names)
        elif kind == "close":
            bs = _close(rng, used_names)
        elif kind == "rural":
            bs = _rural(rng, used_names)
        elif kind == "high":
            bs = _high(rng, used_names, used_blocks)
        elif kind == "estate":
            bs = _estate(rng, used_names, used_blocks)
        elif kind == "industrial":
            bs = _industrial(rng, st["name"])
        else:
            bs = _mansions(rng)
        bs = [b for b in bs if b["pnum"] or b["pname"]]
        bs += _non_addressable(rng, bs)
        for b in bs:
            b["dp"] = len([u for u in b["units"] if u[1] not in NON_DELIVERY]) if b["units"] else int(
                b["cls"] not in NON_DELIVERY)
        st["buildings"] = bs
    _assign_postcodes(rng, streets)
    return _rows(rng, streets)


def _town_counts(n_streets):
    shares = np.array([t["share"] for t in TOWNS])
    counts = np.floor(shares * n_streets).astype(int)
    counts[0] += n_streets - counts.sum()
    return [max(int(c), 3) for c in counts]


def _street_units(rng, st):
    """Postcode units of one street: runs of ~8-25 delivery points along one side, a big block alone."""
    bs = sorted(st["buildings"], key=lambda b: b["pos"])
    total = sum(b["dp"] for b in bs)
    if st["kind"] in ("rural", "close") or total < 12:
        sides = [bs]
    else:
        sides = [[b for b in bs if b["side"] == s] for s in (1, 0)]
    units = []
    for side in sides:
        cur, cnt, target = [], 0, int(rng.integers(8, 26))
        side_units = []
        for b in side:
            if b["dp"] >= 25:
                if cnt:
                    side_units.append(cur)
                    cur, cnt = [], 0
                side_units.append([b])
                continue
            if cnt and cnt + b["dp"] > target + 6:
                side_units.append(cur)
                cur, cnt, target = [], 0, int(rng.integers(8, 26))
            cur.append(b)
            cnt += b["dp"]
            if cnt >= target:
                side_units.append(cur)
                cur, cnt, target = [], 0, int(rng.integers(8, 26))
        if cur:
            if side_units and cnt < 5 and sum(x["dp"] for x in side_units[-1]) < 40:
                side_units[-1].extend(cur)
            else:
                side_units.append(cur)
        units += side_units
    return units


def _assign_postcodes(rng, streets):
    by_district = {}
    for st in streets:
        by_district.setdefault(st["district"], []).append(st)
    for district, sts in by_district.items():
        sts.sort(key=lambda s: s["angle"])
        dps = np.array([sum(b["dp"] for b in s["buildings"]) for s in sts], dtype=float)
        n_sec = int(np.clip(round(dps.sum() / rng.uniform(260, 480)), 1, 9))
        digits = sorted(int(d) for d in rng.choice(10, size=n_sec, replace=False))
        cuts = np.searchsorted(np.cumsum(dps) / max(dps.sum(), 1), np.arange(1, n_sec) / n_sec)
        groups = np.split(np.arange(len(sts)), cuts)
        for digit, group in zip(digits, groups):
            code_at = int(rng.integers(0, 25))
            last_unit = None
            for i in group:
                st = sts[i]
                units = _street_units(rng, st)
                total = sum(b["dp"] for b in st["buildings"])
                for unit in units:
                    if (len(units) == 1 and total < 16 and last_unit is not None and last_unit[1] + total <= 32
                            and rng.random() < 0.75):
                        pc, n_prev = last_unit  # a short street shares its neighbour's unit
                        last_unit = (pc, n_prev + total)
                    else:
                        code_at += int(rng.integers(1, 4))
                        pc = f"{district} {digit}{UNIT_CODES[code_at % len(UNIT_CODES)]}"
                        last_unit = (pc, sum(b["dp"] for b in unit))
                    for b in unit:
                        b["postcode"] = pc
            for i in group:
                for b in sts[i]["buildings"]:
                    if b["cls"] in NON_DELIVERY and not b["units"] and rng.random() < 0.5:
                        b["postcode"] = None  # no postcode locator for this object


def _rows(rng, streets):
    rows = []
    old_uprn = 100_021_000_000 + int(rng.integers(0, 10**6)) * 10
    new_uprn = 10_023_400_000 + int(rng.integers(0, 10**5)) * 10
    for st in streets:
        tail = ", ".join(x for x in (st["name"], st["locality"], st["town"]) if x)
        length = max((b["pos"] for b in st["buildings"]), default=50.0) + 20.0

        def point(pos, side):
            off = 9.0 if side else -9.0
            x = st["x0"] + st["dx"] * pos - st["dy"] * off
            y = st["y0"] + st["dy"] * pos + st["dx"] * off
            return round(x + rng.normal(0, 0.8), 2), round(y + rng.normal(0, 0.8), 2)

        def next_uprn():
            nonlocal old_uprn, new_uprn
            if st["kind"] == "estate":
                new_uprn += int(rng.integers(1, 6))
                return new_uprn
            old_uprn += int(rng.integers(1, 12))
            return old_uprn

        x, y = point(length / 2, 0)
        rows.append({"uprn": next_uprn(), "parent_uprn": None, "class_code": "PS", "address": tail,
                     "postcode": None, "usrn": st["usrn"], "easting": x, "northing": y})
        for b in st["buildings"]:
            head = ", ".join(x for x in (b["pname"],) if x)
            line = f"{b['pnum']} {tail}" if b["pnum"] else tail
            address = f"{head}, {line}" if head else line
            x, y = point(b["pos"], b["side"])
            uprn = next_uprn()
            rows.append({"uprn": uprn, "parent_uprn": None, "class_code": b["cls"], "address": address,
                         "postcode": b.get("postcode"), "usrn": st["usrn"], "easting": x, "northing": y})
            for saon, cls in b["units"]:
                rows.append({"uprn": next_uprn(), "parent_uprn": uprn, "class_code": cls,
                             "address": f"{saon}, {address}", "postcode": b.get("postcode"), "usrn": st["usrn"],
                             "easting": round(x + rng.normal(0, 0.4), 2), "northing": round(y + rng.normal(0, 0.4), 2)})
    gaz = pd.DataFrame(rows)
    gaz["uprn"] = gaz["uprn"].astype("int64")
    gaz["parent_uprn"] = gaz["parent_uprn"].astype("Int64")
    gaz["usrn"] = gaz["usrn"].astype("int64")
    gaz["postcode"] = gaz["postcode"].astype(object).where(gaz["postcode"].notna(), None)
    return gaz[["uprn", "parent_uprn", "class_code", "address", "postcode", "usrn", "easting", "northing"]]


def gazetteer_layer(gaz: pd.DataFrame):
    """The gazetteer as points in British National Grid (EPSG:27700)."""
    import geopandas as gpd

    return gpd.GeoDataFrame(gaz.copy(), geometry=gpd.points_from_xy(gaz["easting"], gaz["northing"]),
                            crs="EPSG:27700")


# ---------------------------------------------------------------------------------------------------------------
# reading the gazetteer back into parts (make_records needs nothing but the frame)


class _Gaz:
    """Parts of every gazetteer address, and the look-ups the record generator needs."""

    def __init__(self, gaz: pd.DataFrame):
        ps = gaz[gaz["class_code"] == "PS"]
        self.streets = {}
        for usrn, addr in zip(ps["usrn"], ps["address"]):
            parts = addr.split(", ")
            street, town = parts[0], parts[-1]
            locality = parts[1] if len(parts) == 3 else None
            self.streets[int(usrn)] = {"street": street, "locality": locality, "town": town, "tail": addr}
        self.rows = {}
        self.children = {}
        self.by_key = {}
        self.by_street = {}
        for r in gaz.itertuples(index=False):
            if r.class_code == "PS":
                continue
            s = self.streets[int(r.usrn)]
            head = r.address[: -len(s["tail"])]
            pnum = None
            if head.endswith(", "):
                head = head[:-2]
            else:
                head = head[:-1]
                head, _, pnum = head.rpartition(", ") if ", " in head else ("", "", head)
            pieces = head.split(", ") if head else []
            parent = None if pd.isna(r.parent_uprn) else int(r.parent_uprn)
            saon, pname = None, None
            if len(pieces) == 2:
                saon, pname = pieces
            elif len(pieces) == 1:
                saon, pname = (pieces[0], None) if parent is not None else (None, pieces[0])
            row = {"uprn": int(r.uprn), "parent": parent, "cls": r.class_code, "saon": saon, "pname": pname,
                   "pnum": pnum, "usrn": int(r.usrn), "street": s["street"], "locality": s["locality"],
                   "town": s["town"], "postcode": r.postcode if isinstance(r.postcode, str) else None,
                   "address": r.address}
            self.rows[row["uprn"]] = row
            if parent is not None:
                self.children.setdefault(parent, []).append(row)
            self.by_key.setdefault((row["usrn"], saon, pname, pnum), []).append(row["uprn"])
            self.by_street.setdefault(row["usrn"], []).append(row)
        self.usrn_by_name = {}
        for usrn, s in self.streets.items():
            self.usrn_by_name.setdefault(s["street"], []).append(usrn)
        self.towns = {s["town"] for s in self.streets.values()}
        self.units = {}
        for pc in {r["postcode"] for r in self.rows.values() if r["postcode"]}:
            self.units.setdefault(pc[:-2], []).append(pc)
        for sector in self.units.values():
            sector.sort()
        self.sectors = {}
        for sector in self.units:
            self.sectors.setdefault(sector.split(" ")[0], []).append(sector)


# ---------------------------------------------------------------------------------------------------------------
# records


def _parts(row):
    return {"saon": row["saon"], "pname": row["pname"], "pnum": row["pnum"], "street": row["street"],
            "locality": row["locality"], "town": row["town"], "county": None, "prefix": None, "line_suffix": None,
            "postcode": row["postcode"], "pc_mode": None, "order": None, "num_comma": False}


def _typo(rng, word):
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    op = _pick(rng, ["adjacent", "transpose", "delete", "double", "adjacent", "transpose"])
    ch = word[i]
    if op == "adjacent" and ch.isalpha():
        for row in KEYBOARD:
            j = row.find(ch)
            if j >= 0:
                near = [row[k] for k in (j - 1, j + 1) if 0 <= k < len(row)]
                return word[:i] + _pick(rng, near) + word[i + 1:]
    if op == "transpose" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "double":
        return word[:i] + ch + word[i:]
    return word[:i] + word[i + 1:]


def _numeric_saon(saon):
    m = re.fullmatch(r"(FLAT|APARTMENT) (\d+)", saon or "")
    return (m.group(1), int(m.group(2))) if m else None


def _siblings(g, row):
    return sorted(g.children.get(row["parent"], []), key=lambda r: r["uprn"]) if row["parent"] else []


def _subunit_format(rng, g, c, row, agency):
    s, p = c["saon"], c["pnum"]
    sib = _siblings(g, row)
    num = _numeric_saon(s)
    if num:
        label, n = num
        forms = [("saon", f"FLAT NO {n}"), ("saon", f"F{n}"), ("saon", f"APT {n}"), ("saon", f"FLT {n}"),
                 ("saon", f"FLAT {n}."), ("saon", f"UNIT {n}")]
        if label == "APARTMENT":
            forms += [("saon", f"FLAT {n}")] * 3
        if p and p.isdigit():
            forms += [("slash", f"{n}/{p}"), ("slash", f"{p}/{n}"), ("slash", f"{n}/{p}")]
        if agency == "housing_benefit":
            forms += [("saon", f"FLAT {n} {_pick(rng, ['1ST FLOOR', 'GROUND FLOOR', '2ND FLR'])}")]
    elif re.fullmatch(r"FLAT [A-Z]", s):
        letter = s[-1]
        forms = [("saon", letter), ("saon", f"FLAT NO {letter}"), ("saon", f"FLT {letter}")]
        if p and p.isdigit():
            forms += [("flatletter", f"FLAT {p}{letter}"), ("pnum", f"{p}{letter}"),
                      ("flatletter", f"FLAT {p}{letter}")]
    elif s in FLOOR_FLATS:
        n_flats = len([x for x in sib if x["cls"] == "RD06"])
        is_top = sib and max((FLOOR_FLATS.index(x["saon"]) for x in sib if x["saon"] in FLOOR_FLATS),
                             default=-1) == FLOOR_FLATS.index(s)
        variants = {"BASEMENT FLAT": ["BASEMENT", "LOWER GROUND FLOOR FLAT", "LGF FLAT", "B/M FLAT", "BSMT FLAT"],
                    "GROUND FLOOR FLAT": ["GFF", "G/F FLAT", "GROUND FLOOR", "GRD FLR FLAT", "GROUND FLAT",
                                          "FLAT GF"],
                    "FIRST FLOOR FLAT": ["1ST FLOOR FLAT", "FFF", "1ST FLR FLAT", "FIRST FLOOR", "FLAT 1ST FLOOR",
                                         "F/F FLAT"],
                    "SECOND FLOOR FLAT": ["2ND FLOOR FLAT", "SFF", "2ND FLR FLAT", "SECOND FLOOR"],
                    "THIRD FLOOR FLAT": ["3RD FLOOR FLAT", "3RD FLR FLAT"]}[s]
        if is_top and n_flats >= 2:
            variants += ["TOP FLAT", "TOP FLOOR FLAT"]
        if n_flats == 2:
            variants.append("UPPER FLAT" if is_top else "LOWER FLAT")
        forms = [("saon", v) for v in variants]
    elif re.fullmatch(r"(G|\d)F\d", s):
        floor = 0 if s[0] == "G" else int(s[0])
        pos = int(s[-1])
        seq = [x["uprn"] for x in sib].index(row["uprn"]) + 1
        forms = [("saon", f"FLAT {s}"), ("saon", f"FLAT {pos}, {ORDINAL[floor]} FLOOR"),
                 ("saon", f"{SHORT_ORDINAL[floor]} FLOOR FLAT {pos}"), ("saon", f"{floor}/{pos}"),
                 ("saon", f"FLAT {floor}/{pos}"), ("saon", f"FLAT {seq}")]
        if p and p.isdigit():
            forms += [("slash", f"{p}/{seq}"), ("slash", f"{p}/{seq}"), ("paren", f"{p} ({s})")]
    elif s == "GROUND FLOOR":
        forms = [("saon", v) for v in ["GRD FLR", "GND FLR", "G/F", "GROUND FLOOR SHOP", "GROUND FLOOR AND BASEMENT",
                                       "PT GRD FLR", "SHOP", "GROUND FLOOR PREMISES"]]
    elif re.fullmatch(r"(GROUND|FIRST|SECOND) FLOOR", s):
        short = {"GROUND": "GRD", "FIRST": "1ST", "SECOND": "2ND"}[s.split()[0]]
        forms = [("saon", v) for v in [f"{short} FLR", f"{short} FLOOR OFFICES", f"OFFICES {short} FLR",
                                       f"PT {short} FLR", f"{short} FLOOR OFFICE"]]
    elif s.startswith("SUITE "):
        n = s.split()[1]
        forms = [("saon", v) for v in [f"STE {n}", f"UNIT {n}", f"OFFICE {n}", f"SUITE NO {n}", f"OFFICE SUITE {n}"]]
    elif s.startswith("UNIT "):
        n = s.split()[1]
        forms = [("saon", v) for v in [f"UNIT NO {n}", f"U{n}", f"WORKSHOP {n}", f"BAY {n}", f"UNIT {n}.",
                                       f"UNIT {n} (WAREHOUSE)"]]
    elif s == "REAR WORKSHOP":
        forms = [("saon", v) for v in ["WORKSHOP", "WORKSHOP AT REAR", "REAR WORKSHOP UNIT", "WORKSHOP TO REAR"]]
    elif s in FARM_UNITS:
        forms = [("saon", v) for v in [s.replace("THE ", ""), s + " BARN", s.replace(" ", "")]]
    else:
        return False
    how, value = forms[int(rng.integers(len(forms)))]
    if how == "saon":
        c["saon"] = value
    elif how == "slash":
        c["saon"], c["pnum"] = None, value
    elif how == "paren":
        c["saon"], c["pnum"] = None, value
    elif how == "flatletter":
        c["saon"], c["pnum"] = value, None
    else:
        c["saon"], c["pnum"] = None, value
    return True


def _apply(rng, g, cls, c, row, agency, truth):
    """Change the parts c of a record for one error class; False when the class does not fit the row.
    May change truth (dict with uprn, level)."""
    s, pname, pnum = c["saon"], c["pname"], c["pnum"]
    commercial = row["cls"][:2] in ("CR", "CO", "CI", "CU", "CT")
    if cls == "subunit_format":
        return bool(s) and _subunit_format(rng, g, c, row, agency)
    if cls == "subunit_missing":
        if not s or row["parent"] is None:
            return False
        c["saon"] = None
        truth.update(uprn=row["parent"], level="parent")
        return True
    if cls == "flat_as_house_number":
        num = _numeric_saon(s)
        if not num or not pname:
            return False
        c["saon"], c["pname"] = None, f"{num[1]} {pname}"
        if pnum and rng.random() < 0.6:
            c["pnum"] = None
        return True
    if cls == "number_format":
        if not pnum:
            return False
        if pnum.isdigit():
            form = _pick(rng, ["no", "no.", "comma", "comma", "comma"])
            if form == "comma":
                c["num_comma"] = True
            else:
                c["pnum"] = f"{'NO' if form == 'no' else 'NO.'} {pnum}"
        elif re.fullmatch(r"\d+[A-Z]", pnum):
            c["pnum"] = _pick(rng, [f"{pnum[:-1]} {pnum[-1]}", f"{pnum[:-1]}-{pnum[-1]}", f"{pnum[:-1]}{pnum[-1]}"])
            if c["pnum"] == pnum:
                c["pnum"] = f"{pnum[:-1]} {pnum[-1]}"
        elif "-" in pnum:
            a, b = pnum.split("-")
            c["pnum"] = _pick(rng, [f"{a} - {b}", f"{a}/{b}", f"{a} TO {b}", f"{a} & {b}"])
        else:
            return False
        return True
    if cls == "wrong_number":
        m = re.fullmatch(r"(\d+)([A-Z]?)", pnum or "")
        if not m:
            return False
        d, suf = int(m.group(1)), m.group(2)
        options = [d + 2, d - 2, d + 1, d - 1]
        if d >= 10 and str(d)[::-1] != str(d):
            options += [int(str(d)[::-1])] * 2
        new = _pick(rng, [o for o in options if o > 0])
        c["pnum"] = f"{new}{suf}" if not suf or rng.random() < 0.5 else str(d)
        return True
    if cls == "wrong_flat":
        sib = [x for x in _siblings(g, row) if x["uprn"] != row["uprn"] and x["cls"] == row["cls"]]
        if not s or not sib:
            return False
        every = _siblings(g, row)
        i = [x["uprn"] for x in every].index(row["uprn"])
        near = [x for x in every[max(i - 1, 0): i + 2] if x["uprn"] != row["uprn"] and x["cls"] == row["cls"]]
        c["saon"] = _pick(rng, near or sib)["saon"]
        return True
    if cls == "dropped_word":
        opts = []
        words = c["street"].split()
        if len(words) >= 2 and words[-1] in STREET_TYPES and words[0] != "THE":
            opts.append("type")
        if len([w for w in words if w not in STREET_TYPES]) >= 2 and words[0] in QUALIFIERS:
            opts.append("street_word")
        pw = (pname or "").split()
        if len(pw) >= 2 and (pw[0] == "THE" or s and pw[-1] in BLOCK_WORDS):
            opts.append("name_word")
        if s and pname and not pnum:
            opts.append("parent_name")
        if not opts:
            return False
        how = _pick(rng, opts)
        if how == "type":
            c["street"] = " ".join(words[:-1])
        elif how == "street_word":
            c["street"] = " ".join(words[1:])
        elif how == "name_word":
            pw = pname.split()
            c["pname"] = " ".join(pw[1:] if pw[0] == "THE" else pw[:-1])
        else:
            c["pname"] = None
        return True
    if cls == "joined_words":
        for field in _shuffled(rng, ["street", "street", "pname", "saon"]):
            text = c.get(field)
            if not text:
                continue
            words = text.split()
            pairs = [i for i in range(len(words) - 1) if words[i].isalpha() and words[i + 1].isalpha()
                     and (words[i + 1] not in STREET_TYPES or words[i + 1] in JOINABLE_TYPES or rng.random() < 0.3)]
            if pairs:
                i = _pick(rng, pairs)
                c[field] = " ".join(words[:i] + [words[i] + words[i + 1]] + words[i + 2:])
                return True
        return False
    if cls == "split_word":
        for field in _shuffled(rng, ["street", "pname", "locality", "town"]):
            text = c.get(field)
            if text and any(w in SPLITS for w in text.split()):
                c[field] = " ".join(SPLITS.get(w, w) for w in text.split())
                return True
        return False
    if cls == "typo":
        field = _weighted(rng, {"street": 7, "pname": 2 if pname else 0, "town": 2, "locality": 1 if c["locality"]
                                else 0})
        words = c[field].split()
        long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if not long:
            return False
        i = _pick(rng, long)
        words[i] = _typo(rng, words[i])
        c[field] = " ".join(words)
        return True
    if cls == "abbreviation":
        done = 0
        for field in ["street", "saon", "pname", "town"]:
            text = c.get(field)
            if not text:
                continue
            words = text.split()
            for i, w in enumerate(words):
                if w in ABBREV and (field == "street" and i == len(words) - 1 or rng.random() < 0.4):
                    words[i] = _pick(rng, ABBREV[w])
                    done += 1
            c[field] = " ".join(words)
        return done > 0
    if cls == "apostrophe_saint":
        done = False
        for field in ["street", "pname", "locality"]:
            text = c.get(field)
            if not text or (done and (field == "locality" or rng.random() < 0.7)):
                continue
            words = text.split()
            for i, w in enumerate(words):
                if i and words[i - 1] == "ST" and w.endswith("S") and len(w) > 2:
                    saint, name = _pick(rng, [("ST", "'S"), ("ST.", "'S"), ("SAINT", "S"), ("SAINT", "'S"),
                                              ("ST.", "S")])
                    words[i - 1], words[i] = saint, w[:-1] + name
                    done = True
                elif w in POSSESSIVE:
                    words[i] = w[:-1] + "'S"
                    done = True
            c[field] = " ".join(words)
        return done
    if cls in ("postcode_missing", "postcode_in_text", "postcode_wrong_unit", "postcode_wrong_sector",
               "postcode_typed_o"):
        pc = c["postcode"]
        if not pc:
            return False
        if cls == "postcode_missing":
            c["postcode"] = None
        elif cls == "postcode_in_text":
            c["pc_mode"] = "text"
        elif cls == "postcode_wrong_unit":
            others = [u for u in g.units[pc[:-2]] if u != pc]
            if not others:
                return False
            i = g.units[pc[:-2]].index(pc)
            near = [u for u in g.units[pc[:-2]][max(i - 2, 0): i + 3] if u != pc]
            c["postcode"] = _pick(rng, near if near and rng.random() < 0.7 else others)
        elif cls == "postcode_wrong_sector":
            out, inward = pc.split(" ")
            if rng.random() < 0.6:
                digits = [d for d in "0123456789" if d != inward[0]]
                c["postcode"] = f"{out} {_pick(rng, digits)}{inward[1:]}"
            else:
                c["postcode"] = f"{_pick(rng, [d for d in sorted(g.sectors) if d != out])} {inward}"
        else:
            spots = [i for i, ch in enumerate(pc) if ch in "01"]
            if not spots:
                return False
            i = _pick(rng, spots)
            c["postcode"] = pc[:i] + ("O" if pc[i] == "0" else _pick(rng, ["I", "L"])) + pc[i + 1:]
        return True
    if cls == "town_missing":
        c["town"] = None
        return True
    if cls == "county_added":
        c["county"] = _pick(rng, COUNTIES)
        return True
    if cls == "locality_as_town":
        variants = next(t["variants"] for t in TOWNS if t["name"] == row["town"])
        if c["locality"] and rng.random() < 0.6:
            c["town"] = None
        else:
            c["town"] = _pick(rng, variants)
        return True
    if cls == "order_changed":
        opts = []
        if s and (pnum or pname):
            opts += ["saon_after_street", "saon_after_name"] if pname else ["saon_after_street"]
        if pname and not s and pnum:
            opts.append("name_after_street")
        if c["locality"]:
            opts.append("locality_after_town")
        if pname and not s and not pnum:
            opts.append("name_after_street")
        if not opts:
            return False
        c["order"] = _pick(rng, opts)
        return True
    if cls == "business_name":
        if not commercial or row["cls"][:2] in ("CU", "CT"):
            return False
        name = _business_name(rng, row)
        how = _weighted(rng, {"first": 6, "bracket": 2, "ta": 1, "instead": 2})
        if how == "first":
            c["prefix"] = name
        elif how == "bracket":
            c["line_suffix"] = f"({name})"
        elif how == "ta":
            c["prefix"] = f"{_pick(rng, SURNAMES)} LTD T/A {name}"
        else:  # the trading name stands for the number, or for the unit (then the record names the building)
            c["prefix"] = name
            if pnum and not s:
                c["pnum"] = None
            elif s:
                c["saon"] = None
                truth.update(uprn=row["parent"], level="parent")
        return True
    if cls == "name_for_number":
        if not (pname and pnum):
            return False
        if rng.random() < 0.6:
            c["pnum"] = None
        else:
            c["pname"] = None
        return True
    if cls == "extra_house_name":
        if row["cls"] not in RESIDENTIAL or s or pname or not pnum:
            return False
        on_street = {r["pname"] for r in g.by_street[row["usrn"]]}
        c["pname"] = _pick(rng, [n for n in HOUSE_NAMES if n not in on_street])
        if rng.random() < 0.2:
            c["pnum"] = None
        return True
    if cls == "care_of":
        if row["cls"] not in RESIDENTIAL:
            return False
        co = _pick(rng, CARE_OF)
        if rng.random() < 0.8:
            c["prefix"] = co
        else:
            c["county"] = co if not c.get("county") else c["county"]
        return True
    if cls == "above_rear":
        return _above_rear(rng, g, c, row, truth)
    raise ValueError(cls)


def _shuffled(rng, items):
    return [items[i] for i in rng.permutation(len(items))]


def _above_rear(rng, g, c, row, truth):
    pnum = row["pnum"]
    if row["parent"] is not None and (row["cls"] == "RD06" or row["saon"] == "REAR WORKSHOP"):
        parent = g.rows[row["parent"]]
        sib = _siblings(g, row)
        if not any(x["cls"].startswith("CR") for x in sib) or not parent["pnum"]:
            return False
        if row["saon"] == "REAR WORKSHOP":
            how = _pick(rng, ["rear_of", "rear_suffix"])
        else:
            how = _pick(rng, ["flat_above", "flat_over", "above_suffix"])
            if len([x for x in sib if x["cls"] == "RD06"]) > 1:
                truth.update(uprn=row["parent"], level="parent")
        c["pname"] = None
    elif row["cls"] == "RD06" and pnum and re.fullmatch(r"\d+A", pnum):
        shop = g.by_key.get((row["usrn"], None, None, pnum[:-1]))
        if not shop or not g.rows[shop[0]]["cls"].startswith("CR"):
            return False
        how = _pick(rng, ["flat_above", "flat_over", "above_suffix", "above"])
        c["pnum"] = pnum[:-1]
    else:
        return False
    if how == "flat_above":
        c["saon"] = "FLAT ABOVE"
    elif how == "flat_over":
        c["saon"] = "FLAT OVER"
    elif how == "above":
        c["saon"] = "ABOVE"
    elif how == "above_suffix":
        c["saon"] = None
        c["line_suffix"] = _pick(rng, ["(FLAT ABOVE SHOP)", "(ABOVE SHOP)", "(UPSTAIRS FLAT)"])
    elif how == "rear_of":
        c["saon"], c["pnum"] = None, f"REAR OF {c['pnum']}"
    else:
        c["saon"] = None
        c["line_suffix"] = "(REAR)"
    return True


def _business_name(rng, row):
    group = row["cls"][:2] if row["cls"][:2] in TRADES else "CR"
    if row["cls"] == "CR06" and row["pname"]:
        return row["pname"]
    first = _weighted(rng, {"surname": 5, "street": 2, "town": 1, "fancy": 2})
    if first == "surname":
        lead = _pick(rng, SURNAMES)
    elif first == "street":
        lead = row["street"].split()[0] if row["street"].split()[0] not in ("THE", "ST") else row["street"]
    elif first == "town":
        lead = row["town"].split("-")[0]
    else:
        lead = _pick(rng, ["GOLDEN", "EXPRESS", "ROYAL", "BEST", "NEW", "THE VILLAGE", "CITY", "OLD TOWN"])
    return f"{lead} {_pick(rng, TRADES[group])}"


def _absent(rng, g, rows, kind):
    """Parts, truth and class of a record describing an address the gazetteer lacks."""
    for _ in range(200):
        row = _pick(rng, rows)
        c = _parts(row)
        truth = {"uprn": None, "level": "uprn"}
        if kind == "infill":
            if row["cls"] not in RESIDENTIAL or row["parent"] or row["saon"] or not (row["pnum"] or "").isdigit():
                continue
            new = row["pnum"] + _pick(rng, ["A", "A", "B"])
            if (row["usrn"], None, None, new) in g.by_key or (row["usrn"], None, row["pname"], new) in g.by_key:
                continue
            c["pnum"] = new
            if row["pname"] and rng.random() < 0.5:
                c["pname"] = None
        elif kind == "flat_in_house":
            if row["cls"] not in ("RD02", "RD03", "RD04") or row["parent"] or not row["pnum"]:
                continue
            c["saon"] = _pick(rng, ["FLAT 1", "FLAT 2", "FLAT A", "FLAT B", "GROUND FLOOR FLAT", "FIRST FLOOR FLAT",
                                    "TOP FLAT", "BASEMENT FLAT", "ANNEXE", "ROOM 3"])
            truth = {"uprn": None, "level": "none"}  # issue 15: 'flat not in building', no link
        elif kind == "flat_past_last":
            num = _numeric_saon(row["saon"])
            if not num or row["parent"] is None:
                continue
            last = max(_numeric_saon(x["saon"])[1] for x in _siblings(g, row) if _numeric_saon(x["saon"]))
            c["saon"] = f"{num[0]} {last + int(rng.integers(1, 4))}"
            truth = {"uprn": None, "level": "none"}
        elif kind == "new_street":
            town = row["town"]
            names = [n for n in NEW_STREETS if n not in {s["street"] for s in g.streets.values() if s["town"] == town}]
            c.update(saon=None, pname=None, pnum=str(int(rng.integers(1, 40))), street=_pick(rng, names),
                     locality=row["locality"] if rng.random() < 0.3 else None)
            if not row["postcode"] or rng.random() < 0.3:
                c["postcode"] = None
            else:
                sector = row["postcode"][:-2]
                used = set(g.units.get(sector, []))
                free = [f"{sector}{u}" for u in UNIT_CODES if f"{sector}{u}" not in used]
                c["postcode"] = _pick(rng, free)
        elif kind == "new_build":
            street = g.by_street[row["usrn"]]
            if row["parent"] or row["cls"] not in RESIDENTIAL:
                continue
            on_street = {r["pname"] for r in street}
            how = _pick(rng, ["name", "name", "plot"])
            name = (_pick(rng, [n for n in HOUSE_NAMES if n not in on_street]) if how == "name"
                    else f"PLOT {int(rng.integers(1, 30))}")
            c.update(saon=None, pname=name, pnum=None)
            if rng.random() < 0.4:
                c["postcode"] = None
        elif kind in ("land", "garage", "commercial"):
            if not (row["pnum"] or "").isdigit() or row["parent"]:
                continue
            p = row["pnum"]
            if kind == "land":
                name = _pick(rng, [f"LAND ADJACENT TO {p}", f"LAND REAR OF {p}", f"LAND AT {p}",
                                   f"PLOT ADJ {p}", f"GARDEN LAND AT {p}"])
            elif kind == "garage":
                name = _pick(rng, [f"GARAGE {int(rng.integers(1, 15))} REAR OF {p}", f"GARAGE ADJ {p}",
                                   f"LOCK UP GARAGE {int(rng.integers(1, 9))} NEAR {p}", f"GARAGE AT {p}"])
            else:
                name = _pick(rng, [f"ADVERTISING RIGHT ADJ {p}", f"ADVERTISING STATION AT {p}", f"KIOSK OUTSIDE {p}",
                                   f"TELECOMMUNICATIONS MAST NEAR {p}", f"ATM AT {p}", f"MARKET STALL OPPOSITE {p}"])
            if any(r["pname"] == name for r in g.by_street[row["usrn"]]):
                continue
            c.update(saon=None, pname=name, pnum=None)
            if rng.random() < 0.5:
                c["postcode"] = None
        else:
            raise ValueError(kind)
        return c, truth, f"absent_{kind}"
    return None


def _title(text):
    """Title case as mixed-case systems write it: 'Flat 3, 12a St Mary's Road', '1st Floor', '1F2'."""
    def word(m):
        w = m.group(0)
        if re.fullmatch(r"[G\d]F\d", w):
            return w
        return w.lower() if w[0].isdigit() else w[0].upper() + w[1:].lower()

    return re.sub(r"[A-Za-z0-9']+", word, text)


def _render(rng, c, agency):
    style = STYLES[agency]
    case = style["case"]
    sep = style["sep"]
    if case == "mixed":
        case = _weighted(rng, {"upper": 4, "title": 4, "lower": 2})
    if sep == "mixed":
        sep = _weighted(rng, {", ": 6, " ": 2, ",": 2})
    saon, pname, pnum = c["saon"], c["pname"], c["pnum"]
    line = c["street"]
    if pnum:
        line = f"{pnum}, {line}" if c["num_comma"] else f"{pnum} {line}"
    if c["line_suffix"]:
        line = f"{line} {c['line_suffix']}"
    order = c["order"]
    tail = [c["locality"], c["town"], c["county"]]
    if order == "saon_after_street":
        head = [pname, f"{line} {saon}"] if rng.random() < 0.5 else [pname, line, saon]
    elif order == "saon_after_name":
        head = [pname, saon, line] if pnum else [pname, line, saon]
    elif order == "name_after_street":
        head = [saon, line, pname]
    else:
        head = [saon, pname, line]
    if order == "locality_after_town":
        tail = [c["town"], c["locality"], c["county"]]
    parts = [x for x in [c["prefix"], *head, *tail] if x]
    pc = c["postcode"]
    mode = c["pc_mode"] or style["pc"]
    text = sep.join(parts)
    if pc and mode in ("text", "both"):
        text = f"{text}{sep}{pc}" if rng.random() < 0.7 else f"{text}  {pc}"
    if case == "upper":
        text = text.upper()
    elif case == "lower":
        text = text.lower()
    else:
        text = _title(text)
        if pc and mode in ("text", "both"):
            text = text[: -len(pc)] + pc
    column = pc if pc and mode in ("col", "both") else None
    if column and agency == "housing_benefit" and rng.random() < 0.2:
        column = column.replace(" ", "")
    if column and agency == "environmental_health" and rng.random() < 0.1:
        column = column.lower()
    return text, column


def _unrecoverable(g, c, truth, row):
    """True when the written address is, letter for letter, another gazetteer address (whatever the
    postcode says), or fits several with no town, locality or postcode to choose between them."""
    if c["line_suffix"]:  # '12 HIGH STREET (REAR)': more than the address it resembles
        return False
    town = c["town"] if c["town"] in g.towns else (None if c["town"] is None else row["town"])
    cands = []
    for usrn in g.usrn_by_name.get(c["street"], []):
        s = g.streets[usrn]
        if town is not None and s["town"] != town:
            continue
        if town is None and c["locality"] and s["locality"] != c["locality"]:
            continue
        cands += g.by_key.get((usrn, c["saon"], c["pname"], c["pnum"]), [])
    if any(u != truth["uprn"] for u in cands) and truth["uprn"] in cands:
        return not c["postcode"] and not c["locality"] and town is None
    return any(u != truth["uprn"] for u in cands)


def _target(rng, agency, pools):
    """A property the agency would hold a record of."""
    if agency == "housing_benefit":
        return pools["res"][int(rng.choice(len(pools["res"]), p=pools["res_p"]))]
    if agency in ("council_tax", "electoral_register") or (agency == "environmental_health" and rng.random() < 0.3):
        return _pick(rng, pools["res"])
    if agency == "business_rates" and pools["rated"] and rng.random() < 0.06:
        return _pick(rng, pools["rated"])
    return pools["com"][int(rng.choice(len(pools["com"]), p=pools["com_p"]))]


def make_records(gaz: pd.DataFrame, n: int = 5000, seed: int = 12) -> pd.DataFrame:
    """Records from five agencies describing gazetteer properties, with truth (see module doc)."""
    rng = np.random.default_rng(seed)
    g = _Gaz(gaz)
    rows = list(g.rows.values())
    res = [r for r in rows if r["cls"] in RESIDENTIAL]
    res_w = np.array([3.0 if r["cls"] == "RD06" else 1.0 for r in res])
    com = [r for r in rows if r["cls"][:2] in ("CR", "CO", "CI", "ZW")]
    com_w = np.array([2.0 if r["cls"][:2] == "CR" else 1.0 for r in com])
    pools = {"res": res, "res_p": res_w / res_w.sum(), "com": com, "com_p": com_w / com_w.sum(),
             "rated": [r for r in rows if r["cls"] in ("CU01", "CT01")]}
    agencies = list(AGENCIES)
    shares = np.array([AGENCIES[a]["share"] for a in agencies])
    out = []
    for i in range(n):
        agency = agencies[int(rng.choice(len(agencies), p=shares / shares.sum()))]
        spec = AGENCIES[agency]
        made = None
        if rng.random() < spec["absent"]:
            made = _absent(rng, g, rows, _weighted(rng, spec["absent_kinds"]))
            if made:
                c, truth, cls = made
                row = g.rows[truth["uprn"]] if truth["uprn"] else {"postcode": None, "town": c["town"]}
        if not made:
            row = _target(rng, agency, pools)
            c = _parts(row)
            truth = {"uprn": row["uprn"], "level": "uprn"}
            cls = "clean"
            if rng.random() < spec["error"]:
                # the class first, at the agency's rate; then a property it fits (the drawn one, or
                # another from the same agency's pool): a sub-unit error needs a flat, and so on
                for _attempt in range(6):
                    pick = _weighted(rng, spec["classes"])
                    for _try in range(40):
                        trial, trial_truth = _parts(row), {"uprn": row["uprn"], "level": "uprn"}
                        if _apply(rng, g, pick, trial, row, agency, trial_truth):
                            c, truth, cls = trial, trial_truth, pick
                            break
                        row = _target(rng, agency, pools)
                    if cls != "clean":
                        break
                else:
                    c, truth = _parts(row), {"uprn": row["uprn"], "level": "uprn"}
        text, column = _render(rng, c, agency)
        out.append({"record_id": f"{agency[:2].upper()}{i:06d}", "agency": agency, "address": text,
                    "postcode": column, "true_uprn": truth["uprn"],
                    "true_level": truth["level"] if truth["uprn"] is not None else "none",
                    "error_class": cls, "unrecoverable": _unrecoverable(g, c, truth, row)})
    records = pd.DataFrame(out)
    records["true_uprn"] = records["true_uprn"].astype("Int64")
    records["postcode"] = records["postcode"].astype(object).where(records["postcode"].notna(), None)
    records["unrecoverable"] = records["unrecoverable"].astype(bool)
    return records


# ---------------------------------------------------------------------------------------------------------------
# scoring


def quality(matched_uprn, records: pd.DataFrame, by: str = "error_class", recoverable_only: bool = False):
    """Per value of ``by`` and 'all': records, links, right links, precision (right / all links, a link of
    a record without a true UPRN counts as wrong), recall (right / records with a true UPRN) and
    false_links (links of records without a true UPRN). ``recoverable_only`` drops the records whose
    text is letter for letter another real address (unrecoverable)."""
    matched = pd.to_numeric(pd.Series(list(matched_uprn), dtype=object), errors="coerce").astype("Int64")
    df = records.reset_index(drop=True).copy()
    df["_matched"] = matched.values
    if recoverable_only:
        df = df[~df["unrecoverable"].astype(bool)]
    truth = df["true_uprn"].astype("Int64")
    linked = df["_matched"].notna()
    right = (linked & truth.notna() & (df["_matched"] == truth).fillna(False)).astype(bool)
    df["_linked"], df["_right"], df["_has"] = linked, right, truth.notna()
    df["_false"] = linked & ~df["_has"]

    def row(name, part):
        links, ok, has = int(part["_linked"].sum()), int(part["_right"].sum()), int(part["_has"].sum())
        return {by: name, "records": len(part), "links": links, "right": ok,
                "precision": ok / links if links else float("nan"), "recall": ok / has if has else float("nan"),
                "false_links": int(part["_false"].sum())}

    rows = [row(key, part) for key, part in df.groupby(by, sort=False)]
    rows.sort(key=lambda r: -r["records"])
    rows.append(row("all", df))
    return pd.DataFrame(rows)


def quality_recoverable(matched_uprn, records: pd.DataFrame, by: str = "error_class"):
    """:func:`quality` on the records with ``unrecoverable == False``."""
    return quality(matched_uprn, records, by=by, recoverable_only=True)
