"""By hand on a tiny gazetteer with a hierarchy: a unit named by words rather than a number (a
farm's granary, an office suite, a shop's ground floor) is that unit, not its building; street
furniture and rights listed by the nearest address (a cash machine, a telecoms mast, a kiosk,
advertising) are not that address."""
import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

ROWS = [  # uprn, parent, class, address, postcode
    (100, None, "CA01", "HOME FARM, TOLL GATE LANE, MARCHFORD", "EB3 0BF"),
    (101, 100, "RD02", "THE GRANARY, HOME FARM, TOLL GATE LANE, MARCHFORD", "EB3 0BF"),
    (102, 100, "RD02", "BARN COTTAGE, HOME FARM, TOLL GATE LANE, MARCHFORD", "EB3 0BF"),
    (200, None, "PP", "MERCIA HOUSE, 3 NORTHGATE, MARCHFORD", "EB1 3BX"),
    (201, 200, "CO01", "SUITE 3, MERCIA HOUSE, 3 NORTHGATE, MARCHFORD", "EB1 3BX"),
    (202, 200, "CO01", "SUITE 4, MERCIA HOUSE, 3 NORTHGATE, MARCHFORD", "EB1 3BX"),
    (300, None, "PP", "59 FORE STREET, MARCHFORD", "EB1 4AA"),
    (301, 300, "CR08", "GROUND FLOOR, 59 FORE STREET, MARCHFORD", "EB1 4AA"),
    (302, 300, "RD06", "FIRST FLOOR FLAT, 59 FORE STREET, MARCHFORD", "EB1 4AA"),
    (400, None, "RD04", "114 TENNYSON STREET, MARCHFORD", "EB1 5BB"),
    (401, None, "RD04", "116 TENNYSON STREET, MARCHFORD", "EB1 5BB"),
    (500, None, "CU01", "ELECTRICITY SUB STATION ADJACENT TO 114, TENNYSON STREET, MARCHFORD", "EB1 5BB"),
    (600, None, "ZW99CH", "ST PETERS CHURCH, FRIARGATE, MARCHFORD", "EB1 6CC"),
    (601, None, "RD04", "2 FRIARGATE, MARCHFORD", "EB1 6CC"),
    (700, None, "CR08", "71 BRIDGE STREET, MARCHFORD", "EB1 7DD"),
    (701, None, "RD06", "71A BRIDGE STREET, MARCHFORD", "EB1 7DD"),
    (710, None, "RD04", "75 BRIDGE STREET, MARCHFORD", "EB1 7DD"),
    (711, None, "RD04", "75A BRIDGE STREET, MARCHFORD", "EB1 7DD"),
    (800, None, "PP", "21 CHEAPSIDE, MARCHFORD", "EB1 8EE"),
    (801, 800, "CR08", "GROUND FLOOR, 21 CHEAPSIDE, MARCHFORD", "EB1 8EE"),
    (802, 800, "RD06", "FLAT 1, 21 CHEAPSIDE, MARCHFORD", "EB1 8EE"),
    (803, 800, "RD06", "FLAT 2, 21 CHEAPSIDE, MARCHFORD", "EB1 8EE"),
    (900, None, "CR08", "30 CHEAPSIDE, MARCHFORD", "EB1 8EF"),
    (1000, None, "PP", "40 MARKET PLACE, MARCHFORD", "EB1 9FF"),
    (1001, 1000, "CR08", "GROUND FLOOR, 40 MARKET PLACE, MARCHFORD", "EB1 9FF"),
    (1002, 1000, "CO01", "FIRST FLOOR, 40 MARKET PLACE, MARCHFORD", "EB1 9FF"),
    (1200, None, "RD04", "21 VICTORIA PLACE, MARCHFORD", "EB2 1AA"),
    (1201, None, "RD04", "21A VICTORIA PLACE, MARCHFORD", "EB2 1AA"),
    (1203, None, "RD04", "23 VICTORIA PLACE, MARCHFORD", "EB2 1AA"),
    (1400, None, "RD04", "3 CHESTNUT DRIVE, MARCHFORD", "EB2 3CC"),
    (1401, None, "RD04", "3 CHESTNUT ROAD, MARCHFORD", "EB2 3CD"),
    (1300, None, "PP", "NEWLAND POINT, 6 ENNERDALE PLACE, MARCHFORD", "EB2 2BB"),
    (1301, 1300, "RD06", "FLAT 1, NEWLAND POINT, 6 ENNERDALE PLACE, MARCHFORD", "EB2 2BB"),
    (1302, 1300, "RD06", "FLAT 2, NEWLAND POINT, 6 ENNERDALE PLACE, MARCHFORD", "EB2 2BB"),
    (1100, None, "CU01", "ELECTRICITY SUB STATION ADJACENT TO 4, SCHOOL LANE, MARCHFORD", "EB1 9GG"),
    (1500, None, "CA01", "LOWER HOUSE FARM, OLD MILL ROAD, TILFORD", "EB7 8FE"),
    (1501, 1500, "RD02", "FARM HOUSE, LOWER HOUSE FARM, OLD MILL ROAD, TILFORD", "EB7 8FE"),
    (1600, None, "PP", "37 SHEEP STREET, MARCHFORD", "EB1 5BY"),
    (1601, 1600, "CR08", "REAR WORKSHOP, 37 SHEEP STREET, MARCHFORD", "EB1 5BY"),
    (1602, 1600, "RD06", "FLAT 1, 37 SHEEP STREET, MARCHFORD", "EB1 5BY"),
    (1700, None, "PP", "THE MALTINGS, 13 KINGFISHER WAY, MARCHFORD", "EB2 4DS"),
    (1701, 1700, "RD06", "FLAT 31, THE MALTINGS, 13 KINGFISHER WAY, MARCHFORD", "EB2 4DS"),
    (1800, None, "PP", "31 ROPERY STREET, MARCHFORD", "EB1 5BJ"),
    (1801, 1800, "RD06", "BASEMENT FLAT, 31 ROPERY STREET, MARCHFORD", "EB1 5BJ"),
    (1802, 1800, "RD06", "GROUND FLOOR FLAT, 31 ROPERY STREET, MARCHFORD", "EB1 5BJ"),
    (1900, None, "PP", "11 SPOTTISWOODE CRESCENT, MARCHFORD", "EB1 1EE"),
] + [(1901 + k, 1900, "RD06", f"{floor}{door}, 11 SPOTTISWOODE CRESCENT, MARCHFORD", "EB1 1EE")
     for k, (floor, door) in enumerate((f, d) for f in ("GF", "1F", "2F") for d in (1, 2, 3))]


def _link(addresses, postcodes, feedback=None):
    from joinedup.engine.linkage import link_addresses

    gaz = gpd.GeoDataFrame({"uprn": [r[0] for r in ROWS], "parent_uprn": pd.array([r[1] for r in ROWS], dtype="Int64"),
                            "class_code": [r[2] for r in ROWS], "address": [r[3] for r in ROWS],
                            "postcode": [r[4] for r in ROWS]},
                           geometry=[Point(400000 + 10 * i, 300000) for i in range(len(ROWS))], crs="EPSG:27700")
    records = pd.DataFrame({"address": addresses, "postcode": postcodes})
    return link_addresses(records, gaz, address_fields=["address"], postcode_field="postcode",
                          ref_uprn_field="uprn", ref_address_fields=["address"], ref_postcode_field="postcode",
                          ref_parent_field="parent_uprn", ref_class_field="class_code", feedback=feedback)


def test_units_named_by_words_and_things_beside_an_address():
    linked, _ = _link(
        ["The Granary, Home Farm, Toll Gate Lane, Marchford",      # the granary, not the farm
         "Home Farm, Toll Gate Lane, Marchford",                   # the farm itself
         "MERCIA HOUSE, 3 NORTHGATE, SUITE 3, MARCHFORD",          # the suite written last
         "Mercia House, 3 Northgate, Marchford",                   # the building
         "GROUND FLOOR, 59 FORE STREET, MARCHFORD",                # the shop
         "59 Fore Street, Marchford",                              # the building (it has units)
         "ATM AT 114, TENNYSON STREET, MARCHFORD",                 # listed by the nearest address
         "Kiosk Outside 116, Tennyson Street, Marchford",
         "TELECOMMUNICATIONS MAST NEAR 114, TENNYSON STREET",
         "ADVERTISING STATION AT 116, TENNYSON STREET, MARCHFORD",
         "114 Tennyson Street, Marchford"],
        ["EB3 0BF", "EB3 0BF", "EB1 3BX", "EB1 3BX", "EB1 4AA", "EB1 4AA", "EB1 5BB", None, None, "EB1 5BB",
         "EB1 5BB"])
    uprn = linked["matched_uprn"].astype("Int64").tolist()
    assert uprn[:6] == [101, 100, 201, 200, 301, 300]
    assert linked["match_level"].tolist()[:6] == ["uprn", "parent", "uprn", "parent", "uprn", "parent"]
    assert all(u is pd.NA for u in uprn[6:10])
    assert all(r.startswith("land, garage or plot") for r in linked["unmatched_reason"][6:10])
    assert uprn[10] == 400


def test_names_the_unit_by_hand():
    from joinedup.engine.addresses import names_the_unit

    assert names_the_unit(["THE GRANARY HOME FARM X", "HOME FARM X", "GRANARY HOME FARM X", "FLAT 3 12 HIGH STREET",
                           "12 HIGH STREET"],
                          ["THE GRANARY HOME FARM X", "THE GRANARY HOME FARM X", "THE GRANARY HOME FARM X",
                           "FLAT 3 12 HIGH STREET", "FLAT 3 12 HIGH STREET"],
                          ["HOME FARM X", "HOME FARM X", "HOME FARM X", "12 HIGH STREET", "12 HIGH STREET"]
                          ).tolist() == [True, False, True, True, False]
    # words counted (FARM HOUSE adds a FARM and a HOUSE to LOWER HOUSE FARM), and run together
    farm, unit = "LOWER HOUSE FARM OLD MILL ROAD", "FARM HOUSE LOWER HOUSE FARM OLD MILL ROAD"
    assert names_the_unit([unit, farm, "THEGRANARY HOME FARM X", "REARWORKSHOP 37 SHEEP STREET",
                           "WORKSHOP 37 SHEEP STREET"],
                          [unit, unit, "THE GRANARY HOME FARM X", "REAR WORKSHOP 37 SHEEP STREET",
                           "REAR WORKSHOP 37 SHEEP STREET"],
                          [farm, farm, "HOME FARM X", "37 SHEEP STREET", "37 SHEEP STREET"]
                          ).tolist() == [True, False, True, True, False]


def test_units_named_loosely_and_blocks_by_their_name():
    """A unit named by words its building's address also holds (a farm's FARM HOUSE), or run
    together; a basement written alone before the number; a flat of a block the record names by
    another name than the gazetteer's block with that flat (no link); a slip in ADJACENT; the thing
    behind an address that the gazetteer lists as a unit of it (REAR WORKSHOP)."""
    linked, _ = _link(["Farm House, Lower House Farm, Old Mill Road, Tilford",
                       "Lower House Farm, Old Mill Road, Tilford",
                       "Rearworkshop, 37 Sheep Street, Marchford",
                       "Basement, 31 Ropery Street, Marchford",
                       "Flat 31, Foundry Wharf, Kingfisher Way, Marchford",
                       "Flat 31, The Maltings, Kingfisher Way, Marchford",
                       "ELECTRICITY SUB STATION ADJACCENT TO 114, TENNYSON STREET",
                       "Rear Of 37 Sheep Street, Marchford", "37 SHEEP STREET (REAR), MARCHFORD",
                       "Evans Convenience Store, 37 Sheep Street, Marchford", "Garage Rear Of 37 Sheep Street"],
                      ["EB7 8FE", "EB7 8FE", "EB1 5BY", "EB1 5BJ", "EB2 4DS", "EB2 4DS", None, "EB1 5BY", "EB1 5BY",
                       "EB1 5BY", None])
    uprn = linked["matched_uprn"].astype("Int64").tolist()
    assert uprn[:4] == [1501, 1500, 1601, 1801]
    assert uprn[4] is pd.NA and linked["unmatched_reason"][4].startswith("name differs")
    assert uprn[5] == 1701
    assert uprn[6] is pd.NA or uprn[6] == 500
    # the thing behind 37 is the building's rear workshop; a shop named a store is no store
    # beside an address; a garage behind it is not the workshop
    assert uprn[7:9] == [1601, 1601]
    reason = linked["unmatched_reason"].fillna("").tolist()
    assert not reason[9].startswith("land") and uprn[9] == 1600
    assert uprn[10] is pd.NA and reason[10].startswith("land")


def test_objects_only_for_a_record_naming_them_in_full():
    """A sub-station or a church (classes that are no dwelling's answer) is the answer of a record
    that names it in full, town and locality aside; never of the address it stands by."""
    linked, _ = _link(["ELECTRICITY SUB STATION ADJACENT TO 114, TENNYSON STREET, MARCHFORD",
                       "Electricity Sub Station Adjacent To 114 Tennyson Street",   # no town, no postcode
                       "114 Tennyson Street, Marchford", "114 Tennyson Street",
                       "St Peters Church, Friargate, Marchford", "ST PETERS CHURCH, FRIARGATE",
                       "Church, Friargate, Marchford",                              # not named in full
                       "2 Friargate",
                       # a county the gazetteer does not write (or writes as a word of another
                       # address, MERCIA HOUSE), with or without the postcode
                       "ST PETERS CHURCH, FRIARGATE, MARCHFORD, N WESSEX, EB1 6CC",
                       "Electricity Sub Station Adjacent To 114, Tennyson Street, Marchford, Mercia"],
                      ["EB1 5BB", None, "EB1 5BB", None, "EB1 6CC", "EB1 6CC", "EB1 6CC", None, "EB1 6CC", None])
    uprn = linked["matched_uprn"].astype("Int64").tolist()
    assert uprn[:6] == [500, 500, 400, 400, 600, 600]
    assert uprn[6] is pd.NA
    assert uprn[7] == 601
    assert uprn[8:] == [600, 500]
    assert linked["match_level"].tolist()[:2] == ["uprn", "uprn"]


def test_the_flat_above_a_shop():
    """'FLAT ABOVE' without a number: the building's one flat; the building (match_level parent)
    when it has several; the shop itself when it lists none; the one lettered dwelling beside a
    shop (71A beside the shop at 71); a person's question when a lettered number beside a house
    (75A beside 75, both dwellings) may be that flat."""
    linked, report = _link(["FLAT ABOVE, 59 FORE STREET, MARCHFORD", "59 Fore Street (Upstairs Flat), Marchford",
                            "21 Cheapside (Above Shop), Marchford", "Flat Over, 30 Cheapside, Marchford",
                            "71 BRIDGE STREET (FLAT ABOVE SHOP), MARCHFORD", "FLAT ABOVE, 75 BRIDGE STREET, MARCHFORD"],
                           ["EB1 4AA", "EB1 4AA", "EB1 8EE", "EB1 8EF", "EB1 7DD", "EB1 7DD"])
    uprn = linked["matched_uprn"].astype("Int64").tolist()
    assert uprn[:5] == [302, 302, 800, 900, 701]
    assert linked["match_level"].tolist()[:5] == ["uprn", "uprn", "parent", "uprn", "uprn"]
    assert uprn[5] is pd.NA and linked["unmatched_reason"][5].startswith("flat above")
    assert "75A" in linked["unmatched_reason"][5]
    assert int(linked["candidate_uprn"][5]) == 710
    assert 5 in report.review["SOURCE_ROW"].tolist()


def test_a_shop_written_as_shop_and_a_station_written_short():
    """'SHOP, 59 FORE STREET' is the building's one commercial unit, listed by its floor; beside an
    office (CR08 GROUND FLOOR, CO01 FIRST FLOOR) it is the one retail unit (two retail units stay
    open: test_linkage_forms.py). 'SUB STN' is SUB STATION."""
    linked, _ = _link(["SHOP, 59 FORE STREET, MARCHFORD", "Shop, 21 Cheapside, Marchford", "SHOP, 40 MARKET PLACE",
                       "ELECTRICITY SUB STN ADJACENT TO 4, SCHOOL LN, MARCHFORD"],
                      ["EB1 4AA", "EB1 8EE", "EB1 9FF", "EB1 9GG"])
    uprn = linked["matched_uprn"].astype("Int64").tolist()
    assert uprn[:2] == [301, 801]
    assert linked["match_level"].tolist()[:2] == ["uprn", "uprn"]
    assert uprn[2] == 1001
    assert uprn[3] == 1100


def test_a_letter_joined_to_the_street_and_a_flat_before_its_block():
    """'21AVictoria Place' is 21A (not 21 of a street AVICTORIA); '1, NEWLAND POINT, 6 ENNRDALE
    PLACE' (a slip in the street's name, so no exact key) is flat 1 of the block at 6."""
    linked, _ = _link(["21AVictoria Place, Marchford", "21AVictoria Place", "1, NEWLAND POINT, 6 ENNRDALE PLACE",
                       "2, Newland Point, 6 Ennerdale Place"], ["EB2 1AA", None, "EB2 2BB", "EB2 2BB"])
    assert linked["matched_uprn"].astype("Int64").tolist() == [1201, 1201, 1301, 1302]


def test_a_slip_in_the_street_name_without_a_postcode():
    """'3 Chsetnut Drive' (two letters swapped, no postcode) is 3 CHESTNUT DRIVE, the one street
    of its type that close (not CHESTNUT ROAD); '23AVictoria Place' is 23A, which the gazetteer
    lacks, and is not read as 23 of VICTORIA PLACE through a dropped letter."""
    linked, _ = _link(["3 Chsetnut Drive, Marchford", "3 Chestnut Rd, Marchford", "23AVictoria Place, Marchford"],
                      [None, None, "EB2 1AA"])
    uprn = linked["matched_uprn"].astype("Int64").tolist()
    assert uprn[:2] == [1400, 1401]
    assert uprn[2] is pd.NA


def test_the_street_slip_is_read_before_the_matcher():
    """The slip is read by the exact keys, not left to the matcher: every record with a number
    before a word also has a letter-joined reading ('3C HSETNUT'), which had kept the slip
    reading from it (the log counts what the exact keys found)."""
    from joinedup.engine.errors import Feedback

    feedback = Feedback()
    linked, _ = _link(["3 Chsetnut Drive, Marchford"], [None], feedback=feedback)
    assert linked["matched_uprn"].astype("Int64").tolist() == [1400]
    assert any(m.startswith("Normalised exact keys matched 1 records; 0 go to the probabilistic matcher")
               for m in feedback.messages), feedback.messages


def test_stair_order_by_hand():
    """Edinburgh's 11/8 is the 8th flat up the stair of 11: with three doors a floor, GF1-GF3,
    1F1-1F3, then 2F1, 2F2 (counted by hand). Not where the building lists numbered flats, or
    fewer flats than the number."""
    from joinedup.engine.addresses import (
        flats_by_building,
        normalise_addresses,
        number_parts,
        stair_order_readings,
        street_keys,
    )

    stair = [f"{floor}{door}, 11 SPOTTISWOODE CRESCENT, MARCHFORD"
             for floor in ("GF", "1F", "2F") for door in (1, 2, 3)]
    numbered = [f"FLAT {n}, 5 SPOTTISWOODE CRESCENT, MARCHFORD" for n in (1, 2, 3)]
    reference = normalise_addresses(pd.Series(stair + numbered + ["BF1, 7 SPOTTISWOODE CRESCENT, MARCHFORD",
                                                                  "GF1, 7 SPOTTISWOODE CRESCENT, MARCHFORD"]))
    records = normalise_addresses(pd.Series(["Flat 8, 11 Spottiswoode Crescent, Marchford",
                                             "Flat 1, 11 Spottiswoode Crescent, Marchford",
                                             "Flat 10, 11 Spottiswoode Crescent, Marchford",
                                             "Flat 2, 5 Spottiswoode Crescent, Marchford",
                                             "Flat 1, 7 Spottiswoode Crescent, Marchford"]))
    flats_at = flats_by_building(*number_parts(reference), street_keys(reference))
    assert stair_order_readings(records, flats_at).tolist() == [
        "FLAT 2F2 11 SPOTTISWOODE CRESCENT MARCHFORD", "FLAT GF1 11 SPOTTISWOODE CRESCENT MARCHFORD", "", "",
        "FLAT BF1 7 SPOTTISWOODE CRESCENT MARCHFORD"]


def test_edinburgh_stair_numbers_linked():
    """'11/8' and 'Flat 8, 11 ...' link to 2F2 (the 8th flat up a stair of three a floor: uprn
    1901 + 7); 'Flat 10' is past the stair's last and stays unmatched."""
    linked, _ = _link(["11/8 Spottiswoode Crescent, Marchford", "Flat 8, 11 Spottiswoode Crescent, Marchford",
                       "Flat 10, 11 Spottiswoode Crescent, Marchford"], ["EB1 1EE", None, "EB1 1EE"])
    uprn = linked["matched_uprn"].astype("Int64").tolist()
    assert uprn[:2] == [1908, 1908]
    assert uprn[2] is pd.NA and linked["unmatched_reason"][2].startswith("flat not in building")
