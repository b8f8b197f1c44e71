"""Commercial address bench: a synthetic city-centre-and-suburbs gazetteer (LLPG / AddressBase style, one
text address a row, parent shells and their units) and records from eight agencies that hold non-domestic
and mixed-use premises, each record with its known truth. Written from public descriptions of UK address
and premises data only, not from the matcher's code, its tests or the other benches' record logic, so that
it can find the matcher's blind spots on shops, offices, units, arches, pubs and the like.

Sources relied on (public descriptions, no data copied):
- OS AddressBase classification scheme (docs.os.uk "Classification scheme"; ideal-postcodes "AddressBase
  Classification Codes"; a public copy of the code list): CR01 bank / financial service, CR02 retail
  service agent, CR04 market, CR05 petrol filling station, CR06 public house / bar, CR07 restaurant / cafe,
  CR08 shop / showroom, CR09 other licensed premise (off-licence, bookmaker), CR10 takeaway, CO01 office,
  CI01 factory, CI03 workshop, CI04 warehouse, CL06 indoor leisure, CH03 hotel, CE03 / CE04 schools,
  CM02 surgery, ZW99 places of worship, CT03 car park, CT08 station, CU06 telecommunication, LD01
  development site, PP property shell, RD02-04 houses, RD06 flat, PS street record. (The brief calls
  CR01 "shop"; the code list says bank / financial service, so CR08 is used for most shops.)
- BS 7666 / GeoPlace LLPG conventions: SAON, PAON (number or name), street, locality, town, upper case, no
  apostrophes; parent_uprn links units, suites, floors and flats to their PP shell; pre-build (planning)
  addresses such as PLOT 7 keep their UPRN when the unit is built.
- Stockport Council street naming and numbering, commercial premises: business-park units are built to be
  subdivided and plots are sold and split, so unit numbers and letters (4A, 4B) drift from the register.
- VOA compiled rating list data specification and Rating Manual (hereditament, split hereditaments,
  separate hereditaments on petrol station forecourts): rating-list addresses in upper case with the
  postcode in the text, floor words (GRD FLR, 1ST FLR, PT GRD FLR), "Suite 3", advertising rights, car
  parking spaces and rooftop masts listed as hereditaments with no address of their own.
- FSA Food Hygiene Rating Scheme open data (OSM wiki "UK Food Hygiene Rating System"; sk53 and LBTH open
  data blog posts): BusinessName plus AddressLine1-4 and PostCode ("Unit 6 / Block 4 / Jubilee Street");
  address line 1 often repeats the business name; incorrect, missing or partial postcodes; home caterers.
- Licensing Act 2003 premises registers (Wolverhampton, Redbridge, Southend, Wirral pages; Scottish
  register regulations): registers listed by premises name, the postal address only where there is no
  name; pubs, off-licences, late-night takeaways, hotels, clubs.
- Companies House DAR address-matching notes (Glasgow, Birmingham): about 1 % of companies give no or a
  wrong postcode, the postcode is not compulsory, nothing is verified; registered offices are often an
  accountant's ("C/O ...") or a director's home.
- GDS data blog "Tackling address matching together" (2016): each body captures addresses its own way;
  ONS working paper 17 (Address Index) on business names, sub-building units and new builds missing from
  the register; OS "Introduction to address matching" on errors embedded at capture.

Shares chosen (a judgement from those descriptions): business rates 24 %, food hygiene 20 %, Companies
House 12 %, fire safety audits 10 %, premises licences 10 %, trading standards 8 %, planning enforcement
8 %, business improvement district levy 8 %. Each agency has its own premises mix (AGENCY_KINDS) and its
own fault weights (AGENCY_FAULTS, with the reason for each weight in a comment); about 29 % of records are
clean in the agency's style. Records describing premises the gazetteer lacks (new units, a unit number
past the last, new buildings, "Land at / Site of", advertising rights, parking spaces, rooftop masts)
have no true UPRN (true_level "none"), about 9-10 % overall. Records that only name the shell of a unit
(shell_for_unit) or a market stall have the shell as their truth (true_level "parent").
"""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_agency_bench import gazetteer_layer, quality  # noqa: E402

__all__ = ["make_gazetteer", "make_records", "gazetteer_layer", "quality"]

TOWN = "CALDERBURY"
COUNTY = "WESTMARCH"
AREA = "KQ"
OUTSIDE_AREA = "ZX"  # head offices elsewhere: an invented area the gazetteer does not cover
E0, N0 = 436200.0, 398400.0
LOCALITIES = [
    "NORTON HEATH",
    "WESTHOLME",
    "BRADLEY GREEN",
    "COPLEY BRIDGE",
    "SALTERS HILL",
    "HAYFIELD END",
    "MOSSLEY VALE",
    "GREYSTONE PARK",
]
INWARD = "ABDEFGHJLNPQRSTUWXYZ"

CENTRE_RETAIL = [
    "MARKET STREET",
    "KING STREET",
    "CHURCH STREET",
    "BRIDGE STREET",
    "WESTGATE",
    "NORTHGATE",
    "SILVER STREET",
    "CORN MARKET",
    "SWAN LANE",
    "DUKE STREET",
]
CENTRE_OFFICE = [
    "PRINCESS STREET",
    "QUAY STREET",
    "GEORGE STREET",
    "ALBION STREET",
    "ST PETERS SQUARE",
    "WELLINGTON ROAD",
]
CENTRE_HOMES = ["COOPER STREET", "TANNER ROW", "CASTLE HILL", "PORTLAND TERRACE", "ST ANNS ROAD", "FOUNDRY LANE"]
SHOP_CENTRES = ["KINGSGATE CENTRE", "THE WESTGATE ARCADE", "CORN EXCHANGE SHOPPING CENTRE"]
OFFICE_NAMES = [
    "EXCHANGE HOUSE",
    "ALBION HOUSE",
    "PRINCESS HOUSE",
    "CALDER HOUSE",
    "VICTORIA BUILDINGS",
    "PEARL ASSURANCE HOUSE",
    "MERCHANTS HOUSE",
    "QUAYSIDE CHAMBERS",
    "ST PETERS HOUSE",
    "CENTURY HOUSE",
    "WELLINGTON CHAMBERS",
    "BANK CHAMBERS",
    "CORNWALL HOUSE",
    "MIDLAND HOUSE",
    "GEORGIAN HOUSE",
    "TOWER HOUSE",
    "NORFOLK HOUSE",
    "SOVEREIGN HOUSE",
    "CHARTER HOUSE",
    "REGENT HOUSE",
    "PHOENIX HOUSE",
    "TRINITY COURT",
    "APEX HOUSE",
    "STERLING HOUSE",
]
PUB_NAMES = [
    "THE RED LION",
    "THE KINGS HEAD",
    "THE WHEATSHEAF",
    "THE BLACK BULL",
    "THE ROYAL OAK",
    "THE WHITE HART",
    "THE CROWN",
    "THE PLOUGH",
    "THE GREYHOUND",
    "THE FLEECE",
    "THE OLD BELL",
    "THE MASONS ARMS",
    "THE FOX AND HOUNDS",
    "THE BOOT AND SHOE",
    "THE GEORGE",
    "THE SWAN",
    "THE DOG AND PARTRIDGE",
    "THE COACH AND HORSES",
    "THE QUEENS ARMS",
    "THE BRICKLAYERS ARMS",
]
HOTEL_NAMES = [
    "THE GRAND HOTEL",
    "THE ROYAL HOTEL",
    "STATION HOTEL",
    "THE COUNTY HOTEL",
    "QUEENS HOTEL",
    "THE MIDLAND HOTEL",
]
SAINTS = ["MARYS", "JOHNS", "PETERS", "ANNS", "MARKS", "LUKES", "JAMES", "ANDREWS", "MICHAELS", "BARNABAS"]
ESTATES = [
    "ACORN INDUSTRIAL ESTATE",
    "CANAL SIDE TRADING ESTATE",
    "MILLFIELD INDUSTRIAL ESTATE",
    "NORTHERN WAY INDUSTRIAL ESTATE",
    "HEATHSIDE TRADING ESTATE",
    "RIVERSIDE INDUSTRIAL ESTATE",
    "BROOK MILL INDUSTRIAL ESTATE",
    "FORGE LANE TRADING ESTATE",
]
BUS_PARKS = ["MERIDIAN BUSINESS PARK", "KESTREL BUSINESS PARK", "CALDER VALLEY BUSINESS PARK", "ORCHARD BUSINESS PARK"]
PREFIXES = [
    "ACORN",
    "ALDER",
    "ASH",
    "BEECH",
    "BIRCH",
    "BRAMBLE",
    "CEDAR",
    "CHESTNUT",
    "CLOVER",
    "ELM",
    "FERN",
    "HAWTHORN",
    "HAZEL",
    "HOLLY",
    "LARCH",
    "LAUREL",
    "LIME",
    "MAPLE",
    "OAK",
    "ROWAN",
    "WILLOW",
    "YEW",
    "ABBEY",
    "ALBERT",
    "ARNOLD",
    "BALMORAL",
    "BEAUMONT",
    "BELGRAVE",
    "BRUNSWICK",
    "CAMBRIDGE",
    "CARLTON",
    "CAVENDISH",
    "CLARENCE",
    "DENISON",
    "DEVONSHIRE",
    "EDWARD",
    "GLADSTONE",
    "GRANVILLE",
    "HAMPDEN",
    "HARCOURT",
    "HASTINGS",
    "KENSINGTON",
    "LANSDOWNE",
    "MELBOURNE",
    "MILTON",
    "NELSON",
    "NEWTON",
    "OXFORD",
    "PALMERSTON",
    "PERCY",
    "RAGLAN",
    "RICHMOND",
    "RUTLAND",
    "SALISBURY",
    "STANLEY",
    "TENNYSON",
    "WAVERLEY",
    "WESTBOURNE",
    "WINDSOR",
    "YORK",
    "BARLEY",
    "CORNFIELD",
    "FOXHILL",
    "GREENBANK",
    "HIGHFIELD",
    "KINGSWOOD",
    "LONGFIELD",
    "MEADOW",
    "MOORSIDE",
    "NORWOOD",
    "PARKSIDE",
    "RIDGEWAY",
    "SPRINGFIELD",
    "STONEYGATE",
    "SUNNYBANK",
    "WOODLANDS",
    "BROOKSIDE",
    "HOLME",
    "LINDEN",
    "POPLAR",
    "SYCAMORE",
    "THORN",
    "HEATHER",
    "PRIMROSE",
    "BLUEBELL",
    "KESTREL",
    "HERON",
    "LAPWING",
    "PLOVER",
    "SKYLARK",
    "MERLIN",
    "CURLEW",
]
SUFFIXES = [
    "ROAD",
    "STREET",
    "AVENUE",
    "LANE",
    "CLOSE",
    "DRIVE",
    "GROVE",
    "TERRACE",
    "CRESCENT",
    "WAY",
    "GARDENS",
    "PLACE",
    "MOUNT",
    "RISE",
    "WALK",
]
COMMON_LOCAL = ["HIGH STREET", "CHURCH LANE", "MILL LANE", "STATION ROAD", "SCHOOL LANE", "CHAPEL STREET"]

SAON_RE = re.compile(
    r"^(UNIT|FLAT|SUITE|KIOSK|PLOT|GROUND FLOOR|FIRST FLOOR|SECOND FLOOR|THIRD FLOOR|"
    r"FOURTH FLOOR|BASEMENT|LOWER GROUND FLOOR)\b"
)
FLOOR_WORDS = ["GROUND FLOOR", "FIRST FLOOR", "SECOND FLOOR", "THIRD FLOOR", "FOURTH FLOOR"]


# ---------------------------------------------------------------------------------------------------------------
# gazetteer


class _Builder:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.rows: list[dict] = []
        self.buildings: list[dict] = []
        self.streets: list[dict] = []
        self._uprn = 100061000000
        self._usrn = 41200000

    def new_uprn(self) -> int:
        self._uprn += int(self.rng.integers(1, 5))
        return self._uprn

    def street(self, name: str, loc: str, district: int, centre: tuple, radius: float, spacing: float) -> dict:
        rng = self.rng
        self._usrn += int(rng.integers(1, 4))
        ang = rng.uniform(0, 2 * np.pi)
        r = radius * np.sqrt(rng.uniform(0.02, 1.0))
        heading = rng.uniform(0, 2 * np.pi)
        st = {
            "name": name,
            "loc": loc,
            "usrn": self._usrn,
            "district": district,
            "spacing": spacing,
            "e": centre[0] + r * np.cos(ang),
            "n": centre[1] + r * np.sin(ang),
            "dx": float(np.cos(heading)),
            "dy": float(np.sin(heading)),
            "max_k": 0,
        }
        self.streets.append(st)
        return st

    def pos(self, st: dict, k: float) -> tuple[float, float]:
        along = st["spacing"] * ((k + 1) // 2)
        side = 1 if int(k) % 2 else -1
        return (st["e"] + st["dx"] * along + st["dy"] * side * 9.0, st["n"] + st["dy"] * along - st["dx"] * side * 9.0)

    def building(self, st: dict, k: float, rows: list[dict], own_pc: bool = False) -> list[int]:
        """rows: dicts with saon, name, num, cls; a first row of class PP is the shell of the others."""
        e, n = self.pos(st, k)
        st["max_k"] = max(st["max_k"], k)
        shell = rows[0]["cls"] == "PP" and len(rows) > 1
        parent, idx = None, []
        for i, r in enumerate(rows):
            u = self.new_uprn()
            self.rows.append(
                {
                    "uprn": u,
                    "parent": parent if (shell and i > 0) else None,
                    "cls": r["cls"],
                    "saon": r.get("saon", ""),
                    "name": r.get("name", ""),
                    "num": r.get("num", ""),
                    "street": st["name"],
                    "loc": st["loc"],
                    "usrn": st["usrn"],
                    "e": round(e + self.rng.normal(0, 0.6), 2),
                    "n": round(n + self.rng.normal(0, 0.6), 2),
                }
            )
            idx.append(len(self.rows) - 1)
            if shell and i == 0:
                parent = u
        self.buildings.append({"st": st, "k": k, "side": int(k) % 2, "rows": idx, "own": own_pc})
        return idx

    def ps_rows(self) -> None:
        for st in self.streets:
            e, n = self.pos(st, max(1, st["max_k"] // 2))
            self.rows.append(
                {
                    "uprn": self.new_uprn(),
                    "parent": None,
                    "cls": "PS",
                    "saon": "",
                    "name": "",
                    "num": "",
                    "street": st["name"],
                    "loc": st["loc"],
                    "usrn": st["usrn"],
                    "e": round(e, 2),
                    "n": round(n, 2),
                    "pc": None,
                }
            )


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _shop_cls(rng) -> str:
    return str(
        rng.choice(
            ["CR08", "CR07", "CR10", "CR09", "CR02", "CR01", "CO01"], p=[0.48, 0.15, 0.12, 0.08, 0.06, 0.05, 0.06]
        )
    )


def _office_building(b: _Builder, st: dict, k: int, name: str, num: str) -> None:
    rng = b.rng
    shell = {"cls": "PP", "name": name, "num": num}
    if rng.random() < 0.5:
        floors = FLOOR_WORDS[: int(rng.integers(2, 6))]
        kids = [{"cls": "CO01", "saon": f, "name": name, "num": num} for f in floors]
    else:
        kids = [
            {"cls": "CO01", "saon": f"SUITE {i}", "name": name, "num": num} for i in range(1, int(rng.integers(3, 13)))
        ]
    b.building(st, k, [shell] + kids, own_pc=len(kids) >= 6)


def _retail_street(b: _Builder, st: dict, n_nums: int, names: dict, reserve_one: bool) -> None:
    rng = b.rng
    for parity in (1, 2):
        k = parity
        while k <= n_nums:
            if reserve_one and k == 1:  # the corner building fronting the main street holds this frontage
                k += 2
                continue
            r = rng.random()
            num = str(k)
            if r < 0.08 and k + 2 <= n_nums:
                b.building(st, k, [{"cls": _shop_cls(rng), "num": f"{k}-{k + 2}"}])
                k += 4
                continue
            if r < 0.36:
                b.building(st, k, [{"cls": _shop_cls(rng), "num": num}])
            elif r < 0.46:
                b.building(st, k, [{"cls": _shop_cls(rng), "num": num}, {"cls": "RD06", "num": num + "A"}])
            elif r < 0.62:
                flats = (
                    [{"cls": "RD06", "saon": "FIRST FLOOR FLAT", "num": num}]
                    if rng.random() < 0.55
                    else [{"cls": "RD06", "saon": f"FLAT {i}", "num": num} for i in range(1, int(rng.integers(2, 4)))]
                )
                b.building(
                    st,
                    k,
                    [{"cls": "PP", "num": num}, {"cls": _shop_cls(rng), "saon": "GROUND FLOOR", "num": num}] + flats,
                )
            elif r < 0.72:
                ups = [{"cls": "CO01", "saon": "FIRST FLOOR", "num": num}]
                if rng.random() < 0.5:
                    ups.append({"cls": "CO01", "saon": "SECOND FLOOR", "num": num})
                b.building(
                    st,
                    k,
                    [{"cls": "PP", "num": num}, {"cls": _shop_cls(rng), "saon": "GROUND FLOOR", "num": num}] + ups,
                )
            elif r < 0.77 and names["pubs"]:
                b.building(st, k, [{"cls": "CR06", "name": names["pubs"].pop(), "num": num}])
            elif r < 0.81 and names["offices"]:
                _office_building(b, st, k, names["offices"].pop(), num)
            elif r < 0.83 and names["hotels"]:
                b.building(st, k, [{"cls": "CH03", "name": names["hotels"].pop(), "num": num}])
            else:
                b.building(st, k, [{"cls": _shop_cls(rng), "num": num}])
            k += 2


def _houses(b: _Builder, st: dict, n_nums: int, names: dict, flats_share: float = 0.09) -> None:
    rng = b.rng
    kind = _pick(rng, ["RD04", "RD04", "RD03", "RD03", "RD02"])
    for k in range(1, n_nums + 1):
        r = rng.random()
        num = str(k)
        if r < flats_share:
            if rng.random() < 0.5:
                kids = [{"cls": "RD06", "saon": f"FLAT {i}", "num": num} for i in range(1, int(rng.integers(2, 5)))]
            else:
                kids = [{"cls": "RD06", "saon": s, "num": num} for s in ["GROUND FLOOR FLAT", "FIRST FLOOR FLAT"]]
            b.building(st, k, [{"cls": "PP", "num": num}] + kids)
        elif r < flats_share + 0.012 and names["blocks"]:
            name = names["blocks"].pop()
            kids = [
                {"cls": "RD06", "saon": f"FLAT {i}", "name": name, "num": num}
                for i in range(1, int(rng.integers(6, 25)))
            ]
            b.building(st, k, [{"cls": "PP", "name": name, "num": num}] + kids, own_pc=True)
        else:
            b.building(st, k, [{"cls": kind, "num": num}])


def _estate(b: _Builder, st: dict, name: str) -> None:
    rng = b.rng
    kids = []
    for i in range(1, int(rng.integers(10, 31))):
        cls = str(rng.choice(["CI01", "CI03", "CI04", "CO01", "CR08"], p=[0.25, 0.3, 0.3, 0.08, 0.07]))
        if rng.random() < 0.12:
            kids += [{"cls": cls, "saon": f"UNIT {i}{s}", "name": name} for s in "AB"]
        else:
            kids.append({"cls": cls, "saon": f"UNIT {i}", "name": name})
    b.building(st, st["max_k"] + 3, [{"cls": "PP", "name": name}] + kids, own_pc=True)


def _bus_park(b: _Builder, st: dict, names: dict) -> None:
    rng = b.rng
    n_b = int(rng.integers(8, 18))
    for k in range(1, n_b + 1):
        if rng.random() < 0.4 and names["offices"]:
            _office_building(b, st, k, names["offices"].pop(), str(k))
        else:
            b.building(st, k, [{"cls": str(rng.choice(["CO01", "CI01", "CI04"], p=[0.6, 0.2, 0.2])), "num": str(k)}])
    for p in range(n_b + 2, n_b + 2 + int(rng.integers(3, 8))):  # pre-build plots of the next phase
        b.building(st, p, [{"cls": "LD01", "saon": f"PLOT {p}"}])


def _district_of(st_n: float) -> int:
    return 1 if st_n >= N0 else 2


def make_gazetteer(seed: int = 61, n_streets: int | None = None) -> pd.DataFrame:
    """A synthetic LLPG for the city of Calderbury: centre streets of shops with flats and offices above,
    shopping centres with units, office buildings with floors and suites, railway arches, a market hall,
    pubs and hotels by name, suburbs of houses with local parades, schools, surgeries, churches, petrol
    stations, masts, industrial estates with units, business parks with pre-build plots; one PS row a
    street. About 15-20 thousand rows at the default size."""
    rng = np.random.default_rng(seed)
    n_streets = int(n_streets or 400)
    scale = n_streets / 400.0
    b = _Builder(rng)
    names = {
        "pubs": list(rng.permutation(PUB_NAMES)),
        "offices": list(rng.permutation(OFFICE_NAMES)),
        "hotels": list(rng.permutation(HOTEL_NAMES)),
        "blocks": [f"{p} {s}" for p in rng.permutation(PREFIXES)[:40] for s in ["COURT"]],
    }
    centre = (E0, N0)
    n_retail = max(3, int(round(len(CENTRE_RETAIL) * min(1.0, scale))))
    retail = []
    for name in CENTRE_RETAIL[:n_retail]:
        st = b.street(name, "", 0, centre, 650, 5.5)
        st["district"] = _district_of(st["n"])
        retail.append(st)
    # corner buildings: number 1 of street i+1 is the corner building numbered on street i
    for i, st in enumerate(retail):
        _retail_street(b, st, int(rng.integers(30, 90)), names, reserve_one=(i % 2 == 1))
    # market place with pubs and the market hall
    mp = b.street("MARKET PLACE", "", 0, centre, 200, 7.0)
    mp["district"] = _district_of(mp["n"])
    for k in range(1, int(rng.integers(14, 26))):
        if rng.random() < 0.3 and names["pubs"]:
            b.building(mp, k, [{"cls": "CR06", "name": names["pubs"].pop(), "num": str(k)}])
        else:
            b.building(mp, k, [{"cls": _shop_cls(rng), "num": str(k)}])
    b.building(mp, mp["max_k"] + 2, [{"cls": "CR04", "name": "MARKET HALL"}], own_pc=True)
    # shopping centres on retail streets
    for name, st in zip(SHOP_CENTRES[: max(1, min(3, n_retail // 3))], retail):
        kids = []
        for i in range(1, int(rng.integers(25, 56))):
            cls = str(rng.choice(["CR08", "CR07", "CR10", "CR01", "CR02"], p=[0.7, 0.12, 0.06, 0.05, 0.07]))
            if rng.random() < 0.07:
                kids += [{"cls": cls, "saon": f"UNIT {i}{s}", "name": name} for s in "AB"]
            else:
                kids.append({"cls": cls, "saon": f"UNIT {i}", "name": name})
        kids += [{"cls": "CR08", "saon": f"KIOSK {i}", "name": name} for i in range(1, int(rng.integers(2, 5)))]
        b.building(st, st["max_k"] + 3, [{"cls": "PP", "name": name}] + kids, own_pc=True)
    # office streets
    for name in CENTRE_OFFICE[: max(2, int(round(len(CENTRE_OFFICE) * min(1.0, scale))))]:
        st = b.street(name, "", 0, centre, 900, 12.0)
        st["district"] = _district_of(st["n"])
        for k in range(1, int(rng.integers(12, 34))):
            r = rng.random()
            if r < 0.4 and names["offices"]:
                _office_building(b, st, k, names["offices"].pop(), str(k))
            elif r < 0.6:
                b.building(st, k, [{"cls": "CO01", "num": str(k)}])
            elif r < 0.75:
                floors = FLOOR_WORDS[: int(rng.integers(2, 5))]
                b.building(
                    st, k, [{"cls": "PP", "num": str(k)}] + [{"cls": "CO01", "saon": f, "num": str(k)} for f in floors]
                )
            elif r < 0.87 and names["blocks"]:
                bn = names["blocks"].pop()
                kids = [
                    {"cls": "RD06", "saon": f"FLAT {i}", "name": bn, "num": str(k)}
                    for i in range(1, int(rng.integers(8, 40)))
                ]
                b.building(st, k, [{"cls": "PP", "name": bn, "num": str(k)}] + kids, own_pc=True)
            else:
                b.building(st, k, [{"cls": _shop_cls(rng), "num": str(k)}])
    # railway arches and the station
    via = b.street("VIADUCT ROAD", "", 0, centre, 700, 9.0)
    via["district"] = _district_of(via["n"])
    a, last = 101, 101 + int(rng.integers(30, 70))
    while a <= last:
        cls = str(rng.choice(["CI03", "CI04", "CR06", "CR07", "CL06", "CR08"], p=[0.4, 0.2, 0.1, 0.1, 0.1, 0.1]))
        if rng.random() < 0.1 and a + 1 <= last:
            b.building(via, a - 100, [{"cls": cls, "name": f"ARCHES {a}-{a + 1}"}])
            a += 2
        else:
            b.building(via, a - 100, [{"cls": cls, "name": f"ARCH {a}"}])
            a += 1
    sa = b.street("STATION APPROACH", "", 0, centre, 700, 10.0)
    sa["district"] = _district_of(sa["n"])
    b.building(sa, 1, [{"cls": "CT08", "name": f"{TOWN} STATION"}], own_pc=True)
    b.building(sa, 2, [{"cls": "CT03", "name": "MULTI STOREY CAR PARK"}])
    for k in range(3, int(rng.integers(8, 16))):
        b.building(sa, k, [{"cls": _shop_cls(rng), "num": str(k)}])
    # centre homes
    for name in CENTRE_HOMES[: max(2, int(round(len(CENTRE_HOMES) * min(1.0, scale))))]:
        st = b.street(name, "", 0, centre, 1100, 6.0)
        st["district"] = _district_of(st["n"])
        _houses(b, st, int(rng.integers(20, 70)), names, flats_share=0.2)
    # suburbs
    n_loc = max(2, min(len(LOCALITIES), int(round(8 * scale))))
    used = {s["name"] for s in b.streets}
    fresh = [f"{p} {s}" for p in PREFIXES for s in SUFFIXES]
    fresh = [fresh[i] for i in rng.permutation(len(fresh))]
    fresh = [f for f in fresh if f not in used]
    n_centre = len(b.streets)
    n_estates = max(1, int(round(6 * scale)))
    n_parks = max(1, int(round(3 * scale)))
    per_loc = max(4, (n_streets - n_centre - n_parks) // n_loc)
    estate_names = list(rng.permutation(ESTATES))[:n_estates]
    park_names = list(rng.permutation(BUS_PARKS))[:n_parks]
    for li in range(n_loc):
        loc = LOCALITIES[li]
        ang = 2 * np.pi * li / n_loc + rng.uniform(-0.2, 0.2)
        dist = rng.uniform(2600, 4200)
        c = (E0 + dist * np.cos(ang), N0 + dist * np.sin(ang))
        district = 3 + li
        local = list(rng.permutation(COMMON_LOCAL))[: int(rng.integers(3, 6))]
        if "HIGH STREET" not in local:
            local[0] = "HIGH STREET"
        streets = []
        for name in local:
            streets.append(b.street(name, loc, district, c, 1300, 7.0))
        while len(streets) < per_loc and fresh:
            streets.append(b.street(fresh.pop(), loc, district, c, 1500, 9.0))
        for st in streets:
            if st["name"] == "HIGH STREET":
                _retail_street(b, st, int(rng.integers(20, 50)), names, reserve_one=False)
                b.building(st, st["max_k"] + 2, [{"cls": "CM02", "name": f"{loc} MEDICAL CENTRE"}])
                if rng.random() < 0.7:
                    b.building(st, st["max_k"] + 2, [{"cls": "CR05", "name": f"{loc} SERVICE STATION"}])
            elif st["name"] == "SCHOOL LANE" or (st["name"] == "CHURCH LANE" and "SCHOOL LANE" not in local):
                _houses(b, st, int(rng.integers(10, 40)), names)
                school = f"{loc} PRIMARY SCHOOL" if rng.random() < 0.5 else f"ST {_pick(rng, SAINTS)} CE PRIMARY SCHOOL"
                b.building(st, st["max_k"] + 2, [{"cls": "CE03", "name": school}], own_pc=True)
                if st["name"] == "CHURCH LANE":
                    b.building(st, st["max_k"] + 2, [{"cls": "ZW99", "name": f"ST {_pick(rng, SAINTS)} CHURCH"}])
            elif st["name"] == "CHAPEL STREET":
                _houses(b, st, int(rng.integers(10, 40)), names)
                b.building(st, st["max_k"] + 2, [{"cls": "ZW99", "name": f"{loc} METHODIST CHURCH"}])
            else:
                _houses(b, st, int(rng.integers(8, 62)), names)
        # a mast and a public car park in some suburbs; an academy in some
        host = streets[int(rng.integers(len(streets)))]
        if rng.random() < 0.6:
            b.building(host, host["max_k"] + 3, [{"cls": "CU06", "name": "TELECOMMUNICATIONS MAST"}])
        host = streets[int(rng.integers(len(streets)))]
        if rng.random() < 0.5:
            b.building(host, host["max_k"] + 3, [{"cls": "CT03", "name": "PUBLIC CAR PARK"}])
        if rng.random() < 0.5:
            host = streets[int(rng.integers(len(streets)))]
            b.building(host, host["max_k"] + 3, [{"cls": "CE04", "name": f"{loc} ACADEMY"}], own_pc=True)
        if estate_names and li % max(1, n_loc // n_estates) == 0:
            host = [s for s in streets if s["name"] in ("MILL LANE", "STATION ROAD")] or streets[-1:]
            _estate(b, host[0], estate_names.pop())
        if park_names and li % max(1, n_loc // n_parks) == 1 % n_loc:
            st = b.street(park_names.pop(), loc, district, c, 1800, 25.0)
            _bus_park(b, st, names)
    for name in estate_names:  # any left over go to the last suburb's last street
        _estate(b, b.streets[-1], name)
    _assign_postcodes(b)
    b.ps_rows()
    return _frame(b)


def _assign_postcodes(b: _Builder) -> None:
    rng = b.rng
    counters: dict[int, int] = {}
    pools: dict[tuple, list] = {}

    def new_unit(district: int, size: int) -> str:
        c = counters.get(district, 0)
        sector = min(9, c // 320)
        counters[district] = c + size
        key = (district, sector)
        if key not in pools:
            pairs = [a + z for a in INWARD for z in INWARD]
            pools[key] = [pairs[i] for i in rng.permutation(len(pairs))]
        return f"{AREA}{district} {sector}{pools[key].pop()}"

    groups: dict[tuple, list] = {}
    for bi, bd in enumerate(b.buildings):
        if bd["own"]:
            size = len(bd["rows"])
            pc = new_unit(bd["st"]["district"], size)
            for j, ri in enumerate(bd["rows"]):
                if j and j % 45 == 0:
                    pc = new_unit(bd["st"]["district"], 0)
                b.rows[ri]["pc"] = pc
        else:
            groups.setdefault((bd["st"]["usrn"], bd["side"]), []).append(bi)
    for key in sorted(groups):
        blds = sorted(groups[key], key=lambda i: (b.buildings[i]["k"], i))
        target, count, pc = 0, 0, None
        for bi in blds:
            bd = b.buildings[bi]
            if pc is None or count >= target:
                target, count = int(rng.integers(8, 26)), 0
                pc = new_unit(bd["st"]["district"], target)
            for ri in bd["rows"]:
                b.rows[ri]["pc"] = pc
            count += len(bd["rows"])


def _address(r: dict) -> str:
    parts = [r["saon"], r["name"], f"{r['num']} {r['street']}".strip(), r["loc"], TOWN]
    return ", ".join(p for p in parts if p)


def _frame(b: _Builder) -> pd.DataFrame:
    rows = b.rows
    df = pd.DataFrame(
        {
            "uprn": np.array([r["uprn"] for r in rows], dtype="int64"),
            "parent_uprn": pd.array([r["parent"] for r in rows], dtype="Int64"),
            "class_code": [r["cls"] for r in rows],
            "address": [_address(r) for r in rows],
            "postcode": [r.get("pc") for r in rows],
            "usrn": np.array([r["usrn"] for r in rows], dtype="int64"),
            "easting": np.array([r["e"] for r in rows], dtype="float64"),
            "northing": np.array([r["n"] for r in rows], dtype="float64"),
        }
    )
    df = df.sort_values("uprn", kind="stable").reset_index(drop=True)
    assert df["uprn"].is_unique
    return df


# ---------------------------------------------------------------------------------------------------------------
# reading the gazetteer back into parts


def _parse(gaz: pd.DataFrame) -> pd.DataFrame:
    ps = gaz[gaz["class_code"] == "PS"]
    street_of, loc_of = {}, {}
    for usrn, addr in zip(ps["usrn"].tolist(), ps["address"].tolist()):
        parts = addr.split(", ")
        street_of[usrn] = parts[0]
        loc_of[usrn] = parts[1] if len(parts) == 3 else ""
    out = []
    for row in gaz.itertuples(index=False):
        if row.class_code == "PS":
            continue
        parts = row.address.split(", ")[:-1]
        loc, street = loc_of[row.usrn], street_of[row.usrn]
        if loc:
            parts = parts[:-1]
        last = parts[-1]
        num = "" if last == street else last[: -len(street) - 1]
        pre = parts[:-1]
        saon, name = "", ""
        if len(pre) == 2:
            saon, name = pre
        elif len(pre) == 1:
            if SAON_RE.match(pre[0]):
                saon = pre[0]
            else:
                name = pre[0]
        out.append(
            {
                "uprn": int(row.uprn),
                "parent": None if pd.isna(row.parent_uprn) else int(row.parent_uprn),
                "cls": row.class_code,
                "saon": saon,
                "name": name,
                "num": num,
                "street": street,
                "loc": loc,
                "usrn": int(row.usrn),
                "pc": row.postcode,
                "address": row.address,
                "e": float(row.easting),
                "n": float(row.northing),
            }
        )
    p = pd.DataFrame(out)
    p["parent"] = pd.Series([o["parent"] for o in out], dtype=object)  # int or None, never a float
    kids: dict[int, list] = {}
    for o in out:
        if o["parent"] is not None:
            kids.setdefault(o["parent"], []).append(o["cls"])
    p["kind"] = [_kind(r, kids) for r in p.to_dict("records")]
    return p


def _kind(r: dict, kids: dict) -> str:
    cls, saon, name, num = r["cls"], r["saon"], r["name"], r["num"]
    if cls == "PP":
        ch = kids.get(r["uprn"], [])
        if name.endswith(("CENTRE", "ARCADE")):
            return "centre"
        if "ESTATE" in name:
            return "estate"
        if all(c.startswith("RD") for c in ch):
            return "res_shell"
        if all(c == "CO01" for c in ch):
            return "office_bldg"
        return "mixed_shell"
    if cls == "LD01":
        return "plot"
    if name.startswith("ARCH"):
        return "arch"
    if cls.startswith("RD"):
        if cls != "RD06":
            return "house"
        if num.endswith("A") and not saon:
            return "flat_over_shop"
        if r["parent"] is not None and any(c.startswith("C") for c in kids.get(r["parent"], [])):
            return "flat_over_shop"
        return "flat"
    if saon.startswith(("UNIT", "KIOSK")):
        return "centre_unit" if name.endswith(("CENTRE", "ARCADE")) else "ind_unit"
    if saon in FLOOR_WORDS or saon.startswith("SUITE"):
        sibs = kids.get(r["parent"], [])
        if cls == "CO01":
            return "office_suite" if sibs and all(c == "CO01" for c in sibs) else "upper_office"
        if saon == "GROUND FLOOR":
            return "gf_unit"
    table = {
        "CR06": "pub",
        "CH03": "hotel",
        "CE03": "school",
        "CE04": "school",
        "CM02": "surgery",
        "ZW99": "church",
        "CR05": "petrol",
        "CT03": "car_park",
        "CU06": "mast",
        "CT08": "station",
        "CR04": "market",
    }
    if cls in table:
        return table[cls]
    if cls == "CO01" and name:
        return "bp_bldg"
    if "-" in num:
        return "range"
    if cls == "CO01" and r["street"] in BUS_PARKS:
        return "bp_bldg"
    return "shop"


# ---------------------------------------------------------------------------------------------------------------
# records: agencies, their premises and their faults

AGENCY_SHARE = {
    "business_rates": 0.24,
    "food_hygiene": 0.20,
    "companies_house": 0.12,
    "fire_safety_audit": 0.10,
    "premises_licence": 0.10,
    "trading_standards": 0.08,
    "planning_enforcement": 0.08,
    "bid_levy": 0.08,
}
PREFIX = {
    "business_rates": "NR",
    "food_hygiene": "FH",
    "companies_house": "CH",
    "fire_safety_audit": "FS",
    "premises_licence": "PL",
    "trading_standards": "TS",
    "planning_enforcement": "PE",
    "bid_levy": "BD",
}

# which premises each agency holds (relative weights by kind, not by count of rows)
AGENCY_KINDS = {
    "business_rates": {
        "shop": 20,
        "gf_unit": 10,
        "upper_office": 8,
        "centre_unit": 12,
        "office_suite": 12,
        "ind_unit": 12,
        "arch": 4,
        "pub": 5,
        "hotel": 1,
        "range": 4,
        "bp_bldg": 4,
        "plot": 2,
        "petrol": 1,
        "car_park": 1,
        "mast": 1,
        "surgery": 1,
        "school": 0.5,
        "market": 2,
        "centre": 1,
        "estate": 1,
        "office_bldg": 1.5,
        "station": 0.5,
    },
    "food_hygiene": {
        "shop": 25,
        "gf_unit": 12,
        "centre_unit": 12,
        "pub": 12,
        "hotel": 4,
        "range": 4,
        "school": 5,
        "church": 1,
        "petrol": 2,
        "arch": 2,
        "ind_unit": 4,
        "market": 3,
        "office_suite": 1,
        "house": 3,
        "station": 1,
    },
    "fire_safety_audit": {
        "pub": 10,
        "hotel": 8,
        "flat_over_shop": 10,
        "office_bldg": 10,
        "centre": 6,
        "shop": 10,
        "gf_unit": 8,
        "centre_unit": 6,
        "ind_unit": 10,
        "school": 6,
        "surgery": 3,
        "church": 3,
        "arch": 3,
        "range": 3,
        "mixed_shell": 6,
        "station": 1,
        "car_park": 1,
        "estate": 2,
    },
    "premises_licence": {
        "pub": 30,
        "shop": 20,
        "gf_unit": 8,
        "centre_unit": 8,
        "hotel": 8,
        "range": 5,
        "arch": 4,
        "church": 2,
        "school": 2,
        "petrol": 3,
        "market": 1,
        "station": 1,
    },
    "companies_house": {"office_suite": 35, "upper_office": 15, "bp_bldg": 10, "ind_unit": 10, "house": 25, "shop": 5},
    "trading_standards": {
        "shop": 35,
        "gf_unit": 10,
        "centre_unit": 15,
        "market": 10,
        "ind_unit": 10,
        "arch": 5,
        "petrol": 3,
        "range": 4,
        "house": 3,
    },
    "planning_enforcement": {
        "shop": 20,
        "gf_unit": 5,
        "flat_over_shop": 15,
        "house": 20,
        "ind_unit": 8,
        "arch": 4,
        "range": 4,
        "pub": 5,
        "mixed_shell": 5,
        "car_park": 3,
        "estate": 2,
    },
    "bid_levy": {
        "shop": 30,
        "gf_unit": 12,
        "upper_office": 8,
        "centre_unit": 15,
        "office_suite": 10,
        "pub": 6,
        "hotel": 3,
        "range": 5,
        "office_bldg": 2,
        "arch": 3,
        "market": 2,
    },
}

# fault weights by agency; the reasons:
# - business rates: VOA list text uses floor words and unit forms of its own (floor_words, unit_format),
#   lists advertising rights, parking spaces and rooftop masts with no address (non_addressable, ~8 %:
#   the rating manual gives them their own hereditaments), splits and new units before the LLPG catches up
#   (new_unit 4 %), market stalls, plots that became units; the rest keyboard faults at a few %.
# - food hygiene: FHRS address line 1 often holds the business name (business_name_prefix 22 %), trading
#   names, unit forms in shopping centres; the FHRS blogs report missing / wrong postcodes at a few %.
# - fire safety audits: premises known by name (name_only), whole buildings written with one unit's
#   address (unit_for_shell) or units with the building's (shell_for_unit), flats above shops.
# - premises licences: registers are kept by premises name, so business names and renamed pubs are
#   common (15 % + 10 %), corner pubs under the side street.
# - Companies House: "C/O" accountants' offices (care_of 15 %), self-typed suites and floors, ~1-3 %
#   missing or wrong postcodes (the DAR notes say about 1 % have none or a bad one; more for a city centre).
# - trading standards: free text from complaints: names, stalls, abbreviations, typos, missing postcodes,
#   a chain's head office postcode.
# - planning enforcement: "Land at / Site of / Former" (30 %), new buildings, flats above shops.
# - BID levy: drawn from the rating list with trading names added.
AGENCY_FAULTS = {
    "business_rates": {
        "clean": 0.30,
        "floor_words": 0.09,
        "unit_format": 0.07,
        "range_first_number": 0.03,
        "range_format": 0.02,
        "shell_for_unit": 0.04,
        "abbreviation": 0.06,
        "typo": 0.04,
        "joined_or_dropped_words": 0.02,
        "wrong_postcode": 0.03,
        "no_postcode": 0.01,
        "non_addressable_hereditament": 0.08,
        "not_in_gazetteer_new_unit": 0.04,
        "not_in_gazetteer_new_building": 0.02,
        "plot_now_unit": 0.02,
        "market_stall": 0.02,
        "business_name_prefix": 0.02,
        "previous_occupier": 0.03,
        "wrong_number": 0.01,
        "corner_other_street": 0.01,
        "trading_name_for_building": 0.02,
    },
    "food_hygiene": {
        "clean": 0.28,
        "business_name_prefix": 0.22,
        "trading_name_for_building": 0.05,
        "unit_format": 0.06,
        "floor_words": 0.02,
        "shell_for_unit": 0.05,
        "abbreviation": 0.04,
        "typo": 0.05,
        "joined_or_dropped_words": 0.03,
        "wrong_postcode": 0.04,
        "no_postcode": 0.02,
        "range_first_number": 0.03,
        "range_format": 0.01,
        "name_only": 0.04,
        "head_office_postcode": 0.02,
        "not_in_gazetteer_new_unit": 0.02,
        "not_in_gazetteer_new_building": 0.02,
        "market_stall": 0.02,
        "corner_other_street": 0.01,
        "wrong_number": 0.01,
    },
    "fire_safety_audit": {
        "clean": 0.30,
        "business_name_prefix": 0.12,
        "name_only": 0.08,
        "unit_for_shell": 0.04,
        "shell_for_unit": 0.06,
        "flat_above_format": 0.06,
        "floor_words": 0.05,
        "unit_format": 0.04,
        "abbreviation": 0.05,
        "typo": 0.05,
        "wrong_postcode": 0.03,
        "no_postcode": 0.03,
        "trading_name_for_building": 0.04,
        "range_first_number": 0.02,
        "corner_other_street": 0.02,
        "not_in_gazetteer_new_building": 0.02,
        "joined_or_dropped_words": 0.02,
    },
    "premises_licence": {
        "clean": 0.30,
        "business_name_prefix": 0.15,
        "trading_name_for_building": 0.10,
        "name_only": 0.08,
        "unit_format": 0.04,
        "range_first_number": 0.03,
        "range_format": 0.02,
        "abbreviation": 0.04,
        "typo": 0.04,
        "wrong_postcode": 0.03,
        "no_postcode": 0.02,
        "corner_other_street": 0.03,
        "shell_for_unit": 0.03,
        "market_stall": 0.02,
        "not_in_gazetteer_new_building": 0.02,
        "not_in_gazetteer_new_unit": 0.02,
        "joined_or_dropped_words": 0.02,
    },
    "companies_house": {
        "clean": 0.30,
        "care_of": 0.15,
        "floor_words": 0.06,
        "unit_format": 0.05,
        "shell_for_unit": 0.05,
        "abbreviation": 0.07,
        "typo": 0.04,
        "wrong_postcode": 0.04,
        "no_postcode": 0.03,
        "business_name_prefix": 0.04,
        "joined_or_dropped_words": 0.03,
        "not_in_gazetteer_new_unit": 0.03,
        "not_in_gazetteer_new_building": 0.03,
        "wrong_number": 0.02,
        "trading_name_for_building": 0.03,
    },
    "trading_standards": {
        "clean": 0.22,
        "business_name_prefix": 0.15,
        "unit_format": 0.06,
        "market_stall": 0.07,
        "abbreviation": 0.08,
        "typo": 0.07,
        "joined_or_dropped_words": 0.04,
        "no_postcode": 0.06,
        "wrong_postcode": 0.04,
        "previous_occupier": 0.04,
        "shell_for_unit": 0.05,
        "head_office_postcode": 0.04,
        "not_in_gazetteer_new_unit": 0.03,
        "not_in_gazetteer_new_building": 0.02,
        "range_first_number": 0.02,
        "wrong_number": 0.02,
    },
    "planning_enforcement": {
        "clean": 0.25,
        "land_at": 0.30,
        "flat_above_format": 0.06,
        "not_in_gazetteer_new_building": 0.06,
        "previous_occupier": 0.05,
        "abbreviation": 0.05,
        "typo": 0.04,
        "no_postcode": 0.08,
        "wrong_number": 0.02,
        "range_first_number": 0.02,
        "business_name_prefix": 0.04,
        "joined_or_dropped_words": 0.03,
    },
    "bid_levy": {
        "clean": 0.35,
        "business_name_prefix": 0.15,
        "floor_words": 0.05,
        "unit_format": 0.06,
        "shell_for_unit": 0.05,
        "abbreviation": 0.06,
        "typo": 0.03,
        "range_first_number": 0.03,
        "range_format": 0.02,
        "trading_name_for_building": 0.04,
        "previous_occupier": 0.04,
        "non_addressable_hereditament": 0.03,
        "not_in_gazetteer_new_unit": 0.02,
        "wrong_postcode": 0.03,
    },
}

NON_DOM = [
    "shop",
    "gf_unit",
    "upper_office",
    "centre_unit",
    "office_suite",
    "ind_unit",
    "arch",
    "pub",
    "hotel",
    "range",
    "bp_bldg",
    "petrol",
    "surgery",
    "school",
    "church",
    "station",
    "car_park",
    "market",
]
NAMED = [
    "pub",
    "hotel",
    "school",
    "surgery",
    "church",
    "petrol",
    "station",
    "market",
    "office_bldg",
    "centre",
    "bp_bldg",
    "car_park",
]
CLASS_KINDS = {
    "clean": NON_DOM + ["house", "flat_over_shop", "office_bldg", "centre", "estate", "mixed_shell", "plot", "mast"],
    "business_name_prefix": NON_DOM + ["house"],
    "trading_name_for_building": ["pub", "hotel", "office_suite", "bp_bldg", "school", "petrol", "surgery"],
    "previous_occupier": ["shop", "gf_unit", "centre_unit", "range", "ind_unit", "pub"],
    "unit_format": ["centre_unit", "ind_unit", "arch", "office_suite"],
    "floor_words": ["gf_unit", "upper_office", "office_suite", "flat_over_shop"],
    "range_first_number": ["range"],
    "range_format": ["range"],
    "shell_for_unit": ["centre_unit", "office_suite", "ind_unit", "gf_unit", "upper_office"],
    "unit_for_shell": ["office_bldg", "centre", "mixed_shell", "estate"],
    "corner_other_street": ["shop", "pub", "gf_unit", "range", "hotel", "office_suite"],
    "abbreviation": NON_DOM + ["house", "office_bldg", "centre", "estate"],
    "typo": NON_DOM + ["house", "flat_over_shop", "office_bldg", "centre"],
    "joined_or_dropped_words": NON_DOM + ["house", "office_bldg", "centre", "estate"],
    "wrong_postcode": NON_DOM + ["house", "flat_over_shop", "office_bldg", "centre"],
    "no_postcode": NON_DOM + ["house", "flat_over_shop", "office_bldg", "centre", "mixed_shell"],
    "head_office_postcode": ["shop", "gf_unit", "centre_unit", "petrol", "pub", "hotel", "range", "ind_unit"],
    "care_of": ["office_suite", "upper_office"],
    "name_only": NAMED,
    "flat_above_format": ["flat_over_shop"],
    "wrong_number": ["shop", "house", "gf_unit", "upper_office", "office_suite"],
    "plot_now_unit": ["plot"],
    "market_stall": ["market"],
    "not_in_gazetteer_new_unit": [
        "centre",
        "estate",
        "arch",
        "office_bldg",
        "centre_unit",
        "ind_unit",
        "office_suite",
        "market",
        "shop",
        "pub",
        "house",
        "gf_unit",
    ],
    "not_in_gazetteer_new_building": [
        "shop",
        "house",
        "pub",
        "gf_unit",
        "ind_unit",
        "office_suite",
        "range",
        "flat_over_shop",
        "mixed_shell",
        "centre_unit",
        "market",
        "arch",
        "school",
        "upper_office",
        "hotel",
        "petrol",
        "car_park",
        "estate",
        "bp_bldg",
        "office_bldg",
        "centre",
        "surgery",
        "church",
        "station",
    ],
    "land_at": [
        "shop",
        "house",
        "pub",
        "gf_unit",
        "ind_unit",
        "range",
        "flat_over_shop",
        "mixed_shell",
        "car_park",
        "estate",
        "arch",
        "upper_office",
    ],
    "non_addressable_hereditament": [
        "shop",
        "gf_unit",
        "office_bldg",
        "centre",
        "pub",
        "range",
        "office_suite",
        "upper_office",
        "centre_unit",
        "car_park",
        "station",
        "market",
    ],
}
NONE_CLASSES = {"not_in_gazetteer_new_unit", "not_in_gazetteer_new_building", "land_at", "non_addressable_hereditament"}

ABBREV = [
    ("INDUSTRIAL ESTATE", "IND EST"),
    ("TRADING ESTATE", "TRAD EST"),
    ("BUSINESS PARK", "BUS PK"),
    ("SHOPPING CENTRE", "SHOPPING CTR"),
    ("CENTRE", "CTR"),
    ("HOUSE", "HSE"),
    ("CHAMBERS", "CHBRS"),
    ("STREET", "ST"),
    ("ROAD", "RD"),
    ("AVENUE", "AVE"),
    ("LANE", "LN"),
    ("SQUARE", "SQ"),
    ("PLACE", "PL"),
    ("CRESCENT", "CRES"),
    ("DRIVE", "DR"),
    ("TERRACE", "TCE"),
    ("GARDENS", "GDNS"),
    ("CLOSE", "CL"),
    ("APPROACH", "APP"),
    ("GROUND FLOOR", "GRD FLR"),
    ("FIRST FLOOR", "1ST FLR"),
    ("SECOND FLOOR", "2ND FLR"),
    ("PUBLIC HOUSE", "PH"),
    ("SAINT", "ST"),
    ("MEDICAL CENTRE", "MED CTR"),
    ("PRIMARY SCHOOL", "PRIM SCH"),
    ("SERVICE STATION", "SERV STN"),
]
FLOOR_VARIANTS = {
    "GROUND FLOOR": [
        "GF",
        "GRD FLR",
        "GROUND FLR",
        "G/F",
        "GROUND FLOOR FRONT",
        "GROUND FLOOR REAR",
        "PART GROUND FLOOR",
        "PT GRD FLR",
        "GROUND FLOOR SHOP",
    ],
    "FIRST FLOOR": [
        "1ST FLOOR",
        "1ST FLR",
        "FIRST FLR",
        "FLOOR 1",
        "LEVEL 1",
        "PART FIRST FLOOR",
        "1F",
        "1ST FLOOR OFFICES",
    ],
    "SECOND FLOOR": ["2ND FLOOR", "2ND FLR", "SECOND FLR", "FLOOR 2", "LEVEL 2", "PT 2ND FLR"],
    "THIRD FLOOR": ["3RD FLOOR", "3RD FLR", "FLOOR 3", "LEVEL 3"],
    "FOURTH FLOOR": ["4TH FLOOR", "4TH FLR", "FLOOR 4", "LEVEL 4"],
    "FIRST FLOOR FLAT": ["1ST FLOOR FLAT", "1ST FLR FLAT", "FIRST FLR FLAT", "FLAT 1ST FLOOR", "UPPER FLAT"],
    "GROUND FLOOR FLAT": ["GRD FLR FLAT", "GF FLAT"],
}
BIZ_A = [
    "GOLDEN",
    "ROYAL",
    "STAR",
    "NORTHERN",
    "CALDER",
    "PARK",
    "VILLAGE",
    "EXPRESS",
    "CITY",
    "PRIME",
    "BLUE",
    "RED",
    "OAK",
    "ELITE",
    "CROWN",
    "EMPIRE",
    "HAPPY",
    "LUCKY",
    "KINGS",
    "PREMIER",
    "METRO",
    "URBAN",
    "SUNRISE",
    "PENNINE",
    "JADE",
    "ALPHA",
    "ORIENT",
    "MILLENNIUM",
    "VICTORIA",
    "CORNER",
]
BIZ_B = {
    "food": [
        "KEBAB HOUSE",
        "PIZZA",
        "FISH BAR",
        "CAFE",
        "NOODLE BAR",
        "GRILL",
        "BAKERY",
        "TANDOORI",
        "CHICKEN",
        "COFFEE HOUSE",
        "SANDWICH BAR",
        "DINER",
        "BISTRO",
    ],
    "shop": [
        "STORES",
        "FASHIONS",
        "MOBILE REPAIRS",
        "BARBERS",
        "NAILS",
        "VAPE",
        "OPTICIANS",
        "PHARMACY",
        "CONVENIENCE STORE",
        "BOOKMAKERS",
        "WINES",
        "JEWELLERS",
        "FLORIST",
        "NEWS",
        "HAIR STUDIO",
    ],
    "office": [
        "ACCOUNTANTS",
        "SOLICITORS LLP",
        "RECRUITMENT LTD",
        "CONSULTING LTD",
        "LETTINGS",
        "INSURANCE BROKERS",
        "FINANCIAL SERVICES LTD",
        "DESIGN LTD",
        "HOLDINGS LTD",
        "SOFTWARE LTD",
    ],
    "ind": [
        "ENGINEERING LTD",
        "MOTORS",
        "JOINERY",
        "TYRES",
        "FABRICATIONS LTD",
        "PRINT LTD",
        "LOGISTICS LTD",
        "AUTO REPAIRS",
        "BODY SHOP",
        "STONE LTD",
    ],
    "pub": ["TAP ROOM", "ALE HOUSE", "BAR AND KITCHEN", "SPORTS BAR", "INN", "TAVERN", "LOUNGE"],
}
FIRMS = [
    "HARGREAVES AND CO",
    "PATEL DODD ASSOCIATES",
    "BRIERLEY SHAW LLP",
    "ASHWORTH ACCOUNTANCY LTD",
    "CROSSLEY MARSH",
    "WHITAKER AND PARTNERS",
    "KNOWLES BELL LTD",
    "ORMEROD TAX SERVICES",
    "SUTCLIFFE CO",
    "HOLROYD AND HIRST",
]
OLD_TENANTS = [
    "WOOLWORTHS",
    "BLOCKBUSTER",
    "BHS",
    "COMET",
    "JJB SPORTS",
    "HMV",
    "THE GAME STORE",
    "PHONES 4U",
    "KWIK SAVE",
    "MFI",
    "DOROTHY PERKINS",
    "ATHENA",
]
APOS = {
    "MARYS": "MARY'S",
    "JOHNS": "JOHN'S",
    "PETERS": "PETER'S",
    "ANNS": "ANN'S",
    "KINGS": "KING'S",
    "QUEENS": "QUEEN'S",
    "MASONS": "MASON'S",
    "MARKS": "MARK'S",
    "LUKES": "LUKE'S",
    "MICHAELS": "MICHAEL'S",
    "ANDREWS": "ANDREW'S",
    "BRICKLAYERS": "BRICKLAYER'S",
    "MERCHANTS": "MERCHANT'S",
}

# how each agency writes: case, locality / town / county shares, postcode in the text, separator
STYLE = {
    "business_rates": {
        "case": {"upper": 1.0},
        "loc": 0.6,
        "town": 1.0,
        "county": 0.0,
        "pc_text": 0.7,
        "num_comma": 0.4,
        "sep": {", ": 1.0},
        "pc_nospace": 0.1,
    },
    "food_hygiene": {
        "case": {"title": 0.85, "upper": 0.15},
        "loc": 0.5,
        "town": 0.9,
        "county": 0.0,
        "pc_text": 0.0,
        "num_comma": 0.0,
        "sep": {", ": 1.0},
        "pc_nospace": 0.0,
    },
    "fire_safety_audit": {
        "case": {"upper": 0.8, "title": 0.2},
        "loc": 0.4,
        "town": 0.7,
        "county": 0.05,
        "pc_text": 0.3,
        "num_comma": 0.1,
        "sep": {", ": 0.7, " ": 0.3},
        "pc_nospace": 0.05,
    },
    "premises_licence": {
        "case": {"title": 0.8, "upper": 0.2},
        "loc": 0.5,
        "town": 0.8,
        "county": 0.1,
        "pc_text": 0.5,
        "num_comma": 0.0,
        "sep": {", ": 1.0},
        "pc_nospace": 0.0,
    },
    "companies_house": {
        "case": {"upper": 0.5, "title": 0.5},
        "loc": 0.4,
        "town": 0.95,
        "county": 0.4,
        "pc_text": 0.0,
        "num_comma": 0.05,
        "sep": {", ": 1.0},
        "pc_nospace": 0.05,
    },
    "trading_standards": {
        "case": {"title": 0.6, "lower": 0.3, "upper": 0.1},
        "loc": 0.3,
        "town": 0.6,
        "county": 0.0,
        "pc_text": 0.4,
        "num_comma": 0.0,
        "sep": {", ": 0.6, " ": 0.3, ",": 0.1},
        "pc_nospace": 0.15,
    },
    "planning_enforcement": {
        "case": {"title": 0.9, "upper": 0.1},
        "loc": 0.5,
        "town": 0.7,
        "county": 0.0,
        "pc_text": 0.2,
        "num_comma": 0.0,
        "sep": {", ": 1.0},
        "pc_nospace": 0.0,
    },
    "bid_levy": {
        "case": {"upper": 1.0},
        "loc": 0.2,
        "town": 0.9,
        "county": 0.0,
        "pc_text": 0.0,
        "num_comma": 0.2,
        "sep": {", ": 1.0},
        "pc_nospace": 0.0,
    },
}


def _choice(rng, weights: dict):
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _biz_name(rng, kind: str, cls: str) -> str:
    if kind == "school":
        return f"{_pick(rng, BIZ_A)} {_pick(rng, ['LEARNING TRUST', 'ACADEMY TRUST', 'SCHOOLS PARTNERSHIP'])}"
    if kind == "surgery":
        return f"DR {_pick(rng, ['PATEL', 'OKAFOR', 'HUGHES', 'KHAN', 'BRIGGS'])} AND PARTNERS"
    if kind == "petrol":
        return f"{_pick(rng, BIZ_A)} {_pick(rng, ['FUELS', 'EXPRESS', 'FILLING STATION', 'SERVICE STATION'])}"
    if kind in ("pub",) or cls == "CR06":
        group = "pub"
    elif cls in ("CR07", "CR10"):
        group = "food"
    elif kind in ("office_suite", "upper_office", "bp_bldg", "house") or cls == "CO01":
        group = "office"
    elif kind in ("ind_unit", "arch") or cls.startswith("CI"):
        group = "ind"
    else:
        group = "shop"
    return f"{_pick(rng, BIZ_A)} {_pick(rng, BIZ_B[group])}"


class _Ctx:
    def __init__(self, gaz: pd.DataFrame):
        p = _parse(gaz)
        self.p = p
        self.recs = p.to_dict("records")
        self.by_uprn = {r["uprn"]: i for i, r in enumerate(self.recs)}
        self.pools: dict[str, list[int]] = {}
        for i, r in enumerate(self.recs):
            self.pools.setdefault(r["kind"], []).append(i)
        self.children: dict[int, list[int]] = {}
        self.on_street: dict[int, list[int]] = {}
        for i, r in enumerate(self.recs):
            if r["parent"] is not None:
                self.children.setdefault(r["parent"], []).append(i)
            self.on_street.setdefault(r["usrn"], []).append(i)
        self.postcodes = sorted({r["pc"] for r in self.recs if isinstance(r["pc"], str)})
        self.name_count: dict[str, int] = {}
        for r in self.recs:
            if r["name"]:
                self.name_count[r["name"]] = self.name_count.get(r["name"], 0) + 1
        # keys for the "letter for letter another address" test, with and without the locality
        self.keys: dict[str, list[int]] = {}
        for r in self.recs:
            for k in {_norm(", ".join(_parts(r) + [r["loc"]])), _norm(", ".join(_parts(r)))}:
                self.keys.setdefault(k, []).append(r["uprn"])
        self.pc_of = {r["uprn"]: r["pc"] for r in self.recs}
        self.centre_usrns = sorted({r["usrn"] for r in self.recs if not r["loc"]})
        self.streets_nums: dict[int, set] = {}
        for r in self.recs:
            self.streets_nums.setdefault(r["usrn"], set()).add(r["num"])


def _parts(r: dict) -> list[str]:
    out = [r["saon"]] if r["saon"] else []
    if r["name"]:
        out.append(r["name"])
    out.append(f"{r['num']} {r['street']}".strip())
    return out


def _norm(s: str) -> str:
    s = re.sub(r"[^A-Z0-9 ]", " ", s.upper())
    s = re.sub(r"\s+", " ", s).strip()
    for tail in (f" {COUNTY}", f" {TOWN}"):
        if s.endswith(tail):
            s = s[: -len(tail)]
    return s


PC_RE = re.compile(r",?\s*\b[A-Z]{2}\d{1,2}\s?\d[A-Z]{2}\b\s*$", re.IGNORECASE)


def _norm_pc(pc) -> str | None:
    if pc is None or (isinstance(pc, float) and np.isnan(pc)):
        return None
    s = re.sub(r"\s+", "", str(pc).upper())
    return s[:-3] + " " + s[-3:] if len(s) >= 5 else s


def _typo(rng, word: str) -> str:
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    op = int(rng.integers(4))
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    keys = "QWERTYUIOPASDFGHJKLZXCVBNM"
    return word[:i] + keys[int(rng.integers(len(keys)))] + word[i + 1 :]


def _other_pc(rng, ctx: _Ctx, pc: str, near: bool) -> str:
    if near:
        same = [p for p in ctx.postcodes if p[:-2] == pc[:-2] and p != pc]
        if same:
            return _pick(rng, same)
        if rng.random() < 0.5:
            return pc[:-2] + pc[-1] + pc[-2] if pc[-1] != pc[-2] else pc[:-1] + ("A" if pc[-1] != "A" else "B")
    far = [p for p in ctx.postcodes if p.split()[0] != pc.split()[0]]
    return _pick(rng, far) if far else pc


# each fault: (rng, ctx, r) -> dict(parts=[...], pc=..., truth=uprn|None, level=..., flag=bool) or None


def _f_clean(rng, ctx, r):
    return {"parts": _parts(r)}


def _f_business_name_prefix(rng, ctx, r):
    return {"parts": [_biz_name(rng, r["kind"], r["cls"])] + _parts(r)}


def _f_trading_name_for_building(rng, ctx, r):
    name = _biz_name(rng, r["kind"], r["cls"])
    if r["kind"] == "pub" and rng.random() < 0.6:
        name = f"THE {_pick(rng, BIZ_A)} {_pick(rng, ['TAP', 'VAULTS', 'HALL', 'ROOMS', 'EXCHANGE'])}"
    if not r["name"]:
        return None
    q = dict(r, name=name)
    flag = False
    if not r["num"]:  # name was all that told it apart: other premises with that street and postcode?
        rivals = [
            j
            for j in ctx.on_street[r["usrn"]]
            if ctx.recs[j]["pc"] == r["pc"] and ctx.recs[j]["uprn"] != r["uprn"] and ctx.recs[j]["parent"] != r["uprn"]
        ]
        flag = bool(rivals)
    return {"parts": _parts(q), "flag": flag}


def _f_previous_occupier(rng, ctx, r):
    old = _pick(rng, OLD_TENANTS)
    if rng.random() < 0.5:
        return {"parts": [f"FORMER {old}"] + _parts(r)}
    parts = _parts(r)
    parts[-1] = parts[-1] + f" (FORMERLY {old})"
    return {"parts": parts}


def _split_unit(saon: str) -> tuple[str, str]:
    m = re.match(r"^([A-Z]+) (\S+)$", saon)
    return (m.group(1), m.group(2)) if m else ("", saon)


def _f_unit_format(rng, ctx, r):
    kind = r["kind"]
    street = f"{r['num']} {r['street']}".strip()
    if kind == "arch":
        m = re.match(r"^ARCH(ES)? (\S+)$", r["name"])
        n = m.group(2)
        v = _pick(rng, [f"RAILWAY ARCH {n}", f"{n} {street}", f"ARCH NO {n}", f"UNIT {n}"])
        return {"parts": [v] if v.endswith(street) else [v, street]}
    word, n = _split_unit(r["saon"])
    if kind == "office_suite" and word == "SUITE":
        return {
            "parts": _pick(
                rng,
                [
                    [f"STE {n}", r["name"], street],
                    [f"SUITE {n}", street],
                    [f"{r['name']} SUITE {n}", street],
                    [f"SUITE {n} {r['name']}", street],
                ],
            )
        }
    if kind == "office_suite":
        return None
    name = r["name"]
    if kind == "centre_unit":
        alt = name.replace("CENTRE", "SHOPPING CENTRE") if "SHOPPING" not in name else name.replace(" SHOPPING", "")
        opts = [
            [f"{n} {name}", street],
            [f"U{n} {name}", street],
            [f"UNIT SU{n}", name, street],
            [f"{name} UNIT {n}", street],
            [f"UNIT {n}", alt, street],
            [f"UNIT {n} {name}"],
        ]
        if word == "KIOSK":
            opts = [[f"KIOSK K{n}", name, street], [f"K{n} {name}", street], [f"KIOSK UNIT {n}", name, street]]
        return {"parts": _pick(rng, opts)}
    if kind == "ind_unit":
        opts = [
            [f"{n} {name}", street],
            [f"U{n}", name, street],
            [f"UNIT {n} {name}", street],
            [f"UNIT NO {n}", name, street],
            [f"UNIT {n}", street],
        ]
        m = re.match(r"^(\d+)([AB])$", n)
        if m:
            opts.append([f"UNIT {m.group(1)} BLOCK {m.group(2)}", name, street])
            opts.append([f"UNIT {m.group(1)} {m.group(2)}", name, street])
        return {"parts": _pick(rng, opts)}
    return None


def _f_floor_words(rng, ctx, r):
    saon = r["saon"]
    if saon not in FLOOR_VARIANTS:
        return None
    v = _pick(rng, FLOOR_VARIANTS[saon])
    return {"parts": _parts(dict(r, saon=v))}


def _f_range_first_number(rng, ctx, r):
    first = r["num"].split("-")[0]
    if first in ctx.streets_nums[r["usrn"]]:
        return None
    return {"parts": _parts(dict(r, num=first))}


def _f_range_format(rng, ctx, r):
    a, z = r["num"].split("-")
    return {
        "parts": _parts(
            dict(
                r,
                num=_pick(
                    rng,
                    [
                        f"{a}/{z}",
                        f"{a} - {z}",
                        f"{a} & {z}",
                        f"{a}-{z}",
                        f"{a} TO {z}",
                        f"{a}/{int(z) - int(a) + int(a)}",
                    ],
                ),
            )
        )
    }


def _f_shell_for_unit(rng, ctx, r):
    if r["parent"] is None:
        return None
    sh = ctx.recs[ctx.by_uprn[r["parent"]]]
    parts = _parts(sh)
    if rng.random() < 0.5:
        parts = [_biz_name(rng, r["kind"], r["cls"])] + parts
    return {"parts": parts, "truth": sh["uprn"], "level": "parent"}


def _f_unit_for_shell(rng, ctx, r):
    kids = ctx.children.get(r["uprn"], [])
    if not kids:
        return None
    k = ctx.recs[kids[int(rng.integers(len(kids)))]]
    return {"parts": _parts(k), "pc": k["pc"]}


def _f_corner_other_street(rng, ctx, r):
    if r["loc"] or not r["num"] or r["saon"]:
        return None
    others = [u for u in ctx.centre_usrns if u != r["usrn"]]
    best, bd = None, 1e18
    for u in others:
        for j in ctx.on_street[u]:
            q = ctx.recs[j]
            d = (q["e"] - r["e"]) ** 2 + (q["n"] - r["n"]) ** 2
            if d < bd and q["num"].isdigit():
                best, bd = q, d
    if best is None or bd > 250.0**2:
        return None
    if "1" not in ctx.streets_nums[best["usrn"]]:  # the side street's number 1 is the corner building's
        best = dict(best, num="3")
    for cand in (int(best["num"]) - 2, int(best["num"]) + 2, int(best["num"]) - 1, int(best["num"]) + 1):
        if cand > 0 and str(cand) not in ctx.streets_nums[best["usrn"]]:
            q = dict(r, num=str(cand), street=best["street"])
            parts = _parts(q)
            if not r["name"] and rng.random() < 0.6:
                parts = [_biz_name(rng, r["kind"], r["cls"])] + parts
            return {"parts": parts}
    return None


def _f_abbreviation(rng, ctx, r):
    text = " | ".join(_parts(r))
    hits = [(a, b) for a, b in ABBREV if re.search(rf"\b{a}\b", text)]
    if not hits:
        return None
    for a, b in hits:
        if rng.random() < 0.7 or (a, b) == hits[0]:
            text = re.sub(rf"\b{a}\b", b, text)
    return {"parts": text.split(" | ")}


def _f_typo(rng, ctx, r):
    parts = _parts(r)
    words = [(i, j, w) for i, p in enumerate(parts) for j, w in enumerate(p.split()) if len(w) >= 5 and w.isalpha()]
    if not words:
        return None
    i, j, w = words[int(rng.integers(len(words)))]
    ws = parts[i].split()
    ws[j] = _typo(rng, w)
    parts[i] = " ".join(ws)
    return {"parts": parts}


def _f_joined_or_dropped_words(rng, ctx, r):
    parts = _parts(r)
    drops = ["CENTRE", "HOUSE", "INDUSTRIAL", "TRADING", "SHOPPING", "BUSINESS", "CHAMBERS", "PRIMARY", "THE"]
    cand = [(i, w) for i, p in enumerate(parts) for w in p.split() if w in drops and len(p.split()) > 1]
    if cand and rng.random() < 0.5:
        i, w = cand[int(rng.integers(len(cand)))]
        parts[i] = " ".join(x for x in parts[i].split() if x != w)
        return {"parts": parts}
    multi = [i for i, p in enumerate(parts) if len([w for w in p.split() if w.isalpha()]) >= 2]
    if not multi:
        return None
    i = multi[int(rng.integers(len(multi)))]
    ws = parts[i].split()
    k = [x for x in range(len(ws) - 1) if ws[x].isalpha() and ws[x + 1].isalpha()]
    if not k:
        return None
    x = k[int(rng.integers(len(k)))]
    parts[i] = " ".join(ws[:x] + [ws[x] + ws[x + 1]] + ws[x + 2 :])
    return {"parts": parts}


def _f_wrong_postcode(rng, ctx, r):
    return {"parts": _parts(r), "pc": _other_pc(rng, ctx, r["pc"], near=rng.random() < 0.8)}


def _f_no_postcode(rng, ctx, r):
    return {"parts": _parts(r), "pc": None}


def _f_head_office_postcode(rng, ctx, r):
    if rng.random() < 0.5:
        pc = f"{OUTSIDE_AREA}{int(rng.integers(1, 20))} {int(rng.integers(10))}{_pick(rng, INWARD)}{_pick(rng, INWARD)}"
    else:
        pc = _other_pc(rng, ctx, r["pc"], near=False)
    return {"parts": [_biz_name(rng, r["kind"], r["cls"])] + _parts(r), "pc": pc}


def _f_care_of(rng, ctx, r):
    return {"parts": [f"C/O {_pick(rng, FIRMS)}"] + _parts(r)}


def _f_name_only(rng, ctx, r):
    name = r["name"]
    if not name:
        return None
    if r["kind"] == "pub" and rng.random() < 0.5:
        name = name.replace("THE ", "", 1) + " PH" if name.startswith("THE ") else name + " PH"
    elif r["kind"] == "pub" and rng.random() < 0.4:
        name = name + " PUBLIC HOUSE"
    v = rng.random()
    if v < 0.45:
        out = {"parts": [name], "loc_force": True}
    elif v < 0.85:
        out = {"parts": [name, r["street"]]}
    else:
        out = {"parts": [name], "pc_force": True}
    return out


def _f_flat_above_format(rng, ctx, r):
    num, saon = r["num"], r["saon"]
    if num.endswith("A") and not saon:
        base = num[:-1]
        v = _pick(
            rng,
            [
                ["FLAT ABOVE", f"{base} {r['street']}"],
                ["FIRST FLOOR FLAT", f"{base} {r['street']}"],
                [f"FLAT {base}A", r["street"]],
                ["FIRST FLOOR", f"{base}A {r['street']}"],
            ],
        )
        return {"parts": v}
    if r["parent"] is None:
        return None
    flats = [j for j in ctx.children.get(r["parent"], []) if ctx.recs[j]["cls"] == "RD06"]
    if len(flats) != 1:
        return None
    return {
        "parts": _pick(
            rng,
            [
                ["FLAT ABOVE", f"{num} {r['street']}"],
                [f"{num}A {r['street']}"],
                ["FLAT 1", f"{num} {r['street']}"],
                [f"FLAT OVER {num} {r['street']}"],
            ],
        )
    }


def _f_wrong_number(rng, ctx, r):
    m = re.match(r"^(\d+)", r["num"])
    if not m:
        return None
    n = int(m.group(1)) + int(rng.choice([-2, 2, -1, 1, 10]))
    if n <= 0:
        return None
    return {"parts": _parts(dict(r, num=str(n)))}


def _f_plot_now_unit(rng, ctx, r):
    n = r["saon"].split()[-1]
    return {
        "parts": _pick(
            rng,
            [
                [f"UNIT {n}", r["street"]],
                [f"{n} {r['street']}"],
                [_biz_name(rng, "bp_bldg", "CO01"), f"{n} {r['street']}"],
            ],
        )
    }


def _f_market_stall(rng, ctx, r):
    s = int(rng.integers(1, 80))
    return {
        "parts": [_pick(rng, [f"STALL {s}", f"STALL NO {s}", f"UNIT {s}", f"STALLS {s}-{s + 1}"])] + _parts(r),
        "level": "parent",
    }


def _f_not_in_gazetteer_new_unit(rng, ctx, r):
    kind = r["kind"]
    street = f"{r['num']} {r['street']}".strip()
    if kind in ("centre", "estate"):
        units = [ctx.recs[j]["saon"] for j in ctx.children.get(r["uprn"], [])]
        nums = [int(m.group(1)) for u in units if (m := re.match(r"^UNIT (\d+)", u))]
        if not nums:
            return None
        if rng.random() < 0.6:  # a unit past the last
            new = f"UNIT {max(nums) + int(rng.integers(1, 6))}"
        else:  # an existing unit split in two after the register was written
            whole = [u for u in units if re.fullmatch(r"UNIT \d+", u)]
            if not whole:
                return None
            new = _pick(rng, whole) + _pick(rng, ["A", "B", "C"])
            if new in units:
                return None
        return {"parts": [new, r["name"], street]}
    if kind in ("centre_unit", "ind_unit") and r["parent"] is not None:
        return _f_not_in_gazetteer_new_unit(rng, ctx, ctx.recs[ctx.by_uprn[r["parent"]]])
    if kind in ("office_suite", "office_bldg"):
        sh = r if kind == "office_bldg" else ctx.recs[ctx.by_uprn[r["parent"]]]
        kids = [ctx.recs[j]["saon"] for j in ctx.children.get(sh["uprn"], [])]
        nums = [int(s.split()[1]) for s in kids if s.startswith("SUITE ")]
        new = f"SUITE {max(nums) + int(rng.integers(1, 4))}" if nums else "FIFTH FLOOR"
        return {"parts": [new] + _parts(sh)}
    if kind == "arch":
        arches = [ctx.recs[j]["name"] for j in ctx.on_street[r["usrn"]] if ctx.recs[j]["name"].startswith("ARCH")]
        top = max(int(re.findall(r"\d+", a)[-1]) for a in arches)
        return {"parts": [f"ARCH {top + int(rng.integers(1, 8))}", street]}
    if kind in ("shop", "pub", "gf_unit", "house", "market") and r["num"].isdigit():
        # a subdivided frontage or a rear unit nobody has addressed yet
        q = dict(r, saon="", name="")
        pre = _pick(rng, ["REAR OF", "UNIT 2", "UNIT B", "BASEMENT", "WORKSHOP REAR OF", "ANNEXE AT"])
        if pre.startswith(("REAR", "WORKSHOP", "ANNEXE")):
            return {"parts": [f"{pre} {_parts(q)[-1]}"]}
        return {"parts": [pre] + _parts(q)}
    return None


def _f_not_in_gazetteer_new_building(rng, ctx, r):
    nums = [int(x) for x in ctx.streets_nums[r["usrn"]] if x.isdigit()]
    if not nums or rng.random() < 0.35:
        name = f"{_pick(rng, PREFIXES)} {_pick(rng, ['HOUSE', 'WORKS', 'COURT', 'POINT', 'YARD', 'STUDIOS'])}"
        parts = [name, r["street"]]
        if rng.random() < 0.5:
            parts = [f"UNIT {int(rng.integers(1, 9))}"] + parts
        return {"parts": parts}
    n = max(nums) + int(rng.integers(2, 30))
    return {"parts": [f"{n} {r['street']}"]}


def _f_land_at(rng, ctx, r):
    base = _parts(dict(r, saon=""))
    pre = _pick(
        rng,
        [
            "LAND AT",
            "LAND AT REAR OF",
            "LAND ADJACENT TO",
            "LAND ADJ",
            "SITE OF FORMER",
            "FORMER",
            "LAND TO THE SIDE OF",
            "GARAGE SITE REAR OF",
            "YARD AT",
        ],
    )
    if pre in ("SITE OF FORMER", "FORMER"):
        what = _pick(rng, OLD_TENANTS + ["GARAGE", "PUBLIC HOUSE", "WORKS", "CHAPEL", "DEPOT"])
        return {"parts": [f"{pre} {what}", r["street"]]}
    return {"parts": [f"{pre} {base[0]}"] + base[1:]}


def _f_non_addressable_hereditament(rng, ctx, r):
    base = _parts(r)
    kind = r["kind"]
    if kind in ("office_bldg", "centre", "car_park", "office_suite", "upper_office"):
        pre = _pick(
            rng,
            [
                f"CAR PARKING SPACE {int(rng.integers(1, 40))}",
                "CAR PARKING SPACES",
                "TELECOMMUNICATIONS MAST ON ROOF",
                "ROOFTOP TELECOMMUNICATIONS SITE",
                "ADVERTISING RIGHT",
            ],
        )
    else:
        pre = _pick(
            rng,
            [
                "ADVERTISING RIGHT",
                "ADVERTISING RIGHT ADJ",
                "ADVERTISING STATION AT",
                "ADVERTISING HOARDING AT",
                "ATM AT",
                "TELECOMMUNICATIONS MAST AT",
            ],
        )
    if pre.endswith(("ADJ", "AT")):
        return {"parts": [f"{pre} {base[0]}"] + base[1:]}
    return {"parts": [pre] + base}


FAULTS = {name[3:]: fn for name, fn in globals().items() if name.startswith("_f_")}


def _title_word(w: str, rng) -> str:
    if not w:
        return w
    if w in APOS:
        w = APOS[w] if rng.random() < 0.5 else w
    if w[0].isdigit():
        return w if re.fullmatch(r"\d+[A-Z]?", w) else w.lower()
    if w in ("PH", "CE", "LLP", "LTD", "U", "GF", "ATM", "BHS", "HMV", "JJB", "MFI", "C/O", "SU", "PT", "NO"):
        return w if w != "NO" else "No"
    if re.fullmatch(r"[A-Z]\d+[A-Z]?", w) or re.fullmatch(r"[A-Z]{1,2}\d+", w):
        return w
    return w[0] + w[1:].lower().replace("'S", "'s")


def _render(rng, agency: str, res: dict, r: dict, pc) -> str:
    st = STYLE[agency]
    parts = list(res["parts"])
    if st["num_comma"] and rng.random() < st["num_comma"]:
        m = re.match(r"^(\d+[A-Z]?(?:-\d+[A-Z]?)?) ([A-Z][A-Z' ]*)$", parts[-1])
        if m:
            parts[-1:] = [m.group(1), m.group(2)]
    if r["loc"] and (res.get("loc_force") or rng.random() < st["loc"]):
        parts.append(r["loc"])
    if res.get("loc_force") or rng.random() < st["town"]:
        parts.append(TOWN)
    if rng.random() < st["county"]:
        parts.append(COUNTY)
    case = _choice(rng, st["case"])
    if case == "title":
        parts = [" ".join(_title_word(w, rng) for w in p.split()) for p in parts]
    elif case == "lower":
        parts = [p.lower() for p in parts]
    sep = _choice(rng, st["sep"])
    text = sep.join(parts)
    if pc is not None and (res.get("pc_force") or rng.random() < st["pc_text"]):
        text = f"{text}{sep}{pc if case != 'lower' else pc.lower()}"
    return text


def _fmt_pc(rng, agency: str, pc):
    if pc is None:
        return None
    if rng.random() < STYLE[agency]["pc_nospace"]:
        pc = pc.replace(" ", "")
    if agency == "trading_standards" and rng.random() < 0.2:
        pc = pc.lower()
    return pc


def make_records(gaz: pd.DataFrame, n: int = 5000, seed: int = 62) -> pd.DataFrame:
    """Records of the eight agencies, each with its truth: the agency is drawn with AGENCY_SHARE, then a
    fault with the agency's AGENCY_FAULTS weights, then premises of a kind the agency holds and the fault
    fits; the record is written in the agency's STYLE."""
    rng = np.random.default_rng(seed)
    ctx = _Ctx(gaz)
    agencies = list(AGENCY_SHARE)
    shares = np.array([AGENCY_SHARE[a] for a in agencies])
    out = []
    for i in range(n):
        agency = agencies[int(rng.choice(len(agencies), p=shares / shares.sum()))]
        res = None
        for _attempt in range(12):
            cls = _choice(rng, AGENCY_FAULTS[agency]) if _attempt < 10 else "clean"
            kinds = {k: w for k, w in AGENCY_KINDS[agency].items() if k in CLASS_KINDS[cls] and ctx.pools.get(k)}
            if not kinds:
                continue
            kind = _choice(rng, kinds)
            pool = ctx.pools[kind]
            r = ctx.recs[pool[int(rng.integers(len(pool)))]]
            res = FAULTS[cls](rng, ctx, r)
            if res is not None:
                break
        if res is None:
            raise RuntimeError("no record could be made")
        if cls in NONE_CLASSES:
            truth, level = None, "none"
        else:
            truth, level = res.get("truth", r["uprn"]), res.get("level", "uprn")
            if level == "parent" and cls == "market_stall":
                truth = r["uprn"]
        pc = res["pc"] if "pc" in res else r["pc"]
        pc_out = _fmt_pc(rng, agency, pc)
        text = _render(rng, agency, res, r, pc_out)
        unrec = bool(res.get("flag", False)) or _unrecoverable(ctx, text, pc, truth, r)
        out.append(
            {
                "record_id": f"{PREFIX[agency]}{i:06d}",
                "agency": agency,
                "address": text,
                "postcode": pc_out,
                "error_class": cls,
                "true_uprn": truth,
                "true_level": level,
                "unrecoverable": unrec,
            }
        )
    df = pd.DataFrame(out)
    df["true_uprn"] = df["true_uprn"].astype("Int64")
    df["unrecoverable"] = df["unrecoverable"].astype(bool)
    return df


def _unrecoverable(ctx: _Ctx, text: str, pc, truth, r: dict) -> bool:
    """True where nothing could recover the truth: the text (its postcode taken off) is letter for letter
    another gazetteer address and the postcode does not single out the truth (it is missing, wrong or that
    other address's); or the text leaves the locality out, the same address is in another locality too,
    and the postcode is missing or from another district."""
    want = _norm_pc(pc)
    hits = sorted(set(ctx.keys.get(_norm(PC_RE.sub("", text)), [])))
    if hits:
        if truth in hits:
            if len(hits) > 1 and want != ctx.pc_of[truth]:
                return True
        elif any(want is None or ctx.pc_of.get(u) == want for u in hits):
            return True
    if truth is not None and truth == r["uprn"] and r["loc"] and r["loc"] not in text.upper():
        same = set(ctx.keys.get(_norm(", ".join(_parts(r))), []))
        if len(same) > 1 and (want is None or want.split()[0] != ctx.pc_of[truth].split()[0]):
            return True
    return False
