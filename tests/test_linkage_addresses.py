"""UK address normalisation, identifiers and the seeded generator: pure functions, no QGIS."""
import geopandas as gpd
import pandas as pd
import pytest

from joinedup.engine import addresses as ad
from joinedup.engine.identifiers import guess_identifier_fields, protect_identifiers, read_text_table


@pytest.mark.parametrize("raw, expected", [
    ("ls14ab", "LS1 4AB"), (" LS1 4AB ", "LS1 4AB"), ("sw1a2aa", "SW1A 2AA"), ("EC1A 1BB", "EC1A 1BB"),
    ("M1 1AE", "M1 1AE"), ("00100", None), ("", None), (None, None), ("LS1 4A", None),
    ("12345-678", None), ("GIR 0AA", "GIR 0AA"),
])
def test_format_postcode(raw, expected):
    assert ad.format_postcode(raw) == expected
    assert ad.format_postcodes(pd.Series([raw])).iloc[0] == expected


@pytest.mark.parametrize("raw, expected", [
    ("Apt. 3, 12 High St., Leeds", "FLAT 3 12 HIGH STREET LEEDS"),
    ("3/12 high st", "FLAT 3 12 HIGH STREET"),
    ("F3 12 High St", "FLAT 3 12 HIGH STREET"),
    ("Flat No. 4, 12a High Street", "FLAT 4 12A HIGH STREET"),
    ("Apartment 4 12 A High Street", "FLAT 4 12A HIGH STREET"),
    ("12 St Marys Rd, Leeds LS1 4AB", "12 SAINT MARYS ROAD LEEDS"),
    ("ROSE CTG, MILL LN", "ROSE COTTAGE MILL LANE"),
    ("Unit 2, 5-7 Mill Road", "FLAT 2 5-7 MILL ROAD"),
    ("FLAT  11, 6 FREDRIKIN STREET, KINGSMERE .", "FLAT 11 6 FREDRIKIN STREET KINGSMERE"),
    ("Flat 2, 1 Yrjön Street", "FLAT 2 1 YRJON STREET"),
    # a flat word with a slip before its number; a business's name ending in a unit word
    ("Apatment 7, Thornhill Court", "FLAT 7 THORNHILL COURT"),
    ("StOdio 1 Norbury Court", "FLAT 1 NORBURY COURT"),
    ("Kestrel Apartments, 12 Mill Road", "KESTREL APARTMENTS 12 MILL ROAD"),
    ("Costas Hair Studio, 27 Sheep St", "COSTAS HAIR 27 SHEEP STREET"),
    ("8 Queens Road, Flat Two", "8 QUEENS ROAD FLAT 2"),
    ("   ", ""), (None, ""),
])
def test_normalise_address(raw, expected):
    assert ad.normalise_address(raw) == expected


def test_postcode_found_in_text_and_removed():
    text = pd.Series(["12 High St, Leeds LS1 4AB", "Mannerheimintie 5, 00100 Helsinki"])
    assert ad.postcode_in_text(text).tolist() == ["LS1 4AB", None]
    assert ad.normalise_addresses(text).tolist() == ["12 HIGH STREET LEEDS", "MANNERHEIMINTIE 5 00100 HELSINKI"]


def test_number_conflicts():
    rec = ad.normalise_addresses(pd.Series(["16 Liisan Street", "Flat 40, 33 X Street", "12 High St",
                                            "Flat 3, 12 High St", "12 High Street, Flat 3"]))
    cand = ad.normalise_addresses(pd.Series(["Flat 16, 5 Liisan Street", "33 X Street",
                                             "Flat 3, 12 High Street", "Flat 3 12 High Street",
                                             "Flat 3, 12 High Street"]))
    why = ad.number_conflicts(rec, cand).tolist()
    assert why[0] == "house number 16"
    assert why[1] == "flat 40"
    assert why[2:] == ["", "", ""]  # no flat given may match a flat; swapped order agrees


def test_identifiers_guessed_hashed_dropped():
    cols = ["record_id", "address", "account_name", "Surname", "street_name", "house_name", "dob",
            "elector_name", "email"]
    assert guess_identifier_fields(cols) == ["account_name", "Surname", "dob", "elector_name", "email"]
    frame = pd.DataFrame({"account_name": ["Ann Lee", "ann lee ", None, ""], "x": [1, 2, 3, 4]})
    hashed, note = protect_identifiers(frame, ["account_name"], action="hash", salt="s")
    values = hashed["account_name"].tolist()
    assert values[0] == values[1] and len(values[0]) == 16 and values[0] != "Ann Lee"
    assert values[2] is None and values[3] is None
    assert "hash" in note
    other, _ = protect_identifiers(frame, ["account_name"], action="hash", salt="t")
    assert other["account_name"][0] != values[0]
    dropped, _ = protect_identifiers(frame, ["account_name"], action="drop")
    assert list(dropped.columns) == ["x"]
    assert frame["account_name"][0] == "Ann Lee"  # the input is not changed


def test_read_text_table_encodings(tmp_path):
    rows = "id;address;name\n1;Flat 2, 1 Yrjön Street;Chloé Müller\n2;;\n"
    (tmp_path / "u.csv").write_bytes(rows.encode("utf-8"))
    (tmp_path / "w.csv").write_bytes(rows.encode("cp1252"))
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + rows.encode("utf-8"))
    for name, expected in (("u.csv", "UTF-8"), ("w.csv", "Windows-1252"), ("bom.csv", "UTF-8")):
        frame, used = read_text_table(str(tmp_path / name))
        assert used == expected
        assert list(frame.columns) == ["id", "address", "name"]
        assert frame["address"].tolist() == ["Flat 2, 1 Yrjön Street", ""]
        assert frame["name"][0] == "Chloé Müller"
    frame, used = read_text_table(str(tmp_path / "w.csv"), encoding="windows-1252")
    assert used == "Windows-1252" and frame["name"][0] == "Chloé Müller"
    from joinedup.engine.errors import InputError
    with pytest.raises(InputError, match="not valid utf-8"):
        read_text_table(str(tmp_path / "w.csv"), encoding="utf-8")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_text_table(str(tmp_path / "empty.csv"))


def test_generator_is_seeded_and_realistic(real_data):
    import gen_addresses as g

    osm = real_data / "helsinki.osm.pbf"
    a = g.make_gazetteer(1, seed=3, osm_path=osm)
    b = g.make_gazetteer(1, seed=3, osm_path=osm)
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert a["uprn"].is_unique
    assert set(a["kind"]) == {"single", "parent", "flat"}
    assert a["postcode"].map(ad.format_postcode).eq(a["postcode"]).all()  # UK format
    assert a.crs.to_epsg() == 3067
    flats = a[a["kind"] == "flat"]
    assert flats["parent_uprn"].isin(a.loc[a["kind"] == "parent", "uprn"]).all()
    ex = g.make_agency_extract(a, 500, seed=4)
    assert set(ex["error_type"]) <= set(g.ERROR_TYPES)
    assert ex.loc[ex["error_type"] == "not_in_gazetteer", "true_uprn"].isna().all()
    assert ex.loc[ex["error_type"] != "not_in_gazetteer", "true_uprn"].isin(a["uprn"]).all()
    assert ex.equals(g.make_agency_extract(a, 500, seed=4))


def test_missing_matcher_gives_install_steps(monkeypatch):
    """The plugin loads without uk_address_matcher; linking then says how to install it."""
    import sys

    from joinedup.dependencies import missing_packages, optional_missing_message
    from joinedup.engine.linkage import linkage_backend_missing

    assert optional_missing_message("linkaddresses") == ""
    monkeypatch.setitem(sys.modules, "uk_address_matcher", None)  # import now fails
    message = optional_missing_message("linkaddresses")
    assert "uk_address_matcher" in message and "pip install" in message
    assert optional_missing_message("propertyprofile") == ""
    assert "uk_address_matcher" not in " ".join(missing_packages())  # not a required package
    assert "pip install uk_address_matcher" in linkage_backend_missing()


# The council bench's variant forms (benchmarks/gen_council_bench.py, VARIANT_MIX), each
# written out by hand: the record's form and the gazetteer's must meet.
@pytest.mark.parametrize("record, gazetteer", [
    ("St Marys Rd, 12", "ST MARY'S ROAD, 12"),                       # apostrophe dropped
    ("12 St. Mary's Road", "12 ST MARY'S ROAD"),                     # full stop
    ("12 Saint Marys Road", "12 ST MARY'S ROAD"),
    ("Rose Cottage, St John's Close", "ROSE COTTAGE, ST JOHN'S CLOSE"),
    ("4 (1F2) St Leonard's Gardens", "FLAT 1F2, 4 ST LEONARD'S GARDENS"),  # tenement flat
    ("1F2, 4 Kings Road", "FLAT 1F2, 4 KING'S ROAD"),
    ("4/GF1 Kings Road", "FLAT GF1, 4 KING'S ROAD"),
    ("A/40 Bell and Anchor Way", "FLAT A, 40 BELL AND ANCHOR WAY"),  # lettered flat
    ("Flat a 40 Bell & Anchor Way", "FLAT A, 40 BELL AND ANCHOR WAY"),
    ("Anchor&Hope Lane", "ANCHOR AND HOPE LANE"),
    ("Top Flat, 19 Kings Road", "TOP FLOOR FLAT, 19 KING'S ROAD"),
    ("LGF 9 Kings Road", "BASEMENT FLAT, 9 KING'S ROAD"),
    ("Lower Ground Floor Flat, 9 Kings Road", "BASEMENT FLAT, 9 KING'S ROAD"),
    ("Studio Flat 3, Kelso Court, 2 Mill Road", "FLAT 3, KELSO COURT, 2 MILL ROAD"),
    ("50-A Sandringham Dr", "50A SANDRINGHAM DRIVE"),
    ("50 - a Sandringham Dr", "50A SANDRINGHAM DRIVE"),
    ("12 & 14 Mill Road", "12-14 MILL ROAD"),
    ("Nos 12-14 Mill Road", "12-14 MILL ROAD"),
    ("12 to 14 Mill Road", "12-14 MILL ROAD"),
    ("12 - 14 Mill Road", "12-14 MILL ROAD"),
    ("12  Church-Lane ,Lindworth,", "12 CHURCH LANE, LINDWORTH"),
    # a unit of a building however it is named: suites, offices, workshops, bays, shops, U6
    ("Suite No 3, Regent House, 25 High St", "SUITE 3, REGENT HOUSE, 25 HIGH STREET"),
    ("Ste 3, Regent House, 25 High St", "SUITE 3, REGENT HOUSE, 25 HIGH STREET"),
    ("OFFICE SUITE 3, REGENT HOUSE, 25 HIGH STREET", "SUITE 3, REGENT HOUSE, 25 HIGH STREET"),
    ("Office 3, Regent House, 25 High Street", "SUITE 3, REGENT HOUSE, 25 HIGH STREET"),
    ("U6, Sawmill Business Park, Sawmill Road", "UNIT 6, SAWMILL BUSINESS PARK, SAWMILL ROAD"),
    ("U16 Sawmill Business Park Sawmill Road", "UNIT 16, SAWMILL BUSINESS PARK, SAWMILL ROAD"),
    ("Workshop 4, Sawmill Business Park, Sawmill Road", "UNIT 4, SAWMILL BUSINESS PARK, SAWMILL ROAD"),
    ("Bay 12, Sawmill Business Park, Sawmill Road", "UNIT 12, SAWMILL BUSINESS PARK, SAWMILL ROAD"),
    ("Shop 2, 5 Market Place", "SHOP 2, 5 MARKET PLACE"),
    ("Shop No. 2, 5 Market Place", "UNIT 2, 5 MARKET PLACE"),
    # flats run into their words or written short
    ("FLATB, 86 RUSKIN ST", "FLAT B, 86 RUSKIN STREET"),
    ("B, 86 Ruskin Street", "FLAT B, 86 RUSKIN STREET"),
    ("GROUND FLOORFLAT, 7 RUSKIN STREET", "GROUND FLOOR FLAT, 7 RUSKIN STREET"),
    ("BASEMENTFLAT, 7 RUSKIN STREET", "BASEMENT FLAT, 7 RUSKIN STREET"),
    ("Ground Flat, 7 Ruskin Street", "GROUND FLOOR FLAT, 7 RUSKIN STREET"),
    ("F/F FLAT, 133 RUSKIN STREET", "FIRST FLOOR FLAT, 133 RUSKIN STREET"),
    ("S/F Flat 133 Ruskin Street", "SECOND FLOOR FLAT, 133 RUSKIN STREET"),
    ("B/M FLAT, 7 RUSKIN STREET", "BASEMENT FLAT, 7 RUSKIN STREET"),
])
def test_variant_forms_meet(record, gazetteer):
    """Same flat, same house numbers and the same words (their order aside: the exact keys of
    the linkage compare these)."""
    rec, gaz = (pd.Series([ad.normalise_address(t)]) for t in (record, gazetteer))
    assert [p.iloc[0] for p in ad.number_parts(rec)] == [p.iloc[0] for p in ad.number_parts(gaz)], (rec, gaz)
    assert sorted(ad.street_keys(rec).iloc[0].split()) == sorted(ad.street_keys(gaz).iloc[0].split()), (rec, gaz)
    words = [sorted(w for w in t.iloc[0].split() if w.isalpha()) for t in (rec, gaz)]
    assert words[0] == words[1], (rec, gaz)


def test_mended_words_and_number_slips():
    vocabulary = {"FLAT", "ENNERDALE", "POINT", "SANDRINGHAM", "STREET", "CASTLEBRIDGE", "VICTORIA", "VICTOR",
                  "GROVE", "COVE"}
    got = ad.mended_word_readings(["FLAT 4 ENNERDAOE POINT 9 SANDRINGHAM STREET CASTLEBRIDGE",
                                   "9 SNADRINGHAM STREET", "2 VICTORIA GOVE", "2 VICTORIA GROVE", "7 QUXXXZ STREET"],
                                  vocabulary)
    # a slip of one letter, two letters swapped; GOVE is short (left alone), QUXXXZ near nothing
    assert got.tolist() == ["FLAT 4 ENNERDALE POINT 9 SANDRINGHAM STREET CASTLEBRIDGE", "9 SANDRINGHAM STREET",
                            "", "", ""]
    # the numbers a slip could have turned into 74: next door but one, swapped, a key away,
    # dropped or typed twice, a digit dropped from it (7 and 4 kept as readings of 47 / 704 ...)
    slips = {slip for _, slip in ad.house_number_slip_readings("74 FORE STREET")}
    assert {"72", "73", "75", "76", "47", "64", "84", "7", "4", "774", "744", "704", "174"} <= slips
    assert "74" not in slips and "71" not in slips
    assert ad.house_number_slip_readings("31A FORE STREET") == []   # an infill letter: no slip
    assert ad.house_number_slip_readings("FLAT 32 54 KITTIWAKE WAY")[0][0].startswith("FLAT 32 ")


def test_variant_forms_keep_apart():
    # a basement flat is not flat 19; ST ending a numbered street stays STREET; 12A is not 12
    assert ad.number_parts(pd.Series([ad.normalise_address("BASEMENT FLAT, 19 X ROAD")]))[0].iloc[0] == {"BF"}
    assert ad.normalise_address("12 High St, Little Green") == "12 HIGH STREET LITTLE GREEN"
    assert ad.normalise_address("12-A Mill Road") != ad.normalise_address("12 Mill Road")
    # a word naming a unit before its number only: 'POST OFFICE, 3', 'REAR WORKSHOP, 3', '12 BAY VIEW'
    # keep the house number ('SHOP, 12' is the shop of 12); FLATS is a block's name, not flat S
    for text, flats, houses in (("POST OFFICE, 3 MILL ROAD", set(), {"3"}), ("SHOP, 12 HIGH STREET", {"SHOP"}, {"12"}),
                                ("REAR WORKSHOP, 3 MILL ROAD", set(), {"3"}), ("12 BAY VIEW", set(), {"12"}),
                                ("CHURCH FLATS, 4 MILL ROAD", set(), {"4"}),
                                # a room let in a house in multiple occupation is a unit of it
                                ("ROOM 3, 3 NORTH STREET", {"3"}, {"3"}), ("GARDEN ROOM, 4 MILL ROAD", set(), {"4"}),
                                ("F/F FLAT, 133 MILL ROAD", {"1F"}, {"133"})):
        parts = ad.number_parts(pd.Series([ad.normalise_address(text)]))
        assert (parts[0].iloc[0], parts[1].iloc[0]) == (flats, houses), text
    # the house's name comes first when it has no number: the street is the last one named
    assert ad.street_names(pd.Series(["MEADOW VIEW SAINT PETERS AVENUE CASTLEBRIDGE"])).iloc[0] == \
        "SAINT PETERS AVENUE"


@pytest.mark.parametrize("raw, expected", [
    ("SW1A OAA", "SW1A 0AA"), ("LWI 1AB", "LW1 1AB"), ("LW3 IDN", "LW3 1DN"), ("cbl1 2ab", "CB11 2AB"),
    ("OL1 1AA", "OL1 1AA"), ("XX", None),
])
def test_postcode_letters_for_digits(raw, expected):
    assert ad.format_postcodes(pd.Series([raw]), typed_digits=True).iloc[0] == expected
    if expected != ad.format_postcode(raw):  # without typed_digits a mistyped postcode is invalid
        assert ad.format_postcodes(pd.Series([raw])).iloc[0] is None


def test_postcode_typed_with_letters_inside_the_text():
    """A postcode typed with I for 1 or O for 0 at the end of the address text is found and read
    with digits, and its digits are never read as house numbers; words never read as one."""
    text = pd.Series(["GROUND FLOOR, 50 HIGH STREET, HOLBECK-ON-SEA, EBI4 3BJ", "13 Bridge Street, Marchford EBI 1AZ",
                      "2 Leeds Road, LS1 4AB", "4 OLD MILL 1AB", "3 ELM OIL", "12 Mill Lane"])
    assert ad.postcode_in_text(text).tolist() == ["EB14 3BJ", "EB1 1AZ", "LS1 4AB", None, None, None]
    assert ad.normalise_addresses(text).tolist()[:2] == ["FLAT GF 50 HIGH STREET HOLBECK ON SEA",
                                                        "13 BRIDGE STREET MARCHFORD"]


def test_building_name_differs():
    rec = pd.Series(["CHERRY TREE HOUSE SAINT PETERS AVENUE", "ROSE COTAGE KINGS ROAD", "THE LIMES KINGS ROAD",
                     "12 KINGS ROAD"])
    cand = pd.Series(["IVY HOUSE SAINT PETERS AVENUE", "ROSE COTTAGE 4 KINGS ROAD HIGHFIELD", "LIMES KINGS ROAD",
                      "ROSE COTTAGE 12 KINGS ROAD"])
    assert ad.building_name_differs(rec, cand).tolist() == [True, False, False, False]


# A small gazetteer worked by hand for the sub-unit forms agencies write (benchmarks/gen_agency_bench.py
# found them misread): uprn, parent, address.
SUBUNIT_ROWS = [
    (100, None, "EXCHANGE BUILDINGS, 1 HIGH STREET"),
    (101, 100, "SUITE 1, EXCHANGE BUILDINGS, 1 HIGH STREET"),
    (102, 100, "SUITE 2, EXCHANGE BUILDINGS, 1 HIGH STREET"),
    (120, None, "12 HIGH STREET"),
    (121, 120, "SHOP, 12 HIGH STREET"),
    (122, 120, "FIRST FLOOR FLAT, 12 HIGH STREET"),
    (123, 120, "SECOND FLOOR FLAT, 12 HIGH STREET"),
    (300, None, "SAWMILL BUSINESS PARK, SAWMILL ROAD"),
    (306, 300, "UNIT 6, SAWMILL BUSINESS PARK, SAWMILL ROAD"),
    (316, 300, "UNIT 16, SAWMILL BUSINESS PARK, SAWMILL ROAD"),
    (860, None, "86 RUSKIN STREET"),
    (861, 860, "FLAT A, 86 RUSKIN STREET"),
    (862, 860, "FLAT B, 86 RUSKIN STREET"),
    (863, 860, "GROUND FLOOR FLAT, 86 RUSKIN STREET"),
    (980, None, "98 CORONATION PLACE"),
    (982, 980, "FLAT B, 98 CORONATION PLACE"),
    (500, None, "50 CORONATION PLACE"),
    (501, 500, "FLAT A, 50 CORONATION PLACE"),
    (1600, None, "16 THIRLESTANE ROAD"),
    (1605, 1600, "FLAT 5, 16 THIRLESTANE ROAD"),
    (1900, None, "19 THIRLESTANE ROAD"),
    (1923, 1900, "2F3, 19 THIRLESTANE ROAD"),
    (2200, None, "22 KELVIN STREET"),
    (2201, 2200, "GF1, 22 KELVIN STREET"),
    (2242, 2200, "4F2, 22 KELVIN STREET"),
    (700, None, "7 MILL ROAD"),
    (702, 700, "FLAT 2, 7 MILL ROAD"),
    (1500, None, "THE OLD BREWERY, AVOCET DRIVE"),
    (1515, 1500, "FLAT 15, THE OLD BREWERY, AVOCET DRIVE"),
    (900, None, "KESTREL COURT, 9 AVOCET DRIVE"),
    (903, 900, "FLAT 3, KESTREL COURT, 9 AVOCET DRIVE"),
]

# record -> the UPRN it is (None: no link)
SUBUNIT_CASES = {
    "SUITE 1, EXCHANGE BUILDINGS, 1 HIGH STREET": 101,  # SUITE 1 is a unit, not a second house number
    "Ste 2, Exchange Buildings, 1 High St": 102,
    "SHOP, 12 HIGH STREET": 121,                        # the gazetteer's own SAON
    "Top Floor Flat, 12 High Street": 123,              # the highest of the floor flats there
    "U6, Sawmill Business Park, Sawmill Road": 306,
    "U16, Sawmill Business Park, Sawmill Road": 316,
    "Workshop 6, Sawmill Business Park, Sawmill Road": 306,
    "FLATB, 86 RUSKIN STREET": 862,
    "B, 86 Ruskin Street": 862,                         # a bare letter before the number: the flat
    "GROUND FLOORFLAT, 86 RUSKIN STREET": 863,
    "FLAT 98B, CORONATION PLACE": 982,                  # flat B of 98: the gazetteer has no 98B
    "50a Coronation Place": 501,
    "16/5 Thirlestane Road": 1605,                      # Edinburgh: flat 5 of 16
    "2nd Floor Flat 3, 19 Thirlestane Road": 1923,      # tenement 2F3
    "FLAT 4/2, 22 KELVIN STREET": 2242,                 # Glasgow: fourth floor, door 2
    "0/1, 22 Kelvin Street": 2201,                      # Glasgow: ground floor, door 1
    "Flat 2, 1st Floor, 7 Mill Road": 702,              # the floor said as well
    "15 The Old Brewery, Avocet Drive": 1515,           # PAF's block flat: flat 15 of the block
    "3 Kestrel Court, Avocet Drive": 903,               # ... without the block's street number
}


def test_subunit_forms_link_by_hand():
    from shapely.geometry import Point

    from joinedup.engine.linkage import link_addresses

    rows = SUBUNIT_ROWS
    # one postcode per building (a unit has its building's)
    building = [r[1] or r[0] for r in rows]
    postcode_of = {b: f"LW{1 + i // 9} {1 + i % 9}AA" for i, b in enumerate(dict.fromkeys(building))}
    postcode_of.update({r[0]: postcode_of[b] for r, b in zip(rows, building, strict=True)})
    gaz = gpd.GeoDataFrame({"uprn": [r[0] for r in rows], "parent_uprn": pd.array([r[1] for r in rows], dtype="Int64"),
                            "address": [r[2] + ", LINDWORTH" for r in rows],
                            "postcode": [postcode_of[b] for b in building]},
                           geometry=[Point(400000 + 10 * i, 300000) for i in range(len(rows))], crs="EPSG:27700")
    # '15 Avocet Drive' names no block: not flat 15 of THE OLD BREWERY on that street
    addresses = list(SUBUNIT_CASES) + ["15 Avocet Drive"]
    records = pd.DataFrame({"address": [a + ", Lindworth" for a in addresses],
                            "postcode": [postcode_of[u] for u in SUBUNIT_CASES.values()] + [postcode_of[1500]]})
    linked, _ = link_addresses(records, gaz, address_fields=["address"], postcode_field="postcode",
                               ref_uprn_field="uprn", ref_address_fields=["address"], ref_postcode_field="postcode",
                               ref_parent_field="parent_uprn")
    got = [None if pd.isna(u) else int(u) for u in linked["matched_uprn"]]
    for (text, uprn), g, reason in zip(SUBUNIT_CASES.items(), got, linked["unmatched_reason"], strict=False):
        assert g == uprn, (text, g, reason)
    assert got[-1] is None, linked.iloc[-1].to_dict()


def test_texts_read_once_gives_the_same_answers_as_copies():
    """Within a linkage run each text's street and numbers are read once: the answers are those
    read afresh, on the caller's index, a caller changing its copy changes no later answer, and
    nothing is kept after the run or seen by another thread."""
    import threading

    text = pd.Series([ad.normalise_address(a) for a in ("Flat 3, Kestrel Court, 12 High St, Lindworth",
                                                        "Rose Cottage, Mill Lane", "5 Mill Road")] + [None],
                     index=[7, 8, 9, 10])
    fresh = (ad.street_keys(text), ad.street_names(text), ad.number_parts(text))
    with ad.texts_read_once():
        first = ad.street_keys(text)
        first.iloc[0] = "CHANGED"
        again = (ad.street_keys(text), ad.street_names(text), ad.number_parts(text))
        seen_elsewhere = []
        worker = threading.Thread(target=lambda: seen_elsewhere.append(ad._read_once_cache.__dict__.get("answers")))
        worker.start()
        worker.join()
    pd.testing.assert_series_equal(again[0], fresh[0])
    pd.testing.assert_series_equal(again[1], fresh[1])
    for got, want in zip(again[2], fresh[2], strict=True):
        pd.testing.assert_series_equal(got, want)
    assert list(again[0].index) == [7, 8, 9, 10]
    assert seen_elsewhere == [None]
    assert getattr(ad._read_once_cache, "answers", None) is None
