"""Rural address bench: a synthetic gazetteer for a Welsh-speaking county and an English rural district
(LLPG / AddressBase style, one text line a UPRN) and records from eight rural agencies describing its
properties the way their systems do, each with its known truth. Written from public descriptions of UK
address data only, not from the matcher's code or its other benches, to find the matcher's blind spots in
the countryside: house names without numbers, farms and their converted barns, park homes, unnamed roads,
hamlets, Welsh and English names for the same street or town.

Sources relied on (public descriptions, no data copied):
- Ordnance Survey AddressBase classification scheme (docs.os.uk, Ideal Postcodes' copy of the codes): RD02
  detached, RD03 semi, RD04 terraced, RD06 flat, RD08 sheltered, RD10 park home / caravan,
  CA01 farm / non-residential associated building, CH02 holiday let, CR06 pub, CR08 shop, CC04 village hall,
  ZW99CH church / chapel, PP property shell, PS street record.
- GeoPlace DEC-Streets / DEC-Addresses (BS 7666): type 1 designated street names; type 2 "officially
  described" streets, "often in rural areas ... only have a Street Description", written "Road from
  Littleton to Fred Farm" / "Lane to Withern Cross"; LOCALITY only to tell apart two streets of the same
  name in one town; TOWN_NAME may be a village, hamlet or parish; no full stops or commas in names; SAON /
  PAON parent-child records (THE OLD BARN, MANOR FARM under MANOR FARM).
- Royal Mail PAF code of practice and council street-naming pages (Calderdale, Warwick): the postal address
  is a routing instruction, the post town may be miles away; building name not needed when a number is
  present; a stable in a field has no postal address; new addresses sit on "not yet built" until occupied
  (so agencies such as EPC and Land Registry see new barn conversions and plots before the gazetteer);
  about 15 delivery points a postcode unit, rural units cover several lanes, postcodes are recoded.
- Welsh addressing: Denbighshire scrutiny minutes (new streets Welsh-only or bilingual: 18 of 20 recent names
  Welsh-only; the name given first is the legal one; where bilingual names exist Royal Mail publishes the
  English one and holds the Welsh in the background); Ceredigion house-naming report (owners renaming houses
  English to Welsh and back, 230 of 241 new names Welsh); Welsh Language Commissioner findings on
  Monmouthshire and Torfaen (one official name in either language); D. Waters' analysis of Wales' 48,000
  named streets (about half English-only, 18 % Welsh-only). Street words Heol, Ffordd, Stryd, Lon, Maes,
  Bryn, Pen y, Ty / Tŷ with or without the circumflex.
- Natural Resources Wales / Environment Agency small sewage discharge registration (septic tanks and package
  plants registered by address or location, one registration for a system serving several properties),
  SEPA's form (address or location of each property served); local-authority private water supply registers
  (a supply serving a farm group or a caravan site); GOV.UK / RPA county parish holding (CPH) numbers
  12/345/6789 for land and buildings where livestock are kept, including land parcels without an address.
- GDS data blog "Tackling address matching together" (each agency captures addresses its own way; towns
  written several ways) and ONS working paper 17 on the Address Index (address matching for administrative
  data), HM Land Registry Price Paid fields (PAON, SAON, street, locality, town, district, county).

Shares (a judgement): council tax 22 %, electoral register 20 %, EPC 12 %, price paid 10 %, fire and rescue
home-fire-safety visits 10 %, septic tank register 10 %, private water supply register 8 %, farm holdings 8
% of records. Each agency draws its error class from its own weights (AGENCY_CLASSES, rates justified
there), then a property the class fits; about 30 % of records are clean in the agency's own style and about
10 % describe something the gazetteer lacks (true_level "none"). Records of a whole farm group or caravan
site on the water and septic registers have the site's parent UPRN as truth (true_level "parent"). A record
is flagged unrecoverable where its text parts and postcode are letter for letter another gazetteer address,
or where two gazetteer addresses hold every part of it equally well and its postcode does not tell them
apart (for example "Rose Cottage, Cwmderw" with two Rose Cottages in Cwmderw and no postcode).
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

UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # inward unit letters never C I K M O V

# Post towns: (gazetteer name, other-language name or None, district, Welsh council?). The Welsh county holds
# the English form of a post town that has one (as PAF does) and residents often write the Welsh one.
POST_TOWNS = [
    ("WHITEMILL", "Y FELIN WEN", "WQ3", True),
    ("STONEBRIDGE", "PONT Y GARREG", "WQ5", True),
    ("LLANGYNFAEL", None, "WQ7", True),
    ("ABERMEITHIN", None, "WQ8", True),
    ("CHALKBOURNE", None, "RQ1", False),
    ("HAREFORD", None, "RQ2", False),
    ("MARKET ASHCOMBE", None, "RQ4", False),
    ("WENTCOMBE", None, "RQ6", False),
]
TOWN_CENTRES = [
    (262000, 262000),
    (281000, 248000),
    (255000, 240000),
    (243000, 268000),
    (402000, 212000),
    (418000, 198000),
    (396000, 190000),
    (425000, 220000),
]
COUNCILS = {True: "DYFRWY", False: "WEST WEALD"}

WELSH_PREFIX = [
    "LLAN",
    "CWM",
    "PEN",
    "ABER",
    "TRE",
    "PANT",
    "BRYN",
    "RHYD",
    "BLAEN",
    "NANT",
    "GLAN",
    "CEFN",
    "MAES",
    "TAL",
    "LLWYN",
    "DOL",
    "HEN",
]
WELSH_STEM = [
    "DERW",
    "GWYNION",
    "DULAS",
    "CERDIN",
    "HIRNANT",
    "GARTH",
    "ELWYN",
    "FFRWD",
    "GLASFRYN",
    "CEIRW",
    "MARCHOG",
    "TEIFION",
    "GWENLAIS",
    "BEDW",
    "ONNEN",
    "CYNWYD",
    "MEILLION",
    "RHEDYN",
    "IFOR",
    "EINON",
    "CELYN",
    "GWERN",
    "HELYG",
    "COED",
    "EITHIN",
    "FAWR",
    "WEN",
    "LAS",
    "DYFRWY",
    "BRYNACH",
]
WELSH_HAMLET_SUFFIX = ["", "", "", " UCHAF", " ISAF", " FACH"]
ENG_PREFIX = [
    "ASH",
    "OAK",
    "THORN",
    "BRAM",
    "HARE",
    "WHIT",
    "STAN",
    "CHAL",
    "MARL",
    "ELM",
    "FERN",
    "HOLL",
    "BROOK",
    "COLD",
    "MILL",
    "WOLD",
    "BARN",
    "LANG",
    "SHEP",
    "KING",
    "NEW",
    "HAZEL",
    "SUTT",
    "WEST",
]
ENG_SUFFIX = [
    "LEY",
    "HURST",
    "COMBE",
    "WORTH",
    "FORD",
    "TON",
    "BOURNE",
    "STEAD",
    "THORPE",
    "BURY",
    "WICK",
    "FIELD",
    "HAM",
    "COTE",
    "DEN",
    "MERE",
    "LOW",
]
ENG_VILLAGE_PREFIX = ["", "", "", "", "LITTLE ", "GREAT ", "UPPER ", "LOWER ", "NETHER ", "EAST ", "WEST "]
ENG_HAMLET_SUFFIX = [" END", " GREEN", " COMMON", " CROSS", " BOTTOM", " HEATH", ""]

# Welsh street names: (Welsh, English or None). A bilingual street is held in one language (the official one).
WELSH_STREETS = [
    ("STRYD FAWR", "HIGH STREET"),
    ("HEOL YR EGLWYS", "CHURCH ROAD"),
    ("HEOL Y CAPEL", "CHAPEL ROAD"),
    ("HEOL YR ORSAF", "STATION ROAD"),
    ("STRYD Y BONT", "BRIDGE STREET"),
    ("HEOL Y FELIN", "MILL ROAD"),
    ("LON YR YSGOL", "SCHOOL LANE"),
    ("HEOL NEWYDD", "NEW ROAD"),
    ("HEOL Y PARC", "PARK ROAD"),
    ("FFORDD Y MYNYDD", "MOUNTAIN ROAD"),
    ("TERAS Y CAPEL", "CHAPEL TERRACE"),
    ("LON GLAN YR AFON", "RIVERSIDE"),
    ("STRYD Y FARCHNAD", "MARKET STREET"),
    ("FFORDD YR ORSAF", "STATION WAY"),
    ("HEOL Y DWR", "WATER STREET"),
    ("MAES Y DERW", None),
    ("BRYN HYFRYD", None),
    ("PEN Y BRYN", None),
    ("CAE GLAS", None),
    ("MAES YR HAF", None),
    ("DOL Y FELIN", None),
    ("LON Y GAMFA", None),
    ("CLOS Y WAUN", None),
    ("BRO DEG", None),
    ("TAN Y FRON", None),
    ("HEOL GOCH", None),
    ("MAES Y GRUG", None),
    ("CILGANT Y DDERWEN", None),
    ("RHODFA GLYNDWR", None),
    ("LON Y WENNOL", None),
    ("PEN Y GRAIG", None),
    ("BRYN Y MOR", None),
    ("FFORDD LAS", None),
]
ENG_STREETS = [
    "CHURCH LANE",
    "CHURCH STREET",
    "HIGH STREET",
    "MAIN STREET",
    "MILL LANE",
    "SCHOOL LANE",
    "STATION ROAD",
    "THE GREEN",
    "BACK LANE",
    "CHAPEL ROW",
    "MANOR ROAD",
    "ORCHARD CLOSE",
    "THE STREET",
    "POUND LANE",
    "WELL LANE",
    "PARK ROAD",
    "BRIDGE STREET",
    "VICARAGE LANE",
    "GREEN LANE",
    "CHERRY TREE CLOSE",
    "MEADOW VIEW",
    "OLD ROAD",
    "HOLLOW LANE",
    "WATERY LANE",
    "FOLLY LANE",
    "LONDON ROAD",
    "NEW ROAD",
    "SHEEP STREET",
    "WEST END",
    "CHURCH WALK",
    "THE SQUARE",
    "MARKET PLACE",
    "SPRING LANE",
    "FARM CLOSE",
    "ST MARYS CLOSE",
    "QUEENS ROAD",
    "MILL STREET",
    "COW LANE",
    "BREWERY LANE",
    "FORGE LANE",
]
ENG_NAMES = [
    "ROSE COTTAGE",
    "IVY COTTAGE",
    "THE OLD RECTORY",
    "THE OLD VICARAGE",
    "THE OLD SCHOOL HOUSE",
    "THE OLD POST OFFICE",
    "HOLLY COTTAGE",
    "APPLE TREE COTTAGE",
    "WILLOW COTTAGE",
    "MAYFIELD",
    "SUNNYSIDE",
    "FERNDALE",
    "THE LAURELS",
    "THE BEECHES",
    "ORCHARD HOUSE",
    "MEADOW VIEW",
    "HILLCREST",
    "WOODLANDS",
    "BRAMBLE COTTAGE",
    "LILAC COTTAGE",
    "PEAR TREE COTTAGE",
    "THE COTTAGE",
    "KEEPERS COTTAGE",
    "MILL HOUSE",
    "BROOK HOUSE",
    "SPRINGFIELD",
    "GREYSTONES",
    "THE FORGE",
    "THE OLD BAKERY",
    "WREN COTTAGE",
    "CHURCH VIEW",
    "LITTLE ORCHARD",
    "HIGHFIELD",
    "WHITE COTTAGE",
    "STONE COTTAGE",
    "THE GABLES",
    "THE HOLLIES",
    "YEW TREE COTTAGE",
    "OAK LODGE",
    "THE LODGE",
    "FIELD VIEW",
    "THATCHED COTTAGE",
    "OLD FORGE COTTAGE",
    "HONEYSUCKLE COTTAGE",
    "JASMINE COTTAGE",
    "WAYSIDE",
    "FAIRVIEW",
    "THE NOOK",
    "HAWTHORN COTTAGE",
    "RIVERSIDE",
]
WELSH_NAMES = [
    "TY GWYN",
    "TY NEWYDD",
    "TY COCH",
    "TY CERRIG",
    "TY ISAF",
    "TY UCHAF",
    "TYN Y COED",
    "TYN Y GRAIG",
    "BRYNAWEL",
    "BRYN HYFRYD",
    "PENRHIW",
    "PEN Y BRYN",
    "GLAN YR AFON",
    "HAFOD",
    "BODLONDEB",
    "CARTREF",
    "BRON Y DRE",
    "MAES Y GWYNT",
    "AWELFRYN",
    "GWYNFA",
    "HAFAN DEG",
    "TAWELFAN",
    "BRYNTEG",
    "DOLWEN",
    "CAE MAWR",
    "GLASFRYN",
    "PEN Y GRAIG",
    "TYR YSGOL",
    "YR HEN EFAIL",
    "YR HEN YSGOL",
    "BRO HAUL",
    "ERW LAS",
    "LLWYN ONN",
    "GLAN Y MOR",
    "TY DWR",
    "MAES Y DWR",
    "PENYBRYN",
    "TYGWYN",
    "BRYNHEULOG",
    "MORFA",
    "ARGOED",
]
ENG_FARMS = [
    "MANOR FARM",
    "HOME FARM",
    "GRANGE FARM",
    "HILL FARM",
    "CHURCH FARM",
    "WOOD FARM",
    "LOWER HOUSE FARM",
    "UPPER HOUSE FARM",
    "MOAT FARM",
    "GREEN FARM",
    "BROOK FARM",
    "COURT FARM",
    "PARK FARM",
    "ELM TREE FARM",
    "LONGLANDS FARM",
    "POPLARS FARM",
    "NEW HOUSE FARM",
    "VALLEY FARM",
    "BRICK HOUSE FARM",
    "LODGE FARM",
    "MILL FARM",
    "HIGHFIELDS FARM",
    "RECTORY FARM",
    "ASH FARM",
]
WELSH_FARMS = [
    "PENLAN",
    "GLANRHYD",
    "CWMHYFRYD",
    "TYDDYN BACH",
    "TYDDYN UCHAF",
    "PANT Y CELYN",
    "BLAENCWM",
    "CEFN MAWR",
    "DOLGOCH",
    "HENDRE",
    "HENDRE FAWR",
    "LLWYNGWYN",
    "MAESLLWYN",
    "TY MAWR",
    "BRYNGWYN",
    "PANTYRHEDYN",
    "CWM CELYN",
    "GWERNOGLE",
    "TREFACH",
    "PENTWYN",
    "BLAENAU",
    "FFYNNON LAS",
    "PENRHOS",
    "NANTYFFIN",
]
BARN_NAMES = [
    "THE OLD BARN",
    "THE GRANARY",
    "THE STABLES",
    "THE OLD DAIRY",
    "THE COACH HOUSE",
    "THE CART SHED",
    "THE HAYLOFT",
    "BARN COTTAGE",
    "THE OLD COWSHED",
    "THE BYRE",
    "THE WAGON HOUSE",
    "THE MALTINGS",
]
WELSH_BARN_NAMES = ["YR HEN YSGUBOR", "Y BEUDY", "YR HEN STABL", "Y GRANAR", "YSGUBOR FACH", "Y LLOFFT WAIR"]
HOLIDAY_NAMES = ["THE BOTHY", "SWALLOWS NEST", "OWL COTTAGE", "Y NYTH", "THE PIGGERY", "BWTHYN"]
HUT_NAMES = [
    "THE SHEPHERDS HUT",
    "GLAMPING POD 1",
    "GLAMPING POD 2",
    "THE YURT",
    "THE TREEHOUSE",
    "CABAN",
    "THE HIDEAWAY",
    "LODGE 3",
]
NEW_NAMES = [
    "AWELON",
    "THE CROFT",
    "NEW HOUSE",
    "TY NEWYDD BACH",
    "LARKSPUR",
    "BRYN TAWEL",
    "THE PADDOCK",
    "HAFAN",
    "CEDAR LODGE",
    "WINDRUSH",
    "NANT Y BWLCH",
    "BLUEBELL COTTAGE",
    "THE HAVEN",
    "GORWEL",
]
CA01_SAONS = ["FARM BUILDINGS", "AGRICULTURAL BUILDINGS", "FARM BUILDING"]
PUBS = ["THE RED LION", "THE PLOUGH", "THE BELL", "THE NEW INN", "THE FOX AND HOUNDS", "THE CROWN"]
WELSH_PUBS = ["Y LLEW COCH", "TAFARN Y BONT", "THE RED LION", "THE BLACK LION", "Y DDRAIG GOCH", "THE NEW INN"]
PARKS = ["RIVERSIDE PARK", "ORCHARD PARK", "WILLOW PARK", "MEADOW PARK HOMES", "OAKWOOD PARK", "VALLEY PARK"]
WELSH_PARKS = ["PARC GLAN YR AFON", "PARC Y DDOL", "RIVERSIDE PARK", "PARC CARAFANAU BRYN", "VALLEY PARK"]
CIRCUMFLEX = {"TY": "TŶ", "MOR": "MÔR", "DWR": "DŴR", "GLYNDWR": "GLYNDŴR"}
UNCIRCUMFLEX = str.maketrans("ŶÔŴÂÊÎÛ", "YOWAEIU")

# ---------------------------------------------------------------------------------------------- gazetteer


def _name_key(name: str) -> str:
    """Names a council would not give two houses on one street: the same but for spaces, hyphens, accents, 'The'."""
    name = name.translate(UNCIRCUMFLEX)
    if name.startswith("THE "):
        name = name[4:]
    return name.replace(" ", "").replace("-", "")


def _settlement_name(rng, welsh: bool, taken: dict, hamlet: bool = False) -> str:
    for _ in range(200):
        if welsh:
            name = WELSH_PREFIX[rng.integers(len(WELSH_PREFIX))] + WELSH_STEM[rng.integers(len(WELSH_STEM))]
            if hamlet:
                name += WELSH_HAMLET_SUFFIX[rng.integers(len(WELSH_HAMLET_SUFFIX))]
        else:
            core = ENG_PREFIX[rng.integers(len(ENG_PREFIX))] + ENG_SUFFIX[rng.integers(len(ENG_SUFFIX))]
            if hamlet:
                name = core + ENG_HAMLET_SUFFIX[rng.integers(len(ENG_HAMLET_SUFFIX))]
            else:
                name = ENG_VILLAGE_PREFIX[rng.integers(len(ENG_VILLAGE_PREFIX))] + core
        if name not in taken:
            taken[name] = True
            return name
    raise RuntimeError("ran out of settlement names")


class _Builder:
    """Builds towns, villages, hamlets, their streets and properties; keeps the structure records need."""

    def __init__(self, seed: int, n_streets: int):
        self.rng = np.random.default_rng(seed)
        self.target = n_streets
        self.streets: list[dict] = []
        self.props: list[dict] = []
        self.uprn = 10091000000 + int(self.rng.integers(0, 500000)) * 10
        self.usrn = 47100000 + int(self.rng.integers(0, 50000)) * 10
        self.sector_units: dict[str, list[str]] = {}
        self.taken_names: dict[str, bool] = {t[0]: True for t in POST_TOWNS}
        self.loc_farms: dict[str, dict] = {}

    # identifiers and postcodes
    def new_uprn(self) -> int:
        self.uprn += int(self.rng.integers(1, 40))
        return self.uprn

    def new_unit(self, sector: str) -> str:
        if sector not in self.sector_units:
            units = [a + b for a in UNIT_LETTERS for b in UNIT_LETTERS]
            self.sector_units[sector] = [units[i] for i in self.rng.permutation(len(units))]
        return f"{sector}{self.sector_units[sector].pop()}"

    # streets and properties
    def add_street(self, name, alt, lang, stype, locality, loc_kind, village, town_i, sector, e, n, angle) -> int:
        self.usrn += int(self.rng.integers(1, 9))
        self.streets.append(
            dict(
                usrn=self.usrn,
                name=name,
                alt=alt,
                lang=lang,
                stype=stype,
                locality=locality,
                loc_kind=loc_kind,
                village=village,
                town_i=town_i,
                sector=sector,
                e=e,
                n=n,
                angle=angle,
                props=[],
            )
        )
        return len(self.streets) - 1

    def add_prop(
        self,
        s_i,
        cls,
        kind,
        name=None,
        number=None,
        saon=None,
        parent=None,
        postcode=None,
        e=0.0,
        n=0.0,
        off_mains=False,
        alias=None,
    ) -> int:
        p = dict(
            uprn=self.new_uprn(),
            parent=parent,
            cls=cls,
            kind=kind,
            saon=saon,
            name=name,
            number=number,
            street_i=s_i,
            postcode=postcode,
            e=round(e, 2),
            n=round(n, 2),
            off_mains=off_mains,
            alias=alias,
            children=[],
        )
        self.props.append(p)
        self.streets[s_i]["props"].append(len(self.props) - 1)
        if parent is not None:
            self.props[self._by_uprn[parent]]["children"].append(len(self.props) - 1)
        self._by_uprn[p["uprn"]] = len(self.props) - 1
        return len(self.props) - 1

    def build(self) -> None:
        self._by_uprn: dict[int, int] = {}
        self.towns = []
        for i, (name, alt, district, welsh) in enumerate(POST_TOWNS):
            self.towns.append(
                dict(
                    name=name,
                    alt=alt,
                    district=district,
                    welsh=welsh,
                    e=TOWN_CENTRES[i][0],
                    n=TOWN_CENTRES[i][1],
                    next_sector=1,
                    villages=[],
                )
            )
        for t_i in range(len(self.towns)):
            self.town_core(t_i)
        t_i = 0
        while len(self.streets) < self.target:
            self.village(t_i)
            t_i = (t_i + 1) % len(self.towns)

    def sector(self, t_i: int) -> str:
        town = self.towns[t_i]
        digit = town["next_sector"]
        town["next_sector"] = digit % 9 + 1
        return f"{town['district']} {digit}"

    def street_names(self, welsh: bool, k: int, used: dict) -> list[tuple]:
        """k street names (name, alt, lang) unique within a settlement."""
        rng, out = self.rng, []
        for _ in range(k * 20):
            if len(out) == k:
                break
            if welsh and rng.random() < 0.8:
                cy, en = WELSH_STREETS[rng.integers(len(WELSH_STREETS))]
                if en is not None and rng.random() < 0.55:  # legacy bilingual street held in English
                    cand = (en, cy, "en")
                else:
                    cand = (cy, en, "cy")
            else:
                cand = (ENG_STREETS[rng.integers(len(ENG_STREETS))], None, "en")
            if cand[0] in used or (cand[1] is not None and cand[1] in used):
                continue
            used[cand[0]] = True
            if cand[1]:
                used[cand[1]] = True
            out.append(cand)
        return out

    def house_name(self, welsh: bool, used: dict) -> str:
        rng = self.rng
        for _ in range(50):
            pool = WELSH_NAMES if (welsh and rng.random() < 0.7) else ENG_NAMES
            name = pool[rng.integers(len(pool))]
            if welsh and rng.random() < 0.4:  # the council holds the circumflex on some Welsh names
                name = " ".join(CIRCUMFLEX.get(w, w) for w in name.split(" "))
            if _name_key(name) not in used:
                used[_name_key(name)] = True
                return name
        name = f"{NEW_NAMES[rng.integers(len(NEW_NAMES))]} {rng.integers(2, 9)}"
        used[name] = True
        return name

    def along(self, s_i: int, k: int, spacing: float) -> tuple[float, float]:
        s = self.streets[s_i]
        d = (k + 0.5) * spacing
        return (
            s["e"] + d * np.cos(s["angle"]) + self.rng.normal(0, spacing * 0.15),
            s["n"] + d * np.sin(s["angle"]) + self.rng.normal(0, spacing * 0.15),
        )

    def town_core(self, t_i: int) -> None:
        rng, town = self.rng, self.towns[t_i]
        welsh, sector = town["welsh"], self.sector(t_i)
        used: dict = {}
        names = self.street_names(welsh, int(rng.integers(10, 16)), used)
        unit, left = None, 0
        for k, (name, alt, lang) in enumerate(names):
            if k == 6:
                sector = self.sector(t_i)
            ang = rng.uniform(0, 2 * np.pi)
            s_i = self.add_street(
                name,
                alt,
                lang,
                1,
                None,
                "town",
                None,
                t_i,
                sector,
                town["e"] + rng.normal(0, 500),
                town["n"] + rng.normal(0, 500),
                ang,
            )
            n_h = int(rng.integers(14, 46))
            cls_main = ["RD04", "RD03", "RD02"][rng.integers(3)]
            for num in range(1, n_h + 1):
                if left <= 0:
                    unit, left = self.new_unit(sector), int(rng.integers(10, 22))
                e, n = self.along(s_i, num // 2, 9.0)
                e += 12 * (num % 2)
                left -= 1
                if cls_main == "RD04" and rng.random() < 0.12:
                    pp = self.add_prop(s_i, "PP", "pp", number=num, postcode=unit, e=e, n=n)
                    for f in range(1, int(rng.integers(2, 5)) + 1):
                        self.add_prop(
                            s_i,
                            "RD06",
                            "flat",
                            number=num,
                            saon=f"FLAT {f}",
                            parent=self.props[pp]["uprn"],
                            postcode=unit,
                            e=e + rng.normal(0, 1),
                            n=n + rng.normal(0, 1),
                        )
                        left -= 1
                elif name in ("HIGH STREET", "STRYD FAWR", "MARKET STREET", "MARKET PLACE") and rng.random() < 0.25:
                    self.add_prop(s_i, "CR08", "commercial", number=num, postcode=unit, e=e, n=n)
                else:
                    cls = cls_main if rng.random() < 0.8 else ["RD02", "RD03", "RD04"][rng.integers(3)]
                    self.add_prop(s_i, cls, "house", number=num, postcode=unit, e=e, n=n)

    def village(self, t_i: int) -> None:
        rng, town = self.rng, self.towns[t_i]
        welsh = town["welsh"]
        vname = _settlement_name(rng, welsh, self.taken_names)
        r, a = rng.uniform(2500, 9000), rng.uniform(0, 2 * np.pi)
        ve, vn = town["e"] + r * np.cos(a), town["n"] + r * np.sin(a)
        sector = self.sector(t_i)
        town["villages"].append(vname)
        used_streets: dict = {}
        used_names: dict = {}
        state = {"unit": None, "left": 0}

        def pc(lo=10, hi=25):
            if state["left"] <= 0:
                state["unit"], state["left"] = self.new_unit(sector), int(rng.integers(lo, hi))
            state["left"] -= 1
            return state["unit"]

        main_streets = []
        for name, alt, lang in self.street_names(welsh, int(rng.integers(3, 8)), used_streets):
            s_i = self.add_street(
                name,
                alt,
                lang,
                1,
                vname,
                "village",
                vname,
                t_i,
                sector,
                ve + rng.normal(0, 250),
                vn + rng.normal(0, 250),
                rng.uniform(0, 2 * np.pi),
            )
            main_streets.append(s_i)
            n_h = int(rng.integers(5, 24))
            named_only = rng.random() < 0.4
            alias = None
            if named_only and rng.random() < 0.35:  # the end of the lane is a hamlet the gazetteer does not record
                alias = _settlement_name(rng, welsh, self.taken_names, hamlet=True)
            for k in range(n_h):
                e, n = self.along(s_i, k, 35.0)
                cls = ["RD02", "RD03", "RD02", "RD04"][rng.integers(4)]
                off = bool(rng.random() < 0.15)
                if named_only:
                    al = alias if (alias and k >= n_h * 0.65) else None
                    self.add_prop(
                        s_i,
                        cls,
                        "house",
                        name=self.house_name(welsh, used_names.setdefault(s_i, {})),
                        postcode=pc(),
                        e=e,
                        n=n,
                        off_mains=off or al is not None,
                        alias=al,
                    )
                else:
                    nm = self.house_name(welsh, used_names.setdefault(s_i, {})) if rng.random() < 0.2 else None
                    if rng.random() < 0.03 and k > 0:
                        cls = "RD08"
                    self.add_prop(s_i, cls, "house", name=nm, number=k + 1, postcode=pc(), e=e, n=n, off_mains=off)
        # village amenities on the first street
        s0 = main_streets[0]
        pubs = WELSH_PUBS if welsh else PUBS
        amen = [
            ("CR06", pubs[rng.integers(len(pubs))]),
            ("CC04", "NEUADD Y PENTREF" if welsh and rng.random() < 0.6 else "VILLAGE HALL"),
            (
                "ZW99CH",
                ["CAPEL BETHEL", "CAPEL SALEM", "CAPEL SEION", "ST DAVIDS CHURCH"][rng.integers(4)]
                if welsh
                else ["ST MARYS CHURCH", "ALL SAINTS CHURCH", "METHODIST CHAPEL"][rng.integers(3)],
            ),
        ]
        if rng.random() < 0.4:
            amen.append(("CR08", "SIOP Y PENTREF" if welsh else "VILLAGE STORES"))
        for cls, nm in amen:
            if nm in used_names.setdefault(s0, {}):
                continue
            used_names[s0][nm] = True
            e, n = self.along(s0, int(rng.integers(0, 6)), 30.0)
            self.add_prop(s0, cls, "commercial", name=nm, postcode=pc(), e=e + 15, n=n + 15)
        # park home site (a quarter of villages)
        if rng.random() < 0.25:
            self.park(t_i, vname, welsh, sector, main_streets, used_streets, ve, vn)
        # lanes out of the village and hamlets
        others = [v for v in town["villages"] if v != vname] + [town["name"]]
        for _ in range(int(rng.integers(1, 3))):
            self.lane(t_i, vname, "village", vname, welsh, others, sector, ve, vn, used_streets, pc)
        for _ in range(int(rng.integers(1, 4))):
            hname = _settlement_name(rng, welsh, self.taken_names, hamlet=True)
            r, a = rng.uniform(1500, 4000), rng.uniform(0, 2 * np.pi)
            he, hn = ve + r * np.cos(a), vn + r * np.sin(a)
            state["left"] = 0
            used_h: dict = {}
            for _ in range(int(rng.integers(1, 3))):
                self.lane(
                    t_i, hname, "hamlet", vname, welsh, [vname] + others, sector, he, hn, used_h, lambda: pc(15, 40)
                )

    def lane(self, t_i, loc, loc_kind, village, welsh, others, sector, ce, cn, used_streets, pc) -> None:
        """A type 2 (officially described) street with cottages and farms."""
        rng = self.rng
        for _ in range(20):
            other = others[rng.integers(len(others))]
            form = rng.integers(3)
            if form == 0:
                desc = f"ROAD FROM {loc} TO {other}"
            elif form == 1:
                desc = f"LANE FROM {loc} TO {other}"
            else:
                desc = f"ROAD TO {other}"
            if desc not in used_streets:
                break
        else:
            return
        used_streets[desc] = True
        s_i = self.add_street(
            desc,
            None,
            "en",
            2,
            loc,
            loc_kind,
            village,
            t_i,
            sector,
            ce + rng.normal(0, 300),
            cn + rng.normal(0, 300),
            rng.uniform(0, 2 * np.pi),
        )
        used: dict = {}
        for k in range(int(rng.integers(2, 9))):
            e, n = self.along(s_i, k, rng.uniform(150, 450))
            if rng.random() < 0.45:
                self.farm(s_i, welsh, used, e, n, pc)
            else:
                cls = ["RD02", "RD02", "RD03"][rng.integers(3)]
                self.add_prop(
                    s_i, cls, "house", name=self.house_name(welsh, used), postcode=pc(), e=e, n=n, off_mains=True
                )

    def farm(self, s_i, welsh, used, e, n, pc) -> None:
        farms = self.loc_farms.setdefault(self.streets[s_i]["locality"], {})
        rng = self.rng
        pool = WELSH_FARMS if (welsh and rng.random() < 0.75) else ENG_FARMS
        for _ in range(30):
            name = pool[rng.integers(len(pool))]
            if welsh and rng.random() < 0.3:
                name = " ".join(CIRCUMFLEX.get(w, w) for w in name.split(" "))
            # farm names are unique within a hamlet or village; cottage names may repeat on other lanes
            if _name_key(name) not in used and _name_key(name) not in farms:
                break
        else:
            return
        used[_name_key(name)] = True
        farms[_name_key(name)] = True
        unit = pc()
        f = self.add_prop(s_i, "RD02", "farm", name=name, postcode=unit, e=e, n=n, off_mains=True)
        fu = self.props[f]["uprn"]
        if rng.random() < 0.45:
            self.add_prop(
                s_i,
                "CA01",
                "farmbldg",
                name=name,
                saon=CA01_SAONS[rng.integers(len(CA01_SAONS))],
                parent=fu,
                postcode=unit,
                e=e + rng.normal(0, 40),
                n=n + rng.normal(0, 40),
                off_mains=True,
            )
        if rng.random() < 0.35:  # converted barns, often given a postcode of their own
            bunit = self.new_unit(self.streets[s_i]["sector"]) if rng.random() < 0.4 else unit
            pool = WELSH_BARN_NAMES + BARN_NAMES if welsh else BARN_NAMES
            for b in rng.choice(len(pool), size=int(rng.integers(1, 5)), replace=False):
                self.add_prop(
                    s_i,
                    ["RD02", "RD03"][rng.integers(2)],
                    "barn",
                    name=name,
                    saon=pool[int(b)],
                    parent=fu,
                    postcode=bunit,
                    e=e + rng.normal(0, 30),
                    n=n + rng.normal(0, 30),
                    off_mains=True,
                )
        if rng.random() < 0.15:
            for h in rng.choice(len(HOLIDAY_NAMES), size=int(rng.integers(1, 3)), replace=False):
                self.add_prop(
                    s_i,
                    "CH02",
                    "holiday",
                    name=name,
                    saon=HOLIDAY_NAMES[int(h)],
                    parent=fu,
                    postcode=unit,
                    e=e + rng.normal(0, 50),
                    n=n + rng.normal(0, 50),
                    off_mains=True,
                )

    def park(self, t_i, vname, welsh, sector, main_streets, used_streets, ve, vn) -> None:
        rng = self.rng
        pool = WELSH_PARKS if welsh else PARKS
        pname = pool[rng.integers(len(pool))]
        if pname in used_streets:
            return
        used_streets[pname] = True
        unit = self.new_unit(sector)
        n_plots = int(rng.integers(8, 40))
        if rng.random() < 0.55:  # the site is a parent, plots its children
            s_i = main_streets[rng.integers(len(main_streets))]
            e, n = self.along(s_i, int(rng.integers(0, 20)), 35.0)
            site = self.add_prop(s_i, "PP", "site", name=pname, postcode=unit, e=e + 60, n=n + 60, off_mains=True)
            su = self.props[site]["uprn"]
            for k in range(1, n_plots + 1):
                if k % 25 == 0:
                    unit = self.new_unit(sector)
                self.add_prop(
                    s_i,
                    "RD10",
                    "plot",
                    name=pname,
                    saon=f"PLOT {k}",
                    parent=su,
                    postcode=unit,
                    e=e + 60 + rng.normal(0, 40),
                    n=n + 60 + rng.normal(0, 40),
                    off_mains=True,
                )
        else:  # the site is named as a street of its own, homes numbered on it
            s_i = self.add_street(
                pname,
                None,
                "en",
                1,
                vname,
                "village",
                vname,
                t_i,
                sector,
                ve + rng.normal(0, 400),
                vn + rng.normal(0, 400),
                rng.uniform(0, 2 * np.pi),
            )
            for k in range(1, n_plots + 1):
                if k % 25 == 0:
                    unit = self.new_unit(sector)
                e, n = self.along(s_i, k // 2, 12.0)
                self.add_prop(s_i, "RD10", "plot", number=k, postcode=unit, e=e + 10 * (k % 2), n=n, off_mains=True)

    # ------------------------------------------------------------------ output
    def parts(self, p: dict) -> list[str]:
        s = self.streets[p["street_i"]]
        street = f"{p['number']} {s['name']}" if p["number"] is not None else s["name"]
        out = [p["saon"], p["name"], street, s["locality"], self.towns[s["town_i"]]["name"]]
        return [x for x in out if x]

    def frame(self) -> pd.DataFrame:
        rows = []
        for s in self.streets:
            town = self.towns[s["town_i"]]["name"]
            ps = [s["name"], s["locality"], town]
            rows.append(
                dict(
                    uprn=self.new_uprn(),
                    parent_uprn=np.nan,
                    class_code="PS",
                    address=", ".join(x for x in ps if x),
                    postcode=None,
                    usrn=s["usrn"],
                    easting=round(s["e"], 2),
                    northing=round(s["n"], 2),
                    _prop=-1,
                )
            )
            for p_i in s["props"]:
                p = self.props[p_i]
                rows.append(
                    dict(
                        uprn=p["uprn"],
                        parent_uprn=np.nan if p["parent"] is None else float(p["parent"]),
                        class_code=p["cls"],
                        address=", ".join(self.parts(p)),
                        postcode=p["postcode"],
                        usrn=s["usrn"],
                        easting=p["e"],
                        northing=p["n"],
                        _prop=p_i,
                    )
                )
        df = pd.DataFrame(rows)
        df["uprn"] = df["uprn"].astype("int64")
        df["usrn"] = df["usrn"].astype("int64")
        return df


_CACHE: dict = {}


def _build(seed: int, n_streets: int) -> tuple[_Builder, pd.DataFrame]:
    key = (int(seed), int(n_streets))
    if key not in _CACHE:
        b = _Builder(seed, n_streets)
        b.build()
        full = b.frame()
        dup = full["address"].duplicated(keep=False)
        if dup.any():  # never expected; a duplicated line would make the truth ambiguous
            raise RuntimeError(f"duplicate gazetteer addresses: {full.loc[dup, 'address'].head().tolist()}")
        _CACHE[key] = (b, full)
    return _CACHE[key]


def make_gazetteer(seed: int = 51, n_streets: int | None = None) -> pd.DataFrame:
    """The council gazetteers of both areas, one row a UPRN plus one PS row a street."""
    n = int(n_streets) if n_streets else 1100
    _b, full = _build(seed, n)
    gaz = full.drop(columns=["_prop"]).reset_index(drop=True)
    gaz.attrs["rural_bench"] = (int(seed), n)
    return gaz


# ---------------------------------------------------------------------------------------------- records

# Agencies: share of records, which properties they hold, their error classes with weights.
# Rates are judgements from the descriptions in the docstring:
# - council tax is kept from the LLPG itself, so mostly clean (about 55 %); its faults are new builds and
#   conversions billed before the gazetteer has them, renamed houses, and the PAF form of unnamed roads.
# - the electoral register is typed from residents' forms: Welsh names (Welsh speakers write Welsh street
#   and town names, which the county holds in English on legacy streets), house-name spellings.
# - EPC and Land Registry see new builds and barn conversions first (PAF "not yet built"), and hold the
#   postcode at the time of the survey or sale, so recoded (terminated) postcodes; Price Paid includes
#   "land at" transactions.
# - fire and rescue home-fire-safety visits are typed in the field: the most typos, no postcode, hamlets.
# - private water supply and septic tank registers are kept by location: whole farm groups and caravan
#   sites (parent), barns written as the farm, PAF-style addresses without the street description, sites
#   with no address (land, glamping pods).
# - farm holdings (CPH) hold the holding's address: the farm name and nearest town, land parcels.
AGENCIES = {
    "council_tax": (0.22, "dwelling"),
    "electoral_register": (0.20, "dwelling"),
    "epc": (0.12, "epc"),
    "price_paid": (0.10, "sale"),
    "fire_safety_visit": (0.10, "dwelling"),
    "septic_tank": (0.10, "off_mains"),
    "water_supply": (0.08, "off_mains"),
    "farm_holdings": (0.08, "farm"),
}
AGENCY_CLASSES = {
    "council_tax": {
        "clean": 55,
        "unnamed_road": 5,
        "typo": 4,
        "no_postcode": 2,
        "wrong_postcode": 3,
        "name_number": 4,
        "renamed_house": 3,
        "house_name_variant": 3,
        "welsh_name": 2,
        "english_name": 2,
        "diacritics": 3,
        "plot_variant": 2,
        "locality_dropped": 2,
        "new_build_number": 3,
        "not_in_gazetteer_name": 2,
        "not_in_gazetteer_barn": 2,
    },
    "electoral_register": {
        "clean": 32,
        "unnamed_road": 10,
        "typo": 6,
        "no_postcode": 3,
        "wrong_postcode": 3,
        "welsh_name": 7,
        "english_name": 3,
        "diacritics": 5,
        "house_name_variant": 5,
        "street_dropped": 5,
        "name_number": 5,
        "renamed_house": 3,
        "hamlet_for_street": 3,
        "parent_locality": 3,
        "double_locality": 2,
        "plot_variant": 3,
        "new_build_number": 2,
        "not_in_gazetteer_name": 3,
        "not_in_gazetteer_barn": 2,
        "not_in_gazetteer_plot": 2,
    },
    "epc": {
        "clean": 33,
        "unnamed_road": 8,
        "typo": 5,
        "wrong_postcode": 3,
        "terminated_postcode": 3,
        "house_name_variant": 5,
        "name_number": 6,
        "street_dropped": 4,
        "welsh_name": 3,
        "diacritics": 3,
        "wrong_post_town": 3,
        "double_locality": 2,
        "new_build_number": 5,
        "not_in_gazetteer_barn": 5,
        "not_in_gazetteer_name": 3,
    },
    "price_paid": {
        "clean": 38,
        "unnamed_road": 8,
        "terminated_postcode": 6,
        "wrong_postcode": 3,
        "typo": 3,
        "name_number": 4,
        "renamed_house": 4,
        "house_name_variant": 3,
        "locality_dropped": 3,
        "wrong_post_town": 3,
        "new_build_number": 5,
        "not_in_gazetteer_barn": 4,
        "land_at": 4,
        "not_in_gazetteer_name": 2,
    },
    "fire_safety_visit": {
        "clean": 20,
        "unnamed_road": 8,
        "typo": 12,
        "no_postcode": 10,
        "wrong_postcode": 4,
        "street_dropped": 7,
        "hamlet_for_street": 6,
        "locality_dropped": 4,
        "house_name_variant": 6,
        "diacritics": 5,
        "welsh_name": 4,
        "name_number": 5,
        "plot_variant": 4,
        "wrong_post_town": 3,
        "not_in_gazetteer_name": 3,
        "not_in_gazetteer_hut": 2,
    },
    "septic_tank": {
        "clean": 15,
        "unnamed_road": 15,
        "site_parent": 8,
        "outbuilding_as_farm": 8,
        "farm_name_variant": 6,
        "no_postcode": 10,
        "wrong_postcode": 4,
        "terminated_postcode": 4,
        "typo": 6,
        "parent_locality": 4,
        "hamlet_for_street": 4,
        "wrong_post_town": 4,
        "house_name_variant": 4,
        "diacritics": 3,
        "land_at": 3,
        "not_in_gazetteer_barn": 4,
        "not_in_gazetteer_name": 2,
    },
    "water_supply": {
        "clean": 20,
        "unnamed_road": 15,
        "site_parent": 12,
        "outbuilding_as_farm": 6,
        "farm_name_variant": 6,
        "no_postcode": 6,
        "wrong_postcode": 4,
        "terminated_postcode": 3,
        "parent_locality": 5,
        "double_locality": 4,
        "house_name_variant": 4,
        "typo": 4,
        "welsh_name": 3,
        "land_at": 3,
        "not_in_gazetteer_hut": 3,
        "not_in_gazetteer_barn": 3,
    },
    "farm_holdings": {
        "unnamed_road": 50,
        "farm_name_variant": 12,
        "no_postcode": 8,
        "wrong_post_town": 6,
        "parent_locality": 5,
        "typo": 4,
        "welsh_name": 3,
        "land_at": 8,
    },
}
NONE_CLASSES = (
    "not_in_gazetteer_name",
    "not_in_gazetteer_barn",
    "not_in_gazetteer_plot",
    "not_in_gazetteer_hut",
    "new_build_number",
    "land_at",
)

# faults that drop, add or swap whole parts (the rest change a part's spelling)
WHOLE_PART_CLASSES = (
    "clean",
    "unnamed_road",
    "wrong_postcode",
    "terminated_postcode",
    "no_postcode",
    "street_dropped",
    "locality_dropped",
    "wrong_post_town",
    "hamlet_for_street",
    "parent_locality",
    "double_locality",
    "outbuilding_as_farm",
    "site_parent",
)

ABBREV = {
    "ROAD": "RD",
    "LANE": "LN",
    "STREET": "ST",
    "COTTAGE": "COTT",
    "FARM": "FM",
    "CLOSE": "CL",
    "TERRACE": "TCE",
    "HOUSE": "HSE",
}
LOWER_WORDS = {"Y", "YR", "AR", "I", "O", "AC", "UPON", "ON", "THE", "AND", "OF", "TO", "FROM", "AT", "UNDER"}
WELSH_PARTICLES = ("TY ", "TŶ ", "PEN ", "BRYN ", "GLAN ", "TYN ", "MAES ", "BRON ", "CAE ", "PANT ", "NANT ")
SPLITTABLE = ("BRYN", "PEN", "TY", "GLAN", "MAES", "PANT", "LLWYN", "CWM", "BLAEN", "DOL", "HEN")


def _title(s: str) -> str:
    out = []
    for i, w in enumerate(s.split(" ")):
        if i > 0 and w in LOWER_WORDS:
            out.append(w.lower())
        elif w[:1].isdigit() or w.startswith("("):
            out.append(w[:1] + _title(w[1:]) if w.startswith("(") else w)
        else:
            out.append("-".join(x.capitalize() for x in w.split("-")))
    return " ".join(out)


def _typo(rng, word: str) -> str:
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    op = rng.integers(4)
    if op == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 1:
        return word[:i] + word[i + 1 :]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    letters = "AEIOURNLSTDY"
    c = letters[rng.integers(len(letters))]
    return word[:i] + (c if c != word[i] else "E" if word[i] != "E" else "A") + word[i + 1 :]


def _name_variants(name: str) -> list[str]:
    """Spellings the same house name is given: hyphens, run together, split, 'The' dropped."""
    out = []
    if name.startswith("THE "):
        out.append(name[4:])
    words = name.split(" ")
    if len(words) >= 2 and words[0] in ("TY", "TŶ", "PEN", "BRYN", "GLAN", "TYN", "MAES", "BRON", "CAE", "PANT"):
        out += ["-".join(words), "".join(words)]
    if len(words) == 3 and words[1] in ("Y", "YR"):
        out.append(f"{words[0]}-{words[1]}-{words[2]}")
    if len(words) == 1:
        for pre in SPLITTABLE:
            if name.startswith(pre) and len(name) > len(pre) + 2:
                out.append(f"{pre} {name[len(pre) :]}")
                break
    if name.endswith(" TREE COTTAGE"):
        out.append(name.replace(" TREE COTTAGE", "TREE COTTAGE"))
    if name.endswith(" VIEW") and len(words) == 2:
        out.append(name.replace(" ", ""))
    if name.endswith(" COTTAGE") and not name.startswith("THE "):
        out.append(name[: -len(" COTTAGE")] + " COTT")
        out.append(name.replace(" COTTAGE", " COTTAGES"))
    return [v for v in out if v != name]


class _Recorder:
    def __init__(self, b: _Builder, full: pd.DataFrame, seed: int):
        self.b, self.full, self.rng = b, full, np.random.default_rng(seed)
        props, streets = b.props, b.streets
        self.n = len(props)
        self.kind = np.array([p["kind"] for p in props])
        self.stype = np.array([streets[p["street_i"]]["stype"] for p in props])
        self.has_name = np.array([p["name"] is not None and p["saon"] is None for p in props])
        self.has_num = np.array([p["number"] is not None for p in props])
        self.off = np.array([p["off_mains"] for p in props])
        self.welsh = np.array([b.towns[streets[p["street_i"]]["town_i"]]["welsh"] for p in props])
        self.alias = np.array([p["alias"] is not None for p in props])
        self.loc_kind = np.array([streets[p["street_i"]]["loc_kind"] for p in props])
        # gazetteer index for the unrecoverable check
        self.row_parts: list[tuple] = []
        self.row_pc: list = []
        self.row_uprn: list[int] = []
        self.exact: dict[tuple, list[int]] = {}
        self.part_index: dict[str, list[int]] = {}
        for r_i, (addr, pc, u) in enumerate(zip(full["address"], full["postcode"], full["uprn"], strict=True)):
            parts = tuple(addr.split(", "))
            self.row_parts.append(parts)
            self.row_pc.append(pc if isinstance(pc, str) else None)
            self.row_uprn.append(int(u))
            self.exact.setdefault(parts, []).append(r_i)
            for x in dict.fromkeys(parts):
                self.part_index.setdefault(x, []).append(r_i)
        self.uprn_row = {u: i for i, u in enumerate(self.row_uprn)}
        self.is_ps = (full["class_code"] == "PS").to_numpy()
        self.pcs_by_sector: dict[str, list[str]] = {}
        for pc in sorted({p["postcode"] for p in props}):
            self.pcs_by_sector.setdefault(pc[:-2], []).append(pc)
        self.pools: dict = {}

    # ---------------------------------------------------------------- pools
    def base(self, scope: str) -> np.ndarray:
        k = self.kind
        dwell = np.isin(k, ["house", "flat", "farm", "barn", "plot"])
        if scope == "dwelling":
            return dwell
        if scope == "epc":
            return np.isin(k, ["house", "flat", "farm", "barn", "holiday"])
        if scope == "sale":
            return np.isin(k, ["house", "flat", "farm", "barn"])
        if scope == "off_mains":
            return self.off & np.isin(k, ["house", "farm", "barn", "holiday", "plot", "farmbldg", "site"])
        if scope == "farm":
            return k == "farm"
        raise ValueError(scope)

    def eligible(self, cls: str, agency: str) -> np.ndarray:
        key = (cls, agency)
        if key in self.pools:
            return self.pools[key]
        b, props = self.b, self.b.props
        m = self.base(AGENCIES[agency][1]).copy()
        t1 = self.stype == 1
        if cls == "clean":
            if agency != "council_tax":
                m &= t1
        elif cls == "unnamed_road":
            m &= ~t1
        elif cls in ("typo", "wrong_postcode", "terminated_postcode", "no_postcode", "wrong_post_town"):
            pass
        elif cls == "welsh_name":
            m &= np.array(
                [
                    (b.streets[p["street_i"]]["lang"] == "en" and b.streets[p["street_i"]]["alt"] is not None)
                    or b.towns[b.streets[p["street_i"]]["town_i"]]["alt"] is not None
                    for p in props
                ]
            )
        elif cls == "english_name":
            m &= np.array(
                [
                    b.streets[p["street_i"]]["lang"] == "cy" and b.streets[p["street_i"]]["alt"] is not None
                    for p in props
                ]
            )
        elif cls == "diacritics":
            m &= np.array([self._diacritic_fields(p) != [] for p in props])
        elif cls == "house_name_variant":
            m &= np.array(
                [
                    (p["name"] is not None and p["saon"] is None and _name_variants(p["name"]) != [])
                    or (p["saon"] is not None and _name_variants(p["saon"]) != [] and p["kind"] != "flat")
                    for p in props
                ]
            )
        elif cls == "street_dropped":
            m &= t1 & self.has_name & ~self.has_num & (self.kind == "house")
        elif cls == "locality_dropped":
            m &= np.array([b.streets[p["street_i"]]["locality"] is not None for p in props]) & t1
        elif cls == "hamlet_for_street":
            m &= self.alias
        elif cls in ("parent_locality", "double_locality"):
            m &= self.loc_kind == "hamlet"
        elif cls == "name_number":
            m &= self.has_num & (self.kind == "house")
        elif cls == "renamed_house":
            m &= self.has_name & (self.kind == "house")
        elif cls == "outbuilding_as_farm":
            m &= np.isin(self.kind, ["barn", "farmbldg", "holiday"])
        elif cls == "farm_name_variant":
            m &= self.kind == "farm"
        elif cls == "plot_variant":
            m &= self.kind == "plot"
        elif cls == "site_parent":
            m = np.isin(self.kind, ["site", "farm"]) & np.array([len(p["children"]) >= 2 for p in props])
        elif cls in ("not_in_gazetteer_barn", "not_in_gazetteer_hut"):
            m = self.kind == "farm"
        elif cls == "not_in_gazetteer_plot":
            m = (self.kind == "plot") & np.array([p["number"] is not None or p["saon"] is not None for p in props])
        elif cls == "land_at":
            m = np.isin(self.kind, ["farm", "house"]) & (self.has_name | self.has_num)
            if agency in ("septic_tank", "water_supply", "farm_holdings"):
                m &= self.off
        elif cls == "not_in_gazetteer_name":
            m = (self.kind == "house") & self.has_name & ~self.has_num
        elif cls == "new_build_number":
            m = (self.kind == "house") & self.has_num
        else:
            raise ValueError(cls)
        idx = np.flatnonzero(m)
        self.pools[key] = idx
        return idx

    def _diacritic_fields(self, p) -> list[str]:
        out = []
        for f in ("name", "saon", "street"):
            v = self.b.streets[p["street_i"]]["name"] if f == "street" else p[f]
            if v and (v != v.translate(UNCIRCUMFLEX) or any(w in CIRCUMFLEX for w in v.split(" "))):
                out.append(f)
        return out

    # ---------------------------------------------------------------- components
    def comp(self, p_i: int) -> dict:
        b = self.b
        p = b.props[p_i]
        s = b.streets[p["street_i"]]
        return dict(
            saon=p["saon"],
            name=p["name"],
            number=p["number"],
            street=s["name"],
            locality=s["locality"],
            locality2=None,
            town=b.towns[s["town_i"]]["name"],
            postcode=p["postcode"],
            prefix=None,
            suffix=None,
        )

    @staticmethod
    def parts(c: dict) -> list[str]:
        street = c["street"]
        if c["number"] is not None:
            street = f"{c['number']} {street}" if street else str(c["number"])
        first = c["name"]
        if c["prefix"]:
            first = f"{c['prefix']} {first}" if first else c["prefix"]
            if c["saon"]:
                first = f"{c['prefix']} {c['saon']}"
        out = [
            None if c["prefix"] and c["saon"] else c["saon"],
            first,
            street,
            c["locality"],
            c["locality2"],
            c["town"],
            c["suffix"],
        ]
        return [x for x in out if x]

    def apply(self, cls: str, p_i: int, agency: str) -> tuple[dict, int | None, str] | None:
        """The record's components after the fault, its true UPRN and level; None if the class does not fit."""
        rng, b = self.rng, self.b
        p = b.props[p_i]
        s = b.streets[p["street_i"]]
        town = b.towns[s["town_i"]]
        c = self.comp(p_i)
        truth, level = p["uprn"], "uprn"
        if cls == "clean":
            pass
        elif cls == "unnamed_road":
            c["street"] = None
        elif cls == "typo":
            fields = [f for f in ("name", "saon", "street", "locality") if c[f] and (f != "street" or s["stype"] == 1)]
            fields = [f for f in fields if any(len(w) >= 5 for w in c[f].split(" "))]
            if not fields:
                return None
            f = fields[rng.integers(len(fields))]
            words = c[f].split(" ")
            long_w = [i for i, w in enumerate(words) if len(w) >= 5 and not w[0].isdigit()]
            if not long_w:
                return None
            i = long_w[rng.integers(len(long_w))]
            words[i] = _typo(rng, words[i])
            c[f] = " ".join(words)
        elif cls == "wrong_postcode":
            sib = [x for x in self.pcs_by_sector[p["postcode"][:-2]] if x != p["postcode"]]
            if not sib:
                return None
            c["postcode"] = sib[rng.integers(len(sib))]
        elif cls == "terminated_postcode":
            sector = p["postcode"][:-2]
            free = b.sector_units.get(sector, [])
            if not free:
                return None
            c["postcode"] = sector + free[int(rng.integers(len(free)))]
        elif cls == "no_postcode":
            c["postcode"] = None
        elif cls == "welsh_name":
            opts = []
            if s["lang"] == "en" and s["alt"]:
                opts.append("street")
            if town["alt"]:
                opts.append("town")
            if not opts:
                return None
            pick = opts if rng.random() < 0.4 else [opts[rng.integers(len(opts))]]
            if "street" in pick:
                c["street"] = s["alt"]
            if "town" in pick:
                c["town"] = town["alt"]
        elif cls == "english_name":
            c["street"] = s["alt"]
        elif cls == "diacritics":
            f = self._diacritic_fields(p)[0]
            v = c[f]
            if v != v.translate(UNCIRCUMFLEX):
                c[f] = v.translate(UNCIRCUMFLEX)
            else:
                c[f] = " ".join(CIRCUMFLEX.get(w, w) for w in v.split(" "))
        elif cls == "house_name_variant":
            f = "saon" if p["saon"] is not None else "name"
            vs = _name_variants(c[f])
            c[f] = vs[rng.integers(len(vs))]
        elif cls == "wrong_post_town":
            # the nearest other post town of the same county: where the property looks to be, or its market town
            others = [t for t in b.towns if t["welsh"] == town["welsh"] and t["name"] != town["name"]]
            d = [(t["e"] - p["e"]) ** 2 + (t["n"] - p["n"]) ** 2 for t in others]
            c["town"] = others[int(np.argmin(d))]["name"]
        elif cls == "street_dropped":
            c["street"] = None
        elif cls == "locality_dropped":
            c["locality"] = None
        elif cls == "hamlet_for_street":
            c["street"], c["locality"] = None, p["alias"]
        elif cls == "parent_locality":
            c["locality"] = s["village"]
            if rng.random() < 0.6 and s["stype"] == 2:
                c["street"] = None
        elif cls == "double_locality":
            c["locality2"] = s["village"]
            if s["stype"] == 2:
                c["street"] = None
        elif cls == "name_number":
            if p["name"] is not None:
                if rng.random() < 0.5:
                    c["number"] = None
                else:
                    c["name"] = None
            else:
                c["name"] = NEW_NAMES[rng.integers(len(NEW_NAMES))]
        elif cls == "renamed_house":
            # the former name is one no other house on the street has (the council checks before renaming)
            on_street = {_name_key(b.props[x]["name"]) for x in s["props"] if b.props[x]["name"]}
            pool = [
                x for x in (WELSH_NAMES + ENG_NAMES if town["welsh"] else ENG_NAMES) if _name_key(x) not in on_street
            ]
            old = pool[rng.integers(len(pool))]
            c["name"] = f"{p['name']} (FORMERLY {old})" if rng.random() < 0.35 else old
            if s["stype"] == 2:
                c["street"] = None
        elif cls == "outbuilding_as_farm":
            c["saon"] = None
            c["street"] = None if rng.random() < 0.6 else c["street"]
        elif cls == "farm_name_variant":
            nm = p["name"]
            if nm.endswith(" FARM"):
                vs = [nm + "HOUSE", nm + " HOUSE", nm[: -len(" FARM")] + " FARMHOUSE"]
            else:
                vs = ["FFERM " + nm, nm + " FARM"]
            c["name"] = vs[rng.integers(len(vs))]
            if s["stype"] == 2:
                c["street"] = None
        elif cls == "plot_variant":
            if p["saon"]:
                k = p["saon"].split(" ")[1]
                mode = rng.integers(4)
                if mode == 3:
                    c["saon"], c["number"], c["street"] = None, k, p["name"]
                    c["name"] = None
                else:
                    c["saon"] = f"{['PITCH', 'CARAVAN', 'UNIT'][mode]} {k}"
            else:
                k = p["number"]
                mode = rng.integers(3)
                if mode == 0:
                    c["saon"], c["number"], c["name"] = f"PLOT {k}", None, s["name"]
                    c["street"] = None
                elif mode == 1:
                    c["saon"], c["number"] = f"PARK HOME {k}", None
                else:
                    c["number"] = f"PLOT {k}"
        elif cls == "site_parent":
            c["street"] = None if s["stype"] == 2 else c["street"]
            homes = [ch for ch in p["children"] if b.props[ch]["kind"] in ("plot", "barn", "holiday")]
            if p["kind"] == "site":
                c["suffix"] = [None, f"({len(homes)} PLOTS)", "CARAVAN SITE"][rng.integers(3)]
            else:
                form = rng.integers(3)
                if form == 1:
                    c["name"] = f"{c['name']} AND BARNS"
                elif form == 2:
                    c["suffix"] = f"({len(homes) + 1} PROPERTIES)"
            level = "parent"
        elif cls in ("not_in_gazetteer_barn", "not_in_gazetteer_hut"):
            have = {b.props[ch]["saon"] for ch in p["children"]}
            if cls == "not_in_gazetteer_barn":
                cands = [x for x in BARN_NAMES + WELSH_BARN_NAMES if x not in have]
                form = rng.integers(3)
                if form == 0:
                    c["saon"] = cands[rng.integers(len(cands))]
                elif form == 1:
                    c["saon"] = f"BARN {rng.integers(1, 5)}"
                else:
                    c["prefix"] = f"BARN {rng.integers(1, 5)} AT" if rng.random() < 0.5 else "BARN AT"
            else:
                cands = [x for x in HUT_NAMES if x not in have]
                c["saon"] = cands[rng.integers(len(cands))]
            if s["stype"] == 2 and rng.random() < 0.7:
                c["street"] = None
            truth, level = None, "none"
        elif cls == "not_in_gazetteer_plot":
            site_children = b.props[b._by_uprn[p["parent"]]]["children"] if p["parent"] else s["props"]
            top = len(site_children)
            k = top + int(rng.integers(1, 4))
            if p["saon"]:
                c["saon"] = f"PLOT {k}"
            else:
                c["number"] = k
            truth, level = None, "none"
        elif cls == "land_at":
            ref = p["name"] if p["name"] else f"{p['number']} {s['name']}"
            form = rng.integers(4)
            if form == 0:
                first = f"LAND AT {ref}"
            elif form == 1:
                first = f"FIELD ADJACENT TO {ref}"
            elif form == 2:
                first = f"LAND TO REAR OF {ref}"
            else:
                first = f"LAND OFF {s['name']}" if s["stype"] == 1 else f"LAND NEAR {ref}"
            c.update(saon=None, name=first, number=None)
            if form == 3 or p["number"] is not None or s["stype"] == 2:
                c["street"] = None
            c["postcode"] = p["postcode"] if rng.random() < 0.6 else None
            truth, level = None, "none"
        elif cls == "not_in_gazetteer_name":
            have = {b.props[x]["name"] for x in s["props"]}
            cands = [x for x in NEW_NAMES if x not in have]
            c["name"] = cands[rng.integers(len(cands))]
            if s["stype"] == 2 and rng.random() < 0.5:
                c["street"] = None
            truth, level = None, "none"
        elif cls == "new_build_number":
            nums = sorted(b.props[x]["number"] for x in s["props"] if isinstance(b.props[x]["number"], int))
            if rng.random() < 0.5:
                c["number"] = nums[-1] + int(rng.integers(1, 4))
            else:
                c["number"] = f"{p['number']}A"
            c["name"], c["saon"] = None, None
            if rng.random() < 0.3:
                sector = p["postcode"][:-2]
                free = b.sector_units.get(sector, [])
                if free:
                    c["postcode"] = sector + free[int(rng.integers(len(free)))]
            truth, level = None, "none"
        else:
            raise ValueError(cls)
        # agencies other than council tax write a house on an unnamed (type 2) road the PAF way, without the
        # gazetteer's street description, whatever else is wrong with the record
        if agency != "council_tax" and s["stype"] == 2 and c["street"] == s["name"] and rng.random() < 0.9:
            c["street"] = None
        return c, truth, level

    # ---------------------------------------------------------------- truth checks
    def unrecoverable(self, parts: list[str], pc, truth, cls: str) -> bool:
        """True where the record's parts and postcode are another gazetteer address letter for letter, or
        where another address holds the record's parts at least as well as the truth does (as many of them, no
        more parts the record lacks) and the postcode does not tell them apart. Parts are compared whole; for
        classes that alter a part's spelling only records whose parts all belong to the truth are judged."""
        key = tuple(parts)
        for r_i in self.exact.get(key, []):
            if self.row_uprn[r_i] != truth and (pc is None or self.row_pc[r_i] in (None, pc)):
                return True
        if truth is None:
            return False
        t_row = self.uprn_row[truth]
        rset = set(parts)
        tset = set(self.row_parts[t_row])
        if cls in WHOLE_PART_CLASSES:
            m_t, e_t = len(rset & tset), len(tset - rset)
            ranked = sorted((self.part_index.get(x, []) for x in rset), key=len)
            rows = sorted({r for lst in ranked[: len(rset) - m_t + 1] for r in lst})
            for r_i in rows:
                if r_i == t_row or self.is_ps[r_i] or (pc is not None and self.row_pc[r_i] not in (None, pc)):
                    continue
                xset = set(self.row_parts[r_i])
                m_x = len(rset & xset)
                if m_x > m_t or (m_x == m_t and len(xset - rset) <= e_t):
                    return True
            return False
        if not rset <= tset:
            return False
        lists = sorted((self.part_index.get(x, []) for x in rset), key=len)
        if not lists or not lists[0]:
            return False
        t_extra = len(set(self.row_parts[t_row]) - rset)
        for r_i in lists[0]:
            if r_i == t_row or (pc is not None and self.row_pc[r_i] not in (None, pc)):
                continue
            rp = set(self.row_parts[r_i])
            if rset <= rp and not self.is_ps[r_i] and len(rp - rset) <= t_extra:
                return True
        return False

    # ---------------------------------------------------------------- agency styles
    def style(self, agency: str, parts: list[str], pc, suffix: str | None = None) -> tuple[str, object]:
        """The record's text as the agency writes it (case, commas, abbreviations, where the postcode goes);
        ``suffix`` (a register's note such as "(4 PROPERTIES)") follows the address."""
        text, pc = self._style(agency, parts, pc)
        if suffix:
            note = suffix if agency in ("council_tax", "price_paid", "septic_tank") else _title(suffix)
            if pc is None and text.endswith(self._pc_tail(text)) and self._pc_tail(text):
                tail = self._pc_tail(text)
                return f"{text[: -len(tail)].rstrip()} {note} {tail}", pc
            return f"{text}, {note}" if ", " in text else f"{text} {note}", pc
        return text, pc

    @staticmethod
    def _pc_tail(text: str) -> str:
        m = re.search(r"[A-Za-z]{2}\d \d[A-Za-z]{2}$", text)
        return m.group(0) if m else ""

    def _style(self, agency: str, parts: list[str], pc) -> tuple[str, object]:
        rng = self.rng
        if agency == "council_tax":
            return ", ".join(parts), pc
        if agency in ("electoral_register", "epc", "water_supply", "farm_holdings"):
            text = ", ".join(_title(x) for x in parts)
            if agency == "farm_holdings" and rng.random() < 0.3:
                text = text.upper()
            return text, pc
        if agency == "price_paid":
            council = "DYFRWY" if self._welsh_parts(parts) else "WEST WEALD"
            extra = [council] if rng.random() < 0.7 else []
            return ", ".join(parts + extra), pc
        if agency == "fire_safety_visit":
            words = []
            for part in parts:
                ws = [ABBREV.get(w, w) if rng.random() < 0.5 else w for w in part.split(" ")]
                words.append(" ".join(ws))
            sep = ", " if rng.random() < 0.5 else " "
            text = sep.join(words)
            text = text.lower() if rng.random() < 0.5 else _title(text)
            if pc and rng.random() < 0.35:
                return f"{text} {pc.lower() if rng.random() < 0.3 else pc}", None
            return text, pc
        if agency == "septic_tank":
            ps = list(parts)
            if len(ps) >= 3 and rng.random() < 0.2:
                ps[-1] = f"NR {ps[-1]}"
            text = " ".join(ps) if rng.random() < 0.4 else ", ".join(ps)
            if pc and rng.random() < 0.5:
                return f"{text} {pc}", None
            return text, pc
        raise ValueError(agency)

    def _welsh_parts(self, parts: list[str]) -> bool:
        names = {t["name"]: t["welsh"] for t in self.b.towns} | {t["alt"]: t["welsh"] for t in self.b.towns if t["alt"]}
        return any(names.get(x, False) for x in parts)


def make_records(gaz: pd.DataFrame, n: int = 5000, seed: int = 52) -> pd.DataFrame:
    """Records of the eight rural agencies describing the gazetteer's properties (or things it lacks)."""
    key = gaz.attrs.get("rural_bench")
    hit = None
    if key is not None:
        hit = _build(*key)
    else:
        for b, full in _CACHE.values():
            if len(full) == len(gaz) and int(full["uprn"].iat[0]) == int(gaz["uprn"].iat[0]):
                hit = (b, full)
                break
    if hit is None:
        raise ValueError("make_records needs a gazetteer made by make_gazetteer of this module")
    b, full = hit
    if len(full) != len(gaz) or not np.array_equal(full["uprn"].to_numpy(), gaz["uprn"].to_numpy()):
        raise ValueError("gazetteer differs from the one this module made")
    rec = _Recorder(b, full, seed)
    rng = rec.rng
    agencies = list(AGENCIES)
    shares = np.array([AGENCIES[a][0] for a in agencies])
    rows = []
    for i in range(n):
        agency = agencies[rng.choice(len(agencies), p=shares / shares.sum())]
        weights = AGENCY_CLASSES[agency]
        classes = list(weights)
        w = np.array([weights[c] for c in classes], dtype=float)
        cls = classes[rng.choice(len(classes), p=w / w.sum())]
        out = None
        for _attempt in range(6):
            pool = rec.eligible(cls, agency)
            if len(pool) == 0:
                break
            p_i = int(pool[rng.integers(len(pool))])
            out = rec.apply(cls, p_i, agency)
            if out is not None:
                break
        if out is None:
            cls = "clean" if agency == "council_tax" or len(rec.eligible("clean", agency)) else "unnamed_road"
            pool = rec.eligible(cls, agency)
            p_i = int(pool[rng.integers(len(pool))])
            out = rec.apply(cls, p_i, agency)
        c, truth, level = out
        parts = rec.parts(c)
        check = parts
        if cls == "site_parent":  # the register's note is not an address part
            check = rec.parts({**c, "suffix": None, "name": c["name"].removesuffix(" AND BARNS")})
        unrec = rec.unrecoverable(check, c["postcode"], truth, cls)
        text, pc = rec.style(agency, parts[:-1] if c["suffix"] else parts, c["postcode"], c["suffix"])
        rows.append(
            dict(
                record_id=f"{agency[:3].upper()}-{seed}-{i:05d}",
                agency=agency,
                address=text,
                postcode=pc,
                error_class=cls,
                true_uprn=truth,
                true_level=level,
                unrecoverable=unrec,
            )
        )
    truths = [r.pop("true_uprn") for r in rows]
    df = pd.DataFrame(rows)
    df.insert(5, "true_uprn", pd.array(truths, dtype="Int64"))
    df["unrecoverable"] = df["unrecoverable"].astype(bool)
    df["postcode"] = df["postcode"].astype(object).where(df["postcode"].notna(), None)
    return df
