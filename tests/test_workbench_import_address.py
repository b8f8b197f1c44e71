"""joinedup:importrecords placing rows by address: a messy extract the test writes (Windows-1252,
dd/mm dates, some rows with coordinates, some with a postcode, some with only an address) and a
small gazetteer the test writes (in WGS84, so its points are transformed), through
processing.run. Rows not placed by coordinates go to the address linkage of
joinedup:linkaddresses (engine.linkage), then to the postcode directory. Which row lands where,
and why, is worked out by hand below from the rows and addresses written here."""
from __future__ import annotations

import datetime

import pandas as pd
import pytest
from test_workbench_import import read, write_onspd, xy

ALG = "joinedup:importrecords"

# The council's gazetteer: UPRN, address, postcode, and the point in British National Grid
# metres (written to the file in WGS84; the test converts with QGIS's own transform).
GAZETTEER = [
    ("200001", "12 Park Row, Leeds", "LS1 4AP", 429950, 433650),
    ("200002", "14 Park Row, Leeds", "LS1 4AP", 429960, 433660),
    ("200003", "Flat 2, 7 Dewsbury Road, Leeds", "LS11 5BZ", 428510, 431810),
    ("200004", "Flat 1, 7 Dewsbury Road, Leeds", "LS11 5BZ", 428511, 431811),
    ("200005", "31 Cross Green Lane, Leeds", "LS9 8AA", 432000, 433000),
    ("200006", "Rose Cottage, Green Lane, Leeds", "LS2 7XX", 430010, 434510),
]

# Housing repairs from a Windows PC: Windows-1252 (£, é), dd/mm dates, CRLF; coordinates for a
# few rows, a postcode for some, only an address for others. Postcodes: LS1 4AP and LS11 5BZ are
# live in the directory (test_workbench_import.ONSPD), LS2 7XX terminated, LS99 9QQ unknown.
REPAIRS = [
    "job_ref,reported,easting,northing,latitude,longitude,address,postcode,notes",
    "000201,03/04/2025,429000,433000,,,\"12 Park Row, Leeds\",LS1 4AP,£40 call-out",  # 1 grid ref wins
    "000202,04/04/2025,,,53.7997,-1.5492,,,",                                          # 2 lat/lon
    "000203,05/04/2025,,,,,,ls115bz,",                                                 # 3 postcode only
    "000204,06/04/2025,,,,,12 PARK ROW,ls14ap,café",                                   # 4 address: 200001
    "000205,07/04/2025,,,,,\"flat 2, 7 dewsbury rd, leeds\",,",                        # 5 address only: 200003
    "000206,08/04/2025,,,,,\"31A Cross Green Lane, Leeds\",,",                         # 6 31A not listed
    "000207,09/04/2025,,,,,\"33 Park Row, Leeds\",LS1 4AP,",                           # 7 not linked -> postcode
    "000208,10/04/2025,,,,,\"Rose Cottage, Green Lane, Leeds\",LS2 7XX,",              # 8 address before the
    "000209,11/04/2025,,,,,\"99 Nowhere Avenue, Elsewhere\",LS99 9QQ,",                #   terminated postcode
    ",,,,,,,,",                                                                        # 10 blank
    "000210,12/04/2025,,,,,,,",                                                        # 11 nothing
    "000211,31/02/2025,,,,,\"14 Park Row, Leeds\",,",                                  # 12 bad date, 200002
]


def write_repairs(folder):
    path = folder / "housing_repairs.csv"
    path.write_bytes(("\r\n".join(REPAIRS) + "\r\n").encode("cp1252"))
    return path


def bng_to_wgs84():
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject

    return QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:27700"),
                                  QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())


def write_gazetteer(folder):
    import geopandas as gpd
    from qgis.core import QgsPointXY
    from shapely.geometry import Point

    transform = bng_to_wgs84()
    points = [transform.transform(QgsPointXY(x, y)) for *_, x, y in GAZETTEER]
    frame = gpd.GeoDataFrame({"UPRN": [g[0] for g in GAZETTEER], "full_address": [g[1] for g in GAZETTEER],
                              "post_code": [g[2] for g in GAZETTEER]},
                             geometry=[Point(p.x(), p.y()) for p in points], crs="EPSG:4326")
    path = folder / "llpg.gpkg"
    frame.to_file(path, layer="llpg", driver="GPKG")
    return path


def parameters(tmp_path, **extra):
    return {"INPUT": str(write_repairs(tmp_path)), "POSTCODE_DIRECTORY": str(write_onspd(tmp_path)),
            "ADDRESS_FIELDS": "address", "GAZETTEER": str(write_gazetteer(tmp_path)),
            "GAZETTEER_UPRN_FIELD": "UPRN", "GAZETTEER_ADDRESS_FIELDS": ["full_address"],
            "GAZETTEER_POSTCODE_FIELD": "post_code", "OUTPUT": str(tmp_path / "repairs.gpkg"), **extra}


def test_rows_placed_by_coordinates_address_or_postcode(run_alg, tmp_path):
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsPointXY,
        QgsProcessingFeedback,
        QgsProject,
    )

    log = QgsProcessingFeedback()
    result = run_alg(ALG, parameters(tmp_path), feedback=log)
    # 11 rows (row 10 blank): placed 1 2 3 4 5 7 8 12; not placed 6 9 11
    assert (result["PLACED"], result["NOT_PLACED"], result["BLANK_ROWS"]) == (8, 3, 1)
    out = read(result["OUTPUT"])
    assert out.crs.to_epsg() == 27700  # row 1 is a grid reference
    assert list(out["source_row"]) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]
    row = {r: out.loc[out["source_row"] == r].iloc[0] for r in out["source_row"]}
    status = {r: v["place_status"] for r, v in row.items()}
    assert status == {1: "placed", 2: "placed", 3: "placed", 4: "placed", 5: "placed",
                      6: "address not linked: number not in street", 7: "placed", 8: "placed",
                      9: "unknown postcode", 11: "no coordinates", 12: "unparseable date"}
    method = {r: v["place_method"] for r, v in row.items()}
    assert method == {1: "grid reference", 2: "latitude/longitude", 3: "postcode", 4: "address", 5: "address",
                      6: "", 7: "postcode", 8: "address", 9: "", 11: "", 12: "address"}
    uprn = {r: v["matched_uprn"] for r, v in row.items() if v["matched_uprn"]}
    assert uprn == {4: "200001", 5: "200003", 8: "200006", 12: "200002"}
    # the linkage's method and level carried: all four on normalised exact keys, at the unit
    for r in (4, 5, 8, 12):
        assert (row[r]["match_method"], row[r]["match_level"]) == ("exact", "uprn"), row[r]
    for r in (6, 7, 9):  # sent to the linkage, not linked: 31A and 33 on Park Row, a street of the
        # gazetteer (match_level street); Nowhere Avenue on none
        assert row[r]["match_level"] == ("none" if r == 9 else "street") and not row[r]["match_method"]
    for r in (1, 2, 3, 11):  # never sent: placed by coordinates, or no address
        assert not row[r]["match_level"] and not row[r]["address_problem"]
    # why not linked: the linkage's own reasons
    assert row[6]["address_problem"].startswith("not linked: number not in street: house number 31A")
    assert row[7]["address_problem"].startswith("not linked: number not in street: house number 33")
    assert row[9]["address_problem"] == "not linked: no candidate with this postcode or these address words"
    assert not row[4]["address_problem"] and not row[12]["address_problem"]
    # where they landed: the gazetteer's own points (back from WGS84: within a millimetre),
    # the postcode directory's, the extract's grid reference, QGIS's transform of the lat/lon
    gazetteer = {g[0]: (g[3], g[4]) for g in GAZETTEER}
    for r, u in uprn.items():
        assert xy(out, r) == pytest.approx(gazetteer[u], abs=1e-3), (r, u)
    assert xy(out, 1) == (429000, 433000)
    assert xy(out, 3) == (428500, 431800)  # LS11 5BZ
    assert xy(out, 7) == (429900, 433700)  # LS1 4AP: 33 Park Row is not in the gazetteer
    to_bng = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                    QgsCoordinateReferenceSystem("EPSG:27700"), QgsProject.instance())
    expected = to_bng.transform(QgsPointXY(-1.5492, 53.7997))
    assert xy(out, 2) == pytest.approx((expected.x(), expected.y()), abs=0.01)
    for r in (6, 9, 11):
        assert xy(out, r) is None
    # dd/mm dates; the unreadable one kept as text; Windows-1252 intact
    assert pd.to_datetime(row[4]["reported"]).date() == datetime.date(2025, 4, 6)
    assert row[12]["date_problem"] == "reported: 31/02/2025"
    assert row[1]["notes"] == "£40 call-out" and row[4]["notes"] == "café"
    # the log: counts and row numbers, never an address
    text = log.textLog()
    assert "address not linked: number not in street: 1 (rows 6)" in text
    assert "placed from address: 4" in text and "placed from postcode: 2" in text
    assert "Address linkage: 7 rows not placed by coordinates had an address; 4 linked" in text
    for value in ("Park Row", "PARK ROW", "Cross Green", "Nowhere", "Dewsbury", "Rose Cottage"):
        assert value not in text, value


def test_engine_places_by_address_without_qgis():
    """The same rules on a frame, with no QGIS: address fields joined in order (line1, line2),
    the gazetteer in British National Grid, no postcode directory; a grid reference still wins."""
    import geopandas as gpd
    from shapely.geometry import Point

    from joinedup.engine.records import AddressPlacing, place_records

    gazetteer = gpd.GeoDataFrame({"uprn": [g[0] for g in GAZETTEER], "address": [g[1] for g in GAZETTEER]},
                                 geometry=[Point(g[3], g[4]) for g in GAZETTEER], crs="EPSG:27700")
    frame = pd.DataFrame({"line1": ["Flat 1", "", "12 Park Row", ""],
                          "line2": ["7 Dewsbury Road", "31A Cross Green Lane", "Leeds", ""],
                          "x": ["", "", "", "430000"], "y": ["", "", "", "434000"]})
    out, report = place_records(frame, easting_field="x", northing_field="y",
                                address=AddressPlacing(["line1", "line2"], gazetteer, "uprn", ["address"]))
    assert list(out["place_status"]) == ["placed", "address not linked: number not in street", "placed", "placed"]
    assert list(out["place_method"]) == ["address", "", "address", "grid reference"]
    assert list(out["matched_uprn"]) == ["200004", "", "200001", ""]
    assert [(p.x, p.y) if p is not None else None for p in out.geometry] == \
        [(428511, 431811), None, (429950, 433650), (430000, 434000)]
    assert report.counts == {"placed": 3, "address not linked: number not in street": 1}


def test_address_placing_needs_its_parts(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="give a gazetteer"):
        run_alg(ALG, {**parameters(tmp_path), "GAZETTEER": None})
    with pytest.raises(QgsProcessingException, match="name the extract's address field"):
        run_alg(ALG, {**parameters(tmp_path), "ADDRESS_FIELDS": ""})
    with pytest.raises(QgsProcessingException, match="name the gazetteer's UPRN field"):
        run_alg(ALG, {**parameters(tmp_path), "GAZETTEER_UPRN_FIELD": None})
    with pytest.raises(QgsProcessingException, match="no field 'addr' \\(given as an address field\\)"):
        run_alg(ALG, {**parameters(tmp_path), "ADDRESS_FIELDS": "address, addr"})


def test_through_qgis_process(qgis_app, tmp_path):
    """The same extract through qgis_process: the same counts, and qgis_process exits cleanly
    after the linkage loaded DuckDB (whose static connection once aborted QGIS's programs)."""
    from qgis_process_helpers import qgis_process_run

    answer = qgis_process_run(ALG, parameters(tmp_path))
    assert answer["returncode"] == 0
    results = answer["results"]
    assert (results["PLACED"], results["NOT_PLACED"], results["BLANK_ROWS"]) == (8, 3, 1)
    out = read(results["OUTPUT"])
    assert dict(zip(out["source_row"], out["matched_uprn"].fillna(""), strict=True)) == {
        1: "", 2: "", 3: "", 4: "200001", 5: "200003", 6: "", 7: "", 8: "200006", 9: "", 11: "", 12: "200002"}
