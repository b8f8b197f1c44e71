"""joinedup:importrecords on messy extracts the tests write the way agencies send them
(Windows-1252 with £ and é, a byte-order mark, semicolons, dd/mm dates, postcodes in mixed case
without spaces, terminated postcodes, blank rows), through processing.run and qgis_process.
Every expected value below is worked out by hand from the rows written here, or (for
latitude/longitude) by QGIS's own coordinate transform."""
from __future__ import annotations

import datetime

import pandas as pd
import pyogrio
import pytest

ALG = "joinedup:importrecords"

# A small ONS Postcode Directory in its own layout (lower-case names, pcd 7 characters, doterm
# YYYYMM for terminated postcodes, osgrdind 9 and no grid reference for a few).
ONSPD = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,oslaua,osward,usertype,oseast1m,osnrth1m,osgrdind,lat,long\n"
    "LS1 4AP,LS1  4AP,LS1 4AP,198001,,E99999999,E08000035,E05011400,0,429900,433700,1,53.797,-1.548\n"
    "LS115BZ,LS11 5BZ,LS11 5BZ,198001,,E99999999,E08000035,E05011401,0,428500,431800,1,53.780,-1.570\n"
    "LS2 7XX,LS2  7XX,LS2 7XX,198001,201905,E99999999,E08000035,E05011402,1,430000,434500,1,53.804,-1.545\n"
    "LS9 9ZZ,LS9  9ZZ,LS9 9ZZ,202301,,E99999999,E08000035,,0,,,9,99.999999,0.000000\n"
)

# Council tax arrears from a Windows PC: Windows-1252, semicolons, dd/mm dates, one ISO date,
# a blank row (as Excel saves it), postcodes as typed at a counter.
COUNCIL_TAX = [
    "case_ref;received_date;tenant_name;arrears;notes;postcode",
    "000101;03/04/2025;José Pérez;£1,250.00;Réparation promised;ls14ap",       # 1 placed, 3 April
    "000102;2025-04-03;Ann Smith;£80.00;;  LS11  5bz ",                       # 2 placed (ISO date)
    ";;;;;",                                                                  # 3 blank
    "000103;31/02/2025;Bo Li;£10.00;;ls27xx",                                 # 4 terminated
    "000104;12/11/24;Cy Doe;£5.00;;LS99 9QQ",                                 # 5 unknown postcode
    "000105;;Di Roe;£0.00;;not known",                                        # 6 invalid postcode
    "000106;01/02/2025;Ed Poe;£1.00;;",                                       # 7 no coordinates
    "000107;15/13/2025;Fy Loe;£2.00;café;LS1 4AP",                            # 8 placed, bad date
    "000108;05/06/2025;Gu Moe;£3.00;;ls99zz",                                 # 9 no grid reference
]


def write_council_tax(folder):
    path = folder / "council_tax_arrears.csv"
    path.write_bytes(("\r\n".join(COUNCIL_TAX) + "\r\n").encode("cp1252"))
    return path


def write_onspd(folder):
    path = folder / "ONSPD_NOV_2026_UK.csv"
    path.write_text(ONSPD, encoding="utf-8")
    return path


def read(value) -> pd.DataFrame:
    import geopandas as gpd

    path, _, layer = str(value).partition("|layername=")
    return gpd.read_file(path, layer=layer or None)


def xy(frame, row):
    geometry = frame.loc[frame["source_row"] == row].geometry.iloc[0]
    return None if geometry is None or geometry.is_empty else (geometry.x, geometry.y)


def test_council_tax_extract_by_postcode(run_alg, tmp_path):
    from qgis.core import QgsProcessingFeedback

    log = QgsProcessingFeedback()  # keeps its own text log (textLog)
    result = run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)),
                           "POSTCODE_DIRECTORY": str(write_onspd(tmp_path)),
                           "IDENTIFIER_ACTION": 2,  # keep, to check the é survives
                           "OUTPUT": str(tmp_path / "placed.gpkg")}, feedback=log)
    assert (result["PLACED"], result["NOT_PLACED"], result["BLANK_ROWS"]) == (3, 5, 1)
    out = read(result["OUTPUT"])
    assert out.crs.to_epsg() == 27700
    assert list(out["source_row"]) == [1, 2, 4, 5, 6, 7, 8, 9]  # row 3 was blank
    status = dict(zip(out["source_row"], out["place_status"]))
    assert status == {1: "placed", 2: "placed", 4: "terminated postcode", 5: "unknown postcode",
                      6: "invalid postcode", 7: "no coordinates", 8: "unparseable date",
                      9: "postcode has no grid reference"}
    assert xy(out, 1) == (429900, 433700)
    assert xy(out, 2) == (428500, 431800)
    assert xy(out, 8) == (429900, 433700)  # placed: only its date is wrong
    for row in (4, 5, 6, 7, 9):
        assert xy(out, row) is None
    assert set(out.loc[out["source_row"].isin([1, 2, 8]), "place_method"]) == {"postcode"}
    # Windows-1252 decoded; text kept as written (leading zeros, £)
    first = out.loc[out["source_row"] == 1].iloc[0]
    assert (first["case_ref"], first["tenant_name"], first["arrears"], first["notes"]) == \
        ("000101", "José Pérez", "£1,250.00", "Réparation promised")
    # dates: day-first, ISO year-first, two-digit year; unreadable kept as text
    dates = dict(zip(out["source_row"], pd.to_datetime(out["received_date"]).dt.date))
    assert dates[1] == datetime.date(2025, 4, 3)
    assert dates[2] == datetime.date(2025, 4, 3)
    assert dates[5] == datetime.date(2024, 11, 12)
    assert pd.isna(dates[4]) and pd.isna(dates[8])
    problems = dict(zip(out["source_row"], out["date_problem"].fillna("")))
    assert problems[4] == "received_date: 31/02/2025" and problems[8] == "received_date: 15/13/2025"
    assert problems[1] == ""
    # the log counts every reason with row numbers and never prints a value
    text = log.textLog()
    assert "8 rows: 3 placed, 5 not placed; 1 blank rows skipped" in text
    assert "terminated postcode: 1 (rows 4)" in text and "unknown postcode: 1 (rows 5)" in text
    assert "José" not in text and "ls14ap" not in text.lower().replace("ls1 4ap", "")


def test_names_are_dropped_by_default_and_hashed_on_request(run_alg, tmp_path):
    """Direct identifiers are dropped unless the user asks for salted hashes (IDENTIFIER_ACTION
    0 = hash), the same default as the linkage."""
    out = read(run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)),
                             "POSTCODE_DIRECTORY": str(write_onspd(tmp_path)),
                             "OUTPUT": str(tmp_path / "dropped.gpkg")})["OUTPUT"])
    assert "tenant_name" not in out.columns
    hashed = read(run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)), "IDENTIFIER_ACTION": 0,
                                "POSTCODE_DIRECTORY": str(write_onspd(tmp_path)),
                                "OUTPUT": str(tmp_path / "hashed.gpkg")})["OUTPUT"])
    assert "José Pérez" not in set(hashed["tenant_name"])
    assert hashed["tenant_name"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_fire_incidents_by_grid_reference_with_bom_and_area(run_alg, tmp_path):
    """UTF-8 with a byte-order mark; the header's first name must not carry it. Grid references
    stay exactly as given and the output is EPSG:27700 whatever OUTPUT_CRS says."""
    import geopandas as gpd
    from shapely.geometry import box

    extract = tmp_path / "fire_incidents.csv"
    extract.write_bytes("\ufeff".encode("utf-8") + (
        b"Incident No,Date of call,Easting,Northing\n"
        b"F-1,07/08/2025,430123.5,433456.25\n"      # 1 inside the area
        b"F-2,08/08/2025,531000,181000\n"           # 2 London: outside the area
        b"F-3,09/08/2025,n/a,433000\n"              # 3 invalid coordinates
        b"F-4,10/08/2025,,\n"                       # 4 no coordinates
        b",,,\n"                                    # blank
        b"F-5,2025-08-11T14:30:00,\"429,000\",432000\n"  # 5 thousands separator, ISO date-time
    ))
    area = tmp_path / "leeds.gpkg"
    gpd.GeoDataFrame({"name": ["Leeds"]}, geometry=[box(420000, 425000, 440000, 445000)],
                     crs="EPSG:27700").to_file(area, layer="boundary")
    result = run_alg(ALG, {"INPUT": str(extract), "AREA": f"{area}|layername=boundary",
                           "OUTPUT_CRS": "EPSG:4326", "OUTPUT": str(tmp_path / "fires.gpkg")})
    out = read(result["OUTPUT"])
    assert out.crs.to_epsg() == 27700
    assert "Incident No" in out.columns
    assert dict(zip(out["source_row"], out["place_status"])) == {
        1: "placed", 2: "outside the area", 3: "invalid coordinates", 4: "no coordinates", 6: "placed"}
    assert xy(out, 1) == (430123.5, 433456.25)
    assert xy(out, 6) == (429000, 432000)
    assert xy(out, 2) is None
    assert (result["PLACED"], result["NOT_PLACED"], result["BLANK_ROWS"]) == (2, 3, 1)
    dates = dict(zip(out["source_row"], pd.to_datetime(out["Date of call"]).dt.date))
    assert dates[1] == datetime.date(2025, 8, 7) and dates[6] == datetime.date(2025, 8, 11)


@pytest.mark.parametrize("extension, driver", [("xlsx", "XLSX"), ("ods", "ODS")])
def test_spreadsheet_by_latitude_longitude(run_alg, tmp_path, extension, driver):
    """A spreadsheet with latitude/longitude: placed in EPSG:27700 (the default) at the point
    QGIS's own transform gives, and unchanged when EPSG:4326 is asked for."""
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsPointXY, QgsProject

    sheet = pd.DataFrame({"Ref": ["H1", "H2", "H3"], "Latitude": ["53.7997", "95.0", ""],
                          "Longitude": ["-1.5492", "-1.5", ""], "Date reported": ["03/04/2025", "", ""]})
    path = tmp_path / f"housing_repairs.{extension}"
    pyogrio.write_dataframe(sheet, path, driver=driver, layer="repairs")
    result = run_alg(ALG, {"INPUT": str(path), "OUTPUT": str(tmp_path / "repairs.gpkg")})
    out = read(result["OUTPUT"])
    assert list(out["place_status"]) == ["placed", "invalid coordinates", "no coordinates"]
    transform = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                       QgsCoordinateReferenceSystem("EPSG:27700"), QgsProject.instance())
    expected = transform.transform(QgsPointXY(-1.5492, 53.7997))
    x, y = xy(out, 1)
    assert abs(x - expected.x()) < 0.01 and abs(y - expected.y()) < 0.01
    assert pd.to_datetime(out["Date reported"]).dt.date.iloc[0] == datetime.date(2025, 4, 3)
    wgs = read(run_alg(ALG, {"INPUT": str(path), "OUTPUT_CRS": "EPSG:4326",
                             "OUTPUT": str(tmp_path / "repairs_wgs84.gpkg")})["OUTPUT"])
    assert wgs.crs.to_epsg() == 4326 and xy(wgs, 1) == pytest.approx((-1.5492, 53.7997), abs=1e-9)


def test_code_point_open_without_header(run_alg, tmp_path):
    """Code-Point Open as OS ships it: no header, 7-character postcodes, quality 90 = no
    coordinates. Output in EPSG:4326 at the point QGIS's transform gives for the grid ref."""
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsPointXY, QgsProject

    codepoint = tmp_path / "ls.csv"
    codepoint.write_text(
        '"LS1 4AP",10,429900,433700,"E92000001","E19000003","E18000003","","E08000035","E05011400"\n'
        '"LS6 1AA",90,0,0,"E92000001","E19000003","E18000003","","E08000035","E05011403"\n')
    extract = tmp_path / "police.csv"
    extract.write_text("crime_id,postcode\nC1,Ls14Ap\nC2,ls6 1aa\n")
    result = run_alg(ALG, {"INPUT": str(extract), "POSTCODE_DIRECTORY": str(codepoint),
                           "OUTPUT_CRS": "EPSG:4326", "OUTPUT": str(tmp_path / "crimes.gpkg")})
    out = read(result["OUTPUT"])
    assert list(out["place_status"]) == ["placed", "postcode has no grid reference"]
    expected = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:27700"),
                                      QgsCoordinateReferenceSystem("EPSG:4326"),
                                      QgsProject.instance()).transform(QgsPointXY(429900, 433700))
    assert xy(out, 1) == pytest.approx((expected.x(), expected.y()), abs=1e-7)


def test_bad_input_gives_one_clear_message(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    extract = tmp_path / "no_location.csv"
    extract.write_text("case_ref,amount\n1,2\n")
    with pytest.raises(QgsProcessingException, match="Nothing to place the rows with"):
        run_alg(ALG, {"INPUT": str(extract), "OUTPUT": str(tmp_path / "x.gpkg")})
    with pytest.raises(QgsProcessingException, match="has no field 'Postcode'"):
        run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)), "POSTCODE_FIELD": "Postcode",
                      "POSTCODE_DIRECTORY": str(write_onspd(tmp_path)), "OUTPUT": str(tmp_path / "x.gpkg")})
    with pytest.raises(QgsProcessingException, match="postcode directory"):
        run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)), "POSTCODE_FIELD": "postcode",
                      "OUTPUT": str(tmp_path / "x.gpkg")})
    with pytest.raises(QgsProcessingException, match="only location is its postcode field 'postcode'"):
        run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)), "OUTPUT": str(tmp_path / "x.gpkg")})
    with pytest.raises(QgsProcessingException, match="no sheet 'Sheet9'; its sheets are repairs"):
        sheet = tmp_path / "one_sheet.ods"
        pyogrio.write_dataframe(pd.DataFrame({"a": ["1"]}), sheet, driver="ODS", layer="repairs")
        run_alg(ALG, {"INPUT": str(sheet), "SHEET": "Sheet9", "OUTPUT": str(tmp_path / "x.gpkg")})
    not_a_directory = tmp_path / "not_a_directory.csv"
    not_a_directory.write_text("a,b\n1,2\n")
    with pytest.raises(QgsProcessingException, match="not a postcode directory"):
        run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)),
                      "POSTCODE_DIRECTORY": str(not_a_directory), "OUTPUT": str(tmp_path / "x.gpkg")})
    with pytest.raises(QgsProcessingException, match="never overwrites an input"):
        run_alg(ALG, {"INPUT": str(extract), "OUTPUT": str(extract)})
    assert extract.read_text() == "case_ref,amount\n1,2\n"


def test_dates_day_first_unless_year_first():
    """Hand-checked cases, including the ones dateutil gets wrong with dayfirst on ISO text."""
    from joinedup.engine.records import parse_dates

    values = pd.Series(["03/04/2025", "2025-04-03", "2025/04/03", "3 Apr 2025", "03-04-25",
                        "31/02/2025", "soon", "", None, "2025-04-03 10:15:00", "13/01/2025"])
    dates, unreadable = parse_dates(values)
    got = [None if pd.isna(d) else d.date() for d in dates]
    d = datetime.date
    assert got == [d(2025, 4, 3), d(2025, 4, 3), d(2025, 4, 3), d(2025, 4, 3), d(2025, 4, 3),
                   None, None, None, None, d(2025, 4, 3), d(2025, 1, 13)]
    assert list(unreadable) == [False] * 5 + [True, True] + [False] * 4


def test_through_qgis_process(tmp_path):
    from qgis_process_helpers import qgis_process_run

    out = tmp_path / "placed.gpkg"
    answer = qgis_process_run(ALG, {"INPUT": str(write_council_tax(tmp_path)),
                                    "POSTCODE_DIRECTORY": str(write_onspd(tmp_path)),
                                    "OUTPUT": str(out)})
    assert answer["returncode"] == 0
    assert (answer["results"]["PLACED"], answer["results"]["NOT_PLACED"],
            answer["results"]["BLANK_ROWS"]) == (3, 5, 1)
    placed = read(answer["results"]["OUTPUT"])
    assert xy(placed, 2) == (428500, 431800)


def test_cancel_writes_nothing(run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.cancel()
    out = tmp_path / "never.gpkg"
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)),
                      "POSTCODE_DIRECTORY": str(write_onspd(tmp_path)), "OUTPUT": str(out)},
                feedback=feedback)
    assert not out.exists()


def test_directory_folder_of_code_point_files(tmp_path):
    """Code-Point Open ships one CSV per postcode area: a folder of them reads as one directory."""
    from joinedup.engine.records import read_postcode_directory

    folder = tmp_path / "CSV"
    folder.mkdir()
    (folder / "ls.csv").write_text('"LS1 4AP",10,429900,433700,"E92000001"\n')
    (folder / "bd.csv").write_text('"BD1 1AA",10,416300,433000,"E92000001"\n"BD1 1AB",90,0,0,"E92000001"\n')
    table, note = read_postcode_directory(str(folder))
    assert sorted(table.index) == ["BD1 1AA", "BD1 1AB", "LS1 4AP"]
    assert (table.loc["BD1 1AA", "easting_m"], table.loc["BD1 1AA", "northing_m"]) == (416300, 433000)
    assert pd.isna(table.loc["BD1 1AB", "easting_m"])
    assert "3 postcodes, 0 terminated, 1 without a grid reference" in note


def test_personal_dates_and_date_like_names(run_alg, tmp_path):
    """A date of birth that cannot be read is reported without its value when the field is
    hashed; a field named like a date whose values are names ('reported_by') stays text."""
    extract = tmp_path / "asb_reports.csv"
    extract.write_text("ref,dob,reported_by,easting,northing\n"
                       "R1,29/02/1990,Pat Jones,430000,433000\n"      # 1990 was not a leap year
                       "R2,01/03/1990,Sam Hill,430100,433100\n")
    result = run_alg(ALG, {"INPUT": str(extract), "IDENTIFIER_ACTION": 0, "OUTPUT": str(tmp_path / "asb.gpkg")})
    out = read(result["OUTPUT"])
    assert list(out["place_status"]) == ["unparseable date", "placed"]
    assert list(out["date_problem"].fillna("")) == ["dob: not a date", ""]
    assert list(out["reported_by"]) == ["Pat Jones", "Sam Hill"]
    assert "29/02/1990" not in out.to_string()
    assert out["dob"].str.fullmatch(r"[0-9a-f]{16}").iloc[1]  # the readable one, hashed


def test_runs_in_a_model(plugin, tmp_path):
    """As a step of a model: the extract and directory are model inputs, and the placed layer
    feeds QGIS's own native:buffer (only placed rows have a point to buffer)."""
    from qgis import processing
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterFile,
        QgsProject,
    )
    from shapely import Point

    model = QgsProcessingModelAlgorithm("import and buffer", "tests")
    for name in ("extract", "directory"):
        model.addModelParameter(QgsProcessingParameterFile(name, name), QgsProcessingModelParameter(name))
    step = QgsProcessingModelChildAlgorithm(ALG)
    step.setChildId("import")
    step.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("extract")])
    step.addParameterSources("POSTCODE_DIRECTORY",
                             [QgsProcessingModelChildParameterSource.fromModelParameter("directory")])
    model.addChildAlgorithm(step)
    buffer = QgsProcessingModelChildAlgorithm("native:buffer")
    buffer.setChildId("buffer")
    buffer.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromChildOutput("import", "OUTPUT")])
    buffer.addParameterSources("DISTANCE", [QgsProcessingModelChildParameterSource.fromStaticValue(100)])
    out = QgsProcessingModelOutput("buffered")
    out.setChildOutputName("OUTPUT")
    buffer.setModelOutputs({"buffered": out})
    model.addChildAlgorithm(buffer)
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    result = processing.run(model, {"extract": str(write_council_tax(tmp_path)),
                                    "directory": str(write_onspd(tmp_path)),
                                    "buffer:buffered": str(tmp_path / "buffered.gpkg")},
                            context=context, feedback=QgsProcessingFeedback())
    buffered = read(result["buffer:buffered"])
    polygons = buffered[[g is not None and not g.is_empty for g in buffered.geometry]]
    assert sorted(polygons["source_row"]) == [1, 2, 8]
    assert polygons.loc[polygons["source_row"] == 1].geometry.iloc[0].centroid.distance(
        Point(429900, 433700)) < 0.5


def test_postcode_directory_indexed_once(run_alg, tmp_path):
    """The second run reads the directory from its index, with the same answer; a changed
    directory file is indexed again."""
    from qgis.core import QgsProcessingFeedback

    cache = tmp_path / "cache"
    onspd = write_onspd(tmp_path)
    runs = []
    for attempt in range(3):
        if attempt == 2:  # a new release of the directory: LS99 9QQ now exists
            with open(onspd, "a") as handle:
                handle.write("LS999QQ,LS99 9QQ,LS99 9QQ,202601,,E99999999,E08000035,,0,431000,435000,1,0,0\n")
        log = QgsProcessingFeedback()
        result = run_alg(ALG, {"INPUT": str(write_council_tax(tmp_path)), "POSTCODE_DIRECTORY": str(onspd),
                               "CACHE_FOLDER": str(cache), "OUTPUT": str(tmp_path / f"run{attempt}.gpkg")},
                         feedback=log)
        runs.append((result["PLACED"], "from its index" in log.textLog()))
        out = read(result["OUTPUT"])
        if attempt < 2:
            assert xy(out, 1) == (429900, 433700) and xy(out, 9) is None
            assert dict(zip(out["source_row"], out["place_status"]))[4] == "terminated postcode"
    assert runs == [(3, False), (3, True), (4, False)]
    assert xy(out, 5) == (431000, 435000)
    assert len(list(cache.glob("postcode_directory_*.gpkg"))) == 2
